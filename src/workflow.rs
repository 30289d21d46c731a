//! The options that plug the linter into team workflows, and their steps in a run:
//! `--stdin-filename` (editors, pipelines), `--changed-since` (pre-push, CI on a diff),
//! `--baseline` / `--write-baseline` (adoption on a large codebase), `--statistics`, and the
//! cache switch. [`crate::run`] calls these at fixed points so the orchestration stays readable.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::diagnostic::{FileError, Report};
use crate::run::{self, EXIT_CLEAN, Options, UsageError};
use crate::{baseline, git};

/// Workflow options (all off by default).
#[derive(Debug, Clone, Default)]
pub struct WorkflowOptions {
    /// Read the source from stdin and lint it as this path.
    pub stdin_filename: Option<PathBuf>,
    /// Print per-rule counts instead of the diagnostics.
    pub statistics: bool,
    /// Report only findings not recorded in this baseline file.
    pub baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file and exit 0.
    pub write_baseline: Option<PathBuf>,
    /// Only lint files changed since this git revision (plus untracked files).
    pub changed_since: Option<String>,
    /// Neither read nor write the cache.
    pub no_cache: bool,
    /// Partial runs take the facts of the rest of the linted files' crates into account
    /// (see [`crate::partial`]); the command line always does.
    pub project_context: bool,
    /// Apply `exclude` globs to files named on the command line too (pre-commit).
    pub force_exclude: bool,
    /// Put the cache here instead of in the project (see [`crate::cache_root`]).
    pub cache_dir: Option<PathBuf>,
    /// The paths are some packages of a workspace (`cargo async-lint -p ..`): a partial run.
    pub partial_workspace: bool,
}

/// Whether a run lints only some files of their crates: files named explicitly,
/// `--changed-since`, or `--stdin-filename`; and it asks for the project's context.
pub fn is_partial(opts: &Options) -> bool {
    opts.workflow.project_context
        && (opts.workflow.partial_workspace
            || opts.workflow.changed_since.is_some()
            || opts.workflow.stdin_filename.is_some()
            || opts.paths.iter().any(|p| p.is_file()))
}

/// Lints what `opts` asks for: stdin when `--stdin-filename` is given, else the paths.
pub fn lint(opts: &Options) -> Result<Report, UsageError> {
    let Some(name) = &opts.workflow.stdin_filename else {
        return run::lint(opts);
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| UsageError(format!("cannot read stdin: {e}")))?;
    lint_stdin_bytes(name.clone(), bytes, opts)
}

/// Lints `bytes` (read from stdin) as the file `name`.
pub fn lint_stdin_bytes(
    name: PathBuf,
    bytes: Vec<u8>,
    opts: &Options,
) -> Result<Report, UsageError> {
    match String::from_utf8(bytes) {
        Ok(text) => run::lint_text(name, text, opts),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            Ok(Report {
                files_checked: 1,
                errors: vec![FileError {
                    path: name,
                    message: format!("file is not valid UTF-8 (invalid byte at offset {valid})"),
                    line: None,
                    column: None,
                }],
                ..Report::default()
            })
        }
    }
}

/// Narrows the discovered files to those changed since `--changed-since REV` (if given).
pub fn select_files(opts: &Options, files: Vec<PathBuf>) -> Result<Vec<PathBuf>, UsageError> {
    let Some(rev) = &opts.workflow.changed_since else {
        return Ok(files);
    };
    let cwd = std::env::current_dir()
        .map_err(|e| UsageError(format!("cannot read the current directory: {e}")))?;
    let changed = git::changed_since(&cwd, rev).map_err(|e| UsageError(e.0))?;
    Ok(git::filter(files, &changed))
}

/// After linting: writes the baseline (`Some(exit status)`: the run is over) or filters the
/// report through one.
pub fn after_lint(
    report: &mut Report,
    opts: &Options,
    err: &mut dyn Write,
) -> Result<Option<u8>, UsageError> {
    if let Some(file) = &opts.workflow.write_baseline {
        let n = baseline::write(report, file).map_err(|e| UsageError(e.0))?;
        let _ = writeln!(
            err,
            "async-lint: recorded {n} finding{} in {}",
            if n == 1 { "" } else { "s" },
            file.display()
        );
        return Ok(Some(EXIT_CLEAN));
    }
    if let Some(b) = read_baseline(opts)? {
        apply_baseline(report, &b)?;
    }
    Ok(None)
}

/// The `--baseline` file, read, with its path (None without the flag).
pub fn read_baseline(opts: &Options) -> Result<Option<(baseline::Baseline, &Path)>, UsageError> {
    let Some(file) = &opts.workflow.baseline else {
        return Ok(None);
    };
    let b = baseline::read(file).map_err(|e| UsageError(e.0))?;
    Ok(Some((b, file.as_path())))
}

/// Drops from `report` the findings the baseline accepts.
pub fn apply_baseline(
    report: &mut Report,
    (b, file): &(baseline::Baseline, &Path),
) -> Result<(), UsageError> {
    baseline::apply(report, b, file)
        .map(|_| ())
        .map_err(|e| UsageError(e.0))
}
