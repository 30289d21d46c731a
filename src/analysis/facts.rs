//! Per-file facts for the cross-file resolution phase ([`FileFacts`]).
//!
//! Phase 1 (parallel, one file at a time) records every fn item and every call inside fn bodies
//! as plain data; the AST is dropped with the file. Phase 2 (the rules' resolve hooks, over the
//! crate index built from these) sees all files' facts at once: enough to know which crate-local
//! fns are async or block, without re-parsing and without keeping ASTs alive.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::imports::CanonPath;
use crate::semantic::names;

pub use crate::semantic::items::FnFact;
use crate::semantic::items::{ItemSummary, Name};

/// Who a call calls, as far as syntax tells.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Callee {
    /// `a::b::c(..)`, canonicalised through imports.
    Path(CanonPath),
    /// `recv.name(..)`; `on_self` when the receiver is `self`.
    Method {
        /// Method name.
        name: String,
        /// Receiver is `self`.
        on_self: bool,
    },
    /// A call of a value (`hook(0)` on a local, `(self.on_event)(e)`): a closure, fn pointer or
    /// boxed `dyn Fn`, whose symbolic type is the call's `recv_sym`.
    Value,
}

/// A name reduced to a 64-bit hash, for cross-file name lookups without a String per call.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct NameId(pub u64);

impl NameId {
    /// The id of a name.
    pub fn of(name: &str) -> Self {
        NameId(xxhash_rust::xxh3::xxh3_64(name.as_bytes()))
    }
}

/// Who a call calls, as recorded for resolution in phase 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CallTarget {
    /// `a::b::c(..)` as written: a path of [`ItemSummary::paths`], in a scope of
    /// [`ItemSummary::scopes`].
    Path {
        /// Index of the path.
        path: u32,
        /// Index of the innermost item scope around the call.
        scope: u32,
    },
    /// `recv.name(..)`.
    Method {
        /// Method name.
        name: NameId,
        /// Receiver is `self`.
        on_self: bool,
        /// The receiver's declared type (a local bound by an annotated parameter or `let`):
        /// a path of [`ItemSummary::paths`], or `u32::MAX`.
        recv_ty: u32,
        /// The receiver's symbolic type ([`ItemSummary::syms`]: `self.field`, a parameter
        /// of an imported type), or `u32::MAX`.
        recv_sym: u32,
        /// Index of the innermost item scope around the call.
        scope: u32,
    },
}

/// A call inside a fn body that may call a crate-local fn (kept compact: there are many).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallFact {
    /// The callee.
    pub target: CallTarget,
    /// Byte range of the whole call expression.
    pub start: u32,
    /// End of that range.
    pub end: u32,
    /// Index into [`FileFacts::fns`] of the innermost enclosing fn.
    pub caller: u32,
    /// 1-based line of the call's start (0 for calls in async contexts, where it is not needed).
    pub line: u32,
    /// For a call in an async context, the byte offset where that context starts: its `async`
    /// keyword, or the name of the `async fn` (0 otherwise). It fits in the padding.
    pub context_start: u32,
    /// Whether the call runs in an async context.
    pub in_async: bool,
    /// Whether the call is inside a sync closure of its fn (inline or offloaded): it does not
    /// necessarily run when the fn runs.
    pub in_closure: bool,
    /// Whether the call is in the body of a loop of its fn, async block or closure (the
    /// iterated expression of a `for` is not): it runs on every iteration.
    pub in_loop: bool,
}

// There are many calls (158k on the 38 async crates): keep the fact at 56 bytes.
const _: () = assert!(std::mem::size_of::<CallFact>() <= 56);

impl CallFact {
    /// Byte range of the whole call expression.
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A direct call of a cataloged (or user-declared) blocking API in the sync code of a fn (not
/// in a closure, not in an async block): the roots of the transitive blocking analysis.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockingFact {
    /// Index into [`FileFacts::fns`] of the fn that makes the call.
    pub caller: usize,
    /// The rule reporting this API (`blocking-fs`, `blocking-call`, `block-on-in-async`,
    /// `blocking-sleep`).
    pub rule: String,
    /// The API, for messages (`std::fs::read_to_string`).
    pub api: String,
    /// 1-based line of the call.
    pub line: usize,
    /// A method on a receiver phase 1 could not type: it blocks only if the receiver's
    /// symbolic type ([`ItemSummary::syms`]) is this catalogued type.
    pub when: Option<(u32, String)>,
}

/// A fn whose body builds a connection-pooling client or pool unconditionally, outside any
/// closure, block or branch: every call of it builds one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientBuild {
    /// File offset of the fn's name (as [`FnFact::range`] starts).
    pub fn_start: u32,
    /// The construction, as messages name it (`` `reqwest::Client::new()` ``).
    pub what: String,
    /// 1-based line of the construction.
    pub line: u32,
    /// It builds a database pool, not a client.
    pub pool: bool,
    /// The fn's body is only the construction (calls of it in its own file are reported when
    /// the file is walked).
    pub wrapper: bool,
    /// The fn is an `async` method that uses what it builds only there (sends requests with it,
    /// lends it): the construction's file byte range.
    #[serde(default)]
    pub used_here: Option<(u32, u32)>,
}

/// A call of a fn or method, other than a spawn, whose value a statement drops (`start();`,
/// `let _ = start();`, `drop(start())`, or bound and never used): `detached-task-error` reports
/// it in phase 2 when the crate declares it to return a tokio `JoinHandle` of a `Result`.
/// Kept as these few fields rather than as a finding pending on a type: most such calls are
/// not handles (15,746 on the 38 async crates, 5.5 MB as encoded findings).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DroppedCall {
    /// The call's symbolic type ([`ItemSummary::syms`]).
    pub sym: u32,
    /// The call's file byte range.
    pub range: (u32, u32),
    /// The name of the fn or method called.
    pub callee: String,
    /// How its value is dropped: the binding never used, or how a statement drops it.
    pub drop: DropKind,
}

/// How a statement drops a value (see [`DroppedCall`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DropKind {
    /// An expression statement (`start();`).
    Statement,
    /// `let _ = start();`.
    LetUnderscore,
    /// `drop(start());`.
    DropCall,
    /// `let h = start();` and `h` is never mentioned again in its block.
    Unused(String),
}

/// What `cancel-unsafe-select` keeps for phase 2: the async fns of a file that are not
/// cancel-safe, and the `select!` branches in loops that call a fn the file cannot resolve.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SelectFacts {
    /// Not-cancel-safe async fns: file offset of the name (as [`FnFact::range`] starts), the
    /// not-cancel-safe call they await (shortened) and its 1-based line.
    pub unsafe_fns: Vec<(u32, String, u32)>,
    /// Branch futures that call a fn of another file: the call's start offset (as
    /// [`CallFact::start`]), its end, and its short text.
    pub branch_calls: Vec<(u32, u32, String)>,
}

/// How a call's value is thrown away (see [`DiscardedCall`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DiscardKind {
    /// `call;`
    ExprStmt,
    /// `let _ = call;`
    LetUnderscore,
    /// `let name = call;` and `name` is never mentioned again in its block.
    UnusedBinding {
        /// The binding.
        name: String,
    },
    /// `drop(call);` / `std::mem::drop(call);`
    Dropped,
    /// `let name = call;` whose only later mention is `drop(name);` (range of that statement).
    DroppedBinding {
        /// The binding.
        name: String,
        /// Byte range of the `drop(name)` call.
        drop_range: Range<usize>,
    },
}

/// A call whose value is discarded without being used: the candidates of `unawaited-future`,
/// judged in phase 2 once every crate-local fn is known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiscardedCall {
    /// The callee (paths resolved through imports).
    pub callee: Callee,
    /// Why the call creates a future, when the file alone proves it (a catalogued async method
    /// of the receiver's library type, a call of a value declared to return a future).
    pub future: Option<String>,
    /// For method calls: the resolved path of the call (or macro) a receiver chain starts
    /// from (`reqwest::Client::new` in `reqwest::Client::new().get(u).send()`).
    pub chain_root: Option<CanonPath>,
    /// Whether the receiver chain contains an `.await` after its root.
    pub chain_awaited: bool,
    /// The self type of the enclosing impl (for `self.m()` and `Self::f()`).
    #[serde(deserialize_with = "crate::semantic::names::interned::option")]
    pub impl_ty: Option<Arc<str>>,
    /// Short display of the call for messages: `send_email(..)`, `self.flush()`.
    pub display: String,
    /// Byte range of the call expression (the primary span).
    pub range: Range<usize>,
    /// How the value is discarded.
    pub kind: DiscardKind,
    /// Whether `.await` can be written at the call (the fix appends it to the call).
    pub can_await: bool,
    /// A lock guard or borrow alive at the call, which an `.await` there would hold across a
    /// suspension point (the fix is then manual).
    #[serde(default)]
    pub held_across_await: Option<String>,
    /// For a path call, the path as written ([`ItemSummary::paths`]; `u32::MAX` otherwise).
    pub path: u32,
    /// For a method call, the receiver's declared type ([`CallTarget::Method::recv_ty`]).
    pub recv_ty: u32,
    /// For a method call on a receiver only the crate can type (`self.tx`), its symbolic type
    /// ([`ItemSummary::syms`]; `u32::MAX` otherwise).
    pub recv_sym: u32,
    /// The innermost item scope around the call.
    pub scope: u32,
    /// Index into [`FileFacts::fns`] of the enclosing fn (`u32::MAX` outside fns).
    pub caller: u32,
}

/// A finding that holds only if an expression has one of some types, which phase 1 could not
/// tell (a field of a struct declared elsewhere, an alias): settled in phase 2 by
/// `pending`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// The expression's symbolic type ([`ItemSummary::syms`]).
    pub sym: u32,
    /// The canonical paths of the types that make the finding hold (after autoderef), as
    /// shared names (a pending lock finding lists 21 guard types).
    #[serde(deserialize_with = "crate::semantic::names::interned::list")]
    pub types: Box<[Name]>,
    /// A second condition that must hold too: another expression's symbolic type and its
    /// types (`rt.spawn(async { other::run().await })`: the receiver is a runtime and the
    /// task's output a `Result`).
    #[serde(
        default,
        deserialize_with = "crate::semantic::names::interned::numbered_list"
    )]
    pub also: Option<(u32, Box<[Name]>)>,
    /// Dropped if a type of the crate declares a method of this name, when the expression has
    /// no type the crate knows (`sink::Fallback::UnlessMethod`); with
    /// `sym` [`crate::semantic::items::NONE`] it is otherwise reported.
    #[serde(default, deserialize_with = "crate::semantic::names::interned::option")]
    pub unless_method: Option<Name>,
    /// The finding.
    pub diagnostic: HeldDiagnostic,
}

/// A pending finding's diagnostic: open while its file is linted (rules add help and fixes to
/// it), then sealed as its postcard encoding when the file's facts are taken. Phase 2 decodes
/// it only if the finding holds: most pending findings are dropped, and an open diagnostic is a
/// dozen allocations (on tokio's 573 files, 3.3 MB of encoded pending findings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldDiagnostic {
    /// Still being written.
    Open(Box<crate::diagnostic::Diagnostic>),
    /// Encoded (a [`crate::diagnostic::Diagnostic`] without its path).
    Sealed(Box<[u8]>),
}

impl HeldDiagnostic {
    /// An open diagnostic.
    pub fn new(d: crate::diagnostic::Diagnostic) -> Self {
        HeldDiagnostic::Open(Box::new(d))
    }

    /// The diagnostic to write to, while it is open.
    pub fn get_mut(&mut self) -> Option<&mut crate::diagnostic::Diagnostic> {
        match self {
            HeldDiagnostic::Open(d) => Some(d),
            HeldDiagnostic::Sealed(_) => None,
        }
    }

    /// Encodes an open diagnostic.
    pub fn seal(&mut self) {
        if let HeldDiagnostic::Open(d) = self
            && let Ok(bytes) = postcard::to_allocvec(&**d)
        {
            *self = HeldDiagnostic::Sealed(bytes.into_boxed_slice());
        }
    }

    /// The diagnostic (its path is the default: the caller sets it); `None` only for bytes
    /// that do not decode.
    pub fn open(&self) -> Option<crate::diagnostic::Diagnostic> {
        match self {
            HeldDiagnostic::Open(d) => Some((**d).clone()),
            HeldDiagnostic::Sealed(b) => postcard::from_bytes(b).ok(),
        }
    }
}

impl serde::Serialize for HeldDiagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            HeldDiagnostic::Sealed(b) => s.serialize_bytes(b),
            HeldDiagnostic::Open(d) => {
                let bytes = postcard::to_allocvec(&**d).map_err(serde::ser::Error::custom)?;
                s.serialize_bytes(&bytes)
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for HeldDiagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = HeldDiagnostic;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an encoded diagnostic")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(HeldDiagnostic::Sealed(v.into()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                Ok(HeldDiagnostic::Sealed(v.into_boxed_slice()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    v.push(b);
                }
                Ok(HeldDiagnostic::Sealed(v.into_boxed_slice()))
            }
        }
        d.deserialize_bytes(Bytes)
    }
}

/// Everything phase 2 needs from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// Fn items, in source order.
    pub fns: Vec<FnFact>,
    /// Calls inside fn bodies, in source order.
    pub calls: Vec<CallFact>,
    /// Calls whose value is discarded unused (recorded by rules through `Sink`).
    pub discarded: Vec<DiscardedCall>,
    /// Direct blocking calls in the sync code of fns, in source order.
    pub blocking: Vec<BlockingFact>,
    /// Findings that depend on types only the crate knows.
    pub pending: Vec<Pending>,
    /// Start offsets of calls inside fn bodies that spawn a future onto the runtime
    /// (`spawns`), in walk order.
    pub spawns: Vec<u32>,
    /// Fns that build a connection-pooling client or pool on every call (recorded by
    /// `client-per-request` through `Sink::record_client_build`).
    pub client_builds: Vec<ClientBuild>,
    /// Dropped values of calls that may be task handles (recorded by `detached-task-error`
    /// through `Sink::record_dropped_call`).
    #[serde(default)]
    pub dropped_calls: Vec<DroppedCall>,
    /// Not-cancel-safe async fns and unresolved `select!` branch calls (recorded by
    /// `cancel-unsafe-select` through `Sink::select_facts`).
    #[serde(default)]
    pub select: SelectFacts,
    /// The calls of async fns that run before the fn first suspends, as (file offset, fn
    /// index, awaited there), sorted (`startup`).
    #[serde(default)]
    pub startup: Vec<(u32, u32, bool)>,
    /// Start offsets of the calls whose future sync code blocks on directly
    /// (`rt.block_on(run(args))`): the root future of the thread that blocks, sorted
    /// (`startup`).
    #[serde(default)]
    pub root_calls: Vec<u32>,
    /// The `async` blocks sync code blocks on directly (`rt.block_on(async { .. })`), as (fn
    /// index, offset of the `async` keyword), sorted: their calls before the first suspension
    /// are recorded in [`FileFacts::startup`] under that fn (`startup`).
    #[serde(default)]
    pub root_blocks: Vec<(u32, u32)>,
    /// The file's scopes, items, imports, impls and the paths its calls name.
    pub items: ItemSummary,
}

impl FileFacts {
    /// A deep copy that shares no allocation with `self`, every list exactly sized, its names
    /// the run's shared copies ([`crate::semantic::names`]). Made inside
    /// [`crate::allocator::long_lived`], it lets the pages of the file's syntax tree go.
    pub fn detached(&self) -> FileFacts {
        let name = |n: &Arc<str>| names::intern(n);
        let fns = self
            .fns
            .iter()
            .map(|f| FnFact {
                name: name(&f.name),
                impl_ty: f.impl_ty.as_ref().map(name),
                trait_name: f.trait_name.as_ref().map(name),
                ..f.clone()
            })
            .collect();
        let discarded = self
            .discarded
            .iter()
            .map(|d| DiscardedCall {
                impl_ty: d.impl_ty.as_ref().map(name),
                ..d.clone()
            })
            .collect();
        FileFacts {
            fns,
            calls: self.calls.clone(),
            discarded,
            blocking: self.blocking.clone(),
            pending: self.pending.clone(),
            spawns: self.spawns.clone(),
            client_builds: self.client_builds.clone(),
            dropped_calls: self.dropped_calls.clone(),
            select: self.select.clone(),
            startup: self.startup.clone(),
            root_calls: self.root_calls.clone(),
            root_blocks: self.root_blocks.clone(),
            items: self.items.detached(),
        }
    }
}

/// One file's facts with its path.
#[derive(Debug)]
pub struct IndexedFile {
    /// The file.
    pub path: Arc<PathBuf>,
    /// Its facts.
    pub facts: FileFacts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detached_copies_are_equal_and_share_names_across_files() {
        let fact = |name: &str, ty: &Arc<str>| FnFact {
            name: Arc::from(name),
            impl_ty: Some(Arc::clone(ty)),
            trait_name: None,
            is_async: true,
            returns_future: false,
            has_self: true,
            runtime_entry: false,
            test_attr: false,
            cfg_test: crate::semantic::cfg::TestCfg::No,
            has_body: true,
            returns_self: 0,
            scope: 0,
            vis: crate::semantic::items::Vis::Public,
            owner: crate::semantic::items::Owner::Impl(0),
            range: 3..9,
            body: (0, 0),
            ret: crate::semantic::items::NONE,
            never_returns: false,
        };
        let ty: Arc<str> = Arc::from("DetachedClient");
        let facts = FileFacts {
            fns: vec![fact("send", &ty), fact("recv", &ty)],
            items: ItemSummary {
                uses: vec![crate::semantic::items::UseFact {
                    scope: 0,
                    path: vec![Arc::from("io")].into(),
                    leading_colon: false,
                    kind: crate::semantic::items::UseKind::Glob,
                    vis: crate::semantic::items::Vis::Private,
                }],
                ..ItemSummary::default()
            },
            ..FileFacts::default()
        };
        let (a, b) = (facts.detached(), facts.detached());
        assert_eq!(a, facts);
        // New allocations, shared between the copies of two files.
        assert!(!Arc::ptr_eq(&a.fns[0].name, &facts.fns[0].name));
        assert!(Arc::ptr_eq(&a.fns[0].name, &b.fns[0].name));
        let (t0, t1) = (&a.fns[0].impl_ty, &a.fns[1].impl_ty);
        assert!(Arc::ptr_eq(t0.as_ref().unwrap(), t1.as_ref().unwrap()));
    }
}
