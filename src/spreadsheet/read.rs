//! Reading the old spreadsheet: the seven columns in any order (header case
//! and spaces ignored), dates as dd/mm/yyyy, ISO or blank, TRUE/FALSE or
//! yes/no, UTF-8 with or without a byte-order mark, CRLF or LF, line breaks
//! inside quoted cells. Every problem is reported by line and column; the
//! caller decides whether anything is written. Read a row at a time
//! ([`Rows`]), so a file of any length takes the same memory.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{Datelike, NaiveDate};

use super::columns::{normalise, SAFELOG, SPREADSHEET};

/// Each text cell may hold at most this many characters, as in the form.
pub const MAX_CHARS: usize = 20_000;

/// One row of the spreadsheet, read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The line of the file the row starts on (a quoted cell can span lines).
    pub line: u64,
    pub student_name: String,
    pub tutor_group: String,
    pub incident_date: Option<NaiveDate>,
    pub details: String,
    pub actions_outcome: String,
    pub staff_initials: String,
    pub lg_acknowledged: bool,
    /// safelog's own columns, when the file has them, by normalised header.
    pub extra: BTreeMap<String, String>,
}

impl Row {
    /// What makes a row the same row in a later copy of the spreadsheet:
    /// its cells but LG Acknowledged (which a later copy may have turned
    /// TRUE), with spacing and case of the free text ignored.
    pub fn key(&self) -> String {
        key_of(
            &self.student_name,
            &self.tutor_group,
            self.incident_date,
            &self.details,
            &self.actions_outcome,
            &self.staff_initials,
        )
    }

    pub fn extra(&self, header: &str) -> Option<&str> {
        self.extra
            .get(&normalise(header))
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// [`Row::key`] of a row with these cells (an incident as exported, say).
pub fn key_of(
    student_name: &str,
    tutor_group: &str,
    incident_date: Option<NaiveDate>,
    details: &str,
    actions_outcome: &str,
    staff_initials: &str,
) -> String {
    let squash = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let parts = [
        squash(student_name),
        squash(tutor_group),
        incident_date.map(|d| d.to_string()).unwrap_or_default(),
        squash(details),
        squash(actions_outcome),
        squash(staff_initials),
    ];
    crate::auth::tokens::digest(&parts.join("\u{1f}"))
}

/// A problem with one cell or row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// Why the file as a whole cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is not UTF-8 text: save it from the spreadsheet as \"CSV UTF-8\"")]
    NotUtf8,
    #[error("the file is empty: it needs a header row with the columns {}", SPREADSHEET.join(", "))]
    Empty,
    #[error("the header row lacks the column(s) {}: the file needs {}", .0.join(", "), SPREADSHEET.join(", "))]
    MissingColumns(Vec<String>),
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
}

#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
}

/// The whole file at once: for a file small enough to hold (a test, a
/// page's upload); the import streams it with [`Rows`].
pub fn read(bytes: &[u8], today: NaiveDate) -> Result<Sheet, FileError> {
    let mut rows = Rows::new(bytes, today)?;
    let mut sheet = Sheet::default();
    while let Some(next) = rows.next_row() {
        let (row, problems) = next?;
        sheet.problems.extend(problems);
        sheet.rows.push(row);
    }
    Ok(sheet)
}

/// The file's bytes as the csv reader is given them: without a leading
/// byte-order mark, and with each CRLF as LF (the csv reader reports the
/// line before the real one for rows after a CRLF; line breaks inside
/// cells become plain \n either way). A lone CR is kept. Counts the bytes
/// taken from the file, for progress.
struct Plain<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// A CR ended the last chunk: whether it is half of a CRLF is not yet known.
    held_cr: bool,
    first: bool,
    eof: bool,
    consumed: u64,
}

impl<R: Read> Plain<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            held_cr: false,
            first: true,
            eof: false,
            consumed: 0,
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        self.start = 0;
        self.end = 0;
        // At the start, enough bytes to know whether a byte-order mark is there.
        while !self.eof && (self.end == 0 || (self.first && self.end < 3)) {
            let n = self.inner.read(&mut self.buf[self.end..])?;
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
            self.consumed += n as u64;
        }
        if self.first {
            self.first = false;
            if self.buf[..self.end].starts_with(b"\xef\xbb\xbf") {
                self.start = 3;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Plain<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            if self.start == self.end {
                if written > 0 {
                    break;
                }
                self.fill()?;
                if self.start == self.end {
                    if self.held_cr {
                        self.held_cr = false;
                        out[written] = b'\r';
                        written += 1;
                    }
                    break;
                }
            }
            let b = self.buf[self.start];
            if self.held_cr {
                self.held_cr = false;
                if b != b'\n' {
                    out[written] = b'\r';
                    written += 1;
                    continue;
                }
            }
            self.start += 1;
            if b == b'\r' {
                self.held_cr = true;
                continue;
            }
            out[written] = b;
            written += 1;
        }
        Ok(written)
    }
}

/// The rows of a file, read and checked one at a time: nothing of the
/// file is held but the row at hand.
pub struct Rows<R> {
    reader: csv::Reader<Plain<R>>,
    record: csv::StringRecord,
    raw_headers: Vec<String>,
    headers: Vec<String>,
    seven: [usize; 7],
    extras: Vec<(usize, String)>,
    today: NaiveDate,
}

fn csv_error(e: &csv::Error, line: u64) -> FileError {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => FileError::NotUtf8,
        _ => FileError::Csv {
            line: e.position().map_or(line, |p| p.line()),
            message: e.to_string(),
        },
    }
}

impl<R: Read> Rows<R> {
    /// Reads the header row; the file is refused here if it lacks one of
    /// the seven columns.
    pub fn new(input: R, today: NaiveDate) -> Result<Self, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(Plain::new(input));
        let raw_headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&e, 1))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let headers: Vec<String> = raw_headers.iter().map(|h| normalise(h)).collect();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(FileError::Empty);
        }
        let position = |name: &str| headers.iter().position(|h| *h == normalise(name));
        let missing: Vec<String> = SPREADSHEET
            .iter()
            .filter(|c| position(c).is_none())
            .map(|c| c.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns(missing));
        }
        let mut seven = [0; 7];
        for (i, c) in SPREADSHEET.iter().enumerate() {
            seven[i] = position(c).unwrap_or_default();
        }
        let extras: Vec<(usize, String)> = SAFELOG
            .iter()
            .filter_map(|c| position(c).map(|i| (i, normalise(c))))
            .collect();
        Ok(Self {
            reader,
            record: csv::StringRecord::new(),
            raw_headers,
            headers,
            seven,
            extras,
            today,
        })
    }

    /// Whether the header row has this column.
    pub fn has_column(&self, name: &str) -> bool {
        self.headers.contains(&normalise(name))
    }

    /// The bytes of the file read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().consumed
    }

    /// The next row that is not blank, with the problems found in its cells.
    pub fn next_row(&mut self) -> Option<Result<(Row, Vec<Problem>), FileError>> {
        loop {
            let before = self.reader.position().line();
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Err(e) => return Some(Err(csv_error(&e, before))),
                Ok(true) => {}
            }
            if self.record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Some(Ok(self.checked()));
        }
    }

    fn checked(&self) -> (Row, Vec<Problem>) {
        let record = &self.record;
        let headers = &self.headers;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| unprefixed(record.get(i).unwrap_or("").trim()).to_string();
        let mut problems = Vec::new();
        let mut problem = |column: &str, message: String| {
            problems.push(Problem {
                line,
                column: column.to_string(),
                message,
            })
        };
        // Checked here, for every column, so that a NUL or another control
        // character in a column the import does not parse is found too.
        for (i, value) in record.iter().enumerate() {
            if let Some(code) = crate::plain_text::first_refused(value, true) {
                let known = SPREADSHEET
                    .iter()
                    .chain(SAFELOG.iter())
                    .find(|c| headers.get(i) == Some(&normalise(c)));
                let column = match (known, self.raw_headers.get(i)) {
                    (Some(c), _) => c.to_string(),
                    (None, Some(h)) if crate::plain_text::first_refused(h, false).is_none() => {
                        h.clone()
                    }
                    _ => format!("column {}", i + 1),
                };
                problem(
                    &column,
                    format!("holds an invisible control character ({code}): remove it and save the file again"),
                );
            }
        }
        let [name_i, group_i, date_i, details_i, actions_i, initials_i, ack_i] = self.seven;
        let student_name = cell(name_i);
        let tutor_group = cell(group_i);
        let details = cell(details_i);
        if student_name.is_empty() {
            problem("Student Name", "the pupil's name is missing".into());
        }
        if tutor_group.is_empty() {
            problem("Tutor Group", "the tutor group is missing".into());
        }
        if details.is_empty() {
            problem("Incident Details", "the details are missing".into());
        }
        for (i, column) in [
            (name_i, 0),
            (group_i, 1),
            (details_i, 3),
            (actions_i, 4),
            (initials_i, 5),
        ] {
            if cell(i).chars().count() > MAX_CHARS {
                problem(
                    SPREADSHEET[column],
                    format!("longer than {MAX_CHARS} characters"),
                );
            }
        }
        let incident_date = match parse_date(&cell(date_i), self.today) {
            Ok(d) => d,
            Err(message) => {
                problem("Incident Date", message);
                None
            }
        };
        let lg_acknowledged = match parse_bool(&cell(ack_i)) {
            Some(b) => b,
            None => {
                problem(
                    "LG Acknowledged",
                    format!("'{}' is not TRUE or FALSE (or yes or no)", cell(ack_i)),
                );
                false
            }
        };
        let row = Row {
            line,
            student_name,
            tutor_group,
            incident_date,
            details,
            actions_outcome: cell(actions_i),
            staff_initials: cell(initials_i),
            lg_acknowledged,
            extra: self
                .extras
                .iter()
                .map(|(i, h)| (h.clone(), cell(*i)))
                .collect(),
        };
        (row, problems)
    }
}

/// dd/mm/yyyy (or with - or .), yyyy-mm-dd, or blank for "not known".
/// Which dates exist is [`crate::forms::parse_date`]'s call, as on the log
/// form; this adds why a date was refused, in words a school can act on.
pub fn parse_date(value: &str, today: NaiveDate) -> Result<Option<NaiveDate>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let Some(date) = crate::forms::parse_date(v) else {
        return Err(why_not_a_date(v));
    };
    if date.year() < 2000 {
        return Err(format!("'{v}' is before 2000"));
    }
    if date > today {
        return Err(format!("'{v}' is in the future"));
    }
    Ok(Some(date))
}

/// Why [`crate::forms::parse_date`] refused `v`.
fn why_not_a_date(v: &str) -> String {
    let parts: Vec<&str> = v.split(['/', '-', '.']).map(str::trim).collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    match parts.as_slice() {
        [first, middle, last] if numeric && (first.len() == 4 || last.len() == 4) => {
            let n = |s: &str| s.parse::<u32>().unwrap_or(0);
            let (y, m, d) = if first.len() == 4 {
                (first, middle, last)
            } else {
                (last, middle, first)
            };
            let exists = i32::try_from(n(y))
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, n(m), n(d)))
                .is_some();
            if exists {
                format!("'{v}' is not written as dd/mm/yyyy or yyyy-mm-dd")
            } else {
                format!("'{v}' is not a date that exists")
            }
        }
        [_, _, _] if numeric => format!("'{v}' needs a four-digit year: write it as dd/mm/yyyy"),
        _ => format!("'{v}' is not a date: write it as dd/mm/yyyy, yyyy-mm-dd or leave it blank"),
    }
}

/// A cell as safelog exported it: the `'` that kept a spreadsheet from
/// running it as a formula is taken off again (the export puts it back).
fn unprefixed(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if super::cells::starts_formula(rest) => rest,
        _ => cell,
    }
}

pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" | "" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, 12).unwrap()
    }

    #[test]
    fn the_policy_example_reads_as_three_rows_one_undated() {
        let bytes = include_bytes!("../../tests/data/example-online-safety-log.csv");
        let sheet = read(bytes, today()).unwrap();
        assert!(sheet.problems.is_empty(), "{:?}", sheet.problems);
        assert_eq!(sheet.rows.len(), 3);
        assert_eq!(sheet.rows[0].student_name, "Joe Briggs");
        assert_eq!(
            sheet.rows[0].incident_date,
            NaiveDate::from_ymd_opt(2020, 5, 5)
        );
        assert_eq!(sheet.rows[1].incident_date, None);
        assert!(sheet.rows[1].details.contains("\"TS44abcdHydroChalange\""));
        assert_eq!(sheet.rows[2].line, 4);
        assert!(sheet.rows.iter().all(|r| r.lg_acknowledged));
    }

    #[test]
    fn columns_in_any_order_with_bom_crlf_and_line_breaks_in_quotes() {
        let text = "\u{feff}  lg acknowledged ,INCIDENT DETAILS,Student Name,Tutor Group,Incident Date,Staff Initials,Actions and Outcome,Category\r\n\
                    yes,\"two\r\nlines\",Zoë Ó Sé,9B,2024-03-01,ABC,,online-bullying\r\n\
                    no,x,Łukasz,10T,01/02/2024,,,\r\n";
        let sheet = read(text.as_bytes(), today()).unwrap();
        assert!(sheet.problems.is_empty(), "{:?}", sheet.problems);
        assert_eq!(sheet.rows[0].student_name, "Zoë Ó Sé");
        assert_eq!(sheet.rows[0].details, "two\nlines");
        assert!(sheet.rows[0].lg_acknowledged);
        assert_eq!(sheet.rows[0].extra("category"), Some("online-bullying"));
        assert_eq!(
            sheet.rows[1].line, 4,
            "the quoted line break moves the next row down"
        );
        assert_eq!(
            sheet.rows[1].incident_date,
            NaiveDate::from_ymd_opt(2024, 2, 1)
        );
    }

    #[test]
    fn every_bad_cell_is_reported_by_line_and_column() {
        let text = "Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged\n\
                    ,8A,31/02/2021,something,,,maybe\n\
                    Amy,8A,01/01/2030,,,,\n";
        let sheet = read(text.as_bytes(), today()).unwrap();
        let found: Vec<(u64, &str)> = sheet
            .problems
            .iter()
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, "Student Name"),
                (2, "Incident Date"),
                (2, "LG Acknowledged"),
                (3, "Incident Details"),
                (3, "Incident Date")
            ]
        );
        assert!(sheet.problems[1].message.contains("31/02/2021"));
    }

    #[test]
    fn a_refused_date_says_why() {
        let why = |v: &str| parse_date(v, today()).unwrap_err();
        assert!(why("31/02/2021").contains("not a date that exists"));
        assert!(why("2021-02-31").contains("not a date that exists"));
        assert!(why("05/05/20").contains("four-digit year"));
        assert!(why("2020/05/05").contains("dd/mm/yyyy or yyyy-mm-dd"));
        assert!(why("next Tuesday").contains("not a date"));
        assert!(why("01/01/1999").contains("before 2000"));
        assert!(why("13/11/2025").contains("future"));
        assert_eq!(
            parse_date(" 5/5/2020 ", today()),
            Ok(NaiveDate::from_ymd_opt(2020, 5, 5))
        );
        assert_eq!(parse_date("", today()), Ok(None));
    }

    #[test]
    fn the_quote_that_defused_a_formula_is_taken_off_again() {
        let text = "Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged\n\
                    Amy,8A,,'=HYPERLINK(\"x\"),'-1,'plain,\n";
        let row = &read(text.as_bytes(), today()).unwrap().rows[0];
        assert_eq!(row.details, "=HYPERLINK(\"x\")");
        assert_eq!(row.actions_outcome, "-1");
        assert_eq!(row.staff_initials, "'plain");
    }

    #[test]
    fn a_file_without_the_columns_says_which_are_missing() {
        let err = read(b"Name,Date\nx,y\n", today()).unwrap_err();
        assert!(err.to_string().contains("Student Name"), "{err}");
        assert_eq!(
            read(&[0xff, 0xfe, 0x00], today()).unwrap_err(),
            FileError::NotUtf8
        );
    }

    #[test]
    fn the_same_row_has_the_same_key_whatever_its_spacing() {
        let a = "Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged\nJoe,8A,05/05/2020,Some  words,,MAL,TRUE\n";
        let b = "Incident Date,Student Name,Tutor Group,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged\n2020-05-05,joe ,8A,Some words,,MAL,FALSE\n";
        let ka = read(a.as_bytes(), today()).unwrap().rows[0].key();
        let kb = read(b.as_bytes(), today()).unwrap().rows[0].key();
        assert_eq!(ka, kb);
    }
}
