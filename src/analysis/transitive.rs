//! Phase 2 of the blocking rules: blocking through crate-local sync helpers.
//!
//! From every file's facts ([`FileFacts::blocking`] roots and [`FileFacts::calls`] edges), a
//! breadth-first search backwards over the crate's call graph marks each sync fn that blocks,
//! directly or through other sync fns, with the shortest chain to a root cause (cycles
//! terminate: each fn is marked once). A call from an async context to a marked fn is then
//! reported at the call site under the root cause's rule. Callees are resolved only when
//! unambiguous: free fns by name (the same file first, then by module), `self.m()` within the
//! enclosing impl's type, `Type::f()` by type, and other method calls only when a single
//! crate-local method has that name and no std or cataloged method shares it.
//!
//! Files are grouped into crates by their nearest `Cargo.toml`, so that one run over many
//! crates never resolves a name across crates.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use crate::analysis::blocking::catalog;
use crate::analysis::index::{CallFact, Callee, CrateIndex, FileFacts, FnFact};
use crate::diagnostic::{Diagnostic, Fix};
use crate::rules::Rule;

/// A marked fn: why it blocks.
#[derive(Debug, Clone, Copy)]
enum Cause {
    /// Index of the root [`crate::analysis::index::BlockingFact`] in its file.
    Direct(usize),
    /// It calls another marked fn (node) on this line.
    Via { callee: usize, line: usize },
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

struct Graph<'i> {
    index: &'i CrateIndex,
    /// First node id of each file.
    offset: Vec<usize>,
    /// Crate id of each file.
    krate: Vec<usize>,
    /// (file, fn) of each node.
    nodes: Vec<(usize, usize)>,
    free: HashMap<(usize, &'i str), Vec<usize>>,
    methods: HashMap<(usize, &'i str), Vec<usize>>,
    assoc: HashMap<(usize, &'i str, &'i str), Vec<usize>>,
    modules: HashSet<(usize, &'i str)>,
}

impl<'i> Graph<'i> {
    fn new(index: &'i CrateIndex) -> Self {
        let mut roots = CrateRoots::default();
        let mut crate_ids: HashMap<Option<PathBuf>, usize> = HashMap::new();
        let mut g = Graph {
            index,
            offset: Vec::new(),
            krate: Vec::new(),
            nodes: Vec::new(),
            free: HashMap::new(),
            methods: HashMap::new(),
            assoc: HashMap::new(),
            modules: HashSet::new(),
        };
        for (fi, file) in index.files.iter().enumerate() {
            let root = roots.root(&file.path);
            let next = crate_ids.len();
            let k = *crate_ids.entry(root).or_insert(next);
            g.krate.push(k);
            g.offset.push(g.nodes.len());
            if let Some(m) = file_module(&file.path) {
                g.modules.insert((k, m));
            }
            for m in &file.facts.modules {
                g.modules.insert((k, m.as_str()));
            }
            for (i, f) in file.facts.fns.iter().enumerate() {
                let id = g.nodes.len();
                g.nodes.push((fi, i));
                match &f.impl_ty {
                    None => g.free.entry((k, f.name.as_str())).or_default().push(id),
                    Some(ty) => {
                        g.assoc
                            .entry((k, ty.as_str(), f.name.as_str()))
                            .or_default()
                            .push(id);
                        if f.has_self {
                            g.methods.entry((k, f.name.as_str())).or_default().push(id);
                        }
                    }
                }
            }
        }
        g
    }

    fn fact(&self, node: usize) -> Option<&'i FnFact> {
        let &(fi, i) = self.nodes.get(node)?;
        self.index.files.get(fi)?.facts.fns.get(i)
    }

    fn facts(&self, fi: usize) -> &'i FileFacts {
        &self.index.files[fi].facts
    }

    /// Whether a node is a sync fn whose body runs when it is called.
    fn is_sync(&self, node: usize) -> bool {
        self.fact(node)
            .is_some_and(|f| !f.is_async && !f.returns_future)
    }

    fn unique(c: Option<&Vec<usize>>) -> Option<usize> {
        match c.map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }

    /// The crate-local fn a call in file `fi` calls, when unambiguous.
    fn resolve(&self, fi: usize, call: &CallFact) -> Option<usize> {
        let k = *self.krate.get(fi)?;
        let caller = call.caller.and_then(|c| self.facts(fi).fns.get(c));
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
                let pick: Vec<usize> = if segs.len() == 1 {
                    all.iter()
                        .copied()
                        .filter(|&n| self.nodes.get(n).is_some_and(|&(f, _)| f == fi))
                        .collect()
                } else {
                    let owner = segs[segs.len() - 2].as_str();
                    all.iter()
                        .copied()
                        .filter(|&n| {
                            self.nodes
                                .get(n)
                                .and_then(|&(f, _)| self.index.files.get(f))
                                .and_then(|f| file_module(&f.path))
                                .is_some_and(|m| m == owner)
                        })
                        .collect()
                };
                Self::unique(Some(&pick))
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
                let f = self.fact(n)?;
                match &f.trait_name {
                    Some(t)
                        if !self
                            .assoc
                            .keys()
                            .any(|(kk, ty, _)| *kk == k && *ty == t.as_str()) =>
                    {
                        None
                    }
                    _ => Some(n),
                }
            }
        }
    }

    fn display_name(&self, node: usize) -> String {
        match self.fact(node) {
            Some(f) => match &f.impl_ty {
                Some(t) => format!("{t}::{}()", f.name),
                None => format!("{}()", f.name),
            },
            None => "a helper".to_string(),
        }
    }
}

/// How a rule words the help and fix of a transitive finding, given the callee's display name.
pub type Advice = fn(&str) -> (String, Fix);

/// Reports calls from async contexts to crate-local sync fns that block through a root cause
/// of `rule` (see the module docs).
pub fn resolve(index: &CrateIndex, rule: &'static Rule, advice: Advice, out: &mut Vec<Diagnostic>) {
    if !index
        .files
        .iter()
        .any(|f| f.facts.blocking.iter().any(|b| b.rule == rule.id))
    {
        return;
    }
    let g = Graph::new(index);
    let mut cause: Vec<Option<Cause>> = vec![None; g.nodes.len()];
    let mut queue = VecDeque::new();
    for (fi, file) in index.files.iter().enumerate() {
        for (bi, b) in file.facts.blocking.iter().enumerate() {
            let node = g.offset[fi] + b.caller;
            if b.rule == rule.id && g.is_sync(node) && cause.get(node).is_some_and(Option::is_none)
            {
                cause[node] = Some(Cause::Direct(bi));
                queue.push_back(node);
            }
        }
    }
    // Reverse edges of sync-to-sync calls that run whenever the caller runs.
    let mut callers: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for (fi, file) in index.files.iter().enumerate() {
        for call in &file.facts.calls {
            let Some(c) = call.caller else { continue };
            let caller = g.offset[fi] + c;
            if call.in_async || call.in_closure || !g.is_sync(caller) {
                continue;
            }
            if let Some(callee) = g.resolve(fi, call).filter(|&n| n != caller && g.is_sync(n)) {
                callers.entry(callee).or_default().push((caller, call.line));
            }
        }
    }
    while let Some(n) = queue.pop_front() {
        for &(caller, line) in callers.get(&n).map(Vec::as_slice).unwrap_or(&[]) {
            if cause[caller].is_none() {
                cause[caller] = Some(Cause::Via { callee: n, line });
                queue.push_back(caller);
            }
        }
    }
    let mut roots = CrateRoots::default();
    let mut shown: HashMap<usize, String> = HashMap::new();
    let mut show = |fi: usize| -> String {
        shown
            .entry(fi)
            .or_insert_with(|| {
                let p = &index.files[fi].path;
                let rel = roots
                    .root(p)
                    .and_then(|r| p.strip_prefix(r).ok().map(Path::to_path_buf));
                rel.unwrap_or_else(|| p.to_path_buf()).display().to_string()
            })
            .clone()
    };
    for (fi, file) in index.files.iter().enumerate() {
        for call in &file.facts.calls {
            if !call.in_async {
                continue;
            }
            let Some(callee) = g.resolve(fi, call).filter(|&n| g.is_sync(n)) else {
                continue;
            };
            if cause.get(callee).copied().flatten().is_none() {
                continue;
            }
            let name = g.display_name(callee);
            let mut chain = String::new();
            let mut node = callee;
            for hop in 0..8 {
                let Some(&(nfi, _)) = g.nodes.get(node) else {
                    break;
                };
                let sep = if hop == 0 {
                    "it calls"
                } else {
                    ", which calls"
                };
                match cause[node] {
                    Some(Cause::Direct(bi)) => {
                        let Some(b) = index.files[nfi].facts.blocking.get(bi) else {
                            break;
                        };
                        chain.push_str(&format!("{sep} `{}` ({}:{})", b.api, show(nfi), b.line));
                        break;
                    }
                    Some(Cause::Via { callee: next, line }) => {
                        chain.push_str(&format!(
                            "{sep} `{}` ({}:{})",
                            g.display_name(next),
                            show(nfi),
                            line
                        ));
                        node = next;
                    }
                    None => break,
                }
                if hop == 7 {
                    chain.push_str(", ..");
                }
            }
            let (help, fix) = advice(&name);
            out.push(Diagnostic {
                rule,
                severity: rule.severity,
                message: format!("`{name}` blocks: {chain}"),
                path: file.path.clone(),
                range: call.range.clone(),
                labels: Vec::new(),
                help: Some(help),
                fix: Some(fix),
            });
        }
    }
}

/// The advice for helpers that block the thread (blocking-fs, blocking-call, blocking-sleep).
pub fn offload_advice(name: &str) -> (String, Fix) {
    let call = name
        .strip_suffix("()")
        .map_or_else(|| name.to_string(), |n| format!("{n}(..)"));
    (
        format!(
            "run it on the blocking pool: `tokio::task::spawn_blocking(move || {call}).await.expect(\"blocking task panicked\")`, or make it async"
        ),
        Fix::manual("wrap the call in `tokio::task::spawn_blocking`", Vec::new()),
    )
}
