//! Several schools in one deployment: one person, one account, roles in
//! each school they work in; a session works in one school at a time and
//! switches from the header; `safelog trust add` and `safelog school add`;
//! and the migration that turned single-school accounts into memberships.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use safelog::auth::Role;
use serde_json::Value;

use crate::helpers::{location, spawn_app, Backend, TestDb};
use crate::incidents::quick_incident;
use crate::on_both_backends;

async fn me(b: &crate::helpers::Browser) -> Value {
    b.get("/api/v1/me").await.json().await.unwrap()
}

async fn a_person_in_two_schools_signs_in_once_and_works_in_one_school_at_a_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Brook Trust"));
    let dana = app.add_user("Dana Dual", &[Role::Dsl]);
    app.add_membership(&dana, &brook, &[Role::Staff]);
    let tutor_a = app.add_user("Alf Tutor", &[Role::Staff]);
    let tutor_b = app.add_user_to(&brook, "Bea Tutor", &[Role::Staff]);
    let in_hill = quick_incident(
        &app,
        &app.quick_token(&tutor_a),
        "Amy Alder",
        "online-bullying",
        "At the test school",
    )
    .await;
    let in_brook = quick_incident(
        &app,
        &app.quick_token(&tutor_b),
        "Ben Birch",
        "online-bullying",
        "At Brook",
    )
    .await;
    let record = |i: &Value| format!("/incidents/{}", i["id"].as_str().unwrap());

    // Signed in once, in the home school, as its DSL.
    let b = app.signed_in(&dana).await;
    let home = b.text("/").await;
    assert!(
        home.contains("School: <strong>Test School</strong>"),
        "{home}"
    );
    assert!(home.contains("Brook School") && home.contains("Switch"));
    let list = b.text("/incidents").await;
    assert!(list.contains("Amy Alder"), "{list}");
    assert!(
        !list.contains("Ben Birch"),
        "another school's incident listed"
    );
    assert_eq!(b.get(&record(&in_hill)).await.status(), 200);
    assert_eq!(b.get(&record(&in_brook)).await.status(), 404);
    assert_eq!(b.get("/reports").await.status(), 200, "a DSL reads reports");
    let who = me(&b).await;
    assert_eq!(who["school_id"], hill.as_str());
    assert_eq!(who["roles"], serde_json::json!(["dsl"]));

    // Switched to Brook: Brook's data only, with the role held there.
    let res = b.post("/account/school", &[("school_id", &brook)]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/".into()));
    let home = b.text("/").await;
    assert!(
        home.contains("School: <strong>Brook School</strong>"),
        "{home}"
    );
    let list = b.text("/incidents").await;
    assert!(!list.contains("Amy Alder"), "the other school's incident");
    assert!(
        !list.contains("Ben Birch"),
        "staff read only what they logged"
    );
    assert_eq!(b.get(&record(&in_hill)).await.status(), 404);
    assert_eq!(b.get(&record(&in_brook)).await.status(), 404);
    assert_eq!(b.get("/reports").await.status(), 404, "staff at Brook");
    let who = me(&b).await;
    assert_eq!(who["school_id"], brook.as_str());
    assert_eq!(who["roles"], serde_json::json!(["staff"]));
    assert!(app.audit_actions().iter().any(|(action, actor, from)| {
        action == "school_switched"
            && actor.as_deref() == Some(dana.id.as_str())
            && from.as_deref() == Some(hill.as_str())
    }));

    // What she logs at Brook is Brook's.
    let mine = quick_incident(
        &app,
        &b.cookie("safelog_session").unwrap(),
        "Cal Cedar",
        "online-bullying",
        "Logged at Brook",
    )
    .await;
    assert!(b.text("/incidents").await.contains("Cal Cedar"));
    let owner: String = {
        use diesel::prelude::*;
        use safelog::db::schema::incidents;
        incidents::table
            .find(mine["id"].as_str().unwrap())
            .select(incidents::school_id)
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(owner, brook);

    // And back again.
    b.post("/account/school", &[("school_id", &hill)]).await;
    let list = b.text("/incidents").await;
    assert!(list.contains("Amy Alder") && !list.contains("Cal Cedar"));
}

async fn switching_to_a_school_without_a_membership_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Brook Trust"));
    let cove = app.add_school("Cove School", "100003", None);
    let dana = app.add_user("Dana Dual", &[Role::Dsl]);
    app.add_membership(&dana, &brook, &[Role::Staff]);
    let b = app.signed_in(&dana).await;
    for elsewhere in [
        cove.as_str(),
        &uuid::Uuid::nil().to_string(),
        "",
        "Cove School",
    ] {
        let res = b.post("/account/school", &[("school_id", elsewhere)]).await;
        assert_eq!(res.status(), 404, "{elsewhere:?}");
    }
    assert_eq!(me(&b).await["school_id"], hill.as_str(), "still at home");
    assert!(!app
        .audit_actions()
        .iter()
        .any(|(action, _, _)| action == "school_switched"));

    // Someone with one school sees no switch, and cannot use one.
    let single = app.add_user("Sid Single", &[Role::Dsl]);
    let s = app.signed_in(&single).await;
    let home = s.text("/").await;
    assert!(!home.contains("School: <strong>"), "{home}");
    let res = s.post("/account/school", &[("school_id", &brook)]).await;
    assert_eq!(res.status(), 404);

    // A membership ended while signed in there: nothing of that school's
    // is open to the session any more.
    b.post("/account/school", &[("school_id", &brook)]).await;
    assert_eq!(me(&b).await["school_id"], brook.as_str());
    safelog::accounts::store::set_roles(&mut app.conn(), &dana.id, &brook, &[]).unwrap();
    assert_eq!(b.get("/incidents").await.status(), 404);
    assert_eq!(me(&b).await["roles"], serde_json::json!([]));
}

/// An administrator of one school manages a shared person's roles there,
/// and nothing their other schools rely on: not their email (a changed
/// address and a reset link would hand over the other school's records),
/// name, initials or second factor; "deactivate" takes them out of this
/// school only.
async fn an_administrator_manages_a_shared_person_only_in_their_own_school(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Brook Trust"));
    let ada = app.add_user("Ada Admin", &[Role::Admin]);
    let dana = app.add_user_to(&brook, "Dana Dual", &[Role::Dsl]);
    app.add_membership(&dana, &hill, &[Role::Staff]);
    let roles = |school: &str| {
        let mut held =
            safelog::accounts::store::roles_in(&mut app.conn(), &dana.id, school).unwrap();
        held.sort();
        held
    };
    let b = app.signed_in(&ada).await;
    let page_path = format!("/admin/users/{}", dana.id);
    assert!(b.text("/admin/users").await.contains("Dana Dual"));
    let page = b.text(&page_path).await;
    assert!(page.contains("also works at Brook School"), "{page}");
    assert!(page.contains("Remove from this school"));

    let form = |email: &'static str, name: &'static str| {
        vec![
            ("name", name),
            ("email", email),
            ("initials", "DD"),
            ("role", "staff"),
            ("role", "online_safety_lead"),
        ]
    };
    let mut taken = form("", "Dana Dual");
    taken[1].1 = "ada.takes.over@school.test";
    let res = b.post(&page_path, &taken).await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("administrator of every school"));
    let res = b.post(&page_path, &form("", "Dana Renamed")).await;
    assert_eq!(res.status(), 422, "the name is hers everywhere");
    let account = safelog::accounts::store::user(&mut app.conn(), &dana.id).unwrap();
    assert_eq!(
        (account.email.as_str(), account.name.as_str()),
        (dana.email.as_str(), "Dana Dual")
    );
    assert_eq!(roles(&hill), vec![Role::Staff], "nothing saved");

    // Her roles here are this school's to change.
    let mut same = form("", "Dana Dual");
    same[1].1 = &dana.email;
    let res = b.post(&page_path, &same).await;
    assert_eq!(location(&res), "/admin/users?saved=1");
    assert_eq!(roles(&hill), vec![Role::Staff, Role::OnlineSafetyLead]);
    assert_eq!(roles(&brook), vec![Role::Dsl], "Brook's roles untouched");
    let res = b
        .post(&format!("/admin/users/{}/reset-2fa", dana.id), &[])
        .await;
    assert_eq!(res.status(), 403);

    // She leaves this school: her sessions here end, at Brook she works on.
    let at_brook = app.signed_in(&dana).await;
    let at_hill = app.signed_in(&dana).await;
    at_hill
        .post("/account/school", &[("school_id", &hill)])
        .await;
    assert_eq!(me(&at_hill).await["school_id"], hill.as_str());
    let res = b
        .post(&format!("/admin/users/{}/deactivate", dana.id), &[])
        .await;
    assert_eq!(location(&res), "/admin/users?saved=1");
    assert!(roles(&hill).is_empty());
    assert_eq!(roles(&brook), vec![Role::Dsl]);
    assert_eq!(b.get(&page_path).await.status(), 404);
    assert!(!b.text("/admin/users").await.contains("Dana Dual"));
    assert_eq!(at_hill.get("/api/v1/me").await.status(), 401);
    assert_eq!(me(&at_brook).await["roles"], serde_json::json!(["dsl"]));
    assert!(
        safelog::accounts::store::user(&mut app.conn(), &dana.id)
            .unwrap()
            .active
    );
    assert!(app.audit_actions().iter().any(|(action, actor, record)| {
        action == "membership_ended"
            && actor.as_deref() == Some(ada.id.as_str())
            && record.as_deref() == Some(dana.id.as_str())
    }));

    // An administrator of every one of her schools may change her details.
    let max = app.add_user("Max Admin", &[Role::Admin]);
    app.add_membership(&max, &brook, &[Role::Admin]);
    app.add_membership(&dana, &hill, &[Role::Staff]);
    let m = app.signed_in(&max).await;
    let mut renamed = form("", "Dana Dual-Renamed");
    renamed[1].1 = &dana.email;
    let res = m.post(&page_path, &renamed).await;
    assert_eq!(location(&res), "/admin/users?saved=1");
}

/// A school made at setup has no URN until its administrator gives it
/// one on the settings page; another school's URN is refused there.
async fn a_school_made_without_a_urn_is_asked_for_it_on_its_settings_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = safelog::accounts::store::create_school(
        &mut app.conn(),
        "Setup School",
        app.clock.now_naive(),
    )
    .unwrap();
    let admin = app.add_user_to(&setup.id, "Ada Admin", &[Role::Admin]);
    let b = app.signed_in(&admin).await;
    assert!(b.text("/admin").await.contains("Add the school's URN"));
    let save = |urn: &'static str| {
        let b = &b;
        async move {
            b.post(
                "/admin/school",
                &[
                    ("name", "Setup School"),
                    ("require_2fa", "none"),
                    ("report_min_count", "3"),
                    ("urn", urn),
                ],
            )
            .await
        }
    };
    let urn_now = || {
        safelog::accounts::store::school(&mut app.conn(), &setup.id)
            .unwrap()
            .urn
    };
    let res = save("12345").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("six digits"));
    let res = save("900001").await;
    assert_eq!(res.status(), 422, "the neighbouring school's URN");
    let page = res.text().await.unwrap();
    assert!(page.contains("Another school in safelog already has this URN"));
    assert!(
        !page.contains(crate::helpers::NEIGHBOUR_SCHOOL),
        "not named"
    );
    assert_eq!(urn_now(), None);
    assert_eq!(location(&save("100005").await), "/admin?saved=1");
    assert_eq!(urn_now().as_deref(), Some("100005"));
    assert!(!b.text("/admin").await.contains("Add the school's URN"));
    assert!(b.text("/admin/school").await.contains("value=\"100005\""));
    // A blank never takes a URN away.
    assert_eq!(location(&save("").await), "/admin?saved=1");
    assert_eq!(urn_now().as_deref(), Some("100005"));
}

on_both_backends!(
    a_school_made_without_a_urn_is_asked_for_it_on_its_settings_page,
    a_person_in_two_schools_signs_in_once_and_works_in_one_school_at_a_time,
    switching_to_a_school_without_a_membership_is_not_found,
    an_administrator_manages_a_shared_person_only_in_their_own_school,
);

/// Runs `safelog ARGS` against the database, with `stdin` as its input.
fn safelog(db_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safelog"))
        .args(args)
        .args(["--database-url", db_url])
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{stdin}").unwrap();
    child.wait_with_output().unwrap()
}

fn said(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A refusal: non-zero, one line on stderr that says `expected`.
fn refused(out: &Output, expected: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {expected}");
    assert!(err.contains(expected), "{expected:?} not in {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

async fn trusts_and_schools_are_added_from_a_script_and_mistakes_are_one_line(backend: Backend) {
    let db = TestDb::new(backend);
    let url = db.url();
    let out = safelog(&url, &["trust", "add", "--name", "Oak Learning Trust"], "");
    assert!(said(&out).contains("Added the trust Oak Learning Trust."));
    refused(
        &safelog(
            &url,
            &["trust", "add", "--name", " oak learning TRUST "],
            "",
        ),
        "already a trust named 'Oak Learning Trust'",
    );
    refused(
        &safelog(&url, &["trust", "add", "--name", " "], ""),
        "--name",
    );

    let out = safelog(
        &url,
        &[
            "school",
            "add",
            "--name",
            "Oak Primary",
            "--urn",
            "123456",
            "--trust",
            "oak learning trust",
        ],
        "",
    );
    assert!(
        said(&out).contains("Added Oak Primary (URN 123456) to Oak Learning Trust."),
        "{out:?}"
    );
    let out = safelog(
        &url,
        &["school", "add", "--name", "Ash Primary", "--urn", "654321"],
        "",
    );
    assert!(said(&out).contains("Added Ash Primary (URN 654321)."));

    for (urn, trust, expected) in [
        ("123456", None, "URN 123456 is already Oak Primary's"),
        ("12345", None, "not a URN"),
        ("1234567", None, "not a URN"),
        ("12345a", None, "not a URN"),
        ("12 456", None, "not a URN"),
        ("777777", Some("Elm Trust"), "no trust named 'Elm Trust'"),
    ] {
        let mut args = vec!["school", "add", "--name", "Elm Primary", "--urn", urn];
        if let Some(t) = trust {
            args.extend(["--trust", t]);
        }
        refused(&safelog(&url, &args, ""), expected);
    }

    let pool = safelog::db::open(&url).unwrap();
    let mut conn = pool.get().unwrap();
    let schools = safelog::accounts::store::all_schools(&mut conn).unwrap();
    let trust = safelog::accounts::store::trust_by_name(&mut conn, "Oak Learning Trust")
        .unwrap()
        .unwrap();
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = schools
        .iter()
        .map(|s| (s.name.as_str(), s.urn.as_deref(), s.trust_id.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Ash Primary", Some("654321"), None),
            ("Oak Primary", Some("123456"), Some(trust.id.as_str())),
        ]
    );
    assert_eq!(
        safelog::accounts::store::all_trusts(&mut conn)
            .unwrap()
            .len(),
        1
    );

    // The database refuses a malformed or duplicate URN too, whatever
    // writes it.
    let oak = &schools[1];
    for bad in ["12345", "abcdef", "654321"] {
        let urn = diesel::sql_query(format!(
            "UPDATE schools SET urn = '{bad}' WHERE id = '{}'",
            oak.id
        ))
        .execute(&mut conn);
        assert!(urn.is_err(), "{bad} stored");
    }
}

async fn user_add_gives_an_existing_account_roles_at_another_school(backend: Backend) {
    let db = TestDb::new(backend);
    let url = db.url();
    said(&safelog(
        &url,
        &["school", "add", "--name", "Oak Primary", "--urn", "123456"],
        "",
    ));
    said(&safelog(
        &url,
        &["school", "add", "--name", "Ash Primary", "--urn", "654321"],
        "",
    ));
    let add = |school: &str, role: &str, password: &str| {
        safelog(
            &url,
            &[
                "user",
                "add",
                "--email",
                "Dana@Schools.test",
                "--name",
                "Dana Dual",
                "--initials",
                "DD",
                "--role",
                role,
                "--password-stdin",
                "--school",
                school,
            ],
            password,
        )
    };
    assert!(said(&add("Oak Primary", "dsl", "the first long password")).contains("Created"));
    // The same person at the other school (named by its URN): a membership,
    // not a second account; the password given is not used.
    let out = add("654321", "staff", "another long password");
    assert!(
        said(&out).contains("now also works at Ash Primary with roles: staff"),
        "{out:?}"
    );
    refused(
        &add("Ash Primary", "admin", "another long password"),
        "already an account with the email dana@schools.test at Ash Primary",
    );
    refused(
        &safelog(
            &url,
            &[
                "user",
                "add",
                "--email",
                "new@schools.test",
                "--name",
                "New",
                "--initials",
                "N",
                "--role",
                "staff",
                "--password-stdin",
            ],
            "a long enough password",
        ),
        "several schools",
    );

    let pool = safelog::db::open(&url).unwrap();
    let mut conn = pool.get().unwrap();
    use safelog::accounts::store;
    let dana = store::user_by_email(&mut conn, "dana@schools.test")
        .unwrap()
        .unwrap();
    assert!(safelog::auth::password::verify(
        "the first long password",
        &dana.password_hash
    ));
    let schools = store::memberships(&mut conn, &dana.id).unwrap();
    let names: Vec<&str> = schools.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["Ash Primary", "Oak Primary"]);
    for (id, name) in &schools {
        let roles = store::roles_in(&mut conn, &dana.id, id).unwrap();
        let expected = if name == "Oak Primary" {
            vec![Role::Dsl]
        } else {
            vec![Role::Staff]
        };
        assert_eq!(roles, expected, "{name}");
    }
    assert_eq!(store::user_count(&mut conn).unwrap(), 1, "one account");
}

/// `safelog user add --trust`: a trust safeguarding lead, held across the
/// trust's schools (no membership of any), for a new account or one that
/// already works at a school.
async fn user_add_makes_a_trust_safeguarding_lead(backend: Backend) {
    let db = TestDb::new(backend);
    let url = db.url();
    said(&safelog(&url, &["trust", "add", "--name", "Oak Trust"], ""));
    said(&safelog(
        &url,
        &["trust", "add", "--name", "Empty Trust"],
        "",
    ));
    for (name, urn) in [("Oak Primary", "123456"), ("Ash Primary", "654321")] {
        said(&safelog(
            &url,
            &[
                "school",
                "add",
                "--name",
                name,
                "--urn",
                urn,
                "--trust",
                "Oak Trust",
            ],
            "",
        ));
    }
    let add = |email: &str, role: &str, trust: Option<&str>| {
        let mut args = vec![
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Tia Lead",
            "--initials",
            "TL",
            "--role",
            role,
            "--password-stdin",
        ];
        if let Some(t) = trust {
            args.extend(["--trust", t]);
        }
        safelog(&url, &args, "a long enough password")
    };
    let out = add("tia@oak.test", "trust_safeguarding_lead", Some("oak trust"));
    assert!(
        said(&out).contains("Created Tia Lead <tia@oak.test> across Oak Trust"),
        "{out:?}"
    );
    refused(
        &add("tia@oak.test", "trust-safeguarding-lead", Some("Oak Trust")),
        "already holds trust_safeguarding_lead across Oak Trust",
    );
    refused(
        &add("tia@oak.test", "dsl", Some("Oak Trust")),
        "--trust gives only roles held across a trust",
    );
    refused(
        &add("tia@oak.test", "trust_safeguarding_lead", None),
        "name it with --trust",
    );
    refused(
        &add("new@oak.test", "trust_safeguarding_lead", Some("Elm Trust")),
        "no trust named 'Elm Trust'",
    );
    refused(
        &add(
            "new@oak.test",
            "trust_safeguarding_lead",
            Some("Empty Trust"),
        ),
        "Empty Trust has no school yet",
    );

    let pool = safelog::db::open(&url).unwrap();
    let mut conn = pool.get().unwrap();
    use safelog::accounts::store;
    let tia = store::user_by_email(&mut conn, "tia@oak.test")
        .unwrap()
        .unwrap();
    assert!(store::memberships(&mut conn, &tia.id).unwrap().is_empty());
    let schools = store::workplaces(&mut conn, &tia.id).unwrap();
    let names: Vec<&str> = schools.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["Ash Primary", "Oak Primary"]);
    for (id, name) in &schools {
        assert_eq!(
            store::roles_working_in(&mut conn, &tia.id, id).unwrap(),
            vec![Role::TrustSafeguardingLead],
            "{name}"
        );
    }
    assert_eq!(store::user_count(&mut conn).unwrap(), 1, "one account");
}

on_both_backends!(
    trusts_and_schools_are_added_from_a_script_and_mistakes_are_one_line,
    user_add_gives_an_existing_account_roles_at_another_school,
    user_add_makes_a_trust_safeguarding_lead,
);

/// The migration that made memberships, run on a database made before it:
/// every account keeps its roles, now as a membership of its school, and a
/// session made before it goes on working in that school.
async fn existing_accounts_become_memberships_with_nothing_lost(backend: Backend) {
    const MEMBERSHIPS: &str = "2026-12-07-000001_trusts_and_memberships";
    let db = TestDb::new(backend);
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        });
    let migrations = || FileBasedMigrations::from_path(&folder).unwrap();
    let before = "INSERT INTO schools (id, name, created_at) VALUES ('s1', 'Old School', '2025-01-01 00:00:00');
        INSERT INTO schools (id, name, created_at) VALUES ('s2', 'Other School', '2025-01-01 00:00:00');
        INSERT INTO users (id, school_id, email, name, initials, password_hash, active, created_at, updated_at)
            VALUES ('u1', 's1', 'head@old.test', 'Hana Head', 'HH', 'x', TRUE, '2025-01-01 00:00:00', '2025-01-01 00:00:00');
        INSERT INTO users (id, school_id, email, name, initials, password_hash, active, created_at, updated_at)
            VALUES ('u2', 's2', 'tutor@other.test', 'Tom Tutor', 'TT', 'x', TRUE, '2025-01-01 00:00:00', '2025-01-01 00:00:00');
        INSERT INTO user_roles (user_id, school_id, role) VALUES ('u1', 's1', 'headteacher');
        INSERT INTO user_roles (user_id, school_id, role) VALUES ('u1', 's1', 'dsl');
        INSERT INTO user_roles (user_id, school_id, role) VALUES ('u1', 's1', 'leadership');
        INSERT INTO user_roles (user_id, school_id, role) VALUES ('u2', 's2', 'staff');
        INSERT INTO sessions (id, user_id, school_id, stage, created_at, last_seen_at)
            VALUES ('sess1', 'u1', 's1', 'complete', '2025-01-01 00:00:00', '2025-01-01 00:00:00');";
    // Everything before the memberships migration, then the old shape's rows.
    macro_rules! up_to_memberships {
        ($conn:expr) => {{
            let conn = $conn;
            let pending = conn.pending_migrations(migrations()).unwrap();
            assert!(pending.iter().any(|m| m.name().to_string() == MEMBERSHIPS));
            for m in pending
                .iter()
                .take_while(|m| m.name().to_string() != MEMBERSHIPS)
            {
                conn.run_migration(m.as_ref()).unwrap();
            }
            conn.batch_execute(before).unwrap();
        }};
    }
    match backend {
        Backend::Sqlite => {
            let path = db.url().trim_start_matches("sqlite://").to_string();
            up_to_memberships!(&mut diesel::SqliteConnection::establish(&path).unwrap())
        }
        Backend::Postgres => {
            up_to_memberships!(&mut diesel::PgConnection::establish(&db.url()).unwrap())
        }
    }

    let pool = safelog::db::open(&db.url()).expect("the rest of the migrations apply");
    let mut conn = pool.get().unwrap();
    use safelog::accounts::store;
    let mut head = store::roles_in(&mut conn, "u1", "s1").unwrap();
    head.sort();
    assert_eq!(head, vec![Role::Dsl, Role::Headteacher, Role::Leadership]);
    assert_eq!(
        store::roles_in(&mut conn, "u2", "s2").unwrap(),
        vec![Role::Staff]
    );
    assert!(store::roles_in(&mut conn, "u1", "s2").unwrap().is_empty());
    assert_eq!(
        store::memberships(&mut conn, "u1").unwrap(),
        vec![("s1".to_string(), "Old School".to_string())]
    );
    let user = store::user(&mut conn, "u1").unwrap();
    assert_eq!(user.home_school_id, "s1");
    assert_eq!(
        safelog::auth::store::starting_school(&mut conn, &user).unwrap(),
        "s1"
    );
    let (session, _) = safelog::auth::store::live_session(&mut conn, "sess1")
        .unwrap()
        .unwrap();
    assert_eq!(session.school_id, "s1");
    let old = store::school(&mut conn, "s1").unwrap();
    assert_eq!((old.urn, old.trust_id), (None, None), "no URN is made up");

    // The new key: the same role in a second school is a second membership.
    store::set_roles(&mut conn, "u1", "s2", &[Role::Dsl]).unwrap();
    assert_eq!(store::memberships(&mut conn, "u1").unwrap().len(), 2);
    assert_eq!(store::roles_in(&mut conn, "u1", "s1").unwrap().len(), 3);
}

on_both_backends!(existing_accounts_become_memberships_with_nothing_lost);

async fn token_for(
    app: &crate::helpers::TestApp,
    user: &crate::helpers::TestUser,
    school: Option<&str>,
) -> reqwest::Response {
    let mut body = serde_json::json!({"email": user.email, "password": user.password});
    if let Some(school) = school {
        body["school"] = school.into();
    }
    app.client
        .post(app.url("/api/v1/auth/token"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// An API client of someone in two schools names the school its token works
/// in (by URN or name; the home school otherwise), and `me` lists the
/// schools it could have named.
async fn an_api_token_works_in_the_school_it_names(backend: Backend) {
    let app = spawn_app(backend).await;
    let hill = app.school_id();
    let brook = app.add_school("Brook School", "100002", Some("Brook Trust"));
    let dana = app.add_user("Dana Dual", &[Role::Staff]);
    app.add_membership(&dana, &brook, &[Role::Dsl]);
    let tutor_b = app.add_user_to(&brook, "Bea Tutor", &[Role::Staff]);
    quick_incident(
        &app,
        &app.quick_token(&tutor_b),
        "Ben Birch",
        "online-bullying",
        "At Brook",
    )
    .await;

    let token = |res: Value| res["token"].as_str().unwrap().to_string();
    let home = token_for(&app, &dana, None).await;
    assert_eq!(home.status(), 200);
    let home = token(home.json().await.unwrap());
    let who: Value = app
        .get_with("/api/v1/me", &home)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(who["school_id"], hill.as_str());
    let schools: Vec<&str> = who["schools"]
        .as_array()
        .expect("me lists the schools")
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(schools, ["Brook School", "Test School"]);
    let list: Value = app
        .get_with("/api/v1/incidents", &home)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "staff at Hill see only what they logged");

    for named in ["100002", "brook school"] {
        let res = token_for(&app, &dana, Some(named)).await;
        assert_eq!(res.status(), 200, "{named}");
        let brook_token = token(res.json().await.unwrap());
        let who: Value = app
            .get_with("/api/v1/me", &brook_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(who["school_id"], brook.as_str(), "{named}");
        assert_eq!(who["roles"], serde_json::json!(["dsl"]));
        let list: Value = app
            .get_with("/api/v1/incidents", &brook_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1, "Brook's DSL reads Brook's incident");
    }

    // A school they hold no role at is refused by name, with their own
    // schools listed; the neighbour school exists, and is refused the same.
    for named in ["Neighbour School", "Nowhere Academy"] {
        let res = token_for(&app, &dana, Some(named)).await;
        assert_eq!(res.status(), 422, "{named}");
        let body: Value = res.json().await.unwrap();
        let said = body["fields"]["school"].as_str().unwrap_or_default();
        assert!(
            said.contains(named) && said.contains("Brook School, Test School"),
            "{body}"
        );
    }
}

/// A trust safeguarding lead holds no role of the school they work in, but
/// reads its incidents: their API sign-in is held to the school's two-factor
/// rule as a DSL's is, not let through as plain staff.
async fn a_trust_lead_without_two_factor_gets_no_api_token(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |c| c.require_2fa = None).await;
    let lead = crate::trust::trust_lead(&app, &app.school_id(), "Test Trust", "Tara Trustlead");
    let res = token_for(&app, &lead, None).await;
    assert_eq!(res.status(), 403, "must set up two-factor sign-in first");
}

on_both_backends!(
    an_api_token_works_in_the_school_it_names,
    a_trust_lead_without_two_factor_gets_no_api_token,
);
