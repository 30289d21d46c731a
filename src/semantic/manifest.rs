//! The manifest reader: what `cargo metadata --no-deps` would say, read from `Cargo.toml` files
//! with the `toml` crate. Finds a file's package and workspace, expands workspace members, and
//! infers targets and dependencies the way cargo does. Malformed manifests are skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobBuilder;
use toml::{Table, Value};

use super::package::{
    DepKind, Dependency, Edition, LoadedPackage, Target, TargetKind, crate_name, normalize,
};

/// What a directory's `Cargo.toml` is.
#[derive(Debug, Clone)]
enum Manifest {
    /// No `Cargo.toml` there.
    Absent,
    /// Unreadable or malformed.
    Broken,
    /// Parsed.
    Table(Arc<Table>),
}

/// Reads and memoises manifests, package lookups and workspace members.
#[derive(Debug, Default)]
pub(super) struct ManifestReader {
    /// Directory → its manifest.
    manifests: HashMap<PathBuf, Manifest>,
    /// Directory → the nearest package directory at or above it.
    package_dirs: HashMap<PathBuf, Option<PathBuf>>,
    /// Workspace root → its member package directories.
    members: HashMap<PathBuf, Arc<Vec<PathBuf>>>,
}

fn get_table<'a>(t: &'a Table, key: &str) -> Option<&'a Table> {
    t.get(key).and_then(Value::as_table)
}

/// `{ workspace = true }`
fn inherits(v: &Value) -> bool {
    v.get("workspace").and_then(Value::as_bool) == Some(true)
}

impl ManifestReader {
    fn manifest(&mut self, dir: &Path) -> Manifest {
        if let Some(m) = self.manifests.get(dir) {
            return m.clone();
        }
        let path = dir.join("Cargo.toml");
        let m = if !path.is_file() {
            Manifest::Absent
        } else {
            match std::fs::read_to_string(&path).map(|t| t.parse::<Table>()) {
                Ok(Ok(t)) => Manifest::Table(Arc::new(t)),
                _ => Manifest::Broken,
            }
        };
        self.manifests.insert(dir.to_path_buf(), m.clone());
        m
    }

    fn table(&mut self, dir: &Path) -> Option<Arc<Table>> {
        match self.manifest(dir) {
            Manifest::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The nearest directory at or above `dir` (absolute, normalised) whose manifest has a
    /// `[package]`; virtual manifests are skipped, a malformed one ends the search with `None`.
    pub fn package_dir(&mut self, dir: &Path) -> Option<PathBuf> {
        let mut visited = Vec::new();
        let mut found = None;
        for d in dir.ancestors() {
            if let Some(known) = self.package_dirs.get(d) {
                found = known.clone();
                break;
            }
            visited.push(d.to_path_buf());
            match self.manifest(d) {
                Manifest::Absent => {}
                Manifest::Broken => break,
                Manifest::Table(t) if t.contains_key("package") => {
                    found = Some(d.to_path_buf());
                    break;
                }
                Manifest::Table(_) => {}
            }
        }
        for d in visited {
            self.package_dirs.insert(d, found.clone());
        }
        found
    }

    /// The workspace root directory of the package in `dir`: `package.workspace` if set, else
    /// the nearest manifest with a `[workspace]` that has it as a member (skipping ones that
    /// exclude it); the package's own directory when it is alone.
    pub fn workspace_root(&mut self, dir: &Path) -> PathBuf {
        let Some(own) = self.table(dir) else {
            return dir.to_path_buf();
        };
        let explicit = get_table(&own, "package")
            .and_then(|p| p.get("workspace"))
            .and_then(Value::as_str);
        if let Some(rel) = explicit {
            let mut root = normalize(&dir.join(rel));
            if root.file_name().is_some_and(|n| n == "Cargo.toml") {
                root.pop();
            }
            return root;
        }
        for d in dir.ancestors() {
            let Some(t) = self.table(d) else { continue };
            let Some(ws) = get_table(&t, "workspace") else {
                continue;
            };
            if d == dir {
                return d.to_path_buf();
            }
            if excluded(d, ws, dir) {
                continue;
            }
            if self.members(d).iter().any(|m| m == dir) {
                return d.to_path_buf();
            }
            break;
        }
        dir.to_path_buf()
    }

    /// The member package directories of the workspace rooted at `root`: the root package,
    /// `members` globs minus `exclude`, and path dependencies of members inside the root.
    pub fn members(&mut self, root: &Path) -> Arc<Vec<PathBuf>> {
        if let Some(m) = self.members.get(root) {
            return m.clone();
        }
        let mut out = Vec::new();
        if let Some(t) = self.table(root) {
            if t.contains_key("package") {
                out.push(root.to_path_buf());
            }
            if let Some(ws) = get_table(&t, "workspace") {
                let patterns = ws.get("members").and_then(Value::as_array);
                for pattern in patterns.into_iter().flatten().filter_map(Value::as_str) {
                    for dir in expand(root, pattern) {
                        let is_package =
                            self.table(&dir).is_some_and(|m| m.contains_key("package"));
                        if is_package && !excluded(root, ws, &dir) && !out.contains(&dir) {
                            out.push(dir);
                        }
                    }
                }
                // Path dependencies inside the workspace are members too.
                let mut i = 0;
                while i < out.len() {
                    let dir = out[i].clone();
                    i += 1;
                    let Some(m) = self.table(&dir) else { continue };
                    for dep in dependencies(&dir, &m, Some(ws), root) {
                        let Some(path) = dep.path else { continue };
                        if path.starts_with(root)
                            && !excluded(root, ws, &path)
                            && !out.contains(&path)
                            && self.table(&path).is_some_and(|m| m.contains_key("package"))
                        {
                            out.push(path);
                        }
                    }
                }
            }
        }
        let out = Arc::new(out);
        self.members.insert(root.to_path_buf(), out.clone());
        out
    }

    /// Every member package of the workspace rooted at `root`.
    pub fn load_workspace(&mut self, root: &Path) -> Vec<LoadedPackage> {
        let members = self.members(root);
        members
            .iter()
            .filter_map(|dir| self.load_package(dir, root))
            .collect()
    }

    /// The package in `dir`, inheriting from the workspace rooted at `root`.
    pub fn load_package(&mut self, dir: &Path, root: &Path) -> Option<LoadedPackage> {
        let m = self.table(dir)?;
        let package = get_table(&m, "package")?;
        let name = package.get("name")?.as_str()?.to_string();
        let root_manifest = self.table(root);
        let ws = root_manifest
            .as_deref()
            .and_then(|t| get_table(t, "workspace"));
        let edition = match package.get("edition") {
            Some(Value::String(s)) => Edition::parse(s).unwrap_or_default(),
            Some(v) if inherits(v) => ws
                .and_then(|w| get_table(w, "package"))
                .and_then(|p| p.get("edition"))
                .and_then(Value::as_str)
                .and_then(Edition::parse)
                .unwrap_or_default(),
            Some(_) => Edition::default(),
            None => Edition::E2015,
        };
        let deps = dependencies(dir, &m, ws, root);
        let targets = targets(dir, &name, edition, &m, package);
        Some(LoadedPackage {
            name,
            manifest_dir: dir.to_path_buf(),
            workspace_root: root.to_path_buf(),
            edition,
            deps,
            targets,
        })
    }
}

/// Whether `[workspace] exclude` (paths relative to `root`) covers `dir`.
fn excluded(root: &Path, ws: &Table, dir: &Path) -> bool {
    let exclude = ws.get("exclude").and_then(Value::as_array);
    exclude
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|e| dir.starts_with(normalize(&root.join(e))))
}

/// The directories a `members` entry names: the path itself, or the directories matching it as
/// a glob.
fn expand(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let is_glob = |s: &str| s.contains(['*', '?', '[', '{']);
    if !is_glob(pattern) {
        return vec![normalize(&root.join(pattern))];
    }
    let parts: Vec<&str> = pattern.split('/').collect();
    let literal = parts.iter().take_while(|p| !is_glob(p)).count();
    let base = normalize(&root.join(parts[..literal].join("/")));
    let depth = if parts[literal..].contains(&"**") {
        8
    } else {
        parts.len() - literal
    };
    let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() else {
        return Vec::new();
    };
    let glob = glob.compile_matcher();
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(&base)
        .min_depth(1)
        .max_depth(depth)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .filter(|e| {
            e.path()
                .strip_prefix(root)
                .is_ok_and(|rel| glob.is_match(rel))
        })
        .map(|e| e.path().to_path_buf())
        .collect();
    out.sort();
    out
}

/// The dependency tables of a manifest, with their kinds (`[target.*]` ones included).
fn dependency_tables(m: &Table) -> Vec<(DepKind, &Table)> {
    const KINDS: [(&str, DepKind); 5] = [
        ("dependencies", DepKind::Normal),
        ("dev-dependencies", DepKind::Dev),
        ("dev_dependencies", DepKind::Dev),
        ("build-dependencies", DepKind::Build),
        ("build_dependencies", DepKind::Build),
    ];
    let mut scopes = vec![m];
    if let Some(targets) = get_table(m, "target") {
        scopes.extend(targets.values().filter_map(Value::as_table));
    }
    let mut out = Vec::new();
    for scope in scopes {
        for (key, kind) in KINDS {
            if let Some(t) = get_table(scope, key) {
                out.push((kind, t));
            }
        }
    }
    out
}

/// The dependencies of the package in `dir` (manifest `m`), resolving `workspace = true`
/// against `ws` (the `[workspace]` table of the manifest in `root`).
fn dependencies(dir: &Path, m: &Table, ws: Option<&Table>, root: &Path) -> Vec<Dependency> {
    let ws_deps = ws.and_then(|w| get_table(w, "dependencies"));
    let mut out = Vec::new();
    for (kind, table) in dependency_tables(m) {
        for (key, spec) in table {
            let (spec, base) = match ws_deps.and_then(|d| d.get(key)) {
                Some(ws_spec) if inherits(spec) => (ws_spec, root),
                _ => (spec, dir),
            };
            let package = spec.get("package").and_then(Value::as_str).unwrap_or(key);
            let path = spec.get("path").and_then(Value::as_str);
            let rename = (package != key).then(|| key.clone());
            out.push(Dependency {
                extern_name: crate_name(rename.as_deref().unwrap_or(package)),
                package: package.to_string(),
                rename,
                kind,
                path: path.map(|p| normalize(&base.join(p))),
            });
        }
    }
    out
}

/// One non-lib target kind's manifest key, auto-discovery flag and directory.
struct Convention {
    kind: TargetKind,
    key: &'static str,
    auto: &'static str,
    dir: &'static str,
}

const CONVENTIONS: [Convention; 4] = [
    Convention {
        kind: TargetKind::Bin,
        key: "bin",
        auto: "autobins",
        dir: "src/bin",
    },
    Convention {
        kind: TargetKind::Example,
        key: "example",
        auto: "autoexamples",
        dir: "examples",
    },
    Convention {
        kind: TargetKind::Test,
        key: "test",
        auto: "autotests",
        dir: "tests",
    },
    Convention {
        kind: TargetKind::Bench,
        key: "bench",
        auto: "autobenches",
        dir: "benches",
    },
];

/// `<dir>/*.rs` and `<dir>/*/main.rs`, as (name, path), sorted by name.
fn discover(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.is_dir() {
            let main = path.join("main.rs");
            if main.is_file() {
                out.push((name.to_string(), main));
            }
        } else if let Some(stem) = name.strip_suffix(".rs") {
            out.push((stem.to_string(), path.clone()));
        }
    }
    out.sort();
    out
}

/// The package's targets, inferred the way cargo does.
fn targets(dir: &Path, name: &str, edition: Edition, m: &Table, package: &Table) -> Vec<Target> {
    let target_edition = |t: Option<&Table>| {
        t.and_then(|t| t.get("edition"))
            .and_then(Value::as_str)
            .and_then(Edition::parse)
            .unwrap_or(edition)
    };
    let make = |kind, name: &str, root: PathBuf, edition| Target {
        name: name.to_string(),
        crate_name: crate_name(name),
        kind,
        root: normalize(&root),
        edition,
        package: 0,
    };
    let mut out = Vec::new();

    let lib = get_table(m, "lib");
    let lib_path = match lib.and_then(|l| l.get("path")).and_then(Value::as_str) {
        Some(p) => Some(dir.join(p)),
        None => Some(dir.join("src/lib.rs")).filter(|p| p.is_file()),
    };
    if let Some(path) = lib_path {
        let lib_name = lib.and_then(|l| l.get("name")).and_then(Value::as_str);
        let lib_name = crate_name(lib_name.unwrap_or(name));
        out.push(make(TargetKind::Lib, &lib_name, path, target_edition(lib)));
    }

    for c in &CONVENTIONS {
        let mut inferred = discover(&dir.join(c.dir));
        if c.kind == TargetKind::Bin {
            let main = dir.join("src/main.rs");
            if main.is_file() {
                inferred.insert(0, (name.to_string(), main));
            }
        }
        let explicit: Vec<&Table> = m
            .get(c.key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_table)
            .collect();
        let mut seen_names = Vec::new();
        let mut seen_paths = Vec::new();
        for t in &explicit {
            let Some(tname) = t.get("name").and_then(Value::as_str) else {
                continue;
            };
            let path = match t.get("path").and_then(Value::as_str) {
                Some(p) => Some(normalize(&dir.join(p))),
                None => inferred
                    .iter()
                    .find(|(n, _)| n == tname)
                    .map(|(_, p)| p.clone())
                    .or_else(|| {
                        let file = dir.join(c.dir).join(format!("{tname}.rs"));
                        let main = dir.join(c.dir).join(tname).join("main.rs");
                        [file, main].into_iter().find(|p| p.is_file())
                    }),
            };
            let Some(path) = path else { continue };
            seen_names.push(tname.to_string());
            seen_paths.push(normalize(&path));
            out.push(make(c.kind, tname, path, target_edition(Some(t))));
        }
        let auto = package.get(c.auto).and_then(Value::as_bool);
        // Edition 2015: explicit targets of a kind turn its auto-discovery off.
        if auto.unwrap_or(edition >= Edition::E2018 || explicit.is_empty()) {
            for (tname, path) in inferred {
                if !seen_names.contains(&tname) && !seen_paths.contains(&normalize(&path)) {
                    out.push(make(c.kind, &tname, path, edition));
                }
            }
        }
    }

    let build = match package.get("build") {
        Some(Value::String(p)) => Some(dir.join(p)),
        Some(Value::Boolean(false)) => None,
        Some(Value::Boolean(true)) => Some(dir.join("build.rs")),
        _ => Some(dir.join("build.rs")).filter(|p| p.is_file()),
    };
    if let Some(path) = build {
        out.push(make(
            TargetKind::BuildScript,
            "build-script-build",
            path,
            edition,
        ));
    }
    out
}
