//! Every `--format` end to end: the built binary on a temporary directory.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BLOCKING: &str =
    "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(10));\n}\n";
const CLEAN: &str =
    "async fn f() {\n    tokio::time::sleep(std::time::Duration::from_millis(10)).await;\n}\n";

/// A temporary directory holding `lib.rs` with `text`.
fn project(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), text).unwrap();
    dir
}

/// Runs the linter in `dir` on `lib.rs` with `args`; returns stdout and the exit code.
fn lint(dir: &Path, args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_async-lint"))
        .current_dir(dir)
        .args(args)
        .arg("lib.rs")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "unexpected stderr: {stderr}");
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn short() {
    let dir = project(BLOCKING);
    let (out, code) = lint(dir.path(), &["--format", "short"]);
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("lib.rs:2:5: warning[blocking-sleep] "),
        "{out}"
    );

    let dir = project(CLEAN);
    assert_eq!(lint(dir.path(), &["--format", "short"]), (String::new(), 0));
}

#[test]
fn json() {
    let dir = project(BLOCKING);
    let (out, code) = lint(dir.path(), &["--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(out.matches('\n').count(), 1, "compact, one line: {out}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["files_checked"], 1);
    assert_eq!(doc["errors"], serde_json::json!([]));
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1);
    let d = &diags[0];
    assert_eq!(d["rule"], "blocking-sleep");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["path"], "lib.rs");
    assert_eq!(
        (&d["line"], &d["column"]),
        (&Value::from(2), &Value::from(5))
    );
    assert_eq!(
        (&d["end_line"], &d["end_column"]),
        (&Value::from(2), &Value::from(61))
    );
    assert!(d["help"].is_string());
    assert_eq!(d["fix"]["applicability"], "unsafe");
    assert_eq!(d["fix"]["edits"][0]["line"], 2);
    assert!(
        d["fix"]["edits"][0]["replacement"]
            .as_str()
            .unwrap()
            .ends_with(".await")
    );

    let dir = project(CLEAN);
    let (out, code) = lint(dir.path(), &["--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"version\":1,\"files_checked\":1,\"diagnostics\":[],\"errors\":[]}\n"
    );
}

#[test]
fn github() {
    let dir = project(BLOCKING);
    let (out, code) = lint(dir.path(), &["--format", "github"]);
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with(
            "::warning file=lib.rs,line=2,col=5,endLine=2,endColumn=61,title=async-lint (blocking-sleep)::"
        ),
        "{out}"
    );
    assert!(out.contains("%0Ahelp: "), "{out}");

    let dir = project(CLEAN);
    assert_eq!(
        lint(dir.path(), &["--format", "github"]),
        (String::new(), 0)
    );
}

#[test]
fn sarif() {
    let dir = project(BLOCKING);
    let (out, code) = lint(dir.path(), &["--format", "sarif"]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        async_lint::ALL.len()
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "blocking-sleep");
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "lib.rs");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 5);
    assert!(results[0]["fixes"].is_array());

    let dir = project(CLEAN);
    let (out, code) = lint(dir.path(), &["--format", "sarif"]);
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn human_is_the_default() {
    let dir = project(BLOCKING);
    let (out, code) = lint(dir.path(), &["--color", "never"]);
    assert_eq!(code, 1);
    assert!(!out.contains('\x1b'), "{out}");
    assert!(out.contains("blocking-sleep"), "{out}");
    assert!(
        out.starts_with("warning[blocking-sleep]: `std::thread::sleep` blocks the executor thread in async fn `f`\n --> lib.rs:2:5\n"),
        "{out}"
    );
    assert!(
        out.contains("std::thread::sleep(std::time::Duration::from_millis(10));"),
        "{out}"
    );
    assert!(out.contains("  = help: "), "{out}");
    let footer = out.lines().last().unwrap();
    assert!(
        footer.starts_with("Found 1 diagnostic in 1 file; 1 file checked in "),
        "{out}"
    );

    // Not a terminal: no color even without `--color never`.
    let (auto, _) = lint(dir.path(), &[]);
    assert!(!auto.contains('\x1b'), "{auto}");
    let (always, _) = lint(dir.path(), &["--color", "always"]);
    assert!(always.contains('\x1b'), "{always}");

    let dir = project(CLEAN);
    let (out, code) = lint(dir.path(), &["--color", "never"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("All clear: 1 file checked in "), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
}
