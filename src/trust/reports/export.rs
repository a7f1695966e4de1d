//! A trust report as a spreadsheet: the table as the page shows it, one
//! line per figure and one column per school (the whole trust first, the
//! other schools last), suppressed exactly as on the page. Every cell is
//! written so that no spreadsheet runs it as a formula (a school's or a
//! category's name is typed by people).

use super::model::TrustReport;
use super::table::{Median, Table};
use crate::spreadsheet::cells;

fn utc(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn csv(r: &TrustReport, t: &Table) -> Result<Vec<u8>, csv::Error> {
    let s = r.snapshot();
    let mut out = cells::writer(cells::BOM.as_bytes().to_vec());
    let width = 3 + t.columns.len();
    let mut line = |fields: Vec<String>| {
        let mut row: Vec<String> = fields
            .into_iter()
            .map(|f| cells::safe(&f).into_owned())
            .collect();
        row.resize(width, String::new());
        out.write_record(&row)
    };
    let mut head = vec!["section".to_string(), "key".into(), "label".into()];
    head.extend(t.columns.iter().map(|c| c.heading.clone()));
    line(head)?;
    let meta = |key: &str, label: String, value: String| {
        vec!["report".to_string(), key.to_string(), label, value]
    };
    line(meta("trust", r.trust_name.clone(), String::new()))?;
    line(meta("term", s.label(), String::new()))?;
    line(meta(
        "k",
        "Counts from 1 to k-1 are shown as <k".into(),
        t.k.to_string(),
    ))?;
    line(meta(
        "withheld",
        "[c]: withheld so that a count under k cannot be worked out from the others".into(),
        String::new(),
    ))?;
    let published = r
        .published
        .as_ref()
        .map(|p| format!("{} (version {})", utc(p.published_at), p.version));
    line(meta(
        "published_at",
        published.unwrap_or_else(|| "not published".into()),
        String::new(),
    ))?;
    let mut counted = vec![
        "report".to_string(),
        "counted".into(),
        "Days counted".into(),
    ];
    counted.extend(t.columns.iter().map(|c| match c.window {
        Some((from, to)) => format!("{from} to {to}"),
        None => "each school's own term".into(),
    }));
    line(counted)?;
    for section in &t.sections {
        for l in &section.lines {
            let mut row = vec![section.key.to_string(), l.key.clone(), l.label.clone()];
            row.extend(l.cells.iter().map(ToString::to_string));
            line(row)?;
        }
        if section.key == "acknowledgement" {
            let mut row = vec![
                section.key.to_string(),
                "median_hours_to_acknowledge".into(),
                "Median hours from logging to acknowledgement".into(),
            ];
            row.extend(t.medians.iter().map(|m| match m {
                Median::Hours(h) => format!("{h:.1}"),
                Median::NoneAcknowledged | Median::NotKnown => String::new(),
                Median::Withheld => "[c]".into(),
            }));
            line(row)?;
        }
    }
    if let Some(text) = r.commentary() {
        line(vec![
            "commentary".into(),
            "commentary".into(),
            text.to_string(),
        ])?;
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}
