//! Writing a new file that only the service's own user may read (mode
//! 0600 on Unix): token secrets and attachments. Beneath every feature.

use std::io::Write;
use std::path::Path;

/// Creates `path` (refusing one that exists), writes `bytes` and flushes
/// them to disk before returning.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
