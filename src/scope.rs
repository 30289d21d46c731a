//! Hierarchical configuration: each file is linted with the configuration nearest above *it*
//! (`async-lint.toml`, else a `Cargo.toml` with `[package.metadata.async-lint]` or
//! `[workspace.metadata.async-lint]`; see [`crate::config::load`]), as ruff does, not the one
//! above the current directory. `--config FILE` overrides them all. Command-line `--select`,
//! `--ignore` and `--exclude` apply on top of every configuration.
//!
//! A *scope* is one configuration and the [`Settings`] it gives; files are mapped to scopes
//! once per directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::discover::ExcludeSet;
use crate::lint::Settings;
use crate::options::{Options, UsageError};
use crate::rules::{self, Rule};

/// One configuration in effect for some files.
pub struct Scope {
    /// The configuration.
    pub config: Config,
    /// The settings it gives (with the command line's selection).
    pub settings: Settings,
    /// Its `exclude` globs plus `--exclude`, compiled.
    pub excludes: ExcludeSet,
}

/// The scopes of a run and which files they own.
pub struct Scopes {
    /// Every scope found so far; index 0 is the explicit `--config` one when given.
    pub scopes: Vec<Scope>,
    explicit: bool,
    /// Directory (absolute) → scope index.
    by_dir: HashMap<PathBuf, usize>,
    /// Configuration file → scope index (the default configuration is `None`).
    by_file: HashMap<Option<PathBuf>, usize>,
}

impl Scopes {
    /// The scopes of a run with `opts`: with `--config`, that one file for every file.
    pub fn new(opts: &Options) -> Result<Scopes, UsageError> {
        let mut scopes = Scopes {
            scopes: Vec::new(),
            explicit: opts.config.is_some(),
            by_dir: HashMap::new(),
            by_file: HashMap::new(),
        };
        if let Some(file) = &opts.config {
            let config =
                config::load(Path::new("."), Some(file)).map_err(|e| UsageError(e.to_string()))?;
            scopes.push(config, opts)?;
        }
        Ok(scopes)
    }

    fn push(&mut self, config: Config, opts: &Options) -> Result<usize, UsageError> {
        let rules = enabled_rules(opts, &config)?;
        let settings = Settings::new(rules, &config);
        let mut patterns = config.exclude.clone();
        patterns.extend(opts.exclude.iter().cloned());
        let excludes = ExcludeSet::new(&patterns).map_err(|e| UsageError(e.to_string()))?;
        self.by_file.insert(config.path.clone(), self.scopes.len());
        self.scopes.push(Scope {
            config,
            settings,
            excludes,
        });
        Ok(self.scopes.len() - 1)
    }

    /// The scope of the configuration nearest above directory `dir`.
    pub fn of_dir(&mut self, dir: &Path, opts: &Options) -> Result<usize, UsageError> {
        if self.explicit {
            return Ok(0);
        }
        let abs = crate::semantic::project::normalize(dir);
        if let Some(&i) = self.by_dir.get(&abs) {
            return Ok(i);
        }
        let config = config::load(&abs, None).map_err(|e| UsageError(e.to_string()))?;
        let i = match self.by_file.get(&config.path) {
            Some(&i) => i,
            None => self.push(config, opts)?,
        };
        // Every directory between this one and the configuration's has the same nearest
        // configuration: one search per subtree, not per directory.
        let top = self.scopes[i]
            .config
            .path
            .as_deref()
            .and_then(Path::parent)
            .map(crate::semantic::project::normalize);
        for d in abs.ancestors() {
            self.by_dir.entry(d.to_path_buf()).or_insert(i);
            if top.as_deref() == Some(d) {
                break;
            }
        }
        Ok(i)
    }

    /// The scope of `file` (which need not exist).
    pub fn of_file(&mut self, file: &Path, opts: &Options) -> Result<usize, UsageError> {
        let dir = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        self.of_dir(dir, opts)
    }

    /// Whether `file`'s own configuration (or `--exclude`) excludes it.
    pub fn excludes(&self, scope: usize, file: &Path) -> bool {
        let s = &self.scopes[scope];
        s.excludes.matches(file, s.config.root.as_deref())
    }

    /// Settings that cover every scope: the union of their rules (phase 2 runs every enabled
    /// resolve hook once; each file then keeps its own scope's rules).
    pub fn union(&self) -> Settings {
        let mut rules: Vec<&'static crate::diagnostic::RuleMeta> = Vec::new();
        for s in &self.scopes {
            for r in &s.settings.rules {
                if !rules.iter().any(|x| x.id == r.id) {
                    rules.push(r);
                }
            }
        }
        rules.sort_by_key(|r| {
            crate::rules::ALL
                .iter()
                .position(|x| x.id == r.id)
                .unwrap_or(usize::MAX)
        });
        Settings {
            collect_facts: self.scopes.iter().any(|s| s.settings.collect_facts),
            rules,
            blocking_apis: Vec::new(),
            path_metadata: self.scopes.iter().any(|s| s.settings.path_metadata),
        }
    }
}

fn check_ids(ids: &[String], origin: &str) -> Result<Vec<&'static str>, UsageError> {
    crate::selection::expand(ids, origin).map_err(UsageError)
}

/// The rules a run enables: `--select` (or the config's `select`, or every default rule) plus
/// `--extend-select` (and the config's `extend-select` when `--select` is not given), minus
/// `--ignore`, `--extend-ignore` and the config's `ignore`. Rule groups are expanded.
pub fn enabled_rules(opts: &Options, config: &Config) -> Result<Vec<&'static Rule>, UsageError> {
    let cli_select = check_ids(&opts.select, "--select")?;
    let mut ignore = check_ids(&opts.ignore, "--ignore")?;
    let mut extend = check_ids(&opts.extend_select, "--extend-select")?;
    ignore.extend(check_ids(&opts.extend_ignore, "--extend-ignore")?);
    let select: Option<Vec<&str>> = if !cli_select.is_empty() {
        Some(cli_select)
    } else {
        extend.extend(config.extend_select.iter().map(String::as_str));
        config
            .select
            .as_ref()
            .map(|ids| ids.iter().map(String::as_str).collect())
    };
    Ok(rules::ALL
        .iter()
        .copied()
        .filter(|r| {
            extend.contains(&r.id)
                || match &select {
                    Some(ids) => ids.contains(&r.id),
                    None => r.default_enabled,
                }
        })
        .filter(|r| !ignore.contains(&r.id) && !config.ignore.iter().any(|i| i == r.id))
        .collect())
}
