//! Uploading, listing and downloading attachments from the record page and
//! the API, and the administrator's settings page.

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::files::{self, Integrity};
use super::store::{self, Attachment, Settings};
use super::{Refused, Upload};
use crate::auth::csrf::CsrfToken;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::{ApiError, AppError};
use crate::forms::{FieldErrors, Form};
use crate::incidents::handlers::Caller;
use crate::incidents::logging::Origin;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// The file part's bytes, stopping as soon as they pass `limit`.
async fn read_upload(mut parts: Multipart, limit: i64) -> Result<Upload, Refused> {
    let choose = || Refused::File("Choose a file to attach.".into());
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut found: Option<Upload> = None;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| {
            Refused::File(
                "The upload could not be read: send the file as multipart/form-data in the field \u{201c}file\u{201d}.".into(),
            )
        })?;
        let (name, filename) = match part.content_disposition() {
            Some(d) => (
                d.get_name().unwrap_or("").to_string(),
                d.get_filename().map(str::to_string),
            ),
            None => (String::new(), None),
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk
                .map_err(|_| Refused::File("The upload was interrupted; try again.".into()))?;
            if name == "file" {
                if bytes.len() + chunk.len() > limit {
                    return Err(Refused::File(super::too_large(limit as i64)));
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if name == "file" && found.is_none() {
            found = Some(Upload {
                name: clean_name(filename.as_deref().unwrap_or("")),
                bytes,
            });
        }
    }
    found.filter(|u| !u.bytes.is_empty()).ok_or_else(choose)
}

/// A file name as kept: its last part, printable, at most 200 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "file".into()
    } else {
        clean.trim().to_string()
    }
}

/// Reads and keeps an upload for `caller`.
async fn receive(
    state: &AppState,
    caller: &Caller,
    id: &str,
    parts: Multipart,
    via: &'static str,
) -> Result<Attachment, Refused> {
    let (viewer, target) = (caller.viewer.clone(), id.to_string());
    let settings = db::run(&state.pool, move |conn| {
        Ok(super::limits_for(conn, &viewer, &target))
    })
    .await??;
    let upload = read_upload(parts, settings.max_file).await?;
    let data_dir = crate::auth::tokens::data_dir(&state.config);
    let (c, target, now) = (caller.clone(), id.to_string(), state.clock.now_naive());
    db::run(&state.pool, move |conn| {
        let origin = Origin {
            ip: Some(&c.ip),
            via,
        };
        Ok(super::add(
            conn, &data_dir, &c.viewer, &c.author, &target, &upload, &origin, now,
        ))
    })
    .await?
}

/// The record page again, saying why the file was not kept.
async fn refused_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    caller: Caller,
    id: String,
    message: String,
) -> Result<HttpResponse, AppError> {
    let viewer = caller.viewer.clone();
    let data_dir = crate::auth::tokens::data_dir(&state.config);
    let v = viewer.clone();
    let mut r = db::run(&state.pool, move |conn| {
        let mut r = crate::incidents::record::read(conn, &v, &id)?;
        if let Some(panel) = r.as_mut().and_then(|r| r.attachments.as_mut()) {
            super::verify(&data_dir, panel);
        }
        Ok(r)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    if let Some(panel) = r.attachments.as_mut() {
        panel.error = Some(message);
    }
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        crate::incidents::views::record::page(
            &Page::for_user(&r.view.incident.reference, user, csrf),
            &r,
            &viewer,
            "",
            &FieldErrors::default(),
        ),
    ))
}

/// `POST /incidents/{id}/attachments`: the file from the record page.
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    parts: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let caller = Caller::new(&user, &req);
    match receive(&state, &caller, &id, parts, "page").await {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}#attachments"))),
        Err(Refused::File(message)) => {
            refused_page(&state, &user, &csrf, caller, id, message).await
        }
        Err(Refused::App(e)) => Err(e),
    }
}

/// An attachment as the API shows it.
#[derive(Debug, Serialize)]
pub struct AttachmentJson {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: String,
    pub uploaded_by_initials: String,
    pub entered_in_error: bool,
    pub entered_in_error_reason: Option<String>,
}

impl AttachmentJson {
    pub fn of(a: &Attachment) -> Self {
        Self {
            id: a.id.clone(),
            name: a.name.clone(),
            media_type: a.media_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            uploaded_at: a.uploaded_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            uploaded_by_initials: a.uploaded_by_initials.clone(),
            entered_in_error: a.entered_in_error(),
            entered_in_error_reason: a.entered_in_error_reason.clone(),
        }
    }
}

fn api_refusal(r: Refused) -> ApiError {
    match r {
        Refused::File(message) => ApiError(AppError::InvalidFields(
            [("file".to_string(), message)].into_iter().collect(),
        )),
        Refused::App(e) => ApiError(e),
    }
}

/// `POST /api/v1/incidents/{id}/attachments`: 201 with the attachment.
pub async fn api_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    parts: Multipart,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(&user, &req);
    let a = receive(&state, &caller, &id, parts, "api")
        .await
        .map_err(api_refusal)?;
    Ok(HttpResponse::Created().json(AttachmentJson::of(&a)))
}

#[derive(Debug, Serialize)]
struct ListJson {
    items: Vec<AttachmentJson>,
}

/// `GET /api/v1/incidents/{id}/attachments`.
pub async fn api_list(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let viewer = crate::incidents::Viewer::of(&user);
    let id = id.into_inner();
    let items = db::run(&state.pool, move |conn| super::list(conn, &viewer, &id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(ListJson {
        items: items.iter().map(AttachmentJson::of).collect(),
    }))
}

/// The file, audited, checked against its hash, and served so that no
/// browser shows or runs it from the site's origin.
async fn serve(
    state: &AppState,
    caller: Caller,
    incident_id: String,
    attachment_id: String,
    via: &'static str,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now_naive();
    let data_dir = crate::auth::tokens::data_dir(&state.config);
    let found = db::run(&state.pool, move |conn| {
        let origin = Origin {
            ip: Some(&caller.ip),
            via,
        };
        let Some(a) = super::open(
            conn,
            &caller.viewer,
            &caller.author,
            &incident_id,
            &attachment_id,
            &origin,
            now,
        )?
        else {
            return Ok(None);
        };
        let bytes = files::read(&data_dir, &a.sha256);
        Ok(Some((a, bytes)))
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let (a, bytes) = found;
    let bytes = bytes.map_err(|why| AppError::Conflict(unservable(why)))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, a.media_type.clone()))
        .insert_header((header::CONTENT_DISPOSITION, disposition(&a.name)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, SANDBOX))
        .body(bytes))
}

/// No script, no plugin, no same-origin access, even if a browser were to
/// open the file rather than save it.
pub const SANDBOX: &str = "sandbox; default-src 'none'";

fn unservable(why: Integrity) -> String {
    match why {
        Integrity::Missing => "The file kept for this attachment is missing from the data folder, so it cannot be downloaded. Restore it from a backup: its SHA-256 is on the record.".into(),
        _ => "The file kept for this attachment has changed on disk since it was added (it no longer matches its SHA-256), so it is not served as the evidence. Restore it from a backup.".into(),
    }
}

/// What RFC 8187 leaves unencoded in a parameter value (attr-char).
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with the name twice: plain ASCII for old clients, and the
/// exact name (RFC 6266 / 8187) for the rest.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = percent_encoding::utf8_percent_encode(name, ATTR_CHAR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

/// `GET /incidents/{id}/attachments/{attachment_id}`.
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, aid) = path.into_inner();
    serve(&state, Caller::new(&user, &req), id, aid, "page").await
}

/// `GET /api/v1/incidents/{id}/attachments/{attachment_id}`.
pub async fn api_download(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, aid) = path.into_inner();
    Ok(serve(&state, Caller::new(&user, &req), id, aid, "api").await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonInput {
    pub reason: String,
}

/// `POST /incidents/{id}/attachments/{attachment_id}/entered-in-error`.
pub async fn mark_in_error(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    form: Form<ReasonInput>,
) -> Result<HttpResponse, AppError> {
    let (id, aid) = path.into_inner();
    let caller = Caller::new(&user, &req);
    let reason = match crate::incidents::forms::note_text(
        &form.reason,
        "reason",
        "why the file was entered in error",
    ) {
        Ok(r) => r,
        Err(errors) => {
            let message = errors
                .get("reason")
                .map_or("Say why the file was entered in error.", |m| m)
                .to_string();
            return refused_page(&state, &user, &csrf, caller, id, message).await;
        }
    };
    let now = state.clock.now_naive();
    let (c, target) = (caller.clone(), id.clone());
    db::run(&state.pool, move |conn| {
        let origin = Origin {
            ip: Some(&c.ip),
            via: "page",
        };
        super::mark_in_error(
            conn, &c.viewer, &c.author, &target, &aid, &reason, &origin, now,
        )
    })
    .await?;
    Ok(see_other(&format!("/incidents/{id}#attachments")))
}

/// The settings page's form.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    pub max_file_mb: String,
    pub max_incident_mb: String,
    pub no_images: Vec<String>,
}

const MB: i64 = 1024 * 1024;

impl SettingsInput {
    fn of(s: &Settings) -> Self {
        Self {
            max_file_mb: (s.max_file / MB).to_string(),
            max_incident_mb: (s.max_incident / MB).to_string(),
            no_images: s.no_images.clone(),
        }
    }

    fn parse(&self, codes: &[String]) -> Result<Settings, FieldErrors> {
        let mut e = FieldErrors::default();
        let mut whole = |field: &'static str, value: &str, ceiling: i64, what: &str| match value
            .trim()
            .parse::<i64>()
        {
            Ok(n) if (1..=ceiling / MB).contains(&n) => n * MB,
            _ => {
                e.add(
                    field,
                    format!(
                        "Enter the most {what} as a whole number of megabytes from 1 to {}.",
                        ceiling / MB
                    ),
                );
                0
            }
        };
        let max_file = whole(
            "max_file_mb",
            &self.max_file_mb,
            store::CEILING_FILE,
            "one file may be",
        );
        let max_incident = whole(
            "max_incident_mb",
            &self.max_incident_mb,
            store::CEILING_INCIDENT,
            "an incident's files may be in all",
        );
        if max_file > 0 && max_incident > 0 && max_incident < max_file {
            e.add(
                "max_incident_mb",
                "An incident must be able to hold at least one file of the largest size.",
            );
        }
        let mut no_images: Vec<String> = self
            .no_images
            .iter()
            .filter(|c| codes.contains(c))
            .cloned()
            .collect();
        no_images.sort();
        no_images.dedup();
        e.into_result()?;
        Ok(Settings {
            max_file,
            max_incident,
            no_images,
        })
    }
}

/// The school's categories: (code, name, refuses every file by design).
async fn categories(
    state: &AppState,
    school_id: &str,
) -> Result<Vec<(String, String, bool)>, AppError> {
    Ok(crate::incidents::handlers::categories(state, school_id)
        .await?
        .into_iter()
        .map(|c| {
            let refused = crate::categories::safeguards::refuses_attachments(&c.code);
            (c.code, c.name, refused)
        })
        .collect())
}

/// `GET /admin/attachments`.
pub async fn settings_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let cats = categories(&state, &school_id).await?;
    let settings = db::run(&state.pool, move |conn| {
        Ok(store::settings(conn, &school_id)?)
    })
    .await?;
    let mut p = Page::for_user("Attachments", &user, &csrf);
    p.saved = req.query_string().split('&').any(|q| q == "saved=1");
    Ok(page(super::views::settings(
        &p,
        &cats,
        &SettingsInput::of(&settings),
        &FieldErrors::default(),
    )))
}

/// `POST /admin/attachments`.
pub async fn save_settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<SettingsInput>,
) -> Result<HttpResponse, AppError> {
    let input = form.into_inner();
    let school_id = user.school_id.clone();
    let cats = categories(&state, &school_id).await?;
    let codes: Vec<String> = cats.iter().map(|c| c.0.clone()).collect();
    let settings = match input.parse(&codes) {
        Ok(s) => s,
        Err(errors) => {
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                super::views::settings(
                    &Page::for_user("Attachments", &user, &csrf),
                    &cats,
                    &input,
                    &errors,
                ),
            ))
        }
    };
    let (now, actor, ip) = (
        state.clock.now_naive(),
        user.id.clone(),
        crate::auth::session::client_ip(&req),
    );
    db::run(&state.pool, move |conn| {
        crate::db::dialect::write_transaction(conn, |conn| {
            store::save_settings(conn, &school_id, &settings, &actor, now)?;
            let mut e = crate::audit::Event::new("attachment_settings_changed", now)
                .school(&school_id)
                .ip(Some(&ip))
                .detail(format!(
                    "max file {} bytes, max incident {} bytes, no images: {}",
                    settings.max_file,
                    settings.max_incident,
                    settings.no_images.join(" ")
                ));
            e.actor_id = Some(actor.clone());
            crate::audit::store::insert(conn, &e)?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/admin/attachments?saved=1"))
}
