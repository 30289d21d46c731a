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
use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::blocking::catalog;
use crate::analysis::index::{CallFact, Callee, CrateIndex, FnFact};

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
        CallGraph {
            offset,
            nodes,
            call_offset,
            callees,
            krate,
            roots,
        }
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

/// Finds each file's crate root (the nearest directory with a `Cargo.toml`), memoised.
#[derive(Default)]
struct CrateRoots {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl CrateRoots {
    fn root(&mut self, file: &Path) -> Option<PathBuf> {
        let dir = file.parent()?;
        let mut pending = Vec::new();
        let mut found = None;
        for d in dir.ancestors() {
            if let Some(r) = self.by_dir.get(d) {
                found = r.clone();
                break;
            }
            pending.push(d.to_path_buf());
            if d.join("Cargo.toml").is_file() {
                found = Some(d.to_path_buf());
                break;
            }
        }
        for d in pending {
            self.by_dir.insert(d, found.clone());
        }
        found
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

/// The name tables calls are resolved against, borrowed from the index while building.
struct Resolver<'i> {
    index: &'i CrateIndex,
    offset: Vec<u32>,
    nodes: Vec<(u32, u32)>,
    krate: Vec<u32>,
    roots: Vec<Option<PathBuf>>,
    free: FxHashMap<(u32, &'i str), Vec<u32>>,
    methods: FxHashMap<(u32, &'i str), Vec<u32>>,
    assoc: FxHashMap<(u32, &'i str, &'i str), Vec<u32>>,
    /// Types (and traits) with at least one crate-local fn, per crate.
    types: FxHashSet<(u32, &'i str)>,
    modules: FxHashSet<(u32, &'i str)>,
}

impl<'i> Resolver<'i> {
    fn new(index: &'i CrateIndex) -> Self {
        let mut crate_roots = CrateRoots::default();
        let mut crate_ids: HashMap<Option<PathBuf>, u32> = HashMap::new();
        let mut r = Resolver {
            index,
            offset: Vec::with_capacity(index.files.len()),
            nodes: Vec::new(),
            krate: Vec::with_capacity(index.files.len()),
            roots: Vec::new(),
            free: FxHashMap::default(),
            methods: FxHashMap::default(),
            assoc: FxHashMap::default(),
            types: FxHashSet::default(),
            modules: FxHashSet::default(),
        };
        for (fi, file) in index.files.iter().enumerate() {
            let root = crate_roots.root(&file.path);
            let next = crate_ids.len() as u32;
            let k = *crate_ids.entry(root.clone()).or_insert_with(|| {
                r.roots.push(root);
                next
            });
            r.krate.push(k);
            r.offset.push(r.nodes.len() as u32);
            if let Some(m) = file_module(&file.path) {
                r.modules.insert((k, m));
            }
            for m in &file.facts.modules {
                r.modules.insert((k, m.as_str()));
            }
            for (i, f) in file.facts.fns.iter().enumerate() {
                let id = r.nodes.len() as u32;
                r.nodes.push((fi as u32, i as u32));
                match &f.impl_ty {
                    None => r.free.entry((k, f.name.as_str())).or_default().push(id),
                    Some(ty) => {
                        r.types.insert((k, ty.as_str()));
                        r.assoc
                            .entry((k, ty.as_str(), f.name.as_str()))
                            .or_default()
                            .push(id);
                        if f.has_self {
                            r.methods.entry((k, f.name.as_str())).or_default().push(id);
                        }
                    }
                }
            }
        }
        r
    }

    fn fact(&self, node: u32) -> Option<&'i FnFact> {
        let &(fi, i) = self.nodes.get(node as usize)?;
        self.index.files.get(fi as usize)?.facts.fns.get(i as usize)
    }

    fn unique(c: Option<&Vec<u32>>) -> Option<u32> {
        match c.map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }

    /// The crate-local fn a call in file `fi` calls, when unambiguous.
    fn resolve(&self, fi: usize, call: &CallFact) -> Option<u32> {
        let k = *self.krate.get(fi)?;
        let caller = call
            .caller
            .and_then(|c| self.index.files.get(fi)?.facts.fns.get(c));
        match &call.callee {
            Callee::Path(segs) => {
                let name = segs.last()?.as_str();
                if segs.len() >= 2 {
                    let owner = segs[segs.len() - 2].as_str();
                    let ty = if owner == "Self" {
                        caller?.impl_ty.as_deref()?
                    } else {
                        owner
                    };
                    if ty.starts_with(|c: char| c.is_ascii_uppercase()) {
                        return Self::unique(self.assoc.get(&(k, ty, name)));
                    }
                    let first = segs[0].as_str();
                    if !matches!(first, "crate" | "self" | "super")
                        && !self.modules.contains(&(k, first))
                    {
                        return None;
                    }
                }
                let all = self.free.get(&(k, name))?;
                if let [one] = all.as_slice() {
                    return Some(*one);
                }
                let in_file = |n: &u32| {
                    self.nodes
                        .get(*n as usize)
                        .is_some_and(|&(f, _)| f as usize == fi)
                };
                let in_module = |n: &u32, owner: &str| {
                    self.nodes
                        .get(*n as usize)
                        .and_then(|&(f, _)| self.index.files.get(f as usize))
                        .and_then(|f| file_module(&f.path))
                        .is_some_and(|m| m == owner)
                };
                let mut pick = if segs.len() == 1 {
                    all.iter()
                        .filter(|n| in_file(n))
                        .copied()
                        .collect::<Vec<_>>()
                } else {
                    let owner = segs[segs.len() - 2].as_str();
                    all.iter()
                        .filter(|n| in_module(n, owner))
                        .copied()
                        .collect::<Vec<_>>()
                };
                match pick.len() {
                    1 => pick.pop(),
                    _ => None,
                }
            }
            Callee::Method { name, on_self } => {
                if *on_self {
                    let ty = caller?.impl_ty.as_deref()?;
                    return Self::unique(self.assoc.get(&(k, ty, name.as_str())))
                        .filter(|&n| self.fact(n).is_some_and(|f| f.has_self));
                }
                if catalog().is_std_method(name) {
                    return None;
                }
                let n = Self::unique(self.methods.get(&(k, name.as_str())))?;
                // A method of a trait declared elsewhere may be any type's.
                match &self.fact(n)?.trait_name {
                    Some(t) if !self.types.contains(&(k, t.as_str())) => None,
                    _ => Some(n),
                }
            }
        }
    }
}
