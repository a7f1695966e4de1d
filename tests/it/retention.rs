//! Retention (issue 16): records come up for review at the pupil's date of
//! birth + 25 years; a pupil with no date of birth is listed for someone to
//! supply one; "keep" moves the review on with a reason; "destroy" leaves a
//! tombstone and no trace of the narrative (search on both backends, the
//! export, the record page, the files on disk) while the termly report
//! still counts the record; a legal hold stops destruction until lifted;
//! only the DPO and the DSL reach the queue.

use serde_json::{json, Value};

use safelog::auth::Role;

use crate::evidence::{api_upload, pdf};
use crate::helpers::{location, spawn_app, Backend, Browser, TestApp, TestUser};
use crate::incidents::{api_get, api_post, quick_incident};
use crate::on_both_backends;

struct People {
    staff: TestUser,
    dsl: TestUser,
    dpo: TestUser,
    osl: TestUser,
}

fn people(app: &TestApp) -> People {
    People {
        staff: app.add_user("Stan Staff", &[Role::Staff]),
        dsl: app.add_user("Dee Dsl", &[Role::Dsl]),
        dpo: app.add_user("Dan Dpo", &[Role::Dpo]),
        osl: app.add_user("Olive Osl", &[Role::OnlineSafetyLead]),
    }
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Sets a pupil's date of birth as the school's MIS would.
fn born(app: &TestApp, pupil_id: &str, dob: &str) {
    use diesel::prelude::*;
    use safelog::db::schema::pupils;
    diesel::update(pupils::table.find(pupil_id))
        .set(pupils::date_of_birth.eq(chrono::NaiveDate::parse_from_str(dob, "%Y-%m-%d").unwrap()))
        .execute(&mut app.conn())
        .unwrap();
}

async fn due(app: &TestApp, token: &str) -> Value {
    let (status, body) = api_get(app, token, "/api/v1/retention/due").await;
    assert_eq!(status, 200, "{body}");
    body
}

fn references(due: &Value) -> Vec<String> {
    due["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap().to_string())
        .collect()
}

async fn close(app: &TestApp, dsl: &str, id: &str) {
    let res = api_post(
        app,
        dsl,
        &format!("/api/v1/incidents/{id}/status"),
        &json!({"status": "closed", "reason": "Dealt with.", "outcome": "Resolved with the family."}),
    )
    .await;
    assert_eq!(res.status(), 200);
}

async fn destroy(b: &Browser, made: &Value, reason: &str) -> reqwest::Response {
    b.post(
        &format!("/retention/incidents/{}", made["id"].as_str().unwrap()),
        &[
            ("decision", "destroy"),
            ("reason", reason),
            ("confirm", made["reference"].as_str().unwrap()),
        ],
    )
    .await
}

async fn a_record_comes_up_for_review_at_its_latest_pupils_birth_date_plus_25_years(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let dsl = app.quick_token(&p.dsl);
    // Born 1990: reviewed from 4 March 2015, well before "today" (12/11/2025).
    let old = quick_incident(&app, &staff, "Olga Older", "online-bullying", "old words").await;
    born(&app, old["pupil_id"].as_str().unwrap(), "1990-03-04");
    // Born 2010: not until 2035.
    let young = quick_incident(&app, &staff, "Yann Young", "online-bullying", "young words").await;
    born(&app, young["pupil_id"].as_str().unwrap(), "2010-01-01");
    // Two pupils: the older is due, the younger is not, and the latest
    // date of birth decides.
    let res = api_post(
        &app,
        &staff,
        "/api/v1/incidents",
        &json!({"pupil_name": "Olga Older", "tutor_group": "9B", "incident_date": "2025-10-01",
                "category": "online-bullying", "details": "two pupils",
                "other_pupils": [{"name": "Yann Young", "tutor_group": "9B", "role": "witness"}]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let both: Value = res.json().await.unwrap();

    let body = due(&app, &dsl).await;
    assert_eq!(references(&body), vec![old["reference"].as_str().unwrap()]);
    assert_eq!(body["items"][0]["review_on"], "2015-03-04");
    assert_eq!(body["items"][0]["period"], "date of birth + 25 years");
    assert_eq!(body["pupils_without_date_of_birth"], 0);

    // The record's page says when and why.
    let b = app.signed_in(&p.dsl).await;
    let page = b
        .text(&format!(
            "/retention/incidents/{}",
            both["id"].as_str().unwrap()
        ))
        .await;
    assert!(page.contains("01/01/2035"), "{page}");
    assert!(page.contains("not yet due"), "{page}");
    // It cannot be destroyed before then.
    let res = destroy(&b, &both, "Too early.").await;
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not due for review until 01/01/2035"));

    // When the younger pupil turns 25, it is due.
    app.clock.set(
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2035, 1, 2, 9, 0, 0)
            .single()
            .unwrap(),
    );
    // (A new session: the old one ended while the years went by.)
    let body = due(&app, &app.quick_token(&p.dsl)).await;
    let refs = references(&body);
    assert_eq!(refs.len(), 3, "{body}");
    assert_eq!(refs[0], old["reference"].as_str().unwrap(), "oldest first");
}

async fn a_pupil_with_no_date_of_birth_is_listed_until_someone_supplies_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Nadia Nodate", "online-bullying", "words").await;
    let dpo = app.signed_in(&p.dpo).await;
    let page = dpo.text("/retention").await;
    assert!(page.contains("Nadia Nodate"), "{page}");
    assert!(page.contains("Pupils with no date of birth (1)"), "{page}");
    assert_eq!(
        due(&app, &app.quick_token(&p.dpo)).await["pupils_without_date_of_birth"],
        1
    );
    let pupil = made["pupil_id"].as_str().unwrap();
    // A date that is not one comes back with the field named.
    let res = dpo
        .post(
            &format!("/retention/pupils/{pupil}/date-of-birth"),
            &[("date_of_birth", "31/02/1990")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Enter the date of birth as"));
    let res = dpo
        .post(
            &format!("/retention/pupils/{pupil}/date-of-birth"),
            &[("date_of_birth", "04/03/1990")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let body = due(&app, &app.quick_token(&p.dpo)).await;
    assert_eq!(body["pupils_without_date_of_birth"], 0);
    assert_eq!(references(&body), vec![made["reference"].as_str().unwrap()]);
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, who, rec)| a == "pupil_birth_date_set"
            && who.as_deref() == Some(p.dpo.id.as_str())
            && rec.as_deref() == Some(pupil)));
}

async fn keeping_a_record_with_a_reason_moves_its_review_date(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(&app, &staff, "Kit Keep", "online-bullying", "words").await;
    born(&app, made["pupil_id"].as_str().unwrap(), "1990-03-04");
    let id = made["id"].as_str().unwrap();
    let b = app.signed_in(&p.dsl).await;
    // No reason, or a date already past: sent back, nothing recorded.
    let res = b
        .post(
            &format!("/retention/incidents/{id}"),
            &[
                ("decision", "keep"),
                ("reason", " "),
                ("review_on", "2031-01-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = b
        .post(
            &format!("/retention/incidents/{id}"),
            &[
                ("decision", "keep"),
                ("reason", "A claim is expected."),
                ("review_on", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("must be after today"));
    assert_eq!(
        references(&due(&app, &app.quick_token(&p.dsl)).await).len(),
        1
    );
    let res = b
        .post(
            &format!("/retention/incidents/{id}"),
            &[
                ("decision", "keep"),
                ("reason", "A claim is expected."),
                ("review_on", "01/01/2031"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(references(&due(&app, &app.quick_token(&p.dsl)).await).is_empty());
    let page = b.text(&format!("/retention/incidents/{id}")).await;
    assert!(page.contains("next review 01/01/2031"), "{page}");
    assert!(page.contains("A claim is expected."), "{page}");
    assert!(page.contains("Dee Dsl"), "{page}");
    // Due again on the new date.
    app.clock.set(
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2031, 1, 1, 9, 0, 0)
            .single()
            .unwrap(),
    );
    assert_eq!(
        references(&due(&app, &app.quick_token(&p.dsl)).await).len(),
        1
    );
    assert!(app
        .audit_actions()
        .iter()
        .any(|(a, _, _)| a == "retention_kept"));
}

/// A timeline entry's text, values before and after, and reason.
type EventText = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Every text column that could hold a record's narrative, for a search.
fn stored_text(app: &TestApp, incident: &str) -> String {
    use diesel::prelude::*;
    use safelog::db::schema::{
        attachments, case_decisions, incident_events, incidents, information_shares,
    };
    let mut conn = app.conn();
    let mut all = String::new();
    let i: (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
    ) = incidents::table
        .find(incident)
        .select((
            incidents::details,
            incidents::actions_taken,
            incidents::search_text,
            incidents::platform,
            incidents::outcome,
            incidents::tutor_group,
        ))
        .first(&mut conn)
        .unwrap();
    all.push_str(&format!("{i:?}"));
    let events: Vec<EventText> = incident_events::table
        .filter(incident_events::incident_id.eq(incident))
        .select((
            incident_events::text,
            incident_events::old_value,
            incident_events::new_value,
            incident_events::reason,
        ))
        .load(&mut conn)
        .unwrap();
    all.push_str(&format!("{events:?}"));
    let names: Vec<String> = attachments::table
        .filter(attachments::incident_id.eq(incident))
        .select(attachments::name)
        .load(&mut conn)
        .unwrap();
    all.push_str(&format!("{names:?}"));
    let reasons: Vec<String> = case_decisions::table
        .filter(case_decisions::incident_id.eq(incident))
        .select(case_decisions::reason)
        .load(&mut conn)
        .unwrap();
    all.push_str(&format!("{reasons:?}"));
    let shares: Vec<(String, Option<String>, String, String)> = information_shares::table
        .filter(information_shares::incident_id.eq(incident))
        .select((
            information_shares::shared_with,
            information_shares::person,
            information_shares::what,
            information_shares::reason,
        ))
        .load(&mut conn)
        .unwrap();
    all.push_str(&format!("{shares:?}"));
    all
}

async fn destroying_a_record_leaves_a_tombstone_and_no_trace_of_its_narrative(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let dsl = app.quick_token(&p.dsl);
    // One made-up word for the narrative, one for a pupil's name: neither
    // may be found anywhere once the record is destroyed.
    let canary = format!("zqx{}", &unique()[..10]);
    let pupil_canary = format!("Quilla Zyx{}", &unique()[..6]);
    let res = api_post(
        &app,
        &staff,
        "/api/v1/incidents",
        &json!({"pupil_name": "Tomas Tomb", "tutor_group": "9B", "incident_date": "2025-10-01",
                "category": "online-bullying", "details": format!("Messages said {canary} to him."),
                "actions_outcome": format!("Spoke to {canary}."), "platform": format!("{canary}chat"),
                "other_pupils": [{"name": pupil_canary, "tutor_group": "9C", "role": "alleged"}]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let id = made["id"].as_str().unwrap().to_string();
    let reference = made["reference"].as_str().unwrap().to_string();
    // A living record beside it, sharing one of its files.
    let other = quick_incident(
        &app,
        &staff,
        "Lena Living",
        "online-bullying",
        "living words",
    )
    .await;
    let other_id = other["id"].as_str().unwrap();

    let text = |t: &str| json!({"text": t});
    for (path, body) in [
        (
            "corrections",
            json!({"version": 1, "reason": format!("fix {canary}"), "details": format!("Corrected: {canary} again.")}),
        ),
        ("notes", text(&format!("note {canary}"))),
        ("actions", text(&format!("action {canary}"))),
        (
            "decisions",
            json!({"decision": "not_referred", "reason": format!("reason {canary}")}),
        ),
        (
            "shares",
            json!({"shared_with": format!("Agency {canary}"), "person": format!("Person {canary}"),
            "what": format!("what {canary}"), "shared_on": "2025-10-02", "lawful_basis": "public_task",
            "reason": format!("why {canary}")}),
        ),
        (
            "referrals",
            json!({"agency": "police", "date": "2025-10-02", "reference": format!("CRIME-{canary}")}),
        ),
    ] {
        let res = api_post(&app, &dsl, &format!("/api/v1/incidents/{id}/{path}"), &body).await;
        assert!(
            res.status().is_success(),
            "{path}: {}",
            res.text().await.unwrap()
        );
    }
    let only_here = pdf(&format!("only here {}", unique()));
    let shared = pdf(&format!("shared {}", unique()));
    let mut hashes = Vec::new();
    for (name, bytes) in [
        (format!("{canary}-letter.pdf"), &only_here),
        ("shared.pdf".to_string(), &shared),
    ] {
        let res = api_upload(&app, &dsl, &id, &name, bytes).await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        hashes.push(body["sha256"].as_str().unwrap().to_string());
    }
    assert_eq!(
        api_upload(&app, &dsl, other_id, "same.pdf", &shared)
            .await
            .status(),
        201
    );
    close(&app, &dsl, &id).await;
    born(&app, made["pupil_id"].as_str().unwrap(), "1990-03-04");
    {
        use diesel::prelude::*;
        use safelog::db::schema::pupils;
        diesel::update(pupils::table.filter(pupils::name.eq(&pupil_canary)))
            .set(pupils::date_of_birth.eq(chrono::NaiveDate::from_ymd_opt(1991, 1, 1)))
            .execute(&mut app.conn())
            .unwrap();
    }
    // Found before: by a word, by the other pupil's name.
    let search = |q: String| {
        let app = &app;
        let dsl = dsl.clone();
        async move {
            let (s, body) = api_get(app, &dsl, &format!("/api/v1/incidents?q={q}")).await;
            assert_eq!(s, 200);
            body["total"].as_i64().unwrap()
        }
    };
    assert_eq!(search(canary.clone()).await, 1);
    assert_eq!(search(pupil_canary.replace(' ', "%20")).await, 1);
    let audit_before = app.audit_actions().len();
    let dir = safelog::auth::tokens::data_dir(&app.config);
    let path_of = |h: &str| safelog::attachments::files::path_of(&dir, h).unwrap();
    assert!(path_of(&hashes[0]).exists() && path_of(&hashes[1]).exists());

    let b = app.signed_in(&p.dsl).await;
    // The reference must be typed to confirm.
    let res = b
        .post(
            &format!("/retention/incidents/{id}"),
            &[
                ("decision", "destroy"),
                ("reason", "Reached DOB + 25."),
                ("confirm", "OS-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = destroy(
        &b,
        &made,
        "Reached date of birth + 25 years; nothing to keep it for.",
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/retention?saved=1");

    // No trace in what is stored, nor in search on this backend's index.
    let stored = stored_text(&app, &id);
    assert!(!stored.contains(&canary), "{stored}");
    assert_eq!(search(canary.clone()).await, 0);
    assert_eq!(search(canary[..6].to_string()).await, 0);
    assert_eq!(search(pupil_canary.replace(' ', "%20")).await, 0);
    // The record page is the tombstone.
    let page = b.text(&format!("/incidents/{id}")).await;
    assert!(
        !page.contains(&canary) && !page.contains(&pupil_canary),
        "{page}"
    );
    assert!(
        page.contains("Destroyed on 12/11/2025 by the designated safeguarding lead (Dee Dsl)"),
        "{page}"
    );
    assert!(page.contains("Reached date of birth + 25 years; nothing to keep it for."));
    assert!(page.contains(&reference));
    // The API and the files list hold nothing either.
    let (_, json) = api_get(&app, &dsl, &format!("/api/v1/incidents/{id}")).await;
    assert!(!json.to_string().contains(&canary), "{json}");
    let (_, files) = api_get(&app, &dsl, &format!("/api/v1/incidents/{id}/attachments")).await;
    assert_eq!(files["items"], json!([]));
    // The export shows the tombstone row.
    let csv = app
        .get_with("/api/v1/export.csv", &dsl)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !csv.contains(&canary) && !csv.contains(&pupil_canary),
        "{csv}"
    );
    let row = csv
        .lines()
        .find(|l| l.contains(&reference))
        .expect("the tombstone row");
    assert!(row.contains("Destroyed on 12/11/2025"), "{row}");
    assert!(row.contains("Online bullying"), "{row}");
    // The file only it held is gone from disk; the one a living record
    // shares stays.
    assert!(
        !path_of(&hashes[0]).exists(),
        "the destroyed file is removed"
    );
    assert!(
        path_of(&hashes[1]).exists(),
        "a file another record uses stays"
    );
    // Nothing more can be added to it.
    let res = api_post(
        &app,
        &dsl,
        &format!("/api/v1/incidents/{id}/notes"),
        &json!({"text": "more"}),
    )
    .await;
    assert_eq!(res.status(), 409);
    // The audit trail lost nothing and says who destroyed it.
    let trail = app.audit_actions();
    assert!(trail.len() > audit_before);
    assert!(trail.iter().any(|(a, who, rec)| a == "retention_destroyed"
        && who.as_deref() == Some(p.dsl.id.as_str())
        && rec.as_deref() == Some(id.as_str())));
    // It has left the queue, and the review page says it was destroyed.
    assert!(references(&due(&app, &dsl).await).is_empty());
    let page = b.text(&format!("/retention/incidents/{id}")).await;
    assert!(page.contains("only its tombstone is left"), "{page}");
    // A second destroy is refused.
    assert_eq!(destroy(&b, &made, "Again.").await.status(), 409);
    // The logger still sees the tombstone, not what they wrote.
    let staff_page = app
        .signed_in(&p.staff)
        .await
        .text(&format!("/incidents/{id}"))
        .await;
    assert!(staff_page.contains("Destroyed on") && !staff_page.contains(&canary));
    // A backup afterwards carries the living record's file and not the
    // destroyed one's, and does not report it as missing.
    if backend == Backend::Sqlite {
        let backup = crate::backup::scratch("after-destroy.db");
        let out = crate::backup::safelog(&app.db.url())
            .arg("backup")
            .arg(&backup)
            .output()
            .unwrap();
        let said = crate::backup::said(&out);
        assert!(out.status.success(), "{said}");
        assert!(!said.contains(&hashes[0]), "{said}");
        let kept = |h: &str| {
            safelog::attachments::files::path_of(
                &backup.with_file_name("after-destroy.db.files"),
                h,
            )
            .unwrap()
            .exists()
        };
        assert!(kept(&hashes[1]) && !kept(&hashes[0]));
    }
}

async fn a_legal_hold_stops_destruction_until_it_is_lifted(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let dsl = app.quick_token(&p.dsl);
    let by_ref = quick_incident(&app, &staff, "Hana Held", "online-bullying", "held words").await;
    let by_pupil = quick_incident(
        &app,
        &staff,
        "Pia Pupilhold",
        "harmful-content",
        "pupil words",
    )
    .await;
    for made in [&by_ref, &by_pupil] {
        born(&app, made["pupil_id"].as_str().unwrap(), "1990-03-04");
        close(&app, &dsl, made["id"].as_str().unwrap()).await;
    }
    let head = app.add_user("Hattie Head", &[Role::Headteacher]);
    let h = app.signed_in(&head).await;
    // A hold must name something, and names only what exists.
    let res = h
        .post(
            "/retention/holds",
            &[
                ("name", "Inquiry"),
                ("reason", "Asked to keep."),
                ("references", "OS-1999-0001"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("There is no record OS-1999-0001"));
    let res = h
        .post(
            "/retention/holds",
            &[
                ("name", "Local inquiry 2025"),
                ("reason", "The inquiry asked schools to keep every record."),
                ("references", by_ref["reference"].as_str().unwrap()),
                ("pupils", "Pia Pupilhold"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let b = app.signed_in(&p.dsl).await;
    for made in [&by_ref, &by_pupil] {
        let res = destroy(&b, made, "Reached date of birth + 25 years.").await;
        assert_eq!(res.status(), 409);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("under the legal hold &quot;Local inquiry 2025&quot;"),
            "{page}"
        );
        let (_, json) = api_get(
            &app,
            &dsl,
            &format!("/api/v1/incidents/{}", made["id"].as_str().unwrap()),
        )
        .await;
        assert_ne!(json["details"], "", "still whole");
    }
    let body = due(&app, &dsl).await;
    assert_eq!(
        body["items"][0]["legal_holds"],
        json!(["Local inquiry 2025"])
    );
    // Lifting needs a reason, and is kept.
    let hold_id: String = {
        use diesel::prelude::*;
        use safelog::db::schema::legal_holds;
        legal_holds::table
            .select(legal_holds::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let res = h
        .post(
            &format!("/retention/holds/{hold_id}/lift"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = h
        .post(
            &format!("/retention/holds/{hold_id}/lift"),
            &[("reason", "The inquiry has reported.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = h.text("/retention/holds").await;
    assert!(
        page.contains("Lifted") && page.contains("The inquiry has reported."),
        "{page}"
    );
    // Lifted once only.
    assert_eq!(
        h.post(
            &format!("/retention/holds/{hold_id}/lift"),
            &[("reason", "Again.")]
        )
        .await
        .status(),
        422
    );
    for made in [&by_ref, &by_pupil] {
        assert_eq!(
            destroy(&b, made, "Reached date of birth + 25 years.")
                .await
                .status(),
            303
        );
    }
    let trail: Vec<String> = app.audit_actions().into_iter().map(|(a, _, _)| a).collect();
    assert!(trail.contains(&"legal_hold_created".to_string()));
    assert!(trail.contains(&"legal_hold_lifted".to_string()));
}

async fn a_destroyed_record_is_still_counted_by_the_termly_report(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let dsl = app.quick_token(&p.dsl);
    let osl = app.quick_token(&p.osl);
    let mut made = Vec::new();
    for n in 0..3 {
        let m = quick_incident(
            &app,
            &staff,
            &format!("Rita Report{n}"),
            "online-bullying",
            "counted words",
        )
        .await;
        born(&app, m["pupil_id"].as_str().unwrap(), "1990-03-04");
        close(&app, &dsl, m["id"].as_str().unwrap()).await;
        made.push(m);
    }
    let res = api_post(
        &app,
        &dsl,
        &format!(
            "/api/v1/incidents/{}/referrals",
            made[0]["id"].as_str().unwrap()
        ),
        &json!({"agency": "police", "date": "2025-10-02", "reference": "CR-1"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let report = || async {
        let (s, r) = api_get(&app, &osl, "/api/v1/reports/termly?year=2025&term=autumn").await;
        assert_eq!(s, 200, "{r}");
        r
    };
    let before = report().await;
    assert_eq!(before["total"], 3, "{before}");
    let b = app.signed_in(&p.dsl).await;
    assert_eq!(
        destroy(&b, &made[0], "Reached date of birth + 25 years.")
            .await
            .status(),
        303
    );
    let after = report().await;
    for key in [
        "total",
        "by_category",
        "by_four_c",
        "by_year_group",
        "by_month",
        "by_location",
        "referrals_by_agency",
        "open_at_end_of_term",
        "referrals_awaiting_reference",
        "acknowledged",
    ] {
        assert_eq!(before[key], after[key], "{key} after a destruction");
    }
    // The incident list still has it, as a tombstone, for the term.
    let (_, list) = api_get(&app, &dsl, "/api/v1/incidents?year=2025&term=autumn").await;
    assert_eq!(list["total"], 3, "{list}");
}

async fn only_the_dpo_and_the_dsl_reach_the_review_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = people(&app);
    let staff = app.quick_token(&p.staff);
    let made = quick_incident(
        &app,
        &staff,
        "Quentin Queue",
        "online-bullying",
        "queue words",
    )
    .await;
    born(&app, made["pupil_id"].as_str().unwrap(), "1990-03-04");
    let head = app.add_user("Harry Head", &[Role::Headteacher]);
    let governor = app.add_user("Gina Governor", &[Role::Governor]);
    for who in [&p.staff, &p.osl, &head, &governor] {
        let b = app.signed_in(who).await;
        assert_eq!(b.get("/retention").await.status(), 404);
        assert_eq!(
            b.get(&format!(
                "/retention/incidents/{}",
                made["id"].as_str().unwrap()
            ))
            .await
            .status(),
            404
        );
        assert_eq!(
            app.get_with("/api/v1/retention/due", &app.quick_token(who))
                .await
                .status(),
            404
        );
    }
    // The DPO, the school's retention officer, reviews a DSL's record by
    // its reference, category and dates; the record itself stays closed
    // to them.
    let dpo = app.signed_in(&p.dpo).await;
    let page = dpo.text("/retention").await;
    assert!(page.contains(made["reference"].as_str().unwrap()), "{page}");
    assert!(!page.contains("queue words") && !page.contains("Quentin Queue"));
    assert_eq!(
        dpo.get(&format!("/incidents/{}", made["id"].as_str().unwrap()))
            .await
            .status(),
        404
    );
    let dsl = app.signed_in(&p.dsl).await;
    assert!(dsl
        .text("/retention")
        .await
        .contains(made["reference"].as_str().unwrap()));
    // A staff-conduct record is not the DSL's to see, in the queue too.
    let conduct = quick_incident(
        &app,
        &staff,
        "Quentin Queue",
        "staff-conduct",
        "conduct words",
    )
    .await;
    assert!(!dsl
        .text("/retention")
        .await
        .contains(conduct["reference"].as_str().unwrap()));
    assert!(dpo
        .text("/retention")
        .await
        .contains(conduct["reference"].as_str().unwrap()));
    // Periods: the DPO sets them, no shorter than the floor for safeguarding.
    let res = dpo
        .post(
            "/retention/periods",
            &[
                ("category", "online-bullying"),
                ("basis", "incident"),
                ("years", "6"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("safeguarding category"));
    let res = dpo
        .post(
            "/retention/periods",
            &[
                ("category", "device-misuse"),
                ("basis", "incident"),
                ("years", "6"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(dpo
        .text("/retention/periods")
        .await
        .contains("incident date + 6 years"));
    assert_eq!(
        dsl.post(
            "/retention/periods",
            &[
                ("category", "device-misuse"),
                ("basis", "incident"),
                ("years", "7")
            ]
        )
        .await
        .status(),
        404
    );
}

on_both_backends!(
    a_record_comes_up_for_review_at_its_latest_pupils_birth_date_plus_25_years,
    a_pupil_with_no_date_of_birth_is_listed_until_someone_supplies_one,
    keeping_a_record_with_a_reason_moves_its_review_date,
    destroying_a_record_leaves_a_tombstone_and_no_trace_of_its_narrative,
    a_legal_hold_stops_destruction_until_it_is_lifted,
    a_destroyed_record_is_still_counted_by_the_termly_report,
    only_the_dpo_and_the_dsl_reach_the_review_queue,
);
