//! Calls that start concurrent work on the async runtime: `tokio::spawn(fut)` and its
//! equivalents in other runtimes, and `.spawn(async { .. })` on a runtime, handle or `JoinSet`.
//! The test-code policy (`test_policy`) reports a blocking call in a test
//! only after such a call: then the blocked thread is one a spawned task (a server) needs.

use syn::Expr;

use crate::analysis::file::FileCx;
use crate::analysis::imports::path_is;
use crate::analysis::paths;

/// Free functions that spawn a future onto the current runtime.
const SPAWN_FNS: &[&str] = &[
    "tokio::spawn",
    "tokio::task::spawn",
    "tokio::task::spawn_local",
    "async_std::task::spawn",
    "async_std::task::spawn_local",
    "smol::spawn",
    "actix_rt::spawn",
    "actix_rt::task::spawn",
    "actix_web::rt::spawn",
    "ntex::rt::spawn",
];

/// Whether `e` spawns a future onto the runtime (not a thread, not a blocking closure).
pub fn is_spawn(cx: &FileCx<'_>, e: &Expr) -> bool {
    match e {
        Expr::Call(call) => {
            let Some(path) = paths::call_path(call) else {
                return false;
            };
            let Some(last) = path.segments.last() else {
                return false;
            };
            if last.ident != "spawn" && last.ident != "spawn_local" {
                return false;
            }
            // A sync closure is a thread's work, not a task's.
            if call.args.len() != 1 || is_sync_closure(&call.args[0]) {
                return false;
            }
            let canon = cx.resolve(path);
            SPAWN_FNS.iter().any(|p| path_is(&canon, p))
        }
        Expr::MethodCall(m) => {
            (m.method == "spawn" || m.method == "spawn_local")
                && m.args.len() == 1
                && matches!(paths::peel(&m.args[0]), Expr::Async(_))
        }
        _ => false,
    }
}

fn is_sync_closure(e: &Expr) -> bool {
    matches!(paths::peel(e), Expr::Closure(c) if c.asyncness.is_none())
}
