//! One person, two schools (the trusts issue): a DSL who covers two
//! schools of a trust signs in once, sees only the school they are working
//! in, and switches from the header. The schools and people are made from
//! the command line as an IT technician would; the rest is in the browser.

use serde_json::json;

use crate::harness::{Driver, Server};
use crate::helpers::Backend;
use crate::lead_day::{add_account_at, sign_in, Api};

pub async fn a_dsl_of_two_schools_switches_between_them_and_sees_one_at_a_time(backend: Backend) {
    let mut server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    add_account_at(&server, "Hill School", "Tom Tutor", "TTU", &["staff"]);
    server.command(&["trust", "add", "--name", "Hill Trust"], "");
    server.command(
        &[
            "school",
            "add",
            "--name",
            "Dale School",
            "--urn",
            "100002",
            "--trust",
            "Hill Trust",
        ],
        "",
    );
    add_account_at(&server, "Dale School", "Tia Tutor", "TIT", &["staff"]);
    add_account_at(&server, "Hill School", "Dee Lead", "DLE", &["dsl"]);
    add_account_at(&server, "Dale School", "Dee Lead", "DLE", &["dsl"]);
    let driver = Driver::start().await;
    let dsl = driver.person("dsl", &server).await;
    let s = &server;

    driver
        .journey("two-schools", s, async {
            let (_, hill) = Api::sign_in(s, "Tom")
                .await
                .log(json!({
                    "pupil_name": "Hana Hill", "tutor_group": "8H", "incident_date": null,
                    "category": "online-bullying", "child_at_risk": false,
                    "details": "Group chat messages at Hill.",
                }))
                .await;
            let (_, dale) = Api::sign_in(s, "Tia")
                .await
                .log(json!({
                    "pupil_name": "Dan Dale", "tutor_group": "9D", "incident_date": null,
                    "category": "online-bullying", "child_at_risk": false,
                    "details": "Group chat messages at Dale.",
                }))
                .await;

            sign_in(&dsl, "Dee").await;
            let first = if dsl.text().await.contains("School: Hill School") {
                ("Hill School", "Hana Hill", "Dan Dale", "Dale School")
            } else {
                ("Dale School", "Dan Dale", "Hana Hill", "Hill School")
            };
            let (here, mine, theirs, other) = first;
            dsl.sees(&format!("School: {here}")).await;
            dsl.open("/incidents").await;
            dsl.sees(mine).await;
            dsl.does_not_see(theirs).await;
            dsl.screenshot("two-schools.png", 1280).await;
            dsl.screenshot("two-schools-phone.png", 390).await;

            dsl.select("Switch to", other).await;
            dsl.press("Switch").await;
            dsl.sees(&format!("School: {other}")).await;
            dsl.open("/incidents").await;
            dsl.sees(theirs).await;
            dsl.does_not_see(mine).await;
            // Each school's references are its own.
            assert_eq!(hill, dale, "both schools start their own numbering");
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
