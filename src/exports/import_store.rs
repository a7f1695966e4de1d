//! SQL for the spreadsheet import's write pass: a batch of imported rows
//! written with one multi-row INSERT per table (incidents, their timeline
//! entries, where each came from, the audit trail), the school's reference
//! counters raised once per batch, and the look-ups a batch of rows needs
//! in one query each; and the keys a pass has met (a temporary table).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Bool, Date, Integer, Nullable, Text, Timestamp};

use crate::db::dialect::{self, Backend};
use crate::db::schema::{incident_imports, incidents};
use crate::db::AnyConnection;

type Db = <AnyConnection as diesel::Connection>::Backend;

/// An imported incident as it is once imported: its status, outcome and
/// acknowledgement already as the row-by-row import left them after its
/// insert and updates.
pub struct IncidentRow<'a> {
    pub id: &'a str,
    pub school_id: &'a str,
    pub reference: &'a str,
    pub pupil_id: &'a str,
    pub tutor_group: &'a str,
    pub year_group: Option<i32>,
    pub incident_date: Option<NaiveDate>,
    pub category_code: &'a str,
    pub child_at_risk: bool,
    pub location: &'a str,
    pub platform: Option<&'a str>,
    pub details: &'a str,
    pub actions_taken: &'a str,
    pub search_text: &'a str,
    pub status: &'a str,
    pub owner_role: &'a str,
    pub about_headteacher: bool,
    pub staff_initials: &'a str,
    pub logged_at: NaiveDateTime,
    pub version: i32,
    pub lg_acknowledged_at: Option<NaiveDateTime>,
    pub outcome: Option<&'a str>,
    pub closed_at: Option<NaiveDateTime>,
    pub counted_on: NaiveDate,
}

/// A timeline entry of an imported incident.
pub struct EventRow<'a> {
    pub id: String,
    pub incident_id: &'a str,
    pub school_id: &'a str,
    pub seq: i32,
    pub incident_version: i32,
    pub kind: &'a str,
    pub by_initials: &'a str,
    pub at: NaiveDateTime,
    pub text: Option<&'a str>,
    pub field: Option<&'a str>,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub visible_to_reporter: bool,
}

/// Where an imported incident came from.
pub struct ImportRow<'a> {
    pub incident_id: &'a str,
    pub school_id: &'a str,
    pub file: &'a str,
    pub line: i32,
    pub key: &'a str,
    pub at: NaiveDateTime,
}

/// The audit row of an imported incident.
pub struct AuditRow<'a> {
    pub id: String,
    pub school_id: &'a str,
    pub action: &'a str,
    pub record_type: &'a str,
    pub record_id: &'a str,
    pub detail: String,
    pub ip: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// One multi-row INSERT being built: the placeholders as the database
/// writes them, and the values bound in the same order.
struct Insert<'f> {
    query: BoxedSqlQuery<'f, Db, SqlQuery>,
    postgres: bool,
    bound: usize,
    first_in_row: bool,
}

impl<'f> Insert<'f> {
    fn new(conn: &AnyConnection, table: &str, columns: &[&str]) -> Self {
        let sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        Self {
            query: diesel::sql_query(sql).into_boxed(),
            postgres: dialect::backend(conn) == Backend::Postgres,
            bound: 0,
            first_in_row: true,
        }
    }

    fn row(mut self) -> Self {
        if self.bound > 0 {
            self.query = self.query.sql("), (");
        } else {
            self.query = self.query.sql("(");
        }
        self.first_in_row = true;
        self
    }

    fn value<T, V>(mut self, value: V) -> Self
    where
        Db: diesel::sql_types::HasSqlType<T>,
        V: diesel::serialize::ToSql<T, Db> + Send + 'f,
        T: Send + 'f,
    {
        self.bound += 1;
        let comma = if self.first_in_row { "" } else { ", " };
        self.first_in_row = false;
        let place = if self.postgres {
            format!("{comma}${}", self.bound)
        } else {
            format!("{comma}?")
        };
        self.query = self.query.sql(place).bind::<T, V>(value);
        self
    }

    fn run(self, conn: &mut AnyConnection) -> QueryResult<usize> {
        if self.bound == 0 {
            return Ok(0);
        }
        self.query.sql(")").execute(conn)
    }
}

pub fn insert_incidents(conn: &mut AnyConnection, rows: &[IncidentRow<'_>]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Insert::new(
        conn,
        "incidents",
        &[
            "id",
            "school_id",
            "reference",
            "pupil_id",
            "tutor_group",
            "year_group",
            "incident_date",
            "category_code",
            "child_at_risk",
            "location",
            "platform",
            "details",
            "actions_taken",
            "search_text",
            "status",
            "owner_role",
            "about_headteacher",
            "staff_initials",
            "logged_at",
            "updated_at",
            "version",
            "lg_acknowledged_at",
            "outcome",
            "closed_at",
            "counted_on",
        ],
    );
    for r in rows {
        q = q
            .row()
            .value::<Text, _>(r.id)
            .value::<Text, _>(r.school_id)
            .value::<Text, _>(r.reference)
            .value::<Text, _>(r.pupil_id)
            .value::<Text, _>(r.tutor_group)
            .value::<Nullable<Integer>, _>(r.year_group)
            .value::<Nullable<Date>, _>(r.incident_date)
            .value::<Text, _>(r.category_code)
            .value::<Bool, _>(r.child_at_risk)
            .value::<Text, _>(r.location)
            .value::<Nullable<Text>, _>(r.platform)
            .value::<Text, _>(r.details)
            .value::<Text, _>(r.actions_taken)
            .value::<Text, _>(r.search_text)
            .value::<Text, _>(r.status)
            .value::<Text, _>(r.owner_role)
            .value::<Bool, _>(r.about_headteacher)
            .value::<Text, _>(r.staff_initials)
            .value::<Timestamp, _>(r.logged_at)
            .value::<Timestamp, _>(r.logged_at)
            .value::<Integer, _>(r.version)
            .value::<Nullable<Timestamp>, _>(r.lg_acknowledged_at)
            .value::<Nullable<Text>, _>(r.outcome)
            .value::<Nullable<Timestamp>, _>(r.closed_at)
            .value::<Date, _>(r.counted_on);
    }
    q.run(conn).map(|_| ())
}

pub fn insert_events(conn: &mut AnyConnection, rows: &[EventRow<'_>]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Insert::new(
        conn,
        "incident_events",
        &[
            "id",
            "incident_id",
            "school_id",
            "seq",
            "incident_version",
            "kind",
            "by_user_id",
            "by_initials",
            "at",
            "text",
            "field",
            "old_value",
            "new_value",
            "reason",
            "visible_to_reporter",
        ],
    );
    for r in rows {
        q = q
            .row()
            .value::<Text, _>(r.id.as_str())
            .value::<Text, _>(r.incident_id)
            .value::<Text, _>(r.school_id)
            .value::<Integer, _>(r.seq)
            .value::<Integer, _>(r.incident_version)
            .value::<Text, _>(r.kind)
            .value::<Nullable<Text>, _>(None::<&str>)
            .value::<Text, _>(r.by_initials)
            .value::<Timestamp, _>(r.at)
            .value::<Nullable<Text>, _>(r.text)
            .value::<Nullable<Text>, _>(r.field)
            .value::<Nullable<Text>, _>(r.old_value)
            .value::<Nullable<Text>, _>(r.new_value)
            .value::<Nullable<Text>, _>(r.reason)
            .value::<Bool, _>(r.visible_to_reporter);
    }
    q.run(conn).map(|_| ())
}

pub fn insert_imports(conn: &mut AnyConnection, rows: &[ImportRow<'_>]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Insert::new(
        conn,
        "incident_imports",
        &[
            "incident_id",
            "school_id",
            "import_file",
            "import_line",
            "import_key",
            "imported_at",
        ],
    );
    for r in rows {
        q = q
            .row()
            .value::<Text, _>(r.incident_id)
            .value::<Text, _>(r.school_id)
            .value::<Text, _>(r.file)
            .value::<Integer, _>(r.line)
            .value::<Text, _>(r.key)
            .value::<Timestamp, _>(r.at);
    }
    q.run(conn).map(|_| ())
}

pub fn insert_audit(conn: &mut AnyConnection, rows: &[AuditRow<'_>]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Insert::new(
        conn,
        "audit_events",
        &[
            "id",
            "school_id",
            "actor_id",
            "action",
            "record_type",
            "record_id",
            "detail",
            "ip",
            "at",
        ],
    );
    for r in rows {
        q = q
            .row()
            .value::<Text, _>(r.id.as_str())
            .value::<Nullable<Text>, _>(Some(r.school_id))
            .value::<Nullable<Text>, _>(None::<&str>)
            .value::<Text, _>(r.action)
            .value::<Nullable<Text>, _>(Some(r.record_type))
            .value::<Nullable<Text>, _>(Some(r.record_id))
            .value::<Nullable<Text>, _>(Some(r.detail.as_str()))
            .value::<Nullable<Text>, _>(r.ip)
            .value::<Timestamp, _>(r.at);
    }
    q.run(conn).map(|_| ())
}

/// Sets the school's last reference number of `year`, as the row-by-row
/// import left it after the same rows.
pub fn set_reference_counter(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i32,
    last_seq: i32,
) -> QueryResult<()> {
    Insert::new(
        conn,
        "incident_references",
        &["school_id", "year", "last_seq"],
    )
    .row()
    .value::<Text, _>(school_id)
    .value::<Integer, _>(year)
    .value::<Integer, _>(last_seq)
    .query
    .sql(") ON CONFLICT (school_id, year) DO UPDATE SET last_seq = excluded.last_seq")
    .execute(conn)
    .map(|_| ())
}

/// Of these import keys, those an earlier import made an incident from,
/// with that incident's reference.
pub fn imported_before(
    conn: &mut AnyConnection,
    school_id: &str,
    keys: &[&str],
) -> QueryResult<HashMap<String, String>> {
    let mut found = HashMap::new();
    if keys.is_empty() {
        return Ok(found);
    }
    let rows: Vec<(String, String)> = incident_imports::table
        .inner_join(incidents::table)
        .filter(incident_imports::school_id.eq(school_id))
        .filter(incident_imports::import_key.eq_any(keys))
        .select((incident_imports::import_key, incidents::reference))
        .load(conn)?;
    for (key, reference) in rows {
        found.entry(key).or_insert(reference);
    }
    Ok(found)
}

/// The import keys one pass has met, with the first line of each: a table
/// of the connection's own (TEMP), so that the repeat check of a file of a
/// million rows takes the database's pages, not the process's memory.
/// Made and emptied before each pass, outside its transaction (a read-only
/// PostgreSQL transaction may write a temporary table but not create one);
/// dropped when the import ends, so the pooled connection goes back clean.
pub fn seen_start(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::sql_query(
        "CREATE TEMP TABLE IF NOT EXISTS import_seen (import_key TEXT PRIMARY KEY, line BIGINT NOT NULL)",
    )
    .execute(conn)?;
    diesel::sql_query("DELETE FROM import_seen")
        .execute(conn)
        .map(|_| ())
}

pub fn seen_end(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::sql_query("DROP TABLE IF EXISTS import_seen")
        .execute(conn)
        .map(|_| ())
}

#[derive(QueryableByName)]
struct Seen {
    #[diesel(sql_type = Text)]
    import_key: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    line: i64,
}

/// Of these keys, those the pass has met, with their first line.
pub fn seen_lines(conn: &mut AnyConnection, keys: &[&str]) -> QueryResult<HashMap<String, u64>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let postgres = dialect::backend(conn) == Backend::Postgres;
    let mut q = diesel::sql_query("SELECT import_key, line FROM import_seen WHERE import_key IN (")
        .into_boxed::<Db>();
    for (i, key) in keys.iter().enumerate() {
        let comma = if i == 0 { "" } else { ", " };
        let place = if postgres {
            format!("{comma}${}", i + 1)
        } else {
            format!("{comma}?")
        };
        q = q.sql(place).bind::<Text, _>(*key);
    }
    Ok(q.sql(")")
        .load::<Seen>(conn)?
        .into_iter()
        .map(|s| (s.import_key, u64::try_from(s.line).unwrap_or_default()))
        .collect())
}

/// Records that the pass has met these keys, first at these lines.
pub fn seen_add(conn: &mut AnyConnection, met: &[(String, u64)]) -> QueryResult<()> {
    if met.is_empty() {
        return Ok(());
    }
    let mut q = Insert::new(conn, "import_seen", &["import_key", "line"]);
    for (key, line) in met {
        q = q
            .row()
            .value::<Text, _>(key.as_str())
            .value::<diesel::sql_types::BigInt, _>(i64::try_from(*line).unwrap_or(i64::MAX));
    }
    q.run(conn).map(|_| ())
}
