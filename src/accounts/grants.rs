//! The two roles that open the most sensitive records: `headteacher` (who
//! reads allegations about staff) and `dsl` (every child-at-risk record).
//! An administrator manages accounts but reads no incident content, so an
//! administrator may not give either role to themselves; giving either to
//! anyone else tells every current headteacher, by email and on their start
//! page, so that no one gains them unseen.

use chrono::NaiveDateTime;

use super::model::User;
use super::store;
use crate::audit::{self, Event};
use crate::auth::Role;
use crate::db::AnyConnection;
use crate::error::AppError;

/// The allegations lead reads allegations about the headteacher, so it is
/// guarded too: an administrator cannot quietly make themselves the one who
/// reads them.
pub const GUARDED: [Role; 3] = [Role::Headteacher, Role::Dsl, Role::AllegationsLead];

/// The message on the role field when an administrator tries it on themselves.
pub const NOT_TO_YOURSELF: &str = "You cannot give yourself the headteacher, DSL or allegations lead role. \
    Ask the headteacher (or another administrator) to give it to you: they are told when it is given.";

/// The guarded roles in `new` that `old` did not have.
pub fn newly_granted(old: &[Role], new: &[Role]) -> Vec<Role> {
    GUARDED
        .into_iter()
        .filter(|r| new.contains(r) && !old.contains(r))
        .collect()
}

/// Who gave the role, as the notice names them.
pub struct GrantedBy<'a> {
    /// `None` from the command line.
    pub id: Option<&'a str>,
    pub name: &'a str,
}

/// Records each newly granted guarded role in the audit trail and tells
/// every active headteacher of `school_id` (the school the role is held
/// in) other than the person given it. Call it in the transaction that
/// sets the roles. The email names the person, the role
/// and who gave it; nothing about any pupil or incident.
pub fn announce(
    conn: &mut AnyConnection,
    school_id: &str,
    target: &User,
    granted: &[Role],
    by: &GrantedBy<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    announce_via(conn, school_id, target, granted, by, None, now)
}

/// As [`announce`], for a role given by something `by` set up rather than
/// by `by` directly: `via` (such as "single sign-on with Microsoft") is
/// named in the email, the audit trail and on the start page.
pub fn announce_via(
    conn: &mut AnyConnection,
    school_id: &str,
    target: &User,
    granted: &[Role],
    by: &GrantedBy<'_>,
    via: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if granted.is_empty() {
        return Ok(());
    }
    let headteachers: Vec<User> = store::active_with_role(conn, school_id, Role::Headteacher)?
        .into_iter()
        .filter(|h| h.id != target.id)
        .collect();
    for role in granted {
        let mut event = Event::new(ROLE_GRANTED, now)
            .school(school_id)
            .record("user", &target.id)
            .detail(match via {
                Some(v) => format!("{}{VIA}{v}", role.as_str()),
                None => role.as_str().to_string(),
            });
        if let Some(id) = by.id {
            event = event.actor(id);
        }
        audit::store::insert(conn, &event)?;
        let subject = format!(
            "safelog: {} was given the {} role",
            target.name,
            role.label()
        );
        let giver = match via {
            Some(v) => format!("{v} (set up by {})", by.name),
            None => by.name.to_string(),
        };
        let body = format!(
            "{} ({}) was given the {} role by {} on {} UTC.\n\n\
             This role reads {}.\n\
             If you did not expect this, check Administration, Accounts and roles in safelog:\n{}/admin/users/{}\n\n\
             You are told because you are a headteacher of the school. This email holds no pupil's name and no incident.\n",
            target.name,
            target.email,
            role.label(),
            giver,
            now.format("%d/%m/%Y %H:%M"),
            reads(*role),
            crate::mail::BASE_URL,
            target.id,
        );
        for h in &headteachers {
            crate::mail::enqueue(
                conn,
                &crate::mail::NewMail {
                    school_id: Some(school_id),
                    kind: ROLE_GRANTED,
                    to: &h.email,
                    subject: &subject,
                    body: &body,
                },
                now,
            )?;
        }
    }
    Ok(())
}

pub const ROLE_GRANTED: &str = "role_granted";

/// Between the role and what gave it, in a grant's audit detail.
const VIA: &str = "; through ";

fn reads(role: Role) -> &'static str {
    match role {
        Role::Headteacher => "every incident, allegations about staff included",
        Role::AllegationsLead => "allegations about the headteacher",
        _ => "every incident that may have put a child at risk",
    }
}

/// A guarded role given recently, as a headteacher's start page lists it.
pub struct Grant {
    pub at: NaiveDateTime,
    pub to_name: String,
    pub role: String,
    pub by_name: Option<String>,
    /// What gave it, when not a person directly (single sign-on's mapping).
    pub via: Option<String>,
}

/// How far back a headteacher's start page lists them.
pub const SHOWN_FOR: chrono::Duration = chrono::Duration::days(30);

pub fn recent(
    conn: &mut AnyConnection,
    school_id: &str,
    now: NaiveDateTime,
) -> Result<Vec<Grant>, AppError> {
    let rows = store::role_grants_since(conn, school_id, now - SHOWN_FOR)?;
    let mut out = Vec::new();
    for (at, to_id, detail, by_id) in rows {
        let via = detail.split_once(VIA).map(|(_, v)| v.to_string());
        let role = detail.split(VIA).next().unwrap_or_default().to_string();
        let to_name = store::user(conn, &to_id)?.name;
        let by_name = match by_id {
            Some(id) => Some(store::user(conn, &id)?.name),
            None => None,
        };
        out.push(Grant {
            at,
            to_name,
            role,
            by_name,
            via,
        });
    }
    Ok(out)
}
