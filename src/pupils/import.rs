//! Reading a pupil list (CSV from the school's MIS) and applying it: the
//! columns name, tutor group, year group, date of birth and an optional UPN,
//! in any order, header case and spacing ignored, UTF-8 with or without a
//! byte-order mark. All or nothing: a file with a bad row changes nothing.

use chrono::NaiveDateTime;

use super::model::{year_group_of, ImportedPupil};
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
}

impl Summary {
    /// For people and for the audit trail: counts only, never a name.
    pub fn describe(&self) -> String {
        format!(
            "{} new, {} moved to another tutor group, {} otherwise updated, {} unchanged",
            self.created, self.moved, self.updated, self.unchanged
        )
    }
}

#[derive(Clone, Copy)]
enum Column {
    Name,
    TutorGroup,
    YearGroup,
    DateOfBirth,
    Upn,
}

/// Header names as schools' systems spell them, lower-cased with everything
/// but letters and digits removed.
fn column(header: &str) -> Option<Column> {
    let h: String = header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    match h.as_str() {
        "name" | "pupilname" | "studentname" | "fullname" | "pupil" | "student" => {
            Some(Column::Name)
        }
        "tutorgroup" | "form" | "formgroup" | "tutor" | "registrationgroup" | "reggroup"
        | "class" => Some(Column::TutorGroup),
        "yeargroup" | "year" | "ncyear" => Some(Column::YearGroup),
        "dateofbirth" | "dob" | "birthdate" => Some(Column::DateOfBirth),
        "upn" | "uniquepupilnumber" => Some(Column::Upn),
        _ => None,
    }
}

/// Checks every row of a pupil list; either all of them, or every problem.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImportedPupil>, Vec<RowProblem>> {
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
        Err(e) => return Err(vec![problem(1, &csv_problem(&e))]),
    };
    let mut at = [None; 5];
    for (i, h) in headers.iter().enumerate() {
        if let Some(c) = column(h) {
            at[c as usize].get_or_insert(i);
        }
    }
    let (Some(name_at), Some(group_at)) =
        (at[Column::Name as usize], at[Column::TutorGroup as usize])
    else {
        return Err(vec![problem(
            1,
            "the first line must name the columns, with at least \"Name\" and \"Tutor group\" (also \"Year group\", \"Date of birth\" and \"UPN\")",
        )]);
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(bytes, p.byte()));
                problems.push(problem(line, &csv_problem(&e)));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(bytes, p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
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
            problems.push(problem(line, &controls.join("; ")));
            continue;
        }
        let cell = |c: Column| at[c as usize].and_then(|i| record.get(i)).unwrap_or("");
        let checked = row(
            line,
            record.get(name_at).unwrap_or(""),
            record.get(group_at).unwrap_or(""),
            cell(Column::YearGroup),
            cell(Column::DateOfBirth),
            cell(Column::Upn),
        );
        match checked {
            Ok(r) => rows.push(r),
            Err(message) => problems.push(problem(line, &message)),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
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

fn row(
    line: u64,
    name: &str,
    group: &str,
    year: &str,
    dob: &str,
    upn: &str,
) -> Result<ImportedPupil, String> {
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
        let d = crate::forms::parse_date(dob);
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
    if !wrong.is_empty() {
        return Err(wrong.join("; "));
    }
    Ok(ImportedPupil {
        line,
        name: name.to_string(),
        tutor_group: group.to_string(),
        year_group,
        date_of_birth,
        upn,
    })
}

/// Applies checked rows; the caller holds the write transaction, so a
/// failure part-way leaves nothing behind.
pub fn apply(
    conn: &mut AnyConnection,
    school_id: &str,
    rows: &[ImportedPupil],
    at: NaiveDateTime,
) -> diesel::QueryResult<Summary> {
    let mut summary = Summary::default();
    for r in rows {
        match store::upsert_imported(conn, school_id, r, at)? {
            Upserted::Created => summary.created += 1,
            Upserted::Moved => summary.moved += 1,
            Upserted::Updated => summary.updated += 1,
            Upserted::Unchanged => summary.unchanged += 1,
        }
    }
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
    fn a_file_without_the_needed_columns_says_which() {
        let problems = parse(b"Pupil forename,Surname\nA,B\n").unwrap_err();
        assert_eq!(problems[0].line, 1);
        assert!(problems[0].message.contains("Tutor group"));
    }
}
