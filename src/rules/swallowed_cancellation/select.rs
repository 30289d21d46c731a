//! Macros: `select!` branches (join results in branch patterns, shutdown branches that keep the
//! loop running) and `join!` tuples.

use super::*;

impl Analyzer<'_, '_, '_> {
    pub(super) fn visit_mac(&mut self, mac: &syn::Macro, discarded: bool) {
        if self.frames.iter().any(|b| b.kind == Kind::JoinResult) {
            self.mark_tokens_used(&mac.tokens);
        }
        if discarded
            && self.is_join_macro(mac, "join")
            && let Some(args) = macros::parse_expr_list(mac)
            && let Some(j) = args
                .iter()
                .find_map(|a| self.join_future(a, "").filter(|j| !j.option))
        {
            let range = self.cx.range(mac);
            self.report_manual(range, discard_message("join!(..);"), &j);
        }
        match macros::kind(mac) {
            MacroKind::Select => {
                let Some(sel) = macros::parse_select(mac) else {
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
                if macros::macro_may_contain_code(mac)
                    && let Some(list) = macros::parse_expr_list(mac)
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
    pub(super) fn select_join(&mut self, pat: &Pat, future: &Expr, handler: &Expr) {
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
                self.bind_result(name, &j, decl);
            }
        }
    }

    pub(super) fn report_select_join(&mut self, pat: &Pat, j: &Join) {
        let p = self.cx.text(self.cx.range(pat)).to_string();
        let range = self.cx.range(pat);
        self.report_manual(range, select_join_message(&p, &j.desc), j);
    }

    /// `let <pat> = join!(a, b)` / `if let <pat> = join!(..)`: each handle's slot of the tuple
    /// holds its join result. Binds the named slots; reports `_` slots, or (`refutable`, for an
    /// `if let` without `else`) `Ok(..)` slots. Returns whether the macro was a join of handles.
    pub(super) fn join_slots(
        &mut self,
        pat: &Pat,
        init: &Expr,
        refutable: Option<Range<usize>>,
    ) -> bool {
        let Expr::Macro(m) = paths::peel(init) else {
            return false;
        };
        if !self.is_join_macro(&m.mac, "join") {
            return false;
        }
        let Some(args) = macros::parse_expr_list(&m.mac) else {
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
                if let Some(j) = joins.iter().flatten().min_by_key(|j| j.cond.is_some()) {
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
                self.bind_result(id.to_string(), &j, range);
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
    pub(super) fn check_branch(
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
                bound_names(e, &mut names);
            }
            if names.iter().any(|n| used_in(&b.handler, n)) {
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
                .any(|n| used_in(cond, n))
        {
            return;
        }
        // The handler forwards the shutdown (cancels a child token, closes, drains, sends it on)
        // and another branch of the same `select!` leaves the loop when the forwarded work ends,
        // or the signal is the only branch: the loop is a dispatcher that passes every signal on
        // (a second Ctrl+C included) to whoever shuts down.
        if flags.forwards && all.iter().filter(|o| o.future.is_some()).count() == 1 {
            return;
        }
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
        let fix = self.break_fix(&b.handler, handler_range, flags.has_continue, lp.exit);
        self.sink
            .report(&SWALLOWED_CANCELLATION, range, select_message(&future_desc))
            .label(keyword, "this loop keeps running")
            .help(SELECT_HELP)
            .fix(fix);
    }

    pub(super) fn break_fix(
        &self,
        handler: &Expr,
        range: Range<usize>,
        has_continue: bool,
        exit: LoopExit,
    ) -> Fix {
        let (msg, leave) = match exit {
            LoopExit::Break => ("leave the loop: `break` in this branch", "break;"),
            LoopExit::ReturnOk => (
                "leave the loop: `return Ok(());` in this branch",
                "return Ok(());",
            ),
            LoopExit::Manual => {
                return Fix::manual(
                    "leave the loop in this branch with the value the loop's caller expects",
                    Vec::new(),
                );
            }
        };
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
                format!("{semi}\n{indent}{leave}")
            } else {
                format!("{semi} {leave}")
            };
            return Fix::unsafe_(msg, vec![Edit::insert(last_end, text)]);
        }
        let text = match paths::peel(handler) {
            Expr::Block(_) => format!("{{ {leave} }}"),
            Expr::Continue(_) | Expr::Tuple(_) | Expr::Lit(_) | Expr::Path(_) => {
                leave.trim_end_matches(';').to_string()
            }
            _ => format!("{{ {}; {leave} }}", self.cx.text(range.clone())),
        };
        Fix::unsafe_(msg, vec![Edit::replace(range, text)])
    }
}
