//! The CSV export at scale, against the database's own CSV dump.
//!
//! ```text
//! cargo bench --bench export                  # 100,000 and 1,000,000 incidents
//! cargo bench --bench export -- 20000 50000   # other sizes
//! SAFELOG_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench export              # and PostgreSQL too
//! SAFELOG_BENCH_ROUNDS=5                      # rounds (default 5, 3 over 100,000)
//! SAFELOG_BENCH_KEEP=1                        # keep the databases (to profile)
//! cargo test --bench export -- 10000          # CI: that it works (debug build)
//! ```
//!
//! For each backend and size: a fresh database (migrated as the service
//! migrates it) with one school, its staff and pupils and that many
//! incidents (with timeline entries, other pupils and referrals, as a real
//! log has), filled with raw SQL in one transaction. Then, in alternating
//! rounds, three runs that each write the whole export to a file:
//!
//! - `safelog export FILE`, a child process;
//! - the HTTP export: `curl` GETs `/api/v1/export.csv` from a `safelog`
//!   server (a child process, started once) with a headteacher's token;
//! - the reference: `sqlite3 -csv`, or `psql` with `\copy (SELECT ...) TO
//!   STDOUT CSV`, dumping the same rows and columns (joined to the pupil and
//!   category, in the same order).
//!
//! Each is timed (min / median / max), its CPU time taken from /proc (the
//! server's during the request, for the HTTP export: on a shared machine
//! the wall time depends on what else runs, the CPU time much less) and its
//! peak memory (VmHWM) read from /proc while it runs: the `safelog export` process's, the server's (after
//! every round: it must not grow with the size), the reference's. The ratio
//! is the throughput's, the reference's median time over safelog's: 1.0 is
//! as fast as the database's own dump. The machine's load average is
//! printed before and after.
//!
//! Not part of `cargo test` (harness = false). Needs Linux (/proc), curl,
//! and the sqlite3 shell (`apt-get install sqlite3`) and psql for the
//! references; a missing one is skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use safelog::auth::Role;
use safelog::db::AnyConnection;

const PUPILS: usize = 3000;
const STAFF: usize = 40;
const CHUNK: usize = 500;
const JWT_SECRET: &str = "the export bench's secret, 32 bytes or more";

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
    let rounds: Option<usize> = std::env::var("SAFELOG_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok());
    // SAFELOG_BENCH_KEEP=1 keeps the databases, to look at or profile.
    let keep = std::env::var_os("SAFELOG_BENCH_KEEP").is_some();
    println!("load before: {}", load());
    let root = std::env::temp_dir().join(format!("safelog-bench-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let mut results = Vec::new();
    for &n in &sizes {
        let rounds = rounds.unwrap_or(if n > 100_000 { 3 } else { 5 });
        let dir = root.join(format!("sqlite-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("safelog.db").display());
        results.push(run(&dir, &url, Reference::Sqlite, n, rounds));
        if keep {
            eprintln!("kept {url}");
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    match std::env::var("SAFELOG_BENCH_POSTGRES_URL") {
        Ok(admin) => {
            for &n in &sizes {
                let rounds = rounds.unwrap_or(if n > 100_000 { 3 } else { 5 });
                let name = format!("safelog_export_{}", uuid::Uuid::new_v4().simple());
                let mut c = PgConnection::establish(&admin).unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .unwrap();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                let url = format!("{base}/{name}");
                let dir = root.join(format!("postgres-{n}"));
                std::fs::create_dir_all(&dir).unwrap();
                results.push(run(&dir, &url, Reference::Postgres(url.clone()), n, rounds));
                let _ = std::fs::remove_dir_all(&dir);
                if keep {
                    eprintln!("kept {url}");
                } else {
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .unwrap();
                }
            }
        }
        Err(_) => println!("PostgreSQL: skipped (set SAFELOG_BENCH_POSTGRES_URL to include it)"),
    }
    if !keep {
        let _ = std::fs::remove_dir_all(&root);
    }
    println!("load after: {}", load());
    println!();
    println!("| backend | incidents | measure | safelog s (min / median / max) | reference s (min / median / max) | throughput ratio | CPU s, safelog / reference (medians) | safelog peak RSS | reference peak RSS |");
    println!("|---|---:|---|---|---|---:|---:|---:|---:|");
    for r in &results {
        for (measure, app, peak) in [
            ("`safelog export`", &r.cli, r.cli_peak_kb),
            ("HTTP export", &r.http, r.server_peak_kb),
        ] {
            let (a0, a50, a100) = spread(app.iter().map(|t| t.0));
            let app_cpu = spread(app.iter().map(|t| t.1)).1;
            let reference = r.reference.as_ref();
            let (r_wall, r_cpu) = reference.map_or(("-".into(), None), |(t, _)| {
                let (r0, r50, r100) = spread(t.iter().map(|t| t.0));
                (
                    format!("{r0:.2} / {r50:.2} / {r100:.2}"),
                    Some((r50, spread(t.iter().map(|t| t.1)).1)),
                )
            });
            println!(
                "| {} | {} | {measure} | {a0:.2} / {a50:.2} / {a100:.2} | {r_wall} | {} | {app_cpu:.2} / {} | {:.1} MB | {} |",
                r.backend,
                r.rows,
                r_cpu.map_or("-".into(), |(w, _)| format!("{:.2}x", w / a50)),
                r_cpu.map_or("-".into(), |(_, c)| format!("{c:.2}")),
                peak as f64 / 1024.0,
                reference.map_or("-".into(), |(_, kb)| format!(
                    "{:.1} MB",
                    *kb as f64 / 1024.0
                )),
            );
        }
    }
    println!("(the server's peak is its whole life's: start, sign-in and every round; the export file is {})",
        results.iter().map(|r| format!("{:.0} MB at {}", r.export_bytes as f64 / 1e6, r.rows)).collect::<Vec<_>>().join(", "));
}

/// The load average, as `uptime` gives it.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Seconds: min, median, max.
fn spread(times: impl Iterator<Item = Duration>) -> (f64, f64, f64) {
    let mut t: Vec<f64> = times.map(|d| d.as_secs_f64()).collect();
    t.sort_by(f64::total_cmp);
    (t[0], t[t.len() / 2], t[t.len() - 1])
}

enum Reference {
    Sqlite,
    /// The database's URL, for psql.
    Postgres(String),
}

struct Measured {
    wall: Duration,
    /// User and system time.
    cpu: Duration,
    peak_kb: u64,
}

struct Result_ {
    backend: &'static str,
    rows: usize,
    /// Wall and CPU time of each round.
    cli: Vec<(Duration, Duration)>,
    cli_peak_kb: u64,
    /// The server's CPU time, during the request.
    http: Vec<(Duration, Duration)>,
    server_peak_kb: u64,
    /// The reference's times and peak memory, when its shell is installed.
    reference: Option<(Vec<(Duration, Duration)>, u64)>,
    export_bytes: u64,
}

/// A command with none of the caller's SAFELOG_ settings.
fn safelog(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("SAFELOG_DATABASE_URL", url)
        .env("SAFELOG_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn");
    cmd
}

fn installed(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(dir: &Path, url: &str, reference: Reference, n: usize, rounds: usize) -> Result_ {
    let backend = match reference {
        Reference::Sqlite => "SQLite",
        Reference::Postgres(_) => "PostgreSQL",
    };
    eprintln!("\n== {backend}, {n} incidents, {rounds} rounds");
    let started = Instant::now();
    let token = fill(url, n);
    eprintln!("filled in {:.1} s", started.elapsed().as_secs_f64());

    let server = Server::start(url, dir);
    server.ready(&token);
    let out = dir.join("export.csv");
    let reference_cmd = |file: &Path| -> Option<Command> {
        let stdout = || std::fs::File::create(file).unwrap();
        match &reference {
            Reference::Sqlite if installed("sqlite3", "-version") => {
                let mut cmd = Command::new("sqlite3");
                cmd.args(["-csv", "-header"])
                    .arg(url.trim_start_matches("sqlite://"))
                    .arg(format!("{DUMP_SQL};"))
                    .stdout(stdout());
                Some(cmd)
            }
            Reference::Postgres(url) if installed("psql", "--version") => {
                let mut cmd = Command::new("psql");
                cmd.arg(url)
                    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c"])
                    .arg(format!("\\copy ({DUMP_SQL}) TO STDOUT WITH CSV HEADER"))
                    .stdout(stdout());
                Some(cmd)
            }
            _ => None,
        }
    };
    if reference_cmd(&out).is_none() {
        eprintln!(
            "the reference's shell (sqlite3 or psql) is not installed: no dump to compare with"
        );
    }
    let (mut cli, mut http, mut dumped) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cli_peak_kb, mut dump_peak_kb, mut export_bytes) = (0, 0, 0);
    for round in 0..rounds {
        let mut cmd = safelog(url);
        cmd.arg("export").arg(&out).stdout(Stdio::null());
        let m = measure(cmd);
        cli_peak_kb = cli_peak_kb.max(m.peak_kb);
        cli.push((m.wall, m.cpu));
        export_bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        if round == 0 {
            assert_eq!(count_records(&out), n, "the export holds every incident");
        }
        let _ = std::fs::remove_file(&out);

        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail", "-o"])
            .arg(&out)
            .arg("-H")
            .arg(format!("Authorization: Bearer {token}"))
            .arg(format!("http://{}/api/v1/export.csv", server.addr));
        let before = cpu_time(server.child.id()).unwrap_or_default();
        let wall = measure(cmd).wall;
        let cpu = cpu_time(server.child.id()).unwrap_or_default() - before;
        http.push((wall, cpu));
        if round == 0 {
            assert_eq!(count_records(&out), n, "the download holds every incident");
            assert_eq!(
                std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0),
                export_bytes,
                "the download is the file"
            );
        }
        let _ = std::fs::remove_file(&out);

        if let Some(cmd) = reference_cmd(&out) {
            let m = measure(cmd);
            dump_peak_kb = dump_peak_kb.max(m.peak_kb);
            dumped.push((m.wall, m.cpu));
            let _ = std::fs::remove_file(&out);
        }
        eprintln!(
            "round {}: safelog export {:.2} s, HTTP {:.2} s, reference {}",
            round + 1,
            cli.last().unwrap().0.as_secs_f64(),
            http.last().unwrap().0.as_secs_f64(),
            dumped
                .last()
                .map_or("-".into(), |d| format!("{:.2} s", d.0.as_secs_f64()))
        );
    }
    let server_peak_kb = server.peak_kb();
    drop(server);
    Result_ {
        backend,
        rows: n,
        cli,
        cli_peak_kb,
        http,
        server_peak_kb,
        reference: (!dumped.is_empty()).then_some((dumped, dump_peak_kb)),
        export_bytes,
    }
}

/// `safelog serve` on a free port, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(url: &str, dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = safelog(url);
        cmd.arg("serve")
            .env("SAFELOG_BIND", &addr)
            .env("SAFELOG_DATA_DIR", dir)
            // The token stands for a session made directly, as the tests
            // make them, without enrolling an authenticator.
            .env("SAFELOG_REQUIRE_2FA", "none")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let child = cmd.spawn().unwrap();
        let server = Self { child, addr };
        let started = Instant::now();
        while !Command::new("curl")
            .args(["-sf", "-o", "/dev/null"])
            .arg(format!("http://{}/health/live", server.addr))
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Waits until the server answers an export (of no rows): a server
    /// just started on a fresh million-row SQLite database has been seen
    /// to answer "database is locked" to the export's audit row for a
    /// while (why is not yet known).
    fn ready(&self, token: &str) {
        let started = Instant::now();
        while !Command::new("curl")
            .args(["-sf", "-o", "/dev/null", "-H"])
            .arg(format!("Authorization: Bearer {token}"))
            .arg(format!(
                "http://{}/api/v1/export.csv?from=2100-01-01",
                self.addr
            ))
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the server did not answer an export"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        let waited = started.elapsed();
        if waited > Duration::from_secs(1) {
            eprintln!(
                "the server answered an export after {:.1} s",
                waited.as_secs_f64()
            );
        }
    }

    fn peak_kb(&self) -> u64 {
        vm_hwm(&PathBuf::from(format!("/proc/{}/status", self.child.id()))).unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same rows and columns the export reads, as the database shell dumps them.
const DUMP_SQL: &str = "SELECT p.name, i.tutor_group, i.incident_date, i.details, i.actions_taken, \
    i.staff_initials, i.lg_acknowledged_at IS NOT NULL, i.reference, c.name, c.four_c, i.owner_role, \
    i.status, i.child_at_risk, i.location, i.platform, i.logged_by, i.logged_at, i.lg_acknowledged_by, \
    i.lg_acknowledged_at, i.outcome, i.closed_at \
    FROM incidents i JOIN pupils p ON p.id = i.pupil_id \
    JOIN categories c ON c.school_id = i.school_id AND c.code = i.category_code \
    WHERE i.entered_in_error_at IS NULL ORDER BY i.logged_at, i.reference";

/// A process's user and system time so far, from /proc/PID/stat (in
/// the kernel's clock ticks, 100 a second).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command's name (which may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn vm_hwm(status_file: &Path) -> Option<u64> {
    std::fs::read_to_string(status_file)
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
}

/// Runs `cmd` to the end; its wall time and the peak resident memory
/// (VmHWM) the kernel reports for it, read every few milliseconds.
fn measure(mut cmd: Command) -> Measured {
    cmd.stdin(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kb = 0;
    let mut cpu = Duration::ZERO;
    loop {
        if let Some(kb) = vm_hwm(&status_file) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(t) = cpu_time(child.id()) {
            cpu = t;
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{cmd:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Measured {
        wall: started.elapsed(),
        cpu,
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

fn exec(conn: &mut AnyConnection, sql: &str) {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(sql).unwrap(),
        AnyConnection::Postgres(c) => c.batch_execute(sql).unwrap(),
    }
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

/// One school, its staff and pupils, and `n` incidents, in one
/// transaction; a headteacher's API token.
fn fill(url: &str, n: usize) -> String {
    let pool = safelog::db::open(url).unwrap();
    let mut pooled = pool.get().unwrap();
    let start = NaiveDate::from_ymd_opt(2023, 9, 1)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let school =
        safelog::accounts::store::create_school(&mut pooled, "Bench School", start).unwrap();
    let token = headteacher_token(&mut pooled, &school.id, start);
    let conn = &mut *pooled;
    exec(conn, "BEGIN");
    let s = q(&school.id);
    let staff: Vec<String> = (0..STAFF).map(|i| format!("u{i:08}")).collect();
    let mut sql = String::new();
    for (i, id) in staff.iter().enumerate() {
        writeln!(
            sql,
            "INSERT INTO users (id, school_id, email, name, initials, password_hash, active, created_at, updated_at) \
             VALUES ({}, {s}, 'staff{i}@bench.test', 'Staff Member {i}', 'S{i}', 'x', TRUE, {}, {});",
            q(id),
            ts(start),
            ts(start)
        )
        .unwrap();
    }
    exec(conn, &sql);
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
        exec(conn, &sql);
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
                if k % 7 == 0 { "TRUE" } else { "FALSE" },
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
                "{}({}, {}, {s}, 1, 1, 'logged', {}, 'S{user}', {}, NULL, TRUE)",
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
                    ",({}, {}, {s}, 2, 1, 'action', {}, 'S{user}', {}, 'Met the pupil and their parent; agreed a plan.', FALSE)",
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
        exec(conn, &sql);
        i = end;
        if i % 100_000 == 0 {
            eprint!("\rfilling: {i} of {n}");
        }
    }
    exec(conn, "COMMIT");
    match conn {
        AnyConnection::Sqlite(_) => exec(conn, "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;"),
        AnyConnection::Postgres(_) => exec(conn, "VACUUM ANALYZE"),
    }
    eprintln!();
    token
}

/// A headteacher (who exports everything a DSL's list shows and the
/// restricted categories too) signed in, as the tests sign in: a session
/// made directly and its token.
fn headteacher_token(conn: &mut AnyConnection, school_id: &str, at: NaiveDateTime) -> String {
    let user = safelog::accounts::store::create_user(
        conn,
        &safelog::accounts::store::NewUser {
            school_id,
            email: "head@bench.test",
            name: "Hedda Teague",
            initials: "HT",
            password_hash: "x",
            roles: &[Role::Headteacher],
        },
        at,
    )
    .unwrap();
    let account = safelog::accounts::store::user(conn, &user.id).unwrap();
    let clock = safelog::clock::Clock::system();
    let session = safelog::auth::store::create_session(
        conn,
        &safelog::auth::store::NewSession {
            user: &account,
            school_id,
            stage: "complete",
            ip: None,
            user_agent: None,
            at: clock.now_naive(),
        },
    )
    .unwrap();
    safelog::auth::tokens::Keys::from_secret(JWT_SECRET.as_bytes())
        .unwrap()
        .issue(&session, clock.now())
        .unwrap()
}
