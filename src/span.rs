//! Cheap byte ranges of common expressions.
//!
//! `syn::spanned::Spanned::span` builds a token stream of the whole node to find its first and
//! last token: linear in the node's size, so calling it on every call expression of a deeply
//! nested body is quadratic. The expressions the engine records most (calls, method calls, paths,
//! `.await`, field accesses) end in a token the AST keeps, so their range is read directly; any
//! other shape falls back to `Spanned`.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

use syn::Expr;
use syn::spanned::Spanned;

use crate::source::SourceText;

thread_local! {
    /// The file this thread parsed last, with the offset its parse started at (see
    /// [`ParsedFile`]).
    static PARSED: RefCell<Option<(Arc<SourceText>, usize)>> = const { RefCell::new(None) };
}

/// While alive, [`ByteRange::bytes`] reads spans as positions in `source` parsed from byte `base`
/// on: a line/column lookup instead of proc-macro2's `byte_range`, which keeps a map of character
/// offsets per file and cost 5% of a cold run. Install it only around the parse and walk of that
/// text; spans from any other text then read wrong offsets.
pub struct ParsedFile {
    previous: Option<(Arc<SourceText>, usize)>,
}

impl ParsedFile {
    /// Makes `source`, parsed from `base` on, this thread's file until the guard drops.
    pub fn install(source: Arc<SourceText>, base: usize) -> Self {
        ParsedFile {
            previous: PARSED.with(|p| p.replace(Some((source, base)))),
        }
    }
}

impl Drop for ParsedFile {
    fn drop(&mut self) {
        let previous = self.previous.take();
        PARSED.with(|p| *p.borrow_mut() = previous);
    }
}

/// A span's byte range in the parsed text (what `Span::byte_range` gives).
pub trait ByteRange {
    /// The byte range; read from the installed [`ParsedFile`] when there is one.
    fn bytes(&self) -> Range<usize>;
}

impl ByteRange for proc_macro2::Span {
    fn bytes(&self) -> Range<usize> {
        PARSED.with(|p| match &*p.borrow() {
            Some((source, base)) => {
                let (start, end) = (self.start(), self.end());
                source.parsed_offset(*base, start.line, start.column)
                    ..source.parsed_offset(*base, end.line, end.column)
            }
            None => self.byte_range(),
        })
    }
}

/// Byte range of `e` in the parsed text (add the file's base offset for file offsets).
pub fn expr_range(e: &Expr) -> Range<usize> {
    match (start(e), end(e)) {
        (Some(s), Some(t)) if s <= t => s..t,
        _ => e.span().bytes(),
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
            let s = r.and_token.spans[0].bytes().start;
            let t = cheap_type_range(&r.elem)?.end;
            (s <= t).then_some(s..t)
        }
        syn::Type::Path(p) if p.qself.is_none() => {
            let s = match p.path.leading_colon {
                Some(c) => c.spans[0].bytes().start,
                None => p.path.segments.first()?.ident.span().bytes().start,
            };
            let last = p.path.segments.last()?;
            let t = match &last.arguments {
                syn::PathArguments::None => last.ident.span().bytes().end,
                syn::PathArguments::AngleBracketed(a) => a.gt_token.span.bytes().end,
                syn::PathArguments::Parenthesized(_) => return None,
            };
            (s <= t).then_some(s..t)
        }
        syn::Type::Paren(p) => {
            cheap_type_range(&p.elem)?;
            let s = p.paren_token.span.open().bytes().start;
            Some(s..p.paren_token.span.close().bytes().end)
        }
        // `dyn Trait + Send`, `impl Trait` (trait bounds without parenthesized arguments).
        syn::Type::TraitObject(t) => {
            let s = match &t.dyn_token {
                Some(d) => d.span.bytes().start,
                None => bound_range(t.bounds.first()?)?.start,
            };
            let e = bound_range(t.bounds.last()?)?.end;
            (s <= e).then_some(s..e)
        }
        syn::Type::ImplTrait(t) => {
            let s = t.impl_token.span.bytes().start;
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
            let s = l.apostrophe.bytes().start;
            Some(s..l.ident.span().bytes().end)
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
            .map(|c| c.spans[0].bytes().start)
            .or_else(|| {
                p.path
                    .segments
                    .first()
                    .map(|s| s.ident.span().bytes().start)
            }),
        Expr::Paren(p) if p.attrs.is_empty() => Some(p.paren_token.span.open().bytes().start),
        // `&v`, `&mut self.items` (`for x in &v`).
        Expr::Reference(r) => start(&r.expr).map(|_| r.and_token.spans[0].bytes().start),
        _ => None,
    }
    .filter(|_| attrs_empty(e))
}

/// Byte offset where `e` ends, when it is cheap to know.
fn end(e: &Expr) -> Option<usize> {
    match e {
        Expr::Call(c) => Some(c.paren_token.span.close().bytes().end),
        Expr::MethodCall(m) => Some(m.paren_token.span.close().bytes().end),
        Expr::Await(a) => Some(a.await_token.span.bytes().end),
        Expr::Try(t) => Some(t.question_token.spans[0].bytes().end),
        Expr::Index(i) => Some(i.bracket_token.span.close().bytes().end),
        Expr::Paren(p) => Some(p.paren_token.span.close().bytes().end),
        Expr::Reference(r) => end(&r.expr),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.span().bytes().end),
            syn::Member::Unnamed(i) => Some(i.span.bytes().end),
        },
        Expr::Path(p)
            if p.path
                .segments
                .last()
                .is_some_and(|s| s.arguments.is_none()) =>
        {
            p.path.segments.last().map(|s| s.ident.span().bytes().end)
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
                assert_eq!(expr_range(e), e.span().bytes(), "{}", quote::quote!(#e));
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
            assert_eq!(cheap_type_range(&ty), Some(ty.span().bytes()), "{src}");
        }
        let closure: syn::Type = syn::parse_str("Box<dyn Fn() -> u8>").unwrap();
        assert_eq!(cheap_type_range(&closure), Some(closure.span().bytes()));
        let tuple: syn::Type = syn::parse_str("(A, B)").unwrap();
        assert_eq!(cheap_type_range(&tuple), None);
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}
