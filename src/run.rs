//! Orchestration: configuration → discovery → parallel lint → cross-file resolution →
//! suppressions → sort → render → exit code.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::analysis::index::{CrateIndex, IndexedFile};
use crate::cli::ColorChoice;
use crate::config::{self, Config};
use crate::diagnostic::{Diagnostic, Report};
use crate::discover;
use crate::lint::{self, FileOutcome, Settings};
use crate::project::CrateInfoCache;
use crate::render::{self, Format, RenderOptions};
use crate::rules::{self, Rule};
use crate::source::SourceText;
use crate::suppress;

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

/// Runs the CLI: renders to `out`, reports usage errors to `err`, returns the exit status.
pub fn run(opts: &Options, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = if opts.list_rules {
        list_rules(opts, out).map(|()| EXIT_CLEAN)
    } else if let Some(id) = &opts.explain {
        explain(id, out)
    } else {
        match lint(opts) {
            Ok(report) => {
                let render_opts = RenderOptions {
                    color: use_color(opts.color),
                    width: None,
                };
                render::render(opts.format, &report, &render_opts, out).map(|()| report.exit_code())
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return EXIT_USAGE;
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_CLEAN,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write output: {e}");
            EXIT_USAGE
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

fn list_rules(opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let enabled = load_config(opts)
        .and_then(|c| enabled_rules(opts, &c))
        .unwrap_or_default();
    for rule in rules::ALL {
        let on = enabled.iter().any(|r| r.id == rule.id);
        writeln!(
            out,
            "{:<24} {:<8} {:<9} {}",
            rule.id,
            rule.severity.as_str(),
            if on { "enabled" } else { "disabled" },
            rule.summary
        )?;
    }
    Ok(())
}

fn explain(id: &str, out: &mut dyn Write) -> io::Result<u8> {
    match rules::by_id(id) {
        Some(rule) => {
            out.write_all(rule.docs.as_bytes())?;
            Ok(EXIT_CLEAN)
        }
        None => {
            writeln!(out, "unknown rule `{id}`; see --list-rules")?;
            Ok(EXIT_USAGE)
        }
    }
}

fn load_config(opts: &Options) -> Result<Config, UsageError> {
    let cwd = std::env::current_dir()
        .map_err(|e| UsageError(format!("cannot read the current directory: {e}")))?;
    config::load(&cwd, opts.config.as_deref()).map_err(|e| UsageError(e.to_string()))
}

fn check_ids(ids: &[String], origin: &str) -> Result<(), UsageError> {
    for id in ids {
        if rules::by_id(id).is_none() {
            return Err(UsageError(format!(
                "unknown rule `{id}` in {origin}; see --list-rules"
            )));
        }
    }
    Ok(())
}

/// The rules a run enables: `--select` (or the config's `select`, or every default rule), minus
/// `--ignore` and the config's `ignore`.
pub fn enabled_rules(opts: &Options, config: &Config) -> Result<Vec<&'static Rule>, UsageError> {
    check_ids(&opts.select, "--select")?;
    check_ids(&opts.ignore, "--ignore")?;
    let select: Option<&[String]> = if !opts.select.is_empty() {
        Some(&opts.select)
    } else {
        config.select.as_deref()
    };
    Ok(rules::ALL
        .iter()
        .copied()
        .filter(|r| match select {
            Some(ids) => ids.iter().any(|i| i == r.id),
            None => r.default_enabled,
        })
        .filter(|r| !opts.ignore.iter().chain(&config.ignore).any(|i| i == r.id))
        .collect())
}

/// Lints what `opts` names and returns the finished, sorted report.
pub fn lint(opts: &Options) -> Result<Report, UsageError> {
    let start = Instant::now();
    let config = load_config(opts)?;
    let rules = enabled_rules(opts, &config)?;
    let mut excludes = config.exclude.clone();
    excludes.extend(opts.exclude.iter().cloned());
    let found =
        discover::discover(&opts.paths, &excludes).map_err(|e| UsageError(e.to_string()))?;

    let mut cache = CrateInfoCache::default();
    let jobs: Vec<_> = found
        .files
        .into_iter()
        .map(|p| (cache.get(&p), Arc::new(p)))
        .collect();
    let settings = Settings {
        collect_facts: rules.iter().any(|r| r.hooks.resolve.is_some()),
        rules,
        blocking_apis: config.blocking_apis.clone(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .stack_size(lint::WORKER_STACK_BYTES)
        .thread_name(|i| format!("async-lint-{i}"))
        .build()
        .map_err(|e| UsageError(format!("cannot start worker threads: {e}")))?;
    let outcomes: Vec<FileOutcome> = pool.install(|| {
        jobs.par_iter()
            .map(|(info, path)| {
                let mut o = lint::lint_file(Arc::clone(path), *info, &settings);
                if o.diagnostics.is_empty() && o.suppressions.is_empty() {
                    o.source = None;
                }
                o
            })
            .collect()
    });
    let mut report = finish(outcomes, &settings, &config);
    report.errors.extend(found.errors);
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    report.elapsed = start.elapsed();
    Ok(report)
}

/// Phase 2 and bookkeeping: cross-file resolution, suppressions, severities, sorting.
pub fn finish(outcomes: Vec<FileOutcome>, settings: &Settings, config: &Config) -> Report {
    let mut report = Report {
        files_checked: outcomes.len(),
        ..Report::default()
    };
    let mut per_file: Vec<(
        Arc<PathBuf>,
        Option<Arc<SourceText>>,
        suppress::Suppressions,
        Vec<Diagnostic>,
    )> = Vec::new();
    let mut index = CrateIndex::default();
    for o in outcomes {
        if let Some(e) = o.error {
            report.errors.push(e);
            continue;
        }
        if settings.collect_facts {
            index.files.push(IndexedFile {
                path: Arc::clone(&o.path),
                facts: o.facts,
            });
        }
        per_file.push((o.path, o.source, o.suppressions, o.diagnostics));
    }

    let mut resolved = Vec::new();
    for rule in &settings.rules {
        if let Some(hook) = rule.hooks.resolve {
            hook(&index, &mut resolved);
        }
    }
    drop(index);
    if !resolved.is_empty() {
        let mut slot: HashMap<Arc<PathBuf>, usize> = HashMap::new();
        for (i, f) in per_file.iter().enumerate() {
            slot.insert(Arc::clone(&f.0), i);
        }
        for d in resolved {
            if let Some(&i) = slot.get(&d.path) {
                per_file[i].3.push(d);
            }
        }
    }

    let enabled = |id: &str| settings.rules.iter().any(|r| r.id == id);
    for (path, source, sups, diags) in per_file {
        if diags.is_empty() && sups.is_empty() {
            continue;
        }
        let source = match source {
            Some(s) => s,
            None => match std::fs::read(path.as_ref())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            {
                Some(t) => Arc::new(SourceText::new(t)),
                None => continue,
            },
        };
        let kept = suppress::apply(&source, &sups, diags, &enabled);
        if !kept.is_empty() {
            report.sources.insert(Arc::clone(&path), source);
            report.diagnostics.extend(kept);
        }
    }
    for d in &mut report.diagnostics {
        if let Some(sev) = config.severity.get(d.rule.id) {
            d.severity = *sev;
        }
    }
    report.diagnostics.sort_by(|a, b| {
        (&a.path, a.range.start, a.rule.id, a.range.end, &a.message).cmp(&(
            &b.path,
            b.range.start,
            b.rule.id,
            b.range.end,
            &b.message,
        ))
    });
    report.diagnostics.dedup_by(|a, b| {
        a.path == b.path && a.range == b.range && a.rule.id == b.rule.id && a.message == b.message
    });
    report
}

/// Lints one in-memory text as if it were the file `path` (stdin, re-linting fixed text, tests),
/// with the rules `opts` enables and the configuration found from the current directory.
pub fn lint_text(path: PathBuf, text: String, opts: &Options) -> Result<Report, UsageError> {
    let start = Instant::now();
    let config = load_config(opts)?;
    let rules = enabled_rules(opts, &config)?;
    let settings = Settings {
        collect_facts: rules.iter().any(|r| r.hooks.resolve.is_some()),
        rules,
        blocking_apis: config.blocking_apis.clone(),
    };
    let info = CrateInfoCache::default().get(&path);
    let path = Arc::new(path);
    let settings_ref = &settings;
    let outcome =
        run_on_big_stack(move || lint::lint_text(path, text, info, settings_ref)).map(|o| {
            let mut report = finish(vec![o], &settings, &config);
            report.elapsed = start.elapsed();
            report
        });
    outcome.ok_or_else(|| UsageError("internal error: the lint thread panicked".to_string()))
}

/// Runs `f` on a thread with the workers' large stack (deep syntax trees recurse).
fn run_on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(lint::WORKER_STACK_BYTES)
            .spawn_scoped(s, f)
            .ok()
            .and_then(|h| h.join().ok())
    })
}
