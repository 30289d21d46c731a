//! Linting one file: read, pre-scan, parse once, walk once with every enabled rule, collect
//! diagnostics and cross-file facts, and drop the AST.

use std::cell::RefCell;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::imports::{CanonPath, Imports};
use crate::analysis::index::{DiscardedCall, FileFacts, Pending};
use crate::analysis::locals::Locals;
use crate::analysis::scan;
use crate::config::BlockingApiEntry;
use crate::diagnostic::{Diagnostic, FileError, Fix, Label};
use crate::project::CrateInfo;
use crate::rules::Rule;
use crate::source::SourceText;
use crate::suppress::{self, Suppressions};

/// Deepest bracket nesting the parser is given. syn recurses per level; the worker threads'
/// stack ([`WORKER_STACK_BYTES`]) is sized so this depth parses with a wide margin.
pub const MAX_NESTING: usize = 1_000;

/// Largest file linted, in bytes. Parsing takes ~100 bytes of syntax tree per byte of source, so a
/// 50 MB generated file would need gigabytes; larger files are reported as errors instead.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Stack size of the threads that parse and walk files.
pub const WORKER_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Which async runtime a fix should target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// tokio (the default).
    Tokio,
    /// async-std.
    AsyncStd,
    /// smol.
    Smol,
}

/// Run-wide settings every file's lint needs.
#[derive(Debug, Default)]
pub struct Settings {
    /// Enabled rules.
    pub rules: Vec<&'static Rule>,
    /// User-declared blocking APIs from the config.
    pub blocking_apis: Vec<BlockingApiEntry>,
    /// Whether to collect cross-file facts (some enabled rule has a resolve hook).
    pub collect_facts: bool,
    /// Whether `Path::exists`, `is_file`, `metadata` and the like are blocking-fs
    /// (`blocking-path-metadata` in the config).
    pub path_metadata: bool,
}

impl Settings {
    /// Settings for running `rules` under `config`; facts are collected only when some rule
    /// resolves across files.
    pub fn new(rules: Vec<&'static Rule>, config: &crate::config::Config) -> Self {
        Settings {
            collect_facts: rules.iter().any(|r| r.hooks.resolve.is_some()),
            rules,
            blocking_apis: config.blocking_apis.clone(),
            path_metadata: config.blocking_path_metadata,
        }
    }

    /// Everything in these settings that changes a file's outcome, as text for the cache's
    /// fingerprint. (Destructured in full: a new setting does not compile until it is added.)
    pub fn cache_key(&self) -> String {
        let Settings {
            rules,
            blocking_apis,
            collect_facts,
            path_metadata,
        } = self;
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        format!("{ids:?}\n{blocking_apis:?}\n{collect_facts}\n{path_metadata}\n")
    }
}

/// What a rule sees of the file being linted.
pub struct FileCx<'a> {
    /// Unique per linted text in this process: a key for per-file memos (addresses of the
    /// syntax tree or text are reused by the allocator and must not be used as keys).
    pub generation: u64,
    /// The file's path.
    pub path: &'a Arc<PathBuf>,
    /// Its text and line index.
    pub source: &'a SourceText,
    /// The parsed file.
    pub file: &'a syn::File,
    /// Edition and runtime dependencies of its crate.
    pub crate_info: CrateInfo,
    /// Run-wide settings.
    pub settings: &'a Settings,
    /// Byte offset of the parsed text within the file (a BOM or shebang line is stripped).
    pub base: usize,
    pub(crate) imports: RefCell<Imports>,
    pub(crate) locals: RefCell<Locals>,
    /// The file's item summary, as far as the walk has come.
    pub(crate) items: RefCell<crate::semantic::items::Collector>,
    /// The innermost item scope of the walk (file, inline module, block with items).
    pub(crate) item_scope: std::cell::Cell<u32>,
    /// The fn being walked and its impl (indices of the file's fns and impls; `u32::MAX`:
    /// none), for symbolic types of `self` and calls.
    pub(crate) fn_owner: std::cell::Cell<(u32, u32)>,
}

impl FileCx<'_> {
    /// Canonical path of a path in the current scope (see [`Imports::resolve`]).
    pub fn resolve(&self, path: &syn::Path) -> CanonPath {
        self.imports.borrow().resolve(path)
    }

    /// The index of `path` among the file's recorded paths (for phase-2 resolution).
    pub fn path_fact(&self, path: &syn::Path) -> u32 {
        self.items.borrow_mut().path(path)
    }

    /// The innermost item scope of the walk (see [`crate::semantic::items::ItemSummary`]).
    pub fn item_scope(&self) -> u32 {
        self.item_scope.get()
    }

    /// What a single local name is imported as, if anything.
    pub fn lookup(&self, name: &str) -> Option<CanonPath> {
        self.imports.borrow().lookup(name).cloned()
    }

    /// Whether `name` is a local binding of the current fn (`None`: it is not), and its type
    /// when syntax proves it (see [`Locals`]).
    pub fn local(&self, name: &str) -> Option<Option<&'static str>> {
        self.locals.borrow().lookup(name)
    }

    /// Like [`FileCx::local`], with collection and iterator types (see
    /// [`crate::analysis::typing`]).
    pub fn local_ty(&self, name: &str) -> Option<Option<crate::analysis::typing::Ty>> {
        self.locals.borrow().lookup_ty(name)
    }

    /// Whether a visible `use` brings the item at canonical `path` into scope (a trait, for
    /// its methods).
    pub fn in_scope(&self, path: &str) -> bool {
        self.imports.borrow().in_scope(path)
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.source.position(offset).line
    }

    /// Byte range of a span in the file.
    pub fn span_range(&self, span: proc_macro2::Span) -> Range<usize> {
        let r = span.byte_range();
        r.start + self.base..r.end + self.base
    }

    /// Byte range of a syntax node (uses its first and last token).
    pub fn range(&self, node: &impl syn::spanned::Spanned) -> Range<usize> {
        self.span_range(node.span())
    }

    /// The file text in a byte range.
    pub fn text(&self, range: Range<usize>) -> &str {
        self.source.text().get(range).unwrap_or("")
    }

    /// The runtime fixes should target: the one this file imports, else the one its crate
    /// depends on, else tokio.
    pub fn runtime(&self) -> Runtime {
        let imports = self.imports.borrow();
        if imports.imports_crate("tokio") {
            Runtime::Tokio
        } else if imports.imports_crate("async_std") {
            Runtime::AsyncStd
        } else if imports.imports_crate("smol") {
            Runtime::Smol
        } else if self.crate_info.runtimes.tokio
            || !(self.crate_info.runtimes.async_std || self.crate_info.runtimes.smol)
        {
            Runtime::Tokio
        } else if self.crate_info.runtimes.async_std {
            Runtime::AsyncStd
        } else {
            Runtime::Smol
        }
    }
}

/// Where rules report findings for one file.
pub struct Sink<'a> {
    path: &'a Arc<PathBuf>,
    diagnostics: Vec<Diagnostic>,
    discarded: Vec<DiscardedCall>,
    pending: Vec<Pending>,
    /// Findings of `file` hooks waiting for the walk to type an expression, by the expression's
    /// file byte range (see [`Sink::report_by_type`]).
    deferred: std::collections::HashMap<(usize, usize), Vec<Deferred>>,
}

/// A finding whose condition is the type of an expression the file hook that found it could
/// not type: see [`Sink::report_by_type`].
struct Deferred {
    types: Vec<String>,
    fallback: bool,
    diagnostic: Diagnostic,
}

/// A just-reported diagnostic, to attach labels, help and a fix to.
pub struct Reported<'s>(&'s mut Diagnostic);

impl Reported<'_> {
    /// Adds a secondary label.
    pub fn label(self, range: Range<usize>, message: impl Into<String>) -> Self {
        self.0.labels.push(Label {
            range,
            message: message.into(),
        });
        self
    }

    /// Sets the help text (what to write instead).
    pub fn help(self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// Attaches a fix, if there is one.
    pub fn fix(self, fix: impl Into<Option<Fix>>) -> Self {
        self.0.fix = fix.into();
        self
    }
}

impl<'a> Sink<'a> {
    /// A sink for the diagnostics of `path`.
    pub fn new(path: &'a Arc<PathBuf>) -> Self {
        Sink {
            path,
            diagnostics: Vec::new(),
            discarded: Vec::new(),
            pending: Vec::new(),
            deferred: std::collections::HashMap::new(),
        }
    }

    /// Records a discarded call as a fact for the resolution phase (see [`FileFacts::discarded`]).
    pub fn record_discarded(&mut self, call: DiscardedCall) {
        self.discarded.push(call);
    }

    /// Takes the discarded-call facts recorded so far.
    pub fn take_discarded(&mut self) -> Vec<DiscardedCall> {
        std::mem::take(&mut self.discarded)
    }

    /// Reports a finding of `rule` at `range`.
    pub fn report(
        &mut self,
        rule: &'static Rule,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Reported<'_> {
        let d = self.diagnostic(rule, range, message.into());
        self.diagnostics.push(d);
        Reported(self.diagnostics.last_mut().expect("just pushed"))
    }

    /// Reports a finding of `rule` at `range` that holds only if the expression of symbolic
    /// type `sym` ([`crate::analysis::syms::sym_of`]) has one of `types` (canonical paths,
    /// after autoderef): phase 2 decides.
    pub fn report_if_type(
        &mut self,
        sym: u32,
        types: Vec<String>,
        rule: &'static Rule,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Reported<'_> {
        let diagnostic = self.diagnostic(rule, range, message.into());
        self.pending.push(Pending {
            sym,
            types,
            diagnostic,
        });
        Reported(&mut self.pending.last_mut().expect("just pushed").diagnostic)
    }

    /// A bare diagnostic of `rule` in this file.
    fn diagnostic(&self, rule: &'static Rule, range: Range<usize>, message: String) -> Diagnostic {
        Diagnostic {
            rule,
            severity: rule.severity,
            message,
            path: Arc::clone(self.path),
            range,
            labels: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Reports a finding of `rule` at `range` that holds only if the expression at `at` (a file
    /// byte range) has one of `types`, for `file` hooks, which run before the walk knows the
    /// bindings an expression sees. When the walk reaches that expression it is settled
    /// ([`Sink::settle_deferred`]): an expression with a symbolic type becomes a
    /// [`Sink::report_if_type`] finding; one without (or never reached) is reported only if
    /// `fallback`.
    #[allow(clippy::too_many_arguments)]
    pub fn report_by_type(
        &mut self,
        at: Range<usize>,
        types: Vec<String>,
        fallback: bool,
        rule: &'static Rule,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Reported<'_> {
        let diagnostic = self.diagnostic(rule, range, message.into());
        let waiting = self.deferred.entry((at.start, at.end)).or_default();
        waiting.push(Deferred {
            types,
            fallback,
            diagnostic,
        });
        Reported(&mut waiting.last_mut().expect("just pushed").diagnostic)
    }

    /// Whether findings wait for the type of an expression ([`Sink::report_by_type`]).
    pub fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// Settles the findings waiting for the expression at `at` (a file byte range), whose
    /// symbolic type `sym` computes ([`crate::semantic::items::NONE`]: none).
    pub fn settle_deferred(&mut self, at: &Range<usize>, sym: impl FnOnce() -> u32) {
        let Some(now) = self.deferred.remove(&(at.start, at.end)) else {
            return;
        };
        let sym = sym();
        for d in now {
            self.settle_one(d, sym);
        }
    }

    fn settle_one(&mut self, d: Deferred, sym: u32) {
        if sym != crate::semantic::items::NONE {
            self.pending.push(Pending {
                sym,
                types: d.types,
                diagnostic: d.diagnostic,
            });
        } else if d.fallback {
            self.diagnostics.push(d.diagnostic);
        }
    }

    /// Settles the findings whose expression the walk never reached: as if it had no type.
    pub fn finish_deferred(&mut self) {
        let mut waiting: Vec<_> = std::mem::take(&mut self.deferred).into_iter().collect();
        waiting.sort_by_key(|(at, _)| *at);
        for (_, ds) in waiting {
            for d in ds {
                self.settle_one(d, crate::semantic::items::NONE);
            }
        }
    }

    /// Takes the pending findings recorded so far.
    pub fn take_pending(&mut self) -> Vec<Pending> {
        std::mem::take(&mut self.pending)
    }

    /// The diagnostics reported so far.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

/// The result of linting one file.
#[derive(Debug)]
pub struct FileOutcome {
    /// The file.
    pub path: Arc<PathBuf>,
    /// Its text, kept only when it has diagnostics (for snippets and positions).
    pub source: Option<Arc<SourceText>>,
    /// Findings, before suppressions are applied.
    pub diagnostics: Vec<Diagnostic>,
    /// Its suppression comments.
    pub suppressions: Suppressions,
    /// Facts for the resolution phase.
    pub facts: FileFacts,
    /// Why it could not be linted.
    pub error: Option<FileError>,
    /// Its content hash and, when replayed from the cache, its facts still encoded: they are
    /// decoded only when the crate-wide phase has to run again (set by the cache only).
    pub stamp: Option<Stamp>,
}

/// What the cache knows of a linted file (see [`FileOutcome::stamp`]).
#[derive(Debug, Clone, Default)]
pub struct Stamp {
    /// Hash of the content and crate info.
    pub hash: [u64; 2],
    /// The file's [`FileFacts`], postcard-encoded, when they were not decoded.
    pub encoded_facts: Option<Arc<[u8]>>,
}

impl Stamp {
    /// The file's facts: those it kept encoded, decoded, else `facts` (a payload that fails to
    /// decode, which its checksum makes unlikely, gives no facts).
    pub fn facts_or(self, facts: FileFacts) -> FileFacts {
        match self.encoded_facts {
            Some(bytes) => postcard::from_bytes(&bytes).unwrap_or_default(),
            None => facts,
        }
    }
}

impl FileOutcome {
    fn error(path: Arc<PathBuf>, message: String, position: Option<(usize, usize)>) -> Self {
        FileOutcome {
            error: Some(FileError {
                path: path.as_ref().clone(),
                message,
                line: position.map(|p| p.0),
                column: position.map(|p| p.1),
            }),
            path,
            source: None,
            diagnostics: Vec::new(),
            suppressions: Suppressions::default(),
            facts: FileFacts::default(),
            stamp: None,
        }
    }
}

/// Reads and lints one file. Never panics on any input.
pub fn lint_file(path: Arc<PathBuf>, crate_info: CrateInfo, settings: &Settings) -> FileOutcome {
    let bytes = match read_limited(&path) {
        Ok(b) => b,
        Err(message) => return FileOutcome::error(path, message, None),
    };
    lint_bytes(path, bytes, crate_info, settings)
}

/// Reads a file of at most [`MAX_FILE_BYTES`].
pub fn read_limited(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read file: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_FILE_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_large(len: u64) -> String {
    format!(
        "file is too large to lint ({len} bytes; the limit is {} MiB)",
        MAX_FILE_BYTES / (1024 * 1024)
    )
}

/// Lints one file's contents (also used for `--stdin-filename` and the fixer's re-lint).
pub fn lint_bytes(
    path: Arc<PathBuf>,
    bytes: Vec<u8>,
    crate_info: CrateInfo,
    settings: &Settings,
) -> FileOutcome {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix =
                SourceText::new(String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned());
            let pos = prefix.position(valid);
            return FileOutcome::error(
                path,
                format!("file is not valid UTF-8 (invalid byte at offset {valid})"),
                Some((pos.line, pos.column)),
            );
        }
    };
    lint_text(path, text, crate_info, settings)
}

/// Lints one file's text.
pub fn lint_text(
    path: Arc<PathBuf>,
    text: String,
    crate_info: CrateInfo,
    settings: &Settings,
) -> FileOutcome {
    if text.len() as u64 > MAX_FILE_BYTES {
        return FileOutcome::error(path, too_large(text.len() as u64), None);
    }
    let source = SourceText::new(text);
    let pre = scan::scan(source.text());
    if pre.max_depth > MAX_NESTING {
        let pos = source.position(pre.deepest_at);
        return FileOutcome::error(
            path,
            format!(
                "nested too deeply to parse: {} levels of brackets or generics (the limit is {MAX_NESTING})",
                pre.max_depth
            ),
            Some((pos.line, pos.column)),
        );
    }
    let base = parse_base(source.text());
    let parsed = syn::parse_str::<syn::File>(&source.text()[base..]);
    let outcome = match parsed {
        Err(e) => {
            let r = e.span().byte_range();
            let pos = source.position(r.start + base);
            let msg = e.to_string();
            let msg = if msg == "cannot parse string into token stream" {
                "unbalanced delimiters or an invalid token".to_string()
            } else {
                msg
            };
            let out = FileOutcome::error(
                path,
                format!("cannot parse: {msg}"),
                Some((pos.line, pos.column)),
            );
            proc_macro2::extra::invalidate_current_thread_spans();
            crate::analysis::macros::forget();
            return out;
        }
        Ok(file) => {
            let mut suppressions = suppress::parse(&source, &pre.comments);
            suppress::refine(&mut suppressions, &source, &file, base);
            static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
            let cx = FileCx {
                generation: GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                path: &path,
                source: &source,
                file: &file,
                crate_info,
                settings,
                base,
                imports: RefCell::new(Imports::default()),
                locals: RefCell::new(Locals::default()),
                items: RefCell::new(crate::semantic::items::Collector::new(&file.attrs)),
                item_scope: std::cell::Cell::new(0),
                fn_owner: std::cell::Cell::new((u32::MAX, u32::MAX)),
            };
            let mut sink = Sink::new(&path);
            let facts = crate::walk::walk_file(&cx, &mut sink);
            let diagnostics = sink.into_diagnostics();
            drop(cx);
            drop(file);
            // What outlives the file was allocated among its tree's nodes: copied into the
            // long-lived heap, it no longer pins the tree's pages (see `allocator::Allocator`).
            crate::allocator::long_lived(|| {
                (diagnostics.clone(), facts.detached(), suppressions.clone())
            })
        }
    };
    proc_macro2::extra::invalidate_current_thread_spans();
    crate::analysis::macros::forget();
    let (diagnostics, facts, suppressions) = outcome;
    FileOutcome {
        source: Some(Arc::new(source)),
        path,
        diagnostics,
        suppressions,
        facts,
        error: None,
        stamp: None,
    }
}

/// Length of a leading BOM and shebang line, which syn strips before parsing.
fn parse_base(text: &str) -> usize {
    let mut base = 0;
    if text.starts_with('\u{feff}') {
        base += '\u{feff}'.len_utf8();
    }
    let rest = &text[base..];
    if rest.starts_with("#!") && !rest[2..].trim_start().starts_with('[') {
        base += rest.find('\n').unwrap_or(rest.len());
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_findings_take_the_type_of_the_expression_they_wait_for() {
        let path = Arc::new(PathBuf::from("a.rs"));
        let mut sink = Sink::new(&path);
        let rule = crate::rules::ALL[0];
        let types = vec!["tokio::task::JoinHandle".to_string()];
        sink.report_by_type(10..12, types.clone(), false, rule, 0..20, "reached");
        sink.report_by_type(30..32, types.clone(), false, rule, 25..40, "never reached");
        sink.report_by_type(
            10..12,
            types.clone(),
            false,
            rule,
            50..60,
            "same expression",
        );
        sink.report_by_type(
            40..42,
            types.clone(),
            true,
            rule,
            60..70,
            "untyped, fallback",
        );
        sink.report_by_type(44..46, types, false, rule, 70..80, "untyped, no fallback");
        assert!(sink.has_deferred());
        let mut calls = 0;
        sink.settle_deferred(&(10..13), || {
            calls += 1;
            7
        });
        sink.settle_deferred(&(10..12), || {
            calls += 1;
            7
        });
        assert_eq!(calls, 1, "typed once, and only for a waited-for range");
        sink.settle_deferred(&(40..42), || crate::semantic::items::NONE);
        sink.settle_deferred(&(44..46), || crate::semantic::items::NONE);
        sink.finish_deferred();
        assert!(!sink.has_deferred());
        let pending = sink.take_pending();
        let kept: Vec<(&str, u32)> = pending
            .iter()
            .map(|p| (p.diagnostic.message.as_str(), p.sym))
            .collect();
        assert_eq!(kept, vec![("reached", 7), ("same expression", 7)]);
        let reported: Vec<String> = sink
            .into_diagnostics()
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(reported, vec!["untyped, fallback"]);
    }
}
