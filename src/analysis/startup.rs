//! Startup code: what an async program runs before anything runs beside it. A blocking call
//! there (reading the configuration, a key file, a prompt) stalls no other task, because there
//! is none yet; the blocking rules (`blocking-sleep`, `blocking-fs`, `blocking-call`) leave it
//! out in phase 2, as the test-code policy does for tests.
//!
//! Phase 1 ([`clean_calls`]) records, for each `async fn`, the calls of its own body that run
//! before its first suspension point on every path: an `.await`, a macro that awaits
//! (`select!`, `join!`), a spawn (`tokio::spawn`, `set.spawn(..)`), or anything inside a loop
//! that suspends. Branches are followed separately (an `.await` in one `match` arm does not
//! precede the other arms, nor one in a branch that ends by returning what follows the
//! branch). Closures and async blocks run later: none of their calls are recorded.
//!
//! Phase 2 ([`StartupCode`]) calls an async fn startup code when it is a runtime entry
//! (`#[tokio::main]`, `#[actix_web::main]`, ..; not a test), or when it has at least one call
//! in the crate and every call of it is in startup code: the future sync code blocks on
//! (`rt.block_on(run(args))`, `futures::executor::block_on(run())`: the calling thread runs
//! it, and nothing runs beside it until it spawns), or a call in the own body of a startup fn,
//! outside loops and closures, before that fn's first suspension point. An `async` block sync
//! code blocks on (`rt.block_on(async { .. })`) is startup code of its fn the same way: its
//! calls before it first suspends are recorded under that fn. Fns callers outside
//! the crate could reach (`pub` in a library, trait methods) are never startup code.

use syn::visit::{self, Visit};
use syn::{Block, Expr, Item};

use crate::analysis::index::CrateIndex;
use crate::analysis::test_policy::GOVERNED;
use crate::diagnostic::Diagnostic;

/// Records in `out`, as `(file offset, fn_index, awaited)`, the starts of the calls of `body`
/// (the body of the async fn `fn_index`, parsed from file offset `base`) that run before the fn
/// first suspends or starts a task, on every path; `awaited` when the call's value is awaited
/// right there (`setup(..).await`: an async callee's body runs then, not in another task).
pub fn clean_calls(body: &Block, base: usize, fn_index: u32, out: &mut Vec<(u32, u32, bool)>) {
    let mut walk = Clean {
        suspended: false,
        record: true,
        base,
        fn_index,
        out,
    };
    walk.visit_block(body);
}

/// The walk of [`clean_calls`]: `suspended` says whether some path to the current point
/// passed a suspension point.
struct Clean<'o> {
    suspended: bool,
    record: bool,
    base: usize,
    fn_index: u32,
    out: &'o mut Vec<(u32, u32, bool)>,
}

impl Clean<'_> {
    fn record(&mut self, e: &Expr) {
        if self.record
            && !self.suspended
            && let Some(start) = crate::span::expr_start(e)
            && let Ok(at) = u32::try_from(start + self.base)
        {
            self.out.push((at, self.fn_index, false));
        }
    }

    /// Marks the call `e` (recorded last, if it was) as awaited where it is made.
    fn awaited(&mut self, e: &Expr) {
        let e = crate::analysis::paths::peel(e);
        if !matches!(e, Expr::Call(_) | Expr::MethodCall(_)) {
            return;
        }
        let Some(at) = crate::span::expr_start(e).and_then(|s| u32::try_from(s + self.base).ok())
        else {
            return;
        };
        if let Some(last) = self.out.last_mut()
            && last.0 == at
            && last.1 == self.fn_index
        {
            last.2 = true;
        }
    }

    /// Whether some path through `f` suspends (nothing recorded).
    fn suspends(&mut self, f: impl FnOnce(&mut Self)) -> bool {
        let (suspended, record) = (self.suspended, self.record);
        self.suspended = false;
        self.record = false;
        f(self);
        let out = self.suspended;
        (self.suspended, self.record) = (suspended, record);
        out
    }

    /// A loop: its body runs again after any suspension in it, so when some path through it
    /// (or its condition) suspends, nothing in it is before the first suspension.
    fn looped(&mut self, f: impl Fn(&mut Self)) {
        if self.suspends(&f) {
            self.suspended = true;
        } else {
            f(self);
        }
    }
}

impl<'ast> Visit<'ast> for Clean<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.suspended {
            return;
        }
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Await(a) => {
                self.visit_expr(&a.base);
                if self.record && !self.suspended {
                    self.awaited(&a.base);
                }
                self.suspended = true;
            }
            Expr::Call(c) => {
                visit::visit_expr_call(self, c);
                self.record(e);
                let spawns = crate::analysis::paths::call_path(c)
                    .and_then(|p| p.segments.last())
                    .is_some_and(|s| s.ident.to_string().starts_with("spawn"));
                self.suspended |= spawns;
            }
            Expr::MethodCall(m) => {
                visit::visit_expr_method_call(self, m);
                self.record(e);
                self.suspended |= m.method.to_string().starts_with("spawn");
            }
            Expr::If(i) => {
                self.visit_expr(&i.cond);
                let before = self.suspended;
                self.visit_block(&i.then_branch);
                // A branch that returns leaves the fn: what follows runs only after the others.
                let then = self.suspended && !block_returns(&i.then_branch);
                self.suspended = before;
                let other = match &i.else_branch {
                    Some((_, other)) => {
                        self.visit_expr(other);
                        self.suspended && !expr_returns(other)
                    }
                    None => before,
                };
                self.suspended = then || other;
            }
            Expr::Match(m) => {
                self.visit_expr(&m.expr);
                let before = self.suspended;
                let mut any = before;
                for arm in &m.arms {
                    self.suspended = before;
                    // A guard (`Pat::Guard`) runs before the arm's body.
                    self.visit_pat(&arm.pat);
                    self.visit_expr(&arm.body);
                    any |= self.suspended && !expr_returns(&arm.body);
                }
                self.suspended = any;
            }
            Expr::Loop(l) => self.looped(|s| s.visit_block(&l.body)),
            Expr::While(w) => self.looped(|s| {
                s.visit_expr(&w.cond);
                s.visit_block(&w.body);
            }),
            Expr::ForLoop(f) => {
                self.visit_expr(&f.expr);
                self.looped(|s| s.visit_block(&f.body));
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // A macro's calls are not seen; one that may await or spawn suspends.
        let suspends = crate::analysis::bindings::patterns::any_token(&m.tokens, &|tt| {
            matches!(tt, proc_macro2::TokenTree::Ident(i)
                if i == "await" || i.to_string().starts_with("spawn"))
        });
        let name = m.path.segments.last().map(|s| s.ident.to_string());
        let awaits = matches!(
            name.as_deref(),
            Some("select" | "select_biased" | "join" | "try_join" | "pin")
        );
        self.suspended |= awaits || suspends;
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// Whether a branch ends by leaving the fn on every path through its end: its last statement is
/// a `return` or a macro that returns or panics (`bail!`, `panic!`, `unreachable!`, `todo!`,
/// `unimplemented!`). `break` and `continue` do not count: the loop they leave or repeat runs
/// on (the loop's own rule covers a suspension in its body).
fn block_returns(block: &Block) -> bool {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(e, _)) => expr_returns(e),
        Some(syn::Stmt::Macro(m)) => macro_returns(&m.mac),
        _ => false,
    }
}

/// [`block_returns`] for a branch written as an expression (an `else`, a `match` arm).
fn expr_returns(e: &Expr) -> bool {
    match e {
        Expr::Return(_) => true,
        Expr::Block(b) if b.label.is_none() => block_returns(&b.block),
        Expr::If(i) => {
            block_returns(&i.then_branch)
                && i.else_branch.as_ref().is_some_and(|(_, e)| expr_returns(e))
        }
        Expr::Macro(m) => macro_returns(&m.mac),
        _ => false,
    }
}

fn macro_returns(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| {
        s.ident == "bail"
            || s.ident == "panic"
            || s.ident == "unreachable"
            || s.ident == "todo"
            || s.ident == "unimplemented"
    })
}

/// Whether some of `diags` are findings this policy governs.
pub fn governs_any(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| GOVERNED.contains(&d.rule.id))
}

/// Which fns of a group are startup code (see the module docs), by call-graph node.
pub struct StartupCode {
    startup: Vec<bool>,
}

impl StartupCode {
    /// Computes the startup fns of `index`.
    pub fn compute(index: &CrateIndex) -> StartupCode {
        let g = index.call_graph();
        let mut startup = vec![false; g.len()];
        let mut sites: Vec<Vec<(usize, usize)>> = vec![Vec::new(); g.len()];
        for (fi, file) in index.files.iter().enumerate() {
            for (ci, _) in file.facts.calls.iter().enumerate() {
                if let Some(callee) = g.callee(fi, ci)
                    && let Some(s) = sites.get_mut(callee)
                {
                    s.push((fi, ci));
                }
            }
        }
        let inputs = index.inputs();
        let sema = index.semantics();
        let mut candidates = Vec::new();
        for (node, done) in startup.iter_mut().enumerate() {
            let (Some((fi, fn_index)), Some(f)) = (g.location(node), g.fact(&index.files, node))
            else {
                continue;
            };
            if !f.is_async || !f.has_body || f.trait_name.is_some() {
                continue;
            }
            if sema.is_test(&inputs, fi as u32, fn_index as u32) {
                continue;
            }
            if f.runtime_entry {
                *done = true;
            } else if !sites[node].is_empty()
                && (f.vis != crate::semantic::items::Vis::Public || sema.only_in_bins(fi as u32))
            {
                candidates.push(node);
            }
        }
        // A sync fn that blocks on an `async` block directly: the block's prefix (recorded
        // under the fn) is startup code.
        for (fi, file) in index.files.iter().enumerate() {
            for &(fn_index, _) in &file.facts.root_blocks {
                if !sema.is_test(&inputs, fi as u32, fn_index)
                    && let Some(s) = startup.get_mut(g.node(fi, fn_index as usize))
                {
                    *s = true;
                }
            }
        }
        // Grows to a fixed point: a fn joins once every call of it is startup code.
        loop {
            let before = candidates.len();
            candidates.retain(|&node| {
                let all = sites[node]
                    .iter()
                    .all(|&(fi, ci)| Self::startup_call(index, &startup, fi, ci));
                if all {
                    startup[node] = true;
                }
                !all
            });
            if candidates.len() == before {
                break;
            }
        }
        StartupCode { startup }
    }

    /// Whether call `ci` of file `fi` runs in startup code: the future sync code blocks on
    /// (`rt.block_on(run())`), or a call in the own body of a startup fn, outside loops and
    /// closures, before the fn first suspends.
    fn startup_call(index: &CrateIndex, startup: &[bool], fi: usize, ci: usize) -> bool {
        let g = index.call_graph();
        let file = &index.files[fi];
        let Some(call) = file.facts.calls.get(ci) else {
            return false;
        };
        if !call.in_async && file.facts.root_calls.binary_search(&call.start).is_ok() {
            // The future a sync fn blocks on: nothing runs beside it on its thread yet.
            return true;
        }
        let caller = g.node(fi, call.caller as usize);
        let own_context = file
            .facts
            .fns
            .get(call.caller as usize)
            .is_some_and(|f| f.range.start == call.context_start as usize)
            || file
                .facts
                .root_blocks
                .binary_search(&(call.caller, call.context_start))
                .is_ok();
        startup.get(caller).copied().unwrap_or(false)
            && call.in_async
            && own_context
            && !call.in_loop
            && !call.in_closure
            // An async callee runs here only when its future is awaited here.
            && is_clean(file, call.start, call.caller, true)
    }

    /// Drops the governed findings of file `file` that are in startup code.
    pub fn apply(&self, index: &CrateIndex, file: usize, diags: &mut Vec<Diagnostic>) {
        let g = index.call_graph();
        let Some(f) = index.files.get(file) else {
            return;
        };
        diags.retain(|d| {
            if !GOVERNED.contains(&d.rule.id) {
                return true;
            }
            let Ok(at) = u32::try_from(d.range.start) else {
                return true;
            };
            let Some(fn_index) = clean_fn(f, at) else {
                return true;
            };
            !self
                .startup
                .get(g.node(file, fn_index as usize))
                .copied()
                .unwrap_or(false)
        });
    }
}

/// The startup entries of `file` for calls starting at `at`: (fn index, awaited there).
fn entries_at(
    file: &crate::analysis::facts::IndexedFile,
    at: u32,
) -> impl Iterator<Item = (u32, bool)> + '_ {
    let calls = &file.facts.startup;
    let k = calls.partition_point(|&(o, _, _)| o < at);
    calls[k..]
        .iter()
        .take_while(move |&&(o, _, _)| o == at)
        .map(|&(_, f, w)| (f, w))
}

/// The fn whose startup calls include one starting at `at`.
fn clean_fn(file: &crate::analysis::facts::IndexedFile, at: u32) -> Option<u32> {
    entries_at(file, at).next().map(|(f, _)| f)
}

/// Whether fn `fn_index` of `file` makes a call at `at` before it first suspends (and awaits
/// it there, with `awaited`).
fn is_clean(
    file: &crate::analysis::facts::IndexedFile,
    at: u32,
    fn_index: u32,
    awaited: bool,
) -> bool {
    entries_at(file, at).any(|(f, w)| f == fn_index && (w || !awaited))
}

#[cfg(test)]
mod tests {
    use super::clean_calls;

    /// The text of the calls of `body` recorded as running before the first suspension.
    fn clean(body: &str) -> Vec<String> {
        let src = format!("async fn f() {body}");
        let f: syn::ItemFn = syn::parse_str(&src).unwrap();
        let mut out = Vec::new();
        clean_calls(&f.block, 0, 0, &mut out);
        out.sort_unstable();
        out.dedup();
        let names = out
            .iter()
            .map(|&(at, _, awaited)| {
                let rest = &src[at as usize..];
                let name = &rest[..rest.find('(').unwrap_or(rest.len())];
                format!("{name}{}", if awaited { ".await" } else { "" })
            })
            .collect();
        proc_macro2::extra::invalidate_current_thread_spans();
        names
    }

    #[test]
    fn calls_before_the_first_suspension_on_every_path() {
        assert_eq!(clean("{ a(); b().await; c(); }"), ["a", "b.await"]);
        assert_eq!(
            clean("{ match x { 1 => p().await, 2 => q(), _ => {} } r(); }"),
            ["p.await", "q"]
        );
        assert_eq!(
            clean("{ if c() { d().await } else { e() } g(); }"),
            ["c", "d.await", "e"]
        );
        assert_eq!(clean("{ for x in it() { l(); m().await; } n(); }"), ["it"]);
        assert_eq!(clean("{ for x in it() { l(); } n(); }"), ["it", "l", "n"]);
        assert_eq!(
            clean("{ s(); tokio::spawn(t()); u(); }"),
            ["s", "tokio::spawn", "t"]
        );
        assert_eq!(
            clean("{ v(); tokio::select! { _ = w() => {} } x(); }"),
            ["v"]
        );
        assert_eq!(clean("{ outer(inner().await); }"), ["inner.await"]);
        assert_eq!(clean("{ let c = || z(); async { y() }; k(); }"), ["k"]);
    }

    /// A branch that suspends and then leaves the fn does not precede what follows it: only
    /// the paths that did not suspend reach it. `break`/`continue` leave a loop, not the fn.
    #[test]
    fn a_branch_that_returns_does_not_suspend_what_follows() {
        assert_eq!(
            clean("{ if v { p().await; return; } q(); }"),
            ["p.await", "q"]
        );
        assert_eq!(
            clean("{ if v { p().await; return Ok(()) } else { r() } q(); }"),
            ["p.await", "r", "q"]
        );
        assert_eq!(
            clean("{ if v { a() } else { b().await; eyre::bail!(\"no\") } q(); }"),
            ["a", "b.await", "q"]
        );
        assert_eq!(
            clean(
                "{ match x { A(c) => return c.run().await, B => d(), _ => unreachable!() } q(); }"
            ),
            ["c.run.await", "d", "q"]
        );
        assert_eq!(
            clean("{ match x { A => { e().await; return; } B => { f().await; } } q(); }"),
            ["e.await", "f.await"]
        );
        // Still suspended: the branch goes on, or only leaves a loop.
        assert_eq!(clean("{ if v { p().await; } q(); }"), ["p.await"]);
        assert_eq!(
            clean("{ loop { if v { p().await; continue; } q(); } }"),
            Vec::<String>::new()
        );
        // Only the last statement is read (dead code after a `return` is not looked past).
        assert_eq!(
            clean("{ if v { p().await; return; q(); } r(); }"),
            ["p.await"]
        );
    }
}
