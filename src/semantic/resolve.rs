//! The facade rules and the call graph ask (layer L4): what fn a call calls, and whether a fn
//! is test code. Built once per run from every file's facts ([`Semantics::build`]).
//!
//! Calls are tied to fns only by resolution: path calls through the [`DefMap`];
//! `Type::f(..)` through the inherent impls of the resolved type, then its impls of
//! non-generic traits (`Default`), then those traits' provided methods; `self.m(..)` the same
//! way from the enclosing impl's type. A trait-dispatched call whose impl depends on argument
//! types (`LogEvent::from(x)`), a method on a receiver of unknown type, a name bound twice (cfg
//! alternatives) or a name that may come from an unknown glob all answer [`Callee::Unknown`] or
//! [`Callee::Ambiguous`]: no finding.

use rustc_hash::FxHashMap;
use std::sync::Arc;

use crate::semantic::cfg::TestCfg;
use crate::semantic::defmap::{CrateKind, Def, DefMap, FileInput, ModId, Ns};
use crate::semantic::items::{ItemKind, NONE, Name, Owner, PathFact};
use crate::semantic::project::{Project, TargetKind};

/// What a call calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// A fn of the linted files: (file, index in its fns).
    Fn(u32, u32),
    /// A fn of another crate or std, by canonical path.
    External(Arc<[Name]>),
    /// Not known.
    Unknown,
    /// Several candidates (cfg alternatives, a file in several crates that disagree).
    Ambiguous,
}

/// Where a fn sits with respect to tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCtx {
    /// Every crate containing the file is a test or bench target.
    pub test_target: bool,
    /// What the cfgs of the fn and its enclosing modules say.
    pub cfg_test: TestCfg,
    /// The fn carries a test attribute (`#[test]`, `#[tokio::test]`, ..).
    pub test_fn: bool,
}

impl TestCtx {
    /// Whether the fn is test code for certain.
    pub fn is_test(&self) -> bool {
        self.test_target || self.test_fn || self.cfg_test == TestCfg::Only
    }
}

/// A type or trait item: (file, index in its items).
pub type ItemRef = (u32, u32);
/// An impl block: (file, index in its impls).
type ImplRef = (u32, u32);

/// The semantic model of a run: crates, module trees, scopes and impl indexes.
#[derive(Debug, Default)]
pub struct Semantics {
    /// Crates, modules and scopes.
    pub defmap: DefMap,
    /// What each impl's self type resolves to.
    impl_self: FxHashMap<ImplRef, ItemRef>,
    /// What each trait impl's trait resolves to (local traits only).
    impl_trait: FxHashMap<ImplRef, ItemRef>,
    /// Inherent impls of each local type.
    inherent: FxHashMap<ItemRef, Vec<ImplRef>>,
    /// Trait impls of each local type (non-generic traits only).
    trait_impls: FxHashMap<ItemRef, Vec<ImplRef>>,
    /// Impls of each local trait.
    impls_of_trait: FxHashMap<ItemRef, Vec<ImplRef>>,
    /// The fns of each impl.
    impl_fns: FxHashMap<ImplRef, Vec<u32>>,
    /// The fns of each trait.
    trait_fns: FxHashMap<ItemRef, Vec<u32>>,
    /// The impl of std's `Deref` of each local type that has exactly one.
    derefs: FxHashMap<ItemRef, Option<ImplRef>>,
    /// Answers remembered for the run.
    pub(super) memo: Memos,
}

/// The tables of [`Semantics::memo`].
#[derive(Debug, Default)]
pub(super) struct Memos {
    /// The type of each symbolic type, by (file, sym).
    pub syms: crate::semantic::memo::Table<(u32, u32), crate::semantic::types::Ty>,
    /// The return type of each fn, by (file, fn).
    pub fns: crate::semantic::memo::Table<(u32, u32), crate::semantic::types::Ty>,
    /// The declared type of each static, const and non-generic alias, by (file, item).
    pub items: crate::semantic::memo::Table<(u32, u32), crate::semantic::types::Ty>,
    /// What each type path names, by (file, item scope, path).
    pub type_paths: crate::semantic::memo::Table<(u32, u32, u32), crate::semantic::types::Named>,
}

impl Semantics {
    /// Builds the model of `files` under `project`.
    pub fn build(project: &Project, files: &[FileInput<'_>]) -> Semantics {
        let defmap = DefMap::build(project, files);
        let mut s = Semantics {
            defmap,
            ..Semantics::default()
        };
        for (f, file) in files.iter().enumerate() {
            let f = f as u32;
            for (i, fact) in file.fns.iter().enumerate() {
                match fact.owner {
                    Owner::Impl(imp) => s.impl_fns.entry((f, imp)).or_default().push(i as u32),
                    Owner::Trait(t) => s.trait_fns.entry((f, t)).or_default().push(i as u32),
                    Owner::Free => {}
                }
            }
            for (i, imp) in file.items.impls.iter().enumerate() {
                let id = (f, i as u32);
                let Some(m) = s.defmap.modules_of(f, imp.scope).next() else {
                    continue;
                };
                let Some(ty) = (imp.self_ty != NONE)
                    .then(|| s.type_item(files, m, &file.items.paths[imp.self_ty as usize]))
                    .flatten()
                else {
                    continue;
                };
                s.impl_self.insert(id, ty);
                if imp.trait_path == NONE {
                    s.inherent.entry(ty).or_default().push(id);
                    continue;
                }
                let trait_path = &file.items.paths[imp.trait_path as usize];
                if imp.deref_target != NONE
                    && let Def::External(p) = s.defmap.resolve(m, trait_path, Ns::Types)
                    && matches!(p.first().map(|n| &**n), Some("std" | "core" | "alloc"))
                    && p.len() == 3
                    && &*p[1] == "ops"
                    && &*p[2] == "Deref"
                {
                    s.derefs
                        .entry(ty)
                        .and_modify(|d| *d = None)
                        .or_insert(Some(id));
                }
                let tr = s.resolve_item(m, trait_path);
                if let Some(tr) = tr {
                    s.impl_trait.insert(id, tr);
                    s.impls_of_trait.entry(tr).or_default().push(id);
                }
                if !imp.trait_generic {
                    s.trait_impls.entry(ty).or_default().push(id);
                }
            }
        }
        s
    }

    /// A path in the types namespace that names a local item.
    fn resolve_item(&self, m: ModId, path: &PathFact) -> Option<ItemRef> {
        match self.defmap.resolve(m, path, Ns::Types) {
            Def::Item(f, i) => Some((f, i)),
            _ => None,
        }
    }

    /// A path that names a local struct, enum or union, through aliases.
    fn type_item(&self, files: &[FileInput<'_>], m: ModId, path: &PathFact) -> Option<ItemRef> {
        self.follow_alias(files, self.resolve_item(m, path)?)
    }

    /// What the call of `path`, written in scope `scope` of file `file` inside fn `caller`,
    /// calls. A file in several crates must resolve the same way in each.
    pub fn resolve_call(
        &self,
        files: &[FileInput<'_>],
        file: u32,
        scope: u32,
        path: &PathFact,
        caller: Option<u32>,
    ) -> Callee {
        let callee = agree(
            self.defmap
                .modules_of(file, scope)
                .map(|m| self.resolve_call_in(files, m, file, path, caller)),
        );
        // A test fn is never the callee of code that is not a test.
        if let Callee::Fn(f, i) = callee
            && self.is_test(files, f, i)
            && !caller.is_some_and(|c| self.is_test(files, file, c))
        {
            return Callee::Unknown;
        }
        callee
    }

    fn resolve_call_in(
        &self,
        files: &[FileInput<'_>],
        m: ModId,
        file: u32,
        path: &PathFact,
        caller: Option<u32>,
    ) -> Callee {
        let segs = &path.segments;
        let Some(last) = segs.last() else {
            return Callee::Unknown;
        };
        if segs.len() == 2 && &*segs[0] == "Self" && !path.leading_colon {
            let Some(Owner::Impl(imp)) = caller
                .and_then(|c| files.get(file as usize)?.fns.get(c as usize))
                .map(|f| f.owner)
            else {
                return Callee::Unknown;
            };
            return match self.impl_self.get(&(file, imp)) {
                Some(&ty) => self.assoc_fn(files, ty, &|n: &str| n == &**last, false),
                None => Callee::Unknown,
            };
        }
        if segs.len() >= 2 {
            match self.defmap.resolve_prefix(m, path) {
                Def::Item(f, i) => {
                    return match item_kind(files, f, i) {
                        Some(ItemKind::Adt { .. } | ItemKind::Alias(_)) => {
                            match self.follow_alias(files, (f, i)) {
                                Some(ty) => {
                                    self.assoc_fn(files, ty, &|n: &str| n == &**last, false)
                                }
                                None => Callee::Unknown,
                            }
                        }
                        // `Trait::f(x)`: dispatched on a type this layer does not know.
                        _ => Callee::Unknown,
                    };
                }
                Def::Ambiguous => return Callee::Ambiguous,
                Def::Module(_) | Def::External(_) => {}
                _ => return Callee::Unknown,
            }
        }
        match self.defmap.resolve(m, path, Ns::Values) {
            Def::Fn(f, i) => Callee::Fn(f, i),
            Def::External(p) => Callee::External(p),
            Def::Ambiguous => Callee::Ambiguous,
            _ => Callee::Unknown,
        }
    }

    fn follow_alias(&self, files: &[FileInput<'_>], mut item: ItemRef) -> Option<ItemRef> {
        for _ in 0..4 {
            let (f, i) = item;
            let fact = files.get(f as usize)?.items.items.get(i as usize)?;
            match fact.kind {
                ItemKind::Adt { .. } => return Some(item),
                ItemKind::Alias(target) if target != NONE => {
                    let at = self.defmap.modules_of(f, fact.scope).next()?;
                    let p = files[f as usize].items.paths.get(target as usize)?;
                    item = self.resolve_item(at, p)?;
                }
                _ => return None,
            }
        }
        None
    }

    /// The impl of std's `Deref` of local type `ty`, when it has exactly one.
    pub fn deref_impl(&self, ty: ItemRef) -> Option<ImplRef> {
        self.derefs.get(&ty).copied().flatten()
    }

    /// The local type impl `imp` of file `file` is for.
    pub fn impl_self_item(&self, file: u32, imp: u32) -> Option<ItemRef> {
        self.impl_self.get(&(file, imp)).copied()
    }

    /// The method `name` of local type `ty` (inherent, then trait impls, then provided).
    pub fn method_of(
        &self,
        files: &[FileInput<'_>],
        ty: ItemRef,
        name: &dyn Fn(&str) -> bool,
    ) -> Callee {
        // A receiver typed by a local trait (`&dyn Trait`, `impl Trait`, a generic bounded
        // by it): the trait's declaration of the method.
        if matches!(item_kind(files, ty.0, ty.1), Some(ItemKind::Trait)) {
            return self.trait_method(files, ty, name, true);
        }
        let mut ty = ty;
        // Autoderef: a method the type does not have is looked up on its `Deref::Target`.
        for _ in 0..4 {
            match self.assoc_fn(files, ty, name, true) {
                Callee::Unknown => {}
                c => return c,
            }
            match self.deref_target(files, ty) {
                crate::semantic::types::Ty::Local(next, _) if next != ty => ty = next,
                _ => return Callee::Unknown,
            }
        }
        Callee::Unknown
    }

    /// The fn `name` of local type `ty`: inherent impls first, then impls of non-generic
    /// traits, then those traits' provided methods. `method`: only fns taking `self`.
    fn assoc_fn(
        &self,
        files: &[FileInput<'_>],
        ty: ItemRef,
        name: &dyn Fn(&str) -> bool,
        method: bool,
    ) -> Callee {
        let fact = |f: u32, i: u32| files.get(f as usize).and_then(|x| x.fns.get(i as usize));
        let pick = |cands: Vec<(u32, u32)>| (!cands.is_empty()).then(|| only(&cands));
        let in_impls = |impls: Option<&Vec<ImplRef>>| -> Vec<(u32, u32)> {
            let mut out = Vec::new();
            for &(f, imp) in impls.into_iter().flatten() {
                for &i in self.impl_fns.get(&(f, imp)).into_iter().flatten() {
                    if let Some(x) = fact(f, i)
                        && name(&x.name)
                        && (!method || x.has_self)
                    {
                        out.push((f, i));
                    }
                }
            }
            out
        };
        if let Some(c) = pick(in_impls(self.inherent.get(&ty))) {
            return c;
        }
        if let Some(c) = pick(in_impls(self.trait_impls.get(&ty))) {
            return c;
        }
        // Provided methods of the local traits the type implements.
        let mut provided = Vec::new();
        for imp in self.trait_impls.get(&ty).into_iter().flatten() {
            let Some(tr) = self.impl_trait.get(imp) else {
                continue;
            };
            for &i in self.trait_fns.get(tr).into_iter().flatten() {
                if let Some(x) = fact(tr.0, i)
                    && name(&x.name)
                    && x.has_body
                    && (!method || x.has_self)
                {
                    provided.push((tr.0, i));
                }
            }
        }
        only(&provided)
    }

    /// What `self.name(..)` calls inside fn `caller` of file `file`. In a trait's provided
    /// method, `signature_only` accepts the trait's declaration (every impl has its signature:
    /// enough to know the call returns a future), else only a body no impl overrides.
    pub fn resolve_self_method(
        &self,
        files: &[FileInput<'_>],
        file: u32,
        caller: u32,
        name: &dyn Fn(&str) -> bool,
        signature_only: bool,
    ) -> Callee {
        let Some(fact) = files
            .get(file as usize)
            .and_then(|x| x.fns.get(caller as usize))
        else {
            return Callee::Unknown;
        };
        match fact.owner {
            Owner::Impl(imp) => match self.impl_self.get(&(file, imp)) {
                Some(&ty) => self.assoc_fn(files, ty, name, true),
                None => Callee::Unknown,
            },
            Owner::Trait(t) => self.trait_method(files, (file, t), name, signature_only),
            Owner::Free => Callee::Unknown,
        }
    }

    /// What `recv.name(..)` calls when the receiver's declared type is `recv_ty` (written in
    /// scope `scope` of file `file`): a local type's method (inherent, then trait impls, then
    /// provided methods), or for `dyn Trait`/`impl Trait` a local trait's method
    /// (`signature_only`: its declaration; else a provided body that no impl overrides).
    pub fn resolve_method(
        &self,
        files: &[FileInput<'_>],
        file: u32,
        scope: u32,
        recv_ty: &PathFact,
        name: &dyn Fn(&str) -> bool,
        signature_only: bool,
    ) -> Callee {
        agree(self.defmap.modules_of(file, scope).map(|m| {
            match self.defmap.resolve(m, recv_ty, Ns::Types) {
                Def::Item(f, i) => match item_kind(files, f, i) {
                    Some(ItemKind::Trait) => self.trait_method(files, (f, i), name, signature_only),
                    Some(_) => match self.follow_alias(files, (f, i)) {
                        Some(ty) => self.assoc_fn(files, ty, name, true),
                        None => Callee::Unknown,
                    },
                    None => Callee::Unknown,
                },
                Def::Ambiguous => Callee::Ambiguous,
                _ => Callee::Unknown,
            }
        }))
    }

    /// What `recv.name(..)` calls when the receiver was built by a constructor call `ctor`
    /// (`let c = Client::new()?;`): the method of the constructor's impl type, when the
    /// constructor resolves and returns that type (`unwrapped`: through `?`/`.unwrap()`, for a
    /// `Result<Self, _>` or `Option<Self>`).
    #[allow(clippy::too_many_arguments)]
    pub fn resolve_method_of_ctor(
        &self,
        files: &[FileInput<'_>],
        file: u32,
        scope: u32,
        ctor: &PathFact,
        unwrapped: bool,
        name: &dyn Fn(&str) -> bool,
    ) -> Callee {
        let Callee::Fn(f, i) = self.resolve_call(files, file, scope, ctor, None) else {
            return Callee::Unknown;
        };
        let Some(fact) = files.get(f as usize).and_then(|x| x.fns.get(i as usize)) else {
            return Callee::Unknown;
        };
        let returns = if unwrapped { 2 } else { 1 };
        match fact.owner {
            Owner::Impl(imp) if fact.returns_self == returns => match self.impl_self.get(&(f, imp))
            {
                Some(&ty) => self.assoc_fn(files, ty, name, true),
                None => Callee::Unknown,
            },
            _ => Callee::Unknown,
        }
    }

    /// Method `name` of local trait `tr` (see [`Semantics::resolve_method`]).
    fn trait_method(
        &self,
        files: &[FileInput<'_>],
        tr: ItemRef,
        name: &dyn Fn(&str) -> bool,
        signature_only: bool,
    ) -> Callee {
        let fns = &files[tr.0 as usize].fns;
        let cands: Vec<u32> = self
            .trait_fns
            .get(&tr)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| {
                fns.get(i as usize)
                    .is_some_and(|x| name(&x.name) && x.has_self)
            })
            .collect();
        let [one] = cands.as_slice() else {
            return if cands.is_empty() {
                Callee::Unknown
            } else {
                Callee::Ambiguous
            };
        };
        if signature_only {
            // Every impl keeps the trait's signature.
            return Callee::Fn(tr.0, *one);
        }
        // A provided method's body runs only where no impl overrides it.
        let overridden = self
            .impls_of_trait
            .get(&tr)
            .into_iter()
            .flatten()
            .any(|imp| {
                self.impl_fns.get(imp).into_iter().flatten().any(|&i| {
                    files[imp.0 as usize]
                        .fns
                        .get(i as usize)
                        .is_some_and(|x| name(&x.name))
                })
            });
        let has_body = fns.get(*one as usize).is_some_and(|x| x.has_body);
        if overridden || !has_body {
            Callee::Unknown
        } else {
            Callee::Fn(tr.0, *one)
        }
    }

    /// Where fn `index` of file `file` sits with respect to tests.
    pub fn test_ctx(&self, files: &[FileInput<'_>], file: u32, index: u32) -> TestCtx {
        let fact = files
            .get(file as usize)
            .and_then(|x| x.fns.get(index as usize));
        let module_cfg = fact
            .and_then(|f| self.defmap.modules_of(file, f.scope).next())
            .and_then(|m| self.defmap.modules.get(m as usize))
            .map_or(TestCfg::No, |m| m.cfg_test);
        let mut crates = self.defmap.crates_of(file).peekable();
        let test_target = crates.peek().is_some()
            && crates.all(|k| {
                matches!(
                    k.kind,
                    CrateKind::Target(TargetKind::Test | TargetKind::Bench)
                )
            });
        TestCtx {
            test_target,
            cfg_test: module_cfg.and(fact.map_or(TestCfg::No, |f| f.cfg_test)),
            test_fn: fact.is_some_and(|f| f.test_attr),
        }
    }

    /// Whether fn `index` of file `file` is in a module (or package) named as test support
    /// (`mod test_utils`, `mod testing`, a `*-test-fakes` package): test helpers that are not
    /// behind `#[cfg(test)]`.
    pub fn in_test_support(&self, files: &[FileInput<'_>], file: u32, index: u32) -> bool {
        let Some(f) = files
            .get(file as usize)
            .and_then(|x| x.fns.get(index as usize))
        else {
            return false;
        };
        self.defmap
            .modules_of(file, f.scope)
            .filter_map(|m| self.defmap.modules.get(m as usize))
            .any(|m| m.test_support)
    }

    /// Whether every crate file `file` belongs to is a binary or an example (its `pub` items
    /// cannot be reached from outside the crate); false for a file of no crate.
    pub fn only_in_bins(&self, file: u32) -> bool {
        let mut crates = self.defmap.crates_of(file).peekable();
        crates.peek().is_some()
            && crates.all(|k| {
                matches!(
                    k.kind,
                    CrateKind::Target(TargetKind::Bin | TargetKind::Example)
                )
            })
    }

    /// Whether fn `index` of file `file` is test code for certain.
    pub fn is_test(&self, files: &[FileInput<'_>], file: u32, index: u32) -> bool {
        self.test_ctx(files, file, index).is_test()
    }
}

/// One answer from the answers of each crate a file is in: they must agree.
/// The kind of item `i` of file `f`.
pub fn item_kind<'f>(files: &'f [FileInput<'_>], f: u32, i: u32) -> Option<&'f ItemKind> {
    files
        .get(f as usize)
        .and_then(|x| x.items.items.get(i as usize))
        .map(|x| &x.kind)
}

fn agree(answers: impl Iterator<Item = Callee>) -> Callee {
    let mut out: Option<Callee> = None;
    for c in answers {
        match &out {
            None => out = Some(c),
            Some(prev) if *prev == c => {}
            Some(_) => return Callee::Ambiguous,
        }
    }
    out.unwrap_or(Callee::Unknown)
}

/// The callee among `cands`: none is unknown, one is it, several are ambiguous.
fn only(cands: &[(u32, u32)]) -> Callee {
    match cands {
        [] => Callee::Unknown,
        [one] => Callee::Fn(one.0, one.1),
        _ => Callee::Ambiguous,
    }
}
