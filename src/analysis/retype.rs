//! Following a value whose type a fix changes (a std `File`, `TcpStream`, `TcpListener` or
//! `UdpSocket` replaced by tokio's): the fix is an edit only when every later use of the value is
//! known and rewritten with it (`f.read_to_string(&mut s)?` → `f.read_to_string(&mut s).await?`
//! plus the extension trait's `use`). Any other use (a `BufReader` around it, `writeln!`, a fn
//! taking the std type, a socket option tokio lacks, a move into a sync closure or thread) makes
//! the fix manual, with the use named in the help.

use std::ops::Range;

use syn::visit::{self, Visit};
use syn::{Block, Expr, Local, Pat, Stmt};

use crate::analysis::file::FileCx;
use crate::diagnostic::Edit;

/// The tokio type a replacement produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `tokio::fs::File`.
    File,
    /// `tokio::net::TcpStream`.
    Stream,
    /// `tokio::net::TcpListener`.
    Listener,
    /// `tokio::net::UdpSocket`.
    Udp,
}

const READ: &str = "tokio::io::AsyncReadExt";
const WRITE: &str = "tokio::io::AsyncWriteExt";
const SEEK: &str = "tokio::io::AsyncSeekExt";

/// Whether a replacement path (of any runtime) returns another type than the std call it
/// replaces: a file, stream, listener or socket.
pub fn changes_type(path: &str) -> bool {
    let rest = path.split_once("::").map_or(path, |(_, r)| r);
    rest.starts_with("fs::File::")
        || rest == "fs::OpenOptions"
        || rest.starts_with("net::TcpStream::")
        || rest.starts_with("net::TcpListener::")
        || rest.starts_with("net::UdpSocket::")
}

impl Target {
    /// The target of a tokio replacement path (`tokio::fs::File::open`), if it changes the type
    /// of the value the std call returned.
    pub fn of_replacement(path: &str) -> Option<Target> {
        if path.starts_with("tokio::fs::File::") || path == "tokio::fs::OpenOptions" {
            Some(Target::File)
        } else if path == "tokio::net::TcpStream::connect" {
            Some(Target::Stream)
        } else if path == "tokio::net::TcpListener::bind" {
            Some(Target::Listener)
        } else if path == "tokio::net::UdpSocket::bind" {
            Some(Target::Udp)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Target::File => "tokio::fs::File",
            Target::Stream => "tokio::net::TcpStream",
            Target::Listener => "tokio::net::TcpListener",
            Target::Udp => "tokio::net::UdpSocket",
        }
    }

    /// How `method` of the std type is written on the tokio type: `None` when tokio has no
    /// method of that name with the same arguments and result.
    fn method(self, method: &str) -> Option<MethodUse> {
        let same = MethodUse {
            awaited: false,
            trait_: None,
            yields: None,
        };
        let awaited = |trait_| MethodUse {
            awaited: true,
            trait_,
            yields: None,
        };
        let io = |m: &str| match m {
            // Not `read_exact`: tokio's yields the byte count, std's `()`.
            "read" | "read_to_end" | "read_to_string" => Some(awaited(Some(READ))),
            "write" | "write_all" | "flush" => Some(awaited(Some(WRITE))),
            _ => None,
        };
        match self {
            Target::File => io(method).or(match method {
                "sync_all" | "sync_data" | "set_len" | "metadata" | "set_permissions" => {
                    Some(awaited(None))
                }
                "seek" | "rewind" | "stream_position" => Some(awaited(Some(SEEK))),
                _ => None,
            }),
            Target::Stream => io(method).or(match method {
                "peek" => Some(awaited(None)),
                "peer_addr" | "local_addr" | "set_nodelay" | "nodelay" | "set_ttl" | "ttl"
                | "take_error" => Some(same),
                _ => None,
            }),
            Target::Listener => match method {
                "accept" => Some(MethodUse {
                    awaited: true,
                    trait_: None,
                    yields: Some(Target::Stream),
                }),
                "local_addr" | "set_ttl" | "ttl" | "take_error" => Some(same),
                _ => None,
            },
            Target::Udp => match method {
                "send" | "send_to" | "recv" | "recv_from" | "connect" | "peek_from" => {
                    Some(awaited(None))
                }
                "local_addr" | "peer_addr" | "set_broadcast" | "broadcast" | "set_ttl" | "ttl"
                | "take_error" => Some(same),
                _ => None,
            },
        }
    }
}

/// How one use of the value is rewritten.
#[derive(Debug, Clone, Copy)]
struct MethodUse {
    /// `.await` is appended to the call.
    awaited: bool,
    /// The trait that must be in scope.
    trait_: Option<&'static str>,
    /// `accept()`: the first element of the result is a value of this type, followed too.
    yields: Option<Target>,
}

/// The edits that keep every use of the value compiling, and the traits they need in scope.
#[derive(Debug, Default)]
pub struct Rewrite {
    /// `.await` insertions after uses.
    pub edits: Vec<Edit>,
    /// Extension traits the rewritten uses call (canonical paths).
    pub traits: Vec<&'static str>,
    /// Where a `use` of a missing trait goes (after the enclosing fn body's `{`) and the indent
    /// of that body's first statement.
    pub use_at: Option<(usize, String)>,
}

/// Follows the value of the call at `range` (the expression the fix makes `.await`) to every
/// use. `Err` names the use that the fix cannot rewrite.
pub fn follow(cx: &FileCx<'_>, range: Range<usize>, target: Target) -> Result<Rewrite, String> {
    let mut finder = Finder {
        cx,
        range: range.clone(),
        stack: Vec::new(),
        found: None,
        fn_block: None,
    };
    finder.visit_file(cx.file);
    let Some((path, fn_block)) = finder.found else {
        return Err("the call is not in a fn body the fix can follow".to_string());
    };
    let mut out = Rewrite::default();
    let value = Value { path: &path };
    let mut tracer = Tracer {
        cx,
        out: &mut out,
        depth: 0,
    };
    tracer.position(value, target)?;
    out.traits.sort_unstable();
    if let (Some(first), Some(block)) = (out.traits.first(), fn_block) {
        out.use_at = Some(use_position(cx, block, first));
    }
    if !out.traits.is_empty() && out.use_at.is_none() {
        return Err("the traits it needs cannot be imported here".to_string());
    }
    Ok(out)
}

/// The blocks around the call or method call at `range`, outermost first, each with the index
/// of its statement that contains the call (`None` inside macros or outside fn bodies).
pub fn enclosing_stmts<'a>(
    cx: &FileCx<'a>,
    range: Range<usize>,
) -> Option<Vec<(&'a Block, usize)>> {
    let mut finder = Finder {
        cx,
        range,
        stack: Vec::new(),
        found: None,
        fn_block: None,
    };
    finder.visit_file(cx.file);
    let (path, _) = finder.found?;
    let mut out = Vec::new();
    for (i, n) in path.iter().enumerate() {
        if let (Node::Block(b), Some(Node::Stmt(s))) = (n, path.get(i + 1)) {
            out.push((*b, b.stmts.iter().position(|t| std::ptr::eq(t, *s))?));
        }
    }
    Some(out)
}

/// Indentation of the line holding byte `at`.
pub fn indent_at(cx: &FileCx<'_>, at: usize) -> String {
    let Some(before) = cx.source.text().get(..at) else {
        return String::new();
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    before[line_start..]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect()
}

/// Where `use {path};` goes in a fn body: among the `use` items the body starts with, in
/// sorted order (as rustfmt keeps them), else right after the `{`; with the indent of the
/// body's first statement. The insertion starts with a newline.
fn use_position(cx: &FileCx<'_>, block: &Block, path: &str) -> (usize, String) {
    let indent = block
        .stmts
        .first()
        .map(|s| indent_at(cx, cx.range(s).start))
        .unwrap_or_default();
    let mut at = cx.span_range(block.brace_token.span.open()).end;
    for stmt in &block.stmts {
        let Stmt::Item(syn::Item::Use(u)) = stmt else {
            break;
        };
        let text = cx.text(cx.range(&u.tree)).to_string();
        if text.as_str() > path {
            break;
        }
        at = cx.range(stmt).end;
    }
    (at, indent)
}

/// One ancestor of the followed expression.
#[derive(Clone, Copy)]
enum Node<'a> {
    Block(&'a Block),
    Stmt(&'a Stmt),
    Local(&'a Local),
    Expr(&'a Expr),
}

/// Finds the expression at a range with its ancestors and the innermost fn body around it.
struct Finder<'c, 'a, 'ast> {
    cx: &'c FileCx<'a>,
    range: Range<usize>,
    stack: Vec<Node<'ast>>,
    found: Option<(Vec<Node<'ast>>, Option<&'ast Block>)>,
    fn_block: Option<&'ast Block>,
}

impl<'ast> Finder<'_, '_, 'ast> {
    fn contains(&self, node: &(impl syn::spanned::Spanned + 'static)) -> bool {
        let r = self.cx.range(node);
        r.start <= self.range.start && self.range.end <= r.end
    }

    fn fn_body(&mut self, block: &'ast Block) {
        if self.found.is_none() && self.contains(block) {
            let saved = self.fn_block.replace(block);
            let stack = std::mem::take(&mut self.stack);
            self.visit_block(block);
            self.stack = stack;
            self.fn_block = saved;
        }
    }
}

impl<'ast> Visit<'ast> for Finder<'_, '_, 'ast> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.fn_body(&f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.fn_body(&f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(b) = &f.default {
            self.fn_body(b);
        }
    }

    fn visit_block(&mut self, b: &'ast Block) {
        if self.found.is_none() && self.contains(b) {
            self.stack.push(Node::Block(b));
            visit::visit_block(self, b);
            self.stack.pop();
        }
    }

    fn visit_stmt(&mut self, s: &'ast Stmt) {
        if self.found.is_none() && self.contains(s) {
            self.stack.push(Node::Stmt(s));
            visit::visit_stmt(self, s);
            self.stack.pop();
        }
    }

    fn visit_local(&mut self, l: &'ast Local) {
        if self.found.is_none() && self.contains(l) {
            self.stack.push(Node::Local(l));
            visit::visit_local(self, l);
            self.stack.pop();
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.found.is_some() || !self.contains(e) {
            return;
        }
        self.stack.push(Node::Expr(e));
        if self.cx.range(e) == self.range && matches!(e, Expr::Call(_) | Expr::MethodCall(_)) {
            self.found = Some((self.stack.clone(), self.fn_block));
        } else {
            visit::visit_expr(self, e);
        }
        self.stack.pop();
    }
}

/// The followed expression: the last node of `path`, an `Expr`.
#[derive(Clone, Copy)]
struct Value<'p, 'ast> {
    path: &'p [Node<'ast>],
}

/// Checks where values go and collects the rewrite.
struct Tracer<'c, 'a, 'o> {
    cx: &'c FileCx<'a>,
    out: &'o mut Rewrite,
    /// Nesting of followed values (an accepted stream inside a listener's loop).
    depth: u32,
}

fn same(a: &Expr, b: &Expr) -> bool {
    std::ptr::eq(a, b)
}

impl Tracer<'_, '_, '_> {
    /// Where the value at the end of `v.path` goes, after `?`, `.unwrap()`, `.expect(..)`.
    fn position(&mut self, v: Value<'_, '_>, target: Target) -> Result<(), String> {
        let mut i = v.path.len() - 1;
        let Node::Expr(mut cur) = v.path[i] else {
            return Err("unexpected syntax".to_string());
        };
        loop {
            let Some(parent) = i.checked_sub(1).map(|p| v.path[p]) else {
                return Err("the value is used where the fix cannot follow it".to_string());
            };
            match parent {
                Node::Expr(Expr::Try(t)) if same(&t.expr, cur) => {}
                Node::Expr(Expr::Paren(p)) if same(&p.expr, cur) => {}
                Node::Expr(Expr::MethodCall(m))
                    if same(&m.receiver, cur) && keeps_ok_type(&m.method.to_string()) => {}
                Node::Expr(Expr::MethodCall(m)) if same(&m.receiver, cur) => {
                    return self.method_use(m, target, None);
                }
                Node::Stmt(Stmt::Expr(_, Some(_))) => return Ok(()),
                Node::Local(l) if l.init.as_ref().is_some_and(|i| same(&i.expr, cur)) => {
                    let Some(init) = &l.init else { return Ok(()) };
                    if init.diverge.is_some() {
                        return Err("the value is bound with `let .. else`".to_string());
                    }
                    return self.binding(&l.pat, v.path, i - 1, target);
                }
                _ => {
                    return Err(format!(
                        "the value is passed on as a std `{}`",
                        std_name(target)
                    ));
                }
            }
            i -= 1;
            let Node::Expr(e) = v.path[i] else {
                return Err("unexpected syntax".to_string());
            };
            cur = e;
        }
    }

    /// `let pat = value;` at `path[local_at]`: follows the bound name through the rest of its
    /// block.
    fn binding(
        &mut self,
        pat: &Pat,
        path: &[Node<'_>],
        local_at: usize,
        target: Target,
    ) -> Result<(), String> {
        let name = match pat {
            Pat::Wild(_) => return Ok(()),
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.to_string(),
            Pat::Type(_) => return Err("the binding's type is written out".to_string()),
            _ => return Err("the value is destructured".to_string()),
        };
        // path[local_at - 1] is the statement, path[local_at - 2] its block.
        let (Some(Node::Stmt(stmt)), Some(Node::Block(block))) = (
            local_at.checked_sub(1).map(|i| path[i]),
            local_at.checked_sub(2).map(|i| path[i]),
        ) else {
            return Err("unexpected syntax".to_string());
        };
        let Some(at) = block.stmts.iter().position(|s| std::ptr::eq(s, stmt)) else {
            return Err("unexpected syntax".to_string());
        };
        self.uses(&name, &block.stmts[at + 1..], target)
    }

    /// Follows `name` (of type `target`) through `stmts`, up to a `let` that shadows it.
    fn uses(&mut self, name: &str, stmts: &[Stmt], target: Target) -> Result<(), String> {
        self.depth += 1;
        if self.depth > 4 {
            return Err("the value is followed too deep".to_string());
        }
        let mut scan = Uses {
            tracer: self,
            name,
            target,
            closures: 0,
            err: None,
        };
        for (i, stmt) in stmts.iter().enumerate() {
            // `let name = ..;` ends the followed binding's scope (its initializer still sees it).
            if let Stmt::Local(l) = stmt
                && binds(&l.pat, name)
            {
                if let Some(init) = &l.init {
                    scan.visit_local_init(init);
                }
                break;
            }
            scan.stmt(stmt, &stmts[i + 1..]);
            if scan.err.is_some() {
                break;
            }
        }
        let err = scan.err.take();
        self.depth -= 1;
        err.map_or(Ok(()), Err)
    }

    /// `name.method(..)` (or `value.method(..)`); `after` is the rest of the block for a
    /// method whose result is followed too (`let (s, _) = listener.accept()?;`).
    fn method_use(
        &mut self,
        m: &syn::ExprMethodCall,
        target: Target,
        yielded: Option<(&Pat, &[Stmt])>,
    ) -> Result<(), String> {
        let method = m.method.to_string();
        let Some(u) = target.method(&method) else {
            return Err(format!(
                "`.{method}()` of the std type has no same-shaped method on `{}`",
                target.name()
            ));
        };
        if u.awaited {
            self.out
                .edits
                .push(Edit::insert(self.cx.range(m).end, ".await"));
        }
        if let Some(t) = u.trait_
            && !self.out.traits.contains(&t)
        {
            self.out.traits.push(t);
        }
        if let Some(next) = u.yields {
            let Some((pat, after)) = yielded else {
                return Err(format!("the result of `.{method}()` is used as a std type"));
            };
            let Pat::Tuple(t) = pat else {
                return Err(format!("the result of `.{method}()` is not destructured"));
            };
            match t.elems.first() {
                Some(Pat::Wild(_)) => {}
                Some(Pat::Ident(p)) if p.by_ref.is_none() && p.subpat.is_none() => {
                    self.uses(&p.ident.to_string(), after, next)?;
                }
                _ => return Err(format!("the result of `.{method}()` is destructured")),
            }
        }
        Ok(())
    }
}

/// The std type a target replaces, for messages.
fn std_name(target: Target) -> &'static str {
    match target {
        Target::File => "File",
        Target::Stream => "TcpStream",
        Target::Listener => "TcpListener",
        Target::Udp => "UdpSocket",
    }
}

mod uses;
pub use uses::count_ident;
use uses::{Uses, binds, keeps_ok_type};
