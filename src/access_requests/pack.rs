//! The pack: what safelog holds about the pupil, made for the requester.
//!
//! It starts from the child protection file a transfer would carry
//! ([`crate::transfers::document`]): every record the pupil appears in (as
//! the pupil it is about or among the other pupils) with its whole
//! timeline, decisions, shares, referrals and files (by name and SHA-256),
//! other pupils linked to a record already "another pupil", and their tutor
//! groups and identifiers left out. On top of that:
//!
//! - every pupil of the school whose full name is written in a text
//!   becomes "another pupil" (a child the record does not link);
//! - members of staff become their role (the name on each step, and their
//!   full names in the text) unless the DPO keeps the names;
//! - each passage the DPO withheld becomes "[withheld: reason]" and is
//!   listed at the end with its reason.
//!
//! Released, the pack is stored as JSON exactly as it was and shown from
//! that copy from then on.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{Redaction, Request};
use crate::auth::Role;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::pupils::model::{name_key, Pupil};
use crate::transfers::document::{
    self, IncidentRecord, Making, Person, PupilDetails, Redactor, ANOTHER_PUPIL,
};

pub const FORMAT: &str = "safelog-subject-access-pack";
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Pack {
    pub format: String,
    pub version: u32,
    /// The request's reference, e.g. `SAR-2026-0001`.
    pub reference: String,
    pub school: String,
    pub pupil: PupilDetails,
    pub requester: Requester,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub made_at: DateTime<Utc>,
    /// False: each member of staff is named by their role.
    pub staff_names_kept: bool,
    /// Oldest first.
    pub incidents: Vec<IncidentRecord>,
    /// What was withheld, where, and why (never the words themselves).
    pub withheld: Vec<Withheld>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Requester {
    pub name: String,
    /// `pupil`, `parent` or `representative`.
    pub relationship: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Withheld {
    pub reference: String,
    pub field: String,
    pub field_label: String,
    /// The whole text of the field, not a passage of it.
    pub whole_field: bool,
    pub reason: String,
}

/// What a withheld passage reads as in the pack.
pub fn withheld_marker(reason: &str) -> String {
    format!("[withheld: {reason}]")
}

/// Calls `f` with each text of a record a passage may be withheld from:
/// its key (as stored with a redaction), its label, and the text.
fn each_text(inc: &mut IncidentRecord, f: &mut dyn FnMut(&str, &str, &mut String)) {
    f("details", "What happened", &mut inc.details);
    f("actions_taken", "Actions taken", &mut inc.actions_taken);
    if let Some(p) = inc.platform.as_mut() {
        f("platform", "Platform or service", p);
    }
    if let Some(o) = inc.outcome.as_mut() {
        f("outcome", "Outcome", o);
    }
    for e in inc.timeline.iter_mut() {
        let seq = e.seq;
        let parts = [
            ("text", "text", e.text.as_mut()),
            ("reason", "reason", e.reason.as_mut()),
            ("before", "before", e.before.as_mut()),
            ("after", "after", e.after.as_mut()),
        ];
        for (key, label, value) in parts {
            if let Some(v) = value {
                f(
                    &format!("entry:{seq}:{key}"),
                    &format!("Timeline entry {seq}: {label}"),
                    v,
                );
            }
        }
    }
    for (n, r) in inc.referrals.iter_mut().enumerate() {
        if let Some(x) = r.reference.as_mut() {
            f(
                &format!("referral:{}:reference", n + 1),
                &format!("Referral {}: reference", n + 1),
                x,
            );
        }
    }
    for (n, a) in inc.attachments.iter_mut().enumerate() {
        f(
            &format!("attachment:{}:name", n + 1),
            &format!("File {}: name", n + 1),
            &mut a.name,
        );
    }
}

/// The texts of a record a passage may be withheld from: (key, label, text).
pub fn texts_of(inc: &IncidentRecord) -> Vec<(String, String, String)> {
    let mut copy = inc.clone();
    let mut out = Vec::new();
    each_text(&mut copy, &mut |key, label, text| {
        out.push((key.to_string(), label.to_string(), text.clone()));
    });
    out
}

/// How a member of staff is named in the pack when names are not kept.
fn role_name(roles: &[Role]) -> &'static str {
    const ORDER: [Role; 8] = [
        Role::Headteacher,
        Role::Dsl,
        Role::Dpo,
        Role::OnlineSafetyLead,
        Role::Leadership,
        Role::AllegationsLead,
        Role::Admin,
        Role::Governor,
    ];
    ORDER
        .into_iter()
        .find(|r| roles.contains(r))
        .map_or(STAFF, |r| match r {
            Role::Leadership => "Senior leader",
            Role::AllegationsLead => "Allegations lead",
            Role::Governor => "Governor",
            other => other.label(),
        })
}

/// A member of staff the school does not list (someone of the trust, an
/// account since removed).
const STAFF: &str = "Member of staff";

/// Who is building the pack, and when.
pub struct Building<'a> {
    pub request: &'a Request,
    pub pupil: &'a Pupil,
    pub made_by_name: &'a str,
    pub made_by_initials: &'a str,
    pub now: NaiveDateTime,
}

/// The pack as it stands now, and the ids of the records it read (each
/// read is audited by the caller).
pub fn build(
    conn: &mut AnyConnection,
    m: &Building<'_>,
    redactions: &[Redaction],
) -> Result<(Pack, Vec<String>), AppError> {
    let school_id = &m.request.school_id;
    let ids: Vec<String> = document::incidents_of(conn, school_id, m.pupil)?
        .into_iter()
        .map(|(v, _)| v.incident.id)
        .collect();
    let doc = document::build(
        conn,
        &Making {
            transfer_id: &m.request.id,
            school_id,
            made_by_name: m.made_by_name,
            made_by_initials: m.made_by_initials,
            receiving_urn: None,
            receiving_name: None,
            now: m.now,
        },
        m.pupil,
    )?;

    // Every other pupil of the school, written out in full.
    let own = name_key(&m.pupil.name);
    let pupils: Vec<(String, String)> = super::store::pupils_of_school(conn, school_id)?
        .into_iter()
        .filter(|(id, name)| *id != m.pupil.id && name_key(name) != own)
        .map(|(_, name)| (name, ANOTHER_PUPIL.to_string()))
        .collect();
    let pupils = Redactor::whole_names(&pupils);

    // Staff by name, each with their role in this school.
    let mut roles: HashMap<String, Vec<Role>> = HashMap::new();
    for (user, role) in crate::accounts::store::roles_of_school(conn, school_id)? {
        roles.entry(user).or_default().push(role);
    }
    let staff: HashMap<String, &'static str> =
        crate::accounts::store::users_of_school(conn, school_id)?
            .into_iter()
            .map(|u| {
                let label = role_name(roles.get(&u.id).map_or(&[][..], Vec::as_slice));
                (u.name, label)
            })
            .collect();
    let keep = m.request.keep_staff_names;
    let staff_text = if keep {
        Redactor::whole_names(&[])
    } else {
        let pairs: Vec<(String, String)> = staff
            .iter()
            .map(|(name, label)| (name.clone(), (*label).to_string()))
            .collect();
        Redactor::whole_names(&pairs)
    };
    let person = |p: &mut Person| {
        if !keep {
            let label = p
                .name
                .as_ref()
                .and_then(|n| staff.get(n).copied())
                .unwrap_or(STAFF);
            p.name = Some(label.to_string());
            p.initials = String::new();
        }
    };

    let mut incidents = doc.incidents;
    for inc in incidents.iter_mut() {
        each_text(inc, &mut |_, _, text| {
            *text = staff_text.apply(&pupils.apply(text));
        });
        person(&mut inc.logged_by);
        for e in inc.timeline.iter_mut() {
            person(&mut e.by);
        }
        if let Some(a) = inc.acknowledgement.as_mut() {
            if let Some(by) = a.by.as_mut() {
                person(by);
            }
        }
        for r in inc.referrals.iter_mut() {
            if !keep {
                r.made_by = r
                    .made_by
                    .as_ref()
                    .map(|n| staff.get(n).copied().unwrap_or(STAFF).to_string());
            }
        }
    }

    let mut withheld = Vec::new();
    for r in redactions {
        let Some(inc) = incidents
            .iter_mut()
            .find(|i| i.reference == r.incident_reference)
        else {
            continue;
        };
        let mut label = None;
        each_text(inc, &mut |key, l, text| {
            if key != r.field {
                return;
            }
            label = Some(l.to_string());
            let marker = withheld_marker(&r.reason);
            *text = match r.passage.as_deref() {
                Some(p) if !p.is_empty() => text.replace(p, &marker),
                _ => marker,
            };
        });
        withheld.push(Withheld {
            reference: r.incident_reference.clone(),
            field: r.field.clone(),
            field_label: label.unwrap_or_else(|| r.field.clone()),
            whole_field: r.passage.as_deref().is_none_or(str::is_empty),
            reason: r.reason.clone(),
        });
    }

    let school = crate::accounts::store::school(conn, school_id)?;
    Ok((
        Pack {
            format: FORMAT.into(),
            version: VERSION,
            reference: m.request.reference.clone(),
            school: school.name,
            pupil: doc.pupil,
            requester: Requester {
                name: m.request.requester_name.clone(),
                relationship: m.request.relationship.clone(),
            },
            received_on: m.request.received_on,
            due_on: m.request.due_on(),
            made_at: doc.made_at,
            staff_names_kept: keep,
            incidents,
            withheld,
        },
        ids,
    ))
}

impl Pack {
    pub fn to_json(&self) -> Result<String, AppError> {
        serde_json::to_string_pretty(self).map_err(AppError::internal)
    }

    /// A released pack read back from its stored copy.
    pub fn parse(text: &str) -> Result<Pack, AppError> {
        serde_json::from_str(text).map_err(AppError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_of_staff_is_named_by_their_most_senior_role() {
        assert_eq!(
            role_name(&[Role::Staff, Role::Dsl]),
            "Designated Safeguarding Lead"
        );
        assert_eq!(role_name(&[Role::Staff]), STAFF);
        assert_eq!(role_name(&[]), STAFF);
    }
}
