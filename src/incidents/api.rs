//! The incident API under `/api/v1` (PRODUCT.md "Stable interfaces"): the
//! same rules as the pages, JSON in and out, with PRODUCT.md's field names.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Deserializer, Serialize};

use super::changes::{self, Corrected};
use super::filters::ListQuery;
use super::forms::{
    note_text, other_fields, Context, Correction, IncidentInput, NewIncident, OtherInput,
};
use super::handlers::correct::input_from;
use super::handlers::{categories, Caller};
use super::logging::{self, Logged, Origin, Rejected};
use super::model::{Event, IncidentView};
use super::{record, store};
use crate::auth::CurrentUser;
use crate::db;
use crate::error::{ApiError, AppError};
use crate::forms::FieldErrors;
use crate::state::AppState;

/// An incident as the API shows it.
#[derive(Debug, Serialize)]
pub struct IncidentJson {
    pub id: String,
    pub reference: String,
    pub pupil_id: String,
    pub pupil_name: String,
    pub tutor_group: String,
    pub year_group: Option<i32>,
    /// `YYYY-MM-DD`, or null when not known.
    pub incident_date: Option<String>,
    pub category: String,
    pub category_name: String,
    pub four_c: String,
    pub child_at_risk: bool,
    pub about_headteacher: bool,
    pub location: String,
    pub platform: Option<String>,
    pub details: String,
    pub actions_outcome: String,
    pub staff_initials: String,
    pub lg_acknowledged: bool,
    pub lg_acknowledged_at: Option<String>,
    pub status: String,
    pub owner_role: String,
    pub other_pupils: Vec<OtherPupilJson>,
    pub version: i32,
    pub logged_at: String,
    pub updated_at: String,
    pub entered_in_error: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<EventJson>>,
}

#[derive(Debug, Serialize)]
pub struct OtherPupilJson {
    pub pupil_id: String,
    pub name: String,
    pub tutor_group: Option<String>,
    pub role: String,
}

#[derive(Debug, Serialize)]
pub struct EventJson {
    pub kind: String,
    pub at: String,
    pub by_initials: String,
    pub version: i32,
    pub text: Option<String>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

fn utc(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl IncidentJson {
    pub fn of(v: &IncidentView) -> Self {
        let i = &v.incident;
        IncidentJson {
            id: i.id.clone(),
            reference: i.reference.clone(),
            pupil_id: v.pupil.id.clone(),
            pupil_name: v.pupil.name.clone(),
            tutor_group: i.tutor_group.clone(),
            year_group: i.year_group,
            incident_date: i.incident_date.map(|d| d.format("%Y-%m-%d").to_string()),
            category: i.category_code.clone(),
            category_name: v.category.name.clone(),
            four_c: v.category.four_c.clone(),
            child_at_risk: i.child_at_risk,
            about_headteacher: i.about_headteacher,
            location: i.location.clone(),
            platform: i.platform.clone(),
            details: i.details.clone(),
            actions_outcome: v.actions_outcome(),
            staff_initials: i.staff_initials.clone(),
            lg_acknowledged: i.lg_acknowledged_at.is_some(),
            lg_acknowledged_at: i.lg_acknowledged_at.map(utc),
            status: i.status.clone(),
            owner_role: i.owner().as_str().into(),
            other_pupils: v
                .others
                .iter()
                .map(|o| OtherPupilJson {
                    pupil_id: o.pupil.id.clone(),
                    name: o.pupil.name.clone(),
                    tutor_group: o.pupil.tutor_group.clone(),
                    role: o.role.as_str().into(),
                })
                .collect(),
            version: i.version,
            logged_at: utc(i.logged_at),
            updated_at: utc(i.updated_at),
            entered_in_error: i.entered_in_error(),
            timeline: None,
        }
    }

    pub fn with_timeline(mut self, events: &[Event]) -> Self {
        self.timeline = Some(
            events
                .iter()
                .map(|e| EventJson {
                    kind: e.kind.clone(),
                    at: utc(e.at),
                    by_initials: e.by_initials.clone(),
                    version: e.incident_version,
                    text: e.text.clone(),
                    field: e.field.clone(),
                    old_value: e.old_value.clone(),
                    new_value: e.new_value.clone(),
                    reason: e.reason.clone(),
                })
                .collect(),
        );
        self
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OtherPupilBody {
    pub name: String,
    pub tutor_group: Option<String>,
    pub role: String,
}

/// `POST /api/v1/incidents`. Missing fields are reported as field errors,
/// not as unreadable JSON; fields the API itself returns (id, reference...)
/// are ignored, so a client may send back what it read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IncidentBody {
    pub pupil_name: String,
    pub pupil_id: Option<String>,
    pub tutor_group: String,
    /// Null or absent: not known.
    pub incident_date: Option<String>,
    pub category: String,
    pub child_at_risk: bool,
    /// Staff conduct only: the allegation is about the headteacher.
    pub about_headteacher: bool,
    pub details: String,
    #[serde(alias = "actions_taken")]
    pub actions_outcome: String,
    pub location: Option<String>,
    pub platform: Option<String>,
    pub other_pupils: Vec<OtherPupilBody>,
}

impl From<IncidentBody> for IncidentInput {
    fn from(b: IncidentBody) -> Self {
        let date = b.incident_date.unwrap_or_default();
        IncidentInput {
            pupil_name: b.pupil_name,
            pupil_id: b.pupil_id.unwrap_or_default(),
            tutor_group: b.tutor_group,
            date_not_known: date.trim().is_empty(),
            incident_date: date,
            category: b.category,
            child_at_risk: b.child_at_risk,
            about_headteacher: b.about_headteacher,
            details: b.details,
            actions_outcome: b.actions_outcome,
            location: b.location.unwrap_or_default(),
            platform: b.platform.unwrap_or_default(),
            others: b
                .other_pupils
                .into_iter()
                .map(|o| OtherInput {
                    name: o.name,
                    tutor_group: o.tutor_group.unwrap_or_default(),
                    role: o.role,
                })
                .collect(),
            ..Default::default()
        }
    }
}

/// Field errors with the API's names: `other_2_role` is `other_pupils[1].role`.
fn api_errors(errors: FieldErrors) -> ApiError {
    match errors.into_api_error() {
        AppError::InvalidFields(map) => {
            let renamed: BTreeMap<String, String> =
                map.into_iter().map(|(k, v)| (api_field(&k), v)).collect();
            ApiError(AppError::InvalidFields(renamed))
        }
        other => ApiError(other),
    }
}

fn api_field(name: &str) -> String {
    for i in 0..super::forms::MAX_OTHERS {
        let [n, g, r] = other_fields(i);
        for (form, api) in [(n, "name"), (g, "tutor_group"), (r, "role")] {
            if name == form {
                return format!("other_pupils[{i}].{api}");
            }
        }
    }
    name.to_string()
}

pub(crate) fn rejected(r: Rejected) -> ApiError {
    match r {
        Rejected::App(e) => ApiError(e),
        Rejected::Invalid(errors) => api_errors(errors),
        Rejected::Stale(current) => ApiError(AppError::Conflict(format!(
            "The incident is now at version {}; read it again and send your correction against that version.",
            current.incident.version
        ))),
    }
}

/// The record after a change the trail already holds: no view is audited.
pub(crate) async fn reread(
    state: &AppState,
    caller: Caller,
    id: String,
) -> Result<record::Record, AppError> {
    db::run(&state.pool, move |conn| {
        record::read(conn, &caller.viewer, &id)
    })
    .await?
    .ok_or(AppError::NotFound)
}

async fn load(
    state: &AppState,
    caller: Caller,
    id: String,
    via: &'static str,
) -> Result<record::Record, AppError> {
    let now = state.clock.now_naive();
    db::run(&state.pool, move |conn| {
        let origin = Origin {
            ip: Some(&caller.ip),
            via,
        };
        record::open(conn, &caller.viewer, &caller.author, &id, &origin, now)
    })
    .await?
    .ok_or(AppError::NotFound)
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let v = v.to_str().map(str::trim).unwrap_or("");
    if v.is_empty() || v.len() > 200 {
        return Err(ApiError(AppError::Invalid(
            "The Idempotency-Key header must be 1 to 200 visible characters.".into(),
        )));
    }
    Ok(Some(v.to_string()))
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Json<IncidentBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let input = IncidentInput::from(body.into_inner());
    let cats = categories(&state, &user.school_id).await?;
    let ctx = Context {
        today: state.clock.today(),
        categories: &cats,
        current_category: None,
    };
    let mut new = NewIncident::parse(&input, &ctx).map_err(api_errors)?;
    new.idempotency_key = key;
    let caller = Caller::new(&user, &req);
    let (school_id, now) = (user.school_id.clone(), state.clock.now_naive());
    let author = caller.author.clone();
    let ip = caller.ip.clone();
    let logged = state
        .writer
        .transaction(&user.school_id, move |conn| {
            let origin = Origin {
                ip: Some(&ip),
                via: "api",
            };
            logging::log(conn, &school_id, &author, &new, &origin, now)
        })
        .await?
        .map_err(rejected)?;
    let replayed = matches!(logged, Logged::Replayed(_));
    let id = logged.id().to_string();
    let r = reread(&state, caller, id.clone()).await?;
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("/api/v1/incidents/{id}")));
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(IncidentJson::of(&r.view)))
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filters, paging) = query.parse().map_err(api_errors)?;
    let caller = Caller::new(&user, &req);
    let (page, per_page) = (paging.page, paging.per_page);
    let found =
        super::handlers::list::search(&state, caller.viewer, caller.ip, filters, paging, "api")
            .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": found.items.iter().map(IncidentJson::of).collect::<Vec<_>>(),
        "total": found.total,
        "total_exact": found.total_exact,
        "next_after": found.next.map(|c| c.to_string()),
        "page": page,
        "per_page": per_page,
    })))
}

pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = load(&state, Caller::new(&user, &req), id.into_inner(), "api").await?;
    Ok(HttpResponse::Ok().json(IncidentJson::of(&r.view).with_timeline(&r.timeline)))
}

/// Absent stays absent; null becomes `Some(None)`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /api/v1/incidents/{id}/corrections`: the version corrected, why,
/// and only the fields that change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CorrectionBody {
    pub version: Option<i32>,
    pub reason: String,
    pub pupil_name: Option<String>,
    pub tutor_group: Option<String>,
    #[serde(deserialize_with = "present")]
    pub incident_date: Option<Option<String>>,
    pub category: Option<String>,
    pub child_at_risk: Option<bool>,
    pub details: Option<String>,
    #[serde(alias = "actions_taken")]
    pub actions_outcome: Option<String>,
    pub location: Option<String>,
    #[serde(deserialize_with = "present")]
    pub platform: Option<Option<String>>,
}

impl CorrectionBody {
    /// The record's fields with this body's changes laid over them.
    fn over(self, mut input: IncidentInput) -> IncidentInput {
        input.pupil_id = String::new();
        input.version = self.version.map(|v| v.to_string()).unwrap_or_default();
        input.reason = self.reason;
        if let Some(v) = self.pupil_name {
            input.pupil_name = v;
        }
        if let Some(v) = self.tutor_group {
            input.tutor_group = v;
        }
        if let Some(d) = self.incident_date {
            input.date_not_known = d.as_deref().is_none_or(|d| d.trim().is_empty());
            input.incident_date = d.unwrap_or_default();
        }
        if let Some(v) = self.category {
            input.category = v;
        }
        if let Some(v) = self.child_at_risk {
            input.child_at_risk = v;
        }
        if let Some(v) = self.details {
            input.details = v;
        }
        if let Some(v) = self.actions_outcome {
            input.actions_outcome = v;
        }
        if let Some(v) = self.location {
            input.location = v;
        }
        if let Some(v) = self.platform {
            input.platform = v.unwrap_or_default();
        }
        input
    }
}

pub async fn correct(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<CorrectionBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let caller = Caller::new(&user, &req);
    let (viewer, target) = (caller.viewer.clone(), id.clone());
    let view = db::run(&state.pool, move |conn| {
        Ok(store::get(conn, &viewer, &target)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let cats = categories(&state, &user.school_id).await?;
    let input = body.into_inner().over(input_from(&view));
    let ctx = Context {
        today: state.clock.today(),
        categories: &cats,
        current_category: Some(&view.incident.category_code),
    };
    let correction = Correction::parse(&input, &ctx).map_err(api_errors)?;
    let now = state.clock.now_naive();
    let (viewer, author, ip, target) = (
        caller.viewer.clone(),
        caller.author.clone(),
        caller.ip.clone(),
        id.clone(),
    );
    let done = db::run(&state.pool, move |conn| {
        let origin = Origin {
            ip: Some(&ip),
            via: "api",
        };
        Ok(changes::correct(
            conn,
            &viewer,
            &author,
            &target,
            &correction,
            &origin,
            now,
        ))
    })
    .await?;
    match done {
        Ok(Corrected::Done(_) | Corrected::Unchanged) => {
            let r = reread(&state, caller, id).await?;
            Ok(HttpResponse::Ok().json(IncidentJson::of(&r.view).with_timeline(&r.timeline)))
        }
        Err(Rejected::Stale(current)) => Ok(HttpResponse::Conflict().json(serde_json::json!({
            "error": "conflict",
            "message": format!(
                "Someone else changed this incident first: it is now at version {}. Nothing was saved; compare with \"current\" and send your correction again against that version.",
                current.incident.version
            ),
            "current": IncidentJson::of(&current),
        }))),
        Err(other) => Err(rejected(other)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteBody {
    pub text: String,
}

pub async fn note(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    let text = note_text(&body.text, "text", "the note").map_err(api_errors)?;
    let r = change(
        &state,
        Caller::new(&user, &req),
        id.into_inner(),
        move |conn, c, id, origin, now| {
            changes::add_note(conn, &c.viewer, &c.author, id, &text, origin, now)
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(IncidentJson::of(&r.view).with_timeline(&r.timeline)))
}

/// Makes a change to incident `id` as `caller` through the API, then reads
/// the record back (the change is audited; the reading is not a view).
async fn change<F>(
    state: &AppState,
    caller: Caller,
    id: String,
    f: F,
) -> Result<record::Record, ApiError>
where
    F: FnOnce(
            &mut crate::db::AnyConnection,
            &Caller,
            &str,
            &Origin<'_>,
            chrono::NaiveDateTime,
        ) -> Result<(), Rejected>
        + Send
        + 'static,
{
    super::handlers::change(state, &caller, &id, "api", f)
        .await?
        .map_err(rejected)?;
    Ok(reread(state, caller, id).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonBody {
    pub reason: String,
}

pub async fn entered_in_error(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let reason =
        note_text(&body.reason, "reason", "why it was entered in error").map_err(api_errors)?;
    let r = change(
        &state,
        Caller::new(&user, &req),
        id.into_inner(),
        move |conn, c, id, origin, now| {
            changes::mark_entered_in_error(conn, &c.viewer, &c.author, id, &reason, origin, now)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(IncidentJson::of(&r.view).with_timeline(&r.timeline)))
}

/// `GET /api/v1/categories`: the codes a client may log under.
pub async fn category_list(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let cats = categories(&state, &user.school_id).await?;
    let items: Vec<_> = cats
        .iter()
        .filter(|c| c.active)
        .map(|c| {
            serde_json::json!({
                "code": c.code,
                "name": c.name,
                "four_c": c.four_c,
                "owner_role": c.owner_role,
                "urgent": c.urgent,
                "restricted": c.restricted,
                "guidance": c.guidance,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
