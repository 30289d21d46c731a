//! Proof that fixes keep the folder fixtures building: every folder fixture (a crate of several
//! files, `fixtures/<rule>/<case>/lib.rs`, or a cargo package or workspace,
//! `fixtures/<rule>/<case>/Cargo.toml`) is copied to a temporary directory, fixed there by the
//! built binary (`async-lint --fix --unsafe-fixes`, every default rule, as a user runs it), and
//! the fixed tree is built with `cargo check --offline --all-targets` against the real runtimes.
//!
//! The single-file fixtures are compiled as modules of one test crate (`tests/fixed_compile.rs`);
//! these cannot be: their files are crates of their own (path dependencies between workspace
//! members, `crate::` paths, several targets). To keep CI time low, every check resolves its
//! dependencies from a copy of this repository's `Cargo.lock` (the versions the dev-dependencies
//! already pinned, so `--offline` finds them in the local registry) and builds into one target
//! directory shared by all checks and kept between runs (`target/fixed-folders`): tokio and the
//! other dependencies are checked once, each fixture's own code in a second or two.
//!
//! A folder fixture without a manifest (`lib.rs` and its modules) gets one after fixing: a library
//! with `lib.rs` as its root, depending on tokio (every feature) and anyhow.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Folder fixtures: `fixtures/<rule>/<case>/` with a `lib.rs` or a `Cargo.toml`.
fn folder_fixtures() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for rule in std::fs::read_dir(root().join("fixtures")).expect("fixtures/") {
        let rule = rule.expect("entry").path();
        if !rule.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&rule).expect("rule folder") {
            let case = case.expect("entry").path();
            if case.join("lib.rs").is_file() || case.join("Cargo.toml").is_file() {
                dirs.push(case);
            }
        }
    }
    dirs.sort();
    dirs
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == "target"))
    {
        let e = e.expect("walk");
        let rel = e.path().strip_prefix(from).expect("under the fixture");
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else if !e.path().to_string_lossy().ends_with(".fixed.rs") {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// Every `.rs` file under `dir` with its text.
fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("read");
            (e.path().strip_prefix(dir).unwrap().to_path_buf(), text)
        })
        .collect();
    out.sort();
    out
}

const GENERATED_MANIFEST: &str = r#"[package]
name = "folder-fixture"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "lib.rs"

[dependencies]
tokio = { version = "1", features = ["full"] }
anyhow = "1"
"#;

/// Fixes a copy of `fixture`; returns the copy (kept alive by the `TempDir`) and the fixed files.
fn fix_copy(fixture: &Path) -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fixture");
    copy_tree(fixture, &dir);
    let before = rust_files(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_async-lint"))
        .current_dir(&dir)
        .args(["--fix", "--unsafe-fixes", "--no-cache", "--exit-zero", "-q"])
        .args(["--format", "short", "."])
        .output()
        .expect("run async-lint");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: --fix failed\n{}{}",
        fixture.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let after = rust_files(&dir);
    let changed = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.clone())
        .collect();
    (tmp, changed)
}

/// `cargo check` on the fixed copy; the output on failure.
fn check(dir: &Path) -> Result<(), String> {
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            root().join("target").join("fixed-folders"),
        )
        .env_remove("RUSTFLAGS")
        .args(["check", "--offline", "--workspace", "--all-targets", "-q"])
        .args(["--message-format", "short"])
        .output()
        .expect("run cargo");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn fixed_folder_fixtures_build() {
    let mut failures = Vec::new();
    let mut fixed = Vec::new();
    for fixture in folder_fixtures() {
        let (tmp, changed) = fix_copy(&fixture);
        let rel = fixture
            .strip_prefix(root().join("fixtures"))
            .unwrap()
            .display()
            .to_string();
        if changed.is_empty() {
            continue;
        }
        let dir = tmp.path().join("fixture");
        if !dir.join("Cargo.toml").exists() {
            std::fs::write(dir.join("Cargo.toml"), GENERATED_MANIFEST).expect("manifest");
        }
        if let Err(e) = check(&dir) {
            failures.push(format!("fixtures/{rel} (fixed: {changed:?}):\n{e}"));
        }
        fixed.push(rel);
    }
    assert!(
        failures.is_empty(),
        "fixed folder fixtures that do not build:\n{}",
        failures.join("\n")
    );
    // The folder fixtures the fixes change today; a fixture whose fixes disappear (or a new one
    // with fixes) shows up here, so the check above cannot silently cover less.
    assert_eq!(
        fixed,
        [
            "_engine/multi-file",
            "_engine/ws-reexports",
            "_engine/ws-targets",
            "_engine/ws-types",
            "blocking-fs/no-tokio",
            "blocking-fs/reexported-tokio",
            "blocking-fs/tokio-features",
            "blocking-sleep/multi-file",
            "blocking-sleep/transitive",
            "detached-task-error/crate-wide",
            "lock-across-await/ws-fields",
            "swallowed-cancellation/ws-fields",
            "unawaited-future/crate-local",
            "unawaited-future/ws-fields",
            "unused-suppression/transitive-allow",
        ]
    );
}
