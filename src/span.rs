//! Cheap byte ranges of common expressions.
//!
//! `syn::spanned::Spanned::span` builds a token stream of the whole node to find its first and
//! last token: linear in the node's size, so calling it on every call expression of a deeply
//! nested body is quadratic. The expressions the engine records most (calls, method calls, paths,
//! `.await`, field accesses) end in a token the AST keeps, so their range is read directly; any
//! other shape falls back to `Spanned`.

use std::ops::Range;

use syn::Expr;
use syn::spanned::Spanned;

/// Byte range of `e` in the parsed text (add the file's base offset for file offsets).
pub fn expr_range(e: &Expr) -> Range<usize> {
    match (start(e), end(e)) {
        (Some(s), Some(t)) if s <= t => s..t,
        _ => e.span().byte_range(),
    }
}

/// Byte range of `e` when it is cheap to know (calls, method calls, paths, fields, `?`,
/// `.await`, indexing), else `None`.
pub fn cheap_expr_range(e: &Expr) -> Option<Range<usize>> {
    match (start(e), end(e)) {
        (Some(s), Some(t)) if s <= t => Some(s..t),
        _ => None,
    }
}

/// Byte range of a type when it is cheap to know (paths, references to them), else `None`.
pub fn cheap_type_range(ty: &syn::Type) -> Option<Range<usize>> {
    match ty {
        syn::Type::Reference(r) => {
            let s = r.and_token.spans[0].byte_range().start;
            let t = cheap_type_range(&r.elem)?.end;
            (s <= t).then_some(s..t)
        }
        syn::Type::Path(p) if p.qself.is_none() => {
            let s = match p.path.leading_colon {
                Some(c) => c.spans[0].byte_range().start,
                None => p.path.segments.first()?.ident.span().byte_range().start,
            };
            let last = p.path.segments.last()?;
            let t = match &last.arguments {
                syn::PathArguments::None => last.ident.span().byte_range().end,
                syn::PathArguments::AngleBracketed(a) => a.gt_token.span.byte_range().end,
                syn::PathArguments::Parenthesized(_) => return None,
            };
            (s <= t).then_some(s..t)
        }
        syn::Type::Paren(p) => {
            cheap_type_range(&p.elem)?;
            let s = p.paren_token.span.open().byte_range().start;
            Some(s..p.paren_token.span.close().byte_range().end)
        }
        // `dyn Trait + Send`, `impl Trait` (trait bounds without parenthesized arguments).
        syn::Type::TraitObject(t) => {
            let s = match &t.dyn_token {
                Some(d) => d.span.byte_range().start,
                None => bound_range(t.bounds.first()?)?.start,
            };
            let e = bound_range(t.bounds.last()?)?.end;
            (s <= e).then_some(s..e)
        }
        syn::Type::ImplTrait(t) => {
            let s = t.impl_token.span.byte_range().start;
            let e = bound_range(t.bounds.last()?)?.end;
            (s <= e).then_some(s..e)
        }
        _ => None,
    }
}

fn bound_range(b: &syn::TypeParamBound) -> Option<Range<usize>> {
    match b {
        syn::TypeParamBound::Trait(t)
            if t.paren_token.is_none() && t.lifetimes.is_none() && t.maybe.is_none() =>
        {
            let ty = syn::Type::Path(syn::TypePath {
                attrs: Vec::new(),
                qself: None,
                path: t.path.clone(),
            });
            cheap_type_range(&ty)
        }
        syn::TypeParamBound::Lifetime(l) => {
            let s = l.apostrophe.byte_range().start;
            Some(s..l.ident.span().byte_range().end)
        }
        _ => None,
    }
}

/// Byte offset where `e` starts, when it is cheap to know.
fn start(e: &Expr) -> Option<usize> {
    match e {
        Expr::Call(c) => start(&c.func),
        Expr::MethodCall(m) => start(&m.receiver),
        Expr::Await(a) => start(&a.base),
        Expr::Field(f) => start(&f.base),
        Expr::Try(t) => start(&t.expr),
        Expr::Index(i) => start(&i.expr),
        Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => p
            .path
            .leading_colon
            .map(|c| c.spans[0].byte_range().start)
            .or_else(|| {
                p.path
                    .segments
                    .first()
                    .map(|s| s.ident.span().byte_range().start)
            }),
        Expr::Paren(p) if p.attrs.is_empty() => Some(p.paren_token.span.open().byte_range().start),
        // `&v`, `&mut self.items` (`for x in &v`).
        Expr::Reference(r) => start(&r.expr).map(|_| r.and_token.spans[0].byte_range().start),
        _ => None,
    }
    .filter(|_| attrs_empty(e))
}

/// Byte offset where `e` ends, when it is cheap to know.
fn end(e: &Expr) -> Option<usize> {
    match e {
        Expr::Call(c) => Some(c.paren_token.span.close().byte_range().end),
        Expr::MethodCall(m) => Some(m.paren_token.span.close().byte_range().end),
        Expr::Await(a) => Some(a.await_token.span.byte_range().end),
        Expr::Try(t) => Some(t.question_token.spans[0].byte_range().end),
        Expr::Index(i) => Some(i.bracket_token.span.close().byte_range().end),
        Expr::Paren(p) => Some(p.paren_token.span.close().byte_range().end),
        Expr::Reference(r) => end(&r.expr),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.span().byte_range().end),
            syn::Member::Unnamed(i) => Some(i.span.byte_range().end),
        },
        Expr::Path(p)
            if p.path
                .segments
                .last()
                .is_some_and(|s| s.arguments.is_none()) =>
        {
            p.path
                .segments
                .last()
                .map(|s| s.ident.span().byte_range().end)
        }
        _ => None,
    }
}

fn attrs_empty(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => c.attrs.is_empty(),
        Expr::MethodCall(m) => m.attrs.is_empty(),
        Expr::Await(a) => a.attrs.is_empty(),
        Expr::Field(f) => f.attrs.is_empty(),
        Expr::Try(t) => t.attrs.is_empty(),
        Expr::Index(i) => i.attrs.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_spanned_on_common_shapes() {
        let src =
            "fn f() { a::b(x).c::<u8>(1)?.d.await; ::std::thread::sleep(d); (x)[0].0; v.len(); }";
        let file: syn::File = syn::parse_str(src).unwrap();
        struct V(usize);
        impl<'a> syn::visit::Visit<'a> for V {
            fn visit_expr(&mut self, e: &'a Expr) {
                assert_eq!(
                    expr_range(e),
                    e.span().byte_range(),
                    "{}",
                    quote::quote!(#e)
                );
                self.0 += 1;
                syn::visit::visit_expr(self, e);
            }
        }
        let mut v = V(0);
        syn::visit::visit_file(&mut v, &file);
        assert!(v.0 > 15);
        proc_macro2::extra::invalidate_current_thread_spans();
    }

    #[test]
    fn type_ranges_match_spanned() {
        for src in [
            "Foo",
            "&'a mut a::B<C<D>, E>",
            "::std::sync::Arc<T>",
            "&Self",
            "&(dyn Registry + Send)",
            "Box<dyn a::Store<u8> + 'static>",
            "&impl Station",
        ] {
            let ty: syn::Type = syn::parse_str(src).unwrap();
            assert_eq!(cheap_type_range(&ty), Some(ty.span().byte_range()), "{src}");
        }
        let closure: syn::Type = syn::parse_str("Box<dyn Fn() -> u8>").unwrap();
        assert_eq!(
            cheap_type_range(&closure),
            Some(closure.span().byte_range())
        );
        let tuple: syn::Type = syn::parse_str("(A, B)").unwrap();
        assert_eq!(cheap_type_range(&tuple), None);
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}
