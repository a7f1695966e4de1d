//! The incident list page. Every opening is audited with the names of the
//! filters used, never their values.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{categories, Caller};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::{CurrentUser, Role};
use crate::db;
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::incidents::filters::{Filters, ListQuery, Paging};
use crate::incidents::saved_search::{self, SearchRef};
use crate::incidents::store;
use crate::incidents::store::read::Found;
use crate::incidents::viewer::Viewer;
use crate::incidents::views::list::{self, ListPage};
use crate::state::AppState;
use crate::views::{page_with, see_other, Page};

/// Runs a search for `viewer` and records it in the audit trail.
pub async fn search(
    state: &AppState,
    viewer: Viewer,
    ip: String,
    filters: Filters,
    paging: Paging,
    via: &'static str,
) -> Result<Found, AppError> {
    let now = state.clock.now_naive();
    db::run(&state.pool, move |conn| {
        let found = store::list(conn, &viewer, &filters, &paging)?;
        let names = filters.names();
        let used = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        audit::store::insert(
            conn,
            &Event::new("incidents_searched", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .detail(format!("filters {used}; page {}; via {via}", paging.page))
                .ip(Some(&ip)),
        )?;
        Ok(found)
    })
    .await
}

/// `GET /incidents`: the list, filtered by the address's filters and, when
/// it names one, the session's saved search (`f`).
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
    saved: web::Query<SearchRef>,
) -> Result<HttpResponse, AppError> {
    let (query, expired) = saved_search::apply(&state, &user, &query, &saved.f).await?;
    let search_id = (!expired && !saved.f.trim().is_empty()).then(|| saved.f.trim().to_string());
    show(&state, &req, &user, &csrf, query, search_id, expired).await
}

/// `POST /incidents/search`: the filter form. Typed text is saved on the
/// server and the list opens at an address that holds only its id; a
/// filter that needs correcting comes back with everything typed kept.
pub async fn search_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let typed = form.into_inner();
    if typed.parse().is_err() {
        return show(&state, &req, &user, &csrf, typed, None, false).await;
    }
    let id = saved_search::save(&state, &user, &typed).await?;
    Ok(see_other(&list::list_address(
        &saved_search::without_typed_text(&typed),
        id.as_deref(),
        None,
    )))
}

async fn show(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    csrf: &CsrfToken,
    query: ListQuery,
    search_id: Option<String>,
    expired: bool,
) -> Result<HttpResponse, AppError> {
    let cats = categories(state, &user.school_id).await?;
    let lead = user.roles.any(&[
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Dpo,
        Role::Leadership,
        Role::AllegationsLead,
        Role::TrustSafeguardingLead,
    ]);
    let logs = crate::incidents::Viewer::of(user).writes();
    let page_info = Page::for_user("Incidents", user, csrf);
    let (filters, paging, errors) = match query.parse() {
        Ok((f, p)) => (f, p, FieldErrors::default()),
        Err(e) => (
            Filters::default(),
            Paging::first(Paging::DEFAULT_PER_PAGE),
            e,
        ),
    };
    let found = if errors.is_empty() {
        let caller = Caller::new(user, req);
        search(
            state,
            caller.viewer,
            caller.ip,
            filters,
            paging.clone(),
            "page",
        )
        .await?
    } else {
        Found {
            items: Vec::new(),
            total: 0,
            total_exact: true,
            next: None,
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page_with(
        status,
        list::list(
            &page_info,
            &ListPage {
                found: &found,
                paging,
                query: &query,
                categories: &cats,
                errors: &errors,
                lead,
                logs,
                exporter: user
                    .roles
                    .any(&[Role::Dsl, Role::Headteacher, Role::OnlineSafetyLead]),
                search_id: search_id.as_deref(),
                expired,
            },
        ),
    ))
}
