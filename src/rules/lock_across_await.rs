//! `lock-across-await`: a synchronous lock guard or `RefCell` borrow alive at an `.await`.
//!
//! The rule runs once per file (a `file` hook) and analyses every async body on its own: the body
//! of an `async fn`, an `async` block or an async closure. Nested async blocks and closures are
//! separate futures (or cannot await) and are analysed separately or not at all.
//!
//! Each body is interpreted in evaluation order with a stack of drop scopes, the way rustc assigns
//! them: blocks own their `let` bindings, statements own their temporaries, `if` conditions,
//! match guards, match arms, loop bodies and the right operand of `&&`/`||` own theirs. A guard
//! is created where a synchronous acquisition is evaluated (`m.lock().unwrap()`, `rw.read()`,
//! `cell.borrow_mut()`, ..) and lives until its scope ends, it is dropped (`drop(g)`) or moved
//! away. Every `.await` (and every `select!`/`join!`, which await internally) evaluated while a
//! guard lives is recorded against it.

use std::ops::Range;

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{BinOp, Block, Expr, ExprMethodCall, Pat, Stmt};

use crate::analysis::imports::Imports;
use crate::analysis::lock_types::{self, FileTypes, Kind, LockTy, TyEnv};
use crate::analysis::macros::{self, MacroKind};
use crate::analysis::paths::peel;
use crate::declare_rule;
use crate::diagnostic::{Edit, Fix, Severity};
use crate::lint::{FileCx, Reported, Sink};
use crate::project::Edition;
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// A guard of a synchronous lock (`std::sync::Mutex`/`RwLock`, parking_lot, spin) or a
    /// `RefCell` borrow that is still alive when the task suspends at an `.await`.
    pub static LOCK_ACROSS_AWAIT = Rule {
        id: "lock-across-await",
        family: Family::Lock,
        severity: Severity::Warning,
        summary: "a synchronous lock guard or `RefCell` borrow held across an `.await` blocks other tasks and can deadlock",
        fix: FixAvailability::Always,
        hooks: Hooks { file: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

/// Asks for the crate's facts: findings conditioned on a receiver's crate-wide type
/// ([`Sink::report_by_type`]) are settled with every rule's in [`crate::analysis::pending`].
fn resolve(_: &crate::analysis::index::CrateIndex, _: &mut Vec<crate::diagnostic::Diagnostic>) {}

fn named_message(kind: Kind, name: &str, acq: &str) -> String {
    match kind {
        Kind::Lock => format!("lock guard `{name}` from `{acq}` is held across an `.await`"),
        Kind::Borrow => format!("borrow `{name}` from `{acq}` is held across an `.await`"),
    }
}

fn extended_message(kind: Kind, acq: &str) -> String {
    let what = if kind == Kind::Lock {
        "lock guard"
    } else {
        "borrow"
    };
    format!(
        "{what} from `{acq}` is kept alive by a reference until the end of the block and is held across an `.await`"
    )
}

fn temp_message(kind: Kind, acq: &str, ctx: TempCtx) -> String {
    let what = if kind == Kind::Lock {
        "temporary lock guard"
    } else {
        "temporary borrow"
    };
    match ctx {
        TempCtx::Statement => format!(
            "{what} from `{acq}` lives until the end of the statement and is held across an `.await`"
        ),
        TempCtx::IfLet => format!(
            "{what} from `{acq}` in an `if let` scrutinee lives through its body and is held across an `.await`"
        ),
        TempCtx::Match => format!(
            "{what} from `{acq}` in a `match` scrutinee lives through its arms and is held across an `.await`"
        ),
        TempCtx::WhileLet => format!(
            "{what} from `{acq}` in a `while let` scrutinee lives through the loop body and is held across an `.await`"
        ),
        TempCtx::For => format!(
            "{what} from `{acq}` in a `for` loop's iterator lives through the whole loop and is held across an `.await`"
        ),
    }
}

const LOCK_HELP: &str = "copy or clone what you need while holding the lock and release it before awaiting (end its block or call `drop(guard)`); if the lock must stay held across the `.await`, use `tokio::sync::Mutex`, whose guard may cross `.await` but which is slower: every acquisition goes through the async scheduler";
const BORROW_HELP: &str = "clone what you need and end the borrow before awaiting: while a `RefCell` borrow is held across `.await`, another task's `borrow_mut()` panics (a `watch` borrow blocks the sender)";

fn named_help(kind: Kind, name: &str, shadowed: bool) -> String {
    let base = if kind == Kind::Lock {
        LOCK_HELP
    } else {
        BORROW_HELP
    };
    if shadowed {
        format!(
            "shadowing `{name}` does not drop the guard, it lives until the end of the block; {base}"
        )
    } else {
        base.to_string()
    }
}

fn scope_help(name: &str) -> String {
    format!(
        "`{name}` is not used after the `.await`: end its scope before awaiting by putting it and its uses in a block"
    )
}

fn drop_help(name: &str) -> String {
    format!(
        "`{name}` is not used after the `.await`: release it before awaiting with `drop({name});` (a future that must be `Send` needs the guard in a block that ends before the `.await`: rustc's check is scope-based)"
    )
}

fn temp_help(kind: Kind, ctx: TempCtx, hoist: Option<&str>) -> String {
    let what = if kind == Kind::Lock { "lock" } else { "borrow" };
    if let Some(awaited) = hoist {
        return format!(
            "await first and take the {what} in a separate statement: `let value = {awaited};` then use `value`"
        );
    }
    let first = match ctx {
        TempCtx::Statement => {
            "split the statement so the guard is taken and released before or after the `.await`"
        }
        TempCtx::IfLet | TempCtx::Match => {
            "copy what you need out of the guard in a `let` before the `if let`/`match` (`let v = m.lock().unwrap().get(&k).cloned();`), so the guard is dropped before the arms run"
        }
        TempCtx::WhileLet => {
            "take the next item in its own statement inside a `loop` (`let next = m.lock().unwrap().pop();`), so the guard is dropped before the body runs"
        }
        TempCtx::For => {
            "clone the collection in a `let` before the loop (`let items = m.lock().unwrap().clone();`), so the guard is dropped before the body runs"
        }
    };
    if kind == Kind::Lock {
        format!(
            "{first}; if the lock must stay held across the `.await`, use `tokio::sync::Mutex` (slower: every acquisition goes through the async scheduler)"
        )
    } else {
        format!(
            "{first}; a `RefCell` borrow held across `.await` makes another task's `borrow_mut()` panic"
        )
    }
}

/// Where a temporary guard was created, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TempCtx {
    Statement,
    IfLet,
    Match,
    WhileLet,
    For,
}

/// A guard about to be bound by a pattern (`let g = ..`, `if let Ok(g) = m.lock()`).
struct Seed {
    name: String,
    kind: Kind,
    acq: Range<usize>,
    acq_text: String,
    cond: Option<Cond>,
}

/// A guard the file cannot prove synchronous: reported if the expression at `at` (file byte
/// range) has, crate-wide, one of `lock` (as a lock guard) or `borrow` (as a borrow) types;
/// else (the expression has no symbolic type) only if `fallback`. See [`Sink::report_by_type`].
#[derive(Debug, Clone, Copy)]
struct Cond {
    at: (usize, usize),
    lock: &'static [&'static str],
    borrow: &'static [&'static str],
    fallback: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GuardKind {
    Named,
    /// Bound behind a reference (`let r = &*m.lock().unwrap();`): lives to the end of the block.
    Extended,
    Temp(TempCtx),
}

struct Guard {
    gk: GuardKind,
    name: Option<String>,
    /// Frame id of the block whose `let` shadowed the name, if any.
    shadowed_in: Option<usize>,
    ever_shadowed: bool,
    kind: Kind,
    acq: Range<usize>,
    acq_text: String,
    owner: usize,
    alive: bool,
    end: Option<(Range<usize>, &'static str)>,
    crossed: Vec<Range<usize>>,
    /// Index of the owner block's statement that holds the first crossed `.await`.
    first_await_stmt: Option<usize>,
    /// Where a temporary was created: (innermost block frame, statement index, branch depth).
    created_at: (usize, usize, u32),
    /// For a temporary: the single hoistable `.await` (its full range) and the statement start.
    hoist: Option<Hoist>,
    hoist_blocked: bool,
    /// `drop(name);` insertion for a named guard: (offset, text).
    drop_fix: Option<(Edit, bool)>,
    /// Index of the `let` statement in the owner block.
    let_stmt: Option<usize>,
    /// What makes the finding hold, when the file alone cannot tell.
    cond: Option<Cond>,
}

#[derive(Clone)]
struct Hoist {
    awaited: Range<usize>,
    stmt_start: usize,
}

struct Frame {
    id: usize,
    /// Block frames own `let` bindings and track the current statement.
    is_block: bool,
    stmt: usize,
    stmt_start: usize,
    /// Edition 2021: the block's tail temporaries belong to the enclosing scope.
    in_tail: bool,
}

fn check(cx: &FileCx<'_>, sink: &mut Sink<'_>) {
    let text = cx.source.text();
    if !text.contains("async") {
        return;
    }
    let interesting = [
        "lock(", "read(", "write(", "borrow", "Guard", "Ref<", "RefMut<",
    ]
    .iter()
    .any(|n| text.contains(n));
    if !interesting {
        return;
    }
    let mut names = AsyncLockNames::default();
    if text.contains("().await") {
        names.visit_file(cx.file);
    }
    let types = FileTypes::collect(cx.file);
    let mut imports = Imports::default();
    imports.push(cx.file.items.iter());
    let mut finder = Finder {
        cx,
        sink,
        decl: Decl {
            types: &types,
            async_locks: &names.found,
            fn_key: None,
        },
        imports,
        env: TyEnv::default(),
    };
    finder.visit_file(cx.file);
}

/// Where an "awaited elsewhere" lock is known to be async: the same fn (locals, parameters,
/// statics) or the same impl self type (`self.f`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum LockScope {
    Fn(usize),
    Impl(String),
}

/// The receiver's text without whitespace (`self.books`, `m`).
fn receiver_text(e: &Expr) -> String {
    let mut out = String::new();
    for t in peel(e).to_token_stream() {
        out.push_str(&t.to_string());
    }
    out.retain(|c| !c.is_whitespace());
    out
}

/// The scope an acquisition's receiver is compared within.
fn lock_scope(recv: &str, fn_key: Option<usize>, self_ty: Option<&str>) -> Option<LockScope> {
    if recv == "self" || recv.starts_with("self.") {
        self_ty.map(|t| LockScope::Impl(t.to_string()))
    } else {
        fn_key.map(LockScope::Fn)
    }
}

/// Receivers whose `lock()`/`read()`/`write()` is awaited, per declaration scope: async locks, so
/// their bare or `try_lock()` acquisitions of unknown type in that scope are not reported.
#[derive(Default)]
struct AsyncLockNames {
    found: Vec<(LockScope, String)>,
    fn_key: Option<usize>,
    self_ty: Option<String>,
}

impl<'ast> Visit<'ast> for AsyncLockNames {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let saved = self.fn_key.replace(fn_key(&f.sig));
        visit::visit_item_fn(self, f);
        self.fn_key = saved;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let saved = self.fn_key.replace(fn_key(&f.sig));
        visit::visit_impl_item_fn(self, f);
        self.fn_key = saved;
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        let saved = self.fn_key.replace(fn_key(&f.sig));
        visit::visit_trait_item_fn(self, f);
        self.fn_key = saved;
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved = std::mem::replace(&mut self.self_ty, lock_types::impl_self_name(i));
        visit::visit_item_impl(self, i);
        self.self_ty = saved;
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        if let Some((mc, Kind::Lock)) = bare_core(&a.base) {
            let recv = receiver_text(&mc.receiver);
            if let Some(scope) = lock_scope(&recv, self.fn_key, self.self_ty.as_deref()) {
                let entry = (scope, recv);
                if !self.found.contains(&entry) {
                    self.found.push(entry);
                }
            }
        }
        visit::visit_expr_await(self, a);
    }
}

/// Identity of a fn for [`LockScope::Fn`]: the address-free start of its signature.
fn fn_key(sig: &syn::Signature) -> usize {
    sig.fn_token.span.byte_range().start
}

/// What an analysis knows about the declaration it runs in.
#[derive(Clone, Copy)]
struct Decl<'c> {
    types: &'c FileTypes,
    async_locks: &'c [(LockScope, String)],
    fn_key: Option<usize>,
}

/// Finds async bodies anywhere in the file (also inside `join!`/`select!` bodies), tracking the
/// imports and typed bindings in scope.
struct Finder<'c, 'a, 's> {
    cx: &'c FileCx<'a>,
    sink: &'c mut Sink<'s>,
    decl: Decl<'c>,
    imports: Imports,
    env: TyEnv,
}

impl Finder<'_, '_, '_> {
    fn analyze_block(&mut self, b: &Block) {
        let uses = push_block_uses(&mut self.imports, b);
        let mut an = Analyzer::new(
            self.cx,
            self.cx.range(b),
            self.decl,
            &self.imports,
            &self.env,
        );
        an.block(b, Vec::new());
        an.report(self.sink);
        if uses {
            self.imports.pop();
        }
    }

    fn analyze_expr(&mut self, e: &Expr) {
        if let Expr::Block(b) = e {
            return self.analyze_block(&b.block);
        }
        let mut an = Analyzer::new(
            self.cx,
            self.cx.range(e),
            self.decl,
            &self.imports,
            &self.env,
        );
        let end = self.cx.range(e);
        an.push_frame(false);
        an.eval(e);
        an.pop_frame(end.end.saturating_sub(1)..end.end);
        an.report(self.sink);
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
        self.in_fn(&f.sig, |s| {
            if f.sig.asyncness.is_some() {
                s.analyze_block(&f.block);
            }
            s.visit_block(&f.block);
        });
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.in_fn(&f.sig, |s| {
            if f.sig.asyncness.is_some() {
                s.analyze_block(&f.block);
            }
            s.visit_block(&f.block);
        });
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(b) = &f.default {
            self.in_fn(&f.sig, |s| {
                if f.sig.asyncness.is_some() {
                    s.analyze_block(b);
                }
                s.visit_block(b);
            });
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
        bind_let(&mut self.env, self.decl.types, &self.imports, l);
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
                if let Some(sel) = macros::parse_select(&mac.tokens) {
                    for b in &sel.branches {
                        if let Some(f) = &b.future {
                            self.visit_expr(f);
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
    }
}

/// Opens an import scope for a block's `use` items, if it has any (then returns true).
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

/// Binds the names of a `let`: a single name gets the type its annotation or initializer proves.
fn bind_let(env: &mut TyEnv, types: &FileTypes, imports: &Imports, l: &syn::Local) {
    let (pat, annotation) = match &l.pat {
        Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
        p => (p, None),
    };
    match pat {
        Pat::Ident(pi) if pi.subpat.is_none() => {
            let init = l.init.as_ref().map(|i| &*i.expr);
            let ty = types.let_ty(annotation, init, env, imports);
            env.bind(pi.ident.to_string(), ty);
        }
        other => env.bind_unknown(other),
    }
}

/// An acquisition: the whole guard-valued expression and its core call.
#[derive(Clone, Copy)]
struct Acq<'e> {
    kind: Kind,
    /// `m.lock()`, `c.borrow()`, .. or a call of a same-file helper declared to return a guard.
    core: &'e Expr,
    /// Wrapped by `.unwrap()`, `.expect(..)`, `?`, ..
    wrapped: bool,
    /// The shape proves a synchronous lock: `lock()`/`read()`/`write()` returned a `Result`
    /// (unwrapped, `?`, matched as `Ok`), which an async lock's future is not.
    proof: bool,
    /// The guard type comes from the helper's declared return type.
    helper: bool,
    /// Set when only the crate-wide type of the receiver can tell.
    cond: Option<Cond>,
}

/// Classifies a call of a same-file helper by its declared return type: (kind, returns a
/// `Result`/`Option` of the guard).
type HelperKind<'h> = &'h dyn Fn(&Expr) -> Option<(Kind, bool)>;

/// An acquisition through a helper: `needs_unwrap` helpers must be unwrapped, others must not.
fn helper_acquisition<'e>(cur: &'e Expr, wrapped: bool, helper: HelperKind<'_>) -> Option<Acq<'e>> {
    let (kind, fallible) = helper(cur)?;
    (fallible == wrapped).then_some(Acq {
        kind,
        core: cur,
        wrapped,
        proof: true,
        helper: true,
        cond: None,
    })
}

/// Method names whose zero-argument call acquires a guard.
fn core_kind(mc: &ExprMethodCall) -> Option<(Kind, bool)> {
    if !mc.args.is_empty() {
        return None;
    }
    let m = &mc.method;
    // (kind, needs an unwrap to be a guard)
    let k = if m == "lock" || m == "read" || m == "write" {
        (Kind::Lock, false)
    } else if m == "try_lock" || m == "try_read" || m == "try_write" {
        (Kind::Lock, true)
    } else if m == "borrow" || m == "borrow_mut" || m == "borrow_and_update" {
        (Kind::Borrow, false)
    } else if m == "try_borrow" || m == "try_borrow_mut" {
        (Kind::Borrow, true)
    } else {
        return None;
    };
    if is_std_stream(&mc.receiver) {
        return None;
    }
    Some(k)
}

/// `io::stdout()`, `stdin`, .. : their `lock()` is a reentrant stream lock, not reported.
fn is_std_stream(e: &Expr) -> bool {
    match peel(e) {
        Expr::Call(c) => crate::analysis::paths::call_last_segment(c)
            .is_some_and(|i| i == "stdout" || i == "stderr" || i == "stdin"),
        Expr::Path(p) => p
            .path
            .get_ident()
            .is_some_and(|i| i == "stdout" || i == "stderr" || i == "stdin"),
        _ => false,
    }
}

/// The core acquisition call if `e` is exactly one (no wrappers).
fn bare_core(e: &Expr) -> Option<(&ExprMethodCall, Kind)> {
    match peel(e) {
        Expr::MethodCall(mc) => core_kind(mc).map(|(k, _)| (mc, k)),
        _ => None,
    }
}

/// Whether a method is a wrapper that keeps the guard (`unwrap`, `expect`, ..).
fn is_wrapper(mc: &ExprMethodCall) -> bool {
    let m = &mc.method;
    (mc.args.is_empty() && (m == "unwrap" || m == "ok" || m == "unwrap_unchecked"))
        || (mc.args.len() == 1 && (m == "expect" || m == "unwrap_or_else" || m == "map_err"))
}

/// `e` evaluates to a guard: an acquisition, possibly wrapped.
fn acquisition<'e>(e: &'e Expr, helper: HelperKind<'_>) -> Option<Acq<'e>> {
    let mut cur = peel(e);
    let mut wrapped = false;
    loop {
        match cur {
            Expr::Try(t) => {
                wrapped = true;
                cur = peel(&t.expr);
            }
            Expr::MethodCall(mc) => {
                if let Some((kind, needs_unwrap)) = core_kind(mc) {
                    if needs_unwrap && !wrapped {
                        return None;
                    }
                    if kind == Kind::Borrow && wrapped && !needs_unwrap {
                        return None;
                    }
                    return Some(Acq {
                        kind,
                        core: cur,
                        wrapped,
                        proof: wrapped && !needs_unwrap && kind == Kind::Lock,
                        helper: false,
                        cond: None,
                    });
                }
                if is_wrapper(mc) {
                    wrapped = true;
                    cur = peel(&mc.receiver);
                } else {
                    return helper_acquisition(cur, wrapped, helper);
                }
            }
            Expr::Call(_) => return helper_acquisition(cur, wrapped, helper),
            _ => return None,
        }
    }
}

/// A raw fallible acquisition (`m.lock()`, `m.try_lock()`, `m.try_lock().ok()`) matched by `Ok(g)`
/// (`ok_pat`) or `Some(g)`.
fn fallible_acquisition<'e>(e: &'e Expr, ok_pat: bool, helper: HelperKind<'_>) -> Option<Acq<'e>> {
    let mut cur = peel(e);
    let mut adapted = false;
    loop {
        match cur {
            Expr::MethodCall(mc) => {
                if let Some((kind, needs_unwrap)) = core_kind(mc) {
                    return Some(Acq {
                        kind,
                        core: cur,
                        wrapped: false,
                        proof: (ok_pat || adapted) && !needs_unwrap && kind == Kind::Lock,
                        helper: false,
                        cond: None,
                    });
                }
                if (mc.args.is_empty() && mc.method == "ok")
                    || (mc.args.len() == 1 && mc.method == "map_err")
                {
                    adapted = true;
                    cur = peel(&mc.receiver);
                } else {
                    return helper_acquisition(cur, true, helper);
                }
            }
            Expr::Call(_) => return helper_acquisition(cur, true, helper),
            _ => return None,
        }
    }
}

/// Whether a pattern is `Ok(..)` (possibly typed or guarded).
fn is_ok_pat(pat: &Pat) -> bool {
    match pat {
        Pat::Type(pt) => is_ok_pat(&pt.pat),
        Pat::Guard(g) => is_ok_pat(&g.pat),
        Pat::TupleStruct(ts) => ts.path.segments.last().is_some_and(|s| s.ident == "Ok"),
        _ => false,
    }
}

/// A pattern binding a guard: `g`, `mut g`, `g: T` (T not a reference), `Ok(g)`, `Some(g)`.
/// Returns the name and whether the pattern unwraps a `Result`/`Option`.
fn binding(pat: &Pat) -> Option<(&syn::Ident, bool)> {
    match pat {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some((&pi.ident, false)),
        Pat::Type(pt) => {
            if matches!(*pt.ty, syn::Type::Reference(_)) {
                return None;
            }
            binding(&pt.pat)
        }
        Pat::TupleStruct(ts) if ts.qself.is_none() && ts.elems.len() == 1 => {
            let last = ts.path.segments.last()?;
            if last.ident != "Ok" && last.ident != "Some" {
                return None;
            }
            match ts.elems.first()? {
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    Some((&pi.ident, true))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Names bound by a pattern (for shadowing).
fn bound_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(pi) => {
            out.push(pi.ident.to_string());
            if let Some((_, p)) = &pi.subpat {
                bound_names(p, out);
            }
        }
        Pat::Type(pt) => bound_names(&pt.pat, out),
        Pat::Reference(r) => bound_names(&r.pat, out),
        Pat::Paren(p) => bound_names(&p.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::Or(o) => o.cases.iter().for_each(|p| bound_names(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| bound_names(&f.pat, out)),
        _ => {}
    }
}

/// Whether a closure body moves `name`: returns it, passes it by value to a call, or binds it.
fn moves_name(body: &Expr, name: &str) -> bool {
    struct Moves<'n> {
        name: &'n str,
        found: bool,
    }
    impl Moves<'_> {
        fn is(&self, e: &Expr) -> bool {
            matches!(peel(e), Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.name))
        }
    }
    impl<'ast> Visit<'ast> for Moves<'_> {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            self.found |= c.args.iter().any(|a| self.is(a));
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, mc: &'ast ExprMethodCall) {
            self.found |= mc.args.iter().any(|a| self.is(a));
            visit::visit_expr_method_call(self, mc);
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            self.found |= l.init.as_ref().is_some_and(|i| self.is(&i.expr));
            visit::visit_local(self, l);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut v = Moves { name, found: false };
    let tail = match peel(body) {
        Expr::Block(b) => match b.block.stmts.last() {
            Some(Stmt::Expr(e, None)) => Some(e),
            _ => None,
        },
        e => Some(e),
    };
    v.found = tail.is_some_and(|t| v.is(t));
    v.visit_expr(body);
    v.found
}

/// Whether a token stream mentions `name` as an identifier.
fn mentions(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => mentions(g.stream(), name),
        _ => false,
    })
}

/// Whether an expression always leaves its scope (`return`, `break`, `continue`, `panic!`, ..).
fn diverges(e: &Expr) -> bool {
    match peel(e) {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|s| {
            s.ident == "panic"
                || s.ident == "unreachable"
                || s.ident == "todo"
                || s.ident == "unimplemented"
        }),
        Expr::Block(b) => block_diverges(&b.block),
        _ => false,
    }
}

fn block_diverges(b: &Block) -> bool {
    match b.stmts.last() {
        Some(Stmt::Expr(e, _)) => diverges(e),
        Some(Stmt::Macro(m)) => m.mac.path.segments.last().is_some_and(|s| {
            s.ident == "panic"
                || s.ident == "unreachable"
                || s.ident == "todo"
                || s.ident == "unimplemented"
        }),
        _ => false,
    }
}

/// `drop(x)`, `mem::drop(x)`, `std::mem::drop(x)`, `core::mem::drop(x)`.
fn is_drop_call(call: &syn::ExprCall) -> bool {
    let Expr::Path(p) = &*call.func else {
        return false;
    };
    let segs = &p.path.segments;
    let n = segs.len();
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.ident == name);
    match n {
        1 => is(0, "drop"),
        2 => is(0, "mem") && is(1, "drop"),
        3 => (is(0, "std") || is(0, "core")) && is(1, "mem") && is(2, "drop"),
        _ => false,
    }
}

fn contains_let(e: &Expr) -> bool {
    match peel(e) {
        Expr::Let(_) => true,
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
            contains_let(&b.left) || contains_let(&b.right)
        }
        _ => false,
    }
}

/// One async body's guard-lifetime interpreter.
struct Analyzer<'c, 'a> {
    cx: &'c FileCx<'a>,
    edition2024: bool,
    guards: Vec<Guard>,
    frames: Vec<Frame>,
    next_id: usize,
    /// Depth of conditionally evaluated code (branches, loop bodies, lazy operands).
    branch_depth: u32,
    /// Set while evaluating a scrutinee or loop iterator.
    temp_ctx: TempCtx,
    /// Text of the whole body (to pick a fresh name for the hoisting fix).
    body: Range<usize>,
    decl: Decl<'c>,
    imports: &'c Imports,
    /// Typed bindings in scope (one frame per drop scope).
    env: TyEnv,
}

impl<'c, 'a> Analyzer<'c, 'a> {
    fn new(
        cx: &'c FileCx<'a>,
        body: Range<usize>,
        decl: Decl<'c>,
        imports: &'c Imports,
        env: &TyEnv,
    ) -> Self {
        Analyzer {
            cx,
            edition2024: cx.crate_info.edition >= Edition::E2024,
            guards: Vec::new(),
            frames: Vec::new(),
            next_id: 0,
            branch_depth: 0,
            temp_ctx: TempCtx::Statement,
            body,
            decl,
            imports,
            env: env.snapshot(),
        }
    }

    /// A same-file helper call declared to return a guard: (kind, returns a `Result` of it).
    fn helper_kind(&self, e: &Expr) -> Option<(Kind, bool)> {
        match self.decl.types.callee_ret(e, &self.env, self.imports)? {
            LockTy::Guard(k) => Some((k, false)),
            LockTy::Fallible(inner) => match *inner {
                LockTy::Guard(k) => Some((k, true)),
                _ => None,
            },
            _ => None,
        }
    }

    fn acquisition<'e>(&self, e: &'e Expr) -> Option<Acq<'e>> {
        self.sync(acquisition(e, &|x| self.helper_kind(x)))
    }

    fn fallible_acquisition<'e>(&self, e: &'e Expr, ok_pat: bool) -> Option<Acq<'e>> {
        self.sync(fallible_acquisition(e, ok_pat, &|x| self.helper_kind(x)))
    }

    /// Keeps the acquisitions of synchronous guards: decided by the receiver's type when the file
    /// proves it, else by the call's shape, else (a bare `lock()` of unknown type) unless the same
    /// receiver's acquisition is awaited in the same declaration.
    fn sync<'e>(&self, acq: Option<Acq<'e>>) -> Option<Acq<'e>> {
        let mut acq = acq?;
        let Expr::MethodCall(mc) = acq.core else {
            return Some(acq);
        };
        if acq.helper {
            return Some(acq);
        }
        let types = self.decl.types;
        match types.type_of(&mc.receiver, &self.env, self.imports) {
            Some(LockTy::SyncLock) => (acq.kind == Kind::Lock).then_some(acq),
            Some(LockTy::Cell) => (acq.kind == Kind::Borrow).then_some(acq),
            Some(LockTy::Local(t)) => match types.fn_ret(Some(&t), &mc.method.to_string()) {
                Some((Some(LockTy::Guard(k)), false)) => {
                    acq.kind = k;
                    Some(acq)
                }
                Some((Some(LockTy::Fallible(inner)), false)) => match *inner {
                    LockTy::Guard(k) => {
                        acq.kind = k;
                        Some(acq)
                    }
                    _ => None,
                },
                Some(_) => None,
                None => self.local_method(acq, acq.core),
            },
            Some(_) => None,
            None => self.unknown_type(acq, mc),
        }
    }

    /// An acquisition on a receiver the file cannot type. Proven ones are kept; the others hold
    /// if the receiver's crate-wide type is a synchronous lock (or `RefCell`) with that method,
    /// and, when the receiver has no symbolic type at all, unless the same receiver's acquisition
    /// is awaited in the same declaration.
    fn unknown_type<'e>(&self, mut acq: Acq<'e>, mc: &ExprMethodCall) -> Option<Acq<'e>> {
        if acq.proof {
            return Some(acq);
        }
        let fallback = acq.kind == Kind::Borrow || {
            let recv = receiver_text(&mc.receiver);
            let scope = lock_scope(&recv, self.decl.fn_key, self.env.self_ty.as_deref());
            !scope.is_some_and(|s| {
                self.decl
                    .async_locks
                    .iter()
                    .any(|(sc, r)| *sc == s && *r == recv)
            })
        };
        let types = lock_types::sync_receivers(&mc.method.to_string());
        let (lock, borrow): (&[&str], &[&str]) = match acq.kind {
            Kind::Lock => (types, &[]),
            Kind::Borrow => (&[], types),
        };
        acq.cond = self.expr_at(&mc.receiver).map(|at| Cond {
            at,
            lock,
            borrow,
            fallback,
        });
        (acq.cond.is_some() || fallback).then_some(acq)
    }

    /// A local type's method the file does not declare (`store.lock()` with `impl Store`
    /// elsewhere): a guard if the method's crate-wide return type is one.
    fn local_method<'e>(&self, mut acq: Acq<'e>, call: &Expr) -> Option<Acq<'e>> {
        if acq.wrapped {
            // `.unwrap()` of a guard-returning method: `LockResult`/`Option` of a guard.
            return None;
        }
        acq.cond = Some(Cond {
            at: self.expr_at(call)?,
            lock: lock_types::LOCK_GUARD_TYPES,
            borrow: lock_types::BORROW_GUARD_TYPES,
            fallback: false,
        });
        Some(acq)
    }

    /// The file byte range of `e` as the walk sees it (for [`Sink::report_by_type`]), when
    /// cheap to know.
    fn expr_at(&self, e: &Expr) -> Option<(usize, usize)> {
        let r = crate::analysis::span::cheap_expr_range(peel(e))?;
        Some((r.start + self.cx.base, r.end + self.cx.base))
    }

    /// A `let` initializer calling a helper the file does not declare (`self.state()`,
    /// `store::lock(&m)`, `.unwrap()`ed or `?`ed): a guard if the call's crate-wide result type
    /// (unwrapped) is one.
    fn foreign_helper(&self, init: &Expr) -> Option<Cond> {
        let mut cur = peel(init);
        loop {
            match cur {
                Expr::Try(t) => cur = peel(&t.expr),
                Expr::MethodCall(mc) if core_kind(mc).is_some() => return None,
                Expr::MethodCall(mc) if is_wrapper(mc) => {
                    if mc.method != "unwrap" && mc.method != "expect" {
                        return None;
                    }
                    cur = peel(&mc.receiver);
                }
                Expr::MethodCall(_) | Expr::Call(_) => break,
                _ => return None,
            }
        }
        if self
            .decl
            .types
            .callee_ret(cur, &self.env, self.imports)
            .is_some()
        {
            // Declared in this file: `helper_kind` decided.
            return None;
        }
        if let Expr::MethodCall(mc) = cur
            && !matches!(
                self.decl
                    .types
                    .type_of(&mc.receiver, &self.env, self.imports),
                None | Some(LockTy::Local(_))
            )
        {
            // A method of a library type the file knows (a lock, a guard, ..).
            return None;
        }
        Some(Cond {
            at: self.expr_at(init)?,
            lock: lock_types::LOCK_GUARD_TYPES,
            borrow: lock_types::BORROW_GUARD_TYPES,
            fallback: false,
        })
    }

    /// Sets the condition of the guard just added.
    fn set_cond(&mut self, cond: Option<Cond>) {
        if let Some(g) = self.guards.last_mut() {
            g.cond = cond;
        }
    }

    /// Evaluates the operands of an acquisition's core call.
    fn eval_core(&mut self, acq: &Acq<'_>) {
        match acq.core {
            Expr::MethodCall(mc) => {
                self.eval(&mc.receiver);
                for a in &mc.args {
                    self.eval(a);
                }
            }
            Expr::Call(c) => {
                for a in &c.args {
                    self.eval(a);
                }
            }
            _ => {}
        }
    }

    fn push_frame(&mut self, is_block: bool) -> usize {
        self.env.push();
        let id = self.next_id;
        self.next_id += 1;
        self.frames.push(Frame {
            id,
            is_block,
            stmt: 0,
            stmt_start: 0,
            in_tail: false,
        });
        id
    }

    /// Ends the innermost scope: its guards are dropped at `end`.
    fn pop_frame(&mut self, end: Range<usize>) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        self.env.pop();
        for g in &mut self.guards {
            if g.owner == frame.id && g.alive {
                g.alive = false;
                g.end = Some((end.clone(), "guard dropped here"));
            }
            if g.shadowed_in == Some(frame.id) {
                g.shadowed_in = None;
            }
        }
    }

    /// The innermost block frame (id, statement index).
    fn block_pos(&self) -> (usize, usize) {
        self.frames
            .iter()
            .rev()
            .find(|f| f.is_block)
            .map_or((usize::MAX, 0), |f| (f.id, f.stmt))
    }

    /// The scope that owns temporaries created now.
    fn temp_owner(&self) -> usize {
        for (i, f) in self.frames.iter().enumerate().rev() {
            if f.is_block && f.in_tail && i > 0 {
                continue;
            }
            return f.id;
        }
        usize::MAX
    }

    fn short_acq(&self, core: &Expr) -> String {
        let text: String = self
            .cx
            .text(self.cx.range(core))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("");
        if text.chars().count() <= 40 {
            text
        } else if let Expr::MethodCall(mc) = core {
            format!(".{}()", mc.method)
        } else {
            "..".to_string()
        }
    }

    fn add_guard(
        &mut self,
        gk: GuardKind,
        name: Option<String>,
        kind: Kind,
        acq: Range<usize>,
        acq_text: String,
        owner: usize,
    ) {
        let (bf, stmt) = self.block_pos();
        self.guards.push(Guard {
            gk,
            name,
            shadowed_in: None,
            ever_shadowed: false,
            kind,
            acq,
            acq_text,
            owner,
            alive: true,
            end: None,
            crossed: Vec::new(),
            first_await_stmt: None,
            created_at: (bf, stmt, self.branch_depth),
            hoist: None,
            hoist_blocked: false,
            drop_fix: None,
            let_stmt: None,
            cond: None,
        });
    }

    fn temp_guard(&mut self, acq: &Acq<'_>, whole: &Expr) {
        let owner = self.temp_owner();
        let text = self.short_acq(acq.core);
        let range = self.cx.range(whole);
        self.add_guard(
            GuardKind::Temp(self.temp_ctx),
            None,
            acq.kind,
            range,
            text,
            owner,
        );
        self.set_cond(acq.cond);
    }

    /// The live, visible named guard called `name`.
    fn visible(&self, name: &str) -> Option<usize> {
        self.guards
            .iter()
            .rposition(|g| g.alive && g.shadowed_in.is_none() && g.name.as_deref() == Some(name))
    }

    fn shadow(&mut self, names: &[String]) {
        let Some(frame) = self.frames.iter().rev().find(|f| f.is_block).map(|f| f.id) else {
            return;
        };
        for g in &mut self.guards {
            if g.shadowed_in.is_none() && g.name.as_ref().is_some_and(|n| names.contains(n)) {
                g.shadowed_in = Some(frame);
                g.ever_shadowed |= g.alive;
            }
        }
    }

    /// An `.await` (or an awaiting macro) at `range`; `awaited` is the whole awaited expression.
    fn await_point(&mut self, range: Range<usize>, awaited: Option<Range<usize>>) {
        let (bf, stmt) = self.block_pos();
        let depth = self.branch_depth;
        let stmt_start = self
            .frames
            .iter()
            .rev()
            .find(|f| f.is_block)
            .map_or(0, |f| f.stmt_start);
        for i in 0..self.guards.len() {
            if !self.guards[i].alive {
                continue;
            }
            let owner = self.guards[i].owner;
            let owner_stmt = self
                .frames
                .iter()
                .find(|f| f.id == owner && f.is_block)
                .map(|f| f.stmt);
            let g = &mut self.guards[i];
            if g.crossed.is_empty() {
                g.first_await_stmt = owner_stmt;
                if let (GuardKind::Temp(_), Some(aw)) = (g.gk, &awaited)
                    && g.created_at == (bf, stmt, depth)
                    && !(aw.start <= g.acq.start && g.acq.end <= aw.end)
                {
                    g.hoist = Some(Hoist {
                        awaited: aw.clone(),
                        stmt_start,
                    });
                }
            } else {
                g.hoist_blocked = true;
            }
            g.crossed.push(range.clone());
        }
    }

    fn kill(&mut self, idx: usize, at: Range<usize>, label: &'static str) {
        if let Some(g) = self.guards.get_mut(idx) {
            g.alive = false;
            g.end = Some((at, label));
        }
    }

    /// Evaluates a block whose scope adopts `seeds` (pattern-bound guards).
    fn block(&mut self, b: &Block, seeds: Vec<Seed>) {
        let id = self.push_frame(true);
        for s in seeds {
            self.add_guard(
                GuardKind::Named,
                Some(s.name),
                s.kind,
                s.acq,
                s.acq_text,
                id,
            );
            self.set_cond(s.cond);
        }
        let n = b.stmts.len();
        for (i, s) in b.stmts.iter().enumerate() {
            let start = self.cx.range(s).start;
            if let Some(f) = self.frames.last_mut() {
                f.stmt = i;
                f.stmt_start = start;
            }
            let is_tail = i + 1 == n && matches!(s, Stmt::Expr(_, None));
            self.stmt(s, is_tail);
        }
        let close = self.cx.span_range(b.brace_token.span.close());
        self.compute_drop_fixes(id, b);
        self.pop_frame(close);
    }

    /// For named guards owned by this block that crossed an `.await` and are not mentioned from
    /// the statement of the first `.await` on: `drop(name);` before that statement.
    fn compute_drop_fixes(&mut self, id: usize, b: &Block) {
        for i in 0..self.guards.len() {
            let g = &self.guards[i];
            if g.owner != id || g.crossed.is_empty() || g.gk != GuardKind::Named || g.ever_shadowed
            {
                continue;
            }
            let (Some(name), Some(first)) = (g.name.clone(), g.first_await_stmt) else {
                continue;
            };
            if name.starts_with('_') {
                continue;
            }
            let Some(rest) = b.stmts.get(first..) else {
                continue;
            };
            if rest.iter().any(|s| mentions(s.to_token_stream(), &name)) {
                continue;
            }
            let Some(stmt) = rest.first() else { continue };
            let at = self.cx.range(stmt).start;
            let text = self.cx.source.text();
            let prefix = line_prefix(text, at);
            let own_line = prefix.chars().all(|c| c == ' ' || c == '\t');
            // Preferred: scope the guard in a block (rustc's `Send` analysis is scope-based, so
            // only a block makes the future `Send` again); possible when no `let` between the
            // guard's and the `.await`'s statements would go out of scope.
            let block = g.let_stmt.filter(|&ls| {
                own_line
                    && ls < first
                    && b.stmts.get(ls + 1..first).is_some_and(|mid| {
                        mid.iter()
                            .all(|s| matches!(s, Stmt::Expr(..) | Stmt::Macro(_)))
                    })
            });
            let fix = match block.and_then(|ls| b.stmts.get(ls)) {
                Some(let_stmt) => {
                    let start = self.cx.range(let_stmt).start;
                    let body = text.get(start..at).unwrap_or("").trim_end();
                    let mut out = format!("{{\n{prefix}    ");
                    for (k, line) in body.split('\n').enumerate() {
                        if k > 0 {
                            out.push('\n');
                            if !line.trim().is_empty() {
                                out.push_str("    ");
                            }
                        }
                        out.push_str(line.trim_end_matches('\r'));
                    }
                    out.push_str(&format!("\n{prefix}}}\n{prefix}"));
                    (Edit::replace(start..at, out), true)
                }
                None if own_line => (Edit::insert(at, format!("drop({name});\n{prefix}")), false),
                None => (Edit::insert(at, format!("drop({name}); ")), false),
            };
            self.guards[i].drop_fix = Some(fix);
        }
    }

    fn stmt(&mut self, s: &Stmt, is_tail: bool) {
        match s {
            Stmt::Local(l) => self.local(l),
            Stmt::Expr(e, semi) => {
                if is_tail && !self.edition2024 {
                    if let Some(f) = self.frames.last_mut() {
                        f.in_tail = true;
                    }
                    self.eval(e);
                    if let Some(f) = self.frames.last_mut() {
                        f.in_tail = false;
                    }
                } else {
                    self.push_frame(false);
                    self.eval(e);
                    let r = self.cx.range(e);
                    let end = match semi {
                        Some(t) => self.cx.span_range(t.span),
                        None => r.end.saturating_sub(1)..r.end,
                    };
                    self.pop_frame(end);
                }
            }
            Stmt::Macro(m) => {
                self.push_frame(false);
                let r = self.cx.range(&m.mac);
                self.eval_macro(&m.mac, r);
                let end = self.cx.range(s);
                self.pop_frame(end.end.saturating_sub(1)..end.end);
            }
            Stmt::Item(_) => {}
        }
    }

    fn local(&mut self, l: &syn::Local) {
        let semi = self.cx.span_range(l.semi_token.span);
        let mut names = Vec::new();
        bound_names(&l.pat, &mut names);
        let Some(init) = &l.init else {
            self.shadow(&names);
            bind_let(&mut self.env, self.decl.types, self.imports, l);
            return;
        };
        let block_owner = self
            .frames
            .iter()
            .rev()
            .find(|f| f.is_block)
            .map_or(usize::MAX, |f| f.id);
        // `let x = g;`: the guard moves into `x`.
        if let Expr::Path(p) = peel(&init.expr)
            && let Some(id) = p.path.get_ident()
            && let Some(idx) = self.visible(&id.to_string())
            && init.diverge.is_none()
            && let Some((new, false)) = binding(&l.pat)
        {
            let new = new.to_string();
            self.shadow(&names);
            let g = &mut self.guards[idx];
            g.name = Some(new);
            g.shadowed_in = None;
            g.owner = block_owner;
            g.gk = GuardKind::Named;
            bind_let(&mut self.env, self.decl.types, self.imports, l);
            return;
        }
        // `#[cfg(feature = "sync")] let g = m.lock()..;` next to an awaited twin: the async variant
        // of the code is compiled without it.
        let cfgd = l.attrs.iter().any(|a| a.path().is_ident("cfg"));
        let named = binding(&l.pat).filter(|_| !cfgd).and_then(|(id, unwraps)| {
            let acq = if unwraps {
                self.fallible_acquisition(&init.expr, is_ok_pat(&l.pat))
            } else {
                self.acquisition(&init.expr)
                    .or_else(|| self.sync(match_acquisition(&init.expr, &|x| self.helper_kind(x))))
            }?;
            Some((id.to_string(), acq))
        });
        self.push_frame(false);
        let mut seed = None;
        let mut extended = None;
        if let Some((name, acq)) = named {
            self.eval_core(&acq);
            let shown = match peel(&init.expr) {
                Expr::Match(m) => self.cx.range(&*m.expr),
                _ => self.cx.range(&*init.expr),
            };
            seed = Some(Seed {
                name,
                kind: acq.kind,
                acq: shown,
                acq_text: self.short_acq(acq.core),
                cond: acq.cond,
            });
        } else if !cfgd
            && let Some((acq, whole)) = extended_acquisition(&init.expr, &|x| self.helper_kind(x))
                .and_then(|(a, whole)| Some((self.sync(Some(a))?, whole)))
        {
            self.eval_core(&acq);
            extended = Some((acq, self.cx.range(whole), self.short_acq(acq.core)));
        } else if !cfgd
            && init.diverge.is_none()
            && let Some((id, false)) = binding(&l.pat)
            && let Some(cond) = self.foreign_helper(&init.expr)
        {
            self.eval(&init.expr);
            seed = Some(Seed {
                name: id.to_string(),
                kind: Kind::Lock,
                acq: self.cx.range(&*init.expr),
                acq_text: self.short_acq(peel(&init.expr)),
                cond: Some(cond),
            });
        } else {
            self.eval(&init.expr);
        }
        if let Some((_, diverge)) = &init.diverge {
            self.branch(|s| s.eval(diverge), true);
        }
        self.pop_frame(semi);
        self.shadow(&names);
        if let Some(s) = seed {
            self.add_guard(
                GuardKind::Named,
                Some(s.name),
                s.kind,
                s.acq,
                s.acq_text,
                block_owner,
            );
            self.set_cond(s.cond);
            let stmt = self
                .frames
                .iter()
                .rev()
                .find(|f| f.is_block)
                .map(|f| f.stmt);
            if let Some(g) = self.guards.last_mut() {
                g.let_stmt = stmt;
            }
        } else if let Some((acq, range, text)) = extended {
            self.add_guard(
                GuardKind::Extended,
                None,
                acq.kind,
                range,
                text,
                block_owner,
            );
            self.set_cond(acq.cond);
        }
        bind_let(&mut self.env, self.decl.types, self.imports, l);
    }

    /// Runs conditionally evaluated code; if it always diverges, guards it killed are revived
    /// for the code after it.
    fn branch(&mut self, f: impl FnOnce(&mut Self), diverging: bool) {
        let snapshot: Vec<bool> = self.guards.iter().map(|g| g.alive).collect();
        self.branch_depth += 1;
        f(self);
        self.branch_depth -= 1;
        if diverging {
            for (g, was) in self.guards.iter_mut().zip(snapshot) {
                if was && !g.alive {
                    g.alive = true;
                    g.end = None;
                }
            }
        }
    }

    /// A value in a moving position (call argument, struct field, return value, ..).
    fn consume(&mut self, e: &Expr, label: &'static str) {
        let p = peel(e);
        if let Expr::Path(path) = p
            && path.qself.is_none()
            && let Some(id) = path.path.get_ident()
            && let Some(idx) = self.visible(&id.to_string())
        {
            let r = self.cx.range(p);
            self.kill(idx, r, label);
            return;
        }
        // A bare `m.lock()` handed to a function is a future (`timeout(d, m.lock())`), and a bare
        // `x.borrow_mut()` there is `BorrowMut::borrow_mut` (a RefCell borrow would be `&mut *..`).
        if let Some((mc, _)) = bare_core(p) {
            self.eval(&mc.receiver);
            return;
        }
        self.eval(e);
    }

    /// Whether `mc` hands an acquisition's guard by value to a closure: `and_then`, `map`,
    /// `map_or(_else)`, `is_some_and`, `is_ok_and` on the acquisition's `Result`/`Option`
    /// (through `ok`, `map_err`, `ok_or(_else)`), with a closure argument.
    fn moves_guard_into_closure(&self, mc: &syn::ExprMethodCall) -> bool {
        let consumes = [
            "and_then",
            "map",
            "map_or",
            "map_or_else",
            "is_some_and",
            "is_ok_and",
        ]
        .iter()
        .any(|m| mc.method == m);
        if !consumes || !mc.args.iter().any(|a| matches!(peel(a), Expr::Closure(_))) {
            return false;
        }
        let mut recv = peel(&mc.receiver);
        loop {
            if self.acquisition(recv).is_some() {
                return true;
            }
            match recv {
                Expr::MethodCall(inner)
                    if ["ok", "map_err", "ok_or", "ok_or_else"]
                        .iter()
                        .any(|m| inner.method == m) =>
                {
                    recv = peel(&inner.receiver);
                }
                _ => return false,
            }
        }
    }

    fn eval(&mut self, e: &Expr) {
        match e {
            Expr::Await(a) => {
                if let Some((mc, _)) = bare_core(&a.base) {
                    // `m.lock().await`: an async lock.
                    self.eval(&mc.receiver);
                } else {
                    self.consume(&a.base, "guard moved here");
                }
                let start = self.cx.span_range(a.dot_token.span).start;
                let end = self.cx.span_range(a.await_token.span).end;
                let whole = self.cx.range(e);
                self.await_point(start..end, Some(whole));
            }
            Expr::MethodCall(mc) => {
                if let Some(acq) = self.acquisition(e) {
                    if acq.wrapped {
                        self.eval_wrapper_args(e);
                    }
                    self.eval_core(&acq);
                    self.temp_guard(&acq, e);
                    return;
                }
                if mc.args.is_empty()
                    && is_future_adapter(&mc.method)
                    && bare_core(&mc.receiver).is_some()
                {
                    if let Some((core, _)) = bare_core(&mc.receiver) {
                        self.eval(&core.receiver);
                    }
                    return;
                }
                let before = self.guards.len();
                self.eval(&mc.receiver);
                if self.moves_guard_into_closure(mc) {
                    // `m.try_lock().ok().and_then(|g| ..)`: the guard is the closure's, not a
                    // temporary of the statement.
                    let r = self.cx.range(e);
                    for idx in before..self.guards.len() {
                        if matches!(self.guards[idx].gk, GuardKind::Temp(_)) {
                            self.kill(idx, r.clone(), "guard moved into the closure here");
                        }
                    }
                }
                for a in &mc.args {
                    self.consume(a, "guard moved here");
                }
            }
            Expr::Call(c) => {
                self.eval(&c.func);
                if is_drop_call(c)
                    && c.args.len() == 1
                    && let Expr::Path(p) = peel(&c.args[0])
                    && let Some(id) = p.path.get_ident()
                    && let Some(idx) = self.visible(&id.to_string())
                {
                    let r = self.cx.range(e);
                    self.kill(idx, r, "guard dropped here");
                    return;
                }
                for a in &c.args {
                    self.consume(a, "guard moved here");
                }
            }
            Expr::Try(t) => {
                if let Some(acq) = self.acquisition(e) {
                    self.eval_wrapper_args(e);
                    self.eval_core(&acq);
                    self.temp_guard(&acq, e);
                } else {
                    self.eval(&t.expr);
                }
            }
            Expr::Macro(m) => {
                let r = self.cx.range(e);
                self.eval_macro(&m.mac, r);
            }
            Expr::Block(b) => self.block(&b.block, Vec::new()),
            Expr::Unsafe(u) => self.block(&u.block, Vec::new()),
            Expr::TryBlock(t) => self.block(&t.block, Vec::new()),
            Expr::Const(_)
            | Expr::Lit(_)
            | Expr::Path(_)
            | Expr::Continue(_)
            | Expr::Infer(_)
            | Expr::Verbatim(_) => {}
            Expr::Async(a) if a.capture.is_some() && self.any_named_alive() => {
                self.capture(a.block.to_token_stream(), e);
            }
            Expr::Closure(c) if c.capture.is_some() && self.any_named_alive() => {
                self.capture(c.body.to_token_stream(), e);
            }
            Expr::Closure(c) if self.any_named_alive() => self.capture_moved(&c.body, e),
            Expr::Async(_) | Expr::Closure(_) => {}
            Expr::If(i) => self.eval_if(i),
            Expr::Match(m) => self.eval_match(m),
            Expr::While(w) => {
                let body_close = self.cx.span_range(w.body.brace_token.span.close());
                self.branch(
                    |s| {
                        if contains_let(&w.cond) {
                            s.push_frame(false);
                            let seeds = s.eval_cond(&w.cond, TempCtx::WhileLet);
                            s.block(&w.body, seeds);
                            s.pop_frame(body_close);
                        } else {
                            s.push_frame(false);
                            s.eval(&w.cond);
                            let r = s.cx.range(&*w.cond);
                            s.pop_frame(r);
                            s.block(&w.body, Vec::new());
                        }
                    },
                    false,
                );
            }
            Expr::ForLoop(f) => {
                let saved = std::mem::replace(&mut self.temp_ctx, TempCtx::For);
                self.eval(&f.expr);
                self.temp_ctx = saved;
                self.branch(
                    |s| {
                        s.env.push();
                        s.env.bind_unknown(&f.pat);
                        s.block(&f.body, Vec::new());
                        s.env.pop();
                    },
                    false,
                );
            }
            Expr::Loop(l) => self.branch(|s| s.block(&l.body, Vec::new()), false),
            Expr::Binary(b) => match b.op {
                BinOp::And(_) | BinOp::Or(_) => {
                    self.eval(&b.left);
                    self.branch(
                        |s| {
                            s.push_frame(false);
                            s.eval(&b.right);
                            let r = s.cx.range(&*b.right);
                            s.pop_frame(r);
                        },
                        false,
                    );
                }
                BinOp::AddAssign(_)
                | BinOp::SubAssign(_)
                | BinOp::MulAssign(_)
                | BinOp::DivAssign(_)
                | BinOp::RemAssign(_)
                | BinOp::BitXorAssign(_)
                | BinOp::BitAndAssign(_)
                | BinOp::BitOrAssign(_)
                | BinOp::ShlAssign(_)
                | BinOp::ShrAssign(_) => {
                    self.eval(&b.right);
                    self.eval(&b.left);
                }
                _ => {
                    self.eval(&b.left);
                    self.eval(&b.right);
                }
            },
            Expr::Assign(a) => {
                self.consume(&a.right, "guard moved here");
                self.eval(&a.left);
            }
            Expr::Return(r) => {
                if let Some(v) = &r.expr {
                    self.consume(v, "guard moved here");
                }
            }
            Expr::Break(b) => {
                if let Some(v) = &b.expr {
                    self.consume(v, "guard moved here");
                }
            }
            Expr::Yield(y) => {
                if let Some(v) = &y.expr {
                    self.consume(v, "guard moved here");
                }
            }
            Expr::Struct(s) => {
                for f in &s.fields {
                    self.consume(&f.expr, "guard moved here");
                }
                if let Some(r) = &s.rest {
                    self.eval(r);
                }
            }
            Expr::Tuple(t) => t
                .elems
                .iter()
                .for_each(|x| self.consume(x, "guard moved here")),
            Expr::Array(a) => a
                .elems
                .iter()
                .for_each(|x| self.consume(x, "guard moved here")),
            Expr::Repeat(r) => self.eval(&r.expr),
            Expr::Cast(c) => self.eval(&c.expr),
            Expr::Field(f) => self.eval(&f.base),
            Expr::Group(g) => self.eval(&g.expr),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Index(i) => {
                self.eval(&i.expr);
                self.eval(&i.index);
            }
            Expr::Range(r) => {
                if let Some(s) = &r.start {
                    self.eval(s);
                }
                if let Some(x) = &r.end {
                    self.eval(x);
                }
            }
            Expr::Reference(r) => self.eval(&r.expr),
            Expr::RawAddr(r) => self.eval(&r.expr),
            Expr::Unary(u) => self.eval(&u.expr),
            Expr::Let(l) => {
                self.eval(&l.expr);
                self.env.bind_unknown(&l.pat);
            }
            _ => {}
        }
    }

    /// Arguments of the wrappers around an acquisition (`expect("msg")`, `map_err(..)`).
    fn eval_wrapper_args(&mut self, e: &Expr) {
        let mut cur = peel(e);
        loop {
            match cur {
                Expr::Try(t) => cur = peel(&t.expr),
                Expr::MethodCall(mc) if core_kind(mc).is_none() => {
                    for a in &mc.args {
                        self.eval(a);
                    }
                    cur = peel(&mc.receiver);
                }
                _ => return,
            }
        }
    }

    fn any_named_alive(&self) -> bool {
        self.guards.iter().any(|g| g.alive && g.name.is_some())
    }

    /// A `move` closure or `async move` block mentioning a guard takes it.
    fn capture(&mut self, body: TokenStream, e: &Expr) {
        let r = self.cx.range(e);
        for i in 0..self.guards.len() {
            let g = &self.guards[i];
            if g.alive
                && g.shadowed_in.is_none()
                && let Some(n) = &g.name
                && mentions(body.clone(), n)
            {
                self.kill(i, r.clone(), "guard moved here");
            }
        }
    }

    /// A closure that moves a guard in its body (`|| drop(g)`, `|| consume(g)`) captures it by
    /// value: the guard leaves this scope with the closure.
    fn capture_moved(&mut self, body: &Expr, e: &Expr) {
        let r = self.cx.range(e);
        for i in 0..self.guards.len() {
            let g = &self.guards[i];
            if g.alive
                && g.shadowed_in.is_none()
                && let Some(n) = &g.name
                && moves_name(body, n)
            {
                self.kill(i, r.clone(), "guard moved here");
            }
        }
    }

    /// Evaluates an `if`/`while` condition; returns guards bound by `let Ok(g) = m.lock()`.
    fn eval_cond(&mut self, cond: &Expr, ctx: TempCtx) -> Vec<Seed> {
        if let Expr::Let(l) = peel(cond)
            && let Some((name, unwraps)) = binding(&l.pat)
        {
            let acq = if unwraps {
                self.fallible_acquisition(&l.expr, is_ok_pat(&l.pat))
            } else {
                self.acquisition(&l.expr)
            };
            if let Some(acq) = acq {
                self.eval_core(&acq);
                self.env.bind_unknown(&l.pat);
                let text = self.short_acq(acq.core);
                return vec![Seed {
                    name: name.to_string(),
                    kind: acq.kind,
                    acq: self.cx.range(&*l.expr),
                    acq_text: text,
                    cond: acq.cond,
                }];
            }
        }
        let saved = std::mem::replace(&mut self.temp_ctx, ctx);
        self.eval(cond);
        self.temp_ctx = saved;
        Vec::new()
    }

    fn eval_if(&mut self, i: &syn::ExprIf) {
        let then_close = self.cx.span_range(i.then_branch.brace_token.span.close());
        let then_diverges = block_diverges(&i.then_branch);
        if contains_let(&i.cond) {
            if self.edition2024 {
                // Edition 2024: the scrutinee's temporaries are dropped before `else`.
                self.push_frame(false);
                let seeds = self.eval_cond(&i.cond, TempCtx::IfLet);
                self.branch(|s| s.block(&i.then_branch, seeds), then_diverges);
                self.pop_frame(then_close);
            } else {
                let seeds = self.eval_cond(&i.cond, TempCtx::IfLet);
                self.branch(|s| s.block(&i.then_branch, seeds), then_diverges);
            }
        } else {
            self.push_frame(false);
            self.eval(&i.cond);
            let r = self.cx.range(&*i.cond);
            self.pop_frame(r);
            self.branch(|s| s.block(&i.then_branch, Vec::new()), then_diverges);
        }
        if let Some((_, els)) = &i.else_branch {
            let d = diverges(els);
            self.branch(|s| s.eval(els), d);
        }
    }

    fn eval_match(&mut self, m: &syn::ExprMatch) {
        // `match m.lock() { Ok(g) => .., Err(e) => .. }`: the arm binding owns the guard.
        let bound = self
            .fallible_acquisition(&m.expr, m.arms.iter().any(|a| is_ok_pat(&a.pat)))
            .filter(|_| m.arms.iter().any(|a| arm_binding(&a.pat).is_some()));
        if let Some(acq) = &bound {
            self.eval_core(acq);
        } else {
            let saved = std::mem::replace(&mut self.temp_ctx, TempCtx::Match);
            self.eval(&m.expr);
            self.temp_ctx = saved;
        }
        for arm in &m.arms {
            let mut seeds = Vec::new();
            if let Some(acq) = &bound
                && let Some(name) = arm_binding(&arm.pat)
            {
                seeds.push(Seed {
                    name: name.to_string(),
                    kind: acq.kind,
                    acq: self.cx.range(&*m.expr),
                    acq_text: self.short_acq(acq.core),
                    cond: acq.cond,
                });
            }
            let d = diverges(&arm.body);
            self.branch(
                |s| {
                    s.env.push();
                    s.env.bind_unknown(&arm.pat);
                    if let Pat::Guard(g) = &arm.pat {
                        s.push_frame(false);
                        s.eval(&g.guard);
                        let r = s.cx.range(&*g.guard);
                        s.pop_frame(r);
                    }
                    match &*arm.body {
                        Expr::Block(b) if b.label.is_none() => s.block(&b.block, seeds),
                        body => {
                            let id = s.push_frame(false);
                            for seed in seeds {
                                s.add_guard(
                                    GuardKind::Named,
                                    Some(seed.name),
                                    seed.kind,
                                    seed.acq,
                                    seed.acq_text,
                                    id,
                                );
                                s.set_cond(seed.cond);
                            }
                            s.eval(body);
                            let r = s.cx.range(body);
                            s.pop_frame(r.end.saturating_sub(1)..r.end);
                        }
                    }
                    s.env.pop();
                },
                d,
            );
        }
    }

    fn eval_macro(&mut self, mac: &syn::Macro, range: Range<usize>) {
        let kind = macros::kind(mac);
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let label = self.cx.range(&mac.path).start..self.cx.span_range(mac.bang_token.span).end;
        match kind {
            MacroKind::Select => {
                let Some(sel) = macros::parse_select(&mac.tokens) else {
                    self.await_point(label, None);
                    return;
                };
                for b in &sel.branches {
                    if let Some(f) = &b.future {
                        self.consume(f, "guard moved here");
                    }
                }
                self.await_point(label, None);
                for b in &sel.branches {
                    let d = diverges(&b.handler);
                    self.branch(
                        |s| {
                            s.push_frame(false);
                            s.eval(&b.handler);
                            let r = s.cx.range(&b.handler);
                            s.pop_frame(r);
                        },
                        d,
                    );
                }
            }
            MacroKind::ExprList if name == "join" || name == "try_join" => {
                if let Some(list) = macros::parse_expr_list(&mac.tokens) {
                    for e in &list {
                        self.consume(e, "guard moved here");
                    }
                }
                self.await_point(label, None);
            }
            MacroKind::ExprList => {
                let moves = name == "pin";
                if let Some(list) = macros::parse_expr_list(&mac.tokens) {
                    for e in &list {
                        if moves {
                            self.consume(e, "guard moved here");
                        } else {
                            self.eval(e);
                        }
                    }
                }
            }
            MacroKind::Opaque => {
                let _ = range;
            }
        }
    }

    fn report(mut self, sink: &mut Sink<'_>) {
        let body_text = self.cx.text(self.body.clone()).to_string();
        for g in std::mem::take(&mut self.guards) {
            if g.crossed.is_empty() {
                continue;
            }
            let Some(c) = g.cond else {
                let (message, help, fix) = self.parts(&g, g.kind, &body_text);
                let r = sink.report(&LOCK_ACROSS_AWAIT, g.acq.clone(), message);
                finish(r, &g, help, fix);
                continue;
            };
            // One conditional finding per guard kind the crate-wide type may prove.
            for (kind, types) in [(Kind::Lock, c.lock), (Kind::Borrow, c.borrow)] {
                if types.is_empty() {
                    continue;
                }
                let (message, help, fix) = self.parts(&g, kind, &body_text);
                let r = sink.report_by_type(
                    c.at.0..c.at.1,
                    types.iter().map(|t| t.to_string()).collect(),
                    c.fallback && kind == g.kind,
                    &LOCK_ACROSS_AWAIT,
                    g.acq.clone(),
                    message,
                );
                finish(r, &g, help, fix);
            }
        }
    }

    /// The message, help and fix of a finding on `g`, a guard of kind `kind`.
    fn parts(&self, g: &Guard, kind: Kind, body_text: &str) -> (String, String, Fix) {
        match g.gk {
            GuardKind::Named => {
                let name = g.name.clone().unwrap_or_default();
                let message = named_message(kind, &name, &g.acq_text);
                match &g.drop_fix {
                    Some((edit, true)) => (
                        message,
                        scope_help(&name),
                        Fix::unsafe_(
                            format!("scope `{name}` in a block that ends before the `.await`"),
                            vec![edit.clone()],
                        ),
                    ),
                    Some((edit, false)) => (
                        message,
                        drop_help(&name),
                        Fix::unsafe_(
                            format!("drop `{name}` before the first `.await`"),
                            vec![edit.clone()],
                        ),
                    ),
                    None => (
                        message,
                        named_help(kind, &name, g.ever_shadowed),
                        manual_fix(kind),
                    ),
                }
            }
            GuardKind::Extended => (
                extended_message(kind, &g.acq_text),
                named_help(kind, "", false),
                manual_fix(kind),
            ),
            GuardKind::Temp(ctx) => {
                let message = temp_message(kind, &g.acq_text, ctx);
                let hoist = if g.hoist_blocked {
                    None
                } else {
                    g.hoist.clone()
                };
                match hoist.and_then(|h| self.hoist_fix(&h, body_text)) {
                    Some((awaited, fix)) => (message, temp_help(kind, ctx, Some(&awaited)), fix),
                    None => (message, temp_help(kind, ctx, None), manual_fix(kind)),
                }
            }
        }
    }

    /// `let value = <awaited>;` before the statement, `value` in its place.
    fn hoist_fix(&self, h: &Hoist, body_text: &str) -> Option<(String, Fix)> {
        let name = ["value", "awaited", "awaited_value"]
            .into_iter()
            .find(|n| !has_word(body_text, n))?;
        let awaited = self.cx.text(h.awaited.clone());
        if awaited.is_empty() || awaited.contains('\n') && awaited.len() > 200 {
            return None;
        }
        let text = self.cx.source.text();
        let line_start = text
            .get(..h.stmt_start)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |p| p + 1);
        let prefix = text.get(line_start..h.stmt_start).unwrap_or("");
        let sep = if prefix.chars().all(|c| c == ' ' || c == '\t') {
            format!("\n{prefix}")
        } else {
            " ".to_string()
        };
        let fix = Fix::unsafe_(
            "await before taking the guard",
            vec![
                Edit::insert(h.stmt_start, format!("let {name} = {awaited};{sep}")),
                Edit::replace(h.awaited.clone(), name),
            ],
        );
        let shown = if awaited.chars().count() <= 40 {
            awaited.to_string()
        } else {
            "<future>.await".to_string()
        };
        Some((shown, fix))
    }
}

/// Attaches the labels, help and fix of a finding on `g`.
fn finish(r: Reported<'_>, g: &Guard, help: String, fix: Fix) {
    let mut r = r;
    for a in &g.crossed {
        r = r.label(a.clone(), "guard still held here");
    }
    if let Some((at, label)) = &g.end {
        r = r.label(at.clone(), *label);
    }
    r.help(help).fix(fix);
}

fn manual_fix(kind: Kind) -> Fix {
    match kind {
        Kind::Lock => Fix::manual(
            "release the guard before the `.await`, or switch to `tokio::sync::Mutex`",
            Vec::new(),
        ),
        Kind::Borrow => Fix::manual("end the borrow before the `.await`", Vec::new()),
    }
}

/// The whitespace (or code) between the start of the line holding `at` and `at`.
fn line_prefix(text: &str, at: usize) -> &str {
    let line_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |p| p + 1);
    text.get(line_start..at).unwrap_or("")
}

/// `.boxed()`, `.fuse()`, ..: future adapters; a bare `m.lock()` in front of them is a future.
fn is_future_adapter(m: &syn::Ident) -> bool {
    m == "boxed"
        || m == "boxed_local"
        || m == "fuse"
        || m == "into_future"
        || m == "now_or_never"
        || m == "shared"
}

/// `&*m.lock().unwrap()`, `&m.borrow().field`: a reference that extends the guard's life.
fn extended_acquisition<'e>(e: &'e Expr, helper: HelperKind<'_>) -> Option<(Acq<'e>, &'e Expr)> {
    let Expr::Reference(r) = peel(e) else {
        return None;
    };
    let mut cur = peel(&r.expr);
    loop {
        match cur {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => cur = peel(&u.expr),
            Expr::Field(f) => cur = peel(&f.base),
            _ => break,
        }
    }
    acquisition(cur, helper).map(|a| (a, cur))
}

/// `match m.lock() { Ok(g) => g, Err(e) => e.into_inner() }`: a match that yields the guard.
fn match_acquisition<'e>(e: &'e Expr, helper: HelperKind<'_>) -> Option<Acq<'e>> {
    let Expr::Match(m) = peel(e) else { return None };
    let ok = m.arms.iter().any(|a| is_ok_pat(&a.pat));
    let acq = fallible_acquisition(&m.expr, ok, helper)?;
    let yields_guard = m.arms.iter().any(|a| {
        arm_binding(&a.pat)
            .is_some_and(|name| matches!(peel(&a.body), Expr::Path(p) if p.path.is_ident(name)))
    });
    yields_guard.then_some(acq)
}

fn arm_binding(pat: &Pat) -> Option<&syn::Ident> {
    let pat = if let Pat::Guard(g) = pat {
        &*g.pat
    } else {
        pat
    };
    match pat {
        Pat::TupleStruct(_) => binding(pat).filter(|(_, unwraps)| *unwraps).map(|(i, _)| i),
        _ => None,
    }
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text.get(..i).and_then(|t| t.chars().next_back());
        let after = text.get(i + word.len()..).and_then(|t| t.chars().next());
        let is_id = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !is_id(before) && !is_id(after)
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use crate::lint::{Settings, lint_text};
    use crate::project::{CrateInfo, Edition};

    fn lines(src: &str, edition: Edition) -> Vec<usize> {
        let settings = Settings {
            rules: vec![&super::LOCK_ACROSS_AWAIT],
            ..Settings::default()
        };
        let info = CrateInfo {
            edition,
            ..CrateInfo::default()
        };
        let out = lint_text(
            Arc::new(PathBuf::from("t.rs")),
            src.to_string(),
            info,
            &settings,
        );
        let Some(source) = out.source else {
            return Vec::new();
        };
        out.diagnostics
            .iter()
            .map(|d| source.position(d.range.start).line)
            .collect()
    }

    const IF_LET_ELSE: &str = "async fn f(m: &std::sync::Mutex<Vec<u8>>) {
    if let Some(x) = m.lock().unwrap().first().copied() {
        let _ = x;
    } else {
        g().await;
    }
}
async fn g() {}
";

    #[test]
    fn if_let_else_depends_on_edition() {
        assert_eq!(lines(IF_LET_ELSE, Edition::E2021), vec![2]);
        assert!(lines(IF_LET_ELSE, Edition::E2024).is_empty());
    }

    const TAIL: &str = "async fn f(m: &std::sync::Mutex<Vec<u8>>) {
    let n = {
        let k = 1;
        m.lock().unwrap().len() + k
    } + g().await;
    let _ = n;
}
async fn g() -> usize { 0 }
";

    #[test]
    fn tail_temporaries_depend_on_edition() {
        assert_eq!(lines(TAIL, Edition::E2021), vec![4]);
        assert!(lines(TAIL, Edition::E2024).is_empty());
    }

    #[test]
    fn never_panics_on_odd_input() {
        for odd in [
            "async fn f() { let = ; m.lock(). }",
            "async fn f() { let g = m.lock(); }",
            "async fn f() { let g = &*m.lock(); let g = g; drop(g); x.await }",
            "async fn f() { match m.lock() { Ok(g) => g, Err(e) => e.into_inner() }.await; }",
            "async fn f() { tokio::select! {} ; tokio::join!(); }",
        ] {
            let _ = lines(odd, Edition::E2021);
        }
    }
}
