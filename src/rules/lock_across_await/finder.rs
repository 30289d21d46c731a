//! Finds async bodies anywhere in a file (also inside `join!`/`select!` bodies), tracking the
//! imports and typed bindings in scope, and runs the binding model over each.

use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat, Stmt};

use crate::analysis::bindings::patterns::mentions;
use crate::analysis::bindings::{Interp, Tracked};
use crate::analysis::imports::Imports;
use crate::analysis::lock_types::{self, TyEnv};
use crate::analysis::macros::{self, MacroKind};
use crate::analysis::{FileCx, Sink};

use super::acquire::{Decl, LockData, Locks, fn_key};

/// Finds async bodies anywhere in the file (also inside `join!`/`select!` bodies), tracking the
/// imports and typed bindings in scope.
pub(super) struct Finder<'c, 'a, 's> {
    pub(super) cx: &'c FileCx<'a>,
    pub(super) sink: &'c mut Sink<'s>,
    pub(super) decl: Decl<'c>,
    pub(super) imports: Imports,
    pub(super) env: TyEnv,
    /// Reports the guards of one body (its byte range) that live across an `.await`.
    pub(super) report: Report,
}

/// How the rule reports what the binding model found in one body.
pub(super) type Report =
    fn(&FileCx<'_>, Vec<Tracked<LockData>>, std::ops::Range<usize>, &mut Sink<'_>);

impl Finder<'_, '_, '_> {
    /// The lock rule's tracker for a body starting here.
    fn locks(&self) -> Locks<'_, '_> {
        Locks {
            cx: self.cx,
            decl: self.decl,
            imports: &self.imports,
            env: self.env.snapshot(),
        }
    }

    fn analyze_block(&mut self, b: &Block) {
        let uses = push_block_uses(&mut self.imports, b);
        let mut an = Interp::new(self.cx, self.locks());
        an.body_block(b);
        let found = an.finish();
        record_rcs(self.cx, b, self.sink);
        (self.report)(self.cx, found, self.cx.range(b), self.sink);
        if uses {
            self.imports.pop();
        }
    }

    fn analyze_expr(&mut self, e: &Expr) {
        if let Expr::Block(b) = e {
            return self.analyze_block(&b.block);
        }
        let mut an = Interp::new(self.cx, self.locks());
        an.body_expr(e);
        let found = an.finish();
        (self.report)(self.cx, found, self.cx.range(e), self.sink);
    }

    /// Analyzes a fn body: all of it when the fn is async, else the async blocks, closures and
    /// items inside it (a sync body without the word `async` has none, and is skipped).
    fn fn_body<'ast>(&mut self, sig: &syn::Signature, body: &'ast Block)
    where
        Self: Visit<'ast>,
    {
        let is_async = sig.asyncness.is_some();
        if !is_async && !crate::source::mentions(self.cx.text(self.cx.range(body)), "async") {
            return;
        }
        self.in_fn(sig, |s| {
            if is_async {
                s.analyze_block(body);
            }
            s.visit_block(body);
        });
    }

    /// Runs `f` inside a fn: its parameters typed, outer locals hidden.
    fn in_fn(&mut self, sig: &syn::Signature, f: impl FnOnce(&mut Self)) {
        let fresh = TyEnv::with_self(self.env.self_ty.clone());
        let saved_env = std::mem::replace(&mut self.env, fresh);
        let saved_key = self.decl.fn_key.replace(fn_key(sig));
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                self.bind_typed(&pt.pat, &pt.ty);
            }
        }
        f(self);
        self.env = saved_env;
        self.decl.fn_key = saved_key;
    }

    /// Binds a pattern with a declared type (`m: &Mutex<T>`).
    fn bind_typed(&mut self, pat: &Pat, ty: &syn::Type) {
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let t = lock_types::resolve_type(ty, &self.imports, self.env.self_ty.as_deref());
                let t = self.decl.types.classify(&t);
                self.env.bind(pi.ident.to_string(), t);
            }
            other => self.env.bind_unknown(other),
        }
    }
}

impl<'ast> Visit<'ast> for Finder<'_, '_, '_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            self.imports.push_module(items.iter());
            visit::visit_item_mod(self, m);
            self.imports.pop();
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved = std::mem::replace(&mut self.env.self_ty, lock_types::impl_self_name(i));
        visit::visit_item_impl(self, i);
        self.env.self_ty = saved;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.fn_body(&f.sig, &f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.fn_body(&f.sig, &f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(b) = &f.default {
            self.fn_body(&f.sig, b);
        }
    }

    fn visit_block(&mut self, b: &'ast Block) {
        let uses = push_block_uses(&mut self.imports, b);
        self.env.push();
        visit::visit_block(self, b);
        self.env.pop();
        if uses {
            self.imports.pop();
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        self.decl.types.bind_let(&mut self.env, &self.imports, l);
    }

    fn visit_arm(&mut self, a: &'ast syn::Arm) {
        self.env.push();
        self.env.bind_unknown(&a.pat);
        visit::visit_arm(self, a);
        self.env.pop();
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        visit::visit_expr_let(self, l);
        self.env.bind_unknown(&l.pat);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.env.push();
        self.env.bind_unknown(&f.pat);
        self.visit_block(&f.body);
        self.env.pop();
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.analyze_block(&a.block);
        visit::visit_expr_async(self, a);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.env.push();
        for p in &c.inputs {
            match p {
                Pat::Type(pt) => self.bind_typed(&pt.pat, &pt.ty),
                other => self.env.bind_unknown(other),
            }
        }
        if c.asyncness.is_some() {
            self.analyze_expr(&c.body);
        }
        visit::visit_expr_closure(self, c);
        self.env.pop();
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let kind = macros::kind(mac);
        if kind == MacroKind::Opaque || !mentions(mac.tokens.clone(), "async") {
            return;
        }
        match kind {
            MacroKind::Select => {
                if let Some(sel) = macros::parse_select(mac) {
                    for b in &sel.branches {
                        if let Some(f) = &b.future {
                            self.visit_expr(f);
                        }
                        self.visit_expr(&b.handler);
                    }
                }
            }
            MacroKind::ExprList => {
                if let Some(list) = macros::parse_expr_list(mac) {
                    for e in &list {
                        self.visit_expr(e);
                    }
                }
            }
            MacroKind::Opaque => {}
        }
    }
}

/// Opens an import scope for a block's `use` items, if it has any (then returns true).
/// Records the `Rc`s bound by `let` in the async body `body` (not in the futures and closures
/// nested in it) as values that must not live across a new `.await`: an `Rc` makes the future
/// not `Send`. Each counts from its `let` to the end of its block.
fn record_rcs(cx: &FileCx<'_>, body: &Block, sink: &mut Sink<'_>) {
    struct Rcs<'c, 'a> {
        cx: &'c FileCx<'a>,
        block_end: usize,
        found: Vec<(std::ops::Range<usize>, String)>,
    }
    impl<'ast> Visit<'ast> for Rcs<'_, '_> {
        fn visit_block(&mut self, b: &'ast Block) {
            let saved = self.block_end;
            self.block_end = self.cx.range(b).end;
            visit::visit_block(self, b);
            self.block_end = saved;
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            let typed_rc = match &l.pat {
                Pat::Type(t) => type_is_rc(&t.ty),
                _ => false,
            };
            let built_rc = l.init.as_ref().is_some_and(|i| builds_rc(&i.expr));
            if (typed_rc || built_rc)
                && let Some(name) = local_name(&l.pat)
            {
                let start = self.cx.range(l).start;
                self.found.push((start..self.block_end, name.to_string()));
            }
            visit::visit_local(self, l);
        }
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    fn local_name(pat: &Pat) -> Option<&syn::Ident> {
        match pat {
            Pat::Ident(i) => Some(&i.ident),
            Pat::Type(t) => local_name(&t.pat),
            _ => None,
        }
    }
    fn type_is_rc(ty: &syn::Type) -> bool {
        matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Rc"))
    }
    fn builds_rc(e: &Expr) -> bool {
        match e {
            Expr::Call(c) => matches!(&*c.func, Expr::Path(p)
                if p.path.segments.len() >= 2
                    && p.path.segments[p.path.segments.len() - 2].ident == "Rc"
                    && matches!(p.path.segments.last().map(|s| s.ident.to_string()).as_deref(), Some("new" | "clone" | "from"))),
            _ => false,
        }
    }
    if !crate::source::mentions(cx.text(cx.range(body)), "Rc") {
        return;
    }
    let mut v = Rcs {
        cx,
        block_end: cx.range(body).end,
        found: Vec::new(),
    };
    v.visit_block(body);
    for (live, name) in v.found {
        sink.record_held(live, cx.range(body), name);
    }
}

fn push_block_uses(imports: &mut Imports, b: &Block) -> bool {
    let uses = b
        .stmts
        .iter()
        .any(|s| matches!(s, Stmt::Item(syn::Item::Use(_))));
    if uses {
        imports.push(b.stmts.iter().filter_map(|s| match s {
            Stmt::Item(i) => Some(i),
            _ => None,
        }));
    }
    uses
}
