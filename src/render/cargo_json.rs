//! `--format cargo-json`: one cargo `compiler-message` JSON object per diagnostic, one a line, then
//! a `build-finished` line: what `cargo check --message-format=json` prints. Editors that run a
//! check command and read cargo's messages (rust-analyzer's `check.overrideCommand`) show the
//! findings inline, with their fixes as quick fixes.
//!
//! Each line is
//!
//! ```text
//! {"reason":"compiler-message","package_id":..,"manifest_path":..,"target":{..},
//!  "message":{"$message_type":"diagnostic","message","code":{"code","explanation":null},"level",
//!             "spans":[{"file_name","byte_start","byte_end","line_start","line_end",
//!                       "column_start","column_end","is_primary","text":[..],"label",
//!                       "suggested_replacement","suggestion_applicability","expansion":null}],
//!             "children":[..help and fix..],"rendered"}}
//! ```
//!
//! The renderer reads no files, so `package_id`, `manifest_path` and `target` are derived from the
//! path alone (the `Cargo.toml` next to the nearest `src` directory above the file); editors use
//! only `message`. File errors become `error`-level messages without a code.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::{Applicability, Diagnostic, FileError, Report, Severity};
use crate::render::display_path;

#[derive(Serialize)]
struct CompilerMessage<'a> {
    reason: &'static str,
    package_id: String,
    manifest_path: String,
    target: Target,
    message: Message<'a>,
}

#[derive(Serialize)]
struct Target {
    kind: [&'static str; 1],
    crate_types: [&'static str; 1],
    name: String,
    src_path: String,
    edition: &'static str,
    doc: bool,
    doctest: bool,
    test: bool,
}

#[derive(Serialize)]
struct Message<'a> {
    #[serde(rename = "$message_type")]
    message_type: &'static str,
    message: &'a str,
    code: Option<Code<'a>>,
    level: &'static str,
    spans: Vec<Span<'a>>,
    children: Vec<Message<'a>>,
    rendered: Option<String>,
}

#[derive(Serialize)]
struct Code<'a> {
    code: &'a str,
    explanation: Option<&'a str>,
}

#[derive(Serialize)]
struct Span<'a> {
    file_name: String,
    byte_start: usize,
    byte_end: usize,
    line_start: usize,
    line_end: usize,
    column_start: usize,
    column_end: usize,
    is_primary: bool,
    text: Vec<SpanLine>,
    label: Option<&'a str>,
    suggested_replacement: Option<&'a str>,
    suggestion_applicability: Option<&'static str>,
    expansion: Option<()>,
}

#[derive(Serialize)]
struct SpanLine {
    text: String,
    highlight_start: usize,
    highlight_end: usize,
}

#[derive(Serialize)]
struct BuildFinished {
    reason: &'static str,
    success: bool,
}

/// Writes one `compiler-message` line per diagnostic and file error, then `build-finished`, whose
/// `success` is `passes` (the run's exit status is 0).
pub fn render(report: &Report, passes: bool, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let msg = CompilerMessage {
            message: diagnostic(report, d),
            ..envelope(&d.path)
        };
        serde_json::to_writer(&mut *out, &msg)?;
        out.write_all(b"\n")?;
    }
    for e in &report.errors {
        let msg = CompilerMessage {
            message: error(e),
            ..envelope(&e.path)
        };
        serde_json::to_writer(&mut *out, &msg)?;
        out.write_all(b"\n")?;
    }
    serde_json::to_writer(
        &mut *out,
        &BuildFinished {
            reason: "build-finished",
            success: passes,
        },
    )?;
    out.write_all(b"\n")
}

/// The crate directory a file most likely belongs to: the parent of the nearest `src` above it,
/// else the file's directory. Lexical only (renderers read no files).
fn crate_dir(path: &Path) -> PathBuf {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.file_name().is_some_and(|n| n == "src") {
            return d.parent().map(Path::to_path_buf).unwrap_or_default();
        }
        dir = d.parent();
    }
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn envelope(path: &Path) -> CompilerMessage<'static> {
    let dir = crate_dir(path);
    let manifest = dir.join("Cargo.toml");
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().replace('-', "_"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "crate".to_string());
    CompilerMessage {
        reason: "compiler-message",
        package_id: format!(
            "path+file://{}#{}",
            display_path(&dir),
            env!("CARGO_PKG_VERSION")
        ),
        manifest_path: display_path(&manifest),
        target: Target {
            kind: ["lib"],
            crate_types: ["lib"],
            name,
            src_path: display_path(path),
            edition: "2021",
            doc: true,
            doctest: true,
            test: true,
        },
        message: Message {
            message_type: "diagnostic",
            message: "",
            code: None,
            level: "warning",
            spans: Vec::new(),
            children: Vec::new(),
            rendered: None,
        },
    }
}

/// rustc's level for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// rustc's suggestion applicability for a fix's.
fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "MachineApplicable",
        Applicability::Unsafe => "MaybeIncorrect",
        Applicability::Manual => "HasPlaceholders",
    }
}

fn span<'a>(
    report: &Report,
    d: &Diagnostic,
    range: &Range<usize>,
    is_primary: bool,
    label: Option<&'a str>,
) -> Span<'a> {
    let (start, end) = report.span_positions(&d.path, range);
    let mut text = Vec::new();
    if let Some(src) = report.source(&d.path) {
        for line in start.line..=end.line {
            let t = src.line_text(line);
            let width = t.chars().count() + 1;
            text.push(SpanLine {
                text: t.to_string(),
                highlight_start: if line == start.line { start.column } else { 1 },
                highlight_end: if line == end.line { end.column } else { width },
            });
        }
    }
    Span {
        file_name: display_path(&d.path),
        byte_start: range.start,
        byte_end: range.end,
        line_start: start.line,
        line_end: end.line,
        column_start: start.column,
        column_end: end.column,
        is_primary,
        text,
        label,
        suggested_replacement: None,
        suggestion_applicability: None,
        expansion: None,
    }
}

fn child<'a>(message: &'a str, spans: Vec<Span<'a>>) -> Message<'a> {
    Message {
        message_type: "diagnostic",
        message,
        code: None,
        level: "help",
        spans,
        children: Vec::new(),
        rendered: None,
    }
}

fn diagnostic<'a>(report: &Report, d: &'a Diagnostic) -> Message<'a> {
    let mut spans = vec![span(report, d, &d.range, true, None)];
    for l in &d.labels {
        spans.push(span(report, d, &l.range, false, Some(&l.message)));
    }
    let mut children = Vec::new();
    if let Some(help) = &d.help {
        children.push(child(help, Vec::new()));
    }
    if let Some(fix) = &d.fix {
        let edits = fix
            .edits
            .iter()
            .map(|e| Span {
                suggested_replacement: Some(&e.replacement),
                suggestion_applicability: Some(applicability(fix.applicability)),
                ..span(report, d, &e.range, true, None)
            })
            .collect();
        children.push(child(&fix.message, edits));
    }
    Message {
        message_type: "diagnostic",
        message: &d.message,
        code: Some(Code {
            code: d.rule.id,
            explanation: None,
        }),
        level: level(d.severity),
        rendered: Some(rendered(report, d)),
        spans,
        children,
    }
}

/// rustc-like text: header, location, the primary line with a caret underline, help.
fn rendered(report: &Report, d: &Diagnostic) -> String {
    let (start, end) = report.span_positions(&d.path, &d.range);
    let mut s = format!(
        "{}[{}]: {}\n --> {}:{}:{}\n",
        level(d.severity),
        d.rule.id,
        d.message,
        display_path(&d.path),
        start.line,
        start.column
    );
    if let Some(src) = report.source(&d.path) {
        let line = src.line_text(start.line);
        let n = start.line.to_string();
        let pad = " ".repeat(n.len());
        let last = if end.line == start.line {
            end.column
        } else {
            line.chars().count() + 1
        };
        let carets = "^".repeat(last.saturating_sub(start.column).max(1));
        let _ = write!(
            s,
            "{pad} |\n{n} | {line}\n{pad} | {}{carets}\n",
            " ".repeat(start.column - 1)
        );
    }
    if let Some(help) = &d.help {
        let _ = writeln!(s, "  = help: {help}");
    }
    s
}

fn error(e: &FileError) -> Message<'_> {
    let location = match (e.line, e.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", display_path(&e.path)),
        _ => display_path(&e.path),
    };
    let spans = match (e.line, e.column) {
        (Some(l), Some(c)) => vec![Span {
            file_name: display_path(&e.path),
            byte_start: 0,
            byte_end: 0,
            line_start: l,
            line_end: l,
            column_start: c,
            column_end: c,
            is_primary: true,
            text: Vec::new(),
            label: None,
            suggested_replacement: None,
            suggestion_applicability: None,
            expansion: None,
        }],
        _ => Vec::new(),
    };
    Message {
        message_type: "diagnostic",
        message: &e.message,
        code: None,
        level: "error",
        spans,
        children: Vec::new(),
        rendered: Some(format!("error: {}\n --> {location}\n", e.message)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::render::fixture;

    fn lines(report: &Report) -> Vec<Value> {
        let mut out = Vec::new();
        render(report, report.exit_code() == 0, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn one_message_per_diagnostic_and_error_then_build_finished() {
        let msgs = lines(&fixture::report());
        assert_eq!(msgs.len(), 3 + 2 + 1);
        for m in &msgs[..5] {
            assert_eq!(m["reason"], "compiler-message");
            assert_eq!(m["message"]["$message_type"], "diagnostic");
            assert_eq!(m["manifest_path"], "Cargo.toml");
            assert_eq!(m["target"]["kind"], json!(["lib"]));
        }
        assert_eq!(
            msgs[5],
            json!({"reason": "build-finished", "success": false})
        );
        let clean = lines(&fixture::clean());
        assert_eq!(
            clean,
            vec![json!({"reason": "build-finished", "success": true})]
        );
    }

    #[test]
    fn build_finished_states_whether_the_run_passes() {
        // `--fail-on error` over warnings only, or `--exit-zero`: the run passes.
        let mut out = Vec::new();
        render(&fixture::report(), true, &mut out).unwrap();
        let last: Value =
            serde_json::from_str(String::from_utf8(out).unwrap().lines().last().unwrap()).unwrap();
        assert_eq!(last, json!({"reason": "build-finished", "success": true}));
    }

    #[test]
    fn spans_labels_help_and_fix() {
        let msgs = lines(&fixture::report());
        let m = &msgs[1]["message"];
        assert_eq!(
            m["code"],
            json!({"code": "blocking-sleep", "explanation": null})
        );
        assert_eq!(m["level"], "warning");
        let primary = &m["spans"][0];
        let r = fixture::range_of("std::thread::sleep(d)", 0);
        assert_eq!(primary["is_primary"], true);
        assert_eq!(primary["file_name"], "src/lib.rs");
        assert_eq!(primary["byte_start"], r.start);
        assert_eq!(primary["byte_end"], r.end);
        assert_eq!(
            (
                primary["line_start"].clone(),
                primary["column_start"].clone()
            ),
            (json!(2), json!(5))
        );
        assert_eq!(primary["column_end"], 26);
        assert_eq!(
            primary["text"],
            json!([{"text": "    std::thread::sleep(d);", "highlight_start": 5, "highlight_end": 26}])
        );
        assert_eq!(primary["expansion"], Value::Null);
        let label = &m["spans"][1];
        assert_eq!(label["is_primary"], false);
        assert_eq!(label["label"], "async context starts here");
        let children = m["children"].as_array().unwrap();
        assert_eq!(children[0]["level"], "help");
        assert_eq!(children[0]["message"], "use `tokio::time::sleep(..).await`");
        let fix = &children[1];
        assert_eq!(
            fix["message"],
            "replace with `tokio::time::sleep(..).await`"
        );
        assert_eq!(
            fix["spans"][0]["suggested_replacement"],
            "tokio::time::sleep(d).await"
        );
        assert_eq!(
            fix["spans"][0]["suggestion_applicability"],
            "MaybeIncorrect"
        );
        let rendered = m["rendered"].as_str().unwrap();
        assert!(
            rendered.starts_with("warning[blocking-sleep]: sleep: 100% blocking"),
            "{rendered}"
        );
        assert!(
            rendered.contains("2 |     std::thread::sleep(d);\n  |     ^^^^^"),
            "{rendered}"
        );
        // Non-ASCII before the span: columns count characters, bytes count bytes.
        let second = &msgs[2]["message"]["spans"][0];
        assert_eq!(second["column_start"], 29);
        assert_eq!(second["level"], Value::Null);
        assert_eq!(msgs[2]["message"]["level"], "error");
        assert_eq!(msgs[0]["message"]["level"], "note");
    }

    #[test]
    fn file_errors_are_error_messages() {
        let msgs = lines(&fixture::report());
        let e = &msgs[3]["message"];
        assert_eq!(e["level"], "error");
        assert_eq!(e["code"], Value::Null);
        assert_eq!(e["spans"][0]["line_start"], 3);
        assert_eq!(e["spans"][0]["column_start"], 7);
        assert_eq!(msgs[4]["message"]["spans"], json!([]));
    }

    #[test]
    fn crate_dir_is_the_parent_of_src() {
        assert_eq!(
            crate_dir(Path::new("./crates/a/src/x/y.rs")),
            PathBuf::from("./crates/a")
        );
        assert_eq!(crate_dir(Path::new("lib.rs")), PathBuf::new());
        assert_eq!(crate_dir(Path::new("tests/t.rs")), PathBuf::from("tests"));
    }
}
