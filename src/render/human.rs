//! `--format human` (the default): one miette graphical report per diagnostic and file error,
//! then a summary footer.
//!
//! Each [`Diagnostic`] becomes a [`MietteDiagnostic`]: the code is the rule id, the URL is the
//! rule's documentation page, the primary label sits on the primary span, secondary labels come
//! from the diagnostic's [`Label`](crate::diagnostic::Label)s, and the help is the help text plus
//! the fix message. Reports are drawn by an explicitly built [`GraphicalReportHandler`] (never a
//! global hook) into a `String`, then written out.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};

use crate::diagnostic::{Diagnostic, FileError, Report, Severity};
use crate::render::{RenderOptions, display_path};
use crate::source::SourceText;

/// Wrapping width when [`RenderOptions::width`] is not set.
pub const DEFAULT_WIDTH: usize = 100;

/// URL of a rule's documentation page.
pub fn rule_url(id: &str) -> String {
    format!("https://github.com/async-lint/async-lint/blob/main/rules/{id}.md")
}

/// Renders every diagnostic and file error, then the summary footer.
pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let handler = handler(opts);
    let named: HashMap<&PathBuf, NamedSource<Source>> = report
        .sources
        .iter()
        .map(|(path, src)| {
            let source = Source(Arc::clone(src));
            (path.as_ref(), NamedSource::new(display_path(path), source))
        })
        .collect();
    for d in &report.diagnostics {
        let source = named.get(d.path.as_ref());
        let inner = diagnostic(d, source.map(|s| s.inner().0.as_ref()));
        out.write_all(draw(&handler, inner, source).as_bytes())?;
    }
    for e in &report.errors {
        let source = named.get(&e.path);
        let inner = file_error(e, source.map(|s| s.inner().0.as_ref()));
        out.write_all(draw(&handler, inner, source).as_bytes())?;
    }
    writeln!(out, "{}", footer(report))
}

/// The graphical handler for `opts`: ANSI colors and terminal hyperlinks only when color is on,
/// wrapped at the requested width.
fn handler(opts: &RenderOptions) -> GraphicalReportHandler {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width.unwrap_or(DEFAULT_WIDTH))
        .with_links(opts.color)
        .without_syntax_highlighting()
}

/// Draws one report (miette writes to a `fmt::Write`, so into a `String`), followed by a blank
/// line. Should drawing the snippet fail, the report is drawn again without its source so the
/// finding is never lost.
fn draw(
    handler: &GraphicalReportHandler,
    inner: MietteDiagnostic,
    source: Option<&NamedSource<Source>>,
) -> String {
    let mut one = String::new();
    let with_source = WithSource {
        inner,
        source: source.map(|s| s as &dyn SourceCode),
    };
    if handler.render_report(&mut one, &with_source).is_err() {
        one.clear();
        let bare = WithSource {
            inner: with_source.inner,
            source: None,
        };
        // Without a source the handler only formats strings, which cannot fail.
        let _ = handler.render_report(&mut one, &bare);
    }
    one.push('\n');
    one
}

/// The miette diagnostic for a finding.
fn diagnostic(d: &Diagnostic, src: Option<&SourceText>) -> MietteDiagnostic {
    let mut help = d.help.clone();
    if let Some(fix) = &d.fix {
        let line = format!("fix ({}): {}", fix.applicability.as_str(), fix.message);
        help = Some(match help {
            Some(h) => format!("{h}\n{line}"),
            None => line,
        });
    }
    let mut md = match src {
        Some(src) => {
            let primary =
                LabeledSpan::new_primary_with_span(Some("here".to_string()), span(src, &d.range));
            let secondary = d
                .labels
                .iter()
                .map(|l| LabeledSpan::new_with_span(Some(l.message.clone()), span(src, &l.range)));
            MietteDiagnostic::new(d.message.clone())
                .with_labels(std::iter::once(primary).chain(secondary))
        }
        // No text to show: at least say which file.
        None => MietteDiagnostic::new(format!("{}: {}", display_path(&d.path), d.message)),
    };
    md = md
        .with_code(d.rule.id)
        .with_severity(severity(d.severity))
        .with_url(rule_url(d.rule.id));
    if let Some(help) = help {
        md = md.with_help(help);
    }
    md
}

/// The miette diagnostic for a file that could not be linted: a label at the error's position
/// when its text is at hand, otherwise the position is written into the message.
fn file_error(e: &FileError, src: Option<&SourceText>) -> MietteDiagnostic {
    let md = match (src, e.line) {
        (Some(src), Some(line)) => {
            let at = src.offset_of(line, e.column.unwrap_or(1).saturating_sub(1));
            MietteDiagnostic::new(e.message.clone()).with_label(LabeledSpan::new_primary_with_span(
                Some("here".to_string()),
                at..at,
            ))
        }
        _ => {
            let path = display_path(&e.path);
            let message = match (e.line, e.column) {
                (Some(l), Some(c)) => format!("{path}:{l}:{c}: {}", e.message),
                (Some(l), None) => format!("{path}:{l}: {}", e.message),
                _ => format!("{path}: {}", e.message),
            };
            MietteDiagnostic::new(message)
        }
    };
    md.with_severity(miette::Severity::Error)
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// `range` clamped to the text and to character boundaries, so miette can always read it.
fn span(src: &SourceText, range: &Range<usize>) -> SourceSpan {
    let text = src.text();
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(range.start);
    let end = floor(range.end).max(start);
    (start..end).into()
}

/// The summary line, e.g. `Found 3 diagnostics in 2 files (1 error); 12 files checked in 0.04s.`
/// where "error" counts files that could not be linted, or `All clear: 12 files checked in 0.04s.`
/// Ends with `Fixed N.` when `--fix` applied fixes.
pub fn footer(report: &Report) -> String {
    let checked = format!(
        "{} checked in {:.2}s.",
        plural(report.files_checked, "file", "files"),
        report.elapsed.as_secs_f64()
    );
    let mut line = if report.diagnostics.is_empty() && report.errors.is_empty() {
        format!("All clear: {checked}")
    } else {
        let mut files: Vec<&PathBuf> = report.diagnostics.iter().map(|d| d.path.as_ref()).collect();
        files.sort_unstable();
        files.dedup();
        let mut found = format!(
            "Found {} in {}",
            plural(report.diagnostics.len(), "diagnostic", "diagnostics"),
            plural(files.len(), "file", "files")
        );
        if !report.errors.is_empty() {
            found.push_str(&format!(
                " ({})",
                plural(report.errors.len(), "error", "errors")
            ));
        }
        format!("{found}; {checked}")
    };
    if report.fixes_applied > 0 {
        line.push_str(&format!(" Fixed {}.", report.fixes_applied));
    }
    line
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A file's text as miette source code. Columns are reported in characters, like every other
/// format, instead of miette's bytes.
struct Source(Arc<SourceText>);

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents = self
            .0
            .text()
            .read_span(span, context_lines_before, context_lines_after)?;
        let column = self.0.position(contents.span().offset()).column - 1;
        Ok(Box::new(MietteSpanContents::new(
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

/// A [`MietteDiagnostic`] with the source its labels point into.
struct WithSource<'a> {
    inner: MietteDiagnostic,
    source: Option<&'a dyn SourceCode>,
}

impl fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for WithSource<'_> {}

impl miette::Diagnostic for WithSource<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.help()
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.inner.labels()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    fn rendered(report: &Report, opts: RenderOptions) -> String {
        let mut out = Vec::new();
        render(report, &opts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn plain(report: &Report) -> String {
        rendered(
            report,
            RenderOptions {
                color: false,
                width: None,
            },
        )
    }

    #[test]
    fn plain_report_has_snippets_codes_help_and_footer() {
        let text = plain(&fixture::report());
        assert!(
            !text.contains('\x1b'),
            "no ANSI escapes without color:\n{text}"
        );
        for needle in [
            // Rule code with its documentation URL.
            "blocking-sleep (https://github.com/async-lint/async-lint/blob/main/rules/blocking-sleep.md)",
            // Severity icons: info, warning, error.
            "☞ multi-line span",
            "⚠ sleep: 100% blocking, really",
            "× second sleep",
            // Snippets with the primary span at character columns.
            "╭─[src/lib.rs:2:5]",
            "╭─[src/lib.rs:4:29]",
            " 2 │     std::thread::sleep(d);",
            "╰── here",
            // Secondary label.
            "╰── async context starts here",
            // Help, then the fix.
            "help: use `tokio::time::sleep(..).await`\n        fix (unsafe): replace with `tokio::time::sleep(..).await`",
            "help: fix (manual): restructure the function",
            // File errors, with their position in the message since their text is not at hand.
            "× src/bad.rs:3:7: expected `;`, found `}`",
            "× src/unreadable.rs: stream did not contain valid UTF-8",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(
            text.ends_with(
                "\nFound 3 diagnostics in 1 file (2 errors); 12 files checked in 0.04s.\n"
            ),
            "{text}"
        );
        // Reports appear in report order.
        let multi = text.find("multi-line span").unwrap();
        let first = text.find("sleep: 100%").unwrap();
        let second = text.find("second sleep").unwrap();
        let bad = text.find("src/bad.rs").unwrap();
        assert!(multi < first && first < second && second < bad);
    }

    #[test]
    fn color_uses_ansi_and_hyperlinks() {
        let text = rendered(
            &fixture::report(),
            RenderOptions {
                color: true,
                width: None,
            },
        );
        assert!(text.contains("\x1b["), "{text}");
        assert!(text.contains(
            "\x1b]8;;https://github.com/async-lint/async-lint/blob/main/rules/blocking-sleep.md"
        ));
    }

    #[test]
    fn width_wraps_long_text() {
        let mut report = fixture::report();
        report.diagnostics[2].message = "word ".repeat(30).trim_end().to_string();
        let wide = plain(&report);
        let narrow = rendered(
            &report,
            RenderOptions {
                color: false,
                width: Some(40),
            },
        );
        let longest = |t: &str| {
            t.lines()
                .filter(|l| l.contains("word"))
                .map(|l| l.chars().count())
                .max()
                .unwrap()
        };
        assert!(longest(&wide) > 100 - 10 && longest(&wide) <= 100, "{wide}");
        assert!(longest(&narrow) <= 40, "{narrow}");
    }

    #[test]
    fn clean_report_is_just_the_footer() {
        assert_eq!(
            plain(&fixture::clean()),
            "All clear: 12 files checked in 0.04s.\n"
        );
    }

    #[test]
    fn footer_counts_and_fixes() {
        let mut report = fixture::report();
        report.errors.clear();
        report.diagnostics.truncate(1);
        report.files_checked = 1;
        report.fixes_applied = 2;
        report.elapsed = std::time::Duration::from_millis(1234);
        assert_eq!(
            footer(&report),
            "Found 1 diagnostic in 1 file; 1 file checked in 1.23s. Fixed 2."
        );
        report.diagnostics.clear();
        report.fixes_applied = 1;
        assert_eq!(
            footer(&report),
            "All clear: 1 file checked in 1.23s. Fixed 1."
        );
        let mut report = fixture::report();
        report.diagnostics.clear();
        report.errors.truncate(1);
        assert_eq!(
            footer(&report),
            "Found 0 diagnostics in 0 files (1 error); 12 files checked in 0.04s."
        );
    }

    #[test]
    fn file_error_gets_a_label_when_its_text_is_known() {
        let mut report = fixture::report();
        report.diagnostics.clear();
        report.errors.truncate(1);
        report.errors[0].path = PathBuf::from("src/lib.rs");
        report.errors[0].line = Some(2);
        report.errors[0].column = Some(5);
        let text = plain(&report);
        assert!(text.contains("× expected `;`, found `}`"), "{text}");
        assert!(text.contains("╭─[src/lib.rs:2:5]"), "{text}");
        assert!(text.contains(" 2 │     std::thread::sleep(d);"), "{text}");
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let mut report = fixture::report();
        report.diagnostics[2].range = fixture::TEXT.len() - 3..fixture::TEXT.len() + 50;
        // Starts inside `é`'s two bytes.
        let e = fixture::TEXT.find('é').unwrap();
        report.diagnostics[1].range = e + 1..e + 2;
        let text = plain(&report);
        assert!(!text.contains("Failed to read contents"), "{text}");
        assert!(text.contains("second sleep"), "{text}");
    }

    #[test]
    fn diagnostics_without_source_still_render() {
        let mut report = fixture::report();
        report.sources.clear();
        let text = plain(&report);
        assert!(
            text.contains("⚠ src/lib.rs: sleep: 100% blocking, really"),
            "{text}"
        );
        assert!(!text.contains("╭─["), "{text}");
    }
}
