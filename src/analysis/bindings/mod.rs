//! One model of bindings shared by the rules: drop scopes, `let` bindings and their patterns,
//! moves, explicit drops, shadowing, statement temporaries per edition, and "is this name used
//! afterwards".
//!
//! [`Interp`] interprets one async body in evaluation order with a stack of drop scopes, the way
//! rustc assigns them: blocks own their `let` bindings, statements own their temporaries, `if`
//! conditions, match guards, match arms, loop bodies and the right operand of `&&`/`||` own
//! theirs. A rule says which expressions produce a tracked value (a lock guard, a borrow, ..)
//! through a [`Tracker`]; the model says how long each lives: until its scope ends, it is dropped
//! (`drop(g)`), moved away (passed by value, returned, captured by a `move` closure, bound to
//! another name), and which `.await`s (and awaiting macros) it lives across.
//!
//! [`scopes::Scopes`] keeps what names hold in nested scopes for rules that track bindings
//! without interpreting a body. [`uses`] answers the plain question "is this binding mentioned, or only dropped, in the
//! statements after its `let`".

mod eval;
mod interp;
pub mod patterns;
mod release;
pub mod scopes;
#[cfg(test)]
mod tests;
pub mod uses;

use std::ops::Range;

use syn::{Expr, Pat};

pub use interp::Interp;

/// What a rule tracks: which expressions produce a value, plus hooks to keep its own
/// environment (a type environment) in step with the model's scopes.
pub trait Tracker {
    /// What the rule keeps per tracked value (its kind, text for messages, ..).
    type Data: Clone;

    /// `e` evaluates to a tracked value, possibly wrapped (`m.lock().unwrap()`, `helper()?`).
    fn value<'e>(&self, e: &'e Expr) -> Option<Produced<'e, Self::Data>>;

    /// `e` is a raw fallible producer (`m.lock()`, `m.try_lock().ok()`) matched by `Ok(v)`
    /// (`ok_pat`) or `Some(v)`.
    fn fallible_value<'e>(&self, e: &'e Expr, ok_pat: bool) -> Option<Produced<'e, Self::Data>>;

    /// `let v = <init>;` whose initializer the rule cannot prove but may still track
    /// conditionally (a call of a helper declared elsewhere).
    fn bound_value(&self, init: &Expr) -> Option<Self::Data>;

    /// `e` looks like a producer but yields something else where it stands (`m.lock()` awaited,
    /// passed to a fn or adapted as a future): the operand to evaluate instead.
    fn inert<'e>(&self, e: &'e Expr) -> Option<&'e Expr>;

    /// A drop scope opens.
    fn enter(&mut self) {}

    /// The innermost drop scope closes.
    fn exit(&mut self) {}

    /// A `let` has bound its names (after its initializer was evaluated).
    fn bind_local(&mut self, _: &syn::Local) {}

    /// A pattern (arm, `if let`, `for`) binds names the model does not track.
    fn bind_pat(&mut self, _: &Pat) {}
}

/// A producing expression: its core call and the rule's data about it.
pub struct Produced<'e, D> {
    /// The call that produces the value (`m.lock()`, `helper(&m)`); its operands are evaluated.
    pub core: &'e Expr,
    /// Wrapped by `.unwrap()`, `.expect(..)`, `?`, ..
    pub wrapped: bool,
    /// The rule's data.
    pub data: D,
}

/// Where a temporary was created, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TempCtx {
    /// An expression statement or `let` initializer: lives to the end of the statement.
    Statement,
    /// An `if let` scrutinee: lives through its body (and, before edition 2024, its `else`).
    IfLet,
    /// A `match` scrutinee: lives through its arms.
    Match,
    /// A `while let` scrutinee: lives through the loop body.
    WhileLet,
    /// A `for` loop's iterator: lives through the whole loop.
    For,
}

/// How a tracked value is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Bound to a name by a pattern.
    Named,
    /// Bound behind a reference (`let r = &*m.lock().unwrap();`): lives to the end of the block.
    Extended,
    /// A temporary of the scope that owns it.
    Temp(TempCtx),
}

/// Why a tracked value stopped living.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Its scope ended.
    ScopeEnd,
    /// `drop(name)`.
    Dropped,
    /// Moved away: passed by value, returned, bound to another name, captured.
    Moved,
    /// Handed by value to a combinator's closure (`m.try_lock().ok().map(|g| ..)`).
    MovedIntoClosure,
}

/// The single `.await` a temporary crosses, in the statement that created it: awaiting it in a
/// statement of its own before would take the temporary out of its way.
#[derive(Debug, Clone)]
pub struct Hoist {
    /// The whole awaited expression (`f().await`).
    pub awaited: Range<usize>,
    /// Start of the statement holding it.
    pub stmt_start: usize,
}

/// Where a named value that crossed an `.await` and is not used from that statement on can be
/// released early.
#[derive(Debug, Clone)]
pub struct Release {
    /// Start of the statement holding the first crossed `.await` (`drop(name);` goes here).
    pub at: usize,
    /// Start of the value's `let` statement, when every statement between it and `at` is an
    /// expression (so the `let` and those statements can be put in a block ending at `at`).
    pub scope_from: Option<usize>,
}

/// One tracked value, as the model ends up knowing it.
#[derive(Debug, Clone)]
pub struct Tracked<D> {
    /// How it is held.
    pub hold: Hold,
    /// Its current name, if bound to one.
    pub name: Option<String>,
    /// A `let` shadowed its name while it was alive.
    pub ever_shadowed: bool,
    /// The rule's data.
    pub data: D,
    /// What produced it (the file byte range shown for it).
    pub range: Range<usize>,
    /// Where and why it stopped living, when the model saw it.
    pub end: Option<(Range<usize>, End)>,
    /// Every `.await` (or awaiting macro) it lives across.
    pub crossed: Vec<Range<usize>>,
    /// For a temporary: the single hoistable `.await`, if it crossed only that one.
    pub hoist: Option<Hoist>,
    /// For a named value: where it can be released before its first crossed `.await`.
    pub release: Option<Release>,
}
