//! Logging under `kill -9`: the real binary takes incidents from sixteen
//! clients at once and is killed mid-stream, again and again. Every
//! incident answered 201 is in the database afterwards, with a reference
//! of its own: the group committer (`db/writer.rs`) answers no one before
//! the commit holding their incident has reached the disk.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use safelog::auth::Role;

use crate::helpers::{Backend, TestDb};
use crate::mail::free_port;
use crate::on_both_backends;

const KILLS: usize = 8;
const CLIENTS: usize = 16;
const SECRET: &str = "crash-test-secret-that-is-long-enough-for-hs256";
const PASSWORD: &str = "the crash tutor's long password";

fn serve(db: &TestDb, data_dir: &std::path::Path, port: u16) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    let child = cmd
        .arg("serve")
        .env("SAFELOG_DATABASE_URL", db.url())
        .env("SAFELOG_DATA_DIR", data_dir)
        .env("SAFELOG_BIND", format!("127.0.0.1:{port}"))
        .env("SAFELOG_JWT_SECRET", SECRET)
        .env("SAFELOG_REQUIRE_2FA", "none")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("safelog serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "safelog did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn seed(url: &str) {
    let pool = safelog::db::open(url).unwrap();
    let mut conn = pool.get().unwrap();
    let now = safelog::clock::Clock::system().now_naive();
    let school = safelog::accounts::store::create_school(&mut conn, "Crash School", now)
        .unwrap()
        .id;
    safelog::categories::store::for_school(&mut conn, &school, now).unwrap();
    let hash = safelog::auth::password::hash(PASSWORD).unwrap();
    for (email, name, roles) in [
        ("tutor@crash.test", "Crash Tutor", &[Role::Staff][..]),
        (
            "dsl@crash.test",
            "Crash Lead",
            &[Role::Dsl, Role::OnlineSafetyLead],
        ),
    ] {
        safelog::accounts::store::create_user(
            &mut conn,
            &safelog::accounts::store::NewUser {
                school_id: &school,
                email,
                name,
                initials: "CT",
                password_hash: &hash,
                roles,
            },
            now,
        )
        .unwrap();
    }
}

async fn token(client: &reqwest::Client, port: u16) -> String {
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "tutor@crash.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every (idempotency key, id) answered 201 before the kill.
async fn log_until_killed(
    client: &reqwest::Client,
    port: u16,
    token: &str,
    round: usize,
    child: &mut Child,
) -> Vec<(String, String)> {
    let answered = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (client, answered) = (client.clone(), answered.clone());
            let url = format!("http://127.0.0.1:{port}/api/v1/incidents");
            let auth = format!("Bearer {token}");
            tokio::spawn(async move {
                for n in 0.. {
                    let key = format!("r{round}-c{c}-n{n}");
                    let sent = client
                        .post(&url)
                        .header("authorization", &auth)
                        .header("Idempotency-Key", &key)
                        .json(&serde_json::json!({
                            "pupil_name": format!("Crash Pupil {}", (c * 7 + n) % 40),
                            "tutor_group": "8C",
                            "category": if n.is_multiple_of(4) { "self-harm" } else { "online-bullying" },
                            "details": "Sent unkind messages in a group chat.",
                        }))
                        .send()
                        .await;
                    // The kill closes the connection: this client is done.
                    let Ok(res) = sent else { break };
                    if res.status() != 201 {
                        break;
                    }
                    let Ok(body) = res.json::<serde_json::Value>().await else {
                        break;
                    };
                    let id = body["id"].as_str().unwrap().to_string();
                    answered.lock().unwrap().push((key, id));
                }
            })
        })
        .collect();
    // A different moment in each round, from one to two and a half seconds
    // (a debug build on a busy machine logs a few dozen a second).
    tokio::time::sleep(Duration::from_millis(1000 + (round as u64 * 337) % 1500)).await;
    child.kill().unwrap(); // SIGKILL: no shutdown, no cleanup
    child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let got = answered.lock().unwrap().clone();
    got
}

async fn every_incident_answered_201_survives_kill_9_mid_logging(backend: Backend) {
    let db = TestDb::new(backend);
    let data_dir = db
        .data_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("safelog-tests").join("pg-crash"));
    seed(&db.url());
    let client = reqwest::Client::new();
    let mut answered = Vec::new();
    let mut bearer = None;
    for round in 0..KILLS {
        let port = free_port();
        let mut child = serve(&db, &data_dir, port);
        if bearer.is_none() {
            bearer = Some(token(&client, port).await);
        }
        let token = bearer.as_deref().unwrap();
        answered.extend(log_until_killed(&client, port, token, round, &mut child).await);
    }
    assert!(
        answered.len() >= KILLS * 4,
        "too few incidents were answered for the test to mean anything: {}",
        answered.len()
    );

    use diesel::prelude::*;
    use safelog::db::schema::incidents;
    let pool = safelog::db::connect(&db.url()).unwrap();
    let mut conn = pool.get().unwrap();
    let stored: Vec<(String, Option<String>, String)> = incidents::table
        .select((
            incidents::id,
            incidents::idempotency_key,
            incidents::reference,
        ))
        .load(&mut conn)
        .unwrap();
    eprintln!(
        "{} incidents answered 201 over {KILLS} kills, {} stored",
        answered.len(),
        stored.len()
    );
    let ids: BTreeSet<&str> = stored.iter().map(|(id, _, _)| id.as_str()).collect();
    let lost: Vec<&(String, String)> = answered
        .iter()
        .filter(|(_, id)| !ids.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} incidents answered 201 were lost: {lost:?}",
        lost.len(),
        answered.len()
    );
    let references: BTreeSet<&str> = stored.iter().map(|(_, _, r)| r.as_str()).collect();
    assert_eq!(
        references.len(),
        stored.len(),
        "every incident has its own reference"
    );
    let keys: BTreeSet<&str> = stored.iter().filter_map(|(_, k, _)| k.as_deref()).collect();
    assert_eq!(keys.len(), stored.len(), "no submission made two incidents");
}

on_both_backends!(every_incident_answered_201_survives_kill_9_mid_logging,);
