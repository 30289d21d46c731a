//! Baselines, for adopting the linter on a large codebase: `--write-baseline FILE` records the
//! current findings; `--baseline FILE` then reports only findings that are not in it.
//!
//! A finding is keyed by its path (relative to the baseline file's directory, `/`-separated), its
//! rule, and a hash of the offending line's text with whitespace collapsed, never by line number:
//! edits elsewhere in the file that shift lines, or re-indent the line, keep it recognised. When
//! one file has several findings of one rule on identical lines, each gets an occurrence index
//! (0, 1, ..) in source order, and the baseline suppresses as many of them as it recorded.
//!
//! The file is JSON with a `version`; a file that does not parse, or has another version, is a
//! usage error naming it (a broken baseline must never silently report nothing or everything).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Report};

/// Version of the baseline file layout.
pub const VERSION: u32 = 1;

/// The baseline document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Layout version ([`VERSION`]).
    pub version: u32,
    /// The recorded findings, sorted.
    pub entries: Vec<Entry>,
}

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Path relative to the baseline file's directory, with `/` separators.
    pub path: String,
    /// Rule id.
    pub rule: String,
    /// FNV-1a 64 of the offending line, whitespace-collapsed, as 16 hex digits.
    pub hash: String,
    /// Index among the findings with the same path, rule and hash, in source order.
    pub occurrence: usize,
}

/// A baseline file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineError(pub String);

impl std::fmt::Display for BaselineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// FNV-1a 64 of `line` with runs of whitespace collapsed to one space and the ends trimmed.
pub fn line_hash(line: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut first = true;
    for word in line.split_whitespace() {
        if !first {
            h ^= u64::from(b' ');
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        first = false;
        for b in word.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// `path` made absolute against `cwd` and normalised lexically (no `.`, `..` folded).
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `base` (both absolute), `/`-separated; falls back to the absolute path.
fn relative_to(base: &Path, path: &Path) -> String {
    let rel = match path.strip_prefix(base) {
        Ok(r) => r.to_path_buf(),
        Err(_) => {
            // Walk up from base until it is a prefix, adding `..`.
            let mut up = PathBuf::new();
            let mut b = base;
            loop {
                if let Ok(r) = path.strip_prefix(b) {
                    break up.join(r);
                }
                match b.parent() {
                    Some(p) => {
                        up.push("..");
                        b = p;
                    }
                    None => break path.to_path_buf(),
                }
            }
        }
    };
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The key of every diagnostic in `report` (same order), for a baseline stored at `file`.
fn keys(report: &Report, file: &Path) -> Result<Vec<Entry>, BaselineError> {
    let cwd = std::env::current_dir()
        .map_err(|e| BaselineError(format!("cannot read the current directory: {e}")))?;
    let base_abs = absolute(&cwd, file);
    let base = base_abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut seen: HashMap<(String, &str, String), usize> = HashMap::new();
    let mut rel_cache: HashMap<&PathBuf, String> = HashMap::new();
    let mut out = Vec::with_capacity(report.diagnostics.len());
    for d in &report.diagnostics {
        let path = rel_cache
            .entry(d.path.as_ref())
            .or_insert_with(|| relative_to(&base, &absolute(&cwd, &d.path)))
            .clone();
        let hash = line_hash(&offending_line(report, d));
        let n = seen
            .entry((path.clone(), d.rule.id, hash.clone()))
            .or_insert(0);
        out.push(Entry {
            path,
            rule: d.rule.id.to_string(),
            hash,
            occurrence: *n,
        });
        *n += 1;
    }
    Ok(out)
}

fn offending_line(report: &Report, d: &Diagnostic) -> String {
    match report.source(&d.path) {
        Some(src) => {
            let line = src.position(d.range.start).line;
            src.line_text(line).to_string()
        }
        None => String::new(),
    }
}

/// Writes the baseline of `report`'s findings to `file` (atomically); returns the entry count.
pub fn write(report: &Report, file: &Path) -> Result<usize, BaselineError> {
    let mut entries = keys(report, file)?;
    entries.sort();
    let doc = Baseline {
        version: VERSION,
        entries,
    };
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| BaselineError(format!("cannot serialise the baseline: {e}")))?;
    text.push('\n');
    crate::fsutil::write_atomically(file, text.as_bytes())
        .map_err(|e| BaselineError(format!("cannot write the baseline {}: {e}", file.display())))?;
    Ok(doc.entries.len())
}

/// Reads a baseline file; any problem is an error naming the file.
pub fn read(file: &Path) -> Result<Baseline, BaselineError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| BaselineError(format!("cannot read the baseline {}: {e}", file.display())))?;
    let doc: Baseline = serde_json::from_str(&text).map_err(|e| {
        BaselineError(format!(
            "{} is not a valid async-lint baseline: {e}",
            file.display()
        ))
    })?;
    if doc.version != VERSION {
        return Err(BaselineError(format!(
            "{} is an async-lint baseline of version {}, this version reads version {VERSION}; \
             regenerate it with --write-baseline",
            file.display(),
            doc.version
        )));
    }
    Ok(doc)
}

/// Drops from `report` every diagnostic the baseline (stored at `file`) records; returns how many.
pub fn apply(
    report: &mut Report,
    baseline: &Baseline,
    file: &Path,
) -> Result<usize, BaselineError> {
    let mut budget: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for e in &baseline.entries {
        *budget
            .entry((e.path.as_str(), e.rule.as_str(), e.hash.as_str()))
            .or_insert(0) += 1;
    }
    let keys = keys(report, file)?;
    let mut keep = Vec::with_capacity(keys.len());
    for k in &keys {
        let slot = budget.get_mut(&(k.path.as_str(), k.rule.as_str(), k.hash.as_str()));
        match slot {
            Some(n) if *n > 0 => {
                *n -= 1;
                keep.push(false);
            }
            _ => keep.push(true),
        }
    }
    let before = report.diagnostics.len();
    let mut it = keep.into_iter();
    report.diagnostics.retain(|_| it.next().unwrap_or(true));
    let removed = before - report.diagnostics.len();
    let paths: std::collections::HashSet<_> =
        report.diagnostics.iter().map(|d| d.path.clone()).collect();
    report.sources.retain(|p, _| paths.contains(p));
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_whitespace_differences() {
        assert_eq!(
            line_hash("    std::thread::sleep(d);"),
            line_hash("std::thread::sleep(d);  ")
        );
        assert_eq!(line_hash("a  b\tc"), line_hash("a b c"));
        assert_ne!(line_hash("a b"), line_hash("ab"));
        assert_eq!(line_hash(""), "cbf29ce484222325");
    }

    #[test]
    fn paths_are_relative_to_the_baseline_dir() {
        let base = Path::new("/r/sub");
        assert_eq!(relative_to(base, Path::new("/r/sub/src/a.rs")), "src/a.rs");
        assert_eq!(
            relative_to(base, Path::new("/r/other/a.rs")),
            "../other/a.rs"
        );
        assert_eq!(
            absolute(Path::new("/r/sub"), Path::new("./x/../src/a.rs")),
            PathBuf::from("/r/sub/src/a.rs")
        );
    }
}
