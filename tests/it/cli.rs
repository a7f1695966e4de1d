//! The `safelog` binary as an administrator meets it: help, migrations,
//! starting, stopping, and one clear line for each way starting can fail.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::Backend;
use crate::helpers::TestDb;

fn safelog() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Asserts a failed start: non-zero exit, one line on stderr that says
/// `expected`, and no backtrace.
fn assert_fails_with(output: Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got: {stderr}");
}

#[test]
fn help_explains_safelog_and_each_subcommand() {
    let out = safelog().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for word in ["serve", "migrate", "SAFELOG_DATABASE_URL", "SAFELOG_BIND"] {
        assert!(text.contains(word), "{word} missing from --help");
    }
    for sub in ["serve", "migrate"] {
        let out = safelog().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: safelog"),
            "{sub}"
        );
    }
}

#[test]
fn an_unknown_database_scheme_is_one_clear_line() {
    let out = safelog()
        .args([
            "migrate",
            "--database-url",
            "mysql://root@localhost/safelog",
        ])
        .output()
        .unwrap();
    assert_fails_with(out, "unknown database URL scheme 'mysql'");
}

#[test]
fn an_unreachable_postgres_is_one_clear_line_without_the_password() {
    let port = free_port();
    let out = safelog()
        .args([
            "migrate",
            "--database-url",
            &format!("postgres://u:pw-canary@127.0.0.1:{port}/x"),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("pw-canary"), "{stderr}");
    assert_fails_with(out, "cannot reach PostgreSQL at 127.0.0.1");
}

#[test]
fn a_data_folder_that_cannot_be_written_is_one_clear_line() {
    let db = TestDb::new(Backend::Sqlite);
    let file = db.data_dir().unwrap().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let url = format!("sqlite://{}/sub/safelog.db", file.display());
    let out = safelog()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert_fails_with(out, "cannot write the data folder");
}

#[test]
fn a_malformed_bind_address_is_one_clear_line() {
    let db = TestDb::new(Backend::Sqlite);
    let out = safelog()
        .args(["serve", "--database-url", &db.url()])
        .env("SAFELOG_BIND", "localhost-8080")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("HOST:PORT"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_bind_address_in_use_is_one_clear_line() {
    let db = TestDb::new(Backend::Sqlite);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = safelog()
        .args(["serve", "--database-url", &db.url(), "--bind", &addr])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_fails_with(out, &format!("cannot listen on {addr}"));
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(db_url: &str, port: u16) -> Running {
    let child = safelog()
        .args([
            "--database-url",
            db_url,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /health/ready HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.") && answer.contains(" 200 OK") {
                return running;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("safelog did not become ready");
}

fn migration_count(db_url: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let pool = safelog::db::connect(db_url).unwrap();
    let mut conn = pool.get().unwrap();
    diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result::<N>(&mut conn)
        .unwrap()
        .n
}

fn http(request: reqwest::RequestBuilder) -> (u16, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let res = request.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    })
}

#[test]
fn the_first_start_creates_and_migrates_and_a_kill_9_loses_no_committed_row() {
    let db = TestDb::new(Backend::Sqlite);
    let url = db.url();
    let mut add = safelog()
        .args([
            "user",
            "add",
            "--database-url",
            &url,
            "--email",
            "k@school.test",
            "--name",
            "K",
            "--initials",
            "K",
            "--role",
            "staff",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        writeln!(add.stdin.take().unwrap(), "a long enough passphrase").unwrap();
    }
    assert!(add.wait().unwrap().success());

    let port = free_port();
    let mut first = start(&url, port);
    let applied = migration_count(&url);
    assert!(applied > 0);
    // The running service commits a session; SIGKILL gives it no chance to tidy up.
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let (status, body) = http(client.post(format!("{base}/api/v1/auth/token")).json(
        &serde_json::json!({"email": "k@school.test", "password": "a long enough passphrase"}),
    ));
    assert_eq!(status, 200, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    first.0.kill().unwrap();
    first.0.wait().unwrap();

    let out = safelog()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no migration to apply"));

    let _second = start(&url, port);
    assert_eq!(migration_count(&url), applied);
    let (status, _) = http(client.get(format!("{base}/api/v1/me")).bearer_auth(&token));
    assert_eq!(
        status, 200,
        "the session committed before the kill is still there"
    );
}

#[test]
fn sigterm_stops_the_service_cleanly() {
    let db = TestDb::new(Backend::Sqlite);
    let port = free_port();
    let mut running = start(&db.url(), port);
    let status = Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_token_secret_shorter_than_256_bits_is_refused_at_start() {
    let db = TestDb::new(Backend::Sqlite);
    let out = safelog()
        .args([
            "serve",
            "--database-url",
            &db.url(),
            "--bind",
            "127.0.0.1:0",
        ])
        .env("SAFELOG_JWT_SECRET", "too-short-secret")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_fails_with(out, "must be at least 32");
}

#[test]
fn the_generated_token_secret_is_kept_private_in_the_data_folder() {
    let db = TestDb::new(Backend::Sqlite);
    let port = free_port();
    drop(start(&db.url(), port));
    let path = db.data_dir().unwrap().join("jwt-secret");
    let meta = std::fs::metadata(&path).expect("the secret file exists");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    let first = std::fs::read_to_string(&path).unwrap();
    assert!(first.trim().len() >= 43, "at least 256 bits");
    drop(start(&db.url(), port));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        first,
        "kept, not replaced"
    );
}

/// Starts the service with this `SAFELOG_LOG_FORMAT`, requests a record's
/// URL with a name in its query, stops it, and returns what it logged.
fn logs_of_a_short_run(format: Option<&str>) -> String {
    let db = TestDb::new(Backend::Sqlite);
    let port = free_port();
    let mut cmd = safelog();
    cmd.args([
        "--database-url",
        &db.url(),
        "--bind",
        &format!("127.0.0.1:{port}"),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if let Some(f) = format {
        cmd.env("SAFELOG_LOG_FORMAT", f);
    }
    let mut running = Running(cmd.spawn().unwrap());
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /health/live HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.contains(" 200 OK") {
                break;
            }
        }
        assert!(Instant::now() < deadline, "safelog did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    http(client.get(format!(
        "http://127.0.0.1:{port}/incidents/abc?q=Canaryname"
    )));
    Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .unwrap();
    running.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut running.0.stderr.take().unwrap(), &mut stderr).unwrap();
    stderr
}

#[test]
fn with_safelog_log_format_json_every_log_line_is_one_json_object() {
    let stderr = logs_of_a_short_run(Some("json"));
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "{stderr}");
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"))
        })
        .collect();
    assert!(parsed
        .iter()
        .all(|v| v["level"].is_string() && v["timestamp"].is_string()));
    let request = parsed
        .iter()
        .find(|v| v["fields"]["route"] == "/incidents/{id}")
        .unwrap_or_else(|| panic!("the request is logged: {stderr}"));
    assert_eq!(request["fields"]["status"], 303);
    assert!(!stderr.contains("Canaryname") && !stderr.contains("/incidents/abc"));
}

#[test]
fn without_safelog_log_format_log_lines_are_text() {
    let stderr = logs_of_a_short_run(None);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains("route=/incidents/{id}")),
        "{stderr}"
    );
    assert!(lines.iter().all(|l| !l.starts_with('{')), "{stderr}");
}

#[test]
fn a_malformed_trusted_proxy_list_is_refused_at_start_in_one_line() {
    let db = TestDb::new(Backend::Sqlite);
    let out = safelog()
        .args(["serve", "--database-url", &db.url()])
        .env(
            "SAFELOG_TRUSTED_PROXIES",
            "10.0.0.0/8, proxy.school.internal",
        )
        .output()
        .unwrap();
    assert_fails_with(
        out,
        "'proxy.school.internal' is not an IP address or CIDR network",
    );
}

/// The first `safelog migrate` on a new SQLite file once printed
/// "ERROR database is locked": the pool opened its connections together
/// and each tried to switch the new file to WAL. A technician's first run
/// should show no error, and it should be repeatable: several runs.
#[test]
fn the_first_migrate_of_a_new_sqlite_database_prints_no_error() {
    for _ in 0..5 {
        let dir = std::env::temp_dir()
            .join("safelog-tests")
            .join(uuid::Uuid::new_v4().simple().to_string());
        let output = safelog()
            .arg("migrate")
            .env(
                "SAFELOG_DATABASE_URL",
                format!("sqlite://{}", dir.join("safelog.db").display()),
            )
            .env("SAFELOG_DATA_DIR", &dir)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{all}");
        assert!(!all.contains("ERROR"), "{all}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
