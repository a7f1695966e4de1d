//! Records that follow a pupil (KCSIE: when a pupil leaves, the DSL sends
//! their child protection file to the new school within five school days,
//! separately from the main file, and the new school confirms receipt).
//!
//! Within one deployment the sending school's DSL chooses the new school on
//! the pupil's page; the document ([`document`]) is made then and kept
//! exactly as made. The receiving school's DSLs are alerted on their start
//! page and by an email that names nothing; one of them opens it (recorded),
//! links it to a pupil of their school and confirms receipt (recorded). The
//! sender sees each step, timed and named, on the pupil's page and at
//! `/transfers`, which flags files not confirmed within five school days.
//! Every step is in both schools' audit trails.
//!
//! Between systems the DSL downloads the same document as one signed
//! package ([`package`], signed with the deployment's key, [`keys`]);
//! `safelog import transfer` and the upload page check it and take it in
//! as received history.
//!
//! It stands on incidents, cases (the school-day count of the pick-up
//! reminders) and pupils; the pupil page and the start page show its cards.

pub mod cli;
pub mod document;
pub mod flow;
pub mod handlers;
pub mod keys;
pub mod model;
pub mod package;
pub mod store;
pub mod views;

use crate::auth::{Access, Role, Router};

/// Sends, opens and confirms: the school's DSL.
const DSLS: Access = Access::Roles(&[Role::Dsl]);
/// Reads the transfers page and a transfer: the DSL, and a trust's
/// safeguarding lead in each school of the trust (read only; a file on its
/// way is shown to them once its DSL has confirmed receipt).
const READERS: Access = Access::Roles(&[Role::Dsl, Role::TrustSafeguardingLead]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/pupils/{id}/transfer", DSLS, handlers::send_form)
        .post("/pupils/{id}/transfer", DSLS, handlers::send)
        .get("/pupils/{id}/transfer-package", DSLS, handlers::download)
        .get("/transfers", READERS, handlers::list)
        // Before "/transfers/{id}", which would take it.
        .get("/transfers/import", DSLS, handlers::import_page)
        .post("/transfers/import", DSLS, handlers::import_upload)
        .get(
            "/admin/transfer-key",
            Access::Roles(&[Role::Admin]),
            handlers::key_page,
        )
        .get("/transfers/{id}", READERS, handlers::show)
        .post("/transfers/{id}/receive", DSLS, handlers::receive);
}

/// What the DSL's start page says about transfers.
pub struct StartCard {
    /// Files received and not yet confirmed: (id, from school, sent at).
    pub waiting: Vec<model::Transfer>,
    /// Files sent and not confirmed within five school days.
    pub overdue: i64,
}

/// The card for a reader excluded from `excluded` (their exclusions): a
/// file about one of those pupils is not theirs to see or count.
pub fn start_card(
    conn: &mut crate::db::AnyConnection,
    school_id: &str,
    excluded: &[String],
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<StartCard> {
    Ok(StartCard {
        waiting: store::waiting_at(conn, school_id)?
            .into_iter()
            .filter(|t| !t.about_any(school_id, excluded))
            .collect(),
        overdue: store::overdue_count(conn, school_id, model::overdue_before(now), excluded)?,
    })
}
