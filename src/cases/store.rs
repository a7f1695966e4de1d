//! SQL for the case workflow: the case fields of an incident, referrals,
//! alerts, reminders, and the lists on a lead's dashboard.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    alerts, case_decisions, categories, incidents, information_shares, pupils, referrals,
    reminders, users,
};
use crate::db::AnyConnection;
use crate::incidents::model::Incident;
use crate::incidents::store::visibility::listed_to;
use crate::incidents::Viewer;

/// The case fields one action changes; None leaves a field as it is, and
/// Some(None) empties it.
#[derive(Default, AsChangeset)]
#[diesel(table_name = incidents)]
pub struct CaseChange<'a> {
    pub status: Option<&'a str>,
    pub owner_role: Option<&'a str>,
    pub owner_user_id: Option<Option<&'a str>>,
    pub outcome: Option<Option<&'a str>>,
    pub closed_at: Option<Option<NaiveDateTime>>,
    pub lg_acknowledged_by: Option<&'a str>,
    pub lg_acknowledged_at: Option<NaiveDateTime>,
}

/// Applies `change` if the incident is still at `version`, raising it.
/// False when someone else changed it first.
pub fn apply(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    change: &CaseChange<'_>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        incidents::table
            .filter(incidents::id.eq(id))
            .filter(incidents::version.eq(version)),
    )
    .set((
        change,
        incidents::version.eq(version + 1),
        incidents::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = referrals)]
pub struct Referral {
    pub id: String,
    pub incident_id: String,
    pub school_id: String,
    pub agency: String,
    pub referred_on: NaiveDate,
    pub reference: Option<String>,
    pub made_by: Option<String>,
    pub recorded_at: NaiveDateTime,
}

pub struct NewReferral<'a> {
    pub incident_id: &'a str,
    pub school_id: &'a str,
    pub agency: &'a str,
    pub referred_on: NaiveDate,
    pub reference: Option<&'a str>,
    pub made_by: &'a str,
}

pub fn add_referral(
    conn: &mut AnyConnection,
    r: &NewReferral<'_>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(referrals::table)
        .values((
            referrals::id.eq(uuid::Uuid::new_v4().to_string()),
            referrals::incident_id.eq(r.incident_id),
            referrals::school_id.eq(r.school_id),
            referrals::agency.eq(r.agency),
            referrals::referred_on.eq(r.referred_on),
            referrals::reference.eq(r.reference),
            referrals::made_by.eq(r.made_by),
            referrals::recorded_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives a referral recorded with "reference to follow" its reference;
/// false when it already had one.
pub fn set_referral_reference(
    conn: &mut AnyConnection,
    referral_id: &str,
    reference: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        referrals::table
            .filter(referrals::id.eq(referral_id))
            .filter(referrals::reference.is_null()),
    )
    .set(referrals::reference.eq(reference))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn referrals_of(conn: &mut AnyConnection, incident_id: &str) -> QueryResult<Vec<Referral>> {
    referrals::table
        .filter(referrals::incident_id.eq(incident_id))
        .order((
            referrals::referred_on.asc(),
            referrals::recorded_at.asc(),
            referrals::id.asc(),
        ))
        .select(Referral::as_select())
        .load(conn)
}

/// Active people holding any of `roles` in the school, by name: (id,
/// name, email). See [`crate::accounts::store::people_with`].
pub fn people_with(
    conn: &mut AnyConnection,
    school_id: &str,
    roles: &[&str],
) -> QueryResult<Vec<(String, String, String)>> {
    crate::accounts::store::people_with(conn, school_id, roles)
}

/// Of `people` (id, name, email), those not excluded from any pupil the
/// incident names: they are never alerted about it, assigned it, or
/// offered it.
pub fn not_excluded(
    conn: &mut AnyConnection,
    incident: &Incident,
    people: Vec<(String, String, String)>,
) -> QueryResult<Vec<(String, String, String)>> {
    let excluded = crate::pupils::exclusions::store::people_excluded_from_incident(
        conn,
        &incident.school_id,
        &incident.id,
        &incident.pupil_id,
    )?;
    Ok(people
        .into_iter()
        .filter(|(id, _, _)| !excluded.contains(id))
        .collect())
}

pub fn name_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::name)
        .first(conn)
        .optional()
}

pub fn add_alert(
    conn: &mut AnyConnection,
    school_id: &str,
    incident_id: &str,
    user_id: &str,
    kind: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(alerts::table)
        .values((
            alerts::id.eq(uuid::Uuid::new_v4().to_string()),
            alerts::school_id.eq(school_id),
            alerts::incident_id.eq(incident_id),
            alerts::user_id.eq(user_id),
            alerts::kind.eq(kind),
            alerts::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A dashboard alert with what it may show: the reference and category, never more.
#[derive(Clone, Debug)]
pub struct AlertRow {
    pub id: String,
    pub incident_id: String,
    pub kind: String,
    pub created_at: NaiveDateTime,
    pub reference: String,
    pub category: String,
    pub urgent: bool,
}

/// Unseen alerts of one person about incidents they may still read, newest first.
pub fn unseen_alerts(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    limit: i64,
) -> QueryResult<Vec<AlertRow>> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = alerts::table
        .filter(alerts::user_id.eq(&viewer.user_id))
        .filter(alerts::seen_at.is_null())
        .order((alerts::created_at.desc(), alerts::id.desc()))
        .limit(limit)
        .select((
            alerts::id,
            alerts::incident_id,
            alerts::kind,
            alerts::created_at,
        ))
        .load(conn)?;
    // An alert about a record the person may no longer read (a role taken
    // away, entered in error) is not shown.
    let readable = readable(
        conn,
        viewer,
        rows.iter().map(|r| r.1.clone()).collect(),
        false,
    )?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| readable.contains(&r.1))
        .collect();
    let about = labels(
        conn,
        &viewer.school_id,
        rows.iter().map(|r| r.1.clone()).collect(),
    )?;
    Ok(rows
        .into_iter()
        .map(|(id, incident_id, kind, created_at)| {
            let (reference, category, urgent) =
                about.get(&incident_id).cloned().unwrap_or_default();
            AlertRow {
                id,
                incident_id,
                kind,
                created_at,
                reference,
                category,
                urgent,
            }
        })
        .collect())
}

/// Reference, category name and urgency of a few incidents, by id.
fn labels(
    conn: &mut AnyConnection,
    school_id: &str,
    ids: Vec<String>,
) -> QueryResult<std::collections::HashMap<String, (String, String, bool)>> {
    let rows: Vec<(String, String, String)> = incidents::table
        .filter(incidents::id.eq_any(ids))
        .select((
            incidents::id,
            incidents::reference,
            incidents::category_code,
        ))
        .load(conn)?;
    let names: std::collections::HashMap<String, (String, bool)> = categories::table
        .filter(categories::school_id.eq(school_id))
        .select((categories::code, categories::name, categories::urgent))
        .load::<(String, String, bool)>(conn)?
        .into_iter()
        .map(|(code, name, urgent)| (code, (name, urgent)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(id, reference, code)| {
            let (name, urgent) = names.get(&code).cloned().unwrap_or_default();
            (id, (reference, name, urgent))
        })
        .collect())
}

/// One alert of one person seen (dismissed from their start page); false
/// when it is not theirs or was seen already.
pub fn mark_alert_seen(
    conn: &mut AnyConnection,
    user_id: &str,
    alert_id: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        alerts::table
            .filter(alerts::id.eq(alert_id))
            .filter(alerts::user_id.eq(user_id))
            .filter(alerts::seen_at.is_null()),
    )
    .set(alerts::seen_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

/// A person's alerts about one incident seen: they opened it or acted on it.
pub fn mark_incident_alerts_seen(
    conn: &mut AnyConnection,
    user_id: &str,
    incident_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        alerts::table
            .filter(alerts::incident_id.eq(incident_id))
            .filter(alerts::user_id.eq(user_id))
            .filter(alerts::seen_at.is_null()),
    )
    .set(alerts::seen_at.eq(at))
    .execute(conn)
}

pub fn mark_alerts_seen(
    conn: &mut AnyConnection,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        alerts::table
            .filter(alerts::user_id.eq(user_id))
            .filter(alerts::seen_at.is_null()),
    )
    .set(alerts::seen_at.eq(at))
    .execute(conn)
}

/// Every alert about an incident: (recipient, kind), for tests and the record.
pub fn alerts_for(
    conn: &mut AnyConnection,
    incident_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    alerts::table
        .filter(alerts::incident_id.eq(incident_id))
        .order((alerts::created_at.asc(), alerts::id.asc()))
        .select((alerts::user_id, alerts::kind))
        .load(conn)
}

/// Incidents of a school still `new` and logged before `before`, that have
/// not had their reminder.
pub fn overdue_without_reminder(
    conn: &mut AnyConnection,
    school_id: &str,
    before: NaiveDateTime,
) -> QueryResult<Vec<Incident>> {
    incidents::table
        .left_join(reminders::table)
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::status.eq("new"))
        .filter(incidents::entered_in_error_at.is_null())
        .filter(incidents::logged_at.lt(before))
        .filter(reminders::incident_id.nullable().is_null())
        .order((incidents::logged_at.asc(), incidents::id.asc()))
        .select(Incident::as_select())
        .load(conn)
}

/// Records that an incident had its reminder; false when it already had.
pub fn claim_reminder(
    conn: &mut AnyConnection,
    incident_id: &str,
    school_id: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let exists: i64 = reminders::table
        .filter(reminders::incident_id.eq(incident_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(reminders::table)
        .values((
            reminders::incident_id.eq(incident_id),
            reminders::school_id.eq(school_id),
            reminders::sent_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The incidents a lead's dashboard lists, open and readable by them, with
/// whether their category is urgent.
pub fn open_for(
    conn: &mut AnyConnection,
    viewer: &Viewer,
) -> QueryResult<Vec<(Incident, String, bool)>> {
    let rows: Vec<Incident> = incidents::table
        .filter(listed_to(viewer))
        .filter(incidents::status.ne("closed"))
        .order((incidents::logged_at.asc(), incidents::id.asc()))
        .limit(500)
        .select(Incident::as_select())
        .load(conn)?;
    let names: std::collections::HashMap<String, (String, bool)> = categories::table
        .filter(categories::school_id.eq(&viewer.school_id))
        .select((categories::code, categories::name, categories::urgent))
        .load::<(String, String, bool)>(conn)?
        .into_iter()
        .map(|(code, name, urgent)| (code, (name, urgent)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|i| {
            let (name, urgent) = names.get(&i.category_code).cloned().unwrap_or_default();
            (i, name, urgent)
        })
        .collect())
}

/// Which of `ids` the viewer may list (and, with `open_only`, are not
/// closed). The visibility condition is written for the incidents table
/// alone, so it is applied here rather than in a join.
fn readable(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    ids: Vec<String>,
    open_only: bool,
) -> QueryResult<std::collections::HashSet<String>> {
    let mut q = incidents::table
        .filter(listed_to(viewer))
        .filter(incidents::id.eq_any(ids))
        .into_boxed();
    if open_only {
        q = q.filter(incidents::status.ne("closed"));
    }
    Ok(q.select(incidents::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Referrals of open incidents the viewer may read: (referral, incident reference).
pub fn open_referrals(
    conn: &mut AnyConnection,
    viewer: &Viewer,
) -> QueryResult<Vec<(Referral, String)>> {
    let rows: Vec<Referral> = referrals::table
        .filter(referrals::school_id.eq(&viewer.school_id))
        .order((referrals::referred_on.desc(), referrals::id.asc()))
        .limit(500)
        .select(Referral::as_select())
        .load(conn)?;
    let open = readable(
        conn,
        viewer,
        rows.iter().map(|r| r.incident_id.clone()).collect(),
        true,
    )?;
    let rows: Vec<Referral> = rows
        .into_iter()
        .filter(|r| open.contains(&r.incident_id))
        .collect();
    let about = labels(
        conn,
        &viewer.school_id,
        rows.iter().map(|r| r.incident_id.clone()).collect(),
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let reference = about
                .get(&r.incident_id)
                .map(|a| a.0.clone())
                .unwrap_or_default();
            (r, reference)
        })
        .collect())
}

/// One incident row, without a viewer: for alerts about a change the
/// caller has already been allowed to make.
pub fn incident(conn: &mut AnyConnection, id: &str) -> QueryResult<Incident> {
    incidents::table
        .find(id)
        .select(Incident::as_select())
        .first(conn)
}

/// Pupils' names by id, within one school.
pub fn pupil_names(
    conn: &mut AnyConnection,
    school_id: &str,
    ids: Vec<String>,
) -> QueryResult<std::collections::HashMap<String, String>> {
    Ok(pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::id.eq_any(ids))
        .select((pupils::id, pupils::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// People's names by id.
pub fn user_names(
    conn: &mut AnyConnection,
    ids: Vec<String>,
) -> QueryResult<std::collections::HashMap<String, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Referrals recorded with "reference to follow", of any incident the
/// viewer may read, open or closed: (referral, incident reference).
pub fn referrals_awaiting_reference(
    conn: &mut AnyConnection,
    viewer: &Viewer,
) -> QueryResult<Vec<(Referral, String)>> {
    let rows: Vec<Referral> = referrals::table
        .filter(referrals::school_id.eq(&viewer.school_id))
        .filter(referrals::reference.is_null())
        .order((referrals::referred_on.asc(), referrals::id.asc()))
        .limit(500)
        .select(Referral::as_select())
        .load(conn)?;
    let readable = readable(
        conn,
        viewer,
        rows.iter().map(|r| r.incident_id.clone()).collect(),
        false,
    )?;
    let rows: Vec<Referral> = rows
        .into_iter()
        .filter(|r| readable.contains(&r.incident_id))
        .collect();
    let about = labels(
        conn,
        &viewer.school_id,
        rows.iter().map(|r| r.incident_id.clone()).collect(),
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let reference = about
                .get(&r.incident_id)
                .map(|a| a.0.clone())
                .unwrap_or_default();
            (r, reference)
        })
        .collect())
}

/// A decision recorded with its reason.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = case_decisions)]
pub struct DecisionRow {
    pub id: String,
    pub school_id: String,
    pub incident_id: String,
    pub decision: String,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: NaiveDateTime,
}

pub fn add_decision(
    conn: &mut AnyConnection,
    school_id: &str,
    incident_id: &str,
    decision: &str,
    reason: &str,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(case_decisions::table)
        .values((
            case_decisions::id.eq(uuid::Uuid::new_v4().to_string()),
            case_decisions::school_id.eq(school_id),
            case_decisions::incident_id.eq(incident_id),
            case_decisions::decision.eq(decision),
            case_decisions::reason.eq(reason),
            case_decisions::decided_by.eq(by),
            case_decisions::decided_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn decisions_of(
    conn: &mut AnyConnection,
    incident_ids: &[String],
) -> QueryResult<Vec<DecisionRow>> {
    let mut out = Vec::new();
    for ids in incident_ids.chunks(500) {
        out.extend(
            case_decisions::table
                .filter(case_decisions::incident_id.eq_any(ids))
                .order((case_decisions::decided_at.asc(), case_decisions::id.asc()))
                .select(DecisionRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// An information share as recorded.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = information_shares)]
pub struct ShareRow {
    pub id: String,
    pub school_id: String,
    pub incident_id: String,
    pub shared_with: String,
    pub person: Option<String>,
    pub what: String,
    pub shared_on: NaiveDate,
    pub lawful_basis: String,
    pub reason: String,
    pub recorded_by: Option<String>,
    pub recorded_at: NaiveDateTime,
}

pub struct NewShare<'a> {
    pub school_id: &'a str,
    pub incident_id: &'a str,
    pub shared_with: &'a str,
    pub person: Option<&'a str>,
    pub what: &'a str,
    pub shared_on: NaiveDate,
    pub lawful_basis: &'a str,
    pub reason: &'a str,
    pub recorded_by: Option<&'a str>,
}

pub fn add_share(conn: &mut AnyConnection, s: &NewShare<'_>, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(information_shares::table)
        .values((
            information_shares::id.eq(uuid::Uuid::new_v4().to_string()),
            information_shares::school_id.eq(s.school_id),
            information_shares::incident_id.eq(s.incident_id),
            information_shares::shared_with.eq(s.shared_with),
            information_shares::person.eq(s.person),
            information_shares::what.eq(s.what),
            information_shares::shared_on.eq(s.shared_on),
            information_shares::lawful_basis.eq(s.lawful_basis),
            information_shares::reason.eq(s.reason),
            information_shares::recorded_by.eq(s.recorded_by),
            information_shares::recorded_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn shares_of(conn: &mut AnyConnection, incident_ids: &[String]) -> QueryResult<Vec<ShareRow>> {
    let mut out = Vec::new();
    for ids in incident_ids.chunks(500) {
        out.extend(
            information_shares::table
                .filter(information_shares::incident_id.eq_any(ids))
                .order((
                    information_shares::shared_on.asc(),
                    information_shares::recorded_at.asc(),
                    information_shares::id.asc(),
                ))
                .select(ShareRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}
