//! What happens to a transfer, each step in one transaction with its audit
//! rows (in both schools' trails) and its emails: sending within the
//! deployment, opening, confirming receipt.

use chrono::NaiveDateTime;

use super::document::{self, Document, Making};
use super::model::{Kind, Transfer};
use super::store::{self, NewTransfer};
use crate::accounts::model::School;
use crate::audit::{self, Event};
use crate::auth::Role;
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::pupils::model::Pupil;

/// Who acts, and from where.
pub struct Actor<'a> {
    /// None for the command line (the server's administrator).
    pub user_id: Option<&'a str>,
    pub name: &'a str,
    pub initials: &'a str,
    pub ip: Option<&'a str>,
}

/// One audit row in each school the transfer concerns (one school when the
/// other is on another system). Never a pupil's name in the detail.
pub fn audit_both(
    conn: &mut AnyConnection,
    action: &'static str,
    schools: &[Option<&str>],
    transfer_id: &str,
    actor: &Actor<'_>,
    detail: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut done: Vec<&str> = Vec::new();
    for school in schools.iter().flatten() {
        if done.contains(school) {
            continue;
        }
        done.push(school);
        let mut e = Event::new(action, now)
            .school(school)
            .record("transfer", transfer_id)
            .detail(detail)
            .ip(actor.ip);
        if let Some(id) = actor.user_id {
            e = e.actor(id);
        }
        audit::store::insert(conn, &e)?;
    }
    Ok(())
}

/// The subject and body of the email to the receiving school's DSLs:
/// nothing about the pupil, the sender or what is in the file.
pub fn email() -> (&'static str, String) {
    (
        "safelog: a child protection file has been sent to your school",
        format!(
            "A child protection file has been sent to your school; sign in to open it:\n{}/transfers\n\n\
             This email deliberately holds no names and no details.\n",
            crate::mail::BASE_URL
        ),
    )
}

/// Sends `pupil`'s file from `from` to `to`, a school of this deployment.
/// The refusal (a file already on its way there) is a message for the
/// person; otherwise the transfer's id and how many DSLs were told.
pub fn send_within(
    conn: &mut AnyConnection,
    actor: &Actor<'_>,
    from: &School,
    pupil: &Pupil,
    to: &School,
    now: NaiveDateTime,
) -> Result<Result<(String, usize), String>, AppError> {
    write_transaction(conn, |conn| {
        if let Some(earlier) = store::pending(conn, &pupil.id, &to.id)? {
            return Ok(Err(format!(
                "This pupil's file was already sent to {} on {}, and its receipt is not yet confirmed: it is on the transfers page. Ask their DSL to open it and confirm receipt.",
                to.name,
                crate::views::time::moment(earlier.sent_at)
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let doc = document::build(
            conn,
            &Making {
                transfer_id: &id,
                school_id: &from.id,
                made_by_name: actor.name,
                made_by_initials: actor.initials,
                receiving_urn: to.urn.as_deref(),
                receiving_name: Some(&to.name),
                now,
            },
            pupil,
        )?;
        let text = doc.to_json()?;
        store::insert(
            conn,
            &NewTransfer {
                id: &id,
                document_id: &id,
                kind: Kind::Within,
                from_school_id: Some(&from.id),
                from_pupil_id: Some(&pupil.id),
                from_school_name: &from.name,
                from_school_urn: from.urn.as_deref(),
                to_school_id: Some(&to.id),
                to_urn: to.urn.as_deref(),
                pupil_name: &pupil.name,
                incident_count: count(&doc),
                document: &text,
                sent_at: now,
                sent_by: actor.user_id,
                sent_by_name: actor.name,
                key_fingerprint: None,
            },
        )?;
        audit_both(
            conn,
            "transfer_sent",
            &[Some(&from.id), Some(&to.id)],
            &id,
            actor,
            &format!(
                "child protection file sent within safelog; {} incidents",
                doc.incidents.len()
            ),
            now,
        )?;
        let (subject, body) = email();
        let dsls = crate::accounts::store::active_with_role(conn, &to.id, Role::Dsl)?;
        for dsl in &dsls {
            crate::mail::enqueue(
                conn,
                &crate::mail::NewMail {
                    school_id: Some(&to.id),
                    kind: "transfer_received",
                    to: &dsl.email,
                    subject,
                    body: &body,
                },
                now,
            )?;
        }
        Ok(Ok((id, dsls.len())))
    })
}

pub fn count(doc: &Document) -> i32 {
    i32::try_from(doc.incidents.len()).unwrap_or(i32::MAX)
}

/// Records that the receiving school's DSL opened the file, the first time
/// they do: in both schools' trails.
pub fn open(
    conn: &mut AnyConnection,
    t: &Transfer,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if t.opened_at.is_some() {
        return Ok(());
    }
    write_transaction(conn, |conn| {
        if store::mark_opened(conn, &t.id, actor.user_id, now)? {
            audit_both(
                conn,
                "transfer_opened",
                &[t.from_school_id.as_deref(), t.to_school_id.as_deref()],
                &t.id,
                actor,
                "opened by the receiving school",
                now,
            )?;
        }
        Ok(())
    })
}

/// Every read of a file's content, as a read of an incident is audited:
/// in the reader's school.
pub fn audit_read(
    conn: &mut AnyConnection,
    school_id: &str,
    t: &Transfer,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    audit_both(
        conn,
        "transfer_viewed",
        &[Some(school_id)],
        &t.id,
        actor,
        &format!("{} incidents shown", t.incident_count),
        now,
    )
}

/// Whose record a received file joins.
pub enum LinkTo {
    Existing(String),
    New {
        name: String,
        tutor_group: Option<String>,
    },
}

/// Confirms receipt and links the file to a pupil of the receiving school
/// (made from the file's details when new). A refusal is a message.
pub fn confirm(
    conn: &mut AnyConnection,
    t: &Transfer,
    school_id: &str,
    link: &LinkTo,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<Result<Pupil, String>, AppError> {
    write_transaction(conn, |conn| {
        let pupil = match link {
            LinkTo::Existing(id) => match crate::pupils::store::in_school(conn, school_id, id)? {
                Some(p) => p,
                None => return Ok(Err("Choose a pupil of your school.".to_string())),
            },
            LinkTo::New { name, tutor_group } => {
                let doc = Document::parse(&t.document).map_err(AppError::internal)?;
                let group = tutor_group.as_deref();
                crate::pupils::store::create(
                    conn,
                    &crate::pupils::store::NewPupil {
                        school_id,
                        name,
                        tutor_group: group,
                        year_group: group
                            .and_then(crate::pupils::model::year_group_of)
                            .or(doc.pupil.year_group),
                        date_of_birth: doc.pupil.date_of_birth,
                        upn: doc.pupil.upn.as_deref(),
                        child_identifier: None,
                        nhs_number: None,
                    },
                    now,
                )?
            }
        };
        // The child identifier and NHS number the file carries fill those
        // the pupil's record lacks; a record's own are never overwritten.
        if let Ok(doc) = Document::parse(&t.document) {
            let (ci, nhs) = identifiers(&doc);
            crate::pupils::store::fill_identifiers(conn, &pupil, ci.as_deref(), nhs.as_deref())?;
        }
        if store::mark_opened(conn, &t.id, actor.user_id, now)? {
            audit_both(
                conn,
                "transfer_opened",
                &[t.from_school_id.as_deref(), t.to_school_id.as_deref()],
                &t.id,
                actor,
                "opened by the receiving school",
                now,
            )?;
        }
        if !store::confirm(conn, &t.id, actor.user_id, &pupil.id, now)? {
            return Ok(Err(
                "Receipt of this file was already confirmed: it is on the pupil's page.".into(),
            ));
        }
        audit_both(
            conn,
            "transfer_receipt_confirmed",
            &[t.from_school_id.as_deref(), t.to_school_id.as_deref()],
            &t.id,
            actor,
            match link {
                LinkTo::Existing(_) => "receipt confirmed; linked to a pupil on the roll",
                LinkTo::New { .. } => "receipt confirmed; linked to a new pupil record",
            },
            now,
        )?;
        Ok(Ok(pupil))
    })
}

/// What a package import did.
pub struct Imported {
    pub transfer_id: String,
    pub from: String,
    pub incidents: usize,
    /// True when the file joined a pupil already on record.
    pub existing_pupil: bool,
}

/// Takes a package in as received history of `school`: checked (the
/// signature, the key when one is expected, the school's URN, not received
/// before), linked to the pupil of the school with its UPN, or its name
/// and date of birth, or a new pupil record, and opened and confirmed by
/// the importer. A refusal stores nothing but its audit row, and says why.
pub fn take_in(
    conn: &mut AnyConnection,
    bytes: &[u8],
    school: &School,
    expected_key: Option<&str>,
    actor: &Actor<'_>,
    now: NaiveDateTime,
) -> Result<Result<Imported, String>, AppError> {
    let refused = |conn: &mut AnyConnection, why: &str, message: String| {
        let mut e = crate::audit::Event::new("transfer_import_refused", now)
            .school(&school.id)
            .detail(why)
            .ip(actor.ip);
        if let Some(id) = actor.user_id {
            e = e.actor(id);
        }
        audit::store::insert(conn, &e)?;
        Ok::<_, AppError>(Err(message))
    };
    let verified = match super::package::verify(bytes) {
        Ok(v) => v,
        Err(message) => {
            return refused(
                conn,
                "not a package, or its signature does not match",
                message,
            )
        }
    };
    if let Some(expected) = expected_key.filter(|k| !k.trim().is_empty()) {
        if !super::keys::same_fingerprint(expected, &verified.fingerprint) {
            return refused(
                conn,
                "signed with another key than the one expected",
                format!(
                    "The package is signed with the key {}, not the one you were given ({}). Check with the sending school before taking it in. Nothing was stored.",
                    verified.fingerprint,
                    expected.trim()
                ),
            );
        }
    }
    let doc = &verified.document;
    let Some(urn) = school.urn.as_deref() else {
        return refused(
            conn,
            "the school has no URN",
            format!(
                "{} has no URN yet, and a package is taken in only by the school whose URN it names: an administrator enters it at Administration, School settings. Nothing was stored.",
                school.name
            ),
        );
    };
    if doc.receiving_school.urn.as_deref() != Some(urn) {
        return refused(
            conn,
            "for another school's URN",
            format!(
                "This package is for the school with URN {}, not {} (URN {urn}). Nothing was stored: send it back to the sending school, or to the school it names.",
                doc.receiving_school.urn.as_deref().unwrap_or("(none)"),
                school.name
            ),
        );
    }
    write_transaction(conn, |conn| {
        if let Some(earlier) = store::received_document(conn, &school.id, &doc.transfer_id)? {
            return refused(
                conn,
                "already received",
                format!(
                    "This package was already received, on {}: it is on the transfers page. Nothing was stored again.",
                    crate::views::time::moment(earlier.confirmed_at.unwrap_or(earlier.sent_at))
                ),
            );
        }
        let (pupil, existing) = pupil_for(conn, &school.id, doc, now)?;
        let id = uuid::Uuid::new_v4().to_string();
        let made_by = doc
            .made_by
            .name
            .clone()
            .unwrap_or_else(|| doc.made_by.initials.clone());
        store::insert(
            conn,
            &NewTransfer {
                id: &id,
                document_id: &doc.transfer_id,
                kind: Kind::PackageIn,
                from_school_id: None,
                from_pupil_id: None,
                from_school_name: &doc.sending_school.name,
                from_school_urn: doc.sending_school.urn.as_deref(),
                to_school_id: Some(&school.id),
                to_urn: Some(urn),
                pupil_name: &doc.pupil.name,
                incident_count: count(doc),
                document: &verified.document_text,
                sent_at: doc.made_at.naive_utc(),
                sent_by: None,
                sent_by_name: &made_by,
                key_fingerprint: Some(&verified.fingerprint),
            },
        )?;
        store::mark_opened(conn, &id, actor.user_id, now)?;
        store::confirm(conn, &id, actor.user_id, &pupil.id, now)?;
        // The sending school, when it is in this deployment too, has the
        // import in its trail as well.
        let sender = match doc.sending_school.urn.as_deref() {
            Some(u) => match crate::accounts::model::Urn::parse(u) {
                Ok(u) => crate::accounts::store::school_by_urn(conn, &u)?.map(|s| s.id),
                Err(_) => None,
            },
            None => None,
        };
        let schools = [Some(school.id.as_str()), sender.as_deref()];
        audit_both(
            conn,
            "transfer_imported",
            &schools,
            &id,
            actor,
            &format!(
                "package imported; {} incidents; signed with key {}",
                doc.incidents.len(),
                verified.fingerprint
            ),
            now,
        )?;
        for action in ["transfer_opened", "transfer_receipt_confirmed"] {
            audit_both(conn, action, &schools, &id, actor, "by the importer", now)?;
        }
        Ok(Ok(Imported {
            transfer_id: id,
            from: doc.sending_school.name.clone(),
            incidents: doc.incidents.len(),
            existing_pupil: existing,
        }))
    })
}

/// The pupil of `school_id` a package is about: the one with its UPN, or
/// its name and date of birth; else a new pupil record made from it.
fn pupil_for(
    conn: &mut AnyConnection,
    school_id: &str,
    doc: &Document,
    now: NaiveDateTime,
) -> Result<(Pupil, bool), AppError> {
    let p = &doc.pupil;
    let (ci, nhs) = identifiers(doc);
    let named = crate::pupils::store::named(conn, school_id, &p.name)?;
    let mut found = None;
    if let Some(upn) = &p.upn {
        found = crate::pupils::store::with_upn(conn, school_id, upn)?;
    }
    if found.is_none() && p.date_of_birth.is_some() {
        found = named
            .into_iter()
            .find(|c| c.date_of_birth == p.date_of_birth);
    }
    if let Some(found) = found {
        crate::pupils::store::fill_identifiers(conn, &found, ci.as_deref(), nhs.as_deref())?;
        return Ok((found, true));
    }
    let made = crate::pupils::store::create(
        conn,
        &crate::pupils::store::NewPupil {
            school_id,
            name: &p.name,
            tutor_group: None,
            year_group: p.year_group,
            date_of_birth: p.date_of_birth,
            upn: p.upn.as_deref(),
            child_identifier: ci.as_deref(),
            nhs_number: nhs.as_deref(),
        },
        now,
    )?;
    Ok((made, false))
}

/// The child identifier and NHS number a file carries, as a pupil record
/// keeps them: one that another system wrote wrongly (an NHS number whose
/// check digit fails) is left out rather than refusing the whole file.
fn identifiers(doc: &Document) -> (Option<String>, Option<String>) {
    let ci = doc
        .pupil
        .child_identifier
        .as_deref()
        .and_then(|v| crate::pupils::model::child_identifier(v).ok());
    let nhs = doc
        .pupil
        .nhs_number
        .as_deref()
        .and_then(|v| crate::pupils::model::nhs_number(v).ok());
    (ci, nhs)
}
