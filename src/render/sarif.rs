//! `--format sarif`: a SARIF 2.1.0 log with one run.
//!
//! `tool.driver.rules` is built from [`rules::ALL`], so it cannot drift from the registry (rule
//! `name`s are the ids in PascalCase); each result points back at its rule by `ruleId` and
//! `ruleIndex`. Artifact URIs of relative paths are relative references against `%SRCROOT%`,
//! which `originalUriBaseIds` gives as the report's root (the current directory) when known; an
//! absolute path (a file outside that directory) is an absolute `file://` URI of its own. Columns count Unicode characters
//! (declared with `columnKind: unicodeCodePoints`), and end positions are the end of the byte range.
//! File errors are `toolExecutionNotifications` of the single invocation. Beyond the contract, a
//! result's help goes in `properties.help` and a fix's applicability in `properties.applicability`;
//! fixes without edits (manual help) are not SARIF fixes.

use std::io::{self, Write};
use std::path::Path;

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, FileError, Position, Report, Severity};
use crate::render::display_path;
use crate::rules::{self, Rule};

/// The schema URI written as `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Project home, written as `tool.driver.informationUri`.
pub const INFORMATION_URI: &str = "https://github.com/async-lint/async-lint";

/// The `uriBaseId` of relative artifact URIs: the directory the linter ran in.
pub const SRCROOT: &str = "%SRCROOT%";

/// Writes the SARIF log for `report` as one compact JSON document and a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &log(report))?;
    out.write_all(b"\n")
}

/// The SARIF log as a JSON value.
pub fn log(report: &Report) -> Value {
    let mut log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "async-lint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules::ALL.iter().map(|r| rule(r)).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": report.errors.iter().map(notification).collect::<Vec<_>>(),
            }],
            "results": report.diagnostics.iter().map(|d| result(report, d)).collect::<Vec<_>>(),
        }]
    });
    if let Some(root) = &report.root {
        log["runs"][0]["originalUriBaseIds"] = json!({ SRCROOT: { "uri": file_uri(root, true) } });
    }
    log
}

/// SARIF level of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Link to a rule's documentation page.
fn help_uri(id: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/rules/{id}.md")
}

/// First paragraph of a rule's docs that is not a heading, joined onto one line.
fn first_paragraph(docs: &str) -> Option<String> {
    docs.split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
}

fn rule(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": pascal_case(r.id),
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": first_paragraph(r.docs).unwrap_or_else(|| r.summary.to_string()) },
        "help": { "text": r.docs, "markdown": r.docs },
        "helpUri": help_uri(r.id),
        "defaultConfiguration": { "level": level(r.severity) },
    })
}

/// A rule's SARIF `name`: its id in PascalCase (`blocking-sleep` -> `BlockingSleep`).
pub fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// An artifact location: a relative path is a relative URI against [`SRCROOT`], an absolute one
/// a `file://` URI of its own.
fn artifact(path: &Path) -> Value {
    if path.is_absolute() {
        json!({ "uri": file_uri(path, false) })
    } else {
        json!({ "uri": uri(path), "uriBaseId": SRCROOT })
    }
}

/// `file://` URI of an absolute path (a directory's ends with `/`, as SARIF requires of base
/// URIs).
fn file_uri(path: &Path, dir: bool) -> String {
    let mut encoded = uri(path);
    if !encoded.starts_with('/') {
        // A Windows path (`C:/..`) gets the extra slash of `file:///C:/..`.
        encoded.insert(0, '/');
    }
    if dir && !encoded.ends_with('/') {
        encoded.push('/');
    }
    format!("file://{encoded}")
}

/// The URI reference of a path: with forward slashes, percent-encoding characters that are not
/// allowed in a URI reference.
fn uri(path: &Path) -> String {
    let text = display_path(path);
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(start: Position, end: Position) -> Value {
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

fn result(report: &Report, d: &Diagnostic) -> Value {
    let artifact = artifact(&d.path);
    let location = |range: &std::ops::Range<usize>| {
        let (start, end) = report.span_positions(&d.path, range);
        json!({ "artifactLocation": artifact, "region": region(start, end) })
    };
    let mut result = json!({
        "ruleId": d.rule.id,
        "level": level(d.severity),
        "message": { "text": d.message },
        "locations": [{ "physicalLocation": location(&d.range) }],
    });
    let obj = result.as_object_mut().expect("result is an object");
    if let Some(index) = rules::ALL.iter().position(|r| r.id == d.rule.id) {
        obj.insert("ruleIndex".into(), json!(index));
    }
    if !d.labels.is_empty() {
        let related: Vec<Value> = d
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                json!({
                    "id": i,
                    "physicalLocation": location(&l.range),
                    "message": { "text": l.message },
                })
            })
            .collect();
        obj.insert("relatedLocations".into(), Value::Array(related));
    }
    if let Some(fix) = d.fix.as_ref().filter(|f| !f.edits.is_empty()) {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|e| {
                let (start, end) = report.span_positions(&d.path, &e.range);
                json!({
                    "deletedRegion": region(start, end),
                    "insertedContent": { "text": e.replacement },
                })
            })
            .collect();
        obj.insert(
            "fixes".into(),
            json!([{
                "description": { "text": fix.message },
                "artifactChanges": [{ "artifactLocation": artifact, "replacements": replacements }],
                "properties": { "applicability": fix.applicability.as_str() },
            }]),
        );
    }
    if let Some(help) = &d.help {
        obj.insert("properties".into(), json!({ "help": help }));
    }
    result
}

fn notification(e: &FileError) -> Value {
    let mut physical = json!({ "artifactLocation": artifact(&e.path) });
    if let Some(line) = e.line {
        let mut region = json!({ "startLine": line });
        if let Some(column) = e.column {
            region["startColumn"] = json!(column);
        }
        physical["region"] = region;
    }
    json!({
        "level": "error",
        "message": { "text": e.message },
        "locations": [{ "physicalLocation": physical }],
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::render::fixture;

    fn parsed(report: &Report) -> Value {
        let mut out = Vec::new();
        render(report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("}\n") && text.matches('\n').count() == 1);
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn log_header_and_driver() {
        let log = parsed(&fixture::report());
        assert_eq!(log["$schema"], SCHEMA);
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"].as_array().unwrap().len(), 1);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "async-lint");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(driver["informationUri"], INFORMATION_URI);
        let rules_json = driver["rules"].as_array().unwrap();
        assert_eq!(rules_json.len(), rules::ALL.len());
        for (json, rule) in rules_json.iter().zip(rules::ALL) {
            assert_eq!(json["id"], rule.id);
            assert_eq!(json["name"], pascal_case(rule.id));
            assert_ne!(json["name"], rule.id);
            assert_eq!(json["shortDescription"]["text"], rule.summary);
            assert!(
                json["fullDescription"]["text"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty())
            );
            assert_eq!(json["help"]["text"], rule.docs);
            assert_eq!(json["help"]["markdown"], rule.docs);
            assert_eq!(json["defaultConfiguration"]["level"], level(rule.severity));
        }
        let sleep = &rules_json[0];
        assert_eq!(sleep["defaultConfiguration"]["level"], "warning");
    }

    #[test]
    fn results_regions_labels_and_fixes() {
        let log = parsed(&fixture::report());
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        let index = rules::ALL
            .iter()
            .position(|r| r.id == "blocking-sleep")
            .unwrap();

        let multi = &results[0];
        assert_eq!(multi["level"], "note");
        assert_eq!(
            multi["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 1, "startColumn": 1, "endLine": 3, "endColumn": 2})
        );
        // A manual fix without edits is not a SARIF fix.
        assert!(multi.get("fixes").is_none());
        assert!(multi.get("relatedLocations").is_none());

        let first = &results[1];
        assert_eq!(first["ruleId"], "blocking-sleep");
        assert_eq!(first["ruleIndex"], index);
        assert_eq!(first["level"], "warning");
        assert_eq!(first["message"]["text"], fixture::TRICKY_MESSAGE);
        let loc = &first["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"],
            json!({"uri": "src/lib.rs", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            loc["region"],
            json!({"startLine": 2, "startColumn": 5, "endLine": 2, "endColumn": 26})
        );
        assert_eq!(
            first["relatedLocations"],
            json!([{
                "id": 0,
                "physicalLocation": {
                    "artifactLocation": {"uri": "src/lib.rs", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 13},
                },
                "message": {"text": "async context starts here"},
            }])
        );
        assert_eq!(
            first["fixes"],
            json!([{
                "description": {"text": "replace with `tokio::time::sleep(..).await`"},
                "artifactChanges": [{
                    "artifactLocation": {"uri": "src/lib.rs", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {"startLine": 2, "startColumn": 5, "endLine": 2, "endColumn": 26},
                            "insertedContent": {"text": "tokio::time::sleep(d).await"},
                        },
                        {
                            "deletedRegion": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                            "insertedContent": {"text": "use tokio;\n"},
                        },
                    ],
                }],
                "properties": {"applicability": "unsafe"},
            }])
        );
        assert_eq!(
            first["properties"]["help"],
            "use `tokio::time::sleep(..).await`"
        );

        let second = &results[2];
        assert_eq!(second["level"], "error");
        assert_eq!(
            second["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 4, "startColumn": 29, "endLine": 4, "endColumn": 50})
        );
        assert!(second.get("fixes").is_none());
        assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
    }

    #[test]
    fn file_errors_are_notifications() {
        let log = parsed(&fixture::report());
        let inv = &log["runs"][0]["invocations"];
        assert_eq!(inv.as_array().unwrap().len(), 1);
        assert_eq!(inv[0]["executionSuccessful"], true);
        assert_eq!(
            inv[0]["toolExecutionNotifications"],
            json!([
                {
                    "level": "error",
                    "message": {"text": "expected `;`, found `}`"},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": "src/bad.rs", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 3, "startColumn": 7},
                    }}],
                },
                {
                    "level": "error",
                    "message": {"text": "stream did not contain valid UTF-8"},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": "src/unreadable.rs", "uriBaseId": "%SRCROOT%"},
                    }}],
                },
            ])
        );
    }

    #[test]
    fn clean_report_has_no_results() {
        let log = parsed(&fixture::clean());
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(
            log["runs"][0]["invocations"][0]["toolExecutionNotifications"],
            json!([])
        );
    }

    #[test]
    fn uris_are_encoded_references() {
        assert_eq!(uri(&PathBuf::from("src/a b%#.rs")), "src/a%20b%25%23.rs");
        assert_eq!(uri(&PathBuf::from("./src/é.rs")), "./src/%C3%A9.rs");
    }

    #[test]
    fn base_ids_and_absolute_paths() {
        let mut report = fixture::report();
        report.root = Some(PathBuf::from("/work/my proj"));
        report.errors[0].path = PathBuf::from("/elsewhere/bad.rs");
        let log = parsed(&report);
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"],
            json!({"%SRCROOT%": {"uri": "file:///work/my%20proj/"}})
        );
        assert_eq!(
            log["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]
                ["artifactLocation"],
            json!({"uri": "file:///elsewhere/bad.rs"})
        );
        assert_eq!(pascal_case("block-on-in-async"), "BlockOnInAsync");
    }

    #[test]
    fn first_paragraph_skips_headings() {
        assert_eq!(
            first_paragraph("# id\n\nOne\ntwo.\n\nMore."),
            Some("One two.".to_string())
        );
        assert_eq!(first_paragraph("# id\n"), None);
    }
}
