//! Methods that build a client or pool on every call and use it right there: an API client's
//! `pub async fn get(&self, path: &str) { let client = reqwest::Client::builder()..build()?;
//! client.get(..).send().await }` (megalodon's, async-openai's class of bug). The object the
//! method runs on lives across calls and could own one client; instead every call opens new
//! connections.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use syn::visit::{self, Visit};
use syn::{Expr, Stmt};

use crate::analysis::FileCx;
use crate::analysis::index::CrateIndex;
use crate::analysis::paths;
use crate::diagnostic::{Diagnostic, Label};

use super::{CLIENT_PER_REQUEST, Kind, construction, is_test_path, message};

/// Methods that send a request with a client, or take a connection from a pool.
const REQUESTS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "request",
    "execute",
    "acquire",
    "begin",
    "get_connection",
    "get_multiplexed_async_connection",
    "get_async_connection",
];

/// The construction an `async` method (one with a `self` receiver) makes on every call and only
/// uses there: sends requests with it or lends it, never returns it, stores it, clones it or
/// hands it on by value. Its file byte range.
pub(super) fn used_here(
    cx: &FileCx<'_>,
    sig: &syn::Signature,
    body: &syn::Block,
) -> Option<Range<usize>> {
    if sig.asyncness.is_none() || sig.receiver().is_none() {
        return None;
    }
    for (i, s) in body.stmts.iter().enumerate() {
        if let Some(at) = used_construction(cx, s, &body.stmts[i + 1..]) {
            return Some(cx.range(at));
        }
        // Only the statements every call runs: up to one that may return early.
        if cx.text(cx.range(s)).contains("return") {
            return None;
        }
    }
    None
}

/// Phase 2: the methods recorded by [`used_here`] that two or more fns of the crate call (a
/// request primitive every API call goes through, not a one-shot `login`), reported at their
/// construction.
pub(super) fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    // (file, fn index) -> the build, for methods that use what they build there.
    let mut per_call = HashMap::new();
    for (fi, file) in index.files.iter().enumerate() {
        for b in file
            .facts
            .client_builds
            .iter()
            .filter(|b| b.used_here.is_some())
        {
            let start = b.fn_start as usize;
            if let Some(fn_index) = file.facts.fns.iter().position(|f| f.range.start == start) {
                per_call.insert((fi, fn_index), b);
            }
        }
    }
    if per_call.is_empty() {
        return;
    }
    let graph = index.call_graph();
    let inputs = index.inputs();
    let sema = index.semantics();
    let mut callers: HashMap<(usize, usize), HashSet<(usize, u32)>> = HashMap::new();
    for (fi, file) in index.files.iter().enumerate() {
        if is_test_path(&file.path) {
            continue;
        }
        for (ci, call) in file.facts.calls.iter().enumerate() {
            let Some(at) = graph.callee(fi, ci).and_then(|n| graph.location(n)) else {
                continue;
            };
            if per_call.contains_key(&at) && !sema.is_test(&inputs, fi as u32, call.caller) {
                callers.entry(at).or_default().insert((fi, call.caller));
            }
        }
    }
    let mut found: Vec<_> = callers.into_iter().filter(|(_, c)| c.len() >= 2).collect();
    found.sort_by_key(|(at, _)| *at);
    for ((fi, fn_index), who) in found {
        let (file, build) = (&index.files[fi], per_call[&(fi, fn_index)]);
        let Some((f, (start, end))) = file.facts.fns.get(fn_index).zip(build.used_here) else {
            continue;
        };
        let name = match &f.impl_ty {
            Some(t) => format!("{t}::{}", f.name),
            None => f.name.to_string(),
        };
        let kind = if build.pool { Kind::Pool } else { Kind::Client };
        out.push(Diagnostic {
            rule: &CLIENT_PER_REQUEST,
            severity: CLIENT_PER_REQUEST.severity,
            message: message(
                &build.what,
                &format!(
                    "on every call of `{name}`, which {} fns of the crate call",
                    who.len()
                ),
            ),
            path: file.path.clone(),
            range: start as usize..end as usize,
            labels: vec![Label {
                range: f.range.clone(),
                message: "a method of a value that lives across calls: it could own one".into(),
            }],
            help: Some(field_help(kind).to_string()),
            fix: None,
        });
    }
}

fn field_help(kind: Kind) -> &'static str {
    match kind {
        Kind::Client => {
            "build the client once, when `Self` is created, keep it in a field and use `self.client` here; \
cloning it is cheap, it is an `Arc` inside"
        }
        Kind::Pool => {
            "build the pool once, when `Self` is created, keep it in a field and use `self.pool` here; \
cloning it is cheap"
        }
    }
}

/// A construction statement `s` makes unconditionally and whose value is used only for requests:
/// `let client = <construction>;` followed by uses in `rest`, or a construction that is the
/// receiver of a request (`reqwest::Client::new().get(url)`).
fn used_construction<'s>(cx: &FileCx<'_>, s: &'s Stmt, rest: &'s [Stmt]) -> Option<&'s Expr> {
    match s {
        Stmt::Local(l) => {
            let init = l.init.as_ref().filter(|i| i.diverge.is_none())?;
            let built = paths::peel_results(&init.expr);
            if let (syn::Pat::Ident(p), Some(_)) = (&l.pat, construction(cx, built)) {
                if p.subpat.is_some() {
                    return None;
                }
                let mut uses = Uses {
                    name: &p.ident,
                    requests: 0,
                    escapes: 0,
                };
                for later in rest {
                    if let Stmt::Local(l2) = later
                        && matches!(&l2.pat, syn::Pat::Ident(q) if q.ident == p.ident)
                    {
                        if let Some(i) = &l2.init {
                            uses.visit_expr(&i.expr);
                        }
                        break;
                    }
                    uses.visit_stmt(later);
                }
                return (uses.requests > 0 && uses.escapes == 0).then_some(built);
            }
            chained_request(cx, &init.expr)
        }
        Stmt::Expr(e, _) => chained_request(cx, e),
        _ => None,
    }
}

/// A construction that is directly the receiver of a request, in the operands `e` always
/// evaluates (`reqwest::Client::new().get(url).send().await?.text().await`).
fn chained_request<'e>(cx: &FileCx<'_>, e: &'e Expr) -> Option<&'e Expr> {
    match paths::peel(e) {
        Expr::Await(a) => chained_request(cx, &a.base),
        Expr::Try(t) => chained_request(cx, &t.expr),
        Expr::Return(r) => chained_request(cx, r.expr.as_deref()?),
        Expr::MethodCall(m) => {
            let recv = paths::peel(&m.receiver);
            if REQUESTS.iter().any(|r| m.method == r) && construction(cx, recv).is_some() {
                return Some(recv);
            }
            chained_request(cx, &m.receiver)
        }
        _ => None,
    }
}

/// The uses of a bound client: as the receiver of a method other than `clone` or by reference
/// (requests), anything else (returned, stored, cloned, moved, named in a macro) escapes.
struct Uses<'n> {
    name: &'n syn::Ident,
    requests: usize,
    escapes: usize,
}

impl Uses<'_> {
    fn is_name(&self, e: &Expr) -> bool {
        paths::is_local(e, self.name)
    }
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::MethodCall(m) if self.is_name(&m.receiver) => {
                if m.method == "clone" {
                    self.escapes += 1;
                } else {
                    self.requests += 1;
                }
                for a in &m.args {
                    self.visit_expr(a);
                }
            }
            Expr::Reference(r) if r.mutability.is_none() && self.is_name(&r.expr) => {
                self.requests += 1;
            }
            Expr::Path(_) if self.is_name(e) => self.escapes += 1,
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = self.name.to_string();
        if crate::analysis::bindings::patterns::mentions(mac.tokens.clone(), &name) {
            self.escapes += 1;
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
