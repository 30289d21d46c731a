//! The crate-wide call graph: which crate-local fn each recorded call calls, as far as syntax
//! tells unambiguously. Built once per run (the first time a rule asks for it through
//! the crate index, `CrateIndex::call_graph`) and shared by every rule; each file's calls are resolved in
//! parallel.
//!
//! Callees are tied to fns only by resolution ([`Semantics`]): path calls through each
//! crate's module tree and imports (across workspace crates), `Type::f()` and `self.m()`
//! through the impls of the resolved type. A method call on any other receiver is not followed
//! (its type is unknown), and neither is anything ambiguous.

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::analysis::facts::{CallFact, CallTarget, FnFact, IndexedFile, NameId};
use crate::semantic::defmap::FileInput;
use crate::semantic::items::{CTOR, UNWRAPPED};
use crate::semantic::resolve::{Callee, Semantics};
use crate::semantic::types::Ty;

/// No callee: the call is not resolved to a crate-local fn.
const UNRESOLVED: u32 = u32::MAX;

/// Every crate-local fn of the run as a node, and every recorded call's resolved callee.
#[derive(Debug, Default)]
pub struct CallGraph {
    /// First node id of each file.
    offset: Vec<u32>,
    /// (file, fn) of each node.
    nodes: Vec<(u32, u32)>,
    /// First slot in `callees` of each file's calls.
    call_offset: Vec<u32>,
    /// Resolved callee node of every call, file by file ([`UNRESOLVED`] when not resolved).
    callees: Vec<u32>,
    /// Crate root directory of each file (index into `roots`).
    krate: Vec<u32>,
    /// Crate root directories (None: no `Cargo.toml` above the file).
    roots: Vec<Option<PathBuf>>,
    /// Start of each node's slice of `sync_callers` (one more entry than nodes).
    sync_caller_offset: Vec<u32>,
    /// For each sync node, the sync fns that call it wherever they run: (caller node, line).
    sync_callers: Vec<(u32, u32)>,
    /// Calls that resolve, through another module's re-export or a glob, to a cataloged
    /// blocking API the walk could not see: (file, call index, catalog index), in file order.
    api_calls: Vec<(u32, u32, u32)>,
}

impl CallGraph {
    /// Builds the graph of `index` (see the module docs).
    pub fn build(files: &[IndexedFile], inputs: Vec<FileInput<'_>>, sema: &Semantics) -> CallGraph {
        let resolver = Resolver::new(files, inputs, sema);
        let per_file: Vec<FileCallees> = files
            .par_iter()
            .enumerate()
            .map(|(fi, file)| {
                let mut apis = Vec::new();
                let nodes = file
                    .facts
                    .calls
                    .iter()
                    .enumerate()
                    .map(|(ci, c)| match resolver.resolve(fi, c) {
                        Some(Target::Node(n)) => n,
                        Some(Target::Api(a)) => {
                            apis.push((fi as u32, ci as u32, a));
                            UNRESOLVED
                        }
                        None => UNRESOLVED,
                    })
                    .collect();
                (nodes, apis)
            })
            .collect();
        let mut call_offset = Vec::with_capacity(per_file.len());
        let mut callees = Vec::with_capacity(per_file.iter().map(|p| p.0.len()).sum());
        let mut api_calls = Vec::new();
        for (calls, apis) in per_file {
            call_offset.push(callees.len() as u32);
            callees.extend(calls);
            api_calls.extend(apis);
        }
        let Resolver {
            offset,
            nodes,
            krate,
            roots,
            ..
        } = resolver;
        let mut g = CallGraph {
            offset,
            nodes,
            call_offset,
            callees,
            krate,
            roots,
            sync_caller_offset: Vec::new(),
            sync_callers: Vec::new(),
            api_calls,
        };
        g.index_sync_callers(files);
        g
    }

    /// Whether a node is a sync fn whose body runs when it is called (not `async`, not
    /// returning a future).
    pub fn is_sync(&self, files: &[IndexedFile], node: usize) -> bool {
        self.fact(files, node)
            .is_some_and(|f| !f.is_async && !f.returns_future)
    }

    /// The sync fns whose sync code calls sync fn `node` unconditionally of closures (the call
    /// runs whenever the caller runs): (caller node, line of the call).
    pub fn sync_callers(&self, node: usize) -> &[(u32, u32)] {
        match (
            self.sync_caller_offset.get(node),
            self.sync_caller_offset.get(node + 1),
        ) {
            (Some(&a), Some(&b)) => &self.sync_callers[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Builds the reverse edges of [`CallGraph::sync_callers`] (in file and call order).
    fn index_sync_callers(&mut self, files: &[IndexedFile]) {
        let mut edges: Vec<(u32, u32, u32)> = Vec::new();
        for (fi, file) in files.iter().enumerate() {
            for (ci, call) in file.facts.calls.iter().enumerate() {
                if call.in_async || call.in_closure {
                    continue;
                }
                let Some(callee) = self.callee(fi, ci) else {
                    continue;
                };
                let caller = self.node(fi, call.caller as usize);
                if callee != caller && self.is_sync(files, caller) && self.is_sync(files, callee) {
                    edges.push((callee as u32, caller as u32, call.line));
                }
            }
        }
        // Stable: callers of one callee stay in file and call order.
        edges.sort_by_key(|e| e.0);
        let mut offset = Vec::with_capacity(self.nodes.len() + 1);
        let mut next = 0usize;
        for node in 0..self.nodes.len() {
            offset.push(next as u32);
            while next < edges.len() && edges[next].0 as usize == node {
                next += 1;
            }
        }
        offset.push(next as u32);
        self.sync_caller_offset = offset;
        self.sync_callers = edges.into_iter().map(|(_, c, l)| (c, l)).collect();
    }

    /// Calls that resolve to a cataloged blocking API only through the module tree (a
    /// re-export in another module, a glob): (file, call index, catalog index).
    pub fn api_calls(&self) -> &[(u32, u32, u32)] {
        &self.api_calls
    }

    /// Number of nodes (crate-local fns).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the run has no crate-local fn.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node of fn `fn_index` of file `file`.
    pub fn node(&self, file: usize, fn_index: usize) -> usize {
        self.offset.get(file).map_or(usize::MAX, |&o| o as usize) + fn_index
    }

    /// The (file, fn index) of a node.
    pub fn location(&self, node: usize) -> Option<(usize, usize)> {
        self.nodes.get(node).map(|&(f, i)| (f as usize, i as usize))
    }

    /// The fn fact of a node.
    pub fn fact<'i>(&self, files: &'i [IndexedFile], node: usize) -> Option<&'i FnFact> {
        let (fi, i) = self.location(node)?;
        files.get(fi)?.facts.fns.get(i)
    }

    /// The crate-local fn that call `call_index` of file `file` calls, if resolved.
    pub fn callee(&self, file: usize, call_index: usize) -> Option<usize> {
        let base = *self.call_offset.get(file)? as usize;
        match self.callees.get(base + call_index) {
            Some(&n) if n != UNRESOLVED => Some(n as usize),
            _ => None,
        }
    }

    /// A file's path as a message about `from` names it: relative to the crate root both files
    /// share, else to the common directory of their two crate roots (a helper in another
    /// workspace member shows as `common/src/store.rs`, not an ambiguous `src/store.rs`).
    pub fn relative_path(&self, files: &[IndexedFile], file: usize, from: usize) -> String {
        let Some(f) = files.get(file) else {
            return String::new();
        };
        let root_of = |fi: usize| {
            self.krate
                .get(fi)
                .and_then(|&k| self.roots.get(k as usize))
                .and_then(Option::as_ref)
        };
        let base = match (root_of(file), root_of(from)) {
            (Some(own), Some(caller)) if own == caller => Some(own.clone()),
            (Some(own), Some(caller)) => {
                let mut common = own.clone();
                while !caller.starts_with(&common) && common.pop() {}
                // Roots written differently (a named relative file beside absolute context
                // files of a partial run) share only `/`: keep the callee's own root.
                let only_fs_root = common.has_root() && common.parent().is_none();
                Some(if only_fs_root { own.clone() } else { common })
            }
            (own, _) => own.cloned(),
        };
        base.as_deref()
            .and_then(|r| f.path.strip_prefix(r).ok())
            .filter(|rel| !rel.as_os_str().is_empty())
            .unwrap_or(&f.path)
            .display()
            .to_string()
    }
}

/// Numbers every fn of the run as a node and resolves every recorded call through the
/// semantic layer.
struct Resolver<'i> {
    files: &'i [IndexedFile],
    offset: Vec<u32>,
    nodes: Vec<(u32, u32)>,
    krate: Vec<u32>,
    roots: Vec<Option<PathBuf>>,
    inputs: Vec<FileInput<'i>>,
    sema: &'i Semantics,
}

impl<'i> Resolver<'i> {
    fn new(files: &'i [IndexedFile], inputs: Vec<FileInput<'i>>, sema: &'i Semantics) -> Self {
        let mut crate_roots = crate::project::CrateRoots::default();
        let mut crate_ids: HashMap<Option<PathBuf>, u32> = HashMap::new();
        let mut roots = Vec::new();
        let mut offset = Vec::with_capacity(files.len());
        let mut krate = Vec::with_capacity(files.len());
        let all = files.iter().map(|f| f.facts.fns.len()).sum();
        let mut nodes = Vec::with_capacity(all);
        for (fi, file) in files.iter().enumerate() {
            let root = crate_roots.root(&file.path);
            let next = crate_ids.len() as u32;
            let k = *crate_ids.entry(root.clone()).or_insert_with(|| {
                roots.push(root);
                next
            });
            krate.push(k);
            offset.push(nodes.len() as u32);
            nodes.extend((0..file.facts.fns.len() as u32).map(|i| (fi as u32, i)));
        }
        Resolver {
            files,
            offset,
            nodes,
            krate,
            roots,
            inputs,
            sema,
        }
    }

    /// The crate-local fn (or cataloged blocking API) a call in file `fi` calls, when
    /// resolution ties it to one.
    fn resolve(&self, fi: usize, call: &CallFact) -> Option<Target> {
        let file = self.files.get(fi)?;
        let callee = match call.target {
            CallTarget::Path { path, scope } => {
                let path = file.facts.items.paths.get(path as usize)?;
                self.sema
                    .resolve_call(&self.inputs, fi as u32, scope, path, Some(call.caller))
            }
            CallTarget::Method {
                name,
                on_self: true,
                ..
            } => self.sema.resolve_self_method(
                &self.inputs,
                fi as u32,
                call.caller,
                &|n: &str| NameId::of(n) == name,
                false,
            ),
            CallTarget::Method {
                name,
                recv_ty,
                recv_sym,
                scope,
                ..
            } => {
                // Without a known receiver type, the callee is unknown.
                let matches = |n: &str| NameId::of(n) == name;
                let paths = &file.facts.items.paths;
                if recv_ty == u32::MAX && recv_sym != u32::MAX {
                    let ty = self.sema.sym_type(&self.inputs, fi as u32, recv_sym);
                    match ty.autoderef() {
                        Ty::Local(item, _) => self.sema.method_of(&self.inputs, *item, &matches),
                        _ => return None,
                    }
                } else if recv_ty == u32::MAX {
                    return None;
                } else if recv_ty & CTOR != 0 {
                    let ctor = paths.get((recv_ty & !(CTOR | UNWRAPPED)) as usize)?;
                    let unwrapped = recv_ty & UNWRAPPED != 0;
                    self.sema.resolve_method_of_ctor(
                        &self.inputs,
                        fi as u32,
                        scope,
                        ctor,
                        unwrapped,
                        &matches,
                    )
                } else {
                    let ty = paths.get(recv_ty as usize)?;
                    self.sema
                        .resolve_method(&self.inputs, fi as u32, scope, ty, &matches, false)
                }
            }
        };
        match callee {
            Callee::Fn(f, i) => Some(Target::Node(self.offset.get(f as usize)? + i)),
            Callee::External(p) => {
                let cat = crate::analysis::blocking_catalog::catalog();
                if !cat.may_name_api(&p) {
                    return None;
                }
                let (i, _) = cat.api_for_path(&p.join("::"))?;
                Some(Target::Api(i as u32))
            }
            _ => None,
        }
    }
}

/// One file's resolved callees (node per call) and its calls of cataloged APIs.
type FileCallees = (Vec<u32>, Vec<(u32, u32, u32)>);

/// What a resolved call reaches.
enum Target {
    /// A crate-local fn (node).
    Node(u32),
    /// A cataloged blocking API (index in the catalog).
    Api(u32),
}
