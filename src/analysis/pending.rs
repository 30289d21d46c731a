//! Settles [`Pending`](crate::analysis::facts::Pending) findings in phase 2: a finding recorded as "holds if this expression has
//! one of these types" is kept when the crate's declared types say it has
//! ([`crate::semantic::typing`]), and dropped when they say otherwise or nothing.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use crate::analysis::index::CrateIndex;
use crate::analysis::lib_types::UNTYPED;
use crate::diagnostic::Diagnostic;
use crate::semantic::items::NONE;

/// The pending findings of every file whose condition holds, with their file's path.
pub fn settle(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    if index.files.iter().all(|f| f.facts.pending.is_empty()) {
        return;
    }
    let sema = index.semantics();
    let inputs = index.inputs();
    let declared = OnceLock::new();
    let crate_declares = |m: &str| declared.get_or_init(|| methods_declared(index)).contains(m);
    for (file, f) in index.files.iter().enumerate() {
        for p in &f.facts.pending {
            let vetoed = || p.unless_method.as_deref().is_some_and(crate_declares);
            if p.sym == NONE {
                // Nothing types the expression: held unless the crate declares the method.
                if p.unless_method.is_some()
                    && !vetoed()
                    && let Some(mut d) = p.diagnostic.open()
                {
                    d.path = Arc::clone(&f.path);
                    out.push(d);
                }
                continue;
            }
            let is = |sym: u32, t: &str| {
                crate::analysis::lib_types::sym_is(sema, &inputs, file as u32, sym, t)
            };
            let also = p
                .also
                .as_ref()
                .is_none_or(|(sym, types)| types.iter().any(|t| is(*sym, t)));
            let holds = |t: &Arc<str>| is(p.sym, t) && !(&**t == UNTYPED && vetoed());
            if also
                && p.types.iter().any(holds)
                && let Some(mut d) = p.diagnostic.open()
            {
                d.path = Arc::clone(&f.path);
                out.push(d);
            }
        }
    }
}

/// The names of the methods (fns taking `self`) the crate's own types declare, inherent or in
/// trait impls.
fn methods_declared(index: &CrateIndex) -> HashSet<&str> {
    index
        .files
        .iter()
        .flat_map(|f| &f.facts.fns)
        .filter(|f| f.has_self)
        .map(|f| &*f.name)
        .collect()
}
