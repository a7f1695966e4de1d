//! Logging incidents over HTTP with many clients at once (issue 14), beside
//! the database committing single rows durably, as fast as it can.
//!
//! ```text
//! cargo bench --bench logging                      # SQLite
//! SAFELOG_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench logging                  # and PostgreSQL, 1, 2 and 4 instances
//! SAFELOG_BENCH_SECONDS=3 SAFELOG_BENCH_ROUNDS=3   # seconds per round (5), rounds (3)
//! cargo bench --bench logging -- 8 32              # client counts (8 and 32)
//! ```
//!
//! Starts the service in this process on a fresh database (one school, a
//! member of staff with an API token), then alternates rounds of safelog
//! and of the reference, each running for the same seconds:
//! - safelog: every client POSTs `/api/v1/incidents` (a pupil from a roll of
//!   200, a paragraph of details) one after another and waits for its 201;
//! - the reference on SQLite: one connection with safelog's pragmas
//!   (WAL, `synchronous = FULL`) committing one 1 KB row per transaction in
//!   a loop: the most durable commits a second the file takes;
//! - the reference on PostgreSQL: as many connections as clients, each
//!   inserting one row per transaction (what `pgbench` does with a
//!   one-insert script).
//!
//! Prints incidents (or rows) a second, median and spread over the rounds,
//! the ratio of the medians and safelog's p50/p99 latency. On PostgreSQL it
//! runs again with 2 and 4 instances of the service sharing the database,
//! the clients spread over them. Not part of `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use safelog::app::Application;
use safelog::auth::Role;
use safelog::clock::Clock;
use safelog::config::{Config, Require2fa, Secret};
use safelog::db::DbPool;

const SECRET: &str = "bench-secret-that-is-long-enough-for-hs256-0123456789";
const PASSWORD: &str = "the bench tutor's long password";

struct Settings {
    clients: Vec<usize>,
    seconds: f64,
    rounds: usize,
}

/// The school and the token its tutor logs with.
struct Seeded {
    token: String,
}

fn seed(pool: &DbPool) -> (String, String) {
    let mut conn = pool.get().unwrap();
    let now = safelog::clock::Clock::system().now_naive();
    let school = safelog::accounts::store::create_school(&mut conn, "Bench School", now)
        .unwrap()
        .id;
    safelog::categories::store::for_school(&mut conn, &school, now).unwrap();
    let hash = safelog::auth::password::hash(PASSWORD).unwrap();
    safelog::accounts::store::create_user(
        &mut conn,
        &safelog::accounts::store::NewUser {
            school_id: &school,
            email: "tutor@bench.test",
            name: "Bench Tutor",
            initials: "BT",
            password_hash: &hash,
            roles: &[Role::Staff],
        },
        now,
    )
    .unwrap();
    // Someone to route to, as in a real school.
    safelog::accounts::store::create_user(
        &mut conn,
        &safelog::accounts::store::NewUser {
            school_id: &school,
            email: "dsl@bench.test",
            name: "Bench Lead",
            initials: "BL",
            password_hash: &hash,
            roles: &[Role::Dsl, Role::OnlineSafetyLead, Role::Headteacher],
        },
        now,
    )
    .unwrap();
    (school, "tutor@bench.test".into())
}

fn start(url: &str, rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> u16 {
    let mut config = Config::for_database(url);
    config.jwt_secret = Some(Secret::new(SECRET));
    config.require_2fa = Some(Require2fa::None);
    config.data_dir = Some(dir.to_path_buf());
    let pool = safelog::db::open(url).unwrap();
    let _guard = rt.enter();
    let app = Application::build_with_pool(config, Clock::system(), pool).unwrap();
    let port = app.port();
    rt.spawn(app.server());
    port
}

async fn token(client: &reqwest::Client, port: u16, email: &str) -> Seeded {
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/token"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the bench tutor gets a token");
    let body: serde_json::Value = res.json().await.unwrap();
    Seeded {
        token: body["token"].as_str().unwrap().to_string(),
    }
}

fn body(n: u64) -> serde_json::Value {
    serde_json::json!({
        "pupil_name": format!("Bench Pupil {}", n % 200),
        "tutor_group": "9B",
        "incident_date": null,
        "category": if n.is_multiple_of(5) { "self-harm" } else { "online-bullying" },
        "child_at_risk": false,
        "about_headteacher": false,
        "details": format!(
            "Pupil {n} was sent unkind messages in a group chat after school; a friend \
             showed the form tutor screenshots at registration and the pupil was upset."
        ),
        "actions_outcome": "Spoke to the pupil; screenshots kept; parents to be called.",
        "location": "online_at_home",
        "platform": "WhatsApp",
        "other_pupils": []
    })
}

/// `clients` tasks POSTing for `seconds`, spread over `ports`; the
/// latency of every 201.
fn log_for(
    rt: &tokio::runtime::Runtime,
    ports: &[u16],
    token: &str,
    clients: usize,
    seconds: f64,
) -> Vec<Duration> {
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()
            .unwrap();
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let (client, stop) = (client.clone(), stop.clone());
                let url = format!(
                    "http://127.0.0.1:{}/api/v1/incidents",
                    ports[c % ports.len()]
                );
                let auth = format!("Bearer {token}");
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    let mut n = c as u64 * 1_000_000;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let t = Instant::now();
                        let res = client
                            .post(&url)
                            .header("authorization", &auth)
                            .json(&body(n))
                            .send()
                            .await
                            .unwrap();
                        let status = res.status();
                        let _ = res.bytes().await;
                        assert_eq!(status, 201, "logging answers 201");
                        times.push(t.elapsed());
                    }
                    times
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    })
}

/// SQLite's durable single-row commits a second, one connection, for
/// `seconds`.
fn sqlite_reference(path: &str, seconds: f64) -> f64 {
    let mut c = SqliteConnection::establish(path).unwrap();
    c.batch_execute(
        "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
    )
    .unwrap();
    let body = "x".repeat(1000);
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        n += 1;
        diesel::sql_query("INSERT INTO t (id, body) VALUES (?, ?)")
            .bind::<diesel::sql_types::Text, _>(uuid::Uuid::new_v4().to_string())
            .bind::<diesel::sql_types::Text, _>(&body)
            .execute(&mut c)
            .unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// PostgreSQL's single-row commits a second from `clients` connections.
fn postgres_reference(url: &str, clients: usize, seconds: f64) -> f64 {
    let mut c = PgConnection::establish(url).unwrap();
    c.batch_execute("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    let body = "x".repeat(1000);
    let started = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let body = &body;
                s.spawn(move || {
                    let mut c = PgConnection::establish(url).unwrap();
                    let mut n = 0u64;
                    while started.elapsed().as_secs_f64() < seconds {
                        n += 1;
                        diesel::sql_query("INSERT INTO t (id, body) VALUES ($1, $2)")
                            .bind::<diesel::sql_types::Text, _>(uuid::Uuid::new_v4().to_string())
                            .bind::<diesel::sql_types::Text, _>(body)
                            .execute(&mut c)
                            .unwrap();
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

/// Alternating rounds of safelog and the reference; prints one table row.
fn measure(
    label: &str,
    settings: &Settings,
    mut app: impl FnMut() -> Vec<Duration>,
    mut reference: impl FnMut() -> f64,
) {
    let (mut rates, mut refs, mut all) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..settings.rounds {
        let times = app();
        rates.push(times.len() as f64 / settings.seconds);
        all.extend(times);
        refs.push(reference());
    }
    all.sort();
    let at = |p: f64| ms(all[((all.len() - 1) as f64 * p).round() as usize]);
    let (a0, a50, a100) = median(rates);
    let (r0, r50, r100) = median(refs);
    println!(
        "| {label} | {a50:.0} ({a0:.0}–{a100:.0}) | {:.1} / {:.1} | {r50:.0} ({r0:.0}–{r100:.0}) | {:.2}× |",
        at(0.5),
        at(0.99),
        a50 / r50
    );
}

fn header() {
    println!(
        "| measure | safelog incidents/s, median (min–max) | latency p50 / p99 ms | reference rows/s | ratio |"
    );
    println!("|---|---|---|---|---|");
}

fn run_sqlite(settings: &Settings, rt: &tokio::runtime::Runtime) {
    let dir =
        std::env::temp_dir().join(format!("safelog-logging-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let pool = safelog::db::open(&url).unwrap();
    let (_, email) = seed(&pool);
    drop(pool);
    let port = start(&url, rt, &dir);
    let client = reqwest::Client::new();
    let seeded = rt.block_on(token(&client, port, &email));
    let reference = dir.join("reference.db").display().to_string();
    println!("SQLite ({})", dir.display());
    header();
    for &clients in &settings.clients {
        measure(
            &format!("logging, {clients} clients"),
            settings,
            || log_for(rt, &[port], &seeded.token, clients, settings.seconds),
            || sqlite_reference(&reference, settings.seconds),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn run_postgres(admin: &str, settings: &Settings, rt: &tokio::runtime::Runtime) {
    let name = format!("safelog_logging_{}", uuid::Uuid::new_v4().simple());
    let reference_name = format!("{name}_ref");
    let mut c = PgConnection::establish(admin).unwrap();
    for db in [&name, &reference_name] {
        diesel::sql_query(format!("CREATE DATABASE {db}"))
            .execute(&mut c)
            .unwrap();
    }
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    let url = format!("{base}/{name}");
    let reference = format!("{base}/{reference_name}");
    let dir =
        std::env::temp_dir().join(format!("safelog-logging-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let pool = safelog::db::open(&url).unwrap();
    let (_, email) = seed(&pool);
    drop(pool);
    let ports: Vec<u16> = (0..4).map(|_| start(&url, rt, &dir)).collect();
    let client = reqwest::Client::new();
    let seeded = rt.block_on(token(&client, ports[0], &email));
    println!("PostgreSQL");
    header();
    for instances in [1, 2, 4] {
        for &clients in &settings.clients {
            measure(
                &format!("logging, {clients} clients, {instances} instance(s)"),
                settings,
                || {
                    log_for(
                        rt,
                        &ports[..instances],
                        &seeded.token,
                        clients,
                        settings.seconds,
                    )
                },
                || postgres_reference(&reference, clients, settings.seconds),
            );
        }
    }
    for db in [&name, &reference_name] {
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut c)
            .unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let mut clients: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if clients.is_empty() {
        clients = vec![8, 32];
    }
    let env = |name: &str, default: f64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let settings = Settings {
        clients,
        seconds: env("SAFELOG_BENCH_SECONDS", 5.0),
        rounds: env("SAFELOG_BENCH_ROUNDS", 3.0) as usize,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("load before: {}", load());
    run_sqlite(&settings, &rt);
    match std::env::var("SAFELOG_BENCH_POSTGRES_URL") {
        Ok(admin) => run_postgres(&admin, &settings, &rt),
        Err(_) => println!("PostgreSQL: skipped (set SAFELOG_BENCH_POSTGRES_URL to include it)"),
    }
    println!("load after: {}", load());
}

/// The machine's load average, to read the figures by.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_string()
}
