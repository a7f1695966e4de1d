//! Sign-in with OpenID Connect (issue 15) in Chromium, against a real
//! provider: the npm package `oidc-provider` (a certified implementation),
//! started on loopback by `oidc-provider.mjs` beside this file. The IT
//! technician adds it from the command line; a member of staff signs in
//! through it with a second factor at the provider (no safelog code) and
//! without one (safelog asks its own, as the school requires); someone the
//! school never added meets the refusal page; the administrator's page
//! lists the provider, and maps a group to the DSL's role, which the next
//! member of staff to sign in in that group holds.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Driver, Person, Server};
use crate::helpers::Backend;
use crate::journeys::account;
use crate::lead_day::add_account_at;

const CLIENT_ID: &str = "safelog-browser-suite";
const CLIENT_SECRET: &str = "browser-suite-client-secret-4410";

/// The provider's Node process, stopped with the test.
struct NodeProvider {
    child: Child,
    issuer: String,
}

impl NodeProvider {
    fn start(redirect_uri: &str) -> NodeProvider {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "oidc-provider is missing: run `npm ci --prefix tests/browser`"
        );
        let mut child = Command::new("node")
            .arg("oidc-provider.mjs")
            .current_dir(&dir)
            .env("REDIRECT_URI", redirect_uri)
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts the provider (apt-get install nodejs)");
        let stdout = child.stdout.take().expect("its output");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("the provider says where it listens");
        // Keep reading: with the pipe closed, the provider's next line of
        // output would kill it (EPIPE) in the middle of a sign-in.
        std::thread::spawn(move || {
            let mut rest = String::new();
            while reader.read_line(&mut rest).is_ok_and(|n| n > 0) {
                rest.clear();
            }
        });
        let issuer = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("the provider did not start: {line}"))
            .to_string();
        NodeProvider { child, issuer }
    }
}

impl Drop for NodeProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs in at the provider's own page; returns once safelog has taken
/// the browser on to `lands_at` (its callback page refreshes to it).
async fn through_the_provider(p: &Person, email: &str, mfa: bool, groups: &str, lands_at: &str) {
    p.open("/login").await;
    p.follow("Sign in with Hill Identity").await;
    p.sees("Test provider").await;
    p.fill("Email", email).await;
    if !groups.is_empty() {
        p.fill("Groups", groups).await;
    }
    if mfa {
        p.tick("I used a second factor").await;
    }
    // Not `press`: the callback answers with a page that moves on by
    // itself, and the checks of each loaded page must see where it lands.
    p.find("#submit").await.click().await.expect("submit");
    let deadline = Instant::now() + Duration::from_secs(20);
    while p.path().await != lands_at {
        assert!(
            Instant::now() < deadline,
            "{} did not reach {lands_at}; at {}: {}",
            p.name,
            p.path().await,
            p.text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    p.open(lands_at).await;
}

pub async fn staff_sign_in_through_the_schools_provider_with_and_without_its_second_factor(
    backend: Backend,
) {
    let server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "all")]).await;
    add_account_at(&server, "Hill School", "Ada Admin", "AA", &["admin"]);
    add_account_at(&server, "Hill School", "Sam Staff", "SS", &["staff"]);
    add_account_at(&server, "Hill School", "Dee Lead", "DL", &["staff"]);
    let idp = NodeProvider::start(&format!("{}/login/oidc/callback", server.base));
    let printed = server.command(
        &[
            "sso",
            "add",
            "--school",
            "Hill School",
            "--name",
            "Hill Identity",
            "--issuer",
            &idp.issuer,
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
            "--domain",
            "hill.sch.uk",
        ],
        CLIENT_SECRET,
    );
    assert!(printed.contains("/login/oidc/callback"), "{printed}");
    let listed = server.command(&["sso", "list"], "");
    assert!(listed.contains("Hill Identity") && !listed.contains(CLIENT_SECRET));

    let driver = Driver::start().await;
    let sam = driver.person("staff with mfa", &server).await;
    let sam_again = driver.person("staff without mfa", &server).await;
    let stranger = driver.person("stranger", &server).await;
    let ada = driver.person("admin", &server).await;
    let dee = driver.person("dsl by group", &server).await;
    let s = &server;
    driver
        .journey("sso", s, async {
            sam.open("/login").await;
            sam.sees("Sign in with Hill Identity").await;
            sam.screenshot("sso-login.png", 1280).await;
            sam.screenshot("sso-login-phone.png", 390).await;

            // A second factor at the provider: no safelog code.
            through_the_provider(&sam, &account("Sam").email, true, "", "/").await;
            sam.sees("Sign out").await;
            sam.sees("Sam Staff").await;

            // None: the school requires two-factor sign-in, so safelog asks
            // for its own.
            through_the_provider(&sam_again, &account("Sam").email, false, "", "/account/2fa")
                .await;
            sam_again.sees("Set up two-factor sign-in").await;

            // Someone the school never added.
            stranger.open("/login").await;
            stranger.follow("Sign in with Hill Identity").await;
            stranger.fill("Email", "new.teacher@hill.sch.uk").await;
            stranger.tick("I used a second factor").await;
            stranger.press("Sign in").await;
            stranger.sees("safelog has no account for you yet").await;
            stranger
                .sees("Ask your school's safelog administrator")
                .await;
            stranger.screenshot("sso-refused.png", 1280).await;
            stranger.screenshot("sso-refused-phone.png", 390).await;
            stranger.open("/").await;
            stranger.sees("Sign in to safelog").await;

            // The administrator's page.
            through_the_provider(&ada, &account("Ada").email, true, "", "/").await;
            ada.open("/admin").await;
            ada.follow("Sign-in and single sign-on").await;
            ada.sees("Sign in with Hill Identity").await;
            ada.sees("Not seen for 90 days").await;
            ada.does_not_see(CLIENT_SECRET).await;
            ada.screenshot("sso-admin.png", 1280).await;
            ada.screenshot("sso-admin-phone.png", 390).await;

            // Roles from the provider: the administrator maps the DSL
            // group on this page; Dee, staff in safelog, signs in in that
            // group and lands with the DSL's role, her inbox open to her.
            ada.sees("Roles from the provider").await;
            ada.fill("Claim", "groups").await;
            ada.fill("Values and the roles they give", "hill-dsl-group=dsl")
                .await;
            ada.press("Save role mapping for Hill Identity").await;
            ada.sees("Role mapping saved").await;
            ada.sees("roles from claim groups: dsl").await;
            ada.screenshot("sso-role-mapping.png", 1280).await;
            ada.screenshot("sso-role-mapping-phone.png", 390).await;
            through_the_provider(
                &dee,
                &account("Dee").email,
                true,
                "hill-dsl-group, another-group",
                "/",
            )
            .await;
            dee.open("/monitoring").await;
            dee.sees("Monitoring alerts").await;
            dee.screenshot("sso-mapped-dsl.png", 1280).await;
        })
        .await;
    assert!(
        !server.logs().contains(CLIENT_SECRET),
        "the secret is never logged"
    );
}
