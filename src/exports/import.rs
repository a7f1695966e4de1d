//! Importing the old spreadsheet (PRODUCT.md "CSV for audits"): each row
//! becomes an incident as if logged on the form, with the staff initials of
//! the file, then its status and leadership acknowledgement as the file
//! gives them and the file and line it came from.
//!
//! A row is history, not a new case: unless the file gives it a status (a
//! Status column, as safelog's own export has), it arrives closed at the
//! time of the import, with the outcome [`HISTORY_OUTCOME`] and the row's
//! own Actions and Outcome. Like every imported row it alerts no one, and
//! being closed it waits in no lead's queue, has no pick-up reminder and is
//! not open at the end of any term.
//!
//! Two passes over the file through one function, [`apply`], each reading
//! it a row at a time (a file of a million rows takes the memory of a few
//! hundred). The first plans with reads only (no write lock, nothing
//! written): it checks every row, matches pupils and works out the
//! references the import would give. A dry run is that pass alone, so a
//! large file checked by the DSL keeps no one from logging. A real import
//! runs it too, and a file with any problem is refused before anything is
//! locked; only a clean file gets the second pass, which writes it all in
//! one write transaction (all or nothing, and a crash part-way leaves
//! nothing half imported). The write pass checks again as it goes, and
//! anything the log gained meanwhile that would make a row wrong rolls the
//! whole file back with the problem. A row already imported (the same file
//! again, or a later copy of the spreadsheet that repeats it) is skipped,
//! by [`Row::key`].
//!
//! The write pass writes [`BATCH`] rows at a time, one INSERT per table,
//! what [`crate::incidents::logging::create`] and the status and
//! acknowledgement steps wrote for each row one by one: the same incident,
//! timeline entries, import record and audit row (tests/it/import_bulk.rs
//! compares the two on a seeded file). The school's categories, the pupils
//! each name and tutor group resolved to, and the reference counters are
//! kept for the length of the import; the counters are written once a
//! batch.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::import_store;
use super::store;
use crate::audit::{self, Event};
use crate::categories::Category;
use crate::db::dialect::{lock_school, read_snapshot, write_transaction};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::incidents::forms::{Context, IncidentInput, NewIncident};
use crate::incidents::model::{EventKind, Location, Status};
use crate::incidents::routing;
use crate::incidents::store::write::{counted_on, parse_reference, reference_taken, search_text};
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

/// How many of the incidents an import makes its report lists one by one:
/// a page or a terminal cannot usefully show a million rows, and the
/// report of a file of any length takes the same memory. Every count is
/// whole.
pub const LISTED: usize = 1000;

/// The incidents an import makes (or would), counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: usize,
    /// Closed as history.
    pub history: usize,
    /// With the file's own status, and not closed.
    pub open: usize,
    pub acknowledged: usize,
}

impl Tally {
    fn add(&mut self, p: &Planned) {
        self.created += 1;
        if p.history {
            self.history += 1;
        } else if p.status != Status::Closed {
            self.open += 1;
        }
        if p.acknowledged {
            self.acknowledged += 1;
        }
    }
}

/// What an import found and did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Rows read (blank rows are not counted).
    pub rows: usize,
    /// Every problem, by line and column. Any problem: nothing is imported.
    pub problems: Vec<Problem>,
    /// The first [`LISTED`] incidents made (or that would be), in file order.
    pub created: Vec<Planned>,
    /// Every incident made (or that would be), counted.
    pub tally: Tally,
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
            self.tally.created,
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
        let history = self.tally.history;
        let given = self.tally.created - history;
        let any_open = self.tally.open > 0;
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
    /// The file as a whole cannot be read.
    File(FileError),
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

/// Where the file is read from, once for each pass: a page's upload is
/// in memory already; a file named on the command line is read from disk
/// as it goes.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

impl<'a> Source<'a> {
    fn open(&self) -> Result<(Box<dyn Read + 'a>, u64), FileError> {
        match *self {
            Source::Bytes(bytes) => Ok((Box::new(bytes), bytes.len() as u64)),
            Source::File(path) => {
                let unreadable = |e: std::io::Error| FileError::Csv {
                    line: 0,
                    message: format!("cannot read the file: {e}"),
                };
                let file = std::fs::File::open(path).map_err(unreadable)?;
                let len = file.metadata().map_err(unreadable)?.len();
                Ok((Box::new(std::io::BufReader::new(file)), len))
            }
        }
    }

    /// The header row read, the file refused if it lacks a column.
    fn rows(&self, today: NaiveDate) -> Result<(read::Rows<Box<dyn Read + 'a>>, u64), FileError> {
        let (input, len) = self.open()?;
        Ok((read::Rows::new(input, today)?, len))
    }
}

/// Imports the file, or checks it in a dry run. `progress` is told how far
/// each pass has read, as (bytes read, bytes in the file). Every import,
/// dry run and refusal is written to the audit trail.
pub fn run(
    conn: &mut AnyConnection,
    source: Source<'_>,
    opts: &Options<'_>,
    now: NaiveDateTime,
    today: NaiveDate,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, ImportError> {
    if let Err(e) = source.rows(today) {
        trail(conn, opts, "log_import_refused", "file unreadable", now)?;
        return Err(ImportError::File(e));
    }
    // Seeding a new school's categories is a write: done before the
    // read-only pass, in its own short transaction.
    let cats = crate::categories::store::for_school(conn, opts.school_id, now)?;
    let input = Input {
        source,
        cats: &cats,
        now,
        today,
    };
    import_store::seen_start(conn)?;
    let planned = read_snapshot(conn, |conn| apply(conn, &input, opts, Pass::Plan, progress));
    let planned = match planned {
        Ok(report) => report,
        Err(Stop::App(e)) => return Err(ImportError::App(e)),
        Err(Stop::File(e)) => {
            trail(conn, opts, "log_import_refused", "file unreadable", now)?;
            return Err(ImportError::File(e));
        }
        Err(Stop::RollBack(report)) => *report,
    };
    if opts.dry_run || !planned.problems.is_empty() {
        import_store::seen_end(conn)?;
        return refused_or_checked(conn, opts, planned, now);
    }
    import_store::seen_start(conn)?;
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
    import_store::seen_end(conn)?;
    match outcome {
        Ok(report) => Ok(report),
        Err(Stop::App(e)) => Err(ImportError::App(e)),
        Err(Stop::File(e)) => {
            trail(conn, opts, "log_import_refused", "file unreadable", now)?;
            Err(ImportError::File(e))
        }
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
#[derive(Clone)]
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
    source: Source<'a>,
    cats: &'a [Category],
    now: NaiveDateTime,
    today: NaiveDate,
}

/// Rows handled together: their earlier imports looked up in one query
/// and, writing, their incidents, timeline entries, import records and
/// audit rows inserted with one statement per table.
const BATCH: usize = 400;

/// The references this import gives or keeps, so that none is given twice:
/// those it numbers itself, as runs of consecutive numbers a year (a run
/// ends only where a kept reference raised the counter), and those the
/// file's Reference column keeps.
#[derive(Default)]
struct Given {
    runs: HashMap<i32, Vec<(i32, i32)>>,
    kept: HashSet<String>,
}

impl Given {
    fn number(&mut self, year: i32, seq: i32) {
        let runs = self.runs.entry(year).or_default();
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == seq => *end = seq,
            _ => runs.push((seq, seq)),
        }
    }

    fn contains(&self, reference: &str) -> bool {
        if self.kept.contains(reference) {
            return true;
        }
        parse_reference(reference).is_some_and(|(year, seq)| {
            reference == format!("OS-{year}-{seq:04}")
                && self
                    .runs
                    .get(&year)
                    .is_some_and(|runs| runs.iter().any(|(a, b)| (*a..=*b).contains(&seq)))
        })
    }
}

/// What the import has decided that the database will only know once the
/// rows are written: the pupils it would create, the reference numbers it
/// takes. The write pass numbers its incidents here too, inside its lock,
/// and writes the counters once a batch.
#[derive(Default)]
struct Planning {
    /// By name key: (tutor group, a stand-in id) of each pupil to create.
    pupils: HashMap<String, Vec<(Option<String>, String)>>,
    /// By name key: (tutor group, id, name) of the school's pupils of that
    /// name, looked up once (a school's roll, however long the file).
    named: HashMap<String, Vec<(Option<String>, String, String)>>,
    /// The school's last reference number per year, as the import would
    /// leave it so far.
    counters: HashMap<i32, i32>,
    /// The counters as the database holds them.
    stored: HashMap<i32, i32>,
    references: Given,
}

impl Planning {
    fn counter(
        &mut self,
        conn: &mut AnyConnection,
        school: &str,
        year: i32,
    ) -> Result<&mut i32, diesel::result::Error> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.counters.entry(year) {
            let last = store::last_reference_seq(conn, school, year)?;
            self.stored.insert(year, last);
            e.insert(last);
        }
        Ok(self.counters.entry(year).or_default())
    }

    /// A kept reference raises its year's counter, so that no later
    /// incident is given the same number.
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
        self.references.kept.insert(reference.to_string());
        Ok(())
    }

    /// The reference the next new incident is given, as
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
        let seq = *last;
        self.references.number(year, seq);
        Ok(format!("OS-{year}-{seq:04}"))
    }

    /// Writes the counters the import has moved since the last time.
    fn store_counters(
        &mut self,
        conn: &mut AnyConnection,
        school: &str,
    ) -> Result<(), diesel::result::Error> {
        for (year, last) in &self.counters {
            if self.stored.get(year) != Some(last) {
                import_store::set_reference_counter(conn, school, *year, *last)?;
                self.stored.insert(*year, *last);
            }
        }
        Ok(())
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
        if !self.named.contains_key(&key) {
            let found = pupils::named(conn, school, name)?
                .into_iter()
                .map(|p| (p.tutor_group, p.id, p.name))
                .collect();
            self.named.insert(key.clone(), found);
        }
        let mut same_name = self.named.get(&key).cloned().unwrap_or_default();
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

/// The write pass's pupils: [`pupils::resolve`] once for each name and
/// tutor group the file gives, its answer kept until a pupil of that name
/// is created (the one thing that would change it).
#[derive(Default)]
struct Resolver {
    by_name: HashMap<String, HashMap<(String, String), Chosen>>,
}

impl Resolver {
    fn resolve(
        &mut self,
        conn: &mut AnyConnection,
        school: &str,
        name: &str,
        tutor_group: &str,
        now: NaiveDateTime,
    ) -> Result<Chosen, diesel::result::Error> {
        let key = name_key(name);
        let asked = (name.to_string(), tutor_group.to_string());
        if let Some(chosen) = self.by_name.get(&key).and_then(|m| m.get(&asked)) {
            return Ok(chosen.clone());
        }
        let wanted = PupilRef {
            id: None,
            name: name.to_string(),
            tutor_group: Some(tutor_group.to_string()),
        };
        let chosen: Chosen = pupils::resolve(conn, school, &wanted, now)?.into();
        let known = self.by_name.entry(key).or_default();
        let kept = match &chosen {
            Chosen::Created(id, name) => {
                known.clear();
                Chosen::Found(id.clone(), name.clone())
            }
            other => other.clone(),
        };
        known.insert(asked, kept);
        Ok(chosen)
    }
}

/// A row that passed every check of its own, waiting for the checks
/// against the log (repeats, pupils, references).
struct Checked {
    row: Row,
    new: NewIncident,
    status: Status,
    history: bool,
    given_outcome: Option<String>,
    actions: String,
    key: String,
    reference: Option<String>,
    closed_at: Option<NaiveDateTime>,
}

/// An incident of the write pass waiting for its batch to be written.
struct Pending {
    id: String,
    reference: String,
    pupil_id: String,
    new: NewIncident,
    search_text: String,
    owner_role: &'static str,
    audit_detail: String,
    status: Status,
    history: bool,
    closed_at: Option<NaiveDateTime>,
    outcome: Option<String>,
    acknowledged: bool,
    line: u64,
    key: String,
    note: String,
    said: String,
    initials: String,
}

/// Writes a batch of the write pass: what [`logging::create`], the status
/// and acknowledgement updates and their timeline entries, and the import
/// record wrote for each row, as one INSERT per table.
fn write_batch<'a>(
    conn: &mut AnyConnection,
    school: &'a str,
    opts: &Options<'a>,
    now: NaiveDateTime,
    batch: &'a [Pending],
) -> Result<(), diesel::result::Error> {
    let mut incidents = Vec::with_capacity(batch.len());
    let mut events = Vec::with_capacity(batch.len() * 3);
    let mut imports = Vec::with_capacity(batch.len());
    let mut audit = Vec::with_capacity(batch.len());
    for p in batch {
        let f = &p.new.fields;
        // Each step raises the incident's version; its entry is numbered so.
        let entry = |version: i32, kind: EventKind, by: &'a str, text: Option<&'a str>| {
            import_store::EventRow {
                id: uuid::Uuid::new_v4().to_string(),
                incident_id: &p.id,
                school_id: school,
                seq: version,
                incident_version: version,
                kind: kind.as_str(),
                by_initials: by,
                at: now,
                text,
                field: None,
                old_value: None,
                new_value: None,
                reason: None,
                visible_to_reporter: true,
            }
        };
        let mut version = 1;
        events.push(entry(
            version,
            EventKind::Logged,
            p.initials.as_str(),
            Some(p.note.as_str()),
        ));
        if p.status != Status::New {
            version += 1;
            let by = if p.history {
                HISTORY_BY
            } else {
                p.initials.as_str()
            };
            events.push(import_store::EventRow {
                field: Some("status"),
                old_value: Some(Status::New.as_str()),
                new_value: Some(p.status.as_str()),
                reason: p.history.then_some(HISTORY_REASON),
                ..entry(
                    version,
                    EventKind::StatusChange,
                    by,
                    (!p.history).then_some("Status as given in the imported file"),
                )
            });
        }
        if p.acknowledged {
            version += 1;
            events.push(import_store::EventRow {
                visible_to_reporter: false,
                ..entry(
                    version,
                    EventKind::Acknowledgement,
                    "LG",
                    Some(p.said.as_str()),
                )
            });
        }
        let closed = p.status == Status::Closed;
        incidents.push(import_store::IncidentRow {
            id: &p.id,
            school_id: school,
            reference: &p.reference,
            pupil_id: &p.pupil_id,
            tutor_group: &f.tutor_group,
            year_group: f.year_group,
            incident_date: f.incident_date,
            category_code: &f.category_code,
            child_at_risk: f.child_at_risk,
            location: f.location.as_str(),
            platform: f.platform.as_deref(),
            details: &f.details,
            actions_taken: &f.actions_taken,
            search_text: &p.search_text,
            status: p.status.as_str(),
            owner_role: p.owner_role,
            about_headteacher: false,
            staff_initials: &p.initials,
            logged_at: now,
            version,
            lg_acknowledged_at: p.acknowledged.then_some(now),
            outcome: p.outcome.as_deref().filter(|_| closed),
            closed_at: p.closed_at.filter(|_| closed),
            counted_on: counted_on(f.incident_date, now),
        });
        imports.push(import_store::ImportRow {
            incident_id: &p.id,
            school_id: school,
            file: opts.file_name,
            line: i32::try_from(p.line).unwrap_or(i32::MAX),
            key: &p.key,
            at: now,
        });
        audit.push(import_store::AuditRow {
            id: uuid::Uuid::new_v4().to_string(),
            school_id: school,
            action: "incident_logged",
            record_type: "incident",
            record_id: &p.id,
            detail: p.audit_detail.clone(),
            ip: opts.ip,
            at: now,
        });
    }
    import_store::insert_incidents(conn, &incidents)?;
    import_store::insert_events(conn, &events)?;
    import_store::insert_imports(conn, &imports)?;
    import_store::insert_audit(conn, &audit)
}

/// Checks a row on its own: its cells, safelog's columns, the log form's
/// rules. Problems go to the report; None if there were any.
fn check(
    row: Row,
    read_problems: Vec<Problem>,
    input: &Input<'_>,
    fallback: Option<&Category>,
    report: &mut Report,
    defaulted: &mut usize,
) -> Option<Checked> {
    let Input {
        cats, now, today, ..
    } = *input;
    let mut problems = Vec::new();
    let extra = extras(&row, cats, now, &mut problems);
    // Closed as history unless the row gives a status; a closed case
    // always says its outcome, the file's where it gives one (and only
    // then is the outcome line taken off its Actions and Outcome).
    let history = extra.status.is_none();
    let status = extra.status.unwrap_or(Status::Closed);
    let given_outcome = extra
        .outcome
        .clone()
        .filter(|_| extra.status == Some(Status::Closed));
    let actions = own_actions(&row.actions_outcome, given_outcome.as_deref()).to_string();
    let category = match (&extra.category, row.extra("Category"), fallback) {
        (Some(code), _, _) => Some(code.clone()),
        // Named, but not found: already a problem.
        (None, Some(_), _) => None,
        (None, None, Some(other)) => {
            *defaulted += 1;
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
    let form = IncidentInput {
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
        actions_outcome: actions.clone(),
        location: extra.location.as_str().to_string(),
        platform: extra.platform.clone(),
        ..IncidentInput::default()
    };
    let ctx = Context {
        today,
        categories: cats,
        current_category: None,
    };
    let parsed = NewIncident::parse(&form, &ctx);
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
    let mut columns: HashSet<String> = read_problems.iter().map(|p| p.column.clone()).collect();
    report.problems.extend(read_problems);
    for p in problems {
        if columns.insert(p.column.clone()) {
            report.problems.push(p);
        }
    }
    let (Ok(new), Some(_), true) = (parsed, category, columns.is_empty()) else {
        return None;
    };
    let key = key_of(
        &row.student_name,
        &row.tutor_group,
        row.incident_date,
        &row.details,
        &actions,
        &row.staff_initials,
    );
    Some(Checked {
        new,
        status,
        history,
        given_outcome,
        actions,
        key,
        reference: extra.reference,
        closed_at: extra.closed_at,
        row,
    })
}

/// One pass over the file, [`BATCH`] rows at a time: every row checked,
/// repeats found, pupils matched and references worked out; and in the
/// write pass, the batch written.
fn apply(
    conn: &mut AnyConnection,
    input: &Input<'_>,
    opts: &Options<'_>,
    pass: Pass,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, Stop> {
    let Input {
        source,
        cats,
        now,
        today,
    } = *input;
    let school = opts.school_id;
    let fallback = cats
        .iter()
        .find(|c| c.code == DEFAULT_CATEGORY && c.active)
        .cloned();
    let (mut rows, len) = source.rows(today).map_err(Stop::File)?;
    let mut report = Report {
        dry_run: opts.dry_run,
        ..Report::default()
    };
    let has_category_column = rows.has_column("Category");
    let mut defaulted = 0usize;
    // The first line of each key met in this batch; those of earlier
    // batches are in the temporary table import_seen.
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut lookups = store::Lookups::default();
    let mut new_pupils: HashSet<String> = HashSet::new();
    let mut planning = Planning::default();
    let mut resolver = Resolver::default();
    // The write pass's categories, as logging checks them: by code, in use.
    let mut categories: HashMap<String, Option<Category>> = HashMap::new();
    let mut pending: Vec<Pending> = Vec::with_capacity(BATCH);
    let mut checked: Vec<Checked> = Vec::with_capacity(BATCH);

    loop {
        checked.clear();
        let mut read = 0;
        while read < BATCH {
            let (row, read_problems) = match rows.next_row() {
                None => break,
                Some(Err(e)) => return Err(Stop::File(e)),
                Some(Ok(next)) => next,
            };
            read += 1;
            report.rows += 1;
            if let Some(c) = check(
                row,
                read_problems,
                input,
                fallback.as_ref(),
                &mut report,
                &mut defaulted,
            ) {
                checked.push(c);
            }
        }
        if read == 0 {
            break;
        }
        progress(rows.bytes_read().min(len), len);
        // Before the outcome line was told apart, a row of a safelog export
        // was known by its whole Actions and Outcome cell.
        let whole: Vec<Option<String>> = checked
            .iter()
            .map(|c| (c.actions != c.row.actions_outcome).then(|| c.row.key()))
            .collect();
        let keys: Vec<&str> = checked
            .iter()
            .map(|c| c.key.as_str())
            .chain(whole.iter().flatten().map(String::as_str))
            .collect();
        let before = import_store::imported_before(conn, school, &keys)?;
        let own: Vec<&str> = checked.iter().map(|c| c.key.as_str()).collect();
        let met_before = import_store::seen_lines(conn, &own)?;
        seen.clear();

        for (c, whole) in checked.drain(..).zip(whole) {
            let Checked {
                row,
                mut new,
                status,
                history,
                given_outcome,
                actions,
                key,
                reference: file_reference,
                closed_at,
            } = c;
            if let Some(first) = met_before.get(&key).or_else(|| seen.get(&key)) {
                report.repeated.push(Repeat {
                    line: row.line,
                    earlier: Earlier::Line(*first),
                });
                continue;
            }
            seen.insert(key.clone(), row.line);
            let earlier = before
                .get(&key)
                .or_else(|| whole.as_ref().and_then(|w| before.get(w)));
            if let Some(reference) = earlier {
                report.repeated.push(Repeat {
                    line: row.line,
                    earlier: Earlier::Imported(reference.clone()),
                });
                continue;
            }
            if let Some(reference) = &file_reference {
                if same_in_log(conn, school, reference, &key, &mut lookups)? {
                    report.repeated.push(Repeat {
                        line: row.line,
                        earlier: Earlier::InLog(reference.clone()),
                    });
                    continue;
                }
            }

            let category = match pass {
                Pass::Plan => None,
                Pass::Write => {
                    let code = new.fields.category_code.clone();
                    if !categories.contains_key(&code) {
                        let found = crate::categories::store::by_code(conn, school, &code)?
                            .filter(|c| c.active);
                        categories.insert(code.clone(), found);
                    }
                    match categories.get(&code).cloned().flatten() {
                        Some(c) => Some(c),
                        None => {
                            report.problems.push(Problem {
                                line: row.line,
                                column: column_of("category").to_string(),
                                message: "Choose one of the categories listed".into(),
                            });
                            continue;
                        }
                    }
                }
            };
            let chosen = match pass {
                Pass::Plan => planning.pupil(conn, school, &row.student_name, &row.tutor_group)?,
                Pass::Write => {
                    resolver.resolve(conn, school, &row.student_name, &row.tutor_group, now)?
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

            let kept = match &file_reference {
                Some(r) if parse_reference(r).is_some() => {
                    !planning.references.contains(r) && !reference_taken(conn, school, r)?
                }
                _ => false,
            };
            let reference = match &file_reference {
                Some(r) if kept => {
                    planning.keep(conn, school, r)?;
                    r.clone()
                }
                _ => planning.next(conn, school, now)?,
            };
            let planned = Planned {
                line: row.line,
                reference: reference.clone(),
                kept_reference: kept,
                pupil_name,
                tutor_group: row.tutor_group.clone(),
                new_pupil,
                incident_date: row.incident_date,
                category: category_name(cats, &new.fields.category_code),
                status,
                history,
                acknowledged: row.lg_acknowledged,
            };
            report.tally.add(&planned);
            if report.created.len() < LISTED {
                report.created.push(planned);
            }
            let Some(category) = category else {
                continue;
            };
            // As logging routes it; an import is never "about the headteacher".
            let route = routing::decide(&category, new.fields.child_at_risk, false);
            new.fields.pupil.id = Some(pupil_id.clone());
            let f = &new.fields;
            pending.push(Pending {
                id: uuid::Uuid::new_v4().to_string(),
                reference,
                pupil_id,
                search_text: search_text(&f.details, &f.actions_taken, f.platform.as_deref()),
                owner_role: route.stored_owner().as_str(),
                audit_detail: format!(
                    "category {}; owner {}; via import",
                    category.code, route.owner
                ),
                status,
                history,
                closed_at: Some(closed_at.filter(|_| !history).unwrap_or(now)),
                outcome: Some(given_outcome.unwrap_or_else(|| history_outcome(&actions))),
                acknowledged: row.lg_acknowledged,
                line: row.line,
                key,
                note: format!("Imported from {}, line {}", opts.file_name, row.line),
                said: format!(
                    "LG Acknowledged was TRUE in the imported spreadsheet ({}, line {}). Who acknowledged it, and when, the spreadsheet does not say; the time shown is the import's.",
                    opts.file_name, row.line
                ),
                initials: row.staff_initials,
                new,
            });
        }
        let met: Vec<(String, u64)> = seen.drain().collect();
        import_store::seen_add(conn, &met)?;
        if pass == Pass::Write && report.problems.is_empty() {
            write_batch(conn, school, opts, now, &pending)?;
            planning.store_counters(conn, school)?;
        }
        pending.clear();
    }
    report.new_pupils = new_pupils.len();
    report.problems.sort_by_key(|p| p.line);
    if let Some(other) = &fallback {
        if !has_category_column && report.rows > 0 {
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
    if report.tally.acknowledged > 0 {
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
