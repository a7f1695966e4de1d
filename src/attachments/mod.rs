//! Evidence attached to an incident (issue 16): screenshots of messages, a
//! letter, a document. The bytes are kept in the data folder under their
//! SHA-256 ([`files`]), the row says what each is ([`store`]); the record
//! shows each file's hash and checks the file on disk against it every time
//! the page is opened, saying plainly if it has changed or gone.
//!
//! What is refused, and why ([`kinds`]): every file on a category whose
//! safeguard forbids holding the material (nudes-sharing, abuse-imagery);
//! any image on a category the school marks "no images"; anything over the
//! school's limits per file and per incident. Files are seen by whoever
//! reads the incident (the member of staff who logged it sees the files
//! they added), are downloaded only as attachments with a sandboxing CSP,
//! every download is audited, and none is ever deleted: "entered in error"
//! hides one with who, when and why, and keeps it.

pub mod files;
mod handlers;
pub mod kinds;
pub mod store;
pub mod views;

use std::path::Path;

use chrono::NaiveDateTime;

use crate::auth::{Access, Role, Router};
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::incidents::logging::{audit_event, Origin};
use crate::incidents::model::IncidentView;
use crate::incidents::store::timeline::Author;
use crate::incidents::{Viewer, LOOKERS, READERS};
use files::Integrity;
use store::{Attachment, Settings};

/// Who may hide a file as entered in error: as for an incident.
const CORRECTORS: Access = Access::Roles(&[Role::Dsl, Role::Headteacher]);
const ADMIN: Access = Access::Roles(&[Role::Admin]);

pub fn routes(r: &mut Router<'_>) {
    r.post("/incidents/{id}/attachments", READERS, handlers::upload)
        .get(
            "/incidents/{id}/attachments/{attachment_id}",
            LOOKERS,
            handlers::download,
        )
        .post(
            "/incidents/{id}/attachments/{attachment_id}/entered-in-error",
            CORRECTORS,
            handlers::mark_in_error,
        )
        .get("/admin/attachments", ADMIN, handlers::settings_page)
        .post("/admin/attachments", ADMIN, handlers::save_settings)
        .post(
            "/api/v1/incidents/{id}/attachments",
            READERS,
            handlers::api_upload,
        )
        .get(
            "/api/v1/incidents/{id}/attachments",
            READERS,
            handlers::api_list,
        )
        .get(
            "/api/v1/incidents/{id}/attachments/{attachment_id}",
            READERS,
            handlers::api_download,
        );
}

/// What the record page shows of an incident's files.
#[derive(Clone, Debug, Default)]
pub struct Panel {
    /// The files this viewer sees, with what the file on disk says (None
    /// until checked: [`verify`]).
    pub items: Vec<(Attachment, Option<Integrity>)>,
    /// Why this category takes no file at all (its safeguard, quoting its
    /// guidance).
    pub refused: Option<String>,
    pub no_images: bool,
    pub may_add: bool,
    pub may_mark_in_error: bool,
    pub max_file: i64,
    pub max_incident: i64,
    pub used: i64,
    /// An upload just refused, said back on the page.
    pub error: Option<String>,
}

/// The files of an incident this viewer sees: all of them to a full
/// reader; to the member of staff who logged it, those they added.
fn visible(viewer: &Viewer, view: &IncidentView, all: Vec<Attachment>) -> Vec<Attachment> {
    if view.full {
        all
    } else {
        all.into_iter()
            .filter(|a| a.uploaded_by.as_deref() == Some(viewer.user_id.as_str()))
            .collect()
    }
}

/// The attachments panel of a record the viewer has been let read.
pub fn panel(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    view: &IncidentView,
) -> diesel::QueryResult<Panel> {
    let i = &view.incident;
    let settings = store::settings(conn, &i.school_id)?;
    let all = store::of_incident(conn, &i.id)?;
    let used = all
        .iter()
        .filter(|a| !a.entered_in_error())
        .map(|a| a.size)
        .sum();
    let refused = kinds::refused_by_category(&i.category_code, &view.category.guidance);
    Ok(Panel {
        items: visible(viewer, view, all)
            .into_iter()
            .map(|a| (a, None))
            .collect(),
        may_add: refused.is_none() && viewer.writes() && !i.entered_in_error(),
        refused,
        no_images: settings.refuses_images(&i.category_code),
        may_mark_in_error: view.full && viewer.may_mark_in_error(),
        max_file: settings.max_file,
        max_incident: settings.max_incident,
        used,
        error: None,
    })
}

/// Checks each file of the panel on disk against its recorded hash.
pub fn verify(data_dir: &Path, panel: &mut Panel) {
    for (a, integrity) in &mut panel.items {
        *integrity = Some(files::check(data_dir, &a.sha256));
    }
}

/// A size as people read it.
pub fn size_words(bytes: i64) -> String {
    const MB: i64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        if tenths % 10 == 0 {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if bytes >= 1024 {
        format!("{} KB", (bytes + 512) / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Why a file was not kept: said on the form, or as a 422 by the API.
#[derive(Debug)]
pub enum Refused {
    /// Shown beside the file field.
    File(String),
    App(AppError),
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Refused::App(e)
    }
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Refused::App(e.into())
    }
}

/// The incident a viewer may add a file to, or why not.
fn target(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    incident_id: &str,
) -> Result<IncidentView, Refused> {
    let view =
        crate::incidents::store::get(conn, viewer, incident_id)?.ok_or(AppError::NotFound)?;
    if !viewer.writes() {
        return Err(AppError::NotFound.into());
    }
    if view.tombstone.is_some() {
        return Err(AppError::Conflict(crate::incidents::model::DESTROYED.into()).into());
    }
    if view.incident.entered_in_error() {
        return Err(AppError::Conflict(
            "This record was marked as entered in error, so no file can be added to it.".into(),
        )
        .into());
    }
    if let Some(why) =
        kinds::refused_by_category(&view.incident.category_code, &view.category.guidance)
    {
        return Err(Refused::File(why));
    }
    Ok(view)
}

/// The school's settings for an incident a viewer may add to, read before
/// the upload's bytes are (to know where to stop reading).
pub fn limits_for(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    incident_id: &str,
) -> Result<Settings, Refused> {
    let view = target(conn, viewer, incident_id)?;
    Ok(store::settings(conn, &view.incident.school_id)?)
}

/// An upload, read from the request.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Keeps a file on an incident: every refusal checked, the file written to
/// disk, then its row and the audit entry in one transaction.
#[allow(clippy::too_many_arguments)]
pub fn add(
    conn: &mut AnyConnection,
    data_dir: &Path,
    viewer: &Viewer,
    author: &Author,
    incident_id: &str,
    upload: &Upload,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<Attachment, Refused> {
    write_transaction(conn, |conn| {
        let view = target(conn, viewer, incident_id)?;
        let i = &view.incident;
        let settings = store::settings(conn, &i.school_id)?;
        let size = i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX);
        if size == 0 {
            return Err(Refused::File(
                "The file is empty: choose the file again.".into(),
            ));
        }
        if size > settings.max_file {
            return Err(Refused::File(too_large(settings.max_file)));
        }
        let used = store::total_size(conn, &i.id)?;
        if used.saturating_add(size) > settings.max_incident {
            return Err(Refused::File(format!(
                "This incident already holds {} of files and the school's limit is {} per incident, so this file ({}) was not kept. A lead can mark a file entered in error, or the administrator can raise the limit.",
                size_words(used),
                size_words(settings.max_incident),
                size_words(size)
            )));
        }
        let detected = kinds::detect(&upload.bytes);
        if settings.refuses_images(&i.category_code) {
            if let Some(why) = kinds::refused_as_image(&detected) {
                return Err(Refused::File(why.into()));
            }
        }
        let sha256 = files::store(data_dir, &upload.bytes).map_err(|e| {
            AppError::Internal(format!("cannot keep an attachment in the data folder: {e}"))
        })?;
        let id = store::insert(
            conn,
            &store::NewAttachment {
                school_id: &i.school_id,
                incident_id: &i.id,
                name: &upload.name,
                media_type: &detected.media_type,
                size,
                sha256: &sha256,
                uploaded_by: author.user_id.as_deref(),
                uploaded_by_initials: &author.initials,
            },
            now,
        )?;
        crate::audit::store::insert(
            conn,
            &audit_event("attachment_added", &i.school_id, &i.id, author, origin, now).detail(
                format!("attachment {id} sha256 {sha256} via {}", origin.via),
            ),
        )?;
        store::of_incident(conn, &i.id)?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                AppError::Internal("the attachment just added is not there".into()).into()
            })
    })
}

/// The refusal of a file over the school's per-file limit.
pub fn too_large(max_file: i64) -> String {
    format!(
        "The file is larger than the school's limit of {} per file, so it was not kept. Send a smaller copy (a screenshot rather than a video, say), or ask the administrator.",
        size_words(max_file)
    )
}

/// The files of an incident as the viewer sees them; None when the viewer
/// may not read the incident.
pub fn list(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    incident_id: &str,
) -> Result<Option<Vec<Attachment>>, AppError> {
    let Some(view) = crate::incidents::store::get(conn, viewer, incident_id)? else {
        return Ok(None);
    };
    // A destroyed record's files are gone, and their names with them.
    if view.tombstone.is_some() {
        return Ok(Some(Vec::new()));
    }
    let all = store::of_incident(conn, incident_id)?;
    Ok(Some(visible(viewer, &view, all)))
}

/// One file to download, its opening audited as the record's is; None
/// when the viewer may not see it.
pub fn open(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    author: &Author,
    incident_id: &str,
    attachment_id: &str,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<Option<Attachment>, AppError> {
    let Some(found) = list(conn, viewer, incident_id)?
        .and_then(|all| all.into_iter().find(|a| a.id == attachment_id))
    else {
        return Ok(None);
    };
    crate::audit::store::insert(
        conn,
        &audit_event(
            "attachment_downloaded",
            &viewer.school_id,
            incident_id,
            author,
            origin,
            now,
        )
        .detail(format!("attachment {} via {}", found.id, origin.via)),
    )?;
    Ok(Some(found))
}

/// Hides a file as entered in error, keeping it, with who, when and why.
#[allow(clippy::too_many_arguments)]
pub fn mark_in_error(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    author: &Author,
    incident_id: &str,
    attachment_id: &str,
    reason: &str,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_transaction(conn, |conn| {
        let view = crate::incidents::store::get(conn, viewer, incident_id)?
            .filter(|v| v.full && viewer.may_mark_in_error())
            .filter(|v| v.tombstone.is_none())
            .ok_or(AppError::NotFound)?;
        let found = store::of_incident(conn, &view.incident.id)?
            .into_iter()
            .find(|a| a.id == attachment_id)
            .ok_or(AppError::NotFound)?;
        let me = author.user_id.as_deref().unwrap_or_default();
        if !store::mark_in_error(conn, &found.id, me, reason, now)? {
            return Err(AppError::Conflict(
                "This file was already marked as entered in error.".into(),
            ));
        }
        crate::audit::store::insert(
            conn,
            &audit_event(
                "attachment_entered_in_error",
                &view.incident.school_id,
                incident_id,
                author,
                origin,
                now,
            )
            .detail(format!("attachment {}", found.id)),
        )?;
        Ok(())
    })
}
