//! Per-file item summaries (layer L1): the scopes a file declares (its root, inline modules,
//! blocks that hold items), the items and `use` declarations of each scope, `mod x;`
//! declarations, impl headers, and every path a call or an impl names, as written.
//!
//! A summary depends on the file's text alone, so it is cached with the file; what the names
//! mean is decided later, crate-wide (the `defmap` module), once every file's summary is
//! known. Fns are summarised as [`FnFact`]s by the walk, each naming its scope and owner.

use rustc_hash::FxHashMap;
use std::ops::Range;

use syn::{Item, UseTree};

use crate::semantic::cfg::{self, TestCfg};
use crate::semantic::names::intern;
use crate::semantic::types::{Sym, TypeRef};

pub use crate::semantic::names::Name;

/// "No index" in the compact `u32` fields below.
pub const NONE: u32 = u32::MAX;

/// Who declares a fn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Owner {
    /// A free fn of a module or block.
    Free,
    /// A fn of `impl` block number `n` of the file ([`ItemSummary::impls`]).
    Impl(u32),
    /// A fn declared in trait item number `n` of the file ([`ItemSummary::items`]).
    Trait(u32),
}

/// A fn item (free fn, inherent/trait method, trait method declaration or default).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FnFact {
    /// The fn's name.
    #[serde(deserialize_with = "crate::semantic::names::interned::name")]
    pub name: Name,
    /// The self type of the enclosing `impl` (last segment), or the trait for trait items
    /// (for messages).
    #[serde(deserialize_with = "crate::semantic::names::interned::option")]
    pub impl_ty: Option<Name>,
    /// The trait being implemented (`impl Trait for Ty`) or declared, if any (last segment).
    #[serde(deserialize_with = "crate::semantic::names::interned::option")]
    pub trait_name: Option<Name>,
    /// `async fn` (or `#[async_trait]` async fn).
    pub is_async: bool,
    /// Returns `impl Future`, `BoxFuture`, `Pin<Box<dyn Future ..>>`.
    pub returns_future: bool,
    /// Whether it takes `self` (a method) rather than being an associated/free fn.
    pub has_self: bool,
    /// Annotated with a runtime entry attribute (`#[tokio::main]`, `#[tokio::test]`, ..): the
    /// macro turns the `async fn` into a sync fn that blocks on its body.
    pub runtime_entry: bool,
    /// Annotated as a test (`#[test]`, `#[tokio::test]`, `#[rstest]`, `#[bench]`, ..).
    pub test_attr: bool,
    /// Whether `#[cfg(..)]` on the fn (or its impl) keeps it out of non-test builds.
    pub cfg_test: TestCfg,
    /// Whether it has a body (a trait method declaration has none).
    pub has_body: bool,
    /// Whether it returns its impl's own type: 1 as `Self` (or the type's name), 2 wrapped in
    /// `Result`/`Option`, 0 otherwise (a constructor: `let c = Client::new();` types `c`).
    pub returns_self: u8,
    /// The scope it is declared in ([`ItemSummary::scopes`]; an impl's or trait's scope).
    pub scope: u32,
    /// Its visibility (free fns; for glob imports).
    pub vis: Vis,
    /// Who declares it.
    pub owner: Owner,
    /// Byte range of the fn's name.
    pub range: Range<usize>,
    /// Byte range of its body, braces included (`(0, 0)` without a body).
    pub body: (u32, u32),
    /// The declared return type ([`ItemSummary::types`]; [`NONE`] for `()`): for an `async fn`,
    /// its output.
    pub ret: u32,
    /// Its body provably never completes (it ends in a `loop` nothing leaves, with no `return`
    /// or `?`): there is no output, whatever the declared type.
    #[serde(default)]
    pub never_returns: bool,
}

/// Visibility, as far as resolution uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Vis {
    /// No `pub`, or `pub(self)`.
    Private,
    /// `pub(crate)`, `pub(super)`, `pub(in ..)`: visible within the crate.
    Crate,
    /// `pub`.
    Public,
}

impl Vis {
    /// The visibility `v` gives.
    pub fn of(v: &syn::Visibility) -> Vis {
        match v {
            syn::Visibility::Public(_) => Vis::Public,
            syn::Visibility::Restricted(r) if r.path.is_ident("self") => Vis::Private,
            syn::Visibility::Restricted(_) => Vis::Crate,
            syn::Visibility::Inherited => Vis::Private,
        }
    }
}

/// What kind of scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ScopeKind {
    /// The file itself (the module the file is).
    File,
    /// An inline `mod name { .. }`.
    Module {
        /// The module's name (raw identifiers unescaped).
        #[serde(deserialize_with = "crate::semantic::names::interned::name")]
        name: Name,
        /// Its `#[path = ".."]`, which moves where its `mod x;` children are looked for.
        path_attr: Option<String>,
    },
    /// A block holding items (a fn body, a block expression): an anonymous module.
    Block,
}

/// A scope of the file: its root, an inline module, or a block with items.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScopeFact {
    /// The enclosing scope ([`NONE`] for the file's root).
    pub parent: u32,
    /// What it is.
    pub kind: ScopeKind,
    /// Whether its cfg keeps it out of non-test builds (for inline modules).
    pub cfg_test: TestCfg,
}

/// What an item is, for the namespaces it fills.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemKind {
    /// struct, enum, union (types; a tuple or unit struct also names a value).
    Adt {
        /// Tuple or unit struct: its name is also a constructor in the values namespace.
        ctor: bool,
    },
    /// `type Alias = Target;` (the target path, [`ItemSummary::paths`], or [`NONE`]).
    Alias(u32),
    /// `trait Name { .. }`.
    Trait,
    /// const or static (values).
    Value,
    /// `mod name;` or `mod name { .. }`.
    Mod {
        /// The inline module's scope, or [`NONE`] for `mod name;` (a file elsewhere).
        inline: u32,
        /// Its `#[path = ".."]`.
        path_attr: Option<String>,
    },
    /// `macro_rules! name` (macros namespace; `exported` with `#[macro_export]`).
    Macro {
        /// `#[macro_export]`: the macro is at the crate root.
        exported: bool,
    },
    /// `extern crate name as alias;` (types namespace: the crate).
    ExternCrate(#[serde(deserialize_with = "crate::semantic::names::interned::name")] Name),
}

/// A named item of a scope (fns are [`FnFact`]s instead).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemFact {
    /// The scope that declares it.
    pub scope: u32,
    /// Its name (raw identifiers unescaped).
    #[serde(deserialize_with = "crate::semantic::names::interned::name")]
    pub name: Name,
    /// Its kind.
    pub kind: ItemKind,
    /// Its visibility.
    pub vis: Vis,
    /// Whether its cfg keeps it out of non-test builds.
    pub cfg_test: TestCfg,
}

/// What a `use` binds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UseKind {
    /// `use a::b;` or `use a::b as c;` (the local name; `use a::b::{self}` binds `b` to `a::b`).
    Named(#[serde(deserialize_with = "crate::semantic::names::interned::name")] Name),
    /// `use a::b::*;`
    Glob,
}

/// One flattened `use` (a group gives one per leaf).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UseFact {
    /// The scope it is declared in.
    pub scope: u32,
    /// The imported path: the whole path for a named import (for `{self}` the module path),
    /// the module for a glob.
    #[serde(deserialize_with = "crate::semantic::names::interned::list")]
    pub path: Box<[Name]>,
    /// Written with a leading `::`.
    pub leading_colon: bool,
    /// What it binds.
    pub kind: UseKind,
    /// `pub use` makes a re-export.
    pub vis: Vis,
}

/// An `impl` header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImplFact {
    /// The scope it is written in.
    pub scope: u32,
    /// The self type's path ([`ItemSummary::paths`]; references and parentheses stripped), or
    /// [`NONE`] when the self type is not a path.
    pub self_ty: u32,
    /// The trait's path, or [`NONE`] for an inherent impl.
    pub trait_path: u32,
    /// The trait has generic arguments (`impl From<X> for T`): which impl a call of its fns
    /// picks depends on argument types.
    pub trait_generic: bool,
    /// The self type's generic type arguments ([`ItemSummary::types`]): `Service<R>` has `R`.
    pub self_args: Box<[u32]>,
    /// The impl's generic type parameters with the type their bounds give them: the single
    /// non-marker trait bound, inline or in the `where` clause, as an `impl Trait` type
    /// ([`ItemSummary::types`]; [`NONE`] when there is none or several).
    #[serde(deserialize_with = "crate::semantic::names::interned::numbered")]
    pub params: Box<[(Name, u32)]>,
    /// `type Target = T;` of an impl of a trait named `Deref` ([`ItemSummary::types`];
    /// [`NONE`]: none). Whether the trait is std's is decided by resolution.
    pub deref_target: u32,
}

/// A path as written (`a::b::c`, `Self::f`, `::std::mem::drop`), generic arguments dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PathFact {
    /// Written with a leading `::`.
    pub leading_colon: bool,
    /// Its segments (raw identifiers unescaped).
    #[serde(deserialize_with = "crate::semantic::names::interned::list")]
    pub segments: Box<[Name]>,
}

/// The declared type of a struct's field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldFact {
    /// The struct ([`ItemSummary::items`]).
    pub item: u32,
    /// The field's name (`0`, `1`, .. for tuple structs).
    #[serde(deserialize_with = "crate::semantic::names::interned::name")]
    pub name: Name,
    /// Its type ([`ItemSummary::types`]).
    pub ty: u32,
}

/// The declared type of an alias (its target), a static or a const.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemType {
    /// The item ([`ItemSummary::items`]).
    pub item: u32,
    /// The type ([`ItemSummary::types`]).
    pub ty: u32,
    /// An alias's generic type parameters, in order.
    #[serde(deserialize_with = "crate::semantic::names::interned::list")]
    pub params: Box<[Name]>,
}

/// Everything a file declares, for crate-wide name resolution.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemSummary {
    /// Scopes; number 0 is the file.
    pub scopes: Vec<ScopeFact>,
    /// Named items other than fns.
    pub items: Vec<ItemFact>,
    /// Flattened `use` declarations.
    pub uses: Vec<UseFact>,
    /// Impl headers.
    pub impls: Vec<ImplFact>,
    /// Paths named by calls, impls, aliases and types (deduplicated).
    pub paths: Vec<PathFact>,
    /// Types as written in signatures, fields, aliases, statics and bindings.
    pub types: Vec<TypeRef>,
    /// Struct fields with their declared types.
    pub fields: Vec<FieldFact>,
    /// Declared types of aliases, statics and consts, and the generic type parameters of
    /// generic structs and enums (whose `ty` is an unknown type).
    pub item_types: Vec<ItemType>,
    /// Symbolic types of expressions rules asked about.
    pub syms: Vec<Sym>,
    /// Whether the file's inner attributes (`#![cfg(test)]`) keep it out of non-test builds.
    pub cfg_test: TestCfg,
}

impl ItemSummary {
    /// A deep copy whose names are the run's shared copies ([`intern`]), made when a file's
    /// facts are detached from its syntax tree.
    pub fn detached(&self) -> ItemSummary {
        let names = |s: &[Name]| s.iter().map(|n| intern(n)).collect::<Box<[Name]>>();
        ItemSummary {
            scopes: self
                .scopes
                .iter()
                .map(|s| ScopeFact {
                    kind: match &s.kind {
                        ScopeKind::Module { name, path_attr } => ScopeKind::Module {
                            name: intern(name),
                            path_attr: path_attr.clone(),
                        },
                        k => k.clone(),
                    },
                    ..s.clone()
                })
                .collect(),
            items: self
                .items
                .iter()
                .map(|i| ItemFact {
                    name: intern(&i.name),
                    ..i.clone()
                })
                .collect(),
            uses: self
                .uses
                .iter()
                .map(|u| UseFact {
                    path: names(&u.path),
                    kind: match &u.kind {
                        UseKind::Named(n) => UseKind::Named(intern(n)),
                        UseKind::Glob => UseKind::Glob,
                    },
                    ..u.clone()
                })
                .collect(),
            impls: self.impls.clone(),
            paths: self
                .paths
                .iter()
                .map(|p| PathFact {
                    leading_colon: p.leading_colon,
                    segments: names(&p.segments),
                })
                .collect(),
            types: self.types.clone(),
            fields: self
                .fields
                .iter()
                .map(|f| FieldFact {
                    name: intern(&f.name),
                    ..f.clone()
                })
                .collect(),
            item_types: self.item_types.clone(),
            syms: self.syms.clone(),
            cfg_test: self.cfg_test,
        }
    }
}

/// The name under which field `field` (a name, or the index of a tuple variant's field) of
/// variant `variant` is recorded among its enum's fields ([`FieldFact`]): `Config.0`,
/// `Send.tx`, which no struct field can be named.
pub fn variant_field(variant: &str, field: impl std::fmt::Display) -> String {
    let field = field.to_string();
    let unraw = |s: &str| s.strip_prefix("r#").unwrap_or(s).to_string();
    format!("{}.{}", unraw(variant), unraw(&field))
}

/// An identifier as code names it (`r#ref` is `ref`). Not interned: [`ItemSummary::detached`]
/// shares the names of a finished file.
pub fn ident_name(i: &syn::Ident) -> Name {
    crate::semantic::names::with_ident(i, |s| Name::from(s.strip_prefix("r#").unwrap_or(s)))
}

/// Builds a file's [`ItemSummary`] as the walk goes: the walk opens scopes and hands over each
/// item it meets.
#[derive(Debug)]
pub struct Collector {
    summary: ItemSummary,
    /// Paths recorded so far, by a hash of their text.
    path_ids: FxHashMap<u64, u32>,
    /// Symbolic types recorded so far (hashed with FxHash: SipHash of these showed as 1% of a
    /// run's CPU).
    pub(super) sym_ids: FxHashMap<Sym, u32>,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new(&[])
    }
}

impl Collector {
    /// A summary with the file's root scope, given the file's inner attributes.
    pub fn new(file_attrs: &[syn::Attribute]) -> Self {
        let mut summary = ItemSummary {
            cfg_test: cfg::test_cfg(file_attrs),
            ..ItemSummary::default()
        };
        summary.scopes.push(ScopeFact {
            parent: NONE,
            kind: ScopeKind::File,
            cfg_test: TestCfg::No,
        });
        Collector {
            summary,
            path_ids: FxHashMap::default(),
            sym_ids: FxHashMap::default(),
        }
    }

    /// Opens the scope of an inline module declared in `parent`.
    pub fn module_scope(&mut self, parent: u32, m: &syn::ItemMod) -> u32 {
        let id = self.summary.scopes.len() as u32;
        self.summary.scopes.push(ScopeFact {
            parent,
            kind: ScopeKind::Module {
                name: ident_name(&m.ident),
                path_attr: path_attr(&m.attrs),
            },
            cfg_test: cfg::test_cfg(&m.attrs),
        });
        id
    }

    /// Opens the scope of a block with items, inside `parent`.
    pub fn block_scope(&mut self, parent: u32) -> u32 {
        let id = self.summary.scopes.len() as u32;
        self.summary.scopes.push(ScopeFact {
            parent,
            kind: ScopeKind::Block,
            cfg_test: TestCfg::No,
        });
        id
    }

    /// The index of `path` among the file's paths (generic arguments dropped).
    pub fn path(&mut self, path: &syn::Path) -> u32 {
        // Hashed from the segments' texts in place: the texts are copied only for a new path.
        let mut h = xxhash_rust::xxh3::Xxh3Default::new();
        h.update(&[u8::from(path.leading_colon.is_some())]);
        for s in &path.segments {
            crate::semantic::names::with_ident(&s.ident, |t| h.update(t.as_bytes()));
            h.update(b"::");
        }
        let next = self.summary.paths.len() as u32;
        *self.path_ids.entry(h.digest()).or_insert_with(|| {
            self.summary.paths.push(PathFact {
                leading_colon: path.leading_colon.is_some(),
                segments: path.segments.iter().map(|s| ident_name(&s.ident)).collect(),
            });
            next
        })
    }

    /// The path of the type a value of declared type `ty` has methods of: references, parentheses
    /// and `Box`/`Arc`/`Rc` peeled, `dyn Trait`/`impl Trait` give the trait ([`NONE`]: none).
    pub fn receiver_type(&mut self, ty: &syn::Type) -> u32 {
        match ty {
            syn::Type::Reference(r) => self.receiver_type(&r.elem),
            syn::Type::Paren(p) => self.receiver_type(&p.elem),
            syn::Type::Group(g) => self.receiver_type(&g.elem),
            syn::Type::Path(p) if p.qself.is_none() => {
                let Some(last) = p.path.segments.last() else {
                    return NONE;
                };
                if is_smart_pointer(&p.path)
                    && let syn::PathArguments::AngleBracketed(a) = &last.arguments
                    && let Some(syn::GenericArgument::Type(inner)) = a.args.first()
                {
                    return self.receiver_type(inner);
                }
                self.path(&p.path)
            }
            syn::Type::TraitObject(t) => self.trait_bound(&t.bounds),
            syn::Type::ImplTrait(t) => self.trait_bound(&t.bounds),
            _ => NONE,
        }
    }

    fn trait_bound(
        &mut self,
        bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
    ) -> u32 {
        match single_trait(bounds) {
            Some(one) => self.path(one),
            None => NONE,
        }
    }

    fn type_path(&mut self, ty: &syn::Type) -> u32 {
        match ty {
            syn::Type::Path(p) if p.qself.is_none() => self.path(&p.path),
            syn::Type::Reference(r) => self.type_path(&r.elem),
            syn::Type::Paren(p) => self.type_path(&p.elem),
            syn::Type::Group(g) => self.type_path(&g.elem),
            _ => NONE,
        }
    }

    /// Records an impl header written in `scope`; returns its index (for [`Owner::Impl`]).
    pub fn impl_block(&mut self, scope: u32, imp: &syn::ItemImpl) -> u32 {
        let self_ty = self.type_path(&imp.self_ty);
        let (trait_path, trait_generic) = match &imp.trait_ {
            Some((p, _)) => (
                self.path(p),
                p.segments
                    .last()
                    .is_some_and(|s| !matches!(s.arguments, syn::PathArguments::None)),
            ),
            None => (NONE, false),
        };
        let self_args = self.self_args(&imp.self_ty);
        let params = self.generic_bounds(&imp.generics);
        let deref_target = match &imp.trait_ {
            Some((p, _)) if p.segments.last().is_some_and(|s| s.ident == "Deref") => imp
                .items
                .iter()
                .find_map(|it| match it {
                    syn::ImplItem::Type(t) if t.ident == "Target" => Some(self.type_ref(&t.ty)),
                    _ => None,
                })
                .unwrap_or(NONE),
            _ => NONE,
        };
        let id = self.summary.impls.len() as u32;
        self.summary.impls.push(ImplFact {
            scope,
            self_ty,
            trait_path,
            trait_generic,
            self_args,
            params,
            deref_target,
        });
        id
    }

    /// Records a named item (not a fn, not an impl) declared in `scope`. Returns its index for
    /// traits (for [`Owner::Trait`]); `inline` is the scope of an inline module.
    pub fn item(&mut self, scope: u32, item: &Item, inline: u32) -> Option<u32> {
        let (name, kind, vis, attrs) = match item {
            Item::Struct(s) => (
                ident_name(&s.ident),
                ItemKind::Adt {
                    ctor: !matches!(s.fields, syn::Fields::Named(_)),
                },
                &s.vis,
                &s.attrs,
            ),
            Item::Enum(e) => (
                ident_name(&e.ident),
                ItemKind::Adt { ctor: false },
                &e.vis,
                &e.attrs,
            ),
            Item::Union(u) => (
                ident_name(&u.ident),
                ItemKind::Adt { ctor: false },
                &u.vis,
                &u.attrs,
            ),
            Item::Type(t) => {
                let target = self.type_path(&t.ty);
                (
                    ident_name(&t.ident),
                    ItemKind::Alias(target),
                    &t.vis,
                    &t.attrs,
                )
            }
            Item::Trait(t) => (ident_name(&t.ident), ItemKind::Trait, &t.vis, &t.attrs),
            Item::TraitAlias(t) => (ident_name(&t.ident), ItemKind::Trait, &t.vis, &t.attrs),
            Item::Const(c) => (ident_name(&c.ident), ItemKind::Value, &c.vis, &c.attrs),
            Item::Static(s) => (ident_name(&s.ident), ItemKind::Value, &s.vis, &s.attrs),
            Item::Mod(m) => (
                ident_name(&m.ident),
                ItemKind::Mod {
                    inline,
                    path_attr: path_attr(&m.attrs),
                },
                &m.vis,
                &m.attrs,
            ),
            Item::Macro(m) => {
                let Some(ident) = &m.ident else { return None };
                let exported = m.attrs.iter().any(|a| a.path().is_ident("macro_export"));
                (
                    ident_name(ident),
                    ItemKind::Macro { exported },
                    &syn::Visibility::Inherited,
                    &m.attrs,
                )
            }
            Item::ExternCrate(e) => {
                let krate = ident_name(&e.ident);
                let name = e
                    .rename
                    .as_ref()
                    .map_or_else(|| krate.clone(), |(_, r)| ident_name(r));
                (name, ItemKind::ExternCrate(krate), &e.vis, &e.attrs)
            }
            Item::Use(u) => {
                let vis = Vis::of(&u.vis);
                let mut prefix = Vec::new();
                self.use_tree(scope, &u.tree, &mut prefix, u.leading_colon.is_some(), vis);
                return None;
            }
            _ => return None,
        };
        let id = self.summary.items.len() as u32;
        self.summary.items.push(ItemFact {
            scope,
            name,
            kind,
            vis: Vis::of(vis),
            cfg_test: cfg::test_cfg(attrs),
        });
        match item {
            Item::Struct(s) => {
                self.fields(id, &s.fields);
                self.adt_params(id, &s.generics);
            }
            Item::Enum(e) => {
                self.variant_fields(id, e);
                self.adt_params(id, &e.generics);
            }
            Item::Type(t) => self.item_type(id, &t.ty, &t.generics),
            Item::Static(s) => self.item_type(id, &s.ty, &syn::Generics::default()),
            Item::Const(c) => self.item_type(id, &c.ty, &syn::Generics::default()),
            _ => {}
        }
        Some(id)
    }

    fn use_tree(
        &mut self,
        scope: u32,
        tree: &UseTree,
        prefix: &mut Vec<Name>,
        leading_colon: bool,
        vis: Vis,
    ) {
        let mut push = |path: Vec<Name>, kind: UseKind| {
            if !path.is_empty() {
                self.summary.uses.push(UseFact {
                    scope,
                    path: path.into_boxed_slice(),
                    leading_colon,
                    kind,
                    vis,
                });
            }
        };
        match tree {
            UseTree::Path(p) => {
                prefix.push(ident_name(&p.ident));
                self.use_tree(scope, &p.tree, prefix, leading_colon, vis);
                prefix.pop();
            }
            UseTree::Name(n) => {
                let name = ident_name(&n.ident);
                if &*name == "self" {
                    if let Some(last) = prefix.last().cloned() {
                        push(prefix.clone(), UseKind::Named(last));
                    }
                } else {
                    let mut path = prefix.clone();
                    path.push(name.clone());
                    push(path, UseKind::Named(name));
                }
            }
            UseTree::Rename(r) => {
                let name = ident_name(&r.ident);
                let alias = ident_name(&r.rename);
                let mut path = prefix.clone();
                if &*name != "self" {
                    path.push(name);
                }
                // `use a::Trait as _;` brings no name.
                if &*alias != "_" {
                    push(path, UseKind::Named(alias));
                }
            }
            UseTree::Glob(_) => push(prefix.clone(), UseKind::Glob),
            UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(scope, t, prefix, leading_colon, vis);
                }
            }
        }
    }

    /// The summary so far, to extend.
    pub(super) fn summary_mut(&mut self) -> &mut ItemSummary {
        &mut self.summary
    }

    /// The summary so far.
    pub fn summary(&self) -> &ItemSummary {
        &self.summary
    }

    /// The finished summary.
    pub fn finish(self) -> ItemSummary {
        let mut s = self.summary;
        s.scopes.shrink_to_fit();
        s.items.shrink_to_fit();
        s.uses.shrink_to_fit();
        s.impls.shrink_to_fit();
        s.paths.shrink_to_fit();
        s.types.shrink_to_fit();
        s.fields.shrink_to_fit();
        s.item_types.shrink_to_fit();
        s.syms.shrink_to_fit();
        s
    }
}

/// The items a cfg macro at item position (`cfg_if! { if #[cfg(unix)] { mod sys; } }`,
/// tokio's `cfg_rt! { .. }`) declares: its body parsed as items, or else each brace group in
/// it. Other macros (and `macro_rules!` definitions) give nothing: their bodies are not items
/// in general, and parsing every one would cost the parse of their text.
pub fn macro_items(m: &syn::ItemMacro) -> Vec<Item> {
    let is_cfg_macro = m.mac.path.segments.last().is_some_and(|s| {
        let name = s.ident.to_string();
        name == "cfg_if" || name.starts_with("cfg_")
    });
    if m.ident.is_some() || m.mac.tokens.is_empty() || !is_cfg_macro {
        return Vec::new();
    }
    if let Ok(file) = syn::parse2::<syn::File>(m.mac.tokens.clone()) {
        return file.items;
    }
    let mut out = Vec::new();
    brace_groups(m.mac.tokens.clone(), &mut out, 0);
    out
}

fn brace_groups(tokens: proc_macro2::TokenStream, out: &mut Vec<Item>, depth: usize) {
    if depth > 8 {
        return;
    }
    for tt in tokens {
        if let proc_macro2::TokenTree::Group(g) = tt
            && g.delimiter() == proc_macro2::Delimiter::Brace
        {
            match syn::parse2::<syn::File>(g.stream()) {
                Ok(file) if !file.items.is_empty() => out.extend(file.items),
                _ => brace_groups(g.stream(), out, depth + 1),
            }
        }
    }
}

/// The one trait of a bound list besides the markers `Send`, `Sync` and `Unpin`
/// (`dyn Future<Output = T> + Send`), or `None`.
pub fn single_trait(
    bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
) -> Option<&syn::Path> {
    let mut traits = bounds.iter().filter_map(|b| match b {
        syn::TypeParamBound::Trait(t)
            if !t.path.segments.last().is_some_and(|s| {
                matches!(
                    s.ident.to_string().as_str(),
                    "Send" | "Sync" | "Unpin" | "Sized" | "Clone" | "Copy" | "Debug" | "Display"
                )
            }) =>
        {
            Some(&t.path)
        }
        _ => None,
    });
    match (traits.next(), traits.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Whether fn attributes mark a test (`#[test]`, `#[tokio::test]`, `#[rstest]`, `#[bench]`,
/// `#[test_case(..)]`, ..: a path whose last segment is `test`, `bench`, `rstest` or
/// `test_case`).
pub fn is_test_fn(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().segments.last().is_some_and(|s| {
            // `#[test]`, `#[tokio::test]`, `#[sqlx::test]`, `#[test_log::test]`, `#[rstest]`..
            crate::semantic::names::with_ident(&s.ident, |name| {
                name.ends_with("test") || name == "bench" || name == "test_case"
            })
        })
    })
}

/// Flag of a receiver type that is a constructor call (`let c = Client::new();`): the path is
/// `Client::new`, and the receiver has the type it returns when that is its impl's own type.
pub const CTOR: u32 = 1 << 31;
/// With [`CTOR`]: the constructor's result was unwrapped (`?`, `.unwrap()`, `.expect(..)`).
pub const UNWRAPPED: u32 = 1 << 30;

/// Whether a fn's declared output is its impl's own type (see [`FnFact::returns_self`]).
pub fn returns_self(output: &syn::ReturnType, impl_ty: Option<&str>) -> u8 {
    let syn::ReturnType::Type(_, ty) = output else {
        return 0;
    };
    fn is_self(ty: &syn::Type, impl_ty: Option<&str>) -> bool {
        match ty {
            syn::Type::Path(p) if p.qself.is_none() => p
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Self" || impl_ty.is_some_and(|t| s.ident == t)),
            syn::Type::Paren(p) => is_self(&p.elem, impl_ty),
            _ => false,
        }
    }
    if impl_ty.is_none() {
        return 0;
    }
    if is_self(ty, impl_ty) {
        return 1;
    }
    if let syn::Type::Path(p) = &**ty
        && let Some(last) = p.path.segments.last()
        && (last.ident == "Result" || last.ident == "Option")
        && let syn::PathArguments::AngleBracketed(a) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = a.args.first()
        && is_self(inner, impl_ty)
    {
        return 2;
    }
    0
}

/// `#[path = ".."]` of a module.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| {
        if !a.path().is_ident("path") {
            return None;
        }
        let syn::Meta::NameValue(nv) = &a.meta else {
            return None;
        };
        match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    })
}

/// Whether `path` names std's `Box`, `Arc` or `Rc`: the bare name (the prelude's `Box`, or the
/// usual import), or the full std path (`std::sync::Arc`, `::std::rc::Rc`, `alloc::sync::Arc`,
/// `std::boxed::Box`). Another crate's type of the same name (`triomphe::Arc`) is not.
fn is_smart_pointer(path: &syn::Path) -> bool {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] => matches!(*one, "Box" | "Arc" | "Rc"),
        ["std" | "alloc", "sync", "Arc"] | ["std" | "alloc", "rc", "Rc"] => true,
        ["std" | "alloc", "boxed", "Box"] => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summarise(src: &str) -> ItemSummary {
        let file: syn::File = syn::parse_str(src).unwrap();
        let mut c = Collector::new(&file.attrs);
        fn walk(c: &mut Collector, scope: u32, items: &[Item]) {
            for item in items {
                match item {
                    Item::Mod(m) => {
                        let inner = match &m.content {
                            Some((_, items)) => {
                                let s = c.module_scope(scope, m);
                                walk(c, s, items);
                                s
                            }
                            None => NONE,
                        };
                        c.item(scope, item, inner);
                    }
                    Item::Macro(m) => {
                        let items = macro_items(m);
                        walk(c, scope, &items);
                        c.item(scope, item, NONE);
                    }
                    other => {
                        c.item(scope, other, NONE);
                    }
                }
            }
        }
        walk(&mut c, 0, &file.items);
        c.finish()
    }

    fn uses(s: &ItemSummary) -> Vec<String> {
        s.uses
            .iter()
            .map(|u| {
                let path = u.path.join("::");
                match &u.kind {
                    UseKind::Named(n) => {
                        format!("{}{path} as {n}", ["", "::"][u.leading_colon as usize])
                    }
                    UseKind::Glob => format!("{path}::*"),
                }
            })
            .collect()
    }

    #[test]
    fn flattens_use_trees() {
        let s = summarise(
            "use std::{fs, thread::{self, sleep as nap}}; pub use super::x::*; use ::a::B as _; use r#ref::r#type;",
        );
        assert_eq!(
            uses(&s),
            [
                "std::fs as fs",
                "std::thread as thread",
                "std::thread::sleep as nap",
                "super::x::*",
                "ref::type as type"
            ]
        );
        assert_eq!(s.uses[3].vis, Vis::Public);
    }

    #[test]
    fn records_modules_items_and_macro_bodies() {
        let s = summarise(
            "#[path = \"imp/unix.rs\"] mod imp; mod r#ref; pub mod inline { pub struct S; } \
             cfg_if::cfg_if! { if #[cfg(unix)] { mod sys; } else { mod other; } } \
             #[cfg(test)] mod tests {} #[macro_export] macro_rules! m { () => {} }",
        );
        let names: Vec<&str> = s.items.iter().map(|i| &*i.name).collect();
        assert_eq!(
            names,
            ["imp", "ref", "S", "inline", "sys", "other", "tests", "m"]
        );
        assert_eq!(
            s.items[0].kind,
            ItemKind::Mod {
                inline: NONE,
                path_attr: Some("imp/unix.rs".into())
            }
        );
        assert_eq!(s.items[2].scope, 1);
        assert_eq!(s.items[6].cfg_test, TestCfg::Only);
        assert_eq!(s.items[7].kind, ItemKind::Macro { exported: true });
    }

    #[test]
    fn paths_are_deduplicated_without_generics() {
        let mut c = Collector::new(&[]);
        let a = c.path(&syn::parse_str("Vec::<u8>::new").unwrap());
        let b = c.path(&syn::parse_str("Vec::new").unwrap());
        let d = c.path(&syn::parse_str("::Vec::new").unwrap());
        assert_eq!(a, b);
        assert_ne!(a, d);
        assert_eq!(c.summary().paths.len(), 2);
    }
}
