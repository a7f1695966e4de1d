//! Which pupils a reader may know about. The school roll (pupils a pupil
//! list from the school's MIS has named) is what staff choose from, so any
//! reader may find a pupil on it. A pupil known only from incidents (typed
//! as a new pupil while logging, or brought by the old spreadsheet) is known
//! only to those who may read one of those incidents: otherwise a tutor
//! could learn from the type-ahead, or a guessed `/pupils/{id}`, that a
//! headteacher-only record names a child. A pupil someone is excluded
//! from is known to them in no way: not on the roll, not in the type-ahead.

use std::collections::HashSet;

use diesel::prelude::*;

use super::visibility::visible_to;
use crate::db::schema::{incident_pupils, incidents, pupils};
use crate::db::AnyConnection;
use crate::incidents::viewer::Viewer;
use crate::pupils::model::{name_key, Pupil};
use crate::pupils::store::contains_pattern;

/// How many pupils matching a type-ahead are looked at before those the
/// reader may not know of are left out.
const CANDIDATES: i64 = 200;

/// Whether `viewer` may know of `pupil` (of the viewer's school).
pub fn knows(conn: &mut AnyConnection, viewer: &Viewer, pupil: &Pupil) -> QueryResult<bool> {
    if pupil.school_id != viewer.school_id || viewer.excluded_from(&pupil.id) {
        return Ok(false);
    }
    if pupil.on_roll_at.is_some() {
        return Ok(true);
    }
    if !known_off_roll(conn, viewer, std::slice::from_ref(&pupil.id))?.is_empty() {
        return Ok(true);
    }
    // A pupil made for a child protection file received from another
    // school (not yet on the roll) is known to those who read that file.
    if viewer.roles.any(&[
        crate::auth::Role::Dsl,
        crate::auth::Role::TrustSafeguardingLead,
    ]) {
        use crate::db::schema::transfers;
        let linked: i64 = transfers::table
            .filter(transfers::to_school_id.eq(&viewer.school_id))
            .filter(transfers::linked_pupil_id.eq(&pupil.id))
            .count()
            .get_result(conn)?;
        return Ok(linked > 0);
    }
    Ok(false)
}

/// Of `ids` (pupils not on the roll), those named in an incident `viewer`
/// may read.
fn known_off_roll(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    ids: &[String],
) -> QueryResult<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut known: HashSet<String> = incidents::table
        .filter(visible_to(viewer))
        .filter(incidents::pupil_id.eq_any(ids))
        .select(incidents::pupil_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let as_other = incident_pupils::table
        .filter(incident_pupils::school_id.eq(viewer.school_id.clone()))
        .filter(incident_pupils::pupil_id.eq_any(ids.to_vec()))
        .select(incident_pupils::incident_id);
    let readable: Vec<String> = incidents::table
        .filter(visible_to(viewer))
        .filter(incidents::id.eq_any(as_other))
        .select(incidents::id)
        .load(conn)?;
    if !readable.is_empty() {
        known.extend(
            incident_pupils::table
                .filter(incident_pupils::incident_id.eq_any(&readable))
                .filter(incident_pupils::pupil_id.eq_any(ids))
                .select(incident_pupils::pupil_id)
                .load::<String>(conn)?,
        );
    }
    Ok(known)
}

/// The type-ahead: pupils whose name contains `q` that `viewer` may know
/// of and who have not left, by name. Names are compared by their key
/// (NFC, case-folded), so an NFD-typed "Zoë" finds the NFC one.
pub fn search(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    q: &str,
    limit: i64,
) -> QueryResult<Vec<Pupil>> {
    let candidates: Vec<Pupil> = pupils::table
        .filter(pupils::school_id.eq(viewer.school_id.clone()))
        // A pupil who has left (the MIS's nightly file no longer names
        // them) is not offered when logging; their page still opens.
        .filter(pupils::left_at.is_null())
        .filter(
            pupils::name_key
                .like(contains_pattern(&name_key(q)))
                .escape('\\'),
        )
        .order((pupils::name_key.asc(), pupils::id.asc()))
        .limit(CANDIDATES)
        .select(Pupil::as_select())
        .load(conn)?;
    let off_roll: Vec<String> = candidates
        .iter()
        .filter(|p| p.on_roll_at.is_none())
        .map(|p| p.id.clone())
        .collect();
    let known = known_off_roll(conn, viewer, &off_roll)?;
    Ok(candidates
        .into_iter()
        .filter(|p| p.on_roll_at.is_some() || known.contains(&p.id))
        .filter(|p| !viewer.excluded_from(&p.id))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}
