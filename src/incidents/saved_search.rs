//! The incident list's typed search, kept on the server. A search box holds
//! free text and pupils' names, and whatever a GET form sends lands in the
//! address bar, the browser's history and every proxy's log. So the list's
//! filter form is a POST: the typed text (`q`, and `pupil` when it is a
//! name) is saved for [`LIFETIME_MINUTES`], for this session alone, and the
//! list's address carries its id (`/incidents?f=...`) with the chosen
//! filters (status, dates, ...), so paging, back and forward, and the
//! download link keep working. The API keeps plain query parameters: API
//! clients keep no history.

use serde::{Deserialize, Serialize};

use super::filters::ListQuery;
use super::store::searches::{self, NewSearch};
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;

/// How long a saved search lasts: a morning's work, not a term's.
pub const LIFETIME_MINUTES: i64 = 120;

/// The `f` of the list's address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchRef {
    pub f: String,
}

/// The typed part of a search.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Typed {
    q: String,
    pupil: String,
}

/// Whether `pupil` is an id (a link from a chronology) rather than a name.
fn is_pupil_id(pupil: &str) -> bool {
    uuid::Uuid::parse_str(pupil.trim()).is_ok()
}

/// The query without its typed text, as the address may carry it.
pub fn without_typed_text(query: &ListQuery) -> ListQuery {
    let mut q = query.clone();
    q.q.clear();
    if !is_pupil_id(&q.pupil) {
        q.pupil.clear();
    }
    q
}

/// Saves the typed text of `query`, if it has any; the id to put in the
/// address.
pub async fn save(
    state: &AppState,
    user: &CurrentUser,
    query: &ListQuery,
) -> Result<Option<String>, AppError> {
    let typed = Typed {
        q: query.q.trim().to_string(),
        pupil: if is_pupil_id(&query.pupil) {
            String::new()
        } else {
            query.pupil.trim().to_string()
        },
    };
    if typed.q.is_empty() && typed.pupil.is_empty() {
        return Ok(None);
    }
    let json = serde_json::to_string(&typed).map_err(AppError::internal)?;
    let now = state.clock.now_naive();
    let (school_id, user_id, session_id) = (
        user.school_id.clone(),
        user.id.clone(),
        user.session_id.clone(),
    );
    let id = db::run(&state.pool, move |conn| {
        Ok(searches::save(
            conn,
            &NewSearch {
                school_id: &school_id,
                user_id: &user_id,
                session_id: &session_id,
                typed: &json,
                expires_at: now + chrono::Duration::minutes(LIFETIME_MINUTES),
            },
            now,
        )?)
    })
    .await?;
    Ok(Some(id))
}

/// The list's query as the address gives it, with the saved search `f`
/// put back; the flag is true when `f` named a search that has expired
/// (or is another session's), which is then left out.
pub async fn apply(
    state: &AppState,
    user: &CurrentUser,
    from_address: &ListQuery,
    f: &str,
) -> Result<(ListQuery, bool), AppError> {
    let mut query = without_typed_text(from_address);
    let f = f.trim();
    if f.is_empty() {
        return Ok((query, false));
    }
    if f.len() > 64 || !f.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok((query, true));
    }
    let (id, user_id, session_id, now) = (
        f.to_string(),
        user.id.clone(),
        user.session_id.clone(),
        state.clock.now_naive(),
    );
    let saved = db::run(&state.pool, move |conn| {
        Ok(searches::load(conn, &id, &user_id, &session_id, now)?)
    })
    .await?;
    let Some(typed) = saved.and_then(|s| serde_json::from_str::<Typed>(&s).ok()) else {
        return Ok((query, true));
    };
    query.q = typed.q;
    if !typed.pupil.is_empty() {
        query.pupil = typed.pupil;
    }
    Ok((query, false))
}
