//! Where the cache lives: one cache per project, never in an unrelated current directory.
//!
//! The project root of a path is the workspace root of its package (the nearest ancestor
//! `Cargo.toml` with a `[workspace]` table at or above the package's own manifest), else the
//! package's directory. The cache of a run is in the project root of its inputs (their common
//! ancestor when they are in several projects), under `target/async-lint/` when the root has a
//! `Cargo.toml` (cargo's target directory convention), else under `.async-lint-cache/`. Inputs
//! in no Cargo project (a directory of many crates, loose files) use their common directory (a
//! directory input itself, a file's parent), so two trees linted from the same directory never
//! share a cache. `--cache-dir DIR`, else the `ASYNC_LINT_CACHE_DIR` environment
//! variable, places it explicitly.

use std::path::{Path, PathBuf};

use crate::semantic::project::normalize;

/// The environment variable that places the cache (below `--cache-dir`, above the default).
pub const ENV: &str = "ASYNC_LINT_CACHE_DIR";

/// Where a run's cache is, and whether the run covers its whole project (then entries of files
/// it did not see are pruned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePlace {
    /// The cache directory.
    pub dir: PathBuf,
    /// The project root the cache belongs to (`None` when placed explicitly).
    pub root: Option<PathBuf>,
}

impl CachePlace {
    /// The cache of a run over `inputs` (files or directories; a file need not exist).
    pub fn for_inputs(inputs: &[PathBuf], explicit: Option<&Path>) -> CachePlace {
        let explicit = explicit.map(Path::to_path_buf).or_else(|| {
            std::env::var_os(ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        if let Some(dir) = explicit {
            return CachePlace { dir, root: None };
        }
        let abs: Vec<PathBuf> = inputs.iter().map(|p| absolute(p)).collect();
        let roots: Vec<Option<PathBuf>> = abs.iter().map(|p| project_root(p)).collect();
        let root = if !roots.is_empty() && roots.iter().all(Option::is_some) {
            common_ancestor(roots.into_iter().flatten())
        } else {
            common_ancestor(abs.iter().map(|p| dir_of(p)))
        };
        let root = root.unwrap_or_else(|| normalize(Path::new(".")));
        let dir = if root.join("Cargo.toml").is_file() {
            root.join("target").join("async-lint")
        } else {
            root.join(".async-lint-cache")
        };
        CachePlace {
            dir,
            root: Some(root),
        }
    }

    /// Whether a run over `inputs` lints the whole project (an input is its root or above it).
    pub fn covered_by(&self, inputs: &[PathBuf]) -> bool {
        let Some(root) = &self.root else {
            return false;
        };
        inputs.iter().any(|p| {
            let p = absolute(p);
            p.is_dir() && root.starts_with(&p)
        })
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| normalize(p))
}

/// `p` itself when it is a directory, else its parent.
fn dir_of(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.to_path_buf()
    } else {
        p.parent()
            .map_or_else(|| p.to_path_buf(), Path::to_path_buf)
    }
}

/// The project root of an absolute path: its package's workspace root, else the package
/// directory; `None` outside every Cargo project.
pub fn project_root(path: &Path) -> Option<PathBuf> {
    let start = dir_of(path);
    let package = start
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file())?
        .to_path_buf();
    let workspace = package
        .ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .ok()
                .and_then(|t| t.parse::<toml::Table>().ok())
                .is_some_and(|t| t.contains_key("workspace"))
        })
        .map(Path::to_path_buf);
    Some(workspace.unwrap_or(package))
}

fn common_ancestor(paths: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    let mut it = paths.into_iter();
    let mut common = it.next()?;
    for p in it {
        while !p.starts_with(&common) {
            if !common.pop() {
                return None;
            }
        }
    }
    Some(common)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cache_per_project_root() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        let write = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("ws/Cargo.toml", "[workspace]\nmembers = [\"a\"]\n");
        write("ws/a/Cargo.toml", "[package]\nname = \"a\"\n");
        write("ws/a/src/lib.rs", "");
        write("lone/Cargo.toml", "[package]\nname = \"lone\"\n");
        write("lone/src/lib.rs", "");
        write("loose/x.rs", "");
        let ws = root.join("ws");
        let place = CachePlace::for_inputs(&[root.join("ws/a/src/lib.rs")], None);
        assert_eq!(place.dir, ws.join("target/async-lint"));
        assert!(!place.covered_by(&[root.join("ws/a/src/lib.rs")]));
        assert!(place.covered_by(std::slice::from_ref(&ws)));
        assert!(!place.covered_by(&[root.join("ws/a")]));
        assert_eq!(
            CachePlace::for_inputs(&[root.join("lone/src")], None).dir,
            root.join("lone/target/async-lint")
        );
        // Two projects: their common ancestor, which is no Cargo project.
        assert_eq!(
            CachePlace::for_inputs(&[root.join("lone"), ws.join("a")], None).dir,
            root.join(".async-lint-cache")
        );
        // No project: the inputs' directory.
        assert_eq!(
            CachePlace::for_inputs(&[root.join("loose/x.rs")], None).dir,
            root.join("loose/.async-lint-cache")
        );
        assert_eq!(
            CachePlace::for_inputs(&[root.join("loose")], None).dir,
            root.join("loose/.async-lint-cache")
        );
        let explicit = CachePlace::for_inputs(std::slice::from_ref(&ws), Some(Path::new("/c")));
        assert_eq!(explicit.dir, PathBuf::from("/c"));
        assert!(!explicit.covered_by(&[ws]));
    }
}
