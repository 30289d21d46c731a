//! Module trees and name resolution (layer L2): one crate per cargo target (and one per loose
//! file that no target reaches), each a tree of modules built from `mod` declarations; every
//! module's scope in three namespaces, filled by declarations and then by imports resolved to a
//! fixed point (an import may find one namespace now and another later; globs and re-exports
//! across modules and workspace crates are followed; an import never resolves through its own
//! binding). Two bindings of one name (cfg alternatives) give [`Def::Ambiguous`].
//!
//! Anything that cannot be known from syntax (a module whose file is not linted, a glob of an
//! external crate, a macro's product) resolves to [`Def::Unknown`], never to a guess.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::semantic::cfg::TestCfg;
use crate::semantic::items::{
    FnFact, ItemKind, ItemSummary, NONE, Name, Owner, PathFact, ScopeKind, UseKind, Vis,
};
use crate::semantic::project::{Edition, ExternCrate, Project, TargetKind};

/// A module (or block scope) of some crate.
pub type ModId = u32;

/// A file's facts, as the semantic layer reads them.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    /// The file's absolute, normalised path ([`crate::semantic::project::normalize`]).
    pub path: &'a Path,
    /// Its items.
    pub items: &'a ItemSummary,
    /// Its fns.
    pub fns: &'a [FnFact],
}

/// What a name denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Def {
    /// A module (or a crate's root module).
    Module(ModId),
    /// A fn: (file, index in its fns).
    Fn(u32, u32),
    /// A named item other than a fn or module: (file, index in its items).
    Item(u32, u32),
    /// Something in another crate or std, by canonical path.
    External(Arc<[Name]>),
    /// Two or more bindings (cfg alternatives, or conflicting globs).
    Ambiguous,
    /// Exists, but what it is cannot be known (a module whose file is not linted).
    Unknown,
}

/// The three namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ns {
    /// Types, traits, modules, crates.
    Types = 0,
    /// Fns, consts, statics, constructors.
    Values = 1,
    /// Macros.
    Macros = 2,
}

const ALL_NS: [Ns; 3] = [Ns::Types, Ns::Values, Ns::Macros];

/// Where a binding comes from (what globs bring is looked up on demand, never bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Decl,
    Import(u32),
}

/// A [`Def`] as a binding stores it: external paths by index (a binding is 20 bytes; a run
/// holds a hundred thousand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    Module(ModId),
    Fn(u32, u32),
    Item(u32, u32),
    /// Index into [`DefMap::ext`].
    Ext(u32),
    Ambiguous,
    Unknown,
}

#[derive(Debug, Clone)]
struct Binding {
    def: Stored,
    vis: Vis,
    origin: Origin,
}

/// What kind of crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrateKind {
    /// A cargo target.
    Target(TargetKind),
    /// A `lib.rs` or `main.rs` that no cargo target reaches, taken as a crate root.
    LooseRoot,
    /// A file that no crate reaches: file-local knowledge only.
    Orphan,
}

/// A crate: a cargo target, or a loose file.
#[derive(Debug)]
pub struct Crate {
    /// What it is.
    pub kind: CrateKind,
    /// Index of the target in the [`Project`], for targets.
    pub target: Option<usize>,
    /// Its root module.
    pub root: ModId,
    /// Its edition.
    pub edition: Edition,
    /// Extern prelude: name → crate root module (a linted workspace lib) or external crate.
    extern_prelude: HashMap<Name, Def, xxhash_rust::xxh3::Xxh3DefaultBuilder>,
}

/// A module or block scope.
#[derive(Debug, Clone)]
pub struct Module {
    /// Its crate.
    pub krate: u32,
    /// The file and scope it is (None: a `mod x;` whose file is not linted).
    pub file: Option<(u32, u32)>,
    /// The enclosing module or block (None for a crate root).
    pub parent: Option<ModId>,
    /// Whether it is a block scope (an anonymous module inside a fn body).
    pub is_block: bool,
    /// Whether its cfg (or an enclosing module's) keeps it out of non-test builds.
    pub cfg_test: TestCfg,
    /// Whether it (or an enclosing module, or its package) is named as test support
    /// ([`is_test_support_name`]: `mod test_utils`, `mod testing`, a `foo-test-fakes` package).
    pub test_support: bool,
}

/// Whether a module or package name names test support: one of its `_`/`-` separated words is
/// `test`, `tests`, `testing`, `testutil` or `testutils` (`test_utils`, `docs_rs_test_fakes`;
/// not `contest` or `attest`).
pub fn is_test_support_name(name: &str) -> bool {
    name.split(['_', '-'])
        .any(|w| matches!(w, "test" | "tests" | "testing" | "testutil" | "testutils"))
}

/// A fast hasher for keys that are already well-mixed integers.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
}

type Fast = BuildHasherDefault<MixHasher>;

/// A name's key: its 64-bit hash.
fn key(name: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(name.as_bytes())
}

/// An import to resolve: a `use` of some file, in some module.
#[derive(Debug, Clone, Copy)]
struct Import {
    module: ModId,
    file: u32,
    index: u32,
}

/// The crates, their module trees and every module's scope.
#[derive(Debug, Default)]
pub struct DefMap {
    /// Crates.
    pub crates: Vec<Crate>,
    /// Modules and block scopes.
    pub modules: Vec<Module>,
    /// For each file, its modules' first id in each crate that contains it: (crate, base);
    /// scope `s` of the file is module `base + s`.
    memberships: Vec<Vec<(u32, ModId)>>,
    /// Bindings by (name, module and namespace packed as `module << 2 | namespace`).
    scope: HashMap<(u64, u32), Binding, Fast>,
    /// External paths that bindings name.
    ext: Vec<Arc<[Name]>>,
    /// Index of each path in `ext`.
    ext_ids: HashMap<Arc<[Name]>, u32>,
    /// Each module's glob imports of local modules: (imported module, visibility of the
    /// import). Names are looked up through them on demand, never copied.
    globs: Vec<Vec<(ModId, Vis)>>,
    /// Modules with a glob import whose source is unknown: names they do not bind may come
    /// from it.
    open_globs: Vec<bool>,
    /// Glob imports of external modules (`use std::fs::*`): (importing module, source path).
    ext_globs: HashMap<ModId, Vec<Arc<[Name]>>, Fast>,
    /// Every (name, namespace) some module has ever bound (an external import counts in every
    /// namespace, as [`DefMap::binding`] answers it there): a name no module binds is found
    /// through no glob, so the search of the glob graph is skipped. Bindings are never removed,
    /// so this only over-approximates.
    bound: std::collections::HashSet<(u64, u32), Fast>,
}

/// Rounds of the fixed point at most (re-export chains are a few hops deep).
const MAX_ROUNDS: usize = 64;

impl DefMap {
    /// Builds the crates, module trees and scopes of `files` under `project`.
    pub fn build(project: &Project, files: &[FileInput<'_>]) -> DefMap {
        let mut b = Builder {
            map: DefMap {
                memberships: vec![Vec::new(); files.len()],
                ..DefMap::default()
            },
            files,
            by_path: files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.to_path_buf(), i as u32))
                .collect(),
            dirs: Vec::new(),
            imports: Vec::new(),
        };
        b.crates(project);
        b.declare();
        b.fixed_point();
        b.map
    }

    /// The modules file `file`'s scope `scope` is, one per crate that contains the file.
    pub fn modules_of(&self, file: u32, scope: u32) -> impl Iterator<Item = ModId> + '_ {
        self.memberships
            .get(file as usize)
            .into_iter()
            .flatten()
            .map(move |&(_, base)| base + scope)
    }

    /// The crates that contain `file`.
    pub fn crates_of(&self, file: u32) -> impl Iterator<Item = &Crate> + '_ {
        self.memberships
            .get(file as usize)
            .into_iter()
            .flatten()
            .filter_map(|&(k, _)| self.crates.get(k as usize))
    }

    /// The binding of `name` in `m`'s own scope. An import of an external path is bound in
    /// the types namespace only and answers for every namespace.
    fn binding(&self, m: ModId, name: u64, ns: Ns) -> Option<&Binding> {
        match self.scope.get(&(name, m << 2 | ns as u32)) {
            Some(b) => Some(b),
            None if ns != Ns::Types => self
                .scope
                .get(&(name, m << 2))
                .filter(|b| matches!(b.def, Stored::Ext(_))),
            None => None,
        }
    }

    /// The [`Def`] a binding stores.
    fn def(&self, s: Stored) -> Def {
        match s {
            Stored::Module(m) => Def::Module(m),
            Stored::Fn(f, i) => Def::Fn(f, i),
            Stored::Item(f, i) => Def::Item(f, i),
            Stored::Ext(i) => self
                .ext
                .get(i as usize)
                .map_or(Def::Unknown, |p| Def::External(Arc::clone(p))),
            Stored::Ambiguous => Def::Ambiguous,
            Stored::Unknown => Def::Unknown,
        }
    }

    /// What `name` denotes in module `m`: its own binding, else what its globs bring (seen
    /// from `viewer`); several different glob bindings are ambiguous.
    fn lookup(&self, m: ModId, name: u64, ns: Ns, viewer: ModId) -> Option<Def> {
        if !self.bound.contains(&(name, ns as u32)) {
            return None;
        }
        if let Some(b) = self.binding(m, name, ns) {
            return Some(self.def(b.def));
        }
        if !self.has_globs(m) {
            return None;
        }
        let mut visited = vec![m];
        self.glob_lookup(m, name, ns, viewer, &mut visited)
    }

    fn glob_lookup(
        &self,
        m: ModId,
        name: u64,
        ns: Ns,
        viewer: ModId,
        visited: &mut Vec<ModId>,
    ) -> Option<Def> {
        if !self.bound.contains(&(name, ns as u32)) {
            return None;
        }
        let mut found: Option<Def> = None;
        for &(src, vis) in self.globs.get(m as usize).into_iter().flatten() {
            if visited.contains(&src) || visited.len() > 64 {
                continue;
            }
            // A glob import inside `m` that `viewer` cannot see brings it nothing.
            if m != viewer && !self.vis_ok(vis, m, viewer) {
                continue;
            }
            visited.push(src);
            let def = match self.binding(src, name, ns) {
                Some(b) if self.vis_ok(b.vis, src, m) && b.def != Stored::Unknown => {
                    Some(self.def(b.def))
                }
                Some(_) => None,
                None => self.glob_lookup(src, name, ns, viewer, visited),
            };
            match (&found, def) {
                (_, None) => {}
                (None, Some(d)) => found = Some(d),
                (Some(prev), Some(d)) if *prev == d => {}
                (Some(_), Some(_)) => found = Some(Def::Ambiguous),
            }
        }
        found
    }

    /// Whether module `m` has glob imports of local modules.
    fn has_globs(&self, m: ModId) -> bool {
        self.globs.get(m as usize).is_some_and(|g| !g.is_empty())
    }

    /// Whether something of visibility `vis` in module `owner` can be seen from `from`.
    fn vis_ok(&self, vis: Vis, owner: ModId, from: ModId) -> bool {
        match vis {
            Vis::Public => true,
            Vis::Crate => self.krate(owner) == self.krate(from),
            Vis::Private => self.within(from, owner),
        }
    }

    /// The nearest enclosing module that is not a block (itself if it is one).
    pub fn normal(&self, mut m: ModId) -> ModId {
        while let Some(md) = self.modules.get(m as usize) {
            match md.parent {
                Some(p) if md.is_block => m = p,
                _ => break,
            }
        }
        m
    }

    /// Whether `inner` is `outer` or inside it.
    fn within(&self, mut inner: ModId, outer: ModId) -> bool {
        loop {
            if inner == outer {
                return true;
            }
            match self.modules.get(inner as usize).and_then(|m| m.parent) {
                Some(p) => inner = p,
                None => return false,
            }
        }
    }

    fn krate(&self, m: ModId) -> Option<u32> {
        self.modules.get(m as usize).map(|m| m.krate)
    }

    /// Looks `name` up in the scope chain of `m` (its blocks, then its module) in `ns`,
    /// skipping the binding that import `skip` wrote. `None`: not bound there.
    fn lexical(&self, mut m: ModId, name: u64, ns: Ns, skip: Option<u32>) -> Option<Def> {
        let viewer = m;
        loop {
            match self.binding(m, name, ns) {
                Some(b) if skip.is_none() || b.origin != Origin::Import(skip.unwrap_or(NONE)) => {
                    return Some(self.def(b.def));
                }
                Some(_) => {}
                None if !self.has_globs(m) => {}
                None => {
                    let mut visited = vec![m];
                    if let Some(d) = self.glob_lookup(m, name, ns, viewer, &mut visited) {
                        return Some(d);
                    }
                }
            }
            let md = self.modules.get(m as usize)?;
            match md.parent {
                Some(p) if md.is_block => m = p,
                _ => return None,
            }
        }
    }

    /// Whether module `m` (or a module it globs, transitively) has a glob of unknown source.
    fn open_module(&self, m: ModId, visited: &mut Vec<ModId>) -> bool {
        if self.open_globs.get(m as usize).copied().unwrap_or(true) {
            return true;
        }
        for &(src, _) in self.globs.get(m as usize).into_iter().flatten() {
            if !visited.contains(&src) && visited.len() <= 64 {
                visited.push(src);
                if self.open_module(src, visited) {
                    return true;
                }
            }
        }
        false
    }

    /// Whether names unbound in `m` (or its enclosing blocks) may come from an unknown glob.
    fn open(&self, mut m: ModId) -> bool {
        loop {
            let direct = self.open_globs.get(m as usize).copied().unwrap_or(true);
            if direct || (self.has_globs(m) && self.open_module(m, &mut vec![m])) {
                return true;
            }
            let Some(md) = self.modules.get(m as usize) else {
                return true;
            };
            match md.parent {
                Some(p) if md.is_block => m = p,
                _ => return false,
            }
        }
    }

    /// The sources of the external globs of `m` and its enclosing blocks.
    fn ext_glob_sources(&self, m: ModId) -> impl Iterator<Item = &Arc<[Name]>> + '_ {
        let chain = std::iter::successors(Some(m), move |&cur| {
            let md = self.modules.get(cur as usize)?;
            md.parent.filter(|_| md.is_block)
        });
        chain.flat_map(move |g| self.ext_globs.get(&g).into_iter().flatten())
    }

    /// Resolves the first segment of a path written in module `m`.
    fn first(&self, m: ModId, seg: &str, leading_colon: bool, ns: Ns, skip: Option<u32>) -> Def {
        let Some(md) = self.modules.get(m as usize) else {
            return Def::Unknown;
        };
        let krate = &self.crates[md.krate as usize];
        let edition2015 = krate.edition == Edition::E2015;
        match seg {
            "crate" => {
                return if krate.kind == CrateKind::Orphan {
                    Def::Unknown
                } else {
                    Def::Module(krate.root)
                };
            }
            "self" => return Def::Module(self.normal(m)),
            "super" => {
                let n = self.normal(m);
                return match self.modules[n as usize].parent {
                    Some(p) => Def::Module(self.normal(p)),
                    None => Def::Unknown,
                };
            }
            "Self" => return Def::Unknown,
            _ => {}
        }
        let k = key(seg);
        if leading_colon {
            if edition2015 {
                return self.member(krate.root, k, ns, m);
            }
            return krate.extern_prelude.get(seg).cloned().unwrap_or_else(|| {
                if krate.target.is_some() {
                    Def::Unknown
                } else {
                    Def::External(Arc::from([Name::from(seg)]))
                }
            });
        }
        if let Some(d) = self.lexical(m, k, ns, skip) {
            return d;
        }
        // A glob that shadowed an extern crate would be an ambiguity error: the prelude first.
        if ns == Ns::Types
            && let Some(d) = krate.extern_prelude.get(seg)
        {
            return d.clone();
        }
        if self.open(m) {
            return Def::Unknown;
        }
        // Only an external glob may bring it: one such glob names it (the caller checks that
        // the name exists there, against a catalog); several make it unknown.
        let mut sources = self.ext_glob_sources(m);
        if let Some(src) = sources.next() {
            if sources.next().is_some() {
                return Def::Unknown;
            }
            let mut v = src.to_vec();
            v.push(Name::from(seg));
            return Def::External(v.into());
        }
        if edition2015
            && ns == Ns::Types
            && let Some(d) = self.lookup(krate.root, k, ns, m)
        {
            return d;
        }
        match krate.kind {
            // A loose file's extern crates are not declared anywhere: a lowercase name that is
            // not local is taken for one.
            CrateKind::LooseRoot | CrateKind::Orphan
                if ns == Ns::Types && seg.starts_with(|c: char| c.is_ascii_lowercase()) =>
            {
                Def::External(Arc::from([Name::from(seg)]))
            }
            _ => Def::Unknown,
        }
    }

    /// A member `name` of module `of`, as seen from `from`.
    fn member(&self, of: ModId, name: u64, ns: Ns, from: ModId) -> Def {
        if self
            .modules
            .get(of as usize)
            .is_some_and(|m| m.file.is_none())
        {
            return Def::Unknown;
        }
        // Visibility of the module's own items would only reject: code that compiles names
        // what it can see.
        self.lookup(of, name, ns, from).unwrap_or(Def::Unknown)
    }

    /// Resolves `path` written in module `m` to what it names in `ns` (the last segment's
    /// namespace; the others are looked up as types). Type-relative paths (`Type::f`) stop at
    /// the type: see [`DefMap::resolve_prefix`].
    pub fn resolve(&self, m: ModId, path: &PathFact, ns: Ns) -> Def {
        self.resolve_segments(m, path.leading_colon, &path.segments, ns, None)
    }

    /// Resolves all but the last segment of `path` (as a type or module).
    pub fn resolve_prefix(&self, m: ModId, path: &PathFact) -> Def {
        match path.segments.split_last() {
            Some((_, prefix)) if !prefix.is_empty() => {
                self.resolve_segments(m, path.leading_colon, prefix, Ns::Types, None)
            }
            _ => Def::Unknown,
        }
    }

    fn resolve_segments(
        &self,
        m: ModId,
        leading_colon: bool,
        segs: &[Name],
        ns: Ns,
        skip: Option<u32>,
    ) -> Def {
        let Some((first, rest)) = segs.split_first() else {
            return Def::Unknown;
        };
        let first_ns = if rest.is_empty() { ns } else { Ns::Types };
        let mut cur = self.first(m, first, leading_colon, first_ns, skip);
        for (i, seg) in rest.iter().enumerate() {
            let seg_ns = if i + 1 == rest.len() { ns } else { Ns::Types };
            cur = match cur {
                // `super::super::x`.
                Def::Module(of) if &**seg == "super" => {
                    let n = self.normal(of);
                    match self.modules.get(n as usize).and_then(|md| md.parent) {
                        Some(p) => Def::Module(self.normal(p)),
                        None => Def::Unknown,
                    }
                }
                Def::Module(of) => self.member(of, key(seg), seg_ns, m),
                Def::External(p) => {
                    let mut v = p.to_vec();
                    v.push(seg.clone());
                    Def::External(v.into())
                }
                Def::Ambiguous => Def::Ambiguous,
                // A segment after a type or value (`Type::f`, `Enum::Variant`): type-relative.
                _ => Def::Unknown,
            };
        }
        cur
    }
}

/// Builds a [`DefMap`].
struct Builder<'f, 'a> {
    map: DefMap,
    files: &'f [FileInput<'a>],
    by_path: HashMap<PathBuf, u32, xxhash_rust::xxh3::Xxh3DefaultBuilder>,
    /// Directory where each module's `mod x;` children are looked for.
    dirs: Vec<PathBuf>,
    imports: Vec<Import>,
}

impl Builder<'_, '_> {
    /// One crate per target whose root file is linted, then loose roots, then orphans.
    fn crates(&mut self, project: &Project) {
        let mut lib_roots: HashMap<usize, ModId> = HashMap::new();
        let mut pending: Vec<(u32, usize)> = Vec::new();
        let mut rooted: Vec<(usize, u32)> = self
            .by_path
            .iter()
            .flat_map(|(path, &file)| {
                project
                    .targets_rooted_at(path)
                    .iter()
                    .map(move |&ti| (ti, file))
            })
            .collect();
        rooted.sort_unstable();
        for (ti, file) in rooted {
            let t = &project.targets[ti];
            let k = self.new_crate(CrateKind::Target(t.kind), Some(ti), t.edition);
            let support = project
                .packages
                .get(t.package)
                .is_some_and(|p| is_test_support_name(&p.name));
            let root = self.add_file(k, file, None, true, TestCfg::No, support);
            self.map.crates[k as usize].root = root;
            if t.kind == TargetKind::Lib {
                lib_roots.insert(ti, root);
            }
            pending.push((k, ti));
        }
        for (k, ti) in pending {
            let mut prelude: HashMap<Name, Def, xxhash_rust::xxh3::Xxh3DefaultBuilder> =
                HashMap::default();
            for (name, ext) in project.extern_prelude(ti) {
                let def = match ext {
                    ExternCrate::Local(lib) => match lib_roots.get(&lib) {
                        Some(&root) => Def::Module(root),
                        None => Def::Unknown,
                    },
                    ExternCrate::External(n) => Def::External(Arc::from([Name::from(n)])),
                };
                prelude.insert(Name::from(name), def);
            }
            self.map.crates[k as usize].extern_prelude = prelude;
        }
        // Loose crate roots: `lib.rs`/`main.rs` that no target reached (a folder without a
        // manifest), shallowest first.
        let mut loose: Vec<u32> = (0..self.files.len() as u32)
            .filter(|&f| self.map.memberships[f as usize].is_empty())
            .filter(|&f| {
                let p = self.files[f as usize].path;
                p.file_name()
                    .is_some_and(|n| n == "lib.rs" || n == "main.rs")
            })
            .collect();
        loose.sort_by_key(|&f| self.files[f as usize].path.components().count());
        for f in loose {
            if !self.map.memberships[f as usize].is_empty() {
                continue;
            }
            let edition = project
                .package_of(self.files[f as usize].path)
                .map_or(Edition::E2021, |p| project.packages[p].edition);
            let k = self.new_crate(CrateKind::LooseRoot, None, edition);
            let root = self.add_file(k, f, None, true, TestCfg::No, false);
            self.map.crates[k as usize].root = root;
        }
        for f in 0..self.files.len() as u32 {
            if self.map.memberships[f as usize].is_empty() {
                let k = self.new_crate(CrateKind::Orphan, None, Edition::E2021);
                let root = self.add_file(k, f, None, false, TestCfg::No, false);
                self.map.crates[k as usize].root = root;
            }
        }
    }

    fn new_crate(&mut self, kind: CrateKind, target: Option<usize>, edition: Edition) -> u32 {
        self.map.crates.push(Crate {
            kind,
            target,
            root: 0,
            edition,
            extern_prelude: HashMap::default(),
        });
        (self.map.crates.len() - 1) as u32
    }

    fn push_module(&mut self, m: Module, dir: PathBuf) -> ModId {
        self.map.modules.push(m);
        self.dirs.push(dir);
        self.map.globs.push(Vec::new());
        self.map.open_globs.push(false);
        (self.map.modules.len() - 1) as ModId
    }

    /// Adds file `f` to crate `k` as a module under `parent` (its children follow, depth
    /// first); returns the module of its root scope. `mod_rs`: its `mod x;` children live in its
    /// own directory (a crate root, `mod.rs`, a `#[path]` file).
    fn add_file(
        &mut self,
        k: u32,
        f: u32,
        parent: Option<ModId>,
        mod_rs: bool,
        cfg_test: TestCfg,
        test_support: bool,
    ) -> ModId {
        let file = self.files[f as usize];
        let summary = file.items;
        let base = self.map.modules.len() as ModId;
        self.map.memberships[f as usize].push((k, base));
        let file_dir = file.path.parent().unwrap_or(Path::new("")).to_path_buf();
        let own_dir = if mod_rs || file.path.file_name().is_some_and(|n| n == "mod.rs") {
            file_dir.clone()
        } else {
            match file.path.file_stem() {
                Some(stem) => file_dir.join(stem),
                None => file_dir.clone(),
            }
        };
        let file_cfg = cfg_test.and(summary.cfg_test);
        for (s, scope) in summary.scopes.iter().enumerate() {
            let (parent, dir, cfg, is_block, support) = if s == 0 {
                (parent, own_dir.clone(), file_cfg, false, test_support)
            } else {
                let p = base + scope.parent;
                let pdir = self.dirs.get(p as usize).cloned().unwrap_or_default();
                let pm = &self.map.modules[p as usize];
                let (pcfg, psupport) = (pm.cfg_test, pm.test_support);
                match &scope.kind {
                    ScopeKind::Module { name, path_attr } => (
                        Some(p),
                        pdir.join(path_attr.as_deref().unwrap_or(name)),
                        pcfg.and(scope.cfg_test),
                        false,
                        psupport || is_test_support_name(name),
                    ),
                    _ => (Some(p), pdir, pcfg, true, psupport),
                }
            };
            self.push_module(
                Module {
                    krate: k,
                    file: Some((f, s as u32)),
                    parent,
                    is_block,
                    cfg_test: cfg,
                    test_support: support,
                },
                dir,
            );
        }
        // `mod x;` children.
        for item in &summary.items {
            let ItemKind::Mod {
                inline: NONE,
                path_attr,
            } = &item.kind
            else {
                continue;
            };
            let at = base + item.scope;
            let candidates: Vec<PathBuf> = match path_attr {
                // At the file's top level a `#[path]` is relative to the file's directory;
                // inside inline modules, to theirs.
                Some(p) if item.scope == 0 => vec![file_dir.join(p)],
                Some(p) => vec![self.dirs[at as usize].join(p)],
                None => {
                    let d = &self.dirs[at as usize];
                    vec![
                        d.join(format!("{}.rs", item.name)),
                        d.join(&*item.name).join("mod.rs"),
                    ]
                }
            };
            let cfg = self.map.modules[at as usize].cfg_test.and(item.cfg_test);
            let support =
                self.map.modules[at as usize].test_support || is_test_support_name(&item.name);
            let child_file = candidates
                .iter()
                .find_map(|c| self.by_path.get(&crate::semantic::project::normalize(c)))
                .copied();
            // A file is a crate's module once; a loose or orphan crate never takes a file that a
            // cargo target (or an earlier loose crate) already has.
            let loose = !matches!(self.map.crates[k as usize].kind, CrateKind::Target(_));
            let already = child_file.is_some_and(|cf| {
                let members = &self.map.memberships[cf as usize];
                members.iter().any(|&(ck, _)| ck == k) || (loose && !members.is_empty())
            });
            match child_file {
                Some(cf) if !already => {
                    let child = self.add_file(k, cf, Some(at), path_attr.is_some(), cfg, support);
                    self.bind_decl(at, &item.name, Ns::Types, Def::Module(child), item.vis);
                }
                _ => {
                    // Not linted (or reached twice): a module whose contents are unknown.
                    let opaque = self.push_module(
                        Module {
                            krate: k,
                            file: None,
                            parent: Some(at),
                            is_block: false,
                            cfg_test: cfg,
                            test_support: support,
                        },
                        PathBuf::new(),
                    );
                    self.bind_decl(at, &item.name, Ns::Types, Def::Module(opaque), item.vis);
                }
            }
        }
        base
    }

    /// Writes a declaration's binding (a second declaration of the name makes it ambiguous).
    fn bind_decl(&mut self, m: ModId, name: &str, ns: Ns, def: Def, vis: Vis) {
        self.set(m, key(name), ns, def, vis, Origin::Decl);
    }

    /// Writes a binding; returns whether the scope changed.
    fn set(&mut self, m: ModId, name: u64, ns: Ns, def: Def, vis: Vis, origin: Origin) -> bool {
        use std::collections::hash_map::Entry;
        let def = match def {
            Def::Module(m) => Stored::Module(m),
            Def::Fn(f, i) => Stored::Fn(f, i),
            Def::Item(f, i) => Stored::Item(f, i),
            Def::External(p) => {
                let next = self.map.ext.len() as u32;
                let id = *self.map.ext_ids.entry(Arc::clone(&p)).or_insert(next);
                if id == next {
                    self.map.ext.push(p);
                }
                Stored::Ext(id)
            }
            Def::Ambiguous => Stored::Ambiguous,
            Def::Unknown => Stored::Unknown,
        };
        self.map.bound.insert((name, ns as u32));
        if ns == Ns::Types && matches!(def, Stored::Ext(_)) {
            self.map.bound.insert((name, Ns::Values as u32));
            self.map.bound.insert((name, Ns::Macros as u32));
        }
        match self.map.scope.entry((name, m << 2 | ns as u32)) {
            Entry::Vacant(v) => {
                v.insert(Binding { def, vis, origin });
                true
            }
            Entry::Occupied(mut o) => {
                let b = o.get_mut();
                if b.def == def || b.def == Stored::Ambiguous {
                    // A re-export may widen what is visible.
                    if vis == Vis::Public && b.vis != Vis::Public && b.origin == origin {
                        b.vis = vis;
                        return true;
                    }
                    return false;
                }
                match (b.origin, origin) {
                    // The same import found something else (its prefix changed): take it.
                    (Origin::Import(a), Origin::Import(c)) if a == c => {
                        b.def = def;
                        true
                    }
                    _ => {
                        b.def = Stored::Ambiguous;
                        true
                    }
                }
            }
        }
    }

    /// Declarations of every module, and the imports to resolve.
    fn declare(&mut self) {
        for (f, file) in self.files.iter().enumerate() {
            let members = self.map.memberships[f].clone();
            for (k, base) in members {
                let exported_root = self.map.crates[k as usize].root;
                for (i, item) in file.items.items.iter().enumerate() {
                    let m = base + item.scope;
                    let def = Def::Item(f as u32, i as u32);
                    match &item.kind {
                        ItemKind::Adt { ctor } => {
                            self.bind_decl(m, &item.name, Ns::Types, def.clone(), item.vis);
                            if *ctor {
                                self.bind_decl(m, &item.name, Ns::Values, def, item.vis);
                            }
                        }
                        ItemKind::Alias(_) | ItemKind::Trait => {
                            self.bind_decl(m, &item.name, Ns::Types, def, item.vis)
                        }
                        ItemKind::Value => self.bind_decl(m, &item.name, Ns::Values, def, item.vis),
                        ItemKind::Mod { inline, .. } if *inline != NONE => {
                            let child = base + inline;
                            self.bind_decl(m, &item.name, Ns::Types, Def::Module(child), item.vis)
                        }
                        ItemKind::Mod { .. } => {} // bound when the tree was built
                        ItemKind::Macro { exported } => {
                            self.bind_decl(m, &item.name, Ns::Macros, def.clone(), Vis::Crate);
                            if *exported && m != exported_root {
                                self.bind_decl(
                                    exported_root,
                                    &item.name,
                                    Ns::Macros,
                                    def,
                                    Vis::Public,
                                );
                            }
                        }
                        ItemKind::ExternCrate(krate) => {
                            let d = match &**krate {
                                "self" => Def::Module(exported_root),
                                other => self.map.crates[k as usize]
                                    .extern_prelude
                                    .get(other)
                                    .cloned()
                                    .unwrap_or_else(|| {
                                        Def::External(Arc::from([Name::from(other)]))
                                    }),
                            };
                            self.map.crates[k as usize]
                                .extern_prelude
                                .entry(item.name.clone())
                                .or_insert_with(|| d.clone());
                            self.bind_decl(m, &item.name, Ns::Types, d, item.vis);
                        }
                    }
                }
                for (i, f_fact) in file.fns.iter().enumerate() {
                    if f_fact.owner == Owner::Free {
                        let m = base + f_fact.scope;
                        self.bind_decl(
                            m,
                            &f_fact.name,
                            Ns::Values,
                            Def::Fn(f as u32, i as u32),
                            f_fact.vis,
                        );
                    }
                }
                for (i, u) in file.items.uses.iter().enumerate() {
                    self.imports.push(Import {
                        module: base + u.scope,
                        file: f as u32,
                        index: i as u32,
                    });
                }
            }
        }
    }

    /// Resolves imports and globs until nothing changes.
    ///
    /// An import is tried again only when some binding changed since its last try: resolving
    /// reads nothing but the bindings, and trying twice in the same state changes nothing (the
    /// imports that never resolve, such as names a derive macro makes, were re-tried every
    /// round, most of the crate-wide time on an entity crate with a prelude of globs).
    fn fixed_point(&mut self) {
        let imports = std::mem::take(&mut self.imports);
        let mut done = vec![false; imports.len()];
        // Bumped at every change; `tried[id]` is its value after import `id`'s last try.
        let mut clock: u64 = 0;
        let mut tried = vec![u64::MAX; imports.len()];
        for _ in 0..MAX_ROUNDS {
            let mut changed = false;
            for (id, imp) in imports.iter().enumerate() {
                if done[id] || tried[id] == clock {
                    continue;
                }
                let (c, finished) = self.resolve_import(id as u32, imp);
                clock += u64::from(c);
                tried[id] = clock;
                changed |= c;
                done[id] = finished;
            }
            if !changed {
                break;
            }
        }
    }

    /// One round of one import; returns (changed, nothing more can change).
    fn resolve_import(&mut self, id: u32, imp: &Import) -> (bool, bool) {
        let u = &self.files[imp.file as usize].items.uses[imp.index as usize];
        let m = imp.module;
        match &u.kind {
            UseKind::Glob => {
                let target =
                    self.map
                        .resolve_segments(m, u.leading_colon, &u.path, Ns::Types, Some(id));
                match target {
                    Def::Module(src) => {
                        let globs = &mut self.map.globs[m as usize];
                        if !globs.iter().any(|g| g.0 == src) {
                            globs.push((src, u.vis));
                            return (true, true);
                        }
                        (false, true)
                    }
                    Def::Unknown => {
                        // Perhaps known in a later round; meanwhile, names may come from it.
                        let was = self.map.open_globs[m as usize];
                        self.map.open_globs[m as usize] = true;
                        (!was, false)
                    }
                    Def::External(src) => {
                        let globs = self.map.ext_globs.entry(m).or_default();
                        if !globs.contains(&src) {
                            globs.push(src);
                            return (true, true);
                        }
                        (false, true)
                    }
                    _ => {
                        let was = self.map.open_globs[m as usize];
                        self.map.open_globs[m as usize] = true;
                        (!was, true)
                    }
                }
            }
            UseKind::Named(alias) => {
                let alias = key(alias);
                let (prefix, last) = match u.path.split_last() {
                    Some((l, p)) => (p, l),
                    None => return (false, true),
                };
                let container = if prefix.is_empty() {
                    None
                } else {
                    Some(
                        self.map
                            .resolve_segments(m, u.leading_colon, prefix, Ns::Types, Some(id)),
                    )
                };
                let mut changed = false;
                let mut finished = true;
                for ns in ALL_NS {
                    let def = match &container {
                        None => match self.map.first(m, last, u.leading_colon, ns, Some(id)) {
                            Def::Unknown if ns != Ns::Types => continue,
                            d => d,
                        },
                        Some(Def::Module(of)) => match self.map.lookup(*of, key(last), ns, m) {
                            Some(d) => d,
                            None => {
                                finished = false;
                                continue;
                            }
                        },
                        Some(Def::External(p)) => {
                            // Bound once, in the types namespace: it answers for all three.
                            if ns != Ns::Types {
                                continue;
                            }
                            let mut v = p.to_vec();
                            v.push(last.clone());
                            Def::External(v.into())
                        }
                        Some(Def::Ambiguous) => Def::Ambiguous,
                        // `use Enum::Variant`, `use Type::CONST`, or an unknown prefix.
                        Some(Def::Unknown) => {
                            finished = false;
                            if ns == Ns::Types {
                                Def::Unknown
                            } else {
                                continue;
                            }
                        }
                        Some(_) => continue,
                    };
                    if def == Def::Unknown && self.map.binding(m, alias, ns).is_some() {
                        continue;
                    }
                    changed |= self.set(m, alias, ns, def, u.vis, Origin::Import(id));
                }
                (changed, finished)
            }
        }
    }
}
