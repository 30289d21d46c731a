//! Syntactic types (layer L1): types as written in signatures, fields, aliases and statics
//! ([`TypeRef`]), and the symbolic types a fn body asks about ([`Sym`]): "the type of field
//! `task` of `self`", "what `self.lock()` returns". Both are plain data recorded per file with
//! the item summary (so they are cached with the file); what they denote is decided crate-wide
//! by the `typing` module, once every file's items are known.

use std::sync::Arc;

use crate::semantic::names::Name;

/// A type as written, its paths recorded in `ItemSummary::paths`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TypeRef {
    /// `a::b::C<T, U>`: the path and its generic type arguments (indices of
    /// `ItemSummary::types`).
    Path {
        /// The path.
        path: u32,
        /// Type arguments of the last segment, in order (lifetimes and consts dropped).
        args: Box<[u32]>,
    },
    /// `&T`, `&mut T`, `*const T`.
    Ref(u32),
    /// `(A, B)`.
    Tuple(Box<[u32]>),
    /// `[T]`, `[T; N]`.
    Slice(u32),
    /// `impl Trait`/`dyn Trait` with a single non-marker bound: the trait's path, its type
    /// arguments and its `Output = T` binding (`impl Future<Output = T>`, `dyn Fn() -> F` as the
    /// `Fn` path with output `F`).
    Bound {
        /// The trait's path.
        path: u32,
        /// Its type arguments.
        args: Box<[u32]>,
        /// `Output = T`, or the return type of a `Fn*(..) -> T` bound (`NONE`: none).
        output: u32,
    },
    /// `fn(..) -> T` (the return type, `NONE` for `()`).
    FnPtr(u32),
    /// Anything else (`_`, `!`, macros, qualified paths).
    Unknown,
}

/// A symbolic type: what phase 1 knows about an expression's type before the crate is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Sym {
    /// A declared type (`ItemSummary::types`) written in item scope
    /// `scope`, inside impl `imp` (`NONE`: none; for `Self`).
    Decl {
        /// The type.
        ty: u32,
        /// The item scope it is written in.
        scope: u32,
        /// The impl around it.
        imp: u32,
    },
    /// The self type of impl `imp` of the file (`self`).
    SelfOf(u32),
    /// Field `name` (or tuple index) of a value of type `base` (a sym), through references and
    /// smart pointers.
    Field(
        u32,
        #[serde(deserialize_with = "crate::semantic::names::interned::name")] Name,
    ),
    /// The value of static or const `path` written in `scope`.
    Static {
        /// The path (`ItemSummary::paths`).
        path: u32,
        /// The item scope it is written in.
        scope: u32,
    },
    /// What a call of path `path` in `scope`, inside fn `caller`, returns.
    Ret {
        /// The path.
        path: u32,
        /// The item scope it is written in.
        scope: u32,
        /// The enclosing fn (`NONE`: none).
        caller: u32,
    },
    /// What method `name` returns on a receiver of type `base` (a sym).
    MethodRet(
        u32,
        #[serde(deserialize_with = "crate::semantic::names::interned::name")] Name,
    ),
    /// The `T` of an `Option<T>` or `Result<T, _>` (`?`, `.unwrap()`, `Some(x)`).
    Unwrap(u32),
    /// The output of a future (`.await`).
    Await(u32),
    /// An element of a collection (`for x in v`, `v[i]`).
    Elem(u32),
}

/// A type as the crate-wide phase sees it (see the `typing` module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// A type of another crate or std, by canonical path, with its type arguments.
    External(Arc<[Name]>, Vec<Ty>),
    /// A struct, enum or union of the linted files: (file, index in its items), with its type
    /// arguments.
    Local((u32, u32), Vec<Ty>),
    /// A reference or pointer.
    Ref(Box<Ty>),
    /// A tuple.
    Tuple(Vec<Ty>),
    /// A slice or array.
    Slice(Box<Ty>),
    /// A future with this output (an `async fn`'s call, `impl Future<Output = T>`).
    Future(Box<Ty>),
    /// A callable returning this (`impl Fn() -> T`, `fn() -> T`).
    Callable(Box<Ty>),
    /// Not known.
    Unknown,
}

impl Ty {
    /// The canonical path of an external type (`tokio::task::JoinHandle`).
    pub fn external_path(&self) -> Option<String> {
        match self {
            Ty::External(p, _) => Some(p.join("::")),
            _ => None,
        }
    }

    /// The type arguments of a path type.
    pub fn args(&self) -> &[Ty] {
        match self {
            Ty::External(_, a) | Ty::Local(_, a) => a,
            _ => &[],
        }
    }
}

/// What a type path names, whatever its generic arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Named {
    /// A struct, enum or union of the linted files: (file, index in its items).
    Adt((u32, u32)),
    /// A type alias of the linted files: (file, index in its items).
    Alias((u32, u32)),
    /// A type of another crate or std, by canonical path.
    External(Arc<[Name]>),
    /// Nothing known (or crates containing the file disagree).
    Unknown,
}
