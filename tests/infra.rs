//! The infrastructure around the rules, end to end on real directories: discovery
//! (`.gitignore`, `target/`, hidden directories, exclude globs, explicit files, symlinks),
//! configuration files, suppression comments and `unused-suppression`, and crate info.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use async_lint::cli::ColorChoice;
use async_lint::config;
use async_lint::discover::{self, DiscoverError};
use async_lint::project::{CrateInfoCache, Edition, Runtimes};
use async_lint::render::Format;
use async_lint::run::{self, Options};
use async_lint::{Applicability, Diagnostic, Report};

// ---------------------------------------------------------------------------------------------
// helpers

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p
}

fn touch(root: &Path, rel: &str) -> PathBuf {
    write(root, rel, "fn main() {}\n")
}

/// Discovered files under `root`, relative to it, with `/` separators.
fn found(root: &Path, exclude: &[&str]) -> Vec<String> {
    let d = discover_ok(&[root.to_path_buf()], exclude);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    rel_all(root, &d.files)
}

fn discover_ok(paths: &[PathBuf], exclude: &[&str]) -> discover::Discovery {
    let ex: Vec<String> = exclude.iter().map(|s| s.to_string()).collect();
    discover::discover(paths, &ex).expect("discovery")
}

fn rel_all(root: &Path, files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Options for a run over `paths` with an explicit (empty unless written) config file, so the
/// test never picks up a configuration from the machine.
fn options(paths: Vec<PathBuf>, config: &Path, select: &[&str], ignore: &[&str]) -> Options {
    Options {
        paths,
        format: Format::Short,
        color: ColorChoice::Never,
        select: select.iter().map(|s| s.to_string()).collect(),
        ignore: ignore.iter().map(|s| s.to_string()).collect(),
        exclude: Vec::new(),
        config: Some(config.to_path_buf()),
        list_rules: false,
        explain: None,
        threads: Some(1),
        ..Options::default()
    }
}

/// Lints one text as `name` in a fresh directory with the given rule selection.
fn lint_one(text: &str, select: &[&str], ignore: &[&str]) -> (String, Report) {
    let t = tempfile::tempdir().unwrap();
    let cfg = write(t.path(), "async-lint.toml", "");
    let file = write(t.path(), "src/lib.rs", text);
    let report = run::lint(&options(vec![file], &cfg, select, ignore)).expect("lint");
    (text.to_string(), report)
}

/// (line, rule id) of every diagnostic.
fn lines(report: &Report) -> Vec<(usize, &'static str)> {
    report
        .diagnostics
        .iter()
        .map(|d| (report.span_positions(&d.path, &d.range).0.line, d.rule.id))
        .collect()
}

/// Applies the safe fixes of `diags` to `text`, skipping overlapping ones.
fn apply_safe(text: &str, diags: &[Diagnostic]) -> String {
    let mut edits: Vec<_> = diags
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| f.applicability == Applicability::Safe)
        .flat_map(|f| f.edits.iter().cloned())
        .collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    edits.dedup();
    let mut out = String::new();
    let mut at = 0;
    for e in edits {
        if e.range.start < at {
            continue;
        }
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.replacement);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    out
}

// ---------------------------------------------------------------------------------------------
// discovery

#[test]
fn discovery_skips_target_hidden_and_non_rust() {
    let t = tempfile::tempdir().unwrap();
    for f in [
        "src/lib.rs",
        "src/target/keep_not.rs",
        "target/debug/build.rs",
        ".hidden/x.rs",
        "src/.cache/y.rs",
        "src/.dotfile.rs",
        "README.md",
        "src/notes.txt",
    ] {
        touch(t.path(), f);
    }
    // `target` is skipped at any depth; hidden *directories* are skipped, hidden files are not.
    assert_eq!(found(t.path(), &[]), ["src/.dotfile.rs", "src/lib.rs"]);
}

#[test]
fn a_hidden_or_target_root_given_explicitly_is_walked() {
    let t = tempfile::tempdir().unwrap();
    touch(t.path(), ".hidden-root/a.rs");
    touch(t.path(), ".hidden-root/.inner/b.rs");
    touch(t.path(), "target/gen.rs");
    assert_eq!(found(&t.path().join(".hidden-root"), &[]), ["a.rs"]);
    assert_eq!(found(&t.path().join("target"), &[]), ["gen.rs"]);
}

#[test]
fn discovery_honours_gitignore_files_at_every_level() {
    let t = tempfile::tempdir().unwrap();
    for f in [
        "src/lib.rs",
        "src/gen/out.rs",
        "src/gen/keep.rs",
        "build/x.rs",
        "sub/a.rs",
        "sub/b.rs",
        "sub/deep/b.rs",
        "other/b.rs",
    ] {
        touch(t.path(), f);
    }
    write(
        t.path(),
        ".gitignore",
        "/build/\nsrc/gen/*\n!src/gen/keep.rs\n",
    );
    write(t.path(), "sub/.gitignore", "b.rs\n");
    // Without a repository the .gitignore files from the root down still apply.
    assert_eq!(
        found(t.path(), &[]),
        ["other/b.rs", "src/gen/keep.rs", "src/lib.rs", "sub/a.rs"]
    );
}

#[test]
fn gitignore_of_ancestors_applies_up_to_the_repository_root_only() {
    let t = tempfile::tempdir().unwrap();
    // Outside the repository: must not apply.
    write(t.path(), ".gitignore", "*.rs\n");
    fs::create_dir_all(t.path().join("repo/.git/info")).unwrap();
    write(t.path(), "repo/.gitignore", "ignored_by_repo_root.rs\n");
    write(t.path(), "repo/.git/info/exclude", "excluded_locally.rs\n");
    write(
        t.path(),
        "repo/crates/.gitignore",
        "/a/ignored_by_crates.rs\n",
    );
    for f in [
        "a/lib.rs",
        "a/ignored_by_repo_root.rs",
        "a/ignored_by_crates.rs",
        "a/excluded_locally.rs",
    ] {
        touch(&t.path().join("repo/crates"), f);
    }
    let root = t.path().join("repo/crates/a");
    assert_eq!(found(&root, &[]), ["lib.rs"]);
}

#[test]
fn exclude_globs() {
    let t = tempfile::tempdir().unwrap();
    for f in [
        "src/lib.rs",
        "tests/it.rs",
        "tests/deep/more.rs",
        "vendor/v.rs",
        "src/vendor/w.rs",
        "src/generated/g.rs",
        "src/generated/nested/n.rs",
    ] {
        touch(t.path(), f);
    }
    assert_eq!(
        found(t.path(), &["tests/**"])
            .iter()
            .filter(|f| f.starts_with("tests"))
            .count(),
        0
    );
    assert_eq!(
        found(t.path(), &["vendor"])
            .iter()
            .filter(|f| f.contains("vendor"))
            .count(),
        0
    );
    let generated = found(t.path(), &["**/generated/*.rs"]);
    assert!(!generated.contains(&"src/generated/g.rs".to_string()));
    assert!(
        generated.contains(&"src/generated/nested/n.rs".to_string()),
        "`*` must not cross `/`"
    );
    // The full path matches too.
    let abs = format!(
        "{}/src/**",
        globset::escape(&fs::canonicalize(t.path()).unwrap().to_string_lossy())
    );
    assert!(
        found(t.path(), &[abs.as_str()])
            .iter()
            .all(|f| !f.starts_with("src/"))
    );
    let err = discover::discover(&[t.path().to_path_buf()], &["src/{a".to_string()]).unwrap_err();
    assert!(err.0.contains("invalid exclude glob `src/{a`"), "{err}");
}

#[test]
fn exclude_globs_match_the_path_as_given() {
    // A relative root (integration tests run in the package directory).
    fs::create_dir_all("target").unwrap();
    let t = tempfile::tempdir_in("target").unwrap();
    let base = t
        .path()
        .strip_prefix(std::env::current_dir().unwrap())
        .unwrap_or(t.path())
        .to_path_buf();
    assert!(base.is_relative(), "{}", base.display());
    touch(&base, "src/gen/x.rs");
    touch(&base, "src/y.rs");
    let root = base.join("src");
    let pattern = format!("{}/gen/*.rs", base.join("src").display());
    let d = discover_ok(std::slice::from_ref(&root), &[&pattern]);
    assert_eq!(d.files, vec![root.join("y.rs")]);
    // `./`-prefixed patterns and roots work the same.
    let dotted = Path::new(".").join(&root);
    let d = discover_ok(std::slice::from_ref(&dotted), &[&format!("./{pattern}")]);
    assert_eq!(d.files, vec![dotted.join("y.rs")]);
}

#[test]
fn explicit_files_are_always_linted() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), ".gitignore", "ignored.rs\n");
    let ignored = touch(t.path(), "ignored.rs");
    let excluded = touch(t.path(), "tests/excluded.rs");
    let not_rust = touch(t.path(), "script.txt");
    let in_target = touch(t.path(), "target/t.rs");
    let d = discover_ok(
        &[
            ignored.clone(),
            excluded.clone(),
            not_rust.clone(),
            in_target.clone(),
            ignored.clone(),
        ],
        &["tests/**", "*.rs"],
    );
    let mut want = vec![ignored, excluded, not_rust, in_target];
    want.sort();
    assert_eq!(d.files, want);
}

#[test]
fn overlapping_roots_are_deduplicated() {
    let t = tempfile::tempdir().unwrap();
    let f = touch(t.path(), "src/a.rs");
    let d = discover_ok(
        &[
            t.path().to_path_buf(),
            t.path().join("src"),
            f.clone(),
            t.path().join("src/../src/a.rs"),
        ],
        &[],
    );
    assert_eq!(d.files, vec![f]);
}

/// A root reached through a symlinked directory is the same files as the real directory.
#[cfg(unix)]
#[test]
fn a_root_and_a_symlink_to_it_are_deduplicated() {
    let t = tempfile::tempdir().unwrap();
    let f = touch(t.path(), "real/src/a.rs");
    touch(t.path(), "real/src/b/c.rs");
    std::os::unix::fs::symlink(t.path().join("real"), t.path().join("alias")).unwrap();
    let d = discover_ok(
        &[
            t.path().join("real"),
            t.path().join("alias/src"),
            t.path().join("alias/src/b/c.rs"),
        ],
        &[],
    );
    assert_eq!(d.files, vec![f, t.path().join("real/src/b/c.rs")]);
}

#[test]
fn missing_path_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("nope");
    let err = discover::discover(&[t.path().to_path_buf(), missing.clone()], &[]).unwrap_err();
    assert_eq!(
        err,
        DiscoverError(format!("path does not exist: {}", missing.display()))
    );
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_and_loops_do_not_hang() {
    use std::os::unix::fs::symlink;
    let t = tempfile::tempdir().unwrap();
    touch(t.path(), "real/a.rs");
    let outside = tempfile::tempdir().unwrap();
    let target = touch(outside.path(), "linked.rs");
    symlink(t.path(), t.path().join("real/loop")).unwrap();
    symlink(t.path().join("real"), t.path().join("real/sub-loop")).unwrap();
    symlink(&target, t.path().join("real/link.rs")).unwrap();
    symlink(
        t.path().join("missing.rs"),
        t.path().join("real/dangling.rs"),
    )
    .unwrap();

    let root = t.path().to_path_buf();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(discover::discover(&[root], &[]));
    });
    let d = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("discovery hangs on a symlink loop")
        .unwrap();
    assert_eq!(rel_all(t.path(), &d.files), ["real/a.rs"]);
    assert!(d.errors.is_empty(), "{:?}", d.errors);

    // A symlinked file named explicitly is linted; a symlinked directory root is walked.
    let d = discover_ok(&[t.path().join("real/link.rs")], &[]);
    assert_eq!(d.files, vec![t.path().join("real/link.rs")]);
    let dir_link = t.path().join("dir-link");
    symlink(t.path().join("real"), &dir_link).unwrap();
    assert_eq!(found(&dir_link, &[]), ["a.rs"]);
}

#[cfg(unix)]
#[test]
fn unreadable_directories_become_file_errors() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    touch(t.path(), "ok/a.rs");
    touch(t.path(), "locked/b.rs");
    let locked = t.path().join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let readable = fs::read_dir(&locked).is_ok(); // root ignores permissions
    let d = discover_ok(&[t.path().to_path_buf()], &[]);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    if !readable {
        assert_eq!(rel_all(t.path(), &d.files), ["ok/a.rs"]);
        assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
        assert_eq!(d.errors[0].path, locked);
        assert!(
            d.errors[0].message.starts_with("cannot read directory"),
            "{}",
            d.errors[0].message
        );
    }
}

#[test]
fn discovery_is_fast_enough_for_a_large_tree() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), ".gitignore", "*_gen.rs\n");
    for i in 0..40 {
        for j in 0..50 {
            touch(t.path(), &format!("c{i}/src/m{j}.rs"));
        }
        write(t.path(), &format!("c{i}/.gitignore"), "/target\n");
    }
    let start = std::time::Instant::now();
    assert_eq!(found(t.path(), &["**/tests/**"]).len(), 2000);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// configuration

#[test]
fn config_from_async_lint_toml_found_upward() {
    let t = tempfile::tempdir().unwrap();
    let cfg = write(
        t.path(),
        "async-lint.toml",
        "select = [\"blocking-sleep\"]\nexclude = [\"gen/**\", \"vendor\"]\n",
    );
    // A Cargo.toml without async-lint metadata in between does not stop the search...
    write(t.path(), "crates/a/Cargo.toml", "[package]\nname = \"a\"\n");
    let start = t.path().join("crates/a/src");
    fs::create_dir_all(&start).unwrap();
    let c = config::load(&start, None).unwrap();
    assert_eq!(c.path.as_deref(), Some(cfg.as_path()));
    assert_eq!(c.select, Some(vec!["blocking-sleep".to_string()]));
    let root = fs::canonicalize(t.path()).unwrap();
    assert_eq!(c.root.as_deref(), Some(root.as_path()));

    // ...and the relative glob is anchored at the config's directory, wherever the walk starts.
    for f in [
        "gen/a.rs",
        "crates/a/gen/b.rs",
        "crates/a/vendor/v.rs",
        "crates/a/src/lib.rs",
    ] {
        touch(t.path(), f);
    }
    let ex: Vec<&str> = c.exclude.iter().map(String::as_str).collect();
    assert_eq!(
        found(t.path(), &ex),
        ["crates/a/gen/b.rs", "crates/a/src/lib.rs"]
    );
    assert_eq!(
        found(&t.path().join("crates/a"), &ex),
        ["gen/b.rs", "src/lib.rs"]
    );
}

#[test]
fn config_from_cargo_metadata() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "Cargo.toml",
        "[workspace]\nmembers = [\"a\"]\n[workspace.metadata.async-lint]\nignore = [\"unused-suppression\"]\n",
    );
    write(
        t.path(),
        "a/Cargo.toml",
        "[package]\nname = \"a\"\n[package.metadata.async-lint]\nseverity = { blocking-sleep = \"error\" }\n",
    );
    write(
        t.path(),
        "b/Cargo.toml",
        "[package]\nname = \"b\"\n# mentions async-lint but has no table\n",
    );
    let a = config::load(&t.path().join("a"), None).unwrap();
    assert_eq!(a.path, Some(t.path().join("a/Cargo.toml")));
    assert_eq!(
        a.severity.get("blocking-sleep"),
        Some(&async_lint::Severity::Error)
    );
    let b = config::load(&t.path().join("b"), None).unwrap();
    assert_eq!(b.path, Some(t.path().join("Cargo.toml")));
    assert_eq!(b.ignore, vec!["unused-suppression".to_string()]);

    // async-lint.toml wins over a Cargo.toml in the same directory.
    write(t.path(), "a/async-lint.toml", "select = []\n");
    assert_eq!(
        config::load(&t.path().join("a"), None).unwrap().select,
        Some(Vec::new())
    );
    // Nothing anywhere: defaults.
    let empty = tempfile::tempdir().unwrap();
    assert!(config::load(empty.path(), None).unwrap().path.is_none());
}

#[test]
fn explicit_config_files() {
    let t = tempfile::tempdir().unwrap();
    let custom = write(t.path(), "ci-lint.toml", "ignore = [\"blocking-sleep\"]\n");
    assert_eq!(
        config::load(Path::new("/"), Some(&custom)).unwrap().ignore,
        vec!["blocking-sleep".to_string()]
    );
    let manifest = write(
        t.path(),
        "x/Cargo.toml",
        "[package]\nname = \"x\"\n[package.metadata.async-lint]\nselect = [\"blocking-sleep\"]\n",
    );
    assert!(
        config::load(Path::new("/"), Some(&manifest))
            .unwrap()
            .select
            .is_some()
    );
    let bare = write(t.path(), "y/Cargo.toml", "[package]\nname = \"y\"\n");
    let e = config::load(Path::new("/"), Some(&bare)).unwrap_err();
    assert!(
        e.message.contains("no [package.metadata.async-lint]"),
        "{e}"
    );
    let missing = t.path().join("nope.toml");
    let e = config::load(Path::new("/"), Some(&missing)).unwrap_err();
    assert_eq!(e.path, missing);
    assert!(
        e.message.starts_with("cannot read configuration file"),
        "{e}"
    );
}

#[test]
fn config_errors_name_the_file_and_the_key() {
    let t = tempfile::tempdir().unwrap();
    let cfg = write(
        t.path(),
        "async-lint.toml",
        "# comment\nselec = [\"blocking-sleep\"]\n",
    );
    let e = config::load(t.path(), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:1: unknown key `selec` (did you mean `select`? expected one of: select, ignore, extend-select, extend-ignore, exclude, severity, blocking-apis, blocking-in-tests, blocking-path-metadata)",
            cfg.display()
        )
    );

    write(
        t.path(),
        "async-lint.toml",
        "select = [\"blocking-sleep\", \"blocking-slep\"]\n",
    );
    let e = config::load(t.path(), None).unwrap_err();
    assert_eq!(e.path, cfg);
    assert!(
        e.message
            .contains("unknown rule `blocking-slep` in `select`"),
        "{e}"
    );
    assert_eq!(e.column, Some(29));

    let manifest = write(
        t.path(),
        "m/Cargo.toml",
        "[package]\nname = \"m\"\n\n[package.metadata.async-lint]\nseverity = { blocking-sleep = \"loud\" }\n",
    );
    let e = config::load(&t.path().join("m"), None).unwrap_err();
    assert_eq!(e.path, manifest);
    assert_eq!(e.line, Some(5));
    assert!(
        e.message
            .contains("invalid severity `loud` for `blocking-sleep`"),
        "{e}"
    );

    write(t.path(), "async-lint.toml", "select = [\n");
    let e = config::load(t.path(), None).unwrap_err();
    assert!(e.message.starts_with("invalid TOML"), "{e}");
    assert!(e.line.is_some());
}

#[test]
fn a_config_error_stops_the_run() {
    let t = tempfile::tempdir().unwrap();
    let cfg = write(t.path(), "async-lint.toml", "ignore = [\"nope\"]\n");
    let file = touch(t.path(), "a.rs");
    let err = run::lint(&options(vec![file], &cfg, &[], &[])).unwrap_err();
    assert!(err.0.contains("unknown rule `nope` in `ignore`"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// suppressions and unused-suppression, through a whole run

const SLEEPS: &str = "\
use std::time::Duration;

async fn a() {
    std::thread::sleep(Duration::from_millis(1)); // async-lint: allow(blocking-sleep)
    std::thread::sleep(Duration::from_millis(1));
    // async-lint: allow(blocking-sleep)
    // a note between the suppression and the code
    /* async-lint: allow(blocking-sleep) */
    std::thread::sleep(Duration::from_millis(1));
    g(); // async-lint: allow(blocking-sleep)
}

fn g() {}
";

#[test]
fn trailing_standalone_and_stacked_suppressions() {
    let (_, r) = lint_one(SLEEPS, &[], &[]);
    // Line 5 is not covered; line 6 is redundant with line 8 (the nearer one counts); line 10
    // covers nothing.
    assert_eq!(
        lines(&r),
        [
            (5, "blocking-sleep"),
            (6, "unused-suppression"),
            (10, "unused-suppression")
        ]
    );
    let unused = &r.diagnostics[2];
    assert_eq!(
        unused.message,
        "suppression of `blocking-sleep` matches no diagnostic"
    );
    let src = r.source(&unused.path).unwrap().text();
    assert_eq!(&src[unused.range.clone()], "blocking-sleep");
}

#[test]
fn unused_fixes_delete_the_id_or_the_comment() {
    let (text, r) = lint_one(SLEEPS, &[], &[]);
    let fixed = apply_safe(&text, &r.diagnostics);
    assert!(fixed.contains(
        "    std::thread::sleep(Duration::from_millis(1)); // async-lint: allow(blocking-sleep)\n"
    ));
    assert!(
        fixed.contains("    // a note between the suppression and the code\n    /* async-lint"),
        "{fixed}"
    );
    assert!(fixed.contains("    g();\n}"), "{fixed}");
    let (_, again) = lint_one(&fixed, &[], &[]);
    assert_eq!(lines(&again), [(5, "blocking-sleep")], "{fixed}");
}

#[test]
fn allow_file_and_block_comments() {
    let text = "use std::time::Duration;\n\nasync fn a() {\n    std::thread::sleep(Duration::from_millis(1));\n}\n\n/* async-lint: allow-file(blocking-sleep) */\n";
    let (_, r) = lint_one(text, &[], &[]);
    assert!(r.diagnostics.is_empty(), "{:?}", lines(&r));
    let (_, r) = lint_one(
        "/*async-lint:allow-file(blocking-sleep)*/\nfn main() {}\n",
        &[],
        &[],
    );
    assert_eq!(lines(&r), [(1, "unused-suppression")]);
    assert_eq!(
        r.diagnostics[0].message,
        "file-wide suppression of `blocking-sleep` matches no diagnostic"
    );
    assert_eq!(
        apply_safe(
            "/*async-lint:allow-file(blocking-sleep)*/\nfn main() {}\n",
            &r.diagnostics
        ),
        "fn main() {}\n"
    );
}

#[test]
fn suppressions_of_rules_that_did_not_run_are_not_unused() {
    let text = "fn g() {}\nfn main() { g(); } // async-lint: allow(blocking-sleep)\n";
    assert_eq!(
        lines(&lint_one(text, &[], &[]).1),
        [(2, "unused-suppression")]
    );
    assert!(
        lint_one(text, &["unused-suppression"], &[])
            .1
            .diagnostics
            .is_empty()
    );
    assert!(
        lint_one(text, &[], &["blocking-sleep"])
            .1
            .diagnostics
            .is_empty()
    );
    assert!(
        lint_one(text, &[], &["unused-suppression"])
            .1
            .diagnostics
            .is_empty()
    );
    // Malformed comments are reported whenever unused-suppression runs.
    let text = "fn main() {} // async-lint: allow(blocking-sleeep)\n";
    let (_, r) = lint_one(text, &["unused-suppression"], &[]);
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(
        r.diagnostics[0].message,
        "unknown rule `blocking-sleeep` in suppression"
    );
    assert_eq!(
        r.diagnostics[0].fix.as_ref().unwrap().applicability,
        Applicability::Manual
    );
}

// ---------------------------------------------------------------------------------------------
// the fixtures of this area agree with their `//~` markers when every rule runs

fn markers(text: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(at) = line.find("//~") {
            for id in line[at + 3..]
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                out.insert((i + 1, id.to_string()));
            }
        }
    }
    out
}

#[test]
fn suppression_fixtures_match_their_markers_with_every_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // Single-file fixtures; folder fixtures (a crate linted as a whole) are in tests/fixtures.rs.
    let mut files: Vec<PathBuf> = fs::read_dir(root.join("unused-suppression"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".fixed.rs"))
        .collect();
    files.extend(
        fs::read_dir(root.join("_engine"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                // (fixed outputs keep the markers of the findings their fixes removed)
                name.starts_with("suppress") && !name.ends_with(".fixed.rs")
            }),
    );
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    let t = tempfile::tempdir().unwrap();
    let cfg = write(t.path(), "async-lint.toml", "");
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let r = run::lint(&options(vec![file.clone()], &cfg, &[], &[])).unwrap();
        assert!(r.errors.is_empty(), "{}: {:?}", file.display(), r.errors);
        let got: BTreeSet<(usize, String)> = lines(&r)
            .into_iter()
            .map(|(l, id)| (l, id.to_string()))
            .collect();
        assert_eq!(got, markers(&text), "{}", file.display());
        for d in &r.diagnostics {
            let f = d
                .fix
                .as_ref()
                .unwrap_or_else(|| panic!("{}: {} has no fix", file.display(), d.message));
            assert!(!f.message.is_empty());
        }
        // Removing the unused suppressions leaves no unused suppression behind.
        let fixed = apply_safe(&text, &r.diagnostics);
        syn::parse_file(&fixed).unwrap_or_else(|e| {
            panic!(
                "{}: fixed text does not parse: {e}\n{fixed}",
                file.display()
            )
        });
        let (_, again) = lint_one(&fixed, &[], &[]);
        let left: Vec<_> = again
            .diagnostics
            .iter()
            .filter(|d| {
                d.rule.id == "unused-suppression"
                    && d.fix
                        .as_ref()
                        .is_some_and(|f| f.applicability == Applicability::Safe)
            })
            .map(|d| d.message.clone())
            .collect();
        assert!(left.is_empty(), "{}: {left:?}\n{fixed}", file.display());
    }
}

// ---------------------------------------------------------------------------------------------
// crate info

#[test]
fn crate_info_reads_edition_and_runtimes() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "solo/Cargo.toml",
        "[package]\nname = \"solo\"\nedition = \"2018\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"rt\"] }\n\n\
         [dev-dependencies]\nsmol = \"2\"\n",
    );
    write(
        t.path(),
        "renamed/Cargo.toml",
        "[package]\nname = \"r\"\nedition = \"2021\"\n\n[target.'cfg(unix)'.dependencies]\nrt = { package = \"async-std\", version = \"1\" }\n",
    );
    write(
        t.path(),
        "none/Cargo.toml",
        "[package]\nname = \"n\"\nedition = \"2024\"\n\n[build-dependencies]\ntokio = \"1\"\n",
    );
    let mut cache = CrateInfoCache::default();
    let solo = cache.get(&t.path().join("solo/src/lib.rs"));
    assert_eq!(solo.edition, Edition::E2018);
    assert_eq!(
        solo.runtimes,
        Runtimes {
            tokio: true,
            async_std: false,
            smol: true
        }
    );
    let renamed = cache.get(&t.path().join("renamed/src/deep/mod.rs"));
    assert_eq!(
        renamed.runtimes,
        Runtimes {
            tokio: false,
            async_std: true,
            smol: false
        }
    );
    let none = cache.get(&t.path().join("none/main.rs"));
    assert_eq!(
        (none.edition, none.runtimes),
        (Edition::E2024, Runtimes::default())
    );
}

#[test]
fn crate_info_inherits_from_the_workspace() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.package]\nedition = \"2024\"\n\n\
         [workspace.dependencies]\ntokio = \"1\"\nrt = { package = \"smol\", version = \"2\" }\n",
    );
    write(
        t.path(),
        "crates/a/Cargo.toml",
        "[package]\nname = \"a\"\nedition.workspace = true\n\n[dependencies]\ntokio.workspace = true\nrt = { workspace = true }\n",
    );
    // A package that names its workspace root explicitly.
    write(
        t.path(),
        "elsewhere/root/Cargo.toml",
        "[workspace]\n[workspace.package]\nedition = \"2018\"\n",
    );
    write(
        t.path(),
        "elsewhere/b/Cargo.toml",
        "[package]\nname = \"b\"\nworkspace = \"../root\"\nedition = { workspace = true }\n",
    );
    let mut cache = CrateInfoCache::default();
    let a = cache.get(&t.path().join("crates/a/src/lib.rs"));
    assert_eq!(a.edition, Edition::E2024);
    assert_eq!(
        a.runtimes,
        Runtimes {
            tokio: true,
            async_std: false,
            smol: true
        }
    );
    assert_eq!(
        cache.get(&t.path().join("elsewhere/b/src/lib.rs")).edition,
        Edition::E2018
    );
    // Files directly in the virtual workspace root have no package: defaults.
    assert_eq!(
        cache.get(&t.path().join("build.rs")),
        async_lint::project::CrateInfo::default()
    );
}

#[test]
fn crate_info_never_fails() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "bad/Cargo.toml", "[package\nname = ");
    write(
        t.path(),
        "weird/Cargo.toml",
        "package = 3\n[dependencies]\ntokio = 1\n",
    );
    write(
        t.path(),
        "inherit-missing/Cargo.toml",
        "[package]\nname = \"x\"\nedition.workspace = true\n",
    );
    let mut cache = CrateInfoCache::default();
    assert_eq!(
        cache.get(&t.path().join("bad/src/lib.rs")),
        async_lint::project::CrateInfo::default()
    );
    let weird = cache.get(&t.path().join("weird/src/lib.rs"));
    assert!(weird.runtimes.tokio);
    assert_eq!(
        cache.get(&t.path().join("inherit-missing/lib.rs")).edition,
        Edition::E2021
    );
    assert_eq!(
        cache.get(Path::new("no/such/dir/file.rs")).runtimes,
        cache.get(Path::new("no/such/dir/other.rs")).runtimes
    );
}
