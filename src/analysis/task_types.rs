//! What a file proves about tokio task handles from *declared* types: fn parameters, `let`
//! annotations, type aliases and the declared return types of the file's own fns and methods.
//!
//! [`TaskTypes::collect`] reads the file's items once; [`TaskTypes::classify`] answers "what does
//! this written type hold" through the file's `use`s (so `use tokio::task::JoinHandle as Ticket`
//! counts, a local `struct JoinHandle` or `std::thread::JoinHandle` does not). Types declared in
//! other files (struct fields, aliases and fns elsewhere) are not seen here: unknown means no
//! answer, and a crate-wide type source can later answer the same questions.

use std::collections::HashMap;

use syn::{GenericArgument, PathArguments, ReturnType, Type};

use crate::analysis::imports::{CanonPath, path_is};

/// What a declared type holds, as far as task handles and shutdown signals go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskTy {
    /// A tokio `JoinHandle<T>` (awaiting it yields `Result<T, JoinError>`).
    Handle,
    /// A tokio `JoinSet<T>` (also through `&mut`).
    JoinSet,
    /// A `Vec`/`VecDeque`/slice of `JoinHandle`s.
    HandleVec,
    /// An `Option<JoinHandle<T>>`.
    OptHandle,
    /// A shutdown signal source: tokio-util's `CancellationToken`, a unix `Signal`.
    Signal,
}

/// Canonical paths of the tokio `JoinHandle` (tokio's and the runtimes that re-export it).
const HANDLE_PATHS: &[&str] = &[
    "tokio::task::JoinHandle",
    "tokio::runtime::task::JoinHandle",
    "actix_rt::task::JoinHandle",
    "actix_web::rt::task::JoinHandle",
];
const JOINSET_PATHS: &[&str] = &["tokio::task::JoinSet"];
const SIGNAL_PATHS: &[&str] = &[
    "tokio_util::sync::CancellationToken",
    "tokio_util::sync::WaitForCancellationFuture",
    "tokio::signal::unix::Signal",
];
const VEC_PATHS: &[&str] = &[
    "Vec",
    "std::vec::Vec",
    "alloc::vec::Vec",
    "VecDeque",
    "std::collections::VecDeque",
    "std::collections::vec_deque::VecDeque",
];
const OPTION_PATHS: &[&str] = &["Option", "std::option::Option", "core::option::Option"];

/// A same-file fn or method whose declared return type holds a task handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Returns {
    /// What the declared return type holds.
    pub ty: TaskTy,
    /// Declared `async`: the value is the output of `.await`ing the call.
    pub is_async: bool,
}

/// The task-handle facts a file declares (aliases, fn and method return types, local types).
#[derive(Debug, Default)]
pub struct TaskTypes {
    /// `type Task = JoinHandle<()>;` (a name declared twice with different meanings is dropped).
    aliases: HashMap<String, Option<TaskTy>>,
    /// Free fns by name.
    fns: HashMap<String, Option<Returns>>,
    /// Methods by (self type or trait name, method name).
    methods: HashMap<(String, String), Option<Returns>>,
    /// Names of the structs, enums and traits the file declares (receivers typed by them have
    /// methods in `methods`).
    local_types: Vec<String>,
}

fn insert<K: std::hash::Hash + Eq, V: PartialEq>(map: &mut HashMap<K, Option<V>>, k: K, v: V) {
    match map.get(&k) {
        Some(Some(old)) if *old == v => {}
        Some(_) => {
            map.insert(k, None);
        }
        None => {
            map.insert(k, Some(v));
        }
    }
}

/// The last identifier of a type's path (`crate::a::Worker<T>` -> `Worker`), through references
/// and `dyn`/`impl` bounds.
pub fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => type_name(&r.elem),
        Type::Paren(p) => type_name(&p.elem),
        Type::Group(g) => type_name(&g.elem),
        Type::TraitObject(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        }),
        Type::ImplTrait(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        }),
        _ => None,
    }
}

/// The first generic type argument of a path segment (`Vec<T>` -> `T`).
fn first_arg(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

impl TaskTypes {
    /// Reads the aliases, fn/method signatures and type declarations among `items` (the file's
    /// top level), resolving written types with `resolve` (the file's `use`s).
    pub fn collect(items: &[syn::Item], resolve: &dyn Fn(&syn::Path) -> CanonPath) -> TaskTypes {
        let mut t = TaskTypes::default();
        for item in items {
            match item {
                syn::Item::Struct(s) => t.local_types.push(s.ident.to_string()),
                syn::Item::Enum(e) => t.local_types.push(e.ident.to_string()),
                syn::Item::Trait(tr) => t.local_types.push(tr.ident.to_string()),
                _ => {}
            }
        }
        // Aliases first (in order, twice so an alias of a later alias resolves too).
        for _ in 0..2 {
            for item in items {
                if let syn::Item::Type(a) = item
                    && let Some(ty) = t.classify(&a.ty, resolve)
                {
                    t.aliases.insert(a.ident.to_string(), Some(ty));
                }
            }
        }
        for item in items {
            match item {
                syn::Item::Fn(f) => {
                    if let Some(r) = t.returns(&f.sig, resolve) {
                        insert(&mut t.fns, f.sig.ident.to_string(), r);
                    }
                }
                syn::Item::Impl(imp) => {
                    let Some(self_name) = type_name(&imp.self_ty) else {
                        continue;
                    };
                    for ii in &imp.items {
                        if let syn::ImplItem::Fn(f) = ii
                            && let Some(r) = t.returns(&f.sig, resolve)
                        {
                            let key = (self_name.clone(), f.sig.ident.to_string());
                            insert(&mut t.methods, key, r);
                        }
                    }
                }
                syn::Item::Trait(tr) => {
                    for ti in &tr.items {
                        if let syn::TraitItem::Fn(f) = ti
                            && let Some(r) = t.returns(&f.sig, resolve)
                        {
                            let key = (tr.ident.to_string(), f.sig.ident.to_string());
                            insert(&mut t.methods, key, r);
                        }
                    }
                }
                _ => {}
            }
        }
        t
    }

    fn returns(
        &self,
        sig: &syn::Signature,
        resolve: &dyn Fn(&syn::Path) -> CanonPath,
    ) -> Option<Returns> {
        let ReturnType::Type(_, ty) = &sig.output else {
            return None;
        };
        let ty = self.classify(ty, resolve)?;
        Some(Returns {
            ty,
            is_async: sig.asyncness.is_some(),
        })
    }

    /// What a written type holds: a handle, a set, a collection or option of handles, a signal.
    pub fn classify(&self, ty: &Type, resolve: &dyn Fn(&syn::Path) -> CanonPath) -> Option<TaskTy> {
        match ty {
            Type::Reference(r) => match self.classify(&r.elem, resolve)? {
                // `&JoinHandle` cannot be awaited; `&mut` can.
                TaskTy::Handle if r.mutability.is_none() => None,
                other => Some(other),
            },
            Type::Paren(p) => self.classify(&p.elem, resolve),
            Type::Group(g) => self.classify(&g.elem, resolve),
            Type::Slice(s) => {
                (self.classify(&s.elem, resolve)? == TaskTy::Handle).then_some(TaskTy::HandleVec)
            }
            Type::Path(p) if p.qself.is_none() => {
                let last = p.path.segments.last()?;
                if p.path.segments.len() == 1
                    && let Some(alias) = self.aliases.get(&last.ident.to_string())
                {
                    return *alias;
                }
                let canon = resolve(&p.path);
                let is = |list: &[&str]| list.iter().any(|x| path_is(&canon, x));
                if is(HANDLE_PATHS) {
                    Some(TaskTy::Handle)
                } else if is(JOINSET_PATHS) {
                    Some(TaskTy::JoinSet)
                } else if is(SIGNAL_PATHS) {
                    Some(TaskTy::Signal)
                } else if is(VEC_PATHS) {
                    let inner = self.classify(first_arg(last)?, resolve)?;
                    (inner == TaskTy::Handle).then_some(TaskTy::HandleVec)
                } else if is(OPTION_PATHS) {
                    let inner = self.classify(first_arg(last)?, resolve)?;
                    (inner == TaskTy::Handle).then_some(TaskTy::OptHandle)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// What a same-file free fn named `name` returns, if declared (and unambiguous).
    pub fn fn_returns(&self, name: &str) -> Option<Returns> {
        self.fns.get(name).copied().flatten()
    }

    /// What method `method` of the same-file type or trait `owner` returns, if declared.
    pub fn method_returns(&self, owner: &str, method: &str) -> Option<Returns> {
        self.methods
            .get(&(owner.to_string(), method.to_string()))
            .copied()
            .flatten()
    }

    /// Whether the file declares a struct, enum or trait named `name`.
    pub fn is_local_type(&self, name: &str) -> bool {
        self.local_types.iter().any(|t| t == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(src: &str) -> (syn::File, TaskTypes) {
        let file: syn::File = syn::parse_str(src).unwrap();
        let mut imports = crate::analysis::imports::Imports::default();
        imports.push(file.items.iter());
        let t = TaskTypes::collect(&file.items, &|p| imports.resolve(p));
        (file, t)
    }

    fn classify(src: &str, ty: &str) -> Option<TaskTy> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let mut imports = crate::analysis::imports::Imports::default();
        imports.push(file.items.iter());
        let resolve = |p: &syn::Path| imports.resolve(p);
        let t = TaskTypes::collect(&file.items, &resolve);
        t.classify(&syn::parse_str(ty).unwrap(), &resolve)
    }

    #[test]
    fn declared_types_resolve_through_uses_and_aliases() {
        let src = "use tokio::task::JoinHandle as Ticket; use tokio::task::{JoinHandle, JoinSet};
                   type Probe<T> = JoinHandle<T>; type Probes = Vec<Probe<u8>>;";
        assert_eq!(classify(src, "Ticket<()>"), Some(TaskTy::Handle));
        assert_eq!(classify(src, "Probe<u8>"), Some(TaskTy::Handle));
        assert_eq!(classify(src, "Probes"), Some(TaskTy::HandleVec));
        assert_eq!(classify(src, "&mut JoinSet<()>"), Some(TaskTy::JoinSet));
        assert_eq!(
            classify(src, "Option<JoinHandle<()>>"),
            Some(TaskTy::OptHandle)
        );
        assert_eq!(classify(src, "&[JoinHandle<()>]"), Some(TaskTy::HandleVec));
        assert_eq!(classify(src, "&JoinHandle<()>"), None);
    }

    #[test]
    fn look_alike_types_are_not_handles() {
        let local = "struct JoinHandle; use std::thread;";
        assert_eq!(classify(local, "JoinHandle"), None);
        assert_eq!(classify(local, "thread::JoinHandle<()>"), None);
        assert_eq!(classify(local, "Vec<std::thread::JoinHandle<()>>"), None);
        assert_eq!(
            classify("use std::thread::JoinHandle;", "JoinHandle<()>"),
            None
        );
    }

    #[test]
    fn fn_and_method_returns_are_recorded_unless_ambiguous() {
        let (_, t) = types(
            "use tokio::task::JoinHandle;
             fn start() -> JoinHandle<()> { todo!() }
             async fn later() -> JoinHandle<()> { todo!() }
             fn plain() -> u32 { 0 }
             struct W; impl W { fn run(&self) -> JoinHandle<u8> { todo!() } }
             trait Station { fn launch(&self) -> JoinHandle<()>; }
             struct A; impl A { fn go(&self) -> JoinHandle<()> { todo!() } }
             struct B; impl B { fn go(&self) -> Option<JoinHandle<()>> { todo!() } }",
        );
        assert_eq!(t.fn_returns("start").map(|r| r.is_async), Some(false));
        assert_eq!(t.fn_returns("later").map(|r| r.is_async), Some(true));
        assert_eq!(t.fn_returns("plain"), None);
        assert_eq!(
            t.method_returns("W", "run").map(|r| r.ty),
            Some(TaskTy::Handle)
        );
        assert_eq!(
            t.method_returns("Station", "launch").map(|r| r.ty),
            Some(TaskTy::Handle)
        );
        assert_eq!(
            t.method_returns("B", "go").map(|r| r.ty),
            Some(TaskTy::OptHandle)
        );
        assert!(t.is_local_type("Station"));
    }
}
