//! Group commit: one connection on its own thread takes every write
//! waiting for it and commits them together, in one durable transaction,
//! each inside its own savepoint.
//!
//! Why, on SQLite: it allows one writer at a time. Pooled connections that
//! all want to write wait for the lock by sleeping and retrying under
//! `busy_timeout`, so under load a writer can sleep long after the lock is
//! free (the p99 of logging was over a second at 32 clients), and every
//! write pays for its own sync of the WAL. Queued here, the writes run
//! back to back on one connection and share one sync: the more are
//! waiting, the more each commit carries.
//!
//! Why, on PostgreSQL: logging takes its school's lock (references are
//! numbered in turn) and holds it until its commit has flushed the WAL, so
//! one school's incidents were logged one flush at a time however many
//! instances served them. A batch takes each school's lock once and
//! flushes once for all its incidents. Batches lock their schools in
//! order of the key each write gives (its school), so two instances'
//! batches cannot wait for each other in a circle.
//!
//! No caller is answered before the commit that holds its write has
//! reached the disk (`synchronous = FULL` on SQLite, PostgreSQL's
//! default `synchronous_commit`), so an answered write survives a
//! `kill -9` as before (`tests/it/logging_crash.rs`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::result::Error as DieselError;

use super::dialect::{begin_write, commit, in_transaction, rollback, write_transaction};
use super::{connect_one, AnyConnection, OpenError};
use crate::error::AppError;

/// How many writes one commit carries at most: enough that a burst of
/// loggers is committed in two or three syncs, few enough that the first
/// in a batch is not kept waiting long by the last.
const MOST_AT_ONCE: usize = 64;

/// What a batch's commit came to, for each write in it: a message when it
/// failed (nothing in the batch was kept).
type Committed = Result<(), String>;
/// Sends a write's result to its caller once its batch has committed.
type Finish = Box<dyn FnOnce(Committed) + Send>;
/// A write: run on the batch's connection (`None` when the batch could not
/// start), it returns how to answer its caller.
type Run = Box<dyn FnOnce(Option<&mut AnyConnection>) -> Finish + Send>;

/// A write and the key that orders it within its batch.
struct Job {
    key: String,
    run: Run,
}

/// Where writes that should be committed together are sent.
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writing thread and its connection.
    pub fn start(url: &str) -> Result<Writer, OpenError> {
        let conn = connect_one(url)?;
        let (queue, jobs) = mpsc::channel();
        let url = url.to_string();
        std::thread::Builder::new()
            .name("safelog-writer".into())
            .spawn(move || commit_batches(conn, &url, &jobs))
            .map_err(|e| OpenError::Migrations(format!("cannot start the writer: {e}")))?;
        Ok(Writer { queue })
    }

    /// Runs `f` in a savepoint of a shared write transaction and answers
    /// once that has been committed: `f`'s own result, or an error when the
    /// commit failed. An error from `f` undoes `f`'s writes only. `key`
    /// orders the writes of a batch: the school whose lock `f` takes.
    pub async fn transaction<T, E, F>(&self, key: &str, f: F) -> Result<Result<T, E>, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DieselError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let run: Run = Box::new(move |conn| {
            let outcome = conn.map(|conn| write_transaction(conn, f));
            Box::new(move |committed: Committed| {
                let result = match (committed, outcome) {
                    (Ok(()), Some(outcome)) => Ok(outcome),
                    (Ok(()), None) => Err("the write did not run".to_string()),
                    (Err(e), _) => Err(e),
                };
                // The caller may have gone (a closed connection): nothing to tell.
                let _ = answer.send(result);
            })
        });
        self.queue
            .send(Job {
                key: key.to_string(),
                run,
            })
            .map_err(|_| AppError::unavailable("the writer has stopped"))?;
        match answered.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(e)) => Err(AppError::unavailable(e)),
            // Its job panicked: the batch was rolled back.
            Err(_) => Err(AppError::internal("a write failed unexpectedly")),
        }
    }
}

/// The writing thread: takes what is waiting, runs it, commits once, then
/// answers everyone in the batch. Ends when the service drops its writer.
fn commit_batches(mut conn: AnyConnection, url: &str, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MOST_AT_ONCE - 1));
        batch.sort_by(|a, b| a.key.cmp(&b.key));
        if let Err(e) = begin_write(&mut conn) {
            let message = e.to_string();
            tracing::error!(error = %message, "the writer could not begin a transaction");
            for job in batch {
                (job.run)(None)(Err(message.clone()));
            }
            conn = fresh(conn, url);
            continue;
        }
        let mut finishes = Vec::with_capacity(batch.len());
        let mut failed = None;
        for job in batch {
            if failed.is_some() {
                finishes.push((job.run)(None));
                continue;
            }
            match catch_unwind(AssertUnwindSafe(|| (job.run)(Some(&mut conn)))) {
                Ok(finish) => finishes.push(finish),
                // Its answer was dropped with it, so its caller hears of it.
                Err(_) => {
                    failed = Some("a write in the same batch failed unexpectedly".to_string())
                }
            }
        }
        let committed = match failed {
            Some(message) => Err(message),
            None => commit(&mut conn).map_err(|e| e.to_string()),
        };
        if let Err(message) = &committed {
            tracing::error!(error = %message, "the writer's batch was not committed");
            conn = roll_back_all(conn, url);
        }
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

/// Undoes the batch, savepoints and all; a connection that cannot is
/// replaced.
fn roll_back_all(mut conn: AnyConnection, url: &str) -> AnyConnection {
    for _ in 0..8 {
        match in_transaction(&mut conn) {
            Ok(false) => return conn,
            Ok(true) if rollback(&mut conn).is_ok() => {}
            _ => break,
        }
    }
    fresh(conn, url)
}

fn fresh(conn: AnyConnection, url: &str) -> AnyConnection {
    match connect_one(url) {
        Ok(new) => new,
        Err(e) => {
            tracing::error!(error = %e, "the writer could not reconnect; keeping its connection");
            conn
        }
    }
}
