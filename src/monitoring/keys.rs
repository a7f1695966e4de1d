//! Ingestion keys: made for one source of one school, shown once, kept only
//! as a SHA-256 digest (as one-time links and recovery codes are: a long
//! random value needs no slow hash, and a database leak hands out no key),
//! revoked rather than deleted.

use chrono::NaiveDateTime;

use super::store;
use crate::audit::{self, Event};
use crate::auth::tokens::{digest, random_token};
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::forms::FieldErrors;

/// Marks a safelog monitoring key, so that one pasted in the wrong place is
/// recognisable (and a secret scanner can look for it).
const PREFIX: &str = "slmon_";

/// A source's name, checked: one line, 1 to 60 characters.
pub fn parse_source(value: &str) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let source = crate::forms::required(
        &mut errors,
        "source",
        value,
        "the monitoring tool's name (for example Smoothwall)",
        60,
    );
    errors.into_result()?;
    let key = source.to_lowercase();
    Ok((source, key))
}

/// Makes a key for `source`; the key itself is returned once and never
/// stored. Refused while the source has a live key: revoke that first.
pub fn create(
    conn: &mut AnyConnection,
    school_id: &str,
    source: &str,
    by: Option<&str>,
    via: &str,
    now: NaiveDateTime,
) -> Result<Result<String, FieldErrors>, AppError> {
    let (source, source_key) = match parse_source(source) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    write_transaction(conn, |conn| {
        if store::live_key_of(conn, school_id, &source_key)?.is_some() {
            let mut errors = FieldErrors::default();
            errors.add(
                "source",
                format!("{source} already has a key. Revoke it first, then make a new one (the tool then needs the new key)."),
            );
            return Ok(Err(errors));
        }
        let key = format!("{PREFIX}{}", random_token(32));
        let id = store::insert_key(
            conn,
            &store::NewKey {
                school_id,
                source: &source,
                source_key: &source_key,
                key_hash: &digest(&key),
                created_by: by,
            },
            now,
        )?;
        let mut e = Event::new("monitoring_key_created", now)
            .school(school_id)
            .record("monitoring_key", &id)
            .detail(format!("source {source}; via {via}"));
        e.actor_id = by.map(str::to_string);
        audit::store::insert(conn, &e)?;
        Ok(Ok(key))
    })
}

/// Revokes the live key of `source`, or the key `key_id`; false when there
/// was no such live key.
pub fn revoke(
    conn: &mut AnyConnection,
    school_id: &str,
    which: Which<'_>,
    by: Option<&str>,
    via: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    write_transaction(conn, |conn| {
        let id = match which {
            Which::Id(id) => Some(id.to_string()),
            Which::Source(source) => {
                store::live_key_of(conn, school_id, &source.trim().to_lowercase())?
            }
        };
        let Some(id) = id else { return Ok(false) };
        if !store::revoke_key(conn, school_id, &id, by, now)? {
            return Ok(false);
        }
        let mut e = Event::new("monitoring_key_revoked", now)
            .school(school_id)
            .record("monitoring_key", &id)
            .detail(format!("via {via}"));
        e.actor_id = by.map(str::to_string);
        audit::store::insert(conn, &e)?;
        Ok(true)
    })
}

pub enum Which<'a> {
    Id(&'a str),
    Source(&'a str),
}
