//! `busy-wait` without an `.await`: a loop whose body does nothing but spin on the state it
//! polls, and the draining loops that take from that state each turn (not reported).

use syn::Expr;

use super::{block_ends_in_exit, ends_in_exit, first_method_call};
use crate::analysis::FileCx;
use crate::analysis::imports::path_is;
use crate::analysis::paths;

/// Spin-loop hints: a loop body of nothing else, with no `.await`, spins the executor thread.
const SPIN_HINTS: &[&str] = &[
    "std::hint::spin_loop",
    "core::hint::spin_loop",
    "std::thread::yield_now",
    "std::sync::atomic::spin_loop_hint",
    "core::sync::atomic::spin_loop_hint",
];

/// Whether a loop body only spins: besides the exits that poll the state, nothing but spin
/// hints (`std::hint::spin_loop()`) or nothing at all.
pub(super) fn only_spins(cx: &FileCx<'_>, body: &syn::Block) -> bool {
    body.stmts.iter().all(|stmt| match stmt {
        syn::Stmt::Expr(e, _) => match paths::peel(e) {
            // `if state.load() { break; }`: an exit, with nothing else in it.
            Expr::If(i) => {
                i.else_branch.is_none()
                    && i.then_branch.stmts.len() == 1
                    && block_ends_in_exit(&i.then_branch)
            }
            // `match rx.try_recv() { Ok(v) => return v, Err(_) => {} }`.
            Expr::Match(m) => m
                .arms
                .iter()
                .all(|a| ends_in_exit(&a.body) || spins(cx, &a.body)),
            other => spins(cx, other),
        },
        _ => false,
    })
}

/// Methods that take from the state they poll (one message, one item).
const TAKES: &[&str] = &[
    "try_recv",
    "pop",
    "pop_front",
    "pop_back",
    "take",
    "drain",
    "next",
    "recv",
];

/// Whether `e` calls a method that takes from the state it polls (closures, async blocks and
/// items aside; a spinning loop has no `.await`).
pub(super) fn takes_from_state(e: &Expr) -> bool {
    first_method_call(e, TAKES).is_some()
}

/// Whether the loop's only exits are the `Ok(..)` / `Some(..)` arms of a `match` on what it
/// took: it waits for an item (`match rx.try_recv() { Ok(v) => return v, Err(_) => {} }`)
/// rather than draining until none is left.
pub(super) fn exits_on_taken(body: &syn::Block) -> bool {
    let ok_or_some = |p: &syn::Pat| match p {
        syn::Pat::TupleStruct(ts) => ts
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Ok" || s.ident == "Some"),
        _ => false,
    };
    body.stmts.iter().any(|stmt| {
        matches!(stmt, syn::Stmt::Expr(Expr::Match(m), _)
            if m.arms.iter().all(|a| ends_in_exit(&a.body) == ok_or_some(&a.pat)))
    })
}

/// Whether `e` does nothing but spin: a spin hint, `{}`, `()`.
fn spins(cx: &FileCx<'_>, e: &Expr) -> bool {
    match paths::peel(e) {
        Expr::Call(c) => paths::call_path(c)
            .is_some_and(|p| SPIN_HINTS.iter().any(|h| path_is(&cx.resolve(p), h))),
        Expr::Block(b) => b.block.stmts.iter().all(|s| match s {
            syn::Stmt::Expr(e, _) => spins(cx, e),
            _ => false,
        }),
        Expr::Tuple(t) => t.elems.is_empty(),
        _ => false,
    }
}
