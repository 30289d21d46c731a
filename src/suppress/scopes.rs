//! What the syntax tree adds to the comment-only suppressions of [`super::parse`]:
//!
//! - a standalone `// async-lint: allow(..)` directly above an item (fn, impl, trait, mod, or
//!   above one of its attributes) covers the whole item;
//! - a trailing one on the last line of a statement that spans several lines covers the
//!   statement;
//! - Clippy's own attributes: `#[allow]`/`#[expect]` (or `#![..]`) of
//!   `clippy::await_holding_lock` / `clippy::await_holding_refcell_ref` cover
//!   `lock-across-await` in the item (the file for a crate-level inner attribute), and
//!   `clippy::let_underscore_future` covers `unawaited-future` on `let _ = ..` there.

use crate::span::ByteRange;
use std::ops::Range;

use syn::visit::Visit;

use super::{AttrAllow, Known, Scope, Suppressions};
use crate::source::SourceText;

/// Clippy lints and the rule each one covers (`true`: only findings on `let _ = ..`).
const CLIPPY: &[(&str, &str, bool)] = &[
    ("await_holding_lock", "lock-across-await", false),
    ("await_holding_refcell_ref", "lock-across-await", false),
    ("let_underscore_future", "unawaited-future", true),
];

/// Widens the directives of `sup` to the items and statements they sit on, and adds the Clippy
/// attributes of `file` (parsed from `src` after `base` bytes of BOM and shebang).
pub fn refine(
    sup: &mut Suppressions,
    src: &SourceText,
    file: &syn::File,
    base: usize,
    known: Known,
) {
    let text = src.text();
    let clippy = CLIPPY
        .iter()
        .any(|(lint, _, _)| crate::source::mentions(text, lint));
    if sup.directives.is_empty() && !clippy {
        return;
    }
    let mut c = Collect {
        src,
        base,
        known,
        items: Vec::new(),
        stmts: Vec::new(),
        attrs: Vec::new(),
        stmts_wanted: !sup.directives.is_empty(),
    };
    if clippy {
        c.allow(&file.attrs, 1, src.line_count().max(1));
    }
    c.visit_file(file);
    for d in &mut sup.directives {
        let Scope::Line(target) = d.scope else {
            continue;
        };
        let comment_line = src.position(d.comment.start).line;
        let widened = if comment_line == target {
            // Trailing: the widest statement that ends on this line and starts above it.
            c.stmts
                .iter()
                .filter(|(s, e)| *e == target && *s < target)
                .map(|(s, _)| *s)
                .min()
                .map(|s| (s, target))
        } else {
            // Standalone above an item (its first attribute, or its keyword line).
            c.items
                .iter()
                .filter(|i| i.start <= target && target <= i.head && i.end > target)
                .map(|i| (target, i.end))
                .max_by_key(|(_, e)| *e)
        };
        if let Some((a, b)) = widened {
            d.scope = Scope::Lines(a, b);
        }
    }
    sup.attrs = c.attrs;
}

/// An item's lines: first (its first outer attribute), its keyword's, last.
struct ItemLines {
    start: usize,
    head: usize,
    end: usize,
}

struct Collect<'a> {
    src: &'a SourceText,
    base: usize,
    known: Known,
    items: Vec<ItemLines>,
    /// (first line, last line) of statements.
    stmts: Vec<(usize, usize)>,
    attrs: Vec<AttrAllow>,
    stmts_wanted: bool,
}

impl Collect<'_> {
    fn line(&self, span: proc_macro2::Span) -> usize {
        self.src.position(span.start_byte() + self.base).line
    }

    fn end_line(&self, span: proc_macro2::Span) -> usize {
        let r = span.bytes();
        self.src
            .position(
                (r.end + self.base)
                    .saturating_sub(1)
                    .max(r.start + self.base),
            )
            .line
    }

    /// Records an item spanning from its attributes (or `head`) to `end`.
    fn item(&mut self, attrs: &[syn::Attribute], head: proc_macro2::Span, end: proc_macro2::Span) {
        let head = self.line(head);
        let start = attrs
            .iter()
            .filter(|a| matches!(a.style, syn::AttrStyle::Outer))
            .map(|a| self.line(a.pound_token.span))
            .min()
            .unwrap_or(head)
            .min(head);
        let end = self.end_line(end);
        self.items.push(ItemLines { start, head, end });
        self.allow(attrs, start, end);
    }

    /// Records the Clippy allows among `attrs`, covering lines `start..=end`.
    fn allow(&mut self, attrs: &[syn::Attribute], start: usize, end: usize) {
        for a in attrs {
            let p = a.path();
            if !(p.is_ident("allow") || p.is_ident("expect")) {
                continue;
            }
            // `reason = ".."` is a name-value among the lint paths.
            let Ok(list) = a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            ) else {
                continue;
            };
            for lint in list.iter().filter_map(|m| match m {
                syn::Meta::Path(p) => Some(p),
                _ => None,
            }) {
                let segs: Vec<String> = lint.segments.iter().map(|s| s.ident.to_string()).collect();
                let [tool, name] = segs.as_slice() else {
                    continue;
                };
                if tool != "clippy" {
                    continue;
                }
                for (l, rule, let_only) in CLIPPY {
                    if name == l
                        && let Some(rule) = self.known.by_id(rule)
                    {
                        self.attrs.push(AttrAllow {
                            rule,
                            lines: (start, end),
                            let_underscore_only: *let_only,
                        });
                    }
                }
            }
        }
    }
}

fn stmt_range(s: &syn::Stmt) -> Option<Range<usize>> {
    match s {
        syn::Stmt::Local(l) => Some(l.let_token.span.start_byte()..l.semi_token.span.end_byte()),
        syn::Stmt::Expr(e, semi) => {
            let r = crate::span::expr_range(e);
            Some(r.start..semi.map_or(r.end, |s| s.span.end_byte()))
        }
        syn::Stmt::Macro(m) => {
            let start = m.mac.path.segments.first()?.ident.span().start_byte();
            let end = match m.semi_token {
                Some(s) => s.span.end_byte(),
                None => m.mac.delimiter.span().close().end_byte(),
            };
            Some(start..end)
        }
        syn::Stmt::Item(_) => None,
    }
}

impl<'ast> Visit<'ast> for Collect<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.item(
            &f.attrs,
            f.sig.fn_token.span,
            f.block.brace_token.span.close(),
        );
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.item(
            &f.attrs,
            f.sig.fn_token.span,
            f.block.brace_token.span.close(),
        );
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(b) = &f.default {
            self.item(&f.attrs, f.sig.fn_token.span, b.brace_token.span.close());
        }
        syn::visit::visit_trait_item_fn(self, f);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.item(&i.attrs, i.impl_token.span, i.brace_token.span.close());
        syn::visit::visit_item_impl(self, i);
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.item(&t.attrs, t.trait_token.span, t.brace_token.span.close());
        syn::visit::visit_item_trait(self, t);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let end = match &m.content {
            Some((brace, _)) => brace.span.close(),
            None => m.semi.map_or(m.mod_token.span, |s| s.span),
        };
        self.item(&m.attrs, m.mod_token.span, end);
        syn::visit::visit_item_mod(self, m);
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        if self.stmts_wanted
            && let Some(r) = stmt_range(s)
        {
            let start = self.src.position(r.start + self.base).line;
            let end = self
                .src
                .position(
                    (r.end + self.base)
                        .saturating_sub(1)
                        .max(r.start + self.base),
                )
                .line;
            if end > start {
                self.stmts.push((start, end));
            }
        }
        syn::visit::visit_stmt(self, s);
    }
}

/// Whether the expression starting at byte `start` of `text` is the value of `let _ = ..`.
pub fn after_let_underscore(text: &str, start: usize) -> bool {
    let Some(before) = text.get(..start) else {
        return false;
    };
    let Some(rest) = before.trim_end().strip_suffix('=') else {
        return false;
    };
    let Some(rest) = rest.trim_end().strip_suffix('_') else {
        return false;
    };
    let Some(rest) = rest.trim_end().strip_suffix("let") else {
        return false;
    };
    !rest
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}
