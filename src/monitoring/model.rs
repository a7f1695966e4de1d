//! What a monitoring alert is: its severity on safelog's scale of four, its
//! status as it is triaged, and why it was dismissed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::monitoring_alerts;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }

    /// Stored beside the name so that the inbox sorts most severe first in
    /// SQL on both backends.
    pub fn rank(self) -> i32 {
        match self {
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim().to_ascii_lowercase())
    }

    /// The built-in reading of a tool's own severity word, for a value the
    /// school has not mapped. The common scales (words, 1 to 5, "P1") are
    /// read as the tools use them; anything not recognised is taken as
    /// high, so that an alert a mapping misses is looked at soon rather
    /// than left at the bottom of the inbox.
    pub fn default_for(tool_value: &str) -> Severity {
        let v = tool_value.trim().to_ascii_lowercase();
        match v.as_str() {
            "low" | "info" | "information" | "informational" | "minor" | "1" | "p4" | "p5" => {
                Severity::Low
            }
            "medium" | "moderate" | "warning" | "warn" | "2" | "p3" => Severity::Medium,
            "high" | "serious" | "major" | "3" | "p2" => Severity::High,
            "critical" | "severe" | "urgent" | "emergency" | "4" | "5" | "p1" => Severity::Critical,
            _ => Severity::High,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    New,
    Acknowledged,
    Dismissed,
    Promoted,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::Acknowledged,
        Status::Dismissed,
        Status::Promoted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::Dismissed => "dismissed",
            Status::Promoted => "promoted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Acknowledged => "Acknowledged",
            Status::Dismissed => "Dismissed",
            Status::Promoted => "Promoted to an incident",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }

    /// Dismissed and promoted are decisions: final, and counted as such.
    pub fn decided(self) -> bool {
        matches!(self, Status::Dismissed | Status::Promoted)
    }
}

/// Why an alert was dismissed: one of these, "other" with typed words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DismissReason {
    FalsePositive,
    AlreadyKnown,
    NotSafeguarding,
    Other,
}

impl DismissReason {
    pub const ALL: [DismissReason; 4] = [
        DismissReason::FalsePositive,
        DismissReason::AlreadyKnown,
        DismissReason::NotSafeguarding,
        DismissReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DismissReason::FalsePositive => "false_positive",
            DismissReason::AlreadyKnown => "already_known",
            DismissReason::NotSafeguarding => "not_safeguarding",
            DismissReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DismissReason::FalsePositive => "False positive",
            DismissReason::AlreadyKnown => "Already known",
            DismissReason::NotSafeguarding => "Not a safeguarding matter",
            DismissReason::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<DismissReason> {
        let v = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        DismissReason::ALL.into_iter().find(|r| r.as_str() == v)
    }
}

/// One alert as stored.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = monitoring_alerts)]
pub struct Alert {
    pub id: String,
    pub school_id: String,
    pub key_id: String,
    pub source: String,
    pub source_key: String,
    pub tool_alert_id: String,
    pub received_at: NaiveDateTime,
    pub occurred_at: Option<NaiveDateTime>,
    pub tool_severity: String,
    pub severity: String,
    pub severity_rank: i32,
    pub device: Option<String>,
    pub account: Option<String>,
    pub pupil_identifier: Option<String>,
    pub pupil_id: Option<String>,
    pub category_hint: Option<String>,
    pub text: Option<String>,
    pub url: Option<String>,
    pub extra: Option<String>,
    pub status: String,
    pub first_looked_at: Option<NaiveDateTime>,
    pub first_looked_by: Option<String>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub dismiss_reason: Option<String>,
    pub dismiss_note: Option<String>,
    pub incident_id: Option<String>,
}

impl Alert {
    pub fn severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::High)
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::New)
    }

    /// The reason as a person reads it: the choice, and the typed words.
    pub fn dismissal(&self) -> Option<String> {
        let reason = DismissReason::parse(self.dismiss_reason.as_deref()?)?;
        Some(match (&self.dismiss_note, reason) {
            (Some(note), DismissReason::Other) => note.clone(),
            (Some(note), r) if !note.is_empty() => format!("{}: {note}", r.label()),
            (_, r) => r.label().to_string(),
        })
    }
}

/// A key as the administration page lists it (never the key itself).
#[derive(Clone, Debug)]
pub struct KeyRow {
    pub id: String,
    pub source: String,
    pub source_key: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tools_own_severity_is_read_on_the_common_scales_and_unknown_is_high() {
        assert_eq!(Severity::default_for("Critical"), Severity::Critical);
        assert_eq!(Severity::default_for("5"), Severity::Critical);
        assert_eq!(Severity::default_for("info"), Severity::Low);
        assert_eq!(Severity::default_for("warning"), Severity::Medium);
        assert_eq!(Severity::default_for("level-9"), Severity::High);
    }

    #[test]
    fn dismiss_reasons_read_as_typed_or_coded() {
        assert_eq!(
            DismissReason::parse("false positive"),
            Some(DismissReason::FalsePositive)
        );
        assert_eq!(
            DismissReason::parse("not_safeguarding"),
            Some(DismissReason::NotSafeguarding)
        );
        assert_eq!(DismissReason::parse("bored"), None);
    }
}
