//! Local bindings visible at the current point of a walk, with the type each provably has when
//! syntax tells (`let child = Command::new("x").spawn()?;`, `rx: Receiver<u8>`). Maintained by
//! the walk (the `walk` module) like [`crate::analysis::imports::Imports`]; rules query it through
//! `FileCx::local`. Any other binding of the same name (a pattern, a closure
//! parameter, a `for` variable) shadows it with an unknown type, so a lookup never guesses.

use crate::analysis::ty::Ty;

/// Where a binding's value comes from, by byte range of the file's text (re-read only when a
/// rule asks for the binding's symbolic type; see `syms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Nothing known.
    None,
    /// `name: Type` (a parameter or annotated `let`): the type's text.
    Type(u32, u32),
    /// `let name = init;`: the initializer's text, read with the bindings below `limit`.
    Init {
        /// Start of the initializer.
        start: u32,
        /// Its end.
        end: u32,
        /// Bindings visible to the initializer (those before this one).
        limit: u32,
    },
    /// `for name in iter` (an element of the iterated value).
    Elem {
        /// Start of the iterated expression.
        start: u32,
        /// Its end.
        end: u32,
        /// Bindings visible to it.
        limit: u32,
    },
    /// `let S { field: name, .. } = e` (or the shorthand `S { field }`): a field of `e`.
    Field {
        /// Start of the destructured expression.
        start: u32,
        /// Its end.
        end: u32,
        /// Bindings visible to it.
        limit: u32,
        /// The field's name, by its byte range in the pattern.
        field: (u32, u32),
        /// For a struct-variant pattern (`Cmd::Send { tx }`), the variant's name by its byte
        /// range (`(0, 0)`: a struct pattern).
        variant: (u32, u32),
    },
    /// `Enum::Variant(.., name, ..) => ..` matched on `e`: field `index` of variant `Variant`
    /// of `e`'s type.
    Variant {
        /// Start of the matched expression.
        start: u32,
        /// Its end.
        end: u32,
        /// Bindings visible to it.
        limit: u32,
        /// The variant's name, by its byte range in the pattern.
        variant: (u32, u32),
        /// The position of the bound field.
        index: u32,
        /// Whether the variant is of `e`'s `Some`/`Ok` value (`Some(Cmd::Run(args))`).
        unwrap: bool,
    },
    /// `if let Some(name) = e` / `Ok(name)`: the inner value of `e`.
    Unwrap {
        /// Start of the scrutinee.
        start: u32,
        /// Its end.
        end: u32,
        /// Bindings visible to it.
        limit: u32,
    },
}

/// A binding: its name and, when known, the canonical path of its type.
#[derive(Debug, Clone)]
struct Binding {
    name: String,
    ty: Option<Ty>,
    /// The declared type's path in the file's item summary (`u32::MAX`: none).
    decl: u32,
    /// Where its value comes from, with the item scope and impl it was bound in.
    src: (Source, u32, u32),
    /// Its symbolic type once read from its source (`u32::MAX`: not yet; see
    /// [`Locals::memoize`]).
    memo: u32,
    /// Declared as a type parameter of its fn (`a: A`, `a: &A`, `a: impl Trait`): its type, and
    /// so the impl its trait methods run, is the caller's choice.
    generic: bool,
}

/// The bindings of the fn being walked: one frame per block, closure or `for` body.
#[derive(Debug, Default)]
pub struct Locals {
    bindings: Vec<Binding>,
    /// (start index in `bindings`, whether the frame is a fn body that hides outer bindings).
    frames: Vec<(usize, bool)>,
}

impl Locals {
    /// Opens a frame; a `boundary` frame (a fn item's body) hides every outer binding.
    pub fn push(&mut self, boundary: bool) {
        self.frames.push((self.bindings.len(), boundary));
    }

    /// Closes the innermost frame and drops its bindings.
    pub fn pop(&mut self) {
        if let Some((start, _)) = self.frames.pop() {
            self.bindings.truncate(start);
        }
    }

    /// Binds `name` in the innermost frame (shadowing earlier bindings).
    pub fn bind(&mut self, name: String, ty: Option<Ty>) {
        self.bindings.push(Binding {
            name,
            ty,
            decl: u32::MAX,
            src: (Source::None, 0, u32::MAX),
            memo: u32::MAX,
            generic: false,
        });
    }

    /// How many bindings exist (a limit for [`Source::Init`]).
    pub fn len(&self) -> u32 {
        self.bindings.len() as u32
    }

    /// Whether no binding exists.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// Records where the latest binding of `name` gets its value (written in item scope
    /// `scope`, inside impl `imp`).
    pub fn set_source(&mut self, name: &str, src: Source, scope: u32, imp: u32) {
        if let Some(b) = self.bindings.iter_mut().rev().find(|b| b.name == name) {
            b.src = (src, scope, imp);
        }
    }

    /// Where local `name`, as seen by an expression that sees only the first `limit` bindings,
    /// gets its value: `None` when it is not a local.
    pub fn source(&self, name: &str, limit: u32) -> Option<(Source, u32, u32)> {
        self.find_below(name, limit).map(|i| self.bindings[i].src)
    }

    /// The binding [`Locals::source`] answers from, by index, with its memoized symbolic type.
    pub fn source_at(&self, name: &str, limit: u32) -> Option<(usize, (Source, u32, u32), u32)> {
        let i = self.find_below(name, limit)?;
        Some((i, self.bindings[i].src, self.bindings[i].memo))
    }

    /// Memoizes the symbolic type of binding `index` (see [`Locals::source_at`]; `u32::MAX - 1`
    /// for "none").
    pub fn memoize(&mut self, index: usize, sym: u32) {
        if let Some(b) = self.bindings.get_mut(index) {
            b.memo = sym;
        }
    }

    fn find_below(&self, name: &str, limit: u32) -> Option<usize> {
        let floor = self.frames.iter().rev().find(|f| f.1).map_or(0, |f| f.0);
        let end = (limit as usize).min(self.bindings.len());
        (floor..end.max(floor))
            .rev()
            .find(|&i| self.bindings[i].name == name)
    }

    /// Records the declared type (a path of the file's item summary) of the latest binding of
    /// `name`.
    pub fn set_decl(&mut self, name: &str, decl: u32) {
        if let Some(b) = self.bindings.iter_mut().rev().find(|b| b.name == name) {
            b.decl = decl;
        }
    }

    /// Marks the latest binding of `name` as declared with a type parameter of its fn.
    pub fn set_generic(&mut self, name: &str) {
        if let Some(b) = self.bindings.iter_mut().rev().find(|b| b.name == name) {
            b.generic = true;
        }
    }

    /// Whether local `name` is declared with a type parameter of its fn ([`Locals::set_generic`]).
    pub fn is_generic(&self, name: &str) -> bool {
        self.find(name).is_some_and(|b| b.generic)
    }

    /// The declared type (a path of the file's item summary) of local `name`, if it has one.
    pub fn decl(&self, name: &str) -> Option<u32> {
        self.find(name).map(|b| b.decl).filter(|&d| d != u32::MAX)
    }

    /// `None` when `name` is not a local of the current fn; `Some(ty)` when it is (`ty` is its
    /// type when known).
    pub fn lookup(&self, name: &str) -> Option<Option<&'static str>> {
        self.find(name).map(|b| match b.ty {
            Some(Ty::One(t)) => Some(t),
            _ => None,
        })
    }

    /// Like [`Locals::lookup`], with collection types ([`Ty::Elems`]).
    pub fn lookup_ty(&self, name: &str) -> Option<Option<Ty>> {
        self.find(name).map(|b| b.ty)
    }

    /// The innermost binding of `name` within the current fn.
    fn find(&self, name: &str) -> Option<&Binding> {
        let floor = self.frames.iter().rev().find(|f| f.1).map_or(0, |f| f.0);
        self.bindings
            .get(floor..)?
            .iter()
            .rev()
            .find(|b| b.name == name)
    }
}

/// Every identifier a pattern binds.
pub fn pattern_idents(pat: &syn::Pat, out: &mut Vec<String>) {
    use syn::Pat;
    match pat {
        Pat::Ident(p) => {
            out.push(p.ident.to_string());
            if let Some((_, sub)) = &p.subpat {
                pattern_idents(sub, out);
            }
        }
        Pat::Or(p) => p.cases.iter().for_each(|c| pattern_idents(c, out)),
        Pat::Paren(p) => pattern_idents(&p.pat, out),
        Pat::Reference(p) => pattern_idents(&p.pat, out),
        Pat::Slice(p) => p.elems.iter().for_each(|c| pattern_idents(c, out)),
        Pat::Struct(p) => p.fields.iter().for_each(|f| pattern_idents(&f.pat, out)),
        Pat::Tuple(p) => p.elems.iter().for_each(|c| pattern_idents(c, out)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|c| pattern_idents(c, out)),
        Pat::Type(p) => pattern_idents(&p.pat, out),
        Pat::Guard(p) => pattern_idents(&p.pat, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadowing_and_fn_boundaries() {
        let mut l = Locals::default();
        l.push(true);
        l.bind("rx".into(), Some(Ty::One("std::sync::mpsc::Receiver")));
        assert_eq!(l.lookup("rx"), Some(Some("std::sync::mpsc::Receiver")));
        l.push(false);
        l.bind("rx".into(), None);
        assert_eq!(l.lookup("rx"), Some(None));
        l.pop();
        assert_eq!(l.lookup("rx"), Some(Some("std::sync::mpsc::Receiver")));
        l.push(true);
        assert_eq!(l.lookup("rx"), None);
        l.pop();
        l.pop();
        assert_eq!(l.lookup("rx"), None);
    }
}
