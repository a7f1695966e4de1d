//! A term's report put together and publishing it: the one place a report
//! is frozen. A lead's copy ([`load`]) has the live figures, the published
//! version if any and the draft commentary; a governor's copy
//! ([`load_published`]) is only the latest publication, because the Online
//! Safety Lead decides what governors read. Callers hold the connection;
//! nothing here knows about HTTP.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;

use super::figures;
use super::model::{Report, Snapshot};
use super::store::{self, NewPublication};
use super::terms::{Term, TermName};
use crate::db::AnyConnection;

/// A report is kept to terms that have begun.
pub fn has_begun(t: &Term, today: NaiveDate) -> bool {
    t.starts_on <= today
}

/// Everything a page, the JSON or the CSV needs to show one term.
pub fn load(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    name: TermName,
    today: NaiveDate,
) -> QueryResult<Report> {
    let term = store::term(conn, school_id, year, name)?;
    let terms = figures::terms(conn, school_id, &term)?;
    let live = figures::compute(conn, school_id, &terms)?;
    Ok(Report {
        term,
        previous: terms.previous,
        same_term_last_year: terms.same_term_last_year,
        window: terms.window,
        live,
        published: store::publication(conn, school_id, year, name)?,
        k: store::min_count(conn, school_id)?,
        draft: store::draft(conn, school_id, year, name)?,
        in_progress: today <= terms.window.last,
    })
}

/// A governor's copy of a term's report: the latest published version and
/// nothing live, or None when the term has not been published. Its `live`
/// figures are the published ones, so no note of later corrections (with
/// the live totals it carries) can reach a governor: that note is for the
/// lead, who publishes again when a correction matters.
pub fn load_published(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    name: TermName,
    today: NaiveDate,
) -> QueryResult<Option<Report>> {
    let Some(published) = store::publication(conn, school_id, year, name)? else {
        return Ok(None);
    };
    let term = store::term(conn, school_id, year, name)?;
    let terms = figures::terms(conn, school_id, &term)?;
    Ok(Some(Report {
        term,
        previous: terms.previous,
        same_term_last_year: terms.same_term_last_year,
        window: terms.window,
        live: published.snapshot.figures.clone(),
        published: Some(published),
        k: store::min_count(conn, school_id)?,
        draft: None,
        in_progress: today <= terms.window.last,
    }))
}

/// Freezes the term's figures as they are now, with the commentary;
/// returns the version published. Run inside a write transaction.
pub fn publish(
    conn: &mut AnyConnection,
    school_id: &str,
    term: &Term,
    commentary: &str,
    reason: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    crate::db::dialect::lock_school(conn, school_id)?;
    let terms = figures::terms(conn, school_id, term)?;
    let snapshot = Snapshot {
        format: super::model::SNAPSHOT_FORMAT,
        k: store::min_count(conn, school_id)?,
        term: *term,
        counted_from: terms.window.first,
        counted_to: terms.window.last,
        figures: figures::compute(conn, school_id, &terms)?,
    };
    store::save_draft(conn, school_id, term, commentary, by, at)?;
    store::publish(
        conn,
        &NewPublication {
            school_id,
            term,
            snapshot: &snapshot,
            commentary,
            reason,
            by,
            at,
        },
    )
}

/// The terms a school's report list offers, newest first: every term from
/// the one holding its earliest incident (or the previous term, if that is
/// later) to the current one, and any term with a publication.
pub struct Listed {
    pub term: Term,
    pub current: bool,
    /// (latest version, when it was published).
    pub published: Option<(i32, NaiveDateTime)>,
}

/// The terms a governor's list offers: those published, newest first.
pub fn published_list(
    conn: &mut AnyConnection,
    school_id: &str,
    today: NaiveDate,
) -> QueryResult<Vec<Listed>> {
    let current = store::term_containing(conn, school_id, today)?;
    let mut published: Vec<_> = store::published_terms(conn, school_id)?
        .into_iter()
        .filter_map(|(y, name, v, at)| Some((y, name.parse::<TermName>().ok()?, v.zip(at))))
        .collect();
    // Autumn, spring, summer is both the names' order and the calendar's.
    published.sort_by_key(|(year, name, _)| std::cmp::Reverse((*year, *name)));
    published
        .into_iter()
        .map(|(year, name, publication)| {
            Ok(Listed {
                term: store::term(conn, school_id, year, name)?,
                current: year == current.year && name == current.term,
                published: publication,
            })
        })
        .collect()
}

pub fn list(
    conn: &mut AnyConnection,
    school_id: &str,
    today: NaiveDate,
) -> QueryResult<Vec<Listed>> {
    let current = store::term_containing(conn, school_id, today)?;
    let earliest = match store::first_counted_on(conn, school_id)? {
        Some(d) if d < current.starts_on => store::term_containing(conn, school_id, d)?,
        _ => current,
    };
    let published = store::published_terms(conn, school_id)?;
    let mut out = Vec::new();
    let mut t = current;
    // One term back at least, so a new school sees where reports will be.
    let oldest_published = published
        .iter()
        .filter_map(|(y, name, _, _)| Some((*y, name.parse::<TermName>().ok()?)))
        .min();
    let stop = [
        Some(current.previous()),
        Some((earliest.year, earliest.term)),
        oldest_published,
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(current.previous());
    // A bound, should a record carry a date decades back.
    for _ in 0..300 {
        let publication = published.iter().find_map(|(y, name, v, at)| {
            (*y == t.year && name == t.term.as_str())
                .then_some(())
                .and(v.zip(*at))
        });
        out.push(Listed {
            term: t,
            current: t.year == current.year && t.term == current.term,
            published: publication,
        });
        if (t.year, t.term) <= stop {
            break;
        }
        let (y, name) = t.previous();
        t = store::term(conn, school_id, y, name)?;
    }
    Ok(out)
}
