//! Pupils from the school's MIS (issue 15) and the child identifier (issue
//! 16): Wonde's and the MIS exports' column names, the dry run, the nightly
//! drop folder (added, moved, left, refused; a suspect file refused; the
//! same file twice changes nothing), names compared after NFC and case
//! folding, and the child identifier and NHS number on the pupil's page, in
//! the export and in the transfer package.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::prelude::*;
use safelog::auth::Role;
use safelog::db::schema::{pupil_drop_runs, pupils};
use safelog::pupils::drop::{self, Outcome};
use safelog::pupils::model::Pupil;
use serde_json::{json, Value};

use crate::helpers::{location, spawn_app, spawn_app_with, Backend, TestApp};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::on_both_backends;

const TEST_URN: &str = "100001";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A drop folder of its own, with the test school's subfolder.
fn drop_root() -> PathBuf {
    let root = std::env::temp_dir()
        .join("safelog-tests")
        .join(format!("drop-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(root.join(TEST_URN)).unwrap();
    root
}

/// The MIS writes `contents` as `name` into the test school's folder.
fn drop_file(root: &Path, name: &str, contents: &[u8]) {
    std::fs::write(root.join(TEST_URN).join(name), contents).unwrap();
}

/// A pupil as the drop tests compare them: (mis_id, name, tutor group, left?).
type Row = (Option<String>, String, Option<String>, bool);

/// The test school's pupils, by MIS id.
fn roll(app: &TestApp) -> Vec<Row> {
    let rows: Vec<(Pupil, Option<String>)> = pupils::table
        .filter(pupils::school_id.eq(app.school_id()))
        .order((pupils::mis_id.asc(), pupils::name.asc()))
        .select((Pupil::as_select(), pupils::mis_id))
        .load(&mut app.conn())
        .unwrap();
    rows.into_iter()
        .map(|(p, m)| (m, p.name, p.tutor_group, p.left_at.is_some()))
        .collect()
}

fn pupil_id(app: &TestApp, mis_id: &str) -> String {
    pupils::table
        .filter(pupils::mis_id.eq(mis_id))
        .select(pupils::id)
        .first(&mut app.conn())
        .unwrap()
}

fn run(app: &TestApp, root: &Path, accept_leavers: bool) -> Outcome {
    let mut conn = app.conn();
    let school = safelog::accounts::store::school(&mut conn, &app.school_id()).unwrap();
    drop::run_school(
        &mut conn,
        root,
        &school,
        app.clock.now_naive(),
        accept_leavers,
    )
    .unwrap()
}

pub fn safelog_command(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("SAFELOG_DATABASE_URL", app.db.url())
        .stdin(Stdio::null());
    cmd
}

async fn a_nightly_wonde_file_adds_pupils_a_second_moves_one_and_marks_a_leaver_and_the_same_file_again_changes_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let root = drop_root();
    drop_file(&root, "roll-2025-11-11.csv", &fixture("wonde-roll-1.csv"));

    // The first night, by the command a script runs.
    let out = safelog_command(&app)
        .args(["pupils", "drop", "run"])
        .env("SAFELOG_PUPIL_DROP", &root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("roll-2025-11-11.csv: imported: 6 new"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Zo"),
        "no pupil's name on the command line: {stdout}"
    );
    let first = roll(&app);
    assert_eq!(first.len(), 6);
    // Wonde's `forename` (the preferred one) and `surname` make the name.
    assert_eq!(
        first[3],
        (
            Some("1004".into()),
            "Sam Jones".into(),
            Some("8A".into()),
            false
        )
    );
    let zoe = pupil_id(&app, "1001");
    let nhs: Option<String> = pupils::table
        .find(&zoe)
        .select(pupils::nhs_number)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(nhs.as_deref(), Some("9434765919"));

    // Tom (who will leave) has an incident on record.
    let dsl = app.add_user("Dee DSL", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let res = api_post(&app, &token, "/api/v1/incidents", &json!({
        "pupil_name": "Tom Byrne", "pupil_id": pupil_id(&app, "1006"), "tutor_group": "7A",
        "incident_date": "2025-10-01", "category": "online-bullying", "details": "Before he left."
    }))
    .await;
    assert_eq!(res.status(), 201);

    // The same file, looked at again (the server's timer): nothing to do.
    assert!(matches!(run(&app, &root, false), Outcome::AlreadySeen(_)));

    // The next night: Sam moved to 8B, Tom is no longer on the roll.
    app.clock.advance(chrono::Duration::days(1));
    drop_file(&root, "roll-2025-11-12.csv", &fixture("wonde-roll-2.csv"));
    match run(&app, &root, false) {
        Outcome::Imported {
            summary,
            refused_rows,
            ..
        } => {
            assert_eq!(
                (
                    summary.created,
                    summary.moved,
                    summary.left,
                    summary.unchanged
                ),
                (0, 1, 1, 4)
            );
            assert_eq!(refused_rows, 0);
        }
        other => panic!("{other:?}"),
    }
    let second = roll(&app);
    assert_eq!(second.len(), 6, "a leaver is never deleted");
    assert_eq!(second[3].2.as_deref(), Some("8B"));
    assert_eq!(
        second[5],
        (
            Some("1006".into()),
            "Tom Byrne".into(),
            Some("7A".into()),
            true
        )
    );

    // The same contents under another name: every pupil unchanged.
    drop_file(
        &root,
        "roll-2025-11-12-again.csv",
        &fixture("wonde-roll-2.csv"),
    );
    match run(&app, &root, false) {
        Outcome::Imported { summary, .. } => assert_eq!(
            (
                summary.created,
                summary.moved,
                summary.updated,
                summary.left,
                summary.unchanged
            ),
            (0, 0, 0, 0, 5)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(roll(&app), second);
    assert!(matches!(run(&app, &root, false), Outcome::AlreadySeen(_)));

    // Tom's page and record still open for the DSL, marked as left; the
    // type-ahead no longer offers him.
    let b = app.signed_in(&dsl).await;
    let tom = pupil_id(&app, "1006");
    let res = b.get(&format!("/pupils/{tom}")).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Left the school") && page.contains("OS-2025-0001"),
        "{page}"
    );
    let token = app.quick_token(&dsl);
    let (status, found) = api_get(&app, &token, "/api/v1/pupils?q=byrne").await;
    assert_eq!(status, 200);
    assert_eq!(found["items"], json!([]));
    let (_, found) = api_get(&app, &token, "/api/v1/pupils?q=jones").await;
    assert_eq!(found["items"][0]["tutor_group"], "8B");

    // The admin page records each run.
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let page = app.signed_in(&admin).await.text("/admin/pupils").await;
    assert!(page.contains("roll-2025-11-12.csv"), "{page}");
    assert!(page.contains("roll-2025-11-11.csv"));
    assert!(page.contains("1 has left"), "{page}");
    let runs: i64 = pupil_drop_runs::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(runs, 3);
}

async fn a_file_that_would_mark_more_than_a_third_of_the_roll_as_left_is_refused_as_suspect(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let root = drop_root();
    drop_file(&root, "a.csv", &fixture("wonde-roll-1.csv"));
    assert!(matches!(run(&app, &root, false), Outcome::Imported { .. }));
    let before = roll(&app);

    // Half the roll: a partial export.
    drop_file(&root, "b.csv", &fixture("wonde-roll-partial.csv"));
    match run(&app, &root, false) {
        Outcome::Refused { reason, .. } => {
            assert!(reason.contains("3 of the 6"), "{reason}");
            assert!(reason.contains("partial export"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(roll(&app), before, "nothing changed");
    // Not tried again every few minutes.
    assert!(matches!(run(&app, &root, false), Outcome::AlreadySeen(_)));
    let out = safelog_command(&app)
        .args(["pupils", "drop", "run"])
        .env("SAFELOG_PUPIL_DROP", &root)
        .output()
        .unwrap();
    assert!(out.status.success(), "already seen is not a failure");

    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let page = app.signed_in(&admin).await.text("/admin/pupils").await;
    assert!(
        page.contains("Refused") && page.contains("partial export"),
        "{page}"
    );
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, _)| a == "pupil_drop_refused"));

    // The technician checks the export is whole and accepts it.
    let out = safelog_command(&app)
        .args(["pupils", "drop", "run", "--accept-leavers"])
        .env("SAFELOG_PUPIL_DROP", &root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("3 marked as left"), "{stdout}");
    assert_eq!(roll(&app).iter().filter(|p| p.3).count(), 3);
}

async fn unreadable_rows_in_a_drop_file_are_refused_alone_and_do_not_make_a_pupil_leave(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let root = drop_root();
    drop_file(&root, "a.csv", &fixture("wonde-roll-1.csv"));
    run(&app, &root, false);
    // Priya's date of birth is mistyped; Sam moves.
    let second = String::from_utf8(fixture("wonde-roll-1.csv"))
        .unwrap()
        .replace("2013-02-14", "2013-02-31")
        .replace("Year 8,8A", "Year 8,8C");
    drop_file(&root, "b.csv", second.as_bytes());
    match run(&app, &root, false) {
        Outcome::Imported {
            summary,
            refused_rows,
            ..
        } => {
            assert_eq!(refused_rows, 1);
            assert_eq!((summary.moved, summary.left), (1, 0));
        }
        other => panic!("{other:?}"),
    }
    assert!(roll(&app).iter().all(|p| !p.3), "Priya has not left");
    let message: Option<String> = pupil_drop_runs::table
        .filter(pupil_drop_runs::file_name.eq("b.csv"))
        .select(pupil_drop_runs::message)
        .first(&mut app.conn())
        .unwrap();
    let message = message.unwrap();
    assert!(
        message.contains("line 6") && message.contains("2013-02-31"),
        "{message}"
    );
    assert!(!message.contains("Priya"));
}

async fn the_running_server_imports_a_new_drop_file_by_itself(backend: Backend) {
    let root = drop_root();
    let app = spawn_app_with(backend, |c| {
        c.require_2fa = Some(safelog::config::Require2fa::None);
        c.pupil_drop = Some(root.clone());
        c.pupil_drop_poll_ms = 50;
    })
    .await;
    app.school_id();
    drop_file(&root, "tonight.csv", &fixture("wonde-roll-1.csv"));
    for _ in 0..200 {
        if roll(&app).len() == 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(roll(&app).len(), 6);
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let page = app.signed_in(&admin).await.text("/admin/pupils").await;
    assert!(
        page.contains(&root.join(TEST_URN).display().to_string()),
        "{page}"
    );
    assert!(page.contains("tonight.csv"));
}

async fn names_typed_or_pasted_in_nfd_match_the_nfc_pupil(backend: Backend) {
    let app = spawn_app(backend).await;
    app.school_id();
    let nfc = "Zo\u{eb} Ångström";
    let nfd = "Zoe\u{308} A\u{30a}ngstro\u{308}m";
    assert_ne!(nfc, nfd);
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    // Imported in NFD (pasted from a system that decomposes)...
    let res = crate::pupils::upload(
        &b,
        &format!("Name,Tutor group,Date of birth\n{nfd},7A,12/03/2014\n"),
    )
    .await;
    assert_eq!(res.status(), 200);
    // ...stored in NFC...
    assert_eq!(roll(&app)[0].1, nfc);
    // ...and the NFC name is the same pupil, unchanged.
    let res = crate::pupils::upload(
        &b,
        &format!("Name,Tutor group,Date of birth\n{nfc},7A,12/03/2014\n"),
    )
    .await;
    let page = res.text().await.unwrap();
    assert!(
        page.contains("0 new") && page.contains("1 unchanged"),
        "{page}"
    );
    assert_eq!(roll(&app).len(), 1);

    // The log form's type-ahead: an NFD query, in capitals, finds the pupil.
    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    let token = app.quick_token(&staff);
    let q = percent_encoding::utf8_percent_encode("ZOE\u{308}", percent_encoding::NON_ALPHANUMERIC);
    let (status, found) = api_get(&app, &token, &format!("/api/v1/pupils?q={q}")).await;
    assert_eq!(status, 200);
    assert_eq!(found["items"][0]["name"], nfc, "{found}");
    // Typed by name (no pick), in NFD: the incident names that pupil.
    let made = quick_incident(&app, &token, nfd, "other", "Typed, not picked.").await;
    let id: String = pupils::table
        .filter(pupils::school_id.eq(app.school_id()))
        .select(pupils::id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(made["pupil_id"], json!(id));
    assert_eq!(roll(&app).len(), 1, "no second record for the same child");
}

async fn a_dry_run_lists_the_column_mapping_and_every_unreadable_row_changing_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let file = fixture("mis-roll-with-errors.csv");

    // On the page: the "Check only" button.
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let csrf = b.csrf().await;
    let boundary = "----safelogdryrun";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roll.csv\"\r\nContent-Type: text/csv\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n--{boundary}--\r\n",
        String::from_utf8(file.clone()).unwrap()
    );
    let res = b
        .client
        .post(b.url("/admin/pupils"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    for says in [
        "Check only: nothing was changed",
        "&quot;legal_surname&quot; → surname (legal)",
        "&quot;form_group&quot; → tutor group",
        "&quot;year_name&quot; → year group",
        "&quot;preferred_name&quot; → first name (preferred)",
        "&quot;Ethnicity&quot; → not used",
        "1 row can be read",
        "Line 3: the date of birth &quot;31/02/2011&quot; is not a date",
        "Line 4: the tutor group is missing",
        "Line 5: the NHS number: this NHS number",
        "would do: 1 new",
    ] {
        assert!(page.contains(says), "{says}: {page}");
    }
    assert!(roll(&app).is_empty(), "a dry run changes nothing");

    // From the command line.
    let path = drop_root().join("roll.csv");
    std::fs::write(&path, &file).unwrap();
    let out = safelog_command(&app)
        .args(["import", "pupils", "--dry-run", "--school", "Test School"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for says in [
        "\"legal_forename\" → first name (legal)",
        "\"upn\" → UPN",
        "line 3: the date of birth",
        "line 4: the tutor group is missing",
        "line 5: the NHS number",
        "would do: 1 new",
    ] {
        assert!(stdout.contains(says), "{says}: {stdout}");
    }
    assert!(roll(&app).is_empty());
}

async fn an_nhs_number_must_carry_its_check_digit_and_the_dsl_sets_the_identifiers_on_the_pupils_page(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let dsl = app.add_user("Dee DSL", &[Role::Dsl]);
    let made = quick_incident(&app, &app.quick_token(&dsl), "Pip Pupil", "other", "x").await;
    let pupil = made["pupil_id"].as_str().unwrap().to_string();
    let b = app.signed_in(&dsl).await;
    let path = format!("/pupils/{pupil}/identifiers");

    // A mistyped digit: the page again, saying what to fix, typed text kept.
    let res = b
        .post(
            &path,
            &[
                ("child_identifier", "CCI-0042"),
                ("nhs_number", "943 476 5918"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("check digit"), "{page}");
    assert!(page.contains("value=\"943 476 5918\"") && page.contains("value=\"CCI-0042\""));
    let res = b.post(&path, &[("nhs_number", "94347659")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("this has 8"));
    let stored: (Option<String>, Option<String>) = pupils::table
        .find(&pupil)
        .select((pupils::child_identifier, pupils::nhs_number))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored, (None, None));

    let res = b
        .post(
            &path,
            &[
                ("child_identifier", "CCI-0042"),
                ("nhs_number", "943 476 5919"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/pupils/{pupil}"));
    let page = b.text(&format!("/pupils/{pupil}")).await;
    assert!(
        page.contains("CCI-0042") && page.contains("943 476 5919"),
        "{page}"
    );
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, _)| a == "pupil_identifiers_changed"));

    // Staff neither see them nor set them.
    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    let sb = app.signed_in(&staff).await;
    let res = sb.post(&path, &[("nhs_number", "4010232137")]).await;
    assert_eq!(res.status(), 404);
    // A pupil of another school: 404.
    let other = format!("/pupils/{}/identifiers", uuid::Uuid::new_v4());
    assert_eq!(b.post(&other, &[("nhs_number", "")]).await.status(), 404);
}

async fn the_child_identifier_and_nhs_number_go_into_the_export_and_the_transfer_package(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let s = crate::transfers::setup(&app).await;
    let b = app.signed_in(&s.a_dsl).await;
    let res = b
        .post(
            &format!("/pupils/{}/identifiers", s.pupil_id),
            &[
                ("child_identifier", "CCI-0042"),
                ("nhs_number", "4010232137"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    // The CSV export.
    let token = app.quick_token(&s.a_dsl);
    let res = app.get_with("/api/v1/export.csv", &token).await;
    assert_eq!(res.status(), 200);
    let rows = crate::export::parse(&res.bytes().await.unwrap());
    let col = |h: &str| rows[0].iter().position(|c| c == h).unwrap();
    assert_eq!(rows[1][col("Child Identifier")], "CCI-0042");
    assert_eq!(rows[1][col("NHS Number")], "4010232137");

    // The transfer package, valid against its schema...
    let bytes = crate::transfers::download(&app, &s, crate::transfers::RECEIVING_URN).await;
    let package = crate::transfers::assert_valid_package(&bytes);
    let doc: Value = serde_json::from_str(package["document"].as_str().unwrap()).unwrap();
    assert_eq!(doc["pupil"]["child_identifier"], "CCI-0042");
    assert_eq!(doc["pupil"]["nhs_number"], "4010232137");
    let html = package["html"].as_str().unwrap();
    assert!(html.contains("CCI-0042") && html.contains("4010232137"));

    // ...read back by the receiving deployment onto the pupil it makes.
    let two = spawn_app(backend).await;
    let b_school = two.add_school(
        crate::transfers::RECEIVING,
        crate::transfers::RECEIVING_URN,
        None,
    );
    let b_dsl = two.add_user_to(&b_school, "Rae Remote", &[Role::Dsl]);
    let receiver = two.signed_in(&b_dsl).await;
    let fingerprint = package["signature"]["key_fingerprint"].as_str().unwrap();
    let (status, to) = crate::transfers::upload(&receiver, &bytes, fingerprint).await;
    assert_eq!(status, 303, "{to}");
    let got: (Option<String>, Option<String>) = pupils::table
        .filter(pupils::school_id.eq(&b_school))
        .select((pupils::child_identifier, pupils::nhs_number))
        .first(&mut two.conn())
        .unwrap();
    assert_eq!(got, (Some("CCI-0042".into()), Some("4010232137".into())));
}

on_both_backends!(
    a_nightly_wonde_file_adds_pupils_a_second_moves_one_and_marks_a_leaver_and_the_same_file_again_changes_nothing,
    a_file_that_would_mark_more_than_a_third_of_the_roll_as_left_is_refused_as_suspect,
    unreadable_rows_in_a_drop_file_are_refused_alone_and_do_not_make_a_pupil_leave,
    the_running_server_imports_a_new_drop_file_by_itself,
    names_typed_or_pasted_in_nfd_match_the_nfc_pupil,
    a_dry_run_lists_the_column_mapping_and_every_unreadable_row_changing_nothing,
    an_nhs_number_must_carry_its_check_digit_and_the_dsl_sets_the_identifiers_on_the_pupils_page,
    the_child_identifier_and_nhs_number_go_into_the_export_and_the_transfer_package,
);
