//! Imported history is history (issue "The lead's day"): the old
//! spreadsheet's rows arrive closed, with the outcome "Imported from the
//! school's earlier log." and their own Actions and Outcome, unless the
//! file gives them a status; they wait in no queue, remind no one and are
//! not open at the end of any term. A school that imported before gets them
//! closed by a migration.

use chrono::Duration as Days;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use safelog::auth::Role;
use safelog::db::schema::{incident_events, incident_imports, incidents};
use safelog::exports::import::{history_outcome, HISTORY_OUTCOME};
use serde_json::Value;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::import::{example, import_by_command, upload, HEADER};
use crate::incidents::api_get;
use crate::on_both_backends;

const PUPILS: [&str; 3] = ["Joe Briggs", "Sarah Jones", "Abdul Khan"];

/// (status, outcome, closed_at, version) of each incident, by pupil name.
fn cases(app: &TestApp) -> Vec<(String, String, Option<String>, bool, i32)> {
    use safelog::db::schema::pupils;
    // This school's: every test has a neighbouring school beside it.
    let mut rows: Vec<(String, String, Option<String>, bool, i32)> = incidents::table
        .inner_join(pupils::table.on(pupils::id.eq(incidents::pupil_id)))
        .filter(incidents::school_id.eq(app.school_id()))
        .select((
            pupils::name,
            incidents::status,
            incidents::outcome,
            incidents::closed_at.is_not_null(),
            incidents::version,
        ))
        .load(&mut app.conn())
        .unwrap();
    rows.sort();
    rows
}

/// The status changes on the timelines: (by_initials, reason).
fn status_changes(app: &TestApp) -> Vec<(String, Option<String>)> {
    incident_events::table
        .filter(incident_events::kind.eq("status_change"))
        .select((incident_events::by_initials, incident_events::reason))
        .load(&mut app.conn())
        .unwrap()
}

async fn the_policy_example_arrives_as_closed_history_in_no_queue_reminding_no_one(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let osl = app.add_user("Olu Osl", &[Role::OnlineSafetyLead]);
    let head = app.add_user("Hana Head", &[Role::Headteacher]);
    let b = app.signed_in(&dsl).await;

    // The dry run says how they will arrive.
    let (status, page) = upload(&b, "log.csv", example().as_bytes(), "check").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(
            "3 incidents will be added as closed history: they alert no one and wait in no queue."
        ),
        "{page}"
    );
    assert!(page.contains("Closed, as history"), "{page}");
    let out = import_by_command(&app, &example(), &["--dry-run"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("3 incidents will be added as closed history"),
        "{said}"
    );
    assert!(said.contains("Other online-safety concern, closed as history"));

    let (status, page) = upload(&b, "log.csv", example().as_bytes(), "import").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("3 incidents were added as closed history"),
        "{page}"
    );

    // Closed at the time of the import, with the outcome and the row's own
    // Actions and Outcome.
    let found = cases(&app);
    assert_eq!(found.len(), 3);
    for (_, status, outcome, closed, _) in &found {
        assert_eq!(status, "closed");
        assert!(closed);
        assert!(outcome.as_ref().unwrap().starts_with(HISTORY_OUTCOME));
    }
    let joe = &found.iter().find(|c| c.0 == "Joe Briggs").unwrap().2;
    assert_eq!(
        joe.as_deref().unwrap(),
        "Imported from the school's earlier log.\nActions and Outcome in that log: MAL spoke with JH about his conduct whilst using school email. JH's parents were informed about the incident. The threatening and persistent nature of the emails led to a Cd being issued."
    );
    let closed_at: Vec<Option<chrono::NaiveDateTime>> = incidents::table
        .filter(incidents::school_id.eq(app.school_id()))
        .select(incidents::closed_at)
        .load(&mut app.conn())
        .unwrap();
    assert!(closed_at
        .iter()
        .all(|at| *at == Some(app.clock.now_naive())));

    // The timeline says why, in words, and not in the Actions and Outcome
    // the export and the API list.
    let changes = status_changes(&app);
    assert_eq!(changes.len(), 3, "one each");
    for (by, reason) in changes {
        assert_eq!(by, "safelog");
        assert!(reason
            .unwrap()
            .starts_with("imported from the school's earlier log"));
    }
    let token = app.quick_token(&dsl);
    let (_, list) = api_get(&app, &token, "/api/v1/incidents?per_page=10").await;
    let items = list["items"].as_array().unwrap();
    let joe = items
        .iter()
        .find(|i| i["pupil_name"] == "Joe Briggs")
        .unwrap();
    assert_eq!(joe["status"], "closed");
    let actions = joe["actions_outcome"].as_str().unwrap();
    assert!(
        actions.starts_with("MAL spoke with JH")
            && actions.contains("\nOutcome: Imported from the school's earlier log.")
            && !actions.contains("closed history"),
        "{actions}"
    );
    let record = b
        .text(&format!("/incidents/{}", joe["id"].as_str().unwrap()))
        .await;
    assert!(
        record.contains("Status changed from New to Closed: <span class=\"text\">imported from the school's earlier log, so it arrives as closed history"),
        "{record}"
    );
    assert!(record.contains(
        "Imported from the school's earlier log.\nActions and Outcome in that log: MAL spoke"
    ));

    // In no one's queue, now or once the pick-up time has passed, and no
    // reminder.
    app.clock.advance(Days::days(3));
    safelog::cases::reminders::send_due(&mut app.conn(), app.clock.now_naive()).unwrap();
    // This school's: the neighbouring school's own new incident is reminded.
    let reminded: i64 = safelog::db::schema::reminders::table
        .filter(safelog::db::schema::reminders::school_id.eq(app.school_id()))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(reminded, 0, "no reminder");
    let alerts: i64 = safelog::db::schema::alerts::table
        .filter(safelog::db::schema::alerts::school_id.eq(app.school_id()))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(alerts, 0, "no one alerted");
    for lead in [&dsl, &osl, &head] {
        let home = app.signed_in(lead).await.text("/").await;
        assert!(home.contains("Nothing is waiting for you."), "{home}");
        for pupil in PUPILS {
            assert!(
                !home.contains(pupil),
                "{pupil} on a lead's start page: {home}"
            );
        }
        assert!(!home.contains("Past the pick-up time"), "{home}");
    }

    // Not open at the end of the term they were imported in (counted there
    // for Sarah's unknown date) nor of any earlier one: the live figures a
    // lead reads (governors read only what was published).
    let lead = app.quick_token(&osl);
    for (year, term) in [(2025, "autumn"), (2019, "summer"), (2020, "summer")] {
        let (status, report) = api_get(
            &app,
            &lead,
            &format!("/api/v1/reports/termly?year={year}&term={term}"),
        )
        .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["open_at_end_of_term"], 0, "{year} {term}: {report}");
    }
}

/// A file with safelog's Status, Outcome and Closed At columns, and one row
/// whose status is left blank.
fn with_statuses() -> String {
    format!(
        "{HEADER},Status,Outcome,Closed At\n\
         Amy Adams,7A,01/03/2024,Saw violent videos,,AB,FALSE,New,,\n\
         Ben Brown,7B,02/03/2024,Bypassed the filter,Blocked,AB,FALSE,In progress,,\n\
         Cal Cole,7C,03/03/2024,Phishing email,\"Reported\nOutcome: Warned the year group\",AB,FALSE,Closed,Warned the year group,2024-03-05T14:00:00Z\n\
         Dee Dunn,7D,04/03/2024,A blank status,Spoke to her,AB,FALSE,,,\n"
    )
}

async fn a_file_with_a_status_column_keeps_its_statuses(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let osl = app.add_user("Olu Osl", &[Role::OnlineSafetyLead]);
    let b = app.signed_in(&dsl).await;
    let (status, page) = upload(&b, "log.csv", with_statuses().as_bytes(), "check").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("3 incidents will keep the status the file's Status column gives them. Any that are open wait in their owner's queue."),
        "{page}"
    );
    assert!(
        page.contains("1 incident will be added as closed history: it alerts no one"),
        "{page}"
    );
    let (status, page) = upload(&b, "log.csv", with_statuses().as_bytes(), "import").await;
    assert_eq!(status, 200, "{page}");

    let found = cases(&app);
    let by = |name: &str| found.iter().find(|c| c.0 == name).unwrap().clone();
    assert_eq!(by("Amy Adams").1, "new");
    assert_eq!(by("Ben Brown").1, "in_progress");
    assert_eq!((by("Ben Brown").2, by("Ben Brown").3), (None, false));
    let cal = by("Cal Cole");
    assert_eq!(cal.1, "closed");
    assert_eq!(cal.2.as_deref(), Some("Warned the year group"));
    let dee = by("Dee Dunn");
    assert_eq!(dee.1, "closed");
    assert_eq!(dee.2, Some(history_outcome("Spoke to her")));

    // Cal's case closed when the file says, and its Actions and Outcome
    // has the outcome once, as the export writes it.
    let (closed_at, actions): (Option<chrono::NaiveDateTime>, String) = incidents::table
        .filter(incidents::details.eq("Phishing email"))
        .select((incidents::closed_at, incidents::actions_taken))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        closed_at,
        chrono::NaiveDate::from_ymd_opt(2024, 3, 5)
            .unwrap()
            .and_hms_opt(14, 0, 0)
    );
    assert_eq!(actions, "Reported");

    // The open ones wait in their owner's queue, as any open case.
    let home = app.signed_in(&osl).await.text("/").await;
    assert!(
        home.contains("Amy Adams") && home.contains("Ben Brown"),
        "{home}"
    );
    assert!(
        !home.contains("Cal Cole") && !home.contains("Dee Dunn"),
        "{home}"
    );

    // A Closed At that is not a time is a problem by line and column.
    let wrong =
        format!("{HEADER},Status,Closed At\nEd Eve,7E,,Something,,AB,FALSE,closed,last week\n");
    let out = import_by_command(&app, &wrong, &["--dry-run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2, Closed At: 'last week' is not a time"),
        "{stderr}"
    );
}

async fn the_migration_closes_what_was_imported_before_as_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    // Imported the old way: a Status column of "New" leaves them as the
    // import used to leave every row. One a lead moved on, one in error.
    let file = format!(
        "{HEADER},Status\n\
         Amy Adams,7A,01/03/2021,Saw violent videos,Spoke to her,AB,FALSE,New\n\
         Ben Brown,7B,02/03/2021,Bypassed the filter,,AB,FALSE,New\n\
         Cal Cole,7C,03/03/2021,Phishing email,,AB,FALSE,In progress\n\
         Dee Dunn,7D,04/03/2021,Entered in error,,AB,FALSE,New\n"
    );
    let out = import_by_command(&app, &file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut conn = app.conn();
    diesel::update(incidents::table.filter(incidents::details.eq("Entered in error")))
        .set(incidents::entered_in_error_at.eq(Some(app.clock.now_naive())))
        .execute(&mut conn)
        .unwrap();
    let before = cases(&app);

    let up = match backend {
        Backend::Sqlite => {
            include_str!("../../migrations/sqlite/2026-12-02-000020_imported_history/up.sql")
        }
        Backend::Postgres => {
            include_str!("../../migrations/postgres/2026-12-02-000020_imported_history/up.sql")
        }
    };
    conn.batch_execute(up).unwrap();

    let after = cases(&app);
    let by = |rows: &[(String, String, Option<String>, bool, i32)], name: &str| {
        rows.iter().find(|c| c.0 == name).unwrap().clone()
    };
    let amy = by(&after, "Amy Adams");
    assert_eq!(amy.1, "closed");
    assert_eq!(
        amy.2,
        Some(history_outcome("Spoke to her")),
        "the outcome the import writes"
    );
    assert!(amy.3);
    assert_eq!(amy.4, by(&before, "Amy Adams").4 + 1, "a new version");
    assert_eq!(by(&after, "Ben Brown").2.as_deref(), Some(HISTORY_OUTCOME));
    assert_eq!(
        by(&after, "Cal Cole"),
        by(&before, "Cal Cole"),
        "a lead's case is left"
    );
    assert_eq!(
        by(&after, "Dee Dunn"),
        by(&before, "Dee Dunn"),
        "so is one in error"
    );

    // Closed at the time it was imported.
    let (closed_at, imported_at): (Option<chrono::NaiveDateTime>, chrono::NaiveDateTime) =
        incidents::table
            .inner_join(incident_imports::table)
            .filter(incidents::details.eq("Saw violent videos"))
            .select((incidents::closed_at, incident_imports::imported_at))
            .first(&mut conn)
            .unwrap();
    assert_eq!(closed_at, Some(imported_at));

    // The timeline says why, in words, at the new version.
    let id: String = incidents::table
        .filter(incidents::details.eq("Saw violent videos"))
        .select(incidents::id)
        .first(&mut conn)
        .unwrap();
    let record = app
        .signed_in(&dsl)
        .await
        .text(&format!("/incidents/{id}"))
        .await;
    assert!(
        record.contains("Status changed from New to Closed: <span class=\"text\">imported from the school's earlier log before imports arrived as closed history"),
        "{record}"
    );
    let (_, api) = api_get(
        &app,
        &app.quick_token(&dsl),
        &format!("/api/v1/incidents/{id}"),
    )
    .await;
    let timeline = api["timeline"].as_array().unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(last["kind"], "status_change");
    assert_eq!(last["by_initials"], "safelog");
    assert_eq!(api["status"], "closed");
    assert_eq!(
        api["actions_outcome"],
        Value::String(format!(
            "Spoke to her\nOutcome: {}",
            history_outcome("Spoke to her")
        ))
    );
}

on_both_backends!(
    the_policy_example_arrives_as_closed_history_in_no_queue_reminding_no_one,
    a_file_with_a_status_column_keeps_its_statuses,
    the_migration_closes_what_was_imported_before_as_history,
);
