//! Reading a pupil list (CSV from the school's MIS, or Wonde's) and applying
//! it: the columns name (or first name and surname), tutor group, year
//! group, date of birth and optional UPN, MIS id, child identifier and NHS
//! number, in any order, under the headings the MIS exports use (see
//! [`field_of`]), header case and spacing ignored, UTF-8 with or without a
//! byte-order mark. The upload and the command are all or nothing; the
//! nightly drop (`drop.rs`) takes the rows it can read and marks leavers.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::model::{name_key, nfc, year_group_of, ImportedPupil};
use super::store::{self, Upserted};
use crate::db::AnyConnection;

/// A row that cannot be imported, by its line in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// How many pupils an import created, moved or otherwise changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub moved: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Had been marked as left, and a list named them again.
    pub returned: usize,
    /// Marked as left (a nightly drop only: the whole roll).
    pub left: usize,
}

impl Summary {
    /// For people and for the audit trail: counts only, never a name.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{} new, {} moved to another tutor group or year, {} otherwise updated, {} unchanged",
            self.created, self.moved, self.updated, self.unchanged
        );
        if self.returned > 0 {
            out.push_str(&format!(", {} back on the roll", self.returned));
        }
        if self.left > 0 {
            out.push_str(&format!(", {} marked as left", self.left));
        }
        out
    }
}

/// What a column of the file holds. The MIS exports (SIMS, Arbor,
/// Bromcom, Scholarpack) and Wonde spell these differently: [`field_of`]
/// knows their spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    PreferredForename,
    Forename,
    LegalForename,
    Surname,
    LegalSurname,
    TutorGroup,
    YearGroup,
    DateOfBirth,
    Upn,
    MisId,
    ChildIdentifier,
    NhsNumber,
}

const FIELDS: usize = 13;

impl Field {
    /// What the dry run says the column became.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "the pupil's name",
            Field::PreferredForename => "first name (preferred)",
            Field::Forename => "first name",
            Field::LegalForename => "first name (legal)",
            Field::Surname => "surname",
            Field::LegalSurname => "surname (legal)",
            Field::TutorGroup => "tutor group",
            Field::YearGroup => "year group",
            Field::DateOfBirth => "date of birth",
            Field::Upn => "UPN",
            Field::MisId => "MIS id",
            Field::ChildIdentifier => "child identifier",
            Field::NhsNumber => "NHS number",
        }
    }
}

/// Header names as schools' systems spell them, lower-cased with everything
/// but letters and digits removed (so `legal_surname`, `Legal Surname` and
/// `LEGAL-SURNAME` are one).
pub fn field_of(header: &str) -> Option<Field> {
    let h: String = header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    Some(match h.as_str() {
        "name" | "pupilname" | "studentname" | "fullname" | "pupil" | "student" => Field::Name,
        "preferredname" | "preferredforename" | "preferredfirstname" | "knownas" => {
            Field::PreferredForename
        }
        "forename" | "forenames" | "firstname" | "givenname" => Field::Forename,
        "legalforename" | "legalfirstname" | "legalforenames" => Field::LegalForename,
        "surname" | "lastname" | "familyname" | "preferredsurname" | "preferredlastname" => {
            Field::Surname
        }
        "legalsurname" | "legallastname" => Field::LegalSurname,
        "tutorgroup" | "form" | "formgroup" | "tutor" | "registrationgroup" | "reggroup"
        | "regform" | "class" => Field::TutorGroup,
        "yeargroup" | "year" | "ncyear" | "yearname" | "curriculumyear" => Field::YearGroup,
        "dateofbirth" | "dob" | "birthdate" => Field::DateOfBirth,
        "upn" | "uniquepupilnumber" => Field::Upn,
        "misid" | "misidentifier" | "adno" | "admissionnumber" | "admissionno" => Field::MisId,
        "childidentifier" | "consistentchildidentifier" | "childid" | "cci" => {
            Field::ChildIdentifier
        }
        "nhsnumber" | "nhsno" | "nhs" => Field::NhsNumber,
        _ => return None,
    })
}

/// One column of the file and what the import made of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedColumn {
    pub header: String,
    /// None: a column the import does not use.
    pub field: Option<Field>,
    /// A second column for the same field, or a name part another column
    /// already gives: read but not used.
    pub used: bool,
}

impl MappedColumn {
    /// For the dry run: `"legal_surname" → surname (legal)`.
    pub fn describe(&self) -> String {
        let header = if crate::plain_text::first_refused(&self.header, false).is_none() {
            format!("\"{}\"", self.header)
        } else {
            "a column whose heading holds a control character".into()
        };
        match (self.field, self.used) {
            (Some(f), true) => format!("{header} \u{2192} {}", f.label()),
            (Some(f), false) => format!(
                "{header} \u{2192} not used ({} comes from another column)",
                f.label()
            ),
            (None, _) => format!("{header} \u{2192} not used"),
        }
    }
}

/// What a row that could not be read still says about who it is: a pupil
/// it may be is not marked as left because of a typo elsewhere in the row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnreadRow {
    pub mis_id: Option<String>,
    pub upn: Option<String>,
    pub name_key: Option<String>,
}

/// A file read: how its columns were mapped, the rows read, and every row
/// that could not be.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub mapping: Vec<MappedColumn>,
    pub rows: Vec<ImportedPupil>,
    pub problems: Vec<RowProblem>,
    pub unread: Vec<UnreadRow>,
}

/// Checks every row of a pupil list; either all of them, or every problem.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImportedPupil>, Vec<RowProblem>> {
    let parsed = read(bytes).map_err(|p| vec![p])?;
    if parsed.problems.is_empty() {
        Ok(parsed.rows)
    } else {
        Err(parsed.problems)
    }
}

/// Reads a pupil list: the rows that can be read and a problem for each
/// that cannot. Err only when the file as a whole cannot be read (no
/// heading line, or none naming the pupil and their tutor group).
pub fn read(bytes: &[u8]) -> Result<Parsed, RowProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let problem = |line: u64, message: &str| RowProblem {
        line,
        message: message.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(problem(1, &csv_problem(&e))),
    };
    let mut at: [Option<usize>; FIELDS] = [None; FIELDS];
    let mut mapping = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let field = field_of(h);
        let used = match field {
            Some(f) if at[f as usize].is_none() => {
                at[f as usize] = Some(i);
                true
            }
            _ => false,
        };
        mapping.push(MappedColumn {
            header: h.to_string(),
            field,
            used,
        });
    }
    let has = |f: Field| at[f as usize].is_some();
    let first_names = [
        Field::PreferredForename,
        Field::Forename,
        Field::LegalForename,
    ];
    let surnames = [Field::Surname, Field::LegalSurname];
    // A full-name column wins; otherwise first name and surname are joined.
    // Without a surname column, a lone "preferred name" is the whole name.
    let composed = !has(Field::Name)
        && first_names.iter().any(|f| has(*f))
        && surnames.iter().any(|f| has(*f));
    let whole_name = if has(Field::Name) {
        Some(Field::Name)
    } else if !composed && has(Field::PreferredForename) {
        Some(Field::PreferredForename)
    } else {
        None
    };
    if !has(Field::TutorGroup) || (whole_name.is_none() && !composed) {
        return Err(problem(
            1,
            "the first line must name the columns, with at least the pupil's name (\"Name\", or a first name and a surname such as \"legal_forename\" and \"legal_surname\") and their tutor group (\"Tutor group\", \"registration_group\" or \"form_group\"); also, if you have them, \"Year group\", \"Date of birth\", \"UPN\", \"mis_id\", \"child_identifier\" and \"nhs_number\"",
        ));
    }
    if whole_name.is_some() {
        for m in &mut mapping {
            if m.field.is_some_and(|f| {
                f != Field::Name && (first_names.contains(&f) || surnames.contains(&f))
            }) && whole_name != m.field
            {
                m.used = false;
            }
        }
    }
    let mut parsed = Parsed {
        mapping,
        ..Parsed::default()
    };
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(bytes, p.byte()));
                parsed.problems.push(problem(line, &csv_problem(&e)));
                parsed.unread.push(UnreadRow::default());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(bytes, p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |f: Field| at[f as usize].and_then(|i| record.get(i)).unwrap_or("");
        let name = match whole_name {
            Some(f) => cell(f).to_string(),
            None => {
                let first = first_names
                    .iter()
                    .map(|f| cell(*f))
                    .find(|v| !v.is_empty())
                    .unwrap_or("");
                let last = surnames
                    .iter()
                    .map(|f| cell(*f))
                    .find(|v| !v.is_empty())
                    .unwrap_or("");
                format!("{first} {last}").trim().to_string()
            }
        };
        let unread = || UnreadRow {
            mis_id: Some(cell(Field::MisId).to_string()).filter(|v| !v.is_empty()),
            upn: Some(cell(Field::Upn).to_uppercase()).filter(|v| !v.is_empty()),
            name_key: Some(name_key(&name)).filter(|v| !v.is_empty()),
        };
        let controls: Vec<String> = record
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let code = crate::plain_text::first_refused(v, false)?;
                let named = headers
                    .get(i)
                    .filter(|h| crate::plain_text::first_refused(h, false).is_none())
                    .map_or_else(|| format!("column {}", i + 1), |h| format!("\"{h}\""));
                Some(format!(
                    "the column {named} holds an invisible control character ({code}): remove it and save the file again"
                ))
            })
            .collect();
        if !controls.is_empty() {
            parsed.problems.push(problem(line, &controls.join("; ")));
            parsed.unread.push(unread());
            continue;
        }
        let checked = row(
            line,
            &Cells {
                name: &name,
                group: cell(Field::TutorGroup),
                year: cell(Field::YearGroup),
                dob: cell(Field::DateOfBirth),
                upn: cell(Field::Upn),
                mis_id: cell(Field::MisId),
                child_identifier: cell(Field::ChildIdentifier),
                nhs_number: cell(Field::NhsNumber),
            },
        );
        match checked {
            Ok(r) => parsed.rows.push(r),
            Err(message) => {
                parsed.problems.push(problem(line, &message));
                parsed.unread.push(unread());
            }
        }
    }
    Ok(parsed)
}

/// The line (from 1) a byte offset falls on. The csv crate's own line
/// numbers are one short after CRLF line ends, as Excel writes them.
fn line_at(bytes: &[u8], offset: u64) -> u64 {
    let mut end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    // After CR LF, a record's offset is that of the LF before it.
    while end < bytes.len() && matches!(bytes[end], b'\r' | b'\n') {
        end += 1;
    }
    1 + bytes[..end].iter().filter(|b| **b == b'\n').count() as u64
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the file is not UTF-8 text: save it from the spreadsheet as \"CSV UTF-8\"".into()
        }
        _ => "this line is not valid CSV".into(),
    }
}

/// One row's cells, by field ("" when the file has no such column).
struct Cells<'a> {
    name: &'a str,
    group: &'a str,
    year: &'a str,
    dob: &'a str,
    upn: &'a str,
    mis_id: &'a str,
    child_identifier: &'a str,
    nhs_number: &'a str,
}

/// A date of birth as the MIS writes it: dd/mm/yyyy, yyyy-mm-dd, or an ISO
/// date with a time after it (`2011-03-12 00:00:00`, `2011-03-12T00:00:00Z`).
fn date_of_birth(v: &str) -> Option<chrono::NaiveDate> {
    crate::forms::parse_date(v).or_else(|| {
        let (day, time) = v.split_at_checked(10)?;
        (time.starts_with(' ') || time.starts_with('T'))
            .then(|| crate::forms::parse_date(day))
            .flatten()
    })
}

fn row(line: u64, c: &Cells<'_>) -> Result<ImportedPupil, String> {
    let (name, group, year, dob, upn) = (c.name, c.group, c.year, c.dob, c.upn);
    let mut wrong = Vec::new();
    if name.is_empty() {
        wrong.push("the name is missing".to_string());
    } else if name.chars().count() > 200 {
        wrong.push("the name is longer than 200 characters".into());
    }
    if group.is_empty() {
        wrong.push("the tutor group is missing".into());
    } else if group.chars().count() > 20 {
        wrong.push("the tutor group is longer than 20 characters".into());
    }
    let year_group = if year.is_empty() {
        None
    } else {
        let y = year_group_of(year).or_else(|| year.parse().ok().filter(|y| (0..=14).contains(y)));
        if y.is_none() {
            wrong.push(format!(
                "the year group \"{year}\" is not a year from 0 (Reception) to 14"
            ));
        }
        y
    };
    let date_of_birth = if dob.is_empty() {
        None
    } else {
        let d = date_of_birth(dob);
        if d.is_none() {
            wrong.push(format!(
                "the date of birth \"{dob}\" is not a date (use dd/mm/yyyy or yyyy-mm-dd)"
            ));
        }
        d
    };
    let upn = (!upn.is_empty()).then(|| upn.to_uppercase());
    if upn.as_ref().is_some_and(|u| u.chars().count() > 20) {
        wrong.push("the UPN is longer than 20 characters".into());
    }
    let mis_id = (!c.mis_id.is_empty()).then(|| c.mis_id.to_string());
    if mis_id.as_ref().is_some_and(|u| u.chars().count() > 64) {
        wrong.push("the MIS id is longer than 64 characters".into());
    }
    let child_identifier = match c.child_identifier {
        "" => None,
        v => match super::model::child_identifier(v) {
            Ok(v) => Some(v),
            Err(e) => {
                wrong.push(e);
                None
            }
        },
    };
    let nhs_number = match c.nhs_number {
        "" => None,
        v => match super::model::nhs_number(v) {
            Ok(v) => Some(v),
            Err(e) => {
                wrong.push(format!("the NHS number: {e}"));
                None
            }
        },
    };
    if !wrong.is_empty() {
        return Err(wrong.join("; "));
    }
    Ok(ImportedPupil {
        line,
        name: nfc(name),
        tutor_group: group.to_string(),
        year_group,
        date_of_birth,
        upn,
        mis_id,
        child_identifier,
        nhs_number,
    })
}

/// Applies checked rows; the caller holds the write transaction, so a
/// failure part-way leaves nothing behind. A list (the upload, the
/// command) may be part of the roll: no one is marked as left.
pub fn apply(
    conn: &mut AnyConnection,
    school_id: &str,
    rows: &[ImportedPupil],
    at: NaiveDateTime,
) -> diesel::QueryResult<Summary> {
    apply_rows(conn, school_id, rows, at).map(|(summary, _)| summary)
}

fn apply_rows(
    conn: &mut AnyConnection,
    school_id: &str,
    rows: &[ImportedPupil],
    at: NaiveDateTime,
) -> diesel::QueryResult<(Summary, HashSet<String>)> {
    let mut summary = Summary::default();
    let mut named = HashSet::new();
    for r in rows {
        let (what, id) = store::upsert_imported(conn, school_id, r, at)?;
        named.insert(id);
        match what {
            Upserted::Created => summary.created += 1,
            Upserted::Moved => summary.moved += 1,
            Upserted::Returned => summary.returned += 1,
            Upserted::Updated => summary.updated += 1,
            Upserted::Unchanged => summary.unchanged += 1,
        }
    }
    Ok((summary, named))
}

/// What [`apply`] would do, changing nothing: applied in a transaction
/// that is then rolled back.
pub fn would_apply(
    conn: &mut AnyConnection,
    school_id: &str,
    rows: &[ImportedPupil],
    at: NaiveDateTime,
) -> Result<Summary, crate::error::AppError> {
    /// The error that rolls the dry run back, carrying what it did.
    enum Undo {
        Done(Summary),
        Db(diesel::result::Error),
    }
    impl From<diesel::result::Error> for Undo {
        fn from(e: diesel::result::Error) -> Self {
            Undo::Db(e)
        }
    }
    let undone = crate::db::dialect::write_transaction(conn, |conn| {
        let summary = apply(conn, school_id, rows, at)?;
        Err::<(), _>(Undo::Done(summary))
    });
    match undone {
        Ok(()) => Ok(Summary::default()),
        Err(Undo::Done(summary)) => Ok(summary),
        Err(Undo::Db(e)) => Err(e.into()),
    }
}

/// Why a whole-roll file was not applied.
#[derive(Debug)]
pub enum RollError {
    /// It would mark more than a third of the roll as left: most likely a
    /// partial export. Nothing was changed.
    Suspect {
        leaving: usize,
        roll: usize,
    },
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for RollError {
    fn from(e: diesel::result::Error) -> Self {
        RollError::Db(e)
    }
}

impl RollError {
    /// For the admin page, the command line and the run's record: counts
    /// only.
    pub fn describe(&self) -> String {
        match self {
            RollError::Suspect { leaving, roll } => format!(
                "refused as suspect: it would mark {leaving} of the {roll} pupils on the roll as left (more than a third), which looks like a partial export; nothing was changed. Check the MIS export; to accept it, run `safelog pupils drop run --accept-leavers`"
            ),
            RollError::Db(e) => format!("the database failed: {e}"),
        }
    }
}

/// Applies a whole-roll file (the nightly drop): its rows as [`apply`]
/// does, then every pupil on the roll it did not name is marked as left,
/// unless an unreadable row may be them. Refused, changing nothing (the
/// caller's transaction rolls back), when more than a third of the roll
/// would leave, unless `accept_leavers`.
pub fn apply_roll(
    conn: &mut AnyConnection,
    school_id: &str,
    parsed: &Parsed,
    at: NaiveDateTime,
    accept_leavers: bool,
) -> Result<Summary, RollError> {
    let before = store::current_roll(conn, school_id)?;
    let (mut summary, named) = apply_rows(conn, school_id, &parsed.rows, at)?;
    let may_be = |p: &crate::pupils::model::Pupil| {
        parsed.unread.iter().any(|u| {
            (u.mis_id.is_some() && u.mis_id == p.mis_id)
                || (u.upn.is_some() && u.upn == p.upn)
                || u.name_key.as_deref() == Some(p.name_key.as_str())
        })
    };
    let leaving: Vec<String> = before
        .iter()
        .filter(|p| !named.contains(&p.id) && !may_be(p))
        .map(|p| p.id.clone())
        .collect();
    if !accept_leavers && !leaving.is_empty() && leaving.len() * 3 > before.len() {
        return Err(RollError::Suspect {
            leaving: leaving.len(),
            roll: before.len(),
        });
    }
    store::mark_left(conn, &leaving, at)?;
    summary.left = leaving.len();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_any_order_and_case_with_a_byte_order_mark() {
        let file = "\u{feff} date of BIRTH ,NAME,Tutor_Group,upn\r\n12/03/2011,Zoë Ångström,8A,a123456789012\r\n,Łukasz Nowak,11F,\r\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "Zoë Ångström");
        assert_eq!(rows[0].tutor_group, "8A");
        assert_eq!(rows[0].year_group, None);
        assert_eq!(
            rows[0].date_of_birth,
            chrono::NaiveDate::from_ymd_opt(2011, 3, 12)
        );
        assert_eq!(rows[0].upn.as_deref(), Some("A123456789012"));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].date_of_birth, None);
    }

    #[test]
    fn every_bad_row_is_reported_by_its_line() {
        let file = "Name,Tutor group,Year group,Date of birth\nAoife Ní Bhriain,9B,9,31/02/2012\n,7C,7,\nSam,7C,seven,\n";
        let problems = parse(file.as_bytes()).unwrap_err();
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(problems[0].message.contains("31/02/2012"));
        assert!(problems[1].message.contains("name is missing"));
    }

    #[test]
    fn wonde_headings_make_the_name_from_the_preferred_forename_and_surname() {
        let file = "mis_id,upn,forename,surname,legal_forename,legal_surname,date_of_birth,year_group,registration_group,nhs_number,gender\n\
                    1004,a100000000004,Sam,Jones,Samuel,Jones,2013-06-01 00:00:00.000000,Year 8,8A,401 023 2137,M\n\
                    1005,,,Shah,Priya,Shah,2013-02-14T00:00:00Z,Year 8,8B,,F\n";
        let parsed = read(file.as_bytes()).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let r = &parsed.rows;
        assert_eq!(r[0].name, "Sam Jones");
        assert_eq!(r[0].mis_id.as_deref(), Some("1004"));
        assert_eq!(r[0].upn.as_deref(), Some("A100000000004"));
        assert_eq!(r[0].year_group, Some(8));
        assert_eq!(r[0].nhs_number.as_deref(), Some("4010232137"));
        assert_eq!(
            r[0].date_of_birth,
            chrono::NaiveDate::from_ymd_opt(2013, 6, 1)
        );
        // No preferred forename: the legal one.
        assert_eq!(r[1].name, "Priya Shah");
        let described: Vec<String> = parsed.mapping.iter().map(MappedColumn::describe).collect();
        assert!(described.contains(&"\"registration_group\" \u{2192} tutor group".to_string()));
        assert!(described.contains(&"\"gender\" \u{2192} not used".to_string()));
    }

    #[test]
    fn a_whole_name_column_wins_over_name_parts() {
        let parsed = read(b"Name,Surname,Form\nAmy Lee,Lee,7A\n").unwrap();
        assert_eq!(parsed.rows[0].name, "Amy Lee");
        assert!(!parsed.mapping[1].used);
    }

    #[test]
    fn a_file_without_the_needed_columns_says_which() {
        let problems = parse(b"Pupil forename,Surname\nA,B\n").unwrap_err();
        assert_eq!(problems[0].line, 1);
        assert!(problems[0].message.contains("Tutor group"));
    }
}
