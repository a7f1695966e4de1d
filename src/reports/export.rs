//! A report as JSON (`GET /api/v1/reports/termly`) and as CSV: the same
//! figures the page shows, suppressed the same way. Neither holds anything
//! about a pupil: counts, term dates, months, and the published commentary.

use serde::Serialize;

use super::model::{Count, Report, Shown, SECTIONS};
use super::terms::Term;
use crate::spreadsheet::cells;

#[derive(Serialize)]
pub struct ReportJson<'a> {
    pub term: &'a Term,
    /// The days counted: the term and the holiday after it.
    pub counted_from: String,
    pub counted_to: String,
    /// Counts from 1 to this minus one are shown as "<k".
    pub k: i32,
    pub total: i64,
    pub previous_term_total: i64,
    pub same_term_last_year_total: i64,
    pub by_category: Vec<CountJson<'a>>,
    pub by_four_c: Vec<CountJson<'a>>,
    pub by_year_group: Vec<CountJson<'a>>,
    pub by_month: Vec<CountJson<'a>>,
    pub by_location: Vec<CountJson<'a>>,
    pub referrals_by_agency: Vec<CountJson<'a>>,
    pub acknowledged: i64,
    pub median_hours_to_acknowledge: Option<f64>,
    pub open_at_end_of_term: i64,
    pub referrals_awaiting_reference: i64,
    /// No further action, not referred and not shared, each with its
    /// reason, decided during the term.
    pub decisions: Vec<CountJson<'a>>,
    pub commentary: Option<&'a str>,
    pub published_at: Option<String>,
    pub version: Option<i32>,
    /// Set when the live figures no longer match the published ones.
    pub changed_since_publishing: Option<ChangedJson>,
}

/// A line: its stable key (for categories, the code, so that a category
/// renamed later is the same line), the name it was counted under, and
/// the count as shown.
#[derive(Serialize)]
pub struct CountJson<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub count: Shown,
}

/// The live totals beside the frozen figures, and which parts changed.
#[derive(Serialize)]
pub struct ChangedJson {
    pub changed: Vec<&'static str>,
    pub total: i64,
    pub previous_term_total: i64,
    pub same_term_last_year_total: i64,
    pub acknowledged: i64,
    pub median_hours_to_acknowledge: Option<f64>,
    pub open_at_end_of_term: i64,
}

fn utc(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn json<'a>(r: &'a Report) -> ReportJson<'a> {
    let f = r.figures();
    let w = r.shown_window();
    let k = r.k();
    let rows = |rows: &'a [Count]| -> Vec<CountJson<'a>> {
        rows.iter()
            .map(|c| CountJson {
                key: &c.key,
                label: &c.label,
                count: Shown::cell(c.count, k),
            })
            .collect()
    };
    let changes = r.changes();
    ReportJson {
        term: r.shown_term(),
        counted_from: w.first.to_string(),
        counted_to: w.last.to_string(),
        k: r.k(),
        total: f.total,
        previous_term_total: f.previous_term_total,
        same_term_last_year_total: f.same_term_last_year_total,
        by_category: rows(&f.by_category),
        by_four_c: rows(&f.by_four_c),
        by_year_group: rows(&f.by_year_group),
        by_month: rows(&f.by_month),
        by_location: rows(&f.by_location),
        referrals_by_agency: rows(&f.referrals_by_agency),
        acknowledged: f.acknowledged,
        median_hours_to_acknowledge: f.median_hours_to_acknowledge,
        open_at_end_of_term: f.open_at_end_of_term,
        referrals_awaiting_reference: f.referrals_awaiting_reference,
        decisions: rows(&f.decisions),
        commentary: r.commentary(),
        published_at: r.published.as_ref().map(|p| utc(p.published_at)),
        version: r.published.as_ref().map(|p| p.version),
        changed_since_publishing: (!changes.is_empty()).then_some(ChangedJson {
            changed: changes,
            total: r.live.total,
            previous_term_total: r.live.previous_term_total,
            same_term_last_year_total: r.live.same_term_last_year_total,
            acknowledged: r.live.acknowledged,
            median_hours_to_acknowledge: r.live.median_hours_to_acknowledge,
            open_at_end_of_term: r.live.open_at_end_of_term,
        }),
    }
}

/// The report as a spreadsheet: `section,key,label,count`, one line per
/// figure, the same keys and suppressed cells as the JSON. Every cell is
/// written so that no spreadsheet runs it as a formula.
pub fn csv(r: &Report) -> Result<Vec<u8>, csv::Error> {
    let f = r.figures();
    let t = r.shown_term();
    let w = r.shown_window();
    let mut out = cells::writer(cells::BOM.as_bytes().to_vec());
    let mut line = |section: &str, key: &str, label: &str, count: &str| {
        out.write_record([
            cells::safe(section).as_ref(),
            cells::safe(key).as_ref(),
            cells::safe(label).as_ref(),
            cells::safe(count).as_ref(),
        ])
    };
    line("section", "key", "label", "count")?;
    line("report", "term", &t.label(), "")?;
    line("report", "counted_from", &w.first.to_string(), "")?;
    line("report", "counted_to", &w.last.to_string(), "")?;
    line(
        "report",
        "k",
        "Counts from 1 to k-1 are shown as <k",
        &r.k().to_string(),
    )?;
    let published = r
        .published
        .as_ref()
        .map(|p| format!("{} (version {})", utc(p.published_at), p.version));
    line(
        "report",
        "published_at",
        published.as_deref().unwrap_or("not published"),
        "",
    )?;
    line("totals", "total", &t.label(), &f.total.to_string())?;
    line(
        "totals",
        "previous_term_total",
        &r.previous.label(),
        &f.previous_term_total.to_string(),
    )?;
    line(
        "totals",
        "same_term_last_year_total",
        &r.same_term_last_year.label(),
        &f.same_term_last_year_total.to_string(),
    )?;
    for (name, _) in SECTIONS {
        for c in f.section(name) {
            line(name, &c.key, &c.label, &r.cell(c.count).to_string())?;
        }
    }
    line(
        "acknowledgement",
        "acknowledged",
        "Acknowledged by leadership by the end of term",
        &f.acknowledged.to_string(),
    )?;
    let median = f
        .median_hours_to_acknowledge
        .map(|h| format!("{h:.1}"))
        .unwrap_or_default();
    line(
        "acknowledgement",
        "median_hours_to_acknowledge",
        "Median hours from logging to acknowledgement",
        &median,
    )?;
    line(
        "open",
        "open_at_end_of_term",
        "Cases still open at the end of term",
        &f.open_at_end_of_term.to_string(),
    )?;
    line(
        "referrals",
        "awaiting_reference",
        "Referrals still waiting for the agency's reference",
        &f.referrals_awaiting_reference.to_string(),
    )?;
    for c in &f.decisions {
        line("decisions", &c.key, &c.label, &r.cell(c.count).to_string())?;
    }
    if let Some(text) = r.commentary() {
        line("commentary", "commentary", text, "")?;
    }
    let changes = r.changes();
    if !changes.is_empty() {
        line(
            "changed_since_publishing",
            "total",
            "Live total now (the figures above are as published)",
            &r.live.total.to_string(),
        )?;
        line(
            "changed_since_publishing",
            "changed",
            &changes.join(" "),
            "",
        )?;
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}
