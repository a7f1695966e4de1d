//! Subject access requests (UK GDPR Art. 15; Data (Use and Access) Act
//! 2025). The data protection officer (or the headteacher) records who
//! asked, for which pupil and when; safelog keeps the one-month clock
//! ([`model`]), which stands still while the school waits for ID or
//! clarification and may be extended by up to two months with a reason.
//! For the pupil it builds the pack ([`pack`]): every record the pupil is
//! in, other pupils replaced by "another pupil", staff by their role unless
//! the DPO keeps their names, and the passages the DPO withholds, each with
//! its reason. Released, a pack is kept exactly as released. Every step is
//! on the request's history; every build, view or download of a pack is in
//! the audit trail, as a read of each record in it.
//!
//! Addresses carry the request's id only: never the pupil's or the
//! requester's name. It stands on transfers (the child protection file it
//! starts from), pupils and accounts; the start page shows its card.

pub mod handlers;
pub mod model;
pub mod pack;
pub mod store;
pub mod views;

use crate::auth::{Access, Role, Router};
use model::Request;

/// The data protection officer answers requests; the headteacher may too
/// (in a small school there may be no one else).
pub const ROLES: &[Role] = &[Role::Dpo, Role::Headteacher];
const SAR: Access = Access::Roles(ROLES);

pub fn routes(r: &mut Router<'_>) {
    r.get("/access-requests", SAR, handlers::list)
        // Before "/access-requests/{id}", which would take it.
        .get("/access-requests/new", SAR, handlers::new_form)
        .post("/access-requests", SAR, handlers::create)
        .get("/access-requests/{id}", SAR, handlers::show)
        .post("/access-requests/{id}/pause", SAR, handlers::pause)
        .post("/access-requests/{id}/resume", SAR, handlers::resume)
        .post("/access-requests/{id}/extend", SAR, handlers::extend)
        .post("/access-requests/{id}/withdraw", SAR, handlers::withdraw)
        .get("/access-requests/{id}/pack", SAR, handlers::pack)
        .get("/access-requests/{id}/pack.json", SAR, handlers::pack_json)
        .post(
            "/access-requests/{id}/staff-names",
            SAR,
            handlers::staff_names,
        )
        .post("/access-requests/{id}/redactions", SAR, handlers::redact)
        .post("/access-requests/{id}/release", SAR, handlers::release);
}

/// How many days ahead a due date counts as "due soon".
pub const DUE_SOON_DAYS: i64 = 7;

/// What the start page says: requests whose clock runs, due within seven
/// days or overdue (oldest due first).
pub struct StartCard {
    pub due_soon: Vec<Request>,
    pub overdue: Vec<Request>,
}

impl StartCard {
    pub fn is_empty(&self) -> bool {
        self.due_soon.is_empty() && self.overdue.is_empty()
    }
}

pub fn start_card(
    conn: &mut crate::db::AnyConnection,
    school_id: &str,
    excluded: &[String],
    today: chrono::NaiveDate,
) -> diesel::QueryResult<StartCard> {
    let mut running = store::running(conn, school_id)?;
    running.retain(|r| !excluded.contains(&r.pupil_id));
    running.sort_by_key(|r| (r.due_on(), r.reference.clone()));
    let (overdue, rest): (Vec<Request>, Vec<Request>) =
        running.into_iter().partition(|r| r.days_left(today) < 0);
    let due_soon = rest
        .into_iter()
        .filter(|r| r.days_left(today) <= DUE_SOON_DAYS)
        .collect();
    Ok(StartCard { due_soon, overdue })
}
