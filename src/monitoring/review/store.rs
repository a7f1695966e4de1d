//! SQL for the annual review: the year's alerts and incidents it counts,
//! the register of filtering decisions, drafts and publications. Every
//! read names the school.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{Decision, Review, Snapshot};
use crate::db::schema::{
    categories, filtering_decisions, incidents, monitoring_alerts, monitoring_review_drafts,
    monitoring_review_publications, users,
};
use crate::db::AnyConnection;

/// One of the year's alerts as the review counts it: (source key, source
/// as named, severity, status, dismiss reason, received, first look,
/// incident it became).
pub type AlertRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
);

/// The alerts received from `from` up to (not including) `to`.
pub fn alerts_between(
    conn: &mut AnyConnection,
    school_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<AlertRow>> {
    monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::received_at.ge(from))
        .filter(monitoring_alerts::received_at.lt(to))
        .order((
            monitoring_alerts::received_at.asc(),
            monitoring_alerts::id.asc(),
        ))
        .select((
            monitoring_alerts::source_key,
            monitoring_alerts::source,
            monitoring_alerts::severity,
            monitoring_alerts::status,
            monitoring_alerts::dismiss_reason,
            monitoring_alerts::received_at,
            monitoring_alerts::first_looked_at,
            monitoring_alerts::incident_id,
        ))
        .load(conn)
}

/// The category code of each of these incidents of the school (those not
/// entered in error).
pub fn categories_of(
    conn: &mut AnyConnection,
    school_id: &str,
    incident_ids: &[String],
) -> QueryResult<Vec<String>> {
    incidents::table
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::id.eq_any(incident_ids))
        .filter(incidents::entered_in_error_at.is_null())
        .select(incidents::category_code)
        .load(conn)
}

/// The school's name for each category code.
pub fn category_names(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    categories::table
        .filter(categories::school_id.eq(school_id))
        .order((categories::position.asc(), categories::code.asc()))
        .select((categories::code, categories::name))
        .load(conn)
}

/// Incidents in a category counted in the window (as the termly report
/// counts them: by `counted_on`, entered-in-error left out).
pub fn incidents_in(
    conn: &mut AnyConnection,
    school_id: &str,
    code: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> QueryResult<i64> {
    incidents::table
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::category_code.eq(code))
        .filter(incidents::entered_in_error_at.is_null())
        .filter(incidents::counted_on.ge(first))
        .filter(incidents::counted_on.le(last))
        .count()
        .get_result(conn)
}

/// The earliest alert the school received.
pub fn first_alert(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .select(diesel::dsl::min(monitoring_alerts::received_at))
        .first(conn)
}

// ---- the register of filtering decisions ----

pub struct NewDecision<'a> {
    pub school_id: &'a str,
    pub decided_on: NaiveDate,
    pub change: &'a str,
    pub decided_by: &'a str,
    pub reason: &'a str,
    pub corrects_id: Option<&'a str>,
    pub recorded_by: &'a str,
}

pub fn add_decision(
    conn: &mut AnyConnection,
    d: &NewDecision<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(filtering_decisions::table)
        .values((
            filtering_decisions::id.eq(&id),
            filtering_decisions::school_id.eq(d.school_id),
            filtering_decisions::decided_on.eq(d.decided_on),
            filtering_decisions::change.eq(d.change),
            filtering_decisions::decided_by.eq(d.decided_by),
            filtering_decisions::reason.eq(d.reason),
            filtering_decisions::corrects_id.eq(d.corrects_id),
            filtering_decisions::recorded_at.eq(at),
            filtering_decisions::recorded_by.eq(d.recorded_by),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A register entry as read: (id, decided on, change, decided by, reason,
/// corrects, recorded at, recorded by).
type DecisionRow = (
    String,
    NaiveDate,
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
    String,
);

/// The school's decisions, by the day decided (then as recorded), with
/// who recorded each; those decided within `[first, last]` when given.
pub fn decisions(
    conn: &mut AnyConnection,
    school_id: &str,
    within: Option<(NaiveDate, NaiveDate)>,
) -> QueryResult<Vec<Decision>> {
    let mut q = filtering_decisions::table
        .inner_join(users::table.on(users::id.eq(filtering_decisions::recorded_by)))
        .filter(filtering_decisions::school_id.eq(school_id))
        .into_boxed();
    if let Some((first, last)) = within {
        q = q
            .filter(filtering_decisions::decided_on.ge(first))
            .filter(filtering_decisions::decided_on.le(last));
    }
    let rows: Vec<DecisionRow> = q
        .order((
            filtering_decisions::decided_on.asc(),
            filtering_decisions::recorded_at.asc(),
            filtering_decisions::id.asc(),
        ))
        .select((
            filtering_decisions::id,
            filtering_decisions::decided_on,
            filtering_decisions::change,
            filtering_decisions::decided_by,
            filtering_decisions::reason,
            filtering_decisions::corrects_id,
            filtering_decisions::recorded_at,
            users::name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                decided_on,
                change,
                decided_by,
                reason,
                corrects_id,
                recorded_at,
                recorded_by,
            )| {
                Decision {
                    id,
                    decided_on,
                    change,
                    decided_by,
                    reason,
                    corrects_id,
                    recorded_at,
                    recorded_by,
                }
            },
        )
        .collect())
}

/// Whether `id` is one of the school's decisions.
pub fn decision_exists(conn: &mut AnyConnection, school_id: &str, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        filtering_decisions::table
            .filter(filtering_decisions::school_id.eq(school_id))
            .filter(filtering_decisions::id.eq(id)),
    ))
    .get_result(conn)
}

// ---- drafts and publications ----

pub fn draft(conn: &mut AnyConnection, school_id: &str, year: i32) -> QueryResult<Option<String>> {
    monitoring_review_drafts::table
        .find((school_id, year))
        .select(monitoring_review_drafts::commentary)
        .first(conn)
        .optional()
}

pub fn save_draft(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    text: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(monitoring_review_drafts::table.find((school_id, year)))
        .set((
            monitoring_review_drafts::commentary.eq(text),
            monitoring_review_drafts::updated_at.eq(at),
            monitoring_review_drafts::updated_by.eq(by),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(monitoring_review_drafts::table)
            .values((
                monitoring_review_drafts::school_id.eq(school_id),
                monitoring_review_drafts::academic_year.eq(year),
                monitoring_review_drafts::commentary.eq(text),
                monitoring_review_drafts::updated_at.eq(at),
                monitoring_review_drafts::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The latest published version of a year's review.
pub fn publication(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
) -> QueryResult<Option<super::Publication>> {
    let row: Option<(i32, String, String, Option<String>, NaiveDateTime, String)> =
        monitoring_review_publications::table
            .inner_join(users::table.on(users::id.eq(monitoring_review_publications::published_by)))
            .filter(monitoring_review_publications::school_id.eq(school_id))
            .filter(monitoring_review_publications::academic_year.eq(year))
            .order(monitoring_review_publications::version.desc())
            .select((
                monitoring_review_publications::version,
                monitoring_review_publications::figures,
                monitoring_review_publications::commentary,
                monitoring_review_publications::reason,
                monitoring_review_publications::published_at,
                users::name,
            ))
            .first(conn)
            .optional()?;
    let Some((version, figures, commentary, reason, published_at, published_by)) = row else {
        return Ok(None);
    };
    let snapshot: Snapshot = serde_json::from_str(&figures)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    Ok(Some(super::Publication {
        version,
        snapshot,
        commentary,
        reason,
        published_at,
        published_by,
    }))
}

/// A year with a publication: (year, latest version, when).
pub type PublishedYear = (i32, Option<i32>, Option<NaiveDateTime>);

pub fn published_years(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Vec<PublishedYear>> {
    monitoring_review_publications::table
        .filter(monitoring_review_publications::school_id.eq(school_id))
        .group_by(monitoring_review_publications::academic_year)
        .select((
            monitoring_review_publications::academic_year,
            diesel::dsl::max(monitoring_review_publications::version),
            diesel::dsl::max(monitoring_review_publications::published_at),
        ))
        .order(monitoring_review_publications::academic_year.desc())
        .load(conn)
}

/// Adds the next version of a year's review; run in a write transaction
/// after [`crate::db::dialect::lock_school`].
pub fn publish(
    conn: &mut AnyConnection,
    school_id: &str,
    r: &Review,
    commentary: &str,
    reason: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    let last: Option<i32> = monitoring_review_publications::table
        .filter(monitoring_review_publications::school_id.eq(school_id))
        .filter(monitoring_review_publications::academic_year.eq(r.year))
        .select(diesel::dsl::max(monitoring_review_publications::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    let snapshot = Snapshot {
        format: 1,
        k: r.k,
        first: r.first,
        last: r.last,
        figures: r.live.clone(),
    };
    let figures = serde_json::to_string(&snapshot)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(monitoring_review_publications::table)
        .values((
            monitoring_review_publications::id.eq(uuid::Uuid::new_v4().to_string()),
            monitoring_review_publications::school_id.eq(school_id),
            monitoring_review_publications::academic_year.eq(r.year),
            monitoring_review_publications::version.eq(version),
            monitoring_review_publications::figures.eq(figures),
            monitoring_review_publications::commentary.eq(commentary),
            monitoring_review_publications::reason.eq(reason),
            monitoring_review_publications::published_at.eq(at),
            monitoring_review_publications::published_by.eq(by),
        ))
        .execute(conn)?;
    Ok(version)
}
