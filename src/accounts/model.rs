//! Schools and the people who work in them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::roles::Role;
use crate::config::Require2fa;
use crate::db::schema::{schools, users};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = schools)]
pub struct School {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub require_2fa: String,
    /// School days an incident may wait to be picked up before a reminder.
    pub pickup_school_days: i32,
    /// k: governors' reports show counts from 1 to k-1 as "<k".
    pub report_min_count: i32,
}

impl School {
    pub fn two_factor_policy(&self) -> Require2fa {
        match self.require_2fa.as_str() {
            "all" => Require2fa::All,
            "none" => Require2fa::None,
            _ => Require2fa::Leads,
        }
    }
}

pub fn policy_str(policy: Require2fa) -> &'static str {
    match policy {
        Require2fa::Leads => "leads",
        Require2fa::All => "all",
        Require2fa::None => "none",
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub school_id: String,
    pub email: String,
    pub name: String,
    pub initials: String,
    pub password_hash: String,
    pub active: bool,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn has_2fa(&self) -> bool {
        self.totp_secret.is_some()
    }
}

/// Whether someone with `roles` must sign in with a second factor, given
/// the school's setting and the deployment's override.
pub fn needs_2fa(policy: Require2fa, roles: &[Role]) -> bool {
    match policy {
        Require2fa::All => true,
        Require2fa::None => false,
        Require2fa::Leads => roles.iter().any(|r| r.reads_sensitive_data()),
    }
}

/// An email as stored and compared: trimmed and lower-cased. A control
/// character (which no address holds) becomes U+FFFD, so a sign-in with one
/// matches no account on either database instead of PostgreSQL refusing
/// the query; forms refuse such an address before this.
pub fn normalise_email(email: &str) -> String {
    email
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}
