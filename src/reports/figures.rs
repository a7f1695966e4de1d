//! Counting a term: the database counts (a handful of grouped and counting
//! queries in [`super::store`]); this folds their few rows into the
//! report's breakdowns and names each line.
//!
//! What counts, and where:
//! - An incident counts in the term its date falls in; one with no date in
//!   the term it was logged (`incidents.counted_on`). A term runs from its
//!   first day to the day before the next term starts, so holidays count
//!   in the term before. Incidents entered in error are left out.
//! - Referrals count in the term they were made (`referred_on`), so a late
//!   referral of an old incident does not change a published report.
//! - Acknowledged: the term's incidents acknowledged by the end of the
//!   term; the median is over those, logging to acknowledgement, in hours.
//! - Open at the end of term: counted in or before the term, in the log by
//!   its end, and not closed by then (as things stood at the end of term,
//!   so an old incident logged or imported later does not count).

use std::collections::BTreeMap;

#[cfg(test)]
use chrono::NaiveDate;
use chrono::{Datelike, Months};
use diesel::QueryResult;

use super::model::{Count, Figures, Window};
use super::store;
use super::terms::Term;
use crate::cases::forms::Agency;
use crate::categories::model::FourC;
use crate::db::AnyConnection;

/// The terms a report compares and the window it counts.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    pub term: Term,
    pub window: Window,
    pub previous: Term,
    pub same_term_last_year: Term,
}

pub fn terms(conn: &mut AnyConnection, school_id: &str, t: &Term) -> QueryResult<Terms> {
    Ok(terms_in(
        &store::set_terms(conn, &[school_id])?,
        school_id,
        t,
    ))
}

/// [`terms`] from term dates already read.
pub fn terms_in(set: &store::SetTerms, school_id: &str, t: &Term) -> Terms {
    let (py, pt) = t.previous();
    Terms {
        term: *t,
        window: set.window(school_id, t),
        previous: set.term(school_id, py, pt),
        same_term_last_year: set.term(school_id, t.year - 1, t.term),
    }
}

/// Every figure of a term's report, counted now.
pub fn compute(conn: &mut AnyConnection, school_id: &str, t: &Terms) -> QueryResult<Figures> {
    let mut one = compute_many(conn, &[(school_id, *t)], false)?;
    one.pop()
        .map(|c| c.figures)
        .ok_or(diesel::result::Error::NotFound)
}

/// One school's figures as [`compute_many`] counts them.
pub struct Counted {
    pub figures: Figures,
    /// The code and 4C of each line of `figures.by_category`, in its
    /// order. A trust's report adds schools' lines up by code (the names
    /// are each school's own, and two of a school's categories may share
    /// one), and knows which lines make up each 4C.
    pub codes: Vec<(String, String)>,
    /// When asked for: the hours from logging to acknowledgement of each
    /// timed acknowledgement of the term (see [`store::acknowledged`]),
    /// ascending, as the database computed them (the median is of these).
    pub hours: Vec<f64>,
}

/// What the database counted for one school.
#[derive(Default)]
struct Counts {
    groups: Vec<(String, Option<i32>, String, String, i64)>,
    previous_term_total: i64,
    same_term_last_year_total: i64,
    acknowledged: i64,
    timed: i64,
    open_at_end_of_term: i64,
    referrals: Vec<(String, i64)>,
    referrals_awaiting_reference: i64,
    decided: Vec<(String, i64)>,
    categories: Vec<store::ReportCategory>,
    hours: Vec<f64>,
}

/// Every figure of each school's term (`schools` in order, each by its
/// own term dates), counted now, exactly as [`compute`] counts one.
/// Schools that count the same window are counted by the same queries
/// (grouped by school), so a trust of twenty schools is about a dozen
/// queries, not a dozen per school. With `hours`, every time to
/// acknowledge is read (a trust keeps them) and the median taken from
/// them; without, the database finds each school's middle one or two.
pub fn compute_many(
    conn: &mut AnyConnection,
    schools: &[(&str, Terms)],
    hours: bool,
) -> QueryResult<Vec<Counted>> {
    let mut counts: BTreeMap<String, Counts> = schools
        .iter()
        .map(|(id, _)| (id.to_string(), Counts::default()))
        .collect();
    let mut terms: BTreeMap<Window, Vec<&str>> = BTreeMap::new();
    let mut earlier: BTreeMap<Window, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    let ids: Vec<&str> = schools.iter().map(|(id, _)| *id).collect();
    let set = store::set_terms(conn, &ids)?;
    for (id, t) in schools {
        terms.entry(t.window).or_default().push(id);
        let previous = set.window(id, &t.previous);
        earlier.entry(previous).or_default().0.push(id);
        let last_year = set.window(id, &t.same_term_last_year);
        earlier.entry(last_year).or_default().1.push(id);
    }
    for (w, ids) in &terms {
        for (school, code, year, location, month, n) in store::groups(conn, ids, w)? {
            if let Some(c) = counts.get_mut(&school) {
                c.groups.push((code, year, location, month, n));
            }
        }
        for (school, n, timed) in store::acknowledged(conn, ids, w)? {
            if let Some(c) = counts.get_mut(&school) {
                (c.acknowledged, c.timed) = (n, timed);
            }
        }
        for (school, n) in store::open_at_end(conn, ids, w)? {
            if let Some(c) = counts.get_mut(&school) {
                c.open_at_end_of_term = n;
            }
        }
        for (school, agency, n, awaiting) in store::referrals_by_agency(conn, ids, w)? {
            if let Some(c) = counts.get_mut(&school) {
                c.referrals.push((agency, n));
                c.referrals_awaiting_reference += awaiting;
            }
        }
        for (school, decision, n) in store::decisions(conn, ids, w)? {
            if let Some(c) = counts.get_mut(&school) {
                c.decided.push((decision, n));
            }
        }
        if hours {
            for (school, h) in store::acknowledgement_hours(conn, ids, w)? {
                if let Some(c) = counts.get_mut(&school) {
                    c.hours.push(h);
                }
            }
        }
    }
    for (w, (previous, last_year)) in &earlier {
        for (ids, is_previous) in [(previous, true), (last_year, false)] {
            if ids.is_empty() {
                continue;
            }
            for (school, n) in store::totals(conn, ids, w)? {
                if let Some(c) = counts.get_mut(&school) {
                    if is_previous {
                        c.previous_term_total = n;
                    } else {
                        c.same_term_last_year_total = n;
                    }
                }
            }
        }
    }
    for (school, category) in store::categories(conn, &ids)? {
        if let Some(c) = counts.get_mut(&school) {
            c.categories.push(category);
        }
    }
    let mut out = Vec::new();
    for (id, t) in schools {
        let c = counts.remove(*id).unwrap_or_default();
        let median = if hours {
            store::median(&c.hours)
        } else {
            store::median_hours(conn, id, &t.window, c.timed)?
        };
        out.push(figures(c, median, &t.window));
    }
    Ok(out)
}

/// One school's counts folded into the report's breakdowns.
fn figures(c: Counts, median: Option<f64>, w: &Window) -> Counted {
    let mut by_code: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_year: BTreeMap<Option<i32>, i64> = BTreeMap::new();
    let mut by_place: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_month: BTreeMap<&str, i64> = BTreeMap::new();
    let mut total = 0;
    for (code, year, location, month, n) in &c.groups {
        total += n;
        *by_code.entry(code).or_default() += n;
        *by_year.entry(*year).or_default() += n;
        *by_place.entry(place(location)).or_default() += n;
        *by_month.entry(month).or_default() += n;
    }

    let mut by_category = Vec::new();
    let mut codes = Vec::new();
    let mut by_four_c: BTreeMap<&str, i64> = BTreeMap::new();
    // The taxonomy in force in the window: the set the school started with
    // (in force from the beginning: it is what its earlier records were
    // sorted into) and every category added by the window's end. A
    // category added later (say misinformation, accepted in 2026/27) is no
    // line of an earlier report unless an incident of then was put in it.
    let started = c.categories.iter().map(|c| c.4).min();
    for (code, name, four_c, active, added) in &c.categories {
        let n = by_code.get(code.as_str()).copied().unwrap_or(0);
        *by_four_c
            .entry(FourC::parse(four_c).unwrap_or(FourC::None).as_str())
            .or_default() += n;
        let in_force = Some(*added) == started || added.date() <= w.last;
        if (*active && in_force) || n > 0 {
            // Keyed by code: a category renamed later is the same line.
            by_category.push(Count::new(code, name, n));
            let four_c = FourC::parse(four_c).unwrap_or(FourC::None).as_str();
            codes.push((code.clone(), four_c.to_string()));
        }
    }

    let figures = Figures {
        total,
        previous_term_total: c.previous_term_total,
        same_term_last_year_total: c.same_term_last_year_total,
        by_category,
        by_four_c: FourC::ALL
            .iter()
            .map(|c| {
                let n = by_four_c.get(c.as_str()).copied().unwrap_or(0);
                Count::new(c.as_str(), c.label(), n)
            })
            .collect(),
        by_year_group: by_year_group(&by_year),
        by_month: months(w)
            .into_iter()
            .map(|(key, label)| {
                let n = by_month.get(key.as_str()).copied().unwrap_or(0);
                Count::new(key, label, n)
            })
            .collect(),
        by_location: PLACES
            .iter()
            .map(|(key, label)| Count::new(*key, *label, by_place.get(key).copied().unwrap_or(0)))
            .collect(),
        referrals_by_agency: by_agency(c.referrals.clone()),
        acknowledged: c.acknowledged,
        median_hours_to_acknowledge: median.map(|h| (h * 10.0).round() / 10.0),
        open_at_end_of_term: c.open_at_end_of_term,
        referrals_awaiting_reference: c.referrals_awaiting_reference,
        decisions: crate::cases::forms::Decision::ALL
            .iter()
            .map(|d| {
                let n = c
                    .decided
                    .iter()
                    .find(|(k, _)| k == d.as_str())
                    .map_or(0, |(_, n)| *n);
                Count::new(d.as_str(), d.label(), n)
            })
            .collect(),
    };
    Counted {
        figures,
        codes,
        hours: c.hours,
    }
}

/// In or out of school: online at home is out of school.
const PLACES: [(&str, &str); 3] = [
    ("in_school", "In school"),
    ("out_of_school", "Out of school (including online at home)"),
    ("unknown", "Not known"),
];

fn place(location: &str) -> &'static str {
    match location {
        "in_school" => "in_school",
        "outside_school" | "online_at_home" => "out_of_school",
        _ => "unknown",
    }
}

/// Year groups in order, "not known" last; only those with incidents.
fn by_year_group(by_year: &BTreeMap<Option<i32>, i64>) -> Vec<Count> {
    let mut rows: Vec<Count> = by_year
        .iter()
        .filter_map(|(year, n)| {
            year.map(|y| {
                let label = if y == 0 {
                    "Reception".to_string()
                } else {
                    format!("Year {y}")
                };
                Count::new(y.to_string(), label, *n)
            })
        })
        .collect();
    if let Some(n) = by_year.get(&None) {
        rows.push(Count::new("unknown", "Not known", *n));
    }
    rows
}

/// Agencies in the usual order; only those referred to.
fn by_agency(referrals: Vec<(String, i64)>) -> Vec<Count> {
    let mut counts: BTreeMap<String, i64> = referrals.into_iter().collect();
    let mut rows: Vec<Count> = Agency::ALL
        .iter()
        .filter_map(|a| {
            counts
                .remove(a.as_str())
                .map(|n| Count::new(a.as_str(), a.label(), n))
        })
        .collect();
    rows.extend(
        counts
            .into_iter()
            .map(|(code, n)| Count::new(code.clone(), code, n)),
    );
    rows
}

/// Each month a window touches: ("2025-09", "September 2025").
fn months(w: &Window) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(mut month) = w.first.with_day(1) else {
        return out;
    };
    while month <= w.last {
        out.push((
            month.format("%Y-%m").to_string(),
            month.format("%B %Y").to_string(),
        ));
        match month.checked_add_months(Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_listed_month_by_month() {
        let w = Window {
            first: NaiveDate::from_ymd_opt(2025, 9, 3).unwrap(),
            last: NaiveDate::from_ymd_opt(2026, 1, 4).unwrap(),
        };
        let m = months(&w);
        assert_eq!(m.first().unwrap().0, "2025-09");
        assert_eq!(
            m.last().unwrap(),
            &("2026-01".into(), "January 2026".into())
        );
        assert_eq!(m.len(), 5);
    }

    #[test]
    fn online_at_home_is_out_of_school() {
        assert_eq!(place("online_at_home"), "out_of_school");
        assert_eq!(place("outside_school"), "out_of_school");
        assert_eq!(place("in_school"), "in_school");
        assert_eq!(place("unknown"), "unknown");
    }
}
