//! The administrator's set-up checklist on the start page: what a new
//! school still has to do before staff can rely on safelog. Each step is
//! worked out from the data, so it ticks itself once done.

use maud::{html, Markup};

use crate::db::AnyConnection;
use crate::error::AppError;

pub struct Step {
    pub done: bool,
    pub title: &'static str,
    pub why: &'static str,
    pub href: &'static str,
}

pub struct Checklist {
    pub school: String,
    pub steps: Vec<Step>,
}

impl Checklist {
    pub fn load(
        conn: &mut AnyConnection,
        school_id: &str,
        mail_configured: bool,
        admin_has_2fa: bool,
    ) -> Result<Self, AppError> {
        let school = crate::accounts::store::school(conn, school_id)?;
        let accounts = crate::accounts::store::users_of_school(conn, school_id)?.len();
        let pupils = crate::pupils::store::count(conn, school_id)?;
        let terms = crate::reports::store::has_own_terms(conn, school_id)?;
        let steps = vec![
            Step {
                done: accounts > 1,
                title: "Add staff",
                why: "An account for each member of staff who logs incidents, and the leads with their roles.",
                href: "/admin/users/new",
            },
            Step {
                done: pupils > 0,
                title: "Upload the pupil list",
                why: "A CSV from the school's information system, so staff choose pupils rather than type them.",
                href: "/admin/pupils",
            },
            Step {
                done: terms,
                title: "Set the term dates",
                why: "Governors' reports count incidents by term (until set: 1 Sep, 1 Jan, 1 Apr).",
                href: "/admin/terms",
            },
            Step {
                done: mail_configured,
                title: "Set up email",
                why: "Alerts and password links are sent by email (SAFELOG_SMTP_URL); until then they wait on start pages.",
                href: "/admin/email",
            },
            Step {
                done: admin_has_2fa,
                title: "Turn on two-factor sign-in",
                why: "For your own account, and decide who else must use it.",
                href: "/admin/school",
            },
        ];
        Ok(Self {
            school: school.name,
            steps,
        })
    }

    pub fn complete(&self) -> bool {
        self.steps.iter().all(|s| s.done)
    }
}

pub fn view(c: &Checklist) -> Markup {
    let left = c.steps.iter().filter(|s| !s.done).count();
    html! {
        section.card.checklist {
            h2 { "Get " (c.school) " ready" }
            p.muted { (left) " of " (c.steps.len()) " steps to go." }
            ol {
                @for s in &c.steps {
                    li.done[s.done] {
                        @if s.done { span.tick aria-hidden="true" { "✓ " } span.visually-hidden { "Done: " } }
                        a href=(s.href) { (s.title) }
                        " " span.muted { (s.why) }
                    }
                }
            }
        }
    }
}
