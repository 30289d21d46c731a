//! `cargo async-lint`: cargo's package selection (`-p NAME`, `--workspace`, `--manifest-path`)
//! turned into the paths to lint, from the project model ([`Project::load_root`]).
//!
//! The manifest is `--manifest-path`, else the nearest `Cargo.toml` from the current directory
//! upward. With `-p NAME` (repeatable) the named workspace packages are linted; with
//! `--workspace`, or when the manifest is the workspace root (a virtual manifest included),
//! every member; else the manifest's own package. A package is linted through its targets:
//! the directories of their root files (`src/`, `tests/`, `examples/`, `benches/`) and its
//! build script, as cargo compiles them. Unless every member is linted, the run is partial:
//! the workspace crates the packages import are its context (see [`crate::partial`]), so
//! findings across workspace crates are reported.

use std::path::{Path, PathBuf};

use crate::semantic::project::{Project, normalize};

/// The package selection flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--workspace`: every member.
    pub workspace: bool,
    /// `-p NAME`: these packages.
    pub packages: Vec<String>,
    /// `--manifest-path`: the `Cargo.toml` to start from.
    pub manifest_path: Option<PathBuf>,
}

impl Selection {
    /// Whether any selection flag was given.
    pub fn is_given(&self) -> bool {
        self.workspace || !self.packages.is_empty() || self.manifest_path.is_some()
    }
}

/// The paths a selection lints (relative to `cwd` when under it), and whether the run covers
/// only part of the workspace.
pub fn resolve(sel: &Selection, cwd: &Path) -> Result<(Vec<PathBuf>, bool), String> {
    let cwd = normalize(cwd);
    let manifest = match &sel.manifest_path {
        Some(m) => {
            let m = normalize(&cwd.join(m));
            if !m.is_file() {
                return Err(format!("manifest path `{}` does not exist", m.display()));
            }
            m
        }
        None => cwd
            .ancestors()
            .map(|d| d.join("Cargo.toml"))
            .find(|m| m.is_file())
            .ok_or_else(|| {
                format!(
                    "could not find `Cargo.toml` in `{}` or any parent directory",
                    cwd.display()
                )
            })?,
    };
    let dir = manifest
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf);
    let project = Project::load_root(&dir);
    if project.packages.is_empty() {
        return Err(format!(
            "no package in the workspace of `{}`",
            manifest.display()
        ));
    }
    let own = project.packages.iter().position(|p| p.manifest_dir == dir);
    let at_root = own.is_none_or(|p| project.packages[p].workspace_root == dir);
    let chosen: Vec<usize> = if !sel.packages.is_empty() {
        let mut out = Vec::new();
        for name in &sel.packages {
            let Some(i) = project.packages.iter().position(|p| &p.name == name) else {
                let mut names: Vec<&str> =
                    project.packages.iter().map(|p| p.name.as_str()).collect();
                names.sort_unstable();
                return Err(format!(
                    "package `{name}` is not in the workspace (its packages: {})",
                    names.join(", ")
                ));
            };
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    } else if sel.workspace || at_root {
        (0..project.packages.len()).collect()
    } else {
        own.into_iter().collect()
    };
    let partial = chosen.len() < project.packages.len();
    let mut roots: Vec<PathBuf> = Vec::new();
    for &p in &chosen {
        roots.extend(project.target_roots(p));
    }
    roots.retain(|r| r.exists());
    roots.sort();
    roots.dedup();
    let mut outer: Vec<PathBuf> = Vec::new();
    for r in roots {
        if !outer.iter().any(|o| o.is_dir() && r.starts_with(o)) {
            outer.push(r);
        }
    }
    if outer.is_empty() {
        return Err("the selected packages have no targets to lint".to_string());
    }
    let paths = outer
        .into_iter()
        .map(|p| match p.strip_prefix(&cwd) {
            Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
            Ok(rel) => rel.to_path_buf(),
            Err(_) => p,
        })
        .collect();
    Ok((paths, partial))
}
