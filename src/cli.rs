//! The command line (clap derive) and its translation into [`crate::options::Options`].

use std::path::PathBuf;

use clap::Parser;

use crate::diagnostic::Severity;
pub use crate::options::ColorChoice;
use crate::render::Format;

/// async-lint: find the pitfalls of async Rust (blocking calls, unawaited futures, swallowed
/// cancellation, lock guards held across `.await`) and say what to write instead.
#[derive(Debug, Parser)]
#[command(name = "async-lint", version, about, long_about = None)]
pub struct Cli {
    /// Files or directories to lint (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colors in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,

    /// Do not run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,

    /// Also run these rules, on top of --select or the configuration (ids or groups).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub extend_select: Vec<String>,

    /// Also skip these rules, on top of --ignore and the configuration (ids or groups).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub extend_ignore: Vec<String>,

    /// Exit 0 even when there are findings (usage and internal errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// The least serious severity that fails the run (exit 1).
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Warning)]
    pub fail_on: Severity,

    /// Print only the diagnostics: no summary line, no notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Skip paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Use this configuration file instead of searching for one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// List every rule with its default severity, whether it is enabled, and its summary.
    #[arg(long)]
    pub list_rules: bool,

    /// Print a rule's documentation (what it flags, why, and the reference pattern).
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,

    /// Apply the safe fixes, then report what remains.
    #[arg(long)]
    pub fix: bool,

    /// Also apply the unsafe fixes (they change behaviour or need a runtime feature); implies --fix
    /// unless --diff is given.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print a unified diff of what the fixes would change; write nothing. Exit 1 if there is a
    /// change.
    #[arg(long)]
    pub diff: bool,

    /// Number of worker threads (default: RAYON_NUM_THREADS or the number of CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Read the source from stdin and lint it as if it were the file NAME.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["fix", "unsafe_fixes", "diff", "changed_since"])]
    pub stdin_filename: Option<PathBuf>,

    /// Print how many diagnostics each rule reported (most frequent first) instead of them.
    #[arg(long)]
    pub statistics: bool,

    /// Report only findings that are not recorded in this baseline file.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in this baseline file (path, rule, hash of the line) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Lint only files changed since this git revision, plus untracked files.
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,

    /// Do not read or write the cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Apply the exclude globs (configuration and --exclude) to files named on the command
    /// line too, as pre-commit passes them.
    #[arg(long)]
    pub force_exclude: bool,

    /// Keep the cache in this directory (default: the project's target/async-lint/, see
    /// ASYNC_LINT_CACHE_DIR).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Lint every package of the workspace (as `cargo async-lint` does at the workspace root).
    #[arg(long, conflicts_with = "paths")]
    pub workspace: bool,

    /// Lint this package of the workspace (repeatable).
    #[arg(
        short = 'p',
        long = "package",
        value_name = "NAME",
        conflicts_with = "paths"
    )]
    pub package: Vec<String>,

    /// The Cargo.toml to select packages from (default: the nearest one above the current
    /// directory).
    #[arg(long, value_name = "PATH", conflicts_with = "paths")]
    pub manifest_path: Option<PathBuf>,
}

impl Cli {
    /// The cargo package selection flags.
    pub fn selection(&self) -> crate::cargo_cmd::Selection {
        crate::cargo_cmd::Selection {
            workspace: self.workspace,
            packages: self.package.clone(),
            manifest_path: self.manifest_path.clone(),
        }
    }

    /// The options of `cargo async-lint`: without paths, the packages the selection names (the
    /// current package, or the workspace at its root); see [`crate::cargo_cmd`]. A selection
    /// that cannot be resolved is an error message (a usage error).
    pub fn into_cargo_options(self) -> Result<crate::options::Options, String> {
        if !self.paths.is_empty() {
            return Ok(self.into_options());
        }
        let cwd = std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?;
        let (paths, partial) = crate::cargo_cmd::resolve(&self.selection(), &cwd)?;
        let mut opts = self.into_options();
        opts.paths = paths;
        opts.workflow.partial_workspace = partial;
        Ok(opts)
    }

    /// The options a run needs.
    pub fn into_options(self) -> crate::options::Options {
        crate::options::Options {
            paths: if self.paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                self.paths
            },
            format: self.format,
            color: self.color,
            select: self.select,
            ignore: self.ignore,
            extend_select: self.extend_select,
            extend_ignore: self.extend_ignore,
            output: crate::options::OutputOptions {
                exit_zero: self.exit_zero,
                fail_on: self.fail_on,
                quiet: self.quiet,
            },
            exclude: self.exclude,
            config: self.config,
            list_rules: self.list_rules,
            explain: self.explain,
            threads: self.threads,
            fix: match (
                self.fix || self.unsafe_fixes || self.diff,
                self.unsafe_fixes,
            ) {
                (false, _) => None,
                (true, false) => Some(crate::fix::FixLevel::Safe),
                (true, true) => Some(crate::fix::FixLevel::Unsafe),
            },
            diff: self.diff,
            workflow: crate::workflow::WorkflowOptions {
                stdin_filename: self.stdin_filename,
                statistics: self.statistics,
                baseline: self.baseline,
                write_baseline: self.write_baseline,
                changed_since: self.changed_since,
                no_cache: self.no_cache,
                project_context: true,
                force_exclude: self.force_exclude,
                cache_dir: self.cache_dir,
                partial_workspace: false,
            },
        }
    }
}
