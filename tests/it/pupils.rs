//! Pupils: the import from a file (command line and upload), the
//! type-ahead, and each pupil's chronology.

use std::process::{Command, Stdio};

use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Browser, TestApp};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::on_both_backends;

const FIRST_LIST: &str = "\u{feff}Name, Tutor Group ,YEAR GROUP,Date of birth,UPN\r\n\
Zoë Ångström,7A,7,12/03/2014,A123456789012\r\n\
Łukasz Nowak,7B,7,2014-01-30,\r\n\
Aoife Ní Bhriain,8C,8,05/11/2012,\r\n";

/// A year later: everyone has moved up; Zoë's name is spelt as the MIS has it now.
const SECOND_LIST: &str = "upn,name,date of birth,tutor group,year group\n\
a123456789012,Zoë Ångström,12/03/2014,8A,8\n\
,Łukasz Nowak,30/01/2014,8B,8\n\
,Aoife Ní Bhriain,05/11/2012,9C,9\n\
,Nia New,01/02/2014,8A,8\n";

/// The pupils in the database, but for the neighbouring school's own.
fn pupils(app: &TestApp) -> Vec<(String, Option<String>, Option<i32>)> {
    use diesel::prelude::*;
    use safelog::db::schema::pupils;
    pupils::table
        .filter(pupils::school_id.ne(app.neighbour_id()))
        .order(pupils::name.asc())
        .select((pupils::name, pupils::tutor_group, pupils::year_group))
        .load(&mut app.conn())
        .unwrap()
}

fn import_by_command(app: &TestApp, contents: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join("safelog-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("pupils-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, contents).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .args(["import", "pupils"])
        .arg(&file)
        .args(["--school", "Test School"])
        .env("SAFELOG_DATABASE_URL", app.db.url())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    out
}

/// Uploads a file the way a browser's file input does.
pub async fn upload(b: &Browser, contents: &str) -> reqwest::Response {
    let csrf = b.csrf().await;
    let boundary = "----safelogtestboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pupils.csv\"\r\nContent-Type: text/csv\r\n\r\n{contents}\r\n--{boundary}--\r\n"
    );
    b.client
        .post(b.url("/admin/pupils"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn importing_pupils_creates_them_and_importing_again_moves_them_without_duplicates(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let out = import_by_command(&app, FIRST_LIST);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 new"));
    assert_eq!(
        pupils(&app),
        vec![
            ("Aoife Ní Bhriain".into(), Some("8C".into()), Some(8)),
            ("Zoë Ångström".into(), Some("7A".into()), Some(7)),
            ("Łukasz Nowak".into(), Some("7B".into()), Some(7)),
        ]
    );
    // The same file again changes nothing.
    let out = import_by_command(&app, FIRST_LIST);
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "0 new, 0 moved to another tutor group or year, 0 otherwise updated, 3 unchanged"
    ));

    // A year on, through the upload page.
    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    assert!(b.text("/admin/pupils").await.contains("3 pupils on record"));
    let res = upload(&b, SECOND_LIST).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("1 new, 3 moved to another tutor group"),
        "{page}"
    );
    assert_eq!(
        pupils(&app),
        vec![
            ("Aoife Ní Bhriain".into(), Some("9C".into()), Some(9)),
            ("Nia New".into(), Some("8A".into()), Some(8)),
            ("Zoë Ångström".into(), Some("8A".into()), Some(8)),
            ("Łukasz Nowak".into(), Some("8B".into()), Some(8)),
        ]
    );
    assert!(
        app.audit_actions()
            .iter()
            .filter(|(a, _, _)| a == "pupils_imported")
            .count()
            == 3
    );
}

async fn a_pupil_list_with_a_bad_row_is_refused_whole_with_its_line_numbers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.school_id();
    let bad = "Name,Tutor group,Year group,Date of birth\nGood Pupil,7A,7,01/01/2014\nBad Date,7A,7,31/02/2014\n,7B,7,\n";
    let out = import_by_command(&app, bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("line 4") && err.contains("nothing was imported"),
        "{err}"
    );
    assert!(pupils(&app).is_empty());

    let admin = app.add_user("Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let res = upload(&b, bad).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Line 3")
            && page.contains("31/02/2014")
            && page.contains("Nothing was imported")
    );
    // No file at all, or a form with no multipart body.
    assert_eq!(b.post("/admin/pupils", &[]).await.status(), 422);
    assert!(pupils(&app).is_empty());
    // Staff cannot reach the upload.
    let staff = app.add_user("Sid Staff", &[Role::Staff]);
    assert_eq!(
        app.signed_in(&staff)
            .await
            .get("/admin/pupils")
            .await
            .status(),
        404
    );
}

async fn a_chronology_lists_every_incident_involving_the_pupil_in_date_order(backend: Backend) {
    let app = spawn_app(backend).await;
    app.school_id();
    import_by_command(&app, FIRST_LIST);
    let dsl = app.add_user("Chris Chron", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let (_, found) = api_get(&app, &token, "/api/v1/pupils?q=zo").await;
    let zoe = found["items"][0]["id"].as_str().unwrap().to_string();
    let log = |date: Value, details: &'static str, others: Value| {
        let body = json!({"pupil_name": "Zoë Ångström", "pupil_id": zoe, "tutor_group": "7A", "incident_date": date,
                          "category": "online-bullying", "details": details, "other_pupils": others});
        let app = &app;
        // A fresh session each time: the clock moves on by days.
        let token = app.quick_token(&dsl);
        async move {
            let res = api_post(app, &token, "/api/v1/incidents", &body).await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    };
    // Logged on 12/11/2025, 13/11 and 14/11 (the clock moves on).
    log(json!("2025-10-01"), "October one", json!([])).await;
    app.clock.advance(chrono::Duration::days(1));
    log(json!(null), "Undated one", json!([])).await;
    app.clock.advance(chrono::Duration::days(1));
    log(json!("2025-11-13"), "Thirteenth one", json!([])).await;
    // Zoë as a witness in Łukasz's incident, dated in September.
    let token = app.quick_token(&dsl);
    let res = api_post(&app, &token, "/api/v1/incidents", &json!({"pupil_name": "Łukasz Nowak", "tutor_group": "7B", "incident_date": "2025-09-05", "category": "other", "details": "September one", "other_pupils": [{"name": "Zoë Ångström", "role": "witness"}]})).await;
    assert_eq!(res.status(), 201);
    // An incident she may not read as staff would not show for staff.
    let b = app.signed_in(&dsl).await;
    let page = b.text(&format!("/pupils/{zoe}")).await;
    let order: Vec<usize> = [
        "2025-09-05",
        "01/10/2025",
        "13/11/2025",
        "Date not known (logged 13/11/2025)",
    ]
    .iter()
    .map(|d| {
        let d = if d.starts_with("2025-09") {
            "05/09/2025"
        } else {
            d
        };
        page.find(d).unwrap_or_else(|| panic!("{d} missing"))
    })
    .collect();
    // The undated one, logged on 13/11, comes before the one dated 13/11
    // (logged on 14/11), and after October.
    assert!(
        order[0] < order[1] && order[1] < order[3] && order[3] < order[2],
        "{order:?}"
    );
    assert!(page.contains("Witness") && page.contains("The pupil it is about"));
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, r)| a == "pupil_chronology_viewed" && r.as_deref() == Some(zoe.as_str())));

    // A member of staff sees only what they logged in it.
    let staff = app.add_user("Sue Staff", &[Role::Staff]);
    quick_incident(
        &app,
        &app.quick_token(&staff),
        "Zoë Ångström",
        "other",
        "Staff one",
    )
    .await;
    let page = app
        .signed_in(&staff)
        .await
        .text(&format!("/pupils/{zoe}"))
        .await;
    assert_eq!(
        page.matches("/incidents/").count() - page.matches("href=\"/incidents/new\"").count(),
        1,
        "{page}"
    );
    assert!(!page.contains("A123456789012"), "staff do not see the UPN");

    // Another school's pupil does not exist for this school.
    let other = safelog::accounts::store::create_school(
        &mut app.conn(),
        "Elsewhere",
        app.clock.now_naive(),
    )
    .unwrap();
    let far = app.add_user_to(&other.id, "Far Lead", &[Role::Dsl]);
    assert_eq!(
        app.signed_in(&far)
            .await
            .get(&format!("/pupils/{zoe}"))
            .await
            .status(),
        404
    );
    let (_, none) = api_get(&app, &app.quick_token(&far), "/api/v1/pupils?q=zo").await;
    assert_eq!(none["items"], json!([]));
    // Governors and administrators cannot read chronologies. An
    // administrator opens the page of a pupil on the roll, to manage who
    // is excluded from them (issue 16), and sees no incident there.
    for role in [Role::Governor, Role::Admin] {
        let u = app.add_user(&format!("No {role}"), &[role]);
        let res = app.signed_in(&u).await.get(&format!("/pupils/{zoe}")).await;
        if role == Role::Admin {
            assert_eq!(res.status(), 200);
            let page = res.text().await.unwrap();
            assert!(page.contains("Conflicts of interest"));
            assert!(
                !page.contains("Chronology") && !page.contains("Witness"),
                "{page}"
            );
        } else {
            assert_eq!(res.status(), 404);
        }
        assert_eq!(
            app.get_with("/api/v1/pupils?q=zo", &app.quick_token(&u))
                .await
                .status(),
            404
        );
    }
}

async fn a_new_pupil_typed_on_the_form_is_created_once_and_found_by_name_after(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = app.add_user("Tom Type", &[Role::Staff]);
    let token = app.quick_token(&staff);
    let first = quick_incident(&app, &token, "Pip Newcomer", "other", "First.").await;
    let second = quick_incident(&app, &token, "pip  newcomer", "other", "Second.").await;
    assert_eq!(first["pupil_id"], second["pupil_id"]);
    assert_eq!(pupils(&app).len(), 1);
    // Two pupils with one name: the tutor group tells them apart, or the
    // form asks which.
    {
        use safelog::pupils::store::{create, NewPupil};
        let school = app.school_id();
        for group in ["7A", "9C"] {
            create(
                &mut app.conn(),
                &NewPupil {
                    school_id: &school,
                    name: "Sam Same",
                    tutor_group: Some(group),
                    year_group: None,
                    date_of_birth: None,
                    upn: None,
                    child_identifier: None,
                    nhs_number: None,
                },
                app.clock.now_naive(),
            )
            .unwrap();
        }
    }
    let res = api_post(&app, &token, "/api/v1/incidents", &json!({"pupil_name": "Sam Same", "tutor_group": "9c", "category": "other", "details": "x"})).await;
    assert_eq!(res.status(), 201);
    let res = api_post(&app, &token, "/api/v1/incidents", &json!({"pupil_name": "Sam Same", "tutor_group": "11Z", "category": "other", "details": "x"})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["pupil_name"]
        .as_str()
        .unwrap()
        .contains("2 pupils have this name"));
}

on_both_backends!(
    importing_pupils_creates_them_and_importing_again_moves_them_without_duplicates,
    a_pupil_list_with_a_bad_row_is_refused_whole_with_its_line_numbers,
    a_chronology_lists_every_incident_involving_the_pupil_in_date_order,
    a_new_pupil_typed_on_the_form_is_created_once_and_found_by_name_after,
);
