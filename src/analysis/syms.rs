//! Symbolic types of expressions, for what phase 1 cannot type alone: `self.rt`, a parameter
//! whose type is an alias declared in another file, `self.lock()` of a helper elsewhere. The
//! answer is a [`Sym`] recorded in the file's summary; phase 2 finishes it with the crate's
//! declared types ([`crate::semantic::typing`]). Bindings keep only the byte range of their
//! type or initializer ([`Source`]): it is re-read here, when a rule asks, so unasked bindings
//! cost nothing.

use syn::Expr;

use crate::analysis::file::FileCx;
use crate::analysis::imports::display;
use crate::analysis::locals::Source;
use crate::semantic::items::NONE;
use crate::semantic::types::Sym;

/// How many hops (bindings, fields, calls) an expression's type may take in phase 1.
const MAX_DEPTH: u8 = 8;

/// A memoized "no symbolic type" (see [`crate::analysis::locals::Locals::memoize`]).
const NO_SYM: u32 = NONE - 1;

/// Methods whose result has the receiver's type. `clone`, `to_owned` and `take` are not among
/// them: on a reference or a lock guard they clone (or take) the value behind it, which phase 2
/// peels (`m.lock().unwrap().take()` is an `Option`, not a guard).
const IDENTITY: &[&str] = &["as_ref", "as_mut", "by_ref"];
/// Methods whose result is the receiver's `Ok`/`Some` value.
const UNWRAP: &[&str] = &["unwrap", "expect", "unwrap_unchecked"];

/// The symbolic type of `e` (a [`Sym`] index of the file's summary), or [`NONE`] when syntax
/// says nothing about it. Only when facts are collected.
pub fn sym_of(cx: &FileCx<'_>, e: &Expr) -> u32 {
    query(cx, e, false)
}

/// [`sym_of`] for the receiver of every method call the walk records: only what needs no
/// re-reading of initializers (`self.a.b`, parameters and `let`s with a declared type, statics).
pub fn receiver_sym(cx: &FileCx<'_>, e: &Expr) -> u32 {
    query(cx, e, true)
}

/// Methods of std traits and std's `Option`/`Result`/iterators that a crate's own helper is not
/// reached through: their receivers' types are not asked for ([`receiver_sym`]).
pub fn is_std_combinator(name: &str) -> bool {
    matches!(
        name,
        "clone"
            | "to_string"
            | "to_owned"
            | "len"
            | "is_empty"
            | "is_some"
            | "is_none"
            | "is_ok"
            | "is_err"
            | "iter"
            | "iter_mut"
            | "into_iter"
            | "map"
            | "map_err"
            | "and_then"
            | "unwrap"
            | "unwrap_or"
            | "unwrap_or_else"
            | "unwrap_or_default"
            | "expect"
            | "ok"
            | "err"
            | "as_ref"
            | "as_mut"
            | "as_str"
            | "as_bytes"
            | "collect"
            | "filter"
            | "fmt"
            | "eq"
            | "cmp"
            | "hash"
            | "into"
            | "try_into"
            | "deref"
    )
}

/// Where an expression is read: the bindings it sees, its item scope and impl, how deep the
/// query is, and whether initializers may be re-read.
#[derive(Clone, Copy)]
struct At {
    limit: u32,
    scope: u32,
    imp: u32,
    depth: u8,
    cheap: bool,
}

impl At {
    fn deeper(self) -> At {
        At {
            depth: self.depth + 1,
            ..self
        }
    }
}

fn query(cx: &FileCx<'_>, e: &Expr, cheap: bool) -> u32 {
    if !cx.settings.collect_facts {
        return NONE;
    }
    let at = At {
        limit: cx.locals.borrow().len(),
        scope: cx.item_scope(),
        imp: cx.fn_owner.get().1,
        depth: 0,
        cheap,
    };
    build(cx, e, at).unwrap_or(NONE)
}

fn build(cx: &FileCx<'_>, e: &Expr, at: At) -> Option<u32> {
    if at.depth > MAX_DEPTH {
        return None;
    }
    let d = at.deeper();
    let sym = match e {
        Expr::Paren(p) => return build(cx, &p.expr, d),
        Expr::Group(g) => return build(cx, &g.expr, d),
        Expr::Reference(r) => return build(cx, &r.expr, d),
        // `{ a; b.c.clone() }`: its tail's, when the block binds nothing of its own (the
        // bindings a tail could name are those around the block).
        Expr::Block(b)
            if b.label.is_none()
                && b.block
                    .stmts
                    .iter()
                    .all(|s| !matches!(s, syn::Stmt::Local(_) | syn::Stmt::Item(_))) =>
        {
            return match b.block.stmts.last() {
                Some(syn::Stmt::Expr(tail, None)) => build(cx, tail, d),
                _ => None,
            };
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => return build(cx, &u.expr, d),
        Expr::Path(p) if p.qself.is_none() => {
            if let Some(id) = p.path.get_ident() {
                let name = id.to_string();
                if name == "self" {
                    let imp = at.imp;
                    return (imp != NONE).then(|| cx.items.borrow_mut().sym(Sym::SelfOf(imp)));
                }
                let local = cx.locals.borrow().source_at(&name, at.limit);
                if let Some((index, (src, scope, imp), memo)) = local {
                    // A binding's source reads the same wherever it is used: read it once
                    // (a cheap query reads only declared types).
                    let reads = !at.cheap
                        || match src {
                            Source::Type(..) => true,
                            Source::Init { start, end, .. }
                            | Source::Field { start, end, .. }
                            | Source::Variant { start, end, .. } => {
                                copies_a_place(cx.text(start as usize..end as usize))
                            }
                            _ => false,
                        };
                    if reads && memo != NONE {
                        return (memo != NO_SYM).then_some(memo);
                    }
                    let sym = from_source(cx, src, At { scope, imp, ..d });
                    if reads {
                        cx.locals.borrow_mut().memoize(index, sym.unwrap_or(NO_SYM));
                    }
                    return sym;
                }
            }
            let last = p.path.segments.last()?.ident.to_string();
            // A static or const: `RUNTIME`, `crate::CLIENT`.
            let screaming = last.starts_with(|c: char| c.is_ascii_uppercase())
                && last
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !screaming {
                return None;
            }
            let path = cx.items.borrow_mut().path(&p.path);
            Sym::Static {
                path,
                scope: at.scope,
            }
        }
        Expr::Field(f) => {
            let base = build(cx, &f.base, d)?;
            let name = match &f.member {
                syn::Member::Named(i) => crate::semantic::items::ident_name(i),
                syn::Member::Unnamed(i) => i.index.to_string().into(),
            };
            Sym::Field(base, name)
        }
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let base = build(cx, &m.receiver, d)?;
            if IDENTITY.contains(&name.as_str()) {
                return Some(base);
            }
            if UNWRAP.contains(&name.as_str()) {
                Sym::Unwrap(base)
            } else {
                Sym::MethodRet(base, name.into())
            }
        }
        Expr::Try(t) => Sym::Unwrap(build(cx, &t.expr, d)?),
        Expr::Await(a) => Sym::Await(build(cx, &a.base, d)?),
        Expr::Index(i) => Sym::Elem(build(cx, &i.expr, d)?),
        Expr::Call(c) => {
            let Expr::Path(p) = &*c.func else {
                return None;
            };
            if p.qself.is_some() {
                return None;
            }
            // `Arc::clone(&x)`, `Arc::new(x)`, `Box::new(x)`: a pointer to `x`'s value, whose
            // methods are the value's; `mem::replace(&mut x, ..)`, `mem::take(&mut x)`: `x`'s.
            if let Some(place) = pointer_to_place(cx, c).or_else(|| swapped_place(cx, c)) {
                return build(cx, place, d);
            }
            // A local closure or fn pointer shadows items of that name.
            if let Some(id) = p.path.get_ident()
                && cx
                    .locals
                    .borrow()
                    .source(&id.to_string(), at.limit)
                    .is_some()
            {
                return None;
            }
            let path = cx.items.borrow_mut().path(&p.path);
            Sym::Ret {
                path,
                scope: at.scope,
                caller: cx.fn_owner.get().0,
            }
        }
        _ => return None,
    };
    Some(cx.items.borrow_mut().sym(sym))
}

/// The place `c` makes a smart pointer to, when `c` is `Arc::clone(&x)`, `Rc::new(x)` or
/// `Box::new(x)` on a local or a field chain `x`: the pointer's methods are the place's. (Not
/// on other values: `Arc::clone(&m.lock().unwrap())` clones the `Arc` behind a guard.)
pub fn pointer_to_place<'e>(cx: &FileCx<'_>, c: &'e syn::ExprCall) -> Option<&'e Expr> {
    let [arg] = c.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let mut place = crate::analysis::paths::peel(arg);
    if let Expr::Reference(r) = place {
        place = crate::analysis::paths::peel(&r.expr);
    }
    let mut base = place;
    while let Expr::Field(f) = base {
        base = crate::analysis::paths::peel(&f.base);
    }
    if !matches!(base, Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some()) {
        return None;
    }
    let Expr::Path(f) = crate::analysis::paths::peel(&c.func) else {
        return None;
    };
    let canon = display(&cx.resolve(&f.path));
    let (ty, func) = canon.rsplit_once("::")?;
    (matches!(ty, "std::sync::Arc" | "std::rc::Rc" | "std::boxed::Box")
        && matches!(func, "clone" | "new" | "from"))
    .then_some(place)
}

/// The place whose old value `std::mem::replace(&mut place, v)` or `std::mem::take(&mut place)`
/// returns.
fn swapped_place<'e>(cx: &FileCx<'_>, c: &'e syn::ExprCall) -> Option<&'e Expr> {
    let Expr::Path(f) = crate::analysis::paths::peel(&c.func) else {
        return None;
    };
    let arity = match display(&cx.resolve(&f.path)).as_str() {
        "std::mem::replace" | "core::mem::replace" => 2,
        "std::mem::take" | "core::mem::take" => 1,
        _ => return None,
    };
    match (c.args.len() == arity).then(|| crate::analysis::paths::peel(&c.args[0]))? {
        Expr::Reference(r) if r.mutability.is_some() => Some(&r.expr),
        _ => None,
    }
}

/// Whether an initializer's text only copies a place: a local or a field chain, borrowed,
/// `.clone()`d or `Arc::clone(&..)`d (`self.manager.clone()`, `&ctx.pool`). Typing it costs no
/// more than typing the place, so even a cheap query reads it.
fn copies_a_place(text: &str) -> bool {
    let mut t = text.trim();
    if let Some(inner) = t
        .strip_prefix("Arc::clone(")
        .or_else(|| t.strip_prefix("Rc::clone("))
        .and_then(|r| r.strip_suffix(')'))
    {
        t = inner.trim();
    }
    t = t.strip_suffix(".clone()").unwrap_or(t);
    t = t.strip_prefix('&').unwrap_or(t).trim_start();
    !t.is_empty()
        && t.len() <= 96
        && t.split('.').all(|seg| {
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The collection an iteration's text iterates: `v` of `v.iter()`, `v.iter_mut()`,
/// `v.into_iter()`, `m.values()`, `m.values_mut()`.
fn iterated_place(text: &str) -> &str {
    let t = text.trim();
    [
        ".iter()",
        ".iter_mut()",
        ".into_iter()",
        ".values()",
        ".values_mut()",
    ]
    .iter()
    .find_map(|s| t.strip_suffix(s))
    .unwrap_or(t)
}

/// The collection an element accessor reads: `m` of `m.get(k)`, `v.first()`, `v.last()`,
/// `v.get_mut(i)` (arguments without calls of their own), else the text itself.
fn accessed_place(text: &str) -> &str {
    let t = text.trim();
    let Some(body) = t.strip_suffix(')') else {
        return t;
    };
    let Some(open) = body.rfind('(') else {
        return t;
    };
    let args = &body[open + 1..];
    if args.contains(['(', ')']) {
        return t;
    }
    let head = &body[..open];
    [
        ".get",
        ".get_mut",
        ".first",
        ".last",
        ".first_mut",
        ".last_mut",
    ]
    .iter()
    .find_map(|m| head.strip_suffix(m))
    .unwrap_or(t)
}

/// The symbolic type of a binding from where its value comes from.
fn from_source(cx: &FileCx<'_>, src: Source, at: At) -> Option<u32> {
    let text = |start: u32, end: u32| cx.text(start as usize..end as usize);
    let expr = |start, end| -> Option<Expr> { syn::parse_str(text(start, end)).ok() };
    let sym = match src {
        Source::None => return None,
        Source::Type(start, end) => {
            let ty: syn::Type = syn::parse_str(text(start, end)).ok()?;
            let ty = cx.items.borrow_mut().type_ref(&ty);
            Sym::Decl {
                ty,
                scope: at.scope,
                imp: at.imp,
            }
        }
        // A cheap query re-reads only initializers that copy a place (`self.manager.clone()`).
        Source::Init { start, end, .. } if at.cheap && !copies_a_place(text(start, end)) => {
            return None;
        }
        // An element or the `Some`/`Ok` value of a place (`for w in &self.workers`,
        // `if let Some(d) = &self.disk`): as cheap as the place.
        Source::Elem { start, end, .. }
            if at.cheap && !copies_a_place(iterated_place(text(start, end))) =>
        {
            return None;
        }
        Source::Unwrap { start, end, .. }
            if at.cheap && !copies_a_place(accessed_place(text(start, end))) =>
        {
            return None;
        }
        Source::Field { start, end, .. } if at.cheap && !copies_a_place(text(start, end)) => {
            return None;
        }
        Source::Field {
            start,
            end,
            limit,
            field,
            variant,
        } => {
            let base = build(cx, &expr(start, end)?, At { limit, ..at })?;
            let name = text(field.0, field.1);
            if variant == (0, 0) {
                Sym::Field(base, name.into())
            } else {
                let field = crate::semantic::items::variant_field(text(variant.0, variant.1), name);
                Sym::Field(base, field.into())
            }
        }
        Source::Variant { start, end, .. } if at.cheap && !copies_a_place(text(start, end)) => {
            return None;
        }
        Source::Variant {
            start,
            end,
            limit,
            variant,
            index,
            unwrap,
        } => {
            let mut base = build(cx, &expr(start, end)?, At { limit, ..at })?;
            if unwrap {
                base = cx.items.borrow_mut().sym(Sym::Unwrap(base));
            }
            let field = crate::semantic::items::variant_field(text(variant.0, variant.1), index);
            Sym::Field(base, field.into())
        }
        Source::Init { start, end, limit } => {
            return build(cx, &expr(start, end)?, At { limit, ..at });
        }
        Source::Elem { start, end, limit } => {
            let e = expr(start, end)?;
            Sym::Elem(build(cx, iterated(&e), At { limit, ..at })?)
        }
        Source::Unwrap { start, end, limit } => {
            Sym::Unwrap(build(cx, &expr(start, end)?, At { limit, ..at })?)
        }
    };
    Some(cx.items.borrow_mut().sym(sym))
}

/// Whether `m` is the unwrapping idiom `match e { Ok(x) => x, Err(..) => return .. }` (or
/// `Some(x) => x`): one unguarded arm yields the `Ok`/`Some` value, every other arm leaves the
/// scope, so the match has the type of `e`'s inner value (a `let` bound to it is recorded as
/// [`Source::Unwrap`] of `e`).
pub fn unwrapping_match(m: &syn::ExprMatch) -> bool {
    use crate::analysis::bindings::patterns::{binding, diverges};
    let mut yields = 0;
    for arm in &m.arms {
        // A guarded arm is a `Pat::Guard`, which `binding` does not accept.
        let value = binding(&arm.pat).is_some_and(|(id, unwraps)| {
            unwraps
                && matches!(crate::analysis::paths::peel(&arm.body), Expr::Path(p)
                        if p.qself.is_none() && p.path.is_ident(id))
        });
        if value {
            yields += 1;
        } else if !diverges(&arm.body) {
            return false;
        }
    }
    yields == 1
}

/// The collection a `for` loop (or an iterator adapter's closure) iterates: `v` of
/// `v.iter()`, `v.iter_mut()`, `v.into_iter()`, `v.drain(..)`, also through adapters that keep
/// the items (`v.iter().filter(..)`, `.rev()`, `.skip(n)`, ..): their items are `v`'s elements,
/// after autoderef.
fn iterated(e: &Expr) -> &Expr {
    match e {
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "iter"
                    | "iter_mut"
                    | "into_iter"
                    | "drain"
                    | "filter"
                    | "rev"
                    | "take"
                    | "skip"
                    | "by_ref"
                    | "peekable"
                    | "fuse"
                    | "cloned"
                    | "copied"
                    | "take_while"
                    | "skip_while"
                    | "step_by"
            ) =>
        {
            iterated(&m.receiver)
        }
        Expr::Paren(p) => iterated(&p.expr),
        _ => e,
    }
}

/// The symbolic type of the `Ok`/`Some` value of a value of symbolic type `sym` (for
/// `if let Some(h) = <sym>`), or [`NONE`].
pub fn unwrap_of(cx: &FileCx<'_>, sym: u32) -> u32 {
    derive(cx, sym, Sym::Unwrap)
}

/// The symbolic type of an element of a collection of symbolic type `sym` (for
/// `for h in <sym>`), or [`NONE`].
pub fn elem_of(cx: &FileCx<'_>, sym: u32) -> u32 {
    derive(cx, sym, Sym::Elem)
}

fn derive(cx: &FileCx<'_>, sym: u32, f: fn(u32) -> Sym) -> u32 {
    if sym == NONE {
        return NONE;
    }
    cx.items.borrow_mut().sym(f(sym))
}
