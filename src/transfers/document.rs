//! The transfer document: one JSON value holding a pupil's child
//! protection file as the sending school's DSL reads it. Its shape is
//! published in `schemas/transfer-package.schema.json` (`$defs/document`),
//! so that another system can read it.
//!
//! What goes in: the pupil (name, date of birth, UPN, tutor and year
//! group), the sending school and the receiving school's URN, when and by
//! whom it was made, and every incident the pupil appears in (as the pupil
//! it is about or among the other pupils) that the school's DSL reads in
//! full, each with its whole timeline: corrections with the values before
//! and after, case actions and notes, escalations, referrals with their
//! references, leadership acknowledgement, status, outcome and closure.
//!
//! What stays out: incidents the pupil is not in; incidents entered in
//! error (a record made about the wrong child must not follow them);
//! restricted categories (staff conduct) and allegations about the
//! headteacher, which belong to the adult's file and which the DSL cannot
//! read; and other pupils' names, which are not this pupil's data: each is
//! replaced with "another pupil" wherever safelog knows it (see
//! [`Redactor`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::categories::Category;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::incidents::model::{EventKind, IncidentView, Location, Status};
use crate::incidents::store::read::Involvement;
use crate::incidents::store::timeline::{self, Reader};
use crate::incidents::Viewer;
use crate::pupils::model::{name_key, Pupil};

pub const FORMAT: &str = "safelog-transfer-document";
pub const VERSION: u32 = 1;
/// What every other pupil's name becomes.
pub const ANOTHER_PUPIL: &str = "another pupil";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Document {
    pub format: String,
    pub version: u32,
    /// Unique to this document: a school never receives one twice.
    pub transfer_id: String,
    pub made_at: DateTime<Utc>,
    pub made_by: Person,
    pub sending_school: SchoolRef,
    pub receiving_school: ReceivingSchool,
    pub pupil: PupilDetails,
    /// Oldest first (by the incident's date, or the day it was logged).
    pub incidents: Vec<IncidentRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Person {
    pub name: Option<String>,
    pub initials: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SchoolRef {
    pub name: String,
    pub urn: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReceivingSchool {
    /// None only within a deployment, for a school whose URN is not yet set.
    pub urn: Option<String>,
    /// Known when the school is in the same deployment.
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PupilDetails {
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub upn: Option<String>,
    pub tutor_group: Option<String>,
    pub year_group: Option<i32>,
    /// The consistent child identifier (Children's Wellbeing and Schools
    /// Act 2026). Absent from packages made before it was carried.
    #[serde(default)]
    pub child_identifier: Option<String>,
    /// Ten digits with a modulus-11 check digit; absent from older packages.
    #[serde(default)]
    pub nhs_number: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IncidentRecord {
    pub reference: String,
    /// `subject` (the pupil it is about) or their role among the other
    /// pupils: `reported`, `affected`, `alleged`, `witness`.
    pub involvement: String,
    pub subject: Named,
    pub other_pupils: Vec<OtherPupil>,
    pub incident_date: Option<NaiveDate>,
    pub category: CategoryRef,
    pub child_at_risk: bool,
    /// `in_school`, `outside_school`, `online_at_home` or `unknown`.
    pub location: String,
    pub platform: Option<String>,
    pub details: String,
    pub actions_taken: String,
    pub logged_at: DateTime<Utc>,
    pub logged_by: Person,
    /// `new`, `in_progress`, `escalated` or `closed`.
    pub status: String,
    pub owner_role: String,
    /// The record's version: each correction or case step raises it.
    pub version: i32,
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub acknowledgement: Option<Acknowledgement>,
    pub referrals: Vec<ReferralRecord>,
    /// The files attached, by name and SHA-256 (the bytes do not travel).
    #[serde(default)]
    pub attachments: Vec<AttachmentRecord>,
    pub timeline: Vec<Entry>,
}

/// A file attached to a record, as a package lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AttachmentRecord {
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: DateTime<Utc>,
    pub entered_in_error: bool,
}

/// The pupil an incident is about: this pupil, or "another pupil".
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Named {
    pub name: String,
    pub this_pupil: bool,
    /// Their tutor group when it was logged; none for another pupil.
    pub tutor_group: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OtherPupil {
    pub name: String,
    pub this_pupil: bool,
    pub role: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CategoryRef {
    pub code: String,
    pub name: String,
    pub four_c: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Acknowledgement {
    /// None when an imported log recorded only that it was acknowledged.
    pub by: Option<Person>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReferralRecord {
    pub agency: String,
    pub agency_name: String,
    pub referred_on: NaiveDate,
    /// None while the agency's reference is to follow.
    pub reference: Option<String>,
    pub made_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// One timeline entry, in the sending school's words (its categories and
/// roles named, so that the receiver needs none of its tables).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub seq: i32,
    pub kind: String,
    pub summary: String,
    pub at: DateTime<Utc>,
    pub by: Person,
    pub version: i32,
    pub field: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub text: Option<String>,
    pub reason: Option<String>,
}

/// Who makes the document, and for whom.
pub struct Making<'a> {
    pub transfer_id: &'a str,
    pub school_id: &'a str,
    pub made_by_name: &'a str,
    pub made_by_initials: &'a str,
    pub receiving_urn: Option<&'a str>,
    pub receiving_name: Option<&'a str>,
    pub now: NaiveDateTime,
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// The school's DSL, as the sender: what the file holds is what that role
/// reads in full, whoever else the sender also is (a DSL who is also the
/// headteacher does not send staff-conduct records). No user id, so no
/// incident is let in for having been logged by the sender.
fn dsl_of(school_id: &str) -> Viewer {
    Viewer {
        user_id: String::new(),
        school_id: school_id.to_string(),
        roles: [Role::Dsl].into_iter().collect(),
        // The school's file, not a person's view: the sender's own
        // exclusions keep them off the transfer's pages instead.
        excluded_pupils: Vec::new(),
    }
}

/// The incidents a transfer of `pupil` would carry, as the DSL reads them.
pub fn incidents_of(
    conn: &mut AnyConnection,
    school_id: &str,
    pupil: &Pupil,
) -> Result<Vec<(IncidentView, Involvement)>, AppError> {
    let viewer = dsl_of(school_id);
    Ok(
        crate::incidents::store::chronology(conn, &viewer, &pupil.id)?
            .into_iter()
            .filter(|(v, _)| v.full && !v.incident.about_headteacher && !v.category.restricted)
            .collect(),
    )
}

/// Builds the document for `pupil`.
pub fn build(
    conn: &mut AnyConnection,
    making: &Making<'_>,
    pupil: &Pupil,
) -> Result<Document, AppError> {
    let school = crate::accounts::store::school(conn, making.school_id)?;
    let categories: Vec<Category> =
        crate::incidents::store::read::categories_by_code(conn, making.school_id)?
            .into_values()
            .collect();
    let mut incidents = Vec::new();
    for (view, how) in incidents_of(conn, making.school_id, pupil)? {
        incidents.push(incident(conn, &view, how, pupil, &categories)?);
    }
    Ok(Document {
        format: FORMAT.into(),
        version: VERSION,
        transfer_id: making.transfer_id.to_string(),
        made_at: utc(making.now),
        made_by: Person {
            name: Some(making.made_by_name.to_string()),
            initials: making.made_by_initials.to_string(),
        },
        sending_school: SchoolRef {
            name: school.name,
            urn: school.urn,
        },
        receiving_school: ReceivingSchool {
            urn: making.receiving_urn.map(str::to_string),
            name: making.receiving_name.map(str::to_string),
        },
        pupil: PupilDetails {
            name: pupil.name.clone(),
            date_of_birth: pupil.date_of_birth,
            upn: pupil.upn.clone(),
            tutor_group: pupil.tutor_group.clone(),
            year_group: pupil.year_group,
            child_identifier: pupil.child_identifier.clone(),
            nhs_number: pupil.nhs_number.clone(),
        },
        incidents,
    })
}

fn incident(
    conn: &mut AnyConnection,
    view: &IncidentView,
    how: Involvement,
    pupil: &Pupil,
    categories: &[Category],
) -> Result<IncidentRecord, AppError> {
    let i = &view.incident;
    let events = timeline::for_incident(conn, &i.id, Reader::Full)?;
    let referrals = crate::cases::store::referrals_of(conn, &i.id)?;
    let mut people: Vec<String> = events.iter().filter_map(|e| e.by_user_id.clone()).collect();
    people.extend(referrals.iter().filter_map(|r| r.made_by.clone()));
    people.extend(i.logged_by.clone());
    people.extend(i.lg_acknowledged_by.clone());
    people.sort();
    people.dedup();
    let names = crate::cases::store::user_names(conn, people)?;
    let name_of = |id: &Option<String>| id.as_ref().and_then(|id| names.get(id).cloned());

    // Every other pupil this record names, now or in an earlier version.
    let this = name_key(&pupil.name);
    let mut others: Vec<String> = view
        .others
        .iter()
        .filter(|o| o.pupil.id != pupil.id)
        .map(|o| o.pupil.name.clone())
        .collect();
    if view.pupil.id != pupil.id {
        others.push(view.pupil.name.clone());
    }
    for e in &events {
        if e.field.as_deref() == Some("pupil") {
            for v in [&e.old_value, &e.new_value].into_iter().flatten() {
                if name_key(v) != this {
                    others.push(v.clone());
                }
            }
        }
    }
    let redactor = Redactor::new(&pupil.name, &others);
    let r = |s: &str| redactor.apply(s);
    let subject_is_pupil = view.pupil.id == pupil.id;

    let timeline = events
        .iter()
        .filter(|e| e.kind() != Some(EventKind::EnteredInError))
        .map(|e| {
            let (summary, _) = crate::incidents::views::record::headline(e, categories, true);
            let field = e.field.as_deref();
            // Before and after as the record's page words them; another
            // pupil's tutor group is theirs, not this pupil's.
            let shown = |v: &Option<String>| {
                v.as_ref().map(|v| match field {
                    Some("tutor_group") if !subject_is_pupil => ANOTHER_PUPIL.to_string(),
                    Some(f) => r(&crate::incidents::views::form::display(f, v, categories)),
                    None => r(v),
                })
            };
            Entry {
                seq: e.seq,
                kind: e.kind.clone(),
                summary,
                at: utc(e.at),
                by: Person {
                    name: name_of(&e.by_user_id),
                    initials: e.by_initials.clone(),
                },
                version: e.incident_version,
                field: e.field.clone(),
                before: shown(&e.old_value),
                after: shown(&e.new_value),
                text: e.text.as_deref().map(r),
                reason: e.reason.as_deref().map(r),
            }
        })
        .collect();

    Ok(IncidentRecord {
        reference: i.reference.clone(),
        involvement: match how {
            Involvement::Subject => "subject".into(),
            Involvement::Other(role) => role.as_str().into(),
        },
        subject: if subject_is_pupil {
            Named {
                name: pupil.name.clone(),
                this_pupil: true,
                tutor_group: Some(i.tutor_group.clone()),
            }
        } else {
            Named {
                name: ANOTHER_PUPIL.into(),
                this_pupil: false,
                tutor_group: None,
            }
        },
        other_pupils: view
            .others
            .iter()
            .map(|o| {
                let mine = o.pupil.id == pupil.id;
                OtherPupil {
                    name: if mine {
                        pupil.name.clone()
                    } else {
                        ANOTHER_PUPIL.into()
                    },
                    this_pupil: mine,
                    role: o.role.as_str().into(),
                }
            })
            .collect(),
        incident_date: i.incident_date,
        category: CategoryRef {
            code: view.category.code.clone(),
            name: view.category.name.clone(),
            four_c: view.category.four_c().as_str().into(),
        },
        child_at_risk: i.child_at_risk,
        location: i.location().as_str().into(),
        platform: i.platform.as_deref().map(r),
        details: r(&i.details),
        actions_taken: r(&i.actions_taken),
        logged_at: utc(i.logged_at),
        logged_by: Person {
            name: name_of(&i.logged_by),
            initials: i.staff_initials.clone(),
        },
        status: i.status().as_str().into(),
        owner_role: i.owner().as_str().into(),
        version: i.version,
        outcome: i.outcome.as_deref().map(r),
        closed_at: i.closed_at.map(utc),
        acknowledgement: i.lg_acknowledged_at.map(|at| Acknowledgement {
            by: name_of(&i.lg_acknowledged_by).map(|name| Person {
                name: Some(name),
                initials: String::new(),
            }),
            at: utc(at),
        }),
        referrals: referrals
            .iter()
            .map(|x| ReferralRecord {
                agency: x.agency.clone(),
                agency_name: crate::cases::forms::Agency::label_of(&x.agency).to_string(),
                referred_on: x.referred_on,
                reference: x.reference.as_deref().map(r),
                made_by: name_of(&x.made_by),
                recorded_at: utc(x.recorded_at),
            })
            .collect(),
        attachments: crate::attachments::store::of_incident(conn, &i.id)?
            .iter()
            .map(|a| AttachmentRecord {
                name: r(&a.name),
                media_type: a.media_type.clone(),
                size: a.size,
                sha256: a.sha256.clone(),
                added_at: utc(a.uploaded_at),
                entered_in_error: a.entered_in_error(),
            })
            .collect(),
        timeline,
    })
}

impl Document {
    /// The exact bytes that are stored and signed: compact JSON.
    pub fn to_json(&self) -> Result<String, AppError> {
        serde_json::to_string(self).map_err(AppError::internal)
    }

    /// A document read back from its stored or received text.
    pub fn parse(text: &str) -> Result<Document, String> {
        let doc: Document = serde_json::from_str(text).map_err(|e| {
            format!(
                "it is not a transfer document safelog can read (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if doc.format != FORMAT || doc.version != VERSION {
            return Err(format!(
                "it is a document of another format or version ({} version {}); this safelog reads {FORMAT} version {VERSION}",
                doc.format, doc.version
            ));
        }
        Ok(doc)
    }
}

/// Labels for the received view.
pub fn location_label(code: &str) -> &str {
    Location::parse(code).map_or(code, |l| l.label())
}

pub fn status_label(code: &str) -> &str {
    Status::parse(code).map_or(code, |s| s.label())
}

pub fn role_label(code: &str) -> &str {
    crate::incidents::model::PupilRole::parse(code).map_or(code, |r| r.label())
}

pub fn owner_label(code: &str) -> &str {
    code.parse::<Role>().map_or(code, |r| r.label())
}

/// Replaces other pupils' names in free text with "another pupil".
///
/// A whole name is replaced in any case ("SAM JONES", "sam  jones"); then
/// each part of it (first name, surname) written with its capital, as a
/// name is written ("Sam", "Jones's"), but not a part this pupil's own
/// name shares (a sibling's surname), nor a lower-case word ("will",
/// "may"). It cannot find a child the record never names as a pupil, or a
/// nickname: the sending DSL reads the file before sending it, and the
/// page says so.
pub struct Redactor {
    /// Whole names, as lower-case words, each with what it becomes.
    whole: Vec<(Vec<String>, String)>,
    /// Single name parts, as written in the name (capitalised).
    parts: HashSet<String>,
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl Redactor {
    pub fn new(this_pupil: &str, others: &[String]) -> Self {
        let own: HashSet<String> = words(this_pupil).iter().map(|w| w.to_lowercase()).collect();
        let mut whole: Vec<(Vec<String>, String)> = Vec::new();
        let mut parts = HashSet::new();
        for name in others {
            if name_key(name) == name_key(this_pupil) {
                continue;
            }
            let ws = words(name);
            if ws.is_empty() {
                continue;
            }
            let lower: Vec<String> = ws.iter().map(|w| w.to_lowercase()).collect();
            if !whole.iter().any(|(w, _)| *w == lower) {
                whole.push((lower, ANOTHER_PUPIL.to_string()));
            }
            for w in ws {
                if w.chars().count() >= 2 && !own.contains(&w.to_lowercase()) {
                    let mut cs = w.chars();
                    let capitalised: String = match cs.next() {
                        Some(first) => first.to_uppercase().chain(cs).collect(),
                        None => continue,
                    };
                    parts.insert(capitalised);
                }
            }
        }
        // Longest names first, so "Sam Lee Jones" goes before "Sam Lee".
        whole.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        Self { whole, parts }
    }

    /// Whole names only, each with its own replacement (a subject access
    /// pack: every pupil of the school written out in full becomes
    /// "another pupil", each member of staff their role). A name of one
    /// word is left alone: too many are also ordinary words.
    pub fn whole_names(pairs: &[(String, String)]) -> Self {
        let mut whole: Vec<(Vec<String>, String)> = Vec::new();
        for (name, replacement) in pairs {
            let lower: Vec<String> = words(name).iter().map(|w| w.to_lowercase()).collect();
            if lower.len() >= 2 && !whole.iter().any(|(w, _)| *w == lower) {
                whole.push((lower, replacement.clone()));
            }
        }
        whole.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        Self {
            whole,
            parts: HashSet::new(),
        }
    }

    pub fn apply(&self, text: &str) -> String {
        if self.whole.is_empty() {
            return text.to_string();
        }
        // The text as runs of word characters and of the rest.
        let mut tokens: Vec<(bool, String)> = Vec::new();
        for c in text.chars() {
            let word = c.is_alphanumeric();
            match tokens.last_mut() {
                Some((w, s)) if *w == word => s.push(c),
                _ => tokens.push((word, c.to_string())),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'tokens: while i < tokens.len() {
            let (is_word, tok) = &tokens[i];
            if *is_word {
                let lower = tok.to_lowercase();
                for (name, replacement) in &self.whole {
                    // The cheap test first: a school's whole roll may be here.
                    if name.first() != Some(&lower) {
                        continue;
                    }
                    if let Some(end) = matches_at(&tokens, i, name) {
                        out.push_str(replacement);
                        i = end;
                        continue 'tokens;
                    }
                }
                if self.parts.contains(tok.as_str()) {
                    out.push_str(ANOTHER_PUPIL);
                    i += 1;
                    continue;
                }
            }
            out.push_str(tok);
            i += 1;
        }
        out
    }
}

/// Whether the words of `name` start at token `i` (separated by spaces,
/// hyphens or apostrophes only); the token after them if so.
fn matches_at(tokens: &[(bool, String)], i: usize, name: &[String]) -> Option<usize> {
    let mut at = i;
    for (k, want) in name.iter().enumerate() {
        if k > 0 {
            let (is_word, sep) = tokens.get(at)?;
            if *is_word
                || !sep
                    .chars()
                    .all(|c| c.is_whitespace() || c == '-' || c == '\'')
            {
                return None;
            }
            at += 1;
        }
        let (is_word, w) = tokens.get(at)?;
        if !*is_word || w.to_lowercase() != *want {
            return None;
        }
        at += 1;
    }
    Some(at)
}

/// People's names by id, for the views of a received transfer.
pub type Names = HashMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_pupils_names_become_another_pupil_in_text() {
        let r = Redactor::new("Amy Smith", &["Sam Jones".into(), "Ben Smith".into()]);
        assert_eq!(
            r.apply("SAM  JONES messaged Amy; Sam's friend Ben Smith saw it. Jones said he will tell."),
            "another pupil messaged Amy; another pupil's friend another pupil saw it. another pupil said he will tell."
        );
        // A surname the pupil shares stays; a lower-case word stays.
        assert_eq!(r.apply("Smith family; sam"), "Smith family; sam");
        assert_eq!(r.apply("Samsung"), "Samsung");
    }

    #[test]
    fn without_other_pupils_the_text_is_unchanged() {
        let r = Redactor::new("Amy Smith", &[]);
        assert_eq!(r.apply("Amy Smith, Sam"), "Amy Smith, Sam");
    }
}
