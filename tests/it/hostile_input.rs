//! What a hostile (or careless) client sends: lenient dates, too many other
//! pupils, control characters, formula cells, and pupils a reader has no
//! business knowing about. Each answers the same on both databases: a 422
//! that says what to fix (or a 404), and nothing stored.

use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::import::{import_by_command, upload, HEADER};
use crate::incidents::{api_post, count_incidents, quick_incident};
use crate::on_both_backends;

on_both_backends!(
    a_date_not_written_as_iso_or_dd_mm_yyyy_is_refused_everywhere_with_the_form_expected,
    more_other_pupils_than_the_limit_is_refused_with_the_limit,
    a_formula_hidden_behind_invisible_or_wide_characters_is_defused_in_every_export,
    a_nul_or_control_character_is_refused_by_field_on_both_databases_and_nothing_is_stored,
    a_pupil_known_only_from_records_the_reader_cannot_read_is_not_found_and_not_suggested,
    a_typed_search_or_csrf_token_never_reaches_an_address,
);

fn incident_body(date: &str) -> Value {
    json!({
        "pupil_name": "Amy Adams", "tutor_group": "9B", "incident_date": date,
        "category": "other", "details": "Something happened.",
    })
}

async fn status_and_json(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn a_date_not_written_as_iso_or_dd_mm_yyyy_is_refused_everywhere_with_the_form_expected(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let lenient = [
        "+2021-01-01",
        "2021-1-1",
        "2021-01- 1",
        "2021 -01-01",
        "05 /05/2020",
        "05-05-2020",
        "05.05.2020",
        "+2021-01-01T00:00",
    ];
    for d in lenient {
        let res = api_post(&app, &token, "/api/v1/incidents", &incident_body(d)).await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, 422, "{d}: {body}");
        let msg = body["fields"]["incident_date"].as_str().unwrap_or_default();
        assert!(msg.contains("dd/mm/yyyy"), "{d}: {body}");
    }
    assert_eq!(count_incidents(&app), 0);
    for d in ["2021-01-01", "01/01/2021", "1/1/2021", " 2021-01-01 "] {
        let res = api_post(&app, &token, "/api/v1/incidents", &incident_body(d)).await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, 201, "{d}: {body}");
        assert_eq!(body["incident_date"], "2021-01-01", "{d}");
    }

    // The list's filters, on the API and its export.
    for path in ["/api/v1/incidents", "/api/v1/export.csv"] {
        let res = app
            .get_with(&format!("{path}?from=%2B2021-01-01&to=2021-1-1"), &token)
            .await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, 422, "{path}");
        for f in ["from", "to"] {
            assert!(
                body["fields"][f]
                    .as_str()
                    .unwrap_or_default()
                    .contains("dd/mm/yyyy"),
                "{path} {f}: {body}"
            );
        }
    }

    // A referral's date.
    let id = quick_incident(&app, &token, "Ben Brown", "other", "x").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{id}/referrals"),
        &json!({"agency": "police", "date": "+2025-11-01", "reference": "P-1"}),
    )
    .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["date"]
        .as_str()
        .unwrap()
        .contains("dd/mm/yyyy"));

    // Term dates.
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    let res = b
        .post(
            "/admin/terms",
            &[
                ("year", "2025"),
                ("autumn_starts", "+2025-09-03"),
                ("autumn_ends", "2025-12-19"),
                ("spring_starts", "2026-01-05"),
                ("spring_ends", "2026-03-27"),
                ("summer_starts", "2026-04-13"),
                ("summer_ends", "2026-07-22"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("+2025-09-03"), "typed text kept");
    assert!(page.contains("yyyy-mm-dd"), "{page}");

    // The spreadsheet import: by line and column, both from the page and
    // the command line; dd/mm/yyyy and yyyy-mm-dd still import.
    let file = format!(
        "{HEADER}\r\n\
         Amy Adams,7A,2021-1-1,Saw something,,AB,FALSE\r\n\
         Ben Brown,7B,+2021-01-01,Saw something else,,AB,FALSE\r\n\
         Cat Cole,7C,01/03/2021,Fine,,AB,FALSE\r\n\
         Dan Dee,7C,2021-03-01,Fine too,,AB,FALSE\r\n"
    );
    let db = app.signed_in(&dsl).await;
    let (status, page) = upload(&db, "log.csv", file.as_bytes(), "check").await;
    assert_eq!(status, 422);
    assert!(page.contains("2 problems"), "{page}");
    assert!(
        page.contains("<td>2</td><td>Incident Date</td>")
            && page.contains("<td>3</td><td>Incident Date</td>"),
        "{page}"
    );
    let out = import_by_command(&app, &file, &["--dry-run"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2, Incident Date"), "{stderr}");
    assert!(stderr.contains("dd/mm/yyyy"), "{stderr}");

    // The command line's export flags.
    let dest = std::env::temp_dir()
        .join("safelog-tests")
        .join(format!("export-{}.csv", uuid::Uuid::new_v4().simple()));
    let out = export_by_command(&app, &dest, &["--from", "2021-1-1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("dd/mm/yyyy"));
    assert!(!dest.exists());
}

pub fn export_by_command(
    app: &TestApp,
    file: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_safelog"));
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
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn others(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("Pupil {i}"), "tutor_group": "9B", "role": "witness"}))
        .collect()
}

async fn more_other_pupils_than_the_limit_is_refused_with_the_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    for n in [11, 10_000] {
        let mut body = incident_body("2025-10-01");
        body["other_pupils"] = Value::Array(others(n));
        let res = api_post(&app, &token, "/api/v1/incidents", &body).await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, 422, "{n}");
        let msg = body["fields"]["other_pupils"].as_str().unwrap_or_default();
        assert!(msg.contains("10"), "{n}: {body}");
    }
    assert_eq!(count_incidents(&app), 0, "nothing stored");
    let mut body = incident_body("2025-10-01");
    body["other_pupils"] = Value::Array(others(10));
    let res = api_post(&app, &token, "/api/v1/incidents", &body).await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["other_pupils"].as_array().unwrap().len(), 10);

    // A page form made to send an eleventh is refused the same way.
    let b = app.signed_in(&dsl).await;
    let mut fields: Vec<(String, String)> = vec![
        ("pupil_name".into(), "Amy Adams".into()),
        ("tutor_group".into(), "9B".into()),
        ("incident_date".into(), "2025-10-01".into()),
        ("category".into(), "other".into()),
        ("details".into(), "Something happened.".into()),
    ];
    for i in 1..=11 {
        fields.push((format!("other_{i}_name"), format!("Pupil {i}")));
        fields.push((format!("other_{i}_role"), "witness".into()));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let before = count_incidents(&app);
    let res = b.post("/incidents", &borrowed).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("at most 10 other pupils"), "{page}");
    assert_eq!(count_incidents(&app), before);
}

/// Cells a spreadsheet would run, each hidden from the old check.
const HOSTILE_NAME: &str = "\u{ff1d}HYPERLINK(\"http://x.test\")";
const HOSTILE_DETAILS: &str = "\u{200b}=1+1";
const HOSTILE_ACTIONS: &str = "\u{feff}\u{202e}@SUM(A1)";
const HOSTILE_PLATFORM: &str = "|calc";
const HOSTILE_CATEGORY: &str = "\u{fe66}cmd";

/// The cell of `header` in the row whose Student Name holds `name`.
fn cell_of(rows: &[Vec<String>], header: &str, name_cell: &str) -> String {
    let col = rows[0].iter().position(|h| h == header).unwrap();
    let row = rows
        .iter()
        .find(|r| r[0] == name_cell)
        .unwrap_or_else(|| panic!("no row for {name_cell:?} in {rows:?}"));
    row[col].clone()
}

fn assert_defused(rows: &[Vec<String>], via: &str) {
    let name = format!("'{HOSTILE_NAME}");
    assert_eq!(cell_of(rows, "Student Name", &name), name, "{via}");
    for (header, hostile) in [
        ("Incident Details", HOSTILE_DETAILS),
        ("Actions and Outcome", HOSTILE_ACTIONS),
        ("Platform", HOSTILE_PLATFORM),
    ] {
        assert_eq!(
            cell_of(rows, header, &name),
            format!("'{hostile}"),
            "{via}: {header}"
        );
    }
}

async fn a_formula_hidden_behind_invisible_or_wide_characters_is_defused_in_every_export(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": HOSTILE_NAME, "tutor_group": "9B", "incident_date": "2025-10-01",
            "category": "other", "details": HOSTILE_DETAILS, "actions_outcome": HOSTILE_ACTIONS,
            "platform": HOSTILE_PLATFORM,
        }),
    )
    .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    let res = app.get_with("/api/v1/export.csv", &token).await;
    assert_eq!(res.status(), 200);
    assert_defused(&crate::export::parse(&res.bytes().await.unwrap()), "api");

    let b = app.signed_in(&dsl).await;
    let res = b.get("/incidents/export.csv").await;
    assert_eq!(res.status(), 200);
    assert_defused(&crate::export::parse(&res.bytes().await.unwrap()), "page");

    let dest = std::env::temp_dir()
        .join("safelog-tests")
        .join(format!("export-{}.csv", uuid::Uuid::new_v4().simple()));
    let out = export_by_command(&app, &dest, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&dest).unwrap();
    let _ = std::fs::remove_file(&dest);
    assert_defused(&crate::export::parse(&bytes), "command line");

    // The termly report's CSV names categories, which administrators name.
    {
        use diesel::prelude::*;
        use safelog::db::schema::categories;
        diesel::update(categories::table.filter(categories::code.eq("other")))
            .set(categories::name.eq(HOSTILE_CATEGORY))
            .execute(&mut app.conn())
            .unwrap();
    }
    let res = b.get("/reports/2025/autumn.csv").await;
    assert_eq!(res.status(), 200);
    let text = String::from_utf8(res.bytes().await.unwrap().to_vec()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert!(
        cells.contains(&format!("'{HOSTILE_CATEGORY}")),
        "the category's line is defused: {cells:?}"
    );
    assert!(!cells.iter().any(|c| c == HOSTILE_CATEGORY), "{cells:?}");
}

async fn a_nul_or_control_character_is_refused_by_field_on_both_databases_and_nothing_is_stored(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);

    // The API: each field named, for NUL and for the other controls.
    for bad in [
        "\u{0}",
        "a\u{0}b",
        "\u{1b}[31mred",
        "x\u{7f}",
        "x\u{85}y",
        "x\u{8}",
    ] {
        for field in [
            "pupil_name",
            "details",
            "platform",
            "tutor_group",
            "actions_outcome",
        ] {
            let mut body = incident_body("2025-10-01");
            body[field] = json!(bad);
            let res = api_post(&app, &token, "/api/v1/incidents", &body).await;
            let (status, body) = status_and_json(res).await;
            assert_eq!(status, 422, "{field} {bad:?}: {body}");
            assert!(
                body["fields"][field]
                    .as_str()
                    .unwrap_or_default()
                    .contains("control character"),
                "{field} {bad:?}: {body}"
            );
        }
    }
    let mut body = incident_body("2025-10-01");
    body["other_pupils"] =
        json!([{"name": "Ok", "role": "witness"}, {"name": "B\u{0}", "role": "witness"}]);
    let (status, body) =
        status_and_json(api_post(&app, &token, "/api/v1/incidents", &body).await).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["other_pupils[1].name"].is_string(), "{body}");
    assert_eq!(count_incidents(&app), 0, "nothing stored");

    // Tab and line breaks stay in text that runs over lines.
    let mut body = incident_body("2025-10-01");
    body["details"] = json!("First line\r\nSecond\tline");
    let (status, created) =
        status_and_json(api_post(&app, &token, "/api/v1/incidents", &body).await).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["details"], "First line\r\nSecond\tline");
    let id = created["id"].as_str().unwrap().to_string();
    // ...but not in a one-line field.
    let mut body = incident_body("2025-10-01");
    body["pupil_name"] = json!("Amy\nAdams");
    let (status, _) =
        status_and_json(api_post(&app, &token, "/api/v1/incidents", &body).await).await;
    assert_eq!(status, 422);

    // Notes, case actions, entered-in-error reasons, searches.
    for (path, field) in [
        ("notes", "text"),
        ("actions", "text"),
        ("escalate", "reason"),
        ("entered-in-error", "reason"),
    ] {
        let res = api_post(
            &app,
            &token,
            &format!("/api/v1/incidents/{id}/{path}"),
            &json!({ field: "note\u{0}" }),
        )
        .await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(body["fields"][field].is_string(), "{path}: {body}");
    }
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{id}/referrals"),
        &json!({"agency": "police", "date": "2025-11-01", "reference": "P\u{0}1"}),
    )
    .await;
    assert_eq!(res.status(), 422);
    for path in [
        "/api/v1/incidents?q=%00",
        "/api/v1/incidents?pupil=%00",
        "/api/v1/export.csv?q=a%1Bb",
        "/api/v1/pupils?q=%00",
    ] {
        let (status, body) = status_and_json(app.get_with(path, &token).await).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(body["fields"].is_object(), "{path}: {body}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "a\u{0}@school.test", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // The log page: the form comes back with the message at the field and
    // everything typed kept.
    let b = app.signed_in(&dsl).await;
    let res = b
        .post(
            "/incidents",
            &[
                ("pupil_name", "Amy Adams"),
                ("tutor_group", "9B"),
                ("incident_date", "2025-10-01"),
                ("category", "other"),
                ("details", "Typed words kept\u{0}"),
                ("platform", "Snap\u{1}chat"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Typed words kept"), "typed text kept");
    assert!(page.contains("U+0000") && page.contains("U+0001"), "{page}");
    assert!(
        page.contains("f-details-error"),
        "the message sits at its field"
    );
    let res = b
        .post(
            &format!("/incidents/{id}/notes"),
            &[("text", "a note\u{0}")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = b
        .post(
            "/login",
            &[
                ("email", "x\u{0}@school.test"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_ne!(res.status(), 500);

    // An administrator's account form.
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let ab = app.signed_in(&admin).await;
    let res = ab
        .post(
            "/admin/users",
            &[
                ("name", "New\u{0}Person"),
                ("email", "new.person@school.test"),
                ("initials", "NP"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("U+0000"));
    assert_eq!(count_incidents(&app), 1, "still only the one good incident");

    // Files: the line and column.
    let file = format!("{HEADER}\r\nAmy Adams,7A,01/03/2021,Saw\u{0}something,,A\u{1}B,FALSE\r\n");
    let (status, page) = upload(&b, "log.csv", file.as_bytes(), "check").await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("<td>2</td><td>Incident Details</td>")
            && page.contains("<td>2</td><td>Staff Initials</td>"),
        "{page}"
    );
    let out = import_by_command(&app, &file, &["--dry-run"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2, Incident Details"), "{stderr}");
    let out = import_by_command(&app, &file, &[]);
    assert!(!out.status.success());
    assert_eq!(count_incidents(&app), 1);
    let pupils = "UPN,Name,Date of birth,Tutor group,Year group\n,Zed\u{0}Zero,12/03/2014,8A,8\n";
    let res = crate::pupils::upload(&ab, pupils).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("control character"), "{page}");
}

async fn names_found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let (status, body) =
        status_and_json(app.get_with(&format!("/api/v1/pupils?q={q}"), token).await).await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

async fn a_pupil_known_only_from_records_the_reader_cannot_read_is_not_found_and_not_suggested(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let head = app.add_user("Hal Head", &[Role::Headteacher]);
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let osl = app.add_user("Ola Lead", &[Role::OnlineSafetyLead]);
    let tutor = app.add_user("Tam Tutor", &[Role::Staff]);
    let other_tutor = app.add_user("Tod Tutor", &[Role::Staff]);
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let (head_t, dsl_t, osl_t, tutor_t, other_t) = (
        app.quick_token(&head),
        app.quick_token(&dsl),
        app.quick_token(&osl),
        app.quick_token(&tutor),
        app.quick_token(&other_tutor),
    );

    // The roll, from the school's MIS.
    let ab = app.signed_in(&admin).await;
    let res = crate::pupils::upload(
        &ab,
        "UPN,Name,Date of birth,Tutor group,Year group\n,Rita Roll,12/03/2014,8A,8\n",
    )
    .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );

    // A pupil named only in a headteacher-only staff-conduct record.
    let hidden = quick_incident(
        &app,
        &head_t,
        "Quentin Quiet",
        "staff-conduct",
        "A concern.",
    )
    .await;
    let hidden_id = hidden["pupil_id"].as_str().unwrap().to_string();
    // A pupil a tutor typed as new while logging.
    let typed = quick_incident(&app, &tutor_t, "Nina Newcome", "other", "Seen online.").await;
    let typed_id = typed["pupil_id"].as_str().unwrap().to_string();
    let rita_id = {
        use diesel::prelude::*;
        use safelog::db::schema::pupils;
        pupils::table
            .filter(pupils::name.eq("Rita Roll"))
            .select(pupils::id)
            .first::<String>(&mut app.conn())
            .unwrap()
    };

    for (who, token) in [
        ("dsl", &dsl_t),
        ("osl", &osl_t),
        ("tutor", &tutor_t),
        ("other tutor", &other_t),
    ] {
        assert!(
            names_found(&app, token, "Quen").await.is_empty(),
            "{who} is not told of Quentin"
        );
        let res = app.get_with(&format!("/pupils/{hidden_id}"), token).await;
        assert_eq!(res.status(), 404, "{who}");
        assert_eq!(
            names_found(&app, token, "Rita").await,
            ["Rita Roll"],
            "{who}: the roll"
        );
    }
    assert_eq!(names_found(&app, &head_t, "Quen").await, ["Quentin Quiet"]);
    for (who, user) in [("head", &head), ("dsl", &dsl), ("tutor", &tutor)] {
        let b = app.signed_in(user).await;
        let res = b.get(&format!("/pupils/{rita_id}")).await;
        assert_eq!(res.status(), 200, "{who} reads a pupil on the roll");
    }
    let hb = app.signed_in(&head).await;
    assert_eq!(hb.get(&format!("/pupils/{hidden_id}")).await.status(), 200);
    let db = app.signed_in(&dsl).await;
    assert_eq!(db.get(&format!("/pupils/{hidden_id}")).await.status(), 404);

    // The tutor who typed a new pupil knows them, as do the leads who read
    // that incident; another tutor does not.
    assert_eq!(names_found(&app, &tutor_t, "Nina").await, ["Nina Newcome"]);
    assert_eq!(names_found(&app, &dsl_t, "Nina").await, ["Nina Newcome"]);
    assert!(names_found(&app, &other_t, "Nina").await.is_empty());
    let ob = app.signed_in(&other_tutor).await;
    assert_eq!(ob.get(&format!("/pupils/{typed_id}")).await.status(), 404);
    assert_eq!(db.get(&format!("/pupils/{typed_id}")).await.status(), 200);
}

/// Every `href` and `action` of a page.
fn addresses(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "action=\""] {
        let mut rest = page;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            out.push(rest[..end].replace("&amp;", "&"));
        }
    }
    out
}

async fn a_typed_search_or_csrf_token_never_reaches_an_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    for n in 0..3 {
        quick_incident(
            &app,
            &token,
            &format!("Zanzibar Pupil{n}"),
            "other",
            "Seen online.",
        )
        .await;
    }
    quick_incident(&app, &token, "Other Child", "other", "Something else.").await;
    let b = app.signed_in(&dsl).await;

    let list = b.text("/incidents").await;
    assert!(
        list.contains("method=\"post\" action=\"/incidents/search\""),
        "{list}"
    );
    let res = b
        .post(
            "/incidents/search",
            &[("q", "Zanzibar"), ("status", "new"), ("per_page", "1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = crate::helpers::location(&res);
    assert!(
        !to.contains("Zanzibar") && !to.to_lowercase().contains("zanzibar"),
        "{to}"
    );
    assert!(to.contains("f=") && to.contains("status=new"), "{to}");
    let page = b.text(&to).await;
    assert!(page.contains("3 incidents"), "the search applies: {page}");
    assert!(
        page.contains("value=\"Zanzibar\""),
        "the search box keeps what was typed"
    );
    assert!(!page.contains("Other Child"));
    for a in addresses(&page) {
        assert!(!a.to_lowercase().contains("zanzibar"), "{a}");
        assert!(!a.contains("csrf"), "{a}");
    }
    let older = addresses(&page)
        .into_iter()
        .find(|a| a.contains("page=2"))
        .expect("a link to the next page");
    assert!(older.contains("f="), "{older}");
    assert!(b.text(&older).await.contains("Page 2 of 3"));
    let export = addresses(&page)
        .into_iter()
        .find(|a| a.starts_with("/incidents/export.csv"))
        .expect("a download link");
    let res = b.get(&export).await;
    assert_eq!(res.status(), 200);
    let rows = crate::export::parse(&res.bytes().await.unwrap());
    assert_eq!(rows.len(), 4, "the header and the three searched for");

    // A typed pupil's name goes the same way.
    let res = b
        .post("/incidents/search", &[("pupil", "Other Child")])
        .await;
    let to = crate::helpers::location(&res);
    assert!(!to.to_lowercase().contains("other"), "{to}");
    assert!(b.text(&to).await.contains("1 incident"));

    // The saved search is this session's alone, and short-lived.
    let other_session = app.signed_in(&dsl).await;
    let page = other_session.text(&older).await;
    assert!(page.contains("That search has expired"), "{page}");
    assert!(!page.contains("value=\"Zanzibar\""));
    for _ in 0..5 {
        app.clock.advance(chrono::Duration::minutes(25));
        b.get("/").await;
    }
    let page = b.text(&older).await;
    assert!(page.contains("That search has expired"), "{page}");

    // A filter that needs correcting comes back with what was typed.
    let res = b
        .post(
            "/incidents/search",
            &[("q", "Zanzibar"), ("from", "2021-1-1")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("value=\"Zanzibar\"") && page.contains("2021-1-1"),
        "{page}"
    );

    // The API keeps its query parameters.
    let token = app.quick_token(&dsl);
    let (status, body) =
        status_and_json(app.get_with("/api/v1/incidents?q=Zanzibar", &token).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 3);

    // Uploads carry the CSRF token in the body, never the address.
    let admin = app.add_user("Ann Admin", &[Role::Admin]);
    let ab = app.signed_in(&admin).await;
    for (who, path) in [(&b, "/import/log"), (&ab, "/admin/pupils")] {
        let page = who.text(path).await;
        assert!(page.contains("name=\"csrf\""), "{path}: {page}");
        for a in addresses(&page) {
            assert!(!a.contains("csrf"), "{path}: {a}");
        }
        let csrf = who.csrf().await;
        let boundary = "----b";
        let res = who
            .client
            .post(who.url(&format!("{path}?csrf={csrf}")))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\nName,Tutor group\nA,8A\n\r\n--{boundary}--\r\n"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            403,
            "{path}: a token in the address is not taken"
        );
    }
    let res = crate::pupils::upload(&ab, "Name,Tutor group\nAmy Adams,8A\n").await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
}
