//! A trust's safeguarding lead (the trusts issue): from the trust
//! dashboard, each school of the trust in figures, and a figure's Open
//! button lands them in that school's list; another trust's schools never
//! appear. Schools, the trust and people are made from the binary.

use serde_json::json;

use crate::harness::{Driver, Server};
use crate::helpers::Backend;
use crate::lead_day::{add_account_at, sign_in, Api};

fn bullying(pupil: &str, group: &str) -> serde_json::Value {
    json!({
        "pupil_name": pupil, "tutor_group": group, "incident_date": null,
        "category": "online-bullying", "child_at_risk": false,
        "details": "Messages in a group chat.",
    })
}

pub async fn a_trust_lead_reads_each_school_from_the_trust_dashboard(backend: Backend) {
    let mut server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    server.command(&["trust", "add", "--name", "Hill Trust"], "");
    server.command(&["trust", "add", "--name", "Far Trust"], "");
    for (name, urn, trust) in [
        ("Dale School", "100002", "Hill Trust"),
        ("Brook School", "100003", "Hill Trust"),
        ("Far School", "100004", "Far Trust"),
    ] {
        server.command(
            &[
                "school", "add", "--name", name, "--urn", urn, "--trust", trust,
            ],
            "",
        );
    }
    add_account_at(&server, "Dale School", "Tia Tutor", "TIT", &["staff"]);
    add_account_at(&server, "Brook School", "Bea Tutor", "BET", &["staff"]);
    add_account_at(&server, "Far School", "Fay Tutor", "FAT", &["staff"]);
    let lead = crate::journeys::account("Tess");
    server.command(
        &[
            "user",
            "add",
            "--email",
            &lead.email,
            "--name",
            "Tess Trustlead",
            "--initials",
            "TTL",
            "--password-stdin",
            "--trust",
            "Hill Trust",
            "--role",
            "trust_safeguarding_lead",
        ],
        &format!("{}\n", lead.password),
    );
    let driver = Driver::start().await;
    let tess = driver.person("trust-lead", &server).await;
    let s = &server;

    driver
        .journey("trust-dashboard", s, async {
            let tia = Api::sign_in(s, "Tia").await;
            tia.log(bullying("Dora Dale", "8D")).await;
            tia.log(bullying("Dev Dale", "9D")).await;
            Api::sign_in(s, "Bea").await.log(bullying("Bob Brook", "7B")).await;
            Api::sign_in(s, "Fay").await.log(bullying("Fred Far", "7F")).await;

            sign_in(&tess, "Tess").await;
            tess.follow("Trust").await;
            tess.sees("Trust dashboard: Hill Trust").await;
            tess.sees("Dale School").await;
            tess.sees("Brook School").await;
            tess.does_not_see("Far School").await;
            for pupil in ["Dora Dale", "Bob Brook", "Fred Far"] {
                tess.does_not_see(pupil).await;
            }
            let new_at = |school: &str| {
                format!(
                    "return document.querySelector('tr[data-school] th') && [...document.querySelectorAll('tr[data-school]')].find(r => r.querySelector('th').innerText === '{school}').querySelector('td[data-figure=new] .count').innerText;"
                )
            };
            let dale_new = tess
                .client
                .execute(&new_at("Dale School"), vec![])
                .await
                .expect("Dale's figure");
            assert_eq!(dale_new.as_str(), Some("2"), "Dale has two new incidents");
            tess.screenshot("trust-dashboard.png", 1280).await;
            tess.screenshot("trust-dashboard-phone.png", 390).await;

            // Open: Dale's new incidents, working in Dale.
            tess.press_labelled("Open Dale School's list").await;
            tess.sees("School: Dale School").await;
            tess.sees("Dora Dale").await;
            tess.sees("Dev Dale").await;
            tess.does_not_see("Bob Brook").await;
            tess.does_not_see("Log an incident").await;
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
