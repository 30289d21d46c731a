//! The binding environment of `swallowed-cancellation`: which names hold a handle, a `JoinSet`,
//! a `Vec` of handles, a shutdown signal or a join result, from values and declared types.

use super::*;

impl Analyzer<'_, '_, '_> {
    pub(super) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.frames.lookup(name)
    }

    pub(super) fn lookup_mut(&mut self, name: &str) -> Option<&mut Binding> {
        self.frames.lookup_mut(name)
    }

    pub(super) fn kind_of(&self, e: &Expr) -> Option<Kind> {
        let id = ident_of(e)?;
        let name = id.to_string();
        self.lookup(&name).map(|b| b.kind)
    }

    pub(super) fn bind(
        &mut self,
        name: String,
        kind: Kind,
        origin: Option<Range<usize>>,
        decl: Range<usize>,
        target: String,
    ) {
        self.bind_cond(name, kind, origin, decl, target, None);
    }

    /// Binds `name` to the result of the join `j` (conditional when `j` is).
    pub(super) fn bind_result(&mut self, name: String, j: &Join, decl: Range<usize>) {
        let (origin, desc, cond) = (j.origin.clone(), j.desc.clone(), j.cond.clone());
        self.bind_cond(name, Kind::JoinResult, origin, decl, desc, cond);
    }

    /// [`Self::bind`] with the condition the binding's findings rest on.
    pub(super) fn bind_cond(
        &mut self,
        name: String,
        kind: Kind,
        origin: Option<Range<usize>>,
        decl: Range<usize>,
        target: String,
        cond: Option<Cond>,
    ) {
        let origin_label = if kind == Kind::JoinSet || target.contains("join_next") {
            "`JoinSet` created here"
        } else {
            "task spawned here"
        };
        self.frames.bind(Binding {
            name,
            cond,
            kind,
            target,
            origin,
            origin_label,
            decl,
            aborted: false,
            used: false,
        });
    }

    /// Binds `name` to what `known` says, labelled at `origin`.
    pub(super) fn bind_known(
        &mut self,
        name: String,
        known: Known,
        origin: Option<Range<usize>>,
        decl: Range<usize>,
    ) {
        self.bind_cond(name, known.kind, origin, decl, known.target, known.cond);
        if let Some(b) = self.frames.last_mut() {
            b.origin_label = known.label;
        }
    }

    /// What a written type holds: a task type the file's `use`s and aliases prove, or one of the
    /// file's own types (whose methods' declared returns are known).
    pub(super) fn type_kind(&self, ty: &syn::Type) -> Option<Known> {
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
            cond: None,
        })
    }

    /// Binds the typed parameters of a fn whose types prove a handle, set, signal or local type.
    pub(super) fn bind_params<'p>(&mut self, inputs: impl Iterator<Item = &'p syn::FnArg>) {
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
    pub(super) fn returned(
        r: Option<crate::analysis::task_types::Returns>,
        awaited: bool,
    ) -> Option<Known> {
        let r = r?;
        let label = if r.ty == TaskTy::JoinSet {
            "`JoinSet` returned here"
        } else {
            "handle returned here"
        };
        (r.is_async == awaited).then(|| Known::new(Kind::of(r.ty), label))
    }

    /// The declared return of the call `e` to a same-file fn or method (see [`Self::returned`]).
    pub(super) fn call_returns(&self, e: &Expr, awaited: bool) -> Option<Known> {
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
    pub(super) fn value_kind(&self, e: &Expr) -> Option<Known> {
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
        if let Some(k) = self.untyped_spawn(e) {
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
                    cond: b.cond.clone(),
                })
            }
            _ => None,
        }
    }

    /// `rt.spawn(..)` on a receiver the file cannot type (`self.rt`, a runtime from another
    /// file's fn): a handle if the receiver is a tokio `Runtime` or runtime `Handle`.
    fn untyped_spawn(&self, e: &Expr) -> Option<Known> {
        let Expr::MethodCall(m) = paths::peel(e) else {
            return None;
        };
        if !(m.method == "spawn" || m.method == "spawn_blocking") || m.args.len() != 1 {
            return None;
        }
        let recv = peel_ref(&m.receiver);
        let untracked = match ident_of(recv) {
            Some(id) => self
                .lookup(&id.to_string())
                .is_none_or(|b| b.kind == Kind::Shadow),
            None => matches!(recv, Expr::Field(_) | Expr::MethodCall(_) | Expr::Call(_)),
        };
        (untracked && self.cx.settings.collect_facts).then(|| Known {
            cond: Some(Cond {
                at: self.cx.range(recv),
                ty: RUNTIMES,
                or: None,
            }),
            ..Known::new(Kind::Handle, "")
        })
    }

    /// `Some(h)` matched against an `Option<JoinHandle>` (`opt`, `opt.take()`): binds `h`.
    pub(super) fn bind_some_handle(&mut self, pat: &Pat, scrutinee: &Expr) {
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
    pub(super) fn unwrapped(&self, e: &Expr) -> Option<Known> {
        let k = self.value_kind(e)?;
        (k.kind == Kind::OptHandle).then_some(Known {
            kind: Kind::Handle,
            ..k
        })
    }

    /// A shutdown signal source proven by its origin: `signal(SignalKind::..)`, `ctrl_c()`, a
    /// `CancellationToken` (new, cloned, child) or its `cancelled()` future.
    pub(super) fn is_signal(&self, e: &Expr) -> bool {
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
    pub(super) fn signal_future(&self, e: &Expr) -> bool {
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
    pub(super) fn shadow(&mut self, p: &Pat) {
        for n in self.frames.shadowed_by(p) {
            self.bind(n, Kind::Shadow, None, 0..0, String::new());
        }
    }

    pub(super) fn push_frame(&mut self) {
        self.frames.push();
    }

    pub(super) fn pop_frame(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        for b in frame {
            if b.kind == Kind::JoinResult && !b.used {
                let message = unused_result_message(&b.name, &b.target);
                let (origin, origin_label) = (b.origin, b.origin_label);
                self.emit(b.cond.as_ref(), b.decl.clone(), message, &|r| {
                    let mut r = r.help(JOIN_HELP);
                    if let Some(o) = origin.clone() {
                        r = r.label(o, origin_label);
                    }
                    r.fix(Fix::manual(
                        "check the result: propagate panics and handle cancellation",
                        Vec::new(),
                    ))
                });
            }
        }
    }

    pub(super) fn mark_used(&mut self, name: &str) {
        if let Some(b) = self.lookup_mut(name) {
            b.used = true;
        }
    }

    pub(super) fn mark_tokens_used(&mut self, tokens: &TokenStream) {
        let names: Vec<String> = self
            .frames
            .iter()
            .filter(|b| b.kind == Kind::JoinResult && !b.used)
            .map(|b| b.name.clone())
            .collect();
        for n in names {
            if captures_or_mentions(tokens, &n) {
                self.mark_used(&n);
            }
        }
    }

    /// The spawn function a call names, if it returns a tokio `JoinHandle`.
    pub(super) fn spawn_call(&self, e: &Expr) -> bool {
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
    pub(super) fn is_runtime(&self, e: &Expr) -> bool {
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

    pub(super) fn is_join_set_new(&self, e: &Expr) -> bool {
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

    pub(super) fn is_empty_vec(&self, e: &Expr) -> bool {
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
    pub(super) fn is_handle_collection(&self, e: &Expr) -> bool {
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
                macros::parse_expr_list(&m.mac)
                    .is_some_and(|l| !l.is_empty() && l.iter().all(|x| self.spawn_call(x)))
            }
            _ => false,
        }
    }

    /// Whether `e` iterates a tracked `Vec` of handles (`hs`, `&mut hs`, `hs.into_iter()`,
    /// `hs.drain(..)`, `hs.iter_mut()`); `enumerated` when wrapped in `.enumerate()`.
    pub(super) fn iterates_handles(&self, e: &Expr) -> Option<(bool, String)> {
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
    pub(super) fn bind_from_vec(&mut self, name: String, vec: String) {
        let aborted = self.lookup(&vec).is_some_and(|b| b.aborted);
        self.bind(name.clone(), Kind::Handle, None, 0..0, vec);
        if aborted && let Some(b) = self.lookup_mut(&name) {
            b.aborted = true;
        }
    }
}
