//! The project model (layer L0): the packages that own the linted files, their targets
//! (lib, bins, tests, benches, examples, build script) and dependencies, and each target's
//! extern prelude.
//!
//! [`Project::load`] asks `cargo metadata --no-deps --offline` when the files span at most
//! [`MAX_CARGO_WORKSPACES`] workspaces, and otherwise (or when cargo fails, times out or is
//! absent) reads the manifests itself and infers targets the way cargo does
//! ([`Project::load_from_manifests`]). Every path in the model is absolute and lexically
//! normalised ([`normalize`]). Nothing here fails or prints.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::Deserialize;

use super::manifest::ManifestReader;

/// At most this many workspaces are loaded with `cargo metadata` (one process each, in
/// parallel); more than that are read from their manifests, which is much faster.
pub const MAX_CARGO_WORKSPACES: usize = 4;

/// How long one `cargo metadata` may run before it is killed and the manifests are read instead.
const CARGO_TIMEOUT: Duration = Duration::from_secs(10);

/// The Rust edition, where it changes drop order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Edition {
    /// 2015 (also what cargo assumes for a `[package]` without `edition`)
    E2015,
    /// 2018
    E2018,
    /// 2021 (the default when no Cargo.toml says otherwise)
    #[default]
    E2021,
    /// 2024
    E2024,
}

impl Edition {
    /// Parses `"2015"`, `"2018"`, `"2021"` or `"2024"`.
    pub fn parse(s: &str) -> Option<Edition> {
        match s.trim() {
            "2015" => Some(Edition::E2015),
            "2018" => Some(Edition::E2018),
            "2021" => Some(Edition::E2021),
            "2024" => Some(Edition::E2024),
            _ => None,
        }
    }
}

/// What a target builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    /// The library (also proc-macro, cdylib, dylib, rlib, staticlib).
    Lib,
    /// A binary.
    Bin,
    /// An integration test.
    Test,
    /// A benchmark.
    Bench,
    /// An example.
    Example,
    /// The build script (`build.rs`).
    BuildScript,
}

impl TargetKind {
    /// Whether the whole target is test code (integration tests and benchmarks).
    pub fn is_test_code(self) -> bool {
        matches!(self, TargetKind::Test | TargetKind::Bench)
    }
}

/// One compilation target of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Cargo's name for the target.
    pub name: String,
    /// The name as code spells it (`-` replaced by `_`).
    pub crate_name: String,
    /// What the target builds.
    pub kind: TargetKind,
    /// The crate root file, absolute and normalised.
    pub root: PathBuf,
    /// The target's edition.
    pub edition: Edition,
    /// Index of its package in [`Project::packages`].
    pub package: usize,
}

/// Which table a dependency comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepKind {
    /// `[dependencies]`
    Normal,
    /// `[dev-dependencies]`
    Dev,
    /// `[build-dependencies]`
    Build,
}

/// One dependency of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dependency {
    /// How code names it: the rename if any, else the lib name of the depended-on package when
    /// it is in the project, else the package name; `-` replaced by `_`.
    pub extern_name: String,
    /// The depended-on package's name.
    pub package: String,
    /// The manifest's key when it differs from the package name (`b = { package = "beta" }`).
    pub rename: Option<String>,
    /// Which table it comes from.
    pub kind: DepKind,
    /// The manifest directory of a path dependency (absolute, normalised).
    pub path: Option<PathBuf>,
}

/// One package of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package name.
    pub name: String,
    /// The directory of its `Cargo.toml` (absolute, normalised).
    pub manifest_dir: PathBuf,
    /// The directory of its workspace's root manifest (its own directory when it is alone).
    pub workspace_root: PathBuf,
    /// The package's edition.
    pub edition: Edition,
    /// Its dependencies, from every dependency table.
    pub deps: Vec<Dependency>,
    /// Indices of its targets in [`Project::targets`].
    pub targets: Vec<usize>,
}

/// What an extern-prelude name refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExternCrate {
    /// A lib target of this project (index into [`Project::targets`]).
    Local(usize),
    /// A crate outside the project, by the name code spells.
    External(String),
}

/// The packages and targets that own a set of files.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// Every loaded package.
    pub packages: Vec<Package>,
    /// Every target of every package.
    pub targets: Vec<Target>,
    /// Manifest directory → package index.
    by_dir: HashMap<PathBuf, usize>,
}

/// A package as a loader produced it, before it is indexed into a [`Project`]
/// (its targets' `package` fields are not yet meaningful).
#[derive(Debug, Clone)]
pub(super) struct LoadedPackage {
    pub name: String,
    pub manifest_dir: PathBuf,
    pub workspace_root: PathBuf,
    pub edition: Edition,
    pub deps: Vec<Dependency>,
    pub targets: Vec<Target>,
}

/// `path` made absolute (against the current directory) with `.` and `..` resolved lexically,
/// without touching the filesystem.
pub fn normalize(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

impl Project {
    /// Loads the model of every package that owns one of `files` (each file's nearest ancestor
    /// Cargo.toml with a `[package]`, plus the other members of its workspace). Never fails:
    /// files with no Cargo.toml simply belong to no package.
    pub fn load(files: &[PathBuf]) -> Project {
        Self::load_with(files, true)
    }

    /// Like [`Project::load`] but never runs cargo: reads the manifests and infers targets.
    pub fn load_from_manifests(files: &[PathBuf]) -> Project {
        Self::load_with(files, false)
    }

    fn load_with(files: &[PathBuf], use_cargo: bool) -> Project {
        let mut reader = ManifestReader::default();
        let mut package_dirs: Vec<PathBuf> = Vec::new();
        for file in files {
            let file = normalize(file);
            if let Some(dir) = file.parent().and_then(|d| reader.package_dir(d)) {
                if !package_dirs.contains(&dir) {
                    package_dirs.push(dir);
                }
            }
        }
        let mut roots: Vec<PathBuf> = Vec::new();
        for dir in &package_dirs {
            let root = reader.workspace_root(dir);
            if !roots.contains(&root) {
                roots.push(root);
            }
        }

        let from_cargo: Vec<Option<Vec<LoadedPackage>>> =
            if use_cargo && roots.len() <= MAX_CARGO_WORKSPACES {
                std::thread::scope(|s| {
                    let handles: Vec<_> = roots
                        .iter()
                        .map(|root| s.spawn(move || cargo_metadata(root).ok()))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().ok().flatten())
                        .collect()
                })
            } else {
                vec![None; roots.len()]
            };

        let mut project = Project::default();
        for (root, loaded) in roots.iter().zip(from_cargo) {
            let loaded = loaded.unwrap_or_else(|| reader.load_workspace(root));
            for p in loaded {
                project.add(p);
            }
        }
        // A package its workspace did not yield (cargo disagreed about membership, say).
        for dir in &package_dirs {
            if !project.by_dir.contains_key(dir) {
                let root = reader.workspace_root(dir);
                if let Some(p) = reader.load_package(dir, &root) {
                    project.add(p);
                }
            }
        }
        project.resolve_extern_names();
        project
    }

    fn add(&mut self, p: LoadedPackage) {
        if self.by_dir.contains_key(&p.manifest_dir) {
            return;
        }
        let index = self.packages.len();
        let mut targets = Vec::with_capacity(p.targets.len());
        for mut t in p.targets {
            t.package = index;
            targets.push(self.targets.len());
            self.targets.push(t);
        }
        self.by_dir.insert(p.manifest_dir.clone(), index);
        self.packages.push(Package {
            name: p.name,
            manifest_dir: p.manifest_dir,
            workspace_root: p.workspace_root,
            edition: p.edition,
            deps: p.deps,
            targets,
        });
    }

    /// Un-renamed dependencies on project packages are named after that package's lib target.
    fn resolve_extern_names(&mut self) {
        let mut renames = Vec::new();
        for (p, package) in self.packages.iter().enumerate() {
            for (d, dep) in package.deps.iter().enumerate() {
                if dep.rename.is_none() {
                    if let Some(lib) = self.local_lib(p, dep) {
                        renames.push((p, d, self.targets[lib].crate_name.clone()));
                    }
                }
            }
        }
        for (p, d, name) in renames {
            self.packages[p].deps[d].extern_name = name;
        }
    }

    /// The package owning a file (nearest ancestor manifest dir that is a package of this
    /// project).
    pub fn package_of(&self, file: &Path) -> Option<usize> {
        let file = normalize(file);
        file.ancestors()
            .skip(1)
            .find_map(|d| self.by_dir.get(d).copied())
    }

    /// The lib target of a package, if it has one.
    pub fn lib_of(&self, package: usize) -> Option<usize> {
        self.packages[package]
            .targets
            .iter()
            .copied()
            .find(|&t| self.targets[t].kind == TargetKind::Lib)
    }

    /// The lib target a dependency of `package` resolves to, when the depended-on package is
    /// in this project: by manifest directory for a path dependency, else by name within the
    /// same workspace.
    pub fn local_lib(&self, package: usize, dep: &Dependency) -> Option<usize> {
        let owner = match &dep.path {
            Some(path) => *self.by_dir.get(path)?,
            None => {
                let root = &self.packages[package].workspace_root;
                self.packages
                    .iter()
                    .position(|q| q.name == dep.package && &q.workspace_root == root)?
            }
        };
        self.lib_of(owner)
    }

    /// The extern prelude of a target: (extern name, what it is). Normal dependencies are
    /// visible to every target but the build script, dev-dependencies to tests, benches,
    /// examples and the lib (its unit tests), build-dependencies only to the build script. The
    /// package's own lib is visible from its bins, tests, benches and examples. `std`, `core`
    /// and `alloc` are always there.
    pub fn extern_prelude(&self, target: usize) -> Vec<(String, ExternCrate)> {
        let t = &self.targets[target];
        let mut out: Vec<(String, ExternCrate)> = Vec::new();
        let mut push = |name: &str, what: ExternCrate| {
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), what));
            }
        };
        use TargetKind::*;
        if matches!(t.kind, Bin | Test | Bench | Example) {
            if let Some(lib) = self.lib_of(t.package) {
                push(&self.targets[lib].crate_name, ExternCrate::Local(lib));
            }
        }
        for dep in &self.packages[t.package].deps {
            let visible = match dep.kind {
                DepKind::Normal => t.kind != BuildScript,
                DepKind::Dev => matches!(t.kind, Lib | Test | Bench | Example),
                DepKind::Build => t.kind == BuildScript,
            };
            if visible {
                let what = match self.local_lib(t.package, dep) {
                    Some(lib) => ExternCrate::Local(lib),
                    None => ExternCrate::External(dep.extern_name.clone()),
                };
                push(&dep.extern_name, what);
            }
        }
        for name in ["std", "core", "alloc"] {
            push(name, ExternCrate::External(name.to_string()));
        }
        out
    }
}

/// The name code spells for a crate or target name.
pub(super) fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    #[serde(default)]
    workspace_members: Vec<String>,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    id: String,
    manifest_path: PathBuf,
    #[serde(default)]
    edition: String,
    #[serde(default)]
    targets: Vec<MetaTarget>,
    #[serde(default)]
    dependencies: Vec<MetaDep>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
    #[serde(default)]
    edition: String,
}

#[derive(Deserialize)]
struct MetaDep {
    name: String,
    #[serde(default)]
    rename: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    path: Option<PathBuf>,
}

/// Cargo's target kinds, most specific first.
fn target_kind(kinds: &[String]) -> Option<TargetKind> {
    let has = |k: &str| kinds.iter().any(|x| x == k);
    const LIBS: [&str; 6] = ["lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"];
    if has("custom-build") {
        Some(TargetKind::BuildScript)
    } else if has("example") {
        Some(TargetKind::Example)
    } else if has("test") {
        Some(TargetKind::Test)
    } else if has("bench") {
        Some(TargetKind::Bench)
    } else if has("bin") {
        Some(TargetKind::Bin)
    } else if LIBS.iter().any(|k| has(k)) {
        Some(TargetKind::Lib)
    } else {
        None
    }
}

/// Runs `cargo metadata --no-deps --offline` on the workspace rooted at `root` (killed after
/// [`CARGO_TIMEOUT`]) and converts its members.
fn cargo_metadata(root: &Path) -> Result<Vec<LoadedPackage>, String> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(program)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .env("RUSTUP_AUTO_INSTALL", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let (tx, rx) = mpsc::channel();
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let read = stdout.read_to_end(&mut buf).map(|_| buf);
        let _ = tx.send(read);
    });
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = e.read_to_string(&mut buf);
            buf
        })
    });
    let out = match rx.recv_timeout(CARGO_TIMEOUT) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("reading cargo's output: {e}"));
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err("cargo metadata timed out".into());
        }
    };
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
        return Err(format!("cargo metadata failed: {}", err.trim()));
    }
    let meta: Metadata = serde_json::from_slice(&out).map_err(|e| e.to_string())?;
    Ok(convert(meta))
}

fn convert(meta: Metadata) -> Vec<LoadedPackage> {
    let workspace_root = normalize(&meta.workspace_root);
    let mut out = Vec::new();
    for p in meta.packages {
        if !meta.workspace_members.is_empty() && !meta.workspace_members.contains(&p.id) {
            continue;
        }
        let Some(manifest_dir) = p.manifest_path.parent().map(normalize) else {
            continue;
        };
        let edition = Edition::parse(&p.edition).unwrap_or(Edition::E2015);
        let targets = p
            .targets
            .into_iter()
            .filter_map(|t| {
                Some(Target {
                    kind: target_kind(&t.kind)?,
                    crate_name: crate_name(&t.name),
                    name: t.name,
                    root: normalize(&t.src_path),
                    edition: Edition::parse(&t.edition).unwrap_or(edition),
                    package: 0,
                })
            })
            .collect();
        let deps = p
            .dependencies
            .into_iter()
            .map(|d| Dependency {
                extern_name: crate_name(d.rename.as_deref().unwrap_or(&d.name)),
                package: d.name,
                rename: d.rename,
                kind: match d.kind.as_deref() {
                    Some("dev") => DepKind::Dev,
                    Some("build") => DepKind::Build,
                    _ => DepKind::Normal,
                },
                path: d.path.as_deref().map(normalize),
            })
            .collect();
        out.push(LoadedPackage {
            name: p.name,
            manifest_dir,
            workspace_root: workspace_root.clone(),
            edition,
            deps,
            targets,
        });
    }
    out
}
