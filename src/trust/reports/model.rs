//! A trust's termly report as counted and as published: each school's
//! exact figures (those its own report counts, by its own term dates),
//! its name and dates as they were. What trustees see is built from this
//! by [`super::table`], suppressed there; this never leaves the server as
//! it is.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::reports::model::Figures;
use crate::reports::terms::{Term, TermName};

/// One school's part of a trust's term.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolPart {
    pub school_id: String,
    pub name: String,
    /// The school's own dates for the term ("Autumn 2025" is each
    /// school's own autumn).
    pub term: Term,
    pub counted_from: NaiveDate,
    pub counted_to: NaiveDate,
    /// Exactly what the school's report counts.
    pub figures: Figures,
    /// For each line of `figures.by_category`, in order: its code and 4C
    /// (the trust adds schools' lines up by code).
    pub categories: Vec<(String, String)>,
    /// Hours from logging to acknowledgement of each of the term's
    /// incidents acknowledged by its end (one decimal, ascending): the
    /// whole trust's median, and the other schools', are taken over them.
    pub acknowledgement_hours: Vec<f64>,
}

/// A trust's term, every school's part. Serialized as it is into a
/// publication, so fields are only ever added (with `serde(default)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrustSnapshot {
    pub format: u32,
    /// The trust's k when counted: the largest of its schools' (see
    /// [`super::store::min_count`]).
    pub k: i32,
    pub year: i32,
    pub term: TermName,
    /// Schools by name.
    pub schools: Vec<SchoolPart>,
    /// The trust's name for each category code any school has.
    pub category_labels: Vec<(String, String)>,
}

impl TrustSnapshot {
    /// "Autumn 2025/26".
    pub fn label(&self) -> String {
        Term::default_for(self.year, self.term).label()
    }

    /// The schools whose figures differ between this (frozen) snapshot and
    /// `live`, by name, and whether schools joined or left the trust since.
    pub fn changes_in(&self, live: &TrustSnapshot) -> Vec<String> {
        let mut changed = Vec::new();
        for s in &self.schools {
            match live.schools.iter().find(|l| l.school_id == s.school_id) {
                // Trust snapshots before format 2 held school figures with
                // category lines keyed by name, as school snapshots of format 1.
                Some(l)
                    if s.figures
                        .changes_in_format(&l.figures, self.format)
                        .is_empty() => {}
                Some(_) => changed.push(s.name.clone()),
                None => changed.push(format!("{} (no longer in the trust)", s.name)),
            }
        }
        for l in &live.schools {
            if !self.schools.iter().any(|s| s.school_id == l.school_id) {
                changed.push(format!("{} (joined since)", l.name));
            }
        }
        changed
    }
}

/// One published version of a trust's term.
#[derive(Clone, Debug)]
pub struct TrustPublication {
    pub version: i32,
    pub snapshot: TrustSnapshot,
    pub commentary: String,
    pub reason: Option<String>,
    pub published_at: NaiveDateTime,
    pub published_by: String,
}

/// A trust's term as a page or the CSV shows it.
#[derive(Clone, Debug)]
pub struct TrustReport {
    pub trust_name: String,
    /// The figures now; for a trustee, the published ones (nothing live
    /// reaches them).
    pub live: TrustSnapshot,
    pub published: Option<TrustPublication>,
    /// The trust's k now.
    pub k: i32,
    /// The trust safeguarding lead's unpublished draft, if any.
    pub draft: Option<String>,
    /// Some school's counting of the term has not ended yet.
    pub in_progress: bool,
}

impl TrustReport {
    /// The figures to show: the frozen ones once published.
    pub fn snapshot(&self) -> &TrustSnapshot {
        match &self.published {
            Some(p) => &p.snapshot,
            None => &self.live,
        }
    }

    /// A published report keeps its own k unless the trust's has since
    /// risen: cells can become hidden, never shown.
    pub fn k(&self) -> i32 {
        match &self.published {
            Some(p) => p.snapshot.k.max(self.k),
            None => self.k,
        }
    }

    /// The schools whose figures changed since publishing (none when not
    /// published).
    pub fn changes(&self) -> Vec<String> {
        match &self.published {
            Some(p) => p.snapshot.changes_in(&self.live),
            None => Vec::new(),
        }
    }

    /// The commentary trustees see: only a published one.
    pub fn commentary(&self) -> Option<&str> {
        self.published.as_ref().map(|p| p.commentary.as_str())
    }

    pub fn path(&self) -> String {
        let s = self.snapshot();
        format!("/trust/reports/{}/{}", s.year, s.term)
    }
}

/// The median of ascending values (None for none).
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
    .map(|h| (h * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_one_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), Some(2.5));
    }
}
