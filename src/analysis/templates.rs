//! Code shown by manual fixes, built so that it compiles: a blocking call moved onto the
//! runtime's blocking pool owns what it borrowed mutably (`&mut buf`) and hands it back.
//!
//! The template, as written for `std::io::stdin().read_to_string(&mut buf)` (a doctest, compiled;
//! not run, since it reads stdin):
//!
//! ```no_run
//! # use std::io::Read;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut buf = String::new();
//! let n = {
//!     let (result, moved) = tokio::task::spawn_blocking(move || {
//!         let mut buf = buf;
//!         let result = std::io::stdin().read_to_string(&mut buf);
//!         (result, buf)
//!     })
//!     .await
//!     .expect("blocking task panicked");
//!     buf = moved;
//!     result
//! };
//! let _ = (n, buf.len());
//! # }
//! ```

use syn::Expr;

use crate::analysis::paths;
use crate::analysis::settings::Runtime;

/// How the runtime runs a closure on its blocking pool and awaits it, around `body`.
fn spawn(rt: Runtime, body: &str) -> String {
    match rt {
        Runtime::Tokio => format!(
            "tokio::task::spawn_blocking(move || {body}).await.expect(\"blocking task panicked\")"
        ),
        Runtime::AsyncStd => format!("async_std::task::spawn_blocking(move || {body}).await"),
        Runtime::Smol => format!("smol::unblock(move || {body}).await"),
    }
}

/// The local names a call borrows mutably as plain arguments (`&mut buf`).
pub fn borrowed_mut(e: &Expr) -> Vec<String> {
    let args = match e {
        Expr::Call(c) => &c.args,
        Expr::MethodCall(m) => &m.args,
        _ => return Vec::new(),
    };
    let mut names: Vec<String> = Vec::new();
    for a in args {
        if let Expr::Reference(r) = paths::peel(a)
            && r.mutability.is_some()
            && let Expr::Path(p) = paths::peel(&r.expr)
            && let Some(id) = p.path.get_ident()
        {
            let id = id.to_string();
            if !names.contains(&id) {
                names.push(id);
            }
        }
    }
    names
}

/// The blocking-pool form of `call` (its text `text`): the call in a closure on the blocking
/// pool, awaited; buffers it borrows mutably (`owned`) are moved in and handed back (the
/// module's doctest is this template for stdin).
pub fn offload(rt: Runtime, text: &str, owned: &[String]) -> String {
    if owned.is_empty() {
        return spawn(rt, text);
    }
    let list = owned.join(", ");
    let (tuple, muts) = if owned.len() == 1 {
        (list.clone(), format!("mut {list}"))
    } else {
        let muts: Vec<String> = owned.iter().map(|n| format!("mut {n}")).collect();
        (format!("({list})"), format!("({})", muts.join(", ")))
    };
    let body = format!("{{ let {muts} = {tuple}; let result = {text}; (result, {tuple}) }}");
    format!(
        "{{ let (result, moved) = {}; {tuple} = moved; result }}",
        spawn(rt, &body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_buffers_go_in_and_out() {
        let e: Expr = syn::parse_str("stdin.read_to_string(&mut buf)").unwrap();
        let owned = borrowed_mut(&e);
        assert_eq!(owned, ["buf"]);
        assert_eq!(
            offload(Runtime::Tokio, "stdin.read_to_string(&mut buf)", &owned),
            "{ let (result, moved) = tokio::task::spawn_blocking(move || { let mut buf = buf; \
             let result = stdin.read_to_string(&mut buf); (result, buf) }).await\
             .expect(\"blocking task panicked\"); buf = moved; result }"
        );
        let e: Expr = syn::parse_str("f(&mut a, &b, &mut c)").unwrap();
        assert_eq!(borrowed_mut(&e), ["a", "c"]);
        assert_eq!(
            offload(Runtime::Smol, "g(x)", &[]),
            "smol::unblock(move || g(x)).await"
        );
    }
}
