//! The test harness: `spawn_app` starts the real application on port 0 with a
//! fresh database of its own (a temporary SQLite file, or a new PostgreSQL
//! database when the test runs on PostgreSQL), and a fixed clock.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use chrono::{TimeZone, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use safelog::app::Application;
use safelog::clock::Clock;
use safelog::config::Config;
use safelog::db::DbPool;
use safelog::mail::MailWorker;

/// Runs a test body once on SQLite and once on PostgreSQL. The PostgreSQL
/// variant is ignored by a plain `cargo test`, which then says it did not
/// run; `.ci/run` runs it with `--ignored` and `SAFELOG_TEST_POSTGRES_URL`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: run with SAFELOG_TEST_POSTGRES_URL set and --ignored (.ci/run does)"]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is dropped after it.
pub enum TestDb {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir()
                    .join("safelog-tests")
                    .join(uuid::Uuid::new_v4().simple().to_string());
                std::fs::create_dir_all(&dir).expect("temporary folder");
                TestDb::Sqlite { dir }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("SAFELOG_TEST_POSTGRES_URL").expect(
                    "SAFELOG_TEST_POSTGRES_URL must name a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres",
                );
                let name = format!("safelog_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin_url).expect("PostgreSQL reachable");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                TestDb::Postgres { admin_url, name }
            }
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { dir } => format!("sqlite://{}", dir.join("safelog.db").display()),
            TestDb::Postgres { admin_url, name } => {
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
        }
    }

    pub fn data_dir(&self) -> Option<PathBuf> {
        match self {
            TestDb::Sqlite { dir } => Some(dir.clone()),
            TestDb::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn);
                }
            }
        }
    }
}

/// A running application and a client that keeps its cookies.
#[allow(dead_code)] // each test uses what it needs
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub pool: DbPool,
    pub clock: Clock,
    pub config: Config,
    /// The app's mail worker, to wake after enqueueing in a test.
    pub mail: MailWorker,
    server: actix_web::dev::ServerHandle,
    // Dropped last: the database outlives the server using it.
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and delivering; the database is dropped (with
        // FORCE) right after.
        self.mail.stop();
        drop(self.server.stop(false));
    }
}

/// The day tests start on: a Wednesday in the autumn term.
pub fn test_now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 12, 10, 30, 0)
        .single()
        .expect("valid date")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the app after letting the test adjust its configuration.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    init_log_capture();
    let db = TestDb::new(backend);
    let mut config = Config::for_database(db.url());
    config.data_dir = Some(
        db.data_dir()
            .unwrap_or_else(|| std::env::temp_dir().join("safelog-tests").join("pg-data")),
    );
    adjust(&mut config);
    let clock = Clock::fixed(test_now());
    let pool = safelog::db::open(&config.database_url).expect("database opens");
    let app = Application::build_with_pool(config.clone(), clock.clone(), pool.clone())
        .expect("application builds");
    let port = app.port();
    let mail = app.mail();
    let server = app.server();
    let handle = server.handle();
    tokio::spawn(server);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        pool,
        clock,
        config,
        mail,
        server: handle,
        db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

/// Everything every test's application has logged, for checking that no
/// secret or pupil's name reaches a log line. Tests share the process, so
/// look for a canary unique to the test.
pub fn captured_logs() -> String {
    let buf = LOGS.get_or_init(|| Mutex::new(Vec::new()));
    let guard = buf.lock().unwrap_or_else(|p| p.into_inner());
    String::from_utf8_lossy(&guard).into_owned()
}

static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let buf = LOGS.get_or_init(|| Mutex::new(Vec::new()));
        buf.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_log_capture() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_ansi(false)
            .with_writer(|| CaptureWriter)
            .try_init();
    });
}
