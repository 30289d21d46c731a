//! Removing the `use` items that applied fixes made unused (`use std::fs;` once every `fs::` call
//! became `tokio::fs::`, `use std::thread;` once `thread::sleep` became `tokio::time::sleep`).
//!
//! A name is removed only when that is certain from the file's text:
//! - the `use` is private (no `pub`, no `#[macro_use]`), not a glob or `as _`, and not a
//!   `super::`/`self::`/`crate::` import (which may name another import of the file);
//! - the name was referred to outside `use` items before fixing and is not referred to anywhere
//!   after (every token counts, macro bodies included; a name after `::` or `.` is another item's
//!   segment or a field, except in `super::`/`self::`/`crate::` paths, which may name this import);
//! - it is a module or fn (lowercase), or a std type no trait shares a name with (`File`,
//!   `TcpStream`..): a trait is used by method calls without being named;
//! - the file declares no out-of-line module (`mod x;`), whose file could import the name
//!   through `use super::*`;
//! - the result re-parses.

use crate::span::ByteRange;
use std::collections::HashMap;
use std::ops::Range;

use proc_macro2::{TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Std types that fixes replace and that are no trait's name: importing one is only useful
/// where it is named.
const KNOWN_TYPES: &[&str] = &[
    "std::fs::File",
    "std::fs::OpenOptions",
    "std::net::TcpStream",
    "std::net::TcpListener",
    "std::net::UdpSocket",
    "std::process::Command",
    "fs_err::File",
    "fs_err::OpenOptions",
];

/// Std I/O traits whose method calls retyping fixes turn into `.await`ed calls of tokio's
/// extension traits, with their methods. Such a trait's import is unused once the fixes awaited
/// every call of its methods: a std I/O method never returns a future, so an awaited call is
/// not one of its calls.
const KNOWN_TRAITS: &[(&str, &[&str])] = &[
    (
        "std::io::Read",
        &[
            "read",
            "read_vectored",
            "read_to_end",
            "read_to_string",
            "read_exact",
            "read_buf",
            "read_buf_exact",
            "by_ref",
            "bytes",
            "chain",
            "take",
        ],
    ),
    (
        "std::io::Write",
        &[
            "write",
            "write_vectored",
            "flush",
            "write_all",
            "write_all_vectored",
            "write_fmt",
            "by_ref",
        ],
    ),
    (
        "std::io::Seek",
        &[
            "seek",
            "rewind",
            "stream_len",
            "stream_position",
            "seek_relative",
        ],
    ),
    (
        "std::io::BufRead",
        &[
            "fill_buf",
            "consume",
            "has_data_left",
            "read_until",
            "skip_until",
            "read_line",
            "split",
            "lines",
        ],
    ),
];

/// The methods of `path` when it is one of [`KNOWN_TRAITS`].
fn trait_methods(path: &str) -> Option<&'static [&'static str]> {
    let path = path.strip_prefix("::").unwrap_or(path);
    KNOWN_TRAITS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, m)| *m)
}

/// Calls `.m(..)` in `text` of a method in `methods` that are not followed by `.await`, and
/// whether a `write!`/`writeln!` (which call `write_fmt`) is invoked; `None` if it does not lex.
fn unawaited_calls(text: &str, methods: &[&str]) -> Option<(usize, bool)> {
    let tokens: TokenStream = text[parse_base(text)..].parse().ok()?;
    let mut out = (0, false);
    scan_calls(tokens, methods, &mut out);
    Some(out)
}

fn scan_calls(tokens: TokenStream, methods: &[&str], out: &mut (usize, bool)) {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => scan_calls(g.stream(), methods, out),
            TokenTree::Ident(id) => {
                let name = id.to_string();
                if matches!(name.as_str(), "write" | "writeln")
                    && matches!(tts.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!')
                {
                    out.1 = true;
                }
                let after_dot =
                    i > 0 && matches!(&tts[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
                let called = matches!(tts.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
                if after_dot && called && methods.contains(&name.as_str()) {
                    let awaited = matches!(tts.get(i + 2), Some(TokenTree::Punct(p)) if p.as_char() == '.')
                        && matches!(tts.get(i + 3), Some(TokenTree::Ident(a)) if a == "await");
                    if !awaited {
                        out.0 += 1;
                    }
                }
            }
            _ => {}
        }
    }
}

/// `fixed` without the private `use` names that were used in `original` and no longer are in
/// `fixed` (see the module docs for when a name counts as certainly unused). Returns `fixed`
/// unchanged when nothing is certain or the result would not parse.
pub fn remove_unused_imports(original: &str, fixed: &str) -> String {
    if original == fixed {
        return fixed.to_string();
    }
    let base = parse_base(fixed);
    let Ok(file) = syn::parse_file(&fixed[base..]) else {
        return fixed.to_string();
    };
    if has_outline_module(&file.items) {
        return fixed.to_string();
    }
    let mut uses = UseCollector {
        text: &fixed[base..],
        items: Vec::new(),
        bindings: Vec::new(),
    };
    uses.visit_file(&file);
    if uses.bindings.is_empty() {
        return fixed.to_string();
    }
    let (Some(before), Some(after)) = (references(original), references(&fixed[base..])) else {
        return fixed.to_string();
    };
    // A name's references inside the `use` items that bind it are not uses of it.
    let mut own: HashMap<&str, usize> = HashMap::new();
    for b in &uses.bindings {
        *own.entry(b.name.as_str()).or_default() += b.own_refs;
    }
    let removable = |name: &str| {
        let own = own.get(name).copied().unwrap_or(0);
        let was = before.get(name).copied().unwrap_or(0);
        let now = after.get(name).copied().unwrap_or(0);
        was > own && now <= own
    };
    // A std I/O trait: not named outside its `use` after fixing, its methods called unawaited
    // before fixing and never after (and no `write!` for `Write`).
    let trait_unused = |name: &str, methods: &[&str]| {
        let own = own.get(name).copied().unwrap_or(0);
        let now = after.get(name).copied().unwrap_or(0);
        let (Some((was_calls, _)), Some((now_calls, now_macros))) = (
            unawaited_calls(original, methods),
            unawaited_calls(&fixed[base..], methods),
        ) else {
            return false;
        };
        now <= own && was_calls > 0 && now_calls == 0 && !(name == "Write" && now_macros)
    };
    let mut edits: Vec<Range<usize>> = Vec::new();
    for item in &uses.items {
        let plan = plan_tree(&item.tree, &|leaf: &Leaf| match leaf.trait_methods {
            Some(methods) => trait_unused(leaf.name.as_str(), methods),
            None => leaf.eligible && removable(leaf.name.as_str()),
        });
        match plan {
            Plan::All => edits.push(item_range(fixed, base, item.range.clone())),
            Plan::Some(ranges) => edits.extend(ranges.into_iter().map(|r| shift(r, base))),
            Plan::None => {}
        }
    }
    if edits.is_empty() {
        return fixed.to_string();
    }
    edits.sort_by_key(|r| (r.start, r.end));
    let mut out = String::with_capacity(fixed.len());
    let mut at = 0;
    for r in edits {
        if r.start < at || r.end > fixed.len() {
            return fixed.to_string();
        }
        out.push_str(&fixed[at..r.start]);
        at = r.end;
    }
    out.push_str(&fixed[at..]);
    if syn::parse_file(&out[parse_base(&out)..]).is_err() {
        return fixed.to_string();
    }
    out
}

/// Bytes of BOM and shebang before the Rust text (what `syn::parse_file` would reject).
fn parse_base(text: &str) -> usize {
    let mut base = 0;
    if text.starts_with('\u{feff}') {
        base += '\u{feff}'.len_utf8();
    }
    let rest = &text[base..];
    if rest.starts_with("#!") && !rest[2..].trim_start().starts_with('[') {
        base += rest.find('\n').unwrap_or(rest.len());
    }
    base
}

fn shift(r: Range<usize>, base: usize) -> Range<usize> {
    r.start + base..r.end + base
}

/// Whether any module (inline ones included) is declared without a body.
fn has_outline_module(items: &[syn::Item]) -> bool {
    struct Finder(bool);
    impl<'a> Visit<'a> for Finder {
        fn visit_item_mod(&mut self, m: &'a syn::ItemMod) {
            if m.content.is_none() {
                self.0 = true;
            }
            syn::visit::visit_item_mod(self, m);
        }
    }
    let mut f = Finder(false);
    for item in items {
        f.visit_item(item);
    }
    f.0
}

/// How often each name is referred to: as a path's first segment or alone, or as any segment
/// of a path that starts with `super`, `self` or `crate` (which may reach an import). `None`
/// when the text does not tokenize.
fn references(text: &str) -> Option<HashMap<String, usize>> {
    let tokens: TokenStream = text[parse_base(text)..].parse().ok()?;
    let mut counts = HashMap::new();
    count_stream(tokens, &mut counts);
    Some(counts)
}

fn count_stream(tokens: TokenStream, counts: &mut HashMap<String, usize>) {
    // The previous two tokens, to see `::` and `.`; the first segment of the current path.
    let mut prev: [Option<String>; 2] = [None, None];
    let mut path_root: Option<String> = None;
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                count_stream(g.stream(), counts);
                prev = [None, None];
                path_root = None;
            }
            TokenTree::Ident(i) => {
                let name = i.to_string();
                let after_colons =
                    prev[0].as_deref() == Some(":") && prev[1].as_deref() == Some(":");
                let after_dot = prev[0].as_deref() == Some(".") && prev[1].as_deref() != Some(".");
                if after_colons {
                    if matches!(path_root.as_deref(), Some("super" | "self" | "crate")) {
                        *counts.entry(name.clone()).or_default() += 1;
                    }
                } else {
                    path_root = Some(name.clone());
                    if !after_dot {
                        *counts.entry(name.clone()).or_default() += 1;
                    }
                }
                prev = [Some(name), prev[0].take()];
            }
            TokenTree::Punct(p) => {
                let c = p.as_char().to_string();
                prev = [Some(c), prev[0].take()];
            }
            TokenTree::Literal(_) => {
                prev = [Some(String::new()), prev[0].take()];
                path_root = None;
            }
        }
    }
}

/// One name a `use` binds.
struct Leaf {
    /// The name bound in scope.
    name: String,
    /// Whether removing it is allowed at all (not a trait-like or unknown type name).
    eligible: bool,
    /// Whether it is written `self` (the module of the enclosing path).
    is_self: bool,
    /// For a std I/O trait imported under its own name, its methods ([`KNOWN_TRAITS`]).
    trait_methods: Option<&'static [&'static str]>,
}

/// A `use` tree with byte ranges (relative to the parsed text).
enum Tree {
    Leaf(Leaf),
    Keep,
    Path(Box<Tree>),
    /// The braces' range, and the elements with their ranges.
    Group(Range<usize>, Vec<(Range<usize>, Tree)>),
}

/// A private `use` item.
struct UseItem {
    range: Range<usize>,
    tree: Tree,
}

/// A name bound by a private `use` item, with how many references the item itself holds.
struct Binding {
    name: String,
    own_refs: usize,
}

struct UseCollector<'t> {
    /// The parsed text (spans' byte ranges index it).
    text: &'t str,
    items: Vec<UseItem>,
    bindings: Vec<Binding>,
}

impl<'a> Visit<'a> for UseCollector<'_> {
    fn visit_item_use(&mut self, u: &'a syn::ItemUse) {
        let private = matches!(u.vis, syn::Visibility::Inherited);
        let macro_use = u.attrs.iter().any(|a| a.path().is_ident("macro_use"));
        // An import of `super::x` (`self::`, `crate::`) names another import, maybe one of this
        // file: it is left alone and counts as a use of that name.
        let relative = matches!(&u.tree, syn::UseTree::Path(p)
            if p.ident == "super" || p.ident == "self" || p.ident == "crate");
        if !private || macro_use || relative {
            return;
        }
        let mut leaves = Vec::new();
        let tree = build_tree(&u.tree, &mut Vec::new(), &mut leaves);
        let range = u.span().bytes();
        let own = self
            .text
            .get(range.clone())
            .and_then(references)
            .unwrap_or_default();
        for name in leaves {
            let own_refs = own.get(&name).copied().unwrap_or(0);
            self.bindings.push(Binding { name, own_refs });
        }
        self.items.push(UseItem { range, tree });
    }
}

fn build_tree(t: &syn::UseTree, prefix: &mut Vec<String>, leaves: &mut Vec<String>) -> Tree {
    match t {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            let inner = build_tree(&p.tree, prefix, leaves);
            prefix.pop();
            Tree::Path(Box::new(inner))
        }
        syn::UseTree::Name(n) => {
            let ident = n.ident.to_string();
            let is_self = ident == "self";
            let (name, path) = if ident == "self" {
                match prefix.last() {
                    Some(last) => (last.clone(), prefix.join("::")),
                    None => return Tree::Keep,
                }
            } else {
                let mut path = prefix.clone();
                path.push(ident.clone());
                (ident, path.join("::"))
            };
            leaves.push(name.clone());
            Tree::Leaf(Leaf {
                eligible: eligible(&name, &path),
                is_self,
                trait_methods: trait_methods(&path),
                name,
            })
        }
        syn::UseTree::Rename(r) => {
            let name = r.rename.to_string();
            if name == "_" {
                return Tree::Keep;
            }
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            leaves.push(name.clone());
            Tree::Leaf(Leaf {
                eligible: eligible(&name, &path.join("::")),
                is_self: false,
                trait_methods: None,
                name,
            })
        }
        syn::UseTree::Glob(_) => Tree::Keep,
        syn::UseTree::Group(g) => Tree::Group(
            g.brace_token.span.open().start_byte()..g.brace_token.span.close().end_byte(),
            g.items
                .iter()
                .map(|i| (i.span().bytes(), build_tree(i, prefix, leaves)))
                .collect(),
        ),
    }
}

/// Lowercase names are modules or fns; an uppercase one only when it is a known std type.
fn eligible(name: &str, path: &str) -> bool {
    let lower = name
        .chars()
        .next()
        .is_some_and(|c| c.is_lowercase() || c == '_');
    lower && name != "self" || KNOWN_TYPES.contains(&path)
}

/// Whether the tree is a `self` leaf (`use a::{self}`), whose braces must stay.
fn is_self_leaf(t: &Tree) -> bool {
    matches!(t, Tree::Leaf(l) if l.is_self)
}

/// What to remove of a tree.
enum Plan {
    All,
    None,
    Some(Vec<Range<usize>>),
}

fn plan_tree(t: &Tree, removable: &dyn Fn(&Leaf) -> bool) -> Plan {
    match t {
        Tree::Leaf(l) if removable(l) => Plan::All,
        Tree::Leaf(_) | Tree::Keep => Plan::None,
        Tree::Path(inner) => plan_tree(inner, removable),
        Tree::Group(braces, items) => {
            let plans: Vec<Plan> = items.iter().map(|(_, t)| plan_tree(t, removable)).collect();
            if !plans.is_empty() && plans.iter().all(|p| matches!(p, Plan::All)) {
                return Plan::All;
            }
            // One element left (not `self`, which needs its braces): `{File}` becomes `File`.
            let kept: Vec<usize> = (0..plans.len())
                .filter(|&i| !matches!(plans[i], Plan::All))
                .collect();
            if let [k] = kept[..]
                && plans.len() > 1
                && !matches!(&items[k].1, Tree::Keep)
                && !is_self_leaf(&items[k].1)
            {
                let r = &items[k].0;
                let mut edits = vec![braces.start..r.start, r.end..braces.end];
                if let Plan::Some(inner) = &plans[k] {
                    edits.extend(inner.iter().cloned());
                }
                return Plan::Some(edits);
            }
            let mut edits = Vec::new();
            let mut i = 0;
            while i < plans.len() {
                match &plans[i] {
                    Plan::Some(r) => edits.extend(r.iter().cloned()),
                    Plan::None => {}
                    Plan::All => {
                        // A run of removed elements, up to the next kept one.
                        let start = i;
                        while i + 1 < plans.len() && matches!(plans[i + 1], Plan::All) {
                            i += 1;
                        }
                        match items.get(i + 1) {
                            Some((next, _)) => edits.push(items[start].0.start..next.start),
                            None => match start.checked_sub(1) {
                                Some(prev) => edits.push(items[prev].0.end..items[i].0.end),
                                None => return Plan::All,
                            },
                        }
                    }
                }
                i += 1;
            }
            if edits.is_empty() {
                Plan::None
            } else {
                Plan::Some(edits)
            }
        }
    }
}

/// The range of a whole `use` item in `text`: with its line when nothing else is on it.
fn item_range(text: &str, base: usize, r: Range<usize>) -> Range<usize> {
    let (start, end) = (r.start + base, r.end + base);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let before_blank = text[line_start..start].trim().is_empty();
    let after_blank = text[end..line_end].trim().is_empty();
    if before_blank && after_blank {
        line_start..line_end
    } else {
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::remove_unused_imports as tidy;

    #[test]
    fn removes_a_module_import_the_fix_made_unused() {
        let before = "use std::fs;\nasync fn f() { fs::read(\"a\").unwrap(); }\n";
        let after = "use std::fs;\nasync fn f() { tokio::fs::read(\"a\").await.unwrap(); }\n";
        assert_eq!(
            tidy(before, after),
            "async fn f() { tokio::fs::read(\"a\").await.unwrap(); }\n"
        );
    }

    #[test]
    fn removes_one_name_of_a_group() {
        let before =
            "use std::fs::{self, File};\nfn g(_: File) {}\nasync fn f() { fs::read(\"a\"); }\n";
        let after = "use std::fs::{self, File};\nfn g(_: File) {}\nasync fn f() { tokio::fs::read(\"a\").await; }\n";
        assert!(tidy(before, after).starts_with("use std::fs::File;\n"));
        let before = "use std::{fs, thread, time};\nasync fn f() { fs::read(\"a\"); thread::sleep(time::Duration::ZERO); }\n";
        let after = "use std::{fs, thread, time};\nasync fn f() { fs::read(\"a\"); tokio::time::sleep(time::Duration::ZERO).await; }\n";
        assert!(tidy(before, after).starts_with("use std::{fs, time};\n"));
        let before =
            "use std::fs::{self, File};\nfn g() { fs::read(\"a\"); }\nasync fn f(_: File) {}\n";
        let after = "use std::fs::{self, File};\nfn g() { fs::read(\"a\"); }\nasync fn f(_: tokio::fs::File) {}\n";
        assert!(tidy(before, after).starts_with("use std::fs::{self};\n"));
    }

    #[test]
    fn keeps_what_is_not_certain() {
        let fixed = "use std::fs;\nasync fn f() { tokio::fs::read(\"a\").await; }\n";
        // Unused before the fix already: not the fix's doing.
        assert_eq!(tidy(&fixed.replace("\"a\"", "\"b\""), fixed), fixed);
        let before = "use std::fs;\nasync fn f() { fs::read(\"a\"); }\n";
        for (what, b, a) in [
            (
                "pub use",
                before.replace("use", "pub use"),
                fixed.replace("use", "pub use"),
            ),
            (
                "a child file",
                format!("mod child;\n{before}"),
                format!("mod child;\n{fixed}"),
            ),
            (
                "named in a macro",
                format!("{before}m!(fs);\n"),
                format!("{fixed}m!(fs);\n"),
            ),
            (
                "named by a child module",
                format!("{before}mod c {{ use super::fs; }}\n"),
                format!("{fixed}mod c {{ use super::fs; }}\n"),
            ),
        ] {
            assert_eq!(tidy(&b, &a), a, "{what}");
        }
        // A std I/O trait whose every method call became an awaited one is removed.
        let before = "use std::io::{self, Read, Write};\nasync fn f(p: &str) -> io::Result<()> { let mut f = std::fs::File::open(p)?; let mut s = String::new(); f.read_to_string(&mut s)?; Ok(()) }\nfn g(mut w: std::fs::File) { w.write_all(b\"x\").unwrap(); }\n";
        let after = "use std::io::{self, Read, Write};\nasync fn f(p: &str) -> io::Result<()> { use tokio::io::AsyncReadExt; let mut f = tokio::fs::File::open(p).await?; let mut s = String::new(); f.read_to_string(&mut s).await?; Ok(()) }\nfn g(mut w: std::fs::File) { w.write_all(b\"x\").unwrap(); }\n";
        assert_eq!(
            tidy(before, after),
            after.replace("{self, Read, Write}", "{self, Write}")
        );
        // `write!` calls `Write::write_fmt` without naming it: kept.
        let before = "use std::io::Write;\nasync fn f(mut f: std::fs::File) { f.flush().unwrap(); }\nfn g(mut f: std::fs::File) { write!(f, \"x\").unwrap(); }\n";
        let after = "use std::io::Write;\nasync fn f(mut f: tokio::fs::File) { f.flush().await.unwrap(); }\nfn g(mut f: std::fs::File) { write!(f, \"x\").unwrap(); }\n";
        assert_eq!(tidy(before, after), after);
        // A trait-like name: used by method calls without being named.
        let before =
            "use std::io::Read;\nasync fn f(x: &mut std::fs::File) { Read::read(x, &mut []); }\n";
        let after =
            "use std::io::Read;\nasync fn f(x: &mut std::fs::File) { x.read(&mut []).await; }\n";
        assert_eq!(tidy(before, after), after);
    }
}
