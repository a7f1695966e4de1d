//! The test harness: `spawn_app` starts the real application on port 0 with a
//! fresh database of its own (a temporary SQLite file, or a new PostgreSQL
//! database when the test runs on PostgreSQL), and a fixed clock.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{TimeZone, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use safelog::app::Application;
use safelog::auth::Role;
use safelog::clock::Clock;
use safelog::config::{Config, Require2fa, Secret};
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
    /// Another school, in another trust, with its own people and an
    /// incident: every test runs beside it, so a leak across schools shows.
    /// `None` only from [`spawn_empty_app_with`].
    pub neighbour: Option<Neighbour>,
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

/// The token secret tests sign with, so they can also forge tokens.
pub const TEST_JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

/// An app where no one needs a second factor (most tests are not about it).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |c| c.require_2fa = Some(Require2fa::None)).await
}

/// Starts the app after letting the test adjust its configuration, beside
/// a neighbouring school in another trust.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut app = spawn_empty_app_with(backend, adjust).await;
    app.neighbour = Some(Neighbour::make(&app));
    app
}

/// The other school every test runs beside: its own trust, people in each
/// kind of role, a pupil and an incident.
#[derive(Clone, Debug)]
pub struct Neighbour {
    pub school_id: String,
    pub trust_id: String,
    pub dsl: TestUser,
    pub staff: TestUser,
    pub admin: TestUser,
    pub incident_id: String,
    pub pupil_id: String,
    pub category_id: String,
}

pub const NEIGHBOUR_SCHOOL: &str = "Neighbour School";
/// The neighbour's pupil: no page of the test school may ever show it.
pub const NEIGHBOUR_PUPIL: &str = "Nora Neighbour";

impl Neighbour {
    fn make(app: &TestApp) -> Neighbour {
        use safelog::incidents::forms::{Context, IncidentInput, NewIncident};
        use safelog::incidents::logging::{create, Origin, Provenance};
        use safelog::incidents::store::timeline::Author;
        let school_id = app.add_school(NEIGHBOUR_SCHOOL, "900001", Some("Neighbour Trust"));
        let trust_id = safelog::accounts::store::school(&mut app.conn(), &school_id)
            .unwrap()
            .trust_id
            .unwrap();
        let dsl = app.add_user_to(
            &school_id,
            "Nadia Neighbour-Dsl",
            &[Role::Dsl, Role::Headteacher],
        );
        let staff = app.add_user_to(&school_id, "Ned Neighbour-Staff", &[Role::Staff]);
        let admin = app.add_user_to(&school_id, "Nell Neighbour-Admin", &[Role::Admin]);
        let now = app.clock.now_naive();
        let mut conn = app.conn();
        let categories =
            safelog::categories::store::for_school(&mut conn, &school_id, now).unwrap();
        let input = IncidentInput {
            pupil_name: NEIGHBOUR_PUPIL.into(),
            tutor_group: "7N".into(),
            incident_date: "01/10/2025".into(),
            category: "online-bullying".into(),
            details: "Neighbour school's own incident".into(),
            ..IncidentInput::default()
        };
        let new = NewIncident::parse(
            &input,
            &Context {
                today: app.clock.today(),
                categories: &categories,
                current_category: None,
            },
        )
        .expect("the neighbour's incident parses");
        // Made as an import makes one: no alert, so no email of the
        // neighbour's reaches the tests' mail servers.
        let incident_id = safelog::db::dialect::write_transaction(&mut conn, |conn| {
            safelog::db::dialect::lock_school(conn, &school_id)?;
            create(
                conn,
                &school_id,
                &Author {
                    user_id: Some(staff.id.clone()),
                    initials: "NNS".into(),
                },
                &new,
                &Origin {
                    ip: None,
                    via: "api",
                },
                &Provenance::default(),
                now,
            )
        })
        .expect("the neighbour's incident is made");
        let pupil_id = {
            use diesel::prelude::*;
            use safelog::db::schema::incidents;
            incidents::table
                .find(&incident_id)
                .select(incidents::pupil_id)
                .first(&mut conn)
                .unwrap()
        };
        Neighbour {
            school_id,
            trust_id,
            dsl,
            staff,
            admin,
            incident_id,
            pupil_id,
            category_id: categories[0].id.clone(),
        }
    }
}

/// An empty deployment (no school, no account), where no one needs a
/// second factor.
pub async fn spawn_empty_app(backend: Backend) -> TestApp {
    spawn_empty_app_with(backend, |c| c.require_2fa = Some(Require2fa::None)).await
}

/// Starts the app with nothing in its database: for what happens on an
/// empty deployment (the setup link, the first account), or on a database
/// brought back from a backup.
pub async fn spawn_empty_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    init_log_capture();
    let db = TestDb::new(backend);
    let mut config = Config::for_database(db.url());
    config.jwt_secret = Some(Secret::new(TEST_JWT_SECRET));
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
        neighbour: None,
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

    pub fn conn(&self) -> safelog::db::DbConn {
        self.pool.get().expect("a database connection")
    }

    /// The test school, made on first use.
    pub fn school_id(&self) -> String {
        let mut conn = self.conn();
        let schools = safelog::accounts::store::all_schools(&mut conn).unwrap();
        match schools.into_iter().find(|s| s.name == "Test School") {
            Some(s) => s.id,
            None => {
                drop(conn);
                self.add_school("Test School", "100001", Some("Test Trust"))
            }
        }
    }

    /// Another school, with its URN, in the trust named (made on first use).
    pub fn add_school(&self, name: &str, urn: &str, trust: Option<&str>) -> String {
        use safelog::accounts::{model::Urn, store};
        let mut conn = self.conn();
        let now = self.clock.now_naive();
        let trust_id = trust.map(|t| match store::trust_by_name(&mut conn, t).unwrap() {
            Some(found) => found.id,
            None => store::create_trust(&mut conn, t, now).unwrap().id,
        });
        let urn = Urn::parse(urn).unwrap();
        store::add_school(
            &mut conn,
            &store::NewSchool {
                name,
                urn: Some(&urn),
                trust_id: trust_id.as_deref(),
            },
            now,
        )
        .unwrap()
        .id
    }

    /// Gives an existing account roles in another school: a second membership.
    pub fn add_membership(&self, user: &TestUser, school_id: &str, roles: &[Role]) {
        safelog::accounts::store::set_roles(&mut self.conn(), &user.id, school_id, roles).unwrap();
    }

    /// A new account in the test school with these roles.
    pub fn add_user(&self, name: &str, roles: &[Role]) -> TestUser {
        let school_id = self.school_id();
        self.add_user_to(&school_id, name, roles)
    }

    pub fn add_user_to(&self, school_id: &str, name: &str, roles: &[Role]) -> TestUser {
        let email = format!(
            "{}.{}@school.test",
            name.to_lowercase().replace(' ', "."),
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        let password = format!("{name} has a long password");
        let hash = safelog::auth::password::hash(&password).unwrap();
        let initials: String = name.split(' ').filter_map(|w| w.chars().next()).collect();
        let user = safelog::accounts::store::create_user(
            &mut self.conn(),
            &safelog::accounts::store::NewUser {
                school_id,
                email: &email,
                name,
                initials: &initials,
                password_hash: &hash,
                roles,
            },
            self.clock.now_naive(),
        )
        .unwrap();
        TestUser {
            id: user.id,
            email,
            password,
            school_id: school_id.to_string(),
        }
    }

    /// An API token from the real sign-in endpoint.
    pub async fn token(&self, user: &TestUser) -> String {
        let res = self
            .client
            .post(self.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"email": user.email, "password": user.password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "sign-in for {}", user.email);
        res.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A token for a fresh session made directly (no password hashing), for
    /// tests that need many.
    pub fn quick_token(&self, user: &TestUser) -> String {
        let mut conn = self.conn();
        let account = safelog::accounts::store::user(&mut conn, &user.id).unwrap();
        let school_id = safelog::auth::store::starting_school(&mut conn, &account).unwrap();
        let session = safelog::auth::store::create_session(
            &mut conn,
            &safelog::auth::store::NewSession {
                user: &account,
                school_id: &school_id,
                stage: "complete",
                ip: None,
                user_agent: None,
                at: self.clock.now_naive(),
            },
        )
        .unwrap();
        safelog::auth::tokens::Keys::from_secret(TEST_JWT_SECRET.as_bytes())
            .unwrap()
            .issue(&session, self.clock.now())
            .unwrap()
    }

    pub async fn get_with(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// A browser of its own: its own cookies, nothing shared with `client`.
    pub fn browser(&self) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Browser {
            client,
            jar,
            address: self.address.clone(),
        }
    }

    /// A browser signed in as `user` (no second factor in the way).
    pub async fn signed_in(&self, user: &TestUser) -> Browser {
        let b = self.browser();
        let res = b.sign_in(user).await;
        assert_eq!(res.status(), 303, "sign-in for {}", user.email);
        b
    }

    /// The neighbouring school's id, or one no row holds: for counting the
    /// rows a test made, whatever else the deployment holds.
    pub fn neighbour_id(&self) -> String {
        self.neighbour
            .as_ref()
            .map_or_else(|| uuid::Uuid::nil().to_string(), |n| n.school_id.clone())
    }

    /// Every audit event, oldest first: (action, actor, record id); the
    /// neighbouring school's own are left out.
    pub fn audit_actions(&self) -> Vec<(String, Option<String>, Option<String>)> {
        use diesel::prelude::*;
        use safelog::db::schema::audit_events::dsl::*;
        audit_events
            .filter(school_id.is_null().or(school_id.ne(self.neighbour_id())))
            .order((at.asc(), id.asc()))
            .select((action, actor_id, record_id))
            .load(&mut self.conn())
            .unwrap()
    }

    /// Every email in the outbox: (to, subject, body).
    pub fn outbox(&self) -> Vec<(String, String, String)> {
        use diesel::prelude::*;
        use safelog::db::schema::outbox::dsl::*;
        outbox
            .order((created_at.asc(), id.asc()))
            .select((to_address, subject, body))
            .load(&mut self.conn())
            .unwrap()
    }
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub school_id: String,
}

/// A browser: a cookie jar, forms sent with their CSRF token.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub address: String,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// The CSRF cookie's value, fetching a page first if there is none yet.
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.cookie("safelog_csrf") {
            return t;
        }
        self.get("/login").await;
        self.cookie("safelog_csrf").expect("a CSRF cookie")
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.address.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        let all = header.to_str().ok()?.to_string();
        all.split("; ")
            .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    /// Posts a form the way the page would: with its CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, user: &TestUser) -> reqwest::Response {
        self.post(
            "/login",
            &[("email", &user.email), ("password", &user.password)],
        )
        .await
    }
}

/// Where a redirect goes.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
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
