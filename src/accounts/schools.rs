//! `safelog trust add` and `safelog school add`: a deployment that hosts
//! several schools (a trust, a local authority) adds them from a script.
//! A school is known by its DfE URN, six digits and unique; the name is
//! what people read, and two schools may share one.

use clap::Args;
use diesel::Connection;

use super::model::{School, Trust, Urn};
use super::store;
use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::forms::{self, FieldErrors};

#[derive(Debug, Args)]
pub struct AddTrust {
    /// The trust's name, e.g. "Oak Learning Trust".
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct AddSchool {
    /// The school's name, as its staff know it.
    #[arg(long)]
    pub name: String,
    /// The school's URN: the six digits the DfE gave it (Get Information about Schools).
    #[arg(long)]
    pub urn: String,
    /// The trust the school belongs to, by name (add it first with `safelog trust add`).
    #[arg(long)]
    pub trust: Option<String>,
}

/// A name typed on the command line, checked as the forms check one.
fn name(typed: &str, what: &str) -> Result<String, String> {
    let mut errors = FieldErrors::default();
    let name = forms::required(&mut errors, "name", typed, what, forms::ONE_LINE_MAX);
    match errors.get("name") {
        Some(message) => Err(format!("--name: {message}")),
        None => Ok(name),
    }
}

pub fn add_trust(config: &Config, args: &AddTrust) -> Result<(), String> {
    let name = name(&args.name, "the trust's name")?;
    let now = Clock::system().now_naive();
    let trust = in_transaction(config, |conn| {
        if let Some(same) = store::trust_by_name(conn, &name)? {
            return Ok(Err(format!(
                "there is already a trust named '{}'",
                same.name
            )));
        }
        let trust = store::create_trust(conn, &name, now)?;
        audit::store::insert(
            conn,
            &Event::new("trust_created", now)
                .record("trust", &trust.id)
                .detail("command line"),
        )?;
        Ok(Ok(trust))
    })?;
    println!("Added the trust {}.", trust.name);
    Ok(())
}

pub fn add_school(config: &Config, args: &AddSchool) -> Result<(), String> {
    let new = SchoolToAdd::parse(&args.name, &args.urn).map_err(|errors| {
        match (errors.get("name"), errors.get("urn")) {
            (Some(message), _) => format!("--name: {message}"),
            (None, Some(message)) => format!("--urn: {message}"),
            (None, None) => "the school could not be checked".into(),
        }
    })?;
    let now = Clock::system().now_naive();
    let (school, trust) = in_transaction(config, |conn| {
        let trust = match args.trust.as_deref() {
            None => None,
            Some(wanted) => match store::trust_by_name(conn, wanted)? {
                Some(t) => Some(t),
                None => return Ok(Err(no_such_trust(conn, wanted)?)),
            },
        };
        // The server's administrator sees every school, so the holder of
        // a URN is named.
        match add(conn, &new, trust.as_ref(), None, "command line", now)? {
            Ok(school) => Ok(Ok((school, trust))),
            Err(holder) => Ok(Err(urn_taken(&new.urn, Some(&holder.name)))),
        }
    })?;
    println!("{}", added(&school, trust.as_ref()));
    Ok(())
}

/// A school to add, as typed and checked: the same rules, in the same
/// words, on the command line and on the trust administrator's page.
#[derive(Clone, Debug)]
pub struct SchoolToAdd {
    pub name: String,
    pub urn: Urn,
}

impl SchoolToAdd {
    /// What is wrong, by field (`name`, `urn`).
    pub fn parse(name: &str, urn: &str) -> Result<SchoolToAdd, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = forms::required(
            &mut errors,
            "name",
            name,
            "the school's name",
            forms::ONE_LINE_MAX,
        );
        match Urn::parse(urn) {
            Ok(urn) if errors.is_empty() => Ok(SchoolToAdd { name, urn }),
            Ok(_) => Err(errors),
            Err(why) => {
                errors.add("urn", why);
                Err(errors)
            }
        }
    }
}

/// Adds the school, to `trust` if given, with the default categories and
/// then the trust's shared ones, and records it (`by`: who, `via`: from
/// where). `Err(holder)` when the URN is already another school's; nothing
/// is added then. Call it inside a write transaction.
pub fn add(
    conn: &mut AnyConnection,
    new: &SchoolToAdd,
    trust: Option<&Trust>,
    by: Option<&str>,
    via: &str,
    now: chrono::NaiveDateTime,
) -> Result<Result<School, School>, AppError> {
    if let Some(holder) = store::school_by_urn(conn, &new.urn)? {
        return Ok(Err(holder));
    }
    // A savepoint: if another request took the URN since the look above,
    // the unique index refuses this insert and the transaction goes on.
    let made = conn.transaction(|conn| {
        store::add_school(
            conn,
            &store::NewSchool {
                name: &new.name,
                urn: Some(&new.urn),
                trust_id: trust.map(|t| t.id.as_str()),
            },
            now,
        )
    });
    let school = match made {
        Ok(school) => school,
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            return match store::school_by_urn(conn, &new.urn)? {
                Some(holder) => Ok(Err(holder)),
                None => Err(AppError::internal("a URN clashed with no school")),
            }
        }
        Err(e) => return Err(e.into()),
    };
    let mut event = Event::new("school_created", now)
        .school(&school.id)
        .record("school", &school.id)
        .detail(match trust {
            Some(t) => format!("{via}; trust: {}", t.name),
            None => via.to_string(),
        });
    if let Some(actor) = by {
        event = event.actor(actor);
    }
    audit::store::insert(conn, &event)?;
    Ok(Ok(school))
}

/// The refusal of a URN another school holds. `holder` is its name, given
/// only to whoever may know of that school: a trust's administrator is not
/// told which school of another trust uses this safelog.
pub fn urn_taken(urn: &Urn, holder: Option<&str>) -> String {
    match holder {
        Some(name) => format!(
            "URN {} is already {name}'s: each school has its own",
            urn.as_str()
        ),
        None => format!(
            "URN {} is already another school's in safelog: each school has its own. Check the number on Get Information about Schools",
            urn.as_str()
        ),
    }
}

/// The school a command means: the one named (or whose URN is given), or
/// the only one. Two schools may share a name; their URNs tell them apart.
/// A refusal is the one line to print.
pub fn choose(
    conn: &mut AnyConnection,
    wanted: Option<&str>,
) -> Result<Result<School, String>, AppError> {
    let schools = store::all_schools(conn)?;
    let names = || {
        schools
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(w) = wanted.map(str::trim) else {
        return Ok(match schools.as_slice() {
            [] => Err("there is no school yet: create the first account with `safelog user add` or the setup link".into()),
            [only] => Ok(only.clone()),
            _ => Err(format!(
                "there are several schools; choose one with --school (its name or URN): {}",
                names()
            )),
        });
    };
    let matching: Vec<&School> = schools
        .iter()
        .filter(|s| s.name.trim().eq_ignore_ascii_case(w) || s.urn.as_deref() == Some(w))
        .collect();
    Ok(match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "there is no school named '{w}'; the schools are: {}",
            names()
        )),
        several => Err(format!(
            "several schools are named '{w}'; choose one by its URN with --school: {}",
            several
                .iter()
                .map(|s| s.urn.as_deref().unwrap_or("(no URN yet)"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    })
}

fn added(school: &School, trust: Option<&Trust>) -> String {
    let urn = school.urn.as_deref().unwrap_or_default();
    match trust {
        Some(t) => format!("Added {} (URN {urn}) to {}.", school.name, t.name),
        None => format!("Added {} (URN {urn}).", school.name),
    }
}

fn no_such_trust(conn: &mut AnyConnection, wanted: &str) -> Result<String, AppError> {
    let trusts = store::all_trusts(conn)?;
    let known = if trusts.is_empty() {
        "there are none yet".to_string()
    } else {
        format!(
            "the trusts are: {}",
            trusts
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok(format!(
        "there is no trust named '{}' ({known}); add it first with safelog trust add --name",
        wanted.trim()
    ))
}

/// Opens the database and runs `f` in one write transaction; a refusal
/// (`Ok(Err(message))`) and a failure both come back as the one line to print.
fn in_transaction<T>(
    config: &Config,
    f: impl FnOnce(&mut AnyConnection) -> Result<Result<T, String>, AppError>,
) -> Result<T, String> {
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    write_transaction(&mut conn, f).map_err(|e| e.message())?
}
