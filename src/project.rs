//! Per-crate facts read from the nearest `Cargo.toml`: the edition and which async runtimes the
//! crate depends on. Looked up once per directory.
//!
//! The crate of a file is the nearest `Cargo.toml` with a `[package]` table, from the file's
//! directory upward (a virtual workspace manifest is skipped). `edition.workspace = true` and
//! `dep.workspace = true` are resolved against the workspace root: the manifest named by
//! `package.workspace`, else the nearest manifest with a `[workspace]` table from the package's
//! directory upward. An unreadable or malformed manifest gives the defaults; nothing here fails.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use toml::{Table, Value};

pub use crate::semantic::project::Edition;
use crate::tokio_features::TokioFeatures;

/// Which runtimes a crate depends on (from `[dependencies]`, `[dev-dependencies]` and
/// `[target.*.dependencies]`, including renamed and workspace-inherited dependencies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Runtimes {
    /// `tokio`
    pub tokio: bool,
    /// `async-std`
    pub async_std: bool,
    /// `smol`
    pub smol: bool,
}

/// What the linter knows about the crate a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CrateInfo {
    /// The crate's edition.
    pub edition: Edition,
    /// The crate's runtime dependencies.
    pub runtimes: Runtimes,
    /// The tokio features it enables (fixes needing another stay manual).
    pub tokio_features: crate::tokio_features::TokioFeatures,
    /// Those, plus the dev-dependencies' (for tests, benches and examples).
    pub tokio_dev_features: crate::tokio_features::TokioFeatures,
}

impl CrateInfo {
    /// The info for a file of the package that no target of it builds (a fixture, a script):
    /// which tokio features it would build with is unknown.
    pub fn outside_targets(self) -> CrateInfo {
        CrateInfo {
            tokio_features: crate::tokio_features::TokioFeatures::Unknown,
            tokio_dev_features: crate::tokio_features::TokioFeatures::Unknown,
            ..self
        }
    }

    /// The tokio features code in `file` builds with: the dev-dependencies' count too in test
    /// code (`in_test`: inside a test-only item), and in test, bench and example files (a
    /// `tests`, `benches` or `examples` directory, or a `tests.rs`/`test.rs` module file).
    pub fn tokio_features_for(
        &self,
        file: &Path,
        in_test: bool,
    ) -> crate::tokio_features::TokioFeatures {
        let dev = in_test
            || file.components().any(|c| {
                matches!(
                    c.as_os_str().to_str(),
                    Some("tests" | "benches" | "examples")
                )
            })
            || matches!(
                file.file_stem().and_then(|s| s.to_str()),
                Some("tests" | "test")
            );
        if dev {
            self.tokio_dev_features
        } else {
            self.tokio_features
        }
    }
}

/// The parsed manifest at `path`, read once (`None`: unreadable or malformed).
fn read_manifest(
    manifests: &mut HashMap<PathBuf, Option<Arc<Table>>>,
    path: &Path,
) -> Option<Arc<Table>> {
    manifests
        .entry(path.to_path_buf())
        .or_insert_with(|| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| t.parse::<Table>().ok())
                .map(Arc::new)
        })
        .clone()
}

/// What the nearest ancestor of `dir` (itself included) answers: walks up, asking `probe` of
/// each directory not in `memo`, and stops at the first directory `memo` knows or `probe`
/// answers (`none` when none does). Every directory passed remembers the answer, so a
/// directory is probed once however many directories below it are looked up.
fn nearest_above<T: Clone>(
    memo: &mut HashMap<PathBuf, T>,
    dir: &Path,
    none: T,
    mut probe: impl FnMut(&Path) -> Option<T>,
) -> T {
    let mut passed: Vec<&Path> = Vec::new();
    let mut found = none;
    for d in dir.ancestors() {
        if let Some(known) = memo.get(d) {
            found = known.clone();
            break;
        }
        passed.push(d);
        if let Some(answer) = probe(d) {
            found = answer;
            break;
        }
    }
    for d in passed {
        memo.insert(d.to_path_buf(), found.clone());
    }
    found
}

/// Finds the crate info for files, memoised per directory and per manifest.
#[derive(Debug, Default)]
pub struct CrateInfoCache {
    /// Directory as the caller spelled it (a file's parent) → its crate's info.
    by_dir: HashMap<PathBuf, CrateInfo>,
    /// Absolute directory → its crate's info.
    by_abs_dir: HashMap<PathBuf, CrateInfo>,
    /// Directory as the caller spelled it → its canonical path ([`CrateInfoCache::canonical`]).
    canonical: HashMap<PathBuf, PathBuf>,
    /// Absolute directory → the package manifest that decides its crate (its directory and
    /// table; `None`: no package above, or the deciding manifest cannot be read).
    nearest: HashMap<PathBuf, Option<(PathBuf, Arc<Table>)>>,
    /// Manifest path → parsed manifest (`None`: unreadable or malformed).
    manifests: HashMap<PathBuf, Option<Arc<Table>>>,
    /// Package directory → its crate info and its targets' directories.
    packages: HashMap<PathBuf, (CrateInfo, Arc<[PathBuf]>)>,
}

impl CrateInfoCache {
    /// Crate info for the crate containing `file` (which need not exist).
    pub fn get(&mut self, file: &Path) -> CrateInfo {
        let dir = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Some(info) = self.by_dir.get(dir) {
            return *info;
        }
        let abs = self.canonical(dir);
        let info = self.for_abs_dir(&abs);
        self.by_dir.insert(dir.to_path_buf(), info);
        info
    }

    /// `dir` made absolute with its symlinks resolved, as `fs::canonicalize` gives it, but
    /// from its parent's answer: a directory that is not a symlink is its canonical parent
    /// joined with its name (one `lstat`, not a `readlink` per component of the whole path).
    fn canonical(&mut self, dir: &Path) -> PathBuf {
        if let Some(known) = self.canonical.get(dir) {
            return known.clone();
        }
        let plain_name = dir.file_name().filter(|_| {
            !matches!(
                dir.components().next_back(),
                Some(Component::ParentDir | Component::CurDir)
            )
        });
        let resolved = match (dir.parent(), plain_name) {
            (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => {
                let joined = self.canonical(parent).join(name);
                match std::fs::symlink_metadata(&joined) {
                    Ok(m) if !m.file_type().is_symlink() => joined,
                    _ => Self::canonicalize(dir),
                }
            }
            _ => Self::canonicalize(dir),
        };
        self.canonical.insert(dir.to_path_buf(), resolved.clone());
        resolved
    }

    fn canonicalize(dir: &Path) -> PathBuf {
        std::fs::canonicalize(dir)
            .or_else(|_| std::path::absolute(dir))
            .unwrap_or_else(|_| dir.to_path_buf())
    }

    fn for_abs_dir(&mut self, abs: &Path) -> CrateInfo {
        if let Some(known) = self.by_abs_dir.get(abs) {
            return *known;
        }
        let info = match self.nearest(abs) {
            Some((dir, table)) => {
                let (package, roots) = self.package(&dir, &table);
                let rel = abs.strip_prefix(&dir).unwrap_or(Path::new(""));
                if roots.iter().any(|r| rel.starts_with(r)) {
                    package
                } else {
                    package.outside_targets()
                }
            }
            None => CrateInfo::default(),
        };
        self.by_abs_dir.insert(abs.to_path_buf(), info);
        info
    }

    /// The package manifest that decides the crate of absolute directory `abs`: the nearest
    /// one at or above it with a `[package]` (a virtual manifest is passed over); `None` when
    /// there is none or the nearest manifest cannot be read (it is this crate's, we just cannot
    /// read it). Remembered for every directory on the way, so each directory is probed once.
    fn nearest(&mut self, abs: &Path) -> Option<(PathBuf, Arc<Table>)> {
        let manifests = &mut self.manifests;
        nearest_above(&mut self.nearest, abs, None, |dir| {
            let manifest = dir.join("Cargo.toml");
            if !manifest.is_file() {
                return None;
            }
            match read_manifest(manifests, &manifest) {
                None => Some(None),
                Some(table) if table.contains_key("package") => {
                    Some(Some((dir.to_path_buf(), table)))
                }
                Some(_) => None, // a virtual manifest: keep looking
            }
        })
    }

    /// The crate info of the package whose manifest is in `dir`, and the directories its
    /// targets' files live in (relative to `dir`): `src`, `tests`, `benches`, `examples`, and
    /// the directory of every target path the manifest sets (`[lib] path = "lib.rs"`: all of it).
    fn package(&mut self, dir: &Path, manifest: &Table) -> (CrateInfo, Arc<[PathBuf]>) {
        if let Some(known) = self.packages.get(dir) {
            return known.clone();
        }
        let info = self.crate_info(dir, manifest);
        let mut roots: Vec<PathBuf> = ["src", "tests", "benches", "examples"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let single = manifest.get("lib").into_iter();
        let many = ["bin", "test", "bench", "example"]
            .iter()
            .filter_map(|k| manifest.get(*k)?.as_array())
            .flatten();
        for target in single.chain(many) {
            if let Some(path) = target.get("path").and_then(Value::as_str) {
                roots.push(
                    Path::new(path)
                        .parent()
                        .unwrap_or(Path::new(""))
                        .to_path_buf(),
                );
            }
        }
        let known = (info, Arc::from(roots));
        self.packages.insert(dir.to_path_buf(), known.clone());
        known
    }

    fn manifest(&mut self, path: &Path) -> Option<Arc<Table>> {
        read_manifest(&mut self.manifests, path)
    }

    /// The workspace root manifest for the package in `dir`, if it can be found.
    fn workspace(&mut self, dir: &Path, package: &Table) -> Option<Arc<Table>> {
        if let Some(Value::String(rel)) = package.get("workspace") {
            let root = dir.join(rel);
            let manifest = if root.file_name().is_some_and(|n| n == "Cargo.toml") {
                root
            } else {
                root.join("Cargo.toml")
            };
            return self
                .manifest(&manifest)
                .filter(|t| t.contains_key("workspace"));
        }
        for d in dir.ancestors() {
            let manifest = d.join("Cargo.toml");
            if manifest.is_file() {
                if let Some(t) = self
                    .manifest(&manifest)
                    .filter(|t| t.contains_key("workspace"))
                {
                    return Some(t);
                }
            }
        }
        None
    }

    fn crate_info(&mut self, dir: &Path, manifest: &Table) -> CrateInfo {
        let package = manifest
            .get("package")
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default();
        let inherits = |v: Option<&Value>| {
            v.and_then(Value::as_table)
                .and_then(|t| t.get("workspace"))
                .and_then(Value::as_bool)
                == Some(true)
        };
        let needs_workspace = inherits(package.get("edition"))
            || dependency_tables(manifest).any(|t| t.values().any(|v| inherits(Some(v))));
        let workspace = if needs_workspace {
            self.workspace(dir, &package)
        } else {
            None
        };
        let ws_section = workspace
            .as_ref()
            .and_then(|w| w.get("workspace"))
            .and_then(Value::as_table);

        let edition = match package.get("edition") {
            Some(Value::String(s)) => Edition::parse(s).unwrap_or_default(),
            Some(v) if inherits(Some(v)) => ws_section
                .and_then(|w| w.get("package"))
                .and_then(|p| p.get("edition"))
                .and_then(Value::as_str)
                .and_then(Edition::parse)
                .unwrap_or_default(),
            Some(_) => Edition::default(),
            // Cargo's own default for a package that does not say.
            None => Edition::E2015,
        };

        let ws_deps = ws_section
            .and_then(|w| w.get("dependencies"))
            .and_then(Value::as_table);
        let mut runtimes = Runtimes::default();
        // tokio's features from the normal dependency tables, else the dev ones.
        let (mut normal, mut dev) = (None, None);
        for (kind, table) in dependency_tables_kinded(manifest) {
            for (name, spec) in table {
                let mut package_name = spec.get("package").and_then(Value::as_str).unwrap_or(name);
                let mut ws_spec = None;
                if inherits(Some(spec)) {
                    ws_spec = ws_deps.and_then(|d| d.get(name));
                    if let Some(ws_spec) = ws_spec {
                        package_name = ws_spec
                            .get("package")
                            .and_then(Value::as_str)
                            .unwrap_or(name);
                    }
                }
                match package_name.replace('_', "-").as_str() {
                    "tokio" => {
                        runtimes.tokio = true;
                        let found = TokioFeatures::from_specs(std::iter::once(spec).chain(ws_spec));
                        let slot = if kind { &mut normal } else { &mut dev };
                        *slot = Some(slot.map_or(found, |s: TokioFeatures| s.union(found)));
                    }
                    "async-std" => runtimes.async_std = true,
                    "smol" => runtimes.smol = true,
                    _ => {}
                }
            }
        }
        CrateInfo {
            edition,
            runtimes,
            // Library and binary code sees the normal dependencies only; tests, benches and
            // examples the dev-dependencies too.
            tokio_features: normal.unwrap_or(TokioFeatures::Absent),
            tokio_dev_features: match (normal, dev) {
                (Some(n), Some(d)) => n.union(d),
                (n, d) => n.or(d).unwrap_or(TokioFeatures::Absent),
            },
        }
    }
}

/// [`dependency_tables`], each with whether it is a normal (not dev) dependency table.
fn dependency_tables_kinded(manifest: &Table) -> impl Iterator<Item = (bool, &Table)> {
    let top = ["dependencies", "dev-dependencies", "dev_dependencies"]
        .into_iter()
        .filter_map(move |k| Some((k == "dependencies", manifest.get(k)?.as_table()?)));
    let targets = manifest
        .get("target")
        .and_then(Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
        .filter_map(Value::as_table)
        .flat_map(|t| {
            ["dependencies", "dev-dependencies", "dev_dependencies"]
                .into_iter()
                .filter_map(move |k| Some((k == "dependencies", t.get(k)?.as_table()?)))
        });
    top.chain(targets)
}

/// `[dependencies]`, `[dev-dependencies]` and every `[target.*.dependencies]` /
/// `[target.*.dev-dependencies]` table of a manifest.
fn dependency_tables(manifest: &Table) -> impl Iterator<Item = &Table> {
    dependency_tables_kinded(manifest).map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn edition_and_runtimes() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "Cargo.toml",
            "[package]\nname = \"a\"\nedition = \"2024\"\n[dependencies]\nrt = { package = \"async-std\", version = \"1\" }\n\
             [target.'cfg(unix)'.dev-dependencies]\nsmol = \"2\"\n",
        );
        let mut cache = CrateInfoCache::default();
        let info = cache.get(&t.path().join("src/deep/x.rs"));
        assert_eq!(info.edition, Edition::E2024);
        assert_eq!(
            info.runtimes,
            Runtimes {
                tokio: false,
                async_std: true,
                smol: true
            }
        );
    }

    #[test]
    fn tokio_features_with_workspace_inheritance() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\"]\n[workspace.dependencies]\ntokio = { version = \"1\", features = [\"net\"] }\n",
        );
        write(
            t.path(),
            "a/Cargo.toml",
            "[package]\nname = \"a\"\n[dependencies]\ntokio = { workspace = true, features = [\"fs\"] }\n[dev-dependencies]\ntokio = { workspace = true, features = [\"full\"] }\n",
        );
        write(
            t.path(),
            "b/Cargo.toml",
            "[package]\nname = \"b\"\n[dependencies]\nrt = { package = \"tokio\", version = \"1\", features = [\"full\"] }\n",
        );
        let mut cache = CrateInfoCache::default();
        let a = cache.get(&t.path().join("a/src/lib.rs")).tokio_features;
        assert!(a.enables("fs") && a.enables("net"), "{a:?}");
        assert!(
            !a.enables("time"),
            "dev-dependency features do not count: {a:?}"
        );
        let b = cache.get(&t.path().join("b/src/lib.rs")).tokio_features;
        assert!(b.enables("time") && b.enables("io-util"), "{b:?}");
    }

    #[test]
    fn tokio_absent_from_library_code_and_unknown_outside_targets() {
        use crate::tokio_features::TokioFeatures;
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "lib/Cargo.toml",
            "[package]\nname = \"l\"\n[dependencies]\nfutures = \"0.3\"\n[dev-dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n",
        );
        write(
            t.path(),
            "root/Cargo.toml",
            "[package]\nname = \"r\"\n[lib]\npath = \"lib.rs\"\n",
        );
        let mut cache = CrateInfoCache::default();
        let lib = cache.get(&t.path().join("lib/src/lib.rs"));
        assert_eq!(lib.tokio_features, TokioFeatures::Absent);
        let features = |file: &str, in_test: bool| lib.tokio_features_for(Path::new(file), in_test);
        assert!(!features("src/lib.rs", false).enables("fs"));
        assert!(
            features("src/lib.rs", true).enables("fs"),
            "a test-only item"
        );
        assert!(features("tests/it.rs", false).enables("fs"));
        assert!(features("src/store/tests.rs", false).enables("fs"));
        assert!(!features("src/lib.rs", true).enables("net"));
        // A file no target builds (a fixture of the package): nothing is known.
        let fixture = cache.get(&t.path().join("lib/fixtures/case/lib.rs"));
        assert_eq!(fixture.tokio_features, TokioFeatures::Unknown);
        assert_eq!(fixture.tokio_dev_features, TokioFeatures::Unknown);
        assert_eq!(fixture.edition, lib.edition);
        // `[lib] path = "lib.rs"`: the package's whole directory holds target files.
        let rooted = cache.get(&t.path().join("root/sub/mod.rs"));
        assert_eq!(rooted.tokio_features, TokioFeatures::Absent);
    }

    #[test]
    fn directories_resolve_as_canonicalize_does_and_share_their_package() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "ws/Cargo.toml",
            "[workspace]\nmembers = [\"p\"]\n",
        );
        write(
            t.path(),
            "ws/p/Cargo.toml",
            "[package]\nname = \"p\"\nedition = \"2021\"\n",
        );
        write(t.path(), "ws/p/src/deep/mod.rs", "");
        write(t.path(), "ws/p/tests/it.rs", "");
        std::os::unix::fs::symlink(t.path().join("ws/p/src"), t.path().join("link")).unwrap();
        let mut cache = CrateInfoCache::default();
        let dirs = [
            t.path().join("ws/p/src/deep"),
            t.path().join("ws/p/src"),
            t.path().join("link/deep"),
            t.path().join("ws/p/tests/../src/deep"),
            t.path().join("ws/p/missing"),
        ];
        for dir in &dirs {
            let expected =
                std::fs::canonicalize(dir).unwrap_or_else(|_| std::path::absolute(dir).unwrap());
            assert_eq!(cache.canonical(dir), expected, "{}", dir.display());
        }
        // Through the symlink, beside a virtual manifest, in a sibling target: one package.
        let direct = cache.get(&t.path().join("ws/p/src/deep/mod.rs"));
        assert_eq!(direct.edition, Edition::E2021);
        assert_eq!(cache.get(&t.path().join("link/deep/mod.rs")), direct);
        assert_eq!(
            cache.get(&t.path().join("ws/p/tests/it.rs")).edition,
            Edition::E2021
        );
        // Above every package: nothing known.
        assert_eq!(cache.get(&t.path().join("ws/x.rs")), CrateInfo::default());
    }

    #[test]
    fn defaults() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "nopkg/Cargo.toml", "[package]\nname = \"a\"\n");
        write(t.path(), "broken/Cargo.toml", "[package\n");
        let mut cache = CrateInfoCache::default();
        // No edition: cargo assumes 2015.
        assert_eq!(
            cache.get(&t.path().join("nopkg/src/lib.rs")).edition,
            Edition::E2015
        );
        assert_eq!(
            cache.get(&t.path().join("broken/src/lib.rs")),
            CrateInfo::default()
        );
    }
}

/// Finds each file's crate root (the nearest directory with a `Cargo.toml`), memoised.
#[derive(Debug, Default)]
pub struct CrateRoots {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl CrateRoots {
    /// The crate root of `file`, if some ancestor directory has a `Cargo.toml`.
    pub fn root(&mut self, file: &Path) -> Option<PathBuf> {
        nearest_above(&mut self.by_dir, file.parent()?, None, |d| {
            d.join("Cargo.toml")
                .is_file()
                .then(|| Some(d.to_path_buf()))
        })
    }
}
