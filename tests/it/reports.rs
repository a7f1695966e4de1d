//! Term dates and governors' termly reports.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use safelog::auth::Role;
use safelog::db::schema::{incidents, referrals};
use safelog::reports::terms::{Term, TermName};
use serde_json::{json, Value};

use crate::helpers::{location, spawn_app, Backend, TestApp, TestUser};
use crate::incidents::{api_get, api_post};
use crate::on_both_backends;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn an_administrator_sets_term_dates_and_holidays_count_in_the_term_before(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let page = b.text("/admin/terms?year=2025").await;
    assert!(
        page.contains("value=\"2025-09-01\"") && page.contains("value=\"2026-08-31\""),
        "defaults shown"
    );

    let res = b
        .post(
            "/admin/terms",
            &[
                ("year", "2025"),
                ("autumn_starts", "2025-09-03"),
                ("autumn_ends", "2025-12-19"),
                ("spring_starts", "2026-01-05"),
                ("spring_ends", "2026-03-27"),
                ("summer_starts", "2026-04-13"),
                ("summer_ends", "2026-07-22"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/terms?year=2025&saved=1");
    let mut conn = app.conn();
    let school = admin.school_id.as_str();
    let autumn = safelog::reports::store::term(&mut conn, school, 2025, TermName::Autumn).unwrap();
    assert_eq!(
        (autumn.starts_on, autumn.ends_on),
        (date(2025, 9, 3), date(2025, 12, 19))
    );
    let christmas =
        safelog::reports::store::term_containing(&mut conn, school, date(2025, 12, 25)).unwrap();
    assert_eq!(christmas.term, TermName::Autumn);
    let easter =
        safelog::reports::store::term_containing(&mut conn, school, date(2026, 4, 2)).unwrap();
    assert_eq!(easter.term, TermName::Spring);
    let next_year =
        safelog::reports::store::term(&mut conn, school, 2026, TermName::Autumn).unwrap();
    assert_eq!(
        next_year.starts_on,
        date(2026, 9, 1),
        "a year not set keeps the defaults"
    );
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, _)| a == "terms_changed"));
}

async fn overlapping_term_dates_are_refused_with_what_was_typed_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            "/admin/terms",
            &[
                ("year", "2025"),
                ("autumn_starts", "2025-09-03"),
                ("autumn_ends", "2026-01-10"),
                ("spring_starts", "2026-01-05"),
                ("spring_ends", "2026-03-27"),
                ("summer_starts", "2026-04-13"),
                ("summer_ends", "not a date"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"2026-01-10\"") && html.contains("value=\"not a date\""));
    assert!(html.contains("Summer 2025/26 end: enter a date"), "{html}");
    let autumn =
        safelog::reports::store::term(&mut app.conn(), &admin.school_id, 2025, TermName::Autumn)
            .unwrap();
    assert_eq!(autumn.starts_on, date(2025, 9, 1), "nothing saved");
}

on_both_backends!(
    an_administrator_sets_term_dates_and_holidays_count_in_the_term_before,
    overlapping_term_dates_are_refused_with_what_was_typed_kept,
);

// ---------------------------------------------------------------------------
// Termly reports.
//
// The fixture: academic year 2024/25 with the school's own term dates
// (autumn 3 Sep to 20 Dec, spring 6 Jan to 4 Apr, summer 22 Apr to 22 Jul),
// 2025/26 and 2023/24 on the defaults. The report under test is summer
// 2024/25 (`year=2024&term=summer`), counted from 22 April to 31 August
// 2025 (the summer holiday counts in it). It is compared with spring
// 2024/25 (6 January to 21 April 2025: the Easter holiday counts in spring)
// and summer 2023/24 (1 April to 2 September 2024). "Today" is 12 November
// 2025, in autumn 2025/26.

const BULLYING: &str = "Online bullying or child-on-child abuse";

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

struct Fixture {
    app: TestApp,
    osl: TestUser,
    dsl: TestUser,
    head: TestUser,
    governor: TestUser,
    staff: TestUser,
    /// Unique to the test: in every pupil's name and every incident's details.
    canary: String,
    ids: HashMap<&'static str, String>,
    references: Vec<String>,
}

/// One incident as the fixture logs it.
struct Planned {
    name: &'static str,
    date: Option<&'static str>,
    category: &'static str,
    tutor_group: &'static str,
    location: &'static str,
    /// When it was logged (the API logs it "now"; moved here afterwards).
    logged: &'static str,
    acknowledged: Option<&'static str>,
    closed: Option<&'static str>,
}

#[allow(clippy::too_many_arguments)]
const fn plan(
    name: &'static str,
    date: Option<&'static str>,
    category: &'static str,
    tutor_group: &'static str,
    location: &'static str,
    logged: &'static str,
    acknowledged: Option<&'static str>,
    closed: Option<&'static str>,
) -> Planned {
    Planned {
        name,
        date,
        category,
        tutor_group,
        location,
        logged,
        acknowledged,
        closed,
    }
}

const PLAN: &[Planned] = &[
    // Summer 2024/25, the report's term.
    plan(
        "S1",
        Some("2025-04-25"),
        "online-bullying",
        "9B",
        "in_school",
        "2025-04-25 09:00",
        Some("2025-04-25 11:00"),
        Some("2025-05-10 12:00"),
    ),
    plan(
        "S2",
        Some("2025-05-02"),
        "online-bullying",
        "9B",
        "online_at_home",
        "2025-05-02 09:00",
        Some("2025-05-02 14:00"),
        Some("2025-09-15 12:00"),
    ),
    plan(
        "S3",
        Some("2025-05-20"),
        "online-bullying",
        "10C",
        "outside_school",
        "2025-05-20 09:00",
        Some("2025-05-20 10:00"),
        Some("2025-06-01 12:00"),
    ),
    plan(
        "S4",
        Some("2025-05-21"),
        "online-bullying",
        "10C",
        "in_school",
        "2025-05-21 09:00",
        Some("2025-05-22 15:00"),
        Some("2025-07-01 12:00"),
    ),
    plan(
        "S5",
        Some("2025-06-03"),
        "harmful-content",
        "9B",
        "in_school",
        "2025-06-03 09:00",
        Some("2025-06-03 19:00"),
        Some("2025-06-20 12:00"),
    ),
    plan(
        "S6",
        Some("2025-06-10"),
        "harmful-content",
        "7A",
        "unknown",
        "2025-06-10 09:00",
        Some("2025-06-10 16:00"),
        None,
    ),
    plan(
        "S7",
        Some("2025-07-01"),
        "grooming-contact",
        "9B",
        "online_at_home",
        "2025-07-01 09:00",
        None,
        None,
    ),
    // In the summer holiday: still summer. Acknowledged after the term.
    plan(
        "S8",
        Some("2025-08-15"),
        "scams-gambling",
        "11F",
        "online_at_home",
        "2025-08-15 09:00",
        Some("2025-09-05 09:00"),
        Some("2025-08-31 23:00"),
    ),
    // No date: counts in the term it was logged.
    plan(
        "S9",
        None,
        "online-bullying",
        "9B",
        "in_school",
        "2025-06-18 09:00",
        None,
        Some("2025-06-30 12:00"),
    ),
    // Entered in error (below): in no figure.
    plan(
        "E1",
        Some("2025-05-05"),
        "online-bullying",
        "9B",
        "in_school",
        "2025-05-05 09:00",
        Some("2025-05-05 10:00"),
        None,
    ),
    // Spring 2024/25.
    plan(
        "P1",
        Some("2025-02-10"),
        "online-bullying",
        "8A",
        "in_school",
        "2025-02-10 09:00",
        Some("2025-02-10 13:00"),
        Some("2025-03-01 12:00"),
    ),
    // The Easter holiday: spring.
    plan(
        "P2",
        Some("2025-04-10"),
        "harmful-content",
        "8A",
        "online_at_home",
        "2025-04-10 09:00",
        Some("2025-04-10 12:00"),
        None,
    ),
    plan(
        "P3",
        Some("2025-03-03"),
        "system-misuse",
        "8A",
        "in_school",
        "2025-03-03 09:00",
        Some("2025-03-03 17:00"),
        Some("2025-05-01 12:00"),
    ),
    // The Christmas holiday: autumn 2024/25, not spring.
    plan(
        "X1",
        Some("2025-01-02"),
        "online-bullying",
        "8A",
        "outside_school",
        "2025-01-06 09:00",
        None,
        Some("2025-01-20 12:00"),
    ),
    // Summer 2023/24, the same term last year.
    plan(
        "L1",
        Some("2024-05-01"),
        "online-bullying",
        "9B",
        "in_school",
        "2024-05-01 09:00",
        None,
        Some("2024-05-20 12:00"),
    ),
    plan(
        "L2",
        Some("2024-06-01"),
        "harmful-content",
        "9B",
        "in_school",
        "2024-06-01 09:00",
        None,
        Some("2024-06-20 12:00"),
    ),
    plan(
        "L3",
        Some("2024-09-02"),
        "online-bullying",
        "9B",
        "in_school",
        "2024-09-02 09:00",
        None,
        Some("2024-09-20 12:00"),
    ),
    plan(
        "L4",
        Some("2024-07-15"),
        "online-bullying",
        "9B",
        "in_school",
        "2024-07-15 09:00",
        None,
        None,
    ),
    // Logged long after (as an imported spreadsheet row would be), still
    // open: it counts in its term, but was not an open case at the end of
    // summer 2024/25.
    plan(
        "L5",
        Some("2024-06-10"),
        "online-bullying",
        "9B",
        "in_school",
        "2025-10-02 09:00",
        None,
        None,
    ),
    // Autumn 2025/26, after the report's term.
    plan(
        "A1",
        Some("2025-10-01"),
        "online-bullying",
        "9B",
        "in_school",
        "2025-10-01 09:00",
        None,
        None,
    ),
    // No date, logged today (12 November 2025): autumn 2025/26.
    plan(
        "U1",
        None,
        "online-bullying",
        "9B",
        "in_school",
        "2025-11-12 10:30",
        None,
        None,
    ),
];

async fn fixture(backend: Backend) -> Fixture {
    let app = spawn_app(backend).await;
    let osl = app.add_user("Olive Osl", &[Role::OnlineSafetyLead]);
    let dsl = app.add_user("Dev Dsl", &[Role::Dsl]);
    let head = app.add_user("Hana Head", &[Role::Headteacher]);
    let governor = app.add_user("Gil Governor", &[Role::Governor]);
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let school = osl.school_id.clone();
    let mut year = TermName::ALL.map(|t| Term::default_for(2024, t));
    year[0].starts_on = date(2024, 9, 3);
    year[0].ends_on = date(2024, 12, 20);
    year[1].starts_on = date(2025, 1, 6);
    year[1].ends_on = date(2025, 4, 4);
    year[2].starts_on = date(2025, 4, 22);
    year[2].ends_on = date(2025, 7, 22);
    safelog::reports::store::save_year(
        &mut app.conn(),
        &school,
        &year,
        &osl.id,
        app.clock.now_naive(),
    )
    .unwrap();

    let canary = format!("Canary{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let token = app.quick_token(&staff);
    let mut ids = HashMap::new();
    let mut references = Vec::new();
    for (i, p) in PLAN.iter().enumerate() {
        let res = api_post(
            &app,
            &token,
            "/api/v1/incidents",
            &json!({
                "pupil_name": format!("Pupil{i} {canary}"),
                "tutor_group": p.tutor_group,
                "incident_date": p.date,
                "category": p.category,
                "location": p.location,
                "platform": format!("Platform {canary}"),
                "details": format!("What happened to {canary} number {i}"),
            }),
        )
        .await;
        assert_eq!(res.status(), 201, "{}", p.name);
        let made: Value = res.json().await.unwrap();
        let id = made["id"].as_str().unwrap().to_string();
        references.push(made["reference"].as_str().unwrap().to_string());
        let logged = at(p.logged);
        let mut conn = app.conn();
        diesel::update(incidents::table.find(&id))
            .set((
                incidents::logged_at.eq(logged),
                incidents::counted_on.eq(p
                    .date
                    .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
                    .unwrap_or(logged.date())),
                incidents::lg_acknowledged_at.eq(p.acknowledged.map(at)),
                // Acknowledged by a person (an imported one has nobody).
                incidents::lg_acknowledged_by.eq(p.acknowledged.map(|_| dsl.id.clone())),
                incidents::closed_at.eq(p.closed.map(at)),
            ))
            .execute(&mut conn)
            .unwrap();
        ids.insert(p.name, id);
    }
    // Entered in error, through the real action.
    let res = api_post(
        &app,
        &app.quick_token(&dsl),
        &format!("/api/v1/incidents/{}/entered-in-error", ids["E1"]),
        &json!({"reason": "Logged twice"}),
    )
    .await;
    assert_eq!(res.status(), 200);

    // Referrals: counted in the term they were made.
    for (incident, agency, on) in [
        ("S7", "police", "2025-07-02"),
        ("S3", "police", "2025-05-25"),
        ("S1", "police", "2025-04-30"),
        ("S7", "ceop", "2025-07-03"),
        // A spring incident referred in summer: summer.
        ("P2", "social_care", "2025-04-23"),
        // A summer incident referred in autumn: not summer.
        ("S2", "lado", "2025-09-10"),
        // Of an incident entered in error: nowhere.
        ("E1", "police", "2025-05-06"),
    ] {
        diesel::insert_into(referrals::table)
            .values((
                referrals::id.eq(uuid::Uuid::new_v4().to_string()),
                referrals::incident_id.eq(&ids[incident]),
                referrals::school_id.eq(&school),
                referrals::agency.eq(agency),
                referrals::referred_on.eq(NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap()),
                referrals::recorded_at.eq(app.clock.now_naive()),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    Fixture {
        app,
        osl,
        dsl,
        head,
        governor,
        staff,
        canary,
        ids,
        references,
    }
}

const SUMMER: &str = "/api/v1/reports/termly?year=2024&term=summer";

/// A breakdown as (key, count) pairs.
fn pairs(v: &Value) -> Vec<(String, Value)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(
                c.as_object().unwrap().len(),
                3,
                "only key, label and count: {c}"
            );
            (c["key"].as_str().unwrap().to_string(), c["count"].clone())
        })
        .collect()
}

fn expect(list: &[(&str, Value)]) -> Vec<(String, Value)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

async fn every_figure_of_a_term_report_is_the_expected_number_with_small_counts_hidden(
    backend: Backend,
) {
    let f = fixture(backend).await;
    // Live figures: a lead's (a governor reads only what is published).
    let gov = f.app.quick_token(&f.dsl);
    let (status, r) = api_get(&f.app, &gov, SUMMER).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r["term"],
        json!({"year": 2024, "term": "summer", "starts_on": "2025-04-22", "ends_on": "2025-07-22"})
    );
    assert_eq!(
        (r["counted_from"].as_str(), r["counted_to"].as_str()),
        (Some("2025-04-22"), Some("2025-08-31"))
    );
    assert_eq!(r["k"], 3);
    // S1-S9: the holiday's S8 and the undated S9 in, E1 out.
    assert_eq!(r["total"], 9);
    // P1-P3 (the Easter holiday's P2 in; the Christmas holiday's X1 not).
    assert_eq!(r["previous_term_total"], 3);
    // L1-L5 (L3 on 2 September 2024, before autumn 2024/25 began).
    assert_eq!(r["same_term_last_year_total"], 5);

    let categories = pairs(&r["by_category"]);
    assert_eq!(categories.len(), 19, "every active category is listed");
    // Keyed by code, so that a category renamed later is the same line.
    let named: HashMap<String, Value> = categories.into_iter().collect();
    assert_eq!(named["online-bullying"], json!(5));
    assert_eq!(named["harmful-content"], json!("<3"));
    assert_eq!(named["grooming-contact"], json!("<3"));
    assert_eq!(named["scams-gambling"], json!("<3"));
    for (name, count) in &named {
        if ![
            "online-bullying",
            "harmful-content",
            "grooming-contact",
            "scams-gambling",
        ]
        .contains(&name.as_str())
        {
            assert_eq!(count, &json!(0), "{name}");
        }
    }
    assert_eq!(
        pairs(&r["by_four_c"]),
        expect(&[
            ("content", json!("<3")),
            ("contact", json!("<3")),
            ("conduct", json!(5)),
            ("commerce", json!("<3")),
            ("none", json!(0)),
        ])
    );
    assert_eq!(
        pairs(&r["by_year_group"]),
        expect(&[
            ("7", json!("<3")),
            ("9", json!(5)),
            ("10", json!("<3")),
            ("11", json!("<3")),
        ])
    );
    assert_eq!(
        pairs(&r["by_month"]),
        expect(&[
            ("2025-04", json!("<3")),
            ("2025-05", json!(3)),
            ("2025-06", json!(3)),
            ("2025-07", json!("<3")),
            ("2025-08", json!("<3")),
        ])
    );
    assert_eq!(
        pairs(&r["by_location"]),
        expect(&[
            ("in_school", json!(4)),
            ("out_of_school", json!(4)),
            ("unknown", json!("<3")),
        ])
    );
    assert_eq!(
        pairs(&r["referrals_by_agency"]),
        expect(&[
            ("police", json!(3)),
            ("ceop", json!("<3")),
            ("social_care", json!("<3")),
        ])
    );
    // S1-S6 by the end of term (S8's came after it; E1 is out): 2, 5, 1,
    // 30, 10 and 7 hours, so the median is (5 + 7) / 2.
    assert_eq!(r["acknowledged"], 6);
    assert_eq!(r["median_hours_to_acknowledge"], 6.0);
    // S2 (closed after the term), S6, S7, and earlier terms' P2 and L4;
    // not L5, logged only in October.
    assert_eq!(r["open_at_end_of_term"], 5);
    assert_eq!(r["commentary"], Value::Null);
    assert_eq!(r["published_at"], Value::Null);
    assert_eq!(r["changed_since_publishing"], Value::Null);

    // Spring: three acknowledged after 4, 3 and 8 hours (odd: the middle one).
    let (_, spring) = api_get(&f.app, &gov, "/api/v1/reports/termly?year=2024&term=spring").await;
    assert_eq!(spring["total"], 3);
    assert_eq!(spring["acknowledged"], 3);
    assert_eq!(spring["median_hours_to_acknowledge"], 4.0);
    assert_eq!(
        spring["previous_term_total"], 1,
        "X1, in the Christmas holiday"
    );
    assert_eq!(pairs(&spring["referrals_by_agency"]), vec![]);
    // Autumn 2025/26: A1 and U1, logged undated today.
    let (_, autumn) = api_get(&f.app, &gov, "/api/v1/reports/termly?year=2025&term=autumn").await;
    assert_eq!(autumn["total"], 2);
    assert_eq!(autumn["previous_term_total"], 9);
    assert_eq!(
        pairs(&autumn["referrals_by_agency"]),
        expect(&[("lado", json!("<3"))])
    );

    // The CSV says the same.
    let b = f.app.signed_in(&f.dsl).await;
    let res = b.get("/reports/2024/summer.csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("safelog-report-2024-summer.csv"));
    let csv = res.text().await.unwrap();
    for line in [
        "section,key,label,count\r\n",
        "totals,total,Summer 2024/25,9\r\n",
        "totals,previous_term_total,Spring 2024/25,3\r\n",
        "totals,same_term_last_year_total,Summer 2023/24,5\r\n",
        &format!("by_category,online-bullying,{BULLYING},5\r\n"),
        "by_category,scams-gambling,\"Gambling, scams or phishing\",<3\r\n",
        "by_four_c,conduct,Conduct,5\r\n",
        "by_year_group,10,Year 10,<3\r\n",
        "by_month,2025-05,May 2025,3\r\n",
        "by_location,unknown,Not known,<3\r\n",
        "referrals_by_agency,police,Police (101/999),3\r\n",
        "acknowledgement,median_hours_to_acknowledge,Median hours from logging to acknowledgement,6.0\r\n",
        "open,open_at_end_of_term,Cases still open at the end of term,5\r\n",
    ] {
        assert!(csv.contains(line), "{line} in\n{csv}");
    }

    // The page: the totals, the "<3" cells, each breakdown once: a table
    // whose rows carry their bars, and no bar for a hidden count.
    let html = b.text("/reports/2024/summer").await;
    assert!(html.contains("Online safety report: Summer 2024/25"));
    assert_eq!(
        html.matches("<table").count(),
        9,
        "the totals, six breakdowns, the decisions and acknowledgement, once each"
    );
    for caption in [
        "Incidents by category",
        "Incidents by 4C",
        "Incidents by month",
        "Incidents by year group",
        "Where incidents happened",
        "Referrals by agency",
    ] {
        assert_eq!(
            html.matches(&format!("<caption>{caption}")).count(),
            1,
            "{caption} once"
        );
    }
    // Bars only for counts shown as numbers: bullying 5; conduct 5; May
    // and June 3 each; year 9 5; in and out of school 4 each; police 3.
    assert_eq!(html.matches("<svg").count(), 8, "{html}");
    let cells = |c: &str| html.matches(&format!("<span class=\"n\">{c}")).count();
    assert_eq!(
        html.matches("<svg").count(),
        cells("") - cells("&lt;3<") - cells("0<"),
        "a bar beside every number but nought and \"<3\""
    );
    assert!(
        html.contains("None this term: Nudes or semi-nudes"),
        "categories with no incidents named once, not as rows"
    );
    assert!(html.contains("&lt;3"));
    assert!(html.contains("6.0 hours"));
    assert!(html.contains("print-confidential"));
    assert!(
        !html.contains("style=") && !html.contains("<script>"),
        "nothing the CSP refuses"
    );
    assert!(html.contains("href=\"/reports/2024/summer.csv\""));
}

async fn a_governor_reaches_reports_and_nothing_else_and_no_report_names_a_pupil(backend: Backend) {
    let f = fixture(backend).await;
    let app = &f.app;
    let gov = app.quick_token(&f.governor);
    // Every route that asks for a role: a governor's are the reports and
    // nothing else, and every other one is a 404 to them, with real records
    // filled in. (Routes open to anyone signed in are their own account,
    // the start page and such.)
    let pupil_id = {
        let (_, made) = api_get(
            app,
            &app.quick_token(&f.osl),
            &format!("/api/v1/incidents/{}", f.ids["S1"]),
        )
        .await;
        made["pupil_id"].as_str().unwrap().to_string()
    };
    let mut checked = 0;
    for route in safelog::app::route_table() {
        let p = route.path;
        let safelog::auth::Access::Roles(roles) = route.access else {
            continue;
        };
        // The termly reports, and the annual filtering and monitoring
        // review (published ones only, as reports are).
        let report = p == "/reports"
            || p.starts_with("/reports/")
            || p == "/api/v1/reports/termly"
            || ((p == "/filtering-review" || p.starts_with("/filtering-review/"))
                && p != "/filtering-review/decisions");
        if roles.contains(&Role::Governor) {
            assert!(report, "{} {p} is open to governors", route.method);
            continue;
        }
        if report {
            continue;
        }
        let path = p
            .replace(
                "{id}",
                if p.starts_with("/pupils/") {
                    &pupil_id
                } else {
                    &f.ids["S1"]
                },
            )
            .replace("{name}", "x");
        let req = match route.method {
            actix_web::http::Method::GET => app.client.get(app.url(&path)),
            _ => app.client.post(app.url(&path)).json(&json!({})),
        };
        let res = req.bearer_auth(&gov).send().await.unwrap();
        assert_eq!(
            res.status(),
            404,
            "{} {path} must be hidden from a governor",
            route.method
        );
        checked += 1;
    }
    assert!(checked > 20);
    // Routes still to come (export, case actions) are 404 too.
    for path in ["/api/v1/export.csv", "/incidents/export.csv"] {
        assert_eq!(app.get_with(path, &gov).await.status(), 404, "{path}");
    }
    let ack = format!("/api/v1/incidents/{}/acknowledge", f.ids["S1"]);
    let res = app
        .client
        .post(app.url(&ack))
        .bearer_auth(&gov)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "{ack}");

    // What a governor can read holds no name, tutor group, reference,
    // detail, platform or date finer than the month (once published).
    let osl = app.signed_in(&f.osl).await;
    for term in ["/reports/2024/summer", "/reports/2025/autumn"] {
        let res = osl
            .post(
                &format!("{term}/publish"),
                &[("commentary", "Figures for governors.")],
            )
            .await;
        assert_eq!(res.status(), 303, "{term}");
    }
    let b = app.signed_in(&f.governor).await;
    let list = b.text("/reports").await;
    assert!(list.contains("/reports/2024/summer"), "{list}");
    assert!(list.contains("/reports/2025/autumn"));
    let mut bodies = vec![("list", list)];
    for path in [
        "/reports/2024/summer",
        "/reports/2024/summer.csv",
        SUMMER,
        "/reports/2025/autumn",
        "/",
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        bodies.push((path, res.text().await.unwrap()));
    }
    // The page's random CSRF token could hold "9B" by chance.
    let csrf = b.cookie("safelog_csrf").unwrap_or_default();
    for (_, body) in &mut bodies {
        *body = body.replace(csrf.as_str(), "");
    }
    for (path, body) in &bodies {
        assert!(!body.contains(&f.canary), "{path} holds a canary");
        for r in &f.references {
            assert!(!body.contains(r.as_str()), "{path} holds a reference");
        }
        for group in ["9B", "10C", "7A", "11F", "8A"] {
            assert!(!body.contains(group), "{path} holds a tutor group");
        }
        for day in [
            "2025-05-20",
            "2025-06-10",
            "2025-07-01",
            "20/05/2025",
            "10 June 2025",
        ] {
            assert!(!body.contains(day), "{path} holds the day {day}");
        }
    }
    let home = bodies
        .iter()
        .find(|(p, _)| *p == "/")
        .map(|(_, b)| b.as_str())
        .unwrap();
    assert!(
        home.contains("href=\"/reports\""),
        "a card and a link to the reports"
    );
    let css = app.get("/assets/style.css").await.text().await.unwrap();
    assert!(
        css.contains("size: A4")
            && css.contains(".print-confidential { display: block; position: fixed")
    );
    // Governors get nothing for the incident behind the figures.
    assert_eq!(
        app.get_with(&format!("/api/v1/incidents/{}", f.ids["S7"]), &gov)
            .await
            .status(),
        404
    );

    // Each view and download is in the audit trail, with who and which report.
    let trail: Vec<(String, Option<String>, Option<String>)> = app
        .audit_actions()
        .into_iter()
        .filter(|(_, actor, _)| actor.as_deref() == Some(f.governor.id.as_str()))
        .filter(|(a, _, _)| a.starts_with("report_"))
        .collect();
    let of = |action: &str, record: &str| {
        trail
            .iter()
            .filter(|(a, _, r)| a == action && r.as_deref() == Some(record))
            .count()
    };
    assert_eq!(of("report_viewed", "2024-summer"), 1);
    assert_eq!(of("report_viewed", "2025-autumn"), 1);
    assert_eq!(
        of("report_downloaded", "2024-summer"),
        2,
        "the CSV and the JSON"
    );
}

async fn publishing_freezes_the_figures_and_a_later_correction_shows_beside_them(backend: Backend) {
    let f = fixture(backend).await;
    let app = &f.app;
    let osl = app.signed_in(&f.osl).await;
    let page = osl.text("/reports/2024/summer").await;
    assert!(page.contains("Not published yet"));
    assert!(page.contains("action=\"/reports/2024/summer/publish\""));

    // A draft first: the governor does not see it, nor the unpublished term.
    let res = osl
        .post(
            "/reports/2024/summer/commentary",
            &[("commentary", "Draft: bullying rose in May.")],
        )
        .await;
    assert_eq!(location(&res), "/reports/2024/summer?saved=1#publishing");
    assert!(osl
        .text("/reports/2024/summer")
        .await
        .contains("Draft: bullying rose in May."));
    let gov = app.quick_token(&f.governor);
    let lead = app.quick_token(&f.dsl);
    let (status, _) = api_get(app, &gov, SUMMER).await;
    assert_eq!(status, 404, "not published: nothing for a governor");
    let (_, r) = api_get(app, &lead, SUMMER).await;
    assert_eq!(
        r["commentary"],
        Value::Null,
        "a draft is not the commentary"
    );
    let res = app
        .signed_in(&f.governor)
        .await
        .get("/reports/2024/summer")
        .await;
    assert_eq!(res.status(), 404);
    assert!(!res.text().await.unwrap().contains("Draft: bullying"));

    let res = osl
        .post(
            "/reports/2024/summer/publish",
            &[("commentary", "Bullying rose in May; assemblies followed.")],
        )
        .await;
    assert_eq!(location(&res), "/reports/2024/summer");
    let (_, published) = api_get(app, &gov, SUMMER).await;
    assert_eq!(published["total"], 9);
    assert_eq!(
        published["commentary"],
        "Bullying rose in May; assemblies followed."
    );
    assert_eq!(published["published_at"], "2025-11-12T10:30:00Z");
    assert_eq!(published["version"], 1);
    assert_eq!(published["changed_since_publishing"], Value::Null);
    let list = app.signed_in(&f.governor).await.text("/reports").await;
    assert!(list.contains("Published"), "{list}");

    // A correction afterwards: S5 (harmful content, June) really happened in
    // September, so it leaves summer.
    let res = api_post(
        app,
        &app.quick_token(&f.dsl),
        &format!("/api/v1/incidents/{}/corrections", f.ids["S5"]),
        &json!({"version": 1, "reason": "Wrong date typed", "incident_date": "2025-09-15"}),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // The governor reads what was published, and nothing live.
    let (_, theirs) = api_get(app, &gov, SUMMER).await;
    assert_eq!(theirs, published, "a governor's copy is the publication");
    // The lead sees the same figures, with what changed since.
    let (_, after) = api_get(app, &lead, SUMMER).await;
    assert_eq!(after["total"], 9, "the published figures stand");
    assert_eq!(after["by_month"], published["by_month"]);
    assert_eq!(after["by_category"], published["by_category"]);
    let changed = &after["changed_since_publishing"];
    assert_eq!(changed["total"], 8, "{after}");
    assert_eq!(changed["acknowledged"], 5);
    let parts: Vec<&str> = changed["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for part in ["total", "acknowledged", "by_category", "by_month"] {
        assert!(parts.contains(&part), "{part} in {parts:?}");
    }
    for part in [
        "open_at_end_of_term",
        "referrals_by_agency",
        "previous_term_total",
    ] {
        assert!(!parts.contains(&part), "{part} did not change: {parts:?}");
    }
    let html = osl.text("/reports/2024/summer").await;
    assert!(html.contains("The figures have changed since this report was published"));
    assert!(html.contains("total 8 (published 9)"), "{html}");
    // Autumn's live figures took it.
    let (_, autumn) = api_get(app, &lead, "/api/v1/reports/termly?year=2025&term=autumn").await;
    assert_eq!(autumn["total"], 3);

    // Publishing again needs a reason, then freezes the new figures.
    let res = osl
        .post(
            "/reports/2024/summer/publish",
            &[("commentary", "Corrected.")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("say why you are publishing it again"));
    let res = osl
        .post(
            "/reports/2024/summer/publish",
            &[
                ("commentary", "Corrected."),
                ("reason", "An incident's date was corrected"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, again) = api_get(app, &gov, SUMMER).await;
    assert_eq!(
        (again["total"].clone(), again["version"].clone()),
        (json!(8), json!(2))
    );
    assert_eq!(again["changed_since_publishing"], Value::Null);
    assert_eq!(again["commentary"], "Corrected.");
    // The first version is kept as it was.
    let versions: Vec<(i32, String)> = safelog::db::schema::report_publications::table
        .order(safelog::db::schema::report_publications::version.asc())
        .select((
            safelog::db::schema::report_publications::version,
            safelog::db::schema::report_publications::commentary,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].1, "Bullying rose in May; assemblies followed.");
    let published: Vec<String> = app
        .audit_actions()
        .into_iter()
        .filter(|(a, _, _)| a == "report_published")
        .filter_map(|(_, _, r)| r)
        .collect();
    assert_eq!(published, ["2024-summer", "2024-summer"]);
}

async fn only_the_online_safety_lead_writes_the_commentary_and_publishes(backend: Backend) {
    let f = fixture(backend).await;
    let app = &f.app;
    for user in [&f.dsl, &f.head, &f.governor, &f.staff] {
        let b = app.signed_in(user).await;
        for action in ["commentary", "publish"] {
            let res = b
                .post(
                    &format!("/reports/2024/summer/{action}"),
                    &[("commentary", "Not mine to write")],
                )
                .await;
            assert_eq!(res.status(), 404, "{action}");
        }
        let page = b.get("/reports/2024/summer").await;
        if user.id == f.staff.id {
            assert_eq!(page.status(), 404, "staff do not read reports");
        } else if user.id == f.governor.id {
            assert_eq!(page.status(), 404, "not published yet");
        } else {
            let html = page.text().await.unwrap();
            assert!(html.contains("Summer 2024/25"));
            assert!(!html.contains("/publish"), "no publishing form");
        }
    }
    assert_eq!(
        app.get_with(SUMMER, &app.quick_token(&f.staff))
            .await
            .status(),
        404
    );
    let unpublished: i64 = safelog::db::schema::report_publications::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(unpublished, 0);

    // The lead may not publish without a commentary, nor a term not begun.
    let osl = app.signed_in(&f.osl).await;
    let res = osl
        .post("/reports/2024/summer/publish", &[("commentary", "  ")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Write the commentary"));
    let res = osl
        .post(
            "/reports/2026/spring/publish",
            &[("commentary", "Too soon")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(osl.get("/reports/2026/spring").await.status(), 404);
    assert_eq!(osl.get("/reports/2024/winter").await.status(), 404);
    let res = osl
        .post("/reports/2024/summer/publish", &[("commentary", "Ours.")])
        .await;
    assert_eq!(res.status(), 303);
    let page = app
        .signed_in(&f.governor)
        .await
        .text("/reports/2024/summer")
        .await;
    assert!(page.contains("Ours.") && !page.contains("/publish"));
}

async fn the_school_sets_k_and_every_breakdown_honours_it(backend: Backend) {
    let f = fixture(backend).await;
    let app = &f.app;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let form = b.text("/admin/school").await;
    assert!(form.contains("name=\"report_min_count\"") && form.contains("value=\"3\""));
    let res = b
        .post(
            "/admin/school",
            &[
                ("name", "Test School"),
                ("require_2fa", "none"),
                ("report_min_count", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    // Spring is published at k = 3; summer is not.
    let osl = app.signed_in(&f.osl).await;
    let res = osl
        .post("/reports/2024/spring/publish", &[("commentary", "Quiet.")])
        .await;
    assert_eq!(res.status(), 303);
    let res = b
        .post(
            "/admin/school",
            &[
                ("name", "Test School"),
                ("require_2fa", "none"),
                ("report_min_count", "6"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin?saved=1");

    let gov = app.quick_token(&f.dsl);
    let (_, r) = api_get(app, &gov, SUMMER).await;
    assert_eq!(r["k"], 6);
    let (_, published) = api_get(app, &gov, "/api/v1/reports/termly?year=2024&term=spring").await;
    assert_eq!(
        published["k"], 6,
        "raising k hides more of a published report too"
    );
    assert_eq!(published["total"], 3);
    assert_eq!(r["total"], 9, "totals stay numbers");
    assert_eq!(
        pairs(&r["by_location"]),
        expect(&[
            ("in_school", json!("<6")),
            ("out_of_school", json!("<6")),
            ("unknown", json!("<6"))
        ])
    );
    assert_eq!(
        pairs(&r["by_four_c"]),
        expect(&[
            ("content", json!("<6")),
            ("contact", json!("<6")),
            ("conduct", json!("<6")),
            ("commerce", json!("<6")),
            ("none", json!(0)),
        ])
    );
    let html = app
        .signed_in(&f.dsl)
        .await
        .text("/reports/2024/summer")
        .await;
    assert!(html.contains("&lt;6") && !html.contains("&lt;3"));

    // k = 1 shows every count.
    b.post(
        "/admin/school",
        &[
            ("name", "Test School"),
            ("require_2fa", "none"),
            ("report_min_count", "1"),
        ],
    )
    .await;
    let (_, r) = api_get(app, &gov, SUMMER).await;
    assert_eq!(r["k"], 1);
    assert_eq!(
        pairs(&r["by_location"]),
        expect(&[
            ("in_school", json!(4)),
            ("out_of_school", json!(4)),
            ("unknown", json!(1))
        ])
    );
    // A published report keeps the k it was published with (2 in school,
    // 1 online at home): lowering k shows no more of it.
    let spring = "/api/v1/reports/termly?year=2024&term=spring";
    let (_, r) = api_get(app, &gov, spring).await;
    assert_eq!(r["k"], 3);
    assert_eq!(
        pairs(&r["by_location"]),
        expect(&[
            ("in_school", json!("<3")),
            ("out_of_school", json!("<3")),
            ("unknown", json!(0))
        ])
    );
}

async fn a_bad_year_or_term_is_a_422_that_says_what_to_send(backend: Backend) {
    let app = spawn_app(backend).await;
    let gov = app.add_user("Gil Governor", &[Role::Governor]);
    let token = app.quick_token(&gov);
    for q in [
        "",
        "?year=2025",
        "?term=autumn",
        "?year=twenty&term=autumn",
        "?year=2025&term=winter",
        "?year=25&term=autumn",
        "?year=%zz",
    ] {
        let (status, body) = api_get(&app, &token, &format!("/api/v1/reports/termly{q}")).await;
        assert_eq!(status, 422, "{q}");
        assert_eq!(body["error"], "invalid");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("year=2025&term=autumn"),
            "{q}: {body}"
        );
    }
    // A term not begun: the lead is told so; to a governor it is one more
    // report not published.
    let osl = app.add_user("Olive Osl", &[Role::OnlineSafetyLead]);
    let lead = app.quick_token(&osl);
    let not_begun = "/api/v1/reports/termly?year=2026&term=summer";
    let (status, body) = api_get(&app, &lead, not_begun).await;
    assert_eq!(status, 422);
    assert!(body["message"].as_str().unwrap().contains("has not begun"));
    let (status, _) = api_get(&app, &token, not_begun).await;
    assert_eq!(status, 404);
    // A new school: the lead sees this term's report, empty, and the list
    // offers it; the governor has nothing published to read.
    let (status, body) = api_get(&app, &lead, "/api/v1/reports/termly?year=2025&term=Autumn").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0);
    assert_eq!(body["median_hours_to_acknowledge"], Value::Null);
    let list = app.signed_in(&osl).await.text("/reports").await;
    assert!(list.contains("Current term"));
    let list = app.signed_in(&gov).await.text("/reports").await;
    assert!(list.contains("No report has been published yet"), "{list}");
    assert!(!list.contains("href=\"/reports/2025/autumn\""));
}

async fn an_acknowledgement_imported_from_the_spreadsheet_counts_but_not_in_how_fast(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let head = app.add_user("Hal Head", &[Role::Headteacher]);
    let token = app.quick_token(&staff);
    let mut ids = Vec::new();
    for n in 0..2 {
        let made = crate::incidents::quick_incident(
            &app,
            &token,
            "Ida Import",
            "online-bullying",
            &format!("case {n}"),
        )
        .await;
        ids.push(made["id"].as_str().unwrap().to_string());
    }
    let logged = app.clock.now_naive();
    // One acknowledged by the headteacher 4 hours on; one as an import does it.
    diesel::update(incidents::table.find(&ids[0]))
        .set((
            incidents::lg_acknowledged_at.eq(logged + chrono::Duration::hours(4)),
            incidents::lg_acknowledged_by.eq(&head.id),
        ))
        .execute(&mut app.conn())
        .unwrap();
    diesel::update(incidents::table.find(&ids[1]))
        .set(incidents::lg_acknowledged_at.eq(logged))
        .execute(&mut app.conn())
        .unwrap();
    app.clock.advance(chrono::Duration::hours(5));
    let (status, report) = api_get(
        &app,
        &app.quick_token(&head),
        "/api/v1/reports/termly?year=2025&term=autumn",
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["acknowledged"], 2);
    assert_eq!(report["median_hours_to_acknowledge"], 4.0);
}

async fn the_incident_list_counts_a_holiday_in_the_term_before_as_reports_do(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let mut year = TermName::ALL.map(|t| Term::default_for(2024, t));
    year[0].ends_on = NaiveDate::from_ymd_opt(2024, 12, 20).unwrap();
    year[1].starts_on = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    safelog::reports::store::save_year(
        &mut app.conn(),
        &dsl.school_id,
        &year,
        &dsl.id,
        app.clock.now_naive(),
    )
    .unwrap();
    let token = app.quick_token(&dsl);
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "Holly Day", "tutor_group": "8A", "incident_date": "2024-12-27",
            "category": "online-bullying", "details": "over Christmas",
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let (_, autumn) = api_get(&app, &token, "/api/v1/incidents?year=2024&term=autumn").await;
    assert_eq!(autumn["total"], 1, "{autumn}");
    let (_, spring) = api_get(&app, &token, "/api/v1/incidents?year=2024&term=spring").await;
    assert_eq!(spring["total"], 0, "{spring}");
}

/// The report links of a list page, in the order shown.
fn report_links(html: &str) -> Vec<String> {
    html.split("href=\"/reports/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|p| format!("/reports/{p}"))
        .collect()
}

async fn a_governor_lists_only_published_terms_newest_first(backend: Backend) {
    let f = fixture(backend).await;
    let app = &f.app;
    let osl = app.signed_in(&f.osl).await;
    // Published out of order, and one twice: the list is by term.
    for (term, reason) in [
        ("2024/spring", ""),
        ("2025/autumn", ""),
        ("2023/summer", ""),
        ("2024/spring", "A date was corrected"),
    ] {
        let res = osl
            .post(
                &format!("/reports/{term}/publish"),
                &[("commentary", "For governors."), ("reason", reason)],
            )
            .await;
        assert_eq!(res.status(), 303, "{term}");
    }
    let list = app.signed_in(&f.governor).await.text("/reports").await;
    assert_eq!(
        report_links(&list),
        [
            "/reports/2025/autumn",
            "/reports/2024/spring",
            "/reports/2023/summer"
        ],
        "{list}"
    );
    assert!(list.contains("(version 2)"));
    assert!(!list.contains("Not published yet") && !list.contains("Current term"));
    // The lead's list still offers every term, published or not.
    let theirs = report_links(&osl.text("/reports").await);
    for term in ["/reports/2024/summer", "/reports/2024/autumn"] {
        assert!(theirs.iter().any(|l| l == term), "{term} in {theirs:?}");
    }
}

/// The Online Safety Lead publishes a term (`/reports/YEAR/TERM`) with this
/// commentary, as governors will then read it.
async fn publish(osl: &crate::helpers::Browser, term: &str, commentary: &str) {
    let res = osl
        .post(&format!("{term}/publish"), &[("commentary", commentary)])
        .await;
    assert_eq!(res.status(), 303, "{term} published");
}

async fn a_governor_gets_a_404_for_an_unpublished_terms_page_csv_and_json(backend: Backend) {
    let f = fixture(backend).await;
    let app = &f.app;
    publish(
        &app.signed_in(&f.osl).await,
        "/reports/2024/summer",
        "Summer only.",
    )
    .await;
    let gov = app.quick_token(&f.governor);
    let lead = app.quick_token(&f.dsl);
    let spring = [
        "/reports/2024/spring",
        "/reports/2024/spring.csv",
        "/api/v1/reports/termly?year=2024&term=spring",
    ];
    for path in spring {
        assert_eq!(app.get_with(path, &gov).await.status(), 404, "{path}");
        assert_eq!(app.get_with(path, &lead).await.status(), 200, "{path}");
    }
    // The current term, not published, and one not begun: 404 as well.
    for path in [
        "/reports/2025/autumn",
        "/api/v1/reports/termly?year=2025&term=autumn",
        "/reports/2026/summer",
    ] {
        assert_eq!(app.get_with(path, &gov).await.status(), 404, "{path}");
    }
    for path in ["/reports/2024/summer", "/reports/2024/summer.csv", SUMMER] {
        assert_eq!(app.get_with(path, &gov).await.status(), 200, "{path}");
    }
    // A refused read is not a read: nothing of spring in their audit trail.
    assert!(!app.audit_actions().iter().any(|(_, who, record)| {
        who.as_deref() == Some(f.governor.id.as_str()) && record.as_deref() == Some("2024-spring")
    }));
}

async fn a_governor_reads_the_published_figure_after_a_correction_and_the_lead_the_live_one(
    backend: Backend,
) {
    let f = fixture(backend).await;
    let app = &f.app;
    let osl = app.signed_in(&f.osl).await;
    publish(&osl, "/reports/2024/summer", "Bullying rose in May.").await;
    // S5 really happened in September: summer's live total is now 8.
    let res = api_post(
        app,
        &app.quick_token(&f.dsl),
        &format!("/api/v1/incidents/{}/corrections", f.ids["S5"]),
        &json!({"version": 1, "reason": "Wrong date typed", "incident_date": "2025-09-15"}),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let this_term = "<td class=\"num\"><strong>9</strong></td>";
    let governor = app.signed_in(&f.governor).await;
    let html = governor.text("/reports/2024/summer").await;
    assert!(html.contains(this_term), "the published total: {html}");
    assert!(html.contains("Bullying rose in May."));
    for live in ["The figures have changed", "total 8", "Live figures"] {
        assert!(!html.contains(live), "nothing live for a governor: {live}");
    }
    let csv = governor.text("/reports/2024/summer.csv").await;
    assert!(csv.contains("totals,total,Summer 2024/25,9\r\n"), "{csv}");
    assert!(!csv.contains("changed_since_publishing"), "{csv}");
    let (_, json) = api_get(app, &app.quick_token(&f.governor), SUMMER).await;
    assert_eq!(
        (
            json["total"].clone(),
            json["changed_since_publishing"].clone()
        ),
        (json!(9), Value::Null)
    );

    let lead = osl.text("/reports/2024/summer").await;
    assert!(
        lead.contains(this_term),
        "the lead's copy is the published one"
    );
    assert!(
        lead.contains("The figures have changed since this report was published")
            && lead.contains("total 8 (published 9)"),
        "with the live figure beside it: {lead}"
    );
    assert!(osl
        .text("/reports/2024/summer.csv")
        .await
        .contains("changed_since_publishing,total,"));
}

async fn a_governors_copy_has_no_developer_buttons_and_says_none_acknowledged(backend: Backend) {
    let f = fixture(backend).await;
    let app = &f.app;
    let osl = app.signed_in(&f.osl).await;
    // Autumn 2025/26: A1 and U1, neither acknowledged.
    publish(&osl, "/reports/2025/autumn", "Early days.").await;
    let html = app
        .signed_in(&f.governor)
        .await
        .text("/reports/2025/autumn")
        .await;
    assert!(html.contains("Test School") && html.contains("Early days."));
    assert!(html.contains("none acknowledged"), "{html}");
    assert!(!html.contains("0.0 hours"));
    assert!(html.contains("0 of 2"));
    assert!(
        !html.contains("/api/v1/reports/termly") && !html.contains(">JSON<"),
        "no JSON for a governor"
    );
    assert!(
        html.contains("href=\"/reports/2025/autumn.csv\""),
        "the published figures as CSV"
    );
    // Published before the term's counting ends: said so.
    assert!(html.contains("the figures are those up to 12 November 2025"));
    assert!(osl
        .text("/reports/2025/autumn")
        .await
        .contains("/api/v1/reports/termly?year=2025&amp;term=autumn"));
}

on_both_backends!(
    the_incident_list_counts_a_holiday_in_the_term_before_as_reports_do,
    an_acknowledgement_imported_from_the_spreadsheet_counts_but_not_in_how_fast,
    every_figure_of_a_term_report_is_the_expected_number_with_small_counts_hidden,
    a_governor_reaches_reports_and_nothing_else_and_no_report_names_a_pupil,
    publishing_freezes_the_figures_and_a_later_correction_shows_beside_them,
    only_the_online_safety_lead_writes_the_commentary_and_publishes,
    the_school_sets_k_and_every_breakdown_honours_it,
    a_bad_year_or_term_is_a_422_that_says_what_to_send,
    a_governor_lists_only_published_terms_newest_first,
    a_governor_gets_a_404_for_an_unpublished_terms_page_csv_and_json,
    a_governor_reads_the_published_figure_after_a_correction_and_the_lead_the_live_one,
    a_governors_copy_has_no_developer_buttons_and_says_none_acknowledged,
);
