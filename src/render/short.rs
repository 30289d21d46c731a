//! `--format short`: `path:line:col: severity[rule] message`, one diagnostic a line.

use std::io::{self, Write};

use crate::diagnostic::Report;

/// Renders every diagnostic and error on its own line.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let (start, _) = report.span_positions(&d.path, &d.range);
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            d.path.display(),
            start.line,
            start.column,
            d.severity.as_str(),
            d.rule.id,
            d.message
        )?;
    }
    for e in &report.errors {
        match (e.line, e.column) {
            (Some(l), Some(c)) => {
                writeln!(out, "{}:{}:{}: error {}", e.path.display(), l, c, e.message)?
            }
            _ => writeln!(out, "{}: error {}", e.path.display(), e.message)?,
        }
    }
    Ok(())
}
