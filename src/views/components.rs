//! Form pieces every feature uses: a labelled field that shows its error
//! and keeps what was typed, the hidden CSRF field, flash messages.

use maud::{html, Markup};

use crate::forms::FieldErrors;

/// What a text input needs.
pub struct Field<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub value: &'a str,
    pub kind: &'static str,
    pub hint: Option<&'a str>,
    pub autocomplete: Option<&'static str>,
    pub required: bool,
}

impl<'a> Field<'a> {
    pub fn text(name: &'static str, label: &'a str, value: &'a str) -> Self {
        Self {
            name,
            label,
            value,
            kind: "text",
            hint: None,
            autocomplete: None,
            required: true,
        }
    }

    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn autocomplete(mut self, value: &'static str) -> Self {
        self.autocomplete = Some(value);
        self
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let error = errors.get(self.name);
        let id = format!("f-{}", self.name);
        let err_id = format!("{id}-error");
        html! {
            div.field.has-error[error.is_some()] {
                label for=(id) {
                    (self.label)
                    @if let Some(hint) = self.hint { br; span.hint { (hint) } }
                }
                input type=(self.kind) id=(id) name=(self.name) value=(self.value)
                    required[self.required]
                    autocomplete=[self.autocomplete]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[error.map(|_| err_id.as_str())];
                @if let Some(message) = error {
                    p.error id=(err_id) { (message) }
                }
            }
        }
    }
}

/// The hidden field every state-changing form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A one-line message at the top of a page.
pub fn flash(kind: &'static str, message: &str) -> Markup {
    html! { div.flash.(kind) role="status" { (message) } }
}

/// A form-wide error summary: what to fix, linked to each field.
pub fn error_summary(errors: &FieldErrors, fields: &[&'static str]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.flash.error role="alert" {
                strong { "Please correct the following:" }
                ul {
                    @for f in fields {
                        @if let Some(message) = errors.get(f) {
                            li { a href=(format!("#f-{f}")) { (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// The links between the trust administrator's pages (the trust's schools,
/// its people and roles, its shared categories), which two features serve.
pub fn trust_admin_nav() -> Markup {
    html! {
        nav.pages aria-label="Trust administration" {
            a href="/trust/admin" { "Schools" } " · "
            a href="/trust/admin/people" { "People and trust roles" } " · "
            a href="/trust/admin/categories" { "Shared categories" } " · "
            a href="/trust/admin/sign-in" { "Sign-in" }
        }
    }
}
