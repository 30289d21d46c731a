//! `blocking-sleep`: `std::thread::sleep` inside an async context.

use syn::Expr;

use crate::analysis::context::Scope;
use crate::analysis::imports::path_is;
use crate::analysis::index::CrateIndex;
use crate::analysis::paths;
use crate::analysis::transitive;
use crate::analysis::{FileCx, Runtime, Sink};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::rules::{Family, FixAvailability, Hooks};

declare_rule! {
    /// `std::thread::sleep` parks the executor thread: every task on it stalls.
    pub static BLOCKING_SLEEP = Rule {
        id: "blocking-sleep",
        family: Family::Blocking,
        severity: Severity::Warning,
        summary: "`std::thread::sleep` in an async context blocks the executor thread",
        fix: FixAvailability::Always,
        hooks: Hooks { expr: Some(check), resolve: Some(resolve), ..Hooks::NONE },
    }
}

/// The runtime's timer to use instead, as a call prefix.
fn async_sleep(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::Tokio => "tokio::time::sleep",
        Runtime::AsyncStd => "async_std::task::sleep",
        Runtime::Smol => "smol::Timer::after",
    }
}

fn check(cx: &FileCx<'_>, scope: &Scope, e: &Expr, sink: &mut Sink<'_>) {
    let Expr::Call(call) = e else { return };
    let Some(owner) = &scope.async_ctx else {
        return;
    };
    let Some(path) = paths::call_path(call) else {
        return;
    };
    if call.args.len() != 1 || !path_is(&cx.resolve(path), "std::thread::sleep") {
        return;
    }
    let range = cx.range(e);
    let replacement = async_sleep(cx.runtime());
    let arg = cx.text(cx.range(&call.args[0])).to_string();
    let help = format!(
        "use `{replacement}(..).await`, which parks only this task and lets the executor run others"
    );
    let fix = if scope.can_await() {
        Fix::unsafe_(
            format!("replace with `{replacement}(..).await`"),
            vec![Edit::replace(
                range.clone(),
                if cx.runtime() == Runtime::Smol {
                    // `Timer::after(..).await` yields an `Instant`; a block keeps the call's `()`.
                    format!("{{ {replacement}({arg}).await; }}")
                } else {
                    format!("{replacement}({arg}).await")
                },
            )],
        )
    } else {
        Fix::manual(
            format!("move the sleep out of the closure and use `{replacement}(..).await`"),
            Vec::new(),
        )
    };
    let (help, fix) = if cx.runtime() == Runtime::Tokio {
        crate::tokio_features::gate(cx.tokio_features(), &[replacement], help, fix)
    } else {
        (help, fix)
    };
    sink.report(
        &BLOCKING_SLEEP,
        range,
        format!(
            "`std::thread::sleep` blocks the executor thread in {}",
            owner.describe()
        ),
    )
    .label(owner.range.clone(), "async context starts here")
    .help(help)
    .fix(fix);
}

/// Sync helpers that sleep, called from async code (the shared transitive analysis).
fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    transitive::resolve(index, &BLOCKING_SLEEP, transitive::offload_advice, out);
}
