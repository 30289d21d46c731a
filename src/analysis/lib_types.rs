//! Library types of symbolic expressions: finishes what the semantic layer cannot, a method
//! call on a value of a library type (`self.http.get(url)` on a `reqwest::blocking::Client`
//! field, `c.post(url).body(b)` on a `reqwest::Client` parameter). The semantic layer types
//! fields, parameters and statics from declarations; which type a library *method* returns is
//! data, kept in the catalogs (`returns` of `rules/async-apis.toml`, transitions of
//! `rules/blocking-apis.toml`). Unknown stays unknown: a method the catalogs do not list on a
//! type they do not list gives no type.

use crate::semantic::defmap::FileInput;
use crate::semantic::resolve::{Callee, Semantics};
use crate::semantic::types::{Sym, Ty};

/// How many method hops a chain may take.
const MAX_HOPS: u8 = 8;

/// In the types of a conditional finding ([`crate::analysis::facts::Pending`]): the finding
/// also holds when the crate cannot type the expression at all (its shape already proves it,
/// and only a known other type refutes it).
pub const UNTYPED: &str = "_";

/// The canonical path of the library type of symbolic expression `sym` of file `file`: its
/// declared type (after autoderef through references and smart pointers), or, for a method
/// call on a value of a library type, the type the catalogs say that method returns.
pub fn library_type(
    sema: &Semantics,
    files: &[FileInput<'_>],
    file: u32,
    sym: u32,
) -> Option<String> {
    lib_type(sema, files, file, sym, 0)
}

/// The `Result` types a task's output is judged by (an error type other than `()`).
pub const RESULTS: &[&str] = &[
    "std::result::Result<_, !()>",
    "core::result::Result<_, !()>",
    "std::io::Result",
    "anyhow::Result",
    "eyre::Result",
    "color_eyre::Result",
    "color_eyre::eyre::Result",
    "miette::Result",
];

/// In the types of a conditional finding: any of [`RESULTS`] (one short string in the facts
/// instead of eight paths; a crate records thousands of such findings).
pub const ANY_RESULT: &str = "@result";

/// In the types of a conditional finding: a tokio `JoinHandle` of any of [`RESULTS`].
pub const RESULT_HANDLE: &str = "@result-handle";

/// Whether symbolic expression `sym` of file `file` is of type `ty` (a canonical path, see
/// [`crate::semantic::types::Ty::is`]), by its declared type or through catalogued library
/// methods; [`UNTYPED`]: whether it has no type the crate knows; [`ANY_RESULT`] and
/// [`RESULT_HANDLE`]: whether it is of one of the types they stand for.
pub fn sym_is(sema: &Semantics, files: &[FileInput<'_>], file: u32, sym: u32, ty: &str) -> bool {
    if ty == ANY_RESULT {
        return RESULTS.iter().any(|r| sym_is(sema, files, file, sym, r));
    }
    if ty == RESULT_HANDLE {
        return RESULTS.iter().any(|r| {
            sym_is(
                sema,
                files,
                file,
                sym,
                &format!("tokio::task::JoinHandle<{r}>"),
            )
        });
    }
    let t = sema.sym_type(files, file, sym);
    if ty == UNTYPED {
        return matches!(t, Ty::Unknown) && method_chain(sema, files, file, sym, 0).is_none();
    }
    if t.is(ty) {
        return true;
    }
    matches!(t, Ty::Unknown)
        && !ty.ends_with('>')
        && method_chain(sema, files, file, sym, 0).as_deref() == Some(ty)
}

fn lib_type(
    sema: &Semantics,
    files: &[FileInput<'_>],
    file: u32,
    sym: u32,
    hops: u8,
) -> Option<String> {
    let t = sema.sym_type(files, file, sym);
    match t.autoderef() {
        Ty::External(..) => t.autoderef().external_path(),
        Ty::Unknown => method_chain(sema, files, file, sym, hops),
        // A local newtype over a library type (`impl Deref for Http { type Target = Client; }`).
        Ty::Local(item, _) => sema.deref_target(files, *item).autoderef().external_path(),
        _ => None,
    }
}

/// The type a catalogued method returns on a receiver of a library type, for a `sym` that is
/// such a method call.
fn method_chain(
    sema: &Semantics,
    files: &[FileInput<'_>],
    file: u32,
    sym: u32,
    hops: u8,
) -> Option<String> {
    if hops >= MAX_HOPS {
        return None;
    }
    let (base, name) = match files.get(file as usize)?.items.syms.get(sym as usize)? {
        Sym::MethodRet(base, name) => (base, name),
        // `Rt::new()`, `RtBuilder::new_current_thread()` with the type named through a
        // re-export or a glob import, which only the crate-wide resolution follows: the type
        // the catalog's constructor at the resolved path makes.
        Sym::Ret {
            path,
            scope,
            caller,
        } => {
            let p = files.get(file as usize)?.items.paths.get(*path as usize)?;
            let caller = (*caller != crate::semantic::items::NONE).then_some(*caller);
            let Callee::External(canon) = sema.resolve_call(files, file, *scope, p, caller) else {
                return None;
            };
            let canon = canon.join("::");
            return match crate::analysis::blocking_catalog::catalog().ctor_type(&canon, || None)? {
                crate::analysis::ty::Ty::One(t) => Some(t.to_string()),
                _ => None,
            };
        }
        // `?`, `.unwrap()`, `.expect(..)` of a constructed or transitioned library value: the
        // catalogs name the value's type without its `Result` (as the per-file typing reads
        // them).
        Sym::Unwrap(inner) => return method_chain(sema, files, file, *inner, hops + 1),
        // `.send().await` on a library builder: what the catalog says awaiting it gives.
        Sym::Await(inner) => {
            let Sym::MethodRet(base, name) =
                files.get(file as usize)?.items.syms.get(*inner as usize)?
            else {
                return None;
            };
            let recv = lib_type(sema, files, file, *base, hops + 1)?;
            return crate::analysis::async_catalog::catalog()
                .method_output(&recv, name)
                .map(str::to_string);
        }
        _ => return None,
    };
    let recv = lib_type(sema, files, file, *base, hops + 1)?;
    if matches!(&**name, "clone" | "to_owned") {
        return Some(recv);
    }
    let returned = crate::analysis::blocking_catalog::catalog()
        .transition(&recv, name)
        .or_else(|| crate::analysis::async_catalog::catalog().method_returns(&recv, name))?;
    Some(returned.to_string())
}
