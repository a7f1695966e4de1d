//! The annual filtering and monitoring review (issue 17) in Chromium: the
//! IT technician's monitoring tool posts alerts, the DSL triages one, adds
//! a decision to the register of filtering decisions through its form, and
//! publishes this academic year's review with a commentary; a governor
//! reads only what was published (no register form, no live figures); the
//! administrator is offered the KCSIE 2025/2026 categories on a school made
//! before them, and names a member of staff who then opens the inbox.
//!
//! The server runs on the real clock (it has no setting to fix one), so
//! "this academic year" is whichever one today falls in: the journey finds
//! it from the review's own list instead of naming a year.

use diesel::prelude::*;
use fantoccini::Locator;
use serde_json::json;

use crate::harness::{Driver, Person, Server};
use crate::helpers::Backend;
use crate::lead_day::{add_account_at, sign_in};
use crate::monitoring::post;

/// Where the screenshots of this journey go, for a person to look at.
fn shots(name: &str) -> String {
    format!("review-{name}")
}

/// Takes a screenshot at desktop and phone widths.
async fn both_widths(p: &Person, name: &str) {
    p.screenshot(&shots(&format!("{name}.png")), 1280).await;
    p.screenshot(&shots(&format!("{name}-phone.png")), 390)
        .await;
}

/// Makes Hill School as it was before the KCSIE 2025/2026 categories: a
/// school made before that release has none of them. No page or command
/// takes a category away (nothing is deleted), so this is done in the
/// database, as `tests/it/monitoring_review.rs` does.
fn as_a_school_made_before_kcsie_2025(server: &Server) {
    use safelog::db::schema::{categories, schools};
    let mut conn = safelog::db::connect_one(&server.database_url()).expect("the database");
    let school: String = schools::table
        .filter(schools::name.eq("Hill School"))
        .select(schools::id)
        .first(&mut conn)
        .expect("Hill School");
    let gone = diesel::delete(
        categories::table
            .filter(categories::school_id.eq(&school))
            .filter(categories::code.eq_any(safelog::categories::defaults::KCSIE_2025_2026)),
    )
    .execute(&mut conn)
    .expect("the new categories taken away");
    assert_eq!(
        gone, 3,
        "a new school has the three KCSIE 2025/2026 categories"
    );
}

/// The shown "Alerts received" figure of the review on the page.
async fn alerts_received(p: &Person) -> String {
    p.client
        .execute(
            "return document.querySelector('table.totals td.num').innerText;",
            vec![],
        )
        .await
        .expect("the figure")
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string()
}

pub async fn a_dsl_publishes_the_annual_filtering_review_and_governors_read_it(backend: Backend) {
    let mut server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    add_account_at(&server, "Hill School", "Dana Dsl", "DAD", &["dsl"]);
    add_account_at(
        &server,
        "Hill School",
        "Gail Governor",
        "GGO",
        &["governor"],
    );
    add_account_at(&server, "Hill School", "Ada Admin", "AAD", &["admin"]);
    add_account_at(&server, "Hill School", "Ian Technician", "ITE", &["staff"]);
    as_a_school_made_before_kcsie_2025(&server);
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
    let high = post(
        &server,
        &key,
        json!({"alert_id": "fr-1", "severity": "3", "pupil": "someone.else",
               "text": "Typed: meet me after school, delete this"}),
    )
    .await;
    for (id, severity) in [("fr-2", "1"), ("fr-3", "2"), ("fr-4", "5")] {
        post(
            &server,
            &key,
            json!({"alert_id": id, "severity": severity, "pupil": "another.pupil",
                   "text": "Searched for a proxy site"}),
        )
        .await;
    }
    let today = safelog::clock::Clock::system().today();

    let driver = Driver::start().await;
    let dana = driver.person("dsl", &server).await;
    let gail = driver.person("governor", &server).await;
    let ada = driver.person("admin", &server).await;
    let ian = driver.person("technician", &server).await;
    let s = &server;
    driver
        .journey("filtering-review", s, async {
            // The DSL's inbox, and one alert triaged.
            sign_in(&dana, "Dana").await;
            dana.follow("Monitoring").await;
            dana.sees("4 alerts").await;
            dana.sees("Not matched: someone.else").await;
            both_widths(&dana, "inbox").await;
            dana.open(&format!("/monitoring/{high}")).await;
            dana.press("Acknowledge").await;
            dana.sees("You acknowledged this alert.").await;

            // A decision in the register, through its form.
            dana.open("/filtering-review").await;
            dana.follow("Register of filtering decisions").await;
            dana.sees("No decisions recorded.").await;
            dana.fill("Date of the decision", &today.format("%d/%m/%Y").to_string())
                .await;
            dana.fill(
                "What changed",
                "Proxy and VPN sites blocked for all pupils",
            )
            .await;
            dana.fill("Who decided", "The DSL with the IT manager").await;
            dana.fill(
                "Reason",
                "Monitoring showed searches for proxy sites to get round the filter",
            )
            .await;
            dana.press("Add to the register").await;
            dana.sees("Saved.").await;
            dana.sees("Proxy and VPN sites blocked for all pupils").await;
            both_widths(&dana, "register").await;
            dana.screenshot_of("entries", &shots("register-entries.png"), 1280)
                .await;
            dana.screenshot_of("entries", &shots("register-entries-phone.png"), 390)
                .await;

            // The governor sees nothing before it is published.
            sign_in(&gail, "Gail").await;
            gail.open("/filtering-review").await;
            gail.sees("No review has been published yet.").await;
            gail.does_not_see("Register of filtering decisions").await;

            // This academic year's review: live figures, then published.
            dana.open("/filtering-review").await;
            let link = dana
                .client
                .find(Locator::XPath(
                    "//tr[contains(normalize-space(.), 'Current year')]//a",
                ))
                .await
                .expect("this academic year in the list");
            let year_path = link.attr("href").await.expect("href").expect("a link");
            dana.open(&year_path).await;
            dana.sees("Not published yet.").await;
            dana.sees("Proxy and VPN sites blocked for all pupils").await;
            assert_eq!(alerts_received(&dana).await, "4");
            gail.open(&year_path).await;
            gail.sees("Not found").await;
            gail.does_not_see("Proxy and VPN sites").await;

            dana.fill(
                "Commentary for governors",
                "Filtering held this year. Monitoring showed searches for proxy sites; they are now blocked (see the register).",
            )
            .await;
            dana.press("Publish to governors").await;
            dana.sees("Published").await;
            dana.sees("Filtering held this year.").await;
            both_widths(&dana, "review-dsl").await;

            // An alert after publishing: the DSL is told, governors are not.
            post(
                s,
                &key,
                json!({"alert_id": "fr-5", "severity": "4", "pupil": "another.pupil",
                       "text": "Searched for a proxy site again"}),
            )
            .await;
            dana.open(&year_path).await;
            dana.sees("The figures have changed since this review was published").await;
            dana.sees("now 5 alerts (published 4)").await;
            assert_eq!(alerts_received(&dana).await, "4", "the published figures");
            both_widths(&dana, "review-dsl-changed").await;
            dana.screenshot_of("register", &shots("review-dsl-register.png"), 1280)
                .await;
            dana.screenshot_of("register", &shots("review-dsl-register-phone.png"), 390)
                .await;

            // The governor reads what was published, and only that.
            gail.open("/filtering-review").await;
            gail.sees("Published").await;
            gail.open(&year_path).await;
            gail.sees("Filtering held this year.").await;
            gail.sees("The year had not ended then").await;
            gail.sees("Proxy and VPN sites blocked for all pupils").await;
            gail.does_not_see("have changed since").await;
            gail.does_not_see("Commentary and publishing").await;
            gail.does_not_see("Add a decision").await;
            gail.does_not_see("someone.else").await;
            gail.does_not_see("Typed: meet me").await;
            assert_eq!(alerts_received(&gail).await, "4", "as published");
            both_widths(&gail, "review-governor").await;
            gail.open("/filtering-review/decisions").await;
            gail.sees("Not found").await;
            gail.does_not_see("Add a decision").await;

            // The administrator: the KCSIE 2025/2026 offer, then a triager.
            sign_in(&ada, "Ada").await;
            ada.open("/admin/categories").await;
            ada.sees("New categories from KCSIE 2025/2026: add").await;
            ada.screenshot_of("new-categories", &shots("categories.png"), 1280)
                .await;
            ada.screenshot_of("new-categories", &shots("categories-phone.png"), 390)
                .await;
            let misogyny = safelog::categories::defaults::standard("misogyny")
                .expect("misogyny is a standard category");
            ada.press(&format!("Add {}", misogyny.name)).await;
            ada.sees("Saved.").await;
            ada.sees("New categories from KCSIE 2025/2026: add").await;
            ada.does_not_see(&format!("Add {}", misogyny.name)).await;

            sign_in(&ian, "Ian").await;
            ian.open("/monitoring").await;
            ian.sees("Not found").await;

            ada.open("/admin/monitoring/triagers").await;
            ada.sees("Nobody else is named").await;
            ada.select("Member of staff", "Ian Technician (ian@hill.sch.uk)")
                .await;
            ada.press("Name to triage alerts").await;
            ada.sees("Saved.").await;
            ada.sees("Ian Technician").await;
            both_widths(&ada, "triagers").await;

            ian.open("/monitoring").await;
            ian.sees("Monitoring alerts").await;
            ian.sees("5 alerts").await;
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
