//! The options that plug the linter into team workflows, and their steps in a run:
//! `--stdin-filename` (editors, pipelines), `--changed-since` (pre-push, CI on a diff),
//! `--baseline` / `--write-baseline` (adoption on a large codebase), `--statistics`, and the
//! cache switch. The `run` module calls these at fixed points so the orchestration stays readable.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::diagnostic::{FileError, Report};
pub use crate::options::WorkflowOptions;
use crate::options::{EXIT_CLEAN, Options, UsageError};
use crate::{baseline, git};

/// Whether a run lints only some files of their crates: files named explicitly,
/// `--changed-since`, or `--stdin-filename`; and it asks for the project's context.
pub fn is_partial(opts: &Options) -> bool {
    opts.workflow.project_context
        && (opts.workflow.partial_workspace
            || opts.workflow.changed_since.is_some()
            || opts.workflow.stdin_filename.is_some()
            || opts.paths.iter().any(|p| p.is_file()))
}

/// What a run lints instead of its paths when `--stdin-filename NAME` is given.
pub enum StdinInput {
    /// The text read from stdin, to lint as the file `name`.
    Text {
        /// `NAME`.
        name: PathBuf,
        /// The text.
        text: String,
    },
    /// The finished report of a run whose only file, stdin, is not UTF-8.
    NotUtf8(Box<Report>),
}

/// What `--stdin-filename` asks to lint (`None` without it), read from stdin.
/// (The `run` module lints it.)
pub fn stdin_input(opts: &Options) -> Result<Option<StdinInput>, UsageError> {
    let Some(name) = &opts.workflow.stdin_filename else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| UsageError(format!("cannot read stdin: {e}")))?;
    Ok(Some(stdin_text(name.clone(), bytes)))
}

/// `bytes` (read from stdin) as the file `name`: its text, or the report of a text that is not
/// UTF-8.
pub fn stdin_text(name: PathBuf, bytes: Vec<u8>) -> StdinInput {
    match String::from_utf8(bytes) {
        Ok(text) => StdinInput::Text { name, text },
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            StdinInput::NotUtf8(Box::new(Report {
                files_checked: 1,
                errors: vec![FileError {
                    path: name,
                    message: format!("file is not valid UTF-8 (invalid byte at offset {valid})"),
                    line: None,
                    column: None,
                }],
                ..Report::default()
            }))
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
