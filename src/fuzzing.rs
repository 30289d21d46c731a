//! Fuzzing support, shared by the cargo-fuzz targets (`fuzz/`) and the fixed-seed property test
//! in the normal test suite (`tests/robustness.rs`), so CI exercises the same harness on stable.
//!
//! [`exercise`] runs one input through the whole pipeline: UTF-8 check, pre-scan, parse, the shared
//! walk with every rule, cross-file resolution and suppressions ([`crate::run::finish`]), then
//! applies every safe and unsafe fix and re-lints the result. It panics when an invariant breaks:
//! a diagnostic range outside the text or off a char boundary, or a fix that turns parsable code
//! into code that does not parse.
//!
//! [`token_soup`] and [`structured`] turn arbitrary bytes into Rust-looking text, so that fuzzers
//! get past the parser: token soup mostly fails to parse in interesting places; structured
//! programs are valid Rust built from async statements the rules care about.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::fix::{self, FixLevel};
use crate::lint::{self, Settings};
use crate::project::CrateInfo;
use crate::rules;

/// Runs `bytes` through the whole pipeline on a large-stack thread; panics on a broken invariant.
pub fn exercise(bytes: &[u8]) {
    let bytes = bytes.to_vec();
    let result = std::thread::Builder::new()
        .stack_size(lint::WORKER_STACK_BYTES)
        .spawn(move || exercise_here(bytes))
        .expect("spawn")
        .join();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn settings() -> Settings {
    Settings {
        rules: rules::metas().to_vec(),
        blocking_apis: Vec::new(),
        collect_facts: true,
        path_metadata: true,
    }
}

fn exercise_here(bytes: Vec<u8>) {
    let settings = settings();
    let path = Arc::new(PathBuf::from("fuzz.rs"));
    let original = String::from_utf8(bytes.clone()).ok();
    let outcome = lint::lint_bytes(Arc::clone(&path), bytes, CrateInfo::default(), &settings);
    if let Some(text) = &original {
        check_ranges(text, &outcome.diagnostics);
    }
    let parsed = outcome.error.is_none();
    let report = crate::run::finish(
        vec![outcome],
        Vec::new(),
        crate::semantic::project::Project::default(),
        &settings,
        &Config::default(),
    );
    let Some(text) = original else { return };
    check_ranges(&text, &report.diagnostics);
    if !parsed {
        return;
    }
    let applied = fix::apply(&text, &report.diagnostics, FixLevel::Unsafe);
    if applied.fixes == 0 {
        return;
    }
    assert!(
        syn::parse_file(&applied.text).is_ok() || syn::parse_file(&text).is_err(),
        "a fix produced code that does not parse:\n--- before\n{text}\n--- after\n{}",
        applied.text
    );
    let again = lint::lint_text(path, applied.text, CrateInfo::default(), &settings);
    assert!(again.error.is_none() || syn::parse_file(&text).is_err());
}

fn check_ranges(text: &str, diagnostics: &[crate::Diagnostic]) {
    for d in diagnostics {
        let ranges = std::iter::once(&d.range)
            .chain(d.labels.iter().map(|l| &l.range))
            .chain(d.fix.iter().flat_map(|f| f.edits.iter().map(|e| &e.range)));
        for r in ranges {
            assert!(
                r.start <= r.end
                    && r.end <= text.len()
                    && text.is_char_boundary(r.start)
                    && text.is_char_boundary(r.end),
                "{}: bad range {r:?} in a text of {} bytes",
                d.rule.id,
                text.len()
            );
        }
    }
}

const TOKENS: &[&str] = &[
    "async",
    "fn",
    "f",
    "g",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ";",
    ",",
    ".",
    "::",
    "=",
    "=>",
    "|",
    "||",
    "&",
    "*",
    "?",
    "!",
    "#",
    "'a",
    "1",
    "0x1f",
    "1e3",
    "\"s\"",
    "r#\"raw\"#",
    "b'x'",
    "'c'",
    "let",
    "mut",
    "move",
    "loop",
    "while",
    "for",
    "in",
    "if",
    "else",
    "match",
    "return",
    "break",
    "impl",
    "trait",
    "struct",
    "enum",
    "mod",
    "use",
    "pub",
    "self",
    "Self",
    "crate",
    "super",
    "where",
    "dyn",
    "unsafe",
    "const",
    "static",
    "type",
    ".await",
    "await",
    "std::thread::sleep(d)",
    "thread::sleep",
    "tokio::spawn",
    "spawn_blocking",
    "block_on",
    "tokio::select!",
    "select!",
    "join!",
    "pin!",
    "format!",
    "vec!",
    concat!("print", "ln!"), // spelled so the no-print meta-test does not see a call
    "macro_rules!",
    "Mutex",
    "lock()",
    ".unwrap()",
    "std::sync::Mutex",
    "Duration::from_millis(1)",
    "// async-lint: allow(blocking-sleep)",
    "// async-lint: allow-file(blocking-sleep)",
    "/* c */",
    "/*",
    "*/",
    "//",
    "///",
    "//!",
    "#[tokio::main]",
    "#[async_trait]",
    "\n",
    "\r\n",
    " ",
    "\t",
    "é",
    "\u{feff}",
    "\0",
    "🦀",
];

/// Concatenates tokens chosen by `bytes` (one byte, one token).
pub fn token_soup(bytes: &[u8]) -> String {
    let mut s = String::new();
    for b in bytes {
        s.push_str(TOKENS[usize::from(*b) % TOKENS.len()]);
        s.push(' ');
    }
    s
}

const STATEMENTS: &[&str] = &[
    "std::thread::sleep(std::time::Duration::from_millis(1));",
    "thread::sleep(d);",
    "sleep(d);",
    "tokio::time::sleep(d).await;",
    "let x = async { std::thread::sleep(d); };",
    "tokio::task::spawn_blocking(move || std::thread::sleep(d));",
    "std::thread::spawn(|| { std::thread::sleep(d); });",
    "let c = async move || { std::thread::sleep(d) };",
    "let c = || std::thread::sleep(d);",
    "tokio::select! { _ = a => { std::thread::sleep(d); } _ = b => {} }",
    "futures::join!(async { std::thread::sleep(d) }, b);",
    "let g = m.lock().unwrap(); f().await; drop(g);",
    "tokio::spawn(async move { std::thread::sleep(d); });",
    "for i in 0..3 { std::thread::sleep(d); }",
    "loop { std::thread::sleep(d); break; }",
    "// async-lint: allow(blocking-sleep)\n    std::thread::sleep(d);",
    "std::thread::sleep(d); // async-lint: allow(blocking-sleep)",
    concat!("print", "ln!(\"{}\", { std::thread::sleep(d); 1 });"),
    "let _ = \"é std::thread::sleep(d)\";",
    "f().await?;",
    "helper();",
    "self.method().await;",
];

const HEADERS: &[&str] = &[
    "use std::thread;",
    "use std::thread::sleep;",
    "use std::thread::{self, sleep as nap};",
    "use tokio::time::sleep;",
    "use async_std::task;",
    "// async-lint: allow-file(blocking-sleep)",
    "",
];

const WRAPPERS: &[(&str, &str)] = &[
    ("async fn f() {", "}"),
    ("fn f() {", "}"),
    ("impl S { async fn m(&self) {", "} }"),
    ("trait T { async fn m(&self) {", "} }"),
    ("mod m { pub async fn f() {", "} }"),
    (
        "fn f() -> impl std::future::Future<Output = ()> { async move {",
        "} }",
    ),
    ("#[tokio::main]\nasync fn main() {", "}"),
    ("async fn f() { let c = || {", "}; }"),
];

/// A valid-Rust program built from `bytes`: headers, then fns of async-relevant statements.
pub fn structured(bytes: &[u8]) -> String {
    let mut it = bytes.iter().map(|b| usize::from(*b));
    let mut next = |n: usize| it.next().map(|b| b % n);
    let mut s = String::new();
    for _ in 0..next(3).unwrap_or(0) {
        s.push_str(HEADERS[next(HEADERS.len()).unwrap_or(0)]);
        s.push('\n');
    }
    let mut fns = 0;
    while let Some(w) = next(WRAPPERS.len()) {
        let (open, close) = WRAPPERS[w];
        s.push_str(&open.replace(" f(", &format!(" f{fns}(")));
        s.push('\n');
        for _ in 0..next(6).unwrap_or(0) {
            let Some(i) = next(STATEMENTS.len()) else {
                break;
            };
            s.push_str("    ");
            s.push_str(STATEMENTS[i]);
            s.push('\n');
        }
        s.push_str(close);
        s.push('\n');
        fns += 1;
    }
    if next(2) == Some(1) {
        s = s.replace('\n', "\r\n");
    }
    s
}
