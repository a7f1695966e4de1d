//! Allegations about the headteacher (KCSIE Part 4): staff-conduct ticked
//! "about the headteacher" goes to the school's allegations lead, and the
//! headteacher (and every other lead) answers 404 on it.

use serde_json::{json, Value};

use safelog::auth::Role;

use crate::helpers::{location, spawn_app, Backend, TestApp};
use crate::incidents::{api_get, api_post, count_incidents, quick_incident};
use crate::on_both_backends;

/// Logs a staff-conduct allegation about the headteacher through the API;
/// returns its JSON. The school must have an allegations lead.
pub async fn about_the_head(app: &TestApp, token: &str, details: &str) -> Value {
    let res = api_post(
        app,
        token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "Route Pupil", "tutor_group": "9B", "incident_date": "2025-10-01",
            "category": "staff-conduct", "details": details, "about_headteacher": true,
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn alerts_for(app: &TestApp, incident: &str) -> Vec<(String, String)> {
    safelog::cases::store::alerts_for(&mut app.conn(), incident).unwrap()
}

async fn an_allegation_about_the_headteacher_reaches_only_the_allegations_lead(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let head = app.add_user("Hal Head", &[Role::Headteacher]);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let osl = app.add_user("Olu Osl", &[Role::OnlineSafetyLead]);
    let senior = app.add_user("Les Leader", &[Role::Leadership]);
    let dpo = app.add_user("Pat Dpo", &[Role::Dpo]);
    let chair = app.add_user("Cora Chair", &[Role::AllegationsLead]);

    let canary = "Canaryallegation about the head";
    let made = about_the_head(&app, &app.quick_token(&staff), canary).await;
    let id = made["id"].as_str().unwrap().to_string();
    let reference = made["reference"].as_str().unwrap().to_string();
    assert_eq!(made["owner_role"], "allegations_lead");
    assert_eq!(made["about_headteacher"], true);
    assert_eq!(
        alerts_for(&app, &id),
        vec![(chair.id.clone(), "new_incident".to_string())],
        "the allegations lead alone is alerted"
    );

    // The allegations lead reads it, page and API; so does the person who
    // logged it, as anyone reads what they logged.
    for who in [&chair, &staff] {
        let token = app.quick_token(who);
        let (status, got) = api_get(&app, &token, &format!("/api/v1/incidents/{id}")).await;
        assert_eq!(status, 200, "{}", who.email);
        assert_eq!(got["details"], canary);
        let page = app.get_with(&format!("/incidents/{id}"), &token).await;
        assert_eq!(page.status(), 200, "{}", who.email);
    }
    let (_, list) = api_get(&app, &app.quick_token(&chair), "/api/v1/incidents").await;
    assert_eq!(list["total"], 1);

    // Everyone else: as if it did not exist, in the record, the list, a
    // search, and (for those who may export) the spreadsheet.
    for who in [&head, &dsl, &osl, &senior, &dpo] {
        let token = app.quick_token(who);
        let (status, _) = api_get(&app, &token, &format!("/api/v1/incidents/{id}")).await;
        assert_eq!(status, 404, "{} reads the API record", who.email);
        let page = app.get_with(&format!("/incidents/{id}"), &token).await;
        assert_eq!(page.status(), 404, "{} opens the page", who.email);
        let (_, list) = api_get(&app, &token, "/api/v1/incidents?q=canaryallegation").await;
        assert_eq!(list["total"], 0, "{} searches", who.email);
        let (_, list) = api_get(&app, &token, "/api/v1/incidents").await;
        assert_eq!(list["total"], 0, "{} lists", who.email);
        let listed = app
            .get_with("/incidents?category=staff-conduct", &token)
            .await
            .text()
            .await
            .unwrap();
        assert!(!listed.contains(&reference), "{} list page", who.email);
        let export = app.get_with("/api/v1/export.csv", &token).await;
        if export.status() == 200 {
            let csv = export.text().await.unwrap();
            assert!(!csv.contains(canary), "{} export", who.email);
        }
    }

    // The allegations lead works the case as its owner.
    let b = app.signed_in(&chair).await;
    let res = b.post(&format!("/incidents/{id}/take"), &[]).await;
    assert_eq!(location(&res), format!("/incidents/{id}?done=taken#case"));
    let token = app.quick_token(&chair);
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{id}/actions"),
        &json!({"text": "Spoke to the LADO."}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{id}/status"),
        &json!({"status": "closed", "reason": "LADO advised", "outcome": "Handled by the chair"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    // The headteacher still cannot act on it.
    let res = api_post(
        &app,
        &app.quick_token(&head),
        &format!("/api/v1/incidents/{id}/actions"),
        &json!({"text": "x"}),
    )
    .await;
    assert_eq!(res.status(), 404);
}

async fn without_an_allegations_lead_the_form_is_refused_and_keeps_what_was_typed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    app.add_user("Hal Head", &[Role::Headteacher]);
    let b = app.signed_in(&staff).await;
    let typed = "The head sent a pupil a private message at night.";
    let res = b
        .post(
            "/incidents",
            &[
                ("pupil_name", "Aled Alleg"),
                ("tutor_group", "8A"),
                ("date_not_known", "on"),
                ("category", "staff-conduct"),
                ("about_headteacher", "on"),
                ("details", typed),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Tell the chair of governors") && html.contains("allegations lead"),
        "says what to do"
    );
    assert!(html.contains(typed), "keeps what was typed");
    assert!(html.contains("Aled Alleg"));
    assert_eq!(count_incidents(&app), 0);

    let res = api_post(
        &app,
        &app.quick_token(&staff),
        "/api/v1/incidents",
        &json!({"pupil_name": "Aled Alleg", "tutor_group": "8A", "category": "staff-conduct",
                "details": typed, "about_headteacher": true}),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(count_incidents(&app), 0);
}

async fn an_ordinary_staff_conduct_incident_still_goes_to_the_headteacher(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let head = app.add_user("Hal Head", &[Role::Headteacher]);
    let chair = app.add_user("Cora Chair", &[Role::AllegationsLead]);
    let made = quick_incident(
        &app,
        &app.quick_token(&staff),
        "Nia Normal",
        "staff-conduct",
        "about a teacher",
    )
    .await;
    let id = made["id"].as_str().unwrap();
    assert_eq!(made["owner_role"], "headteacher");
    assert_eq!(made["about_headteacher"], false);
    assert_eq!(
        alerts_for(&app, id),
        vec![(head.id.clone(), "new_incident".to_string())]
    );
    let path = format!("/api/v1/incidents/{id}");
    assert_eq!(api_get(&app, &app.quick_token(&head), &path).await.0, 200);
    assert_eq!(api_get(&app, &app.quick_token(&chair), &path).await.0, 404);

    // Ticked with another category, the question does not apply.
    let res = api_post(
        &app,
        &app.quick_token(&staff),
        "/api/v1/incidents",
        &json!({"pupil_name": "Nia Normal", "tutor_group": "8A", "category": "reputation",
                "details": "a post", "about_headteacher": true}),
    )
    .await;
    let other: Value = res.json().await.unwrap();
    assert_eq!(other["owner_role"], "headteacher");
    assert_eq!(other["about_headteacher"], false);
}

async fn the_log_form_asks_whether_staff_conduct_is_about_the_headteacher(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let page = app.signed_in(&staff).await.text("/incidents/new").await;
    assert!(
        page.contains("name=\"about_headteacher\"")
            && page.contains("Is this about the headteacher?")
    );
}

/// In an academy trust the allegations lead is often the trust's CEO, for
/// every school of the trust: held across the trust, they are alerted to
/// and read an allegation about any of its headteachers (whose school names
/// no allegations lead of its own), and nothing of another trust's school.
async fn a_trust_wide_allegations_lead_owns_allegations_in_each_school_of_the_trust(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let dale = app.add_school("Dale School", "100003", Some("Test Trust"));
    let ceo =
        crate::trust::trust_member(&app, &hill, "Test Trust", "Cleo Ceo", Role::AllegationsLead);
    let head = app.add_user_to(&dale, "Hal Head", &[Role::Headteacher]);
    let staff = app.add_user_to(&dale, "Sam Staff", &[Role::Staff]);

    let made = about_the_head(&app, &app.quick_token(&staff), "About Dale's head").await;
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(
        alerts_for(&app, &id),
        vec![(ceo.id.clone(), "new_incident".to_string())],
        "the trust's allegations lead is alerted"
    );
    assert!(app.outbox().iter().any(|(to, _, _)| *to == ceo.email));

    let b = app.signed_in(&ceo).await;
    b.post("/account/school", &[("school_id", &dale)]).await;
    assert_eq!(b.get(&format!("/incidents/{id}")).await.status(), 200);
    let token = app.quick_token(&head);
    let page = app.get_with(&format!("/incidents/{id}"), &token).await;
    assert_eq!(page.status(), 404, "the headteacher");
    // Not a school of their trust.
    let res = b
        .post("/account/school", &[("school_id", &app.neighbour_id())])
        .await;
    assert_eq!(res.status(), 404);
}

on_both_backends!(
    a_trust_wide_allegations_lead_owns_allegations_in_each_school_of_the_trust,
    an_allegation_about_the_headteacher_reaches_only_the_allegations_lead,
    without_an_allegations_lead_the_form_is_refused_and_keeps_what_was_typed,
    an_ordinary_staff_conduct_incident_still_goes_to_the_headteacher,
    the_log_form_asks_whether_staff_conduct_is_about_the_headteacher,
);
