//! Term dates and governors' termly reports.

use chrono::NaiveDate;
use safelog::auth::Role;
use safelog::reports::terms::TermName;

use crate::helpers::{location, spawn_app, Backend};
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
    assert_eq!(location(&res), "/admin/terms?year=2025");
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
