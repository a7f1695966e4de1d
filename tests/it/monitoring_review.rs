//! The rest of issue 17: the annual filtering and monitoring review for
//! governors (exact figures on a fixed set of alerts, small numbers hidden,
//! published and frozen), the register of filtering decisions, the people
//! a school names to triage alerts, the inbox's pages, and the categories
//! KCSIE 2025 and 2026 add (offered to a school made before them; a
//! category renamed after publishing leaves the published report quiet).

use diesel::prelude::*;
use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{location, spawn_app, Backend, TestApp};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::monitoring::{alert, key_for};
use crate::on_both_backends;

fn count(f: &[safelog::reports::model::Count], key: &str) -> i64 {
    f.iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("a line {key} in {f:?}"))
        .count
}

/// The shown cell of a review line, from the page.
fn cell(html: &str, key: &str) -> String {
    let at = html
        .find(&format!("data-line=\"{key}\""))
        .unwrap_or_else(|| panic!("line {key} on the page"));
    let rest = &html[at..];
    let td = rest.find("<td class=\"num\">").unwrap() + "<td class=\"num\">".len();
    rest[td..rest[td..].find("</td>").unwrap() + td].to_string()
}

async fn the_annual_review_counts_a_fixed_set_of_alerts_exactly_hides_small_numbers_and_stays_as_published(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    let sw = key_for(&app, &school, "Smoothwall");
    let senso = key_for(&app, &school, "Senso");
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let governor = app.add_user("Gail Governor", &[Role::Governor]);
    let staff = app.add_user("Sam Staff", &[Role::Staff]);

    // One alert of the year before (2024/25) that must not count.
    let today = app.clock.now();
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 8, 20, 9, 0, 0).unwrap());
    alert(
        &app,
        &sw,
        json!({"alert_id": "old-1", "severity": "critical"}),
    )
    .await;
    app.clock.set(today);

    // 2025/26: Smoothwall six, Senso two.
    let canary = "CANARY-typed-words-4471";
    let mut ids = std::collections::HashMap::new();
    for (id, sev) in [
        ("s1", "critical"),
        ("s2", "high"),
        ("s3", "high"),
        ("s4", "low"),
        ("s5", "medium"),
        ("s6", "high"),
    ] {
        let body = json!({"alert_id": id, "severity": sev, "pupil": "jsmith", "text": canary});
        ids.insert(id, alert(&app, &sw, body).await);
    }
    for (id, sev) in [("e1", "high"), ("e2", "low")] {
        ids.insert(
            id,
            alert(&app, &senso, json!({"alert_id": id, "severity": sev})).await,
        );
    }
    let token = app.quick_token(&dsl);
    let step = |id: &str, what: &str| format!("/api/v1/monitoring/alerts/{}/{what}", ids[id]);
    // First looks after 10, 20, 30, 60, 120 and 125 minutes: median 45.
    app.clock.advance(chrono::Duration::minutes(10));
    let res = api_post(&app, &token, &step("s1", "acknowledge"), &json!({})).await;
    assert_eq!(res.status(), 200);
    app.clock.advance(chrono::Duration::minutes(10));
    let token = app.quick_token(&dsl);
    let res = api_post(
        &app,
        &token,
        &step("s5", "promote"),
        &json!({"pupil_name": "Alex Alert", "tutor_group": "9B", "category": "filtering-breach",
                "details": "A proxy site got through the filter."}),
    )
    .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    for (id, minutes, reason) in [
        ("s2", 10, "false_positive"),
        ("s3", 30, "false_positive"),
        ("s6", 60, "false_positive"),
        ("s4", 5, "already_known"),
    ] {
        app.clock.advance(chrono::Duration::minutes(minutes));
        let token = app.quick_token(&dsl);
        let res = api_post(
            &app,
            &token,
            &step(id, "dismiss"),
            &json!({"reason": reason}),
        )
        .await;
        assert_eq!(res.status(), 200);
    }
    // And one filtering-breach incident logged by hand.
    let token = app.quick_token(&dsl);
    quick_incident(&app, &token, "Bea Bypass", "filtering-breach", "VPN found").await;

    // The register: a decision, then its correction.
    let b = app.signed_in(&dsl).await;
    let res = b
        .post(
            "/filtering-review/decisions",
            &[
                ("decided_on", "15/09/2025"),
                ("change", "YouTube allowed for Year 10 media studies"),
                ("decided_by", "DSL with the IT manager"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422, "the reason is required");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("YouTube allowed for Year 10"),
        "typed text kept"
    );
    let res = b
        .post(
            "/filtering-review/decisions",
            &[
                ("decided_on", "15/09/2025"),
                ("change", "YouTube allowed for Year 10 media studies"),
                ("decided_by", "DSL with the IT manager"),
                ("reason", "Lessons need it; restricted mode stays on"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/filtering-review/decisions?saved=1");

    // Exact figures.
    let (first, last) =
        safelog::monitoring::review::window(&mut app.conn(), &school, 2025).unwrap();
    assert_eq!(
        (first.to_string(), last.to_string()),
        ("2025-09-01".into(), "2026-08-31".into())
    );
    let f = safelog::monitoring::review::compute(&mut app.conn(), &school, first, last).unwrap();
    assert_eq!(f.alerts, 8);
    assert_eq!(count(&f.by_source, "smoothwall"), 6);
    assert_eq!(count(&f.by_source, "senso"), 2);
    assert_eq!(count(&f.by_severity, "critical"), 1);
    assert_eq!(count(&f.by_severity, "high"), 4);
    assert_eq!(count(&f.by_severity, "medium"), 1);
    assert_eq!(count(&f.by_severity, "low"), 2);
    assert_eq!(count(&f.by_outcome, "open"), 2);
    assert_eq!(count(&f.by_outcome, "acknowledged"), 1);
    assert_eq!(count(&f.by_outcome, "dismissed_false_positive"), 3);
    assert_eq!(count(&f.by_outcome, "dismissed_already_known"), 1);
    assert_eq!(count(&f.by_outcome, "dismissed_other"), 0);
    assert_eq!(count(&f.by_outcome, "promoted"), 1);
    assert_eq!(f.looked_at, 6);
    // 10, 20, 30, 60, 120, 125 minutes.
    assert_eq!(f.median_minutes_to_first_look, Some(45));
    assert_eq!(f.promoted, 1);
    assert_eq!(count(&f.promoted_became, "filtering-breach"), 1);
    assert_eq!(f.filtering_breach_incidents, 2);
    assert_eq!(f.decisions.len(), 1);
    let before = safelog::monitoring::review::window(&mut app.conn(), &school, 2024).unwrap();
    let old =
        safelog::monitoring::review::compute(&mut app.conn(), &school, before.0, before.1).unwrap();
    assert_eq!(old.alerts, 1, "the August alert counts in 2024/25");

    // The page: small numbers hidden (k = 3), no pupil, no alert text.
    let page = b.text("/filtering-review/2025").await;
    assert_eq!(cell(&page, "smoothwall"), "6");
    assert_eq!(cell(&page, "senso"), "&lt;3");
    assert_eq!(cell(&page, "high"), "4");
    assert_eq!(cell(&page, "critical"), "&lt;3");
    assert_eq!(cell(&page, "dismissed_false_positive"), "3");
    assert_eq!(cell(&page, "promoted"), "&lt;3");
    assert_eq!(cell(&page, "dismissed_other"), "0");
    assert!(page.contains("45 min"), "the median time to first look");
    assert!(page.contains("Lessons need it; restricted mode stays on"));
    for private in [canary, "jsmith", "Alex Alert", "Bea Bypass"] {
        assert!(!page.contains(private), "{private} on the review");
    }

    // Governors and staff see nothing before it is published.
    let gov = app.signed_in(&governor).await;
    assert_eq!(gov.get("/filtering-review/2025").await.status(), 404);
    assert_eq!(
        app.signed_in(&staff)
            .await
            .get("/filtering-review")
            .await
            .status(),
        404
    );
    let res = b
        .post("/filtering-review/2025/publish", &[("commentary", "")])
        .await;
    assert_eq!(res.status(), 422, "the commentary is required");
    let res = b
        .post(
            "/filtering-review/2025/publish",
            &[(
                "commentary",
                "Filtering held; one proxy got through and was blocked.",
            )],
        )
        .await;
    assert_eq!(location(&res), "/filtering-review/2025");
    let published = gov.text("/filtering-review/2025").await;
    assert!(published.contains("Filtering held; one proxy got through"));
    assert_eq!(cell(&published, "smoothwall"), "6");

    // A later alert and register entry: the governors' copy stands.
    alert(&app, &senso, json!({"alert_id": "e3", "severity": "high"})).await;
    alert(&app, &senso, json!({"alert_id": "e4", "severity": "high"})).await;
    let res = b
        .post(
            "/filtering-review/decisions",
            &[
                ("decided_on", "01/10/2025"),
                ("change", "Gaming sites blocked at lunch"),
                ("decided_by", "Headteacher"),
                ("reason", "Behaviour policy"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let after = gov.text("/filtering-review/2025").await;
    assert_eq!(cell(&after, "senso"), "&lt;3", "as published");
    assert!(!after.contains("Gaming sites blocked"));
    assert!(
        !after.contains("have changed since"),
        "no live note for governors"
    );
    let p = safelog::monitoring::review::store::publication(&mut app.conn(), &school, 2025)
        .unwrap()
        .unwrap();
    assert_eq!(p.snapshot.figures.alerts, 8);
    let lead = b.text("/filtering-review/2025").await;
    assert!(lead.contains("have changed since this review was published"));
    assert!(lead.contains("now 10 alerts (published 8)"), "{lead}");
    // Publishing again needs a reason.
    let res = b
        .post(
            "/filtering-review/2025/publish",
            &[("commentary", "Again.")],
        )
        .await;
    assert_eq!(res.status(), 422);
}

async fn the_register_of_filtering_decisions_is_append_only_and_corrected_by_new_entries(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let add = |extra: Vec<(&'static str, String)>| {
        let mut f = vec![
            ("decided_on", "2025-09-10".to_string()),
            (
                "change",
                "Social media blocked for Years 7 to 9".to_string(),
            ),
            ("decided_by", "Online Safety Lead".to_string()),
            ("reason", "Age limits".to_string()),
        ];
        for (k, v) in extra {
            f.retain(|(name, _)| *name != k);
            f.push((k, v));
        }
        f
    };
    let fields = add(vec![]);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        b.post("/filtering-review/decisions", &pairs).await.status(),
        303
    );
    let first =
        safelog::monitoring::review::store::decisions(&mut app.conn(), &app.school_id(), None)
            .unwrap()[0]
            .id
            .clone();
    let fields = add(vec![
        ("corrects_id", first.clone()),
        ("decided_on", "11/09/2025".into()),
    ]);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        b.post("/filtering-review/decisions", &pairs).await.status(),
        303
    );
    let page = b.text("/filtering-review/decisions").await;
    assert!(
        page.contains("Correction of the entry of 10/09/2025"),
        "{page}"
    );
    // Not another school's entry, not a date after today, not NUL.
    for (field, value) in [
        ("corrects_id", uuid::Uuid::new_v4().to_string()),
        ("decided_on", "01/01/2030".to_string()),
        ("reason", "nul\u{0}".to_string()),
    ] {
        let fields = add(vec![(field, value)]);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            b.post("/filtering-review/decisions", &pairs).await.status(),
            422,
            "{field}"
        );
    }
    // The database refuses a change.
    use safelog::db::schema::filtering_decisions;
    let changed = diesel::update(filtering_decisions::table.find(&first))
        .set(filtering_decisions::reason.eq("rewritten"))
        .execute(&mut app.conn());
    assert!(changed.is_err(), "an entry is never changed");
}

async fn a_member_of_staff_the_school_names_triages_alerts_and_nobody_else_does(backend: Backend) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    let key = key_for(&app, &school, "Lightspeed");
    let id = alert(&app, &key, json!({"alert_id": "l-1", "severity": "high"})).await;
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let it = app.add_user("Ian It", &[Role::Staff]);
    let other = app.add_user("Olly Other", &[Role::Staff]);
    let gov = app.add_user("Gus Governor", &[Role::Governor]);
    assert_eq!(
        app.signed_in(&it).await.get("/monitoring").await.status(),
        404
    );

    let a = app.signed_in(&admin).await;
    let res = a
        .post(
            "/admin/monitoring/triagers",
            &[("user_id", gov.id.as_str())],
        )
        .await;
    assert_eq!(res.status(), 422, "a governor is not a member of staff");
    let res = a
        .post("/admin/monitoring/triagers", &[("user_id", it.id.as_str())])
        .await;
    assert_eq!(location(&res), "/admin/monitoring/triagers?saved=1");
    let page = a.text("/admin/monitoring/triagers").await;
    assert!(page.contains("Ian It"));

    let named = app.signed_in(&it).await;
    let inbox = named.text("/monitoring").await;
    assert!(
        inbox.contains("Lightspeed"),
        "the named person sees the inbox"
    );
    let res = api_post(
        &app,
        &app.quick_token(&it),
        &format!("/api/v1/monitoring/alerts/{id}/acknowledge"),
        &json!({}),
    )
    .await;
    assert_eq!(res.status(), 200, "and triages");
    assert_eq!(
        app.signed_in(&other)
            .await
            .get("/monitoring")
            .await
            .status(),
        404
    );
    let (status, _) = api_get(&app, &app.quick_token(&other), "/api/v1/monitoring/alerts").await;
    assert_eq!(status, 404, "nobody else");

    // Named in this school only: the neighbour's inbox stays closed to them.
    let res = a
        .post(
            "/admin/monitoring/triagers/remove",
            &[("user_id", it.id.as_str())],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.signed_in(&it).await.get("/monitoring").await.status(),
        404
    );
}

async fn a_dsl_with_500_alerts_sees_them_in_pages_most_severe_and_newest_first_with_counts(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let school = app.school_id();
    key_for(&app, &school, "Impero");
    let key_id: String = {
        use safelog::db::schema::monitoring_keys;
        monitoring_keys::table
            .filter(monitoring_keys::school_id.eq(&school))
            .select(monitoring_keys::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let start = app.clock.now_naive() - chrono::Duration::days(10);
    let mut conn = app.conn();
    for n in 0..500 {
        let severity = match n % 10 {
            0 => safelog::monitoring::model::Severity::Critical,
            1..=3 => safelog::monitoring::model::Severity::High,
            _ => safelog::monitoring::model::Severity::Low,
        };
        let tool_id = format!("bulk-{n:03}");
        safelog::monitoring::store::insert_alert(
            &mut conn,
            &safelog::monitoring::store::NewAlert {
                school_id: &school,
                key_id: &key_id,
                source: "Impero",
                source_key: "impero",
                tool_alert_id: &tool_id,
                occurred_at: None,
                tool_severity: severity.as_str(),
                severity,
                device: None,
                account: None,
                pupil_identifier: None,
                pupil_id: None,
                category_hint: None,
                text: None,
                url: None,
                extra: None,
            },
            start + chrono::Duration::minutes(n),
        )
        .unwrap();
    }
    drop(conn);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let b = app.signed_in(&dsl).await;
    let first = b.text("/monitoring").await;
    assert!(first.contains("500 alerts"));
    assert!(
        first.contains("Alerts 1 to 50 of 500 (page 1 of 10)"),
        "{first}"
    );
    assert!(first.contains("rel=\"next\""));
    // The newest critical first: bulk-490 arrived last of the critical ones.
    let rows: Vec<&str> = first.matches("badge severity ").collect();
    assert!(rows.len() >= 50);
    let critical = first.find("badge severity critical").unwrap();
    assert!(
        first.find("badge severity high").unwrap() > critical,
        "critical before high"
    );
    let alerts_of = |html: &str| -> String {
        let from = html.find("id=\"alerts\"").unwrap();
        let to = html.find("id=\"figures\"").unwrap();
        html[from..to].to_string()
    };
    let last = alerts_of(&b.text("/monitoring?status=open&page=10").await);
    assert!(
        last.contains("Alerts 451 to 500 of 500 (page 10 of 10)"),
        "{last}"
    );
    assert!(
        !last.contains("badge severity critical"),
        "the low ones last"
    );
    assert!(!last.contains("rel=\"next\""));
    // Filters are kept from page to page; a page past the end is the last.
    let high = b
        .text("/monitoring?status=open&severity=high&page=99")
        .await;
    assert!(
        high.contains("Alerts 101 to 150 of 150 (page 3 of 3)"),
        "{high}"
    );
    assert!(high.contains("status=open&amp;severity=high&amp;source=&amp;pupil_id=&amp;page=2"));
    let (_, api) = api_get(
        &app,
        &app.quick_token(&dsl),
        "/api/v1/monitoring/alerts?per_page=200&page=3",
    )
    .await;
    assert_eq!(api["total"], 500);
    assert_eq!(api["items"].as_array().unwrap().len(), 100);
}

/// The categories of a school, by code.
fn codes(app: &TestApp) -> Vec<String> {
    safelog::categories::store::for_school(&mut app.conn(), &app.school_id(), app.clock.now_naive())
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect()
}

/// Takes the new categories away, as a school made before them had none.
fn as_an_older_school(app: &TestApp) {
    use safelog::db::schema::categories;
    diesel::delete(
        categories::table
            .filter(categories::school_id.eq(app.school_id()))
            .filter(categories::code.eq_any(safelog::categories::defaults::KCSIE_2025_2026)),
    )
    .execute(&mut app.conn())
    .unwrap();
}

async fn a_new_school_has_the_kcsie_2025_2026_categories_and_an_older_one_is_offered_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    for code in ["misinformation", "ai-generated-imagery", "misogyny"] {
        assert!(
            codes(&app).contains(&code.to_string()),
            "{code} for a new school"
        );
    }
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let page = b.text("/admin/categories").await;
    assert!(
        !page.contains("New categories from KCSIE"),
        "nothing to offer"
    );

    as_an_older_school(&app);
    let before = codes(&app).len();
    let page = b.text("/admin/categories").await;
    assert!(page.contains("New categories from KCSIE 2025/2026: add"));
    assert_eq!(codes(&app).len(), before, "nothing changes until accepted");
    let res = b
        .post("/admin/categories/standard", &[("code", "no-such-thing")])
        .await;
    assert_eq!(res.status(), 422);
    for code in ["misogyny", "ai-generated-imagery"] {
        let res = b
            .post("/admin/categories/standard", &[("code", code)])
            .await;
        assert_eq!(location(&res), "/admin/categories?saved=1");
    }
    let cats = safelog::categories::store::for_school(
        &mut app.conn(),
        &app.school_id(),
        app.clock.now_naive(),
    )
    .unwrap();
    let ai = cats
        .iter()
        .find(|c| c.code == "ai-generated-imagery")
        .unwrap();
    assert!(ai.urgent && ai.owner_role == "dsl" && ai.active);
    assert!(safelog::categories::safeguards::refuses_attachments(
        &ai.code
    ));
    let page = b.text("/admin/categories").await;
    assert!(page.contains("Misinformation, disinformation or conspiracy theories"));
    assert!(
        !page.contains("value=\"misogyny\""),
        "misogyny is no longer offered"
    );

    // Its safeguards hold as nudes-sharing's do.
    let res = b
        .post(
            &format!("/admin/categories/{}", ai.id),
            &[
                ("name", ai.name.as_str()),
                ("four_c", "conduct"),
                ("owner_role", "online_safety_lead"),
                ("guidance", "Have a look first."),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("must stay with the DSL") && html.contains("must stay urgent"));
    // Staff are told, as for nudes-sharing, when they choose it.
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let form = app.signed_in(&staff).await.text("/incidents/new").await;
    assert!(form.contains("Treat them as real images"));
}

async fn a_category_renamed_after_publishing_leaves_the_published_report_unchanged_and_its_comparison_quiet(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let osl = app.add_user("Olive Osl", &[Role::OnlineSafetyLead]);
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let governor = app.add_user("Gail Governor", &[Role::Governor]);
    let token = app.quick_token(&osl);
    for n in 0..3 {
        quick_incident(
            &app,
            &token,
            &format!("Pupil {n}"),
            "online-bullying",
            "Messages",
        )
        .await;
    }
    let lead = app.signed_in(&osl).await;
    let res = lead
        .post(
            "/reports/2025/autumn/publish",
            &[("commentary", "Autumn so far.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, published) =
        api_get(&app, &token, "/api/v1/reports/termly?year=2025&term=autumn").await;
    let bullying = published["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "online-bullying")
        .cloned();
    assert_eq!(
        bullying,
        Some(
            json!({"key": "online-bullying", "label": "Online bullying or child-on-child abuse", "count": 3})
        ),
        "keyed by code"
    );

    // The administrator renames the category.
    let cat =
        safelog::categories::store::by_code(&mut app.conn(), &app.school_id(), "online-bullying")
            .unwrap()
            .unwrap();
    let res = app
        .signed_in(&admin)
        .await
        .post(
            &format!("/admin/categories/{}", cat.id),
            &[
                ("name", "Cyberbullying and peer-on-peer abuse"),
                ("four_c", "conduct"),
                ("owner_role", "dsl"),
                ("guidance", cat.guidance.as_str()),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    // The published report is as it was, and its comparison quiet.
    let (_, after) = api_get(&app, &token, "/api/v1/reports/termly?year=2025&term=autumn").await;
    assert_eq!(after["by_category"], published["by_category"]);
    assert!(after["changed_since_publishing"].is_null(), "{after}");
    let html = lead.text("/reports/2025/autumn").await;
    assert!(
        !html.contains("The figures have changed since"),
        "no spurious change"
    );
    let gov = app
        .signed_in(&governor)
        .await
        .text("/reports/2025/autumn")
        .await;
    assert!(
        gov.contains("Online bullying or child-on-child abuse"),
        "the name as published"
    );
    assert!(!gov.contains("Cyberbullying and peer-on-peer abuse"));
    // A real change is still noticed.
    quick_incident(&app, &token, "Pupil 9", "online-bullying", "More").await;
    let (_, later) = api_get(&app, &token, "/api/v1/reports/termly?year=2025&term=autumn").await;
    let changed: Vec<Value> = later["changed_since_publishing"]["changed"]
        .as_array()
        .unwrap()
        .clone();
    assert!(changed.contains(&json!("by_category")), "{later}");
}

async fn a_category_added_later_is_no_line_of_an_earlier_years_report(backend: Backend) {
    let app = spawn_app(backend).await;
    as_an_older_school(&app);
    // A day after the school was made (and its first set seeded).
    app.clock.advance(chrono::Duration::days(1));
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let res = app
        .signed_in(&admin)
        .await
        .post("/admin/categories/standard", &[("code", "misinformation")])
        .await;
    assert_eq!(res.status(), 303);
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let keys = |r: &Value| -> Vec<String> {
        r["by_category"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap().to_string())
            .collect()
    };
    // Added in November 2025: in 2025/26's reports, not in 2024/25's.
    let (_, summer) = api_get(&app, &token, "/api/v1/reports/termly?year=2024&term=summer").await;
    assert!(
        !keys(&summer).contains(&"misinformation".to_string()),
        "{summer}"
    );
    assert!(keys(&summer).contains(&"online-bullying".to_string()));
    let (_, autumn) = api_get(&app, &token, "/api/v1/reports/termly?year=2025&term=autumn").await;
    assert!(keys(&autumn).contains(&"misinformation".to_string()));
}

on_both_backends!(
    the_annual_review_counts_a_fixed_set_of_alerts_exactly_hides_small_numbers_and_stays_as_published,
    the_register_of_filtering_decisions_is_append_only_and_corrected_by_new_entries,
    a_member_of_staff_the_school_names_triages_alerts_and_nobody_else_does,
    a_dsl_with_500_alerts_sees_them_in_pages_most_severe_and_newest_first_with_counts,
    a_new_school_has_the_kcsie_2025_2026_categories_and_an_older_one_is_offered_them,
    a_category_renamed_after_publishing_leaves_the_published_report_unchanged_and_its_comparison_quiet,
    a_category_added_later_is_no_line_of_an_earlier_years_report,
);
