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
use crate::semantic::types::{Named, Sym, Ty, TypeRef};

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

/// Lock guards and cell borrows (canonical paths): each derefs to its first type argument.
const GUARDS: &[&str] = &[
    "std::sync::MutexGuard",
    "std::sync::RwLockReadGuard",
    "std::sync::RwLockWriteGuard",
    "std::cell::Ref",
    "std::cell::RefMut",
    "parking_lot::MutexGuard",
    "parking_lot::RwLockReadGuard",
    "parking_lot::RwLockWriteGuard",
    "tokio::sync::MutexGuard",
    "tokio::sync::OwnedMutexGuard",
    "tokio::sync::RwLockReadGuard",
    "tokio::sync::RwLockWriteGuard",
    "futures::lock::MutexGuard",
    "async_std::sync::MutexGuard",
];

/// What acquiring a lock returns, by the lock's canonical path and method: the guard type and
/// how it is wrapped (a std `LockResult`, an async lock's future, or nothing: parking_lot).
const ACQUIRE: &[(&str, &str, &str, Wrap)] = &[
    (
        "std::sync::Mutex",
        "lock",
        "std::sync::MutexGuard",
        Wrap::LockResult,
    ),
    (
        "std::sync::RwLock",
        "read",
        "std::sync::RwLockReadGuard",
        Wrap::LockResult,
    ),
    (
        "std::sync::RwLock",
        "write",
        "std::sync::RwLockWriteGuard",
        Wrap::LockResult,
    ),
    ("std::cell::RefCell", "borrow", "std::cell::Ref", Wrap::None),
    (
        "std::cell::RefCell",
        "borrow_mut",
        "std::cell::RefMut",
        Wrap::None,
    ),
    (
        "parking_lot::Mutex",
        "lock",
        "parking_lot::MutexGuard",
        Wrap::None,
    ),
    (
        "parking_lot::RwLock",
        "read",
        "parking_lot::RwLockReadGuard",
        Wrap::None,
    ),
    (
        "parking_lot::RwLock",
        "write",
        "parking_lot::RwLockWriteGuard",
        Wrap::None,
    ),
    (
        "tokio::sync::Mutex",
        "lock",
        "tokio::sync::MutexGuard",
        Wrap::Future,
    ),
    (
        "tokio::sync::Mutex",
        "lock_owned",
        "tokio::sync::OwnedMutexGuard",
        Wrap::Future,
    ),
    (
        "tokio::sync::RwLock",
        "read",
        "tokio::sync::RwLockReadGuard",
        Wrap::Future,
    ),
    (
        "tokio::sync::RwLock",
        "write",
        "tokio::sync::RwLockWriteGuard",
        Wrap::Future,
    ),
    (
        "futures::lock::Mutex",
        "lock",
        "futures::lock::MutexGuard",
        Wrap::Future,
    ),
    (
        "async_std::sync::Mutex",
        "lock",
        "async_std::sync::MutexGuard",
        Wrap::Future,
    ),
];

#[derive(Clone, Copy)]
enum Wrap {
    None,
    LockResult,
    Future,
}

/// The guard `method` acquires on a lock of canonical path `p` holding `args[0]`, when
/// [`ACQUIRE`] lists it.
fn acquire(p: &[Name], args: &[Ty], method: &str) -> Ty {
    let Some((_, _, guard, wrap)) = ACQUIRE
        .iter()
        .find(|(lock, m, _, _)| *m == method && is_path(p, lock))
    else {
        return Ty::Unknown;
    };
    let Some(inner) = args.first() else {
        return Ty::Unknown;
    };
    let guard = Ty::External(path_of(guard), vec![inner.clone()]);
    match wrap {
        Wrap::None => guard,
        Wrap::LockResult => Ty::External(path_of("std::sync::LockResult"), vec![guard]),
        Wrap::Future => Ty::Future(Box::new(guard)),
    }
}

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

/// What method `name` returns on a value of library type `p<args>`, when this layer knows:
/// once-cell accessors, std collections' accessors, lock acquisitions.
/// The value behind references and lock guards (what `clone()` or `take()` on them reaches).
fn behind_refs_and_guards(mut t: Ty) -> Ty {
    loop {
        t = match t {
            Ty::Ref(inner) => *inner,
            Ty::External(p, mut args)
                if !args.is_empty() && GUARDS.iter().any(|g| is_path(&p, g)) =>
            {
                args.swap_remove(0)
            }
            t => return t,
        };
    }
}

fn library_method(p: &[Name], args: &[Ty], name: &str) -> Ty {
    match once_cell_access(p, args, name) {
        Ty::Unknown => match collection_access(p, args, name) {
            Ty::Unknown => acquire(p, args, name),
            t => t,
        },
        t => t,
    }
}

/// std's sequences: what their element accessors return.
const SEQUENCES: &[&str] = &["std::vec::Vec", "std::collections::VecDeque"];

/// std's maps (`K, V`): what their value accessors return.
const MAPS: &[&str] = &[
    "std::collections::HashMap",
    "std::collections::BTreeMap",
    "std::collections::hash_map::HashMap",
    "std::collections::btree_map::BTreeMap",
];

/// The iterators of std's collections (`map.values()`, `v.drain(..)`), as this layer sees
/// them: items of its one type argument (`for v in map.values()` binds a `V`; `collect()`
/// gives a `Vec` of them).
const MAP_VALUES: &str = "std::collections::hash_map::Values";

fn option_of(t: Ty) -> Ty {
    Ty::External(path_of("std::option::Option"), vec![t])
}

/// Element accessors of a sequence of `elem` (a `Vec`, `VecDeque` or slice): `get(i)`,
/// `first()`, `last()` give an `Option<&T>`, `pop()` an `Option<T>`, `remove(i)` a `T`
/// (`VecDeque::remove` an `Option<T>`); anything else is unknown.
fn sequence_access(elem: &Ty, method: &str) -> Ty {
    let by_ref = || Ty::Ref(Box::new(elem.clone()));
    match method {
        "get" | "get_mut" | "first" | "last" | "first_mut" | "last_mut" | "front" | "back"
        | "front_mut" | "back_mut" => option_of(by_ref()),
        "pop" | "pop_front" | "pop_back" => option_of(elem.clone()),
        _ => Ty::Unknown,
    }
}

/// What std collection methods return on a value of external type `p<args>`: element
/// accessors of sequences ([`sequence_access`]), `get`/`get_mut`/`remove` and `values()` of
/// maps. Anything else is unknown.
fn collection_access(p: &[Name], args: &[Ty], method: &str) -> Ty {
    if SEQUENCES.iter().any(|s| is_path(p, s)) {
        let Some(elem) = args.first() else {
            return Ty::Unknown;
        };
        return match method {
            "remove" if is_path(p, "std::vec::Vec") => elem.clone(),
            "remove" => option_of(elem.clone()),
            "drain" | "into_iter" | "iter" | "iter_mut" => items_of(elem.clone()),
            _ => sequence_access(elem, method),
        };
    }
    if MAPS.iter().any(|m| is_path(p, m)) {
        let Some(value) = args.get(1) else {
            return Ty::Unknown;
        };
        return match method {
            "get" | "get_mut" => option_of(Ty::Ref(Box::new(value.clone()))),
            "remove" => option_of(value.clone()),
            "values" | "values_mut" | "into_values" => items_of(value.clone()),
            _ => Ty::Unknown,
        };
    }
    if is_path(p, MAP_VALUES) {
        // Items collected, filtered or reordered are still the items.
        let Some(item) = args.first() else {
            return Ty::Unknown;
        };
        return match method {
            "collect" => Ty::External(path_of("std::vec::Vec"), vec![item.clone()]),
            "filter" | "rev" | "skip" | "take" | "peekable" | "fuse" | "by_ref" | "step_by"
            | "skip_while" | "take_while" => items_of(item.clone()),
            "next" | "last" | "next_back" | "find" => option_of(item.clone()),
            _ => Ty::Unknown,
        };
    }
    Ty::Unknown
}

/// An iterator of `item`s (the iterators of std's collections, as this layer sees them).
fn items_of(item: Ty) -> Ty {
    Ty::External(path_of(MAP_VALUES), vec![item])
}

fn path_of(s: &str) -> Arc<[Name]> {
    s.split("::").map(Name::from).collect()
}

fn is_path(p: &[Name], s: &str) -> bool {
    crate::semantic::names::spells(p.iter().map(|seg| &**seg), s)
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
    /// One autoderef step: a reference, a transparent wrapper or a lock guard peeled.
    fn deref_step(&self) -> Option<&Ty> {
        match self {
            Ty::Ref(inner) => Some(inner),
            Ty::External(p, args)
                if !args.is_empty() && TRANSPARENT.iter().chain(GUARDS).any(|w| is_path(p, w)) =>
            {
                Some(&args[0])
            }
            _ => None,
        }
    }

    /// The type a method call or field access on a value of this type sees: references,
    /// transparent wrappers (`Arc`, `Box`, `Rc`, `Pin`, `web::Data`, `State`) and lock guards
    /// (`MutexGuard<T>` derefs to `T`) peeled.
    pub fn autoderef(&self) -> &Ty {
        let mut t = self;
        for _ in 0..8 {
            match t.deref_step() {
                Some(inner) => t = inner,
                None => return t,
            }
        }
        t
    }

    /// Whether this, or a type it autoderefs to on the way to [`Ty::autoderef`], is the
    /// external type `path` (a `MutexGuard<Receiver>` is a guard and, through it, a receiver).
    /// `path<_, !()>` additionally requires the second type argument not to be `()` (a
    /// `Result<T, ()>` carries no error to lose; an unknown argument is not `()`).
    ///
    /// `[path]` asks whether this is a collection (a `Vec`, `VecDeque`, slice or map values) of
    /// `path`; `outer<inner>` whether this is `outer` with a first type argument that is
    /// `inner` (itself a pattern: `tokio::task::JoinHandle<std::io::Result>`), `outer<_, inner>`
    /// whether its second type argument is `inner`; `future P` whether this is a future whose
    /// output is `P`.
    pub fn is(&self, path: &str) -> bool {
        // `future P`: a future whose output is `P` (a call of an `async fn`).
        if let Some(output) = path.strip_prefix("future ") {
            return self.future_output().is_some_and(|o| o.is(output));
        }
        // `outer<_, inner>`: the second type argument is `inner` (`Result<_, JoinError>`).
        if let Some((outer, inner)) = path.split_once('<')
            && let Some(second) = inner.strip_suffix('>').and_then(|i| i.strip_prefix("_,"))
            && second.trim() != "!()"
        {
            return match self.autoderef() {
                Ty::External(p, args) if is_path(p, outer) => {
                    args.get(1).is_some_and(|a| a.is(second.trim()))
                }
                _ => false,
            };
        }
        if let Some((outer, inner)) = path.split_once('<')
            && let Some(inner) = inner.strip_suffix('>')
            && !inner.starts_with("_,")
        {
            return match self.autoderef() {
                Ty::External(p, args) if is_path(p, outer) => {
                    args.first().is_some_and(|a| a.is(inner))
                }
                _ => false,
            };
        }
        if let Some(elem) = path.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            return match self.autoderef() {
                Ty::Slice(e) => e.is(elem),
                Ty::External(p, args)
                    if SEQUENCES.iter().chain(&[MAP_VALUES]).any(|s| is_path(p, s)) =>
                {
                    args.first().is_some_and(|e| e.is(elem))
                }
                _ => false,
            };
        }
        let (path, not_unit_error) = match path.strip_suffix("<_, !()>") {
            Some(p) => (p, true),
            None => (path, false),
        };
        let mut t = self;
        for _ in 0..9 {
            if matches!(t, Ty::External(p, args)
                if is_path(p, path)
                    && !(not_unit_error
                        && args.get(1).is_some_and(|e| *e == Ty::Tuple(Vec::new()))))
            {
                return true;
            }
            match t.deref_step() {
                Some(inner) => t = inner,
                None => return false,
            }
        }
        false
    }

    /// The output, when this is a future (an `async fn` call, `impl Future`, `BoxFuture`).
    pub fn future_output(&self) -> Option<Ty> {
        future_output(self)
    }
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
        let out = if f.never_returns {
            Ty::Unknown
        } else if f.ret == NONE {
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

    /// What method `name` returns on a receiver of symbolic type `base`: a crate-local method's
    /// declared return type, else std's collection, cell and lock accessors.
    fn method_ret(&self, files: &[FileInput<'_>], file: u32, base: u32, name: &str, d: u8) -> Ty {
        let b = self.sym_ty(files, file, base, d);
        match b.autoderef() {
            Ty::Local(item, _) => {
                match self.method_of(files, *item, &|n: &str| n == name) {
                    Callee::Fn(f, i) => self.fn_ret(files, f, i, d),
                    Callee::Unknown => match self.deref_target(files, *item).autoderef() {
                        // `Deref<Target = Vec<T>>` and the like: std's methods.
                        Ty::External(p, args) => library_method(p, args, name),
                        _ => Ty::Unknown,
                    },
                    _ => Ty::Unknown,
                }
            }
            Ty::External(p, args) => library_method(p, args, name),
            Ty::Slice(elem) => sequence_access(elem, name),
            _ => Ty::Unknown,
        }
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
                Some(item) => Ty::Local(item, self.impl_self_args(files, file, *imp, d)),
                None => Ty::Unknown,
            },
            Sym::Field(base, name) => {
                let b = self.sym_ty(files, file, *base, d);
                let mut t = b.autoderef().clone();
                // Autoderef: a field the type does not have is looked up on its
                // `Deref::Target` (`state.tx` on a newtype over `Arc<Inner>`).
                for _ in 0..4 {
                    let field = self.field_type(files, &t, name, d);
                    if field != Ty::Unknown {
                        return field;
                    }
                    let Ty::Local(item, _) = t else {
                        return Ty::Unknown;
                    };
                    t = self.deref_target(files, item).autoderef().clone();
                }
                Ty::Unknown
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
            Sym::MethodRet(base, name) if matches!(&**name, "clone" | "to_owned") => {
                // `Clone` of the value behind references and guards (`Arc::clone` keeps the
                // `Arc`); a crate-local `clone` method is not looked for.
                behind_refs_and_guards(self.sym_ty(files, file, *base, d))
            }
            Sym::MethodRet(base, name) if &**name == "take" => {
                // `Option::take` through references and guards (`self.task.take()`,
                // `m.lock().unwrap().take()`): the `Option` itself, no longer borrowed from the
                // guard. A crate's own `take` method is looked up as any other method.
                let t = behind_refs_and_guards(self.sym_ty(files, file, *base, d));
                match t {
                    Ty::External(ref p, _) if is_path(p, "std::option::Option") => t,
                    _ => self.method_ret(files, file, *base, name, d),
                }
            }
            Sym::MethodRet(base, name) => self.method_ret(files, file, *base, name, d),
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
                            MAP_VALUES,
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
            Ty::Local((f, i), args) => {
                let Some(file) = files.get(*f as usize) else {
                    return Ty::Unknown;
                };
                let Some(item) = file.items.items.get(*i as usize) else {
                    return Ty::Unknown;
                };
                // A tuple-struct pattern reads as a variant's (`Wrap.0` of `Wrap(inner)`): on a
                // struct of that name it is the struct's own field.
                let name = match name.split_once('.') {
                    Some((owner, field)) if *owner == *item.name => field,
                    _ => name,
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
                // A generic struct's parameters take the arguments of this use (unknown when
                // not given), never another item of that name.
                let its = &file.items.item_types;
                let start = its.partition_point(|x| x.item < *i);
                let subst: Vec<(Name, Ty)> = match its.get(start) {
                    Some(it) if it.item == *i => it
                        .params
                        .iter()
                        .cloned()
                        .zip(args.iter().cloned().chain(std::iter::repeat(Ty::Unknown)))
                        .collect(),
                    _ => Vec::new(),
                };
                let at = At {
                    file: *f,
                    scope: item.scope,
                    imp: NONE,
                    subst: &subst,
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

    /// The `Deref::Target` of local type `item` (through its one impl of std's `Deref`), read
    /// in the impl's scope; unknown when it has none.
    pub fn deref_target(&self, files: &[FileInput<'_>], item: ItemRef) -> Ty {
        let Some((f, imp)) = self.deref_impl(item) else {
            return Ty::Unknown;
        };
        let Some(fact) = files
            .get(f as usize)
            .and_then(|x| x.items.impls.get(imp as usize))
        else {
            return Ty::Unknown;
        };
        let at = At {
            file: f,
            scope: fact.scope,
            imp,
            subst: &[],
        };
        self.type_ref(files, at, fact.deref_target, MAX_DEPTH / 2)
    }

    /// The type arguments of impl `imp`'s self type (`impl<R: Repo> Service<R>`: `R` as the
    /// `Repo` trait), read in the impl's scope.
    fn impl_self_args(&self, files: &[FileInput<'_>], file: u32, imp: u32, depth: u8) -> Vec<Ty> {
        let Some(fact) = files
            .get(file as usize)
            .and_then(|f| f.items.impls.get(imp as usize))
        else {
            return Vec::new();
        };
        let at = At {
            file,
            scope: fact.scope,
            imp,
            subst: &[],
        };
        // `impl AsyncClient` with `type AsyncClient = Client<Arc<Mutex<Conn>>>`: the arguments
        // are the alias's.
        if fact.self_args.is_empty()
            && fact.self_ty != NONE
            && depth < 8
            && let Some(p) = files[file as usize].items.paths.get(fact.self_ty as usize)
            && let Ty::Local(_, args) =
                self.path_type(files, at, p, fact.self_ty, Vec::new(), depth + 1)
        {
            return args;
        }
        fact.self_args
            .iter()
            .map(|t| self.type_ref(files, at, *t, depth + 1))
            .collect()
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
                    Some(item) => {
                        Ty::Local(item, self.impl_self_args(files, at.file, at.imp, depth))
                    }
                    None => Ty::Unknown,
                };
            }
            // A generic parameter of the impl around: the trait its bound names, or unknown.
            if let Some(imp) = files
                .get(at.file as usize)
                .and_then(|f| f.items.impls.get(at.imp as usize))
                && let Some((_, bound)) = imp.params.iter().find(|(n, _)| &**n == name)
            {
                let at = At {
                    scope: imp.scope,
                    ..at
                };
                return self.type_ref(files, at, *bound, depth + 1);
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
