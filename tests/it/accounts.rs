//! An administrator managing accounts and roles, and `safelog user add`.

use std::io::Write;
use std::process::{Command, Stdio};

use safelog::auth::Role;

use crate::auth::reset_path;
use crate::helpers::{location, spawn_app, Backend, TestDb};
use crate::on_both_backends;

async fn an_administrator_adds_an_account_who_sets_a_password_from_the_welcome_link(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            "/admin/users",
            &[
                ("name", "Łukasz Nowak"),
                ("email", "L.Nowak@School.test"),
                ("initials", "ln"),
                ("role", "staff"),
                ("role", "online_safety_lead"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Łukasz Nowak"));
    assert!(
        page.contains("/password-reset/"),
        "without SMTP the admin is shown the link"
    );
    let list = b.text("/admin/users").await;
    assert!(
        list.contains("l.nowak@school.test")
            && list.contains("LN")
            && list.contains("Online Safety Lead")
    );

    let mail = app.outbox();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].0, "l.nowak@school.test");
    let path = reset_path(&mail[0].2);
    let newcomer = app.browser();
    let res = newcomer
        .post(
            &path,
            &[
                ("password", "my own long passphrase"),
                ("confirm_password", "my own long passphrase"),
            ],
        )
        .await;
    // Choosing a password through the welcome link signs them in.
    assert_eq!(location(&res), "/");
    assert_eq!(newcomer.get("/account").await.status(), 200);
    let res = app
        .browser()
        .post(
            "/login",
            &[
                ("email", "l.nowak@school.test"),
                ("password", "my own long passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let actions: Vec<String> = app.audit_actions().into_iter().map(|(a, _, _)| a).collect();
    assert!(actions.contains(&"account_created".to_string()));
}

async fn a_rejected_account_form_keeps_what_was_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let taken = app.add_user("Tim Taken", &[Role::Staff]);
    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            "/admin/users",
            &[
                ("name", "Aoife Ní Bhriain"),
                ("email", "bad"),
                ("initials", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"Aoife Ní Bhriain\""));
    assert!(html.contains("Enter an email address like"));
    assert!(html.contains("Enter their initials."));
    assert!(html.contains("Choose at least one role."));

    let res = b
        .post(
            "/admin/users",
            &[
                ("name", "Dup"),
                ("email", &taken.email),
                ("initials", "D"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("already an account"));
}

async fn a_role_change_takes_effect_on_the_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let user = app.add_user("Rob Roles", &[Role::Staff]);
    let token = app.token(&user).await;
    assert_eq!(app.get_with("/admin", &token).await.status(), 404);

    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            &format!("/admin/users/{}", user.id),
            &[
                ("name", "Rob Roles"),
                ("email", &user.email),
                ("initials", "RR"),
                ("role", "staff"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/users?saved=1");
    assert_eq!(app.get_with("/admin", &token).await.status(), 200);
    let me: serde_json::Value = app
        .get_with("/api/v1/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], serde_json::json!(["staff", "admin"]));
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, r)| a == "roles_changed" && r.as_deref() == Some(user.id.as_str())));

    b.post(
        &format!("/admin/users/{}", user.id),
        &[
            ("name", "Rob Roles"),
            ("email", &user.email),
            ("initials", "RR"),
            ("role", "staff"),
        ],
    )
    .await;
    assert_eq!(app.get_with("/admin", &token).await.status(), 404);
}

async fn an_administrator_cannot_lock_themselves_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            &format!("/admin/users/{}", admin.id),
            &[
                ("name", "Ann Admin"),
                ("email", &admin.email),
                ("initials", "AA"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("cannot remove your own administrator role"));
    let res = b
        .post(&format!("/admin/users/{}/deactivate", admin.id), &[])
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(b.get("/admin").await.status(), 200);
}

async fn an_account_of_another_school_is_not_there_for_an_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let other_school = safelog::accounts::store::create_school(
        &mut app.conn(),
        "Other School",
        app.clock.now_naive(),
    )
    .unwrap();
    let stranger = app.add_user_to(&other_school.id, "Sly Stranger", &[Role::Staff]);
    let b = app.signed_in(&admin).await;
    assert_eq!(
        b.get(&format!("/admin/users/{}", stranger.id))
            .await
            .status(),
        404
    );
    assert_eq!(
        b.post(&format!("/admin/users/{}/deactivate", stranger.id), &[])
            .await
            .status(),
        404
    );
    assert!(!b.text("/admin/users").await.contains("Sly Stranger"));
    let _still_signs_in = app.token(&stranger).await;
}

async fn resetting_a_lost_phone_turns_two_factor_off_and_ends_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let user = app.add_user("Phil Phoneless", &[Role::Staff]);
    safelog::auth::store::enable_totp(&mut app.conn(), &user.id, "JBSWY3DPEHPK3PXP", 1).unwrap();
    let token = app.quick_token(&user);
    let b = app.signed_in(&admin).await;
    assert!(b
        .text(&format!("/admin/users/{}", user.id))
        .await
        .contains("Reset two-factor"));
    b.post(&format!("/admin/users/{}/reset-2fa", user.id), &[])
        .await;
    assert_eq!(app.get_with("/api/v1/me", &token).await.status(), 401);
    assert!(!safelog::accounts::store::user(&mut app.conn(), &user.id)
        .unwrap()
        .has_2fa());
}

on_both_backends!(
    an_administrator_adds_an_account_who_sets_a_password_from_the_welcome_link,
    a_rejected_account_form_keeps_what_was_typed,
    a_role_change_takes_effect_on_the_next_request,
    an_administrator_cannot_lock_themselves_out,
    an_account_of_another_school_is_not_there_for_an_administrator,
    resetting_a_lost_phone_turns_two_factor_off_and_ends_sessions,
);

fn user_add(db_url: &str, args: &[&str], password: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safelog"))
        .args(["user", "add", "--database-url", db_url, "--password-stdin"])
        .args(args)
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_add_creates_the_school_and_account_from_a_script_and_explains_mistakes() {
    let db = TestDb::new(Backend::Sqlite);
    let url = db.url();
    let out = user_add(
        &url,
        &[
            "--email",
            "DSL@school.test",
            "--name",
            "Zoë Dsl",
            "--initials",
            "zd",
            "--role",
            "dsl",
            "--role",
            "admin",
            "--school",
            "Hill School",
        ],
        "a perfectly fine passphrase",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Zoë Dsl") && said.contains("Hill School") && said.contains("dsl, admin"),
        "{said}"
    );

    let pool = safelog::db::open(&url).unwrap();
    let mut conn = pool.get().unwrap();
    let user = safelog::accounts::store::user_by_email(&mut conn, "dsl@school.test")
        .unwrap()
        .unwrap();
    assert!(safelog::auth::password::verify(
        "a perfectly fine passphrase",
        &user.password_hash
    ));
    assert_eq!(user.initials, "ZD");

    for (args, password, expected) in [
        (
            vec![
                "--email",
                "dsl@school.test",
                "--name",
                "Again",
                "--initials",
                "A",
                "--role",
                "staff",
            ],
            "another fine passphrase",
            "already an account",
        ),
        (
            vec![
                "--email",
                "x@school.test",
                "--name",
                "X",
                "--initials",
                "X",
                "--role",
                "caretaker",
            ],
            "another fine passphrase",
            "is not a role",
        ),
        (
            vec![
                "--email",
                "y@school.test",
                "--name",
                "Y",
                "--initials",
                "Y",
                "--role",
                "staff",
            ],
            "password1234",
            "commonly used",
        ),
        (
            vec![
                "--email",
                "z@school.test",
                "--name",
                "Z",
                "--initials",
                "Z",
                "--role",
                "staff",
                "--school",
                "Nowhere",
            ],
            "another fine passphrase",
            "no school named",
        ),
    ] {
        let out = user_add(&url, &args, password);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains(expected), "{expected:?} not in {err}");
        assert!(
            !err.contains("panicked") && !err.contains(password),
            "{err}"
        );
    }
}

async fn the_email_page_lists_what_has_not_been_sent_and_the_last_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    b.post(
        "/admin/users",
        &[
            ("name", "New Person"),
            ("email", "new.person@school.test"),
            ("initials", "NP"),
            ("role", "staff"),
        ],
    )
    .await;
    let page = b.text("/admin/email").await;
    assert!(page.contains("Email is not set up"));
    assert!(page.contains("new.person@school.test") && page.contains("welcome"));

    // With a server that refuses connections, the error is shown after a try.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let failing = crate::helpers::spawn_app_with(backend, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None);
        c.smtp_url = Some(safelog::config::Secret::new(format!(
            "smtp://127.0.0.1:{port}"
        )));
        c.mail_poll_ms = 100;
    })
    .await;
    let admin = failing.add_user("Ann Admin", &[Role::Admin]);
    let b = failing.signed_in(&admin).await;
    b.post(
        "/admin/users",
        &[
            ("name", "Later Person"),
            ("email", "later@school.test"),
            ("initials", "LP"),
            ("role", "staff"),
        ],
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let page = b.text("/admin/email").await;
        if page.contains("Last delivery error") {
            assert!(page.contains("later@school.test"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no delivery error shown: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

on_both_backends!(the_email_page_lists_what_has_not_been_sent_and_the_last_error);
