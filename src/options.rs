//! The options of a run, independent of how it was asked for (command line, cargo subcommand,
//! library), and its exit statuses. Everything in the driver reads them; they import nothing
//! from it.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::diagnostic::{Report, Severity};
use crate::fix::FixLevel;
use crate::render::Format;

/// Everything a run needs, independent of how it was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files or directories to lint.
    pub paths: Vec<PathBuf>,
    /// Output format.
    pub format: Format,
    /// Color choice for human output.
    pub color: ColorChoice,
    /// `--select` rule ids (empty: from config or defaults).
    pub select: Vec<String>,
    /// `--ignore` rule ids.
    pub ignore: Vec<String>,
    /// `--extend-select`: rules (or groups) added to what `select` or the config enables.
    pub extend_select: Vec<String>,
    /// `--extend-ignore`: rules (or groups) skipped on top of `ignore`.
    pub extend_ignore: Vec<String>,
    /// Exit status and verbosity (`--exit-zero`, `--fail-on`, `--quiet`).
    pub output: OutputOptions,
    /// `--exclude` globs.
    pub exclude: Vec<String>,
    /// Explicit config file.
    pub config: Option<PathBuf>,
    /// `--list-rules`.
    pub list_rules: bool,
    /// `--explain RULE`.
    pub explain: Option<String>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Apply fixes up to this applicability (`--fix`, `--unsafe-fixes`).
    pub fix: Option<FixLevel>,
    /// With `fix`: print a diff instead of writing (`--diff`).
    pub diff: bool,
    /// Workflow integrations: stdin, baseline, statistics, changed-since, cache.
    pub workflow: WorkflowOptions,
}

impl Default for Options {
    /// Lint `.` with every default rule, human output, no fixing.
    fn default() -> Self {
        Options {
            paths: vec![PathBuf::from(".")],
            format: Format::Human,
            color: ColorChoice::Auto,
            select: Vec::new(),
            ignore: Vec::new(),
            extend_select: Vec::new(),
            extend_ignore: Vec::new(),
            output: OutputOptions::default(),
            exclude: Vec::new(),
            config: None,
            list_rules: false,
            explain: None,
            threads: None,
            fix: None,
            diff: false,
            workflow: WorkflowOptions::default(),
        }
    }
}

/// Exit status: nothing found.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: diagnostics or file errors.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: usage, configuration or internal error.
pub const EXIT_USAGE: u8 = 2;

/// A problem that stops the run before linting (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a run reports its outcome: which findings fail it, and how much is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputOptions {
    /// `--exit-zero`: findings never fail the run (usage and internal errors still do).
    pub exit_zero: bool,
    /// `--fail-on`: the least serious severity that fails the run.
    pub fail_on: Severity,
    /// `--quiet`: print only the diagnostics.
    pub quiet: bool,
}

impl Default for OutputOptions {
    /// Warnings and errors fail the run; everything is printed.
    fn default() -> Self {
        OutputOptions {
            exit_zero: false,
            fail_on: Severity::Warning,
            quiet: false,
        }
    }
}

impl OutputOptions {
    /// The exit status for a finished report.
    pub fn exit_code(&self, report: &Report) -> u8 {
        if self.exit_zero {
            EXIT_CLEAN
        } else {
            report.exit_code_at(self.fail_on)
        }
    }
}

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
    /// (see the `partial` module); the command line always does.
    pub project_context: bool,
    /// Apply `exclude` globs to files named on the command line too (pre-commit).
    pub force_exclude: bool,
    /// Put the cache here instead of in the project (see [`crate::cache_root`]).
    pub cache_dir: Option<PathBuf>,
    /// The paths are some packages of a workspace (`cargo async-lint -p ..`): a partial run.
    pub partial_workspace: bool,
}

/// When to color human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Color when stdout is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}
