//! The request pages: the list with what is due, recording a request, one
//! request with its clock and history, and its pack (built, redacted,
//! released, downloaded).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::model::{Relationship, Release, Request, State};
use super::pack::{self, Building, Pack};
use super::store::{self, NewRedaction, NewRequest};
use super::views;
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::db::{self, AnyConnection};
use crate::error::AppError;
use crate::forms::{self, FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// Who acts, for the history and the audit trail.
#[derive(Clone)]
struct Actor {
    user_id: String,
    name: String,
    initials: String,
    school_id: String,
    /// The pupils this person is excluded from: their requests are 404.
    excluded: Vec<String>,
    ip: String,
    now: NaiveDateTime,
}

impl Actor {
    fn of(state: &AppState, user: &CurrentUser, req: &HttpRequest) -> Self {
        Self {
            user_id: user.id.clone(),
            name: user.name.clone(),
            initials: user.initials.clone(),
            school_id: user.school_id.clone(),
            excluded: user.excluded_pupils.clone(),
            ip: client_ip(req),
            now: state.clock.now_naive(),
        }
    }

    fn today(&self) -> NaiveDate {
        self.now.date()
    }

    fn audit(
        &self,
        conn: &mut AnyConnection,
        action: &'static str,
        request_id: &str,
        detail: String,
    ) -> Result<(), AppError> {
        crate::audit::store::insert(
            conn,
            &crate::audit::Event::new(action, self.now)
                .school(&self.school_id)
                .actor(&self.user_id)
                .record("access_request", request_id)
                .detail(detail)
                .ip(Some(&self.ip)),
        )?;
        Ok(())
    }

    /// A step on the request's history, and in the audit trail.
    fn record_step(
        &self,
        conn: &mut AnyConnection,
        r: &Request,
        kind: &'static str,
        detail: Option<&str>,
        action: &'static str,
    ) -> Result<(), AppError> {
        store::add_event(
            conn,
            &r.id,
            kind,
            detail,
            (&self.user_id, &self.name),
            self.now,
        )?;
        self.audit(conn, action, &r.id, kind.to_string())
    }
}

/// A request of the school, unless it is about a pupil the reader is
/// excluded from (a conflict of interest): then, as for any other record
/// about that pupil, it is not found.
fn load(
    conn: &mut AnyConnection,
    school_id: &str,
    excluded: &[String],
    id: &str,
) -> Result<Request, AppError> {
    store::get(conn, school_id, id)?
        .filter(|r| !excluded.contains(&r.pupil_id))
        .ok_or(AppError::NotFound)
}

/// The school's pupils, less those the reader is excluded from.
fn choosable(
    conn: &mut AnyConnection,
    school_id: &str,
    excluded: &[String],
) -> Result<Vec<(String, String)>, AppError> {
    let mut pupils = store::pupils_of_school(conn, school_id)?;
    pupils.retain(|(id, _)| !excluded.contains(id));
    Ok(pupils)
}

fn pupil_of(
    conn: &mut AnyConnection,
    r: &Request,
) -> Result<crate::pupils::model::Pupil, AppError> {
    crate::pupils::store::in_school(conn, &r.school_id, &r.pupil_id)?.ok_or(AppError::NotFound)
}

/// `GET /access-requests`: every request, with what is due first.
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let (school_id, today) = (user.school_id.clone(), state.clock.now_naive().date());
    let excluded = user.excluded_pupils.clone();
    let (requests, card, pupils) = db::run(&state.pool, move |conn| {
        let mut requests = store::list(conn, &school_id)?;
        requests.retain(|r| !excluded.contains(&r.pupil_id));
        Ok((
            requests,
            super::start_card(conn, &school_id, &excluded, today)?,
            choosable(conn, &school_id, &excluded)?,
        ))
    })
    .await?;
    Ok(page(views::list(
        &Page::for_user("Subject access requests", &user, &csrf),
        &requests,
        &card,
        &pupils.into_iter().collect(),
        today,
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewForm {
    pub requester_name: String,
    pub relationship: String,
    pub pupil_id: String,
    pub received_on: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    pub pupil: String,
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    form: &NewForm,
    errors: &FieldErrors,
) -> Result<maud::Markup, AppError> {
    let (school_id, excluded) = (user.school_id.clone(), user.excluded_pupils.clone());
    let pupils = db::run(&state.pool, move |conn| {
        choosable(conn, &school_id, &excluded)
    })
    .await?;
    Ok(views::new_form(
        &Page::for_user("Record a subject access request", user, csrf),
        form,
        &pupils,
        errors,
    ))
}

/// `GET /access-requests/new` (`?pupil=ID` chooses the pupil).
pub async fn new_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = NewForm {
        pupil_id: query.into_inner().pupil,
        ..NewForm::default()
    };
    Ok(page(
        form_page(&state, &user, &csrf, &form, &FieldErrors::default()).await?,
    ))
}

struct Parsed {
    requester_name: String,
    relationship: Relationship,
    received_on: NaiveDate,
}

fn parse(form: &NewForm, today: NaiveDate) -> Result<Parsed, FieldErrors> {
    let mut errors = FieldErrors::default();
    let requester_name = forms::required(
        &mut errors,
        "requester_name",
        &form.requester_name,
        "the name of the person who asked",
        forms::ONE_LINE_MAX,
    );
    let relationship = Relationship::parse(form.relationship.trim());
    if relationship.is_none() {
        errors.add(
            "relationship",
            "Choose who asked: the pupil, a parent or carer, or someone acting for the pupil.",
        );
    }
    if form.pupil_id.trim().is_empty() {
        errors.add("pupil_id", "Choose the pupil the request is about.");
    }
    let received_on = forms::parse_date(&form.received_on);
    match received_on {
        None => errors.add(
            "received_on",
            format!(
                "Enter the date the request was received as {}.",
                forms::DATE_FORMS
            ),
        ),
        Some(d) if d > today => errors.add(
            "received_on",
            "The date the request was received cannot be in the future.",
        ),
        Some(_) => {}
    }
    match (errors.into_result(), relationship, received_on) {
        (Ok(()), Some(relationship), Some(received_on)) => Ok(Parsed {
            requester_name,
            relationship,
            received_on,
        }),
        (Err(e), _, _) => Err(e),
        _ => Err(FieldErrors::default()),
    }
}

/// `POST /access-requests`: records the request; its clock starts.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<NewForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let actor = Actor::of(&state, &user, &req);
    let parsed = match parse(&form, actor.today()) {
        Ok(p) => p,
        Err(errors) => return invalid(&state, &user, &csrf, &form, errors).await,
    };
    let pupil_id = form.pupil_id.trim().to_string();
    let a = actor.clone();
    let made = db::run(&state.pool, move |conn| {
        if crate::pupils::store::in_school(conn, &a.school_id, &pupil_id)?.is_none()
            || a.excluded.contains(&pupil_id)
        {
            return Ok(None);
        }
        let id = uuid::Uuid::new_v4().to_string();
        crate::db::dialect::write_transaction(conn, |conn| {
            crate::db::dialect::lock_school(conn, &a.school_id)?;
            let reference = store::next_reference(conn, &a.school_id, a.now.year())?;
            store::insert(
                conn,
                &NewRequest {
                    id: &id,
                    school_id: &a.school_id,
                    reference: &reference,
                    pupil_id: &pupil_id,
                    requester_name: &parsed.requester_name,
                    relationship: parsed.relationship.as_str(),
                    received_on: parsed.received_on,
                    created_by: &a.user_id,
                    created_at: a.now,
                },
            )?;
            let detail = format!(
                "Received {} from {}.",
                parsed.received_on.format("%d/%m/%Y"),
                parsed.relationship.label().to_lowercase()
            );
            store::add_event(
                conn,
                &id,
                "recorded",
                Some(&detail),
                (&a.user_id, &a.name),
                a.now,
            )?;
            a.audit(
                conn,
                "access_request_recorded",
                &id,
                format!("pupil {pupil_id}"),
            )?;
            Ok::<_, AppError>(())
        })?;
        Ok(Some(id))
    })
    .await?;
    match made {
        Some(id) => Ok(see_other(&format!("/access-requests/{id}"))),
        None => {
            let mut errors = FieldErrors::default();
            errors.add("pupil_id", "Choose a pupil of this school.");
            invalid(&state, &user, &csrf, &form, errors).await
        }
    }
}

async fn invalid(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    form: &NewForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        form_page(state, user, csrf, form, &errors).await?,
    ))
}

/// `GET /access-requests/{id}`: the request, its clock and history.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (school_id, id) = (user.school_id.clone(), id.into_inner());
    let excluded = user.excluded_pupils.clone();
    let today = state.clock.now_naive().date();
    let (r, pupil, history, release) = db::run(&state.pool, move |conn| {
        let r = load(conn, &school_id, &excluded, &id)?;
        let pupil = pupil_of(conn, &r)?;
        let history = store::history(conn, &r.id)?;
        let release = store::release(conn, &r.id)?;
        Ok((r, pupil, history, release))
    })
    .await?;
    let title = format!("Subject access request {}", r.reference);
    Ok(page(views::show(
        &Page::for_user(&title, &user, &csrf).saved_if(&req),
        &views::RequestPage {
            request: &r,
            pupil_name: &pupil.name,
            history: &history,
            release: release.as_ref(),
            today,
        },
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    pub reason: String,
    pub months: String,
    pub keep: String,
    pub confirm: String,
}

/// A reason the DPO must give (pausing, extending, withdrawing): 422 with
/// the field named when it is missing.
fn reason_of(form: &ReasonForm, what: &str) -> Result<String, AppError> {
    let mut errors = FieldErrors::default();
    let reason = forms::required(&mut errors, "reason", &form.reason, what, 2000);
    errors
        .into_result()
        .map_err(|e| AppError::Invalid(e.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ")))?;
    Ok(reason)
}

/// One change of a request (pause, resume, extend, withdraw, staff names):
/// loads it, lets `change` check and write it in one transaction, and
/// goes back to the request page.
async fn step<F>(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: String,
    back_to: String,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut AnyConnection, &Actor, &Request) -> Result<(), AppError> + Send + 'static,
{
    let actor = Actor::of(&state, &user, &req);
    let id2 = id.clone();
    db::run(&state.pool, move |conn| {
        crate::db::dialect::write_transaction(conn, |conn| {
            let r = load(conn, &actor.school_id, &actor.excluded, &id2)?;
            change(conn, &actor, &r)
        })
    })
    .await?;
    Ok(see_other(&format!("/access-requests/{id}{back_to}")))
}

fn must_be(r: &Request, states: &[State], what: &str) -> Result<(), AppError> {
    if states.contains(&r.state()) {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "This request is {}: it cannot be {what} now.",
            r.state().label().to_lowercase()
        )))
    }
}

/// `POST /access-requests/{id}/pause`: waiting for ID or clarification.
pub async fn pause(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    form: Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let reason = reason_of(&form, "what the school is waiting for")?;
    step(
        state,
        req,
        user,
        id.into_inner(),
        "?saved=1".into(),
        move |conn, a, r| {
            must_be(r, &[State::Open], "paused")?;
            store::set_state(conn, &r.id, State::Paused, Some(a.today()), r.paused_days)?;
            a.record_step(conn, r, "paused", Some(&reason), "access_request_paused")
        },
    )
    .await
}

/// `POST /access-requests/{id}/resume`: the clock runs again; the days it
/// stood still move the due date.
pub async fn resume(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    step(
        state,
        req,
        user,
        id.into_inner(),
        "?saved=1".into(),
        move |conn, a, r| {
            must_be(r, &[State::Paused], "resumed")?;
            let since = r.paused_on.unwrap_or(a.today());
            let days = i32::try_from((a.today() - since).num_days().max(0)).unwrap_or(0);
            let total = r.paused_days.saturating_add(days);
            store::set_state(conn, &r.id, State::Open, None, total)?;
            let due = super::model::due_date(r.received_on, r.extension_months, total);
            let detail = format!(
                "Paused for {days} day{}; now due {}.",
                if days == 1 { "" } else { "s" },
                due.format("%d/%m/%Y")
            );
            a.record_step(conn, r, "resumed", Some(&detail), "access_request_resumed")
        },
    )
    .await
}

/// `POST /access-requests/{id}/extend`: up to two further months, with a
/// reason (a complex request, or many from the same person).
pub async fn extend(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    form: Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let reason = reason_of(&form, "why the request needs longer")?;
    let months: i32 = match form.months.trim() {
        "1" => 1,
        "2" => 2,
        _ => {
            return Err(AppError::Invalid(
                "Choose an extension of one or two further months.".into(),
            ))
        }
    };
    step(
        state,
        req,
        user,
        id.into_inner(),
        "?saved=1".into(),
        move |conn, a, r| {
            must_be(r, &[State::Open, State::Paused], "extended")?;
            if months <= r.extension_months {
                return Err(AppError::Invalid(format!(
                    "The request already has {} further month{}; choose more, up to two.",
                    r.extension_months,
                    if r.extension_months == 1 { "" } else { "s" }
                )));
            }
            store::set_extension(conn, &r.id, months, &reason)?;
            let due = super::model::due_date(r.received_on, months, r.paused_days);
            let detail = format!(
                "{months} further month{}; now due {}. {reason}",
                if months == 1 { "" } else { "s" },
                due.format("%d/%m/%Y")
            );
            a.record_step(
                conn,
                r,
                "extended",
                Some(&detail),
                "access_request_extended",
            )
        },
    )
    .await
}

/// `POST /access-requests/{id}/withdraw`: the requester withdrew it.
pub async fn withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    form: Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let reason = reason_of(&form, "how the request was withdrawn")?;
    step(
        state,
        req,
        user,
        id.into_inner(),
        "?saved=1".into(),
        move |conn, a, r| {
            must_be(r, &[State::Open, State::Paused], "withdrawn")?;
            store::set_state(conn, &r.id, State::Withdrawn, None, r.paused_days)?;
            a.record_step(
                conn,
                r,
                "withdrawn",
                Some(&reason),
                "access_request_withdrawn",
            )
        },
    )
    .await
}

/// `POST /access-requests/{id}/staff-names`: keep staff names in the pack
/// (ticked), or name each by their role (the default).
pub async fn staff_names(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    form: Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let keep = !form.keep.trim().is_empty();
    step(
        state,
        req,
        user,
        id.into_inner(),
        "/pack".into(),
        move |conn, a, r| {
            must_be(r, &[State::Open, State::Paused], "changed")?;
            store::set_keep_staff_names(conn, &r.id, keep)?;
            let detail = if keep {
                "Staff names kept in the pack."
            } else {
                "Staff named by their role in the pack."
            };
            a.record_step(
                conn,
                r,
                "staff_names",
                Some(detail),
                "access_pack_staff_names",
            )
        },
    )
    .await
}

/// The pack as the records and redactions stand now, and the records read.
fn build_now(
    conn: &mut AnyConnection,
    a: &Actor,
    r: &Request,
) -> Result<(Pack, Vec<String>), AppError> {
    let pupil = pupil_of(conn, r)?;
    let redactions = store::redactions(conn, &r.id)?;
    pack::build(
        conn,
        &Building {
            request: r,
            pupil: &pupil,
            made_by_name: &a.name,
            made_by_initials: &a.initials,
            now: a.now,
        },
        &redactions,
    )
}

/// Builds the pack as it stands and audits it as a read of each record.
fn built(
    conn: &mut AnyConnection,
    a: &Actor,
    r: &Request,
    action: &'static str,
) -> Result<Pack, AppError> {
    let (pack, ids) = build_now(conn, a, r)?;
    for incident in &ids {
        crate::audit::store::insert(
            conn,
            &crate::audit::Event::new("incident_viewed", a.now)
                .school(&a.school_id)
                .actor(&a.user_id)
                .record("incident", incident)
                .detail(format!("via subject access request {}", r.reference))
                .ip(Some(&a.ip)),
        )?;
    }
    a.audit(conn, action, &r.id, format!("{} records", ids.len()))?;
    Ok(pack)
}

/// The pack to show: the released copy, or the one built now.
fn current(
    conn: &mut AnyConnection,
    a: &Actor,
    id: &str,
    action: &'static str,
) -> Result<(Request, Pack, Option<Release>), AppError> {
    let r = load(conn, &a.school_id, &a.excluded, id)?;
    if let Some(release) = store::release(conn, &r.id)? {
        a.audit(conn, action, &r.id, "released copy".into())?;
        let pack = Pack::parse(&release.content)?;
        return Ok((r, pack, Some(release)));
    }
    let pack = built(conn, a, &r, action)?;
    Ok((r, pack, None))
}

/// `GET /access-requests/{id}/pack`: the printable pack, with the
/// redaction step while it is not yet released.
pub async fn pack(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let markup = pack_page(&state, &req, &user, &csrf, id.into_inner(), None).await?;
    Ok(page(markup))
}

/// The pack page (a view of the pack, audited), with a refused redaction
/// sent back to its form when there is one.
async fn pack_page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    csrf: &CsrfToken,
    id: String,
    retry: Option<&views::Retry>,
) -> Result<maud::Markup, AppError> {
    let a = Actor::of(state, user, req);
    let (r, pack, release) = db::run(&state.pool, move |conn| {
        current(conn, &a, &id, "access_pack_viewed")
    })
    .await?;
    let title = format!("Pack for {}", r.reference);
    Ok(views::pack(
        &Page::for_user(&title, user, csrf).saved_if(req),
        &views::PackPage {
            request: &r,
            pack: &pack,
            release: release.as_ref(),
            csrf: &csrf.0,
            retry,
        },
    ))
}

/// `GET /access-requests/{id}/pack.json`: the machine-readable copy (the
/// released pack's stored text exactly, once released).
pub async fn pack_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let a = Actor::of(&state, &user, &req);
    let id = id.into_inner();
    let (r, body) = db::run(&state.pool, move |conn| {
        let (r, pack, release) = current(conn, &a, &id, "access_pack_downloaded")?;
        let body = match release {
            Some(release) => release.content,
            None => pack.to_json()?,
        };
        Ok((r, body))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.json\"", r.reference),
        ))
        .body(body))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RedactForm {
    pub reference: String,
    pub field: String,
    pub passage: String,
    pub reason: String,
}

/// `POST /access-requests/{id}/redactions`: withholds a passage (or a
/// whole text) of one record from the pack, with the reason it shows. The
/// record itself is not touched.
pub async fn redact(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: Form<RedactForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let id = id.into_inner();
    let done = withhold(state.clone(), req.clone(), user.clone(), id.clone(), &form).await;
    match done {
        // Back to the pack, the typed words kept in the record's form.
        Err(AppError::Invalid(message)) => {
            let retry = views::Retry {
                reference: form.reference.trim().to_string(),
                field: form.field.trim().to_string(),
                passage: form.passage,
                reason: form.reason,
                message,
            };
            let markup = pack_page(&state, &req, &user, &csrf, id, Some(&retry)).await?;
            Ok(page_with(StatusCode::UNPROCESSABLE_ENTITY, markup))
        }
        other => other,
    }
}

async fn withhold(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: String,
    form: &RedactForm,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let reason = forms::required(
        &mut errors,
        "reason",
        &form.reason,
        "the reason the passage is withheld",
        forms::ONE_LINE_MAX,
    );
    // Kept as typed (inner spaces and all): it must match the pack's text.
    let passage = form.passage.trim().to_string();
    forms::plain(&mut errors, "passage", &passage, "the passage", true);
    if let Err(e) = errors.into_result() {
        return Err(AppError::Invalid(
            e.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "),
        ));
    }
    let (reference, field) = (
        form.reference.trim().to_string(),
        form.field.trim().to_string(),
    );
    let anchor = format!("/pack?saved=1#{reference}");
    step(state, req, user, id, anchor, move |conn, a, r| {
        must_be(r, &[State::Open, State::Paused], "redacted")?;
        let (pack, _) = build_now(conn, a, r)?;
        let inc = pack
            .incidents
            .iter()
            .find(|i| i.reference == reference)
            .ok_or_else(|| AppError::Invalid("Choose a record of this pack.".into()))?;
        let texts = pack::texts_of(inc);
        let (_, label, text) = texts
            .iter()
            .find(|(k, _, _)| *k == field)
            .ok_or_else(|| AppError::Invalid("Choose which text of the record to withhold from.".into()))?;
        if !passage.is_empty() && !text.contains(&passage) {
            return Err(AppError::Invalid(format!(
                "The passage is not in \"{label}\" as the pack shows it: copy it from the pack, exactly."
            )));
        }
        store::add_redaction(
            conn,
            &NewRedaction {
                request_id: &r.id,
                incident_reference: &reference,
                field: &field,
                passage: (!passage.is_empty()).then_some(passage.as_str()),
                reason: &reason,
                by_user_id: &a.user_id,
                at: a.now,
            },
        )?;
        let detail = format!("{reference}, {label}: {reason}");
        a.record_step(conn, r, "redacted", Some(&detail), "access_pack_redacted")
    })
    .await
}

/// `POST /access-requests/{id}/release`: freezes the pack as it is now;
/// from then on it is shown and downloaded as released.
pub async fn release(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    form: Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    if form.confirm.trim().is_empty() {
        return Err(AppError::Invalid(
            "Tick to confirm that the pack has been checked and may be released.".into(),
        ));
    }
    step(
        state,
        req,
        user,
        id.into_inner(),
        "/pack?saved=1".into(),
        move |conn, a, r| {
            must_be(r, &[State::Open, State::Paused], "released")?;
            let pack = built(conn, a, r, "access_pack_released")?;
            let content = pack.to_json()?;
            store::insert_release(
                conn,
                &Release {
                    request_id: r.id.clone(),
                    sha256: crate::attachments::files::sha256_hex(content.as_bytes()),
                    content,
                    released_by: Some(a.user_id.clone()),
                    released_by_name: a.name.clone(),
                    released_at: a.now,
                },
            )?;
            store::set_state(conn, &r.id, State::Released, None, r.paused_days)?;
            let detail = format!("{} records in the pack.", pack.incidents.len());
            store::add_event(
                conn,
                &r.id,
                "released",
                Some(&detail),
                (&a.user_id, &a.name),
                a.now,
            )?;
            Ok(())
        },
    )
    .await
}
