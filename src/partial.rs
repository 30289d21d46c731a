//! Partial runs (named files, `--changed-since`, `--stdin-filename`, the pre-commit hook) see
//! the whole project: the files of the crates the linted files belong to, and of the workspace
//! crates those import, are the run's *context*. Their facts join the cross-file resolution (a
//! helper in another file that sleeps makes the named file's async caller a finding), but they
//! are not linted for findings and nothing located in them is reported.
//!
//! A context file's facts come from the cache when it holds the file's current content, else
//! from a facts-only pass: the walk with no rule hooks, which records the same cross-file facts
//! as a full lint (see [`facts_only`]).
//!
//! A file belongs to a crate when it is under the directory of one of its package's target
//! roots (`src/` for `src/lib.rs` and `src/main.rs`, `tests/` for an integration test, ...):
//! a file elsewhere in a package (a fixture, a generated snippet) has no context.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::lint::{FileOutcome, Settings};
use crate::options::{Options, UsageError};
use crate::project::CrateInfoCache;
use crate::scope::Scopes;
use crate::semantic::project::{Project, TargetKind, normalize};

/// Settings for the facts-only pass of context files: no rules, the same facts.
pub fn facts_only(settings: &Settings) -> Settings {
    Settings {
        rules: Vec::new(),
        blocking_apis: settings.blocking_apis.clone(),
        collect_facts: true,
        path_metadata: settings.path_metadata,
    }
}

/// The directories (and single files, for build scripts) whose `.rs` files make up the crates
/// of `files`, and of the workspace crates those crates depend on (transitively).
pub fn context_roots(files: &[PathBuf]) -> Vec<PathBuf> {
    let project = Project::load_from_manifests(files);
    let mut owners: BTreeSet<usize> = BTreeSet::new();
    for file in files {
        let file = normalize(file);
        let Some(p) = project.package_of(&file) else {
            continue;
        };
        let in_target = project.packages[p].targets.iter().any(|&t| {
            let t = &project.targets[t];
            t.kind != TargetKind::BuildScript
                && t.root.parent().is_some_and(|d| file.starts_with(d))
        });
        if in_target {
            owners.insert(p);
        }
    }
    // Workspace crates the owners import, and theirs: only their libs are visible.
    let mut libs: BTreeSet<usize> = BTreeSet::new();
    let mut todo: Vec<usize> = owners.iter().copied().collect();
    let mut seen: BTreeSet<usize> = owners.clone();
    while let Some(p) = todo.pop() {
        for dep in &project.packages[p].deps {
            if let Some(lib) = project.local_lib(p, dep) {
                libs.insert(lib);
                let q = project.targets[lib].package;
                if seen.insert(q) {
                    todo.push(q);
                }
            }
        }
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    for &p in &owners {
        roots.extend(project.target_roots(p));
    }
    for &t in &libs {
        roots.extend(project.targets[t].root.parent().map(Path::to_path_buf));
    }
    roots.retain(|r| r.exists());
    roots.sort();
    roots.dedup();
    // A directory inside another one is walked with it.
    let mut outer: Vec<PathBuf> = Vec::new();
    for r in roots {
        if !outer.iter().any(|o| o.is_dir() && r.starts_with(o)) {
            outer.push(r);
        }
    }
    outer
}

/// The context files of a run linting `linted`: the `.rs` files under [`context_roots`] that
/// `excludes` keep, minus the linted files themselves. Unreadable directories are skipped.
pub fn context_files(linted: &[PathBuf], excludes: &[String]) -> Vec<PathBuf> {
    let roots = context_roots(linted);
    if roots.is_empty() {
        return Vec::new();
    }
    let Ok(found) = crate::discover::discover(&roots, excludes) else {
        return Vec::new();
    };
    let named: std::collections::HashSet<PathBuf> = linted.iter().map(|f| canonical(f)).collect();
    found
        .files
        .into_iter()
        .filter(|f| !named.contains(&canonical(f)))
        .collect()
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
}

/// The facts of a partial run's context files (see [`crate::partial`]): replayed from the cache
/// when it holds a file's current content, else from a facts-only pass. Files that cannot be
/// read or parsed contribute nothing.
pub fn lint_context(
    files: &[(PathBuf, usize)],
    scopes: &Scopes,
    cache: Option<&crate::cache::Cache>,
) -> Vec<FileOutcome> {
    if files.is_empty() {
        return Vec::new();
    }
    let facts_only: Vec<Settings> = scopes
        .scopes
        .iter()
        .map(|s| facts_only(&s.settings))
        .collect();
    let mut infos = CrateInfoCache::default();
    let jobs: Vec<(crate::project::CrateInfo, Arc<PathBuf>, usize)> = files
        .iter()
        .map(|(f, scope)| (infos.get(f), Arc::new(f.clone()), *scope))
        .collect();
    jobs.par_iter()
        .with_max_len(1)
        .filter_map(|(info, path, scope)| {
            let settings = &scopes.scopes[*scope].settings;
            let replayed = cache.and_then(|c| c.replay_only(path, *info, settings));
            let mut o = match replayed {
                Some(o) => o,
                None => crate::cache::lint_file_catching_panics(
                    path,
                    *info,
                    &facts_only[*scope],
                    None,
                    None,
                ),
            };
            o.source = None;
            o.error.is_none().then_some(o)
        })
        .collect()
}

/// A partial run's context files (see [`crate::partial`]) that their own configuration keeps,
/// with their scopes.
pub fn context_jobs(
    linted: &[PathBuf],
    opts: &Options,
    scopes: &mut Scopes,
) -> Result<Vec<(PathBuf, usize)>, UsageError> {
    let mut out = Vec::new();
    for f in context_files(linted, &opts.exclude) {
        let scope = scopes.of_file(&f, opts)?;
        if !scopes.excludes(scope, &f) {
            out.push((f, scope));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fsutil::write_under as write;

    #[test]
    fn context_is_the_crate_and_the_workspace_crates_it_imports() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        write(
            &root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\", \"c\"]\n",
        );
        write(
            &root,
            "a/Cargo.toml",
            "[package]\nname = \"a\"\n[dependencies]\nb = { path = \"../b\" }\n",
        );
        write(&root, "a/src/lib.rs", "mod x;\n");
        write(&root, "a/src/x.rs", "");
        write(&root, "a/fixtures/f.rs", "");
        write(&root, "b/Cargo.toml", "[package]\nname = \"b\"\n");
        write(&root, "b/src/lib.rs", "");
        write(&root, "c/Cargo.toml", "[package]\nname = \"c\"\n");
        write(&root, "c/src/lib.rs", "");
        let files = context_files(&[root.join("a/src/x.rs")], &[]);
        let mut rel: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        rel.sort();
        assert_eq!(rel, ["a/src/lib.rs", "b/src/lib.rs"]);
        // Outside every target directory: no context.
        assert!(context_files(&[root.join("a/fixtures/f.rs")], &[]).is_empty());
        // No package at all.
        let lone = tempfile::tempdir().unwrap();
        write(lone.path(), "x.rs", "");
        assert!(context_files(&[lone.path().join("x.rs")], &[]).is_empty());
    }
}
