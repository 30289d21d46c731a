//! Name resolution by `use` items: maps the names a scope imports to canonical paths, so that
//! `sleep(d)` after `use std::thread::sleep;` and `t::sleep(d)` after `use std::thread as t;`
//! both resolve to `std::thread::sleep`, while `tokio::time::sleep` stays tokio's.

use syn::{Item, UseTree};

/// A canonical path, as segments (`["std", "thread", "sleep"]`).
pub type CanonPath = Vec<String>;

/// Returns true when `path` equals the `::`-separated `expected` (e.g. `"std::thread::sleep"`).
pub fn path_is(path: &[String], expected: &str) -> bool {
    crate::semantic::names::spells(path.iter().map(String::as_str), expected)
}

/// Joins a canonical path with `::`.
pub fn display(path: &[String]) -> String {
    path.join("::")
}

#[derive(Debug, Clone)]
struct Import {
    local: String,
    target: CanonPath,
}

/// The imports visible at the current point of a walk: one frame per module or block.
#[derive(Debug, Default)]
pub struct Imports {
    /// Each scope's imports, and whether it is a module (which does not see its parent's).
    frames: Vec<(Vec<Import>, bool)>,
    /// Every crate root named by any import or path prefix in the file (for runtime detection).
    crate_roots: Vec<String>,
}

impl Imports {
    /// Opens a block's scope holding the `use` items among `items` (it also sees the enclosing
    /// scopes' imports).
    pub fn push<'a>(&mut self, items: impl Iterator<Item = &'a Item>) {
        self.open(items, false);
    }

    /// Opens an inline module's scope holding the `use` items among `items`: a module sees its
    /// own imports, not its parent's.
    pub fn push_module<'a>(&mut self, items: impl Iterator<Item = &'a Item>) {
        self.open(items, true);
    }

    fn open<'a>(&mut self, items: impl Iterator<Item = &'a Item>, module: bool) {
        let mut frame = Vec::new();
        for item in items {
            match item {
                Item::Use(u) => collect_tree(&u.tree, &mut Vec::new(), &mut frame),
                Item::ExternCrate(e) => {
                    if let Some((_, rename)) = &e.rename {
                        frame.push(Import {
                            local: rename.to_string(),
                            target: vec![e.ident.to_string()],
                        });
                    }
                }
                _ => {}
            }
        }
        for imp in &frame {
            if let Some(root) = imp.target.first()
                && !self.crate_roots.contains(root)
            {
                self.crate_roots.push(root.clone());
            }
        }
        self.frames.push((frame, module));
    }

    /// The visible scopes, innermost first: up to and including the innermost module.
    fn visible(&self) -> impl Iterator<Item = &Vec<Import>> {
        let floor = self.frames.iter().rposition(|f| f.1).unwrap_or(0);
        self.frames[floor..].iter().rev().map(|f| &f.0)
    }

    /// Closes the innermost scope.
    pub fn pop(&mut self) {
        self.frames.pop();
    }

    /// The canonical path a local name refers to, if some visible `use` imports it.
    pub fn lookup(&self, name: &str) -> Option<&CanonPath> {
        self.visible()
            .flat_map(|f| f.iter().rev())
            .find(|i| i.local == name)
            .map(|i| &i.target)
    }

    /// Resolves a path expression's path to canonical segments: the first segment is replaced by
    /// what it imports; `crate`/`self`/`super` and unimported names stay as written.
    pub fn resolve(&self, path: &syn::Path) -> CanonPath {
        let mut segs = path.segments.iter();
        let Some(first) = segs.next() else {
            return Vec::new();
        };
        let rest = segs.len();
        // The first segment is looked up in place; its text is copied only when it stays.
        let mut out = crate::semantic::names::with_ident(&first.ident, |name| {
            match path
                .leading_colon
                .is_none()
                .then(|| self.lookup(name))
                .flatten()
            {
                Some(target) => {
                    let mut out = Vec::with_capacity(target.len() + rest);
                    out.extend(target.iter().cloned());
                    out
                }
                None => {
                    let mut out = Vec::with_capacity(1 + rest);
                    out.push(name.to_string());
                    out
                }
            }
        });
        out.extend(segs.map(|s| s.ident.to_string()));
        out
    }

    /// Whether a visible `use` brings the item at canonical `path` into scope: by name, renamed,
    /// as `_`, or through a glob of its parent module (for trait methods).
    pub fn in_scope(&self, path: &str) -> bool {
        let parent = path.rsplit_once("::").map_or("", |p| p.0);
        self.visible().flatten().any(|i| {
            let target = display(&i.target);
            if i.local == "*" {
                target == parent
            } else {
                target == path
            }
        })
    }

    /// Whether any `use` in the file imports from `root` (e.g. `"tokio"`).
    pub fn imports_crate(&self, root: &str) -> bool {
        self.crate_roots.iter().any(|r| r == root)
    }
}

fn collect_tree(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<Import>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            collect_tree(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last() {
                    out.push(Import {
                        local: last.clone(),
                        target: prefix.clone(),
                    });
                }
            } else {
                let mut target = prefix.clone();
                target.push(name.clone());
                out.push(Import {
                    local: name,
                    target,
                });
            }
        }
        UseTree::Rename(r) => {
            let name = r.ident.to_string();
            let target = if name == "self" {
                prefix.clone()
            } else {
                let mut t = prefix.clone();
                t.push(name);
                t
            };
            // `as _` imports a trait for its methods only: kept under `_`, never looked up.
            let local = r.rename.to_string();
            out.push(Import { local, target });
        }
        // A glob is kept under `*` (never looked up by name) for [`Imports::in_scope`].
        UseTree::Glob(_) => out.push(Import {
            local: "*".to_string(),
            target: prefix.clone(),
        }),
        UseTree::Group(g) => {
            for t in &g.items {
                collect_tree(t, prefix, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(src: &str, path: &str) -> String {
        let file: syn::File = syn::parse_str(src).unwrap();
        let mut imports = Imports::default();
        imports.push(file.items.iter());
        display(&imports.resolve(&syn::parse_str(path).unwrap()))
    }

    #[test]
    fn resolves_every_import_form() {
        assert_eq!(
            resolve("use std::thread::sleep;", "sleep"),
            "std::thread::sleep"
        );
        assert_eq!(
            resolve("use std::thread as t;", "t::sleep"),
            "std::thread::sleep"
        );
        assert_eq!(
            resolve("use std::{fs, thread::{self, sleep as nap}};", "nap"),
            "std::thread::sleep"
        );
        assert_eq!(
            resolve("use std::{fs, thread::{self}};", "thread::sleep"),
            "std::thread::sleep"
        );
        assert_eq!(
            resolve("use tokio::time::sleep;", "sleep"),
            "tokio::time::sleep"
        );
        assert_eq!(resolve("", "std::thread::sleep"), "std::thread::sleep");
        assert_eq!(
            resolve("use std::thread;", "::thread::sleep"),
            "thread::sleep"
        );
    }
}
