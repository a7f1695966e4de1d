//! The browser suite's harness: the real `safelog` binary on a free port
//! with a database of its own, Debian's chromedriver driving headless
//! Chromium, and a `Person` per user, each a browser of their own.
//!
//! Every page a person reaches is checked as it loads: axe-core finds no
//! WCAG 2.2 A or AA violation, and at 390 px wide nothing scrolls sideways.
//! When a journey fails, each browser's screenshot and HTML are saved under
//! `target/browser-failures/` and their paths printed.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{json, Value};

use crate::helpers::{Backend, TestDb};

/// The width a phone shows the pages at.
pub const PHONE_WIDTH: u32 = 390;
const DESKTOP: (u32, u32) = (1280, 1000);
const WAIT: Duration = Duration::from_secs(15);

/// A free port on loopback (the port is released for the binary to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn scratch(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("safelog-browser")
        .join(format!("{kind}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// What a process has printed so far, read by a thread as it comes.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<String>>);

impl Output {
    fn follow(&self, stream: impl std::io::Read + Send + 'static) {
        let out = self.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let mut text = out.0.lock().unwrap_or_else(|p| p.into_inner());
                text.push_str(&line);
                text.push('\n');
            }
        });
    }

    fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The real binary, started as the README says, on a database of its own.
pub struct Server {
    child: Child,
    pub base: String,
    stdout: Output,
    stderr: Output,
    pub data_dir: PathBuf,
    // Dropped after the server is stopped.
    db: TestDb,
}

impl Server {
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, &[]).await
    }

    /// The binary with some settings of a school's own (`SAFELOG_*`).
    pub async fn start_with(backend: Backend, settings: &[(&str, &str)]) -> Server {
        let db = TestDb::new(backend);
        let data_dir = scratch("data");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SAFELOG_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .arg("serve")
            .env("SAFELOG_DATABASE_URL", db.url())
            .env("SAFELOG_BIND", format!("127.0.0.1:{port}"))
            .env("SAFELOG_BASE_URL", &base)
            .env("SAFELOG_DATA_DIR", &data_dir)
            .env("RUST_LOG", "info")
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the safelog binary starts");
        let (stdout, stderr) = (Output::default(), Output::default());
        stdout.follow(child.stdout.take().expect("stdout"));
        stderr.follow(child.stderr.take().expect("stderr"));
        let server = Server {
            child,
            base,
            stdout,
            stderr,
            data_dir,
            db,
        };
        server.wait_until_ready().await;
        server
    }

    async fn wait_until_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = client
                .get(format!("{}/health/ready", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "safelog did not become ready:\n{}",
                self.stderr.text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The one-time setup link the first start prints on standard output.
    pub async fn setup_link(&self) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let out = self.stdout.text();
            if let Some(link) = out
                .split_whitespace()
                .find(|w| w.starts_with(&self.base) && w.contains("/setup/"))
            {
                return link.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no setup link printed; stdout:\n{out}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a `safelog` command against this server's database, as the IT
    /// technician does from a shell; returns what it printed.
    pub fn command(&self, args: &[&str], stdin: &str) -> String {
        use std::io::Write;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SAFELOG_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .args(args)
            .env("SAFELOG_DATABASE_URL", self.db.url())
            .env("SAFELOG_DATA_DIR", &self.data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the safelog binary runs");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("stdin");
        }
        let out = child.wait_with_output().expect("it finishes");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "safelog {args:?} failed:\n{text}");
        text
    }

    /// Ctrl-C, as a person stops it in a terminal; waits for it to exit.
    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-s", "INT", "--", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "safelog did not stop on Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The database the server runs on, for a journey that must set up
    /// what no page or command makes (a school as it was before a release).
    pub fn database_url(&self) -> String {
        self.db.url()
    }

    /// Everything the server has printed (its log, and the setup link).
    pub fn logs(&self) -> String {
        format!("{}{}", self.stdout.text(), self.stderr.text())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Debian's chromedriver on a free port, for the length of one test.
pub struct Driver {
    child: Child,
    url: String,
    clients: Arc<Mutex<Vec<(String, Client)>>>,
    profiles: PathBuf,
    pub downloads: PathBuf,
}

impl Driver {
    pub async fn start() -> Driver {
        let port = free_port();
        // A UK user's browser: dates in the order day, month, year.
        // Its own process group, so that the browsers it starts go with it.
        let child = Command::new(chromedriver())
            .process_group(0)
            .arg(format!("--port={port}"))
            .env("LANG", "en_GB.UTF-8")
            .env("LANGUAGE", "en_GB:en")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (apt-get install chromium chromium-driver)");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver {
            child,
            url,
            clients: Arc::default(),
            profiles: scratch("profiles"),
            downloads: scratch("downloads"),
        }
    }

    /// A new browser window with its own profile: its own cookies, history
    /// and cache, as a person on their own laptop.
    pub async fn person(&self, name: &str, server: &Server) -> Person {
        let profile = self.profiles.join(name.replace(' ', "-"));
        let caps: Capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-default-apps",
                    "--disable-features=Translate,MediaRouter,OptimizationHints",
                    "--lang=en-GB", "--hide-scrollbars",
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {
                    "intl.accept_languages": "en-GB",
                    "download.default_directory": self.downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "credentials_enable_service": false,
                    "profile.password_manager_enabled": false,
                },
            },
        }))
        .expect("capabilities");
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((name.to_string(), client.clone()));
        Person {
            name: name.to_string(),
            client,
            base: server.base.clone(),
        }
    }

    /// Runs a journey; if it fails, saves what every browser showed.
    pub async fn journey<F: std::future::Future<Output = ()>>(
        &self,
        name: &str,
        server: &Server,
        body: F,
    ) {
        // A step that hangs fails the journey with what each browser shows,
        // instead of stalling CI until its own limit.
        let limit = Duration::from_secs(
            std::env::var("SAFELOG_BROWSER_JOURNEY_SECS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(420),
        );
        let bounded = async move {
            if tokio::time::timeout(limit, body).await.is_err() {
                panic!("the journey did not finish within {limit:?}");
            }
        };
        let outcome = std::panic::AssertUnwindSafe(bounded).catch_unwind().await;
        if let Err(panic) = outcome {
            self.save_failure(name).await;
            let logs = server.logs();
            let tail: Vec<&str> = logs.lines().rev().take(60).collect();
            eprintln!(
                "browser failure: the server's last log lines:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
            std::panic::resume_unwind(panic);
        }
    }

    async fn save_failure(&self, journey: &str) {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("browser-failures")
            .join(journey);
        let _ = std::fs::create_dir_all(&dir);
        let clients = self
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for (who, client) in clients {
            let stem = dir.join(who.replace(' ', "-"));
            if let Ok(png) = client.screenshot().await {
                let path = stem.with_extension("png");
                if std::fs::write(&path, png).is_ok() {
                    eprintln!("browser failure: {who}'s screen: {}", path.display());
                }
            }
            if let Ok(html) = client.source().await {
                let path = stem.with_extension("html");
                if std::fs::write(&path, html).is_ok() {
                    eprintln!("browser failure: {who}'s page: {}", path.display());
                }
            }
            if let Ok(url) = client.current_url().await {
                eprintln!("browser failure: {who} was at {url}");
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver and every Chromium it started (a killed driver
        // leaves its browsers running). The group is named after `--`:
        // procps-ng 4.0's `kill -KILL -1234` reads only the first digit of
        // `-1234`, so a driver whose pid began with 1 became `kill(-1)`,
        // which ended every process on the machine (CI, PostgreSQL, all).
        let group = self.child.id();
        if group > 1 {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{group}")])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profiles);
        let _ = std::fs::remove_dir_all(&self.downloads);
    }
}

fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Every page the suite checked, for the summary a run prints.
pub static CHECKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// axe-core, as npm installed it beside this file (`npm ci` in tests/browser).
fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/browser/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run `npm ci --prefix tests/browser`",
                path.display()
            )
        })
    })
}

/// One person at their own browser.
pub struct Person {
    pub name: String,
    pub client: Client,
    base: String,
}

impl Person {
    /// Types an address into the bar (a path on the service, or a full URL).
    pub async fn open(&self, path_or_url: &str) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        self.client.goto(&url).await.expect("navigate");
        self.loaded().await;
    }

    /// The path (and query) the browser shows.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.client
            .execute("return document.body.innerText;", vec![])
            .await
            .expect("page text")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn sees(&self, words: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.text().await;
            if text.contains(words) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} expected to see {words:?} at {}; the page says:\n{text}",
                    self.name,
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn does_not_see(&self, words: &str) {
        let text = self.text().await;
        assert!(
            !text.contains(words),
            "{} should not see {words:?} at {}; the page says:\n{text}",
            self.name,
            self.path().await
        );
    }

    /// The form control a label names (the label's text starts with it).
    pub async fn field(&self, label: &str) -> fantoccini::elements::Element {
        let xpath = format!(
            "//label[starts-with(normalize-space(.), {})]",
            xpath_literal(label)
        );
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|_| panic!("{}: no field labelled {label:?}", self.name));
        if let Some(id) = found.attr("for").await.expect("label for") {
            return self
                .client
                .find(Locator::Id(&id))
                .await
                .unwrap_or_else(|_| panic!("label {label:?} points at no #{id}"));
        }
        found
            .find(Locator::Css("input, select, textarea"))
            .await
            .unwrap_or_else(|_| panic!("label {label:?} holds no control"))
    }

    /// Types into the field with this label, as a person does.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    /// Picks the option with this text in the select with this label.
    pub async fn select(&self, label: &str, option: &str) {
        self.field(label)
            .await
            .select_by_label(option)
            .await
            .unwrap_or_else(|_| panic!("{label:?} has no option {option:?}"));
    }

    /// Ticks the checkbox or radio button whose label says this.
    pub async fn tick(&self, label: &str) {
        let field = self.field(label).await;
        if !field.is_selected().await.expect("selected") {
            field.click().await.expect("tick");
        }
    }

    /// Clicks a button by its text and waits for the page it leads to.
    pub async fn press(&self, button: &str) {
        let xpath = format!(
            "//button[normalize-space(.)={0}] | //input[@type='submit' and @value={0}]",
            xpath_literal(button)
        );
        self.click_through(&xpath, &format!("button {button:?}"))
            .await;
    }

    /// Clicks the button a screen reader names this way (where several
    /// buttons share one visible word, such as "Open").
    pub async fn press_labelled(&self, label: &str) {
        let xpath = format!("//button[@aria-label={}]", xpath_literal(label));
        self.click_through(&xpath, &format!("button labelled {label:?}"))
            .await;
    }

    /// Follows a link by its text.
    pub async fn follow(&self, link: &str) {
        let xpath = format!("//a[normalize-space(.)={}]", xpath_literal(link));
        self.click_through(&xpath, &format!("link {link:?}")).await;
    }

    /// Waits for the element, clicks it, and waits for the page it leads to.
    async fn click_through(&self, xpath: &str, what: &str) {
        let el = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|_| panic!("{}: no {what}", self.name));
        self.navigating(|| async { el.click().await.expect("click") })
            .await;
    }

    /// Runs an action that loads a new page, and waits until it has.
    async fn navigating<F, Fut>(&self, action: F)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        self.client
            .execute("window.__safelogPage = true;", vec![])
            .await
            .expect("mark the page");
        action().await;
        let deadline = Instant::now() + WAIT;
        loop {
            let gone = self
                .client
                .execute(
                    "return window.__safelogPage !== true && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if gone {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}: the page did not change",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.loaded().await;
    }

    /// Checks the page that has just loaded: no accessibility violation, no
    /// sideways scrolling on a phone.
    async fn loaded(&self) {
        let path = self.path().await;
        self.axe(&path).await;
        self.labels_are_unambiguous(&path).await;
        self.fits_a_phone(&path).await;
        CHECKED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(page_name(&path));
    }

    async fn axe(&self, path: &str) {
        let present = self
            .client
            .execute("return typeof window.axe !== 'undefined';", vec![])
            .await
            .expect("axe check");
        if present != Value::Bool(true) {
            self.client
                .execute(axe_source(), vec![])
                .await
                .expect("inject axe-core");
        }
        let result = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, {runOnly: {type: 'tag', values:
                    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}})
                  .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help
                      + ' at ' + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', '))))
                  .catch(e => done(['axe failed: ' + e]));"#,
                vec![],
            )
            .await
            .expect("axe-core runs");
        let violations: Vec<String> = serde_json::from_value(result).unwrap_or_default();
        assert!(
            violations.is_empty(),
            "{}: accessibility violations at {path}:\n  {}",
            self.name,
            violations.join("\n  ")
        );
    }

    /// No id is used twice, so each label focuses its own field (axe no
    /// longer checks duplicate ids since WCAG 2.2 dropped 4.1.1, but a
    /// label pointing at another form's field is still wrong for everyone).
    async fn labels_are_unambiguous(&self, path: &str) {
        let dupes = self
            .client
            .execute(
                "const seen = {}, dupes = []; \
                 document.querySelectorAll('[id]').forEach(e => { \
                   if (seen[e.id]) { dupes.push(e.id); } seen[e.id] = true; }); \
                 return dupes;",
                vec![],
            )
            .await
            .expect("ids");
        assert_eq!(
            dupes,
            Value::Array(vec![]),
            "{}: ids used twice at {path}",
            self.name
        );
    }

    async fn fits_a_phone(&self, path: &str) {
        self.client
            .set_window_size(PHONE_WIDTH, 900)
            .await
            .expect("narrow the window");
        let widths = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .expect("widths");
        self.client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .expect("widen the window");
        let (scroll, inner) = (
            widths[0].as_i64().unwrap_or(0),
            widths[1].as_i64().unwrap_or(0),
        );
        assert!(
            scroll <= inner,
            "{}: at {PHONE_WIDTH} px {path} scrolls sideways ({scroll} px wide in a {inner} px window)",
            self.name
        );
    }

    /// A screenshot at this width, for a person to look at.
    pub async fn screenshot(&self, file: &str, width: u32) -> PathBuf {
        self.client
            .set_window_size(width, 1000)
            .await
            .expect("resize");
        // Let the page lay itself out again at the new width first: a
        // table caught mid-relayout showed its caption a letter a line.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        self.client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .expect("resize");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screens");
        std::fs::create_dir_all(&dir).expect("screens folder");
        let path = dir.join(file);
        std::fs::write(&path, png).expect("save screenshot");
        path
    }

    /// A screenshot at this width with the element `id` scrolled to the
    /// top, for a part of a long page a person must look at.
    pub async fn screenshot_of(&self, id: &str, file: &str, width: u32) -> PathBuf {
        self.client
            .set_window_size(width, 1000)
            .await
            .expect("resize");
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.client
            .execute(
                "document.getElementById(arguments[0]).scrollIntoView()",
                vec![serde_json::json!(id)],
            )
            .await
            .expect("scroll");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        self.client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .expect("resize");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screens");
        std::fs::create_dir_all(&dir).expect("screens folder");
        let path = dir.join(file);
        std::fs::write(&path, png).expect("save screenshot");
        path
    }

    /// The first element matching a CSS selector, once it exists.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("{}: nothing matches {css}", self.name))
    }
}

/// A page's name for the summary: its path with ids and tokens folded.
fn page_name(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|seg| {
            if seg.len() >= 16 || seg.chars().any(|c| c.is_ascii_digit()) && seg.len() > 4 {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// An XPath string literal for any text (XPath 1 has no escapes).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// Prints which pages were checked and how often, once per test binary run.
pub fn summary() -> String {
    let checked = CHECKED.lock().unwrap_or_else(|p| p.into_inner());
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in checked.iter() {
        *counts.entry(p.as_str()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(p, n)| format!("{n:>4}  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
