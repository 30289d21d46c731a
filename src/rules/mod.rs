//! The rule registry: every rule is a `static Rule` declared with [`declare_rule!`] in its own
//! module, and [`ALL`] is the only list of them.

use crate::analysis::context::Scope;
use crate::analysis::index::CrateIndex;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::{FileCx, Sink};

pub mod block_on_in_async;
pub mod blocking_call;
pub mod blocking_fs;
pub mod blocking_sleep;
pub mod busy_wait;
pub mod cancel_unsafe_select;
pub mod client_per_request;
pub mod detached_task_error;
pub mod lock_across_await;
pub mod swallowed_cancellation;
pub mod unawaited_future;
pub mod unused_suppression;

/// The pitfall family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Blocking calls in async contexts.
    Blocking,
    /// Futures created and never polled.
    Unawaited,
    /// Synchronous lock guards held across `.await`.
    Lock,
    /// Cancellation and task failures thrown away.
    Cancellation,
    /// The linter's own bookkeeping (unused suppressions).
    Meta,
}

/// Whether a rule offers fixes; enforced by the fixture harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    /// The rule never attaches a fix.
    Never,
    /// Some diagnostics carry a fix.
    Sometimes,
    /// Every diagnostic carries a fix.
    Always,
}

/// Called for every expression the engine walks (including those inside parsed macro bodies).
pub type ExprHook = fn(&FileCx<'_>, &Scope, &syn::Expr, &mut Sink<'_>);
/// Called for every block the engine walks.
pub type BlockHook = fn(&FileCx<'_>, &Scope, &syn::Block, &mut Sink<'_>);
/// Called once per file, before the walk, for rules that do their own traversal.
pub type FileHook = fn(&FileCx<'_>, &mut Sink<'_>);
/// Called once per run after every file is done, with the crate-wide index of per-file facts.
pub type ResolveHook = fn(&CrateIndex, &mut Vec<Diagnostic>);

/// Where a rule plugs into the engine. Unused hooks are `None`.
#[derive(Clone, Copy)]
pub struct Hooks {
    /// Per-expression check.
    pub expr: Option<ExprHook>,
    /// Per-block check.
    pub block: Option<BlockHook>,
    /// Whole-file check.
    pub file: Option<FileHook>,
    /// Cross-file check over the crate index.
    pub resolve: Option<ResolveHook>,
}

impl Hooks {
    /// No hooks at all (use with struct update syntax).
    pub const NONE: Hooks = Hooks {
        expr: None,
        block: None,
        file: None,
        resolve: None,
    };
}

/// A rule: its metadata, its documentation and its checks.
pub struct Rule {
    /// Kebab-case id, used in the CLI, JSON, suppressions, `rules/<id>.md` and `fixtures/<id>/`.
    pub id: &'static str,
    /// Pitfall family.
    pub family: Family,
    /// Default severity.
    pub severity: Severity,
    /// One line; equals the first paragraph of `rules/<id>.md`.
    pub summary: &'static str,
    /// Whether fixes are offered.
    pub fix: FixAvailability,
    /// Whether the rule runs when nothing is selected explicitly.
    pub default_enabled: bool,
    /// The embedded `rules/<id>.md`.
    pub docs: &'static str,
    /// Where the rule plugs into the engine.
    pub hooks: Hooks,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

/// Declares a rule `static` whose docs are `rules/<id>.md`, embedded and collected as doctests.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[$meta:meta])*
        pub static $name:ident = Rule {
            id: $id:literal,
            family: $family:expr,
            severity: $severity:expr,
            summary: $summary:literal,
            fix: $fix:expr,
            $(default_enabled: $enabled:expr,)?
            hooks: $hooks:expr $(,)?
        }
    ) => {
        $(#[$meta])*
        pub static $name: $crate::rules::Rule = $crate::rules::Rule {
            id: $id,
            family: $family,
            severity: $severity,
            summary: $summary,
            fix: $fix,
            default_enabled: true $(&& $enabled)?,
            docs: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md")),
            hooks: $hooks,
        };

        /// The rule's documentation, collected by rustdoc so its examples run as doctests.
        #[cfg(doctest)]
        #[doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md"))]
        pub struct RuleDocs;
    };
}

/// Every rule, in documentation order.
pub static ALL: &[&Rule] = &[
    &blocking_sleep::BLOCKING_SLEEP,
    &blocking_fs::BLOCKING_FS,
    &blocking_call::BLOCKING_CALL,
    &block_on_in_async::BLOCK_ON_IN_ASYNC,
    &unawaited_future::UNAWAITED_FUTURE,
    &lock_across_await::LOCK_ACROSS_AWAIT,
    &swallowed_cancellation::SWALLOWED_CANCELLATION,
    &detached_task_error::DETACHED_TASK_ERROR,
    &busy_wait::BUSY_WAIT,
    &cancel_unsafe_select::CANCEL_UNSAFE_SELECT,
    &client_per_request::CLIENT_PER_REQUEST,
    &unused_suppression::UNUSED_SUPPRESSION,
];

/// Looks a rule up by id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}

/// Serde for a `&'static Rule` field, as its id (cached outcomes): an id that is no longer a
/// rule fails to decode, so the cache entry is ignored and the file re-linted.
pub mod serde_rule {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Rule;

    /// Writes the rule's id.
    pub fn serialize<S: Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(rule.id)
    }

    /// Reads an id back into the rule.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static Rule, D::Error> {
        let id = String::deserialize(d)?;
        super::by_id(&id).ok_or_else(|| serde::de::Error::custom(format!("unknown rule {id}")))
    }
}
