//! The CSV export (PRODUCT.md "CSV for audits"): the spreadsheet's seven
//! columns, then safelog's own; UTF-8 with a byte-order mark, CRLF, RFC 4180
//! quoting, and no cell that a spreadsheet would run as a formula.
//!
//! It streams: incidents are read a batch at a time inside one read-only
//! snapshot and written as they are read (on a second thread, a batch or
//! two behind), so memory stays the same for ten incidents or a million. Before the first row leaves, the export and its
//! row count are in the audit trail (committed on a second connection, so a
//! download cut short is still on record).

use std::io::Write;

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::store::{self, Item, Lookups, Position, Scope};
use crate::audit::{self, Event};
use crate::db::dialect::read_snapshot;
use crate::db::DbPool;
use crate::error::AppError;
use crate::incidents::filters::Filters;
use crate::incidents::store::read::with_term_dates;
use crate::spreadsheet::cells::{safe, writer, BOM};
use crate::spreadsheet::columns::{SAFELOG, SPREADSHEET};

/// How many incidents are read at a time: big enough that the queries per
/// batch cost little per row, small enough that memory does not notice.
pub const BATCH: i64 = 1000;

/// Who is exporting, for the audit trail.
#[derive(Clone, Debug)]
pub struct Audit {
    pub actor: Option<String>,
    pub ip: Option<String>,
    /// "page", "api", "command line".
    pub via: &'static str,
    pub at: NaiveDateTime,
}

/// Why an export stopped.
#[derive(Debug)]
pub enum ExportError {
    /// Before anything was written: the caller can still answer with an error.
    Before(AppError),
    /// Part-way: what was written is incomplete.
    During(String),
}

impl From<diesel::result::Error> for ExportError {
    fn from(e: diesel::result::Error) -> Self {
        ExportError::During(e.to_string())
    }
}

/// The filters as the audit trail records them: dates, term, category and
/// status by value (none of them says anything about a pupil); any other
/// filter (a pupil, a tutor group, searched text) by name only.
pub fn describe(f: &Filters) -> String {
    let day = |d: Option<chrono::NaiveDate>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
    let term = match f.term {
        Some(t) => match t.term {
            Some(name) => format!("{} {}", t.year, name),
            None => format!("{} whole year", t.year),
        },
        None => "-".into(),
    };
    let mut out = format!(
        "from={}, to={}, term={}, category={}, status={}",
        day(f.from),
        day(f.to),
        term,
        f.category.as_deref().unwrap_or("-"),
        f.status.map_or("-", |s| s.as_str()),
    );
    let others: Vec<&str> = f
        .names()
        .into_iter()
        .filter(|n| !["from", "to", "term", "category", "status"].contains(n))
        .collect();
    if !others.is_empty() {
        out.push_str(&format!(", other filters: {}", others.join(" ")));
    }
    out
}

/// Writes the export of `scope` to `out`. `ready` is called with the row
/// count once the export is in the audit trail and before the first byte
/// is written (an error before then may come back as either variant: the
/// caller knows whether `ready` was called); returns how many rows were
/// written.
pub fn run<W: Write + Send>(
    pool: &DbPool,
    scope: &Scope,
    audit: &Audit,
    out: W,
    ready: &mut dyn FnMut(i64),
) -> Result<u64, ExportError> {
    let mut conn = pool
        .get()
        .map_err(|e| ExportError::Before(AppError::unavailable(e)))?;
    read_snapshot(&mut conn, |conn| {
        let before = |e: diesel::result::Error| ExportError::Before(e.into());
        let filters = with_term_dates(conn, &scope.school_id, &scope.filters).map_err(before)?;
        let scope = Scope {
            filters,
            ..scope.clone()
        };
        let rows = store::count(conn, &scope).map_err(before)?;
        let mut trail = pool
            .get()
            .map_err(|e| ExportError::Before(AppError::unavailable(e)))?;
        let mut event = Event::new("log_exported", audit.at)
            .school(&scope.school_id)
            .ip(audit.ip.as_deref())
            .detail(format!(
                "{}; rows={rows}; via {}",
                describe(&scope.filters),
                audit.via
            ));
        event.actor_id = audit.actor.clone();
        audit::store::insert(&mut trail, &event).map_err(before)?;
        drop(trail);
        ready(rows);
        write_rows(conn, &scope, out)
    })
}

/// Reads the batches on this thread and writes their rows on another, a
/// batch or two behind: the database and the CSV each keep a core busy.
fn write_rows<W: Write + Send>(
    conn: &mut crate::db::AnyConnection,
    scope: &Scope,
    out: W,
) -> Result<u64, ExportError> {
    let (batches, received) = std::sync::mpsc::sync_channel::<Vec<Item>>(2);
    std::thread::scope(|s| {
        let writer = s.spawn(move || write_items(out, received));
        let read = read_batches(conn, scope, &batches);
        // The writer finishes once the last batch is through.
        drop(batches);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(ExportError::During("the CSV writer stopped".into())));
        // A write that failed stops the reading too (the batch it would
        // have sent has nowhere to go): the writer's error says why.
        match (read, written) {
            (Ok(()), Ok(n)) => Ok(n),
            (_, Err(e)) | (Err(e), Ok(_)) => Err(e),
        }
    })
}

/// Each batch of the export, hydrated, to `batches` until the last or until
/// the writer has gone.
fn read_batches(
    conn: &mut crate::db::AnyConnection,
    scope: &Scope,
    batches: &std::sync::mpsc::SyncSender<Vec<Item>>,
) -> Result<(), ExportError> {
    let mut lookups = Lookups::for_export(conn, &scope.school_id)?;
    let mut after: Option<Position> = None;
    loop {
        let rows = store::batch(conn, scope, after.as_ref(), BATCH)?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = Some((last.logged_at, last.reference.clone()));
        let full = rows.len() as i64 == BATCH;
        let items = store::hydrate(conn, &scope.school_id, rows, &mut lookups)?;
        if batches.send(items).is_err() || !full {
            return Ok(());
        }
    }
}

/// The byte-order mark, the header and a row for each item received.
fn write_items<W: Write>(
    mut out: W,
    batches: std::sync::mpsc::Receiver<Vec<Item>>,
) -> Result<u64, ExportError> {
    let io = |e: std::io::Error| ExportError::During(e.to_string());
    let csv_err = |e: csv::Error| ExportError::During(e.to_string());
    out.write_all(BOM.as_bytes()).map_err(io)?;
    let mut w = writer(out);
    w.write_record(SPREADSHEET.iter().chain(SAFELOG.iter()))
        .map_err(csv_err)?;
    let mut written = 0u64;
    for items in batches {
        for item in items {
            // Cell by cell, each borrowed from the incident where it can
            // be: a million rows are 28 million cells.
            for cell in cells(&item) {
                w.write_field(safe(&cell).as_bytes()).map_err(csv_err)?;
            }
            w.write_record(None::<&[u8]>).map_err(csv_err)?;
            written += 1;
        }
    }
    w.flush().map_err(io)?;
    Ok(written)
}

/// `dd/mm/yyyy`, as chrono's `%d/%m/%Y` writes it (without parsing the
/// pattern again for every cell).
fn day(d: NaiveDate) -> String {
    if (0..=9999).contains(&d.year()) {
        format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
    } else {
        d.format("%d/%m/%Y").to_string()
    }
}

/// ISO 8601 UTC to the second, as chrono's `%Y-%m-%dT%H:%M:%SZ` writes it.
fn iso(t: NaiveDateTime) -> String {
    if (0..=9999).contains(&t.year()) {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

fn yes_no(b: bool) -> Cow<'static, str> {
    Cow::Borrowed(if b { "TRUE" } else { "FALSE" })
}

fn text(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}

fn optional(s: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(s.as_deref().unwrap_or_default())
}

/// One incident's row, before formula-proofing: the seven spreadsheet
/// columns, then [`SAFELOG`]'s, in their order.
pub fn cells(item: &Item) -> Vec<Cow<'_, str>> {
    if let Some(t) = &item.view.tombstone {
        return tombstone_cells(item, t);
    }
    let v = &item.view;
    let i = &v.incident;
    let others: Vec<String> = v
        .others
        .iter()
        .map(|o| match &o.pupil.tutor_group {
            Some(g) => format!("{} ({g}, {})", o.pupil.name, o.role.as_str()),
            None => format!("{} ({})", o.pupil.name, o.role.as_str()),
        })
        .collect();
    let referrals: Vec<String> = item
        .referrals
        .iter()
        .map(|r| {
            let mut s = format!(
                "{}, {}",
                crate::cases::forms::Agency::label_of(&r.agency),
                day(r.referred_on)
            );
            match r.reference.as_deref().filter(|x| !x.is_empty()) {
                Some(reference) => s.push_str(&format!(", ref {reference}")),
                None => s.push_str(", reference to follow"),
            }
            s
        })
        .collect();
    let logged_by = match (&item.logged_by, &item.imported) {
        (Some(name), _) => text(name),
        (None, Some((file, line))) => Cow::Owned(format!("Imported from {file}, line {line}")),
        (None, None) => text(""),
    };
    let acknowledged_by = match (&item.acknowledged_by, i.lg_acknowledged_at) {
        (Some(name), _) => text(name),
        (None, Some(_)) => text("Imported (not recorded)"),
        (None, None) => text(""),
    };
    let when = |t: Option<NaiveDateTime>| t.map(iso).map_or(text(""), Cow::Owned);
    vec![
        text(&v.pupil.name),
        text(&i.tutor_group),
        i.incident_date.map(day).map_or(text(""), Cow::Owned),
        text(&i.details),
        // Most incidents have only the actions typed when they were logged.
        if v.actions.is_empty() && (i.outcome.is_none() || !v.full) {
            text(&i.actions_taken)
        } else {
            Cow::Owned(v.actions_outcome())
        },
        text(&i.staff_initials),
        yes_no(i.lg_acknowledged_at.is_some()),
        // safelog's own.
        text(&i.reference),
        text(&v.category.name),
        text(&v.category.four_c),
        text(i.owner().label()),
        text(i.status().label()),
        yes_no(i.child_at_risk),
        text(i.location().label()),
        optional(&i.platform),
        joined(others, "; "),
        logged_by,
        Cow::Owned(iso(i.logged_at)),
        acknowledged_by,
        when(i.lg_acknowledged_at),
        joined(referrals, "; "),
        optional(&i.outcome),
        when(i.closed_at),
        optional(&v.pupil.child_identifier),
        optional(&v.pupil.nhs_number),
        Cow::Owned(decisions(item)),
        Cow::Owned(shares(item)),
        Cow::Owned(attachments(item)),
    ]
}

/// `parts` joined by `between`; no allocation when there are none.
fn joined(parts: Vec<String>, between: &str) -> Cow<'static, str> {
    if parts.is_empty() {
        Cow::Borrowed("")
    } else {
        Cow::Owned(parts.join(between))
    }
}

/// A destroyed record's row: what its tombstone keeps (reference,
/// category, dates, status, who logged and acknowledged it, the referrals'
/// agencies and dates, so that counts still add up), the tombstone's words
/// in place of the details, and every other cell empty.
fn tombstone_cells<'a>(
    item: &'a Item,
    t: &crate::incidents::model::Tombstone,
) -> Vec<Cow<'a, str>> {
    let v = &item.view;
    let i = &v.incident;
    let referrals: Vec<String> = item
        .referrals
        .iter()
        .map(|r| {
            format!(
                "{}, {}",
                crate::cases::forms::Agency::label_of(&r.agency),
                day(r.referred_on)
            )
        })
        .collect();
    let when = |t: Option<NaiveDateTime>| t.map(iso).map_or(text(""), Cow::Owned);
    vec![
        text(""),
        text(""),
        i.incident_date.map(day).map_or(text(""), Cow::Owned),
        Cow::Owned(t.sentence()),
        text(""),
        text(&i.staff_initials),
        yes_no(i.lg_acknowledged_at.is_some()),
        text(&i.reference),
        text(&v.category.name),
        text(&v.category.four_c),
        text(i.owner().label()),
        text(i.status().label()),
        yes_no(i.child_at_risk),
        text(i.location().label()),
        text(""),
        text(""),
        optional(&item.logged_by),
        Cow::Owned(iso(i.logged_at)),
        optional(&item.acknowledged_by),
        when(i.lg_acknowledged_at),
        joined(referrals, "; "),
        text(""),
        when(i.closed_at),
        text(""),
        text(""),
        text(""),
        text(""),
        text(""),
    ]
}

/// "No further action (12/11/2025): reason; …".
pub fn decisions(item: &Item) -> String {
    item.decisions
        .iter()
        .map(|d| {
            format!(
                "{} ({}): {}",
                crate::cases::forms::Decision::label_of(&d.decision),
                day(d.decided_at.date()),
                d.reason
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Each share: with whom, when, the lawful basis, what and why.
pub fn shares(item: &Item) -> String {
    item.shares
        .iter()
        .map(|x| {
            let with = match &x.person {
                Some(p) => format!("{} ({p})", x.shared_with),
                None => x.shared_with.clone(),
            };
            format!(
                "{with}, {}, {}: {}; reason: {}",
                day(x.shared_on),
                crate::cases::forms::LawfulBasis::label_of(&x.lawful_basis),
                x.what,
                x.reason
            )
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Each file by name and SHA-256, so the evidence can be matched later.
pub fn attachments(item: &Item) -> String {
    item.attachments
        .iter()
        .map(|a| {
            let mut s = format!("{} (sha256 {})", a.name, a.sha256);
            if a.entered_in_error() {
                s.push_str(" [entered in error]");
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::filters::TermFilter;
    use crate::incidents::model::Status;
    use crate::reports::terms::TermName;

    #[test]
    fn the_trail_gets_dates_term_category_and_status_but_only_names_of_other_filters() {
        let f = Filters {
            from: chrono::NaiveDate::from_ymd_opt(2025, 9, 1),
            term: Some(TermFilter {
                year: 2025,
                term: Some(TermName::Autumn),
            }),
            category: Some("online-bullying".into()),
            status: Some(Status::New),
            pupil: Some("Zoë Smith".into()),
            q: Some("snapchat".into()),
            ..Default::default()
        };
        let d = describe(&f);
        assert_eq!(
            d,
            "from=2025-09-01, to=-, term=2025 autumn, category=online-bullying, status=new, other filters: pupil text"
        );
        assert!(!d.contains("Zoë") && !d.contains("snapchat"));
    }

    #[test]
    fn every_row_has_a_cell_for_every_header() {
        assert_eq!(SPREADSHEET.len() + SAFELOG.len(), 28);
    }
}
