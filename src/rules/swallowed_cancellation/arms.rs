//! Control flow over join results: `match` arms, `if let`, `while let`, `for` over handles and
//! method calls on results.

use super::*;

impl Analyzer<'_, '_, '_> {
    /// How a branch may leave a loop entered now with `exit`: a `break` of a loop nested in
    /// another loop leaves only the inner one, and the outer one re-enters it with the shutdown
    /// future already complete (a spin), so there the fix is manual. `return` leaves them all.
    pub(super) fn inner_exit(&self, exit: LoopExit) -> LoopExit {
        match exit {
            LoopExit::Break if !self.loops.is_empty() => LoopExit::Manual,
            e => e,
        }
    }

    pub(super) fn visit_match(&mut self, m: &syn::ExprMatch) {
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
                self.bind_result(id.to_string(), j, decl);
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
    pub(super) fn peek_option_join(&mut self, e: &Expr) -> Option<Join> {
        match paths::peel(e) {
            Expr::Await(_) => self.joined(e).filter(|j| j.wrap().is_some()),
            Expr::MethodCall(m) if m.method == "try_join_next" => self.joined(e),
            _ => None,
        }
    }

    pub(super) fn check_arms(&mut self, m: &syn::ExprMatch, join: &Join) {
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

    pub(super) fn visit_if(&mut self, i: &syn::ExprIf) {
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
            self.bind_result(id.to_string(), &j, decl);
        }
        self.visit_block(&i.then_branch);
        self.pop_frame();
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        }
    }

    pub(super) fn visit_while(&mut self, w: &syn::ExprWhile) {
        #[allow(clippy::type_complexity)]
        let mut bound: Option<(String, Kind, Option<Range<usize>>, String, Option<Cond>)> = None;
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
                    } else if is_wild(inner) && !panics_first(&w.body) {
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
                            j.cond.clone(),
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
                bound = Some((id.to_string(), Kind::Handle, None, vec, None));
            }
            self.visit_expr(&l.expr);
            self.push_frame();
            self.shadow(&l.pat);
            self.bind_some_handle(&l.pat, &l.expr);
        } else {
            self.visit_expr(&w.cond);
            self.push_frame();
        }
        if let Some((name, kind, origin, desc, cond)) = bound {
            if name.starts_with('_') && kind == Kind::JoinResult && panics_first(&w.body) {
                // Every result crashes loudly in the body: nothing to report or track.
            } else if name.starts_with('_') && kind == Kind::JoinResult {
                let j = Join {
                    option: true,
                    timeout: false,
                    desc: desc.clone(),
                    origin: origin.clone(),
                    origin_label: "`JoinSet` created here",
                    cond,
                };
                self.report_manual(
                    header.clone(),
                    while_let_message(&desc, &format!("Some({name})")),
                    &j,
                );
            } else if kind == Kind::Handle {
                self.bind_from_vec(name, desc);
            } else {
                self.bind_cond(name, kind, origin, header, desc, cond);
            }
        }
        let checks_state =
            !matches!(paths::peel(&w.cond), Expr::Let(_)) && calls_something(&w.cond);
        self.loops.push(LoopInfo {
            label: w.label.as_ref().map(|l| l.name.ident.to_string()),
            range: self.cx.range(w),
            keyword: self.cx.span_range(w.while_token.span),
            checks_state,
            exit: self.inner_exit(LoopExit::Break),
        });
        self.visit_block(&w.body);
        self.loops.pop();
        self.pop_frame();
    }

    pub(super) fn visit_for(&mut self, f: &syn::ExprForLoop) {
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
            exit: self.inner_exit(LoopExit::Break),
        });
        self.visit_block(&f.body);
        self.loops.pop();
        self.pop_frame();
    }

    pub(super) fn visit_method(&mut self, m: &syn::ExprMethodCall) {
        let method = m.method.to_string();
        match method.as_str() {
            "abort" | "abort_all" | "shutdown" | "detach_all" | "abort_handle" => {
                let tracked = ident_of(peel_ref(&m.receiver))
                    .and_then(|id| self.lookup(&id.to_string()))
                    .is_some_and(|b| b.kind != Kind::Shadow);
                if !tracked {
                    self.untyped_aborts = true;
                }
                if method == "abort_handle" {
                    // A tracked handle's `AbortHandle` is bound by `local`.
                } else if let Some(id) = ident_of(&m.receiver) {
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
                    self.report_join_all(None, range, &code);
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
}

/// Whether a loop body panics before it can do anything else (`{ todo!("shutdown") }`): every
/// result that enters it, failed joins included, crashes loudly, so nothing is swallowed. Only
/// statements that cannot leave the body (`break`, `continue`, `return`, `?`) may come first.
fn panics_first(body: &syn::Block) -> bool {
    for stmt in &body.stmts {
        let mac = match stmt {
            syn::Stmt::Macro(m) => Some(&m.mac),
            syn::Stmt::Expr(Expr::Macro(m), _) => Some(&m.mac),
            _ => None,
        };
        if mac.is_some_and(crate::analysis::bindings::patterns::is_panic_macro) {
            return true;
        }
        if may_leave(quote::ToTokens::to_token_stream(stmt)) {
            return false;
        }
    }
    false
}

/// Whether tokens hold a `break`, `continue`, `return` or `?`.
fn may_leave(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "break" || i == "continue" || i == "return",
        proc_macro2::TokenTree::Punct(p) => p.as_char() == '?',
        proc_macro2::TokenTree::Group(g) => may_leave(g.stream()),
        proc_macro2::TokenTree::Literal(_) => false,
    })
}
