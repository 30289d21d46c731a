//! Closures bound to a variable and then run off the executor:
//! `let job = move || std::fs::read(p); tokio::task::spawn_blocking(job)`. Such a closure's
//! body is offloaded code, like a closure written in the offloader's argument list, when every
//! later use of the variable in its block is an argument of an offloader
//! ([`paths::OFFLOADER_NAMES`]). A closure that is also called (`job()`), or passed anywhere
//! else, may run inline and stays async code.

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
        matches!(paths::peel(e), Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.name))
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
        let named = mac
            .tokens
            .clone()
            .into_iter()
            .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == *self.name));
        if named {
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
