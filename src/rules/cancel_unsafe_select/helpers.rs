//! Async fns of the file whose future is not cancel-safe because their body awaits a
//! not-cancel-safe read or write (`read_exact`, `read_u64`, ..) or another such fn of the file:
//! summerset's `Self::read_req`, which reads a length and then the frame. A `select!` branch
//! that re-creates such a call loses what the fn already consumed whenever another branch wins.
//!
//! Resolution is file-local: `Self::f(..)` / `self.f(..)` name a method of an impl in the file,
//! `f(..)` a free fn of the file; a name declared more than once in the file (two impls, cfg
//! alternatives) is not resolved.

use std::collections::HashMap;

use syn::visit::{self, Visit};
use syn::{Expr, ImplItem, Item};

use crate::analysis::FileCx;
use crate::analysis::paths;

use super::methods::{METHODS, short};

/// Reads of tokio's `AsyncReadExt` that take no argument and are not cancel-safe (a number
/// partly read is lost).
const READ_NUMBERS: &[&str] = &[
    "read_u8",
    "read_i8",
    "read_u16",
    "read_i16",
    "read_u32",
    "read_i32",
    "read_u64",
    "read_i64",
    "read_u128",
    "read_i128",
    "read_f32",
    "read_f64",
    "read_u16_le",
    "read_u32_le",
    "read_u64_le",
    "read_i32_le",
    "read_i64_le",
];

/// A not-cancel-safe async fn of the file: what it awaits that makes it so, and where.
#[derive(Clone)]
pub(super) struct Unsafe {
    /// File offset of the fn's name.
    pub(super) fn_start: usize,
    /// The awaited call, shortened (`conn_read.read_exact(..)`).
    pub(super) awaited: String,
    /// Its 1-based line.
    pub(super) line: usize,
}

/// The file's async fns by name, in two namespaces: methods (`Self::f`, `self.f`) and free fns.
#[derive(Default)]
struct Fns<'f> {
    methods: HashMap<String, Vec<(&'f syn::Block, usize)>>,
    free: HashMap<String, Vec<(&'f syn::Block, usize)>>,
    /// Names declared (async or not) more than once, per namespace: not resolved.
    sync_methods: Vec<String>,
    sync_free: Vec<String>,
}

/// The not-cancel-safe async fn a branch future calls, when the file declares it.
pub(super) fn unsafe_callee(cx: &FileCx<'_>, future: &Expr) -> Option<(String, Unsafe)> {
    let (method, name) = callee(future)?;
    let found = analysis(cx);
    let table = if method { &found.0 } else { &found.1 };
    table.get(&name).map(|u| (name, u.clone()))
}

/// Every not-cancel-safe async fn of the file (for calls of them from other files).
pub(super) fn unsafe_fns(cx: &FileCx<'_>) -> Vec<Unsafe> {
    let found = analysis(cx);
    let mut all: Vec<Unsafe> = found.0.values().chain(found.1.values()).cloned().collect();
    all.sort_by_key(|u| u.fn_start);
    all
}

/// Whether a branch future calls a fn the file does not declare (another file may): a path call
/// (`read_message(..)`, `util::read_message(..)`) or `Self::f` / `self.f` of no fn of the file.
pub(super) fn calls_elsewhere(cx: &FileCx<'_>, future: &Expr) -> bool {
    if !matches!(paths::peel(future), Expr::Call(_)) && callee(future).is_none() {
        return false;
    }
    match callee(future) {
        Some((_, name)) => !declared(cx).contains(&name),
        None => true,
    }
}

/// The names of every fn the file declares (any namespace, inline modules included).
fn declared(cx: &FileCx<'_>) -> std::collections::HashSet<String> {
    struct Names(std::collections::HashSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_signature(&mut self, s: &'ast syn::Signature) {
            self.0.insert(s.ident.to_string());
        }
    }
    let mut n = Names(Default::default());
    n.visit_file(cx.file);
    n.0
}

/// `Self::f(..)`, `self.f(..)` (method) or `f(..)` (free fn).
fn callee(e: &Expr) -> Option<(bool, String)> {
    match paths::peel(e) {
        Expr::Call(c) => {
            let path = paths::call_path(c)?;
            match path.segments.len() {
                1 => Some((false, path.segments[0].ident.to_string())),
                2 if path.segments[0].ident == "Self" => {
                    Some((true, path.segments[1].ident.to_string()))
                }
                _ => None,
            }
        }
        Expr::MethodCall(m) => {
            matches!(paths::peel(&m.receiver), Expr::Path(p) if p.path.is_ident("self"))
                .then(|| (true, m.method.to_string()))
        }
        _ => None,
    }
}

type Tables = (HashMap<String, Unsafe>, HashMap<String, Unsafe>);

/// The file's not-cancel-safe async methods and free fns, computed once per file.
fn analysis(cx: &FileCx<'_>) -> std::rc::Rc<Tables> {
    thread_local! {
        static MEMO: std::cell::RefCell<(u64, std::rc::Rc<Tables>)> = std::cell::RefCell::default();
    }
    MEMO.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.0 != cx.generation {
            *cell = (cx.generation, std::rc::Rc::new(compute(cx)));
        }
        std::rc::Rc::clone(&cell.1)
    })
}

fn compute(cx: &FileCx<'_>) -> Tables {
    let mut fns = Fns::default();
    collect(cx, &cx.file.items, &mut fns);
    let methods = unique(&fns.methods, &fns.sync_methods);
    let free = unique(&fns.free, &fns.sync_free);
    let mut found: Tables = Default::default();
    // Direct awaits first, then fns that await one of those, until nothing changes.
    loop {
        let mut changed = false;
        for (is_method, table) in [(true, &methods), (false, &free)] {
            for (name, (body, start)) in table {
                let known = if is_method { &found.0 } else { &found.1 };
                if known.contains_key(name) {
                    continue;
                }
                let mut f = Finder {
                    cx,
                    found: &found,
                    fn_start: *start,
                    hit: None,
                };
                f.visit_block(body);
                if let Some(u) = f.hit {
                    let out = if is_method {
                        &mut found.0
                    } else {
                        &mut found.1
                    };
                    out.insert(name.clone(), u);
                    changed = true;
                }
            }
        }
        if !changed {
            return found;
        }
    }
}

/// The names declared once, as async fns only.
fn unique<'f>(
    m: &HashMap<String, Vec<(&'f syn::Block, usize)>>,
    sync: &[String],
) -> HashMap<String, (&'f syn::Block, usize)> {
    m.iter()
        .filter(|(n, b)| b.len() == 1 && !sync.contains(n))
        .map(|(n, b)| (n.clone(), b[0]))
        .collect()
}

fn collect<'f>(cx: &FileCx<'_>, items: &'f [Item], fns: &mut Fns<'f>) {
    for item in items {
        match item {
            Item::Fn(f) => {
                let name = f.sig.ident.to_string();
                if f.sig.asyncness.is_some() {
                    let start = cx.span_range(f.sig.ident.span()).start;
                    fns.free.entry(name).or_default().push((&f.block, start));
                } else {
                    fns.sync_free.push(name);
                }
            }
            Item::Impl(i) => {
                for it in &i.items {
                    if let ImplItem::Fn(f) = it {
                        let name = f.sig.ident.to_string();
                        if f.sig.asyncness.is_some() {
                            let start = cx.span_range(f.sig.ident.span()).start;
                            fns.methods.entry(name).or_default().push((&f.block, start));
                        } else {
                            fns.sync_methods.push(name);
                        }
                    }
                }
            }
            // Fns of inline modules are other paths: a second declaration makes the name
            // ambiguous rather than resolved.
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    let mut nested = Fns::default();
                    collect(cx, inner, &mut nested);
                    fns.sync_free.extend(nested.free.into_keys());
                    fns.sync_free.extend(nested.sync_free);
                    fns.sync_methods.extend(nested.methods.into_keys());
                    fns.sync_methods.extend(nested.sync_methods);
                }
            }
            _ => {}
        }
    }
}

/// The first `.await` in a body (not in closures or async blocks) of a not-cancel-safe call:
/// a catalogued method, a number read, or a known not-cancel-safe fn of the file.
struct Finder<'c, 'a, 't> {
    cx: &'c FileCx<'a>,
    found: &'t Tables,
    fn_start: usize,
    hit: Option<Unsafe>,
}

impl<'ast> Visit<'ast> for Finder<'_, '_, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.hit.is_some() {
            return;
        }
        match e {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Await(a) => {
                let base = paths::peel(&a.base);
                let unsafe_call = match base {
                    Expr::MethodCall(m) => {
                        let name = m.method.to_string();
                        METHODS
                            .iter()
                            .any(|(n, arity, _)| *n == name && *arity == m.args.len())
                            || (m.args.is_empty() && READ_NUMBERS.contains(&name.as_str()))
                    }
                    _ => false,
                } || callee(base).is_some_and(|(method, name)| {
                    let t = if method { &self.found.0 } else { &self.found.1 };
                    t.contains_key(&name)
                });
                if unsafe_call {
                    let r = self.cx.range(base);
                    self.hit = Some(Unsafe {
                        fn_start: self.fn_start,
                        awaited: short(self.cx.text(r.clone())),
                        line: self.cx.line(r.start),
                    });
                    return;
                }
                visit::visit_expr(self, e);
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}
