//! `blocking-fs`: `std::fs` calls inside an async context, and crate-local sync helpers that
//! reach one (reported at the async call site by the resolve hook).

use syn::Expr;

use crate::analysis::blocking::{self, Hit};
use crate::analysis::context::{AsyncCtx, Scope};
use crate::analysis::index::CrateIndex;
use crate::analysis::transitive;
use crate::analysis::{FileCx, Sink};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// `std::fs` does file I/O on the calling thread: in async code that is an executor thread.
    pub static BLOCKING_FS = Rule {
        id: "blocking-fs",
        family: Family::Blocking,
        severity: Severity::Warning,
        summary: "`std::fs` file I/O in an async context blocks the executor thread",
        fix: FixAvailability::Always,
        hooks: Hooks { expr: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

fn message(hit: &Hit<'_, '_>, owner: &AsyncCtx) -> String {
    format!(
        "`{}` blocks the executor thread in {}",
        hit.api,
        owner.describe()
    )
}

fn check(cx: &FileCx<'_>, scope: &Scope, e: &Expr, sink: &mut Sink<'_>) {
    if matches!(e, Expr::Call(_) | Expr::MethodCall(_)) {
        blocking::report_direct(cx, scope, e, sink, &BLOCKING_FS, message);
    }
}

fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    transitive::resolve(index, &BLOCKING_FS, transitive::offload_advice, out);
}
