//! The interface between the engine and the rules: a [`Rule`] is its metadata
//! ([`RuleMeta`]) plus the hooks the engine calls. The rules themselves live above this layer
//! (the `rules` module), which also holds the only list of them.

use crate::analysis::context::Scope;
use crate::analysis::file::FileCx;
use crate::analysis::index::CrateIndex;
use crate::analysis::sink::Sink;
use crate::diagnostic::{Diagnostic, RuleMeta};

/// Called for every expression the engine walks (including those inside parsed macro bodies).
pub type ExprHook = fn(&FileCx<'_>, &Scope, &syn::Expr, &mut Sink<'_>);
/// Called for every block the engine walks.
pub type BlockHook = fn(&FileCx<'_>, &Scope, &syn::Block, &mut Sink<'_>);
/// Called for each statement of every block the engine walks (the block's statements and the
/// statement's index), before the walk enters the block, with the names the `let`s before the
/// statement bind visible in [`FileCx::local`]: one pass per block shared by every rule.
pub type StmtHook = fn(&FileCx<'_>, &Scope, &[syn::Stmt], usize, &mut Sink<'_>);
/// Called once per file, before the walk, for rules that do their own traversal.
pub type FileHook = fn(&FileCx<'_>, &mut Sink<'_>);
/// Called once per run after every file is done, with the crate-wide index of per-file facts.
pub type ResolveHook = fn(&CrateIndex, &mut Vec<Diagnostic>);

/// Where a rule plugs into the engine. Unused hooks are `None`.
#[derive(Clone, Copy)]
pub struct Hooks {
    /// Per-expression check.
    pub expr: Option<ExprHook>,
    /// Per-block check.
    pub block: Option<BlockHook>,
    /// Per-statement check, with the earlier `let`s of the block bound.
    pub stmt: Option<StmtHook>,
    /// Whole-file check.
    pub file: Option<FileHook>,
    /// Cross-file check over the crate index.
    pub resolve: Option<ResolveHook>,
}

impl Hooks {
    /// No hooks at all (use with struct update syntax).
    pub const NONE: Hooks = Hooks {
        expr: None,
        block: None,
        stmt: None,
        file: None,
        resolve: None,
    };
}

/// A rule: its metadata, its documentation and its checks. It dereferences to its
/// [`RuleMeta`], so `rule.id` and `rule.severity` read the metadata.
pub struct Rule {
    /// Id, family, severity, summary, fix availability, default, docs.
    pub meta: RuleMeta,
    /// Where the rule plugs into the engine.
    pub hooks: Hooks,
}

impl std::ops::Deref for Rule {
    type Target = RuleMeta;

    fn deref(&self) -> &RuleMeta {
        &self.meta
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.meta.fmt(f)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.meta == other.meta
    }
}

impl Eq for Rule {}

impl PartialEq<RuleMeta> for Rule {
    fn eq(&self, other: &RuleMeta) -> bool {
        self.meta == *other
    }
}

impl PartialEq<Rule> for RuleMeta {
    fn eq(&self, other: &Rule) -> bool {
        *self == other.meta
    }
}
