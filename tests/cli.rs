//! The built binaries, end to end: exit codes, bad input, rule listing, the cargo wrapper.

mod common;

use std::process::Command;

use common::{BLOCKING, CLEAN, bin, run_in, stderr, stdout, tree};

#[test]
fn findings_exit_1_clean_exit_0() {
    let dir = tree(&[
        ("src/bad.rs", BLOCKING.as_bytes()),
        ("src/good.rs", CLEAN.as_bytes()),
    ]);
    let o = run_in(dir.path(), &["--format", "short", "src"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        "src/bad.rs:2:5: warning[blocking-sleep] `std::thread::sleep` blocks the executor thread in async fn `f`"
    );
    let o = run_in(dir.path(), &["--format", "short", "src/good.rs"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn default_path_is_the_current_directory() {
    let dir = tree(&[("a.rs", BLOCKING.as_bytes())]);
    let o = run_in(dir.path(), &["--format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("a.rs:2:5"), "{}", stdout(&o));
}

#[test]
fn missing_path_is_a_usage_error_naming_it() {
    let dir = tree::<&str>(&[]);
    let o = run_in(dir.path(), &["no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/dir"), "{}", stderr(&o));
}

#[test]
fn unknown_rule_is_a_usage_error() {
    let dir = tree(&[("a.rs", CLEAN.as_bytes())]);
    let o = run_in(dir.path(), &["--select", "blocking-slep", "a.rs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("blocking-slep"), "{}", stderr(&o));
}

#[test]
fn bad_files_are_errors_and_the_run_goes_on() {
    let deep = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let dir = tree(&[
        ("bad.rs", BLOCKING.as_bytes()),
        ("latin1.rs", b"// caf\xe9\nfn f() {}\n"),
        ("broken.rs", b"fn f( {\n"),
        ("deep.rs", deep.as_bytes()),
        ("empty.rs", b""),
        ("nul.rs", b"\0\0\0\0"),
    ]);
    let o = run_in(dir.path(), &["--format", "short", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("bad.rs:2:5: warning[blocking-sleep]"), "{out}");
    assert!(
        out.contains("latin1.rs:1:") && out.contains("not valid UTF-8"),
        "{out}"
    );
    assert!(
        out.contains("broken.rs:") && out.contains("cannot parse"),
        "{out}"
    );
    assert!(
        out.contains("deep.rs:1:") && out.contains("nested too deeply"),
        "{out}"
    );
    assert!(
        out.contains("nul.rs") && out.contains("cannot parse"),
        "{out}"
    );
    assert!(
        !out.contains("empty.rs"),
        "an empty file is valid Rust: {out}"
    );
}

#[test]
fn deep_but_legal_nesting_parses() {
    let src = format!(
        "async fn f() {{ let _x = {}std::thread::sleep(std::time::Duration::ZERO){}; }}\n",
        "(".repeat(900),
        ")".repeat(900)
    );
    let dir = tree(&[("deep.rs", src.as_bytes())]);
    let o = run_in(dir.path(), &["--format", "short", "deep.rs"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("warning[blocking-sleep]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn list_rules_and_explain() {
    let o = bin().arg("--list-rules").output().expect("run");
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for r in async_lint::rules::ALL {
        assert!(
            out.lines()
                .any(|l| l.starts_with(r.id) && l.contains(r.summary)),
            "{} missing from --list-rules:\n{out}",
            r.id
        );
    }
    let o = bin()
        .args(["--explain", "blocking-sleep"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("# blocking-sleep"));
    assert!(stdout(&o).contains("## Use instead"));
    let o = bin().args(["--explain", "nope"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cargo_subcommand_drops_its_name() {
    let dir = tree(&[("a.rs", BLOCKING.as_bytes())]);
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .current_dir(dir.path())
        .args(["async-lint", "--format", "short", "a.rs"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("a.rs:2:5:"));
}

#[test]
fn ignore_and_select_change_what_runs() {
    let dir = tree(&[("a.rs", BLOCKING.as_bytes())]);
    let o = run_in(
        dir.path(),
        &["--format", "short", "--ignore", "blocking-sleep", "a.rs"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run_in(
        dir.path(),
        &["--format", "short", "--select", "blocking-sleep", "a.rs"],
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn bad_config_is_a_usage_error_naming_file_and_key() {
    let dir = tree(&[
        ("a.rs", CLEAN.as_bytes()),
        ("async-lint.toml", b"selec = [\"blocking-sleep\"]\n"),
    ]);
    let o = run_in(dir.path(), &["a.rs"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("async-lint.toml") && e.contains("selec"), "{e}");
    let dir = tree(&[
        ("a.rs", CLEAN.as_bytes()),
        ("async-lint.toml", b"ignore = [\"no-such-rule\"]\n"),
    ]);
    let o = run_in(dir.path(), &["a.rs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-rule"), "{}", stderr(&o));
}

#[test]
fn config_severity_and_ignore_apply() {
    let dir = tree(&[
        ("a.rs", BLOCKING.as_bytes()),
        (
            "async-lint.toml",
            b"severity = { blocking-sleep = \"error\" }\n",
        ),
    ]);
    let o = run_in(dir.path(), &["--format", "short", "a.rs"]);
    assert!(
        stdout(&o).contains("error[blocking-sleep]"),
        "{}",
        stdout(&o)
    );
    let dir = tree(&[
        ("a.rs", BLOCKING.as_bytes()),
        ("async-lint.toml", b"ignore = [\"blocking-sleep\"]\n"),
    ]);
    let o = run_in(dir.path(), &["--format", "short", "a.rs"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// The cache remembers the crate-wide phase only for exactly the same files: a helper changed in
/// another file between two cached runs changes the caller's finding.
#[test]
fn cached_runs_see_cross_file_changes() {
    let sleeping =
        "pub fn wait() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n";
    let quiet = "pub fn wait() {\n    let _ = 1 + 1;\n}\n";
    let dir = tree(&[
        (
            "Cargo.toml",
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        (
            "src/lib.rs",
            "mod helper;\n\npub async fn run() {\n    helper::wait();\n}\n",
        ),
        ("src/helper.rs", sleeping),
    ]);
    let lines = |o: &std::process::Output| -> Vec<String> {
        stdout(o)
            .lines()
            .filter(|l| l.starts_with("src/lib.rs"))
            .map(str::to_string)
            .collect()
    };
    let args = ["--format", "short", "--select", "blocking-sleep", "src"];
    let cold = run_in(dir.path(), &args);
    assert_eq!(lines(&cold).len(), 1, "{}", stdout(&cold));
    let warm = run_in(dir.path(), &args);
    assert_eq!(
        lines(&warm),
        lines(&cold),
        "an unchanged tree replays the same"
    );
    std::fs::write(dir.path().join("src/helper.rs"), quiet).unwrap();
    let changed = run_in(dir.path(), &args);
    assert!(lines(&changed).is_empty(), "{}", stdout(&changed));
    std::fs::write(dir.path().join("src/helper.rs"), sleeping).unwrap();
    let back = run_in(dir.path(), &args);
    assert_eq!(lines(&back), lines(&cold), "{}", stdout(&back));
}

#[test]
fn blocking_in_tests_policy_is_configurable() {
    const TESTS: &str = "use std::time::Duration;\n\
        #[tokio::test]\nasync fn quiet() {\n    std::thread::sleep(Duration::from_millis(1));\n}\n\
        #[tokio::test]\nasync fn served() {\n    tokio::spawn(async {});\n    std::thread::sleep(Duration::from_millis(1));\n}\n\
        #[tokio::test]\nasync fn locked() {\n    let m = std::sync::Mutex::new(0);\n    let g = m.lock().unwrap();\n    tokio::task::yield_now().await;\n    drop(g);\n}\n";
    let lines = |policy: Option<&str>| {
        let mut files: Vec<(&str, Vec<u8>)> = vec![("a.rs", TESTS.as_bytes().to_vec())];
        if let Some(p) = policy {
            files.push((
                "async-lint.toml",
                format!("blocking-in-tests = \"{p}\"\n").into_bytes(),
            ));
        }
        let dir = tree(&files);
        let o = run_in(dir.path(), &["--format", "short", "a.rs"]);
        stdout(&o)
            .lines()
            .filter(|l| l.contains('['))
            .map(|l| {
                l.split(':').nth(1).unwrap_or("").to_string()
                    + " "
                    + l.split('[').nth(1).unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let default = lines(None);
    assert_eq!(lines(Some("concurrent")), default);
    // Only the sleep after the spawn; the lock rule stays on in tests.
    assert!(default.contains("9 blocking-sleep"), "{default}");
    assert!(!default.contains("4 blocking-sleep"), "{default}");
    assert!(default.contains("lock-across-await"), "{default}");
    let always = lines(Some("always"));
    assert!(
        always.contains("4 blocking-sleep") && always.contains("9 blocking-sleep"),
        "{always}"
    );
    let never = lines(Some("never"));
    assert!(!never.contains("blocking-sleep"), "{never}");
    assert!(never.contains("lock-across-await"), "{never}");
    let dir = tree(&[
        ("a.rs", TESTS.as_bytes()),
        ("async-lint.toml", b"blocking-in-tests = \"sometimes\"\n"),
    ]);
    let o = run_in(dir.path(), &["a.rs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("blocking-in-tests"), "{}", stderr(&o));
}

#[test]
fn path_metadata_methods_are_an_opt_in() {
    const PROBE: &str =
        "use std::path::Path;\nasync fn probe(p: &Path) -> bool {\n    p.exists()\n}\n";
    let dir = tree(&[("a.rs", PROBE.as_bytes())]);
    let o = run_in(dir.path(), &["--format", "short", "a.rs"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let dir = tree(&[
        ("a.rs", PROBE.as_bytes()),
        ("async-lint.toml", b"blocking-path-metadata = true\n"),
    ]);
    let o = run_in(dir.path(), &["--format", "short", "a.rs"]);
    assert!(
        stdout(&o).contains("a.rs:3:5: warning[blocking-fs] `std::path::Path::exists`"),
        "{}",
        stdout(&o)
    );
    let dir = tree(&[
        ("a.rs", PROBE.as_bytes()),
        ("async-lint.toml", b"blocking-path-metadata = \"yes\"\n"),
    ]);
    let o = run_in(dir.path(), &["a.rs"]);
    assert_eq!(o.status.code(), Some(2));
}
