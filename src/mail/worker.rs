//! The delivery worker: a task that claims one due outbox row at a time,
//! sends it over SMTP outside any transaction, then records the result on
//! the row before it claims the next.
//!
//! Delivery is at least once. A crash (or a lost database connection) after
//! the SMTP server has accepted an email but before it is marked sent
//! leaves the row claimed; when the claim lapses the email is sent again.
//! That single possible repeat is accepted: losing a safeguarding alert is
//! worse than sending it twice, and the repeat carries the same Message-ID.
//! The window is kept as narrow as it can be: one email is claimed at a
//! time (so only it can be in the window), its mark is written before its
//! last line goes and committed the moment the server answers (`marks.rs`),
//! on the worker's own task (no hand-over to another thread), and the SMTP
//! socket sends the last line at once (`transport.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use tokio::sync::Notify;

use super::marks::{Armed, Marks};
use super::store::{self, ClaimedMail};
use super::transport::Smtp;
use super::SetupError;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{AnyConnection, DbPool};

/// The wait after the first failed try; it doubles with each failure after.
const FIRST_RETRY_SECS: u64 = 5;
/// The back-off never exceeds this, whatever the configuration says: a wait
/// longer than a day would look to a school like mail that gave up.
const LONGEST_RETRY_SECS: u64 = 24 * 60 * 60;
/// SMTP error text is kept on the row; some servers answer at length.
const MAX_ERROR_CHARS: usize = 1000;

/// A handle on the delivery worker. Cloning it is cheap; the worker stops
/// when [`MailWorker::stop`] is called or when every handle is dropped
/// (the application's state holds one for the application's lifetime).
#[derive(Clone, Debug)]
pub struct MailWorker {
    shared: Arc<Shared>,
    enabled: bool,
}

#[derive(Debug, Default)]
struct Shared {
    wake: Notify,
    stop: AtomicBool,
}

impl MailWorker {
    /// Asks the worker to look for due emails now rather than at its next
    /// poll. Call it after the transaction that enqueued an email commits.
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// Stops the worker after the round it is in. An email being sent is
    /// finished first.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }

    /// Whether [`MailWorker::stop`] was called: the application is closing.
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.load(Ordering::Acquire)
    }

    /// Whether SMTP is configured; without it emails stay in the outbox.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
}

/// Starts the delivery worker on the current tokio runtime. Without
/// `SAFELOG_SMTP_URL` it starts nothing and returns a handle whose
/// [`MailWorker::wake`] does nothing: emails stay queued, listed as not
/// sent, until SMTP is configured and safelog restarted.
pub fn spawn(pool: DbPool, config: &Config, clock: Clock) -> Result<MailWorker, SetupError> {
    let shared = Arc::new(Shared::default());
    let url = config
        .smtp_url
        .as_ref()
        .map(|url| url.expose().trim())
        .filter(|url| !url.is_empty());
    let Some(url) = url else {
        tracing::warn!("SAFELOG_SMTP_URL is not set: emails are kept in the outbox and not sent");
        return Ok(MailWorker {
            shared,
            enabled: false,
        });
    };
    let smtp = Smtp::new(url, &config.mail_from, &config.base_url())?;
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| SetupError::NoRuntime)?;
    let worker = Arc::new(Worker {
        pool,
        marks: Arc::new(std::sync::Mutex::new(Marks::new(&config.database_url))),
        clock,
        smtp,
        poll: Duration::from_millis(config.mail_poll_ms.max(1)),
        retry_max_secs: config.mail_retry_max_secs,
        send_timeout: Duration::from_secs(config.mail_send_timeout_secs.max(1)),
    });
    runtime.spawn(run(worker, Arc::clone(&shared)));
    Ok(MailWorker {
        shared,
        enabled: true,
    })
}

struct Worker {
    pool: DbPool,
    /// Where "sent" marks are armed and committed; opened at the first.
    marks: Arc<std::sync::Mutex<Marks>>,
    clock: Clock,
    smtp: Smtp,
    poll: Duration,
    retry_max_secs: u64,
    /// The longest one email may take to send, start to finish.
    send_timeout: Duration,
}

impl Worker {
    /// How long a claim keeps other workers off a row: twice the send
    /// timeout, so a claim cannot lapse while its email is being sent.
    fn lease_secs(&self) -> i64 {
        i64::try_from(self.send_timeout.as_secs().saturating_mul(2)).unwrap_or(i64::MAX)
    }
}

async fn run(worker: Arc<Worker>, shared: Arc<Shared>) {
    tracing::info!(
        poll_ms = worker.poll.as_millis() as u64,
        "mail worker started"
    );
    // Only this task holds `shared` once every handle is gone.
    while !shared.stop.load(Ordering::Acquire) && Arc::strong_count(&shared) > 1 {
        // Each round is a task of its own so that a panic in it, which
        // should never happen, costs one round and not the worker.
        if let Err(e) = tokio::spawn(deliver_due(Arc::clone(&worker))).await {
            tracing::error!(error = %e, "a mail delivery round failed; the worker carries on");
        }
        // Real time, not the Clock: this only decides how often to look.
        // Whether an email is due is decided by the Clock in the query.
        let _ = tokio::time::timeout(worker.poll, shared.wake.notified()).await;
    }
    tracing::info!("mail worker stopped");
}

/// Delivers every email that is due now, one claim at a time: a claim
/// lapses for its own email only, and a crash can leave at most one email
/// sent but not marked.
async fn deliver_due(worker: Arc<Worker>) {
    worker.open_marks().await;
    worker.settle().await;
    loop {
        let now = worker.clock.now_naive();
        let lease_until = later(now, worker.lease_secs());
        let claimed = worker
            .db(move |conn| store::claim_due(conn, now, lease_until, 1))
            .await;
        match claimed.map(|mut c| c.pop()) {
            Ok(Some(mail)) => worker.deliver(mail).await,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "cannot claim due mail; will try again");
                return;
            }
        }
    }
}

impl Worker {
    async fn deliver(&self, mail: ClaimedMail) {
        // The time the mark records: taken as it is armed, a moment before
        // the server's acceptance.
        let now = self.clock.now_naive();
        let result = self.send(&mail, now).await;
        let attempts = mail.attempts.saturating_add(1);
        let id = mail.id;
        match result {
            Ok(armed) => match self.record_sent(&id, armed, now).await {
                Ok(()) => tracing::info!(mail_id = %id, attempts, "mail delivered"),
                // The at-least-once edge (see the module comment).
                Err(e) => tracing::error!(
                    mail_id = %id,
                    error = %e,
                    "mail delivered but not marked as sent; it will be sent again when its claim lapses"
                ),
            },
            // Every failure is retried, even a permanent SMTP refusal or a
            // malformed address: giving up would hide a safeguarding email,
            // while a retry at most every few minutes costs little and keeps
            // the email and its error listed until an administrator acts.
            Err(error) => {
                let now = self.clock.now_naive();
                let error = truncate(&error);
                let delay = retry_delay_secs(attempts, self.retry_max_secs);
                let next = later(now, i64::try_from(delay).unwrap_or(0));
                tracing::warn!(
                    mail_id = %id,
                    attempts,
                    retry_in_secs = delay,
                    error = %error,
                    "mail not delivered; will retry"
                );
                let row = id.clone();
                let recorded = self
                    .db(move |conn| store::record_failure(conn, &row, &error, now, next))
                    .await;
                if let Err(e) = recorded {
                    tracing::error!(
                        mail_id = %id,
                        error = %e,
                        "cannot record a failed delivery; will retry when its claim lapses"
                    );
                }
            }
        }
    }

    /// Sends one email, its mark armed between the envelope and the last
    /// line and committed as soon as the server accepts: the commit is all
    /// that stands between the acceptance and the mark.
    async fn send(&self, mail: &ClaimedMail, now: NaiveDateTime) -> Result<Armed, String> {
        let deadline = tokio::time::Instant::now() + self.send_timeout;
        let too_slow = || {
            format!(
                "the SMTP server did not finish within {} seconds",
                self.send_timeout.as_secs()
            )
        };
        let starting = self
            .smtp
            .start(&mail.id, &mail.to_address, &mail.subject, &mail.body);
        let outgoing = tokio::time::timeout_at(deadline, starting)
            .await
            .map_err(|_| too_slow())??;
        let armed = self
            .with_marks(|m| m.arm(&mail.id, now))
            .unwrap_or(Armed::No);
        let finished = tokio::time::timeout_at(deadline, outgoing.finish())
            .await
            .map_err(|_| too_slow())
            .and_then(|sent| sent);
        match finished {
            Ok(()) if armed == Armed::No => Ok(Armed::No),
            Ok(()) => match self.with_marks(Marks::commit) {
                Some(Ok(())) => Ok(armed),
                failed => {
                    tracing::warn!(mail_id = %mail.id, error = ?failed, "cannot commit the mail mark; marking the outbox instead");
                    Ok(Armed::No)
                }
            },
            Err(e) => {
                self.with_marks(Marks::disarm);
                Err(e)
            }
        }
    }

    /// Records an accepted email on its outbox row, where the committed
    /// mark is not that row already.
    async fn record_sent(&self, id: &str, armed: Armed, at: NaiveDateTime) -> Result<(), String> {
        if armed == Armed::Outbox {
            return Ok(());
        }
        let row = id.to_string();
        self.db(move |conn| store::mark_sent(conn, &row, at))
            .await?;
        if armed == Armed::Side {
            let ids = [id.to_string()];
            self.with_marks(|m| m.forget(&ids));
        }
        Ok(())
    }

    /// Copies to the outbox the side file's marks a crash left there, before
    /// anything is claimed, so that no accepted email is claimed again.
    async fn settle(&self) {
        let noted = self.with_marks(Marks::noted).unwrap_or_default();
        if noted.is_empty() {
            return;
        }
        let ids: Vec<String> = noted.iter().map(|(id, _)| id.clone()).collect();
        let copied = self
            .db(move |conn| {
                noted
                    .iter()
                    .try_for_each(|(id, at)| store::mark_sent(conn, id, *at))
            })
            .await;
        match copied {
            Ok(()) => {
                tracing::info!(
                    emails = ids.len(),
                    "marks of accepted mail copied to the outbox"
                );
                self.with_marks(|m| m.forget(&ids));
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot copy marks of accepted mail; will try again")
            }
        }
    }

    /// Opens the mark connection if it is not open, off the async threads.
    async fn open_marks(&self) {
        let marks = Arc::clone(&self.marks);
        let _ = tokio::task::spawn_blocking(move || {
            if let Ok(mut marks) = marks.lock() {
                marks.open();
            }
        })
        .await;
    }

    /// Runs `f` on the marks, here on the worker's task: each call is one
    /// short statement on a connection nothing else uses, and handing it to
    /// another thread would put a thread wake inside the window.
    fn with_marks<T>(&self, f: impl FnOnce(&mut Marks) -> T) -> Option<T> {
        self.marks.lock().ok().map(|mut marks| f(&mut marks))
    }

    /// Runs blocking diesel work off the async threads.
    async fn db<T, F>(&self, f: F) -> Result<T, String>
    where
        F: FnOnce(&mut AnyConnection) -> diesel::QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let work = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            f(&mut conn).map_err(|e| e.to_string())
        });
        match work.await {
            Ok(result) => result,
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The wait after the `attempts`-th failed try: 5 s, 10 s, 20 s … doubling,
/// never more than `max_secs` (nor a day).
pub(crate) fn retry_delay_secs(attempts: i32, max_secs: u64) -> u64 {
    // Past 2^20 × 5 s (two months) the doubling no longer matters; capping
    // the exponent keeps the shift from overflowing.
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    FIRST_RETRY_SECS
        .saturating_mul(1 << doublings)
        .min(max_secs)
        .min(LONGEST_RETRY_SECS)
}

/// `at` plus `secs`, saturating rather than panicking at the calendar's end.
fn later(at: NaiveDateTime, secs: i64) -> NaiveDateTime {
    TimeDelta::try_seconds(secs)
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(NaiveDateTime::MAX)
}

fn truncate(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((end, _)) => format!("{}…", &error[..end]),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_doubles_from_five_seconds_up_to_the_maximum() {
        let delays: Vec<u64> = (1..=8).map(|n| retry_delay_secs(n, 300)).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300]);
    }

    #[test]
    fn the_back_off_survives_absurd_attempt_counts_and_settings() {
        assert_eq!(retry_delay_secs(i32::MAX, 300), 300);
        assert_eq!(retry_delay_secs(0, 300), 5);
        assert_eq!(retry_delay_secs(-3, 300), 5);
        assert_eq!(retry_delay_secs(1_000, u64::MAX), LONGEST_RETRY_SECS);
        assert_eq!(retry_delay_secs(3, 0), 0);
    }

    #[test]
    fn a_long_error_is_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR_CHARS + 5);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(truncate("short"), "short");
    }

    #[test]
    fn later_saturates_instead_of_panicking() {
        assert_eq!(later(NaiveDateTime::MAX, 60), NaiveDateTime::MAX);
    }
}
