//! Configuration: `async-lint.toml`, or `[workspace.metadata.async-lint]` /
//! `[package.metadata.async-lint]` in the nearest `Cargo.toml`, found from a directory upward.
//!
//! The search starts at the given directory and stops at the first directory that has an
//! `async-lint.toml` (which wins over a `Cargo.toml` beside it) or a `Cargo.toml` with an
//! async-lint metadata table. A `Cargo.toml` without one does not stop the search, so a member
//! crate picks up its workspace root's `[workspace.metadata.async-lint]`.
//!
//! Keys (the same in both places):
//!
//! ```toml
//! select = ["blocking-sleep"]          # only these rules
//! ignore = ["unused-suppression"]      # minus these
//! exclude = ["tests/**", "vendor"]     # globs; see crate::discover for how they match
//! extend-select = ["blocking"]        # added to `select` (or to the defaults)
//! extend-ignore = []                   # added to `ignore`
//! severity = { "blocking-sleep" = "error", "unused-suppression" = "off" }
//! blocking-apis = [{ path = "mycrate::db::query_sync", replacement = "mycrate::db::query" }]
//! ```
//!
//! The file is walked key by key (not through serde) so that every problem names the file, the
//! line and column, and the key, in our own words.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::Severity;
use crate::selection;
use crate::source::SourceText;

pub use crate::analysis::settings::BlockingApiEntry;

/// The effective configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    /// The directory relative `exclude` patterns are anchored at (the config file's directory,
    /// canonicalized), if a file was read.
    pub root: Option<PathBuf>,
    /// Only these rules (None: every default-enabled rule).
    pub select: Option<Vec<String>>,
    /// Rules turned off (`ignore`, `extend-ignore`, and severity `off`).
    pub ignore: Vec<String>,
    /// Rules added to `select` or to the defaults (`extend-select`).
    pub extend_select: Vec<String>,
    /// Per-rule severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// Glob patterns of paths not to lint, ready for [`crate::discover::discover`]: a pattern
    /// with a `/` is anchored at [`Config::root`] (made absolute, with the directory escaped);
    /// a bare name pattern (`vendor`, `*_gen.rs`) is kept as written and matches at any depth.
    pub exclude: Vec<String>,
    /// Extra blocking APIs.
    pub blocking_apis: Vec<BlockingApiEntry>,
    /// What the blocking rules report in test code (`blocking-in-tests`).
    pub blocking_in_tests: crate::analysis::test_policy::BlockingInTests,
    /// Whether path metadata methods (`Path::exists`, ..) are blocking-fs
    /// (`blocking-path-metadata`, default false).
    pub blocking_path_metadata: bool,
}

/// A configuration file that cannot be used; names the file and the offending key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, naming the key.
    pub message: String,
    /// 1-based line of the problem, when it has a position in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the problem, when it has a position in the file.
    pub column: Option<usize>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.path.display(), self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.path.display(), self.message),
            _ => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The name of the standalone configuration file.
pub const FILE_NAME: &str = "async-lint.toml";

/// The keys a configuration table may have.
pub const KEYS: &[&str] = &[
    "select",
    "ignore",
    "extend-select",
    "extend-ignore",
    "exclude",
    "severity",
    "blocking-apis",
    "blocking-in-tests",
    "blocking-path-metadata",
];

/// Loads the configuration: `explicit` if given, else the nearest one from `start_dir` upward.
///
/// An explicit file named `Cargo.toml` must have an async-lint metadata table; any other name
/// is read as an `async-lint.toml`. Without a file anywhere, the default configuration is used.
pub fn load(start_dir: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
    if let Some(path) = explicit {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            message: format!("cannot read configuration file: {e}"),
            line: None,
            column: None,
        })?;
        if path.file_name().is_some_and(|n| n == "Cargo.toml") {
            return from_cargo_toml(path, &text)?.ok_or_else(|| ConfigError {
                path: path.to_path_buf(),
                message:
                    "no [package.metadata.async-lint] or [workspace.metadata.async-lint] table"
                        .to_string(),
                line: None,
                column: None,
            });
        }
        return from_async_lint_toml(path, &text);
    }
    let start = std::path::absolute(start_dir).unwrap_or_else(|_| start_dir.to_path_buf());
    for dir in start.ancestors() {
        if let Some(config) = in_dir(dir)? {
            return Ok(config);
        }
    }
    Ok(Config::default())
}

/// The configuration that directory `dir` itself holds, if any: its `async-lint.toml`, else
/// its `Cargo.toml` when that has an async-lint metadata table. [`load`] asks each ancestor
/// in turn; a caller that remembers the answers per directory reads each directory once.
pub fn in_dir(dir: &Path) -> Result<Option<Config>, ConfigError> {
    let own = dir.join(FILE_NAME);
    if own.is_file() {
        let text = std::fs::read_to_string(&own).map_err(|e| ConfigError {
            path: own.clone(),
            message: format!("cannot read configuration file: {e}"),
            line: None,
            column: None,
        })?;
        return from_async_lint_toml(&own, &text).map(Some);
    }
    let manifest = dir.join("Cargo.toml");
    // Only a manifest that mentions async-lint can hold our table; the rest are not parsed
    // (and a broken one is cargo's business, not ours).
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        return Ok(None);
    };
    if text.contains("async-lint") {
        return from_cargo_toml(&manifest, &text);
    }
    Ok(None)
}

/// Reads an `async-lint.toml` (its keys at the top level).
pub fn from_async_lint_toml(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let cx = Cx::new(path, text);
    let doc = DeTable::parse(text).map_err(|e| cx.toml_error(&e))?;
    cx.config(doc.get_ref(), "")
}

/// Reads the async-lint table of a `Cargo.toml`, or `None` when it has none.
pub fn from_cargo_toml(path: &Path, text: &str) -> Result<Option<Config>, ConfigError> {
    let cx = Cx::new(path, text);
    let doc = DeTable::parse(text).map_err(|e| cx.toml_error(&e))?;
    let mut found = None;
    for section in ["package", "workspace"] {
        let Some(value) = doc
            .get_ref()
            .get(section)
            .and_then(|s| s.get_ref().get("metadata"))
            .and_then(|m| m.get_ref().get("async-lint"))
        else {
            continue;
        };
        let name = format!("{section}.metadata.async-lint");
        if found.is_some() {
            return Err(cx.error(value.span(), "both [package.metadata.async-lint] and [workspace.metadata.async-lint] are set; keep one".to_string()));
        }
        let DeValue::Table(table) = value.get_ref() else {
            return Err(cx.error(value.span(), format!("`{name}` must be a table")));
        };
        found = Some(cx.config(table, &format!("{name}."))?);
    }
    Ok(found)
}

/// The file being read, for error positions.
struct Cx<'a> {
    path: &'a Path,
    source: SourceText,
}

impl<'a> Cx<'a> {
    fn new(path: &'a Path, text: &str) -> Self {
        Cx {
            path,
            source: SourceText::new(text.to_string()),
        }
    }

    fn error(&self, span: Range<usize>, message: String) -> ConfigError {
        let pos = self.source.position(span.start);
        ConfigError {
            path: self.path.to_path_buf(),
            message,
            line: Some(pos.line),
            column: Some(pos.column),
        }
    }

    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let message = format!("invalid TOML: {}", e.message().trim_end());
        match e.span() {
            Some(span) => self.error(span, message),
            None => ConfigError {
                path: self.path.to_path_buf(),
                message,
                line: None,
                column: None,
            },
        }
    }

    /// Validates one configuration table; `prefix` is how its keys are named in messages.
    fn config(&self, table: &DeTable<'_>, prefix: &str) -> Result<Config, ConfigError> {
        let root = self
            .path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .map(|dir| {
                std::fs::canonicalize(dir)
                    .or_else(|_| std::path::absolute(dir))
                    .unwrap_or_else(|_| dir.to_path_buf())
            });
        let mut config = Config {
            path: Some(self.path.to_path_buf()),
            root: root.clone(),
            ..Config::default()
        };
        for (key, value) in table.iter() {
            let name = format!("{prefix}{}", key.get_ref());
            match key.get_ref().as_ref() {
                "select" => config.select = Some(self.rule_ids(value, &name)?),
                "ignore" => config.ignore.extend(self.rule_ids(value, &name)?),
                "extend-select" => config.extend_select = self.rule_ids(value, &name)?,
                "extend-ignore" => config.ignore.extend(self.rule_ids(value, &name)?),
                "exclude" => {
                    for (glob, span) in self.strings(value, &name, "an array of glob patterns")? {
                        if let Err(e) = globset::Glob::new(&glob) {
                            return Err(self.error(
                                span,
                                format!("invalid glob `{glob}` in `{name}`: {}", e.kind()),
                            ));
                        }
                        config.exclude.push(anchor(&glob, root.as_deref()));
                    }
                }
                "severity" => {
                    let DeValue::Table(levels) = value.get_ref() else {
                        return Err(self.error(value.span(), format!("`{name}` must be a table of rule ids to \"error\", \"warning\", \"info\" or \"off\"")));
                    };
                    for (id, level) in levels.iter() {
                        let id_name = id.get_ref();
                        let Some(ids) = selection::expand_one(id_name) else {
                            return Err(self.error(id.span(), unknown_rule(id_name, &name)));
                        };
                        let severity = match level.get_ref() {
                            DeValue::String(s) if s == "error" => Some(Severity::Error),
                            DeValue::String(s) if s == "warning" => Some(Severity::Warning),
                            DeValue::String(s) if s == "info" => Some(Severity::Info),
                            DeValue::String(s) if s == "off" => None,
                            DeValue::String(s) => {
                                return Err(self.error(level.span(), format!("invalid severity `{s}` for `{id_name}` in `{name}` (expected one of: error, warning, info, off)")));
                            }
                            _ => {
                                return Err(self.error(level.span(), format!("`{name}.{id_name}` must be a string: \"error\", \"warning\", \"info\" or \"off\"")));
                            }
                        };
                        for id in ids {
                            match severity {
                                Some(severity) => {
                                    config.severity.insert(id.to_string(), severity);
                                }
                                // `off` disables the rule, as `ignore` does.
                                None => config.ignore.push(id.to_string()),
                            }
                        }
                    }
                }
                "blocking-apis" => config.blocking_apis = self.blocking_apis(value, &name)?,
                "blocking-path-metadata" => {
                    let DeValue::Boolean(b) = value.get_ref() else {
                        return Err(
                            self.error(value.span(), format!("`{name}` must be true or false"))
                        );
                    };
                    config.blocking_path_metadata = *b;
                }
                "blocking-in-tests" => {
                    let policy = match value.get_ref() {
                        DeValue::String(s) => {
                            crate::analysis::test_policy::BlockingInTests::parse(s)
                        }
                        _ => None,
                    };
                    config.blocking_in_tests = policy.ok_or_else(|| {
                        self.error(
                            value.span(),
                            format!("`{name}` must be \"concurrent\", \"always\" or \"never\""),
                        )
                    })?;
                }
                other => {
                    let hint = selection::did_you_mean(other, KEYS.iter().copied())
                        .map(|k| format!("did you mean `{k}`? "))
                        .unwrap_or_default();
                    return Err(self.error(
                        key.span(),
                        format!(
                            "unknown key `{other}` ({hint}expected one of: {})",
                            KEYS.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(config)
    }

    /// An array of strings, with each element's span.
    fn strings(
        &self,
        value: &Spanned<DeValue<'_>>,
        name: &str,
        what: &str,
    ) -> Result<Vec<(String, Range<usize>)>, ConfigError> {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.error(value.span(), format!("`{name}` must be {what}")));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item.get_ref() {
                DeValue::String(s) => Ok((s.to_string(), item.span())),
                _ => Err(self.error(item.span(), format!("`{name}[{i}]` must be a string"))),
            })
            .collect()
    }

    fn rule_ids(
        &self,
        value: &Spanned<DeValue<'_>>,
        name: &str,
    ) -> Result<Vec<String>, ConfigError> {
        let ids = self.strings(value, name, "an array of rule ids")?;
        let mut out: Vec<String> = Vec::new();
        for (id, span) in &ids {
            let Some(expanded) = selection::expand_one(id) else {
                return Err(self.error(span.clone(), unknown_rule(id, name)));
            };
            for id in expanded {
                if !out.iter().any(|o| o == id) {
                    out.push(id.to_string());
                }
            }
        }
        Ok(out)
    }

    fn blocking_apis(
        &self,
        value: &Spanned<DeValue<'_>>,
        name: &str,
    ) -> Result<Vec<BlockingApiEntry>, ConfigError> {
        let shape = "an array of tables like { path = \"mycrate::db::query_sync\", replacement = \"mycrate::db::query\" }";
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.error(value.span(), format!("`{name}` must be {shape}")));
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let entry = format!("{name}[{i}]");
            let DeValue::Table(table) = item.get_ref() else {
                return Err(self.error(
                    item.span(),
                    format!(
                        "`{entry}` must be a table like {{ path = \"mycrate::db::query_sync\" }}"
                    ),
                ));
            };
            let (mut path, mut replacement) = (None, None);
            for (key, v) in table.iter() {
                let slot = match key.get_ref().as_ref() {
                    "path" => &mut path,
                    "replacement" => &mut replacement,
                    other => {
                        return Err(self.error(key.span(), format!("unknown key `{other}` in `{entry}` (expected one of: path, replacement)")));
                    }
                };
                let DeValue::String(s) = v.get_ref() else {
                    return Err(self.error(
                        v.span(),
                        format!("`{entry}.{}` must be a string", key.get_ref()),
                    ));
                };
                let s = s.trim();
                if !is_rust_path(s) {
                    return Err(self.error(
                        v.span(),
                        format!("`{entry}.{}` is not a Rust path: `{s}`", key.get_ref()),
                    ));
                }
                *slot = Some(s.trim_start_matches("::").to_string());
            }
            let Some(path) = path else {
                return Err(self.error(item.span(), format!("`{entry}` is missing `path`")));
            };
            out.push(BlockingApiEntry { path, replacement });
        }
        Ok(out)
    }
}

/// "unknown rule `x` in `key`", with the closest valid name when one is close.
fn unknown_rule(id: &str, key: &str) -> String {
    selection::unknown_rule_message(id, &format!("`{key}`"))
}

/// `a::b::c` (optionally with a leading `::`): identifier segments joined by `::`.
fn is_rust_path(s: &str) -> bool {
    let s = s.strip_prefix("::").unwrap_or(s);
    !s.is_empty()
        && s.split("::").all(|seg| {
            let mut chars = seg.chars();
            chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && chars.all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// Anchors a path pattern (one with a `/`) at the configuration's directory; name patterns
/// and absolute patterns are returned as written.
fn anchor(glob: &str, root: Option<&Path>) -> String {
    let mut p = glob.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let is_name = !p.trim_end_matches('/').contains('/');
    match root {
        Some(root) if !is_name && !p.starts_with('/') => {
            let dir = globset::escape(&root.to_string_lossy());
            format!("{}/{p}", dir.trim_end_matches('/'))
        }
        _ => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        from_async_lint_toml(Path::new("/cfg/async-lint.toml"), text)
    }

    #[test]
    fn reads_every_key() {
        let c = parse(
            "select = [\"blocking-sleep\"]\nignore = [\"unused-suppression\"]\nexclude = [\"tests/**\", \"vendor\"]\n\
             severity = { \"blocking-sleep\" = \"error\" }\n\
             blocking-apis = [{ path = \"mycrate::db::query_sync\", replacement = \"mycrate::db::query\" }, { path = \"x::y\" }]\n",
        )
        .unwrap();
        assert_eq!(c.select, Some(vec!["blocking-sleep".to_string()]));
        assert_eq!(c.ignore, vec!["unused-suppression".to_string()]);
        assert_eq!(
            c.exclude,
            vec!["/cfg/tests/**".to_string(), "vendor".to_string()]
        );
        assert_eq!(c.severity.get("blocking-sleep"), Some(&Severity::Error));
        assert_eq!(
            c.blocking_apis,
            vec![
                BlockingApiEntry {
                    path: "mycrate::db::query_sync".into(),
                    replacement: Some("mycrate::db::query".into())
                },
                BlockingApiEntry {
                    path: "x::y".into(),
                    replacement: None
                },
            ]
        );
    }

    #[test]
    fn errors_name_the_key_and_position() {
        let e = parse("select = []\nselec = [\"blocking-sleep\"]\n").unwrap_err();
        assert_eq!(
            e.message,
            "unknown key `selec` (did you mean `select`? expected one of: select, ignore, extend-select, extend-ignore, exclude, severity, blocking-apis, blocking-in-tests, blocking-path-metadata)"
        );
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert_eq!(
            e.to_string(),
            format!("/cfg/async-lint.toml:2:1: {}", e.message)
        );

        let e = parse("ignore = [\"blocking-slep\"]").unwrap_err();
        assert!(
            e.message
                .contains("unknown rule `blocking-slep` in `ignore`"),
            "{e}"
        );
        let e = parse("select = \"blocking-sleep\"").unwrap_err();
        assert_eq!(e.message, "`select` must be an array of rule ids");
        let e = parse("select = [1]").unwrap_err();
        assert_eq!(e.message, "`select[0]` must be a string");
        let e = parse("severity = { blocking-sleep = \"fatal\" }").unwrap_err();
        assert!(
            e.message
                .contains("invalid severity `fatal` for `blocking-sleep`"),
            "{e}"
        );
        let e = parse("severity = { nope = \"error\" }").unwrap_err();
        assert!(
            e.message.contains("unknown rule `nope` in `severity`"),
            "{e}"
        );
        let e = parse("exclude = [\"a/[\"]").unwrap_err();
        assert!(e.message.contains("invalid glob `a/[` in `exclude`"), "{e}");
        let e = parse("blocking-apis = [{ replacement = \"a::b\" }]").unwrap_err();
        assert_eq!(e.message, "`blocking-apis[0]` is missing `path`");
        let e = parse("blocking-apis = [{ path = \"a::b\", with = \"x\" }]").unwrap_err();
        assert!(
            e.message
                .starts_with("unknown key `with` in `blocking-apis[0]`"),
            "{e}"
        );
        let e = parse("blocking-apis = [{ path = \"not a path\" }]").unwrap_err();
        assert!(e.message.contains("is not a Rust path"), "{e}");
    }

    #[test]
    fn toml_syntax_errors_have_a_line() {
        let e = parse("select = [\"blocking-sleep\"]\nignore = [\n").unwrap_err();
        assert!(e.message.starts_with("invalid TOML"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = parse("select = []\nselect = []\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn cargo_metadata_tables() {
        let p = Path::new("/ws/Cargo.toml");
        assert!(
            from_cargo_toml(p, "[package]\nname = \"x\"\n")
                .unwrap()
                .is_none()
        );
        let c = from_cargo_toml(
            p,
            "[workspace.metadata.async-lint]\nignore = [\"blocking-sleep\"]\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.ignore, vec!["blocking-sleep".to_string()]);
        let e = from_cargo_toml(p, "[package.metadata.async-lint]\nselec = []\n").unwrap_err();
        assert!(e.message.starts_with("unknown key `selec`"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = from_cargo_toml(p, "[package.metadata]\nasync-lint = 3\n").unwrap_err();
        assert_eq!(e.message, "`package.metadata.async-lint` must be a table");
    }

    #[test]
    fn anchoring() {
        assert_eq!(
            anchor("./src/**", Some(Path::new("/a [b]"))),
            "/a [[]b[]]/src/**"
        );
        assert_eq!(anchor("vendor/", Some(Path::new("/a"))), "vendor/");
        assert_eq!(anchor("/abs/*.rs", Some(Path::new("/a"))), "/abs/*.rs");
    }
}
