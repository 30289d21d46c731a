//! Phase 2 of `client-per-request`: calls, in loops of async code, of crate fns that build a
//! client or pool on every call.

use crate::analysis::index::CrateIndex;
use crate::diagnostic::{Diagnostic, Label};

use super::{CLIENT_PER_REQUEST, Kind, help, is_test_path};

/// Phase 2: calls in a loop of async code (not in a closure, not in test code) of a crate fn
/// that builds a client on every call, wherever the call graph resolves them to.
pub(super) fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    let graph = index.call_graph();
    let inputs = index.inputs();
    let sema = index.semantics();
    for (fi, file) in index.files.iter().enumerate() {
        if is_test_path(&file.path) {
            continue;
        }
        for (ci, call) in file.facts.calls.iter().enumerate() {
            if !call.in_async || !call.in_loop || call.in_closure {
                continue;
            }
            let Some((callee_file, callee_fn)) =
                graph.callee(fi, ci).and_then(|n| graph.location(n))
            else {
                continue;
            };
            let Some(callee) = index.files[callee_file].facts.fns.get(callee_fn) else {
                continue;
            };
            let start = u32::try_from(callee.range.start).unwrap_or(u32::MAX);
            let Some(build) = index.files[callee_file]
                .facts
                .client_builds
                .iter()
                .find(|b| b.fn_start == start)
            else {
                continue;
            };
            // A wrapper of the same file: reported by the walk already.
            if build.wrapper && callee_file == fi {
                continue;
            }
            if sema.is_test(&inputs, fi as u32, call.caller) {
                continue;
            }
            let name = match &callee.impl_ty {
                Some(t) => format!("{t}::{}", callee.name),
                None => callee.name.to_string(),
            };
            let at = if callee_file == fi {
                format!("line {}", build.line)
            } else {
                format!(
                    "{}:{}",
                    graph.relative_path(&index.files, callee_file, fi),
                    build.line
                )
            };
            let kind = if build.pool { Kind::Pool } else { Kind::Client };
            let context = call.context_start as usize;
            let label = match file.facts.fns.get(call.caller as usize) {
                Some(f) if f.range.start == context => f.range.clone(),
                _ => context..context + "async".len(),
            };
            out.push(Diagnostic {
                rule: &CLIENT_PER_REQUEST,
                severity: CLIENT_PER_REQUEST.severity,
                message: format!(
                    "`{name}(..)` builds a new connection pool on every call ({} at {at}) and is called on every iteration of this loop: connections are never reused",
                    build.what
                ),
                path: file.path.clone(),
                range: call.range(),
                labels: vec![Label {
                    range: label,
                    message: "async context starts here".to_string(),
                }],
                help: Some(help(kind).to_string()),
                fix: None,
            });
        }
    }
}
