//! The incident pages: the log form and its confirmation, the list, the
//! record with its timeline, the correction form. maud escapes everything
//! interpolated, so names and text typed by people are shown exactly and
//! safely.

pub mod form;
pub mod list;
pub mod record;

use chrono::{NaiveDate, NaiveDateTime};
use maud::{html, Markup};

use super::model::Incident;
use crate::forms::FieldErrors;

/// A day as British schools write it.
pub fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The date of an incident, or that it is not known.
pub fn incident_day(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "Not known".to_string(), day)
}

/// A moment as people in the school read it (UK time).
pub fn moment(t: NaiveDateTime) -> String {
    crate::views::time::moment(t)
}

/// The status as this reader is told it.
pub fn status_badge(incident: &Incident, full: bool) -> Markup {
    let s = incident.status();
    let label = if full { s.label() } else { s.reporter_label() };
    html! { span.badge.status.(s.as_str()) { (label) } }
}

/// The error message under a field, if any.
pub fn field_error(errors: &FieldErrors, name: &str) -> Markup {
    html! {
        @if let Some(message) = errors.get(name) {
            p.error id=(format!("f-{name}-error")) { (message) }
        }
    }
}

/// A labelled textarea that keeps what was typed and shows its error.
pub fn textarea(
    name: &'static str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    errors: &FieldErrors,
    required: bool,
) -> Markup {
    textarea_in("", name, label, hint, value, errors, required)
}

/// The same, for a page with several forms that share field names (the
/// case panel): the form's name goes into the id, so each label points at
/// its own field.
pub fn textarea_in(
    form: &str,
    name: &'static str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    errors: &FieldErrors,
    required: bool,
) -> Markup {
    let error = errors.get(name);
    let id = if form.is_empty() {
        format!("f-{name}")
    } else {
        format!("f-{form}-{name}")
    };
    let err_id = format!("{id}-error");
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) {
                (label)
                @if let Some(h) = hint { br; span.hint { (h) } }
            }
            textarea id=(id) name=(name) required[required]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| err_id.as_str())] { (value) }
            @if let Some(message) = error {
                p.error id=(err_id) { (message) }
            }
        }
    }
}
