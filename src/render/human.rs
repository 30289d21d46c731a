//! `--format human` (the default): rustc-style reports, then a summary footer.
//!
//! ```text
//! warning[blocking-sleep]: `std::thread::sleep` blocks the executor thread in async fn `poll`
//!   --> src/poll.rs:32:5
//!    |
//!  1 | async fn poll() {
//!    |          ---- async context starts here
//! ...
//! 31 |     let x = 1;
//! 32 |     std::thread::sleep(d);
//!    |     ^^^^^^^^^^^^^^^^^^^^^ here
//! 33 | }
//!    |
//!    = help: use `tokio::time::sleep(..).await`
//!    = fix (unsafe): replace with `tokio::time::sleep(..).await`
//!    = docs: https://github.com/async-lint/async-lint/blob/main/rules/blocking-sleep.md
//! ```
//!
//! The header names the severity, the rule and the message; `-->` points at the primary span;
//! the snippet ([`super::snippet`]) shows the primary span with a line of context and each
//! secondary label on its own line, eliding the lines between them, so a report is a few lines
//! however long the function is. With color on, the rule id is a terminal hyperlink to its
//! documentation. File errors are drawn the same way (a snippet when their text is at hand).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;

use crate::diagnostic::{Applicability, Diagnostic, FileError, Report, Severity};
use crate::render::snippet::{self, Mark, Style};
use crate::render::{RenderOptions, display_path};
use crate::source::SourceText;

/// Wrapping width when [`RenderOptions::width`] is not set.
pub const DEFAULT_WIDTH: usize = 100;

/// URL of a rule's documentation page.
pub fn rule_url(id: &str) -> String {
    format!("https://github.com/async-lint/async-lint/blob/main/rules/{id}.md")
}

/// Renders every diagnostic and file error, then the summary footer (not with `quiet`, nor when
/// no file was checked: the run says so on stderr).
pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let palette = Palette::new(opts.color);
    let width = opts.width.unwrap_or(DEFAULT_WIDTH);
    let sources: HashMap<&PathBuf, &SourceText> = report
        .sources
        .iter()
        .map(|(p, s)| (p.as_ref(), s.as_ref()))
        .collect();
    for d in &report.diagnostics {
        let src = sources.get(d.path.as_ref()).copied();
        out.write_all(diagnostic(d, src, &palette, width).as_bytes())?;
    }
    for e in &report.errors {
        let src = sources.get(&e.path).copied();
        out.write_all(file_error(e, src, &palette).as_bytes())?;
    }
    if opts.quiet || (report.files_checked == 0 && report.errors.is_empty()) {
        return Ok(());
    }
    writeln!(out, "{}", footer(report))
}

/// ANSI styles, or empty strings without color.
struct Palette {
    on: bool,
    bold: &'static str,
    blue: &'static str,
    reset: &'static str,
}

impl Palette {
    fn new(on: bool) -> Self {
        if on {
            Palette {
                on,
                bold: "\x1b[1m",
                blue: "\x1b[1;34m",
                reset: "\x1b[0m",
            }
        } else {
            Palette {
                on,
                bold: "",
                blue: "",
                reset: "",
            }
        }
    }

    /// The style of a severity's name and primary underline.
    fn severity(&self, s: Severity) -> &'static str {
        match (self.on, s) {
            (false, _) => "",
            (true, Severity::Error) => "\x1b[1;31m",
            (true, Severity::Warning) => "\x1b[1;33m",
            (true, Severity::Info) => "\x1b[1;36m",
        }
    }

    /// `text` as a terminal hyperlink to `url` (OSC 8) when color is on.
    fn link(&self, text: &str, url: &str) -> String {
        if self.on {
            format!("\x1b]8;;{url}\x1b\\{text}\x1b]8;;\x1b\\")
        } else {
            text.to_string()
        }
    }
}

/// One finding: header, location, snippet, help, fix, docs link, and a blank line.
fn diagnostic(d: &Diagnostic, src: Option<&SourceText>, p: &Palette, width: usize) -> String {
    let sev = p.severity(d.severity);
    let code = p.link(d.rule.id, &rule_url(d.rule.id));
    let mut out = format!(
        "{sev}{}[{code}]{}{}: {}{}\n",
        d.severity.as_str(),
        p.reset,
        p.bold,
        d.message,
        p.reset
    );
    let mut marks = vec![Mark {
        range: d.range.clone(),
        label: "here",
        primary: true,
    }];
    marks.extend(d.labels.iter().map(|l| Mark {
        range: l.range.clone(),
        label: &l.message,
        primary: false,
    }));
    let gutter = match src {
        Some(src) => snippet::gutter_width(src, &marks),
        None => 1,
    };
    let location = match src {
        Some(src) => {
            let at = src.position(d.range.start);
            format!("{}:{}:{}", display_path(&d.path), at.line, at.column)
        }
        None => display_path(&d.path),
    };
    out.push_str(&format!(
        "{}{}-->{} {location}\n",
        " ".repeat(gutter),
        p.blue,
        p.reset
    ));
    if let Some(src) = src {
        let style = Style {
            gutter: p.blue,
            primary: sev,
            secondary: p.blue,
            reset: p.reset,
        };
        out.push_str(&snippet::draw(src, &marks, &style));
    }
    let mut notes: Vec<(String, &str)> = Vec::new();
    if let Some(help) = &d.help {
        notes.push(("help".to_string(), help));
    }
    if let Some(fix) = &d.fix {
        notes.push((
            format!("fix ({})", fix.applicability.as_str()),
            &fix.message,
        ));
    }
    let url = rule_url(d.rule.id);
    notes.push(("docs".to_string(), &url));
    let indent = " ".repeat(gutter + 1);
    for (name, body) in notes {
        // `  = name: ` on the first line; continuation lines hang under the body.
        let hang = name.chars().count() + 2;
        let wrapped = wrap(body, width.saturating_sub(gutter + 3 + hang).max(20));
        for (i, line) in wrapped.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!("{indent}{}={} {name}: {line}\n", p.blue, p.reset));
            } else {
                out.push_str(&format!("{indent}  {}{line}\n", " ".repeat(hang)));
            }
        }
    }
    out.push('\n');
    out
}

/// A file that could not be linted: the message, its position, and the line when its text is
/// at hand.
fn file_error(e: &FileError, src: Option<&SourceText>, p: &Palette) -> String {
    let sev = p.severity(Severity::Error);
    let mut out = format!(
        "{sev}error{}{}: {}{}\n",
        p.reset, p.bold, e.message, p.reset
    );
    let location = match (e.line, e.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", display_path(&e.path)),
        (Some(l), None) => format!("{}:{l}", display_path(&e.path)),
        _ => display_path(&e.path),
    };
    match (src, e.line) {
        (Some(src), Some(line)) => {
            let at = src.offset_of(line, e.column.unwrap_or(1).saturating_sub(1));
            let marks = [Mark {
                range: at..at,
                label: "here",
                primary: true,
            }];
            let gutter = snippet::gutter_width(src, &marks);
            out.push_str(&format!(
                "{}{}-->{} {location}\n",
                " ".repeat(gutter),
                p.blue,
                p.reset
            ));
            let style = Style {
                gutter: p.blue,
                primary: sev,
                secondary: p.blue,
                reset: p.reset,
            };
            out.push_str(&snippet::draw(src, &marks, &style));
        }
        _ => out.push_str(&format!(" {}-->{} {location}\n", p.blue, p.reset)),
    }
    out.push('\n');
    out
}

/// Greedy word wrap at `width` characters (a word longer than that gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// The summary line, e.g. `Found 3 diagnostics in 2 files (1 error); 12 files checked in 0.04s.`
/// where "error" counts files that could not be linted, or `All clear: 12 files checked in 0.04s.`
/// Then how many findings `--fix` and `--unsafe-fixes` would fix, and `Fixed N.` when `--fix`
/// applied fixes.
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
    let fixable = |level: Applicability| {
        report
            .diagnostics
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| !f.edits.is_empty() && f.applicability <= level)
            })
            .count()
    };
    let (safe, with_unsafe) = (fixable(Applicability::Safe), fixable(Applicability::Unsafe));
    if with_unsafe > 0 {
        line.push_str(&format!(
            " {safe} fixable with `--fix`, {with_unsafe} with `--unsafe-fixes`."
        ));
    }
    if report.fixes_applied > 0 {
        line.push_str(&format!(" Fixed {}.", report.fixes_applied));
    }
    line
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
        rendered(report, RenderOptions::default())
    }

    #[test]
    fn plain_report_is_rustc_style() {
        let text = plain(&fixture::report());
        assert!(
            !text.contains('\x1b'),
            "no ANSI escapes without color:\n{text}"
        );
        let first = "\
warning[blocking-sleep]: sleep: 100% blocking, really
second line
 --> src/lib.rs:2:5
  |
1 | async fn f() {
  | ------------ async context starts here
2 |     std::thread::sleep(d);
  |     ^^^^^^^^^^^^^^^^^^^^^ here
3 | }
  |
  = help: use `tokio::time::sleep(..).await`
  = fix (unsafe): replace with `tokio::time::sleep(..).await`
  = docs: https://github.com/async-lint/async-lint/blob/main/rules/blocking-sleep.md

";
        assert!(text.contains(first), "{text}");
        for needle in [
            "info[blocking-sleep]: multi-line span\n --> src/lib.rs:1:1\n",
            "error[blocking-sleep]: second sleep\n --> src/lib.rs:4:29\n",
            "  = fix (manual): restructure the function\n",
            "error: expected `;`, found `}`\n --> src/bad.rs:3:7\n",
            "error: stream did not contain valid UTF-8\n --> src/unreadable.rs\n",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(
            text.ends_with(
                "\nFound 3 diagnostics in 1 file (2 errors); 12 files checked in 0.04s. 0 fixable with `--fix`, 1 with `--unsafe-fixes`.\n"
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
                ..RenderOptions::default()
            },
        );
        assert!(text.contains("\x1b["), "{text}");
        assert!(text.contains(
            "\x1b]8;;https://github.com/async-lint/async-lint/blob/main/rules/blocking-sleep.md"
        ));
    }

    #[test]
    fn width_wraps_long_help() {
        let mut report = fixture::report();
        report.diagnostics[2].help = Some("word ".repeat(30).trim_end().to_string());
        let wide = plain(&report);
        let narrow = rendered(
            &report,
            RenderOptions {
                width: Some(40),
                ..RenderOptions::default()
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
        // Continuation lines hang under the text after `help: `.
        assert!(narrow.contains("  = help: word word"), "{narrow}");
        assert!(narrow.contains("\n          word word"), "{narrow}");
    }

    #[test]
    fn clean_report_is_just_the_footer() {
        assert_eq!(
            plain(&fixture::clean()),
            "All clear: 12 files checked in 0.04s.\n"
        );
    }

    #[test]
    fn quiet_and_empty_runs_have_no_footer() {
        let text = rendered(
            &fixture::report(),
            RenderOptions {
                quiet: true,
                ..RenderOptions::default()
            },
        );
        assert!(text.contains("second sleep"), "{text}");
        assert!(!text.contains("Found"), "{text}");
        let mut empty = fixture::clean();
        empty.files_checked = 0;
        assert_eq!(plain(&empty), "");
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
        let mut report = fixture::report();
        report.errors.clear();
        let mut safe = report.diagnostics[1].clone();
        safe.fix.as_mut().unwrap().applicability = Applicability::Safe;
        report.diagnostics.push(safe);
        assert!(
            footer(&report).ends_with(" 1 fixable with `--fix`, 2 with `--unsafe-fixes`."),
            "{}",
            footer(&report)
        );
    }

    #[test]
    fn file_error_gets_a_snippet_when_its_text_is_known() {
        let mut report = fixture::report();
        report.diagnostics.clear();
        report.errors.truncate(1);
        report.errors[0].path = PathBuf::from("src/lib.rs");
        report.errors[0].line = Some(2);
        report.errors[0].column = Some(5);
        let text = plain(&report);
        assert!(
            text.starts_with(
                "error: expected `;`, found `}`\n --> src/lib.rs:2:5\n  |\n1 | async fn f() {\n2 |     std::thread::sleep(d);\n  |     ^ here\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let mut report = fixture::report();
        report.diagnostics[2].range = fixture::TEXT.len() - 3..fixture::TEXT.len() + 50;
        // Starts inside `é`'s two bytes.
        let e = fixture::TEXT.find('é').unwrap();
        report.diagnostics[1].range = e + 1..e + 2;
        let text = plain(&report);
        assert!(text.contains("second sleep"), "{text}");
    }

    #[test]
    fn diagnostics_without_source_still_render() {
        let mut report = fixture::report();
        report.sources.clear();
        let text = plain(&report);
        assert!(
            text.contains("warning[blocking-sleep]: sleep: 100% blocking, really\nsecond line\n --> src/lib.rs\n"),
            "{text}"
        );
        assert!(!text.contains(" | "), "{text}");
    }
}
