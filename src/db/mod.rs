//! The database: one [`AnyConnection`] type over SQLite and PostgreSQL, the
//! pool, the SQLite pragmas, the embedded migrations and [`run`], which moves
//! blocking diesel work off the async workers.

pub mod dialect;
pub mod schema;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

/// PostgreSQL comes first: SQLite accepts almost any string as a file name,
/// so it must not get the first try at a URL.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<AnyConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<AnyConnection>>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which database a URL names, and how diesel must be given it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Why the database could not be opened: each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unknown database URL scheme '{0}': use sqlite://PATH (or a plain path) or postgres://USER@HOST/DATABASE")]
    UnknownScheme(String),
    #[error("cannot write the data folder {folder}: {reason}; choose a writable folder in SAFELOG_DATABASE_URL or fix its permissions")]
    DataFolder { folder: String, reason: String },
    #[error("cannot open the SQLite database {path}: {reason}")]
    Sqlite { path: String, reason: String },
    #[error("cannot reach PostgreSQL at {place}: {reason}; check that the server is running and SAFELOG_DATABASE_URL is right")]
    Postgres { place: String, reason: String },
    #[error("cannot apply the database migrations: {0}")]
    Migrations(String),
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        let url = url.trim();
        if let Some((scheme, _)) = url.split_once("://") {
            match scheme.to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" => return Ok(Target::Postgres(url.to_string())),
                "sqlite" => {
                    return Ok(Target::Sqlite(PathBuf::from(&url["sqlite://".len()..])));
                }
                other => return Err(OpenError::UnknownScheme(other.to_string())),
            }
        }
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        Ok(Target::Sqlite(PathBuf::from(path)))
    }

    /// Where to show the user this database is, without a password.
    pub fn place(&self) -> String {
        match self {
            Target::Sqlite(path) => path.display().to_string(),
            Target::Postgres(url) => postgres_place(url),
        }
    }
}

/// `postgres://user:secret@host:5432/db` becomes `host:5432/db`.
fn postgres_place(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('?').next().unwrap_or(rest).to_string()
}

/// Sets SQLite's pragmas on every pooled connection (DESIGN.md item 7).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            // synchronous=FULL: NORMAL can lose a committed write on power loss.
            conn.batch_execute(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens the pool and applies pending migrations.
pub fn open(url: &str) -> Result<DbPool, OpenError> {
    let pool = connect(url)?;
    migrate(&pool)?;
    Ok(pool)
}

/// Opens the pool, creating the SQLite file's folder when needed.
pub fn connect(url: &str) -> Result<DbPool, OpenError> {
    let target = Target::parse(url)?;
    let manager_url = match &target {
        Target::Sqlite(path) => {
            prepare_sqlite_folder(path)?;
            // Establish once by hand: the pool would only say it timed out.
            // WAL is set here, once, because it is kept in the file: the
            // pool opens its connections together, and on a new file each
            // one switching to WAL could find the others holding the lock
            // ("ERROR database is locked" on a first start).
            let sqlite_error = |e: &dyn std::fmt::Display| OpenError::Sqlite {
                path: path.display().to_string(),
                reason: e.to_string(),
            };
            SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| sqlite_error(&e))?
                .batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
                .map_err(|e| sqlite_error(&e))?;
            path.to_string_lossy().into_owned()
        }
        Target::Postgres(url) => {
            PgConnection::establish(url).map_err(|e| OpenError::Postgres {
                place: target.place(),
                reason: first_line(&e.to_string()),
            })?;
            url.clone()
        }
    };
    let pool = Pool::builder()
        .max_size(if matches!(target, Target::Sqlite(_)) {
            8
        } else {
            10
        })
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(ConnectionManager::<AnyConnection>::new(manager_url))
        .map_err(|e| OpenError::Postgres {
            place: target.place(),
            reason: e.to_string(),
        })?;
    Ok(pool)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

fn prepare_sqlite_folder(path: &Path) -> Result<(), OpenError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |reason: String| OpenError::DataFolder {
        folder: folder.display().to_string(),
        reason,
    };
    std::fs::create_dir_all(&folder).map_err(|e| fail(e.to_string()))?;
    // Root may write anywhere but a read-only mount; probe for real.
    let probe = folder.join(format!(".safelog-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(e.to_string()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Applies the migrations this binary carries that the database lacks;
/// returns how many it applied.
pub fn migrate(pool: &DbPool) -> Result<usize, OpenError> {
    let mut conn = pool
        .get()
        .map_err(|e| OpenError::Migrations(e.to_string()))?;
    let applied = match &mut *conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        AnyConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    let applied = applied.map_err(|e| OpenError::Migrations(e.to_string()))?;
    if applied > 0 {
        // Pupils' name keys are made in Rust (NFC and case folding), so a
        // change to how they are made is brought to stored rows here.
        crate::pupils::store::rekey_names(&mut conn)
            .map_err(|e| OpenError::Migrations(e.to_string()))?;
    }
    Ok(applied)
}

/// Runs blocking database work on actix's blocking thread pool (never
/// `block_in_place`, which panics on actix workers).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(AppError::unavailable)?;
        f(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}

/// One connection outside the pool, with the pool's SQLite pragmas, for a
/// task that keeps a connection of its own (the mail worker marks each
/// email sent on one, so that marking never waits for a pooled one).
pub fn connect_one(url: &str) -> Result<AnyConnection, OpenError> {
    let target = Target::parse(url)?;
    let mut conn = match &target {
        Target::Sqlite(path) => {
            let c = SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| {
                OpenError::Sqlite {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }
            })?;
            AnyConnection::Sqlite(c)
        }
        Target::Postgres(url) => {
            let c = PgConnection::establish(url).map_err(|e| OpenError::Postgres {
                place: target.place(),
                reason: first_line(&e.to_string()),
            })?;
            AnyConnection::Postgres(c)
        }
    };
    SqlitePragmas
        .on_acquire(&mut conn)
        .map_err(|e| OpenError::Sqlite {
            path: target.place(),
            reason: e.to_string(),
        })?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            Target::parse("sqlite://data/safelog.db").unwrap(),
            Target::Sqlite("data/safelog.db".into())
        );
        assert_eq!(
            Target::parse("sqlite:///var/lib/safelog.db").unwrap(),
            Target::Sqlite("/var/lib/safelog.db".into())
        );
        assert_eq!(
            Target::parse("/tmp/x.db").unwrap(),
            Target::Sqlite("/tmp/x.db".into())
        );
        assert!(matches!(
            Target::parse("postgresql://u@h/db").unwrap(),
            Target::Postgres(_)
        ));
        let err = Target::parse("mysql://root@localhost/x").unwrap_err();
        assert!(err.to_string().contains("'mysql'"));
    }

    #[test]
    fn a_postgres_place_hides_the_password() {
        assert_eq!(
            postgres_place("postgres://admin:s3cret@db.example:5432/safelog?sslmode=require"),
            "db.example:5432/safelog"
        );
    }
}
