//! Alerts under `kill -9`: the real binary delivers a queue of emails to a
//! real SMTP server and is killed twenty times mid-delivery. Every email
//! arrives, and run alone, at most one arrives twice (the hardening
//! issue's goal; the assertion leaves room for a loaded machine).
//! Before the SMTP socket had Nagle's algorithm turned off, 15 of 20 kills
//! here repeated an email: see `mail/transport.rs`.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use safelog::mail::{self, NewMail};

use crate::helpers::{Backend, TestDb};
use crate::mail::{free_port, SmtpServer};

const EMAILS: usize = 1000;
const KILLS: usize = 20;

fn serve(db: &TestDb, data_dir: &std::path::Path, smtp_port: u16) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("serve")
        .env("SAFELOG_DATABASE_URL", db.url())
        .env("SAFELOG_DATA_DIR", data_dir)
        .env("SAFELOG_BIND", format!("127.0.0.1:{}", free_port()))
        .env("SAFELOG_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        // A claim left by a killed instance lapses after twice this, so
        // the last run can finish the queue within the test.
        .env("SAFELOG_MAIL_SEND_TIMEOUT_SECS", "3")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("safelog serve")
}

/// Messages received so far, counted by Message-ID.
fn by_message_id(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for m in smtp.received() {
        let id = m.header("Message-ID").expect("a Message-ID");
        *seen.entry(id).or_default() += 1;
    }
    seen
}

async fn twenty_kills_mid_delivery_lose_no_alert_and_repeat_at_most_one(backend: Backend) {
    let db = TestDb::new(backend);
    let data_dir = std::env::temp_dir()
        .join("safelog-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&data_dir).unwrap();
    let pool = safelog::db::connect(&db.url()).unwrap();
    safelog::db::migrate(&pool).unwrap();
    {
        let mut conn = pool.get().unwrap();
        let now = safelog::clock::Clock::system().now_naive();
        for n in 0..EMAILS {
            mail::enqueue(
                &mut conn,
                &NewMail {
                    school_id: None,
                    kind: "test_alert",
                    to: &format!("lead{n}@school.test"),
                    subject: "A new incident for you",
                    body: "Open safelog to read it.",
                },
                now,
            )
            .unwrap();
        }
    }
    let smtp_port = free_port();
    let smtp = SmtpServer::start_on(smtp_port);

    // Each run is killed once its mail is seen going out, after a
    // different few milliseconds, so the kills land at different points of
    // sending, as kills at random would; the last run finishes the queue.
    // (A kill at the very instant of the server's acceptance is the one
    // that repeats by design; none is aimed at it.)
    let mut killed_mid_delivery = 0;
    for k in 0..KILLS {
        let before = smtp.received().len();
        let mut child = serve(&db, &data_dir, smtp_port);
        let deadline = Instant::now() + Duration::from_secs(20);
        while smtp.received().len() == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(2 + (k as u64 * 7) % 40));
        child.kill().unwrap(); // SIGKILL: no shutdown, no cleanup
        child.wait().unwrap();
        if smtp.received().len() > before && by_message_id(&smtp).len() < EMAILS {
            killed_mid_delivery += 1;
        }
    }
    let mut child = serve(&db, &data_dir, smtp_port);
    let deadline = Instant::now() + Duration::from_secs(60);
    while by_message_id(&smtp).len() < EMAILS {
        assert!(
            Instant::now() < deadline,
            "only {} of {EMAILS} emails arrived",
            by_message_id(&smtp).len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let seen = by_message_id(&smtp);
    let repeats: usize = seen.values().map(|n| n - 1).sum();
    println!(
        "{backend:?}: {EMAILS} emails, {KILLS} kills ({killed_mid_delivery} mid-delivery), {repeats} repeated"
    );
    assert_eq!(seen.len(), EMAILS, "every email arrived");
    assert!(
        killed_mid_delivery >= KILLS / 2,
        "the kills should land while mail is going out ({killed_mid_delivery} of {KILLS} did): the test proves nothing otherwise"
    );
    // Every kill here lands mid-delivery, the worst case. What remains is
    // the server's reply and one commit (the mark is armed before the last
    // line, `mail/marks.rs`), which a kill can still fall between. Before
    // the socket fix it was 15 or 16; with the mark written after the
    // answer, 0 to 3 on SQLite; armed, six runs on a quiet machine repeated
    // 0 or 1 on SQLite (4 in 120 kills) and 0 to 2 on PostgreSQL (5 in
    // 120), and runs on a machine loaded 10 deep 0 to 3. Four leaves room
    // for a loaded machine and still fails if the mark goes back to after
    // the answer on another thread (up to 5) or the socket fix is lost.
    assert!(
        repeats <= 4,
        "{repeats} emails arrived twice after {KILLS} kills mid-delivery (now: 0 to 2 on a quiet machine; with the mark on another thread: up to 5; before the socket fix: 15)"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Its figure is a rate, and the rest of the suite running beside it
/// (other binaries, other tests' servers) slows the worker between the
/// server's acceptance and the mark, so it runs on its own: `.ci/run` runs
/// it after the suites, one test at a time.
mod twenty_kills_mid_delivery_lose_no_alert_and_repeat_at_most_one {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs alone: cargo test --test it mail_crash -- --include-ignored --test-threads=1"]
    async fn sqlite() {
        super::twenty_kills_mid_delivery_lose_no_alert_and_repeat_at_most_one(
            crate::helpers::Backend::Sqlite,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs alone, and needs SAFELOG_TEST_POSTGRES_URL: cargo test --test it mail_crash -- --include-ignored --test-threads=1"]
    async fn postgres() {
        super::twenty_kills_mid_delivery_lose_no_alert_and_repeat_at_most_one(
            crate::helpers::Backend::Postgres,
        )
        .await
    }
}

/// SQLite keeps the mark of an accepted email in a file beside the
/// database for the moment before it reaches the outbox (`mail/marks.rs`).
/// A crash in that moment leaves the mark there and the outbox row claimed
/// and unsent: the next start copies the mark and does not send it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_an_email_accepted_just_before_a_crash_is_marked_sent_at_restart_not_sent_again()
{
    use diesel::prelude::*;
    use safelog::db::schema::outbox;

    let db = TestDb::new(Backend::Sqlite);
    let data_dir = db.data_dir().expect("SQLite has a folder");
    let pool = safelog::db::connect(&db.url()).unwrap();
    safelog::db::migrate(&pool).unwrap();
    let now = safelog::clock::Clock::system().now_naive();
    let mut conn = pool.get().unwrap();
    let accepted = |to: &str, conn: &mut safelog::db::AnyConnection| {
        mail::enqueue(
            conn,
            &NewMail {
                school_id: None,
                kind: "test_alert",
                to,
                subject: "A new incident for you",
                body: "Open safelog to read it.",
            },
            now,
        )
        .unwrap()
    };
    let crashed = accepted("lead@school.test", &mut conn);
    let waiting = accepted("dsl@school.test", &mut conn);
    // What the killed instance left: its claim on the row (lapsed), and
    // the committed mark in the side file.
    diesel::update(outbox::table.find(&crashed))
        .set(outbox::claimed_until.eq(now - chrono::Duration::minutes(1)))
        .execute(&mut conn)
        .unwrap();
    let side = data_dir.join("safelog.db.mail-sent");
    let mut marks = diesel::SqliteConnection::establish(&side.display().to_string()).unwrap();
    diesel::sql_query(
        "CREATE TABLE sent_mail (id TEXT PRIMARY KEY NOT NULL, sent_at TIMESTAMP NOT NULL) WITHOUT ROWID",
    )
    .execute(&mut marks)
    .unwrap();
    diesel::sql_query("INSERT INTO sent_mail (id, sent_at) VALUES (?, ?)")
        .bind::<diesel::sql_types::Text, _>(&crashed)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .execute(&mut marks)
        .unwrap();
    drop(marks);

    let smtp_port = free_port();
    let smtp = SmtpServer::start_on(smtp_port);
    let mut child = serve(&db, &data_dir, smtp_port);
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.received().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other email going out shows the worker has had its first round.
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let sent_to: Vec<Vec<String>> = smtp.received().into_iter().map(|m| m.to).collect();
    assert_eq!(
        sent_to,
        [["dsl@school.test".to_string()]],
        "only the waiting email goes; the accepted one is not sent again"
    );
    let (crashed_sent, waiting_sent): (
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    ) = (
        outbox::table
            .find(&crashed)
            .select(outbox::sent_at)
            .first(&mut conn)
            .unwrap(),
        outbox::table
            .find(&waiting)
            .select(outbox::sent_at)
            .first(&mut conn)
            .unwrap(),
    );
    assert_eq!(
        crashed_sent,
        Some(now),
        "the mark reached the outbox with its time"
    );
    assert!(waiting_sent.is_some());
}
