//! Phase 2 of the blocking rules: blocking through crate-local sync helpers.
//!
//! From every file's facts ([`FileFacts::blocking`] roots and [`FileFacts::calls`] edges), a
//! breadth-first search backwards over the crate's call graph ([`CallGraph`], shared by the
//! rules) marks each sync fn that blocks, directly or through other sync fns, with the shortest
//! chain to a root cause (cycles terminate: each fn is marked once). A call from an async
//! context to a marked fn is then reported at the call site under the root cause's rule.
//!
//! [`FileFacts::blocking`]: crate::analysis::facts::FileFacts::blocking
//! [`FileFacts::calls`]: crate::analysis::facts::FileFacts::calls

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::ops::Range;

use crate::analysis::call_graph::CallGraph;
use crate::analysis::facts::{CallFact, CallTarget, IndexedFile};
use crate::analysis::index::CrateIndex;
use crate::analysis::rule::Rule;
use crate::diagnostic::{Diagnostic, Fix, Label};

/// A marked fn: why it blocks.
#[derive(Debug, Clone, Copy)]
enum Cause {
    /// Index of the root [`crate::analysis::facts::BlockingFact`] in its file.
    Direct(u32),
    /// It calls another marked fn (node) on this line.
    Via { callee: u32, line: u32 },
    /// It calls a cataloged API reached through the module tree: (file, call index, catalog
    /// index) of [`CallGraph::api_calls`].
    Api(u32, u32, u32),
}

fn display_name(g: &CallGraph, index: &CrateIndex, node: usize) -> String {
    match g.fact(&index.files, node) {
        Some(f) => match &f.impl_ty {
            Some(t) => format!("{t}::{}()", f.name),
            None => format!("{}()", f.name),
        },
        None => "a helper".to_string(),
    }
}

/// How a rule words the help and fix of a transitive finding, given the callee's display name.
pub type Advice = fn(&str) -> (String, Fix);

/// Reports calls from async contexts to crate-local sync fns that block through a root cause
/// of `rule` (see the module docs).
pub fn resolve(index: &CrateIndex, rule: &'static Rule, advice: Advice, out: &mut Vec<Diagnostic>) {
    let cat = crate::analysis::blocking_catalog::catalog();
    let api_rule = |a: u32| cat.apis.get(a as usize).filter(|api| api.rule == rule.id);
    let has_roots = index
        .files
        .iter()
        .any(|f| f.facts.blocking.iter().any(|b| b.rule == rule.id));
    if !has_roots && !index.files.iter().any(|f| !f.facts.calls.is_empty()) {
        return;
    }
    let g = index.call_graph();
    if !has_roots && !g.api_calls().iter().any(|c| api_rule(c.2).is_some()) {
        return;
    }
    let any_allow = index.suppressions.iter().any(|x| {
        x.directives
            .iter()
            .any(|d| d.rules.iter().any(|r| r.rule.id == rule.id))
    });
    let allowed = |fi: usize, line: usize| index.allowed_at(fi, rule.id, line);
    // The chains as written, then (when a helper's line carries an allow of the rule) the
    // chains that avoid every allowed line: a finding only the first has is suppressed, by the
    // first allowed line on its chain.
    let all = mark(index, g, rule, &|_, _| false);
    let cause = if any_allow {
        mark(index, g, rule, &|fi, line| allowed(fi, line).is_some())
    } else {
        all.clone()
    };
    report_api_calls(index, g, rule, advice, out);
    let mut shown: HashMap<(usize, usize), String> = HashMap::new();
    let mut show = |fi: usize, from: usize| -> String {
        shown
            .entry((fi, from))
            .or_insert_with(|| g.relative_path(&index.files, fi, from))
            .clone()
    };
    for (fi, file) in index.files.iter().enumerate() {
        for (ci, call) in file.facts.calls.iter().enumerate() {
            if !call.in_async {
                continue;
            }
            let Some(callee) = g.callee(fi, ci) else {
                continue;
            };
            if !g.is_sync(&index.files, callee) {
                continue;
            }
            if cause.get(callee).copied().flatten().is_none() {
                if any_allow && all.get(callee).copied().flatten().is_some() {
                    note_allow(index, g, &all, callee, &allowed);
                }
                continue;
            }
            let name = display_name(g, index, callee);
            let mut chain = String::new();
            let mut node = callee;
            for hop in 0..8 {
                let Some((nfi, _)) = g.location(node) else {
                    break;
                };
                let sep = if hop == 0 {
                    "it calls"
                } else {
                    ", which calls"
                };
                match cause[node] {
                    Some(Cause::Direct(bi)) => {
                        let Some(b) = index.files[nfi].facts.blocking.get(bi as usize) else {
                            break;
                        };
                        let _ = write!(chain, "{sep} `{}` ({}:{})", b.api, show(nfi, fi), b.line);
                        break;
                    }
                    Some(Cause::Api(afi, aci, a)) => {
                        let line = index.files[afi as usize]
                            .facts
                            .calls
                            .get(aci as usize)
                            .map_or(0, |c| c.line);
                        let api = cat.apis.get(a as usize).and_then(|x| x.path.as_deref());
                        let _ = write!(
                            chain,
                            "{sep} `{}` ({}:{})",
                            api.unwrap_or("a blocking API"),
                            show(nfi, fi),
                            line
                        );
                        break;
                    }
                    Some(Cause::Via { callee: next, line }) => {
                        let _ = write!(
                            chain,
                            "{sep} `{}` ({}:{})",
                            display_name(g, index, next as usize),
                            show(nfi, fi),
                            line
                        );
                        node = next as usize;
                    }
                    None => break,
                }
                if hop == 7 {
                    chain.push_str(", ..");
                }
            }
            // The help shows the call as written (`config::init(..)`), which resolves where
            // the call is; the bare name may not be in scope there.
            let written = written_path(file, call).unwrap_or_else(|| name.clone());
            out.push(at_call(
                rule,
                file,
                call,
                format!("`{name}` blocks: {chain}"),
                advice(&written),
            ));
        }
    }
}

/// Marks every sync fn that blocks through a root cause of `rule`, with the shortest chain,
/// ignoring roots and calls on lines `cut(file, line)` says are allowed.
fn mark(
    index: &CrateIndex,
    g: &CallGraph,
    rule: &'static Rule,
    cut: &dyn Fn(usize, usize) -> bool,
) -> Vec<Option<Cause>> {
    let cat = crate::analysis::blocking_catalog::catalog();
    let api_rule = |a: u32| cat.apis.get(a as usize).filter(|api| api.rule == rule.id);
    let mut cause: Vec<Option<Cause>> = vec![None; g.len()];
    let mut queue = VecDeque::new();
    let inputs = std::sync::OnceLock::new();
    // A root on a receiver phase 1 could not type holds when the crate's types say so.
    let holds = |fi: usize, b: &crate::analysis::facts::BlockingFact| match &b.when {
        None => true,
        Some((sym, ty)) => crate::analysis::lib_types::sym_is(
            index.semantics(),
            inputs.get_or_init(|| index.inputs()),
            fi as u32,
            *sym,
            ty,
        ),
    };
    for (fi, file) in index.files.iter().enumerate() {
        for (bi, b) in file.facts.blocking.iter().enumerate() {
            let node = g.node(fi, b.caller);
            if b.rule == rule.id
                && !cut(fi, b.line)
                && holds(fi, b)
                && g.is_sync(&index.files, node)
                && cause.get(node).is_some_and(Option::is_none)
            {
                cause[node] = Some(Cause::Direct(bi as u32));
                queue.push_back(node);
            }
        }
    }
    for &(fi, ci, a) in g.api_calls() {
        let Some(api) = api_rule(a) else { continue };
        let Some(call) = index.files[fi as usize].facts.calls.get(ci as usize) else {
            continue;
        };
        if call.in_async
            || call.in_closure
            || api.transitive == Some(false)
            || cut(fi as usize, call.line as usize)
        {
            continue;
        }
        let node = g.node(fi as usize, call.caller as usize);
        if g.is_sync(&index.files, node) && cause.get(node).is_some_and(Option::is_none) {
            cause[node] = Some(Cause::Api(fi, ci, a));
            queue.push_back(node);
        }
    }
    while let Some(n) = queue.pop_front() {
        for &(caller, line) in g.sync_callers(n) {
            let caller = caller as usize;
            let at = g.location(caller).map(|(f, _)| f);
            if cause[caller].is_none() && !at.is_some_and(|f| cut(f, line as usize)) {
                cause[caller] = Some(Cause::Via {
                    callee: n as u32,
                    line,
                });
                queue.push_back(caller);
            }
        }
    }
    cause
}

/// Records as used the first allowed line on the chain `cause` gives from `node` (the finding
/// it would have made is suppressed there).
fn note_allow(
    index: &CrateIndex,
    g: &CallGraph,
    cause: &[Option<Cause>],
    mut node: usize,
    allowed: &dyn Fn(usize, usize) -> Option<(usize, usize)>,
) {
    for _ in 0..cause.len() {
        let Some((fi, _)) = g.location(node) else {
            return;
        };
        let (line, next) = match cause.get(node).copied().flatten() {
            Some(Cause::Direct(bi)) => match index.files[fi].facts.blocking.get(bi as usize) {
                Some(b) => (b.line, None),
                None => return,
            },
            Some(Cause::Api(afi, aci, _)) => {
                let line = index.files[afi as usize]
                    .facts
                    .calls
                    .get(aci as usize)
                    .map_or(0, |c| c.line as usize);
                (line, None)
            }
            Some(Cause::Via { callee, line }) => (line as usize, Some(callee as usize)),
            None => return,
        };
        if let Some(id) = allowed(fi, line) {
            index.use_suppression(fi, id);
            return;
        }
        match next {
            Some(n) => node = n,
            None => return,
        }
    }
}

/// A finding of `rule` at `call`, labelled where its async context starts.
fn at_call(
    rule: &'static Rule,
    file: &IndexedFile,
    call: &CallFact,
    message: String,
    (help, fix): (String, Fix),
) -> Diagnostic {
    Diagnostic {
        rule,
        severity: rule.severity,
        message,
        path: file.path.clone(),
        range: call.range(),
        labels: vec![Label {
            range: context_range(file, call),
            message: "async context starts here".to_string(),
        }],
        help: Some(help),
        fix: Some(fix),
    }
}

/// Reports calls from async contexts that reach a cataloged API of `rule` only through the
/// module tree (`shim::doze(d)` where `shim` re-exports `std::thread::sleep as doze`, or a name
/// brought in by a glob): the walk, which resolves names through the file's own `use` items,
/// cannot see them.
fn report_api_calls(
    index: &CrateIndex,
    g: &CallGraph,
    rule: &'static Rule,
    advice: Advice,
    out: &mut Vec<Diagnostic>,
) {
    let cat = crate::analysis::blocking_catalog::catalog();
    for &(fi, ci, a) in g.api_calls() {
        let Some(api) = cat.apis.get(a as usize).filter(|api| api.rule == rule.id) else {
            continue;
        };
        let file = &index.files[fi as usize];
        let Some(call) = file.facts.calls.get(ci as usize) else {
            continue;
        };
        if !call.in_async {
            continue;
        }
        let path = api.path.as_deref().unwrap_or("a blocking API");
        out.push(at_call(
            rule,
            file,
            call,
            format!(
                "`{path}` blocks the executor thread (named here through a re-export or a glob import)"
            ),
            advice(&format!("{path}()")),
        ));
    }
}

/// Keywords a path segment can only be written as a raw identifier (`r#ref`).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "try", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual", "yield",
];

/// A path call's callee as written (`config::init()`, raw identifiers escaped again), or
/// `None` for a method call.
fn written_path(file: &IndexedFile, call: &CallFact) -> Option<String> {
    let CallTarget::Path { path, .. } = call.target else {
        return None;
    };
    let p = file.facts.items.paths.get(path as usize)?;
    let mut out = String::new();
    for (k, seg) in p.segments.iter().enumerate() {
        if k > 0 || p.leading_colon {
            out.push_str("::");
        }
        let seg: &str = seg;
        if KEYWORDS.contains(&seg) {
            out.push_str("r#");
        }
        out.push_str(seg);
    }
    out.push_str("()");
    Some(out)
}

/// Where the async context of `call` starts: the name of its `async fn` (the caller's name, when
/// the context starts there), else the `async` keyword of its block or closure.
fn context_range(file: &IndexedFile, call: &CallFact) -> Range<usize> {
    let start = call.context_start as usize;
    match file.facts.fns.get(call.caller as usize) {
        Some(f) if f.range.start == start => f.range.clone(),
        _ => start..start + "async".len(),
    }
}

/// The advice for helpers that block the thread (blocking-fs, blocking-call, blocking-sleep).
pub fn offload_advice(name: &str) -> (String, Fix) {
    let call = name
        .strip_suffix("()")
        .map_or_else(|| name.to_string(), |n| format!("{n}(..)"));
    (
        format!(
            "run it on the blocking pool: `tokio::task::spawn_blocking(move || {call}).await.expect(\"blocking task panicked\")`, or make it async"
        ),
        Fix::manual("wrap the call in `tokio::task::spawn_blocking`", Vec::new()),
    )
}
