//! Which expressions produce a guard: synchronous lock acquisitions (`m.lock().unwrap()`,
//! `rw.read()`, `cell.borrow_mut()`, ..), decided by the receiver's type when the file proves
//! it, else by the call's shape, and helpers declared to return a guard. [`Locks`] answers the
//! binding model's questions ([`Tracker`]) for the lock rule.

use crate::span::ByteRange;
use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall, Pat};

use crate::analysis::FileCx;
use crate::analysis::bindings::{Produced, Tracker};
use crate::analysis::imports::Imports;
use crate::analysis::lock_types::{self, FileTypes, Kind, LockTy, TyEnv};
use crate::analysis::paths::peel;

/// What the rule keeps about a guard.
#[derive(Clone)]
pub(super) struct LockData {
    pub(super) kind: Kind,
    /// The acquisition's short text, for messages.
    pub(super) acq_text: String,
    /// What makes the finding hold, when the file alone cannot tell.
    pub(super) cond: Option<Cond>,
}

/// A guard the file cannot prove synchronous: reported if the expression at `at` (file byte
/// range) has, crate-wide, one of `lock` (as a lock guard) or `borrow` (as a borrow) types;
/// else (the expression has no symbolic type) only if `fallback`. See [`Sink::report_by_type`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Cond {
    pub(super) at: (usize, usize),
    pub(super) lock: &'static [&'static str],
    pub(super) borrow: &'static [&'static str],
    pub(super) fallback: bool,
    /// Also holds when the crate cannot type the expression (the call's shape proves a
    /// synchronous lock unless the receiver's type is known to be something else).
    pub(super) untyped: bool,
    /// The acquiring method (`borrow`): when nothing types the receiver, a method of the
    /// crate's own types with this name may be what is called, and the finding is dropped.
    pub(super) method: &'static str,
}

/// The acquiring methods [`core_kind`] knows, as static names.
const ACQUIRING: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "borrow",
    "borrow_mut",
    "borrow_and_update",
    "try_borrow",
    "try_borrow_mut",
];

/// The static name of an acquiring method (`""` for any other).
fn acquiring_name(m: &syn::Ident) -> &'static str {
    ACQUIRING.iter().find(|n| m == *n).copied().unwrap_or("")
}

/// Where an "awaited elsewhere" lock is known to be async: the same fn (locals, parameters,
/// statics) or the same impl self type (`self.f`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LockScope {
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
pub(super) struct AsyncLockNames {
    pub(super) found: Vec<(LockScope, String)>,
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
pub(super) fn fn_key(sig: &syn::Signature) -> usize {
    sig.fn_token.span.start_byte()
}

/// What an analysis knows about the declaration it runs in.
#[derive(Clone, Copy)]
pub(super) struct Decl<'c> {
    pub(super) types: &'c FileTypes,
    pub(super) async_locks: &'c [(LockScope, String)],
    pub(super) fn_key: Option<usize>,
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
            // `Pin::new(g)`, `Box::new(g)`: the wrapper owns the guard, which lives as long as it.
            Expr::Call(c) if is_owning_wrapper(c) => cur = peel(&c.args[0]),
            Expr::Call(_) => return helper_acquisition(cur, wrapped, helper),
            _ => return None,
        }
    }
}

/// `Pin::new(x)`, `Box::new(x)`, `Box::pin(x)` (however qualified): a value that owns `x`.
fn is_owning_wrapper(c: &syn::ExprCall) -> bool {
    let Expr::Path(p) = peel(&c.func) else {
        return false;
    };
    let segs: Vec<_> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    c.args.len() == 1
        && matches!(
            segs.iter()
                .rev()
                .take(2)
                .map(String::as_str)
                .collect::<Vec<_>>()[..],
            ["new", "Pin"] | ["new", "Box"] | ["pin", "Box"]
        )
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

/// The lock rule's side of the binding model for one async body.
pub(super) struct Locks<'c, 'a> {
    pub(super) cx: &'c FileCx<'a>,
    pub(super) decl: Decl<'c>,
    pub(super) imports: &'c Imports,
    /// Typed bindings in scope (one frame per drop scope).
    pub(super) env: TyEnv,
}

impl Locks<'_, '_> {
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
    /// is awaited in the same declaration or the method is a `try_` one (whose `Result` of a
    /// guard tokio's locks give too).
    fn unknown_type<'e>(&self, mut acq: Acq<'e>, mc: &ExprMethodCall) -> Option<Acq<'e>> {
        if acq.proof {
            // The shape (`Ok(g) = m.write()`, `.write().unwrap()`) proves the lock is not an
            // async one, not that `write` is a lock's: a method of the crate's own type named
            // like one (`Backend::write() -> Result<WriteTxn, E>`) has the same shape. Held
            // unless the crate types the receiver as something other than a synchronous lock.
            if let Some(at) = self.expr_at(&mc.receiver) {
                acq.cond = Some(Cond {
                    at,
                    lock: lock_types::sync_receivers(&mc.method.to_string()),
                    borrow: &[],
                    fallback: true,
                    untyped: true,
                    // `.unwrap()` on the acquisition proves a std lock (issue #14): no veto.
                    method: "",
                });
            }
            return Some(acq);
        }
        // `m.try_lock()` / `try_read()` / `try_write()` give a `Result` of a guard on tokio's
        // locks too: unlike a bare `lock()` (a future there), their shape proves nothing.
        let async_shaped = acq.kind == Kind::Lock && mc.method.to_string().starts_with("try_");
        let fallback = acq.kind == Kind::Borrow
            || !async_shaped && {
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
            untyped: false,
            method: acquiring_name(&mc.method),
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
            untyped: false,
            method: "",
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
            untyped: false,
            method: "",
        })
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

    fn produced<'e>(&self, acq: Acq<'e>) -> Produced<'e, LockData> {
        Produced {
            core: acq.core,
            wrapped: acq.wrapped,
            data: LockData {
                kind: acq.kind,
                acq_text: self.short_acq(acq.core),
                cond: acq.cond,
            },
        }
    }
}

impl Tracker for Locks<'_, '_> {
    type Data = LockData;

    fn value<'e>(&self, e: &'e Expr) -> Option<Produced<'e, LockData>> {
        self.acquisition(e).map(|a| self.produced(a))
    }

    fn fallible_value<'e>(&self, e: &'e Expr, ok_pat: bool) -> Option<Produced<'e, LockData>> {
        self.fallible_acquisition(e, ok_pat)
            .map(|a| self.produced(a))
    }

    fn bound_value(&self, init: &Expr) -> Option<LockData> {
        let cond = self.foreign_helper(init)?;
        Some(LockData {
            kind: Kind::Lock,
            acq_text: self.short_acq(peel(init)),
            cond: Some(cond),
        })
    }

    fn inert<'e>(&self, e: &'e Expr) -> Option<&'e Expr> {
        bare_core(e).map(|(mc, _)| &*mc.receiver)
    }

    fn enter(&mut self) {
        self.env.push();
    }

    fn exit(&mut self) {
        self.env.pop();
    }

    fn bind_local(&mut self, l: &syn::Local) {
        self.decl.types.bind_let(&mut self.env, self.imports, l);
    }

    fn bind_pat(&mut self, pat: &Pat) {
        self.env.bind_unknown(pat);
    }
}
