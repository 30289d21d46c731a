//! `swallowed-cancellation`: a spawned task's `JoinError` thrown away, or a shutdown branch of a
//! `select!` inside a loop that does not leave the loop.
//!
//! The rule does its own traversal (a `file` hook): it needs a small environment of the bindings
//! of each fn body (which names hold a tokio `JoinHandle`, a `JoinSet`, a `Vec` of handles, a
//! shutdown signal or a join result) and the stack of enclosing loops with their labels and byte
//! ranges. Handles are tracked when the file proves them: created in the body, or declared by a
//! parameter, a `let` annotation, a same-file alias or a same-file fn's return type (one query,
//! `value_kind` / `type_kind` in `handles`, over [`TaskTypes`]); a `.await` on an unknown value is
//! never reported.
//!
//! Layout: this file holds the rule, its messages, the bindings model and the traversal;
//! `handles` the binding environment, `joins` what a join is and how it is discarded, `arms` the
//! control flow over results, `select` the `select!`/`join!` macros, `syntax` the syntax helpers.

use std::ops::Range;

use proc_macro2::TokenStream;
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Stmt};

use crate::analysis::bindings::patterns::{bound_names, captures_or_mentions};
use crate::analysis::bindings::scopes::{Named, Scopes};
use crate::analysis::bindings::uses::used_in;
use crate::analysis::imports::path_is;
use crate::analysis::macros::{self, MacroKind, SelectBranch};
use crate::analysis::paths;
use crate::analysis::task_types::{TaskTy, TaskTypes, type_name};
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::{Edit, Fix, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

mod arms;
mod handles;
mod joins;
mod select;
mod syntax;

use syntax::*;

declare_rule! {
    /// A task's `JoinError` (its panic or cancellation) discarded, or a `select!` shutdown
    /// branch inside a loop that keeps looping.
    pub static SWALLOWED_CANCELLATION = Rule {
        id: "swallowed-cancellation",
        family: Family::Cancellation,
        severity: Severity::Warning,
        summary: "a spawned task's `JoinError` or a shutdown signal is thrown away, hiding panics and ignoring cancellation",
        fix: FixAvailability::Sometimes,
        hooks: Hooks { file: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

const JOIN_HELP: &str = "propagate it (`handle.await?`, `.unwrap()`), or match it: \
`Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic())` and handle `e.is_cancelled()` explicitly";
const JOINSET_HELP: &str = "match each result: \
`Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic())`, handle `e.is_cancelled()` \
explicitly, or propagate it (`res?`)";
const SELECT_HELP: &str = "`break` (or `return`) out of the loop in this branch, or set a flag that the loop condition reads";

fn join_help(join: &Join) -> &'static str {
    if join.option { JOINSET_HELP } else { JOIN_HELP }
}

fn discard_message(code: &str) -> String {
    format!("`{code}` discards the task's `JoinError`, hiding its panic or cancellation")
}

fn err_arm_message(join: &str) -> String {
    format!(
        "this arm swallows the `JoinError` of `{join}`: a panic or cancellation of the task goes unnoticed"
    )
}

fn if_let_message(join: &str, pat: &str) -> String {
    format!("`if let {pat} = {join}` has no `else`: the task's `JoinError` is silently ignored")
}

fn while_let_message(join: &str, pat: &str) -> String {
    format!("`while let {pat} = {join}` silently drops the `JoinError` of failed tasks")
}

fn unused_result_message(name: &str, join: &str) -> String {
    format!(
        "`{name}` holds the result of `{join}` but is never checked, so its `JoinError` is dropped"
    )
}

fn join_all_message(code: &str) -> String {
    format!("`{code}` discards every task's `Result`, hiding their panics and cancellations")
}

fn select_join_message(pat: &str, join: &str) -> String {
    format!(
        "the `select!` branch `{pat} = {join}` drops the task's `JoinError`, hiding its panic or cancellation"
    )
}

fn join_slot_message(slot: &str, join: &str) -> String {
    format!(
        "`{slot}` takes the result of `{join}` in `join!(..)` and drops its `JoinError`, hiding its panic or cancellation"
    )
}

fn select_message(future: &str) -> String {
    format!(
        "the `select!` branch on `{future}` does not leave the loop: the shutdown request is swallowed"
    )
}

/// What a tracked name holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A tokio `JoinHandle` (from `tokio::spawn` and friends).
    Handle,
    /// A `JoinSet` created in this body.
    JoinSet,
    /// An empty `Vec` that may receive handles.
    MaybeVec,
    /// A `Vec` of `JoinHandle`s.
    HandleVec,
    /// A tokio `Runtime` or runtime `Handle` (its `.spawn(..)` returns a `JoinHandle`).
    Runtime,
    /// The `AbortHandle` of the handle named in `target`.
    AbortOf,
    /// The `Result<T, JoinError>` of a join.
    JoinResult,
    /// An `Option<JoinHandle<_>>` (`if let Some(h) = opt.take()` yields a handle).
    OptHandle,
    /// A shutdown signal source: a unix `Signal`, `ctrl_c()`, a `CancellationToken` or its
    /// `cancelled()` future.
    Signal,
    /// A value of the file's own type named in `target` (its methods' declared returns count).
    Typed,
    /// Some other value that shadows a tracked name.
    Shadow,
}

impl Kind {
    fn of(ty: TaskTy) -> Kind {
        match ty {
            TaskTy::Handle => Kind::Handle,
            TaskTy::JoinSet => Kind::JoinSet,
            TaskTy::HandleVec => Kind::HandleVec,
            TaskTy::OptHandle => Kind::OptHandle,
            TaskTy::Signal => Kind::Signal,
        }
    }
}

/// What an expression or a declared type is known to hold: the kind, the target (see
/// [`Binding::target`]) and the label for where it came from.
struct Known {
    kind: Kind,
    target: String,
    label: &'static str,
    /// What the kind rests on when the file cannot prove it (`self.rt.spawn(..)`).
    cond: Option<Cond>,
}

impl Known {
    fn new(kind: Kind, label: &'static str) -> Known {
        Known {
            kind,
            target: String::new(),
            label,
            cond: None,
        }
    }
}

/// What a finding on a value the file cannot type alone rests on: the expression at `at` (a
/// struct field, a value from another file's fn, a parameter of another file's alias) has the
/// canonical types in `ty` crate-wide. Findings with a condition are reported through
/// [`Sink::report_by_type`]; phase 2 keeps them only when the condition holds.
#[derive(Debug, Clone)]
struct Cond {
    at: Range<usize>,
    ty: &'static [&'static str],
    /// Another expression whose type, if it is one of these, makes the finding hold too (the
    /// call `map.join_next()` of a crate type declared to return a tokio join result).
    or: Option<(Range<usize>, &'static [&'static str])>,
}

const JOIN_HANDLE: &[&str] = &["tokio::task::JoinHandle"];
/// A collection of tokio handles (see [`crate::semantic::types::Ty::is`]).
const HANDLE_ELEMS: &[&str] = &["[tokio::task::JoinHandle]"];
const JOIN_SET: &[&str] = &["tokio::task::JoinSet"];
/// What `join_next()` gives: a tokio join result in an `Option` (a crate's own wrapper of a
/// `JoinSet`, declared `-> Option<Result<T, tokio::task::JoinError>>`).
const JOIN_NEXT_OUTPUT: &[&str] = &[
    "std::option::Option<std::result::Result<_, tokio::task::JoinError>>",
    "future std::option::Option<std::result::Result<_, tokio::task::JoinError>>",
];
/// Whose `.spawn(..)` returns a `JoinHandle`.
const RUNTIMES: &[&str] = &["tokio::runtime::Runtime", "tokio::runtime::Handle"];

impl Named for Binding {
    fn name(&self) -> &str {
        &self.name
    }
}

struct Binding {
    name: String,
    /// For a `JoinResult` of a handle or set the file cannot type: the join's condition.
    cond: Option<Cond>,
    kind: Kind,
    /// For `AbortOf`: the handle's name. For `JoinResult`: the join it came from.
    target: String,
    /// Where the handle/set was created (a label), if known.
    origin: Option<Range<usize>>,
    /// What the origin label says.
    origin_label: &'static str,
    /// For `JoinResult`: the binding construct (reported when the result is never used).
    decl: Range<usize>,
    aborted: bool,
    used: bool,
}

/// A join expression whose value holds a `JoinError`: `h.await` (`Result<T, JoinError>`) or
/// `set.join_next().await` (`Option<Result<T, JoinError>>`), or a binding holding such a result.
struct Join {
    /// `Option<Result<..>>` (from `join_next`) rather than `Result<..>`.
    option: bool,
    /// `Result<Result<..>, Elapsed>` (from `timeout(d, handle)`): `Ok(inner)` is the join result.
    timeout: bool,
    /// Short description for messages: `h.await`, `set.join_next().await`.
    desc: String,
    /// Where the task or set was created.
    origin: Option<Range<usize>>,
    origin_label: &'static str,
    /// The handle or set is typed only crate-wide: what the finding rests on.
    cond: Option<Cond>,
}

impl Join {
    /// The variant whose payload is the join result (`Some` of `join_next`, `Ok` of a
    /// `timeout`), if the result is wrapped.
    fn wrap(&self) -> Option<&'static str> {
        if self.option {
            Some("Some")
        } else if self.timeout {
            Some("Ok")
        } else {
            None
        }
    }

    /// The join result's pattern inside the wrapper: `Some(p)` / `Ok(p)` -> `p`.
    fn inner<'p>(&self, pat: &'p Pat) -> Option<&'p Pat> {
        match self.wrap() {
            Some(w) => tuple_struct_inner(pat, w),
            None => Some(pat),
        }
    }

    /// How an `Ok(..)` pattern of the result reads, wrapped (`Some(Ok(..))`).
    fn ok_pat(&self) -> String {
        match self.wrap() {
            Some(w) => format!("{w}(Ok(..))"),
            None => "Ok(..)".to_string(),
        }
    }
}

struct LoopInfo {
    label: Option<String>,
    range: Range<usize>,
    keyword: Range<usize>,
    /// A `while <cond>` whose condition calls something: it can observe external state (a
    /// closed topology, a cancelled token), so an empty shutdown branch may just cut a wait short.
    checks_state: bool,
    /// How a branch leaves this loop without changing its value's type.
    exit: LoopExit,
}

/// How a fix may leave a loop: `break` only where the loop's value is `()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoopExit {
    /// `break;` (a `while`/`for` loop, a `loop` in statement position or the tail of a fn
    /// returning `()`).
    Break,
    /// `return Ok(());` (a `loop` that is the tail of a fn returning `Result<(), E>`).
    ReturnOk,
    /// The loop's value is used and its type unknown: no edit.
    Manual,
}

struct Analyzer<'c, 'a, 's> {
    cx: &'c FileCx<'a>,
    sink: &'c mut Sink<'s>,
    frames: Scopes<Binding>,
    loops: Vec<LoopInfo>,
    /// The file imports tokio and neither async-std nor smol (unresolved `task::spawn` is tokio's).
    tokio_only: bool,
    /// Task-handle types the file declares (aliases, fn and method return types).
    types: TaskTypes,
    /// The self type of the enclosing `impl` block, by name.
    impl_ty: Option<String>,
    /// The current fn aborts (or takes an `AbortHandle` of) a value the file cannot type
    /// (`self.task.abort()`): from there on, joins of such values are not reported.
    untyped_aborts: bool,
    /// `loop`s whose value is provably `()` (or a fn's `Result<(), E>` tail), by start offset.
    loop_exits: std::collections::HashMap<usize, LoopExit>,
    /// Macros whose value a `let` binds through a tail chain (`let d = match s { A => {
    /// select! { .. } } .. }`), by start offset: braced ones in statement position are not
    /// discarded statements.
    valued_macros: std::collections::HashSet<usize>,
}

/// Phase 2 of the rule is [`crate::analysis::pending::settle`], which keeps the findings on
/// values typed only crate-wide ([`Cond`]) whose condition holds; this hook adds nothing, it
/// makes a run of this rule collect the facts that settling needs.
fn resolve(_: &crate::analysis::index::CrateIndex, _: &mut Vec<crate::diagnostic::Diagnostic>) {}

fn check(cx: &FileCx<'_>, sink: &mut Sink<'_>) {
    let text = cx.source.text();
    if !crate::source::mentions_any(text, &["spawn", "Join", "join", "select"]) {
        return;
    }
    cx.imports.borrow_mut().push(cx.file.items.iter());
    let tokio_only = {
        let imports = cx.imports.borrow();
        imports.imports_crate("tokio")
            && !imports.imports_crate("async_std")
            && !imports.imports_crate("smol")
    };
    let types = TaskTypes::collect(&cx.file.items, &|p| cx.resolve(p));
    let mut a = Analyzer {
        cx,
        sink,
        frames: Scopes::default(),
        loops: Vec::new(),
        loop_exits: std::collections::HashMap::new(),
        valued_macros: std::collections::HashSet::new(),
        tokio_only,
        types,
        impl_ty: None,
        untyped_aborts: false,
    };
    for item in &cx.file.items {
        a.visit_item(item);
    }
    cx.imports.borrow_mut().pop();
}

// ---------------------------------------------------------------------------------------------
// The analysis

/// How a `let _ =` or an expression statement discards a join result.
struct Discard {
    join: Join,
    /// `.ok()`, `.unwrap_or_default()`.. applied to the join, if any.
    method: Option<String>,
    /// The error was mapped away first (`.map_err(|_| ..)`): matching the join instead would
    /// drop what the closure does, so the fix is manual.
    manual: bool,
}

/// Whether a return type is `Result<(), E>` (or an alias `io::Result<()>`): `Ok(())` is a
/// value of it.
fn returns_unit_result(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident != "Result" {
        return false;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return false;
    };
    matches!(
        args.args.first(),
        Some(syn::GenericArgument::Type(syn::Type::Tuple(t))) if t.elems.is_empty()
    )
}

/// Walks a fn body in a frame of its own, its typed parameters bound, with its own record of
/// untyped aborts.
///
/// Every discard the rule reports awaits the handle or routes it through `join!`, `select!` or
/// `join_all`: a body without the words `await`, `join` or `select` is skipped.
fn fn_body(a: &mut Analyzer<'_, '_, '_>, sig: &syn::Signature, block: &syn::Block) {
    let text = a.cx.text(a.cx.range(block));
    if !crate::source::mentions_any(text, &["await", "join", "select"]) {
        return;
    }
    let aborted = std::mem::take(&mut a.untyped_aborts);
    if let Some(Stmt::Expr(Expr::Loop(l), None)) = block.stmts.last() {
        let exit = match &sig.output {
            syn::ReturnType::Default => LoopExit::Break,
            syn::ReturnType::Type(_, ty) if returns_unit_result(ty) => LoopExit::ReturnOk,
            syn::ReturnType::Type(..) => LoopExit::Manual,
        };
        a.loop_exits.insert(a.cx.range(l).start, exit);
    }
    a.push_frame();
    a.bind_params(sig.inputs.iter());
    a.visit_block(block);
    a.pop_frame();
    a.untyped_aborts = aborted;
}

impl<'ast> Visit<'ast> for Analyzer<'_, '_, '_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    self.cx.imports.borrow_mut().push_module(items.iter());
                    let saved = (
                        std::mem::take(&mut self.frames),
                        std::mem::take(&mut self.loops),
                    );
                    for i in items {
                        self.visit_item(i);
                    }
                    (self.frames, self.loops) = saved;
                    self.cx.imports.borrow_mut().pop();
                }
            }
            syn::Item::Use(_) | syn::Item::ExternCrate(_) | syn::Item::Macro(_) => {}
            other => {
                let saved = (
                    std::mem::take(&mut self.frames),
                    std::mem::take(&mut self.loops),
                );
                visit::visit_item(self, other);
                (self.frames, self.loops) = saved;
            }
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved = std::mem::replace(&mut self.impl_ty, type_name(&i.self_ty));
        visit::visit_item_impl(self, i);
        self.impl_ty = saved;
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let saved = self.impl_ty.replace(t.ident.to_string());
        visit::visit_item_trait(self, t);
        self.impl_ty = saved;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        fn_body(self, &f.sig, &f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        fn_body(self, &f.sig, &f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            fn_body(self, &f.sig, block);
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let has_use = block
            .stmts
            .iter()
            .any(|s| matches!(s, Stmt::Item(syn::Item::Use(_))));
        if has_use {
            let items = block.stmts.iter().filter_map(|s| match s {
                Stmt::Item(i) => Some(i),
                _ => None,
            });
            self.cx.imports.borrow_mut().push(items);
        }
        self.push_frame();
        for (i, stmt) in block.stmts.iter().enumerate() {
            // A `loop` statement (with `;`, or not the block's tail) has the value `()`.
            if let Stmt::Expr(Expr::Loop(l), semi) = stmt
                && (semi.is_some() || i + 1 < block.stmts.len())
            {
                self.loop_exits
                    .insert(self.cx.range(l).start, LoopExit::Break);
            }
            self.visit_stmt(stmt);
        }
        self.pop_frame();
        if has_use {
            self.cx.imports.borrow_mut().pop();
        }
    }

    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        match stmt {
            Stmt::Local(l) => self.local(l),
            Stmt::Expr(e, Some(semi)) => self.stmt_expr(e, semi),
            Stmt::Expr(Expr::Macro(m), None) => self.visit_mac(&m.mac, false),
            Stmt::Expr(e, None) => self.visit_expr(e),
            Stmt::Macro(m) => {
                let valued = self.valued_macros.contains(&self.cx.range(&m.mac).start);
                self.visit_mac(&m.mac, !valued)
            }
            Stmt::Item(i) => self.visit_item(i),
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Path(p) => {
                if let Some(id) = p.path.get_ident()
                    && !self.frames.is_empty()
                {
                    let name = id.to_string();
                    self.mark_used(&name);
                }
            }
            Expr::MethodCall(m) => self.visit_method(m),
            Expr::Match(m) => self.visit_match(m),
            Expr::If(i) => self.visit_if(i),
            Expr::While(w) => self.visit_while(w),
            Expr::ForLoop(f) => self.visit_for(f),
            Expr::Loop(l) => {
                let range = self.cx.range(l);
                let exit = self
                    .loop_exits
                    .get(&range.start)
                    .copied()
                    .unwrap_or(LoopExit::Manual);
                let exit = self.inner_exit(exit);
                self.loops.push(LoopInfo {
                    label: l.label.as_ref().map(|l| l.name.ident.to_string()),
                    range,
                    keyword: self.cx.span_range(l.loop_token.span),
                    checks_state: false,
                    exit,
                });
                self.visit_block(&l.body);
                self.loops.pop();
            }
            Expr::Closure(c) => {
                let loops = std::mem::take(&mut self.loops);
                self.push_frame();
                for p in &c.inputs {
                    self.shadow(p);
                }
                self.visit_expr(&c.body);
                self.pop_frame();
                self.loops = loops;
            }
            Expr::Async(a) => {
                let loops = std::mem::take(&mut self.loops);
                self.visit_block(&a.block);
                self.loops = loops;
            }
            Expr::Macro(m) => self.visit_mac(&m.mac, false),
            _ => visit::visit_expr(self, e),
        }
    }
}
