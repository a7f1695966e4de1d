//! `safelog user add`: an account from a script, for deployments that do
//! not use the setup link.

use std::io::BufRead;

use clap::Args;

use super::model::normalise_email;
use super::store;
use crate::audit::{self, Event};
use crate::auth::{password, Role};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::dialect::write_transaction;
use crate::error::AppError;
use crate::forms::{self, FieldErrors};

#[derive(Debug, Args)]
pub struct AddUser {
    /// Their email address: how they sign in.
    #[arg(long)]
    pub email: String,
    /// Their name, as colleagues know them.
    #[arg(long)]
    pub name: String,
    /// Their initials, as they sign incident records (e.g. MAL).
    #[arg(long)]
    pub initials: String,
    /// A role; repeat for several: staff, online_safety_lead, dsl, headteacher, dpo, governor, admin,
    /// leadership, allegations_lead; with --trust: trust_safeguarding_lead, trust_admin, trustee,
    /// allegations_lead.
    #[arg(long = "role", required = true, value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// The school's name or URN: names the school when there is none yet,
    /// and chooses one when there are several. An email that already has an
    /// account gains roles at this school (one person, one account).
    #[arg(long)]
    pub school: Option<String>,
    /// A trust's name: the roles are held across every school of the trust
    /// (trust_safeguarding_lead), not at one school. Instead of --school.
    #[arg(long, conflicts_with = "school")]
    pub trust: Option<String>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
    match store::trust_role(&wanted) {
        Some(role) => Ok(role),
        None => s.parse(),
    }
}

pub fn add_user(config: &Config, args: &AddUser) -> Result<(), String> {
    if !args.password_stdin {
        return Err("give the password on standard input and add --password-stdin (it must not appear in the command line or shell history)".into());
    }
    let mut typed = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut typed)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let pass = typed.trim_end_matches(['\r', '\n']).to_string();

    let mut errors = FieldErrors::default();
    let email = forms::email(&mut errors, "email", &args.email);
    let name = forms::required(&mut errors, "name", &args.name, "--name", 200);
    let initials =
        forms::required(&mut errors, "initials", &args.initials, "--initials", 10).to_uppercase();
    for field in ["email", "name", "initials"] {
        if let Some(message) = errors.get(field) {
            return Err(format!("{field}: {message}"));
        }
    }

    let trust_wide = args
        .roles
        .iter()
        .filter(|r| Role::TRUST_WIDE.contains(r))
        .count();
    let trust_only = args
        .roles
        .iter()
        .filter(|r| Role::TRUST.contains(r))
        .count();
    match (&args.trust, trust_wide, trust_only) {
        (Some(_), n, _) if n < args.roles.len() => {
            return Err("--trust gives only roles held across a trust (trust_safeguarding_lead, trust_admin, trustee, allegations_lead); give a school's roles with --school".into())
        }
        (None, _, n) if n > 0 => {
            return Err("trust_safeguarding_lead, trust_admin and trustee are held across a trust: name it with --trust".into())
        }
        _ => {}
    }

    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let email = normalise_email(&email);
    // One person, one account: an email already known gains a membership
    // and keeps its password. Only a new account needs (and checks) the
    // one given, hashed before the transaction so as not to hold the
    // write lock while it runs.
    let known = store::user_by_email(&mut conn, &email)
        .map_err(|e| AppError::from(e).message())?
        .is_some();
    let hash = if known {
        None
    } else {
        password::check_new(&pass).map_err(|why| format!("password: {why}"))?;
        Some(password::hash(&pass).map_err(|e| format!("cannot hash the password: {e}"))?)
    };
    let now = Clock::system().now_naive();
    if let Some(trust) = &args.trust {
        let new = NewPerson {
            email: &email,
            name: &name,
            initials: &initials,
            hash: hash.as_deref(),
        };
        let (user, trust, existing) =
            write_transaction(&mut conn, |conn| add_to_trust(conn, args, trust, &new, now))
                .map_err(|e| e.message())??;
        let roles = role_names(&args.roles);
        let made = if existing { "Gave" } else { "Created" };
        println!(
            "{made} {} <{}> across {} (every school of the trust) with roles: {roles}.",
            user.name, user.email, trust.name
        );
        return Ok(());
    }
    let school_name = args.school.as_deref();
    let result = write_transaction(&mut conn, |conn| {
        let school = match pick_school(conn, school_name)? {
            Ok(s) => s,
            Err(message) => return Ok(Err(message)),
        };
        let (user, old_roles) = match (store::user_by_email(conn, &email)?, &hash) {
            (Some(existing), _) => {
                let held = store::roles_in(conn, &existing.id, &school.id)?;
                if !held.is_empty() {
                    return Ok(Err(format!(
                        "there is already an account with the email {email} at {}: change its roles on its Accounts page",
                        school.name
                    )));
                }
                store::set_roles(conn, &existing.id, &school.id, &args.roles)?;
                audit::store::insert(
                    conn,
                    &Event::new("membership_added", now)
                        .school(&school.id)
                        .record("user", &existing.id)
                        .detail(format!("command line; roles: {}", role_names(&args.roles))),
                )?;
                (existing, Some(held))
            }
            (None, Some(hash)) => {
                let user = store::create_user(
                    conn,
                    &store::NewUser {
                        school_id: &school.id,
                        email: &email,
                        name: &name,
                        initials: &initials,
                        password_hash: hash,
                        roles: &args.roles,
                    },
                    now,
                )?;
                audit::store::insert(
                    conn,
                    &Event::new("account_created", now)
                        .school(&school.id)
                        .record("user", &user.id)
                        .detail("command line"),
                )?;
                (user, None)
            }
            // Made by someone else since the look before: run it again.
            (None, None) => {
                return Ok(Err(format!(
                    "the account {email} changed while this ran; run the command again"
                )))
            }
        };
        // The command line is the server administrator's: it may create the
        // first headteacher or DSL (there is nobody to ask yet), and any
        // later one is announced to the school's headteachers.
        super::grants::announce(
            conn,
            &school.id,
            &user,
            &super::grants::newly_granted(old_roles.as_deref().unwrap_or_default(), &args.roles),
            &super::grants::GrantedBy {
                id: None,
                name: "the server's administrator (safelog user add)",
            },
            now,
        )?;
        Ok::<_, AppError>(Ok((user, school, old_roles.is_some())))
    })
    .map_err(|e| e.message())?;
    let (user, school, existing) = result?;
    let roles = role_names(&args.roles);
    if existing {
        println!(
            "{} <{}> now also works at {} with roles: {roles} (their name, initials and password are unchanged).",
            user.name, user.email, school.name
        );
    } else {
        println!(
            "Created {} <{}> at {} with roles: {roles}.",
            user.name, user.email, school.name
        );
    }
    Ok(())
}

/// A person as typed on the command line; `hash` only for a new account.
struct NewPerson<'a> {
    email: &'a str,
    name: &'a str,
    initials: &'a str,
    hash: Option<&'a str>,
}

/// `user add --trust`: trust roles for a new account (whose home school is
/// the trust's first by name) or an existing one (unchanged otherwise).
/// A trust role is no membership of any school: nobody is alerted for it,
/// so nothing is announced to a school's headteachers; a trust
/// safeguarding lead is announced to the trust's administrators.
fn add_to_trust(
    conn: &mut crate::db::AnyConnection,
    args: &AddUser,
    wanted: &str,
    new: &NewPerson<'_>,
    now: chrono::NaiveDateTime,
) -> Result<Result<(super::model::User, super::model::Trust, bool), String>, AppError> {
    let Some(trust) = store::trust_by_name(conn, wanted)? else {
        return Ok(Err(format!(
            "there is no trust named '{}'; add it first with safelog trust add --name",
            wanted.trim()
        )));
    };
    let schools = store::schools_of_trust(conn, &trust.id)?;
    let Some((home, _)) = schools.first() else {
        return Ok(Err(format!(
            "{} has no school yet: add one with safelog school add --trust",
            trust.name
        )));
    };
    let (user, existing) = match (store::user_by_email(conn, new.email)?, new.hash) {
        (Some(existing), _) => (existing, true),
        (None, Some(hash)) => {
            let user = store::create_user(
                conn,
                &store::NewUser {
                    school_id: home,
                    email: new.email,
                    name: new.name,
                    initials: new.initials,
                    password_hash: hash,
                    roles: &[],
                },
                now,
            )?;
            audit::store::insert(
                conn,
                &Event::new("account_created", now)
                    .school(home)
                    .record("user", &user.id)
                    .detail("command line"),
            )?;
            (user, false)
        }
        (None, None) => {
            return Ok(Err(format!(
                "the account {} changed while this ran; run the command again",
                new.email
            )))
        }
    };
    let mut added = Vec::new();
    for role in &args.roles {
        let given = super::trust_roles::give(
            conn,
            &trust,
            &user,
            *role,
            &super::grants::GrantedBy {
                id: None,
                name: "the server's administrator (safelog user add)",
            },
            &super::trust_roles::Origin {
                school_id: None,
                ip: None,
            },
            now,
        )?;
        if given {
            added.push(*role);
        }
    }
    if added.is_empty() {
        return Ok(Err(format!(
            "{} already holds {} across {}",
            user.email,
            role_names(&args.roles),
            trust.name
        )));
    }
    Ok(Ok((user, trust, existing)))
}

fn role_names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The school to add to: on an empty deployment a new one (named by
/// --school, or "Our school"), as before there were several; otherwise the
/// one --school names (or whose URN it gives), or the only one.
fn pick_school(
    conn: &mut crate::db::AnyConnection,
    wanted: Option<&str>,
) -> Result<Result<super::model::School, String>, AppError> {
    if store::all_schools(conn)?.is_empty() {
        let name = wanted
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("Our school");
        return Ok(Ok(store::create_school(
            conn,
            name,
            Clock::system().now_naive(),
        )?));
    }
    super::schools::choose(conn, wanted)
}
