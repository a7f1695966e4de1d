//! PRODUCT.md's visibility table as a WHERE clause. Every read of incidents
//! (one record, a list, its count, a search, a pupil's chronology) filters
//! by [`visible_to`] or [`listed_to`], so a record someone may not read
//! cannot reach their page, their totals or their search results.
//!
//! | viewer | rows |
//! |---|---|
//! | anyone | the incidents they logged themselves |
//! | `online_safety_lead`, `dsl`, `headteacher` | all of the school's, except restricted categories |
//! | `headteacher` | restricted categories too, except allegations about the headteacher |
//! | `dpo` | the categories the DPO owns (`data-breach`) |
//! | `allegations_lead` | allegations about the headteacher, which no other role reads |
//!
//! Always within the viewer's own school. Governors and administrators
//! cannot reach incident routes at all (their access rules answer 404).
//!
//! Whatever the role, an incident naming a pupil the viewer is excluded
//! from (as its pupil or among the other pupils) is left out: a member of
//! staff who is the child's parent or relative reads nothing about them.
//! The exclusions come with the viewer, read once per request; the clause
//! is added only when there are some, so the usual list keeps its plan.

use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::auth::Role;
use crate::db::schema::{categories, incident_pupils, incidents};
use crate::db::MultiBackend;
use crate::incidents::viewer::Viewer;

/// A condition on an incident row, built at run time.
pub type Condition = Box<dyn BoxableExpression<incidents::table, MultiBackend, SqlType = Bool>>;

/// The incidents `viewer` may read, entered-in-error ones included (a lead
/// can still open one, under a banner).
pub fn visible_to(viewer: &Viewer) -> Condition {
    let school = incidents::school_id.eq(viewer.school_id.clone());
    // logged_by is NULL only for command-line imports; NULL = x is not true,
    // which is what is wanted here.
    let mut access: Condition = Box::new(
        incidents::logged_by
            .assume_not_null()
            .eq(viewer.user_id.clone()),
    );
    // What each role reads is among the incidents not about the
    // headteacher: those are the allegations lead's alone, whatever the
    // category says (a correction may have moved one to another category).
    let not_about_head = || incidents::about_headteacher.eq(false);
    if viewer.reads_restricted() {
        access = Box::new(access.or(not_about_head()));
    }
    if viewer.reads_unrestricted() {
        let restricted = categories::table
            .filter(categories::school_id.eq(viewer.school_id.clone()))
            .filter(categories::restricted.eq(true))
            .select(categories::code);
        // NOT (code IN (...)), not `code <> ALL (...)`: PostgreSQL hashes
        // an IN subquery once but runs `<> ALL` as a loop for every row.
        access = Box::new(access.or(not_about_head().and(diesel::dsl::not(
            incidents::category_code.eq_any(restricted),
        ))));
    }
    if viewer.reads_dpo_categories() {
        let owned = categories::table
            .filter(categories::school_id.eq(viewer.school_id.clone()))
            .filter(categories::owner_role.eq(Role::Dpo.as_str()))
            .filter(categories::restricted.eq(false))
            .select(categories::code);
        access = Box::new(access.or(not_about_head().and(incidents::category_code.eq_any(owned))));
    }
    if viewer.reads_allegations() {
        access = Box::new(access.or(incidents::about_headteacher.eq(true)));
    }
    match not_excluded(viewer) {
        Some(kept) => Box::new(school.and(access).and(kept)),
        None => Box::new(school.and(access)),
    }
}

/// The incidents naming none of the pupils `viewer` is excluded from; None
/// when there are none, as for nearly everyone.
pub fn not_excluded(viewer: &Viewer) -> Option<Condition> {
    if viewer.excluded_pupils.is_empty() {
        return None;
    }
    let excluded = viewer.excluded_pupils.clone();
    // Served by incident_pupils (school_id, pupil_id); a NOT IN list of
    // a few ids and a hashed subquery cost a list next to nothing.
    let as_other = incident_pupils::table
        .filter(incident_pupils::school_id.eq(viewer.school_id.clone()))
        .filter(incident_pupils::pupil_id.eq_any(excluded.clone()))
        .select(incident_pupils::incident_id);
    Some(Box::new(
        diesel::dsl::not(incidents::pupil_id.eq_any(excluded))
            .and(diesel::dsl::not(incidents::id.eq_any(as_other))),
    ))
}

/// What lists, counts, searches and chronologies show: the visible
/// incidents less those entered in error.
pub fn listed_to(viewer: &Viewer) -> Condition {
    Box::new(visible_to(viewer).and(incidents::entered_in_error_at.is_null()))
}
