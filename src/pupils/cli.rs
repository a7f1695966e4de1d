//! `safelog import pupils FILE`: the school's pupil list from a script.

use std::path::PathBuf;

use clap::Args;

use super::import;
use crate::accounts::model::School;
use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::dialect::write_transaction;
use crate::error::AppError;

#[derive(Debug, Args)]
pub struct ImportPupils {
    /// The CSV file: Name (or first name and surname), Tutor group, Year group, Date of
    /// birth, optional UPN, MIS id, child identifier and NHS number.
    pub file: PathBuf,
    /// The school's name or URN, when the database holds several.
    #[arg(long)]
    pub school: Option<String>,
    /// Change nothing: print which column became which field, every row that cannot be
    /// read, and what the import would do.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

/// The dry run's report: the mapping, then the rows that cannot be read.
pub fn mapping_lines(parsed: &import::Parsed) -> Vec<String> {
    parsed
        .mapping
        .iter()
        .map(import::MappedColumn::describe)
        .collect()
}

pub fn run(config: &Config, args: &ImportPupils) -> Result<(), String> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    if args.dry_run {
        return dry_run(config, args, &bytes);
    }
    let rows = import::parse(&bytes).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!(
            "nothing was imported; correct the file and run the command again (--dry-run shows how its columns were read):\n  {}",
            lines.join("\n  ")
        )
    })?;
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = Clock::system().now_naive();
    let school = pick_school(&mut conn, args.school.as_deref())?;
    let summary = write_transaction(&mut conn, |conn| {
        let summary = import::apply(conn, &school.id, &rows, now)?;
        audit::store::insert(
            conn,
            &Event::new("pupils_imported", now)
                .school(&school.id)
                .detail(format!("{}; command line", summary.describe())),
        )?;
        Ok::<_, AppError>(summary)
    })
    .map_err(|e| e.message())?;
    println!(
        "Imported {} rows into {}: {}.",
        rows.len(),
        school.name,
        summary.describe()
    );
    Ok(())
}

/// The school named (or whose URN is given), or the only one.
pub(crate) fn pick_school(
    conn: &mut crate::db::AnyConnection,
    wanted: Option<&str>,
) -> Result<School, String> {
    crate::accounts::schools::choose(conn, wanted).map_err(|e| e.message())?
}

/// `--dry-run`: reads the file and says what it made of it; nothing changes.
fn dry_run(config: &Config, args: &ImportPupils, bytes: &[u8]) -> Result<(), String> {
    let parsed = match import::read(bytes) {
        Ok(p) => p,
        Err(problem) => return Err(format!("the file cannot be imported: {problem}")),
    };
    println!("Dry run: nothing was changed.");
    println!("Columns:");
    for line in mapping_lines(&parsed) {
        println!("  {line}");
    }
    println!(
        "{} row{} can be read.",
        parsed.rows.len(),
        if parsed.rows.len() == 1 { "" } else { "s" }
    );
    if parsed.problems.is_empty() {
        println!("Every row can be read.");
    } else {
        println!("Rows that cannot be read (fix these, then import):");
        for p in &parsed.problems {
            println!("  {p}");
        }
    }
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let school = pick_school(&mut conn, args.school.as_deref())?;
    let now = Clock::system().now_naive();
    let would =
        import::would_apply(&mut conn, &school.id, &parsed.rows, now).map_err(|e| e.message())?;
    println!(
        "Importing it into {} would do: {}.",
        school.name,
        would.describe()
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct DropRunArgs {
    /// Only this school (its name or URN); else every school with a URN.
    #[arg(long)]
    pub school: Option<String>,
    /// Import the newest file even if it would mark more than a third of the roll as left
    /// (after checking the MIS export is whole), even if it was refused before.
    #[arg(long = "accept-leavers")]
    pub accept_leavers: bool,
}

/// `safelog pupils drop run`: what the server does every few minutes, now.
pub fn drop_run(config: &Config, args: &DropRunArgs) -> Result<(), String> {
    let root = config.pupil_drop.clone().ok_or_else(|| {
        "SAFELOG_PUPIL_DROP is not set: set it to the folder the MIS writes to (a subfolder per school named by its URN)".to_string()
    })?;
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = Clock::system().now_naive();
    let schools = match &args.school {
        Some(_) => vec![pick_school(&mut conn, args.school.as_deref())?],
        None => crate::accounts::store::all_schools(&mut conn)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|s| s.urn.is_some())
            .collect(),
    };
    if schools.is_empty() {
        return Err(
            "no school has a URN: set each school's URN (its drop folder's name) first".into(),
        );
    }
    let mut failed = false;
    for school in schools {
        let Some(dir) = super::drop::folder_for(&root, &school) else {
            println!("{}: no URN, so no drop folder", school.name);
            continue;
        };
        match super::drop::run_school(&mut conn, &root, &school, now, args.accept_leavers) {
            Ok(outcome) => {
                failed |= matches!(outcome, super::drop::Outcome::Refused { .. });
                println!(
                    "{} ({}): {}",
                    school.name,
                    dir.display(),
                    outcome.describe()
                );
            }
            Err(e) => {
                failed = true;
                println!("{} ({}): {}", school.name, dir.display(), e.message());
            }
        }
    }
    if failed {
        Err("a drop file was refused or could not be read (see above)".into())
    } else {
        Ok(())
    }
}
