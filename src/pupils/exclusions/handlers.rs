//! Marking and lifting exclusions from the pupil's page (a form that
//! shows the page again with what to fix) and through the API (JSON, 422
//! naming the field). A pupil the caller may not see answers 404, so an
//! excluded person cannot lift their own exclusion or learn it exists.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::model::{Exclusion, ExclusionJson};
use super::store::{self, NewExclusion};
use super::views::Entry;
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction, AnyConnection};
use crate::error::{ApiError, AppError};
use crate::forms::FieldErrors;
use crate::incidents::Viewer;
use crate::pupils::model::Pupil;
use crate::state::AppState;
use crate::views::{page_with, Page};

/// The longest reason kept.
const MAX_REASON: usize = 2000;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExclusionInput {
    pub user_id: String,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiftInput {
    pub reason: String,
}

/// The pupil, if `viewer` may see them: of their school, known to them,
/// and not one they are excluded from.
pub fn pupil_for(conn: &mut AnyConnection, viewer: &Viewer, id: &str) -> Result<Pupil, AppError> {
    let pupil =
        crate::pupils::store::in_school(conn, &viewer.school_id, id)?.ok_or(AppError::NotFound)?;
    if !crate::incidents::store::known_pupils::knows(conn, viewer, &pupil)? {
        return Err(AppError::NotFound);
    }
    Ok(pupil)
}

fn reason_of(value: &str, what: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let v = crate::forms::required(&mut errors, "reason", value, what, MAX_REASON);
    errors.into_result()?;
    Ok(v)
}

/// Where a refusal is shown: the field and its message.
enum Refusal {
    Fields(FieldErrors),
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::App(e)
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Refusal::App(e.into())
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Fields(f) => f.into_api_error(),
            Refusal::App(e) => e,
        }
    }
}

/// Checks and records an exclusion, audited, in one transaction.
fn add(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    pupil_id: &str,
    input: &ExclusionInput,
    ip: &str,
    now: chrono::NaiveDateTime,
) -> Result<Exclusion, Refusal> {
    let pupil = pupil_for(conn, viewer, pupil_id)?;
    let mut errors = FieldErrors::default();
    let reason = crate::forms::required(
        &mut errors,
        "reason",
        &input.reason,
        "why this person is excluded",
        MAX_REASON,
    );
    let user_id = input.user_id.trim();
    let staff = crate::accounts::store::people_with(
        conn,
        &viewer.school_id,
        &Role::ALL.map(|r| r.as_str()),
    )?;
    if user_id.is_empty() {
        errors.add("user_id", "Choose the member of staff to exclude.");
    } else if !staff.iter().any(|(id, _, _)| id == user_id) {
        errors.add(
            "user_id",
            "Choose one of the school's members of staff listed.",
        );
    } else if store::is_live(conn, &pupil.id, user_id)? {
        errors.add(
            "user_id",
            "This person is already excluded from this pupil.",
        );
    }
    errors.into_result().map_err(Refusal::Fields)?;
    let id = write_transaction(conn, |conn| {
        let id = store::add(
            conn,
            &NewExclusion {
                school_id: &viewer.school_id,
                pupil_id: &pupil.id,
                user_id,
                reason: &reason,
                by: &viewer.user_id,
            },
            now,
        )?;
        audit::store::insert(
            conn,
            &Event::new("pupil_exclusion_added", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("pupil", &pupil.id)
                .detail(format!("exclusion {id}: person {user_id} excluded"))
                .ip(Some(ip)),
        )?;
        Ok::<_, AppError>(id)
    })?;
    store::get(conn, &viewer.school_id, &pupil.id, &id)?.ok_or(Refusal::App(AppError::NotFound))
}

/// Lifts a live exclusion with its reason, audited.
fn lift(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    pupil_id: &str,
    exclusion_id: &str,
    input: &LiftInput,
    ip: &str,
    now: chrono::NaiveDateTime,
) -> Result<Exclusion, Refusal> {
    let pupil = pupil_for(conn, viewer, pupil_id)?;
    // The form before the exclusion, as a made-up id gets the same answer.
    let reason =
        reason_of(&input.reason, "why the exclusion is lifted").map_err(Refusal::Fields)?;
    let found =
        store::get(conn, &viewer.school_id, &pupil.id, exclusion_id)?.ok_or(AppError::NotFound)?;
    if !found.live() {
        return Err(AppError::Conflict("This exclusion was lifted already.".into()).into());
    }
    write_transaction(conn, |conn| {
        if !store::lift(
            conn,
            &viewer.school_id,
            &found.id,
            &viewer.user_id,
            &reason,
            now,
        )? {
            return Err(AppError::Conflict(
                "This exclusion was lifted already.".into(),
            ));
        }
        audit::store::insert(
            conn,
            &Event::new("pupil_exclusion_lifted", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("pupil", &pupil.id)
                .detail(format!(
                    "exclusion {}: person {} no longer excluded",
                    found.id, found.user_id
                ))
                .ip(Some(ip)),
        )?;
        Ok(())
    })?;
    store::get(conn, &viewer.school_id, &pupil.id, &found.id)?
        .ok_or(Refusal::App(AppError::NotFound))
}

/// `POST /pupils/{id}/exclusions`: back to the pupil's page, or the page
/// again (422) with the typed text kept and what to fix.
pub async fn add_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<ExclusionInput>,
) -> Result<HttpResponse, AppError> {
    let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
    let (id, input) = (id.into_inner(), form.into_inner());
    let (pupil_id, typed) = (
        id.clone(),
        ExclusionInput {
            user_id: input.user_id.clone(),
            reason: input.reason.clone(),
        },
    );
    let done = db::run(&state.pool, move |conn| {
        Ok(add(conn, &viewer, &pupil_id, &typed, &ip, now))
    })
    .await?;
    let page = Shown {
        state: &state,
        req: &req,
        user: &user,
        csrf: &csrf,
    };
    page.answer(done, id, |errors| Entry::Add {
        user_id: input.user_id,
        reason: input.reason,
        errors,
    })
    .await
}

/// `POST /pupils/{id}/exclusions/{exclusion_id}/lift`.
pub async fn lift_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    form: web::Form<LiftInput>,
) -> Result<HttpResponse, AppError> {
    let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
    let (id, exclusion_id) = path.into_inner();
    let input = form.into_inner();
    let (pupil_id, which, typed) = (
        id.clone(),
        exclusion_id.clone(),
        LiftInput {
            reason: input.reason.clone(),
        },
    );
    let done = db::run(&state.pool, move |conn| {
        Ok(lift(conn, &viewer, &pupil_id, &which, &typed, &ip, now))
    })
    .await?;
    let page = Shown {
        state: &state,
        req: &req,
        user: &user,
        csrf: &csrf,
    };
    page.answer(done, id, |errors| Entry::Lift {
        exclusion_id,
        reason: input.reason,
        errors,
    })
    .await
}

fn back_to(pupil_id: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/pupils/{pupil_id}#exclusions")))
        .finish()
}

/// What a form's answer needs: the pupil's page is shown again on a refusal.
struct Shown<'a> {
    state: &'a AppState,
    req: &'a HttpRequest,
    user: &'a CurrentUser,
    csrf: &'a CsrfToken,
}

impl Shown<'_> {
    /// Back to the pupil's page once done; the page again (422) with what
    /// was typed, made into an [`Entry`] by `typed`, when refused.
    async fn answer(
        &self,
        done: Result<Exclusion, Refusal>,
        pupil_id: String,
        typed: impl FnOnce(FieldErrors) -> Entry,
    ) -> Result<HttpResponse, AppError> {
        let errors = match done {
            Ok(_) => return Ok(back_to(&pupil_id)),
            Err(Refusal::App(e)) => return Err(e),
            Err(Refusal::Fields(errors)) => errors,
        };
        let mut shown =
            crate::pupils::handlers::chronology_page(self.state, self.req, self.user, pupil_id)
                .await?;
        if let Some(panel) = shown.exclusions.as_mut() {
            panel.entry = Some(typed(errors));
        }
        Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            shown.render(&Page::for_user("Pupil chronology", self.user, self.csrf)),
        ))
    }
}

/// `GET /api/v1/pupils/{id}/exclusions`: every exclusion from the pupil,
/// live first.
pub async fn list_api(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let viewer = Viewer::of(&user);
    let id = id.into_inner();
    let found = db::run(&state.pool, move |conn| {
        let pupil = pupil_for(conn, &viewer, &id)?;
        Ok(store::of_pupil(conn, &viewer.school_id, &pupil.id)?)
    })
    .await?;
    let items: Vec<ExclusionJson> = found.iter().map(ExclusionJson::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `POST /api/v1/pupils/{id}/exclusions` with `{"user_id", "reason"}`:
/// 201 with the exclusion.
pub async fn add_api(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<ExclusionInput>,
) -> Result<HttpResponse, ApiError> {
    let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
    let (id, input) = (id.into_inner(), body.into_inner());
    let made = db::run(&state.pool, move |conn| {
        add(conn, &viewer, &id, &input, &ip, now).map_err(AppError::from)
    })
    .await?;
    Ok(HttpResponse::Created().json(ExclusionJson::from(&made)))
}

/// `POST /api/v1/pupils/{id}/exclusions/{exclusion_id}/lift` with
/// `{"reason"}`: 200 with the exclusion as lifted; 409 when it was.
pub async fn lift_api(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Json<LiftInput>,
) -> Result<HttpResponse, ApiError> {
    let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
    let ((id, which), input) = (path.into_inner(), body.into_inner());
    let lifted = db::run(&state.pool, move |conn| {
        lift(conn, &viewer, &id, &which, &input, &ip, now).map_err(AppError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ExclusionJson::from(&lifted)))
}
