//! Telling people that something needs them: an alert on their dashboard
//! and an email, both written in the transaction of the change that causes
//! them. An email says only the reference, the category, what is asked of
//! the reader, and a link: never a pupil's name, never the details.

use chrono::NaiveDateTime;

use super::store;
use crate::auth::Role;
use crate::db::AnyConnection;
use crate::incidents::model::Incident;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    NewIncident,
    Escalated,
    Assigned,
    Overdue,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NewIncident => "new_incident",
            AlertKind::Escalated => "escalated",
            AlertKind::Assigned => "assigned",
            AlertKind::Overdue => "overdue",
        }
    }

    /// How a dashboard names an alert of this kind.
    pub fn label(kind: &str) -> &'static str {
        match kind {
            "new_incident" => "New incident for you",
            "escalated" => "Escalated to you",
            "assigned" => "Assigned to you",
            "overdue" => "Not yet picked up",
            _ => "Needs attention",
        }
    }

    /// What the reader is asked to do.
    fn ask(self) -> &'static str {
        match self {
            AlertKind::NewIncident => "Please pick it up and triage it.",
            AlertKind::Escalated => "It has been escalated to you. Please pick it up.",
            AlertKind::Assigned => "It has been assigned to you. Please take it forward.",
            AlertKind::Overdue => {
                "It has not been picked up within the school's pick-up time. Please pick it up now."
            }
        }
    }
}

/// The incident an alert is about, as far as an alert may say.
pub struct About<'a> {
    pub incident: &'a Incident,
    pub category_name: &'a str,
    pub urgent: bool,
}

/// Who is told.
pub enum To<'a> {
    Roles(&'a [Role]),
    User(&'a str),
}

/// Alerts each active person `to` names, on their dashboard and by email.
/// Returns how many people were alerted.
///
/// Nobody excluded from a pupil the incident names is alerted, whatever
/// their role. When that leaves a role's alert with no one (the school's
/// only DSL is the pupil's parent), the headteacher is alerted instead,
/// unless the headteacher is the one excluded or the incident is an
/// allegation about the headteacher (which no one else may read): then no
/// one is, and a warning naming only the incident's id is logged.
pub fn send(
    conn: &mut AnyConnection,
    about: &About<'_>,
    kind: AlertKind,
    to: To<'_>,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    let i = about.incident;
    let all = Role::ALL.map(|r| r.as_str());
    let people = match to {
        To::Roles(roles) => {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let held = store::people_with(conn, &i.school_id, &names)?;
            let anyone = !held.is_empty();
            let kept = store::not_excluded(conn, i, held)?;
            if kept.is_empty() && anyone {
                let head = if i.about_headteacher || roles.contains(&Role::Headteacher) {
                    Vec::new()
                } else {
                    let heads =
                        store::people_with(conn, &i.school_id, &[Role::Headteacher.as_str()])?;
                    store::not_excluded(conn, i, heads)?
                };
                if head.is_empty() {
                    tracing::warn!(incident = %i.id, "everyone the alert was for is excluded from its pupil: no one alerted");
                }
                head
            } else {
                kept
            }
        }
        To::User(id) => {
            let one = store::people_with(conn, &i.school_id, &all)?
                .into_iter()
                .filter(|(uid, _, _)| uid == id)
                .collect();
            store::not_excluded(conn, i, one)?
        }
    };
    let (subject, body) = message(about, kind);
    for (user_id, _, email) in &people {
        store::add_alert(conn, &i.school_id, &i.id, user_id, kind.as_str(), now)?;
        crate::mail::enqueue(
            conn,
            &crate::mail::NewMail {
                school_id: Some(&i.school_id),
                kind: kind.as_str(),
                to: email,
                subject: &subject,
                body: &body,
            },
            now,
        )?;
    }
    Ok(people.len())
}

/// The email: reference, category, what is asked, link. Nothing else.
pub fn message(about: &About<'_>, kind: AlertKind) -> (String, String) {
    let i = about.incident;
    let urgent = if about.urgent { "URGENT: " } else { "" };
    let subject = format!("safelog: {urgent}{} ({})", i.reference, about.category_name);
    let mut body = format!(
        "Incident {} needs your attention.\n\nCategory: {}\n{}\n",
        i.reference,
        about.category_name,
        kind.ask()
    );
    if about.urgent {
        body.push_str("This category is urgent: the member of staff has been told to tell the DSL in person now.\n");
    }
    body.push_str(&format!(
        "\nOpen it in safelog (you will be asked to sign in):\n{}/incidents/{}\n\n\
         This email deliberately holds no names and no details.\n",
        crate::mail::BASE_URL,
        i.id
    ));
    (subject, body)
}
