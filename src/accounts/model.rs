//! Trusts, their schools, and the people who work in them. One person has
//! one account and any number of memberships: the roles they hold in each
//! school (`user_roles`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::roles::Role;
use crate::config::Require2fa;
use crate::db::schema::{schools, trusts, users};

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
    /// The DfE's URN, six digits; `None` for a school made before URNs
    /// were asked for (its settings page asks).
    pub urn: Option<String>,
    pub trust_id: Option<String>,
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
#[diesel(table_name = trusts)]
pub struct Trust {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// A school's DfE unique reference number: exactly six digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Urn(String);

impl Urn {
    pub fn parse(typed: &str) -> Result<Urn, String> {
        let t = typed.trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Urn(t.to_string()))
        } else {
            Err(format!(
                "'{}' is not a URN: a school's URN is the six digits the DfE gave it (Get Information about Schools), e.g. 100000",
                t.chars().take(40).collect::<String>()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    /// Where a sign-in starts, while the account is still a member there.
    /// Named apart from `school_id` so that no code takes it for the
    /// school a request works in, which is the session's.
    #[diesel(column_name = school_id)]
    pub home_school_id: String,
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

/// How an account that an administrator opens is shared with other
/// schools. Its roles are per school, so each school's administrator
/// manages their own; its name, email, initials, second factor and whether
/// it may sign in at all are the person's everywhere, so an administrator
/// of one school must not change them for the others (an email changed,
/// then a reset link, would hand the other schools' records to whoever
/// chose the address).
#[derive(Clone, Debug, Default)]
pub struct Sharing {
    /// The other schools the person works at, by name.
    pub elsewhere: Vec<String>,
    /// The administrator is an administrator at every one of them too.
    pub admin_of_all: bool,
}

impl Sharing {
    pub fn is_shared(&self) -> bool {
        !self.elsewhere.is_empty()
    }

    /// Whether the administrator may change what the person's schools share.
    pub fn may_change_account(&self) -> bool {
        !self.is_shared() || self.admin_of_all
    }

    /// Why they may not: said beside the field, or on the refused page.
    pub const NOT_HERE: &'static str = "This person also works at another school in safelog, so their name, email, initials and two-factor sign-in can be changed only by an administrator of every school they work at.";
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

#[cfg(test)]
mod tests {
    use super::Urn;

    #[test]
    fn a_urn_is_six_digits_and_nothing_else() {
        assert_eq!(
            Urn::parse(" 123456 ").map(|u| u.as_str().to_string()),
            Ok("123456".into())
        );
        for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦", "12 456"] {
            let err = Urn::parse(bad).unwrap_err();
            assert!(err.contains("six digits"), "{bad}: {err}");
        }
    }
}
