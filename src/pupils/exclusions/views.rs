//! The exclusions card on a pupil's page, for the administrator and the
//! DSL: who is excluded and why, what was lifted, a form to exclude a
//! member of staff and one to lift each live exclusion (both with a
//! required reason).

use maud::{html, Markup};

use super::model::Exclusion;
use crate::forms::FieldErrors;
use crate::views::components::{csrf_field, error_summary};
use crate::views::time::moment;

/// What was typed into a refused form, with what to fix.
pub enum Entry {
    Add {
        user_id: String,
        reason: String,
        errors: FieldErrors,
    },
    Lift {
        exclusion_id: String,
        reason: String,
        errors: FieldErrors,
    },
}

/// The card's content.
pub struct Panel {
    pub exclusions: Vec<Exclusion>,
    /// The school's members of staff: (id, name), by name.
    pub staff: Vec<(String, String)>,
    pub entry: Option<Entry>,
}

pub fn panel(p: &Panel, pupil_id: &str, csrf: &str) -> Markup {
    let (typed_user, typed_reason, add_errors) = match &p.entry {
        Some(Entry::Add {
            user_id,
            reason,
            errors,
        }) => (user_id.as_str(), reason.as_str(), Some(errors)),
        _ => ("", "", None),
    };
    let none = FieldErrors::default();
    let errors = add_errors.unwrap_or(&none);
    let live: Vec<&Exclusion> = p.exclusions.iter().filter(|e| e.live()).collect();
    let lifted: Vec<&Exclusion> = p.exclusions.iter().filter(|e| !e.live()).collect();
    html! {
        section.card.exclusions #exclusions {
            h2 { "Conflicts of interest" }
            p.hint { "A member of staff who is this pupil's parent or relative (or has another conflict) can be excluded: they then read nothing about this pupil, whatever their role, and are never alerted about them. They are not told; lifting an exclusion is recorded with its reason." }
            @if live.is_empty() {
                p { "Nobody is excluded from this pupil." }
            } @else {
                ul.exclusion-list {
                    @for e in &live {
                        li {
                            strong { (e.user_name) }
                            " excluded by " (e.created_by_name) ", " (moment(e.created_at)) ". "
                            span.reason { "Reason: " (e.reason) }
                            (lift_form(e, pupil_id, csrf, p.entry.as_ref()))
                        }
                    }
                }
            }
            details.exclude open[add_errors.is_some()] {
                summary { "Exclude a member of staff" }
                (error_summary(errors, &["user_id", "reason"]))
                form.stack method="post" action=(format!("/pupils/{pupil_id}/exclusions")) {
                    (csrf_field(csrf))
                    div.field.has-error[errors.get("user_id").is_some()] {
                        label for="f-user_id" { "Member of staff" }
                        select id="f-user_id" name="user_id" required
                            aria-invalid=[errors.get("user_id").map(|_| "true")]
                            aria-describedby=[errors.get("user_id").map(|_| "f-user_id-error")] {
                            option value="" { "Choose a person" }
                            @for (id, name) in &p.staff {
                                option value=(id) selected[id == typed_user] { (name) }
                            }
                        }
                        @if let Some(m) = errors.get("user_id") { p.error #f-user_id-error { (m) } }
                    }
                    div.field.has-error[errors.get("reason").is_some()] {
                        label for="f-reason" { "Reason" br; span.hint { "For example: parent of the pupil. Kept on the pupil's record and in the audit trail." } }
                        textarea id="f-reason" name="reason" rows="2" maxlength="2000" required
                            aria-invalid=[errors.get("reason").map(|_| "true")]
                            aria-describedby=[errors.get("reason").map(|_| "f-reason-error")] { (typed_reason) }
                        @if let Some(m) = errors.get("reason") { p.error #f-reason-error { (m) } }
                    }
                    div { button type="submit" { "Exclude" } }
                }
            }
            @if !lifted.is_empty() {
                details.lifted {
                    summary { "Lifted exclusions (" (lifted.len()) ")" }
                    ul {
                        @for e in &lifted {
                            li {
                                (e.user_name) ", excluded by " (e.created_by_name) " on " (moment(e.created_at)) " (" (e.reason) "); lifted by "
                                (e.ended_by_name.as_deref().unwrap_or("")) " on " (e.ended_at.map(moment).unwrap_or_default())
                                " (" (e.end_reason.as_deref().unwrap_or("")) ")."
                            }
                        }
                    }
                }
            }
        }
    }
}

fn lift_form(e: &Exclusion, pupil_id: &str, csrf: &str, entry: Option<&Entry>) -> Markup {
    let (reason, error) = match entry {
        Some(Entry::Lift {
            exclusion_id,
            reason,
            errors,
        }) if *exclusion_id == e.id => (reason.as_str(), errors.get("reason")),
        _ => ("", None),
    };
    let field = format!("f-lift-{}", e.id);
    let err_id = format!("{field}-error");
    html! {
        details.lift open[error.is_some()] {
            summary { "Lift this exclusion" }
            form.stack method="post" action=(format!("/pupils/{pupil_id}/exclusions/{}/lift", e.id)) {
                (csrf_field(csrf))
                div.field.has-error[error.is_some()] {
                    label for=(field) { "Why it is lifted" }
                    textarea id=(field) name="reason" rows="2" maxlength="2000" required
                        aria-invalid=[error.map(|_| "true")]
                        aria-describedby=[error.map(|_| err_id.as_str())] { (reason) }
                    @if let Some(m) = error { p.error id=(err_id) { (m) } }
                }
                div { button.secondary type="submit" { "Lift" } }
            }
        }
    }
}
