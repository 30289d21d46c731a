//! Scanning the statements after a followed binding for every use of its name (see the
//! parent module): method calls are rewritten through [`Tracer::method_use`], anything else
//! fails with the use named.

use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat, Stmt};

use super::{Target, Tracer, std_name};

/// Whether a pattern binds `name`.
pub(super) fn binds(pat: &Pat, name: &str) -> bool {
    struct B<'n>(&'n str, bool);
    impl Visit<'_> for B<'_> {
        fn visit_pat_ident(&mut self, p: &syn::PatIdent) {
            if p.ident == self.0 {
                self.1 = true;
            }
            visit::visit_pat_ident(self, p);
        }
    }
    let mut b = B(name, false);
    b.visit_pat(pat);
    b.1
}

fn mentions(tokens: proc_macro2::TokenStream, name: &str) -> bool {
    count_ident(tokens, name) > 0
}

/// How often the identifier `name` occurs in `tokens` (macro bodies included).
pub fn count_ident(tokens: proc_macro2::TokenStream, name: &str) -> usize {
    tokens
        .into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Ident(i) => usize::from(i == name),
            proc_macro2::TokenTree::Group(g) => count_ident(g.stream(), name),
            _ => 0,
        })
        .sum()
}

fn is_name(e: &Expr, name: &str) -> bool {
    matches!(e, Expr::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// Scans statements for uses of one name.
pub(super) struct Uses<'t, 'c, 'a, 'o, 'n> {
    pub(super) tracer: &'t mut Tracer<'c, 'a, 'o>,
    pub(super) name: &'n str,
    pub(super) target: Target,
    /// Depth of sync closures (no `.await` there).
    pub(super) closures: u32,
    pub(super) err: Option<String>,
}

impl Uses<'_, '_, '_, '_, '_> {
    fn fail(&mut self, why: String) {
        if self.err.is_none() {
            self.err = Some(why);
        }
    }

    /// One statement of the followed block; `after` is the rest of the block.
    pub(super) fn stmt(&mut self, stmt: &Stmt, after: &[Stmt]) {
        if let Stmt::Local(l) = stmt
            && let Some(init) = &l.init
            && init.diverge.is_none()
            && let Some(m) = peel_result(&init.expr)
            && is_name(&m.receiver, self.name)
            && self.closures == 0
        {
            // `let (s, _) = listener.accept()?;`: the accepted stream is followed too.
            if let Err(e) = self
                .tracer
                .method_use(m, self.target, Some((&l.pat, after)))
            {
                self.fail(e);
            }
            for a in &m.args {
                self.visit_expr(a);
            }
            return;
        }
        self.visit_stmt(stmt);
    }
}

/// Whether a method of a `Result` yields its `Ok` value or keeps its `Ok` type (`?` may follow).
pub(super) fn keeps_ok_type(method: &str) -> bool {
    matches!(
        method,
        "unwrap" | "expect" | "map_err" | "context" | "with_context" | "wrap_err"
    )
}

/// The method call under `?`, `.unwrap()`, `.expect(..)`, `.map_err(..)`.
fn peel_result(mut e: &Expr) -> Option<&syn::ExprMethodCall> {
    loop {
        match e {
            Expr::Try(t) => e = &t.expr,
            Expr::Paren(p) => e = &p.expr,
            Expr::MethodCall(m) if keeps_ok_type(&m.method.to_string()) => e = &m.receiver,
            Expr::MethodCall(m) => return Some(m),
            _ => return None,
        }
    }
}

impl<'ast> Visit<'ast> for Uses<'_, '_, '_, '_, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.err.is_some() {
            return;
        }
        match e {
            Expr::MethodCall(m) if is_name(&m.receiver, self.name) => {
                if self.closures > 0 {
                    self.fail(format!("`{}` is used in a closure", self.name));
                    return;
                }
                if let Err(why) = self.tracer.method_use(m, self.target, None) {
                    self.fail(why);
                    return;
                }
                for a in &m.args {
                    self.visit_expr(a);
                }
            }
            // `drop(name)` is fine whatever its type.
            Expr::Call(c)
                if c.args.len() == 1
                    && is_name(&c.args[0], self.name)
                    && matches!(&*c.func, Expr::Path(p) if p.path.is_ident("drop")) => {}
            Expr::Path(_) if is_name(e, self.name) => {
                self.fail(format!(
                    "`{}` is passed on as a std `{}`",
                    self.name,
                    std_name(self.target)
                ));
            }
            Expr::Closure(c) => {
                if c.asyncness.is_some() {
                    visit::visit_expr_closure(self, c);
                } else {
                    self.closures += 1;
                    visit::visit_expr_closure(self, c);
                    self.closures -= 1;
                }
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if mentions(m.tokens.clone(), self.name) {
            let name = m
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            self.fail(format!("`{}` is used in `{name}!`", self.name));
        }
    }

    fn visit_pat(&mut self, p: &'ast Pat) {
        if binds(p, self.name) {
            self.fail(format!("`{}` is shadowed", self.name));
        }
    }

    fn visit_block(&mut self, b: &'ast Block) {
        for (i, stmt) in b.stmts.iter().enumerate() {
            self.stmt(stmt, &b.stmts[i + 1..]);
            if self.err.is_some() {
                return;
            }
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
