//! The record page's "Files" section and the administrator's attachment
//! settings page.

use maud::{html, Markup};

use super::files::Integrity;
use super::handlers::SettingsInput;
use super::{size_words, Panel};
use crate::forms::FieldErrors;
use crate::incidents::model::Incident;
use crate::views::components::{csrf_field, error_summary, Field};
use crate::views::time::moment;
use crate::views::{layout, Page};

fn integrity(state: Option<Integrity>) -> Markup {
    html! {
        @match state {
            Some(Integrity::Intact) => { span.badge.ok { "Checked: unchanged since it was added" } }
            Some(Integrity::Changed) => { div.flash.error role="alert" { strong { "Changed: the file on disk no longer matches its SHA-256." } " It is not the evidence that was added; restore it from a backup." } }
            Some(Integrity::Missing) => { div.flash.error role="alert" { strong { "Missing: the file is not in the data folder." } " Restore it from a backup." } }
            None => { span.muted { "Not checked" } }
        }
    }
}

/// The files of a record: each with its type, size, who and when, its
/// SHA-256 and what the file on disk says against it; the upload form, or
/// why this category takes no file.
pub fn section(csrf: &str, i: &Incident, p: &Panel) -> Markup {
    let (shown, hidden): (Vec<_>, Vec<_>) =
        p.items.iter().partition(|(a, _)| !a.entered_in_error());
    html! {
        section.card #attachments {
            h2 { "Files" }
            @if let Some(why) = &p.refused {
                div.flash.warn role="note" #attachments-refused {
                    p { strong { "Files cannot be attached here." } }
                    p.text { (why) }
                }
            }
            @if shown.is_empty() && p.refused.is_none() { p.muted { "No files attached." } }
            @if !shown.is_empty() {
                ul.attachments {
                    @for (a, state) in &shown {
                        li.attachment {
                            p {
                                a href=(format!("/incidents/{}/attachments/{}", i.id, a.id)) download { (a.name) }
                                " " span.muted { "(" (a.media_type) ", " (size_words(a.size)) ")" }
                            }
                            p.meta { "Added by " (a.uploaded_by_initials) " · " (moment(a.uploaded_at)) }
                            p.hash { "SHA-256: " code.sha256 { (a.sha256) } }
                            div.integrity { (integrity(*state)) }
                            @if p.may_mark_in_error {
                                details.in-error {
                                    summary { "Mark this file as entered in error" }
                                    form.stack method="post" action=(format!("/incidents/{}/attachments/{}/entered-in-error", i.id, a.id)) {
                                        (csrf_field(csrf))
                                        div.field {
                                            label for=(format!("reason-{}", a.id)) { "Why (the file is hidden, never deleted)" }
                                            textarea id=(format!("reason-{}", a.id)) name="reason" required rows="2" {}
                                        }
                                        div { button type="submit" { "Mark as entered in error" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !hidden.is_empty() {
                details.hidden-files {
                    summary { "Entered in error (" (hidden.len()) "), kept but hidden" }
                    ul { @for (a, state) in &hidden {
                        li {
                            a href=(format!("/incidents/{}/attachments/{}", i.id, a.id)) download { (a.name) }
                            " · SHA-256 " code.sha256 { (a.sha256) } (integrity(*state))
                            @if let Some(at) = a.entered_in_error_at { br; "Marked entered in error " (moment(at)) }
                            @if let Some(r) = &a.entered_in_error_reason { ": " span.text { (r) } }
                        }
                    } }
                }
            }
            @if p.may_add {
                form.stack method="post" action=(format!("/incidents/{}/attachments", i.id)) enctype="multipart/form-data" #attach {
                    (csrf_field(csrf))
                    div.field.has-error[p.error.is_some()] {
                        label for="f-file" {
                            "Attach a file"
                            br;
                            span.hint {
                                "Up to " (size_words(p.max_file)) " a file and " (size_words(p.max_incident)) " for the incident ("
                                (size_words(p.used)) " used). Its type is read from its content. "
                                @if p.no_images { strong { "This category takes no images" } " (the school's setting): a PDF or document still goes." }
                            }
                        }
                        input #f-file type="file" name="file" required aria-invalid=[p.error.as_ref().map(|_| "true")] aria-describedby=[p.error.as_ref().map(|_| "f-file-error")];
                        @if let Some(e) = &p.error { p.error #f-file-error role="alert" { (e) } }
                    }
                    div { button type="submit" { "Attach file" } }
                }
            } @else if let Some(e) = &p.error {
                p.error role="alert" { (e) }
            }
        }
    }
}

/// Administration → Attachments.
pub fn settings(
    page: &Page<'_>,
    categories: &[(String, String, bool)],
    input: &SettingsInput,
    errors: &FieldErrors,
) -> Markup {
    layout(
        page,
        html! {
            h1 { "Attachments" }
            p { "Files attached to incidents are kept in safelog's data folder, each under its SHA-256 hash, which the record shows and checks every time it is opened." }
            (error_summary(errors, &["max_file_mb", "max_incident_mb"]))
            form.stack method="post" action="/admin/attachments" {
                (csrf_field(page.csrf.as_deref().unwrap_or("")))
                (Field::text("max_file_mb", "Largest file, in MB", &input.max_file_mb).kind("number").hint("From 1 to 50. The default is 10.").render(errors))
                (Field::text("max_incident_mb", "Most an incident may hold in all, in MB", &input.max_incident_mb).kind("number").hint("From 1 to 500. The default is 50.").render(errors))
                fieldset {
                    legend { "Categories that take no images" }
                    p.hint { "A file an image decoder recognises (a photo, a screenshot) is refused on these; a PDF or a document still goes. The nudes and abuse-imagery categories take no file at all, whatever is set here: holding the material may itself be an offence." }
                    @for (code, name, refused) in categories {
                        div.field {
                            label {
                                input type="checkbox" name="no_images" value=(code) checked[input.no_images.contains(code)] disabled[*refused];
                                " " (name)
                                @if *refused { " " span.muted { "(no files at all, by design)" } }
                            }
                        }
                    }
                }
                div { button type="submit" { "Save" } }
            }
        },
    )
}
