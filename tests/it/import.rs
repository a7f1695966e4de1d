//! Importing the old spreadsheet: the upload page and `safelog import log`,
//! the policy's own example, dry runs, bad rows by line and column, all or
//! nothing, never twice, pupils matched or created, and a safelog export's
//! own columns.

use std::process::{Command, Output, Stdio};

use diesel::prelude::*;
use safelog::auth::Role;
use safelog::db::schema::{
    audit_events, incident_events, incident_imports, incident_references, incidents, pupils,
};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Browser, TestApp};
use crate::incidents::{api_get, api_post};
use crate::on_both_backends;

pub const HEADER: &str = "Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials,LG Acknowledged";

/// The policy's example log (a copy of ../shared/data/).
pub fn example() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/example-online-safety-log.csv");
    std::fs::read_to_string(path).unwrap()
}

/// Uploads a file the way the page's file input does, with the button
/// pressed: "check" (the dry run) or "import".
pub async fn upload(b: &Browser, file_name: &str, contents: &[u8], mode: &str) -> (u16, String) {
    let csrf = b.csrf().await;
    let boundary = "----safelogtestboundary7MA4YWxk";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(contents);
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{mode}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let res = b
        .client
        .post(b.url("/import/log"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Posts the form a clean dry run's page offers (the file carried as
/// base64), as the browser would.
async fn confirm(b: &Browser, page: &str) -> (u16, String) {
    let value = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in the page"))
            + marker.len();
        let end = start + page[start..].find('"').unwrap();
        page[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
    };
    let (content, file_name) = (value("content"), value("file_name"));
    let csrf = b.csrf().await;
    let boundary = "----safelogconfirmboundary";
    let part = |name: &str, v: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{v}\r\n")
    };
    let body = format!(
        "{}{}{}{}--{boundary}--\r\n",
        part("csrf", &csrf),
        part("content", &content),
        part("file_name", &file_name),
        part("mode", "import")
    );
    let res = b
        .client
        .post(b.url("/import/log"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Runs `safelog import log` on `contents` against the app's database.
pub fn import_by_command(app: &TestApp, contents: &str, extra: &[&str]) -> Output {
    let name = format!("log-{}.csv", uuid::Uuid::new_v4().simple());
    import_file_by_command(app, &name, contents, extra)
}

/// The same with the file named `name` (kept with each incident it makes).
pub fn import_file_by_command(app: &TestApp, name: &str, contents: &str, extra: &[&str]) -> Output {
    let dir = std::env::temp_dir()
        .join("safelog-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, contents).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .args(["import", "log"])
        .arg(&file)
        .args(["--school", "Test School"])
        .args(extra)
        .env("SAFELOG_DATABASE_URL", app.db.url())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// How many rows each table an import writes to holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Counts {
    incidents: i64,
    pupils: i64,
    events: i64,
    imports: i64,
    references: i64,
}

/// What the tables hold, but for the neighbouring school's own rows.
pub fn counts(app: &TestApp) -> Counts {
    let mut conn = app.conn();
    let other = app.neighbour_id();
    Counts {
        incidents: incidents::table
            .filter(incidents::school_id.ne(&other))
            .count()
            .get_result(&mut conn)
            .unwrap(),
        pupils: pupils::table
            .filter(pupils::school_id.ne(&other))
            .count()
            .get_result(&mut conn)
            .unwrap(),
        events: incident_events::table
            .filter(incident_events::school_id.ne(&other))
            .count()
            .get_result(&mut conn)
            .unwrap(),
        imports: incident_imports::table
            .filter(incident_imports::school_id.ne(&other))
            .count()
            .get_result(&mut conn)
            .unwrap(),
        references: incident_references::table
            .filter(incident_references::school_id.ne(&other))
            .count()
            .get_result(&mut conn)
            .unwrap(),
    }
}

/// The audit trail's details for one action, oldest first.
pub fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    audit_events::table
        .filter(audit_events::action.eq(action))
        .order((audit_events::at.asc(), audit_events::id.asc()))
        .select(audit_events::detail)
        .load::<Option<String>>(&mut app.conn())
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

async fn the_policy_example_imports_cleanly_as_three_incidents_one_undated(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let b = app.signed_in(&dsl).await;
    let before = counts(&app);

    let (status, page) = upload(&b, "online-safety-log.csv", example().as_bytes(), "check").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Dry run: nothing has been imported yet"),
        "{page}"
    );
    assert!(page.contains("would create 3 incidents"), "{page}");
    assert!(
        page.contains("no Category column"),
        "the default is said: {page}"
    );
    assert!(page.contains("Other online-safety concern"));
    assert_eq!(counts(&app), before, "a dry run changes nothing");

    let (status, page) = confirm(&b, &page).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Imported 3 incidents from online-safety-log.csv"),
        "{page}"
    );

    let token = app.quick_token(&dsl);
    let (_, list) = api_get(&app, &token, "/api/v1/incidents?per_page=10").await;
    assert_eq!(list["total"], 3);
    let items = list["items"].as_array().unwrap();
    let by_name = |n: &str| items.iter().find(|i| i["pupil_name"] == n).unwrap().clone();
    let joe = by_name("Joe Briggs");
    assert_eq!(joe["tutor_group"], "8A");
    assert_eq!(joe["incident_date"], "2020-05-05");
    assert_eq!(joe["staff_initials"], "MAL");
    assert_eq!(joe["category"], "other");
    assert_eq!(joe["lg_acknowledged"], true);
    assert!(joe["actions_outcome"]
        .as_str()
        .unwrap()
        .starts_with("MAL spoke with JH about his conduct"));
    let sarah = by_name("Sarah Jones");
    assert_eq!(
        sarah["incident_date"],
        Value::Null,
        "one date unknown, never guessed"
    );
    assert!(sarah["details"]
        .as_str()
        .unwrap()
        .contains("\"TS44abcdHydroChalange\""));
    assert_eq!(by_name("Abdul Khan")["incident_date"], "2020-07-11");

    // Where each came from, and the acknowledgement recorded as imported.
    let mut conn = app.conn();
    let mut lines: Vec<(String, i32)> = incident_imports::table
        .select((incident_imports::import_file, incident_imports::import_line))
        .load(&mut conn)
        .unwrap();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            ("online-safety-log.csv".to_string(), 2),
            ("online-safety-log.csv".to_string(), 3),
            ("online-safety-log.csv".to_string(), 4)
        ]
    );
    let acks: Vec<(Option<String>, bool)> = incidents::table
        .filter(incidents::school_id.ne(app.neighbour_id()))
        .select((
            incidents::lg_acknowledged_by,
            incidents::lg_acknowledged_at.is_not_null(),
        ))
        .load(&mut conn)
        .unwrap();
    assert!(acks.iter().all(|a| *a == (None, true)), "{acks:?}");
    let (_, record) = api_get(
        &app,
        &token,
        &format!("/api/v1/incidents/{}", joe["id"].as_str().unwrap()),
    )
    .await;
    let timeline = record["timeline"].as_array().unwrap();
    assert_eq!(timeline[0]["kind"], "logged");
    assert_eq!(timeline[0]["by_initials"], "MAL");
    assert!(timeline[0]["text"]
        .as_str()
        .unwrap()
        .contains("online-safety-log.csv, line 2"));
    let ack = timeline
        .iter()
        .find(|e| e["kind"] == "acknowledgement")
        .unwrap();
    assert!(ack["text"]
        .as_str()
        .unwrap()
        .contains("imported spreadsheet"));
    assert_eq!(
        audit_details(&app, "log_imported").len(),
        1,
        "the import is in the audit trail"
    );
    let checked = audit_details(&app, "log_import_checked");
    assert_eq!(checked.len(), 1, "so is the dry run");
    assert!(
        !checked[0].contains("Joe"),
        "no names in the trail: {checked:?}"
    );
}

/// A file with two bad rows among good ones.
fn bad_file() -> String {
    format!(
        "{HEADER}\r\n\
         Amy Adams,7A,01/03/2021,Saw something upsetting,,AB,FALSE\r\n\
         Ben Brown,7B,31/02/2021,A date that does not exist,,AB,FALSE\r\n\
         ,7C,01/03/2021,No name given,,AB,TRUE\r\n"
    )
}

async fn a_dry_run_reports_each_bad_row_by_line_and_column_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let b = app.signed_in(&dsl).await;
    let before = counts(&app);

    let (status, page) = upload(&b, "bad.csv", bad_file().as_bytes(), "check").await;
    assert_eq!(status, 422);
    assert!(page.contains("Nothing was imported. 2 problems"), "{page}");
    for cell in [
        "<td>3</td><td>Incident Date</td><td>&#39;31/02/2021&#39; is not a date that exists</td>",
        "<td>4</td><td>Student Name</td><td>the pupil&#39;s name is missing</td>",
    ] {
        let cell = cell.replace("&#39;", "'");
        assert!(page.contains(&cell), "{cell} in {page}");
    }
    assert_eq!(counts(&app), before, "the dry run changes nothing");

    // The real import of the same file: refused whole, the good row too.
    let (status, page) = upload(&b, "bad.csv", bad_file().as_bytes(), "import").await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Nothing was imported"));
    assert_eq!(counts(&app), before, "all or nothing");
    assert_eq!(audit_details(&app, "log_import_refused").len(), 2);

    // The command line says the same, by line and column.
    let out = import_by_command(&app, &bad_file(), &["--dry-run"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3, Incident Date: '31/02/2021' is not a date that exists"),
        "{stderr}"
    );
    assert!(stderr.contains("line 4, Student Name"), "{stderr}");
    let out = import_by_command(&app, &bad_file(), &[]);
    assert!(!out.status.success());
    assert_eq!(counts(&app), before);

    // A file that is not the spreadsheet at all.
    let (status, page) = upload(
        &b,
        "pupils.csv",
        b"Name,Date of birth\nAmy,01/01/2014\n",
        "check",
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("lacks the column(s) Student Name, Tutor Group"),
        "{page}"
    );
}

async fn importing_the_same_file_twice_or_a_later_copy_adds_nothing_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    app.school_id();
    let first = import_by_command(&app, &example(), &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("Imported 3 incident(s)"));
    let after_first = counts(&app);

    let again = import_by_command(&app, &example(), &[]);
    assert!(again.status.success());
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("Imported 0 incident(s)"), "{said}");
    assert!(said.contains("Line 2: imported before as OS-"), "{said}");
    assert_eq!(counts(&app), after_first);

    // A later copy of the spreadsheet: re-saved with LF line ends, without
    // the byte-order mark, columns reordered, one row re-spaced, one new row.
    let original = example();
    let mut reader = csv::Reader::from_reader(original.as_bytes());
    let mut later = String::from("LG Acknowledged,Student Name,Tutor Group,Incident Date,Incident Details,Actions and Outcome,Staff Initials\n");
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for r in reader.records() {
        let r = r.unwrap();
        let details = r[3].replace(". ", ".  ");
        w.write_record([&r[6], &r[0], &r[1], &r[2], details.as_str(), &r[4], &r[5]])
            .unwrap();
    }
    w.write_record([
        "FALSE",
        "Nia New",
        "9N",
        "2021-01-15",
        "A new row",
        "",
        "NN",
    ])
    .unwrap();
    later.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
    let out = import_by_command(&app, &later, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Imported 1 incident(s)"));
    assert_eq!(counts(&app).incidents, 4);

    // The same row twice in one file is one incident.
    let twice =
        format!("{HEADER}\nOla Once,8O,,Only once,,OO,FALSE\nOla Once,8O,,Only once,,OO,FALSE\n");
    let out = import_by_command(&app, &twice, &[]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Line 3: the same as line 2; skipped."),
        "{said}"
    );
    assert_eq!(counts(&app).incidents, 5);
}

async fn the_command_line_dry_run_says_what_it_would_create_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.school_id();
    let before = counts(&app);
    let out = import_by_command(&app, &example(), &["--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Dry run: nothing was imported"), "{said}");
    assert!(
        said.contains("would create 3 incident(s) and 3 new pupil record(s)"),
        "{said}"
    );
    assert!(
        said.contains(
            "Line 3: would create an incident for Sarah Jones (11F, new pupil), date not known"
        ),
        "{said}"
    );
    assert!(said.contains("no Category column"), "{said}");
    assert_eq!(counts(&app), before);
    // Not a terminal: no progress bar in what a script captures.
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\r'));
}

async fn pupils_are_matched_by_name_and_tutor_group_or_created(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let school = app.school_id();
    // Joe is already on record (logged on the form); two pupils are called
    // Sam Lee, in different tutor groups.
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({"pupil_name": "Joe Briggs", "tutor_group": "8A", "incident_date": "2025-10-01",
                "category": "online-bullying", "details": "logged by hand"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    for group in ["9A", "9B"] {
        safelog::pupils::store::create(
            &mut app.conn(),
            &safelog::pupils::store::NewPupil {
                school_id: &school,
                name: "Sam Lee",
                tutor_group: Some(group),
                year_group: Some(9),
                date_of_birth: None,
                upn: None,
                child_identifier: None,
                nhs_number: None,
            },
            app.clock.now_naive(),
        )
        .unwrap();
    }
    let pupils_before = counts(&app).pupils;
    let file = format!(
        "{HEADER}\n\
         Joe Briggs,8A,05/05/2020,An old one,,MAL,FALSE\n\
         Sam Lee,9a,05/05/2020,Sam in 9A,,MAL,FALSE\n\
         Zara Zed,10Z,05/05/2020,Someone new,,MAL,FALSE\n\
         Zara Zed,10Z,06/05/2020,The same new pupil again,,MAL,FALSE\n"
    );
    let out = import_by_command(&app, &file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        counts(&app).pupils,
        pupils_before + 1,
        "only Zara is new, once"
    );
    let (_, list) = api_get(&app, &token, "/api/v1/incidents?pupil=Joe%20Briggs").await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["pupil_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0], ids[1],
        "the imported incident is on Joe's own chronology"
    );
    let sam_9a: String = pupils::table
        .filter(pupils::name.eq("Sam Lee"))
        .filter(pupils::tutor_group.eq("9A"))
        .select(pupils::id)
        .first(&mut app.conn())
        .unwrap();
    let (_, sams) = api_get(&app, &token, &format!("/api/v1/incidents?pupil={sam_9a}")).await;
    assert_eq!(sams["total"], 1, "the Sam Lee of 9A");

    // A Sam Lee in neither group cannot be told apart: a problem, not a guess.
    let unclear = format!("{HEADER}\nSam Lee,9C,05/05/2020,Which Sam?,,MAL,FALSE\n");
    let out = import_by_command(&app, &unclear, &["--dry-run"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2, Student Name: 2 pupils of the school have this name"),
        "{stderr}"
    );
}

async fn a_safelog_exports_own_columns_are_used_when_present(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    app.school_id();
    let file = format!(
        "{HEADER},Reference,Category,Status,Child at Risk,Where,Platform\r\n\
         Amy Adams,7A,01/03/2024,Saw violent videos,,AB,FALSE,OS-2024-0007,\"Harmful or inappropriate content seen (pornography, violence)\",In progress,TRUE,Online at home,Snapchat\r\n\
         Ben Brown,7B,02/03/2024,Bypassed the filter,Blocked,AB,TRUE,,filtering-breach,closed,FALSE,in_school,\r\n"
    );
    let out = import_by_command(&app, &file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = app.quick_token(&dsl);
    let (_, list) = api_get(&app, &token, "/api/v1/incidents").await;
    let items = list["items"].as_array().unwrap();
    let amy = items
        .iter()
        .find(|i| i["pupil_name"] == "Amy Adams")
        .unwrap();
    assert_eq!(amy["reference"], "OS-2024-0007", "a free reference is kept");
    assert_eq!(amy["category"], "harmful-content", "found by its name");
    assert_eq!(amy["status"], "in_progress");
    assert_eq!(amy["child_at_risk"], true);
    assert_eq!(
        amy["owner_role"], "dsl",
        "a child at risk: the DSL's, not the OSL's"
    );
    assert_eq!(amy["location"], "online_at_home");
    assert_eq!(amy["platform"], "Snapchat");
    let ben = items
        .iter()
        .find(|i| i["pupil_name"] == "Ben Brown")
        .unwrap();
    assert_eq!(ben["category"], "filtering-breach", "found by its code");
    assert_eq!(ben["status"], "closed");
    assert_eq!(ben["lg_acknowledged"], true);
    // The counter moved past the kept reference: no later incident of 2024 can take it.
    let last: i32 = incident_references::table
        .filter(incident_references::year.eq(2024))
        .select(incident_references::last_seq)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(last, 7);

    // Importing the same rows into the same school again adds nothing; an
    // unknown category or status is a problem by line and column.
    let out = import_by_command(&app, &file, &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Imported 0 incident(s)"));
    let wrong = format!(
        "{HEADER},Category,Status,Where\n\
         Cat Cole,7C,,Something,,AB,FALSE,made-up,new,in school\n\
         Dan Dale,7D,,Something else,,AB,FALSE,other,finished,somewhere\n"
    );
    let out = import_by_command(&app, &wrong, &["--dry-run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2, Category: 'made-up' is not one of the school's categories"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 3, Status: 'finished' is not a status"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 3, Where: 'somewhere' is not a place"),
        "{stderr}"
    );
}

async fn only_the_dsl_and_administrators_reach_the_upload_page(backend: Backend) {
    let app = spawn_app(backend).await;
    for (role, allowed) in [
        (Role::Dsl, true),
        (Role::Admin, true),
        (Role::Headteacher, false),
        (Role::OnlineSafetyLead, false),
        (Role::Staff, false),
        (Role::Governor, false),
    ] {
        let user = app.add_user(&format!("Ivy {}", role.as_str().replace('_', " ")), &[role]);
        let b = app.signed_in(&user).await;
        let res = b.get("/import/log").await;
        assert_eq!(res.status() == 200, allowed, "{role}");
        let home = b.text("/").await;
        assert_eq!(
            home.contains("/import/log"),
            allowed,
            "{role}: the link in the menu"
        );
    }
    // An administrator imports without reading incidents.
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let (status, page) = upload(&b, "log.csv", example().as_bytes(), "import").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(counts(&app).incidents, 3);
    assert_eq!(b.get("/incidents").await.status(), 404);
}

on_both_backends!(
    the_policy_example_imports_cleanly_as_three_incidents_one_undated,
    a_dry_run_reports_each_bad_row_by_line_and_column_and_changes_nothing,
    importing_the_same_file_twice_or_a_later_copy_adds_nothing_twice,
    the_command_line_dry_run_says_what_it_would_create_and_changes_nothing,
    pupils_are_matched_by_name_and_tutor_group_or_created,
    a_safelog_exports_own_columns_are_used_when_present,
    only_the_dsl_and_administrators_reach_the_upload_page,
);
