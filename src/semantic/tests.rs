//! Unit tests of the resolver: files are summarised here the way the walk does it (items,
//! scopes, fns with their owners), then resolved as one run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use syn::Item;

use crate::semantic::cfg::test_cfg;
use crate::semantic::defmap::FileInput;
use crate::semantic::items::{
    Collector, FnFact, ItemSummary, NONE, Owner, PathFact, Vis, ident_name, is_test_fn, macro_items,
};
use crate::semantic::project::{Project, normalize};
use crate::semantic::resolve::{Callee, Semantics};
use crate::semantic::types::{Sym, Ty};

/// One summarised file.
struct File {
    path: PathBuf,
    items: ItemSummary,
    fns: Vec<FnFact>,
}

struct Summariser {
    c: Collector,
    fns: Vec<FnFact>,
}

impl Summariser {
    fn push_fn(
        &mut self,
        sig: &syn::Signature,
        attrs: &[syn::Attribute],
        vis: Vis,
        scope: u32,
        owner: Owner,
    ) {
        let ret = self.c.return_type(&sig.output);
        self.fns.push(FnFact {
            ret,
            never_returns: false,
            name: Arc::from(sig.ident.to_string()),
            impl_ty: None,
            trait_name: None,
            is_async: sig.asyncness.is_some(),
            returns_future: false,
            has_self: sig.receiver().is_some(),
            runtime_entry: false,
            test_attr: is_test_fn(attrs),
            cfg_test: test_cfg(attrs),
            has_body: true,
            returns_self: 0,
            scope,
            vis,
            owner,
            range: 0..0,
            body: (0, 0),
        });
    }

    fn body(&mut self, scope: u32, block: &syn::Block) {
        let items: Vec<&Item> = block
            .stmts
            .iter()
            .filter_map(|s| match s {
                syn::Stmt::Item(i) => Some(i),
                _ => None,
            })
            .collect();
        if !items.is_empty() {
            let inner = self.c.block_scope(scope);
            for i in items {
                self.item(inner, i);
            }
        }
    }

    fn item(&mut self, scope: u32, item: &Item) {
        match item {
            Item::Fn(f) => {
                self.push_fn(&f.sig, &f.attrs, Vis::of(&f.vis), scope, Owner::Free);
                self.body(scope, &f.block);
            }
            Item::Impl(imp) => {
                let index = self.c.impl_block(scope, imp);
                for ii in &imp.items {
                    if let syn::ImplItem::Fn(f) = ii {
                        self.push_fn(&f.sig, &f.attrs, Vis::of(&f.vis), scope, Owner::Impl(index));
                    }
                }
            }
            Item::Trait(t) => {
                let index = self.c.item(scope, item, NONE).unwrap_or(NONE);
                for ti in &t.items {
                    if let syn::TraitItem::Fn(f) = ti {
                        self.push_fn(&f.sig, &f.attrs, Vis::Public, scope, Owner::Trait(index));
                    }
                }
            }
            Item::Mod(m) => match &m.content {
                Some((_, items)) => {
                    let inner = self.c.module_scope(scope, m);
                    self.c.item(scope, item, inner);
                    for i in items {
                        self.item(inner, i);
                    }
                }
                None => {
                    self.c.item(scope, item, NONE);
                }
            },
            Item::Macro(m) if m.ident.is_none() => {
                for i in &macro_items(m) {
                    self.item(scope, i);
                }
            }
            other => {
                self.c.item(scope, other, NONE);
            }
        }
    }
}

fn summarise(path: &Path, src: &str) -> File {
    let file: syn::File = syn::parse_str(src).expect("test source parses");
    let mut s = Summariser {
        c: Collector::new(&file.attrs),
        fns: Vec::new(),
    };
    for item in &file.items {
        s.item(0, item);
    }
    File {
        path: normalize(path),
        items: s.c.finish(),
        fns: s.fns,
    }
}

/// A run over `files` (path, source) under `project`.
struct Run {
    files: Vec<File>,
    sema: Semantics,
}

impl Run {
    fn new(project: &Project, sources: &[(&str, &str)], root: &Path) -> Run {
        let files: Vec<File> = sources
            .iter()
            .map(|(p, src)| summarise(&root.join(p), src))
            .collect();
        let inputs = inputs(&files);
        let sema = Semantics::build(project, &inputs);
        Run { files, sema }
    }

    /// Loose files (no manifest): `lib.rs` is the crate root.
    fn loose(sources: &[(&str, &str)]) -> Run {
        Run::new(
            &Project::default(),
            sources,
            Path::new("/nonexistent/loose"),
        )
    }

    fn file(&self, name: &str) -> u32 {
        self.files
            .iter()
            .position(|f| f.path.ends_with(name))
            .unwrap_or_else(|| panic!("no file {name}")) as u32
    }

    /// What a call of `path` inside fn `caller` of file `file` resolves to, as `file::fn` or a
    /// word.
    fn call(&self, file: &str, caller: &str, path: &str) -> String {
        let fi = self.file(file);
        let f = &self.files[fi as usize];
        let (ci, c) = f
            .fns
            .iter()
            .enumerate()
            .find(|(_, x)| &*x.name == caller)
            .unwrap_or_else(|| panic!("no fn {caller}"));
        // The innermost block scope of the caller, else its own scope.
        let scope = (0..f.items.scopes.len() as u32)
            .rev()
            .find(|&s| f.items.scopes[s as usize].parent == c.scope && s > c.scope)
            .filter(|&s| {
                matches!(
                    f.items.scopes[s as usize].kind,
                    crate::semantic::items::ScopeKind::Block
                )
            })
            .unwrap_or(c.scope);
        let p: syn::Path = syn::parse_str(path).expect("path parses");
        let fact = PathFact {
            leading_colon: p.leading_colon.is_some(),
            segments: p.segments.iter().map(|s| ident_name(&s.ident)).collect(),
        };
        let inputs = inputs(&self.files);
        let r = self
            .sema
            .resolve_call(&inputs, fi, scope, &fact, Some(ci as u32));
        self.show(r)
    }

    fn show(&self, r: Callee) -> String {
        match r {
            Callee::Fn(f, i) => {
                let file = &self.files[f as usize];
                format!(
                    "{}::{}",
                    file.path.file_name().unwrap().to_string_lossy(),
                    file.fns[i as usize].name
                )
            }
            Callee::External(p) => format!("extern {}", p.join("::")),
            Callee::Unknown => "unknown".into(),
            Callee::Ambiguous => "ambiguous".into(),
        }
    }
}

fn inputs(files: &[File]) -> Vec<FileInput<'_>> {
    files
        .iter()
        .map(|f| FileInput {
            path: &f.path,
            items: &f.items,
            fns: &f.fns,
        })
        .collect()
}

#[test]
fn paths_through_modules_and_imports() {
    let r = Run::loose(&[(
        "lib.rs",
        "mod a { pub fn f() {} pub mod b { pub fn g() {} } }
         use a::{f as h, b::{self as m}};
         fn caller() {}",
    )]);
    assert_eq!(r.call("lib.rs", "caller", "a::f"), "lib.rs::f");
    assert_eq!(r.call("lib.rs", "caller", "crate::a::b::g"), "lib.rs::g");
    assert_eq!(r.call("lib.rs", "caller", "self::a::f"), "lib.rs::f");
    assert_eq!(r.call("lib.rs", "caller", "h"), "lib.rs::f");
    assert_eq!(r.call("lib.rs", "caller", "m::g"), "lib.rs::g");
    assert_eq!(r.call("lib.rs", "caller", "a::missing"), "unknown");
    assert_eq!(r.call("lib.rs", "caller", "f"), "unknown");
}

#[test]
fn files_of_a_module_tree() {
    let r = Run::loose(&[
        (
            "lib.rs",
            "mod net; #[path = \"other/x.rs\"] mod imp; mod r#ref; fn caller() {}",
        ),
        ("net.rs", "mod dns; pub use self::dns::lookup;"),
        (
            "net/dns.rs",
            "pub fn lookup() {} fn up() { super::super::caller(); }",
        ),
        ("other/x.rs", "pub fn open() {}"),
        ("ref.rs", "pub fn deref() {}"),
        // Not reached by any `mod`: an orphan.
        ("stale.rs", "pub fn open() {}"),
    ]);
    assert_eq!(
        r.call("lib.rs", "caller", "net::dns::lookup"),
        "dns.rs::lookup"
    );
    assert_eq!(r.call("lib.rs", "caller", "net::lookup"), "dns.rs::lookup");
    assert_eq!(r.call("lib.rs", "caller", "imp::open"), "x.rs::open");
    assert_eq!(r.call("lib.rs", "caller", "r#ref::deref"), "ref.rs::deref");
    assert_eq!(
        r.call("dns.rs", "up", "super::super::caller"),
        "lib.rs::caller"
    );
    // An orphan knows only itself.
    assert_eq!(r.call("stale.rs", "open", "crate::open"), "unknown");
}

#[test]
fn globs_respect_visibility_and_shadowing() {
    let r = Run::loose(&[(
        "lib.rs",
        "mod helpers { pub fn flush() {} fn private() {} pub fn shadowed() {} }
         mod prelude { pub use crate::helpers::*; }
         mod jobs {
             use super::prelude::*;
             fn shadowed() {}
             fn run() {}
         }
         mod tests { use super::*; fn t() {} }
         fn top() {}",
    )]);
    assert_eq!(r.call("lib.rs", "run", "flush"), "lib.rs::flush");
    assert_eq!(r.call("lib.rs", "run", "private"), "unknown");
    // A declaration shadows what a glob brings.
    assert_eq!(r.call("lib.rs", "run", "shadowed"), "lib.rs::shadowed");
    // `use super::*` sees the parent's private items and imports.
    assert_eq!(r.call("lib.rs", "t", "top"), "lib.rs::top");
}

#[test]
fn glob_cycles_terminate_and_resolve() {
    let r = Run::loose(&[(
        "lib.rs",
        "mod a { pub use super::b::*; pub fn x() {} }
         mod b { pub use super::a::*; pub fn y() {} }
         fn caller() {}",
    )]);
    assert_eq!(r.call("lib.rs", "caller", "a::y"), "lib.rs::y");
    assert_eq!(r.call("lib.rs", "caller", "b::x"), "lib.rs::x");
}

#[test]
fn re_export_chains_and_self_named_imports() {
    let r = Run::loose(&[
        (
            "lib.rs",
            "mod fsutil; pub use fsutil::slurp; pub mod io { pub use super::slurp as read_all; }
             use serde_json::json; use indoc::indoc;
             fn caller() {}",
        ),
        ("fsutil.rs", "pub fn slurp() {}"),
    ]);
    assert_eq!(
        r.call("lib.rs", "caller", "io::read_all"),
        "fsutil.rs::slurp"
    );
    assert_eq!(
        r.call("lib.rs", "caller", "json"),
        "extern serde_json::json"
    );
    assert_eq!(r.call("lib.rs", "caller", "indoc"), "extern indoc::indoc");
}

#[test]
fn cfg_alternatives_are_ambiguous() {
    let r = Run::loose(&[(
        "lib.rs",
        "mod a { pub fn pause() {} } mod b { pub fn pause() {} }
         #[cfg(unix)] use a::pause;
         #[cfg(windows)] use b::pause;
         #[cfg(unix)] fn settle() {}
         #[cfg(not(unix))] fn settle() {}
         fn caller() {}",
    )]);
    assert_eq!(r.call("lib.rs", "caller", "pause"), "ambiguous");
    assert_eq!(r.call("lib.rs", "caller", "settle"), "ambiguous");
    assert_eq!(r.call("lib.rs", "caller", "a::pause"), "lib.rs::pause");
}

#[test]
fn external_paths_never_resolve_locally() {
    let r = Run::loose(&[(
        "lib.rs",
        "mod sdk { pub struct Client; impl Client { pub fn new() -> Self { Client } } }
         use reqwest::Client as Http;
         fn caller() {}",
    )]);
    assert_eq!(
        r.call("lib.rs", "caller", "reqwest::Client::new"),
        "extern reqwest::Client::new"
    );
    assert_eq!(
        r.call("lib.rs", "caller", "Http::new"),
        "extern reqwest::Client::new"
    );
    assert_eq!(
        r.call("lib.rs", "caller", "sdk::Client::new"),
        "lib.rs::new"
    );
    assert_eq!(
        r.call("lib.rs", "caller", "std::thread::sleep"),
        "extern std::thread::sleep"
    );
}

#[test]
fn associated_fns_need_a_known_impl() {
    let r = Run::loose(&[(
        "lib.rs",
        "pub struct LogEvent; pub struct Foo; pub struct Settings;
         impl From<Foo> for LogEvent { fn from(_: Foo) -> Self { LogEvent } }
         impl Default for Settings { fn default() -> Self { Settings } }
         impl Settings { fn load() -> Self { Self::default() } }
         type Alias = Settings;
         fn caller() {}",
    )]);
    // `From` is generic: which impl depends on the argument's type.
    assert_eq!(r.call("lib.rs", "caller", "LogEvent::from"), "unknown");
    assert_eq!(
        r.call("lib.rs", "caller", "Settings::default"),
        "lib.rs::default"
    );
    assert_eq!(r.call("lib.rs", "caller", "Alias::load"), "lib.rs::load");
    assert_eq!(r.call("lib.rs", "load", "Self::default"), "lib.rs::default");
}

#[test]
fn block_items_and_test_fns() {
    let r = Run::loose(&[(
        "lib.rs",
        "fn helper() {}
         fn outer() { fn helper() {} }
         #[test] fn log_schema() {}
         #[cfg(test)] mod tests { fn t() { super::log_schema(); } }
         fn caller() {}",
    )]);
    // The block's own fn shadows the module's.
    let inner = r.call("lib.rs", "outer", "helper");
    assert_eq!(inner, "lib.rs::helper");
    // A test fn is never the callee of non-test code, but is of test code.
    assert_eq!(r.call("lib.rs", "caller", "log_schema"), "unknown");
    assert_eq!(
        r.call("lib.rs", "t", "super::log_schema"),
        "lib.rs::log_schema"
    );
}

#[test]
fn workspace_crates_and_targets() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"core\", \"app\"]\nresolver = \"2\"\n",
    );
    write(
        "core/Cargo.toml",
        "[package]\nname = \"ws-core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [dependencies]\nengine = { path = \"../core\", package = \"ws-core\" }\n",
    );
    let sources = [
        ("core/src/lib.rs", "mod config; pub use config::load;"),
        ("core/src/config.rs", "pub fn load() {}"),
        (
            "app/src/lib.rs",
            "pub fn refresh() {} pub async fn run() {}",
        ),
        ("app/src/main.rs", "fn main() {}"),
        ("app/tests/it.rs", "fn refresh() {} #[test] fn t() {}"),
    ];
    for (p, s) in sources {
        write(p, s);
    }
    let paths: Vec<PathBuf> = sources.iter().map(|(p, _)| root.join(p)).collect();
    let project = Project::load_from_manifests(&paths);
    let r = Run::new(&project, &sources, root);
    assert_eq!(
        r.call("app/src/lib.rs", "run", "engine::load"),
        "config.rs::load"
    );
    assert_eq!(
        r.call("app/src/lib.rs", "run", "refresh"),
        "lib.rs::refresh"
    );
    assert_eq!(
        r.call("app/src/main.rs", "main", "app::refresh"),
        "lib.rs::refresh"
    );
    // The test target's own `refresh`, not the lib's.
    let own = r.call("app/tests/it.rs", "t", "refresh");
    assert_eq!(own, "it.rs::refresh");
    // A dependency the lib does not declare is not its own crate.
    assert_eq!(r.call("app/src/lib.rs", "run", "ws_core::load"), "unknown");
    assert!(
        r.sema
            .test_ctx(&inputs(&r.files), r.file("app/tests/it.rs"), 0)
            .test_target
    );
}

#[test]
fn stray_files_do_not_take_over_a_target() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let sources = [
        ("src/lib.rs", "mod server; pub mod common;"),
        ("src/common.rs", "pub fn gen_sk() {}"),
        ("src/server.rs", "fn run() { crate::common::gen_sk(); }"),
        // A stale `mod.rs` no target includes, declaring the same modules.
        ("src/mod.rs", "pub mod server;"),
    ];
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    for (p, s) in sources {
        std::fs::write(root.join(p), s).unwrap();
    }
    let paths: Vec<PathBuf> = sources.iter().map(|(p, _)| root.join(p)).collect();
    let project = Project::load_from_manifests(&paths);
    let r = Run::new(&project, &sources, root);
    assert_eq!(
        r.call("src/server.rs", "run", "crate::common::gen_sk"),
        "common.rs::gen_sk"
    );
}

// ---- Types: declared types and symbolic types finished crate-wide ----

impl Run {
    /// The declared return type of fn `name` of `file`, shown compactly.
    fn ret(&self, file: &str, name: &str) -> String {
        let fi = self.file(file);
        let idx = self.files[fi as usize]
            .fns
            .iter()
            .position(|f| &*f.name == name)
            .unwrap_or_else(|| panic!("no fn {name}"));
        let inputs = inputs(&self.files);
        self.show_ty(&self.sema.fn_return(&inputs, fi, idx as u32))
    }

    /// The type of `call().field` where `call` is a path called in fn `caller` of `file`.
    fn ret_field(&mut self, file: &str, caller: &str, call: &str, field: &str) -> String {
        let fi = self.file(file);
        let f = &mut self.files[fi as usize];
        let ci = f.fns.iter().position(|x| &*x.name == caller).unwrap() as u32;
        let scope = f.fns[ci as usize].scope;
        let p: syn::Path = syn::parse_str(call).unwrap();
        f.items.paths.push(PathFact {
            leading_colon: false,
            segments: p.segments.iter().map(|s| ident_name(&s.ident)).collect(),
        });
        let path = (f.items.paths.len() - 1) as u32;
        f.items.syms.push(Sym::Ret {
            path,
            scope,
            caller: ci,
        });
        let base = (f.items.syms.len() - 1) as u32;
        f.items.syms.push(Sym::Unwrap(base));
        let unwrapped = (f.items.syms.len() - 1) as u32;
        f.items.syms.push(Sym::Field(unwrapped, field.into()));
        let sym = (f.items.syms.len() - 1) as u32;
        let inputs = inputs(&self.files);
        self.show_ty(&self.sema.sym_type(&inputs, fi, sym))
    }

    fn show_ty(&self, t: &Ty) -> String {
        let args = |a: &[Ty]| {
            if a.is_empty() {
                String::new()
            } else {
                let v: Vec<String> = a.iter().map(|x| self.show_ty(x)).collect();
                format!("<{}>", v.join(", "))
            }
        };
        match t {
            Ty::External(p, a) => format!("{}{}", p.join("::"), args(a)),
            Ty::Local((f, i), a) => {
                let file = &self.files[*f as usize];
                format!("local {}{}", file.items.items[*i as usize].name, args(a))
            }
            Ty::Ref(x) => format!("&{}", self.show_ty(x)),
            Ty::Tuple(x) => format!("({})", args(x).trim_matches(['<', '>'])),
            Ty::Slice(x) => format!("[{}]", self.show_ty(x)),
            Ty::Future(x) => format!("future {}", self.show_ty(x)),
            Ty::Callable(x) => format!("callable {}", self.show_ty(x)),
            Ty::Unknown => "?".into(),
        }
    }
}

#[test]
fn declared_types_resolve_through_imports_aliases_and_generics() {
    let r = Run::loose(&[
        (
            "lib.rs",
            "mod model; use model::{Engine, Res, Pool}; use tokio::sync::Mutex as AsyncMutex;
             fn a() -> Engine { loop {} }
             fn b() -> Res<Pool> { loop {} }
             fn c() -> Option<AsyncMutex<u8>> { None }
             async fn d() -> Pool { loop {} }
             fn e() -> futures::future::BoxFuture<'static, u8> { loop {} }
             fn f() -> std::pin::Pin<Box<dyn core::future::Future<Output = Pool> + Send>> { loop {} }
             fn g() -> T { loop {} }
             fn h() -> &'static [Pool] { loop {} }",
        ),
        (
            "model.rs",
            "pub type Engine = tokio::runtime::Runtime;
             pub type Res<T> = std::result::Result<T, std::io::Error>;
             pub struct Pool;
             impl Pool { pub fn me(&self) -> &Self { self } }",
        ),
    ]);
    assert_eq!(r.ret("lib.rs", "a"), "tokio::runtime::Runtime");
    assert_eq!(
        r.ret("lib.rs", "b"),
        "std::result::Result<local Pool, std::io::Error>"
    );
    assert_eq!(
        r.ret("lib.rs", "c"),
        "std::option::Option<tokio::sync::Mutex<u8>>"
    );
    assert_eq!(r.ret("lib.rs", "d"), "future local Pool");
    assert_eq!(r.ret("lib.rs", "e"), "future u8");
    assert_eq!(r.ret("lib.rs", "f"), "future local Pool");
    // An unknown name (a generic parameter) stays unknown.
    assert_eq!(r.ret("lib.rs", "g"), "?");
    assert_eq!(r.ret("lib.rs", "h"), "&[local Pool]");
    assert_eq!(r.ret("model.rs", "me"), "&local Pool");
}

#[test]
fn fields_are_typed_through_the_declaring_module() {
    let mut r = Run::loose(&[
        (
            "lib.rs",
            "mod model; mod other;
             fn open() -> std::io::Result<model::Pool> { loop {} }
             fn look_alike() -> Option<other::Pool> { None }
             fn caller() {}",
        ),
        (
            "model.rs",
            "use std::sync::mpsc::Receiver;
             pub struct Pool { pub rx: Receiver<u8>, pub t: (u8, Handle) }
             pub struct Handle;",
        ),
        (
            "other.rs",
            "pub struct Receiver; pub struct Pool { pub rx: Receiver }",
        ),
    ]);
    assert_eq!(
        r.ret_field("lib.rs", "caller", "open", "rx"),
        "std::sync::mpsc::Receiver<u8>"
    );
    assert_eq!(r.ret_field("lib.rs", "caller", "open", "missing"), "?");
    assert_eq!(
        r.ret_field("lib.rs", "caller", "look_alike", "rx"),
        "local Receiver"
    );
}

#[test]
fn variant_fields_are_typed_by_variant_and_tuple_struct_patterns_by_the_struct() {
    use crate::semantic::items::variant_field;
    let mut r = Run::loose(&[(
        "lib.rs",
        "use std::sync::mpsc::Receiver;
         pub enum Cmd { Run(u8, Receiver<u8>), Send { rx: Receiver<u16> }, Off }
         pub struct Wrap(pub Receiver<u32>);
         fn cmd() -> Option<Cmd> { None }
         fn wrap() -> std::io::Result<Wrap> { loop {} }
         fn caller() {}",
    )]);
    let field = |r: &mut Run, f: &str, name: &str| r.ret_field("lib.rs", "caller", f, name);
    assert_eq!(
        field(&mut r, "cmd", &variant_field("Run", 1)),
        "std::sync::mpsc::Receiver<u8>"
    );
    assert_eq!(
        field(&mut r, "cmd", &variant_field("Run", 0)),
        "?",
        "a plain type"
    );
    assert_eq!(
        field(&mut r, "cmd", &variant_field("Send", "rx")),
        "std::sync::mpsc::Receiver<u16>"
    );
    assert_eq!(
        field(&mut r, "cmd", "rx"),
        "?",
        "a variant's field is not the enum's"
    );
    assert_eq!(field(&mut r, "cmd", &variant_field("Off", 0)), "?");
    // `Wrap(inner)` reads as a variant's pattern; on the struct it is its own field.
    assert_eq!(
        field(&mut r, "wrap", &variant_field("Wrap", 0)),
        "std::sync::mpsc::Receiver<u32>"
    );
    assert_eq!(field(&mut r, "wrap", &variant_field("Other", 0)), "?");
    assert_eq!(variant_field("r#ref", "r#type"), "ref.type");
}

#[test]
fn type_patterns_can_exclude_a_unit_error() {
    use crate::semantic::types::Ty;
    let path: std::sync::Arc<[crate::semantic::items::Name]> = ["std", "result", "Result"]
        .iter()
        .map(|s| (*s).into())
        .collect();
    let unit = Ty::External(
        path.clone(),
        vec![Ty::Tuple(Vec::new()), Ty::Tuple(Vec::new())],
    );
    let io = Ty::External(path.clone(), vec![Ty::Tuple(Vec::new()), Ty::Unknown]);
    assert!(unit.is("std::result::Result"));
    assert!(!unit.is("std::result::Result<_, !()>"));
    let handle = |out: Ty| {
        Ty::External(
            ["tokio", "task", "JoinHandle"]
                .iter()
                .map(|s| (*s).into())
                .collect(),
            vec![out],
        )
    };
    assert!(handle(io.clone()).is("tokio::task::JoinHandle<std::result::Result<_, !()>>"));
    assert!(!handle(unit.clone()).is("tokio::task::JoinHandle<std::result::Result<_, !()>>"));
    assert!(
        !handle(Ty::Tuple(Vec::new())).is("tokio::task::JoinHandle<std::result::Result<_, !()>>")
    );
    assert!(
        io.is("std::result::Result<_, !()>"),
        "an unknown error is not `()`"
    );
    let boxed = Ty::External(
        ["std", "sync", "Arc"].iter().map(|s| (*s).into()).collect(),
        vec![io],
    );
    assert!(boxed.is("std::result::Result<_, !()>"));
}

#[test]
fn type_patterns_reach_second_arguments_and_future_outputs() {
    use crate::semantic::types::Ty;
    let ext =
        |p: &str, args: Vec<Ty>| Ty::External(p.split("::").map(|s| s.into()).collect(), args);
    let join_error = ext("tokio::task::JoinError", Vec::new());
    let joined = ext(
        "std::option::Option",
        vec![ext("std::result::Result", vec![Ty::Unknown, join_error])],
    );
    let other = ext(
        "std::option::Option",
        vec![ext(
            "std::result::Result",
            vec![Ty::Unknown, ext("crate::TaskFailed", Vec::new())],
        )],
    );
    let pattern = "std::option::Option<std::result::Result<_, tokio::task::JoinError>>";
    assert!(joined.is(pattern));
    assert!(!other.is(pattern), "another error type");
    let future = Ty::Future(Box::new(joined.clone()));
    assert!(!future.is(pattern), "a future is not its output");
    assert!(future.is(&format!("future {pattern}")));
    assert!(!joined.is(&format!("future {pattern}")), "not a future");
}

#[test]
fn generic_struct_fields_take_the_arguments_of_the_use() {
    let mut r = Run::loose(&[
        (
            "lib.rs",
            "mod model;
             fn open() -> Option<model::Service<model::Pg>> { None }
             fn bare() -> Option<model::Service> { None }
             fn caller() {}",
        ),
        (
            "model.rs",
            "pub struct Service<R> { pub repo: R, pub all: Vec<R> }
             pub struct Pg;
             pub struct R;",
        ),
    ]);
    assert_eq!(r.ret_field("lib.rs", "caller", "open", "repo"), "local Pg");
    assert_eq!(
        r.ret_field("lib.rs", "caller", "open", "all"),
        "std::vec::Vec<local Pg>"
    );
    // The parameter `R` is never the struct named `R`: without an argument it is unknown.
    assert_eq!(r.ret_field("lib.rs", "caller", "bare", "repo"), "?");
}

#[test]
fn a_guard_is_its_own_type_and_derefs_to_the_guarded_value() {
    use crate::semantic::types::Ty;
    let path = |s: &str| -> std::sync::Arc<[crate::semantic::items::Name]> {
        s.split("::").map(Into::into).collect()
    };
    let rx = Ty::External(path("std::sync::mpsc::Receiver"), vec![Ty::Unknown]);
    let guard = Ty::External(path("std::sync::MutexGuard"), vec![rx]);
    assert!(guard.is("std::sync::MutexGuard"));
    assert!(guard.is("std::sync::mpsc::Receiver"));
    assert!(!guard.is("tokio::sync::mpsc::Receiver"));
    assert_eq!(
        guard.autoderef().external_path().as_deref(),
        Some("std::sync::mpsc::Receiver")
    );
}

#[test]
fn test_support_names_are_whole_words() {
    use crate::semantic::defmap::is_test_support_name;
    for yes in [
        "test",
        "tests",
        "testing",
        "test_utils",
        "docs_rs_test_fakes",
        "app-test",
        "testutil",
    ] {
        assert!(is_test_support_name(yes), "{yes}");
    }
    for no in [
        "contest",
        "attest",
        "latest",
        "testify",
        "protest_log",
        "tester",
    ] {
        assert!(!is_test_support_name(no), "{no}");
    }
}
