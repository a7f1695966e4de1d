//! The trust administrator's pages: each finds the trust from the school
//! the administrator is working in, and reaches only that trust's schools
//! and people.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use super::forms::{
    Grant, GrantInput, NewSchool, RemoveInput, SchoolInput, ADMIN_FIELDS, PERSON_FIELDS,
};
use super::views::{self, Change, People, SchoolRow};
use crate::accounts::grants::GrantedBy;
use crate::accounts::model::{Trust, User};
use crate::accounts::people::{self, Named, Person, PersonInput};
use crate::accounts::{schools, store, trust_roles};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction, AnyConnection};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// The trust whose administrator is asking: that of the school they work
/// in. Anyone else gets 404, as for a page that does not exist.
fn trust_of(conn: &mut AnyConnection, user: &Asker) -> Result<Trust, AppError> {
    store::trust_held_in(conn, &user.id, &user.school_id, Role::TrustAdmin)?
        .ok_or(AppError::NotFound)
}

/// Who is asking, and from where, for the database closures.
#[derive(Clone)]
struct Asker {
    id: String,
    name: String,
    email: String,
    school_id: String,
    ip: String,
}

impl Asker {
    fn of(user: &CurrentUser, req: &HttpRequest) -> Self {
        Self {
            id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            school_id: user.school_id.clone(),
            ip: client_ip(req),
        }
    }
}

fn school_rows(conn: &mut AnyConnection, trust_id: &str) -> Result<Vec<SchoolRow>, AppError> {
    let schools = store::schools_in_trust(conn, trust_id)?;
    let ids: Vec<String> = schools.iter().map(|s| s.id.clone()).collect();
    let admins = store::holders_in_schools(conn, &ids, Role::Admin)?;
    Ok(schools
        .into_iter()
        .map(|school| SchoolRow {
            admins: admins
                .iter()
                .filter(|(id, _)| *id == school.id)
                .map(|(_, u)| u.clone())
                .collect(),
            school,
        })
        .collect())
}

async fn overview(state: &AppState, asker: Asker) -> Result<(Trust, Vec<SchoolRow>), AppError> {
    db::run(&state.pool, move |conn| {
        let trust = trust_of(conn, &asker)?;
        let rows = school_rows(conn, &trust.id)?;
        Ok((trust, rows))
    })
    .await
}

pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let (trust, rows) = overview(&state, Asker::of(&user, &req)).await?;
    let p = Page::for_user("Trust administration", &user, &csrf).saved_if(&req);
    Ok(page(views::home(
        &p,
        &trust,
        &rows,
        &SchoolInput::default(),
        &FieldErrors::default(),
    )))
}

pub async fn add_school(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<SchoolInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let asker = Asker::of(&user, &req);
    let outcome = match NewSchool::try_from(&input) {
        Err(errors) => Err(errors),
        Ok(new) => {
            let (a, now, base) = (
                asker.clone(),
                state.clock.now_naive(),
                state.config.base_url(),
            );
            db::run(&state.pool, move |conn| {
                write_transaction(conn, |conn| add_school_in(conn, &a, &new, &base, now))
            })
            .await?
        }
    };
    let (trust, school, admin) = match outcome {
        Ok(done) => done,
        Err(errors) => {
            let (trust, rows) = overview(&state, asker).await?;
            let p = Page::for_user("Trust administration", &user, &csrf);
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::home(&p, &trust, &rows, &input, &errors),
            ));
        }
    };
    state.mail.wake();
    let p = Page::for_user("School added", &user, &csrf);
    Ok(page(views::school_added(
        &p,
        &trust,
        &school,
        admin.as_ref(),
        state.config.smtp_url.is_none(),
    )))
}

type Added = (Trust, crate::accounts::model::School, Option<Named>);

/// Checks everything first (the administrator named, the URN), so that a
/// refusal changes nothing; then adds the school and names its first
/// administrator, in the caller's transaction.
fn add_school_in(
    conn: &mut AnyConnection,
    asker: &Asker,
    new: &NewSchool,
    base: &str,
    now: NaiveDateTime,
) -> Result<Result<Added, FieldErrors>, AppError> {
    let trust = trust_of(conn, asker)?;
    crate::db::dialect::lock_trust(conn, &trust.id)?;
    let mut errors = FieldErrors::default();
    let found = match &new.admin {
        Some(person) => match people::find(conn, person, ADMIN_FIELDS)? {
            Ok(found) => Some(found),
            Err(e) => {
                for (field, message) in e.iter() {
                    errors.add(field, message);
                }
                None
            }
        },
        None => None,
    };
    if let Some(holder) = store::school_by_urn(conn, &new.school.urn)? {
        errors.add("urn", urn_taken(&trust, &new.school.urn, &holder));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let school = match schools::add(
        conn,
        &new.school,
        Some(&trust),
        Some(&asker.id),
        "trust administration",
        now,
    )? {
        Ok(school) => school,
        Err(holder) => {
            errors.add("urn", urn_taken(&trust, &new.school.urn, &holder));
            return Ok(Err(errors));
        }
    };
    let admin = match (&new.admin, found) {
        (Some(person), Some(found)) => Some(make_admin(
            conn, asker, found, person, &school.id, base, now,
        )?),
        _ => None,
    };
    Ok(Ok((trust, school, admin)))
}

/// The URN's holder is named only when it is a school of this trust: a
/// trust's administrator is not told which schools of other trusts use
/// this safelog.
fn urn_taken(
    trust: &Trust,
    urn: &crate::accounts::model::Urn,
    holder: &crate::accounts::model::School,
) -> String {
    let ours = holder.trust_id.as_deref() == Some(trust.id.as_str());
    schools::urn_taken(urn, ours.then_some(holder.name.as_str()))
}

/// Makes the person found (or a new account) an administrator of
/// `school_id`, keeping any roles they hold there.
fn make_admin(
    conn: &mut AnyConnection,
    asker: &Asker,
    found: Option<User>,
    person: &Person,
    school_id: &str,
    base: &str,
    now: NaiveDateTime,
) -> Result<Named, AppError> {
    let named = people::found_or_made(conn, found, person, school_id, base, now)?;
    let user_id = named.user().id.clone();
    let mut roles = store::roles_in(conn, &user_id, school_id)?;
    let action = match (&named, roles.is_empty()) {
        (Named::New { .. }, _) => "account_created",
        (Named::Existing(_), true) => "membership_added",
        (Named::Existing(_), false) => "roles_changed",
    };
    roles.push(Role::Admin);
    roles.sort();
    roles.dedup();
    store::set_roles(conn, &user_id, school_id, &roles)?;
    audit::store::insert(
        conn,
        &Event::new(action, now)
            .school(school_id)
            .actor(&asker.id)
            .record("user", &user_id)
            .detail("trust administration; gave: admin")
            .ip(Some(&asker.ip)),
    )?;
    Ok(named)
}

pub async fn school(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (trust, row) = school_row(&state, Asker::of(&user, &req), id.into_inner()).await?;
    let p = Page::for_user("School", &user, &csrf).saved_if(&req);
    Ok(page(views::school(
        &p,
        &trust,
        &row,
        &PersonInput::default(),
        &FieldErrors::default(),
    )))
}

/// One school of the asker's trust with its administrators; 404 for a
/// school of another trust, or none.
async fn school_row(
    state: &AppState,
    asker: Asker,
    id: String,
) -> Result<(Trust, SchoolRow), AppError> {
    db::run(&state.pool, move |conn| {
        let trust = trust_of(conn, &asker)?;
        let school = store::school_in_trust(conn, &trust.id, &id)?;
        let admins =
            store::holders_in_schools(conn, std::slice::from_ref(&school.id), Role::Admin)?
                .into_iter()
                .map(|(_, u)| u)
                .collect();
        Ok((trust, SchoolRow { school, admins }))
    })
    .await
}

pub async fn add_school_admin(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    input: Form<PersonInput>,
) -> Result<HttpResponse, AppError> {
    let asker = Asker::of(&user, &req);
    let (trust, row) = school_row(&state, asker.clone(), id.into_inner()).await?;
    let input = input.into_inner();
    let outcome = match input.parse(PERSON_FIELDS) {
        Err(errors) => Err(errors),
        Ok(person) => {
            let (a, now, base) = (
                asker.clone(),
                state.clock.now_naive(),
                state.config.base_url(),
            );
            let school_id = row.school.id.clone();
            db::run(&state.pool, move |conn| {
                write_transaction(conn, |conn| {
                    let trust = trust_of(conn, &a)?;
                    store::school_in_trust(conn, &trust.id, &school_id)?;
                    let found = match people::find(conn, &person, PERSON_FIELDS)? {
                        Ok(found) => found,
                        Err(errors) => return Ok(Err(errors)),
                    };
                    if let Some(u) = &found {
                        if store::roles_in(conn, &u.id, &school_id)?.contains(&Role::Admin) {
                            return Ok(Err(one(
                                PERSON_FIELDS.email,
                                format!("{} is already an administrator of this school.", u.name),
                            )));
                        }
                    }
                    Ok(Ok(make_admin(
                        conn, &a, found, &person, &school_id, &base, now,
                    )?))
                })
            })
            .await?
        }
    };
    match outcome {
        Ok(named) => {
            state.mail.wake();
            let p = Page::for_user("Administrator added", &user, &csrf);
            Ok(page(views::admin_added(
                &p,
                &row.school,
                &named,
                state.config.smtp_url.is_none(),
            )))
        }
        Err(errors) => {
            let p = Page::for_user("School", &user, &csrf);
            Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::school(&p, &trust, &row, &input, &errors),
            ))
        }
    }
}

fn one(field: &'static str, message: String) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    errors
}

/// Who holds the trust's roles, and the latest changes.
async fn people_of(state: &AppState, asker: Asker) -> Result<People, AppError> {
    db::run(&state.pool, move |conn| {
        let trust = trust_of(conn, &asker)?;
        let holders = store::trust_role_holders(conn, &trust.id)?;
        let mut changes = Vec::new();
        for c in store::trust_role_changes_since(conn, &trust.id, None, None, 30)? {
            changes.push(Change {
                at: c.at,
                who: store::user(conn, &c.user_id)?.name,
                role: c.role,
                given: c.change == "given",
                by: match c.by_user_id {
                    Some(id) => Some(store::user(conn, &id)?.name),
                    None => None,
                },
            });
        }
        Ok(People {
            trust,
            holders,
            changes,
            me: asker.id,
        })
    })
    .await
}

pub async fn people(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let people = people_of(&state, Asker::of(&user, &req)).await?;
    let p = Page::for_user("Trust roles", &user, &csrf).saved_if(&req);
    Ok(page(views::people(
        &p,
        &people,
        &GrantInput::default(),
        &FieldErrors::default(),
        None,
    )))
}

pub async fn give_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<GrantInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let asker = Asker::of(&user, &req);
    let outcome = match Grant::try_from(&input) {
        Err(errors) => Err(errors),
        Ok(grant) => {
            let (a, now, base) = (
                asker.clone(),
                state.clock.now_naive(),
                state.config.base_url(),
            );
            db::run(&state.pool, move |conn| {
                write_transaction(conn, |conn| give_in(conn, &a, &grant, &base, now))
            })
            .await?
        }
    };
    match outcome {
        Ok((named, role)) => {
            state.mail.wake();
            match named {
                Named::New { .. } => {
                    let p = Page::for_user("Trust role given", &user, &csrf);
                    Ok(page(views::role_given(
                        &p,
                        &named,
                        role,
                        state.config.smtp_url.is_none(),
                    )))
                }
                Named::Existing(_) => Ok(see_other("/trust/admin/people?saved=1")),
            }
        }
        Err(errors) => {
            let people = people_of(&state, asker).await?;
            let p = Page::for_user("Trust roles", &user, &csrf);
            Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::people(&p, &people, &input, &errors, None),
            ))
        }
    }
}

fn give_in(
    conn: &mut AnyConnection,
    asker: &Asker,
    grant: &Grant,
    base: &str,
    now: NaiveDateTime,
) -> Result<Result<(Named, Role), FieldErrors>, AppError> {
    let trust = trust_of(conn, asker)?;
    let found = match people::find(conn, &grant.person, PERSON_FIELDS)? {
        Ok(found) => found,
        Err(errors) => return Ok(Err(errors)),
    };
    let is_me = match &found {
        Some(u) => u.id == asker.id,
        None => grant.person.email == asker.email,
    };
    // Like a school's DSL or headteacher: someone else must give it, and
    // the trust's administrators are told.
    if is_me && trust_roles::GUARDED.contains(&grant.role) {
        return Ok(Err(one("role", trust_roles::NOT_TO_YOURSELF.into())));
    }
    if let Some(u) = &found {
        if store::holds_trust_role(conn, &u.id, &trust.id, grant.role)? {
            return Ok(Err(one(
                "role",
                format!(
                    "{} already holds the {} role across the trust.",
                    u.name,
                    grant.role.label()
                ),
            )));
        }
    }
    // A new account's home school is the one the administrator works in:
    // a school of the trust, where its sign-ins start.
    let named = people::found_or_made(conn, found, &grant.person, &asker.school_id, base, now)?;
    if let Named::New { user, .. } = &named {
        audit::store::insert(
            conn,
            &Event::new("account_created", now)
                .school(&asker.school_id)
                .actor(&asker.id)
                .record("user", &user.id)
                .detail(format!("trust administration; trust role: {}", grant.role))
                .ip(Some(&asker.ip)),
        )?;
    }
    trust_roles::give(
        conn,
        &trust,
        named.user(),
        grant.role,
        &GrantedBy {
            id: Some(&asker.id),
            name: &asker.name,
        },
        &trust_roles::Origin {
            school_id: Some(&asker.school_id),
            ip: Some(&asker.ip),
        },
        now,
    )?;
    Ok(Ok((named, grant.role)))
}

pub async fn take_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    input: Form<RemoveInput>,
) -> Result<HttpResponse, AppError> {
    let Some(role) = super::forms::trust_role(&input.role) else {
        return Err(AppError::Invalid(
            "Choose which trust role to take away. Go back and press the button beside it.".into(),
        ));
    };
    let asker = Asker::of(&user, &req);
    if *id == user.id && role == Role::TrustAdmin {
        let people = people_of(&state, asker).await?;
        let p = Page::for_user("Trust roles", &user, &csrf);
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::people(
                &p,
                &people,
                &GrantInput::default(),
                &FieldErrors::default(),
                Some(trust_roles::NOT_YOUR_OWN),
            ),
        ));
    }
    let (target, now) = (id.into_inner(), state.clock.now_naive());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let trust = trust_of(conn, &asker)?;
            let account = store::user(conn, &target)?;
            let taken = trust_roles::take(
                conn,
                &trust,
                &account,
                role,
                &asker.id,
                &trust_roles::Origin {
                    school_id: Some(&asker.school_id),
                    ip: Some(&asker.ip),
                },
                now,
            )?;
            // Someone who does not hold it across this trust is nobody
            // this trust may know of.
            if taken {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        })
    })
    .await?;
    Ok(see_other("/trust/admin/people?saved=1"))
}
