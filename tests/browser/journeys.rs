//! A new school's first day in safelog, as its people meet it in Chromium:
//! from the setup link the first start prints, through logging, the case,
//! the governors' report, the CSV and the old spreadsheet, to signing out.
//! No step after the binary starts takes a shortcut round the pages.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Driver, Person, Server};
use crate::helpers::Backend;

/// What a person needs to sign in: their email and password.
pub(crate) struct Account {
    pub(crate) email: String,
    pub(crate) password: String,
}

pub(crate) fn account(first: &str) -> Account {
    Account {
        email: format!("{}@hill.sch.uk", first.to_lowercase()),
        password: format!("{first} keeps a long passphrase 2026"),
    }
}

/// Six digits from the authenticator app: computed from the key the page
/// shows, as a phone would.
async fn code_from_page(p: &Person) -> String {
    let key = p.find("code.secret").await.text().await.expect("key text");
    let now = safelog::clock::Clock::system().now().timestamp();
    safelog::auth::totp::current_code(&key.replace(' ', ""), now).expect("a code from the key")
}

/// The two-factor set-up every lead meets on their first sign-in.
pub(crate) async fn enrol_two_factor(p: &Person) {
    p.sees("Set up two-factor sign-in").await;
    if p.text().await.contains("You will need your phone") {
        p.press("Start").await;
    }
    let code = code_from_page(p).await;
    p.fill("Then enter the 6-digit code", &code).await;
    p.press("Turn on two-factor sign-in").await;
    p.sees("Your recovery codes").await;
    p.follow("I have kept them: continue").await;
}

/// The administrator adds a person through the admin pages; returns the
/// welcome link the page gives them to pass on (email is not set up).
async fn add_person(admin: &Person, name: &str, initials: &str, role: &str) -> String {
    admin.open("/admin/users").await;
    admin.follow("Add an account").await;
    admin.fill("Name", name).await;
    admin
        .fill(
            "Email",
            &account(name.split(' ').next().unwrap_or(name)).email,
        )
        .await;
    admin.fill("Initials", initials).await;
    admin.tick(role).await;
    admin.press("Create account and email a welcome link").await;
    admin.sees("Account created").await;
    admin
        .find("code.secret")
        .await
        .text()
        .await
        .expect("the welcome link")
}

/// Opens a welcome link, chooses a password, and arrives signed in.
async fn welcome(p: &Person, link: &str, first: &str, lead: bool) {
    p.open(link).await;
    p.sees("Choose").await;
    let a = account(first);
    p.fill("New password", &a.password).await;
    p.fill("New password again", &a.password).await;
    p.press("Set password").await;
    if lead {
        enrol_two_factor(p).await;
    }
    p.sees("Sign out").await;
    assert_eq!(
        p.path().await,
        "/",
        "{first} lands on their start page, signed in"
    );
}

/// The three examples from the policy's own log, as rows of the CSV.
fn policy_examples() -> Vec<csv::StringRecord> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/example-online-safety-log.csv");
    let mut reader = csv::Reader::from_path(path).expect("the example log");
    reader.records().map(|r| r.expect("a row")).collect()
}

/// Logs one incident through the form; returns its reference.
#[allow(clippy::too_many_arguments)]
async fn log_incident(
    p: &Person,
    pupil: &str,
    group: &str,
    date: &str,
    category: &str,
    guidance: Option<&str>,
    details: &str,
    actions: &str,
) -> String {
    p.open("/").await;
    p.follow("Log an incident").await;
    p.fill("Pupil's name", pupil).await;
    p.fill("Tutor group", group).await;
    if date.is_empty() {
        p.tick("Date not known").await;
    } else {
        // Typed as a UK user types into the date field: day, month, year.
        p.field("Date of the incident")
            .await
            .send_keys(&date.replace('/', ""))
            .await
            .expect("type the date");
    }
    if let Some(guidance) = guidance {
        p.does_not_see(guidance).await;
    }
    p.select("Category", category).await;
    // The category's guidance appears as soon as it is chosen.
    if let Some(guidance) = guidance {
        p.sees(guidance).await;
    }
    p.fill("What happened", details).await;
    p.fill("Actions taken so far", actions).await;
    p.press("Log this incident").await;
    p.sees("Incident logged: ").await;
    let text = p.text().await;
    text.split_whitespace()
        .find(|w| w.starts_with("OS-"))
        .map(|w| w.trim_end_matches(['.', ',']).to_string())
        .expect("a reference on the confirmation")
}

/// Opens a record from the incident list by its reference.
async fn open_record(p: &Person, reference: &str) {
    p.open("/incidents").await;
    p.follow(reference).await;
    p.sees(reference).await;
}

/// Opens a case panel section if it is folded away.
async fn unfold(p: &Person, summary: &str) {
    let script = "for (const s of document.querySelectorAll('summary')) { \
        if (s.textContent.trim() === arguments[0] && !s.parentElement.open) { s.click(); } }";
    p.client
        .execute(script, vec![serde_json::Value::from(summary)])
        .await
        .expect("unfold");
}

/// The contrast between the focus ring of the element Tab reaches and what
/// lies behind it (WCAG 2.2's focus appearance asks for at least 3:1).
async fn focus_ring_contrast(p: &Person) -> f64 {
    p.client
        .execute(
            r#"const lum = c => { const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(v => {
                   v = v / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                 return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
               const el = document.activeElement;
               let bg = el.parentElement;
               while (bg && getComputedStyle(bg).backgroundColor.match(/rgba\(.*, 0\)|transparent/)) { bg = bg.parentElement; }
               const a = lum(getComputedStyle(el).outlineColor);
               const b = lum(getComputedStyle(bg || document.body).backgroundColor);
               if (getComputedStyle(el).outlineStyle === 'none') { return 0; }
               return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);"#,
            vec![],
        )
        .await
        .expect("contrast")
        .as_f64()
        .unwrap_or(0.0)
}

async fn sign_out_and_stay_out(p: &Person) {
    let before = p.path().await;
    p.press("Sign out").await;
    p.sees("Sign in to safelog").await;
    // Back: either our sign-in page (the signed-in page is fetched again, as
    // nothing is cached, and sends them to sign in), or, after a page that
    // was a form's answer, the browser's own "confirm form resubmission"
    // page. Never the page they were on.
    p.client.back().await.expect("back");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = p.text().await;
    assert!(
        !text.contains("Sign out"),
        "{}: the back button showed a signed-in page ({before}) after signing out:\n{text}",
        p.name
    );
    let resubmission = p
        .client
        .source()
        .await
        .expect("source")
        .contains("ERR_CACHE_MISS");
    if !resubmission {
        p.sees("Sign in").await;
    }
}

/// The policy's example log through the upload page: a dry run first, which
/// says the rows arrive as closed history, then the import.
pub(crate) async fn import_the_example_log(p: &Person) {
    p.open("/import/log").await;
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/example-online-safety-log.csv");
    p.field("Incident log (CSV)")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    p.press("Check the file (dry run)").await;
    p.sees("3 incidents will be added as closed history").await;
    p.press("Import these 3 incidents").await;
    p.sees("Imported").await;
}

/// Waits for a download to finish in the browser's download folder.
fn downloaded(dir: &Path, ext: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let done = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == ext));
        if let Some(path) = done {
            return std::fs::read_to_string(path).expect("read the download");
        }
        assert!(Instant::now() < deadline, "no .{ext} file was downloaded");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The page as the browser prints it (the DevTools print command): its
/// text, page by page (separated by form feeds), and how many pages.
pub(crate) async fn printed(p: &Person) -> (String, usize) {
    let pdf = p
        .client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .expect("print to PDF");
    pdf_text(&pdf)
}

pub(crate) fn pdf_text(pdf: &[u8]) -> (String, usize) {
    let dir = std::env::temp_dir().join(format!("safelog-pdf-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("pdf folder");
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).expect("write pdf");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    let info = std::process::Command::new("pdfinfo")
        .arg(&file)
        .output()
        .expect("pdfinfo");
    let pages = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|n| n.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(dir);
    (String::from_utf8_lossy(&text.stdout).into_owned(), pages)
}

/// Journeys 1 to 6 of the browser issue, one after another, as one school.
pub async fn a_new_school_from_its_setup_link_to_signing_out(backend: Backend) {
    let mut server = Server::start(backend).await;
    let driver = Driver::start().await;
    let admin = driver.person("administrator", &server).await;
    let d = &driver;
    let s = &server;
    driver
        .journey("new-school", s, async {
            // 1. The setup link, then the school and its people.
            admin.open("/login").await;
            admin.sees("setup link").await;
            let link = s.setup_link().await;
            admin.open(&link).await;
            admin.fill("School name", "Hill School").await;
            admin.fill("Your name", "Ada Admin").await;
            admin.fill("Your initials", "AAD").await;
            let a = account("Ada");
            admin.fill("Your email", &a.email).await;
            admin.fill("Password", &a.password).await;
            admin.fill("Password again", &a.password).await;
            admin.press("Create the school and my account").await;
            enrol_two_factor(&admin).await;
            admin.sees("Get Hill School ready").await;

            let people = [
                ("Tom Tutor", "TTU", "Staff", false),
                ("Dee Lead", "DLE", "Designated Safeguarding Lead", true),
                ("Oli Lead", "OLE", "Online Safety Lead", true),
                ("Hana Head", "HHE", "Headteacher", true),
                ("Pat Dpo", "PDP", "Data protection officer", true),
                ("Gil Governor", "GGO", "Governor / trustee", true),
            ];
            let mut persons = Vec::new();
            for (name, initials, role, lead) in people {
                let link = add_person(&admin, name, initials, role).await;
                let first = name.split(' ').next().unwrap_or(name);
                let p = d.person(first, s).await;
                welcome(&p, &link, first, lead).await;
                persons.push(p);
            }
            let [tutor, dsl, osl, head, dpo, governor] =
                <[Person; 6]>::try_from(persons).unwrap_or_else(|_| panic!("six people"));
            admin.open("/").await;
            admin.sees("Add staff").await;
            admin.screenshot("admin-start.png", 1280).await;
            admin.screenshot("admin-start-phone.png", 390).await;

            // 2. The tutor logs the policy's three examples and a nudes-sharing incident.
            // Each example's category, and the guidance that must appear as
            // it is chosen (exploitation has none by default).
            let categories = [
                // Threats sent through school email: the Online Safety Lead's.
                (
                    "Misuse of school systems or accounts (hacking, shared passwords)",
                    Some("Preserve logs."),
                ),
                (
                    "Grooming, sextortion or contact from an unknown adult (urgent)",
                    Some("Do not contact the sender."),
                ),
                (
                    "Criminal or financial exploitation (drugs, gangs, money mules)",
                    None,
                ),
            ];
            let mut refs = Vec::new();
            for (row, (category, guidance)) in policy_examples().iter().zip(categories) {
                let r = log_incident(
                    &tutor, &row[0], &row[1], &row[2], category, guidance, &row[3], &row[4],
                )
                .await;
                refs.push(r);
            }
            let nudes = log_incident(
                &tutor,
                "Mia Evans",
                "9C",
                "",
                "Nudes or semi-nudes shared by or of pupils (urgent)",
                Some("Do not view, copy, print, share, store or save the images"),
                "Mia said an image of her is being passed round a group chat.",
                "",
            )
            .await;
            tutor.sees("Tell the DSL in person now.").await;
            // The undated example reads as not known, never guessed.
            open_record(&tutor, &refs[1]).await;
            tutor.sees("Not known").await;
            open_record(&tutor, &refs[2]).await;
            tutor.sees("11/07/2020").await;
            open_record(&tutor, &nudes).await;
            tutor.sees("Mia Evans").await;

            // 3. The case: the Online Safety Lead, then the DSL, then the head.
            let joe = &refs[0];
            open_record(&osl, joe).await;
            osl.press("Take ownership").await;
            osl.sees(&format!("You took {joe}")).await;
            unfold(&osl, "Record an action").await;
            osl.fill(
                "What was done, by whom",
                "OLE checked the school email logs: 14 messages from JH.",
            )
            .await;
            osl.press("Add action").await;
            osl.sees("OLE checked the school email logs").await;
            unfold(&osl, "Escalate to the DSL").await;
            osl.fill("Why it is escalated", "Threats of violence after school.")
                .await;
            osl.press("Escalate to the DSL").await;
            osl.sees("Escalated").await;

            open_record(&dsl, joe).await;
            dsl.press("Take ownership").await;
            unfold(&dsl, "Record a referral to an outside agency").await;
            dsl.select("Agency", "Police (101/999)").await;
            dsl.field("Date of the referral")
                .await
                .send_keys(
                    &safelog::clock::Clock::system()
                        .now()
                        .format("%d%m%Y")
                        .to_string(),
                )
                .await
                .expect("type the date");
            dsl.fill("The agency's reference number", "CAD-4471").await;
            dsl.press("Record referral").await;
            dsl.sees("CAD-4471").await;
            unfold(&dsl, "Change status or close").await;
            dsl.select("New status", "Closed").await;
            dsl.fill(
                "Why (the reason",
                "Police and parents engaged; JH sanctioned.",
            )
            .await;
            dsl.fill(
                "Outcome",
                "Fixed-term sanction for JH; Joe supported by his head of year.",
            )
            .await;
            dsl.press("Save status").await;
            dsl.sees("Fixed-term sanction for JH").await;
            unfold(&dsl, "Reopen the case").await;
            dsl.select("New status", "In progress").await;
            dsl.fill("Why (the reason", "New messages reported by Joe's mother.")
                .await;
            dsl.press("Save status").await;
            dsl.sees("New messages reported by Joe's mother.").await;

            open_record(&head, joe).await;
            head.press("Acknowledge for the leadership group").await;
            head.sees("Hana Head").await;
            head.screenshot("record.png", 1280).await;
            head.screenshot("record-phone.png", 390).await;
            dsl.open("/").await;
            dsl.screenshot("dsl-start-phone.png", 390).await;
            dsl.open("/incidents").await;
            dsl.screenshot("list-phone.png", 390).await;

            open_record(&tutor, joe).await;
            tutor.sees("Being dealt with").await;
            for secret in [
                "14 messages from JH",
                "CAD-4471",
                "Fixed-term sanction",
                "New messages reported",
                "Threats of violence",
            ] {
                tutor.does_not_see(secret).await;
            }

            // The DPO reads none of these (none is a data breach).
            dpo.open("/incidents").await;
            dpo.does_not_see(joe).await;

            // 4. The governor's report: the Online Safety Lead publishes, the
            // governor prints it.
            osl.open("/reports").await;
            let term = osl.find("main table a, main ul a").await;
            let term_path = term.attr("href").await.expect("href").expect("a term link");
            osl.open(&term_path).await;
            osl.fill(
                "Commentary for governors",
                "A quiet term online; filtering reviewed in October.",
            )
            .await;
            osl.press("Publish to governors").await;
            osl.sees("Published").await;

            governor.open("/reports").await;
            governor.open(&term_path).await;
            governor.sees("A quiet term online").await;
            governor.screenshot("report-phone.png", 390).await;
            let (text, pages) = printed(&governor).await;
            assert!(
                text.contains("Online safety report"),
                "the PDF has the report:\n{text}"
            );
            assert!(
                text.contains("A quiet term online"),
                "the PDF has the commentary:\n{text}"
            );
            for nav in ["Log an incident", "Sign out", "Administration"] {
                assert!(
                    !text.contains(nav),
                    "the PDF shows the navigation ({nav}):\n{text}"
                );
            }
            // A small term is one or two pages, each headed with the school
            // and term and numbered (an @page margin box).
            assert!((1..=2).contains(&pages), "{pages} pages:\n{text}");
            assert_eq!(
                text.matches("Hill School · Online safety report").count(),
                pages,
                "the school and term on every page:\n{text}"
            );
            assert!(
                text.contains(&format!("Page {pages} of {pages}")),
                "page numbers:\n{text}"
            );
            for developer in ["JSON", "Download"] {
                assert!(!text.contains(developer), "no buttons in print:\n{text}");
            }

            // 5. CSV from the list, then the old spreadsheet with a dry run first.
            dsl.open("/incidents").await;
            dsl.find("a[download]")
                .await
                .click()
                .await
                .expect("download");
            let csv = downloaded(&d.downloads, "csv");
            assert!(
                csv.starts_with("\u{feff}Student Name,Tutor Group,Incident Date"),
                "{csv}"
            );
            assert!(
                csv.contains("Joe Briggs") && csv.contains("CAD-4471"),
                "{csv}"
            );
            assert!(!csv.contains("Mia Evans") || csv.contains("Nudes"), "{csv}");

            import_the_example_log(&dsl).await;

            // The focus ring shows where the keyboard is, at 3:1 or better.
            tutor.open("/incidents/new").await;
            // Tab from the pupil's name to the next field.
            tutor
                .field("Pupil's name")
                .await
                .send_keys("\u{e004}")
                .await
                .expect("tab");
            let contrast = focus_ring_contrast(&tutor).await;
            assert!(
                contrast >= 3.0,
                "the focus ring's contrast is {contrast:.2}:1"
            );

            // 6. Everyone signs out, and the back button does not bring a page back.
            for p in [&admin, &tutor, &dsl, &osl, &head, &dpo, &governor] {
                sign_out_and_stay_out(p).await;
            }
        })
        .await;
    drop(driver);
    // Ctrl-C, as the README says: it stops accepting and exits cleanly.
    let status = server.interrupt();
    assert!(
        status.success(),
        "Ctrl-C exit: {status:?}\n{}",
        server.logs()
    );
    println!(
        "pages checked (axe-core, 390 px):\n{}",
        crate::harness::summary()
    );
}
