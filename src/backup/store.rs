//! The SQL of a backup: SQLite's `VACUUM INTO`, which writes a consistent
//! copy of the database as one read transaction sees it (in WAL mode the
//! service goes on writing meanwhile), and `PRAGMA integrity_check` on a
//! copy before anyone relies on it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::SqliteConnection;

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Writes a copy of the database to `path`, which must not exist or be an
/// empty file (its mode is kept).
pub fn vacuum_into(conn: &mut SqliteConnection, path: &str) -> QueryResult<()> {
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path)
        .execute(conn)
        .map(|_| ())
}

/// SQLite's own check of every page and index: `Ok(())` when it says "ok",
/// else the first thing it found wrong.
pub fn integrity_check(conn: &mut SqliteConnection) -> QueryResult<Result<(), String>> {
    let lines: Vec<Line> = diesel::sql_query("PRAGMA integrity_check").load(conn)?;
    Ok(match lines.first() {
        Some(l) if lines.len() == 1 && l.integrity_check == "ok" => Ok(()),
        Some(l) => Err(l.integrity_check.clone()),
        None => Err("no answer".into()),
    })
}

/// How many incidents the database holds: whether a file is a safelog
/// database at all, and a figure to show.
pub fn incidents(conn: &mut SqliteConnection) -> QueryResult<i64> {
    diesel::sql_query("SELECT COUNT(*) AS n FROM incidents")
        .get_result::<Count>(conn)
        .map(|c| c.n)
}

/// Opens a database file on its own, waiting for a writer rather than
/// failing when the service is busy.
pub fn open(path: &std::path::Path) -> Result<SqliteConnection, String> {
    use diesel::connection::SimpleConnection;
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;")
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    Ok(conn)
}

/// Makes a copy one self-contained file (rollback journal, not WAL), so
/// that the backup is exactly one file to keep and move.
pub fn single_file(conn: &mut SqliteConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("PRAGMA journal_mode = DELETE;")
}

#[derive(QueryableByName)]
struct Hash {
    #[diesel(sql_type = Text)]
    sha256: String,
}

/// The SHA-256 of every file the database's incidents attach (those marked
/// entered in error too: they are hidden, not gone), but not those of
/// destroyed records, whose files retention has removed.
pub fn attachment_hashes(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<Hash> = diesel::sql_query(
        "SELECT DISTINCT sha256 FROM attachments WHERE incident_id NOT IN \
         (SELECT incident_id FROM retention_decisions WHERE decision = 'destroy') ORDER BY sha256",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|h| h.sha256).collect())
}
