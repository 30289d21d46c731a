//! `block-on-in-async`: blocking on a future (`block_on`) or building a runtime inside an async
//! context, and crate-local sync helpers that do so (reported at the async call site).

use quote::ToTokens;
use syn::Expr;

use crate::analysis::retype;

use crate::analysis::blocking::{self, Effect, Hit, Site};
use crate::analysis::context::{AsyncCtx, AsyncKind, Scope};
use crate::analysis::index::CrateIndex;
use crate::analysis::transitive;
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// `block_on` inside a runtime panics (tokio) or blocks the thread the future needs.
    pub static BLOCK_ON_IN_ASYNC = Rule {
        id: "block-on-in-async",
        family: Family::Blocking,
        severity: Severity::Error,
        summary: "`block_on` or a new runtime inside an async context panics or deadlocks",
        fix: FixAvailability::Always,
        hooks: Hooks { expr: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

const TOKIO_PANIC: &str = "\"Cannot start a runtime from within a runtime\"";

fn message(hit: &Hit<'_, '_>, effect: Effect, owner: &AsyncCtx) -> String {
    let (api, owner) = (&hit.api, owner.describe());
    match effect {
        Effect::Panic => format!("`{api}` in {owner} panics at runtime: {TOKIO_PANIC}"),
        Effect::Deadlock => format!(
            "`{api}` in {owner} blocks the executor thread and deadlocks when the future needs that thread (always on a current-thread runtime)"
        ),
        Effect::Blocks => format!(
            "`{api}` in {owner} blocks the executor thread until the future completes: its other tasks stall"
        ),
        Effect::NestedRuntime => {
            format!(
                "`{api}` builds a runtime inside {owner}: blocking on it panics ({TOKIO_PANIC}) and so does dropping it here"
            )
        }
    }
}

/// Whether the async context is an `async` block passed straight to a `block_on(..)` call.
fn is_block_on_body(cx: &FileCx<'_>, owner: &AsyncCtx) -> bool {
    owner.kind == AsyncKind::Block
        && cx
            .text(0..owner.range.start)
            .trim_end()
            .ends_with("block_on(")
}

/// Whether `e` can take `.await` without parentheses.
fn is_postfix(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Path(_)
            | Expr::Call(_)
            | Expr::MethodCall(_)
            | Expr::Async(_)
            | Expr::Paren(_)
            | Expr::Field(_)
            | Expr::Macro(_)
            | Expr::Await(_)
            | Expr::Index(_)
            | Expr::Try(_)
            | Expr::Block(_)
    )
}

/// What blocking on a local binding means for the fix.
enum LocalRuntime {
    /// The receiver is not a local binding built here (a constructor chain, a field, a
    /// parameter, a handle): replacing the call is the whole fix.
    NotLocal,
    /// `let rt = <runtime constructor>;` earlier in the block, used only here: the statement's
    /// range (with its line), removed with the call.
    OnlyHere(std::ops::Range<usize>),
    /// A local runtime the fix cannot remove, and why.
    Other(&'static str),
}

/// Whether `recv.block_on(f)` blocks on a runtime bound earlier in the same block and used
/// nowhere else.
fn local_runtime(
    cx: &FileCx<'_>,
    hit: &Hit<'_, '_>,
    range: std::ops::Range<usize>,
) -> LocalRuntime {
    let Site::Method(m) = hit.site else {
        return LocalRuntime::NotLocal;
    };
    let Expr::Path(p) = crate::analysis::paths::peel(&m.receiver) else {
        return LocalRuntime::NotLocal;
    };
    let Some(name) = p.path.get_ident().map(ToString::to_string) else {
        return LocalRuntime::NotLocal;
    };
    if cx.local(&name).is_none() {
        return LocalRuntime::NotLocal;
    }
    let Some(blocks) = retype::enclosing_stmts(cx, range) else {
        return LocalRuntime::Other("the runtime's binding cannot be followed here");
    };
    // The innermost `let name` before the call, from the call's block outward.
    let Some((block, def)) = blocks.iter().rev().find_map(|&(block, at)| {
        let def = block.stmts[..at].iter().rposition(|s| match s {
            syn::Stmt::Local(l) => binding_name(&l.pat).is_some_and(|n| n == name),
            _ => false,
        })?;
        Some((block, def))
    }) else {
        // A parameter or a binding of a pattern: not built here.
        return LocalRuntime::NotLocal;
    };
    let syn::Stmt::Local(l) = &block.stmts[def] else {
        return LocalRuntime::NotLocal;
    };
    let Some(init) = &l.init else {
        return LocalRuntime::Other("the runtime is assigned later");
    };
    let built = blocking::classify_all(cx, peel_unwrap(&init.expr))
        .iter()
        .any(|h| {
            h.api_entry()
                .is_some_and(|a| a.effect == Some(Effect::NestedRuntime))
        });
    if !built {
        return LocalRuntime::NotLocal;
    }
    let uses: usize = block.stmts[def + 1..]
        .iter()
        .map(|s| retype::count_ident(s.to_token_stream(), &name))
        .sum();
    if uses != 1 || init.diverge.is_some() {
        return LocalRuntime::Other("the runtime is used again");
    }
    LocalRuntime::OnlyHere(statement_lines(cx, cx.range(&block.stmts[def])))
}

/// The name a `let` pattern binds when it is one name (`rt`, `mut rt`, `rt: Runtime`).
fn binding_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.to_string()),
        syn::Pat::Type(t) => binding_name(&t.pat),
        _ => None,
    }
}

/// `e` without `?`, `.unwrap()`, `.expect(..)`.
fn peel_unwrap(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Try(t) => e = &t.expr,
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => e = &m.receiver,
            _ => return e,
        }
    }
}

/// A statement's range widened to its whole lines when nothing else shares them.
fn statement_lines(cx: &FileCx<'_>, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let text = cx.source.text();
    let (Some(before), Some(after)) = (text.get(..r.start), text.get(r.end..)) else {
        return r;
    };
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let end = after.find('\n').map_or(text.len(), |i| r.end + i + 1);
    let rest = text.get(r.end..end).unwrap_or("x").trim();
    // A trailing comment goes with the statement.
    if before[start..].trim().is_empty() && (rest.is_empty() || rest.starts_with("//")) {
        start..end
    } else {
        r
    }
}

fn check(cx: &FileCx<'_>, scope: &Scope, e: &Expr, sink: &mut Sink<'_>) {
    if !matches!(e, Expr::Call(_) | Expr::MethodCall(_)) {
        return;
    }
    let Some(owner) = &scope.async_ctx else {
        return;
    };
    for hit in blocking::classify_all(cx, e) {
        report(cx, scope, owner, e, &hit, sink);
    }
}

fn report(
    cx: &FileCx<'_>,
    scope: &Scope,
    owner: &AsyncCtx,
    e: &Expr,
    hit: &Hit<'_, '_>,
    sink: &mut Sink<'_>,
) {
    let Some(api) = hit.api_entry().filter(|_| hit.rule == BLOCK_ON_IN_ASYNC.id) else {
        return;
    };
    let effect = api.effect.unwrap_or(Effect::Deadlock);
    if effect == Effect::NestedRuntime && blocking::runtime_moved_off(cx, e) {
        // Built here, but blocked on and dropped in the thread it moves into.
        return;
    }
    if effect == Effect::Blocks && is_block_on_body(cx, owner) {
        // async-std supports nesting: inside `block_on(async { .. })` the thread drives only
        // that future, so blocking it again stalls nothing else.
        return;
    }
    let range = cx.range(e);
    let future = match hit.site {
        Site::Call(c) if c.args.len() == 1 => c.args.first(),
        Site::Method(m) if m.args.len() == 1 => m.args.first(),
        _ => None,
    };
    let (help, fix) = match (effect, future) {
        (Effect::NestedRuntime, _) | (_, None) => (
            "drop the nested runtime: `.await` the futures (or `tokio::spawn` them) on the runtime this code already runs on".to_string(),
            Fix::manual("remove the nested runtime and await the futures directly", Vec::new()),
        ),
        (_, Some(f)) if !scope.can_await() => (
            format!("move the work out of the sync closure and `.await` the future: `{}.await`", blocking::short_text(cx.text(cx.range(f)))),
            Fix::manual("move the call out of the sync closure and await the future", Vec::new()),
        ),
        (_, Some(f)) => {
            let text = cx.text(cx.range(f));
            let awaited = if is_postfix(f) { format!("{text}.await") } else { format!("({text}).await") };
            let help = format!("`.await` the future directly: `{}`", blocking::short_text(&awaited));
            let edit = Edit::replace(range.clone(), awaited);
            match local_runtime(cx, hit, range.clone()) {
                LocalRuntime::NotLocal => (
                    help,
                    Fix::unsafe_("await the future instead of blocking on it", vec![edit]),
                ),
                LocalRuntime::OnlyHere(stmt) => (
                    format!("{help}, and drop the runtime built only for it"),
                    Fix::unsafe_(
                        "await the future and remove the runtime built only to block on it",
                        vec![Edit::replace(stmt, ""), edit],
                    ),
                ),
                LocalRuntime::Other(why) => (
                    format!("{help}; {why}, so remove the runtime by hand"),
                    Fix::manual("await the future and remove the nested runtime by hand", Vec::new()),
                ),
            }
        }
    };
    blocking::report_hit(
        sink,
        hit,
        &BLOCK_ON_IN_ASYNC,
        range,
        message(hit, effect, owner),
    )
    .label(owner.range.clone(), "async context starts here")
    .help(help)
    .fix(fix);
}

fn advice(name: &str) -> (String, Fix) {
    (
        format!("make `{name}` async and `.await` the future instead of blocking on it"),
        Fix::manual("make the helper async and await it", Vec::new()),
    )
}

fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    transitive::resolve(index, &BLOCK_ON_IN_ASYNC, advice, out);
}
