//! `block-on-in-async`: blocking on a future (`block_on`) or building a runtime inside an async
//! context, and crate-local sync helpers that do so (reported at the async call site).

use syn::Expr;

use crate::analysis::blocking::{self, Effect, Hit, Site};
use crate::analysis::context::{AsyncCtx, AsyncKind, Scope};
use crate::analysis::index::CrateIndex;
use crate::analysis::transitive;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::lint::{FileCx, Sink};
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
            (
                format!("`.await` the future directly: `{}`", blocking::short_text(&awaited)),
                Fix::unsafe_("await the future instead of blocking on it", vec![Edit::replace(range.clone(), awaited)]),
            )
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
