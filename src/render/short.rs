//! `--format short`: `path:line:col: severity[rule] message`, one diagnostic a line.

use std::io::{self, Write};

use crate::diagnostic::Report;
use crate::render::display_path;

/// Renders every diagnostic and error on its own line.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let (start, _) = report.span_positions(&d.path, &d.range);
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            display_path(&d.path),
            start.line,
            start.column,
            d.severity.as_str(),
            d.rule.id,
            d.message
        )?;
    }
    for e in &report.errors {
        match (e.line, e.column) {
            (Some(l), Some(c)) => writeln!(
                out,
                "{}:{}:{}: error {}",
                display_path(&e.path),
                l,
                c,
                e.message
            )?,
            _ => writeln!(out, "{}: error {}", display_path(&e.path), e.message)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    fn rendered(report: &Report) -> String {
        let mut out = Vec::new();
        render(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_line_per_diagnostic_then_errors() {
        let expected = "\
src/lib.rs:1:1: info[blocking-sleep] multi-line span
src/lib.rs:2:5: warning[blocking-sleep] sleep: 100% blocking, really
second line
src/lib.rs:4:29: error[blocking-sleep] second sleep
src/bad.rs:3:7: error expected `;`, found `}`
src/unreadable.rs: error stream did not contain valid UTF-8
";
        assert_eq!(rendered(&fixture::report()), expected);
    }

    #[test]
    fn clean_report_prints_nothing() {
        assert_eq!(rendered(&fixture::clean()), "");
    }
}
