//! The run-wide settings every file's analysis reads ([`Settings`]): which rules are enabled,
//! the user's blocking APIs, and the runtime fixes target ([`Runtime`]). Plain data: the rules'
//! hooks stay with the driver, so this layer names no rule.

use crate::diagnostic::RuleMeta;

/// A user-declared blocking API (`blocking-apis = [{ path = "..", replacement = ".." }]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingApiEntry {
    /// Canonical path of the blocking function, e.g. `mycrate::db::query_sync`.
    pub path: String,
    /// The async replacement to suggest, if any.
    pub replacement: Option<String>,
}

/// Which async runtime a fix should target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// tokio (the default).
    Tokio,
    /// async-std.
    AsyncStd,
    /// smol.
    Smol,
}

/// Run-wide settings every file's lint needs.
#[derive(Debug, Default)]
pub struct Settings {
    /// Enabled rules, by their metadata (the driver maps them to the rules' hooks).
    pub rules: Vec<&'static RuleMeta>,
    /// User-declared blocking APIs from the config.
    pub blocking_apis: Vec<BlockingApiEntry>,
    /// Whether to collect cross-file facts (some enabled rule has a resolve hook).
    pub collect_facts: bool,
    /// Whether `Path::exists`, `is_file`, `metadata` and the like are blocking-fs
    /// (`blocking-path-metadata` in the config).
    pub path_metadata: bool,
}

impl Settings {
    /// Everything in these settings that changes a file's outcome, as text for the cache's
    /// fingerprint. (Destructured in full: a new setting does not compile until it is added.)
    pub fn cache_key(&self) -> String {
        let Settings {
            rules,
            blocking_apis,
            collect_facts,
            path_metadata,
        } = self;
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        format!("{ids:?}\n{blocking_apis:?}\n{collect_facts}\n{path_metadata}\n")
    }
}
