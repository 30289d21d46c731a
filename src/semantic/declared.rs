//! Recording declared types into a file's item summary: the types written in signatures,
//! fields, aliases, statics and impls become [`TypeRef`]s (and the symbolic types of bodies
//! [`Sym`]s) of the summary the [`Collector`] builds, with their paths recorded like any other.

use crate::semantic::items::{Collector, NONE, Name, ident_name};
use crate::semantic::types::{Sym, TypeRef};

impl Collector {
    /// Records a type as written; returns its index in
    /// [`crate::semantic::items::ItemSummary::types`].
    pub fn type_ref(&mut self, ty: &syn::Type) -> u32 {
        let t = match ty {
            syn::Type::Paren(p) => return self.type_ref(&p.elem),
            syn::Type::Group(g) => return self.type_ref(&g.elem),
            syn::Type::Reference(r) => TypeRef::Ref(self.type_ref(&r.elem)),
            syn::Type::Ptr(p) => TypeRef::Ref(self.type_ref(&p.elem)),
            syn::Type::Slice(s) => TypeRef::Slice(self.type_ref(&s.elem)),
            syn::Type::Array(a) => TypeRef::Slice(self.type_ref(&a.elem)),
            syn::Type::Tuple(t) => {
                TypeRef::Tuple(t.elems.iter().map(|e| self.type_ref(e)).collect())
            }
            syn::Type::Path(p) if p.qself.is_none() => {
                let path = self.path(&p.path);
                let args = match p.path.segments.last().map(|s| &s.arguments) {
                    Some(syn::PathArguments::AngleBracketed(a)) => self.type_args(&a.args),
                    _ => Box::default(),
                };
                TypeRef::Path { path, args }
            }
            syn::Type::ImplTrait(t) => self.bound(&t.bounds),
            syn::Type::TraitObject(t) => self.bound(&t.bounds),
            syn::Type::FnPtr(f) => TypeRef::FnPtr(self.return_type(&f.output)),
            _ => TypeRef::Unknown,
        };
        self.intern_type(t)
    }

    /// The declared return type of a signature ([`NONE`] for `()`).
    pub fn return_type(&mut self, output: &syn::ReturnType) -> u32 {
        match output {
            syn::ReturnType::Default => NONE,
            syn::ReturnType::Type(_, ty) => self.type_ref(ty),
        }
    }

    /// [`Collector::return_type`] for a fn item: [`NONE`] also for a plain value type (`bool`,
    /// `u64`, `String`, `&str`), whose methods no rule asks about, to keep summaries small.
    pub fn fn_return_type(&mut self, output: &syn::ReturnType) -> u32 {
        match output {
            syn::ReturnType::Type(_, ty) if is_plain(ty) => NONE,
            _ => self.return_type(output),
        }
    }

    /// Records the declared type of field `name` of struct item `item`.
    pub fn field(&mut self, item: u32, name: Name, ty: &syn::Type) {
        let ty = self.type_ref(ty);
        self.summary_mut()
            .fields
            .push(crate::semantic::items::FieldFact { item, name, ty });
    }

    /// Records the fields of struct item `item` (not those of a plain value type).
    pub fn fields(&mut self, item: u32, fields: &syn::Fields) {
        for (i, f) in fields.iter().enumerate() {
            if is_plain(&f.ty) {
                continue;
            }
            let name = match &f.ident {
                Some(id) => ident_name(id),
                None => Name::from(i.to_string()),
            };
            self.field(item, name, &f.ty);
        }
    }

    /// Records the fields of the variants of enum item `item`, named as
    /// [`variant_field`](crate::semantic::items::variant_field) names them (not those of a
    /// plain value type).
    pub fn variant_fields(&mut self, item: u32, e: &syn::ItemEnum) {
        for v in &e.variants {
            let variant = ident_name(&v.ident);
            for (i, f) in v.fields.iter().enumerate() {
                if is_plain(&f.ty) {
                    continue;
                }
                let name = match &f.ident {
                    Some(id) => crate::semantic::items::variant_field(&variant, ident_name(id)),
                    None => crate::semantic::items::variant_field(&variant, i),
                };
                self.field(item, Name::from(name), &f.ty);
            }
        }
    }

    /// Records the declared type of alias, static or const item `item` (an alias's generic
    /// parameter names in `params`).
    pub fn item_type(&mut self, item: u32, ty: &syn::Type, generics: &syn::Generics) {
        let ty = self.type_ref(ty);
        let params = generics
            .type_params()
            .map(|p| ident_name(&p.ident))
            .collect();
        self.summary_mut()
            .item_types
            .push(crate::semantic::items::ItemType { item, ty, params });
    }

    /// Records the generic type parameter names of struct or enum item `item` (with an
    /// unknown type), so that its fields' types are read with the arguments of a use
    /// (`Service<Pg>`) and a parameter never resolves to another item of that name.
    pub fn adt_params(&mut self, item: u32, generics: &syn::Generics) {
        let params: Box<[Name]> = generics
            .type_params()
            .map(|p| ident_name(&p.ident))
            .collect();
        if params.is_empty() {
            return;
        }
        let ty = self.intern_type(TypeRef::Unknown);
        self.summary_mut()
            .item_types
            .push(crate::semantic::items::ItemType { item, ty, params });
    }

    /// The generic type arguments of an impl's self type (`Service<R>`: `R`).
    pub fn self_args(&mut self, ty: &syn::Type) -> Box<[u32]> {
        match ty {
            syn::Type::Paren(p) => self.self_args(&p.elem),
            syn::Type::Group(g) => self.self_args(&g.elem),
            syn::Type::Path(p) if p.qself.is_none() => {
                match p.path.segments.last().map(|s| &s.arguments) {
                    Some(syn::PathArguments::AngleBracketed(a)) => self.type_args(&a.args),
                    _ => Box::default(),
                }
            }
            _ => Box::default(),
        }
    }

    /// The generic type parameters of an impl, each with the `impl Trait` type of its single
    /// non-marker trait bound (inline and `where` bounds together), or [`NONE`].
    pub fn generic_bounds(&mut self, generics: &syn::Generics) -> Box<[(Name, u32)]> {
        let mut out = Vec::new();
        for param in generics.type_params() {
            let mut bounds = param.bounds.clone();
            for pred in generics.where_clause.iter().flat_map(|w| &w.predicates) {
                if let syn::WherePredicate::Type(pt) = pred
                    && matches!(&pt.bounded_ty, syn::Type::Path(b)
                        if b.qself.is_none() && b.path.is_ident(&param.ident))
                {
                    bounds.extend(pt.bounds.iter().cloned());
                }
            }
            let ty = match self.bound(&bounds) {
                TypeRef::Unknown => NONE,
                t => self.intern_type(t),
            };
            out.push((ident_name(&param.ident), ty));
        }
        out.into()
    }

    /// Records a symbolic type; equal syms share one index.
    pub fn sym(&mut self, s: Sym) -> u32 {
        if let Some(&i) = self.sym_ids.get(&s) {
            return i;
        }
        let syms = &mut self.summary_mut().syms;
        syms.push(s.clone());
        let i = (syms.len() - 1) as u32;
        self.sym_ids.insert(s, i);
        i
    }

    fn type_args(
        &mut self,
        args: &syn::punctuated::Punctuated<syn::GenericArgument, syn::Token![,]>,
    ) -> Box<[u32]> {
        args.iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(self.type_ref(t)),
                _ => None,
            })
            .collect()
    }

    fn bound(
        &mut self,
        bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
    ) -> TypeRef {
        let Some(tr) = crate::semantic::items::single_trait(bounds) else {
            return TypeRef::Unknown;
        };
        let path = self.path(tr);
        let (args, output) = match tr.segments.last().map(|s| &s.arguments) {
            Some(syn::PathArguments::AngleBracketed(a)) => {
                let output = a
                    .args
                    .iter()
                    .find_map(|g| match g {
                        syn::GenericArgument::AssocType(at) if at.ident == "Output" => {
                            Some(at.ty.clone())
                        }
                        _ => None,
                    })
                    .map_or(NONE, |t| self.type_ref(&t));
                (self.type_args(&a.args), output)
            }
            Some(syn::PathArguments::Parenthesized(p)) => {
                (Box::default(), self.return_type(&p.output))
            }
            _ => (Box::default(), NONE),
        };
        TypeRef::Bound { path, args, output }
    }

    fn intern_type(&mut self, t: TypeRef) -> u32 {
        let types = &mut self.summary_mut().types;
        // Small types repeat (`Self`, `String`): reuse the last few.
        let from = types.len().saturating_sub(16);
        if let Some(i) = types[from..].iter().position(|x| *x == t) {
            return (from + i) as u32;
        }
        types.push(t);
        (types.len() - 1) as u32
    }
}

/// Whether `ty` is a primitive, `String` or `str` (or a reference to one): a value no rule asks
/// the type of.
fn is_plain(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_plain(&r.elem),
        syn::Type::Paren(p) => is_plain(&p.elem),
        syn::Type::Path(p) if p.qself.is_none() => p.path.get_ident().is_some_and(|i| {
            matches!(
                i.to_string().as_str(),
                "bool"
                    | "char"
                    | "str"
                    | "String"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "f32"
                    | "f64"
            )
        }),
        _ => false,
    }
}
