//! Monitoring alerts (issue 17) in Chromium: the IT technician makes the
//! tool's key from the command line, the tool posts three alerts, and the
//! DSL triages them from the start page: acknowledges one and dismisses it
//! with a reason, and logs an incident from the critical one, the form
//! filled in from the alert, the incident and the alert linked both ways.

use serde_json::{json, Value};

use crate::harness::{Driver, Server};
use crate::helpers::Backend;
use crate::lead_day::{add_account_at, sign_in};

pub(crate) async fn post(server: &Server, key: &str, body: Value) -> String {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/monitoring/alerts", server.base))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("the alert is posted");
    assert_eq!(res.status(), 201, "the alert is stored");
    let got: Value = res.json().await.expect("a receipt");
    got["id"].as_str().expect("an id").to_string()
}

pub async fn a_dsl_triages_monitoring_alerts_and_logs_an_incident_from_one(backend: Backend) {
    let mut server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    add_account_at(&server, "Hill School", "Dana Dsl", "DAD", &["dsl"]);
    let roll = std::env::temp_dir().join(format!("roll-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &roll,
        "Name,Tutor group,Year group,Date of birth,UPN\nMia Monitored,9M,9,02/03/2011,M123456789012\n",
    )
    .expect("the roll file");
    server.command(
        &[
            "import",
            "pupils",
            roll.to_str().expect("a path"),
            "--school",
            "Hill School",
        ],
        "",
    );
    let _ = std::fs::remove_file(&roll);
    let printed = server.command(
        &[
            "monitoring",
            "key",
            "add",
            "--school",
            "Hill School",
            "--source",
            "Smoothwall",
        ],
        "",
    );
    let key = printed.lines().last().expect("the key").trim().to_string();
    assert!(key.starts_with("slmon_"), "{printed}");

    // Times the tool reports: yesterday and the day before, whatever today is.
    let ago = |hours: i64| {
        (safelog::clock::Clock::system().now() - chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let low = post(
        &server,
        &key,
        json!({"alert_id": "sw-1", "severity": "1", "pupil": "someone.else",
               "text": "Searched for a game walkthrough", "occurred_at": ago(50)}),
    )
    .await;
    let high = post(
        &server,
        &key,
        json!({"alert_id": "sw-2", "severity": "3", "pupil": "M123456789012",
               "text": "Typed: I hate everyone in 9M", "occurred_at": ago(30)}),
    )
    .await;
    let critical = post(
        &server,
        &key,
        json!({"alert_id": "sw-3", "severity": "5", "pupil": "M123456789012",
               "category": "self-harm", "url": "https://www.tiktok.com/@someone/video/1",
               "text": "Searched for ways to hurt myself", "occurred_at": ago(26)}),
    )
    .await;

    let driver = Driver::start().await;
    let dana = driver.person("dsl", &server).await;
    let s = &server;
    driver
        .journey("monitoring", s, async {
            sign_in(&dana, "Dana").await;
            dana.sees("Monitoring alerts not yet looked at").await;
            dana.sees("1 critical").await;
            dana.follow("Monitoring").await;
            dana.sees("3 alerts").await;
            dana.sees("Mia Monitored").await;
            dana.sees("Not matched: someone.else").await;
            dana.does_not_see("Searched for ways").await;
            dana.screenshot("monitoring-inbox.png", 1280).await;
            dana.screenshot("monitoring-inbox-phone.png", 390).await;

            // The high one: acknowledged, then dismissed with a reason.
            dana.open(&format!("/monitoring/{high}")).await;
            dana.sees("Typed: I hate everyone in 9M").await;
            dana.press("Acknowledge").await;
            dana.sees("You acknowledged this alert.").await;
            dana.press("Dismiss this alert").await;
            dana.sees("Choose why it is dismissed").await;
            dana.tick("Already known").await;
            dana.fill(
                "In your words",
                "Spoken to on Monday; on the pastoral plan.",
            )
            .await;
            dana.press("Dismiss this alert").await;
            dana.sees("You dismissed this alert.").await;
            dana.sees("Already known: Spoken to on Monday").await;
            dana.screenshot("monitoring-alert.png", 1280).await;
            dana.screenshot("monitoring-alert-phone.png", 390).await;

            // The low one: a false positive.
            dana.open(&format!("/monitoring/{low}")).await;
            dana.tick("False positive").await;
            dana.press("Dismiss this alert").await;
            dana.sees("You dismissed this alert.").await;

            // The critical one: an incident, filled in from the alert.
            dana.open(&format!("/monitoring/{critical}")).await;
            dana.follow("Log an incident from this alert").await;
            dana.sees("From the Smoothwall alert").await;
            let pupil = dana.field("Pupil's name").await;
            assert_eq!(
                pupil.prop("value").await.expect("value").as_deref(),
                Some("Mia Monitored")
            );
            let platform = dana.field("Platform or service").await;
            assert_eq!(
                platform.prop("value").await.expect("value").as_deref(),
                Some("tiktok.com")
            );
            dana.screenshot("monitoring-promote.png", 1280).await;
            dana.screenshot("monitoring-promote-phone.png", 390).await;
            dana.fill(
                "What happened",
                "The monitoring tool flagged searches about self-harm. Spoke to Mia at break.",
            )
            .await;
            dana.press("Log this incident").await;
            dana.sees("OS-").await;
            let path = dana.path().await;
            let incident = path
                .trim_start_matches("/incidents/")
                .trim_end_matches("/logged")
                .to_string();
            dana.open(&format!("/incidents/{incident}")).await;
            dana.sees("Promoted from a monitoring alert.").await;
            dana.follow("Open the alert").await;
            dana.sees("Promoted to an incident").await;
            dana.follow("Monitoring").await;
            dana.sees("No alerts match.").await;
            dana.does_not_see("Monitoring alerts not yet looked at")
                .await;
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
