//! A subject access request as stored, and its clock: the answer is due one
//! calendar month after the request was received (the ICO's rule: the same
//! day of the next month, or that month's last day when it has no such
//! day), plus any extension of up to two further months, plus the days the
//! clock stood still while the school waited for ID or clarification (the
//! Data (Use and Access) Act 2025's "stop the clock").

use chrono::{Days, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    access_request_events, access_request_redactions, access_request_releases, access_requests,
};

/// Who made the request, as the law sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relationship {
    /// The pupil, for themselves.
    Pupil,
    /// A parent or carer.
    Parent,
    /// Someone acting for the pupil (a solicitor, an advocate).
    Representative,
}

impl Relationship {
    pub const ALL: [Relationship; 3] = [
        Relationship::Pupil,
        Relationship::Parent,
        Relationship::Representative,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Pupil => "pupil",
            Relationship::Parent => "parent",
            Relationship::Representative => "representative",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Relationship::Pupil => "The pupil",
            Relationship::Parent => "A parent or carer",
            Relationship::Representative => "Someone acting for the pupil",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The clock runs.
    Open,
    /// Waiting for ID or clarification: the clock stands still.
    Paused,
    /// The pack went to the requester; it is kept exactly as released.
    Released,
    /// The requester withdrew it.
    Withdrawn,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Paused => "paused",
            State::Released => "released",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Open => "Open",
            State::Paused => "Paused: waiting for ID or clarification",
            State::Released => "Released",
            State::Withdrawn => "Withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            State::Open,
            State::Paused,
            State::Released,
            State::Withdrawn,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = access_requests)]
pub struct Request {
    pub id: String,
    pub school_id: String,
    pub reference: String,
    pub pupil_id: String,
    pub requester_name: String,
    pub relationship: String,
    pub received_on: NaiveDate,
    pub extension_months: i32,
    pub extension_reason: Option<String>,
    pub paused_days: i32,
    pub paused_on: Option<NaiveDate>,
    pub state: String,
    pub keep_staff_names: bool,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

impl Request {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Open)
    }

    pub fn relationship(&self) -> Relationship {
        Relationship::parse(&self.relationship).unwrap_or(Relationship::Representative)
    }

    /// The day the answer is due, as things stand (while paused, the days
    /// paused so far are not yet added: resuming adds them).
    pub fn due_on(&self) -> NaiveDate {
        due_date(self.received_on, self.extension_months, self.paused_days)
    }

    /// Still to be answered: open or paused.
    pub fn in_hand(&self) -> bool {
        matches!(self.state(), State::Open | State::Paused)
    }

    /// Days from `today` to the due date (negative when overdue).
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        (self.due_on() - today).num_days()
    }
}

/// `months` calendar months after `day`: the same day of that month, or
/// its last day when it has none (31 January + 1 month = 28 or 29
/// February), as the ICO counts.
pub fn months_after(day: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps to the month's last day; it fails only past year 262143.
    day.checked_add_months(Months::new(months)).unwrap_or(day)
}

/// When the answer is due: one month after receipt, plus the extension's
/// months, plus the days the clock stood still.
pub fn due_date(received_on: NaiveDate, extension_months: i32, paused_days: i32) -> NaiveDate {
    let months = 1 + u32::try_from(extension_months.clamp(0, 2)).unwrap_or(0);
    let due = months_after(received_on, months);
    let paused = u64::try_from(paused_days.max(0)).unwrap_or(0);
    due.checked_add_days(Days::new(paused)).unwrap_or(due)
}

/// One step on a request's history.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = access_request_events)]
pub struct HistoryEntry {
    pub id: String,
    pub request_id: String,
    pub kind: String,
    pub detail: Option<String>,
    pub by_user_id: Option<String>,
    pub by_name: String,
    pub at: NaiveDateTime,
}

impl HistoryEntry {
    pub fn label(&self) -> &str {
        match self.kind.as_str() {
            "recorded" => "Request recorded",
            "paused" => "Clock paused",
            "resumed" => "Clock resumed",
            "extended" => "Time extended",
            "withdrawn" => "Withdrawn",
            "staff_names" => "Staff names",
            "redacted" => "Passage withheld",
            "released" => "Pack released",
            other => other,
        }
    }
}

/// A passage withheld from the pack, with the reason the pack shows.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = access_request_redactions)]
pub struct Redaction {
    pub id: String,
    pub request_id: String,
    pub incident_reference: String,
    pub field: String,
    pub passage: Option<String>,
    pub reason: String,
    pub by_user_id: Option<String>,
    pub at: NaiveDateTime,
}

/// A pack exactly as released.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = access_request_releases)]
pub struct Release {
    pub request_id: String,
    pub content: String,
    pub sha256: String,
    pub released_by: Option<String>,
    pub released_by_name: String,
    pub released_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_answer_is_due_the_same_day_next_month_or_that_months_last_day() {
        assert_eq!(due_date(d(2026, 9, 3), 0, 0), d(2026, 10, 3));
        assert_eq!(due_date(d(2027, 1, 31), 0, 0), d(2027, 2, 28));
        assert_eq!(due_date(d(2028, 1, 31), 0, 0), d(2028, 2, 29));
        assert_eq!(due_date(d(2026, 8, 31), 0, 0), d(2026, 9, 30));
        assert_eq!(due_date(d(2026, 12, 15), 0, 0), d(2027, 1, 15));
    }

    #[test]
    fn an_extension_adds_months_and_a_pause_adds_its_days() {
        assert_eq!(due_date(d(2026, 9, 3), 2, 0), d(2026, 12, 3));
        assert_eq!(due_date(d(2026, 9, 3), 0, 10), d(2026, 10, 13));
        assert_eq!(due_date(d(2027, 1, 31), 0, 3), d(2027, 3, 3));
    }
}
