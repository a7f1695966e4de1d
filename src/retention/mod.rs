//! Retention (issue 16): when each record is reviewed, the review queue of
//! the DPO and the DSL, the decision at review (keep, with a reason and a
//! new review date; or destroy), legal holds, and the pupils whose date of
//! birth is missing.
//!
//! Safeguarding records are reviewed at the pupil's date of birth + 25
//! years (the latest of the record's pupils); the school may give other
//! categories a shorter period ([`model`]). "Destroy" erases the narrative
//! in place ([`store::erase`]: the text of every version, the files and
//! their names, the pupils) and keeps a tombstone: the incident row with
//! its reference, category and dates, and the destroy decision (who, when,
//! in which role, why), so that reports, exports and the audit trail still
//! add up. A legal hold stops any destruction of the records it names (by
//! incident, or every record of a pupil) until it is lifted with a reason.
//! Nothing here is deleted: decisions and holds are only ever added to.

mod handlers;
pub mod holds;
pub mod model;
pub mod store;
mod views;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

use crate::audit::{self, Event};
use crate::auth::{Access, Role, Router};
use crate::categories::Category;
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::incidents::Viewer;
use model::{Period, Review};
use store::{Candidate, PupilDates};

/// The review queue and its decisions: the DPO and the DSL.
pub const REVIEWER_ROLES: &[Role] = &[Role::Dpo, Role::Dsl];
const REVIEWERS: Access = Access::Roles(REVIEWER_ROLES);
/// Legal holds: the DPO, the DSL and the headteacher.
pub const HOLDER_ROLES: &[Role] = &[Role::Dpo, Role::Dsl, Role::Headteacher];
const HOLDERS: Access = Access::Roles(HOLDER_ROLES);
/// The school's periods are the DPO's to set.
const PERIOD_SETTERS: Access = Access::Roles(&[Role::Dpo]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/retention", REVIEWERS, handlers::queue)
        .get("/retention/incidents/{id}", REVIEWERS, handlers::review)
        .post("/retention/incidents/{id}", REVIEWERS, handlers::decide)
        .post(
            "/retention/pupils/{id}/date-of-birth",
            REVIEWERS,
            handlers::birth_date,
        )
        .get("/retention/periods", REVIEWERS, handlers::periods)
        .post("/retention/periods", PERIOD_SETTERS, handlers::save_period)
        .get("/retention/holds", HOLDERS, handlers::holds)
        .post("/retention/holds", HOLDERS, handlers::create_hold)
        .post(
            "/retention/holds/{id}/records",
            HOLDERS,
            handlers::add_to_hold,
        )
        .post("/retention/holds/{id}/lift", HOLDERS, handlers::lift_hold)
        .get("/api/v1/retention/due", REVIEWERS, handlers::api_due);
}

/// One record as the review sees it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub record: Candidate,
    pub category_name: String,
    pub period: Period,
    pub review: Review,
    /// The active holds naming it (directly or by one of its pupils).
    pub holds: Vec<(String, String)>,
    /// Whether the reviewer may open the record itself.
    pub readable: bool,
}

impl Entry {
    /// Its review date, when it has one and it is on or before `today`.
    pub fn due_on(&self, today: NaiveDate) -> Option<NaiveDate> {
        match self.review {
            Review::On(d) if d <= today => Some(d),
            _ => None,
        }
    }
}

/// A pupil whose missing date of birth leaves records undated.
#[derive(Clone, Debug)]
pub struct Undated {
    pub pupil: PupilDates,
    pub records: usize,
}

/// The review queue: records due (oldest review date first), and pupils
/// with no date of birth.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    pub due: Vec<Entry>,
    pub undated: Vec<Undated>,
    /// Records the reviewer oversees that are not yet due.
    pub later: usize,
}

/// What every entry is worked out from, read once.
struct Facts {
    categories: HashMap<String, Category>,
    periods: HashMap<String, Period>,
    pupils: HashMap<String, PupilDates>,
    others: HashMap<String, Vec<String>>,
    kept: HashMap<String, NaiveDate>,
    holds: Vec<store::Hold>,
    hold_records: Vec<store::HoldRecord>,
}

fn facts(conn: &mut AnyConnection, school_id: &str) -> Result<Facts, AppError> {
    let mut others: HashMap<String, Vec<String>> = HashMap::new();
    for (incident, pupil) in store::links(conn, school_id)? {
        others.entry(incident).or_default().push(pupil);
    }
    Ok(Facts {
        categories: crate::incidents::store::read::categories_by_code(conn, school_id)?,
        periods: store::periods(conn, school_id)?,
        pupils: store::pupils_of(conn, school_id)?,
        others,
        kept: store::kept_until(conn, school_id)?,
        holds: store::holds(conn, school_id)?,
        hold_records: store::hold_records(conn, school_id)?,
    })
}

impl Facts {
    /// The pupils of a record: its own, then the others.
    fn pupils_of(&self, c: &Candidate) -> Vec<String> {
        let mut all = vec![c.pupil_id.clone()];
        all.extend(self.others.get(&c.id).cloned().unwrap_or_default());
        all
    }

    fn holds_on(&self, c: &Candidate) -> Vec<(String, String)> {
        let pupils: HashSet<String> = self.pupils_of(c).into_iter().collect();
        let mut out: Vec<(String, String)> = Vec::new();
        for h in self.holds.iter().filter(|h| h.active()) {
            let names = self.hold_records.iter().any(|(hold, incident, pupil)| {
                *hold == h.id
                    && (incident.as_deref() == Some(c.id.as_str())
                        || pupil.as_ref().is_some_and(|p| pupils.contains(p)))
            });
            if names {
                out.push((h.id.clone(), h.name.clone()));
            }
        }
        out
    }

    fn entry(&self, viewer: &Viewer, c: Candidate) -> Option<Entry> {
        let category = self.categories.get(&c.category_code)?;
        let safeguarding =
            model::safeguarding_category(category) || c.child_at_risk || c.about_headteacher;
        let period = model::effective(self.periods.get(&c.category_code).copied(), safeguarding);
        let pupils: Vec<(String, Option<NaiveDate>)> = self
            .pupils_of(&c)
            .into_iter()
            .map(|id| {
                let dob = self.pupils.get(&id).and_then(|p| p.date_of_birth);
                (id, dob)
            })
            .collect();
        let review = model::review(period, &pupils, c.counted_on, self.kept.get(&c.id).copied());
        Some(Entry {
            holds: self.holds_on(&c),
            readable: viewer.reads_in_full(category, c.about_headteacher),
            category_name: category.name.clone(),
            period,
            review,
            record: c,
        })
    }
}

/// The queue `viewer` reviews on `today`.
pub fn queue(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    today: NaiveDate,
) -> Result<Queue, AppError> {
    let f = facts(conn, &viewer.school_id)?;
    let mut q = Queue::default();
    let mut undated: HashMap<String, usize> = HashMap::new();
    for c in store::candidates(conn, viewer)? {
        let Some(e) = f.entry(viewer, c) else {
            continue;
        };
        match &e.review {
            Review::On(d) if *d <= today => q.due.push(e),
            Review::On(_) => q.later += 1,
            Review::NeedsBirthDate(missing) => {
                for p in missing {
                    *undated.entry(p.clone()).or_default() += 1;
                }
            }
        }
    }
    q.due.sort_by(|a, b| {
        let key = |e: &Entry| match e.review {
            Review::On(d) => d,
            Review::NeedsBirthDate(_) => NaiveDate::MAX,
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.record.reference.cmp(&b.record.reference))
    });
    q.undated = undated
        .into_iter()
        .filter_map(|(id, records)| {
            Some(Undated {
                pupil: f.pupils.get(&id)?.clone(),
                records,
            })
        })
        .collect();
    q.undated.sort_by(|a, b| {
        a.pupil
            .name
            .cmp(&b.pupil.name)
            .then_with(|| a.pupil.id.cmp(&b.pupil.id))
    });
    Ok(q)
}

/// One record's review: its entry (None once destroyed), the tombstone's
/// decisions and every decision so far.
pub struct Reviewed {
    pub entry: Option<Entry>,
    pub record: Candidate,
    pub category_name: String,
    pub decisions: Vec<store::DecisionRow>,
    /// The pupils without a date of birth, by name, for the page.
    pub missing: Vec<PupilDates>,
}

/// The record `viewer` reviews, or None when they do not oversee it.
pub fn reviewed(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
) -> Result<Option<Reviewed>, AppError> {
    let Some(c) = store::candidate(conn, viewer, id)? else {
        return Ok(None);
    };
    let decisions = store::decisions_of(conn, &c.id)?;
    let destroyed = decisions.iter().any(|d| d.decision == "destroy");
    let f = facts(conn, &viewer.school_id)?;
    let category_name = f
        .categories
        .get(&c.category_code)
        .map_or_else(|| c.category_code.clone(), |k| k.name.clone());
    let entry = if destroyed {
        None
    } else {
        f.entry(viewer, c.clone())
    };
    let missing = match entry.as_ref().map(|e| &e.review) {
        Some(Review::NeedsBirthDate(ids)) => ids
            .iter()
            .filter_map(|p| f.pupils.get(p).cloned())
            .collect(),
        _ => Vec::new(),
    };
    Ok(Some(Reviewed {
        entry,
        record: c,
        category_name,
        decisions,
        missing,
    }))
}

/// What a reviewer decided.
#[derive(Clone, Debug)]
pub enum Decision {
    Keep { reason: String, until: NaiveDate },
    Destroy { reason: String },
}

/// The role a decision is recorded in: the DPO's if the reviewer holds it.
fn decided_as(viewer: &Viewer) -> Role {
    if viewer.roles.has(Role::Dpo) {
        Role::Dpo
    } else {
        Role::Dsl
    }
}

/// Records a decision in one write transaction with its audit row. For a
/// destroy, every refusal is checked first (not due, case open, a hold);
/// then the tombstone is written, the narrative erased, and the files no
/// living record shares are removed from the data folder once committed.
pub fn decide(
    conn: &mut AnyConnection,
    data_dir: &Path,
    viewer: &Viewer,
    id: &str,
    decision: &Decision,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let today = now.date();
    let removed = write_transaction(conn, |conn| {
        let r = reviewed(conn, viewer, id)?.ok_or(AppError::NotFound)?;
        let Some(entry) = r.entry else {
            return Err(AppError::Conflict(
                "This record was already destroyed: only its tombstone is left.".into(),
            ));
        };
        let c = &entry.record;
        match decision {
            Decision::Keep { reason, until } => {
                if *until <= today {
                    return Err(AppError::Conflict(
                        "The next review must be after today.".into(),
                    ));
                }
                let due = match entry.review {
                    Review::On(d) => Some(d),
                    Review::NeedsBirthDate(_) => None,
                };
                store::insert_decision(
                    conn,
                    &store::NewDecision {
                        school_id: &c.school_id,
                        incident_id: &c.id,
                        destroy: false,
                        reason,
                        review_on: Some(*until),
                        was_due_on: due,
                        by: &viewer.user_id,
                        decided_as: decided_as(viewer),
                        files_removed: 0,
                    },
                    now,
                )?;
                audit::store::insert(
                    conn,
                    &Event::new("retention_kept", now)
                        .school(&c.school_id)
                        .actor(&viewer.user_id)
                        .record("incident", &c.id)
                        .detail(format!("next review {until}"))
                        .ip(ip),
                )?;
                Ok(Vec::new())
            }
            Decision::Destroy { reason } => {
                let due = match entry.review {
                    Review::On(d) if d <= today => d,
                    Review::On(d) => {
                        return Err(AppError::Conflict(format!(
                            "This record is not due for review until {}: it cannot be destroyed before then.",
                            d.format("%d/%m/%Y")
                        )))
                    }
                    Review::NeedsBirthDate(_) => {
                        return Err(AppError::Conflict(
                            "This record has no review date: a pupil it names has no date of birth. Supply it first.".into(),
                        ))
                    }
                };
                if !entry.holds.is_empty() {
                    let names: Vec<&str> = entry.holds.iter().map(|(_, n)| n.as_str()).collect();
                    return Err(AppError::Conflict(format!(
                        "This record is under the legal hold \"{}\": it cannot be destroyed until the hold is lifted.",
                        names.join("\", \"")
                    )));
                }
                if c.status != "closed" && c.entered_in_error_at.is_none() {
                    return Err(AppError::Conflict(
                        "This case is still open: its owner must close it before the record can be destroyed.".into(),
                    ));
                }
                let files = store::files_only_here(conn, &c.id)?;
                store::insert_decision(
                    conn,
                    &store::NewDecision {
                        school_id: &c.school_id,
                        incident_id: &c.id,
                        destroy: true,
                        reason,
                        review_on: None,
                        was_due_on: Some(due),
                        by: &viewer.user_id,
                        decided_as: decided_as(viewer),
                        files_removed: i32::try_from(files.len()).unwrap_or(i32::MAX),
                    },
                    now,
                )?;
                let placeholder = store::placeholder(conn, &c.school_id, now)?;
                store::erase(conn, &c.id, &placeholder, now)?;
                audit::store::insert(
                    conn,
                    &Event::new("retention_destroyed", now)
                        .school(&c.school_id)
                        .actor(&viewer.user_id)
                        .record("incident", &c.id)
                        .detail(format!("files removed {}", files.len()))
                        .ip(ip),
                )?;
                Ok(files)
            }
        }
    })?;
    remove_files(conn, data_dir, &removed);
    Ok(())
}

/// Removes destroyed files from the data folder, after the decision is
/// committed (a failed transaction leaves every file in place). Each is
/// checked once more: a file uploaded again meanwhile by another record
/// stays. A file that cannot be removed is logged by its hash alone.
fn remove_files(conn: &mut AnyConnection, data_dir: &Path, hashes: &[String]) {
    for h in hashes {
        if store::used_elsewhere(conn, h, None).unwrap_or(true) {
            continue;
        }
        if let Some(path) = crate::attachments::files::path_of(data_dir, h) {
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(sha256 = %h, error = %e, "a destroyed attachment could not be removed");
                }
            }
        }
    }
}

/// Sets the date of birth of a pupil of the viewer's school that one of the
/// records they review names; audited.
pub fn set_birth_date(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    pupil_id: &str,
    dob: NaiveDate,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_transaction(conn, |conn| {
        let q = queue(conn, viewer, now.date())?;
        if !q.undated.iter().any(|u| u.pupil.id == pupil_id) {
            return Err(AppError::NotFound);
        }
        if !store::set_birth_date(conn, &viewer.school_id, pupil_id, dob, now)? {
            return Err(AppError::NotFound);
        }
        audit::store::insert(
            conn,
            &Event::new("pupil_birth_date_set", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("pupil", pupil_id)
                .detail("for the retention review")
                .ip(ip),
        )?;
        Ok(())
    })
}
