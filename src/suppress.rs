//! Inline suppressions: `// async-lint: allow(rule-id, ..)` at the end of a line or alone on the
//! line above, and `// async-lint: allow-file(rule-id)` anywhere. A suppression that suppresses
//! nothing is itself reported as `unused-suppression`.

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::source::SourceText;

/// The suppression comments of one file.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {}

impl Suppressions {
    /// Whether the file has no suppression comments.
    pub fn is_empty(&self) -> bool {
        true
    }
}

/// Collects suppression comments from `comments` (byte ranges of every comment in `src`).
pub fn parse(src: &SourceText, comments: &[Range<usize>]) -> Suppressions {
    let _ = (src, comments);
    Suppressions::default()
}

/// Drops suppressed diagnostics of one file and adds an `unused-suppression` diagnostic for
/// each suppression that matched nothing (only for rules that ran: `enabled`).
pub fn apply(
    src: &SourceText,
    sup: &Suppressions,
    diagnostics: Vec<Diagnostic>,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<Diagnostic> {
    let _ = (src, sup, enabled);
    diagnostics
}
