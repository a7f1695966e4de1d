//! SQL for the CSV export and the spreadsheet import: which incidents an
//! export holds, read a batch at a time in the order they were logged with
//! everything their row needs; and what the import reads of the log (the
//! incident with a reference, the last reference number given). What the
//! import writes is in [`super::import_store`].

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamp};

use crate::categories::Category;
use crate::db::dialect::{self, Backend};
use crate::db::schema::{categories, incident_imports, incidents, referrals, users};
use crate::db::AnyConnection;
use crate::incidents::filters::Filters;
use crate::incidents::model::{Event, Incident, IncidentView, OtherPupil, PupilRole};
use crate::incidents::store::read::{categories_by_code, narrowed, parts, Parts, TextPlan};
use crate::incidents::store::visibility::{listed_to, Condition};
use crate::incidents::viewer::Viewer;

/// Whose export, of which incidents.
#[derive(Clone, Debug)]
pub struct Scope {
    pub school_id: String,
    /// The person exporting; None for the command line, which exports every
    /// incident of the school not entered in error (an administrator with
    /// the database in hand could read it all anyway).
    pub viewer: Option<Viewer>,
    /// With any term already turned into dates.
    pub filters: Filters,
}

/// The incidents a scope holds. A person's export holds what their list
/// shows them, less any restricted incident they do not read in full (a
/// DSL who logged a staff-conduct concern sees it in their own list, but
/// only the headteacher may take it away in a spreadsheet).
fn holds(scope: &Scope, backend: Backend) -> Condition {
    let base: Condition = match &scope.viewer {
        Some(viewer) if viewer.reads_restricted() => listed_to(viewer),
        Some(viewer) => {
            let restricted = categories::table
                .filter(categories::school_id.eq(viewer.school_id.clone()))
                .filter(categories::restricted.eq(true))
                .select(categories::code);
            Box::new(listed_to(viewer).and(diesel::dsl::not(
                incidents::category_code.eq_any(restricted),
            )))
        }
        None => Box::new(
            incidents::school_id
                .eq(scope.school_id.clone())
                .and(incidents::entered_in_error_at.is_null()),
        ),
    };
    narrowed(
        base,
        &scope.school_id,
        &scope.filters,
        backend,
        TextPlan::Natural,
        None,
    )
}

pub fn count(conn: &mut AnyConnection, scope: &Scope) -> QueryResult<i64> {
    let backend = dialect::backend(conn);
    incidents::table
        .filter(holds(scope, backend))
        .count()
        .get_result(conn)
}

/// Where the last batch ended: the export runs in (logged_at, reference)
/// order, which a school's reference numbers make total.
pub type Position = (NaiveDateTime, String);

/// The next `limit` incidents after `after`. The row-value comparison lets
/// the (school_id, logged_at, reference) index start each batch where the
/// last one ended, so a batch costs the same at the end as at the start.
pub fn batch(
    conn: &mut AnyConnection,
    scope: &Scope,
    after: Option<&Position>,
    limit: i64,
) -> QueryResult<Vec<Incident>> {
    let backend = dialect::backend(conn);
    let mut q = incidents::table.filter(holds(scope, backend)).into_boxed();
    if let Some((logged_at, reference)) = after {
        q = q.filter(
            diesel::dsl::sql::<Bool>("(incidents.logged_at, incidents.reference) > (")
                .bind::<Timestamp, _>(*logged_at)
                .sql(", ")
                .bind::<Text, _>(reference.clone())
                .sql(")"),
        );
    }
    q.order((incidents::logged_at.asc(), incidents::reference.asc()))
        .limit(limit)
        .select(Incident::as_select())
        .load(conn)
}

/// A referral as the export lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referral {
    pub agency: String,
    pub referred_on: NaiveDate,
    pub reference: Option<String>,
}

/// One incident with everything its row of the export says.
#[derive(Clone, Debug)]
pub struct Item {
    /// Its `actions` are the case steps of its timeline, in order.
    pub view: IncidentView,
    pub logged_by: Option<String>,
    pub acknowledged_by: Option<String>,
    pub referrals: Vec<Referral>,
    /// The file and line it was imported from.
    pub imported: Option<(String, i32)>,
    /// Decisions recorded with their reasons, oldest first.
    pub decisions: Vec<crate::cases::store::DecisionRow>,
    /// Information shared, by date.
    pub shares: Vec<crate::cases::store::ShareRow>,
    /// Files attached (those entered in error too, marked so).
    pub attachments: Vec<crate::attachments::store::Attachment>,
}

/// What stays the same from batch to batch: the school's categories, the
/// names of the people who logged or acknowledged (a few dozen staff,
/// however many incidents) and, for an export, which of the tables a row
/// draws on hold anything for the school.
#[derive(Default)]
pub struct Lookups {
    categories: Option<HashMap<String, Category>>,
    names: HashMap<String, String>,
    held: Option<Held>,
}

/// Whether the school has any referral, imported incident, decision,
/// share, file or destroyed record. A table with none for the school is
/// not asked again for each batch: even an empty table, asked about a
/// thousand incidents, costs a statement of a thousand parameters built,
/// parsed and run, and most schools have these for a few incidents of
/// thousands, or none.
#[derive(Clone, Copy)]
struct Held {
    referrals: bool,
    imports: bool,
    decisions: bool,
    shares: bool,
    attachments: bool,
    tombstones: bool,
}

impl Lookups {
    /// For an export: reads once, inside the export's snapshot, which
    /// tables to ask at all (see [`Held`]). The import's lookups, which
    /// live while it writes, ask every table every time.
    pub fn for_export(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Self> {
        use crate::db::schema::{
            attachments, case_decisions, information_shares, retention_decisions,
        };
        // Whether `table` has a row of the school.
        macro_rules! any {
            ($table:ident) => {
                diesel::select(diesel::dsl::exists(
                    $table::table.filter($table::school_id.eq(school_id)),
                ))
                .get_result::<bool>(conn)?
            };
        }
        let held = Held {
            referrals: any!(referrals),
            imports: any!(incident_imports),
            decisions: any!(case_decisions),
            shares: any!(information_shares),
            attachments: any!(attachments),
            tombstones: any!(retention_decisions),
        };
        Ok(Self {
            held: Some(held),
            ..Self::default()
        })
    }
}

/// Everything each incident of a batch needs, in a fixed number of queries.
pub fn hydrate(
    conn: &mut AnyConnection,
    school_id: &str,
    rows: Vec<Incident>,
    lookups: &mut Lookups,
) -> QueryResult<Vec<Item>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if lookups.categories.is_none() {
        lookups.categories = Some(categories_by_code(conn, school_id)?);
    }
    let ids: Vec<&str> = rows.iter().map(|i| i.id.as_str()).collect();

    let Parts {
        links,
        pupils,
        steps,
    } = parts(conn, school_id, &rows)?;
    let known = lookups.held;
    let held = |table: fn(Held) -> bool| known.is_none_or(table);

    let refs: Vec<(String, String, NaiveDate, Option<String>)> = if !held(|h| h.referrals) {
        Vec::new()
    } else {
        referrals::table
            .filter(referrals::incident_id.eq_any(&ids))
            .order((
                referrals::incident_id.asc(),
                referrals::referred_on.asc(),
                referrals::recorded_at.asc(),
                referrals::id.asc(),
            ))
            .select((
                referrals::incident_id,
                referrals::agency,
                referrals::referred_on,
                referrals::reference,
            ))
            .load(conn)?
    };

    let imports: HashMap<String, (String, i32)> = if !held(|h| h.imports) {
        HashMap::new()
    } else {
        incident_imports::table
            .filter(incident_imports::incident_id.eq_any(&ids))
            .select((
                incident_imports::incident_id,
                incident_imports::import_file,
                incident_imports::import_line,
            ))
            .load::<(String, String, i32)>(conn)?
            .into_iter()
            .map(|(id, file, line)| (id, (file, line)))
            .collect()
    };

    let mut unknown: Vec<&str> = rows
        .iter()
        .flat_map(|i| [i.logged_by.as_deref(), i.lg_acknowledged_by.as_deref()])
        .flatten()
        .filter(|u| !lookups.names.contains_key(*u))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        // The ids come from this school's own incidents; their people may
        // have another home school, or no longer work here, and are still
        // named.
        let found: Vec<(String, String)> = users::table
            .filter(users::id.eq_any(&unknown))
            .select((users::id, users::name))
            .load(conn)?;
        lookups.names.extend(found);
    }

    let mut others_of: HashMap<String, Vec<OtherPupil>> = HashMap::new();
    for (incident_id, pupil_id, role) in links {
        if let (Some(pupil), Some(role)) = (pupils.get(&pupil_id), PupilRole::parse(&role)) {
            others_of.entry(incident_id).or_default().push(OtherPupil {
                pupil: pupil.clone(),
                role,
            });
        }
    }
    let mut steps_of: HashMap<String, Vec<Event>> = HashMap::new();
    for e in steps {
        steps_of.entry(e.incident_id.clone()).or_default().push(e);
    }
    let mut referrals_of: HashMap<String, Vec<Referral>> = HashMap::new();
    for (incident_id, agency, referred_on, reference) in refs {
        referrals_of.entry(incident_id).or_default().push(Referral {
            agency,
            referred_on,
            reference,
        });
    }

    let owned: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let mut decisions_of: HashMap<String, Vec<crate::cases::store::DecisionRow>> = HashMap::new();
    if held(|h| h.decisions) {
        for d in crate::cases::store::decisions_of(conn, &owned)? {
            decisions_of
                .entry(d.incident_id.clone())
                .or_default()
                .push(d);
        }
    }
    let mut shares_of: HashMap<String, Vec<crate::cases::store::ShareRow>> = HashMap::new();
    if held(|h| h.shares) {
        for x in crate::cases::store::shares_of(conn, &owned)? {
            shares_of.entry(x.incident_id.clone()).or_default().push(x);
        }
    }
    let mut files_of = if held(|h| h.attachments) {
        crate::attachments::store::of_incidents(conn, &owned)?
    } else {
        HashMap::new()
    };
    let mut tombstones = if held(|h| h.tombstones) {
        crate::incidents::store::read::tombstones_of(conn, &owned)?
    } else {
        HashMap::new()
    };

    let categories = lookups.categories.as_ref();
    let name = |u: &Option<String>| u.as_ref().and_then(|u| lookups.names.get(u)).cloned();
    let mut items = Vec::with_capacity(rows.len());
    for incident in rows {
        let (Some(pupil), Some(category)) = (
            pupils.get(&incident.pupil_id).cloned(),
            categories
                .and_then(|c| c.get(&incident.category_code))
                .cloned(),
        ) else {
            // The foreign keys make this impossible; skip rather than panic.
            continue;
        };
        items.push(Item {
            logged_by: name(&incident.logged_by),
            acknowledged_by: name(&incident.lg_acknowledged_by),
            imported: imports.get(&incident.id).cloned(),
            referrals: referrals_of.remove(&incident.id).unwrap_or_default(),
            decisions: decisions_of.remove(&incident.id).unwrap_or_default(),
            shares: shares_of.remove(&incident.id).unwrap_or_default(),
            attachments: files_of.remove(&incident.id).unwrap_or_default(),
            view: IncidentView {
                others: others_of.remove(&incident.id).unwrap_or_default(),
                actions: steps_of.remove(&incident.id).unwrap_or_default(),
                tombstone: tombstones.remove(&incident.id),
                incident,
                pupil,
                category,
                full: true,
            },
        });
    }
    Ok(items)
}

/// The school's incident with this reference, if any.
pub fn by_reference(
    conn: &mut AnyConnection,
    school_id: &str,
    reference: &str,
) -> QueryResult<Option<Incident>> {
    incidents::table
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::reference.eq(reference))
        .select(Incident::as_select())
        .first(conn)
        .optional()
}

/// The last reference number the school has given for `year`, 0 if none:
/// a dry run says which references an import would give without taking them.
pub fn last_reference_seq(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
) -> QueryResult<i32> {
    use crate::db::schema::incident_references;
    Ok(incident_references::table
        .find((school_id, year))
        .select(incident_references::last_seq)
        .first::<i32>(conn)
        .optional()?
        .unwrap_or(0))
}
