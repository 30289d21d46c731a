//! The catalog of blocking APIs (`rules/blocking-apis.toml`, embedded and parsed once): which
//! paths and methods block, what replaces them, which constructors and builder methods give
//! which types. Plain data and lookups; the classifier of calls is the `blocking` module.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

use crate::analysis::paths::last_segment;
use crate::analysis::settings::{Runtime, Settings};
use crate::analysis::ty::Ty;

/// The embedded catalog text.
pub const CATALOG_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/blocking-apis.toml"
));

/// How a hit is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixKind {
    /// Swap the path for the runtime's replacement and append `.await`.
    Direct,
    /// Run the call on the blocking pool (manual).
    SpawnBlocking,
    /// `block_on(f)` becomes `f.await`.
    Await,
    /// Help only.
    None,
}

/// What blocking on a runtime does (block-on-in-async only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// tokio panics: "Cannot start a runtime from within a runtime".
    Panic,
    /// The thread blocks on futures its own executor should drive.
    Deadlock,
    /// The executor supports nesting, but the thread's other tasks stall meanwhile.
    Blocks,
    /// A runtime built inside a runtime.
    NestedRuntime,
}

/// One catalog entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Api {
    /// Canonical path (functions); may end in `::*`.
    pub path: Option<String>,
    /// Receiver type (methods).
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Method name (methods).
    pub method: Option<String>,
    /// The rule that reports it.
    pub rule: String,
    /// How to fix it (default: direct when the runtime has a replacement, else spawn-blocking).
    pub fix: Option<FixKind>,
    /// tokio replacement.
    pub tokio: Option<String>,
    /// async-std replacement.
    pub async_std: Option<String>,
    /// smol replacement.
    pub smol: Option<String>,
    /// block-on-in-async: what happens.
    pub effect: Option<Effect>,
    /// Help text replacing the default.
    pub help: Option<String>,
    /// Whether sync helpers making this call are followed (default true).
    pub transitive: Option<bool>,
    /// `path` is a trait method: `recv.method()` counts where the trait is in scope.
    pub trait_method: Option<bool>,
    /// Off unless the configuration opts in (`"path-metadata"`: `blocking-path-metadata`).
    pub opt_in: Option<String>,
}

impl Api {
    /// Whether this run reports the entry (opt-in entries only when the config asks).
    pub fn enabled(&self, settings: &Settings) -> bool {
        match self.opt_in.as_deref() {
            None => true,
            Some("path-metadata") => settings.path_metadata,
            Some(_) => false,
        }
    }
}

impl Api {
    /// The replacement in `rt`, if any.
    pub fn replacement(&self, rt: Runtime) -> Option<&str> {
        match rt {
            Runtime::Tokio => self.tokio.as_deref(),
            Runtime::AsyncStd => self.async_std.as_deref(),
            Runtime::Smol => self.smol.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Ctor {
    path: String,
    #[serde(default)]
    pub(crate) returns: Vec<String>,
    #[serde(default)]
    pub(crate) passthrough: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transition {
    #[serde(rename = "type")]
    ty: String,
    methods: Vec<String>,
    returns: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCatalog {
    #[serde(default)]
    std_methods: Vec<String>,
    #[serde(default)]
    identity_methods: Vec<String>,
    #[serde(default)]
    api: Vec<Api>,
    #[serde(default)]
    constructor: Vec<Ctor>,
    #[serde(default)]
    transition: Vec<Transition>,
    #[serde(default)]
    passthrough_types: Vec<String>,
}

/// The parsed catalog with its lookup tables.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Every entry, in file order.
    pub apis: Vec<Api>,
    pub(crate) by_path: HashMap<String, usize>,
    pub(crate) prefixes: Vec<(String, usize)>,
    pub(crate) prefix_roots: HashSet<String>,
    pub(crate) by_method: HashMap<String, HashMap<String, usize>>,
    pub(crate) api_methods: HashSet<String>,
    /// Trait methods by name: (the trait's canonical path, entry index).
    pub(crate) trait_methods: HashMap<String, (String, usize)>,
    pub(crate) path_last: HashSet<String>,
    pub(crate) ctors: HashMap<String, Ctor>,
    ctor_last: HashSet<String>,
    transitions: HashMap<String, HashMap<String, String>>,
    transition_methods: HashSet<String>,
    identity: HashSet<String>,
    std_methods: HashSet<String>,
    types: HashSet<String>,
    type_last: HashSet<String>,
    passthrough_types: HashSet<String>,
    passthrough_last: HashSet<String>,
}

impl Catalog {
    /// Parses catalog text.
    pub fn parse(text: &str) -> Result<Catalog, toml::de::Error> {
        let raw: RawCatalog = toml::from_str(text)?;
        let mut c = Catalog::default();
        for (i, api) in raw.api.iter().enumerate() {
            if let Some(p) = &api.path {
                if let Some(prefix) = p.strip_suffix("::*") {
                    c.prefixes.push((prefix.to_string(), i));
                    c.prefix_roots
                        .insert(prefix.split("::").next().unwrap_or(prefix).to_string());
                } else {
                    c.by_path.insert(p.clone(), i);
                    c.path_last.insert(last_segment(p).to_string());
                    if api.trait_method == Some(true)
                        && let Some((tr, m)) = p.rsplit_once("::")
                    {
                        c.trait_methods.insert(m.to_string(), (tr.to_string(), i));
                    }
                }
            }
            if let (Some(t), Some(m)) = (&api.ty, &api.method) {
                c.by_method
                    .entry(t.clone())
                    .or_default()
                    .insert(m.clone(), i);
                c.api_methods.insert(m.clone());
                c.types.insert(t.clone());
            }
        }
        for ctor in raw.constructor {
            c.ctor_last.insert(last_segment(&ctor.path).to_string());
            c.types.extend(ctor.returns.iter().cloned());
            c.ctors.insert(ctor.path.clone(), ctor);
        }
        for t in raw.transition {
            c.types.insert(t.ty.clone());
            c.types.insert(t.returns.clone());
            let slot = c.transitions.entry(t.ty).or_default();
            for m in t.methods {
                c.transition_methods.insert(m.clone());
                slot.insert(m, t.returns.clone());
            }
        }
        c.type_last = c
            .types
            .iter()
            .map(|t| last_segment(t).to_string())
            .collect();
        c.identity = raw.identity_methods.into_iter().collect();
        c.passthrough_last = raw
            .passthrough_types
            .iter()
            .map(|t| last_segment(t).to_string())
            .collect();
        c.passthrough_types = raw.passthrough_types.into_iter().collect();
        c.std_methods = raw.std_methods.into_iter().collect();
        c.std_methods.extend(c.api_methods.iter().cloned());
        c.std_methods.extend(c.transition_methods.iter().cloned());
        c.std_methods.extend(c.trait_methods.keys().cloned());
        c.apis = raw.api;
        Ok(c)
    }

    /// Whether a canonical path could name a cataloged function (a cheap test before
    /// [`Catalog::api_for_path`]).
    pub fn may_name_api<S: AsRef<str>>(&self, segs: &[S]) -> bool {
        segs.last()
            .is_some_and(|l| self.path_last.contains(l.as_ref()))
            || segs
                .first()
                .is_some_and(|r| self.prefix_roots.contains(r.as_ref()))
    }

    /// The entry for a function's canonical path (`std::thread::sleep`), with its index.
    pub fn api_for_path(&self, path: &str) -> Option<(usize, &Api)> {
        let i = match self.by_path.get(path) {
            Some(&i) => i,
            None => {
                self.prefixes
                    .iter()
                    .find(|(p, _)| {
                        path.starts_with(p.as_str()) && path[p.len()..].starts_with("::")
                    })?
                    .1
            }
        };
        Some((i, self.apis.get(i)?))
    }

    /// Whether a method name is defined by std or a cataloged type (never resolved by name alone).
    pub fn is_std_method(&self, name: &str) -> bool {
        self.std_methods.contains(name)
    }

    /// Whether some constructor's path ends in `name` (a cheap test before resolving a call).
    pub fn is_ctor_name(&self, name: &str) -> bool {
        self.ctor_last.contains(name)
    }

    /// What the constructor at canonical `path` returns; `first_arg` gives the type of its
    /// first argument, for passthrough constructors (`Arc::new(x)`).
    pub fn ctor_type(
        &'static self,
        path: &str,
        first_arg: impl FnOnce() -> Option<Ty>,
    ) -> Option<Ty> {
        let ctor = self.ctors.get(path)?;
        if ctor.passthrough {
            first_arg()
        } else if ctor.returns.len() == 1 {
            ctor.returns.first().map(|t| Ty::One(t.as_str()))
        } else if ctor.returns.is_empty() {
            None
        } else {
            Some(Ty::Tuple(&ctor.returns))
        }
    }

    /// Whether method `name` keeps its receiver's type (`.clone()`, `.map_err(..)`).
    pub fn is_identity(&self, name: &str) -> bool {
        self.identity.contains(name)
    }

    /// The type method `name` of known type `ty` returns, when it is a cataloged transition.
    pub fn transition(&'static self, ty: &str, name: &str) -> Option<&'static str> {
        if !self.transition_methods.contains(name) {
            return None;
        }
        self.transitions.get(ty)?.get(name).map(String::as_str)
    }

    /// Whether some known type's path ends in `name`.
    pub fn is_type_name(&self, name: &str) -> bool {
        self.type_last.contains(name)
    }

    /// Whether canonical `path` is a wrapper that derefs to its type argument
    /// (`actix_web::web::Data`); `last` is its last segment, tested first.
    pub fn is_passthrough_type(&self, last: &str, path: impl FnOnce() -> String) -> bool {
        self.passthrough_last.contains(last) && self.passthrough_types.contains(&path())
    }

    /// The canonical name of a known type, as a `'static` string of the catalog.
    pub fn known_type(&'static self, canon: &str) -> Option<&'static str> {
        self.types.get(canon).map(String::as_str)
    }
}

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(CATALOG_TOML).unwrap_or_default());

/// The embedded catalog.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_and_entries_are_well_formed() {
        let c = Catalog::parse(CATALOG_TOML).expect("rules/blocking-apis.toml parses");
        assert!(
            c.apis.len() > 40,
            "catalog unexpectedly small: {}",
            c.apis.len()
        );
        for api in &c.apis {
            assert!(
                api.path.is_some() != (api.ty.is_some() && api.method.is_some()),
                "entry needs either `path` or `type` + `method`: {api:?}"
            );
            assert_eq!(
                api.effect.is_some(),
                api.rule == "block-on-in-async",
                "`effect` is for block-on-in-async only: {api:?}"
            );
        }
        for ctor in c.ctors.values() {
            assert!(
                ctor.passthrough == ctor.returns.is_empty(),
                "constructor needs `returns` or `passthrough`: {ctor:?}"
            );
        }
        assert_eq!(catalog().apis.len(), c.apis.len());
        assert!(c.is_std_method("clone") && c.is_std_method("recv"));
    }
}
