//! `safelog import transfer FILE --school S`: a package from another
//! system, taken in from the server's command line (by its administrator,
//! who holds no account: the file is recorded as opened and its receipt
//! confirmed by the command line).

use std::path::PathBuf;

use clap::Args;

use super::flow::{self, Actor};
use crate::clock::Clock;
use crate::config::Config;
use crate::pupils::cli::pick_school;

#[derive(Debug, Args)]
pub struct ImportTransfer {
    /// The package (.json) the sending school's system made.
    pub file: PathBuf,
    /// The receiving school's name or URN, when the database holds several.
    #[arg(long)]
    pub school: Option<String>,
    /// The sending deployment's key fingerprint, as they gave it to you: the
    /// package must be signed with that key.
    #[arg(long)]
    pub key: Option<String>,
}

pub fn import(config: &Config, args: &ImportTransfer) -> Result<(), String> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let school = pick_school(&mut conn, args.school.as_deref())?;
    let now = Clock::system().now_naive();
    let outcome = flow::take_in(
        &mut conn,
        &bytes,
        &school,
        args.key.as_deref(),
        &Actor {
            user_id: None,
            name: "the command line",
            initials: "",
            ip: None,
        },
        now,
    )
    .map_err(|e| e.message())?;
    match outcome {
        // No pupil's name: this line can end up in a log.
        Ok(done) => {
            println!(
                "Imported a child protection file from {} into {}: {} incident{}, linked to {}. Its receipt is confirmed; open it at /transfers/{}.",
                done.from,
                school.name,
                done.incidents,
                if done.incidents == 1 { "" } else { "s" },
                if done.existing_pupil {
                    "a pupil already on record"
                } else {
                    "a new pupil record"
                },
                done.transfer_id
            );
            Ok(())
        }
        Err(message) => Err(format!("refused: {message}")),
    }
}
