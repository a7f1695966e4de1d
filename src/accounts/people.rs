//! Someone an administrator names by email: the account that email already
//! has (one person, one account), or a new one made with a welcome link to
//! choose a password. The school's Accounts page, the trust
//! administrator's pages (a new school's first administrator, a trust
//! role) and anything later that names a person go through here.

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::model::User;
use super::store;
use crate::auth::reset::{send_password_link, LinkKind};
use crate::auth::Role;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::forms::{self, FieldErrors};

/// What a new account is made of, already checked.
pub struct NewAccount<'a> {
    /// Its home school: where its sign-ins start.
    pub school_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub initials: &'a str,
    /// Its roles at that school (none for someone who holds only a trust role).
    pub roles: &'a [Role],
}

/// A new account whose password nobody knows, and the welcome link that
/// lets its holder choose one: emailed in the caller's transaction, and
/// returned so that an administrator can pass it on when email is not set
/// up.
pub fn welcome(
    conn: &mut AnyConnection,
    new: &NewAccount<'_>,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<(User, String), AppError> {
    let unguessable = crate::auth::password::hash(&crate::auth::tokens::random_token(32))
        .map_err(AppError::internal)?;
    let user = store::create_user(
        conn,
        &store::NewUser {
            school_id: new.school_id,
            email: new.email,
            name: new.name,
            initials: new.initials,
            password_hash: &unguessable,
            roles: new.roles,
        },
        now,
    )?;
    let link = send_password_link(conn, base_url, &user, LinkKind::Welcome, now)?;
    Ok((user, link))
}

/// The names of a form's three fields for a person.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub email: &'static str,
    pub name: &'static str,
    pub initials: &'static str,
}

/// A person as typed: an email, and the name and initials that a new
/// account needs (an existing one keeps its own).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PersonInput {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub initials: String,
}

/// A person named on a form, checked.
#[derive(Clone, Debug)]
pub struct Person {
    pub email: String,
    /// Empty when not typed: enough for an email that has an account.
    pub name: String,
    pub initials: String,
}

impl PersonInput {
    /// Checks the email, and the name and initials when typed.
    pub fn parse(&self, f: Fields) -> Result<Person, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = forms::email(&mut errors, f.email, &self.email);
        let name = forms::optional(&mut errors, f.name, &self.name, "their name", 200);
        let initials = forms::optional(
            &mut errors,
            f.initials,
            &self.initials,
            "their initials",
            10,
        )
        .to_uppercase();
        errors.into_result()?;
        Ok(Person {
            email,
            name,
            initials,
        })
    }
}

/// The account a named person has, or one just made for them.
pub enum Named {
    Existing(User),
    New { user: User, link: String },
}

impl Named {
    pub fn user(&self) -> &User {
        match self {
            Named::Existing(u) | Named::New { user: u, .. } => u,
        }
    }

    /// The welcome link of an account just made.
    pub fn link(&self) -> Option<&str> {
        match self {
            Named::Existing(_) => None,
            Named::New { link, .. } => Some(link),
        }
    }
}

/// The account `person.email` has (`Some`), or `None` when a new one can
/// be made for them. A new account needs a name and initials, and a
/// deactivated one cannot be given anything: either comes back as the
/// form's field errors. Writes nothing, so that a form can check everything
/// before it changes anything.
pub fn find(
    conn: &mut AnyConnection,
    person: &Person,
    f: Fields,
) -> Result<Result<Option<User>, FieldErrors>, AppError> {
    let mut errors = FieldErrors::default();
    match store::user_by_email(conn, &person.email)? {
        Some(user) if user.active => return Ok(Ok(Some(user))),
        Some(_) => errors.add(
            f.email,
            "This person's account is deactivated. Ask an administrator of their school to reactivate it first.",
        ),
        None => {
            if person.name.is_empty() {
                errors.add(
                    f.name,
                    "There is no account with this email yet: enter their name for the new account.",
                );
            }
            if person.initials.is_empty() {
                errors.add(
                    f.initials,
                    "There is no account with this email yet: enter their initials for the new account.",
                );
            }
        }
    }
    Ok(errors.into_result().map(|()| None))
}

/// What [`find`] found, or a new account (home school `home`, no roles
/// yet: the caller gives them) with its welcome link.
pub fn found_or_made(
    conn: &mut AnyConnection,
    found: Option<User>,
    person: &Person,
    home: &str,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<Named, AppError> {
    if let Some(user) = found {
        return Ok(Named::Existing(user));
    }
    let (user, link) = welcome(
        conn,
        &NewAccount {
            school_id: home,
            email: &person.email,
            name: &person.name,
            initials: &person.initials,
            roles: &[],
        },
        base_url,
        now,
    )?;
    Ok(Named::New { user, link })
}
