//! A large-ish import (a few thousand rows of a seeded file, with every
//! kind of row the importer knows) lands exactly the rows, timeline and
//! audit trail the row-by-row importer gave; and a file whose last row is
//! wrong imports nothing.
//!
//! tests/data/import-bulk-golden.txt holds, per table, the digest of what
//! the row-by-row importer (before the streaming one) wrote for these two
//! files, with the random ids replaced by references and the import's
//! times by labels. On a mismatch the whole dump is written to
//! target/import-bulk-dump.txt to compare. `SAFELOG_WRITE_IMPORT_GOLDEN=1`
//! writes the golden file again (only ever from a trusted importer).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Output;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use safelog::db::schema::{
    audit_events, incident_events, incident_imports, incident_references, incidents, pupils,
};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::import::{counts, import_file_by_command};
use crate::on_both_backends;

const COLUMNS: &str = "Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged,Reference,Category,Status,Child at Risk,Where,Platform,Outcome,Closed At";

/// A small seeded generator, so the file is the same on every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const FIRST: [&str; 20] = [
    "Amy", "Ben", "Chloé", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jack", "Kai", "Lily",
    "Mo", "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sam", "Zoë",
];
const LAST: [&str; 15] = [
    "Adams", "Begum", "Clarke", "Davies", "Evans", "Fox", "Green", "Hussain", "Iqbal", "Jones",
    "Khan", "Lewis", "Morgan", "Nowak", "Ó Sé",
];
const GROUPS: [&str; 10] = [
    "7A", "7B", "8A", "8C", "9B", "9D", "10T", "10W", "11E", "11R",
];
const CATEGORIES: [&str; 6] = [
    "online-bullying",
    "",
    "filtering-breach",
    "Misinformation",
    "other",
    "harmful-content",
];
const STATUSES: [&str; 6] = ["", "", "new", "In progress", "escalated", "closed"];
const PLACES: [&str; 5] = [
    "",
    "in school",
    "Outside school",
    "online at home",
    "not known",
];

fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

/// Row `i` of the seeded file: a line of cells, CSV-quoted.
fn row(i: u64) -> String {
    let mut r = Seeded(i.wrapping_mul(7919).wrapping_add(17));
    let name_i = r.next(300);
    let name = format!(
        "{} {}",
        FIRST[(name_i % 20) as usize],
        LAST[(name_i / 20) as usize]
    );
    // A name nearly always in its own group; now and then in another, which
    // still finds the one pupil of that name.
    let group = if r.next(13) == 0 {
        GROUPS[r.next(10) as usize]
    } else {
        GROUPS[(name_i % 10) as usize]
    };
    let date = match r.next(10) {
        0 => String::new(),
        1 => format!("202{}-0{}-1{}", r.next(5), 1 + r.next(9), r.next(10)),
        _ => format!(
            "{:02}/{:02}/202{}",
            1 + r.next(28),
            1 + r.next(12),
            r.next(5)
        ),
    };
    let details = format!(
        "Row {i}: a message, \"quoted\", seen on a phone{}",
        if r.next(5) == 0 {
            "\nwith a second line"
        } else {
            ""
        }
    );
    let actions = match r.next(4) {
        0 => String::new(),
        _ => format!("Spoke to the pupil ({i}); parents told."),
    };
    let initials = ["MAL", "JH", "DS", "", "PK"][r.next(5) as usize];
    let ack = ["TRUE", "FALSE", "yes", ""][r.next(4) as usize];
    let status = STATUSES[r.next(6) as usize];
    let (outcome, closed_at) = if status == "closed" {
        match r.next(3) {
            0 => ("", ""),
            1 => ("Resolved with the family", "2024-03-05T14:00:00Z"),
            _ => ("Warned the year group", "05/03/2024"),
        }
    } else {
        ("", "")
    };
    // A few keep their own reference; one is given twice in the file.
    let reference = if i % 97 == 5 {
        format!("OS-2021-{:04}", i / 97 + 1)
    } else if i == 1500 {
        "OS-2021-0001".to_string()
    } else {
        String::new()
    };
    let cells = [
        name,
        group.to_string(),
        date,
        details,
        actions,
        initials.to_string(),
        ack.to_string(),
        reference,
        CATEGORIES[r.next(6) as usize].to_string(),
        status.to_string(),
        ["", "FALSE", "TRUE"][r.next(3) as usize].to_string(),
        PLACES[r.next(5) as usize].to_string(),
        ["", "Snapchat", "TikTok"][r.next(3) as usize].to_string(),
        outcome.to_string(),
        closed_at.to_string(),
    ];
    cells
        .iter()
        .map(|c| quoted(c))
        .collect::<Vec<_>>()
        .join(",")
}

/// The seeded file of rows `from..to`, every 50th row a repeat of one
/// seven rows before it (a spreadsheet's copied line).
fn file(range: std::ops::Range<u64>, last: Option<&str>) -> String {
    let mut out = String::from(COLUMNS);
    out.push_str("\r\n");
    for i in range {
        out.push_str(&row(if i % 50 == 49 { i - 7 } else { i }));
        out.push_str("\r\n");
    }
    if let Some(last) = last {
        out.push_str(last);
        out.push_str("\r\n");
    }
    out
}

fn import(app: &TestApp, name: &str, contents: &str) -> Output {
    import_file_by_command(app, name, contents, &[])
}

/// Each value as `{:?}` shows it, between bars (tuples this long have no Debug).
macro_rules! cells {
    ($($e:expr),* $(,)?) => {
        [$(format!("{:?}", $e)),*].join(" | ")
    };
}

type IncidentA = (
    String,
    String,
    String,
    String,
    String,
    Option<i32>,
    Option<NaiveDate>,
    String,
    bool,
    String,
    Option<String>,
    String,
    String,
    String,
);
type IncidentB = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    NaiveDateTime,
    NaiveDateTime,
    i32,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    NaiveDate,
    bool,
);

/// What the import wrote, table by table, as lines with the random ids
/// replaced by references (incidents) and names (pupils), and the times
/// the imports ran at by labels.
fn dump(app: &TestApp) -> Vec<(&'static str, Vec<String>)> {
    let mut conn = app.conn();
    let school = app.school_id();
    let a: Vec<IncidentA> = incidents::table
        .filter(incidents::school_id.eq(&school))
        .select((
            incidents::id,
            incidents::reference,
            incidents::pupil_id,
            incidents::tutor_group,
            incidents::category_code,
            incidents::year_group,
            incidents::incident_date,
            incidents::location,
            incidents::child_at_risk,
            incidents::details,
            incidents::platform,
            incidents::actions_taken,
            incidents::search_text,
            incidents::status,
        ))
        .load(&mut conn)
        .unwrap();
    let b: Vec<IncidentB> = incidents::table
        .filter(incidents::school_id.eq(&school))
        .select((
            incidents::id,
            incidents::owner_role,
            incidents::staff_initials,
            incidents::owner_user_id,
            incidents::logged_by,
            incidents::reference,
            incidents::logged_at,
            incidents::updated_at,
            incidents::version,
            incidents::lg_acknowledged_by,
            incidents::lg_acknowledged_at,
            incidents::outcome,
            incidents::closed_at,
            incidents::idempotency_key,
            incidents::counted_on,
            incidents::about_headteacher,
        ))
        .load(&mut conn)
        .unwrap();
    type PupilRow = (String, String, Option<String>, Option<i32>, NaiveDateTime);
    let people: Vec<PupilRow> = pupils::table
        .filter(pupils::school_id.eq(&school))
        .select((
            pupils::id,
            pupils::name,
            pupils::tutor_group,
            pupils::year_group,
            pupils::created_at,
        ))
        .load(&mut conn)
        .unwrap();
    let reference: HashMap<String, String> = a.iter().map(|i| (i.0.clone(), i.1.clone())).collect();
    let pupil: HashMap<String, String> = people
        .iter()
        .map(|p| (p.0.clone(), format!("{} ({:?})", p.1, p.2)))
        .collect();
    // The times the imports ran at, in order: NOW1, NOW2.
    let nows: BTreeSet<NaiveDateTime> = b.iter().map(|i| i.6).collect();
    let label = |text: String| {
        let mut text = text;
        for (n, at) in nows.iter().enumerate() {
            text = text.replace(&format!("{at:?}"), &format!("NOW{}", n + 1));
        }
        for (n, day) in nows
            .iter()
            .map(|at| at.date())
            .collect::<BTreeSet<_>>()
            .iter()
            .enumerate()
        {
            text = text.replace(&format!("{day:?}"), &format!("TODAY{}", n + 1));
        }
        text
    };
    let mut tables = Vec::new();

    let mut lines: Vec<String> = a
        .iter()
        .map(|i| {
            let b = b.iter().find(|b| b.0 == i.0).unwrap();
            let pupil = pupil.get(&i.2).cloned().unwrap_or_default();
            label(cells!(
                i.1, pupil, i.3, i.4, i.5, i.6, i.7, i.8, i.9, i.10, i.11, i.12, i.13, b.1, b.2,
                b.3, b.4, b.5, b.6, b.7, b.8, b.9, b.10, b.11, b.12, b.13, b.14, b.15
            ))
        })
        .collect();
    lines.sort();
    tables.push(("incidents", lines));

    let mut lines: Vec<String> = people
        .iter()
        .map(|p| label(format!("{:?}", (&p.1, &p.2, p.3, p.4))))
        .collect();
    lines.sort();
    tables.push(("pupils", lines));

    type EventRow = (
        String,
        i32,
        i32,
        String,
        Option<String>,
        String,
        NaiveDateTime,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
    );
    let events: Vec<EventRow> = incident_events::table
        .filter(incident_events::school_id.eq(&school))
        .select((
            incident_events::incident_id,
            incident_events::seq,
            incident_events::incident_version,
            incident_events::kind,
            incident_events::by_user_id,
            incident_events::by_initials,
            incident_events::at,
            incident_events::text,
            incident_events::field,
            incident_events::old_value,
            incident_events::new_value,
            incident_events::reason,
            incident_events::visible_to_reporter,
        ))
        .load(&mut conn)
        .unwrap();
    let mut lines: Vec<String> = events
        .into_iter()
        .map(|e| {
            let incident = reference.get(&e.0).cloned().unwrap_or(e.0);
            label(cells!(
                incident, e.1, e.2, e.3, e.4, e.5, e.6, e.7, e.8, e.9, e.10, e.11, e.12
            ))
        })
        .collect();
    lines.sort();
    tables.push(("timeline", lines));

    let imports: Vec<(String, String, i32, String, NaiveDateTime)> = incident_imports::table
        .filter(incident_imports::school_id.eq(&school))
        .select((
            incident_imports::incident_id,
            incident_imports::import_file,
            incident_imports::import_line,
            incident_imports::import_key,
            incident_imports::imported_at,
        ))
        .load(&mut conn)
        .unwrap();
    let mut lines: Vec<String> = imports
        .into_iter()
        .map(|mut r| {
            r.0 = reference.get(&r.0).cloned().unwrap_or(r.0);
            label(format!("{r:?}"))
        })
        .collect();
    lines.sort();
    tables.push(("imports", lines));

    let counters: Vec<(i32, i32)> = incident_references::table
        .filter(incident_references::school_id.eq(&school))
        .select((incident_references::year, incident_references::last_seq))
        .load(&mut conn)
        .unwrap();
    let mut lines: Vec<String> = counters.iter().map(|c| format!("{c:?}")).collect();
    lines.sort();
    tables.push(("references", lines));

    type AuditRow = (
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        NaiveDateTime,
    );
    let audit: Vec<AuditRow> = audit_events::table
        .filter(audit_events::school_id.eq(&school))
        .filter(
            audit_events::action
                .eq("incident_logged")
                .or(audit_events::action.like("log_import%")),
        )
        .select((
            audit_events::actor_id,
            audit_events::action,
            audit_events::record_type,
            audit_events::record_id,
            audit_events::detail,
            audit_events::ip,
            audit_events::at,
        ))
        .load(&mut conn)
        .unwrap();
    let mut lines: Vec<String> = audit
        .into_iter()
        .map(|mut e| {
            e.3 = e.3.map(|id| reference.get(&id).cloned().unwrap_or(id));
            // An import that created nothing ran at a time no incident has.
            if e.1.starts_with("log_import") {
                e.6 = NaiveDateTime::default();
            }
            label(format!("{e:?}"))
        })
        .collect();
    lines.sort();
    tables.push(("audit", lines));
    tables
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/import-bulk-golden.txt")
}

/// Per table: its name, how many lines, and their digest.
fn digests(tables: &[(&'static str, Vec<String>)]) -> String {
    tables
        .iter()
        .map(|(name, lines)| {
            let mut h = Sha256::new();
            for l in lines {
                h.update(l.as_bytes());
                h.update(b"\n");
            }
            let d: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            format!("{name} {} {d}\n", lines.len())
        })
        .collect()
}

const ROWS: u64 = 2500;

async fn a_large_import_writes_what_the_row_by_row_import_wrote(backend: Backend) {
    let app = spawn_app(backend).await;
    let _ = app.school_id();
    let out = import(&app, "bulk.csv", &file(0..ROWS, None));
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("row(s) already imported were skipped"),
        "{said}"
    );
    // A later copy: the first hundred rows again, and fifty new ones.
    let out = import(&app, "later.csv", &file(0..100, None));
    assert!(out.status.success(), "{out:?}");
    let out = import(&app, "later.csv", &file(ROWS..ROWS + 50, None));
    assert!(out.status.success(), "{out:?}");

    let tables = dump(&app);
    let found = digests(&tables);
    let text: String = tables
        .iter()
        .flat_map(|(name, lines)| lines.iter().map(move |l| format!("{name} {l}\n")))
        .collect();
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    if std::env::var("SAFELOG_WRITE_IMPORT_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(golden_path(), &found).unwrap();
        std::fs::write(target.join("import-bulk-golden-dump.txt"), &text).unwrap();
    }
    let expected = std::fs::read_to_string(golden_path()).unwrap();
    if found != expected {
        std::fs::write(target.join("import-bulk-dump.txt"), text).unwrap();
    }
    assert_eq!(
        found, expected,
        "the import wrote other rows than the row-by-row import did: see target/import-bulk-dump.txt"
    );
}

async fn a_wrong_last_row_of_a_large_file_imports_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let _ = app.school_id();
    let before = counts(&app);
    let bad = "\"Amy Adams\",\"7A\",\"31/02/2021\",\"x\",\"\",\"MAL\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"";
    let text = file(0..ROWS, Some(bad));
    let last = text.lines().count();
    let out = import(&app, "bulk.csv", &text);
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("nothing was imported"), "{said}");
    assert!(
        said.contains(&format!(
            "line {last}, Incident Date: '31/02/2021' is not a date that exists"
        )),
        "{said}"
    );
    assert_eq!(
        said.matches("\n  line ").count(),
        1,
        "the one problem: {said}"
    );
    assert_eq!(counts(&app), before, "nothing of the file was written");
    let refused = crate::import::audit_details(&app, "log_import_refused");
    assert_eq!(refused.len(), 1, "{refused:?}");
}

on_both_backends!(
    a_large_import_writes_what_the_row_by_row_import_wrote,
    a_wrong_last_row_of_a_large_file_imports_nothing,
);
