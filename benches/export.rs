//! The CSV export at scale, against the plain database dump.
//!
//!     cargo bench --bench export                 # 100,000 and 1,000,000 incidents
//!     cargo bench --bench export -- 20000 50000  # other sizes
//!
//! For each size: a fresh SQLite database with one school, its staff and
//! pupils and that many incidents (with timeline entries, other pupils and
//! referrals, as a real log has), filled with raw SQL in one transaction;
//! then `safelog export` run as a child process, timed, its peak memory
//! (VmHWM) read from /proc while it runs; then `sqlite3 -csv` dumping the
//! same rows and columns (joined to the pupil and category, in the same
//! order). Memory must stay flat: the peak should not grow with the size.
//!
//! Not part of `cargo test`. Needs Linux (/proc) and the sqlite3 shell
//! (Debian: `apt-get install sqlite3`); without it the dump is skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use safelog::db::AnyConnection;

const PUPILS: usize = 3000;
const STAFF: usize = 40;
const CHUNK: usize = 500;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace(['_', ','], "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    let root = std::env::temp_dir().join(format!("safelog-bench-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let mut results = Vec::new();
    for n in sizes {
        results.push(run(&root, n));
    }
    let _ = std::fs::remove_dir_all(&root);
    println!();
    println!("| incidents | safelog export | sqlite3 -csv | ratio | safelog peak RSS | sqlite3 peak RSS | export size |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        println!(
            "| {} | {:.1} s | {} | {} | {:.1} MB | {} | {:.0} MB |",
            r.rows,
            r.export.wall.as_secs_f64(),
            r.dump
                .as_ref()
                .map_or("-".into(), |d| format!("{:.1} s", d.wall.as_secs_f64())),
            r.dump.as_ref().map_or("-".into(), |d| format!(
                "{:.1}x",
                r.export.wall.as_secs_f64() / d.wall.as_secs_f64()
            )),
            r.export.peak_kb as f64 / 1024.0,
            r.dump.as_ref().map_or("-".into(), |d| format!(
                "{:.1} MB",
                d.peak_kb as f64 / 1024.0
            )),
            r.export_bytes as f64 / 1e6,
        );
    }
}

struct Measured {
    wall: Duration,
    peak_kb: u64,
}

struct Result_ {
    rows: usize,
    export: Measured,
    dump: Option<Measured>,
    export_bytes: u64,
}

fn run(root: &Path, n: usize) -> Result_ {
    let dir = root.join(n.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("safelog.db");
    let url = format!("sqlite://{}", db.display());
    eprintln!("\n== {n} incidents");
    let started = Instant::now();
    fill(&url, n);
    eprintln!(
        "filled in {:.1} s ({:.0} MB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );

    let out = dir.join("export.csv");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("export")
        .arg(&out)
        .env("SAFELOG_DATABASE_URL", &url)
        .env("RUST_LOG", "warn");
    let export = measure(cmd);
    let export_bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let rows = count_records(&out);
    assert_eq!(rows, n, "the export holds every incident");
    eprintln!(
        "safelog export: {:.2} s, peak {:.1} MB, {:.0} MB written",
        export.wall.as_secs_f64(),
        export.peak_kb as f64 / 1024.0,
        export_bytes as f64 / 1e6
    );
    let _ = std::fs::remove_file(&out);

    let dump = if Command::new("sqlite3").arg("-version").output().is_ok() {
        let dump_file = dir.join("dump.csv");
        let mut cmd = Command::new("sqlite3");
        cmd.args(["-csv", "-header"])
            .arg(&db)
            .arg(DUMP_SQL)
            .stdout(std::fs::File::create(&dump_file).unwrap());
        let m = measure(cmd);
        eprintln!(
            "sqlite3 -csv: {:.2} s, peak {:.1} MB, {:.0} MB written",
            m.wall.as_secs_f64(),
            m.peak_kb as f64 / 1024.0,
            std::fs::metadata(&dump_file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
        );
        Some(m)
    } else {
        eprintln!("sqlite3 is not installed: no dump to compare with");
        None
    };
    let _ = std::fs::remove_dir_all(&dir);
    Result_ {
        rows,
        export,
        dump,
        export_bytes,
    }
}

/// The same rows and columns the export reads, as the database shell dumps them.
const DUMP_SQL: &str = "SELECT p.name, i.tutor_group, i.incident_date, i.details, i.actions_taken, \
    i.staff_initials, i.lg_acknowledged_at IS NOT NULL, i.reference, c.name, c.four_c, i.owner_role, \
    i.status, i.child_at_risk, i.location, i.platform, i.logged_by, i.logged_at, i.lg_acknowledged_by, \
    i.lg_acknowledged_at, i.outcome, i.closed_at \
    FROM incidents i JOIN pupils p ON p.id = i.pupil_id \
    JOIN categories c ON c.school_id = i.school_id AND c.code = i.category_code \
    WHERE i.entered_in_error_at IS NULL ORDER BY i.logged_at, i.reference;";

/// Runs `cmd` to the end; its wall time and the peak resident memory
/// (VmHWM) the kernel reports for it, read every few milliseconds.
fn measure(mut cmd: Command) -> Measured {
    cmd.stdin(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kb = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{cmd:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Measured {
        wall: started.elapsed(),
        peak_kb,
    }
}

fn count_records(path: &Path) -> usize {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let mut n = 0;
    for record in reader.records() {
        record.unwrap();
        n += 1;
    }
    n
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn ts(t: NaiveDateTime) -> String {
    q(&t.format("%Y-%m-%d %H:%M:%S").to_string())
}

const CATEGORIES: [(&str, &str); 8] = [
    ("online-bullying", "dsl"),
    ("harmful-content", "online_safety_lead"),
    ("device-misuse", "online_safety_lead"),
    ("grooming-contact", "dsl"),
    ("filtering-breach", "dsl"),
    ("scams-gambling", "online_safety_lead"),
    ("staff-conduct", "headteacher"),
    ("other", "online_safety_lead"),
];
const PLATFORMS: [&str; 5] = ["Snapchat", "WhatsApp", "School email", "TikTok", ""];
const LOCATIONS: [&str; 4] = ["in_school", "outside_school", "online_at_home", "unknown"];
const STATUSES: [&str; 4] = ["new", "in_progress", "escalated", "closed"];

/// One school, its staff and pupils, and `n` incidents, in one transaction.
fn fill(url: &str, n: usize) {
    let pool = safelog::db::open(url).unwrap();
    let mut pooled = pool.get().unwrap();
    let start = NaiveDate::from_ymd_opt(2023, 9, 1)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let school =
        safelog::accounts::store::create_school(&mut pooled, "Bench School", start).unwrap();
    let AnyConnection::Sqlite(conn) = &mut *pooled else {
        panic!("the benchmark runs on SQLite");
    };
    conn.batch_execute("BEGIN IMMEDIATE").unwrap();
    let s = q(&school.id);
    let staff: Vec<String> = (0..STAFF).map(|i| format!("u{i:08}")).collect();
    let mut sql = String::new();
    for (i, id) in staff.iter().enumerate() {
        writeln!(
            sql,
            "INSERT INTO users (id, school_id, email, name, initials, password_hash, active, created_at, updated_at) \
             VALUES ({}, {s}, 'staff{i}@bench.test', 'Staff Member {i}', 'S{i}', 'x', 1, {}, {});",
            q(id),
            ts(start),
            ts(start)
        )
        .unwrap();
    }
    conn.batch_execute(&sql).unwrap();
    let groups = ["7A", "8B", "9C", "10D", "11E", "12F"];
    for chunk in (0..PUPILS).collect::<Vec<_>>().chunks(CHUNK) {
        let mut sql = String::from("INSERT INTO pupils (id, school_id, name, name_key, tutor_group, year_group, created_at, updated_at) VALUES ");
        for (k, i) in chunk.iter().enumerate() {
            let g = groups[i % groups.len()];
            let name = format!("Pupil Zoë-{i} Ó Sé");
            write!(
                sql,
                "{}({}, {s}, {}, {}, {}, {}, {}, {})",
                if k == 0 { "" } else { "," },
                q(&format!("p{i:08}")),
                q(&name),
                q(&name.to_lowercase()),
                q(g),
                g.trim_end_matches(char::is_alphabetic),
                ts(start),
                ts(start)
            )
            .unwrap();
        }
        sql.push(';');
        conn.batch_execute(&sql).unwrap();
    }

    let mut seq_by_year = std::collections::HashMap::<i32, u32>::new();
    let mut i = 0;
    while i < n {
        let end = (i + CHUNK).min(n);
        let mut incidents = String::from(
            "INSERT INTO incidents (id, school_id, reference, pupil_id, tutor_group, year_group, incident_date, \
             category_code, child_at_risk, location, platform, details, actions_taken, search_text, status, \
             owner_role, logged_by, staff_initials, logged_at, updated_at, version, lg_acknowledged_at, outcome, closed_at, counted_on) VALUES ",
        );
        let mut events = String::from(
            "INSERT INTO incident_events (id, incident_id, school_id, seq, incident_version, kind, by_user_id, by_initials, at, text, visible_to_reporter) VALUES ",
        );
        let mut others = String::new();
        let mut referrals = String::new();
        for k in i..end {
            let logged = start + chrono::Duration::minutes(k as i64);
            let year = chrono::Datelike::year(&logged);
            let seq = seq_by_year.entry(year).or_insert(0);
            *seq += 1;
            let id = format!("i{k:012}");
            let pupil = k % PUPILS;
            let (category, owner) = CATEGORIES[k % CATEGORIES.len()];
            let status = STATUSES[k % STATUSES.len()];
            let user = k % STAFF;
            let details = if k % 97 == 0 {
                format!("=HYPERLINK(\"http://x.example/{k}\") pasted from a message, \"quoted\"")
            } else {
                format!(
                    "Pupil reported, at break on day {k}, messages from another pupil on a group chat, \"stop it\" they said; screenshots were not taken.\nThe pupil was upset and went home early."
                )
            };
            let actions = "Spoke to both pupils; parents informed by phone.";
            let date = if k % 10 == 0 {
                "NULL".to_string()
            } else {
                q(&logged.date().to_string())
            };
            write!(
                incidents,
                "{}({}, {s}, {}, {}, {}, {}, {date}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'S{user}', {}, {}, 1, {}, {}, {}, {})",
                if k == i { "" } else { "," },
                q(&id),
                q(&format!("OS-{year}-{seq:06}")),
                q(&format!("p{pupil:08}")),
                q(groups[pupil % groups.len()]),
                groups[pupil % groups.len()].trim_end_matches(char::is_alphabetic),
                q(category),
                i32::from(k % 7 == 0),
                q(LOCATIONS[k % LOCATIONS.len()]),
                if PLATFORMS[k % 5].is_empty() { "NULL".into() } else { q(PLATFORMS[k % 5]) },
                q(&details),
                q(actions),
                q(&format!("{details}\n{actions}").to_lowercase()),
                q(status),
                q(owner),
                q(&staff[user]),
                ts(logged),
                ts(logged),
                if k % 2 == 0 { ts(logged + chrono::Duration::hours(3)) } else { "NULL".into() },
                if status == "closed" { q("Resolved with both families; no further action.") } else { "NULL".into() },
                if status == "closed" { ts(logged + chrono::Duration::days(2)) } else { "NULL".into() },
                q(&logged.date().to_string()),
            )
            .unwrap();
            write!(
                events,
                "{}({}, {}, {s}, 1, 1, 'logged', {}, 'S{user}', {}, NULL, 1)",
                if k == i { "" } else { "," },
                q(&format!("e{k:012}a")),
                q(&id),
                q(&staff[user]),
                ts(logged)
            )
            .unwrap();
            if k % 5 == 0 {
                write!(
                    events,
                    ",({}, {}, {s}, 2, 1, 'action', {}, 'S{user}', {}, 'Met the pupil and their parent; agreed a plan.', 0)",
                    q(&format!("e{k:012}b")),
                    q(&id),
                    q(&staff[user]),
                    ts(logged + chrono::Duration::days(1))
                )
                .unwrap();
            }
            if k % 10 == 3 {
                write!(
                    others,
                    "{}({}, {s}, {}, 'witness', 1)",
                    if others.is_empty() { "" } else { "," },
                    q(&id),
                    q(&format!("p{:08}", (pupil + 1) % PUPILS))
                )
                .unwrap();
            }
            if k % 50 == 7 {
                write!(
                    referrals,
                    "{}({}, {}, {s}, 'police', {}, 'CAD{k}', {}, {})",
                    if referrals.is_empty() { "" } else { "," },
                    q(&format!("r{k:012}")),
                    q(&id),
                    q(&logged.date().to_string()),
                    q(&staff[user]),
                    ts(logged)
                )
                .unwrap();
            }
        }
        let mut sql = format!("{incidents};{events};");
        if !others.is_empty() {
            write!(sql, "INSERT INTO incident_pupils (incident_id, school_id, pupil_id, role, position) VALUES {others};").unwrap();
        }
        if !referrals.is_empty() {
            write!(sql, "INSERT INTO referrals (id, incident_id, school_id, agency, referred_on, reference, made_by, recorded_at) VALUES {referrals};").unwrap();
        }
        conn.batch_execute(&sql).unwrap();
        i = end;
        if i % 100_000 == 0 {
            eprint!("\rfilling: {i} of {n}");
        }
    }
    conn.batch_execute("COMMIT; PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .unwrap();
    eprintln!();
}
