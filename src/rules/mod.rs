//! The rule registry: every rule is a `static Rule` declared with [`declare_rule!`](crate::declare_rule) in its own
//! module, and [`ALL`] is the only list of them.

pub use crate::analysis::rule::{
    BlockHook, ExprHook, FileHook, Hooks, ResolveHook, Rule, StmtHook,
};
pub use crate::diagnostic::{Family, FixAvailability, RuleMeta};

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
            meta: $crate::rules::RuleMeta {
                id: $id,
                family: $family,
                severity: $severity,
                summary: $summary,
                fix: $fix,
                default_enabled: true $(&& $enabled)?,
                docs: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md")),
            },
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

/// The rules `settings` enables (their hooks), in the order of [`ALL`].
pub fn enabled(settings: &crate::analysis::Settings) -> Vec<&'static Rule> {
    ALL.iter()
        .copied()
        .filter(|r| settings.rules.iter().any(|m| m.id == r.id))
        .collect()
}

/// Every rule's metadata, in the order of [`ALL`]: the registry as the layers below the rules
/// see it.
pub fn metas() -> &'static [&'static RuleMeta] {
    static METAS: std::sync::OnceLock<Vec<&'static RuleMeta>> = std::sync::OnceLock::new();
    METAS.get_or_init(|| ALL.iter().map(|r| &r.meta).collect())
}

/// What suppression comments can name: every rule, and `unused-suppression` for the findings
/// about suppressions themselves.
pub fn suppressible() -> crate::suppress::Known {
    crate::suppress::Known {
        rules: metas(),
        unused: &unused_suppression::UNUSED_SUPPRESSION.meta,
    }
}

/// A rule reference in cached outcomes decodes from its id through the registry: an id that
/// is no longer a rule fails to decode, so the cache entry is ignored and the file re-linted.
/// (It lives here, beside [`ALL`], because [`RuleMeta`] is declared below the rules.)
impl<'de> serde::Deserialize<'de> for &'static RuleMeta {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = <String as serde::Deserialize>::deserialize(d)?;
        by_id(&id)
            .map(|r| &r.meta)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule {id}")))
    }
}
