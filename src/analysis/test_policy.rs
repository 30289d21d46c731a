//! The test-code policy of the blocking rules (`blocking-sleep`, `blocking-fs`,
//! `blocking-call`), applied in phase 2 to their findings, direct and transitive.
//!
//! Test code ([`crate::semantic::resolve::TestCtx`]: a fn with a test attribute, an item of a
//! `#[cfg(test)]` module, a file of a test or bench target; for this policy also a fn of a module
//! or package named as test support, [`crate::semantic::defmap::is_test_support_name`]) blocks its own runtime only: a
//! `std::fs::write` of a fixture or a `sleep` so that a timestamp differs stalls nothing else.
//! It matters once the test has started concurrent work on that runtime (a spawned server, a
//! task): then the blocked thread is one that work needs, and the test may hang. So by default
//! ([`BlockingInTests::Concurrent`]) a finding in test code is kept only when a spawn
//! ([`crate::analysis::spawns`]) precedes it in the same fn — which also holds for a call inside
//! the spawned future itself — or a call of a crate-local fn that spawns (`spawn_app().await`,
//! a helper that starts the server; a call among its arguments runs before it). The other rules
//! are not affected.

use crate::analysis::index::CrateIndex;
use crate::diagnostic::Diagnostic;

/// What the blocking rules report in test code (config key `blocking-in-tests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockingInTests {
    /// Only after the test started concurrent work on its runtime (the default).
    #[default]
    Concurrent,
    /// Everything, as in other code.
    Always,
    /// Nothing.
    Never,
}

impl BlockingInTests {
    /// The policy a config value names.
    pub fn parse(s: &str) -> Option<BlockingInTests> {
        match s {
            "concurrent" => Some(BlockingInTests::Concurrent),
            "always" => Some(BlockingInTests::Always),
            "never" => Some(BlockingInTests::Never),
            _ => None,
        }
    }
}

/// The rules the policy governs (and the startup-code policy, `startup`).
pub const GOVERNED: &[&str] = &["blocking-sleep", "blocking-fs", "blocking-call"];

/// Applies `policy` to the findings `diags` of file `file` of `index`: drops those in test code
/// it does not report and says "test code" in the message of those it keeps.
pub fn apply(
    index: &CrateIndex,
    policy: BlockingInTests,
    file: usize,
    diags: &mut Vec<Diagnostic>,
) {
    if !diags.iter().any(|d| GOVERNED.contains(&d.rule.id)) {
        return;
    }
    let Some(facts) = index.files.get(file).map(|f| &f.facts) else {
        return;
    };
    let mut inputs = None;
    diags.retain_mut(|d| {
        if !GOVERNED.contains(&d.rule.id) {
            return true;
        }
        let at = u32::try_from(d.range.start).unwrap_or(u32::MAX);
        // The innermost fn whose body holds the finding.
        let Some((fi, body)) = facts
            .fns
            .iter()
            .enumerate()
            .filter(|(_, f)| f.has_body && f.body.0 <= at && at < f.body.1)
            .min_by_key(|(_, f)| f.body.1 - f.body.0)
            .map(|(i, f)| (i, f.body))
        else {
            return true;
        };
        let inputs = inputs.get_or_insert_with(|| index.inputs());
        let sema = index.semantics();
        let Ok(fi) = u32::try_from(fi) else {
            return true;
        };
        if !sema.is_test(inputs, file as u32, fi) && !sema.in_test_support(inputs, file as u32, fi)
        {
            return true;
        }
        let note = match policy {
            BlockingInTests::Never => return false,
            BlockingInTests::Always => "in test code",
            BlockingInTests::Concurrent => {
                if !spawned_before(index, file, fi, body, at) {
                    return false;
                }
                "in test code, after the test spawned concurrent work on its runtime"
            }
        };
        d.message = format!("{} ({note})", d.message);
        true
    });
}

/// Whether fn `fi` of file `file` (its body `body`) starts concurrent work before byte `at`: a
/// spawn of its own, or a call of a crate-local fn whose body spawns, made before `at` (a call
/// at `at` among its arguments runs before it, unless it is inside a closure or an async block
/// the callee may spawn).
fn spawned_before(index: &CrateIndex, file: usize, fi: u32, body: (u32, u32), at: u32) -> bool {
    let Some(facts) = index.files.get(file).map(|f| &f.facts) else {
        return false;
    };
    if facts.spawns.iter().any(|&s| body.0 <= s && s < at) {
        return true;
    }
    let spawns_inside = |node: usize| {
        let g = index.call_graph();
        let Some((cf, ci)) = g.location(node) else {
            return false;
        };
        let Some(callee) = index.files.get(cf) else {
            return false;
        };
        callee.facts.fns.get(ci).is_some_and(|f| {
            f.has_body
                && callee
                    .facts
                    .spawns
                    .iter()
                    .any(|&s| f.body.0 <= s && s < f.body.1)
        })
    };
    // The call reported at `at`, when it runs where it is written (not in a closure, in the
    // async context of the call around it): then it is an argument or receiver of a call that
    // holds it, evaluated before that callee runs (`start(make_config())`).
    let eager = facts
        .calls
        .iter()
        .find(|c| c.start == at && c.caller == fi)
        .filter(|c| !c.in_closure);
    facts.calls.iter().enumerate().any(|(ci, c)| {
        c.caller == fi
            && c.start < at
            && !eager.is_some_and(|e| at < c.end && e.context_start <= c.start)
            && index
                .call_graph()
                .callee(file, ci)
                .is_some_and(spawns_inside)
    })
}
