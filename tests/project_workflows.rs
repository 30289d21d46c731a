//! Workflows that see the whole project (issue 15): partial runs with cross-file findings,
//! hierarchical configuration, the project cache, and `cargo async-lint`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;

use common::{BLOCKING, bin, run_in, stderr, stdout, tree};

const MANIFEST: &str = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\ntokio = \"1\"\n";
const HELPER: &str =
    "pub fn nap() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n";
/// Calls the sleeping helper, and a look-alike `nap` that does not block.
const API: &str = "pub async fn handle() {\n    crate::helper::nap();\n}\n\npub async fn quiet() {\n    crate::other::nap();\n}\n";

/// A crate whose `src/api.rs` reaches a sleep only through `src/helper.rs`.
fn crate_tree() -> tempfile::TempDir {
    tree(&[
        ("Cargo.toml", MANIFEST),
        (
            "src/lib.rs",
            "mod api;\nmod bad;\nmod helper;\nmod other;\n",
        ),
        ("src/helper.rs", HELPER),
        ("src/other.rs", "pub fn nap() {}\n"),
        ("src/api.rs", API),
        ("src/bad.rs", BLOCKING),
    ])
}

/// The `short` lines of a run about `file`.
fn lines_for(o: &Output, file: &str) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| l.trim_start_matches("./").starts_with(file))
        .map(|l| l.trim_start_matches("./").to_string())
        .collect()
}

fn with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let o = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

#[test]
fn partial_runs_report_what_a_full_run_reports_for_their_files() {
    let dir = crate_tree();
    let full = run_in(dir.path(), &["--format", "short", "--no-cache", "."]);
    let expected = lines_for(&full, "src/api.rs");
    assert_eq!(
        expected,
        [
            "src/api.rs:2:5: warning[blocking-sleep] `nap()` blocks: it calls `std::thread::sleep` (src/helper.rs:2)"
        ],
        "{}",
        stdout(&full)
    );
    // Named file: cold (facts-only pass of the rest of the crate), then through the cache
    // (filled by this run, then warm).
    for args in [
        &["--format", "short", "--no-cache", "src/api.rs"][..],
        &["--format", "short", "src/api.rs"],
        &["--format", "short", "src/api.rs"],
    ] {
        let o = run_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        // Only the named file's findings: src/bad.rs has its own, not reported here.
        assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), expected, "{args:?}");
    }
    let o = run_in(dir.path(), &["--format", "json", "src/api.rs"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files_checked"], 1);

    // The pre-commit hook's entry, as pre-commit calls it (options, then the staged files).
    let o = run_in(
        dir.path(),
        &["--format", "short", "--force-exclude", "src/api.rs"],
    );
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        expected,
        "{}",
        stderr(&o)
    );

    // From a subdirectory, the path is printed as given.
    let o = run_in(&dir.path().join("src"), &["--format", "short", "api.rs"]);
    assert!(
        stdout(&o).starts_with("api.rs:2:5: warning[blocking-sleep] `nap()` blocks"),
        "{}",
        stdout(&o)
    );

    // --stdin-filename: the buffer replaces the file, the rest of the crate is read from disk.
    let o = with_stdin(
        dir.path(),
        &["--stdin-filename", "src/api.rs", "--format", "short"],
        API.as_bytes(),
    );
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        expected,
        "{}",
        stderr(&o)
    );
    let o = with_stdin(
        dir.path(),
        &["--stdin-filename", "src/api.rs", "--format", "short"],
        API.replace("crate::helper::nap();", "crate::other::nap();")
            .as_bytes(),
    );
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));

    // --changed-since: only the changed file is linted, with the crate's facts.
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "one"]);
    std::fs::write(dir.path().join("src/api.rs"), format!("{API}\n")).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "--changed-since",
            "HEAD",
            "--format",
            "short",
            "--no-cache",
            ".",
        ],
    );
    assert_eq!(
        stdout(&o)
            .lines()
            .map(|l| l.trim_start_matches("./"))
            .collect::<Vec<_>>(),
        expected,
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_named_file_outside_every_target_has_no_context() {
    // A fixture under the package but in no target directory: linted alone, as before.
    let dir = crate_tree();
    std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
    std::fs::write(dir.path().join("fixtures/x.rs"), API).unwrap();
    let o = run_in(
        dir.path(),
        &["--format", "short", "--no-cache", "fixtures/x.rs"],
    );
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), String::new()),
        "{}",
        stderr(&o)
    );
}

/// The pre-commit hook's entry words after `async-lint`, read from `.pre-commit-hooks.yaml`.
fn hook_args() -> Vec<String> {
    let yaml = std::fs::read_to_string(common::root().join(".pre-commit-hooks.yaml")).unwrap();
    let entry = yaml
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("entry:"))
        .expect("an entry")
        .trim()
        .to_string();
    let mut words = entry.split_whitespace().map(str::to_string);
    assert_eq!(words.next().as_deref(), Some("async-lint"));
    words.collect()
}

#[test]
fn each_file_uses_the_configuration_nearest_above_it() {
    let dir = tree(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.metadata.async-lint]\nseverity = { blocking-sleep = \"error\" }\n",
        ),
        (
            "crates/api/Cargo.toml",
            "[package]\nname = \"api\"\nversion = \"0.1.0\"\n\n[package.metadata.async-lint]\nignore = [\"blocking-sleep\"]\n",
        ),
        ("crates/api/src/lib.rs", BLOCKING),
        // No metadata: the workspace's table applies.
        (
            "crates/web/Cargo.toml",
            "[package]\nname = \"web\"\nversion = \"0.1.0\"\n",
        ),
        ("crates/web/src/lib.rs", BLOCKING),
        // An async-lint.toml wins over the Cargo.toml beside it and above it.
        (
            "crates/cli/Cargo.toml",
            "[package]\nname = \"cli\"\nversion = \"0.1.0\"\n",
        ),
        ("crates/cli/async-lint.toml", "exclude = [\"src/gen/**\"]\n"),
        ("crates/cli/src/lib.rs", BLOCKING),
        ("crates/cli/src/gen/out.rs", BLOCKING),
        ("other.toml", "select = [\"blocking-sleep\"]\n"),
    ]);
    let short = |o: &Output| -> Vec<String> { stdout(o).lines().map(str::to_string).collect() };
    let msg = "`std::thread::sleep` blocks the executor thread in async fn `f`";
    // From the workspace root, and from an unrelated directory above it.
    for (cwd, prefix) in [
        (dir.path().to_path_buf(), ""),
        (dir.path().parent().unwrap().to_path_buf(), ""),
    ] {
        let target = if prefix.is_empty() && cwd == dir.path() {
            "crates".to_string()
        } else {
            dir.path().join("crates").display().to_string()
        };
        let o = run_in(&cwd, &["--format", "short", "--no-cache", &target]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let lines = short(&o);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].ends_with(&format!(
                "crates/cli/src/lib.rs:2:5: warning[blocking-sleep] {msg}"
            )),
            "{lines:?}"
        );
        assert!(
            lines[1].ends_with(&format!(
                "crates/web/src/lib.rs:2:5: error[blocking-sleep] {msg}"
            )),
            "{lines:?}"
        );
    }
    // One crate from the root: its own table, not the one of the current directory.
    let o = run_in(
        dir.path(),
        &["--format", "short", "--no-cache", "crates/api"],
    );
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), String::new()),
        "{}",
        stderr(&o)
    );
    // --config overrides every file's configuration.
    let o = run_in(
        dir.path(),
        &[
            "--format",
            "short",
            "--no-cache",
            "--config",
            "other.toml",
            "crates",
        ],
    );
    assert_eq!(short(&o).len(), 4, "{}", stdout(&o));
    assert!(
        short(&o)
            .iter()
            .all(|l| l.contains("warning[blocking-sleep]")),
        "{}",
        stdout(&o)
    );

    // The hook's exact entry: a staged file the crate's configuration excludes is skipped,
    // the others are linted; without --force-exclude a named file is always linted.
    let mut argv = hook_args();
    assert!(argv.iter().any(|a| a == "--force-exclude"), "{argv:?}");
    argv.extend([
        "crates/cli/src/gen/out.rs".to_string(),
        "crates/cli/src/lib.rs".to_string(),
    ]);
    let o = run_in(
        dir.path(),
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(
        short(&o),
        [format!(
            "crates/cli/src/lib.rs:2:5: warning[blocking-sleep] {msg}"
        )],
        "{}",
        stderr(&o)
    );
    let o = run_in(
        dir.path(),
        &["--format", "short", "crates/cli/src/gen/out.rs"],
    );
    assert_eq!(short(&o).len(), 1, "{}", stdout(&o));
    // --exclude from the command line counts too.
    let o = run_in(
        dir.path(),
        &[
            "--format",
            "short",
            "--force-exclude",
            "--exclude",
            "lib.rs",
            "crates/web/src/lib.rs",
        ],
    );
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), String::new()),
        "{}",
        stderr(&o)
    );
}

/// Whether the cache file in `dir` names a file whose path ends with `name`.
fn cache_mentions(dir: &Path, name: &str) -> bool {
    let bytes = std::fs::read(dir.join("cache.bin")).expect("a cache file");
    bytes.windows(name.len()).any(|w| w == name.as_bytes())
}

#[test]
fn the_cache_belongs_to_the_project() {
    let dir = crate_tree();
    let cache = dir.path().join("target/async-lint");
    let outside = tempfile::tempdir().unwrap();
    // From an unrelated directory: the cache is in the crate's target/, nothing is created here.
    let api = dir.path().join("src/api.rs");
    let o = run_in(
        outside.path(),
        &["--format", "short", api.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(cache.join("cache.bin").is_file());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!dir.path().join(".async-lint-cache").exists());
    // From a subdirectory: the same cache.
    std::fs::remove_dir_all(&cache).unwrap();
    let o = run_in(&dir.path().join("src"), &["--format", "short", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!dir.path().join("src/.async-lint-cache").exists());
    assert!(cache_mentions(&cache, "src/bad.rs"));

    // A whole-project run prunes the entries of files that are gone; a partial run does not.
    std::fs::write(dir.path().join("src/gone.rs"), BLOCKING).unwrap();
    run_in(dir.path(), &["--format", "short", "."]);
    assert!(cache_mentions(&cache, "src/gone.rs"));
    std::fs::remove_file(dir.path().join("src/bad.rs")).unwrap();
    run_in(dir.path(), &["--format", "short", "src/api.rs"]);
    assert!(cache_mentions(&cache, "src/bad.rs"));
    run_in(dir.path(), &["--format", "short", "."]);
    assert!(!cache_mentions(&cache, "src/bad.rs"));
    assert!(cache_mentions(&cache, "src/gone.rs"));

    // --cache-dir, and ASYNC_LINT_CACHE_DIR below it.
    let elsewhere = outside.path().join("c");
    let o = run_in(
        dir.path(),
        &[
            "--format",
            "short",
            "--cache-dir",
            elsewhere.to_str().unwrap(),
            ".",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(elsewhere.join("cache.bin").is_file());
    let by_env = outside.path().join("e");
    let o = bin()
        .current_dir(dir.path())
        .env("ASYNC_LINT_CACHE_DIR", &by_env)
        .args(["--format", "short", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(by_env.join("cache.bin").is_file());
    let flag_wins = outside.path().join("f");
    bin()
        .current_dir(dir.path())
        .env("ASYNC_LINT_CACHE_DIR", outside.path().join("not-this"))
        .args(["--cache-dir", flag_wins.to_str().unwrap(), "."])
        .output()
        .unwrap();
    assert!(flag_wins.join("cache.bin").is_file());
    assert!(!outside.path().join("not-this").exists());
}

/// A workspace: `a` calls a sleeping helper of `b` (a cross-crate finding), `c` sleeps itself.
fn workspace_tree() -> tempfile::TempDir {
    let package = |name: &str, deps: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"
        )
    };
    tree(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\n".to_string(),
        ),
        (
            "crates/a/Cargo.toml",
            package("a", "b = { path = \"../b\" }\ntokio = \"1\"\n"),
        ),
        (
            "crates/a/src/lib.rs",
            "pub async fn handle() {\n    b::nap();\n}\n".to_string(),
        ),
        ("crates/b/Cargo.toml", package("b", "")),
        ("crates/b/src/lib.rs", HELPER.to_string()),
        ("crates/c/Cargo.toml", package("c", "tokio = \"1\"\n")),
        ("crates/c/src/lib.rs", BLOCKING.to_string()),
        // Test code: reported because the test has started concurrent work first.
        (
            "crates/c/tests/t.rs",
            "async fn f() {\n    tokio::spawn(async {});\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n"
                .to_string(),
        ),
    ])
}

/// `cargo-async-lint`, as cargo runs it (`async-lint` first), in `dir`.
fn cargo_sub(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", "2")
        .arg("async-lint")
        .args(["--format", "short", "--no-cache"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The files a run reported findings in, as `crates/..` paths.
fn files_of(o: &Output) -> Vec<String> {
    let mut files: Vec<String> = stdout(o)
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|f| f.find("crates/").map_or(f, |i| &f[i..]).to_string())
        .collect();
    files.dedup();
    files
}

#[test]
fn cargo_async_lint_selects_packages() {
    let dir = workspace_tree();
    let root = dir.path();
    let cross = "`nap()` blocks: it calls `std::thread::sleep`";
    // At the workspace root: every member, the cross-crate finding included.
    let o = cargo_sub(root, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        files_of(&o),
        [
            "crates/a/src/lib.rs",
            "crates/c/src/lib.rs",
            "crates/c/tests/t.rs"
        ],
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains(cross), "{}", stdout(&o));
    // From a subdirectory of `a`: only `a`, with the facts of `b`, which it imports.
    let o = cargo_sub(&root.join("crates/a/src"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains(cross), "{}", stdout(&o));
    // `b` alone: its helper is sync, nothing to report.
    let o = cargo_sub(&root.join("crates/b"), &[]);
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), String::new()),
        "{}",
        stderr(&o)
    );
    // -p (repeatable) and --workspace from a member's directory.
    let o = cargo_sub(&root.join("crates/b"), &["-p", "c", "-p", "a"]);
    assert_eq!(
        files_of(&o),
        [
            "crates/a/src/lib.rs",
            "crates/c/src/lib.rs",
            "crates/c/tests/t.rs"
        ],
        "{}",
        stdout(&o)
    );
    let o = cargo_sub(&root.join("crates/b"), &["--workspace"]);
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
    // --manifest-path from outside the workspace.
    let outside = tempfile::tempdir().unwrap();
    let manifest = root.join("crates/c/Cargo.toml");
    let o = cargo_sub(
        outside.path(),
        &["--manifest-path", manifest.to_str().unwrap()],
    );
    assert_eq!(
        files_of(&o),
        ["crates/c/src/lib.rs", "crates/c/tests/t.rs"],
        "{}",
        stdout(&o)
    );
    // Paths still work as with async-lint.
    let o = cargo_sub(root, &["crates/c/src"]);
    assert_eq!(files_of(&o), ["crates/c/src/lib.rs"], "{}", stdout(&o));
    // Usage errors: an unknown package, no manifest.
    let o = cargo_sub(root, &["-p", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("package `nope` is not in the workspace (its packages: a, b, c)"),
        "{}",
        stderr(&o)
    );
    let o = cargo_sub(outside.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("could not find `Cargo.toml`"),
        "{}",
        stderr(&o)
    );
    let o = cargo_sub(root, &["-p", "a", "crates/c"]);
    assert_eq!(o.status.code(), Some(2), "-p and paths are exclusive");
}

#[test]
fn real_cargo_runs_the_subcommand() {
    // cargo finds `cargo-async-lint` on PATH, as after `cargo install`.
    let dir = workspace_tree();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .parent()
        .unwrap();
    let mut path = std::ffi::OsString::from(bin_dir);
    if let Some(old) = std::env::var_os("PATH") {
        path.push(":");
        path.push(old);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let o = std::process::Command::new(cargo)
        .current_dir(dir.path().join("crates/a"))
        .env("PATH", path)
        .args(["async-lint", "--format", "short", "--no-cache"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("src/lib.rs:2:5: warning[blocking-sleep] `nap()` blocks"),
        "{}",
        stdout(&o)
    );
}
