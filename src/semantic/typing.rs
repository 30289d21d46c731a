//! What declared and symbolic types denote (layer L3, crate-wide): a [`TypeRef`] written in some
//! scope resolves through the [`crate::semantic::defmap::DefMap`] to a local struct or an
//! external path (aliases expanded, with their generic arguments); a [`Sym`] is finished with
//! the crate's field types, statics and fn return types. Each hop that fails gives
//! [`Ty::Unknown`], and a file in several crates must agree in each: unknown means no finding.

use std::sync::Arc;

use crate::semantic::defmap::{Def, FileInput, ModId, Ns};
use crate::semantic::items::{ItemKind, NONE, Name, Owner, PathFact};
use crate::semantic::memo;
use crate::semantic::resolve::{Callee, ItemRef, Semantics, item_kind};
use crate::semantic::types::{Sym, Ty, TypeRef};

/// How many hops a type may take (aliases, fields, returns) before it is unknown.
const MAX_DEPTH: u8 = 12;

/// Std prelude types a single-segment path names when nothing in scope does.
const PRELUDE: &[(&str, &str)] = &[
    ("Option", "std::option::Option"),
    ("Result", "std::result::Result"),
    ("Vec", "std::vec::Vec"),
    ("Box", "std::boxed::Box"),
    ("String", "std::string::String"),
    ("Future", "std::future::Future"),
    ("Fn", "std::ops::Fn"),
    ("FnMut", "std::ops::FnMut"),
    ("FnOnce", "std::ops::FnOnce"),
];

/// Wrappers a method call or field access sees through (autoderef), by canonical path.
const TRANSPARENT: &[&str] = &[
    "std::sync::Arc",
    "std::rc::Rc",
    "std::boxed::Box",
    "std::pin::Pin",
    "std::sync::LazyLock",
    "std::cell::LazyCell",
    "once_cell::sync::Lazy",
    "once_cell::unsync::Lazy",
    "actix_web::web::Data",
    "axum::extract::State",
    "axum::Extension",
    "axum::extract::Extension",
];

/// Futures named by aliases of library crates (`BoxFuture<'a, T>` is a future of `T`).
const FUTURE_ALIASES: &[&str] = &[
    "futures::future::BoxFuture",
    "futures::future::LocalBoxFuture",
    "futures_util::future::BoxFuture",
    "futures_core::future::BoxFuture",
    "futures::prelude::future::BoxFuture",
];

/// A path with `core::`/`alloc::` spelled `std::` (they name the same items).
fn canonical(path: Arc<[Name]>) -> Arc<[Name]> {
    match path.first().map(|s| &**s) {
        Some("core" | "alloc") => {
            let mut v: Vec<Name> = path.to_vec();
            v[0] = Name::from("std");
            v.into()
        }
        _ => path,
    }
}

/// The canonical paths of [`PRELUDE`], in its order, split once per run.
fn prelude_paths() -> &'static [Arc<[Name]>] {
    static PATHS: std::sync::OnceLock<Vec<Arc<[Name]>>> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| PRELUDE.iter().map(|(_, full)| path_of(full)).collect())
}

/// Lazily initialised cells: what their accessors return (`RT.get()` is an `Option<&T>`,
/// `RT.get_or_init(..)` a `&T`); anything else is unknown.
const ONCE_CELLS: &[&str] = &[
    "std::sync::OnceLock",
    "std::cell::OnceCell",
    "once_cell::sync::OnceCell",
    "once_cell::unsync::OnceCell",
];

fn once_cell_access(p: &[Name], args: &[Ty], method: &str) -> Ty {
    if !ONCE_CELLS.iter().any(|c| is_path(p, c)) {
        return Ty::Unknown;
    }
    let Some(inner) = args.first() else {
        return Ty::Unknown;
    };
    let by_ref = Ty::Ref(Box::new(inner.clone()));
    match method {
        "get" => Ty::External(path_of("std::option::Option"), vec![by_ref]),
        "get_or_init" | "wait" => by_ref,
        _ => Ty::Unknown,
    }
}

fn path_of(s: &str) -> Arc<[Name]> {
    s.split("::").map(Name::from).collect()
}

fn is_path(p: &[Name], s: &str) -> bool {
    let mut parts = s.split("::");
    p.iter().all(|seg| parts.next() == Some(&**seg)) && parts.next().is_none()
}

/// The `T` of a `Future<Output = T>`-like external type, when it is one.
fn future_output(ty: &Ty) -> Option<Ty> {
    match ty {
        Ty::Future(t) => Some((**t).clone()),
        Ty::External(p, args) if FUTURE_ALIASES.iter().any(|a| is_path(p, a)) => {
            Some(args.first().cloned().unwrap_or(Ty::Unknown))
        }
        // `Pin<Box<dyn Future<Output = T>>>`
        Ty::External(p, args) if is_path(p, "std::pin::Pin") || is_path(p, "std::boxed::Box") => {
            future_output(args.first()?)
        }
        _ => None,
    }
}

impl Ty {
    /// The type a method call or field access on a value of this type sees: references and
    /// transparent wrappers (`Arc`, `Box`, `Rc`, `Pin`, `web::Data`, `State`) peeled.
    pub fn autoderef(&self) -> &Ty {
        let mut t = self;
        for _ in 0..8 {
            t = match t {
                Ty::Ref(inner) => inner,
                Ty::External(p, args)
                    if !args.is_empty() && TRANSPARENT.iter().any(|w| is_path(p, w)) =>
                {
                    &args[0]
                }
                _ => return t,
            };
        }
        t
    }

    /// Whether this (after [`Ty::autoderef`]) is the external type `path`.
    /// `path<_, !()>` additionally requires the second type argument not to be `()` (a
    /// `Result<T, ()>` carries no error to lose; an unknown argument is not `()`).
    pub fn is(&self, path: &str) -> bool {
        let (path, not_unit_error) = match path.strip_suffix("<_, !()>") {
            Some(p) => (p, true),
            None => (path, false),
        };
        matches!(self.autoderef(), Ty::External(p, args)
            if is_path(p, path)
                && !(not_unit_error && args.get(1).is_some_and(|e| *e == Ty::Tuple(Vec::new()))))
    }

    /// The output, when this is a future (an `async fn` call, `impl Future`, `BoxFuture`).
    pub fn future_output(&self) -> Option<Ty> {
        future_output(self)
    }
}

/// What a type path names, whatever its generic arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Named {
    /// A struct, enum or union of the linted files.
    Adt(ItemRef),
    /// A type alias of the linted files.
    Alias(ItemRef),
    /// A type of another crate or std, by canonical path.
    External(Arc<[Name]>),
    /// Nothing known (or crates containing the file disagree).
    Unknown,
}

/// Where a declared type is written: its file, item scope, enclosing impl, and the generic
/// arguments of the alias being expanded.
#[derive(Clone, Copy)]
struct At<'s> {
    file: u32,
    scope: u32,
    imp: u32,
    subst: &'s [(Name, Ty)],
}

impl Semantics {
    /// What symbolic type `sym` of file `file` denotes.
    pub fn sym_type(&self, files: &[FileInput<'_>], file: u32, sym: u32) -> Ty {
        self.sym_ty(files, file, sym, 0)
    }

    /// What type `ty` of file `file`, written in item scope `scope` inside impl `imp` ([`NONE`]:
    /// none), denotes.
    pub fn declared_type(
        &self,
        files: &[FileInput<'_>],
        file: u32,
        scope: u32,
        imp: u32,
        ty: u32,
    ) -> Ty {
        let at = At {
            file,
            scope,
            imp,
            subst: &[],
        };
        self.type_ref(files, at, ty, 0)
    }

    /// The declared type of fn `index` of file `file`'s result: for an `async fn`, a future of
    /// its declared output.
    pub fn fn_return(&self, files: &[FileInput<'_>], file: u32, index: u32) -> Ty {
        self.fn_ret(files, file, index, 0)
    }

    fn fn_ret(&self, files: &[FileInput<'_>], file: u32, index: u32, depth: u8) -> Ty {
        self.memo.fns.get_or((file, index), || {
            self.fn_ret_uncached(files, file, index, depth)
        })
    }

    fn fn_ret_uncached(&self, files: &[FileInput<'_>], file: u32, index: u32, depth: u8) -> Ty {
        let Some(f) = files
            .get(file as usize)
            .and_then(|x| x.fns.get(index as usize))
        else {
            return Ty::Unknown;
        };
        let imp = match f.owner {
            Owner::Impl(i) => i,
            _ => NONE,
        };
        let at = At {
            file,
            scope: f.scope,
            imp,
            subst: &[],
        };
        let out = if f.ret == NONE {
            Ty::Tuple(Vec::new())
        } else {
            self.type_ref(files, at, f.ret, depth + 1)
        };
        if f.is_async {
            Ty::Future(Box::new(out))
        } else {
            out
        }
    }

    fn sym_ty(&self, files: &[FileInput<'_>], file: u32, sym: u32, depth: u8) -> Ty {
        if depth > MAX_DEPTH {
            memo::cut();
            return Ty::Unknown;
        }
        self.memo.syms.get_or((file, sym), || {
            self.sym_ty_uncached(files, file, sym, depth)
        })
    }

    fn sym_ty_uncached(&self, files: &[FileInput<'_>], file: u32, sym: u32, depth: u8) -> Ty {
        let Some(s) = files
            .get(file as usize)
            .and_then(|x| x.items.syms.get(sym as usize))
        else {
            return Ty::Unknown;
        };
        let d = depth + 1;
        match s {
            Sym::Decl { ty, scope, imp } => {
                let at = At {
                    file,
                    scope: *scope,
                    imp: *imp,
                    subst: &[],
                };
                self.type_ref(files, at, *ty, d)
            }
            Sym::SelfOf(imp) => match self.impl_self_item(file, *imp) {
                Some(item) => Ty::Local(item, Vec::new()),
                None => Ty::Unknown,
            },
            Sym::Field(base, name) => {
                let b = self.sym_ty(files, file, *base, d);
                self.field_type(files, b.autoderef(), name, d)
            }
            Sym::Static { path, scope } => self.static_type(files, file, *scope, *path, d),
            Sym::Ret {
                path,
                scope,
                caller,
            } => {
                let Some(p) = files[file as usize].items.paths.get(*path as usize) else {
                    return Ty::Unknown;
                };
                let caller = (*caller != NONE).then_some(*caller);
                match self.resolve_call(files, file, *scope, p, caller) {
                    Callee::Fn(f, i) => self.fn_ret(files, f, i, d),
                    _ => Ty::Unknown,
                }
            }
            Sym::MethodRet(base, name) => {
                let b = self.sym_ty(files, file, *base, d);
                match b.autoderef() {
                    Ty::Local(item, _) => {
                        match self.method_of(files, *item, &|n: &str| n == &**name) {
                            Callee::Fn(f, i) => self.fn_ret(files, f, i, d),
                            _ => Ty::Unknown,
                        }
                    }
                    Ty::External(p, args) => once_cell_access(p, args, name),
                    _ => Ty::Unknown,
                }
            }
            Sym::Unwrap(inner) => {
                let t = self.sym_ty(files, file, *inner, d);
                // `Option<T>`, `Result<T, E>` and the library aliases `io::Result<T>`,
                // `anyhow::Result<T>`, `sync::LockResult<T>`: the value is the first argument.
                match &t {
                    Ty::External(p, args)
                        if p.last().is_some_and(|l| {
                            matches!(&**l, "Option" | "Result" | "LockResult" | "TryLockResult")
                        }) =>
                    {
                        args.first().cloned().unwrap_or(Ty::Unknown)
                    }
                    _ => Ty::Unknown,
                }
            }
            Sym::Await(inner) => self
                .sym_ty(files, file, *inner, d)
                .future_output()
                .unwrap_or(Ty::Unknown),
            Sym::Elem(inner) => {
                let t = self.sym_ty(files, file, *inner, d);
                match t.autoderef() {
                    Ty::Slice(e) => (**e).clone(),
                    Ty::External(p, args)
                        if [
                            "std::vec::Vec",
                            "std::collections::VecDeque",
                            "std::collections::HashSet",
                            "std::collections::BTreeSet",
                            "std::option::Option",
                        ]
                        .iter()
                        .any(|c| is_path(p, c)) =>
                    {
                        args.first().cloned().unwrap_or(Ty::Unknown)
                    }
                    _ => Ty::Unknown,
                }
            }
        }
    }

    /// The declared type of field `name` of a value of type `base`.
    fn field_type(&self, files: &[FileInput<'_>], base: &Ty, name: &str, depth: u8) -> Ty {
        match base {
            Ty::Local((f, i), _) => {
                let Some(file) = files.get(*f as usize) else {
                    return Ty::Unknown;
                };
                let fields = &file.items.fields;
                let start = fields.partition_point(|x| x.item < *i);
                let Some(field) = fields[start..]
                    .iter()
                    .take_while(|x| x.item == *i)
                    .find(|x| &*x.name == name)
                else {
                    return Ty::Unknown;
                };
                let Some(item) = file.items.items.get(*i as usize) else {
                    return Ty::Unknown;
                };
                let at = At {
                    file: *f,
                    scope: item.scope,
                    imp: NONE,
                    subst: &[],
                };
                self.type_ref(files, at, field.ty, depth + 1)
            }
            Ty::Tuple(elems) => name
                .parse::<usize>()
                .ok()
                .and_then(|n| elems.get(n).cloned())
                .unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }

    /// The declared type of the static or const `path` names.
    fn static_type(
        &self,
        files: &[FileInput<'_>],
        file: u32,
        scope: u32,
        path: u32,
        depth: u8,
    ) -> Ty {
        let Some(p) = files[file as usize].items.paths.get(path as usize) else {
            return Ty::Unknown;
        };
        self.agree_ty(file, scope, |m| {
            match self.defmap.resolve(m, p, Ns::Values) {
                Def::Item(f, i) => self.item_type(files, f, i, &[], depth),
                _ => Ty::Unknown,
            }
        })
    }

    /// The declared type of item `i` of file `f` (an alias's target with `args` for its
    /// parameters, a static's or const's type).
    fn item_type(&self, files: &[FileInput<'_>], f: u32, i: u32, args: &[Ty], depth: u8) -> Ty {
        if args.is_empty() {
            return self
                .memo
                .items
                .get_or((f, i), || self.item_type_uncached(files, f, i, args, depth));
        }
        self.item_type_uncached(files, f, i, args, depth)
    }

    fn item_type_uncached(
        &self,
        files: &[FileInput<'_>],
        f: u32,
        i: u32,
        args: &[Ty],
        depth: u8,
    ) -> Ty {
        let Some(file) = files.get(f as usize) else {
            return Ty::Unknown;
        };
        let its = &file.items.item_types;
        let start = its.partition_point(|x| x.item < i);
        let (Some(it), Some(item)) = (its.get(start), file.items.items.get(i as usize)) else {
            return Ty::Unknown;
        };
        if it.item != i {
            return Ty::Unknown;
        }
        let subst: Vec<(Name, Ty)> = it
            .params
            .iter()
            .cloned()
            .zip(args.iter().cloned().chain(std::iter::repeat(Ty::Unknown)))
            .collect();
        let at = At {
            file: f,
            scope: item.scope,
            imp: NONE,
            subst: &subst,
        };
        self.type_ref(files, at, it.ty, depth + 1)
    }

    /// The answer every crate containing the file gives, or unknown when they differ.
    fn agree_ty(
        &self,
        file: u32,
        scope: u32,
        mut each: impl FnMut(crate::semantic::defmap::ModId) -> Ty,
    ) -> Ty {
        let mut answer: Option<Ty> = None;
        for m in self.defmap.modules_of(file, scope) {
            let t = each(m);
            match &answer {
                None => answer = Some(t),
                Some(a) if *a == t => {}
                Some(_) => return Ty::Unknown,
            }
        }
        answer.unwrap_or(Ty::Unknown)
    }

    fn type_ref(&self, files: &[FileInput<'_>], at: At<'_>, ty: u32, depth: u8) -> Ty {
        if depth > MAX_DEPTH {
            memo::cut();
            return Ty::Unknown;
        }
        if ty == NONE {
            return Ty::Unknown;
        }
        let Some(items) = files.get(at.file as usize).map(|x| x.items) else {
            return Ty::Unknown;
        };
        let Some(t) = items.types.get(ty as usize) else {
            return Ty::Unknown;
        };
        let d = depth + 1;
        let each = |ids: &[u32]| -> Vec<Ty> {
            ids.iter()
                .map(|&a| self.type_ref(files, at, a, d))
                .collect()
        };
        match t {
            TypeRef::Ref(inner) => Ty::Ref(Box::new(self.type_ref(files, at, *inner, d))),
            TypeRef::Slice(inner) => Ty::Slice(Box::new(self.type_ref(files, at, *inner, d))),
            TypeRef::Tuple(elems) => Ty::Tuple(each(elems)),
            TypeRef::FnPtr(ret) => Ty::Callable(Box::new(self.ret_or_unit(files, at, *ret, d))),
            TypeRef::Unknown => Ty::Unknown,
            TypeRef::Bound { path, args, output } => {
                let Some(p) = items.paths.get(*path as usize) else {
                    return Ty::Unknown;
                };
                match self.path_type(files, at, p, *path, each(args), d) {
                    Ty::External(tr, _) if is_path(&tr, "std::future::Future") => {
                        Ty::Future(Box::new(self.ret_or_unit(files, at, *output, d)))
                    }
                    Ty::External(tr, _)
                        if ["std::ops::Fn", "std::ops::FnMut", "std::ops::FnOnce"]
                            .iter()
                            .any(|f| is_path(&tr, f)) =>
                    {
                        Ty::Callable(Box::new(self.ret_or_unit(files, at, *output, d)))
                    }
                    // `dyn Trait`/`impl Trait` of a local trait: its methods are the trait's.
                    Ty::Local(tr, args)
                        if matches!(
                            crate::semantic::resolve::item_kind(files, tr.0, tr.1),
                            Some(crate::semantic::items::ItemKind::Trait)
                        ) =>
                    {
                        Ty::Local(tr, args)
                    }
                    _ => Ty::Unknown,
                }
            }
            TypeRef::Path { path, args } => {
                let Some(p) = items.paths.get(*path as usize) else {
                    return Ty::Unknown;
                };
                let args = each(args);
                let t = self.path_type(files, at, p, *path, args, d);
                // `BoxFuture<T>` and `Pin<Box<dyn Future<Output = T>>>` are futures of `T`.
                match future_output(&t) {
                    Some(out) if !matches!(t, Ty::Future(_)) => Ty::Future(Box::new(out)),
                    _ => t,
                }
            }
        }
    }

    fn ret_or_unit(&self, files: &[FileInput<'_>], at: At<'_>, ty: u32, depth: u8) -> Ty {
        if ty == NONE {
            Ty::Tuple(Vec::new())
        } else {
            self.type_ref(files, at, ty, depth)
        }
    }

    /// What a type path written at `at` names, given its (already resolved) type arguments.
    fn path_type(
        &self,
        files: &[FileInput<'_>],
        at: At<'_>,
        p: &PathFact,
        path: u32,
        args: Vec<Ty>,
        depth: u8,
    ) -> Ty {
        if p.segments.len() == 1 && !p.leading_colon {
            let name = &*p.segments[0];
            if let Some((_, t)) = at.subst.iter().find(|(n, _)| &**n == name) {
                return t.clone();
            }
            if name == "Self" {
                return match self.impl_self_item(at.file, at.imp) {
                    Some(item) => Ty::Local(item, Vec::new()),
                    None => Ty::Unknown,
                };
            }
        }
        let named = self.memo.type_paths.get_or((at.file, at.scope, path), || {
            self.agree(at.file, at.scope, |m| {
                match self.defmap.resolve(m, p, Ns::Types) {
                    Def::Item(f, i) => match item_kind(files, f, i) {
                        // A local trait names the type of its objects and of generics
                        // bounded by it: method calls go to its declarations.
                        Some(ItemKind::Adt { .. } | ItemKind::Trait) => Named::Adt((f, i)),
                        Some(ItemKind::Alias(_)) => Named::Alias((f, i)),
                        _ => Named::Unknown,
                    },
                    Def::External(path) => Named::External(canonical(path)),
                    Def::Unknown if p.segments.len() == 1 && !p.leading_colon => {
                        match PRELUDE.iter().position(|(n, _)| **n == *p.segments[0]) {
                            Some(k) => Named::External(Arc::clone(&prelude_paths()[k])),
                            None => Named::Unknown,
                        }
                    }
                    _ => Named::Unknown,
                }
            })
        });
        match named {
            Named::Adt(item) => Ty::Local(item, args),
            Named::Alias((f, i)) => self.item_type(files, f, i, &args, depth),
            Named::External(path) => Ty::External(path, args),
            Named::Unknown => Ty::Unknown,
        }
    }

    /// The answer every crate containing the file gives, or [`Named::Unknown`] when they differ.
    fn agree(&self, file: u32, scope: u32, mut each: impl FnMut(ModId) -> Named) -> Named {
        let mut answer: Option<Named> = None;
        for m in self.defmap.modules_of(file, scope) {
            let t = each(m);
            match &answer {
                None => answer = Some(t),
                Some(a) if *a == t => {}
                Some(_) => return Named::Unknown,
            }
        }
        answer.unwrap_or(Named::Unknown)
    }
}
