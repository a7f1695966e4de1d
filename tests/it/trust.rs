//! Trust roles: a trust safeguarding lead reads, in each school of their
//! trust, what that school's DSL reads (after switching to it from the
//! header), never a school of another trust, and sees the trust dashboard
//! (`/trust`), which nobody else reaches.

use chrono::Duration;
use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{location, spawn_app, Backend, TestApp, TestUser};
use crate::incidents::{api_post, quick_incident};
use crate::on_both_backends;

/// A trust safeguarding lead of `trust`, whose home school is `home`.
pub fn trust_lead(app: &TestApp, home: &str, trust: &str, name: &str) -> TestUser {
    trust_member(app, home, trust, name, Role::TrustSafeguardingLead)
}

/// Someone holding the trust role `role` across `trust`, whose home school
/// is `home` (and who holds no role of the school itself).
pub fn trust_member(app: &TestApp, home: &str, trust: &str, name: &str, role: Role) -> TestUser {
    let member = app.add_user_to(home, name, &[]);
    let mut conn = app.conn();
    let trust = safelog::accounts::store::trust_by_name(&mut conn, trust)
        .unwrap()
        .expect("the trust");
    assert!(
        safelog::accounts::store::add_trust_role(&mut conn, &member.id, &trust.id, role).unwrap()
    );
    member
}

async fn case(app: &TestApp, token: &str, id: &str, action: &str, body: Value) {
    let res = api_post(
        app,
        token,
        &format!("/api/v1/incidents/{id}/{action}"),
        &body,
    )
    .await;
    assert_eq!(res.status(), 200, "{action}");
}

fn id(i: &Value) -> String {
    i["id"].as_str().unwrap().to_string()
}

/// One figure of one school's row on the trust dashboard.
fn figure(page: &str, school_id: &str, name: &str) -> i64 {
    let row_at = page
        .find(&format!("data-school=\"{school_id}\""))
        .unwrap_or_else(|| panic!("no row for {school_id}: {page}"));
    let row = &page[row_at..];
    let row = &row[..row.find("</tr>").unwrap()];
    let cell = &row[row.find(&format!("data-figure=\"{name}\"")).unwrap()..];
    let cell = &cell[..cell.find("</td>").unwrap()];
    let text = match cell.find("class=\"count\">") {
        Some(at) => &cell[at + "class=\"count\">".len()..],
        None => &cell[cell.find('>').unwrap() + 1..],
    };
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("{name}: {cell}"))
}

async fn a_trust_lead_reads_what_a_dsl_reads_in_each_school_of_their_trust_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Test Trust"));
    let neighbour = app.neighbour.as_ref().unwrap();
    let tutor = app.add_user("Alf Tutor", &[Role::Staff]);
    let tutor_b = app.add_user_to(&brook, "Bea Tutor", &[Role::Staff]);
    let lead = trust_lead(&app, &hill, "Test Trust", "Tess Trustlead");
    let at_hill = quick_incident(
        &app,
        &app.quick_token(&tutor),
        "Amy Alder",
        "online-bullying",
        "At the test school",
    )
    .await;
    let conduct = quick_incident(
        &app,
        &app.quick_token(&tutor),
        "Cy Conduct",
        "staff-conduct",
        "About a teacher",
    )
    .await;
    let at_brook = quick_incident(
        &app,
        &app.quick_token(&tutor_b),
        "Ben Birch",
        "online-bullying",
        "At Brook",
    )
    .await;
    let b = app.signed_in(&lead).await;
    let home = b.text("/").await;
    assert!(
        home.contains("School: <strong>Test School</strong>"),
        "{home}"
    );
    assert!(home.contains("Brook School") && home.contains("href=\"/trust\""));
    assert!(!home.contains(crate::helpers::NEIGHBOUR_SCHOOL), "{home}");
    let me: Value = b.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["roles"], json!(["trust_safeguarding_lead"]));

    // What the DSL reads: not a restricted category, nothing of Brook's
    // while working in the test school, nothing of the other trust's.
    let list = b.text("/incidents").await;
    assert!(list.contains("Amy Alder"), "{list}");
    assert!(!list.contains("Cy Conduct") && !list.contains("Ben Birch"));
    assert!(!list.contains(crate::helpers::NEIGHBOUR_PUPIL));
    assert!(
        list.contains("<h1>Incidents</h1>"),
        "the lead's list: {list}"
    );
    assert!(!list.contains("href=\"/incidents/new\""), "{list}");
    let record = b.text(&format!("/incidents/{}", id(&at_hill))).await;
    assert!(record.contains("At the test school"), "{record}");
    for offered in [
        "/notes\"",
        "/correct\"",
        "/take\"",
        "/status\"",
        "entered-in-error",
    ] {
        assert!(!record.contains(offered), "offered {offered}: {record}");
    }
    assert_eq!(
        b.get(&format!("/incidents/{}", id(&at_hill)))
            .await
            .status(),
        200
    );
    assert_eq!(
        b.get(&format!("/incidents/{}", id(&conduct)))
            .await
            .status(),
        404
    );
    assert_eq!(
        b.get(&format!("/incidents/{}", id(&at_brook)))
            .await
            .status(),
        404
    );
    let theirs = format!("/incidents/{}", neighbour.incident_id);
    assert_eq!(b.get(&theirs).await.status(), 404);
    assert_eq!(
        b.get(&format!(
            "/pupils/{}",
            at_hill["pupil_id"].as_str().unwrap()
        ))
        .await
        .status(),
        200
    );
    // Reads; logs and works nothing in the school.
    assert_eq!(b.get("/incidents/new").await.status(), 404);
    assert_eq!(b.get("/reports").await.status(), 404);
    assert!(app.audit_actions().iter().any(|(action, actor, _)| {
        action == "incident_viewed" && actor.as_deref() == Some(lead.id.as_str())
    }));

    // Switched to Brook: Brook's, as its DSL reads them.
    let res = b.post("/account/school", &[("school_id", &brook)]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/".into()));
    let list = b.text("/incidents").await;
    assert!(
        list.contains("Ben Birch") && !list.contains("Amy Alder"),
        "{list}"
    );
    assert_eq!(
        b.get(&format!("/incidents/{}", id(&at_brook)))
            .await
            .status(),
        200
    );

    // The other trust's school cannot be switched to.
    let res = b
        .post("/account/school", &[("school_id", &neighbour.school_id)])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(b.get(&theirs).await.status(), 404);
    let me: Value = b.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["school_id"], brook.as_str());

    // A trust role is no membership: no school alerts its holder.
    let alerts: i64 = {
        use diesel::prelude::*;
        use safelog::db::schema::alerts;
        alerts::table
            .filter(alerts::user_id.eq(&lead.id))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(alerts, 0);
}

async fn the_trust_dashboard_counts_each_school_of_the_trust_for_its_lead_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Test Trust"));
    let neighbour = app.neighbour.as_ref().unwrap().school_id.clone();
    let tutor = app.add_user("Alf Tutor", &[Role::Staff]);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let tutor_b = app.add_user_to(&brook, "Bea Tutor", &[Role::Staff]);
    // Logged a week ago and still new: past the pick-up time.
    let old = quick_incident(
        &app,
        &app.quick_token(&tutor),
        "Amy Alder",
        "online-bullying",
        "A week ago",
    )
    .await;
    app.clock.advance(Duration::days(7));
    let tutor_token = app.quick_token(&tutor);
    let referred = quick_incident(&app, &tutor_token, "Ben Birch", "online-bullying", "x").await;
    let closed = quick_incident(&app, &tutor_token, "Cal Cedar", "online-bullying", "y").await;
    // Restricted: the DSL does not read it, so it is not counted.
    quick_incident(&app, &tutor_token, "Cy Conduct", "staff-conduct", "z").await;
    let dsl_token = app.quick_token(&dsl);
    case(
        &app,
        &dsl_token,
        &id(&referred),
        "referrals",
        json!({"agency": "police", "date": "2025-10-02", "reference_to_follow": "yes"}),
    )
    .await;
    case(
        &app,
        &dsl_token,
        &id(&closed),
        "referrals",
        json!({"agency": "police", "date": "2025-10-02", "reference": "CAD-1"}),
    )
    .await;
    case(
        &app,
        &dsl_token,
        &id(&closed),
        "status",
        json!({"status": "closed", "reason": "Done", "outcome": "Parents told"}),
    )
    .await;
    quick_incident(
        &app,
        &app.quick_token(&tutor_b),
        "Dot Dale",
        "online-bullying",
        "At Brook",
    )
    .await;
    let lead = trust_lead(&app, &hill, "Test Trust", "Tess Trustlead");
    let b = app.signed_in(&lead).await;
    let res = b.get("/trust").await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Test Trust"), "{page}");
    let expected_hill = [
        ("open", 2),
        ("new", 1),
        ("new_past_pickup", 1),
        ("unacknowledged", 3),
        ("open_referrals", 1),
        ("awaiting_reference", 1),
    ];
    for (name, n) in expected_hill {
        assert_eq!(figure(&page, &hill, name), n, "Test School: {name}");
    }
    let expected_brook = [
        ("open", 1),
        ("new", 1),
        ("new_past_pickup", 0),
        ("unacknowledged", 1),
        ("open_referrals", 0),
        ("awaiting_reference", 0),
    ];
    for (name, n) in expected_brook {
        assert_eq!(figure(&page, &brook, name), n, "Brook School: {name}");
    }
    // A figure of 0 has nothing to open; others open that school's list.
    let brook_row = &page[page.find(&format!("data-school=\"{brook}\"")).unwrap()..];
    let brook_row = &brook_row[..brook_row.find("</tr>").unwrap()];
    assert_eq!(
        brook_row.matches("Open Brook School's list").count(),
        3,
        "open, new and unacknowledged: {brook_row}"
    );
    assert!(!page.contains(&neighbour), "the other trust's school");
    assert!(!page.contains(crate::helpers::NEIGHBOUR_SCHOOL));
    for pupil in ["Amy Alder", "Ben Birch", "Dot Dale"] {
        assert!(!page.contains(pupil), "no pupil is named: {pupil}");
    }
    let _ = old;

    // A figure's "Open": that school's list, filtered.
    let res = b
        .post(
            "/account/school",
            &[("school_id", &brook), ("then", "/incidents?status=new")],
        )
        .await;
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/incidents?status=new".into())
    );
    assert!(b.text("/incidents?status=new").await.contains("Dot Dale"));
    // Only ever the list: anything else lands on the start page.
    for then in ["https://elsewhere.test/", "//elsewhere.test", "/admin"] {
        let res = b
            .post("/account/school", &[("school_id", &hill), ("then", then)])
            .await;
        assert_eq!(location(&res), "/", "{then}");
    }
    let res = b
        .post(
            "/account/school",
            &[("school_id", &neighbour), ("then", "/incidents")],
        )
        .await;
    assert_eq!(res.status(), 404);

    // Nobody else reaches it: not the school's leads, administrators or
    // governors, nor the other trust's DSL.
    for role in [Role::Dsl, Role::Headteacher, Role::Admin, Role::Governor] {
        let holder = app.add_user(&format!("Holder {role}"), &[role]);
        let h = app.signed_in(&holder).await;
        assert_eq!(h.get("/trust").await.status(), 404, "{role}");
        assert!(!h.text("/").await.contains("href=\"/trust\""), "{role}");
    }
    let theirs = app.neighbour.as_ref().unwrap().dsl.clone();
    let n = app.signed_in(&theirs).await;
    assert_eq!(n.get("/trust").await.status(), 404);
}

on_both_backends!(
    a_trust_lead_reads_what_a_dsl_reads_in_each_school_of_their_trust_only,
    the_trust_dashboard_counts_each_school_of_the_trust_for_its_lead_only,
);

/// A school asks its trust's safeguarding lead to work its cases: from then
/// until the school ends the request the lead takes and acts on the
/// school's cases as its DSL does; before and after, they only read. The
/// lead is told by an email that names the school and nothing else, and
/// another school of the trust that did not ask stays read-only.
async fn a_school_asks_its_trust_lead_to_work_its_cases(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let dale = app.add_school("Dale School", "100003", Some("Test Trust"));
    let lead = trust_lead(&app, &hill, "Test Trust", "Tess Trustlead");
    let dsl = app.add_user("Dina Lead", &[Role::Dsl]);
    let tutor = app.add_user("Tom Tutor", &[Role::Staff]);
    let dale_tutor = app.add_user_to(&dale, "Dot Tutor", &[Role::Staff]);
    let at_hill = quick_incident(
        &app,
        &app.quick_token(&tutor),
        "Amy Alder",
        "online-bullying",
        "Messages after school",
    )
    .await;
    let at_dale = quick_incident(
        &app,
        &app.quick_token(&dale_tutor),
        "Dan Dell",
        "online-bullying",
        "At Dale",
    )
    .await;
    let take = |i: &Value| format!("/incidents/{}/take", id(i));

    let b = app.signed_in(&lead).await;
    assert_eq!(
        b.post(&take(&at_hill), &[]).await.status(),
        404,
        "only reads"
    );
    assert_eq!(b.get("/trust/help").await.status(), 404, "the school asks");

    // The DSL asks; a request without a reason is sent back.
    let d = app.signed_in(&dsl).await;
    let page = d.text("/trust/help").await;
    assert!(page.contains("Tess Trustlead"), "{page}");
    let res = d.post("/trust/help", &[("reason", "   ")]).await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Enter why you are asking"));
    let res = d
        .post("/trust/help", &[("reason", "Our DSL is away until Friday")])
        .await;
    assert_eq!(res.status(), 303);
    let told: Vec<_> = app
        .outbox()
        .into_iter()
        .filter(|(to, _, _)| *to == lead.email)
        .collect();
    assert_eq!(told.len(), 1, "the lead is emailed once");
    let (_, subject, body) = &told[0];
    assert!(subject.contains("Test School"), "{subject}");
    for secret in ["Amy Alder", "Messages after school", "away until Friday"] {
        assert!(
            !subject.contains(secret) && !body.contains(secret),
            "{secret}"
        );
    }

    // Now they work Hill's cases, not Dale's.
    let res = b.post(&take(&at_hill), &[]).await;
    assert_eq!(res.status(), 303, "the lead takes the case");
    let record = b.text(&format!("/incidents/{}", id(&at_hill))).await;
    assert!(record.contains("/status\""), "{record}");
    b.post("/account/school", &[("school_id", &dale)]).await;
    assert_eq!(
        b.post(&take(&at_dale), &[]).await.status(),
        404,
        "Dale did not ask"
    );
    b.post("/account/school", &[("school_id", &hill)]).await;
    assert_eq!(
        b.get("/trust/help").await.status(),
        404,
        "a lead working as DSL does not renew the request"
    );

    // Ended: read-only again; both steps in the school's audit trail.
    let res = d.post("/trust/help/end", &[]).await;
    assert_eq!(res.status(), 303);
    let res = b
        .post(
            &format!("/incidents/{}/actions", id(&at_hill)),
            &[("text", "Called home")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let page = d.text("/trust/help").await;
    assert!(page.contains("Our DSL is away until Friday") && page.contains("Dina Lead"));
    let actions: Vec<String> = app.audit_actions().into_iter().map(|a| a.0).collect();
    assert!(actions.contains(&"trust_help_asked".to_string()));
    assert!(actions.contains(&"trust_help_ended".to_string()));
}

on_both_backends!(a_school_asks_its_trust_lead_to_work_its_cases);
