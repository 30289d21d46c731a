//! File discovery: every `.rs` file under the given paths, honouring `.gitignore`, `target/`,
//! hidden directories, vendored crates (`cargo vendor`: a `.cargo-checksum.json` beside the
//! `Cargo.toml`) inside the walked project and exclude globs. Explicitly named files and
//! directories are always linted, and so are the crates right inside a named directory that has
//! no `Cargo.toml` itself (a `vendor/` directory or a downloaded corpus named on the command line).
//!
//! The walk uses `walkdir` without following symlinks (a symlink loop cannot hang it) and
//! prunes a directory as soon as it is skipped, so nothing below it is read. `.gitignore` files
//! are matched with `ignore::gitignore`, one matcher per directory that has one, kept on a
//! stack while the walk is inside that directory. The files that apply are every `.gitignore`
//! from the walk root down, those of the root's ancestor directories up to the enclosing git
//! repository's root (none when the root is not inside a repository), and that repository's
//! `.git/info/exclude`. As in git, a deeper file wins over a shallower one and
//! `.git/info/exclude` has the lowest precedence.
//!
//! Exclude globs (from `--exclude` and the configuration) follow ruff's convention:
//! - a pattern without `/` (`vendor`, `*_generated.rs`) matches a file or directory *name* at any
//!   depth;
//! - a pattern with `/` (`tests/**`, `**/generated/*.rs`, `src/gen/*.rs`) matches the path
//!   relative to the walk root, the path as it was given (`src/gen/x.rs` when walking `src`), or
//!   the absolute path (this is how the configuration's patterns, which it anchors at its own
//!   directory, match);
//! - `*` does not cross `/`; `**` does. A trailing `/` is ignored, and `dir/**` also matches
//!   `dir` itself so the whole directory is pruned.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

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

/// Walks `paths` (files or directories; none means `.`), skipping what `exclude` globs match.
///
/// Directories are walked for `.rs` files; a path naming a file is always included, whatever
/// its extension, `.gitignore` or the exclude globs say. A path that does not exist, or an
/// invalid glob, is a [`DiscoverError`]; directories that cannot be read become
/// [`Discovery::errors`] and the walk goes on.
pub fn discover(paths: &[PathBuf], exclude: &[String]) -> Result<Discovery, DiscoverError> {
    let excludes = Excludes::new(exclude)?;
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };

    let mut roots = Vec::with_capacity(paths.len());
    for p in paths {
        match fs::metadata(p) {
            Ok(meta) => roots.push((p, meta.is_dir())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DiscoverError(format!(
                    "path does not exist: {}",
                    p.display()
                )));
            }
            Err(e) => {
                return Err(DiscoverError(format!("cannot access {}: {e}", p.display())));
            }
        }
    }

    // Called on a worker of a thread pool (the lint's), the roots are walked side by side (a
    // run naming every crate of a vendored tree walks hundreds of them); elsewhere one by one,
    // so that no global pool is started. Either way they are merged in the order given.
    let walk_one = |&(root, is_dir): &(&PathBuf, bool)| {
        let mut found = Discovery::default();
        if is_dir {
            walk(root, &excludes, &mut found);
        } else {
            found.files.push(root.clone());
        }
        found
    };
    let walked: Vec<Discovery> = if rayon::current_thread_index().is_some() {
        use rayon::prelude::*;
        roots.par_iter().map(walk_one).collect()
    } else {
        roots.iter().map(walk_one).collect()
    };
    let mut out = Discovery::default();
    // With several paths, the same file may be reached through two of them (`. src`), spelled
    // differently: each file's real path is its root's real path joined with the walked rest
    // (the walk follows no symlink, so the rest is real), which costs one `realpath` per
    // root rather than one per file (26k of them were a third of the planning on the corpus).
    let dedup = paths.len() > 1;
    let mut seen = std::collections::HashSet::new();
    for ((root, is_dir), found) in roots.into_iter().zip(walked) {
        out.errors.extend(found.errors);
        if !dedup {
            out.files.extend(found.files);
            continue;
        }
        let real_root = fs::canonicalize(root).ok();
        out.files.extend(found.files.into_iter().filter(|f| {
            seen.insert(match (&real_root, f.strip_prefix(root)) {
                (Some(r), Ok(rest)) if is_dir => r.join(rest),
                (Some(r), _) => r.clone(),
                (None, _) => f.clone(),
            })
        }));
    }
    out.files.sort();
    out.files.dedup();
    Ok(out)
}

/// Exclude globs compiled once, to test single files against them (hierarchical
/// configuration, `--force-exclude`).
pub struct ExcludeSet(Excludes);

impl ExcludeSet {
    /// Compiles `patterns` (the module docs say how they match).
    pub fn new(patterns: &[String]) -> Result<Self, DiscoverError> {
        Excludes::new(patterns).map(ExcludeSet)
    }

    /// Whether `file` is excluded: by its own name or the name of a directory between `base`
    /// (the configuration's directory) and it, by its path as given, or by its absolute path.
    pub fn matches(&self, file: &Path, base: Option<&Path>) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let abs =
            fs::canonicalize(file).unwrap_or_else(|_| crate::semantic::project::normalize(file));
        let rel = base
            .and_then(|b| abs.strip_prefix(b).ok())
            .unwrap_or(file)
            .to_path_buf();
        let names = rel.components().filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n),
            _ => None,
        });
        for name in names {
            if !self.0.names.is_empty() && self.0.names.is_match(name) {
                return true;
            }
        }
        let name = file.file_name().unwrap_or_default();
        self.0.is_match(name, &rel, file, &abs)
    }
}

/// Whether `dir` is a crate copied in by `cargo vendor`: a `.cargo-checksum.json` beside its
/// `Cargo.toml`. Skipped inside a walked project (see [`skips_vendored`]); naming it (or a path
/// inside it) lints it.
fn is_vendored(dir: &Path) -> bool {
    dir.join(".cargo-checksum.json").is_file() && dir.join("Cargo.toml").is_file()
}

/// Compiled exclude globs: name patterns and path patterns (see the module docs).
struct Excludes {
    names: GlobSet,
    paths: GlobSet,
}

impl Excludes {
    fn new(patterns: &[String]) -> Result<Self, DiscoverError> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for original in patterns {
            let mut p = original.trim();
            while let Some(rest) = p.strip_prefix("./") {
                p = rest;
            }
            let p = if p.len() > 1 {
                p.trim_end_matches('/')
            } else {
                p
            };
            if p.is_empty() {
                return Err(DiscoverError(format!(
                    "invalid exclude glob `{original}`: empty pattern"
                )));
            }
            let glob = compile(p).map_err(|e| {
                DiscoverError(format!("invalid exclude glob `{original}`: {}", e.kind()))
            })?;
            if p.contains('/') {
                paths.add(glob);
                if let Some(dir) = p.strip_suffix("/**").filter(|d| !d.is_empty()) {
                    // `dir/**` also names `dir`, so the directory is pruned instead of walked.
                    paths.add(compile(dir).map_err(|e| {
                        DiscoverError(format!("invalid exclude glob `{original}`: {}", e.kind()))
                    })?);
                }
            } else {
                names.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| DiscoverError(format!("invalid exclude glob: {e}")))
        };
        Ok(Excludes {
            names: build(names)?,
            paths: build(paths)?,
        })
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty() && self.paths.is_empty()
    }

    /// Whether an entry is excluded, by its name, its path relative to the walk root, its path
    /// as walked and its absolute path.
    fn is_match(&self, name: &OsStr, rel: &Path, walked: &Path, abs: &Path) -> bool {
        if !self.names.is_empty() && self.names.is_match(name) {
            return true;
        }
        if self.paths.is_empty() {
            return false;
        }
        let walked = walked.strip_prefix(".").unwrap_or(walked);
        self.paths.is_match_candidate(&Candidate::new(rel))
            || self.paths.is_match_candidate(&Candidate::new(walked))
            || self.paths.is_match_candidate(&Candidate::new(abs))
    }
}

fn compile(pattern: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// `.gitignore`-style matchers that apply to the current walk position, outermost first, each
/// with the walk depth of the directory it belongs to (0 for the root and its ancestors).
struct IgnoreStack {
    stack: Vec<(usize, Gitignore)>,
}

impl IgnoreStack {
    /// The matchers of the root's ancestors inside its git repository, and the root's own.
    fn for_root(abs_root: &Path) -> Self {
        let mut stack = Vec::new();
        if let Some(repo) = abs_root.ancestors().find(|a| a.join(".git").exists()) {
            let exclude = repo.join(".git").join("info").join("exclude");
            if let Some(gi) = load_ignore_file(repo, &exclude) {
                stack.push((0, gi));
            }
            let mut between: Vec<&Path> = abs_root
                .ancestors()
                .skip(1)
                .take_while(|a| a.starts_with(repo))
                .collect();
            between.reverse();
            for dir in between {
                if let Some(gi) = load_gitignore(dir) {
                    stack.push((0, gi));
                }
            }
        }
        if let Some(gi) = load_gitignore(abs_root) {
            stack.push((0, gi));
        }
        IgnoreStack { stack }
    }

    /// Forgets the matchers of directories the walk has left (entries come depth-first).
    fn enter(&mut self, depth: usize) {
        while self
            .stack
            .last()
            .is_some_and(|(d, _)| *d >= depth && *d > 0)
        {
            self.stack.pop();
        }
    }

    /// Whether the innermost matcher with an opinion ignores `abs`.
    fn is_ignored(&self, abs: &Path, is_dir: bool) -> bool {
        for (_, gi) in self.stack.iter().rev() {
            match gi.matched(abs, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}

fn load_gitignore(dir: &Path) -> Option<Gitignore> {
    load_ignore_file(dir, &dir.join(".gitignore"))
}

/// A matcher for one ignore file whose patterns are relative to `dir`. Unreadable files and
/// invalid lines are skipped, as git does.
fn load_ignore_file(dir: &Path, file: &Path) -> Option<Gitignore> {
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    let _partial_errors = builder.add(file);
    builder.build().ok().filter(|gi| !gi.is_empty())
}

/// Whether a vendored crate found `depth` levels below a walk root is skipped. A crate right
/// inside a root without a `Cargo.toml` (neither a package nor a workspace) is linted: that
/// root is a directory of crates named on the command line (`async-lint vendor/`, a downloaded
/// corpus), which lints them as naming each would. Deeper, or below a root with a manifest, it
/// is a dependency copied into the project (`<project>/vendor/<crate>`), not the project's code.
fn skips_vendored(depth: usize, root_has_manifest: bool) -> bool {
    depth >= 2 || root_has_manifest
}

fn walk(root: &Path, excludes: &Excludes, out: &mut Discovery) {
    let abs_root = fs::canonicalize(root)
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf());
    let root_has_manifest = root.join("Cargo.toml").is_file();
    let mut ignores = IgnoreStack::for_root(&abs_root);
    let mut it = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    while let Some(next) = it.next() {
        let entry = match next {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                let message = match err.io_error() {
                    Some(io) => format!("cannot read directory: {io}"),
                    None => format!("cannot walk: {err}"),
                };
                out.errors.push(FileError {
                    path,
                    message,
                    line: None,
                    column: None,
                });
                continue;
            }
        };
        let depth = entry.depth();
        if depth == 0 {
            continue;
        }
        ignores.enter(depth);
        let file_type = entry.file_type();
        let is_dir = file_type.is_dir();
        let name = entry.file_name();
        if is_dir {
            let bytes = name.as_encoded_bytes();
            if bytes.starts_with(b".")
                || bytes == b"target"
                || (skips_vendored(depth, root_has_manifest) && is_vendored(entry.path()))
            {
                it.skip_current_dir();
                continue;
            }
        } else if !(file_type.is_file() && Path::new(name).extension().is_some_and(|x| x == "rs")) {
            // Symlinks are not followed; other files are not Rust.
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let abs = abs_root.join(rel);
        let skip = ignores.is_ignored(&abs, is_dir)
            || (!excludes.is_empty() && excludes.is_match(name, rel, entry.path(), &abs));
        if is_dir {
            if skip {
                it.skip_current_dir();
            } else if let Some(gi) = load_gitignore(&abs) {
                ignores.stack.push((depth, gi));
            }
        } else if !skip {
            out.files.push(entry.into_path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "fn main() {}\n").unwrap();
    }

    fn found(root: &Path, exclude: &[&str]) -> Vec<String> {
        let ex: Vec<String> = exclude.iter().map(|s| s.to_string()).collect();
        let d = discover(&[root.to_path_buf()], &ex).unwrap();
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        d.files
            .iter()
            .map(|f| {
                f.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect()
    }

    #[test]
    fn vendored_crates_are_skipped_unless_named() {
        let t = tempfile::tempdir().unwrap();
        touch(t.path(), "src/main.rs");
        touch(t.path(), "vendor/dep/src/lib.rs");
        fs::write(t.path().join("vendor/dep/Cargo.toml"), "[package]\n").unwrap();
        fs::write(t.path().join("vendor/dep/.cargo-checksum.json"), "{}").unwrap();
        // Same layout without the checksum file: the user's own crate.
        touch(t.path(), "crates/own/src/lib.rs");
        fs::write(t.path().join("crates/own/Cargo.toml"), "[package]\n").unwrap();
        assert_eq!(
            found(t.path(), &[]),
            vec!["crates/own/src/lib.rs", "src/main.rs"]
        );
        let named = discover(&[t.path().join("vendor/dep")], &[]).unwrap();
        assert_eq!(named.files.len(), 1, "{:?}", named.files);
        let inside = discover(&[t.path().join("vendor/dep/src")], &[]).unwrap();
        assert_eq!(inside.files.len(), 1, "{:?}", inside.files);
        // The vendor directory named: its crates are what was asked for.
        let dir = discover(&[t.path().join("vendor")], &[]).unwrap();
        assert_eq!(dir.files.len(), 1, "{:?}", dir.files);
    }

    /// A directory of downloaded crates (no package of its own, as `../shared/corpus` makes):
    /// walking it lints the crates; a crate vendored inside one of them is still skipped.
    #[test]
    fn a_directory_of_vendored_crates_named_lints_them() {
        let t = tempfile::tempdir().unwrap();
        for krate in ["a", "b"] {
            touch(t.path(), &format!("{krate}/src/lib.rs"));
            fs::write(t.path().join(krate).join("Cargo.toml"), "[package]\n").unwrap();
            fs::write(t.path().join(krate).join(".cargo-checksum.json"), "{}").unwrap();
        }
        touch(t.path(), "a/vendor/dep/src/lib.rs");
        fs::write(t.path().join("a/vendor/dep/Cargo.toml"), "[package]\n").unwrap();
        fs::write(t.path().join("a/vendor/dep/.cargo-checksum.json"), "{}").unwrap();
        assert_eq!(found(t.path(), &[]), vec!["a/src/lib.rs", "b/src/lib.rs"]);
        // The same crates inside a package's directory are its vendored dependencies.
        fs::write(t.path().join("Cargo.toml"), "[package]\n").unwrap();
        touch(t.path(), "src/main.rs");
        assert_eq!(found(t.path(), &[]), vec!["src/main.rs"]);
    }

    #[test]
    fn name_and_path_patterns() {
        let t = tempfile::tempdir().unwrap();
        for f in [
            "a.rs",
            "vendor/v.rs",
            "src/vendor/w.rs",
            "tests/t.rs",
            "src/generated/g.rs",
            "src/generated/deep/h.rs",
            "src/x_gen.rs",
        ] {
            touch(t.path(), f);
        }
        assert_eq!(
            found(t.path(), &["vendor"]),
            [
                "a.rs",
                "src/generated/deep/h.rs",
                "src/generated/g.rs",
                "src/x_gen.rs",
                "tests/t.rs"
            ]
        );
        assert_eq!(found(t.path(), &["tests/**"]).len(), 6);
        // `*` does not cross `/`: the deeper file stays.
        assert_eq!(
            found(t.path(), &["**/generated/*.rs", "*_gen.rs"]),
            [
                "a.rs",
                "src/generated/deep/h.rs",
                "src/vendor/w.rs",
                "tests/t.rs",
                "vendor/v.rs"
            ]
        );
        assert!(discover(&[t.path().to_path_buf()], &["src/[".to_string()]).is_err());
        assert!(discover(&[t.path().to_path_buf()], &["".to_string()]).is_err());
    }

    #[test]
    fn absolute_patterns_match_the_absolute_path() {
        let t = tempfile::tempdir().unwrap();
        touch(t.path(), "src/gen/x.rs");
        touch(t.path(), "src/y.rs");
        let root = t.path().join("src");
        let d = discover(
            std::slice::from_ref(&root),
            &[format!(
                "{}/gen/*.rs",
                globset::escape(&t.path().join("src").to_string_lossy())
            )],
        )
        .unwrap();
        assert_eq!(d.files, vec![root.join("y.rs")]);
    }

    #[test]
    fn ignore_stack_pops_on_leaving_a_directory() {
        let t = tempfile::tempdir().unwrap();
        touch(t.path(), "a/skip.rs");
        touch(t.path(), "a/keep.rs");
        touch(t.path(), "b/skip.rs");
        fs::write(t.path().join("a/.gitignore"), "skip.rs\n").unwrap();
        assert_eq!(found(t.path(), &[]), ["a/keep.rs", "b/skip.rs"]);
    }
}
