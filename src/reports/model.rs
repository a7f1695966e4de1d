//! A term's figures as counted, how a small count is shown, and a
//! published report with the figures it froze.
//!
//! [`Figures`] holds exact counts and is what a publication stores; it never
//! leaves the server as it is. What governors get is [`Shown`]: any count
//! from 1 to k-1 in a breakdown becomes "<k". Totals are shown as numbers.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize, Serializer};

use super::terms::Term;

/// The days a term's incidents are counted on: from its first day up to the
/// day before the next term starts, so that the holidays after a term
/// count in it (both ends inclusive).
// Ordered so that schools counting the same window are counted together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Window {
    /// The first moment after the window (UTC), for "by the end of term".
    pub fn end_instant(&self) -> NaiveDateTime {
        self.last
            .succ_opt()
            .unwrap_or(self.last)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }
}

/// One line of a breakdown: a stable key (what the JSON shows), the label
/// people read, and the exact count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: i64,
}

impl Count {
    pub fn new(key: impl Into<String>, label: impl Into<String>, count: i64) -> Self {
        Count {
            key: key.into(),
            label: label.into(),
            count,
        }
    }
}

/// Every figure of a term's report, exact. Serialized as it is into a
/// publication, so fields are only ever added (with `serde(default)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub total: i64,
    pub previous_term_total: i64,
    pub same_term_last_year_total: i64,
    pub by_category: Vec<Count>,
    pub by_four_c: Vec<Count>,
    pub by_year_group: Vec<Count>,
    pub by_month: Vec<Count>,
    pub by_location: Vec<Count>,
    pub referrals_by_agency: Vec<Count>,
    pub acknowledged: i64,
    /// One decimal place; None when nothing was acknowledged.
    pub median_hours_to_acknowledge: Option<f64>,
    pub open_at_end_of_term: i64,
    /// Of the term's referrals, those still waiting for the agency's
    /// reference. Reports published before it was counted read 0.
    #[serde(default)]
    pub referrals_awaiting_reference: i64,
    /// Decisions recorded with a reason during the term, by kind (no
    /// further action, not referred, not shared). Reports published before
    /// they were counted have none.
    #[serde(default)]
    pub decisions: Vec<Count>,
}

/// The breakdowns in the order a report shows them: (JSON name, heading).
pub const SECTIONS: [(&str, &str); 6] = [
    ("by_category", "By category"),
    ("by_four_c", "By the 4Cs of online risk"),
    ("by_year_group", "By year group"),
    ("by_month", "By month"),
    ("by_location", "In or out of school"),
    ("referrals_by_agency", "Referrals to outside agencies"),
];

impl Figures {
    pub fn section(&self, name: &str) -> &[Count] {
        match name {
            "by_category" => &self.by_category,
            "by_four_c" => &self.by_four_c,
            "by_year_group" => &self.by_year_group,
            "by_month" => &self.by_month,
            "by_location" => &self.by_location,
            "referrals_by_agency" => &self.referrals_by_agency,
            _ => &[],
        }
    }

    /// What differs between these (frozen) figures and `live`: the names of
    /// the totals and breakdowns whose numbers changed. Lines with a count
    /// of nought are left out of the comparison, so a category added since,
    /// or a month that has begun, is not taken for a change.
    pub fn changes_in(&self, live: &Figures) -> Vec<&'static str> {
        self.changes_in_format(live, SNAPSHOT_FORMAT)
    }

    /// [`Self::changes_in`] for figures frozen in a snapshot of `format`.
    /// Categories are compared by code, so a category renamed since is no
    /// change; snapshots before format 2 keyed them by name, and are
    /// compared by name as they were.
    pub fn changes_in_format(&self, live: &Figures, format: u32) -> Vec<&'static str> {
        let by_name;
        let live = if format < 2 {
            let mut renamed = live.clone();
            for c in &mut renamed.by_category {
                c.key = c.label.clone();
            }
            by_name = renamed;
            &by_name
        } else {
            live
        };
        let mut changed = Vec::new();
        let totals: [(&'static str, i64, i64); 5] = [
            ("total", self.total, live.total),
            (
                "previous_term_total",
                self.previous_term_total,
                live.previous_term_total,
            ),
            (
                "same_term_last_year_total",
                self.same_term_last_year_total,
                live.same_term_last_year_total,
            ),
            ("acknowledged", self.acknowledged, live.acknowledged),
            (
                "open_at_end_of_term",
                self.open_at_end_of_term,
                live.open_at_end_of_term,
            ),
        ];
        for (name, frozen, now) in totals {
            if frozen != now {
                changed.push(name);
            }
        }
        if self.median_hours_to_acknowledge != live.median_hours_to_acknowledge {
            changed.push("median_hours_to_acknowledge");
        }
        let non_zero = |rows: &[Count]| -> BTreeMap<String, i64> {
            rows.iter()
                .filter(|c| c.count != 0)
                .map(|c| (c.key.clone(), c.count))
                .collect()
        };
        for (name, _) in SECTIONS {
            if non_zero(self.section(name)) != non_zero(live.section(name)) {
                changed.push(name);
            }
        }
        if non_zero(&self.decisions) != non_zero(&live.decisions) {
            changed.push("decisions");
        }
        changed
    }
}

/// A count as governors see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Number(i64),
    /// Some, but fewer than k: shown as "<k".
    Fewer(i32),
}

impl Shown {
    /// A breakdown's count: from 1 to k-1 it is "<k".
    pub fn cell(count: i64, k: i32) -> Shown {
        if count >= 1 && count < i64::from(k) {
            Shown::Fewer(k)
        } else {
            Shown::Number(count)
        }
    }

    /// How long to draw its bar: a suppressed count gets none, so that a
    /// chart cannot give away what the table hides.
    pub fn bar(self) -> i64 {
        match self {
            Shown::Number(n) => n,
            Shown::Fewer(_) => 0,
        }
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Number(n) => write!(f, "{n}"),
            Shown::Fewer(k) => write!(f, "<{k}"),
        }
    }
}

/// A number, or the string "<3".
impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Number(n) => s.serialize_i64(*n),
            Shown::Fewer(_) => s.collect_str(self),
        }
    }
}

/// The snapshot format publishing writes now. 2: category lines keyed by
/// code (1 keyed them by name).
pub const SNAPSHOT_FORMAT: u32 = 2;

/// What a publication stores: the figures and the k they were shown with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub k: i32,
    /// The term's dates, as they were when published.
    pub term: Term,
    /// The counting window, as it was when published.
    pub counted_from: NaiveDate,
    pub counted_to: NaiveDate,
    pub figures: Figures,
}

/// One published version of a term's report.
#[derive(Clone, Debug)]
pub struct Publication {
    pub version: i32,
    pub snapshot: Snapshot,
    pub commentary: String,
    pub reason: Option<String>,
    pub published_at: NaiveDateTime,
    pub published_by: String,
}

/// A term's report as a page, the JSON or the CSV shows it.
#[derive(Clone, Debug)]
pub struct Report {
    pub term: Term,
    pub previous: Term,
    pub same_term_last_year: Term,
    pub window: Window,
    /// The figures now. For a published report, only for the lead's note
    /// of what changed since; a governor's copy holds the published
    /// figures here ([`super::report::load_published`]).
    pub live: Figures,
    pub published: Option<Publication>,
    /// The school's k now.
    pub k: i32,
    /// The Online Safety Lead's unpublished draft, if any.
    pub draft: Option<String>,
    /// The term has not ended yet: figures so far.
    pub in_progress: bool,
}

impl Report {
    /// The term as shown: with the dates it was published with.
    pub fn shown_term(&self) -> &Term {
        match &self.published {
            Some(p) => &p.snapshot.term,
            None => &self.term,
        }
    }

    /// The counting window as shown (frozen once published).
    pub fn shown_window(&self) -> Window {
        match &self.published {
            Some(p) => Window {
                first: p.snapshot.counted_from,
                last: p.snapshot.counted_to,
            },
            None => self.window,
        }
    }

    /// The figures to show: the frozen ones once published.
    pub fn figures(&self) -> &Figures {
        match &self.published {
            Some(p) => &p.snapshot.figures,
            None => &self.live,
        }
    }

    /// The k to show them with. A published report keeps its own k unless
    /// the school has since raised it: cells can become hidden, never shown.
    pub fn k(&self) -> i32 {
        match &self.published {
            Some(p) => p.snapshot.k.max(self.k),
            None => self.k,
        }
    }

    /// What changed since publishing (empty when not published).
    pub fn changes(&self) -> Vec<&'static str> {
        match &self.published {
            Some(p) => p
                .snapshot
                .figures
                .changes_in_format(&self.live, p.snapshot.format),
            None => Vec::new(),
        }
    }

    /// The commentary governors see: only a published one.
    pub fn commentary(&self) -> Option<&str> {
        self.published.as_ref().map(|p| p.commentary.as_str())
    }

    pub fn cell(&self, count: i64) -> Shown {
        Shown::cell(count, self.k())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_k_minus_one_are_hidden_and_nought_is_not() {
        assert_eq!(Shown::cell(0, 3), Shown::Number(0));
        assert_eq!(Shown::cell(1, 3).to_string(), "<3");
        assert_eq!(Shown::cell(2, 3).to_string(), "<3");
        assert_eq!(Shown::cell(3, 3), Shown::Number(3));
        assert_eq!(Shown::cell(4, 5).to_string(), "<5");
        assert_eq!(Shown::cell(1, 1), Shown::Number(1));
        assert_eq!(serde_json::to_string(&Shown::cell(2, 3)).unwrap(), "\"<3\"");
        assert_eq!(serde_json::to_string(&Shown::cell(7, 3)).unwrap(), "7");
        assert_eq!(Shown::cell(2, 3).bar(), 0);
    }

    #[test]
    fn the_window_ends_at_midnight_after_its_last_day() {
        let w = Window {
            first: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            last: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        };
        assert_eq!(w.end_instant().to_string(), "2026-01-01 00:00:00");
    }
}
