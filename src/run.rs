//! Orchestration: configuration → discovery → parallel lint → cross-file resolution →
//! suppressions → sort → render → exit code.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::budget::ByteBudget;
use crate::cache::lint_file_catching_panics;
use crate::cache_root::CachePlace;
use crate::config::{self, Config};
use crate::crate_phase::{Member, resolve_groups};
use crate::diagnostic::{Diagnostic, FileError, Report};
use crate::discover;
use crate::fix::{self, FixLevel};
use crate::lint::{self, FileOutcome, Settings};
use crate::options::ColorChoice;
pub use crate::options::{
    EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, Options, OutputOptions, UsageError,
};
use crate::project::CrateInfoCache;
use crate::render::{self, Format, RenderOptions};
use crate::rules;
use crate::scope::Scopes;
pub use crate::scope::enabled_rules;
use crate::semantic::project::Project;
use crate::source::SourceText;
use crate::suppress;
use crate::workflow::StdinInput;

/// Runs the CLI: renders to `out`, reports usage errors to `err`, returns the exit status.
pub fn run(opts: &Options, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = if opts.list_rules {
        list_rules(opts, out).map(|()| EXIT_CLEAN)
    } else if let Some(id) = &opts.explain {
        explain(id, out)
    } else if opts.diff {
        match fix_files(opts, false) {
            Ok(outcome) => write_diffs(&outcome, opts.output.quiet, out, err).map(|code| {
                if opts.output.exit_zero {
                    EXIT_CLEAN
                } else {
                    code
                }
            }),
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        let mut internal_error = false;
        let linted = match opts.fix {
            Some(_) => fix_files(opts, true).and_then(|outcome| {
                let mut report = lint(opts)?;
                report.fixes_applied = outcome.fixes;
                internal_error = outcome
                    .errors
                    .iter()
                    .any(|e| e.message.starts_with("internal error"));
                report.errors.extend(outcome.errors);
                Ok(report)
            }),
            None => match crate::workflow::stdin_input(opts) {
                Ok(None) => lint(opts),
                Ok(Some(StdinInput::Text { name, text })) => lint_text(name, text, opts),
                Ok(Some(StdinInput::NotUtf8(report))) => Ok(*report),
                Err(e) => Err(e),
            },
        };
        let linted = linted.and_then(|mut report| {
            crate::workflow::after_lint(&mut report, opts, err).map(|done| (report, done))
        });
        match linted {
            Ok((_, Some(code))) => return code,
            Ok((mut report, None)) => {
                if report.files_checked == 0 && report.errors.is_empty() && !opts.output.quiet {
                    let _ = writeln!(err, "{}", crate::outcome::no_files_warning(opts));
                }
                if let Ok(cwd) = std::env::current_dir() {
                    crate::paths::relativize(&mut report, &cwd);
                }
                let render_opts = RenderOptions {
                    color: use_color(opts.color),
                    width: None,
                    quiet: opts.output.quiet,
                    passes: Some(opts.output.exit_code(&report) == 0),
                };
                if opts.workflow.statistics {
                    render::statistics::render(&report, opts.format == Format::Json, out)
                } else {
                    render::render(opts.format, &report, &render_opts, out)
                }
                .map(|()| {
                    if internal_error {
                        EXIT_USAGE
                    } else {
                        opts.output.exit_code(&report)
                    }
                })
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

/// What fixing changed (or would change).
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// Fixes applied, over all files and passes.
    pub fixes: usize,
    /// Per changed file: path, text before, text after.
    pub changes: Vec<(PathBuf, String, String)>,
    /// Files that could not be fixed (changed on disk, fix does not parse, fix loop, write error).
    pub errors: Vec<FileError>,
}

/// Source bytes linted beside the largest file: a generated table of a few MB parses into
/// hundreds of MB of syntax tree, so what runs beside it must be small (64 KiB beside the 38
/// crates' 777 KB table raised their peak from 52 to 58 MB).
const BESIDE_LARGEST_BYTES: u64 = 16 * 1024;

/// After the run's largest file, and any file this large, the worker gives the freed pages of
/// its syntax tree back at once: a 777 KB table leaves 30 MB that mimalloc keeps for its purge
/// delay, and the next large files on the other worker stacked their trees on top (the 38
/// crates' file phase peaked at 59 MB instead of 50 in a build without LTO). Pages given back
/// are faulted in again: doing it after every file of 512 KiB or more cost 1.2 s of system
/// time on the full corpus (34 files).
const RELEASE_AFTER_BYTES: u64 = 1024 * 1024;

/// Most passes of apply → re-lint per file before a fix loop is declared.
const MAX_FIX_PASSES: usize = 10;

/// Lints, then applies the applicable fixes file by file: non-overlapping fixes first, then
/// re-lint and repeat (bounded). A file is written (when `write`) only if its fixed text
/// re-parses and the file did not change on disk since it was read; atomically.
pub fn fix_files(opts: &Options, write: bool) -> Result<FixOutcome, UsageError> {
    let level = opts.fix.unwrap_or(FixLevel::Safe);
    let mut report = lint(opts)?;
    // Findings the baseline accepts are left alone, in the first pass and after every re-lint.
    let baseline = crate::workflow::read_baseline(opts)?;
    if let Some(b) = &baseline {
        crate::workflow::apply_baseline(&mut report, b)?;
    }
    let mut scopes = Scopes::new(opts)?;
    let mut by_file: HashMap<Arc<PathBuf>, Vec<Diagnostic>> = HashMap::new();
    for d in report.diagnostics.iter().filter(|d| {
        d.fix
            .as_ref()
            .is_some_and(|f| level.allows(f.applicability) && !f.edits.is_empty())
    }) {
        by_file
            .entry(Arc::clone(&d.path))
            .or_default()
            .push(d.clone());
    }
    let mut files: Vec<_> = by_file.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut outcome = FixOutcome::default();
    let mut cache = CrateInfoCache::default();
    for (path, mut diags) in files {
        let Some(source) = report.sources.get(&path) else {
            continue;
        };
        let original = source.text().to_string();
        let mut text = original.clone();
        let mut fixes = 0;
        let mut failed = None;
        let info = cache.get(&path);
        let scope = scopes.of_file(&path, opts)?;
        let settings = &scopes.scopes[scope].settings;
        let union = scopes.union();
        for pass in 0.. {
            let applied = fix::apply(&text, &diags, level);
            if applied.fixes == 0 {
                break;
            }
            if pass == MAX_FIX_PASSES {
                let mut ids: Vec<&str> = diags.iter().map(|d| d.rule.id).collect();
                ids.sort_unstable();
                ids.dedup();
                failed = Some(format!(
                    "internal error: fixes of {} did not converge after {MAX_FIX_PASSES} passes; file left unchanged",
                    ids.join(", ")
                ));
                break;
            }
            if let Err(e) = syn::parse_file(&applied.text) {
                let ids: Vec<&str> = diags.iter().map(|d| d.rule.id).collect();
                failed = Some(format!(
                    "a fix of {} produced code that does not parse ({e}); file left unchanged",
                    ids.join(", ")
                ));
                break;
            }
            text = applied.text;
            fixes += applied.fixes;
            // The fixed text goes through phase 2 as well (alone): its suppressions, the test-code
            // policy and the other filters that decided what the first run reported apply again,
            // so a later pass never fixes a finding that is suppressed or was not reported.
            let relinted = run_on_big_stack(|| {
                lint::lint_text(Arc::clone(&path), text.clone(), info, settings)
            })
            .map(|o| {
                let project = if union.collect_facts {
                    Project::load(std::slice::from_ref(path.as_ref()))
                } else {
                    Project::default()
                };
                finish_scoped(vec![(o, scope)], Vec::new(), project, &union, &scopes, None)
            });
            let mut relinted = Report {
                // Whether a suppression is used depends on the rest of the crate, which this
                // re-lint of one file does not see: only the first run's are acted upon.
                diagnostics: relinted
                    .map(|r| {
                        r.diagnostics
                            .into_iter()
                            .filter(|d| d.rule.id != rules::suppressible().unused.id)
                            .collect()
                    })
                    .unwrap_or_default(),
                ..Report::default()
            };
            if let Some(b) = &baseline {
                relinted
                    .sources
                    .insert(Arc::clone(&path), Arc::new(SourceText::new(text.clone())));
                crate::workflow::apply_baseline(&mut relinted, b)?;
            }
            diags = relinted
                .diagnostics
                .into_iter()
                .filter(|d| {
                    d.fix
                        .as_ref()
                        .is_some_and(|f| level.allows(f.applicability) && !f.edits.is_empty())
                })
                .collect();
        }
        if let Some(message) = failed {
            outcome.errors.push(FileError {
                path: path.as_ref().clone(),
                message,
                line: None,
                column: None,
            });
            continue;
        }
        if text == original {
            continue;
        }
        text = fix::remove_unused_imports(&original, &text);
        if write {
            let on_disk = std::fs::read(path.as_ref()).ok();
            if on_disk.as_deref() != Some(original.as_bytes()) {
                outcome.errors.push(FileError {
                    path: path.as_ref().clone(),
                    message: "the file changed on disk while it was being linted; not fixed"
                        .to_string(),
                    line: None,
                    column: None,
                });
                continue;
            }
            if let Err(e) = fix::write_atomically(&path, &text) {
                outcome.errors.push(FileError {
                    path: path.as_ref().clone(),
                    message: format!("cannot write the fixed file: {e}"),
                    line: None,
                    column: None,
                });
                continue;
            }
        }
        outcome.fixes += fixes;
        outcome
            .changes
            .push((path.as_ref().clone(), original, text));
    }
    Ok(outcome)
}

/// Prints the diff of every changed file, then (unless `quiet`) what it would fix on stderr.
fn write_diffs(
    outcome: &FixOutcome,
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    // Paths relative to the current directory, as `git apply` (run from here) reads them.
    let shown = |p: &std::path::Path| match std::env::current_dir() {
        Ok(cwd) => crate::paths::display_relative(p, &cwd),
        Err(_) => p.to_path_buf(),
    };
    for (path, before, after) in &outcome.changes {
        out.write_all(fix::unified_diff(&shown(path), before, after).as_bytes())?;
    }
    for e in &outcome.errors {
        writeln!(err, "error: {}: {}", shown(&e.path).display(), e.message)?;
    }
    let n = outcome.changes.len();
    if !quiet {
        writeln!(
            err,
            "{} fix{} would change {n} file{}",
            outcome.fixes,
            if outcome.fixes == 1 { "" } else { "es" },
            if n == 1 { "" } else { "s" }
        )?;
    }
    Ok(if n > 0 || !outcome.errors.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
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
            match crate::selection::did_you_mean(id, rules::ALL.iter().map(|r| r.id)) {
                Some(close) => writeln!(
                    out,
                    "unknown rule `{id}`; did you mean `{close}`? see --list-rules"
                )?,
                None => writeln!(out, "unknown rule `{id}`; see --list-rules")?,
            }
            Ok(EXIT_USAGE)
        }
    }
}

fn load_config(opts: &Options) -> Result<Config, UsageError> {
    let cwd = std::env::current_dir()
        .map_err(|e| UsageError(format!("cannot read the current directory: {e}")))?;
    config::load(&cwd, opts.config.as_deref()).map_err(|e| UsageError(e.to_string()))
}

/// One file to lint: its size, its crate's info, its path, its configuration scope.
type Job = (u64, crate::project::CrateInfo, Arc<PathBuf>, usize);

/// The files `opts` names, largest first (their syntax trees, hundreds of MB for a generated
/// table, are built while little else is held, instead of on top of every other file's facts),
/// and the paths that could not be walked.
fn plan(opts: &Options, scopes: &mut Scopes) -> Result<(Vec<Job>, Vec<FileError>), UsageError> {
    // The walk prunes what the configurations of the given paths exclude; each file found is
    // then held against its own configuration's excludes.
    let mut walk_excludes = opts.exclude.clone();
    for p in &opts.paths {
        let scope = if p.is_dir() {
            scopes.of_dir(p, opts)?
        } else {
            scopes.of_file(p, opts)?
        };
        walk_excludes.extend(scopes.scopes[scope].config.exclude.iter().cloned());
    }
    walk_excludes.sort();
    walk_excludes.dedup();
    let mut found =
        discover::discover(&opts.paths, &walk_excludes).map_err(|e| UsageError(e.to_string()))?;
    found.files = crate::workflow::select_files(opts, found.files)?;
    // A set: a run that names every crate of a vendored tree (704 paths, 26k files) spent a
    // sixth of its warm time comparing each file with each named path.
    let named_paths: std::collections::HashSet<&Path> =
        opts.paths.iter().map(PathBuf::as_path).collect();
    // Each file's configuration (and then its size) and its crate are looked up side by side:
    // both walk up from its directory and read what they find there.
    let (scoped, infos) = rayon::join(
        || -> Result<Vec<Option<(usize, u64)>>, UsageError> {
            found
                .files
                .iter()
                .map(|p| {
                    let scope = scopes.of_file(p, opts)?;
                    let named = named_paths.contains(p.as_path());
                    let excluded =
                        (!named || opts.workflow.force_exclude) && scopes.excludes(scope, p);
                    Ok((!excluded).then(|| {
                        let size = std::fs::metadata(p).map_or(0, |m| m.len());
                        (scope, size)
                    }))
                })
                .collect()
        },
        || {
            let mut infos = CrateInfoCache::default();
            found.files.iter().map(|p| infos.get(p)).collect::<Vec<_>>()
        },
    );
    let mut jobs: Vec<Job> = found
        .files
        .into_iter()
        .zip(scoped?.into_iter().zip(infos))
        .filter_map(|(p, (scoped, info))| {
            let (scope, size) = scoped?;
            Some((size, info, Arc::new(p), scope))
        })
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.0));
    Ok((jobs, found.errors))
}

/// The run's worker threads, with the stack deep syntax trees need.
fn worker_pool(opts: &Options) -> Result<rayon::ThreadPool, UsageError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .stack_size(lint::WORKER_STACK_BYTES)
        .thread_name(|i| format!("async-lint-{i}"))
        .build()
        .map_err(|e| UsageError(format!("cannot start worker threads: {e}")))
}

/// Lints what `opts` names and returns the finished, sorted report.
pub fn lint(opts: &Options) -> Result<Report, UsageError> {
    let start = Instant::now();
    let mut scopes = Scopes::new(opts)?;
    let pool = worker_pool(opts)?;
    // Finding the files and placing and loading the cache are independent: side by side.
    let (planned, cached) = pool.install(|| {
        rayon::join(
            || plan(opts, &mut scopes),
            || {
                (!opts.workflow.no_cache).then(|| {
                    let place =
                        CachePlace::for_inputs(&opts.paths, opts.workflow.cache_dir.as_deref());
                    let cache = crate::cache::Cache::open(&place.dir);
                    (place, cache)
                })
            },
        )
    });
    let (place, cache) = cached.unzip();
    let (jobs, discovery_errors) = planned?;
    if scopes.scopes.is_empty() {
        // No file: the configuration of the current directory still has to be valid.
        scopes.of_dir(Path::new("."), opts)?;
    }
    let settings = scopes.union();
    let linted: Vec<PathBuf> = jobs.iter().map(|j| j.2.as_ref().clone()).collect();
    let context = if settings.collect_facts && crate::workflow::is_partial(opts) {
        crate::partial::context_jobs(&linted, opts, &mut scopes)?
    } else {
        Vec::new()
    };
    // The project model (cargo metadata, else the manifests) loads beside the linting.
    let project_paths: Vec<PathBuf> = if settings.collect_facts {
        linted
            .iter()
            .cloned()
            .chain(context.iter().map(|c| c.0.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let project = std::thread::spawn(move || Project::load(&project_paths));
    // At most the largest file's bytes plus a small file's are linted at once: the peak is that
    // file's tree (as it is for a bare parser), and while a large file holds the budget the
    // other workers take the small files that fit beside it (a worker that waited for room
    // instead idled 0.1 s of 3 s on the 38 crates; the largest file alone left a worker idle
    // for a second on the full corpus; a whole 256 KiB beside it raised the 38 crates' peak
    // from 64 to 80 MB).
    // The facts wait for the crate-wide phase on disk, not in memory (see `spill`).
    let spill = settings
        .collect_facts
        .then(crate::spill::Spill::new)
        .flatten();
    let budget = ByteBudget::new(jobs.first().map_or(0, |j| j.0) + BESIDE_LARGEST_BYTES);
    let sizes: Vec<u64> = jobs.iter().map(|j| j.0).collect();
    let outcomes: Vec<FileOutcome> = pool.install(|| {
        budget.run(&sizes, |i| {
            let (size, info, path, scope) = &jobs[i];
            let settings = &scopes.scopes[*scope].settings;
            let mut o =
                lint_file_catching_panics(path, *info, settings, cache.as_ref(), spill.as_ref());
            if (i == 0 || *size >= RELEASE_AFTER_BYTES) && !crate::allocator::retain::keeping() {
                crate::allocator::release_freed_memory();
            }
            crate::allocator::review_retention();
            // The few files that keep findings are read again when the report is made (as
            // cached files are): holding every such text to the end cost 2 MB on the 38 crates.
            o.source = None;
            o
        })
    });
    let context_outcomes =
        pool.install(|| crate::partial::lint_context(&context, &scopes, cache.as_ref()));
    let file_scopes: Vec<usize> = jobs.iter().map(|j| j.3).collect();
    // The syntax trees are gone: give their memory back before the facts are resolved, and
    // resolve them on the same workers (no second thread pool).
    crate::allocator::stop_retaining();
    pool.broadcast(|_| crate::allocator::release_freed_memory());
    let project = project.join().unwrap_or_default();
    let outcomes: Vec<(FileOutcome, usize)> = outcomes.into_iter().zip(file_scopes).collect();
    let mut report = pool.install(|| {
        finish_scoped(
            outcomes,
            context_outcomes,
            project,
            &settings,
            &scopes,
            cache.as_ref(),
        )
    });
    if let Some(cache) = cache {
        // A run over the whole project forgets the files it no longer has.
        let whole = opts.workflow.changed_since.is_none()
            && place.is_some_and(|p| p.covered_by(&opts.paths));
        let seen: Vec<PathBuf> = if whole {
            linted
                .iter()
                .cloned()
                .chain(context.into_iter().map(|c| c.0))
                .collect()
        } else {
            Vec::new()
        };
        cache.save(whole.then_some(&seen[..]));
    }
    report.errors.extend(discovery_errors);
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    report.elapsed = start.elapsed();
    Ok(report)
}

/// What phase 2 keeps of a linted file.
struct PerFile {
    path: Arc<PathBuf>,
    source: Option<Arc<SourceText>>,
    suppressions: suppress::Suppressions,
    diagnostics: Vec<Diagnostic>,
    scope: usize,
}

/// Phase 2 and bookkeeping with one configuration for every file (see [`finish_scoped`]).
pub fn finish(
    outcomes: Vec<FileOutcome>,
    context: Vec<FileOutcome>,
    project: Project,
    settings: &Settings,
    config: &Config,
) -> Report {
    let outcomes = outcomes.into_iter().map(|o| (o, 0)).collect();
    finish_with(
        outcomes,
        context,
        project,
        settings,
        &[(settings, config)],
        None,
    )
}

/// Phase 2 and bookkeeping: cross-file resolution, suppressions, severities, sorting. Each
/// outcome comes with its scope: the file keeps its own configuration's rules and severities.
/// `context` files (a partial run's, see [`crate::partial`]) contribute their facts only.
/// `settings` covers every scope ([`Scopes::union`]). The cache, when given, remembers the
/// crate-wide findings of each group of files.
pub fn finish_scoped(
    outcomes: Vec<(FileOutcome, usize)>,
    context: Vec<FileOutcome>,
    project: Project,
    settings: &Settings,
    scopes: &Scopes,
    cache: Option<&crate::cache::Cache>,
) -> Report {
    let per_scope: Vec<(&Settings, &Config)> = scopes
        .scopes
        .iter()
        .map(|s| (&s.settings, &s.config))
        .collect();
    finish_with(outcomes, context, project, settings, &per_scope, cache)
}

fn finish_with(
    outcomes: Vec<(FileOutcome, usize)>,
    context: Vec<FileOutcome>,
    project: Project,
    settings: &Settings,
    scopes: &[(&Settings, &Config)],
    cache: Option<&crate::cache::Cache>,
) -> Report {
    let mut report = Report {
        files_checked: outcomes.len(),
        ..Report::default()
    };
    let mut per_file: Vec<PerFile> = Vec::new();
    let mut members: Vec<Member> = Vec::new();
    for (o, scope) in outcomes {
        if let Some(e) = o.error {
            report.errors.push(e);
            continue;
        }
        members.push(Member {
            position: per_file.len(),
            facts: o.facts,
            stamp: o.stamp,
            suppressions: if o.suppressions.directives.is_empty() {
                suppress::Suppressions::default()
            } else {
                o.suppressions.clone()
            },
            diagnostics: o.diagnostics,
            policy: Some(scopes[scope].1.blocking_in_tests),
        });
        per_file.push(PerFile {
            path: o.path,
            source: o.source,
            suppressions: o.suppressions,
            diagnostics: Vec::new(),
            scope,
        });
    }
    let mut pre_used: Vec<Vec<(usize, usize)>> = vec![Vec::new(); per_file.len()];
    if settings.collect_facts {
        // Context files (a partial run's) lend their facts and report nothing.
        let mut paths: Vec<Arc<PathBuf>> = per_file.iter().map(|f| Arc::clone(&f.path)).collect();
        for o in context.into_iter().filter(|o| o.error.is_none()) {
            members.push(Member {
                position: paths.len(),
                facts: o.facts,
                stamp: o.stamp,
                suppressions: o.suppressions,
                diagnostics: Vec::new(),
                policy: None,
            });
            paths.push(o.path);
        }
        for (i, diags, used) in resolve_groups(&paths, members, project, settings, cache) {
            if let Some(f) = per_file.get_mut(i) {
                f.diagnostics = diags;
                pre_used[i] = used;
            }
        }
    } else {
        for m in members {
            per_file[m.position].diagnostics = m.diagnostics;
        }
    }

    for (
        PerFile {
            path,
            source,
            suppressions: sups,
            diagnostics: mut diags,
            scope,
        },
        pre_used,
    ) in per_file.into_iter().zip(pre_used)
    {
        let (own, config) = scopes[scope];
        let enabled = |id: &str| own.rules.iter().any(|r| r.id == id);
        diags.retain(|d| enabled(d.rule.id));
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
        let unused = rules::suppressible().unused;
        let mut kept = suppress::apply(&source, &sups, diags, &enabled, &path, &pre_used, unused);
        for d in &mut kept {
            if let Some(sev) = config.severity.get(d.rule.id) {
                d.severity = *sev;
            }
        }
        if !kept.is_empty() {
            report.sources.insert(Arc::clone(&path), source);
            report.diagnostics.extend(kept);
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
    let mut scopes = Scopes::new(opts)?;
    let scope = scopes.of_file(&path, opts)?;
    let info = CrateInfoCache::default().get(&path);
    let context_paths =
        if scopes.scopes[scope].settings.collect_facts && crate::workflow::is_partial(opts) {
            crate::partial::context_jobs(std::slice::from_ref(&path), opts, &mut scopes)?
        } else {
            Vec::new()
        };
    let context = if context_paths.is_empty() {
        Vec::new()
    } else {
        let place = CachePlace::for_inputs(
            std::slice::from_ref(&path),
            opts.workflow.cache_dir.as_deref(),
        );
        let cache = (!opts.workflow.no_cache).then(|| crate::cache::Cache::open(&place.dir));
        worker_pool(opts)?
            .install(|| crate::partial::lint_context(&context_paths, &scopes, cache.as_ref()))
    };
    let settings = scopes.union();
    let path = Arc::new(path);
    let file_settings = &scopes.scopes[scope].settings;
    let outcome =
        run_on_big_stack(move || lint::lint_text(path, text, info, file_settings)).map(|o| {
            let project = if settings.collect_facts {
                let mut paths = vec![o.path.as_ref().clone()];
                paths.extend(context_paths.into_iter().map(|c| c.0));
                Project::load(&paths)
            } else {
                Project::default()
            };
            let mut report =
                finish_scoped(vec![(o, scope)], context, project, &settings, &scopes, None);
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
