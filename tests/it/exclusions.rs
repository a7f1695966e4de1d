//! Conflicts of interest (issue 16): a member of staff excluded from a
//! pupil reads nothing about them, anywhere, whatever their role, and is
//! never alerted about them; another DSL still reads it all. Lifting an
//! exclusion gives access back; both steps are audited; a refused form
//! names its field.

use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{location, spawn_app, Backend, TestApp, TestUser};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::mail::{eventually, free_port, spawn_mail_app, SmtpServer};
use crate::on_both_backends;

/// Excludes `who` from `pupil` through the API as `by`; the exclusion.
pub async fn exclude(app: &TestApp, by: &TestUser, pupil: &str, who: &TestUser) -> Value {
    let res = api_post(
        app,
        &app.quick_token(by),
        &format!("/api/v1/pupils/{pupil}/exclusions"),
        &json!({"user_id": who.id, "reason": "Parent of the pupil."}),
    )
    .await;
    assert_eq!(res.status(), 201, "the exclusion is made");
    res.json().await.unwrap()
}

/// An incident about `pupil` naming `others` as witnesses, logged through
/// the API by `token`'s holder.
async fn incident_naming(app: &TestApp, token: &str, pupil: &str, others: &[&str]) -> Value {
    let others: Vec<Value> = others
        .iter()
        .map(|n| json!({"name": n, "tutor_group": "9B", "role": "witness"}))
        .collect();
    let res = api_post(
        app,
        token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": pupil, "tutor_group": "9B", "incident_date": "2025-10-02",
            "category": "online-bullying", "details": "Messages in a group chat.",
            "other_pupils": others,
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

async fn an_excluded_dsl_sees_nothing_of_the_pupil_anywhere_while_another_dsl_still_does(
    backend: Backend,
) {
    let port = free_port();
    let smtp = SmtpServer::start_on(port);
    let app = spawn_mail_app(backend, port, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None)
    })
    .await;
    let parent = app.add_user("Pat Parent-Dsl", &[Role::Dsl]);
    let other_dsl = app.add_user("Dee Otherdsl", &[Role::Dsl]);
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let staff_token = app.quick_token(&staff);

    // Before the exclusion: one incident about the child; then one about
    // another pupil that names the child among the others, one naming the
    // child after it, and one that has nothing to do with them.
    let first = quick_incident(
        &app,
        &staff_token,
        "Xanthe Canaryfield",
        "online-bullying",
        "first",
    )
    .await;
    let child = str_of(&first, "pupil_id");
    exclude(&app, &other_dsl, &child, &parent).await;
    let about = incident_naming(&app, &staff_token, "Xanthe Canaryfield", &[]).await;
    let naming = incident_naming(
        &app,
        &staff_token,
        "Oscar Otherpupil",
        &["Xanthe Canaryfield"],
    )
    .await;
    let unrelated =
        quick_incident(&app, &staff_token, "Una Unrelated", "online-bullying", "x").await;
    let hidden = [&first, &about, &naming];
    let other_pupil = str_of(&naming, "pupil_id");

    for (who, sees) in [(&parent, false), (&other_dsl, true)] {
        let b = app.signed_in(who).await;
        let token = app.quick_token(who);
        let label = if sees {
            "the other DSL"
        } else {
            "the excluded DSL"
        };
        let expect = if sees { 200 } else { 404 };
        // The pupil's page, and each record as a page and through the API.
        assert_eq!(
            b.get(&format!("/pupils/{child}")).await.status(),
            expect,
            "{label}: the pupil's page"
        );
        for i in hidden {
            let id = str_of(i, "id");
            assert_eq!(
                b.get(&format!("/incidents/{id}")).await.status(),
                expect,
                "{label}: a record's page"
            );
            let (status, _) = api_get(&app, &token, &format!("/api/v1/incidents/{id}")).await;
            assert_eq!(status, expect, "{label}: a record through the API");
        }
        // The list and its count, and a search by the child's name.
        let (_, list) = api_get(&app, &token, "/api/v1/incidents").await;
        assert_eq!(
            list["total"],
            if sees { 4 } else { 1 },
            "{label}: the count"
        );
        let (_, found) = api_get(&app, &token, "/api/v1/incidents?q=Canaryfield").await;
        assert_eq!(
            found["total"],
            if sees { 3 } else { 0 },
            "{label}: a search by the name"
        );
        let page = b.text("/incidents").await;
        let page_search = b.post("/incidents/search", &[("q", "Canaryfield")]).await;
        let search_page = b.text(&location(&page_search)).await;
        // The other pupil's chronology (the child is among its others).
        let chronology = b.text(&format!("/pupils/{other_pupil}")).await;
        let (_, typeahead) = api_get(&app, &token, "/api/v1/pupils?q=Canaryf").await;
        let export = app
            .get_with("/api/v1/export.csv", &token)
            .await
            .text()
            .await
            .unwrap();
        let start = b.text("/").await;
        for i in hidden {
            let reference = str_of(i, "reference");
            for (where_, text) in [
                ("the list", &page),
                ("the search page", &search_page),
                ("the export", &export),
                ("the start page", &start),
            ] {
                assert_eq!(
                    text.contains(&reference),
                    sees,
                    "{label}: {reference} in {where_}"
                );
            }
        }
        assert_eq!(
            chronology.contains(&str_of(&naming, "reference")),
            sees,
            "{label}: the other pupil's chronology"
        );
        assert_eq!(
            export.contains("Canaryfield"),
            sees,
            "{label}: the name in the export"
        );
        assert_eq!(
            typeahead["items"].as_array().map_or(0, Vec::len),
            usize::from(sees),
            "{label}: the type-ahead"
        );
        assert!(
            page.contains(&str_of(&unrelated, "reference")),
            "{label} still reads the rest"
        );
        assert!(export.contains(&str_of(&unrelated, "reference")));
    }

    // Alerts: the other DSL is told of each new incident, the excluded one
    // of none, neither on the start page nor by email.
    for i in [&about, &naming] {
        let to: Vec<String> = safelog::cases::store::alerts_for(&mut app.conn(), &str_of(i, "id"))
            .unwrap()
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        assert!(to.contains(&other_dsl.id), "the other DSL is alerted");
        assert!(!to.contains(&parent.id), "the excluded DSL is not");
    }
    app.mail.wake();
    let received = eventually("two alert emails to the other DSL", || {
        let new = smtp.received();
        (new.iter()
            .filter(|m| m.to.contains(&other_dsl.email))
            .count()
            >= 2)
            .then_some(new)
    })
    .await;
    // (The alert about the first incident, from before the exclusion, may
    // arrive late: it is the only one.)
    for i in [&about, &naming] {
        let reference = str_of(i, "reference");
        assert!(
            !received
                .iter()
                .any(|m| m.to.contains(&parent.email) && m.data.contains(&reference)),
            "no email about {reference} reaches the excluded DSL"
        );
    }
    let to_parent: Vec<String> = app
        .outbox()
        .into_iter()
        .filter(|(to, _, _)| *to == parent.email)
        .map(|(_, subject, _)| subject)
        .collect();
    assert_eq!(to_parent.len(), 2, "{to_parent:?}");
    for i in [&first, &unrelated] {
        let reference = str_of(i, "reference");
        assert!(
            to_parent.iter().any(|s| s.contains(&reference)),
            "from before the exclusion, and about another pupil: {reference}"
        );
    }
}

async fn when_the_only_dsl_is_excluded_the_headteacher_is_alerted_instead(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Olly Onlydsl", &[Role::Dsl]);
    let head = app.add_user("Hattie Head", &[Role::Headteacher]);
    let staff = app.add_user("Stan Staff", &[Role::Staff]);
    let token = app.quick_token(&staff);
    let first = quick_incident(&app, &token, "Kit Kinsman", "online-bullying", "one").await;
    exclude(&app, &dsl, &str_of(&first, "pupil_id"), &dsl).await;
    let second = quick_incident(&app, &token, "Kit Kinsman", "online-bullying", "two").await;
    let to: Vec<String> =
        safelog::cases::store::alerts_for(&mut app.conn(), &str_of(&second, "id"))
            .unwrap()
            .into_iter()
            .map(|(u, _)| u)
            .collect();
    assert_eq!(
        to,
        vec![head.id.clone()],
        "the headteacher, not the excluded DSL"
    );
    let mails: Vec<String> = app.outbox().into_iter().map(|(to, _, _)| to).collect();
    assert!(mails.contains(&head.email));
    assert_eq!(
        mails.iter().filter(|m| **m == dsl.email).count(),
        1,
        "only the first"
    );
}

async fn lifting_an_exclusion_gives_access_back_and_both_steps_are_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dora Dsl", &[Role::Dsl]);
    let relative = app.add_user("Rory Relative", &[Role::Headteacher]);
    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    let made = quick_incident(
        &app,
        &app.quick_token(&staff),
        "Lily Lifted",
        "online-bullying",
        "x",
    )
    .await;
    let (pupil, incident) = (str_of(&made, "pupil_id"), str_of(&made, "id"));
    let reader = app.signed_in(&relative).await;
    assert_eq!(
        reader.get(&format!("/incidents/{incident}")).await.status(),
        200
    );

    // The DSL excludes the headteacher from the pupil's page.
    let b = app.signed_in(&dsl).await;
    let page = b.text(&format!("/pupils/{pupil}")).await;
    assert!(page.contains("Conflicts of interest") && page.contains("Rory Relative"));
    let res = b
        .post(
            &format!("/pupils/{pupil}/exclusions"),
            &[("user_id", &relative.id), ("reason", "Aunt of the pupil.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        reader.get(&format!("/incidents/{incident}")).await.status(),
        404,
        "from the next request"
    );
    assert_eq!(reader.get(&format!("/pupils/{pupil}")).await.status(), 404);
    let page = b.text(&format!("/pupils/{pupil}")).await;
    assert!(
        page.contains("Aunt of the pupil."),
        "the reason is on the page"
    );

    let (status, list) = api_get(
        &app,
        &app.quick_token(&dsl),
        &format!("/api/v1/pupils/{pupil}/exclusions"),
    )
    .await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["user_id"], relative.id.as_str());
    assert_eq!(items[0]["live"], true);
    let exclusion = str_of(&items[0], "id");

    // Lifting needs a reason; then the headteacher reads again.
    let res = b
        .post(
            &format!("/pupils/{pupil}/exclusions/{exclusion}/lift"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Enter why the exclusion is lifted."));
    assert_eq!(
        reader.get(&format!("/incidents/{incident}")).await.status(),
        404,
        "still excluded"
    );
    let res = b
        .post(
            &format!("/pupils/{pupil}/exclusions/{exclusion}/lift"),
            &[("reason", "Recorded against the wrong person.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        reader.get(&format!("/incidents/{incident}")).await.status(),
        200,
        "access is back"
    );
    assert_eq!(reader.get(&format!("/pupils/{pupil}")).await.status(), 200);

    // Nothing was deleted: the lifted exclusion is listed with who and why.
    let (_, list) = api_get(
        &app,
        &app.quick_token(&dsl),
        &format!("/api/v1/pupils/{pupil}/exclusions"),
    )
    .await;
    let item = &list["items"][0];
    assert_eq!(item["live"], false);
    assert_eq!(item["ended_by"], dsl.id.as_str());
    assert_eq!(item["end_reason"], "Recorded against the wrong person.");
    assert_eq!(item["reason"], "Aunt of the pupil.");
    // A second lift is refused.
    let res = api_post(
        &app,
        &app.quick_token(&dsl),
        &format!("/api/v1/pupils/{pupil}/exclusions/{exclusion}/lift"),
        &json!({"reason": "Again."}),
    )
    .await;
    assert_eq!(res.status(), 409);

    // The test's clock stands still: both carry the same time.
    let mut audit: Vec<(String, Option<String>, Option<String>)> = app
        .audit_actions()
        .into_iter()
        .filter(|(a, _, _)| a.starts_with("pupil_exclusion_"))
        .collect();
    audit.sort();
    assert_eq!(
        audit,
        vec![
            (
                "pupil_exclusion_added".to_string(),
                Some(dsl.id.clone()),
                Some(pupil.clone())
            ),
            (
                "pupil_exclusion_lifted".to_string(),
                Some(dsl.id.clone()),
                Some(pupil.clone())
            ),
        ]
    );
}

async fn an_exclusion_needs_a_reason_and_a_member_of_staff_of_the_school(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Abe Admin", &[Role::Admin]);
    let staff = app.add_user("Sue Staff", &[Role::Staff]);
    let made = quick_incident(
        &app,
        &app.quick_token(&staff),
        "Vic Valid",
        "online-bullying",
        "x",
    )
    .await;
    let pupil = str_of(&made, "pupil_id");
    let token = app.quick_token(&admin);
    let path = format!("/api/v1/pupils/{pupil}/exclusions");
    // The pupil is known only from an incident: an administrator, who
    // reads none, does not find them; the roll's pupils they do.
    let res = api_post(
        &app,
        &token,
        &path,
        &json!({"user_id": staff.id, "reason": "Parent."}),
    )
    .await;
    assert_eq!(res.status(), 404, "a pupil the administrator may not see");
    {
        use diesel::prelude::*;
        use safelog::db::schema::pupils;
        diesel::update(pupils::table.find(&pupil))
            .set(pupils::on_roll_at.eq(Some(app.clock.now_naive())))
            .execute(&mut app.conn())
            .unwrap();
    }
    let neighbour = app.neighbour.clone().expect("a neighbouring school");
    for (body, field) in [
        (json!({"user_id": staff.id}), "reason"),
        (json!({"user_id": staff.id, "reason": "   "}), "reason"),
        (json!({"reason": "Parent."}), "user_id"),
        (
            json!({"user_id": uuid::Uuid::new_v4().to_string(), "reason": "Parent."}),
            "user_id",
        ),
        (
            json!({"user_id": neighbour.dsl.id, "reason": "Parent."}),
            "user_id",
        ),
    ] {
        let res = api_post(&app, &token, &path, &body).await;
        assert_eq!(res.status(), 422, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert!(answer["fields"][field].is_string(), "{body}: {answer}");
    }
    let res = api_post(
        &app,
        &token,
        &path,
        &json!({"user_id": staff.id, "reason": "Parent."}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["user_id"], staff.id.as_str());
    assert_eq!(made["live"], true);
    assert_eq!(made["created_by"], admin.id.as_str());
    let res = api_post(
        &app,
        &token,
        &path,
        &json!({"user_id": staff.id, "reason": "Twice."}),
    )
    .await;
    assert_eq!(res.status(), 422, "already excluded");
    // Another school's pupil, and a role that does not manage exclusions.
    let theirs = format!("/api/v1/pupils/{}/exclusions", neighbour.pupil_id);
    let res = api_post(
        &app,
        &token,
        &theirs,
        &json!({"user_id": staff.id, "reason": "Parent."}),
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = api_post(
        &app,
        &app.quick_token(&staff),
        &path,
        &json!({"user_id": admin.id, "reason": "x"}),
    )
    .await;
    assert_eq!(res.status(), 404);

    // The page's form keeps what was typed and says what to fix.
    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            &format!("/pupils/{pupil}/exclusions"),
            &[("user_id", &admin.id), ("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Enter why this person is excluded."),
        "{page}"
    );
    assert!(
        page.contains(&format!("value=\"{}\" selected", admin.id)),
        "the choice is kept"
    );
    assert!(
        !page.contains("<h2>Chronology</h2>"),
        "an administrator reads no incident"
    );
}

on_both_backends!(
    an_excluded_dsl_sees_nothing_of_the_pupil_anywhere_while_another_dsl_still_does,
    when_the_only_dsl_is_excluded_the_headteacher_is_alerted_instead,
    lifting_an_exclusion_gives_access_back_and_both_steps_are_audited,
    an_exclusion_needs_a_reason_and_a_member_of_staff_of_the_school,
);
