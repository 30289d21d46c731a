//! What the file itself proves about lock-like types: the syntactic types of parameters, `let`
//! annotations, constructors, statics, type aliases and same-file fn return types, classified as
//! sync locks, `RefCell`s, async locks or their guards. Unknown stays unknown (`None`).
//!
//! [`FileTypes`] is collected once per file; [`TyEnv`] holds the typed bindings of the code being
//! analysed. [`FileTypes::type_of`] answers "what is the type of this receiver" and
//! [`FileTypes::callee_ret`] "what does this callee declare it returns": a cross-file type source
//! plugs in there (`self.f` fields, other files' aliases and helpers answer `None` today).

use std::collections::HashMap;

use syn::visit::{self, Visit};
use syn::{Expr, Type};

use crate::analysis::imports::{CanonPath, Imports};
use crate::analysis::paths::peel;

/// What a guard holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A mutex or read-write lock guard.
    Lock,
    /// A `RefCell` (or `watch`) borrow.
    Borrow,
}

/// A type, as far as lock analysis cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockTy {
    /// A std, parking_lot or spin lock: its acquisitions yield a synchronous guard.
    SyncLock,
    /// A `RefCell` or a tokio `watch` end: `borrow()` yields a guard.
    Cell,
    /// A tokio, futures, async-std or async-lock lock: its guards may cross `.await`.
    AsyncLock,
    /// A synchronous guard (`MutexGuard`, `Ref`, ..).
    Guard(Kind),
    /// An async lock's guard.
    AsyncGuard,
    /// `LockResult<T>`, `Result<T, _>`, `Option<T>`.
    Fallible(Box<LockTy>),
    /// A type declared in this file (its methods are looked up here).
    Local(String),
    /// A known library type that is none of the above.
    Other,
}

/// A syntactic type resolved through the imports of its module: paths are canonical, references
/// and parentheses are peeled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    /// A path type with its type arguments.
    Path(CanonPath, Vec<TypeRef>),
    /// Anything else (`impl Trait`, tuples, fn pointers, ..).
    Unknown,
}

/// A same-file fn or method signature.
#[derive(Debug, Clone)]
struct FnDecl {
    ret: TypeRef,
    is_async: bool,
}

/// The declarations of one file that lock analysis reads.
#[derive(Debug, Default)]
pub struct FileTypes {
    /// Structs, enums, unions and traits declared anywhere in the file.
    local_types: Vec<String>,
    /// Type aliases (`None`: declared twice).
    aliases: HashMap<String, Option<TypeRef>>,
    /// Statics and consts (`None`: declared twice).
    statics: HashMap<String, Option<TypeRef>>,
    /// Fns by (self type for methods, name).
    fns: HashMap<(Option<String>, String), Vec<FnDecl>>,
}

/// Sync locks, by canonical path.
const SYNC_LOCKS: &[&str] = &[
    "std::sync::Mutex",
    "std::sync::RwLock",
    "parking_lot::Mutex",
    "parking_lot::RwLock",
    "parking_lot::FairMutex",
    "parking_lot::ReentrantMutex",
    "spin::Mutex",
    "spin::RwLock",
    "spin::mutex::Mutex",
    "spin::rwlock::RwLock",
    "lock_api::Mutex",
    "lock_api::RwLock",
];

/// Types whose `borrow()` yields a guard.
const CELLS: &[&str] = &[
    "std::cell::RefCell",
    "core::cell::RefCell",
    "tokio::sync::watch::Receiver",
    "tokio::sync::watch::Sender",
];

/// Async locks, by canonical path.
const ASYNC_LOCKS: &[&str] = &[
    "tokio::sync::Mutex",
    "tokio::sync::RwLock",
    "futures::lock::Mutex",
    "futures_util::lock::Mutex",
    "async_std::sync::Mutex",
    "async_std::sync::RwLock",
    "async_lock::Mutex",
    "async_lock::RwLock",
    "smol::lock::Mutex",
    "smol::lock::RwLock",
];

/// Synchronous lock guards (last segment, under the crates of [`SYNC_LOCKS`]).
const LOCK_GUARDS: &[&str] = &[
    "MutexGuard",
    "RwLockReadGuard",
    "RwLockWriteGuard",
    "RwLockUpgradableReadGuard",
    "ReentrantMutexGuard",
    "FairMutexGuard",
    "MappedMutexGuard",
    "MappedRwLockReadGuard",
    "MappedRwLockWriteGuard",
];

/// Receiver types (canonical paths) whose `lock()`/`try_lock()` yields a synchronous guard.
const SYNC_MUTEXES: &[&str] = &[
    "std::sync::Mutex",
    "parking_lot::Mutex",
    "parking_lot::FairMutex",
    "parking_lot::ReentrantMutex",
    "spin::Mutex",
    "spin::mutex::Mutex",
    "lock_api::Mutex",
    "lock_api::ReentrantMutex",
];

/// Receiver types whose `read()`/`write()` (and `try_` forms) yield a synchronous guard.
const SYNC_RWLOCKS: &[&str] = &[
    "std::sync::RwLock",
    "parking_lot::RwLock",
    "spin::RwLock",
    "spin::rwlock::RwLock",
    "lock_api::RwLock",
];

/// Receiver types whose `borrow()`/`borrow_mut()` (and `try_` forms) yield a guard.
const BORROW_CELLS: &[&str] = &[
    "std::cell::RefCell",
    "tokio::sync::watch::Receiver",
    "tokio::sync::watch::Sender",
];

/// Receiver types whose `borrow_and_update()` yields a guard.
const WATCH_RECEIVERS: &[&str] = &["tokio::sync::watch::Receiver"];

/// Synchronous lock guard types (canonical paths), for helpers declared to return one.
pub const LOCK_GUARD_TYPES: &[&str] = &[
    "std::sync::MutexGuard",
    "std::sync::RwLockReadGuard",
    "std::sync::RwLockWriteGuard",
    "std::sync::MappedMutexGuard",
    "std::sync::MappedRwLockReadGuard",
    "std::sync::MappedRwLockWriteGuard",
    "parking_lot::MutexGuard",
    "parking_lot::RwLockReadGuard",
    "parking_lot::RwLockWriteGuard",
    "parking_lot::RwLockUpgradableReadGuard",
    "parking_lot::ReentrantMutexGuard",
    "parking_lot::FairMutexGuard",
    "parking_lot::MappedMutexGuard",
    "parking_lot::MappedRwLockReadGuard",
    "parking_lot::MappedRwLockWriteGuard",
    "spin::MutexGuard",
    "spin::RwLockReadGuard",
    "spin::RwLockWriteGuard",
    "lock_api::MutexGuard",
    "lock_api::RwLockReadGuard",
    "lock_api::RwLockWriteGuard",
];

/// `RefCell` and `watch` borrow types (canonical paths), for helpers declared to return one.
pub const BORROW_GUARD_TYPES: &[&str] = &[
    "std::cell::Ref",
    "std::cell::RefMut",
    "tokio::sync::watch::Ref",
];

/// The library types (canonical paths) on which the zero-argument call `.method()` acquires a
/// synchronous guard: what a receiver the file cannot type must be for the finding to hold.
pub fn sync_receivers(method: &str) -> &'static [&'static str] {
    match method {
        "lock" | "try_lock" => SYNC_MUTEXES,
        "read" | "write" | "try_read" | "try_write" => SYNC_RWLOCKS,
        "borrow" | "borrow_mut" | "try_borrow" | "try_borrow_mut" => BORROW_CELLS,
        "borrow_and_update" => WATCH_RECEIVERS,
        _ => &[],
    }
}

/// Crates whose types are known: a path into them that is not catalogued is not a lock.
const KNOWN_ROOTS: &[&str] = &[
    "std",
    "core",
    "alloc",
    "tokio",
    "futures",
    "futures_util",
    "async_std",
    "async_lock",
    "smol",
    "parking_lot",
    "spin",
];

/// Prelude and primitive type names that are never locks.
const PLAIN: &[&str] = &[
    "Vec", "String", "str", "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8",
    "i16", "i32", "i64", "i128", "isize", "f32", "f64",
];

/// Wrappers that deref to their first type argument.
const TRANSPARENT: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "LazyLock",
    "Lazy",
    "LazyCell",
    "Pin",
    "ManuallyDrop",
    "CachePadded",
];

impl FileTypes {
    /// Collects the declarations of `file`.
    pub fn collect(file: &syn::File) -> Self {
        let mut c = Collector {
            out: FileTypes::default(),
            imports: Imports::default(),
            self_ty: None,
        };
        c.imports.push(file.items.iter());
        for item in &file.items {
            c.visit_item(item);
        }
        c.out
    }

    /// Classifies a resolved type.
    pub fn classify(&self, t: &TypeRef) -> Option<LockTy> {
        self.classify_depth(t, 0)
    }

    fn classify_depth(&self, t: &TypeRef, depth: u32) -> Option<LockTy> {
        let TypeRef::Path(path, args) = t else {
            return None;
        };
        if depth > 8 {
            return None;
        }
        let joined = path.join("::");
        let last = path.last()?.as_str();
        let root = path.first()?.as_str();
        let single = path.len() == 1;
        if single && let Some(Some(alias)) = self.aliases.get(last) {
            return self.classify_depth(alias, depth + 1);
        }
        if single && self.local_types.iter().any(|n| n == last) {
            return Some(LockTy::Local(last.to_string()));
        }
        let known = single || KNOWN_ROOTS.contains(&root);
        if known && TRANSPARENT.contains(&last) {
            return self.classify_depth(args.first()?, depth + 1);
        }
        let fallible = ["Result", "Option", "LockResult", "TryLockResult"];
        if known && fallible.contains(&last) && (single || root == "std" || root == "core") {
            let inner = self.classify_depth(args.first()?, depth + 1)?;
            return Some(LockTy::Fallible(Box::new(inner)));
        }
        if SYNC_LOCKS.contains(&joined.as_str()) {
            return Some(LockTy::SyncLock);
        }
        if CELLS.contains(&joined.as_str()) {
            return Some(LockTy::Cell);
        }
        if ASYNC_LOCKS.contains(&joined.as_str()) {
            return Some(LockTy::AsyncLock);
        }
        if LOCK_GUARDS.contains(&last) && !single {
            let sync_crate = ["std", "parking_lot", "spin", "lock_api"].contains(&root);
            return Some(if sync_crate {
                LockTy::Guard(Kind::Lock)
            } else if KNOWN_ROOTS.contains(&root) {
                LockTy::AsyncGuard
            } else {
                return None;
            });
        }
        if matches!(
            joined.as_str(),
            "std::cell::Ref" | "std::cell::RefMut" | "core::cell::Ref" | "core::cell::RefMut"
        ) || joined == "tokio::sync::watch::Ref"
        {
            return Some(LockTy::Guard(Kind::Borrow));
        }
        if (single && PLAIN.contains(&last)) || (!single && KNOWN_ROOTS.contains(&root)) {
            return Some(LockTy::Other);
        }
        None
    }

    /// The type of a static or const declared in this file.
    fn static_ty(&self, name: &str) -> Option<LockTy> {
        self.classify(self.statics.get(name)?.as_ref()?)
    }

    /// The declared return type of a same-file fn (`self_ty: None`) or method, and whether it is
    /// `async`; `None` when it is not declared here or declared differently more than once.
    pub fn fn_ret(&self, self_ty: Option<&str>, name: &str) -> Option<(Option<LockTy>, bool)> {
        let decls = self
            .fns
            .get(&(self_ty.map(str::to_string), name.to_string()))?;
        let first = decls.first()?;
        let ty = self.classify(&first.ret);
        decls
            .iter()
            .all(|d| d.is_async == first.is_async && self.classify(&d.ret) == ty)
            .then_some((ty, first.is_async))
    }

    /// The declared return type of the callee of a call or method call in this file (not
    /// awaited): `None` when unknown or the callee is `async`.
    pub fn callee_ret(&self, e: &Expr, env: &TyEnv, imports: &Imports) -> Option<LockTy> {
        let (ty, is_async) = match peel(e) {
            Expr::MethodCall(mc) => match self.type_of(&mc.receiver, env, imports)? {
                LockTy::Local(t) => self.fn_ret(Some(&t), &mc.method.to_string())?,
                _ => return None,
            },
            Expr::Call(c) => {
                let Expr::Path(p) = peel(&c.func) else {
                    return None;
                };
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                match segs.as_slice() {
                    [f] if imports.lookup(f).is_none() => self.fn_ret(None, f)?,
                    [t, f] => {
                        let t = if t == "Self" {
                            env.self_ty.clone()?
                        } else {
                            t.clone()
                        };
                        if imports.lookup(&t).is_some() || !self.local_types.contains(&t) {
                            return None;
                        }
                        self.fn_ret(Some(&t), f)?
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        if is_async {
            return None;
        }
        ty
    }

    /// The type of an expression used as a receiver: a typed binding, `self`, a same-file static,
    /// a constructor, a clone, or a same-file fn's declared return type.
    pub fn type_of(&self, e: &Expr, env: &TyEnv, imports: &Imports) -> Option<LockTy> {
        match peel(e) {
            Expr::Reference(r) => self.type_of(&r.expr, env, imports),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                self.type_of(&u.expr, env, imports)
            }
            Expr::Path(p) if p.qself.is_none() => {
                let id = p.path.get_ident()?.to_string();
                if id == "self" {
                    return env.self_ty.clone().map(LockTy::Local);
                }
                match env.lookup(&id) {
                    Some(ty) => ty,
                    None if imports.lookup(&id).is_none() => self.static_ty(&id),
                    None => None,
                }
            }
            // Fields need the crate-wide field table (the semantic layer's type source).
            Expr::Field(_) => None,
            Expr::MethodCall(mc)
                if mc.args.is_empty() && (mc.method == "clone" || mc.method == "as_ref") =>
            {
                self.type_of(&mc.receiver, env, imports)
            }
            Expr::MethodCall(_) => self.callee_ret(e, env, imports),
            Expr::Struct(s) => {
                let t = resolve_path(&s.path, imports, env.self_ty.as_deref());
                self.classify(&TypeRef::Path(t, Vec::new()))
            }
            Expr::Call(c) => {
                let Expr::Path(p) = peel(&c.func) else {
                    return None;
                };
                let n = p.path.segments.len();
                let f = p.path.segments.last()?.ident.to_string();
                if n >= 2 {
                    let mut ty_path = p.path.clone();
                    ty_path.segments.pop();
                    let canon = resolve_path(&ty_path, imports, env.self_ty.as_deref());
                    let ty = self.classify(&TypeRef::Path(canon, Vec::new()));
                    match (&ty, f.as_str()) {
                        (Some(LockTy::Local(_)), _) => return self.callee_ret(e, env, imports),
                        // `Arc::new(x)`, `Arc::clone(&x)`: the wrapped value's type.
                        (None, "new" | "clone" | "from") if is_wrapper_path(&p.path) => {
                            return self.type_of(c.args.first()?, env, imports);
                        }
                        (Some(_), "new" | "default" | "const_new" | "new_with_max_readers") => {
                            return ty;
                        }
                        _ => return None,
                    }
                }
                self.callee_ret(e, env, imports)
            }
            _ => None,
        }
    }

    /// Binds the names of a `let`: a single name gets the type its annotation or initializer
    /// proves; any other pattern's names are unknown.
    pub fn bind_let(&self, env: &mut TyEnv, imports: &Imports, l: &syn::Local) {
        let (pat, annotation) = match &l.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        match pat {
            syn::Pat::Ident(pi) if pi.subpat.is_none() => {
                let init = l.init.as_ref().map(|i| &*i.expr);
                let ty = self.let_ty(annotation, init, env, imports);
                env.bind(pi.ident.to_string(), ty);
            }
            other => env.bind_unknown(other),
        }
    }

    /// The type a `let` gives its binding: the annotation, else the initializer's type.
    pub fn let_ty(
        &self,
        annotation: Option<&Type>,
        init: Option<&Expr>,
        env: &TyEnv,
        imports: &Imports,
    ) -> Option<LockTy> {
        match annotation {
            Some(t) => self.classify(&resolve_type(t, imports, env.self_ty.as_deref())),
            None => self.type_of(init?, env, imports),
        }
    }
}

/// `Arc::..`, `Rc::..`, `std::sync::Arc::..`: a smart pointer's associated fn.
fn is_wrapper_path(p: &syn::Path) -> bool {
    let n = p.segments.len();
    n >= 2
        && p.segments
            .iter()
            .nth(n - 2)
            .is_some_and(|s| TRANSPARENT.contains(&s.ident.to_string().as_str()))
}

/// Resolves a path through the imports; `Self` becomes the impl's self type.
fn resolve_path(p: &syn::Path, imports: &Imports, self_ty: Option<&str>) -> CanonPath {
    if p.segments.len() == 1
        && p.segments[0].ident == "Self"
        && let Some(s) = self_ty
    {
        return vec![s.to_string()];
    }
    imports.resolve(p)
}

/// Resolves a syntactic type through the imports (references and parentheses are peeled).
pub fn resolve_type(t: &Type, imports: &Imports, self_ty: Option<&str>) -> TypeRef {
    match t {
        Type::Reference(r) => resolve_type(&r.elem, imports, self_ty),
        Type::Paren(p) => resolve_type(&p.elem, imports, self_ty),
        Type::Group(g) => resolve_type(&g.elem, imports, self_ty),
        Type::Path(p) if p.qself.is_none() => {
            let args = p
                .path
                .segments
                .last()
                .map(|s| match &s.arguments {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .filter_map(|a| match a {
                            syn::GenericArgument::Type(t) => {
                                Some(resolve_type(t, imports, self_ty))
                            }
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                })
                .unwrap_or_default();
            TypeRef::Path(resolve_path(&p.path, imports, self_ty), args)
        }
        _ => TypeRef::Unknown,
    }
}

/// Typed bindings visible at the current point of an analysis, one frame per scope. A binding of
/// unknown type shadows outer ones, so a lookup never guesses.
#[derive(Debug, Clone, Default)]
pub struct TyEnv {
    bindings: Vec<(String, Option<LockTy>)>,
    frames: Vec<usize>,
    /// The enclosing impl's self type, when it is a plain name.
    pub self_ty: Option<String>,
}

impl TyEnv {
    /// An empty environment inside an impl of `self_ty`.
    pub fn with_self(self_ty: Option<String>) -> Self {
        TyEnv {
            self_ty,
            ..TyEnv::default()
        }
    }

    /// Opens a scope.
    pub fn push(&mut self) {
        self.frames.push(self.bindings.len());
    }

    /// Closes the innermost scope.
    pub fn pop(&mut self) {
        if let Some(start) = self.frames.pop() {
            self.bindings.truncate(start);
        }
    }

    /// Binds `name` (shadowing).
    pub fn bind(&mut self, name: String, ty: Option<LockTy>) {
        self.bindings.push((name, ty));
    }

    /// Binds every name of a pattern with an unknown type.
    pub fn bind_unknown(&mut self, pat: &syn::Pat) {
        let mut names = Vec::new();
        crate::analysis::locals::pattern_idents(pat, &mut names);
        for n in names {
            self.bind(n, None);
        }
    }

    /// `None`: not a binding here; `Some(ty)`: a binding and its type when known.
    pub fn lookup(&self, name: &str) -> Option<Option<LockTy>> {
        self.bindings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    /// A flat copy of the visible bindings, to seed a nested analysis.
    pub fn snapshot(&self) -> TyEnv {
        TyEnv {
            bindings: self.bindings.clone(),
            frames: Vec::new(),
            self_ty: self.self_ty.clone(),
        }
    }
}

/// The plain name of an impl's self type (`impl<T> Foo<T>` -> `Foo`).
pub fn impl_self_name(i: &syn::ItemImpl) -> Option<String> {
    match &*i.self_ty {
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        _ => None,
    }
}

struct Collector {
    out: FileTypes,
    imports: Imports,
    self_ty: Option<String>,
}

impl Collector {
    fn add_fn(&mut self, sig: &syn::Signature, owner: Option<String>) {
        let ret = match &sig.output {
            syn::ReturnType::Type(_, t) => resolve_type(t, &self.imports, self.self_ty.as_deref()),
            syn::ReturnType::Default => TypeRef::Path(vec!["()".into()], Vec::new()),
        };
        self.out
            .fns
            .entry((owner, sig.ident.to_string()))
            .or_default()
            .push(FnDecl {
                ret,
                is_async: sig.asyncness.is_some(),
            });
    }

    fn add_once(map: &mut HashMap<String, Option<TypeRef>>, name: String, t: TypeRef) {
        map.entry(name)
            .and_modify(|v| {
                if v.as_ref() != Some(&t) {
                    *v = None;
                }
            })
            .or_insert(Some(t));
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            self.imports.push_module(items.iter());
            visit::visit_item_mod(self, m);
            self.imports.pop();
        }
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        self.out.local_types.push(s.ident.to_string());
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        self.out.local_types.push(e.ident.to_string());
    }

    fn visit_item_union(&mut self, u: &'ast syn::ItemUnion) {
        self.out.local_types.push(u.ident.to_string());
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.out.local_types.push(t.ident.to_string());
    }

    fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
        let ty = resolve_type(&t.ty, &self.imports, None);
        Collector::add_once(&mut self.out.aliases, t.ident.to_string(), ty);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        let ty = resolve_type(&s.ty, &self.imports, None);
        Collector::add_once(&mut self.out.statics, s.ident.to_string(), ty);
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        let ty = resolve_type(&c.ty, &self.imports, None);
        Collector::add_once(&mut self.out.statics, c.ident.to_string(), ty);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.add_fn(&f.sig, None);
        // Items inside bodies are not callable from elsewhere by name; skip them.
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved = std::mem::replace(&mut self.self_ty, impl_self_name(i));
        if let Some(owner) = self.self_ty.clone() {
            for item in &i.items {
                if let syn::ImplItem::Fn(f) = item {
                    self.add_fn(&f.sig, Some(owner.clone()));
                }
            }
        }
        self.self_ty = saved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty_of(src: &str, param: &str) -> Option<LockTy> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let types = FileTypes::collect(&file);
        let mut imports = Imports::default();
        imports.push(file.items.iter());
        let t: Type = syn::parse_str(param).unwrap();
        types.classify(&resolve_type(&t, &imports, None))
    }

    #[test]
    fn classifies_declared_types() {
        let src = "use std::sync::Mutex as StdMutex; use tokio::sync::Mutex; \
                   use std::sync::Arc; type Shared = Arc<StdMutex<u8>>;";
        assert_eq!(ty_of(src, "&StdMutex<u8>"), Some(LockTy::SyncLock));
        assert_eq!(ty_of(src, "Arc<Mutex<u8>>"), Some(LockTy::AsyncLock));
        assert_eq!(ty_of(src, "Shared"), Some(LockTy::SyncLock));
        assert_eq!(
            ty_of(src, "parking_lot::RwLock<u8>"),
            Some(LockTy::SyncLock)
        );
        assert_eq!(ty_of(src, "std::fs::File"), Some(LockTy::Other));
        assert_eq!(ty_of(src, "crate::Db"), None);
        assert_eq!(
            ty_of("struct Mutex;", "Mutex"),
            Some(LockTy::Local("Mutex".into()))
        );
        assert_eq!(ty_of("", "Mutex<u8>"), None);
        assert_eq!(
            ty_of(
                "use std::sync::{LockResult, MutexGuard};",
                "LockResult<MutexGuard<'_, u8>>"
            ),
            Some(LockTy::Fallible(Box::new(LockTy::Guard(Kind::Lock))))
        );
        assert_eq!(
            ty_of("use tokio::sync::MutexGuard;", "MutexGuard<'_, u8>"),
            Some(LockTy::AsyncGuard)
        );
    }

    #[test]
    fn same_file_fn_returns() {
        let src = "use std::sync::{Mutex, MutexGuard};
            struct Db { m: Mutex<u8> }
            impl Db { fn lock(&self) -> MutexGuard<'_, u8> { self.m.lock().unwrap() }
                      async fn get(&self) -> MutexGuard<'_, u8> { todo!() } }
            fn guard(m: &Mutex<u8>) -> parking_lot::MutexGuard<'_, u8> { todo!() }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let types = FileTypes::collect(&file);
        assert_eq!(
            types.fn_ret(Some("Db"), "lock"),
            Some((Some(LockTy::Guard(Kind::Lock)), false))
        );
        assert_eq!(types.fn_ret(Some("Db"), "get").map(|r| r.1), Some(true));
        assert_eq!(
            types.fn_ret(None, "guard"),
            Some((Some(LockTy::Guard(Kind::Lock)), false))
        );
        assert_eq!(types.fn_ret(Some("Other"), "lock"), None);
    }
}
