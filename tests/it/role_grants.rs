//! Headteacher and DSL open the most sensitive records: an administrator
//! may not give them to themselves, and giving them to anyone else tells
//! every headteacher.

use safelog::auth::Role;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

/// The roles a person holds in the test school.
fn roles_of(app: &TestApp, user_id: &str) -> Vec<Role> {
    safelog::accounts::store::roles_in(&mut app.conn(), user_id, &app.school_id()).unwrap()
}

/// Emails about role grants: (to, subject, body).
fn grant_mails(app: &TestApp) -> Vec<(String, String, String)> {
    app.outbox()
        .into_iter()
        .filter(|(_, subject, _)| subject.contains("was given the"))
        .collect()
}

async fn an_administrator_cannot_make_themselves_headteacher_or_dsl(backend: Backend) {
    let app = spawn_app(backend).await;
    // A headteacher who would be told, were it allowed.
    let _head = app.add_user("Hana Head", &[Role::Headteacher]);
    let admin = app.add_user("Adam Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    for role in ["headteacher", "dsl"] {
        let res = b
            .post(
                &format!("/admin/users/{}", admin.id),
                &[
                    ("name", "Adam Typed-Name"),
                    ("email", &admin.email),
                    ("initials", "AA"),
                    ("role", "admin"),
                    ("role", role),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{role}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("You cannot give yourself the headteacher, DSL or allegations lead role"),
            "{role}: {html}"
        );
        assert!(html.contains("Adam Typed-Name"), "what was typed is kept");
        assert_eq!(roles_of(&app, &admin.id), vec![Role::Admin], "{role}");
    }
    assert!(grant_mails(&app).is_empty());
}

async fn giving_someone_headteacher_or_dsl_tells_every_headteacher(backend: Backend) {
    let app = spawn_app(backend).await;
    let heads = [
        app.add_user("Hana Head", &[Role::Headteacher]),
        app.add_user("Hugo Head", &[Role::Headteacher, Role::Dsl]),
    ];
    let admin = app.add_user("Adam Admin", &[Role::Admin]);
    let tutor = app.add_user("Tia Tutor", &[Role::Staff]);
    let canary = "Zanzibar Quill";
    crate::incidents::quick_incident(
        &app,
        &app.quick_token(&tutor),
        canary,
        "online-bullying",
        "canary details Xylophone",
    )
    .await;
    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            &format!("/admin/users/{}", tutor.id),
            &[
                ("name", "Tia Tutor"),
                ("email", &tutor.email),
                ("initials", "TT"),
                ("role", "staff"),
                ("role", "dsl"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(roles_of(&app, &tutor.id).contains(&Role::Dsl));

    let mails = grant_mails(&app);
    let mut to: Vec<&str> = mails.iter().map(|(t, _, _)| t.as_str()).collect();
    to.sort();
    let mut expected = vec![heads[0].email.as_str(), heads[1].email.as_str()];
    expected.sort();
    assert_eq!(to, expected, "every headteacher, and nobody else");
    for (_, subject, body) in &mails {
        assert!(subject.contains("Tia Tutor"), "{subject}");
        assert!(body.contains("Designated Safeguarding Lead"), "{body}");
        assert!(body.contains("Adam Admin"), "who gave it: {body}");
        assert!(!body.contains(canary) && !body.contains("Xylophone"));
    }

    // Saving again with the same roles tells nobody again.
    b.post(
        &format!("/admin/users/{}", tutor.id),
        &[
            ("name", "Tia Tutor"),
            ("email", &tutor.email),
            ("initials", "TT"),
            ("role", "staff"),
            ("role", "dsl"),
        ],
    )
    .await;
    assert_eq!(grant_mails(&app).len(), 2);

    // A new account made headteacher is announced too.
    let res = b
        .post(
            "/admin/users",
            &[
                ("name", "Nell New"),
                ("email", "nell.new@school.test"),
                ("initials", "NN"),
                ("role", "headteacher"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mails = grant_mails(&app);
    assert_eq!(mails.len(), 4, "{mails:?}");
    assert!(mails
        .iter()
        .all(|(t, _, _)| t != "nell.new@school.test" && *t != admin.email));

    // And on each headteacher's start page.
    let head = app.signed_in(&heads[0]).await;
    let home = head.text("/").await;
    assert!(home.contains("Lead roles given recently"), "{home}");
    assert!(
        home.contains("Tia Tutor was given the Designated Safeguarding Lead role by Adam Admin")
    );
    assert!(home.contains("Nell New was given the Headteacher role"));
    let tutor_home = app.signed_in(&tutor).await.text("/").await;
    assert!(!tutor_home.contains("Lead roles given recently"));
}

on_both_backends!(
    an_administrator_cannot_make_themselves_headteacher_or_dsl,
    giving_someone_headteacher_or_dsl_tells_every_headteacher,
);
