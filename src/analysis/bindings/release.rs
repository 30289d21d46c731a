//! Early release points: a named value that crossed an `.await` and is not mentioned from that
//! statement on could be released before it.

use quote::ToTokens;
use syn::{Block, Stmt};

use super::patterns::captures_or_mentions;
use super::{Hold, Release, Tracker};
use crate::analysis::bindings::Interp;

impl<T: Tracker> Interp<'_, '_, T> {
    /// For named values owned by the block `id` that crossed an `.await` and are not mentioned
    /// from the statement of the first `.await` on: where they can be released.
    pub(super) fn releases(&mut self, id: usize, b: &Block) {
        for i in 0..self.slots.len() {
            let g = &self.slots[i];
            if g.owner != id
                || g.t.crossed.is_empty()
                || g.t.hold != Hold::Named
                || g.t.ever_shadowed
            {
                continue;
            }
            let (Some(name), Some(first)) = (g.t.name.as_deref(), g.first_await_stmt) else {
                continue;
            };
            if name.starts_with('_') {
                continue;
            }
            let Some(rest) = b.stmts.get(first..) else {
                continue;
            };
            // A name absent from the text of the statements cannot be mentioned by them.
            let Some(from) = rest
                .first()
                .map(|s| crate::span::stmt_start(s) + self.cx.base)
            else {
                continue;
            };
            let close = self.cx.span_range(b.brace_token.span.close());
            if self.cx.text(from..close.start).contains(name)
                && rest
                    .iter()
                    .any(|s| captures_or_mentions(&s.to_token_stream(), name))
            {
                continue;
            }
            let at = from;
            // A block can hold the value when no `let` between its and the `.await`'s statements
            // would go out of scope.
            let scope_from = g
                .let_stmt
                .filter(|&ls| {
                    ls < first
                        && b.stmts.get(ls + 1..first).is_some_and(|mid| {
                            mid.iter()
                                .all(|s| matches!(s, Stmt::Expr(..) | Stmt::Macro(_)))
                        })
                })
                .and_then(|ls| b.stmts.get(ls))
                .map(|s| self.cx.range(s).start);
            self.slots[i].t.release = Some(Release { at, scope_from });
        }
    }
}
