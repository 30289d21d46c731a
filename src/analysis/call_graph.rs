//! The crate-wide call graph: which crate-local fn each recorded call calls, as far as syntax
//! tells unambiguously. Built once per run (the first time a rule asks for it through
//! [`CrateIndex::call_graph`]) and shared by every rule; each file's calls are resolved in
//! parallel.
//!
//! Callees are resolved only when unambiguous: free fns by name (the same file first, then by
//! module), `self.m()` within the enclosing impl's type, `Type::f()` by type, and other method
//! calls only when a single crate-local method has that name and no std or cataloged method
//! shares it. Files are grouped into crates by their nearest `Cargo.toml`, so that one run over
//! many crates never resolves a name across crates.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analysis::index::{CallFact, CallTarget, CrateIndex, FnFact, NameId};

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
}

impl CallGraph {
    /// Builds the graph of `index` (see the module docs).
    pub fn build(index: &CrateIndex) -> CallGraph {
        let resolver = Resolver::new(index);
        let per_file: Vec<Vec<u32>> = index
            .files
            .par_iter()
            .enumerate()
            .map(|(fi, file)| {
                file.facts
                    .calls
                    .iter()
                    .map(|c| resolver.resolve(fi, c).unwrap_or(UNRESOLVED))
                    .collect()
            })
            .collect();
        let mut call_offset = Vec::with_capacity(per_file.len());
        let mut callees = Vec::with_capacity(per_file.iter().map(Vec::len).sum());
        for calls in per_file {
            call_offset.push(callees.len() as u32);
            callees.extend(calls);
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
        };
        g.index_sync_callers(index);
        g
    }

    /// Whether a node is a sync fn whose body runs when it is called (not `async`, not
    /// returning a future).
    pub fn is_sync(&self, index: &CrateIndex, node: usize) -> bool {
        self.fact(index, node)
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
    fn index_sync_callers(&mut self, index: &CrateIndex) {
        let mut edges: Vec<(u32, u32, u32)> = Vec::new();
        for (fi, file) in index.files.iter().enumerate() {
            for (ci, call) in file.facts.calls.iter().enumerate() {
                if call.in_async || call.in_closure {
                    continue;
                }
                let Some(callee) = self.callee(fi, ci) else {
                    continue;
                };
                let caller = self.node(fi, call.caller as usize);
                if callee != caller && self.is_sync(index, caller) && self.is_sync(index, callee) {
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
    pub fn fact<'i>(&self, index: &'i CrateIndex, node: usize) -> Option<&'i FnFact> {
        let (fi, i) = self.location(node)?;
        index.files.get(fi)?.facts.fns.get(i)
    }

    /// The crate-local fn that call `call_index` of file `file` calls, if resolved.
    pub fn callee(&self, file: usize, call_index: usize) -> Option<usize> {
        let base = *self.call_offset.get(file)? as usize;
        match self.callees.get(base + call_index) {
            Some(&n) if n != UNRESOLVED => Some(n as usize),
            _ => None,
        }
    }

    /// A file's path relative to its crate root (for messages that name another file).
    pub fn relative_path(&self, index: &CrateIndex, file: usize) -> String {
        let Some(f) = index.files.get(file) else {
            return String::new();
        };
        let root = self
            .krate
            .get(file)
            .and_then(|&k| self.roots.get(k as usize))
            .and_then(Option::as_ref);
        root.and_then(|r| f.path.strip_prefix(r).ok())
            .unwrap_or(&f.path)
            .display()
            .to_string()
    }
}

/// The module name a file defines (`config` for `src/config.rs` and `src/config/mod.rs`).
fn file_module(path: &Path) -> Option<&str> {
    let stem = path.file_stem()?.to_str()?;
    if matches!(stem, "mod" | "lib" | "main") {
        path.parent()?.file_name()?.to_str()
    } else {
        Some(stem)
    }
}

/// A sorted table from a key to the nodes that have it (compact: one entry per fn).
struct Table<K> {
    rows: Vec<(K, u32)>,
}

impl<K: Ord + Copy> Table<K> {
    fn new(mut rows: Vec<(K, u32)>) -> Self {
        rows.sort_unstable();
        Table { rows }
    }

    /// The nodes with key `k`, in node order.
    fn get(&self, k: K) -> impl Iterator<Item = u32> + '_ {
        let start = self.rows.partition_point(|r| r.0 < k);
        self.rows[start..]
            .iter()
            .take_while(move |r| r.0 == k)
            .map(|r| r.1)
    }

    /// The single node with key `k`, if exactly one has it.
    fn unique(&self, k: K) -> Option<u32> {
        let mut it = self.get(k);
        match (it.next(), it.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    fn contains(&self, k: K) -> bool {
        self.get(k).next().is_some()
    }
}

/// A (crate, name) key packed into 32-bit words (a row of 16 bytes rather than 24 with the
/// padding of `(u32, NameId)`: the tables hold a row per fn).
type Key = [u32; 3];
/// A (crate, type, name) key, packed the same way.
type AssocKey = [u32; 5];

fn halves(id: NameId) -> [u32; 2] {
    [(id.0 >> 32) as u32, id.0 as u32]
}

fn key(krate: u32, name: NameId) -> Key {
    let [a, b] = halves(name);
    [krate, a, b]
}

fn assoc_key(krate: u32, ty: NameId, name: NameId) -> AssocKey {
    let ([a, b], [c, d]) = (halves(ty), halves(name));
    [krate, a, b, c, d]
}

/// The name tables calls are resolved against, borrowed from the index while building.
struct Resolver<'i> {
    index: &'i CrateIndex,
    offset: Vec<u32>,
    nodes: Vec<(u32, u32)>,
    krate: Vec<u32>,
    roots: Vec<Option<PathBuf>>,
    /// The module name of each file (see [`file_module`]).
    file_modules: Vec<Option<NameId>>,
    /// Free fns by (crate, name).
    free: Table<Key>,
    /// Methods (taking `self`) by (crate, name).
    methods: Table<Key>,
    /// Fns of impls and traits by (crate, self type or trait, name).
    assoc: Table<AssocKey>,
    /// Types (and traits) with at least one crate-local fn, by (crate, type).
    types: Table<Key>,
    /// Module names, by (crate, module) (the node is meaningless).
    modules: Table<Key>,
}

impl<'i> Resolver<'i> {
    fn new(index: &'i CrateIndex) -> Self {
        let mut crate_roots = crate::project::CrateRoots::default();
        let mut crate_ids: HashMap<Option<PathBuf>, u32> = HashMap::new();
        let mut roots = Vec::new();
        let mut offset = Vec::with_capacity(index.files.len());
        let mut krate = Vec::with_capacity(index.files.len());
        let mut file_modules = Vec::with_capacity(index.files.len());
        // Sized exactly up front: the tables are the largest allocations of the graph.
        let fns = || index.files.iter().flat_map(|f| &f.facts.fns);
        let owned = fns().filter(|f| f.impl_ty.is_some()).count();
        let all = fns().count();
        let mut nodes = Vec::with_capacity(all);
        let mut free = Vec::with_capacity(all - owned);
        let mut assoc = Vec::with_capacity(owned);
        let mut types = Vec::with_capacity(owned);
        let mut methods =
            Vec::with_capacity(fns().filter(|f| f.impl_ty.is_some() && f.has_self).count());
        let mut modules = Vec::new();
        for (fi, file) in index.files.iter().enumerate() {
            let root = crate_roots.root(&file.path);
            let next = crate_ids.len() as u32;
            let k = *crate_ids.entry(root.clone()).or_insert_with(|| {
                roots.push(root);
                next
            });
            krate.push(k);
            offset.push(nodes.len() as u32);
            let module = file_module(&file.path).map(NameId::of);
            file_modules.push(module);
            if let Some(m) = module {
                modules.push((key(k, m), 0));
            }
            for m in &file.facts.modules {
                modules.push((key(k, NameId::of(m)), 0));
            }
            for (i, f) in file.facts.fns.iter().enumerate() {
                let id = nodes.len() as u32;
                nodes.push((fi as u32, i as u32));
                let name = NameId::of(&f.name);
                match &f.impl_ty {
                    None => free.push((key(k, name), id)),
                    Some(ty) => {
                        let ty = NameId::of(ty);
                        types.push((key(k, ty), id));
                        assoc.push((assoc_key(k, ty, name), id));
                        if f.has_self {
                            methods.push((key(k, name), id));
                        }
                    }
                }
            }
        }
        Resolver {
            index,
            offset,
            nodes,
            krate,
            roots,
            file_modules,
            free: Table::new(free),
            methods: Table::new(methods),
            assoc: Table::new(assoc),
            types: Table::new(types),
            modules: Table::new(modules),
        }
    }

    fn fact(&self, node: u32) -> Option<&'i FnFact> {
        let &(fi, i) = self.nodes.get(node as usize)?;
        self.index.files.get(fi as usize)?.facts.fns.get(i as usize)
    }

    /// The only node in `all` that `keep` accepts.
    fn only(all: impl Iterator<Item = u32>, keep: impl Fn(u32) -> bool) -> Option<u32> {
        let mut found = None;
        for n in all {
            if keep(n) {
                if found.is_some() {
                    return None;
                }
                found = Some(n);
            }
        }
        found
    }

    fn file_of(&self, node: u32) -> Option<usize> {
        self.nodes.get(node as usize).map(|&(f, _)| f as usize)
    }

    /// The crate-local fn a call in file `fi` calls, when unambiguous.
    fn resolve(&self, fi: usize, call: &CallFact) -> Option<u32> {
        let k = *self.krate.get(fi)?;
        let caller = || {
            self.index
                .files
                .get(fi)?
                .facts
                .fns
                .get(call.caller as usize)
        };
        match call.target {
            CallTarget::Path {
                name,
                owner,
                first,
                segments,
                owner_is_self,
                owner_is_type,
                relative,
            } => {
                if segments >= 2 {
                    if owner_is_self {
                        let ty = caller()?.impl_ty.as_deref()?;
                        if ty.starts_with(|c: char| c.is_ascii_uppercase()) {
                            return self.assoc.unique(assoc_key(k, NameId::of(ty), name));
                        }
                    } else if owner_is_type {
                        return self.assoc.unique(assoc_key(k, owner, name));
                    }
                    if !relative && !self.modules.contains(key(k, first)) {
                        return None;
                    }
                }
                if let Some(one) = self.free.unique(key(k, name)) {
                    return Some(one);
                }
                let all = self.free.get(key(k, name));
                if segments == 1 {
                    Self::only(all, |n| self.file_of(n) == Some(fi))
                } else {
                    Self::only(all, |n| {
                        self.file_of(n)
                            .and_then(|f| *self.file_modules.get(f)?)
                            .is_some_and(|m| m == owner)
                    })
                }
            }
            CallTarget::Method { name, on_self } => {
                if on_self {
                    let ty = caller()?.impl_ty.as_deref()?;
                    return self
                        .assoc
                        .unique(assoc_key(k, NameId::of(ty), name))
                        .filter(|&n| self.fact(n).is_some_and(|f| f.has_self));
                }
                // Calls of std method names on other receivers are not recorded (see
                // `walk::may_be_crate_local`).
                let n = self.methods.unique(key(k, name))?;
                // A method of a trait declared elsewhere may be any type's.
                match &self.fact(n)?.trait_name {
                    Some(t) if !self.types.contains(key(k, NameId::of(t))) => None,
                    _ => Some(n),
                }
            }
        }
    }
}
