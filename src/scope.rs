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
    ///
    /// Walks up from `dir` and stops at the first directory whose scope is known or that holds
    /// a configuration ([`config::in_dir`]); every directory passed on the way gets that scope.
    /// So each directory is read once per run, however many files and subdirectories it has
    /// (a search per directory read every ancestor's `Cargo.toml` again: 31k reads for the
    /// full corpus's 26k files).
    pub fn of_dir(&mut self, dir: &Path, opts: &Options) -> Result<usize, UsageError> {
        if self.explicit {
            return Ok(0);
        }
        let abs = crate::semantic::project::normalize(dir);
        if let Some(&i) = self.by_dir.get(&abs) {
            return Ok(i);
        }
        let mut passed: Vec<&Path> = Vec::new();
        let mut found = None;
        for d in abs.ancestors() {
            if let Some(&i) = self.by_dir.get(d) {
                found = Some(i);
                break;
            }
            passed.push(d);
            if let Some(config) = config::in_dir(d).map_err(|e| UsageError(e.to_string()))? {
                found = Some(self.scope_of(config, opts)?);
                break;
            }
        }
        let i = match found {
            Some(i) => i,
            None => self.scope_of(Config::default(), opts)?,
        };
        for d in passed {
            self.by_dir.insert(d.to_path_buf(), i);
        }
        Ok(i)
    }

    /// The scope of `config`, made on first use.
    fn scope_of(&mut self, config: Config, opts: &Options) -> Result<usize, UsageError> {
        match self.by_file.get(&config.path) {
            Some(&i) => Ok(i),
            None => self.push(config, opts),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fsutil::write_under as write;

    #[test]
    fn each_file_gets_the_nearest_configuration_whatever_was_looked_up_before() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        write(root, "async-lint.toml", "ignore = [\"busy-wait\"]\n");
        write(
            root,
            "a/Cargo.toml",
            "[package]\nname = \"a\"\n[package.metadata.async-lint]\nignore = [\"blocking-fs\"]\n",
        );
        write(root, "b/Cargo.toml", "[package]\nname = \"b\"\n");
        write(
            root,
            "a/sub/async-lint.toml",
            "ignore = [\"blocking-sleep\"]\n",
        );
        let opts = Options::default();
        let mut scopes = Scopes::new(&opts).unwrap();
        let config_of = |scopes: &mut Scopes, rel: &str| {
            let i = scopes.of_file(&root.join(rel), &opts).unwrap();
            let path = scopes.scopes[i].config.path.clone().unwrap();
            path.strip_prefix(std::fs::canonicalize(root).unwrap_or(root.to_path_buf()))
                .or_else(|_| path.strip_prefix(root))
                .unwrap()
                .to_path_buf()
        };
        // A sibling first: the root and its ancestors are known when `a` is looked up, and
        // `a`'s own manifest must still win over the root's file.
        assert_eq!(
            config_of(&mut scopes, "b/src/lib.rs"),
            Path::new("async-lint.toml")
        );
        assert_eq!(
            config_of(&mut scopes, "a/src/deep/x.rs"),
            Path::new("a/Cargo.toml")
        );
        assert_eq!(
            config_of(&mut scopes, "a/src/y.rs"),
            Path::new("a/Cargo.toml")
        );
        assert_eq!(
            config_of(&mut scopes, "a/sub/deeper/z.rs"),
            Path::new("a/sub/async-lint.toml")
        );
        assert_eq!(
            config_of(&mut scopes, "a/sub/w.rs"),
            Path::new("a/sub/async-lint.toml")
        );
        assert_eq!(
            config_of(&mut scopes, "top.rs"),
            Path::new("async-lint.toml")
        );
        // One scope per configuration file.
        assert_eq!(scopes.scopes.len(), 3);
    }

    #[test]
    fn a_broken_configuration_above_is_an_error_for_every_file_below() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "async-lint.toml", "select = 3\n");
        let opts = Options::default();
        let mut scopes = Scopes::new(&opts).unwrap();
        assert!(scopes.of_file(&t.path().join("a/x.rs"), &opts).is_err());
        assert!(scopes.of_file(&t.path().join("b/y.rs"), &opts).is_err());
    }
}
