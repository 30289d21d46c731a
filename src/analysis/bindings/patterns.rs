//! Syntactic questions about patterns and statements the binding model asks: which names a
//! pattern binds, whether an expression always leaves its scope, whether a call is `drop(x)`,
//! whether a token stream or closure body mentions or moves a name.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{BinOp, Block, Expr, ExprMethodCall, Pat, Stmt};

use crate::analysis::paths::peel;

/// Whether a pattern is `Ok(..)` (possibly typed or guarded).
pub fn is_ok_pat(pat: &Pat) -> bool {
    match pat {
        Pat::Type(pt) => is_ok_pat(&pt.pat),
        Pat::Guard(g) => is_ok_pat(&g.pat),
        Pat::TupleStruct(ts) => ts.path.segments.last().is_some_and(|s| s.ident == "Ok"),
        _ => false,
    }
}

/// A pattern binding one value: `g`, `mut g`, `g: T` (T not a reference), `Ok(g)`, `Some(g)`.
/// Returns the name and whether the pattern unwraps a `Result`/`Option`.
pub fn binding(pat: &Pat) -> Option<(&syn::Ident, bool)> {
    match pat {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some((&pi.ident, false)),
        Pat::Type(pt) => {
            if matches!(*pt.ty, syn::Type::Reference(_)) {
                return None;
            }
            binding(&pt.pat)
        }
        Pat::TupleStruct(ts) if ts.qself.is_none() && ts.elems.len() == 1 => {
            let last = ts.path.segments.last()?;
            if last.ident != "Ok" && last.ident != "Some" {
                return None;
            }
            match ts.elems.first()? {
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    Some((&pi.ident, true))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Names bound by a pattern, in order (for shadowing).
pub fn bound_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(pi) => {
            out.push(pi.ident.to_string());
            if let Some((_, p)) = &pi.subpat {
                bound_names(p, out);
            }
        }
        Pat::Type(pt) => bound_names(&pt.pat, out),
        Pat::Reference(r) => bound_names(&r.pat, out),
        Pat::Paren(p) => bound_names(&p.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::Or(o) => o.cases.iter().for_each(|p| bound_names(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| bound_names(&f.pat, out)),
        Pat::Guard(g) => bound_names(&g.pat, out),
        _ => {}
    }
}

/// Whether a closure body moves `name`: returns it, passes it by value to a call, or binds it.
pub fn moves_name(body: &Expr, name: &str) -> bool {
    struct Moves<'n> {
        name: &'n str,
        found: bool,
    }
    impl Moves<'_> {
        fn is(&self, e: &Expr) -> bool {
            crate::analysis::paths::is_local(e, self.name)
        }
    }
    impl<'ast> Visit<'ast> for Moves<'_> {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            self.found |= c.args.iter().any(|a| self.is(a));
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, mc: &'ast ExprMethodCall) {
            self.found |= mc.args.iter().any(|a| self.is(a));
            visit::visit_expr_method_call(self, mc);
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            self.found |= l.init.as_ref().is_some_and(|i| self.is(&i.expr));
            visit::visit_local(self, l);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut v = Moves { name, found: false };
    let tail = match peel(body) {
        Expr::Block(b) => match b.block.stmts.last() {
            Some(Stmt::Expr(e, None)) => Some(e),
            _ => None,
        },
        e => Some(e),
    };
    v.found = tail.is_some_and(|t| v.is(t));
    v.visit_expr(body);
    v.found
}

/// Whether a token stream mentions `name` as an identifier.
pub fn mentions(tokens: TokenStream, name: &str) -> bool {
    any_token(
        &tokens,
        &|tt| matches!(tt, TokenTree::Ident(i) if i == name),
    )
}

/// Whether some token of `tokens` (inside groups too) satisfies `hit`.
pub fn any_token(tokens: &TokenStream, hit: &dyn Fn(&TokenTree) -> bool) -> bool {
    tokens.clone().into_iter().any(|tt| match &tt {
        TokenTree::Group(g) => any_token(&g.stream(), hit),
        _ => hit(&tt),
    })
}

/// Whether a token stream mentions `name`: as an identifier, or inside a string literal as an
/// inline format argument (`"{name}"`, `"{name:?}"`).
pub fn captures_or_mentions(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => captures_or_mentions(&g.stream(), name),
        TokenTree::Literal(l) => {
            let s = l.to_string();
            s.contains('{') && format_captures(&s, name)
        }
        TokenTree::Punct(_) => false,
    })
}

/// Whether a string literal's text holds `{name}` or `{name:..}` as a format argument (`{{` is
/// an escaped brace, not an argument).
fn format_captures(lit: &str, name: &str) -> bool {
    let mut rest = lit;
    while let Some(at) = rest.find('{') {
        let after = rest.get(at + 1..).unwrap_or("");
        if let Some(escaped) = after.strip_prefix('{') {
            rest = escaped;
            continue;
        }
        if let Some(tail) = after.strip_prefix(name)
            && (tail.starts_with('}') || tail.starts_with(':'))
        {
            return true;
        }
        rest = after;
    }
    false
}

/// Whether an expression always leaves its scope (`return`, `break`, `continue`, `panic!`, ..).
pub fn diverges(e: &Expr) -> bool {
    match peel(e) {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|s| {
            s.ident == "panic"
                || s.ident == "unreachable"
                || s.ident == "todo"
                || s.ident == "unimplemented"
        }),
        Expr::Block(b) => block_diverges(&b.block),
        _ => false,
    }
}

/// Whether a block's last statement always leaves its scope.
pub fn block_diverges(b: &Block) -> bool {
    match b.stmts.last() {
        Some(Stmt::Expr(e, _)) => diverges(e),
        Some(Stmt::Macro(m)) => is_panic_macro(&m.mac),
        _ => false,
    }
}

/// Whether a fn body provably never completes: it ends in a `loop` that nothing leaves (no
/// `break` to it, no `return` and no `?` anywhere in the body outside closures, async blocks
/// and nested items, no macro whose tokens hold one of those). Such a fn has no output.
pub fn body_never_completes(b: &Block) -> bool {
    let Some(Stmt::Expr(Expr::Loop(last), _)) = b.stmts.last() else {
        return false;
    };
    let (before, _) = b.stmts.split_at(b.stmts.len() - 1);
    // Before the last loop only `return` and `?` leave the fn (a `break` there leaves another
    // loop): no label to match, and bare breaks never at depth 1.
    let mut exits = Exits {
        label: None,
        depth: 2,
        found: false,
    };
    for s in before {
        syn::visit::Visit::visit_stmt(&mut exits, s);
    }
    exits.label = last.label.as_ref().map(|l| l.name.ident.to_string());
    exits.depth = 0;
    // The last loop is entered at depth 1: a bare `break` at that depth leaves it.
    syn::visit::Visit::visit_expr_loop(&mut exits, last);
    !exits.found
}

/// Finds a way out of a fn body for [`body_never_completes`]; `depth` counts the loops
/// entered, the body's last loop being the first.
struct Exits {
    label: Option<String>,
    depth: usize,
    found: bool,
}

impl<'ast> syn::visit::Visit<'ast> for Exits {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Return(_) | Expr::Try(_) => self.found = true,
            Expr::Break(b) => {
                let to_last = match &b.label {
                    Some(l) => self.label.as_ref().is_some_and(|n| l.ident == n),
                    None => self.depth == 1,
                };
                self.found |= to_last;
                syn::visit::visit_expr(self, e);
            }
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.depth += 1;
        syn::visit::visit_expr_loop(self, l);
        self.depth -= 1;
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.depth += 1;
        syn::visit::visit_expr_while(self, w);
        self.depth -= 1;
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.depth += 1;
        syn::visit::visit_expr_for_loop(self, f);
        self.depth -= 1;
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.found |= any_token(&m.tokens, &|tt| match tt {
            TokenTree::Ident(i) => i == "return" || i == "break",
            TokenTree::Punct(p) => p.as_char() == '?',
            _ => false,
        });
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// `panic!`, `unreachable!`, `todo!` or `unimplemented!` (by the macro path's last segment).
pub fn is_panic_macro(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| {
        s.ident == "panic"
            || s.ident == "unreachable"
            || s.ident == "todo"
            || s.ident == "unimplemented"
    })
}

/// `drop(x)`, `mem::drop(x)`, `std::mem::drop(x)`, `core::mem::drop(x)`.
pub fn is_drop_call(call: &syn::ExprCall) -> bool {
    is_mem_fn(&call.func, "drop")
}

/// Whether `func` names `std::mem::{name}`: `name`, `mem::name`, `std::mem::name` or
/// `core::mem::name`.
pub fn is_mem_fn(func: &Expr, name: &str) -> bool {
    let Expr::Path(p) = func else {
        return false;
    };
    let segs = &p.path.segments;
    let is = |i: usize, n: &str| segs.get(i).is_some_and(|s| s.ident == n);
    match segs.len() {
        1 => is(0, name),
        2 => is(0, "mem") && is(1, name),
        3 => (is(0, "std") || is(0, "core")) && is(1, "mem") && is(2, name),
        _ => false,
    }
}

/// Whether a condition holds a `let` (`if let`, `while let`, let chains).
pub fn contains_let(e: &Expr) -> bool {
    match peel(e) {
        Expr::Let(_) => true,
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
            contains_let(&b.left) || contains_let(&b.right)
        }
        _ => false,
    }
}

/// A match arm binding the value of a `Result`/`Option` scrutinee: `Ok(g)`, `Some(g)`.
pub fn arm_binding(pat: &Pat) -> Option<&syn::Ident> {
    let pat = if let Pat::Guard(g) = pat {
        &*g.pat
    } else {
        pat
    };
    match pat {
        Pat::TupleStruct(_) => binding(pat).filter(|(_, unwraps)| *unwraps).map(|(i, _)| i),
        _ => None,
    }
}

/// `.boxed()`, `.fuse()`, ..: future adapters; a producer call in front of them is a future.
pub fn is_future_adapter(m: &syn::Ident) -> bool {
    m == "boxed"
        || m == "boxed_local"
        || m == "fuse"
        || m == "into_future"
        || m == "now_or_never"
        || m == "shared"
}

#[cfg(test)]
mod tests {
    use super::body_never_completes;

    fn never(body: &str) -> bool {
        let f: syn::ItemFn = syn::parse_str(&format!("async fn f() -> R {body}")).unwrap();
        body_never_completes(&f.block)
    }

    #[test]
    fn endless_loops_nothing_leaves_never_complete() {
        assert!(never("{ let a = 1; loop { tick().await; } }"));
        assert!(never("{ loop { for x in v { if x { break; } } } }"));
        assert!(never(
            "{ loop { while go() { break; } let c = || return 1; } }"
        ));
        assert!(never("{ for x in v { break; } loop { info!(\"tick\"); } }"));
        assert!(never("{ 'a: loop { 'b: loop { break 'b; } } }"));
        assert!(!never("{ loop { work().await?; } }"));
        assert!(!never("{ let x = get()?; loop {} }"));
        assert!(!never("{ loop { if done() { break; } } }"));
        assert!(!never("{ 'a: loop { loop { break 'a; } } }"));
        assert!(!never("{ loop { if done() { return Ok(()); } } }"));
        assert!(!never("{ loop { select! { _ = a => break } } }"));
        assert!(!never("{ loop { m!(x?) } }"));
        assert!(never("{ loop {}; }"));
        assert!(!never("{ work().await }"));
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}
