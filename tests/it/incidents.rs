//! The incident log through the real application: logging by form and by
//! API, reading back, who may see what, retries, corrections and their
//! conflicts, "entered in error", notes, the audit trail, and what a
//! rejected form keeps.

use std::collections::BTreeSet;

use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{location, spawn_app, Backend, Browser, TestApp};
use crate::on_both_backends;

/// The policy's example log, as the spreadsheet has it.
pub struct Example {
    pub name: String,
    pub tutor_group: String,
    /// ISO, or empty when the spreadsheet has none.
    pub date: String,
    pub details: String,
    pub actions: String,
    pub initials: String,
}

pub fn examples() -> Vec<Example> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/example-online-safety-log.csv");
    let mut reader = csv::Reader::from_path(&path).expect("the policy's example log");
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let date = match r[2].split('/').collect::<Vec<_>>().as_slice() {
                [d, m, y] => format!("{y}-{m}-{d}"),
                _ => String::new(),
            };
            Example {
                name: r[0].to_string(),
                tutor_group: r[1].to_string(),
                date,
                details: r[3].to_string(),
                actions: r[4].to_string(),
                initials: r[5].to_string(),
            }
        })
        .collect()
}

/// A category, place and platform that fit each example.
fn classify(e: &Example) -> (&'static str, &'static str, &'static str) {
    match e.name.as_str() {
        "Joe Briggs" => ("online-bullying", "in_school", "School email"),
        "Sarah Jones" => ("abuse-imagery", "online_at_home", "Snapchat"),
        _ => ("exploitation", "online_at_home", "WhatsApp"),
    }
}

/// The initials a test user gets are the first letters of their name.
fn person_with_initials(initials: &str) -> String {
    initials
        .chars()
        .map(|c| format!("{c}x"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// As maud escapes text.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Logs through the form; returns the new incident's id.
pub async fn log_by_form(b: &Browser, fields: &[(&str, &str)]) -> String {
    let res = b.post("/incidents", fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let to = location(&res);
    to.strip_prefix("/incidents/")
        .and_then(|r| r.strip_suffix("/logged"))
        .unwrap_or_else(|| panic!("unexpected redirect {to}"))
        .to_string()
}

pub async fn api_post(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn api_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let res = app.get_with(path, token).await;
    let status = res.status().as_u16();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Logs a minimal incident through the API; returns its JSON.
pub async fn quick_incident(
    app: &TestApp,
    token: &str,
    pupil: &str,
    category: &str,
    details: &str,
) -> Value {
    let res = api_post(
        app,
        token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": pupil, "tutor_group": "9B", "incident_date": "2025-10-01",
            "category": category, "details": details,
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// Incidents in the database, but for the neighbouring school's own.
pub fn count_incidents(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use safelog::db::schema::incidents;
    incidents::table
        .filter(incidents::school_id.ne(app.neighbour_id()))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn assert_reads_back(got: &Value, e: &Example, category: &str, location: &str, platform: &str) {
    assert_eq!(got["pupil_name"], e.name.as_str());
    assert_eq!(got["tutor_group"], e.tutor_group.as_str());
    if e.date.is_empty() {
        assert_eq!(got["incident_date"], Value::Null, "{}", e.name);
    } else {
        assert_eq!(got["incident_date"], e.date.as_str());
    }
    assert_eq!(got["details"], e.details.as_str());
    assert_eq!(got["actions_outcome"], e.actions.as_str());
    assert_eq!(got["staff_initials"], e.initials.as_str());
    assert_eq!(got["lg_acknowledged"], false);
    assert_eq!(got["category"], category);
    assert_eq!(got["child_at_risk"], true);
    assert_eq!(got["location"], location);
    assert_eq!(got["platform"], platform);
    assert_eq!(got["status"], "new");
    assert_eq!(got["owner_role"], "dsl");
    assert!(got["reference"].as_str().unwrap().starts_with("OS-2025-"));
}

async fn the_policys_three_examples_logged_through_the_form_read_back_field_for_field(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Ess", &[Role::Dsl]);
    let dsl_token = app.quick_token(&dsl);
    for e in examples() {
        let staff = app.add_user(&person_with_initials(&e.initials), &[Role::Staff]);
        let b = app.signed_in(&staff).await;
        let form = b.text("/incidents/new").await;
        let key = form
            .split("name=\"submission_key\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string();
        let (category, location, platform) = classify(&e);
        let mut fields = vec![
            ("pupil_name", e.name.as_str()),
            ("tutor_group", e.tutor_group.as_str()),
            ("category", category),
            ("child_at_risk", "on"),
            ("details", e.details.as_str()),
            ("actions_outcome", e.actions.as_str()),
            ("location", location),
            ("platform", platform),
            ("submission_key", key.as_str()),
        ];
        if e.date.is_empty() {
            fields.push(("date_not_known", "on"));
        } else {
            fields.push(("incident_date", e.date.as_str()));
        }
        let id = log_by_form(&b, &fields).await;
        let (status, got) = api_get(&app, &dsl_token, &format!("/api/v1/incidents/{id}")).await;
        assert_eq!(status, 200);
        assert_reads_back(&got, &e, category, location, platform);

        // The record page shows it too, escaped.
        let page = b.text(&format!("/incidents/{id}")).await;
        assert!(page.contains(&escape(&e.details)), "{}", e.name);
        assert!(page.contains(&escape(&e.actions)));
        if e.date.is_empty() {
            assert!(page.contains("Not known"));
        }
    }
}

async fn the_policys_three_examples_logged_through_the_api_read_back_field_for_field(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    for e in examples() {
        let staff = app.add_user(&person_with_initials(&e.initials), &[Role::Staff]);
        let token = app.quick_token(&staff);
        let (category, location, platform) = classify(&e);
        let date = if e.date.is_empty() {
            Value::Null
        } else {
            json!(e.date)
        };
        let res = api_post(
            &app,
            &token,
            "/api/v1/incidents",
            &json!({
                "pupil_name": e.name, "tutor_group": e.tutor_group, "incident_date": date,
                "category": category, "child_at_risk": true, "details": e.details,
                "actions_outcome": e.actions, "location": location, "platform": platform,
            }),
        )
        .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        assert_reads_back(&created, &e, category, location, platform);
        let (status, got) = api_get(
            &app,
            &token,
            &format!("/api/v1/incidents/{}", created["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(status, 200);
        assert_reads_back(&got, &e, category, location, platform);
        assert_eq!(got["timeline"][0]["kind"], "logged");
    }
    let staff = app.add_user("Anyone Else", &[Role::Dsl]);
    let (_, list) = api_get(&app, &app.quick_token(&staff), "/api/v1/incidents").await;
    assert_eq!(list["total"], 3);
    assert_eq!(list["page"], 1);
    let refs: BTreeSet<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        BTreeSet::from(["OS-2025-0001", "OS-2025-0002", "OS-2025-0003"])
    );
}

async fn staff_cannot_see_search_for_or_guess_a_colleagues_incident(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.add_user("Ann Able", &[Role::Staff]);
    let b = app.add_user("Ben Baker", &[Role::Staff]);
    let (ta, tb) = (app.quick_token(&a), app.quick_token(&b));
    let canary = format!("canary{}", uuid::Uuid::new_v4().simple());
    let mine = quick_incident(&app, &ta, "Cara Canary", "online-bullying", &canary).await;
    let id = mine["id"].as_str().unwrap();

    let browser = app.signed_in(&b).await;
    for path in [
        format!("/incidents/{id}"),
        format!("/incidents/{id}/logged"),
        format!("/incidents/{id}/correct"),
        format!("/incidents/{id}/entered-in-error"),
    ] {
        let res = browser.get(&path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(!res.text().await.unwrap().contains(&canary));
    }
    let res = browser
        .post(&format!("/incidents/{id}/notes"), &[("text", "hello")])
        .await;
    assert_eq!(res.status(), 404);
    let (status, body) = api_get(&app, &tb, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 404);
    // Exactly like an incident that does not exist.
    let (_, missing) = api_get(
        &app,
        &tb,
        &format!("/api/v1/incidents/{}", uuid::Uuid::new_v4()),
    )
    .await;
    assert_eq!(body, missing);
    let res = api_post(
        &app,
        &tb,
        &format!("/api/v1/incidents/{id}/corrections"),
        &json!({"version": 1, "reason": "x", "details": "overwritten"}),
    )
    .await;
    assert_eq!(res.status(), 404);

    for q in [
        "",
        "?q=canary",
        &format!("?q={canary}"),
        "?pupil=Cara",
        &format!("?q={}", mine["reference"].as_str().unwrap()),
    ] {
        let (status, list) = api_get(&app, &tb, &format!("/api/v1/incidents{q}")).await;
        assert_eq!(status, 200);
        assert_eq!(list["total"], 0, "{q}");
        assert_eq!(list["items"], json!([]));
        let page = browser.text(&format!("/incidents{q}")).await;
        assert!(
            !page.contains(&canary) && !page.contains("Cara Canary"),
            "{q}"
        );
        assert!(page.contains("0 incidents"));
    }
    // The author still sees it.
    let (_, list) = api_get(&app, &ta, &format!("/api/v1/incidents?q={canary}")).await;
    assert_eq!(list["total"], 1);
    assert_eq!(
        app.get_with(&format!("/api/v1/incidents/{id}"), &ta)
            .await
            .status(),
        200
    );
}

async fn each_role_reads_exactly_the_incidents_product_gives_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let logger = app.add_user("Lou Logger", &[Role::Staff]);
    let lt = app.quick_token(&logger);
    let normal = quick_incident(&app, &lt, "Nora Normal", "online-bullying", "normal one").await;
    let restricted = quick_incident(
        &app,
        &lt,
        "Rex Restricted",
        "staff-conduct",
        "about a teacher",
    )
    .await;
    let breach = quick_incident(&app, &lt, "Bea Breach", "data-breach", "a lost spreadsheet").await;
    assert_eq!(restricted["owner_role"], "headteacher");
    assert_eq!(breach["owner_role"], "dpo");
    let ids = [&normal, &restricted, &breach].map(|v| v["id"].as_str().unwrap().to_string());

    let cases: [(Role, [bool; 3]); 7] = [
        (Role::Staff, [false, false, false]),
        (Role::OnlineSafetyLead, [true, false, true]),
        (Role::Dsl, [true, false, true]),
        (Role::Headteacher, [true, true, true]),
        (Role::Dpo, [false, false, true]),
        (Role::Governor, [false, false, false]),
        (Role::Admin, [false, false, false]),
    ];
    for (role, sees) in cases {
        let user = app.add_user(&format!("Role {role}"), &[role]);
        let token = app.quick_token(&user);
        let browser = app.signed_in(&user).await;
        for (id, expected) in ids.iter().zip(sees) {
            let want = if expected { 200 } else { 404 };
            assert_eq!(
                app.get_with(&format!("/api/v1/incidents/{id}"), &token)
                    .await
                    .status(),
                want,
                "{role} api {id}"
            );
            assert_eq!(
                browser.get(&format!("/incidents/{id}")).await.status(),
                want,
                "{role} page {id}"
            );
        }
        let expected: BTreeSet<String> = ids
            .iter()
            .zip(sees)
            .filter(|(_, s)| *s)
            .map(|(i, _)| i.clone())
            .collect();
        let (status, list) = api_get(&app, &token, "/api/v1/incidents").await;
        if matches!(role, Role::Governor | Role::Admin) {
            assert_eq!(status, 404, "{role} list");
            assert_eq!(browser.get("/incidents").await.status(), 404);
            assert_eq!(browser.get("/incidents/new").await.status(), 404);
            continue;
        }
        assert_eq!(status, 200);
        assert_eq!(list["total"], expected.len() as i64, "{role} total");
        let got: BTreeSet<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, expected, "{role}");
    }
    // The member of staff who logged them sees all three, as theirs.
    let (_, list) = api_get(&app, &lt, "/api/v1/incidents").await;
    assert_eq!(list["total"], 3);
}

async fn a_resubmitted_form_and_an_api_retry_with_the_same_key_make_one_incident(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Dot Double", &[Role::Staff]);
    let b = app.signed_in(&staff).await;
    let fields = [
        ("pupil_name", "Rhys Retry"),
        ("tutor_group", "7C"),
        ("date_not_known", "on"),
        ("category", "other"),
        ("details", "Clicked twice."),
        ("submission_key", "form-key-1"),
    ];
    let first = log_by_form(&b, &fields).await;
    let res = b.post("/incidents", &fields).await;
    assert_eq!(location(&res), format!("/incidents/{first}/logged?again=1"));
    assert!(b
        .text(&location(&res))
        .await
        .contains("This form had already been sent"));
    assert_eq!(count_incidents(&app), 1);

    let token = app.quick_token(&staff);
    let body = json!({"pupil_name": "Rhys Retry", "tutor_group": "7C", "category": "other", "details": "Sent twice by a flaky network."});
    let send = || async {
        app.client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "api-key-1")
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let (r1, r2) = (send().await, send().await);
    assert_eq!((r1.status().as_u16(), r2.status().as_u16()), (201, 201));
    assert_eq!(r2.headers()["idempotent-replayed"], "true");
    let (v1, v2): (Value, Value) = (r1.json().await.unwrap(), r2.json().await.unwrap());
    assert_eq!(v1["id"], v2["id"]);
    assert_eq!(count_incidents(&app), 2);

    // A key is the sender's own: a colleague using the same one logs their own.
    let other = app.add_user("Other Person", &[Role::Staff]);
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(app.quick_token(&other))
        .header("Idempotency-Key", "api-key-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_ne!(res.json::<Value>().await.unwrap()["id"], v1["id"]);
    assert_eq!(count_incidents(&app), 3);
    // Both the form's logging and the retry left one audit row each.
    let logged = app
        .audit_actions()
        .iter()
        .filter(|(a, _, _)| a == "incident_logged")
        .count();
    assert_eq!(logged, 3);
}

fn correction_fields<'a>(
    details: &'a str,
    version: &'a str,
    reason: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("pupil_name", "Cora Conflict"),
        ("tutor_group", "10T"),
        ("incident_date", "2025-10-01"),
        ("category", "online-bullying"),
        ("details", details),
        ("location", "unknown"),
        ("version", version),
        ("reason", reason),
    ]
}

async fn a_stale_correction_is_refused_shown_both_versions_and_the_timeline_keeps_both(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let dsl = app.add_user("Dana Dsl", &[Role::Dsl]);
    let osl = app.add_user("Olly Osl", &[Role::OnlineSafetyLead]);
    let created = api_post(
        &app,
        &app.quick_token(&staff),
        "/api/v1/incidents",
        &json!({"pupil_name": "Cora Conflict", "tutor_group": "10T", "incident_date": "2025-10-01",
                "category": "online-bullying", "details": "The original words.", "location": "unknown"}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    let id = created["id"].as_str().unwrap();
    let (bd, bo) = (app.signed_in(&dsl).await, app.signed_in(&osl).await);
    // Both open the form at version 1.
    for b in [&bd, &bo] {
        let form = b.text(&format!("/incidents/{id}/correct")).await;
        assert!(form.contains("name=\"version\" value=\"1\""));
    }
    let res = bd
        .post(
            &format!("/incidents/{id}/correct"),
            &correction_fields("The DSL's corrected words.", "1", "Typo in the quote"),
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = bo
        .post(
            &format!("/incidents/{id}/correct"),
            &correction_fields("The OSL's different words.", "1", "Added detail"),
        )
        .await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert!(page.contains("Someone else changed this record"));
    assert!(
        page.contains("The DSL&#39;s corrected words.")
            || page.contains("The DSL's corrected words.")
    );
    assert!(
        page.contains("The OSL's different words.")
            || page.contains("The OSL&#39;s different words.")
    );
    assert!(
        page.contains("name=\"version\" value=\"2\""),
        "the form comes back against the saved version"
    );

    let token = app.quick_token(&dsl);
    let (_, now) = api_get(&app, &token, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(now["details"], "The DSL's corrected words.");
    assert_eq!(now["version"], 2);
    let timeline = now["timeline"].as_array().unwrap();
    assert_eq!(timeline[0]["kind"], "logged");
    let fix = timeline.iter().find(|e| e["kind"] == "correction").unwrap();
    assert_eq!(fix["field"], "details");
    assert_eq!(fix["old_value"], "The original words.");
    assert_eq!(fix["new_value"], "The DSL's corrected words.");
    assert_eq!(fix["reason"], "Typo in the quote");
    assert_eq!(fix["version"], 2);
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e["kind"] == "correction")
            .count(),
        1
    );

    // The API answers a stale version with 409 and the current record.
    let res = api_post(
        &app,
        &app.quick_token(&osl),
        &format!("/api/v1/incidents/{id}/corrections"),
        &json!({"version": 1, "reason": "late", "details": "Overwrite?"}),
    )
    .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "conflict");
    assert_eq!(body["current"]["details"], "The DSL's corrected words.");
    // Against the current version it goes through, and the record page
    // shows every version with its reason and previous value.
    let res = api_post(&app, &app.quick_token(&osl), &format!("/api/v1/incidents/{id}/corrections"), &json!({"version": 2, "reason": "Added detail", "details": "The OSL's different words.", "incident_date": null})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["version"], 3);
    assert_eq!(body["incident_date"], Value::Null);
    let page = bd.text(&format!("/incidents/{id}")).await;
    for text in [
        "The original words.",
        "Typo in the quote",
        "Added detail",
        "version 3",
    ] {
        assert!(page.contains(&escape(text)), "{text}");
    }
    // A correction without a reason is refused.
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{id}/corrections"),
        &json!({"version": 3, "details": "no reason"}),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["fields"]["reason"].is_string());
}

async fn opening_an_incident_writes_an_audit_row_and_a_dsl_sees_who_viewed_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Vera Viewer", &[Role::Staff]);
    let dsl = app.add_user("Dan Dsl", &[Role::Dsl]);
    let canary = format!("Canary{}", uuid::Uuid::new_v4().simple());
    let created = quick_incident(
        &app,
        &app.quick_token(&staff),
        &canary,
        "online-bullying",
        &canary,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let viewed = || {
        app.audit_actions()
            .into_iter()
            .filter(|(a, _, _)| a == "incident_viewed")
            .collect::<Vec<_>>()
    };
    assert!(
        viewed().is_empty(),
        "logging is audited as logging, not as a view"
    );
    let bs = app.signed_in(&staff).await;
    assert_eq!(bs.get(&format!("/incidents/{id}")).await.status(), 200);
    let views = viewed();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].1.as_deref(), Some(staff.id.as_str()));
    assert_eq!(views[0].2.as_deref(), Some(id));

    let bd = app.signed_in(&dsl).await;
    let page = bd.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Who has viewed this record"));
    assert!(page.contains("Vera Viewer") && page.contains("Dan Dsl"));
    // Staff do not see who viewed it.
    assert!(!bs
        .text(&format!("/incidents/{id}"))
        .await
        .contains("Who has viewed"));
    // No audit detail holds the pupil's name or the details.
    use diesel::prelude::*;
    use safelog::db::schema::audit_events;
    let details: Vec<Option<String>> = audit_events::table
        .select(audit_events::detail)
        .load(&mut app.conn())
        .unwrap();
    assert!(
        details.iter().flatten().all(|d| !d.contains(&canary)),
        "{details:?}"
    );
    // Searches are audited by the names of their filters only.
    let res = bd
        .post(
            "/incidents/search",
            &[("q", canary.as_str()), ("status", "new")],
        )
        .await;
    bd.get(&location(&res)).await;
    let token = app.token(&dsl).await;
    let (_, list) = api_get(&app, &token, &format!("/api/v1/incidents?pupil={canary}")).await;
    assert_eq!(list["total"], 1);
    let details: Vec<Option<String>> = audit_events::table
        .filter(audit_events::action.eq("incidents_searched"))
        .select(audit_events::detail)
        .load(&mut app.conn())
        .unwrap();
    assert!(
        details.iter().flatten().any(|d| d.contains("status, text")),
        "{details:?}"
    );
    assert!(details.iter().flatten().all(|d| !d.contains(&canary)));
}

async fn the_list_leaks_no_other_schools_restricted_or_withdrawn_records_into_counts_or_search(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let word = format!("leak{}", uuid::Uuid::new_v4().simple());
    let osl = app.add_user("Osl Here", &[Role::OnlineSafetyLead]);
    let staff = app.add_user("Staff Here", &[Role::Staff]);
    let st = app.quick_token(&staff);
    quick_incident(
        &app,
        &st,
        "Visible Pupil",
        "online-bullying",
        &format!("visible {word}"),
    )
    .await;
    quick_incident(
        &app,
        &st,
        "Hidden Pupil",
        "staff-conduct",
        &format!("restricted {word}"),
    )
    .await;
    let withdrawn = quick_incident(
        &app,
        &st,
        "Gone Pupil",
        "other",
        &format!("withdrawn {word}"),
    )
    .await;
    let head = app.add_user("Head Teacher", &[Role::Headteacher]);
    let res = api_post(
        &app,
        &app.quick_token(&head),
        &format!(
            "/api/v1/incidents/{}/entered-in-error",
            withdrawn["id"].as_str().unwrap()
        ),
        &json!({"reason": "Logged against the wrong school"}),
    )
    .await;
    assert_eq!(res.status(), 200);

    let other_school = {
        let mut conn = app.conn();
        safelog::accounts::store::create_school(&mut conn, "Other School", app.clock.now_naive())
            .unwrap()
            .id
    };
    let far = app.add_user_to(&other_school, "Far Away", &[Role::Headteacher]);
    assert_eq!(far.school_id, other_school);
    quick_incident(
        &app,
        &app.quick_token(&far),
        "Far Pupil",
        "online-bullying",
        &format!("elsewhere {word}"),
    )
    .await;

    let ot = app.quick_token(&osl);
    for q in [
        String::new(),
        format!("?q={word}"),
        "?category=staff-conduct".to_string(),
        "?pupil=Pupil".to_string(),
    ] {
        let (_, list) = api_get(&app, &ot, &format!("/api/v1/incidents{q}")).await;
        let want = if q.contains("staff-conduct") { 0 } else { 1 };
        assert_eq!(list["total"], want, "{q}");
        assert_eq!(list["items"].as_array().unwrap().len(), want as usize);
    }
    let ob = app.signed_in(&osl).await;
    let res = ob.post("/incidents/search", &[("q", word.as_str())]).await;
    let page = ob.text(&location(&res)).await;
    assert!(page.contains("1 incident<") || page.contains("1 incident"));
    for hidden in ["Hidden Pupil", "Gone Pupil", "Far Pupil"] {
        assert!(!page.contains(hidden), "{hidden}");
    }
    // The headteacher counts the restricted one, never the other school's
    // nor the withdrawn one.
    let (_, list) = api_get(
        &app,
        &app.quick_token(&head),
        &format!("/api/v1/incidents?q={word}"),
    )
    .await;
    assert_eq!(list["total"], 2);
    let (_, list) = api_get(&app, &app.quick_token(&far), "/api/v1/incidents").await;
    assert_eq!(list["total"], 1);
}

async fn a_rejected_form_keeps_every_typed_value_and_the_api_answers_422_with_a_field_map(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Tia Typer", &[Role::Staff]);
    let b = app.signed_in(&staff).await;
    let details = "Zoë said: \"<b>stop</b>\" & left. Łukasz saw it.";
    let res = b
        .post(
            "/incidents",
            &[
                ("pupil_name", ""),
                ("tutor_group", "8A"),
                ("incident_date", "2025-11-13"),
                ("category", "online-bullying"),
                ("child_at_risk", "on"),
                ("details", details),
                ("actions_outcome", "Spoke to Aoife Ní Bhriain."),
                ("location", "outside_school"),
                ("platform", "TikTok"),
                ("other_1_name", "Łukasz Nowak"),
                ("other_1_tutor_group", "8B"),
                ("other_1_role", ""),
                ("submission_key", "kept-key"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    for kept in [
        escape(details),
        "Spoke to Aoife Ní Bhriain.".to_string(),
        "value=\"8A\"".to_string(),
        "value=\"2025-11-13\"".to_string(),
        "value=\"TikTok\"".to_string(),
        "value=\"Łukasz Nowak\"".to_string(),
        "value=\"8B\"".to_string(),
        "value=\"kept-key\"".to_string(),
        "<option value=\"online-bullying\" selected>".to_string(),
        "id=\"f-child_at_risk\" name=\"child_at_risk\" checked".to_string(),
        "value=\"outside_school\" checked".to_string(),
    ] {
        assert!(html.contains(&kept), "{kept} missing");
    }
    assert!(!html.contains("<b>stop</b>"), "typed markup is escaped");
    for message in [
        "f-pupil_name-error",
        "f-incident_date-error",
        "f-other_1_role-error",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(html.contains("cannot be in the future"));
    assert_eq!(count_incidents(&app), 0);

    let res = api_post(
        &app,
        &app.quick_token(&staff),
        "/api/v1/incidents",
        &json!({"tutor_group": "", "incident_date": "1999-12-31", "category": "nope", "details": "x".repeat(20_001),
                "other_pupils": [{"name": "Witness", "role": "bystander"}]}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid");
    let fields = body["fields"].as_object().unwrap();
    for f in [
        "pupil_name",
        "tutor_group",
        "incident_date",
        "category",
        "details",
        "other_pupils[0].role",
    ] {
        assert!(fields.contains_key(f), "{f} in {fields:?}");
    }
    // Not JSON at all is still a JSON answer.
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(app.quick_token(&staff))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(count_incidents(&app), 0);
}

async fn accented_names_are_stored_and_shown_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Úna Ó Sé", &[Role::Staff]);
    let token = app.quick_token(&staff);
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({"pupil_name": "Zoë Ångström", "tutor_group": "9B", "incident_date": null, "category": "other",
                "details": "Łukasz and Aoife Ní Bhriain saw messages in 日本語 too.",
                "other_pupils": [{"name": "Łukasz Wiśniewski", "tutor_group": "9C", "role": "witness"},
                                 {"name": "Aoife Ní Bhriain", "role": "affected"}]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["pupil_name"], "Zoë Ångström");
    assert_eq!(v["other_pupils"][0]["name"], "Łukasz Wiśniewski");
    assert_eq!(v["other_pupils"][1]["name"], "Aoife Ní Bhriain");
    assert_eq!(v["other_pupils"][1]["role"], "affected");
    assert_eq!(
        v["details"],
        "Łukasz and Aoife Ní Bhriain saw messages in 日本語 too."
    );
    let page = app
        .signed_in(&staff)
        .await
        .text(&format!("/incidents/{}", v["id"].as_str().unwrap()))
        .await;
    for name in [
        "Zoë Ångström",
        "Łukasz Wiśniewski",
        "Aoife Ní Bhriain",
        "日本語",
    ] {
        assert!(page.contains(name), "{name}");
    }
    // The same child typed in other capitals is the same pupil.
    let again = quick_incident(&app, &token, "ZOË ÅNGSTRÖM", "other", "Again.").await;
    assert_eq!(again["pupil_id"], v["pupil_id"]);
    assert_eq!(again["pupil_name"], "Zoë Ångström");
    let (_, found) = api_get(&app, &token, "/api/v1/pupils?q=%C3%85NGstr").await;
    assert_eq!(found["items"][0]["name"], "Zoë Ångström");
}

async fn a_dsl_marks_an_incident_entered_in_error_and_it_leaves_lists_but_keeps_its_history(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Ed Error", &[Role::Staff]);
    let dsl = app.add_user("Di Dsl", &[Role::Dsl]);
    let osl = app.add_user("Oz Osl", &[Role::OnlineSafetyLead]);
    let v = quick_incident(
        &app,
        &app.quick_token(&staff),
        "Wrong Pupil",
        "other",
        "Logged by mistake.",
    )
    .await;
    let id = v["id"].as_str().unwrap();
    // Not for the Online Safety Lead, nor for staff.
    for who in [&osl, &staff] {
        let b = app.signed_in(who).await;
        assert_eq!(
            b.get(&format!("/incidents/{id}/entered-in-error"))
                .await
                .status(),
            404
        );
        assert_eq!(
            b.post(
                &format!("/incidents/{id}/entered-in-error"),
                &[("reason", "x")]
            )
            .await
            .status(),
            404
        );
    }
    let bd = app.signed_in(&dsl).await;
    let res = bd
        .post(
            &format!("/incidents/{id}/entered-in-error"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = bd
        .post(
            &format!("/incidents/{id}/entered-in-error"),
            &[("reason", "Duplicate of another record")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = bd.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Entered in error.") && page.contains("Duplicate of another record"));
    assert!(page.contains("Logged by mistake."));
    let token = app.quick_token(&dsl);
    let (_, list) = api_get(&app, &token, "/api/v1/incidents").await;
    assert_eq!(list["total"], 0);
    let (status, got) = api_get(&app, &token, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got["entered_in_error"], true);
    assert_eq!(got["timeline"][1]["kind"], "entered_in_error");
    // Nothing more can be changed, and nothing was deleted.
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{id}/notes"),
        &json!({"text": "late note"}),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(count_incidents(&app), 1);
}

async fn staff_add_follow_up_notes_and_never_see_the_leads_case_notes(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Nat Notes", &[Role::Staff]);
    let dsl = app.add_user("Del Dsl", &[Role::Dsl]);
    let v = quick_incident(
        &app,
        &app.quick_token(&staff),
        "Noted Pupil",
        "online-bullying",
        "First account.",
    )
    .await;
    let id = v["id"].as_str().unwrap();
    let bs = app.signed_in(&staff).await;
    let res = bs
        .post(
            &format!("/incidents/{id}/notes"),
            &[("text", "The pupil came back to say more.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = bs
        .post(&format!("/incidents/{id}/notes"), &[("text", "  ")])
        .await;
    assert_eq!(res.status(), 422);
    let bd = app.signed_in(&dsl).await;
    let res = bd
        .post(
            &format!("/incidents/{id}/notes"),
            &[("text", "Case note: spoke with parents privately.")],
        )
        .await;
    assert_eq!(res.status(), 303);

    let mine = bs.text(&format!("/incidents/{id}")).await;
    assert!(mine.contains("The pupil came back to say more."));
    assert!(!mine.contains("spoke with parents privately"));
    assert!(mine.contains("New"));
    let theirs = bd.text(&format!("/incidents/{id}")).await;
    assert!(
        theirs.contains("The pupil came back to say more.")
            && theirs.contains("spoke with parents privately")
    );
    let (_, got) = api_get(
        &app,
        &app.quick_token(&staff),
        &format!("/api/v1/incidents/{id}"),
    )
    .await;
    let texts: Vec<&str> = got["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(texts, vec!["The pupil came back to say more."]);
    // The staff list shows their own incident with its status in their words.
    let list = bs.text("/incidents").await;
    assert!(
        list.contains("Incidents you logged") && list.contains(v["reference"].as_str().unwrap())
    );
}

async fn the_confirmation_names_the_owner_and_says_to_tell_the_dsl_in_person_when_urgent(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Cal Confirm", &[Role::Staff]);
    let b = app.signed_in(&staff).await;
    let base = |category: &'static str, at_risk: bool, key: &'static str| {
        let mut f = vec![
            ("pupil_name", "Una Urgent"),
            ("tutor_group", "10A"),
            ("date_not_known", "on"),
            ("category", category),
            ("details", "Something happened."),
            ("submission_key", key),
        ];
        if at_risk {
            f.push(("child_at_risk", "on"));
        }
        f
    };
    let id = log_by_form(&b, &base("nudes-sharing", false, "k1")).await;
    let page = b.text(&format!("/incidents/{id}/logged")).await;
    assert!(page.contains("Tell the DSL in person now."));
    assert!(page.contains("the Designated Safeguarding Lead"));
    assert!(page.contains("OS-2025-0001"));
    assert!(
        page.contains("Do not view, copy, print"),
        "the guidance is repeated"
    );

    let id = log_by_form(&b, &base("system-misuse", false, "k2")).await;
    let page = b.text(&format!("/incidents/{id}/logged")).await;
    assert!(
        page.contains("the Online Safety Lead") && !page.contains("Tell the DSL in person now.")
    );
    assert!(page.contains("OS-2025-0002"));
    let id = log_by_form(&b, &base("system-misuse", true, "k3")).await;
    assert!(b
        .text(&format!("/incidents/{id}/logged"))
        .await
        .contains("because a child may have been put at risk"));
    let id = log_by_form(&b, &base("staff-conduct", true, "k4")).await;
    let page = b.text(&format!("/incidents/{id}/logged")).await;
    assert!(
        page.contains("the headteacher")
            && page.contains("Only the headteacher can see this record.")
    );

    // Whatever alerts are sent, none names the pupil.
    assert!(app
        .outbox()
        .iter()
        .all(|(_, subject, body)| !subject.contains("Una Urgent") && !body.contains("Una Urgent")));
    // The form lists each category's guidance for browsers without JavaScript.
    let form = b.text("/incidents/new").await;
    assert!(form.contains("Guidance for every category"));
    assert!(form.contains("data-category=\"abuse-imagery\""));
    assert!(form.contains("Do not switch the device off"));
}

async fn the_list_filters_by_each_field_and_pages_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Fi Filter", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let mut ids = Vec::new();
    for (i, (pupil, group, date, category)) in [
        ("Amy One", "7A", json!("2025-09-10"), "online-bullying"),
        ("Bob Two", "8B", json!(null), "system-misuse"),
        ("Cat Three", "8C", json!("2025-10-20"), "online-bullying"),
    ]
    .into_iter()
    .enumerate()
    {
        app.clock.advance(chrono::Duration::minutes(1 + i as i64));
        let res = api_post(&app, &token, "/api/v1/incidents", &json!({"pupil_name": pupil, "tutor_group": group, "incident_date": date, "category": category, "details": format!("number {i}")})).await;
        let body: Value = res.json().await.unwrap();
        ids.push(
            body["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_string(),
        );
    }
    async fn count(app: &TestApp, token: &str, q: &str) -> i64 {
        api_get(app, token, &format!("/api/v1/incidents?{q}"))
            .await
            .1["total"]
            .as_i64()
            .unwrap()
    }
    let total = |q: &'static str| count(&app, &token, q);
    assert_eq!(total("category=online-bullying").await, 2);
    assert_eq!(total("tutor_group=8b").await, 1);
    assert_eq!(total("year_group=8").await, 2);
    assert_eq!(total("from=2025-10-01&to=2025-10-31").await, 1);
    // The undated one falls in the range of the day it was logged.
    assert_eq!(total("from=12/11/2025").await, 1);
    assert_eq!(total("pupil=bob").await, 1);
    assert_eq!(total("owner=online_safety_lead").await, 1);
    assert_eq!(total("status=new&unacknowledged=1").await, 3);
    assert_eq!(total("status=closed").await, 0);
    assert_eq!(total("q=NUMBER 2").await, 1);
    let (_, page) = api_get(&app, &token, "/api/v1/incidents?per_page=2&page=1").await;
    let first: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        first,
        vec![ids[2].as_str(), ids[1].as_str()],
        "newest first"
    );
    assert_eq!(
        (page["total"].as_i64(), page["per_page"].as_i64()),
        (Some(3), Some(2))
    );
    let (_, page) = api_get(&app, &token, "/api/v1/incidents?per_page=2&page=2").await;
    assert_eq!(page["items"][0]["id"], ids[0].as_str());
    let (status, body) = api_get(
        &app,
        &token,
        "/api/v1/incidents?year_group=twelve&from=31/02/2025",
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["year_group"].is_string() && body["fields"]["from"].is_string());
    let html = app
        .signed_in(&dsl)
        .await
        .text("/incidents?category=system-misuse")
        .await;
    assert!(html.contains("Bob Two") && !html.contains("Amy One"));
}

async fn every_incident_route_answers_an_empty_form_or_unknown_id_without_a_server_error(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let head = app.add_user("Hal Head", &[Role::Headteacher, Role::Dsl, Role::Admin]);
    let b = app.signed_in(&head).await;
    let token = app.quick_token(&head);
    let unknown = uuid::Uuid::new_v4().to_string();
    for route in safelog::app::route_table() {
        let interesting = [
            "/incidents",
            "/pupils",
            "/api/v1/incidents",
            "/api/v1/pupils",
            "/api/v1/categories",
            "/admin/pupils",
        ];
        if !interesting.iter().any(|p| route.path.starts_with(p)) {
            continue;
        }
        let path = route.path.replace("{id}", &unknown);
        let status = if route.path.starts_with("/api/") {
            let req = if route.method == actix_web::http::Method::POST {
                app.client.post(app.url(&path)).json(&json!({}))
            } else {
                app.client.get(app.url(&path))
            };
            let req = req.bearer_auth(&token);
            req.send().await.unwrap().status().as_u16()
        } else if route.method == actix_web::http::Method::POST {
            b.post(&path, &[]).await.status().as_u16()
        } else {
            b.get(&path).await.status().as_u16()
        };
        assert!(
            matches!(status, 200 | 303 | 404 | 422),
            "{} {} answered {status}",
            route.method,
            route.path
        );
        // An unknown record is simply not there; an API body can be refused
        // before the record is looked up, which says nothing about it.
        if route.path.contains("{id}") {
            let api_post =
                route.path.starts_with("/api/") && route.method == actix_web::http::Method::POST;
            assert!(
                status == 404 || (api_post && status == 422),
                "{} {} answered {status}",
                route.method,
                route.path
            );
        }
    }
}

async fn concurrent_loggers_get_distinct_references_and_concurrent_retries_make_one_incident(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Con Current", &[Role::Staff]);
    let token = app.quick_token(&staff);
    let send = |key: String, n: usize| {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/incidents"),
            token.clone(),
        );
        tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"pupil_name": format!("Pupil {n}"), "tutor_group": "8A", "category": "other", "details": "at once"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        })
    };
    let distinct: Vec<_> = (0..8).map(|n| send(format!("key-{n}"), n)).collect();
    let same: Vec<_> = (0..6).map(|_| send("the-same-key".into(), 99)).collect();
    let mut references = BTreeSet::new();
    for h in distinct {
        references.insert(h.await.unwrap()["reference"].as_str().unwrap().to_string());
    }
    assert_eq!(references.len(), 8, "{references:?}");
    let mut ids = BTreeSet::new();
    for h in same {
        ids.insert(h.await.unwrap()["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(count_incidents(&app), 9);
}

on_both_backends!(
    the_policys_three_examples_logged_through_the_form_read_back_field_for_field,
    the_policys_three_examples_logged_through_the_api_read_back_field_for_field,
    staff_cannot_see_search_for_or_guess_a_colleagues_incident,
    each_role_reads_exactly_the_incidents_product_gives_it,
    a_resubmitted_form_and_an_api_retry_with_the_same_key_make_one_incident,
    a_stale_correction_is_refused_shown_both_versions_and_the_timeline_keeps_both,
    opening_an_incident_writes_an_audit_row_and_a_dsl_sees_who_viewed_it,
    the_list_leaks_no_other_schools_restricted_or_withdrawn_records_into_counts_or_search,
    a_rejected_form_keeps_every_typed_value_and_the_api_answers_422_with_a_field_map,
    accented_names_are_stored_and_shown_exactly,
    a_dsl_marks_an_incident_entered_in_error_and_it_leaves_lists_but_keeps_its_history,
    staff_add_follow_up_notes_and_never_see_the_leads_case_notes,
    the_confirmation_names_the_owner_and_says_to_tell_the_dsl_in_person_when_urgent,
    the_list_filters_by_each_field_and_pages_newest_first,
    every_incident_route_answers_an_empty_form_or_unknown_id_without_a_server_error,
    concurrent_loggers_get_distinct_references_and_concurrent_retries_make_one_incident,
);
