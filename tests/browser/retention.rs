//! Retention (issue 16) in Chromium: the DSL supplies a missing date of
//! birth from the review queue, sees the record come up as due, destroys
//! it, and opens the tombstone the record page has become.

use serde_json::json;

use crate::harness::{Driver, Server};
use crate::helpers::Backend;
use crate::lead_day::{add_account_at, sign_in, Api};

pub async fn a_dsl_reviews_a_record_due_for_destruction_and_leaves_a_tombstone(backend: Backend) {
    let server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    add_account_at(&server, "Hill School", "Rhea Dsl", "RD", &["dsl"]);
    let api = Api::sign_in(&server, "Rhea").await;
    let (id, reference) = api
        .log(json!({"pupil_name": "Theo Threads", "tutor_group": "8A", "incident_date": "2025-10-01",
                    "category": "online-bullying", "details": "Messages in a group chat about Theo."}))
        .await;
    let (_later, _) = api
        .log(
            json!({"pupil_name": "Mia Moss", "tutor_group": "7B", "incident_date": "2025-11-01",
                    "category": "harmful-content", "details": "Saw a violent video."}),
        )
        .await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/v1/incidents/{id}/status", server.base))
        .bearer_auth(&api.token)
        .json(&json!({"status": "closed", "reason": "Dealt with.", "outcome": "Resolved."}))
        .send()
        .await
        .expect("closed");
    assert_eq!(res.status(), 200);

    let driver = Driver::start().await;
    let rhea = driver.person("dsl", &server).await;
    let s = &server;
    driver
        .journey("retention", s, async {
            sign_in(&rhea, "Rhea").await;
            rhea.open("/retention").await;
            rhea.sees("Pupils with no date of birth (2)").await;
            let dob = rhea.field("Date of birth of Theo Threads").await;
            dob.send_keys("04031990").await.expect("type the date");
            // Enter sends the row's own form.
            dob.send_keys("\u{e007}").await.expect("send the form");
            rhea.sees("Due for review (1)").await;
            rhea.sees("Pupils with no date of birth (1)").await;
            rhea.screenshot("retention-queue.png", 1280).await;
            rhea.screenshot("retention-queue-phone.png", 390).await;

            rhea.open(&format!("/retention/incidents/{id}")).await;
            rhea.sees("04/03/2015").await;
            rhea.fill(
                "Why it is destroyed",
                "Reached date of birth + 25 years; no reason to keep it.",
            )
            .await;
            rhea.fill(
                &format!("Type the reference, {reference}, to confirm"),
                &reference,
            )
            .await;
            rhea.press("Destroy the record").await;
            rhea.sees("Due for review (0)").await;

            rhea.open(&format!("/incidents/{id}")).await;
            rhea.sees("Destroyed at its retention review.").await;
            rhea.sees("by the designated safeguarding lead (Rhea Dsl)")
                .await;
            rhea.does_not_see("group chat").await;
            rhea.does_not_see("Theo Threads").await;
            rhea.screenshot("retention-tombstone.png", 1280).await;
            rhea.screenshot("retention-tombstone-phone.png", 390).await;
        })
        .await;
}
