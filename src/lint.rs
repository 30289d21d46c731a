//! Linting one file: read, pre-scan, parse once, walk once with every enabled rule, collect
//! diagnostics and cross-file facts, and drop the AST.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

pub use crate::analysis::file::FileCx;
pub use crate::analysis::settings::{Runtime, Settings};
pub use crate::analysis::sink::{Reported, Sink};

use crate::analysis::facts::FileFacts;
use crate::analysis::imports::Imports;
use crate::analysis::locals::Locals;
use crate::analysis::scan;
use crate::diagnostic::{Diagnostic, FileError};
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

impl Settings {
    /// Settings for running `rules` under `config`; facts are collected only when some rule
    /// resolves across files.
    pub fn new(rules: Vec<&'static Rule>, config: &crate::config::Config) -> Self {
        Settings {
            collect_facts: rules.iter().any(|r| r.hooks.resolve.is_some()),
            rules: rules.iter().map(|r| &r.meta).collect(),
            blocking_apis: config.blocking_apis.clone(),
            path_metadata: config.blocking_path_metadata,
        }
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
    /// Its content hash (with a cache) and its facts still encoded: they are decoded only when
    /// the crate-wide phase runs (not at all when the cache remembers that phase's findings).
    pub stamp: Option<Stamp>,
}

/// What the cache knows of a linted file (see [`FileOutcome::stamp`]).
#[derive(Debug, Clone, Default)]
pub struct Stamp {
    /// Hash of the content and crate info (`None` without a cache: the file was not hashed).
    pub hash: Option<[u64; 2]>,
    /// The file's [`FileFacts`], postcard-encoded (in memory or in the loaded cache file),
    /// when they were not decoded.
    pub encoded_facts: Option<EncodedFacts>,
}

/// A file's [`FileFacts`], postcard-encoded: in memory (just linted), or where they are in the
/// cache file this run loaded. A warm run over 26k files held 109 MB of encoded facts that its
/// remembered crate-wide phase never decoded: they are read only when needed.
#[derive(Debug, Clone)]
pub enum EncodedFacts {
    /// The encoding.
    Bytes(Arc<[u8]>),
    /// A range of the loaded cache file, with the XXH3-64 of its bytes.
    InFile {
        /// The loaded cache file, open (a new cache file replaces it by rename: this one stays
        /// as it was read).
        file: Arc<std::fs::File>,
        /// Offset of the encoding in the file.
        offset: u64,
        /// Its length.
        len: usize,
        /// XXH3-64 of its bytes, as loaded.
        check: u64,
    },
}

impl EncodedFacts {
    /// The encoding; `None` when the cache file can no longer give the bytes it held.
    pub fn bytes(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            EncodedFacts::Bytes(b) => Some(Cow::Borrowed(b)),
            EncodedFacts::InFile {
                file,
                offset,
                len,
                check,
            } => {
                let mut buf = vec![0; *len];
                crate::fsutil::read_exact_at(file, &mut buf, *offset).ok()?;
                (xxhash_rust::xxh3::xxh3_64(&buf) == *check).then_some(Cow::Owned(buf))
            }
        }
    }
}

impl Stamp {
    /// The file's facts: those it kept encoded, decoded, else `facts` (a payload that fails to
    /// decode, which its checksum makes unlikely, gives no facts).
    pub fn facts_or(self, facts: FileFacts) -> FileFacts {
        match self.encoded_facts {
            Some(encoded) => encoded
                .bytes()
                .and_then(|b| postcard::from_bytes(&b).ok())
                .unwrap_or_default(),
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
    match read_limited(&path) {
        Ok(bytes) => lint_bytes(path, bytes, crate_info, settings),
        Err(message) => FileOutcome::error(path, message, None),
    }
}

/// [`lint_file`] for a caller that encodes the facts at once: they are not copied out of the
/// file's tree memory first ([`FileFacts::detached`]), which only facts kept as structures need.
pub fn lint_file_to_encode(
    path: Arc<PathBuf>,
    crate_info: CrateInfo,
    settings: &Settings,
) -> FileOutcome {
    match read_limited(&path) {
        Ok(bytes) => lint_bytes_to_encode(path, bytes, crate_info, settings),
        Err(message) => FileOutcome::error(path, message, None),
    }
}

/// [`lint_bytes`] for a caller that encodes the facts at once (see [`lint_file_to_encode`]).
pub fn lint_bytes_to_encode(
    path: Arc<PathBuf>,
    bytes: Vec<u8>,
    crate_info: CrateInfo,
    settings: &Settings,
) -> FileOutcome {
    lint_utf8(path, bytes, crate_info, settings, false)
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
    lint_utf8(path, bytes, crate_info, settings, true)
}

/// Lints `bytes` as text (an error outcome when they are not UTF-8); the facts are copied out
/// of the tree's memory when `detach`.
fn lint_utf8(
    path: Arc<PathBuf>,
    bytes: Vec<u8>,
    crate_info: CrateInfo,
    settings: &Settings,
    detach: bool,
) -> FileOutcome {
    match String::from_utf8(bytes) {
        Ok(text) => lint(path, text, crate_info, settings, detach),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix =
                SourceText::new(String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned());
            let pos = prefix.position(valid);
            FileOutcome::error(
                path,
                format!("file is not valid UTF-8 (invalid byte at offset {valid})"),
                Some((pos.line, pos.column)),
            )
        }
    }
}

/// Lints one file's text.
pub fn lint_text(
    path: Arc<PathBuf>,
    text: String,
    crate_info: CrateInfo,
    settings: &Settings,
) -> FileOutcome {
    lint(path, text, crate_info, settings, true)
}

/// Lints one file's text; its facts are copied out of the tree's memory when `detach`.
fn lint(
    path: Arc<PathBuf>,
    text: String,
    crate_info: CrateInfo,
    settings: &Settings,
    detach: bool,
) -> FileOutcome {
    if text.len() as u64 > MAX_FILE_BYTES {
        return FileOutcome::error(path, too_large(text.len() as u64), None);
    }
    let source = Arc::new(SourceText::new(text));
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
    let tables = crate::analysis::inert::literal_tables(source.text(), &pre.large_brackets);
    let parse = |blank: &[std::ops::Range<usize>]| {
        let parse_text = scan::parser_text(source.text(), &pre.comments, blank);
        syn::parse_str::<syn::File>(&parse_text[base..])
    };
    let mut parsed = parse(&tables);
    if parsed.is_err() && !tables.is_empty() {
        // A blanked table where an empty one is not allowed (`x[..]` as an index): the file
        // as written decides, and reports its own errors.
        proc_macro2::extra::invalidate_current_thread_spans();
        parsed = parse(&[]);
    }
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
            return out;
        }
        Ok(file) => {
            let _parsed = crate::span::ParsedFile::install(Arc::clone(&source), base);
            let known = crate::rules::suppressible();
            let mut suppressions = suppress::parse(&source, &pre.comments, known);
            suppress::refine(&mut suppressions, &source, &file, base, known);
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
                let_moved_off: std::cell::OnceCell::new(),
                test_items: std::cell::Cell::new(0),
                walked_expr: std::cell::Cell::new((0, false)),
            };
            let mut sink = Sink::new(&path);
            crate::analysis::macros::remember_for_file();
            let rules = crate::rules::enabled(settings);
            if !rules
                .iter()
                .any(|r| r.id == crate::rules::lock_across_await::LOCK_ACROSS_AWAIT.id)
            {
                crate::rules::lock_across_await::record_held(&cx, &path, &mut sink);
            }
            let facts = crate::walk::walk_file(&cx, &rules, &mut sink);
            let diagnostics = sink.into_diagnostics();
            drop(cx);
            drop(file);
            // What outlives the file was allocated among its tree's nodes: copied into the
            // long-lived heap, it no longer pins the tree's pages (see `allocator::Allocator`).
            crate::allocator::long_lived(|| {
                let facts = if detach { facts.detached() } else { facts };
                (diagnostics.clone(), facts, suppressions.clone())
            })
        }
    };
    proc_macro2::extra::invalidate_current_thread_spans();
    crate::analysis::macros::forget();
    let (diagnostics, facts, suppressions) = outcome;
    FileOutcome {
        source: Some(source),
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
