//! The trust administrator (the trusts issue): adds schools to the trust
//! (with their first administrator), gives and takes the trust's roles,
//! and keeps the categories the trust shares with its schools; never reads
//! an incident, and never reaches another trust's schools. The safeguards
//! of nudes-sharing, abuse-imagery and staff-conduct hold for a trust as
//! for a school.

use diesel::prelude::*;
use safelog::auth::Role;
use safelog::db::schema::{categories, schools, trust_role_changes, trust_roles};

use crate::helpers::{location, spawn_app, Backend, TestApp, TestUser, NEIGHBOUR_PUPIL};
use crate::incidents::{api_get, quick_incident};
use crate::on_both_backends;
use crate::trust::trust_member;

/// A category the trust named shares (made in the database), its id.
pub fn shared_category(app: &TestApp, trust: &str, name: &str) -> String {
    let mut conn = app.conn();
    let trust = safelog::accounts::store::trust_by_name(&mut conn, trust)
        .unwrap()
        .expect("the trust");
    let code = name.to_lowercase().replace(' ', "-");
    safelog::categories::store::create_for_trust(
        &mut conn,
        &trust.id,
        &code,
        &safelog::categories::store::Edit {
            name,
            four_c: "conduct",
            owner_role: "online_safety_lead",
            guidance: "",
            urgent: false,
            active: true,
        },
        false,
        app.clock.now_naive(),
    )
    .unwrap()
    .expect("a new code")
    .id
}

fn trust_admin(app: &TestApp, name: &str) -> TestUser {
    let home = app.school_id();
    trust_member(app, &home, "Test Trust", name, Role::TrustAdmin)
}

/// (name, URN, trust id) of the school with this name.
fn school_named(app: &TestApp, name: &str) -> Option<(String, Option<String>, Option<String>)> {
    schools::table
        .filter(schools::name.eq(name))
        .select((schools::id, schools::urn, schools::trust_id))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn school_count(app: &TestApp) -> i64 {
    schools::table.count().get_result(&mut app.conn()).unwrap()
}

fn roles_at(app: &TestApp, user_id: &str, school_id: &str) -> Vec<Role> {
    safelog::accounts::store::roles_in(&mut app.conn(), user_id, school_id).unwrap()
}

fn holds(app: &TestApp, user_id: &str, role: Role) -> bool {
    let n: i64 = trust_roles::table
        .filter(trust_roles::user_id.eq(user_id))
        .filter(trust_roles::role.eq(role.as_str()))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    n > 0
}

fn user_by_email(app: &TestApp, email: &str) -> safelog::accounts::model::User {
    safelog::accounts::store::user_by_email(&mut app.conn(), email)
        .unwrap()
        .expect("the account")
}

/// Posts the "Add a school" form.
async fn add(
    b: &crate::helpers::Browser,
    name: &str,
    urn: &str,
    email: &str,
    who: &str,
) -> reqwest::Response {
    let initials = if who.is_empty() { "" } else { "AA" };
    b.post(
        "/trust/admin/schools",
        &[
            ("name", name),
            ("urn", urn),
            ("admin_email", email),
            ("admin_name", who),
            ("admin_initials", initials),
        ],
    )
    .await
}

async fn a_trust_admin_adds_a_school_with_its_first_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    let ta = trust_admin(&app, "Tom Trustadmin");
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let b = app.signed_in(&ta).await;
    let home = b.text("/").await;
    assert!(home.contains("href=\"/trust/admin\""), "{home}");
    let page = b.text("/trust/admin").await;
    assert!(page.contains("Trust administration: Test Trust"), "{page}");
    assert!(page.contains("Test School") && page.contains("100001"));
    assert!(!page.contains(crate::helpers::NEIGHBOUR_SCHOOL), "{page}");
    assert!(
        page.contains("safelog trust add"),
        "adding a trust is the command line's"
    );
    let before = school_count(&app);

    // Refused, with what was typed kept and the command line's words.
    for (urn, expected) in [
        (
            "12345",
            "'12345' is not a URN: a school's URN is the six digits",
        ),
        ("12a456", "'12a456' is not a URN"),
        (
            "100001",
            "URN 100001 is already Test School's: each school has its own",
        ),
        // Another trust's school is not named to this trust.
        (
            "900001",
            "URN 900001 is already another school's in safelog",
        ),
    ] {
        let res = add(&b, "Elm Primary", urn, "", "").await;
        assert_eq!(res.status(), 422, "{urn}");
        let text = res.text().await.unwrap();
        assert!(text.contains(expected), "{urn}: {text}");
        assert!(text.contains("value=\"Elm Primary\""), "the name is kept");
        assert!(
            text.contains(&format!("value=\"{urn}\"")),
            "the URN is kept"
        );
        assert!(!text.contains(crate::helpers::NEIGHBOUR_SCHOOL), "{text}");
    }
    let res = add(&b, " ", "123456", "", "").await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Enter the school's name."));
    // A new administrator needs a name; nothing is added meanwhile.
    let res = add(&b, "Elm Primary", "123456", "ann.admin@elm.test", "").await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("enter their name for the new account"),
        "{text}"
    );
    assert!(text.contains("value=\"ann.admin@elm.test\""));
    assert_eq!(school_count(&app), before, "nothing added");

    // Added, with a new account for its administrator.
    let res = add(
        &b,
        "Elm Primary",
        "123456",
        "Ann.Admin@elm.test",
        "Ann Admin",
    )
    .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("Added Elm Primary (URN 123456) to Test Trust."),
        "{text}"
    );
    assert!(
        text.contains("/password-reset/"),
        "the welcome link to pass on: {text}"
    );
    let (elm, urn, trust) = school_named(&app, "Elm Primary").expect("Elm is added");
    assert_eq!(urn.as_deref(), Some("123456"));
    let test_trust = safelog::accounts::store::school(&mut app.conn(), &app.school_id())
        .unwrap()
        .trust_id;
    assert_eq!(trust, test_trust);
    let ann = user_by_email(&app, "ann.admin@elm.test");
    assert_eq!(ann.name, "Ann Admin");
    assert_eq!(roles_at(&app, &ann.id, &elm), vec![Role::Admin]);
    assert!(app
        .outbox()
        .iter()
        .any(|(to, subject, _)| to == "ann.admin@elm.test" && subject.contains("new account")));
    let listed = b.text("/trust/admin").await;
    assert!(
        listed.contains("Elm Primary") && listed.contains("Ann Admin"),
        "{listed}"
    );
    let res = add(&b, "Elm Again", "123456", "", "").await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("URN 123456 is already Elm Primary's"));

    // An existing account gains the role and keeps its name.
    let res = add(&b, "Fir Primary", "123457", &staff.email, "Another Name").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("with the account they already had"), "{text}");
    assert!(!text.contains("/password-reset/"));
    let (fir, _, _) = school_named(&app, "Fir Primary").unwrap();
    assert_eq!(roles_at(&app, &staff.id, &fir), vec![Role::Admin]);
    assert_eq!(
        roles_at(&app, &staff.id, &app.school_id()),
        vec![Role::Staff]
    );
    assert_eq!(user_by_email(&app, &staff.email).name, "Sam Staff");

    // Later: another administrator for Elm, from its page.
    let page = b.text(&format!("/trust/admin/schools/{elm}")).await;
    assert!(
        page.contains("Ann Admin") && page.contains("123456"),
        "{page}"
    );
    let res = b
        .post(
            &format!("/trust/admin/schools/{elm}/admins"),
            &[("email", "ann.admin@elm.test")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("already an administrator"));
    let res = b
        .post(
            &format!("/trust/admin/schools/{elm}/admins"),
            &[
                ("email", "bo.admin@elm.test"),
                ("name", "Bo Admin"),
                ("initials", "BA"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let bo = user_by_email(&app, "bo.admin@elm.test");
    assert_eq!(roles_at(&app, &bo.id, &elm), vec![Role::Admin]);

    let audit = app.audit_actions();
    assert!(audit.iter().any(|(a, by, rec)| a == "school_created"
        && by.as_deref() == Some(&ta.id)
        && rec.as_deref() == Some(&elm)));
    assert!(audit.iter().any(|(a, by, rec)| a == "account_created"
        && by.as_deref() == Some(&ta.id)
        && rec.as_deref() == Some(&ann.id)));
}

async fn a_trust_admin_gives_and_takes_trust_roles_but_never_the_lead_role_to_themselves(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let ta = trust_admin(&app, "Tom Trustadmin");
    let other_admin = trust_admin(&app, "Tina Trustadmin");
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let b = app.signed_in(&ta).await;

    for email in [ta.email.clone(), ta.email.to_uppercase()] {
        let res = b
            .post(
                "/trust/admin/people",
                &[("email", &email), ("role", "trust_safeguarding_lead")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let text = res.text().await.unwrap();
        assert!(
            text.contains(
                "You cannot give yourself the trust safeguarding lead or allegations lead role"
            ),
            "{text}"
        );
        assert!(
            text.contains(&format!("value=\"{email}\"")),
            "typed text kept"
        );
    }
    assert!(!holds(&app, &ta.id, Role::TrustSafeguardingLead));
    // Nor the allegations lead across the trust, which reads allegations
    // about every school's headteacher.
    let res = b
        .post(
            "/trust/admin/people",
            &[("email", &ta.email), ("role", "allegations_lead")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(!holds(&app, &ta.id, Role::AllegationsLead));
    // A trustee they may be.
    let res = b
        .post(
            "/trust/admin/people",
            &[("email", &ta.email), ("role", "trustee")],
        )
        .await;
    assert_eq!(
        (res.status().as_u16(), location(&res).as_str()),
        (303, "/trust/admin/people?saved=1")
    );
    assert!(holds(&app, &ta.id, Role::Trustee));

    // A school role is not given here.
    let res = b
        .post(
            "/trust/admin/people",
            &[("email", "x@y.test"), ("role", "dsl")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Choose one of the trust's roles."));

    // A new person: an account with a welcome link, and the trust's other
    // administrator is told.
    let res = b
        .post(
            "/trust/admin/people",
            &[
                ("email", "lee.lead@trust.test"),
                ("name", "Lee Lead"),
                ("initials", "LL"),
                ("role", "trust_safeguarding_lead"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("/password-reset/"), "{text}");
    let lee = user_by_email(&app, "lee.lead@trust.test");
    assert!(holds(&app, &lee.id, Role::TrustSafeguardingLead));
    assert_eq!(
        lee.home_school_id,
        app.school_id(),
        "starts where it was given"
    );
    let mail = app.outbox();
    let told: Vec<&String> = mail
        .iter()
        .filter(|(_, subject, _)| subject.contains("role across Test Trust"))
        .map(|(to, _, _)| to)
        .collect();
    assert_eq!(
        told,
        vec![&other_admin.email],
        "the other trust admin, not the giver"
    );
    let (_, _, body) = mail
        .iter()
        .find(|(_, s, _)| s.contains("role across Test Trust"))
        .unwrap();
    assert!(
        body.contains("Lee Lead") && body.contains("Tom Trustadmin"),
        "{body}"
    );
    let tina_home = app.signed_in(&other_admin).await.text("/").await;
    assert!(
        tina_home.contains("Lee Lead was given the Trust safeguarding lead role by Tom Trustadmin"),
        "{tina_home}"
    );
    assert!(
        !b.text("/").await.contains("Lee Lead was given"),
        "the giver knows"
    );
    let lee_token = app.quick_token(&TestUser {
        id: lee.id.clone(),
        email: lee.email.clone(),
        password: String::new(),
        school_id: lee.home_school_id.clone(),
    });
    assert_eq!(app.get_with("/trust", &lee_token).await.status(), 200);

    // An existing account gains a role; twice is refused.
    for (status, expected) in [
        (303, ""),
        (422, "already holds the Trustee (trust board) role"),
    ] {
        let res = b
            .post(
                "/trust/admin/people",
                &[("email", &staff.email), ("role", "trustee")],
            )
            .await;
        assert_eq!(res.status(), status);
        if !expected.is_empty() {
            assert!(res.text().await.unwrap().contains(expected));
        }
    }
    assert!(holds(&app, &staff.id, Role::Trustee));
    assert_eq!(user_by_email(&app, &staff.email).name, "Sam Staff");
    let page = b.text("/trust/admin/people").await;
    assert!(
        page.contains("Lee Lead") && page.contains("Sam Staff"),
        "{page}"
    );

    // Taken away: recorded, the role ends at once, nothing deleted.
    let res = b
        .post(
            &format!("/trust/admin/people/{}/remove", lee.id),
            &[("role", "trust_safeguarding_lead")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(!holds(&app, &lee.id, Role::TrustSafeguardingLead));
    // They hold nothing else in the trust's schools: their session there
    // has ended.
    let res = app.get_with("/trust", &lee_token).await;
    assert_eq!(
        (res.status().as_u16(), location(&res).as_str()),
        (303, "/login")
    );
    let changes: Vec<(String, String, Option<String>)> = trust_role_changes::table
        .filter(trust_role_changes::user_id.eq(&lee.id))
        .order(trust_role_changes::at.asc())
        .select((
            trust_role_changes::change,
            trust_role_changes::role,
            trust_role_changes::by_user_id,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        changes,
        vec![
            (
                "given".into(),
                "trust_safeguarding_lead".into(),
                Some(ta.id.clone())
            ),
            (
                "taken".into(),
                "trust_safeguarding_lead".into(),
                Some(ta.id.clone())
            ),
        ]
    );
    let audit = app.audit_actions();
    for action in ["trust_role_given", "trust_role_taken"] {
        assert!(
            audit.iter().any(|(a, by, rec)| a == action
                && by.as_deref() == Some(&ta.id)
                && rec.as_deref() == Some(&lee.id)),
            "{action}"
        );
    }
    let page = b.text("/trust/admin/people").await;
    assert!(
        page.contains("Lee Lead lost the Trust safeguarding lead role (by Tom Trustadmin)"),
        "{page}"
    );
    // Again: they no longer hold it.
    let res = b
        .post(
            &format!("/trust/admin/people/{}/remove", lee.id),
            &[("role", "trust_safeguarding_lead")],
        )
        .await;
    assert_eq!(res.status(), 404);

    // Not their own administrator role; another trust's people are not here.
    let res = b
        .post(
            &format!("/trust/admin/people/{}/remove", ta.id),
            &[("role", "trust_admin")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You cannot take away your own trust administrator role"));
    assert!(holds(&app, &ta.id, Role::TrustAdmin));
    let neighbour = app.neighbour.as_ref().unwrap();
    let far = trust_member(
        &app,
        &neighbour.school_id,
        "Neighbour Trust",
        "Fay Fartrustee",
        Role::Trustee,
    );
    let res = b
        .post(
            &format!("/trust/admin/people/{}/remove", far.id),
            &[("role", "trustee")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(holds(&app, &far.id, Role::Trustee));
    assert!(!b
        .text("/trust/admin/people")
        .await
        .contains("Fay Fartrustee"));
}

async fn a_trust_admin_reads_no_incident_and_reaches_no_school_of_another_trust(backend: Backend) {
    let app = spawn_app(backend).await;
    let ta = trust_admin(&app, "Tom Trustadmin");
    let tutor = app.add_user("Alf Tutor", &[Role::Staff]);
    let made = quick_incident(
        &app,
        &app.quick_token(&tutor),
        "Amy Alder",
        "online-bullying",
        "Messages in a group chat",
    )
    .await;
    let neighbour = app.neighbour.clone().unwrap();
    let b = app.signed_in(&ta).await;
    for path in [
        "/",
        "/trust/admin",
        "/trust/admin/people",
        "/trust/admin/categories",
        &format!("/trust/admin/schools/{}", app.school_id()),
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let text = res.text().await.unwrap();
        for secret in ["Amy Alder", "Messages in a group chat", NEIGHBOUR_PUPIL] {
            assert!(!text.contains(secret), "{path} shows {secret}");
        }
    }
    for path in [
        "/incidents".to_string(),
        format!("/incidents/{}", made["id"].as_str().unwrap()),
        format!("/pupils/{}", made["pupil_id"].as_str().unwrap()),
        "/incidents/new".to_string(),
        "/trust".to_string(),
        "/reports".to_string(),
        "/admin".to_string(),
        format!("/trust/admin/schools/{}", neighbour.school_id),
    ] {
        assert_eq!(b.get(&path).await.status(), 404, "{path}");
    }
    let token = app.quick_token(&ta);
    let (status, _) = api_get(&app, &token, "/api/v1/incidents").await;
    assert_eq!(status, 404);
    let res = b
        .post(
            &format!("/trust/admin/schools/{}/admins", neighbour.school_id),
            &[("email", "x@y.test"), ("name", "X"), ("initials", "X")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = b
        .post("/account/school", &[("school_id", &neighbour.school_id)])
        .await;
    assert_eq!(res.status(), 404, "no switching into another trust");

    // Working in another school of the trust, the same trust.
    let brook = app.add_school("Brook School", "100002", Some("Test Trust"));
    let res = b.post("/account/school", &[("school_id", &brook)]).await;
    assert_eq!(res.status(), 303);
    let page = b.text("/trust/admin").await;
    assert!(
        page.contains("Brook School") && page.contains("Test School"),
        "{page}"
    );
}

/// The id and name of each school's category with this code (school id to
/// (category id, name, from the trust)).
fn rows_of(app: &TestApp, code: &str) -> Vec<(String, String, String, bool)> {
    let rows: Vec<(String, String, String, Option<String>)> = categories::table
        .filter(categories::code.eq(code))
        .order(categories::school_id.asc())
        .select((
            categories::school_id,
            categories::id,
            categories::name,
            categories::trust_category_id,
        ))
        .load(&mut app.conn())
        .unwrap();
    rows.into_iter()
        .map(|(s, id, name, t)| (s, id, name, t.is_some()))
        .collect()
}

async fn a_shared_category_reaches_each_school_of_the_trust_and_no_other(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Test Trust"));
    let neighbour = app.neighbour.clone().unwrap();
    let ta = trust_admin(&app, "Tom Trustadmin");
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let osl_b = app.add_user_to(&brook, "Osa Lead", &[Role::OnlineSafetyLead]);
    let tutor_b = app.add_user_to(&brook, "Bea Tutor", &[Role::Staff]);
    let governor_b = app.add_user_to(&brook, "Gil Governor", &[Role::Governor]);
    let b = app.signed_in(&ta).await;
    let res = b
        .post(
            "/trust/admin/categories",
            &[
                ("name", "Sextortion scams"),
                ("four_c", "contact"),
                ("owner_role", "dsl"),
                ("guidance", "Do not pay. Tell the DSL."),
                ("urgent", "on"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/trust/admin/categories?saved=1");
    let rows = rows_of(&app, "sextortion-scams");
    let mut schools_with: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    schools_with.sort();
    let mut expected = vec![hill.as_str(), brook.as_str()];
    expected.sort();
    assert_eq!(
        schools_with, expected,
        "both schools of the trust, not the neighbour"
    );
    assert!(rows.iter().all(|r| r.2 == "Sextortion scams" && r.3));
    assert!(!rows.iter().any(|r| r.0 == neighbour.school_id));
    // The same name again is refused, the text kept.
    let res = b
        .post(
            "/trust/admin/categories",
            &[
                ("name", "Sextortion scams"),
                ("four_c", "contact"),
                ("owner_role", "dsl"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("already shares a category with this name"));

    // Offered on the log form in a school of the trust, and logged there.
    let form = app.signed_in(&tutor_b).await.text("/incidents/new").await;
    assert!(form.contains("Sextortion scams"), "{form}");
    let logged = quick_incident(
        &app,
        &app.quick_token(&tutor_b),
        "Ben Birch",
        "sextortion-scams",
        "A demand for money",
    )
    .await;
    assert_eq!(logged["category"], "sextortion-scams");
    // Not in the other trust's school.
    let form = app
        .signed_in(&neighbour.staff)
        .await
        .text("/incidents/new")
        .await;
    assert!(!form.contains("Sextortion scams"));

    // A school added later starts from the trust's set.
    let res = b
        .post(
            "/trust/admin/schools",
            &[("name", "Cedar School"), ("urn", "100003")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let (cedar, _, _) = school_named(&app, "Cedar School").unwrap();
    assert!(rows_of(&app, "sextortion-scams")
        .iter()
        .any(|r| r.0 == cedar && r.3));

    // The school adds its own beside the trust's.
    let a = app.signed_in(&admin).await;
    let res = a
        .post(
            "/admin/categories",
            &[
                ("name", "Gaming chat"),
                ("four_c", "contact"),
                ("owner_role", "online_safety_lead"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/categories?saved=1");
    let own = rows_of(&app, "gaming-chat");
    assert_eq!(own.len(), 1);
    assert_eq!((own[0].0.as_str(), own[0].3), (hill.as_str(), false));
    let list = a.text("/admin/categories").await;
    assert!(list.contains("Shared by the trust") && list.contains("Gaming chat"));

    // The school's administrator can neither rename nor retire it.
    let hill_row = rows_of(&app, "sextortion-scams")
        .into_iter()
        .find(|r| r.0 == hill)
        .unwrap();
    let page = a.text(&format!("/admin/categories/{}", hill_row.1)).await;
    assert!(page.contains("shares this category"), "{page}");
    assert!(!page.contains("name=\"name\""), "no form: {page}");
    for (name, active) in [("Renamed here", "on"), ("Sextortion scams", "")] {
        let mut fields = vec![
            ("name", name),
            ("four_c", "contact"),
            ("owner_role", "online_safety_lead"),
            ("guidance", "Do not pay. Tell the DSL."),
            ("urgent", "on"),
        ];
        if !active.is_empty() {
            fields.push(("active", active));
        }
        let res = a
            .post(&format!("/admin/categories/{}", hill_row.1), &fields)
            .await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("only the trust's administrator can rename it"));
    }
    let after: (String, String, bool) = categories::table
        .find(&hill_row.1)
        .select((categories::name, categories::owner_role, categories::active))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(after, ("Sextortion scams".into(), "dsl".into(), true));

    // Brook publishes its autumn report; the trust then renames the
    // category: every school's row changes, the incident keeps its category,
    // and the published report keeps the name it was published with.
    let res = app
        .signed_in(&osl_b)
        .await
        .post(
            "/reports/2025/autumn/publish",
            &[("commentary", "Autumn at Brook.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let tc_id: String = safelog::db::schema::trust_categories::table
        .filter(safelog::db::schema::trust_categories::code.eq("sextortion-scams"))
        .select(safelog::db::schema::trust_categories::id)
        .first(&mut app.conn())
        .unwrap();
    let res = b
        .post(
            &format!("/trust/admin/categories/{tc_id}"),
            &[
                ("name", "Sextortion and payment scams"),
                ("four_c", "contact"),
                ("owner_role", "dsl"),
                ("guidance", "Do not pay. Tell the DSL."),
                ("urgent", "on"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/trust/admin/categories?saved=1");
    let rows = rows_of(&app, "sextortion-scams");
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().all(|r| r.2 == "Sextortion and payment scams"),
        "{rows:?}"
    );
    let (_, incident) = api_get(
        &app,
        &app.quick_token(&osl_b),
        &format!("/api/v1/incidents/{}", logged["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(incident["category"], "sextortion-scams");
    let (status, published) = api_get(
        &app,
        &app.quick_token(&governor_b),
        "/api/v1/reports/termly?year=2025&term=autumn",
    )
    .await;
    assert_eq!(status, 200);
    let text = published.to_string();
    assert!(text.contains("Sextortion scams"), "{text}");
    assert!(!text.contains("Sextortion and payment scams"), "{text}");
}

async fn the_safeguards_hold_whatever_the_trust_tries(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Test Trust"));
    let ta = trust_admin(&app, "Tom Trustadmin");
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&ta).await;
    let standard = |code: &str| {
        safelog::categories::defaults::DEFAULTS
            .iter()
            .find(|d| d.code == code)
            .unwrap()
    };

    // A new category that is a safeguarded one by another name: refused,
    // and no school's changes.
    let res = b
        .post(
            "/trust/admin/categories",
            &[
                ("name", "Staff conduct"),
                ("four_c", "contact"),
                ("owner_role", "dsl"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.contains("must stay with the headteacher"), "{text}");
    assert!(text.contains("value=\"Staff conduct\""));
    let staff_conduct: Vec<(String, bool, Option<String>)> = categories::table
        .filter(categories::code.eq("staff-conduct"))
        .select((
            categories::owner_role,
            categories::restricted,
            categories::trust_category_id,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert!(staff_conduct
        .iter()
        .all(|(owner, restricted, t)| owner == "headteacher" && *restricted && t.is_none()));

    // Shared as the standard set has them.
    for code in ["nudes-sharing", "staff-conduct"] {
        let res = b
            .post("/trust/admin/categories/standard", &[("code", code)])
            .await;
        assert_eq!(location(&res), "/trust/admin/categories?saved=1", "{code}");
    }
    let rows = rows_of(&app, "nudes-sharing");
    for school in [&hill, &brook] {
        assert!(rows.iter().any(|r| &r.0 == school && r.3), "{rows:?}");
    }
    let restricted: Vec<bool> = categories::table
        .filter(categories::code.eq("staff-conduct"))
        .filter(categories::school_id.eq_any([&hill, &brook]))
        .select(categories::restricted)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        restricted,
        vec![true, true],
        "staff-conduct stays the headteacher's alone"
    );

    // Weakening nudes-sharing is refused, every problem listed, and every
    // school keeps it as it was.
    let tc_id: String = safelog::db::schema::trust_categories::table
        .filter(safelog::db::schema::trust_categories::code.eq("nudes-sharing"))
        .select(safelog::db::schema::trust_categories::id)
        .first(&mut app.conn())
        .unwrap();
    let page = b.text(&format!("/trust/admin/categories/{tc_id}")).await;
    assert!(page.contains("carries safeguards"), "{page}");
    let res = b
        .post(
            &format!("/trust/admin/categories/{tc_id}"),
            &[
                ("name", "Nudes"),
                ("four_c", "conduct"),
                ("owner_role", "online_safety_lead"),
                ("guidance", "Shorter guidance."),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    for expected in [
        "must stay with the DSL",
        "must stay urgent",
        "must stay offered",
        "Keep the standard guidance",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    let kept: Vec<(String, String, bool, bool, String)> = categories::table
        .filter(categories::code.eq("nudes-sharing"))
        .filter(categories::school_id.eq_any([&hill, &brook]))
        .select((
            categories::name,
            categories::owner_role,
            categories::urgent,
            categories::active,
            categories::guidance,
        ))
        .load(&mut app.conn())
        .unwrap();
    let d = standard("nudes-sharing");
    for row in &kept {
        assert_eq!(
            row,
            &(
                d.name.to_string(),
                "dsl".to_string(),
                true,
                true,
                d.guidance.to_string()
            )
        );
    }

    // Adding to the guidance is allowed, and reaches every school.
    let more = format!("{} Ring the trust's DSL on 0123 456.", d.guidance);
    let res = b
        .post(
            &format!("/trust/admin/categories/{tc_id}"),
            &[
                ("name", d.name),
                ("four_c", "conduct"),
                ("owner_role", "dsl"),
                ("guidance", &more),
                ("urgent", "on"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/trust/admin/categories?saved=1");
    let guidance: Vec<String> = categories::table
        .filter(categories::code.eq("nudes-sharing"))
        .filter(categories::school_id.eq_any([&hill, &brook]))
        .select(categories::guidance)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(guidance, vec![more.clone(), more.clone()]);

    // The school's administrator cannot touch it either.
    let hill_row = rows_of(&app, "nudes-sharing")
        .into_iter()
        .find(|r| r.0 == hill)
        .unwrap();
    let res = app
        .signed_in(&admin)
        .await
        .post(
            &format!("/admin/categories/{}", hill_row.1),
            &[
                ("name", "Nudes"),
                ("four_c", "conduct"),
                ("owner_role", "dsl"),
                ("guidance", &more),
                ("urgent", "on"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        rows_of(&app, "nudes-sharing")
            .iter()
            .find(|r| r.0 == hill)
            .unwrap()
            .2,
        d.name
    );
}

on_both_backends!(
    a_trust_admin_adds_a_school_with_its_first_administrator,
    a_trust_admin_gives_and_takes_trust_roles_but_never_the_lead_role_to_themselves,
    a_trust_admin_reads_no_incident_and_reaches_no_school_of_another_trust,
    a_shared_category_reaches_each_school_of_the_trust_and_no_other,
    the_safeguards_hold_whatever_the_trust_tries,
);
