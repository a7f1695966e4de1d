//! The trust termly report (`/trust/reports`): each school's figures side
//! by side for the trust's trustees, small counts shown as "<k", no school
//! with a handful of incidents named, no small count recoverable by
//! subtraction, published and frozen by the trust safeguarding lead.
//!
//! The fixture, autumn 2025/26 ("today" is 12 November 2025):
//! Test Trust: Test School 13 incidents, Brook School 7 (its own term dates:
//! autumn from 3 September, so an incident on 2 September is summer's),
//! Little School 2 and Wren School 2 (under k = 3: "other schools", 4
//! between them). Neighbour Trust: Neighbour School (1, from the harness)
//! and Far School (4).

use chrono::NaiveDate;
use diesel::prelude::*;
use safelog::auth::Role;
use safelog::reports::terms::{Term, TermName};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Browser, TestApp, TestUser};
use crate::incidents::api_post;
use crate::on_both_backends;
use crate::trust::{trust_lead, trust_member};

const PAGE: &str = "/trust/reports/2025/autumn";

struct Fixture {
    app: TestApp,
    test_school: String,
    brook: String,
    lead: TestUser,
    trustee: TestUser,
    dsl: TestUser,
    /// Unique to the test: in every pupil's name and incident's details.
    canary: String,
    /// Test School's online-bullying incidents, by id.
    test_bullying: Vec<String>,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Logs `n` incidents of `category` at the school `staff` works in.
async fn log(
    app: &TestApp,
    staff: &TestUser,
    canary: &str,
    category: &str,
    on: &str,
    n: usize,
) -> Vec<String> {
    let token = app.quick_token(staff);
    let mut ids = Vec::new();
    for i in 0..n {
        let res = api_post(
            app,
            &token,
            "/api/v1/incidents",
            &json!({
                "pupil_name": format!("Pupil{i} {canary}"),
                "tutor_group": "8C",
                "incident_date": on,
                "category": category,
                "location": "in_school",
                "details": format!("What happened to {canary}"),
            }),
        )
        .await;
        assert_eq!(res.status(), 201, "{category} at {on}");
        let made: Value = res.json().await.unwrap();
        ids.push(made["id"].as_str().unwrap().to_string());
    }
    ids
}

async fn fixture(backend: Backend) -> Fixture {
    let app = spawn_app(backend).await;
    let test_school = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Test Trust"));
    let little = app.add_school("Little School", "100003", Some("Test Trust"));
    let wren = app.add_school("Wren School", "100004", Some("Test Trust"));
    let far = app.add_school("Far School", "900002", Some("Neighbour Trust"));
    let mut year = TermName::ALL.map(|t| Term::default_for(2025, t));
    year[0].starts_on = date(2025, 9, 3);
    year[0].ends_on = date(2025, 12, 19);
    year[1].starts_on = date(2026, 1, 5);
    year[1].ends_on = date(2026, 3, 27);
    year[2].starts_on = date(2026, 4, 13);
    year[2].ends_on = date(2026, 7, 22);
    let lead = trust_lead(&app, &test_school, "Test Trust", "Tess Trustlead");
    safelog::reports::store::save_year(
        &mut app.conn(),
        &brook,
        &year,
        &lead.id,
        app.clock.now_naive(),
    )
    .unwrap();
    let trustee = trust_member(
        &app,
        &test_school,
        "Test Trust",
        "Tom Trustee",
        Role::Trustee,
    );
    let dsl = app.add_user("Dora Dsl", &[Role::Dsl]);
    let canary = format!("Canary{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);

    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    let test_bullying = log(&app, &staff, &canary, "online-bullying", "2025-09-10", 6).await;
    log(&app, &staff, &canary, "harmful-content", "2025-10-06", 4).await;
    log(&app, &staff, &canary, "grooming-contact", "2025-10-07", 1).await;
    log(&app, &staff, &canary, "scams-gambling", "2025-11-03", 2).await;

    let brook_staff = app.add_user_to(&brook, "Bea Staff", &[Role::Staff]);
    log(
        &app,
        &brook_staff,
        &canary,
        "online-bullying",
        "2025-09-15",
        4,
    )
    .await;
    log(
        &app,
        &brook_staff,
        &canary,
        "harmful-content",
        "2025-10-15",
        3,
    )
    .await;
    // Before Brook's autumn began: its summer term's.
    log(
        &app,
        &brook_staff,
        &canary,
        "device-misuse",
        "2025-09-02",
        1,
    )
    .await;

    let little_staff = app.add_user_to(&little, "Lou Staff", &[Role::Staff]);
    log(
        &app,
        &little_staff,
        &canary,
        "online-bullying",
        "2025-09-20",
        1,
    )
    .await;
    log(
        &app,
        &little_staff,
        &canary,
        "grooming-contact",
        "2025-10-20",
        1,
    )
    .await;
    let wren_staff = app.add_user_to(&wren, "Wyn Staff", &[Role::Staff]);
    log(
        &app,
        &wren_staff,
        &canary,
        "online-bullying",
        "2025-09-22",
        1,
    )
    .await;
    log(&app, &wren_staff, &canary, "other", "2025-10-22", 1).await;

    let far_staff = app.add_user_to(&far, "Fay Staff", &[Role::Staff]);
    log(
        &app,
        &far_staff,
        &canary,
        "online-bullying",
        "2025-10-01",
        4,
    )
    .await;
    Fixture {
        app,
        test_school,
        brook,
        lead,
        trustee,
        dsl,
        canary,
        test_bullying,
    }
}

async fn publish(b: &Browser, commentary: &str) {
    let res = b
        .post(
            &format!("{PAGE}/publish"),
            &[("commentary", commentary), ("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 303, "published");
}

/// The report itself, without the header around it (whose school switch
/// lists every school of the trust, as it does on every page).
fn report_part(html: &str) -> &str {
    let start = html
        .find("class=\"report trust-report\"")
        .expect("the report");
    &html[start..]
}

/// A cell as the page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shown {
    Number(i64),
    Fewer,
    Withheld,
    NotCounted,
}

/// A table of the report: its columns (by heading) and lines (key, cells).
#[derive(Debug)]
struct Parsed {
    columns: Vec<String>,
    lines: Vec<(String, Vec<Shown>)>,
}

fn text_of(cell: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in cell.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// Every figures table of a report page, by section, read from the HTML as
/// a reader reads the page (independently of the code that wrote it).
fn tables(html: &str) -> Vec<(String, Parsed)> {
    let mut out = Vec::new();
    let mut rest = report_part(html);
    while let Some(at) = rest.find("data-section=\"") {
        let after = &rest[at + "data-section=\"".len()..];
        let section = after[..after.find('"').unwrap()].to_string();
        let body = &after[..after.find("</table>").unwrap()];
        let head = &body[..body.find("</thead>").unwrap()];
        let columns: Vec<String> = head
            .split("<th class=\"num\"")
            .skip(1)
            .map(|h| text_of(&h[h.find('>').unwrap() + 1..h.find("</th>").unwrap()]))
            .collect();
        let mut lines = Vec::new();
        for row in body.split("<tr data-line=\"").skip(1) {
            let key = row[..row.find('"').unwrap()].to_string();
            let cells: Vec<Shown> = row
                .split("<td class=\"num")
                .skip(1)
                .map(|c| {
                    let t = text_of(&c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()]);
                    match t.as_str() {
                        "[c]" => Shown::Withheld,
                        "–" => Shown::NotCounted,
                        t if t.starts_with('<') => Shown::Fewer,
                        t => t.parse().map(Shown::Number).unwrap_or(Shown::NotCounted),
                    }
                })
                .collect();
            lines.push((key, cells));
        }
        out.push((section, Parsed { columns, lines }));
        rest = &after[after.find("</table>").unwrap()..];
    }
    out
}

fn line<'a>(tables: &'a [(String, Parsed)], section: &str, key: &str) -> &'a [Shown] {
    &tables
        .iter()
        .find(|(s, _)| s == section)
        .unwrap_or_else(|| panic!("no {section} table"))
        .1
        .lines
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key} line in {section}"))
        .1
}

/// Whether a reader can work out a small count from one sum: `total` =
/// the sum of `parts`, knowing "<k" is 1 to k-1. Returns why if so.
fn gives_away(total: Shown, parts: &[Shown], k: i64) -> Option<String> {
    let unknown = |s: &Shown| matches!(s, Shown::Fewer | Shown::Withheld);
    let unknowns = parts.iter().filter(|p| unknown(p)).count() + usize::from(unknown(&total));
    if unknowns == 1 && (parts.contains(&Shown::Fewer) || total == Shown::Fewer) {
        return Some("the only hidden figure: the sum less the others".into());
    }
    let fewer = parts.iter().filter(|p| **p == Shown::Fewer).count() as i64;
    let withheld = parts.iter().filter(|p| **p == Shown::Withheld).count();
    if fewer == 0 || withheld > 0 {
        return None;
    }
    let known: i64 = parts
        .iter()
        .map(|p| match p {
            Shown::Number(n) => *n,
            _ => 0,
        })
        .sum();
    match total {
        // What is left is shared by the "<k" cells: the least or the most
        // they could hold tells each.
        Shown::Number(t) if t - known == fewer || t - known == fewer * (k - 1) => {
            Some(format!("{} left for {fewer} cells of <{k}", t - known))
        }
        // A "<k" total of several "<k" cells: at least one each.
        Shown::Fewer if fewer >= k - 1 => Some(format!("{fewer} cells of <{k} in a <{k}")),
        _ => None,
    }
}

/// Every sum the page shows, checked as a reader would do it: each line
/// (the whole trust is its schools), and each column's breakdowns (they add
/// up to its total for the term).
fn assert_nothing_recoverable(html: &str, k: i64) {
    let t = tables(html);
    assert!(t.len() >= 6, "the report's tables: {t:?}");
    for (section, table) in &t {
        for (key, cells) in &table.lines {
            if key == "counted" || key == "median_hours_to_acknowledge" {
                continue;
            }
            if let Some(why) = gives_away(cells[0], &cells[1..], k) {
                panic!("{section} {key}: {cells:?}: {why}");
            }
        }
    }
    let totals = line(&t, "totals", "total").to_vec();
    for (section, table) in &t {
        if ![
            "by_category",
            "by_four_c",
            "by_year_group",
            "by_month",
            "by_location",
        ]
        .contains(&section.as_str())
        {
            continue;
        }
        for (c, total) in totals.iter().enumerate() {
            let parts: Vec<Shown> = table
                .lines
                .iter()
                .map(|(_, cells)| match cells[c] {
                    Shown::NotCounted => Shown::Number(0),
                    other => other,
                })
                .collect();
            if let Some(why) = gives_away(*total, &parts, k) {
                panic!(
                    "{section}, column {}: {parts:?} of {total:?}: {why}",
                    table.columns[c]
                );
            }
        }
    }
}

async fn a_trustee_reads_each_school_side_by_side_with_small_counts_hidden_and_no_small_school_named(
    backend: Backend,
) {
    let f = fixture(backend).await;
    let app = &f.app;
    let lead = app.signed_in(&f.lead).await;
    publish(&lead, "A steady term across the trust.").await;

    let trustee = app.signed_in(&f.trustee).await;
    // The start page points to the latest published report; "Reports" in
    // the navigation is the trust's.
    let home = trustee.text("/").await;
    assert!(
        home.contains("Latest trust report: Autumn 2025/26")
            && home.contains(&format!("href=\"{PAGE}\"")),
        "{home}"
    );
    assert!(
        home.contains("href=\"/trust/reports\">Reports</a>"),
        "{home}"
    );
    let list = trustee.text("/trust/reports").await;
    assert!(
        list.contains("Autumn 2025/26") && list.contains("Published"),
        "{list}"
    );

    let res = trustee.get(PAGE).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let report = report_part(&html);
    assert!(report.contains("A steady term across the trust."));
    for named in [
        "Test School",
        "Brook School",
        "Other schools (2)",
        "Whole trust",
    ] {
        assert!(report.contains(named), "{named} in {report}");
    }
    // The small schools are only inside "other schools".
    for small in ["Little School", "Wren School"] {
        assert!(!report.contains(small), "{small} is named: {report}");
    }
    assert!(!html.contains(&f.canary), "no pupil's name or details");

    let t = tables(&html);
    let columns = &t[0].1.columns;
    assert_eq!(
        columns,
        &[
            "Whole trust",
            "Brook School",
            "Test School",
            "Other schools (2)"
        ],
        "the whole trust, each school by name, then the others"
    );
    // Every total for the term is shown: 13 + 7 + 4.
    assert_eq!(
        line(&t, "totals", "total"),
        &[
            Shown::Number(24),
            Shown::Number(7),
            Shown::Number(13),
            Shown::Number(4)
        ]
    );
    // Brook counted by its own dates (3 September to 4 January): the
    // incident of 2 September is in its summer term, not here.
    assert!(report.contains("3 Sep 2025 to 4 Jan 2026"), "{report}");
    assert!(report.contains("1 Sep 2025 to 31 Dec 2025"), "{report}");
    // Online bullying: 4, 6 and 2 make 12. The other schools' 2 is "<3";
    // the whole trust's 12 stays, so a school's figure is withheld beside
    // it (12 - 4 - 6 would give the 2 away).
    let bullying = line(&t, "by_category", "online-bullying");
    assert_eq!(bullying[0], Shown::Number(12));
    assert_eq!(bullying[3], Shown::Fewer);
    assert!(
        bullying[1..3].contains(&Shown::Withheld),
        "a school's figure is withheld beside the small one: {bullying:?}"
    );
    // Grooming: Test School 1 and Little School 1, so the trust's "<3"
    // would say 2 and each 1: it is withheld instead.
    let grooming = line(&t, "by_category", "grooming-contact");
    assert_eq!(grooming[2], Shown::Fewer, "{grooming:?}");
    assert_eq!(grooming[3], Shown::Fewer, "{grooming:?}");
    assert_eq!(grooming[0], Shown::Withheld, "{grooming:?}");
    assert!(report.contains("<strong>[c]</strong> marks a figure withheld"));
    assert_nothing_recoverable(&html, 3);

    // The CSV: the same cells, the same names, and nothing else.
    let res = trustee.get(&format!("{PAGE}.csv")).await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains("section,key,label,Whole trust,Brook School,Test School,Other schools (2)"),
        "{csv}"
    );
    assert!(
        csv.contains("by_category,online-bullying,Online bullying or child-on-child abuse,12,"),
        "{csv}"
    );
    assert!(csv.contains("<3") && csv.contains("[c]"), "{csv}");
    for small in ["Little School", "Wren School"] {
        assert!(!csv.contains(small), "{small} in {csv}");
    }
    assert!(!csv.contains(&f.canary));

    let actions: Vec<String> = app.audit_actions().into_iter().map(|(a, _, _)| a).collect();
    for a in [
        "trust_report_published",
        "trust_report_viewed",
        "trust_report_downloaded",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

async fn trustees_get_404_until_it_is_published_and_then_the_frozen_figures_whatever_changes(
    backend: Backend,
) {
    let f = fixture(backend).await;
    let app = &f.app;
    // A category of Brook's own, renamed after publishing.
    let now = app.clock.now_naive();
    safelog::categories::store::create(
        &mut app.conn(),
        &f.brook,
        "cyber-flashing",
        &safelog::categories::store::Edit {
            name: "Cyber flashing",
            four_c: "conduct",
            owner_role: "dsl",
            guidance: "",
            urgent: false,
            active: true,
        },
        now,
    )
    .unwrap();
    let brook_staff = app.add_user_to(&f.brook, "Bo Staff", &[Role::Staff]);
    log(
        app,
        &brook_staff,
        &f.canary,
        "cyber-flashing",
        "2025-10-10",
        3,
    )
    .await;

    let trustee = app.signed_in(&f.trustee).await;
    for path in [PAGE.to_string(), format!("{PAGE}.csv")] {
        assert_eq!(
            trustee.get(&path).await.status(),
            404,
            "{path} before publishing"
        );
    }
    let list = trustee.text("/trust/reports").await;
    assert!(
        list.contains("No trust report has been published yet."),
        "{list}"
    );
    assert!(!list.contains("Autumn 2025/26"), "{list}");
    assert!(trustee
        .text("/")
        .await
        .contains("No trust report has been published yet."));

    // The lead reads the draft, live, and publishes.
    let lead = app.signed_in(&f.lead).await;
    let draft = lead.text(PAGE).await;
    assert!(draft.contains("Not published yet."), "{draft}");
    assert!(lead
        .text("/trust/reports")
        .await
        .contains("Current term: figures so far"));
    let res = lead
        .post(&format!("{PAGE}/publish"), &[("commentary", "  ")])
        .await;
    assert_eq!(res.status(), 422, "a commentary is needed");
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Write the commentary trustees will read"));
    publish(&lead, "Published before the correction.").await;

    let before = trustee.text(PAGE).await;
    let t = tables(&before);
    assert_eq!(line(&t, "totals", "total")[0], Shown::Number(27));
    assert!(report_part(&before).contains("Cyber flashing"));
    assert_eq!(
        line(&t, "by_category", "cyber-flashing")[0],
        Shown::Number(3)
    );

    // After publishing: one of Test School's incidents is entered in error
    // and Brook renames its category.
    let res = api_post(
        app,
        &app.quick_token(&f.dsl),
        &format!("/api/v1/incidents/{}/entered-in-error", f.test_bullying[0]),
        &json!({"reason": "Logged twice"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    {
        use safelog::db::schema::categories;
        diesel::update(
            categories::table
                .filter(categories::school_id.eq(&f.brook))
                .filter(categories::code.eq("cyber-flashing")),
        )
        .set(categories::name.eq("Renamed later"))
        .execute(&mut app.conn())
        .unwrap();
    }
    let after = trustee.text(PAGE).await;
    assert_eq!(
        tables(&after)
            .iter()
            .map(|(_, p)| &p.lines)
            .collect::<Vec<_>>(),
        t.iter().map(|(_, p)| &p.lines).collect::<Vec<_>>(),
        "a trustee reads the figures as published"
    );
    assert!(report_part(&after).contains("Cyber flashing"));
    assert!(!after.contains("Renamed later") && !after.contains("changed since"));
    let csv = trustee.text(&format!("{PAGE}.csv")).await;
    assert!(
        csv.contains("totals,total,This term (Autumn 2025/26),27,"),
        "{csv}"
    );

    // The lead is told, beside the published figures; publishing again
    // needs a reason and gives trustees the corrected figures.
    let lead_view = lead.text(PAGE).await;
    assert!(
        lead_view.contains("The figures have changed since this report was published")
            && lead_view.contains("Test School."),
        "{lead_view}"
    );
    assert_eq!(
        line(&tables(&lead_view), "totals", "total")[0],
        Shown::Number(27)
    );
    let res = lead
        .post(&format!("{PAGE}/publish"), &[("commentary", "Corrected.")])
        .await;
    assert_eq!(res.status(), 422, "publishing again needs a reason");
    let res = lead
        .post(
            &format!("{PAGE}/publish"),
            &[
                ("commentary", "Corrected."),
                ("reason", "A record was logged twice."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let again = trustee.text(PAGE).await;
    assert!(again.contains("(version 2)"), "{again}");
    assert_eq!(
        line(&tables(&again), "totals", "total")[0],
        Shown::Number(26)
    );
    assert!(report_part(&again).contains("Renamed later"));
    assert!(
        !again.contains("A record was logged twice."),
        "the reason is the lead's"
    );
}

async fn nobody_but_the_trusts_lead_and_trustees_reads_it_and_another_trusts_people_see_only_theirs(
    backend: Backend,
) {
    let f = fixture(backend).await;
    let app = &f.app;
    let neighbour = app.neighbour.clone().unwrap();
    let their_lead = trust_lead(
        app,
        &neighbour.school_id,
        "Neighbour Trust",
        "Nia Trustlead",
    );
    let their_trustee = trust_member(
        app,
        &neighbour.school_id,
        "Neighbour Trust",
        "Nat Trustee",
        Role::Trustee,
    );
    // Neighbour Trust publishes its autumn; Test Trust has not.
    publish(&app.signed_in(&their_lead).await, "Neighbour Trust's term.").await;

    let ours = app.signed_in(&f.trustee).await;
    assert_eq!(
        ours.get(PAGE).await.status(),
        404,
        "our trust has not published"
    );
    assert_eq!(ours.get(&format!("{PAGE}.csv")).await.status(), 404);
    assert!(!ours.text("/trust/reports").await.contains("Autumn 2025/26"));
    // Nor can they move into the other trust's school to read its report.
    let res = ours
        .post("/account/school", &[("school_id", &neighbour.school_id)])
        .await;
    assert_eq!(res.status(), 404);

    let theirs = app.signed_in(&their_trustee).await;
    let html = theirs.text(PAGE).await;
    let report = report_part(&html);
    assert!(report.contains("Neighbour Trust's term."), "{report}");
    for ours in [
        "Test School",
        "Brook School",
        "Little School",
        "Wren School",
    ] {
        assert!(!html.contains(ours), "{ours} on the other trust's page");
    }
    // Neighbour School's 1 is under k: with Far School's 4 it is grouped.
    assert!(!report.contains("Neighbour School") && report.contains("Other schools (2)"));

    // Once ours is published too: the school's own roles, governors and
    // our trust's administrator still get 404, on every address.
    publish(&app.signed_in(&f.lead).await, "Ours.").await;
    assert_eq!(ours.get(PAGE).await.status(), 200);
    let admin = trust_member(
        app,
        &f.test_school,
        "Test Trust",
        "Ada Trustadmin",
        Role::TrustAdmin,
    );
    let mut others: Vec<TestUser> = [
        Role::Staff,
        Role::Governor,
        Role::Dsl,
        Role::Headteacher,
        Role::OnlineSafetyLead,
        Role::Admin,
    ]
    .iter()
    .map(|r| app.add_user(&format!("Holder {}", r.as_str().replace('_', " ")), &[*r]))
    .collect();
    others.push(admin);
    for who in &others {
        let b = app.signed_in(who).await;
        for path in [
            "/trust/reports".to_string(),
            PAGE.to_string(),
            format!("{PAGE}.csv"),
        ] {
            assert_eq!(b.get(&path).await.status(), 404, "{path} as {}", who.email);
        }
        let res = b
            .post(&format!("{PAGE}/publish"), &[("commentary", "Not mine.")])
            .await;
        assert_eq!(res.status(), 404);
        assert!(!b.text("/").await.contains("/trust/reports"));
    }
    // A trustee writes nothing.
    let res = ours
        .post(&format!("{PAGE}/commentary"), &[("commentary", "Mine?")])
        .await;
    assert_eq!(res.status(), 404);
}

async fn the_trusts_k_is_its_strictest_schools_and_a_school_below_it_joins_the_others(
    backend: Backend,
) {
    let f = fixture(backend).await;
    let app = &f.app;
    {
        use safelog::db::schema::schools;
        diesel::update(schools::table.find(&f.brook))
            .set(schools::report_min_count.eq(5))
            .execute(&mut app.conn())
            .unwrap();
    }
    let lead = app.signed_in(&f.lead).await;
    let html = lead.text(PAGE).await;
    let report = report_part(&html);
    // k = 5: the small schools make 4, under 5, so the next smallest
    // school (Brook, 7) joins them and is not named either.
    assert!(
        report.contains("shown as \u{201c}&lt;5\u{201d}"),
        "{report}"
    );
    let t = tables(&html);
    assert_eq!(
        t[0].1.columns,
        ["Whole trust", "Test School", "Other schools (3)"]
    );
    assert_eq!(
        line(&t, "totals", "total"),
        &[Shown::Number(24), Shown::Number(13), Shown::Number(11)]
    );
    assert!(!report.contains("Brook School"));
    assert_nothing_recoverable(&html, 5);

    // A name that starts a formula is written as text in the CSV.
    {
        use safelog::db::schema::schools;
        diesel::update(schools::table.find(&f.test_school))
            .set(schools::name.eq("=HYPERLINK(\"http://x\")"))
            .execute(&mut app.conn())
            .unwrap();
    }
    let csv = lead.text(&format!("{PAGE}.csv")).await;
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
}

/// A trust's figures are counted for all its schools at once (grouped
/// queries), a school's own report for itself alone: each school's part
/// of the trust's report is exactly its own report, whatever term dates it
/// keeps, with acknowledgements (timed and imported), closed cases, an
/// incident entered in error and referrals in the term.
async fn each_schools_part_of_the_trust_report_is_exactly_its_own_report(backend: Backend) {
    use safelog::db::schema::{incidents, referrals};
    let f = fixture(backend).await;
    let mut conn = f.app.conn();
    let of = |conn: &mut safelog::db::AnyConnection, school: &str, category: &str| {
        incidents::table
            .filter(incidents::school_id.eq(school))
            .filter(incidents::category_code.eq(category))
            .order(incidents::reference.asc())
            .select((incidents::id, incidents::logged_at))
            .load::<(String, chrono::NaiveDateTime)>(conn)
            .unwrap()
    };
    let minutes = chrono::TimeDelta::minutes;
    // Test School: six bullying incidents acknowledged 2 to 12 hours after
    // logging, every other one closed within the hour; a harmful-content
    // one acknowledged on import (no person), one entered in error.
    for (n, (id, logged)) in of(&mut conn, &f.test_school, "online-bullying")
        .into_iter()
        .enumerate()
    {
        let hours = 2 * (n as i64 + 1);
        diesel::update(incidents::table.find(&id))
            .set((
                incidents::lg_acknowledged_at.eq(logged + minutes(60 * hours)),
                incidents::lg_acknowledged_by.eq(&f.lead.id),
                incidents::closed_at.eq((n % 2 == 0).then(|| logged + minutes(30))),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let harmful = of(&mut conn, &f.test_school, "harmful-content");
    diesel::update(incidents::table.find(&harmful[0].0))
        .set(incidents::lg_acknowledged_at.eq(harmful[0].1 + minutes(600)))
        .execute(&mut conn)
        .unwrap();
    diesel::update(incidents::table.find(&harmful[1].0))
        .set((
            incidents::entered_in_error_at.eq(harmful[1].1 + minutes(5)),
            incidents::entered_in_error_by.eq(&f.lead.id),
            incidents::entered_in_error_reason.eq("Wrong school"),
        ))
        .execute(&mut conn)
        .unwrap();
    // Brook (its own term dates): three acknowledged after 1.5, 3 and 30
    // hours; two referred in the term, one reference to follow.
    for ((id, logged), m) in of(&mut conn, &f.brook, "harmful-content")
        .into_iter()
        .zip([90, 180, 1800])
    {
        diesel::update(incidents::table.find(&id))
            .set((
                incidents::lg_acknowledged_at.eq(logged + minutes(m)),
                incidents::lg_acknowledged_by.eq(&f.lead.id),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let brook_bullying = of(&mut conn, &f.brook, "online-bullying");
    for (n, (agency, reference)) in [("police", None), ("ceop", Some("CEOP-1"))]
        .into_iter()
        .enumerate()
    {
        diesel::insert_into(referrals::table)
            .values((
                referrals::id.eq(format!("referral-{n}")),
                referrals::incident_id.eq(&brook_bullying[n].0),
                referrals::school_id.eq(&f.brook),
                referrals::agency.eq(agency),
                referrals::referred_on.eq(date(2025, 10, 20)),
                referrals::reference.eq(reference),
                referrals::recorded_at.eq(brook_bullying[n].1),
            ))
            .execute(&mut conn)
            .unwrap();
    }

    let today = date(2025, 11, 12);
    let trust = safelog::trust::reports::store::trust_of(
        &mut conn,
        &f.lead.id,
        &f.test_school,
        &[Role::TrustSafeguardingLead],
    )
    .unwrap()
    .unwrap();
    let live =
        safelog::trust::reports::report::load(&mut conn, &trust, 2025, TermName::Autumn, today)
            .unwrap()
            .live;
    assert_eq!(live.schools.len(), 4);
    for part in &live.schools {
        let own = safelog::reports::report::load(
            &mut conn,
            &part.school_id,
            2025,
            TermName::Autumn,
            today,
        )
        .unwrap();
        assert_eq!(part.figures, own.live, "{}", part.name);
        assert_eq!(
            (part.counted_from, part.counted_to),
            (own.window.first, own.window.last),
            "{}",
            part.name
        );
    }
    let part = |id: &str| live.schools.iter().find(|p| p.school_id == id).unwrap();
    let test = part(&f.test_school);
    assert_eq!(
        (
            test.figures.total,
            test.figures.acknowledged,
            test.figures.median_hours_to_acknowledge,
            test.figures.open_at_end_of_term,
        ),
        (12, 7, Some(7.0), 9),
        "13 logged, one in error; six timed and one imported acknowledged; three closed"
    );
    assert_eq!(test.acknowledgement_hours, [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
    let brook = part(&f.brook);
    assert_eq!(
        (
            brook.figures.total,
            brook.figures.acknowledged,
            brook.figures.median_hours_to_acknowledge,
            brook.figures.referrals_awaiting_reference,
        ),
        (7, 3, Some(3.0), 1)
    );
    assert_eq!(brook.acknowledgement_hours, [1.5, 3.0, 30.0]);
    let referred: Vec<(&str, i64)> = brook
        .figures
        .referrals_by_agency
        .iter()
        .map(|c| (c.key.as_str(), c.count))
        .collect();
    assert_eq!(referred, [("police", 1), ("ceop", 1)]);
    // Brook's device-misuse incident of 2 September is its summer term's.
    assert_eq!(brook.counted_from, date(2025, 9, 3));
}

on_both_backends!(
    a_trustee_reads_each_school_side_by_side_with_small_counts_hidden_and_no_small_school_named,
    trustees_get_404_until_it_is_published_and_then_the_frozen_figures_whatever_changes,
    nobody_but_the_trusts_lead_and_trustees_reads_it_and_another_trusts_people_see_only_theirs,
    the_trusts_k_is_its_strictest_schools_and_a_school_below_it_joins_the_others,
    each_schools_part_of_the_trust_report_is_exactly_its_own_report,
);
