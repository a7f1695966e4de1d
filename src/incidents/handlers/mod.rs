//! The incident pages' handlers: each extracts, parses, calls the store or
//! a change through `db::run`, and renders.

pub mod correct;
pub mod list;
pub mod log;
pub mod record;

use actix_web::HttpRequest;

use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::categories::Category;
use crate::db;
use crate::error::AppError;
use crate::incidents::logging::Rejected;
use crate::incidents::store::timeline::Author;
use crate::incidents::viewer::Viewer;
use crate::state::AppState;

/// Who is asking, as the incident code needs them.
#[derive(Clone)]
pub struct Caller {
    pub viewer: Viewer,
    pub author: Author,
    pub ip: String,
}

impl Caller {
    pub fn new(user: &CurrentUser, req: &HttpRequest) -> Self {
        Self {
            viewer: Viewer::of(user),
            author: Author::of(user),
            ip: client_ip(req),
        }
    }
}

/// The school's categories (given the defaults first if it has none).
pub async fn categories(state: &AppState, school_id: &str) -> Result<Vec<Category>, AppError> {
    let (school_id, now) = (school_id.to_string(), state.clock.now_naive());
    db::run(&state.pool, move |conn| {
        Ok(crate::categories::store::for_school(conn, &school_id, now)?)
    })
    .await
}

/// Runs a change to incident `id` as `caller`, arriving by `via` (for the
/// audit trail), on the blocking pool. The outer error is the database's;
/// the inner one is the change's own refusal, for the caller to render.
pub async fn change<T, F>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    via: &'static str,
    f: F,
) -> Result<Result<T, Rejected>, AppError>
where
    F: FnOnce(
            &mut crate::db::AnyConnection,
            &Caller,
            &str,
            &crate::incidents::logging::Origin<'_>,
            chrono::NaiveDateTime,
        ) -> Result<T, Rejected>
        + Send
        + 'static,
    T: Send + 'static,
{
    let now = state.clock.now_naive();
    let (c, target) = (caller.clone(), id.to_string());
    db::run(&state.pool, move |conn| {
        let origin = crate::incidents::logging::Origin {
            ip: Some(&c.ip),
            via,
        };
        Ok(f(conn, &c, &target, &origin, now))
    })
    .await
}

/// A refusal that a page does not handle itself.
pub fn unexpected(r: Rejected) -> AppError {
    match r {
        Rejected::App(e) => e,
        Rejected::Invalid(_) => AppError::Invalid("Some fields need correcting.".into()),
        Rejected::Stale(_) => AppError::Conflict(
            "Someone else changed this record at the same time. Reload it and try again.".into(),
        ),
    }
}
