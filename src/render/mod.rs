//! Output formats. Each is a pure function of a finished [`Report`]: no file reads, no globals.

use std::io::{self, Write};

use crate::diagnostic::Report;

pub mod cargo_json;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod short;
pub mod snippet;
pub mod statistics;

/// The output formats (names are part of the CLI contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style reports with snippets, labels and help, and a summary line.
    Human,
    /// `path:line:col: severity[rule] message`, one a line.
    Short,
    /// The versioned JSON document.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// SARIF 2.1.0.
    Sarif,
    /// cargo's `--message-format=json` compiler messages (for rust-analyzer and other editors).
    CargoJson,
}

impl Format {
    /// Whether this format is for people (gets the summary footer).
    pub fn is_human(self) -> bool {
        matches!(self, Format::Human)
    }
}

/// Presentation settings that do not change content.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Use ANSI colors (human format only).
    pub color: bool,
    /// Terminal width for wrapping (human format only); None: 100.
    pub width: Option<usize>,
    /// Print only the diagnostics, no summary footer (human format only; `--quiet`).
    pub quiet: bool,
    /// Whether the run passes (exits 0) under `--fail-on` / `--exit-zero`, for formats that state
    /// it (cargo-json's `build-finished.success`). None: any finding or file error fails.
    pub passes: Option<bool>,
}

/// Renders `report` in `format` to `out`.
///
/// Only [`Format::is_human`] formats get the summary footer; machine formats print exactly their
/// document.
pub fn render(
    format: Format,
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, opts, out),
        Format::Short => short::render(report, out),
        Format::Json => json::render(report, out),
        Format::Github => github::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::CargoJson => {
            cargo_json::render(report, opts.passes.unwrap_or(report.exit_code() == 0), out)
        }
    }
}

/// The path as shown in every format: as the report holds it (relative to the current
/// directory after [`crate::paths::relativize`]), lossily converted to UTF-8, with forward
/// slashes.
pub(crate) fn display_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// A hand-built report shared by the renderers' unit tests.
#[cfg(test)]
pub(crate) mod fixture {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::Duration;

    use crate::diagnostic::{Diagnostic, Edit, FileError, Fix, Label, Report, Severity};
    use crate::rules::blocking_sleep::BLOCKING_SLEEP;
    use crate::source::SourceText;

    /// The linted file's text. Line 4 has a two-byte `é` before the span, so byte and character
    /// columns differ there.
    pub const TEXT: &str = "async fn f() {\n    std::thread::sleep(d);\n}\nasync fn g() { let _ = \"é\"; std::thread::sleep(d) }\n";

    /// Byte range of the `n`th (0-based) occurrence of `needle` in [`TEXT`].
    pub fn range_of(needle: &str, n: usize) -> std::ops::Range<usize> {
        let start = TEXT
            .match_indices(needle)
            .nth(n)
            .expect("needle in fixture")
            .0;
        start..start + needle.len()
    }

    /// The message with every character GitHub needs escaped.
    pub const TRICKY_MESSAGE: &str = "sleep: 100% blocking, really\nsecond line";

    /// Three diagnostics (single-line with label, help and fix; single-line after a non-ASCII
    /// character with no help or fix; multi-line with a manual fix) and two file errors.
    pub fn report() -> Report {
        let path = Arc::new(PathBuf::from("src/lib.rs"));
        let sleep1 = range_of("std::thread::sleep(d)", 0);
        let sleep2 = range_of("std::thread::sleep(d)", 1);
        let fn_f = 0..range_of("}", 0).end;
        let diagnostics = vec![
            Diagnostic {
                rule: &BLOCKING_SLEEP,
                severity: Severity::Info,
                message: "multi-line span".to_string(),
                path: Arc::clone(&path),
                range: fn_f,
                labels: Vec::new(),
                help: None,
                fix: Some(Fix::manual("restructure the function", Vec::new())),
            },
            Diagnostic {
                rule: &BLOCKING_SLEEP,
                severity: Severity::Warning,
                message: TRICKY_MESSAGE.to_string(),
                path: Arc::clone(&path),
                range: sleep1.clone(),
                labels: vec![Label {
                    range: range_of("async fn f()", 0),
                    message: "async context starts here".to_string(),
                }],
                help: Some("use `tokio::time::sleep(..).await`".to_string()),
                fix: Some(Fix::unsafe_(
                    "replace with `tokio::time::sleep(..).await`",
                    vec![
                        Edit::replace(sleep1, "tokio::time::sleep(d).await"),
                        Edit::insert(0, "use tokio;\n"),
                    ],
                )),
            },
            Diagnostic {
                rule: &BLOCKING_SLEEP,
                severity: Severity::Error,
                message: "second sleep".to_string(),
                path: Arc::clone(&path),
                range: sleep2,
                labels: Vec::new(),
                help: None,
                fix: None,
            },
        ];
        let mut sources = HashMap::new();
        sources.insert(path, Arc::new(SourceText::new(TEXT.to_string())));
        Report {
            files_checked: 12,
            diagnostics,
            errors: vec![
                FileError {
                    path: PathBuf::from("src/bad.rs"),
                    message: "expected `;`, found `}`".to_string(),
                    line: Some(3),
                    column: Some(7),
                },
                FileError {
                    path: PathBuf::from("src/unreadable.rs"),
                    message: "stream did not contain valid UTF-8".to_string(),
                    line: None,
                    column: None,
                },
            ],
            sources,
            fixes_applied: 0,
            elapsed: Duration::from_millis(40),
            root: None,
            repo_root: None,
        }
    }

    /// A report with nothing in it.
    pub fn clean() -> Report {
        Report {
            files_checked: 12,
            elapsed: Duration::from_millis(40),
            ..Report::default()
        }
    }
}
