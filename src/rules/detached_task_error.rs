//! `detached-task-error`: a spawned task whose output is a `Result` and whose `JoinHandle` is
//! dropped at once (an expression statement, `let _ =`, `drop(..)`) or bound and never used.
//!
//! Block hook: the statements of each block are scanned for such spawns. The output is a
//! `Result` only on positive evidence: an `async` block that uses `?`, returns `Ok(..)`/`Err(..)`
//! or ends in one, or that ends in awaiting a fn of this file declared to return `Result`; or the
//! spawned future is a call of an `async fn` of this file declared to return `Result`. A spawn
//! through a method (`rt.spawn(..)`) counts only when the receiver is proved a tokio `Runtime` or
//! runtime `Handle` (phase 2 decides on its declared type).

use std::ops::Range;

use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Item, Pat, ReturnType, Stmt, Type};

use crate::analysis::context::Scope;
use crate::analysis::facts::{DropKind, DroppedCall};
use crate::analysis::imports::path_is;
use crate::analysis::index::CrateIndex;
use crate::analysis::lib_types::{ANY_RESULT, RESULT_HANDLE};
use crate::analysis::paths;
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// A spawned task returns a `Result` nobody can see: its handle is dropped.
    pub static DETACHED_TASK_ERROR = Rule {
        id: "detached-task-error",
        family: Family::Cancellation,
        severity: Severity::Warning,
        summary: "a spawned task returns a `Result` but its `JoinHandle` is dropped, so its error is never seen",
        fix: FixAvailability::Never,
        hooks: Hooks { stmt: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

const HELP: &str = "handle the error inside the task (`if let Err(e) = work().await { tracing::error!(..) }`), \
or keep the `JoinHandle` (in a `JoinSet` or a `tokio_util::task::TaskTracker`) and check what it returns";

/// Free spawn functions that return a detachable `JoinHandle`.
const SPAWN_FNS: &[&str] = &[
    "tokio::spawn",
    "tokio::task::spawn",
    "tokio::task::spawn_local",
    "actix_rt::spawn",
    "actix_rt::task::spawn",
    "actix_web::rt::spawn",
    "actix_web::rt::task::spawn",
];

/// Types whose `.spawn(..)` returns a detachable `JoinHandle`.
const RUNTIMES: &[&str] = &["tokio::runtime::Runtime", "tokio::runtime::Handle"];

fn message(how: &str) -> String {
    format!("{how}: the task returns a `Result`, so its error is silently lost")
}

/// A spawned method's receiver bound earlier in the block (`let server = Server::new(..);
/// tokio::spawn(server.run());`) has its type: the walk binds the earlier `let`s.
fn check(cx: &FileCx<'_>, _: &Scope, stmts: &[Stmt], i: usize, sink: &mut Sink<'_>) {
    check_stmt(cx, stmts, i, sink);
}

/// Reports statement `i` of `stmts` if it drops a spawned task's handle.
fn check_stmt(cx: &FileCx<'_>, stmts: &[Stmt], i: usize, sink: &mut Sink<'_>) {
    let stmt = &stmts[i];
    let Some((e, kind)) = dropped_spawn(cx, stmt, &stmts[i + 1..]) else {
        return;
    };
    let Some(spawn) = spawn_of(cx, e) else {
        handle_of_helper(cx, e, kind, sink);
        return;
    };
    let how = match &kind {
        DropKind::Unused(name) => format!("the handle `{name}` is never used"),
        now => format!("the `JoinHandle` of this task is {}", dropped(now)),
    };
    let range = cx.range(e);
    let Some(evidence) = result_evidence(cx, spawn.future) else {
        // A fn of another file: its declared output decides in phase 2 (and, for a method
        // spawn, the receiver's type too).
        if let Some((sym, at, name)) = crate_output(cx, spawn.future) {
            let results = vec![ANY_RESULT.to_string()];
            let reported = match spawn.receiver {
                None => {
                    sink.report_if_type(sym, results, &DETACHED_TASK_ERROR, range, message(&how))
                }
                Some(recv) => sink.report_by_types(
                    cx.range(recv),
                    RUNTIMES.iter().map(|s| s.to_string()).collect(),
                    (sym, results),
                    &DETACHED_TASK_ERROR,
                    range,
                    message(&how),
                ),
            };
            reported
                .label(at, format!("`{name}` is declared to return a `Result`"))
                .help(HELP);
        }
        return;
    };
    let reported = match spawn.receiver {
        Some(recv) => sink.report_by_type(
            cx.range(recv),
            RUNTIMES.iter().map(|s| s.to_string()).collect(),
            false,
            &DETACHED_TASK_ERROR,
            range,
            message(&how),
        ),
        None => sink.report(&DETACHED_TASK_ERROR, range, message(&how)),
    };
    reported.label(evidence.0, evidence.1).help(HELP);
}

/// The value a statement throws away (a spawn's handle, or a call's value that may be one) and
/// how, if any.
fn dropped_spawn<'a>(
    cx: &FileCx<'_>,
    stmt: &'a Stmt,
    rest: &[Stmt],
) -> Option<(&'a Expr, DropKind)> {
    match stmt {
        Stmt::Expr(e, Some(_)) => {
            let e = paths::peel(e);
            if let Expr::Call(c) = e
                && paths::call_path(c).is_some_and(|p| p.is_ident("drop"))
                && c.args.len() == 1
            {
                return Some((&c.args[0], DropKind::DropCall));
            }
            Some((e, DropKind::Statement))
        }
        Stmt::Local(l) => {
            let init = l.init.as_ref()?;
            if init.diverge.is_some() {
                return None;
            }
            match &l.pat {
                Pat::Wild(_) => Some((&init.expr, DropKind::LetUnderscore)),
                Pat::Ident(p) if p.subpat.is_none() => {
                    // Only a spawn's binding, or one named as unused (`_h`, which may hold a
                    // helper's handle), is looked for in the rest of the block (re-reading the
                    // rest for every `let` made the rule quadratic in a block's length).
                    if !p.ident.to_string().starts_with('_') {
                        spawn_of(cx, &init.expr)?;
                    }
                    let name = p.ident.to_string();
                    let used = rest.iter().any(|s| {
                        crate::analysis::bindings::patterns::mentions(s.to_token_stream(), &name)
                    });
                    (!used).then_some((&init.expr, DropKind::Unused(name)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

struct Spawn<'a> {
    future: &'a Expr,
    /// The receiver of a method spawn (`rt.spawn(..)`), whose type must be proved.
    receiver: Option<&'a Expr>,
}

/// A dropped call of a fn or method that is not a spawn: reported when the crate declares it to
/// return a tokio `JoinHandle` of a `Result` (`fn start(self) -> JoinHandle<io::Result<()>>`,
/// its caller dropping the handle), settled in phase 2 on the declared type.
fn handle_of_helper(cx: &FileCx<'_>, e: &Expr, drop: DropKind, sink: &mut Sink<'_>) {
    let call = paths::peel(e);
    let name = match call {
        Expr::Call(c) => match paths::call_path(c).and_then(|p| p.segments.last()) {
            Some(last) => last.ident.to_string(),
            None => return,
        },
        Expr::MethodCall(m) => m.method.to_string(),
        _ => return,
    };
    // std's combinators and trait methods (`clone`, `map`, `unwrap`, `into`) return no task
    // handle: not recorded, which keeps the facts small.
    if matches!(call, Expr::MethodCall(_)) && crate::analysis::syms::is_std_combinator(&name) {
        return;
    }
    let sym = crate::analysis::syms::sym_of(cx, call);
    if sym == crate::semantic::items::NONE {
        return;
    }
    let range = cx.range(call);
    sink.record_dropped_call(DroppedCall {
        sym,
        range: (range.start as u32, range.end as u32),
        callee: name,
        drop,
    });
}

/// How a statement drops a value where it is made, as the findings say it (a binding never
/// used is said with its name).
fn dropped(kind: &DropKind) -> &'static str {
    match kind {
        DropKind::Statement => "dropped at once",
        DropKind::LetUnderscore => "dropped by `let _ =`",
        DropKind::DropCall => "dropped by `drop(..)`",
        DropKind::Unused(_) => "never used",
    }
}

/// The spawned future of a spawn call.
fn spawn_of<'a>(cx: &FileCx<'_>, e: &'a Expr) -> Option<Spawn<'a>> {
    match paths::peel(e) {
        Expr::Call(c) if c.args.len() == 1 => {
            let path = paths::call_path(c)?;
            if !path
                .segments
                .last()
                .is_some_and(|s| s.ident == "spawn" || s.ident == "spawn_local")
            {
                return None;
            }
            let canon = cx.resolve(path);
            SPAWN_FNS
                .iter()
                .any(|p| path_is(&canon, p))
                .then_some(Spawn {
                    future: &c.args[0],
                    receiver: None,
                })
        }
        Expr::MethodCall(m) if m.method == "spawn" && m.args.len() == 1 => {
            // `Handle::current().spawn(..)` is proved by its path; other receivers by type.
            let current = matches!(paths::peel(&m.receiver), Expr::Call(c)
                if paths::call_path(c)
                    .is_some_and(|p| path_is(&cx.resolve(p), "tokio::runtime::Handle::current")));
            Some(Spawn {
                future: &m.args[0],
                receiver: (!current).then_some(&*m.receiver),
            })
        }
        _ => None,
    }
}

/// Where the spawned future's output is shown to be a `Result`, with a label.
fn result_evidence(cx: &FileCx<'_>, fut: &Expr) -> Option<(Range<usize>, String)> {
    match paths::peel(fut) {
        Expr::Async(a) => block_evidence(cx, &a.block),
        call @ (Expr::Call(_) | Expr::MethodCall(_)) => {
            let name = callee_name(call)?;
            (local_fn(cx, &name)? == FnKind::AsyncResult).then(|| {
                (
                    cx.range(call),
                    format!("`{name}` is an `async fn` declared to return a `Result`"),
                )
            })
        }
        _ => None,
    }
}

/// The spawned future's output as a symbolic type when it is a call of a fn this file does not
/// define (`spawn(other::run(..))`, `spawn(async { other::run(..).await })`) or of a method on a
/// receiver the semantic layer types (`spawn(conn.run())`, `conn: Arc<Conn>`): the symbol of
/// awaiting that call, where it is, and the fn's name.
fn crate_output(cx: &FileCx<'_>, fut: &Expr) -> Option<(u32, Range<usize>, String)> {
    let call = match paths::peel(fut) {
        Expr::Async(a) => match a.block.stmts.last() {
            Some(Stmt::Expr(tail, None)) => match paths::peel(tail) {
                Expr::Await(aw) => paths::peel(&aw.base),
                _ => return None,
            },
            _ => return None,
        },
        call => call,
    };
    let name = match call {
        Expr::Call(c) => {
            let path = paths::call_path(c)?;
            let name = path.segments.last()?.ident.to_string();
            if path.segments.len() == 1 && cx.local(&name).is_some() {
                return None;
            }
            name
        }
        // `spawn(conn.run())`: the receiver's declared type picks the method (phase 2).
        Expr::MethodCall(m) => m.method.to_string(),
        _ => return None,
    };
    let awaited = Expr::Await(syn::ExprAwait {
        attrs: Vec::new(),
        base: Box::new(call.clone()),
        dot_token: Default::default(),
        await_token: Default::default(),
    });
    let sym = crate::analysis::syms::sym_of(cx, &awaited);
    (sym != crate::semantic::items::NONE).then(|| (sym, cx.range(call), name))
}

/// Evidence that an `async` block's output is a `Result`.
fn block_evidence(cx: &FileCx<'_>, block: &Block) -> Option<(Range<usize>, String)> {
    if let Some(Stmt::Expr(tail, None)) = block.stmts.last() {
        let tail = paths::peel(tail);
        if let Some(v) = variant(tail) {
            return match v.as_str() {
                "Ok" | "Err" => Some((cx.range(tail), format!("the task ends in `{v}(..)`"))),
                _ => None,
            };
        }
        // `x.await.map_err(Error::Filtering)`: an awaited value's error mapped or given a
        // context (`anyhow`'s `context`, `with_context`) is a `Result`.
        if let Expr::MethodCall(m) = tail
            && matches!(
                m.method.to_string().as_str(),
                "map_err" | "context" | "with_context" | "ok_or" | "ok_or_else"
            )
            && matches!(paths::peel(&m.receiver), Expr::Await(_))
        {
            return Some((
                cx.range(tail),
                format!("the task ends in `.{}(..)` of an awaited value", m.method),
            ));
        }
        if let Expr::Await(aw) = tail
            && let Some(name) = callee_name(&aw.base)
            && local_fn(cx, &name) == Some(FnKind::AsyncResult)
        {
            return Some((
                cx.range(tail),
                format!("the task ends in awaiting `{name}`, declared to return a `Result`"),
            ));
        }
    }
    let mut finder = Evidence::default();
    finder.visit_block(block);
    if let Some(r) = finder.ret {
        return Some((cx.span_range(r), "the task returns a `Result` here".into()));
    }
    finder.question.map(|r| {
        (
            cx.span_range(r),
            "`?` makes the task return a `Result`".into(),
        )
    })
}

/// `Ok`/`Err`/`Some`/`None` when `e` is such a variant (call or path).
fn variant(e: &Expr) -> Option<String> {
    let path = match e {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => &p.path,
            _ => return None,
        },
        Expr::Path(p) => &p.path,
        _ => return None,
    };
    let last = path.segments.last()?.ident.to_string();
    matches!(last.as_str(), "Ok" | "Err" | "Some" | "None").then_some(last)
}

/// `?` and `return Ok/Err(..)` of an async block itself (not of nested closures, async blocks
/// or items).
#[derive(Default)]
struct Evidence {
    question: Option<proc_macro2::Span>,
    ret: Option<proc_macro2::Span>,
}

impl<'ast> Visit<'ast> for Evidence {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Try(t) => {
                self.question.get_or_insert(t.question_token.span);
                visit::visit_expr(self, e);
            }
            Expr::Return(r) => {
                if r.expr
                    .as_deref()
                    .and_then(|v| variant(paths::peel(v)))
                    .is_some_and(|v| v == "Ok" || v == "Err")
                {
                    self.ret.get_or_insert(r.return_token.span);
                }
                visit::visit_expr(self, e);
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// The name of a called fn: `f(..)`, `Self::f(..)`, `self.f(..)`.
fn callee_name(e: &Expr) -> Option<String> {
    match paths::peel(e) {
        Expr::Call(c) => {
            let path = paths::call_path(c)?;
            let n = path.segments.len();
            let local = n == 1 || (n == 2 && path.segments[0].ident == "Self");
            local.then(|| path.segments[n - 1].ident.to_string())
        }
        Expr::MethodCall(m) => match paths::peel(&m.receiver) {
            Expr::Path(p) if p.path.is_ident("self") => Some(m.method.to_string()),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FnKind {
    /// An `async fn` declared to return a `Result`.
    AsyncResult,
    /// Anything else.
    Other,
}

/// What the fns of this file named `name` return: `None` when there is none; `Other` when
/// they disagree or do not return a `Result`.
fn local_fn(cx: &FileCx<'_>, name: &str) -> Option<FnKind> {
    let mut found = None;
    let mut visit = |sig: &syn::Signature, body: &Block| {
        if sig.ident != name {
            return;
        }
        // A body that never completes has no output to lose, whatever it declares.
        let kind = if sig.asyncness.is_some()
            && returns_result(&sig.output)
            && !crate::analysis::bindings::patterns::body_never_completes(body)
        {
            FnKind::AsyncResult
        } else {
            FnKind::Other
        };
        found = Some(match found {
            None => kind,
            Some(k) if k == kind => k,
            Some(_) => FnKind::Other,
        });
    };
    fn walk(items: &[Item], f: &mut dyn FnMut(&syn::Signature, &Block)) {
        for item in items {
            match item {
                Item::Fn(func) => f(&func.sig, &func.block),
                Item::Impl(imp) => {
                    for it in &imp.items {
                        if let syn::ImplItem::Fn(m) = it {
                            f(&m.sig, &m.block);
                        }
                    }
                }
                Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        walk(items, f);
                    }
                }
                _ => {}
            }
        }
    }
    walk(&cx.file.items, &mut visit);
    found
}

/// Whether a declared return type is a `Result` (any path type whose last segment is
/// `Result`: `std::io::Result`, `anyhow::Result`, a crate's own alias named `Result`).
fn returns_result(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    match &**ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Result" && !unit_error(&s.arguments)),
        _ => false,
    }
}

/// `Result<T, ()>`: the task can only say that it failed, which it reports itself (there is
/// no error value to lose).
fn unit_error(args: &syn::PathArguments) -> bool {
    let syn::PathArguments::AngleBracketed(a) = args else {
        return false;
    };
    let types: Vec<&Type> = a
        .args
        .iter()
        .filter_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    matches!(types.get(1), Some(Type::Tuple(t)) if t.elems.is_empty())
}

/// Phase 2: the dropped calls ([`handle_of_helper`]) that the crate declares to return a tokio
/// `JoinHandle` of a `Result`. The spawns whose output or receiver only the crate can type are
/// findings pending on a type, kept by [`crate::analysis::pending::settle`].
fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    if index.files.iter().all(|f| f.facts.dropped_calls.is_empty()) {
        return;
    }
    let sema = index.semantics();
    let inputs = index.inputs();
    for (fi, file) in index.files.iter().enumerate() {
        for call in &file.facts.dropped_calls {
            if !crate::analysis::lib_types::sym_is(
                sema,
                &inputs,
                fi as u32,
                call.sym,
                RESULT_HANDLE,
            ) {
                continue;
            }
            let callee = &call.callee;
            let how = match &call.drop {
                DropKind::Unused(binding) => format!(
                    "the `JoinHandle` returned by `{callee}` is bound to `{binding}` and never used"
                ),
                kind => format!(
                    "the `JoinHandle` returned by `{callee}` is {}",
                    dropped(kind)
                ),
            };
            out.push(Diagnostic {
                rule: &DETACHED_TASK_ERROR,
                severity: DETACHED_TASK_ERROR.severity,
                message: message(&how),
                path: file.path.clone(),
                range: call.range.0 as usize..call.range.1 as usize,
                labels: Vec::new(),
                help: Some(HELP.to_string()),
                fix: None,
            });
        }
    }
}
