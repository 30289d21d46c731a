//! Best-effort parsing of macros whose input is Rust code, so rules see inside them:
//! `select!` branches, `join!`/`try_join!`/`pin!` arguments, `vec!`, the `format!`/`println!`/
//! `write!` family and the `assert!` family. A body that does not parse is skipped silently.

use crate::span::ByteRange;
use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use proc_macro2::TokenStream;
use rustc_hash::FxHashMap;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Macro, Pat, Token};

/// What kind of body a macro has, decided from its last path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroKind {
    /// `tokio::select!`, `futures::select!`, `select_biased!`.
    Select,
    /// `join!`, `try_join!`, `pin!`, `vec!`, format/print/write/assert families, `dbg!`, `matches!`.
    ExprList,
    /// Anything else: opaque.
    Opaque,
}

/// The kind of `mac`, from its last path segment.
pub fn kind(mac: &Macro) -> MacroKind {
    let Some(last) = mac.path.segments.last() else {
        return MacroKind::Opaque;
    };
    crate::semantic::names::with_ident(&last.ident, |name| match name {
        "select" | "select_biased" => MacroKind::Select,
        "join" | "try_join" | "pin" | "vec" | "format" | "format_args" | "print" | "println"
        | "eprint" | "eprintln" | "write" | "writeln" | "panic" | "assert" | "assert_eq"
        | "assert_ne" | "debug_assert" | "debug_assert_eq" | "debug_assert_ne" | "dbg"
        | "matches" | "unreachable" | "todo" | "unimplemented" => MacroKind::ExprList,
        _ => MacroKind::Opaque,
    })
}

/// Whether a macro's last path segment is one of the `tracing` / `log` logging macros; the
/// caller checks that its resolved path starts in one of those crates.
pub fn is_log_name(name: &syn::Ident) -> bool {
    const NAMES: &[&str] = &[
        "trace",
        "debug",
        "info",
        "warn",
        "error",
        "event",
        "log",
        "span",
        "trace_span",
        "debug_span",
        "info_span",
        "warn_span",
        "error_span",
    ];
    crate::semantic::names::with_ident(name, |name| NAMES.contains(&name))
}

/// [`parse_log_args`] without the memo.
fn log_args(tokens: &TokenStream) -> Option<Vec<Expr>> {
    use syn::ext::IdentExt;
    use syn::parse::discouraged::Speculative;
    let parser = |input: ParseStream<'_>| -> syn::Result<Vec<Expr>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            if input.peek(syn::Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
                input.call(syn::Ident::parse_any)?;
                input.parse::<Token![:]>()?;
            } else {
                // A field name: `name =`, `a.b.c =`, `"quoted" =`.
                let fork = input.fork();
                let named = (|| -> syn::Result<()> {
                    if fork.peek(syn::LitStr) {
                        fork.parse::<syn::LitStr>()?;
                    } else {
                        fork.call(syn::Ident::parse_any)?;
                        while fork.peek(Token![.]) {
                            fork.parse::<Token![.]>()?;
                            fork.call(syn::Ident::parse_any)?;
                        }
                    }
                    if fork.peek(Token![=]) && !fork.peek(Token![==]) && !fork.peek(Token![=>]) {
                        fork.parse::<Token![=]>()?;
                        Ok(())
                    } else {
                        Err(fork.error("not a field"))
                    }
                })();
                if named.is_ok() {
                    input.advance_to(&fork);
                }
            }
            if input.peek(Token![%]) {
                input.parse::<Token![%]>()?;
            } else if input.peek(Token![?]) {
                input.parse::<Token![?]>()?;
            }
            // A bare field name with no value (`info!(user, "msg")`) parses as a path: harmless.
            out.push(input.parse::<Expr>()?);
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            } else if input.peek(Token![;]) {
                input.parse::<Token![;]>()?;
            } else if !input.is_empty() {
                return Err(input.error("expected `,`"));
            }
        }
        Ok(out)
    };
    parser.parse2(tokens.clone()).ok()
}

/// One branch of a `select!`: `pat = future [, if cond] => handler`, or `else => handler`.
#[derive(Clone)]
pub struct SelectBranch {
    /// The binding pattern (None for `else`/`default`/`complete` branches).
    pub pat: Option<Pat>,
    /// The future expression (None for `else`/`default`/`complete` branches).
    pub future: Option<Expr>,
    /// The precondition after `, if`.
    pub condition: Option<Expr>,
    /// The handler expression after `=>`.
    pub handler: Expr,
}

/// A parsed `select!` body.
#[derive(Clone, Default)]
pub struct SelectMacro {
    /// Whether it starts with `biased;`.
    pub biased: bool,
    /// The branches, in order.
    pub branches: Vec<SelectBranch>,
}

/// [`parse_select`] without the memo.
fn select(tokens: &TokenStream) -> Option<SelectMacro> {
    let parser = |input: ParseStream<'_>| -> syn::Result<SelectMacro> {
        let mut out = SelectMacro::default();
        if input.peek(syn::Ident) && input.peek2(Token![;]) {
            let ident: syn::Ident = input.parse()?;
            if ident != "biased" {
                return Err(syn::Error::new(ident.span(), "expected `biased`"));
            }
            input.parse::<Token![;]>()?;
            out.biased = true;
        }
        while !input.is_empty() {
            let special =
                (input.peek(Token![else]) || input.peek(Token![default]) || is_complete(input))
                    && input.peek2(Token![=>]);
            let (pat, future, condition) = if special {
                let _: proc_macro2::TokenTree = input.parse()?;
                (None, None, None)
            } else {
                let pat = Pat::parse_multi_with_leading_vert(input)?;
                input.parse::<Token![=]>()?;
                let future: Expr = input.parse()?;
                let condition = if input.peek(Token![,]) && input.peek2(Token![if]) {
                    input.parse::<Token![,]>()?;
                    input.parse::<Token![if]>()?;
                    Some(input.parse::<Expr>()?)
                } else {
                    None
                };
                (Some(pat), Some(future), condition)
            };
            input.parse::<Token![=>]>()?;
            let handler: Expr = input.parse()?;
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            } else if !input.is_empty() && !matches!(handler, Expr::Block(_)) {
                return Err(input.error("expected `,` between select! branches"));
            }
            out.branches.push(SelectBranch {
                pat,
                future,
                condition,
                handler,
            });
        }
        Ok(out)
    };
    parser.parse2(tokens.clone()).ok()
}

fn is_complete(input: ParseStream<'_>) -> bool {
    input.cursor().ident().is_some_and(|(i, _)| i == "complete")
}

/// [`parse_expr_list`] without the memo.
fn expr_list(tokens: &TokenStream) -> Option<Vec<Expr>> {
    let list = |input: ParseStream<'_>| -> syn::Result<Vec<Expr>> {
        if input.peek(syn::Ident) && input.peek2(Token![;]) {
            let _: syn::Ident = input.parse()?;
            input.parse::<Token![;]>()?;
        }
        Ok(Punctuated::<Expr, Token![,]>::parse_terminated(input)?
            .into_iter()
            .collect())
    };
    if let Ok(v) = list.parse2(tokens.clone()) {
        return Some(v);
    }
    let repeat = |input: ParseStream<'_>| -> syn::Result<Vec<Expr>> {
        let a: Expr = input.parse()?;
        input.parse::<Token![;]>()?;
        let b: Expr = input.parse()?;
        Ok(vec![a, b])
    };
    if let Ok(v) = repeat.parse2(tokens.clone()) {
        return Some(v);
    }
    let stmts = |input: ParseStream<'_>| -> syn::Result<Vec<Expr>> {
        let stmts = syn::Block::parse_within(input)?;
        Ok(stmts
            .into_iter()
            .filter_map(|s| match s {
                syn::Stmt::Local(l) => l.init.map(|i| *i.expr),
                syn::Stmt::Expr(e, _) => Some(e),
                _ => None,
            })
            .collect())
    };
    stmts.parse2(tokens.clone()).ok()
}

/// A macro body parsed once per file and shared by every rule that looks inside it (the walk, the
/// lock and cancellation rules and the binding model each read `select!` and `join!` bodies).
pub struct Parsed<T>(Rc<T>);

impl<T> Deref for Parsed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Parsed<Vec<Expr>> {
    type Item = &'a Expr;
    type IntoIter = std::slice::Iter<'a, Expr>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Identity of a macro body within the file being linted: the byte offset of its opening
/// delimiter (rules hold clones of macro nodes, so addresses differ). None for a macro with no
/// source position.
type Key = usize;

fn key(mac: &Macro) -> Option<Key> {
    let open = mac.delimiter.span().open().bytes();
    (!open.is_empty()).then_some(open.start)
}

/// Parsed bodies of the current file, by kind.
#[derive(Default)]
struct Memo {
    /// Set by [`remember_for_file`]: offsets identify a body only while one file's tree is walked
    /// (every parse starts its offsets at 0), so outside that window nothing is remembered.
    active: bool,
    logs: FxHashMap<Key, Option<Rc<Vec<Expr>>>>,
    lists: FxHashMap<Key, Option<Rc<Vec<Expr>>>>,
    selects: FxHashMap<Key, Option<Rc<SelectMacro>>>,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::default();
}

/// Remembers parsed bodies on this thread until [`forget`]. The driver calls it before walking a
/// file's tree; every body parsed in between must come from that file.
pub fn remember_for_file() {
    MEMO.with(|m| {
        *m.borrow_mut() = Memo {
            active: true,
            ..Memo::default()
        }
    });
}

fn remembered<T>(
    mac: &Macro,
    table: fn(&mut Memo) -> &mut FxHashMap<Key, Option<Rc<T>>>,
    parse: fn(&TokenStream) -> Option<T>,
) -> Option<Parsed<T>> {
    let tokens = &mac.tokens;
    let key = MEMO.with(|m| m.borrow().active).then(|| key(mac)).flatten();
    let Some(key) = key else {
        return parse(tokens).map(|v| Parsed(Rc::new(v)));
    };
    if let Some(hit) = MEMO.with(|m| table(&mut m.borrow_mut()).get(&key).cloned()) {
        return hit.map(Parsed);
    }
    let parsed = parse(tokens).map(Rc::new);
    MEMO.with(|m| table(&mut m.borrow_mut()).insert(key, parsed.clone()));
    parsed.map(Parsed)
}

/// Drops the bodies parsed for the file that was just linted on this thread and stops
/// remembering. The driver calls it when it is done with a file's tree.
pub fn forget() {
    MEMO.with(|m| *m.borrow_mut() = Memo::default());
}

/// Parses the arguments of a `tracing` / `log` macro into the expressions they evaluate:
/// `target: expr`, `parent: expr`, `field = expr`, `a.b = %expr`, `?expr`, `%expr`, format
/// arguments, separated by `,` (or `;` before log's message). None if it does not parse.
pub fn parse_log_args(mac: &Macro) -> Option<Parsed<Vec<Expr>>> {
    remembered(mac, |m| &mut m.logs, log_args)
}

/// Parses a `select!` body, or None if it does not parse.
pub fn parse_select(mac: &Macro) -> Option<Parsed<SelectMacro>> {
    remembered(mac, |m| &mut m.selects, select)
}

/// Parses a comma-separated expression list (also `biased;` prefixes, `vec![x; n]`,
/// `pin!(let x = ..;)` statements), or None if it does not parse.
pub fn parse_expr_list(mac: &Macro) -> Option<Parsed<Vec<Expr>>> {
    remembered(mac, |m| &mut m.lists, expr_list)
}

/// [`may_contain_code`] for a macro of the file being walked, read from its text between the
/// delimiters (cloning and walking its tokens cost more): see [`text_may_contain_code`].
pub fn macro_may_contain_code(mac: &Macro) -> bool {
    use crate::span::ByteRange;
    let d = mac.delimiter.span();
    let (open, close) = (d.open().bytes(), d.close().bytes());
    if open.end <= close.start
        && let Some(found) = crate::span::parsed_text(open.end..close.start, text_may_contain_code)
    {
        return found;
    }
    may_contain_code(&mac.tokens)
}

/// Whether macro body text has a `(` or an `await` outside string literals and comments: a
/// body without one has neither a call nor an `.await` (the `(` of `info!("({} done)", n)` is
/// text). Anything it does not understand counts as code.
pub fn text_may_contain_code(body: &str) -> bool {
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'(' => return true,
            b'"' => match skip_string(b, i + 1) {
                Some(end) => i = end,
                None => return true,
            },
            // A raw string `r"…"`, `r#"…"#` (also `br`, `cr`), not inside an identifier.
            b'r' if !b[..i]
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                || (i > 0
                    && matches!(b[i - 1], b'b' | b'c')
                    && !b[..i - 1]
                        .last()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) == Some(&b'"') {
                    let close: Vec<u8> = std::iter::once(b'"')
                        .chain(std::iter::repeat_n(b'#', hashes))
                        .collect();
                    let start = i + 2 + hashes;
                    match memchr::memmem::find(&b[start..], &close) {
                        Some(at) => i = start + at + close.len(),
                        None => return true,
                    }
                } else {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |at| i + at + 1);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match memchr::memmem::find(&b[i + 2..], b"*/") {
                Some(at) => i += 2 + at + 2,
                None => return true,
            },
            // A character literal `'('`, `'\''`, `'\u{28}'` (a lifetime `'a` is left alone).
            b'\'' => {
                if b.get(i + 1) == Some(&b'\\') {
                    match memchr::memchr(b'\'', &b[i + 3.min(b.len() - i)..]) {
                        Some(at) => i = i + 3 + at + 1,
                        None => return true,
                    }
                } else {
                    let ch = body[i + 1..].chars().next().map_or(0, char::len_utf8);
                    if ch > 0 && b.get(i + 1 + ch) == Some(&b'\'') {
                        i += 2 + ch;
                    } else {
                        i += 1;
                    }
                }
            }
            b'a' if b[i..].starts_with(b"await") => return true,
            _ => i += 1,
        }
    }
    false
}

/// The index just past the `"` closing a string whose text starts at `i`, escapes skipped.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Cheap test: could this macro body contain anything a rule looks for? Rules look at calls,
/// method calls, `.await` and what encloses them (closures, async blocks, struct literals), so a
/// body with no parenthesised group and no `.await` at any depth (`format!("{}", self.name)`,
/// `assert!(done)`, `vec![1, 2]`) is skipped without parsing it.
pub fn may_contain_code(tokens: &TokenStream) -> bool {
    use proc_macro2::{Delimiter, TokenTree};
    let mut after_dot = false;
    for tt in tokens.clone() {
        match tt {
            TokenTree::Group(g) => {
                if g.delimiter() == Delimiter::Parenthesis || may_contain_code(&g.stream()) {
                    return true;
                }
                after_dot = false;
            }
            TokenTree::Ident(i) => {
                if after_dot && i == "await" {
                    return true;
                }
                after_dot = false;
            }
            TokenTree::Punct(p) => after_dot = p.as_char() == '.',
            TokenTree::Literal(_) => after_dot = false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokio_select() {
        let mac: Macro = syn::parse_str(
            "tokio::select! { biased; _ = token.cancelled() => { break; } Some(x) = rx.recv(), if open => handle(x), else => return, }",
        )
        .unwrap();
        assert_eq!(kind(&mac), MacroKind::Select);
        let s = parse_select(&mac).unwrap();
        assert!(s.biased);
        assert_eq!(s.branches.len(), 3);
        assert!(s.branches[1].condition.is_some());
        assert!(s.branches[2].future.is_none());
    }

    #[test]
    fn parses_lists() {
        let mac: Macro = syn::parse_str("tokio::join!(a(), b.c().await)").unwrap();
        assert_eq!(parse_expr_list(&mac).unwrap().len(), 2);
        let mac: Macro = syn::parse_str("vec![f(); 3]").unwrap();
        assert_eq!(parse_expr_list(&mac).unwrap().len(), 2);
        let mac: Macro = syn::parse_str("tokio::pin!(let f = g(););")
            .unwrap_or_else(|_| syn::parse_str("tokio::pin!(let f = g();)").unwrap());
        assert_eq!(parse_expr_list(&mac).unwrap().len(), 1);
    }

    #[test]
    fn parses_log_arguments() {
        let count = |src: &str| {
            let mac: Macro = syn::parse_str(src).unwrap();
            parse_log_args(&mac).map(|v| v.len())
        };
        assert_eq!(
            count("tracing::info!(size = f(p)?.len(), \"stored\")"),
            Some(2)
        );
        assert_eq!(
            count("info!(target: \"t\", a.b = %x, ?y, \"{} {}\", g(), h)"),
            Some(6)
        );
        assert_eq!(
            count("event!(Level::INFO, type = 1, \"quoted\" = ?z)"),
            Some(3)
        );
        assert_eq!(count("log::warn!(k = v; \"msg {}\", q())"), Some(3));
        assert_eq!(count("info!(x == y, \"cmp\")"), Some(2));
        assert_eq!(count("info!(=> nonsense)"), None);
    }

    fn body_may_contain_code(src: &str) -> bool {
        let mac: Macro = syn::parse_str(src).unwrap();
        may_contain_code(&mac.tokens)
    }

    #[test]
    fn skips_bodies_without_calls_or_awaits() {
        for src in [
            "format!(\"{}\", self.name)",
            "assert!(done)",
            "vec![1, 2, [3]]",
            "format!(\"{x}.{y}\", x = a.b, y = c)",
            "assert_eq!(a, b, \"await\")",
        ] {
            assert!(!body_may_contain_code(src), "{src}");
        }
        for src in [
            "format!(\"{}\", f())",
            "assert!(fut.await)",
            "vec![Foo { a: g() }]",
            "assert!(matches!(x, Some(_)))",
            "tokio::join!(async { x.await })",
        ] {
            assert!(body_may_contain_code(src), "{src}");
        }
    }

    #[test]
    fn the_text_check_of_a_walked_file_never_skips_code_the_token_check_sees() {
        let src = "fn f() {\n    format!(\"{}\", self.name);\n    assert!(fut.await);\n    \
                   vec![Foo { a: g() }];\n    info!(\"({} done)\", n);\n    assert_eq!(a, b);\n}\n";
        let file: syn::File = syn::parse_str(src).unwrap();
        let source = std::sync::Arc::new(crate::source::SourceText::new(src.to_string()));
        let _parsed = crate::span::ParsedFile::install(source, 0);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!("a fn")
        };
        let found: Vec<(bool, bool)> = f
            .block
            .stmts
            .iter()
            .map(|s| match s {
                syn::Stmt::Macro(m) => (
                    macro_may_contain_code(&m.mac),
                    may_contain_code(&m.mac.tokens),
                ),
                _ => panic!("a macro statement"),
            })
            .collect();
        // The text check is the token check.
        assert_eq!(
            found,
            [
                (false, false),
                (true, true),
                (true, true),
                (false, false),
                (false, false)
            ]
        );
    }

    #[test]
    fn the_text_check_skips_literals_and_comments_only() {
        for body in [
            r#""({} done)", n"#,
            r#""a \"(\" b", x.y"#,
            r##"r#"(")"#, z"##,
            r#"br"(", c"#,
            "'(', ')', '\\'', '\\u{28}', x",
            "x, // f()\n y",
            "x /* g() */, y",
            "&'a str, \"awai\"",
        ] {
            assert!(!text_may_contain_code(body), "{body}");
        }
        for body in [
            r#""{}", f()"#,
            r#""{}", x.await"#,
            "\"unclosed (",
            "x, /* unclosed (",
            "for_each(|x| x)",
            "'a, g()",
            "r(x)",
            "bar(\"x\")",
        ] {
            assert!(text_may_contain_code(body), "{body}");
        }
    }
}
