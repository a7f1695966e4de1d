//! Roles held across a trust given and taken away, from the trust
//! administrator's page or the command line. Each change is kept (whose
//! role, which, by whom, when) in `trust_role_changes` and in the audit
//! trail, and nothing is deleted from either. The trust safeguarding lead
//! reads what a DSL reads in every school of the trust, and a trust-wide
//! allegations lead reads allegations about every school's headteacher;
//! so, as a school's guarded roles are announced to its headteachers,
//! giving either is announced to the trust's other administrators (by
//! email and on their start page), and no trust administrator may give
//! either to themselves.

use chrono::NaiveDateTime;

use super::grants::{Grant, GrantedBy, SHOWN_FOR};
use super::model::{Trust, User};
use super::store;
use crate::audit::{self, Event};
use crate::auth::Role;
use crate::db::AnyConnection;
use crate::error::AppError;

/// The roles across a trust that open the most sensitive records.
pub const GUARDED: [Role; 2] = [Role::TrustSafeguardingLead, Role::AllegationsLead];

/// The message beside the role when a trust administrator tries one on
/// themselves.
pub const NOT_TO_YOURSELF: &str = "You cannot give yourself the trust safeguarding lead or allegations lead role. \
    Ask another trust administrator (or the server's administrator) to give it to you: the trust's administrators are told when it is given.";

/// The message when a trust administrator would take away their own role.
pub const NOT_YOUR_OWN: &str = "You cannot take away your own trust administrator role. \
    Ask another trust administrator (or the server's administrator).";

/// Where a change was made from, for the audit trail.
pub struct Origin<'a> {
    /// The school the administrator was working in; none on the command line.
    pub school_id: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// Gives `target` the trust role; false if they held it already.
pub fn give(
    conn: &mut AnyConnection,
    trust: &Trust,
    target: &User,
    role: Role,
    by: &GrantedBy<'_>,
    from: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    if !store::add_trust_role(conn, &target.id, &trust.id, role)? {
        return Ok(false);
    }
    store::record_trust_role_change(conn, &trust.id, &target.id, role, "given", by.id, now)?;
    audit::store::insert(
        conn,
        &event("trust_role_given", trust, target, role, by.id, from, now),
    )?;
    if GUARDED.contains(&role) {
        announce(conn, trust, target, role, by, now)?;
    }
    Ok(true)
}

/// Takes the trust role away from `target`; false if they did not hold
/// it. Their sessions working in a school of the trust where they now hold
/// nothing end at once.
pub fn take(
    conn: &mut AnyConnection,
    trust: &Trust,
    target: &User,
    role: Role,
    by_id: &str,
    from: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    if !store::remove_trust_role(conn, &target.id, &trust.id, role)? {
        return Ok(false);
    }
    store::record_trust_role_change(conn, &trust.id, &target.id, role, "taken", Some(by_id), now)?;
    audit::store::insert(
        conn,
        &event(
            "trust_role_taken",
            trust,
            target,
            role,
            Some(by_id),
            from,
            now,
        ),
    )?;
    for school in store::schools_in_trust(conn, &trust.id)? {
        if store::roles_working_in(conn, &target.id, &school.id)?.is_empty() {
            crate::auth::store::revoke_sessions_in_school(conn, &target.id, &school.id, now)?;
        }
    }
    Ok(true)
}

fn event(
    action: &'static str,
    trust: &Trust,
    target: &User,
    role: Role,
    by: Option<&str>,
    from: &Origin<'_>,
    now: NaiveDateTime,
) -> Event {
    let mut e = Event::new(action, now)
        .record("user", &target.id)
        .detail(format!("trust {}: {}", trust.id, role.as_str()))
        .ip(from.ip);
    if let Some(id) = by {
        e = e.actor(id);
    }
    if let Some(school) = from.school_id {
        e = e.school(school);
    }
    e
}

/// Emails every active administrator of the trust, other than the person
/// given the role and the one who gave it. The email names the person, the
/// role and who gave it; nothing about any pupil or incident.
fn announce(
    conn: &mut AnyConnection,
    trust: &Trust,
    target: &User,
    role: Role,
    by: &GrantedBy<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let subject = format!(
        "safelog: {} was given the {} role across {}",
        target.name,
        role.label(),
        trust.name
    );
    let reads = if role == Role::AllegationsLead {
        "allegations about the headteacher"
    } else {
        "every incident that may have put a child at risk"
    };
    let body = format!(
        "{} ({}) was given the {} role across {} by {} on {} UTC.\n\n\
         This role reads {reads}, in every school of the trust.\n\
         If you did not expect this, check Trust administration, People in safelog:\n{}/trust/admin/people\n\n\
         You are told because you are an administrator of the trust. This email holds no pupil's name and no incident.\n",
        target.name,
        target.email,
        role.label(),
        trust.name,
        by.name,
        now.format("%d/%m/%Y %H:%M"),
        crate::mail::BASE_URL,
    );
    for (role, admin) in store::trust_role_holders(conn, &trust.id)? {
        let told = role == Role::TrustAdmin
            && admin.active
            && admin.id != target.id
            && Some(admin.id.as_str()) != by.id;
        if told {
            crate::mail::enqueue(
                conn,
                &crate::mail::NewMail {
                    school_id: None,
                    kind: "trust_role_given",
                    to: &admin.email,
                    subject: &subject,
                    body: &body,
                },
                now,
            )?;
        }
    }
    Ok(())
}

/// Guarded trust roles given in the last 30 days, for a trust
/// administrator's start page: all but those they gave themselves.
pub fn leads_given_recently(
    conn: &mut AnyConnection,
    trust_id: &str,
    viewer_id: &str,
    now: NaiveDateTime,
) -> Result<Vec<Grant>, AppError> {
    let changes =
        store::trust_role_changes_since(conn, trust_id, Some(now - SHOWN_FOR), None, 100)?;
    let mut out = Vec::new();
    for c in changes {
        let guarded = store::trust_role(&c.role).is_some_and(|r| GUARDED.contains(&r));
        if !guarded || c.change != "given" || c.by_user_id.as_deref() == Some(viewer_id) {
            continue;
        }
        out.push(Grant {
            at: c.at,
            to_name: store::user(conn, &c.user_id)?.name,
            role: c.role,
            by_name: match c.by_user_id {
                Some(id) => Some(store::user(conn, &id)?.name),
                None => None,
            },
            via: None,
        });
    }
    Ok(out)
}
