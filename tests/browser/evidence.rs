//! Evidence (issue 16) in Chromium: the DSL attaches a letter (a PDF) to an
//! incident from its record page, sees its SHA-256 checked on the record,
//! and is refused on a nudes-sharing incident, whose record says why and
//! offers no file input at all.

use serde_json::json;

use crate::harness::{Driver, Server};
use crate::helpers::Backend;
use crate::lead_day::{add_account_at, sign_in, Api};

pub async fn a_dsl_attaches_a_letter_and_cannot_attach_to_a_nudes_incident(backend: Backend) {
    let server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    add_account_at(&server, "Hill School", "Evie Dsl", "ED", &["dsl"]);
    let api = Api::sign_in(&server, "Evie").await;
    let (bullying, _) = api
        .log(json!({"pupil_name": "Theo Threads", "tutor_group": "8A", "incident_date": "2025-10-01",
                    "category": "online-bullying", "details": "Messages in a group chat; the parent sent a letter."}))
        .await;
    let (nudes, _) = api
        .log(
            json!({"pupil_name": "Nell Nobody", "tutor_group": "10T", "incident_date": "2025-10-02",
                    "category": "nudes-sharing", "details": "Told a teacher an image was shared."}),
        )
        .await;
    let letter = std::env::temp_dir().join(format!(
        "letter-from-parent-{}.pdf",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(
        &letter,
        "%PDF-1.4\n% Letter from Theo's mother about the group chat\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
    )
    .expect("the letter");
    let path = letter.to_str().expect("a path").to_string();

    let driver = Driver::start().await;
    let evie = driver.person("dsl", &server).await;
    let s = &server;
    driver
        .journey("evidence", s, async {
            sign_in(&evie, "Evie").await;
            // The refused one first: the page says why, quoting the guidance.
            evie.open(&format!("/incidents/{nudes}")).await;
            evie.sees("Files cannot be attached here.").await;
            evie.sees("No attachments.").await;
            let inputs = evie
                .client
                .find_all(fantoccini::Locator::Css("input[type=file]"))
                .await
                .expect("inputs");
            assert!(inputs.is_empty(), "no file input on a nudes-sharing record");
            evie.screenshot("evidence-refused.png", 1280).await;

            // A letter on the bullying incident: WebDriver sends the path
            // to the file input, as choosing the file does.
            evie.open(&format!("/incidents/{bullying}")).await;
            evie.sees("No files attached.").await;
            let input = evie.field("Attach a file").await;
            input.send_keys(&path).await.expect("the file chosen");
            evie.press("Attach file").await;
            evie.sees("application/pdf").await;
            evie.sees("Checked: unchanged since it was added").await;
            evie.sees("SHA-256:").await;
            evie.client
                .execute(
                    "document.getElementById('attachments').scrollIntoView();",
                    vec![],
                )
                .await
                .expect("scrolled to the files");
            evie.screenshot("evidence-record.png", 1280).await;
            // At the phone's width first, so the scroll is where it lands.
            evie.client
                .set_window_size(390, 1000)
                .await
                .expect("resize");
            evie.client
                .execute(
                    "document.getElementById('attachments').scrollIntoView();",
                    vec![],
                )
                .await
                .expect("scrolled to the files");
            evie.screenshot("evidence-record-phone.png", 390).await;
        })
        .await;
    let _ = std::fs::remove_file(&letter);
}
