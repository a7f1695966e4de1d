//! SQL for trust reports: whose trust, its schools and k, publications and
//! drafts. The figures themselves (and the times to acknowledge, for
//! medians across schools) are each school's report's, counted for all
//! the trust's schools at once by [`crate::reports::figures::compute_many`].

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

use super::model::{TrustPublication, TrustSnapshot};
use crate::auth::Role;
use crate::db::schema::{
    schools, trust_report_commentaries, trust_report_publications, trust_roles, trusts, users,
};
use crate::db::AnyConnection;
use crate::reports::terms::TermName;

/// A trust, as its reports name it.
#[derive(Clone, Debug)]
pub struct Trust {
    pub id: String,
    pub name: String,
}

/// The trust `school_id` belongs to, if `user_id` holds one of `roles`
/// across it.
pub fn trust_of(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
    roles: &[Role],
) -> QueryResult<Option<Trust>> {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let found: Option<(String, String)> = trusts::table
        .inner_join(schools::table)
        .filter(schools::id.eq(school_id))
        .filter(diesel::dsl::exists(
            trust_roles::table
                .filter(trust_roles::trust_id.eq(trusts::id))
                .filter(trust_roles::user_id.eq(user_id))
                .filter(trust_roles::role.eq_any(names)),
        ))
        .select((trusts::id, trusts::name))
        .first(conn)
        .optional()?;
    Ok(found.map(|(id, name)| Trust { id, name }))
}

/// The trust's schools by name: (id, name).
pub fn schools(conn: &mut AnyConnection, trust_id: &str) -> QueryResult<Vec<(String, String)>> {
    schools::table
        .filter(schools::trust_id.eq(trust_id))
        .order((schools::name.asc(), schools::id.asc()))
        .select((schools::id, schools::name))
        .load(conn)
}

/// The trust's k: the largest of its schools'. A school that chose a
/// higher k decided that smaller counts of its pupils could identify
/// them; its figures are in every column of the trust's table, so the
/// whole table honours the strictest school.
pub fn min_count(conn: &mut AnyConnection, trust_id: &str) -> QueryResult<i32> {
    let k: Option<i32> = schools::table
        .filter(schools::trust_id.eq(trust_id))
        .select(max(schools::report_min_count))
        .first(conn)?;
    Ok(k.unwrap_or(3))
}

/// The latest published version of a trust's term.
pub fn publication(
    conn: &mut AnyConnection,
    trust_id: &str,
    year: i32,
    name: TermName,
) -> QueryResult<Option<TrustPublication>> {
    let row: Option<(i32, String, String, Option<String>, NaiveDateTime, String)> =
        trust_report_publications::table
            .inner_join(users::table.on(users::id.eq(trust_report_publications::published_by)))
            .filter(trust_report_publications::trust_id.eq(trust_id))
            .filter(trust_report_publications::academic_year.eq(year))
            .filter(trust_report_publications::term.eq(name.as_str()))
            .order(trust_report_publications::version.desc())
            .select((
                trust_report_publications::version,
                trust_report_publications::figures,
                trust_report_publications::commentary,
                trust_report_publications::reason,
                trust_report_publications::published_at,
                users::name,
            ))
            .first(conn)
            .optional()?;
    let Some((version, figures, commentary, reason, published_at, published_by)) = row else {
        return Ok(None);
    };
    let snapshot: TrustSnapshot = serde_json::from_str(&figures)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    Ok(Some(TrustPublication {
        version,
        snapshot,
        commentary,
        reason,
        published_at,
        published_by,
    }))
}

/// A term with a publication: (year, term, latest version, when it was
/// published).
pub type PublishedTerm = (i32, String, Option<i32>, Option<NaiveDateTime>);

pub fn published_terms(
    conn: &mut AnyConnection,
    trust_id: &str,
) -> QueryResult<Vec<PublishedTerm>> {
    trust_report_publications::table
        .filter(trust_report_publications::trust_id.eq(trust_id))
        .group_by((
            trust_report_publications::academic_year,
            trust_report_publications::term,
        ))
        .select((
            trust_report_publications::academic_year,
            trust_report_publications::term,
            max(trust_report_publications::version),
            max(trust_report_publications::published_at),
        ))
        .load(conn)
}

/// What a publication is made of.
pub struct NewPublication<'a> {
    pub trust_id: &'a str,
    pub snapshot: &'a TrustSnapshot,
    pub commentary: &'a str,
    pub reason: Option<&'a str>,
    pub by: &'a str,
    pub at: NaiveDateTime,
}

/// Adds the next version of a trust's term; returns its number. Run in a
/// write transaction after [`crate::db::dialect::lock_trust`].
pub fn publish(conn: &mut AnyConnection, p: &NewPublication<'_>) -> QueryResult<i32> {
    let (year, term) = (p.snapshot.year, p.snapshot.term.as_str());
    let last: Option<i32> = trust_report_publications::table
        .filter(trust_report_publications::trust_id.eq(p.trust_id))
        .filter(trust_report_publications::academic_year.eq(year))
        .filter(trust_report_publications::term.eq(term))
        .select(max(trust_report_publications::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    let figures = serde_json::to_string(p.snapshot)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(trust_report_publications::table)
        .values((
            trust_report_publications::id.eq(uuid::Uuid::new_v4().to_string()),
            trust_report_publications::trust_id.eq(p.trust_id),
            trust_report_publications::academic_year.eq(year),
            trust_report_publications::term.eq(term),
            trust_report_publications::version.eq(version),
            trust_report_publications::figures.eq(figures),
            trust_report_publications::commentary.eq(p.commentary),
            trust_report_publications::reason.eq(p.reason),
            trust_report_publications::published_at.eq(p.at),
            trust_report_publications::published_by.eq(p.by),
        ))
        .execute(conn)?;
    Ok(version)
}

/// The trust safeguarding lead's draft commentary on a term.
pub fn draft(
    conn: &mut AnyConnection,
    trust_id: &str,
    year: i32,
    name: TermName,
) -> QueryResult<Option<String>> {
    trust_report_commentaries::table
        .find((trust_id, year, name.as_str()))
        .select(trust_report_commentaries::commentary)
        .first(conn)
        .optional()
}

/// Saves the draft commentary (replacing the last draft: the published
/// versions are what is kept).
pub fn save_draft(
    conn: &mut AnyConnection,
    trust_id: &str,
    year: i32,
    name: TermName,
    text: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(trust_report_commentaries::table.find((trust_id, year, name.as_str())))
        .set((
            trust_report_commentaries::commentary.eq(text),
            trust_report_commentaries::updated_at.eq(at),
            trust_report_commentaries::updated_by.eq(by),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(trust_report_commentaries::table)
            .values((
                trust_report_commentaries::trust_id.eq(trust_id),
                trust_report_commentaries::academic_year.eq(year),
                trust_report_commentaries::term.eq(name.as_str()),
                trust_report_commentaries::commentary.eq(text),
                trust_report_commentaries::updated_at.eq(at),
                trust_report_commentaries::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}
