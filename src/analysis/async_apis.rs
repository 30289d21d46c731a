//! The catalog of async library APIs (`rules/async-apis.toml`, embedded and parsed once) and the
//! syntactic types it gives: which calls create futures (functions, constructor chains), which
//! library types have which async methods, what their builders return, and which declared types
//! are callables returning a future (`F: Fn() -> Fut, Fut: Future`, `Box<dyn Fn() -> BoxFuture>`).
//!
//! The types feed [`crate::analysis::blocking::infer`] and
//! [`crate::analysis::blocking::annotated`], so every local of the walk gets them; rules ask
//! [`method_kind`] what a method call on a receiver is. Unknown stays unknown: a type is known
//! only from a catalogued constructor, a declared type the file's imports resolve to a catalogued
//! one, or a type alias declared in the same file.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;
use syn::{Expr, Type};

use crate::analysis::FileCx;
use crate::analysis::blocking::{self, Ty};
use crate::analysis::imports::{display, path_is};
use crate::analysis::paths;

/// The embedded catalog text.
pub const CATALOG_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/async-apis.toml"
));

/// The type of a binding that is a callable whose call returns a future (a `Fn*` trait object,
/// `impl Fn*`, fn pointer or generic parameter whose declared output is a future).
pub const FUTURE_FN: &str = "<a callable returning a future>";

/// A method-call chain judged by its root call (`reqwest::Client::new()..send()`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    /// Canonical path of the call the chain starts from.
    pub root: String,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    awaited_methods: Vec<String>,
}

/// A library type and what its methods return.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LibType {
    name: String,
    /// Methods whose call returns a future; every other method of the type is not one.
    #[serde(default, rename = "async")]
    async_methods: Vec<String>,
    /// Sync methods returning another catalogued type (builders).
    #[serde(default)]
    returns: HashMap<String, String>,
    /// What awaiting an async method gives, when it is a catalogued type.
    #[serde(default)]
    outputs: HashMap<String, String>,
}

/// A call whose result type is known.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ctor {
    path: String,
    /// One type, or one per tuple element (`let (tx, rx) = channel(8)`).
    #[serde(default)]
    returns: Vec<String>,
    /// The output of the future the call returns (`File::open(p).await?`).
    awaits: Option<String>,
}

/// The parsed catalog with its lookup tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    #[serde(default)]
    functions: Vec<String>,
    #[serde(default)]
    chains: Vec<Chain>,
    #[serde(default)]
    async_methods: Vec<String>,
    #[serde(default)]
    sync_methods: Vec<String>,
    #[serde(default, rename = "type")]
    types: Vec<LibType>,
    #[serde(default)]
    constructor: Vec<Ctor>,
    #[serde(skip)]
    sync_set: HashSet<String>,
    #[serde(skip)]
    function_roots: HashSet<String>,
    #[serde(skip)]
    by_type: HashMap<String, usize>,
    #[serde(skip)]
    type_last: HashSet<String>,
    #[serde(skip)]
    ctors: HashMap<String, usize>,
    #[serde(skip)]
    ctor_last: HashSet<String>,
    /// Every method name of a `returns` or `outputs` map (a cheap test before typing a receiver).
    #[serde(skip)]
    typed_methods: HashSet<String>,
}

impl Catalog {
    /// Parses catalog text.
    pub fn parse(text: &str) -> Result<Catalog, toml::de::Error> {
        let mut c: Catalog = toml::from_str(text)?;
        c.sync_set = c.sync_methods.iter().cloned().collect();
        c.function_roots = c
            .functions
            .iter()
            .filter_map(|f| f.split("::").next())
            .map(str::to_string)
            .collect();
        for (i, t) in c.types.iter().enumerate() {
            c.by_type.insert(t.name.clone(), i);
            c.type_last.insert(last_segment(&t.name).to_string());
            c.typed_methods
                .extend(t.returns.keys().chain(t.outputs.keys()).cloned());
        }
        for (i, k) in c.constructor.iter().enumerate() {
            c.ctors.insert(k.path.clone(), i);
            c.ctor_last.insert(last_segment(&k.path).to_string());
        }
        Ok(c)
    }

    /// Whether a resolved call path is a catalogued future-creating function.
    pub fn function(&self, path: &[String]) -> Option<&str> {
        if !path
            .first()
            .is_some_and(|r| self.function_roots.contains(r))
        {
            return None;
        }
        self.functions
            .iter()
            .find(|f| match f.strip_suffix("::*") {
                Some(prefix) => {
                    path.len() >= 2
                        && path_is(&path[..path.len() - 1], prefix)
                        && !path[path.len() - 1].starts_with(char::is_uppercase)
                }
                None => path_is(path, f),
            })
            .map(String::as_str)
    }

    /// The chain rooted at `root` that ends in `method` (`awaited`: an `.await` occurs in it).
    pub fn chain(&self, root: &[String], method: &str, awaited: bool) -> Option<&Chain> {
        self.chains.iter().find(|c| {
            path_is(root, &c.root)
                && (c.methods.iter().any(|m| m == method)
                    || (awaited && c.awaited_methods.iter().any(|m| m == method)))
        })
    }

    /// Whether only async APIs use this method name (judged on receivers of unknown type).
    pub fn is_async_method(&self, name: &str) -> bool {
        self.async_methods.iter().any(|m| m == name)
    }

    /// Whether std or common crates define this method name as sync.
    pub fn is_sync_method(&self, name: &str) -> bool {
        self.sync_set.contains(name)
    }

    fn lib_type(&self, ty: &str) -> Option<&LibType> {
        self.types.get(*self.by_type.get(ty)?)
    }

    /// Whether `method` of catalogued type `ty` returns a future.
    pub fn is_async(&self, ty: &str, method: &str) -> bool {
        self.lib_type(ty)
            .is_some_and(|t| t.async_methods.iter().any(|m| m == method))
    }

    /// The catalogued type sync method `method` of catalogued type `ty` returns (a builder
    /// transition such as `reqwest::Client::get`).
    pub fn method_returns(&'static self, ty: &str, method: &str) -> Option<&'static str> {
        let r = self.lib_type(ty)?.returns.get(method)?;
        self.known_type(r)
    }

    /// The catalogued type that awaiting async method `method` of catalogued type `ty` gives
    /// (`reqwest::RequestBuilder::send` gives a `reqwest::Response`).
    pub fn method_output(&'static self, ty: &str, method: &str) -> Option<&'static str> {
        let out = self.lib_type(ty)?.outputs.get(method)?;
        self.known_type(out)
    }

    /// The catalogued type a canonical type path names.
    fn known_type(&'static self, canon: &str) -> Option<&'static str> {
        self.lib_type(canon).map(|t| t.name.as_str())
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(CATALOG_TOML).unwrap_or_default());

/// The embedded catalog.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

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
    match blocking::infer(cx, receiver) {
        Some(Ty::One(t)) if t == FUTURE_FN => MethodKind::Unknown,
        Some(Ty::One(t)) if catalog().is_async(t, method) => MethodKind::Future(t),
        Some(Ty::One(_)) => MethodKind::NotFuture,
        _ => MethodKind::Unknown,
    }
}

/// Whether a call of local `name` (`hook(0)`) returns a future: its declared type says so.
pub fn calls_future_fn(cx: &FileCx<'_>, name: &str) -> bool {
    cx.local(name).flatten() == Some(FUTURE_FN)
}

// ---------------------------------------------------------------------------------------------
// Types from expressions (the fallback of `blocking::infer`).

/// The type of `e` from this catalog: a constructor call, a builder method of a known type, or
/// the awaited output of a catalogued async call.
pub fn infer(cx: &FileCx<'_>, e: &Expr) -> Option<Ty> {
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
            let Ty::One(t) = blocking::infer(cx, &m.receiver)? else {
                return None;
            };
            let r = cat.lib_type(t)?.returns.get(&m.method.to_string())?;
            cat.known_type(r).map(Ty::One)
        }
        Expr::Await(a) => match paths::peel(&a.base) {
            Expr::Call(c) => cat.known_type(ctor(cx, c)?.awaits.as_deref()?).map(Ty::One),
            Expr::MethodCall(m) if cat.typed_methods.contains(&m.method.to_string()) => {
                let Ty::One(t) = blocking::infer(cx, &m.receiver)? else {
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
// Types from annotations (the fallback of `blocking::annotated`).

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
            let mut map = HashMap::new();
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
pub fn annotated(cx: &FileCx<'_>, ty: &Type) -> Option<&'static str> {
    declared(cx, ty, None)
}

/// [`blocking::annotated`] for a fn parameter, which also knows the fn's generic parameters
/// (`hook: F` with `F: Fn() -> Fut, Fut: Future`).
/// The single type of a blocking-catalog answer.
fn one(t: Option<blocking::Ty>) -> Option<&'static str> {
    match t {
        Some(blocking::Ty::One(s)) => Some(s),
        _ => None,
    }
}

/// The type of a parameter declared `ty` in a fn with `generics`.
pub fn param_type(cx: &FileCx<'_>, ty: &Type, generics: &syn::Generics) -> Option<&'static str> {
    one(blocking::annotated(cx, ty)).or_else(|| declared(cx, ty, Some(generics)))
}

fn declared(cx: &FileCx<'_>, ty: &Type, g: Generics<'_>) -> Option<&'static str> {
    let cat = catalog();
    match ty {
        Type::Reference(r) => declared(cx, &r.elem, g),
        Type::Paren(p) => declared(cx, &p.elem, g),
        Type::Group(p) => declared(cx, &p.elem, g),
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
                        one(blocking::annotated(cx, &target)).or_else(|| declared(cx, &target, g))
                    });
                }
            }
            if cat.type_last.contains(&name) || p.path.segments.len() == 1 {
                // A single name may be a renamed import (`use mpsc::Sender as Outbox`).
                let canon = display(&cx.resolve(&p.path));
                if let Some(t) = cat
                    .known_type(&canon)
                    .or_else(|| blocking::catalog().known_type(&canon))
                {
                    return Some(t);
                }
            }
            match (name.as_str(), first_type_arg(last)) {
                ("Arc" | "Rc" | "Box", Some(inner)) => declared(cx, inner, g),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_and_types_are_consistent() {
        let c = Catalog::parse(CATALOG_TOML).expect("rules/async-apis.toml parses");
        assert!(!c.functions.is_empty() && !c.chains.is_empty() && !c.types.is_empty());
        let p = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
        assert!(c.function(&p("tokio::fs::read_to_string")).is_some());
        assert!(c.function(&p("tokio::fs::OpenOptions::new")).is_none());
        assert!(c.function(&p("tokio::time::interval")).is_none());
        assert!(c.function(&p("tokio::fs::File::open")).is_some());
        for m in &c.async_methods {
            assert!(!c.is_sync_method(m), "{m} is both async and sync");
        }
        for t in &c.types {
            for r in t.returns.values().chain(t.outputs.values()) {
                assert!(c.by_type.contains_key(r), "{}: unknown type {r}", t.name);
            }
            for m in t.outputs.keys() {
                assert!(c.is_async(&t.name, m), "{}: output of sync {m}", t.name);
            }
        }
        for k in &c.constructor {
            for r in k.returns.iter().chain(&k.awaits) {
                assert!(c.by_type.contains_key(r), "{}: unknown type {r}", k.path);
            }
        }
        // Precision: these senders are sync.
        assert!(c.is_async("tokio::sync::mpsc::Sender", "send"));
        for sync in [
            "tokio::sync::mpsc::UnboundedSender",
            "tokio::sync::broadcast::Sender",
            "tokio::sync::watch::Sender",
            "std::sync::mpsc::Sender",
            "crossbeam_channel::Sender",
        ] {
            assert!(c.by_type.contains_key(sync), "{sync} is catalogued");
            assert!(!c.is_async(sync, "send"), "{sync}::send is sync");
        }
        assert!(!c.is_async("tokio::task::JoinSet", "abort_all"));
    }
}
