//! How a run reports its outcome: which findings fail it (`--exit-zero`, `--fail-on`), how much
//! is printed (`--quiet`), and the warning for a run that found nothing to lint.

use crate::options::Options;
pub use crate::options::OutputOptions;

/// The warning for a run that found no Rust file to lint (it exits 0, but says so instead of
/// "All clear").
pub fn no_files_warning(opts: &Options) -> String {
    let paths: Vec<String> = opts
        .paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect();
    let mut w = format!("warning: no Rust files found in {}", paths.join(", "));
    if opts.workflow.changed_since.is_some() {
        w.push_str(" (none changed)");
    } else if !opts.exclude.is_empty() {
        w.push_str(" (after --exclude)");
    }
    w.push_str("; nothing was linted");
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Report, Severity};
    use crate::render::fixture;

    #[test]
    fn fail_on_and_exit_zero() {
        let at = |fail_on, exit_zero, report: &Report| {
            OutputOptions {
                exit_zero,
                fail_on,
                quiet: false,
            }
            .exit_code(report)
        };
        let mut report = fixture::report();
        report.errors.clear();
        // Severities in the fixture: info, warning, error.
        assert_eq!(at(Severity::Error, false, &report), 1);
        report.diagnostics.retain(|d| d.severity != Severity::Error);
        assert_eq!(at(Severity::Error, false, &report), 0);
        assert_eq!(at(Severity::Warning, false, &report), 1);
        report.diagnostics.retain(|d| d.severity == Severity::Info);
        assert_eq!(at(Severity::Warning, false, &report), 0);
        assert_eq!(at(Severity::Info, false, &report), 1);
        assert_eq!(at(Severity::Info, true, &report), 0);
        // File errors fail at any level, but not with --exit-zero.
        let mut errors = fixture::report();
        errors.diagnostics.clear();
        assert_eq!(at(Severity::Error, false, &errors), 1);
        assert_eq!(at(Severity::Error, true, &errors), 0);
        assert_eq!(at(Severity::Info, false, &fixture::clean()), 0);
    }
}
