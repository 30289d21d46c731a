//! The per-file view rules and analyses see ([`FileCx`]). The lint driver (the `lint` module)
//! builds one per file.

use crate::span::ByteRange;
use std::cell::RefCell;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::imports::{CanonPath, Imports};
use crate::analysis::locals::Locals;
use crate::analysis::settings::{Runtime, Settings};
use crate::analysis::ty::Ty;
use crate::project::CrateInfo;
use crate::source::SourceText;

/// What a rule sees of the file being linted.
pub struct FileCx<'a> {
    /// Unique per linted text in this process: a key for per-file memos (addresses of the
    /// syntax tree or text are reused by the allocator and must not be used as keys).
    pub generation: u64,
    /// The file's path.
    pub path: &'a Arc<PathBuf>,
    /// Its text and line index.
    pub source: &'a SourceText,
    /// The parsed file.
    pub file: &'a syn::File,
    /// Edition and runtime dependencies of its crate.
    pub crate_info: CrateInfo,
    /// Run-wide settings.
    pub settings: &'a Settings,
    /// Byte offset of the parsed text within the file (a BOM or shebang line is stripped).
    pub base: usize,
    pub(crate) imports: RefCell<Imports>,
    pub(crate) locals: RefCell<Locals>,
    /// The file's item summary, as far as the walk has come.
    pub(crate) items: RefCell<crate::semantic::items::Collector>,
    /// The innermost item scope of the walk (file, inline module, block with items).
    pub(crate) item_scope: std::cell::Cell<u32>,
    /// The fn being walked and its impl (indices of the file's fns and impls; `u32::MAX`:
    /// none), for symbolic types of `self` and calls.
    pub(crate) fn_owner: std::cell::Cell<(u32, u32)>,
    /// For the file's `let` statements that may bind a runtime, by the range of the value they
    /// bind: whether that value only moves into offloaded threads (see
    /// [`FileCx::let_moved_off`]); built on first use.
    pub(crate) let_moved_off: std::cell::OnceCell<rustc_hash::FxHashMap<(usize, usize), bool>>,
    /// How many items around the walk are test-only (`#[cfg(test)]` modules and fns, test fns):
    /// their code builds with the dev-dependencies.
    pub(crate) test_items: std::cell::Cell<u32>,
    /// The expression whose hooks the walk is running (its address, 0 between expressions),
    /// and whether `blocking::classify_all` found no blocking API there:
    /// three rules and the facts ask it of each call, and most calls have none.
    pub(crate) walked_expr: std::cell::Cell<(usize, bool)>,
}

impl FileCx<'_> {
    /// Whether the value built at `range` (through `?`, `.unwrap()`, `.expect(..)`; not inside a
    /// macro body) is not dropped where it is built: the value of a `let` whose binding moves
    /// off the executor, is leaked or shut down in the background
    /// ([`crate::analysis::offload::moved_into_offloaded`]), or the argument of `Arc::new` /
    /// `Rc::new` (shared: the last owner drops it), or the value a sync fn returns (its caller
    /// decides). Only values built by a `..::new(..)` call or
    /// a `.build()` method (the runtime constructors) are answered; one walk of the file on
    /// first use, then a lookup.
    pub fn let_moved_off(&self, range: Range<usize>) -> bool {
        self.let_moved_off
            .get_or_init(|| {
                let mut finder = LetFinder {
                    cx: self,
                    out: rustc_hash::FxHashMap::default(),
                };
                syn::visit::Visit::visit_file(&mut finder, self.file);
                finder.out
            })
            .get(&(range.start, range.end))
            .copied()
            .unwrap_or(false)
    }
}

struct LetFinder<'c, 'a> {
    cx: &'c FileCx<'a>,
    out: rustc_hash::FxHashMap<(usize, usize), bool>,
}

/// Whether `e` may build a runtime: a path call ending in `new` or a `.build()`.
fn may_build_runtime(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => matches!(
            &*c.func,
            syn::Expr::Path(p) if p.path.segments.len() > 1
                && p.path.segments.last().is_some_and(|s| s.ident == "new")
        ),
        syn::Expr::MethodCall(m) => m.method == "build",
        _ => false,
    }
}

impl LetFinder<'_, '_> {
    /// A fn body whose value is a runtime it builds (`Builder::..build()` as the tail, through
    /// `Ok(..)`, `?`, `.unwrap()`; or a `let rt = ..;` whose `rt` the tail hands back, with no
    /// `?` or `return` in between): the runtime goes to the caller, it is not dropped here.
    fn returned_runtimes(&mut self, body: &syn::Block) {
        let Some(syn::Stmt::Expr(tail, None)) = body.stmts.last() else {
            return;
        };
        let tail_value = returned_value(tail);
        if may_build_runtime(tail_value) {
            let r = self.cx.range(tail_value);
            self.out.insert((r.start, r.end), true);
            return;
        }
        let syn::Expr::Path(p) = tail_value else {
            return;
        };
        let Some(name) = p.path.get_ident() else {
            return;
        };
        let n = body.stmts.len();
        for (at, stmt) in body.stmts[..n - 1].iter().enumerate().rev() {
            let syn::Stmt::Local(l) = stmt else { continue };
            let syn::Pat::Ident(pi) = &l.pat else {
                continue;
            };
            if pi.ident != *name {
                continue;
            }
            let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) else {
                return;
            };
            let built = crate::analysis::paths::peel_unwraps(&init.expr);
            if may_build_runtime(built) && !may_exit(&body.stmts[at + 1..n - 1]) {
                let r = self.cx.range(built);
                self.out.insert((r.start, r.end), true);
            }
            return;
        }
    }
}

/// The value a tail expression hands back: through `Ok(..)` / `Some(..)`, `?`, `.unwrap()`,
/// and adapters of the error (`.map_err(..)`, `.context(..)`, `.with_context(..)`).
fn returned_value(e: &syn::Expr) -> &syn::Expr {
    let e = crate::analysis::paths::peel_unwraps(e);
    match e {
        syn::Expr::MethodCall(m)
            if m.args.len() == 1
                && ["map_err", "context", "with_context", "wrap_err"]
                    .iter()
                    .any(|a| m.method == a) =>
        {
            returned_value(&m.receiver)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            syn::Expr::Path(p) if p.path.is_ident("Ok") || p.path.is_ident("Some") => {
                returned_value(&c.args[0])
            }
            _ => e,
        },
        _ => e,
    }
}

/// Whether statements may leave the fn early (`?`, `return`), outside closures.
fn may_exit(stmts: &[syn::Stmt]) -> bool {
    struct Exit(bool);
    impl<'a> syn::visit::Visit<'a> for Exit {
        fn visit_expr(&mut self, e: &'a syn::Expr) {
            match e {
                syn::Expr::Try(_) | syn::Expr::Return(_) => self.0 = true,
                syn::Expr::Closure(_) | syn::Expr::Async(_) => {}
                _ => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut x = Exit(false);
    for s in stmts {
        syn::visit::Visit::visit_stmt(&mut x, s);
    }
    x.0
}

impl<'a> syn::visit::Visit<'a> for LetFinder<'_, 'a> {
    fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
        if f.sig.asyncness.is_none() {
            self.returned_runtimes(&f.block);
        }
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
        if f.sig.asyncness.is_none() {
            self.returned_runtimes(&f.block);
        }
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_block(&mut self, block: &'a syn::Block) {
        for (at, stmt) in block.stmts.iter().enumerate() {
            let syn::Stmt::Local(l) = stmt else { continue };
            let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) else {
                continue;
            };
            let built = crate::analysis::paths::peel_unwraps(&init.expr);
            if may_build_runtime(built) {
                let r = self.cx.range(built);
                let moved = crate::analysis::offload::moved_into_offloaded(&block.stmts, at);
                self.out.entry((r.start, r.end)).or_insert(moved);
            }
        }
        syn::visit::visit_block(self, block);
    }

    fn visit_expr_call(&mut self, call: &'a syn::ExprCall) {
        // `Arc::new(Runtime::new()?)`: shared ownership, so the last owner (which may well be
        // a thread or a `spawn_blocking` closure) drops it; where that is, is unknown.
        if let syn::Expr::Path(p) = crate::analysis::paths::peel(&call.func)
            && let [.., owner, new] = &p.path.segments.iter().collect::<Vec<_>>()[..]
            && new.ident == "new"
            && (owner.ident == "Arc" || owner.ident == "Rc")
            && let Some(arg) = call.args.first()
            && may_build_runtime(crate::analysis::paths::peel_unwraps(arg))
        {
            let r = self.cx.range(crate::analysis::paths::peel_unwraps(arg));
            self.out.insert((r.start, r.end), true);
        }
        syn::visit::visit_expr_call(self, call);
    }
}

impl FileCx<'_> {
    /// Canonical path of a path in the current scope (see [`Imports::resolve`]).
    pub fn resolve(&self, path: &syn::Path) -> CanonPath {
        self.imports.borrow().resolve(path)
    }

    /// The index of `path` among the file's recorded paths (for phase-2 resolution).
    pub fn path_fact(&self, path: &syn::Path) -> u32 {
        self.items.borrow_mut().path(path)
    }

    /// The innermost item scope of the walk (see [`crate::semantic::items::ItemSummary`]).
    pub fn item_scope(&self) -> u32 {
        self.item_scope.get()
    }

    /// What a single local name is imported as, if anything.
    pub fn lookup(&self, name: &str) -> Option<CanonPath> {
        self.imports.borrow().lookup(name).cloned()
    }

    /// Whether `name` is a local binding of the current fn (`None`: it is not), and its type
    /// when syntax proves it (see [`Locals`]).
    pub fn local(&self, name: &str) -> Option<Option<&'static str>> {
        self.locals.borrow().lookup(name)
    }

    /// Like [`FileCx::local`], with collection and iterator types (see
    /// the `typing` module).
    pub fn local_ty(&self, name: &str) -> Option<Option<Ty>> {
        self.locals.borrow().lookup_ty(name)
    }

    /// Whether `name` is a local declared with a type parameter of its fn (`addr: A`,
    /// `addr: impl ToSocketAddrs`): which impl its trait methods run is the caller's choice.
    pub fn local_is_generic(&self, name: &str) -> bool {
        self.locals.borrow().is_generic(name)
    }

    /// The tokio features the code being walked builds with: the dev-dependencies' count too in
    /// test code (a test-only item around it, or a `tests`, `benches` or `examples` file). A
    /// crate without a tokio dependency that imports a `tokio` re-exported by another crate
    /// (`use hbb_common::tokio;`) writes `tokio::` paths through it, with unknown features.
    pub fn tokio_features(&self) -> crate::tokio_features::TokioFeatures {
        use crate::tokio_features::TokioFeatures;
        match self
            .crate_info
            .tokio_features_for(self.path, self.test_items.get() > 0)
        {
            TokioFeatures::Absent if self.imports.borrow().lookup("tokio").is_some() => {
                TokioFeatures::Unknown
            }
            features => features,
        }
    }

    /// Whether a visible `use` brings the item at canonical `path` into scope (a trait, for
    /// its methods).
    pub fn in_scope(&self, path: &str) -> bool {
        self.imports.borrow().in_scope(path)
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.source.position(offset).line
    }

    /// Byte range of a span in the file.
    pub fn span_range(&self, span: proc_macro2::Span) -> Range<usize> {
        let r = span.bytes();
        r.start + self.base..r.end + self.base
    }

    /// Byte range of a syntax node (uses its first and last token).
    pub fn range<T: syn::spanned::Spanned + 'static>(&self, node: &T) -> Range<usize> {
        let r = crate::span::node_range(node);
        r.start + self.base..r.end + self.base
    }

    /// The file text in a byte range.
    pub fn text(&self, range: Range<usize>) -> &str {
        self.source.text().get(range).unwrap_or("")
    }

    /// The runtime fixes should target: the one this file imports, else the one its crate
    /// depends on, else tokio.
    pub fn runtime(&self) -> Runtime {
        let imports = self.imports.borrow();
        if imports.imports_crate("tokio") {
            Runtime::Tokio
        } else if imports.imports_crate("async_std") {
            Runtime::AsyncStd
        } else if imports.imports_crate("smol") {
            Runtime::Smol
        } else if self.crate_info.runtimes.tokio
            || !(self.crate_info.runtimes.async_std || self.crate_info.runtimes.smol)
        {
            Runtime::Tokio
        } else if self.crate_info.runtimes.async_std {
            Runtime::AsyncStd
        } else {
            Runtime::Smol
        }
    }
}
