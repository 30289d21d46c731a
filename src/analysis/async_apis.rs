//! The syntactic types the async-API catalog ([`crate::analysis::async_catalog`]) gives: which
//! calls create futures (functions, constructor chains), what builders of library types return,
//! what awaiting their async methods gives, and which declared types are callables returning a
//! future (`F: Fn() -> Fut, Fut: Future`, `Box<dyn Fn() -> BoxFuture>`).
//!
//! These are the fallbacks of the `typing` module's inference, which hands its own entry points
//! in ([`Recurse`]) for the receivers and alias targets these types are built on, so every local
//! of the walk gets them. Unknown stays unknown: a type is known only from a catalogued
//! constructor, a declared type the file's imports resolve to a catalogued one, or a type alias
//! declared in the same file.

use rustc_hash::FxHashMap as HashMap;
use std::cell::{Cell, RefCell};

use syn::{Expr, Type};

use crate::analysis::async_catalog::Ctor;
use crate::analysis::async_catalog::{FUTURE_FN, catalog};
use crate::analysis::file::FileCx;
use crate::analysis::imports::display;
use crate::analysis::paths;
use crate::analysis::ty::Ty;

/// The full inference these fallbacks build on (the `typing` module's): the type of an
/// expression (a receiver) and of a declared type (an alias target).
#[derive(Clone, Copy)]
pub struct Recurse {
    /// The type of an expression.
    pub expr: fn(&FileCx<'_>, &Expr) -> Option<Ty>,
    /// The type a declared type names.
    pub declared: fn(&FileCx<'_>, &Type) -> Option<Ty>,
}

/// Whether a call of local `name` (`hook(0)`) returns a future: its declared type says so.
pub fn calls_future_fn(cx: &FileCx<'_>, name: &str) -> bool {
    cx.local(name).flatten() == Some(FUTURE_FN)
}

// ---------------------------------------------------------------------------------------------
// Types from expressions.

/// The type of `e` from this catalog: a constructor call, a builder method of a known type, or
/// the awaited output of a catalogued async call.
pub fn infer(cx: &FileCx<'_>, e: &Expr, outer: Recurse) -> Option<Ty> {
    let cat = catalog();
    match paths::peel(e) {
        // `|x| async move { .. }`, `async |x| ..`: calling it creates a future.
        Expr::Closure(c) if c.asyncness.is_some() || ends_in_async(&c.body) => {
            Some(Ty::One(FUTURE_FN))
        }
        Expr::Call(c) => match ctor(cx, c)? {
            k if k.returns.len() == 1 => k.returns.first().map(|t| Ty::One(t.as_str())),
            k if k.returns.len() > 1 => Some(Ty::Tuple(&k.returns)),
            _ => None,
        },
        Expr::MethodCall(m) if cat.typed_methods.contains(&m.method.to_string()) => {
            let Ty::One(t) = (outer.expr)(cx, &m.receiver)? else {
                return None;
            };
            let r = cat.lib_type(t)?.returns.get(&m.method.to_string())?;
            cat.known_type(r).map(Ty::One)
        }
        Expr::Await(a) => match paths::peel(&a.base) {
            Expr::Call(c) => cat.known_type(ctor(cx, c)?.awaits.as_deref()?).map(Ty::One),
            Expr::MethodCall(m) if cat.typed_methods.contains(&m.method.to_string()) => {
                let Ty::One(t) = (outer.expr)(cx, &m.receiver)? else {
                    return None;
                };
                let out = cat.lib_type(t)?.outputs.get(&m.method.to_string())?;
                cat.known_type(out).map(Ty::One)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether a closure body's value is an `async` block (directly or as a block's tail).
fn ends_in_async(body: &Expr) -> bool {
    match paths::peel(body) {
        Expr::Async(_) => true,
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(tail, None)) => ends_in_async(tail),
            _ => false,
        },
        _ => false,
    }
}

fn ctor(cx: &FileCx<'_>, c: &syn::ExprCall) -> Option<&'static Ctor> {
    let cat = catalog();
    let path = paths::call_path(c)?;
    let last = path.segments.last()?.ident.to_string();
    if !cat.ctor_last.contains(&last) || (path.segments.len() == 1 && cx.local(&last).is_some()) {
        return None;
    }
    cat.constructor
        .get(*cat.ctors.get(&display(&cx.resolve(path)))?)
}

// ---------------------------------------------------------------------------------------------
// Types from declarations.

thread_local! {
    /// Alias expansions in progress (a bound against `type A = B; type B = A;`).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The type aliases of the file being linted: (generation, name -> target, `None` when the
    /// name is declared more than once).
    static ALIASES: RefCell<(u64, HashMap<String, Option<Type>>)> = RefCell::default();
}

/// The target of `type name = ..;` when the file declares exactly one alias of that name.
fn alias(cx: &FileCx<'_>, name: &str) -> Option<Type> {
    ALIASES.with(|a| {
        let mut a = a.borrow_mut();
        if a.0 != cx.generation {
            let mut map = HashMap::default();
            collect_aliases(&cx.file.items, &mut map);
            *a = (cx.generation, map);
        }
        a.1.get(name).cloned().flatten()
    })
}

fn collect_aliases(items: &[syn::Item], out: &mut HashMap<String, Option<Type>>) {
    for item in items {
        match item {
            syn::Item::Type(t) => {
                let name = t.ident.to_string();
                let ty = (*t.ty).clone();
                out.entry(name)
                    .and_modify(|v| *v = None)
                    .or_insert(Some(ty));
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_aliases(items, out);
                }
            }
            _ => {}
        }
    }
}

/// Runs `f` one alias expansion deeper, or gives `None` past a small bound.
fn deeper<T>(f: impl FnOnce() -> Option<T>) -> Option<T> {
    let d = DEPTH.with(Cell::get);
    if d >= 8 {
        return None;
    }
    DEPTH.with(|c| c.set(d + 1));
    let out = f();
    DEPTH.with(|c| c.set(d));
    out
}

/// The generic parameters in scope of a declared type (the enclosing fn's).
type Generics<'g> = Option<&'g syn::Generics>;

/// The type a declared type names, from this catalog (`&mpsc::Sender<T>`, `Arc<Notify>`, a
/// same-file alias of one), or [`FUTURE_FN`] for a callable returning a future.
pub fn annotated(cx: &FileCx<'_>, ty: &Type, outer: Recurse) -> Option<&'static str> {
    declared(cx, ty, None, outer)
}

/// [`annotated`] for a fn parameter, which also knows the fn's generic parameters
/// (`hook: F` with `F: Fn() -> Fut, Fut: Future`).
pub fn annotated_param(
    cx: &FileCx<'_>,
    ty: &Type,
    generics: &syn::Generics,
    outer: Recurse,
) -> Option<&'static str> {
    declared(cx, ty, Some(generics), outer)
}

/// The single type of an inferred type.
fn one(t: Option<Ty>) -> Option<&'static str> {
    match t {
        Some(Ty::One(s)) => Some(s),
        _ => None,
    }
}

fn declared(cx: &FileCx<'_>, ty: &Type, g: Generics<'_>, outer: Recurse) -> Option<&'static str> {
    let cat = catalog();
    match ty {
        Type::Reference(r) => declared(cx, &r.elem, g, outer),
        Type::Paren(p) => declared(cx, &p.elem, g, outer),
        Type::Group(p) => declared(cx, &p.elem, g, outer),
        Type::TraitObject(t) => fn_bounds_return_future(cx, &t.bounds, g).then_some(FUTURE_FN),
        Type::ImplTrait(t) => fn_bounds_return_future(cx, &t.bounds, g).then_some(FUTURE_FN),
        Type::FnPtr(f) => match &f.output {
            syn::ReturnType::Type(_, out) => returns_future(cx, out, g).then_some(FUTURE_FN),
            syn::ReturnType::Default => None,
        },
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if p.path.segments.len() == 1 {
                if let Some(bounds) = generic_bounds(g, &name) {
                    return fn_bounds_return_future(cx, &bounds, g).then_some(FUTURE_FN);
                }
                if let Some(target) = alias(cx, &name) {
                    return deeper(|| {
                        one((outer.declared)(cx, &target))
                            .or_else(|| declared(cx, &target, g, outer))
                    });
                }
            }
            if cat.type_last.contains(&name) || p.path.segments.len() == 1 {
                // A single name may be a renamed import (`use mpsc::Sender as Outbox`).
                let canon = display(&cx.resolve(&p.path));
                if let Some(t) = cat
                    .known_type(&canon)
                    .or_else(|| crate::analysis::blocking_catalog::catalog().known_type(&canon))
                {
                    return Some(t);
                }
            }
            match (name.as_str(), first_type_arg(last)) {
                ("Arc" | "Rc" | "Box", Some(inner)) => declared(cx, inner, g, outer),
                _ => None,
            }
        }
        _ => None,
    }
}

fn first_type_arg(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|x| match x {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

type Bounds = syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>;

/// The bounds of generic parameter `name` (inline and in the where clause), if it is one.
fn generic_bounds(g: Generics<'_>, name: &str) -> Option<Bounds> {
    let g = g?;
    let param = g.type_params().find(|p| p.ident == name)?;
    let mut bounds = param.bounds.clone();
    for pred in g.where_clause.iter().flat_map(|w| &w.predicates) {
        if let syn::WherePredicate::Type(pt) = pred
            && matches!(&pt.bounded_ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
        {
            bounds.extend(pt.bounds.iter().cloned());
        }
    }
    Some(bounds)
}

/// Whether the bounds hold a `Fn*`/`AsyncFn*` trait whose call returns a future.
fn fn_bounds_return_future(cx: &FileCx<'_>, bounds: &Bounds, g: Generics<'_>) -> bool {
    bounds.iter().any(|b| {
        let syn::TypeParamBound::Trait(t) = b else {
            return false;
        };
        let Some(seg) = t.path.segments.last() else {
            return false;
        };
        let name = seg.ident.to_string();
        if matches!(name.as_str(), "AsyncFn" | "AsyncFnMut" | "AsyncFnOnce") {
            return true;
        }
        if !matches!(name.as_str(), "Fn" | "FnMut" | "FnOnce") {
            return false;
        }
        match &seg.arguments {
            syn::PathArguments::Parenthesized(p) => match &p.output {
                syn::ReturnType::Type(_, out) => returns_future(cx, out, g),
                syn::ReturnType::Default => false,
            },
            _ => false,
        }
    })
}

/// Whether a declared return type is a future: `impl Future`, `BoxFuture<..>`,
/// `Pin<Box<dyn Future ..>>`, a generic parameter bounded by `Future`, a same-file alias of one.
fn returns_future(cx: &FileCx<'_>, ty: &Type, g: Generics<'_>) -> bool {
    match ty {
        Type::Paren(p) => returns_future(cx, &p.elem, g),
        Type::Group(p) => returns_future(cx, &p.elem, g),
        Type::ImplTrait(t) => has_future_bound(cx, &t.bounds),
        Type::TraitObject(t) => has_future_bound(cx, &t.bounds),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            if p.path.segments.len() == 1 {
                if let Some(bounds) = generic_bounds(g, &name) {
                    return has_future_bound(cx, &bounds);
                }
                if let Some(target) = alias(cx, &name) {
                    return deeper(|| Some(returns_future(cx, &target, g))).unwrap_or(false);
                }
            }
            match name.as_str() {
                "BoxFuture" | "LocalBoxFuture" => is_futures_crate(&cx.resolve(&p.path)),
                "Pin" | "Box" => first_type_arg(last).is_some_and(|t| returns_future(cx, t, g)),
                _ => false,
            }
        }
        _ => false,
    }
}

fn has_future_bound(cx: &FileCx<'_>, bounds: &Bounds) -> bool {
    bounds.iter().any(|b| match b {
        syn::TypeParamBound::Trait(t) => {
            t.path.segments.last().is_some_and(|s| s.ident == "Future") && {
                let canon = cx.resolve(&t.path);
                (canon.len() == 1 && alias(cx, "Future").is_none())
                    || matches!(canon.first().map(String::as_str), Some("std" | "core"))
                    || is_futures_crate(&canon)
            }
        }
        _ => false,
    })
}

fn is_futures_crate(canon: &[String]) -> bool {
    matches!(
        canon.first().map(String::as_str),
        Some("futures" | "futures_util" | "futures_core")
    )
}
