//! `--format json`: one versioned, compact JSON document followed by a newline.
//!
//! The structs below mirror the public contract field by field, in contract order:
//!
//! ```text
//! {"version":1,"files_checked":N,
//!  "diagnostics":[{"rule","severity","message","path","line","column","end_line","end_column",
//!                  "help":str|null,
//!                  "fix":null|{"message","applicability",
//!                              "edits":[{"line","column","end_line","end_column","replacement"}]}}],
//!  "errors":[{"path","message","line":int|null,"column":int|null}]}
//! ```
//!
//! Lines and columns are 1-based, columns count characters, and end positions are the end of the
//! byte range (exclusive).

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::{Applicability, Diagnostic, Edit, FileError, Report, Severity};
use crate::render::display_path;

/// Version of the document layout; bumped on any incompatible change.
pub const VERSION: u32 = 1;

/// The whole document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    version: u32,
    files_checked: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: Vec<JsonError<'a>>,
}

/// One diagnostic.
#[derive(Debug, Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
    fix: Option<JsonFix<'a>>,
}

/// A diagnostic's fix.
#[derive(Debug, Serialize)]
struct JsonFix<'a> {
    message: &'a str,
    applicability: Applicability,
    edits: Vec<JsonEdit<'a>>,
}

/// One edit of a fix, in the diagnostic's file.
#[derive(Debug, Serialize)]
struct JsonEdit<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    replacement: &'a str,
}

/// A file that could not be linted.
#[derive(Debug, Serialize)]
struct JsonError<'a> {
    path: String,
    message: &'a str,
    line: Option<usize>,
    column: Option<usize>,
}

/// Writes the document for `report` on one line.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: VERSION,
        files_checked: report.files_checked,
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| diagnostic(report, d))
            .collect(),
        errors: report.errors.iter().map(error).collect(),
    };
    serde_json::to_writer(&mut *out, &doc)?;
    out.write_all(b"\n")
}

fn diagnostic<'a>(report: &Report, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let (start, end) = report.span_positions(&d.path, &d.range);
    JsonDiagnostic {
        rule: d.rule.id,
        severity: d.severity,
        message: &d.message,
        path: display_path(&d.path),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        help: d.help.as_deref(),
        fix: d.fix.as_ref().map(|f| JsonFix {
            message: &f.message,
            applicability: f.applicability,
            edits: f.edits.iter().map(|e| edit(report, d, e)).collect(),
        }),
    }
}

fn edit<'a>(report: &Report, d: &Diagnostic, e: &'a Edit) -> JsonEdit<'a> {
    let (start, end) = report.span_positions(&d.path, &e.range);
    JsonEdit {
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        replacement: &e.replacement,
    }
}

fn error(e: &FileError) -> JsonError<'_> {
    JsonError {
        path: display_path(&e.path),
        message: &e.message,
        line: e.line,
        column: e.column,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::render::fixture;

    fn rendered(report: &Report) -> String {
        let mut out = Vec::new();
        render(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn compact_single_document_with_trailing_newline() {
        let text = rendered(&fixture::report());
        assert!(text.ends_with("}\n"));
        assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
        assert!(text.starts_with(r#"{"version":1,"files_checked":12,"diagnostics":[{"rule":"#));
    }

    #[test]
    fn every_field_in_contract_order() {
        let text = rendered(&fixture::report());
        let doc: Value = serde_json::from_str(&text).unwrap();
        let expected = json!({
            "version": 1,
            "files_checked": 12,
            "diagnostics": [
                {
                    "rule": "blocking-sleep",
                    "severity": "info",
                    "message": "multi-line span",
                    "path": "src/lib.rs",
                    "line": 1, "column": 1, "end_line": 3, "end_column": 2,
                    "help": null,
                    "fix": {"message": "restructure the function", "applicability": "manual", "edits": []}
                },
                {
                    "rule": "blocking-sleep",
                    "severity": "warning",
                    "message": fixture::TRICKY_MESSAGE,
                    "path": "src/lib.rs",
                    "line": 2, "column": 5, "end_line": 2, "end_column": 26,
                    "help": "use `tokio::time::sleep(..).await`",
                    "fix": {
                        "message": "replace with `tokio::time::sleep(..).await`",
                        "applicability": "unsafe",
                        "edits": [
                            {"line": 2, "column": 5, "end_line": 2, "end_column": 26,
                             "replacement": "tokio::time::sleep(d).await"},
                            {"line": 1, "column": 1, "end_line": 1, "end_column": 1,
                             "replacement": "use tokio;\n"}
                        ]
                    }
                },
                {
                    "rule": "blocking-sleep",
                    "severity": "error",
                    "message": "second sleep",
                    "path": "src/lib.rs",
                    // Character columns: the `é` before the span is two bytes but one column.
                    "line": 4, "column": 29, "end_line": 4, "end_column": 50,
                    "help": null,
                    "fix": null
                }
            ],
            "errors": [
                {"path": "src/bad.rs", "message": "expected `;`, found `}`", "line": 3, "column": 7},
                {"path": "src/unreadable.rs", "message": "stream did not contain valid UTF-8",
                 "line": null, "column": null}
            ]
        });
        assert_eq!(doc, expected);

        // Value equality ignores key order; the contract fixes it, so compare the raw text too.
        let raw = concat!(
            r#"{"version":1,"files_checked":12,"diagnostics":["#,
            r#"{"rule":"blocking-sleep","severity":"info","message":"multi-line span","path":"src/lib.rs","#,
            r#""line":1,"column":1,"end_line":3,"end_column":2,"help":null,"#,
            r#""fix":{"message":"restructure the function","applicability":"manual","edits":[]}},"#,
            r#"{"rule":"blocking-sleep","severity":"warning","message":"sleep: 100% blocking, really\nsecond line","#,
            r#""path":"src/lib.rs","line":2,"column":5,"end_line":2,"end_column":26,"#,
            r#""help":"use `tokio::time::sleep(..).await`","#,
            r#""fix":{"message":"replace with `tokio::time::sleep(..).await`","applicability":"unsafe","edits":["#,
            r#"{"line":2,"column":5,"end_line":2,"end_column":26,"replacement":"tokio::time::sleep(d).await"},"#,
            r#"{"line":1,"column":1,"end_line":1,"end_column":1,"replacement":"use tokio;\n"}]}},"#,
            r#"{"rule":"blocking-sleep","severity":"error","message":"second sleep","path":"src/lib.rs","#,
            r#""line":4,"column":29,"end_line":4,"end_column":50,"help":null,"fix":null}],"#,
            r#""errors":[{"path":"src/bad.rs","message":"expected `;`, found `}`","line":3,"column":7},"#,
            r#"{"path":"src/unreadable.rs","message":"stream did not contain valid UTF-8","line":null,"column":null}]}"#,
            "\n"
        );
        assert_eq!(text, raw);
    }

    #[test]
    fn types_are_as_documented() {
        let doc: Value = serde_json::from_str(&rendered(&fixture::report())).unwrap();
        for d in doc["diagnostics"].as_array().unwrap() {
            for k in ["line", "column", "end_line", "end_column"] {
                assert!(d[k].is_u64(), "{k} is an integer");
            }
            assert!(d["help"].is_string() || d["help"].is_null());
            assert!(d["fix"].is_object() || d["fix"].is_null());
            assert_eq!(d.as_object().unwrap().len(), 10);
        }
        for e in doc["errors"].as_array().unwrap() {
            assert_eq!(e.as_object().unwrap().len(), 4);
        }
    }

    #[test]
    fn clean_report_is_an_empty_document() {
        assert_eq!(
            rendered(&fixture::clean()),
            "{\"version\":1,\"files_checked\":12,\"diagnostics\":[],\"errors\":[]}\n"
        );
    }
}
