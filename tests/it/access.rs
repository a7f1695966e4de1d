//! Who may use which route, checked from the route table itself: every
//! route the application registers is requested by every role (and by
//! nobody), and must answer as PRODUCT.md's roles say. A new route that this
//! file does not know how to judge fails the test until someone decides.

use actix_web::http::Method;
use safelog::auth::Role;

use crate::helpers::{location, spawn_app, Backend, TestApp, TestUser};
use crate::on_both_backends;

/// Who PRODUCT.md lets use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Sign-in, setup, password reset, health and static assets only.
    Public,
    /// Only a session waiting for its second factor.
    Verifying,
    /// Anyone signed in (and someone still setting up their second factor).
    Enrolling,
    /// Any session, to end it.
    AnySession,
    SignedIn,
    Roles(&'static [Role]),
    /// A monitoring tool's ingestion key, not a session: 401 to everyone
    /// without one, whoever is signed in (tests/it/monitoring.rs).
    IngestKey,
}

const ADMIN: &[Role] = &[Role::Admin];
/// Everyone who logs incidents or reads some: not governors, not administrators.
/// A senior leader (`leadership`) reads what the Online Safety Lead reads.
const READERS: &[Role] = &[
    Role::Staff,
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
    Role::Leadership,
    // Reads allegations about the headteacher (and logs like anyone).
    Role::AllegationsLead,
];
/// "LG Acknowledged": the headteacher and the leadership group.
const ACKNOWLEDGERS: &[Role] = &[Role::Headteacher, Role::Leadership];
const MARK_IN_ERROR: &[Role] = &[Role::Dsl, Role::Headteacher];
/// Who works a case (PRODUCT.md: the leads and, for its categories, the DPO;
/// the allegations lead for allegations about the headteacher).
const CASE_WORKERS: &[Role] = &[
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
    Role::AllegationsLead,
];
const CASE_ACTIONS: [&str; 8] = [
    "/take",
    "/assign",
    "/status",
    "/actions",
    "/escalate",
    "/referrals",
    // Decisions with a reason and information shares (issue 16).
    "/decisions",
    "/shares",
];
const DSL: &[Role] = &[Role::Dsl];
/// Retention review: the DPO and the DSL; legal holds, the headteacher too.
const RETENTION: &[Role] = &[Role::Dpo, Role::Dsl];
const HOLDS: &[Role] = &[Role::Dpo, Role::Dsl, Role::Headteacher];
const EXPORTERS: &[Role] = &[Role::Dsl, Role::Headteacher, Role::OnlineSafetyLead];
const IMPORTERS: &[Role] = &[Role::Dsl, Role::Admin];
/// Governors' reports: governors (of a published term: the route test
/// publishes the one it asks for) and the leads who see every incident.
const REPORT_READERS: &[Role] = &[
    Role::Governor,
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Leadership,
];
/// Only the Online Safety Lead writes the commentary and publishes.
const REPORT_PUBLISHER: &[Role] = &[Role::OnlineSafetyLead];
/// Filtering and monitoring alerts (issue 17): the DSL and the Online
/// Safety Lead read and triage them, and whoever the school names (a
/// member of staff on the administrator's list: the holder below).
const MONITORING: &[Role] = &[Role::Dsl, Role::OnlineSafetyLead, Role::MonitoringTriager];
/// The annual filtering and monitoring review: governors read the
/// published one (the route test publishes the year it asks for); the DSL
/// and headteacher prepare and publish it; the register of filtering
/// decisions is kept by the DSL, the Online Safety Lead and administrators.
const REVIEW_READERS: &[Role] = &[
    Role::Governor,
    Role::Dsl,
    Role::Headteacher,
    Role::OnlineSafetyLead,
];
const REVIEW_PUBLISHERS: &[Role] = &[Role::Dsl, Role::Headteacher];
const FILTERING_REGISTER: &[Role] = &[Role::Dsl, Role::OnlineSafetyLead, Role::Admin];
/// A pupil's page: the readers, and the administrator, who manages the
/// pupil's exclusions there and reads no incident (issue 16).
const PUPIL_PAGE: &[Role] = &[
    Role::Staff,
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
    Role::Leadership,
    Role::AllegationsLead,
    Role::Admin,
];
/// Conflicts of interest: the administrator and the DSL mark a member of
/// staff as excluded from a pupil, and lift it (tests/it/exclusions.rs).
const EXCLUSION_MANAGERS: &[Role] = &[Role::Admin, Role::Dsl];

/// As [`expected`], for the one path whose methods differ in who may use
/// them: tools post alerts with a key; the leads list them.
fn expected_for(method: &Method, path: &str) -> Option<Expect> {
    if *method == Method::POST && path == "/api/v1/monitoring/alerts" {
        return Some(Expect::IngestKey);
    }
    // The school's review periods: the DPO sets them; the DSL reads them
    // (tests/it/retention.rs).
    if *method == Method::POST && path == "/retention/periods" {
        return Some(Expect::Roles(&[Role::Dpo]));
    }
    expected(path)
}

/// PRODUCT.md's reading of each URL, written independently of the code's
/// own access rules.
fn expected(path: &str) -> Option<Expect> {
    // "/login/oidc/": starting and finishing a sign-in through a school's
    // provider (tests/it/sso.rs).
    let public_prefixes = [
        "/health/",
        "/assets/",
        "/setup/",
        "/password-reset",
        "/login/oidc/",
    ];
    if public_prefixes.iter().any(|p| path.starts_with(p))
        || ["/login", "/favicon.ico", "/api/v1/auth/token"].contains(&path)
        // Prometheus metrics: the handler asks for the metrics listener or
        // SAFELOG_METRICS_TOKEN, whoever is signed in (tests/it/metrics.rs).
        || path == "/metrics"
    {
        return Some(Expect::Public);
    }
    Some(match path {
        "/login/2fa" => Expect::Verifying,
        "/account/2fa" | "/account/2fa/start" | "/account/2fa/confirm" => Expect::Enrolling,
        "/logout" | "/api/v1/auth/logout" => Expect::AnySession,
        "/"
        | "/account"
        | "/account/password"
        // Switching school: the handler checks the membership (tests/it/schools.rs).
        | "/account/school"
        | "/account/2fa/recovery-codes"
        | "/api/v1/me"
        | "/dashboard/alerts/seen"
        | "/dashboard/alerts/{alert}/dismiss"
        | "/api/v1/openapi.json" => Expect::SignedIn,
        p if p == "/admin" || p.starts_with("/admin/") => Expect::Roles(ADMIN),
        // Retention (issue 16): the review queue, a record's review and its
        // decision, a missing date of birth and the periods are the DPO's
        // and the DSL's; legal holds the headteacher's too
        // (tests/it/retention.rs).
        "/retention"
        | "/retention/incidents/{id}"
        | "/retention/pupils/{id}/date-of-birth"
        | "/retention/periods"
        | "/api/v1/retention/due" => Expect::Roles(RETENTION),
        "/retention/holds" | "/retention/holds/{id}/records" | "/retention/holds/{id}/lift" => {
            Expect::Roles(HOLDS)
        }
        // The trust dashboard: only a trust's safeguarding lead, a trust
        // role no school gives, so every role here is refused
        // (tests/it/trust.rs signs one in).
        "/trust" => Expect::Roles(&[Role::TrustSafeguardingLead]),
        // The trust administrator's pages: its schools, its trust roles and
        // its shared categories; nobody else, a school's administrator
        // included (tests/it/trust_admin.rs).
        p if p == "/trust/admin" || p.starts_with("/trust/admin/") => {
            Expect::Roles(&[Role::TrustAdmin])
        }
        // A school's DSL or headteacher asks the trust lead to work its
        // cases (tests/it/trust.rs).
        "/trust/help" | "/trust/help/end" => Expect::Roles(&[Role::Dsl, Role::Headteacher]),
        // The trust's termly report: its safeguarding lead writes and
        // publishes; trustees read what was published (the route test
        // publishes the term it asks for; tests/it/trust_report.rs).
        p if p.starts_with("/trust/reports/")
            && (p.ends_with("/commentary") || p.ends_with("/publish")) =>
        {
            Expect::Roles(&[Role::TrustSafeguardingLead])
        }
        p if p == "/trust/reports" || p.starts_with("/trust/reports/") => {
            Expect::Roles(&[Role::TrustSafeguardingLead, Role::Trustee])
        }
        // The log as a spreadsheet: the leads who read it all. The old
        // spreadsheet in: the DSL and administrators (issue 7).
        "/incidents/export.csv" | "/api/v1/export.csv" => Expect::Roles(EXPORTERS),
        "/import/log" => Expect::Roles(IMPORTERS),
        // The list's filter form (a POST, so typed text stays out of addresses).
        "/incidents/search" => Expect::Roles(READERS),
        p if p.starts_with("/reports/")
            && (p.ends_with("/commentary") || p.ends_with("/publish")) =>
        {
            Expect::Roles(REPORT_PUBLISHER)
        }
        p if p == "/reports" || p.starts_with("/reports/") || p == "/api/v1/reports/termly" => {
            Expect::Roles(REPORT_READERS)
        }
        // A pupil's child identifier and NHS number: the DSL, who keeps the
        // safeguarding record, and the DPO, who answers for its accuracy
        // (tests/it/mis.rs).
        "/pupils/{id}/identifiers" => Expect::Roles(&[Role::Dsl, Role::Dpo]),
        "/pupils/{id}" => Expect::Roles(PUPIL_PAGE),
        p if p.starts_with("/pupils/{id}/exclusions")
            || p.starts_with("/api/v1/pupils/{id}/exclusions") =>
        {
            Expect::Roles(EXCLUSION_MANAGERS)
        }
        // A pupil's child protection file (KCSIE): the DSL sends it, reads
        // the transfers, and opens and confirms a file received; a trust's
        // safeguarding lead reads (see trust_lead_reads). Every other role:
        // 404 (tests/it/transfers.rs).
        // The same file as a signed package for another system, and a
        // package from one taken in: the DSL too.
        "/pupils/{id}/transfer"
        | "/pupils/{id}/transfer-package"
        | "/transfers"
        | "/transfers/import"
        | "/transfers/{id}"
        | "/transfers/{id}/receive" => Expect::Roles(DSL),
        // Subject access requests and their packs: the DPO, and the
        // headteacher; every other role 404 (tests/it/access_requests.rs).
        p if p == "/access-requests" || p.starts_with("/access-requests/") => {
            Expect::Roles(&[Role::Dpo, Role::Headteacher])
        }
        p if p.ends_with("/entered-in-error") => Expect::Roles(MARK_IN_ERROR),
        "/filtering-review/decisions" => Expect::Roles(FILTERING_REGISTER),
        p if p.starts_with("/filtering-review/")
            && (p.ends_with("/commentary") || p.ends_with("/publish")) =>
        {
            Expect::Roles(REVIEW_PUBLISHERS)
        }
        p if p == "/filtering-review" || p.starts_with("/filtering-review/") => {
            Expect::Roles(REVIEW_READERS)
        }
        p if p == "/monitoring"
            || p.starts_with("/monitoring/")
            || p.starts_with("/api/v1/monitoring/") =>
        {
            Expect::Roles(MONITORING)
        }
        p if p.ends_with("/acknowledge") => Expect::Roles(ACKNOWLEDGERS),
        // Adding the agency's reference to a referral is a case action.
        "/incidents/{id}/referrals/{referral}/reference" => Expect::Roles(CASE_WORKERS),
        p if p.contains("/incidents/{id}/") && CASE_ACTIONS.iter().any(|a| p.ends_with(a)) => {
            Expect::Roles(CASE_WORKERS)
        }
        p if p.starts_with("/incidents")
            || p.starts_with("/api/v1/incidents")
            || p.starts_with("/pupils/")
            || p == "/api/v1/pupils"
            || p == "/api/v1/categories" =>
        {
            Expect::Roles(READERS)
        }
        _ => return None,
    })
}

/// Records a role can see, so that an allowed request is not a 404 for want
/// of one (which record a role may read is the incident tests' business).
#[derive(Clone)]
struct Records {
    incident: String,
    pupil: String,
    category: String,
    /// A school of the trust, a category the trust shares, and someone
    /// holding a trust role there: for the trust administrator's pages.
    school: String,
    trust_category: String,
    trust_member: String,
    /// A monitoring alert of the school.
    alert: String,
    /// A child protection file the school received.
    transfer: String,
    /// A sign-in provider (OpenID Connect) of the school, or of the trust
    /// for the trust administrator.
    provider: String,
    /// A file attached to `incident`.
    attachment: String,
    /// A subject access request of the school (for the DPO and the
    /// headteacher).
    access_request: String,
}

impl Default for Records {
    /// For requests that never reach a record: nobody signed in, or a role
    /// the route is closed to.
    fn default() -> Self {
        let none = uuid::Uuid::nil().to_string();
        Records {
            incident: none.clone(),
            pupil: none.clone(),
            category: none.clone(),
            school: none.clone(),
            trust_category: none.clone(),
            trust_member: none.clone(),
            alert: none.clone(),
            transfer: none.clone(),
            provider: none.clone(),
            attachment: none.clone(),
            access_request: none,
        }
    }
}

/// A real value for each path parameter.
fn fill(path: &str, target: &TestUser, records: &Records) -> String {
    let id = if path.starts_with("/admin/users/") {
        target.id.as_str()
    } else if path.starts_with("/admin/categories/") {
        records.category.as_str()
    } else if path.starts_with("/pupils/")
        || path.starts_with("/api/v1/pupils/")
        || path.starts_with("/retention/pupils/")
    {
        records.pupil.as_str()
    } else if path.starts_with("/trust/admin/schools/") {
        records.school.as_str()
    } else if path.starts_with("/trust/admin/categories/") {
        records.trust_category.as_str()
    } else if path.starts_with("/trust/admin/people/") {
        records.trust_member.as_str()
    } else if path.starts_with("/monitoring/") || path.starts_with("/api/v1/monitoring/") {
        records.alert.as_str()
    } else if path.starts_with("/transfers/") {
        records.transfer.as_str()
    } else if path.starts_with("/access-requests/") {
        records.access_request.as_str()
    } else if path.contains("/sign-in/providers/") || path.starts_with("/login/oidc/") {
        records.provider.as_str()
    } else {
        records.incident.as_str()
    };
    let filled = path
        .replace("{token}", "not-a-real-token")
        .replace("{name}", "style.css")
        .replace("{year}", "2025")
        .replace("{term}", "autumn")
        .replace("{alert}", &uuid::Uuid::nil().to_string())
        .replace("{referral}", &uuid::Uuid::nil().to_string())
        .replace("{provider}", id)
        .replace("{attachment_id}", &records.attachment)
        .replace("{exclusion_id}", &uuid::Uuid::nil().to_string())
        .replace("{id}", id);
    assert!(
        !filled.contains('{'),
        "give the route test a value for the parameter in {path}"
    );
    filled
}

async fn send(
    app: &TestApp,
    method: &Method,
    path: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let url = app.url(path);
    let mut req = match *method {
        Method::GET => app.client.get(url),
        Method::POST if path.starts_with("/api/") => {
            app.client.post(url).json(&serde_json::json!({}))
        }
        Method::POST => app.client.post(url).form(&[("x", "")]),
        ref other => panic!("the route test does not send {other} yet"),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// What a trust's safeguarding lead reads in a school of their trust
/// (the trusts issue: what a DSL reads), and nothing that writes: the list,
/// its filter form, a record and a pupil's chronology.
fn trust_lead_reads(method: &Method, path: &str) -> bool {
    matches!(
        (method.as_str(), path),
        ("GET", "/incidents")
            | ("POST", "/incidents/search")
            | ("GET", "/incidents/{id}")
            | ("GET", "/incidents/{id}/attachments/{attachment_id}")
            | ("GET", "/pupils/{id}")
            | ("GET", "/transfers")
            | ("GET", "/transfers/{id}")
    )
}

fn allows(expect: Expect, role: Role) -> bool {
    match expect {
        Expect::Public | Expect::Enrolling | Expect::AnySession | Expect::SignedIn => true,
        Expect::Verifying | Expect::IngestKey => false,
        // The named triager is a member of staff: staff's routes too.
        Expect::Roles(roles) if role == Role::MonitoringTriager => {
            roles.contains(&role) || roles.contains(&Role::Staff)
        }
        Expect::Roles(roles) => roles.contains(&role),
    }
}

async fn every_route_answers_each_role_as_product_md_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let target = app.add_user("Tara Target", &[Role::Staff]);
    let holders: Vec<(Role, TestUser)> = Role::ALL
        .iter()
        .map(|r| {
            (
                *r,
                app.add_user(&format!("Holder {}", r.as_str().replace('_', " ")), &[*r]),
            )
        })
        // Not school roles: trust memberships (tests/it/trust.rs).
        .chain(Role::TRUST.iter().map(|r| {
            (
                *r,
                crate::trust::trust_member(
                    &app,
                    &target.school_id,
                    "Test Trust",
                    &format!("Holder {}", r.as_str().replace('_', " ")),
                    *r,
                ),
            )
        }))
        // A member of staff the administrator names to triage alerts.
        .chain(std::iter::once((
            Role::MonitoringTriager,
            app.add_user("Holder named triager", &[Role::Staff]),
        )))
        .collect();
    {
        let named = &holders.last().expect("the named triager").1;
        safelog::monitoring::store::name_triager(
            &mut app.conn(),
            &target.school_id,
            &named.id,
            &named.id,
            app.clock.now_naive(),
        )
        .unwrap();
    }
    let category_id = safelog::categories::store::for_school(
        &mut app.conn(),
        &target.school_id,
        app.clock.now_naive(),
    )
    .unwrap()[0]
        .id
        .clone();
    // One alert of this school for the leads who triage, and one of the
    // neighbour's for the crossing below.
    let key = crate::monitoring::key_for(&app, &target.school_id, "Route Tool");
    let our_alert = crate::monitoring::alert(
        &app,
        &key,
        serde_json::json!({"alert_id": "route-1", "severity": "low"}),
    )
    .await;
    let neighbour_key = crate::monitoring::key_for(
        &app,
        &app.neighbour.as_ref().expect("a neighbour").school_id,
        "Route Tool",
    );
    let their_alert = crate::monitoring::alert(
        &app,
        &neighbour_key,
        serde_json::json!({"alert_id": "route-1", "severity": "low"}),
    )
    .await;
    // Three child protection files: one the neighbouring school sent to
    // this one (this school's DSL opens and confirms it), and two between
    // a third school and each of the two, which neither may reach.
    let neighbour = app.neighbour.clone().expect("a neighbouring school");
    let elsewhere = app.add_school("Elsewhere School", "300003", None);
    let received = transfer(
        &app,
        &neighbour.dsl,
        &neighbour.school_id,
        &neighbour.pupil_id,
        &target.school_id,
    );
    let theirs_elsewhere = transfer(
        &app,
        &neighbour.dsl,
        &neighbour.school_id,
        &neighbour.pupil_id,
        &elsewhere,
    );
    let ours_pupil = crate::incidents::quick_incident(
        &app,
        &app.quick_token(&target),
        "Moving Pupil",
        "online-bullying",
        "route test",
    )
    .await;
    let ours_elsewhere = transfer(
        &app,
        &target,
        &target.school_id,
        ours_pupil["pupil_id"].as_str().unwrap(),
        &elsewhere,
    );
    let mut records = std::collections::HashMap::new();
    let sso_issuer = "http://127.0.0.1:9";
    let school_provider = crate::sso::add_provider(
        &app,
        safelog::sso::store::Owner::School(&target.school_id),
        sso_issuer,
        "generic",
        |_| {},
    );
    let admin_records = Records {
        category: category_id.clone(),
        provider: school_provider,
        ..Records::default()
    };
    // The trust administrator's records: this school, a category the trust
    // shares, and the trustee (who holds a role across the trust).
    let trustee = &holders
        .iter()
        .find(|(r, _)| *r == Role::Trustee)
        .expect("a trustee")
        .1;
    let trust_records = Records {
        school: target.school_id.clone(),
        trust_category: crate::trust_admin::shared_category(&app, "Test Trust", "Route test"),
        trust_member: trustee.id.clone(),
        provider: crate::sso::add_provider(
            &app,
            safelog::sso::store::Owner::Trust(
                &safelog::accounts::store::school(&mut app.conn(), &target.school_id)
                    .unwrap()
                    .trust_id
                    .expect("the test school's trust"),
            ),
            sso_issuer,
            "generic",
            |_| {},
        ),
        ..Records::default()
    };
    records.insert(Role::TrustAdmin, trust_records.clone());
    for (role, holder) in &holders {
        if READERS.contains(role)
            || *role == Role::TrustSafeguardingLead
            || *role == Role::MonitoringTriager
        {
            // The DPO reads only data breaches; staff only what they logged.
            let category = if *role == Role::Dpo {
                "data-breach"
            } else {
                "online-bullying"
            };
            let logger = if *role == Role::Staff || *role == Role::MonitoringTriager {
                holder
            } else {
                &holders[0].1
            };
            // The allegations lead reads only allegations about the
            // headteacher.
            let made = if *role == Role::AllegationsLead {
                crate::allegations::about_the_head(&app, &app.quick_token(logger), "route test")
                    .await
            } else {
                crate::incidents::quick_incident(
                    &app,
                    &app.quick_token(logger),
                    "Route Pupil",
                    category,
                    "route test",
                )
                .await
            };
            // A file on it, added by whoever logged it (staff see the files
            // they added).
            let file = crate::evidence::api_upload(
                &app,
                &app.quick_token(logger),
                made["id"].as_str().unwrap(),
                "route.pdf",
                &crate::evidence::pdf(role.as_str()),
            )
            .await;
            assert_eq!(file.status(), 201, "a file for the route test");
            let file: serde_json::Value = file.json().await.unwrap();
            // A subject access request about the pupil, for those who
            // answer them.
            let access_request = if [Role::Dpo, Role::Headteacher].contains(role) {
                access_request(&app, holder, made["pupil_id"].as_str().unwrap()).await
            } else {
                uuid::Uuid::nil().to_string()
            };
            records.insert(
                *role,
                Records {
                    attachment: file["id"].as_str().unwrap().into(),
                    incident: made["id"].as_str().unwrap().into(),
                    pupil: made["pupil_id"].as_str().unwrap().into(),
                    category: category_id.clone(),
                    alert: our_alert.clone(),
                    transfer: received.clone(),
                    access_request,
                    ..Records::default()
                },
            );
        }
    }
    // The administrator opens a pupil's page (to manage exclusions) for a
    // pupil on the school's roll.
    let route_pupil = records[&Role::Dsl].pupil.clone();
    {
        use diesel::prelude::*;
        use safelog::db::schema::pupils;
        diesel::update(pupils::table.find(&route_pupil))
            .set(pupils::on_roll_at.eq(Some(app.clock.now_naive())))
            .execute(&mut app.conn())
            .unwrap();
    }
    records.insert(
        Role::Admin,
        Records {
            pupil: route_pupil.clone(),
            ..admin_records
        },
    );
    // A DSL excluded from that pupil (a conflict of interest, issue 16),
    // asked below for every route with the DSL's own records.
    let excluded_dsl = app.add_user("Holder excluded dsl", &[Role::Dsl]);
    let admin = &holders
        .iter()
        .find(|(r, _)| *r == Role::Admin)
        .expect("an administrator")
        .1;
    crate::exclusions::exclude(&app, admin, &route_pupil, &excluded_dsl).await;
    // The term the report routes ask for, published, so that a governor is
    // answered by the access rule: an unpublished term is a 404 to them
    // (tests/it/reports.rs).
    let osl = &holders
        .iter()
        .find(|(r, _)| *r == Role::OnlineSafetyLead)
        .expect("an Online Safety Lead")
        .1;
    let res = app
        .signed_in(osl)
        .await
        .post(
            "/reports/2025/autumn/publish",
            &[("commentary", "For the route test.")],
        )
        .await;
    assert_eq!(res.status(), 303, "the report is published");
    // And the trust's, so that a trustee is answered by the access rule
    // too.
    let trust_lead = &holders
        .iter()
        .find(|(r, _)| *r == Role::TrustSafeguardingLead)
        .expect("a trust safeguarding lead")
        .1;
    let res = app
        .signed_in(trust_lead)
        .await
        .post(
            "/trust/reports/2025/autumn/publish",
            &[("commentary", "For the route test.")],
        )
        .await;
    assert_eq!(res.status(), 303, "the trust report is published");
    // And the year's filtering and monitoring review, for governors.
    let dsl = &holders
        .iter()
        .find(|(r, _)| *r == Role::Dsl)
        .expect("a DSL")
        .1;
    let res = app
        .signed_in(dsl)
        .await
        .post(
            "/filtering-review/2025/publish",
            &[("commentary", "For the route test.")],
        )
        .await;
    assert_eq!(res.status(), 303, "the review is published");
    let anonymous = app.browser();
    let table = safelog::app::route_table();
    assert!(table.len() > 20, "the route table is read");
    let mut unclassified = Vec::new();
    let mut checked = 0;

    for route in &table {
        let Some(expect) = expected_for(&route.method, route.path) else {
            unclassified.push(format!("{} {}", route.method, route.path));
            continue;
        };
        let path = fill(route.path, &target, &Records::default());

        // Nobody signed in (but with the page's CSRF token, so that it is the
        // access rule that answers).
        let res = if route.method == Method::POST && !path.starts_with("/api/") {
            anonymous.post(&path, &[("x", "")]).await
        } else {
            send(&app, &route.method, &path, None).await
        };
        let status = res.status().as_u16();
        if expect == Expect::Public {
            assert!(
                status != 401 && location(&res) != "/login",
                "{} {path}: public, got {status}",
                route.method
            );
        } else if path.starts_with("/api/") {
            assert_eq!(status, 401, "{} {path} without signing in", route.method);
        } else {
            assert_eq!(
                (status, location(&res).as_str()),
                (303, "/login"),
                "{} {path} without signing in",
                route.method
            );
        }

        // Each role, with a session of its own (some routes end it).
        for (role, holder) in &holders {
            let path = fill(
                route.path,
                &target,
                &records.get(role).cloned().unwrap_or_default(),
            );
            let token = app.quick_token(holder);
            let res = send(&app, &route.method, &path, Some(&token)).await;
            let status = res.status().as_u16();
            let to = location(&res);
            if expect == Expect::IngestKey {
                assert_eq!(
                    status, 401,
                    "{} {path} with a session, not a key",
                    route.method
                );
                checked += 1;
                continue;
            }
            let open = allows(expect, *role)
                || (*role == Role::TrustSafeguardingLead
                    && trust_lead_reads(&route.method, route.path));
            if open {
                assert!(
                    status != 404
                        && status != 401
                        && !["/login", "/login/2fa"].contains(&to.as_str())
                        || expect == Expect::Public,
                    "{} {path} should be open to {role}: got {status} {to}",
                    route.method
                );
            } else {
                assert_eq!(
                    status, 404,
                    "{} {path} must be hidden from {role}",
                    route.method
                );
            }
            checked += 1;
        }
    }
    assert!(
        unclassified.is_empty(),
        "classify these routes in tests/it/access.rs: {unclassified:?}"
    );
    assert!(checked >= table.len() * Role::ALL.len() - Role::ALL.len());

    // The excluded DSL, with the DSL's records: every route naming the
    // pupil, or an incident or file about them, answers 404 as if it did
    // not exist; every other route answers as it does the DSL.
    let dsl_records = records[&Role::Dsl].clone();
    let mut hidden = 0;
    for route in &table {
        let Some(expect) = expected_for(&route.method, route.path) else {
            continue;
        };
        if expect == Expect::IngestKey {
            continue;
        }
        let path = fill(route.path, &target, &dsl_records);
        let names_pupil = route.path.contains("{id}")
            && [
                "/pupils/",
                "/api/v1/pupils/",
                "/incidents/",
                "/api/v1/incidents/",
                "/retention/incidents/",
                "/retention/pupils/",
            ]
            .iter()
            .any(|p| route.path.starts_with(p));
        let res = send(
            &app,
            &route.method,
            &path,
            Some(&app.quick_token(&excluded_dsl)),
        )
        .await;
        let (status, to) = (res.status().as_u16(), location(&res));
        if names_pupil && status != 404 {
            // As across schools: a handler may judge the body before it
            // looks the record up, and then answers as for a made-up id.
            let missing = fill(route.path, &target, &Records::default());
            let token = app.quick_token(&excluded_dsl);
            answers_as_if_missing(
                &app,
                &route.method,
                &path,
                &missing,
                &token,
                status,
                "the excluded DSL",
            )
            .await;
            hidden += 1;
        } else if names_pupil || !allows(expect, Role::Dsl) {
            assert_eq!(
                status, 404,
                "{} {path} must be hidden from a DSL excluded from the pupil",
                route.method
            );
            hidden += u32::from(names_pupil);
        } else {
            assert!(
                status != 404 && status != 401 && !["/login", "/login/2fa"].contains(&to.as_str())
                    || expect == Expect::Public,
                "{} {path} should be open to the excluded DSL: got {status} {to}",
                route.method
            );
        }
    }
    assert!(hidden > 20, "{hidden} routes name the pupil");

    // The second school, in its own trust: every route that takes an id
    // answers a request for one of its records (an incident, a pupil, a
    // category, an account) exactly as for a record that does not exist,
    // whichever role asks: 404 for every page, and for a POST either 404 or
    // the same refusal of the body that a made-up id gets (a handler may
    // check the form before looking the record up; either way nothing
    // about the record is read or changed). Its own DSL, headteacher and
    // administrator meet this school's records the same way.
    let our_trust = safelog::accounts::store::school(&mut app.conn(), &target.school_id)
        .unwrap()
        .trust_id;
    assert!(our_trust.is_some() && our_trust.as_ref() != Some(&neighbour.trust_id));
    let theirs = Records {
        incident: neighbour.incident_id.clone(),
        pupil: neighbour.pupil_id.clone(),
        category: neighbour.category_id.clone(),
        school: neighbour.school_id.clone(),
        trust_category: crate::trust_admin::shared_category(
            &app,
            "Neighbour Trust",
            "Neighbour route test",
        ),
        trust_member: crate::trust::trust_member(
            &app,
            &neighbour.school_id,
            "Neighbour Trust",
            "Nia Neighbour-Trustee",
            Role::Trustee,
        )
        .id,
        alert: their_alert,
        transfer: theirs_elsewhere,
        provider: crate::sso::add_provider(
            &app,
            safelog::sso::store::Owner::School(&neighbour.school_id),
            "http://127.0.0.1:9",
            "generic",
            |_| {},
        ),
        attachment: {
            let res = crate::evidence::api_upload(
                &app,
                &app.quick_token(&neighbour.staff),
                &neighbour.incident_id,
                "theirs.pdf",
                &crate::evidence::pdf("the neighbour's"),
            )
            .await;
            assert_eq!(res.status(), 201, "the neighbour's own file");
            res.json::<serde_json::Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        },
        access_request: {
            let id = uuid::Uuid::new_v4().to_string();
            safelog::access_requests::store::insert(
                &mut app.conn(),
                &safelog::access_requests::store::NewRequest {
                    id: &id,
                    school_id: &neighbour.school_id,
                    reference: "SAR-2025-0001",
                    pupil_id: &neighbour.pupil_id,
                    requester_name: "Neighbour Requester",
                    relationship: "parent",
                    received_on: app.clock.today(),
                    created_by: &neighbour.dsl.id,
                    created_at: app.clock.now_naive(),
                },
            )
            .unwrap();
            id
        },
    };
    let ours = Records {
        category: category_id.clone(),
        incident: records[&Role::Dsl].incident.clone(),
        pupil: records[&Role::Dsl].pupil.clone(),
        attachment: records[&Role::Dsl].attachment.clone(),
        access_request: records[&Role::Dpo].access_request.clone(),
        transfer: ours_elsewhere,
        alert: our_alert.clone(),
        ..trust_records
    };
    let nobody = TestUser {
        id: uuid::Uuid::nil().to_string(),
        ..target.clone()
    };
    let mut crossed = 0;
    let mut not_found = 0;
    for route in table.iter().filter(|r| r.path.contains("{id}")) {
        let missing = fill(route.path, &nobody, &Records::default());
        let mut cases: Vec<(String, &TestUser, String)> = holders
            .iter()
            .map(|(role, holder)| {
                (
                    fill(route.path, &neighbour.staff, &theirs),
                    holder,
                    format!("{role} of this school"),
                )
            })
            .collect();
        for visitor in [&neighbour.dsl, &neighbour.admin] {
            cases.push((
                fill(route.path, &target, &ours),
                visitor,
                format!("{} of the other school", visitor.email),
            ));
        }
        for (path, who, label) in cases {
            let token = app.quick_token(who);
            let status = send(&app, &route.method, &path, Some(&token))
                .await
                .status()
                .as_u16();
            crossed += 1;
            if status == 404 {
                not_found += 1;
                continue;
            }
            answers_as_if_missing(&app, &route.method, &path, &missing, &token, status, &label)
                .await;
        }
    }
    assert!(
        crossed > 20 * Role::ALL.len(),
        "{crossed} requests across schools"
    );
    assert!(not_found * 2 > crossed, "{not_found} of {crossed} were 404");
}

/// Records a subject access request about `pupil` as `by` would; its id.
async fn access_request(app: &TestApp, by: &TestUser, pupil: &str) -> String {
    let res = app
        .signed_in(by)
        .await
        .post(
            "/access-requests",
            &[
                ("requester_name", "Route Requester"),
                ("relationship", "pupil"),
                ("pupil_id", pupil),
                ("received_on", "01/11/2025"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "a request for the route test");
    location(&res)
        .trim_start_matches("/access-requests/")
        .to_string()
}

/// A record hidden from someone (another school's, or about a pupil they
/// are excluded from) that did not answer 404: only a POST that judged its
/// body first may do that, and then exactly as for a record that does not
/// exist (`missing`), so nothing tells the two apart.
async fn answers_as_if_missing(
    app: &TestApp,
    method: &Method,
    path: &str,
    missing: &str,
    token: &str,
    status: u16,
    who: &str,
) {
    let as_if_missing = send(app, method, missing, Some(token))
        .await
        .status()
        .as_u16();
    assert!(
        *method == Method::POST && status == as_if_missing && (400..500).contains(&status),
        "{method} {path} as {who}: {status}, where a record that does not exist gets {as_if_missing}"
    );
}

/// Sends `pupil`'s file from `from` to `to` as `dsl` would; its id.
fn transfer(app: &TestApp, dsl: &TestUser, from: &str, pupil: &str, to: &str) -> String {
    let mut conn = app.conn();
    let from = safelog::accounts::store::school(&mut conn, from).unwrap();
    let to = safelog::accounts::store::school(&mut conn, to).unwrap();
    let pupil = safelog::pupils::store::in_school(&mut conn, &from.id, pupil)
        .unwrap()
        .unwrap();
    safelog::transfers::flow::send_within(
        &mut conn,
        &safelog::transfers::flow::Actor {
            user_id: Some(&dsl.id),
            name: "Route Dsl",
            initials: "RD",
            ip: None,
        },
        &from,
        &pupil,
        &to,
        app.clock.now_naive(),
    )
    .unwrap()
    .unwrap()
    .0
}

async fn the_code_step_is_open_only_to_a_session_waiting_for_its_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Wendy Waiting", &[Role::Dsl]);
    let mut conn = app.conn();
    let account = safelog::accounts::store::user(&mut conn, &user.id).unwrap();
    let session = safelog::auth::store::create_session(
        &mut conn,
        &safelog::auth::store::NewSession {
            user: &account,
            school_id: &account.home_school_id,
            stage: "totp",
            ip: None,
            user_agent: None,
            at: app.clock.now_naive(),
        },
    )
    .unwrap();
    let token =
        safelog::auth::tokens::Keys::from_secret(crate::helpers::TEST_JWT_SECRET.as_bytes())
            .unwrap()
            .issue(&session, app.clock.now())
            .unwrap();
    assert_eq!(app.get_with("/login/2fa", &token).await.status(), 200);
    let res = app.get_with("/", &token).await;
    assert_eq!(location(&res), "/login/2fa");
    assert_eq!(app.get_with("/api/v1/me", &token).await.status(), 403);
}

async fn a_form_post_without_its_csrf_token_or_from_another_origin_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("Cass Csrf", &[Role::Staff]);
    let b = app.signed_in(&user).await;
    let fields = [
        ("current_password", user.password.as_str()),
        ("new_password", "x"),
        ("confirm_password", "x"),
    ];

    let res = b
        .client
        .post(b.url("/account/password"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "no token");
    let mut with_wrong: Vec<(&str, &str)> =
        vec![("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
    with_wrong.extend_from_slice(&fields);
    let res = b
        .client
        .post(b.url("/account/password"))
        .form(&with_wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a wrong token");

    let csrf = b.csrf().await;
    let mut good: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    good.extend_from_slice(&fields);
    let res = b
        .client
        .post(b.url("/account/password"))
        .header("origin", "https://evil.example")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a foreign origin");

    let res = b
        .client
        .post(b.url("/account/password"))
        .header("origin", app.address.as_str())
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "the right token from our own page gets through to the form's checks"
    );

    // What a browser sends from a page whose referrer policy hides the
    // origin (or from a privacy mode that does): `Origin: null`. With the
    // right token and a same-origin fetch it is our own page.
    let res = b
        .client
        .post(b.url("/account/password"))
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "Origin: null from our own page");
    let res = b
        .client
        .post(b.url("/account/password"))
        .header("origin", "null")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "Origin: null from a browser without Sec-Fetch-Site"
    );
    for site in ["cross-site", "same-site"] {
        let res = b
            .client
            .post(b.url("/account/password"))
            .header("origin", "null")
            .header("sec-fetch-site", site)
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            403,
            "Origin: null from a {site} page (a sandboxed frame)"
        );
        let res = b
            .client
            .post(b.url("/account/password"))
            .header("origin", app.address.as_str())
            .header("sec-fetch-site", site)
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            403,
            "the browser says the form was on a {site} page"
        );
    }

    // Signing out is a form too.
    let res = b.client.post(b.url("/logout")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(b.get("/account").await.status(), 200, "still signed in");
}

async fn no_get_request_changes_anything(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.add_user("Gus Getter", &[Role::Admin]);
    let token = app.quick_token(&admin);
    let before = app.audit_actions().len();
    // Except signing in through a provider: OpenID Connect makes its start
    // and its callback GETs (the provider sends the browser back with a
    // redirect), and the callback records each sign-in, refused or not
    // (tests/it/sso.rs).
    for route in safelog::app::route_table()
        .iter()
        .filter(|r| r.method == Method::GET && !r.path.starts_with("/login/oidc/"))
    {
        let path = fill(route.path, &admin, &Records::default());
        app.get_with(&path, &token).await;
    }
    let after: Vec<String> = app
        .audit_actions()
        .into_iter()
        .skip(before)
        .map(|(a, _, _)| a)
        .collect();
    assert!(after.is_empty(), "GET requests wrote {after:?}");
}

on_both_backends!(
    every_route_answers_each_role_as_product_md_says,
    the_code_step_is_open_only_to_a_session_waiting_for_its_code,
    a_form_post_without_its_csrf_token_or_from_another_origin_is_refused,
    no_get_request_changes_anything,
);
