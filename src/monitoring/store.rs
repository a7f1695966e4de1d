//! SQL for monitoring alerts, their ingestion keys, the severity mappings
//! and the school's target. Every read and write names the school: an alert
//! or a key of another school is never found.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Alert, KeyRow, Severity, Status};
use crate::db::schema::{
    monitoring_alerts, monitoring_keys, monitoring_settings, monitoring_severities,
    monitoring_triagers, pupils, users,
};
use crate::db::AnyConnection;

/// The target when a school has set none: a first look within a day.
pub const DEFAULT_LOOK_WITHIN_HOURS: i32 = 24;

// ---- keys ----

/// A live key: (key id, school id, source as named).
pub struct LiveKey {
    pub id: String,
    pub school_id: String,
    pub source: String,
    pub source_key: String,
}

pub fn key_by_hash(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<LiveKey>> {
    let row: Option<(String, String, String, String)> = monitoring_keys::table
        .filter(monitoring_keys::key_hash.eq(hash))
        .filter(monitoring_keys::revoked_at.is_null())
        .select((
            monitoring_keys::id,
            monitoring_keys::school_id,
            monitoring_keys::source,
            monitoring_keys::source_key,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, school_id, source, source_key)| LiveKey {
        id,
        school_id,
        source,
        source_key,
    }))
}

/// The live key of a source, if any.
pub fn live_key_of(
    conn: &mut AnyConnection,
    school_id: &str,
    source_key: &str,
) -> QueryResult<Option<String>> {
    monitoring_keys::table
        .filter(monitoring_keys::school_id.eq(school_id))
        .filter(monitoring_keys::source_key.eq(source_key))
        .filter(monitoring_keys::revoked_at.is_null())
        .select(monitoring_keys::id)
        .first(conn)
        .optional()
}

pub struct NewKey<'a> {
    pub school_id: &'a str,
    pub source: &'a str,
    pub source_key: &'a str,
    pub key_hash: &'a str,
    pub created_by: Option<&'a str>,
}

pub fn insert_key(
    conn: &mut AnyConnection,
    k: &NewKey<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(monitoring_keys::table)
        .values((
            monitoring_keys::id.eq(&id),
            monitoring_keys::school_id.eq(k.school_id),
            monitoring_keys::source.eq(k.source),
            monitoring_keys::source_key.eq(k.source_key),
            monitoring_keys::key_hash.eq(k.key_hash),
            monitoring_keys::created_at.eq(at),
            monitoring_keys::created_by.eq(k.created_by),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Revokes a live key of the school; false when there was none.
pub fn revoke_key(
    conn: &mut AnyConnection,
    school_id: &str,
    key_id: &str,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        monitoring_keys::table
            .filter(monitoring_keys::id.eq(key_id))
            .filter(monitoring_keys::school_id.eq(school_id))
            .filter(monitoring_keys::revoked_at.is_null()),
    )
    .set((
        monitoring_keys::revoked_at.eq(at),
        monitoring_keys::revoked_by.eq(by),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Every key the school has had, live first, with who made and revoked it.
pub fn keys_of(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<KeyRow>> {
    type Row = (
        String,
        String,
        String,
        NaiveDateTime,
        Option<String>,
        Option<NaiveDateTime>,
        Option<String>,
    );
    let rows: Vec<Row> = monitoring_keys::table
        .filter(monitoring_keys::school_id.eq(school_id))
        .order((
            monitoring_keys::source_key.asc(),
            monitoring_keys::created_at.desc(),
            monitoring_keys::id.asc(),
        ))
        .select((
            monitoring_keys::id,
            monitoring_keys::source,
            monitoring_keys::source_key,
            monitoring_keys::created_at,
            monitoring_keys::created_by,
            monitoring_keys::revoked_at,
            monitoring_keys::revoked_by,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, source, source_key, created_at, created_by, revoked_at, revoked_by) in rows {
        out.push(KeyRow {
            id,
            source,
            source_key,
            created_at,
            created_by: name_of(conn, created_by.as_deref())?,
            revoked_at,
            revoked_by: name_of(conn, revoked_by.as_deref())?,
        });
    }
    out.sort_by_key(|k| k.revoked_at.is_some());
    Ok(out)
}

pub fn name_of(conn: &mut AnyConnection, user_id: Option<&str>) -> QueryResult<Option<String>> {
    match user_id {
        Some(id) => users::table
            .find(id)
            .select(users::name)
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

// ---- severity mappings and the target ----

/// The school's mapping for a source: (tool value, severity), by value.
pub fn mapping_of(
    conn: &mut AnyConnection,
    school_id: &str,
    source_key: &str,
) -> QueryResult<Vec<(String, String)>> {
    monitoring_severities::table
        .filter(monitoring_severities::school_id.eq(school_id))
        .filter(monitoring_severities::source_key.eq(source_key))
        .order(monitoring_severities::tool_value.asc())
        .select((
            monitoring_severities::tool_value,
            monitoring_severities::severity,
        ))
        .load(conn)
}

/// The severity a tool's value maps to for this school and source: the
/// school's own mapping, else the built-in reading.
pub fn map_severity(
    conn: &mut AnyConnection,
    school_id: &str,
    source_key: &str,
    tool_value: &str,
) -> QueryResult<Severity> {
    let set: Option<String> = monitoring_severities::table
        .filter(monitoring_severities::school_id.eq(school_id))
        .filter(monitoring_severities::source_key.eq(source_key))
        .filter(monitoring_severities::tool_value.eq(tool_value.trim().to_lowercase()))
        .select(monitoring_severities::severity)
        .first(conn)
        .optional()?;
    Ok(set
        .as_deref()
        .and_then(Severity::parse)
        .unwrap_or_else(|| Severity::default_for(tool_value)))
}

/// Replaces a source's mapping with `entries` (tool value lower-cased,
/// severity). A mapping is the school's setting, not a record: the audit
/// trail keeps what it was changed to.
pub fn set_mapping(
    conn: &mut AnyConnection,
    school_id: &str,
    source_key: &str,
    entries: &[(String, Severity)],
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        monitoring_severities::table
            .filter(monitoring_severities::school_id.eq(school_id))
            .filter(monitoring_severities::source_key.eq(source_key)),
    )
    .execute(conn)?;
    for (value, severity) in entries {
        diesel::insert_into(monitoring_severities::table)
            .values((
                monitoring_severities::school_id.eq(school_id),
                monitoring_severities::source_key.eq(source_key),
                monitoring_severities::tool_value.eq(value),
                monitoring_severities::severity.eq(severity.as_str()),
                monitoring_severities::updated_at.eq(at),
                monitoring_severities::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn look_within_hours(conn: &mut AnyConnection, school_id: &str) -> QueryResult<i32> {
    Ok(monitoring_settings::table
        .find(school_id)
        .select(monitoring_settings::look_within_hours)
        .first(conn)
        .optional()?
        .unwrap_or(DEFAULT_LOOK_WITHIN_HOURS))
}

pub fn set_look_within_hours(
    conn: &mut AnyConnection,
    school_id: &str,
    hours: i32,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(monitoring_settings::table.find(school_id))
        .set((
            monitoring_settings::look_within_hours.eq(hours),
            monitoring_settings::updated_at.eq(at),
            monitoring_settings::updated_by.eq(by),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(monitoring_settings::table)
            .values((
                monitoring_settings::school_id.eq(school_id),
                monitoring_settings::look_within_hours.eq(hours),
                monitoring_settings::updated_at.eq(at),
                monitoring_settings::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

// ---- alerts ----

/// The pupil on the school's roll whose UPN is `identifier` (any case),
/// when exactly one is.
pub fn pupil_by_identifier(
    conn: &mut AnyConnection,
    school_id: &str,
    identifier: &str,
) -> QueryResult<Option<String>> {
    let wanted = identifier.trim().to_lowercase();
    if wanted.is_empty() {
        return Ok(None);
    }
    let found: Vec<String> = pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(upn) = ")
                .bind::<diesel::sql_types::Text, _>(wanted),
        )
        .select(pupils::id)
        .limit(2)
        .load(conn)?;
    Ok(match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    })
}

/// A pupil's name and tutor group, in the school.
pub fn pupil(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
) -> QueryResult<Option<(String, Option<String>)>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::id.eq(id))
        .select((pupils::name, pupils::tutor_group))
        .first(conn)
        .optional()
}

/// The pupils alerts have been matched to, by name: for the inbox's filter.
pub fn matched_pupils(
    conn: &mut AnyConnection,
    school_id: &str,
    excluded: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let ids: Vec<Option<String>> = monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::pupil_id.is_not_null())
        .select(monitoring_alerts::pupil_id)
        .distinct()
        .load(conn)?;
    let ids: Vec<String> = ids
        .into_iter()
        .flatten()
        .filter(|p| !excluded.contains(p))
        .collect();
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::id.eq_any(ids))
        .order((pupils::name.asc(), pupils::id.asc()))
        .select((pupils::id, pupils::name))
        .load(conn)
}

pub fn by_tool_id(
    conn: &mut AnyConnection,
    school_id: &str,
    source_key: &str,
    tool_alert_id: &str,
) -> QueryResult<Option<Alert>> {
    monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::source_key.eq(source_key))
        .filter(monitoring_alerts::tool_alert_id.eq(tool_alert_id))
        .select(Alert::as_select())
        .first(conn)
        .optional()
}

pub struct NewAlert<'a> {
    pub school_id: &'a str,
    pub key_id: &'a str,
    pub source: &'a str,
    pub source_key: &'a str,
    pub tool_alert_id: &'a str,
    pub occurred_at: Option<NaiveDateTime>,
    pub tool_severity: &'a str,
    pub severity: Severity,
    pub device: Option<&'a str>,
    pub account: Option<&'a str>,
    pub pupil_identifier: Option<&'a str>,
    pub pupil_id: Option<&'a str>,
    pub category_hint: Option<&'a str>,
    pub text: Option<&'a str>,
    pub url: Option<&'a str>,
    pub extra: Option<&'a str>,
}

pub fn insert_alert(
    conn: &mut AnyConnection,
    a: &NewAlert<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(monitoring_alerts::table)
        .values((
            monitoring_alerts::id.eq(&id),
            monitoring_alerts::school_id.eq(a.school_id),
            monitoring_alerts::key_id.eq(a.key_id),
            monitoring_alerts::source.eq(a.source),
            monitoring_alerts::source_key.eq(a.source_key),
            monitoring_alerts::tool_alert_id.eq(a.tool_alert_id),
            monitoring_alerts::received_at.eq(at),
            monitoring_alerts::occurred_at.eq(a.occurred_at),
            monitoring_alerts::tool_severity.eq(a.tool_severity),
            monitoring_alerts::severity.eq(a.severity.as_str()),
            monitoring_alerts::severity_rank.eq(a.severity.rank()),
            monitoring_alerts::device.eq(a.device),
            monitoring_alerts::account.eq(a.account),
            monitoring_alerts::pupil_identifier.eq(a.pupil_identifier),
            monitoring_alerts::pupil_id.eq(a.pupil_id),
            monitoring_alerts::category_hint.eq(a.category_hint),
            monitoring_alerts::text.eq(a.text),
            monitoring_alerts::url.eq(a.url),
            monitoring_alerts::extra.eq(a.extra),
            monitoring_alerts::status.eq(Status::New.as_str()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// One alert of the school; None, as for another school's, when it is
/// about a pupil in `excluded` (the reader's exclusions).
pub fn get(
    conn: &mut AnyConnection,
    school_id: &str,
    excluded: &[String],
    id: &str,
) -> QueryResult<Option<Alert>> {
    let found: Option<Alert> = monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::id.eq(id))
        .select(Alert::as_select())
        .first(conn)
        .optional()?;
    Ok(found.filter(|a| a.pupil_id.as_ref().is_none_or(|p| !excluded.contains(p))))
}

/// The inbox's filters, checked.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// None: every status. The page's default is the open ones.
    pub statuses: Option<Vec<Status>>,
    pub severity: Option<Severity>,
    pub source_key: Option<String>,
    pub pupil_id: Option<String>,
    /// The reader's exclusions: alerts about these pupils are left out.
    pub excluded: Vec<String>,
}

/// A page of the school's alerts, most severe first and newest first
/// within a severity, and how many match in all.
pub fn list(
    conn: &mut AnyConnection,
    school_id: &str,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Alert>, i64)> {
    let query = || {
        let mut q = monitoring_alerts::table
            .filter(monitoring_alerts::school_id.eq(school_id.to_string()))
            .into_boxed();
        if let Some(statuses) = &f.statuses {
            let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            q = q.filter(monitoring_alerts::status.eq_any(names));
        }
        if let Some(s) = f.severity {
            q = q.filter(monitoring_alerts::severity.eq(s.as_str()));
        }
        if let Some(k) = &f.source_key {
            q = q.filter(monitoring_alerts::source_key.eq(k.clone()));
        }
        if let Some(p) = &f.pupil_id {
            q = q.filter(monitoring_alerts::pupil_id.eq(p.clone()));
        }
        if !f.excluded.is_empty() {
            // An alert matched to no pupil is kept (NULL NOT IN is not true).
            q = q.filter(
                monitoring_alerts::pupil_id.is_null().or(diesel::dsl::not(
                    monitoring_alerts::pupil_id
                        .assume_not_null()
                        .eq_any(f.excluded.clone()),
                )),
            );
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .order((
            monitoring_alerts::severity_rank.desc(),
            monitoring_alerts::received_at.desc(),
            monitoring_alerts::id.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(Alert::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The sources the school's alerts and keys name: (source key, as named).
pub fn sources(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<(String, String)>> {
    let mut rows: Vec<(String, String)> = monitoring_keys::table
        .filter(monitoring_keys::school_id.eq(school_id))
        .order((
            monitoring_keys::source_key.asc(),
            monitoring_keys::created_at.desc(),
        ))
        .select((monitoring_keys::source_key, monitoring_keys::source))
        .load(conn)?;
    rows.dedup_by(|a, b| a.0 == b.0);
    Ok(rows)
}

/// Records the first look at an alert, once.
pub fn mark_looked(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        monitoring_alerts::table
            .filter(monitoring_alerts::id.eq(id))
            .filter(monitoring_alerts::first_looked_at.is_null()),
    )
    .set((
        monitoring_alerts::first_looked_at.eq(at),
        monitoring_alerts::first_looked_by.eq(by),
    ))
    .execute(conn)?;
    Ok(())
}

/// New to acknowledged; false when it was not new.
pub fn acknowledge(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    mark_looked(conn, id, by, at)?;
    let n = diesel::update(
        monitoring_alerts::table
            .filter(monitoring_alerts::id.eq(id))
            .filter(monitoring_alerts::status.eq(Status::New.as_str())),
    )
    .set((
        monitoring_alerts::status.eq(Status::Acknowledged.as_str()),
        monitoring_alerts::acknowledged_at.eq(at),
        monitoring_alerts::acknowledged_by.eq(by),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// A decision on an open alert: dismissed with its reason, or promoted to
/// an incident. False when the alert was already decided.
pub fn decide(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    decision: &Decision<'_>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    mark_looked(conn, id, by, at)?;
    let open = monitoring_alerts::table
        .filter(monitoring_alerts::id.eq(id))
        .filter(
            monitoring_alerts::status.eq_any([Status::New.as_str(), Status::Acknowledged.as_str()]),
        );
    let n = match decision {
        Decision::Dismissed { reason, note } => diesel::update(open)
            .set((
                monitoring_alerts::status.eq(Status::Dismissed.as_str()),
                monitoring_alerts::decided_at.eq(at),
                monitoring_alerts::decided_by.eq(by),
                monitoring_alerts::dismiss_reason.eq(*reason),
                monitoring_alerts::dismiss_note.eq(*note),
            ))
            .execute(conn)?,
        Decision::Promoted { incident_id } => diesel::update(open)
            .set((
                monitoring_alerts::status.eq(Status::Promoted.as_str()),
                monitoring_alerts::decided_at.eq(at),
                monitoring_alerts::decided_by.eq(by),
                monitoring_alerts::incident_id.eq(*incident_id),
            ))
            .execute(conn)?,
    };
    Ok(n > 0)
}

pub enum Decision<'a> {
    Dismissed {
        reason: &'a str,
        note: Option<&'a str>,
    },
    Promoted {
        incident_id: &'a str,
    },
}

/// What the figures are worked from: (severity, received, first look,
/// decided), for alerts received since `since`.
/// (severity, received, first look, decided).
pub type Timing = (
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

pub fn timings_since(
    conn: &mut AnyConnection,
    school_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<Timing>> {
    monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::received_at.ge(since))
        .select((
            monitoring_alerts::severity,
            monitoring_alerts::received_at,
            monitoring_alerts::first_looked_at,
            monitoring_alerts::decided_at,
        ))
        .load(conn)
}

/// Alerts nobody has looked at yet that arrived before `before`, by
/// severity: the ones past the school's target.
pub fn unlooked_before(
    conn: &mut AnyConnection,
    school_id: &str,
    before: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::first_looked_at.is_null())
        .filter(monitoring_alerts::received_at.lt(before))
        .select(monitoring_alerts::severity)
        .load(conn)
}

/// Open alerts nobody has looked at, by severity name: for the start page
/// of a reader excluded from `excluded`, whose alerts are not counted.
pub fn unlooked(
    conn: &mut AnyConnection,
    school_id: &str,
    excluded: &[String],
) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::first_looked_at.is_null())
        .filter(monitoring_alerts::status.eq(Status::New.as_str()))
        .select((monitoring_alerts::severity, monitoring_alerts::pupil_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, p)| p.as_ref().is_none_or(|p| !excluded.contains(p)))
        .map(|(s, _)| s)
        .collect())
}

// ---- people the school names to triage ----

/// The people the school names to triage its alerts: (user id, name,
/// email, when named), by name.
pub fn named_triagers(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Vec<(String, String, String, NaiveDateTime)>> {
    monitoring_triagers::table
        .inner_join(users::table.on(users::id.eq(monitoring_triagers::user_id)))
        .filter(monitoring_triagers::school_id.eq(school_id))
        .order((users::name.asc(), users::id.asc()))
        .select((
            users::id,
            users::name,
            users::email,
            monitoring_triagers::named_at,
        ))
        .load(conn)
}

/// Names a person; false when they were named already.
pub fn name_triager(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let named: i64 = monitoring_triagers::table
        .filter(monitoring_triagers::school_id.eq(school_id))
        .filter(monitoring_triagers::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    if named > 0 {
        return Ok(false);
    }
    diesel::insert_into(monitoring_triagers::table)
        .values((
            monitoring_triagers::school_id.eq(school_id),
            monitoring_triagers::user_id.eq(user_id),
            monitoring_triagers::named_at.eq(at),
            monitoring_triagers::named_by.eq(by),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Takes a person off the list (a setting: the audit trail keeps that they
/// were on it); false when they were not on it.
pub fn unname_triager(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
) -> QueryResult<bool> {
    let n = diesel::delete(
        monitoring_triagers::table
            .filter(monitoring_triagers::school_id.eq(school_id))
            .filter(monitoring_triagers::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}
