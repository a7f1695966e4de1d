//! Roles from the provider's token (issue 15): a provider's mapping from a
//! claim's values (Entra's `groups` or `roles`, a custom claim) to school
//! roles, applied at each sign-in through the in-test provider of
//! `sso.rs`; and the gaps around it: `safelog sso remove`, `safelog sso
//! password-sign-in`, and a password session switching into a school that
//! has turned passwords off.

use jsonwebtoken::Algorithm;
use safelog::auth::Role;
use safelog::sso::store::Owner;
use serde_json::{json, Value};

use crate::helpers::{location, spawn_app, Backend, Browser, TestApp, TestUser};
use crate::mis::safelog_command;
use crate::on_both_backends;
use crate::sso::{add_provider, begin, claims, finish, sign, TestProvider};
use crate::sso_keys::KEY_A_DER;

const DSL_GROUP: &str = "6b7a0c1e-0000-4000-8000-00000000d51a";
const OSL_GROUP: &str = "6b7a0c1e-0000-4000-8000-0000000005e1";

/// A provider of the test school whose `groups` claim gives roles, the
/// mapping set from the command line (by nobody in the school).
fn mapped_provider(
    app: &TestApp,
    idp: &TestProvider,
    extra: impl FnOnce(&mut safelog::sso::model::ProviderInput),
) -> String {
    add_provider(
        app,
        Owner::School(&app.school_id()),
        &idp.issuer,
        "entra",
        |i| {
            i.role_claim = "groups".into();
            i.role_map = format!("{DSL_GROUP}=dsl\n{OSL_GROUP}=online_safety_lead");
            extra(i);
        },
    )
}

/// Signs `email` in through the provider, the token carrying `groups`
/// (absent with `None`). The browser and the callback's status.
async fn sign_in_with(
    app: &TestApp,
    idp: &TestProvider,
    pid: &str,
    email: &str,
    groups: Option<Value>,
) -> (Browser, u16) {
    sign_in_claiming(app, idp, pid, email, groups.map(|g| ("groups", g))).await
}

/// As [`sign_in_with`], with any claim.
async fn sign_in_claiming(
    app: &TestApp,
    idp: &TestProvider,
    pid: &str,
    email: &str,
    claim: Option<(&str, Value)>,
) -> (Browser, u16) {
    let browser = app.browser();
    let s = begin(&browser, pid).await;
    let mut c = claims(app, &idp.issuer, &s.nonce, email);
    c["amr"] = json!(["mfa"]);
    if let Some((name, value)) = claim {
        c[name] = value;
    }
    let res = finish(
        &browser,
        idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    let status = res.status().as_u16();
    (browser, status)
}

fn roles_of(app: &TestApp, user: &TestUser) -> Vec<Role> {
    let mut r =
        safelog::accounts::store::roles_in(&mut app.conn(), &user.id, &app.school_id()).unwrap();
    r.sort();
    r
}

fn sorted(mut r: Vec<Role>) -> Vec<Role> {
    r.sort();
    r
}

async fn a_group_in_the_token_grants_its_role_and_taking_it_away_removes_it_leaving_hand_given_roles(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    // Governor was given by hand; the mapping does not name it.
    let sam = app.add_user("Sam Staff", &[Role::Staff, Role::Governor]);
    let pid = mapped_provider(&app, &idp, |_| {});

    let (browser, status) = sign_in_with(
        &app,
        &idp,
        &pid,
        &sam.email,
        Some(json!([DSL_GROUP, "a-group-safelog-does-not-know"])),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        roles_of(&app, &sam),
        sorted(vec![Role::Staff, Role::Governor, Role::Dsl]),
        "the DSL group gives dsl; an unknown value gives nothing"
    );
    // The session has it at once: the DSL's inbox opens.
    assert_eq!(browser.get("/transfers/import").await.status(), 200);
    let changed = app
        .audit_actions()
        .into_iter()
        .filter(|(a, actor, r)| {
            a == "roles_changed" && actor.is_none() && r.as_deref() == Some(&sam.id)
        })
        .count();
    assert_eq!(changed, 1, "recorded as made by the provider, not a person");
    assert!(audit_details(&app, "roles_changed")
        .iter()
        .any(|d| d.contains("single sign-on with Microsoft")));

    // Out of the DSL group, into the online safety group.
    let (_, status) = sign_in_with(&app, &idp, &pid, &sam.email, Some(json!([OSL_GROUP]))).await;
    assert_eq!(status, 200);
    assert_eq!(
        roles_of(&app, &sam),
        sorted(vec![Role::Staff, Role::Governor, Role::OnlineSafetyLead]),
        "dsl goes with the group; governor, given by hand, stays"
    );
    // In no group: what the mapping manages goes, the rest stays.
    sign_in_with(&app, &idp, &pid, &sam.email, Some(json!([]))).await;
    assert_eq!(
        roles_of(&app, &sam),
        sorted(vec![Role::Staff, Role::Governor])
    );
}

async fn a_token_without_the_claim_leaves_roles_as_they_are(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let dee = app.add_user("Dee Lead", &[Role::Staff, Role::Dsl]);
    let pid = mapped_provider(&app, &idp, |_| {});
    let before = app.audit_actions().len();
    let (browser, status) = sign_in_with(&app, &idp, &pid, &dee.email, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        roles_of(&app, &dee),
        sorted(vec![Role::Staff, Role::Dsl]),
        "no claim: dsl is not taken away"
    );
    assert_eq!(browser.get("/transfers/import").await.status(), 200);
    assert!(!app.audit_actions()[before..]
        .iter()
        .any(|(a, _, _)| a == "roles_changed"));
    // A claim of another shape (an object) counts as absent too.
    sign_in_with(&app, &idp, &pid, &dee.email, Some(json!({"odd": 1}))).await;
    assert_eq!(roles_of(&app, &dee), sorted(vec![Role::Staff, Role::Dsl]));
}

async fn a_dsl_given_by_the_mapping_is_announced_to_every_headteacher(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let heads = [
        app.add_user("Hana Head", &[Role::Headteacher]),
        app.add_user("Hugo Head", &[Role::Headteacher, Role::Staff]),
    ];
    let sam = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = mapped_provider(&app, &idp, |_| {});
    sign_in_with(&app, &idp, &pid, &sam.email, Some(json!(DSL_GROUP))).await;
    assert!(
        roles_of(&app, &sam).contains(&Role::Dsl),
        "one string counts as one value"
    );
    let mails: Vec<_> = app
        .outbox()
        .into_iter()
        .filter(|(_, subject, _)| subject.contains("was given the"))
        .collect();
    for h in &heads {
        let mail = mails
            .iter()
            .find(|(to, _, _)| *to == h.email)
            .unwrap_or_else(|| panic!("{} is told: {mails:?}", h.email));
        assert!(
            mail.1.contains("Designated Safeguarding Lead") || mail.1.contains("DSL"),
            "{}",
            mail.1
        );
        assert!(
            mail.2.contains("single sign-on with Microsoft"),
            "{}",
            mail.2
        );
    }
    assert_eq!(mails.len(), 2, "each headteacher once");
    let start = app.signed_in(&heads[0]).await.text("/").await;
    assert!(
        start.contains("through single sign-on with Microsoft"),
        "on the headteacher's start page"
    );
    // Signing in again in the same group gives nothing new: no second notice.
    sign_in_with(&app, &idp, &pid, &sam.email, Some(json!([DSL_GROUP]))).await;
    let again = app
        .outbox()
        .into_iter()
        .filter(|(_, subject, _)| subject.contains("was given the"))
        .count();
    assert_eq!(again, 2);
}

async fn the_administrator_who_set_the_mapping_gets_no_lead_role_from_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let _head = app.add_user("Hana Head", &[Role::Headteacher]);
    let ada = app.add_user("Ada Admin", &[Role::Admin, Role::Staff]);
    let sam = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&app.school_id()),
        &idp.issuer,
        "entra",
        |_| {},
    );
    const HEADS: &str = "heads-group";
    let admin = app.signed_in(&ada).await;
    // A mapping that does not parse comes back with what was typed.
    let res = admin
        .post(
            &format!("/admin/sign-in/providers/{pid}/roles"),
            &[("role_claim", "groups"), ("role_map", "heads-group=wizard")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("not a safelog role") && page.contains("heads-group=wizard"));
    // Another school's administrator cannot set it.
    let neighbour = app.neighbour.clone().unwrap();
    let res = app
        .signed_in(&neighbour.admin)
        .await
        .post(
            &format!("/admin/sign-in/providers/{pid}/roles"),
            &[("role_claim", "groups"), ("role_map", "x=staff")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = admin
        .post(
            &format!("/admin/sign-in/providers/{pid}/roles"),
            &[
                ("role_claim", "groups"),
                ("role_map", "heads-group=headteacher\nadmins=admin"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(admin
        .text("/admin/sign-in")
        .await
        .contains("roles from claim groups"));

    // Ada is in the group (she runs the directory too): not from her own mapping.
    sign_in_with(&app, &idp, &pid, &ada.email, Some(json!([HEADS]))).await;
    assert_eq!(
        roles_of(&app, &ada),
        sorted(vec![Role::Admin, Role::Staff]),
        "no headteacher for the setter, and she keeps admin though not in the admins group"
    );
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, r)| a == "sso_role_withheld" && r.as_deref() == Some(&ada.id)));
    // Someone else in the group gets it, announced as given through Ada's mapping.
    sign_in_with(&app, &idp, &pid, &sam.email, Some(json!([HEADS]))).await;
    assert_eq!(
        roles_of(&app, &sam),
        sorted(vec![Role::Staff, Role::Headteacher])
    );
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, actor, r)| a == "role_granted"
            && actor.as_deref() == Some(&ada.id)
            && r.as_deref() == Some(&sam.id)));
}

async fn someone_who_signs_themselves_up_gets_the_mapped_roles_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let pid = mapped_provider(&app, &idp, |i| i.self_sign_up_domain = "school.test".into());
    let (browser, status) = sign_in_with(
        &app,
        &idp,
        &pid,
        "nina.new@school.test",
        Some(json!([OSL_GROUP])),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(browser.get("/").await.status(), 200);
    let user = safelog::accounts::store::user_by_email(&mut app.conn(), "nina.new@school.test")
        .unwrap()
        .expect("an account");
    let mut roles =
        safelog::accounts::store::roles_in(&mut app.conn(), &user.id, &app.school_id()).unwrap();
    roles.sort();
    assert_eq!(roles, vec![Role::Staff, Role::OnlineSafetyLead]);
}

async fn the_command_line_maps_removes_and_turns_password_sign_in_off_and_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let sam = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&app.school_id()),
        &idp.issuer,
        "generic",
        |_| {},
    );
    let run = |args: &[&str]| {
        let out = safelog_command(&app).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A mapping that does not parse says which option and why.
    let (ok, _, err) = run(&[
        "sso",
        "map",
        "--id",
        &pid,
        "--role-claim",
        "roles",
        "--map",
        "Safeguarding=wizard",
    ]);
    assert!(
        !ok && err.contains("--map") && err.contains("not a safelog role"),
        "{err}"
    );
    let (ok, out, err) = run(&[
        "sso",
        "map",
        "--id",
        &pid,
        "--role-claim",
        "roles",
        "--map",
        "Safeguarding.Lead=dsl,staff",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("dsl"), "{out}");
    // Entra's app roles arrive in `roles`.
    sign_in_claiming(
        &app,
        &idp,
        &pid,
        &sam.email,
        Some(("roles", json!(["Safeguarding.Lead"]))),
    )
    .await;
    assert_eq!(roles_of(&app, &sam), sorted(vec![Role::Staff, Role::Dsl]));
    let (ok, out, _) = run(&["sso", "map", "--id", &pid, "--clear"]);
    assert!(ok && out.contains("gives no roles"), "{out}");

    // Password sign-in off from the server, then on again.
    let (ok, out, err) = run(&[
        "sso",
        "password-sign-in",
        "--school",
        "Test School",
        "--off",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("off"), "{out}");
    let res = app.browser().sign_in(&sam).await;
    assert_eq!(res.status(), 403, "a password is refused now");
    let (ok, out, _) = run(&["sso", "password-sign-in", "--school", "Test School", "--on"]);
    assert!(ok && out.contains("on"), "{out}");
    let res = app.browser().sign_in(&sam).await;
    assert_eq!(res.status(), 303, "and taken again");
    assert!(
        app.audit_actions()
            .iter()
            .filter(|(a, _, _)| a == "sign_in_settings_changed")
            .count()
            >= 2
    );

    // Removing the provider takes its button away; an unknown id says so.
    let (ok, _, err) = run(&["sso", "remove", "--id", "no-such-provider"]);
    assert!(!ok && err.contains("sso list"), "{err}");
    assert!(app
        .browser()
        .text("/login")
        .await
        .contains("Sign in with Microsoft"));
    let (ok, out, err) = run(&["sso", "remove", "--id", &pid]);
    assert!(ok && out.contains("Removed"), "{err}");
    assert!(!app
        .browser()
        .text("/login")
        .await
        .contains("Sign in with Microsoft"));
    assert_eq!(
        browser_start_status(&app, &pid).await,
        404,
        "its sign-in no longer starts"
    );
    let (_, listed, _) = run(&["sso", "list"]);
    assert!(!listed.contains(&pid), "{listed}");
}

async fn browser_start_status(app: &TestApp, pid: &str) -> u16 {
    app.browser()
        .get(&format!("/login/oidc/{pid}"))
        .await
        .status()
        .as_u16()
}

async fn a_password_session_cannot_switch_into_a_school_that_turned_passwords_off(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let here = app.school_id();
    let other = app.add_school("Beech Academy", "300888", None);
    let sam = app.add_user("Sam Staff", &[Role::Staff]);
    app.add_membership(&sam, &other, &[Role::Staff]);
    let ada = app.add_user("Ada Admin", &[Role::Admin]);
    app.add_membership(&ada, &other, &[Role::Admin]);
    let now = app.clock.now_naive();
    let mut settings = safelog::auth::store::sign_in_settings(&mut app.conn(), &other).unwrap();
    settings.password_sign_in = false;
    safelog::auth::store::save_sign_in_settings(&mut app.conn(), &other, settings, None, now)
        .unwrap();

    let res = switch_to(&app.signed_in(&sam).await, &other).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Sign in with"));
    let session_school: String = {
        use diesel::prelude::*;
        use safelog::db::schema::sessions::dsl::*;
        sessions
            .filter(user_id.eq(&sam.id))
            .select(school_id)
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(session_school, here, "still working in the first school");
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, actor, _)| a == "school_switch_refused" && actor.as_deref() == Some(&sam.id)));

    // The administrator may (their way back in), with a second factor.
    let b = app.signed_in(&ada).await;
    let res = switch_to(&b, &other).await;
    assert_eq!(res.status(), 303);
    let res = b.get("/").await;
    assert_eq!(
        location(&res),
        "/account/2fa",
        "asked to set up a second factor"
    );
}

async fn switch_to(b: &Browser, school: &str) -> reqwest::Response {
    b.post("/account/school", &[("school_id", school), ("then", "/")])
        .await
}

fn audit_details(app: &TestApp, wanted: &str) -> Vec<String> {
    use diesel::prelude::*;
    use safelog::db::schema::audit_events::dsl::*;
    audit_events
        .filter(action.eq(wanted))
        .select(detail)
        .load::<Option<String>>(&mut app.conn())
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

on_both_backends!(
    a_group_in_the_token_grants_its_role_and_taking_it_away_removes_it_leaving_hand_given_roles,
    a_token_without_the_claim_leaves_roles_as_they_are,
    a_dsl_given_by_the_mapping_is_announced_to_every_headteacher,
    the_administrator_who_set_the_mapping_gets_no_lead_role_from_it,
    someone_who_signs_themselves_up_gets_the_mapped_roles_too,
    the_command_line_maps_removes_and_turns_password_sign_in_off_and_on,
    a_password_session_cannot_switch_into_a_school_that_turned_passwords_off,
);
