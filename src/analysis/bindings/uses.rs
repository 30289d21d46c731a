//! "Is this binding used afterwards": mentions of a name in the statements after its `let`, an
//! explicit `drop(name)`, and the names bound anywhere in a file.

use std::collections::HashSet;
use std::ops::Range;

use syn::visit::Visit;
use syn::{Expr, Pat, Stmt};

use super::patterns::captures_or_mentions;
use crate::analysis::facts::DiscardKind;
use crate::analysis::file::FileCx;
use crate::analysis::paths::peel;

/// The call whose value statement `i` of `stmts` lets go unused, and how: `call;`,
/// `drop(call);`, `let _ = call;`, or `let x = call;` with `x` never mentioned afterwards (or only
/// dropped, see [`later_use`]). `is_drop` decides what a drop call is; a statement whose
/// attributes satisfy `deliberate` is skipped.
pub fn discarded<'s>(
    cx: &FileCx<'_>,
    stmts: &'s [Stmt],
    i: usize,
    is_drop: impl Fn(&syn::ExprCall) -> bool,
    deliberate: impl Fn(&[syn::Attribute]) -> bool,
) -> Option<(&'s Expr, DiscardKind)> {
    match stmts.get(i)? {
        Stmt::Expr(e, Some(_)) => {
            let e = peel(e);
            if expr_attrs(e).is_some_and(deliberate) {
                return None;
            }
            if let Expr::Call(c) = e
                && is_drop(c)
            {
                let arg = peel(c.args.first()?);
                (c.args.len() == 1 && is_call(arg)).then_some((arg, DiscardKind::Dropped))
            } else {
                is_call(e).then_some((e, DiscardKind::ExprStmt))
            }
        }
        Stmt::Local(local) => {
            let init = local.init.as_ref()?;
            if init.diverge.is_some() || deliberate(&local.attrs) {
                return None;
            }
            let value = peel(&init.expr);
            if !is_call(value) {
                return None;
            }
            let kind = match &local.pat {
                Pat::Wild(_) => DiscardKind::LetUnderscore,
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    let name = pi.ident.to_string();
                    match later_use(cx, &name, stmts.get(i + 1..)?, is_drop) {
                        LaterUse::Used => return None,
                        LaterUse::Unused => DiscardKind::UnusedBinding { name },
                        LaterUse::Dropped(drop_range) => {
                            DiscardKind::DroppedBinding { name, drop_range }
                        }
                    }
                }
                _ => return None,
            };
            Some((value, kind))
        }
        _ => None,
    }
}

fn expr_attrs(e: &Expr) -> Option<&[syn::Attribute]> {
    match e {
        Expr::Call(c) => Some(&c.attrs),
        Expr::MethodCall(m) => Some(&m.attrs),
        _ => None,
    }
}

fn is_call(e: &Expr) -> bool {
    matches!(e, Expr::Call(_) | Expr::MethodCall(_))
}

/// What the statements after a `let` do with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaterUse {
    /// Mentioned (including inside macros), or dropped more than once.
    Used,
    /// Never mentioned.
    Unused,
    /// Only by one statement that is exactly `drop(name);` (the range of the call).
    Dropped(Range<usize>),
}

/// Whether `name` is mentioned in `rest` (the statements after its `let`). A statement that is
/// exactly `drop(name);` (`is_drop` decides what a drop call is) counts as a drop, any other
/// mention (including inside macros) as a use.
pub fn later_use(
    cx: &FileCx<'_>,
    name: &str,
    rest: &[Stmt],
    is_drop: impl Fn(&syn::ExprCall) -> bool,
) -> LaterUse {
    let mut dropped = None;
    for stmt in rest {
        if let Stmt::Expr(e, _) = stmt
            && let Expr::Call(c) = peel(e)
            && c.args.len() == 1
            && is_drop(c)
            && matches!(peel(&c.args[0]), Expr::Path(p) if p.path.is_ident(name))
        {
            if dropped.is_some() {
                return LaterUse::Used;
            }
            dropped = Some(cx.range(c));
            continue;
        }
        if mentioned(name, stmt) {
            return LaterUse::Used;
        }
    }
    match dropped {
        Some(r) => LaterUse::Dropped(r),
        None => LaterUse::Unused,
    }
}

/// Whether a statement mentions `name` as an identifier, in its syntax tree or macro tokens.
pub fn mentioned(name: &str, stmt: &Stmt) -> bool {
    let mut finder = Mentions { name, found: false };
    finder.visit_stmt(stmt);
    finder.found
}

/// Finds any identifier equal to `name`, in the syntax tree and in macro token streams.
struct Mentions<'n> {
    name: &'n str,
    found: bool,
}

impl Mentions<'_> {
    fn scan_tokens(&mut self, tokens: &proc_macro2::TokenStream) {
        for tt in tokens.clone() {
            if self.found {
                return;
            }
            match tt {
                proc_macro2::TokenTree::Ident(i) => self.found = i == self.name,
                proc_macro2::TokenTree::Group(g) => self.scan_tokens(&g.stream()),
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        if !self.found && i == self.name {
            self.found = true;
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.found {
            return;
        }
        if let Expr::Verbatim(tokens) = e {
            self.scan_tokens(tokens);
            return;
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if !self.found {
            syn::visit::visit_macro(self, m);
            self.scan_tokens(&m.tokens);
        }
    }
}

/// Whether `name` is bound by a pattern anywhere in the file (a fn or closure parameter, a
/// `let`, a match arm): then a bare `name(..)` may call a local closure, not the crate's fn.
/// The set is computed once per file, on the first candidate that needs it.
pub fn bound_in_file(cx: &FileCx<'_>, name: &str) -> bool {
    thread_local! {
        static BOUND: std::cell::RefCell<(u64, HashSet<String>)> = std::cell::RefCell::default();
    }
    BOUND.with(|b| {
        let mut b = b.borrow_mut();
        if b.0 != cx.generation {
            let mut names = PatNames(HashSet::new());
            names.visit_file(cx.file);
            *b = (cx.generation, names.0);
        }
        b.1.contains(name)
    })
}

struct PatNames(HashSet<String>);

impl<'ast> Visit<'ast> for PatNames {
    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        self.0.insert(p.ident.to_string());
        syn::visit::visit_pat_ident(self, p);
    }
}

/// Finds a use of a binding in an expression (see [`used_in`]).
struct UsedIn<'n> {
    name: &'n str,
    found: bool,
}

impl<'ast> Visit<'ast> for UsedIn<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.found {
            return;
        }
        if let Expr::Path(p) = e
            && p.path.is_ident(self.name)
        {
            self.found = true;
            return;
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if captures_or_mentions(&mac.tokens, self.name) {
            self.found = true;
        }
    }
}

/// Whether `e` uses the binding `name`: as a path expression, or in a macro's tokens (also as
/// an inline format argument, `"{name}"`).
pub fn used_in(e: &Expr, name: &str) -> bool {
    let mut m = UsedIn { name, found: false };
    m.visit_expr(e);
    m.found
}
