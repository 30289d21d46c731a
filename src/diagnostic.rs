//! Diagnostics as plain data: byte ranges, no spans, no renderer types.
//!
//! Line and column numbers are computed only when rendering (see [`crate::source`]).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

pub use crate::source::Position;
use crate::source::SourceText;

/// How serious a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A bug that will misbehave at runtime.
    Error,
    /// Very likely a bug; the default for async pitfalls.
    Warning,
    /// Worth a look; never a bug on its own.
    Info,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The pitfall family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Blocking calls in async contexts.
    Blocking,
    /// Futures created and never polled.
    Unawaited,
    /// Synchronous lock guards held across `.await`.
    Lock,
    /// Cancellation and task failures thrown away.
    Cancellation,
    /// The linter's own bookkeeping (unused suppressions).
    Meta,
}

/// Whether a rule offers fixes; enforced by the fixture harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    /// The rule never attaches a fix.
    Never,
    /// Some diagnostics carry a fix.
    Sometimes,
    /// Every diagnostic carries a fix.
    Always,
}

/// A rule as data: what a diagnostic names and every output shows. The rule itself (its
/// checks) is the rules module's `Rule`, which dereferences to this.
///
/// It serializes as its id. Decoding an id back into the `&'static RuleMeta` of this build
/// needs the rule registry, which lives above this module: `impl Deserialize for &'static
/// RuleMeta` is in the rules module (an id that is no longer a rule fails to decode, so a cache
/// entry holding it is ignored).
pub struct RuleMeta {
    /// Kebab-case id, used in the CLI, JSON, suppressions, `rules/<id>.md` and `fixtures/<id>/`.
    pub id: &'static str,
    /// Pitfall family.
    pub family: Family,
    /// Default severity.
    pub severity: Severity,
    /// One line; equals the first paragraph of `rules/<id>.md`.
    pub summary: &'static str,
    /// Whether fixes are offered.
    pub fix: FixAvailability,
    /// Whether the rule runs when nothing is selected explicitly.
    pub default_enabled: bool,
    /// The embedded `rules/<id>.md`.
    pub docs: &'static str,
}

impl std::fmt::Debug for RuleMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl PartialEq for RuleMeta {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for RuleMeta {}

impl Serialize for RuleMeta {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id)
    }
}

/// Whether a fix can be applied without review (mirrors ruff's applicability levels).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the program's meaning; applied by `--fix`.
    Safe,
    /// Changes behaviour or needs a feature/dependency; applied by `--unsafe-fixes`.
    Unsafe,
    /// Help only: shown, never applied.
    Manual,
}

impl Applicability {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::Manual => "manual",
        }
    }
}

/// One text replacement: `range` (byte offsets in the file) becomes `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Edit {
    /// Byte range replaced.
    pub range: Range<usize>,
    /// Text inserted in its place.
    pub replacement: String,
}

impl Edit {
    /// Replace `range` with `replacement`.
    pub fn replace(range: Range<usize>, replacement: impl Into<String>) -> Self {
        Edit {
            range,
            replacement: replacement.into(),
        }
    }

    /// Insert `text` at byte offset `at`.
    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Edit {
            range: at..at,
            replacement: text.into(),
        }
    }
}

/// A suggested change: a message, how safe it is, and its edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fix {
    /// Imperative phrase: "replace with `tokio::time::sleep(..).await`".
    pub message: String,
    /// Whether `--fix` / `--unsafe-fixes` may apply it.
    pub applicability: Applicability,
    /// The edits; empty for a purely manual fix.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix that keeps the program's meaning.
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix {
            message: message.into(),
            applicability: Applicability::Safe,
            edits,
        }
    }

    /// A fix that changes behaviour or needs a dependency feature.
    pub fn unsafe_(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix {
            message: message.into(),
            applicability: Applicability::Unsafe,
            edits,
        }
    }

    /// A fix shown as help only, never applied.
    pub fn manual(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix {
            message: message.into(),
            applicability: Applicability::Manual,
            edits,
        }
    }
}

/// A secondary source annotation ("guard still held here").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Label {
    /// Byte range annotated.
    pub range: Range<usize>,
    /// What the label says.
    pub message: String,
}

/// One finding of one rule in one file. (It serializes for the cache, without its path.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The rule that reported it.
    pub rule: &'static RuleMeta,
    /// Effective severity (after configuration).
    pub severity: Severity,
    /// One-line message: lowercase start, no trailing period.
    pub message: String,
    /// File the finding is in.
    #[serde(skip)]
    pub path: Arc<PathBuf>,
    /// Primary byte range.
    pub range: Range<usize>,
    /// Secondary labels.
    pub labels: Vec<Label>,
    /// What to write instead.
    pub help: Option<String>,
    /// A suggested fix.
    pub fix: Option<Fix>,
}

/// A file that could not be linted (unreadable, not UTF-8, unparsable, too deep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
    /// 1-based line, when the error has a position.
    pub line: Option<usize>,
    /// 1-based column in characters, when the error has a position.
    pub column: Option<usize>,
}

/// The finished result of a run: what every output format renders.
#[derive(Debug, Default)]
pub struct Report {
    /// Number of files read and parsed (or attempted).
    pub files_checked: usize,
    /// Findings, sorted by (path, line, column, rule).
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be linted.
    pub errors: Vec<FileError>,
    /// Source text of the files that have diagnostics, for snippets and positions.
    pub sources: std::collections::HashMap<Arc<PathBuf>, Arc<SourceText>>,
    /// Number of fixes applied by `--fix` (0 when not fixing).
    pub fixes_applied: usize,
    /// Wall time of the run.
    pub elapsed: std::time::Duration,
    /// The absolute directory relative paths in this report are relative to (the current
    /// directory), once the driver has made the paths relative (`paths::relativize`).
    pub root: Option<PathBuf>,
    /// The repository root that annotations are relative to, when known.
    pub repo_root: Option<PathBuf>,
}

impl Report {
    /// The source of a file that has diagnostics.
    pub fn source(&self, path: &PathBuf) -> Option<&SourceText> {
        self.sources.get(path).map(|s| s.as_ref())
    }

    /// Start and end position of a byte range in a file that has diagnostics.
    pub fn span_positions(&self, path: &PathBuf, range: &Range<usize>) -> (Position, Position) {
        match self.source(path) {
            Some(src) => (src.position(range.start), src.position(range.end)),
            None => (
                Position { line: 1, column: 1 },
                Position { line: 1, column: 1 },
            ),
        }
    }

    /// Exit status the run should end with: 0 clean, 1 findings or file errors.
    pub fn exit_code(&self) -> u8 {
        self.exit_code_at(Severity::Info)
    }

    /// Exit status when only findings at least as serious as `fail_on` fail the run: 0 clean,
    /// 1 such findings or file errors.
    pub fn exit_code_at(&self, fail_on: Severity) -> u8 {
        let fails = self.diagnostics.iter().any(|d| d.severity <= fail_on);
        if fails || !self.errors.is_empty() {
            1
        } else {
            0
        }
    }
}
