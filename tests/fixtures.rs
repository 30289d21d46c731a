//! Snapshot tests over `fixtures/<rule>/*.rs` (one file linted alone),
//! `fixtures/<rule>/<case>/lib.rs` (the whole folder linted as one crate) and
//! `fixtures/<rule>/<case>/Cargo.toml` (the whole folder linted as one cargo package or workspace:
//! every `.rs` file under it, in every member and target).
//!
//! Before each snapshot is compared, the `//~ rule-id` markers in the fixture are checked against
//! what was reported, so accepting a wrong snapshot cannot hide a wrong result. Then the fix
//! contract is checked: declared fix availability, fixed text re-parses, fixes converge.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use async_lint::fix::{self, FixLevel};
use async_lint::rules::{self, FixAvailability};
use async_lint::{Applicability, Report};

/// The rules a fixture folder runs: its own rule; every rule for `_engine` and for
/// `unused-suppression` (whose findings depend on what the other rules report).
fn rules_for(fixture: &Path) -> Vec<&'static str> {
    let rel = fixture
        .strip_prefix(common::root().join("fixtures"))
        .expect("under fixtures/");
    let folder = rel
        .components()
        .next()
        .expect("folder")
        .as_os_str()
        .to_str()
        .expect("utf-8");
    if folder == "_engine" || folder == "unused-suppression" {
        Vec::new()
    } else {
        let rule = rules::by_id(folder)
            .unwrap_or_else(|| panic!("fixtures/{folder}/ is not a registered rule"));
        vec![rule.id]
    }
}

fn rel(path: &Path) -> String {
    path.strip_prefix(common::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Renders diagnostics, help, fixes and errors the way the snapshot shows them.
fn describe(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let (s, e) = report.span_positions(&d.path, &d.range);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            rel(&d.path),
            s.line,
            s.column,
            d.severity.as_str(),
            d.rule.id,
            d.message
        );
        let _ = writeln!(
            out,
            "  span: {}:{}-{}:{}",
            s.line, s.column, e.line, e.column
        );
        for l in &d.labels {
            let (ls, _) = report.span_positions(&d.path, &l.range);
            let _ = writeln!(out, "  label {}:{}: {}", ls.line, ls.column, l.message);
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "  help: {h}");
        }
        if let Some(f) = &d.fix {
            let _ = writeln!(out, "  fix ({}): {}", f.applicability.as_str(), f.message);
            for ed in &f.edits {
                let (es, ee) = report.span_positions(&d.path, &ed.range);
                let _ = writeln!(
                    out,
                    "    {}:{}-{}:{} => {:?}",
                    es.line, es.column, ee.line, ee.column, ed.replacement
                );
            }
        }
    }
    for e in &report.errors {
        let _ = writeln!(
            out,
            "error {}:{:?}:{:?}: {}",
            rel(&e.path),
            e.line,
            e.column,
            e.message
        );
    }
    out
}

/// Checks the fix contract for one file's diagnostics; returns the fixed text's diff.
fn check_fixes(path: &Path, text: &str, report: &Report, rules: &[&str], single: bool) -> String {
    let mine: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.path.as_path() == path)
        .cloned()
        .collect();
    for d in &mine {
        match d.rule.fix {
            FixAvailability::Never => assert!(
                d.fix.is_none(),
                "{}: {} declares no fixes but has one",
                rel(path),
                d.rule.id
            ),
            FixAvailability::Always => assert!(
                d.fix.is_some(),
                "{}: {} declares fixes always but has none: {}",
                rel(path),
                d.rule.id,
                d.message
            ),
            FixAvailability::Sometimes => {}
        }
        if let Some(f) = &d.fix {
            assert!(
                !f.message.is_empty(),
                "{}: fix without a message",
                rel(path)
            );
            if f.applicability != Applicability::Manual {
                assert!(
                    !f.edits.is_empty(),
                    "{}: applicable fix without edits: {}",
                    rel(path),
                    f.message
                );
            }
        }
    }
    check_fixed_file(path, text, single);
    let applied = fix::apply(text, &mine, FixLevel::Unsafe);
    if applied.fixes == 0 {
        return String::new();
    }
    if let Err(e) = syn::parse_file(&applied.text) {
        panic!(
            "{}: fixed text does not parse: {e}\n{}",
            rel(path),
            applied.text
        );
    }
    let before = mine
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_none_or(|f| f.applicability == Applicability::Manual)
        })
        .count();
    let relinted = common::lint_text(path, &applied.text, rules);
    let after = relinted.diagnostics.len();
    assert!(
        after <= before + applied.skipped,
        "{}: fixes do not converge: {after} diagnostics after fixing, expected at most {}\n{}",
        rel(path),
        before + applied.skipped,
        describe(&relinted)
    );
    // Fixes that waited for an overlapping one are applied in later passes, as `--fix` does.
    let (mut fixed, mut pending) = (applied.text.clone(), applied.skipped);
    for _ in 0..4 {
        if pending == 0 {
            break;
        }
        let report = common::lint_text(path, &fixed, rules);
        let next = fix::apply(&fixed, &report.diagnostics, FixLevel::Unsafe);
        if next.fixes == 0 {
            break;
        }
        (fixed, pending) = (next.text, next.skipped);
    }
    // `use` items the fixes made unused are removed, as `--fix` does.
    let fixed = fix::remove_unused_imports(text, &fixed);
    similar::TextDiff::from_lines(text, &fixed)
        .unified_diff()
        .context_radius(2)
        .header("original", "fixed")
        .to_string()
}

/// Header line of fixtures whose fixed output must compile: the harness keeps
/// `<name>.fixed.rs` beside them equal to what `async-lint --fix --unsafe-fixes <file>` writes
/// (every rule's fixes, not only the fixture's rule's), and `tests/fixed_compile.rs` compiles
/// (and runs) those files against the real runtimes.
const COMPILES_MARKER: &str = "//! fixed: compiles";

/// Single-file fixtures with an applicable fix whose fixed output is not compiled, and why.
const NOT_COMPILED: &[(&str, &str)] = &[];

/// What `async-lint --fix --unsafe-fixes <path>` writes: every default rule, the binary's fix
/// loop (passes, re-lints, unused imports); the text itself when nothing applies.
fn fixed_by_the_cli(path: &Path, text: &str) -> String {
    let mut opts = common::options(vec![path.to_path_buf()], &[]);
    opts.fix = Some(FixLevel::Unsafe);
    opts.workflow.no_cache = true;
    opts.workflow.project_context = true;
    let outcome = async_lint::run::fix_files(&opts, false).expect("fix run");
    assert!(
        outcome.errors.is_empty(),
        "{}: fixing failed: {:?}",
        rel(path),
        outcome.errors
    );
    match outcome.changes.into_iter().find(|c| c.0 == path) {
        Some((_, original, fixed)) => {
            assert_eq!(original, text, "{}: changed while testing", rel(path));
            fixed
        }
        None => text.to_string(),
    }
}

/// Compares the committed `.fixed.rs` with the fixed text (`ASYNC_LINT_BLESS=1` rewrites it).
///
/// A single-file fixture that the CLI's fixes change must be marked (`single`): every fixture with
/// an applicable fix is compiled after fixing. (Folder fixtures are `tests/fixed_folders.rs`'.)
fn check_fixed_file(path: &Path, text: &str, single: bool) {
    let marked = text.lines().any(|l| l.trim() == COMPILES_MARKER);
    if !marked && !single {
        return;
    }
    let fixed = &fixed_by_the_cli(path, text);
    if let Some((_, why)) = NOT_COMPILED.iter().find(|(p, _)| *p == rel(path)) {
        assert!(
            !marked && fixed != text,
            "{}: listed in NOT_COMPILED ({why}) but marked or without an applicable fix",
            rel(path)
        );
        return;
    }
    if !marked {
        assert!(
            fixed == text,
            "{}: `--fix --unsafe-fixes` changes it, so its fixed output must be compiled: mark it \
             `{COMPILES_MARKER}`, bless its `.fixed.rs` and add that to tests/fixed_compile.rs",
            rel(path)
        );
        return;
    }
    if let Err(e) = syn::parse_file(fixed) {
        panic!("{}: fixed text does not parse: {e}\n{fixed}", rel(path));
    }
    let target = path.with_extension("fixed.rs");
    let committed = std::fs::read_to_string(&target).unwrap_or_default();
    if &committed == fixed {
        return;
    }
    if std::env::var_os("ASYNC_LINT_BLESS").is_some() {
        std::fs::write(&target, fixed).expect("write .fixed.rs");
        return;
    }
    panic!(
        "{} is stale: rerun with ASYNC_LINT_BLESS=1 and review the diff\n{}",
        rel(&target),
        similar::TextDiff::from_lines(committed.as_str(), fixed)
            .unified_diff()
            .header("committed", "fixed")
    );
}

fn is_fixed_output(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".fixed.rs")
}

/// `single`: a single-file fixture (its fixed output is compiled by `tests/fixed_compile.rs`).
fn snapshot(name_path: &Path, lint_paths: Vec<PathBuf>, files: Vec<PathBuf>, single: bool) {
    let rules = rules_for(name_path);
    let report = common::lint_paths(lint_paths, &rules);
    let mut mismatches = Vec::new();
    let mut content = describe(&report);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("fixture is UTF-8");
        let expected = common::expected_markers(&text);
        let got = common::reported(&report, Some(file));
        if let Some(m) = common::compare(&rel(file), &expected, &got) {
            mismatches.push(m);
        }
        let diff = check_fixes(file, &text, &report, &rules, single);
        if !diff.is_empty() {
            let _ = write!(
                content,
                "\n--- {} with every safe and unsafe fix applied\n{diff}",
                rel(file)
            );
        }
    }
    assert!(
        mismatches.is_empty(),
        "fixture markers disagree with the linter:\n{}\n\nreport:\n{}",
        mismatches.join("\n"),
        describe(&report)
    );
    insta::with_settings!({ omit_expression => true, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("lint", content);
    });
}

#[test]
fn single_file_fixtures() {
    insta::glob!("../fixtures", "*/*.rs", |path| {
        if is_fixed_output(path) {
            return;
        }
        snapshot(
            path,
            vec![path.to_path_buf()],
            vec![path.to_path_buf()],
            true,
        );
    });
}

/// The fixture files of a folder linted as a whole: every `.rs` file under it (except fixed
/// outputs and anything under a `target/` folder, which the linter skips too), sorted.
fn folder_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == "target"))
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs") && !is_fixed_output(e.path()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

#[test]
fn multi_file_fixtures() {
    insta::glob!("../fixtures", "*/*/lib.rs", |path| {
        let dir = path.parent().expect("folder");
        snapshot(path, vec![dir.to_path_buf()], folder_files(dir), false);
    });
}

/// A folder with a `Cargo.toml` (a package or a workspace, its members in subfolders) is linted
/// as a whole: the markers of every `.rs` file under it are checked, with one snapshot per folder
/// (named after its `Cargo.toml`). A folder that also has a top-level `lib.rs` (a one-crate
/// fixture whose manifest only sets the edition) is `multi_file_fixtures`' and skipped here, so
/// no folder is snapshotted twice.
#[test]
fn workspace_fixtures() {
    insta::glob!("../fixtures", "*/*/Cargo.toml", |path| {
        let dir = path.parent().expect("folder");
        if dir.join("lib.rs").exists() {
            return;
        }
        let files = folder_files(dir);
        assert!(!files.is_empty(), "{}: no .rs files", rel(dir));
        snapshot(path, vec![dir.to_path_buf()], files, false);
    });
}
