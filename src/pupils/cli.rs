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
    /// The CSV file: Name, Tutor group, Year group, Date of birth, optional UPN.
    pub file: PathBuf,
    /// The school's name or URN, when the database holds several.
    #[arg(long)]
    pub school: Option<String>,
}

pub fn run(config: &Config, args: &ImportPupils) -> Result<(), String> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let rows = import::parse(&bytes).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!(
            "nothing was imported; correct the file and run the command again:\n  {}",
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
