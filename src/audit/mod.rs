//! The audit trail: an append-only record of who did what to which record,
//! when and from where. The database refuses updates and deletes (a trigger
//! on each backend), so the application could not rewrite it if it tried.
//!
//! `detail` must never hold a password, token, secret, pupil's name or an
//! incident's text: it says what kind of change, not its content.

pub mod store;

use chrono::NaiveDateTime;

/// One thing that happened, built up and then written with [`store::insert`].
#[derive(Clone, Debug)]
pub struct Event {
    pub school_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: &'static str,
    pub record_type: Option<&'static str>,
    pub record_id: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub at: NaiveDateTime,
}

impl Event {
    pub fn new(action: &'static str, at: NaiveDateTime) -> Self {
        Self {
            school_id: None,
            actor_id: None,
            action,
            record_type: None,
            record_id: None,
            detail: None,
            ip: None,
            at,
        }
    }

    pub fn school(mut self, school_id: &str) -> Self {
        self.school_id = Some(school_id.to_string());
        self
    }

    pub fn actor(mut self, user_id: &str) -> Self {
        self.actor_id = Some(user_id.to_string());
        self
    }

    pub fn record(mut self, record_type: &'static str, id: &str) -> Self {
        self.record_type = Some(record_type);
        self.record_id = Some(id.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn ip(mut self, ip: Option<&str>) -> Self {
        self.ip = ip.map(str::to_string);
        self
    }
}
