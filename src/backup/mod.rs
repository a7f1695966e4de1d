//! `safelog backup FILE` and `safelog restore FILE`, for a school running
//! on SQLite: a consistent copy of the live database, taken while the
//! service keeps running, checked, and put in place whole; and the way
//! back into an empty data folder, never over a database that is there.
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`); on PostgreSQL
//! both commands say so and give the command to use.
//!
//! Files attached to incidents live in the data folder, not the database,
//! so a backup copies the ones its records attach into a folder beside it
//! (`FILE.files`), each checked against its SHA-256, and a restore brings
//! them back: a backup without its evidence would restore records whose
//! files are "missing".

mod store;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::attachments::files;
use crate::config::Config;
use crate::db::Target;

#[derive(Debug, clap::Args)]
pub struct Backup {
    /// Where to write the copy. Replaced only once the copy is complete and checked.
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct Restore {
    /// A file written by `safelog backup`.
    pub file: PathBuf,
}

/// The SQLite file the configuration names, or what to do on PostgreSQL.
fn sqlite_file(config: &Config, instead: &str) -> Result<PathBuf, String> {
    match Target::parse(&config.database_url).map_err(|e| e.to_string())? {
        Target::Sqlite(path) => Ok(path),
        Target::Postgres(_) => Err(instead.to_string()),
    }
}

pub fn backup(config: &Config, args: &Backup) -> Result<(), String> {
    let file = args.file.display();
    let database = sqlite_file(
        config,
        &format!(
            "safelog backup copies a SQLite database, and this one is PostgreSQL: use pg_dump instead, \
             pg_dump --format=custom --file={file} \"$SAFELOG_DATABASE_URL\" (the README's Backups section says how to restore it)"
        ),
    )?;
    if !database.is_file() {
        return Err(format!(
            "there is no database at {}: check SAFELOG_DATABASE_URL",
            database.display()
        ));
    }
    let temp = beside(&args.file)?;
    let copied = (|| -> Result<(i64, Vec<String>), String> {
        let mut live = store::open(&database)?;
        store::vacuum_into(&mut live, &temp.to_string_lossy())
            .map_err(|e| format!("cannot copy the database: {e}"))?;
        drop(live);
        let incidents = check(&temp)?;
        let hashes = store::attachment_hashes(&mut store::open(&temp)?)
            .map_err(|e| format!("cannot list the attached files: {e}"))?;
        Ok((incidents, hashes))
    })();
    let (incidents, hashes) = copied.inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })?;
    // The files first: a backup in place at FILE always has its files.
    let data_dir = crate::auth::tokens::data_dir(config);
    let folder = files_beside(&args.file);
    let (copied, unusable) = copy_files(&hashes, &data_dir, &folder).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })?;
    put_in_place(&temp, &args.file, Place::Replace)?;
    if !unusable.is_empty() {
        return Err(format!(
            "{file} is written ({incidents} incident(s)), but {} attached file(s) could not be copied because they are missing or changed in {}: {}. Bring them back from an earlier backup's .files folder",
            unusable.len(),
            files::root(&data_dir).display(),
            unusable.join(", ")
        ));
    }
    println!(
        "Backed up {} to {file}: {incidents} incident(s), integrity check ok, readable by its owner only; {copied} attached file(s) in {}. Keep the two together.",
        database.display(),
        folder.display()
    );
    Ok(())
}

/// The folder beside a backup that holds the files its records attach.
fn files_beside(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".files");
    file.with_file_name(name)
}

/// Copies the files with these hashes from the data folder into a new
/// folder, checked against their hashes, and puts it in place of `folder`
/// (an older backup's under the same name) once complete. Returns how many
/// were copied and the hashes that were missing or changed.
fn copy_files(
    hashes: &[String],
    data_dir: &Path,
    folder: &Path,
) -> Result<(usize, Vec<String>), String> {
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", folder.display());
    if hashes.is_empty() {
        // No folder for a database without files; an older backup's of the
        // same name would not belong to this one.
        let _ = std::fs::remove_dir_all(folder);
        return Ok((0, Vec::new()));
    }
    let temp = folder.with_file_name(format!(
        ".{}.{}.part",
        folder.file_name().unwrap_or_default().to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    ));
    private_folder(&temp).map_err(cannot)?;
    let mut unusable = Vec::new();
    let mut copied = 0;
    for hash in hashes {
        match files::read(data_dir, hash) {
            Ok(bytes) => {
                files::store(&temp, &bytes).map_err(cannot)?;
                copied += 1;
            }
            Err(found) => unusable.push(format!("{hash} ({})", found.as_str())),
        }
    }
    // Swapped in whole: the old folder is moved aside, then removed.
    let old = temp.with_extension("old");
    let had_old = std::fs::rename(folder, &old).is_ok();
    std::fs::rename(&temp, folder).map_err(cannot)?;
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok((copied, unusable))
}

/// Makes a folder readable by its owner alone.
fn private_folder(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Brings back the files a restored database's records attach from the
/// backup's `.files` folder into the data folder; returns how many were
/// brought back and the hashes that were not there whole.
fn restore_files(
    database: &Path,
    backup: &Path,
    data_dir: &Path,
) -> Result<(usize, Vec<String>), String> {
    let hashes = store::attachment_hashes(&mut store::open(database)?)
        .map_err(|e| format!("cannot list the attached files: {e}"))?;
    let folder = files_beside(backup);
    let mut unusable = Vec::new();
    let mut restored = 0;
    for hash in &hashes {
        if files::check(data_dir, hash) == files::Integrity::Intact {
            restored += 1;
            continue;
        }
        match files::read(&folder, hash) {
            Ok(bytes) => {
                files::store(data_dir, &bytes).map_err(|e| {
                    format!("cannot write {}: {e}", files::root(data_dir).display())
                })?;
                restored += 1;
            }
            Err(found) => unusable.push(format!("{hash} ({})", found.as_str())),
        }
    }
    Ok((restored, unusable))
}

pub fn restore(config: &Config, args: &Restore) -> Result<(), String> {
    let file = args.file.display();
    let database = sqlite_file(
        config,
        &format!(
            "safelog restore brings back a SQLite backup, and this database is PostgreSQL: use pg_restore instead, \
             pg_restore --dbname=\"$SAFELOG_DATABASE_URL\" --no-owner {file} into an empty database"
        ),
    )?;
    let taken = ["", "-wal", "-shm", "-journal"].iter().any(|suffix| {
        let mut name = database.clone().into_os_string();
        name.push(suffix);
        Path::new(&name).exists()
    });
    if taken {
        return Err(format!(
            "{} already exists, and restore never overwrites a database: stop safelog and move it (with any -wal and -shm files beside it) away first, or set SAFELOG_DATABASE_URL to a new file",
            database.display()
        ));
    }
    if !args.file.is_file() {
        return Err(format!("there is no backup at {file}"));
    }
    if let Some(folder) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot make the data folder {}: {e}", folder.display()))?;
    }
    let temp = beside(&database)?;
    let restored = (|| -> Result<i64, String> {
        let mut from = File::open(&args.file).map_err(|e| format!("cannot read {file}: {e}"))?;
        let mut to = OpenOptions::new()
            .write(true)
            .open(&temp)
            .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        std::io::copy(&mut from, &mut to).map_err(|e| format!("cannot copy {file}: {e}"))?;
        drop(to);
        let incidents = check(&temp).map_err(|e| format!("{file} cannot be restored: {e}"))?;
        put_in_place(&temp, &database, Place::New)?;
        Ok(incidents)
    })();
    let incidents = restored.inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })?;
    let data_dir = crate::auth::tokens::data_dir(config);
    let (brought, unusable) = restore_files(&database, &args.file, &data_dir)?;
    if !unusable.is_empty() {
        return Err(format!(
            "{file} is restored to {} ({incidents} incident(s)), but {} attached file(s) were not whole in {}: {}; their records show them as missing until they are copied into {}",
            database.display(),
            unusable.len(),
            files_beside(&args.file).display(),
            unusable.join(", "),
            files::root(&data_dir).display()
        ));
    }
    println!(
        "Restored {file} to {}: {incidents} incident(s), integrity check ok; {brought} attached file(s) in {}. Start safelog as usual; it applies any newer migrations at start.",
        database.display(),
        files::root(&data_dir).display()
    );
    Ok(())
}

/// A new, empty file beside `path`, readable by its owner alone from the
/// first byte (SQLite keeps the mode of an empty file it writes into).
fn beside(path: &Path) -> Result<PathBuf, String> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let temp = folder.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&temp)
        .map_err(|e| format!("cannot write in {}: {e}", folder.display()))?;
    Ok(temp)
}

/// Checks a copy with SQLite's integrity check, makes it one file, and
/// says how many incidents it holds.
fn check(copy: &Path) -> Result<i64, String> {
    let mut conn = store::open(copy)?;
    store::single_file(&mut conn).map_err(|e| format!("not a database ({e})"))?;
    match store::integrity_check(&mut conn).map_err(|e| format!("not a database ({e})"))? {
        Ok(()) => {}
        Err(found) => return Err(format!("it fails SQLite's integrity check ({found})")),
    }
    store::incidents(&mut conn).map_err(|e| format!("not a safelog database ({e})"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A backup replaces an older one at its name.
    Replace,
    /// A restore never replaces a database that appeared meanwhile.
    New,
}

/// Moves a finished, checked file to its name, on disk before and after.
fn put_in_place(temp: &Path, path: &Path, place: Place) -> Result<(), String> {
    File::open(temp)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
    match place {
        Place::Replace => std::fs::rename(temp, path),
        // A hard link fails if the name is taken; rename would replace it.
        Place::New => std::fs::hard_link(temp, path).and_then(|()| std::fs::remove_file(temp)),
    }
    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(dir) = File::open(folder) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}
