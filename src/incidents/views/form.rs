//! The log form, the correction form (the same fields, with a reason), and
//! the conflict page that shows a second editor both versions.

use maud::{html, Markup};

use super::{field_error, textarea};
use crate::categories::Category;
use crate::forms::FieldErrors;
use crate::incidents::changes::{field_label, FIELDS};
use crate::incidents::forms::{other_fields, IncidentInput, OtherInput, FORM_OTHERS};
use crate::incidents::model::{IncidentView, Location, PupilRole};
use crate::views::components::{csrf_field, error_summary, flash};
use crate::views::{layout, Page};

/// Every field in the order the form shows them, for the error summary.
const ORDER: [&str; 21] = [
    "pupil_name",
    "tutor_group",
    "incident_date",
    "category",
    "details",
    "actions_outcome",
    "location",
    "platform",
    "other_pupils",
    "other_1_name",
    "other_1_tutor_group",
    "other_1_role",
    "other_2_name",
    "other_2_tutor_group",
    "other_2_role",
    "other_3_name",
    "other_3_tutor_group",
    "other_3_role",
    "reason",
    "version",
    "changes",
];

/// A date field's value: a date the browser's date input can show, or what
/// was typed when it is not a date (so it is not lost).
fn date_value(typed: &str) -> String {
    crate::forms::parse_date(typed)
        .map_or_else(|| typed.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// The fields logging and correcting share.
fn fields(
    input: &IncidentInput,
    categories: &[Category],
    errors: &FieldErrors,
    today: chrono::NaiveDate,
    current: Option<&str>,
) -> Markup {
    let pupil_error = errors.get("pupil_name");
    let chosen = categories.iter().find(|c| c.code == input.category.trim());
    html! {
        fieldset {
            legend { "The pupil" }
            input type="hidden" id="f-pupil_id" name="pupil_id" value=(input.pupil_id);
            div.field.has-error[pupil_error.is_some()] {
                label for="f-pupil_name" {
                    "Pupil's name"
                    br;
                    span.hint { "Start typing to choose from the school's pupils, or type the name of a pupil not listed." }
                }
                input type="text" id="f-pupil_name" name="pupil_name" value=(input.pupil_name)
                    required autocomplete="off" list="pupil-options"
                    data-typeahead="/api/v1/pupils"
                    aria-invalid=[pupil_error.map(|_| "true")];
                datalist #pupil-options {}
                (field_error(errors, "pupil_name"))
            }
            div.field.has-error[errors.get("tutor_group").is_some()] {
                label for="f-tutor_group" { "Tutor group" br; span.hint { "At the time of the incident, e.g. 8A" } }
                input type="text" id="f-tutor_group" name="tutor_group" value=(input.tutor_group) required autocomplete="off";
                (field_error(errors, "tutor_group"))
            }
        }
        fieldset.field.has-error[errors.get("incident_date").is_some()] {
            legend { "When it happened" }
            label for="f-incident_date" { "Date of the incident" }
            input type="date" id="f-incident_date" name="incident_date" value=(date_value(&input.incident_date))
                min="2000-01-01" max=(today.format("%Y-%m-%d").to_string());
            label.choice {
                input type="checkbox" id="f-date_not_known" name="date_not_known" checked[input.date_not_known];
                " Date not known"
            }
            (field_error(errors, "incident_date"))
        }
        div.field.has-error[errors.get("category").is_some()] {
            label for="f-category" { "Category" br; span.hint { "What to do for the category you choose appears below it." } }
            select id="f-category" name="category" required data-guidance="category-guidance" {
                option value="" selected[chosen.is_none()] { "Choose a category" }
                @for c in categories.iter().filter(|c| c.active || current == Some(c.code.as_str())) {
                    option value=(c.code) selected[chosen.is_some_and(|x| x.code == c.code)] {
                        (c.name) @if c.urgent { " (urgent)" }
                    }
                }
            }
            (field_error(errors, "category"))
            div #category-guidance aria-live="polite" {
                @for c in categories {
                    div.guidance.urgent[c.urgent] data-category=(c.code) hidden[chosen.is_none_or(|x| x.code != c.code)] {
                        @if c.urgent { p { strong { "Urgent: tell the DSL in person now." } } }
                        @if c.restricted { p { strong { "Only the headteacher will see this record, unless it is about the headteacher." } } }
                        @if !c.guidance.is_empty() { p { (c.guidance) } }
                        // Asked when logging only: who it is about decides
                        // who may read it, so a correction does not change it.
                        @if c.restricted && current.is_none() {
                            div.field.has-error[errors.get("about_headteacher").is_some()] {
                                label.choice {
                                    input type="checkbox" id="f-about_headteacher" name="about_headteacher" checked[input.about_headteacher];
                                    " Is this about the headteacher?"
                                }
                                p.hint { "If it is, it goes to the school's allegations lead (the chair of governors), and the headteacher cannot see it." }
                                (field_error(errors, "about_headteacher"))
                            }
                        }
                    }
                }
            }
            details.all-guidance {
                summary { "Guidance for every category" }
                dl {
                    @for c in categories.iter().filter(|c| c.active) {
                        dt { (c.name) @if c.urgent { " " span.badge.urgent { "urgent" } } }
                        dd {
                            @if c.urgent { "Tell the DSL in person now. " }
                            (c.guidance)
                        }
                    }
                }
            }
        }
        div.field {
            label.choice {
                input type="checkbox" id="f-child_at_risk" name="child_at_risk" checked[input.child_at_risk];
                " "
                strong { "The child may have been put at risk" }
                " (the Designated Safeguarding Lead will own it)"
            }
        }
        (textarea("details", "What happened", Some("A clear overview: who, what, where, when. Keep fact apart from opinion. Record exact words used. Never paste or attach images."), &input.details, errors, true))
        (textarea("actions_outcome", "Actions taken so far", Some("What you have done, e.g. spoke with the pupil, informed parents. Leave empty if nothing yet."), &input.actions_outcome, errors, false))
        fieldset #f-location .field.has-error[errors.get("location").is_some()] {
            legend { "Where it happened" }
            @for l in Location::ALL {
                label.choice {
                    input type="radio" name="location" value=(l.as_str())
                        checked[input.location == l.as_str() || (input.location.is_empty() && l == Location::Unknown)];
                    " " (l.label())
                }
            }
            (field_error(errors, "location"))
        }
        div.field.has-error[errors.get("platform").is_some()] {
            label for="f-platform" { "Platform or service" br; span.hint { "Optional, e.g. Snapchat, WhatsApp, school email" } }
            input type="text" id="f-platform" name="platform" value=(input.platform);
            (field_error(errors, "platform"))
        }
    }
}

fn other_row(i: usize, o: &OtherInput, errors: &FieldErrors) -> Markup {
    let [name_f, group_f, role_f] = other_fields(i);
    html! {
        fieldset.other-pupil {
            legend { "Other pupil " (i + 1) }
            div.field.has-error[errors.get(name_f).is_some()] {
                label for=(format!("f-{name_f}")) { "Name" }
                input type="text" id=(format!("f-{name_f}")) name=(name_f) value=(o.name) autocomplete="off" list="pupil-options" data-typeahead="/api/v1/pupils";
                (field_error(errors, name_f))
            }
            div.field.has-error[errors.get(group_f).is_some()] {
                label for=(format!("f-{group_f}")) { "Tutor group" }
                input type="text" id=(format!("f-{group_f}")) name=(group_f) value=(o.tutor_group) autocomplete="off";
                (field_error(errors, group_f))
            }
            div.field.has-error[errors.get(role_f).is_some()] {
                label for=(format!("f-{role_f}")) { "How they are involved" }
                select id=(format!("f-{role_f}")) name=(role_f) {
                    option value="" selected[o.role.is_empty()] { "Choose" }
                    @for r in PupilRole::ALL {
                        option value=(r.as_str()) selected[o.role == r.as_str()] { (r.label()) }
                    }
                }
                (field_error(errors, role_f))
            }
        }
    }
}

/// The log form, empty or sent back with what was typed and what to fix.
pub fn log_form(
    page: &Page<'_>,
    categories: &[Category],
    input: &IncidentInput,
    errors: &FieldErrors,
    today: chrono::NaiveDate,
) -> Markup {
    log_form_to(
        page,
        categories,
        input,
        errors,
        today,
        "/incidents",
        html! {},
    )
}

/// The log form sent to `action`, with `intro` above it: for logging an
/// incident from something else (a monitoring alert promoted).
pub fn log_form_to(
    page: &Page<'_>,
    categories: &[Category],
    input: &IncidentInput,
    errors: &FieldErrors,
    today: chrono::NaiveDate,
    action: &str,
    intro: Markup,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let mut others = input.others.clone();
    if others.len() < FORM_OTHERS {
        others.resize(FORM_OTHERS, OtherInput::default());
    }
    layout(
        page,
        html! {
            h1 { "Log an online-safety incident" }
            p.muted { "If a child is in immediate danger, call 999, then tell the Designated Safeguarding Lead in person." }
            (intro)
            (error_summary(errors, &ORDER))
            form.stack.incident method="post" action=(action) {
                (csrf_field(&csrf))
                input type="hidden" name="submission_key" value=(input.submission_key);
                (fields(input, categories, errors, today, None))
                details.others #f-other_pupils open[others.iter().any(|o| !o.name.is_empty()) || errors.get("other_pupils").is_some()] {
                    summary { "Other pupils involved (optional)" }
                    (field_error(errors, "other_pupils"))
                    @for (i, o) in others.iter().enumerate() {
                        (other_row(i, o, errors))
                    }
                }
                div { button type="submit" { "Log this incident" } }
            }
        },
    )
}

/// The correction form: the record's fields as they are (or as typed), and
/// the reason, which is required.
pub fn correction_form(
    page: &Page<'_>,
    view: &IncidentView,
    categories: &[Category],
    input: &IncidentInput,
    errors: &FieldErrors,
    today: chrono::NaiveDate,
) -> Markup {
    layout(
        page,
        correction_body(page, view, categories, input, errors, today, None),
    )
}

#[allow(clippy::too_many_arguments)]
fn correction_body(
    page: &Page<'_>,
    view: &IncidentView,
    categories: &[Category],
    input: &IncidentInput,
    errors: &FieldErrors,
    today: chrono::NaiveDate,
    preface: Option<Markup>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let i = &view.incident;
    html! {
        h1 { "Correct " (i.reference) }
        @if let Some(p) = preface { (p) }
        p.muted { "Nothing is overwritten: the record keeps every earlier value on its timeline, with your reason." }
        (error_summary(errors, &ORDER))
        form.stack.incident method="post" action=(format!("/incidents/{}/correct", i.id)) {
            (csrf_field(&csrf))
            input type="hidden" name="version" value=(input.version);
            (fields(input, categories, errors, today, Some(i.category_code.as_str())))
            (textarea("reason", "Why you are making this correction", Some("Required. It is kept with the correction."), &input.reason, errors, true))
            div { button type="submit" { "Save the correction" } " " a href=(format!("/incidents/{}", i.id)) { "Cancel" } }
        }
    }
}

/// A second editor's correction met a newer version: both are shown, and
/// the form comes back with their values against the version now saved.
pub fn conflict(
    page: &Page<'_>,
    current: &IncidentView,
    categories: &[Category],
    theirs: &IncidentInput,
    today: chrono::NaiveDate,
) -> Markup {
    let saved = crate::incidents::changes::values_of(current);
    let typed = typed_values(theirs);
    let preface = html! {
        (flash("error", "Someone else changed this record while you were correcting it, so your correction was not saved. Compare the two versions below, then save yours again if it is still right."))
        section.card {
            h2 { "The two versions" }
            table.compare {
                thead { tr { th { "Field" } th { "Saved now (version " (current.incident.version) ")" } th { "Yours (not saved)" } } }
                tbody {
                    @for (field, now) in &saved {
                        @if let Some(mine) = typed.iter().find(|(f, _)| f == field).map(|(_, v)| v) {
                            tr.differs[mine != now] {
                                th { (field_label(field)) }
                                td { (display(field, now, categories)) }
                                td { (display(field, mine, categories)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut input = theirs.clone();
    input.version = current.incident.version.to_string();
    layout(
        page,
        correction_body(
            page,
            current,
            categories,
            &input,
            &FieldErrors::default(),
            today,
            Some(preface),
        ),
    )
}

/// What someone typed, as the values a correction compares (the owner is
/// derived, so it is not among them).
fn typed_values(input: &IncidentInput) -> Vec<(&'static str, String)> {
    let date = crate::forms::parse_date(&input.incident_date).map_or_else(
        || {
            if input.date_not_known {
                String::new()
            } else {
                input.incident_date.trim().to_string()
            }
        },
        |d| d.format("%Y-%m-%d").to_string(),
    );
    let v = [
        input.pupil_name.trim().to_string(),
        input.tutor_group.trim().to_string(),
        date,
        input.category.trim().to_string(),
        if input.child_at_risk { "yes" } else { "no" }.to_string(),
        if input.location.is_empty() {
            "unknown".to_string()
        } else {
            input.location.clone()
        },
        input.platform.trim().to_string(),
        input.details.trim().to_string(),
        input.actions_outcome.trim().to_string(),
    ];
    FIELDS.into_iter().zip(v).collect()
}

/// A stored field value as people read it.
pub fn display(field: &str, value: &str, categories: &[Category]) -> String {
    match field {
        "incident_date" => crate::forms::parse_date(value).map_or_else(
            || {
                if value.is_empty() {
                    "Not known".to_string()
                } else {
                    value.to_string()
                }
            },
            super::day,
        ),
        "category" => categories
            .iter()
            .find(|c| c.code == value)
            .map_or_else(|| value.to_string(), |c| c.name.clone()),
        "child_at_risk" => if value == "yes" { "Yes" } else { "No" }.to_string(),
        "location" => {
            Location::parse(value).map_or_else(|| value.to_string(), |l| l.label().to_string())
        }
        "status" => crate::incidents::model::Status::parse(value)
            .map_or_else(|| value.to_string(), |s| s.label().to_string()),
        "owner_role" => value
            .parse::<crate::auth::Role>()
            .map_or_else(|_| value.to_string(), |r| r.label().to_string()),
        _ if value.is_empty() => "(empty)".to_string(),
        _ => value.to_string(),
    }
}
