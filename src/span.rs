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

/// Calls `f` with the text of byte range `r` of the installed [`ParsedFile`] (positions as
/// [`ByteRange::bytes`] gives them); `None` without one, or for a range outside its text.
pub fn parsed_text<T>(r: Range<usize>, f: impl FnOnce(&str) -> T) -> Option<T> {
    PARSED.with(|p| {
        let p = p.borrow();
        let (source, base) = p.as_ref()?;
        source.text().get(*base..)?.get(r).map(f)
    })
}

/// A span's byte range in the parsed text (what `Span::byte_range` gives).
pub trait ByteRange {
    /// The byte range; read from the installed [`ParsedFile`] when there is one.
    fn bytes(&self) -> Range<usize>;
    /// The start of [`ByteRange::bytes`], without looking up the end.
    fn start_byte(&self) -> usize;
    /// The end of [`ByteRange::bytes`], without looking up the start.
    fn end_byte(&self) -> usize;
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

    fn start_byte(&self) -> usize {
        offset(self, false)
    }

    fn end_byte(&self) -> usize {
        offset(self, true)
    }
}

/// One end of a span's byte range (see [`ByteRange`]): only that end's line and column are
/// looked up.
fn offset(span: &proc_macro2::Span, end: bool) -> usize {
    PARSED.with(|p| match &*p.borrow() {
        Some((source, base)) => {
            let at = if end { span.end() } else { span.start() };
            source.parsed_offset(*base, at.line, at.column)
        }
        None => {
            let r = span.byte_range();
            if end { r.end } else { r.start }
        }
    })
}

/// Byte range of `e` in the parsed text (add the file's base offset for file offsets).
pub fn expr_range(e: &Expr) -> Range<usize> {
    full_expr_range(e).unwrap_or_else(|| e.span().bytes())
}

/// Byte range of `e` read from the tokens the AST keeps at its two ends (what `Spanned` gives,
/// outer attributes included), or `None` for the shapes that are not read that way.
fn full_expr_range(e: &Expr) -> Option<Range<usize>> {
    match (expr_start(e), expr_end(e)) {
        (Some(s), Some(t)) if s <= t => Some(s..t),
        _ => None,
    }
}

/// Byte range of a syntax node in the parsed text, as `Spanned` gives it: read from the tokens
/// at its two ends for expressions, blocks and statements (`Spanned` prints the whole node to
/// find them), from `Spanned` for the other nodes.
pub fn node_range<T: Spanned + 'static>(node: &T) -> Range<usize> {
    let any = node as &dyn std::any::Any;
    let cheap = if let Some(e) = any.downcast_ref::<Expr>() {
        full_expr_range(e)
    } else if let Some(b) = any.downcast_ref::<syn::Block>() {
        Some(block_range(b))
    } else if let Some(s) = any.downcast_ref::<syn::Stmt>() {
        stmt_range(s)
    } else if let Some(l) = any.downcast_ref::<syn::Local>() {
        local_range(l)
    } else if let Some(m) = any.downcast_ref::<syn::ExprMethodCall>() {
        let start = match m.attrs.first() {
            Some(a) => Some(a.pound_token.spans[0].start_byte()),
            None => expr_start(&m.receiver),
        };
        let end = m.paren_token.span.close().end_byte();
        start.filter(|&s| s <= end).map(|s| s..end)
    } else {
        None
    };
    cheap.unwrap_or_else(|| node.span().bytes())
}

/// Byte range of a block: its braces.
pub fn block_range(b: &syn::Block) -> Range<usize> {
    b.brace_token.span.join().bytes()
}

/// Byte range of a statement, when its two ends are read cheaply.
fn stmt_range(s: &syn::Stmt) -> Option<Range<usize>> {
    let r = match s {
        syn::Stmt::Local(l) => return local_range(l),
        syn::Stmt::Expr(e, semi) => {
            let r = full_expr_range(e)?;
            match semi {
                Some(t) => r.start..t.spans[0].end_byte(),
                None => r,
            }
        }
        syn::Stmt::Macro(m) => {
            let start = match m.attrs.first() {
                Some(a) => a.pound_token.spans[0].start_byte(),
                None => path_start(&m.mac.path)?,
            };
            let end = match &m.semi_token {
                Some(t) => t.spans[0].end_byte(),
                None => delimiter_end(&m.mac.delimiter),
            };
            start..end
        }
        syn::Stmt::Item(_) => return None,
    };
    (r.start <= r.end).then_some(r)
}

/// Byte range of a `let` statement.
fn local_range(l: &syn::Local) -> Option<Range<usize>> {
    let start = match l.attrs.first() {
        Some(a) => a.pound_token.spans[0].start_byte(),
        None => l.let_token.span.start_byte(),
    };
    let end = l.semi_token.spans[0].end_byte();
    (start <= end).then_some(start..end)
}

/// End of a macro invocation's delimited body.
fn delimiter_end(d: &syn::MacroDelimiter) -> usize {
    match d {
        syn::MacroDelimiter::Paren(p) => p.span.close().end_byte(),
        syn::MacroDelimiter::Brace(b) => b.span.close().end_byte(),
        syn::MacroDelimiter::Bracket(b) => b.span.close().end_byte(),
    }
}

/// Byte offset of an expression's last token in the parsed text, when the AST holds it
/// directly.
fn expr_end(e: &Expr) -> Option<usize> {
    let close = |b: &syn::Block| b.brace_token.span.close().end_byte();
    Some(match e {
        Expr::Call(c) => c.paren_token.span.close().end_byte(),
        Expr::MethodCall(m) => m.paren_token.span.close().end_byte(),
        Expr::Await(a) => a.await_token.span.end_byte(),
        Expr::Try(t) => t.question_token.spans[0].end_byte(),
        Expr::Index(i) => i.bracket_token.span.close().end_byte(),
        Expr::Paren(p) => p.paren_token.span.close().end_byte(),
        Expr::Tuple(t) => t.paren_token.span.close().end_byte(),
        Expr::Array(a) => a.bracket_token.span.close().end_byte(),
        Expr::Struct(s) => s.brace_token.span.close().end_byte(),
        Expr::Macro(m) => delimiter_end(&m.mac.delimiter),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => i.span().end_byte(),
            syn::Member::Unnamed(i) => i.span.end_byte(),
        },
        Expr::Path(p) => {
            let last = p.path.segments.last()?;
            match &last.arguments {
                syn::PathArguments::None => last.ident.span().end_byte(),
                syn::PathArguments::AngleBracketed(a) => a.gt_token.span.end_byte(),
                syn::PathArguments::Parenthesized(_) => return None,
            }
        }
        Expr::Lit(l) => l.lit.span().end_byte(),
        Expr::Reference(r) => expr_end(&r.expr)?,
        Expr::Binary(b) => expr_end(&b.right)?,
        Expr::Assign(a) => expr_end(&a.right)?,
        Expr::Let(l) => expr_end(&l.expr)?,
        Expr::Cast(c) => cheap_type_range(&c.ty)?.end,
        Expr::Block(b) => close(&b.block),
        Expr::Async(a) => close(&a.block),
        Expr::Unsafe(u) => close(&u.block),
        Expr::Loop(l) => close(&l.body),
        Expr::While(w) => close(&w.body),
        Expr::ForLoop(f) => close(&f.body),
        Expr::Match(m) => m.brace_token.span.close().end_byte(),
        Expr::If(i) => match &i.else_branch {
            Some((_, e)) => expr_end(e)?,
            None => close(&i.then_branch),
        },
        Expr::Return(r) => match &r.expr {
            Some(e) => expr_end(e)?,
            None => r.return_token.span.end_byte(),
        },
        Expr::Continue(c) => match &c.label {
            Some(l) => l.ident.span().end_byte(),
            None => c.continue_token.span.end_byte(),
        },
        _ => return None,
    })
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
            let s = r.and_token.spans[0].start_byte();
            let t = cheap_type_range(&r.elem)?.end;
            (s <= t).then_some(s..t)
        }
        syn::Type::Path(p) if p.qself.is_none() => {
            let s = match p.path.leading_colon {
                Some(c) => c.spans[0].start_byte(),
                None => p.path.segments.first()?.ident.span().start_byte(),
            };
            let last = p.path.segments.last()?;
            let t = match &last.arguments {
                syn::PathArguments::None => last.ident.span().end_byte(),
                syn::PathArguments::AngleBracketed(a) => a.gt_token.span.end_byte(),
                syn::PathArguments::Parenthesized(_) => return None,
            };
            (s <= t).then_some(s..t)
        }
        // `[T]`, `[T; N]`: the brackets.
        syn::Type::Slice(t) => Some(t.bracket_token.span.join().bytes()),
        syn::Type::Array(t) => Some(t.bracket_token.span.join().bytes()),
        syn::Type::Paren(p) => {
            cheap_type_range(&p.elem)?;
            let s = p.paren_token.span.open().start_byte();
            Some(s..p.paren_token.span.close().end_byte())
        }
        // `dyn Trait + Send`, `impl Trait` (trait bounds without parenthesized arguments).
        syn::Type::TraitObject(t) => {
            let s = match &t.dyn_token {
                Some(d) => d.span.start_byte(),
                None => bound_range(t.bounds.first()?)?.start,
            };
            let e = bound_range(t.bounds.last()?)?.end;
            (s <= e).then_some(s..e)
        }
        syn::Type::ImplTrait(t) => {
            let s = t.impl_token.span.start_byte();
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
            let s = l.apostrophe.start_byte();
            Some(s..l.ident.span().end_byte())
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
            .map(|c| c.spans[0].start_byte())
            .or_else(|| p.path.segments.first().map(|s| s.ident.span().start_byte())),
        Expr::Paren(p) if p.attrs.is_empty() => Some(p.paren_token.span.open().start_byte()),
        // `&v`, `&mut self.items` (`for x in &v`).
        Expr::Reference(r) => start(&r.expr).map(|_| r.and_token.spans[0].start_byte()),
        _ => None,
    }
    .filter(|_| attrs_empty(e))
}

/// Byte offset where `e` ends, when it is cheap to know.
fn end(e: &Expr) -> Option<usize> {
    match e {
        Expr::Call(c) => Some(c.paren_token.span.close().end_byte()),
        Expr::MethodCall(m) => Some(m.paren_token.span.close().end_byte()),
        Expr::Await(a) => Some(a.await_token.span.end_byte()),
        Expr::Try(t) => Some(t.question_token.spans[0].end_byte()),
        Expr::Index(i) => Some(i.bracket_token.span.close().end_byte()),
        Expr::Paren(p) => Some(p.paren_token.span.close().end_byte()),
        Expr::Reference(r) => end(&r.expr),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.span().end_byte()),
            syn::Member::Unnamed(i) => Some(i.span.end_byte()),
        },
        Expr::Path(p)
            if p.path
                .segments
                .last()
                .is_some_and(|s| s.arguments.is_none()) =>
        {
            p.path.segments.last().map(|s| s.ident.span().end_byte())
        }
        _ => None,
    }
}

/// Byte offset where a statement starts (its first token, outer attributes included) in the
/// parsed text: read from the AST for the common shapes, else from `Spanned`.
pub fn stmt_start(s: &syn::Stmt) -> usize {
    let cheap = match s {
        syn::Stmt::Local(l) => Some(match l.attrs.first() {
            Some(a) => a.pound_token.spans[0].start_byte(),
            None => l.let_token.span.start_byte(),
        }),
        syn::Stmt::Expr(e, _) => expr_start(e),
        syn::Stmt::Macro(m) => match m.attrs.first() {
            Some(a) => Some(a.pound_token.spans[0].start_byte()),
            None => path_start(&m.mac.path),
        },
        syn::Stmt::Item(_) => None,
    };
    cheap.unwrap_or_else(|| s.span().start_byte())
}

/// Byte offset of an expression's first token (outer attributes included) in the parsed text,
/// when the AST holds it directly.
pub fn expr_start(e: &Expr) -> Option<usize> {
    // Inner attributes (`match x { #![..] .. }`) are kept beside the outer ones but do not
    // start the expression.
    if let Some(a) =
        expr_attrs(e).and_then(|a| a.iter().find(|a| matches!(a.style, syn::AttrStyle::Outer)))
    {
        return Some(a.pound_token.spans[0].start_byte());
    }
    let label = |l: &Option<syn::Label>| l.as_ref().map(|l| l.name.apostrophe.start_byte());
    match e {
        Expr::Call(c) => expr_start(&c.func),
        Expr::MethodCall(m) => expr_start(&m.receiver),
        Expr::Await(a) => expr_start(&a.base),
        Expr::Field(f) => expr_start(&f.base),
        Expr::Try(t) => expr_start(&t.expr),
        Expr::Index(i) => expr_start(&i.expr),
        Expr::Binary(b) => expr_start(&b.left),
        Expr::Assign(a) => expr_start(&a.left),
        Expr::Cast(c) => expr_start(&c.expr),
        Expr::Path(p) if p.qself.is_none() => path_start(&p.path),
        Expr::Paren(p) => Some(p.paren_token.span.open().start_byte()),
        Expr::Tuple(t) => Some(t.paren_token.span.open().start_byte()),
        Expr::Array(a) => Some(a.bracket_token.span.open().start_byte()),
        Expr::Reference(r) => Some(r.and_token.spans[0].start_byte()),
        Expr::Lit(l) => Some(l.lit.span().start_byte()),
        Expr::Macro(m) => path_start(&m.mac.path),
        Expr::Struct(s) if s.qself.is_none() => path_start(&s.path),
        Expr::If(i) => Some(i.if_token.span.start_byte()),
        Expr::Match(m) => Some(m.match_token.span.start_byte()),
        Expr::Let(l) => Some(l.let_token.span.start_byte()),
        Expr::Return(r) => Some(r.return_token.span.start_byte()),
        Expr::Break(b) => Some(b.break_token.span.start_byte()),
        Expr::Continue(c) => Some(c.continue_token.span.start_byte()),
        Expr::Async(a) => Some(a.async_token.span.start_byte()),
        Expr::Unsafe(u) => Some(u.unsafe_token.span.start_byte()),
        Expr::Block(b) => {
            label(&b.label).or_else(|| Some(b.block.brace_token.span.open().start_byte()))
        }
        Expr::Loop(l) => label(&l.label).or_else(|| Some(l.loop_token.span.start_byte())),
        Expr::While(w) => label(&w.label).or_else(|| Some(w.while_token.span.start_byte())),
        Expr::ForLoop(f) => label(&f.label).or_else(|| Some(f.for_token.span.start_byte())),
        _ => None,
    }
}

/// The outer attributes of the expression shapes [`expr_start`] reads.
fn expr_attrs(e: &Expr) -> Option<&[syn::Attribute]> {
    Some(match e {
        Expr::Call(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        Expr::Await(x) => &x.attrs,
        Expr::Field(x) => &x.attrs,
        Expr::Try(x) => &x.attrs,
        Expr::Index(x) => &x.attrs,
        Expr::Binary(x) => &x.attrs,
        Expr::Assign(x) => &x.attrs,
        Expr::Cast(x) => &x.attrs,
        Expr::Path(x) => &x.attrs,
        Expr::Paren(x) => &x.attrs,
        Expr::Tuple(x) => &x.attrs,
        Expr::Array(x) => &x.attrs,
        Expr::Reference(x) => &x.attrs,
        Expr::Lit(x) => &x.attrs,
        Expr::Macro(x) => &x.attrs,
        Expr::Struct(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::Let(x) => &x.attrs,
        Expr::Return(x) => &x.attrs,
        Expr::Break(x) => &x.attrs,
        Expr::Continue(x) => &x.attrs,
        Expr::Async(x) => &x.attrs,
        Expr::Unsafe(x) => &x.attrs,
        Expr::Block(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        Expr::ForLoop(x) => &x.attrs,
        _ => return None,
    })
}

/// Byte offset of a path's first token (its leading `::` or first segment).
fn path_start(p: &syn::Path) -> Option<usize> {
    match p.leading_colon {
        Some(c) => Some(c.spans[0].start_byte()),
        None => p.segments.first().map(|s| s.ident.span().start_byte()),
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
    fn one_end_lookups_agree_with_the_range() {
        let text = "fn é() { a::b(\"ü\").c(1)?.d.await; }\n  struct S;\n";
        let source = Arc::new(SourceText::new(text.to_string()));
        let file: syn::File = syn::parse_str(text).unwrap();
        let mut spans = Vec::new();
        fn collect(ts: proc_macro2::TokenStream, out: &mut Vec<proc_macro2::Span>) {
            for tt in ts {
                out.push(tt.span());
                if let proc_macro2::TokenTree::Group(g) = tt {
                    out.extend([g.span_open(), g.span_close()]);
                    collect(g.stream(), out);
                }
            }
        }
        collect(quote::ToTokens::to_token_stream(&file), &mut spans);
        assert!(spans.len() > 20);
        let check = |spans: &[proc_macro2::Span]| {
            for s in spans {
                assert_eq!(s.start_byte()..s.end_byte(), s.bytes());
            }
        };
        // Read through proc-macro2's byte ranges, and through the installed text.
        check(&spans);
        let _parsed = ParsedFile::install(source, 0);
        check(&spans);
    }

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
    fn stmt_starts_and_node_ranges_match_spanned() {
        let src = r#"fn f() {
            let x = 1;
            #[allow(unused)] let y = 2;
            a::b(x).c::<u8>(1)?.d.await;
            ::std::thread::sleep(d);
            x + 1; x = 2; x as u8; (x, y); [1, 2]; &mut v; -x; !x;
            "lit"; 3u8; info!("{x}"); #[cfg(a)] foo(); Foo { a: 1 };
            if a { b } else { c } match x { _ => {} } while let Some(x) = it.next() {}
            'outer: loop { break 'outer; } for i in 0..3 { continue; } loop {}
            async move { x.await }; unsafe { f() }; { 1 } 'b: { 2 }
            return; |x| x + 1; move || y; <T as Trait>::f(); fn inner() {} x.0 .1;
            *x; ..; 1..2; x?; mac![]; match x { #![allow(unused)] _ => {} }
            #[cfg(a)] { #![allow(unused)] 1 }; f::<u8>; if a {} else if b {} else { c };
            x.y::<u8>(); &x as &dyn A; return x.await; 'a: loop { continue 'a; }
        }"#;
        let file: syn::File = syn::parse_str(src).unwrap();
        struct V(usize);
        impl<'a> syn::visit::Visit<'a> for V {
            fn visit_stmt(&mut self, s: &'a syn::Stmt) {
                assert_eq!(
                    stmt_start(s),
                    s.span().start_byte(),
                    "{}",
                    quote::quote!(#s)
                );
                assert_eq!(node_range(s), s.span().bytes(), "{}", quote::quote!(#s));
                self.0 += 1;
                syn::visit::visit_stmt(self, s);
            }
            fn visit_expr(&mut self, e: &'a Expr) {
                assert_eq!(node_range(e), e.span().bytes(), "{}", quote::quote!(#e));
                syn::visit::visit_expr(self, e);
            }
            fn visit_block(&mut self, b: &'a syn::Block) {
                assert_eq!(node_range(b), b.span().bytes());
                syn::visit::visit_block(self, b);
            }
            fn visit_local(&mut self, l: &'a syn::Local) {
                assert_eq!(node_range(l), l.span().bytes());
                syn::visit::visit_local(self, l);
            }
            fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
                assert_eq!(node_range(m), m.span().bytes());
                syn::visit::visit_expr_method_call(self, m);
            }
        }
        let mut v = V(0);
        syn::visit::visit_file(&mut v, &file);
        assert!(v.0 > 55, "{}", v.0);
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
            "&[a::Tx]",
            "[Sender<u8>; 4]",
            "&mut [Vec<u8>]",
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
