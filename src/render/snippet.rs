//! rustc-style source snippets: the primary span with a line of context on each side (unless
//! blank), each
//! secondary label on its own line, and `...` for the lines between them, so a snippet stays a
//! few lines long however far apart its spans are.
//!
//! ```text
//!    |
//! 1  | async fn poll() {
//!    |          ---- async context starts here
//! ...
//! 32 |     std::thread::sleep(d);
//!    |     ^^^^^^^^^^^^^^^^^^^^^ here
//! 33 | }
//!    |
//! ```
//!
//! A span over several lines is marked on its first line (to the end of that line) and on its
//! last line (from its first non-blank character), with the label on the last; the lines between
//! are elided like any others.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::source::SourceText;

/// Lines of context shown before and after the primary span.
pub const CONTEXT_LINES: usize = 1;

/// Tabs are drawn as this many spaces so underlines line up.
const TAB: &str = "    ";

/// One annotated byte range.
#[derive(Debug, Clone)]
pub struct Mark<'a> {
    /// The byte range (clamped to the text when drawn).
    pub range: Range<usize>,
    /// Text after the underline (may be empty).
    pub label: &'a str,
    /// Whether this is the primary span (`^`, and context lines around it) or a secondary one
    /// (`-`).
    pub primary: bool,
}

/// How the pieces of a snippet are styled (ANSI sequences, or nothing).
#[derive(Debug, Clone, Copy, Default)]
pub struct Style<'a> {
    /// Before the gutter (line numbers, `|`, `...`).
    pub gutter: &'a str,
    /// Before a primary underline and its label.
    pub primary: &'a str,
    /// Before a secondary underline and its label.
    pub secondary: &'a str,
    /// Ends a styled piece.
    pub reset: &'a str,
}

/// One underline on one line: character columns (0-based, after tab expansion) and its label.
struct Underline<'a> {
    line: usize,
    start: usize,
    end: usize,
    label: &'a str,
    primary: bool,
}

/// Width of the line-number gutter for a snippet of `src` with `marks`.
pub fn gutter_width(src: &SourceText, marks: &[Mark<'_>]) -> usize {
    let last = shown_lines(src, marks).into_iter().next_back().unwrap_or(1);
    last.to_string().len()
}

/// The snippet's lines, each ending in `\n`, starting and ending with an empty gutter line.
pub fn draw(src: &SourceText, marks: &[Mark<'_>], style: &Style<'_>) -> String {
    let width = gutter_width(src, marks);
    let underlines = underlines(src, marks);
    let lines = shown_lines(src, marks);
    let pad = " ".repeat(width);
    let bar = format!("{}{pad} |{}", style.gutter, style.reset);
    let mut out = format!("{bar}\n");
    let mut previous: Option<usize> = None;
    for line in lines {
        if previous.is_some_and(|p| line > p + 1) {
            out.push_str(&format!("{}...{}\n", style.gutter, style.reset));
        }
        previous = Some(line);
        let text = expand_tabs(src.line_text(line));
        let text = text.trim_end();
        let sep = if text.is_empty() { "" } else { " " };
        out.push_str(&format!(
            "{}{line:>width$} |{}{sep}{text}\n",
            style.gutter, style.reset
        ));
        for u in underlines.iter().filter(|u| u.line == line) {
            let (color, ch) = if u.primary {
                (style.primary, '^')
            } else {
                (style.secondary, '-')
            };
            let marks: String = std::iter::repeat_n(ch, (u.end - u.start).max(1)).collect();
            let label = if u.label.is_empty() {
                String::new()
            } else {
                format!(" {}", u.label)
            };
            out.push_str(&format!(
                "{bar} {}{color}{marks}{label}{}\n",
                " ".repeat(u.start),
                style.reset
            ));
        }
    }
    out.push_str(&bar);
    out.push('\n');
    out
}

/// The 1-based lines a snippet shows: each mark's lines, and context around the primary one.
fn shown_lines(src: &SourceText, marks: &[Mark<'_>]) -> BTreeSet<usize> {
    let last = src.line_count().max(1);
    let mut lines = BTreeSet::new();
    for u in underlines(src, marks) {
        lines.insert(u.line);
        if u.primary {
            let from = u.line.saturating_sub(CONTEXT_LINES).max(1);
            let to = (u.line + CONTEXT_LINES).min(last);
            for l in from..=to {
                // Blank lines are no context.
                if l != u.line && src.line_text(l).trim().is_empty() {
                    continue;
                }
                lines.insert(l);
            }
        }
    }
    // A single hidden line costs as much as `...`: show it instead.
    let gaps: Vec<usize> = lines
        .iter()
        .zip(lines.iter().skip(1))
        .filter(|(a, b)| **b == **a + 2)
        .map(|(a, _)| a + 1)
        .collect();
    lines.extend(gaps);
    lines
}

/// The underlines of `marks`: one for a single-line span, two (first and last line) for a
/// multi-line one, sorted by line and column.
fn underlines<'a>(src: &SourceText, marks: &[Mark<'a>]) -> Vec<Underline<'a>> {
    let text = src.text();
    let mut out = Vec::new();
    for m in marks {
        let start = m.range.start.min(text.len());
        let end = m.range.end.clamp(start, text.len());
        let (a, b) = (src.position(start), src.position(end));
        let col = |line: usize, char_col: usize| display_column(src.line_text(line), char_col);
        if a.line == b.line {
            out.push(Underline {
                line: a.line,
                start: col(a.line, a.column - 1),
                end: col(b.line, b.column - 1),
                label: m.label,
                primary: m.primary,
            });
            continue;
        }
        let first_len = src.line_text(a.line).chars().count();
        out.push(Underline {
            line: a.line,
            start: col(a.line, a.column - 1),
            end: col(a.line, first_len),
            label: "",
            primary: m.primary,
        });
        let last_text = src.line_text(b.line);
        let indent = last_text.chars().take_while(|c| c.is_whitespace()).count();
        // A span ending at the start of a line ends on the line before, visually.
        let (line, end_col) = if b.column == 1 {
            let l = b.line - 1;
            (l, src.line_text(l).chars().count())
        } else {
            (b.line, b.column - 1)
        };
        if line == a.line {
            if let Some(u) = out.last_mut() {
                u.label = m.label;
            }
            continue;
        }
        let indent = if line == b.line {
            indent
        } else {
            let t = src.line_text(line);
            t.chars().take_while(|c| c.is_whitespace()).count()
        };
        out.push(Underline {
            line,
            start: col(line, indent.min(end_col)),
            end: col(line, end_col),
            label: m.label,
            primary: m.primary,
        });
    }
    out.sort_by_key(|u| (u.line, u.start, !u.primary));
    out
}

/// The display column of character column `char_col` of `line`, with tabs expanded.
fn display_column(line: &str, char_col: usize) -> usize {
    line.chars()
        .take(char_col)
        .map(|c| if c == '\t' { TAB.len() } else { 1 })
        .sum()
}

fn expand_tabs(line: &str) -> String {
    line.replace('\t', TAB)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_fn() -> (SourceText, Range<usize>, Range<usize>) {
        let mut text = String::from("async fn poll() {\n");
        for i in 0..30 {
            text.push_str(&format!("    let x{i} = {i};\n"));
        }
        text.push_str("    std::thread::sleep(d);\n}\n");
        let sig = text.find("poll").unwrap();
        let call = text.find("std::thread").unwrap();
        let call_end = call + "std::thread::sleep(d)".len();
        (SourceText::new(text), sig..sig + 4, call..call_end)
    }

    #[test]
    fn distant_label_is_elided() {
        let (src, sig, call) = long_fn();
        let marks = [
            Mark {
                range: call,
                label: "here",
                primary: true,
            },
            Mark {
                range: sig,
                label: "async context starts here",
                primary: false,
            },
        ];
        let drawn = draw(&src, &marks, &Style::default());
        assert_eq!(
            drawn,
            "   |
 1 | async fn poll() {
   |          ---- async context starts here
...
31 |     let x29 = 29;
32 |     std::thread::sleep(d);
   |     ^^^^^^^^^^^^^^^^^^^^^ here
33 | }
   |
"
        );
    }

    #[test]
    fn multi_line_span_marks_first_and_last_lines() {
        let (src, _, _) = long_fn();
        let whole = 0..src.text().len() - 1;
        let drawn = draw(
            &src,
            &[Mark {
                range: whole,
                label: "this fn",
                primary: true,
            }],
            &Style::default(),
        );
        assert!(drawn.lines().count() <= 10, "{drawn}");
        assert!(
            drawn.contains(" 1 | async fn poll() {\n   | ^^^^^^^^^^^^^^^^^\n"),
            "{drawn}"
        );
        assert!(drawn.contains("33 | }\n   | ^ this fn\n"), "{drawn}");
        assert!(drawn.contains("...\n"), "{drawn}");
    }

    #[test]
    fn close_labels_share_lines_and_one_hidden_line_is_shown() {
        let src = SourceText::new("a\tb\nccc\nddd\neee\n".to_string());
        let marks = [
            Mark {
                range: 2..3,
                label: "b",
                primary: false,
            },
            Mark {
                range: 12..15,
                label: "",
                primary: true,
            },
        ];
        assert_eq!(
            draw(&src, &marks, &Style::default()),
            "  |\n1 | a    b\n  |      - b\n2 | ccc\n3 | ddd\n4 | eee\n  | ^^^\n  |\n"
        );
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let src = SourceText::new("é\n".to_string());
        let marks = [Mark {
            range: 1..50,
            label: "x",
            primary: true,
        }];
        let drawn = draw(&src, &marks, &Style::default());
        assert!(drawn.contains("1 | é"), "{drawn}");
    }
}
