//! The trust termly report (`/trust/reports`): the school report's figures
//! for the whole trust and for each school side by side, for the trust's
//! trustees, as governors read a school's report. The trust safeguarding
//! lead reads every term live, writes the commentary and publishes;
//! trustees read only what was published, frozen as it was.
//!
//! Each school is counted by [`crate::reports::figures`], exactly as its
//! own report counts it, by its own term dates ([`report`]); publishing
//! freezes every school's exact figures ([`model`], [`store`]). What a
//! reader sees is built from those by [`table`]: schools with a handful of
//! incidents grouped as "other schools", small counts shown as "<k", and
//! the further cells [`suppression`] withholds so that no small count can
//! be worked out by subtraction. [`pages`] serves it, [`export`] writes
//! the CSV.

pub mod export;
pub mod model;
pub mod pages;
pub mod report;
pub mod store;
pub mod suppression;
pub mod table;
pub mod views;

use crate::auth::{Access, Role, Router};

/// Who reads trust reports: the trust's safeguarding lead (every term
/// begun, live until published) and its trustees (what was published).
pub const READERS: Access = Access::Roles(&[Role::TrustSafeguardingLead, Role::Trustee]);

/// Who writes the commentary and publishes.
const PUBLISHER: Access = Access::Roles(&[Role::TrustSafeguardingLead]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/trust/reports", READERS, pages::list)
        // ".csv" before the page, whose "{term}" would take "autumn.csv".
        .get("/trust/reports/{year}/{term}.csv", READERS, pages::csv)
        .get("/trust/reports/{year}/{term}", READERS, pages::show)
        .post(
            "/trust/reports/{year}/{term}/commentary",
            PUBLISHER,
            pages::save_commentary,
        )
        .post(
            "/trust/reports/{year}/{term}/publish",
            PUBLISHER,
            pages::publish,
        );
}
