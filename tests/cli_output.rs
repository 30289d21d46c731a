//! The binary's reporting contract: exit codes (`--exit-zero`, `--fail-on`, severity `off`),
//! rule selection (groups, `--extend-select`/`--extend-ignore`, suggestions), paths (relative,
//! normalised, `git apply`-able diffs, SARIF base ids, annotations from a subdirectory), the
//! rustc-style human output with elided snippets, `--quiet`, and runs that find no Rust file.

mod common;

use std::path::Path;
use std::process::Command;

use common::{BLOCKING, CLEAN, bin, run_in, stderr, stdout, tree};
use serde_json::Value;

/// A file with one `blocking-sleep` (warning) and one `blocking-fs` finding.
const SLEEP_AND_FS: &str = "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    let _ = std::fs::read(\"x\");\n}\n";

fn short(dir: &Path, args: &[&str]) -> (String, i32) {
    let mut all = vec!["--format", "short", "--no-cache"];
    all.extend_from_slice(args);
    let o = run_in(dir, &all);
    (stdout(&o), o.status.code().unwrap_or(-1))
}

fn rules_reported(out: &str) -> Vec<String> {
    let mut ids: Vec<String> = out
        .lines()
        .filter_map(|l| {
            let start = l.find('[')? + 1;
            let end = l[start..].find(']')? + start;
            Some(l[start..end].to_string())
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn exit_zero_reports_but_succeeds() {
    let dir = tree(&[("a.rs", BLOCKING)]);
    let (out, code) = short(dir.path(), &["--exit-zero", "a.rs"]);
    assert_eq!(code, 0);
    assert!(out.contains("warning[blocking-sleep]"), "{out}");
    // Usage errors still exit 2.
    let (_, code) = short(dir.path(), &["--exit-zero", "--select", "nope", "a.rs"]);
    assert_eq!(code, 2);
    // --diff with --exit-zero: the diff is printed, exit 0.
    let o = run_in(
        dir.path(),
        &["--unsafe-fixes", "--diff", "--exit-zero", "a.rs"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("+++ b/a.rs"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("1 fix would change 1 file"),
        "{}",
        stderr(&o)
    );
    let o = run_in(dir.path(), &["--unsafe-fixes", "--diff", "-q", "a.rs"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("+++ b/a.rs"), "{}", stdout(&o));
    assert_eq!(stderr(&o), "");
}

#[test]
fn info_findings_fail_only_with_fail_on_info() {
    let dir = tree(&[
        ("a.rs", BLOCKING),
        (
            "async-lint.toml",
            "severity = { blocking-sleep = \"info\" }\n",
        ),
    ]);
    let (out, code) = short(dir.path(), &["a.rs"]);
    assert!(out.contains("info[blocking-sleep]"), "{out}");
    assert_eq!(code, 0, "info does not fail by default");
    assert_eq!(short(dir.path(), &["--fail-on", "info", "a.rs"]).1, 1);
    assert_eq!(short(dir.path(), &["--fail-on", "warning", "a.rs"]).1, 0);
    // A warning fails by default and with --fail-on warning, not with --fail-on error.
    let dir = tree(&[("a.rs", BLOCKING)]);
    assert_eq!(short(dir.path(), &["a.rs"]).1, 1);
    assert_eq!(short(dir.path(), &["--fail-on", "error", "a.rs"]).1, 0);
    let dir = tree(&[
        ("a.rs", BLOCKING),
        (
            "async-lint.toml",
            "severity = { blocking-sleep = \"error\" }\n",
        ),
    ]);
    assert_eq!(short(dir.path(), &["--fail-on", "error", "a.rs"]).1, 1);
    // File errors always fail.
    let dir = tree(&[("broken.rs", "fn f( {\n")]);
    assert_eq!(short(dir.path(), &["--fail-on", "error", "broken.rs"]).1, 1);
    let (_, code) = short(dir.path(), &["--fail-on", "fatal", "broken.rs"]);
    assert_eq!(code, 2);
}

#[test]
fn cargo_json_build_finished_agrees_with_the_exit_status() {
    let dir = tree(&[("a.rs", BLOCKING)]);
    let finished = |args: &[&str]| {
        let mut all = vec!["--format", "cargo-json", "--no-cache"];
        all.extend_from_slice(args);
        let o = run_in(dir.path(), &all);
        let last: Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
        assert_eq!(last["reason"], "build-finished");
        (last["success"].as_bool().unwrap(), o.status.code().unwrap())
    };
    assert_eq!(finished(&["a.rs"]), (false, 1));
    assert_eq!(finished(&["--fail-on", "error", "a.rs"]), (true, 0));
    assert_eq!(finished(&["--exit-zero", "a.rs"]), (true, 0));
}

#[test]
fn severity_off_disables_a_rule() {
    let dir = tree(&[
        ("a.rs", SLEEP_AND_FS),
        (
            "async-lint.toml",
            "severity = { blocking-sleep = \"off\" }\n",
        ),
    ]);
    let (out, code) = short(dir.path(), &["a.rs"]);
    assert_eq!(rules_reported(&out), ["blocking-fs"], "{out}");
    assert_eq!(code, 1);
    let o = bin()
        .current_dir(dir.path())
        .arg("--list-rules")
        .output()
        .unwrap();
    let listed = stdout(&o);
    let line = listed
        .lines()
        .find(|l| l.starts_with("blocking-sleep "))
        .unwrap();
    assert!(line.contains("disabled"), "{listed}");
    // A group turned off.
    let dir = tree(&[
        ("a.rs", SLEEP_AND_FS),
        ("async-lint.toml", "severity = { blocking = \"off\" }\n"),
    ]);
    let (out, code) = short(dir.path(), &["a.rs"]);
    assert_eq!((out.as_str(), code), ("", 0));
}

#[test]
fn groups_and_extend_options_select_rules() {
    let dir = tree(&[("a.rs", SLEEP_AND_FS)]);
    let (out, _) = short(dir.path(), &["--select", "blocking", "a.rs"]);
    assert_eq!(rules_reported(&out), ["blocking-fs", "blocking-sleep"]);
    let (out, code) = short(dir.path(), &["--ignore", "blocking", "a.rs"]);
    assert_eq!((out.as_str(), code), ("", 0));
    let (out, _) = short(
        dir.path(),
        &["--select", "ALL", "--ignore", "blocking-fs", "a.rs"],
    );
    assert_eq!(rules_reported(&out), ["blocking-sleep"]);
    let (out, _) = short(
        dir.path(),
        &[
            "--select",
            "unawaited-future",
            "--extend-select",
            "blocking-fs",
            "a.rs",
        ],
    );
    assert_eq!(rules_reported(&out), ["blocking-fs"]);
    let (out, _) = short(dir.path(), &["--extend-ignore", "blocking-sleep", "a.rs"]);
    assert_eq!(rules_reported(&out), ["blocking-fs"]);
    // The config's select, extended from the command line and the config.
    let dir = tree(&[
        ("a.rs", SLEEP_AND_FS),
        (
            "async-lint.toml",
            "select = [\"unawaited-future\"]\nextend-select = [\"blocking-sleep\"]\n",
        ),
    ]);
    let (out, _) = short(dir.path(), &["a.rs"]);
    assert_eq!(rules_reported(&out), ["blocking-sleep"]);
    let (out, _) = short(dir.path(), &["--extend-select", "blocking-fs", "a.rs"]);
    assert_eq!(rules_reported(&out), ["blocking-fs", "blocking-sleep"]);
    let dir = tree(&[
        ("a.rs", SLEEP_AND_FS),
        ("async-lint.toml", "extend-ignore = [\"blocking-fs\"]\n"),
    ]);
    let (out, _) = short(dir.path(), &["a.rs"]);
    assert_eq!(rules_reported(&out), ["blocking-sleep"]);
}

#[test]
fn unknown_names_suggest_the_closest() {
    let dir = tree(&[("a.rs", CLEAN)]);
    let o = run_in(dir.path(), &["--select", "blocking-fss", "a.rs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown rule `blocking-fss` in --select; did you mean `blocking-fs`?"),
        "{}",
        stderr(&o)
    );
    let o = run_in(dir.path(), &["--extend-ignore", "blockin", "a.rs"]);
    assert!(
        stderr(&o).contains("did you mean `blocking`?"),
        "{}",
        stderr(&o)
    );
    let o = run_in(dir.path(), &["--explain", "blocking-slep"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("did you mean `blocking-sleep`?"),
        "{}",
        stdout(&o)
    );
    let dir = tree(&[("a.rs", CLEAN), ("async-lint.toml", "ignor = []\n")]);
    let o = run_in(dir.path(), &["a.rs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown key `ignor` (did you mean `ignore`?"),
        "{}",
        stderr(&o)
    );
    let dir = tree(&[
        ("a.rs", CLEAN),
        (
            "async-lint.toml",
            "severity = { blocking-sleeps = \"off\" }\n",
        ),
    ]);
    let o = run_in(dir.path(), &["a.rs"]);
    assert!(
        stderr(&o).contains("did you mean `blocking-sleep`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn paths_are_relative_and_normalised() {
    let dir = tree(&[("src/a.rs", BLOCKING), ("src/sub/keep.txt", "")]);
    let abs = dir.path().join("src/a.rs");
    let abs = abs.to_str().unwrap();
    for arg in ["./src/a.rs", "src/sub/../a.rs", abs, "./src"] {
        let (out, _) = short(dir.path(), &[arg]);
        assert!(out.starts_with("src/a.rs:2:5: "), "{arg}: {out}");
        let o = run_in(dir.path(), &["--format", "json", "--no-cache", arg]);
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["diagnostics"][0]["path"], "src/a.rs", "{arg}");
    }
    // From a subdirectory, a file above is shown absolute (no `..`).
    let sub = dir.path().join("src/sub");
    let (out, _) = short(&sub, &["../a.rs"]);
    let shown = dir.path().canonicalize().unwrap().join("src/a.rs");
    assert!(
        out.starts_with(&format!("{}:2:5", shown.display())),
        "{out}"
    );
}

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.email=t@t", "-c", "user.name=t"])
        .args(args)
        .output()
        .expect("git")
}

#[test]
fn diff_applies_with_git_apply() {
    // CRLF and a missing final newline must survive the round trip too.
    let crlf = BLOCKING.replace('\n', "\r\n");
    let dir = tree(&[
        ("crate/src/a.rs", BLOCKING),
        ("crate/src/b.rs", BLOCKING),
        ("crate/src/crlf.rs", crlf.as_str()),
        ("crate/src/no_newline.rs", BLOCKING.trim_end()),
    ]);
    assert!(git(dir.path(), &["init", "-q"]).status.success());
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "init"]);
    // From the repository root and from a subdirectory, with `./` and absolute arguments.
    let abs = dir.path().join("crate/src/b.rs");
    let cases: [(&Path, Vec<&str>); 2] = [
        (dir.path(), vec!["./crate/src/a.rs", abs.to_str().unwrap()]),
        (&dir.path().join("crate"), vec!["./src/../src"]),
    ];
    for (cwd, paths) in cases {
        let mut args = vec!["--unsafe-fixes", "--diff", "--no-cache"];
        args.extend(paths.iter().copied());
        let o = run_in(cwd, &args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let patch = stdout(&o);
        assert!(!patch.contains("./") && !patch.contains(".."), "{patch}");
        let file = cwd.join("fix.patch");
        std::fs::write(&file, &patch).unwrap();
        let check = git(cwd, &["apply", "--check", "fix.patch"]);
        assert!(
            check.status.success(),
            "git apply --check in {}: {}\n{patch}",
            cwd.display(),
            String::from_utf8_lossy(&check.stderr)
        );
        std::fs::remove_file(&file).unwrap();
    }
    // It really applies: the findings are gone afterwards.
    let o = run_in(
        dir.path(),
        &["--unsafe-fixes", "--diff", "--no-cache", "crate"],
    );
    std::fs::write(dir.path().join("fix.patch"), stdout(&o)).unwrap();
    assert!(git(dir.path(), &["apply", "fix.patch"]).status.success());
    std::fs::remove_file(dir.path().join("fix.patch")).unwrap();
    let (out, code) = short(dir.path(), &["crate"]);
    assert_eq!((out.as_str(), code), ("", 0));
}

/// Every artifact location of a SARIF log: relative URIs carry `%SRCROOT%`, the others are
/// absolute `file://` URIs (the multitool's SARIF1004 rule).
fn check_artifact_uris(v: &Value, seen: &mut usize) {
    match v {
        Value::Object(m) => {
            if let Some(loc) = m.get("artifactLocation") {
                *seen += 1;
                let uri = loc["uri"].as_str().unwrap();
                match loc.get("uriBaseId") {
                    Some(base) => {
                        assert_eq!(base, "%SRCROOT%");
                        assert!(
                            !uri.starts_with('/') && !uri.contains(':') && !uri.contains(".."),
                            "{uri}"
                        );
                    }
                    None => assert!(uri.starts_with("file:///"), "{uri}"),
                }
            }
            m.values().for_each(|x| check_artifact_uris(x, seen));
        }
        Value::Array(a) => a.iter().for_each(|x| check_artifact_uris(x, seen)),
        _ => {}
    }
}

#[test]
fn sarif_uses_base_ids_for_absolute_inputs() {
    let dir = tree(&[("src/a.rs", BLOCKING), ("src/broken.rs", "fn f( {\n")]);
    let other = tree(&[("b.rs", BLOCKING)]);
    let abs = dir.path().join("src");
    let outside = other.path().join("b.rs");
    let o = run_in(
        dir.path(),
        &[
            "--format",
            "sarif",
            "--no-cache",
            abs.to_str().unwrap(),
            outside.to_str().unwrap(),
        ],
    );
    let log: Value = serde_json::from_slice(&o.stdout).expect("SARIF");
    let run = &log["runs"][0];
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let mut seen = 0;
    check_artifact_uris(&log, &mut seen);
    assert!(seen >= 4, "{seen}");
    let results = run["results"].as_array().unwrap();
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"src/a.rs"), "{uris:?}");
    assert!(
        uris.iter()
            .any(|u| u.starts_with("file:///") && u.ends_with("/b.rs")),
        "{uris:?}"
    );
    let names: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"BlockingSleep"), "{names:?}");
}

#[test]
fn github_annotations_are_relative_to_the_repository() {
    let dir = tree(&[("crates/api/src/a.rs", BLOCKING)]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let api = dir.path().join("crates/api");
    let run = |extra_env: Option<&Path>| {
        let mut c = bin();
        c.current_dir(&api)
            .args(["--format", "github", "--no-cache", "./src"])
            .env_remove("GITHUB_WORKSPACE");
        if let Some(ws) = extra_env {
            c.env("GITHUB_WORKSPACE", ws);
        }
        stdout(&c.output().unwrap())
    };
    let out = run(None);
    assert!(
        out.starts_with("::warning file=crates/api/src/a.rs,line=2,"),
        "{out}"
    );
    let out = run(Some(&dir.path().join("crates")));
    assert!(
        out.starts_with("::warning file=api/src/a.rs,line=2,"),
        "{out}"
    );
}

/// The human report with its timing replaced.
fn human(dir: &Path, args: &[&str]) -> (String, i32) {
    let mut all = vec!["--color", "never", "--no-cache"];
    all.extend_from_slice(args);
    let o = run_in(dir, &all);
    let text = stdout(&o);
    let text = match text.find(" checked in ") {
        Some(at) => {
            let end = text[at..].find("s.").map_or(text.len(), |e| at + e + 2);
            format!("{} checked in [TIME].{}", &text[..at], &text[end..])
        }
        None => text,
    };
    (text, o.status.code().unwrap_or(-1))
}

#[test]
fn human_output_elides_long_functions() {
    let mut long = String::from("use std::time::Duration;\n\nasync fn poll(n: u64) {\n");
    for i in 0..120 {
        long.push_str(&format!("    let step{i} = n + {i};\n"));
    }
    long.push_str("    std::thread::sleep(Duration::from_millis(step119));\n}\n");
    let dir = tree(&[("src/poll.rs", long.as_str())]);
    let (text, code) = human(dir.path(), &["src"]);
    assert_eq!(code, 1);
    assert!(text.lines().count() < 20, "{text}");
    insta::assert_snapshot!("human_long_fn_elided", text);
}

#[test]
fn human_output_of_a_multi_line_label() {
    let mut src = String::from("async fn run() {\n    let task = tokio::spawn(async move {\n");
    for i in 0..40 {
        src.push_str(&format!("        work({i}).await;\n"));
    }
    src.push_str("    });\n    let _ = task.await;\n}\nasync fn work(_: u32) {}\n");
    let dir = tree(&[("src/lib.rs", src.as_str())]);
    let (text, _) = human(dir.path(), &["--select", "swallowed-cancellation", "src"]);
    assert!(text.lines().count() < 25, "{text}");
    insta::assert_snapshot!("human_multi_line_label_elided", text);
}

#[test]
fn quiet_prints_only_diagnostics_and_fixable_counts_are_summarised() {
    let dir = tree(&[("a.rs", SLEEP_AND_FS)]);
    let (text, code) = human(dir.path(), &["a.rs"]);
    assert_eq!(code, 1);
    let footer = text.lines().last().unwrap();
    assert!(
        footer.starts_with("Found 2 diagnostics in 1 file; 1 file checked in [TIME]."),
        "{text}"
    );
    assert!(footer.contains("fixable with `--fix`"), "{footer}");
    assert!(footer.contains("with `--unsafe-fixes`"), "{footer}");
    let (quiet, code) = human(dir.path(), &["-q", "a.rs"]);
    assert_eq!(code, 1);
    assert!(quiet.starts_with("warning[blocking-sleep]"), "{quiet}");
    assert!(!quiet.contains("Found"), "{quiet}");
    let dir = tree(&[("a.rs", CLEAN)]);
    let (quiet, code) = human(dir.path(), &["--quiet", "a.rs"]);
    assert_eq!((quiet.as_str(), code), ("", 0));
}

#[test]
fn no_rust_files_is_a_warning_not_all_clear() {
    let dir = tree(&[("README.md", "# nothing\n"), ("docs/x.txt", "")]);
    let o = run_in(dir.path(), &["--no-cache", "-q", "."]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), ("", ""));
    let o = run_in(dir.path(), &["--no-cache", "."]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stdout(&o).contains("All clear"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("warning: no Rust files found in `.`"),
        "{}",
        stderr(&o)
    );
    let o = run_in(dir.path(), &["--no-cache", "--format", "json", "docs"]);
    assert_eq!(o.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files_checked"], 0);
    assert!(stderr(&o).contains("no Rust files found in `docs`"));
}

/// A directory of downloaded crates (each a vendored copy with its `.cargo-checksum.json`, as
/// `../shared/corpus` and `cargo vendor` make them) named on the command line is linted, crate by
/// crate; the same copy inside a project is a dependency and is not.
#[test]
fn a_named_directory_of_vendored_crates_is_linted() {
    let manifest = |name: &str| format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n");
    let dir = tree(&[
        ("crates/a/Cargo.toml", manifest("a")),
        ("crates/a/.cargo-checksum.json", "{}".to_string()),
        ("crates/a/src/lib.rs", BLOCKING.to_string()),
        ("crates/b/Cargo.toml", manifest("b")),
        ("crates/b/.cargo-checksum.json", "{}".to_string()),
        ("crates/b/src/lib.rs", CLEAN.to_string()),
    ]);
    let o = run_in(dir.path(), &["--no-cache", "--format", "json", "crates"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files_checked"], 2);
    assert_eq!(doc["diagnostics"][0]["rule"], "blocking-sleep");
    assert_eq!(doc["diagnostics"][0]["path"], "crates/a/src/lib.rs");
    // Moved into a project's `vendor/`, the same crates are its dependencies.
    std::fs::write(dir.path().join("Cargo.toml"), manifest("app")).unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), CLEAN).unwrap();
    std::fs::rename(dir.path().join("crates"), dir.path().join("vendor")).unwrap();
    let o = run_in(dir.path(), &["--no-cache", "--format", "json", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files_checked"], 1);
}
