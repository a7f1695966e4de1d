//! Filtering and monitoring alerts (issue 17): tools post with a school's
//! ingestion key; the DSL and the Online Safety Lead triage them; nothing
//! is deleted, and no alert's content reaches an email or a log line.

use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{captured_logs, location, spawn_app, Backend, TestApp};
use crate::incidents::{api_get, api_post};
use crate::on_both_backends;

/// A key for `source` at `school_id`, as the administrator's page makes one.
pub fn key_for(app: &TestApp, school_id: &str, source: &str) -> String {
    safelog::monitoring::keys::create(
        &mut app.conn(),
        school_id,
        source,
        None,
        "test",
        app.clock.now_naive(),
    )
    .unwrap()
    .unwrap()
}

pub async fn post_alert(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/monitoring/alerts"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Posts an alert and returns safelog's id for it.
pub async fn alert(app: &TestApp, key: &str, body: Value) -> String {
    let res = post_alert(app, key, &body).await;
    assert_eq!(res.status(), 201, "the alert is stored");
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn alert_rows(app: &TestApp, school_id: &str) -> i64 {
    use diesel::prelude::*;
    use safelog::db::schema::monitoring_alerts;
    monitoring_alerts::table
        .filter(monitoring_alerts::school_id.eq(school_id))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

async fn an_alert_posted_twice_makes_one_and_bad_fields_are_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    let key = key_for(&app, &school, "Smoothwall");
    let body = json!({"alert_id": "sw-1", "severity": "3", "pupil": "jsmith",
                      "text": "typed something", "vendor_rule": {"id": 17}});
    let first = post_alert(&app, &key, &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["severity"], "high", "3 reads as high by default");
    assert_eq!(first["source"], "Smoothwall", "the source is the key's");
    let again = post_alert(&app, &key, &body).await;
    assert_eq!(again.status(), 200, "a retry finds the first");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["duplicate"], true);
    assert_eq!(alert_rows(&app, &school), 1);

    // The unknown field is kept; the identifier is kept for the DSL to match.
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let (status, got) = api_get(
        &app,
        &token,
        &format!(
            "/api/v1/monitoring/alerts/{}",
            first["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(got["extra"]["vendor_rule"]["id"], 17);
    assert_eq!(got["pupil"], "jsmith");
    assert!(got["pupil_id"].is_null());

    // Each bad field is named; nothing is stored.
    let res = post_alert(
        &app,
        &key,
        &json!({"severity": "high", "occurred_at": "last Tuesday", "url": ["not", "text"]}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let errors: Value = res.json().await.unwrap();
    for field in ["alert_id", "occurred_at", "url"] {
        assert!(errors["fields"][field].is_string(), "{field}: {errors}");
    }
    for bad in [
        json!({"alert_id": "x", "severity": "high", "device": "pc\u{1}"}),
        json!({"alert_id": "x", "severity": "high", "device": "pc\t1"}),
        json!({"alert_id": "x", "severity": "high", "text": "nul\u{0}"}),
    ] {
        let res = post_alert(&app, &key, &bad).await;
        assert_eq!(res.status(), 422);
        let errors: Value = res.json().await.unwrap();
        let named = bad
            .as_object()
            .unwrap()
            .keys()
            .find(|k| k.as_str() == "device" || k.as_str() == "text")
            .unwrap()
            .clone();
        assert!(errors["fields"][named.as_str()].is_string(), "{errors}");
    }
    assert_eq!(alert_rows(&app, &school), 1);

    // A tool's own fields are kept as it sent them, control characters and
    // all (found by schemathesis: the alert was refused and lost), on both
    // databases (a NUL is kept escaped in the stored JSON).
    let res = post_alert(
        &app,
        &key,
        &json!({"alert_id": "sw-2", "severity": "1", "raw": "a\u{0}b\u{10}c"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let kept: Value = res.json().await.unwrap();
    let (_, got) = api_get(
        &app,
        &token,
        &format!("/api/v1/monitoring/alerts/{}", kept["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(got["extra"]["raw"], "a\u{0}b\u{10}c");
}

async fn a_revoked_key_is_refused_and_a_key_of_another_school_never_posts_into_this_one(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    let neighbour = app.neighbour.clone().unwrap();
    let ours = key_for(&app, &school, "Senso");
    let theirs = key_for(&app, &neighbour.school_id, "Senso");

    // Without a key, or with a session's token, nothing is taken.
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let body = json!({"alert_id": "s-1", "severity": "high"});
    assert_eq!(post_alert(&app, &token, &body).await.status(), 401);
    let res = app
        .client
        .post(app.url("/api/v1/monitoring/alerts"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // The neighbour's key posts into the neighbour's school, whatever the
    // body says; the same tool id in our school is another alert.
    let their_alert = alert(
        &app,
        &theirs,
        json!({"alert_id": "s-1", "severity": "high", "school_id": school}),
    )
    .await;
    assert_eq!(alert_rows(&app, &school), 0);
    assert_eq!(alert_rows(&app, &neighbour.school_id), 1);
    let (status, list) = api_get(&app, &token, "/api/v1/monitoring/alerts").await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(0)));
    for path in [
        format!("/api/v1/monitoring/alerts/{their_alert}"),
        format!("/monitoring/{their_alert}"),
    ] {
        assert_eq!(app.get_with(&path, &token).await.status(), 404, "{path}");
    }
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/monitoring/alerts/{their_alert}/acknowledge"),
        &json!({}),
    )
    .await;
    assert_eq!(res.status(), 404);
    alert(&app, &ours, body.clone()).await;
    assert_eq!(alert_rows(&app, &school), 1);

    // Revoked from the command line's function: refused from then on.
    assert!(safelog::monitoring::keys::revoke(
        &mut app.conn(),
        &school,
        safelog::monitoring::keys::Which::Source("senso"),
        None,
        "test",
        app.clock.now_naive(),
    )
    .unwrap());
    let res = post_alert(&app, &ours, &json!({"alert_id": "s-2", "severity": "low"})).await;
    assert_eq!(res.status(), 401);
    assert_eq!(alert_rows(&app, &school), 1);
    // The neighbour's key still works for the neighbour.
    alert(&app, &theirs, json!({"alert_id": "s-2", "severity": "low"})).await;
}

async fn dismissing_needs_a_reason_and_nothing_is_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    let key = key_for(&app, &school, "Impero");
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let id = alert(&app, &key, json!({"alert_id": "i-1", "severity": "medium"})).await;
    let path = |step: &str| format!("/api/v1/monitoring/alerts/{id}/{step}");

    let res = api_post(&app, &token, &path("dismiss"), &json!({})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["reason"].is_string(), "{body}");
    let res = api_post(&app, &token, &path("dismiss"), &json!({"reason": "other"})).await;
    assert_eq!(res.status(), 422, "other needs words");

    // The page: the choice is required, and what was typed comes back.
    let b = app.signed_in(&dsl).await;
    let res = b
        .post(
            &format!("/monitoring/{id}/dismiss"),
            &[("note", "Words I typed")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Choose why it is dismissed") && html.contains("Words I typed"));

    // Two hours later the DSL acknowledges it, then dismisses it.
    app.clock.advance(chrono::Duration::hours(2));
    let token = app.quick_token(&dsl);
    let b = app.signed_in(&dsl).await;
    let res = api_post(&app, &token, &path("acknowledge"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let res = api_post(&app, &token, &path("acknowledge"), &json!({})).await;
    assert_eq!(res.status(), 409, "acknowledged once");
    let res = api_post(
        &app,
        &token,
        &path("dismiss"),
        &json!({"reason": "The pupil was researching a history project"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["status"], "dismissed");
    assert_eq!(got["dismiss_reason"], "other");
    let res = api_post(&app, &token, &path("promote"), &json!({"details": "x"})).await;
    assert_eq!(res.status(), 409, "a dismissed alert is not promoted");

    // Still there, under Dismissed, with who and why; the figures time it.
    assert_eq!(alert_rows(&app, &school), 1);
    let (_, list) = api_get(&app, &token, "/api/v1/monitoring/alerts?status=dismissed").await;
    assert_eq!(list["total"], 1);
    let page = b.text(&format!("/monitoring/{id}")).await;
    assert!(page.contains("researching a history project") && page.contains("Dee Dsl"));
    let inbox = b.text("/monitoring?status=all").await;
    assert!(inbox.contains("2 h 0 min"), "time to first look");
    let (_, list) = api_get(&app, &token, "/api/v1/monitoring/alerts?status=open").await;
    assert_eq!(list["total"], 0);
    let res = app
        .get_with("/api/v1/monitoring/alerts?severity=severe", &token)
        .await;
    assert_eq!(res.status(), 422);
    // A query it cannot read is refused, never taken as no filter (found
    // by schemathesis: a repeated status listed every alert); padding
    // around a value is trimmed as a form's is.
    for query in [
        "status=dismissed&status=dismissed",
        "page=0",
        "per_page=500",
        "page=x",
    ] {
        let res = app
            .get_with(&format!("/api/v1/monitoring/alerts?{query}"), &token)
            .await;
        assert_eq!(res.status(), 422, "{query}");
    }
    let (status, list) = api_get(
        &app,
        &token,
        "/api/v1/monitoring/alerts?status=dismissed&source=%09%20",
    )
    .await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(1)));
    let actions: Vec<String> = app.audit_actions().into_iter().map(|a| a.0).collect();
    for a in [
        "monitoring_alert_received",
        "monitoring_alert_viewed",
        "monitoring_alert_acknowledged",
        "monitoring_alert_dismissed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

async fn a_promoted_alert_opens_the_log_form_prefilled_and_the_two_link_both_ways(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    let rows = safelog::pupils::import::parse(
        b"Name,Tutor group,Year group,Date of birth,UPN\nPia Prefill,9C,9,01/02/2011,A111222333444\n",
    )
    .unwrap();
    safelog::pupils::import::apply(&mut app.conn(), &school, &rows, app.clock.now_naive()).unwrap();
    let key = key_for(&app, &school, "Lightspeed");
    let osl = app.add_user("Oli Osl", &[Role::OnlineSafetyLead]);
    // Wednesday 12 November 2025, 10:00 UK time: in school.
    let id = alert(
        &app,
        &key,
        json!({"alert_id": "l-1", "severity": "high", "pupil": "a111222333444",
               "category": "self-harm", "url": "https://www.tiktok.com/@someone",
               "occurred_at": "2025-11-12T10:00:00Z", "text": "searched for ways to hurt"}),
    )
    .await;
    let b = app.signed_in(&osl).await;
    let form = b.text(&format!("/monitoring/{id}/promote")).await;
    assert!(form.contains("Pia Prefill"), "the pupil, matched by UPN");
    assert!(form.contains(r#"value="tiktok.com""#), "the platform");
    assert!(form.contains(r#"value="2025-11-12""#), "the date");
    assert!(
        form.contains(r#"value="self-harm" selected"#),
        "the category hint"
    );
    assert!(
        form.contains(r#"value="in_school" checked"#),
        "in school on a school-day morning"
    );
    assert!(form.contains(&format!(r#"action="/monitoring/{id}/promote""#)));

    // Sent without what happened: back with everything kept.
    let pupil_id = {
        use diesel::prelude::*;
        use safelog::db::schema::pupils;
        pupils::table
            .filter(pupils::school_id.eq(&school))
            .filter(pupils::name.eq("Pia Prefill"))
            .select(pupils::id)
            .first::<String>(&mut app.conn())
            .unwrap()
    };
    let mut fields = vec![
        ("pupil_name", "Pia Prefill"),
        ("pupil_id", pupil_id.as_str()),
        ("tutor_group", "9C"),
        ("incident_date", "12/11/2025"),
        ("category", "self-harm"),
        ("location", "in_school"),
        ("platform", "tiktok.com"),
        ("submission_key", "promote-1"),
    ];
    let res = b.post(&format!("/monitoring/{id}/promote"), &fields).await;
    assert_eq!(res.status(), 422);
    fields.push(("details", "Monitoring flagged searches about self-harm."));
    let res = b.post(&format!("/monitoring/{id}/promote"), &fields).await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let incident = to
        .strip_prefix("/incidents/")
        .and_then(|r| r.strip_suffix("/logged"))
        .unwrap_or_else(|| panic!("to the incident: {to}"))
        .to_string();
    // Sent again (a double click): the same incident.
    let res = b.post(&format!("/monitoring/{id}/promote"), &fields).await;
    assert_eq!(
        location(&res),
        format!("/incidents/{incident}/logged?again=1")
    );

    let alert_page = b.text(&format!("/monitoring/{id}")).await;
    assert!(alert_page.contains(&format!("/incidents/{incident}")));
    assert!(alert_page.contains("Promoted to an incident"));
    let record = b.text(&format!("/incidents/{incident}")).await;
    assert!(
        record.contains(&format!("/monitoring/{id}")),
        "the incident links back"
    );
    let token = app.quick_token(&osl);
    let (_, got) = api_get(&app, &token, &format!("/api/v1/monitoring/alerts/{id}")).await;
    assert_eq!(got["status"], "promoted");
    assert_eq!(got["incident_id"], incident.as_str());
    let (_, i) = api_get(&app, &token, &format!("/api/v1/incidents/{incident}")).await;
    assert_eq!(i["pupil_name"], "Pia Prefill");
    assert_eq!(i["platform"], "tiktok.com");
    assert_eq!(i["location"], "in_school");

    // Through the API: the fields not sent come from the alert.
    let other = alert(
        &app,
        &key,
        json!({"alert_id": "l-2", "severity": "low", "pupil": "A111222333444",
               "category": "not-a-category"}),
    )
    .await;
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/monitoring/alerts/{other}/promote"),
        &json!({"details": "Seen by the monitoring tool."}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let got: Value = res.json().await.unwrap();
    let (_, i) = api_get(
        &app,
        &token,
        &format!("/api/v1/incidents/{}", got["incident_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        i["category"], "filtering-breach",
        "an unknown hint falls back"
    );
    assert_eq!(i["pupil_name"], "Pia Prefill");
    assert!(
        i["incident_date"].is_null(),
        "no time: the date is not known"
    );

    // A tool whose clock runs ahead: the date is left for the DSL, not
    // prefilled as a day the form would refuse.
    let ahead = alert(
        &app,
        &key,
        json!({"alert_id": "l-3", "severity": "low", "pupil": "A111222333444",
               "occurred_at": "2025-11-13T09:00:00Z"}),
    )
    .await;
    let form = b.text(&format!("/monitoring/{ahead}/promote")).await;
    assert!(!form.contains(r#"value="2025-11-13""#));
    assert!(form.contains("Pia Prefill"));
}

async fn an_alerts_content_never_reaches_an_email_or_a_log_line(backend: Backend) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    let key = key_for(&app, &school, "Securly");
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let osl = app.add_user("Oli Osl", &[Role::OnlineSafetyLead]);
    let canary = format!("canary-{}", uuid::Uuid::new_v4().simple());
    let id = alert(
        &app,
        &key,
        json!({"alert_id": format!("{canary}-id"), "severity": "severe",
               "pupil": format!("{canary}-pupil"), "account": format!("{canary}-account"),
               "device": format!("{canary}-device"), "text": format!("{canary} text"),
               "url": format!("https://{canary}.example/"), "category": canary,
               "extra_field": canary}),
    )
    .await;
    // Critical (the default reading of "severe"): the DSL is emailed, the
    // Online Safety Lead is not; the email holds the link and nothing else.
    let mails = app.outbox();
    let to_dsl: Vec<_> = mails.iter().filter(|m| m.0 == dsl.email).collect();
    assert_eq!(to_dsl.len(), 1, "{mails:?}");
    assert!(to_dsl[0].2.contains(&format!("/monitoring/{id}")));
    assert!(!mails.iter().any(|m| m.0 == osl.email));
    // The start page says so, for both who triage.
    for who in [&dsl, &osl] {
        let home = app.signed_in(who).await.text("/").await;
        assert!(
            home.contains("Monitoring alerts not yet looked at") && home.contains("1 critical")
        );
    }
    let b = app.signed_in(&dsl).await;
    b.text(&format!("/monitoring/{id}")).await;
    b.post(
        &format!("/monitoring/{id}/dismiss"),
        &[("reason", "other"), ("note", &format!("{canary} note"))],
    )
    .await;
    let home = b.text("/").await;
    assert!(
        !home.contains("Monitoring alerts not yet looked at"),
        "looked at"
    );
    for (to, subject, body) in app.outbox() {
        assert!(
            !to.contains(&canary) && !subject.contains(&canary) && !body.contains(&canary),
            "an email holds the alert's content"
        );
    }
    assert!(
        !captured_logs().contains(&canary),
        "a log line holds the alert's content"
    );
}

on_both_backends!(
    an_alert_posted_twice_makes_one_and_bad_fields_are_named,
    a_revoked_key_is_refused_and_a_key_of_another_school_never_posts_into_this_one,
    dismissing_needs_a_reason_and_nothing_is_deleted,
    a_promoted_alert_opens_the_log_form_prefilled_and_the_two_link_both_ways,
    an_alerts_content_never_reaches_an_email_or_a_log_line,
);
