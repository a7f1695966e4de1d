//! Importing the old spreadsheet while the school goes on working: a dry
//! run of a large file takes no write lock and writes nothing, and it finds
//! the very problems the real import finds (issue 12, finding 2).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use safelog::auth::Role;
use safelog::db::schema::{incident_imports, pupils};
use serde_json::json;

use crate::helpers::{spawn_app, Backend};
use crate::import::{counts, import_by_command, HEADER};
use crate::incidents::{api_post, count_incidents};
use crate::on_both_backends;

const ROWS: usize = 20_000;

fn large_file() -> String {
    let mut file = String::from(HEADER);
    file.push('\n');
    for n in 0..ROWS {
        file.push_str(&format!(
            "Pupil {} Large,{}A,{:02}/{:02}/2021,Row {n} of a large file,Spoke to the pupil,AB,FALSE\n",
            n % 700,
            7 + n % 5,
            1 + n % 28,
            1 + n % 12,
        ));
    }
    file
}

async fn a_large_dry_run_lets_others_log_meanwhile_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.school_id();
    let tutor = app.add_user("Tia Tutor", &[Role::Staff]);
    let token = app.quick_token(&tutor);

    let file = large_file();
    let started = Instant::now();
    let dry_run = {
        let url = app.db.url();
        tokio::task::spawn_blocking(move || import_at(&url, &file, &["--dry-run"]))
    };
    // Log an incident every 300 ms for as long as the dry run lasts.
    let mut waits = Vec::new();
    let mut logged = 0;
    while !dry_run.is_finished() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let asked = Instant::now();
        let res = api_post(
            &app,
            &token,
            "/api/v1/incidents",
            &json!({
                "pupil_name": "Zed Zulu", "tutor_group": "9B", "incident_date": "2025-10-01",
                "category": "online-bullying", "details": format!("Logged during the dry run {}", waits.len()),
            }),
        )
        .await;
        let waited = asked.elapsed();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        logged += 1;
        if !dry_run.is_finished() {
            waits.push(waited);
        }
    }
    let out = dry_run.await.unwrap();
    let took = started.elapsed();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!("would create {ROWS} incident(s)")),
        "{}",
        said.lines().last().unwrap_or("")
    );
    eprintln!(
        "{backend:?}: dry run of {ROWS} rows took {took:?}; {} incidents logged meanwhile, the longest wait {:?}",
        waits.len(),
        waits.iter().max()
    );
    assert!(
        waits.len() >= 3,
        "the dry run was over too soon to show anything ({took:?}): make the file larger"
    );
    for waited in &waits {
        assert!(
            *waited < Duration::from_secs(2),
            "logging waited {waited:?} for the dry run"
        );
    }

    // Nothing but the tutor's own incidents was written.
    let mut conn = app.conn();
    assert_eq!(
        incident_imports::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        0
    );
    assert_eq!(
        pupils::table
            .filter(pupils::name.like("%Large"))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        0,
        "no pupil from the file"
    );
    assert_eq!(count_incidents(&app), logged);
}

/// `safelog import log` on `contents`, against the database at `url`.
fn import_at(url: &str, contents: &str, extra: &[&str]) -> Output {
    let dir = std::env::temp_dir().join("safelog-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("log-{}.csv", uuid::Uuid::new_v4().simple()));
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
        .env("SAFELOG_DATABASE_URL", url)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    out
}

/// A file with a problem of each kind, some only the database can show
/// (a name two pupils share), beside good rows.
fn troubled_file() -> String {
    format!(
        "{HEADER},Category,Status,Reference\n\
         Amy Adams,7A,01/03/2021,Fine,,AB,FALSE,online-bullying,closed,\n\
         Ben Brown,7B,31/02/2021,A date that does not exist,,AB,FALSE,,,\n\
         ,7C,01/03/2021,No name given,,AB,TRUE,,,\n\
         Jo Bloggs,9Z,02/03/2021,Which Jo?,,AB,FALSE,,,\n\
         Cat Cole,8C,03/03/2021,A category no one has,,AB,FALSE,kittens,,\n\
         Dan Dee,8D,04/03/2021,A status no one has,,AB,FALSE,,pending,\n\
         Eve Eden,8E,05/03/2021,Kept reference,,AB,FALSE,,,OS-2021-0042\n\
         Amy Adams,7B,06/03/2021,Amy again in another group,,AB,FALSE,,,\n"
    )
}

fn problem_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("line "))
        .map(str::to_string)
        .collect()
}

async fn the_dry_run_finds_exactly_the_problems_the_import_finds_and_both_write_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.school_id();
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    // Two pupils called Jo Bloggs, neither in 9Z.
    for group in ["7A", "7B"] {
        diesel::insert_into(pupils::table)
            .values((
                pupils::id.eq(uuid::Uuid::new_v4().to_string()),
                pupils::school_id.eq(app.school_id()),
                pupils::name.eq("Jo Bloggs"),
                pupils::name_key.eq("jo bloggs"),
                pupils::tutor_group.eq(group),
                pupils::created_at.eq(app.clock.now_naive()),
                pupils::updated_at.eq(app.clock.now_naive()),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    let before = counts(&app);

    let dry = import_by_command(&app, &troubled_file(), &["--dry-run"]);
    let real = import_by_command(&app, &troubled_file(), &[]);
    assert!(!dry.status.success() && !real.status.success());
    let (found_dry, found_real) = (problem_lines(&dry), problem_lines(&real));
    assert_eq!(
        found_dry, found_real,
        "the same problems, said the same way"
    );
    for expected in [
        "line 3, Incident Date",
        "line 4, Student Name",
        "line 5, Student Name: 2 pupils of the school have this name",
        "line 6, Category",
        "line 7, Status",
    ] {
        assert!(
            found_dry.iter().any(|l| l.starts_with(expected)),
            "{expected} in {found_dry:?}"
        );
    }
    assert_eq!(found_dry.len(), 5, "{found_dry:?}");
    assert_eq!(counts(&app), before, "all or nothing: the good rows too");

    // Without its bad rows the file imports, as the dry run said it would.
    let good: String = troubled_file()
        .lines()
        .enumerate()
        .filter(|(n, _)| ![2, 3, 4, 5, 6].contains(n))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let dry = import_by_command(&app, &good, &["--dry-run"]);
    let said = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(
        said.contains("would create 3 incident(s) and 2 new pupil record(s)"),
        "{said}"
    );
    assert_eq!(counts(&app), before);
    let real = import_by_command(&app, &good, &[]);
    let said = String::from_utf8_lossy(&real.stdout).to_string();
    assert!(
        said.contains("Imported 3 incident(s)") && said.contains("(2 new pupil record(s)"),
        "{said}{}",
        String::from_utf8_lossy(&real.stderr)
    );
    let (_, kept) =
        crate::incidents::api_get(&app, &token, "/api/v1/incidents?q=Kept%20reference").await;
    assert_eq!(kept["items"][0]["reference"], "OS-2021-0042", "{kept}");
}

on_both_backends!(
    a_large_dry_run_lets_others_log_meanwhile_and_writes_nothing,
    the_dry_run_finds_exactly_the_problems_the_import_finds_and_both_write_nothing,
);
