//! `safelog trust add` and `safelog school add`: a deployment that hosts
//! several schools (a trust, a local authority) adds them from a script.
//! A school is known by its DfE URN, six digits and unique; the name is
//! what people read, and two schools may share one.

use clap::Args;

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
    let name = name(&args.name, "the school's name")?;
    let urn = Urn::parse(&args.urn).map_err(|why| format!("--urn: {why}"))?;
    let now = Clock::system().now_naive();
    let (school, trust) = in_transaction(config, |conn| {
        if let Some(holder) = store::school_by_urn(conn, &urn)? {
            return Ok(Err(format!(
                "URN {} is already {}'s: each school has its own",
                urn.as_str(),
                holder.name
            )));
        }
        let trust = match args.trust.as_deref() {
            None => None,
            Some(wanted) => match store::trust_by_name(conn, wanted)? {
                Some(t) => Some(t),
                None => return Ok(Err(no_such_trust(conn, wanted)?)),
            },
        };
        let school = store::add_school(
            conn,
            &store::NewSchool {
                name: &name,
                urn: Some(&urn),
                trust_id: trust.as_ref().map(|t| t.id.as_str()),
            },
            now,
        )?;
        audit::store::insert(
            conn,
            &Event::new("school_created", now)
                .school(&school.id)
                .record("school", &school.id)
                .detail("command line"),
        )?;
        Ok(Ok((school, trust)))
    })?;
    println!("{}", added(&school, trust.as_ref()));
    Ok(())
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
