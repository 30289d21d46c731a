//! `unawaited-future`: a call that creates a future whose future is dropped without being polled.
//!
//! Two phases. Phase 1 (the `block` hook, per file) records every call whose value is thrown away
//! (`call;`, `let _ = call;`, `let x = call;` with `x` never mentioned again, `drop(call)`) as a
//! [`DiscardedCall`] fact. What the file alone proves is settled there, through the receiver's
//! type ([`typing::method_kind`]): a catalogued async method of a library type is a future, any
//! other method of a known library type is not (and is not recorded), and a call of a value
//! declared to return a future is one. Phase 2 (the `resolve` hook) sees every file's facts at
//! once and judges the rest: path calls through the semantic model's name resolution (crate-local
//! `async fn`s, fns returning futures, catalogued library functions), `self.m()` and methods of
//! receivers with a declared crate-local type through their impls, catalogued constructor chains,
//! and, on receivers of unknown type, the method names only async APIs use.

use quote::ToTokens;
use syn::Expr;

use crate::analysis::async_apis;
use crate::analysis::async_catalog::{self, Catalog};
use crate::analysis::bindings::uses;
use crate::analysis::context::Scope;
use crate::analysis::facts::{Callee, DiscardKind, DiscardedCall};
use crate::analysis::imports::{CanonPath, display, path_is};
use crate::analysis::paths::{self, peel};
use crate::analysis::syms;
use crate::analysis::typing::{self, MethodKind};
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::{Edit, Fix, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

mod judge;

use judge::resolve;

declare_rule! {
    /// A future is inert until polled: creating one and dropping it runs none of its body.
    pub static UNAWAITED_FUTURE = Rule {
        id: "unawaited-future",
        family: Family::Unawaited,
        severity: Severity::Warning,
        summary: "a future is created and dropped without being awaited, so its body never runs",
        fix: FixAvailability::Always,
        hooks: Hooks { stmt: Some(collect), resolve: Some(resolve), ..Hooks::NONE },
    }
}

fn message(call: &DiscardedCall) -> String {
    let d = &call.display;
    match &call.kind {
        DiscardKind::ExprStmt => {
            format!("the future returned by `{d}` is dropped without being awaited")
        }
        DiscardKind::LetUnderscore => format!("`let _ = {d}` drops the future without awaiting it"),
        DiscardKind::UnusedBinding { name } => {
            format!("the future returned by `{d}` is bound to `{name}` but never awaited")
        }
        DiscardKind::Dropped => format!("`drop({d})` drops the future without awaiting it"),
        DiscardKind::DroppedBinding { name, .. } => {
            format!(
                "the future returned by `{d}` is bound to `{name}` and dropped without being awaited"
            )
        }
    }
}

fn help(call: &DiscardedCall, why: &str) -> String {
    if let (true, Some(name)) = (call.can_await, &call.held_across_await) {
        format!(
            "{why}, and a future does nothing until it is polled: write `{}.await` once `{name}` is released ({})",
            call.display,
            crate::analysis::sink::held_help(name)
        )
    } else if call.can_await {
        format!(
            "{why}, and a future does nothing until it is polled: write `{}.await`, or spawn it and keep the `JoinHandle`",
            call.display
        )
    } else {
        format!(
            "{why}, and a future does nothing until it is polled: spawn it on the runtime (`tokio::spawn(fut)`, keeping the `JoinHandle`) or make the caller async and `.await` it"
        )
    }
}

/// The fix: append `.await` where it can be written and the call provably returns a future (not
/// only by its method name); else a manual fix.
fn fix(call: &DiscardedCall, proven: bool) -> Fix {
    if let (true, true, Some(name)) = (call.can_await, proven, &call.held_across_await) {
        Fix::manual(
            format!("await `{}` after releasing `{name}`", call.display),
            vec![Edit::insert(call.range.end, ".await")],
        )
    } else if call.can_await && proven {
        Fix::unsafe_(
            format!("await `{}`", call.display),
            vec![Edit::insert(call.range.end, ".await")],
        )
    } else {
        Fix::manual(
            if call.can_await {
                "await the call once its receiver is known to be the async API"
            } else {
                "spawn the future on the runtime and keep its `JoinHandle`, or make the caller async"
            },
            Vec::new(),
        )
    }
}

/// The catalog of library APIs (rules/async-apis.toml).
fn catalog() -> &'static Catalog {
    async_catalog::catalog()
}

// ---------------------------------------------------------------------------------------------
// Phase 1: discarded calls.

/// Records statement `i` of `stmts` when it discards a call's value (a receiver bound earlier in
/// the block has its type: the walk binds the earlier `let`s).
fn collect(cx: &FileCx<'_>, scope: &Scope, stmts: &[syn::Stmt], i: usize, sink: &mut Sink<'_>) {
    if let Some((value, kind)) = uses::discarded(cx, stmts, i, |c| is_drop(cx, c), allowed) {
        record(cx, scope, value, kind, sink);
    }
}

/// `drop(x)`, `std::mem::drop(x)`, `mem::drop(x)`, `core::mem::drop(x)`.
fn is_drop(cx: &FileCx<'_>, call: &syn::ExprCall) -> bool {
    if paths::call_last_segment(call).is_none_or(|i| i != "drop") {
        return false;
    }
    let Some(path) = paths::call_path(call) else {
        return false;
    };
    let resolved = cx.resolve(path);
    path_is(&resolved, "drop")
        || path_is(&resolved, "std::mem::drop")
        || path_is(&resolved, "core::mem::drop")
}

/// Whether a statement carries `#[allow(..)]` for the lints that flag dropped futures
/// (`clippy::let_underscore_future`, `unused_must_use`, `let_underscore_drop`): the drop is
/// deliberate.
fn allowed(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("allow") && {
            let t = a.meta.to_token_stream().to_string();
            t.contains("let_underscore_future")
                || t.contains("unused_must_use")
                || t.contains("let_underscore")
        }
    })
}

/// Short text of a receiver for messages: the source text when it is short and on one line.
fn receiver_text<'a>(cx: &'a FileCx<'_>, e: &Expr) -> &'a str {
    let t = cx.text(cx.range(e));
    if t.len() <= 32 && !t.contains('\n') {
        t
    } else {
        ""
    }
}

fn record(cx: &FileCx<'_>, scope: &Scope, e: &Expr, kind: DiscardKind, sink: &mut Sink<'_>) {
    let range = cx.range(e);
    let mut path_fact = u32::MAX;
    let mut recv_ty = u32::MAX;
    let mut recv_sym = u32::MAX;
    let mut future = None;
    let (callee, chain_root, chain_awaited, display) = match e {
        Expr::Call(c) => {
            let Some(path) = paths::call_path(c) else {
                // `(self.on_event)(e)`: a value the crate may type as a callable.
                return record_value_call(cx, scope, e, c, kind, sink);
            };
            let written: CanonPath = path.segments.iter().map(|s| s.ident.to_string()).collect();
            if written.len() == 1 && async_apis::calls_future_fn(cx, &written[0]) {
                future = Some(format!("`{}` is declared to return a future", written[0]));
            } else if written.len() == 1 && uses::bound_in_file(cx, &written[0]) {
                // A local: a closure or fn value, whose type only the crate may know (an
                // element of a field's map of boxed hooks).
                return record_value_call(cx, scope, e, c, kind, sink);
            }
            let resolved = cx.resolve(path);
            if resolved.first().is_some_and(|r| paths::is_std_root(r))
                && catalog().function(&resolved).is_none()
            {
                // std creates no future the catalog does not list.
                return;
            }
            let args = if c.args.is_empty() { "()" } else { "(..)" };
            let display = format!("{}{args}", display(&written));
            path_fact = cx.path_fact(path);
            (Callee::Path(resolved), None, false, display)
        }
        Expr::MethodCall(mc) => {
            let on_self = matches!(peel(&mc.receiver), Expr::Path(p) if p.path.is_ident("self"));
            let (root, awaited) = chain_root(cx, &mc.receiver);
            recv_ty = crate::walk::receiver_decl(cx, &mc.receiver);
            let name = mc.method.to_string();
            match typing::method_kind(cx, &mc.receiver, &name) {
                MethodKind::Future(ty) => {
                    future = Some(format!("`{ty}::{name}` returns a future"));
                }
                // A known library type: no crate-local method and no name is matched on it.
                MethodKind::NotFuture => return,
                MethodKind::Unknown => {
                    // Also beside a declared type: the declaration may be an alias of a
                    // library type in another crate, which only the symbolic type finishes.
                    if !on_self {
                        recv_sym = syms::sym_of(cx, &mc.receiver);
                    }
                    if recv_ty == u32::MAX
                        && recv_sym == u32::MAX
                        && settled_sync_method(&name, root.as_deref(), awaited, on_self, scope)
                    {
                        return;
                    }
                }
            }
            let args = if mc.args.is_empty() { "()" } else { "(..)" };
            let display = format!("{}.{}{args}", receiver_text(cx, &mc.receiver), mc.method);
            (Callee::Method { name, on_self }, root, awaited, display)
        }
        _ => return,
    };
    sink.record_discarded(DiscardedCall {
        callee,
        future,
        chain_root,
        chain_awaited,
        impl_ty: scope.impl_ty.clone(),
        display,
        range,
        kind,
        can_await: scope.can_await(),
        held_across_await: None,
        path: path_fact,
        recv_ty,
        recv_sym,
        scope: cx.item_scope(),
        caller: scope
            .fn_index
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(u32::MAX),
    });
}

/// Records a discarded call of a value (a local or a field holding a closure, fn pointer or
/// boxed `dyn Fn`) when the value has a symbolic type: phase 2 reports it when that type is a
/// callable returning a future.
fn record_value_call(
    cx: &FileCx<'_>,
    scope: &Scope,
    e: &Expr,
    c: &syn::ExprCall,
    kind: DiscardKind,
    sink: &mut Sink<'_>,
) {
    let func = paths::peel(&c.func);
    if !matches!(func, Expr::Path(_) | Expr::Field(_)) {
        return;
    }
    let sym = syms::sym_of(cx, func);
    if sym == crate::semantic::items::NONE {
        return;
    }
    let text = receiver_text(cx, func);
    let callee = if text.is_empty() { "the value" } else { text };
    let args = if c.args.is_empty() { "()" } else { "(..)" };
    let display = if matches!(func, Expr::Path(_)) {
        format!("{callee}{args}")
    } else {
        format!("({callee}){args}")
    };
    sink.record_discarded(DiscardedCall {
        callee: Callee::Value,
        future: None,
        chain_root: None,
        chain_awaited: false,
        impl_ty: scope.impl_ty.clone(),
        display,
        range: cx.range(e),
        kind,
        can_await: scope.can_await(),
        held_across_await: None,
        path: u32::MAX,
        recv_ty: u32::MAX,
        recv_sym: sym,
        scope: cx.item_scope(),
        caller: scope
            .fn_index
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(u32::MAX),
    });
}

/// Whether phase 2 would judge a discarded method call not to create a future whatever the
/// crate defines (see `CrateFns::judge_method`): a method the catalog lists as sync, not on a
/// cataloged future chain, and not `self.m()` inside an impl (which may be a crate-local async
/// method of that name). Such calls are not recorded, which keeps the facts small.
fn settled_sync_method(
    name: &str,
    root: Option<&[String]>,
    awaited: bool,
    on_self: bool,
    scope: &Scope,
) -> bool {
    catalog().is_sync_method(name)
        && !(on_self && scope.impl_ty.is_some())
        && root.is_none_or(|r| catalog().chain(r, name, awaited).is_none())
}

/// The resolved path of the call or macro a method chain starts from, and whether an `.await`
/// occurs in the chain.
fn chain_root(cx: &FileCx<'_>, mut e: &Expr) -> (Option<CanonPath>, bool) {
    let mut awaited = false;
    loop {
        match peel(e) {
            Expr::MethodCall(m) => e = &m.receiver,
            Expr::Await(a) => {
                awaited = true;
                e = &a.base;
            }
            Expr::Try(t) => e = &t.expr,
            Expr::Call(c) => return (paths::call_path(c).map(|p| cx.resolve(p)), awaited),
            Expr::Macro(m) => return (Some(cx.resolve(&m.mac.path)), awaited),
            _ => return (None, awaited),
        }
    }
}
