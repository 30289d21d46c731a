//! Paths as the user sees them: relative to the current directory when under it, normalised
//! (no `.`, no `..`), absolute otherwise. A finished [`Report`] is rewritten once, just before it
//! is rendered, so every format prints the same paths.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Report;

/// `path` with `.` components dropped and `..` applied to the component before it (lexically;
/// a `..` at the start of a relative path, or above the root, is kept or dropped as the
/// platform would: kept for relative paths, dropped at the root).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// How `path` is shown when the current directory is `cwd` (absolute): relative to `cwd` when
/// under it, otherwise absolute; normalised either way. A path that reaches `cwd` only through
/// a symlink is recognised by resolving both.
pub fn display_relative(path: &Path, cwd: &Path) -> PathBuf {
    let absolute = normalize(&if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    });
    if let Ok(rel) = absolute.strip_prefix(cwd) {
        return non_empty(rel);
    }
    if let (Ok(real), Ok(real_cwd)) = (std::fs::canonicalize(&absolute), std::fs::canonicalize(cwd))
    {
        if let Ok(rel) = real.strip_prefix(&real_cwd) {
            return non_empty(rel);
        }
    }
    absolute
}

fn non_empty(rel: &Path) -> PathBuf {
    if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel.to_path_buf()
    }
}

/// The repository root for annotations: `$GITHUB_WORKSPACE` when set, else the nearest
/// directory at or above `cwd` that has a `.git`.
pub fn repository_root(cwd: &Path) -> Option<PathBuf> {
    if let Some(ws) = std::env::var_os("GITHUB_WORKSPACE").filter(|v| !v.is_empty()) {
        let ws = PathBuf::from(ws);
        return Some(std::fs::canonicalize(&ws).unwrap_or(ws));
    }
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `path` (relative to `root`, or absolute) relative to `base` when under it; `path` otherwise.
pub fn rebase(path: &Path, root: &Path, base: &Path) -> PathBuf {
    let absolute = normalize(&root.join(path));
    match absolute.strip_prefix(base) {
        Ok(rel) => non_empty(rel),
        Err(_) => {
            let real_base = std::fs::canonicalize(base).ok();
            match real_base.as_deref().map(|b| absolute.strip_prefix(b)) {
                Some(Ok(rel)) => non_empty(rel),
                _ => path.to_path_buf(),
            }
        }
    }
}

/// Rewrites every path of `report` for display from `cwd` (see [`display_relative`]) and records
/// `cwd` as the report's root and the repository root for annotations.
pub fn relativize(report: &mut Report, cwd: &Path) {
    let mut seen: HashMap<Arc<PathBuf>, Arc<PathBuf>> = HashMap::new();
    let mut map = |p: &Arc<PathBuf>| {
        Arc::clone(
            seen.entry(Arc::clone(p))
                .or_insert_with(|| Arc::new(display_relative(p, cwd))),
        )
    };
    for d in &mut report.diagnostics {
        d.path = map(&d.path);
    }
    report.sources = std::mem::take(&mut report.sources)
        .into_iter()
        .map(|(p, s)| (map(&p), s))
        .collect();
    for e in &mut report.errors {
        e.path = display_relative(&e.path, cwd);
    }
    report.root = Some(cwd.to_path_buf());
    report.repo_root = repository_root(cwd);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dots() {
        assert_eq!(normalize(Path::new("./src/./a.rs")), Path::new("src/a.rs"));
        assert_eq!(normalize(Path::new("src/x/../a.rs")), Path::new("src/a.rs"));
        assert_eq!(normalize(Path::new("../a.rs")), Path::new("../a.rs"));
        assert_eq!(normalize(Path::new("/../a.rs")), Path::new("/a.rs"));
    }

    #[test]
    fn relative_under_cwd_absolute_elsewhere() {
        let cwd = Path::new("/work/proj");
        assert_eq!(
            display_relative(Path::new("./src/a.rs"), cwd),
            Path::new("src/a.rs")
        );
        assert_eq!(
            display_relative(Path::new("/work/proj/src/../src/a.rs"), cwd),
            Path::new("src/a.rs")
        );
        assert_eq!(
            display_relative(Path::new("../other/a.rs"), cwd),
            Path::new("/work/other/a.rs")
        );
        assert_eq!(display_relative(Path::new("."), cwd), Path::new("."));
    }

    #[test]
    fn rebases_onto_the_repository() {
        assert_eq!(
            rebase(
                Path::new("src/a.rs"),
                Path::new("/r/crates/x"),
                Path::new("/r")
            ),
            Path::new("crates/x/src/a.rs")
        );
        assert_eq!(
            rebase(
                Path::new("/elsewhere/a.rs"),
                Path::new("/r/x"),
                Path::new("/r")
            ),
            Path::new("/elsewhere/a.rs")
        );
    }
}
