//! `safelog monitoring key add --school S --source NAME` (prints the key
//! once) and `safelog monitoring key revoke --school S --source NAME`.

use clap::{Args, Subcommand};

use super::keys::{self, Which};
use crate::clock::Clock;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make an ingestion key for a monitoring tool; the key is printed once and never shown again.
    ///
    /// Example: safelog monitoring key add --school "Oak Primary" --source Smoothwall
    Add(KeyArgs),
    /// Revoke a source's ingestion key: the tool's posts are refused (401) from then on.
    Revoke(KeyArgs),
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The school's name or URN (needed when the database holds several).
    #[arg(long)]
    pub school: Option<String>,
    /// The monitoring tool the key is for, for example Smoothwall or Senso.
    #[arg(long)]
    pub source: String,
}

pub fn run(config: &Config, command: &KeyCommand) -> Result<(), String> {
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = Clock::system().now_naive();
    match command {
        KeyCommand::Add(args) => {
            let school = crate::accounts::schools::choose(&mut conn, args.school.as_deref())
                .map_err(|e| e.message())??;
            let made = keys::create(
                &mut conn,
                &school.id,
                &args.source,
                None,
                "command line",
                now,
            )
            .map_err(|e| e.message())?;
            match made {
                Ok(key) => {
                    // Standard output, not the log: it is a secret.
                    println!(
                        "Ingestion key for {} at {} (shown once; give it to the tool as Authorization: Bearer KEY):\n{key}",
                        args.source.trim(),
                        school.name
                    );
                    Ok(())
                }
                Err(errors) => Err(errors
                    .iter()
                    .map(|(_, m)| m.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")),
            }
        }
        KeyCommand::Revoke(args) => {
            let school = crate::accounts::schools::choose(&mut conn, args.school.as_deref())
                .map_err(|e| e.message())??;
            let done = keys::revoke(
                &mut conn,
                &school.id,
                Which::Source(&args.source),
                None,
                "command line",
                now,
            )
            .map_err(|e| e.message())?;
            if done {
                println!("Revoked the {} key of {}.", args.source.trim(), school.name);
                Ok(())
            } else {
                Err(format!(
                    "{} has no live key for '{}'",
                    school.name,
                    args.source.trim()
                ))
            }
        }
    }
}
