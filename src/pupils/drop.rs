//! The nightly pupil drop: the school's MIS (or Wonde) writes the whole
//! roll as a CSV file into a folder each night, and safelog imports the
//! newest file once. `SAFELOG_PUPIL_DROP` names the folder; each school has
//! a subfolder named by its URN (`/srv/mis-drop/123456/roll.csv`), so one
//! deployment serves a trust. The running server looks every few minutes
//! ([`spawn`]); `safelog pupils drop run` does the same from a script.
//!
//! A file is remembered by its name and SHA-256: the same file is never
//! imported twice, and a file written again under the same name with other
//! contents is a new file. Because the file is the whole roll, a pupil it no
//! longer names has left: they are marked as left (never deleted), unless
//! that would be more than a third of the roll, which looks like a partial
//! export and is refused. Rows that cannot be read are refused one by one
//! and reported on the admin page; the rest are imported.

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::import::{self, RollError, Summary};
use super::model::DropRun;
use super::store;
use crate::accounts::model::School;
use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::db::dialect::write_transaction;
use crate::db::{AnyConnection, DbPool};
use crate::error::AppError;

/// The largest drop file read: a school of 3,000 with every column is well
/// under 2 MB; a trust's whole roll in one school folder is not expected.
const MAX_FILE: u64 = 20 * 1024 * 1024;

/// What looking at one school's folder did.
#[derive(Debug)]
pub enum Outcome {
    /// No folder, or no file in it.
    NoFile,
    /// The newest file was imported (or refused) before.
    AlreadySeen(String),
    Imported {
        file: String,
        summary: Summary,
        refused_rows: usize,
    },
    Refused {
        file: String,
        reason: String,
    },
}

impl Outcome {
    /// One line for the command line and the log: counts, never a name.
    pub fn describe(&self) -> String {
        match self {
            Outcome::NoFile => "no file in the drop folder".into(),
            Outcome::AlreadySeen(f) => format!("{f}: imported before; nothing to do"),
            Outcome::Imported {
                file,
                summary,
                refused_rows,
            } => format!(
                "{file}: imported: {}; {refused_rows} row{} could not be read",
                summary.describe(),
                if *refused_rows == 1 { "" } else { "s" }
            ),
            Outcome::Refused { file, reason } => format!("{file}: {reason}"),
        }
    }
}

/// The school's folder under the drop: named by its URN. None for a school
/// without a URN (its settings page asks for one).
pub fn folder_for(root: &Path, school: &School) -> Option<PathBuf> {
    let urn = school.urn.as_deref()?;
    Some(root.join(urn))
}

/// The newest CSV file in `dir` (by modification time, then name): hidden
/// files and those still being written (`.tmp`, `.part`) are passed over.
pub fn newest_file(dir: &Path) -> std::io::Result<Option<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut best: Option<(std::time::SystemTime, String, PathBuf)> = None;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_csv = name.to_lowercase().ends_with(".csv");
        if name.starts_with('.') || !is_csv {
            continue;
        }
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified()?;
        let newer = best
            .as_ref()
            .is_none_or(|(m, n, _)| (modified, &name) > (*m, n));
        if newer {
            best = Some((modified, name, entry.path()));
        }
    }
    Ok(best.map(|(_, _, p)| p))
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Looks at the school's folder and imports its newest file if it is new.
/// `accept_leavers` takes a file even if it would mark more than a third of
/// the roll as left (and even if it was refused for that before).
pub fn run_school(
    conn: &mut AnyConnection,
    root: &Path,
    school: &School,
    now: NaiveDateTime,
    accept_leavers: bool,
) -> Result<Outcome, AppError> {
    let Some(dir) = folder_for(root, school) else {
        return Ok(Outcome::NoFile);
    };
    let path = newest_file(&dir).map_err(|e| {
        AppError::Invalid(format!(
            "cannot read the pupil drop folder {}: {e}",
            dir.display()
        ))
    })?;
    let Some(path) = path else {
        return Ok(Outcome::NoFile);
    };
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let bytes = if size > MAX_FILE {
        None
    } else {
        Some(
            std::fs::read(&path)
                .map_err(|e| AppError::Invalid(format!("cannot read {}: {e}", path.display())))?,
        )
    };
    let sha = bytes
        .as_deref()
        .map_or_else(|| format!("larger than 20 MB: {size} bytes"), sha256_hex);
    if store::drop_seen(conn, &school.id, &file, &sha, !accept_leavers)? {
        return Ok(Outcome::AlreadySeen(file));
    }
    let run = |outcome: &str, s: Summary, refused_rows: usize, message: Option<String>| DropRun {
        id: uuid::Uuid::new_v4().to_string(),
        school_id: school.id.clone(),
        file_name: file.clone(),
        file_sha256: sha.clone(),
        ran_at: now,
        outcome: outcome.into(),
        added: count(s.created),
        moved: count(s.moved),
        updated: count(s.updated),
        unchanged: count(s.unchanged),
        returned: count(s.returned),
        left_roll: count(s.left),
        refused_rows: count(refused_rows),
        message,
    };
    let refuse = |conn: &mut AnyConnection, reason: String| -> Result<Outcome, AppError> {
        write_transaction(conn, |conn| {
            store::record_drop_run(
                conn,
                &run("refused", Summary::default(), 0, Some(reason.clone())),
            )?;
            audit::store::insert(
                conn,
                &Event::new("pupil_drop_refused", now)
                    .school(&school.id)
                    .detail(reason.clone()),
            )?;
            Ok::<_, AppError>(())
        })?;
        Ok(Outcome::Refused {
            file: file.clone(),
            reason,
        })
    };
    let Some(bytes) = bytes else {
        return refuse(
            conn,
            "refused: the file is larger than 20 MB; is it the pupil list?".into(),
        );
    };
    let parsed = match import::read(&bytes) {
        Ok(p) => p,
        Err(problem) => return refuse(conn, format!("refused: {problem}")),
    };
    let refused_rows = parsed.problems.len();
    let message = (refused_rows > 0).then(|| {
        let lines: Vec<String> = parsed.problems.iter().map(ToString::to_string).collect();
        format!("Rows not imported: {}", lines.join("; "))
    });
    let applied = write_transaction(conn, |conn| {
        let summary = import::apply_roll(conn, &school.id, &parsed, now, accept_leavers)?;
        store::record_drop_run(
            conn,
            &run("imported", summary, refused_rows, message.clone()),
        )?;
        audit::store::insert(
            conn,
            &Event::new("pupils_imported", now)
                .school(&school.id)
                .detail(format!(
                    "{}; {refused_rows} rows refused; nightly drop",
                    summary.describe()
                )),
        )?;
        Ok::<_, RollError>(summary)
    });
    match applied {
        Ok(summary) => Ok(Outcome::Imported {
            file,
            summary,
            refused_rows,
        }),
        Err(e @ RollError::Suspect { .. }) => refuse(conn, e.describe()),
        Err(RollError::Db(e)) => Err(e.into()),
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// One school's part of a round: what looking at its folder did.
pub type SchoolRun = (School, Result<Outcome, AppError>);

/// Runs the drop for every school with a URN; a school whose folder fails
/// does not stop the others.
pub fn run_all(
    conn: &mut AnyConnection,
    root: &Path,
    now: NaiveDateTime,
) -> Result<Vec<SchoolRun>, AppError> {
    let schools = crate::accounts::store::all_schools(conn)?;
    Ok(schools
        .into_iter()
        .filter(|s| s.urn.is_some())
        .map(|s| {
            let outcome = run_school(conn, root, &s, now, false);
            (s, outcome)
        })
        .collect())
}

/// Looks at the drop folder every `every` while the server runs.
pub fn spawn(pool: DbPool, clock: Clock, root: PathBuf, every: StdDuration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no runtime: the pupil drop is not watched");
        return;
    };
    runtime.spawn(async move {
        loop {
            let (pool, root, now) = (pool.clone(), root.clone(), clock.now_naive());
            let round = tokio::task::spawn_blocking(move || {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                run_all(&mut conn, &root, now).map_err(|e| e.message())
            })
            .await;
            match round {
                Ok(Ok(runs)) => {
                    for (school, outcome) in runs {
                        match outcome {
                            Ok(Outcome::NoFile | Outcome::AlreadySeen(_)) => {}
                            // The file name and counts only: never a pupil.
                            Ok(o) => tracing::info!(school = %school.id, "pupil drop: {}", o.describe()),
                            Err(e) => tracing::warn!(school = %school.id, error = %e.message(), "pupil drop failed; will try again"),
                        }
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "pupil drop failed; will try again"),
                Err(e) => tracing::error!(error = %e, "pupil drop round failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
}
