//! Evaluation of expressions in order: where values are produced, moved, dropped and awaited
//! across, and which scopes conditions, arms, loops and macros open.

use std::ops::Range;

use syn::{BinOp, Expr, Pat};

use super::interp::Seed;
use super::patterns::{
    arm_binding, binding, block_diverges, contains_let, diverges, is_drop_call, is_future_adapter,
    is_ok_pat,
};
use super::{End, Hold, Produced, TempCtx, Tracker};
use crate::analysis::bindings::Interp;
use crate::analysis::macros::{self, MacroKind};
use crate::analysis::paths::peel;

impl<T: Tracker> Interp<'_, '_, T> {
    /// Evaluates the operands of a producer's core call.
    pub(super) fn eval_core(&mut self, acq: &Produced<'_, T::Data>) {
        match acq.core {
            Expr::MethodCall(mc) => {
                self.eval(&mc.receiver);
                for a in &mc.args {
                    self.eval(a);
                }
            }
            Expr::Call(c) => {
                for a in &c.args {
                    self.eval(a);
                }
            }
            _ => {}
        }
    }

    /// Whether `mc` hands a produced value by value to a closure: `and_then`, `map`,
    /// `map_or(_else)`, `is_some_and`, `is_ok_and` on the acquisition's `Result`/`Option`
    /// (through `ok`, `map_err`, `ok_or(_else)`), with a closure argument.
    fn moves_into_closure(&self, mc: &syn::ExprMethodCall) -> bool {
        let consumes = [
            "and_then",
            "map",
            "map_or",
            "map_or_else",
            "is_some_and",
            "is_ok_and",
        ]
        .iter()
        .any(|m| mc.method == m);
        if !consumes || !mc.args.iter().any(|a| matches!(peel(a), Expr::Closure(_))) {
            return false;
        }
        let mut recv = peel(&mc.receiver);
        loop {
            if self.tracker.value(recv).is_some() {
                return true;
            }
            match recv {
                Expr::MethodCall(inner)
                    if ["ok", "map_err", "ok_or", "ok_or_else"]
                        .iter()
                        .any(|m| inner.method == m) =>
                {
                    recv = peel(&inner.receiver);
                }
                _ => return false,
            }
        }
    }

    pub(super) fn eval(&mut self, e: &Expr) {
        match e {
            Expr::Await(a) => {
                if let Some(recv) = self.tracker.inert(&a.base) {
                    // `m.lock().await`: an async lock.
                    self.eval(recv);
                } else {
                    self.consume(&a.base);
                }
                let start = self.cx.span_range(a.dot_token.span).start;
                let end = self.cx.span_range(a.await_token.span).end;
                let whole = self.cx.range(e);
                self.await_point(start..end, Some(whole));
            }
            Expr::MethodCall(mc) => {
                if let Some(acq) = self.tracker.value(e) {
                    if acq.wrapped {
                        self.eval_wrapper_args(e, acq.core);
                    }
                    self.eval_core(&acq);
                    self.temp(acq.data, e);
                    return;
                }
                if mc.args.is_empty() && is_future_adapter(&mc.method) {
                    if let Some(recv) = self.tracker.inert(&mc.receiver) {
                        self.eval(recv);
                        return;
                    }
                }
                let before = self.slots.len();
                self.eval(&mc.receiver);
                if self.moves_into_closure(mc) {
                    // `m.try_lock().ok().and_then(|g| ..)`: the value is the closure's, not a
                    // temporary of the statement.
                    let r = self.cx.range(e);
                    for idx in before..self.slots.len() {
                        if matches!(self.slots[idx].t.hold, Hold::Temp(_)) {
                            self.kill(idx, r.clone(), End::MovedIntoClosure);
                        }
                    }
                }
                for a in &mc.args {
                    self.consume(a);
                }
            }
            Expr::Call(c) => {
                self.eval(&c.func);
                if is_drop_call(c)
                    && c.args.len() == 1
                    && let Expr::Path(p) = peel(&c.args[0])
                    && let Some(id) = p.path.get_ident()
                    && let Some(idx) = self.visible(&id.to_string())
                {
                    let r = self.cx.range(e);
                    self.kill(idx, r, End::Dropped);
                    return;
                }
                for a in &c.args {
                    self.consume(a);
                }
            }
            Expr::Try(t) => {
                if let Some(acq) = self.tracker.value(e) {
                    self.eval_wrapper_args(e, acq.core);
                    self.eval_core(&acq);
                    self.temp(acq.data, e);
                } else {
                    self.eval(&t.expr);
                }
            }
            Expr::Macro(m) => {
                let r = self.cx.range(e);
                self.eval_macro(&m.mac, r);
            }
            Expr::Block(b) => self.block(&b.block, Vec::new()),
            Expr::Unsafe(u) => self.block(&u.block, Vec::new()),
            Expr::TryBlock(t) => self.block(&t.block, Vec::new()),
            Expr::Const(_)
            | Expr::Lit(_)
            | Expr::Path(_)
            | Expr::Continue(_)
            | Expr::Infer(_)
            | Expr::Verbatim(_) => {}
            Expr::Async(a) if a.capture.is_some() && self.any_named_alive() => {
                let braces = self.cx.span_range(a.block.brace_token.span.join());
                self.capture(e, &a.block, Some(braces));
            }
            Expr::Closure(c) if c.capture.is_some() && self.any_named_alive() => {
                let body = crate::span::cheap_expr_range(&c.body)
                    .map(|r| r.start + self.cx.base..r.end + self.cx.base);
                self.capture(e, &c.body, body);
            }
            Expr::Closure(c) if self.any_named_alive() => self.capture_moved(&c.body, e),
            Expr::Async(_) | Expr::Closure(_) => {}
            Expr::If(i) => self.eval_if(i),
            Expr::Match(m) => self.eval_match(m),
            Expr::While(w) => {
                let body_close = self.cx.span_range(w.body.brace_token.span.close());
                self.branch(
                    |s| {
                        if contains_let(&w.cond) {
                            s.push_frame(false);
                            let seeds = s.eval_cond(&w.cond, TempCtx::WhileLet);
                            s.block(&w.body, seeds);
                            s.pop_frame(body_close);
                        } else {
                            s.push_frame(false);
                            s.eval(&w.cond);
                            let r = s.cx.range(&*w.cond);
                            s.pop_frame(r);
                            s.block(&w.body, Vec::new());
                        }
                    },
                    false,
                );
            }
            Expr::ForLoop(f) => {
                let saved = std::mem::replace(&mut self.temp_ctx, TempCtx::For);
                self.eval(&f.expr);
                self.temp_ctx = saved;
                self.branch(
                    |s| {
                        s.tracker.enter();
                        s.tracker.bind_pat(&f.pat);
                        s.block(&f.body, Vec::new());
                        s.tracker.exit();
                    },
                    false,
                );
            }
            Expr::Loop(l) => self.branch(|s| s.block(&l.body, Vec::new()), false),
            Expr::Binary(b) => match b.op {
                BinOp::And(_) | BinOp::Or(_) => {
                    self.eval(&b.left);
                    self.branch(
                        |s| {
                            s.push_frame(false);
                            s.eval(&b.right);
                            let r = s.cx.range(&*b.right);
                            s.pop_frame(r);
                        },
                        false,
                    );
                }
                BinOp::AddAssign(_)
                | BinOp::SubAssign(_)
                | BinOp::MulAssign(_)
                | BinOp::DivAssign(_)
                | BinOp::RemAssign(_)
                | BinOp::BitXorAssign(_)
                | BinOp::BitAndAssign(_)
                | BinOp::BitOrAssign(_)
                | BinOp::ShlAssign(_)
                | BinOp::ShrAssign(_) => {
                    self.eval(&b.right);
                    self.eval(&b.left);
                }
                _ => {
                    self.eval(&b.left);
                    self.eval(&b.right);
                }
            },
            Expr::Assign(a) => {
                self.consume(&a.right);
                self.eval(&a.left);
            }
            Expr::Return(r) => {
                if let Some(v) = &r.expr {
                    self.consume(v);
                }
            }
            Expr::Break(b) => {
                if let Some(v) = &b.expr {
                    self.consume(v);
                }
            }
            Expr::Yield(y) => {
                if let Some(v) = &y.expr {
                    self.consume(v);
                }
            }
            Expr::Struct(s) => {
                for f in &s.fields {
                    self.consume(&f.expr);
                }
                if let Some(r) = &s.rest {
                    self.eval(r);
                }
            }
            Expr::Tuple(t) => t.elems.iter().for_each(|x| self.consume(x)),
            Expr::Array(a) => a.elems.iter().for_each(|x| self.consume(x)),
            Expr::Repeat(r) => self.eval(&r.expr),
            Expr::Cast(c) => self.eval(&c.expr),
            Expr::Field(f) => self.eval(&f.base),
            Expr::Group(g) => self.eval(&g.expr),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Index(i) => {
                self.eval(&i.expr);
                self.eval(&i.index);
            }
            Expr::Range(r) => {
                if let Some(s) = &r.start {
                    self.eval(s);
                }
                if let Some(x) = &r.end {
                    self.eval(x);
                }
            }
            Expr::Reference(r) => self.eval(&r.expr),
            Expr::RawAddr(r) => self.eval(&r.expr),
            Expr::Unary(u) => self.eval(&u.expr),
            Expr::Let(l) => {
                self.eval(&l.expr);
                self.tracker.bind_pat(&l.pat);
            }
            _ => {}
        }
    }

    /// Arguments of the wrappers around a producer's core call (`expect("msg")`, `map_err(..)`).
    fn eval_wrapper_args(&mut self, e: &Expr, core: &Expr) {
        let mut cur = peel(e);
        loop {
            match cur {
                _ if std::ptr::eq(cur, core) => return,
                Expr::Try(t) => cur = peel(&t.expr),
                Expr::MethodCall(mc) => {
                    for a in &mc.args {
                        self.eval(a);
                    }
                    cur = peel(&mc.receiver);
                }
                _ => return,
            }
        }
    }

    fn eval_cond(&mut self, cond: &Expr, ctx: TempCtx) -> Vec<Seed<T::Data>> {
        if let Expr::Let(l) = peel(cond)
            && let Some((name, unwraps)) = binding(&l.pat)
        {
            let acq = if unwraps {
                self.tracker.fallible_value(&l.expr, is_ok_pat(&l.pat))
            } else {
                self.tracker.value(&l.expr)
            };
            if let Some(acq) = acq {
                self.eval_core(&acq);
                self.tracker.bind_pat(&l.pat);
                return vec![Seed {
                    name: name.to_string(),
                    data: acq.data,
                    range: self.cx.range(&*l.expr),
                }];
            }
        }
        let saved = std::mem::replace(&mut self.temp_ctx, ctx);
        self.eval(cond);
        self.temp_ctx = saved;
        Vec::new()
    }

    fn eval_if(&mut self, i: &syn::ExprIf) {
        let then_close = self.cx.span_range(i.then_branch.brace_token.span.close());
        let then_diverges = block_diverges(&i.then_branch);
        if contains_let(&i.cond) {
            if self.edition2024 {
                // Edition 2024: the scrutinee's temporaries are dropped before `else`.
                self.push_frame(false);
                let seeds = self.eval_cond(&i.cond, TempCtx::IfLet);
                self.branch(|s| s.block(&i.then_branch, seeds), then_diverges);
                self.pop_frame(then_close);
            } else {
                let seeds = self.eval_cond(&i.cond, TempCtx::IfLet);
                self.branch(|s| s.block(&i.then_branch, seeds), then_diverges);
            }
        } else {
            self.push_frame(false);
            self.eval(&i.cond);
            let r = self.cx.range(&*i.cond);
            self.pop_frame(r);
            self.branch(|s| s.block(&i.then_branch, Vec::new()), then_diverges);
        }
        if let Some((_, els)) = &i.else_branch {
            let d = diverges(els);
            self.branch(|s| s.eval(els), d);
        }
    }

    fn eval_match(&mut self, m: &syn::ExprMatch) {
        // `match m.lock() { Ok(g) => .., Err(e) => .. }`: the arm binding owns the guard.
        let bound = self
            .tracker
            .fallible_value(&m.expr, m.arms.iter().any(|a| is_ok_pat(&a.pat)))
            .filter(|_| m.arms.iter().any(|a| arm_binding(&a.pat).is_some()));
        if let Some(acq) = &bound {
            self.eval_core(acq);
        } else {
            let saved = std::mem::replace(&mut self.temp_ctx, TempCtx::Match);
            self.eval(&m.expr);
            self.temp_ctx = saved;
        }
        for arm in &m.arms {
            let mut seeds = Vec::new();
            if let Some(acq) = &bound
                && let Some(name) = arm_binding(&arm.pat)
            {
                seeds.push(Seed {
                    name: name.to_string(),
                    data: acq.data.clone(),
                    range: self.cx.range(&*m.expr),
                });
            }
            let d = diverges(&arm.body);
            self.branch(
                |s| {
                    s.tracker.enter();
                    s.tracker.bind_pat(&arm.pat);
                    if let Pat::Guard(g) = &arm.pat {
                        s.push_frame(false);
                        s.eval(&g.guard);
                        let r = s.cx.range(&*g.guard);
                        s.pop_frame(r);
                    }
                    match &*arm.body {
                        Expr::Block(b) if b.label.is_none() => s.block(&b.block, seeds),
                        body => {
                            let id = s.push_frame(false);
                            for seed in seeds {
                                s.add(Hold::Named, Some(seed.name), seed.data, seed.range, id);
                            }
                            s.eval(body);
                            let r = s.cx.range(body);
                            s.pop_frame(r.end.saturating_sub(1)..r.end);
                        }
                    }
                    s.tracker.exit();
                },
                d,
            );
        }
    }

    pub(super) fn eval_macro(&mut self, mac: &syn::Macro, range: Range<usize>) {
        let kind = macros::kind(mac);
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let label = self.cx.range(&mac.path).start..self.cx.span_range(mac.bang_token.span).end;
        match kind {
            MacroKind::Select => {
                let Some(sel) = macros::parse_select(mac) else {
                    self.await_point(label, None);
                    return;
                };
                for b in &sel.branches {
                    if let Some(f) = &b.future {
                        self.consume(f);
                    }
                }
                self.await_point(label, None);
                for b in &sel.branches {
                    let d = diverges(&b.handler);
                    self.branch(
                        |s| {
                            s.push_frame(false);
                            s.eval(&b.handler);
                            let r = s.cx.range(&b.handler);
                            s.pop_frame(r);
                        },
                        d,
                    );
                }
            }
            MacroKind::ExprList if name == "join" || name == "try_join" => {
                if let Some(list) = macros::parse_expr_list(mac) {
                    for e in &list {
                        self.consume(e);
                    }
                }
                self.await_point(label, None);
            }
            MacroKind::ExprList => {
                let moves = name == "pin";
                if let Some(list) = macros::parse_expr_list(mac) {
                    for e in &list {
                        if moves {
                            self.consume(e);
                        } else {
                            self.eval(e);
                        }
                    }
                }
            }
            MacroKind::Opaque => {
                let _ = range;
            }
        }
    }
}
