//! The one traversal per file. It tracks the [`Scope`] (async context, fn, impl, loops,
//! offloaded closures, `use` scopes), looks inside macros whose body is Rust code, calls every
//! enabled rule's hooks, and records the file's [`FileFacts`].

use std::ops::Range;
use std::sync::Arc;

use syn::visit::{self, Visit};
use syn::{Expr, Item};

use crate::analysis::blocking;
use crate::analysis::context::{AsyncCtx, AsyncKind, Scope};
use crate::analysis::facts::{
    BlockingFact, CallFact, CallTarget, Callee, FileFacts, FnFact, NameId,
};
use crate::analysis::in_place;
use crate::analysis::index::{is_runtime_entry, returns_future};
use crate::analysis::locals;
use crate::analysis::locals::Source;
use crate::analysis::macros::{self, MacroKind};
use crate::analysis::paths;
use crate::analysis::rule::Rule;
use crate::analysis::span;
use crate::analysis::syms;
use crate::analysis::typing;
use crate::analysis::{FileCx, Sink};
use crate::semantic::cfg::test_cfg;
use crate::semantic::items::{self, Collector, NONE, Owner, Vis};

/// Walks `cx.file`, running the hooks of `rules` (the enabled ones); returns the file's facts.
pub fn walk_file(cx: &FileCx<'_>, rules: &[&'static Rule], sink: &mut Sink<'_>) -> FileFacts {
    for rule in rules {
        if let Some(hook) = rule.hooks.file {
            hook(cx, sink);
        }
    }
    let mut w = Walker {
        cx,
        rules,
        sink,
        scopes: vec![Scope::default()],
        facts: FileFacts::default(),
        offload_next_closure: false,
        awaited_call: false,
        closure_param: None,
        closure_elem: None,
        inline_next_closure: false,
        runs_here_next_closure: false,
        offloaded_closures: Vec::new(),
        modules: Vec::new(),
        root_scope: cx.item_scope(),
    };
    cx.imports.borrow_mut().push(cx.file.items.iter());
    for item in &cx.file.items {
        w.visit_item(item);
    }
    cx.imports.borrow_mut().pop();
    w.sink.finish_deferred();
    w.sink.gate_new_awaits(cx.source.text());
    w.facts.discarded = w.sink.take_discarded();
    w.facts.pending = w.sink.take_pending();
    w.facts.client_builds = w.sink.take_client_builds();
    w.facts.dropped_calls = w.sink.take_dropped_calls();
    w.facts.select = w.sink.take_select_facts();
    w.facts.startup.sort_unstable();
    w.facts.startup.dedup();
    w.facts.root_calls.sort_unstable();
    w.facts.root_calls.dedup();
    w.facts.root_blocks.sort_unstable();
    w.facts.root_blocks.dedup();
    if cx.settings.collect_facts {
        w.facts.items = cx.items.replace(Collector::default()).finish();
    }
    w.facts
}

struct Walker<'c, 'a, 's> {
    cx: &'c FileCx<'a>,
    /// The enabled rules, whose hooks the walk runs.
    rules: &'c [&'static Rule],
    sink: &'c mut Sink<'s>,
    scopes: Vec<Scope>,
    facts: FileFacts,
    /// Set while visiting the arguments of an offloader call: the next sync closure is offloaded.
    offload_next_closure: bool,
    /// Set while visiting the base of an `.await` that is a (non-combinator) call.
    awaited_call: bool,
    /// Set while visiting a closure argument of an iterator adapter over typed items: the
    /// index and type of the closure parameter that gets one item.
    closure_param: Option<(usize, typing::Ty)>,
    /// Set while visiting a closure argument of an iterator adapter: the index of the closure
    /// parameter that gets one item, the receiver it iterates and the bindings it sees (the
    /// parameter's source, for phase 2: `self.subs.iter().for_each(|tx| ..)`).
    closure_elem: Option<(usize, Range<usize>, u32)>,
    /// Set while visiting the arguments of an inline combinator (`map`, `for_each`, ..).
    inline_next_closure: bool,
    /// Set while visiting a closure that runs where it is written in other ways: called in
    /// place (`(|| ..)()`) or bound by `let` (and called by name later).
    runs_here_next_closure: bool,
    /// Addresses of `let`-bound closures that only reach offloaders (see
    /// [`crate::analysis::offload`]).
    offloaded_closures: Vec<usize>,
    /// The inline modules around the current item, by name, with their item scopes.
    modules: Vec<(String, u32)>,
    /// The file root's item scope.
    root_scope: u32,
}

/// How a fn is declared, beyond its signature.
struct FnDecl<'a> {
    attrs: &'a [syn::Attribute],
    vis: Vis,
    owner: Owner,
    impl_ty: Option<Arc<str>>,
    trait_name: Option<Arc<str>>,
    /// cfg of the enclosing impl or trait.
    outer_attrs: &'a [syn::Attribute],
}

impl<'a> Walker<'_, 'a, '_> {
    fn scope(&self) -> &Scope {
        self.scopes.last().expect("the root scope is never popped")
    }

    fn with_scope(&mut self, scope: Scope, f: impl FnOnce(&mut Self)) {
        self.scopes.push(scope);
        f(self);
        self.scopes.pop();
    }

    /// Records the fact of a fn (with or without a body); returns its index.
    fn push_fn(
        &mut self,
        sig: &syn::Signature,
        decl: &FnDecl<'_>,
        body: Option<&syn::Block>,
    ) -> usize {
        let has_body = body.is_some();
        let never_returns =
            body.is_some_and(crate::analysis::bindings::patterns::body_never_completes);
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let body = body.map_or((0, 0), |b| {
            let open = self.cx.span_range(b.brace_token.span.open());
            let close = self.cx.span_range(b.brace_token.span.close());
            (small(open.start), small(close.end))
        });
        let fn_index = self.facts.fns.len();
        let ret = if self.cx.settings.collect_facts {
            self.cx.items.borrow_mut().fn_return_type(&sig.output)
        } else {
            NONE
        };
        self.facts.fns.push(FnFact {
            ret,
            never_returns,
            name: Arc::from(sig.ident.to_string()),
            impl_ty: decl.impl_ty.clone(),
            trait_name: decl.trait_name.clone(),
            is_async: sig.asyncness.is_some(),
            returns_future: returns_future(&sig.output),
            has_self: sig.receiver().is_some(),
            runtime_entry: is_runtime_entry(decl.attrs),
            test_attr: items::is_test_fn(decl.attrs),
            cfg_test: test_cfg(decl.attrs).and(test_cfg(decl.outer_attrs)),
            has_body,
            returns_self: items::returns_self(&sig.output, decl.impl_ty.as_deref()),
            scope: self.cx.item_scope(),
            vis: decl.vis,
            owner: decl.owner,
            range: self.cx.span_range(sig.ident.span()),
            body,
        });
        fn_index
    }

    fn enter_fn(&mut self, sig: &syn::Signature, block: &syn::Block, decl: FnDecl<'_>) {
        let fn_index = self.push_fn(sig, &decl, Some(block));
        let test_only = {
            let f = &self.facts.fns[fn_index];
            f.test_attr || f.cfg_test == crate::semantic::cfg::TestCfg::Only
        };
        self.cx
            .test_items
            .set(self.cx.test_items.get() + u32::from(test_only));
        let impl_ty = decl.impl_ty;
        let name = self.facts.fns[fn_index].name.clone();
        let range = self.facts.fns[fn_index].range.clone();
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
            inline_closure: false,
        };
        let imp = match decl.owner {
            Owner::Impl(i) => i,
            _ => NONE,
        };
        let outer_owner = self.cx.fn_owner.replace((fn_index as u32, imp));
        self.cx.locals.borrow_mut().push(true);
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let ty = typing::param_type(self.cx, &pt.ty, &sig.generics);
                self.bind(&pt.pat, ty);
                if crate::analysis::typing::is_type_param(&pt.ty, &sig.generics)
                    && let syn::Pat::Ident(p) = &*pt.pat
                {
                    self.cx
                        .locals
                        .borrow_mut()
                        .set_generic(&p.ident.to_string());
                }
                // A generic parameter bounded by one trait (`s: &S` with `S: Station`) is
                // typed as that trait, as `&impl Station` is.
                let bounded = crate::analysis::typing::bounded_generic(&pt.ty, &sig.generics);
                let decl_ty = bounded.as_ref().unwrap_or(&pt.ty);
                self.declare(&pt.pat, decl_ty);
                typed_source(self.cx, &pt.pat, decl_ty);
            }
        }
        self.with_scope(scope, |w| w.visit_block(block));
        if sig.asyncness.is_some() && self.cx.settings.collect_facts {
            crate::analysis::startup::clean_calls(
                block,
                self.cx.base,
                fn_index as u32,
                &mut self.facts.startup,
            );
        }
        self.cx.locals.borrow_mut().pop();
        self.cx.fn_owner.set(outer_owner);
        self.cx
            .test_items
            .set(self.cx.test_items.get() - u32::from(test_only));
    }

    /// Binds the names `pat` introduces in the innermost locals frame.
    fn bind(&mut self, pat: &syn::Pat, init: Option<typing::Ty>) {
        let mut out = Vec::new();
        typing::bind_pattern(self.cx, pat, init, &mut out);
        let mut locals = self.cx.locals.borrow_mut();
        for (name, ty) in out {
            locals.bind(name, ty);
        }
    }

    /// Records the declared type of a binding `name: Ty` (for method resolution in phase 2).
    fn declare(&mut self, pat: &syn::Pat, ty: &syn::Type) {
        if !self.cx.settings.collect_facts {
            return;
        }
        if let syn::Pat::Ident(p) = pat
            && p.subpat.is_none()
        {
            let decl = self.cx.items.borrow_mut().receiver_type(ty);
            if decl != NONE {
                self.cx
                    .locals
                    .borrow_mut()
                    .set_decl(&p.ident.to_string(), decl);
            }
        }
    }

    /// Binds every name of `pat` with an unknown type (shadowing).
    fn bind_unknown(&mut self, pat: &syn::Pat) {
        let mut names = Vec::new();
        locals::pattern_idents(pat, &mut names);
        let mut l = self.cx.locals.borrow_mut();
        for n in names {
            l.bind(n, None);
        }
    }

    /// Records the call whose future `e` blocks on when `e` is `recv.block_on(call)` or
    /// `path::block_on(call)` in the sync code of a fn: the call's future is the first task of
    /// the thread that blocks ([`crate::analysis::startup`]).
    fn record_root_call(&mut self, e: &Expr) {
        let scope = self.scope();
        if !in_own_sync_code(scope) || scope.fn_index.is_none() {
            return;
        }
        let arg = match e {
            Expr::MethodCall(m) if m.method == "block_on" && m.args.len() == 1 => &m.args[0],
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "block_on")) =>
            {
                &c.args[0]
            }
            _ => return,
        };
        let arg = paths::peel(arg);
        if let (Expr::Async(a), Some(fn_index)) = (arg, scope.fn_index) {
            // `rt.block_on(async { .. })`: the block's calls before it first suspends are
            // startup code of this fn.
            let at = self.cx.span_range(a.async_token.span).start;
            if let (Ok(at), Ok(fn_index)) = (u32::try_from(at), u32::try_from(fn_index)) {
                self.facts.root_blocks.push((fn_index, at));
                crate::analysis::startup::clean_calls(
                    &a.block,
                    self.cx.base,
                    fn_index,
                    &mut self.facts.startup,
                );
            }
            return;
        }
        if matches!(arg, Expr::Call(_) | Expr::MethodCall(_))
            && let Some(start) = crate::span::expr_start(arg)
            && let Ok(at) = u32::try_from(start + self.cx.base)
        {
            self.facts.root_calls.push(at);
        }
    }

    /// Records a direct blocking API call in the sync code of a fn (phase-2 roots).
    fn record_blocking(&mut self, e: &Expr) {
        let scope = self.scope();
        if !in_own_sync_code(scope) {
            return;
        }
        let Some(caller) = scope.fn_index else { return };
        for hit in blocking::classify_all(self.cx, e) {
            if hit.api_entry().is_some_and(|a| a.transitive == Some(false)) {
                continue;
            }
            if hit
                .api_entry()
                .is_some_and(|a| a.effect == Some(blocking::Effect::NestedRuntime))
                && blocking::runtime_moved_off(self.cx, e)
            {
                continue;
            }
            let line = self.cx.line(blocking::hit_range(self.cx, e, &hit).start);
            self.facts.blocking.push(BlockingFact {
                caller,
                rule: hit.rule.to_string(),
                api: hit.api,
                line,
                when: hit.when.map(|(sym, ty)| (sym, ty.to_string())),
            });
        }
    }

    fn run_expr_hooks(&mut self, e: &Expr) {
        let scope = self.scopes.last().expect("root scope");
        for rule in self.rules {
            if let Some(hook) = rule.hooks.expr {
                hook(self.cx, scope, e, self.sink);
            }
        }
    }

    fn record_call(&mut self, callee: Callee, target: CallTarget, e: &Expr) {
        if !self.cx.settings.collect_facts || !may_be_crate_local(&callee, &target) {
            return;
        }
        let scope = self.scope();
        let Some(caller) = scope.fn_index else { return };
        let in_async = scope.async_ctx.is_some();
        let context_start = scope.async_ctx.as_ref().map_or(0, |c| c.range.start);
        let in_closure = scope.offloaded || (scope.in_sync_closure && !scope.inline_closure);
        if in_closure && !in_async {
            // Neither an edge of the transitive analysis nor a call from async code.
            return;
        }
        // Not `cx.range(e)`: `Spanned` prints the whole expression to find its last token.
        let r = crate::analysis::span::expr_range(e);
        let range = r.start + self.cx.base..r.end + self.cx.base;
        // Lines name the hops of transitive chains, which run through sync code only.
        let line = if !in_async {
            self.cx.line(range.start)
        } else {
            0
        };
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.facts.calls.push(CallFact {
            target,
            start: small(range.start),
            end: small(range.end),
            caller: small(caller),
            line: small(line),
            context_start: small(context_start),
            in_async,
            in_closure,
            in_loop: scope.loop_depth > 0,
        });
    }

    fn visit_macro_body(&mut self, mac: &syn::Macro) {
        let kind = macros::kind(mac);
        if kind == MacroKind::Opaque {
            if self.is_log_macro(mac)
                && macros::macro_may_contain_code(mac)
                && let Some(args) = macros::parse_log_args(mac)
            {
                let mut scope = self.scope().clone();
                scope.in_macro = true;
                self.with_scope(scope, |w| args.iter().for_each(|e| w.visit_expr(e)));
            }
            return;
        }
        if !macros::macro_may_contain_code(mac) {
            return;
        }
        let mut scope = self.scope().clone();
        scope.in_macro = true;
        self.scopes.push(scope);
        match kind {
            MacroKind::Select => {
                if let Some(sel) = macros::parse_select(mac) {
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
                if let Some(list) = macros::parse_expr_list(mac) {
                    for e in &list {
                        self.visit_expr(e);
                    }
                }
            }
            MacroKind::Opaque => {}
        }
        self.scopes.pop();
    }

    /// A fn passed by path to an inline combinator (`.map(load)`) is called there: recorded
    /// like a call, for the transitive analysis. A local binding of the name is not a fn item.
    fn record_point_free(&mut self, arg: &Expr) {
        let Expr::Path(p) = paths::peel(arg) else {
            return;
        };
        if !self.cx.settings.collect_facts
            || p.qself.is_some()
            || p.path
                .get_ident()
                .is_some_and(|i| self.cx.local(&i.to_string()).is_some())
        {
            return;
        }
        let callee = Callee::Path(self.cx.resolve(&p.path));
        let target = CallTarget::Path {
            path: self.cx.items.borrow_mut().path(&p.path),
            scope: self.cx.item_scope(),
        };
        self.record_call(callee, target, arg);
    }

    /// Whether `mac` is a logging macro of `tracing` or `log` (by path or import).
    fn is_log_macro(&self, mac: &syn::Macro) -> bool {
        mac.path
            .segments
            .last()
            .is_some_and(|l| macros::is_log_name(&l.ident))
            && matches!(
                self.cx.resolve(&mac.path).first().map(String::as_str),
                Some("tracing" | "log")
            )
    }

    /// The closure parameters the file's own fn called by `call` runs in place (see
    /// [`in_place`]): only for a single-segment path that is not a local, written directly in
    /// the module that defines the fn.
    fn in_place_params(&self, call: &syn::ExprCall) -> Vec<in_place::InPlaceParam<'a>> {
        if !self.cx.settings.collect_facts
            || !call
                .args
                .iter()
                .any(|a| matches!(paths::peel(a), Expr::Closure(_)))
        {
            return Vec::new();
        }
        let Some(id) = paths::call_path(call).and_then(|p| p.get_ident()) else {
            return Vec::new();
        };
        let name = id.to_string();
        let module_scope = self.modules.last().map_or(self.root_scope, |m| m.1);
        if self.cx.item_scope() != module_scope || self.cx.local(&name).is_some() {
            return Vec::new();
        }
        let mut items: &'a [Item] = &self.cx.file.items;
        for (module, _) in &self.modules {
            let mut found = items.iter().filter_map(|i| match i {
                Item::Mod(m) if m.ident == module => m.content.as_ref().map(|c| &c.1[..]),
                _ => None,
            });
            match (found.next(), found.next()) {
                (Some(inner), None) => items = inner,
                _ => return Vec::new(),
            }
        }
        in_place::params(items, &name)
    }

    /// Visits a call's arguments: a sync closure handed to an offloader runs off the executor,
    /// one handed to an inline combinator runs here, and so does one at a position `in_place`
    /// names (a fn of the file that calls it in place), its parameters typed by the fn's bound.
    fn visit_call_args<'x>(
        &mut self,
        offloads: bool,
        inline: bool,
        in_place: &[in_place::InPlaceParam<'_>],
        args: impl Iterator<Item = &'x Expr>,
    ) {
        for (i, arg) in args.enumerate() {
            let here = in_place.iter().find(|p| p.index == i);
            let closure = matches!(paths::peel(arg), Expr::Closure(_));
            self.offload_next_closure = offloads && here.is_none() && is_offloadable(arg);
            self.inline_next_closure = inline && closure;
            self.runs_here_next_closure = closure && here.is_some();
            self.closure_param = here.filter(|_| closure).and_then(|p| {
                p.inputs
                    .iter()
                    .enumerate()
                    .find_map(|(k, t)| Some((k, typing::annotated(self.cx, t)?)))
            });
            self.visit_expr(arg);
            self.offload_next_closure = false;
            self.inline_next_closure = false;
            self.runs_here_next_closure = false;
            self.closure_param = None;
        }
    }
}

/// A sync closure, or a block that prepares captures and ends in one
/// (`thread::spawn({ let t = t.clone(); move || .. })`) whose other statements hold no closure.
/// Whether `scope` is sync code that runs where it is written: not async, not offloaded, not in
/// a closure that runs elsewhere (an inline combinator's closure runs here).
fn in_own_sync_code(scope: &Scope) -> bool {
    scope.async_ctx.is_none()
        && !scope.offloaded
        && (!scope.in_sync_closure || scope.inline_closure)
}

fn is_offloadable(arg: &Expr) -> bool {
    match paths::peel(arg) {
        Expr::Closure(c) => c.asyncness.is_none(),
        Expr::Block(b) => match b.block.stmts.split_last() {
            Some((syn::Stmt::Expr(Expr::Closure(c), None), rest)) => {
                c.asyncness.is_none()
                    && rest.iter().all(|s| match s {
                        syn::Stmt::Local(l) => l.init.as_ref().is_none_or(|i| {
                            !matches!(paths::peel(&i.expr), Expr::Closure(_))
                                && !quote::ToTokens::to_token_stream(&i.expr)
                                    .to_string()
                                    .contains('|')
                        }),
                        _ => false,
                    })
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether a call could resolve to a crate-local fn in phase 2 (see
/// [`crate::analysis::transitive`]): paths rooted at `std`/`core`/`alloc`, paths the file's
/// imports resolve to a cataloged blocking API (the walk judges those), capitalised single names (`Some(..)`, `Ok(..)`, tuple structs) never do, nor do method calls on a receiver
/// that is neither `self` nor a local of declared type (the callee of such a call is unknown),
/// so they are not stored (most calls of a file; this keeps the facts small).
fn may_be_crate_local(callee: &Callee, target: &CallTarget) -> bool {
    match (callee, target) {
        (Callee::Path(segs), _) => match segs.as_slice() {
            [] => false,
            [one] => !one.starts_with(|c: char| c.is_ascii_uppercase()),
            // A cataloged API named through the file's own imports: the walk judged it.
            [root, ..] => {
                !paths::is_std_root(root) && {
                    let cat = crate::analysis::blocking::catalog();
                    !cat.may_name_api(segs) || cat.api_for_path(&segs.join("::")).is_none()
                }
            }
        },
        (
            _,
            CallTarget::Method {
                on_self,
                recv_ty,
                recv_sym,
                ..
            },
        ) => *on_self || *recv_ty != NONE || *recv_sym != NONE,
        _ => false,
    }
}

/// The receiver type a `let` initialiser gives its binding: a struct literal's path, or a
/// constructor call `Type::f(..)` (possibly awaited, then unwrapped by `?`, `.unwrap()` or
/// `.expect(..)`), flagged [`items::CTOR`] for phase 2 to check what `f` returns.
fn constructed(cx: &FileCx<'_>, init: &Expr) -> Option<u32> {
    let mut e = paths::peel(init);
    let mut unwrapped = false;
    loop {
        match e {
            Expr::Try(t) => {
                unwrapped = true;
                e = paths::peel(&t.expr);
            }
            Expr::MethodCall(m) if (m.method == "unwrap" || m.method == "expect") && !unwrapped => {
                unwrapped = true;
                e = paths::peel(&m.receiver);
            }
            // `Client::new().map_err(..)?`: adapters that keep the Ok type.
            Expr::MethodCall(m) if is_ok_adapter(&m.method) => e = paths::peel(&m.receiver),
            Expr::Await(a) => e = paths::peel(&a.base),
            _ => break,
        }
    }
    match e {
        Expr::Struct(st) if st.qself.is_none() && !unwrapped => {
            Some(cx.items.borrow_mut().path(&st.path))
        }
        Expr::Call(c) => {
            let path = paths::call_path(c)?;
            // `Arc::clone(&x)`, `Arc::new(x)`: typed as `x` (see `syms`), not as a constructor.
            if crate::analysis::syms::pointer_to_place(cx, c).is_some() {
                return None;
            }
            let n = path.segments.len();
            let owner = path.segments.iter().nth(n.checked_sub(2)?)?;
            if !owner
                .ident
                .to_string()
                .starts_with(|ch: char| ch.is_ascii_uppercase())
            {
                return None;
            }
            let idx = cx.items.borrow_mut().path(path);
            (idx < items::UNWRAPPED)
                .then_some(idx | items::CTOR | if unwrapped { items::UNWRAPPED } else { 0 })
        }
        _ => None,
    }
}

/// Records where the bindings of `pat: ty` get their type: `x: T`, and
/// `State(x): State<T>`-style extractor patterns (`x` is the wrapper's argument).
/// Whether a written type leaves a part to inference (`Vec<_>`, `HashMap<_, _>`).
fn has_infer(ty: &syn::Type) -> bool {
    struct Infer(bool);
    impl<'ast> Visit<'ast> for Infer {
        fn visit_type_infer(&mut self, _: &'ast syn::TypeInfer) {
            self.0 = true;
        }
    }
    let mut v = Infer(false);
    v.visit_type(ty);
    v.0
}

fn typed_source(cx: &FileCx<'_>, pat: &syn::Pat, ty: &syn::Type) {
    if !cx.settings.collect_facts {
        return;
    }
    let (name, ty) = match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => (&p.ident, ty),
        syn::Pat::TupleStruct(ts) if ts.elems.len() == 1 => {
            let (syn::Pat::Ident(p), syn::Type::Path(tp)) = (&ts.elems[0], ty) else {
                return;
            };
            let (Some(pat_last), Some(ty_last)) =
                (ts.path.segments.last(), tp.path.segments.last())
            else {
                return;
            };
            let syn::PathArguments::AngleBracketed(a) = &ty_last.arguments else {
                return;
            };
            let mut types = a.args.iter().filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            });
            match (types.next(), types.next()) {
                (Some(inner), None) if pat_last.ident == ty_last.ident => (&p.ident, inner),
                _ => return,
            }
        }
        _ => return,
    };
    let Some(r) = span::cheap_type_range(ty) else {
        return;
    };
    let base = cx.base;
    set_source(
        cx,
        name,
        Source::Type((r.start + base) as u32, (r.end + base) as u32),
    );
}

/// Records where the latest binding of `name` gets its value.
fn set_source(cx: &FileCx<'_>, name: &syn::Ident, src: Source) {
    let (_, imp) = cx.fn_owner.get();
    cx.locals
        .borrow_mut()
        .set_source(&name.to_string(), src, cx.item_scope(), imp);
}

/// The single identifier `pat` binds, when it is `x` or `Some(x)`/`Ok(x)` (`inner`).
fn single_binding(pat: &syn::Pat) -> Option<(&syn::Ident, bool)> {
    match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => Some((&p.ident, false)),
        syn::Pat::TupleStruct(ts) if ts.elems.len() == 1 => {
            let last = ts.path.segments.last()?;
            if last.ident != "Some" && last.ident != "Ok" {
                return None;
            }
            match &ts.elems[0] {
                syn::Pat::Ident(p) if p.subpat.is_none() => Some((&p.ident, true)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Records the source of a binding made from `e`: `name = e` (`unwrap`: `Some(name) = e`;
/// `elem`: `for name in e`), seeing the bindings below `limit`.
fn expr_source(cx: &FileCx<'_>, pat: &syn::Pat, e: &Expr, limit: u32, elem: bool) {
    if !cx.settings.collect_facts {
        return;
    }
    let Some((name, mut unwrap)) = single_binding(pat) else {
        return;
    };
    let mut e = e;
    // `let x = match e { Ok(x) => x, Err(..) => return };` binds `e`'s inner value.
    if let Expr::Match(m) = crate::analysis::paths::peel(e)
        && !unwrap
        && !elem
        && crate::analysis::syms::unwrapping_match(m)
    {
        (e, unwrap) = (&*m.expr, true);
    }
    // `let x = { a; b.c.clone() };`: the tail's value, when the block binds nothing of its own.
    if let Expr::Block(b) = crate::analysis::paths::peel(e)
        && b.label.is_none()
        && b.block
            .stmts
            .iter()
            .all(|s| !matches!(s, syn::Stmt::Local(_) | syn::Stmt::Item(_)))
        && let Some(syn::Stmt::Expr(tail, None)) = b.block.stmts.last()
    {
        e = tail;
    }
    let Some(r) = span::cheap_expr_range(e) else {
        return;
    };
    let base = cx.base;
    let (start, end) = ((r.start + base) as u32, (r.end + base) as u32);
    let src = match (elem, unwrap) {
        (false, false) => Source::Init { start, end, limit },
        (false, true) => Source::Unwrap { start, end, limit },
        (true, false) => Source::Elem { start, end, limit },
        (true, true) => return,
    };
    set_source(cx, name, src);
}

/// Records the sources of the names a tuple-variant pattern binds from `e` (`Cmd::Config(c) =>
/// ..`, `Self::Run(args, ref mut out)`, `Some(Cmd::Config(c))`): each is a field of that variant
/// of `e`'s type (or of its `Some`/`Ok` value). `Some(x)`, `Ok(x)` and `Err(..)` themselves are
/// left to [`expr_source`].
fn variant_sources(cx: &FileCx<'_>, pat: &syn::Pat, e: &Expr, limit: u32) {
    let syn::Pat::TupleStruct(ts) = pat else {
        return;
    };
    if !cx.settings.collect_facts {
        return;
    }
    let Some(variant) = ts.path.segments.last() else {
        return;
    };
    if ts.qself.is_some() {
        return;
    }
    let mut unwrap = false;
    let (ts, variant) = match variant.ident.to_string().as_str() {
        // `Some(Cmd::Run(args))`: a variant of the wrapped value.
        "Some" | "Ok" => match ts.elems.iter().collect::<Vec<_>>()[..] {
            [syn::Pat::TupleStruct(inner)] if inner.qself.is_none() => {
                let Some(v) = inner.path.segments.last() else {
                    return;
                };
                if matches!(v.ident.to_string().as_str(), "Some" | "Ok" | "Err") {
                    return;
                }
                unwrap = true;
                (inner, v)
            }
            _ => return,
        },
        "Err" => return,
        _ => (ts, variant),
    };
    let Some(r) = span::cheap_expr_range(e) else {
        return;
    };
    let base = cx.base;
    let (start, end) = ((r.start + base) as u32, (r.end + base) as u32);
    let v = cx.span_range(variant.ident.span());
    for (index, elem) in ts.elems.iter().enumerate() {
        let syn::Pat::Ident(p) = elem else {
            continue;
        };
        if p.subpat.is_some() {
            continue;
        }
        set_source(
            cx,
            &p.ident,
            Source::Variant {
                start,
                end,
                limit,
                variant: (v.start as u32, v.end as u32),
                index: index as u32,
                unwrap,
            },
        );
    }
}

/// Records the sources of the names a struct pattern binds from `e` (`let Modules { output, ..
/// } = modules;`): each is a field of `e`.
fn field_sources(cx: &FileCx<'_>, ps: &syn::PatStruct, e: &Expr, limit: u32) {
    if !cx.settings.collect_facts {
        return;
    }
    let Some(r) = span::cheap_expr_range(e) else {
        return;
    };
    let base = cx.base;
    let (start, end) = ((r.start + base) as u32, (r.end + base) as u32);
    // `Cmd::Send { tx }` / `Self::Send { tx }` names a variant: its fields are the enum's
    // `Send.tx` (a qualifier that reads as a type, not a module: `Self` or capitalized).
    let segments = &ps.path.segments;
    let variant = match segments.len().checked_sub(2).map(|i| &segments[i]) {
        Some(q)
            if q.ident == "Self"
                || q.ident
                    .to_string()
                    .starts_with(|c: char| c.is_ascii_uppercase()) =>
        {
            let v = cx.span_range(segments[segments.len() - 1].ident.span());
            (v.start as u32, v.end as u32)
        }
        _ => (0, 0),
    };
    for fp in &ps.fields {
        let (syn::Member::Named(field), syn::Pat::Ident(p)) = (&fp.member, &*fp.pat) else {
            continue;
        };
        if p.subpat.is_some() {
            continue;
        }
        let f = cx.span_range(field.span());
        let field = ((f.start) as u32, (f.end) as u32);
        set_source(
            cx,
            &p.ident,
            Source::Field {
                start,
                end,
                limit,
                field,
                variant,
            },
        );
    }
}

/// Calls `f` with the index of each statement of `stmts`, in order, with the names the `let`s
/// before it bind visible (in a locals frame of its own, dropped at the end): the pass that runs
/// the rules' statement hooks, before the walk binds the block's locals itself.
fn each_stmt_with_locals(cx: &FileCx<'_>, stmts: &[syn::Stmt], mut f: impl FnMut(usize)) {
    cx.locals.borrow_mut().push(false);
    for i in 0..stmts.len() {
        if i > 0
            && let syn::Stmt::Local(prev) = &stmts[i - 1]
        {
            bind_local(cx, prev);
        }
        f(i);
    }
    cx.locals.borrow_mut().pop();
}

/// Binds the names a `let` introduces in the innermost locals frame, with the types its
/// annotation or initializer proves, and records their declared types (for phase 2). The walk
/// calls it after each `let`, and once more per `let` in the pass that runs the statement hooks
/// (which see the locals of earlier statements of the same block).
pub fn bind_local(cx: &FileCx<'_>, l: &syn::Local) {
    let init = l.init.as_ref().and_then(|i| typing::infer(cx, &i.expr));
    let limit = cx.locals.borrow().len();
    let mut out = Vec::new();
    typing::bind_pattern(cx, &l.pat, init, &mut out);
    {
        let mut locals = cx.locals.borrow_mut();
        for (name, ty) in out {
            locals.bind(name, ty);
        }
    }
    if !cx.settings.collect_facts {
        return;
    }
    // `let Ok(x) = e else { .. }` binds `e`'s inner value as `if let` does; a refutable
    // pattern of another shape binds nothing `expr_source` would record.
    // `let v: Vec<_> = it.collect();`: a type with inferred parts says less than the
    // initializer, which is the source.
    let pat = match &l.pat {
        syn::Pat::Type(pt) if l.init.is_some() && has_infer(&pt.ty) => &*pt.pat,
        p => p,
    };
    if let Some(i) = &l.init
        && (i.diverge.is_none() || single_binding(pat).is_some_and(|(_, unwrap)| unwrap))
    {
        expr_source(cx, pat, &i.expr, limit, false);
    }
    if let (syn::Pat::Struct(ps), Some(i)) = (pat, &l.init)
        && i.diverge.is_none()
    {
        field_sources(cx, ps, &i.expr, limit);
    }
    // `let Cmd::Run(args) = cmd else { .. };` (or an irrefutable single-variant enum).
    if let Some(i) = &l.init {
        variant_sources(cx, pat, &i.expr, limit);
    }
    if let syn::Pat::Type(pt) = &l.pat
        && !(l.init.is_some() && has_infer(&pt.ty))
    {
        typed_source(cx, &pt.pat, &pt.ty);
    }
    let decl = match (&l.pat, &l.init) {
        (syn::Pat::Type(pt), _) => match &*pt.pat {
            syn::Pat::Ident(p) if p.subpat.is_none() => {
                Some((p, cx.items.borrow_mut().receiver_type(&pt.ty)))
            }
            _ => None,
        },
        (syn::Pat::Ident(p), Some(init)) if p.subpat.is_none() => {
            constructed(cx, &init.expr).map(|d| (p, d))
        }
        _ => None,
    };
    if let Some((p, decl)) = decl
        && decl != NONE
    {
        cx.locals.borrow_mut().set_decl(&p.ident.to_string(), decl);
    }
}

/// Whether a method keeps a `Result`'s Ok type (`map_err`, anyhow's `context`, ..).
fn is_ok_adapter(name: &syn::Ident) -> bool {
    [
        "map_err",
        "context",
        "with_context",
        "inspect_err",
        "wrap_err",
        "wrap_err_with",
    ]
    .iter()
    .any(|n| name == n)
}

/// The declared type of a method call's receiver, when it is a local bound with one.
pub fn receiver_decl(cx: &FileCx<'_>, receiver: &Expr) -> u32 {
    let mut e = paths::peel(receiver);
    while let Expr::Reference(r) = e {
        e = paths::peel(&r.expr);
    }
    match e {
        Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
            Some(id) if id != "self" => cx.locals.borrow().decl(&id.to_string()).unwrap_or(NONE),
            _ => NONE,
        },
        _ => NONE,
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
        let collect = self.cx.settings.collect_facts;
        match item {
            Item::Fn(f) => {
                let decl = FnDecl {
                    attrs: &f.attrs,
                    vis: Vis::of(&f.vis),
                    owner: Owner::Free,
                    impl_ty: None,
                    trait_name: None,
                    outer_attrs: &[],
                };
                self.enter_fn(&f.sig, &f.block, decl);
            }
            Item::Impl(imp) => {
                let ty = impl_self_name(&imp.self_ty);
                let trait_name = imp
                    .trait_
                    .as_ref()
                    .and_then(|(p, _)| p.segments.last())
                    .map(|s| Arc::<str>::from(s.ident.to_string()));
                let index = if collect {
                    self.cx
                        .items
                        .borrow_mut()
                        .impl_block(self.cx.item_scope(), imp)
                } else {
                    NONE
                };
                for ii in &imp.items {
                    if let syn::ImplItem::Fn(f) = ii {
                        let decl = FnDecl {
                            attrs: &f.attrs,
                            vis: Vis::of(&f.vis),
                            owner: Owner::Impl(index),
                            impl_ty: ty.clone(),
                            trait_name: trait_name.clone(),
                            outer_attrs: &imp.attrs,
                        };
                        self.enter_fn(&f.sig, &f.block, decl);
                    } else {
                        self.with_scope(Scope::default(), |w| w.visit_impl_item(ii));
                    }
                }
            }
            Item::Trait(t) => {
                let index = if collect {
                    self.cx
                        .items
                        .borrow_mut()
                        .item(self.cx.item_scope(), item, NONE)
                        .unwrap_or(NONE)
                } else {
                    NONE
                };
                let name: Arc<str> = Arc::from(t.ident.to_string());
                for ti in &t.items {
                    match ti {
                        syn::TraitItem::Fn(f) => {
                            let decl = FnDecl {
                                attrs: &f.attrs,
                                vis: Vis::of(&t.vis),
                                owner: Owner::Trait(index),
                                impl_ty: Some(name.clone()),
                                trait_name: Some(name.clone()),
                                outer_attrs: &t.attrs,
                            };
                            if let Some(block) = &f.default {
                                self.enter_fn(&f.sig, block, decl);
                            } else {
                                self.push_fn(&f.sig, &decl, None);
                            }
                        }
                        other => self.with_scope(Scope::default(), |w| w.visit_trait_item(other)),
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    let outer = self.cx.item_scope();
                    let inner = if collect {
                        self.cx.items.borrow_mut().module_scope(outer, m)
                    } else {
                        0
                    };
                    if collect {
                        self.cx.items.borrow_mut().item(outer, item, inner);
                    }
                    self.cx.item_scope.set(inner);
                    self.modules.push((m.ident.to_string(), inner));
                    self.cx.imports.borrow_mut().push_module(items.iter());
                    let test_only =
                        u32::from(test_cfg(&m.attrs) == crate::semantic::cfg::TestCfg::Only);
                    self.cx.test_items.set(self.cx.test_items.get() + test_only);
                    self.with_scope(Scope::default(), |w| {
                        for i in items {
                            w.visit_item(i);
                        }
                    });
                    self.cx.test_items.set(self.cx.test_items.get() - test_only);
                    self.cx.imports.borrow_mut().pop();
                    self.modules.pop();
                    self.cx.item_scope.set(outer);
                } else if collect {
                    self.cx
                        .items
                        .borrow_mut()
                        .item(self.cx.item_scope(), item, NONE);
                }
            }
            Item::Use(_) | Item::ExternCrate(_) => {
                if collect {
                    self.cx
                        .items
                        .borrow_mut()
                        .item(self.cx.item_scope(), item, NONE);
                }
            }
            Item::Macro(m) if m.ident.is_none() && collect => {
                // `cfg_if! { .. }` and the like: the items inside belong to this scope.
                let inner = items::macro_items(m);
                for i in &inner {
                    self.visit_item(i);
                }
            }
            other => {
                if collect {
                    self.cx
                        .items
                        .borrow_mut()
                        .item(self.cx.item_scope(), other, NONE);
                }
                self.with_scope(Scope::default(), |w| visit::visit_item(w, other))
            }
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let outer = self.cx.item_scope();
        if self.cx.settings.collect_facts
            && block.stmts.iter().any(|s| matches!(s, syn::Stmt::Item(_)))
        {
            let inner = self.cx.items.borrow_mut().block_scope(outer);
            self.cx.item_scope.set(inner);
        }
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
        for rule in self.rules {
            if let Some(hook) = rule.hooks.block {
                hook(self.cx, scope, block, self.sink);
            }
        }
        if self.rules.iter().any(|r| r.hooks.stmt.is_some()) {
            let (cx, rules, sink) = (self.cx, self.rules, &mut *self.sink);
            each_stmt_with_locals(cx, &block.stmts, |i| {
                for rule in rules {
                    if let Some(hook) = rule.hooks.stmt {
                        hook(cx, scope, &block.stmts, i, sink);
                    }
                }
            });
        }
        crate::analysis::offload::offloaded_closures(&block.stmts, &mut self.offloaded_closures);
        self.cx.locals.borrow_mut().push(false);
        visit::visit_block(self, block);
        self.cx.locals.borrow_mut().pop();
        if has_items {
            self.cx.imports.borrow_mut().pop();
        }
        self.cx.item_scope.set(outer);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        self.runs_here_next_closure = l
            .init
            .as_ref()
            .is_some_and(|i| matches!(paths::peel(&i.expr), Expr::Closure(_)));
        visit::visit_local(self, l);
        self.runs_here_next_closure = false;
        bind_local(self.cx, l);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.bind_unknown(&arm.pat);
        visit::visit_arm(self, arm);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        for arm in &m.arms {
            let limit = self.cx.locals.borrow().len();
            self.bind_unknown(&arm.pat);
            // `Some(h) => ..` / `Ok(h) => ..`: `h` is the scrutinee's value.
            match &arm.pat {
                syn::Pat::TupleStruct(_) => {
                    expr_source(self.cx, &arm.pat, &m.expr, limit, false);
                    variant_sources(self.cx, &arm.pat, &m.expr, limit);
                }
                syn::Pat::Struct(ps) => field_sources(self.cx, ps, &m.expr, limit),
                _ => {}
            }
            visit::visit_arm(self, arm);
        }
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        visit::visit_expr_let(self, l);
        let init = typing::infer(self.cx, &l.expr);
        let limit = self.cx.locals.borrow().len();
        self.bind(&l.pat, init);
        expr_source(self.cx, &l.pat, &l.expr, limit, false);
        variant_sources(self.cx, &l.pat, &l.expr, limit);
        if let syn::Pat::Struct(ps) = &*l.pat {
            field_sources(self.cx, ps, &l.expr, limit);
        }
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        self.visit_macro_body(&m.mac);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        self.cx.walked_expr.set((e as *const Expr as usize, false));
        self.run_expr_hooks(e);
        if self.sink.has_deferred()
            && let Some(r) = crate::analysis::span::cheap_expr_range(e)
        {
            let at = r.start + self.cx.base..r.end + self.cx.base;
            self.sink.settle_deferred(&at, || syms::sym_of(self.cx, e));
        }
        if self.cx.settings.collect_facts
            && matches!(e, Expr::Call(_) | Expr::MethodCall(_) | Expr::ForLoop(_))
        {
            self.record_blocking(e);
            self.record_root_call(e);
            if self.scope().fn_index.is_some() && crate::analysis::spawns::is_spawn(self.cx, e) {
                let start = crate::analysis::span::expr_range(e).start + self.cx.base;
                self.facts
                    .spawns
                    .push(u32::try_from(start).unwrap_or(u32::MAX));
            }
        }
        self.cx.walked_expr.set((0, false));
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
                let offloaded = std::mem::take(&mut self.offload_next_closure)
                    || self
                        .offloaded_closures
                        .contains(&(std::ptr::from_ref(c) as usize));
                let inline = std::mem::take(&mut self.inline_next_closure);
                let runs_here = std::mem::take(&mut self.runs_here_next_closure);
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
                } else if scope.async_ctx.is_some() && !inline && !runs_here {
                    // Boxed, stored, returned or handed to a callee that is not a known inline
                    // combinator (a library callback run on its own thread): when and where it
                    // runs is unknown, so it is not async context.
                    scope.async_ctx = None;
                    scope.in_sync_closure = true;
                    scope.inline_closure = false;
                } else {
                    scope.inline_closure = inline
                        && scope.async_ctx.is_none()
                        && (!scope.in_sync_closure || scope.inline_closure);
                    scope.in_sync_closure = true;
                }
                let param = self.closure_param.take();
                let elem = self.closure_elem.take();
                self.cx.locals.borrow_mut().push(false);
                for (i, input) in c.inputs.iter().enumerate() {
                    match input {
                        syn::Pat::Type(pt) => {
                            let ty = typing::annotated(self.cx, &pt.ty);
                            self.bind(&pt.pat, ty);
                            self.declare(&pt.pat, &pt.ty);
                        }
                        other => {
                            match param {
                                Some((at, ty)) if at == i => self.bind(other, Some(ty)),
                                _ => self.bind_unknown(other),
                            }
                            // The item's type for phase 2: an element of the receiver.
                            if let Some((at, r, limit)) = &elem
                                && *at == i
                                && let syn::Pat::Ident(p) = other
                                && p.subpat.is_none()
                            {
                                let src = Source::Elem {
                                    start: r.start as u32,
                                    end: r.end as u32,
                                    limit: *limit,
                                };
                                set_source(self.cx, &p.ident, src);
                            }
                        }
                    }
                }
                self.with_scope(scope, |w| w.visit_expr(&c.body));
                self.cx.locals.borrow_mut().pop();
            }
            Expr::Await(aw) => {
                // `asyncify(move || std::fs::read(p)).await`: a sync closure handed to a call
                // whose future is awaited right here is run off the executor (tokio's
                // `asyncify`, `spawn_blocking` wrappers), unless the call is an inline combinator.
                self.awaited_call = match paths::peel(&aw.base) {
                    Expr::Call(c) => {
                        paths::call_last_segment(c).is_some_and(|i| !paths::is_inline_combinator(i))
                    }
                    Expr::MethodCall(mc) => !paths::is_inline_combinator(&mc.method),
                    _ => false,
                };
                self.visit_expr(&aw.base);
                self.awaited_call = false;
            }
            Expr::Call(call) => {
                let awaited = std::mem::take(&mut self.awaited_call);
                // Compare idents in place: no String per call.
                let offloads = awaited
                    || paths::call_last_segment(call)
                        .is_some_and(|i| paths::OFFLOADER_NAMES.iter().any(|n| i == n));
                if self.cx.settings.collect_facts
                    && let Some(path) = paths::call_path(call)
                    // A local binding (a closure, a fn pointer) shadows items of that name.
                    && path
                        .get_ident()
                        .is_none_or(|i| self.cx.local(&i.to_string()).is_none())
                {
                    let callee = Callee::Path(self.cx.resolve(path));
                    let target = CallTarget::Path {
                        path: self.cx.items.borrow_mut().path(path),
                        scope: self.cx.item_scope(),
                    };
                    self.record_call(callee, target, e);
                }
                // `(|| ..)()`: the closure runs right here.
                self.runs_here_next_closure = matches!(paths::peel(&call.func), Expr::Closure(_));
                self.visit_expr(&call.func);
                self.runs_here_next_closure = false;
                let inline =
                    paths::call_last_segment(call).is_some_and(paths::is_inline_combinator);
                let in_place = self.in_place_params(call);
                self.visit_call_args(offloads, inline, &in_place, call.args.iter());
            }
            Expr::MethodCall(mc) => {
                let awaited = std::mem::take(&mut self.awaited_call);
                let offloads = awaited || paths::OFFLOADER_NAMES.iter().any(|n| mc.method == n);
                if self.cx.settings.collect_facts {
                    let name = mc.method.to_string();
                    let on_self = matches!(paths::peel(&mc.receiver), Expr::Path(p) if p.path.is_ident("self"));
                    let recv_ty = receiver_decl(self.cx, &mc.receiver);
                    let recv_sym = if on_self || recv_ty != NONE || syms::is_std_combinator(&name) {
                        NONE
                    } else {
                        syms::receiver_sym(self.cx, &mc.receiver)
                    };
                    let target = CallTarget::Method {
                        name: NameId::of(&name),
                        on_self,
                        recv_ty,
                        recv_sym,
                        scope: self.cx.item_scope(),
                    };
                    self.record_call(Callee::Method { name, on_self }, target, e);
                }
                self.visit_expr(&mc.receiver);
                let param = typing::closure_param(self.cx, &mc.receiver, &mc.method);
                let elem = if self.cx.settings.collect_facts {
                    typing::item_closure_param(&mc.method).and_then(|i| {
                        let r = span::cheap_expr_range(&mc.receiver)?;
                        let base = self.cx.base;
                        Some((
                            i,
                            r.start + base..r.end + base,
                            self.cx.locals.borrow().len(),
                        ))
                    })
                } else {
                    None
                };
                let inline = paths::is_inline_combinator(&mc.method);
                for arg in &mc.args {
                    let closure = matches!(paths::peel(arg), Expr::Closure(_));
                    self.offload_next_closure = offloads && is_offloadable(arg);
                    self.inline_next_closure = inline && closure;
                    self.closure_param = param.filter(|_| closure);
                    self.closure_elem = elem.clone().filter(|_| closure);
                    if inline {
                        self.record_point_free(arg);
                    }
                    self.visit_expr(arg);
                    self.offload_next_closure = false;
                    self.inline_next_closure = false;
                    self.closure_param = None;
                    self.closure_elem = None;
                }
            }
            Expr::ForLoop(f) => {
                self.visit_pat(&f.pat);
                self.visit_expr(&f.expr);
                self.scopes.last_mut().expect("root").loop_depth += 1;
                self.cx.locals.borrow_mut().push(false);
                let items = typing::items_of(self.cx, &f.expr);
                let limit = self.cx.locals.borrow().len();
                self.bind(&f.pat, items);
                expr_source(self.cx, &f.pat, &f.expr, limit, true);
                self.visit_block(&f.body);
                self.cx.locals.borrow_mut().pop();
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
