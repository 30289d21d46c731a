//! `swallowed-cancellation`: a spawned task's `JoinError` thrown away, or a shutdown branch of a
//! `select!` inside a loop that does not leave the loop.
//!
//! The rule does its own traversal (a `file` hook): it needs a small environment of the bindings
//! of each fn body (which names hold a tokio `JoinHandle`, a `JoinSet`, a `Vec` of handles or a
//! join result) and the stack of enclosing loops with their labels and byte ranges. Only handles
//! whose origin is visible in the same body are tracked: a `.await` on an unknown value is never
//! reported.

use std::ops::Range;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Stmt};

use crate::analysis::imports::path_is;
use crate::analysis::macros::{self, MacroKind, SelectBranch};
use crate::analysis::paths;
use crate::analysis::task_types::{TaskTy, TaskTypes, type_name};
use crate::declare_rule;
use crate::diagnostic::{Edit, Fix, Severity};
use crate::lint::{FileCx, Sink};
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// A task's `JoinError` (its panic or cancellation) discarded, or a `select!` shutdown
    /// branch inside a loop that keeps looping.
    pub static SWALLOWED_CANCELLATION = Rule {
        id: "swallowed-cancellation",
        family: Family::Cancellation,
        severity: Severity::Warning,
        summary: "a spawned task's `JoinError` or a shutdown signal is thrown away, hiding panics and ignoring cancellation",
        fix: FixAvailability::Sometimes,
        hooks: Hooks { file: Some(check), ..Hooks::NONE },
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
}

impl Known {
    fn new(kind: Kind, label: &'static str) -> Known {
        Known {
            kind,
            target: String::new(),
            label,
        }
    }
}

struct Binding {
    name: String,
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
}

struct Analyzer<'c, 'a, 's> {
    cx: &'c FileCx<'a>,
    sink: &'c mut Sink<'s>,
    frames: Vec<Vec<Binding>>,
    loops: Vec<LoopInfo>,
    /// The file imports tokio and neither async-std nor smol (unresolved `task::spawn` is tokio's).
    tokio_only: bool,
    /// Task-handle types the file declares (aliases, fn and method return types).
    types: TaskTypes,
    /// The self type of the enclosing `impl` block, by name.
    impl_ty: Option<String>,
}

fn check(cx: &FileCx<'_>, sink: &mut Sink<'_>) {
    let text = cx.source.text();
    if !(text.contains("spawn")
        || text.contains("Join")
        || text.contains("join")
        || text.contains("select"))
    {
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
        frames: Vec::new(),
        loops: Vec::new(),
        tokio_only,
        types,
        impl_ty: None,
    };
    for item in &cx.file.items {
        a.visit_item(item);
    }
    cx.imports.borrow_mut().pop();
}

// ---------------------------------------------------------------------------------------------
// Small syntax helpers

fn ident_of(e: &Expr) -> Option<&syn::Ident> {
    match paths::peel(e) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

/// Strips `&`/`&mut` and parentheses.
fn peel_ref(e: &Expr) -> &Expr {
    match paths::peel(e) {
        Expr::Reference(r) => peel_ref(&r.expr),
        other => other,
    }
}

/// The last identifier of a receiver-like expression: `self.shutdown_rx` -> `shutdown_rx`,
/// `handle.token()` -> `token`, `*flag` -> `flag`.
fn final_ident(e: &Expr) -> Option<String> {
    match paths::peel(e) {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.to_string()),
            syn::Member::Unnamed(_) => final_ident(&f.base),
        },
        Expr::MethodCall(m) => Some(m.method.to_string()),
        Expr::Call(c) => paths::call_last_segment(c).map(|i| i.to_string()),
        Expr::Unary(u) => final_ident(&u.expr),
        Expr::Reference(r) => final_ident(&r.expr),
        Expr::Index(i) => final_ident(&i.expr),
        _ => None,
    }
}

fn pat_path_is(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}

/// Strips parentheses, type ascriptions and guards from a pattern.
fn peel_pat(p: &Pat) -> &Pat {
    match p {
        Pat::Paren(p) => peel_pat(&p.pat),
        Pat::Type(t) => peel_pat(&t.pat),
        Pat::Guard(g) => peel_pat(&g.pat),
        other => other,
    }
}

/// The single inner pattern of `Name(inner)`.
fn tuple_struct_inner<'p>(p: &'p Pat, name: &str) -> Option<&'p Pat> {
    match peel_pat(p) {
        Pat::TupleStruct(ts) if pat_path_is(&ts.path, name) && ts.elems.len() == 1 => {
            ts.elems.first()
        }
        _ => None,
    }
}

fn is_wild(p: &Pat) -> bool {
    matches!(peel_pat(p), Pat::Wild(_))
}

/// A plain binding `x`, `mut x` (no `@` subpattern).
fn simple_ident(p: &Pat) -> Option<&syn::Ident> {
    match peel_pat(p) {
        Pat::Ident(i) if i.subpat.is_none() => Some(&i.ident),
        _ => None,
    }
}

/// Every name a pattern binds.
fn pat_idents(p: &Pat, out: &mut Vec<String>) {
    match p {
        Pat::Ident(i) => {
            out.push(i.ident.to_string());
            if let Some((_, sub)) = &i.subpat {
                pat_idents(sub, out);
            }
        }
        Pat::Or(o) => o.cases.iter().for_each(|c| pat_idents(c, out)),
        Pat::Paren(p) => pat_idents(&p.pat, out),
        Pat::Reference(r) => pat_idents(&r.pat, out),
        Pat::Slice(s) => s.elems.iter().for_each(|c| pat_idents(c, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pat_idents(&f.pat, out)),
        Pat::Tuple(t) => t.elems.iter().for_each(|c| pat_idents(c, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|c| pat_idents(c, out)),
        Pat::Type(t) => pat_idents(&t.pat, out),
        Pat::Guard(g) => pat_idents(&g.pat, out),
        _ => {}
    }
}

fn macro_name(mac: &syn::Macro) -> Option<String> {
    mac.path.segments.last().map(|s| s.ident.to_string())
}

/// Whether a token stream mentions `name`: as an identifier, or inside a string literal as an
/// inline format argument (`"{name}"`, `"{name:?}"`).
fn tokens_mention(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => tokens_mention(&g.stream(), name),
        TokenTree::Literal(l) => {
            let s = l.to_string();
            s.contains('{')
                && (s.contains(&format!("{{{name}}}")) || s.contains(&format!("{{{name}:")))
        }
        TokenTree::Punct(_) => false,
    })
}

/// Whether `name` occurs as a whole identifier in `text` at an absolute offset outside `exclude`.
fn ident_occurs(text: &str, base: usize, name: &str, exclude: &Range<usize>) -> bool {
    if name.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(at) = text.get(from..).and_then(|t| t.find(name)) {
        let start = from + at;
        let end = start + name.len();
        let before_ok = text
            .get(..start)
            .and_then(|t| t.chars().next_back())
            .is_none_or(|c| !is_word(c));
        let after_ok = text
            .get(end..)
            .and_then(|t| t.chars().next())
            .is_none_or(|c| !is_word(c));
        let abs = base + start;
        if before_ok && after_ok && !(exclude.start <= abs && abs < exclude.end) {
            return true;
        }
        from = end;
    }
    false
}

/// Whether `text` contains `needle` at an absolute offset outside `exclude`.
fn occurs_outside(text: &str, base: usize, needle: &str, exclude: &Range<usize>) -> bool {
    text.match_indices(needle)
        .any(|(at, _)| !(exclude.start <= base + at && base + at < exclude.end))
}

const SHUTDOWN_WORDS: &[&str] = &[
    "shutdown",
    "cancel",
    "stop",
    "terminate",
    "ctrl_c",
    "sigterm",
    "sigint",
];

fn shutdown_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SHUTDOWN_WORDS.iter().any(|w| lower.contains(w))
}

/// Methods that wait for a signal on a receiver/token (the receiver's name decides).
const WAIT_METHODS: &[&str] = &[
    "recv",
    "changed",
    "cancelled",
    "notified",
    "wait",
    "wait_for",
    "recv_async",
    "next",
    "recv_direct",
];

/// Whether a `select!` future waits for a shutdown/cancellation signal.
fn is_shutdown_future(e: &Expr) -> bool {
    let e = peel_ref(e);
    match e {
        Expr::MethodCall(m) if m.method == "fuse" || m.method == "boxed" => {
            is_shutdown_future(&m.receiver)
        }
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            shutdown_name(&method)
                || (WAIT_METHODS.contains(&method.as_str())
                    && final_ident(&m.receiver).is_some_and(|r| shutdown_name(&r)))
        }
        Expr::Call(c) => {
            if let Expr::Path(p) = &*c.func
                && p.path.segments.last().is_some_and(|s| s.ident == "pin")
                && let Some(arg) = c.args.first()
            {
                return is_shutdown_future(arg);
            }
            paths::call_last_segment(c).is_some_and(|i| shutdown_name(&i.to_string()))
        }
        Expr::Path(_) | Expr::Field(_) => final_ident(e).is_some_and(|r| shutdown_name(&r)),
        Expr::Await(_) => false,
        _ => false,
    }
}

/// Whether a handler's value is `()` (or diverges), so the `select!`'s value cannot carry a
/// "stop" decision to code after it.
fn unit_ish(e: &Expr) -> bool {
    match paths::peel(e) {
        Expr::Block(b) => match b.block.stmts.last() {
            None => true,
            Some(Stmt::Expr(tail, None)) => unit_ish(tail),
            Some(_) => true,
        },
        Expr::Tuple(t) => t.elems.is_empty(),
        Expr::Continue(_) | Expr::Break(_) | Expr::Return(_) | Expr::Assign(_) => true,
        Expr::If(i) => i.else_branch.is_none(),
        Expr::ForLoop(_) | Expr::While(_) => true,
        Expr::Macro(m) => macro_name(&m.mac).is_some_and(|n| {
            matches!(
                n.as_str(),
                "info"
                    | "warn"
                    | "error"
                    | "debug"
                    | "trace"
                    | "println"
                    | "eprintln"
                    | "print"
                    | "eprint"
            )
        }),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Handler / arm inspection visitors

/// What a block of code does, as far as discarding an error or stopping goes.
#[derive(Default)]
struct Effects {
    /// `return`, `?`, a panic, `resume_unwind`, `process::exit`.
    diverges: bool,
    /// Calls `is_cancelled()` / `is_panic()` / `into_panic()` / `try_into_panic()`.
    inspects: bool,
}

impl<'ast> Visit<'ast> for Effects {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Return(_) | Expr::Try(_) => self.diverges = true,
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "is_cancelled" | "is_panic" | "into_panic" | "try_into_panic"
                ) =>
            {
                self.inspects = true;
            }
            Expr::Call(c)
                if paths::call_last_segment(c).is_some_and(|i| {
                    i == "resume_unwind" || i == "exit" || i == "abort" || i == "panic_any"
                }) =>
            {
                self.diverges = true;
            }
            Expr::Macro(m) => self.visit_mac(&m.mac),
            _ => {}
        }
        visit::visit_expr(self, e);
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        self.visit_mac(&m.mac);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

impl Effects {
    fn visit_mac(&mut self, mac: &syn::Macro) {
        if let Some(n) = macro_name(mac)
            && matches!(
                n.as_str(),
                "panic" | "unreachable" | "todo" | "unimplemented" | "bail" | "ensure"
            )
        {
            self.diverges = true;
        }
        let t = mac.tokens.to_string();
        if ["is_cancelled", "is_panic", "into_panic"]
            .iter()
            .any(|w| t.contains(w))
        {
            self.inspects = true;
        }
    }

    fn of(e: &Expr) -> Effects {
        let mut fx = Effects::default();
        fx.visit_expr(e);
        fx
    }
}

/// Whether `name` is mentioned in `e` (paths, macro tokens, inline format args).
struct Mentions<'n> {
    name: &'n str,
    found: bool,
}

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.found {
            return;
        }
        if let Expr::Path(p) = e
            && p.path.is_ident(self.name)
        {
            self.found = true;
            return;
        }
        visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if tokens_mention(&mac.tokens, self.name) {
            self.found = true;
        }
    }
}

fn mentions(e: &Expr, name: &str) -> bool {
    let mut m = Mentions { name, found: false };
    m.visit_expr(e);
    m.found
}

/// The value of a block-ish expression: its tail expression, recursively.
fn tail(e: &Expr) -> &Expr {
    match paths::peel(e) {
        Expr::Block(b) => match b.block.stmts.last() {
            Some(Stmt::Expr(t, None)) => tail(t),
            _ => e,
        },
        other => other,
    }
}

/// Whether an `Err` arm body (or an `unwrap_or_else` closure body) handles the error: uses its
/// binding (logs, stores, converts it), propagates, returns, panics or inspects it, or evaluates
/// to an `Err(..)` of its own.
fn handles_error(body: &Expr, binding: Option<&str>) -> bool {
    if binding.is_some_and(|b| mentions(body, b)) {
        return true;
    }
    let fx = Effects::of(body);
    if fx.diverges || fx.inspects {
        return true;
    }
    matches!(tail(body), Expr::Call(c) if paths::call_last_segment(c).is_some_and(|i| i == "Err"))
}

/// Whether a `select!` handler leaves the loop it runs in.
struct Stops<'l> {
    labels: &'l [Option<String>],
    nested_loops: u32,
    found: bool,
}

impl<'ast> Visit<'ast> for Stops<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.found {
            return;
        }
        match e {
            Expr::Return(_) | Expr::Try(_) => self.found = true,
            Expr::Break(b) => {
                match &b.label {
                    Some(l) => {
                        let name = l.ident.to_string();
                        if self
                            .labels
                            .iter()
                            .any(|x| x.as_deref() == Some(name.as_str()))
                        {
                            self.found = true;
                        }
                    }
                    None => {
                        if self.nested_loops == 0 {
                            self.found = true;
                        }
                    }
                }
                visit::visit_expr(self, e);
            }
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => {
                self.nested_loops += 1;
                visit::visit_expr(self, e);
                self.nested_loops -= 1;
            }
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Call(c)
                if paths::call_last_segment(c)
                    .is_some_and(|i| i == "exit" || i == "resume_unwind") =>
            {
                self.found = true;
            }
            Expr::Macro(m) => self.visit_mac(&m.mac),
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        self.visit_mac(&m.mac);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

impl Stops<'_> {
    fn visit_mac(&mut self, mac: &syn::Macro) {
        if macro_name(mac).is_some_and(|n| {
            matches!(
                n.as_str(),
                "panic" | "unreachable" | "todo" | "unimplemented" | "bail"
            )
        }) {
            self.found = true;
            return;
        }
        match macros::kind(mac) {
            MacroKind::Select => {
                if let Some(sel) = macros::parse_select(&mac.tokens) {
                    for b in &sel.branches {
                        self.visit_expr(&b.handler);
                    }
                }
            }
            MacroKind::ExprList => {
                if let Some(list) = macros::parse_expr_list(&mac.tokens) {
                    for e in &list {
                        self.visit_expr(e);
                    }
                }
            }
            MacroKind::Opaque => {}
        }
    }
}

/// Names a handler assigns to (`running = false`, `self.stop = true`, `flag.store(..)`).
#[derive(Default)]
struct Flags {
    names: Vec<String>,
    has_continue: bool,
    /// Receivers emptied by `take()`/`replace(..)` (`trigger.take()` disables `if trigger.is_some()`).
    taken: Vec<String>,
    /// Forwards the shutdown: cancels a child token, closes a channel or server, aborts tasks.
    forwards: bool,
}

impl<'ast> Visit<'ast> for Flags {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Assign(a) => self.names.extend(final_ident(&a.left)),
            Expr::Binary(b) if is_compound_assign(&b.op) => self.names.extend(final_ident(&b.left)),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "store"
                        | "swap"
                        | "fetch_or"
                        | "fetch_and"
                        | "fetch_add"
                        | "set"
                        | "cancel"
                        | "send_replace"
                        | "notify_waiters"
                ) =>
            {
                self.names.extend(final_ident(&m.receiver));
            }
            Expr::Continue(_) => self.has_continue = true,
            _ => {}
        }
        if let Expr::MethodCall(m) = e {
            let method = m.method.to_string();
            if method == "take" || method == "replace" {
                self.taken.extend(final_ident(&m.receiver));
            }
            if FORWARD_METHODS.contains(&method.as_str()) {
                self.forwards = true;
            }
        }
        visit::visit_expr(self, e);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Methods that pass a shutdown on to the work the loop waits for (another branch then ends the
/// loop when that work finishes).
const FORWARD_METHODS: &[&str] = &[
    "cancel",
    "close",
    "shutdown",
    "graceful_shutdown",
    "abort",
    "abort_all",
    "notify_waiters",
    "notify_one",
    "trigger",
    "stop",
    "drain",
    "close_channel",
];

fn is_compound_assign(op: &syn::BinOp) -> bool {
    matches!(
        op,
        syn::BinOp::AddAssign(_)
            | syn::BinOp::SubAssign(_)
            | syn::BinOp::BitOrAssign(_)
            | syn::BinOp::BitAndAssign(_)
            | syn::BinOp::BitXorAssign(_)
            | syn::BinOp::MulAssign(_)
    )
}

// ---------------------------------------------------------------------------------------------
// The analysis

/// How a `let _ =` or an expression statement discards a join result.
struct Discard {
    join: Join,
    /// `.ok()`, `.unwrap_or_default()`.. applied to the join, if any.
    method: Option<String>,
}

impl Analyzer<'_, '_, '_> {
    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .find(|b| b.name == name)
    }

    fn lookup_mut(&mut self, name: &str) -> Option<&mut Binding> {
        self.frames
            .iter_mut()
            .rev()
            .flat_map(|f| f.iter_mut().rev())
            .find(|b| b.name == name)
    }

    fn kind_of(&self, e: &Expr) -> Option<Kind> {
        let id = ident_of(e)?;
        let name = id.to_string();
        self.lookup(&name).map(|b| b.kind)
    }

    fn bind(
        &mut self,
        name: String,
        kind: Kind,
        origin: Option<Range<usize>>,
        decl: Range<usize>,
        target: String,
    ) {
        if self.frames.is_empty() {
            self.frames.push(Vec::new());
        }
        let origin_label = if kind == Kind::JoinSet || target.contains("join_next") {
            "`JoinSet` created here"
        } else {
            "task spawned here"
        };
        if let Some(frame) = self.frames.last_mut() {
            frame.push(Binding {
                name,
                kind,
                target,
                origin,
                origin_label,
                decl,
                aborted: false,
                used: false,
            });
        }
    }

    /// Binds `name` to what `known` says, labelled at `origin`.
    fn bind_known(
        &mut self,
        name: String,
        known: Known,
        origin: Option<Range<usize>>,
        decl: Range<usize>,
    ) {
        self.bind(name, known.kind, origin, decl, known.target);
        if let Some(b) = self.frames.last_mut().and_then(|f| f.last_mut()) {
            b.origin_label = known.label;
        }
    }

    /// What a written type holds: a task type the file's `use`s and aliases prove, or one of the
    /// file's own types (whose methods' declared returns are known).
    fn type_kind(&self, ty: &syn::Type) -> Option<Known> {
        if let Some(t) = self.types.classify(ty, &|p| self.cx.resolve(p)) {
            let label = match t {
                TaskTy::JoinSet => "`JoinSet` declared here",
                _ => "handle declared here",
            };
            return Some(Known::new(Kind::of(t), label));
        }
        let name = match ty {
            syn::Type::Path(p) if p.path.segments.len() == 1 => type_name(ty)?,
            syn::Type::Reference(_) | syn::Type::TraitObject(_) | syn::Type::ImplTrait(_) => {
                type_name(ty)?
            }
            _ => return None,
        };
        let name = if name == "Self" {
            self.impl_ty.clone()?
        } else {
            name
        };
        self.types.is_local_type(&name).then_some(Known {
            kind: Kind::Typed,
            target: name,
            label: "",
        })
    }

    /// Binds the typed parameters of a fn whose types prove a handle, set, signal or local type.
    fn bind_params<'p>(&mut self, inputs: impl Iterator<Item = &'p syn::FnArg>) {
        for arg in inputs {
            let syn::FnArg::Typed(pt) = arg else { continue };
            let Some(id) = simple_ident(&pt.pat) else {
                continue;
            };
            if let Some(k) = self.type_kind(&pt.ty) {
                let decl = self.cx.range(pt);
                self.bind_known(id.to_string(), k, Some(decl.clone()), decl);
            }
        }
    }

    /// What a same-file fn or method returns (`returns`), as a binding kind; `awaited`: the
    /// call is `.await`ed (only an `async fn`'s output counts then).
    fn returned(r: Option<crate::analysis::task_types::Returns>, awaited: bool) -> Option<Known> {
        let r = r?;
        let label = if r.ty == TaskTy::JoinSet {
            "`JoinSet` returned here"
        } else {
            "handle returned here"
        };
        (r.is_async == awaited).then(|| Known::new(Kind::of(r.ty), label))
    }

    /// The declared return of the call `e` to a same-file fn or method (see [`Self::returned`]).
    fn call_returns(&self, e: &Expr, awaited: bool) -> Option<Known> {
        match paths::peel(e) {
            Expr::Call(c) => {
                let path = paths::call_path(c)?;
                let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
                match segs.as_slice() {
                    [f] if path.leading_colon.is_none()
                        && self.cx.lookup(f).is_none()
                        && self.lookup(f).is_none() =>
                    {
                        Self::returned(self.types.fn_returns(f), awaited)
                    }
                    [ty, m] if path.leading_colon.is_none() => {
                        let owner = if ty == "Self" {
                            self.impl_ty.clone()?
                        } else if self.types.is_local_type(ty) && self.cx.lookup(ty).is_none() {
                            ty.clone()
                        } else {
                            return None;
                        };
                        Self::returned(self.types.method_returns(&owner, m), awaited)
                    }
                    _ => None,
                }
            }
            Expr::MethodCall(m) => {
                let recv = peel_ref(&m.receiver);
                let owner = match ident_of(recv) {
                    Some(id) if id == "self" => self.impl_ty.clone()?,
                    Some(id) => {
                        let b = self.lookup(&id.to_string())?;
                        (b.kind == Kind::Typed).then(|| b.target.clone())?
                    }
                    None => return None,
                };
                Self::returned(
                    self.types.method_returns(&owner, &m.method.to_string()),
                    awaited,
                )
            }
            _ => None,
        }
    }

    /// What the value of `e` is known to hold (see [`Known`]): a handle from a spawn or from a
    /// same-file fn declared to return one, a `JoinSet`, a `Vec` of handles, a runtime, a
    /// shutdown signal, a tracked binding moved or unwrapped.
    fn value_kind(&self, e: &Expr) -> Option<Known> {
        if self.spawn_call(e) {
            return Some(Known::new(Kind::Handle, "task spawned here"));
        }
        if self.is_join_set_new(e) {
            return Some(Known::new(Kind::JoinSet, "`JoinSet` created here"));
        }
        if self.is_empty_vec(e) {
            return Some(Known::new(Kind::MaybeVec, ""));
        }
        if self.is_handle_collection(e) {
            return Some(Known::new(Kind::HandleVec, ""));
        }
        if self.is_runtime(e) {
            return Some(Known::new(Kind::Runtime, ""));
        }
        if self.is_signal(e) {
            return Some(Known::new(Kind::Signal, ""));
        }
        if let Some(k) = self.call_returns(e, false) {
            return Some(k);
        }
        match paths::peel(e) {
            Expr::Await(a) => self.call_returns(&a.base, true),
            Expr::Try(t) => self.unwrapped(&t.expr),
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
                self.unwrapped(&m.receiver)
            }
            Expr::MethodCall(m)
                if (m.method == "take" || m.method == "as_mut") && m.args.is_empty() =>
            {
                self.value_kind(&m.receiver)
                    .filter(|k| k.kind == Kind::OptHandle)
            }
            Expr::Path(_) => {
                let b = self.lookup(&ident_of(e)?.to_string())?;
                matches!(
                    b.kind,
                    Kind::Handle
                        | Kind::JoinSet
                        | Kind::HandleVec
                        | Kind::OptHandle
                        | Kind::Signal
                        | Kind::Typed
                )
                .then(|| Known {
                    kind: b.kind,
                    target: b.target.clone(),
                    label: b.origin_label,
                })
            }
            _ => None,
        }
    }

    /// `Some(h)` matched against an `Option<JoinHandle>` (`opt`, `opt.take()`): binds `h`.
    fn bind_some_handle(&mut self, pat: &Pat, scrutinee: &Expr) {
        if let Some(id) = tuple_struct_inner(pat, "Some").and_then(simple_ident)
            && let Some(k) = self.value_kind(peel_ref(scrutinee))
            && k.kind == Kind::OptHandle
        {
            let decl = self.cx.range(pat);
            let origin = (!k.label.is_empty()).then(|| self.cx.range(scrutinee));
            self.bind_known(
                id.to_string(),
                Known {
                    kind: Kind::Handle,
                    ..k
                },
                origin,
                decl,
            );
        }
    }

    /// `e?`, `e.unwrap()`: a handle out of an `Option<JoinHandle>`.
    fn unwrapped(&self, e: &Expr) -> Option<Known> {
        let k = self.value_kind(e)?;
        (k.kind == Kind::OptHandle).then_some(Known {
            kind: Kind::Handle,
            ..k
        })
    }

    /// A shutdown signal source proven by its origin: `signal(SignalKind::..)`, `ctrl_c()`, a
    /// `CancellationToken` (new, cloned, child) or its `cancelled()` future.
    fn is_signal(&self, e: &Expr) -> bool {
        match peel_unwraps(e) {
            Expr::Call(c) => {
                let Some(path) = paths::call_path(c) else {
                    return false;
                };
                let canon = self.cx.resolve(path);
                if path_is(&canon, "tokio::signal::unix::signal") {
                    // SIGHUP usually means "reload", and user signals are not shutdowns.
                    return c.args.first().is_some_and(|a| {
                        matches!(paths::peel(a), Expr::Call(k) if paths::call_last_segment(k)
                            .is_some_and(|i| i == "terminate" || i == "interrupt" || i == "quit"))
                    });
                }
                [
                    "tokio::signal::ctrl_c",
                    "tokio_util::sync::CancellationToken::new",
                    "tokio_util::sync::CancellationToken::default",
                ]
                .iter()
                .any(|p| path_is(&canon, p))
            }
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "clone" | "child_token" | "cancelled" | "cancelled_owned" | "recv"
                ) =>
            {
                self.kind_of(peel_ref(&m.receiver)) == Some(Kind::Signal)
                    || (m.method != "recv" && self.is_signal(&m.receiver))
            }
            _ => false,
        }
    }

    /// A `select!` future that waits on a shutdown source proven by its origin in this body or
    /// its declared type: `term.recv()` after `let mut term = signal(SignalKind::terminate())?`,
    /// `token.cancelled()` on a `CancellationToken`, `&mut ctrl_c` bound to `ctrl_c()`.
    fn signal_future(&self, e: &Expr) -> bool {
        let e = peel_ref(e);
        if self.kind_of(e) == Some(Kind::Signal) {
            return true;
        }
        match e {
            Expr::MethodCall(m) if m.method == "fuse" || m.method == "boxed" => {
                self.signal_future(&m.receiver)
            }
            Expr::MethodCall(m) => {
                WAIT_METHODS.contains(&m.method.to_string().as_str())
                    && (self.kind_of(peel_ref(&m.receiver)) == Some(Kind::Signal)
                        || self.is_signal(&m.receiver))
            }
            _ => false,
        }
    }

    /// Shadows every tracked name a pattern binds.
    fn shadow(&mut self, p: &Pat) {
        if self.frames.iter().all(Vec::is_empty) {
            return;
        }
        let mut names = Vec::new();
        pat_idents(p, &mut names);
        for n in names {
            if self.lookup(&n).is_some() {
                self.bind(n, Kind::Shadow, None, 0..0, String::new());
            }
        }
    }

    fn push_frame(&mut self) {
        self.frames.push(Vec::new());
    }

    fn pop_frame(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        for b in frame {
            if b.kind == Kind::JoinResult && !b.used {
                let mut r = self
                    .sink
                    .report(
                        &SWALLOWED_CANCELLATION,
                        b.decl.clone(),
                        unused_result_message(&b.name, &b.target),
                    )
                    .help(JOIN_HELP);
                if let Some(o) = b.origin {
                    r = r.label(o, b.origin_label);
                }
                r.fix(Fix::manual(
                    "check the result: propagate panics and handle cancellation",
                    Vec::new(),
                ));
            }
        }
    }

    fn mark_used(&mut self, name: &str) {
        if let Some(b) = self.lookup_mut(name) {
            b.used = true;
        }
    }

    fn mark_tokens_used(&mut self, tokens: &TokenStream) {
        let names: Vec<String> = self
            .frames
            .iter()
            .flatten()
            .filter(|b| b.kind == Kind::JoinResult && !b.used)
            .map(|b| b.name.clone())
            .collect();
        for n in names {
            if tokens_mention(tokens, &n) {
                self.mark_used(&n);
            }
        }
    }

    /// The spawn function a call names, if it returns a tokio `JoinHandle`.
    fn spawn_call(&self, e: &Expr) -> bool {
        match paths::peel(e) {
            Expr::Call(call) => {
                let Some(path) = paths::call_path(call) else {
                    return false;
                };
                let Some(last) = path.segments.last() else {
                    return false;
                };
                if !(last.ident == "spawn"
                    || last.ident == "spawn_local"
                    || last.ident == "spawn_blocking")
                {
                    return false;
                }
                let canon = self.cx.resolve(path);
                let last = last.ident.to_string();
                path_is(&canon, &format!("tokio::{last}"))
                    || path_is(&canon, &format!("tokio::task::{last}"))
                    || path_is(&canon, &format!("actix_rt::{last}"))
                    || path_is(&canon, &format!("actix_rt::task::{last}"))
                    || path_is(&canon, &format!("actix_web::rt::{last}"))
                    || path_is(&canon, &format!("actix_web::rt::task::{last}"))
                    || (self.tokio_only && path_is(&canon, &format!("task::{last}")))
            }
            Expr::MethodCall(m) => {
                (m.method == "spawn" || m.method == "spawn_blocking")
                    && self.is_runtime(&m.receiver)
            }
            _ => false,
        }
    }

    /// A tokio runtime or runtime handle: a tracked binding, `Handle::current()`, `rt.handle()`.
    fn is_runtime(&self, e: &Expr) -> bool {
        let e = peel_unwraps(e);
        if self.kind_of(e) == Some(Kind::Runtime) {
            return true;
        }
        match e {
            Expr::Call(c) => {
                let Some(path) = paths::call_path(c) else {
                    return false;
                };
                let canon = self.cx.resolve(path);
                path_is(&canon, "tokio::runtime::Handle::current")
                    || path_is(&canon, "tokio::runtime::Handle::try_current")
                    || path_is(&canon, "tokio::runtime::Runtime::new")
                    || (self.tokio_only
                        && (path_is(&canon, "Handle::current")
                            || path_is(&canon, "Handle::try_current")))
            }
            Expr::MethodCall(m) if m.method == "handle" || m.method == "clone" => {
                self.is_runtime(&m.receiver)
            }
            Expr::MethodCall(m) if m.method == "build" => {
                let mut r: &Expr = &m.receiver;
                loop {
                    match paths::peel(r) {
                        Expr::MethodCall(inner) => r = &inner.receiver,
                        Expr::Call(c) => {
                            let Some(path) = paths::call_path(c) else {
                                return false;
                            };
                            let canon = self.cx.resolve(path);
                            return path_is(&canon, "tokio::runtime::Builder::new_multi_thread")
                                || path_is(&canon, "tokio::runtime::Builder::new_current_thread");
                        }
                        _ => return false,
                    }
                }
            }
            _ => false,
        }
    }

    fn is_join_set_new(&self, e: &Expr) -> bool {
        let Expr::Call(c) = paths::peel(e) else {
            return false;
        };
        let Some(path) = paths::call_path(c) else {
            return false;
        };
        let Some(last) = path.segments.last() else {
            return false;
        };
        if !(last.ident == "new" || last.ident == "default") || path.segments.len() < 2 {
            return false;
        }
        let canon = self.cx.resolve(path);
        let name = last.ident.to_string();
        path_is(&canon, &format!("tokio::task::JoinSet::{name}"))
            || (self.tokio_only && path_is(&canon, &format!("JoinSet::{name}")))
    }

    fn is_empty_vec(&self, e: &Expr) -> bool {
        match paths::peel(e) {
            Expr::Call(c) => {
                let Some(path) = paths::call_path(c) else {
                    return false;
                };
                let canon = self.cx.resolve(path);
                path_is(&canon, "Vec::new") || path_is(&canon, "Vec::with_capacity")
            }
            Expr::Macro(m) => {
                macro_name(&m.mac).is_some_and(|n| n == "vec") && m.mac.tokens.is_empty()
            }
            _ => false,
        }
    }

    /// `iter.map(|..| tokio::spawn(..)).collect()` or `vec![tokio::spawn(..), ..]`.
    fn is_handle_collection(&self, e: &Expr) -> bool {
        match paths::peel(e) {
            Expr::MethodCall(m) if m.method == "collect" => {
                let mut r: &Expr = &m.receiver;
                loop {
                    match paths::peel(r) {
                        Expr::MethodCall(inner) => {
                            if inner.method == "map"
                                && let Some(Expr::Closure(c)) = inner.args.first()
                                && self.spawn_call(tail(&c.body))
                            {
                                return true;
                            }
                            r = &inner.receiver;
                        }
                        _ => return false,
                    }
                }
            }
            Expr::Macro(m)
                if macro_name(&m.mac).is_some_and(|n| n == "vec") && !m.mac.tokens.is_empty() =>
            {
                macros::parse_expr_list(&m.mac.tokens)
                    .is_some_and(|l| !l.is_empty() && l.iter().all(|x| self.spawn_call(x)))
            }
            _ => false,
        }
    }

    /// Whether `e` iterates a tracked `Vec` of handles (`hs`, `&mut hs`, `hs.into_iter()`,
    /// `hs.drain(..)`, `hs.iter_mut()`); `enumerated` when wrapped in `.enumerate()`.
    fn iterates_handles(&self, e: &Expr) -> Option<(bool, String)> {
        let (e, enumerated) = match peel_ref(e) {
            Expr::MethodCall(m) if m.method == "enumerate" => (peel_ref(&m.receiver), true),
            other => (other, false),
        };
        let base = match e {
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "into_iter" | "drain" | "iter_mut" | "iter"
                ) =>
            {
                peel_ref(&m.receiver)
            }
            other => other,
        };
        if self.kind_of(base) != Some(Kind::HandleVec) {
            return None;
        }
        Some((enumerated, ident_of(base)?.to_string()))
    }

    /// Binds a handle taken out of the tracked `Vec` of handles `vec` (aborted if the vec's
    /// handles were aborted).
    fn bind_from_vec(&mut self, name: String, vec: String) {
        let aborted = self.lookup(&vec).is_some_and(|b| b.aborted);
        self.bind(name.clone(), Kind::Handle, None, 0..0, vec);
        if aborted && let Some(b) = self.lookup_mut(&name) {
            b.aborted = true;
        }
    }

    /// Classifies a join expression (or a tracked join result); marks a result binding used.
    fn joined(&mut self, e: &Expr) -> Option<Join> {
        match paths::peel(e) {
            Expr::Await(a) => self.join_future(&a.base, ".await"),
            Expr::MethodCall(m) if m.method == "try_join_next" => self.join_future(e, ""),
            Expr::Macro(m) => self.try_join_of_handles(&m.mac),
            Expr::Path(_) => {
                let name = ident_of(e)?.to_string();
                let b = self.lookup_mut(&name)?;
                if b.kind != Kind::JoinResult {
                    return None;
                }
                b.used = true;
                Some(Join {
                    option: false,
                    timeout: false,
                    desc: name,
                    origin: b.origin.clone(),
                    origin_label: b.origin_label,
                })
            }
            _ => None,
        }
    }

    /// The join a future's output is (`suffix` is appended to its description): a handle, a
    /// spawn, `set.join_next()` / `set.try_join_next()`, `timeout(d, <one of these>)`.
    fn join_future(&mut self, e: &Expr, suffix: &str) -> Option<Join> {
        let base = peel_ref(e);
        if let Some(id) = ident_of(base) {
            let name = id.to_string();
            let b = self.lookup(&name)?;
            return (b.kind == Kind::Handle && !b.aborted).then(|| Join {
                option: false,
                timeout: false,
                desc: format!("{name}{suffix}"),
                origin: b.origin.clone(),
                origin_label: b.origin_label,
            });
        }
        if let Expr::MethodCall(m) = base
            && matches!(
                m.method.to_string().as_str(),
                "join_next" | "join_next_with_id" | "try_join_next" | "try_join_next_with_id"
            )
        {
            let id = ident_of(peel_ref(&m.receiver))?;
            let name = id.to_string();
            let b = self.lookup(&name)?;
            return (b.kind == Kind::JoinSet && !b.aborted).then(|| Join {
                option: true,
                timeout: false,
                desc: format!("{name}.{}(){suffix}", m.method),
                origin: b.origin.clone(),
                origin_label: b.origin_label,
            });
        }
        if let Expr::Call(c) = base
            && let Some(path) = paths::call_path(c)
            && c.args.len() == 2
            && path_is(&self.cx.resolve(path), "tokio::time::timeout")
            && let Some(inner) = c.args.last()
        {
            let j = self.join_future(inner, "")?;
            return (!j.option).then(|| Join {
                timeout: true,
                desc: format!("timeout(.., {}){suffix}", j.desc),
                ..j
            });
        }
        if self.spawn_call(base)
            || self
                .value_kind(base)
                .is_some_and(|k| k.kind == Kind::Handle)
        {
            let func = match base {
                Expr::Call(c) => self.cx.text(self.cx.range(&c.func)).to_string(),
                Expr::MethodCall(m) => {
                    format!("{}.{}", self.cx.text(self.cx.range(&m.receiver)), m.method)
                }
                _ => String::new(),
            };
            let func = if func.len() > 40 || func.contains('\n') || func.is_empty() {
                "spawn".to_string()
            } else {
                func
            };
            return Some(Join {
                option: false,
                timeout: false,
                desc: format!("{func}(..){suffix}"),
                origin: None,
                origin_label: "",
            });
        }
        None
    }

    /// `try_join!(a, b)` where an argument is a handle: its `Err` is a `JoinError`.
    fn try_join_of_handles(&mut self, mac: &syn::Macro) -> Option<Join> {
        if !self.is_join_macro(mac, "try_join") {
            return None;
        }
        let args = macros::parse_expr_list(&mac.tokens)?;
        let first = args.iter().find_map(|a| self.join_future(a, ""))?;
        (!first.option).then(|| Join {
            desc: "try_join!(..)".to_string(),
            ..first
        })
    }

    /// `tokio::join!` / `futures::join!` (or `try_join!` for `name == "try_join"`).
    fn is_join_macro(&self, mac: &syn::Macro, name: &str) -> bool {
        if mac.path.segments.last().is_none_or(|s| s.ident != name) {
            return false;
        }
        let canon = self.cx.resolve(&mac.path);
        path_is(&canon, &format!("tokio::{name}"))
            || path_is(&canon, &format!("futures::{name}"))
            || (self.tokio_only && path_is(&canon, name))
    }

    /// `J`, or `J.ok()` / `.unwrap_or_default()` / `.unwrap_or(..)` / `.unwrap_or_else(|_| ..)`.
    fn discard(&mut self, e: &Expr) -> Option<Discard> {
        if let Some(join) = self.joined(e) {
            return Some(Discard { join, method: None });
        }
        let Expr::MethodCall(m) = paths::peel(e) else {
            return None;
        };
        if !self.discarding_method(m) {
            return None;
        }
        let join = self.joined_chain(&m.receiver)?;
        if join.option || join.timeout {
            return None;
        }
        Some(Discard {
            join,
            method: Some(m.method.to_string()),
        })
    }

    fn discarding_method(&self, m: &syn::ExprMethodCall) -> bool {
        match m.method.to_string().as_str() {
            "ok" | "unwrap_or_default" | "unwrap_or" => true,
            "unwrap_or_else" => match m.args.first().map(paths::peel) {
                Some(Expr::Closure(c)) if c.inputs.len() == 1 => {
                    let binding = c
                        .inputs
                        .first()
                        .and_then(simple_ident)
                        .map(|i| i.to_string());
                    !handles_error(&c.body, binding.as_deref())
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// `joined`, also through Ok-preserving combinators that keep the `JoinError` in the `Err`:
    /// `h.await.map(f)`, `.inspect(f)`, `.and_then(f)`.
    fn joined_chain(&mut self, e: &Expr) -> Option<Join> {
        if let Expr::MethodCall(m) = paths::peel(e)
            && matches!(
                m.method.to_string().as_str(),
                "map" | "inspect" | "and_then"
            )
            && m.args.len() == 1
        {
            let j = self.joined_chain(&m.receiver)?;
            return (!j.option && !j.timeout).then(|| Join {
                desc: format!("{}.{}(..)", j.desc, m.method),
                ..j
            });
        }
        self.joined(e)
    }

    /// `set.join_next().await.and_then(|r| r.ok())` (each result of an `Option` join), or
    /// `join_all(handles).await.into_iter().filter_map(Result::ok)` / `.flatten()`: every
    /// `Err` is dropped by the adapter.
    fn discards_each_result(&mut self, m: &syn::ExprMethodCall) -> bool {
        let method = m.method.to_string();
        let adapter_discards = match (method.as_str(), m.args.first().map(paths::peel)) {
            ("flatten", None) => true,
            (_, Some(Expr::Path(p))) if m.args.len() == 1 => {
                p.path.segments.last().is_some_and(|s| s.ident == "ok")
                    && p.path.segments.len() == 2
                    && p.path.segments.first().is_some_and(|s| s.ident == "Result")
            }
            (_, Some(Expr::Closure(c))) if m.args.len() == 1 && c.inputs.len() == 1 => {
                let Some(r) = c.inputs.first().and_then(simple_ident) else {
                    return false;
                };
                match paths::peel(&c.body) {
                    Expr::MethodCall(inner) => {
                        ident_of(&inner.receiver).is_some_and(|i| i == r)
                            && self.discarding_method(inner)
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if !adapter_discards {
            return false;
        }
        if method != "flatten" && method != "filter_map" && method != "flat_map" {
            // `and_then`/`map` on `Option<Result<..>>` of a join.
            return self.peek_option_join(&m.receiver).is_some();
        }
        if method != "flatten" && self.peek_option_join(&m.receiver).is_some() {
            return false;
        }
        let mut r: &Expr = &m.receiver;
        loop {
            match paths::peel(r) {
                Expr::MethodCall(inner)
                    if matches!(
                        inner.method.to_string().as_str(),
                        "into_iter" | "iter" | "drain"
                    ) =>
                {
                    r = &inner.receiver;
                }
                other => return self.join_all_of_handles(other),
            }
        }
    }

    /// `join_all(handles).await` on a tracked `Vec` of handles.
    fn join_all_of_handles(&self, e: &Expr) -> bool {
        let Expr::Await(a) = paths::peel(e) else {
            return false;
        };
        let Expr::Call(c) = paths::peel(&a.base) else {
            return false;
        };
        paths::call_last_segment(c).is_some_and(|i| i == "join_all")
            && c.args.len() == 1
            && c.args
                .first()
                .is_some_and(|arg| self.iterates_handles(arg).is_some())
    }

    fn indent_at(&self, at: usize) -> String {
        let text = self.cx.source.text();
        let line_start = text
            .get(..at)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let prefix = text.get(line_start..at).unwrap_or("");
        if prefix.chars().all(char::is_whitespace) {
            prefix.to_string()
        } else {
            String::new()
        }
    }

    fn match_fix(&self, stmt: Range<usize>, join_expr: &Expr, option: bool) -> Fix {
        let j = self.cx.text(self.cx.range(join_expr));
        let i = self.indent_at(stmt.start);
        let text = if option {
            format!(
                "match {j} {{\n{i}    Some(Ok(_)) | None => {{}}\n{i}    Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),\n{i}    Some(Err(_)) => {{}} // cancelled: the task was aborted or its runtime shut down\n{i}}}"
            )
        } else {
            format!(
                "match {j} {{\n{i}    Ok(_) => {{}}\n{i}    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),\n{i}    Err(_) => {{}} // cancelled: the task was aborted or its runtime shut down\n{i}}}"
            )
        };
        Fix::unsafe_(
            "match the result: resume the task's panic and handle cancellation explicitly",
            vec![Edit::replace(stmt, text)],
        )
    }

    fn report_discard(&mut self, range: Range<usize>, code: String, d: &Discard, inner: &Expr) {
        let join_expr = match (&d.method, paths::peel(inner)) {
            (Some(_), Expr::MethodCall(m)) => &*m.receiver,
            _ => inner,
        };
        if d.join.timeout {
            self.report_manual(range, discard_message(&code), &d.join);
            return;
        }
        let fix = self.match_fix(range.clone(), join_expr, d.join.option);
        let mut r = self
            .sink
            .report(&SWALLOWED_CANCELLATION, range, discard_message(&code))
            .help(join_help(&d.join));
        if let Some(o) = d.join.origin.clone() {
            r = r.label(o, d.join.origin_label);
        }
        r.fix(fix);
    }

    fn report_manual(&mut self, range: Range<usize>, message: String, join: &Join) {
        let mut r = self
            .sink
            .report(&SWALLOWED_CANCELLATION, range, message)
            .help(join_help(join));
        if let Some(o) = join.origin.clone() {
            r = r.label(o, join.origin_label);
        }
        r.fix(Fix::manual(
            "handle the `Err` case: resume the panic, handle cancellation explicitly",
            Vec::new(),
        ));
    }

    fn report_join_all(&mut self, range: Range<usize>, code: &str) {
        self.sink
            .report(&SWALLOWED_CANCELLATION, range, join_all_message(code))
            .help("check every result: `for r in join_all(handles).await { r?; }`, or use `try_join_all(handles).await?`")
            .fix(Fix::manual("check every result for panics and cancellation", Vec::new()));
    }

    /// `let` statements: `let _ = J;`, and new tracked bindings.
    fn local(&mut self, l: &syn::Local) {
        let Some(init) = &l.init else {
            self.shadow(&l.pat);
            return;
        };
        let range = self.cx.range(l);
        let mut reported = false;
        if is_wild(&l.pat) {
            if let Some(d) = self.discard(&init.expr) {
                let code = match &d.method {
                    Some(m) => format!("let _ = {}.{m}{}", d.join.desc, method_args(m)),
                    None => format!("let _ = {}", d.join.desc),
                };
                self.report_discard(range.clone(), code, &d, &init.expr);
                reported = true;
            } else if self.join_all_of_handles(&init.expr) {
                self.report_join_all(range.clone(), "let _ = join_all(..).await");
                reported = true;
            }
        }
        if !reported
            && let Some((_, div)) = &init.diverge
            && let Some(j) = self.peek_join(&init.expr)
        {
            // `let Ok(v) = h.await else { continue };`: the `else` is the error handler.
            let ok = j.inner(&l.pat).and_then(|p| tuple_struct_inner(p, "Ok"));
            if ok.is_some() && !handles_error(div, None) {
                let pat = j.ok_pat();
                let msg = format!(
                    "`let {pat} = {} else {{ .. }}` drops the task's `JoinError` without handling it",
                    j.desc
                );
                self.report_manual(range.clone(), msg, &j);
            }
        }
        if reported {
            visit::visit_expr(self, &init.expr);
        } else {
            self.visit_expr(&init.expr);
        }
        if let Some((_, div)) = &init.diverge {
            self.visit_expr(div);
        }
        if init.diverge.is_none() && !is_wild(&l.pat) {
            self.shadow(&l.pat);
            if self.join_slots(&l.pat, &init.expr, None) {
                return;
            }
        } else if self.join_slots(&l.pat, &init.expr, None) {
            return;
        }
        let Some(name) = simple_ident(&l.pat).map(|i| i.to_string()) else {
            self.shadow(&l.pat);
            return;
        };
        let e = &*init.expr;
        let declared = match &l.pat {
            Pat::Type(pt) => self.type_kind(&pt.ty).map(|k| (k, self.cx.range(&*pt.ty))),
            _ => None,
        };
        let value = self.value_kind(e).map(|k| (k, self.cx.range(e)));
        // The value's origin is the better label, unless the annotation says more
        // (`let v: Vec<JoinHandle<()>> = Vec::new();`).
        let known = match (value, declared) {
            (Some(v), Some(d)) if v.0.kind != d.0.kind => Some(d),
            (Some(v), _) => Some(v),
            (None, d) => d,
        };
        if let Some((k, origin)) = known {
            let origin = (!k.label.is_empty()).then_some(origin);
            self.bind_known(name, k, origin, range);
        } else if let Expr::MethodCall(m) = paths::peel(e)
            && m.method == "abort_handle"
            && self.kind_of(&m.receiver) == Some(Kind::Handle)
            && let Some(h) = ident_of(&m.receiver)
        {
            let h = h.to_string();
            self.bind(name, Kind::AbortOf, None, range, h);
        } else if !name.starts_with('_')
            && let Some(j) = self.peek_join(e)
            && !j.option
            && !j.timeout
        {
            self.bind(name, Kind::JoinResult, j.origin, range, j.desc);
        } else if name.starts_with('_')
            && let Some(j) = self.peek_join(e)
            && !j.option
            && !j.timeout
        {
            // `let _res = h.await;`: the same as `let _ = h.await;`.
            let code = format!("let {name} = {}", j.desc);
            self.report_manual(range, discard_message(&code), &j);
        } else if self.lookup(&name).is_some() {
            self.bind(name, Kind::Shadow, None, 0..0, String::new());
        }
    }

    /// `joined` for a fresh join expression only (never a result binding), without side effects.
    fn peek_join(&mut self, e: &Expr) -> Option<Join> {
        if matches!(paths::peel(e), Expr::Await(_)) {
            self.joined(e)
        } else {
            None
        }
    }

    fn stmt_expr(&mut self, e: &Expr, semi: &syn::token::Semi) {
        if let Expr::Macro(m) = e {
            self.visit_mac(&m.mac, true);
            return;
        }
        let range = self.cx.range(e).start..self.cx.span_range(semi.span).end;
        if let Some(d) = self.discard(e) {
            let code = match &d.method {
                Some(m) => format!("{}.{m}{};", d.join.desc, method_args(m)),
                None => format!("{};", d.join.desc),
            };
            self.report_discard(range, code, &d, e);
            visit::visit_expr(self, e);
            return;
        }
        if self.join_all_of_handles(e) {
            self.report_join_all(range, "join_all(..).await;");
            visit::visit_expr(self, e);
            return;
        }
        self.visit_expr(e);
    }

    fn visit_match(&mut self, m: &syn::ExprMatch) {
        if let Some(join) = self.joined(&m.expr) {
            let inspects = m.arms.iter().any(|a| {
                let mut fx = Effects::default();
                fx.visit_pat(&a.pat);
                fx.visit_expr(&a.body);
                fx.inspects
            });
            if !inspects {
                self.check_arms(m, &join);
            }
        }
        self.visit_expr(&m.expr);
        let option_join = self.peek_option_join(&m.expr);
        for arm in &m.arms {
            self.push_frame();
            self.shadow(&arm.pat);
            self.bind_some_handle(&arm.pat, &m.expr);
            if let Some(j) = &option_join
                && let Some(inner) = j.inner(&arm.pat)
                && let Some(id) = simple_ident(inner)
            {
                let decl = self.cx.range(&arm.pat);
                self.bind(
                    id.to_string(),
                    Kind::JoinResult,
                    j.origin.clone(),
                    decl,
                    j.desc.clone(),
                );
                self.mark_used(&id.to_string());
            }
            if let Pat::Guard(g) = &arm.pat {
                self.visit_expr(&g.guard);
            }
            self.visit_expr(&arm.body);
            self.pop_frame();
        }
    }

    /// A wrapped join (`join_next()`, `try_join_next()`, `timeout(d, h)`), for binding
    /// `Some(res)` / `Ok(res)` patterns as results.
    fn peek_option_join(&mut self, e: &Expr) -> Option<Join> {
        match paths::peel(e) {
            Expr::Await(_) => self.joined(e).filter(|j| j.wrap().is_some()),
            Expr::MethodCall(m) if m.method == "try_join_next" => self.joined(e),
            _ => None,
        }
    }

    fn check_arms(&mut self, m: &syn::ExprMatch, join: &Join) {
        // (arm, binding, explicit)
        let mut err_arms: Vec<(&syn::Arm, Option<String>, bool)> = Vec::new();
        for arm in &m.arms {
            let guarded = matches!(&arm.pat, Pat::Guard(_));
            let inner = join.inner(&arm.pat);
            let explicit = |p: &Pat| -> Option<Option<Pat>> {
                match peel_pat(p) {
                    Pat::Or(o) => o
                        .cases
                        .iter()
                        .find_map(|c| tuple_struct_inner(c, "Err").cloned())
                        .map(Some),
                    _ => tuple_struct_inner(p, "Err").cloned().map(Some),
                }
            };
            let found = inner.and_then(explicit).or_else(|| {
                if let Some(w) = join.wrap() {
                    match peel_pat(&arm.pat) {
                        Pat::Or(o) => o
                            .cases
                            .iter()
                            .find_map(|c| {
                                tuple_struct_inner(c, w)
                                    .and_then(|i| tuple_struct_inner(i, "Err"))
                                    .cloned()
                            })
                            .map(Some),
                        _ => None,
                    }
                } else {
                    None
                }
            });
            match found {
                Some(Some(p)) => {
                    if guarded {
                        continue;
                    }
                    match peel_pat(&p) {
                        Pat::Wild(_) => err_arms.push((arm, None, true)),
                        Pat::Ident(i) if i.subpat.is_none() => {
                            err_arms.push((arm, Some(i.ident.to_string()), true))
                        }
                        _ => err_arms.push((arm, Some(String::new()), true)),
                    }
                }
                _ => {
                    if guarded {
                        continue;
                    }
                    // catch-alls: `_`, `x`, and for options `Some(_)` / `Some(x)`
                    let p = peel_pat(&arm.pat);
                    let catch = match p {
                        Pat::Wild(_) => Some(None),
                        Pat::Ident(i) if i.subpat.is_none() && !is_unit_variant_name(&i.ident) => {
                            Some(Some(i.ident.to_string()))
                        }
                        _ if join.wrap().is_some() => {
                            join.inner(p).and_then(|inner| match peel_pat(inner) {
                                Pat::Wild(_) => Some(None),
                                Pat::Ident(i) if i.subpat.is_none() => {
                                    Some(Some(i.ident.to_string()))
                                }
                                _ => None,
                            })
                        }
                        _ => None,
                    };
                    if let Some(b) = catch {
                        err_arms.push((arm, b, false));
                    }
                }
            }
        }
        let has_explicit = err_arms.iter().any(|(_, _, e)| *e);
        for (arm, binding, explicit) in err_arms {
            if has_explicit && !explicit {
                continue;
            }
            if binding.as_deref() == Some("") {
                continue; // a structured pattern inspects the error
            }
            if handles_error(&arm.body, binding.as_deref()) {
                continue;
            }
            let range = self.cx.range(&arm.pat).start..self.cx.range(&arm.body).end;
            self.report_manual(range, err_arm_message(&join.desc), join);
        }
    }

    fn visit_if(&mut self, i: &syn::ExprIf) {
        let Expr::Let(l) = paths::peel(&i.cond) else {
            visit::visit_expr_if(self, i);
            return;
        };
        let join = self.joined(&l.expr);
        if let Some(j) = &join {
            let ok_inner = j.inner(&l.pat).and_then(|p| tuple_struct_inner(p, "Ok"));
            let empty_else = match &i.else_branch {
                None => true,
                Some((_, e)) => {
                    matches!(paths::peel(e), Expr::Block(b) if b.block.stmts.is_empty())
                }
            };
            if ok_inner.is_some() && empty_else {
                let range = self.cx.span_range(i.if_token.span).start..self.cx.range(&l.expr).end;
                self.report_manual(range, if_let_message(&j.desc, &j.ok_pat()), j);
            }
        }
        self.visit_expr(&l.expr);
        self.push_frame();
        self.shadow(&l.pat);
        self.bind_some_handle(&l.pat, &l.expr);
        let no_else = match &i.else_branch {
            None => true,
            Some((_, e)) => matches!(paths::peel(e), Expr::Block(b) if b.block.stmts.is_empty()),
        };
        let header = self.cx.span_range(i.if_token.span).start..self.cx.range(&l.expr).end;
        self.join_slots(&l.pat, &l.expr, no_else.then_some(header));
        if let Some(j) = join.filter(|j| j.wrap().is_some())
            && let Some(id) = j.inner(&l.pat).and_then(simple_ident)
        {
            let decl = self.cx.span_range(i.if_token.span).start..self.cx.range(&l.expr).end;
            self.bind(id.to_string(), Kind::JoinResult, j.origin, decl, j.desc);
        }
        self.visit_block(&i.then_branch);
        self.pop_frame();
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        }
    }

    fn visit_while(&mut self, w: &syn::ExprWhile) {
        let mut bound: Option<(String, Kind, Option<Range<usize>>, String)> = None;
        let header = self.cx.span_range(w.while_token.span).start..self.cx.range(&w.cond).end;
        if let Expr::Let(l) = paths::peel(&w.cond) {
            if let Some(j) = self.joined(&l.expr).filter(|j| j.option) {
                if let Some(inner) = tuple_struct_inner(&l.pat, "Some") {
                    if tuple_struct_inner(inner, "Ok").is_some() {
                        self.report_manual(
                            header.clone(),
                            while_let_message(&j.desc, "Some(Ok(..))"),
                            &j,
                        );
                    } else if is_wild(inner) {
                        self.report_manual(
                            header.clone(),
                            while_let_message(&j.desc, "Some(_)"),
                            &j,
                        );
                    } else if let Some(id) = simple_ident(inner) {
                        bound = Some((
                            id.to_string(),
                            Kind::JoinResult,
                            j.origin.clone(),
                            j.desc.clone(),
                        ));
                    }
                }
            } else if let Expr::MethodCall(m) = paths::peel(&l.expr)
                && m.method == "pop"
                && self.kind_of(&m.receiver) == Some(Kind::HandleVec)
                && let Some(id) = tuple_struct_inner(&l.pat, "Some").and_then(simple_ident)
            {
                let vec = ident_of(&m.receiver)
                    .map(|i| i.to_string())
                    .unwrap_or_default();
                bound = Some((id.to_string(), Kind::Handle, None, vec));
            }
            self.visit_expr(&l.expr);
            self.push_frame();
            self.shadow(&l.pat);
            self.bind_some_handle(&l.pat, &l.expr);
        } else {
            self.visit_expr(&w.cond);
            self.push_frame();
        }
        if let Some((name, kind, origin, desc)) = bound {
            if name.starts_with('_') && kind == Kind::JoinResult {
                let j = Join {
                    option: true,
                    timeout: false,
                    desc: desc.clone(),
                    origin: origin.clone(),
                    origin_label: "`JoinSet` created here",
                };
                self.report_manual(
                    header.clone(),
                    while_let_message(&desc, &format!("Some({name})")),
                    &j,
                );
            } else if kind == Kind::Handle {
                self.bind_from_vec(name, desc);
            } else {
                self.bind(name, kind, origin, header, desc);
            }
        }
        let checks_state =
            !matches!(paths::peel(&w.cond), Expr::Let(_)) && calls_something(&w.cond);
        self.loops.push(LoopInfo {
            label: w.label.as_ref().map(|l| l.name.ident.to_string()),
            range: self.cx.range(w),
            keyword: self.cx.span_range(w.while_token.span),
            checks_state,
        });
        self.visit_block(&w.body);
        self.loops.pop();
        self.pop_frame();
    }

    fn visit_for(&mut self, f: &syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.push_frame();
        self.shadow(&f.pat);
        if let Some(enumerated) = self.iterates_handles(&f.expr) {
            let (enumerated, vec) = enumerated;
            let target = if enumerated {
                match peel_pat(&f.pat) {
                    Pat::Tuple(t) if t.elems.len() == 2 => t.elems.last().and_then(simple_ident),
                    _ => None,
                }
            } else {
                simple_ident(&f.pat)
            };
            if let Some(id) = target {
                self.bind_from_vec(id.to_string(), vec);
            }
        }
        self.loops.push(LoopInfo {
            label: f.label.as_ref().map(|l| l.name.ident.to_string()),
            range: self.cx.range(f),
            keyword: self.cx.span_range(f.for_token.span),
            checks_state: false,
        });
        self.visit_block(&f.body);
        self.loops.pop();
        self.pop_frame();
    }

    fn visit_method(&mut self, m: &syn::ExprMethodCall) {
        let method = m.method.to_string();
        match method.as_str() {
            "abort" | "abort_all" | "shutdown" | "detach_all" => {
                if let Some(id) = ident_of(&m.receiver) {
                    let name = id.to_string();
                    let (target, vec) = match self.lookup(&name) {
                        Some(b) if b.kind == Kind::AbortOf => (Some(b.target.clone()), None),
                        Some(b) if b.kind == Kind::Handle => (Some(name), Some(b.target.clone())),
                        Some(b) if b.kind == Kind::JoinSet => (Some(name), None),
                        _ => (None, None),
                    };
                    for t in target.into_iter().chain(vec.filter(|v| !v.is_empty())) {
                        if let Some(b) = self.lookup_mut(&t) {
                            b.aborted = true;
                        }
                    }
                }
            }
            "push" | "push_back" => {
                if self.kind_of(&m.receiver) == Some(Kind::MaybeVec)
                    && m.args.len() == 1
                    && let Some(arg) = m.args.first()
                    && (self.spawn_call(arg) || self.kind_of(arg) == Some(Kind::Handle))
                    && let Some(id) = ident_of(&m.receiver)
                {
                    let name = id.to_string();
                    if let Some(b) = self.lookup_mut(&name) {
                        b.kind = Kind::HandleVec;
                    }
                }
            }
            "is_some" | "is_none" => {
                // `assert!(set.try_join_next().is_none())` checks that nothing finished yet.
                if matches!(paths::peel(&m.receiver), Expr::Await(_))
                    && let Some(j) = self.peek_option_join(&m.receiver)
                {
                    let range = self.cx.range(m);
                    self.report_manual(
                        range,
                        discard_message(&format!("{}.{method}()", j.desc)),
                        &j,
                    );
                }
            }
            "and_then" | "map" | "filter_map" | "flat_map" | "flatten"
                if self.discards_each_result(m) =>
            {
                let range = self.cx.range(m);
                if let Some(j) = self.peek_option_join(&m.receiver) {
                    let code = format!("{}.{method}(..)", j.desc);
                    self.report_manual(range, discard_message(&code), &j);
                } else {
                    let text = self.cx.text(range.clone());
                    let code = if text.len() > 70 || text.contains('\n') {
                        format!("join_all(..).await.into_iter().{method}(..)")
                    } else {
                        text.to_string()
                    };
                    self.report_join_all(range, &code);
                }
            }
            _ => {
                if self.discarding_method(m)
                    && let Some(j) = self.joined_chain(&m.receiver)
                    && !j.option
                    && !j.timeout
                {
                    let range = self.cx.range(m);
                    self.report_manual(
                        range,
                        discard_message(&format!("{}.{method}{}", j.desc, method_args(&method))),
                        &j,
                    );
                }
            }
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_mac(&mut self, mac: &syn::Macro, discarded: bool) {
        if self
            .frames
            .iter()
            .flatten()
            .any(|b| b.kind == Kind::JoinResult)
        {
            self.mark_tokens_used(&mac.tokens);
        }
        if discarded
            && self.is_join_macro(mac, "join")
            && let Some(args) = macros::parse_expr_list(&mac.tokens)
            && let Some(j) = args
                .iter()
                .find_map(|a| self.join_future(a, "").filter(|j| !j.option))
        {
            let range = self.cx.range(mac);
            self.report_manual(range, discard_message("join!(..);"), &j);
        }
        match macros::kind(mac) {
            MacroKind::Select => {
                let Some(sel) = macros::parse_select(&mac.tokens) else {
                    return;
                };
                if !self.loops.is_empty() {
                    let mac_range = self.cx.range(mac);
                    for b in &sel.branches {
                        self.check_branch(b, &sel.branches, discarded, &mac_range);
                    }
                }
                for b in &sel.branches {
                    if let Some(f) = &b.future {
                        self.visit_expr(f);
                    }
                    if let Some(c) = &b.condition {
                        self.visit_expr(c);
                    }
                    self.push_frame();
                    if let Some(p) = &b.pat {
                        self.shadow(p);
                        if let Some(f) = &b.future {
                            self.select_join(p, f, &b.handler);
                        }
                    }
                    self.visit_expr(&b.handler);
                    self.pop_frame();
                }
            }
            MacroKind::ExprList => {
                if macros::may_contain_code(&mac.tokens)
                    && let Some(list) = macros::parse_expr_list(&mac.tokens)
                {
                    for e in &list {
                        self.visit_expr(e);
                    }
                }
            }
            MacroKind::Opaque => {}
        }
    }

    /// A `select!` branch `pat = future` whose future is a join (`&mut handle`,
    /// `set.join_next()`): binds the result, or reports a pattern that drops the `JoinError`.
    fn select_join(&mut self, pat: &Pat, future: &Expr, handler: &Expr) {
        let Some(mut j) = self.join_future(future, "") else {
            return;
        };
        if Effects::of(handler).diverges {
            // `_ = &mut handle => unreachable!()`: the branch completing is itself the failure.
            return;
        }
        let text = self.cx.text(self.cx.range(future));
        if text.len() <= 40 && !text.contains('\n') {
            j.desc = text.to_string();
        }
        let Some(inner) = j.inner(pat) else {
            // `None = set.join_next()` or another variant: no result is bound.
            if is_wild(pat) {
                self.report_select_join(pat, &j);
            }
            return;
        };
        if is_wild(inner) || tuple_struct_inner(inner, "Ok").is_some() {
            self.report_select_join(pat, &j);
        } else if let Some(id) = simple_ident(inner) {
            let name = id.to_string();
            if name.starts_with('_') {
                self.report_select_join(pat, &j);
            } else {
                let decl = self.cx.range(pat);
                self.bind(name, Kind::JoinResult, j.origin, decl, j.desc);
            }
        }
    }

    fn report_select_join(&mut self, pat: &Pat, j: &Join) {
        let p = self.cx.text(self.cx.range(pat)).to_string();
        let range = self.cx.range(pat);
        self.report_manual(range, select_join_message(&p, &j.desc), j);
    }

    /// `let <pat> = join!(a, b)` / `if let <pat> = join!(..)`: each handle's slot of the tuple
    /// holds its join result. Binds the named slots; reports `_` slots, or (`refutable`, for an
    /// `if let` without `else`) `Ok(..)` slots. Returns whether the macro was a join of handles.
    fn join_slots(&mut self, pat: &Pat, init: &Expr, refutable: Option<Range<usize>>) -> bool {
        let Expr::Macro(m) = paths::peel(init) else {
            return false;
        };
        if !self.is_join_macro(&m.mac, "join") {
            return false;
        }
        let Some(args) = macros::parse_expr_list(&m.mac.tokens) else {
            return false;
        };
        let joins: Vec<Option<Join>> = args
            .iter()
            .map(|a| self.join_future(a, "").filter(|j| !j.option))
            .collect();
        if joins.iter().all(Option::is_none) {
            return false;
        }
        let slots: Vec<&Pat> = match peel_pat(pat) {
            Pat::Tuple(t) if t.elems.len() == joins.len() => t.elems.iter().collect(),
            Pat::Wild(_) => {
                let range = self.cx.range(pat).start..self.cx.range(init).end;
                if let Some(j) = joins.iter().flatten().next() {
                    self.report_manual(range, discard_message("let _ = join!(..)"), j);
                }
                return true;
            }
            _ => return true,
        };
        for (slot, j) in slots.into_iter().zip(joins) {
            let Some(j) = j else { continue };
            let range = self.cx.range(slot);
            if is_wild(slot) || simple_ident(slot).is_some_and(|i| i.to_string().starts_with('_')) {
                let code = self.cx.text(range.clone()).to_string();
                self.report_manual(range, join_slot_message(&code, &j.desc), &j);
            } else if let Some(id) = simple_ident(slot) {
                self.bind(id.to_string(), Kind::JoinResult, j.origin, range, j.desc);
            } else if let Some(header) = &refutable
                && tuple_struct_inner(slot, "Ok").is_some()
            {
                self.report_manual(
                    header.clone(),
                    if_let_message("join!(..)", "(Ok(..), ..)"),
                    &j,
                );
                return true;
            }
        }
        true
    }

    /// Part 2: a shutdown branch of a `select!` inside a loop that does not leave the loop.
    fn check_branch(
        &mut self,
        b: &SelectBranch,
        all: &[SelectBranch],
        discarded: bool,
        mac_range: &Range<usize>,
    ) {
        let (Some(pat), Some(future)) = (&b.pat, &b.future) else {
            return;
        };
        if !is_shutdown_future(future) && !self.signal_future(future) {
            return;
        }
        // A destructured payload used by the handler (`Some(req) = cancel_rx.recv() => handle(req)`)
        // is a data channel about cancellations, not a shutdown signal.
        if let Pat::TupleStruct(ts) = peel_pat(pat) {
            let mut names = Vec::new();
            for e in &ts.elems {
                pat_idents(e, &mut names);
            }
            if names.iter().any(|n| mentions(&b.handler, n)) {
                return;
            }
        }
        if !discarded && !unit_ish(&b.handler) {
            return;
        }
        let labels: Vec<Option<String>> = self.loops.iter().map(|l| l.label.clone()).collect();
        let mut stops = Stops {
            labels: &labels,
            nested_loops: 0,
            found: false,
        };
        stops.visit_expr(&b.handler);
        if stops.found {
            return;
        }
        let Some(lp) = self.loops.last() else { return };
        if lp.checks_state && empty_handler(&b.handler) {
            return;
        }
        let handler_range = self.cx.range(&b.handler);
        let loop_text = self.cx.text(lp.range.clone());
        let mut flags = Flags::default();
        flags.visit_expr(&b.handler);
        // `_ = sig.wait(), if trigger.is_some() => { trigger.take().unwrap().cancel(); }`: the
        // handler disables its own precondition, so the branch runs once.
        if let Some(cond) = &b.condition
            && flags
                .names
                .iter()
                .chain(&flags.taken)
                .any(|n| mentions(cond, n))
        {
            return;
        }
        // The handler forwards the shutdown (cancels a child token, closes, drains) and another
        // branch of the same `select!` leaves the loop when the forwarded work ends.
        if flags.forwards
            && all.iter().any(|other| {
                !std::ptr::eq(other, b) && {
                    let mut s = Stops {
                        labels: &labels,
                        nested_loops: 0,
                        found: false,
                    };
                    s.visit_expr(&other.handler);
                    s.found
                }
            })
        {
            return;
        }
        if flags
            .names
            .iter()
            .any(|n| ident_occurs(loop_text, lp.range.start, n, &handler_range))
        {
            return;
        }
        // The loop checks the token/flag itself after the select (`if token.is_cancelled() { break }`).
        if ["is_cancelled", "is_shutdown", "is_stopped", "is_terminated"]
            .iter()
            .any(|w| occurs_outside(loop_text, lp.range.start, w, mac_range))
        {
            return;
        }
        let keyword = lp.keyword.clone();
        let range = self.cx.range(pat).start..handler_range.end;
        let future_text = self.cx.text(self.cx.range(future));
        let future_desc = if future_text.len() > 40 || future_text.contains('\n') {
            final_ident(future)
                .map_or_else(|| "the shutdown future".to_string(), |n| format!("{n}(..)"))
        } else {
            future_text.to_string()
        };
        let fix = self.break_fix(&b.handler, handler_range, flags.has_continue);
        self.sink
            .report(&SWALLOWED_CANCELLATION, range, select_message(&future_desc))
            .label(keyword, "this loop keeps running")
            .help(SELECT_HELP)
            .fix(fix);
    }

    fn break_fix(&self, handler: &Expr, range: Range<usize>, has_continue: bool) -> Fix {
        let msg = "leave the loop: `break` in this branch";
        if let Expr::Block(b) = handler
            && b.label.is_none()
            && !has_continue
            && let Some(last) = b.block.stmts.last()
        {
            let last_end = self.cx.range(last).end;
            let close = self.cx.span_range(b.block.brace_token.span.close()).start;
            let between = self.cx.text(last_end..close);
            let needs_semi = matches!(last, Stmt::Expr(e, None) if !block_like(e))
                || matches!(last, Stmt::Macro(m) if m.semi_token.is_none() && !matches!(m.mac.delimiter, syn::MacroDelimiter::Brace(_)));
            let semi = if needs_semi { ";" } else { "" };
            let text = if between.contains('\n') {
                let indent = self.indent_at(self.cx.range(last).start);
                format!("{semi}\n{indent}break;")
            } else {
                format!("{semi} break;")
            };
            return Fix::unsafe_(msg, vec![Edit::insert(last_end, text)]);
        }
        let text = match paths::peel(handler) {
            Expr::Block(_) => "{ break; }".to_string(),
            Expr::Continue(_) | Expr::Tuple(_) | Expr::Lit(_) | Expr::Path(_) => {
                "break".to_string()
            }
            _ => format!("{{ {}; break; }}", self.cx.text(range.clone())),
        };
        Fix::unsafe_(msg, vec![Edit::replace(range, text)])
    }
}

/// Whether an expression calls a fn or method anywhere.
fn calls_something(e: &Expr) -> bool {
    struct Calls(bool);
    impl<'ast> Visit<'ast> for Calls {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if matches!(e, Expr::Call(_) | Expr::MethodCall(_) | Expr::Macro(_)) {
                self.0 = true;
            } else {
                visit::visit_expr(self, e);
            }
        }
    }
    let mut c = Calls(false);
    c.visit_expr(e);
    c.0
}

/// Whether a handler does nothing at all (`()`, `{}`).
fn empty_handler(e: &Expr) -> bool {
    match paths::peel(e) {
        Expr::Block(b) => b.block.stmts.is_empty(),
        Expr::Tuple(t) => t.elems.is_empty(),
        _ => false,
    }
}

/// How a discarding method's arguments are shown in messages.
fn method_args(method: &str) -> &'static str {
    if method == "ok" || method == "unwrap_or_default" {
        "()"
    } else {
        "(..)"
    }
}

/// Whether an expression ends with a block, so no `;` is needed after it as a statement.
fn block_like(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Block(_)
            | Expr::If(_)
            | Expr::Match(_)
            | Expr::Loop(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Unsafe(_)
            | Expr::TryBlock(_)
            | Expr::Const(_)
    )
}

fn is_unit_variant_name(i: &syn::Ident) -> bool {
    i.to_string().chars().next().is_some_and(char::is_uppercase)
}

/// Strips `?`, `.unwrap()`, `.expect(..)` from an expression.
fn peel_unwraps(e: &Expr) -> &Expr {
    match paths::peel(e) {
        Expr::Try(t) => peel_unwraps(&t.expr),
        Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
            peel_unwraps(&m.receiver)
        }
        other => other,
    }
}

impl<'ast> Visit<'ast> for Analyzer<'_, '_, '_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    self.cx.imports.borrow_mut().push(items.iter());
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
        self.push_frame();
        self.bind_params(f.sig.inputs.iter());
        self.visit_block(&f.block);
        self.pop_frame();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.push_frame();
        self.bind_params(f.sig.inputs.iter());
        self.visit_block(&f.block);
        self.pop_frame();
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.push_frame();
            self.bind_params(f.sig.inputs.iter());
            self.visit_block(block);
            self.pop_frame();
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
        for stmt in &block.stmts {
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
            Stmt::Macro(m) => self.visit_mac(&m.mac, true),
            Stmt::Item(i) => self.visit_item(i),
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Path(p) => {
                if let Some(id) = p.path.get_ident()
                    && !self.frames.iter().all(Vec::is_empty)
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
                self.loops.push(LoopInfo {
                    label: l.label.as_ref().map(|l| l.name.ident.to_string()),
                    range: self.cx.range(l),
                    keyword: self.cx.span_range(l.loop_token.span),
                    checks_state: false,
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
