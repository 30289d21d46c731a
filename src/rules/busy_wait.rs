//! `busy-wait`: a loop in async code that polls shared state and sleeps.
//!
//! Expression hook on `while` and `loop` in an async context where `.await` can be written. The
//! loop is reported when every `.await` of its body (outside nested closures, async blocks and
//! items) awaits a timer sleep (tokio, async-std, smol, async-io, futures-timer) and its exit
//! condition reads state without awaiting: the `while` condition, or the condition of an `if` /
//! `match` / `if let` whose branch leaves the loop (`break`, `return`), calls one of the polling
//! methods (`load`, a lock, `is_finished`, `try_recv`, `is_empty`, `exists`, `try_wait`..).
//! A loop with no `.await` at all is reported when its body does nothing but spin (empty, spin
//! hints, the polling exit).

use std::ops::Range;

use syn::visit::{self, Visit};
use syn::{Expr, Item};

use crate::analysis::context::Scope;
use crate::analysis::imports::path_is;
use crate::analysis::paths;
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Family, FixAvailability, Hooks};

mod spin;

use spin::{exits_on_taken, only_spins, takes_from_state};

declare_rule! {
    /// A loop that polls shared state between timer sleeps.
    pub static BUSY_WAIT = Rule {
        id: "busy-wait",
        family: Family::Cancellation,
        severity: Severity::Warning,
        summary: "a loop in async code polls shared state and sleeps instead of awaiting a notification",
        fix: FixAvailability::Never,
        hooks: Hooks { expr: Some(check), ..Hooks::NONE },
    }
}

const HELP: &str = "await a notification instead of polling: a `tokio::sync::Notify`, a `watch` \
channel's `changed()`, a oneshot, or the `JoinHandle` itself";

/// Timer sleeps: awaiting one of these is waiting, not work.
const SLEEPS: &[&str] = &[
    "tokio::time::sleep",
    "tokio::time::sleep_until",
    "async_std::task::sleep",
    "smol::Timer::after",
    "async_io::Timer::after",
    "futures_timer::Delay::new",
];

/// Yields to the scheduler: awaiting one of these between polls makes the loop spin, hot.
const YIELDS: &[&str] = &[
    "tokio::task::yield_now",
    "async_std::task::yield_now",
    "smol::future::yield_now",
    "futures_lite::future::yield_now",
];

/// Methods that read shared state without awaiting.
const POLLS: &[&str] = &[
    "load",
    "lock",
    "try_lock",
    "read",
    "write",
    "try_read",
    "try_write",
    "is_finished",
    "try_recv",
    "is_empty",
    "exists",
    "try_exists",
    "try_wait",
    "is_closed",
];

/// How a polling loop waits between checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pause {
    /// A timer sleep.
    Sleep,
    /// A yield to the scheduler, which returns at once.
    Yield,
    /// No `.await` at all: nothing but spin hints, or nothing.
    Spin,
}

fn message(keyword: &str, state: &str, pause: Pause) -> String {
    match pause {
        Pause::Spin => format!(
            "this {keyword} polls `{state}` without ever awaiting: it spins the executor thread, and a task of that thread that would change the state never runs"
        ),
        Pause::Yield => format!(
            "this {keyword} polls `{state}` and only yields between checks: a busy-wait that keeps a worker thread spinning"
        ),
        Pause::Sleep => format!(
            "this {keyword} polls `{state}` and sleeps between checks: a busy-wait that adds latency and wakes for nothing"
        ),
    }
}

fn check(cx: &FileCx<'_>, scope: &Scope, e: &Expr, sink: &mut Sink<'_>) {
    if !scope.can_await() {
        return;
    }
    let (keyword, label, body, cond) = match e {
        Expr::While(w) => (
            "`while` loop",
            w.label.as_ref(),
            &w.body,
            Some(match &*w.cond {
                Expr::Let(l) => &*l.expr,
                c => c,
            }),
        ),
        Expr::Loop(l) => ("`loop`", l.label.as_ref(), &l.body, None),
        _ => return,
    };
    let mut awaits = Awaits {
        cx,
        sleep: None,
        yields: false,
        other: false,
    };
    awaits.visit_block(body);
    if let Some(c) = cond {
        awaits.visit_expr(c);
    }
    let pause = match awaits.sleep {
        _ if awaits.other => return,
        Some(_) if does_work(cx, body) => return,
        Some(_) if awaits.yields => Pause::Yield,
        Some(_) => Pause::Sleep,
        // Without an `.await`, only a body that does nothing but spin (a loop that does any
        // work, a compare-and-swap retry, makes progress).
        None if only_spins(cx, body) => Pause::Spin,
        None => return,
    };
    // A spin that takes from the state (`while rx.try_recv().is_ok() {}`) drains it: each turn
    // makes progress, and the loop ends when nothing is left, not when something changes.
    if pause == Pause::Spin && takes_from_state(cond.unwrap_or(e)) && !exits_on_taken(body) {
        return;
    }
    let label = label.map(|l| l.name.ident.to_string());
    let polled = match cond {
        Some(c) => poll_call(c),
        None => {
            let mut exits = Exits {
                label: label.as_deref(),
                found: None,
            };
            for stmt in &body.stmts {
                exits.visit_stmt(stmt);
            }
            exits.found
        }
    };
    let Some(at) = polled else {
        return;
    };
    let Expr::MethodCall(m) = at else { return };
    let args = if m.args.is_empty() { "()" } else { "(..)" };
    let state = format!("{}.{}{args}", cx.text(cx.range(&m.receiver)), m.method);
    let keyword_range = match e {
        Expr::While(w) => cx.span_range(w.while_token.span),
        Expr::Loop(l) => cx.span_range(l.loop_token.span),
        _ => return,
    };
    let state_range = cx.range(at);
    let mut report = sink
        .report(&BUSY_WAIT, keyword_range, message(keyword, &state, pause))
        .label(state_range, "the state is read here, without awaiting");
    if let Some(at) = awaits.sleep {
        let wait = if pause == Pause::Yield {
            "the only `.await` is a `yield_now()`, which returns at once"
        } else {
            "the only `.await` is a timer sleep"
        };
        report = report.label(at, wait);
    }
    report.help(HELP);
}

/// The `.await`s of a loop body: whether all of them are timer sleeps or yields.
struct Awaits<'c, 'a> {
    cx: &'c FileCx<'a>,
    /// The first sleep or yield awaited.
    sleep: Option<Range<usize>>,
    /// Whether every wait is a yield (no timer sleep).
    yields: bool,
    other: bool,
}

impl<'ast> Visit<'ast> for Awaits<'_, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Await(a) => {
                if let Some(kind) = wait_kind(self.cx, &a.base) {
                    if self.sleep.is_none() {
                        self.sleep = Some(self.cx.range(e));
                        self.yields = kind == Wait::Yield;
                    } else if kind == Wait::Sleep {
                        self.yields = false;
                    }
                } else {
                    self.other = true;
                }
                visit::visit_expr(self, &a.base);
            }
            // Awaits inside a macro body (`select!`, `join!`) cannot be seen: do awaited work.
            Expr::Macro(m) if mac_may_await(&m.mac) => self.other = true,
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        if mac_may_await(&m.mac) {
            self.other = true;
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// Whether a macro body may contain an `.await` or a select (anything but plain logging).
fn mac_may_await(mac: &syn::Macro) -> bool {
    let text = mac.tokens.to_string();
    text.contains("await")
        || mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "select")
}

/// How a loop waits between polls.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// A timer sleep.
    Sleep,
    /// A yield to the scheduler, which returns at once.
    Yield,
}

/// Whether `e` is a call of a timer sleep or a yield.
fn wait_kind(cx: &FileCx<'_>, e: &Expr) -> Option<Wait> {
    let Expr::Call(c) = paths::peel(e) else {
        return None;
    };
    let canon = cx.resolve(paths::call_path(c)?);
    if SLEEPS.iter().any(|s| path_is(&canon, s)) {
        Some(Wait::Sleep)
    } else if YIELDS.iter().any(|s| path_is(&canon, s)) {
        Some(Wait::Yield)
    } else {
        None
    }
}

/// Whether `e` is a call of a timer sleep or a yield.
fn is_sleep(cx: &FileCx<'_>, e: &Expr) -> bool {
    wait_kind(cx, e).is_some()
}

/// The first polling call in a condition: its receiver's text and the call.
fn poll_call(cond: &Expr) -> Option<&Expr> {
    first_method_call(cond, POLLS)
}

/// The first call in `e` of a method named in `names`, outside closures, async blocks, awaited
/// expressions and nested items (none of which runs as part of `e` itself).
fn first_method_call<'ast>(e: &'ast Expr, names: &[&str]) -> Option<&'ast Expr> {
    struct Finder<'n, 'ast> {
        names: &'n [&'n str],
        found: Option<&'ast Expr>,
    }
    impl<'ast> Visit<'ast> for Finder<'_, 'ast> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if self.found.is_some() {
                return;
            }
            match e {
                Expr::Closure(_) | Expr::Async(_) | Expr::Await(_) => {}
                Expr::MethodCall(m) if self.names.iter().any(|n| m.method == n) => {
                    self.found = Some(e)
                }
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'ast Item) {}
    }
    let mut finder = Finder { names, found: None };
    finder.visit_expr(e);
    finder.found
}

/// The exits of a `loop` body: an `if`/`match`/`if let` whose condition polls state and one of
/// whose branches leaves this loop.
struct Exits<'l, 'ast> {
    label: Option<&'l str>,
    found: Option<&'ast Expr>,
}

impl<'ast> Visit<'ast> for Exits<'_, 'ast> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.found.is_some() {
            return;
        }
        match e {
            Expr::Closure(_)
            | Expr::Async(_)
            | Expr::Loop(_)
            | Expr::While(_)
            | Expr::ForLoop(_) => {}
            Expr::If(i) => {
                let cond = match &*i.cond {
                    Expr::Let(l) => &*l.expr,
                    c => c,
                };
                let exits = leaves(&i.then_branch.stmts, self.label)
                    || i.else_branch
                        .as_ref()
                        .is_some_and(|(_, els)| leaves_expr(els, self.label));
                let file_lock = matches!(&*i.cond, Expr::Let(l) if is_file_lock_result(&l.pat));
                if exits
                    && !file_lock
                    && let Some(p) = poll_call(cond)
                {
                    self.found = Some(p);
                    return;
                }
                visit::visit_expr(self, e);
            }
            Expr::Match(m) => {
                if m.arms.iter().any(|a| leaves_expr(&a.body, self.label))
                    && !m.arms.iter().any(|a| is_file_lock_result(&a.pat))
                    && let Some(p) = poll_call(&m.expr)
                {
                    self.found = Some(p);
                    return;
                }
                visit::visit_expr(self, e);
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// Whether `pat` matches a result only a file lock's `try_lock` gives (`std::fs::File`:
/// `Ok(())`, `Err(TryLockError::Error(..))`; a mutex's `Ok` holds a guard). Another process holds
/// that lock: no notification can reach this one, so polling it is not a busy-wait to fix.
fn is_file_lock_result(pat: &syn::Pat) -> bool {
    let syn::Pat::TupleStruct(ts) = pat else {
        return false;
    };
    let last = |p: &syn::Path, name: &str| p.segments.last().is_some_and(|s| s.ident == name);
    let elems: Vec<&syn::Pat> = ts.elems.iter().collect();
    match elems[..] {
        [syn::Pat::Tuple(t)] if last(&ts.path, "Ok") => t.elems.is_empty(),
        [inner] if last(&ts.path, "Err") => is_file_lock_result(inner),
        _ => {
            last(&ts.path, "Error")
                && ts.path.segments.len() >= 2
                && ts.path.segments[ts.path.segments.len() - 2].ident == "TryLockError"
        }
    }
}

fn leaves(stmts: &[syn::Stmt], label: Option<&str>) -> bool {
    let mut l = Leaves {
        label,
        found: false,
    };
    for s in stmts {
        l.visit_stmt(s);
    }
    l.found
}

fn leaves_expr(e: &Expr, label: Option<&str>) -> bool {
    let mut l = Leaves {
        label,
        found: false,
    };
    l.visit_expr(e);
    l.found
}

/// Whether code leaves the loop: `return`, a `break` of this loop (unlabelled outside inner
/// loops, or with this loop's label), `?`.
struct Leaves<'l> {
    label: Option<&'l str>,
    found: bool,
}

impl<'ast> Visit<'ast> for Leaves<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Return(_) => self.found = true,
            Expr::Break(b) => match &b.label {
                None => self.found = true,
                Some(l) => self.found |= self.label.is_some_and(|n| l.ident == n),
            },
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                // Only a labelled break can leave this loop from inside an inner one.
                let inner = Leaves {
                    label: self.label,
                    found: false,
                };
                let mut labelled = LabelledOnly(inner);
                visit::visit_expr(&mut labelled, e);
                self.found |= labelled.0.found;
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// [`Leaves`] inside an inner loop: unlabelled `break`s leave the inner loop only.
struct LabelledOnly<'l>(Leaves<'l>);

impl<'ast> Visit<'ast> for LabelledOnly<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Return(_) => self.0.found = true,
            Expr::Break(b) => {
                if let Some(l) = &b.label {
                    self.0.found |= self.0.label.is_some_and(|n| l.ident == n);
                }
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// Method calls that compute, check or unwrap values: not work a loop exists to do.
const PLAIN_METHODS: &[&str] = &[
    "clone",
    "min",
    "max",
    "elapsed",
    "is_ok",
    "is_err",
    "is_some",
    "is_none",
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_default",
    "len",
    "as_ref",
    "as_mut",
    "duration_since",
    "saturating_add",
    "saturating_mul",
    "saturating_sub",
    "checked_add",
    "checked_mul",
    "checked_sub",
    "mul_f32",
    "mul_f64",
    "into",
    "to_owned",
    "to_string",
    "ok",
    "err",
];

/// Accessors that read (or take one item of) the state a polling call returned:
/// `q.lock().unwrap().pop()` checks a queue, it is not a job of the loop.
const STATE_ACCESSORS: &[&str] = &[
    "pop",
    "pop_front",
    "pop_back",
    "get",
    "first",
    "last",
    "front",
    "back",
    "contains",
    "contains_key",
    "take",
    "copied",
    "cloned",
];

/// Whether `e` is the result of a polling call, through unwrapping and field access
/// (`self.q.lock().unwrap()`, `state.read()?.jobs`).
fn on_polled(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) if POLLS.iter().any(|p| m.method == p) => true,
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "unwrap" | "expect" | "as_mut" | "as_ref" | "get_mut"
            ) || STATE_ACCESSORS.iter().any(|a| m.method == a) =>
        {
            on_polled(&m.receiver)
        }
        Expr::Try(t) => on_polled(&t.expr),
        Expr::Field(f) => on_polled(&f.base),
        Expr::Paren(p) => on_polled(&p.expr),
        _ => false,
    }
}

/// Fn calls that build values: not work.
const PLAIN_FNS: &[&str] = &[
    "from_millis",
    "from_secs",
    "from_micros",
    "from_nanos",
    "from_secs_f32",
    "from_secs_f64",
    "now",
    "Ok",
    "Err",
    "Some",
    "drop",
    "min",
    "max",
];

/// Whether `e` always leaves the loop: a `return` or `break`, or a block that ends in one.
fn ends_in_exit(e: &Expr) -> bool {
    match paths::peel(e) {
        Expr::Return(_) | Expr::Break(_) => true,
        Expr::Block(b) => block_ends_in_exit(&b.block),
        _ => false,
    }
}

fn block_ends_in_exit(b: &syn::Block) -> bool {
    match b.stmts.last() {
        Some(syn::Stmt::Expr(e, _)) => ends_in_exit(e),
        _ => false,
    }
}

/// Whether the loop body does work besides polling and sleeping: a call that is not a sleep,
/// a polling method, a value constructor or a combinator (a periodic job gated by a flag is
/// not a busy-wait).
fn does_work(cx: &FileCx<'_>, body: &syn::Block) -> bool {
    let mut w = Work { cx, found: false };
    w.visit_block(body);
    w.found
}

struct Work<'c, 'a> {
    cx: &'c FileCx<'a>,
    found: bool,
}

impl<'ast> Visit<'ast> for Work<'_, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.found {
            return;
        }
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            // What a branch that leaves the loop does runs once, on the way out (handing the
            // polled item over, notifying a waiter): not work of every iteration.
            Expr::Match(m) => {
                self.visit_expr(&m.expr);
                for arm in m.arms.iter().filter(|a| !ends_in_exit(&a.body)) {
                    self.visit_pat(&arm.pat);
                    self.visit_expr(&arm.body);
                }
            }
            Expr::If(i) => {
                self.visit_expr(&i.cond);
                if !block_ends_in_exit(&i.then_branch) {
                    self.visit_block(&i.then_branch);
                }
                if let Some((_, other)) = &i.else_branch
                    && !ends_in_exit(other)
                {
                    self.visit_expr(other);
                }
            }
            Expr::Call(c) => {
                let plain = is_sleep(self.cx, e)
                    || paths::call_last_segment(c)
                        .is_some_and(|s| PLAIN_FNS.iter().any(|p| s == p));
                if !plain {
                    self.found = true;
                    return;
                }
                visit::visit_expr(self, e);
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                let plain = POLLS.contains(&name.as_str())
                    || PLAIN_METHODS.contains(&name.as_str())
                    || (STATE_ACCESSORS.contains(&name.as_str()) && on_polled(&m.receiver));
                if !plain {
                    self.found = true;
                    return;
                }
                visit::visit_expr(self, e);
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}
