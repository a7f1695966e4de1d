//! An incident as stored and as shown: its row, its status, where it
//! happened, the other pupils involved, and the events of its timeline.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::categories::Category;
use crate::db::schema::{incident_events, incidents};
use crate::pupils::model::Pupil;

/// The case's status (PRODUCT.md "The case").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    New,
    InProgress,
    Escalated,
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::InProgress,
        Status::Escalated,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::Escalated => "escalated",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// As leads read it.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::InProgress => "In progress",
            Status::Escalated => "Escalated",
            Status::Closed => "Closed",
        }
    }

    /// As the member of staff who logged it reads it: whether it has been
    /// picked up, without the case's inner steps (an escalation is the
    /// lead's business).
    pub fn reporter_label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::InProgress | Status::Escalated => "Being dealt with",
            Status::Closed => "Closed",
        }
    }
}

/// Where it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    InSchool,
    OutsideSchool,
    OnlineAtHome,
    Unknown,
}

impl Location {
    pub const ALL: [Location; 4] = [
        Location::InSchool,
        Location::OutsideSchool,
        Location::OnlineAtHome,
        Location::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Location::InSchool => "in_school",
            Location::OutsideSchool => "outside_school",
            Location::OnlineAtHome => "online_at_home",
            Location::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Location::InSchool => "In school",
            Location::OutsideSchool => "Outside school",
            Location::OnlineAtHome => "Online at home",
            Location::Unknown => "Not known",
        }
    }
}

/// How another pupil is involved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PupilRole {
    Reported,
    Affected,
    Alleged,
    Witness,
}

impl PupilRole {
    pub const ALL: [PupilRole; 4] = [
        PupilRole::Reported,
        PupilRole::Affected,
        PupilRole::Alleged,
        PupilRole::Witness,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PupilRole::Reported => "reported",
            PupilRole::Affected => "affected",
            PupilRole::Alleged => "alleged",
            PupilRole::Witness => "witness",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PupilRole::Reported => "Reported it",
            PupilRole::Affected => "Affected",
            PupilRole::Alleged => "Alleged to be involved",
            PupilRole::Witness => "Witness",
        }
    }
}

/// What a timeline entry records. The database's CHECK already allows every
/// kind listed here; a new kind needs a variant here and a value in that
/// CHECK (a new migration), nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Logged,
    Note,
    Action,
    Correction,
    EnteredInError,
    StatusChange,
    Escalation,
    Referral,
    Acknowledgement,
    Assignment,
    Reopened,
}

impl EventKind {
    /// The case steps the spreadsheet's "Actions and Outcome" lists.
    pub const ACTIONS: [EventKind; 5] = [
        EventKind::Action,
        EventKind::Escalation,
        EventKind::Referral,
        EventKind::StatusChange,
        EventKind::Reopened,
    ];

    pub const ALL: [EventKind; 11] = [
        EventKind::Logged,
        EventKind::Note,
        EventKind::Action,
        EventKind::Correction,
        EventKind::EnteredInError,
        EventKind::StatusChange,
        EventKind::Escalation,
        EventKind::Referral,
        EventKind::Acknowledgement,
        EventKind::Assignment,
        EventKind::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Logged => "logged",
            EventKind::Note => "note",
            EventKind::Action => "action",
            EventKind::Correction => "correction",
            EventKind::EnteredInError => "entered_in_error",
            EventKind::StatusChange => "status_change",
            EventKind::Escalation => "escalation",
            EventKind::Referral => "referral",
            EventKind::Acknowledgement => "acknowledgement",
            EventKind::Assignment => "assignment",
            EventKind::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::Logged => "Logged",
            EventKind::Note => "Note",
            EventKind::Action => "Action",
            EventKind::Correction => "Correction",
            EventKind::EnteredInError => "Marked as entered in error",
            EventKind::StatusChange => "Status changed",
            EventKind::Escalation => "Escalated",
            EventKind::Referral => "Referral",
            EventKind::Acknowledgement => "Leadership acknowledgement",
            EventKind::Assignment => "Assigned",
            EventKind::Reopened => "Reopened",
        }
    }
}

/// An incident's row.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = incidents)]
pub struct Incident {
    pub id: String,
    pub school_id: String,
    pub reference: String,
    pub pupil_id: String,
    pub tutor_group: String,
    pub year_group: Option<i32>,
    pub incident_date: Option<NaiveDate>,
    pub category_code: String,
    pub child_at_risk: bool,
    pub location: String,
    pub platform: Option<String>,
    pub details: String,
    pub actions_taken: String,
    pub search_text: String,
    pub status: String,
    pub owner_role: String,
    pub owner_user_id: Option<String>,
    pub logged_by: Option<String>,
    pub staff_initials: String,
    pub logged_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
    pub lg_acknowledged_by: Option<String>,
    pub lg_acknowledged_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub entered_in_error_at: Option<NaiveDateTime>,
    pub entered_in_error_by: Option<String>,
    pub entered_in_error_reason: Option<String>,
    pub idempotency_key: Option<String>,
    pub about_headteacher: bool,
}

impl Incident {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::New)
    }

    pub fn location(&self) -> Location {
        Location::parse(&self.location).unwrap_or(Location::Unknown)
    }

    /// The allegations lead owns an allegation about the headteacher,
    /// whatever `owner_role` says (see the allegations_lead migration: the
    /// column keeps the category's owner).
    pub fn owner(&self) -> crate::auth::Role {
        if self.about_headteacher {
            return crate::auth::Role::AllegationsLead;
        }
        self.owner_role.parse().unwrap_or(crate::auth::Role::Dsl)
    }

    pub fn entered_in_error(&self) -> bool {
        self.entered_in_error_at.is_some()
    }

    /// Where a pupil's chronology places it: its date, or the day it was
    /// logged when its date is not known.
    pub fn chronology_key(&self) -> (NaiveDate, NaiveDateTime, String) {
        (
            self.incident_date.unwrap_or(self.logged_at.date()),
            self.logged_at,
            self.id.clone(),
        )
    }
}

/// One entry of an incident's timeline.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = incident_events)]
pub struct Event {
    pub id: String,
    pub incident_id: String,
    pub school_id: String,
    pub seq: i32,
    pub incident_version: i32,
    pub kind: String,
    pub by_user_id: Option<String>,
    pub by_initials: String,
    pub at: NaiveDateTime,
    pub text: Option<String>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub visible_to_reporter: bool,
}

impl Event {
    pub fn kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.kind)
    }
}

/// Another pupil involved, with how.
#[derive(Clone, Debug)]
pub struct OtherPupil {
    pub pupil: Pupil,
    pub role: PupilRole,
}

/// An incident with what it takes to show it: the pupil, the category, the
/// other pupils, the actions on its timeline this viewer may read, and
/// whether the viewer reads it in full or only as the person who logged it.
#[derive(Clone, Debug)]
pub struct IncidentView {
    pub incident: Incident,
    pub pupil: Pupil,
    pub category: Category,
    pub others: Vec<OtherPupil>,
    pub actions: Vec<Event>,
    pub full: bool,
    /// What is left of a record destroyed at its retention review (the
    /// retention feature writes it); None for a live record.
    pub tombstone: Option<Tombstone>,
}

/// A destroyed record's tombstone: who destroyed it, when, in which role
/// and why. The incident row keeps its reference, category and dates; its
/// narrative, files and links to pupils are gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tombstone {
    pub destroyed_at: NaiveDateTime,
    pub destroyed_by: String,
    /// The name of whoever destroyed it, as the account says now.
    pub destroyed_by_name: String,
    /// `dpo` or `dsl`.
    pub destroyed_as: String,
    pub reason: String,
}

impl Tombstone {
    /// The role it was destroyed in, as people read it.
    pub fn role_label(&self) -> &'static str {
        match self.destroyed_as.as_str() {
            "dpo" => "the data protection officer",
            _ => "the designated safeguarding lead",
        }
    }

    /// One line for exports and the record page.
    pub fn sentence(&self) -> String {
        format!(
            "Destroyed on {} by {} ({}) at its retention review: {}",
            self.destroyed_at.format("%d/%m/%Y"),
            self.role_label(),
            self.destroyed_by_name,
            self.reason
        )
    }
}

/// Why a destroyed record refuses every change.
pub const DESTROYED: &str = "This record was destroyed at its retention review: only its tombstone is kept, so nothing can be added to it or changed.";

impl IncidentView {
    /// The spreadsheet's "Actions and Outcome": the actions typed when it
    /// was logged, then each later action with its date and initials, then
    /// the outcome once closed. With nothing after logging, exactly what was
    /// typed. A case step other than a plain action (an escalation, a
    /// referral, a status change) is named before its text or reason.
    pub fn actions_outcome(&self) -> String {
        let mut parts = Vec::new();
        if !self.incident.actions_taken.is_empty() {
            parts.push(self.incident.actions_taken.clone());
        }
        for a in &self.actions {
            // A status no person set (the import's, or a migration's) says
            // where the record came from, not what anyone did: the timeline
            // shows it, this column does not. It also keeps an export
            // imported into another school the same in its seven columns.
            if a.by_user_id.is_none() && a.kind() == Some(EventKind::StatusChange) {
                continue;
            }
            let said = a.text.as_deref().or(a.reason.as_deref());
            let Some(text) = said.filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let step = match a.kind() {
                Some(EventKind::Action) | None => String::new(),
                Some(kind) => format!("{}: ", kind.label()),
            };
            parts.push(format!(
                "{} {}: {step}{text}",
                a.at.format("%d/%m/%Y"),
                a.by_initials,
            ));
        }
        // The outcome is the lead's: the member of staff who logged it sees
        // that the case is closed, not why.
        if let Some(outcome) = self.incident.outcome.as_ref().filter(|_| self.full) {
            parts.push(format!("Outcome: {outcome}"));
        }
        parts.join("\n")
    }
}
