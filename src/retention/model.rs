//! When a record is reviewed: the school's period for its category, the
//! floor no safeguarding record goes below (the pupil's date of birth + 25
//! years), and the review date those give a record from its pupils' dates
//! of birth or its own date, moved on by any "keep" decision.

use chrono::{Months, NaiveDate};

use crate::auth::Role;
use crate::categories::Category;

/// What a review period counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The pupil's date of birth (the latest of the record's pupils).
    DateOfBirth,
    /// The incident's date (or the day it was logged, when not known).
    Incident,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::DateOfBirth => "date_of_birth",
            Basis::Incident => "incident",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "date_of_birth" => Some(Basis::DateOfBirth),
            "incident" => Some(Basis::Incident),
            _ => None,
        }
    }
}

/// A review period: so many years from the basis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub basis: Basis,
    pub years: i32,
}

impl Period {
    /// In words: "date of birth + 25 years".
    pub fn words(self) -> String {
        match self.basis {
            Basis::DateOfBirth => format!("date of birth + {} years", self.years),
            Basis::Incident => format!("incident date + {} years", self.years),
        }
    }
}

/// Child protection records (KCSIE, the IRMS toolkit for schools): the
/// pupil's date of birth + 25 years. Every category has it until the
/// school sets another; no safeguarding record may have less.
pub const SAFEGUARDING_FLOOR: Period = Period {
    basis: Basis::DateOfBirth,
    years: 25,
};

/// The most years a period may run.
pub const MAX_YEARS: i32 = 100;

/// Whether records of this category are safeguarding records, kept at
/// least to the floor: the DSL owns them, or they are restricted (staff
/// conduct, whose KCSIE rule also runs from the allegation; safelog keeps
/// the longer of the two by holding to the floor).
pub fn safeguarding_category(category: &Category) -> bool {
    category.owner() == Role::Dsl || category.restricted
}

/// Whether a school may give this category `period`: any period of at
/// least a year for the others; for safeguarding categories, only the date
/// of birth + 25 years or more. Err says why, for the form.
pub fn allowed(category: &Category, period: Period) -> Result<(), String> {
    if !(1..=MAX_YEARS).contains(&period.years) {
        return Err(format!("Give a number of years from 1 to {MAX_YEARS}."));
    }
    if safeguarding_category(category)
        && (period.basis != Basis::DateOfBirth || period.years < SAFEGUARDING_FLOOR.years)
    {
        return Err(format!(
            "{} is a safeguarding category: its records are kept at least until the pupil's date of birth + 25 years.",
            category.name
        ));
    }
    Ok(())
}

/// The period a record is reviewed by: its category's, unless the record
/// is a safeguarding one (its category's, a child put at risk, an
/// allegation about the headteacher) and that is shorter than the floor.
pub fn effective(set: Option<Period>, safeguarding: bool) -> Period {
    let p = set.unwrap_or(SAFEGUARDING_FLOOR);
    if safeguarding && (p.basis != Basis::DateOfBirth || p.years < SAFEGUARDING_FLOOR.years) {
        SAFEGUARDING_FLOOR
    } else {
        p
    }
}

/// A record's review date, or why it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Review {
    On(NaiveDate),
    /// These pupils of the record have no date of birth: someone must
    /// supply one before the record can be dated.
    NeedsBirthDate(Vec<String>),
}

/// `date` + `years`; 29 February becomes 28 February in a common year.
pub fn plus_years(date: NaiveDate, years: i32) -> NaiveDate {
    let months = u32::try_from(years.max(0)).unwrap_or(0) * 12;
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The review date of a record with these pupils (id, date of birth), this
/// date (`counted_on`), under `period`, and kept by the reviewers until
/// `kept_until` (the latest "keep"). A "keep" never brings a review forward
/// of what the period gives.
pub fn review(
    period: Period,
    pupils: &[(String, Option<NaiveDate>)],
    counted_on: NaiveDate,
    kept_until: Option<NaiveDate>,
) -> Review {
    let due = match period.basis {
        Basis::Incident => plus_years(counted_on, period.years),
        Basis::DateOfBirth => {
            let missing: Vec<String> = pupils
                .iter()
                .filter(|(_, dob)| dob.is_none())
                .map(|(id, _)| id.clone())
                .collect();
            if !missing.is_empty() || pupils.is_empty() {
                return Review::NeedsBirthDate(missing);
            }
            let latest = pupils.iter().filter_map(|(_, d)| *d).max();
            match latest {
                Some(d) => plus_years(d, period.years),
                None => return Review::NeedsBirthDate(Vec::new()),
            }
        }
    };
    Review::On(kept_until.map_or(due, |k| k.max(due)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_record_is_reviewed_at_the_latest_pupils_birth_date_plus_the_period() {
        let pupils = vec![
            ("a".to_string(), Some(d(2008, 2, 29))),
            ("b".to_string(), Some(d(2007, 6, 1))),
        ];
        assert_eq!(
            review(SAFEGUARDING_FLOOR, &pupils, d(2020, 1, 1), None),
            Review::On(d(2033, 2, 28))
        );
        // A keep moves it on, never back.
        assert_eq!(
            review(
                SAFEGUARDING_FLOOR,
                &pupils,
                d(2020, 1, 1),
                Some(d(2040, 1, 1))
            ),
            Review::On(d(2040, 1, 1))
        );
        assert_eq!(
            review(
                SAFEGUARDING_FLOOR,
                &pupils,
                d(2020, 1, 1),
                Some(d(2030, 1, 1))
            ),
            Review::On(d(2033, 2, 28))
        );
        let unknown = vec![
            ("a".to_string(), Some(d(2008, 1, 1))),
            ("c".to_string(), None),
        ];
        assert_eq!(
            review(SAFEGUARDING_FLOOR, &unknown, d(2020, 1, 1), None),
            Review::NeedsBirthDate(vec!["c".to_string()])
        );
        let six = Period {
            basis: Basis::Incident,
            years: 6,
        };
        assert_eq!(
            review(six, &unknown, d(2020, 3, 1), None),
            Review::On(d(2026, 3, 1))
        );
    }

    #[test]
    fn a_safeguarding_record_is_never_reviewed_before_the_floor() {
        let six = Period {
            basis: Basis::Incident,
            years: 6,
        };
        assert_eq!(effective(Some(six), true), SAFEGUARDING_FLOOR);
        assert_eq!(effective(Some(six), false), six);
        assert_eq!(effective(None, false), SAFEGUARDING_FLOOR);
        let longer = Period {
            basis: Basis::DateOfBirth,
            years: 30,
        };
        assert_eq!(effective(Some(longer), true), longer);
    }
}
