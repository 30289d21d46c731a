//! Unit tests of the binding model with a toy tracker: `make()` produces a value,
//! `try_make()` produces one when unwrapped or matched, `make_fut()` is inert. (As for the lock
//! rule's helpers, a bare call is tracked only when bound: temporaries come from method calls.)

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use syn::{Expr, Stmt};

use super::uses::{LaterUse, later_use};
use super::{End, Hold, Interp, Produced, TempCtx, Tracked, Tracker};
use crate::analysis::file::FileCx;
use crate::analysis::imports::Imports;
use crate::analysis::locals::Locals;
use crate::analysis::settings::Settings;
use crate::project::{CrateInfo, Edition};
use crate::source::SourceText;

struct Toy;

fn callee(e: &Expr) -> Option<String> {
    match e {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
            _ => None,
        },
        _ => None,
    }
}

impl Tracker for Toy {
    type Data = ();

    fn value<'e>(&self, e: &'e Expr) -> Option<Produced<'e, ()>> {
        let e = crate::analysis::paths::peel(e);
        if callee(e).as_deref() == Some("make") {
            return Some(Produced {
                core: e,
                wrapped: false,
                data: (),
            });
        }
        if let Expr::MethodCall(mc) = e
            && mc.method == "unwrap"
            && callee(&mc.receiver).as_deref() == Some("try_make")
        {
            return Some(Produced {
                core: &mc.receiver,
                wrapped: true,
                data: (),
            });
        }
        None
    }

    fn fallible_value<'e>(&self, e: &'e Expr, _: bool) -> Option<Produced<'e, ()>> {
        (callee(e).as_deref() == Some("try_make")).then_some(Produced {
            core: e,
            wrapped: false,
            data: (),
        })
    }

    fn bound_value(&self, _: &Expr) -> Option<()> {
        None
    }

    fn inert<'e>(&self, e: &'e Expr) -> Option<&'e Expr> {
        (callee(e).as_deref() == Some("make_fut")).then_some(e)
    }
}

/// Runs the model over the body of the file's first fn.
fn run(src: &str, edition: Edition) -> Vec<Tracked<()>> {
    with_cx(src, edition, |cx| {
        let Some(syn::Item::Fn(f)) = cx.file.items.first() else {
            return Vec::new();
        };
        let mut interp = Interp::new(cx, Toy);
        interp.body_block(&f.block);
        interp.finish()
    })
}

fn with_cx<R>(src: &str, edition: Edition, f: impl FnOnce(&FileCx<'_>) -> R) -> R {
    let path = Arc::new(PathBuf::from("t.rs"));
    let source = SourceText::new(src.to_string());
    let file = syn::parse_file(src).expect("test source parses");
    let settings = Settings::default();
    let cx = FileCx {
        generation: 0,
        path: &path,
        source: &source,
        file: &file,
        crate_info: CrateInfo {
            edition,
            ..CrateInfo::default()
        },
        settings: &settings,
        base: 0,
        imports: RefCell::new(Imports::default()),
        locals: RefCell::new(Locals::default()),
        items: RefCell::new(crate::semantic::items::Collector::new(&file.attrs)),
        item_scope: std::cell::Cell::new(0),
        fn_owner: std::cell::Cell::new((u32::MAX, u32::MAX)),
        let_moved_off: std::cell::OnceCell::new(),
        test_items: std::cell::Cell::new(0),
        walked_expr: std::cell::Cell::new((0, false)),
    };
    f(&cx)
}

/// (hold, name, number of crossed awaits, why it ended) per value.
fn summary(src: &str, edition: Edition) -> Vec<(Hold, Option<String>, usize, Option<End>)> {
    run(src, edition)
        .into_iter()
        .map(|t| (t.hold, t.name, t.crossed.len(), t.end.map(|(_, e)| e)))
        .collect()
}

#[test]
fn named_values_live_to_their_block_end_or_drop_or_move() {
    let s = summary("async fn f() { let g = make(); x.await; }", Edition::E2021);
    assert_eq!(s, [(Hold::Named, Some("g".into()), 1, Some(End::ScopeEnd))]);
    let s = summary(
        "async fn f() { let g = make(); drop(g); x.await; }",
        Edition::E2021,
    );
    assert_eq!(s, [(Hold::Named, Some("g".into()), 0, Some(End::Dropped))]);
    let s = summary(
        "async fn f() { let g = make(); take(g); x.await; }",
        Edition::E2021,
    );
    assert_eq!(s, [(Hold::Named, Some("g".into()), 0, Some(End::Moved))]);
    let s = summary(
        "async fn f() { { let g = make(); } x.await; }",
        Edition::E2021,
    );
    assert_eq!(s[0].2, 0);
}

#[test]
fn a_move_to_another_name_keeps_the_value_and_renames_it() {
    let s = summary(
        "async fn f() { let g = make(); let h = g; x.await; }",
        Edition::E2021,
    );
    assert_eq!(s, [(Hold::Named, Some("h".into()), 1, Some(End::ScopeEnd))]);
}

#[test]
fn shadowing_does_not_end_a_value() {
    let t = run(
        "async fn f() { let g = make(); let g = 1; x.await; }",
        Edition::E2021,
    );
    assert_eq!(t.len(), 1);
    assert!(t[0].ever_shadowed);
    assert_eq!(t[0].crossed.len(), 1);
    // A shadowed value cannot be dropped by its name: no release point.
    assert!(t[0].release.is_none());
}

#[test]
fn temporaries_live_to_the_end_of_their_statement() {
    let s = summary(
        "async fn f() { use_it(try_make().unwrap(), x.await); }",
        Edition::E2021,
    );
    assert_eq!(
        s,
        [(Hold::Temp(TempCtx::Statement), None, 1, Some(End::ScopeEnd))]
    );
    let s = summary(
        "async fn f() { use_it(try_make().unwrap()); x.await; }",
        Edition::E2021,
    );
    assert_eq!(s[0].2, 0);
}

#[test]
fn scrutinee_temporaries_depend_on_the_edition() {
    let src =
        "async fn f() { if let Some(v) = try_make().unwrap().first() { v; } else { x.await; } }";
    assert_eq!(summary(src, Edition::E2021)[0].2, 1);
    assert_eq!(summary(src, Edition::E2024)[0].2, 0);
    assert_eq!(
        summary(src, Edition::E2021)[0].0,
        Hold::Temp(TempCtx::IfLet)
    );
}

#[test]
fn values_bound_by_ok_patterns_and_matches_are_named() {
    let s = summary(
        "async fn f() { if let Ok(g) = try_make() { x.await; } }",
        Edition::E2021,
    );
    assert_eq!(s[0].0, Hold::Named);
    assert_eq!(s[0].2, 1);
    let s = summary(
        "async fn f() { let g = match try_make() { Ok(g) => g, Err(e) => e.into_inner() }; x.await; }",
        Edition::E2021,
    );
    assert_eq!(s.len(), 1);
    assert_eq!((s[0].1.as_deref(), s[0].2), (Some("g"), 1));
}

#[test]
fn a_diverging_branch_does_not_end_a_value_for_the_code_after_it() {
    let s = summary(
        "async fn f() { let g = make(); if c { drop(g); return; } x.await; }",
        Edition::E2021,
    );
    assert_eq!(s[0].2, 1);
    let s = summary(
        "async fn f() { let g = make(); if c { drop(g); } else { drop(g); } x.await; }",
        Edition::E2021,
    );
    assert_eq!(s[0].2, 0);
}

#[test]
fn move_closures_capture_and_inert_producers_are_not_tracked() {
    let s = summary(
        "async fn f() { let g = make(); let c = move || g.len(); x.await; }",
        Edition::E2021,
    );
    assert_eq!(s[0].2, 0);
    assert_eq!(s[0].3, Some(End::Moved));
    assert!(summary("async fn f() { make_fut().await; }", Edition::E2021).is_empty());
}

#[test]
fn release_points_need_no_later_mention() {
    let t = run(
        "async fn f() {\n    let g = make();\n    g.len();\n    x.await;\n}",
        Edition::E2021,
    );
    let r = t[0].release.clone().expect("a release point");
    let src = "async fn f() {\n    let g = make();\n    g.len();\n    x.await;\n}";
    assert_eq!(&src[r.at..r.at + 7], "x.await");
    assert_eq!(&src[r.scope_from.expect("scopable")..][..5], "let g");
    let t = run(
        "async fn f() { let g = make(); x.await; g.len(); }",
        Edition::E2021,
    );
    assert!(t[0].release.is_none());
}

#[test]
fn later_use_sees_mentions_and_single_drops() {
    let src = "fn f() { let a = 1; drop(a); let b = 2; b + 1; let c = 3; drop(c); drop(c); }";
    with_cx(src, Edition::E2021, |cx| {
        let Some(syn::Item::Fn(f)) = cx.file.items.first() else {
            panic!("a fn");
        };
        let stmts: &[Stmt] = &f.block.stmts;
        let is_drop = |c: &syn::ExprCall| super::patterns::is_drop_call(c);
        assert!(matches!(
            later_use(cx, "a", &stmts[1..2], is_drop),
            LaterUse::Dropped(_)
        ));
        assert_eq!(later_use(cx, "b", &stmts[3..4], is_drop), LaterUse::Used);
        assert_eq!(later_use(cx, "b", &stmts[4..5], is_drop), LaterUse::Unused);
        assert_eq!(later_use(cx, "c", &stmts[5..], is_drop), LaterUse::Used);
    });
}

#[test]
fn format_arguments_are_mentions_but_escaped_braces_are_not() {
    use super::patterns::captures_or_mentions;
    let toks = |s: &str| s.parse::<proc_macro2::TokenStream>().expect("tokens");
    assert!(captures_or_mentions(&toks(r#"format!("{g}")"#), "g"));
    assert!(captures_or_mentions(&toks(r#"format!("{g:?}")"#), "g"));
    assert!(captures_or_mentions(&toks(r#"format!("{{{g}}}")"#), "g"));
    assert!(!captures_or_mentions(&toks(r#"format!("{{g}}")"#), "g"));
    assert!(!captures_or_mentions(&toks(r#"format!("{gg}")"#), "g"));
    assert!(captures_or_mentions(&toks("f(a, (g))"), "g"));
}

#[test]
fn used_in_sees_paths_and_macros_not_fields_or_methods() {
    use super::uses::used_in;
    let e = |s: &str| syn::parse_str::<Expr>(s).expect("expr");
    assert!(used_in(&e("{ log(e); }"), "e"));
    assert!(used_in(&e(r#"{ warn!("{e}"); }"#), "e"));
    assert!(!used_in(&e("{ x.e(); y.e; }"), "e"));
}

#[test]
fn scopes_hide_outer_bindings_until_their_scope_ends() {
    use super::scopes::{Named, Scopes};
    struct B(&'static str, u8);
    impl Named for B {
        fn name(&self) -> &str {
            self.0
        }
    }
    let mut s = Scopes::default();
    s.bind(B("h", 1));
    s.push();
    s.bind(B("h", 2));
    assert_eq!(s.lookup("h").map(|b| b.1), Some(2));
    let pat: syn::Pat = syn::parse_quote!((h, k));
    assert_eq!(s.shadowed_by(&pat), ["h"]);
    assert_eq!(s.pop().map(|f| f.len()), Some(1));
    assert_eq!(s.lookup("h").map(|b| b.1), Some(1));
    assert!(s.lookup("k").is_none());
}
