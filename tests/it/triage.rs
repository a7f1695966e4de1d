//! The lead's day (issue 11): the start page as one queue a DSL triages at
//! a glance, case actions that say what they did, the record in plain
//! words, referrals whose reference is to follow, and acknowledgement by
//! the leadership group.

use serde_json::{json, Value};

use safelog::auth::Role;

use crate::helpers::{location, spawn_app, Backend, TestApp};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::on_both_backends;

async fn log(app: &TestApp, token: &str, body: Value) -> Value {
    let res = api_post(app, token, "/api/v1/incidents", &body).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
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

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn reference_of(v: &Value) -> String {
    v["reference"].as_str().unwrap().to_string()
}

/// One section of a page, by its id.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &page[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

/// The start page's queue section alone.
fn queue(home: &str) -> &str {
    section(home, "queue")
}

async fn a_dsl_with_forty_open_incidents_sees_one_queue_urgent_first_with_what_to_decide_on(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&staff);
    let mut made = Vec::new();
    for n in 0..40 {
        let (category, date) = match n % 4 {
            0 => ("self-harm", Value::Null),
            _ => ("online-bullying", json!("2025-10-01")),
        };
        made.push(
            log(
                &app,
                &token,
                json!({
                    "pupil_name": format!("Pupil Number{n}"), "tutor_group": format!("{}B", 7 + n % 5),
                    "incident_date": date, "category": category,
                    "details": format!("Row {n} first line\nsecond line not shown"),
                }),
            )
            .await,
        );
        app.clock.advance(chrono::Duration::minutes(5));
    }
    let b = app.signed_in(&dsl).await;
    let home = b.text("/").await;
    let q = queue(&home);
    assert!(q.contains("Waiting for you (40)"), "one queue of 40");
    for m in &made {
        let reference = reference_of(m);
        assert_eq!(
            home.matches(&format!(">{reference}<")).count(),
            1,
            "{reference} is listed once on the whole page"
        );
    }
    // What a lead decides on, in the row.
    assert!(q.contains("Pupil Number1") && q.contains("8B"));
    assert!(q.contains("date not known") && q.contains("01/10/2025"));
    assert!(q.contains("Row 1 first line") && !q.contains("second line not shown"));
    assert!(q.contains("Urgent") && q.contains("New incident for you"));
    assert!(q.contains("Designated Safeguarding Lead") && q.contains("not taken"));
    assert!(q.contains("3 hours"), "how long the oldest has waited");
    // Urgent first (the ten self-harm incidents), then oldest first.
    let pos = |m: &Value| q.find(&format!(">{}<", reference_of(m))).unwrap();
    let urgent: Vec<usize> = made.iter().step_by(4).map(pos).collect();
    let others: Vec<usize> = made
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 4 != 0)
        .map(|(_, m)| pos(m))
        .collect();
    assert!(urgent.iter().max() < others.iter().min(), "urgent first");
    assert!(urgent.windows(2).all(|w| w[0] < w[1]), "then oldest first");
    assert!(others.windows(2).all(|w| w[0] < w[1]), "then oldest first");
}

async fn an_alert_is_seen_once_its_reader_opens_the_record_or_dismisses_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&staff);
    let first = quick_incident(&app, &token, "Amy Alert", "online-bullying", "one").await;
    let second = quick_incident(&app, &token, "Ben Alert", "online-bullying", "two").await;
    let third = quick_incident(&app, &token, "Cat Alert", "online-bullying", "three").await;
    let b = app.signed_in(&dsl).await;
    let home = b.text("/").await;
    assert_eq!(queue(&home).matches("New incident for you").count(), 3);

    // Opening the record.
    b.text(&format!("/incidents/{}", id_of(&first))).await;
    // Acting on it through the API.
    let (status, _) = case(
        &app,
        &app.quick_token(&dsl),
        &id_of(&second),
        "actions",
        json!({"text": "spoke to the pupil"}),
    )
    .await;
    assert_eq!(status, 200);
    let home = b.text("/").await;
    let q = queue(&home);
    assert_eq!(q.matches("New incident for you").count(), 1, "{q}");
    let row = &q[q.find(&reference_of(&third)).unwrap()..];
    assert!(row.contains("New incident for you"));

    // Dismissed one at a time.
    let alert = safelog::cases::store::unseen_alerts(
        &mut app.conn(),
        &safelog::incidents::Viewer {
            user_id: dsl.id.clone(),
            school_id: dsl.school_id.clone(),
            roles: [Role::Dsl].into_iter().collect(),
            excluded_pupils: Vec::new(),
        },
        10,
    )
    .unwrap();
    assert_eq!(alert.len(), 1);
    let res = b
        .post(&format!("/dashboard/alerts/{}/dismiss", alert[0].id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let home = b.text("/").await;
    assert_eq!(queue(&home).matches("New incident for you").count(), 0);
    assert!(
        queue(&home).contains(&reference_of(&third)),
        "dismissing an alert leaves the case in the queue"
    );
}

/// Posts a case form as the page does and follows its redirect.
async fn act(
    b: &crate::helpers::Browser,
    id: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> String {
    let res = b.post(&format!("/incidents/{id}/{action}"), fields).await;
    assert_eq!(res.status(), 303, "{action}");
    let to = location(&res);
    assert!(to.starts_with(&format!("/incidents/{id}?done=")), "{to}");
    let code = to.split("done=").nth(1).unwrap().trim_end_matches("#case");
    assert!(
        code.chars().all(|c| c.is_ascii_lowercase()),
        "only a fixed code in the URL: {to}"
    );
    b.text(&to).await
}

async fn each_case_action_says_what_happened_and_the_panel_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let osl = app.add_user("Olu Osl", &[Role::OnlineSafetyLead]);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let head = app.add_user("Hal Head", &[Role::Headteacher]);
    let token = app.quick_token(&staff);
    let made = quick_incident(&app, &token, "Pia Panel", "harmful-content", "seen in ICT").await;
    let (id, r) = (id_of(&made), reference_of(&made));

    let b = app.signed_in(&osl).await;
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(page.contains(">Take ownership<") && page.contains("Escalate to the DSL"));
    assert!(
        !page.contains("<details"),
        "actions are not hidden in disclosures"
    );
    let page = act(&b, &id, "take", &[]).await;
    assert!(page.contains(&format!("You took {r}")), "take");
    assert!(
        !page.contains(">Take ownership<"),
        "no take on one's own case"
    );
    let page = act(&b, &id, "actions", &[("text", "Spoke to the pupil.")]).await;
    assert!(page.contains(&format!("Your action on {r} is on its timeline")));
    let page = act(
        &b,
        &id,
        "status",
        &[
            ("status", "closed"),
            ("reason", "resolved"),
            ("outcome", "Parents told."),
        ],
    )
    .await;
    assert!(page.contains(&format!("You changed the status of {r} to Closed")));
    assert!(page.contains("Reopen the case"));
    let page = act(
        &b,
        &id,
        "status",
        &[
            ("status", "in_progress"),
            ("reason", "new information from parent"),
        ],
    )
    .await;
    assert!(page.contains(&format!("You changed the status of {r} to In progress")));
    assert!(
        page.contains("Reopened: status changed from Closed to In progress: "),
        "the timeline in plain words"
    );
    assert!(page.contains("new information from parent"));
    let timeline = &page[page.find("id=\"timeline\"").unwrap()..];
    assert!(!timeline.contains("in_progress") && !timeline.contains("Field:"));
    let page = act(&b, &id, "assign", &[("user_id", &dsl.id)]).await;
    assert!(page.contains(&format!("You assigned {r} to Dee Dsl")));
    let page = act(&b, &id, "escalate", &[("reason", "a child may be at risk")]).await;
    assert!(page.contains(&format!(
        "You escalated {r} to the Designated Safeguarding Lead"
    )));
    assert!(
        !page.contains("Escalate to the DSL"),
        "not on an escalated case"
    );
    assert!(page.contains("Escalated from Online Safety Lead to Designated Safeguarding Lead"));
    let page = act(
        &b,
        &id,
        "referrals",
        &[
            ("agency", "police"),
            ("date", "2025-11-11"),
            ("reference", "PC-77"),
        ],
    )
    .await;
    assert!(page.contains(&format!("Your referral for {r} is recorded")));

    // The DSL is not offered to escalate to themselves.
    let d = app.signed_in(&dsl).await;
    let other = quick_incident(&app, &token, "Pia Panel", "device-misuse", "phone").await;
    let page = d.text(&format!("/incidents/{}", id_of(&other))).await;
    assert!(!page.contains("Escalate to the DSL"));

    // The headteacher acknowledges; a DSL's case is not pressed on them.
    let dsl_case = quick_incident(&app, &token, "Pia Panel", "online-bullying", "chat").await;
    let h = app.signed_in(&head).await;
    let page = h.text(&format!("/incidents/{}", id_of(&dsl_case))).await;
    assert!(
        !page.contains(">Take ownership<"),
        "not offered as the main action"
    );
    assert!(
        page.contains("Take it over yourself"),
        "but they can choose to"
    );
    let page = act(&h, &id_of(&dsl_case), "acknowledge", &[]).await;
    assert!(page.contains(&format!(
        "You acknowledged {} for the leadership group",
        reference_of(&dsl_case)
    )));
    assert!(!page.contains("Acknowledge for the leadership group<"));
}

async fn a_referral_with_its_reference_to_follow_waits_on_the_dashboard_until_it_is_added(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&staff);
    let made = quick_incident(&app, &token, "Rae Referral", "grooming-contact", "adult").await;
    let (id, r) = (id_of(&made), reference_of(&made));
    let b = app.signed_in(&dsl).await;

    // Neither a reference nor "to follow": told what to do, with the typed date kept.
    let res = b
        .post(
            &format!("/incidents/{id}/referrals"),
            &[
                ("agency", "ceop"),
                ("date", "2025-11-10"),
                ("reference", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Reference to follow") && html.contains("value=\"2025-11-10\""));

    let page = act(
        &b,
        &id,
        "referrals",
        &[
            ("agency", "ceop"),
            ("date", "2025-11-10"),
            ("reference_to_follow", "yes"),
        ],
    )
    .await;
    assert!(page.contains("Reference to follow") && page.contains("Add the reference"));
    assert!(page.contains("Referred to CEOP on 10/11/2025, reference to follow."));
    let home = b.text("/").await;
    let waiting = &home[home.find("id=\"awaiting-reference\"").expect("the section")..];
    assert!(waiting.contains(&r) && waiting.contains("add the reference"));

    // The export and the report say so.
    let lead = app.quick_token(&dsl);
    let csv = app
        .get_with("/api/v1/export.csv", &lead)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("CEOP, 10/11/2025, reference to follow"),
        "{csv}"
    );
    let (_, report) = api_get(&app, &lead, "/api/v1/reports/termly?year=2025&term=autumn").await;
    assert_eq!(report["referrals_awaiting_reference"], 1);
    let report_page = b.text("/reports/2025/autumn").await;
    assert!(report_page.contains("Referrals still waiting for the agency's reference"));

    // Adding it: the dashboard no longer lists it.
    let referral = safelog::cases::store::referrals_of(&mut app.conn(), &id).unwrap();
    let add = format!("/incidents/{id}/referrals/{}/reference", referral[0].id);
    let res = b.post(&add, &[("reference", "")]).await;
    assert_eq!(res.status(), 422, "an empty reference is refused");
    let res = b.post(&add, &[("reference", "CEOP-2025-991")]).await;
    assert_eq!(res.status(), 303);
    let page = b.text(&location(&res)).await;
    assert!(page.contains(&format!("The referral's reference for {r} is recorded")));
    assert!(page.contains("CEOP-2025-991"));
    let home = b.text("/").await;
    assert!(!home.contains("id=\"awaiting-reference\""));
    let res = b.post(&add, &[("reference", "again")]).await;
    assert_eq!(res.status(), 422, "a reference is added once");
}

async fn a_senior_leader_acknowledges_but_never_a_restricted_incident_nor_one_they_logged(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let deputy = app.add_user("Dev Deputy", &[Role::Leadership, Role::Staff]);
    let head = app.add_user("Hal Head", &[Role::Headteacher]);
    let token = app.quick_token(&staff);
    let deputy_token = app.quick_token(&deputy);
    let bullying = quick_incident(&app, &token, "Lee Lead", "online-bullying", "chat").await;
    let conduct = quick_incident(&app, &token, "Lee Lead", "staff-conduct", "a teacher").await;
    let own = quick_incident(&app, &deputy_token, "Lee Lead", "harmful-content", "seen").await;

    // Reads what the Online Safety Lead reads; never restricted categories.
    let (status, _) = api_get(
        &app,
        &deputy_token,
        &format!("/api/v1/incidents/{}", id_of(&bullying)),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = api_get(
        &app,
        &deputy_token,
        &format!("/api/v1/incidents/{}", id_of(&conduct)),
    )
    .await;
    assert_eq!(status, 404);
    let b = app.signed_in(&deputy).await;
    let home = b.text("/").await;
    let awaiting = section(&home, "acknowledgement");
    assert!(awaiting.contains(&reference_of(&bullying)));
    assert!(!home.contains(&reference_of(&conduct)));
    assert!(!awaiting.contains(&reference_of(&own)), "not their own");

    // Acknowledges; refused (404) on the restricted one and on their own.
    let (status, body) = case(
        &app,
        &deputy_token,
        &id_of(&bullying),
        "acknowledge",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["lg_acknowledged"].as_bool().unwrap());
    let (status, _) = case(
        &app,
        &deputy_token,
        &id_of(&conduct),
        "acknowledge",
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = case(&app, &deputy_token, &id_of(&own), "acknowledge", json!({})).await;
    assert_eq!(status, 409);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("You logged this incident"));
    let page = b.text(&format!("/incidents/{}", id_of(&own))).await;
    assert!(page.contains(
        "You logged this incident, so another member of the leadership group acknowledges it."
    ));
    // A senior leader reads and acknowledges; they do not work cases.
    let (status, _) = case(&app, &deputy_token, &id_of(&own), "take", json!({})).await;
    assert_eq!(status, 404);

    // The headteacher keeps restricted categories.
    let (status, _) = case(
        &app,
        &app.quick_token(&head),
        &id_of(&conduct),
        "acknowledge",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
}

async fn the_record_reads_in_plain_words_and_lists_repeated_views_as_one_sitting(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&staff);
    let made = quick_incident(&app, &token, "Vic Viewed", "online-bullying", "chat").await;
    let id = id_of(&made);
    let dsl_token = app.quick_token(&dsl);
    assert_eq!(case(&app, &dsl_token, &id, "take", json!({})).await.0, 200);

    // The member of staff who logged it: plain status, no version number.
    let s = app.signed_in(&staff).await;
    let page = s.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Being dealt with") && !page.contains("Version"));
    let home = s.text("/").await;
    let mine = &home[home.find("id=\"mine\"").expect("their incidents")..];
    assert!(mine.contains(&reference_of(&made)) && mine.contains("Being dealt with"));

    // A correction names the field and both values.
    let res = api_post(
        &app,
        &dsl_token,
        &format!("/api/v1/incidents/{id}/corrections"),
        &json!({"version": 2, "reason": "typo", "tutor_group": "9C"}),
    )
    .await;
    assert_eq!(res.status(), 200);

    let b = app.signed_in(&dsl).await;
    for _ in 0..3 {
        b.text(&format!("/incidents/{id}")).await;
        app.clock.advance(chrono::Duration::minutes(5));
    }
    // A later sitting (the first session has timed out by then).
    app.clock.advance(chrono::Duration::hours(2));
    let b = app.signed_in(&dsl).await;
    b.text(&format!("/incidents/{id}")).await;
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(
        page.contains("Corrected: Tutor group") && page.contains("Tutor group, before"),
        "{}",
        section(&page, "timeline")
    );
    assert!(page.contains("9B") && page.contains("9C"));
    let viewed = &page[page.find("id=\"viewed-by\"").unwrap()..];
    assert_eq!(
        viewed.matches("Dee Dsl").count(),
        2,
        "two sittings: {viewed}"
    );
    assert!(viewed.contains(">3<"), "three views in the first sitting");
    let rows: usize = app
        .audit_actions()
        .iter()
        .filter(|(a, who, _)| a == "incident_viewed" && who.as_deref() == Some(dsl.id.as_str()))
        .count();
    assert_eq!(rows, 5, "the audit trail keeps every view");
}

async fn the_governors_report_names_the_school_and_offers_them_no_developer_buttons(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let osl = app.add_user("Olu Osl", &[Role::OnlineSafetyLead]);
    let governor = app.add_user("Gil Governor", &[Role::Governor]);
    quick_incident(
        &app,
        &app.quick_token(&staff),
        "Gia Gov",
        "online-bullying",
        "x",
    )
    .await;
    let lead = app.signed_in(&osl).await;
    for term in ["2025/summer", "2025/autumn"] {
        let (y, t) = term.split_once('/').unwrap();
        let y = if t == "summer" { "2024" } else { y };
        let res = lead
            .post(
                &format!("/reports/{y}/{t}/publish"),
                &[("commentary", "Quiet term.")],
            )
            .await;
        assert_eq!(res.status(), 303, "{term}");
    }
    let g = app.signed_in(&governor).await;
    let page = g.text("/reports/2025/autumn").await;
    assert!(page.contains("Test School") && page.contains("none acknowledged"));
    assert!(
        !page.contains(">JSON<"),
        "no developer buttons for governors"
    );
    assert!(lead.text("/reports/2025/autumn").await.contains(">JSON<"));
}

on_both_backends!(
    a_dsl_with_forty_open_incidents_sees_one_queue_urgent_first_with_what_to_decide_on,
    an_alert_is_seen_once_its_reader_opens_the_record_or_dismisses_it,
    each_case_action_says_what_happened_and_the_panel_changes,
    a_referral_with_its_reference_to_follow_waits_on_the_dashboard_until_it_is_added,
    a_senior_leader_acknowledges_but_never_a_restricted_incident_nor_one_they_logged,
    the_record_reads_in_plain_words_and_lists_repeated_views_as_one_sitting,
    the_governors_report_names_the_school_and_offers_them_no_developer_buttons,
);
