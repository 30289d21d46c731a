//! Constant tables shared by the engine: calls whose closure argument runs off the async
//! executor (offloaders), and helpers to read call paths.

use syn::{Expr, ExprCall};

/// Last path segments of functions/methods that run a *sync closure* argument on another thread
/// (`spawn_blocking`, `block_in_place`, `std::thread::spawn`, `thread::Builder::spawn`,
/// `rayon::spawn`, `smol::unblock`, `blocking::unblock`, `async_std::task::spawn_blocking`).
/// A sync closure given to any of these is not an async context.
pub const OFFLOADER_NAMES: &[&str] = &[
    "spawn_blocking",
    "block_in_place",
    "unblock",
    "spawn",
    "spawn_fifo",
    "spawn_local_blocking",
];

/// Future combinators and constructors that run their sync closure inline, on the executor
/// thread, even though their result is awaited (`fut.map(|x| ..).await`, `poll_fn(|cx| ..)`).
pub const INLINE_COMBINATORS: &[&str] = &[
    "map",
    "map_ok",
    "map_err",
    "map_into",
    "then",
    "and_then",
    "or_else",
    "inspect",
    "inspect_ok",
    "inspect_err",
    "unwrap_or_else",
    "lazy",
    "poll_fn",
    "poll_immediate",
    "from_fn",
    "for_each",
    "try_for_each",
    "for_each_concurrent",
    "try_for_each_concurrent",
    "filter",
    "filter_map",
    "fold",
    "try_fold",
    "any",
    "all",
    "scan",
    "take_while",
    "skip_while",
    "flat_map",
    "try_filter",
    "try_filter_map",
    "ready",
    "unfold",
    "try_unfold",
    "repeat_with",
    "with",
    "retain",
    "retain_mut",
    "find",
    "find_map",
    "position",
    "map_or",
    "map_or_else",
    "ok_or_else",
    "is_some_and",
    "is_ok_and",
    "is_none_or",
    "or_insert_with",
    "or_insert_with_key",
    "get_or_insert_with",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "dedup_by_key",
    "binary_search_by",
    "max_by_key",
    "min_by_key",
    "max_by",
    "min_by",
    "partition",
];

/// Whether `name` is a combinator that runs its closure inline (see [`INLINE_COMBINATORS`]).
pub fn is_inline_combinator(name: &syn::Ident) -> bool {
    // Asked of every method call several times: one hash lookup, not ~50 comparisons.
    static NAMES: std::sync::LazyLock<rustc_hash::FxHashSet<&'static str>> =
        std::sync::LazyLock::new(|| INLINE_COMBINATORS.iter().copied().collect());
    crate::semantic::names::with_ident(name, |n| NAMES.contains(n))
}

/// Whether a resolved path starting with `root` is in the standard library (`std`, `core`,
/// `alloc`): it never resolves to a crate-local fn, and creates no future the catalogs do not
/// list.
pub fn is_std_root(root: &str) -> bool {
    matches!(root, "std" | "core" | "alloc")
}

/// The last segment of a call's function path (`a::b::c(..)` -> `c`), if it is a path.
pub fn call_last_segment(call: &ExprCall) -> Option<&syn::Ident> {
    match &*call.func {
        Expr::Path(p) => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}

/// The function path of a call, if it is a plain path (`a::b::c(..)`).
pub fn call_path(call: &ExprCall) -> Option<&syn::Path> {
    match &*call.func {
        Expr::Path(p) if p.qself.is_none() => Some(&p.path),
        _ => None,
    }
}

/// `e` without parentheses, `?`, `.unwrap()` and `.expect(..)` around it.
pub fn peel_unwraps(e: &Expr) -> &Expr {
    match peel(e) {
        Expr::Try(t) => peel_unwraps(&t.expr),
        Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
            peel_unwraps(&m.receiver)
        }
        other => other,
    }
}

/// `e` without parentheses, `.await`, `?`, `.unwrap()` and `.expect(..)` around it: the value an
/// awaited, unwrapped call produces.
pub fn peel_results(e: &Expr) -> &Expr {
    match peel(e) {
        Expr::Await(a) => peel_results(&a.base),
        Expr::Try(t) => peel_results(&t.expr),
        Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
            peel_results(&m.receiver)
        }
        other => other,
    }
}

/// Whether `e` is a plain path naming the local `name` (`rt`, not `self.rt` or `Self::rt`).
pub fn is_local<I: ?Sized>(e: &Expr, name: &I) -> bool
where
    syn::Ident: PartialEq<I>,
{
    matches!(peel(e), Expr::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// Strips parentheses, groups and references around an expression.
pub fn peel(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Paren(p) => e = &p.expr,
            Expr::Group(g) => e = &g.expr,
            _ => return e,
        }
    }
}

/// The last `::` segment of a path written as text (`tokio::fs::read` gives `read`).
pub fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}
