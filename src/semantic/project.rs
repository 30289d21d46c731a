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
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::Deserialize;

use super::manifest::ManifestReader;
pub use super::package::{DepKind, Dependency, Edition, Target, TargetKind, normalize};
pub(super) use super::package::{LoadedPackage, crate_name};

/// At most this many workspaces are loaded with `cargo metadata` (one process each, in
/// parallel); more than that are read from their manifests, which is much faster.
pub const MAX_CARGO_WORKSPACES: usize = 4;

/// How long one `cargo metadata` may run before it is killed and the manifests are read instead.
const CARGO_TIMEOUT: Duration = Duration::from_secs(10);

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
    by_dir: HashMap<PathBuf, usize, xxhash_rust::xxh3::Xxh3DefaultBuilder>,
    /// Root file → the targets it is the root of, made on first use
    /// ([`Project::targets_rooted_at`]).
    by_root:
        std::sync::OnceLock<HashMap<PathBuf, Vec<usize>, xxhash_rust::xxh3::Xxh3DefaultBuilder>>,
    /// Package name → the packages of that name, in order, made on first use
    /// ([`Project::local_lib`]).
    by_name:
        std::sync::OnceLock<HashMap<String, Vec<usize>, xxhash_rust::xxh3::Xxh3DefaultBuilder>>,
}

/// Each key's positions in `keys`, in order (the indexes [`Project`] makes on first use).
fn positions_by<K: std::hash::Hash + Eq>(
    keys: impl Iterator<Item = K>,
) -> HashMap<K, Vec<usize>, xxhash_rust::xxh3::Xxh3DefaultBuilder> {
    let mut by: HashMap<K, Vec<usize>, _> = HashMap::default();
    for (i, k) in keys.enumerate() {
        by.entry(k).or_default().push(i);
    }
    by
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

    /// Loads, from the manifests, the workspace a `Cargo.toml` directory belongs to: the
    /// workspace rooted there (a virtual manifest included), else the workspace of the package
    /// there, else that package alone. Empty when `manifest_dir` has no usable manifest.
    pub fn load_root(manifest_dir: &Path) -> Project {
        let mut reader = ManifestReader::default();
        let dir = normalize(manifest_dir);
        let root = match reader.package_dir(&dir) {
            Some(p) if p == dir => reader.workspace_root(&p),
            _ => dir,
        };
        let mut project = Project::default();
        for p in reader.load_workspace(&root) {
            project.add(p);
        }
        project.resolve_extern_names();
        project
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
        self.by_root = std::sync::OnceLock::new();
        self.by_name = std::sync::OnceLock::new();
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

    /// Splits `files` into groups that cannot see each other's items: packages joined by
    /// dependencies on each other's libs (and the members of one workspace) share a group; files
    /// of no package form one group of their own. Returns each file's group, numbered densely
    /// from 0 in order of first appearance.
    pub fn independent_groups(&self, files: &[&Path]) -> Vec<u32> {
        let n = self.packages.len();
        // Union-find over packages, plus one slot for the files of no package.
        let mut parent: Vec<usize> = (0..=n).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
            let (ra, rb) = (find(parent, a), find(parent, b));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        };
        let mut first_of_workspace: HashMap<&Path, usize> = HashMap::new();
        for (p, package) in self.packages.iter().enumerate() {
            let w = *first_of_workspace
                .entry(package.workspace_root.as_path())
                .or_insert(p);
            union(&mut parent, p, w);
            for dep in &package.deps {
                if let Some(lib) = self.local_lib(p, dep) {
                    union(&mut parent, p, self.targets[lib].package);
                }
            }
        }
        let mut dense: HashMap<usize, u32> = HashMap::new();
        files
            .iter()
            .map(|f| {
                let root = find(&mut parent, self.package_of(f).unwrap_or(n));
                let next = dense.len() as u32;
                *dense.entry(root).or_insert(next)
            })
            .collect()
    }

    /// The directories (and, for a build script, the file) whose `.rs` files make up the
    /// targets of `package`.
    pub fn target_roots(&self, package: usize) -> impl Iterator<Item = PathBuf> + '_ {
        self.packages[package].targets.iter().filter_map(|&t| {
            let t = &self.targets[t];
            match t.kind {
                TargetKind::BuildScript => Some(t.root.clone()),
                _ => t.root.parent().map(Path::to_path_buf),
            }
        })
    }

    /// The package owning a file (nearest ancestor manifest dir that is a package of this
    /// project).
    pub fn package_of(&self, file: &Path) -> Option<usize> {
        let file = normalize(file);
        file.ancestors()
            .skip(1)
            .find_map(|d| self.by_dir.get(d).copied())
    }

    /// The targets whose root file is `file` (as [`Target::root`] spells it), in target order.
    /// Every group of the crate-wide phase asks for its own files: walking every target of
    /// the project per group instead was 2% of a cold run over 704 crates.
    pub fn targets_rooted_at(&self, file: &Path) -> &[usize] {
        self.by_root
            .get_or_init(|| positions_by(self.targets.iter().map(|t| t.root.clone())))
            .get(file)
            .map_or(&[], Vec::as_slice)
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
                // By name through an index: every target of every group asks this for each of
                // its dependencies, and a scan of all packages per question was quadratic.
                let root = &self.packages[package].workspace_root;
                let named = self
                    .by_name
                    .get_or_init(|| positions_by(self.packages.iter().map(|p| p.name.clone())));
                named
                    .get(&dep.package)?
                    .iter()
                    .copied()
                    .find(|&q| &self.packages[q].workspace_root == root)?
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A two-member workspace: `a` (edition inherited, path dep renamed, workspace-inherited
    /// deps, every auto-discovered target kind) and `b` (package `beta`, lib named `beta_lib`).
    fn workspace() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(
            r,
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"crates/skip\"]\n\
             [workspace.package]\nedition = \"2021\"\n\
             [workspace.dependencies]\nserde = \"1\"\nbee = { path = \"crates/b\", package = \"beta\" }\n",
        );
        write(
            r,
            "crates/a/Cargo.toml",
            "[package]\nname = \"my-a\"\nversion = \"0.1.0\"\nedition.workspace = true\n\
             [dependencies]\nb = { path = \"../b\", package = \"beta\" }\nserde.workspace = true\n\
             [dev-dependencies]\nproptest = \"1\"\nbee.workspace = true\n\
             [build-dependencies]\ncc = \"1\"\n\
             [target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n",
        );
        for f in [
            "src/lib.rs",
            "src/main.rs",
            "src/bin/x.rs",
            "src/bin/y/main.rs",
            "tests/t.rs",
            "tests/u/main.rs",
            "examples/ex.rs",
            "benches/bn.rs",
            "build.rs",
        ] {
            write(r, &format!("crates/a/{f}"), "");
        }
        write(
            r,
            "crates/b/Cargo.toml",
            "[package]\nname = \"beta\"\nversion = \"0.1.0\"\nedition = \"2018\"\n\
             [lib]\nname = \"beta_lib\"\npath = \"lib/beta.rs\"\n",
        );
        write(r, "crates/b/lib/beta.rs", "");
        write(r, "crates/skip/Cargo.toml", "[package]\nname = \"skip\"\n");
        write(r, "crates/skip/src/lib.rs", "");
        t
    }

    fn target<'p>(p: &'p Project, kind: TargetKind, name: &str) -> (usize, &'p Target) {
        p.targets
            .iter()
            .enumerate()
            .find(|(_, t)| t.kind == kind && t.name == name)
            .unwrap_or_else(|| panic!("no {kind:?} {name} in {:#?}", p.targets))
    }

    fn names(p: &Project, target: usize) -> Vec<String> {
        p.extern_prelude(target)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn targets_are_found_by_their_root_file() {
        let t = workspace();
        let r = t.path();
        let p = Project::load_from_manifests(&[r.join("crates/a/src/lib.rs")]);
        let lib = normalize(&r.join("crates/a/src/lib.rs"));
        let rooted = p.targets_rooted_at(&lib);
        assert_eq!(rooted.len(), 1, "{rooted:?}");
        assert_eq!(p.targets[rooted[0]].kind, TargetKind::Lib);
        // Every target is found from its own root, and only there.
        for (ti, target) in p.targets.iter().enumerate() {
            assert!(p.targets_rooted_at(&target.root).contains(&ti));
        }
        assert!(
            p.targets_rooted_at(&r.join("crates/a/src/other.rs"))
                .is_empty()
        );
        // Packages added after a lookup are seen (the index is made again).
        let mut grown = Project::default();
        assert!(grown.targets_rooted_at(&lib).is_empty());
        for pkg in ManifestReader::default().load_workspace(&normalize(r)) {
            grown.add(pkg);
        }
        assert!(!grown.targets.is_empty());
        for (ti, target) in grown.targets.iter().enumerate() {
            assert!(grown.targets_rooted_at(&target.root).contains(&ti));
        }
    }

    #[test]
    fn workspace_members_targets_and_deps() {
        let t = workspace();
        let r = t.path();
        let p = Project::load_from_manifests(&[r.join("crates/a/src/lib.rs")]);
        let mut pkgs: Vec<&str> = p.packages.iter().map(|p| p.name.as_str()).collect();
        pkgs.sort();
        assert_eq!(pkgs, ["beta", "my-a"]);
        let a = p.package_of(&r.join("crates/a/src/bin/y/main.rs")).unwrap();
        let a_pkg = &p.packages[a];
        assert_eq!(a_pkg.name, "my-a");
        assert_eq!(a_pkg.edition, Edition::E2021);
        assert_eq!(a_pkg.workspace_root, normalize(r));
        let b = p.package_of(&r.join("crates/b/lib/beta.rs")).unwrap();
        assert_eq!(p.packages[b].edition, Edition::E2018);
        assert_eq!(p.package_of(&r.join("crates/skip/src/lib.rs")), None);

        let mut kinds: Vec<(TargetKind, &str, PathBuf)> = a_pkg
            .targets
            .iter()
            .map(|&i| {
                let t = &p.targets[i];
                assert_eq!(t.package, a);
                let rel = t.root.strip_prefix(normalize(r).join("crates/a")).unwrap();
                (t.kind, t.name.as_str(), rel.to_path_buf())
            })
            .collect();
        kinds.sort();
        let expected: Vec<(TargetKind, &str, PathBuf)> = [
            (TargetKind::Lib, "my_a", "src/lib.rs"),
            (TargetKind::Bin, "my-a", "src/main.rs"),
            (TargetKind::Bin, "x", "src/bin/x.rs"),
            (TargetKind::Bin, "y", "src/bin/y/main.rs"),
            (TargetKind::Test, "t", "tests/t.rs"),
            (TargetKind::Test, "u", "tests/u/main.rs"),
            (TargetKind::Bench, "bn", "benches/bn.rs"),
            (TargetKind::Example, "ex", "examples/ex.rs"),
            (TargetKind::BuildScript, "build-script-build", "build.rs"),
        ]
        .into_iter()
        .map(|(k, n, f)| (k, n, PathBuf::from(f)))
        .collect();
        let mut expected = expected;
        expected.sort();
        assert_eq!(kinds, expected);

        let dep = |name: &str| a_pkg.deps.iter().find(|d| d.extern_name == name).unwrap();
        assert_eq!(dep("b").package, "beta");
        assert_eq!(dep("b").path, Some(normalize(&r.join("crates/b"))));
        assert_eq!(dep("bee").kind, DepKind::Dev);
        assert_eq!(dep("bee").path, Some(normalize(&r.join("crates/b"))));
        assert_eq!(dep("serde").path, None);
        assert_eq!(dep("libc").kind, DepKind::Normal);
        assert_eq!(dep("cc").kind, DepKind::Build);
    }

    #[test]
    fn extern_prelude_per_target_kind() {
        let t = workspace();
        let p = Project::load_from_manifests(&[t.path().join("crates/a/src/main.rs")]);
        let (lib, _) = target(&p, TargetKind::Lib, "my_a");
        let (beta, _) = target(&p, TargetKind::Lib, "beta_lib");
        let (bin, _) = target(&p, TargetKind::Bin, "x");
        let (test, _) = target(&p, TargetKind::Test, "t");
        let (build, _) = target(&p, TargetKind::BuildScript, "build-script-build");
        let std3 = ["std", "core", "alloc"];

        let bin_prelude = p.extern_prelude(bin);
        assert_eq!(bin_prelude[0], ("my_a".into(), ExternCrate::Local(lib)));
        assert!(bin_prelude.contains(&("b".into(), ExternCrate::Local(beta))));
        assert!(bin_prelude.contains(&("serde".into(), ExternCrate::External("serde".into()))));
        let mut n = names(&p, bin);
        n.sort();
        let mut want = vec!["my_a", "b", "serde", "libc"];
        want.extend(std3);
        want.sort();
        assert_eq!(n, want, "no dev-deps in a bin");

        let test_prelude = p.extern_prelude(test);
        assert!(test_prelude.contains(&("my_a".into(), ExternCrate::Local(lib))));
        assert!(test_prelude.contains(&("bee".into(), ExternCrate::Local(beta))));
        assert!(
            test_prelude.contains(&("proptest".into(), ExternCrate::External("proptest".into())))
        );

        let lib_names = names(&p, lib);
        assert!(
            !lib_names.contains(&"my_a".to_string()),
            "the lib does not see itself"
        );
        assert!(
            lib_names.contains(&"proptest".to_string()),
            "unit tests see dev-deps"
        );
        assert!(!lib_names.contains(&"cc".to_string()));

        let mut build_names = names(&p, build);
        build_names.sort();
        let mut want = vec!["cc"];
        want.extend(std3);
        want.sort();
        assert_eq!(build_names, want);

        assert_eq!(p.lib_of(p.targets[beta].package), Some(beta));
    }

    #[test]
    fn dependency_named_after_local_lib() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n");
        write(
            r,
            "a/Cargo.toml",
            "[package]\nname = \"a\"\n[dependencies]\nbeta = { path = \"../b\" }\n",
        );
        write(r, "a/src/main.rs", "");
        write(
            r,
            "b/Cargo.toml",
            "[package]\nname = \"beta\"\n[lib]\nname = \"beta_core\"\n",
        );
        write(r, "b/src/lib.rs", "");
        let p = Project::load_from_manifests(&[r.join("a/src/main.rs")]);
        let (bin, _) = target(&p, TargetKind::Bin, "a");
        let (lib, _) = target(&p, TargetKind::Lib, "beta_core");
        assert_eq!(
            p.extern_prelude(bin)[0],
            ("beta_core".into(), ExternCrate::Local(lib))
        );
        assert_eq!(p.packages[p.targets[bin].package].edition, Edition::E2015);
    }

    #[test]
    fn explicit_targets_and_autotests_off() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(
            r,
            "Cargo.toml",
            "[package]\nname = \"p\"\nedition = \"2021\"\nautotests = false\nbuild = \"gen/b.rs\"\n\
             [lib]\nname = \"core_lib\"\npath = \"code/lib.rs\"\nedition = \"2024\"\n\
             [[test]]\nname = \"kept\"\n\
             [[bin]]\nname = \"tool\"\npath = \"tools/tool.rs\"\n",
        );
        for f in [
            "code/lib.rs",
            "src/lib.rs",
            "tests/kept.rs",
            "tests/dropped.rs",
            "tools/tool.rs",
            "src/bin/other.rs",
            "gen/b.rs",
        ] {
            write(r, f, "");
        }
        let p = Project::load_from_manifests(&[r.join("code/lib.rs")]);
        let (_, lib) = target(&p, TargetKind::Lib, "core_lib");
        assert_eq!(lib.root, normalize(&r.join("code/lib.rs")));
        assert_eq!(lib.edition, Edition::E2024);
        assert_eq!(lib.crate_name, "core_lib");
        target(&p, TargetKind::Test, "kept");
        target(&p, TargetKind::Bin, "tool");
        target(&p, TargetKind::Bin, "other"); // autobins still on (edition 2021)
        let (_, build) = target(&p, TargetKind::BuildScript, "build-script-build");
        assert_eq!(build.root, normalize(&r.join("gen/b.rs")));
        assert_eq!(p.targets.len(), 5, "{:#?}", p.targets);
        assert!(TargetKind::Test.is_test_code() && !TargetKind::Example.is_test_code());
    }

    #[test]
    fn malformed_and_outside() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "outer/Cargo.toml", "[package]\nname = \"outer\"\n");
        write(r, "outer/src/lib.rs", "");
        write(r, "outer/inner/Cargo.toml", "[package\nname = ");
        write(r, "outer/inner/src/lib.rs", "");
        write(r, "loose/x.rs", "");
        let files = [
            r.join("outer/inner/src/lib.rs"),
            r.join("loose/x.rs"),
            r.join("outer/src/lib.rs"),
        ];
        for p in [Project::load_from_manifests(&files), Project::load(&files)] {
            assert_eq!(p.packages.len(), 1);
            assert_eq!(p.packages[0].name, "outer");
            assert_eq!(p.package_of(&r.join("loose/x.rs")), None);
            assert_eq!(p.package_of(&r.join("outer/src/lib.rs")), Some(0));
        }
        assert!(Project::load(&[]).packages.is_empty());
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert!(normalize(Path::new("x/../y")).is_absolute());
    }

    /// A comparable summary of a package: name, edition, targets and dependencies, sorted.
    type Summary = (
        String,
        Edition,
        Vec<(TargetKind, String, String, PathBuf, Edition)>,
        Vec<Dependency>,
    );

    fn summary(p: &Project) -> Vec<Summary> {
        let mut out: Vec<Summary> = p
            .packages
            .iter()
            .map(|pkg| {
                let mut targets: Vec<_> = pkg
                    .targets
                    .iter()
                    .map(|&i| {
                        let t = &p.targets[i];
                        (
                            t.kind,
                            t.name.clone(),
                            t.crate_name.clone(),
                            t.root.clone(),
                            t.edition,
                        )
                    })
                    .collect();
                targets.sort();
                let mut deps = pkg.deps.clone();
                deps.sort();
                (pkg.name.clone(), pkg.edition, targets, deps)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn cargo_metadata_agrees_with_manifests() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let runs = Command::new(&cargo)
            .arg("--version")
            .env("RUSTUP_AUTO_INSTALL", "0")
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success());
        // The tests run under cargo, so cargo is there.
        assert!(runs, "cargo cannot be run");
        let t = workspace();
        let root = normalize(t.path());
        let from_cargo = cargo_metadata(&root).expect("cargo metadata");
        assert_eq!(from_cargo.len(), 2);
        let mut cargo_project = Project::default();
        for p in from_cargo {
            cargo_project.add(p);
        }
        cargo_project.resolve_extern_names();
        let manifests = Project::load_from_manifests(&[root.join("crates/a/src/lib.rs")]);
        assert_eq!(summary(&cargo_project), summary(&manifests));
        // And `load` takes the cargo path for a single workspace and gives the same model.
        let loaded = Project::load(&[root.join("crates/a/src/lib.rs")]);
        assert_eq!(summary(&loaded), summary(&manifests));
    }
}
