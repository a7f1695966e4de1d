//! The sign-in lockout as a school meets it: behind one NAT address, one
//! person's wrong passwords must not lock their colleagues out, and behind a
//! reverse proxy the lockout and the audit trail see the real client.

use std::time::{Duration, Instant};

use safelog::auth::Role;
use safelog::proxies::TrustedProxies;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

async fn sign_in_from(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}));
    if let Some(addr) = forwarded_for {
        req = req.header("X-Forwarded-For", addr);
    }
    req.send().await.unwrap()
}

/// The address the audit trail recorded for this account's last sign-in.
fn last_sign_in_address(app: &TestApp, user_id: &str) -> Option<String> {
    use diesel::prelude::*;
    use safelog::db::schema::audit_events::dsl::*;
    audit_events
        .filter(action.eq("sign_in"))
        .filter(actor_id.eq(user_id))
        .order((at.desc(), id.desc()))
        .select(ip)
        .first::<Option<String>>(&mut app.conn())
        .unwrap()
}

async fn ten_wrong_passwords_for_one_account_do_not_lock_a_colleague_out_from_the_same_address(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let pupil_target = app.add_user("Tess Teacher", &[Role::Staff]);
    let colleague = app.add_user("Colin Colleague", &[Role::Dsl]);
    for attempt in 1..=10 {
        let res = sign_in_from(&app, &pupil_target.email, "a guess at it", None).await;
        assert_eq!(res.status(), 401, "attempt {attempt}");
    }
    assert_eq!(
        sign_in_from(&app, &pupil_target.email, &pupil_target.password, None)
            .await
            .status(),
        429,
        "the guessed account is locked from this address"
    );
    assert_eq!(
        sign_in_from(&app, &colleague.email, &colleague.password, None)
            .await
            .status(),
        200,
        "a colleague behind the same address still signs in"
    );
    assert_eq!(
        app.browser().sign_in(&colleague).await.status(),
        303,
        "and on the sign-in page"
    );
}

async fn a_flood_from_one_address_against_many_accounts_is_slowed_not_blocked(backend: Backend) {
    let app = spawn_app(backend).await;
    let colleague = app.add_user("Flo Flooded", &[Role::Staff]);
    for n in 0..safelog::auth::signin::ADDRESS_BUDGET {
        let res = sign_in_from(&app, &format!("guess{n}@school.test"), "wrong", None).await;
        assert_eq!(res.status(), 401, "attempt {n} is refused, not locked");
    }
    let started = Instant::now();
    let res = sign_in_from(&app, &colleague.email, &colleague.password, None).await;
    assert_eq!(res.status(), 200, "the flood does not block a real sign-in");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "but it is slowed: {:?}",
        started.elapsed()
    );
}

async fn a_forwarded_address_is_ignored_from_an_untrusted_peer(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Una Untrusted", &[Role::Staff]);
    for n in 1..=10 {
        let spoofed = format!("203.0.113.{n}");
        let res = sign_in_from(&app, &user.email, "wrong", Some(&spoofed)).await;
        assert_eq!(res.status(), 401);
    }
    let res = sign_in_from(&app, &user.email, &user.password, Some("198.51.100.77")).await;
    assert_eq!(
        res.status(),
        429,
        "a new X-Forwarded-For each time does not escape the lockout"
    );
    app.clock.advance(chrono::Duration::minutes(16));
    let res = sign_in_from(&app, &user.email, &user.password, Some("198.51.100.77")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        last_sign_in_address(&app, &user.id).as_deref(),
        Some("127.0.0.1"),
        "the audit trail has the connection's address, not the claimed one"
    );
}

async fn a_trusted_proxy_passes_the_real_client_address_to_the_lockout_and_the_audit_trail(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None);
        c.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let user = app.add_user("Tom Trusted", &[Role::Staff]);
    for _ in 0..10 {
        let res = sign_in_from(&app, &user.email, "wrong", Some("6.6.6.6, 203.0.113.5")).await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(
        sign_in_from(&app, &user.email, &user.password, Some("203.0.113.5"))
            .await
            .status(),
        429,
        "the guessing client is locked"
    );
    let res = sign_in_from(&app, &user.email, &user.password, Some("203.0.113.6")).await;
    assert_eq!(
        res.status(),
        200,
        "the same account from another client is not"
    );
    assert_eq!(
        last_sign_in_address(&app, &user.id).as_deref(),
        Some("203.0.113.6")
    );
    let token = res.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let page = app
        .client
        .get(app.url("/account"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("203.0.113.6"),
        "the person's sign-in history shows it"
    );
}

on_both_backends!(
    ten_wrong_passwords_for_one_account_do_not_lock_a_colleague_out_from_the_same_address,
    a_flood_from_one_address_against_many_accounts_is_slowed_not_blocked,
    a_forwarded_address_is_ignored_from_an_untrusted_peer,
    a_trusted_proxy_passes_the_real_client_address_to_the_lockout_and_the_audit_trail,
);
