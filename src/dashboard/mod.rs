//! The start page: `/`, where each person lands after signing in, with
//! what their roles ask of them.

mod views;

use actix_web::HttpResponse;

use crate::auth::csrf::CsrfToken;
use crate::auth::{Access, CurrentUser, Router};
use crate::views::page;

pub fn routes(r: &mut Router<'_>) {
    r.get("/", Access::SignedIn, home);
}

async fn home(user: CurrentUser, csrf: CsrfToken) -> HttpResponse {
    page(views::home(&user, &csrf))
}
