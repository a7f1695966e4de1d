//! The outbox table: writing an email in the caller's transaction, claiming
//! due emails for delivery, recording each attempt, and listing what has not
//! gone yet for administrators.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::dialect::write_transaction;
use crate::db::schema::outbox;
use crate::db::AnyConnection;

/// An email to send. Nothing here is checked: a bad address must not undo
/// the change that caused the email, so it is recorded on the row when
/// delivery is tried instead (see `worker.rs`).
#[derive(Clone, Copy, Debug)]
pub struct NewMail<'a> {
    /// The school the email is about, so only its administrators see it
    /// listed; `None` for deployment-wide mail.
    pub school_id: Option<&'a str>,
    /// What kind of email this is, such as `incident_alert`; shown to
    /// administrators instead of the subject.
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    /// Plain text.
    pub body: &'a str,
}

/// Writes one email to the outbox and returns its id. Call it inside the
/// transaction that makes the change the email reports, so the email exists
/// if and only if the change does; wake the worker after that transaction
/// commits. `now` comes from [`crate::clock::Clock::now_naive`].
pub fn enqueue(
    conn: &mut AnyConnection,
    mail: &NewMail<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(&id),
            outbox::school_id.eq(mail.school_id),
            outbox::kind.eq(mail.kind),
            outbox::to_address.eq(mail.to),
            outbox::subject.eq(mail.subject),
            outbox::body.eq(mail.body),
            outbox::created_at.eq(now),
            outbox::next_attempt_at.eq(now),
            outbox::attempts.eq(0),
        ))
        .execute(conn)?;
    Ok(id)
}

/// An email that has not been delivered yet, as an administrator sees it:
/// who it is for and why it has not gone, never its subject or body.
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct UndeliveredMail {
    pub id: String,
    pub kind: String,
    pub to_address: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub next_attempt_at: NaiveDateTime,
}

/// A school's emails that have not been delivered, the longest waiting
/// first. Emails without a school are not listed here.
pub fn undelivered(
    conn: &mut AnyConnection,
    school_id: &str,
    limit: i64,
) -> QueryResult<Vec<UndeliveredMail>> {
    outbox::table
        .filter(outbox::school_id.eq(school_id))
        .filter(outbox::sent_at.is_null())
        .order((outbox::created_at.asc(), outbox::id.asc()))
        .limit(limit)
        .select((
            outbox::id,
            outbox::kind,
            outbox::to_address,
            outbox::created_at,
            outbox::attempts,
            outbox::last_error,
            outbox::last_attempt_at,
            outbox::next_attempt_at,
        ))
        .load(conn)
}

/// The most recent failure among a school's undelivered emails.
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct DeliveryError {
    pub mail_id: String,
    pub at: NaiveDateTime,
    pub error: String,
}

/// Why mail for this school is not going out, if it is not: the latest
/// error among its undelivered emails. `None` when nothing is failing (all
/// delivered, or waiting for a first try).
pub fn last_delivery_error(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Option<DeliveryError>> {
    outbox::table
        .filter(outbox::school_id.eq(school_id))
        .filter(outbox::sent_at.is_null())
        // Both are set together by record_failure; filtering on both keeps
        // NULLs out of the sort, whose NULL order differs by backend.
        .filter(outbox::last_attempt_at.is_not_null())
        .filter(outbox::last_error.is_not_null())
        .order((outbox::last_attempt_at.desc(), outbox::id.desc()))
        .select((
            outbox::id,
            outbox::last_attempt_at.assume_not_null(),
            outbox::last_error.assume_not_null(),
        ))
        .first(conn)
        .optional()
}

/// An email this worker has claimed and may now try to deliver.
#[derive(Clone, Debug, Queryable)]
pub(crate) struct ClaimedMail {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// Tries before this one.
    pub attempts: i32,
}

/// Claims up to `limit` due emails until `lease_until`, so no other worker
/// takes them meanwhile; a crashed worker's claim simply runs out.
pub(crate) fn claim_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ClaimedMail>> {
    // The due query is written out per backend because only the PostgreSQL
    // statement type can take a locking clause; a macro keeps it one text.
    macro_rules! due_ids {
        () => {
            outbox::table
                .filter(outbox::sent_at.is_null())
                .filter(outbox::next_attempt_at.le(now))
                .filter(
                    outbox::claimed_until
                        .is_null()
                        .or(outbox::claimed_until.le(now)),
                )
                .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
                .limit(limit)
                .select(outbox::id)
        };
    }
    write_transaction(conn, |conn| {
        let ids: Vec<String> = match conn {
            // Several instances share one PostgreSQL: SKIP LOCKED lets each
            // take rows no other is claiming right now, rather than queue
            // behind them. A row claimed and committed by another instance
            // fails the claimed_until test when PostgreSQL rechecks it.
            // MultiConnection has no locking clause, hence the inner connection.
            AnyConnection::Postgres(pg) => due_ids!().for_update().skip_locked().load(pg)?,
            // SQLite has no row locks; write_transaction's BEGIN IMMEDIATE
            // already lets one claimer in at a time.
            AnyConnection::Sqlite(sqlite) => due_ids!().load(sqlite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set(outbox::claimed_until.eq(lease_until))
            .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
            .select((
                outbox::id,
                outbox::to_address,
                outbox::subject,
                outbox::body,
                outbox::attempts,
            ))
            .load(conn)
    })
}

/// Records a delivery. The `sent_at IS NULL` guard keeps the first
/// delivery's time if a lapsed claim let a second worker send it too.
pub(crate) fn mark_sent(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::sent_at.is_null()),
    )
    .set((
        outbox::sent_at.eq(now),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::last_attempt_at.eq(now),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Records a failed try and when to try again. `error` is the SMTP or
/// address error text, never the body. A row another worker has delivered
/// meanwhile is left as delivered.
pub(crate) fn record_failure(
    conn: &mut AnyConnection,
    id: &str,
    error: &str,
    now: NaiveDateTime,
    next_attempt_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::sent_at.is_null()),
    )
    .set((
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::last_error.eq(error),
        outbox::last_attempt_at.eq(now),
        outbox::next_attempt_at.eq(next_attempt_at),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

// The side file's one table (SQLite only; see `marks.rs`): the ids of
// emails the server has accepted, committed the moment it answers, before
// `outbox.sent_at` is written in the main database. Not in `schema.rs`:
// it is not in the main database.
diesel::table! {
    sent_mail (id) {
        id -> Text,
        sent_at -> Timestamp,
    }
}

/// Makes the side file's table, if it is new.
pub(crate) fn create_sent_table(conn: &mut AnyConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    // WITHOUT ROWID: the mark is one page written at commit, not two.
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS sent_mail (id TEXT PRIMARY KEY NOT NULL, sent_at TIMESTAMP NOT NULL) WITHOUT ROWID",
    )
}

/// Writes the side file's mark for one email, in the caller's open
/// transaction.
pub(crate) fn note_sent(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(sent_mail::table)
        .values((sent_mail::id.eq(id), sent_mail::sent_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// The side file's marks not yet copied to the outbox.
pub(crate) fn noted_sent(conn: &mut AnyConnection) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    sent_mail::table
        .select((sent_mail::id, sent_mail::sent_at))
        .order(sent_mail::id.asc())
        .load(conn)
}

/// Drops side-file marks once the outbox holds them.
pub(crate) fn forget_noted(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<()> {
    diesel::delete(sent_mail::table.filter(sent_mail::id.eq_any(ids))).execute(conn)?;
    Ok(())
}
