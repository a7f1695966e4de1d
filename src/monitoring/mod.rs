//! Filtering and monitoring alerts (issue 17). A school's monitoring tools
//! (Smoothwall, Senso, Impero, Lightspeed, Securly...) post alerts with an
//! ingestion key the school's administrator made ([`ingest`]); the DSL and
//! the Online Safety Lead triage them in an inbox (`/monitoring`, and the
//! same through the API): acknowledge, dismiss with a reason, or promote
//! to an incident. Nothing is deleted, every look is timed and audited, and
//! an alert's content never leaves the inbox: an email or a log line names
//! at most its id.

pub mod admin;
mod api;
pub mod cli;
pub mod figures;
mod handlers;
pub mod ingest;
pub mod keys;
pub mod model;
pub mod review;
pub mod store;
pub mod triage;
pub mod triagers;
mod views;

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::auth::{Access, Role, Router};
use crate::db::AnyConnection;
use crate::incidents::forms::IncidentInput;

/// Who reads and triages the school's alerts: the DSL (KCSIE makes them
/// responsible for filtering and monitoring), the Online Safety Lead, and
/// the members of staff the school names ([`triagers`]).
pub const TRIAGERS: &[Role] = &[Role::Dsl, Role::OnlineSafetyLead, Role::MonitoringTriager];
const INBOX: Access = Access::Roles(TRIAGERS);
const ADMIN: Access = Access::Roles(&[Role::Admin]);

pub fn routes(r: &mut Router<'_>) {
    review::routes(r);
    r.get("/monitoring", INBOX, handlers::inbox)
        .get("/monitoring/{id}", INBOX, handlers::show)
        .post("/monitoring/{id}/acknowledge", INBOX, handlers::acknowledge)
        .post("/monitoring/{id}/dismiss", INBOX, handlers::dismiss)
        .get("/monitoring/{id}/promote", INBOX, handlers::promote_form)
        .post("/monitoring/{id}/promote", INBOX, handlers::promote)
        .get("/admin/monitoring", ADMIN, admin::page)
        .post("/admin/monitoring/keys", ADMIN, admin::add_key)
        .post("/admin/monitoring/keys/revoke", ADMIN, admin::revoke_key)
        .post("/admin/monitoring/severities", ADMIN, admin::set_mapping)
        .post("/admin/monitoring/target", ADMIN, admin::set_target)
        .get("/admin/monitoring/triagers", ADMIN, triagers::page)
        .post("/admin/monitoring/triagers", ADMIN, triagers::add)
        .post("/admin/monitoring/triagers/remove", ADMIN, triagers::remove)
        // The key is the credential: the handler answers 401 without one.
        .post("/api/v1/monitoring/alerts", Access::Public, ingest::post)
        .get("/api/v1/monitoring/alerts", INBOX, api::list)
        .get("/api/v1/monitoring/alerts/{id}", INBOX, api::get)
        .post(
            "/api/v1/monitoring/alerts/{id}/acknowledge",
            INBOX,
            api::acknowledge,
        )
        .post(
            "/api/v1/monitoring/alerts/{id}/dismiss",
            INBOX,
            api::dismiss,
        )
        .post(
            "/api/v1/monitoring/alerts/{id}/promote",
            INBOX,
            api::promote,
        );
}

/// A critical alert, as an urgent incident is: every DSL of the school is
/// emailed (no content: the alert's id and a link) and finds it at the top
/// of their start page until someone has looked at it. A DSL excluded from
/// the alert's pupil is not emailed; when that leaves no DSL, the others
/// who triage alerts (the Online Safety Lead, the people the school names)
/// are emailed instead.
pub fn alert_the_dsls(
    conn: &mut AnyConnection,
    school_id: &str,
    alert_id: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    let pupil = store::get(conn, school_id, &[], alert_id)?.and_then(|a| a.pupil_id);
    let excluded =
        crate::pupils::exclusions::store::people_excluded_from(conn, school_id, pupil.as_slice())?;
    let kept = |people: Vec<(String, String, String)>| -> Vec<(String, String, String)> {
        people
            .into_iter()
            .filter(|(id, _, _)| !excluded.contains(id))
            .collect()
    };
    let dsls = crate::accounts::store::people_with(conn, school_id, &[Role::Dsl.as_str()])?;
    let mut people = kept(dsls);
    if people.is_empty() && !excluded.is_empty() {
        let others: Vec<&str> = TRIAGERS.iter().map(|r| r.as_str()).collect();
        let mut named = crate::accounts::store::people_with(conn, school_id, &others)?;
        for (id, name, email, _) in store::named_triagers(conn, school_id)? {
            named.push((id, name, email));
        }
        named.sort();
        named.dedup_by(|a, b| a.0 == b.0);
        people = kept(named);
    }
    let subject = "safelog: URGENT: a critical monitoring alert";
    let body = format!(
        "A monitoring alert marked critical has arrived and needs the DSL's attention now.\n\n\
         Open it in safelog (you will be asked to sign in):\n{}/monitoring/{alert_id}\n\n\
         This email deliberately holds no names and no details.\n",
        crate::mail::BASE_URL
    );
    for (_, _, email) in &people {
        crate::mail::enqueue(
            conn,
            &crate::mail::NewMail {
                school_id: Some(school_id),
                kind: "monitoring_critical",
                to: email,
                subject,
                body: &body,
            },
            now,
        )?;
    }
    Ok(people.len())
}

/// The log form as promoting `a` opens it: the pupil (when matched to the
/// roll), the category (the tool's hint when it is one of the school's,
/// else filtering and monitoring), where (in school during the school day
/// on a weekday, online at home otherwise, not known without a time), the
/// platform (the address's site) and the date (unless the tool's clock puts
/// it after today, which the form would refuse). The DSL checks each and
/// writes what happened.
pub fn prefill(
    conn: &mut AnyConnection,
    a: &model::Alert,
    categories: &[crate::categories::Category],
    today: chrono::NaiveDate,
) -> diesel::QueryResult<IncidentInput> {
    let (pupil_name, tutor_group) = match &a.pupil_id {
        Some(id) => store::pupil(conn, &a.school_id, id)?.unwrap_or_default(),
        None => (String::new(), None),
    };
    let offered = |code: &str| categories.iter().any(|c| c.active && c.code == code);
    let category = match a.category_hint.as_deref().map(str::trim) {
        Some(hint) if offered(hint) => hint.to_string(),
        _ if offered("filtering-breach") => "filtering-breach".to_string(),
        _ => String::new(),
    };
    let local = a
        .occurred_at
        .map(crate::views::time::uk)
        .filter(|t| t.date() <= today);
    let location = match local {
        Some(t) if t.weekday().num_days_from_monday() < 5 && (8..16).contains(&t.hour()) => {
            "in_school"
        }
        Some(_) => "online_at_home",
        None => "unknown",
    };
    Ok(IncidentInput {
        pupil_id: a.pupil_id.clone().unwrap_or_default(),
        pupil_name,
        tutor_group: tutor_group.unwrap_or_default(),
        incident_date: local
            .map(|t| t.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        date_not_known: local.is_none(),
        category,
        location: location.into(),
        platform: a.url.as_deref().and_then(site_of).unwrap_or_default(),
        submission_key: uuid::Uuid::new_v4().to_string(),
        ..IncidentInput::default()
    })
}

/// The site of an address, as a platform is named: `www.tiktok.com/@x` is
/// `tiktok.com`.
fn site_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?.trim().to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty() && host.len() <= 100).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_is_the_site_of_the_address() {
        assert_eq!(
            site_of("https://www.tiktok.com/@x?y=1").as_deref(),
            Some("tiktok.com")
        );
        assert_eq!(site_of("discord.gg/abc").as_deref(), Some("discord.gg"));
        assert_eq!(
            site_of("http://user@host.example:8080/").as_deref(),
            Some("host.example")
        );
        assert_eq!(site_of("").as_deref(), None);
    }
}
