//! Closures bound to a variable and then run off the executor:
//! `let job = move || std::fs::read(p); tokio::task::spawn_blocking(job)`. Such a closure's
//! body is offloaded code, like a closure written in the offloader's argument list, when every
//! later use of the variable in its block is an argument of an offloader
//! ([`paths::OFFLOADER_NAMES`]). A closure that is also called (`job()`), or passed anywhere
//! else, may run inline and stays async code.

use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{Expr, Stmt};

use crate::analysis::paths;

/// The addresses of the `let`-bound sync closures among `stmts` that only ever reach an
/// offloader (see the module docs). Addresses are stable while the syntax tree lives.
pub fn offloaded_closures(stmts: &[Stmt], out: &mut Vec<usize>) {
    for (i, stmt) in stmts.iter().enumerate() {
        let Stmt::Local(local) = stmt else { continue };
        let Some(init) = &local.init else { continue };
        let Expr::Closure(closure) = paths::peel(&init.expr) else {
            continue;
        };
        if closure.asyncness.is_some() || init.diverge.is_some() {
            continue;
        }
        let Some(name) = bound_name(&local.pat) else {
            continue;
        };
        let mut uses = Uses {
            name,
            offloaded: 0,
            other: 0,
        };
        for later in &stmts[i + 1..] {
            if let Stmt::Local(l) = later
                && bound_name(&l.pat) == Some(name)
            {
                // Shadowed: its initializer still sees this binding, nothing after it does.
                if let Some(init) = &l.init {
                    uses.visit_expr(&init.expr);
                }
                break;
            }
            uses.visit_stmt(later);
        }
        if uses.offloaded > 0 && uses.other == 0 {
            out.push(std::ptr::from_ref(closure) as usize);
        }
    }
}

/// Whether the value `stmts[i]` (`let name = ..;`) binds is never dropped in this block: it
/// certainly moves into a `move` sync closure handed to an offloader
/// (`std::thread::spawn(move || rt.block_on(..))`: used, and dropped, off the executor), is
/// leaked (`std::mem::forget(rt)`) or is shut down without blocking
/// (`rt.shutdown_background()`). Certain means: not inside a branch or a loop, and no `?`,
/// `return`, `break` or `continue` before it (which would drop the value here). Uses before it
/// borrow the value (a move would not compile) and do not drop it. A value with no such use, or
/// with a use that may move it elsewhere (in a branch, as another call's argument, in a macro),
/// is no.
pub fn moved_into_offloaded(stmts: &[Stmt], i: usize) -> bool {
    let Some(Stmt::Local(local)) = stmts.get(i) else {
        return false;
    };
    let Some(name) = bound_name(&local.pat) else {
        return false;
    };
    let mut uses = Moves {
        name,
        moved: 0,
        after_move: 0,
        branch: 0,
        exits: false,
    };
    for later in &stmts[i + 1..] {
        if let Stmt::Local(l) = later
            && bound_name(&l.pat) == Some(name)
        {
            if let Some(init) = &l.init {
                uses.visit_expr(&init.expr);
            }
            break;
        }
        uses.visit_stmt(later);
    }
    uses.moved > 0 && uses.after_move == 0
}

/// Counts the certain moves of one variable off this block (into a `move` sync closure handed
/// to an offloader, `mem::forget`, `shutdown_background()`) and its uses after them.
struct Moves<'n> {
    name: &'n syn::Ident,
    moved: usize,
    /// Uses after the first certain move (none compiles; counted to stay on the safe side).
    after_move: usize,
    /// How many branches or loops the visit is in.
    branch: usize,
    /// Whether an early exit (`?`, `return`, ..) was seen.
    exits: bool,
}

impl Moves<'_> {
    /// Whether a use here certainly runs: outside branches and loops, before any early exit.
    fn certain(&self) -> bool {
        self.branch == 0 && !self.exits
    }

    fn is_name(&self, e: &Expr) -> bool {
        paths::is_local(e, self.name)
    }

    fn args<'a>(&mut self, offloader: bool, args: impl Iterator<Item = &'a Expr>) {
        for arg in args {
            if offloader
                && let Expr::Closure(c) = paths::peel(arg)
                && c.capture.is_some()
                && c.asyncness.is_none()
                && mentions(c.body.to_token_stream(), self.name)
            {
                if self.certain() {
                    self.moved += 1;
                }
            } else {
                self.visit_expr(arg);
            }
        }
    }
}

fn mentions(tokens: proc_macro2::TokenStream, name: &syn::Ident) -> bool {
    crate::analysis::bindings::patterns::mentions(tokens, &name.to_string())
}

impl<'ast> Visit<'ast> for Moves<'_> {
    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.visit_expr(&e.cond);
        self.branch += 1;
        self.visit_block(&e.then_branch);
        if let Some((_, els)) = &e.else_branch {
            self.visit_expr(els);
        }
        self.branch -= 1;
    }

    fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
        self.visit_expr(&e.expr);
        self.branch += 1;
        e.arms.iter().for_each(|a| self.visit_arm(a));
        self.branch -= 1;
    }

    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.branch += 1;
        visit::visit_expr_while(self, e);
        self.branch -= 1;
    }

    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.branch += 1;
        visit::visit_expr_for_loop(self, e);
        self.branch -= 1;
    }

    fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
        self.branch += 1;
        visit::visit_expr_loop(self, e);
        self.branch -= 1;
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        // An exit inside a closure leaves the closure, not this block.
        let exits = self.exits;
        self.branch += 1;
        visit::visit_expr_closure(self, c);
        self.branch -= 1;
        self.exits = exits;
    }

    fn visit_expr_try(&mut self, e: &'ast syn::ExprTry) {
        visit::visit_expr_try(self, e);
        self.exits = true;
    }

    fn visit_expr_return(&mut self, e: &'ast syn::ExprReturn) {
        visit::visit_expr_return(self, e);
        self.exits = true;
    }

    fn visit_expr_break(&mut self, e: &'ast syn::ExprBreak) {
        visit::visit_expr_break(self, e);
        self.exits = true;
    }

    fn visit_expr_continue(&mut self, e: &'ast syn::ExprContinue) {
        visit::visit_expr_continue(self, e);
        self.exits = true;
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        // `std::mem::forget(rt)`: leaked, never dropped.
        if self.certain()
            && is_mem_forget(&call.func)
            && call.args.len() == 1
            && call.args.first().is_some_and(|a| self.is_name(a))
        {
            self.moved += 1;
            return;
        }
        // `let shared = Arc::new(rt);`: shared ownership, the last owner drops it and where
        // that is is unknown (as for `Arc::new(Runtime::new()?)`).
        if self.certain()
            && is_shared_new(&call.func)
            && call.args.len() == 1
            && call.args.first().is_some_and(|a| self.is_name(a))
        {
            self.moved += 1;
            return;
        }
        let offloader = paths::call_last_segment(call)
            .is_some_and(|i| paths::OFFLOADER_NAMES.iter().any(|n| i == n));
        self.visit_expr(&call.func);
        self.args(offloader, call.args.iter());
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // `rt.shutdown_background()`: consumed without blocking, as tokio allows in async code.
        if self.certain() && m.method == "shutdown_background" && self.is_name(&m.receiver) {
            self.moved += 1;
            return;
        }
        let offloader = paths::OFFLOADER_NAMES.iter().any(|n| m.method == n);
        self.visit_expr(&m.receiver);
        self.args(offloader, m.args.iter());
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if p.qself.is_none() && p.path.is_ident(self.name) && self.moved > 0 {
            self.after_move += 1;
        }
        visit::visit_expr_path(self, p);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.moved > 0 && mentions(mac.tokens.clone(), self.name) {
            self.after_move += 1;
        }
    }
}

/// `Arc::new` or `Rc::new`, however qualified.
fn is_shared_new(func: &Expr) -> bool {
    matches!(paths::peel(func), Expr::Path(p)
        if p.path.segments.len() >= 2
            && p.path.segments.last().is_some_and(|s| s.ident == "new")
            && p.path.segments.iter().rev().nth(1).is_some_and(|s| s.ident == "Arc" || s.ident == "Rc"))
}

/// `std::mem::forget` (also as `mem::forget`, `core::mem::forget`, or imported).
fn is_mem_forget(func: &Expr) -> bool {
    crate::analysis::bindings::patterns::is_mem_fn(paths::peel(func), "forget")
}

fn bound_name(pat: &syn::Pat) -> Option<&syn::Ident> {
    match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => Some(&p.ident),
        syn::Pat::Type(t) => bound_name(&t.pat),
        _ => None,
    }
}

/// Counts the uses of one variable: as an offloader's argument, or anything else.
struct Uses<'n> {
    name: &'n syn::Ident,
    offloaded: usize,
    other: usize,
}

impl Uses<'_> {
    fn is_name(&self, e: &Expr) -> bool {
        paths::is_local(e, self.name)
    }

    fn args<'a>(&mut self, offloader: bool, args: impl Iterator<Item = &'a Expr>) {
        for arg in args {
            if offloader && self.is_name(arg) {
                self.offloaded += 1;
            } else {
                self.visit_expr(arg);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        let offloader = paths::call_last_segment(call)
            .is_some_and(|i| paths::OFFLOADER_NAMES.iter().any(|n| i == n));
        self.visit_expr(&call.func);
        self.args(offloader, call.args.iter());
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let offloader = paths::OFFLOADER_NAMES.iter().any(|n| m.method == n);
        self.visit_expr(&m.receiver);
        self.args(offloader, m.args.iter());
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if p.qself.is_none() && p.path.is_ident(self.name) {
            self.other += 1;
        }
        visit::visit_expr_path(self, p);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // A use inside a macro body cannot be judged: count it as one that may run the closure.
        if mentions(mac.tokens.clone(), self.name) {
            self.other += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(src: &str) -> usize {
        let block: syn::Block = syn::parse_str(src).unwrap();
        let mut out = Vec::new();
        offloaded_closures(&block.stmts, &mut out);
        out.len()
    }

    fn moved(src: &str) -> bool {
        let block: syn::Block = syn::parse_str(src).unwrap();
        moved_into_offloaded(&block.stmts, 0)
    }

    #[test]
    fn values_moved_into_threads() {
        assert!(moved(
            "{ let rt = Runtime::new().unwrap(); std::thread::spawn(move || rt.block_on(f())); }"
        ));
        assert!(moved(
            "{ let rt = new(); thread::Builder::new().spawn(move || { let _g = rt.enter(); rt.block_on(f()) }).unwrap(); }"
        ));
        // Shared: `Arc::new(rt)` in a later statement, like `Arc::new(Runtime::new()?)`.
        assert!(moved(
            "{ let rt = new(); let h = Arc::new(rt); thread::spawn(move || h.block_on(f())); }"
        ));
        assert!(moved("{ let rt = new(); let h = std::rc::Rc::new(rt); }"));
        assert!(!moved(
            "{ let rt = new(); if on { let h = Arc::new(rt); } }"
        ));
        // Borrowed by a closure that is not `move`, used on this thread, or never moved.
        assert!(!moved(
            "{ let rt = new(); std::thread::scope(|s| s.spawn(|| rt.block_on(f()))); }"
        ));
        assert!(!moved(
            "{ let rt = new(); thread::spawn(move || rt.block_on(f())); rt.enter(); }"
        ));
        assert!(!moved("{ let rt = new(); }"));
        assert!(!moved("{ let rt = new(); run(move || rt.block_on(f())); }"));
        assert!(!moved(
            "{ let rt = new(); thread::spawn(move || g()); log!(rt); }"
        ));
        // Moved only on one branch, or after an early exit: dropped here otherwise.
        assert!(!moved(
            "{ let rt = new(); if on { thread::spawn(move || rt.block_on(f())); } }"
        ));
        assert!(!moved(
            "{ let rt = new(); let x = g()?; thread::spawn(move || rt.block_on(f())); }"
        ));
        assert!(moved(
            "{ let rt = new(); let x = g(|| h()?); thread::spawn(move || rt.block_on(f())).join()?; }"
        ));
        // Shadowed: the later binding's uses are not this one's.
        assert!(moved(
            "{ let rt = new(); thread::spawn(move || rt.block_on(f())); let rt = other(); rt.block_on(g()); }"
        ));
    }

    #[test]
    fn only_closures_that_reach_nothing_but_offloaders() {
        assert_eq!(count("{ let job = move || f(); spawn_blocking(job); }"), 1);
        assert_eq!(
            count("{ let job = || f(); rt.spawn_blocking(job).await; }"),
            1
        );
        assert_eq!(count("{ let job = || f(); job(); }"), 0);
        assert_eq!(
            count("{ let job = || f(); spawn_blocking(job); job(); }"),
            0
        );
        assert_eq!(count("{ let job = || f(); run(job); }"), 0);
        assert_eq!(count("{ let job = || f(); }"), 0);
        assert_eq!(
            count("{ let job = || f(); let job = Job::new(); spawn_blocking(job); }"),
            0
        );
        assert_eq!(count("{ let job = async || f(); spawn_blocking(job); }"), 0);
        assert_eq!(
            count("{ let job = || f(); log!(job()); spawn_blocking(job); }"),
            0
        );
    }
}
