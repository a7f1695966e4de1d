//! Signing in and staying signed in: setup, passwords, lockout, sessions
//! and their tokens, two-factor, password reset, and what never reaches a log.

use chrono::Duration;
use serde_json::{json, Value};

use crate::helpers::{
    captured_logs, location, spawn_app, spawn_app_with, spawn_empty_app, Backend, TestApp,
    TestUser, TEST_JWT_SECRET,
};
use crate::on_both_backends;
use safelog::auth::{totp, Role};

async fn api_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get_with("/api/v1/me", token).await.status().as_u16()
}

async fn the_setup_link_works_once_and_creates_the_school_and_its_administrator(backend: Backend) {
    let app = spawn_empty_app(backend).await;
    let link = safelog::auth::setup::setup_link_if_empty(&app.pool, &app.clock, &app.address)
        .unwrap()
        .expect("an empty database gets a setup link");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let b = app.browser();
    assert_eq!(b.get(&path).await.status(), 200);

    let form = [
        ("school", "Ysgol Llanfair"),
        ("name", "Zoë Łukasz"),
        ("initials", "zl"),
        ("email", "Head@Ysgol.example"),
        ("password", "a long enough passphrase"),
        ("confirm_password", "a long enough passphrase"),
        ("role", "headteacher"),
    ];
    let res = b.post(&path, &form).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/");
    let me: Value = b.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["name"], "Zoë Łukasz");
    assert_eq!(me["initials"], "ZL");
    assert_eq!(me["email"], "head@ysgol.example");
    assert_eq!(me["roles"], json!(["headteacher", "admin"]));
    assert!(b.text("/admin").await.contains("Ysgol Llanfair"));

    // The second use, from anyone, is refused and creates nothing.
    let other = app.browser();
    let mut again = form;
    again[3] = ("email", "someone@else.example");
    let res = other.post(&path, &again).await;
    assert_eq!(res.status(), 404);
    assert_eq!(other.get(&path).await.status(), 404);
    assert!(
        safelog::auth::setup::setup_link_if_empty(&app.pool, &app.clock, &app.address)
            .unwrap()
            .is_none()
    );
}

async fn a_setup_link_expires_after_24_hours(backend: Backend) {
    let app = spawn_empty_app(backend).await;
    let link = safelog::auth::setup::setup_link_if_empty(&app.pool, &app.clock, &app.address)
        .unwrap()
        .unwrap();
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(1));
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    assert_eq!(app.browser().get(&path).await.status(), 404);
}

async fn a_rejected_setup_form_keeps_what_was_typed_and_says_what_to_fix(backend: Backend) {
    let app = spawn_empty_app(backend).await;
    let link = safelog::auth::setup::setup_link_if_empty(&app.pool, &app.clock, &app.address)
        .unwrap()
        .unwrap();
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let res = app
        .browser()
        .post(
            &path,
            &[
                ("school", "Aoife's <School>"),
                ("name", "Aoife Ní Bhriain"),
                ("initials", "ANB"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"Aoife Ní Bhriain\""));
    assert!(html.contains("Aoife&#39;s &lt;School&gt;") || html.contains("Aoife's &lt;School&gt;"));
    assert!(html.contains("Enter an email address like"));
    assert!(html.contains("at least 12 characters"));
}

async fn the_eleventh_failed_sign_in_within_15_minutes_is_refused_with_429(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Sam Tutor", &[Role::Staff]);
    for attempt in 1..=10 {
        let res = api_sign_in(&app, &user.email, "wrong password entirely").await;
        assert_eq!(res.status(), 401, "attempt {attempt}");
    }
    // Even the right password is refused while the window lasts.
    assert_eq!(
        api_sign_in(&app, &user.email, &user.password)
            .await
            .status(),
        429
    );
    let page = app.browser().sign_in(&user).await;
    assert_eq!(page.status(), 429);
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, _)| a == "sign_in_locked"));

    app.clock.advance(Duration::minutes(16));
    assert_eq!(
        api_sign_in(&app, &user.email, &user.password)
            .await
            .status(),
        200
    );
}

async fn a_wrong_password_an_unknown_email_and_a_deactivated_account_look_the_same(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Pat Active", &[Role::Staff]);
    let gone = app.add_user("Lee Leaver", &[Role::Staff]);
    safelog::accounts::store::set_active(&mut app.conn(), &gone.id, false, app.clock.now_naive())
        .unwrap();

    let mut answers = Vec::new();
    for (email, password) in [
        (user.email.as_str(), "not the password at all"),
        ("nobody@school.test", "not the password at all"),
        (gone.email.as_str(), gone.password.as_str()),
    ] {
        let res = api_sign_in(&app, email, password).await;
        answers.push((res.status(), res.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, 401);
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);

    // The sign-in page too: same status and the same page but for the echoed email.
    let b = app.browser();
    let mut pages = Vec::new();
    for (email, password) in [
        (user.email.as_str(), "not the password at all"),
        ("nobody@school.test", "not the password at all"),
        (gone.email.as_str(), gone.password.as_str()),
    ] {
        let res = b
            .post("/login", &[("email", email), ("password", password)])
            .await;
        let status = res.status();
        pages.push((status, res.text().await.unwrap().replace(email, "EMAIL")));
    }
    assert_eq!(pages[0].0, 401);
    assert_eq!(pages[0], pages[1]);
    assert_eq!(pages[1], pages[2]);
}

async fn a_token_stops_working_after_sign_out_password_change_deactivation_and_idleness(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let user = app.add_user("Tom Tutor", &[Role::Staff]);

    // Sign-out.
    let token = app.token(&user).await;
    assert_eq!(me_status(&app, &token).await, 200);
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(me_status(&app, &token).await, 401);

    // A password change ends every other session at once.
    let api_token = app.token(&user).await;
    let b = app.signed_in(&user).await;
    let res = b
        .post(
            "/account/password",
            &[
                ("current_password", user.password.as_str()),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(me_status(&app, &api_token).await, 401);
    assert_eq!(
        b.get("/account").await.status(),
        200,
        "the browser that changed it stays signed in"
    );
    let user = TestUser {
        password: "a brand new passphrase".into(),
        ..user
    };

    // Deactivation, by an administrator.
    let token = app.token(&user).await;
    let admin_browser = app.signed_in(&admin).await;
    let res = admin_browser
        .post(&format!("/admin/users/{}/deactivate", user.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(me_status(&app, &token).await, 401);
    assert_eq!(b.get("/account").await.status(), 303);

    // Idleness: 29 minutes apart keeps a session; 31 ends it.
    let other = app.add_user("Ida Idle", &[Role::Staff]);
    let token = app.token(&other).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(me_status(&app, &token).await, 200);
    app.clock.advance(Duration::minutes(29));
    assert_eq!(me_status(&app, &token).await, 200);
    app.clock.advance(Duration::minutes(31));
    assert_eq!(me_status(&app, &token).await, 401);
}

async fn a_session_ends_ten_hours_after_sign_in_however_active(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Busy Bee", &[Role::Staff]);
    let token = app.token(&user).await;
    for _ in 0..20 {
        app.clock.advance(Duration::minutes(29));
        assert_eq!(me_status(&app, &token).await, 200);
    }
    app.clock.advance(Duration::minutes(29));
    assert_eq!(me_status(&app, &token).await, 401);
}

fn forge(claims: Value, alg: jsonwebtoken::Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn forged_expired_or_tampered_tokens_are_refused(backend: Backend) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::Algorithm;

    let app = spawn_app(backend).await;
    let user = app.add_user("Val Victim", &[Role::Staff]);
    let good = app.token(&user).await;
    assert_eq!(me_status(&app, &good).await, 200);
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(good.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let now = app.clock.now().timestamp();
    let secret = TEST_JWT_SECRET.as_bytes();

    let with = |key: &str, value: Value| {
        let mut c = payload.clone();
        c[key] = value;
        c
    };
    let mut bad = vec![
        (
            "another key",
            forge(
                payload.clone(),
                Algorithm::HS256,
                b"another-secret-that-is-long-enough-000000",
            ),
        ),
        (
            "expired",
            forge(with("exp", json!(now - 60)), Algorithm::HS256, secret),
        ),
        (
            "not yet valid",
            forge(with("nbf", json!(now + 3600)), Algorithm::HS256, secret),
        ),
        (
            "another audience",
            forge(with("aud", json!("someone-else")), Algorithm::HS256, secret),
        ),
        (
            "another issuer",
            forge(with("iss", json!("someone-else")), Algorithm::HS256, secret),
        ),
        ("HS512", forge(payload.clone(), Algorithm::HS512, secret)),
    ];
    // A changed payload under the original signature.
    let parts: Vec<&str> = good.split('.').collect();
    let changed =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&with("sub", json!("another-session"))).unwrap());
    bad.push((
        "changed payload",
        format!("{}.{}.{}", parts[0], changed, parts[2]),
    ));
    // alg none, no signature.
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    bad.push(("alg none", format!("{none_header}.{}.", parts[1])));
    bad.push(("garbage", "not.a.token".into()));

    for (what, token) in bad {
        assert_eq!(me_status(&app, &token).await, 401, "{what}");
        let page = app
            .client
            .get(app.url("/account"))
            .header("cookie", format!("safelog_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 303, "{what} (cookie)");
    }
    assert_eq!(me_status(&app, &good).await, 200);
}

/// Signs in through the page and returns the browser at the code step.
async fn two_factor_setup(app: &TestApp, user: &TestUser) -> (crate::helpers::Browser, String) {
    let b = app.browser();
    let res = b.sign_in(user).await;
    assert_eq!(
        location(&res),
        "/account/2fa",
        "a lead must set up 2FA first"
    );
    // Nothing else is open until then.
    assert_eq!(location(&b.get("/").await), "/account/2fa");
    let res = b.post("/account/2fa/start", &[]).await;
    assert_eq!(res.status(), 303);
    let page = b.text("/account/2fa").await;
    assert!(page.contains("data:image/svg+xml;base64,"), "a QR code");
    let secret = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    (b, secret)
}

fn code_now(app: &TestApp, secret: &str) -> String {
    totp::current_code(secret, app.clock.now().timestamp()).unwrap()
}

async fn a_lead_sets_up_two_factor_then_needs_a_code_or_a_recovery_code_once(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let user = app.add_user("Dee Dsl", &[Role::Dsl]);
    // No API token without 2FA for a lead.
    assert_eq!(
        api_sign_in(&app, &user.email, &user.password)
            .await
            .status(),
        403
    );

    let (b, secret) = two_factor_setup(&app, &user).await;
    let res = b.post("/account/2fa/confirm", &[("code", "000000")]).await;
    assert_eq!(res.status(), 422);
    let res = b
        .post(
            "/account/2fa/confirm",
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let codes: Vec<String> = html
        .split("<code class=\"secret\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(b.get("/").await.status(), 200);

    // Next sign-in asks for the code.
    app.clock.advance(Duration::seconds(30));
    let b = app.browser();
    assert_eq!(location(&b.sign_in(&user).await), "/login/2fa");
    assert_eq!(location(&b.get("/").await), "/login/2fa");
    assert_eq!(
        b.post("/login/2fa", &[("code", "123456")]).await.status(),
        401
    );
    let res = b
        .post("/login/2fa", &[("code", &code_now(&app, &secret))])
        .await;
    assert_eq!(location(&res), "/");
    assert_eq!(b.get("/").await.status(), 200);

    // The same code cannot be replayed.
    let again = app.browser();
    again.sign_in(&user).await;
    assert_eq!(
        again
            .post("/login/2fa", &[("code", &code_now(&app, &secret))])
            .await
            .status(),
        401
    );

    // A recovery code works once.
    let r = app.browser();
    r.sign_in(&user).await;
    assert_eq!(
        location(
            &r.post("/login/2fa", &[("code", &codes[0].to_lowercase())])
                .await
        ),
        "/"
    );
    let r2 = app.browser();
    r2.sign_in(&user).await;
    assert_eq!(
        r2.post("/login/2fa", &[("code", &codes[0])]).await.status(),
        401
    );

    // The API takes the code alongside the password.
    app.clock.advance(Duration::seconds(30));
    let res = api_sign_in(&app, &user.email, &user.password).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("totp"));
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": user.email, "password": user.password, "totp": code_now(&app, &secret)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let actions: Vec<String> = app.audit_actions().into_iter().map(|(a, _, _)| a).collect();
    for expected in [
        "2fa_enabled",
        "recovery_code_used",
        "sign_in",
        "sign_in_failed",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} audited");
    }
}

async fn plain_staff_need_no_second_factor_by_default_but_the_school_can_require_it(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |_| {}).await;
    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    let governor = app.add_user("Gil Governor", &[Role::Governor]);
    assert_eq!(location(&app.browser().sign_in(&staff).await), "/");
    assert_eq!(
        location(&app.browser().sign_in(&governor).await),
        "/account/2fa"
    );

    safelog::accounts::store::update_school(
        &mut app.conn(),
        &staff.school_id,
        "Test School",
        "all",
    )
    .unwrap();
    assert_eq!(
        location(&app.browser().sign_in(&staff).await),
        "/account/2fa"
    );
}

async fn a_password_reset_link_is_emailed_works_once_and_expires_after_an_hour(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Rosa Reset", &[Role::Staff]);
    let b = app.browser();
    let res = b
        .post("/password-reset", &[("email", &user.email.to_uppercase())])
        .await;
    assert_eq!(res.status(), 200);
    let unknown = b
        .post("/password-reset", &[("email", "nobody@school.test")])
        .await;
    assert_eq!(unknown.status(), 200);
    assert_eq!(
        res.text()
            .await
            .unwrap()
            .replace(&user.email.to_uppercase(), ""),
        unknown
            .text()
            .await
            .unwrap()
            .replace("nobody@school.test", "")
    );
    let mail = app.outbox();
    assert_eq!(mail.len(), 1, "only the real account gets an email");
    assert_eq!(mail[0].0, user.email);
    let path = reset_path(&mail[0].2);

    assert_eq!(b.get(&path).await.status(), 200);
    let res = b
        .post(
            &path,
            &[
                ("password", "a fresh passphrase here"),
                ("confirm_password", "a fresh passphrase here"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/", "a reset link signs them in");
    assert_eq!(
        api_sign_in(&app, &user.email, &user.password)
            .await
            .status(),
        401
    );
    assert_eq!(
        api_sign_in(&app, &user.email, "a fresh passphrase here")
            .await
            .status(),
        200
    );
    let again = b
        .post(
            &path,
            &[
                ("password", "another passphrase yes"),
                ("confirm_password", "another passphrase yes"),
            ],
        )
        .await;
    assert_eq!(again.status(), 404);

    b.post("/password-reset", &[("email", &user.email)]).await;
    let path = reset_path(&app.outbox()[1].2);
    app.clock.advance(Duration::minutes(61));
    assert_eq!(b.get(&path).await.status(), 404);
}

/// The path of the link in an email (its host is the configured base URL).
pub fn reset_path(body: &str) -> String {
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/password-reset/"))
        .unwrap();
    link[link.find("/password-reset/").unwrap()..].to_string()
}

/// A reset link signs its holder in, but not past a second factor they
/// have: the code is still asked for.
async fn a_reset_link_still_asks_for_the_code_of_an_account_with_two_factor(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let user = app.add_user("Tess Twofactor", &[Role::Dsl]);
    let (b, secret) = two_factor_setup(&app, &user).await;
    let code = code_now(&app, &secret);
    let res = b.post("/account/2fa/confirm", &[("code", &code)]).await;
    assert_eq!(res.status(), 200, "2FA turned on");
    let other = app.browser();
    other
        .post("/password-reset", &[("email", &user.email)])
        .await;
    let path = reset_path(&app.outbox().last().unwrap().2);
    let res = other
        .post(
            &path,
            &[
                ("password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/login/2fa");
    assert_eq!(location(&other.get("/incidents").await), "/login/2fa");
    // The browser that set it up was signed out by the reset.
    assert_eq!(location(&b.get("/incidents").await), "/login");
}

async fn no_password_hash_token_totp_secret_or_recovery_code_reaches_a_log_line(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let canary = format!("canary-{}-pass", uuid::Uuid::new_v4().simple());
    let user = app.add_user("Cal Canary", &[Role::Headteacher]);
    let hash = safelog::accounts::store::user(&mut app.conn(), &user.id)
        .unwrap()
        .password_hash;
    api_sign_in(&app, &user.email, &canary).await;
    app.browser()
        .post("/login", &[("email", &user.email), ("password", &canary)])
        .await;
    let (b, secret) = two_factor_setup(&app, &user).await;
    let res = b
        .post(
            "/account/2fa/confirm",
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    let codes_page = res.text().await.unwrap();
    let session = b.cookie("safelog_session").unwrap();
    app.clock.advance(Duration::seconds(30));
    let token: Value = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": user.email, "password": user.password, "totp": code_now(&app, &secret)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    b.post(
        "/account/password",
        &[
            ("current_password", &user.password),
            ("new_password", &canary),
            ("confirm_password", &canary),
        ],
    )
    .await;

    let logs = captured_logs();
    let first_code = codes_page
        .split("<code class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    for (what, secret_value) in [
        ("password", canary.as_str()),
        ("old password", user.password.as_str()),
        ("hash", hash.as_str()),
        ("session token", session.as_str()),
        ("api token", token.as_str()),
        ("totp secret", secret.as_str()),
        ("recovery code", first_code),
    ] {
        assert!(!logs.contains(secret_value), "{what} found in the logs");
    }
}

async fn cookies_are_httponly_samesite_strict_and_host_bound_over_https(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Cora Cookie", &[Role::Staff]);
    let res = app.browser().sign_in(&user).await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("safelog_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"));

    let secure = spawn_app_with(backend, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None);
        c.base_url = Some("https://safelog.school.test".into());
    })
    .await;
    let user = secure.add_user("Sue Secure", &[Role::Staff]);
    let csrf_page = secure.get("/login").await;
    assert!(csrf_page.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let csrf_cookie = csrf_page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csrf_cookie.starts_with("__Host-safelog_csrf=") && csrf_cookie.contains("Secure"));
    let token = csrf_cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string();
    let res = secure
        .client
        .post(secure.url("/login"))
        .header("cookie", format!("__Host-safelog_csrf={token}"))
        .header("origin", "https://safelog.school.test")
        .form(&[
            ("csrf", token.as_str()),
            ("email", &user.email),
            ("password", &user.password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-safelog_session=")
            && cookie.contains("Secure")
            && cookie.contains("Path=/")
    );
}

async fn a_person_sees_their_own_recent_sign_ins(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Rita Recent", &[Role::Staff]);
    api_sign_in(&app, &user.email, "definitely not it").await;
    let b = app.signed_in(&user).await;
    let page = b.text("/account").await;
    assert!(page.contains("Failed sign-in"));
    assert!(page.contains("Signed in"));
    assert!(page.contains("127.0.0.1"));
}

async fn repeated_reset_requests_send_at_most_three_links_in_fifteen_minutes(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Inbox Target", &[Role::Staff]);
    let b = app.browser();
    let mut pages = Vec::new();
    for _ in 0..5 {
        let res = b.post("/password-reset", &[("email", &user.email)]).await;
        assert_eq!(res.status(), 200);
        pages.push(res.text().await.unwrap());
    }
    assert!(
        pages.windows(2).all(|w| w[0] == w[1]),
        "the page says the same every time"
    );
    assert_eq!(app.outbox().len(), 3);
    app.clock.advance(Duration::minutes(16));
    b.post("/password-reset", &[("email", &user.email)]).await;
    assert_eq!(app.outbox().len(), 4, "the window passes");
}

on_both_backends!(
    a_reset_link_still_asks_for_the_code_of_an_account_with_two_factor,
    repeated_reset_requests_send_at_most_three_links_in_fifteen_minutes,
    the_setup_link_works_once_and_creates_the_school_and_its_administrator,
    a_setup_link_expires_after_24_hours,
    a_rejected_setup_form_keeps_what_was_typed_and_says_what_to_fix,
    the_eleventh_failed_sign_in_within_15_minutes_is_refused_with_429,
    a_wrong_password_an_unknown_email_and_a_deactivated_account_look_the_same,
    a_token_stops_working_after_sign_out_password_change_deactivation_and_idleness,
    a_session_ends_ten_hours_after_sign_in_however_active,
    forged_expired_or_tampered_tokens_are_refused,
    a_lead_sets_up_two_factor_then_needs_a_code_or_a_recovery_code_once,
    plain_staff_need_no_second_factor_by_default_but_the_school_can_require_it,
    a_password_reset_link_is_emailed_works_once_and_expires_after_an_hour,
    no_password_hash_token_totp_secret_or_recovery_code_reaches_a_log_line,
    cookies_are_httponly_samesite_strict_and_host_bound_over_https,
    a_person_sees_their_own_recent_sign_ins,
);
