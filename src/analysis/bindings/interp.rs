//! The interpreter's state: drop scopes, tracked values, and the scope-level events (a block, a
//! statement, a `let`, a branch, a move, an `.await`). Expressions are evaluated in `eval.rs`.

use std::ops::Range;

use syn::{Block, Expr, Stmt};

use quote::ToTokens;

use super::patterns::{binding, bound_names, captures_or_mentions, is_ok_pat, moves_name};
use super::{End, Hoist, Hold, Produced, TempCtx, Tracked, Tracker};
use crate::analysis::file::FileCx;
use crate::analysis::paths::peel;
use crate::project::Edition;

/// A value about to be bound by a pattern (`let g = ..`, `if let Ok(g) = m.lock()`).
pub(super) struct Seed<D> {
    pub(super) name: String,
    pub(super) data: D,
    pub(super) range: Range<usize>,
}

/// A tracked value and the model's bookkeeping about it.
pub(super) struct Slot<D> {
    pub(super) t: Tracked<D>,
    /// Frame id of the block whose `let` shadowed the name, if any.
    pub(super) shadowed_in: Option<usize>,
    pub(super) owner: usize,
    pub(super) alive: bool,
    /// Index of the owner block's statement that holds the first crossed `.await`.
    pub(super) first_await_stmt: Option<usize>,
    /// Where a temporary was created: (innermost block frame, statement index, branch depth).
    pub(super) created_at: (usize, usize, u32),
    pub(super) hoist_blocked: bool,
    /// Index of the `let` statement in the owner block.
    pub(super) let_stmt: Option<usize>,
}

struct Frame {
    id: usize,
    /// Block frames own `let` bindings and track the current statement.
    is_block: bool,
    stmt: usize,
    stmt_start: usize,
    /// Edition 2021: the block's tail temporaries belong to the enclosing scope.
    in_tail: bool,
    /// The branch depth the frame was entered at.
    branch_depth: u32,
}

/// One async body's interpreter of bindings, asking `T` which expressions produce values.
pub struct Interp<'c, 'a, T: Tracker> {
    pub(super) cx: &'c FileCx<'a>,
    pub(super) edition2024: bool,
    pub(super) slots: Vec<Slot<T::Data>>,
    frames: Vec<Frame>,
    next_id: usize,
    /// Depth of conditionally evaluated code (branches, loop bodies, lazy operands).
    branch_depth: u32,
    /// Set while evaluating a scrutinee or loop iterator.
    pub(super) temp_ctx: TempCtx,
    /// The rule's side.
    pub tracker: T,
}

impl<'c, 'a, T: Tracker> Interp<'c, 'a, T> {
    /// An interpreter for one body of `cx`'s file.
    pub fn new(cx: &'c FileCx<'a>, tracker: T) -> Self {
        Interp {
            cx,
            edition2024: cx.crate_info.edition >= Edition::E2024,
            slots: Vec::new(),
            frames: Vec::new(),
            next_id: 0,
            branch_depth: 0,
            temp_ctx: TempCtx::Statement,
            tracker,
        }
    }

    /// Interprets a body that is a block (an `async fn`'s or an `async` block's).
    pub fn body_block(&mut self, b: &Block) {
        self.block(b, Vec::new());
    }

    /// Interprets a body that is an expression (an async closure's).
    pub fn body_expr(&mut self, e: &Expr) {
        if let Expr::Block(b) = e {
            return self.body_block(&b.block);
        }
        let end = self.cx.range(e);
        self.push_frame(false);
        self.eval(e);
        self.pop_frame(end.end.saturating_sub(1)..end.end);
    }

    /// Every value the body produced, in creation order.
    pub fn finish(self) -> Vec<Tracked<T::Data>> {
        self.slots
            .into_iter()
            .map(|s| {
                let mut t = s.t;
                if s.hoist_blocked {
                    t.hoist = None;
                }
                t
            })
            .collect()
    }

    pub(super) fn push_frame(&mut self, is_block: bool) -> usize {
        self.tracker.enter();
        let id = self.next_id;
        self.next_id += 1;
        self.frames.push(Frame {
            id,
            is_block,
            stmt: 0,
            stmt_start: 0,
            in_tail: false,
            branch_depth: self.branch_depth,
        });
        id
    }

    /// Ends the innermost scope: its values are dropped at `end`.
    pub(super) fn pop_frame(&mut self, end: Range<usize>) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        self.tracker.exit();
        for g in &mut self.slots {
            if g.owner == frame.id && g.alive {
                g.alive = false;
                g.t.end = Some((end.clone(), End::ScopeEnd));
            }
            if g.shadowed_in == Some(frame.id) {
                g.shadowed_in = None;
            }
        }
    }

    /// The innermost block frame (id, statement index).
    fn block_pos(&self) -> (usize, usize) {
        self.frames
            .iter()
            .rev()
            .find(|f| f.is_block)
            .map_or((usize::MAX, 0), |f| (f.id, f.stmt))
    }

    /// The scope that owns temporaries created now.
    fn temp_owner(&self) -> usize {
        for (i, f) in self.frames.iter().enumerate().rev() {
            if f.is_block && f.in_tail && i > 0 {
                continue;
            }
            return f.id;
        }
        usize::MAX
    }

    pub(super) fn add(
        &mut self,
        hold: Hold,
        name: Option<String>,
        data: T::Data,
        range: Range<usize>,
        owner: usize,
    ) {
        let (bf, stmt) = self.block_pos();
        self.slots.push(Slot {
            t: Tracked {
                hold,
                name,
                ever_shadowed: false,
                data,
                range,
                end: None,
                crossed: Vec::new(),
                hoist: None,
                release: None,
            },
            shadowed_in: None,
            owner,
            alive: true,
            first_await_stmt: None,
            created_at: (bf, stmt, self.branch_depth),
            hoist_blocked: false,
            let_stmt: None,
        });
    }

    /// A temporary produced by `whole`, owned by the scope that owns temporaries now.
    pub(super) fn temp(&mut self, data: T::Data, whole: &Expr) {
        let owner = self.temp_owner();
        let range = self.cx.range(whole);
        self.add(Hold::Temp(self.temp_ctx), None, data, range, owner);
    }

    /// The live, visible named value called `name`.
    pub(super) fn visible(&self, name: &str) -> Option<usize> {
        self.slots
            .iter()
            .rposition(|g| g.alive && g.shadowed_in.is_none() && g.t.name.as_deref() == Some(name))
    }

    fn shadow(&mut self, names: &[String]) {
        let Some(frame) = self.frames.iter().rev().find(|f| f.is_block).map(|f| f.id) else {
            return;
        };
        for g in &mut self.slots {
            if g.shadowed_in.is_none() && g.t.name.as_ref().is_some_and(|n| names.contains(n)) {
                g.shadowed_in = Some(frame);
                g.t.ever_shadowed |= g.alive;
            }
        }
    }

    /// An `.await` (or an awaiting macro) at `range`; `awaited` is the whole awaited expression.
    pub(super) fn await_point(&mut self, range: Range<usize>, awaited: Option<Range<usize>>) {
        let (bf, stmt) = self.block_pos();
        let depth = self.branch_depth;
        let block = self.frames.iter().rev().find(|f| f.is_block);
        let stmt_start = block.map_or(0, |f| f.stmt_start);
        // The awaited expression can be hoisted before its statement only when it is evaluated
        // unconditionally by that statement: not in a match arm, a branch or a lazy operand
        // (where it may not run, and may use the arm's bindings).
        let hoistable = block.is_some_and(|f| f.branch_depth == depth);
        for i in 0..self.slots.len() {
            if !self.slots[i].alive {
                continue;
            }
            let owner = self.slots[i].owner;
            let owner_stmt = self
                .frames
                .iter()
                .find(|f| f.id == owner && f.is_block)
                .map(|f| f.stmt);
            let g = &mut self.slots[i];
            if g.t.crossed.is_empty() {
                g.first_await_stmt = owner_stmt;
                if let (Hold::Temp(_), Some(aw)) = (g.t.hold, &awaited)
                    && hoistable
                    && g.created_at == (bf, stmt, depth)
                    && !(aw.start <= g.t.range.start && g.t.range.end <= aw.end)
                {
                    g.t.hoist = Some(Hoist {
                        awaited: aw.clone(),
                        stmt_start,
                    });
                }
            } else {
                g.hoist_blocked = true;
            }
            g.t.crossed.push(range.clone());
        }
    }

    pub(super) fn kill(&mut self, idx: usize, at: Range<usize>, why: End) {
        if let Some(g) = self.slots.get_mut(idx) {
            g.alive = false;
            g.t.end = Some((at, why));
        }
    }

    /// Evaluates a block whose scope adopts `seeds` (pattern-bound values).
    pub(super) fn block(&mut self, b: &Block, seeds: Vec<Seed<T::Data>>) {
        let id = self.push_frame(true);
        for s in seeds {
            self.add(Hold::Named, Some(s.name), s.data, s.range, id);
        }
        let n = b.stmts.len();
        for (i, s) in b.stmts.iter().enumerate() {
            let start = crate::span::stmt_start(s) + self.cx.base;
            if let Some(f) = self.frames.last_mut() {
                f.stmt = i;
                f.stmt_start = start;
            }
            let is_tail = i + 1 == n && matches!(s, Stmt::Expr(_, None));
            self.stmt(s, is_tail);
        }
        let close = self.cx.span_range(b.brace_token.span.close());
        self.releases(id, b);
        self.pop_frame(close);
    }

    fn stmt(&mut self, s: &Stmt, is_tail: bool) {
        match s {
            Stmt::Local(l) => self.local(l),
            Stmt::Expr(e, semi) => {
                if is_tail && !self.edition2024 {
                    if let Some(f) = self.frames.last_mut() {
                        f.in_tail = true;
                    }
                    self.eval(e);
                    if let Some(f) = self.frames.last_mut() {
                        f.in_tail = false;
                    }
                } else {
                    self.push_frame(false);
                    self.eval(e);
                    let r = self.cx.range(e);
                    let end = match semi {
                        Some(t) => self.cx.span_range(t.span),
                        None => r.end.saturating_sub(1)..r.end,
                    };
                    self.pop_frame(end);
                }
            }
            Stmt::Macro(m) => {
                self.push_frame(false);
                let r = self.cx.range(&m.mac);
                self.eval_macro(&m.mac, r);
                let end = self.cx.range(s);
                self.pop_frame(end.end.saturating_sub(1)..end.end);
            }
            Stmt::Item(_) => {}
        }
    }

    /// `match m.lock() { Ok(g) => g, Err(e) => e.into_inner() }`: a match that yields the value.
    fn matched_value<'e>(&self, e: &'e Expr) -> Option<Produced<'e, T::Data>> {
        let Expr::Match(m) = peel(e) else { return None };
        let ok = m.arms.iter().any(|a| is_ok_pat(&a.pat));
        let yields = m.arms.iter().any(|a| {
            super::patterns::arm_binding(&a.pat)
                .is_some_and(|name| matches!(peel(&a.body), Expr::Path(p) if p.path.is_ident(name)))
        });
        if !yields {
            return None;
        }
        self.tracker.fallible_value(&m.expr, ok)
    }

    /// `&*m.lock().unwrap()`, `&m.borrow().field`: a reference that extends the value's life.
    fn extended_value<'e>(&self, e: &'e Expr) -> Option<(Produced<'e, T::Data>, &'e Expr)> {
        let Expr::Reference(r) = peel(e) else {
            return None;
        };
        let mut cur = peel(&r.expr);
        loop {
            match cur {
                Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => cur = peel(&u.expr),
                Expr::Field(f) => cur = peel(&f.base),
                _ => break,
            }
        }
        self.tracker.value(cur).map(|a| (a, cur))
    }

    fn local(&mut self, l: &syn::Local) {
        let semi = self.cx.span_range(l.semi_token.span);
        let mut names = Vec::new();
        bound_names(&l.pat, &mut names);
        let Some(init) = &l.init else {
            self.shadow(&names);
            self.tracker.bind_local(l);
            return;
        };
        let block_owner = self
            .frames
            .iter()
            .rev()
            .find(|f| f.is_block)
            .map_or(usize::MAX, |f| f.id);
        // `let x = g;`: the value moves into `x`.
        if let Expr::Path(p) = peel(&init.expr)
            && let Some(id) = p.path.get_ident()
            && let Some(idx) = self.visible(&id.to_string())
            && init.diverge.is_none()
            && let Some((new, false)) = binding(&l.pat)
        {
            let new = new.to_string();
            self.shadow(&names);
            let g = &mut self.slots[idx];
            g.t.name = Some(new);
            g.shadowed_in = None;
            g.owner = block_owner;
            g.t.hold = Hold::Named;
            self.tracker.bind_local(l);
            return;
        }
        // `#[cfg(feature = "sync")] let g = m.lock()..;` next to an awaited twin: the async variant
        // of the code is compiled without it.
        let cfgd = l.attrs.iter().any(|a| a.path().is_ident("cfg"));
        let named = binding(&l.pat).filter(|_| !cfgd).and_then(|(id, unwraps)| {
            let acq = if unwraps {
                self.tracker.fallible_value(&init.expr, is_ok_pat(&l.pat))
            } else {
                self.tracker
                    .value(&init.expr)
                    .or_else(|| self.matched_value(&init.expr))
            }?;
            Some((id.to_string(), acq))
        });
        self.push_frame(false);
        let mut seed = None;
        let mut extended = None;
        if let Some((name, acq)) = named {
            self.eval_core(&acq);
            let shown = match peel(&init.expr) {
                Expr::Match(m) => self.cx.range(&*m.expr),
                _ => self.cx.range(&*init.expr),
            };
            seed = Some(Seed {
                name,
                data: acq.data,
                range: shown,
            });
        } else if !cfgd && let Some((acq, whole)) = self.extended_value(&init.expr) {
            self.eval_core(&acq);
            extended = Some((acq.data, self.cx.range(whole)));
        } else if !cfgd
            && init.diverge.is_none()
            && let Some((id, false)) = binding(&l.pat)
            && let Some(data) = self.tracker.bound_value(&init.expr)
        {
            self.eval(&init.expr);
            seed = Some(Seed {
                name: id.to_string(),
                data,
                range: self.cx.range(&*init.expr),
            });
        } else {
            self.eval(&init.expr);
        }
        if let Some((else_token, diverge)) = &init.diverge {
            // `let .. else`: when the pattern fails to match, the initializer's temporaries
            // (lifetime-extended ones included) are dropped before the `else` block runs
            // (rust-lang/rust#99518), so they end at `else`; a guard the pattern binds is added
            // only after the statement.
            self.pop_frame(self.cx.span_range(else_token.span));
            self.branch(|s| s.eval(diverge), true);
        } else {
            self.pop_frame(semi);
        }
        self.shadow(&names);
        if let Some(s) = seed {
            self.add(Hold::Named, Some(s.name), s.data, s.range, block_owner);
            let stmt = self
                .frames
                .iter()
                .rev()
                .find(|f| f.is_block)
                .map(|f| f.stmt);
            if let Some(g) = self.slots.last_mut() {
                g.let_stmt = stmt;
            }
        } else if let Some((data, range)) = extended {
            self.add(Hold::Extended, None, data, range, block_owner);
        }
        self.tracker.bind_local(l);
    }

    /// Runs conditionally evaluated code; if it always diverges, values it killed are revived
    /// for the code after it.
    pub(super) fn branch(&mut self, f: impl FnOnce(&mut Self), diverging: bool) {
        let snapshot: Vec<bool> = self.slots.iter().map(|g| g.alive).collect();
        self.branch_depth += 1;
        f(self);
        self.branch_depth -= 1;
        if diverging {
            for (g, was) in self.slots.iter_mut().zip(snapshot) {
                if was && !g.alive {
                    g.alive = true;
                    g.t.end = None;
                }
            }
        }
    }

    /// A value in a moving position (call argument, struct field, return value, ..).
    pub(super) fn consume(&mut self, e: &Expr) {
        let p = peel(e);
        if let Expr::Path(path) = p
            && path.qself.is_none()
            && let Some(id) = path.path.get_ident()
            && let Some(idx) = self.visible(&id.to_string())
        {
            let r = self.cx.range(p);
            self.kill(idx, r, End::Moved);
            return;
        }
        // A bare `m.lock()` handed to a function is a future (`timeout(d, m.lock())`), and a bare
        // `x.borrow_mut()` there is `BorrowMut::borrow_mut` (a RefCell borrow would be `&mut *..`).
        if let Some(recv) = self.tracker.inert(p) {
            self.eval(recv);
            return;
        }
        self.eval(e);
    }

    pub(super) fn any_named_alive(&self) -> bool {
        self.slots.iter().any(|g| g.alive && g.t.name.is_some())
    }

    /// A `move` closure or `async move` block mentioning a value (also as an inline format
    /// argument, `"{g}"`) takes it. `body` is the closure's body or the block, `text` a byte
    /// range of the file that holds it: a name absent from that text cannot be mentioned, so
    /// the body's tokens are only built when some alive name occurs there.
    pub(super) fn capture(&mut self, e: &Expr, body: &dyn ToTokens, text: Option<Range<usize>>) {
        let candidates: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                let g = &self.slots[i];
                g.alive
                    && g.shadowed_in.is_none()
                    && g.t.name.as_deref().is_some_and(|n| {
                        text.as_ref()
                            .is_none_or(|r| self.cx.text(r.clone()).contains(n))
                    })
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let tokens = body.to_token_stream();
        let r = self.cx.range(e);
        for i in candidates {
            if self.slots[i]
                .t
                .name
                .as_deref()
                .is_some_and(|n| captures_or_mentions(&tokens, n))
            {
                self.kill(i, r.clone(), End::Moved);
            }
        }
    }

    /// A closure that moves a value in its body (`|| drop(g)`, `|| consume(g)`) captures it by
    /// value: the value leaves this scope with the closure.
    pub(super) fn capture_moved(&mut self, body: &Expr, e: &Expr) {
        let r = self.cx.range(e);
        for i in 0..self.slots.len() {
            let g = &self.slots[i];
            if g.alive
                && g.shadowed_in.is_none()
                && let Some(n) = &g.t.name
                && moves_name(body, n)
            {
                self.kill(i, r.clone(), End::Moved);
            }
        }
    }
}
