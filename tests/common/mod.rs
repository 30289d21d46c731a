//! Helpers shared by the integration tests: lint a path or a text with chosen rules, read the
//! `//~ rule-id` expectation markers of a fixture, and compare; run the built binary in a
//! temporary tree.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use async_lint::Report;
use async_lint::cli::ColorChoice;
use async_lint::render::Format;
use async_lint::run::{self, Options};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Options running exactly `rules` (empty: every default rule) on `paths`.
pub fn options(paths: Vec<PathBuf>, rules: &[&str]) -> Options {
    Options {
        paths,
        format: Format::Short,
        color: ColorChoice::Never,
        select: rules.iter().map(|s| s.to_string()).collect(),
        ignore: Vec::new(),
        extend_select: Vec::new(),
        extend_ignore: Vec::new(),
        output: Default::default(),
        exclude: Vec::new(),
        config: None,
        list_rules: false,
        explain: None,
        threads: Some(1),
        fix: None,
        diff: false,
        workflow: Default::default(),
    }
}

/// Lints files or directories with `rules`.
pub fn lint_paths(paths: Vec<PathBuf>, rules: &[&str]) -> Report {
    run::lint(&options(paths, rules)).expect("lint run")
}

/// Lints an in-memory text as the file `path` with `rules`.
pub fn lint_text(path: &Path, text: &str, rules: &[&str]) -> Report {
    run::lint_text(
        path.to_path_buf(),
        text.to_string(),
        &options(vec![path.to_path_buf()], rules),
    )
    .expect("lint text")
}

/// `(line, rule)` pairs from `//~ rule-a, rule-b` markers at line ends.
pub fn expected_markers(text: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(at) = line.find("//~") {
            for id in line[at + 3..].split(',') {
                let id = id.trim();
                if !id.is_empty() {
                    out.insert((i + 1, id.to_string()));
                }
            }
        }
    }
    out
}

/// `(line, rule)` pairs a report has for `path` (all files when None).
pub fn reported(report: &Report, path: Option<&Path>) -> BTreeSet<(usize, String)> {
    report
        .diagnostics
        .iter()
        .filter(|d| path.is_none_or(|p| d.path.as_path() == p))
        .map(|d| {
            let (start, _) = report.span_positions(&d.path, &d.range);
            (start.line, d.rule.id.to_string())
        })
        .collect()
}

/// A readable mismatch description, or None when the sets agree.
pub fn compare(
    file: &str,
    expected: &BTreeSet<(usize, String)>,
    got: &BTreeSet<(usize, String)>,
) -> Option<String> {
    let mut msgs = Vec::new();
    for (l, r) in expected.difference(got) {
        msgs.push(format!("{file}: missing at L{l} {r}"));
    }
    for (l, r) in got.difference(expected) {
        msgs.push(format!("{file}: unexpected at L{l} {r}"));
    }
    (!msgs.is_empty()).then(|| msgs.join("\n"))
}

/// An async fn that blocks on `std::thread::sleep` (one blocking-sleep finding).
pub const BLOCKING: &str =
    "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";

/// The same fn written correctly.
pub const CLEAN: &str =
    "async fn f() {\n    tokio::time::sleep(std::time::Duration::from_millis(1)).await;\n}\n";

/// The `async-lint` binary, colours left to the flags, two workers, no stdin.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_async-lint"));
    c.env_remove("NO_COLOR")
        .env("RAYON_NUM_THREADS", "2")
        .stdin(Stdio::null());
    c
}

/// Runs the binary in `dir` with `args`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run async-lint")
}

/// A run's standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A run's standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary directory holding `files` (relative path, content).
pub fn tree<B: AsRef<[u8]>>(files: &[(&str, B)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
    dir
}
