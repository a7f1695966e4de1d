//! The annual filtering and monitoring review, for the governing board
//! (KCSIE: governors review the effectiveness of filtering and monitoring
//! at least once a year). For one academic year (autumn's first day to the
//! day before next autumn, by the school's term dates): the alerts by
//! source, severity and outcome, the median time to a first look, the
//! alerts promoted and the categories of the incidents they became, the
//! incidents in `filtering-breach`, and the register of filtering
//! decisions. Counts from 1 to k-1 are shown as "<k" as in the termly
//! report; the DSL or headteacher publishes it, frozen as a JSON snapshot
//! as termly reports are, and governors read only what was published.
//! Nothing in it names a pupil: counts, and the register's entries about
//! what the filtering blocks or allows.

mod pages;
pub mod store;
mod views;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::model::{DismissReason, Severity, Status};
use crate::auth::{Access, Role, Router};
use crate::db::AnyConnection;
use crate::reports::model::Count;

/// Who reads the review: governors (what was published) and the leads who
/// see it live.
pub const READER_ROLES: &[Role] = &[
    Role::Governor,
    Role::Dsl,
    Role::Headteacher,
    Role::OnlineSafetyLead,
];
/// Who prepares and publishes it: the DSL (responsible for filtering and
/// monitoring) and the headteacher.
pub const PUBLISHER_ROLES: &[Role] = &[Role::Dsl, Role::Headteacher];
/// Who keeps the register of filtering decisions.
pub const REGISTER_ROLES: &[Role] = &[Role::Dsl, Role::OnlineSafetyLead, Role::Admin];

pub fn routes(r: &mut Router<'_>) {
    let readers = Access::Roles(READER_ROLES);
    let publishers = Access::Roles(PUBLISHER_ROLES);
    let register = Access::Roles(REGISTER_ROLES);
    // The register before "{year}", which would take "decisions".
    r.get("/filtering-review/decisions", register, pages::register)
        .post("/filtering-review/decisions", register, pages::add_decision)
        .get("/filtering-review", readers, pages::list)
        .get("/filtering-review/{year}", readers, pages::show)
        .post(
            "/filtering-review/{year}/commentary",
            publishers,
            pages::save_commentary,
        )
        .post(
            "/filtering-review/{year}/publish",
            publishers,
            pages::publish,
        );
}

/// One entry of the register of filtering decisions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub id: String,
    pub decided_on: NaiveDate,
    /// What changed: what the filtering now blocks or allows.
    pub change: String,
    /// Who decided (as the school writes it: a name or a role).
    pub decided_by: String,
    pub reason: String,
    /// The entry this one corrects, if any.
    pub corrects_id: Option<String>,
    pub recorded_at: NaiveDateTime,
    /// Who recorded it in safelog.
    pub recorded_by: String,
}

/// Every figure of a year's review, exact. Serialized into a publication,
/// so fields are only ever added (with `serde(default)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub alerts: i64,
    pub by_source: Vec<Count>,
    pub by_severity: Vec<Count>,
    pub by_outcome: Vec<Count>,
    /// Alerts looked at, and the median minutes from arrival to the first
    /// look over them (None when none was looked at).
    pub looked_at: i64,
    pub median_minutes_to_first_look: Option<i64>,
    pub promoted: i64,
    /// The categories of the incidents promoted alerts became, by code.
    pub promoted_became: Vec<Count>,
    pub filtering_breach_incidents: i64,
    pub decisions: Vec<Decision>,
}

/// What a publication stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub k: i32,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub figures: Figures,
}

#[derive(Clone, Debug)]
pub struct Publication {
    pub version: i32,
    pub snapshot: Snapshot,
    pub commentary: String,
    pub reason: Option<String>,
    pub published_at: NaiveDateTime,
    pub published_by: String,
}

/// A year's review as a page shows it.
#[derive(Clone, Debug)]
pub struct Review {
    pub year: i32,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// The figures now (for a governor's copy: the published ones).
    pub live: Figures,
    pub published: Option<Publication>,
    pub k: i32,
    pub draft: Option<String>,
    pub in_progress: bool,
}

impl Review {
    /// The published figures once published, else the live ones.
    pub fn figures(&self) -> &Figures {
        self.published
            .as_ref()
            .map_or(&self.live, |p| &p.snapshot.figures)
    }

    /// A published review keeps its own k unless the school has raised it.
    pub fn k(&self) -> i32 {
        self.published
            .as_ref()
            .map_or(self.k, |p| p.snapshot.k.max(self.k))
    }

    pub fn cell(&self, n: i64) -> crate::reports::model::Shown {
        crate::reports::model::Shown::cell(n, self.k())
    }

    /// Whether the live figures differ from the published ones.
    pub fn changed_since_publishing(&self) -> bool {
        self.published
            .as_ref()
            .is_some_and(|p| p.snapshot.figures != self.live)
    }

    /// "2025/26".
    pub fn label(&self) -> String {
        year_label(self.year)
    }
}

pub fn year_label(year: i32) -> String {
    format!("{year}/{:02}", (year + 1) % 100)
}

/// The academic year's days: autumn's first day to the day before next
/// autumn begins (the school's dates, or 1 September to 31 August).
pub fn window(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
) -> diesel::QueryResult<(NaiveDate, NaiveDate)> {
    let [autumn, _, summer] = crate::reports::store::year(conn, school_id, year)?;
    let w = crate::reports::store::window(conn, school_id, &summer)?;
    Ok((autumn.starts_on, w.last))
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// The outcome lines, in the order the review lists them.
fn outcome_lines() -> Vec<(String, String)> {
    let mut lines = vec![
        (
            "open".to_string(),
            "Open: not yet acknowledged or decided".to_string(),
        ),
        (
            Status::Acknowledged.as_str().to_string(),
            "Acknowledged, not yet decided".to_string(),
        ),
    ];
    for r in DismissReason::ALL {
        lines.push((
            format!("dismissed_{}", r.as_str()),
            format!("Dismissed: {}", r.label().to_lowercase()),
        ));
    }
    lines.push((
        Status::Promoted.as_str().to_string(),
        "Promoted to an incident".to_string(),
    ));
    lines
}

/// Counts a year's figures as they stand now.
pub fn compute(
    conn: &mut AnyConnection,
    school_id: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> diesel::QueryResult<Figures> {
    let end = midnight(last) + Duration::days(1);
    let rows = store::alerts_between(conn, school_id, midnight(first), end)?;
    let names = store::category_names(conn, school_id)?;

    let mut by_source: Vec<Count> = Vec::new();
    let mut by_severity: Vec<Count> = Severity::ALL
        .iter()
        .map(|s| Count::new(s.as_str(), s.label(), 0))
        .collect();
    let mut by_outcome: Vec<Count> = outcome_lines()
        .into_iter()
        .map(|(k, l)| Count::new(k, l, 0))
        .collect();
    let mut to_look = Vec::new();
    let mut incidents = Vec::new();
    for (source_key, source, severity, status, reason, received, looked, incident) in &rows {
        match by_source.iter_mut().find(|c| &c.key == source_key) {
            Some(c) => c.count += 1,
            None => by_source.push(Count::new(source_key, source, 1)),
        }
        if let Some(c) = by_severity.iter_mut().find(|c| &c.key == severity) {
            c.count += 1;
        }
        let outcome = match Status::parse(status) {
            Some(Status::Dismissed) => format!(
                "dismissed_{}",
                reason
                    .as_deref()
                    .and_then(DismissReason::parse)
                    .unwrap_or(DismissReason::Other)
                    .as_str()
            ),
            Some(Status::New) | None => "open".to_string(),
            Some(s) => s.as_str().to_string(),
        };
        if let Some(c) = by_outcome.iter_mut().find(|c| c.key == outcome) {
            c.count += 1;
        }
        if let Some(l) = looked {
            to_look.push((*l - *received).num_minutes().max(0));
        }
        if let Some(i) = incident {
            incidents.push(i.clone());
        }
    }
    by_source.sort_by(|a, b| a.label.cmp(&b.label).then(a.key.cmp(&b.key)));

    let mut promoted_became: Vec<Count> = Vec::new();
    for code in store::categories_of(conn, school_id, &incidents)? {
        match promoted_became.iter_mut().find(|c| c.key == code) {
            Some(c) => c.count += 1,
            None => {
                let label = names
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map_or_else(|| code.clone(), |(_, n)| n.clone());
                promoted_became.push(Count::new(&code, label, 1));
            }
        }
    }
    // In the order staff see the categories.
    promoted_became.sort_by_key(|c| {
        names
            .iter()
            .position(|(code, _)| *code == c.key)
            .unwrap_or(usize::MAX)
    });

    Ok(Figures {
        alerts: rows.len() as i64,
        by_source,
        by_severity,
        by_outcome,
        looked_at: to_look.len() as i64,
        median_minutes_to_first_look: median(to_look),
        promoted: rows
            .iter()
            .filter(|r| Status::parse(&r.3) == Some(Status::Promoted))
            .count() as i64,
        promoted_became,
        filtering_breach_incidents: store::incidents_in(
            conn,
            school_id,
            "filtering-breach",
            first,
            last,
        )?,
        decisions: store::decisions(conn, school_id, Some((first, last)))?,
    })
}

/// A lead's copy of a year's review: live figures, the publication, the draft.
pub fn load(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    today: NaiveDate,
) -> diesel::QueryResult<Review> {
    let (first, last) = window(conn, school_id, year)?;
    Ok(Review {
        year,
        first,
        last,
        live: compute(conn, school_id, first, last)?,
        published: store::publication(conn, school_id, year)?,
        k: crate::reports::store::min_count(conn, school_id)?,
        draft: store::draft(conn, school_id, year)?,
        in_progress: today <= last,
    })
}

/// A governor's copy: the latest publication and nothing live; None when
/// the year has not been published.
pub fn load_published(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    today: NaiveDate,
) -> diesel::QueryResult<Option<Review>> {
    let Some(p) = store::publication(conn, school_id, year)? else {
        return Ok(None);
    };
    Ok(Some(Review {
        year,
        first: p.snapshot.first,
        last: p.snapshot.last,
        live: p.snapshot.figures.clone(),
        k: crate::reports::store::min_count(conn, school_id)?,
        draft: None,
        in_progress: today <= p.snapshot.last,
        published: Some(p),
    }))
}

/// The academic year a date falls in (by the school's autumn start).
pub fn year_of(
    conn: &mut AnyConnection,
    school_id: &str,
    date: NaiveDate,
) -> diesel::QueryResult<i32> {
    let t = crate::reports::store::term_containing(conn, school_id, date)?;
    Ok(t.year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dismiss_reason_has_its_outcome_line() {
        let lines = outcome_lines();
        assert_eq!(lines.len(), 3 + DismissReason::ALL.len());
        assert!(lines.iter().any(|(k, _)| k == "dismissed_false_positive"));
        assert_eq!(median(vec![30, 10, 20, 40]), Some(25));
    }
}
