//! Analysis-layer behaviour seen through the whole pipeline (these tests need the rules and the
//! lint driver, which the analysis layer's own unit tests may not import): types flowing into
//! bindings, user-declared blocking APIs, the catalog's rules, held diagnostics' encoding, and the
//! binding model's edition-dependent drops as `lock-across-await` sees them.

use std::path::PathBuf;
use std::sync::Arc;

use async_lint::analysis::facts::{HeldDiagnostic, Pending};
use async_lint::config::BlockingApiEntry;
use async_lint::lint::{self, Settings};
use async_lint::project::{CrateInfo, Edition};
use async_lint::rules::blocking_call::BLOCKING_CALL;
use async_lint::rules::lock_across_await::LOCK_ACROSS_AWAIT;

/// Lints `text` alone (as `t.rs`) with `settings`, in a crate described by `info`.
fn lint_alone(text: &str, settings: &Settings, info: CrateInfo) -> lint::FileOutcome {
    lint::lint_text(
        Arc::new(PathBuf::from("t.rs")),
        text.to_string(),
        info,
        settings,
    )
}

/// The lines (1-based, within `body`) where blocking-call reports in `async fn f`.
fn lines(params: &str, body: &str) -> Vec<usize> {
    let text = format!(
        "use std::thread::JoinHandle;\nstruct Data<T>(T);\nasync fn f({params}) {{\n{body}\n}}\n"
    );
    let settings = Settings {
        rules: vec![&BLOCKING_CALL],
        ..Settings::default()
    };
    let out = lint_alone(&text, &settings, CrateInfo::default());
    out.diagnostics
        .iter()
        .map(|d| text[..d.range.start].matches('\n').count() - 2)
        .collect()
}

#[test]
fn items_flow_from_collections_into_bindings() {
    let p = "hs: Vec<JoinHandle<()>>";
    assert_eq!(lines(p, "for h in hs { h.join(); }"), [1]);
    assert_eq!(
        lines(p, "for h in &hs { h.thread(); }"),
        Vec::<usize>::new()
    );
    assert_eq!(lines(p, "hs.into_iter().for_each(|h| { h.join(); });"), [1]);
    assert_eq!(lines(p, "hs.iter().fold(0, |n, h| { h.join(); n });"), [1]);
    assert_eq!(
        lines(p, "hs.into_iter().fold(0, |h, n| { h.join(); n });"),
        Vec::<usize>::new()
    );
    assert_eq!(lines(p, "if let Some(h) = hs.pop() { h.join(); }"), [1]);
    assert_eq!(lines(p, "hs[0].join();"), [1]);
    assert_eq!(
        lines("hs: &[JoinHandle<()>; 2]", "for h in hs { h.join(); }"),
        [1]
    );
    assert_eq!(
        lines("hs: Vec<u8>", "for h in hs { h.join(); }"),
        Vec::<usize>::new()
    );
    let spawned = "let v: Vec<_> = (0..2).map(|_| std::thread::spawn(|| ())).collect();\n";
    assert_eq!(
        lines("", &format!("{spawned}for t in v {{ t.join(); }}")),
        [2]
    );
}

#[test]
fn wrappers_are_followed_only_when_resolved() {
    let body = "c.get(\"u\").send();";
    let client = "reqwest::blocking::Client";
    assert_eq!(
        lines(&format!("c: actix_web::web::Data<{client}>"), body),
        [1]
    );
    assert_eq!(
        lines(&format!("c: Data<{client}>"), body),
        Vec::<usize>::new()
    );
    let state = format!("axum::extract::State(c): axum::extract::State<{client}>");
    assert_eq!(lines(&state, body), [1]);
    assert_eq!(
        lines(&format!("Data(c): Data<{client}>"), body),
        Vec::<usize>::new()
    );
}

fn lint_user(text: &str, entries: Vec<BlockingApiEntry>) -> Vec<(String, Option<String>)> {
    let settings = Settings {
        rules: vec![&BLOCKING_CALL],
        blocking_apis: entries,
        ..Settings::default()
    };
    let out = lint_alone(text, &settings, CrateInfo::default());
    out.diagnostics
        .into_iter()
        .map(|d| {
            (
                d.message,
                d.fix
                    .and_then(|f| f.edits.first().map(|e| e.replacement.clone())),
            )
        })
        .collect()
}

#[test]
fn user_declared_apis_are_blocking_calls() {
    let text = "mod db { pub fn query_sync() {} }\n\
                async fn a() { db::query_sync(); crate::db::query_sync(); other::query_sync(); }\n\
                fn b() { db::query_sync(); }";
    let entries = vec![BlockingApiEntry {
        path: "mycrate::db::query_sync".into(),
        replacement: Some("mycrate::db::query".into()),
    }];
    let found = lint_user(text, entries);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].0.contains("`db::query_sync`"), "{found:?}");
    assert_eq!(found[0].1.as_deref(), Some("mycrate::db::query"));
    assert!(lint_user(text, Vec::new()).is_empty());
}

#[test]
fn every_catalog_entry_names_a_registered_rule() {
    for api in &async_lint::analysis::blocking_catalog::catalog().apis {
        assert!(
            async_lint::rules::by_id(&api.rule).is_some(),
            "unregistered rule `{}` in the catalog",
            api.rule
        );
    }
}

#[test]
fn a_held_diagnostic_is_sealed_encoded_and_opened_unchanged() {
    let d = async_lint::diagnostic::Diagnostic {
        rule: &async_lint::rules::blocking_sleep::BLOCKING_SLEEP,
        severity: async_lint::diagnostic::Severity::Warning,
        message: "blocks".into(),
        path: Arc::default(),
        range: 3..9,
        labels: Vec::new(),
        help: Some("await instead".into()),
        fix: None,
    };
    let mut held = HeldDiagnostic::new(d.clone());
    held.get_mut().expect("open").message.push('!');
    let mut expected = d;
    expected.message.push('!');
    held.seal();
    assert!(matches!(held, HeldDiagnostic::Sealed(_)));
    assert!(
        held.get_mut().is_none(),
        "a sealed diagnostic is not written to"
    );
    assert_eq!(held.open(), Some(expected.clone()));
    // Open or sealed, a pending finding encodes the same bytes and decodes sealed.
    let pending = |diagnostic| Pending {
        sym: 4,
        types: Box::new(["std::sync::MutexGuard".into()]),
        also: None,
        unless_method: None,
        diagnostic,
    };
    let sealed = postcard::to_allocvec(&pending(held.clone())).unwrap();
    let open = postcard::to_allocvec(&pending(HeldDiagnostic::new(expected.clone()))).unwrap();
    assert_eq!(sealed, open);
    let back: Pending = postcard::from_bytes(&sealed).unwrap();
    assert_eq!(back, pending(held));
    assert_eq!(back.diagnostic.open(), Some(expected));
    assert_eq!(HeldDiagnostic::Sealed(Box::new([0xff; 3])).open(), None);
}

fn lock_lines(src: &str, edition: Edition) -> Vec<usize> {
    let settings = Settings {
        rules: vec![&LOCK_ACROSS_AWAIT],
        ..Settings::default()
    };
    let info = CrateInfo {
        edition,
        ..CrateInfo::default()
    };
    let out = lint_alone(src, &settings, info);
    let Some(source) = out.source else {
        return Vec::new();
    };
    out.diagnostics
        .iter()
        .map(|d| source.position(d.range.start).line)
        .collect()
}

const IF_LET_ELSE: &str = "async fn f(m: &std::sync::Mutex<Vec<u8>>) {
    if let Some(x) = m.lock().unwrap().first().copied() {
        let _ = x;
    } else {
        g().await;
    }
}
async fn g() {}
";

#[test]
fn if_let_else_depends_on_edition() {
    assert_eq!(lock_lines(IF_LET_ELSE, Edition::E2021), vec![2]);
    assert!(lock_lines(IF_LET_ELSE, Edition::E2024).is_empty());
}

const TAIL: &str = "async fn f(m: &std::sync::Mutex<Vec<u8>>) {
    let n = {
        let k = 1;
        m.lock().unwrap().len() + k
    } + g().await;
    let _ = n;
}
async fn g() -> usize { 0 }
";

#[test]
fn tail_temporaries_depend_on_edition() {
    assert_eq!(lock_lines(TAIL, Edition::E2021), vec![4]);
    assert!(lock_lines(TAIL, Edition::E2024).is_empty());
}

#[test]
fn never_panics_on_odd_input() {
    for odd in [
        "async fn f() { let = ; m.lock(). }",
        "async fn f() { let g = m.lock(); }",
        "async fn f() { let g = &*m.lock(); let g = g; drop(g); x.await }",
        "async fn f() { match m.lock() { Ok(g) => g, Err(e) => e.into_inner() }.await; }",
        "async fn f() { tokio::select! {} ; tokio::join!(); }",
    ] {
        let _ = lock_lines(odd, Edition::E2021);
    }
}

/// Doc comments are parsed as plain comments: a finding after doc text (non-ASCII, a block doc
/// comment on the same line as the code) keeps its exact byte range, and a file of doc comments
/// alone is not an error.
#[test]
fn doc_comments_keep_finding_positions() {
    let settings = Settings {
        rules: vec![&BLOCKING_CALL],
        ..Settings::default()
    };
    let text = "//! Crate — docs «é»\n/// Waits — «é».\n/** é */ async fn f(h: std::thread::JoinHandle<()>) { /*! ü */ h.join().unwrap(); }\n";
    let out = lint_alone(text, &settings, CrateInfo::default());
    assert!(out.error.is_none(), "{:?}", out.error);
    let ranges: Vec<&str> = out
        .diagnostics
        .iter()
        .map(|d| &text[d.range.clone()])
        .collect();
    assert_eq!(ranges, ["h.join()"]);

    let docs_only = lint_alone(
        "/// Only docs.\n//! And more.\n",
        &settings,
        CrateInfo::default(),
    );
    assert!(docs_only.error.is_none(), "{:?}", docs_only.error);
}
