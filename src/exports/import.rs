//! Importing the old spreadsheet (PRODUCT.md "CSV for audits"): each row
//! becomes an incident through [`logging::create`], as if logged on the
//! form, with the staff initials of the file, then its status and
//! leadership acknowledgement as the file gives them and the file and line
//! it came from.
//!
//! All or nothing, in one write transaction. A dry run is the same import
//! rolled back at the end, so it finds exactly the problems the real one
//! would, and what it says would be created is what the real one creates.
//! A row already imported (the same file again, or a later copy of the
//! spreadsheet that repeats it) is skipped, by [`Row::key`].

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};

use super::store::{self, ImportRecord};
use crate::audit::{self, Event};
use crate::categories::Category;
use crate::db::dialect::{lock_school, write_transaction};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::incidents::forms::{Context, IncidentInput, NewIncident};
use crate::incidents::logging::{self, Origin, Provenance, Rejected};
use crate::incidents::model::{EventKind, Location, Status};
use crate::incidents::store::timeline::{self, Author, NewEvent};
use crate::incidents::store::write::{parse_reference, reference_of, reference_taken};
use crate::pupils::model::PupilRef;
use crate::pupils::store::{self as pupils, Resolved};
use crate::spreadsheet::columns::normalise;
use crate::spreadsheet::read::{self, key_of, parse_bool, FileError, Problem, Row};

/// The category of a row that names none.
pub const DEFAULT_CATEGORY: &str = "other";

/// The longest staff initials kept.
const MAX_INITIALS: usize = 20;

/// How an import is run, and by whom.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    pub school_id: &'a str,
    /// The file's name, kept with each incident it makes.
    pub file_name: &'a str,
    pub dry_run: bool,
    /// Who imports, for the audit trail (None from the command line).
    pub actor: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// "upload" or "command line".
    pub via: &'static str,
}

/// An incident the import makes (or, in a dry run, would make).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub line: u64,
    pub reference: String,
    /// The file's own reference was free and is kept.
    pub kept_reference: bool,
    pub pupil_name: String,
    pub tutor_group: String,
    pub new_pupil: bool,
    pub incident_date: Option<NaiveDate>,
    pub category: String,
    pub status: Status,
    pub acknowledged: bool,
}

/// Where a skipped row was seen before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Earlier {
    /// An earlier line of the same file.
    Line(u64),
    /// An earlier import, which made this incident.
    Imported(String),
    /// Already in the log under the row's own reference, the same in every
    /// spreadsheet column (a safelog export imported back where it came from).
    InLog(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repeat {
    pub line: u64,
    pub earlier: Earlier,
}

/// What an import found and did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Rows read (blank rows are not counted).
    pub rows: usize,
    /// Every problem, by line and column. Any problem: nothing is imported.
    pub problems: Vec<Problem>,
    pub created: Vec<Planned>,
    pub repeated: Vec<Repeat>,
    /// What the import decided where the file is silent.
    pub notes: Vec<String>,
    pub new_pupils: usize,
    pub dry_run: bool,
    /// The incidents are in the log (false after a dry run or a problem).
    pub imported: bool,
}

impl Report {
    /// Counts only, for people and the audit trail: never a name.
    pub fn describe(&self) -> String {
        format!(
            "rows {}; {} {}; {} already imported; {} new pupils; {} problems",
            self.rows,
            if self.imported {
                "created"
            } else {
                "would create"
            },
            self.created.len(),
            self.repeated.len(),
            self.new_pupils,
            self.problems.len()
        )
    }
}

/// Why nothing could be imported.
#[derive(Debug)]
pub enum ImportError {
    /// The file as a whole cannot be read (not CSV, columns missing).
    File(FileError),
    App(AppError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::App(e.into())
    }
}

/// Why the transaction ends without committing.
enum Stop {
    /// A dry run, or problems: the report says what was found.
    RollBack(Box<Report>),
    App(AppError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::App(e.into())
    }
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::App(e)
    }
}

/// Imports `bytes`, or checks them in a dry run. `progress` is told each
/// row as it is reached, with the number of rows. Every import, dry run and
/// refusal is written to the audit trail.
pub fn run(
    conn: &mut AnyConnection,
    bytes: &[u8],
    opts: &Options<'_>,
    now: NaiveDateTime,
    today: NaiveDate,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, ImportError> {
    let sheet = match read::read(bytes, today) {
        Ok(sheet) => sheet,
        Err(e) => {
            trail(conn, opts, "log_import_refused", "file unreadable", now)?;
            return Err(ImportError::File(e));
        }
    };
    let outcome = write_transaction(conn, |conn| {
        lock_school(conn, opts.school_id)?;
        let report = apply(conn, &sheet, opts, now, today, progress)?;
        if opts.dry_run || !report.problems.is_empty() {
            return Err(Stop::RollBack(Box::new(report)));
        }
        let mut report = report;
        report.imported = true;
        trail(conn, opts, "log_imported", &report.describe(), now)?;
        Ok(report)
    });
    match outcome {
        Ok(report) => Ok(report),
        Err(Stop::App(e)) => Err(ImportError::App(e)),
        Err(Stop::RollBack(report)) => {
            let action = if report.problems.is_empty() {
                "log_import_checked"
            } else {
                "log_import_refused"
            };
            let what = if opts.dry_run {
                format!("dry run; {}", report.describe())
            } else {
                report.describe()
            };
            trail(conn, opts, action, &what, now)?;
            Ok(*report)
        }
    }
}

fn trail(
    conn: &mut AnyConnection,
    opts: &Options<'_>,
    action: &'static str,
    what: &str,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let mut event = Event::new(action, now)
        .school(opts.school_id)
        .ip(opts.ip)
        .detail(format!("{what}; via {}", opts.via));
    event.actor_id = opts.actor.map(str::to_string);
    audit::store::insert(conn, &event)
}

/// The spreadsheet column a field of the log form corresponds to.
fn column_of(field: &str) -> &'static str {
    match field {
        "pupil_name" => "Student Name",
        "tutor_group" => "Tutor Group",
        "incident_date" => "Incident Date",
        "details" => "Incident Details",
        "actions_outcome" => "Actions and Outcome",
        "category" => "Category",
        "location" => "Where",
        "platform" => "Platform",
        _ => "",
    }
}

/// A value named by its code (`in_progress`) or its label ("In progress").
fn by_code_or_label<T: Copy>(
    value: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Option<T> {
    let v = normalise(value);
    all.iter()
        .copied()
        .find(|x| v == code(*x) || v == normalise(label(*x)) || v.replace(' ', "_") == code(*x))
}

/// The school's category a cell names, by code or by name.
fn category_named<'c>(cats: &'c [Category], value: &str) -> Option<&'c Category> {
    let v = normalise(value);
    cats.iter()
        .find(|c| c.code.eq_ignore_ascii_case(value.trim()) || normalise(&c.name) == v)
}

/// safelog's own columns, where the file has them, checked.
struct Extras {
    category: Option<String>,
    status: Status,
    child_at_risk: bool,
    location: Location,
    platform: String,
    reference: Option<String>,
}

fn extras(row: &Row, cats: &[Category], problems: &mut Vec<Problem>) -> Extras {
    let mut problem = |column: &str, message: String| {
        problems.push(Problem {
            line: row.line,
            column: column.to_string(),
            message,
        })
    };
    let category = row.extra("Category").and_then(|v| match category_named(cats, v) {
        Some(c) if c.active => Some(c.code.clone()),
        Some(_) => {
            problem(
                "Category",
                format!("'{v}' is no longer in use at this school: choose another category"),
            );
            None
        }
        None => {
            problem(
                "Category",
                format!(
                    "'{v}' is not one of the school's categories: give its code (e.g. online-bullying) or its name"
                ),
            );
            None
        }
    });
    let status = row.extra("Status").map_or(Status::New, |v| {
        by_code_or_label(v, &Status::ALL, Status::as_str, Status::label).unwrap_or_else(|| {
            problem(
                "Status",
                format!("'{v}' is not a status: use new, in progress, escalated or closed"),
            );
            Status::New
        })
    });
    let child_at_risk = row.extra("Child at Risk").is_some_and(|v| {
        parse_bool(v).unwrap_or_else(|| {
            problem(
                "Child at Risk",
                format!("'{v}' is not TRUE or FALSE (or yes or no)"),
            );
            false
        })
    });
    let location = row.extra("Where").map_or(Location::Unknown, |v| {
        by_code_or_label(v, &Location::ALL, Location::as_str, Location::label).unwrap_or_else(
            || {
                problem(
                    "Where",
                    format!(
                        "'{v}' is not a place: use in school, outside school, online at home or not known"
                    ),
                );
                Location::Unknown
            },
        )
    });
    Extras {
        category,
        status,
        child_at_risk,
        location,
        platform: row.extra("Platform").unwrap_or("").to_string(),
        reference: row.extra("Reference").map(|r| r.trim().to_uppercase()),
    }
}

/// Whether the school's incident with this reference is, in the
/// spreadsheet's columns as the export writes them, the row with `key`.
fn same_in_log(
    conn: &mut AnyConnection,
    school: &str,
    reference: &str,
    key: &str,
    lookups: &mut store::Lookups,
) -> Result<bool, diesel::result::Error> {
    let Some(incident) = store::by_reference(conn, school, reference)? else {
        return Ok(false);
    };
    let date = incident.incident_date;
    let Some(item) = store::hydrate(conn, school, vec![incident], lookups)?.pop() else {
        return Ok(false);
    };
    let c = super::export::cells(&item);
    Ok(key_of(&c[0], &c[1], date, &c[3], &c[4], &c[5]) == key)
}

fn apply(
    conn: &mut AnyConnection,
    sheet: &read::Sheet,
    opts: &Options<'_>,
    now: NaiveDateTime,
    today: NaiveDate,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, Stop> {
    let school = opts.school_id;
    let cats = crate::categories::store::for_school(conn, school, now)?;
    let fallback = cats
        .iter()
        .find(|c| c.code == DEFAULT_CATEGORY && c.active)
        .cloned();
    let mut report = Report {
        rows: sheet.rows.len(),
        problems: sheet.problems.clone(),
        dry_run: opts.dry_run,
        ..Report::default()
    };
    let has_category_column = sheet
        .rows
        .first()
        .is_some_and(|r| r.extra.contains_key(&normalise("Category")));
    let mut defaulted = 0usize;
    // The columns the reader already found wrong, by line.
    let mut read_problems: HashMap<u64, HashSet<String>> = HashMap::new();
    for p in &sheet.problems {
        read_problems
            .entry(p.line)
            .or_default()
            .insert(p.column.clone());
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut lookups = store::Lookups::default();
    let mut new_pupils: HashSet<String> = HashSet::new();
    let total = sheet.rows.len();

    for (n, row) in sheet.rows.iter().enumerate() {
        progress(n + 1, total);
        let mut problems = Vec::new();
        let extra = extras(row, &cats, &mut problems);
        let category = match (&extra.category, row.extra("Category"), &fallback) {
            (Some(code), _, _) => Some(code.clone()),
            // Named, but not found: already a problem.
            (None, Some(_), _) => None,
            (None, None, Some(other)) => {
                defaulted += 1;
                Some(other.code.clone())
            }
            (None, None, None) => {
                problems.push(Problem {
                    line: row.line,
                    column: "Category".into(),
                    message: format!(
                        "the school has no '{DEFAULT_CATEGORY}' category in use to file this under: add a Category column"
                    ),
                });
                None
            }
        };
        if row.staff_initials.chars().count() > MAX_INITIALS {
            problems.push(Problem {
                line: row.line,
                column: "Staff Initials".into(),
                message: format!("longer than {MAX_INITIALS} characters"),
            });
        }
        let input = IncidentInput {
            pupil_name: row.student_name.clone(),
            tutor_group: row.tutor_group.clone(),
            incident_date: row
                .incident_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            date_not_known: row.incident_date.is_none(),
            category: category.clone().unwrap_or_default(),
            child_at_risk: extra.child_at_risk,
            details: row.details.clone(),
            actions_outcome: row.actions_outcome.clone(),
            location: extra.location.as_str().to_string(),
            platform: extra.platform.clone(),
            ..IncidentInput::default()
        };
        let ctx = Context {
            today,
            categories: &cats,
            current_category: None,
        };
        let parsed = NewIncident::parse(&input, &ctx);
        if let Err(errors) = &parsed {
            for (field, message) in errors.iter() {
                problems.push(Problem {
                    line: row.line,
                    column: column_of(field).to_string(),
                    message: message.trim_end_matches('.').to_string(),
                });
            }
        }
        // A cell the reader already found wrong is reported once, in its words.
        let mut columns = read_problems.remove(&row.line).unwrap_or_default();
        for p in problems {
            if columns.insert(p.column.clone()) {
                report.problems.push(p);
            }
        }
        let (Ok(mut new), Some(_), true) = (parsed, category, columns.is_empty()) else {
            continue;
        };

        let key = row.key();
        if let Some(first) = seen.get(&key) {
            report.repeated.push(Repeat {
                line: row.line,
                earlier: Earlier::Line(*first),
            });
            continue;
        }
        seen.insert(key.clone(), row.line);
        if let Some(reference) = store::imported_before(conn, school, &key)? {
            report.repeated.push(Repeat {
                line: row.line,
                earlier: Earlier::Imported(reference),
            });
            continue;
        }
        if let Some(reference) = &extra.reference {
            if same_in_log(conn, school, reference, &key, &mut lookups)? {
                report.repeated.push(Repeat {
                    line: row.line,
                    earlier: Earlier::InLog(reference.clone()),
                });
                continue;
            }
        }

        let wanted = PupilRef {
            id: None,
            name: row.student_name.clone(),
            tutor_group: Some(row.tutor_group.clone()),
        };
        let (pupil, created_pupil) = match pupils::resolve(conn, school, &wanted, now)? {
            Resolved::Found(p) => (p, false),
            Resolved::Created(p) => (p, true),
            Resolved::Ambiguous(count) => {
                report.problems.push(Problem {
                    line: row.line,
                    column: "Student Name".into(),
                    message: format!(
                        "{count} pupils of the school have this name and the tutor group does not tell which: correct the name or the tutor group to match one of them"
                    ),
                });
                continue;
            }
        };
        let new_pupil = created_pupil || new_pupils.contains(&pupil.id);
        if created_pupil {
            new_pupils.insert(pupil.id.clone());
        }
        new.fields.pupil.id = Some(pupil.id.clone());

        let kept = match &extra.reference {
            Some(r) if parse_reference(r).is_some() => !reference_taken(conn, school, r)?,
            _ => false,
        };
        let note = format!("Imported from {}, line {}", opts.file_name, row.line);
        let author = Author {
            user_id: None,
            initials: row.staff_initials.clone(),
        };
        let origin = Origin {
            ip: opts.ip,
            via: "import",
        };
        let provenance = Provenance {
            reference: extra.reference.as_deref().filter(|_| kept),
            note: Some(&note),
        };
        let id = match logging::create(conn, school, &author, &new, &origin, &provenance, now) {
            Ok(id) => id,
            Err(Rejected::Invalid(errors)) => {
                for (field, message) in errors.iter() {
                    report.problems.push(Problem {
                        line: row.line,
                        column: column_of(field).to_string(),
                        message: message.trim_end_matches('.').to_string(),
                    });
                }
                continue;
            }
            Err(Rejected::App(e)) => return Err(Stop::App(e)),
            Err(Rejected::Stale(_)) => {
                return Err(Stop::App(AppError::internal(
                    "stale incident during import",
                )))
            }
        };
        if extra.status != Status::New {
            let version = store::set_imported_status(
                conn,
                &id,
                extra.status.as_str(),
                extra.status == Status::Closed,
                now,
            )?;
            timeline::append(
                conn,
                &NewEvent::new(EventKind::StatusChange, &id, school, version, &author, now)
                    .change("status", Status::New.as_str(), extra.status.as_str())
                    .text("Status as given in the imported file")
                    .for_reporter(true),
            )?;
        }
        if row.lg_acknowledged {
            let version = store::set_imported_acknowledgement(conn, &id, now)?;
            let leadership = Author {
                user_id: None,
                initials: "LG".into(),
            };
            let said = format!(
                "LG Acknowledged was TRUE in the imported spreadsheet ({}, line {}). Who acknowledged it, and when, the spreadsheet does not say; the time shown is the import's.",
                opts.file_name, row.line
            );
            timeline::append(
                conn,
                &NewEvent::new(
                    EventKind::Acknowledgement,
                    &id,
                    school,
                    version,
                    &leadership,
                    now,
                )
                .text(&said),
            )?;
        }
        store::record_import(
            conn,
            &ImportRecord {
                incident_id: &id,
                school_id: school,
                file: opts.file_name,
                line: i32::try_from(row.line).unwrap_or(i32::MAX),
                key: &key,
            },
            now,
        )?;
        let reference = if kept {
            extra.reference.clone().unwrap_or_default()
        } else {
            reference_of(conn, &id)?
        };
        report.created.push(Planned {
            line: row.line,
            reference,
            kept_reference: kept,
            pupil_name: pupil.name.clone(),
            tutor_group: row.tutor_group.clone(),
            new_pupil,
            incident_date: row.incident_date,
            category: cats
                .iter()
                .find(|c| c.code == new.fields.category_code)
                .map_or_else(|| new.fields.category_code.clone(), |c| c.name.clone()),
            status: extra.status,
            acknowledged: row.lg_acknowledged,
        });
    }
    report.new_pupils = new_pupils.len();
    report.problems.sort_by_key(|p| p.line);
    if let Some(other) = &fallback {
        if !has_category_column && total > 0 {
            report.notes.push(format!(
                "The file has no Category column, so every incident is filed under \u{201c}{}\u{201d} ({}). Change each one's category on its record afterwards, or add a Category column to the file (a code such as online-bullying, or a name) and check it again.",
                other.name, other.code
            ));
        } else if defaulted > 0 {
            report.notes.push(format!(
                "{defaulted} row(s) have no category, so they are filed under \u{201c}{}\u{201d} ({}).",
                other.name, other.code
            ));
        }
    }
    if report.created.iter().any(|p| p.acknowledged) {
        report.notes.push(
            "\u{201c}LG Acknowledged\u{201d} TRUE is recorded as an acknowledgement by leadership at the time of the import: the spreadsheet does not say who acknowledged it or when.".into(),
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_places_are_read_by_code_or_by_label() {
        let status = |v| by_code_or_label(v, &Status::ALL, Status::as_str, Status::label);
        assert_eq!(status("In progress"), Some(Status::InProgress));
        assert_eq!(status("in_progress"), Some(Status::InProgress));
        assert_eq!(status(" CLOSED "), Some(Status::Closed));
        assert_eq!(status("done"), None);
        let place = |v| by_code_or_label(v, &Location::ALL, Location::as_str, Location::label);
        assert_eq!(place("Online at home"), Some(Location::OnlineAtHome));
        assert_eq!(place("not known"), Some(Location::Unknown));
        assert_eq!(place("outside_school"), Some(Location::OutsideSchool));
    }
}
