//! `safelog export FILE` and `safelog import log FILE`: the incident log as
//! CSV, out and in, from a script or a terminal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::export::{self, Audit, ExportError};
use super::import::{self, Earlier, ImportError, Options, Source, LISTED};
use super::store::Scope;
use crate::clock::Clock;
use crate::config::Config;
use crate::incidents::filters::Filters;
use crate::pupils::cli::pick_school;

#[derive(Debug, Args)]
pub struct Export {
    /// The CSV file to write (replaced whole, never left half-written).
    pub file: PathBuf,
    /// Only incidents on or after this date (dd/mm/yyyy or yyyy-mm-dd); an
    /// incident whose date is not known counts by the day it was logged.
    #[arg(long)]
    pub from: Option<String>,
    /// Only incidents on or before this date.
    #[arg(long)]
    pub to: Option<String>,
    /// The school's name or URN, when the database holds several.
    #[arg(long)]
    pub school: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportLog {
    /// The spreadsheet saved as CSV: Student Name, Tutor Group, Incident Date, Incident
    /// Details, Actions and Outcome, Staff Initials, LG Acknowledged, in any order.
    pub file: PathBuf,
    /// Check the file and say what would be imported, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The school's name or URN, when the database holds several.
    #[arg(long)]
    pub school: Option<String>,
}

fn date(flag: &str, value: Option<&str>) -> Result<Option<chrono::NaiveDate>, String> {
    match value {
        None => Ok(None),
        Some(v) => crate::forms::parse_date(v).map(Some).ok_or_else(|| {
            format!("{flag} '{v}' is not a date: write it as dd/mm/yyyy or yyyy-mm-dd")
        }),
    }
}

/// Everything not entered in error, of one school, to `args.file`.
pub fn export(config: &Config, args: &Export) -> Result<(), String> {
    let from = date("--from", args.from.as_deref())?;
    let to = date("--to", args.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err("--to is before --from".into());
        }
    }
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let school = {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        pick_school(&mut conn, args.school.as_deref())?
    };
    let scope = Scope {
        school_id: school.id.clone(),
        viewer: None,
        filters: Filters {
            from,
            to,
            ..Filters::default()
        },
    };
    let audit = Audit {
        actor: None,
        ip: None,
        via: "command line",
        at: Clock::system().now_naive(),
    };
    let rows = write_atomically(&args.file, |out| {
        export::run(&pool, &scope, &audit, out, &mut |_| {}).map_err(|e| match e {
            ExportError::Before(e) => e.message(),
            ExportError::During(cause) => format!("the export stopped part-way: {cause}"),
        })
    })?;
    println!(
        "Exported {rows} incident{} of {} to {}.",
        if rows == 1 { "" } else { "s" },
        school.name,
        args.file.display()
    );
    Ok(())
}

/// Writes through a temporary file beside `path`, renamed over it only
/// once complete: a reader never sees half an export. The file is readable
/// by its owner alone.
///
/// It is not synced to disk before the rename. An export is a copy, read
/// at once, of what the database keeps safe; forcing a gigabyte to disk
/// took longer than writing it. After a power cut in the seconds that
/// follow, the file may be short or empty (never another export's
/// rows): the audit trail's row count for it says so, and the export is
/// run again.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<T, String>,
) -> Result<T, String> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let temp = folder.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&temp)
        .map_err(|e| format!("cannot write in {}: {e}", folder.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let finish = |out: std::io::BufWriter<std::fs::File>| -> Result<(), String> {
        out.into_inner().map_err(|e| e.error().to_string())?;
        std::fs::rename(&temp, path).map_err(|e| e.to_string())
    };
    let result = write(&mut out).and_then(|value| finish(out).map(|()| value));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A progress bar on standard error, redrawn in place, when it is a
/// terminal and the file is large enough to wait for.
struct Progress {
    on: bool,
    shown: usize,
}

impl Progress {
    const WIDTH: usize = 30;

    fn new() -> Self {
        Self {
            on: std::io::stderr().is_terminal(),
            shown: usize::MAX,
        }
    }

    /// `done` of `total` bytes read, in each of the import's two passes.
    fn show(&mut self, done: u64, total: u64) {
        if !self.on || total < 64 * 1024 {
            return;
        }
        let percent = usize::try_from(done * 100 / total.max(1)).unwrap_or(100);
        if percent == self.shown {
            return;
        }
        self.shown = percent;
        let filled = (percent * Self::WIDTH / 100).min(Self::WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {percent:>3}%",
            "#".repeat(filled),
            " ".repeat(Self::WIDTH - filled)
        );
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.on && self.shown != usize::MAX {
            eprintln!();
        }
    }
}

/// The old spreadsheet into a school's log, or (with --dry-run) what that
/// would do.
pub fn import_log(config: &Config, args: &ImportLog) -> Result<(), String> {
    // Read as the import goes, twice (checked, then written): only opened here.
    std::fs::File::open(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let file_name = args.file.file_name().map_or_else(
        || "spreadsheet.csv".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let school = pick_school(&mut conn, args.school.as_deref())?;
    let clock = Clock::system();
    let opts = Options {
        school_id: &school.id,
        file_name: &file_name,
        dry_run: args.dry_run,
        actor: None,
        ip: None,
        via: "command line",
    };
    let mut bar = Progress::new();
    let result = import::run(
        &mut conn,
        Source::File(&args.file),
        &opts,
        clock.now_naive(),
        clock.today(),
        &mut |done, total| bar.show(done, total),
    );
    bar.finish();
    let report = result.map_err(|e| match e {
        ImportError::File(e) => format!("nothing was imported: {e}"),
        ImportError::App(e) => e.message(),
    })?;
    if !report.problems.is_empty() {
        let lines: Vec<String> = report
            .problems
            .iter()
            .map(|p| format!("line {}, {}: {}", p.line, p.column, p.message))
            .collect();
        return Err(format!(
            "nothing was imported; correct the file and run the command again:\n  {}",
            lines.join("\n  ")
        ));
    }
    for note in &report.notes {
        println!("Note: {note}");
    }
    for r in &report.repeated {
        match &r.earlier {
            Earlier::Line(first) => println!("Line {}: the same as line {first}; skipped.", r.line),
            Earlier::Imported(reference) => {
                println!("Line {}: imported before as {reference}; skipped.", r.line)
            }
            Earlier::InLog(reference) => {
                println!(
                    "Line {}: already in the log as {reference}; skipped.",
                    r.line
                )
            }
        }
    }
    if report.dry_run {
        for p in &report.created {
            println!(
                "Line {}: would create an incident for {} ({}{}), {}, {}, {}{}.",
                p.line,
                p.pupil_name,
                p.tutor_group,
                if p.new_pupil { ", new pupil" } else { "" },
                p.incident_date.map_or_else(
                    || "date not known".into(),
                    |d| d.format("%d/%m/%Y").to_string()
                ),
                p.category,
                if p.history {
                    "closed as history"
                } else {
                    p.status.label()
                },
                if p.acknowledged {
                    ", acknowledged (as imported)"
                } else {
                    ""
                },
            );
        }
        if report.tally.created > report.created.len() {
            println!(
                "... and {} more (the first {LISTED} are listed).",
                report.tally.created - report.created.len()
            );
        }
        println!(
            "Dry run: nothing was imported. Importing {file_name} into {} would create {} incident(s) and {} new pupil record(s); {} row(s) already imported would be skipped.",
            school.name,
            report.tally.created,
            report.new_pupils,
            report.repeated.len()
        );
    } else {
        println!(
            "Imported {} incident(s) from {file_name} into {} ({} new pupil record(s); {} row(s) already imported were skipped).",
            report.tally.created,
            school.name,
            report.new_pupils,
            report.repeated.len()
        );
    }
    for said in report.arrival() {
        println!("{said}");
    }
    Ok(())
}
