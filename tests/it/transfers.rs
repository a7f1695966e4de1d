//! Records that follow a pupil: a DSL sends a pupil's child protection file
//! to another school of the deployment; that school's DSL is alerted, opens
//! it and confirms receipt; the sender sees each step, timed and named;
//! files not confirmed within five school days are flagged; and the file
//! holds the pupil's incidents and nobody else's.

use chrono::Duration;
use serde_json::{json, Value};

use safelog::auth::Role;

use crate::helpers::{location, spawn_app, Backend, TestApp, TestUser};
use crate::incidents::{api_post, quick_incident};
use crate::on_both_backends;

pub const RECEIVING: &str = "Receiving School";
pub const RECEIVING_URN: &str = "200002";
/// The pupil whose file moves.
pub const PUPIL: &str = "Pip Mover";

/// A sending DSL in the test school, a receiving school (in another trust)
/// with its DSL, and a pupil with an incident.
pub struct Setup {
    pub a_dsl: TestUser,
    pub b_school: String,
    pub b_dsl: TestUser,
    pub pupil_id: String,
    pub incident: Value,
}

pub async fn setup(app: &TestApp) -> Setup {
    let a_dsl = app.add_user("Dee Sender", &[Role::Dsl]);
    let b_school = app.add_school(RECEIVING, RECEIVING_URN, Some("Receiving Trust"));
    let b_dsl = app.add_user_to(&b_school, "Rob Receiver", &[Role::Dsl]);
    let incident = quick_incident(
        app,
        &app.quick_token(&a_dsl),
        PUPIL,
        "online-bullying",
        "Pip was sent unkind messages in a group chat.",
    )
    .await;
    Setup {
        a_dsl,
        b_school,
        b_dsl,
        pupil_id: incident["pupil_id"].as_str().unwrap().to_string(),
        incident,
    }
}

/// Sends the pupil's file from the sending DSL's browser; the transfer id.
pub async fn send(app: &TestApp, s: &Setup) -> String {
    let b = app.signed_in(&s.a_dsl).await;
    let page = b.text(&format!("/pupils/{}/transfer", s.pupil_id)).await;
    assert!(page.contains("Receiving School (URN 200002)"), "{page}");
    let res = b
        .post(
            &format!("/pupils/{}/transfer", s.pupil_id),
            &[("to_school", &s.b_school)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.ends_with("?sent=1"), "{to}");
    to.trim_start_matches("/transfers/")
        .trim_end_matches("?sent=1")
        .to_string()
}

/// The transfer's row: (opened_at, opened_by, confirmed_at, confirmed_by, linked pupil).
#[allow(clippy::type_complexity)]
fn receipt(
    app: &TestApp,
    id: &str,
) -> (
    Option<chrono::NaiveDateTime>,
    Option<String>,
    Option<chrono::NaiveDateTime>,
    Option<String>,
    Option<String>,
) {
    use diesel::prelude::*;
    use safelog::db::schema::transfers as t;
    t::table
        .find(id)
        .select((
            t::opened_at,
            t::opened_by,
            t::confirmed_at,
            t::confirmed_by,
            t::linked_pupil_id,
        ))
        .first(&mut app.conn())
        .unwrap()
}

/// The transfer's document as stored.
pub fn stored_document(app: &TestApp, id: &str) -> String {
    use diesel::prelude::*;
    use safelog::db::schema::transfers as t;
    t::table
        .find(id)
        .select(t::document)
        .first(&mut app.conn())
        .unwrap()
}

/// How many `action` rows about the transfer one school's trail holds, and
/// who they name.
pub fn trail(app: &TestApp, school: &str, action: &str, id: &str) -> Vec<Option<String>> {
    use diesel::prelude::*;
    use safelog::db::schema::audit_events as a;
    a::table
        .filter(a::school_id.eq(school))
        .filter(a::action.eq(action))
        .filter(a::record_id.eq(id))
        .select(a::actor_id)
        .load(&mut app.conn())
        .unwrap()
}

/// The JSON Schema in the repository, as a validator of documents (and,
/// from the package stage on, of packages).
pub fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/transfer-package.schema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Fails with every schema error when `doc` (a transfer document) does not
/// validate against `$defs/document`.
pub fn assert_valid_document(doc: &Value) {
    let mut schema = schema();
    schema["$ref"] = json!("#/$defs/document");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the document breaks the schema: {errors:#?}"
    );
}

fn school_of(app: &TestApp) -> String {
    app.school_id()
}

async fn a_file_is_sent_opened_and_confirmed_each_step_timed_named_and_in_both_trails(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let a_school = school_of(&app);
    let id = send(&app, &s).await;

    // Sent: in both schools' trails, by the sending DSL.
    for school in [&a_school, &s.b_school] {
        assert_eq!(
            trail(&app, school, "transfer_sent", &id),
            vec![Some(s.a_dsl.id.clone())],
            "transfer_sent in {school}"
        );
    }
    // The receiving DSL's email says only that a file came.
    let mails: Vec<_> = app
        .outbox()
        .into_iter()
        .filter(|(to, _, _)| *to == s.b_dsl.email)
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (_, subject, body) = &mails[0];
    assert!(
        body.contains("A child protection file has been sent to your school; sign in to open it")
    );
    for secret in [PUPIL, "Pip", "Test School", "Dee Sender", "group chat"] {
        assert!(
            !subject.contains(secret) && !body.contains(secret),
            "{secret}"
        );
    }

    // The sender sees it sent, not yet opened.
    let sender = app.signed_in(&s.a_dsl).await;
    let page = sender.text(&format!("/pupils/{}", s.pupil_id)).await;
    assert!(page.contains("Sent to Receiving School"), "{page}");
    assert!(page.contains("Not yet opened"));
    assert!(page.contains("12/11/2025 10:30, Dee Sender"));

    // The receiving DSL is alerted on their start page and opens the file.
    app.clock.advance(Duration::minutes(45));
    let receiver = app.signed_in(&s.b_dsl).await;
    let home = receiver.text("/").await;
    assert!(
        home.contains("A child protection file has been sent to your school"),
        "{home}"
    );
    assert!(home.contains(&format!("/transfers/{id}")));
    let file = receiver.text(&format!("/transfers/{id}")).await;
    assert!(
        file.contains("Received from Test School on 12/11/2025"),
        "{file}"
    );
    assert!(file.contains("read-only"));
    assert!(file.contains(s.incident["reference"].as_str().unwrap()));
    assert!(file.contains("Pip was sent unkind messages"));
    let (opened_at, opened_by, confirmed_at, _, _) = receipt(&app, &id);
    assert_eq!(opened_by.as_deref(), Some(s.b_dsl.id.as_str()));
    assert_eq!(
        opened_at,
        Some((crate::helpers::test_now() + Duration::minutes(45)).naive_utc())
    );
    assert!(confirmed_at.is_none());
    for school in [&a_school, &s.b_school] {
        assert_eq!(
            trail(&app, school, "transfer_opened", &id),
            vec![Some(s.b_dsl.id.clone())],
            "opened once, in {school}'s trail"
        );
    }
    // Every read of the received file is audited, as a read of an incident.
    receiver.text(&format!("/transfers/{id}")).await;
    assert_eq!(
        trail(&app, &s.b_school, "transfer_viewed", &id).len(),
        2,
        "each read"
    );
    assert_eq!(trail(&app, &a_school, "transfer_opened", &id).len(), 1);
    // The received file is not one of this school's incidents.
    let list = receiver.text("/incidents").await;
    assert!(!list.contains(PUPIL), "not mixed into their incidents");

    // Confirming needs a choice; what was typed is kept.
    let res = receiver
        .post(
            &format!("/transfers/{id}/receive"),
            &[("new_name", "Pip Mover-Typed")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Choose whose record this file joins"),
        "{page}"
    );
    assert!(page.contains("Pip Mover-Typed"));

    // Linked to a new pupil record, and receipt confirmed.
    app.clock.advance(Duration::minutes(20));
    let res = receiver
        .post(
            &format!("/transfers/{id}/receive"),
            &[
                ("link", "new"),
                ("new_name", PUPIL),
                ("new_tutor_group", "10R"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let (_, _, confirmed_at, confirmed_by, linked) = receipt(&app, &id);
    assert_eq!(confirmed_by.as_deref(), Some(s.b_dsl.id.as_str()));
    assert_eq!(
        confirmed_at,
        Some((crate::helpers::test_now() + Duration::minutes(65)).naive_utc())
    );
    let linked = linked.expect("linked to a pupil");
    for school in [&a_school, &s.b_school] {
        assert_eq!(
            trail(&app, school, "transfer_receipt_confirmed", &id),
            vec![Some(s.b_dsl.id.clone())],
            "confirmed, in {school}'s trail"
        );
    }
    // A second confirmation changes nothing.
    let res = receiver
        .post(
            &format!("/transfers/{id}/receive"),
            &[("link", "new"), ("new_name", "Someone Else")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(receipt(&app, &id).4.as_deref(), Some(linked.as_str()));

    // The new pupil's page shows the received history, marked, read-only.
    let page = receiver.text(&format!("/pupils/{linked}")).await;
    assert!(
        page.contains("Received from Test School on 12/11/2025"),
        "{page}"
    );

    // The sender sees opened and receipt confirmed, with the name and time.
    let sender = app.signed_in(&s.a_dsl).await;
    let page = sender.text(&format!("/pupils/{}", s.pupil_id)).await;
    assert!(
        page.contains("12/11/2025 11:15, Rob Receiver"),
        "opened: {page}"
    );
    assert!(page.contains("12/11/2025 11:35, Rob Receiver"), "confirmed");
    let list = sender.text("/transfers").await;
    assert!(list.contains("12/11/2025 11:35, Rob Receiver"), "{list}");
    let list = receiver.text("/transfers").await;
    assert!(list.contains(PUPIL) && list.contains("Test School"));
}

async fn a_file_not_confirmed_is_flagged_after_five_school_days_and_not_at_four(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let id = send(&app, &s).await;
    let flagged = "not confirmed within 5 school days";

    // Sent on Wednesday 12 November at 10:30. Tuesday 18th at 10:30 is four
    // school days later (the weekend does not count).
    app.clock.advance(Duration::days(6));
    let sender = app.signed_in(&s.a_dsl).await;
    let list = sender.text("/transfers").await;
    assert!(
        !list.contains(flagged) && !list.contains("Over 5 school days"),
        "{list}"
    );
    let home = sender.text("/").await;
    assert!(!home.contains(flagged), "{home}");

    // Wednesday 19th at 10:30 is five; a minute later they have passed.
    app.clock.advance(Duration::days(1));
    let sender = app.signed_in(&s.a_dsl).await;
    assert!(!sender
        .text("/transfers")
        .await
        .contains("Over 5 school days"));
    app.clock.advance(Duration::minutes(1));
    let list = sender.text("/transfers").await;
    assert!(list.contains("Over 5 school days"), "{list}");
    assert!(list.contains("1 sent file not confirmed within 5 school days"));
    let home = sender.text("/").await;
    assert!(
        home.contains("file you sent is not confirmed within 5 school days"),
        "{home}"
    );
    assert!(home.contains(">1<"), "the count: {home}");
    let page = sender.text(&format!("/pupils/{}", s.pupil_id)).await;
    assert!(
        page.contains("Not confirmed within 5 school days"),
        "{page}"
    );

    // Not sent twice while the first waits for its receipt.
    let res = sender
        .post(
            &format!("/pupils/{}/transfer", s.pupil_id),
            &[("to_school", &s.b_school)],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("already sent to Receiving School on 12/11/2025 10:30"));

    // Confirmed late, it is no longer flagged.
    let receiver = app.signed_in(&s.b_dsl).await;
    receiver.text(&format!("/transfers/{id}")).await;
    let res = receiver
        .post(
            &format!("/transfers/{id}/receive"),
            &[("link", "new"), ("new_name", PUPIL)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(!sender
        .text("/transfers")
        .await
        .contains("Over 5 school days"));
    assert!(!sender.text("/").await.contains(flagged));
}

async fn the_file_holds_the_pupils_incidents_and_no_other_pupils_names_or_records(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let token = app.quick_token(&s.a_dsl);
    let other = "Zebedee Canarywood";
    // About the pupil, naming another pupil as a witness, in the text too.
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": PUPIL, "tutor_group": "9B", "incident_date": "2025-10-02",
            "category": "harmful-content",
            "details": "Zebedee Canarywood saw the messages; Zebedee told a teacher. ZEBEDEE CANARYWOOD kept screenshots.",
            "other_pupils": [{"name": other, "tutor_group": "9C", "role": "witness"}],
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let with_witness: Value = res.json().await.unwrap();
    let wid = with_witness["id"].as_str().unwrap();
    // Its whole case: an action, a referral with its reference, an
    // escalation, a correction, acknowledgement, closure.
    for (action, body) in [
        (
            "actions",
            json!({"text": "Spoke to Zebedee Canarywood's parents."}),
        ),
        (
            "referrals",
            json!({"agency": "police", "date": "2025-10-03", "reference": "CAD-4471"}),
        ),
        ("escalate", json!({"reason": "Threats made"})),
    ] {
        let res = api_post(
            &app,
            &token,
            &format!("/api/v1/incidents/{wid}/{action}"),
            &body,
        )
        .await;
        assert_eq!(res.status(), 200, "{action}");
    }
    let head = app.add_user("Hana Head", &[Role::Headteacher]);
    let res = api_post(
        &app,
        &app.quick_token(&head),
        &format!("/api/v1/incidents/{wid}/acknowledge"),
        &json!({}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let (_, now) =
        crate::incidents::api_get(&app, &token, &format!("/api/v1/incidents/{wid}")).await;
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{wid}/corrections"),
        &json!({"version": now["version"], "reason": "Date misread", "incident_date": "2025-10-01"}),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = api_post(
        &app,
        &token,
        &format!("/api/v1/incidents/{wid}/status"),
        &json!({"status": "closed", "reason": "Resolved", "outcome": "Police gave words of advice."}),
    )
    .await;
    assert_eq!(res.status(), 200);

    // About another pupil, with this pupil among the others.
    let res = api_post(
        &app,
        &token,
        "/api/v1/incidents",
        &json!({
            "pupil_name": "Olive Otherchild", "tutor_group": "9D", "incident_date": "2025-10-05",
            "category": "online-bullying",
            "details": "Olive Otherchild shared a photo of Pip Mover.",
            "other_pupils": [{"name": PUPIL, "tutor_group": "9B", "role": "affected"}],
        }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let as_other: Value = res.json().await.unwrap();
    // Not the pupil's: another pupil's incident, a restricted record
    // naming them, and one entered in error.
    let unrelated = quick_incident(
        &app,
        &token,
        "Una Related",
        "online-bullying",
        "UNRELATED-CANARY",
    )
    .await;
    let restricted = quick_incident(
        &app,
        &app.quick_token(&head),
        PUPIL,
        "staff-conduct",
        "RESTRICTED-CANARY",
    )
    .await;
    let wrong = quick_incident(&app, &token, PUPIL, "online-bullying", "WRONG-CHILD-CANARY").await;
    let res = api_post(
        &app,
        &token,
        &format!(
            "/api/v1/incidents/{}/entered-in-error",
            wrong["id"].as_str().unwrap()
        ),
        &json!({"reason": "Wrong pupil"}),
    )
    .await;
    assert_eq!(res.status(), 200);

    let id = send(&app, &s).await;
    let text = stored_document(&app, &id);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_valid_document(&doc);

    for canary in [
        "Zebedee",
        "zebedee",
        "ZEBEDEE",
        "Canarywood",
        "Olive",
        "Otherchild",
        "UNRELATED-CANARY",
        "Una Related",
        "RESTRICTED-CANARY",
        "WRONG-CHILD-CANARY",
    ] {
        assert!(!text.contains(canary), "{canary} is in the file: {text}");
    }
    let refs: Vec<&str> = doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    for (made, wanted) in [
        (&s.incident, true),
        (&with_witness, true),
        (&as_other, true),
        (&unrelated, false),
        (&restricted, false),
        (&wrong, false),
    ] {
        assert_eq!(
            refs.contains(&made["reference"].as_str().unwrap()),
            wanted,
            "{}",
            made["reference"]
        );
    }
    assert_eq!(doc["pupil"]["name"], PUPIL);
    assert_eq!(doc["sending_school"]["name"], "Test School");
    assert_eq!(doc["sending_school"]["urn"], "100001");
    assert_eq!(doc["receiving_school"]["urn"], RECEIVING_URN);
    let i = doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference"] == with_witness["reference"])
        .unwrap();
    assert_eq!(i["involvement"], "subject");
    assert_eq!(i["other_pupils"][0]["name"], "another pupil");
    assert_eq!(i["other_pupils"][0]["role"], "witness");
    assert!(i["details"]
        .as_str()
        .unwrap()
        .starts_with("another pupil saw the messages; another pupil told a teacher."));
    assert_eq!(i["referrals"][0]["reference"], "CAD-4471");
    assert_eq!(i["referrals"][0]["agency"], "police");
    assert_eq!(i["status"], "closed");
    assert_eq!(i["outcome"], "Police gave words of advice.");
    assert!(i["closed_at"].is_string());
    assert!(i["acknowledgement"]["by"]["name"] == "Hana Head");
    let kinds: Vec<&str> = i["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "logged",
        "action",
        "referral",
        "escalation",
        "acknowledgement",
        "correction",
        "status_change",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let correction = i["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "correction")
        .unwrap();
    assert_eq!(correction["before"], "02/10/2025");
    assert_eq!(correction["after"], "01/10/2025");
    assert_eq!(correction["reason"], "Date misread");
    let o = doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference"] == as_other["reference"])
        .unwrap();
    assert_eq!(o["involvement"], "affected");
    assert_eq!(o["subject"]["name"], "another pupil");
    assert_eq!(o["subject"]["tutor_group"], Value::Null);
    assert_eq!(o["details"], "another pupil shared a photo of Pip Mover.");

    // What the receiver reads holds no other pupil's name either.
    let receiver = app.signed_in(&s.b_dsl).await;
    let page = receiver.text(&format!("/transfers/{id}")).await;
    for canary in ["Zebedee", "Canarywood", "Olive", "UNRELATED-CANARY"] {
        assert!(!page.contains(canary), "{canary}");
    }

    // A pupil known only from a record the DSL cannot read is not theirs
    // to send; on the roll, their file holds none of that record.
    let lone = quick_incident(
        &app,
        &app.quick_token(&head),
        "Lone Pupil",
        "staff-conduct",
        "LONE-CANARY",
    )
    .await;
    let lone_id = lone["pupil_id"].as_str().unwrap();
    let b = app.signed_in(&s.a_dsl).await;
    let path = format!("/pupils/{lone_id}/transfer");
    let res = b.post(&path, &[("to_school", &s.b_school)]).await;
    assert_eq!(res.status(), 404);
    {
        use diesel::prelude::*;
        use safelog::db::schema::pupils;
        diesel::update(pupils::table.find(lone_id))
            .set(pupils::on_roll_at.eq(Some(app.clock.now_naive())))
            .execute(&mut app.conn())
            .unwrap();
    }
    let res = b.post(&path, &[("to_school", &s.b_school)]).await;
    assert_eq!(res.status(), 303);
    let lone_transfer = location(&res)
        .trim_start_matches("/transfers/")
        .trim_end_matches("?sent=1")
        .to_string();
    let text = stored_document(&app, &lone_transfer);
    assert!(!text.contains("LONE-CANARY"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["incidents"], json!([]));
    assert_valid_document(&doc);
}

async fn only_the_dsls_of_the_two_schools_reach_a_transfer(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = setup(&app).await;
    let id = send(&app, &s).await;
    let a_staff = app.add_user("Sam Staff", &[Role::Staff]);
    let a_head = app.add_user("Hal Head", &[Role::Headteacher]);
    let a_osl = app.add_user("Ola Osl", &[Role::OnlineSafetyLead]);
    let b_staff = app.add_user_to(&s.b_school, "Bea Staff", &[Role::Staff]);
    let b_head = app.add_user_to(&s.b_school, "Ben Head", &[Role::Headteacher]);
    let neighbour_dsl = app.neighbour.clone().unwrap().dsl;
    let pages = [
        format!("/transfers/{id}"),
        format!("/pupils/{}/transfer", s.pupil_id),
    ];
    for who in [&a_staff, &a_head, &a_osl, &b_staff, &b_head, &neighbour_dsl] {
        let b = app.signed_in(who).await;
        for path in &pages {
            assert_eq!(b.get(path).await.status(), 404, "{path} as {}", who.email);
        }
        let res = b
            .post(
                &format!("/transfers/{id}/receive"),
                &[("link", "new"), ("new_name", "X")],
            )
            .await;
        assert_eq!(res.status(), 404, "receive as {}", who.email);
        let res = b
            .post(
                &format!("/pupils/{}/transfer", s.pupil_id),
                &[("to_school", &s.b_school)],
            )
            .await;
        assert_eq!(res.status(), 404, "send as {}", who.email);
        assert!(!b.text("/").await.contains("child protection file"));
    }
    // Nobody but the receiving DSL opened it.
    assert!(receipt(&app, &id).0.is_none());
    // The sending DSL cannot confirm their own file.
    let sender = app.signed_in(&s.a_dsl).await;
    let res = sender
        .post(
            &format!("/transfers/{id}/receive"),
            &[("link", "new"), ("new_name", "X")],
        )
        .await;
    assert_eq!(res.status(), 404);
    // The neighbour's DSL cannot send a pupil of this school, nor to it.
    let nb = app.signed_in(&neighbour_dsl).await;
    let res = nb
        .post(
            &format!(
                "/pupils/{}/transfer",
                app.neighbour.as_ref().unwrap().pupil_id
            ),
            &[("to_school", &s.b_school)],
        )
        .await;
    assert_eq!(
        res.status(),
        303,
        "their own pupil, to any school of the deployment"
    );
    // A school with no DSL yet: the sender is told that nobody was alerted.
    let empty = app.add_school("Empty School", "400004", None);
    let res = nb
        .post(
            &format!(
                "/pupils/{}/transfer",
                app.neighbour.as_ref().unwrap().pupil_id
            ),
            &[("to_school", &empty)],
        )
        .await;
    let to = location(&res);
    assert!(to.ends_with("?sent=nodsl"), "{to}");
    assert!(nb.text(&to).await.contains("has no DSL in safelog yet"));

    // A trust's safeguarding lead of the sending school's trust reads the
    // transfer and its file, and cannot send; of the receiving school's
    // trust, reads the receipt and, once confirmed, the file.
    let a_lead = crate::trust::trust_lead(&app, &s.a_dsl.school_id, "Test Trust", "Tia Trustlead");
    let b = app.signed_in(&a_lead).await;
    let page = b.text(&format!("/transfers/{id}")).await;
    assert!(page.contains("Pip was sent unkind messages"), "{page}");
    assert_eq!(
        b.get(&format!("/pupils/{}/transfer", s.pupil_id))
            .await
            .status(),
        404
    );
    let res = b
        .post(
            &format!("/pupils/{}/transfer", s.pupil_id),
            &[("to_school", &s.b_school)],
        )
        .await;
    assert_eq!(res.status(), 404);
    let b_lead = crate::trust::trust_lead(&app, &s.b_school, "Receiving Trust", "Rhys Trustlead");
    let b = app.signed_in(&b_lead).await;
    let page = b.text(&format!("/transfers/{id}")).await;
    assert!(page.contains("Not yet opened"), "{page}");
    assert!(!page.contains("Pip was sent unkind messages"));
    assert!(
        receipt(&app, &id).0.is_none(),
        "a trust lead's read does not open it"
    );
    let res = b
        .post(
            &format!("/transfers/{id}/receive"),
            &[("link", "new"), ("new_name", "X")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let receiver = app.signed_in(&s.b_dsl).await;
    receiver.text(&format!("/transfers/{id}")).await;
    let res = receiver
        .post(
            &format!("/transfers/{id}/receive"),
            &[("link", "new"), ("new_name", PUPIL)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = b.text(&format!("/transfers/{id}")).await;
    assert!(page.contains("Pip was sent unkind messages"), "{page}");
    assert!(trail(&app, &s.b_school, "transfer_viewed", &id).contains(&Some(b_lead.id.clone())));
}

on_both_backends!(
    a_file_is_sent_opened_and_confirmed_each_step_timed_named_and_in_both_trails,
    a_file_not_confirmed_is_flagged_after_five_school_days_and_not_at_four,
    the_file_holds_the_pupils_incidents_and_no_other_pupils_names_or_records,
    only_the_dsls_of_the_two_schools_reach_a_transfer,
);

/// The sending DSL downloads the pupil's package for `urn`.
pub async fn download(app: &TestApp, s: &Setup, urn: &str) -> Vec<u8> {
    let b = app.signed_in(&s.a_dsl).await;
    let res = b
        .get(&format!(
            "/pupils/{}/transfer-package?urn={urn}",
            s.pupil_id
        ))
        .await;
    assert_eq!(res.status(), 200);
    let disposition = res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment; filename=\"child-protection-file-2025-11-12-"));
    assert!(!disposition.contains("Pip"));
    res.bytes().await.unwrap().to_vec()
}

/// Uploads a package as the import page's form does: (status, page).
pub async fn upload(b: &crate::helpers::Browser, contents: &[u8], key: &str) -> (u16, String) {
    let csrf = b.csrf().await;
    let boundary = "----safelogpackageboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n{key}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"package.json\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(contents);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = b
        .client
        .post(b.url("/transfers/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let to = location(&res);
    (
        status,
        if to.is_empty() {
            res.text().await.unwrap()
        } else {
            to
        },
    )
}

fn transfer_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use safelog::db::schema::transfers as t;
    t::table.count().get_result(&mut app.conn()).unwrap()
}

/// The package checks out against the schema, and its signatures against
/// its key, over the exact bytes of its two strings.
pub fn assert_valid_package(bytes: &[u8]) -> Value {
    use base64::Engine;
    use ed25519_dalek::Verifier;
    let package: Value = serde_json::from_slice(bytes).unwrap();
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&package)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the package breaks the schema: {errors:#?}"
    );
    let document = package["document"].as_str().unwrap();
    assert_valid_document(&serde_json::from_str(document).unwrap());
    let b64 = base64::engine::general_purpose::STANDARD;
    let key: [u8; 32] = b64
        .decode(package["signature"]["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap();
    for part in ["document", "html"] {
        let sig: [u8; 64] = b64
            .decode(package["signature"][part].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        key.verify(
            package[part].as_str().unwrap().as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .unwrap_or_else(|_| panic!("the {part} signature"));
    }
    package
}

async fn a_package_from_one_deployment_imports_into_another_and_nothing_else_does(
    backend: Backend,
) {
    let one = spawn_app(backend).await;
    let s = setup(&one).await;
    let a_school = one.school_id();
    let bytes = download(&one, &s, RECEIVING_URN).await;
    let package = assert_valid_package(&bytes);
    let html = package["html"].as_str().unwrap();
    assert!(html.contains("Child protection file: Pip Mover"));
    assert!(html.contains("Pip was sent unkind messages"));
    // The key in the package is the one the administrator's page shows.
    let admin = one.add_user("Ada Admin", &[Role::Admin]);
    let key_page = one
        .signed_in(&admin)
        .await
        .text("/admin/transfer-key")
        .await;
    let fingerprint = package["signature"]["key_fingerprint"].as_str().unwrap();
    assert!(key_page.contains(fingerprint), "{key_page}");
    assert!(key_page.contains(package["signature"]["public_key"].as_str().unwrap()));
    // Downloaded: recorded and in the sending school's trail (and, as a
    // school of this deployment has that URN, in its trail too).
    let sent_id: String = {
        use diesel::prelude::*;
        use safelog::db::schema::transfers as t;
        t::table.select(t::id).first(&mut one.conn()).unwrap()
    };
    for school in [&a_school, &s.b_school] {
        assert_eq!(
            trail(&one, school, "transfer_package_downloaded", &sent_id),
            vec![Some(s.a_dsl.id.clone())],
            "{school}"
        );
    }
    let sender = one.signed_in(&s.a_dsl).await;
    assert!(sender
        .text("/transfers")
        .await
        .contains("Package for URN 200002"));
    // A URN that is not one is refused with a message.
    let res = sender
        .get(&format!(
            "/pupils/{}/transfer-package?urn=12345",
            s.pupil_id
        ))
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("six digits"));

    // Another deployment, where the receiving school is.
    let two = spawn_app(backend).await;
    let b_school = two.add_school(RECEIVING, RECEIVING_URN, None);
    let b_dsl = two.add_user_to(&b_school, "Rae Remote", &[Role::Dsl]);
    let receiver = two.signed_in(&b_dsl).await;
    assert_eq!(receiver.get("/transfers/import").await.status(), 200);

    // Refused, storing nothing: not a package, a changed byte (in the
    // document or its readable copy), another school's URN.
    let text = String::from_utf8(bytes.clone()).unwrap();
    for (bad, says) in [
        (b"hello".to_vec(), "not a safelog transfer package"),
        (
            b"{\"format\": \"safelog-transfer-package\"}".to_vec(),
            "not a safelog transfer package",
        ),
        (
            text.replacen("unkind", "unkinD", 1).into_bytes(),
            "signature does not match",
        ),
        (
            text.replacen("<h1>", "<h2>", 1).into_bytes(),
            "signature does not match",
        ),
        (
            text.replacen("Pip Mover", "Pip Moved", 1).into_bytes(),
            "signature does not match",
        ),
    ] {
        assert_ne!(bad, bytes);
        let (status, page) = upload(&receiver, &bad, "").await;
        assert_eq!(status, 422, "{says}");
        assert!(page.contains(says), "{says}: {page}");
        assert!(page.contains("Nothing was stored"), "{page}");
    }
    let neighbour_dsl = two.neighbour.clone().unwrap().dsl;
    let (status, page) = upload(&two.signed_in(&neighbour_dsl).await, &bytes, "").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("for the school with URN 200002, not Neighbour School"),
        "{page}"
    );
    let (status, page) = upload(&receiver, &bytes, "0000 0000 0000 0000 0000").await;
    assert_eq!(status, 422);
    assert!(page.contains("signed with the key"), "{page}");
    assert_eq!(transfer_count(&two), 0, "nothing stored");

    // Taken in: shows there, as received history.
    let (status, to) = upload(&receiver, &bytes, fingerprint).await;
    assert_eq!(status, 303, "{to}");
    let id = to
        .trim_start_matches("/transfers/")
        .trim_end_matches("?imported=1")
        .to_string();
    let page = receiver.text(&to).await;
    assert!(
        page.contains("Received from Test School on 12/11/2025"),
        "{page}"
    );
    assert!(page.contains("Pip was sent unkind messages"));
    assert!(page.contains(fingerprint));
    assert!(page.contains("receipt confirmed by you"));
    let (opened_at, opened_by, confirmed_at, confirmed_by, linked) = receipt(&two, &id);
    assert!(opened_at.is_some() && confirmed_at.is_some());
    assert_eq!(opened_by.as_deref(), Some(b_dsl.id.as_str()));
    assert_eq!(confirmed_by.as_deref(), Some(b_dsl.id.as_str()));
    assert_eq!(
        stored_document(&two, &id),
        package["document"].as_str().unwrap()
    );
    let pupil_page = receiver.text(&format!("/pupils/{}", linked.unwrap())).await;
    assert!(pupil_page.contains("Received from Test School on 12/11/2025"));
    assert!(!receiver.text("/incidents").await.contains(PUPIL));
    assert_eq!(
        trail(&two, &b_school, "transfer_imported", &id),
        vec![Some(b_dsl.id.clone())]
    );
    // The same package again: refused.
    let (status, page) = upload(&receiver, &bytes, "").await;
    assert_eq!(status, 422);
    assert!(page.contains("already received"), "{page}");
    assert_eq!(transfer_count(&two), 1);
    // Every refusal is in the trail, without a name.
    let refused: Vec<String> = {
        use diesel::prelude::*;
        use safelog::db::schema::audit_events as a;
        a::table
            .filter(a::action.eq("transfer_import_refused"))
            .select(a::detail.assume_not_null())
            .load(&mut two.conn())
            .unwrap()
    };
    assert_eq!(refused.len(), 8, "{refused:?}");
    assert!(refused.iter().all(|d| !d.contains("Pip")));
    // Other roles of the receiving school cannot import.
    let b_head = two.add_user_to(&b_school, "Hew Head", &[Role::Headteacher]);
    let (status, _) = upload(&two.signed_in(&b_head).await, &bytes, "").await;
    assert_eq!(status, 404);
}

/// Runs `safelog import transfer` on `package` against the app's database.
fn import_by_command(app: &TestApp, package: &[u8], extra: &[&str]) -> std::process::Output {
    let dir = std::env::temp_dir().join("safelog-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("package-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, package).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_safelog"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SAFELOG_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .args(["import", "transfer"])
        .arg(&file)
        .args(extra)
        .env("SAFELOG_DATABASE_URL", app.db.url())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    out
}

async fn safelog_import_transfer_takes_a_package_in_from_the_command_line(backend: Backend) {
    let one = spawn_app(backend).await;
    let s = setup(&one).await;
    let bytes = download(&one, &s, RECEIVING_URN).await;
    let package: Value = serde_json::from_slice(&bytes).unwrap();
    let fingerprint = package["signature"]["key_fingerprint"].as_str().unwrap();

    let two = spawn_app(backend).await;
    let b_school = two.add_school(RECEIVING, RECEIVING_URN, None);
    let out = import_by_command(
        &two,
        &bytes,
        &[
            "--school",
            RECEIVING_URN,
            "--key",
            "1234 5678 9abc def0 1234",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("signed with the key"), "{err}");
    let out = import_by_command(&two, &bytes, &["--school", "Neighbour School"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("for the school with URN 200002"));
    assert_eq!(transfer_count(&two), 0);

    let out = import_by_command(
        &two,
        &bytes,
        &[
            "--school",
            RECEIVING_URN,
            "--key",
            &fingerprint.to_uppercase(),
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("Imported a child protection file from Test School into Receiving School: 1 incident, linked to a new pupil record"),
        "{said}"
    );
    assert!(!said.contains("Pip"), "no pupil's name: {said}");
    let id: String = {
        use diesel::prelude::*;
        use safelog::db::schema::transfers as t;
        t::table.select(t::id).first(&mut two.conn()).unwrap()
    };
    assert_eq!(trail(&two, &b_school, "transfer_imported", &id), vec![None]);
    let (opened_at, _, confirmed_at, _, linked) = receipt(&two, &id);
    assert!(opened_at.is_some() && confirmed_at.is_some() && linked.is_some());
    // The school's DSL reads it as received history.
    let b_dsl = two.add_user_to(&b_school, "Rae Remote", &[Role::Dsl]);
    let page = two
        .signed_in(&b_dsl)
        .await
        .text(&format!("/transfers/{id}"))
        .await;
    assert!(
        page.contains("Received from Test School on 12/11/2025"),
        "{page}"
    );
    assert!(page.contains("the command line"));

    let out = import_by_command(&two, &bytes, &["--school", RECEIVING_URN]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already received"));
    let out = import_by_command(&two, b"{}", &["--school", RECEIVING_URN]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a safelog transfer package"));
    assert_eq!(transfer_count(&two), 1);
}

on_both_backends!(
    a_package_from_one_deployment_imports_into_another_and_nothing_else_does,
    safelog_import_transfer_takes_a_package_in_from_the_command_line,
);
