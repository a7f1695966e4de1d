//! SQL for pupils: finding them, the type-ahead, the one pupil a typed name
//! means, and the upsert behind `safelog import pupils`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{name_key, year_group_of, DropRun, ImportedPupil, Pupil, PupilRef};
use crate::db::schema::pupils;
use crate::db::AnyConnection;

/// A LIKE pattern matching `s` anywhere, with LIKE's own characters
/// escaped (use with `.escape('\\')`).
pub fn contains_pattern(s: &str) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    p.push('%');
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

pub struct NewPupil<'a> {
    pub school_id: &'a str,
    pub name: &'a str,
    pub tutor_group: Option<&'a str>,
    pub year_group: Option<i32>,
    pub date_of_birth: Option<NaiveDate>,
    pub upn: Option<&'a str>,
    pub child_identifier: Option<&'a str>,
    pub nhs_number: Option<&'a str>,
}

pub fn create(
    conn: &mut AnyConnection,
    new: &NewPupil<'_>,
    at: NaiveDateTime,
) -> QueryResult<Pupil> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(pupils::table)
        .values((
            pupils::id.eq(&id),
            pupils::school_id.eq(new.school_id),
            pupils::name.eq(new.name),
            pupils::name_key.eq(name_key(new.name)),
            pupils::tutor_group.eq(new.tutor_group),
            pupils::year_group.eq(new.year_group),
            pupils::date_of_birth.eq(new.date_of_birth),
            pupils::upn.eq(new.upn),
            pupils::child_identifier.eq(new.child_identifier),
            pupils::nhs_number.eq(new.nhs_number),
            pupils::created_at.eq(at),
            pupils::updated_at.eq(at),
        ))
        .execute(conn)?;
    pupils::table
        .find(&id)
        .select(Pupil::as_select())
        .first(conn)
}

/// A pupil of this school; None for one of another school.
pub fn in_school(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
) -> QueryResult<Option<Pupil>> {
    pupils::table
        .filter(pupils::id.eq(id))
        .filter(pupils::school_id.eq(school_id))
        .select(Pupil::as_select())
        .first(conn)
        .optional()
}

pub fn by_ids(
    conn: &mut AnyConnection,
    school_id: &str,
    ids: &[String],
) -> QueryResult<Vec<Pupil>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::id.eq_any(ids))
        .select(Pupil::as_select())
        .load(conn)
}

/// The pupil of this school with this UPN, if any.
pub fn with_upn(
    conn: &mut AnyConnection,
    school_id: &str,
    upn: &str,
) -> QueryResult<Option<Pupil>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::upn.eq(upn))
        .order(pupils::id.asc())
        .select(Pupil::as_select())
        .first(conn)
        .optional()
}

/// The school roll (pupils a pupil list has named), by name.
pub fn roll(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Pupil>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::on_roll_at.is_not_null())
        .order((pupils::name_key.asc(), pupils::id.asc()))
        .select(Pupil::as_select())
        .load(conn)
}

/// The pupils whose name is `name`, whatever its case.
pub fn named(conn: &mut AnyConnection, school_id: &str, name: &str) -> QueryResult<Vec<Pupil>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::name_key.eq(name_key(name)))
        .order((pupils::tutor_group.asc(), pupils::id.asc()))
        .select(Pupil::as_select())
        .load(conn)
}

/// The type-ahead: pupils whose name contains `q`, by name.
pub fn search(
    conn: &mut AnyConnection,
    school_id: &str,
    q: &str,
    limit: i64,
) -> QueryResult<Vec<Pupil>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(
            pupils::name_key
                .like(contains_pattern(&name_key(q)))
                .escape('\\'),
        )
        .order((pupils::name_key.asc(), pupils::id.asc()))
        .limit(limit)
        .select(Pupil::as_select())
        .load(conn)
}

/// Marks a pupil as named by the school's pupil list, now.
fn put_on_roll(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(pupils::table.find(id))
        .set(pupils::on_roll_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}

pub fn count(conn: &mut AnyConnection, school_id: &str) -> QueryResult<i64> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .count()
        .get_result(conn)
}

/// What a typed pupil turned out to be.
#[derive(Debug)]
pub enum Resolved {
    Found(Pupil),
    Created(Pupil),
    /// Several pupils have this name and the tutor group does not tell them
    /// apart: the person must choose.
    Ambiguous(usize),
}

/// The one pupil a form means: the one picked from the type-ahead if its
/// name still matches what is typed; else the only pupil with that name (or
/// the only one of them in that tutor group); else a new pupil with that
/// name and tutor group.
pub fn resolve(
    conn: &mut AnyConnection,
    school_id: &str,
    wanted: &PupilRef,
    at: NaiveDateTime,
) -> QueryResult<Resolved> {
    let key = name_key(&wanted.name);
    if let Some(id) = &wanted.id {
        if let Some(p) = in_school(conn, school_id, id)? {
            if p.name_key == key {
                return Ok(Resolved::Found(p));
            }
        }
    }
    let mut same_name = named(conn, school_id, &wanted.name)?;
    // A pupil who has left is the one meant only when no one on the roll
    // has the name.
    if same_name.iter().any(|p| p.left_at.is_none()) {
        same_name.retain(|p| p.left_at.is_none());
    }
    if same_name.len() > 1 {
        if let Some(group) = &wanted.tutor_group {
            same_name.retain(|p| {
                p.tutor_group
                    .as_deref()
                    .is_some_and(|g| g.eq_ignore_ascii_case(group.trim()))
            });
            if same_name.is_empty() {
                return Ok(Resolved::Ambiguous(
                    named(conn, school_id, &wanted.name)?.len(),
                ));
            }
        }
    }
    match same_name.len() {
        0 => {
            let group = wanted.tutor_group.as_deref().filter(|g| !g.is_empty());
            let pupil = create(
                conn,
                &NewPupil {
                    school_id,
                    name: &wanted.name,
                    tutor_group: group,
                    year_group: group.and_then(year_group_of),
                    date_of_birth: None,
                    upn: None,
                    child_identifier: None,
                    nhs_number: None,
                },
                at,
            )?;
            Ok(Resolved::Created(pupil))
        }
        1 => Ok(same_name
            .pop()
            .map_or(Resolved::Ambiguous(0), Resolved::Found)),
        n => Ok(Resolved::Ambiguous(n)),
    }
}

/// What importing one row did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    /// Moved to another tutor group or year (and perhaps more).
    Moved,
    /// Had been marked as left, and is on the roll again.
    Returned,
    Updated,
    Unchanged,
}

/// Imports one row: the pupil with its MIS id; else the one with its UPN;
/// else the one with its name and date of birth (and no other UPN or MIS
/// id); else one made by hand when an incident was logged (same name and
/// tutor group, no date of birth or UPN); else a new pupil. Never a second
/// record for the same child. Returns what it did and the pupil's id.
pub fn upsert_imported(
    conn: &mut AnyConnection,
    school_id: &str,
    row: &ImportedPupil,
    at: NaiveDateTime,
) -> QueryResult<(Upserted, String)> {
    let key = name_key(&row.name);
    let mut found = None;
    if let Some(mis_id) = &row.mis_id {
        found = pupils::table
            .filter(pupils::school_id.eq(school_id))
            .filter(pupils::mis_id.eq(mis_id))
            .order(pupils::id.asc())
            .select(Pupil::as_select())
            .first(conn)
            .optional()?;
    }
    if found.is_none() {
        if let Some(upn) = &row.upn {
            found = pupils::table
                .filter(pupils::school_id.eq(school_id))
                .filter(pupils::upn.eq(upn))
                .order(pupils::id.asc())
                .select(Pupil::as_select())
                .first(conn)
                .optional()?;
        }
    }
    let other_mis_id =
        |p: &Pupil| p.mis_id.is_some() && row.mis_id.is_some() && p.mis_id != row.mis_id;
    if found.is_none() {
        let mut q = pupils::table
            .filter(pupils::school_id.eq(school_id))
            .filter(pupils::name_key.eq(&key))
            .into_boxed();
        q = match row.date_of_birth {
            Some(d) => q.filter(pupils::date_of_birth.eq(d)),
            None => q.filter(pupils::date_of_birth.is_null()),
        };
        let candidates: Vec<Pupil> = q
            .order(pupils::created_at.asc())
            .then_order_by(pupils::id.asc())
            .select(Pupil::as_select())
            .load(conn)?;
        found = candidates
            .into_iter()
            .find(|p| (p.upn.is_none() || p.upn == row.upn) && !other_mis_id(p));
    }
    if found.is_none() {
        let made_by_hand: Vec<Pupil> = pupils::table
            .filter(pupils::school_id.eq(school_id))
            .filter(pupils::name_key.eq(&key))
            .filter(pupils::date_of_birth.is_null())
            .filter(pupils::upn.is_null())
            .filter(pupils::mis_id.is_null())
            .order((pupils::created_at.asc(), pupils::id.asc()))
            .select(Pupil::as_select())
            .load(conn)?;
        found = made_by_hand.into_iter().find(|p| {
            p.tutor_group
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case(&row.tutor_group))
        });
    }
    let year_group = row.year_group.or_else(|| year_group_of(&row.tutor_group));
    let Some(existing) = found else {
        let made = create(
            conn,
            &NewPupil {
                school_id,
                name: &row.name,
                tutor_group: Some(&row.tutor_group),
                year_group,
                date_of_birth: row.date_of_birth,
                upn: row.upn.as_deref(),
                child_identifier: row.child_identifier.as_deref(),
                nhs_number: row.nhs_number.as_deref(),
            },
            at,
        )?;
        diesel::update(pupils::table.find(&made.id))
            .set((
                pupils::on_roll_at.eq(Some(at)),
                pupils::mis_id.eq(&row.mis_id),
            ))
            .execute(conn)?;
        return Ok((Upserted::Created, made.id));
    };
    put_on_roll(conn, &existing.id, at)?;
    let moved = existing.tutor_group.as_deref() != Some(row.tutor_group.as_str())
        || existing.year_group != year_group;
    let returned = existing.left_at.is_some();
    // What the file leaves blank is kept: a list without UPNs or NHS
    // numbers does not wipe those typed on the pupil's page.
    let upn = row.upn.clone().or(existing.upn.clone());
    let dob = row.date_of_birth.or(existing.date_of_birth);
    let mis_id = row.mis_id.clone().or(existing.mis_id.clone());
    let child_identifier = row
        .child_identifier
        .clone()
        .or(existing.child_identifier.clone());
    let nhs_number = row.nhs_number.clone().or(existing.nhs_number.clone());
    let changed = moved
        || returned
        || existing.name != row.name
        || existing.date_of_birth != dob
        || existing.upn != upn
        || existing.mis_id != mis_id
        || existing.child_identifier != child_identifier
        || existing.nhs_number != nhs_number;
    if !changed {
        return Ok((Upserted::Unchanged, existing.id));
    }
    diesel::update(pupils::table.find(&existing.id))
        .set((
            pupils::name.eq(&row.name),
            pupils::name_key.eq(&key),
            pupils::tutor_group.eq(&row.tutor_group),
            pupils::year_group.eq(year_group),
            pupils::date_of_birth.eq(dob),
            pupils::upn.eq(upn),
            pupils::mis_id.eq(mis_id),
            pupils::child_identifier.eq(child_identifier),
            pupils::nhs_number.eq(nhs_number),
            pupils::left_at.eq(None::<NaiveDateTime>),
            pupils::updated_at.eq(at),
        ))
        .execute(conn)?;
    let what = if returned {
        Upserted::Returned
    } else if moved {
        Upserted::Moved
    } else {
        Upserted::Updated
    };
    Ok((what, existing.id))
}

/// The pupils on the roll who have not left: whom a nightly drop that no
/// longer names them would mark as left.
pub fn current_roll(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Pupil>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::on_roll_at.is_not_null())
        .filter(pupils::left_at.is_null())
        .order(pupils::id.asc())
        .select(Pupil::as_select())
        .load(conn)
}

/// Marks pupils as left the school, now. Nothing about them is deleted.
pub fn mark_left(conn: &mut AnyConnection, ids: &[String], at: NaiveDateTime) -> QueryResult<()> {
    for chunk in ids.chunks(500) {
        diesel::update(pupils::table.filter(pupils::id.eq_any(chunk)))
            .set((pupils::left_at.eq(Some(at)), pupils::updated_at.eq(at)))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets (or clears) the pupil's child identifier and NHS number.
pub fn set_identifiers(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
    child_identifier: Option<&str>,
    nhs_number: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        pupils::table
            .filter(pupils::id.eq(id))
            .filter(pupils::school_id.eq(school_id)),
    )
    .set((
        pupils::child_identifier.eq(child_identifier),
        pupils::nhs_number.eq(nhs_number),
        pupils::updated_at.eq(at),
    ))
    .execute(conn)
}

/// Fills a pupil's child identifier and NHS number where they are blank
/// (a transfer package brings them for a pupil already here).
pub fn fill_identifiers(
    conn: &mut AnyConnection,
    pupil: &Pupil,
    child_identifier: Option<&str>,
    nhs_number: Option<&str>,
) -> QueryResult<()> {
    let ci = pupil.child_identifier.as_deref().or(child_identifier);
    let nhs = pupil.nhs_number.as_deref().or(nhs_number);
    if ci == pupil.child_identifier.as_deref() && nhs == pupil.nhs_number.as_deref() {
        return Ok(());
    }
    diesel::update(pupils::table.find(&pupil.id))
        .set((pupils::child_identifier.eq(ci), pupils::nhs_number.eq(nhs)))
        .execute(conn)
        .map(|_| ())
}

/// Brings every stored name key to what [`name_key`] makes now (NFC and
/// case folding since 2026-12; before, lower-casing only): run after the
/// migrations, it changes only the keys that differ.
pub fn rekey_names(conn: &mut AnyConnection) -> QueryResult<usize> {
    let all: Vec<(String, String, String)> = pupils::table
        .select((pupils::id, pupils::name, pupils::name_key))
        .load(conn)?;
    let mut changed = 0;
    for (id, name, key) in all {
        let now = name_key(&name);
        if now != key {
            diesel::update(pupils::table.find(&id))
                .set(pupils::name_key.eq(now))
                .execute(conn)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Whether this file (by name and SHA-256) was imported for the school
/// before, or (`refused_counts`) refused before.
pub fn drop_seen(
    conn: &mut AnyConnection,
    school_id: &str,
    file_name: &str,
    sha256: &str,
    refused_counts: bool,
) -> QueryResult<bool> {
    use crate::db::schema::pupil_drop_runs as r;
    let mut q = r::table
        .filter(r::school_id.eq(school_id))
        .filter(r::file_name.eq(file_name))
        .filter(r::file_sha256.eq(sha256))
        .into_boxed();
    if !refused_counts {
        q = q.filter(r::outcome.eq("imported"));
    }
    let n: i64 = q.count().get_result(conn)?;
    Ok(n > 0)
}

pub fn record_drop_run(conn: &mut AnyConnection, run: &DropRun) -> QueryResult<()> {
    use crate::db::schema::pupil_drop_runs as r;
    diesel::insert_into(r::table)
        .values((
            r::id.eq(&run.id),
            r::school_id.eq(&run.school_id),
            r::file_name.eq(&run.file_name),
            r::file_sha256.eq(&run.file_sha256),
            r::ran_at.eq(run.ran_at),
            r::outcome.eq(&run.outcome),
            r::added.eq(run.added),
            r::moved.eq(run.moved),
            r::updated.eq(run.updated),
            r::unchanged.eq(run.unchanged),
            r::returned.eq(run.returned),
            r::left_roll.eq(run.left_roll),
            r::refused_rows.eq(run.refused_rows),
            r::message.eq(&run.message),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The school's latest drop runs, newest first.
pub fn recent_drop_runs(
    conn: &mut AnyConnection,
    school_id: &str,
    limit: i64,
) -> QueryResult<Vec<DropRun>> {
    use crate::db::schema::pupil_drop_runs as r;
    r::table
        .filter(r::school_id.eq(school_id))
        .order((r::ran_at.desc(), r::id.desc()))
        .limit(limit)
        .select(DropRun::as_select())
        .load(conn)
}

/// How many pupils have left (a drop no longer named them).
pub fn count_left(conn: &mut AnyConnection, school_id: &str) -> QueryResult<i64> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::left_at.is_not_null())
        .count()
        .get_result(conn)
}
