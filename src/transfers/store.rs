//! SQL for transfers. What was sent is never changed (a trigger refuses
//! it); only the receipt is filled in, once each.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Kind, Transfer};
use crate::db::schema::{signing_keys, transfers};
use crate::db::AnyConnection;

pub struct NewTransfer<'a> {
    pub id: &'a str,
    pub document_id: &'a str,
    pub kind: Kind,
    pub from_school_id: Option<&'a str>,
    pub from_pupil_id: Option<&'a str>,
    pub from_school_name: &'a str,
    pub from_school_urn: Option<&'a str>,
    pub to_school_id: Option<&'a str>,
    pub to_urn: Option<&'a str>,
    pub pupil_name: &'a str,
    pub incident_count: i32,
    pub document: &'a str,
    pub sent_at: NaiveDateTime,
    pub sent_by: Option<&'a str>,
    pub sent_by_name: &'a str,
    pub key_fingerprint: Option<&'a str>,
}

pub fn insert(conn: &mut AnyConnection, t: &NewTransfer<'_>) -> QueryResult<()> {
    diesel::insert_into(transfers::table)
        .values((
            transfers::id.eq(t.id),
            transfers::document_id.eq(t.document_id),
            transfers::kind.eq(t.kind.as_str()),
            transfers::from_school_id.eq(t.from_school_id),
            transfers::from_pupil_id.eq(t.from_pupil_id),
            transfers::from_school_name.eq(t.from_school_name),
            transfers::from_school_urn.eq(t.from_school_urn),
            transfers::to_school_id.eq(t.to_school_id),
            transfers::to_urn.eq(t.to_urn),
            transfers::pupil_name.eq(t.pupil_name),
            transfers::incident_count.eq(t.incident_count),
            transfers::document.eq(t.document),
            transfers::sent_at.eq(t.sent_at),
            transfers::sent_by.eq(t.sent_by),
            transfers::sent_by_name.eq(t.sent_by_name),
            transfers::key_fingerprint.eq(t.key_fingerprint),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Transfer>> {
    transfers::table
        .find(id)
        .select(Transfer::as_select())
        .first(conn)
        .optional()
}

/// What a school sent (within the deployment, or downloaded as packages),
/// newest first.
pub fn sent_by(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Transfer>> {
    transfers::table
        .filter(transfers::from_school_id.eq(school_id))
        .order((transfers::sent_at.desc(), transfers::id.desc()))
        .select(Transfer::as_select())
        .load(conn)
}

/// What a school received, newest first.
pub fn received_by(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Transfer>> {
    transfers::table
        .filter(transfers::to_school_id.eq(school_id))
        .order((transfers::sent_at.desc(), transfers::id.desc()))
        .select(Transfer::as_select())
        .load(conn)
}

/// A pupil's file as sent by their school, newest first.
pub fn sent_of_pupil(conn: &mut AnyConnection, pupil_id: &str) -> QueryResult<Vec<Transfer>> {
    transfers::table
        .filter(transfers::from_pupil_id.eq(pupil_id))
        .order((transfers::sent_at.desc(), transfers::id.desc()))
        .select(Transfer::as_select())
        .load(conn)
}

/// Files received and linked to one of the school's pupils, oldest first.
pub fn received_for_pupil(
    conn: &mut AnyConnection,
    school_id: &str,
    pupil_id: &str,
) -> QueryResult<Vec<Transfer>> {
    transfers::table
        .filter(transfers::to_school_id.eq(school_id))
        .filter(transfers::linked_pupil_id.eq(pupil_id))
        .order((transfers::sent_at.asc(), transfers::id.asc()))
        .select(Transfer::as_select())
        .load(conn)
}

/// A file of this pupil already on its way to that school, not yet confirmed.
pub fn pending(
    conn: &mut AnyConnection,
    from_pupil_id: &str,
    to_school_id: &str,
) -> QueryResult<Option<Transfer>> {
    transfers::table
        .filter(transfers::from_pupil_id.eq(from_pupil_id))
        .filter(transfers::to_school_id.eq(to_school_id))
        .filter(transfers::confirmed_at.is_null())
        .select(Transfer::as_select())
        .first(conn)
        .optional()
}

/// The transfer by which `to_school_id` already received the document
/// `document_id`, if it did.
pub fn received_document(
    conn: &mut AnyConnection,
    to_school_id: &str,
    document_id: &str,
) -> QueryResult<Option<Transfer>> {
    transfers::table
        .filter(transfers::to_school_id.eq(to_school_id))
        .filter(transfers::document_id.eq(document_id))
        .select(Transfer::as_select())
        .first(conn)
        .optional()
}

/// Records the first opening; false when it was opened before.
pub fn mark_opened(
    conn: &mut AnyConnection,
    id: &str,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        transfers::table
            .filter(transfers::id.eq(id))
            .filter(transfers::opened_at.is_null()),
    )
    .set((transfers::opened_at.eq(at), transfers::opened_by.eq(by)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Confirms receipt and links the file to a pupil of the receiving
/// school; false when receipt was already confirmed.
pub fn confirm(
    conn: &mut AnyConnection,
    id: &str,
    by: Option<&str>,
    pupil_id: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        transfers::table
            .filter(transfers::id.eq(id))
            .filter(transfers::confirmed_at.is_null()),
    )
    .set((
        transfers::confirmed_at.eq(at),
        transfers::confirmed_by.eq(by),
        transfers::linked_pupil_id.eq(pupil_id),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many files the school sent within the deployment that are not
/// confirmed and were sent before `due`, leaving out those about a pupil
/// in `excluded` (the reader's exclusions).
pub fn overdue_count(
    conn: &mut AnyConnection,
    school_id: &str,
    due: NaiveDateTime,
    excluded: &[String],
) -> QueryResult<i64> {
    let mut q = transfers::table
        .filter(transfers::from_school_id.eq(school_id))
        .filter(transfers::kind.eq(Kind::Within.as_str()))
        .filter(transfers::confirmed_at.is_null())
        .filter(transfers::sent_at.lt(due))
        .into_boxed();
    if !excluded.is_empty() {
        q = q.filter(diesel::dsl::not(
            transfers::from_pupil_id.assume_not_null().eq_any(excluded),
        ));
    }
    q.count().get_result(conn)
}

/// Files received by the school and not yet confirmed: (id, from, sent at).
pub fn waiting_at(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Transfer>> {
    transfers::table
        .filter(transfers::to_school_id.eq(school_id))
        .filter(transfers::confirmed_at.is_null())
        .order((transfers::sent_at.asc(), transfers::id.asc()))
        .select(Transfer::as_select())
        .load(conn)
}

/// The one row of `signing_keys`: the key transfer packages are signed with.
pub const SIGNING_KEY: &str = "transfer-packages";

/// The stored private key (base64) and when it was made.
pub fn signing_key(conn: &mut AnyConnection) -> QueryResult<Option<(String, NaiveDateTime)>> {
    signing_keys::table
        .find(SIGNING_KEY)
        .select((signing_keys::private_key, signing_keys::created_at))
        .first(conn)
        .optional()
}

/// Stores the key; fails when another instance stored one first.
pub fn add_signing_key(
    conn: &mut AnyConnection,
    public: &str,
    private: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::id.eq(SIGNING_KEY),
            signing_keys::public_key.eq(public),
            signing_keys::private_key.eq(private),
            signing_keys::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
