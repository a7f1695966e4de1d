//! Evidence, decisions and sharing (issue 16): files attached to an
//! incident (refused on the image-crime categories and, for images, on a
//! school's "no images" categories; limits; downloads audited and
//! sandboxed; a file changed on disk shown on the record), decisions that
//! need a reason and are counted in the report, and information shares on
//! the timeline and in the export.

use serde_json::{json, Value};

use safelog::auth::Role;

use crate::helpers::{location, spawn_app, Backend, Browser, TestApp, TestUser};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::on_both_backends;

const BOUNDARY: &str = "----safelog-test-boundary-7d1c";

/// A multipart body with `fields` and one file in the field `file`.
pub fn multipart(fields: &[(&str, &str)], name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads through the API.
pub async fn api_upload(
    app: &TestApp,
    token: &str,
    incident: &str,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/incidents/{incident}/attachments")))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[], name, bytes))
        .send()
        .await
        .unwrap()
}

/// Uploads from the record page, with the form's CSRF token.
async fn page_upload(b: &Browser, incident: &str, name: &str, bytes: &[u8]) -> reqwest::Response {
    let csrf = b.csrf().await;
    b.client
        .post(b.url(&format!("/incidents/{incident}/attachments")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[("csrf", &csrf)], name, bytes))
        .send()
        .await
        .unwrap()
}

/// A PNG header: enough for any decoder to say "image".
pub fn png(seed: &str) -> Vec<u8> {
    let mut b = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
    ];
    b.extend_from_slice(seed.as_bytes());
    b
}

/// A (tiny) PDF of a letter, unique to the test so that its file on disk is
/// its own even where tests share a data folder.
pub fn pdf(seed: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% letter from the parent {seed}\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
        .into_bytes()
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn rows_for(app: &TestApp, incident: &str) -> i64 {
    use diesel::prelude::*;
    use safelog::db::schema::attachments;
    attachments::table
        .filter(attachments::incident_id.eq(incident))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn data_dir(app: &TestApp) -> std::path::PathBuf {
    safelog::auth::tokens::data_dir(&app.config)
}

struct People {
    staff: TestUser,
    dsl: TestUser,
    admin: TestUser,
}

fn people(app: &TestApp) -> People {
    People {
        staff: app.add_user("Sian Staff", &[Role::Staff]),
        dsl: app.add_user("Dora Dsl", &[Role::Dsl]),
        admin: app.add_user("Ada Admin", &[Role::Admin]),
    }
}

async fn no_file_can_be_attached_on_the_image_crime_categories_by_page_or_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let dsl = app.quick_token(&p.dsl);
    let browser = app.signed_in(&p.dsl).await;
    for category in ["nudes-sharing", "abuse-imagery"] {
        let made = quick_incident(&app, &staff, "Ivy Image", category, "seen on a phone").await;
        let id = made["id"].as_str().unwrap();
        // Not even a PDF: the category takes no file at all.
        let res = api_upload(&app, &dsl, id, "letter.pdf", &pdf(&unique())).await;
        assert_eq!(res.status(), 422, "{category}");
        let body: Value = res.json().await.unwrap();
        let why = body["fields"]["file"].as_str().unwrap();
        assert!(why.contains("No file can be attached"), "{why}");
        // The category's guidance is quoted.
        assert!(why.contains("Do not view"), "{why}");
        // The page says why and offers no file input.
        let page = browser.text(&format!("/incidents/{id}")).await;
        assert!(page.contains("Files cannot be attached here"), "{category}");
        assert!(page.contains("Do not view"), "{category}");
        assert!(!page.contains("type=\"file\""), "{category}");
        // And a file posted to the page anyway is refused there too.
        let res = page_upload(&browser, id, "photo.png", &png(&unique())).await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("No file can be attached"));
        assert_eq!(rows_for(&app, id), 0, "{category}");
    }
}

async fn set_attachment_settings(app: &TestApp, admin: &TestUser, fields: &[(&str, &str)]) {
    let res = app
        .signed_in(admin)
        .await
        .post("/admin/attachments", fields)
        .await;
    assert_eq!(res.status(), 303, "the settings are saved");
    assert_eq!(location(&res), "/admin/attachments?saved=1");
}

async fn an_image_is_refused_on_a_no_images_category_and_a_pdf_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    set_attachment_settings(
        &app,
        &p.admin,
        &[
            ("max_file_mb", "10"),
            ("max_incident_mb", "50"),
            ("no_images", "online-bullying"),
        ],
    )
    .await;
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Nia Noimage", "online-bullying", "messages").await;
    let id = made["id"].as_str().unwrap();
    // Named as a PDF, but an image by its content: refused.
    let res = api_upload(&app, &staff, id, "not-a-photo.pdf", &png(&unique())).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["file"]
        .as_str()
        .unwrap()
        .contains("takes no images"));
    // A PDF of a letter still goes, typed by its content.
    let letter = pdf(&unique());
    let res = api_upload(&app, &staff, id, "letter.pdf", &letter).await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["media_type"], "application/pdf");
    assert_eq!(a["name"], "letter.pdf");
    assert_eq!(a["size"], letter.len());
    assert_eq!(
        a["sha256"],
        safelog::attachments::files::sha256_hex(&letter)
    );
    // On another category the same image is kept, as an image.
    let other = quick_incident(&app, &staff, "Nia Noimage", "device-misuse", "photos").await;
    let res = api_upload(
        &app,
        &staff,
        other["id"].as_str().unwrap(),
        "x.pdf",
        &png(&unique()),
    )
    .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["media_type"], "image/png");
    // The file on disk is the service's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path =
            safelog::attachments::files::path_of(&data_dir(&app), a["sha256"].as_str().unwrap())
                .unwrap();
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

async fn a_download_is_audited_and_served_as_a_sandboxed_attachment(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Dan Download", "online-bullying", "messages").await;
    let id = made["id"].as_str().unwrap();
    let letter = pdf(&unique());
    let a: Value = api_upload(&app, &staff, id, "Letter from Mrs Ede.pdf", &letter)
        .await
        .json()
        .await
        .unwrap();
    let aid = a["id"].as_str().unwrap();
    let before = app
        .audit_actions()
        .iter()
        .filter(|(action, _, _)| action == "attachment_downloaded")
        .count();
    let b = app.signed_in(&p.dsl).await;
    let res = b.get(&format!("/incidents/{id}/attachments/{aid}")).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("Letter%20from%20Mrs%20Ede.pdf"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "sandbox; default-src 'none'");
    assert_eq!(res.bytes().await.unwrap().as_ref(), letter.as_slice());
    // And through the API.
    let res = app
        .get_with(
            &format!("/api/v1/incidents/{id}/attachments/{aid}"),
            &app.quick_token(&p.dsl),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let downloads: Vec<_> = app
        .audit_actions()
        .into_iter()
        .filter(|(action, _, _)| action == "attachment_downloaded")
        .collect();
    assert_eq!(downloads.len(), before + 2);
    assert!(downloads.iter().all(
        |(_, actor, record)| actor.as_deref() == Some(p.dsl.id.as_str())
            && record.as_deref() == Some(id)
    ));
    // The list shows it with its hash.
    let (status, list) =
        api_get(&app, &staff, &format!("/api/v1/incidents/{id}/attachments")).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["sha256"], a["sha256"]);
}

async fn a_file_changed_on_disk_is_detected_by_its_hash_on_the_record_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Cal Changed", "online-bullying", "messages").await;
    let id = made["id"].as_str().unwrap();
    let a: Value = api_upload(&app, &staff, id, "screenshot.pdf", &pdf(&unique()))
        .await
        .json()
        .await
        .unwrap();
    let hash = a["sha256"].as_str().unwrap();
    let b = app.signed_in(&p.dsl).await;
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(page.contains(hash), "the hash is on the record");
    assert!(page.contains("Checked: unchanged since it was added"));
    assert!(!page.contains("Changed: the file on disk"));
    let path = safelog::attachments::files::path_of(&data_dir(&app), hash).unwrap();
    std::fs::write(&path, b"%PDF-1.4 a different letter").unwrap();
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Changed: the file on disk no longer matches its SHA-256"));
    // The changed file is not served as the evidence.
    let res = b
        .get(&format!(
            "/incidents/{id}/attachments/{}",
            a["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), 409);
    std::fs::remove_file(&path).unwrap();
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Missing: the file is not in the data folder"));
}

async fn files_over_the_schools_limits_are_refused_clearly(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    // Out of range: said, nothing saved.
    let res = app
        .signed_in(&p.admin)
        .await
        .post(
            "/admin/attachments",
            &[("max_file_mb", "900"), ("max_incident_mb", "2")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("from 1 to 50"));
    set_attachment_settings(
        &app,
        &p.admin,
        &[("max_file_mb", "1"), ("max_incident_mb", "2")],
    )
    .await;
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Lim Limit", "online-bullying", "messages").await;
    let id = made["id"].as_str().unwrap();
    let mb = 1024 * 1024;
    let mut big = pdf(&unique());
    big.resize(mb + mb / 2, b' ');
    let res = api_upload(&app, &staff, id, "big.pdf", &big).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["file"]
        .as_str()
        .unwrap()
        .contains("limit of 1 MB per file"));
    for _ in 0..2 {
        let mut part = pdf(&unique());
        part.resize(mb * 9 / 10, b' ');
        assert_eq!(
            api_upload(&app, &staff, id, "part.pdf", &part)
                .await
                .status(),
            201
        );
    }
    let mut third = pdf(&unique());
    third.resize(mb * 9 / 10, b' ');
    let res = api_upload(&app, &staff, id, "third.pdf", &third).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["file"]
        .as_str()
        .unwrap()
        .contains("limit is 2 MB per incident"));
    // The page says so too, beside the file field.
    let b = app.signed_in(&p.staff).await;
    let res = page_upload(&b, id, "third.pdf", &third).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("per incident"));
    assert_eq!(rows_for(&app, id), 2);
}

async fn a_reader_who_may_not_see_the_incident_gets_404_on_its_attachments(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let colleague = app.add_user("Col League", &[Role::Staff]);
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Pia Private", "online-bullying", "messages").await;
    let id = made["id"].as_str().unwrap();
    let a: Value = api_upload(&app, &staff, id, "letter.pdf", &pdf(&unique()))
        .await
        .json()
        .await
        .unwrap();
    let aid = a["id"].as_str().unwrap();
    let other = app.quick_token(&colleague);
    let neighbour = app.quick_token(&app.neighbour.as_ref().unwrap().dsl);
    for token in [&other, &neighbour] {
        let (status, _) =
            api_get(&app, token, &format!("/api/v1/incidents/{id}/attachments")).await;
        assert_eq!(status, 404);
        let res = app
            .get_with(&format!("/api/v1/incidents/{id}/attachments/{aid}"), token)
            .await;
        assert_eq!(res.status(), 404);
        let res = api_upload(&app, token, id, "x.pdf", &pdf(&unique())).await;
        assert_eq!(res.status(), 404);
    }
    let b = app.signed_in(&colleague).await;
    assert_eq!(
        b.get(&format!("/incidents/{id}/attachments/{aid}"))
            .await
            .status(),
        404
    );
    // The member of staff who logged it sees the files they added, not the
    // lead's.
    let lead_file: Value = api_upload(
        &app,
        &app.quick_token(&p.dsl),
        id,
        "lead.pdf",
        &pdf(&unique()),
    )
    .await
    .json()
    .await
    .unwrap();
    let (_, list) = api_get(&app, &staff, &format!("/api/v1/incidents/{id}/attachments")).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["letter.pdf"]);
    let res = app
        .get_with(
            &format!(
                "/api/v1/incidents/{id}/attachments/{}",
                lead_file["id"].as_str().unwrap()
            ),
            &staff,
        )
        .await;
    assert_eq!(res.status(), 404);
}

async fn a_file_entered_in_error_is_hidden_with_its_reason_and_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Eli Error", "online-bullying", "messages").await;
    let id = made["id"].as_str().unwrap();
    let a: Value = api_upload(&app, &staff, id, "wrong-pupil.pdf", &pdf(&unique()))
        .await
        .json()
        .await
        .unwrap();
    let aid = a["id"].as_str().unwrap();
    let b = app.signed_in(&p.dsl).await;
    let res = b
        .post(
            &format!("/incidents/{id}/attachments/{aid}/entered-in-error"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422, "a reason is needed");
    let res = b
        .post(
            &format!("/incidents/{id}/attachments/{aid}/entered-in-error"),
            &[("reason", "About another pupil's incident")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, list) = api_get(
        &app,
        &app.quick_token(&p.dsl),
        &format!("/api/v1/incidents/{id}/attachments"),
    )
    .await;
    assert_eq!(list["items"][0]["entered_in_error"], true);
    assert_eq!(
        list["items"][0]["entered_in_error_reason"],
        "About another pupil's incident"
    );
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Entered in error (1), kept but hidden"));
    assert_eq!(rows_for(&app, id), 1, "nothing is deleted");
    // A staff member cannot hide a file.
    let sb = app.signed_in(&p.staff).await;
    let res = sb
        .post(
            &format!("/incidents/{id}/attachments/{aid}/entered-in-error"),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(res.status(), 404);
}

async fn no_further_action_and_not_referring_need_a_reason_and_are_counted_in_the_report(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let dsl = app.quick_token(&p.dsl);
    let mut ids = Vec::new();
    for n in 0..4 {
        let made = quick_incident(
            &app,
            &staff,
            &format!("Dec Pupil{n}"),
            "online-bullying",
            "messages",
        )
        .await;
        ids.push(made["id"].as_str().unwrap().to_string());
    }
    for decision in ["no_further_action", "not_referred"] {
        let res = api_post(
            &app,
            &dsl,
            &format!("/api/v1/incidents/{}/decisions", ids[0]),
            &json!({"decision": decision, "reason": "  "}),
        )
        .await;
        assert_eq!(res.status(), 422, "{decision} without a reason");
        let body: Value = res.json().await.unwrap();
        assert!(body["fields"]["reason"].is_string());
    }
    // The page refuses it too, keeping what was chosen.
    let b = app.signed_in(&p.dsl).await;
    let res = b
        .post(
            &format!("/incidents/{}/decisions", ids[0]),
            &[("decision", "not_referred"), ("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("the reason for the decision"));
    // Three of no further action, one not referred.
    for id in &ids[..3] {
        let res = api_post(
            &app,
            &dsl,
            &format!("/api/v1/incidents/{id}/decisions"),
            &json!({"decision": "no_further_action", "reason": "Parents spoke to; resolved in school"}),
        )
        .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let last = body["timeline"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["text"], "Decision: no further action.");
        assert_eq!(last["reason"], "Parents spoke to; resolved in school");
    }
    let res = b
        .post(
            &format!("/incidents/{}/decisions", ids[3]),
            &[
                ("decision", "not_referred"),
                ("reason", "Threshold for MASH not met"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = b.text(&format!("/incidents/{}", ids[3])).await;
    assert!(page.contains("Decided not to refer") && page.contains("Threshold for MASH not met"));
    let (status, report) =
        api_get(&app, &dsl, "/api/v1/reports/termly?year=2025&term=autumn").await;
    assert_eq!(status, 200);
    let count = |key: &str| {
        report["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap()["count"]
            .clone()
    };
    assert_eq!(count("no_further_action"), 3);
    // One is fewer than k = 3: suppressed.
    assert_eq!(count("not_referred"), "<3");
    assert_eq!(count("not_shared"), 0);
}

async fn an_information_share_is_recorded_on_the_timeline_and_in_the_export(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let dsl = app.quick_token(&p.dsl);
    let made = quick_incident(&app, &staff, "Sha Share", "online-bullying", "messages").await;
    let id = made["id"].as_str().unwrap();
    let share = json!({
        "shared_with": "Children's social care (MASH)", "person": "J. Okafor",
        "what": "Chronology and screenshots", "shared_on": "2025-11-10",
        "lawful_basis": "public_task", "reason": "Section 47 enquiry"
    });
    let mut without_basis = share.clone();
    without_basis["lawful_basis"] = json!("because");
    let res = api_post(
        &app,
        &dsl,
        &format!("/api/v1/incidents/{id}/shares"),
        &without_basis,
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = api_post(
        &app,
        &dsl,
        &format!("/api/v1/incidents/{id}/shares"),
        &share,
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let last = body["timeline"].as_array().unwrap().last().unwrap().clone();
    assert!(last["text"]
        .as_str()
        .unwrap()
        .contains("Information shared with Children's social care (MASH) (J. Okafor) on 10/11/2025, lawful basis public task"));
    assert_eq!(last["reason"], "Section 47 enquiry");
    // A decision not to share, with its reason.
    let res = api_post(
        &app,
        &dsl,
        &format!("/api/v1/incidents/{id}/decisions"),
        &json!({"decision": "not_shared", "reason": "Father asked; no lawful basis"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    // Staff cannot record a share.
    let res = api_post(
        &app,
        &staff,
        &format!("/api/v1/incidents/{id}/shares"),
        &share,
    )
    .await;
    assert_eq!(res.status(), 404);
    let letter = pdf(&unique());
    let a: Value = api_upload(&app, &staff, id, "letter.pdf", &letter)
        .await
        .json()
        .await
        .unwrap();
    let res = app.get_with("/api/v1/export.csv", &dsl).await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| r.get(col("Reference")) == made["reference"].as_str())
        .unwrap();
    let shared = row.get(col("Information Shared")).unwrap();
    assert!(shared.contains("Children's social care (MASH) (J. Okafor), 10/11/2025, Public task: Chronology and screenshots; reason: Section 47 enquiry"), "{shared}");
    let decisions = row.get(col("Decisions")).unwrap();
    assert!(
        decisions.contains("Decided not to share information"),
        "{decisions}"
    );
    let files = row.get(col("Attachments")).unwrap();
    assert_eq!(
        files,
        format!("letter.pdf (sha256 {})", a["sha256"].as_str().unwrap())
    );
}

on_both_backends!(
    no_file_can_be_attached_on_the_image_crime_categories_by_page_or_api,
    an_image_is_refused_on_a_no_images_category_and_a_pdf_is_accepted,
    a_download_is_audited_and_served_as_a_sandboxed_attachment,
    a_file_changed_on_disk_is_detected_by_its_hash_on_the_record_page,
    files_over_the_schools_limits_are_refused_clearly,
    a_reader_who_may_not_see_the_incident_gets_404_on_its_attachments,
    a_file_entered_in_error_is_hidden_with_its_reason_and_kept,
    no_further_action_and_not_referring_need_a_reason_and_are_counted_in_the_report,
    an_information_share_is_recorded_on_the_timeline_and_in_the_export,
);
