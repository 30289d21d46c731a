//! Per-file facts for the cross-file resolution phase, and the crate-wide index built from them.
//!
//! Phase 1 (parallel, one file at a time) records every fn item and every call inside fn bodies
//! as plain data; the AST is dropped with the file. Phase 2 ([`crate::rules::ResolveHook`]) sees
//! all files' facts at once: enough to know which crate-local fns are async or block, without
//! re-parsing and without keeping ASTs alive.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::analysis::call_graph::CallGraph;
use crate::analysis::imports::CanonPath;
use crate::diagnostic::Edit;

/// A fn item (free fn, inherent/trait method, trait default method).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FnFact {
    /// The fn's name.
    pub name: String,
    /// The self type of the enclosing `impl` (last segment), or the trait for trait items.
    pub impl_ty: Option<String>,
    /// The trait being implemented (`impl Trait for Ty`) or declared, if any.
    pub trait_name: Option<String>,
    /// `async fn` (or `#[async_trait]` async fn).
    pub is_async: bool,
    /// Returns `impl Future`, `BoxFuture`, `Pin<Box<dyn Future ..>>`.
    pub returns_future: bool,
    /// Whether it takes `self` (a method) rather than being an associated/free fn.
    pub has_self: bool,
    /// Annotated with a runtime entry attribute (`#[tokio::main]`, `#[tokio::test]`, ..): the
    /// macro turns the `async fn` into a sync fn that blocks on its body.
    pub runtime_entry: bool,
    /// Byte range of the fn's name.
    pub range: Range<usize>,
}

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
}

/// A call inside a fn body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallFact {
    /// The callee.
    pub callee: Callee,
    /// Byte range of the whole call expression.
    pub range: Range<usize>,
    /// Index into [`FileFacts::fns`] of the innermost enclosing fn.
    pub caller: Option<usize>,
    /// Whether the call runs in an async context.
    pub in_async: bool,
    /// 1-based line of the call's start (0 for calls in async contexts, where it is not needed).
    pub line: usize,
    /// Whether the call is inside a sync closure of its fn (inline or offloaded): it does not
    /// necessarily run when the fn runs.
    pub in_closure: bool,
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
    /// For `Callee::Path`: the path as written (before import resolution).
    pub written: CanonPath,
    /// For method calls: the resolved path of the call (or macro) a receiver chain starts
    /// from (`reqwest::Client::new` in `reqwest::Client::new().get(u).send()`).
    pub chain_root: Option<CanonPath>,
    /// Whether the receiver chain contains an `.await` after its root.
    pub chain_awaited: bool,
    /// The self type of the enclosing impl (for `self.m()` and `Self::f()`).
    pub impl_ty: Option<String>,
    /// Short display of the call for messages: `send_email(..)`, `self.flush()`.
    pub display: String,
    /// Byte range of the call expression (the primary span).
    pub range: Range<usize>,
    /// How the value is discarded.
    pub kind: DiscardKind,
    /// Description of the async context ("async fn `x`"); None in sync code.
    pub async_ctx: Option<String>,
    /// Whether `.await` can be written at the call.
    pub can_await: bool,
    /// The edits that await the call (empty when `.await` cannot be written).
    pub await_edits: Vec<Edit>,
}

/// Everything phase 2 needs from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// Fn items, in source order.
    pub fns: Vec<FnFact>,
    /// Calls inside fn bodies, in source order.
    pub calls: Vec<CallFact>,
    /// Calls whose value is discarded unused (recorded by rules through [`crate::lint::Sink`]).
    pub discarded: Vec<DiscardedCall>,
    /// Direct blocking calls in the sync code of fns, in source order.
    pub blocking: Vec<BlockingFact>,
    /// Names of the inline modules (`mod name { .. }`) the file declares.
    pub modules: Vec<String>,
}

/// One file's facts with its path.
#[derive(Debug)]
pub struct IndexedFile {
    /// The file.
    pub path: Arc<PathBuf>,
    /// Its facts.
    pub facts: FileFacts,
}

/// All files' facts: the input of every [`crate::rules::ResolveHook`].
#[derive(Debug, Default)]
pub struct CrateIndex {
    /// Files in discovery order.
    pub files: Vec<IndexedFile>,
    /// The call graph over `files`, built on first use and shared by the rules.
    graph: OnceLock<CallGraph>,
}

impl CrateIndex {
    /// An index of these files.
    pub fn new(files: Vec<IndexedFile>) -> Self {
        CrateIndex {
            files,
            graph: OnceLock::new(),
        }
    }

    /// The call graph of the indexed files (built once, on the first call).
    pub fn call_graph(&self) -> &CallGraph {
        self.graph.get_or_init(|| CallGraph::build(self))
    }

    /// Every fn fact in the crate, with its file.
    pub fn fns(&self) -> impl Iterator<Item = (&IndexedFile, &FnFact)> {
        self.files
            .iter()
            .flat_map(|f| f.facts.fns.iter().map(move |x| (f, x)))
    }

    /// Every call fact in the crate, with its file.
    pub fn calls(&self) -> impl Iterator<Item = (&IndexedFile, &CallFact)> {
        self.files
            .iter()
            .flat_map(|f| f.facts.calls.iter().map(move |x| (f, x)))
    }
}

/// Whether a fn's attributes include a runtime entry macro (`#[tokio::main]`, `#[tokio::test]`,
/// `#[async_std::main]`, `#[actix_web::test]` ..: a path of two or more segments ending in `main`
/// or `test`).
pub fn is_runtime_entry(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segs = &a.path().segments;
        segs.len() >= 2
            && segs
                .last()
                .is_some_and(|s| s.ident == "main" || s.ident == "test")
    })
}

/// Whether a return type is a future: `impl Future<..>`, `BoxFuture<..>`, `LocalBoxFuture`,
/// `Pin<Box<dyn Future<..> ..>>`.
pub fn returns_future(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    type_is_future(ty)
}

fn type_is_future(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::ImplTrait(it) => it.bounds.iter().any(bound_is_future),
        syn::Type::TraitObject(t) => t.bounds.iter().any(bound_is_future),
        syn::Type::Paren(p) => type_is_future(&p.elem),
        syn::Type::Group(g) => type_is_future(&g.elem),
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            match last.ident.to_string().as_str() {
                "BoxFuture" | "LocalBoxFuture" => true,
                "Pin" | "Box" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.iter().any(|g| match g {
                        syn::GenericArgument::Type(t) => type_is_future(t),
                        _ => false,
                    }),
                    _ => false,
                },
                _ => false,
            }
        }
        _ => false,
    }
}

fn bound_is_future(b: &syn::TypeParamBound) -> bool {
    match b {
        syn::TypeParamBound::Trait(t) => {
            t.path.segments.last().is_some_and(|s| s.ident == "Future")
        }
        _ => false,
    }
}
