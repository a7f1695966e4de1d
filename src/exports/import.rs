//! Importing the old spreadsheet (PRODUCT.md "CSV for audits"): each row
//! becomes an incident through [`logging::create`], as if logged on the
//! form, with the staff initials of the file, then its status and
//! leadership acknowledgement as the file gives them and the file and line
//! it came from.
//!
//! A row is history, not a new case: unless the file gives it a status (a
//! Status column, as safelog's own export has), it arrives closed at the
//! time of the import, with the outcome [`HISTORY_OUTCOME`] and the row's
//! own Actions and Outcome. Like every imported row it alerts no one, and
//! being closed it waits in no lead's queue, has no pick-up reminder and is
//! not open at the end of any term.
//!
//! Two passes over the file through one function, [`apply`]. The first
//! plans with reads only (no write lock, nothing written): it checks every
//! row, matches pupils and works out the references the import would give.
//! A dry run is that pass alone, so a large file checked by the DSL keeps
//! no one from logging. A real import runs it too, and a file with any
//! problem is refused before anything is locked; only a clean file gets
//! the second pass, which writes it all in one write transaction (all or
//! nothing, and a crash part-way leaves nothing half imported). The write
//! pass checks again as it goes, and anything the log gained meanwhile
//! that would make a row wrong rolls the whole file back with the problem.
//! A row already imported (the same file again, or a later copy of the
//! spreadsheet that repeats it) is skipped, by [`Row::key`].

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::store::{self, ImportRecord, ImportedStatus};
use crate::audit::{self, Event};
use crate::categories::Category;
use crate::db::dialect::{lock_school, read_snapshot, write_transaction};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::incidents::forms::{Context, IncidentInput, NewIncident};
use crate::incidents::logging::{self, Origin, Provenance, Rejected};
use crate::incidents::model::{EventKind, Location, Status};
use crate::incidents::store::timeline::{self, Author, NewEvent};
use crate::incidents::store::write::{parse_reference, reference_of, reference_taken};
use crate::pupils::model::{name_key, PupilRef};
use crate::pupils::store::{self as pupils, Resolved};
use crate::spreadsheet::columns::normalise;
use crate::spreadsheet::read::{self, key_of, parse_bool, FileError, Problem, Row};

/// The category of a row that names none.
pub const DEFAULT_CATEGORY: &str = "other";

/// The longest staff initials kept.
const MAX_INITIALS: usize = 20;

/// How the outcome of an imported row closed as history begins. The
/// migration `2026-12-02-000020_imported_history` writes the same words.
pub const HISTORY_OUTCOME: &str = "Imported from the school's earlier log.";

/// Why the timeline says an imported row arrived closed.
pub const HISTORY_REASON: &str = "imported from the school's earlier log, so it arrives as closed history (it alerts no one and waits in no queue)";

/// Who the timeline says closed a row as history: the import itself, not
/// the member of staff whose initials the row carries.
pub const HISTORY_BY: &str = "safelog";

/// The outcome of an imported row closed as history. A DSL reading the
/// record sees where the case ended and, since the spreadsheet knew no
/// more, what it said had been done, marked as the old log's words so it
/// is not taken for a step taken here.
pub fn history_outcome(actions: &str) -> String {
    match actions.trim() {
        "" => HISTORY_OUTCOME.to_string(),
        said => format!("{HISTORY_OUTCOME}\nActions and Outcome in that log: {said}"),
    }
}

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
    /// Closed as history: the file gives it no status.
    pub history: bool,
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

    /// How the incidents arrive, in a sentence or two each: as closed
    /// history, or with the status the file gives them. Said before an
    /// import (a dry run) and after it.
    pub fn arrival(&self) -> Vec<String> {
        let will = !self.imported;
        let history = self.created.iter().filter(|p| p.history).count();
        let given = self.created.len() - history;
        let any_open = self
            .created
            .iter()
            .any(|p| !p.history && p.status != Status::Closed);
        let mut said = Vec::new();
        if history > 0 {
            let (one, they, alert, wait) = if history == 1 {
                ("incident", "it", "alerts", "waits")
            } else {
                ("incidents", "they", "alert", "wait")
            };
            let added = match (will, history) {
                (true, _) => "will be added",
                (false, 1) => "was added",
                (false, _) => "were added",
            };
            said.push(format!(
                "{history} {one} {added} as closed history: {they} {alert} no one and {wait} in no queue. \
                 Each is closed with the outcome \u{201c}{HISTORY_OUTCOME}\u{201d} followed by its own Actions and Outcome.{}",
                if will {
                    " A Status column in the file would give each row its own status instead."
                } else {
                    ""
                }
            ));
        }
        if given > 0 {
            let (one, it) = if given == 1 {
                ("incident", "it")
            } else {
                ("incidents", "them")
            };
            said.push(format!(
                "{given} {one} {} the status the file's Status column gives {it}.{}",
                if will { "will keep" } else { "kept" },
                if any_open {
                    " Any that are open wait in their owner's queue."
                } else {
                    ""
                }
            ));
        }
        said
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
    // Seeding a new school's categories is a write: done before the
    // read-only pass, in its own short transaction.
    let cats = crate::categories::store::for_school(conn, opts.school_id, now)?;
    let input = Input {
        sheet: &sheet,
        cats: &cats,
        now,
        today,
    };
    let planned = read_snapshot(conn, |conn| apply(conn, &input, opts, Pass::Plan, progress));
    let planned = match planned {
        Ok(report) => report,
        Err(Stop::App(e)) => return Err(ImportError::App(e)),
        Err(Stop::RollBack(report)) => *report,
    };
    if opts.dry_run || !planned.problems.is_empty() {
        return refused_or_checked(conn, opts, planned, now);
    }
    let outcome = write_transaction(conn, |conn| {
        lock_school(conn, opts.school_id)?;
        let mut report = apply(conn, &input, opts, Pass::Write, progress)?;
        if !report.problems.is_empty() {
            return Err(Stop::RollBack(Box::new(report)));
        }
        report.imported = true;
        trail(conn, opts, "log_imported", &report.describe(), now)?;
        Ok(report)
    });
    match outcome {
        Ok(report) => Ok(report),
        Err(Stop::App(e)) => Err(ImportError::App(e)),
        Err(Stop::RollBack(report)) => refused_or_checked(conn, opts, *report, now),
    }
}

/// Records a dry run, or a file refused for its problems, and returns what
/// was found.
fn refused_or_checked(
    conn: &mut AnyConnection,
    opts: &Options<'_>,
    report: Report,
    now: NaiveDateTime,
) -> Result<Report, ImportError> {
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
    Ok(report)
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

/// A category's name, as a person reads it in the report.
fn category_name(cats: &[Category], code: &str) -> String {
    cats.iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_string(), |c| c.name.clone())
}

/// safelog's own columns, where the file has them, checked.
struct Extras {
    category: Option<String>,
    /// None when the row gives no status: it arrives as closed history.
    status: Option<Status>,
    /// The Outcome and Closed At of a closed case (a safelog export's).
    outcome: Option<String>,
    closed_at: Option<NaiveDateTime>,
    child_at_risk: bool,
    location: Location,
    platform: String,
    reference: Option<String>,
}

fn extras(row: &Row, cats: &[Category], now: NaiveDateTime, problems: &mut Vec<Problem>) -> Extras {
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
    let status = row.extra("Status").map(|v| {
        by_code_or_label(v, &Status::ALL, Status::as_str, Status::label).unwrap_or_else(|| {
            problem(
                "Status",
                format!("'{v}' is not a status: use new, in progress, escalated or closed"),
            );
            Status::New
        })
    });
    let closed_at = row.extra("Closed At").and_then(|v| match closed_at(v) {
        Some(at) if at <= now => Some(at),
        Some(_) => {
            problem("Closed At", format!("'{v}' is later than now"));
            None
        }
        None => {
            problem(
                "Closed At",
                format!(
                    "'{v}' is not a time: write it as the export does (2025-11-12T10:30:00Z) or as a date (dd/mm/yyyy)"
                ),
            );
            None
        }
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
        outcome: row.extra("Outcome").map(|o| o.trim().to_string()),
        closed_at,
        child_at_risk,
        location,
        platform: row.extra("Platform").unwrap_or("").to_string(),
        reference: row.extra("Reference").map(|r| r.trim().to_uppercase()),
    }
}

/// A Closed At cell: UTC as safelog's export writes it (with or without
/// the Z, or a space for the T), or a date alone, taken as its midnight.
fn closed_at(value: &str) -> Option<NaiveDateTime> {
    let v = value.trim();
    let v = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
    .or_else(|| crate::forms::parse_date(v).and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// A row's Actions and Outcome without the "Outcome: ..." line that
/// safelog's export ends it with when the row also has the Outcome column:
/// the outcome is kept as the case's outcome, and the export writes that
/// line again, so an export imported elsewhere exports the same.
fn own_actions<'a>(actions: &'a str, outcome: Option<&str>) -> &'a str {
    let Some(outcome) = outcome.filter(|o| !o.is_empty()) else {
        return actions;
    };
    match actions.strip_suffix(&format!("Outcome: {outcome}")) {
        Some("") => "",
        Some(rest) => rest.strip_suffix('\n').unwrap_or(actions),
        _ => actions,
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
    let outcome = incident.outcome.clone();
    let Some(item) = store::hydrate(conn, school, vec![incident], lookups)?.pop() else {
        return Ok(false);
    };
    let c = super::export::cells(&item);
    let actions = own_actions(&c[4], outcome.as_deref());
    Ok(key_of(&c[0], &c[1], date, &c[3], actions, &c[5]) == key)
}

/// The pupil a row is filed under: (id, name).
enum Chosen {
    Found(String, String),
    Created(String, String),
    Ambiguous(usize),
}

impl From<Resolved> for Chosen {
    fn from(r: Resolved) -> Self {
        match r {
            Resolved::Found(p) => Chosen::Found(p.id, p.name),
            Resolved::Created(p) => Chosen::Created(p.id, p.name),
            Resolved::Ambiguous(n) => Chosen::Ambiguous(n),
        }
    }
}

/// Which of the two passes [`apply`] is making.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// Reads only: what the import would do.
    Plan,
    /// Inside the write transaction: doing it.
    Write,
}

/// What both passes read.
struct Input<'a> {
    sheet: &'a read::Sheet,
    cats: &'a [Category],
    now: NaiveDateTime,
    today: NaiveDate,
}

/// What the planning pass has decided that the database will only know
/// once the rows are written: the pupils it would create, the reference
/// numbers it would take.
#[derive(Default)]
struct Planning {
    /// By name key: (tutor group, a stand-in id) of each pupil to create.
    pupils: HashMap<String, Vec<(Option<String>, String)>>,
    /// The school's last reference number per year, as the import would
    /// leave it so far.
    counters: HashMap<i32, i32>,
    references: HashSet<String>,
}

impl Planning {
    fn counter(
        &mut self,
        conn: &mut AnyConnection,
        school: &str,
        year: i32,
    ) -> Result<&mut i32, diesel::result::Error> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.counters.entry(year) {
            e.insert(store::last_reference_seq(conn, school, year)?);
        }
        Ok(self.counters.entry(year).or_default())
    }

    /// As [`crate::incidents::store::write::insert_with_reference`] does,
    /// a kept reference raises its year's counter.
    fn keep(
        &mut self,
        conn: &mut AnyConnection,
        school: &str,
        reference: &str,
    ) -> Result<(), diesel::result::Error> {
        if let Some((year, seq)) = parse_reference(reference) {
            let last = self.counter(conn, school, year)?;
            *last = (*last).max(seq);
        }
        self.references.insert(reference.to_string());
        Ok(())
    }

    /// The reference the next new incident would be given, as
    /// [`crate::incidents::store::write::next_reference`] gives it.
    fn next(
        &mut self,
        conn: &mut AnyConnection,
        school: &str,
        now: NaiveDateTime,
    ) -> Result<String, diesel::result::Error> {
        let year = now.year();
        let last = self.counter(conn, school, year)?;
        *last += 1;
        let reference = format!("OS-{year}-{:04}", *last);
        self.references.insert(reference.clone());
        Ok(reference)
    }

    /// The pupil a row would be filed under, chosen as
    /// [`pupils::resolve`] chooses, among the school's pupils and those
    /// this import would already have created.
    fn pupil(
        &mut self,
        conn: &mut AnyConnection,
        school: &str,
        name: &str,
        tutor_group: &str,
    ) -> Result<Chosen, diesel::result::Error> {
        let key = name_key(name);
        let mut same_name: Vec<(Option<String>, String, String)> =
            pupils::named(conn, school, name)?
                .into_iter()
                .map(|p| (p.tutor_group, p.id, p.name))
                .collect();
        for (group, id) in self.pupils.get(&key).into_iter().flatten() {
            same_name.push((group.clone(), id.clone(), name.to_string()));
        }
        let all = same_name.len();
        if all > 1 {
            same_name.retain(|(g, _, _)| {
                g.as_deref()
                    .is_some_and(|g| g.eq_ignore_ascii_case(tutor_group.trim()))
            });
            if same_name.is_empty() {
                return Ok(Chosen::Ambiguous(all));
            }
        }
        match same_name.len() {
            0 => {
                let group = Some(tutor_group.to_string()).filter(|g| !g.is_empty());
                let id = format!("planned-{}", uuid::Uuid::new_v4().simple());
                self.pupils
                    .entry(key)
                    .or_default()
                    .push((group, id.clone()));
                Ok(Chosen::Created(id, name.to_string()))
            }
            1 => Ok(same_name
                .pop()
                .map_or(Chosen::Ambiguous(0), |(_, id, n)| Chosen::Found(id, n))),
            n => Ok(Chosen::Ambiguous(n)),
        }
    }
}

fn apply(
    conn: &mut AnyConnection,
    input: &Input<'_>,
    opts: &Options<'_>,
    pass: Pass,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, Stop> {
    let Input {
        sheet,
        cats,
        now,
        today,
    } = *input;
    let school = opts.school_id;
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
    let mut planning = Planning::default();
    let total = sheet.rows.len();

    for (n, row) in sheet.rows.iter().enumerate() {
        progress(n + 1, total);
        let mut problems = Vec::new();
        let extra = extras(row, cats, now, &mut problems);
        // Closed as history unless the row gives a status; a closed case
        // always says its outcome, the file's where it gives one (and only
        // then is the outcome line taken off its Actions and Outcome).
        let history = extra.status.is_none();
        let status = extra.status.unwrap_or(Status::Closed);
        let given_outcome = extra
            .outcome
            .as_deref()
            .filter(|_| extra.status == Some(Status::Closed));
        let actions = own_actions(&row.actions_outcome, given_outcome);
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
            actions_outcome: actions.to_string(),
            location: extra.location.as_str().to_string(),
            platform: extra.platform.clone(),
            ..IncidentInput::default()
        };
        let ctx = Context {
            today,
            categories: cats,
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

        let key = key_of(
            &row.student_name,
            &row.tutor_group,
            row.incident_date,
            &row.details,
            actions,
            &row.staff_initials,
        );
        if let Some(first) = seen.get(&key) {
            report.repeated.push(Repeat {
                line: row.line,
                earlier: Earlier::Line(*first),
            });
            continue;
        }
        seen.insert(key.clone(), row.line);
        // Before the outcome line was told apart, a row of a safelog export
        // was known by its whole Actions and Outcome cell.
        let earlier = match store::imported_before(conn, school, &key)? {
            None if actions != row.actions_outcome => {
                store::imported_before(conn, school, &row.key())?
            }
            found => found,
        };
        if let Some(reference) = earlier {
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

        let chosen = match pass {
            Pass::Plan => planning.pupil(conn, school, &row.student_name, &row.tutor_group)?,
            Pass::Write => {
                let wanted = PupilRef {
                    id: None,
                    name: row.student_name.clone(),
                    tutor_group: Some(row.tutor_group.clone()),
                };
                pupils::resolve(conn, school, &wanted, now)?.into()
            }
        };
        let (pupil_id, pupil_name, created_pupil) = match chosen {
            Chosen::Found(id, name) => (id, name, false),
            Chosen::Created(id, name) => (id, name, true),
            Chosen::Ambiguous(count) => {
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
        let new_pupil = created_pupil || new_pupils.contains(&pupil_id);
        if created_pupil {
            new_pupils.insert(pupil_id.clone());
        }

        let kept = match &extra.reference {
            Some(r) if parse_reference(r).is_some() => {
                !reference_taken(conn, school, r)? && !planning.references.contains(r)
            }
            _ => false,
        };
        if pass == Pass::Plan {
            let reference = match &extra.reference {
                Some(r) if kept => {
                    planning.keep(conn, school, r)?;
                    r.clone()
                }
                _ => planning.next(conn, school, now)?,
            };
            report.created.push(Planned {
                line: row.line,
                reference,
                kept_reference: kept,
                pupil_name,
                tutor_group: row.tutor_group.clone(),
                new_pupil,
                incident_date: row.incident_date,
                category: category_name(cats, &new.fields.category_code),
                status,
                history,
                acknowledged: row.lg_acknowledged,
            });
            continue;
        }
        new.fields.pupil.id = Some(pupil_id);
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
        if status != Status::New {
            let closed = status == Status::Closed;
            let outcome = given_outcome.map_or_else(|| history_outcome(actions), str::to_string);
            let version = store::set_imported_status(
                conn,
                &id,
                &ImportedStatus {
                    status: status.as_str(),
                    closed_at: closed.then(|| extra.closed_at.filter(|_| !history).unwrap_or(now)),
                    outcome: closed.then_some(outcome.as_str()),
                },
            )?;
            let import = Author {
                user_id: None,
                initials: HISTORY_BY.into(),
            };
            let event = NewEvent::new(
                EventKind::StatusChange,
                &id,
                school,
                version,
                if history { &import } else { &author },
                now,
            )
            .change("status", Status::New.as_str(), status.as_str())
            .for_reporter(true);
            let event = if history {
                event.reason(HISTORY_REASON)
            } else {
                event.text("Status as given in the imported file")
            };
            timeline::append(conn, &event)?;
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
            pupil_name,
            tutor_group: row.tutor_group.clone(),
            new_pupil,
            incident_date: row.incident_date,
            category: category_name(cats, &new.fields.category_code),
            status,
            history,
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

    #[test]
    fn only_the_exports_own_last_outcome_line_is_taken_off() {
        let o = Some("Warned the year group");
        assert_eq!(
            own_actions("Reported\nOutcome: Warned the year group", o),
            "Reported"
        );
        assert_eq!(own_actions("Outcome: Warned the year group", o), "");
        // Not a line of its own, another outcome, or no Outcome column: as it is.
        assert_eq!(
            own_actions("The Outcome: Warned the year group", o),
            "The Outcome: Warned the year group"
        );
        assert_eq!(
            own_actions("Reported\nOutcome: Other", o),
            "Reported\nOutcome: Other"
        );
        assert_eq!(
            own_actions("Reported\nOutcome: Warned the year group", None),
            "Reported\nOutcome: Warned the year group"
        );
    }

    #[test]
    fn a_history_outcome_says_where_it_came_from_and_what_the_old_log_said() {
        assert_eq!(history_outcome("  "), HISTORY_OUTCOME);
        assert_eq!(
            history_outcome("Spoke to her. "),
            "Imported from the school's earlier log.\nActions and Outcome in that log: Spoke to her."
        );
    }

    #[test]
    fn closed_at_is_read_as_the_export_writes_it_or_as_a_date() {
        let at = |d: u32, h: u32, m: u32| {
            NaiveDate::from_ymd_opt(2024, 3, d).and_then(|d| d.and_hms_opt(h, m, 0))
        };
        assert_eq!(closed_at("2024-03-05T14:00:00Z"), at(5, 14, 0));
        assert_eq!(closed_at("2024-03-05 14:30"), at(5, 14, 30));
        assert_eq!(closed_at("05/03/2024"), at(5, 0, 0));
        assert_eq!(closed_at("last week"), None);
    }
}
