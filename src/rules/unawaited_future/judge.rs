//! `unawaited-future`, phase 2 (the `resolve` hook): which discarded calls create futures, judged
//! with every file's facts and the semantic model.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::facts::{Callee, DiscardKind, DiscardedCall, FnFact};
use crate::analysis::index::CrateIndex;
use crate::diagnostic::{Diagnostic, Label};
use crate::semantic::defmap::{Def, FileInput, Ns};
use crate::semantic::items::{CTOR, PathFact, UNWRAPPED};
use crate::semantic::resolve::{Callee as SemCallee, Semantics};
use crate::semantic::types::Ty;

use super::{UNAWAITED_FUTURE, catalog, fix, help, message};

/// Why a call creates a future.
struct Reason {
    text: String,
    /// Label text at a same-file definition.
    def_label: String,
    /// The callee is a crate-local `async fn` (not a fn returning a future).
    is_async_fn: bool,
    /// The crate-local definition, if any: (file index, range of its name).
    def: Option<(usize, std::ops::Range<usize>)>,
    /// The call provably returns a future (not judged by its method name alone): the fix may
    /// append `.await`.
    proven: bool,
}

fn creates_future(f: &FnFact) -> bool {
    (f.is_async && !f.runtime_entry) || f.returns_future
}

fn local_reason(file: usize, f: &FnFact) -> Reason {
    let text = if f.is_async {
        format!("`{}` is an `async fn`", f.name)
    } else {
        format!("`{}` returns a future", f.name)
    };
    let def_label = if f.is_async {
        "declared `async` here"
    } else {
        "declared here, returning a future"
    };
    Reason {
        text,
        is_async_fn: f.is_async && !f.runtime_entry,
        def_label: def_label.to_string(),
        def: Some((file, f.range.clone())),
        proven: true,
    }
}

fn library_reason(text: String) -> Reason {
    Reason {
        text,
        def_label: String::new(),
        is_async_fn: false,
        def: None,
        proven: true,
    }
}

/// Judges discarded calls against the semantic model.
struct Judge<'i> {
    index: &'i CrateIndex,
    inputs: Vec<FileInput<'i>>,
    sema: &'i Semantics,
    /// Names of the sync methods the linted files define (a cataloged async method name is
    /// not judged by name when the code defines a sync method of that name).
    sync_methods: HashSet<&'i str>,
}

impl Judge<'_> {
    fn judge(&self, file: usize, call: &DiscardedCall) -> Option<Reason> {
        if let Some(why) = &call.future {
            return Some(library_reason(why.clone()));
        }
        let reason = match &call.callee {
            Callee::Path(path) => self.judge_path(file, path, call),
            Callee::Method { name, on_self } => self.judge_method(file, name, *on_self, call),
            Callee::Value => self.judge_value(file, call),
        }?;
        // An explicit `drop` of what a sync fn returned is deliberate: such a fn may have done
        // its work (or polled the future) before returning it.
        let explicit_drop = matches!(
            call.kind,
            DiscardKind::Dropped | DiscardKind::DroppedBinding { .. }
        );
        if explicit_drop && !reason.is_async_fn && reason.def.is_some() {
            return None;
        }
        Some(reason)
    }

    /// Why `callee` creates a future. A method counts as an `async fn`, or as a trait method
    /// declared to return a future (`fn put(&self) -> BoxFuture<'_, ()>`: the hand-written
    /// form of an `async fn` in a trait); an inherent method that returns a future may do its
    /// work eagerly (as builders and senders do).
    fn callee_reason(&self, callee: SemCallee, method: bool) -> Option<Reason> {
        match callee {
            SemCallee::Fn(f, i) => {
                let fact = self
                    .index
                    .files
                    .get(f as usize)?
                    .facts
                    .fns
                    .get(i as usize)?;
                let creates = if method {
                    (fact.is_async && !fact.runtime_entry)
                        || (fact.returns_future && fact.trait_name.is_some())
                } else {
                    creates_future(fact)
                };
                creates.then(|| local_reason(f as usize, fact))
            }
            SemCallee::External(p) => {
                let p: Vec<String> = p.iter().map(|s| s.to_string()).collect();
                catalog()
                    .function(&p)
                    .map(|api| library_reason(format!("`{api}` returns a future")))
            }
            _ => None,
        }
    }

    /// A call of a value: a future when the crate types the value as a callable (a closure
    /// or fn type, also boxed or behind a reference) that returns one.
    fn judge_value(&self, file: usize, call: &DiscardedCall) -> Option<Reason> {
        let ty = self.sema.sym_type(&self.inputs, file as u32, call.recv_sym);
        let Ty::Callable(ret) = ty.autoderef() else {
            return None;
        };
        ret.future_output()?;
        let value = call.display.trim_end_matches("(..)").trim_end_matches("()");
        let value = value
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .unwrap_or(value);
        Some(library_reason(format!(
            "`{value}` is declared as a callable that returns a future"
        )))
    }

    fn judge_path(&self, file: usize, path: &[String], call: &DiscardedCall) -> Option<Reason> {
        if let Some(api) = catalog().function(path) {
            return Some(library_reason(format!("`{api}` returns a future")));
        }
        let written = self
            .index
            .files
            .get(file)?
            .facts
            .items
            .paths
            .get(call.path as usize)?;
        let caller = (call.caller != u32::MAX).then_some(call.caller);
        let callee = self
            .sema
            .resolve_call(&self.inputs, file as u32, call.scope, written, caller);
        self.callee_reason(callee, false)
    }

    fn judge_method(
        &self,
        file: usize,
        name: &str,
        on_self: bool,
        call: &DiscardedCall,
    ) -> Option<Reason> {
        if let Some(root) = &call.chain_root
            && let Some(chain) = catalog().chain(root, name, call.chain_awaited)
        {
            return Some(library_reason(format!(
                "`.{name}()` on a `{}` chain returns a future",
                chain.root
            )));
        }
        if on_self && call.caller != u32::MAX {
            let callee = self.sema.resolve_self_method(
                &self.inputs,
                file as u32,
                call.caller,
                &|n: &str| n == name,
                true,
            );
            if !matches!(callee, SemCallee::Unknown) {
                return self.callee_reason(callee, true);
            }
        }
        let paths = self.index.files.get(file).map(|f| &f.facts.items.paths);
        let ctor = call.recv_ty != u32::MAX && call.recv_ty & CTOR != 0;
        let path_index = if ctor {
            call.recv_ty & !(CTOR | UNWRAPPED)
        } else {
            call.recv_ty
        };
        if let Some(ty) = paths.and_then(|p| p.get(path_index as usize)) {
            let matches = |n: &str| n == name;
            let callee = if ctor {
                let unwrapped = call.recv_ty & UNWRAPPED != 0;
                self.sema.resolve_method_of_ctor(
                    &self.inputs,
                    file as u32,
                    call.scope,
                    ty,
                    unwrapped,
                    &matches,
                )
            } else {
                self.sema
                    .resolve_method(&self.inputs, file as u32, call.scope, ty, &matches, true)
            };
            if !matches!(callee, SemCallee::Unknown) {
                return self.callee_reason(callee, true);
            }
            // A type of another crate (also through a `pub use` of another module): the catalog
            // judges it, and a type it does not list has no method matched by name.
            if !ctor && let Some(lib) = self.external_type(file, call.scope, ty) {
                return catalog()
                    .is_async(&lib, name)
                    .then(|| library_reason(format!("`{lib}::{name}` returns a future")));
            }
        }
        // A receiver only the crate can type (`self.tx`, a parameter of an alias declared
        // elsewhere): its local type's method, or the catalog for a library type.
        if call.recv_sym != u32::MAX {
            let ty = self.sema.sym_type(&self.inputs, file as u32, call.recv_sym);
            match ty.autoderef() {
                Ty::Local(item, _) => {
                    let callee = self
                        .sema
                        .method_of(&self.inputs, *item, &|n: &str| n == name);
                    return self.callee_reason(callee, true);
                }
                Ty::External(..) | Ty::Unknown => {
                    // A library type, declared or returned by a catalogued method
                    // (`self.client.get(url)` on a `reqwest::Client` field).
                    if let Some(lib) = crate::analysis::lib_types::library_type(
                        self.sema,
                        &self.inputs,
                        file as u32,
                        call.recv_sym,
                    ) {
                        return catalog()
                            .is_async(&lib, name)
                            .then(|| library_reason(format!("`{lib}::{name}` returns a future")));
                    }
                }
                _ => {}
            }
        }
        // Any other receiver: its type is unknown, so no crate-local method is matched. Only
        // the cataloged names that nothing but async APIs use are judged by name.
        if catalog().is_async_method(name) && !self.sync_methods.contains(name) {
            return Some(Reason {
                proven: false,
                ..library_reason(format!("`.{name}()` returns a future"))
            });
        }
        None
    }
}

impl Judge<'_> {
    /// The canonical path of a receiver's declared type `ty` when it names a type of another
    /// crate, and every crate containing the file agrees.
    fn external_type(&self, file: usize, scope: u32, ty: &PathFact) -> Option<String> {
        let defmap = &self.sema.defmap;
        let mut found: Option<String> = None;
        for m in defmap.modules_of(file as u32, scope) {
            let Def::External(p) = defmap.resolve(m, ty, Ns::Types) else {
                return None;
            };
            let p = p
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join("::");
            if found.as_ref().is_some_and(|f| *f != p) {
                return None;
            }
            found = Some(p);
        }
        found
    }
}

pub(super) fn resolve(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    if index.files.iter().all(|f| f.facts.discarded.is_empty()) {
        return;
    }
    let judge = Judge {
        index,
        inputs: index.inputs(),
        sema: index.semantics(),
        sync_methods: index
            .files
            .iter()
            .flat_map(|f| &f.facts.fns)
            .filter(|f| f.has_self && !creates_future(f))
            .map(|f| &*f.name)
            .collect(),
    };
    for (i, file) in index.files.iter().enumerate() {
        for call in &file.facts.discarded {
            let Some(reason) = judge.judge(i, call) else {
                continue;
            };
            out.push(diagnostic(index, i, &file.path, call, reason));
        }
    }
}

fn diagnostic(
    index: &CrateIndex,
    file: usize,
    path: &Arc<PathBuf>,
    call: &DiscardedCall,
    reason: Reason,
) -> Diagnostic {
    let mut labels = Vec::new();
    let proven = reason.proven;
    let mut why = reason.text;
    if let Some((def_file, range)) = reason.def {
        if def_file == file {
            labels.push(Label {
                range,
                message: reason.def_label,
            });
        } else if let Some(name) = index
            .files
            .get(def_file)
            .and_then(|f| f.path.file_name())
            .and_then(|n| n.to_str())
        {
            why = format!("{why} (in `{name}`)");
        }
    }
    if let DiscardKind::DroppedBinding { drop_range, .. } = &call.kind {
        labels.push(Label {
            range: drop_range.clone(),
            message: "dropped here".to_string(),
        });
    }
    Diagnostic {
        rule: &UNAWAITED_FUTURE,
        severity: UNAWAITED_FUTURE.severity,
        message: message(call),
        path: Arc::clone(path),
        range: call.range.clone(),
        labels,
        help: Some(help(call, &why)),
        fix: Some(fix(call, proven)),
    }
}
