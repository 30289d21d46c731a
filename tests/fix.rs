//! `--fix`, `--unsafe-fixes`, `--diff`: edits land atomically, only when the result parses,
//! preserve CRLF and BOM, change nothing else, and are idempotent.

use std::path::Path;
use std::process::{Command, Output};

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_async-lint"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run async-lint")
}

const BLOCKING: &str = "use std::time::Duration;\n\nasync fn f() {\n    std::thread::sleep(Duration::from_millis(1));\n    let x = 1; // untouched   spacing\n}\n";
const FIXED: &str = "use std::time::Duration;\n\nasync fn f() {\n    tokio::time::sleep(Duration::from_millis(1)).await;\n    let x = 1; // untouched   spacing\n}\n";

fn file(content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("a.rs");
    std::fs::write(&p, content).expect("write");
    (dir, p)
}

#[test]
fn fix_alone_does_not_apply_unsafe_fixes() {
    let (dir, p) = file(BLOCKING);
    let o = run_in(dir.path(), &["--fix", "--format", "short", "a.rs"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), BLOCKING);
}

#[test]
fn unsafe_fixes_apply_and_are_idempotent() {
    let (dir, p) = file(BLOCKING);
    let o = run_in(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--format", "short", "a.rs"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), FIXED);
    let o = run_in(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--format", "short", "a.rs"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        FIXED,
        "a second --fix changes nothing"
    );
}

#[test]
fn diff_writes_nothing_and_exits_1() {
    let (dir, p) = file(BLOCKING);
    let o = run_in(dir.path(), &["--diff", "--unsafe-fixes", "a.rs"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("--- a/a.rs") && out.contains("+++ b/a.rs"),
        "{out}"
    );
    assert!(
        out.contains("-    std::thread::sleep(Duration::from_millis(1));"),
        "{out}"
    );
    assert!(
        out.contains("+    tokio::time::sleep(Duration::from_millis(1)).await;"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), BLOCKING);
    let (dir, _) = file(FIXED);
    let o = run_in(dir.path(), &["--diff", "--unsafe-fixes", "a.rs"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn crlf_and_bom_are_preserved() {
    let crlf = format!("\u{feff}{}", BLOCKING.replace('\n', "\r\n"));
    let (dir, p) = file(&crlf);
    let o = run_in(dir.path(), &["--unsafe-fixes", "--format", "short", "a.rs"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        format!("\u{feff}{}", FIXED.replace('\n', "\r\n"))
    );
}

#[test]
fn permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, p) = file(BLOCKING);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run_in(dir.path(), &["--unsafe-fixes", "a.rs"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name() != ".async-lint-cache")
            .count(),
        1,
        "no temporary file left behind"
    );
}

/// The re-lint between fix passes keeps the first run's suppressions and test-code policy: a
/// second pass (needed here because the first one edited the file) rewrites neither an allowed
/// sleep nor one in a test that starts nothing, which were never reported.
#[test]
fn later_fix_passes_leave_suppressed_and_unreported_code_alone() {
    let src = "use std::time::Duration;\n\n\
        async fn allowed() {\n    std::thread::sleep(Duration::from_millis(1)); // async-lint: allow(blocking-sleep)\n}\n\n\
        async fn reported() {\n    std::thread::sleep(Duration::from_millis(1));\n}\n\n\
        #[tokio::test]\nasync fn quiet_test() {\n    std::thread::sleep(Duration::from_millis(1));\n}\n";
    let (dir, p) = file(src);
    let o = run_in(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--format", "short", "a.rs"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let fixed = std::fs::read_to_string(&p).unwrap();
    let expected = src.replacen(
        "async fn reported() {\n    std::thread::sleep(Duration::from_millis(1));",
        "async fn reported() {\n    tokio::time::sleep(Duration::from_millis(1)).await;",
        1,
    );
    assert_eq!(fixed, expected);
}
