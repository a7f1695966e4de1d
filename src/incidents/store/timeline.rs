//! An incident's timeline: every event, in order, never changed (the
//! database refuses updates and deletes). Case actions of later features
//! append here with [`append`] and a new [`EventKind`].

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::incident_events;
use crate::db::AnyConnection;
use crate::incidents::model::{Event, EventKind};

/// Who did something: an account, with the initials it signs with.
#[derive(Clone, Debug)]
pub struct Author {
    pub user_id: Option<String>,
    pub initials: String,
}

impl Author {
    pub fn of(user: &crate::auth::CurrentUser) -> Self {
        Self {
            user_id: Some(user.id.clone()),
            initials: user.initials.clone(),
        }
    }
}

/// An event to append, built up from [`NewEvent::new`].
#[derive(Clone, Debug)]
pub struct NewEvent<'a> {
    pub incident_id: &'a str,
    pub school_id: &'a str,
    pub incident_version: i32,
    pub kind: EventKind,
    pub by: &'a Author,
    pub at: NaiveDateTime,
    pub text: Option<&'a str>,
    pub field: Option<&'a str>,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// Whether the member of staff who logged the incident sees it.
    pub visible_to_reporter: bool,
}

impl<'a> NewEvent<'a> {
    /// An event on `incident_id` once the incident is at `incident_version`.
    /// Seen by the person who logged the incident only if they wrote it,
    /// unless [`NewEvent::for_reporter`] says otherwise.
    pub fn new(
        kind: EventKind,
        incident_id: &'a str,
        school_id: &'a str,
        incident_version: i32,
        by: &'a Author,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            incident_id,
            school_id,
            incident_version,
            kind,
            by,
            at,
            text: None,
            field: None,
            old_value: None,
            new_value: None,
            reason: None,
            visible_to_reporter: false,
        }
    }

    pub fn text(mut self, text: &'a str) -> Self {
        self.text = Some(text);
        self
    }

    pub fn change(mut self, field: &'a str, old: &'a str, new: &'a str) -> Self {
        self.field = Some(field);
        self.old_value = Some(old);
        self.new_value = Some(new);
        self
    }

    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn for_reporter(mut self, visible: bool) -> Self {
        self.visible_to_reporter = visible;
        self
    }
}

/// Appends an event. Call it inside the write transaction that makes the
/// change it records, so the two are never apart.
pub fn append(conn: &mut AnyConnection, e: &NewEvent<'_>) -> QueryResult<()> {
    let last: Option<i32> = incident_events::table
        .filter(incident_events::incident_id.eq(e.incident_id))
        .select(diesel::dsl::max(incident_events::seq))
        .first(conn)?;
    diesel::insert_into(incident_events::table)
        .values((
            incident_events::id.eq(uuid::Uuid::new_v4().to_string()),
            incident_events::incident_id.eq(e.incident_id),
            incident_events::school_id.eq(e.school_id),
            incident_events::seq.eq(last.unwrap_or(0) + 1),
            incident_events::incident_version.eq(e.incident_version),
            incident_events::kind.eq(e.kind.as_str()),
            incident_events::by_user_id.eq(e.by.user_id.as_deref()),
            incident_events::by_initials.eq(&e.by.initials),
            incident_events::at.eq(e.at),
            incident_events::text.eq(e.text),
            incident_events::field.eq(e.field),
            incident_events::old_value.eq(e.old_value),
            incident_events::new_value.eq(e.new_value),
            incident_events::reason.eq(e.reason),
            incident_events::visible_to_reporter.eq(e.visible_to_reporter),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who is reading a timeline.
#[derive(Clone, Copy, Debug)]
pub enum Reader<'a> {
    /// A lead reading the case: everything.
    Full,
    /// The person who logged it: what is marked for them, and what they wrote.
    Reporter { user_id: &'a str },
}

/// The timeline, oldest first.
pub fn for_incident(
    conn: &mut AnyConnection,
    incident_id: &str,
    reader: Reader<'_>,
) -> QueryResult<Vec<Event>> {
    let mut q = incident_events::table
        .filter(incident_events::incident_id.eq(incident_id))
        .into_boxed();
    if let Reader::Reporter { user_id } = reader {
        q = q.filter(
            incident_events::visible_to_reporter
                .eq(true)
                .or(incident_events::by_user_id
                    .assume_not_null()
                    .eq(user_id.to_string())),
        );
    }
    q.order(incident_events::seq.asc())
        .select(Event::as_select())
        .load(conn)
}
