//! The crate-wide index of every file's facts ([`CrateIndex`]): the input of every rule's resolve
//! hook, with the semantic model and the call graph built from it on first use.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::analysis::call_graph::CallGraph;
use crate::analysis::facts::IndexedFile;
use crate::semantic::defmap::FileInput;
use crate::semantic::project::Project;
use crate::semantic::resolve::Semantics;

/// All files' facts: the input of every rule's resolve hook.
#[derive(Debug, Default)]
pub struct CrateIndex {
    /// Files in discovery order.
    pub files: Vec<IndexedFile>,
    /// The cargo project the files belong to.
    pub project: Arc<Project>,
    /// Each file's absolute, normalised path.
    abs_paths: OnceLock<Vec<PathBuf>>,
    /// Crates, module trees, scopes and impls, built on first use.
    semantics: OnceLock<Semantics>,
    /// The call graph over `files`, built on first use and shared by the rules.
    graph: OnceLock<CallGraph>,
    /// Each file's suppressions (same order as `files`; empty when not given): a helper's
    /// allowed blocking call cuts the transitive chains through it.
    pub suppressions: Vec<crate::suppress::Suppressions>,
    /// Suppression ids used by phase 2 (file, directive, rule index within it).
    pub used_suppressions: std::sync::Mutex<Vec<(usize, usize, usize)>>,
}

impl CrateIndex {
    /// An index of `files` in `project`.
    pub fn new(files: Vec<IndexedFile>, project: Project) -> Self {
        Self::with_project(files, Arc::new(project))
    }

    /// An index of `files` in a project shared with other indexes.
    pub fn with_project(files: Vec<IndexedFile>, project: Arc<Project>) -> Self {
        CrateIndex {
            files,
            project,
            ..CrateIndex::default()
        }
    }

    /// The suppression id of file `file` that covers a `rule` finding on `line`, if any.
    pub fn allowed_at(&self, file: usize, rule: &str, line: usize) -> Option<(usize, usize)> {
        self.suppressions.get(file)?.covering(rule, line)
    }

    /// Records that phase 2 used suppression id `id` of file `file`.
    pub fn use_suppression(&self, file: usize, id: (usize, usize)) {
        if let Ok(mut u) = self.used_suppressions.lock() {
            u.push((file, id.0, id.1));
        }
    }

    /// The files as the semantic layer reads them (in file order).
    pub fn inputs(&self) -> Vec<FileInput<'_>> {
        let abs = self.abs_paths.get_or_init(|| {
            self.files
                .iter()
                .map(|f| crate::semantic::project::normalize(&f.path))
                .collect()
        });
        self.files
            .iter()
            .zip(abs)
            .map(|(f, path)| FileInput {
                path,
                items: &f.facts.items,
                fns: &f.facts.fns,
            })
            .collect()
    }

    /// The semantic model of the indexed files (built once, on the first call).
    pub fn semantics(&self) -> &Semantics {
        self.semantics
            .get_or_init(|| Semantics::build(&self.project, &self.inputs()))
    }

    /// The call graph of the indexed files (built once, on the first call).
    pub fn call_graph(&self) -> &CallGraph {
        self.graph
            .get_or_init(|| CallGraph::build(&self.files, self.inputs(), self.semantics()))
    }
}

/// Whether a fn's attributes include a runtime entry macro (`#[tokio::main]`, `#[tokio::test]`,
/// `#[async_std::main]`, `#[actix_web::test]` ..: a path of two or more segments ending in `main`
/// or `test`).
pub fn is_runtime_entry(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segs = &a.path().segments;
        segs.len() >= 2
            && segs
                .last()
                .is_some_and(|s| s.ident == "main" || s.ident == "test")
    })
}

/// Whether a return type is a future: `impl Future<..>`, `BoxFuture<..>`, `LocalBoxFuture`,
/// `Pin<Box<dyn Future<..> ..>>`.
pub fn returns_future(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    type_is_future(ty)
}

fn type_is_future(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::ImplTrait(it) => it.bounds.iter().any(bound_is_future),
        syn::Type::TraitObject(t) => t.bounds.iter().any(bound_is_future),
        syn::Type::Paren(p) => type_is_future(&p.elem),
        syn::Type::Group(g) => type_is_future(&g.elem),
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            match last.ident.to_string().as_str() {
                "BoxFuture" | "LocalBoxFuture" => true,
                "Pin" | "Box" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.iter().any(|g| match g {
                        syn::GenericArgument::Type(t) => type_is_future(t),
                        _ => false,
                    }),
                    _ => false,
                },
                _ => false,
            }
        }
        _ => false,
    }
}

fn bound_is_future(b: &syn::TypeParamBound) -> bool {
    match b {
        syn::TypeParamBound::Trait(t) => {
            t.path.segments.last().is_some_and(|s| s.ident == "Future")
        }
        _ => false,
    }
}
