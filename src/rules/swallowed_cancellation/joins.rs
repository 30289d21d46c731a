//! Join expressions and discards: what a join is (`h.await`, `set.join_next()`, `timeout(d, h)`,
//! `try_join!`), the discarding shapes, their reports and fixes, and `let` statements.

use super::*;

impl Analyzer<'_, '_, '_> {
    /// Classifies a join expression (or a tracked join result); marks a result binding used.
    pub(super) fn joined(&mut self, e: &Expr) -> Option<Join> {
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
                    cond: b.cond.clone(),
                })
            }
            _ => None,
        }
    }

    /// The join a future's output is (`suffix` is appended to its description): a handle, a
    /// spawn, `set.join_next()` / `set.try_join_next()`, `timeout(d, <one of these>)`.
    pub(super) fn join_future(&mut self, e: &Expr, suffix: &str) -> Option<Join> {
        let base = peel_ref(e);
        if let Some(id) = ident_of(base)
            && id != "self"
        {
            let name = id.to_string();
            let Some(b) = self.lookup(&name).filter(|b| b.kind != Kind::Shadow) else {
                return self.untyped_join(base, JOIN_HANDLE, format!("{name}{suffix}"));
            };
            return (b.kind == Kind::Handle && !b.aborted).then(|| Join {
                option: false,
                timeout: false,
                desc: format!("{name}{suffix}"),
                origin: b.origin.clone(),
                origin_label: b.origin_label,
                cond: None,
            });
        }
        if let Expr::MethodCall(m) = base
            && matches!(
                m.method.to_string().as_str(),
                "join_next" | "join_next_with_id" | "try_join_next" | "try_join_next_with_id"
            )
        {
            let recv = peel_ref(&m.receiver);
            // A value of the file's own type (`map: JoinMap<u64>`) is decided crate-wide too.
            let tracked = ident_of(recv)
                .and_then(|id| self.lookup(&id.to_string()))
                .filter(|b| b.kind != Kind::Shadow && b.kind != Kind::Typed);
            let Some(b) = tracked else {
                let desc = format!("{}.{}(){suffix}", self.short_text(recv), m.method);
                // Or a crate type whose `join_next` is declared to return a join result.
                let call = self.cx.range(base);
                return self.untyped_join(recv, JOIN_SET, desc).map(|j| Join {
                    option: true,
                    origin_label: "",
                    cond: j.cond.map(|c| Cond {
                        or: Some((call, JOIN_NEXT_OUTPUT)),
                        ..c
                    }),
                    ..j
                });
            };
            return (b.kind == Kind::JoinSet && !b.aborted).then(|| Join {
                option: true,
                timeout: false,
                desc: format!("{}.{}(){suffix}", b.name, m.method),
                origin: b.origin.clone(),
                origin_label: b.origin_label,
                cond: None,
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
        let value = self.value_kind(base).filter(|k| k.kind == Kind::Handle);
        if self.spawn_call(base) || value.is_some() {
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
                cond: value.and_then(|k| k.cond),
            });
        }
        if matches!(base, Expr::Field(_) | Expr::MethodCall(_) | Expr::Call(_)) {
            let desc = format!("{}{suffix}", self.short_text(base));
            return self.untyped_join(base, JOIN_HANDLE, desc);
        }
        None
    }

    /// A join of `e`, a value the file cannot type (`self.task`, `h` from another file's fn,
    /// `for h in self.handles`): conditional on `e` having the type `ty` crate-wide. None after
    /// the fn aborted such a value.
    pub(super) fn untyped_join(
        &self,
        e: &Expr,
        ty: &'static [&'static str],
        desc: String,
    ) -> Option<Join> {
        if self.untyped_aborts || !self.cx.settings.collect_facts {
            return None;
        }
        Some(Join {
            option: false,
            timeout: false,
            desc,
            origin: None,
            origin_label: "",
            cond: Some(Cond {
                at: self.cx.range(e),
                ty,
                or: None,
            }),
        })
    }

    /// The source text of `e` for a message, shortened when long or multi-line.
    pub(super) fn short_text(&self, e: &Expr) -> String {
        let text = self.cx.text(self.cx.range(e));
        if text.len() <= 40 && !text.contains('\n') {
            return text.to_string();
        }
        match e {
            Expr::MethodCall(m) => format!("..{}(..)", m.method),
            Expr::Field(f) => match &f.member {
                syn::Member::Named(i) => format!("...{i}"),
                syn::Member::Unnamed(i) => format!("...{}", i.index),
            },
            _ => "..".to_string(),
        }
    }

    /// Reports a finding: unconditionally, or (`cond`) if the value it rests on has the
    /// condition's type crate-wide.
    pub(super) fn emit(
        &mut self,
        cond: Option<&Cond>,
        range: Range<usize>,
        message: String,
        decorate: &dyn for<'r> Fn(crate::analysis::Reported<'r>) -> crate::analysis::Reported<'r>,
    ) {
        match cond {
            Some(c) => {
                if let Some((at, ty)) = &c.or {
                    // The same finding on the other condition (the run drops a duplicate).
                    decorate(self.sink.report_by_type(
                        at.clone(),
                        ty.iter().map(|t| t.to_string()).collect(),
                        false,
                        &SWALLOWED_CANCELLATION,
                        range.clone(),
                        message.clone(),
                    ));
                }
                decorate(self.sink.report_by_type(
                    c.at.clone(),
                    c.ty.iter().map(|t| t.to_string()).collect(),
                    false,
                    &SWALLOWED_CANCELLATION,
                    range,
                    message,
                ));
            }
            None => {
                decorate(self.sink.report(&SWALLOWED_CANCELLATION, range, message));
            }
        }
    }

    /// `try_join!(a, b)` where an argument is a handle: its `Err` is a `JoinError`.
    pub(super) fn try_join_of_handles(&mut self, mac: &syn::Macro) -> Option<Join> {
        if !self.is_join_macro(mac, "try_join") {
            return None;
        }
        let args = macros::parse_expr_list(mac)?;
        let first = args.iter().find_map(|a| self.join_future(a, ""))?;
        (!first.option).then(|| Join {
            desc: "try_join!(..)".to_string(),
            ..first
        })
    }

    /// `tokio::join!` / `futures::join!` (or `try_join!` for `name == "try_join"`).
    pub(super) fn is_join_macro(&self, mac: &syn::Macro, name: &str) -> bool {
        if mac.path.segments.last().is_none_or(|s| s.ident != name) {
            return false;
        }
        let canon = self.cx.resolve(&mac.path);
        path_is(&canon, &format!("tokio::{name}"))
            || path_is(&canon, &format!("futures::{name}"))
            || (self.tokio_only && path_is(&canon, name))
    }

    /// `J`, or `J.ok()` / `.unwrap_or_default()` / `.unwrap_or(..)` / `.unwrap_or_else(|_| ..)`;
    /// `J` through Ok-preserving combinators (`J.map(f)`, whose `Err` is still the
    /// `JoinError`), and `J.map_err(|_| ..)` whose closure does not look at the error (as a
    /// whole expression: the caller drops it).
    pub(super) fn discard(&mut self, e: &Expr) -> Option<Discard> {
        if let Some(join) = self.joined(e) {
            return Some(Discard {
                join,
                method: None,
                manual: false,
            });
        }
        let Expr::MethodCall(m) = paths::peel(e) else {
            return None;
        };
        let name = m.method.to_string();
        if matches!(name.as_str(), "map" | "inspect" | "and_then") && m.args.len() == 1 {
            let join = self.joined_chain(e)?;
            return (!join.option && !join.timeout).then_some(Discard {
                join,
                method: None,
                manual: false,
            });
        }
        if name == "map_err" && !maps_error(m) {
            let join = self.joined_chain(&m.receiver)?;
            return (!join.option && !join.timeout).then_some(Discard {
                join,
                method: Some(name),
                manual: true,
            });
        }
        if !self.discarding_method(m) {
            return None;
        }
        let join = self.joined_chain(&m.receiver)?;
        if join.option || join.timeout {
            return None;
        }
        Some(Discard {
            join,
            method: Some(name),
            manual: false,
        })
    }

    pub(super) fn discarding_method(&self, m: &syn::ExprMethodCall) -> bool {
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
    pub(super) fn joined_chain(&mut self, e: &Expr) -> Option<Join> {
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
    pub(super) fn discards_each_result(&mut self, m: &syn::ExprMethodCall) -> bool {
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

    /// `join_all(x).await` whose handles are tracked (`Some(None)`) or iterate a collection
    /// only the crate types (`join_all(self.tasks.drain(..))`: `Some(Some(cond))`, the
    /// condition that its elements are tokio handles).
    pub(super) fn join_all_cond(&self, e: &Expr) -> Option<Option<Cond>> {
        if self.join_all_of_handles(e) {
            return Some(None);
        }
        let Expr::Await(a) = paths::peel(e) else {
            return None;
        };
        let Expr::Call(c) = paths::peel(&a.base) else {
            return None;
        };
        if paths::call_last_segment(c).is_none_or(|i| i != "join_all") || c.args.len() != 1 {
            return None;
        }
        let mut base = peel_ref(&c.args[0]);
        while let Expr::MethodCall(m) = base
            && matches!(
                m.method.to_string().as_str(),
                "into_iter" | "drain" | "iter_mut" | "iter"
            )
        {
            base = peel_ref(&m.receiver);
        }
        let untracked = match ident_of(base) {
            Some(_) if matches!(base, Expr::Path(_)) => false,
            _ => matches!(base, Expr::Field(_) | Expr::MethodCall(_) | Expr::Call(_)),
        };
        (untracked && self.cx.settings.collect_facts).then(|| {
            Some(Cond {
                at: self.cx.range(base),
                ty: HANDLE_ELEMS,
                or: None,
            })
        })
    }

    /// `join_all(handles).await` on a tracked `Vec` of handles.
    pub(super) fn join_all_of_handles(&self, e: &Expr) -> bool {
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

    pub(super) fn indent_at(&self, at: usize) -> String {
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

    pub(super) fn match_fix(&self, stmt: Range<usize>, join_expr: &Expr, option: bool) -> Fix {
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

    pub(super) fn report_discard(
        &mut self,
        range: Range<usize>,
        code: String,
        d: &Discard,
        inner: &Expr,
    ) {
        let join_expr = match (&d.method, paths::peel(inner)) {
            (Some(_), Expr::MethodCall(m)) => &*m.receiver,
            _ => inner,
        };
        if d.join.timeout || d.manual {
            self.report_manual(range, discard_message(&code), &d.join);
            return;
        }
        let fix = self.match_fix(range.clone(), join_expr, d.join.option);
        let help = join_help(&d.join);
        let (origin, origin_label) = (d.join.origin.clone(), d.join.origin_label);
        self.emit(d.join.cond.as_ref(), range, discard_message(&code), &|r| {
            let mut r = r.help(help);
            if let Some(o) = origin.clone() {
                r = r.label(o, origin_label);
            }
            r.fix(fix.clone())
        });
    }

    pub(super) fn report_manual(&mut self, range: Range<usize>, message: String, join: &Join) {
        let help = join_help(join);
        let (origin, origin_label) = (join.origin.clone(), join.origin_label);
        self.emit(join.cond.as_ref(), range, message, &|r| {
            let mut r = r.help(help);
            if let Some(o) = origin.clone() {
                r = r.label(o, origin_label);
            }
            r.fix(Fix::manual(
                "handle the `Err` case: resume the panic, handle cancellation explicitly",
                Vec::new(),
            ))
        });
    }

    pub(super) fn report_join_all(&mut self, cond: Option<&Cond>, range: Range<usize>, code: &str) {
        self.emit(cond, range, join_all_message(code), &|r| {
            r.help("check every result: `for r in join_all(handles).await { r?; }`, or use `try_join_all(handles).await?`")
                .fix(Fix::manual("check every result for panics and cancellation", Vec::new()))
        });
    }

    /// `let` statements: `let _ = J;`, and new tracked bindings.
    pub(super) fn local(&mut self, l: &syn::Local) {
        let Some(init) = &l.init else {
            self.shadow(&l.pat);
            return;
        };
        let mut tails = Vec::new();
        tail_macros(&init.expr, &mut tails);
        for m in tails {
            let at = self.cx.range(m).start;
            self.valued_macros.insert(at);
        }
        let range = self.cx.range(l);
        let mut reported = false;
        if is_wild(&l.pat) {
            if let Some(cond) = self.join_all_cond(&init.expr) {
                self.report_join_all(cond.as_ref(), range.clone(), "let _ = join_all(..).await");
                reported = true;
            } else if let Some(d) = self.discard(&init.expr) {
                let code = match &d.method {
                    Some(m) => format!("let _ = {}.{m}{}", d.join.desc, method_args(m)),
                    None => format!("let _ = {}", d.join.desc),
                };
                self.report_discard(range.clone(), code, &d, &init.expr);
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
            self.bind_result(name, &j, range);
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
    pub(super) fn peek_join(&mut self, e: &Expr) -> Option<Join> {
        if matches!(paths::peel(e), Expr::Await(_)) {
            self.joined(e)
        } else {
            None
        }
    }

    pub(super) fn stmt_expr(&mut self, e: &Expr, semi: &syn::token::Semi) {
        if let Expr::Macro(m) = e {
            self.visit_mac(&m.mac, true);
            return;
        }
        let range = self.cx.range(e).start..self.cx.span_range(semi.span).end;
        if let Some(cond) = self.join_all_cond(e) {
            self.report_join_all(cond.as_ref(), range, "join_all(..).await;");
            visit::visit_expr(self, e);
            return;
        }
        if let Some(d) = self.discard(e) {
            let code = match &d.method {
                Some(m) => format!("{}.{m}{};", d.join.desc, method_args(m)),
                None => format!("{};", d.join.desc),
            };
            self.report_discard(range, code, &d, e);
            visit::visit_expr(self, e);
            return;
        }
        self.visit_expr(e);
    }
}

/// Whether `.map_err(..)` keeps or looks at the error: a one-argument closure that uses or
/// inspects it (`|e| e.to_string()`, `|e| panic!(..)`), or anything that is not such a closure
/// (`MyError::from`). A closure that ignores it (`|_| ()`) does not.
fn maps_error(m: &syn::ExprMethodCall) -> bool {
    match m.args.first().map(paths::peel) {
        Some(Expr::Closure(c)) if m.args.len() == 1 && c.inputs.len() == 1 => {
            let binding = c
                .inputs
                .first()
                .and_then(simple_ident)
                .map(|i| i.to_string());
            handles_error(&c.body, binding.as_deref())
        }
        _ => true,
    }
}

/// The macros whose value is the value of `e` through blocks, `if`/`else` branches and `match`
/// arms (`match s { A => { select! { .. } } .. }`).
fn tail_macros<'e>(e: &'e Expr, out: &mut Vec<&'e syn::Macro>) {
    let block_tail = |b: &'e syn::Block, out: &mut Vec<&'e syn::Macro>| match b.stmts.last() {
        Some(Stmt::Expr(tail, None)) => tail_macros(tail, out),
        Some(Stmt::Macro(m)) if m.semi_token.is_none() => out.push(&m.mac),
        _ => {}
    };
    match paths::peel(e) {
        Expr::Macro(m) => out.push(&m.mac),
        Expr::Block(b) => block_tail(&b.block, out),
        Expr::Unsafe(u) => block_tail(&u.block, out),
        Expr::If(i) => {
            block_tail(&i.then_branch, out);
            if let Some((_, other)) = &i.else_branch {
                tail_macros(other, out);
            }
        }
        Expr::Match(m) => {
            for arm in &m.arms {
                tail_macros(&arm.body, out);
            }
        }
        _ => {}
    }
}
