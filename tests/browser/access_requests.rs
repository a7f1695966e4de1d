//! A subject access request in Chromium (issue 16): the DPO records the
//! request, builds the pack, withholds one passage, releases it and prints
//! it to PDF. The printed pages hold the pupil's record, no other pupil's
//! name, and are numbered.

use serde_json::json;

use crate::harness::{Driver, Server};
use crate::helpers::Backend;
use crate::journeys::printed;
use crate::lead_day::{add_account_at, sign_in, Api};

const CANARIES: [&str; 4] = ["Quillon", "Vantablack", "Zebedee", "Marchbanks"];

pub async fn a_dpo_answers_a_subject_access_request_and_prints_the_released_pack(backend: Backend) {
    let server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    add_account_at(&server, "Hill School", "Evie Dsl", "ED", &["dsl"]);
    add_account_at(&server, "Hill School", "Dora Dpo", "DD", &["dpo"]);
    let api = Api::sign_in(&server, "Evie").await;
    let (_, reference) = api
        .log(json!({"pupil_name": "Amelia Thornbury", "tutor_group": "9B", "incident_date": "2025-10-01",
                    "category": "online-bullying",
                    "details": "Quillon Vantablack sent Amelia cruel messages in a group chat. Zebedee Marchbanks saw it. The family's address is 12 Lark Lane.",
                    "other_pupils": [{"name": "Quillon Vantablack", "tutor_group": "11Q", "role": "alleged"}]}))
        .await;
    api.log(json!({"pupil_name": "Zebedee Marchbanks", "tutor_group": "10Z", "incident_date": "2025-10-02",
                   "category": "online-bullying", "details": "A record of Zebedee's own."}))
        .await;
    let received = (safelog::clock::Clock::system().today() - chrono::Duration::days(3))
        .format("%d/%m/%Y")
        .to_string();

    let driver = Driver::start().await;
    let dora = driver.person("dpo", &server).await;
    let s = &server;
    driver
        .journey("access-request", s, async {
            sign_in(&dora, "Dora").await;
            dora.follow("Access requests").await;
            dora.follow("Record a request").await;
            dora.fill("Who asked", "Rowena Parent").await;
            dora.tick("A parent or carer").await;
            dora.select("The pupil the request is about", "Amelia Thornbury")
                .await;
            dora.fill("Received on", &received).await;
            dora.press("Record the request").await;
            dora.sees("Subject access request SAR-").await;
            dora.sees("due in 2").await;
            let request = dora.path().await;
            assert!(!request.contains("Amelia"), "no name in the address");

            dora.follow("Build and check the pack").await;
            dora.sees(&reference).await;
            dora.sees("cruel messages").await;
            for canary in CANARIES {
                dora.does_not_see(canary).await;
            }
            // The redaction step: open the record's form, give the passage
            // and the reason.
            dora.find("details.sar-redact summary")
                .await
                .click()
                .await
                .expect("open");
            dora.fill("Passage", "The family's address is 12 Lark Lane.")
                .await;
            dora.fill(
                "Reason shown in the pack",
                "Information about a third party",
            )
            .await;
            dora.press("Withhold").await;
            dora.sees("[withheld: Information about a third party]")
                .await;
            dora.does_not_see("12 Lark Lane").await;
            dora.screenshot("access-pack.png", 1280).await;
            dora.screenshot("access-pack-phone.png", 390).await;

            dora.tick("I have checked every page of this pack").await;
            dora.press("Release the pack").await;
            dora.sees("exactly as released").await;
            dora.screenshot("access-pack-released.png", 1280).await;

            let (text, pages) = printed(&dora).await;
            assert!(text.contains("Amelia Thornbury"), "the pupil:\n{text}");
            assert!(text.contains(&reference), "the record:\n{text}");
            assert!(text.contains("cruel messages"), "its words:\n{text}");
            assert!(text.contains("SAR-"), "the request's reference:\n{text}");
            assert!(
                text.contains("[withheld: Information about a third party]"),
                "the withheld passage and its reason:\n{text}"
            );
            for gone in CANARIES.iter().chain(["12 Lark Lane", "11Q"].iter()) {
                assert!(!text.contains(gone), "{gone} printed:\n{text}");
            }
            for tool in [
                "Withhold a passage",
                "Release the pack",
                "Sign out",
                "Download",
            ] {
                assert!(!text.contains(tool), "{tool} printed:\n{text}");
            }
            // A cover page, then the record: every page numbered.
            assert!(pages >= 2, "{pages} pages:\n{text}");
            for n in 1..=pages {
                assert!(
                    text.contains(&format!("Page {n} of {pages}")),
                    "page {n} numbered:\n{text}"
                );
            }
            println!("subject access pack: {pages} printed pages");

            // Downloaded again, it is the released copy.
            dora.open(&request).await;
            dora.sees("Released pack SHA-256").await;
        })
        .await;
}
