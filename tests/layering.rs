//! The architecture test: the crate's top-level modules form layers, and no module imports one
//! above it.
//!
//! Every file under `src/` (but `lib.rs`, `main.rs` and `bin/`) is parsed with syn; every path
//! into the crate (`use crate::x`, `crate::x::f()`, `super::` reaching the root, `$crate::x` in
//! macro bodies, `"crate::x::f"` in attributes such as `#[serde(with = ..)]`) is an edge from the
//! file's top-level module to `x`. Unit tests (`#[cfg(test)]` items, and the files of
//! `#[cfg(test)] mod x;`) may use the whole crate and are not counted. The test fails when
//! - a module of the semantic or analysis layer imports a module outside its allowed set
//!   ([`ALLOWED`]), or a rule imports the driver ([`RULES_MUST_NOT_IMPORT`]);
//! - the top-level modules have an import cycle (it is reported with the files of each edge);
//! - two files import each other, directly or through others (the same scan, at the level of
//!   files: a path reaches the file of the longest module it names).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// Edges from a top-level module to the files that make them: `from -> to -> files`.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// What the bottom layers may import, besides themselves. Anything else (rules, the lint driver,
/// config, selection, run, cache, render, fix, the CLI) is above them.
const ALLOWED: &[(&str, &[&str])] = &[
    // The semantic layer: project model, item summaries, name resolution, declared types.
    ("semantic", &[]),
    // Per-file infrastructure below the analysis.
    ("fsutil", &[]),
    ("allocator", &[]),
    ("span", &["source"]),
    ("source", &[]),
    ("diagnostic", &["source"]),
    ("tokio_features", &["diagnostic", "source"]),
    (
        "project",
        &["semantic", "tokio_features", "diagnostic", "source"],
    ),
    ("suppress", &["diagnostic", "source", "span"]),
    // The analysis layer: the per-file view rules see (`FileCx`, `Sink`, the `Rule` interface),
    // shared facts and the crate index.
    (
        "analysis",
        &[
            "semantic",
            "span",
            "source",
            "diagnostic",
            "tokio_features",
            "project",
            "suppress",
            "allocator",
            "fsutil",
        ],
    ),
    // The one walk of a file's bodies that calls every rule's hooks.
    (
        "walk",
        &[
            "analysis",
            "semantic",
            "span",
            "source",
            "diagnostic",
            "project",
            "tokio_features",
        ],
    ),
];

/// Modules a rule must never import: the driver, configuration and output above the rules.
const RULES_MUST_NOT_IMPORT: &[&str] = &[
    "lint",
    "run",
    "config",
    "selection",
    "scope",
    "cache",
    "crate_phase",
    "partial",
    "render",
    "fix",
    "cli",
    "workflow",
    "outcome",
    "baseline",
];

#[test]
fn lower_layers_import_nothing_above_them() {
    let graph = module_graph();
    let mut bad = Vec::new();
    for (module, allowed) in ALLOWED {
        for (to, files) in graph.get(*module).into_iter().flatten() {
            if !allowed.contains(&to.as_str()) {
                bad.push(format!("{module} -> {to} (in {})", list(files)));
            }
        }
    }
    for (to, files) in graph.get("rules").into_iter().flatten() {
        if RULES_MUST_NOT_IMPORT.contains(&to.as_str()) {
            bad.push(format!("rules -> {to} (in {})", list(files)));
        }
    }
    assert!(
        bad.is_empty(),
        "imports from a lower layer into a higher one:\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let cycles = cycles(&module_graph());
    assert!(
        cycles.is_empty(),
        "import cycles among top-level modules:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn no_file_imports_itself_through_others() {
    let cycles = cycles(&file_graph());
    assert!(
        cycles.is_empty(),
        "import cycles among files:\n{}",
        cycles.join("\n")
    );
}

/// Every cycle of the graph, described with the files of its edges.
fn cycles(graph: &Graph) -> Vec<String> {
    strongly_connected(graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| describe_cycle(graph, &c))
        .collect()
}

#[test]
fn the_scan_sees_every_kind_of_crate_path() {
    let text = r#"
        use crate::a::X;
        use crate::{b::Y, c};
        use super::d;
        fn f() { crate::e::g(); let _ = <crate::f::T as Tr>::C; }
        macro_rules! m { () => { $crate::g::h() }; }
        #[derive(S)]
        struct S { #[serde(with = "crate::h::serde")] x: u8 }
        #[cfg(test)]
        mod tests { use crate::not_counted::Z; }
        mod inner { use super::super::i::W; use super::j; }
        #[cfg(test)]
        mod file_tests;
        /// Read [`crate::k::f`] and [the docs](crate::l::T), not crate::m::x in prose.
        fn documented() {}
    "#;
    let known: BTreeSet<String> = "a b c d e f g h i j not_counted me"
        .split(' ')
        .map(String::from)
        .collect();
    let file = syn::parse_file(text).expect("parses");
    let mut scan = Scan {
        module: vec!["me".to_string()],
        found: BTreeSet::new(),
        reached: BTreeSet::new(),
        test_modules: Vec::new(),
        doc_links: BTreeSet::new(),
    };
    scan.visit_file(&file);
    assert_eq!(
        scan.test_modules,
        vec![vec!["me".to_string(), "file_tests".to_string()]]
    );
    for want in [
        &["a", "X"][..],
        &["d"],
        &["e", "g"],
        &["g", "h"],
        &["h", "serde"],
        &["i", "W"],
        &["me", "j"],
    ] {
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        assert!(
            scan.reached.contains(&want),
            "{want:?} in {:?}",
            scan.reached
        );
    }
    assert!(!scan.reached.iter().any(|p| p[0] == "not_counted"));
    // Doc links are edges of the file graph only.
    let links: Vec<Vec<String>> = scan.doc_links.iter().cloned().collect();
    assert_eq!(
        links,
        vec![
            vec!["k".to_string(), "f".to_string()],
            vec!["l".to_string(), "T".to_string()]
        ]
    );
    assert!(!scan.reached.iter().any(|p| p[0] == "k" || p[0] == "l"));
    let found: BTreeSet<String> = scan
        .found
        .into_iter()
        .filter(|m| known.contains(m) && m != "me")
        .collect();
    let want: BTreeSet<String> = "a b c d e f g h i".split(' ').map(String::from).collect();
    assert_eq!(found, want);
}

#[test]
fn a_cycle_is_found_and_described() {
    let mut graph = Graph::new();
    let mut edge = |a: &str, b: &str| {
        graph
            .entry(a.to_string())
            .or_default()
            .entry(b.to_string())
            .or_default()
            .insert(format!("src/{a}.rs"));
    };
    edge("x", "y");
    edge("y", "z");
    edge("z", "x");
    edge("z", "w");
    let sccs: Vec<Vec<String>> = strongly_connected(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    assert_eq!(sccs.len(), 1);
    let text = describe_cycle(&graph, &sccs[0]);
    assert!(text.contains("x -> y"), "{text}");
    assert!(text.contains("z -> x"), "{text}");
    assert!(!text.contains("-> w"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// the module graph

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules: `src/x.rs` and `src/x/`.
fn top_level_modules() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(src_dir()).expect("src/ is readable") {
        let path = entry.expect("src/ entry").path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.is_dir() || path.extension().is_some_and(|e| e == "rs") {
            out.insert(name.to_string());
        }
    }
    for binary in ["lib", "main", "bin"] {
        out.remove(binary);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

/// Every file under `src/` but the binaries' and unit tests' (`#[cfg(test)] mod x;`), scanned:
/// (module path, shown path, what its paths reach).
fn scanned_files() -> Vec<(Vec<String>, String, Scan)> {
    let src = src_dir();
    let modules = top_level_modules();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut scanned = Vec::new();
    let mut test_modules: Vec<Vec<String>> = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("under src/").to_path_buf();
        let module = module_of(&rel);
        let Some(top) = module.first() else {
            continue;
        };
        if !modules.contains(top) {
            continue; // lib.rs, main.rs, bin/
        }
        let text = std::fs::read_to_string(&path).expect("readable source");
        let file = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", rel.display()));
        let mut scan = Scan {
            module: module.clone(),
            found: BTreeSet::new(),
            reached: BTreeSet::new(),
            test_modules: Vec::new(),
            doc_links: BTreeSet::new(),
        };
        scan.visit_file(&file);
        test_modules.append(&mut scan.test_modules);
        let shown = format!("src/{}", rel.to_string_lossy().replace('\\', "/"));
        scanned.push((module, shown, scan));
    }
    scanned.retain(|(module, _, _)| !test_modules.iter().any(|t| module.starts_with(t)));
    scanned
}

fn module_graph() -> Graph {
    let modules = top_level_modules();
    let mut graph = Graph::new();
    for (module, shown, scan) in scanned_files() {
        let top = &module[0];
        for to in scan.found {
            if to != *top && modules.contains(&to) {
                graph
                    .entry(top.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(shown.clone());
            }
        }
    }
    graph
}

/// The graph of files: an edge from a file to each other file whose module its paths or its
/// doc links reach (the longest module path that is a file's; a path into the file's own
/// module is no edge).
fn file_graph() -> Graph {
    let scanned = scanned_files();
    let files: BTreeMap<Vec<String>, String> = scanned
        .iter()
        .map(|(module, shown, _)| (module.clone(), shown.clone()))
        .collect();
    let mut graph = Graph::new();
    for (module, shown, scan) in &scanned {
        for path in scan.reached.iter().chain(&scan.doc_links) {
            let Some(to) = (1..=path.len())
                .rev()
                .find_map(|n| files.get_key_value(&path[..n]))
                .map(|(m, _)| m)
            else {
                continue;
            };
            if to != module {
                graph
                    .entry(shown.clone())
                    .or_default()
                    .entry(files[to].clone())
                    .or_default()
                    .insert(shown.clone());
            }
        }
    }
    graph
}

/// Collects the top-level modules a file's paths reach.
struct Scan {
    /// The module being visited (the file's, plus inline modules).
    module: Vec<String>,
    /// First segments below the crate root that paths reach.
    found: BTreeSet<String>,
    /// Every path into the crate, as segments below the crate root (`super` and `self`
    /// resolved against [`Scan::module`]).
    reached: BTreeSet<Vec<String>>,
    /// Modules in files of their own compiled only for unit tests (`#[cfg(test)] mod x;`).
    test_modules: Vec<Vec<String>>,
    /// Paths that doc comments link to (`[`crate::a::b`]`), as segments below the crate root:
    /// a link is a dependency of the docs, so a file must not link to a layer above it.
    doc_links: BTreeSet<Vec<String>>,
}

impl Scan {
    /// Records a path given as its leading segments (`crate`, `super`, `self`, names).
    fn path(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        match first.as_str() {
            "crate" => {
                if let Some(next) = segments.get(1) {
                    self.found.insert(next.clone());
                    self.reached.insert(segments[1..].to_vec());
                }
            }
            "self" => {
                let mut abs = self.module.clone();
                abs.extend(segments[1..].iter().cloned());
                self.reached.insert(abs);
            }
            "super" => {
                // `super` taken as many times as the module is deep reaches the crate root;
                // fewer stay inside the file's own top-level module.
                let supers = segments.iter().take_while(|s| *s == "super").count();
                if supers <= self.module.len() {
                    let mut abs = self.module[..self.module.len() - supers].to_vec();
                    abs.extend(segments[supers..].iter().cloned());
                    self.reached.insert(abs);
                }
                if supers >= self.module.len()
                    && let Some(next) = segments.get(supers)
                {
                    self.found.insert(next.clone());
                }
            }
            _ => {}
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.path(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.path(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.path(prefix),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    /// `crate :: x` and `$crate :: x` in macro bodies and attribute arguments, and string
    /// literals naming `crate::x::..` in attributes.
    fn tokens(&mut self, tokens: TokenStream, strings: bool) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, t) in trees.iter().enumerate() {
            match t {
                TokenTree::Group(g) => self.tokens(g.stream(), strings),
                TokenTree::Ident(id) if id == "crate" => {
                    let colons = matches!(
                        (trees.get(i + 1), trees.get(i + 2)),
                        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                            if a.as_char() == ':' && b.as_char() == ':'
                    );
                    if let (true, Some(TokenTree::Ident(next))) = (colons, trees.get(i + 3)) {
                        self.found.insert(next.to_string());
                        self.reached.insert(token_path(&trees[i + 3..]));
                    }
                }
                TokenTree::Literal(lit) if strings => {
                    let text = lit.to_string();
                    if let Some(rest) = text.strip_prefix("\"crate::") {
                        let path: Vec<String> = rest
                            .trim_end_matches('"')
                            .split("::")
                            .map(|s| {
                                s.chars()
                                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                                    .collect()
                            })
                            .collect();
                        self.found.insert(path[0].clone());
                        self.reached.insert(path);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The `crate::` paths of the intra-doc links in a doc comment's text (`[`crate::a::B`]`,
/// `[text](crate::a::f)`), as segments below the crate root.
fn doc_links(text: &str) -> Vec<Vec<String>> {
    text.match_indices("crate::")
        .filter(|(at, _)| matches!(text[..*at].chars().last(), Some('`' | '(' | '[')))
        .map(|(at, _)| {
            let rest = &text[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end]
                .split("::")
                .take_while(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<String>>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// The path a token run spells from its first identifier: `a :: b :: c` gives `[a, b, c]`.
fn token_path(trees: &[TokenTree]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = trees;
    while let Some(TokenTree::Ident(id)) = rest.first() {
        out.push(id.to_string());
        match rest {
            [_, TokenTree::Punct(a), TokenTree::Punct(b), tail @ ..]
                if a.as_char() == ':' && b.as_char() == ':' =>
            {
                rest = tail;
            }
            _ => break,
        }
    }
    out
}

/// Whether an item is compiled only for unit tests.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && matches!(&a.meta, syn::Meta::List(l) if l.tokens.to_string() == "test")
    })
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item;
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !is_cfg_test(item_attrs(item)) {
            visit::visit_item(self, item);
        } else if let syn::Item::Mod(m) = item
            && m.content.is_none()
        {
            let mut path = self.module.clone();
            path.push(m.ident.to_string());
            self.test_modules.push(path);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs: &[syn::Attribute] = match item {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            syn::ImplItem::Type(t) => &t.attrs,
            _ => &[],
        };
        if !is_cfg_test(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.module.push(m.ident.to_string());
            visit::visit_item_mod(self, m);
            self.module.pop();
        } else {
            visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.path(&segments);
        visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone(), false);
        visit::visit_macro(self, m);
    }

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if a.path().is_ident("doc") {
            if let syn::Meta::NameValue(nv) = &a.meta
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) = &nv.value
            {
                self.doc_links.extend(doc_links(&text.value()));
            }
            return;
        }
        if let syn::Meta::List(l) = &a.meta {
            self.tokens(l.tokens.clone(), true);
        }
        visit::visit_attribute(self, a);
    }
}

// ---------------------------------------------------------------------------------------------
// cycles

/// Tarjan's strongly connected components of the graph.
fn strongly_connected(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn connect<'g>(s: &mut State<'g>, v: &'g str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flat_map(|m| m.keys()) {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                connect(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            connect(&mut s, v);
        }
    }
    s.out
}

/// One cycle through the first module of a strongly connected component, each edge with the
/// files that make it, and the component's other members.
fn describe_cycle(graph: &Graph, component: &[String]) -> String {
    let inside: BTreeSet<&str> = component.iter().map(String::as_str).collect();
    let start = component[0].as_str();
    // Breadth-first from `start` within the component, back to `start`.
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut closing = None;
    while let Some(v) = queue.pop_front() {
        for w in graph.get(v).into_iter().flat_map(|m| m.keys()) {
            let w = w.as_str();
            if !inside.contains(w) {
                continue;
            }
            if w == start {
                closing = Some(v);
                break;
            }
            if !parent.contains_key(w) {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
        if closing.is_some() {
            break;
        }
    }
    let mut path = vec![start];
    if let Some(mut v) = closing {
        let mut back = vec![v];
        while v != start {
            v = parent[v];
            back.push(v);
        }
        back.pop();
        back.reverse();
        path.extend(back);
        path.push(start);
    }
    let mut text = format!("  cycle in {{{}}}:\n", component.join(", "));
    for pair in path.windows(2) {
        let files = &graph[pair[0]][pair[1]];
        text.push_str(&format!(
            "    {} -> {} (in {})\n",
            pair[0],
            pair[1],
            list(files)
        ));
    }
    text
}

fn list(files: &BTreeSet<String>) -> String {
    files.iter().cloned().collect::<Vec<_>>().join(", ")
}
