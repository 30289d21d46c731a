//! The one traversal per file. It tracks the [`Scope`] (async context, fn, impl, loops,
//! offloaded closures, `use` scopes), looks inside macros whose body is Rust code, calls every
//! enabled rule's hooks, and records the file's [`FileFacts`].

use std::sync::Arc;

use syn::visit::{self, Visit};
use syn::{Expr, Item};

use crate::analysis::context::{AsyncCtx, AsyncKind, Scope};
use crate::analysis::index::{CallFact, Callee, FileFacts, FnFact, returns_future};
use crate::analysis::macros::{self, MacroKind};
use crate::analysis::paths;
use crate::lint::{FileCx, Sink};

/// Walks `cx.file`, running every enabled rule's hooks; returns the file's facts.
pub fn walk_file(cx: &FileCx<'_>, sink: &mut Sink<'_>) -> FileFacts {
    for rule in &cx.settings.rules {
        if let Some(hook) = rule.hooks.file {
            hook(cx, sink);
        }
    }
    let mut w = Walker {
        cx,
        sink,
        scopes: vec![Scope::default()],
        facts: FileFacts::default(),
        offload_next_closure: false,
    };
    cx.imports.borrow_mut().push(cx.file.items.iter());
    for item in &cx.file.items {
        w.visit_item(item);
    }
    cx.imports.borrow_mut().pop();
    w.facts
}

struct Walker<'c, 'a, 's> {
    cx: &'c FileCx<'a>,
    sink: &'c mut Sink<'s>,
    scopes: Vec<Scope>,
    facts: FileFacts,
    /// Set while visiting the arguments of an offloader call: the next sync closure is offloaded.
    offload_next_closure: bool,
}

impl Walker<'_, '_, '_> {
    fn scope(&self) -> &Scope {
        self.scopes.last().expect("the root scope is never popped")
    }

    fn with_scope(&mut self, scope: Scope, f: impl FnOnce(&mut Self)) {
        self.scopes.push(scope);
        f(self);
        self.scopes.pop();
    }

    fn enter_fn(
        &mut self,
        sig: &syn::Signature,
        block: &syn::Block,
        impl_ty: Option<Arc<str>>,
        trait_name: Option<&str>,
    ) {
        let name: Arc<str> = Arc::from(sig.ident.to_string());
        let range = self.cx.span_range(sig.ident.span());
        let fn_index = self.facts.fns.len();
        self.facts.fns.push(FnFact {
            name: name.to_string(),
            impl_ty: impl_ty.as_deref().map(str::to_string),
            trait_name: trait_name.map(str::to_string),
            is_async: sig.asyncness.is_some(),
            returns_future: returns_future(&sig.output),
            has_self: sig.receiver().is_some(),
            range: range.clone(),
        });
        let async_ctx = sig.asyncness.map(|_| AsyncCtx {
            kind: AsyncKind::Fn,
            fn_name: Some(name.clone()),
            range,
        });
        let scope = Scope {
            async_ctx,
            fn_name: Some(name),
            impl_ty,
            fn_index: Some(fn_index),
            loop_depth: 0,
            in_macro: self.scope().in_macro,
            offloaded: false,
            in_sync_closure: false,
        };
        self.with_scope(scope, |w| w.visit_block(block));
    }

    fn run_expr_hooks(&mut self, e: &Expr) {
        let scope = self.scopes.last().expect("root scope");
        for rule in &self.cx.settings.rules {
            if let Some(hook) = rule.hooks.expr {
                hook(self.cx, scope, e, self.sink);
            }
        }
    }

    fn record_call(&mut self, callee: Callee, e: &Expr) {
        if !self.cx.settings.collect_facts {
            return;
        }
        let scope = self.scope();
        let Some(caller) = scope.fn_index else { return };
        let async_ctx = scope.async_ctx.as_ref().map(AsyncCtx::describe);
        // Not `cx.range(e)`: `Spanned` prints the whole expression to find its last token.
        let r = crate::analysis::span::expr_range(e);
        let range = r.start + self.cx.base..r.end + self.cx.base;
        self.facts.calls.push(CallFact {
            callee,
            range,
            caller: Some(caller),
            async_ctx,
        });
    }

    fn visit_macro_body(&mut self, mac: &syn::Macro) {
        let kind = macros::kind(mac);
        if kind == MacroKind::Opaque || !macros::may_contain_code(&mac.tokens) {
            return;
        }
        let mut scope = self.scope().clone();
        scope.in_macro = true;
        self.scopes.push(scope);
        match kind {
            MacroKind::Select => {
                if let Some(sel) = macros::parse_select(&mac.tokens) {
                    for b in &sel.branches {
                        if let Some(f) = &b.future {
                            self.visit_expr(f);
                        }
                        if let Some(c) = &b.condition {
                            self.visit_expr(c);
                        }
                        self.visit_expr(&b.handler);
                    }
                }
            }
            MacroKind::ExprList => {
                if let Some(list) = macros::parse_expr_list(&mac.tokens) {
                    for e in &list {
                        self.visit_expr(e);
                    }
                }
            }
            MacroKind::Opaque => {}
        }
        self.scopes.pop();
    }

    fn visit_call_args<'x>(&mut self, offloads: bool, args: impl Iterator<Item = &'x Expr>) {
        for arg in args {
            self.offload_next_closure =
                offloads && matches!(paths::peel(arg), Expr::Closure(c) if c.asyncness.is_none());
            self.visit_expr(arg);
            self.offload_next_closure = false;
        }
    }
}

fn impl_self_name(ty: &syn::Type) -> Option<Arc<str>> {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| Arc::from(s.ident.to_string())),
        syn::Type::Reference(r) => impl_self_name(&r.elem),
        syn::Type::Paren(p) => impl_self_name(&p.elem),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Walker<'_, '_, '_> {
    fn visit_item(&mut self, item: &'ast Item) {
        match item {
            Item::Fn(f) => {
                let impl_ty = None;
                self.enter_fn(&f.sig, &f.block, impl_ty, None);
            }
            Item::Impl(imp) => {
                let ty = impl_self_name(&imp.self_ty);
                let trait_name = imp
                    .trait_
                    .as_ref()
                    .and_then(|(p, _)| p.segments.last())
                    .map(|s| s.ident.to_string());
                for ii in &imp.items {
                    if let syn::ImplItem::Fn(f) = ii {
                        self.enter_fn(&f.sig, &f.block, ty.clone(), trait_name.as_deref());
                    } else {
                        self.with_scope(Scope::default(), |w| w.visit_impl_item(ii));
                    }
                }
            }
            Item::Trait(t) => {
                let name: Arc<str> = Arc::from(t.ident.to_string());
                for ti in &t.items {
                    match ti {
                        syn::TraitItem::Fn(f) => {
                            if let Some(block) = &f.default {
                                self.enter_fn(&f.sig, block, Some(name.clone()), Some(&name));
                            } else {
                                let range = self.cx.span_range(f.sig.ident.span());
                                self.facts.fns.push(FnFact {
                                    name: f.sig.ident.to_string(),
                                    impl_ty: Some(name.to_string()),
                                    trait_name: Some(name.to_string()),
                                    is_async: f.sig.asyncness.is_some(),
                                    returns_future: returns_future(&f.sig.output),
                                    has_self: f.sig.receiver().is_some(),
                                    range,
                                });
                            }
                        }
                        other => self.with_scope(Scope::default(), |w| w.visit_trait_item(other)),
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    self.cx.imports.borrow_mut().push(items.iter());
                    self.with_scope(Scope::default(), |w| {
                        for i in items {
                            w.visit_item(i);
                        }
                    });
                    self.cx.imports.borrow_mut().pop();
                }
            }
            Item::Use(_) | Item::ExternCrate(_) => {}
            other => self.with_scope(Scope::default(), |w| visit::visit_item(w, other)),
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let has_items = block
            .stmts
            .iter()
            .any(|s| matches!(s, syn::Stmt::Item(Item::Use(_))));
        if has_items {
            let items = block.stmts.iter().filter_map(|s| match s {
                syn::Stmt::Item(i) => Some(i),
                _ => None,
            });
            self.cx.imports.borrow_mut().push(items);
        }
        let scope = self.scopes.last().expect("root scope");
        for rule in &self.cx.settings.rules {
            if let Some(hook) = rule.hooks.block {
                hook(self.cx, scope, block, self.sink);
            }
        }
        visit::visit_block(self, block);
        if has_items {
            self.cx.imports.borrow_mut().pop();
        }
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        self.visit_macro_body(&m.mac);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        self.run_expr_hooks(e);
        match e {
            Expr::Async(a) => {
                let mut scope = self.scope().clone();
                scope.async_ctx = Some(AsyncCtx {
                    kind: AsyncKind::Block,
                    fn_name: scope.fn_name.clone(),
                    range: self.cx.span_range(a.async_token.span),
                });
                scope.loop_depth = 0;
                scope.offloaded = false;
                scope.in_sync_closure = false;
                self.with_scope(scope, |w| w.visit_block(&a.block));
            }
            Expr::Closure(c) => {
                let offloaded = std::mem::take(&mut self.offload_next_closure);
                let mut scope = self.scope().clone();
                scope.loop_depth = 0;
                if let Some(kw) = c.asyncness {
                    scope.async_ctx = Some(AsyncCtx {
                        kind: AsyncKind::Closure,
                        fn_name: scope.fn_name.clone(),
                        range: self.cx.span_range(kw.span),
                    });
                    scope.offloaded = false;
                    scope.in_sync_closure = false;
                } else if offloaded {
                    scope.async_ctx = None;
                    scope.offloaded = true;
                } else {
                    scope.in_sync_closure = true;
                }
                self.with_scope(scope, |w| w.visit_expr(&c.body));
            }
            Expr::Call(call) => {
                // Compare idents in place: no String per call.
                let offloads = paths::call_last_segment(call)
                    .is_some_and(|i| paths::OFFLOADER_NAMES.iter().any(|n| i == n));
                if self.cx.settings.collect_facts
                    && let Some(path) = paths::call_path(call)
                {
                    let callee = Callee::Path(self.cx.resolve(path));
                    self.record_call(callee, e);
                }
                self.visit_expr(&call.func);
                self.visit_call_args(offloads, call.args.iter());
            }
            Expr::MethodCall(mc) => {
                let offloads = paths::OFFLOADER_NAMES.iter().any(|n| mc.method == n);
                if self.cx.settings.collect_facts {
                    let name = mc.method.to_string();
                    let on_self = matches!(paths::peel(&mc.receiver), Expr::Path(p) if p.path.is_ident("self"));
                    self.record_call(Callee::Method { name, on_self }, e);
                }
                self.visit_expr(&mc.receiver);
                self.visit_call_args(offloads, mc.args.iter());
            }
            Expr::ForLoop(f) => {
                self.visit_pat(&f.pat);
                self.visit_expr(&f.expr);
                self.scopes.last_mut().expect("root").loop_depth += 1;
                self.visit_block(&f.body);
                self.scopes.last_mut().expect("root").loop_depth -= 1;
            }
            Expr::While(wh) => {
                self.scopes.last_mut().expect("root").loop_depth += 1;
                self.visit_expr(&wh.cond);
                self.visit_block(&wh.body);
                self.scopes.last_mut().expect("root").loop_depth -= 1;
            }
            Expr::Loop(l) => {
                self.scopes.last_mut().expect("root").loop_depth += 1;
                self.visit_block(&l.body);
                self.scopes.last_mut().expect("root").loop_depth -= 1;
            }
            Expr::Macro(m) => self.visit_macro_body(&m.mac),
            _ => visit::visit_expr(self, e),
        }
    }
}
