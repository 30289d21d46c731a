//! Small filesystem helpers shared by the baseline, the cache and the spill file.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Fills `buf` from `file` at `offset`, without moving a shared cursor: threads read one open
/// file side by side with no lock and no seek.
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut done, mut at) = (0, offset);
        while done < buf.len() {
            match std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], at)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => (done, at) = (done + n, at + n as u64),
            }
        }
        Ok(())
    }
}

/// Writes all of `bytes` to `file` at `offset`, without moving a shared cursor (see
/// [`read_exact_at`]).
pub fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
    }
    #[cfg(windows)]
    {
        let (mut done, mut at) = (0, offset);
        while done < bytes.len() {
            match std::os::windows::fs::FileExt::seek_write(file, &bytes[done..], at)? {
                0 => return Err(std::io::ErrorKind::WriteZero.into()),
                n => (done, at) = (done + n, at + n as u64),
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed, then
/// renamed over `path`. Readers see the old content or the new, never a mix; concurrent writers
/// each rename a complete file, and the last one wins.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_parts(path, &[bytes])
}

/// [`write_atomically`] of the concatenation of `parts`, without concatenating them in memory.
pub fn write_atomically_parts(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".async-lint-tmp")
        .tempfile_in(dir)?;
    for part in parts {
        tmp.write_all(part)?;
    }
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `text` to `root/rel`, making its directories (tests build fixture trees with it).
#[cfg(test)]
pub fn write_under(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a relative path under root")).unwrap();
    std::fs::write(p, text).unwrap();
}
