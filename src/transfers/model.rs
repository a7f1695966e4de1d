//! A transfer as stored: which way it went, and its receipt.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::transfers;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// From one school of this deployment to another.
    Within,
    /// Downloaded as a signed package for a school on another system.
    PackageOut,
    /// A package from another system, imported here.
    PackageIn,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Within => "within",
            Kind::PackageOut => "package_out",
            Kind::PackageIn => "package_in",
        }
    }

    pub fn parse(s: &str) -> Kind {
        match s {
            "package_out" => Kind::PackageOut,
            "package_in" => Kind::PackageIn,
            _ => Kind::Within,
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = transfers)]
pub struct Transfer {
    pub id: String,
    pub document_id: String,
    pub kind: String,
    pub from_school_id: Option<String>,
    pub from_pupil_id: Option<String>,
    pub from_school_name: String,
    pub from_school_urn: Option<String>,
    pub to_school_id: Option<String>,
    pub to_urn: Option<String>,
    pub pupil_name: String,
    pub incident_count: i32,
    pub document: String,
    pub sent_at: NaiveDateTime,
    pub sent_by: Option<String>,
    pub sent_by_name: String,
    pub opened_at: Option<NaiveDateTime>,
    pub opened_by: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub confirmed_by: Option<String>,
    pub linked_pupil_id: Option<String>,
    pub key_fingerprint: Option<String>,
}

/// Which side of a transfer a school is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Sender,
    Receiver,
}

impl Transfer {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind)
    }

    /// The side `school_id` is on, or None: a transfer is only its two
    /// schools' business.
    pub fn side_of(&self, school_id: &str) -> Option<Side> {
        if self.to_school_id.as_deref() == Some(school_id) {
            Some(Side::Receiver)
        } else if self.from_school_id.as_deref() == Some(school_id) {
            Some(Side::Sender)
        } else {
            None
        }
    }

    /// Sent within the deployment, not yet confirmed, and sent before
    /// `due`: KCSIE's five school days have passed.
    pub fn overdue(&self, due: NaiveDateTime) -> bool {
        self.kind() == Kind::Within && self.confirmed_at.is_none() && self.sent_at < due
    }
}

/// The moment before which an unconfirmed transfer is overdue: five school
/// days before `now`, counted as the pick-up reminders count them
/// (weekdays; a weekend does not count).
pub fn overdue_before(now: NaiveDateTime) -> NaiveDateTime {
    crate::cases::reminders::picked_up_by(now, SCHOOL_DAYS)
}

/// KCSIE: the file is transferred within five school days.
pub const SCHOOL_DAYS: i32 = 5;

impl Transfer {
    /// Whether, seen from `school_id`, the file is about one of `pupils`:
    /// the pupil it was sent from, or the pupil it was linked to on receipt.
    pub fn about_any(&self, school_id: &str, pupils: &[String]) -> bool {
        let ours = |school: &Option<String>, pupil: &Option<String>| {
            school.as_deref() == Some(school_id)
                && pupil.as_ref().is_some_and(|p| pupils.contains(p))
        };
        ours(&self.from_school_id, &self.from_pupil_id)
            || ours(&self.to_school_id, &self.linked_pupil_id)
    }
}
