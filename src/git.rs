//! `--changed-since REV`: the files git says changed since a revision, through the git CLI.
//!
//! Changed means: differs between REV and the working tree (`git diff --name-only REV`, which
//! covers committed, staged and unstaged changes), or is untracked and not ignored
//! (`git ls-files --others --exclude-standard`). Both are asked with paths relative to the
//! repository root, which are then made absolute, so running from a subdirectory works.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the changed files could not be listed (a usage error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| GitError(format!("--changed-since needs the git CLI: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(GitError(format!(
            "`git {}` failed: {}",
            args.join(" "),
            stderr.trim()
        )));
    }
    Ok(out.stdout)
}

fn nul_separated(bytes: &[u8]) -> impl Iterator<Item = &str> {
    bytes
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .filter_map(|s| std::str::from_utf8(s).ok())
}

/// Absolute, canonical paths of the files changed since `rev` in the repository containing `dir`.
pub fn changed_since(dir: &Path, rev: &str) -> Result<HashSet<PathBuf>, GitError> {
    let top = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .map_err(|e| GitError(format!("--changed-since needs the git CLI: {e}")))?;
    if !top.status.success() {
        return Err(GitError(format!(
            "--changed-since: {} is not inside a git repository",
            dir.display()
        )));
    }
    let root = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim_end_matches(['\n', '\r']));
    let root = root.canonicalize().unwrap_or(root);
    if rev.starts_with('-') {
        return Err(GitError(format!(
            "--changed-since: `{rev}` is not a revision"
        )));
    }
    // Verify the revision first so a typo gets a clear message, not a diff usage dump.
    git(
        &root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| GitError(format!("--changed-since: unknown git revision `{rev}`")))?;
    let diff = git(
        &root,
        &["diff", "--name-only", "--no-renames", "-z", rev, "--"],
    )?;
    let untracked = git(
        &root,
        &[
            "ls-files",
            "--others",
            "--exclude-standard",
            "--full-name",
            "-z",
        ],
    )?;
    Ok(nul_separated(&diff)
        .chain(nul_separated(&untracked))
        .map(|p| root.join(p))
        .collect())
}

/// Keeps the `files` (as discovered, relative to the current directory or absolute) that are in
/// `changed`.
pub fn filter(files: Vec<PathBuf>, changed: &HashSet<PathBuf>) -> Vec<PathBuf> {
    files
        .into_iter()
        .filter(|f| {
            f.canonicalize()
                .map(|c| changed.contains(&c))
                .unwrap_or(false)
        })
        .collect()
}
