//! The lead's day (issue 11) in Chromium: a DSL with forty incidents
//! triages from the start page, each case action says what it did, a
//! referral waits for its reference, a senior leader acknowledges but never
//! reads an allegation about staff, the old spreadsheet arrives as closed
//! history, and governors read and print only what was published.
//!
//! The school and its people are made from the command line, as an IT
//! technician would script it; the tutor's forty incidents come through the
//! API (a school's own script could send them). Everything a lead does after
//! that is done in the browser.

use serde_json::{json, Value};

use crate::harness::{Person, Server};
use crate::helpers::Backend;
use crate::journeys::{account, import_the_example_log, printed};

/// Creates an account from the command line; the first creates the school.
fn add_account(server: &Server, name: &str, initials: &str, roles: &[&str]) {
    add_account_at(server, "Hill School", name, initials, roles);
}

/// The same at a named school; an email that has an account already gets
/// roles at this school too.
pub(crate) fn add_account_at(
    server: &Server,
    school: &str,
    name: &str,
    initials: &str,
    roles: &[&str],
) {
    let first = name.split(' ').next().unwrap_or(name);
    let a = account(first);
    let mut args = vec![
        "user",
        "add",
        "--email",
        &a.email,
        "--name",
        name,
        "--initials",
        initials,
        "--password-stdin",
        "--school",
        school,
    ];
    for role in roles {
        args.push("--role");
        args.push(role);
    }
    server.command(&args, &format!("{}\n", a.password));
}

/// Signs a person in through the sign-in page.
pub(crate) async fn sign_in(p: &Person, first: &str) {
    let a = account(first);
    p.open("/login").await;
    p.fill("Email", &a.email).await;
    p.fill("Password", &a.password).await;
    p.press("Sign in").await;
    p.sees("Sign out").await;
}

/// The API, as a school's script uses it: a token, then JSON.
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    pub(crate) token: String,
}

impl Api {
    pub(crate) async fn sign_in(server: &Server, first: &str) -> Api {
        let a = account(first);
        let http = reqwest::Client::new();
        let res: Value = http
            .post(format!("{}/api/v1/auth/token", server.base))
            .json(&json!({"email": a.email, "password": a.password}))
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token json");
        Api {
            http,
            base: server.base.clone(),
            token: res["token"].as_str().expect("a token").to_string(),
        }
    }

    /// Logs an incident; returns (id, reference).
    pub(crate) async fn log(&self, body: Value) -> (String, String) {
        let res = self
            .http
            .post(format!("{}/api/v1/incidents", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("log request");
        assert_eq!(res.status(), 201, "logged");
        let v: Value = res.json().await.expect("json");
        (
            v["id"].as_str().expect("id").to_string(),
            v["reference"].as_str().expect("reference").to_string(),
        )
    }
}

/// The rows of the start page's queue, top to bottom, as text.
async fn queue_rows(p: &Person) -> Vec<String> {
    p.client
        .execute(
            "return [...document.querySelectorAll('#queue tbody tr')].map(r => r.innerText);",
            vec![],
        )
        .await
        .expect("queue rows")
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub async fn a_lead_triages_forty_incidents_and_governors_read_what_was_published(
    backend: Backend,
) {
    let mut server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    add_account(&server, "Ada Admin", "AAD", &["admin"]);
    add_account(&server, "Tom Tutor", "TTU", &["staff"]);
    add_account(&server, "Dee Lead", "DLE", &["dsl"]);
    add_account(&server, "Oli Lead", "OLE", &["online_safety_lead"]);
    add_account(&server, "Hana Head", "HHE", &["headteacher"]);
    add_account(&server, "Dev Deputy", "DDE", &["leadership"]);
    add_account(&server, "Gil Governor", "GGO", &["governor"]);
    let driver = crate::harness::Driver::start().await;
    let dsl = driver.person("dsl", &server).await;
    let osl = driver.person("osl", &server).await;
    let deputy = driver.person("deputy", &server).await;
    let governor = driver.person("governor", &server).await;
    let s = &server;

    driver
        .journey("lead-day", s, async {
            // Forty incidents for the DSL: every fourth is urgent (self-harm),
            // the rest online bullying; every fourth has no date.
            let tutor = Api::sign_in(s, "Tom").await;
            let mut made = Vec::new();
            for n in 0..40 {
                let (category, date) = match n % 4 {
                    0 => ("self-harm", Value::Null),
                    _ => ("online-bullying", json!("2026-11-02")),
                };
                made.push(
                    tutor
                        .log(json!({
                            "pupil_name": format!("Pupil Number{n}"),
                            "tutor_group": format!("{}B", 7 + n % 5),
                            "incident_date": date,
                            "category": category,
                            "child_at_risk": false,
                            "details": format!("Row {n} first line\nsecond line not shown"),
                        }))
                        .await,
                );
            }
            let (conduct_id, conduct_ref) = tutor
                .log(json!({
                    "pupil_name": "Pupil Conduct", "tutor_group": "10A", "incident_date": null,
                    "category": "staff-conduct", "child_at_risk": false,
                    "details": "A teacher messaged a pupil privately.",
                }))
                .await;

            // The start page: one queue, urgent first, a row says what to decide on.
            sign_in(&dsl, "Dee").await;
            dsl.sees("Waiting for you (40)").await;
            let rows = queue_rows(&dsl).await;
            assert_eq!(rows.len(), 40, "forty rows, none twice: {rows:#?}");
            assert!(rows[..10].iter().all(|r| r.contains("Urgent")), "urgent first: {rows:#?}");
            assert!(!rows[10..].iter().any(|r| r.contains("Urgent")), "{rows:#?}");
            let top = &rows[0];
            for what in ["Pupil Number0", "7B", "date not known", "Self-harm", "Row 0 first line", "Designated Safeguarding Lead"] {
                assert!(top.contains(what), "the first row shows {what:?}: {top}");
            }
            assert!(!top.contains("second line not shown"), "{top}");
            assert!(rows[1].contains("Pupil Number4"), "then the oldest urgent one: {rows:#?}");
            assert!(
                rows.iter().any(|r| r.contains("02/11/2026")),
                "the incident date where known"
            );
            dsl.does_not_see(&conduct_ref).await;
            dsl.screenshot("dsl-queue.png", 1280).await;
            dsl.screenshot("dsl-queue-phone.png", 390).await;

            // Triage of the newest urgent incident: open it from the queue, take it.
            let (_, first_ref) = &made[0];
            let clicks_before = 0;
            dsl.follow(first_ref).await; // click 1
            dsl.press("Take ownership").await; // click 2
            let clicks = clicks_before + 2;
            dsl.sees(&format!("You took {first_ref}")).await;
            dsl.does_not_see("Take ownership").await;
            dsl.does_not_see("Escalate to the DSL").await;
            println!("triage of a new urgent incident: {clicks} clicks from the start page");
            dsl.fill("What was done, by whom", "DLE spoke to the pupil and their parent.")
                .await;
            dsl.press("Add action").await;
            dsl.sees(&format!("Your action on {first_ref} is on its timeline")).await;

            // A referral before the agency has given a reference.
            dsl.select("Agency", "CEOP").await;
            dsl.field("Date of the referral")
                .await
                .send_keys("02112026")
                .await
                .expect("type the date");
            dsl.tick("Reference to follow").await;
            dsl.press("Record referral").await;
            dsl.sees(&format!("Your referral for {first_ref} is recorded")).await;
            dsl.sees("Referred to CEOP on 02/11/2026, reference to follow.").await;
            dsl.open("/").await;
            dsl.sees("add the reference").await;
            // From the start page, where it waits.
            dsl.follow(first_ref).await;
            dsl.fill("The agency's reference", "CEOP-2026-118").await;
            dsl.press("Add the reference").await;
            dsl.sees(&format!("The referral's reference for {first_ref} is recorded")).await;
            dsl.open("/").await;
            dsl.does_not_see("add the reference").await;

            // Status, with the timeline in plain words.
            dsl.open(&format!("/incidents/{}", made[0].0)).await;
            dsl.select("New status", "Closed").await;
            dsl.fill("Why (the reason", "Pupil safe; CEOP engaged.").await;
            dsl.fill("Outcome", "Support plan with the head of year.").await;
            dsl.press("Save status").await;
            dsl.sees(&format!("You changed the status of {first_ref} to Closed")).await;
            dsl.select("New status", "In progress").await;
            dsl.fill("Why (the reason", "new information from parent").await;
            dsl.press("Save status").await;
            dsl.sees("Reopened: status changed from Closed to In progress: new information from parent")
                .await;
            dsl.does_not_see("in_progress").await;
            dsl.screenshot("record-after-actions.png", 1280).await;

            // The Online Safety Lead escalates one of theirs; assigning names the lead.
            let (osl_id, osl_ref) = tutor
                .log(json!({
                    "pupil_name": "Pupil Systems", "tutor_group": "9A", "incident_date": "2026-11-03",
                    "category": "harmful-content", "child_at_risk": false,
                    "details": "Saw harmful content in ICT.",
                }))
                .await;
            sign_in(&osl, "Oli").await;
            osl.open(&format!("/incidents/{osl_id}")).await;
            osl.press("Take ownership").await;
            osl.sees(&format!("You took {osl_ref}")).await;
            osl.select("Lead", "Dee Lead").await;
            osl.press("Assign").await;
            osl.sees(&format!("You assigned {osl_ref} to Dee Lead")).await;
            osl.fill("Why it is escalated", "A child may be at risk.").await;
            osl.press("Escalate to the DSL").await;
            osl.sees(&format!("You escalated {osl_ref} to the Designated Safeguarding Lead")).await;
            osl.does_not_see("Escalate to the DSL").await;

            // A senior leader: acknowledges, never reads an allegation about staff.
            sign_in(&deputy, "Dev").await;
            let (second_id, second_ref) = &made[1];
            deputy.open(&format!("/incidents/{second_id}")).await;
            deputy.press("Acknowledge for the leadership group").await;
            deputy.sees(&format!("You acknowledged {second_ref} for the leadership group")).await;
            deputy.open(&format!("/incidents/{conduct_id}")).await;
            deputy.sees("Not found").await;
            deputy.does_not_see("A teacher messaged").await;
            deputy.does_not_see("Acknowledge").await;

            // The old spreadsheet arrives as closed history: no new case in the queue.
            import_the_example_log(&dsl).await;
            dsl.open("/").await;
            let rows = queue_rows(&dsl).await;
            assert!(
                !rows.iter().any(|r| r.contains("Joe Briggs")),
                "imported history waits in no queue: {rows:#?}"
            );
            dsl.open("/incidents?status=closed").await;
            dsl.sees("Joe Briggs").await;

            // Governors: nothing until the Online Safety Lead publishes.
            sign_in(&governor, "Gil").await;
            governor.open("/reports").await;
            governor.does_not_see("Autumn 2026/27").await;
            governor.open("/reports/2026/autumn").await;
            governor.sees("Not found").await;
            osl.open("/reports/2026/autumn").await;
            osl.fill("Commentary for governors", "A busy autumn; filtering reviewed.")
                .await;
            osl.press("Publish to governors").await;
            osl.sees("Published").await;
            governor.open("/reports").await;
            governor.follow("Autumn 2026/27").await;
            governor.sees("A busy autumn").await;
            governor.does_not_see("JSON").await;
            governor.screenshot("governor-report.png", 1280).await;
            let (text, pages) = printed(&governor).await;
            assert!((1..=2).contains(&pages), "{pages} pages:\n{text}");
            for (n, page) in text.split('\u{c}').filter(|p| !p.trim().is_empty()).enumerate() {
                assert!(page.contains("Hill School"), "page {} names the school:\n{page}", n + 1);
                assert!(page.contains("Autumn 2026"), "page {} names the term:\n{page}", n + 1);
            }
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
