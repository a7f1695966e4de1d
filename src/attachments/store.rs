//! SQL for attachments: their rows, the school's limits and its "no
//! images" categories.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{attachment_no_images, attachment_settings, attachments};
use crate::db::AnyConnection;

/// One attachment's row.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: String,
    pub school_id: String,
    pub incident_id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: Option<String>,
    pub uploaded_by_initials: String,
    pub uploaded_at: NaiveDateTime,
    pub entered_in_error_at: Option<NaiveDateTime>,
    pub entered_in_error_by: Option<String>,
    pub entered_in_error_reason: Option<String>,
}

impl Attachment {
    pub fn entered_in_error(&self) -> bool {
        self.entered_in_error_at.is_some()
    }
}

pub struct NewAttachment<'a> {
    pub school_id: &'a str,
    pub incident_id: &'a str,
    pub name: &'a str,
    pub media_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub uploaded_by: Option<&'a str>,
    pub uploaded_by_initials: &'a str,
}

pub fn insert(
    conn: &mut AnyConnection,
    a: &NewAttachment<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(attachments::table)
        .values((
            attachments::id.eq(&id),
            attachments::school_id.eq(a.school_id),
            attachments::incident_id.eq(a.incident_id),
            attachments::name.eq(a.name),
            attachments::media_type.eq(a.media_type),
            attachments::size.eq(a.size),
            attachments::sha256.eq(a.sha256),
            attachments::uploaded_by.eq(a.uploaded_by),
            attachments::uploaded_by_initials.eq(a.uploaded_by_initials),
            attachments::uploaded_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Every attachment of an incident, oldest first, entered in error or not.
pub fn of_incident(conn: &mut AnyConnection, incident_id: &str) -> QueryResult<Vec<Attachment>> {
    attachments::table
        .filter(attachments::incident_id.eq(incident_id))
        .order((attachments::uploaded_at.asc(), attachments::id.asc()))
        .select(Attachment::as_select())
        .load(conn)
}

/// The attachments of many incidents (for exports), by incident.
pub fn of_incidents(
    conn: &mut AnyConnection,
    incident_ids: &[String],
) -> QueryResult<std::collections::HashMap<String, Vec<Attachment>>> {
    let mut out: std::collections::HashMap<String, Vec<Attachment>> = Default::default();
    // In slices: a query's parameters are limited on both backends.
    for ids in incident_ids.chunks(500) {
        let rows: Vec<Attachment> = attachments::table
            .filter(attachments::incident_id.eq_any(ids))
            .order((attachments::uploaded_at.asc(), attachments::id.asc()))
            .select(Attachment::as_select())
            .load(conn)?;
        for a in rows {
            out.entry(a.incident_id.clone()).or_default().push(a);
        }
    }
    Ok(out)
}

/// The bytes an incident holds in files not entered in error.
pub fn total_size(conn: &mut AnyConnection, incident_id: &str) -> QueryResult<i64> {
    let sizes: Vec<i64> = attachments::table
        .filter(attachments::incident_id.eq(incident_id))
        .filter(attachments::entered_in_error_at.is_null())
        .select(attachments::size)
        .load(conn)?;
    Ok(sizes.into_iter().sum())
}

/// Hides an attachment with who, when and why; false when it was already.
pub fn mark_in_error(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        attachments::table
            .filter(attachments::id.eq(id))
            .filter(attachments::entered_in_error_at.is_null()),
    )
    .set((
        attachments::entered_in_error_at.eq(at),
        attachments::entered_in_error_by.eq(by),
        attachments::entered_in_error_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Default limits: a few phone screenshots or a scanned letter fit in one
/// file; a case's worth of them in all.
pub const DEFAULT_MAX_FILE: i64 = 10 * 1024 * 1024;
pub const DEFAULT_MAX_INCIDENT: i64 = 50 * 1024 * 1024;
/// The most a school may allow: what one request may carry (the body is
/// read whole to check the form's token) and what an incident may hold.
pub const CEILING_FILE: i64 = 50 * 1024 * 1024;
pub const CEILING_INCIDENT: i64 = 500 * 1024 * 1024;

/// A school's attachment settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub max_file: i64,
    pub max_incident: i64,
    /// Category codes that take no images.
    pub no_images: Vec<String>,
}

impl Settings {
    pub fn refuses_images(&self, code: &str) -> bool {
        self.no_images.iter().any(|c| c == code)
    }
}

pub fn settings(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Settings> {
    let limits: Option<(i64, i64)> = attachment_settings::table
        .find(school_id)
        .select((
            attachment_settings::max_file_bytes,
            attachment_settings::max_incident_bytes,
        ))
        .first(conn)
        .optional()?;
    let (max_file, max_incident) = limits.unwrap_or((DEFAULT_MAX_FILE, DEFAULT_MAX_INCIDENT));
    let no_images = attachment_no_images::table
        .filter(attachment_no_images::school_id.eq(school_id))
        .order(attachment_no_images::category_code.asc())
        .select(attachment_no_images::category_code)
        .load(conn)?;
    Ok(Settings {
        max_file,
        max_incident,
        no_images,
    })
}

/// Replaces a school's settings (call in a write transaction).
pub fn save_settings(
    conn: &mut AnyConnection,
    school_id: &str,
    s: &Settings,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(attachment_settings::table.find(school_id))
        .set((
            attachment_settings::max_file_bytes.eq(s.max_file),
            attachment_settings::max_incident_bytes.eq(s.max_incident),
            attachment_settings::updated_at.eq(at),
            attachment_settings::updated_by.eq(by),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(attachment_settings::table)
            .values((
                attachment_settings::school_id.eq(school_id),
                attachment_settings::max_file_bytes.eq(s.max_file),
                attachment_settings::max_incident_bytes.eq(s.max_incident),
                attachment_settings::updated_at.eq(at),
                attachment_settings::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        attachment_no_images::table.filter(attachment_no_images::school_id.eq(school_id)),
    )
    .execute(conn)?;
    for code in &s.no_images {
        diesel::insert_into(attachment_no_images::table)
            .values((
                attachment_no_images::school_id.eq(school_id),
                attachment_no_images::category_code.eq(code),
            ))
            .execute(conn)?;
    }
    Ok(())
}
