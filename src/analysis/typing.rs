//! What a receiver or binding provably is, from the file's own syntax: the one place the
//! blocking rules ask "what is the type of this expression / binding?".
//!
//! Sources of a type, each one hop: a cataloged constructor call (`Command::new(..)`), a
//! builder transition (`.spawn()`), a method that keeps the type (`.clone()`, `.map_err(..)`,
//! `?`), a local bound with one (`let`, annotated or not; parameters; closure parameters;
//! `for` bindings), and a declared type (`Receiver<T>`, `&[JoinHandle<T>]`, `web::Data<T>`).
//! Collections and iterators carry their element type ([`Ty::Elems`]): `Vec<T>` parameters,
//! `.map(|..| thread::spawn(..)).collect()`, so `for h in handles` and
//! `handles.into_iter().for_each(|h| ..)` see `T`. Anything else is unknown, and unknown
//! means no finding. The crate-wide type layer (fields, statics, return types of other files)
//! plugs in where [`infer`] gives up.

use syn::{Expr, GenericArgument, PathArguments};

use crate::analysis::blocking_catalog::catalog;
use crate::analysis::file::FileCx;
use crate::analysis::imports::display;
use crate::analysis::{async_apis, async_catalog, paths};

pub use crate::analysis::ty::Ty;

/// Iterator methods whose result yields the receiver's items unchanged.
const SAME_ITEMS: &[&str] = &[
    "iter",
    "into_iter",
    "iter_mut",
    "drain",
    "collect",
    "filter",
    "rev",
    "take",
    "skip",
    "by_ref",
    "peekable",
    "fuse",
    "cloned",
    "copied",
    "into_values",
    "values",
    "values_mut",
    "take_while",
    "skip_while",
    "step_by",
    "chain",
];

/// Methods that take one item out of a collection or iterator (`Option<T>` counts as `T`,
/// like `?` does).
const ONE_ITEM: &[&str] = &[
    "next",
    "pop",
    "pop_front",
    "pop_back",
    "remove",
    "swap_remove",
    "last",
    "first",
    "get",
    "get_mut",
    "next_back",
    "nth",
];

/// Iterator adapters whose closure gets one item as its (first) parameter.
const ITEM_CLOSURES: &[&str] = &[
    "map",
    "for_each",
    "filter_map",
    "flat_map",
    "try_for_each",
    "inspect",
    "any",
    "all",
    "filter",
    "find",
    "position",
    "take_while",
    "skip_while",
    "map_while",
    "partition",
];

/// The type of `e` when syntax proves it (see the module docs); else what the async-API catalog
/// knows ([`crate::analysis::async_apis::infer`]).
///
/// Both sources recurse into the receiver of a method call, so without a memo a chain of `n`
/// unknown calls (`x.send().send()...`) costs `2^n`; each sub-expression is therefore inferred
/// once per outermost call (the locals in scope do not change during one call).
pub fn infer(cx: &FileCx<'_>, e: &Expr) -> Option<Ty> {
    let key = e as *const Expr as usize;
    let outermost = INFER_MEMO.with(|m| {
        let mut m = m.borrow_mut();
        match m.as_ref() {
            Some(memo) => memo.get(&key).copied().map_or(Ok(false), Err),
            None => {
                *m = Some(rustc_hash::FxHashMap::default());
                Ok(true)
            }
        }
    });
    let outermost = match outermost {
        Err(known) => return known,
        Ok(outermost) => outermost,
    };
    // Clears the memo when the outermost call ends, also by unwinding: its keys are addresses
    // of this file's syntax tree.
    // (`then_some(ClearMemo)` would build, and drop, a guard on inner calls too.)
    let _clear = if outermost { Some(ClearMemo) } else { None };
    let ty = infer_blocking(cx, e).or_else(|| async_apis::infer(cx, e, RECURSE));
    if !outermost {
        INFER_MEMO.with(|m| {
            if let Some(memo) = m.borrow_mut().as_mut() {
                memo.insert(key, ty);
            }
        });
    }
    ty
}

thread_local! {
    /// The memo of the [`infer`] call in progress on this thread, by expression address.
    static INFER_MEMO: std::cell::RefCell<Option<rustc_hash::FxHashMap<usize, Option<Ty>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Drops the [`INFER_MEMO`] of the outermost [`infer`] call.
struct ClearMemo;

impl Drop for ClearMemo {
    fn drop(&mut self) {
        INFER_MEMO.with(|m| *m.borrow_mut() = None);
    }
}

fn infer_blocking(cx: &FileCx<'_>, e: &Expr) -> Option<Ty> {
    let cat = catalog();
    match e {
        Expr::Paren(p) => infer(cx, &p.expr),
        Expr::Group(g) => infer(cx, &g.expr),
        Expr::Reference(r) => infer(cx, &r.expr),
        Expr::Try(t) => infer(cx, &t.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => infer(cx, &u.expr),
        Expr::Path(p) if p.qself.is_none() => {
            let ident = p.path.get_ident()?;
            cx.local_ty(&ident.to_string()).flatten()
        }
        Expr::Index(i) => match infer(cx, &i.expr)? {
            Ty::Elems(t) => Some(Ty::One(t)),
            _ => None,
        },
        Expr::Call(c) => {
            let path = paths::call_path(c)?;
            let last = path.segments.last()?.ident.to_string();
            if !cat.is_ctor_name(&last) || (path.segments.len() == 1 && cx.local(&last).is_some()) {
                return None;
            }
            cat.ctor_type(&display(&cx.resolve(path)), || infer(cx, c.args.first()?))
        }
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if cat.is_identity(&name) {
                return infer(cx, &m.receiver);
            }
            if name == "map"
                && let Some(Expr::Closure(c)) = m.args.first().map(paths::peel)
            {
                // `.map(|p| thread::spawn(..))`: items of the closure's result type.
                return match infer(cx, &c.body)? {
                    Ty::One(t) => Some(Ty::Elems(t)),
                    _ => None,
                };
            }
            match infer(cx, &m.receiver)? {
                Ty::Elems(t) if SAME_ITEMS.contains(&name.as_str()) => Some(Ty::Elems(t)),
                Ty::Elems(t) if ONE_ITEM.contains(&name.as_str()) => Some(Ty::One(t)),
                Ty::One(t) => cat.transition(t, &name).map(Ty::One),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The items `for _ in e` binds: the element type of a typed collection or iterator.
pub fn items_of(cx: &FileCx<'_>, e: &Expr) -> Option<Ty> {
    match infer(cx, e)? {
        Ty::Elems(t) => Some(Ty::One(t)),
        _ => None,
    }
}

/// The type of parameter `index` of a closure passed to `recv.method(..)` when the method
/// hands it one item of a typed collection or iterator (`handles.into_iter().map(|h| ..)`).
pub fn closure_param(cx: &FileCx<'_>, recv: &Expr, method: &syn::Ident) -> Option<(usize, Ty)> {
    Some((item_closure_param(method)?, items_of(cx, recv)?))
}

/// Which parameter of a closure passed to iterator method `method` gets one item of the
/// receiver (`map(|x| ..)`: 0, `fold(init, |acc, x| ..)`: 1), if the method hands it items.
pub fn item_closure_param(method: &syn::Ident) -> Option<usize> {
    if method == "fold" || method == "try_fold" {
        Some(1)
    } else if ITEM_CLOSURES.iter().any(|n| method == n) {
        Some(0)
    } else {
        None
    }
}

/// The known type a type annotation names (`Receiver<T>`, `&mut Child`, `Arc<Barrier>`,
/// `web::Data<Client>`), or the item type of a collection of one (`Vec<JoinHandle<T>>`,
/// `&[T]`, `VecDeque<T>`, `impl Iterator<Item = T>`); else what the async-API catalog knows
/// ([`crate::analysis::async_apis::annotated`]).
pub fn annotated(cx: &FileCx<'_>, ty: &syn::Type) -> Option<Ty> {
    annotated_blocking(cx, ty).or_else(|| async_apis::annotated(cx, ty, RECURSE).map(Ty::One))
}

/// The known type of a fn parameter declared `ty` in a fn with `generics`: [`annotated`], which
/// for a generic parameter also reads its bounds (`hook: F` with `F: Fn() -> Fut, Fut: Future`).
pub fn param_type(cx: &FileCx<'_>, ty: &syn::Type, generics: &syn::Generics) -> Option<Ty> {
    annotated(cx, ty)
        .or_else(|| async_apis::annotated_param(cx, ty, generics, RECURSE).map(Ty::One))
}

/// This module's inference, as the async-API fallbacks recurse through it.
const RECURSE: async_apis::Recurse = async_apis::Recurse {
    expr: infer,
    declared: annotated,
};

/// What a method call on a receiver is, as far as its type proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// A catalogued async method of this library type.
    Future(&'static str),
    /// The receiver is a known library type and this method is not async.
    NotFuture,
    /// The receiver's type is not known.
    Unknown,
}

/// What `receiver.method(..)` is: the one question rules ask about library receivers.
pub fn method_kind(cx: &FileCx<'_>, receiver: &Expr, method: &str) -> MethodKind {
    match infer(cx, receiver) {
        Some(Ty::One(t)) if t == async_catalog::FUTURE_FN => MethodKind::Unknown,
        Some(Ty::One(t)) if async_catalog::catalog().is_async(t, method) => MethodKind::Future(t),
        Some(Ty::One(_)) => MethodKind::NotFuture,
        _ => MethodKind::Unknown,
    }
}

fn annotated_blocking(cx: &FileCx<'_>, ty: &syn::Type) -> Option<Ty> {
    let cat = catalog();
    match ty {
        syn::Type::Reference(r) => annotated(cx, &r.elem),
        syn::Type::Paren(p) => annotated(cx, &p.elem),
        syn::Type::Group(g) => annotated(cx, &g.elem),
        syn::Type::Slice(s) => items(annotated(cx, &s.elem)),
        syn::Type::Array(a) => items(annotated(cx, &a.elem)),
        syn::Type::ImplTrait(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(tb) => iterator_item(cx, &tb.path),
            _ => None,
        }),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if cat.is_type_name(&name) {
                return cat.known_type(&display(&cx.resolve(&p.path))).map(Ty::One);
            }
            let inner = || match &last.arguments {
                PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                    GenericArgument::Type(t) => Some(t),
                    _ => None,
                }),
                _ => None,
            };
            if matches!(name.as_str(), "Arc" | "Rc" | "Box") || is_wrapper(cx, &p.path) {
                return annotated(cx, inner()?);
            }
            if is_collection(cx, &p.path) {
                return items(annotated(cx, inner()?));
            }
            None
        }
        _ => None,
    }
}

fn items(t: Option<Ty>) -> Option<Ty> {
    match t? {
        Ty::One(t) => Some(Ty::Elems(t)),
        _ => None,
    }
}

/// `Iterator<Item = T>` / `IntoIterator<Item = T>`: items of `T`.
fn iterator_item(cx: &FileCx<'_>, path: &syn::Path) -> Option<Ty> {
    let last = path.segments.last()?;
    if last.ident != "Iterator" && last.ident != "IntoIterator" {
        return None;
    }
    let PathArguments::AngleBracketed(a) = &last.arguments else {
        return None;
    };
    a.args.iter().find_map(|g| match g {
        GenericArgument::AssocType(at) if at.ident == "Item" => items(annotated(cx, &at.ty)),
        _ => None,
    })
}

/// Whether `path` names a framework wrapper that derefs to its type argument
/// (`actix_web::web::Data<T>`, axum's `State<T>` / `Extension<T>`), by its resolved path.
pub fn is_wrapper(cx: &FileCx<'_>, path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|last| {
        catalog().is_passthrough_type(&last.ident.to_string(), || display(&cx.resolve(path)))
    })
}

/// Whether `path` names a std sequence collection (`Vec`, `VecDeque`, ..), by its resolved path.
fn is_collection(cx: &FileCx<'_>, path: &syn::Path) -> bool {
    let Some(last) = path.segments.last() else {
        return false;
    };
    if last.ident != "Vec" && last.ident != "VecDeque" && last.ident != "LinkedList" {
        return false;
    }
    matches!(
        display(&cx.resolve(path)).as_str(),
        "Vec"
            | "std::vec::Vec"
            | "alloc::vec::Vec"
            | "std::collections::VecDeque"
            | "std::collections::LinkedList"
            | "std::collections::vec_deque::VecDeque"
    )
}

/// The types the bindings of a pattern get from an initializer or annotation.
pub fn bind_pattern(
    cx: &FileCx<'_>,
    pat: &syn::Pat,
    init: Option<Ty>,
    out: &mut Vec<(String, Option<Ty>)>,
) {
    match (pat, init) {
        (syn::Pat::Ident(p), init) if p.subpat.is_none() => {
            let ty = init.filter(|t| !matches!(t, Ty::Tuple(_)));
            out.push((p.ident.to_string(), ty));
        }
        (syn::Pat::Type(t), init) => {
            let ty = annotated(cx, &t.ty).or(init);
            bind_pattern(cx, &t.pat, ty, out);
        }
        (syn::Pat::Reference(r), init) => bind_pattern(cx, &r.pat, init, out),
        (syn::Pat::Paren(p), init) => bind_pattern(cx, &p.pat, init, out),
        (syn::Pat::Tuple(t), Some(Ty::Tuple(types))) if t.elems.len() == types.len() => {
            for (p, ty) in t.elems.iter().zip(types) {
                bind_pattern(cx, p, Some(Ty::One(ty.as_str())), out);
            }
        }
        // `Some(h)` / `Ok(h)`: the value's type (`Option<T>` counts as `T`, like `?` does).
        (syn::Pat::TupleStruct(ts), init)
            if ts.qself.is_none()
                && ts.elems.len() == 1
                && (ts.path.is_ident("Some") || ts.path.is_ident("Ok")) =>
        {
            bind_pattern(cx, &ts.elems[0], init, out);
        }
        // `State(s): State<AppState>`: the wrapper's field has the annotation's inner type.
        (syn::Pat::TupleStruct(ts), init)
            if ts.qself.is_none() && ts.elems.len() == 1 && is_wrapper(cx, &ts.path) =>
        {
            bind_pattern(cx, &ts.elems[0], init, out);
        }
        (pat, _) => {
            let mut names = Vec::new();
            crate::analysis::locals::pattern_idents(pat, &mut names);
            out.extend(names.into_iter().map(|n| (n, None)));
        }
    }
}

/// Whether a parameter declared `ty` in a fn with `generics` has a type the caller chooses: a
/// type parameter of the fn (also behind references) or `impl Trait`.
pub fn is_type_param(ty: &syn::Type, generics: &syn::Generics) -> bool {
    match ty {
        syn::Type::Reference(r) => is_type_param(&r.elem, generics),
        syn::Type::Paren(p) => is_type_param(&p.elem, generics),
        syn::Type::Group(g) => is_type_param(&g.elem, generics),
        syn::Type::ImplTrait(_) => true,
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|name| generics.type_params().any(|tp| tp.ident == *name)),
        _ => false,
    }
}

/// The trait bounding generic parameter `ty` (also behind references) of a fn, as a type
/// path, when it has exactly one bound besides the markers, inline or in the `where` clause,
/// and that bound is not a closure trait (`Fn*(..)`, typed elsewhere).
pub fn bounded_generic(ty: &syn::Type, generics: &syn::Generics) -> Option<syn::Type> {
    let mut t = ty;
    while let syn::Type::Reference(r) = t {
        t = &r.elem;
    }
    let syn::Type::Path(p) = t else {
        return None;
    };
    let name = p.path.get_ident().filter(|_| p.qself.is_none())?;
    let param = generics.type_params().find(|tp| tp.ident == *name)?;
    let mut lists = vec![&param.bounds];
    for pred in generics.where_clause.iter().flat_map(|w| &w.predicates) {
        if let syn::WherePredicate::Type(pt) = pred
            && matches!(&pt.bounded_ty, syn::Type::Path(b) if b.qself.is_none() && b.path.is_ident(name))
        {
            lists.push(&pt.bounds);
        }
    }
    let bounds = lists.into_iter().flatten().filter_map(|b| match b {
        syn::TypeParamBound::Trait(tb) => Some(&tb.path),
        _ => None,
    });
    let marker = |p: &&syn::Path| {
        p.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "Send" | "Sync" | "Unpin" | "Sized" | "Clone" | "Copy" | "Debug" | "Display"
            )
        })
    };
    let mut traits = bounds.filter(|p| !marker(p));
    let (Some(one), None) = (traits.next(), traits.next()) else {
        return None;
    };
    if one
        .segments
        .last()
        .is_some_and(|s| matches!(s.arguments, syn::PathArguments::Parenthesized(_)))
    {
        return None;
    }
    Some(syn::Type::Path(syn::TypePath {
        attrs: Vec::new(),
        qself: None,
        path: one.clone(),
    }))
}
