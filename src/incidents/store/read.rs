//! Reading incidents: one record, a filtered page with its total, a pupil's
//! chronology. Each starts from the visibility condition.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Integer;

use super::visibility::{listed_to, visible_to, Condition};
use crate::categories::Category;
use crate::db::dialect::{self, Backend};
use crate::db::schema::{categories, incident_events, incident_pupils, incidents, pupils};
use crate::db::AnyConnection;
use crate::incidents::filters::{Cursor, Filters, Paging};
use crate::incidents::model::{
    Event, EventKind, Incident, IncidentView, OtherPupil, PupilRole, Tombstone,
};
use crate::incidents::viewer::Viewer;
use crate::pupils::model::{name_key, Pupil};
use crate::pupils::store::contains_pattern;

diesel::define_sql_function! {
    /// SQL's lower(): tutor groups are ASCII, which SQLite's lower() handles.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// One incident, if `viewer` may read it.
pub fn get(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
) -> QueryResult<Option<IncidentView>> {
    let found: Option<Incident> = incidents::table
        .filter(incidents::id.eq(id))
        .filter(visible_to(viewer))
        .select(Incident::as_select())
        .first(conn)
        .optional()?;
    match found {
        Some(i) => Ok(hydrate(conn, viewer, vec![i])?.pop()),
        None => Ok(None),
    }
}

/// Counts stop here: past it the list says "more than 10,000" rather
/// than read every row of a large school to say exactly how many more.
pub const COUNT_LIMIT: i64 = 10_000;

/// A text search matching more rows than this is served by reading the
/// list's index newest first ([`TextPlan::Walk`]); fewer, by fetching
/// those rows through the text index and sorting them.
const WALK_FROM: i64 = 2_000;

/// How a text search is planned (see [`dialect::walk_newest_first`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextPlan {
    /// As the database chooses: through the text index when there is one.
    Natural,
    /// Newest first along the list's index, testing each row.
    Walk,
}

/// The pupils a search names, looked up before the list's query: a
/// list of ids lets each backend serve "or about a pupil so named" from an
/// index (PostgreSQL cannot combine a subquery with the text index, and
/// reads every row instead).
#[derive(Clone, Debug, Default)]
pub struct Named {
    /// Pupils whose name contains the search.
    pub pupils: Vec<String>,
    /// Incidents any of them is involved in as another pupil.
    pub incidents: Vec<String>,
}

/// [`Named`] for a search.
pub fn named(conn: &mut AnyConnection, school_id: &str, q: &str) -> QueryResult<Named> {
    let pupils: Vec<String> = pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(
            pupils::name_key
                .like(contains_pattern(&name_key(q)))
                .escape('\\'),
        )
        .select(pupils::id)
        .load(conn)?;
    let incidents = incident_pupils::table
        .filter(incident_pupils::school_id.eq(school_id))
        .filter(incident_pupils::pupil_id.eq_any(&pupils))
        .select(incident_pupils::incident_id)
        .load(conn)?;
    Ok(Named { pupils, incidents })
}

/// A page of the list and what it says about the rest.
#[derive(Debug)]
pub struct Found {
    pub items: Vec<IncidentView>,
    /// Exact when `total_exact`; otherwise [`COUNT_LIMIT`], and more match.
    pub total: i64,
    pub total_exact: bool,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
}

/// A page of the incidents `viewer` may read that match `filters`, newest
/// first, and how many match in all (counted up to [`COUNT_LIMIT`]).
pub fn list(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filters: &Filters,
    paging: &Paging,
) -> QueryResult<Found> {
    let filters = &with_term_dates(conn, &viewer.school_id, filters)?;
    let backend = dialect::backend(conn);
    let names = match &filters.q {
        Some(q) => Some(named(conn, &viewer.school_id, q)?),
        None => None,
    };
    let names = names.as_ref();
    // The count reads at most COUNT_LIMIT + 1 matching rows.
    let counted: Vec<i32> = incidents::table
        .filter(matching(viewer, filters, backend, TextPlan::Natural, names))
        .select(sql::<Integer>("1"))
        .limit(COUNT_LIMIT + 1)
        .load(conn)?;
    let n = counted.len() as i64;
    let (total, total_exact) = if n > COUNT_LIMIT {
        (COUNT_LIMIT, false)
    } else {
        (n, true)
    };
    let plan = if filters.q.is_some() && n > WALK_FROM {
        TextPlan::Walk
    } else {
        TextPlan::Natural
    };
    let mut condition = matching(viewer, filters, backend, plan, names);
    let offset = match &paging.after {
        Some(c) => {
            condition = Box::new(condition.and(dialect::before_in_list(c.logged_at, &c.id)));
            0
        }
        None => paging.offset(),
    };
    // One row more than the page says whether there is a next page.
    let mut rows: Vec<Incident> = incidents::table
        .filter(condition)
        .order((incidents::logged_at.desc(), incidents::id.desc()))
        .limit(paging.per_page + 1)
        .offset(offset)
        .select(Incident::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > paging.per_page;
    rows.truncate(usize::try_from(paging.per_page).unwrap_or(0));
    let next = if more {
        rows.last().map(|i| Cursor {
            logged_at: i.logged_at,
            id: i.id.clone(),
        })
    } else {
        None
    };
    Ok(Found {
        items: hydrate(conn, viewer, rows)?,
        total,
        total_exact,
        next,
    })
}

/// Incidents involving a pupil, as the pupil's subject or as another pupil.
fn involving(school_id: &str, pupil_id: &str) -> Condition {
    let as_other = incident_pupils::table
        .filter(incident_pupils::school_id.eq(school_id.to_string()))
        .filter(incident_pupils::pupil_id.eq(pupil_id.to_string()))
        .select(incident_pupils::incident_id);
    Box::new(
        incidents::pupil_id
            .eq(pupil_id.to_string())
            .or(incidents::id.eq_any(as_other)),
    )
}

/// Incidents involving any pupil whose name contains `name`.
fn involving_named(school_id: &str, name: &str) -> Condition {
    let named = || {
        pupils::table
            .filter(pupils::school_id.eq(school_id.to_string()))
            .filter(
                pupils::name_key
                    .like(contains_pattern(&name_key(name)))
                    .escape('\\'),
            )
            .select(pupils::id)
    };
    let as_other = incident_pupils::table
        .filter(incident_pupils::school_id.eq(school_id.to_string()))
        .filter(incident_pupils::pupil_id.eq_any(named()))
        .select(incident_pupils::incident_id);
    Box::new(
        incidents::pupil_id
            .eq_any(named())
            .or(incidents::id.eq_any(as_other)),
    )
}

/// The filters with a term (or academic year) turned into the date range
/// the school's term dates give it, narrowing any range already chosen.
pub fn with_term_dates(
    conn: &mut AnyConnection,
    school_id: &str,
    filters: &Filters,
) -> QueryResult<Filters> {
    let mut f = filters.clone();
    let Some(t) = f.term else {
        return Ok(f);
    };
    // The same windows as governors' reports: a holiday belongs to the
    // term before it.
    let (starts, ends) = match t.term {
        Some(name) => {
            let term = crate::reports::store::term(conn, school_id, t.year, name)?;
            let w = crate::reports::store::window(conn, school_id, &term)?;
            (w.first, w.last)
        }
        None => {
            let [autumn, _, summer] = crate::reports::store::year(conn, school_id, t.year)?;
            let w = crate::reports::store::window(conn, school_id, &summer)?;
            (autumn.starts_on, w.last)
        }
    };
    f.from = Some(f.from.map_or(starts, |d| d.max(starts)));
    f.to = Some(f.to.map_or(ends, |d| d.min(ends)));
    Ok(f)
}

/// The list's WHERE clause: what the viewer may see, then each filter.
fn matching(
    viewer: &Viewer,
    f: &Filters,
    backend: Backend,
    plan: TextPlan,
    names: Option<&Named>,
) -> Condition {
    narrowed(
        listed_to(viewer),
        &viewer.school_id,
        f,
        backend,
        plan,
        names,
    )
}

/// `base` (a visibility rule) narrowed by each filter. A term must already
/// have been turned into dates ([`with_term_dates`]).
pub fn narrowed(
    base: Condition,
    school: &str,
    f: &Filters,
    backend: Backend,
    plan: TextPlan,
    names: Option<&Named>,
) -> Condition {
    let mut c = base;
    if let Some(s) = f.status {
        c = Box::new(c.and(incidents::status.eq(s.as_str())));
    }
    if let Some(code) = &f.category {
        c = Box::new(c.and(incidents::category_code.eq(code.clone())));
    }
    if let Some(p) = &f.pupil {
        let by_id = uuid::Uuid::parse_str(p).is_ok();
        c = Box::new(c.and(if by_id {
            involving(school, p)
        } else {
            involving_named(school, p)
        }));
    }
    if let Some(g) = &f.tutor_group {
        c = Box::new(c.and(lower(incidents::tutor_group).eq(g.to_lowercase())));
    }
    if let Some(y) = f.year_group {
        c = Box::new(c.and(incidents::year_group.assume_not_null().eq(y)));
    }
    // counted_on is the incident's date or, when that is not known, the day
    // it was logged: the day governors' reports count it on too.
    if let Some(from) = f.from {
        c = Box::new(c.and(incidents::counted_on.ge(from)));
    }
    if let Some(to) = f.to {
        c = Box::new(c.and(incidents::counted_on.le(to)));
    }
    // An allegation about the headteacher keeps its category's owner in
    // owner_role; its real owner is the allegations lead (Incident::owner).
    if let Some(owner) = f.owner {
        c = Box::new(c.and(if owner == crate::auth::Role::AllegationsLead {
            Box::new(incidents::about_headteacher.eq(true)) as Condition
        } else {
            Box::new(
                incidents::owner_role
                    .eq(owner.as_str())
                    .and(incidents::about_headteacher.eq(false)),
            )
        }));
    }
    if f.unacknowledged {
        c = Box::new(c.and(incidents::lg_acknowledged_at.is_null()));
    }
    // The free text, the reference, or a pupil's name (as the subject or
    // another pupil involved).
    if let Some(q) = &f.q {
        let mut text: Condition = Box::new(
            dialect::search_text_contains(backend, &q.to_lowercase())
                .or(incidents::reference.eq(q.trim().to_uppercase())),
        );
        // Each arm of the OR has an index, so that SQLite can take their
        // union; an arm for no pupil at all is left out, not written as
        // FALSE, which no index serves.
        match names {
            Some(n) => {
                if !n.pupils.is_empty() {
                    text = Box::new(text.or(incidents::pupil_id.eq_any(n.pupils.clone())));
                }
                if !n.incidents.is_empty() {
                    text = Box::new(text.or(incidents::id.eq_any(n.incidents.clone())));
                }
            }
            None => text = Box::new(text.or(involving_named(school, q))),
        }
        let text = match plan {
            TextPlan::Natural => text,
            TextPlan::Walk => dialect::walk_newest_first(backend, text),
        };
        c = Box::new(c.and(text));
    }
    c
}

/// How a pupil is involved in an incident of their chronology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Involvement {
    /// The pupil the incident is about (the spreadsheet's "Student Name").
    Subject,
    Other(PupilRole),
}

/// Every incident involving a pupil that `viewer` may read, in date order;
/// one whose date is not known is placed by the day it was logged.
pub fn chronology(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    pupil_id: &str,
) -> QueryResult<Vec<(IncidentView, Involvement)>> {
    let rows: Vec<Incident> = incidents::table
        .filter(listed_to(viewer))
        .filter(involving(&viewer.school_id, pupil_id))
        .select(Incident::as_select())
        .load(conn)?;
    let mut views = hydrate(conn, viewer, rows)?;
    views.sort_by_key(|v| v.incident.chronology_key());
    Ok(views
        .into_iter()
        .map(|v| {
            let how = if v.incident.pupil_id == pupil_id {
                Involvement::Subject
            } else {
                v.others
                    .iter()
                    .find(|o| o.pupil.id == pupil_id)
                    .map_or(Involvement::Subject, |o| Involvement::Other(o.role))
            };
            (v, how)
        })
        .collect())
}

/// Every category of the school by code (without seeding: a school with
/// incidents has its categories).
pub fn categories_by_code(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<HashMap<String, Category>> {
    let all: Vec<Category> = categories::table
        .filter(categories::school_id.eq(school_id))
        .select(Category::as_select())
        .load(conn)?;
    Ok(all.into_iter().map(|c| (c.code.clone(), c)).collect())
}

/// What a batch of incidents names beyond its own rows, in three queries
/// whatever the batch's size.
pub struct Parts {
    /// (incident id, pupil id, role) of the other pupils involved, in order.
    pub links: Vec<(String, String, String)>,
    /// Every pupil the batch names, by id.
    pub pupils: HashMap<String, Pupil>,
    /// The steps "Actions and Outcome" lists, by incident and in order.
    pub steps: Vec<Event>,
}

pub fn parts(conn: &mut AnyConnection, school_id: &str, rows: &[Incident]) -> QueryResult<Parts> {
    let ids: Vec<&str> = rows.iter().map(|i| i.id.as_str()).collect();
    let links: Vec<(String, String, String)> = incident_pupils::table
        .filter(incident_pupils::incident_id.eq_any(&ids))
        .order((
            incident_pupils::incident_id.asc(),
            incident_pupils::position.asc(),
        ))
        .select((
            incident_pupils::incident_id,
            incident_pupils::pupil_id,
            incident_pupils::role,
        ))
        .load(conn)?;
    let mut pupil_ids: Vec<String> = rows.iter().map(|i| i.pupil_id.clone()).collect();
    pupil_ids.extend(links.iter().map(|(_, p, _)| p.clone()));
    pupil_ids.sort();
    pupil_ids.dedup();
    let pupils = crate::pupils::store::by_ids(conn, school_id, &pupil_ids)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let kinds: Vec<&str> = EventKind::ACTIONS.iter().map(|k| k.as_str()).collect();
    let steps = incident_events::table
        .filter(incident_events::incident_id.eq_any(&ids))
        .filter(incident_events::kind.eq_any(&kinds))
        .order((
            incident_events::incident_id.asc(),
            incident_events::seq.asc(),
        ))
        .select(Event::as_select())
        .load(conn)?;
    Ok(Parts {
        links,
        pupils,
        steps,
    })
}

/// Adds to each incident its pupil, category, other pupils and the actions
/// on its timeline the viewer may read, in a fixed number of queries
/// whatever the number of incidents.
fn hydrate(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    rows: Vec<Incident>,
) -> QueryResult<Vec<IncidentView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let categories = categories_by_code(conn, &viewer.school_id)?;
    let Parts {
        links,
        pupils,
        steps: actions,
    } = parts(conn, &viewer.school_id, &rows)?;
    let ids: Vec<String> = rows.iter().map(|i| i.id.clone()).collect();
    let mut tombstones = tombstones_of(conn, &ids)?;
    let mut views = Vec::with_capacity(rows.len());
    for incident in rows {
        let (Some(pupil), Some(category)) = (
            pupils.get(&incident.pupil_id).cloned(),
            categories.get(&incident.category_code).cloned(),
        ) else {
            // The foreign keys make this impossible; skip rather than panic.
            continue;
        };
        let full = viewer.reads_in_full(&category, incident.about_headteacher);
        let others = links
            .iter()
            .filter(|(i, _, _)| *i == incident.id)
            .filter_map(|(_, p, role)| {
                Some(OtherPupil {
                    pupil: pupils.get(p)?.clone(),
                    role: PupilRole::parse(role)?,
                })
            })
            .collect();
        let actions = actions
            .iter()
            .filter(|a| a.incident_id == incident.id)
            .filter(|a| full || a.visible_to_reporter)
            .cloned()
            .collect();
        let tombstone = tombstones.remove(&incident.id);
        views.push(IncidentView {
            incident,
            pupil,
            category,
            others,
            actions,
            full,
            tombstone,
        });
    }
    Ok(views)
}

/// The tombstones of those of `ids` destroyed at their retention review
/// (the destroy decisions the retention feature records), by incident.
pub fn tombstones_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> QueryResult<HashMap<String, Tombstone>> {
    use crate::db::schema::{retention_decisions, users};
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, NaiveDateTime, String, String, String, String)> =
            retention_decisions::table
                .inner_join(users::table)
                .filter(retention_decisions::incident_id.eq_any(chunk))
                .filter(retention_decisions::decision.eq("destroy"))
                .select((
                    retention_decisions::incident_id,
                    retention_decisions::decided_at,
                    retention_decisions::decided_by,
                    users::name,
                    retention_decisions::decided_as,
                    retention_decisions::reason,
                ))
                .load(conn)?;
        for (id, at, by, name, role, reason) in rows {
            out.insert(
                id,
                Tombstone {
                    destroyed_at: at,
                    destroyed_by: by,
                    destroyed_by_name: name,
                    destroyed_as: role,
                    reason,
                },
            );
        }
    }
    Ok(out)
}

/// An incident's reference, in the school: for a record that links to it
/// (a monitoring alert promoted to it).
pub fn reference_of(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
) -> QueryResult<Option<String>> {
    incidents::table
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::id.eq(id))
        .select(incidents::reference)
        .first(conn)
        .optional()
}

/// The monitoring alert an incident was promoted from, if any (the link
/// is held on the alert).
pub fn monitoring_alert_of(
    conn: &mut AnyConnection,
    school_id: &str,
    incident_id: &str,
) -> QueryResult<Option<String>> {
    use crate::db::schema::monitoring_alerts;
    monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .filter(monitoring_alerts::incident_id.eq(incident_id))
        .select(monitoring_alerts::id)
        .first(conn)
        .optional()
}
