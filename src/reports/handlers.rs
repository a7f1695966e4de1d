//! The report pages and the term-dates page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::terms::{check_year, Term, TermName};
use super::{store, views};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::Form;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn terms_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let current = Term::default_containing(state.clock.today()).year;
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(current);
    let school_id = user.school_id.clone();
    let terms = db::run(&state.pool, move |conn| {
        Ok(store::year(conn, &school_id, year)?)
    })
    .await?;
    let typed = terms.map(|t| (t.starts_on.to_string(), t.ends_on.to_string()));
    let page_info = Page::for_user("Term dates", &user, &csrf).saved_if(&req);
    Ok(page(views::terms_form(
        &page_info, year, current, &typed, None,
    )))
}

#[derive(Deserialize)]
pub struct TermsInput {
    year: i32,
    autumn_starts: String,
    autumn_ends: String,
    spring_starts: String,
    spring_ends: String,
    summer_starts: String,
    summer_ends: String,
}

impl TermsInput {
    fn typed(&self) -> [(String, String); 3] {
        [
            (self.autumn_starts.clone(), self.autumn_ends.clone()),
            (self.spring_starts.clone(), self.spring_ends.clone()),
            (self.summer_starts.clone(), self.summer_ends.clone()),
        ]
    }

    fn parse(&self) -> Result<[Term; 3], String> {
        let date = |s: &str, what: &str| {
            crate::forms::parse_date(s).ok_or_else(|| {
                format!("{what}: enter a date as yyyy-mm-dd or dd/mm/yyyy, such as 2025-09-03.")
            })
        };
        let mut out = TermName::ALL.map(|t| Term::default_for(self.year, t));
        for (i, (starts, ends)) in self.typed().iter().enumerate() {
            let label = out[i].label();
            out[i].starts_on = date(starts, &format!("{label} start"))?;
            out[i].ends_on = date(ends, &format!("{label} end"))?;
        }
        check_year(&out)?;
        Ok(out)
    }
}

pub async fn save_terms(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<TermsInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let current = Term::default_containing(state.clock.today()).year;
    let terms = match input.parse() {
        Ok(t) => t,
        Err(problem) => {
            let page_info = Page::for_user("Term dates", &user, &csrf);
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::terms_form(
                    &page_info,
                    input.year,
                    current,
                    &input.typed(),
                    Some(&problem),
                ),
            ));
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (school_id, admin_id, year) = (user.school_id.clone(), user.id.clone(), input.year);
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            store::save_year(conn, &school_id, &terms, &admin_id, now)?;
            audit::store::insert(
                conn,
                &Event::new("terms_changed", now)
                    .school(&school_id)
                    .actor(&admin_id)
                    .detail(format!("academic year {year}"))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other(&format!("/admin/terms?year={year}&saved=1")))
}
