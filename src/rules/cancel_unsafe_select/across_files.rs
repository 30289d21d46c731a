//! Phase 2 of `cancel-unsafe-select`: a `select!` branch in a loop that calls an async fn of
//! another file (`read_message(&mut recv, ..)` imported from `util`) which is not cancel-safe
//! there (it awaits `read_u32()`, `read_exact(..)`, or such a fn of its own file), resolved
//! through the call graph (iroh-gossip's connection loop).

use crate::analysis::FileCx;
use crate::analysis::Sink;
use crate::analysis::index::CrateIndex;
use crate::diagnostic::{Diagnostic, Label};

use super::methods::Loss;
use super::{CANCEL_UNSAFE_SELECT, help, helpers};

/// Records the file's not-cancel-safe async fns (a `file` hook).
pub(super) fn record(cx: &FileCx<'_>, sink: &mut Sink<'_>) {
    if !cx.settings.collect_facts || !crate::source::mentions(cx.source.text(), "async") {
        return;
    }
    let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    for u in helpers::unsafe_fns(cx) {
        sink.select_facts()
            .unsafe_fns
            .push((small(u.fn_start), u.awaited, small(u.line)));
    }
}

/// Reports the recorded branch calls whose callee is a not-cancel-safe fn of another file.
pub(super) fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    if index
        .files
        .iter()
        .all(|f| f.facts.select.branch_calls.is_empty())
    {
        return;
    }
    let graph = index.call_graph();
    for (fi, file) in index.files.iter().enumerate() {
        for (start, end, text) in &file.facts.select.branch_calls {
            let Some(ci) = file.facts.calls.iter().position(|c| c.start == *start) else {
                continue;
            };
            let Some((cf, fn_index)) = graph.callee(fi, ci).and_then(|n| graph.location(n)) else {
                continue;
            };
            if cf == fi {
                continue;
            }
            let callee = &index.files[cf];
            let Some(f) = callee.facts.fns.get(fn_index) else {
                continue;
            };
            let name_start = u32::try_from(f.range.start).unwrap_or(u32::MAX);
            let Some((_, awaited, line)) = callee
                .facts
                .select
                .unsafe_fns
                .iter()
                .find(|(s, _, _)| *s == name_start)
            else {
                continue;
            };
            let at = graph.relative_path(&index.files, cf, fi);
            out.push(Diagnostic {
                rule: &CANCEL_UNSAFE_SELECT,
                severity: CANCEL_UNSAFE_SELECT.severity,
                message: format!(
                    "`{text}` is not cancel-safe: `{}` awaits `{awaited}` ({at}:{line}), so whenever another branch wins, what it already read or wrote is lost",
                    f.name
                ),
                path: file.path.clone(),
                range: *start as usize..*end as usize,
                labels: vec![Label {
                    range: *start as usize..*end as usize,
                    message: "re-created on every iteration of the loop".into(),
                }],
                help: Some(help(Loss::Read).to_string()),
                fix: None,
            });
        }
    }
}
