//! SQL for pupils: finding them, the type-ahead, the one pupil a typed name
//! means, and the upsert behind `safelog import pupils`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{name_key, year_group_of, ImportedPupil, Pupil, PupilRef};
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
    /// Moved to another tutor group (and perhaps more).
    Moved,
    Updated,
    Unchanged,
}

/// Imports one row: the pupil with its UPN; else the one with its name and
/// date of birth (and no other UPN); else one made by hand when an incident
/// was logged (same name and tutor group, no date of birth or UPN); else a
/// new pupil. Never a second record for the same child.
pub fn upsert_imported(
    conn: &mut AnyConnection,
    school_id: &str,
    row: &ImportedPupil,
    at: NaiveDateTime,
) -> QueryResult<Upserted> {
    let key = name_key(&row.name);
    let mut found = None;
    if let Some(upn) = &row.upn {
        found = pupils::table
            .filter(pupils::school_id.eq(school_id))
            .filter(pupils::upn.eq(upn))
            .select(Pupil::as_select())
            .first(conn)
            .optional()?;
    }
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
            .find(|p| p.upn.is_none() || p.upn == row.upn);
    }
    if found.is_none() {
        let made_by_hand: Vec<Pupil> = pupils::table
            .filter(pupils::school_id.eq(school_id))
            .filter(pupils::name_key.eq(&key))
            .filter(pupils::date_of_birth.is_null())
            .filter(pupils::upn.is_null())
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
            },
            at,
        )?;
        put_on_roll(conn, &made.id, at)?;
        return Ok(Upserted::Created);
    };
    put_on_roll(conn, &existing.id, at)?;
    let moved = existing.tutor_group.as_deref() != Some(row.tutor_group.as_str());
    let upn = row.upn.clone().or(existing.upn.clone());
    let dob = row.date_of_birth.or(existing.date_of_birth);
    let changed = moved
        || existing.name != row.name
        || existing.year_group != year_group
        || existing.date_of_birth != dob
        || existing.upn != upn;
    if !changed {
        return Ok(Upserted::Unchanged);
    }
    diesel::update(pupils::table.find(&existing.id))
        .set((
            pupils::name.eq(&row.name),
            pupils::name_key.eq(&key),
            pupils::tutor_group.eq(&row.tutor_group),
            pupils::year_group.eq(year_group),
            pupils::date_of_birth.eq(dob),
            pupils::upn.eq(upn),
            pupils::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(if moved {
        Upserted::Moved
    } else {
        Upserted::Updated
    })
}
