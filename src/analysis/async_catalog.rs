//! The catalog of async library APIs (`rules/async-apis.toml`, embedded and parsed once): which
//! calls create futures (functions, constructor chains), which library types have which async
//! methods, and what their builders and awaited outputs are. Plain data and lookups; the types
//! it gives to expressions and declarations are the `async_apis` module's.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

use crate::analysis::imports::path_is;
use crate::analysis::paths::last_segment;

/// The embedded catalog text.
pub const CATALOG_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/async-apis.toml"
));

/// The type of a binding that is a callable whose call returns a future (a `Fn*` trait object,
/// `impl Fn*`, fn pointer or generic parameter whose declared output is a future).
pub const FUTURE_FN: &str = "<a callable returning a future>";

/// A method-call chain judged by its root call (`reqwest::Client::new()..send()`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    /// Canonical path of the call the chain starts from.
    pub root: String,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    awaited_methods: Vec<String>,
}

/// A library type and what its methods return.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LibType {
    name: String,
    /// Methods whose call returns a future; every other method of the type is not one.
    #[serde(default, rename = "async")]
    async_methods: Vec<String>,
    /// Sync methods returning another catalogued type (builders).
    #[serde(default)]
    pub(crate) returns: HashMap<String, String>,
    /// What awaiting an async method gives, when it is a catalogued type.
    #[serde(default)]
    pub(crate) outputs: HashMap<String, String>,
}

/// A call whose result type is known.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Ctor {
    path: String,
    /// One type, or one per tuple element (`let (tx, rx) = channel(8)`).
    #[serde(default)]
    pub(crate) returns: Vec<String>,
    /// The output of the future the call returns (`File::open(p).await?`).
    pub(crate) awaits: Option<String>,
}

/// The parsed catalog with its lookup tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    #[serde(default)]
    functions: Vec<String>,
    #[serde(default)]
    chains: Vec<Chain>,
    #[serde(default)]
    async_methods: Vec<String>,
    #[serde(default)]
    sync_methods: Vec<String>,
    #[serde(default, rename = "type")]
    types: Vec<LibType>,
    #[serde(default)]
    pub(crate) constructor: Vec<Ctor>,
    #[serde(skip)]
    sync_set: HashSet<String>,
    #[serde(skip)]
    function_roots: HashSet<String>,
    #[serde(skip)]
    by_type: HashMap<String, usize>,
    #[serde(skip)]
    pub(crate) type_last: HashSet<String>,
    #[serde(skip)]
    pub(crate) ctors: HashMap<String, usize>,
    #[serde(skip)]
    pub(crate) ctor_last: HashSet<String>,
    /// Every method name of a `returns` or `outputs` map (a cheap test before typing a receiver).
    #[serde(skip)]
    pub(crate) typed_methods: HashSet<String>,
}

impl Catalog {
    /// Parses catalog text.
    pub fn parse(text: &str) -> Result<Catalog, toml::de::Error> {
        let mut c: Catalog = toml::from_str(text)?;
        c.sync_set = c.sync_methods.iter().cloned().collect();
        c.function_roots = c
            .functions
            .iter()
            .filter_map(|f| f.split("::").next())
            .map(str::to_string)
            .collect();
        for (i, t) in c.types.iter().enumerate() {
            c.by_type.insert(t.name.clone(), i);
            c.type_last.insert(last_segment(&t.name).to_string());
            c.typed_methods
                .extend(t.returns.keys().chain(t.outputs.keys()).cloned());
        }
        for (i, k) in c.constructor.iter().enumerate() {
            c.ctors.insert(k.path.clone(), i);
            c.ctor_last.insert(last_segment(&k.path).to_string());
        }
        Ok(c)
    }

    /// Whether a resolved call path is a catalogued future-creating function.
    pub fn function(&self, path: &[String]) -> Option<&str> {
        if !path
            .first()
            .is_some_and(|r| self.function_roots.contains(r))
        {
            return None;
        }
        self.functions
            .iter()
            .find(|f| match f.strip_suffix("::*") {
                Some(prefix) => {
                    path.len() >= 2
                        && path_is(&path[..path.len() - 1], prefix)
                        && !path[path.len() - 1].starts_with(char::is_uppercase)
                }
                None => path_is(path, f),
            })
            .map(String::as_str)
    }

    /// The chain rooted at `root` that ends in `method` (`awaited`: an `.await` occurs in it).
    pub fn chain(&self, root: &[String], method: &str, awaited: bool) -> Option<&Chain> {
        self.chains.iter().find(|c| {
            path_is(root, &c.root)
                && (c.methods.iter().any(|m| m == method)
                    || (awaited && c.awaited_methods.iter().any(|m| m == method)))
        })
    }

    /// Whether only async APIs use this method name (judged on receivers of unknown type).
    pub fn is_async_method(&self, name: &str) -> bool {
        self.async_methods.iter().any(|m| m == name)
    }

    /// Whether std or common crates define this method name as sync.
    pub fn is_sync_method(&self, name: &str) -> bool {
        self.sync_set.contains(name)
    }

    pub(crate) fn lib_type(&self, ty: &str) -> Option<&LibType> {
        self.types.get(*self.by_type.get(ty)?)
    }

    /// Whether `method` of catalogued type `ty` returns a future.
    pub fn is_async(&self, ty: &str, method: &str) -> bool {
        self.lib_type(ty)
            .is_some_and(|t| t.async_methods.iter().any(|m| m == method))
    }

    /// The catalogued type sync method `method` of catalogued type `ty` returns (a builder
    /// transition such as `reqwest::Client::get`).
    pub fn method_returns(&'static self, ty: &str, method: &str) -> Option<&'static str> {
        let r = self.lib_type(ty)?.returns.get(method)?;
        self.known_type(r)
    }

    /// The catalogued type that awaiting async method `method` of catalogued type `ty` gives
    /// (`reqwest::RequestBuilder::send` gives a `reqwest::Response`).
    pub fn method_output(&'static self, ty: &str, method: &str) -> Option<&'static str> {
        let out = self.lib_type(ty)?.outputs.get(method)?;
        self.known_type(out)
    }

    /// The catalogued type a canonical type path names.
    pub(crate) fn known_type(&'static self, canon: &str) -> Option<&'static str> {
        self.lib_type(canon).map(|t| t.name.as_str())
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
    fn catalog_parses_and_types_are_consistent() {
        let c = Catalog::parse(CATALOG_TOML).expect("rules/async-apis.toml parses");
        assert!(!c.functions.is_empty() && !c.chains.is_empty() && !c.types.is_empty());
        let p = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
        assert!(c.function(&p("tokio::fs::read_to_string")).is_some());
        assert!(c.function(&p("tokio::fs::OpenOptions::new")).is_none());
        assert!(c.function(&p("tokio::time::interval")).is_none());
        assert!(c.function(&p("tokio::fs::File::open")).is_some());
        for m in &c.async_methods {
            assert!(!c.is_sync_method(m), "{m} is both async and sync");
        }
        for t in &c.types {
            for r in t.returns.values().chain(t.outputs.values()) {
                assert!(c.by_type.contains_key(r), "{}: unknown type {r}", t.name);
            }
            for m in t.outputs.keys() {
                assert!(c.is_async(&t.name, m), "{}: output of sync {m}", t.name);
            }
        }
        for k in &c.constructor {
            for r in k.returns.iter().chain(&k.awaits) {
                assert!(c.by_type.contains_key(r), "{}: unknown type {r}", k.path);
            }
        }
        // Precision: these senders are sync.
        assert!(c.is_async("tokio::sync::mpsc::Sender", "send"));
        for sync in [
            "tokio::sync::mpsc::UnboundedSender",
            "tokio::sync::broadcast::Sender",
            "tokio::sync::watch::Sender",
            "std::sync::mpsc::Sender",
            "crossbeam_channel::Sender",
        ] {
            assert!(c.by_type.contains_key(sync), "{sync} is catalogued");
            assert!(!c.is_async(sync, "send"), "{sync}::send is sync");
        }
        assert!(!c.is_async("tokio::task::JoinSet", "abort_all"));
    }
}
