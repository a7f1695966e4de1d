//! The "sent" mark of the email being sent: armed before the email's last
//! line goes to the server, committed the moment the server accepts it.
//!
//! Delivery is at least once. A crash between the server's acceptance and
//! the mark's commit sends the email again; that span is the window for a
//! repeat. Written after the answer (an UPDATE built, run and committed),
//! the mark left the window about a millisecond wide, and one `kill -9` in
//! ten to twenty repeated an email. Here the mark is written before the last
//! line, in a transaction left open, so the answer is followed only by
//! `COMMIT`. A crash before that commit rolls the mark back, and the email
//! is sent again: never lost.
//!
//! Where the open transaction lives differs by backend. PostgreSQL locks
//! only the outbox row, so the mark is the row itself, on a connection kept
//! for it. SQLite locks the whole database for one writer, and a slow
//! server's answer would hold up everyone logging an incident, so the mark
//! goes into a small file beside the database (`<database>.mail-sent`, one
//! table) and is copied to the outbox straight after; what a crash leaves
//! there is copied at the start of the next round (`worker.rs`).

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::store;
use crate::db::dialect::{begin_write, commit, quick_commits, rollback};
use crate::db::{connect_one, AnyConnection, Target};

/// Where a mark was armed, which says what is left to do once the server
/// has accepted the email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Armed {
    /// On the outbox row (PostgreSQL): the commit is the whole mark.
    Outbox,
    /// In the side file (SQLite): the outbox is written after the commit.
    Side,
    /// Nowhere (no connection): the outbox is written after the answer.
    No,
}

/// The connection marks are written on, and whether one is armed.
pub(crate) struct Marks {
    database_url: String,
    conn: Option<AnyConnection>,
    /// Whether `conn` is SQLite's side file rather than the database.
    side: bool,
    armed: bool,
}

impl Marks {
    pub(crate) fn new(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_string(),
            conn: None,
            side: false,
            armed: false,
        }
    }

    /// Opens the connection if it is not open; on failure marks are not
    /// armed, and the worker marks the outbox after the answer instead.
    /// Blocking: call it off the async threads.
    pub(crate) fn open(&mut self) {
        if self.conn.is_some() {
            return;
        }
        let opened = match Target::parse(&self.database_url) {
            Ok(Target::Postgres(url)) => connect_one(&url)
                .map_err(|e| e.to_string())
                .map(|conn| (conn, false)),
            Ok(Target::Sqlite(path)) => open_side_file(&side_path(&path)).map(|conn| (conn, true)),
            Err(e) => Err(e.to_string()),
        };
        match opened.and_then(|(mut conn, side)| {
            quick_commits(&mut conn).map_err(|e| e.to_string())?;
            Ok((conn, side))
        }) {
            Ok((conn, side)) => {
                self.conn = Some(conn);
                self.side = side;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the mail mark connection; marking after each answer instead")
            }
        }
    }

    /// Writes the mark for `id`, uncommitted.
    pub(crate) fn arm(&mut self, id: &str, now: NaiveDateTime) -> Armed {
        let side = self.side;
        let Some(conn) = self.conn.as_mut() else {
            return Armed::No;
        };
        let written = begin_write(conn).and_then(|()| {
            let written = if side {
                store::note_sent(conn, id, now)
            } else {
                store::mark_sent(conn, id, now)
            };
            if written.is_err() {
                let _ = rollback(conn);
            }
            written
        });
        match written {
            Ok(()) => {
                self.armed = true;
                if side {
                    Armed::Side
                } else {
                    Armed::Outbox
                }
            }
            Err(e) => {
                tracing::warn!(mail_id = %id, error = %e, "cannot arm the mail mark; marking after the answer instead");
                self.conn = None;
                Armed::No
            }
        }
    }

    /// Commits the armed mark: the server has accepted the email.
    pub(crate) fn commit(&mut self) -> Result<(), String> {
        if !std::mem::take(&mut self.armed) {
            return Err("no mark was armed".into());
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err("the mark connection is gone".into());
        };
        commit(conn).map_err(|e| {
            // Opened afresh next time: the connection may be what failed.
            self.conn = None;
            e.to_string()
        })
    }

    /// Rolls the armed mark back: the server did not accept the email.
    pub(crate) fn disarm(&mut self) {
        if !std::mem::take(&mut self.armed) {
            return;
        }
        if let Some(conn) = self.conn.as_mut() {
            if rollback(conn).is_err() {
                self.conn = None;
            }
        }
    }

    /// The side file's marks not yet copied to the outbox (none on
    /// PostgreSQL).
    pub(crate) fn noted(&mut self) -> Vec<(String, NaiveDateTime)> {
        match self.conn.as_mut() {
            Some(conn) if self.side => store::noted_sent(conn).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the mail mark file");
                Vec::new()
            }),
            _ => Vec::new(),
        }
    }

    /// Drops side-file marks the outbox now holds.
    pub(crate) fn forget(&mut self, ids: &[String]) {
        if let Some(conn) = self.conn.as_mut().filter(|_| self.side) {
            if let Err(e) = store::forget_noted(conn, ids) {
                // Harmless: copying a mark twice changes nothing.
                tracing::warn!(error = %e, "cannot clear the mail mark file");
            }
        }
    }
}

/// The side file beside a SQLite database: `safelog.db.mail-sent`.
fn side_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".mail-sent");
    database.with_file_name(name)
}

/// Opens (making it, owner-only, if new) the side file and its table.
fn open_side_file(path: &Path) -> Result<AnyConnection, String> {
    match crate::private_file::write_new(path, b"") {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot make {}: {e}", path.display())),
    }
    let mut conn =
        connect_one(&format!("sqlite://{}", path.display())).map_err(|e| e.to_string())?;
    store::create_sent_table(&mut conn).map_err(|e| e.to_string())?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_side_file_sits_beside_the_database() {
        assert_eq!(
            side_path(Path::new("/var/lib/safelog/safelog.db")),
            PathBuf::from("/var/lib/safelog/safelog.db.mail-sent")
        );
    }
}
