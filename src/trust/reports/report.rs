//! A trust's term put together, and publishing it: the one place a trust
//! report is frozen. Each school is counted exactly as its own report
//! counts it, by its own term dates. The lead's copy ([`load`]) has the
//! live figures, the published version if any and the draft; a trustee's
//! ([`load_published`]) is only the latest publication. Callers hold the
//! connection; nothing here knows about HTTP.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;

use super::model::{SchoolPart, TrustReport, TrustSnapshot};
use super::store::{self, NewPublication, Trust};
use crate::categories::defaults::DEFAULTS;
use crate::db::AnyConnection;
use crate::reports::figures;
use crate::reports::terms::{Term, TermName};

/// Every school of the trust, counted now.
pub fn compute(
    conn: &mut AnyConnection,
    trust: &Trust,
    year: i32,
    name: TermName,
    k: i32,
) -> QueryResult<TrustSnapshot> {
    let found = store::schools(conn, &trust.id)?;
    let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    let set = crate::reports::store::set_terms(conn, &ids)?;
    let each: Vec<_> = ids
        .iter()
        .map(|id| (*id, figures::terms_in(&set, id, &set.term(id, year, name))))
        .collect();
    // Every school at once: each query answers for all of them.
    let counted = figures::compute_many(conn, &each, true)?;
    let mut schools = Vec::new();
    for (((id, school_name), (_, terms)), c) in found.iter().zip(&each).zip(counted) {
        schools.push(SchoolPart {
            school_id: id.clone(),
            name: school_name.clone(),
            term: terms.term,
            counted_from: terms.window.first,
            counted_to: terms.window.last,
            figures: c.figures,
            categories: c.codes,
            // One decimal, as the school report's median is shown.
            acknowledgement_hours: c.hours.iter().map(|h| (h * 10.0).round() / 10.0).collect(),
        });
    }
    Ok(TrustSnapshot {
        // 2: the school figures' category lines keyed by code.
        format: crate::reports::model::SNAPSHOT_FORMAT,
        k,
        year,
        term: name,
        category_labels: category_labels(&schools),
        schools,
    })
}

/// The trust's name for each category: the standard name of a standard
/// category (schools may have reworded theirs; the trust reads one name),
/// else the first school's (by name) that has it. Standard categories
/// first, in their usual order.
fn category_labels(schools: &[SchoolPart]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = Vec::new();
    let has = |code: &str| {
        schools
            .iter()
            .any(|s| s.categories.iter().any(|(c, _)| c == code))
    };
    for d in DEFAULTS.iter().filter(|d| has(d.code)) {
        labels.push((d.code.to_string(), d.name.to_string()));
    }
    for s in schools {
        for ((code, _), line) in s.categories.iter().zip(&s.figures.by_category) {
            if !labels.iter().any(|(c, _)| c == code) {
                labels.push((code.clone(), line.label.clone()));
            }
        }
    }
    labels
}

/// A trust's term has begun when any of its schools' has.
pub fn has_begun(
    conn: &mut AnyConnection,
    trust: &Trust,
    year: i32,
    name: TermName,
    today: NaiveDate,
) -> QueryResult<bool> {
    let found = store::schools(conn, &trust.id)?;
    let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    let set = crate::reports::store::set_terms(conn, &ids)?;
    Ok(ids
        .iter()
        .any(|id| crate::reports::report::has_begun(&set.term(id, year, name), today)))
}

fn in_progress(s: &TrustSnapshot, today: NaiveDate) -> bool {
    s.schools.iter().any(|p| today <= p.counted_to)
}

/// The lead's copy: live figures, the publication if any, the draft.
pub fn load(
    conn: &mut AnyConnection,
    trust: &Trust,
    year: i32,
    name: TermName,
    today: NaiveDate,
) -> QueryResult<TrustReport> {
    let k = store::min_count(conn, &trust.id)?;
    let live = compute(conn, trust, year, name, k)?;
    Ok(TrustReport {
        trust_name: trust.name.clone(),
        in_progress: in_progress(&live, today),
        live,
        published: store::publication(conn, &trust.id, year, name)?,
        k,
        draft: store::draft(conn, &trust.id, year, name)?,
    })
}

/// A trustee's copy: the latest publication and nothing live (its `live`
/// is the published snapshot, so no note of later corrections can reach
/// them), or None when the term has not been published.
pub fn load_published(
    conn: &mut AnyConnection,
    trust: &Trust,
    year: i32,
    name: TermName,
    today: NaiveDate,
) -> QueryResult<Option<TrustReport>> {
    let Some(published) = store::publication(conn, &trust.id, year, name)? else {
        return Ok(None);
    };
    Ok(Some(TrustReport {
        trust_name: trust.name.clone(),
        in_progress: in_progress(&published.snapshot, today),
        live: published.snapshot.clone(),
        published: Some(published),
        k: store::min_count(conn, &trust.id)?,
        draft: None,
    }))
}

/// Freezes every school's figures as they are now, with the commentary;
/// returns the version published. Run inside a write transaction.
pub fn publish(
    conn: &mut AnyConnection,
    trust: &Trust,
    (year, name): (i32, TermName),
    commentary: &str,
    reason: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    crate::db::dialect::lock_trust(conn, &trust.id)?;
    let k = store::min_count(conn, &trust.id)?;
    let snapshot = compute(conn, trust, year, name, k)?;
    store::save_draft(conn, &trust.id, year, name, commentary, by, at)?;
    store::publish(
        conn,
        &NewPublication {
            trust_id: &trust.id,
            snapshot: &snapshot,
            commentary,
            reason,
            by,
            at,
        },
    )
}

/// A term on a list of trust reports.
#[derive(Clone, Debug)]
pub struct Listed {
    pub year: i32,
    pub term: TermName,
    /// Today is in it at some school of the trust.
    pub current: bool,
    /// (latest version, when it was published).
    pub published: Option<(i32, NaiveDateTime)>,
}

impl Listed {
    pub fn label(&self) -> String {
        Term::default_for(self.year, self.term).label()
    }

    pub fn path(&self) -> String {
        format!("/trust/reports/{}/{}", self.year, self.term)
    }
}

fn published(conn: &mut AnyConnection, trust: &Trust) -> QueryResult<Vec<Listed>> {
    Ok(store::published_terms(conn, &trust.id)?
        .into_iter()
        .filter_map(|(year, term, v, at)| {
            Some(Listed {
                year,
                term: term.parse().ok()?,
                current: false,
                published: v.zip(at),
            })
        })
        .collect())
}

/// A trustee's list: the published terms, newest first.
pub fn published_list(conn: &mut AnyConnection, trust: &Trust) -> QueryResult<Vec<Listed>> {
    let mut list = published(conn, trust)?;
    list.sort_by_key(|l| std::cmp::Reverse((l.year, l.term)));
    Ok(list)
}

/// The latest published term, for a trustee's start page.
pub fn latest_published(conn: &mut AnyConnection, trust: &Trust) -> QueryResult<Option<Listed>> {
    Ok(published_list(conn, trust)?.into_iter().next())
}

/// The lead's list: every term any school's report list offers (from the
/// one holding its earliest incident to the current one), and any term
/// published, newest first.
pub fn list(conn: &mut AnyConnection, trust: &Trust, today: NaiveDate) -> QueryResult<Vec<Listed>> {
    let mut terms: BTreeMap<(i32, TermName), Listed> = BTreeMap::new();
    for (id, _) in store::schools(conn, &trust.id)? {
        for l in crate::reports::report::list(conn, &id, today)? {
            let entry = terms
                .entry((l.term.year, l.term.term))
                .or_insert_with(|| Listed {
                    year: l.term.year,
                    term: l.term.term,
                    current: false,
                    published: None,
                });
            entry.current |= l.current;
        }
    }
    for p in published(conn, trust)? {
        terms
            .entry((p.year, p.term))
            .and_modify(|l| l.published = p.published)
            .or_insert(p);
    }
    Ok(terms.into_values().rev().collect())
}
