//! Which closure arguments of a file's own fns run where the call is written: a fn that takes
//! `body: impl FnOnce(&Runtime) -> T` (or a type parameter bounded by `Fn`, `FnMut` or
//! `FnOnce`) and calls `body(..)` directly in its body, not inside a closure, an async block or
//! an item, runs the closure it is given before it returns. A closure passed there runs in the
//! caller's context (an async fn's thread), and its parameters have the types the bound names.
//!
//! Only a fn the call provably names is consulted: a single-segment path, no local of that
//! name, written in the module that defines the fn (not in a block that declares items of its
//! own), and exactly one fn of that name in the module (cfg alternatives are not guessed).

use syn::visit::Visit;
use syn::{Expr, FnArg, GenericParam, Item, Pat, Type, TypeParamBound, WherePredicate};

/// A closure parameter of a fn that the fn calls in place: its position among the fn's
/// parameters and the input types its `Fn*` bound declares.
#[derive(Clone)]
pub struct InPlaceParam<'a> {
    /// Position of the parameter.
    pub index: usize,
    /// The closure's parameter types, as the bound writes them (`&Runtime` of
    /// `FnOnce(&Runtime) -> T`).
    pub inputs: Vec<&'a Type>,
}

/// The in-place closure parameters of the fn named `name` among `items` (a module's items),
/// or an empty list when there is none, several, or it calls none in place.
pub fn params<'a>(items: &'a [Item], name: &str) -> Vec<InPlaceParam<'a>> {
    let mut fns = items.iter().filter_map(|i| match i {
        Item::Fn(f) if f.sig.ident == name => Some(f),
        _ => None,
    });
    let (Some(f), None) = (fns.next(), fns.next()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (index, arg) in f.sig.inputs.iter().enumerate() {
        let FnArg::Typed(pt) = arg else { continue };
        let Pat::Ident(p) = &*pt.pat else { continue };
        let Some(inputs) = closure_inputs(&f.sig, &pt.ty) else {
            continue;
        };
        let mut calls = DirectCall {
            name: &p.ident,
            found: false,
        };
        calls.visit_block(&f.block);
        if calls.found {
            out.push(InPlaceParam { index, inputs });
        }
    }
    out
}

/// The input types of the `Fn*` bound of a parameter type: `impl FnOnce(A) -> T`, or a type
/// parameter `F` bounded inline (`<F: Fn(A)>`) or in the `where` clause.
fn closure_inputs<'a>(sig: &'a syn::Signature, ty: &'a Type) -> Option<Vec<&'a Type>> {
    match ty {
        Type::ImplTrait(t) => fn_bound(t.bounds.iter()),
        Type::Path(p) if p.qself.is_none() => {
            let id = p.path.get_ident()?;
            let inline = sig.generics.params.iter().find_map(|g| match g {
                GenericParam::Type(t) if t.ident == *id => fn_bound(t.bounds.iter()),
                _ => None,
            });
            inline.or_else(|| {
                sig.generics
                    .where_clause
                    .as_ref()?
                    .predicates
                    .iter()
                    .find_map(|w| match w {
                        WherePredicate::Type(pt) => match &pt.bounded_ty {
                            Type::Path(b) if b.path.is_ident(id) => fn_bound(pt.bounds.iter()),
                            _ => None,
                        },
                        _ => None,
                    })
            })
        }
        _ => None,
    }
}

/// The inputs of the first `Fn(..)`, `FnMut(..)` or `FnOnce(..)` bound.
fn fn_bound<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> Option<Vec<&'a Type>> {
    bounds.find_map(|b| {
        let TypeParamBound::Trait(t) = b else {
            return None;
        };
        let last = t.path.segments.last()?;
        if !matches!(last.ident.to_string().as_str(), "Fn" | "FnMut" | "FnOnce") {
            return None;
        }
        match &last.arguments {
            syn::PathArguments::Parenthesized(a) => Some(a.inputs.iter().map(|n| &n.ty).collect()),
            _ => None,
        }
    })
}

/// Finds a call of the parameter `name` in place: outside closures, async blocks and items.
struct DirectCall<'n> {
    name: &'n syn::Ident,
    found: bool,
}

impl<'ast> Visit<'ast> for DirectCall<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*c.func
            && p.qself.is_none()
            && p.path.is_ident(self.name)
        {
            self.found = true;
        }
        syn::visit::visit_expr_call(self, c);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast Item) {}
    fn visit_macro(&mut self, _: &'ast syn::Macro) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_place(src: &str, name: &str) -> Vec<(usize, usize)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let out = params(&file.items, name)
            .into_iter()
            .map(|p| (p.index, p.inputs.len()))
            .collect();
        proc_macro2::extra::invalidate_current_thread_spans();
        out
    }

    #[test]
    fn finds_closure_parameters_called_in_place() {
        let src = r#"
            fn with_rt<T>(name: &str, body: impl FnOnce(&Runtime) -> T) -> T { let rt = make(); body(&rt) }
            fn generic<F: Fn(u8, u8)>(f: F) { f(1, 2); }
            fn bounded<F>(f: F) where F: FnMut() { loop { f(); break; } }
            fn deferred(f: impl FnOnce() + Send + 'static) { std::thread::spawn(move || f()); }
            fn stored(f: impl Fn()) -> Box<dyn Fn()> { Box::new(f) }
            fn in_async(f: impl FnOnce()) -> impl std::future::Future<Output = ()> { async move { f() } }
            #[cfg(unix)] fn twice(f: impl FnOnce()) { f() }
            #[cfg(windows)] fn twice(f: impl FnOnce()) { f() }
        "#;
        assert_eq!(in_place(src, "with_rt"), vec![(1, 1)]);
        assert_eq!(in_place(src, "generic"), vec![(0, 2)]);
        assert_eq!(in_place(src, "bounded"), vec![(0, 0)]);
        assert!(in_place(src, "deferred").is_empty());
        assert!(in_place(src, "stored").is_empty());
        assert!(in_place(src, "in_async").is_empty());
        assert!(in_place(src, "twice").is_empty());
        assert!(in_place(src, "missing").is_empty());
    }
}
