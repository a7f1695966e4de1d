//! The inbox through the API: `GET /api/v1/monitoring/alerts` (filters
//! `status`, `severity`, `source`, `pupil_id`; no content, as the inbox
//! page shows none), `GET .../{id}` (the whole alert, audited), and the
//! triage steps `acknowledge`, `dismiss` (`{"reason"}`) and `promote`
//! (the incident's fields, those not sent taken from the alert).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{Alert, DismissReason, Severity, Status};
use super::store::{self, Filter};
use super::triage::{self, Actor, PromoteRefused};
use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError};
use crate::forms::FieldErrors;
use crate::incidents::api::IncidentBody;
use crate::incidents::forms::{Context, IncidentInput, NewIncident};
use crate::incidents::logging::Logged;
use crate::incidents::store::timeline::Author;
use crate::state::AppState;

fn utc(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An alert as the API shows it; `full` adds what the tool reported (text,
/// address, device, account, the fields it sent beyond ours).
pub fn alert_json(a: &Alert, pupil_name: Option<&str>, full: bool) -> Value {
    let mut v = json!({
        "id": a.id,
        "source": a.source,
        "alert_id": a.tool_alert_id,
        "received_at": utc(a.received_at),
        "occurred_at": a.occurred_at.map(utc),
        "severity": a.severity,
        "tool_severity": a.tool_severity,
        "pupil": a.pupil_identifier,
        "pupil_id": a.pupil_id,
        "pupil_name": pupil_name,
        "category": a.category_hint,
        "status": a.status,
        "first_looked_at": a.first_looked_at.map(utc),
        "acknowledged_at": a.acknowledged_at.map(utc),
        "decided_at": a.decided_at.map(utc),
        "dismiss_reason": a.dismiss_reason,
        "dismiss_note": a.dismiss_note,
        "incident_id": a.incident_id,
    });
    if full {
        v["device"] = json!(a.device);
        v["account"] = json!(a.account);
        v["text"] = json!(a.text);
        v["url"] = json!(a.url);
        v["extra"] = a
            .extra
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or(Value::Null);
    }
    v
}

fn actor<'a>(user: &'a CurrentUser, ip: &'a str) -> Actor<'a> {
    Actor {
        user_id: &user.id,
        school_id: &user.school_id,
        excluded: &user.excluded_pupils,
        ip,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub severity: String,
    pub source: String,
    pub pupil_id: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The filters as typed, checked; shared with the inbox page. A status of
/// `open` means new or acknowledged; empty means every status.
pub fn filter_of(q: &ListQuery) -> Result<Filter, FieldErrors> {
    let mut errors = FieldErrors::default();
    let statuses = match q.status.trim() {
        "" | "all" => None,
        "open" => Some(vec![Status::New, Status::Acknowledged]),
        s => match Status::parse(s) {
            Some(st) => Some(vec![st]),
            None => {
                errors.add(
                    "status",
                    "Use new, acknowledged, dismissed, promoted, open or all.",
                );
                None
            }
        },
    };
    let severity = match q.severity.trim() {
        "" | "all" => None,
        s => Severity::parse(s).or_else(|| {
            errors.add("severity", "Use low, medium, high or critical.");
            None
        }),
    };
    for (field, value, max) in [("source", &q.source, 60), ("pupil_id", &q.pupil_id, 200)] {
        if value.chars().count() > max {
            errors.add(field, format!("Keep {field} to {max} characters or fewer."));
        }
    }
    // Checked as a form's one-line field is: after trimming.
    crate::forms::plain(&mut errors, "source", q.source.trim(), "the source", false);
    crate::forms::plain(
        &mut errors,
        "pupil_id",
        q.pupil_id.trim(),
        "the pupil",
        false,
    );
    errors.into_result()?;
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    Ok(Filter {
        statuses,
        severity,
        source_key: some(&q.source).map(|s| s.to_lowercase()),
        pupil_id: some(&q.pupil_id),
        excluded: Vec::new(),
    })
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // A query that cannot be read (a repeated or mistyped parameter) is
    // refused, not taken as no filter: a client would read the wrong list.
    let q: ListQuery = serde_urlencoded::from_str(req.query_string()).map_err(|_| {
        ApiError(AppError::Invalid(
            "The query could not be read: give each of status, severity, source, pupil_id, page and per_page at most once, page and per_page as whole numbers."
                .into(),
        ))
    })?;
    let filter = filter_of(&q).map_err(|e| ApiError(e.into_api_error()))?;
    let (per_page, page) = (q.per_page.unwrap_or(50), q.page.unwrap_or(1));
    if !(1..=200).contains(&per_page) || !(1..=1_000_000).contains(&page) {
        return Err(ApiError(AppError::Invalid(
            "Give page from 1 and per_page from 1 to 200.".into(),
        )));
    }
    let school_id = user.school_id.clone();
    let filter = Filter {
        excluded: user.excluded_pupils.clone(),
        ..filter
    };
    let (items, total) = crate::db::run(&state.pool, move |conn| {
        let (rows, total) =
            store::list(conn, &school_id, &filter, per_page, (page - 1) * per_page)?;
        let mut items = Vec::new();
        for a in &rows {
            let name = match &a.pupil_id {
                Some(p) => store::pupil(conn, &school_id, p)?.map(|(n, _)| n),
                None => None,
            };
            items.push(alert_json(a, name.as_deref(), false));
        }
        Ok((items, total))
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": items, "total": total, "page": page, "per_page": per_page,
    })))
}

async fn answer(state: &AppState, user: &CurrentUser, a: Alert) -> Result<Value, AppError> {
    let school_id = user.school_id.clone();
    let pupil = a.pupil_id.clone();
    let name = crate::db::run(&state.pool, move |conn| match pupil {
        Some(p) => Ok(store::pupil(conn, &school_id, &p)?.map(|(n, _)| n)),
        None => Ok(None),
    })
    .await?;
    Ok(alert_json(&a, name.as_deref(), true))
}

pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (ip, now, u) = (client_ip(&req), state.clock.now_naive(), user.clone());
    let a = crate::db::run(&state.pool, move |conn| {
        triage::open(conn, &actor(&u, &ip), &id, "api", now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(answer(&state, &user, a).await?))
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (ip, now, u) = (client_ip(&req), state.clock.now_naive(), user.clone());
    let a = crate::db::run(&state.pool, move |conn| {
        Ok(triage::acknowledge(conn, &actor(&u, &ip), &id, now))
    })
    .await?
    .map_err(|r| ApiError(r.into_app()))?;
    Ok(HttpResponse::Ok().json(answer(&state, &user, a).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DismissBody {
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// `reason` is one of the reasons (`false_positive`, `already_known`,
/// `not_safeguarding`, `other`) or, for any other reason, the words
/// themselves (taken as "other"); `note` adds words to a listed reason.
fn api_dismissal(b: &DismissBody) -> Result<(DismissReason, Option<String>), FieldErrors> {
    let reason = b.reason.as_deref().unwrap_or("").trim();
    let note = b.note.as_deref().unwrap_or("");
    if reason.is_empty() {
        let mut e = FieldErrors::default();
        e.add(
            "reason",
            "Send reason: false_positive, already_known, not_safeguarding, or the reason in words.",
        );
        return Err(e);
    }
    if DismissReason::parse(reason).is_some() {
        return triage::parse_dismissal(reason, note);
    }
    let mut errors = FieldErrors::default();
    let words = crate::forms::optional(&mut errors, "reason", reason, "the reason", 2_000);
    errors.into_result()?;
    Ok((DismissReason::Other, Some(words)))
}

pub async fn dismiss(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<DismissBody>,
) -> Result<HttpResponse, ApiError> {
    let (ip, now, u) = (client_ip(&req), state.clock.now_naive(), user.clone());
    // An alert of another school is not found before the body is judged.
    let (school_id, target) = (user.school_id.clone(), id.clone());
    let excluded = user.excluded_pupils.clone();
    crate::db::run(&state.pool, move |conn| {
        store::get(conn, &school_id, &excluded, &target)?.ok_or(AppError::NotFound)
    })
    .await?;
    let (reason, note) = api_dismissal(&body).map_err(|e| ApiError(e.into_api_error()))?;
    let a = crate::db::run(&state.pool, move |conn| {
        Ok(triage::dismiss(
            conn,
            &actor(&u, &ip),
            &id,
            reason,
            note.as_deref(),
            now,
        ))
    })
    .await?
    .map_err(|r| ApiError(r.into_app()))?;
    Ok(HttpResponse::Ok().json(answer(&state, &user, a).await?))
}

/// The incident's fields: what the body sends, and for each field it does
/// not send, the alert's prefill (pupil, tutor group, date, category,
/// where, platform).
fn merged(body: Value, prefill: &IncidentInput) -> Result<IncidentInput, FieldErrors> {
    let mut obj = match body {
        Value::Object(m) => m,
        _ => {
            let mut e = FieldErrors::default();
            e.add("body", "Send the incident's fields as a JSON object.");
            return Err(e);
        }
    };
    let mut set = |k: &str, v: Value| {
        if obj.get(k).is_none_or(Value::is_null) {
            obj.insert(k.to_string(), v);
        }
    };
    if !prefill.pupil_id.is_empty() {
        set("pupil_id", json!(prefill.pupil_id));
        set("pupil_name", json!(prefill.pupil_name));
        set("tutor_group", json!(prefill.tutor_group));
    }
    if !prefill.incident_date.is_empty() {
        set("incident_date", json!(prefill.incident_date));
    }
    set("category", json!(prefill.category));
    set("location", json!(prefill.location));
    if !prefill.platform.is_empty() {
        set("platform", json!(prefill.platform));
    }
    serde_json::from_value::<IncidentBody>(Value::Object(obj))
        .map(IncidentInput::from)
        .map_err(|_| {
            let mut e = FieldErrors::default();
            e.add("body", "The incident's fields are not the JSON POST /api/v1/incidents takes; see /api/v1/openapi.json.");
            e
        })
}

pub async fn promote(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (school_id, target, now) = (user.school_id.clone(), id.clone(), state.clock.now_naive());
    let today = state.clock.today();
    let excluded = user.excluded_pupils.clone();
    let (prefill, cats) = crate::db::run(&state.pool, move |conn| {
        let a = store::get(conn, &school_id, &excluded, &target)?.ok_or(AppError::NotFound)?;
        // A dismissed alert is refused before its fields are judged.
        if a.status() == Status::Dismissed {
            return Err(triage::Refused::Already(a.status()).into_app());
        }
        let cats = crate::categories::store::for_school(conn, &school_id, now)?;
        Ok((super::prefill(conn, &a, &cats, today)?, cats))
    })
    .await?;
    let input = merged(body.into_inner(), &prefill).map_err(|e| ApiError(e.into_api_error()))?;
    let ctx = Context {
        today: state.clock.today(),
        categories: &cats,
        current_category: None,
    };
    let new = NewIncident::parse(&input, &ctx).map_err(|e| ApiError(e.into_api_error()))?;
    let (ip, u, author) = (client_ip(&req), user.clone(), Author::of(&user));
    let done = crate::db::run(&state.pool, move |conn| {
        Ok(triage::promote(
            conn,
            &actor(&u, &ip),
            &author,
            &id,
            &new,
            "api",
            now,
        ))
    })
    .await?;
    let (logged, alert_id) = match done {
        Ok(l) => (
            l,
            req.match_info().get("id").unwrap_or_default().to_string(),
        ),
        Err(PromoteRefused::NotFound) => return Err(AppError::NotFound.into()),
        Err(PromoteRefused::Already(s)) => {
            return Err(triage::Refused::Already(s).into_app().into())
        }
        Err(PromoteRefused::Incident(r)) => return Err(crate::incidents::api::rejected(r)),
        Err(PromoteRefused::App(e)) => return Err(e.into()),
    };
    state.mail.wake();
    let (school_id, aid) = (user.school_id.clone(), alert_id);
    let excluded = user.excluded_pupils.clone();
    let a = crate::db::run(&state.pool, move |conn| {
        store::get(conn, &school_id, &excluded, &aid)?.ok_or(AppError::NotFound)
    })
    .await?;
    let body = answer(&state, &user, a).await?;
    Ok(match logged {
        Logged::Created(_) => HttpResponse::Created().json(body),
        Logged::Replayed(_) => HttpResponse::Ok().json(body),
    })
}
