//! Administrators edit the categories (name, 4C, owner, guidance, urgency,
//! whether offered), add their own, and set the pick-up time. The
//! safeguards of `safeguards.rs` cannot be removed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::model::{Category, FourC, TrustCategory};
use super::{safeguards, store};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{Access, CurrentUser, Role, Router};
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::{self, FieldErrors, Form};
use crate::state::AppState;
use crate::views::components::{csrf_field, error_summary, flash, Field};
use crate::views::{layout, page, page_with, see_other, Page};

const OWNERS: [Role; 4] = [
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
];

pub fn routes(r: &mut Router<'_>) {
    let admin = Access::Roles(&[Role::Admin]);
    r.get("/admin/categories", admin, list)
        .post("/admin/categories", admin, create)
        // Before "{id}", which would take "standard".
        .post("/admin/categories/standard", admin, add_standard)
        .get("/admin/categories/{id}", admin, edit_form)
        .post("/admin/categories/{id}", admin, update)
        .post("/admin/pickup-time", admin, set_pickup);
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CategoryInput {
    pub(super) name: String,
    pub(super) four_c: String,
    pub(super) owner_role: String,
    pub(super) guidance: String,
    pub(super) urgent: Option<String>,
    pub(super) active: Option<String>,
}

impl CategoryInput {
    fn of(c: &Category) -> Self {
        Self {
            name: c.name.clone(),
            four_c: c.four_c.clone(),
            owner_role: c.owner_role.clone(),
            guidance: c.guidance.clone(),
            urgent: c.urgent.then(|| "on".into()),
            active: c.active.then(|| "on".into()),
        }
    }

    pub(super) fn of_trust(c: &TrustCategory) -> Self {
        Self {
            name: c.name.clone(),
            four_c: c.four_c.clone(),
            owner_role: c.owner_role.clone(),
            guidance: c.guidance.clone(),
            urgent: c.urgent.then(|| "on".into()),
            active: c.active.then(|| "on".into()),
        }
    }

    /// A new category's form: offered unless unticked.
    pub(super) fn blank() -> Self {
        Self {
            active: Some("on".into()),
            ..Default::default()
        }
    }

    /// The edit, checked against the form's rules and, for `code`, the safeguards.
    pub(super) fn parse(&self, code: Option<&str>) -> Result<store::Edit<'_>, FieldErrors> {
        let mut e = FieldErrors::default();
        forms::required(&mut e, "name", &self.name, "the category's name", 200);
        if FourC::parse(&self.four_c).is_none() {
            e.add(
                "four_c",
                "Choose content, contact, conduct, commerce or none.",
            );
        }
        if !OWNERS.iter().any(|r| r.as_str() == self.owner_role) {
            e.add("owner_role", "Choose who owns these incidents.");
        }
        if self.guidance.chars().count() > 2000 {
            e.add(
                "guidance",
                "Keep the guidance to 2,000 characters or fewer.",
            );
        }
        forms::plain(&mut e, "guidance", &self.guidance, "the guidance", true);
        let edit = store::Edit {
            name: self.name.trim(),
            four_c: &self.four_c,
            owner_role: &self.owner_role,
            guidance: self.guidance.trim(),
            urgent: self.urgent.is_some(),
            active: self.active.is_some(),
        };
        for (field, message) in code.map(|c| safeguards::all(c, &edit)).unwrap_or_default() {
            e.add(field, message);
        }
        e.into_result()?;
        Ok(edit)
    }
}

async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let (school_id, now) = (user.school_id.clone(), state.clock.now_naive());
    let (categories, school) = db::run(&state.pool, move |conn| {
        Ok((
            store::for_school(conn, &school_id, now)?,
            crate::accounts::store::school(conn, &school_id)?,
        ))
    })
    .await?;
    let p = Page::for_user("Categories and routing", &user, &csrf).saved_if(&req);
    Ok(page(list_view(
        &p,
        &categories,
        school.pickup_school_days,
        &CategoryInput::blank(),
        &FieldErrors::default(),
    )))
}

async fn load(state: &AppState, school_id: &str, id: &str) -> Result<Category, AppError> {
    let (school_id, id) = (school_id.to_string(), id.to_string());
    db::run(&state.pool, move |conn| {
        Ok(store::in_school(conn, &school_id, &id)?)
    })
    .await
}

async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = load(&state, &user.school_id, &id).await?;
    let p = Page::for_user("Edit category", &user, &csrf);
    if c.from_trust() {
        let trust = trust_name(&state, &user.school_id).await?;
        return Ok(page(shared_view(&p, &c, &trust, false)));
    }
    Ok(page(edit_view(
        &p,
        &c,
        &CategoryInput::of(&c),
        &FieldErrors::default(),
    )))
}

/// The name of the school's trust, as a shared category's page names it.
async fn trust_name(state: &AppState, school_id: &str) -> Result<String, AppError> {
    let school_id = school_id.to_string();
    db::run(&state.pool, move |conn| {
        let school = crate::accounts::store::school(conn, &school_id)?;
        let trusts = crate::accounts::store::all_trusts(conn)?;
        Ok(trusts
            .into_iter()
            .find(|t| Some(&t.id) == school.trust_id.as_ref())
            .map_or_else(|| "the trust".to_string(), |t| t.name))
    })
    .await
}

async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    input: Form<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    let c = load(&state, &user.school_id, &id).await?;
    if c.from_trust() {
        // The trust's administrator changes it, for every school at once.
        let trust = trust_name(&state, &user.school_id).await?;
        let p = Page::for_user("Edit category", &user, &csrf);
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            shared_view(&p, &c, &trust, true),
        ));
    }
    let input = input.into_inner();
    let edit = match input.parse(Some(&c.code)) {
        Ok(_) => input.clone(),
        Err(errors) => {
            let p = Page::for_user("Edit category", &user, &csrf);
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                edit_view(&p, &c, &input, &errors),
            ));
        }
    };
    let (ip, now, admin, school) = (
        client_ip(&req),
        state.clock.now_naive(),
        user.id.clone(),
        user.school_id.clone(),
    );
    db::run(&state.pool, move |conn| {
        let e = edit
            .parse(Some(&c.code))
            .map_err(|_| AppError::Invalid("The category form changed.".into()))?;
        write_transaction(conn, |conn| {
            if !store::update(conn, &c.id, &e, now)? {
                return Err(AppError::Conflict(
                    "The trust now shares this category: only its administrator changes it.".into(),
                ));
            }
            let detail = format!(
                "{}: owner {}, urgent {}, offered {}",
                c.code, e.owner_role, e.urgent, e.active
            );
            audit::store::insert(
                conn,
                &Event::new("category_changed", now)
                    .school(&school)
                    .actor(&admin)
                    .record("category", &c.id)
                    .detail(detail)
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/admin/categories?saved=1"))
}

/// A code for a new category from its name: "Sexting apps" → "sexting-apps".
pub(super) fn code_from(name: &str) -> String {
    let mut code = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            code.push(c);
        } else if !code.ends_with('-') && !code.is_empty() {
            code.push('-');
        }
    }
    code.trim_end_matches('-').chars().take(60).collect()
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let code = code_from(&input.name);
    let mut errors = input.parse(None).err().unwrap_or_default();
    if code.is_empty() && errors.get("name").is_none() {
        errors.add("name", "Use some letters or numbers in the name.");
    }
    let (ip, now, admin, school) = (
        client_ip(&req),
        state.clock.now_naive(),
        user.id.clone(),
        user.school_id.clone(),
    );
    if errors.is_empty() {
        let (typed, code2) = (input.clone(), code.clone());
        let created = db::run(&state.pool, move |conn| {
            let e = typed
                .parse(None)
                .map_err(|_| AppError::Invalid("The category form changed.".into()))?;
            write_transaction(conn, |conn| {
                if !store::create(conn, &school, &code2, &e, now)? {
                    return Ok(false);
                }
                audit::store::insert(
                    conn,
                    &Event::new("category_created", now)
                        .school(&school)
                        .actor(&admin)
                        .detail(code2.clone())
                        .ip(Some(&ip)),
                )?;
                Ok::<_, AppError>(true)
            })
        })
        .await?;
        if created {
            return Ok(see_other("/admin/categories?saved=1"));
        }
        errors.add("name", "There is already a category with this name.");
    }
    let (school_id, now) = (user.school_id.clone(), state.clock.now_naive());
    let (categories, school) = db::run(&state.pool, move |conn| {
        Ok((
            store::for_school(conn, &school_id, now)?,
            crate::accounts::store::school(conn, &school_id)?,
        ))
    })
    .await?;
    let p = Page::for_user("Categories and routing", &user, &csrf);
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        list_view(&p, &categories, school.pickup_school_days, &input, &errors),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StandardInput {
    code: String,
}

/// Accepts one of the standard categories the school does not have yet
/// (those KCSIE 2025 and 2026 added, for a school made before them). A code
/// that is not a standard category, or one the school has, changes nothing.
async fn add_standard(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    input: Form<StandardInput>,
) -> Result<HttpResponse, AppError> {
    let Some(d) = super::defaults::standard(input.code.trim()) else {
        return Err(AppError::Invalid(
            "Choose one of the standard categories offered on the categories page.".into(),
        ));
    };
    let (ip, now, admin, school) = (
        client_ip(&req),
        state.clock.now_naive(),
        user.id.clone(),
        user.school_id.clone(),
    );
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if store::add_standard(conn, &school, d, now)? {
                audit::store::insert(
                    conn,
                    &Event::new("category_created", now)
                        .school(&school)
                        .actor(&admin)
                        .detail(format!("{} (standard)", d.code))
                        .ip(Some(&ip)),
                )?;
            }
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/admin/categories?saved=1"))
}

/// The standard categories the school has not taken up yet, with what
/// each is for.
fn offers(categories: &[Category], csrf: &str) -> Markup {
    let missing = store::standard_missing(categories);
    html! {
        @if !missing.is_empty() {
            section.card.offer #new-categories {
                h2 {
                    @if missing.iter().all(|d| super::defaults::KCSIE_2025_2026.contains(&d.code)) {
                        "New categories from KCSIE 2025/2026: add"
                    } @else { "Standard categories you do not have: add" }
                }
                p {
                    "KCSIE 2025 adds misinformation, disinformation and conspiracy theories to the content risks; "
                    "the UKCIS nudes guidance treats AI-generated and \"nudified\" images of pupils as real ones, and the 2026 draft names them, and misogyny, as child-on-child abuse. "
                    "Nothing changes until you add one: staff are offered it from then on, and reports of earlier years keep the categories they had."
                }
                table.stack {
                    thead { tr { th scope="col" { "Category" } th scope="col" { "4C" } th scope="col" { "Owner" } th scope="col" { span.visually-hidden { "Add" } } } }
                    tbody { @for d in &missing { tr {
                        td data-label="Category" {
                            strong { (d.name) } br; span.muted { (d.code) }
                            @if d.urgent { " " span.badge.urgent { "Urgent" } }
                            @if super::safeguards::refuses_attachments(d.code) { " " span.badge { "No images: safeguarded as nudes-sharing" } }
                            @if !d.guidance.is_empty() { p.hint { (d.guidance) } }
                        }
                        td data-label="4C" { (d.four_c.label()) }
                        td data-label="Owner" { (d.owner.label()) }
                        td {
                            form method="post" action="/admin/categories/standard" {
                                (csrf_field(csrf))
                                input type="hidden" name="code" value=(d.code);
                                button type="submit" { "Add" span.visually-hidden { " " (d.name) } }
                            }
                        }
                    } } }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct PickupInput {
    days: String,
}

async fn set_pickup(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    input: Form<PickupInput>,
) -> Result<HttpResponse, AppError> {
    let days: i32 = match input.days.trim().parse() {
        Ok(d) if (1..=10).contains(&d) => d,
        _ => return Err(AppError::Invalid("The pick-up time is a whole number of school days from 1 to 10. Go back and correct it.".into())),
    };
    let (ip, now, admin, school) = (
        client_ip(&req),
        state.clock.now_naive(),
        user.id.clone(),
        user.school_id.clone(),
    );
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            store::set_pickup_days(conn, &school, days)?;
            audit::store::insert(
                conn,
                &Event::new("pickup_time_changed", now)
                    .school(&school)
                    .actor(&admin)
                    .detail(format!("{days} school day(s)"))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/admin/categories?saved=1"))
}

fn list_view(
    page: &Page<'_>,
    categories: &[Category],
    pickup_days: i32,
    typed: &CategoryInput,
    errors: &FieldErrors,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Categories and routing" }
            p.muted { "Each category's owner is alerted when an incident is logged in it. An incident where a child may have been put at risk goes to the DSL whatever its category. Staff-conduct is seen by the headteacher alone." }
            @if categories.iter().any(Category::from_trust) {
                p.muted { "Categories shared by the trust are changed by the trust's administrator, for every school of the trust at once. You can add categories of your own." }
            }
            (offers(categories, &csrf))
            section.card {
                h2 { "Pick-up time" }
                form.stack method="post" action="/admin/pickup-time" {
                    (csrf_field(&csrf))
                    (Field::text("days", "School days an incident may wait to be picked up before its owner and the headteacher are reminded", &pickup_days.to_string()).kind("number").render(&FieldErrors::default()))
                    div { button type="submit" { "Save pick-up time" } }
                }
            }
            table {
                thead { tr { th { "Category" } th { "4C" } th { "Owner" } th { "" } } }
                tbody { @for c in categories { tr {
                    td { a href=(format!("/admin/categories/{}", c.id)) { (c.name) } br; span.muted { (c.code) } }
                    td { (c.four_c().label()) }
                    td { (c.owner().label()) }
                    td {
                        @if c.urgent { span.badge.urgent { "Urgent" } " " }
                        @if c.restricted { span.badge { "Headteacher only" } " " }
                        @if !c.active { span.badge { "Not offered" } " " }
                        @if c.from_trust() { span.badge.trust { "Shared by the trust" } }
                    }
                } } }
            }
            section.card {
                h2 { "Add a category" }
                (form_fields(&csrf, "/admin/categories", typed, errors, "Add category"))
            }
        },
    )
}

/// A category the trust shares: what it is, and who changes it.
fn shared_view(page: &Page<'_>, c: &Category, trust: &str, refused: bool) -> Markup {
    layout(
        page,
        html! {
            h1 { "Category: " (c.name) }
            @if refused {
                div.flash.error role="alert" {
                    "Not saved: " (trust) " shares this category with its schools, so only the trust's administrator can rename it, change who owns it, or stop offering it."
                }
            } @else {
                (flash("warn", &format!("{trust} shares this category with its schools: the trust's administrator changes it, for every school at once.")))
            }
            section.card {
                dl.record {
                    dt { "Code" } dd { (c.code) }
                    dt { "4C" } dd { (c.four_c().label()) }
                    dt { "Owner" } dd { (c.owner().label()) }
                    dt { "Urgent" } dd { @if c.urgent { "Yes: staff are told to tell the DSL in person now" } @else { "No" } }
                    dt { "Offered to staff" } dd { @if c.active { "Yes" } @else { "No" } }
                    dt { "Guidance" } dd { @if c.guidance.is_empty() { span.muted { "None" } } @else { (c.guidance) } }
                }
            }
            p { a href="/admin/categories" { "Back to categories" } }
        },
    )
}

fn edit_view(page: &Page<'_>, c: &Category, typed: &CategoryInput, errors: &FieldErrors) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Category: " (c.name) }
            @if safeguards::GUARDED.contains(&c.code.as_str()) {
                (flash("warn", "This category carries safeguards: its owner, urgency and standard guidance cannot be removed."))
            }
            section.card { (form_fields(&csrf, &format!("/admin/categories/{}", c.id), typed, errors, "Save")) }
        },
    )
}

pub(super) fn form_fields(
    csrf: &str,
    action: &str,
    t: &CategoryInput,
    errors: &FieldErrors,
    button: &str,
) -> Markup {
    html! {
        (error_summary(errors, &["name", "four_c", "owner_role", "guidance", "urgent", "active"]))
        form.stack method="post" action=(action) {
            (csrf_field(csrf))
            (Field::text("name", "Name", &t.name).render(errors))
            div.field #f-four_c {
                label for="f-4c" { "4C" }
                select #f-4c name="four_c" { @for f in FourC::ALL { option value=(f.as_str()) selected[t.four_c == f.as_str()] { (f.label()) } } }
            }
            div.field.has-error[errors.get("owner_role").is_some()] #f-owner_role {
                label for="f-owner" { "Owner" }
                select #f-owner name="owner_role" { @for r in OWNERS { option value=(r.as_str()) selected[t.owner_role == r.as_str()] { (r.label()) } } }
                @if let Some(e) = errors.get("owner_role") { p.error { (e) } }
            }
            div.field.has-error[errors.get("guidance").is_some()] #f-guidance {
                label for="f-g" { "Guidance shown to staff when they choose it" }
                textarea #f-g name="guidance" { (t.guidance) }
                @if let Some(e) = errors.get("guidance") { p.error { (e) } }
            }
            label.choice #f-urgent { input type="checkbox" name="urgent" checked[t.urgent.is_some()]; " Urgent: staff are told to tell the DSL in person now" }
            @if let Some(e) = errors.get("urgent") { p.error { (e) } }
            label.choice #f-active { input type="checkbox" name="active" checked[t.active.is_some()]; " Offered to staff when logging" }
            @if let Some(e) = errors.get("active") { p.error { (e) } }
            div { button type="submit" { (button) } }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_new_category_gets_a_code_from_its_name() {
        assert_eq!(
            super::code_from("  Sexting apps (new) "),
            "sexting-apps-new"
        );
        assert_eq!(super::code_from("!!!"), "");
    }
}
