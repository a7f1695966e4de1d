//! Subject access requests (issue 16): the one-month clock (the month-end
//! rule, pausing and resuming, the start page's due and overdue), the pack
//! (the pupil's records and no other pupil's name, staff by their role,
//! passages withheld with their reason), a released pack kept as released,
//! and nobody but the DPO and the headteacher reaching any of it.

use serde_json::{json, Value};

use safelog::auth::Role;

use crate::helpers::{captured_logs, location, spawn_app, Backend, Browser, TestApp, TestUser};
use crate::incidents::api_post;
use crate::on_both_backends;

on_both_backends!(
    the_answer_is_due_a_calendar_month_after_receipt_or_on_the_months_last_day,
    pausing_stops_the_clock_and_resuming_moves_the_due_date_by_the_days_paused,
    the_start_page_shows_the_dpo_requests_due_within_seven_days_and_overdue,
    a_request_with_no_pupil_or_a_future_date_is_refused_with_the_fields_named,
    a_pack_holds_the_pupils_records_and_no_other_pupils_name,
    staff_are_named_by_their_role_unless_the_dpo_keeps_their_names,
    a_withheld_passage_is_hidden_and_its_reason_shown,
    a_released_pack_does_not_change_when_the_record_is_corrected_later,
    only_the_dpo_and_the_headteacher_reach_access_requests,
    a_dpo_excluded_from_the_pupil_gets_404_on_their_request,
);

/// Logs an incident through the API: `pupil` in `group`, with `others`.
async fn incident(
    app: &TestApp,
    by: &TestUser,
    pupil: &str,
    group: &str,
    details: &str,
    others: Value,
) -> Value {
    let res = api_post(
        app,
        &app.quick_token(by),
        "/api/v1/incidents",
        &json!({
            "pupil_name": pupil, "tutor_group": group, "incident_date": "2025-10-01",
            "category": "online-bullying", "details": details, "other_pupils": others,
        }),
    )
    .await;
    assert_eq!(res.status(), 201, "the incident is logged");
    res.json().await.unwrap()
}

/// Records a request as `dpo` would on the form; the request's path.
async fn record(b: &Browser, pupil_id: &str, received_on: &str) -> String {
    let res = b
        .post(
            "/access-requests",
            &[
                ("requester_name", "Rowena Parent-Request"),
                ("relationship", "parent"),
                ("pupil_id", pupil_id),
                ("received_on", received_on),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "the request is recorded");
    let to = location(&res);
    assert!(to.starts_with("/access-requests/"), "{to}");
    to
}

/// The reference a request's page shows.
async fn reference(b: &Browser, path: &str) -> String {
    let page = b.text(path).await;
    let at = page.find("SAR-2025-").expect("a reference");
    page[at..at + 13].to_string()
}

/// The text of the request page's due date.
fn due_of(page: &str) -> String {
    let at = page.find("id=\"due\"").expect("the due date on the page");
    page[at..].split("<strong>").nth(1).unwrap_or_default()[..10].to_string()
}

struct School {
    app: TestApp,
    dpo: TestUser,
    dsl: TestUser,
    dpo_browser: Browser,
}

async fn school(backend: Backend) -> School {
    let app = spawn_app(backend).await;
    let dpo = app.add_user("Dora Protection", &[Role::Dpo]);
    let dsl = app.add_user("Dev Safeguard", &[Role::Dsl]);
    let dpo_browser = app.signed_in(&dpo).await;
    School {
        app,
        dpo,
        dsl,
        dpo_browser,
    }
}

/// A record about Amelia, so that she is a pupil of the school.
async fn amelia(s: &School) -> Value {
    incident(
        &s.app,
        &s.dsl,
        "Amelia Thornbury",
        "9B",
        "A message.",
        json!([]),
    )
    .await
}

async fn the_answer_is_due_a_calendar_month_after_receipt_or_on_the_months_last_day(
    backend: Backend,
) {
    let s = school(backend).await;
    let made = amelia(&s).await;
    let pupil = made["pupil_id"].as_str().unwrap();
    for (received, due) in [
        ("15/10/2025", "15/11/2025"),
        // October has 31 days, November 30: the month's last day.
        ("2025-10-31", "30/11/2025"),
        ("31/08/2025", "30/09/2025"),
    ] {
        let path = record(&s.dpo_browser, pupil, received).await;
        let page = s.dpo_browser.text(&path).await;
        assert_eq!(due_of(&page), due, "received {received}");
        assert!(page.contains("Rowena Parent-Request"), "who asked");
        assert!(page.contains("Request recorded"), "the history");
        assert!(page.contains("Dora Protection"), "who recorded it");
    }
}

async fn pausing_stops_the_clock_and_resuming_moves_the_due_date_by_the_days_paused(
    backend: Backend,
) {
    let s = school(backend).await;
    let made = amelia(&s).await;
    let path = record(
        &s.dpo_browser,
        made["pupil_id"].as_str().unwrap(),
        "01/11/2025",
    )
    .await;
    let b = &s.dpo_browser;
    assert_eq!(due_of(&b.text(&path).await), "01/12/2025");

    // Pausing needs to say what the school waits for.
    let res = b.post(&format!("{path}/pause"), &[("reason", "")]).await;
    assert_eq!(res.status(), 422);
    let res = b
        .post(
            &format!("{path}/pause"),
            &[("reason", "Proof of parental responsibility")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = b.text(&path).await;
    assert!(
        page.contains("Paused: waiting for ID or clarification"),
        "{page}"
    );
    assert!(page.contains("Proof of parental responsibility"));
    // Paused twice is refused.
    let res = b
        .post(&format!("{path}/pause"), &[("reason", "again")])
        .await;
    assert_eq!(res.status(), 409);

    s.app.clock.advance(chrono::Duration::days(5));
    // Five days on, the DPO signs in again.
    let b = &s.app.signed_in(&s.dpo).await;
    let res = b.post(&format!("{path}/resume"), &[]).await;
    assert_eq!(res.status(), 303);
    let page = b.text(&path).await;
    assert_eq!(
        due_of(&page),
        "06/12/2025",
        "five days paused move the due date"
    );
    assert!(
        page.contains("Paused for 5 days; now due 06/12/2025."),
        "{page}"
    );
    assert!(page.contains("Clock resumed"));

    // An extension of two further months, with its reason.
    let res = b
        .post(
            &format!("{path}/extend"),
            &[
                ("months", "2"),
                ("reason", "Many records across three years"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(due_of(&b.text(&path).await), "06/02/2026");
    let res = b
        .post(
            &format!("{path}/extend"),
            &[("months", "3"), ("reason", "more")],
        )
        .await;
    assert_eq!(res.status(), 422, "no more than two further months");
}

async fn the_start_page_shows_the_dpo_requests_due_within_seven_days_and_overdue(backend: Backend) {
    // Today is 12/11/2025.
    let s = school(backend).await;
    let made = amelia(&s).await;
    let pupil = made["pupil_id"].as_str().unwrap();
    let b = &s.dpo_browser;
    let soon = record(b, pupil, "15/10/2025").await; // due 15/11: in 3 days
    let late = record(b, pupil, "01/10/2025").await; // due 01/11: overdue
    let later = record(b, pupil, "10/11/2025").await; // due 10/12
    let paused = record(b, pupil, "02/10/2025").await; // due 02/11, but paused
    b.post(&format!("{paused}/pause"), &[("reason", "ID")])
        .await;
    let (soon_ref, late_ref, later_ref, paused_ref) = (
        reference(b, &soon).await,
        reference(b, &late).await,
        reference(b, &later).await,
        reference(b, &paused).await,
    );
    assert_eq!(late_ref, "SAR-2025-0002");

    let home = b.text("/").await;
    let card = &home[home.find("id=\"access-requests\"").expect("the card")..];
    assert!(card.contains("1 overdue"), "{card}");
    assert!(card.contains("1 due within 7 days"), "{card}");
    assert!(
        card.contains(&soon_ref) && card.contains("due in 3 days"),
        "{card}"
    );
    assert!(
        card.contains(&late_ref) && card.contains("overdue by 11 days"),
        "{card}"
    );
    assert!(!card.contains(&later_ref), "not yet due: {card}");
    assert!(
        !card.contains(&paused_ref),
        "the clock stands still: {card}"
    );

    // The list page says the same, and lists them all.
    let list = b.text("/access-requests").await;
    let overdue =
        &list[list.find("id=\"overdue\"").unwrap()..list.find("id=\"due-soon\"").unwrap()];
    assert!(overdue.contains(&late_ref) && !overdue.contains(&soon_ref));
    for r in [&soon_ref, &late_ref, &later_ref, &paused_ref] {
        assert!(list.contains(r.as_str()));
    }

    // A DSL's start page has no such card.
    let dsl = s.app.signed_in(&s.dsl).await;
    assert!(!dsl.text("/").await.contains("id=\"access-requests\""));
}

async fn a_request_with_no_pupil_or_a_future_date_is_refused_with_the_fields_named(
    backend: Backend,
) {
    let s = school(backend).await;
    let res = s
        .dpo_browser
        .post(
            "/access-requests",
            &[
                ("requester_name", "Typed Requester Name"),
                ("relationship", "parent"),
                ("pupil_id", ""),
                ("received_on", "13/11/2025"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Choose the pupil the request is about."),
        "{page}"
    );
    assert!(page.contains("cannot be in the future"), "{page}");
    assert!(
        page.contains("Typed Requester Name"),
        "what was typed is kept"
    );
    let res = s
        .dpo_browser
        .post(
            "/access-requests",
            &[
                ("requester_name", "Typed Requester Name"),
                ("relationship", "parent"),
                ("pupil_id", &s.app.neighbour.as_ref().unwrap().pupil_id),
                ("received_on", "31/02/2025"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422, "another school's pupil, and no such day");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Enter the date the request was received"),
        "{page}"
    );
}

/// A's school: A's records, another pupil's, and canary names.
struct Canaries {
    s: School,
    pupil: String,
    records: (String, String),
    /// The first record's id.
    first: String,
    private: String,
}

const CANARIES: [&str; 6] = [
    "Quillon",
    "Vantablack",
    "Zebedee",
    "Marchbanks",
    "11Q",
    "Xanthe Orrery-Pike",
];

async fn canaries(backend: Backend) -> Canaries {
    let s = school(backend).await;
    // A pupil of the school on no record of A's, named in A's text.
    let zed = incident(
        &s.app,
        &s.dsl,
        "Zebedee Marchbanks",
        "10Z",
        "PRIVATE-ZED-RECORD: nothing to do with Amelia.",
        json!([]),
    )
    .await;
    let first = incident(
        &s.app,
        &s.dsl,
        "Amelia Thornbury",
        "9B",
        "Quillon Vantablack sent Amelia cruel messages; Quillon laughed about it. \
         Zebedee Marchbanks saw it happen. The family's address is 12 Lark Lane.",
        json!([{"name": "Quillon Vantablack", "tutor_group": "11Q", "role": "alleged"}]),
    )
    .await;
    // A record about another pupil, with A among the others.
    let second = incident(
        &s.app,
        &s.dsl,
        "Xanthe Orrery-Pike",
        "11Q",
        "Xanthe posted a photo; Amelia Thornbury was a witness.",
        json!([{"name": "Amelia Thornbury", "tutor_group": "9B", "role": "witness"}]),
    )
    .await;
    Canaries {
        pupil: first["pupil_id"].as_str().unwrap().to_string(),
        records: (
            first["reference"].as_str().unwrap().to_string(),
            second["reference"].as_str().unwrap().to_string(),
        ),
        first: first["id"].as_str().unwrap().to_string(),
        private: zed["reference"].as_str().unwrap().to_string(),
        s,
    }
}

async fn a_pack_holds_the_pupils_records_and_no_other_pupils_name(backend: Backend) {
    let c = canaries(backend).await;
    // A file on A's record, and a decision whose reason names another
    // pupil: the pack lists the file by name and SHA-256, and the decision
    // is on the timeline.
    let dsl_token = c.s.app.quick_token(&c.s.dsl);
    let letter = crate::evidence::pdf("for the access request");
    let res = crate::evidence::api_upload(
        &c.s.app,
        &dsl_token,
        &c.first,
        "Quillon Vantablack screenshot.pdf",
        &letter,
    )
    .await;
    assert_eq!(res.status(), 201);
    let file: Value = res.json().await.unwrap();
    let res = api_post(
        &c.s.app,
        &dsl_token,
        &format!("/api/v1/incidents/{}/decisions", c.first),
        &json!({"decision": "no_further_action", "reason": "Zebedee Marchbanks apologised in person."}),
    )
    .await;
    assert!(res.status().is_success(), "{}", res.status());
    let b = &c.s.dpo_browser;
    let path = record(b, &c.pupil, "05/11/2025").await;
    let reads_of_first = |app: &TestApp| {
        app.audit_actions()
            .iter()
            .filter(|(a, _, record)| a == "incident_viewed" && record.as_deref() == Some(&c.first))
            .count()
    };
    let before = reads_of_first(&c.s.app);
    let res = b.get(&format!("{path}/pack")).await;
    assert_eq!(res.status(), 200);
    let pack = res.text().await.unwrap();
    let json = b.text(&format!("{path}/pack.json")).await;
    for text in [&pack, &json] {
        assert!(
            text.contains(&c.records.0) && text.contains(&c.records.1),
            "both records"
        );
        assert!(text.contains("Amelia Thornbury"), "the pupil's own name");
        assert!(text.contains("another pupil laughed"), "{text}");
        assert!(
            text.contains("another pupil saw it happen"),
            "a pupil the record does not link"
        );
        for canary in CANARIES {
            assert!(!text.contains(canary), "{canary} in the pack:\n{text}");
        }
        assert!(!text.contains(&c.private) && !text.contains("PRIVATE-ZED-RECORD"));
        assert!(
            text.contains(file["sha256"].as_str().unwrap()),
            "the file's hash"
        );
        assert!(
            text.contains("another pupil screenshot.pdf"),
            "the file's name"
        );
        assert!(
            text.contains("Decision: no further action."),
            "the decision"
        );
        assert!(
            text.contains("another pupil apologised in person."),
            "its reason"
        );
    }
    let parsed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["format"], "safelog-subject-access-pack");
    assert_eq!(parsed["incidents"].as_array().unwrap().len(), 2);
    // A cover page with the request's reference.
    assert!(pack.contains("sar-cover") && pack.contains("SAR-2025-0001"));

    // Each build is a read of each record, in the audit trail; no name
    // in the addresses or the logs.
    let audit = c.s.app.audit_actions();
    assert_eq!(
        reads_of_first(&c.s.app) - before,
        2,
        "the record read twice (the page and the JSON)"
    );
    assert!(audit.iter().any(|(a, _, _)| a == "access_pack_viewed"));
    assert!(audit.iter().any(|(a, _, _)| a == "access_pack_downloaded"));
    assert!(!path.contains("Amelia"));
    assert!(!captured_logs().contains("Amelia Thornbury"));
}

async fn staff_are_named_by_their_role_unless_the_dpo_keeps_their_names(backend: Backend) {
    let s = school(backend).await;
    let teacher = s.app.add_user("Percival Staffordshire", &[Role::Staff]);
    let made = incident(
        &s.app,
        &teacher,
        "Amelia Thornbury",
        "9B",
        "Amelia told Percival Staffordshire, who told Dev Safeguard.",
        json!([]),
    )
    .await;
    let b = &s.dpo_browser;
    let path = record(b, made["pupil_id"].as_str().unwrap(), "05/11/2025").await;
    let pack = b.text(&format!("{path}/pack")).await;
    for name in ["Percival Staffordshire", "Dev Safeguard", "Staffordshire"] {
        assert!(!pack.contains(name), "{name} in the pack");
    }
    assert!(
        pack.contains("Amelia told Member of staff, who told Designated Safeguarding Lead."),
        "{pack}"
    );

    let res = b
        .post(&format!("{path}/staff-names"), &[("keep", "1")])
        .await;
    assert_eq!(res.status(), 303);
    let pack = b.text(&format!("{path}/pack")).await;
    assert!(pack.contains("Amelia told Percival Staffordshire, who told Dev Safeguard."));
    assert!(b
        .text(&path)
        .await
        .contains("Staff names kept in the pack."));
}

async fn a_withheld_passage_is_hidden_and_its_reason_shown(backend: Backend) {
    let c = canaries(backend).await;
    let b = &c.s.dpo_browser;
    let path = record(b, &c.pupil, "05/11/2025").await;
    let redact = |passage: &'static str, field: &'static str| {
        let path = path.clone();
        let reference = c.records.0.clone();
        async move {
            b.post(
                &format!("{path}/redactions"),
                &[
                    ("reference", reference.as_str()),
                    ("field", field),
                    ("passage", passage),
                    ("reason", "Information about a third party"),
                ],
            )
            .await
        }
    };
    // Words the pack does not show are refused, and nothing is stored.
    let res = redact("13 Lark Lane", "details").await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("The passage is not in"), "{page}");
    assert!(page.contains("What happened"));
    assert!(
        page.contains(">13 Lark Lane</textarea>"),
        "what was typed is kept"
    );
    let res = redact("The family's address is 12 Lark Lane.", "details").await;
    assert_eq!(res.status(), 303);

    let pack = b.text(&format!("{path}/pack")).await;
    assert!(!pack.contains("12 Lark Lane"), "the passage is withheld");
    assert!(
        pack.contains("[withheld: Information about a third party]"),
        "{pack}"
    );
    assert!(pack.contains("Information withheld"), "the list at the end");
    assert!(
        pack.contains("another pupil saw it happen"),
        "the rest stays"
    );
    // The record itself is untouched.
    let dsl = c.s.app.signed_in(&c.s.dsl).await;
    let incidents = dsl.text("/incidents").await;
    assert!(incidents.contains(&c.records.0));
    let history = b.text(&path).await;
    assert!(history.contains("Passage withheld"), "on the history");
}

async fn a_released_pack_does_not_change_when_the_record_is_corrected_later(backend: Backend) {
    let c = canaries(backend).await;
    let b = &c.s.dpo_browser;
    let path = record(b, &c.pupil, "05/11/2025").await;
    let res = b.post(&format!("{path}/release"), &[]).await;
    assert_eq!(res.status(), 422, "releasing needs the confirmation ticked");
    let res = b
        .post(&format!("{path}/release"), &[("confirm", "1")])
        .await;
    assert_eq!(res.status(), 303);
    let released_json = b.text(&format!("{path}/pack.json")).await;
    let released_page = b.text(&format!("{path}/pack")).await;
    assert!(released_page.contains("exactly as released"));
    assert!(released_page.contains("cruel messages"));
    assert!(
        !released_page.contains("Withhold a passage"),
        "no more redaction"
    );

    // The DSL corrects the record afterwards.
    let incident_id = &c.first;
    let res = api_post(
        &c.s.app,
        &c.s.app.quick_token(&c.s.dsl),
        &format!("/api/v1/incidents/{incident_id}/corrections"),
        &json!({"version": 1, "reason": "Clearer", "details": "CORRECTED-LATER wording."}),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    assert_eq!(b.text(&format!("{path}/pack.json")).await, released_json);
    let page = b.text(&format!("{path}/pack")).await;
    assert!(page.contains("cruel messages") && !page.contains("CORRECTED-LATER"));
    let request = b.text(&path).await;
    assert!(request.contains("Pack released") && request.contains("Dora Protection"));
    assert!(request.contains("Released pack SHA-256"));
    // Released is final.
    let res = b
        .post(&format!("{path}/release"), &[("confirm", "1")])
        .await;
    assert_eq!(res.status(), 409);
    let res = b.post(&format!("{path}/pause"), &[("reason", "x")]).await;
    assert_eq!(res.status(), 409);
}

async fn only_the_dpo_and_the_headteacher_reach_access_requests(backend: Backend) {
    let c = canaries(backend).await;
    let path = record(&c.s.dpo_browser, &c.pupil, "05/11/2025").await;
    let head = c.s.app.add_user("Hana Head", &[Role::Headteacher]);
    let hb = c.s.app.signed_in(&head).await;
    for p in [
        "/access-requests".to_string(),
        path.clone(),
        format!("{path}/pack"),
    ] {
        assert_eq!(hb.get(&p).await.status(), 200, "{p} for the headteacher");
    }
    for role in [
        Role::Staff,
        Role::Dsl,
        Role::OnlineSafetyLead,
        Role::Admin,
        Role::Governor,
    ] {
        let who =
            c.s.app
                .add_user(&format!("Someone {}", role.as_str()), &[role]);
        let wb = c.s.app.signed_in(&who).await;
        for p in [
            "/access-requests".to_string(),
            "/access-requests/new".to_string(),
            path.clone(),
            format!("{path}/pack"),
            format!("{path}/pack.json"),
        ] {
            assert_eq!(wb.get(&p).await.status(), 404, "{p} for {role}");
        }
        let res = wb
            .post(&format!("{path}/release"), &[("confirm", "1")])
            .await;
        assert_eq!(res.status(), 404);
    }
    // The neighbouring school's DPO: 404, as for a request that does not exist.
    let neighbour = c.s.app.neighbour.as_ref().unwrap();
    let their_dpo =
        c.s.app
            .add_user_to(&neighbour.school_id, "Nell Dpo", &[Role::Dpo]);
    let nb = c.s.app.signed_in(&their_dpo).await;
    assert_eq!(nb.get(&path).await.status(), 404);
    assert_eq!(nb.get(&format!("{path}/pack")).await.status(), 404);
}

/// A DPO excluded from the pupil (a parent on the staff) reads nothing of
/// them: not the request, its pack or the list entry, and the pupil is not
/// offered on the form; another DPO still answers it.
async fn a_dpo_excluded_from_the_pupil_gets_404_on_their_request(backend: Backend) {
    let c = canaries(backend).await;
    let path = record(&c.s.dpo_browser, &c.pupil, "05/11/2025").await;
    let reference = reference(&c.s.dpo_browser, &path).await;
    let parent = c.s.app.add_user("Pat Parent-Dpo", &[Role::Dpo]);
    crate::exclusions::exclude(&c.s.app, &c.s.dsl, &c.pupil, &parent).await;
    let pb = c.s.app.signed_in(&parent).await;
    for p in [
        path.clone(),
        format!("{path}/pack"),
        format!("{path}/pack.json"),
    ] {
        assert_eq!(pb.get(&p).await.status(), 404, "{p}");
    }
    let res = pb
        .post(&format!("{path}/pause"), &[("reason", "Waiting for ID.")])
        .await;
    assert_eq!(res.status(), 404);
    let list = pb.text("/access-requests").await;
    assert!(!list.contains(&reference), "the request is listed");
    let form = pb.text("/access-requests/new").await;
    assert!(!form.contains(&c.pupil), "the pupil is offered");
    // Nor can they record one about the pupil.
    let res = pb
        .post(
            "/access-requests",
            &[
                ("requester_name", "Someone"),
                ("relationship", "parent"),
                ("pupil_id", c.pupil.as_str()),
                ("received_on", "05/11/2025"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(c.s.dpo_browser.get(&path).await.status(), 200);
}
