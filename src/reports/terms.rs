//! School terms: Autumn, Spring and Summer of an academic year (named by the
//! calendar year it starts in), as the school set them or, where it set
//! none, PRODUCT.md's defaults.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermName {
    Autumn,
    Spring,
    Summer,
}

impl TermName {
    pub const ALL: [TermName; 3] = [TermName::Autumn, TermName::Spring, TermName::Summer];

    pub fn as_str(self) -> &'static str {
        match self {
            TermName::Autumn => "autumn",
            TermName::Spring => "spring",
            TermName::Summer => "summer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TermName::Autumn => "Autumn",
            TermName::Spring => "Spring",
            TermName::Summer => "Summer",
        }
    }
}

impl FromStr for TermName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "autumn" => Ok(TermName::Autumn),
            "spring" => Ok(TermName::Spring),
            "summer" => Ok(TermName::Summer),
            _ => Err(format!("'{s}' is not a term: use autumn, spring or summer")),
        }
    }
}

impl fmt::Display for TermName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One term of one academic year, with its dates (both inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// The calendar year the academic year starts in: 2025 for 2025/26.
    pub year: i32,
    pub term: TermName,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Term {
    /// PRODUCT.md's default dates.
    pub fn default_for(year: i32, term: TermName) -> Term {
        let d =
            |y: i32, m: u32, day: u32| NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN);
        let (starts_on, ends_on) = match term {
            TermName::Autumn => (d(year, 9, 1), d(year, 12, 31)),
            TermName::Spring => (d(year + 1, 1, 1), d(year + 1, 3, 31)),
            TermName::Summer => (d(year + 1, 4, 1), d(year + 1, 8, 31)),
        };
        Term {
            year,
            term,
            starts_on,
            ends_on,
        }
    }

    /// The academic year and term a date falls in under the default dates.
    pub fn default_containing(date: NaiveDate) -> Term {
        let (year, term) = match date.month() {
            9..=12 => (date.year(), TermName::Autumn),
            1..=3 => (date.year() - 1, TermName::Spring),
            _ => (date.year() - 1, TermName::Summer),
        };
        Term::default_for(year, term)
    }

    /// (year, term) of the term before this one.
    pub fn previous(&self) -> (i32, TermName) {
        match self.term {
            TermName::Autumn => (self.year - 1, TermName::Summer),
            TermName::Spring => (self.year, TermName::Autumn),
            TermName::Summer => (self.year, TermName::Spring),
        }
    }

    /// (year, term) of the term after this one.
    pub fn next(&self) -> (i32, TermName) {
        match self.term {
            TermName::Autumn => (self.year, TermName::Spring),
            TermName::Spring => (self.year, TermName::Summer),
            TermName::Summer => (self.year + 1, TermName::Autumn),
        }
    }

    /// "Autumn 2025/26".
    pub fn label(&self) -> String {
        format!(
            "{} {}/{:02}",
            self.term.label(),
            self.year,
            (self.year + 1) % 100
        )
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.starts_on <= date && date <= self.ends_on
    }
}

/// Why a school's term dates are refused, said so that they can be fixed.
pub fn check_year(terms: &[Term; 3]) -> Result<(), String> {
    for t in terms {
        if t.starts_on > t.ends_on {
            return Err(format!("{} ends before it starts.", t.label()));
        }
        let window = (
            NaiveDate::from_ymd_opt(t.year, 8, 1),
            NaiveDate::from_ymd_opt(t.year + 1, 9, 30),
        );
        if let (Some(first), Some(last)) = window {
            if t.starts_on < first || t.ends_on > last {
                return Err(format!(
                    "{} must fall between 1 August {} and 30 September {}.",
                    t.label(),
                    t.year,
                    t.year + 1
                ));
            }
        }
    }
    for pair in terms.windows(2) {
        if pair[0].ends_on >= pair[1].starts_on {
            return Err(format!(
                "{} must end before {} starts.",
                pair[0].label(),
                pair[1].label()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn default_terms_cover_the_whole_year_without_gaps() {
        let autumn = Term::default_for(2025, TermName::Autumn);
        let spring = Term::default_for(2025, TermName::Spring);
        let summer = Term::default_for(2025, TermName::Summer);
        assert_eq!(
            (autumn.starts_on, autumn.ends_on),
            (date(2025, 9, 1), date(2025, 12, 31))
        );
        assert_eq!(spring.starts_on, autumn.ends_on.succ_opt().unwrap());
        assert_eq!(summer.starts_on, spring.ends_on.succ_opt().unwrap());
        assert_eq!(summer.ends_on, date(2026, 8, 31));
        assert_eq!(Term::default_containing(date(2026, 2, 14)), spring);
        assert_eq!(Term::default_containing(date(2025, 9, 1)), autumn);
        assert_eq!(Term::default_containing(date(2026, 8, 31)), summer);
        assert_eq!(autumn.previous(), (2024, TermName::Summer));
        assert_eq!(summer.next(), (2026, TermName::Autumn));
        assert_eq!(autumn.next(), (2025, TermName::Spring));
        assert_eq!(autumn.label(), "Autumn 2025/26");
    }

    #[test]
    fn overlapping_or_backwards_terms_are_refused_with_a_reason() {
        let mut year = TermName::ALL.map(|t| Term::default_for(2025, t));
        assert!(check_year(&year).is_ok());
        year[1].starts_on = date(2025, 12, 20);
        assert!(check_year(&year).unwrap_err().contains("must end before"));
        year[1].starts_on = date(2026, 4, 1);
        assert!(check_year(&year).is_err());
    }
}
