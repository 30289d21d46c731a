//! `cancel-unsafe-select`: inside a loop, a `select!` branch whose future is created anew each
//! iteration by an API tokio documents as not cancel-safe.
//!
//! Block hook (a `select!` statement) and expression hook (a `select!` expression), both only
//! inside a loop of the current async body ([`Scope::loop_depth`]). A branch future counts when
//! it is a call written in the branch (a pinned future polled as `&mut fut` is not) of one of
//! the catalogued methods (by name and arity) or of `tokio::io::copy`, also inside
//! `tokio::time::timeout(d, ..)`. A branch is reported only when another branch can win and
//! let the loop go on (its handler does not end in `break`/`return`/a panic). `lock`/`read`/`write`/`acquire` count only when the receiver
//! is proved a tokio `Mutex`, `RwLock` or `Semaphore` (phase 2 decides on its declared type).

mod across_files;
mod helpers;
mod methods;

use syn::{Expr, Macro, Stmt};

use crate::analysis::context::Scope;
use crate::analysis::imports::path_is;
use crate::analysis::macros::{self, MacroKind};
use crate::analysis::paths;
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Family, FixAvailability, Hooks};

use methods::{Loss, METHODS, short};

declare_rule! {
    /// A not-cancel-safe future re-created in a `select!` inside a loop.
    pub static CANCEL_UNSAFE_SELECT = Rule {
        id: "cancel-unsafe-select",
        family: Family::Cancellation,
        severity: Severity::Warning,
        summary: "a `select!` branch in a loop re-creates a future that is not cancel-safe, losing its progress whenever another branch wins",
        fix: FixAvailability::Never,
        hooks: Hooks { block: Some(check_block), expr: Some(check_expr), file: Some(across_files::record), resolve: Some(resolve), ..Hooks::NONE },
    }
}

/// Methods that are not cancel-safe only on tokio's fair synchronisation primitives, whose
/// receiver type must be proved (a crate's own `acquire()` may be cancel-safe).
const QUEUE_METHODS: &[&str] = &[
    "lock",
    "lock_owned",
    "read",
    "write",
    "read_owned",
    "write_owned",
    "acquire",
    "acquire_owned",
    "acquire_many",
    "acquire_many_owned",
];
const QUEUE_TYPES: &[&str] = &[
    "tokio::sync::Mutex",
    "tokio::sync::RwLock",
    "tokio::sync::Semaphore",
];

fn message(future: &str, loss: Loss) -> String {
    let what = match loss {
        Loss::Read => "the bytes it already read are lost",
        Loss::Write => "how much it already wrote is lost, so the next iteration writes it again",
        Loss::Message => "the message is dropped and never sent",
        Loss::Queue => "it loses its place in the fair queue",
        Loss::Copy => "data it read but did not write yet is lost",
    };
    format!(
        "`{future}` is not cancel-safe: it is re-created on every iteration and, whenever another branch wins, {what}"
    )
}

fn help(loss: Loss) -> &'static str {
    match loss {
        Loss::Read => {
            "create the future once before the loop and poll it by `&mut` (`tokio::pin!`), or use a cancel-safe read: \
`read_buf` into a buffer kept across iterations, or `lines().next_line()` on a `Lines` kept across iterations"
        }
        Loss::Write | Loss::Copy => {
            "create the future once before the loop and poll it by `&mut` (`tokio::pin!`), or use `write_all_buf`, \
which advances its buffer by what was written"
        }
        Loss::Message => {
            "reserve capacity in the branch (`permit = tx.reserve()`, cancel-safe) and `permit.send(msg)` in its handler, \
or pin one `send` future outside the loop"
        }
        Loss::Queue => {
            "create the future once before the loop and poll it by `&mut` (`tokio::pin!`), or acquire outside the `select!`"
        }
    }
}

fn check_block(cx: &FileCx<'_>, scope: &Scope, block: &syn::Block, sink: &mut Sink<'_>) {
    if scope.loop_depth == 0 || !scope.is_async() {
        return;
    }
    for stmt in &block.stmts {
        if let Stmt::Macro(m) = stmt {
            check_select(cx, &m.mac, sink);
        }
    }
}

fn check_expr(cx: &FileCx<'_>, scope: &Scope, e: &Expr, sink: &mut Sink<'_>) {
    if scope.loop_depth == 0 || !scope.is_async() {
        return;
    }
    if let Expr::Macro(m) = e {
        check_select(cx, &m.mac, sink);
    }
}

/// Whether a macro is `tokio::select!` or `futures::select!`/`select_biased!`.
fn is_select(cx: &FileCx<'_>, mac: &Macro) -> bool {
    if macros::kind(mac) != MacroKind::Select {
        return false;
    }
    let canon = cx.resolve(&mac.path);
    path_is(&canon, "tokio::select")
        || path_is(&canon, "futures::select")
        || path_is(&canon, "futures::select_biased")
        || path_is(&canon, "futures::future::select")
        || path_is(&canon, "futures_util::select")
}

fn check_select(cx: &FileCx<'_>, mac: &Macro, sink: &mut Sink<'_>) {
    if !is_select(cx, mac) {
        return;
    }
    let Some(select) = macros::parse_select(mac) else {
        return;
    };
    for (i, branch) in select.branches.iter().enumerate() {
        let Some(future) = &branch.future else {
            continue;
        };
        // The progress is lost only when another branch wins and the loop goes on: if every
        // other branch leaves the loop (`_ = shutdown.recv() => break`), nothing is lost.
        let others_continue = select
            .branches
            .iter()
            .enumerate()
            .any(|(j, b)| j != i && b.future.is_some() && !diverges(&b.handler));
        if others_continue {
            check_future(cx, future, sink);
        }
    }
}

/// Whether a branch handler always leaves the loop: `break`, `return`, a panic, or a block
/// whose last statement does.
fn diverges(e: &Expr) -> bool {
    match paths::peel(e) {
        Expr::Break(_) | Expr::Return(_) => true,
        Expr::Macro(m) => is_panic(&m.mac),
        Expr::Block(b) => match b.block.stmts.last() {
            Some(Stmt::Expr(e, _)) => diverges(e),
            Some(Stmt::Macro(m)) => is_panic(&m.mac),
            _ => false,
        },
        _ => false,
    }
}

fn is_panic(mac: &Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "panic" || s.ident == "unreachable")
}

fn check_future(cx: &FileCx<'_>, future: &Expr, sink: &mut Sink<'_>) {
    let future = unwrap_timeout(cx, paths::peel(future));
    let range = cx.range(future);
    let text = short(cx.text(range.clone()));
    match future {
        Expr::MethodCall(m) if helpers::unsafe_callee(cx, future).is_some() => {
            helper_future(cx, future, range, &text, sink);
        }
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if let Some((_, _, loss)) = METHODS
                .iter()
                .find(|(n, arity, _)| *n == name && *arity == m.args.len())
            {
                sink.report(&CANCEL_UNSAFE_SELECT, range, message(&text, *loss))
                    .help(help(*loss));
            } else if QUEUE_METHODS.contains(&name.as_str()) && m.args.len() <= 1 {
                sink.report_by_type(
                    cx.range(&m.receiver),
                    QUEUE_TYPES.iter().map(|s| s.to_string()).collect(),
                    false,
                    &CANCEL_UNSAFE_SELECT,
                    range,
                    message(&text, Loss::Queue),
                )
                .help(help(Loss::Queue));
            }
        }
        Expr::Call(c) => {
            let Some(path) = paths::call_path(c) else {
                return;
            };
            let canon = cx.resolve(path);
            if path_is(&canon, "tokio::io::copy") && c.args.len() == 2 {
                sink.report(&CANCEL_UNSAFE_SELECT, range, message(&text, Loss::Copy))
                    .help(help(Loss::Copy));
                return;
            }
            helper_future(cx, future, range, &text, sink);
        }
        _ => {}
    }
}

/// A call of an async fn of the file that awaits a not-cancel-safe read or write
/// ([`helpers`]): `Self::read_req(&mut conn)`.
fn helper_future(
    cx: &FileCx<'_>,
    future: &Expr,
    range: std::ops::Range<usize>,
    text: &str,
    sink: &mut Sink<'_>,
) {
    let Some((name, u)) = helpers::unsafe_callee(cx, future) else {
        // A fn of another file: phase 2 follows the call ([`across_files`]).
        if cx.settings.collect_facts && helpers::calls_elsewhere(cx, future) {
            let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            sink.select_facts().branch_calls.push((
                small(range.start),
                small(range.end),
                text.to_string(),
            ));
        }
        return;
    };
    sink.report(
        &CANCEL_UNSAFE_SELECT,
        range,
        format!(
            "`{text}` is not cancel-safe: `{name}` awaits `{}` (line {}), so whenever another branch wins, what it already read or wrote is lost",
            u.awaited, u.line
        ),
    )
    .help(help(Loss::Read));
}

/// `tokio::time::timeout(d, f)` -> `f`: the timeout owns a freshly created `f`.
fn unwrap_timeout<'e>(cx: &FileCx<'_>, e: &'e Expr) -> &'e Expr {
    if let Expr::Call(c) = e
        && c.args.len() == 2
        && let Some(path) = paths::call_path(c)
        && path_is(&cx.resolve(path), "tokio::time::timeout")
    {
        return paths::peel(&c.args[1]);
    }
    e
}

/// Phase 2: calls of not-cancel-safe fns of other files ([`across_files`]); the findings whose
/// receiver needs a declared type are settled with every rule's in
/// [`crate::analysis::pending::settle`].
fn resolve(
    index: &crate::analysis::index::CrateIndex,
    out: &mut Vec<crate::diagnostic::Diagnostic>,
) {
    across_files::resolve(index, out);
}
