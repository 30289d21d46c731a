//! The cargo package model as the loaders read it (layer L0): editions, targets, dependencies
//! and the package a loader produces, plus the path and crate-name normalisations both loaders
//! (`cargo metadata` and the manifest reader) share. Plain data; the project that indexes it is
//! the `project` module.

use std::path::{Component, Path, PathBuf};

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
    /// Index of its package in the project's packages (`Project::packages`).
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

/// A package as a loader produced it, before it is indexed into the project model
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

/// The name code spells for a crate or target name.
pub(super) fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}
