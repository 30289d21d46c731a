//! Where in the code a node is: inside which async context (async fn, async block, async
//! closure), which fn, which impl, how many loops deep. The walk (the `walk` module) maintains a
//! stack of [`Scope`]s and hands the innermost one to every rule hook.

use std::ops::Range;
use std::sync::Arc;

/// What kind of async context a node is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncKind {
    /// The body of an `async fn`.
    Fn,
    /// An `async { .. }` block.
    Block,
    /// The body of an `async |..| ..` closure.
    Closure,
}

/// The innermost async context around a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncCtx {
    /// async fn, block or closure.
    pub kind: AsyncKind,
    /// The name of the enclosing fn (for blocks and closures: the fn they are written in).
    pub fn_name: Option<Arc<str>>,
    /// Byte range of the `async` keyword (or the async fn's name).
    pub range: Range<usize>,
}

impl AsyncCtx {
    /// Human description for messages: "async fn `fetch`", "an async block in `main`".
    pub fn describe(&self) -> String {
        match (self.kind, &self.fn_name) {
            (AsyncKind::Fn, Some(n)) => format!("async fn `{n}`"),
            (AsyncKind::Fn, None) => "an async fn".to_string(),
            (AsyncKind::Block, Some(n)) => format!("an async block in `{n}`"),
            (AsyncKind::Block, None) => "an async block".to_string(),
            (AsyncKind::Closure, Some(n)) => format!("an async closure in `{n}`"),
            (AsyncKind::Closure, None) => "an async closure".to_string(),
        }
    }
}

/// The innermost context of a node, as rules see it.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The innermost async context, or None in sync code (including offloaded closures).
    pub async_ctx: Option<AsyncCtx>,
    /// The innermost enclosing named fn.
    pub fn_name: Option<Arc<str>>,
    /// The self type of the enclosing `impl` (last path segment), if any.
    pub impl_ty: Option<Arc<str>>,
    /// Index of the enclosing fn in the file's facts ([`crate::analysis::facts::FileFacts::fns`]).
    pub fn_index: Option<usize>,
    /// Number of loops around this node within the current fn or closure body.
    pub loop_depth: u32,
    /// Whether this node was parsed out of a macro body.
    pub in_macro: bool,
    /// Whether this node is inside a sync closure handed to an offloader (`spawn_blocking`..).
    pub offloaded: bool,
    /// Whether this node is inside a sync closure within the async context (where `.await`
    /// cannot be written).
    pub in_sync_closure: bool,
    /// Whether this node is in sync code outside any async context, inside closures that all
    /// run where they are written (arguments of iterator adapters and combinators such as
    /// `for_each`, `map`, `inspect`): their calls run when the enclosing fn runs.
    pub inline_closure: bool,
}

impl Scope {
    /// Whether the node runs on the async executor.
    pub fn is_async(&self) -> bool {
        self.async_ctx.is_some()
    }

    /// Whether `.await` can be written at this node (async context, not in a sync closure).
    pub fn can_await(&self) -> bool {
        self.async_ctx.is_some() && !self.in_sync_closure
    }
}
