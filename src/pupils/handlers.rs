//! A pupil's chronology, the type-ahead, and the pupil-list upload.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;

use super::import::{self, RowProblem, Summary};
use super::{store, views};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::db::{self, dialect::write_transaction};
use crate::error::{ApiError, AppError};
use crate::incidents::Viewer;
use crate::state::AppState;
use crate::views::{page, page_with, Page};

/// Every incident involving the pupil that the viewer may read. The pupil
/// must be of the viewer's school; the opening is audited.
pub async fn chronology(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let viewer = Viewer::of(&user);
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let reader = user.clone();
    let (pupil, entries, transfers) = db::run(&state.pool, move |conn| {
        let pupil = store::in_school(conn, &viewer.school_id, &id)?.ok_or(AppError::NotFound)?;
        if !crate::incidents::store::known_pupils::knows(conn, &viewer, &pupil)? {
            return Err(AppError::NotFound);
        }
        let entries = crate::incidents::store::chronology(conn, &viewer, &pupil.id)?;
        audit::store::insert(
            conn,
            &Event::new("pupil_chronology_viewed", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("pupil", &pupil.id)
                .detail(format!("{} incidents shown", entries.len()))
                .ip(Some(&ip)),
        )?;
        // The child protection file sent or received: the DSL's (the
        // transfers feature, which stands on this one, draws it).
        let transfers = crate::transfers::handlers::pupil_card(conn, &reader, &pupil, now)?;
        Ok((pupil, entries, transfers))
    })
    .await?;
    let lead = user.roles.any(crate::auth::Role::LEADS);
    Ok(page(views::chronology(
        &Page::for_user("Pupil chronology", &user, &csrf),
        &pupil,
        &entries,
        lead,
        transfers,
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TypeaheadQuery {
    pub q: String,
}

/// `GET /api/v1/pupils?q=`: up to 20 pupils whose name contains `q`, for
/// the log form's type-ahead. Each search is audited (without its text).
pub async fn typeahead(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<TypeaheadQuery>,
) -> Result<HttpResponse, ApiError> {
    let q: String = query.q.trim().chars().take(100).collect();
    if q.chars().count() < 2 {
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "items": [] })));
    }
    let (school_id, user_id, ip, now) = (
        user.school_id.clone(),
        user.id.clone(),
        client_ip(&req),
        state.clock.now_naive(),
    );
    let viewer = Viewer::of(&user);
    let found = db::run(&state.pool, move |conn| {
        let found = crate::incidents::store::known_pupils::search(conn, &viewer, &q, 20)?;
        audit::store::insert(
            conn,
            &Event::new("pupils_searched", now)
                .school(&school_id)
                .actor(&user_id)
                .detail("type-ahead")
                .ip(Some(&ip)),
        )?;
        Ok(found)
    })
    .await?;
    let items: Vec<_> = found
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id,
                "name": p.name,
                "tutor_group": p.tutor_group,
                "year_group": p.year_group,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn upload_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let count = db::run(&state.pool, move |conn| Ok(store::count(conn, &school_id)?)).await?;
    Ok(page(views::upload(
        &Page::for_user("Pupils", &user, &csrf),
        count,
        None,
    )))
}

/// The largest pupil list accepted: a school of 3,000 is about 150 kB.
const MAX_FILE: usize = 2 * 1024 * 1024;

/// The uploaded file's bytes, or a message for the person.
async fn file_of(mut parts: Multipart) -> Result<Vec<u8>, String> {
    let mut file = None;
    while let Some(part) = parts.next().await {
        let mut part =
            part.map_err(|_| "Choose the pupil list (a CSV file) and upload it.".to_string())?;
        let is_file = part.content_disposition().and_then(|d| d.get_name()) == Some("file");
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| "The upload was interrupted; try again.".to_string())?;
            if bytes.len() + chunk.len() > MAX_FILE {
                return Err("The file is larger than 2 MB; is it the pupil list?".into());
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            file = Some(bytes);
        }
    }
    file.filter(|f| !f.is_empty())
        .ok_or_else(|| "Choose the pupil list (a CSV file) and upload it.".into())
}

pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    parts: Multipart,
) -> Result<HttpResponse, AppError> {
    let page_info = Page::for_user("Pupils", &user, &csrf);
    let school_id = user.school_id.clone();
    let refuse = |count: i64, outcome: Outcome| {
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::upload(&page_info, count, Some(&outcome)),
        )
    };
    let school = school_id.clone();
    let count = db::run(&state.pool, move |conn| Ok(store::count(conn, &school)?)).await?;
    let bytes = match file_of(parts).await {
        Ok(b) => b,
        Err(message) => {
            return Ok(refuse(
                count,
                Outcome::Problems(vec![RowProblem { line: 0, message }]),
            ))
        }
    };
    let rows = match import::parse(&bytes) {
        Ok(rows) => rows,
        Err(problems) => return Ok(refuse(count, Outcome::Problems(problems))),
    };
    let (actor, ip, now) = (user.id.clone(), client_ip(&req), state.clock.now_naive());
    let (summary, count) = db::run(&state.pool, move |conn| {
        let summary = write_transaction(conn, |conn| {
            let summary = import::apply(conn, &school_id, &rows, now)?;
            audit::store::insert(
                conn,
                &Event::new("pupils_imported", now)
                    .school(&school_id)
                    .actor(&actor)
                    .detail(format!("{}; via upload", summary.describe()))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(summary)
        })?;
        Ok((summary, store::count(conn, &school_id)?))
    })
    .await?;
    Ok(page(views::upload(
        &page_info,
        count,
        Some(&Outcome::Imported(summary)),
    )))
}

/// What an upload did, for the page.
pub enum Outcome {
    Imported(Summary),
    Problems(Vec<RowProblem>),
}
