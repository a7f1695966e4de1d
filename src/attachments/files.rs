//! The attachments' bytes in the data folder, each under its SHA-256
//! (`attachments/ab/abcdef…`), so the same file is kept once and its name on
//! disk is its own integrity check. A file is written to a temporary name
//! beside its final one, flushed to disk, renamed into place and the folder
//! flushed too, so a crash leaves either the whole file or none; it is made
//! readable by the service's own user alone (mode 0600).

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Where the attachments live under the data folder.
pub fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("attachments")
}

/// Whether `hash` is a SHA-256 as hex: the only names ever joined to the
/// folder, so no stored value can reach outside it.
fn well_formed(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The path of the file with this hash; None for anything not a hash.
pub fn path_of(data_dir: &Path, hash: &str) -> Option<PathBuf> {
    well_formed(hash).then(|| root(data_dir).join(&hash[..2]).join(hash))
}

/// The SHA-256 of `bytes`, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps `bytes` under their hash; returns the hash.
pub fn store(data_dir: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let hash = sha256_hex(bytes);
    let path = path_of(data_dir, &hash)
        .ok_or_else(|| std::io::Error::other("a SHA-256 is always well formed"))?;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("an attachment's path has a folder"))?;
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".{hash}.{}.part", uuid::Uuid::new_v4().simple()));
    let written =
        crate::private_file::write_new(&temp, bytes).and_then(|()| std::fs::rename(&temp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // The rename is durable only once the folder holding it is flushed.
    std::fs::File::open(dir)?.sync_all()?;
    Ok(hash)
}

/// What the file on disk says against the hash recorded for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrity {
    /// The file's bytes still hash to the recorded SHA-256.
    Intact,
    /// The file is there but its bytes no longer match: it was changed.
    Changed,
    /// No file under that hash.
    Missing,
}

impl Integrity {
    pub fn as_str(self) -> &'static str {
        match self {
            Integrity::Intact => "intact",
            Integrity::Changed => "changed",
            Integrity::Missing => "missing",
        }
    }
}

/// Hashes the file kept for `hash` again, reading it in pieces.
pub fn check(data_dir: &Path, hash: &str) -> Integrity {
    let Some(path) = path_of(data_dir, hash) else {
        return Integrity::Missing;
    };
    let Ok(mut f) = std::fs::File::open(path) else {
        return Integrity::Missing;
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(_) => return Integrity::Missing,
        }
    }
    if hex(&hasher.finalize()) == hash {
        Integrity::Intact
    } else {
        Integrity::Changed
    }
}

/// The bytes kept for `hash`, only if they still match it: a changed file
/// is never served as the evidence it replaced.
pub fn read(data_dir: &Path, hash: &str) -> Result<Vec<u8>, Integrity> {
    let path = path_of(data_dir, hash).ok_or(Integrity::Missing)?;
    let bytes = std::fs::read(path).map_err(|_| Integrity::Missing)?;
    if sha256_hex(&bytes) == hash {
        Ok(bytes)
    } else {
        Err(Integrity::Changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_kept_private_under_its_hash_and_a_change_is_seen() {
        let dir = std::env::temp_dir().join(format!("safelog-files-{}", uuid::Uuid::new_v4()));
        let hash = store(&dir, b"a letter from the parent").unwrap();
        assert_eq!(hash, sha256_hex(b"a letter from the parent"));
        let path = path_of(&dir, &hash).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(check(&dir, &hash), Integrity::Intact);
        // The same content again is the same file.
        assert_eq!(store(&dir, b"a letter from the parent").unwrap(), hash);
        std::fs::write(&path, b"a different letter").unwrap();
        assert_eq!(check(&dir, &hash), Integrity::Changed);
        assert_eq!(read(&dir, &hash), Err(Integrity::Changed));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(check(&dir, &hash), Integrity::Missing);
        assert!(path_of(&dir, "../../etc/passwd").is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
