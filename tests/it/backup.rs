//! Backups as IT takes them: `safelog backup` (SQLite) or `pg_dump -Fc`
//! (PostgreSQL) while staff keep logging incidents through the API, then
//! `safelog restore` or `pg_restore` into an empty database, and every
//! incident answered 201 before the backup began read back through the app.

use std::collections::HashSet;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use safelog::auth::Role;
use safelog::config::Require2fa;
use safelog::db::schema::{incident_events, incidents};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_empty_app_with, Backend, TestDb};
use crate::on_both_backends;

const CLIENTS: usize = 4;

pub(crate) fn safelog(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("SAFELOG_DATABASE_URL", database_url)
        .stdin(Stdio::null());
    cmd
}

pub(crate) fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join("safelog-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn a_backup_taken_under_load_restores_every_incident_acknowledged_before_it(
    backend: Backend,
) {
    let app = Arc::new(spawn_app(backend).await);
    app.school_id();
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);

    // Several clients log incidents for as long as the test lets them.
    let stop = Arc::new(AtomicBool::new(false));
    let answered: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (app, token, stop, answered) = (
            Arc::clone(&app),
            token.clone(),
            Arc::clone(&stop),
            Arc::clone(&answered),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let res = app
                    .client
                    .post(app.url("/api/v1/incidents"))
                    .bearer_auth(&token)
                    .json(&json!({
                        "pupil_name": format!("Pupil {c}"), "tutor_group": "9B",
                        "incident_date": "2025-10-01", "category": "online-bullying",
                        "details": format!("Client {c}, incident {n}"),
                    }))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                assert_eq!(status, 201, "{body}");
                let at = Instant::now();
                answered
                    .lock()
                    .unwrap()
                    .push((at, body["id"].as_str().unwrap().to_string()));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let backup = scratch("safelog-backup");
    let began = Instant::now();
    let out = {
        let (url, file) = (app.db.url(), backup.clone());
        tokio::task::spawn_blocking(move || match backend {
            Backend::Sqlite => safelog(&url).arg("backup").arg(&file).output().unwrap(),
            Backend::Postgres => Command::new("pg_dump")
                .args(["--format=custom", "--file"])
                .arg(&file)
                .arg(&url)
                .output()
                .unwrap(),
        })
        .await
        .unwrap()
    };
    let backup_took = began.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    assert!(out.status.success(), "{}", said(&out));
    let answered = answered.lock().unwrap().clone();
    let before: Vec<&String> = answered
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| id)
        .collect();
    assert!(!before.is_empty());
    #[cfg(unix)]
    if backend == Backend::Sqlite {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup is its owner's alone");
        let folder = backup.parent().unwrap();
        let left: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["safelog-backup"], "no temporary file left beside it");
    }

    // Into an empty database.
    let target = TestDb::new(backend);
    let out = match backend {
        Backend::Sqlite => safelog(&target.url())
            .arg("restore")
            .arg(&backup)
            .output()
            .unwrap(),
        Backend::Postgres => Command::new("pg_restore")
            .args(["--no-owner", "--dbname"])
            .arg(target.url())
            .arg(&backup)
            .output()
            .unwrap(),
    };
    assert!(out.status.success(), "{}", said(&out));
    if backend == Backend::Sqlite {
        // Never over a database that is there.
        let again = safelog(&target.url())
            .arg("restore")
            .arg(&backup)
            .output()
            .unwrap();
        assert!(!again.status.success());
        let text = String::from_utf8_lossy(&again.stderr);
        assert!(text.contains("already exists"), "{text}");
        assert_eq!(text.trim().lines().count(), 1, "{text}");
    }

    // The restored database already holds both schools.
    let restored = spawn_empty_app_with(backend, |c| {
        c.database_url = target.url();
        c.require_2fa = Some(Require2fa::None);
    })
    .await;
    let token = restored.quick_token(&dsl);
    let neighbours = app.neighbour.as_ref().unwrap();
    let held: Vec<String> = incidents::table
        .filter(incidents::school_id.eq(&dsl.school_id))
        .select(incidents::id)
        .load(&mut restored.conn())
        .unwrap();
    let theirs: i64 = incidents::table
        .filter(incidents::id.eq(&neighbours.incident_id))
        .count()
        .get_result(&mut restored.conn())
        .unwrap();
    assert_eq!(
        theirs, 1,
        "the other school's incident is in the backup too"
    );
    let held_set: HashSet<&String> = held.iter().collect();
    for id in &before {
        assert!(
            held_set.contains(id),
            "incident {id} answered 201 before the backup began is missing"
        );
    }
    let all: HashSet<&String> = answered.iter().map(|(_, id)| id).collect();
    for id in &held {
        assert!(
            all.contains(id),
            "the backup holds an incident no one logged: {id}"
        );
        let res = restored
            .client
            .get(restored.url(&format!("/api/v1/incidents/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let got: Value = res.json().await.unwrap();
        assert!(
            got["details"].as_str().unwrap().starts_with("Client "),
            "{got}"
        );
        // Whole: each incident came with its first timeline event.
        let events: i64 = incident_events::table
            .filter(incident_events::incident_id.eq(id))
            .count()
            .get_result(&mut restored.conn())
            .unwrap();
        assert!(events >= 1, "incident {id} is half written");
    }
    eprintln!(
        "{backend:?}: {} incidents logged under load by {CLIENTS} clients, {} answered before the backup began, {} in the backup (taken in {backup_took:?})",
        answered.len(),
        before.len(),
        held.len()
    );
}

async fn on_postgres_safelog_backup_gives_the_pg_dump_command(backend: Backend) {
    let db = TestDb::new(backend);
    let out = safelog(&db.url())
        .args(["backup", "/tmp/never-written.dump"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    match backend {
        Backend::Postgres => {
            assert!(!out.status.success());
            assert!(
                text.contains("pg_dump --format=custom --file=/tmp/never-written.dump"),
                "{text}"
            );
            assert!(!text.contains("postgres://"), "no URL, no password: {text}");
        }
        Backend::Sqlite => {
            // No database yet: nothing to copy, said in one line.
            assert!(!out.status.success());
            assert!(text.contains("there is no database at"), "{text}");
        }
    }
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert!(!std::path::Path::new("/tmp/never-written.dump").exists());
}

on_both_backends!(
    a_backup_taken_under_load_restores_every_incident_acknowledged_before_it,
    on_postgres_safelog_backup_gives_the_pg_dump_command,
);

/// Evidence lives in the data folder, not the database: `safelog backup`
/// copies the files the records attach into `FILE.files` beside the copy,
/// and `safelog restore` brings them back, so a restored record's file
/// downloads whole. A file missing from the data folder is named, never
/// silently left out.
#[tokio::test]
async fn on_sqlite_a_backup_carries_the_attached_files_and_a_restore_brings_them_back() {
    let app = spawn_app(Backend::Sqlite).await;
    app.school_id();
    let dsl = app.add_user("Dee Slade", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let incident = crate::incidents::quick_incident(
        &app,
        &token,
        "Ada Byron",
        "online-bullying",
        "Messages sent in a group chat.",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let letter = format!("%PDF-1.4\nA letter {}\n%%EOF\n", uuid::Uuid::new_v4()).into_bytes();
    let uploaded: Value =
        crate::evidence::api_upload(&app, &token, &incident, "letter.pdf", &letter)
            .await
            .json()
            .await
            .unwrap();
    let hash = uploaded["sha256"].as_str().unwrap().to_string();

    let backup = scratch("safelog-backup");
    let out = safelog(&app.db.url())
        .arg("backup")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("1 attached file(s)"), "{}", said(&out));
    let kept = backup
        .with_file_name("safelog-backup.files")
        .join("attachments")
        .join(&hash[..2])
        .join(&hash);
    assert_eq!(std::fs::read(&kept).unwrap(), letter);

    let target = TestDb::new(Backend::Sqlite);
    let out = safelog(&target.url())
        .arg("restore")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let restored = spawn_empty_app_with(Backend::Sqlite, |c| {
        c.database_url = target.url();
        c.data_dir = target.data_dir();
        c.require_2fa = Some(Require2fa::None);
    })
    .await;
    let token = restored.quick_token(&dsl);
    let attachment = uploaded["id"].as_str().unwrap();
    let res = restored
        .client
        .get(restored.url(&format!(
            "/api/v1/incidents/{incident}/attachments/{attachment}"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), letter.as_slice());

    // A file gone from the data folder: the backup says which, and fails.
    let live = app
        .db
        .data_dir()
        .unwrap()
        .join("attachments")
        .join(&hash[..2])
        .join(&hash);
    std::fs::remove_file(&live).unwrap();
    let again = scratch("safelog-backup");
    let out = safelog(&app.db.url())
        .arg("backup")
        .arg(&again)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = said(&out);
    assert!(text.contains(&hash) && text.contains("missing"), "{text}");
}
