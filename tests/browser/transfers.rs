//! A pupil's file follows them (the trusts issue, KCSIE): the DSL of one
//! school sends it from the pupil's page; the new school's DSL sees the
//! alert on their start page, opens the file, links it to a pupil and
//! confirms receipt; the sender sees "receipt confirmed" with their name
//! and the time. Schools and people are made from the binary, the
//! incident through the API; the rest is in the browser.

use serde_json::json;

use crate::harness::{Driver, Person, Server};
use crate::helpers::Backend;
use crate::lead_day::{add_account_at, sign_in, Api};

/// Whether `text` is "dd/mm/yyyy hh:mm, Who".
fn timed_by(text: &str, who: &str) -> bool {
    let Some(t) = text.trim().strip_suffix(&format!(", {who}")) else {
        return false;
    };
    let b = t.as_bytes();
    t.len() == 16
        && b[2] == b'/'
        && b[5] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && t.chars().filter(char::is_ascii_digit).count() == 12
}

/// What the page says beside "Receipt confirmed": in a receipt (the
/// transfer's page, the pupil's card) or in the transfers list's column.
async fn receipt_confirmed(p: &Person) -> String {
    p.client
        .execute(
            r#"const dt = [...document.querySelectorAll('dl.receipt dt')]
                 .find(d => d.innerText.trim() === 'Receipt confirmed');
               if (dt) { return dt.nextElementSibling.innerText.trim(); }
               const td = document.querySelector('td[data-label="Receipt confirmed"]');
               return td ? td.innerText.trim() : '';"#,
            vec![],
        )
        .await
        .expect("the receipt")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub async fn a_dsl_sends_a_pupils_file_and_the_new_schools_dsl_confirms_receipt(backend: Backend) {
    // The folder Oak School's MIS writes its roll to each night (URN 100011).
    let drop_dir = std::env::temp_dir().join(format!(
        "safelog-browser-drop-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(drop_dir.join("100011")).expect("the drop folder");
    let root = drop_dir.display().to_string();
    let mut server = Server::start_with(
        backend,
        &[
            ("SAFELOG_REQUIRE_2FA", "none"),
            ("SAFELOG_PUPIL_DROP", &root),
        ],
    )
    .await;
    for (name, urn) in [("Oak School", "100011"), ("Elm School", "100012")] {
        server.command(&["school", "add", "--name", name, "--urn", urn], "");
    }
    add_account_at(&server, "Oak School", "Tom Tutor", "TTU", &["staff"]);
    add_account_at(&server, "Oak School", "Ada Sender", "ASE", &["dsl"]);
    add_account_at(&server, "Elm School", "Ben Receiver", "BRE", &["dsl"]);
    add_account_at(&server, "Oak School", "Ian Admin", "IAD", &["admin"]);
    let driver = Driver::start().await;
    let ada = driver.person("sending-dsl", &server).await;
    let ben = driver.person("receiving-dsl", &server).await;
    let s = &server;

    driver
        .journey("transfer", s, async {
            let (incident, reference) = Api::sign_in(s, "Tom")
                .await
                .log(json!({
                    "pupil_name": "Pip Mover", "tutor_group": "9B", "incident_date": "2026-10-01",
                    "category": "online-bullying", "child_at_risk": true,
                    "details": "Sam Other sent Pip threatening messages on Snapchat.",
                    "other_pupils": [{"name": "Sam Other", "tutor_group": "9C", "role": "alleged"}],
                }))
                .await;

            // The sending DSL, from the pupil's page.
            sign_in(&ada, "Ada").await;
            ada.open(&format!("/incidents/{incident}")).await;
            ada.follow("Pip Mover").await;
            ada.sees("Child protection file").await;
            ada.sees("No file sent or received.").await;
            ada.follow("Send this pupil's file to another school").await;
            ada.sees("1 incident will be sent").await;
            ada.screenshot("transfer-send.png", 1280).await;
            ada.screenshot("transfer-send-phone.png", 390).await;
            ada.select("The pupil's new school", "Elm School (URN 100012)")
                .await;
            ada.press("Send the file").await;
            ada.sees("Sent. Their DSL is told").await;
            ada.sees("Not yet opened").await;
            ada.does_not_see("Sam Other").await;
            ada.sees("another pupil sent Pip threatening messages")
                .await;
            ada.screenshot("transfer-sent.png", 1280).await;

            // The receiving DSL: the alert, the file, the receipt.
            sign_in(&ben, "Ben").await;
            ben.sees("A child protection file has been sent to your school")
                .await;
            ben.screenshot("transfer-alert.png", 1280).await;
            ben.screenshot("transfer-alert-phone.png", 390).await;
            ben.follow("Open it").await;
            ben.sees("Received from Oak School on").await;
            ben.sees(&reference).await;
            ben.sees("another pupil sent Pip threatening messages")
                .await;
            ben.does_not_see("Sam Other").await;
            ben.screenshot("transfer-received.png", 1280).await;
            ben.screenshot("transfer-received-phone.png", 390).await;
            ben.tick("A new pupil record at your school").await;
            ben.fill("Tutor group at your school", "10E").await;
            ben.press("Confirm receipt").await;
            ben.sees("Receipt confirmed. The sending school sees it")
                .await;
            let confirmed = receipt_confirmed(&ben).await;
            assert!(timed_by(&confirmed, "Ben Receiver"), "{confirmed}");
            ben.follow("Pip Mover").await;
            ben.sees("Received from Oak School on").await;
            ben.screenshot("transfer-pupil-received.png", 1280).await;
            ben.open("/transfers").await;
            ben.sees("Pip Mover").await;
            ben.screenshot("transfers-received-list.png", 1280).await;
            ben.screenshot("transfers-received-list-phone.png", 390)
                .await;
            ben.open("/").await;
            ben.does_not_see("A child protection file has been sent to your school")
                .await;

            // The sender sees it opened and confirmed, named and timed.
            ada.open("/transfers").await;
            ada.sees("Elm School").await;
            assert_eq!(
                receipt_confirmed(&ada).await,
                confirmed,
                "the same time and name on both sides"
            );
            ada.screenshot("transfers-sent-list.png", 1280).await;
            ada.screenshot("transfers-sent-list-phone.png", 390).await;
            ada.follow("Pip Mover").await;
            assert_eq!(receipt_confirmed(&ada).await, confirmed);
            ada.open(&format!("/incidents/{incident}")).await;
            ada.follow("Pip Mover").await;
            ada.sees("Sent to Elm School").await;
            ada.sees("Receipt confirmed").await;
            assert_eq!(receipt_confirmed(&ada).await, confirmed);
            ada.screenshot("transfer-pupil-sent.png", 1280).await;
            ada.screenshot("transfer-pupil-sent-phone.png", 390).await;

            // The other new pages: taking in a package, and the key.
            ada.open("/transfers").await;
            ada.follow("Import a package from another system").await;
            ada.sees("Check and import").await;
            ada.screenshot("transfer-import.png", 1280).await;
            ada.screenshot("transfer-import-phone.png", 390).await;
            let ian = driver.person("admin", s).await;
            sign_in(&ian, "Ian").await;
            ian.open("/admin").await;
            ian.follow("Package signing key").await;
            ian.sees("Fingerprint").await;
            ian.screenshot("transfer-key.png", 1280).await;
            ian.screenshot("transfer-key-phone.png", 390).await;

            // Pupils from the MIS: a dry run on the upload page shows the
            // mapping and the unreadable rows; then two nights of the drop
            // folder (Wonde's shape), run as the IT technician's script would.
            let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
            ian.open("/admin/pupils").await;
            ian.field("Pupil list (CSV)")
                .await
                .send_keys(&data.join("mis-roll-with-errors.csv").display().to_string())
                .await
                .expect("choose the file");
            ian.press("Check only").await;
            ian.sees("Check only: nothing was changed").await;
            ian.sees("\"legal_surname\" → surname (legal)").await;
            ian.sees("\"Ethnicity\" → not used").await;
            ian.sees("Line 3: the date of birth \"31/02/2011\" is not a date")
                .await;
            ian.sees("Line 5: the NHS number").await;
            ian.screenshot("pupils-dry-run.png", 1280).await;
            ian.screenshot("pupils-dry-run-phone.png", 390).await;
            for (night, file) in [
                ("roll-2026-11-11.csv", "wonde-roll-1.csv"),
                ("roll-2026-11-12.csv", "wonde-roll-2.csv"),
            ] {
                std::fs::copy(data.join(file), drop_dir.join("100011").join(night)).expect("copy");
                let printed = s.command(&["pupils", "drop", "run", "--pupil-drop", &root], "");
                assert!(printed.contains(&format!("{night}: imported")), "{printed}");
            }
            ian.open("/admin/pupils").await;
            ian.sees("roll-2026-11-12.csv").await;
            ian.sees("1 has left").await;
            ian.sees(&format!("{root}/100011")).await;
            ian.screenshot_of("nightly-drop", "pupils-drop-runs.png", 1280)
                .await;
            ian.screenshot_of("nightly-drop", "pupils-drop-runs-phone.png", 390)
                .await;

            // The DSL records the pupil's NHS number and child identifier on
            // the pupil's page: a mistyped digit is refused, saying so.
            ada.open(&format!("/incidents/{incident}")).await;
            ada.follow("Pip Mover").await;
            ada.find("details.identifiers > summary")
                .await
                .click()
                .await
                .expect("open the identifiers form");
            ada.fill("Child identifier", "CCI-0042").await;
            ada.fill("NHS number", "943 476 5918").await;
            ada.press("Save").await;
            ada.sees("does not match the others").await;
            ada.screenshot("pupil-identifiers-refused.png", 1280).await;
            ada.screenshot("pupil-identifiers-refused-phone.png", 390)
                .await;
            ada.fill("NHS number", "943 476 5919").await;
            ada.press("Save").await;
            ada.sees("CCI-0042").await;
            ada.sees("943 476 5919").await;
            ada.screenshot("pupil-identifiers.png", 1280).await;
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
