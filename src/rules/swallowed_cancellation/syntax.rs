//! Syntax helpers of `swallowed-cancellation`: patterns, mentions, and what a handler does
//! (diverges, inspects the error, stops the loop, sets flags).

use super::*;

// ---------------------------------------------------------------------------------------------
// Small syntax helpers

pub(super) fn ident_of(e: &Expr) -> Option<&syn::Ident> {
    match paths::peel(e) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

/// Strips `&`/`&mut` and parentheses.
pub(super) fn peel_ref(e: &Expr) -> &Expr {
    match paths::peel(e) {
        Expr::Reference(r) => peel_ref(&r.expr),
        other => other,
    }
}

/// The last identifier of a receiver-like expression: `self.shutdown_rx` -> `shutdown_rx`,
/// `handle.token()` -> `token`, `*flag` -> `flag`.
pub(super) fn final_ident(e: &Expr) -> Option<String> {
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

pub(super) fn pat_path_is(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}

/// Strips parentheses, type ascriptions and guards from a pattern.
pub(super) fn peel_pat(p: &Pat) -> &Pat {
    match p {
        Pat::Paren(p) => peel_pat(&p.pat),
        Pat::Type(t) => peel_pat(&t.pat),
        Pat::Guard(g) => peel_pat(&g.pat),
        other => other,
    }
}

/// The single inner pattern of `Name(inner)`.
pub(super) fn tuple_struct_inner<'p>(p: &'p Pat, name: &str) -> Option<&'p Pat> {
    match peel_pat(p) {
        Pat::TupleStruct(ts) if pat_path_is(&ts.path, name) && ts.elems.len() == 1 => {
            ts.elems.first()
        }
        _ => None,
    }
}

pub(super) fn is_wild(p: &Pat) -> bool {
    matches!(peel_pat(p), Pat::Wild(_))
}

/// A plain binding `x`, `mut x` (no `@` subpattern).
pub(super) fn simple_ident(p: &Pat) -> Option<&syn::Ident> {
    match peel_pat(p) {
        Pat::Ident(i) if i.subpat.is_none() => Some(&i.ident),
        _ => None,
    }
}

pub(super) fn macro_name(mac: &syn::Macro) -> Option<String> {
    mac.path.segments.last().map(|s| s.ident.to_string())
}

/// Whether `name` occurs as a whole identifier in `text` at an absolute offset outside `exclude`.
pub(super) fn ident_occurs(text: &str, base: usize, name: &str, exclude: &Range<usize>) -> bool {
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
pub(super) fn occurs_outside(
    text: &str,
    base: usize,
    needle: &str,
    exclude: &Range<usize>,
) -> bool {
    text.match_indices(needle)
        .any(|(at, _)| !(exclude.start <= base + at && base + at < exclude.end))
}

pub(super) const SHUTDOWN_WORDS: &[&str] = &[
    "shutdown",
    "cancel",
    "stop",
    "terminate",
    "ctrl_c",
    "sigterm",
    "sigint",
];

pub(super) fn shutdown_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SHUTDOWN_WORDS.iter().any(|w| lower.contains(w))
}

/// Methods that wait for a signal on a receiver/token (the receiver's name decides).
pub(super) const WAIT_METHODS: &[&str] = &[
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
pub(super) fn is_shutdown_future(e: &Expr) -> bool {
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
pub(super) fn unit_ish(e: &Expr) -> bool {
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

/// Whether an expression calls a fn or method anywhere.
pub(super) fn calls_something(e: &Expr) -> bool {
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
pub(super) fn empty_handler(e: &Expr) -> bool {
    match paths::peel(e) {
        Expr::Block(b) => b.block.stmts.is_empty(),
        Expr::Tuple(t) => t.elems.is_empty(),
        _ => false,
    }
}

/// How a discarding method's arguments are shown in messages.
pub(super) fn method_args(method: &str) -> &'static str {
    if method == "ok" || method == "unwrap_or_default" {
        "()"
    } else {
        "(..)"
    }
}

/// Whether an expression ends with a block, so no `;` is needed after it as a statement.
pub(super) fn block_like(e: &Expr) -> bool {
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

pub(super) fn is_unit_variant_name(i: &syn::Ident) -> bool {
    i.to_string().chars().next().is_some_and(char::is_uppercase)
}

pub(super) use crate::analysis::paths::peel_unwraps;

// ---------------------------------------------------------------------------------------------
// Handler / arm inspection visitors

/// What a block of code does, as far as discarding an error or stopping goes.
#[derive(Default)]
pub(super) struct Effects {
    /// `return`, `?`, a panic, `resume_unwind`, `process::exit`.
    pub(super) diverges: bool,
    /// Calls `is_cancelled()` / `is_panic()` / `into_panic()` / `try_into_panic()`.
    pub(super) inspects: bool,
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
    pub(super) fn visit_mac(&mut self, mac: &syn::Macro) {
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

    pub(super) fn of(e: &Expr) -> Effects {
        let mut fx = Effects::default();
        fx.visit_expr(e);
        fx
    }
}

/// The value of a block-ish expression: its tail expression, recursively.
pub(super) fn tail(e: &Expr) -> &Expr {
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
pub(super) fn handles_error(body: &Expr, binding: Option<&str>) -> bool {
    if binding.is_some_and(|b| used_in(body, b)) {
        return true;
    }
    let fx = Effects::of(body);
    if fx.diverges || fx.inspects {
        return true;
    }
    matches!(tail(body), Expr::Call(c) if paths::call_last_segment(c).is_some_and(|i| i == "Err"))
}

/// Whether a `select!` handler leaves the loop it runs in.
pub(super) struct Stops<'l> {
    pub(super) labels: &'l [Option<String>],
    pub(super) nested_loops: u32,
    pub(super) found: bool,
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
    pub(super) fn visit_mac(&mut self, mac: &syn::Macro) {
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
                if let Some(sel) = macros::parse_select(mac) {
                    for b in &sel.branches {
                        self.visit_expr(&b.handler);
                    }
                }
            }
            MacroKind::ExprList => {
                if let Some(list) = macros::parse_expr_list(mac) {
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
pub(super) struct Flags {
    pub(super) names: Vec<String>,
    pub(super) has_continue: bool,
    /// Receivers emptied by `take()`/`replace(..)` (`trigger.take()` disables `if trigger.is_some()`).
    pub(super) taken: Vec<String>,
    /// Forwards the shutdown: cancels a child token, closes a channel or server, aborts tasks,
    /// sends on a shutdown channel.
    pub(super) forwards: bool,
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
pub(super) const FORWARD_METHODS: &[&str] = &[
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
    "send",
];

pub(super) fn is_compound_assign(op: &syn::BinOp) -> bool {
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
