//! `client-per-request`: a connection-pooling client or pool built inside a loop of async code or
//! inside an async fn registered as a request handler.
//!
//! Expression hook on the constructions, resolved through the file's imports:
//! `reqwest::Client::new()` / `::default()` / `::builder()..build()`, `reqwest::get(..)`,
//! `redis::Client::open(..)`, sqlx pools (`PgPool::connect(..)`, `PgPoolOptions::new()..connect(..)`)
//! and `hyper_util`'s legacy `Client::builder(..)..build(..)`. Where: a loop of the current async
//! body (not inside a closure), or the body of an `async fn` this file registers as a handler
//! (axum `get(h)` and friends, actix `web::get().to(h)`, route attributes such as `#[get("/")]`).
//! Test code (test fns, `cfg(test)` modules, files under `tests/` or `benches/`) is not checked.
//!
//! Phase 2 also reports (`per_call`) an async method that builds a client on every call, only
//! uses it there, and is called from two or more fns of the crate (an API client's
//! `get(&self, ..)`).
//!
//! Phase 2 (`resolve`): a call, in a loop of async code, of a crate fn that builds a client on
//! every call (recorded per file by `record_builders`: a construction its body makes
//! unconditionally, outside closures, blocks and branches), resolved through the call graph,
//! wherever that fn is.

mod in_loops;
mod per_call;

use std::collections::HashSet;
use std::ops::Range;

use syn::visit::{self, Visit};
use syn::{Expr, Item};

use crate::analysis::context::{AsyncKind, Scope};
use crate::analysis::facts::ClientBuild;
use crate::analysis::imports::{CanonPath, path_is};
use crate::analysis::index::CrateIndex;
use crate::analysis::paths;
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Family, FixAvailability, Hooks};
use crate::semantic::cfg::{TestCfg, test_cfg};

declare_rule! {
    /// A connection pool built per request or per loop iteration.
    pub static CLIENT_PER_REQUEST = Rule {
        id: "client-per-request",
        family: Family::Blocking,
        severity: Severity::Warning,
        summary: "a connection-pooling client or pool is built per request or per loop iteration instead of once and shared",
        fix: FixAvailability::Never,
        hooks: Hooks { expr: Some(check), file: Some(record_builders), resolve: Some(resolve), ..Hooks::NONE },
    }
}

fn message(what: &str, place: &str) -> String {
    format!("{what} builds a new connection pool {place}: connections are never reused")
}

fn help(kind: Kind) -> &'static str {
    match kind {
        Kind::Client => {
            "build one client at startup and share it (application state, a field, a `static LazyLock`); \
cloning it is cheap, it is an `Arc` inside"
        }
        Kind::Pool => {
            "build the pool once at startup and share it (application state, a field, a `static`); \
cloning it is cheap"
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Client,
    Pool,
}

/// Constructions that are complete in one call.
const CALLS: &[(&str, Kind)] = &[
    ("reqwest::Client::new", Kind::Client),
    ("reqwest::Client::default", Kind::Client),
    ("reqwest::get", Kind::Client),
    ("redis::Client::open", Kind::Client),
];

/// Route registration fns (axum) and methods (axum `MethodRouter`, actix `Route`/`Resource`)
/// whose fn-path argument is a request handler.
const ROUTE_NAMES: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "trace", "any", "on", "to",
];

/// Attributes that register the fn they are on as a handler (actix-web, rocket).
const ROUTE_ATTRS: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "trace", "route", "routes",
];

fn check(cx: &FileCx<'_>, scope: &Scope, e: &Expr, sink: &mut Sink<'_>) {
    let Some(ctx) = &scope.async_ctx else {
        return;
    };
    if scope.in_sync_closure || !names_a_client_crate(cx) {
        return;
    }
    let Some((kind, what)) = construction(cx, e).or_else(|| helper_call(cx, e)) else {
        return;
    };
    let range = cx.range(e);
    let (place, label) = if scope.loop_depth > 0 {
        (
            "on every iteration of this loop".to_string(),
            "async context starts here",
        )
    } else if ctx.kind == AsyncKind::Fn
        && let Some(name) = &ctx.fn_name
        && facts(cx, |f| f.handlers.contains(&**name))
    {
        (
            format!("on every request handled by `{name}`"),
            "registered as a request handler in this file",
        )
    } else {
        return;
    };
    if is_test_code(cx, &range) {
        return;
    }
    sink.report(&CLIENT_PER_REQUEST, range, message(&what, &place))
        .label(ctx.range.clone(), label)
        .help(help(kind));
}

/// The construction `e` is, if any: its kind and how messages name it.
/// Whether the file names a crate whose clients or pools the rule knows: every construction, and
/// every helper wrapping one, is resolved through the file's own paths and imports, so a file
/// that names none of them has nothing to find (and the file-wide facts are never collected).
fn names_a_client_crate(cx: &FileCx<'_>) -> bool {
    thread_local! {
        static NAMES: std::cell::Cell<(u64, bool)> = const { std::cell::Cell::new((u64::MAX, false)) };
    }
    NAMES.with(|cell| {
        let (generation, found) = cell.get();
        if generation == cx.generation {
            return found;
        }
        let text = cx.source.text();
        let found = crate::source::mentions_any(text, &["reqwest", "redis", "sqlx", "hyper_util"]);
        cell.set((cx.generation, found));
        found
    })
}

fn construction(cx: &FileCx<'_>, e: &Expr) -> Option<(Kind, String)> {
    match e {
        Expr::Call(c) => {
            let canon = cx.resolve(paths::call_path(c)?);
            if let Some((_, kind)) = CALLS.iter().find(|(p, _)| path_is(&canon, p)) {
                return Some((*kind, format!("`{}({})`", canon.join("::"), elide(&c.args))));
            }
            if is_sqlx_pool(&canon) && canon.last()?.starts_with("connect") {
                return Some((
                    Kind::Pool,
                    format!("`{}({})`", canon.join("::"), elide(&c.args)),
                ));
            }
            None
        }
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            let root = chain_root(&m.receiver)?;
            let canon = cx.resolve(paths::call_path(root)?);
            let built = match method.as_str() {
                "build" => {
                    path_is(&canon, "reqwest::Client::builder")
                        || path_is(&canon, "reqwest::ClientBuilder::new")
                        || path_is(&canon, "hyper_util::client::legacy::Client::builder")
                }
                "build_http" => path_is(&canon, "hyper_util::client::legacy::Client::builder"),
                "connect" | "connect_with" | "connect_lazy" | "connect_lazy_with" => {
                    canon.first().is_some_and(|c| c == "sqlx")
                        && canon.len() >= 2
                        && canon[canon.len() - 2].ends_with("PoolOptions")
                        && canon.last().is_some_and(|l| l == "new")
                }
                _ => false,
            };
            if !built {
                return None;
            }
            let kind = if canon.first().is_some_and(|c| c == "sqlx") {
                Kind::Pool
            } else {
                Kind::Client
            };
            Some((
                kind,
                format!(
                    "`{}({})..{method}({})`",
                    canon.join("::"),
                    elide(&root.args),
                    elide(&m.args)
                ),
            ))
        }
        _ => None,
    }
}

/// `..` for a non-empty argument list, nothing for an empty one.
fn elide(args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) -> &'static str {
    if args.is_empty() { "" } else { ".." }
}

/// `sqlx::PgPool`, `sqlx::Pool`, `sqlx::postgres::PgPool`..: a sqlx pool type's fn.
fn is_sqlx_pool(canon: &CanonPath) -> bool {
    canon.first().is_some_and(|c| c == "sqlx")
        && canon.len() >= 3
        && canon[canon.len() - 2].ends_with("Pool")
}

/// The call a method chain starts from (`Client::builder().timeout(..)` -> `Client::builder()`).
fn chain_root(mut e: &Expr) -> Option<&syn::ExprCall> {
    loop {
        match paths::peel(e) {
            Expr::MethodCall(m) => e = &m.receiver,
            Expr::Call(c) => return Some(c),
            _ => return None,
        }
    }
}

/// What this rule needs to know about the file, computed on its first candidate.
#[derive(Default)]
struct Facts {
    /// Names of fns the file registers as request handlers.
    handlers: HashSet<String>,
    /// Byte ranges of test fns and `cfg(test)` items.
    tests: Vec<Range<usize>>,
    /// The file is under `tests/` or `benches/`.
    test_file: bool,
    /// Fns of the file whose body only wraps a construction: name -> what it builds.
    helpers: std::collections::HashMap<String, (Kind, String)>,
}

/// A call of a helper of this file that only wraps a construction (`http()`, `Self::pool()`,
/// `self.client()`), described for messages.
fn helper_call(cx: &FileCx<'_>, e: &Expr) -> Option<(Kind, String)> {
    let name = match e {
        Expr::Call(c) => {
            let path = paths::call_path(c)?;
            let n = path.segments.len();
            if !(n == 1 || (n == 2 && path.segments[0].ident == "Self")) {
                return None;
            }
            let name = path.segments[n - 1].ident.to_string();
            if n == 1 && cx.local(&name).is_some() {
                return None;
            }
            name
        }
        Expr::MethodCall(m) => match paths::peel(&m.receiver) {
            Expr::Path(p) if p.path.is_ident("self") => m.method.to_string(),
            _ => return None,
        },
        _ => return None,
    };
    let (kind, what) = facts(cx, |f| f.helpers.get(&name).cloned())?;
    Some((kind, format!("`{name}(..)` (which wraps {what})")))
}

/// The construction a helper body's single tail expression is, through `.await`, `?`,
/// `.unwrap()` and `.expect(..)`.
fn wrapped_construction(cx: &FileCx<'_>, block: &syn::Block) -> Option<(Kind, String)> {
    let [syn::Stmt::Expr(tail, None)] = block.stmts.as_slice() else {
        return None;
    };
    construction(cx, paths::peel_results(tail))
}

fn facts<R>(cx: &FileCx<'_>, f: impl FnOnce(&Facts) -> R) -> R {
    thread_local! {
        static FACTS: std::cell::RefCell<(u64, Facts)> = std::cell::RefCell::default();
    }
    FACTS.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.0 != cx.generation {
            let mut c = Collect {
                cx,
                web: false,
                facts: Facts::default(),
            };
            c.facts.test_file = is_test_path(cx.path);
            let text = cx.source.text();
            c.web = crate::source::mentions_any(text, &["axum", "actix", "rocket", "poem", "warp"]);
            c.visit_file(cx.file);
            *cell = (cx.generation, c.facts);
        }
        f(&cell.1)
    })
}

/// A file under `tests/` or `benches/`, or named like a test module (`tests.rs`,
/// `integration_tests.rs`, `test_utils.rs`: by convention declared with `#[cfg(test)] mod ..;`).
fn is_test_path(path: &std::path::Path) -> bool {
    let in_dir = path
        .components()
        .any(|p| p.as_os_str() == "tests" || p.as_os_str() == "benches");
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    in_dir
        || stem == "test"
        || stem == "tests"
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.starts_with("test_")
}

fn is_test_code(cx: &FileCx<'_>, range: &Range<usize>) -> bool {
    facts(cx, |f| {
        f.test_file
            || f.tests
                .iter()
                .any(|t| t.start <= range.start && range.end <= t.end)
    })
}

struct Collect<'c, 'a> {
    cx: &'c FileCx<'a>,
    /// The file mentions a web framework: route registrations are looked for.
    web: bool,
    facts: Facts,
}

impl Collect<'_, '_> {
    fn handler_arg(&mut self, args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) {
        if self.web
            && let Some(Expr::Path(p)) = args.last().map(paths::peel)
            && let Some(last) = p.path.segments.last()
        {
            self.facts.handlers.insert(last.ident.to_string());
        }
    }
}

impl<'ast> Visit<'ast> for Collect<'_, '_> {
    fn visit_item(&mut self, item: &'ast Item) {
        let attrs: &[syn::Attribute] = match item {
            Item::Fn(f) => &f.attrs,
            Item::Mod(m) => &m.attrs,
            Item::Impl(i) => &i.attrs,
            _ => &[],
        };
        if test_cfg(attrs) == TestCfg::Only
            || (matches!(item, Item::Fn(_)) && crate::semantic::items::is_test_fn(attrs))
        {
            self.facts.tests.push(self.cx.range(item));
            return;
        }
        if let Item::Fn(f) = item
            && let Some(c) = wrapped_construction(self.cx, &f.block)
        {
            self.facts.helpers.insert(f.sig.ident.to_string(), c);
        }
        if let Item::Fn(f) = item
            && f.sig.asyncness.is_some()
            && f.attrs.iter().any(|a| {
                matches!(a.meta, syn::Meta::List(_))
                    && a.path()
                        .segments
                        .last()
                        .is_some_and(|s| ROUTE_ATTRS.iter().any(|r| s.ident == r))
            })
        {
            self.facts.handlers.insert(f.sig.ident.to_string());
        }
        visit::visit_item(self, item);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if crate::semantic::items::is_test_fn(&f.attrs) || test_cfg(&f.attrs) == TestCfg::Only {
            self.facts.tests.push(self.cx.range(f));
            return;
        }
        if let Some(c) = wrapped_construction(self.cx, &f.block) {
            self.facts.helpers.insert(f.sig.ident.to_string(), c);
        }
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Call(c)
                if !c.args.is_empty()
                    && paths::call_last_segment(c)
                        .is_some_and(|s| ROUTE_NAMES.iter().any(|r| s == r)) =>
            {
                self.handler_arg(&c.args);
            }
            Expr::MethodCall(m)
                if !m.args.is_empty() && ROUTE_NAMES.iter().any(|r| m.method == r) =>
            {
                self.handler_arg(&m.args);
            }
            _ => {}
        }
        visit::visit_expr(self, e);
    }
}

// ---------------------------------------------------------------------------------------------
// Fns that build a client on every call, and calls of them in loops (phase 2).

/// Records the fns of the file that build a client or pool on every call (not in test code).
fn record_builders(cx: &FileCx<'_>, sink: &mut Sink<'_>) {
    if !cx.settings.collect_facts || !names_a_client_crate(cx) || is_test_path(cx.path) {
        return;
    }
    let mut b = Builders { cx, sink };
    b.visit_file(cx.file);
}

struct Builders<'c, 'a, 's> {
    cx: &'c FileCx<'a>,
    sink: &'c mut Sink<'s>,
}

impl Builders<'_, '_, '_> {
    fn record(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature, body: &syn::Block) {
        if crate::semantic::items::is_test_fn(attrs) || test_cfg(attrs) == TestCfg::Only {
            return;
        }
        // The statements every call runs, up to one that may return early (a cache checked
        // first: `if let Some(c) = CACHED.get() { return c.clone(); }`).
        let mut found = None;
        for s in &body.stmts {
            let e = match s {
                syn::Stmt::Local(l) => l.init.as_ref().map(|i| &*i.expr),
                syn::Stmt::Expr(e, _) => Some(e),
                _ => None,
            };
            found = e.and_then(|e| unconditional_construction(self.cx, e));
            if found.is_some() || self.cx.text(self.cx.range(s)).contains("return") {
                break;
            }
        }
        let Some((kind, what, at)) = found else {
            return;
        };
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let build = ClientBuild {
            fn_start: small(self.cx.span_range(sig.ident.span()).start),
            what,
            line: small(self.cx.line(at)),
            pool: matches!(kind, Kind::Pool),
            wrapper: wrapped_construction(self.cx, body).is_some(),
            used_here: per_call::used_here(self.cx, sig, body)
                .map(|r| (small(r.start), small(r.end))),
        };
        self.sink.record_client_build(build);
    }
}

impl<'ast> Visit<'ast> for Builders<'_, '_, '_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if test_cfg(&m.attrs) != TestCfg::Only {
            visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.record(&f.attrs, &f.sig, &f.block);
        visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.record(&f.attrs, &f.sig, &f.block);
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(body) = &f.default {
            self.record(&f.attrs, &f.sig, body);
        }
        visit::visit_trait_item_fn(self, f);
    }
}

/// A construction `e` makes whenever it is evaluated: `e` itself, or one in the operands it
/// always evaluates (receivers, arguments, `.await`, `?`, fields of a struct literal), never
/// inside a closure, an async or plain block, a branch or a loop. Its kind, how messages name it,
/// and its file offset.
fn unconditional_construction(cx: &FileCx<'_>, e: &Expr) -> Option<(Kind, String, usize)> {
    if let Some((kind, what)) = construction(cx, e) {
        return Some((kind, what, crate::span::expr_range(e).start + cx.base));
    }
    let within = |es: &mut dyn Iterator<Item = &Expr>| {
        for a in es {
            if let Some(found) = unconditional_construction(cx, a) {
                return Some(found);
            }
        }
        None
    };
    match e {
        Expr::Await(a) => unconditional_construction(cx, &a.base),
        Expr::Try(t) => unconditional_construction(cx, &t.expr),
        Expr::Paren(p) => unconditional_construction(cx, &p.expr),
        Expr::Reference(r) => unconditional_construction(cx, &r.expr),
        Expr::Field(f) => unconditional_construction(cx, &f.base),
        Expr::Cast(c) => unconditional_construction(cx, &c.expr),
        Expr::Return(r) => unconditional_construction(cx, r.expr.as_deref()?),
        Expr::MethodCall(m) => {
            unconditional_construction(cx, &m.receiver).or_else(|| within(&mut m.args.iter()))
        }
        Expr::Call(c) => within(&mut c.args.iter()),
        Expr::Struct(s) => within(&mut s.fields.iter().map(|f| &f.expr)),
        Expr::Tuple(t) => within(&mut t.elems.iter()),
        _ => None,
    }
}

/// Phase 2: calls in loops of fns that build a client on every call ([`in_loops`]), and methods
/// that build one per call for several callers ([`per_call`]).
fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    if index.files.iter().all(|f| f.facts.client_builds.is_empty()) {
        return;
    }
    in_loops::resolve(index, out);
    per_call::resolve(index, out);
}
