//! SQL for term dates.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::terms::{Term, TermName};
use crate::db::schema::terms;
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
    Ok(match set {
        Some((starts_on, ends_on)) => Term {
            year,
            term: name,
            starts_on,
            ends_on,
        },
        None => Term::default_for(year, name),
    })
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
