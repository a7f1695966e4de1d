//! A pupil's chronology (and their child identifier and NHS number), the
//! type-ahead, and the pupil-list upload with its dry run and the nightly
//! drop's runs.

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
/// must be of the viewer's school; the opening is audited. A pupil who has
/// left opens as before, marked as left.
pub async fn chronology(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let shown = chronology_page(&state, &req, &user, id.into_inner()).await?;
    Ok(page(shown.render(&Page::for_user(
        "Pupil chronology",
        &user,
        &csrf,
    ))))
}

/// Who may set a pupil's child identifier and NHS number on their page:
/// the DSL, who keeps the child's safeguarding record, and the DPO, who
/// answers for the accuracy of personal data.
pub const IDENTIFIER_EDITORS: &[crate::auth::Role] =
    &[crate::auth::Role::Dsl, crate::auth::Role::Dpo];

/// The pupil's page as `user` sees it: 404 for a pupil they may not know
/// of or are excluded from.
pub async fn chronology_page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    id: String,
) -> Result<views::Chronology, AppError> {
    let viewer = Viewer::of(user);
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    let reader = user.clone();
    // The administrator manages exclusions here and reads no incident.
    let reads = user.roles.iter().any(|r| r != crate::auth::Role::Admin);
    let manages = user.roles.any(super::exclusions::MANAGERS);
    let (pupil, entries, transfers, exclusions) = db::run(&state.pool, move |conn| {
        let pupil = super::exclusions::pupil_for(conn, &viewer, &id)?;
        let entries = if reads {
            crate::incidents::store::chronology(conn, &viewer, &pupil.id)?
        } else {
            Vec::new()
        };
        let exclusions = if manages {
            Some(super::exclusions::views::Panel {
                exclusions: super::exclusions::store::of_pupil(conn, &viewer.school_id, &pupil.id)?,
                staff: crate::accounts::store::people_with(
                    conn,
                    &viewer.school_id,
                    &crate::auth::Role::ALL.map(|r| r.as_str()),
                )?
                .into_iter()
                .map(|(id, name, _)| (id, name))
                .collect(),
                entry: None,
            })
        } else {
            None
        };
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
        Ok((pupil, entries, transfers, exclusions))
    })
    .await?;
    let editor = user.roles.any(IDENTIFIER_EDITORS);
    Ok(views::Chronology {
        pupil,
        entries,
        reads,
        exclusions,
        lead: user.roles.any(crate::auth::Role::LEADS) || editor,
        editor,
        transfers,
        identifiers: None,
    })
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

/// What the admin pupils page shows besides an upload's outcome: the roll's
/// size, how many have left, and the nightly drop's folder and recent runs.
pub struct Roll {
    pub count: i64,
    pub left: i64,
    /// The school's drop folder, when `SAFELOG_PUPIL_DROP` is set.
    pub drop_folder: Option<String>,
    /// Set but the school has no URN to name its folder.
    pub drop_needs_urn: bool,
    pub runs: Vec<super::model::DropRun>,
    /// The school's live exclusions with each pupil's name.
    pub exclusions: Vec<(super::exclusions::model::Exclusion, String)>,
    /// A search of the roll for a pupil's page: what was typed, and the
    /// pupils found.
    pub find: Option<(String, Vec<super::model::Pupil>)>,
}

async fn roll(state: &AppState, user: &CurrentUser) -> Result<Roll, AppError> {
    let school_id = user.school_id.clone();
    let excluded = user.excluded_pupils.clone();
    let root = state.config.pupil_drop.clone();
    db::run(&state.pool, move |conn| {
        let school = crate::accounts::store::school(conn, &school_id)?;
        let folder = root
            .as_deref()
            .and_then(|root| super::drop::folder_for(root, &school));
        Ok(Roll {
            count: store::count(conn, &school_id)?,
            left: store::count_left(conn, &school_id)?,
            drop_needs_urn: root.is_some() && folder.is_none(),
            drop_folder: folder.map(|f| f.display().to_string()),
            runs: store::recent_drop_runs(conn, &school_id, 10)?,
            // An administrator excluded from a pupil does not see who else is.
            exclusions: super::exclusions::store::live_in_school(conn, &school_id)?
                .into_iter()
                .filter(|(e, _)| !excluded.contains(&e.pupil_id))
                .collect(),
            find: None,
        })
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FindQuery {
    pub find: String,
}

/// `GET /admin/pupils`, with `?find=` a search of the roll: the way to a
/// pupil's page, where the administrator manages exclusions.
pub async fn upload_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    query: web::Query<FindQuery>,
) -> Result<HttpResponse, AppError> {
    let mut roll = roll(&state, &user).await?;
    let q: String = query.find.trim().chars().take(100).collect();
    if !q.is_empty() {
        let (school_id, excluded, typed) = (
            user.school_id.clone(),
            user.excluded_pupils.clone(),
            q.clone(),
        );
        let found = db::run(&state.pool, move |conn| {
            Ok(store::search(conn, &school_id, &typed, 200)?
                .into_iter()
                .filter(|p| p.on_roll_at.is_some() && !excluded.contains(&p.id))
                .take(20)
                .collect::<Vec<_>>())
        })
        .await?;
        roll.find = Some((q, found));
    }
    Ok(page(views::upload(
        &Page::for_user("Pupils", &user, &csrf),
        &roll,
        None,
    )))
}

/// The largest pupil list accepted: a school of 3,000 is about 150 kB.
const MAX_FILE: usize = 2 * 1024 * 1024;

/// The uploaded file's bytes and whether only a dry run was asked for (the
/// "Check only" button), or a message for the person.
async fn file_of(mut parts: Multipart) -> Result<(Vec<u8>, bool), String> {
    let mut file = None;
    let mut dry_run = false;
    while let Some(part) = parts.next().await {
        let mut part =
            part.map_err(|_| "Choose the pupil list (a CSV file) and upload it.".to_string())?;
        let field = part
            .content_disposition()
            .and_then(|d| d.get_name())
            .map(str::to_string);
        let is_file = field.as_deref() == Some("file");
        dry_run |= field.as_deref() == Some("dry_run");
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
        .map(|f| (f, dry_run))
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
    let before = roll(&state, &user).await?;
    let refuse = |outcome: Outcome| {
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::upload(&page_info, &before, Some(&outcome)),
        )
    };
    let (bytes, dry_run) = match file_of(parts).await {
        Ok(b) => b,
        Err(message) => {
            return Ok(refuse(Outcome::Problems(vec![RowProblem {
                line: 0,
                message,
            }])))
        }
    };
    if dry_run {
        let parsed = match import::read(&bytes) {
            Ok(p) => p,
            Err(problem) => return Ok(refuse(Outcome::Problems(vec![problem]))),
        };
        let (school, now) = (school_id.clone(), state.clock.now_naive());
        let rows = parsed.rows.clone();
        let would = db::run(&state.pool, move |conn| {
            import::would_apply(conn, &school, &rows, now)
        })
        .await?;
        return Ok(page(views::upload(
            &page_info,
            &before,
            Some(&Outcome::DryRun(Box::new((parsed, would)))),
        )));
    }
    let rows = match import::parse(&bytes) {
        Ok(rows) => rows,
        Err(problems) => return Ok(refuse(Outcome::Problems(problems))),
    };
    let (actor, ip, now) = (user.id.clone(), client_ip(&req), state.clock.now_naive());
    let school = school_id.clone();
    let summary = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let summary = import::apply(conn, &school, &rows, now)?;
            audit::store::insert(
                conn,
                &Event::new("pupils_imported", now)
                    .school(&school)
                    .actor(&actor)
                    .detail(format!("{}; via upload", summary.describe()))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(summary)
        })
    })
    .await?;
    let after = roll(&state, &user).await?;
    Ok(page(views::upload(
        &page_info,
        &after,
        Some(&Outcome::Imported(summary)),
    )))
}

/// What an upload did, for the page.
pub enum Outcome {
    Imported(Summary),
    Problems(Vec<RowProblem>),
    /// "Check only": the file as read, and what importing it would do.
    DryRun(Box<(import::Parsed, Summary)>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdentifiersForm {
    pub child_identifier: String,
    pub nhs_number: String,
}

/// `POST /pupils/{id}/identifiers`: the pupil's child identifier and NHS
/// number, set or cleared (blank) by the DSL or the DPO. A wrong NHS number
/// shows the page again with what to fix and the typed text kept.
pub async fn set_identifiers(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<IdentifiersForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let ci = match form.child_identifier.trim() {
        "" => Ok(None),
        v => super::model::child_identifier(v).map(Some),
    };
    let nhs = match form.nhs_number.trim() {
        "" => Ok(None),
        v => super::model::nhs_number(v)
            .map(Some)
            .map_err(|e| format!("The NHS number: {e}.")),
    };
    let viewer = Viewer::of(&user);
    let (ip, now, id) = (client_ip(&req), state.clock.now_naive(), id.into_inner());
    match (ci, nhs) {
        (Ok(ci), Ok(nhs)) => {
            let target = id.clone();
            db::run(&state.pool, move |conn| {
                let pupil = store::in_school(conn, &viewer.school_id, &target)?
                    .ok_or(AppError::NotFound)?;
                if !crate::incidents::store::known_pupils::knows(conn, &viewer, &pupil)? {
                    return Err(AppError::NotFound);
                }
                write_transaction(conn, |conn| {
                    store::set_identifiers(
                        conn,
                        &viewer.school_id,
                        &pupil.id,
                        ci.as_deref(),
                        nhs.as_deref(),
                        now,
                    )?;
                    audit::store::insert(
                        conn,
                        &Event::new("pupil_identifiers_changed", now)
                            .school(&viewer.school_id)
                            .actor(&viewer.user_id)
                            .record("pupil", &pupil.id)
                            .detail(format!(
                                "child identifier {}, NHS number {}",
                                if ci.is_some() { "set" } else { "blank" },
                                if nhs.is_some() { "set" } else { "blank" }
                            ))
                            .ip(Some(&ip)),
                    )?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", format!("/pupils/{id}")))
                .finish())
        }
        (ci, nhs) => {
            let problems: Vec<String> = [ci.err(), nhs.err()].into_iter().flatten().collect();
            let mut shown = chronology_page(&state, &req, &user, id).await?;
            shown.identifiers = Some(views::IdentifiersEntry {
                child_identifier: form.child_identifier,
                nhs_number: form.nhs_number,
                problems,
            });
            Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                shown.render(&Page::for_user("Pupil chronology", &user, &csrf)),
            ))
        }
    }
}
