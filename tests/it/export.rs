//! The CSV export: its columns and bytes (byte-order mark, CRLF, RFC 4180,
//! no formula), only what the caller may see, the audit row with its count,
//! the list's "Download CSV" with its filters, the command line, a round
//! trip through the import, and many rows in the order they were logged.

use std::process::{Command, Stdio};

use diesel::prelude::*;
use safelog::auth::Role;
use safelog::db::schema::incidents;
use safelog::spreadsheet::columns::{SAFELOG, SPREADSHEET};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Browser, TestApp};
use crate::import::{audit_details, example, upload, HEADER};
use crate::incidents::{api_post, escape, quick_incident};
use crate::on_both_backends;

/// The export's rows as the csv crate reads them, header first, after
/// checking the byte-order mark and that every line ends CRLF.
pub fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let body = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark, so Excel reads UTF-8");
    assert!(body.ends_with("\r\n"), "the last line ends CRLF");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("RFC 4180").iter().map(str::to_string).collect())
        .collect();
    // Every record ends CRLF: as many CRLFs outside quotes as records.
    let mut outside = 0;
    let mut quoted = false;
    let b = body.as_bytes();
    for (i, c) in b.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                assert_eq!(b[i - 1], b'\r', "a bare LF ends a record at byte {i}");
                outside += 1;
            }
            _ => {}
        }
    }
    assert_eq!(outside, rows.len(), "one CRLF per record");
    rows
}

async fn export_api(app: &TestApp, token: &str, query: &str) -> (u16, Vec<u8>) {
    let res = app
        .get_with(&format!("/api/v1/export.csv{query}"), token)
        .await;
    let status = res.status().as_u16();
    (status, res.bytes().await.unwrap().to_vec())
}

async fn export_rows(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let (status, bytes) = export_api(app, token, query).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    parse(&bytes)
}

/// A header's column.
fn col(name: &str) -> usize {
    SPREADSHEET
        .iter()
        .chain(SAFELOG.iter())
        .position(|h| *h == name)
        .unwrap()
}

async fn the_export_parses_with_the_spreadsheets_seven_headers_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "Zoë Ó Sé", "tutor_group": "9B", "incident_date": "2025-10-01",
            "category": "online-bullying", "location": "online_at_home", "platform": "Snapchat",
            "details": "She said \"stop\", then, line two:\nmore.",
            "actions_outcome": "Spoke to both pupils.",
            "other_pupils": [{"name": "Łukasz Nowak", "tutor_group": "9C", "role": "alleged"}],
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();

    let (status, bytes) = export_api(&app, &token, "").await;
    assert_eq!(status, 200);
    let rows = parse(&bytes);
    assert_eq!(rows[0][..7], SPREADSHEET.map(String::from)[..]);
    assert_eq!(rows[0][7..], SAFELOG.map(String::from)[..]);
    assert_eq!(rows.len(), 2);
    let r = &rows[1];
    assert_eq!(r.len(), 28);
    assert_eq!(r[col("Student Name")], "Zoë Ó Sé");
    assert_eq!(r[col("Tutor Group")], "9B");
    assert_eq!(r[col("Incident Date")], "01/10/2025");
    assert_eq!(
        r[col("Incident Details")],
        "She said \"stop\", then, line two:\nmore."
    );
    assert_eq!(r[col("Actions and Outcome")], "Spoke to both pupils.");
    assert_eq!(r[col("Staff Initials")], "DS");
    assert_eq!(r[col("LG Acknowledged")], "FALSE");
    assert_eq!(r[col("Reference")], made["reference"].as_str().unwrap());
    assert_eq!(
        r[col("Category")],
        "Online bullying or child-on-child abuse"
    );
    assert_eq!(r[col("4C")], "conduct");
    assert_eq!(r[col("Status")], "New");
    assert_eq!(r[col("Child at Risk")], "FALSE");
    assert_eq!(r[col("Where")], "Online at home");
    assert_eq!(r[col("Platform")], "Snapchat");
    assert_eq!(
        r[col("Other Pupils Involved")],
        "Łukasz Nowak (9C, alleged)"
    );
    assert_eq!(r[col("Logged By")], "Dee Slade");
    assert_eq!(r[col("Logged At")], "2025-11-12T10:30:00Z");
    assert_eq!(r[col("Acknowledged At")], "");

    // The quoted line break and the quotes are RFC 4180's, inside CRLF records.
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"She said \"\"stop\"\", then, line two:\nmore.\""));
    assert!(text.starts_with("\u{feff}Student Name,Tutor Group,Incident Date,"));

    let trail = audit_details(&app, "log_exported");
    assert_eq!(trail.len(), 1);
    assert!(trail[0].contains("rows=1"), "{trail:?}");
    assert!(trail[0].contains("via api"), "{trail:?}");
}

async fn a_cell_that_would_be_a_formula_is_prefixed_with_a_quote(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "@Sam", "tutor_group": "9B", "incident_date": "2025-10-01",
            "category": "other", "platform": "+44 7700 900123",
            "details": "=HYPERLINK(\"http://evil.example\",\"Click\")",
            "actions_outcome": "-1 point",
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let rows = export_rows(&app, &token, "").await;
    let r = &rows[1];
    assert_eq!(
        r[col("Incident Details")],
        "'=HYPERLINK(\"http://evil.example\",\"Click\")"
    );
    assert_eq!(r[col("Student Name")], "'@Sam");
    assert_eq!(r[col("Platform")], "'+44 7700 900123");
    assert_eq!(r[col("Actions and Outcome")], "'-1 point");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} would run as a formula"
            );
        }
    }
}

async fn actions_and_outcome_lists_each_action_with_its_date_and_initials(backend: Backend) {
    use safelog::incidents::model::EventKind;
    use safelog::incidents::store::timeline::{append, Author, NewEvent};
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let made = quick_incident(&app, &token, "Amy Adams", "online-bullying", "Messages").await;
    let id = made["id"].as_str().unwrap();
    let school = app.school_id();
    // The case workflow (another feature) appends actions and closes cases;
    // here they are written as it will write them.
    let by = Author {
        user_id: Some(dsl.id.clone()),
        initials: "DS".into(),
    };
    let day = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2025, 11, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    };
    let mut conn = app.conn();
    append(
        &mut conn,
        &NewEvent::new(EventKind::Action, id, &school, 1, &by, day(13)).text("Called parents"),
    )
    .unwrap();
    append(
        &mut conn,
        &NewEvent::new(EventKind::Note, id, &school, 1, &by, day(13)).text("A note, not an action"),
    )
    .unwrap();
    append(
        &mut conn,
        &NewEvent::new(EventKind::Escalation, id, &school, 1, &by, day(14))
            .reason("Police involved"),
    )
    .unwrap();
    diesel::update(incidents::table.find(id))
        .set((
            incidents::outcome.eq(Some("Resolved with the family")),
            incidents::status.eq("closed"),
            incidents::closed_at.eq(Some(day(15))),
        ))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let rows = export_rows(&app, &token, "").await;
    assert_eq!(
        rows[1][col("Actions and Outcome")],
        "13/11/2025 DS: Called parents\n14/11/2025 DS: Escalated: Police involved\nOutcome: Resolved with the family"
    );
    assert_eq!(rows[1][col("Outcome")], "Resolved with the family");
    assert_eq!(rows[1][col("Closed At")], "2025-11-15T09:00:00Z");
    assert_eq!(rows[1][col("Status")], "Closed");
}

async fn the_export_holds_only_what_the_caller_may_see(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let head = app.add_user("Hal Head", &[Role::Headteacher]);
    let osl = app.add_user("Olive Lead", &[Role::OnlineSafetyLead]);
    let staff_token = app.quick_token(&staff);
    quick_incident(
        &app,
        &staff_token,
        "Amy Adams",
        "online-bullying",
        "Bullying",
    )
    .await;
    quick_incident(
        &app,
        &staff_token,
        "Ben Brown",
        "staff-conduct",
        "About a teacher",
    )
    .await;
    // The DSL logs a staff-conduct concern too: it is in their own list, but
    // only the headteacher takes restricted records away in a spreadsheet.
    quick_incident(
        &app,
        &app.quick_token(&dsl),
        "Cat Cole",
        "staff-conduct",
        "Also a teacher",
    )
    .await;
    let wrong = quick_incident(
        &app,
        &app.quick_token(&dsl),
        "Dan Dale",
        "other",
        "Wrong pupil",
    )
    .await;
    let res = api_post(
        &app,
        &app.quick_token(&dsl),
        &format!(
            "/api/v1/incidents/{}/entered-in-error",
            wrong["id"].as_str().unwrap()
        ),
        &json!({"reason": "logged against the wrong pupil"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    // Another school's incident.
    let other_school = safelog::accounts::store::create_school(
        &mut app.conn(),
        "Other School",
        app.clock.now_naive(),
    )
    .unwrap();
    let elsewhere = app.add_user_to(&other_school.id, "Eve Else", &[Role::Headteacher]);
    quick_incident(
        &app,
        &app.quick_token(&elsewhere),
        "Fay Far",
        "online-bullying",
        "Elsewhere",
    )
    .await;

    let names = |rows: Vec<Vec<String>>| {
        let mut n: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        n.sort();
        n
    };
    assert_eq!(
        names(export_rows(&app, &app.quick_token(&dsl), "").await),
        ["Amy Adams"]
    );
    assert_eq!(
        names(export_rows(&app, &app.quick_token(&osl), "").await),
        ["Amy Adams"]
    );
    assert_eq!(
        names(export_rows(&app, &app.quick_token(&head), "").await),
        ["Amy Adams", "Ben Brown", "Cat Cole"]
    );
    assert_eq!(
        names(export_rows(&app, &app.quick_token(&elsewhere), "").await),
        ["Fay Far"]
    );
    // Staff, DPO, governors and administrators cannot export at all.
    for role in [Role::Staff, Role::Dpo, Role::Governor, Role::Admin] {
        let u = app.add_user(&format!("No {}", role.as_str().replace('_', " ")), &[role]);
        let (status, _) = export_api(&app, &app.quick_token(&u), "").await;
        assert_eq!(status, 404, "{role}");
    }
    let trail = audit_details(&app, "log_exported");
    // (All at one moment of the test's fixed clock: compare as a set.)
    let mut counts: Vec<&str> = trail
        .iter()
        .map(|d| d.split("rows=").nth(1).unwrap().split(';').next().unwrap())
        .collect();
    counts.sort();
    assert_eq!(counts, ["1", "1", "1", "3"], "{trail:?}");
}

async fn the_list_downloads_as_csv_with_its_filters_and_term(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    for (name, date, category) in [
        ("Amy Adams", "2025-10-01", "online-bullying"),
        ("Ben Brown", "2025-10-02", "other"),
        ("Cat Cole", "2025-02-01", "online-bullying"),
    ] {
        let res = api_post(
            &app,
            &token,
            "/api/v1/incidents",
            &json!({"pupil_name": name, "tutor_group": "9B", "incident_date": date,
                    "category": category, "details": "x"}),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let b: Browser = app.signed_in(&dsl).await;
    let page = b
        .text("/incidents?category=online-bullying&year=2025&term=autumn&status=new")
        .await;
    let link = "/incidents/export.csv?status=new&category=online-bullying&year=2025&term=autumn";
    assert!(page.contains(&escape(link)), "{page}");
    let res = b.get(link).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"safelog-export-2025-11-12.csv\""));
    let rows = parse(&res.bytes().await.unwrap());
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Amy Adams"], "autumn 2025, bullying only");
    // Spring of 2024/25 holds Cat; a date range too, by the API.
    let rows = export_rows(&app, &token, "?year=2024&term=spring").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "Cat Cole");
    let rows = export_rows(&app, &token, "?from=02/10/2025&to=2025-10-31").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "Ben Brown");
    let trail = audit_details(&app, "log_exported");
    assert!(
        trail.contains(&"from=2025-09-01, to=2025-12-31, term=2025 autumn, category=online-bullying, status=new; rows=1; via page".to_string()),
        "the term's dates, the filters and the count: {trail:?}"
    );
    // Bad filters: a clear refusal, nothing exported or audited.
    let (status, body) = export_api(&app, &token, "?term=autumn").await;
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("year"));
    assert_eq!(audit_details(&app, "log_exported").len(), 3);
    // Staff have no download link.
    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    let page = app.signed_in(&staff).await.text("/incidents").await;
    assert!(!page.contains("export.csv"));
}

async fn export_then_import_into_an_empty_school_gives_the_same_seven_columns(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let b = app.signed_in(&dsl).await;
    // The policy's example, then incidents logged here with accents,
    // a formula, line breaks and an acknowledgement-less case.
    let (status, page) = upload(&b, "log.csv", example().as_bytes(), "import").await;
    assert_eq!(status, 200, "{page}");
    let token = app.quick_token(&dsl);
    for (name, details) in [
        ("Zoë Ó Sé", "=HYPERLINK(\"http://x\")"),
        ("Łukasz Nowak", "Two\nlines, with \"quotes\""),
    ] {
        let res = api_post(
            &app,
            &token,
            "/api/v1/incidents",
            &json!({"pupil_name": name, "tutor_group": "10T", "incident_date": null,
                    "category": "online-bullying", "details": details, "actions_outcome": "Noted"}),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let (_, first) = export_api(&app, &token, "").await;
    let first_rows = parse(&first);
    assert_eq!(first_rows.len(), 6);
    assert!(first_rows
        .iter()
        .any(|r| r[col("Incident Details")] == "'=HYPERLINK(\"http://x\")"));

    // A new school, empty: its DSL imports the export as it is.
    let school = safelog::accounts::store::create_school(
        &mut app.conn(),
        "New School",
        app.clock.now_naive(),
    )
    .unwrap();
    let other_dsl = app.add_user_to(&school.id, "Nina Next", &[Role::Dsl]);
    let b2 = app.signed_in(&other_dsl).await;
    let (status, page) = upload(&b2, "export.csv", &first, "import").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Imported 5 incidents"), "{page}");
    let (_, second) = export_api(&app, &app.quick_token(&other_dsl), "").await;
    let second_rows = parse(&second);
    let seven = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
        rows.iter().map(|r| r[..7].to_vec()).collect()
    };
    assert_eq!(
        seven(&second_rows),
        seven(&first_rows),
        "the same seven columns, in order"
    );
    assert!(second_rows.iter().any(|r| r[0] == "Zoë Ó Sé"));
    assert!(second.starts_with("\u{feff}".as_bytes()));
    // safelog's own columns came across too.
    let zoe = |rows: &[Vec<String>]| rows.iter().find(|r| r[0] == "Zoë Ó Sé").unwrap().clone();
    for c in ["Reference", "Category", "Status", "Where"] {
        assert_eq!(zoe(&second_rows)[col(c)], zoe(&first_rows)[col(c)], "{c}");
    }
    // The export imported back into the school it came from adds nothing:
    // the rows it imported are known by their key, the rest by reference.
    let before = crate::import::counts(&app);
    let (status, page) = upload(&b, "export.csv", &first, "import").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Imported 0 incidents"), "{page}");
    assert!(
        page.contains("already in the log as OS-2025-0004"),
        "{page}"
    );
    assert!(page.contains("imported before as OS-2025-0001"), "{page}");
    assert_eq!(crate::import::counts(&app), before);

    // The stored details have no quote: the export adds it, the import takes it off.
    let stored: Vec<String> = incidents::table
        .filter(incidents::school_id.eq(&school.id))
        .select(incidents::details)
        .load(&mut app.conn())
        .unwrap();
    assert!(stored.contains(&"=HYPERLINK(\"http://x\")".to_string()));
}

async fn many_incidents_export_in_the_order_they_were_logged_across_batches(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    app.school_id();
    // 2,500 rows in one import: one moment of logging for all of them, so
    // only the reference orders them, across three batches of the export.
    let mut file = format!("{HEADER}\n");
    for n in 1..=2500 {
        file.push_str(&format!(
            "Pupil {n},{}A,01/09/2025,Row {n},,AB,FALSE\n",
            7 + n % 5
        ));
    }
    let out = crate::import::import_by_command(&app, &file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = export_rows(&app, &app.quick_token(&dsl), "").await;
    assert_eq!(rows.len(), 2501);
    let details: Vec<String> = rows[1..]
        .iter()
        .map(|r| r[col("Incident Details")].clone())
        .collect();
    let expected: Vec<String> = (1..=2500).map(|n| format!("Row {n}")).collect();
    assert_eq!(details, expected, "file order, nothing twice, nothing lost");
}

fn export_by_command(
    app: &TestApp,
    file: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("export")
        .arg(file)
        .args(["--school", "Test School"])
        .args(extra)
        .env("SAFELOG_DATABASE_URL", app.db.url())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

async fn the_command_line_exports_everything_not_entered_in_error_to_a_file(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    quick_incident(&app, &token, "Amy Adams", "online-bullying", "One").await;
    quick_incident(&app, &token, "Ben Brown", "staff-conduct", "Two").await;
    let wrong = quick_incident(&app, &token, "Cat Cole", "other", "Three").await;
    let res = api_post(
        &app,
        &token,
        &format!(
            "/api/v1/incidents/{}/entered-in-error",
            wrong["id"].as_str().unwrap()
        ),
        &json!({"reason": "duplicate"}),
    )
    .await;
    assert_eq!(res.status(), 200);

    let dir = std::env::temp_dir()
        .join("safelog-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("audit.csv");
    std::fs::write(&file, "an older export").unwrap();
    let out = export_by_command(&app, &file, &["--from", "01/09/2025"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Exported 2 incidents of Test School"));
    let rows = parse(&std::fs::read(&file).unwrap());
    let mut names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["Amy Adams", "Ben Brown"],
        "restricted too; not the one in error"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left behind");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
    let trail = audit_details(&app, "log_exported");
    assert_eq!(trail.len(), 1);
    assert!(trail[0].starts_with("from=2025-09-01, to=-,"), "{trail:?}");
    assert!(trail[0].ends_with("rows=2; via command line"), "{trail:?}");

    let out = export_by_command(&app, &file, &["--from", "31/02/2025"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from '31/02/2025' is not a date"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The export's bytes, whole, for two incidents whose cells need quoting,
/// escaping and formula-proofing, with a case behind one of them: any
/// change to how a row is written shows here first.
async fn the_export_is_byte_for_byte_what_it_was(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let head = app.add_user("Hedda Teague", &[Role::Headteacher]);
    let token = app.quick_token(&dsl);
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "Zoë Ó Sé", "tutor_group": "9B", "incident_date": "2025-10-01",
            "category": "online-bullying", "location": "online_at_home", "platform": "+44 7700",
            "details": "She said \"stop\", then, line two:\r\nmore; =1+1 inside is fine.",
            "actions_outcome": "\u{200b}=HYPERLINK(\"x\")",
            "other_pupils": [
                {"name": "Łukasz Nowak", "tutor_group": "9C", "role": "alleged"},
                {"name": "@Sam", "role": "witness"},
            ],
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let id = made["id"].as_str().unwrap();
    let path = |what: &str| format!("/api/v1/incidents/{id}/{what}");
    for (what, body) in [
        ("actions", json!({"text": "-Called parents, both"})),
        (
            "referrals",
            json!({"agency": "police", "date": "2025-11-12", "reference": "CAD 1"}),
        ),
        (
            "decisions",
            json!({"decision": "not_shared", "reason": "+parents asked"}),
        ),
        (
            "status",
            json!({"status": "closed", "reason": "done", "outcome": "|Resolved"}),
        ),
    ] {
        let res = api_post(&app, &token, &path(what), &body).await;
        assert_eq!(res.status(), 200, "{what}");
    }
    let head_token = app.quick_token(&head);
    let res = api_post(&app, &head_token, &path("acknowledge"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "\u{ff1d}Amy", "tutor_group": "10A",
            "category": "other", "details": "\ttabbed, \u{ff0b}1",
        }),
    )
    .await;
    assert_eq!(res.status(), 201);

    let (status, bytes) = export_api(&app, &head_token, "").await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    let expected = concat!(
        "\u{feff}Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged,Reference,Category,4C,Owner Role,Status,Child at Risk,Where,Platform,Other Pupils Involved,Logged By,Logged At,Acknowledged By,Acknowledged At,Referrals,Outcome,Closed At,Child Identifier,NHS Number,Decisions,Information Shared,Attachments\r\n",
        "Zoë Ó Sé,9B,01/10/2025,\"She said \"\"stop\"\", then, line two:\r\n",
        "more; =1+1 inside is fine.\",\"'\u{200b}=HYPERLINK(\"\"x\"\")\n",
        "12/11/2025 DS: -Called parents, both\n",
        "12/11/2025 DS: Referral: Referred to Police (101/999) on 12/11/2025, reference CAD 1.\n",
        "12/11/2025 DS: Decision: decided not to share information.\n",
        "12/11/2025 DS: Status changed: |Resolved\n",
        "Outcome: |Resolved\",DS,TRUE,OS-2025-0001,Online bullying or child-on-child abuse,conduct,Designated Safeguarding Lead,Closed,FALSE,Online at home,'+44 7700,\"Łukasz Nowak (9C, alleged); @Sam (witness)\",Dee Slade,2025-11-12T10:30:00Z,Hedda Teague,2025-11-12T10:30:00Z,\"Police (101/999), 12/11/2025, ref CAD 1\",'|Resolved,2025-11-12T10:30:00Z,,,Decided not to share information (12/11/2025): +parents asked,,\r\n",
        "'＝Amy,10A,,\"tabbed, ＋1\",,DS,FALSE,OS-2025-0002,Other online-safety concern,none,Online Safety Lead,New,FALSE,Not known,,,Dee Slade,2025-11-12T10:30:00Z,,,,,,,,,,\r\n",
    );
    assert_eq!(text, expected, "\nwas:\n{text:?}");

    // The command line writes the same bytes to its file.
    let dir = std::env::temp_dir()
        .join("safelog-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("audit.csv");
    let out = export_by_command(&app, &file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

on_both_backends!(
    the_export_is_byte_for_byte_what_it_was,
    the_export_parses_with_the_spreadsheets_seven_headers_first,
    a_cell_that_would_be_a_formula_is_prefixed_with_a_quote,
    actions_and_outcome_lists_each_action_with_its_date_and_initials,
    the_export_holds_only_what_the_caller_may_see,
    the_list_downloads_as_csv_with_its_filters_and_term,
    export_then_import_into_an_empty_school_gives_the_same_seven_columns,
    many_incidents_export_in_the_order_they_were_logged_across_batches,
    the_command_line_exports_everything_not_entered_in_error_to_a_file,
);
