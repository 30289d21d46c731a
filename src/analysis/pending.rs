//! Settles [`Pending`] findings in phase 2: a finding recorded as "holds if this expression has
//! one of these types" is kept when the crate's declared types say it has
//! ([`crate::semantic::typing`]), and dropped when they say otherwise or nothing.

use std::sync::Arc;

use crate::analysis::index::CrateIndex;
use crate::diagnostic::Diagnostic;

/// The pending findings of every file whose condition holds, with their file's path.
pub fn settle(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    if index.files.iter().all(|f| f.facts.pending.is_empty()) {
        return;
    }
    let sema = index.semantics();
    let inputs = index.inputs();
    for (file, f) in index.files.iter().enumerate() {
        for p in &f.facts.pending {
            let is = |sym: u32, t: &String| {
                crate::analysis::lib_types::sym_is(sema, &inputs, file as u32, sym, t)
            };
            let also = p
                .also
                .as_ref()
                .is_none_or(|(sym, types)| types.iter().any(|t| is(*sym, t)));
            if also && p.types.iter().any(|t| is(p.sym, t)) {
                let mut d = p.diagnostic.clone();
                d.path = Arc::clone(&f.path);
                out.push(d);
            }
        }
    }
}
