//! A pupil of the school: who an incident is about, and whose chronology
//! collects every incident involving them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::pupils;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = pupils)]
pub struct Pupil {
    pub id: String,
    pub school_id: String,
    pub name: String,
    pub name_key: String,
    pub tutor_group: Option<String>,
    pub year_group: Option<i32>,
    pub date_of_birth: Option<NaiveDate>,
    pub upn: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When a pupil list (the school's MIS) last named this pupil; None for
    /// a pupil known only from incidents. Staff choose from the roll.
    pub on_roll_at: Option<NaiveDateTime>,
}

/// A name as matched and searched: lower-cased (Unicode-aware, so "ZOË"
/// finds "Zoë" on SQLite too, whose `lower()` knows only ASCII) with runs
/// of spaces made one.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The year group a tutor group names: its leading number (`11F` is Year
/// 11, `Y7B` Year 7); Reception is 0. None when it names none.
pub fn year_group_of(tutor_group: &str) -> Option<i32> {
    let t = tutor_group.trim();
    let upper = t.to_uppercase();
    let rest = upper
        .strip_prefix("YEAR")
        .or_else(|| upper.strip_prefix('Y'))
        .unwrap_or(&upper)
        .trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        // Reception classes: "Reception", "R", "RH"; not "Rowan" or "Red".
        let reception = upper == "RECEPTION" || (upper.starts_with('R') && upper.len() <= 2);
        return reception.then_some(0);
    }
    digits.parse::<i32>().ok().filter(|y| (0..=14).contains(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tutor_group_names_its_year() {
        assert_eq!(year_group_of("11F"), Some(11));
        assert_eq!(year_group_of("8A"), Some(8));
        assert_eq!(year_group_of("10T"), Some(10));
        assert_eq!(year_group_of("Y7B"), Some(7));
        assert_eq!(year_group_of("Year 9 Blue"), Some(9));
        assert_eq!(year_group_of("RH"), Some(0));
        assert_eq!(year_group_of("Reception"), Some(0));
        assert_eq!(year_group_of("Oak"), None);
        assert_eq!(year_group_of("Rowan"), None);
        assert_eq!(year_group_of("99"), None);
    }

    #[test]
    fn names_match_whatever_their_case_and_spacing() {
        assert_eq!(name_key("  ZOË   Smith "), "zoë smith");
        assert_eq!(name_key("Aoife Ní Bhriain"), name_key("AOIFE NÍ BHRIAIN"));
        assert_eq!(name_key("Łukasz"), "łukasz");
    }
}

/// A pupil as a form or the API names them: picked from the type-ahead
/// (`id`), or typed by name with their tutor group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PupilRef {
    pub id: Option<String>,
    pub name: String,
    pub tutor_group: Option<String>,
}

/// One row of a pupil list being imported, already checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedPupil {
    pub line: u64,
    pub name: String,
    pub tutor_group: String,
    pub year_group: Option<i32>,
    pub date_of_birth: Option<NaiveDate>,
    pub upn: Option<String>,
}
