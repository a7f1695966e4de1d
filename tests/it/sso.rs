//! Sign-in with OpenID Connect (issue 15) against a provider the test runs
//! on loopback: discovery, a key set and a token endpoint, with RSA keys
//! the test holds, so it can make every token a provider could send:
//! good ones, and each kind safelog must refuse.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use safelog::auth::Role;
use safelog::config::Require2fa;
use safelog::sso::model::ProviderInput;
use safelog::sso::store::Owner;
use serde_json::{json, Value};

use crate::helpers::{
    captured_logs, location, spawn_app, spawn_app_with, Backend, Browser, TestApp,
};
use crate::on_both_backends;
use crate::sso_keys::{KEY_A_DER, KEY_A_N, KEY_B_DER};

const CLIENT_ID: &str = "safelog-test-client";
const TENANT: &str = "11111111-2222-3333-4444-555555555555";

/// What the in-test provider will answer at its token endpoint next, and
/// what it was sent.
#[derive(Default)]
struct ProviderState {
    next_id_token: Option<String>,
    last_form: Vec<(String, String)>,
}

pub struct TestProvider {
    pub issuer: String,
    state: Arc<Mutex<ProviderState>>,
}

impl TestProvider {
    pub async fn start() -> TestProvider {
        use actix_web::{web, App, HttpResponse, HttpServer};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Mutex::new(ProviderState::default()));
        let (iss, st) = (issuer.clone(), state.clone());
        let server = HttpServer::new(move || {
            let (iss, st) = (iss.clone(), st.clone());
            App::new()
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to({
                        let iss = iss.clone();
                        move || {
                            let iss = iss.clone();
                            async move {
                                HttpResponse::Ok().json(json!({
                                    "issuer": iss,
                                    "authorization_endpoint": format!("{iss}/authorize"),
                                    "token_endpoint": format!("{iss}/token"),
                                    "jwks_uri": format!("{iss}/jwks"),
                                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                                }))
                            }
                        }
                    }),
                )
                .route(
                    "/jwks",
                    web::get().to(|| async {
                        HttpResponse::Ok().json(json!({"keys": [{
                            "kty": "RSA", "kid": "a", "use": "sig", "alg": "RS256",
                            "n": KEY_A_N, "e": "AQAB"
                        }]}))
                    }),
                )
                .route(
                    "/token",
                    web::post().to(move |form: web::Form<Vec<(String, String)>>| {
                        let st = st.clone();
                        async move {
                            let mut s = st.lock().unwrap();
                            s.last_form = form.into_inner();
                            match s.next_id_token.take() {
                                Some(t) => HttpResponse::Ok().json(json!({
                                    "access_token": "at", "token_type": "Bearer", "id_token": t
                                })),
                                None => HttpResponse::BadRequest()
                                    .json(json!({"error": "invalid_grant"})),
                            }
                        }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        TestProvider { issuer, state }
    }

    fn answer_with(&self, id_token: String) {
        self.state.lock().unwrap().next_id_token = Some(id_token);
    }

    fn sent(&self, field: &str) -> Option<String> {
        self.state
            .lock()
            .unwrap()
            .last_form
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.clone())
    }
}

/// Adds a provider for a school (or trust), as the admin page would.
pub fn add_provider(
    app: &TestApp,
    owner: Owner<'_>,
    issuer: &str,
    preset: &str,
    extra: impl FnOnce(&mut ProviderInput),
) -> String {
    let mut input = ProviderInput {
        name: "Microsoft".into(),
        preset: preset.into(),
        issuer: issuer.into(),
        client_id: CLIENT_ID.into(),
        client_secret: "provider-secret-canary-7731".into(),
        domains: "school.test".into(),
        tenant_id: if preset == "entra" {
            TENANT.into()
        } else {
            String::new()
        },
        hosted_domain: if preset == "google" {
            "school.test".into()
        } else {
            String::new()
        },
        ..Default::default()
    };
    extra(&mut input);
    let new = input.parse().expect("the provider parses");
    safelog::sso::store::add_provider(&mut app.conn(), owner, &new, None, app.clock.now_naive())
        .unwrap()
}

/// A sign-in started: the state and nonce safelog sent the provider.
pub struct Started {
    pub state: String,
    pub nonce: String,
    pub challenge: String,
}

pub async fn begin(browser: &Browser, provider_id: &str) -> Started {
    let res = browser.get(&format!("/login/oidc/{provider_id}")).await;
    assert_eq!(res.status(), 303, "the sign-in starts with a redirect");
    let to = reqwest::Url::parse(&location(&res)).unwrap();
    let q = |k: &str| {
        to.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    assert_eq!(q("response_type"), "code");
    assert_eq!(q("code_challenge_method"), "S256");
    assert_eq!(q("scope"), "openid email profile");
    assert!(q("redirect_uri").ends_with("/login/oidc/callback"));
    Started {
        state: q("state"),
        nonce: q("nonce"),
        challenge: q("code_challenge"),
    }
}

/// Claims a good token for `email` carries at the test's "now".
pub fn claims(app: &TestApp, issuer: &str, nonce: &str, email: &str) -> Value {
    let now = app.clock.now().timestamp();
    json!({
        "iss": issuer, "aud": CLIENT_ID, "sub": format!("sub-{email}"),
        "iat": now, "exp": now + 3600, "nonce": nonce,
        "email": email, "email_verified": true, "name": "Sam Staff",
        "tid": TENANT, "hd": "school.test",
    })
}

pub fn sign(claims: &Value, der: &str, kid: &str, alg: Algorithm) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_der(&STANDARD.decode(der).unwrap());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

pub async fn finish(
    browser: &Browser,
    provider: &TestProvider,
    state: &str,
    token: String,
) -> reqwest::Response {
    provider.answer_with(token);
    browser
        .get(&format!(
            "/login/oidc/callback?code=test-code&state={state}"
        ))
        .await
}

/// The latest refused sign-in's recorded reason (the clock is fixed: a
/// test moves it on a second between refusals to tell them apart).
fn last_refusal(app: &TestApp) -> String {
    use diesel::prelude::*;
    use safelog::db::schema::audit_events::dsl::*;
    audit_events
        .filter(action.eq_any(["sign_in_failed", "sign_in_refused"]))
        .order((at.desc(), id.desc()))
        .select(detail)
        .first::<Option<String>>(&mut app.conn())
        .unwrap()
        .unwrap_or_default()
}

async fn signed_in_home(browser: &Browser) -> bool {
    let res = browser.get("/").await;
    res.status() == 200
}

async fn a_member_of_staff_signs_in_and_the_providers_mfa_stands_in_for_safelogs_code(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |c| c.require_2fa = Some(Require2fa::All)).await;
    let idp = TestProvider::start().await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "entra",
        |_| {},
    );
    let browser = app.browser();
    let login = browser.text("/login").await;
    assert!(
        login.contains("Sign in with Microsoft"),
        "the button is on the sign-in page"
    );
    let s = begin(&browser, &pid).await;
    let mut c = claims(&app, &idp.issuer, &s.nonce, &staff.email.to_uppercase());
    c["amr"] = json!(["pwd", "mfa"]);
    let res = finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["refresh"].to_str().unwrap(), "0;url=/");
    // PKCE: the verifier sent to the token endpoint is the challenge's.
    let verifier = idp.sent("code_verifier").expect("a verifier");
    use sha2::Digest;
    assert_eq!(
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes())),
        s.challenge
    );
    assert_eq!(
        idp.sent("client_secret").as_deref(),
        Some("provider-secret-canary-7731")
    );
    assert!(
        signed_in_home(&browser).await,
        "signed in, with no safelog code asked"
    );
    let events = app.audit_actions();
    assert!(events
        .iter()
        .any(|(a, actor, _)| a == "sign_in" && actor.as_deref() == Some(&staff.id)));
    assert!(
        !captured_logs().contains("provider-secret-canary-7731"),
        "the secret is never logged"
    );
}

async fn without_mfa_at_the_provider_the_schools_two_factor_rule_applies(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.require_2fa = Some(Require2fa::All)).await;
    let idp = TestProvider::start().await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "generic",
        |_| {},
    );
    let browser = app.browser();
    let s = begin(&browser, &pid).await;
    let c = claims(&app, &idp.issuer, &s.nonce, &staff.email);
    let res = finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["refresh"].to_str().unwrap(),
        "0;url=/account/2fa"
    );
    let home = browser.get("/").await;
    assert_eq!(
        location(&home),
        "/account/2fa",
        "the school's rule asks for safelog's own second factor"
    );

    // The configured acr counts as a second factor too.
    let pid = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "generic",
        |i| {
            i.name = "Okta".into();
            i.mfa_acr = "urn:test:loa:2".into();
        },
    );
    let other = app.browser();
    let s = begin(&other, &pid).await;
    let mut c = claims(&app, &idp.issuer, &s.nonce, &staff.email);
    c["acr"] = json!("urn:test:loa:2");
    finish(
        &other,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert!(signed_in_home(&other).await);
}

async fn every_bad_id_token_is_refused_with_its_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let entra = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "entra",
        |_| {},
    );
    let google = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "google",
        |i| i.name = "Google".into(),
    );
    let now = app.clock.now().timestamp();
    type Spoil = Box<dyn Fn(&mut Value, &Started) -> String>;
    let rs = |c: &Value| sign(c, KEY_A_DER, "a", Algorithm::RS256);
    let cases: Vec<(&str, &str, Spoil)> = vec![
        (
            "wrong issuer",
            "another issuer",
            Box::new(move |c, _| {
                c["iss"] = json!("http://127.0.0.1:1/evil");
                rs(c)
            }),
        ),
        (
            "wrong audience",
            "another application",
            Box::new(move |c, _| {
                c["aud"] = json!("someone-else");
                rs(c)
            }),
        ),
        (
            "expired",
            "expired",
            Box::new(move |c, _| {
                c["iat"] = json!(now - 7200);
                c["exp"] = json!(now - 120);
                rs(c)
            }),
        ),
        (
            "issued in the future",
            "in the future",
            Box::new(move |c, _| {
                c["iat"] = json!(now + 600);
                rs(c)
            }),
        ),
        (
            "wrong nonce",
            "nonce",
            Box::new(move |c, _| {
                c["nonce"] = json!("not-the-nonce");
                rs(c)
            }),
        ),
        (
            "a key never published",
            "never published",
            Box::new(move |c, _| sign(c, KEY_B_DER, "b", Algorithm::RS256)),
        ),
        (
            "the published kid over another key",
            "signature",
            Box::new(move |c, _| sign(c, KEY_B_DER, "a", Algorithm::RS256)),
        ),
        (
            "HS256 keyed with the public key",
            "algorithm",
            Box::new(move |c, _| {
                let mut h = Header::new(Algorithm::HS256);
                h.kid = Some("a".into());
                jsonwebtoken::encode(&h, c, &EncodingKey::from_secret(KEY_A_N.as_bytes())).unwrap()
            }),
        ),
        (
            "alg none",
            "algorithm",
            Box::new(move |c, _| {
                let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"a","typ":"JWT"}"#);
                format!("{h}.{}.", URL_SAFE_NO_PAD.encode(c.to_string()))
            }),
        ),
        (
            "another tenant",
            "another Microsoft tenant",
            Box::new(move |c, _| {
                c["tid"] = json!("99999999-2222-3333-4444-555555555555");
                rs(c)
            }),
        ),
        (
            "an unverified email",
            "not verified",
            Box::new(move |c, _| {
                c["email_verified"] = json!(false);
                rs(c)
            }),
        ),
    ];
    for (case, reason, spoil) in &cases {
        app.clock.advance(Duration::seconds(1));
        let browser = app.browser();
        let s = begin(&browser, &entra).await;
        let mut c = claims(&app, &idp.issuer, &s.nonce, &staff.email);
        let token = spoil(&mut c, &s);
        let res = finish(&browser, &idp, &s.state, token).await;
        assert_eq!(res.status(), 403, "{case}");
        let page = res.text().await.unwrap();
        assert!(page.contains("That sign-in was refused"), "{case}");
        assert!(
            last_refusal(&app).contains(reason),
            "{case}: {}",
            last_refusal(&app)
        );
        assert!(
            !signed_in_home(&browser).await,
            "{case}: nobody is signed in"
        );
    }
    // Google: another hosted domain.
    app.clock.advance(Duration::seconds(1));
    let browser = app.browser();
    let s = begin(&browser, &google).await;
    let mut c = claims(&app, &idp.issuer, &s.nonce, &staff.email);
    c["hd"] = json!("other-school.test");
    let res = finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(last_refusal(&app).contains("another Google Workspace domain"));
    assert!(!signed_in_home(&browser).await);
    // The same token, right, is let in: the refusals above were the spoiling's.
    let browser = app.browser();
    let s = begin(&browser, &google).await;
    let c = claims(&app, &idp.issuer, &s.nonce, &staff.email);
    finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert!(signed_in_home(&browser).await);
}

async fn a_state_works_once_and_only_in_the_browser_that_started_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "generic",
        |_| {},
    );
    let browser = app.browser();
    let s = begin(&browser, &pid).await;
    let token = sign(
        &claims(&app, &idp.issuer, &s.nonce, &staff.email),
        KEY_A_DER,
        "a",
        Algorithm::RS256,
    );
    // Another browser with the code and state (a link sent to someone):
    // no cookie, refused.
    let other = app.browser();
    let res = finish(&other, &idp, &s.state, token.clone()).await;
    assert_eq!(res.status(), 400);
    assert!(!signed_in_home(&other).await);
    let res = finish(&browser, &idp, &s.state, token.clone()).await;
    assert_eq!(res.status(), 200);
    // Replayed in the same browser (cookie put back): used already.
    app.clock.advance(Duration::seconds(1));
    let again = app.browser();
    let url: reqwest::Url = app.address.parse().unwrap();
    use reqwest::cookie::CookieStore;
    again.jar.set_cookies(
        &mut [
            reqwest::header::HeaderValue::from_str(&format!("safelog_oidc={}", s.state)).unwrap(),
        ]
        .iter(),
        &url,
    );
    let res = finish(&again, &idp, &s.state, token).await;
    assert_eq!(res.status(), 400);
    assert!(last_refusal(&app).contains("used before or has expired"));
    assert!(!signed_in_home(&again).await);
    // And a state that has waited more than ten minutes.
    let late = app.browser();
    let s = begin(&late, &pid).await;
    app.clock.advance(Duration::minutes(11));
    let token = sign(
        &claims(&app, &idp.issuer, &s.nonce, &staff.email),
        KEY_A_DER,
        "a",
        Algorithm::RS256,
    );
    assert_eq!(finish(&late, &idp, &s.state, token).await.status(), 400);
}

async fn an_unknown_identity_is_sent_to_its_administrator_unless_it_may_sign_itself_up(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let school = app.school_id();
    let pid = add_provider(&app, Owner::School(&school), &idp.issuer, "generic", |_| {});
    let browser = app.browser();
    let s = begin(&browser, &pid).await;
    let c = claims(&app, &idp.issuer, &s.nonce, "newcomer-canary@school.test");
    let res = finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("no account for you yet") && page.contains("administrator"),
        "{page}"
    );
    assert!(!signed_in_home(&browser).await);
    assert!(
        !captured_logs().contains("newcomer-canary"),
        "an unknown address is not logged"
    );
    assert!(
        !last_refusal(&app).contains("newcomer-canary"),
        "nor recorded"
    );
    // An address outside the provider's domains is refused too.
    let s = begin(&browser, &pid).await;
    let c = claims(&app, &idp.issuer, &s.nonce, "someone@elsewhere.test");
    assert_eq!(
        finish(
            &browser,
            &idp,
            &s.state,
            sign(&c, KEY_A_DER, "a", Algorithm::RS256)
        )
        .await
        .status(),
        403
    );

    let open = add_provider(&app, Owner::School(&school), &idp.issuer, "generic", |i| {
        i.name = "Google".into();
        i.self_sign_up_domain = "school.test".into();
    });
    let s = begin(&browser, &open).await;
    let c = claims(&app, &idp.issuer, &s.nonce, "newcomer-canary@school.test");
    let res = finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(signed_in_home(&browser).await);
    let user =
        safelog::accounts::store::user_by_email(&mut app.conn(), "newcomer-canary@school.test")
            .unwrap()
            .expect("an account");
    let roles = safelog::accounts::store::roles_in(&mut app.conn(), &user.id, &school).unwrap();
    assert_eq!(roles, vec![Role::Staff]);
}

async fn a_deactivated_account_is_refused_whatever_the_provider_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let staff = app.add_user("Lee Leaver", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "generic",
        |i| i.self_sign_up_domain = "school.test".into(),
    );
    safelog::accounts::store::set_active(&mut app.conn(), &staff.id, false, app.clock.now_naive())
        .unwrap();
    let browser = app.browser();
    let s = begin(&browser, &pid).await;
    let mut c = claims(&app, &idp.issuer, &s.nonce, &staff.email);
    c["amr"] = json!(["mfa"]);
    let res = finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("switched off"));
    assert!(!signed_in_home(&browser).await);
}

async fn an_sso_session_ends_with_the_providers_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "generic",
        |_| {},
    );
    let browser = app.browser();
    let s = begin(&browser, &pid).await;
    let mut c = claims(&app, &idp.issuer, &s.nonce, &staff.email);
    c["exp"] = json!(app.clock.now().timestamp() + 20 * 60);
    finish(
        &browser,
        &idp,
        &s.state,
        sign(&c, KEY_A_DER, "a", Algorithm::RS256),
    )
    .await;
    app.clock.advance(Duration::minutes(15));
    assert!(signed_in_home(&browser).await, "within the token's life");
    app.clock.advance(Duration::minutes(6));
    assert!(
        !signed_in_home(&browser).await,
        "over when the token is, though used five minutes ago"
    );
}

async fn password_sign_in_off_refuses_staff_and_keeps_administrators_with_a_second_factor(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let staff = app.add_user("Sam Staff", &[Role::Staff]);
    let pid = add_provider(
        &app,
        Owner::School(&staff.school_id),
        &idp.issuer,
        "generic",
        |_| {},
    );
    let admin_browser = app.signed_in(&admin).await;
    // Not before SSO has signed anyone in.
    let res = admin_browser
        .post(
            "/admin/sign-in/settings",
            &[("password_sign_in", "off"), ("dormant_after_days", "90")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("only after a provider has signed someone in"));
    let browser = app.browser();
    let s = begin(&browser, &pid).await;
    finish(
        &browser,
        &idp,
        &s.state,
        sign(
            &claims(&app, &idp.issuer, &s.nonce, &staff.email),
            KEY_A_DER,
            "a",
            Algorithm::RS256,
        ),
    )
    .await;
    let res = admin_browser
        .post(
            "/admin/sign-in/settings",
            &[("password_sign_in", "off"), ("dormant_after_days", "90")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app.browser().sign_in(&staff).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Sign in with"));
    let api = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": staff.email, "password": staff.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403, "the API refuses the password too");
    // The administrator keeps the password, and must add a second factor.
    let res = app.browser().sign_in(&admin).await;
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/account/2fa".to_string())
    );
}

async fn the_admin_page_adds_lists_and_removes_providers_and_never_shows_the_secret(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let quiet = app.add_user("Quentin Quiet", &[Role::Staff]);
    let browser = app.signed_in(&admin).await;
    let page = browser.text("/admin/sign-in").await;
    assert!(
        page.contains("/login/oidc/callback"),
        "the redirect URI to register is shown"
    );
    let form = [
        ("name", "Microsoft"),
        ("preset", "entra"),
        ("tenant_id", TENANT),
        ("issuer", ""),
        ("client_id", "cid"),
        ("client_secret", "admin-secret-canary-5521"),
        ("domains", "school.test"),
        ("mfa_acr", ""),
        ("self_sign_up_domain", ""),
        ("hosted_domain", ""),
    ];
    let mut bad = form;
    bad[2] = ("tenant_id", "");
    let res = browser.post("/admin/sign-in/providers", &bad).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Directory (tenant) ID") && !page.contains("admin-secret-canary"));
    let res = browser.post("/admin/sign-in/providers", &form).await;
    assert_eq!(res.status(), 303);
    let page = browser.text("/admin/sign-in").await;
    assert!(page.contains("login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0"));
    assert!(
        !page.contains("admin-secret-canary"),
        "the secret is never shown again"
    );
    assert!(!captured_logs().contains("admin-secret-canary"));
    assert!(app
        .browser()
        .text("/login")
        .await
        .contains("Sign in with Microsoft"));
    // Leavers: not seen for the school's 90 days, listed.
    assert!(!page.contains("Quentin Quiet"));
    app.clock.advance(Duration::days(91));
    let browser = app.signed_in(&admin).await;
    let page = browser.text("/admin/sign-in").await;
    assert!(
        page.contains("Quentin Quiet") && page.contains(&quiet.id),
        "listed for deactivation"
    );
    let id = safelog::sso::store::providers_of(&mut app.conn(), Owner::School(&admin.school_id))
        .unwrap()[0]
        .id
        .clone();
    // Another school's administrator cannot remove it.
    let neighbour = app.neighbour.clone().unwrap();
    let res = app
        .signed_in(&neighbour.admin)
        .await
        .post(&format!("/admin/sign-in/providers/{id}/remove"), &[])
        .await;
    assert_eq!(res.status(), 404);
    let res = browser
        .post(&format!("/admin/sign-in/providers/{id}/remove"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!app
        .browser()
        .text("/login")
        .await
        .contains("Sign in with Microsoft"));
}

async fn a_trust_provider_signs_in_staff_of_every_school_of_the_trust(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = TestProvider::start().await;
    let here = app.school_id();
    let trust = safelog::accounts::store::school(&mut app.conn(), &here)
        .unwrap()
        .trust_id
        .expect("the test school is in a trust");
    let sister = app.add_school(
        "Sister School",
        "300777",
        Some(
            &safelog::accounts::store::all_trusts(&mut app.conn())
                .unwrap()
                .into_iter()
                .find(|t| t.id == trust)
                .unwrap()
                .name,
        ),
    );
    let teacher = app.add_user_to(&sister, "Tia Teacher", &[Role::Staff]);
    let pid = add_provider(&app, Owner::Trust(&trust), &idp.issuer, "entra", |_| {});
    let browser = app.browser();
    let s = begin(&browser, &pid).await;
    finish(
        &browser,
        &idp,
        &s.state,
        sign(
            &claims(&app, &idp.issuer, &s.nonce, &teacher.email),
            KEY_A_DER,
            "a",
            Algorithm::RS256,
        ),
    )
    .await;
    assert!(signed_in_home(&browser).await);
    // The neighbour's staff (another trust) are not this provider's.
    let ned = app.neighbour.clone().unwrap().staff;
    let other = app.browser();
    let s = begin(&other, &pid).await;
    let res = finish(
        &other,
        &idp,
        &s.state,
        sign(
            &claims(&app, &idp.issuer, &s.nonce, &ned.email),
            KEY_A_DER,
            "a",
            Algorithm::RS256,
        ),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(!signed_in_home(&other).await);
}

on_both_backends!(
    a_member_of_staff_signs_in_and_the_providers_mfa_stands_in_for_safelogs_code,
    without_mfa_at_the_provider_the_schools_two_factor_rule_applies,
    every_bad_id_token_is_refused_with_its_reason,
    a_state_works_once_and_only_in_the_browser_that_started_it,
    an_unknown_identity_is_sent_to_its_administrator_unless_it_may_sign_itself_up,
    a_deactivated_account_is_refused_whatever_the_provider_says,
    an_sso_session_ends_with_the_providers_token,
    password_sign_in_off_refuses_staff_and_keeps_administrators_with_a_second_factor,
    the_admin_page_adds_lists_and_removes_providers_and_never_shows_the_secret,
    a_trust_provider_signs_in_staff_of_every_school_of_the_trust,
);
