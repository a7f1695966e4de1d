//! The real-browser suite: safelog's pages in Debian's Chromium, driven over
//! WebDriver (chromedriver) by fantoccini. Needs `chromium`,
//! `chromium-driver`, `poppler-utils` and `npm ci --prefix tests/browser`
//! (axe-core); `.ci/run` installs them. Marked ignored so that a plain
//! `cargo test` passes on a machine without a browser, and says so:
//!
//!     cargo test --test browser -- --ignored
//!
//! With `SAFELOG_TEST_POSTGRES_URL` set the PostgreSQL journeys run too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on should say why, at once

#[allow(dead_code)] // the browser suite uses the databases, not the in-process app
#[path = "../it/helpers.rs"]
mod helpers;

mod access_requests;
mod evidence;
mod filtering_review;
mod harness;
mod journeys;
mod lead_day;
mod monitoring;
mod retention;
mod schools;
mod sso;
mod transfers;
mod trust;
mod trust_admin;
mod trust_report;

/// One test per backend; the PostgreSQL one runs when a server is named.
macro_rules! in_the_browser {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "real browser: cargo test --test browser -- --ignored (see README)"]
            async fn sqlite() {
                crate::$name(crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "real browser: cargo test --test browser -- --ignored (see README)"]
            async fn postgres() {
                if std::env::var_os("SAFELOG_TEST_POSTGRES_URL").is_none() {
                    panic!("set SAFELOG_TEST_POSTGRES_URL to run the browser journeys on PostgreSQL, or choose the sqlite variants: cargo test --test browser sqlite -- --ignored");
                }
                crate::$name(crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

use access_requests::a_dpo_answers_a_subject_access_request_and_prints_the_released_pack;
use evidence::a_dsl_attaches_a_letter_and_cannot_attach_to_a_nudes_incident;
use filtering_review::a_dsl_publishes_the_annual_filtering_review_and_governors_read_it;
use journeys::a_new_school_from_its_setup_link_to_signing_out;
use lead_day::a_lead_triages_forty_incidents_and_governors_read_what_was_published;
use monitoring::a_dsl_triages_monitoring_alerts_and_logs_an_incident_from_one;
use retention::a_dsl_reviews_a_record_due_for_destruction_and_leaves_a_tombstone;
use schools::a_dsl_of_two_schools_switches_between_them_and_sees_one_at_a_time;
use sso::staff_sign_in_through_the_schools_provider_with_and_without_its_second_factor;
use transfers::a_dsl_sends_a_pupils_file_and_the_new_schools_dsl_confirms_receipt;
use trust::a_trust_lead_reads_each_school_from_the_trust_dashboard;
use trust_admin::a_trust_admin_adds_a_school_and_shares_a_category;
use trust_report::a_trustee_opens_and_prints_the_published_trust_report;

in_the_browser!(
    a_dsl_reviews_a_record_due_for_destruction_and_leaves_a_tombstone,
    staff_sign_in_through_the_schools_provider_with_and_without_its_second_factor,
    a_dsl_attaches_a_letter_and_cannot_attach_to_a_nudes_incident,
    a_new_school_from_its_setup_link_to_signing_out,
    a_lead_triages_forty_incidents_and_governors_read_what_was_published,
    a_dsl_of_two_schools_switches_between_them_and_sees_one_at_a_time,
    a_trust_lead_reads_each_school_from_the_trust_dashboard,
    a_trust_admin_adds_a_school_and_shares_a_category,
    a_dsl_triages_monitoring_alerts_and_logs_an_incident_from_one,
    a_dsl_sends_a_pupils_file_and_the_new_schools_dsl_confirms_receipt,
    a_trustee_opens_and_prints_the_published_trust_report,
    a_dsl_publishes_the_annual_filtering_review_and_governors_read_it,
    a_dpo_answers_a_subject_access_request_and_prints_the_released_pack,
);
