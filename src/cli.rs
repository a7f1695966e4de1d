//! The command line: `safelog [serve]`, `safelog migrate`, and the
//! subcommands later features add (`user`, `trust`, `school`, `import`...). Each failure is one line on stderr and a
//! non-zero exit, never a backtrace.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::clock::Clock;
use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "safelog",
    version,
    about = "Online-safety incident log and case tracker for schools",
    long_about = "Online-safety incident log and case tracker for schools.\n\n\
        With no subcommand, safelog serves the web application (the same as `safelog serve`).\n\
        Every setting can be given as a flag or as the SAFELOG_* environment variable shown."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (the default): migrates the database, then listens on SAFELOG_BIND.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts from a script.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Add the trusts a deployment's schools belong to.
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// Add schools to a deployment that holds several.
    School {
        #[command(subcommand)]
        command: SchoolCommand,
    },
    /// Import data from files: the pupil list, the old incident-log spreadsheet, or a pupil's
    /// child protection file from another system.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export the school's incident log as CSV, for an audit.
    ///
    /// Every incident not entered in error, restricted categories included (this is an
    /// administrator's export), with the policy spreadsheet's seven columns first and
    /// safelog's own after them. UTF-8 with a byte-order mark, CRLF line ends. Recorded in
    /// the audit trail.
    Export(crate::exports::cli::Export),
    /// Copy the running SQLite database to FILE: consistent, checked, owner-only (0600).
    ///
    /// On PostgreSQL, says to use pg_dump and gives the command.
    Backup(crate::backup::Backup),
    /// Bring back a backup into an empty data folder; never overwrites a database.
    Restore(crate::backup::Restore),
    /// Pupils from the school's MIS: the nightly drop folder (SAFELOG_PUPIL_DROP).
    Pupils {
        #[command(subcommand)]
        command: PupilsCommand,
    },
    /// Sign-in with OpenID Connect (Microsoft Entra ID, Google Workspace, any standard issuer),
    /// and turning a school's password sign-in on or off.
    Sso {
        #[command(subcommand)]
        command: crate::sso::cli::SsoCommand,
    },
    /// Filtering and monitoring alerts: the ingestion keys monitoring tools post with.
    Monitoring {
        #[command(subcommand)]
        command: MonitoringCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PupilsCommand {
    /// The nightly pupil drop folder.
    Drop {
        #[command(subcommand)]
        command: DropCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DropCommand {
    /// Import each school's newest file in SAFELOG_PUPIL_DROP/<URN>/ if it is new: what the
    /// server does every five minutes. Pupils the file no longer names are marked as left
    /// (never deleted); a file that would mark more than a third of the roll as left is
    /// refused as a partial export. Exits non-zero when a file was refused.
    Run(crate::pupils::cli::DropRunArgs),
}

#[derive(Debug, Subcommand)]
pub enum MonitoringCommand {
    /// Add or revoke a monitoring tool's ingestion key.
    Key {
        #[command(subcommand)]
        command: crate::monitoring::cli::KeyCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import or update the school's pupils from a CSV file.
    ///
    /// Columns (header case and spaces ignored, any order): Name, Tutor group, Year group,
    /// Date of birth (dd/mm/yyyy or yyyy-mm-dd), and optionally UPN, or the MIS and Wonde
    /// names (mis_id, upn, legal_forename, legal_surname, registration_group, year_group,
    /// date_of_birth, child_identifier, nhs_number...). Importing again moves pupils to their
    /// new tutor groups and never duplicates them. All or nothing; --dry-run shows the
    /// column mapping and every unreadable row, changing nothing.
    Pupils(crate::pupils::cli::ImportPupils),
    /// Import the old online-safety incident log spreadsheet, saved as CSV.
    ///
    /// The seven columns in any order (header case and spaces ignored), dates as dd/mm/yyyy,
    /// yyyy-mm-dd or blank, LG Acknowledged as TRUE/FALSE or yes/no. A safelog export's own
    /// columns (Category, Status, Child at Risk, Where, Platform, Reference) are used when
    /// present. Every problem is listed by line and column; all or nothing; rows imported
    /// before are skipped.
    Log(crate::exports::cli::ImportLog),
    /// Take in a pupil's child protection file from another system: a signed transfer package.
    ///
    /// The package's Ed25519 signatures are checked (any changed byte is refused), then that it
    /// is for this school's URN and not received before. It arrives as received history, opened
    /// and its receipt confirmed, linked to the pupil with its UPN, or its name and date of birth,
    /// or a new pupil record. Refused with the reason, storing nothing.
    Transfer(crate::transfers::cli::ImportTransfer),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (and the school, when there is none yet), or give an existing
    /// account roles at another school.
    ///
    /// Example: echo "$PASSWORD" | safelog user add --email dsl@school.org.uk --name "Mo Ali" --initials MAL --role dsl --role staff --password-stdin
    ///
    /// When the email already has an account, it gains the roles at --school and keeps its
    /// name, initials and password (one person, one account).
    Add(crate::accounts::cli::AddUser),
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Add a trust. Example: safelog trust add --name "Oak Learning Trust"
    Add(crate::accounts::schools::AddTrust),
}

#[derive(Debug, Subcommand)]
pub enum SchoolCommand {
    /// Add a school, with its DfE URN (six digits, unique) and optionally its trust.
    ///
    /// Example: safelog school add --name "Oak Primary" --urn 123456 --trust "Oak Learning Trust"
    Add(crate::accounts::schools::AddSchool),
}

/// Parses the command line and runs it; what `main` returns.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A bad setting (SAFELOG_TRUSTED_PROXIES, SAFELOG_BIND...) is one
        // line that says what to write, like every other failure to start.
        Err(e) if e.kind() == clap::error::ErrorKind::ValueValidation => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            eprintln!("safelog: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    crate::telemetry::init();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config),
        Command::Migrate => migrate(&cli.config),
        Command::User {
            command: UserCommand::Add(args),
        } => crate::accounts::cli::add_user(&cli.config, &args),
        Command::Trust {
            command: TrustCommand::Add(args),
        } => crate::accounts::schools::add_trust(&cli.config, &args),
        Command::School {
            command: SchoolCommand::Add(args),
        } => crate::accounts::schools::add_school(&cli.config, &args),
        Command::Import {
            command: ImportCommand::Pupils(args),
        } => crate::pupils::cli::run(&cli.config, &args),
        Command::Import {
            command: ImportCommand::Log(args),
        } => crate::exports::cli::import_log(&cli.config, &args),
        Command::Import {
            command: ImportCommand::Transfer(args),
        } => crate::transfers::cli::import(&cli.config, &args),
        Command::Export(args) => crate::exports::cli::export(&cli.config, &args),
        Command::Backup(args) => crate::backup::backup(&cli.config, &args),
        Command::Restore(args) => crate::backup::restore(&cli.config, &args),
        Command::Pupils {
            command:
                PupilsCommand::Drop {
                    command: DropCommand::Run(args),
                },
        } => crate::pupils::cli::drop_run(&cli.config, &args),
        Command::Sso { command } => crate::sso::cli::run(&cli.config, &command),
        Command::Monitoring {
            command: MonitoringCommand::Key { command },
        } => crate::monitoring::cli::run(&cli.config, &command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("safelog: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let base = config.base_url();
        let clock = Clock::system();
        let app = Application::build(config.clone(), clock.clone()).map_err(|e| e.to_string())?;
        announce_setup(&config, &clock);
        tracing::info!(port = app.port(), "safelog is listening; open {base}");
        app.run_until_stopped().await.map_err(|e| e.to_string())?;
        tracing::info!("safelog stopped");
        Ok(())
    })
}

/// On a database with no accounts, prints the one-time setup link on
/// standard output (not the log: it is a secret).
fn announce_setup(config: &Config, clock: &Clock) {
    let link = crate::db::connect(&config.database_url)
        .map_err(|e| e.to_string())
        .and_then(|pool| {
            crate::auth::setup::setup_link_if_empty(&pool, clock, &config.base_url())
                .map_err(|e| e.to_string())
        });
    match link {
        Ok(Some(url)) => println!(
            "\nNo accounts yet. To set up safelog, open this link within 24 hours (it works once):\n\n    {url}\n\n\
             Or create the first administrator from a script: safelog user add --help\n"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not make a setup link"),
    }
}

fn migrate(config: &Config) -> Result<(), String> {
    let pool = crate::db::connect(&config.database_url).map_err(|e| e.to_string())?;
    let applied = crate::db::migrate(&pool).map_err(|e| e.to_string())?;
    match applied {
        0 => println!("The database is up to date; no migration to apply."),
        n => println!("Applied {n} migration(s); the database is up to date."),
    }
    Ok(())
}
