//! The trust report as trustees read it: one table per part of the school
//! report, the whole trust first, then each school by name, then "other
//! schools", with every cell suppressed as [`super::suppression`] decides.
//! Built from exact figures each time it is shown, with the k the report
//! is shown with, so a rise in k hides more in a report already published.
//!
//! Which schools are named: none whose total for the term is from 1 to
//! k-1. Those are added together as "other schools". When they come to
//! fewer than k themselves, the next smallest school joins them (and so
//! on), so that every column's total for the term, and so the whole
//! trust's, is either nought or k and over and can always be shown. A
//! school with no incidents is named: it has nothing to protect, and a
//! school that logs nothing is what a trust board should see.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use super::model::{median, SchoolPart, TrustSnapshot};
use super::suppression::{Grid, Kind, Mark};
use crate::cases::forms::Agency;
use crate::categories::model::FourC;
use crate::reports::model::Count;

/// A cell as shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Number(i64),
    /// From 1 to k-1: "<k".
    Fewer(i32),
    /// Withheld so that a small count elsewhere cannot be worked out.
    Withheld,
    /// Not counted: a month outside this school's term.
    NotCounted,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Number(n) => write!(f, "{n}"),
            Cell::Fewer(k) => write!(f, "<{k}"),
            Cell::Withheld => f.write_str("[c]"),
            Cell::NotCounted => f.write_str("–"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Trust,
    School,
    Others,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub kind: ColumnKind,
    pub heading: String,
    /// The schools it adds up (indexes into the snapshot's schools).
    pub members: Vec<usize>,
    /// A school's own counting window; None for the trust and the group.
    pub window: Option<(NaiveDate, NaiveDate)>,
}

#[derive(Clone, Debug)]
pub struct Line {
    pub key: String,
    pub label: String,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug)]
pub struct Section {
    /// "totals", a breakdown's JSON name (as in a school report), or
    /// "acknowledgement".
    pub key: &'static str,
    pub heading: &'static str,
    pub lines: Vec<Line>,
    /// Lines with no incidents anywhere, named in a sentence instead.
    pub none: Vec<String>,
}

/// The median time to acknowledge, as a column shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Median {
    Hours(f64),
    NoneAcknowledged,
    /// Acknowledged only on the old spreadsheet, which kept no times.
    NotKnown,
    /// Its count is withheld or under k: a median of so few is withheld too.
    Withheld,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub k: i32,
    pub columns: Vec<Column>,
    pub sections: Vec<Section>,
    pub medians: Vec<Median>,
    /// The whole trust's total is from 1 to k-1: no breakdown is shown
    /// (with so few, any breakdown would tell).
    pub too_few: bool,
}

impl Table {
    pub fn section(&self, key: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.key == key)
    }

    /// Whether any cell was withheld (the page then explains "[c]").
    pub fn any_withheld(&self) -> bool {
        self.sections
            .iter()
            .flat_map(|s| &s.lines)
            .any(|l| l.cells.contains(&Cell::Withheld))
    }
}

/// Which schools are named (true) and which are "other schools".
pub fn named_schools(totals: &[i64], k: i32) -> Vec<bool> {
    let small = |t: i64| t >= 1 && t < i64::from(k);
    let mut named: Vec<bool> = totals.iter().map(|t| !small(*t)).collect();
    loop {
        let others: i64 = (0..totals.len())
            .filter(|i| !named[*i])
            .map(|i| totals[i])
            .sum();
        if !small(others) {
            return named;
        }
        let Some(next) = (0..totals.len())
            .filter(|i| named[*i] && totals[*i] > 0)
            .min_by_key(|i| (totals[*i], *i))
        else {
            return named;
        };
        named[next] = false;
    }
}

/// A line being built: its value and whether it was counted, per column.
struct Raw {
    key: String,
    label: String,
    values: Vec<i64>,
    not_counted: Vec<bool>,
}

/// The breakdowns, in the school report's order, that add up to the term's
/// total (referrals count something else).
const ADDITIVE: [&str; 5] = [
    "by_category",
    "by_four_c",
    "by_year_group",
    "by_month",
    "by_location",
];

pub fn build(s: &TrustSnapshot, k: i32) -> Table {
    let totals: Vec<i64> = s.schools.iter().map(|p| p.figures.total).collect();
    let named = named_schools(&totals, k);
    let mut columns = vec![Column {
        kind: ColumnKind::Trust,
        heading: "Whole trust".into(),
        members: (0..s.schools.len()).collect(),
        window: None,
    }];
    for (i, p) in s.schools.iter().enumerate() {
        if named[i] {
            columns.push(Column {
                kind: ColumnKind::School,
                heading: p.name.clone(),
                members: vec![i],
                window: Some((p.counted_from, p.counted_to)),
            });
        }
    }
    let others: Vec<usize> = (0..s.schools.len()).filter(|i| !named[*i]).collect();
    if !others.is_empty() {
        columns.push(Column {
            kind: ColumnKind::Others,
            heading: format!("Other schools ({})", others.len()),
            members: others,
            window: None,
        });
    }
    let trust_total: i64 = totals.iter().sum();
    let too_few = trust_total >= 1 && trust_total < i64::from(k);

    let raw = raw_sections(s, &columns, too_few);
    let mut grid = Grid::new(k);
    let term_totals: Vec<i64> = raw[0].1[0].values.clone();
    // The cells' ids, [section][line][column].
    let ids: Vec<Vec<Vec<usize>>> = raw
        .iter()
        .map(|(key, lines, _)| {
            lines
                .iter()
                .enumerate()
                .map(|(li, line)| {
                    (0..columns.len())
                        .map(|c| {
                            let breakdown = ADDITIVE.contains(key);
                            let kind = if line.not_counted[c]
                                || (*key == "totals" && li == 0)
                                || (breakdown && term_totals[c] == 0)
                            {
                                Kind::Fixed
                            } else if c == 0 {
                                Kind::Margin
                            } else {
                                Kind::Part
                            };
                            grid.cell(line.values[c], kind)
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    // Each line: the whole trust is its schools added up.
    if columns.len() > 1 {
        for section in &ids {
            for line in section {
                grid.sum(line[0], line[1..].to_vec());
            }
        }
    }
    let term_total_ids = &ids[0][0];
    for (si, (key, lines, _)) in raw.iter().enumerate() {
        if !ADDITIVE.contains(key) {
            continue;
        }
        // Each column: its breakdown adds up to its total.
        for c in 0..columns.len() {
            let sum: i64 = lines.iter().map(|l| l.values[c]).sum();
            if sum == term_totals[c] {
                grid.sum(
                    term_total_ids[c],
                    ids[si].iter().map(|line| line[c]).collect(),
                );
            }
        }
    }
    four_c_sums(s, &columns, &raw, &ids, &mut grid);
    grid.suppress();
    debug_assert!(grid.exposed().is_empty(), "a small count is exposed");

    let cell = |id: usize, not_counted: bool| match grid.mark(id) {
        Mark::Shown if not_counted => Cell::NotCounted,
        Mark::Shown => Cell::Number(grid.value(id)),
        Mark::Fewer => Cell::Fewer(k),
        Mark::Hidden => Cell::Withheld,
    };
    let sections: Vec<Section> = raw
        .iter()
        .zip(&ids)
        .map(|((key, lines, none), line_ids)| Section {
            key,
            heading: heading(key),
            lines: lines
                .iter()
                .zip(line_ids)
                .map(|(l, cids)| Line {
                    key: l.key.clone(),
                    label: l.label.clone(),
                    cells: cids
                        .iter()
                        .enumerate()
                        .map(|(c, id)| cell(*id, l.not_counted[c]))
                        .collect(),
                })
                .collect(),
            none: none.clone(),
        })
        .collect();
    let acknowledged = sections
        .iter()
        .find(|s| s.key == "acknowledgement")
        .and_then(|s| s.lines.first());
    let medians = columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let mut hours: Vec<f64> = col
                .members
                .iter()
                .flat_map(|m| s.schools[*m].acknowledgement_hours.iter().copied())
                .collect();
            hours.sort_by(f64::total_cmp);
            match acknowledged.map(|l| l.cells[c]) {
                Some(Cell::Number(0)) => Median::NoneAcknowledged,
                Some(Cell::Number(_)) => median(&hours).map_or(Median::NotKnown, Median::Hours),
                _ => Median::Withheld,
            }
        })
        .collect();
    Table {
        k,
        columns,
        sections,
        medians,
        too_few,
    }
}

fn heading(key: &str) -> &'static str {
    match key {
        "totals" => "Incidents this term",
        "by_category" => "By category",
        "by_four_c" => "By the 4Cs of online risk",
        "by_year_group" => "By year group",
        "by_month" => "By month",
        "by_location" => "In or out of school",
        "referrals_by_agency" => "Referrals to outside agencies",
        _ => "Leadership acknowledgement and open cases",
    }
}

type RawSection = (&'static str, Vec<Raw>, Vec<String>);

/// Every line of every part, with each column's value.
fn raw_sections(s: &TrustSnapshot, columns: &[Column], too_few: bool) -> Vec<RawSection> {
    let line = |key: &str, label: &str, of: &dyn Fn(&SchoolPart) -> Option<i64>| {
        let mut values = Vec::new();
        let mut not_counted = Vec::new();
        for col in columns {
            let found: Vec<Option<i64>> = col.members.iter().map(|m| of(&s.schools[*m])).collect();
            values.push(found.iter().map(|v| v.unwrap_or(0)).sum());
            not_counted.push(!found.is_empty() && found.iter().all(Option::is_none));
        }
        Raw {
            key: key.to_string(),
            label: label.to_string(),
            values,
            not_counted,
        }
    };
    let count_of = |rows: &[Count], key: &str| rows.iter().find(|c| c.key == key).map(|c| c.count);
    let previous = {
        let t = crate::reports::terms::Term::default_for(s.year, s.term);
        let (py, pt) = t.previous();
        crate::reports::terms::Term::default_for(py, pt).label()
    };
    let last_year = crate::reports::terms::Term::default_for(s.year - 1, s.term).label();
    let mut out: Vec<RawSection> = vec![(
        "totals",
        vec![
            line("total", &format!("This term ({})", s.label()), &|p| {
                Some(p.figures.total)
            }),
            line(
                "previous_term_total",
                &format!("Last term ({previous})"),
                &|p| Some(p.figures.previous_term_total),
            ),
            line(
                "same_term_last_year_total",
                &format!("Same term last year ({last_year})"),
                &|p| Some(p.figures.same_term_last_year_total),
            ),
        ],
        Vec::new(),
    )];
    if !too_few {
        // Categories by code, in the trust's order; those with no
        // incidents anywhere are named in a sentence.
        let mut categories = Vec::new();
        let mut none = Vec::new();
        for (code, label) in &s.category_labels {
            let l = line(code, label, &|p| {
                Some(
                    p.categories
                        .iter()
                        .zip(&p.figures.by_category)
                        .filter(|((c, _), _)| c == code)
                        .map(|(_, count)| count.count)
                        .sum(),
                )
            });
            if l.values[0] == 0 {
                none.push(label.clone());
            } else {
                categories.push(l);
            }
        }
        out.push(("by_category", categories, none));
        for key in [
            "by_four_c",
            "by_year_group",
            "by_month",
            "by_location",
            "referrals_by_agency",
        ] {
            let keys = keys_of(s, key);
            let lines = keys
                .iter()
                .map(|(k, label)| {
                    line(k, label, &|p| {
                        let found = count_of(p.figures.section(key), k);
                        // A month outside a school's term is not counted
                        // there; any other line it lacks is nought.
                        if key == "by_month" {
                            found
                        } else {
                            Some(found.unwrap_or(0))
                        }
                    })
                })
                .collect();
            out.push((key_name(key), lines, Vec::new()));
        }
    }
    out.push((
        "acknowledgement",
        vec![
            line(
                "acknowledged",
                "Incidents acknowledged by leadership by the end of term",
                &|p| Some(p.figures.acknowledged),
            ),
            line(
                "open_at_end_of_term",
                "Cases still open at the end of term",
                &|p| Some(p.figures.open_at_end_of_term),
            ),
            line(
                "referrals_awaiting_reference",
                "Referrals still waiting for the agency's reference",
                &|p| Some(p.figures.referrals_awaiting_reference),
            ),
        ],
        Vec::new(),
    ));
    out
}

fn key_name(key: &str) -> &'static str {
    crate::reports::model::SECTIONS
        .iter()
        .map(|(k, _)| *k)
        .find(|k| *k == key)
        .unwrap_or("other")
}

/// A breakdown's lines across the schools, in order: the 4Cs and places
/// as a school report lists them, year groups and months in order,
/// agencies in the usual order. Labels from the first school with each.
fn keys_of(s: &TrustSnapshot, section: &str) -> Vec<(String, String)> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut first_order: Vec<String> = Vec::new();
    for p in &s.schools {
        for c in p.figures.section(section) {
            if !seen.contains_key(&c.key) {
                seen.insert(c.key.clone(), c.label.clone());
                first_order.push(c.key.clone());
            }
        }
    }
    let rank = |key: &str| -> (usize, i64, String) {
        match section {
            "by_four_c" => (
                FourC::ALL
                    .iter()
                    .position(|f| f.as_str() == key)
                    .unwrap_or(99),
                0,
                key.into(),
            ),
            "by_year_group" => match key.parse::<i64>() {
                Ok(y) => (0, y, String::new()),
                Err(_) => (1, 0, key.into()),
            },
            "referrals_by_agency" => (
                Agency::ALL
                    .iter()
                    .position(|a| a.as_str() == key)
                    .unwrap_or(99),
                0,
                key.into(),
            ),
            "by_location" => (
                ["in_school", "out_of_school", "unknown"]
                    .iter()
                    .position(|k| *k == key)
                    .unwrap_or(99),
                0,
                key.into(),
            ),
            // Months: "2025-09" sorts as the calendar does.
            _ => (0, 0, key.into()),
        }
    };
    let mut keys = first_order;
    keys.sort_by_key(|k| rank(k));
    if section == "by_four_c" && keys.is_empty() {
        return FourC::ALL
            .iter()
            .map(|f| (f.as_str().to_string(), f.label().to_string()))
            .collect();
    }
    keys.into_iter()
        .map(|k| {
            let label = seen.get(&k).cloned().unwrap_or_default();
            (k, label)
        })
        .collect()
}

/// Each 4C is the sum of the categories that carry it: a reader who knows
/// which categories those are can add them up, so the table must hold up
/// to that too. Per column, where its schools agree on each category's 4C
/// (a school may change a category's 4C; where they differ, the lines do
/// not add up and no reader can use them so).
fn four_c_sums(
    s: &TrustSnapshot,
    columns: &[Column],
    raw: &[RawSection],
    ids: &[Vec<Vec<usize>>],
    grid: &mut Grid,
) {
    let (Some(cat_at), Some(four_at)) = (
        raw.iter().position(|r| r.0 == "by_category"),
        raw.iter().position(|r| r.0 == "by_four_c"),
    ) else {
        return;
    };
    for (c, col) in columns.iter().enumerate() {
        let mut four_c_of: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        for m in &col.members {
            for (code, four_c) in &s.schools[*m].categories {
                four_c_of
                    .entry(code.as_str())
                    .and_modify(|seen| {
                        if *seen != Some(four_c.as_str()) {
                            *seen = None;
                        }
                    })
                    .or_insert(Some(four_c.as_str()));
            }
        }
        let cat_lines = &raw[cat_at].1;
        if cat_lines
            .iter()
            .any(|l| four_c_of.get(l.key.as_str()).copied().flatten().is_none() && l.values[c] > 0)
        {
            continue;
        }
        for (fi, four) in raw[four_at].1.iter().enumerate() {
            let parts: Vec<usize> = cat_lines
                .iter()
                .enumerate()
                .filter(|(_, l)| {
                    four_c_of.get(l.key.as_str()).copied().flatten() == Some(four.key.as_str())
                })
                .map(|(li, _)| ids[cat_at][li][c])
                .collect();
            let sum: i64 = cat_lines
                .iter()
                .filter(|l| {
                    four_c_of.get(l.key.as_str()).copied().flatten() == Some(four.key.as_str())
                })
                .map(|l| l.values[c])
                .sum();
            if sum == four.values[c] {
                grid.sum(ids[four_at][fi][c], parts);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::terms::{Term, TermName};

    /// A trust of `n` schools with made-up figures: many small counts,
    /// as a trust of small primaries has.
    fn synthetic(n: usize, seed: u64, sizes: Option<&[i64]>) -> TrustSnapshot {
        let mut seed = seed;
        let mut next = |m: i64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) as i64).rem_euclid(m)
        };
        let codes: Vec<(&str, &str)> = crate::categories::defaults::DEFAULTS
            .iter()
            .map(|d| (d.code, d.four_c.as_str()))
            .collect();
        let schools = (0..n)
            .map(|i| {
                let size = match sizes {
                    Some(sizes) => sizes[i],
                    None => [0, 2, 6, 15, 40][next(5) as usize],
                };
                let mut by_cat = vec![0i64; codes.len()];
                let mut by_month = [0i64; 4];
                let mut by_place = [0i64; 3];
                let mut by_year = [0i64; 5];
                for _ in 0..size {
                    by_cat[next(codes.len() as i64) as usize] += 1;
                    by_month[next(4) as usize] += 1;
                    by_place[next(3) as usize] += 1;
                    by_year[next(5) as usize] += 1;
                }
                let mut by_four_c: BTreeMap<&str, i64> = BTreeMap::new();
                for (c, (_, f)) in codes.iter().enumerate() {
                    *by_four_c.entry(f).or_default() += by_cat[c];
                }
                let count = |k: &str, v: i64| Count::new(k, k, v);
                let figures = crate::reports::model::Figures {
                    total: size,
                    previous_term_total: next(20),
                    same_term_last_year_total: next(20),
                    by_category: codes
                        .iter()
                        .zip(&by_cat)
                        .map(|((c, _), v)| count(c, *v))
                        .collect(),
                    by_four_c: FourC::ALL
                        .iter()
                        .map(|f| count(f.as_str(), by_four_c.get(f.as_str()).copied().unwrap_or(0)))
                        .collect(),
                    by_year_group: by_year
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| **v > 0)
                        .map(|(y, v)| count(&(y + 7).to_string(), *v))
                        .collect(),
                    by_month: ["2025-09", "2025-10", "2025-11", "2025-12"]
                        .iter()
                        .zip(&by_month)
                        .map(|(m, v)| count(m, *v))
                        .collect(),
                    by_location: ["in_school", "out_of_school", "unknown"]
                        .iter()
                        .zip(&by_place)
                        .map(|(p, v)| count(p, *v))
                        .collect(),
                    referrals_by_agency: if size > 5 {
                        vec![count("police", next(3)), count("ceop", next(2))]
                    } else {
                        Vec::new()
                    },
                    acknowledged: size / 2,
                    median_hours_to_acknowledge: None,
                    open_at_end_of_term: next(4),
                    referrals_awaiting_reference: next(2),
                    decisions: Vec::new(),
                };
                SchoolPart {
                    school_id: format!("s{i}"),
                    name: format!("School {i:02}"),
                    term: Term::default_for(2025, TermName::Autumn),
                    counted_from: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                    counted_to: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
                    figures,
                    categories: codes
                        .iter()
                        .map(|(c, f)| (c.to_string(), f.to_string()))
                        .collect(),
                    acknowledgement_hours: Vec::new(),
                }
            })
            .collect();
        TrustSnapshot {
            format: 1,
            k: 3,
            year: 2025,
            term: TermName::Autumn,
            schools,
            category_labels: codes
                .iter()
                .map(|(c, _)| (c.to_string(), c.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_trust_of_a_dozen_schools_is_protected_in_good_time() {
        for seed in 1..=4 {
            let s = synthetic(12, seed, None);
            let started = std::time::Instant::now();
            // build() asserts (in a debug build) that nothing is exposed.
            let t = build(&s, 3);
            let took = started.elapsed();
            let cells: usize = t
                .sections
                .iter()
                .map(|s| s.lines.len() * t.columns.len())
                .sum();
            let withheld = t
                .sections
                .iter()
                .flat_map(|s| &s.lines)
                .flat_map(|l| &l.cells)
                .filter(|c| **c == Cell::Withheld)
                .count();
            eprintln!(
                "seed {seed}: {} columns, {cells} cells, {withheld} withheld, {took:?}",
                t.columns.len()
            );
            assert!(took < std::time::Duration::from_secs(30), "{took:?}");
            // Every total for the term is shown.
            assert!(t.sections[0].lines[0]
                .cells
                .iter()
                .all(|c| matches!(c, Cell::Number(_))));
        }
    }

    #[test]
    fn a_trust_with_fewer_than_k_incidents_shows_no_breakdown() {
        let t = build(&synthetic(3, 7, Some(&[1, 1, 0])), 3);
        assert!(t.too_few);
        let keys: Vec<&str> = t.sections.iter().map(|s| s.key).collect();
        assert_eq!(keys, ["totals", "acknowledgement"]);
        let headings: Vec<&str> = t.columns.iter().map(|c| c.heading.as_str()).collect();
        assert_eq!(headings, ["Whole trust", "School 02", "Other schools (2)"]);
        assert_eq!(
            t.sections[0].lines[0].cells,
            [Cell::Fewer(3), Cell::Number(0), Cell::Fewer(3)]
        );
    }

    #[test]
    fn small_schools_are_grouped_and_the_group_is_never_small_itself() {
        // 40, 2, 12, 0: the 2 alone would be a small group, so the 12 joins.
        assert_eq!(
            named_schools(&[40, 2, 12, 0], 3),
            vec![true, false, false, true]
        );
        // Two small ones make 4: enough on their own.
        assert_eq!(
            named_schools(&[40, 2, 2, 5], 3),
            vec![true, false, false, true]
        );
        // Nothing small: everyone named.
        assert_eq!(named_schools(&[40, 3, 0], 3), vec![true, true, true]);
        // The whole trust is small: every school with incidents is grouped.
        assert_eq!(named_schools(&[1, 1, 0], 5), vec![false, false, true]);
        // k = 1 hides nothing.
        assert_eq!(named_schools(&[1, 2], 1), vec![true, true]);
    }
}
