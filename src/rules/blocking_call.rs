//! `blocking-call`: blocking network, process, stdin, HTTP-client, channel, thread-join,
//! barrier and condvar calls inside an async context (and user-declared blocking APIs), plus
//! crate-local sync helpers that reach one (reported at the async call site).

use syn::Expr;

use crate::analysis::blocking::{self, Hit, Site};
use crate::analysis::context::{AsyncCtx, Scope};
use crate::analysis::index::CrateIndex;
use crate::analysis::transitive;
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// Blocking I/O and synchronisation calls park the executor thread until they return.
    pub static BLOCKING_CALL = Rule {
        id: "blocking-call",
        family: Family::Blocking,
        severity: Severity::Warning,
        summary: "a blocking network, process, channel or thread call in an async context blocks the executor thread",
        fix: FixAvailability::Always,
        hooks: Hooks { expr: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

fn message(hit: &Hit<'_, '_>, owner: &AsyncCtx) -> String {
    match hit.site {
        Site::Iter(_) => format!(
            "iterating a `{}` blocks the executor thread on every item in {}",
            hit.api,
            owner.describe()
        ),
        _ => format!(
            "`{}` blocks the executor thread in {}",
            hit.api,
            owner.describe()
        ),
    }
}

fn check(cx: &FileCx<'_>, scope: &Scope, e: &Expr, sink: &mut Sink<'_>) {
    if matches!(e, Expr::Call(_) | Expr::MethodCall(_) | Expr::ForLoop(_)) {
        blocking::report_direct(cx, scope, e, sink, &BLOCKING_CALL, message);
    }
}

fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    transitive::resolve(index, &BLOCKING_CALL, transitive::offload_advice, out);
}
