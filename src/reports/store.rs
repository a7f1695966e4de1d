//! SQL for term dates, the report's counts and publications. Every count
//! is a grouped or counting query over the index on
//! `(school_id, counted_on)` (`incidents_school_counted`), but for the
//! cases open at the term's end, counted over the one led by closed_at
//! (`incidents_school_closed_counted`); each leaves out incidents entered
//! in error, as every query here does: nothing loads the incidents
//! themselves.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count, count_star, max, min, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::model::{Publication, Snapshot, Window};
use super::terms::{Term, TermName};
use crate::db::dialect::{counted_month, hours_to_acknowledge};
use crate::db::schema::{
    categories, incidents, referrals, report_commentaries, report_publications, schools, terms,
    users,
};
use crate::db::AnyConnection;

/// The school's dates for one term, or the default.
pub fn term(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    name: TermName,
) -> QueryResult<Term> {
    let set: Option<(NaiveDate, NaiveDate)> = terms::table
        .filter(terms::school_id.eq(school_id))
        .filter(terms::academic_year.eq(year))
        .filter(terms::term.eq(name.as_str()))
        .select((terms::starts_on, terms::ends_on))
        .first(conn)
        .optional()?;
    Ok(term_of(year, name, set))
}

/// A term as the school set it, or the default.
fn term_of(year: i32, name: TermName, set: Option<(NaiveDate, NaiveDate)>) -> Term {
    match set {
        Some((starts_on, ends_on)) => Term {
            year,
            term: name,
            starts_on,
            ends_on,
        },
        None => Term::default_for(year, name),
    }
}

/// The term dates a set of schools keep, read in one query: a report
/// looks up several terms of each school (a trust's, of each of its
/// schools), and these answer as [`term`] and [`window`] do.
pub struct SetTerms(BTreeMap<(String, i32, String), (NaiveDate, NaiveDate)>);

impl SetTerms {
    pub fn term(&self, school_id: &str, year: i32, name: TermName) -> Term {
        let key = (school_id.to_string(), year, name.as_str().to_string());
        term_of(year, name, self.0.get(&key).copied())
    }

    pub fn window(&self, school_id: &str, t: &Term) -> Window {
        let (year, name) = t.next();
        window_of(t, &self.term(school_id, year, name))
    }
}

pub fn set_terms(conn: &mut AnyConnection, schools: &[&str]) -> QueryResult<SetTerms> {
    let rows: Vec<(String, i32, String, NaiveDate, NaiveDate)> = terms::table
        .filter(terms::school_id.eq_any(schools.to_vec()))
        .select((
            terms::school_id,
            terms::academic_year,
            terms::term,
            terms::starts_on,
            terms::ends_on,
        ))
        .load(conn)?;
    Ok(SetTerms(
        rows.into_iter()
            .map(|(school, year, name, starts, ends)| ((school, year, name), (starts, ends)))
            .collect(),
    ))
}

pub fn year(conn: &mut AnyConnection, school_id: &str, year: i32) -> QueryResult<[Term; 3]> {
    Ok([
        term(conn, school_id, year, TermName::Autumn)?,
        term(conn, school_id, year, TermName::Spring)?,
        term(conn, school_id, year, TermName::Summer)?,
    ])
}

/// The term a date falls in, by the school's dates; a date in a gap the
/// school left between terms belongs to the term before it.
pub fn term_containing(
    conn: &mut AnyConnection,
    school_id: &str,
    date: NaiveDate,
) -> QueryResult<Term> {
    let guess = Term::default_containing(date);
    for y in [guess.year - 1, guess.year, guess.year + 1] {
        for t in year(conn, school_id, y)? {
            if t.contains(date) {
                return Ok(t);
            }
        }
    }
    let mut candidates = Vec::new();
    for y in [guess.year - 1, guess.year] {
        candidates.extend(year(conn, school_id, y)?);
    }
    Ok(candidates
        .into_iter()
        .filter(|t| t.starts_on <= date)
        .max_by_key(|t| t.starts_on)
        .unwrap_or(guess))
}

/// Saves a year's three terms (replacing what was set).
pub fn save_year(
    conn: &mut AnyConnection,
    school_id: &str,
    year: &[Term; 3],
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    for t in year {
        diesel::delete(
            terms::table
                .filter(terms::school_id.eq(school_id))
                .filter(terms::academic_year.eq(t.year))
                .filter(terms::term.eq(t.term.as_str())),
        )
        .execute(conn)?;
        diesel::insert_into(terms::table)
            .values((
                terms::id.eq(uuid::Uuid::new_v4().to_string()),
                terms::school_id.eq(school_id),
                terms::academic_year.eq(t.year),
                terms::term.eq(t.term.as_str()),
                terms::starts_on.eq(t.starts_on),
                terms::ends_on.eq(t.ends_on),
                terms::updated_at.eq(at),
                terms::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The days a term's incidents count on: its first day up to the day
/// before the next term starts (holidays count in the term before).
pub fn window(conn: &mut AnyConnection, school_id: &str, t: &Term) -> QueryResult<Window> {
    let (year, name) = t.next();
    let next = term(conn, school_id, year, name)?;
    Ok(window_of(t, &next))
}

fn window_of(t: &Term, next: &Term) -> Window {
    Window {
        first: t.starts_on,
        last: next.starts_on.pred_opt().unwrap_or(t.ends_on),
    }
}

/// The school's k: counts from 1 to k-1 are shown as "<k".
pub fn min_count(conn: &mut AnyConnection, school_id: &str) -> QueryResult<i32> {
    schools::table
        .find(school_id)
        .select(schools::report_min_count)
        .first(conn)
}

/// The incidents of `schools` that count in window `w`, left out those
/// entered in error: where each count of a term starts.
macro_rules! counted_in {
    ($schools:expr, $w:expr) => {
        incidents::table
            .filter(incidents::school_id.eq_any($schools.to_vec()))
            .filter(incidents::counted_on.between($w.first, $w.last))
            .filter(incidents::entered_in_error_at.is_null())
    };
}

// The counts below are asked for a set of schools that count one window
// and answer for each school (grouped by it): a trust's report is a
// handful of queries for all its schools, not a handful per school. A
// school's own report asks for itself alone.

/// A term's incidents counted by (school, category code, year group,
/// location, month), left out those entered in error.
pub type Group = (String, String, Option<i32>, String, String, i64);

pub fn groups(conn: &mut AnyConnection, schools: &[&str], w: &Window) -> QueryResult<Vec<Group>> {
    // diesel cannot mix a SQL expression with columns in one GROUP BY, so
    // the grouped columns are written out; only the month differs by backend.
    let keys = format!(
        "incidents.school_id, incidents.category_code, incidents.year_group, incidents.location, {}",
        counted_month(conn)
    );
    counted_in!(schools, w)
        .group_by(sql::<Text>(&keys))
        .select(sql::<(Text, Text, Nullable<Integer>, Text, Text, BigInt)>(
            &format!("{keys}, COUNT(*)"),
        ))
        .load(conn)
}

/// How many incidents count in a window, by school (a school with none
/// is not listed).
pub fn totals(
    conn: &mut AnyConnection,
    schools: &[&str],
    w: &Window,
) -> QueryResult<Vec<(String, i64)>> {
    counted_in!(schools, w)
        .group_by(incidents::school_id)
        .select((incidents::school_id, count_star()))
        .load(conn)
}

/// How many of a window's incidents had leadership acknowledgement by its
/// end, by school: (school, acknowledged, of those timed). An
/// acknowledgement imported from the old spreadsheet has no person and no
/// real time (it is stamped with the import), so it counts as
/// acknowledged but not in how fast: only the timed ones have a duration.
pub fn acknowledged(
    conn: &mut AnyConnection,
    schools: &[&str],
    w: &Window,
) -> QueryResult<Vec<(String, i64, i64)>> {
    counted_in!(schools, w)
        .filter(incidents::lg_acknowledged_at.lt(w.end_instant()))
        .group_by(incidents::school_id)
        .select((
            incidents::school_id,
            count_star(),
            count(incidents::lg_acknowledged_by),
        ))
        .load(conn)
}

/// The median hours from logging to acknowledgement of one school's
/// `timed` acknowledgements in a window (see [`acknowledged`]), found by
/// the database: the middle one or two by duration, never all of them.
pub fn median_hours(
    conn: &mut AnyConnection,
    school_id: &str,
    w: &Window,
    timed: i64,
) -> QueryResult<Option<f64>> {
    if timed <= 0 {
        return Ok(None);
    }
    let hours = hours_to_acknowledge(conn);
    // Only the durations are read, so rows that tie give the same value
    // whichever comes first: no tiebreak is needed.
    let middle: Vec<f64> = counted_in!([school_id], w)
        .filter(incidents::lg_acknowledged_at.lt(w.end_instant()))
        .filter(incidents::lg_acknowledged_by.is_not_null())
        .select(hours.clone())
        .order(hours.asc())
        .limit(if timed % 2 == 0 { 2 } else { 1 })
        .offset((timed - 1) / 2)
        .load(conn)?;
    Ok(median(&middle))
}

/// The middle value of ascending `sorted`, or the mean of the middle two.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => sorted.get(n / 2).copied(),
        _ => Some((sorted.get(n / 2 - 1)? + sorted.get(n / 2)?) / 2.0),
    }
}

/// Every timed acknowledgement's hours (see [`acknowledged`]) of a
/// window's incidents, by school, each school's ascending: a trust's
/// report keeps them all (for medians across schools).
pub fn acknowledgement_hours(
    conn: &mut AnyConnection,
    schools: &[&str],
    w: &Window,
) -> QueryResult<Vec<(String, f64)>> {
    let hours = hours_to_acknowledge(conn);
    counted_in!(schools, w)
        .filter(incidents::lg_acknowledged_at.lt(w.end_instant()))
        .filter(incidents::lg_acknowledged_by.is_not_null())
        .select((incidents::school_id, hours.clone()))
        .order((incidents::school_id.asc(), hours.asc()))
        .load(conn)
}

/// The incidents of `schools` that could be open at window `w`'s end, but
/// for when they were closed: counted by its last day, logged before its
/// end, not entered in error.
macro_rules! open_candidates {
    ($schools:expr, $w:expr) => {
        incidents::table
            .filter(incidents::school_id.eq_any($schools.to_vec()))
            .filter(incidents::counted_on.le($w.last))
            .filter(incidents::logged_at.lt($w.end_instant()))
            .filter(incidents::entered_in_error_at.is_null())
    };
}

/// Cases open when the window ended, by school: counted on or before its
/// last day, not entered in error, in the log by then, and not closed by
/// then. (An incident logged later, such as an old spreadsheet's row
/// imported last week, was not an open case then: counting it would show
/// years of imported history as open at the end of every term before the
/// import.)
///
/// Counted as two counts added up, the never closed and the closed since,
/// each a range of the index led by closed_at
/// (incidents_school_closed_counted): asked as one `closed_at IS NULL OR
/// closed_at >= end`, the databases read the school's whole history up to
/// the term instead, most of it closed long before.
pub fn open_at_end(
    conn: &mut AnyConnection,
    schools: &[&str],
    w: &Window,
) -> QueryResult<Vec<(String, i64)>> {
    let end = w.end_instant();
    let never_closed: Vec<(String, i64)> = open_candidates!(schools, w)
        .filter(incidents::closed_at.is_null())
        .group_by(incidents::school_id)
        .select((incidents::school_id, count_star()))
        .load(conn)?;
    let closed_since: Vec<(String, i64)> = open_candidates!(schools, w)
        .filter(incidents::closed_at.ge(end))
        .group_by(incidents::school_id)
        .select((incidents::school_id, count_star()))
        .load(conn)?;
    let mut open: BTreeMap<String, i64> = BTreeMap::new();
    for (school, n) in never_closed.into_iter().chain(closed_since) {
        *open.entry(school).or_default() += n;
    }
    Ok(open.into_iter().collect())
}

/// Referrals made in the window, by school and agency, of incidents not
/// entered in error: (school, agency, referrals, of those still waiting
/// for the agency's reference ("reference to follow")).
pub fn referrals_by_agency(
    conn: &mut AnyConnection,
    schools: &[&str],
    w: &Window,
) -> QueryResult<Vec<(String, String, i64, i64)>> {
    let found: Vec<(String, String, i64, i64)> = referrals::table
        .inner_join(incidents::table)
        .filter(referrals::school_id.eq_any(schools.to_vec()))
        .filter(referrals::referred_on.between(w.first, w.last))
        .filter(incidents::entered_in_error_at.is_null())
        .group_by((referrals::school_id, referrals::agency))
        .select((
            referrals::school_id,
            referrals::agency,
            count_star(),
            // Those with a reference, taken from all of them below.
            count(referrals::reference),
        ))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(school, agency, n, with_reference)| (school, agency, n, n - with_reference))
        .collect())
}

/// Decisions recorded with a reason in the window, by school and kind, on
/// incidents not entered in error.
pub fn decisions(
    conn: &mut AnyConnection,
    schools: &[&str],
    w: &Window,
) -> QueryResult<Vec<(String, String, i64)>> {
    use crate::db::schema::case_decisions;
    let from = w.first.and_hms_opt(0, 0, 0).unwrap_or_default();
    case_decisions::table
        .inner_join(incidents::table)
        .filter(case_decisions::school_id.eq_any(schools.to_vec()))
        .filter(case_decisions::decided_at.ge(from))
        .filter(case_decisions::decided_at.lt(w.end_instant()))
        .filter(incidents::entered_in_error_at.is_null())
        .group_by((case_decisions::school_id, case_decisions::decision))
        .select((
            case_decisions::school_id,
            case_decisions::decision,
            count_star(),
        ))
        .load(conn)
}

/// One of the school's categories as a report reads it.
pub type ReportCategory = (String, String, String, bool, NaiveDateTime);

/// The schools' categories for a report: (school, (code, name, 4C, active,
/// added)), each school's in the order its staff see them.
pub fn categories(
    conn: &mut AnyConnection,
    schools: &[&str],
) -> QueryResult<Vec<(String, ReportCategory)>> {
    let found: Vec<(String, String, String, String, bool, NaiveDateTime)> = categories::table
        .filter(categories::school_id.eq_any(schools.to_vec()))
        .order((
            categories::school_id.asc(),
            categories::position.asc(),
            categories::code.asc(),
        ))
        .select((
            categories::school_id,
            categories::code,
            categories::name,
            categories::four_c,
            categories::active,
            categories::created_at,
        ))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(school, code, name, four_c, active, added)| {
            (school, (code, name, four_c, active, added))
        })
        .collect())
}

/// The earliest day any of the school's incidents counts on.
pub fn first_counted_on(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Option<NaiveDate>> {
    incidents::table
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::entered_in_error_at.is_null())
        .select(min(incidents::counted_on))
        .first(conn)
}

/// The latest published version of a term's report.
pub fn publication(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    name: TermName,
) -> QueryResult<Option<Publication>> {
    let row: Option<(i32, String, String, Option<String>, NaiveDateTime, String)> =
        report_publications::table
            .inner_join(users::table.on(users::id.eq(report_publications::published_by)))
            .filter(report_publications::school_id.eq(school_id))
            .filter(report_publications::academic_year.eq(year))
            .filter(report_publications::term.eq(name.as_str()))
            .order(report_publications::version.desc())
            .select((
                report_publications::version,
                report_publications::figures,
                report_publications::commentary,
                report_publications::reason,
                report_publications::published_at,
                users::name,
            ))
            .first(conn)
            .optional()?;
    let Some((version, figures, commentary, reason, published_at, published_by)) = row else {
        return Ok(None);
    };
    let snapshot: Snapshot = serde_json::from_str(&figures)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    Ok(Some(Publication {
        version,
        snapshot,
        commentary,
        reason,
        published_at,
        published_by,
    }))
}

/// A term with a publication: (year, term, latest version, when that was
/// published).
pub type PublishedTerm = (i32, String, Option<i32>, Option<NaiveDateTime>);

/// Every term of the school with a publication.
pub fn published_terms(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Vec<PublishedTerm>> {
    report_publications::table
        .filter(report_publications::school_id.eq(school_id))
        .group_by((
            report_publications::academic_year,
            report_publications::term,
        ))
        .select((
            report_publications::academic_year,
            report_publications::term,
            max(report_publications::version),
            max(report_publications::published_at),
        ))
        .load(conn)
}

/// What a publication is made of.
pub struct NewPublication<'a> {
    pub school_id: &'a str,
    pub term: &'a Term,
    pub snapshot: &'a Snapshot,
    pub commentary: &'a str,
    pub reason: Option<&'a str>,
    pub by: &'a str,
    pub at: NaiveDateTime,
}

/// Adds the next version of a term's report; returns its number. Run in a
/// write transaction after [`crate::db::dialect::lock_school`], so two publishers
/// cannot take one number (the unique index would refuse the second).
pub fn publish(conn: &mut AnyConnection, p: &NewPublication<'_>) -> QueryResult<i32> {
    let last: Option<i32> = report_publications::table
        .filter(report_publications::school_id.eq(p.school_id))
        .filter(report_publications::academic_year.eq(p.term.year))
        .filter(report_publications::term.eq(p.term.term.as_str()))
        .select(max(report_publications::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    let figures = serde_json::to_string(p.snapshot)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(report_publications::table)
        .values((
            report_publications::id.eq(uuid::Uuid::new_v4().to_string()),
            report_publications::school_id.eq(p.school_id),
            report_publications::academic_year.eq(p.term.year),
            report_publications::term.eq(p.term.term.as_str()),
            report_publications::version.eq(version),
            report_publications::figures.eq(figures),
            report_publications::commentary.eq(p.commentary),
            report_publications::reason.eq(p.reason),
            report_publications::published_at.eq(p.at),
            report_publications::published_by.eq(p.by),
        ))
        .execute(conn)?;
    Ok(version)
}

/// The Online Safety Lead's draft commentary on a term.
pub fn draft(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    name: TermName,
) -> QueryResult<Option<String>> {
    report_commentaries::table
        .find((school_id, year, name.as_str()))
        .select(report_commentaries::commentary)
        .first(conn)
        .optional()
}

/// Saves the draft commentary (replacing the last draft: the published
/// versions are what is kept).
pub fn save_draft(
    conn: &mut AnyConnection,
    school_id: &str,
    t: &Term,
    text: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let key = (school_id, t.year, t.term.as_str());
    let n = diesel::update(report_commentaries::table.find(key))
        .set((
            report_commentaries::commentary.eq(text),
            report_commentaries::updated_at.eq(at),
            report_commentaries::updated_by.eq(by),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(report_commentaries::table)
            .values((
                report_commentaries::school_id.eq(school_id),
                report_commentaries::academic_year.eq(t.year),
                report_commentaries::term.eq(t.term.as_str()),
                report_commentaries::commentary.eq(text),
                report_commentaries::updated_at.eq(at),
                report_commentaries::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether the school has set any term dates of its own (the start page's
/// set-up checklist asks it to).
pub fn has_own_terms(conn: &mut AnyConnection, school_id: &str) -> QueryResult<bool> {
    let n: i64 = terms::table
        .filter(terms::school_id.eq(school_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
