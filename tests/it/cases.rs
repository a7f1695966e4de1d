//! Routing, alerts and the lead's case workflow.

use std::time::Duration;

use chrono::Duration as Days;
use serde_json::{json, Value};

use safelog::auth::Role;

use crate::helpers::{location, spawn_app, spawn_app_with, Backend, TestApp, TestUser};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::mail::{eventually, free_port, spawn_mail_app, SmtpServer};
use crate::on_both_backends;

/// Every alert of an incident: (recipient id, kind).
fn alerts_for(app: &TestApp, incident: &str) -> Vec<(String, String)> {
    safelog::cases::store::alerts_for(&mut app.conn(), incident).unwrap()
}

struct Staffroom {
    staff: TestUser,
    osl: TestUser,
    dsl: TestUser,
    dsl2: TestUser,
    head: TestUser,
    dpo: TestUser,
}

fn staffroom(app: &TestApp) -> Staffroom {
    Staffroom {
        staff: app.add_user("Sam Staff", &[Role::Staff]),
        osl: app.add_user("Olu Osl", &[Role::OnlineSafetyLead]),
        dsl: app.add_user("Dee Dsl", &[Role::Dsl]),
        dsl2: app.add_user("Dan Deputy", &[Role::Dsl]),
        head: app.add_user("Hal Head", &[Role::Headteacher]),
        dpo: app.add_user("Pat Dpo", &[Role::Dpo]),
    }
}

async fn each_default_category_routes_to_its_owner_and_alerts_every_member(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = staffroom(&app);
    let token = app.quick_token(&s.staff);
    let expected = [
        ("nudes-sharing", "dsl"),
        ("abuse-imagery", "dsl"),
        ("grooming-contact", "dsl"),
        ("self-harm", "dsl"),
        ("online-bullying", "dsl"),
        ("radicalisation", "dsl"),
        ("exploitation", "dsl"),
        ("filtering-breach", "dsl"),
        ("harmful-content", "online_safety_lead"),
        ("system-misuse", "online_safety_lead"),
        ("device-misuse", "online_safety_lead"),
        ("scams-gambling", "online_safety_lead"),
        ("reputation", "headteacher"),
        ("data-breach", "dpo"),
        ("staff-conduct", "headteacher"),
        ("other", "online_safety_lead"),
    ];
    for (category, owner) in expected {
        let made = quick_incident(&app, &token, "Rhys Route", category, "routing test").await;
        assert_eq!(made["owner_role"], owner, "{category}");
        let id = made["id"].as_str().unwrap();
        let mut told: Vec<String> = alerts_for(&app, id)
            .into_iter()
            .map(|(u, k)| {
                assert_eq!(k, "new_incident");
                u
            })
            .collect();
        told.sort();
        let mut want: Vec<String> = match owner {
            "dsl" => vec![s.dsl.id.clone(), s.dsl2.id.clone()],
            "online_safety_lead" => vec![s.osl.id.clone()],
            "headteacher" => vec![s.head.id.clone()],
            _ => vec![s.dpo.id.clone()],
        };
        want.sort();
        assert_eq!(
            told, want,
            "{category} alerts every member of its owner role"
        );
    }
    assert_eq!(
        app.outbox().len(),
        8 * 2 + 5 + 2 + 1,
        "an email for each alert"
    );

    // At risk: the DSL, whatever the category.
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "Rhys Route", "tutor_group": "9B", "category": "harmful-content",
            "details": "seen at home", "child_at_risk": true,
        }),
    )
    .await;
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["owner_role"], "dsl");

    // Staff conduct: the headteacher alone.
    let conduct = quick_incident(
        &app,
        &token,
        "Rhys Route",
        "staff-conduct",
        "about a teacher",
    )
    .await;
    let id = conduct["id"].as_str().unwrap();
    for (who, status) in [(&s.osl, 404), (&s.dsl, 404), (&s.dpo, 404), (&s.head, 200)] {
        let (got, _) = api_get(
            &app,
            &app.quick_token(who),
            &format!("/api/v1/incidents/{id}"),
        )
        .await;
        assert_eq!(got, status);
        let page = app
            .get_with(&format!("/incidents/{id}"), &app.quick_token(who))
            .await;
        assert_eq!(page.status().as_u16(), status);
    }
}

async fn an_alert_email_names_no_pupil_and_holds_no_detail(backend: Backend) {
    let port = free_port();
    let server = SmtpServer::start_on(port);
    let app = spawn_mail_app(backend, port, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None)
    })
    .await;
    let s = staffroom(&app);
    let canary_name = format!(
        "Canaryname{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let canary_detail = format!(
        "canarydetail{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let made = quick_incident(
        &app,
        &app.quick_token(&s.staff),
        &canary_name,
        "nudes-sharing",
        &format!("The words {canary_detail} were sent"),
    )
    .await;
    let reference = made["reference"].as_str().unwrap().to_string();
    let mail = eventually("two alert emails", || {
        let got = server.received();
        (got.len() >= 2).then_some(got)
    })
    .await;
    let dsl_mail = mail
        .iter()
        .find(|m| m.to.iter().any(|t| t == &s.dsl.email))
        .expect("the DSL is emailed");
    let subject = dsl_mail.header("subject").unwrap();
    assert!(
        subject.contains(&reference) && subject.contains("URGENT"),
        "{subject}"
    );
    let body = dsl_mail.body();
    assert!(
        body.contains(&format!("/incidents/{}", made["id"].as_str().unwrap())),
        "{body}"
    );
    assert!(
        !body.contains("{base_url}"),
        "the link is completed when sent"
    );
    for m in &mail {
        for canary in [
            canary_name.as_str(),
            &canary_name.to_lowercase(),
            canary_detail.as_str(),
            "The words",
        ] {
            assert!(!m.data.contains(canary), "an email holds {canary}");
        }
    }
    assert!(!crate::helpers::captured_logs().contains(&canary_name));
}

async fn an_incident_logged_during_an_smtp_outage_alerts_exactly_once_when_it_returns(
    backend: Backend,
) {
    let port = free_port();
    let app = spawn_mail_app(backend, port, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None)
    })
    .await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let osl = app.add_user("Olu Osl", &[Role::OnlineSafetyLead]);
    let made = quick_incident(
        &app,
        &app.quick_token(&staff),
        "Owen Outage",
        "harmful-content",
        "seen in class",
    )
    .await;
    assert_eq!(made["status"], "new", "logging succeeds without SMTP");
    eventually("a failed try recorded", || {
        let rows = safelog::mail::undelivered(&mut app.conn(), &staff.school_id, 10).unwrap();
        rows.iter()
            .find(|m| m.attempts > 0 && m.to_address == osl.email)
            .map(|_| ())
    })
    .await;
    let server = SmtpServer::start_on(port);
    app.clock.advance(Days::minutes(10));
    app.mail.wake();
    eventually("the alert arrives", || {
        (!server.received().is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    app.clock.advance(Days::minutes(10));
    app.mail.wake();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let got = server.received();
    assert_eq!(got.len(), 1, "exactly once");
    assert_eq!(got[0].to, vec![osl.email.clone()]);
}

async fn case(app: &TestApp, token: &str, id: &str, action: &str, body: Value) -> (u16, Value) {
    let res = api_post(
        app,
        token,
        &format!("/api/v1/incidents/{id}/{action}"),
        &body,
    )
    .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn every_case_action_is_on_the_timeline_and_in_the_audit_trail_and_the_reporter_sees_the_status(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let s = staffroom(&app);
    let staff_token = app.quick_token(&s.staff);
    let made = quick_incident(
        &app,
        &staff_token,
        "Cara Case",
        "harmful-content",
        "seen in ICT",
    )
    .await;
    let id = made["id"].as_str().unwrap().to_string();
    let osl = app.quick_token(&s.osl);
    let head = app.quick_token(&s.head);

    assert_eq!(case(&app, &osl, &id, "take", json!({})).await.0, 200);
    let (status, errors) = case(
        &app,
        &osl,
        &id,
        "status",
        json!({"status": "closed", "reason": "done"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(errors["fields"]["outcome"].is_string(), "{errors}");
    assert_eq!(
        case(
            &app,
            &osl,
            &id,
            "actions",
            json!({"text": "Lead note: spoke to the class teacher"})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        case(
            &app,
            &osl,
            &id,
            "escalate",
            json!({"reason": "Pattern of behaviour"})
        )
        .await
        .0,
        200
    );
    assert!(
        alerts_for(&app, &id)
            .iter()
            .any(|(u, k)| u == &s.dsl.id && k == "escalated"),
        "the DSL is alerted"
    );
    let dsl = app.quick_token(&s.dsl);
    let (status, after) = case(
        &app,
        &dsl,
        &id,
        "referrals",
        json!({"agency": "police", "date": "2025-11-11", "reference": "CAD-123"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(after["status"], "escalated");
    assert_eq!(
        case(&app, &dsl, &id, "assign", json!({"user_id": s.dsl2.id}))
            .await
            .0,
        200
    );
    assert_eq!(
        case(&app, &dsl, &id, "assign", json!({"user_id": s.staff.id}))
            .await
            .0,
        422,
        "staff cannot hold a case"
    );
    assert_eq!(
        case(&app, &dsl, &id, "acknowledge", json!({})).await.0,
        404,
        "leadership only"
    );
    assert_eq!(
        case(&app, &head, &id, "acknowledge", json!({})).await.0,
        200
    );
    assert_eq!(
        case(&app, &head, &id, "acknowledge", json!({})).await.0,
        409
    );
    let (status, closed) = case(&app, &dsl, &id, "status", json!({"status": "closed", "reason": "Police advised", "outcome": "Parents informed; no further action"})).await;
    assert_eq!(status, 200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["lg_acknowledged"], true);
    assert_eq!(
        case(&app, &dsl, &id, "status", json!({"status": "in_progress"}))
            .await
            .0,
        422,
        "reopening needs a reason"
    );
    assert_eq!(
        case(
            &app,
            &dsl,
            &id,
            "status",
            json!({"status": "in_progress", "reason": "New evidence"})
        )
        .await
        .0,
        200
    );

    let (_, full) = api_get(&app, &dsl, &format!("/api/v1/incidents/{id}")).await;
    let kinds: Vec<&str> = full["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "assignment",
        "action",
        "escalation",
        "referral",
        "acknowledgement",
        "status_change",
        "reopened",
    ] {
        assert!(kinds.contains(&k), "{k} on the timeline: {kinds:?}");
    }
    let audited: Vec<String> = app
        .audit_actions()
        .into_iter()
        .filter(|(_, _, r)| r.as_deref() == Some(id.as_str()))
        .map(|(a, _, _)| a)
        .collect();
    for a in [
        "case_taken",
        "case_action_added",
        "case_escalated",
        "referral_recorded",
        "case_assigned",
        "incident_acknowledged",
        "case_status_changed",
        "case_reopened",
    ] {
        assert!(audited.iter().any(|x| x == a), "{a} audited: {audited:?}");
    }

    // The member of staff sees the status on their list, not the lead's notes.
    let (_, mine) = api_get(&app, &staff_token, "/api/v1/incidents").await;
    assert_eq!(mine["items"][0]["status"], "in_progress");
    let told = mine["items"][0]["actions_outcome"].as_str().unwrap();
    for secret in [
        "class teacher",
        "CAD-123",
        "Parents informed",
        "Pattern of behaviour",
    ] {
        assert!(!told.contains(secret), "the reporter's API shows {secret}");
    }
    let (_, lead_view) = api_get(&app, &dsl, &format!("/api/v1/incidents/{id}")).await;
    let lead_told = lead_view["actions_outcome"].as_str().unwrap();
    assert!(
        lead_told.contains("CAD-123") && lead_told.contains("class teacher"),
        "{lead_told}"
    );
    let b = app.signed_in(&s.staff).await;
    let list = b.text("/incidents").await;
    assert!(
        list.contains("Being dealt with") || list.contains("being dealt with"),
        "{list}"
    );
    let record = b.text(&format!("/incidents/{id}")).await;
    assert!(
        !record.contains("spoke to the class teacher")
            && !record.contains("CAD-123")
            && !record.contains("Pattern of behaviour")
    );
    assert!(
        !record.contains("id=\"case\""),
        "no case panel for the reporter"
    );
    assert_eq!(
        case(&app, &staff_token, &id, "actions", json!({"text": "x"}))
            .await
            .0,
        404
    );
}

async fn a_lead_works_the_case_from_the_record_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = staffroom(&app);
    let made = quick_incident(
        &app,
        &app.quick_token(&s.staff),
        "Pia Page",
        "online-bullying",
        "messages",
    )
    .await;
    let id = made["id"].as_str().unwrap().to_string();
    let b = app.signed_in(&s.dsl).await;
    let home = b.text("/").await;
    assert!(
        home.contains(made["reference"].as_str().unwrap()) && home.contains("Waiting for you"),
        "dashboard lists it"
    );
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("id=\"case\"") && page.contains("Record a referral"));
    let res = b
        .post(
            &format!("/incidents/{id}/referrals"),
            &[
                ("agency", "ceop"),
                ("date", "2030-01-01"),
                ("reference", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("cannot be in the future") && html.contains("value=\"2030-01-01\""));
    let res = b.post(&format!("/incidents/{id}/take"), &[]).await;
    assert_eq!(location(&res), format!("/incidents/{id}?done=taken#case"));
    let page = b.text(&location(&res)).await;
    assert!(page.contains("Dee Dsl"), "the owner is named");
    assert!(
        page.contains(&format!("You took {}", made["reference"].as_str().unwrap())),
        "the page says what happened"
    );
}

async fn an_incident_not_picked_up_reminds_its_owners_and_the_headteacher_once(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None);
        c.reminder_poll_ms = 100;
    })
    .await;
    let s = staffroom(&app);
    // Logged on Wednesday 10:30: due by Thursday 10:30.
    let made = quick_incident(
        &app,
        &app.quick_token(&s.staff),
        "Rory Reminder",
        "harmful-content",
        "x",
    )
    .await;
    let id = made["id"].as_str().unwrap().to_string();
    let picked = quick_incident(
        &app,
        &app.quick_token(&s.staff),
        "Rory Reminder",
        "harmful-content",
        "y",
    )
    .await;
    let picked_id = picked["id"].as_str().unwrap().to_string();
    assert_eq!(
        case(
            &app,
            &app.quick_token(&s.osl),
            &picked_id,
            "take",
            json!({})
        )
        .await
        .0,
        200
    );
    let overdue = |app: &TestApp, id: &str| {
        alerts_for(app, id)
            .into_iter()
            .filter(|(_, k)| k == "overdue")
            .count()
    };

    app.clock.advance(Days::hours(23));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(overdue(&app, &id), 0, "not yet due");

    app.clock.advance(Days::hours(2));
    eventually("the reminder", || (overdue(&app, &id) > 0).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.clock.advance(Days::days(3));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut told: Vec<String> = alerts_for(&app, &id)
        .into_iter()
        .filter(|(_, k)| k == "overdue")
        .map(|(u, _)| u)
        .collect();
    told.sort();
    let mut want = vec![s.osl.id.clone(), s.head.id.clone()];
    want.sort();
    assert_eq!(told, want, "the owner role and the headteacher, once each");
    assert_eq!(
        overdue(&app, &picked_id),
        0,
        "a picked-up incident is not overdue"
    );
    let b = app.signed_in(&s.head).await;
    assert!(b.text("/").await.contains("Past the pick-up time (1)"));
}

async fn an_administrator_edits_categories_but_cannot_remove_a_safeguard(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let osl = app.add_user("Olu Osl", &[Role::OnlineSafetyLead]);
    let b = app.signed_in(&admin).await;
    let list = b.text("/admin/categories").await;
    let id_of = |code: &str| {
        let cats = safelog::categories::store::for_school(
            &mut app.conn(),
            &admin.school_id,
            app.clock.now_naive(),
        )
        .unwrap();
        cats.into_iter().find(|c| c.code == code).unwrap()
    };
    assert!(list.contains("Nudes or semi-nudes"));
    let nudes = id_of("nudes-sharing");
    let res = b
        .post(
            &format!("/admin/categories/{}", nudes.id),
            &[
                ("name", &nudes.name),
                ("four_c", "conduct"),
                ("owner_role", "online_safety_lead"),
                ("guidance", &nudes.guidance),
                ("urgent", "on"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("safeguard"));
    assert_eq!(id_of("nudes-sharing").owner_role, "dsl");

    // An ordinary category can move: reputation to the OSL.
    let rep = id_of("reputation");
    let res = b
        .post(
            &format!("/admin/categories/{}", rep.id),
            &[
                ("name", "Posts about the school"),
                ("four_c", "conduct"),
                ("owner_role", "online_safety_lead"),
                ("guidance", &rep.guidance),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/categories?saved=1");
    let made = quick_incident(
        &app,
        &app.quick_token(&staff),
        "Nia New",
        "reputation",
        "a post",
    )
    .await;
    assert_eq!(made["owner_role"], "online_safety_lead");
    assert!(alerts_for(&app, made["id"].as_str().unwrap())
        .iter()
        .any(|(u, _)| *u == osl.id));

    let res = b.post("/admin/pickup-time", &[("days", "2")]).await;
    assert_eq!(location(&res), "/admin/categories?saved=1");
    assert_eq!(
        safelog::accounts::store::school(&mut app.conn(), &admin.school_id)
            .unwrap()
            .pickup_school_days,
        2
    );
    let actions: Vec<String> = app.audit_actions().into_iter().map(|(a, _, _)| a).collect();
    assert!(
        actions.contains(&"category_changed".into())
            && actions.contains(&"pickup_time_changed".into())
    );
}

on_both_backends!(
    each_default_category_routes_to_its_owner_and_alerts_every_member,
    an_alert_email_names_no_pupil_and_holds_no_detail,
    an_incident_logged_during_an_smtp_outage_alerts_exactly_once_when_it_returns,
    every_case_action_is_on_the_timeline_and_in_the_audit_trail_and_the_reporter_sees_the_status,
    a_lead_works_the_case_from_the_record_page,
    an_incident_not_picked_up_reminds_its_owners_and_the_headteacher_once,
    an_administrator_edits_categories_but_cannot_remove_a_safeguard,
);
