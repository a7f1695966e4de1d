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
    /// The MIS's own id for the pupil (Wonde's `mis_id`): matched first.
    pub mis_id: Option<String>,
    /// When a nightly pupil drop stopped naming the pupil: they have left.
    /// Never deleted; their page and records still open for those who may
    /// read them, but the log form no longer offers them.
    pub left_at: Option<NaiveDateTime>,
    /// The consistent child identifier (Children's Wellbeing and Schools Act
    /// 2026); its format is not yet set, so it is kept as typed.
    pub child_identifier: Option<String>,
    /// Ten digits, checked with [`nhs_number`].
    pub nhs_number: Option<String>,
}

/// A name as matched and searched: Unicode case-folded (so "ZOË" finds
/// "Zoë" on SQLite too, whose `lower()` knows only ASCII, and "STRASSE"
/// finds "Straße") and NFC-normalised (so a "Zoë" pasted with a combining
/// diaeresis, NFD, is the same as one typed with "ë"), runs of spaces made
/// one. The canonical caseless match of Unicode (D145): NFD, fold, then
/// composed again, as stored keys are NFC.
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let decomposed: String = name.nfd().collect();
    let folded = caseless::default_case_fold_str(&decomposed);
    let composed: String = folded.nfc().collect();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name as stored and shown: NFC, so the same name is the same bytes
/// whichever way it was typed or pasted.
pub fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

/// An NHS number as kept: ten digits (spaces and hyphens as printed,
/// `943 476 5919`, are dropped), the tenth the modulus-11 check digit of
/// the first nine. Err says what to fix, without echoing the number.
pub fn nhs_number(typed: &str) -> Result<String, String> {
    let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("an NHS number is ten digits (spaces allowed, as in 943 476 5919)".into());
    }
    if digits.len() != 10 {
        return Err(format!(
            "an NHS number is ten digits; this has {}",
            digits.len()
        ));
    }
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, v)| v * (10 - u32::try_from(i).unwrap_or(0)))
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        // No valid NHS number has a check digit of 10.
        10 => return Err("this is not an NHS number: its check digit cannot be right; check each digit against the pupil's records".into()),
        c => c,
    };
    if d[9] != check {
        return Err("this NHS number's last digit (the check digit) does not match the others: one of the digits is probably mistyped".into());
    }
    Ok(digits)
}

/// A child identifier as kept: trimmed, at most 64 characters.
pub fn child_identifier(typed: &str) -> Result<String, String> {
    let t = typed.trim();
    if t.is_empty() {
        return Err("the child identifier is empty".into());
    }
    if t.chars().count() > 64 {
        return Err("the child identifier is longer than 64 characters".into());
    }
    if crate::plain_text::first_refused(t, false).is_some() {
        return Err("the child identifier holds an invisible control character: remove it".into());
    }
    Ok(t.to_string())
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

    #[test]
    fn an_nfd_name_is_the_nfc_name() {
        let nfc = "Zo\u{eb} Smith";
        let nfd = "Zoe\u{308} Smith";
        assert_ne!(nfc, nfd);
        assert_eq!(name_key(nfd), name_key(nfc));
        assert_eq!(name_key("ZOE\u{308} SMITH"), name_key(nfc));
        assert_eq!(name_key("Straße"), name_key("STRASSE"));
        assert_eq!(super::nfc(nfd), nfc);
    }

    #[test]
    fn nhs_numbers_carry_a_modulus_11_check_digit() {
        assert_eq!(nhs_number("943 476 5919").as_deref(), Ok("9434765919"));
        assert_eq!(nhs_number("401-023-2137").as_deref(), Ok("4010232137"));
        assert!(nhs_number("9434765918")
            .unwrap_err()
            .contains("check digit"));
        assert!(nhs_number("943476591").unwrap_err().contains("this has 9"));
        assert!(nhs_number("94347659l9").unwrap_err().contains("ten digits"));
        // Check digit 10: no NHS number.
        assert!(nhs_number("1000000010")
            .unwrap_err()
            .contains("cannot be right"));
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
    pub mis_id: Option<String>,
    pub child_identifier: Option<String>,
    pub nhs_number: Option<String>,
}

/// One nightly drop file looked at: imported (with what it did) or refused
/// (with why). Counts and line numbers only, never a name.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = crate::db::schema::pupil_drop_runs)]
pub struct DropRun {
    pub id: String,
    pub school_id: String,
    pub file_name: String,
    pub file_sha256: String,
    pub ran_at: NaiveDateTime,
    /// `imported` or `refused`.
    pub outcome: String,
    pub added: i32,
    pub moved: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub returned: i32,
    pub left_roll: i32,
    pub refused_rows: i32,
    pub message: Option<String>,
}
