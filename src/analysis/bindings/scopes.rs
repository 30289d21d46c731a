//! Names bound in nested scopes, for rules that track what some names hold (a join handle, a
//! `JoinSet`, a join result): the latest binding of a name in the innermost scope hides the others,
//! and a scope's bindings end with it.

use syn::Pat;

use super::patterns::bound_names;

/// A binding that knows its name.
pub trait Named {
    /// The bound name.
    fn name(&self) -> &str;
}

/// A stack of scopes, each holding its bindings in the order they were made.
#[derive(Debug)]
pub struct Scopes<B> {
    frames: Vec<Vec<B>>,
}

impl<B> Default for Scopes<B> {
    fn default() -> Self {
        Scopes { frames: Vec::new() }
    }
}

impl<B: Named> Scopes<B> {
    /// Opens a scope.
    pub fn push(&mut self) {
        self.frames.push(Vec::new());
    }

    /// Closes the innermost scope and hands back its bindings.
    pub fn pop(&mut self) -> Option<Vec<B>> {
        self.frames.pop()
    }

    /// Binds in the innermost scope (opening one if there is none).
    pub fn bind(&mut self, b: B) {
        if self.frames.is_empty() {
            self.frames.push(Vec::new());
        }
        if let Some(frame) = self.frames.last_mut() {
            frame.push(b);
        }
    }

    /// The binding made last in the innermost scope.
    pub fn last_mut(&mut self) -> Option<&mut B> {
        self.frames.last_mut().and_then(|f| f.last_mut())
    }

    /// The visible binding of `name`.
    pub fn lookup(&self, name: &str) -> Option<&B> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .find(|b| b.name() == name)
    }

    /// The visible binding of `name`, to update it.
    pub fn lookup_mut(&mut self, name: &str) -> Option<&mut B> {
        self.frames
            .iter_mut()
            .rev()
            .flat_map(|f| f.iter_mut().rev())
            .find(|b| b.name() == name)
    }

    /// Whether no scope holds a binding.
    pub fn is_empty(&self) -> bool {
        self.frames.iter().all(Vec::is_empty)
    }

    /// Every binding, outer scopes first (hidden ones included).
    pub fn iter(&self) -> impl Iterator<Item = &B> {
        self.frames.iter().flatten()
    }

    /// The names a pattern binds that hide a binding here.
    pub fn shadowed_by(&self, pat: &Pat) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut names = Vec::new();
        bound_names(pat, &mut names);
        names.retain(|n| self.lookup(n).is_some());
        names
    }
}
