//! The trust termly report in Chromium: the trust's safeguarding lead
//! publishes it, and a trustee (two-factor sign-in, as every reader of
//! figures has) opens it from their start page and prints it. The printed
//! copy has every school side by side, and no school with only a handful
//! of incidents is named anywhere in it. Schools, trusts and people are made
//! from the binary; the incidents come through the API.

use serde_json::json;

use crate::harness::{Driver, Person, Server};
use crate::helpers::Backend;
use crate::journeys::{account, enrol_two_factor, pdf_text};
use crate::lead_day::{add_account_at, Api};

fn incident(category: &str, pupil: &str) -> serde_json::Value {
    json!({
        "pupil_name": pupil, "tutor_group": "8C", "incident_date": null,
        "category": category, "child_at_risk": false,
        "details": "Messages in a group chat.",
    })
}

/// The trust role `role` across Oak Trust for a new account.
fn trust_account(server: &Server, first: &str, name: &str, initials: &str, role: &str) {
    let a = account(first);
    server.command(
        &[
            "user",
            "add",
            "--email",
            &a.email,
            "--name",
            name,
            "--initials",
            initials,
            "--password-stdin",
            "--trust",
            "Oak Trust",
            "--role",
            role,
        ],
        &format!("{}\n", a.password),
    );
}

/// Signs in with a password; a first sign-in sets up the authenticator.
async fn first_sign_in(p: &Person, first: &str) {
    let a = account(first);
    p.open("/login").await;
    p.fill("Email", &a.email).await;
    p.fill("Password", &a.password).await;
    p.press("Sign in").await;
    enrol_two_factor(p).await;
    p.sees("Sign out").await;
}

/// The report's own text, without the page's header around it.
async fn report_text(p: &Person) -> String {
    p.client
        .execute(
            "return document.querySelector('.trust-report').innerText;",
            vec![],
        )
        .await
        .expect("the report's text")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A screenshot of the figures themselves (the by-category table at the
/// top), at this width, beside the harness's.
async fn tables_screenshot(p: &Person, file: &str, width: u32) {
    p.client.set_window_size(width, 1000).await.expect("resize");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    p.client
        .execute(
            "document.querySelector('[data-part=by_category]').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll");
    let png = p.client.screenshot().await.expect("screenshot");
    p.client.set_window_size(1280, 1000).await.expect("resize");
    keep(&png, file);
}

/// Saves a file where the screenshots go, for a person to look at.
fn keep(bytes: &[u8], file: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screens");
    std::fs::create_dir_all(&dir).expect("screens folder");
    std::fs::write(dir.join(file), bytes).expect("save");
}

pub async fn a_trustee_opens_and_prints_the_published_trust_report(backend: Backend) {
    let mut server = Server::start(backend).await;
    server.command(&["trust", "add", "--name", "Oak Trust"], "");
    server.command(&["trust", "add", "--name", "Far Trust"], "");
    for (name, urn, trust) in [
        ("Ash School", "100002", "Oak Trust"),
        ("Birch School", "100003", "Oak Trust"),
        ("Tiny School", "100004", "Oak Trust"),
        ("Wee School", "100005", "Oak Trust"),
        ("Far School", "100006", "Far Trust"),
    ] {
        server.command(
            &[
                "school", "add", "--name", name, "--urn", urn, "--trust", trust,
            ],
            "",
        );
    }
    for (school, name, initials) in [
        ("Ash School", "Amy Tutor", "AMT"),
        ("Birch School", "Ben Tutor", "BNT"),
        ("Tiny School", "Tia Tutor", "TIT"),
        ("Wee School", "Wes Tutor", "WET"),
        ("Far School", "Fay Tutor", "FAT"),
    ] {
        add_account_at(&server, school, name, initials, &["staff"]);
    }
    trust_account(
        &server,
        "Tess",
        "Tess Trustlead",
        "TTL",
        "trust_safeguarding_lead",
    );
    trust_account(&server, "Toby", "Toby Trustee", "TBT", "trustee");

    let driver = Driver::start().await;
    let lead = driver.person("trust-lead", &server).await;
    let trustee = driver.person("trustee", &server).await;
    let s = &server;
    driver
        .journey("trust-report", s, async {
            // Ash 8 and Birch 5 are named; Tiny and Wee (2 each, under 3)
            // are "other schools", 4 between them.
            let amy = Api::sign_in(s, "Amy").await;
            for (category, n) in [("online-bullying", 5), ("harmful-content", 3)] {
                for i in 0..n {
                    amy.log(incident(category, &format!("Ash Pupil{i}"))).await;
                }
            }
            let ben = Api::sign_in(s, "Ben").await;
            for (category, n) in [("online-bullying", 3), ("grooming-contact", 2)] {
                for i in 0..n {
                    ben.log(incident(category, &format!("Birch Pupil{i}")))
                        .await;
                }
            }
            for first in ["Tia", "Wes"] {
                let api = Api::sign_in(s, first).await;
                api.log(incident("online-bullying", "Small Pupil")).await;
                api.log(incident("harmful-content", "Small Pupil")).await;
            }
            Api::sign_in(s, "Fay")
                .await
                .log(incident("online-bullying", "Far Pupil"))
                .await;

            // The lead publishes this term's report.
            first_sign_in(&lead, "Tess").await;
            lead.follow("Trust reports").await;
            lead.sees("Trust reports: Oak Trust").await;
            lead.sees("Current term: figures so far").await;
            let term = lead
                .find("main table a")
                .await
                .text()
                .await
                .expect("the current term");
            lead.follow(&term).await;
            lead.sees("Not published yet.").await;
            lead.fill(
                "Commentary for trustees",
                "Bullying online is the trust's largest category this term.",
            )
            .await;
            lead.press("Publish to trustees").await;
            lead.sees("Published").await;

            // The trustee: two-factor sign-in, then the start page's link.
            first_sign_in(&trustee, "Toby").await;
            trustee.open("/").await;
            trustee.sees(&format!("Latest trust report: {term}")).await;
            trustee.screenshot("trustee-home.png", 1280).await;
            trustee.screenshot("trustee-home-phone.png", 390).await;
            trustee
                .follow(&format!("Latest trust report: {term}"))
                .await;
            trustee
                .sees("Bullying online is the trust's largest category")
                .await;
            let text = report_text(&trustee).await;
            for named in [
                "Whole trust",
                "Ash School",
                "Birch School",
                "Other schools (2)",
            ] {
                assert!(text.contains(named), "{named} on the page:\n{text}");
            }
            for small in ["Tiny School", "Wee School", "Far School"] {
                assert!(!text.contains(small), "{small} on the page:\n{text}");
            }
            assert!(text.contains("<3"), "small counts are hidden:\n{text}");
            trustee.does_not_see("Publish to trustees").await;
            trustee.does_not_see("Save draft").await;
            trustee.screenshot("trust-report.png", 1280).await;
            trustee.screenshot("trust-report-phone.png", 390).await;
            for (file, width) in [
                ("trust-report-tables.png", 1280),
                ("trust-report-tables-phone.png", 390),
            ] {
                tables_screenshot(&trustee, file, width).await;
            }

            // Printed as the page asks (A4, landscape).
            let pdf = trustee
                .client
                .print(
                    fantoccini::wd::PrintConfiguration::builder()
                        .orientation(fantoccini::wd::PrintOrientation::Landscape)
                        .build()
                        .expect("a print configuration"),
                )
                .await
                .expect("print to PDF");
            keep(&pdf, "trust-report.pdf");
            let (printed, pages) = pdf_text(&pdf);
            for named in [
                "Trust online safety report",
                "Whole trust",
                "Ash School",
                "Birch School",
                "Other schools (2)",
                "Bullying online is the trust's largest category",
            ] {
                assert!(printed.contains(named), "{named} in the PDF:\n{printed}");
            }
            for absent in [
                "Tiny School",
                "Wee School",
                "Far School",
                "Sign out",
                "Switch",
                "Download",
            ] {
                assert!(!printed.contains(absent), "{absent} in the PDF:\n{printed}");
            }
            // The schools side by side: one line of the printed table
            // holds the whole trust's figure and every school's.
            let bullying = printed
                .lines()
                .find(|l| l.contains("Online bullying"))
                .unwrap_or_else(|| panic!("a bullying line:\n{printed}"));
            let figures: Vec<&str> = bullying
                .split_whitespace()
                .filter(|w| {
                    w.chars().all(|c| c.is_ascii_digit()) || w.starts_with('<') || *w == "[c]"
                })
                .collect();
            assert_eq!(figures.len(), 4, "{bullying}");
            assert!((1..=3).contains(&pages), "{pages} pages:\n{printed}");
            assert_eq!(
                printed
                    .matches("Oak Trust · Trust online safety report")
                    .count(),
                pages,
                "the trust and term head every page:\n{printed}"
            );
            assert!(printed.contains(&format!("Page {pages} of {pages}")));
            assert!(
                printed.contains("CONFIDENTIAL: FOR THE TRUST BOARD"),
                "{printed}"
            );
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
