//! The only file that branches on the backend. Everything here exists
//! because SQLite and PostgreSQL differ in a way diesel's MultiConnection
//! does not hide.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::Error as DieselError;

use super::AnyConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend(conn: &AnyConnection) -> Backend {
    match conn {
        AnyConnection::Sqlite(_) => Backend::Sqlite,
        AnyConnection::Postgres(_) => Backend::Postgres,
    }
}

/// A transaction for work that reads and then writes. On SQLite a plain
/// `BEGIN` upgrades its lock at the first write and fails with "database is
/// locked" under concurrency, whatever `busy_timeout` says; `BEGIN IMMEDIATE`
/// takes the write lock up front so concurrent writers queue instead.
/// Inside a transaction already (the group committer's batch, see
/// `db::writer`) it is a savepoint: its error undoes its own writes only.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    if in_transaction(conn)? {
        <AnyConnection as TransactionManager<AnyConnection>>::begin_transaction(conn)?;
    } else {
        begin_write(conn)?;
    }
    match f(conn) {
        Ok(value) => {
            <AnyConnection as TransactionManager<AnyConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The caller's error is the one worth reporting; a failed rollback
            // leaves the connection broken and r2d2 discards it.
            let _ =
                <AnyConnection as TransactionManager<AnyConnection>>::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Opens a write transaction that stays open across an await, for the
/// mail worker's mark (`mail/marks.rs`): [`write_transaction`]'s, without
/// the closure. End it with [`commit`] or [`rollback`].
pub fn begin_write(conn: &mut AnyConnection) -> Result<(), DieselError> {
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
    }
}

/// Whether the connection is inside a transaction.
pub fn in_transaction(conn: &mut AnyConnection) -> Result<bool, DieselError> {
    Ok(
        <AnyConnection as TransactionManager<AnyConnection>>::transaction_manager_status_mut(conn)
            .transaction_depth()?
            .is_some(),
    )
}

/// Commits what [`begin_write`] opened.
pub fn commit(conn: &mut AnyConnection) -> Result<(), DieselError> {
    <AnyConnection as TransactionManager<AnyConnection>>::commit_transaction(conn)
}

/// Rolls back what [`begin_write`] opened.
pub fn rollback(conn: &mut AnyConnection) -> Result<(), DieselError> {
    <AnyConnection as TransactionManager<AnyConnection>>::rollback_transaction(conn)
}

/// Makes writers that number a school's records take turns: PostgreSQL
/// locks the school's row until the transaction ends; SQLite's
/// `BEGIN IMMEDIATE` (see [`write_transaction`]) already allows one writer.
/// Call it first inside a [`write_transaction`].
pub fn lock_school(conn: &mut AnyConnection, school_id: &str) -> Result<(), DieselError> {
    use diesel::prelude::*;

    use super::schema::schools;
    match conn {
        AnyConnection::Postgres(c) => {
            schools::table
                .find(school_id)
                .select(schools::id)
                .for_update()
                .first::<String>(c)?;
            Ok(())
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// [`lock_school`] for a trust: writers that change a trust's shared
/// categories (each writes a row into every school of the trust) or number
/// its report's versions take turns.
pub fn lock_trust(conn: &mut AnyConnection, trust_id: &str) -> Result<(), DieselError> {
    use diesel::prelude::*;

    use super::schema::trusts;
    match conn {
        AnyConnection::Postgres(c) => {
            trusts::table
                .find(trust_id)
                .select(trusts::id)
                .for_update()
                .first::<String>(c)?;
            Ok(())
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// Lets this connection's commits return before they reach the disk. Only
/// for writes whose loss on a power cut costs nothing worse than doing
/// them again (the mail worker's "sent" marks: a lost mark means one email
/// sent twice). SQLite in WAL mode with `synchronous = NORMAL` still keeps
/// every commit through a crash of the process; PostgreSQL with
/// `synchronous_commit = off` through a crash of safelog, losing at most
/// the last moment of marks if the database server itself crashes.
/// On SQLite the connection also never checkpoints the WAL: a checkpoint
/// run by the commit that crosses the threshold copies pages and syncs
/// the file, milliseconds in which a kill repeats an email. The pool's
/// connections checkpoint instead. Nor does it wait long for another
/// writer (a tenth of a second, where the pool waits ten): the worker
/// writes its mark on its own thread and falls back to a pooled
/// connection off that thread rather than hold it.
pub fn quick_commits(conn: &mut AnyConnection) -> Result<(), DieselError> {
    use diesel::connection::SimpleConnection;
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(
            "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; PRAGMA busy_timeout = 100",
        ),
        AnyConnection::Postgres(c) => {
            c.batch_execute("SET synchronous_commit = off; SET lock_timeout = '100ms'")
        }
    }
}

/// A read-only transaction that sees one snapshot of the database from its
/// first query to its end, so that a long export and the count written to
/// the audit trail before it agree. PostgreSQL needs REPEATABLE READ for
/// that (READ COMMITTED sees each statement's own snapshot); SQLite in WAL
/// mode gives a deferred transaction's reads one snapshot already.
pub fn read_snapshot<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
        AnyConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    match f(conn) {
        Ok(value) => {
            <AnyConnection as TransactionManager<AnyConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            let _ =
                <AnyConnection as TransactionManager<AnyConnection>>::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// SQL for `incidents.counted_on` as `YYYY-MM`, so that a report groups a
/// term's incidents by month in the database (SQLite keeps dates as ISO
/// text). A fragment, for a GROUP BY that diesel's DSL cannot mix with
/// columns.
pub fn counted_month(conn: &AnyConnection) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => "substr(incidents.counted_on, 1, 7)",
        AnyConnection::Postgres(_) => "to_char(incidents.counted_on, 'YYYY-MM')",
    }
}

/// Hours from an incident being logged to its leadership acknowledgement,
/// as a double. NULL when it has not been acknowledged.
pub fn hours_to_acknowledge(
    conn: &AnyConnection,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Double> {
    diesel::dsl::sql(match conn {
        AnyConnection::Sqlite(_) => {
            "((julianday(incidents.lg_acknowledged_at) - julianday(incidents.logged_at)) * 24.0)"
        }
        AnyConnection::Postgres(_) => {
            "CAST(EXTRACT(EPOCH FROM (incidents.lg_acknowledged_at - incidents.logged_at)) / 3600.0 AS DOUBLE PRECISION)"
        }
    })
}

/// A condition on an incident row (as `incidents::store::visibility`
/// builds them).
pub type IncidentCondition = Box<
    dyn diesel::BoxableExpression<
        super::schema::incidents::table,
        super::MultiBackend,
        SqlType = diesel::sql_types::Bool,
    >,
>;

/// Incidents whose search text contains `lowered` (already lower-cased by
/// the application, as the search text is): exactly `search_text LIKE
/// '%lowered%'`, found through each backend's text index. On SQLite the
/// FTS5 trigram index `incidents_search` (kept in step by triggers) gives
/// the rows that may contain it, and the LIKE keeps exactly those that do;
/// on PostgreSQL the pg_trgm GIN index serves the LIKE itself. A trigram
/// index cannot narrow a search under three characters: those read every
/// row, as before.
pub fn search_text_contains(backend: Backend, lowered: &str) -> IncidentCondition {
    use diesel::dsl::sql;
    use diesel::prelude::*;
    use diesel::sql_types::{Bool, Text};

    use super::schema::incidents;
    let like = incidents::search_text
        .like(crate::pupils::store::contains_pattern(lowered))
        .escape('\\');
    match backend {
        Backend::Sqlite if lowered.chars().count() >= 3 => {
            // One FTS5 phrase: the trigram tokenizer matches it as a
            // substring. Quotes inside are doubled.
            let phrase = format!("\"{}\"", lowered.replace('"', "\"\""));
            Box::new(
                sql::<Bool>(
                    "incidents.search_rowid IN \
                     (SELECT rowid FROM incidents_search WHERE incidents_search MATCH ",
                )
                .bind::<Text, _>(phrase)
                .sql(")")
                .and(like),
            )
        }
        _ => Box::new(like),
    }
}

diesel::define_sql_function! {
    /// `coalesce(x, y)` on a condition, used only to hide it from SQLite's
    /// planner (see [`walk_newest_first`]).
    #[sql_name = "coalesce"]
    fn coalesce_bool(x: diesel::sql_types::Bool, y: diesel::sql_types::Bool) -> diesel::sql_types::Bool;
}

/// `condition` in a form that makes the planner read the list's index
/// newest first and test each row, rather than gather every matching row
/// through other indexes and sort them. For a search that matches many
/// rows the first page is then found after a few hundred rows instead of
/// sorting tens of thousands. SQLite plans an OR of indexed terms as a
/// union of index lookups whatever the ORDER BY and LIMIT; a function
/// around the condition stops that. PostgreSQL weighs the LIMIT itself.
pub fn walk_newest_first(backend: Backend, condition: IncidentCondition) -> IncidentCondition {
    match backend {
        Backend::Sqlite => Box::new(coalesce_bool(condition, false)),
        Backend::Postgres => condition,
    }
}

/// `(logged_at, id) < (at, id)`: the rows after a page's last one in the
/// list's order, as a row comparison that both backends turn into one
/// seek on the index `(school_id, logged_at, id)` (an OR of the two cases
/// would not be).
pub fn before_in_list(at: chrono::NaiveDateTime, id: &str) -> IncidentCondition {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text, Timestamp};
    Box::new(
        sql::<Bool>("(incidents.logged_at, incidents.id) < (")
            .bind::<Timestamp, _>(at)
            .sql(", ")
            .bind::<Text, _>(id.to_string())
            .sql(")"),
    )
}
