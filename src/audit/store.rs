//! SQL for the audit trail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Event;
use crate::db::schema::audit_events;
use crate::db::AnyConnection;

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewRow<'a> {
    id: String,
    school_id: Option<&'a str>,
    actor_id: Option<&'a str>,
    action: &'a str,
    record_type: Option<&'a str>,
    record_id: Option<&'a str>,
    detail: Option<&'a str>,
    ip: Option<&'a str>,
    at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, event: &Event) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(NewRow {
            id: uuid::Uuid::new_v4().to_string(),
            school_id: event.school_id.as_deref(),
            actor_id: event.actor_id.as_deref(),
            action: event.action,
            record_type: event.record_type,
            record_id: event.record_id.as_deref(),
            detail: event.detail.as_deref(),
            ip: event.ip.as_deref(),
            at: event.at,
        })
        .execute(conn)?;
    Ok(())
}

/// A row of the trail as read back.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct Row {
    pub id: String,
    pub school_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: String,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub at: NaiveDateTime,
}

/// The newest events one person caused with any of `actions`, newest first.
pub fn by_actor(
    conn: &mut AnyConnection,
    actor_id: &str,
    actions: &[&str],
    limit: i64,
) -> QueryResult<Vec<Row>> {
    audit_events::table
        .filter(audit_events::actor_id.eq(actor_id))
        .filter(audit_events::action.eq_any(actions))
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(Row::as_select())
        .load(conn)
}

/// Every event about one record, oldest first.
pub fn for_record(
    conn: &mut AnyConnection,
    record_type: &str,
    record_id: &str,
) -> QueryResult<Vec<Row>> {
    audit_events::table
        .filter(audit_events::record_type.eq(record_type))
        .filter(audit_events::record_id.eq(record_id))
        .order((audit_events::at.asc(), audit_events::id.asc()))
        .select(Row::as_select())
        .load(conn)
}

/// How many `action` events about one record happened since `since`.
pub fn count_since(
    conn: &mut AnyConnection,
    action: &str,
    record_type: &str,
    record_id: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    audit_events::table
        .filter(audit_events::action.eq(action))
        .filter(audit_events::record_type.eq(record_type))
        .filter(audit_events::record_id.eq(record_id))
        .filter(audit_events::at.gt(since))
        .count()
        .get_result(conn)
}
