//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations.
//!
//! One command a diagnostic:
//!
//! ```text
//! ::warning file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=async-lint (RULE)::MESSAGE
//! ```
//!
//! Severity `error` maps to `::error`, `warning` to `::warning` and `info` to `::notice`. When the
//! diagnostic has help, the message is followed by a newline and `help: ...`.
//!
//! Decision on columns: GitHub rejects `col`/`endColumn` when `line != endLine`, so they are
//! emitted only for single-line spans; multi-line spans carry `line` and `endLine` only.
//!
//! Paths are relative to the repository root (`$GITHUB_WORKSPACE`, or the directory holding
//! `.git`), which is what the runner matches against the pull request's files, whatever
//! directory the linter ran in.
//!
//! File errors become `::error file=PATH,line=L,col=C::MESSAGE` (position omitted when unknown).
//!
//! Escaping follows the runner's rules: in the message `%`, `\r`, `\n` become `%25`, `%0D`,
//! `%0A`; property values additionally escape `:` and `,` as `%3A` and `%2C`.

use std::io::{self, Write};
use std::path::Path;

use crate::diagnostic::{Report, Severity};
use crate::render::display_path;

/// Writes one workflow command per diagnostic, then one per file error.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let (start, end) = report.span_positions(&d.path, &d.range);
        let mut props = format!(
            "file={},line={}",
            escape_property(&annotation_path(report, &d.path)),
            start.line
        );
        if start.line == end.line {
            props.push_str(&format!(
                ",col={},endLine={},endColumn={}",
                start.column, end.line, end.column
            ));
        } else {
            props.push_str(&format!(",endLine={}", end.line));
        }
        let title = format!("async-lint ({})", d.rule.id);
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{} {props},title={}::{}",
            command(d.severity),
            escape_property(&title),
            escape_data(&message)
        )?;
    }
    for e in &report.errors {
        let mut props = format!(
            "file={}",
            escape_property(&annotation_path(report, &e.path))
        );
        if let Some(line) = e.line {
            props.push_str(&format!(",line={line}"));
            if let Some(col) = e.column {
                props.push_str(&format!(",col={col}"));
            }
        }
        writeln!(out, "::error {props}::{}", escape_data(&e.message))?;
    }
    Ok(())
}

/// A path as GitHub attaches annotations to it: relative to the repository root when the report
/// knows it (the action may run in a subdirectory), else as the report holds it.
fn annotation_path(report: &Report, path: &Path) -> String {
    match (&report.root, &report.repo_root) {
        (Some(root), Some(repo)) => display_path(&crate::paths::rebase(path, root, repo)),
        _ => display_path(path),
    }
}

/// The workflow command for a severity.
fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Escapes a command's data (the message after `::`).
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command property value (`file=`, `title=`, ...).
pub fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::diagnostic::FileError;
    use crate::render::fixture;

    fn rendered(report: &Report) -> String {
        let mut out = Vec::new();
        render(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn exact_commands() {
        let expected = "\
::notice file=src/lib.rs,line=1,endLine=3,title=async-lint (blocking-sleep)::multi-line span
::warning file=src/lib.rs,line=2,col=5,endLine=2,endColumn=26,title=async-lint (blocking-sleep)::sleep: 100%25 blocking, really%0Asecond line%0Ahelp: use `tokio::time::sleep(..).await`
::error file=src/lib.rs,line=4,col=29,endLine=4,endColumn=50,title=async-lint (blocking-sleep)::second sleep
::error file=src/bad.rs,line=3,col=7::expected `;`, found `}`
::error file=src/unreadable.rs::stream did not contain valid UTF-8
";
        assert_eq!(rendered(&fixture::report()), expected);
    }

    #[test]
    fn properties_escape_colon_and_comma() {
        let mut report = fixture::clean();
        report.errors.push(FileError {
            path: PathBuf::from("C:dir,a%b\r\n.rs"),
            message: "a: b, c% d\r\ne".to_string(),
            line: None,
            column: None,
        });
        assert_eq!(
            rendered(&report),
            "::error file=C%3Adir%2Ca%25b%0D%0A.rs::a: b, c%25 d%0D%0Ae\n"
        );
    }

    #[test]
    fn escaping_helpers() {
        assert_eq!(escape_data("100%: a,b\n"), "100%25: a,b%0A");
        assert_eq!(escape_property("100%: a,b\n"), "100%25%3A a%2Cb%0A");
    }

    #[test]
    fn clean_report_prints_nothing() {
        assert_eq!(rendered(&fixture::clean()), "");
    }
}
