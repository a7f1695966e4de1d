//! Importing the old spreadsheet at scale, beside the database shell
//! loading the same CSV into a plain table.
//!
//! ```text
//! cargo bench --bench import                      # 10,000, 100,000 and 1,000,000 rows
//! cargo bench --bench import -- 20000 50000       # other sizes
//! cargo test --bench import -- 10000             # quickly (debug build), as CI runs it
//! SAFELOG_BENCH_ROUNDS=5                          # rounds per size (default 3)
//! SAFELOG_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench import                  # PostgreSQL too, beside psql \copy
//! ```
//!
//! For each size: a seeded CSV of that many rows of the policy's seven
//! columns (the same N gives the same file; 2,000 pupils' names, a date,
//! two sentences of details, one row in ten undated, one in three
//! acknowledged), then rounds alternating `safelog import log FILE` (the
//! binary of this build, as a child process, into a fresh database with one
//! school) and `sqlite3 DB ".import --csv --skip 1 FILE log"` into a fresh
//! database with a plain seven-column table. Each is timed and its peak
//! resident memory read from `/usr/bin/time`. Prints rows/s min / median /
//! max for each, the ratio of the medians (safelog's rows/s over the
//! shell's) and the largest peak RSS: memory must stay flat as N grows.
//!
//! Not part of `cargo test`'s default run (harness = false). Needs Linux,
//! the sqlite3 shell and /usr/bin/time (Debian: sqlite3, time); psql for
//! the PostgreSQL reference.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::{Connection, PgConnection, RunQueryDsl};

const PUPILS: u64 = 2000;

fn main() {
    let sizes: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace(['_', ','], "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    let rounds: usize = std::env::var("SAFELOG_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let root = std::env::temp_dir().join(format!(
        "safelog-import-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&root).unwrap();
    let postgres = std::env::var("SAFELOG_BENCH_POSTGRES_URL").ok();
    let mut table = Vec::new();
    for &n in &sizes {
        let csv = root.join(format!("log-{n}.csv"));
        write_csv(&csv, n);
        eprintln!(
            "\n== {n} rows ({:.1} MB of CSV)",
            std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
        );
        table.push(("SQLite", n, sqlite_rounds(&root, &csv, n, rounds)));
        if let Some(admin) = &postgres {
            table.push(("PostgreSQL", n, postgres_rounds(admin, &csv, n, rounds)));
        }
        let _ = std::fs::remove_file(&csv);
    }
    let _ = std::fs::remove_dir_all(&root);
    if postgres.is_none() {
        eprintln!("PostgreSQL: skipped (set SAFELOG_BENCH_POSTGRES_URL to include it)");
    }
    println!();
    println!("rounds: {rounds}; load: {}", load());
    println!(
        "| database | rows | safelog import rows/s (min / median / max) | reference rows/s (min / median / max) | ratio | safelog peak RSS | reference peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (db, n, r) in table {
        let (s0, s50, s100) = spread(&r.safelog, n);
        let (d0, d50, d100) = spread(&r.reference, n);
        println!(
            "| {db} | {n} | {s0:.0} / {s50:.0} / {s100:.0} | {d0:.0} / {d50:.0} / {d100:.0} | {:.3}x | {} | {} |",
            s50 / d50,
            mb(r.safelog.iter().map(|m| m.peak_kb).max()),
            mb(r.reference.iter().map(|m| m.peak_kb).max()),
        );
    }
}

fn mb(kb: Option<u64>) -> String {
    match kb {
        Some(kb) if kb > 0 => format!("{:.1} MB", kb as f64 / 1024.0),
        _ => "-".into(),
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// rows/s of the slowest, median and fastest round.
fn spread(rounds: &[Measured], n: u64) -> (f64, f64, f64) {
    let mut rates: Vec<f64> = rounds
        .iter()
        .map(|m| n as f64 / m.wall.as_secs_f64())
        .collect();
    rates.sort_by(|a, b| a.total_cmp(b));
    (rates[0], rates[rates.len() / 2], rates[rates.len() - 1])
}

/// One round's figures, as it ends.
fn said(round: usize, what: &str, m: &Measured, n: u64) {
    eprintln!(
        "round {round}: {what} {:.2} s ({:.0} rows/s), peak {}",
        m.wall.as_secs_f64(),
        n as f64 / m.wall.as_secs_f64(),
        mb(Some(m.peak_kb))
    );
}

struct Measured {
    wall: Duration,
    peak_kb: u64,
}

struct Rounds {
    safelog: Vec<Measured>,
    reference: Vec<Measured>,
}

/// A small seeded generator: the same N gives the same file.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const GROUPS: [&str; 10] = [
    "7A", "7B", "8A", "8C", "9B", "9D", "10T", "10W", "11E", "11R",
];
const INITIALS: [&str; 6] = ["MAL", "JH", "DS", "PK", "RB", ""];

/// The old spreadsheet as a school kept it, `n` rows.
fn write_csv(path: &Path, n: u64) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged\r\n").unwrap();
    let mut r = Seeded(n);
    let start = NaiveDate::from_ymd_opt(2019, 9, 1).unwrap();
    let mut line = String::new();
    for i in 0..n {
        line.clear();
        let pupil = r.next(PUPILS);
        let date = if r.next(10) == 0 {
            String::new()
        } else {
            (start + chrono::Duration::days(r.next(1800) as i64))
                .format("%d/%m/%Y")
                .to_string()
        };
        write!(
            line,
            "Pupil {pupil} Ó Sé,{},{date},\"Row {i}: messages from another pupil on a group chat, \"\"stop it\"\" they said; screenshots were not taken. The pupil was upset.\",\"Spoke to both pupils; parents informed by phone.\",{},{}\r\n",
            GROUPS[(pupil % 10) as usize],
            INITIALS[r.next(6) as usize],
            if r.next(3) == 0 { "TRUE" } else { "FALSE" },
        )
        .unwrap();
        out.write_all(line.as_bytes()).unwrap();
    }
    out.flush().unwrap();
}

/// Runs `cmd` under /usr/bin/time to the end: its wall time and peak RSS.
fn measure(program: &str, args: &[&str], env: &[(&str, &str)]) -> Measured {
    let rss = std::env::temp_dir().join(format!("safelog-rss-{}", uuid::Uuid::new_v4().simple()));
    let timed = Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&rss).arg(program);
        c
    } else {
        Command::new(program)
    };
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak_kb = std::fs::read_to_string(&rss)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    let _ = std::fs::remove_file(&rss);
    Measured { wall, peak_kb }
}

fn safelog(url: &str, csv: &Path) -> Measured {
    measure(
        env!("CARGO_BIN_EXE_safelog"),
        &[
            "import",
            "log",
            csv.to_str().unwrap(),
            "--school",
            "Bench School",
        ],
        &[("SAFELOG_DATABASE_URL", url), ("RUST_LOG", "warn")],
    )
}

const PLAIN_TABLE: &str = "CREATE TABLE log (student_name TEXT, tutor_group TEXT, incident_date TEXT, details TEXT, actions_outcome TEXT, staff_initials TEXT, lg_acknowledged TEXT)";

/// A database migrated as the service migrates it, with the one school.
fn school_database(url: &str) {
    let pool = safelog::db::open(url).unwrap();
    let mut conn = pool.get().unwrap();
    let at = NaiveDate::from_ymd_opt(2024, 9, 1)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    safelog::accounts::store::create_school(&mut conn, "Bench School", at).unwrap();
}

fn count(url: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let pool = safelog::db::open(url).unwrap();
    let mut conn = pool.get().unwrap();
    diesel::sql_query("SELECT COUNT(*) AS n FROM incidents")
        .get_result::<N>(&mut *conn)
        .unwrap()
        .n
}

fn sqlite_rounds(root: &Path, csv: &Path, n: u64, rounds: usize) -> Rounds {
    let template = root.join("template.db");
    let _ = std::fs::remove_file(&template);
    school_database(&format!("sqlite://{}", template.display()));
    let mut r = Rounds {
        safelog: Vec::new(),
        reference: Vec::new(),
    };
    for round in 0..rounds {
        let db: PathBuf = root.join(format!("round-{round}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        std::fs::copy(&template, &db).unwrap();
        let url = format!("sqlite://{}", db.display());
        let m = safelog(&url, csv);
        assert_eq!(count(&url), n as i64, "every row imported");
        said(round, "safelog import", &m, n);
        r.safelog.push(m);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }

        let plain = root.join(format!("plain-{round}.db"));
        let _ = std::fs::remove_file(&plain);
        let status = Command::new("sqlite3")
            .arg(&plain)
            .arg(PLAIN_TABLE)
            .status()
            .expect("the sqlite3 shell (apt-get install sqlite3)");
        assert!(status.success());
        let import = format!(".import --csv --skip 1 {} log", csv.display());
        let m = measure("sqlite3", &[plain.to_str().unwrap(), &import], &[]);
        said(round, "sqlite3 .import", &m, n);
        r.reference.push(m);
        let _ = std::fs::remove_file(&plain);
    }
    r
}

fn postgres_rounds(admin: &str, csv: &Path, n: u64, rounds: usize) -> Rounds {
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    let mut c = PgConnection::establish(admin).unwrap();
    let mut r = Rounds {
        safelog: Vec::new(),
        reference: Vec::new(),
    };
    for round in 0..rounds {
        let name = format!("safelog_import_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .unwrap();
        let url = format!("{base}/{name}");
        school_database(&url);
        let m = safelog(&url, csv);
        assert_eq!(count(&url), n as i64, "every row imported");
        said(round, "safelog import (PostgreSQL)", &m, n);
        r.safelog.push(m);
        {
            let mut db = PgConnection::establish(&url).unwrap();
            diesel::sql_query(PLAIN_TABLE).execute(&mut db).unwrap();
        }
        let copy = format!(
            "\\copy log FROM '{}' WITH (FORMAT csv, HEADER true)",
            csv.display()
        );
        let m = measure("psql", &["-q", &url, "-c", &copy], &[]);
        said(round, "psql \\copy", &m, n);
        r.reference.push(m);
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c)
            .unwrap();
    }
    r
}
