//! The outbox and its delivery worker, against a real SMTP server run by the
//! test itself (mailin-embedded on a free local port).

use std::collections::BTreeMap;
use std::io;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use mailin_embedded::{response, Handler, Response, Server};
use safelog::config::Secret;
use safelog::db::schema::{outbox, schools};
use safelog::mail::{self, NewMail};

use crate::helpers::{captured_logs, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

/// One message as the SMTP server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    /// Headers and body, with CRLF line ends as sent.
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.data.split_once("\r\n\r\n")?;
        let prefix = format!("{}: ", name.to_ascii_lowercase());
        head.split("\r\n")
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].to_string())
    }

    pub fn body(&self) -> String {
        let (_, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", ""));
        body.trim_end_matches("\r\n").replace("\r\n", "\n")
    }
}

/// Collects every message it accepts. mailin clones the handler for each
/// connection, so the inbox is shared and the message in progress is not.
#[derive(Clone, Default)]
struct Collector {
    inbox: Arc<Mutex<Vec<Received>>>,
    current: Option<(Vec<String>, Vec<u8>)>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some((to.to_vec(), Vec::new()));
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some((_, data)) = &mut self.current {
            data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some((to, data)) = self.current.take() {
            self.inbox.lock().unwrap().push(Received {
                to,
                data: String::from_utf8_lossy(&data).into_owned(),
            });
        }
        response::OK
    }
}

/// An SMTP server on 127.0.0.1. It runs until the test process ends.
pub struct SmtpServer {
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    pub fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("SMTP port free");
        let collector = Collector::default();
        let inbox = Arc::clone(&collector.inbox);
        let mut server = Server::new(collector);
        server.with_name("smtp.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            // Its error type is not Send; the test sees a failure as mail
            // that never arrives.
            let _ = server.serve();
        });
        Self { inbox }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }
}

/// A port nothing listens on (until a test starts a server there).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The app, with SMTP pointing at `port` and a short poll so tests that
/// move the clock do not wait long for the worker to look again.
pub async fn spawn_mail_app(
    backend: Backend,
    port: u16,
    adjust: impl FnOnce(&mut safelog::config::Config),
) -> TestApp {
    spawn_app_with(backend, |config| {
        config.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
        config.mail_poll_ms = 100;
        adjust(config);
    })
    .await
}

/// Polls `check` until it yields a value, for at most ten seconds.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn enqueue(app: &TestApp, school_id: Option<&str>, to: &str, subject: &str, body: &str) -> String {
    let mut conn = app.pool.get().unwrap();
    let id = mail::enqueue(
        &mut conn,
        &NewMail {
            school_id,
            kind: "test_alert",
            to,
            subject,
            body,
        },
        app.clock.now_naive(),
    )
    .unwrap();
    app.mail.wake();
    id
}

#[derive(Debug, Queryable)]
struct Row {
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
}

fn row(app: &TestApp, id: &str) -> Row {
    let mut conn = app.pool.get().unwrap();
    outbox::table
        .find(id)
        .select((
            outbox::attempts,
            outbox::last_error,
            outbox::next_attempt_at,
            outbox::sent_at,
        ))
        .first(&mut conn)
        .unwrap()
}

fn add_school(app: &TestApp) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let mut conn = app.pool.get().unwrap();
    diesel::insert_into(schools::table)
        .values((
            schools::id.eq(&id),
            schools::name.eq("Test Primary"),
            schools::created_at.eq(app.clock.now_naive()),
        ))
        .execute(&mut conn)
        .unwrap();
    id
}

async fn an_enqueued_email_is_delivered_over_smtp_with_its_recipient_subject_and_body(
    backend: Backend,
) {
    let port = free_port();
    let smtp = SmtpServer::start_on(port);
    let app = spawn_mail_app(backend, port, |_| {}).await;
    assert!(app.mail.is_enabled());

    let id = enqueue(
        &app,
        None,
        "dsl@school.example",
        "New incident logged",
        "An incident was logged.\nSign in to read it.",
    );

    let message = eventually("the email to arrive", || smtp.received().pop()).await;
    assert_eq!(message.to, ["dsl@school.example"]);
    assert_eq!(message.header("To").as_deref(), Some("dsl@school.example"));
    assert_eq!(
        message.header("Subject").as_deref(),
        Some("New incident logged")
    );
    assert!(message
        .header("From")
        .is_some_and(|from| from.contains("safelog@localhost")));
    assert!(message
        .header("Content-Type")
        .is_some_and(|t| t.starts_with("text/plain")));
    assert_eq!(
        message.header("Message-ID"),
        Some(format!("<{id}@localhost>"))
    );
    assert_eq!(
        message.body(),
        "An incident was logged.\nSign in to read it."
    );

    let sent = eventually("the row to be marked sent", || {
        let r = row(&app, &id);
        r.sent_at.is_some().then_some(r)
    })
    .await;
    assert_eq!(sent.sent_at, Some(app.clock.now_naive()));
    assert_eq!(sent.attempts, 1);
    assert_eq!(smtp.received().len(), 1);
}

async fn an_email_queued_during_an_smtp_outage_is_delivered_exactly_once_when_the_server_returns(
    backend: Backend,
) {
    let port = free_port();
    let app = spawn_mail_app(backend, port, |_| {}).await;
    let canary = format!("canary{}", uuid::Uuid::new_v4().simple());
    let id = enqueue(
        &app,
        None,
        "dsl@school.example",
        &format!("Subject {canary}"),
        &format!("Body {canary}"),
    );

    let failed = eventually("a failed attempt to be recorded", || {
        let r = row(&app, &id);
        (r.attempts >= 1).then_some(r)
    })
    .await;
    assert_eq!(
        failed.attempts, 1,
        "no retry before the back-off has passed"
    );
    assert!(failed.sent_at.is_none());
    let error = failed.last_error.expect("the SMTP error is recorded");
    assert!(!error.is_empty());
    assert!(!error.contains(&canary), "last_error holds the message");
    assert!(failed.next_attempt_at > app.clock.now_naive());

    let smtp = SmtpServer::start_on(port);
    app.clock.advance(chrono::Duration::minutes(10));
    app.mail.wake();

    eventually("the row to be marked sent", || {
        row(&app, &id).sent_at.is_some().then_some(())
    })
    .await;
    assert_eq!(smtp.received().len(), 1);
    // Several more polls, with the clock moved on again: still only one.
    app.clock.advance(chrono::Duration::minutes(10));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.received().len(), 1, "a delivered email was sent again");
    assert_eq!(row(&app, &id).attempts, 2);
    assert!(
        !captured_logs().contains(&canary),
        "a log line holds the subject or body"
    );
}

async fn the_back_off_doubles_up_to_the_configured_maximum_and_never_gives_up(backend: Backend) {
    let port = free_port(); // nothing listens: every try fails
    let app = spawn_mail_app(backend, port, |config| config.mail_retry_max_secs = 20).await;
    let id = enqueue(&app, None, "dsl@school.example", "Alert", "Body");

    let mut waits = Vec::new();
    for attempt in 1..=12 {
        let r = eventually("the next failed attempt", || {
            let r = row(&app, &id);
            (r.attempts >= attempt).then_some(r)
        })
        .await;
        assert_eq!(r.attempts, attempt);
        assert!(r.sent_at.is_none());
        assert!(r.last_error.is_some());
        let wait = r.next_attempt_at - app.clock.now_naive();
        assert!(wait <= chrono::Duration::seconds(20), "waited {wait}");
        waits.push(wait.num_seconds());
        app.clock.advance(wait);
        app.mail.wake();
    }
    assert_eq!(waits, [5, 10, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20]);
}

async fn two_workers_on_one_database_deliver_each_email_exactly_once(backend: Backend) {
    let port = free_port();
    let smtp = SmtpServer::start_on(port);
    let app = spawn_mail_app(backend, port, |_| {}).await;
    // A second instance: its own pool and worker on the same database.
    let other_pool = safelog::db::open(&app.config.database_url).unwrap();
    let other = mail::spawn(other_pool, &app.config, app.clock.clone()).unwrap();

    const N: usize = 40;
    {
        let mut conn = app.pool.get().unwrap();
        let now = app.clock.now_naive();
        safelog::db::dialect::write_transaction(&mut conn, |conn| {
            for i in 0..N {
                mail::enqueue(
                    conn,
                    &NewMail {
                        school_id: None,
                        kind: "test_alert",
                        to: "dsl@school.example",
                        subject: &format!("Alert {i}"),
                        body: "Body",
                    },
                    now,
                )?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    }
    app.mail.wake();
    other.wake();

    eventually("every email to be marked sent", || {
        let mut conn = app.pool.get().unwrap();
        let unsent: i64 = outbox::table
            .filter(outbox::sent_at.is_null())
            .count()
            .get_result(&mut conn)
            .unwrap();
        (unsent == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for message in smtp.received() {
        *copies
            .entry(message.header("Subject").unwrap())
            .or_default() += 1;
    }
    assert_eq!(copies.len(), N, "some emails never arrived");
    assert!(
        copies.values().all(|&n| n == 1),
        "some emails arrived twice: {copies:?}"
    );
    other.stop();
}

async fn a_malformed_address_is_recorded_on_its_row_and_does_not_hold_up_other_mail(
    backend: Backend,
) {
    let port = free_port();
    let smtp = SmtpServer::start_on(port);
    let app = spawn_mail_app(backend, port, |_| {}).await;
    let school = add_school(&app);
    let bad = enqueue(&app, Some(&school), "not an address", "Alert", "Body");
    let good = enqueue(&app, Some(&school), "dsl@school.example", "Alert", "Body");

    eventually("the good email to be sent", || {
        row(&app, &good).sent_at.is_some().then_some(())
    })
    .await;
    let failed = eventually("the bad address to be recorded", || {
        let r = row(&app, &bad);
        (r.attempts >= 1).then_some(r)
    })
    .await;
    assert!(failed.sent_at.is_none());
    assert!(failed
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("invalid recipient address")));
    assert_eq!(smtp.received().len(), 1);

    let mut conn = app.pool.get().unwrap();
    let listed = mail::undelivered(&mut conn, &school, 10).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, bad);
    assert_eq!(listed[0].to_address, "not an address");
    assert_eq!(listed[0].kind, "test_alert");
    assert_eq!(listed[0].attempts, 1);
    assert_eq!(listed[0].last_error, failed.last_error);
    let last = mail::last_delivery_error(&mut conn, &school)
        .unwrap()
        .expect("the failure is reported");
    assert_eq!(last.mail_id, bad);
    assert_eq!(Some(last.error), failed.last_error);
    assert_eq!(last.at, app.clock.now_naive());

    // Retried after the back-off, and still recorded rather than dropped.
    app.clock.advance(chrono::Duration::seconds(5));
    app.mail.wake();
    eventually("a second try", || {
        (row(&app, &bad).attempts >= 2).then_some(())
    })
    .await;
    assert!(row(&app, &bad).sent_at.is_none());
}

async fn without_smtp_emails_stay_queued_and_are_listed_as_not_sent(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.mail_poll_ms = 100).await;
    assert!(!app.mail.is_enabled());
    let school = add_school(&app);
    let other_school = add_school(&app);
    let id = enqueue(&app, Some(&school), "dsl@school.example", "Alert", "Body");
    enqueue(
        &app,
        Some(&other_school),
        "dsl@other.example",
        "Alert",
        "Body",
    );
    // Nothing to wait for but time: give a worker, were one running,
    // several polls to act.
    tokio::time::sleep(Duration::from_millis(400)).await;

    let mut conn = app.pool.get().unwrap();
    let listed = mail::undelivered(&mut conn, &school, 10).unwrap();
    assert_eq!(listed.len(), 1, "only this school's email is listed");
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].attempts, 0);
    assert_eq!(listed[0].last_error, None);
    assert_eq!(listed[0].created_at, app.clock.now_naive());
    assert_eq!(mail::last_delivery_error(&mut conn, &school).unwrap(), None);
}

async fn a_wake_delivers_without_waiting_for_the_next_poll(backend: Backend) {
    let port = free_port();
    let smtp = SmtpServer::start_on(port);
    // A poll far longer than the test's deadline: only the wake can do it.
    let app = spawn_mail_app(backend, port, |config| config.mail_poll_ms = 600_000).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // past the first round
    enqueue(&app, None, "dsl@school.example", "Alert", "Body");
    eventually("the email to arrive", || smtp.received().pop()).await;
}

on_both_backends!(
    an_enqueued_email_is_delivered_over_smtp_with_its_recipient_subject_and_body,
    an_email_queued_during_an_smtp_outage_is_delivered_exactly_once_when_the_server_returns,
    the_back_off_doubles_up_to_the_configured_maximum_and_never_gives_up,
    two_workers_on_one_database_deliver_each_email_exactly_once,
    a_malformed_address_is_recorded_on_its_row_and_does_not_hold_up_other_mail,
    without_smtp_emails_stay_queued_and_are_listed_as_not_sent,
    a_wake_delivers_without_waiting_for_the_next_poll,
);
