//! `unused-suppression`: an `// async-lint: allow(..)` comment that suppresses nothing.
//! Its diagnostics are produced by [`crate::suppress::apply`], not by a hook.

use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// A suppression comment that matched no diagnostic: stale noise that hides future findings.
    pub static UNUSED_SUPPRESSION = Rule {
        id: "unused-suppression",
        family: Family::Meta,
        severity: Severity::Warning,
        summary: "a suppression comment that suppresses nothing",
        fix: FixAvailability::Always,
        hooks: Hooks::NONE,
    }
}
