//! The result cache (as ruff's): a rerun on an unchanged tree skips reading into the parser.
//!
//! Each file's entry is keyed by its path and validated by a 128-bit hash (XXH3) of its content
//! and crate info; the whole cache file is tied to a fingerprint of the tool (version and the
//! executable's size and modification time, so a rebuilt linter never trusts an old cache) and of
//! the configuration that changes per-file results (enabled rules, user blocking APIs, whether
//! facts are collected). A hit replays the file's outcome: its cross-file facts (phase 2 still
//! runs over every file, so cross-file findings are re-resolved), or its error (unparsable,
//! too deep, not UTF-8), or its diagnostics and suppression comments (rules by id; a rule id the
//! tool no longer has fails to decode, and the file is re-linted). Their text is not cached: the
//! report reads it again from disk for the files that keep findings.
//!
//! The cache lives in `target/async-lint-cache/` when the current directory has a `target/`,
//! else in `.async-lint-cache/`, as one file: a header line with the format version, the
//! fingerprint, a checksum and the payload length, then the payload: the entries in postcard's
//! compact binary encoding, each file's outcome kept as its own encoded bytes. Loading decodes
//! only the keys and hashes; an outcome is decoded when its file is replayed (on the worker that
//! replays it), and unchanged entries are written back as they were read. A file with another
//! version or fingerprint, a bad checksum or a truncated payload is ignored and rebuilt, never
//! trusted. Writes go to a temporary file that is renamed into place, so concurrent runs never see
//! or leave a torn file (the last writer wins). `--no-cache` neither reads nor writes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128;

use crate::analysis::index::FileFacts;
use crate::diagnostic::{Diagnostic, FileError};
use crate::lint::{self, FileOutcome, Settings};
use crate::project::CrateInfo;
use crate::suppress::Suppressions;

/// First line prefix of a cache file; the number is the layout version.
const MAGIC: &str = "async-lint-cache 7";

/// Name of the cache file inside the cache directory.
const FILE_NAME: &str = "cache.bin";

/// Cache files of earlier layouts (JSON, formats 1 and 2), removed when a cache is saved.
const STALE_FILE_NAMES: &[&str] = &["cache.json"];

/// What is remembered of one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// XXH3-128 of the content and crate info, as two halves.
    hash: [u64; 2],
    /// The file's [`Cached`] outcome, postcard-encoded.
    outcome: Vec<u8>,
}

/// A file's replayable outcome. Decoded owned; encoded from references to the fresh outcome
/// (`Cached<&FileFacts, ..>` writes the same bytes), so nothing is copied just to be written.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Cached<F = FileFacts, D = Vec<Diagnostic>, S = Suppressions, M = String> {
    /// No diagnostics and no suppression comments; its facts for phase 2.
    Clean(F),
    /// Diagnostics or suppression comments (its text is read again when it is reported).
    Linted {
        diagnostics: D,
        suppressions: S,
        facts: F,
    },
    /// Could not be linted, for a reason that depends only on the content.
    Error {
        message: M,
        line: Option<usize>,
        column: Option<usize>,
    },
}

/// An open cache: the entries loaded at the start of a run, and those recorded during it.
#[derive(Debug)]
pub struct Cache {
    file: PathBuf,
    fingerprint: [u64; 2],
    old: HashMap<String, Entry>,
    /// This run's updates: `None` removes a stale entry.
    new: Mutex<HashMap<String, Option<Entry>>>,
}

fn split(h: u128) -> [u64; 2] {
    [(h >> 64) as u64, h as u64]
}

/// The directory the cache lives in, relative to the current directory.
pub fn dir() -> PathBuf {
    if Path::new("target").is_dir() {
        PathBuf::from("target/async-lint-cache")
    } else {
        PathBuf::from(".async-lint-cache")
    }
}

/// Fingerprint of the tool and of the settings that change per-file outcomes.
fn fingerprint(settings: &Settings) -> [u64; 2] {
    let mut key = format!("{MAGIC}\n{}\n", env!("CARGO_PKG_VERSION"));
    if let Ok(exe) = std::env::current_exe()
        && let Ok(meta) = std::fs::metadata(&exe)
    {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        key.push_str(&format!("{} {} {mtime}\n", exe.display(), meta.len()));
    }
    let mut ids: Vec<&str> = settings.rules.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    key.push_str(&format!(
        "{ids:?}\n{:?}\n{}\n{}\n",
        settings.blocking_apis, settings.collect_facts, settings.path_metadata
    ));
    split(xxh3_128(key.as_bytes()))
}

fn content_hash(bytes: &[u8], info: CrateInfo) -> [u64; 2] {
    let salt = xxh3_128(format!("{info:?}").as_bytes());
    split(xxh3_128(bytes) ^ salt)
}

impl Cache {
    /// Opens the cache in `dir` for a run with `settings`; a missing, foreign or corrupt cache
    /// file yields an empty cache (rebuilt on save).
    pub fn open(dir: &Path, settings: &Settings) -> Cache {
        let file = dir.join(FILE_NAME);
        let fingerprint = fingerprint(settings);
        let old = std::fs::read(&file)
            .ok()
            .and_then(|bytes| decode(&bytes, fingerprint))
            .unwrap_or_default();
        Cache {
            file,
            fingerprint,
            old,
            new: Mutex::new(HashMap::new()),
        }
    }

    /// Number of entries loaded.
    pub fn len(&self) -> usize {
        self.old.len()
    }

    /// Whether no entry was loaded.
    pub fn is_empty(&self) -> bool {
        self.old.is_empty()
    }

    /// Lints `path`, replaying its cached outcome when its content is unchanged.
    pub fn lint_file(
        &self,
        path: Arc<PathBuf>,
        info: CrateInfo,
        settings: &Settings,
    ) -> FileOutcome {
        let Ok(bytes) = lint::read_limited(&path) else {
            return lint::lint_file(path, info, settings);
        };
        let key = path.to_string_lossy().into_owned();
        let hash = content_hash(&bytes, info);
        if let Some(cached) = self
            .old
            .get(&key)
            .filter(|e| e.hash == hash)
            .and_then(|e| postcard::from_bytes::<Cached>(&e.outcome).ok())
        {
            return replay(path, cached);
        }
        let outcome = lint::lint_bytes(path, bytes, info, settings);
        let cached: Cached<_, _, _, &str> = match &outcome.error {
            Some(e) => Cached::Error {
                message: &e.message,
                line: e.line,
                column: e.column,
            },
            None if outcome.diagnostics.is_empty() && outcome.suppressions.is_empty() => {
                Cached::Clean(&outcome.facts)
            }
            None => Cached::Linted {
                diagnostics: &outcome.diagnostics,
                suppressions: &outcome.suppressions,
                facts: &outcome.facts,
            },
        };
        // An outcome that does not encode removes the stale entry rather than keeping it.
        let entry = postcard::to_allocvec(&cached)
            .ok()
            .map(|outcome| Entry { hash, outcome });
        self.new
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, entry);
        outcome
    }

    /// Writes the merged cache (old entries, updated by this run's) if anything changed.
    /// Failures are ignored: the cache is an optimisation, never a reason to fail a run.
    pub fn save(self) {
        let new = self.new.into_inner().unwrap_or_else(|p| p.into_inner());
        if new.is_empty() {
            return;
        }
        let mut all = self.old;
        for (k, e) in new {
            match e {
                Some(e) => all.insert(k, e),
                None => all.remove(&k),
            };
        }
        let Some(dir) = self.file.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            let _ = std::fs::write(&ignore, "# created by async-lint\n*\n");
        }
        let _ = crate::fsutil::write_atomically(&self.file, &encode(&all, self.fingerprint));
        for stale in STALE_FILE_NAMES {
            let _ = std::fs::remove_file(dir.join(stale));
        }
    }
}

fn replay(path: Arc<PathBuf>, cached: Cached) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: Arc::clone(&path),
        source: None,
        diagnostics: Vec::new(),
        suppressions: Suppressions::default(),
        facts: FileFacts::default(),
        error: None,
    };
    match cached {
        Cached::Clean(facts) => outcome.facts = facts,
        Cached::Linted {
            mut diagnostics,
            suppressions,
            facts,
        } => {
            for d in &mut diagnostics {
                d.path = Arc::clone(&path);
            }
            outcome.diagnostics = diagnostics;
            outcome.suppressions = suppressions;
            outcome.facts = facts;
        }
        Cached::Error {
            message,
            line,
            column,
        } => {
            outcome.error = Some(FileError {
                path: path.as_ref().clone(),
                message,
                line,
                column,
            });
        }
    }
    outcome
}

fn hex(h: [u64; 2]) -> String {
    format!("{:016x}{:016x}", h[0], h[1])
}

fn encode(entries: &HashMap<String, Entry>, fingerprint: [u64; 2]) -> Vec<u8> {
    let payload = postcard::to_allocvec(entries).unwrap_or_default();
    let mut out = format!(
        "{MAGIC} {} {} {}\n",
        hex(fingerprint),
        hex(split(xxh3_128(&payload))),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(&payload);
    out
}

fn decode(bytes: &[u8], fingerprint: [u64; 2]) -> Option<HashMap<String, Entry>> {
    let nl = bytes.iter().position(|b| *b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..nl]).ok()?;
    let rest = header.strip_prefix(MAGIC)?.strip_prefix(' ')?;
    let mut fields = rest.split(' ');
    let (fp, sum, len) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || fp != hex(fingerprint) {
        return None;
    }
    let payload = &bytes[nl + 1..];
    if len.parse::<usize>().ok()? != payload.len() || sum != hex(split(xxh3_128(payload))) {
        return None;
    }
    postcard::from_bytes(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An owned outcome, encoded (the type pins `Cached`'s default parameters).
    fn encoded(outcome: Cached) -> postcard::Result<Vec<u8>> {
        postcard::to_allocvec(&outcome)
    }

    fn entries() -> HashMap<String, Entry> {
        let mut m = HashMap::new();
        m.insert(
            "src/a.rs".to_string(),
            Entry {
                hash: [1, 2],
                outcome: encoded(Cached::Error {
                    message: "cannot parse".to_string(),
                    line: Some(1),
                    column: None,
                })
                .unwrap(),
            },
        );
        m.insert(
            "src/b.rs".to_string(),
            Entry {
                hash: [3, 4],
                outcome: encoded(Cached::Clean(FileFacts::default())).unwrap(),
            },
        );
        m
    }

    #[test]
    fn round_trips_and_rejects_anything_off() {
        let fp = [7, 9];
        let bytes = encode(&entries(), fp);
        assert_eq!(decode(&bytes, fp).unwrap().len(), 2);
        // Another tool or configuration.
        assert!(decode(&bytes, [7, 10]).is_none());
        // Truncated, flipped, appended, empty, garbage.
        assert!(decode(&bytes[..bytes.len() - 1], fp).is_none());
        let mut flipped = bytes.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        assert!(decode(&flipped, fp).is_none());
        let mut longer = bytes.clone();
        longer.push(b' ');
        assert!(decode(&longer, fp).is_none());
        assert!(decode(b"", fp).is_none());
        assert!(decode(b"\x00\xff\n{}", fp).is_none());
        // A payload that passes the checksum but holds a corrupt outcome is a miss, not a crash.
        let mut bad = entries();
        bad.get_mut("src/a.rs").unwrap().outcome = vec![0xff; 3];
        assert!(
            postcard::from_bytes::<Cached>(
                &decode(&encode(&bad, fp), fp).unwrap()["src/a.rs"].outcome
            )
            .is_err()
        );
        let mut other_version = bytes.clone();
        let digit = MAGIC.len() - 1;
        other_version[digit] += 1;
        assert!(decode(&other_version, fp).is_none());
    }

    #[test]
    fn unchanged_files_replay_and_changed_files_relint() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            rules: crate::rules::ALL.to_vec(),
            ..Settings::default()
        };
        let src = dir.path().join("a.rs");
        std::fs::write(&src, "fn f( {\n").unwrap();
        let path = Arc::new(src.clone());
        let cache_dir = dir.path().join("cache");

        let cache = Cache::open(&cache_dir, &settings);
        assert!(cache.is_empty());
        let first = cache.lint_file(Arc::clone(&path), CrateInfo::default(), &settings);
        assert!(first.error.is_some());
        // A cache file of an earlier layout, left by an older async-lint.
        std::fs::create_dir_all(&cache_dir).unwrap();
        std::fs::write(cache_dir.join("cache.json"), b"{}").unwrap();
        cache.save();
        assert!(cache_dir.join(".gitignore").exists());
        assert!(
            !cache_dir.join("cache.json").exists(),
            "the cache file of an earlier layout is removed"
        );

        // Forge a hit whose replay differs from a real lint: proves the parse is skipped.
        let cache = Cache::open(&cache_dir, &settings);
        assert_eq!(cache.len(), 1);
        let mut forged = cache.old.clone();
        forged
            .get_mut(&src.to_string_lossy().into_owned())
            .unwrap()
            .outcome = encoded(Cached::Clean(FileFacts::default())).unwrap();
        let forged_cache = Cache {
            old: forged,
            ..Cache::open(&cache_dir, &settings)
        };
        let replayed = forged_cache.lint_file(Arc::clone(&path), CrateInfo::default(), &settings);
        assert!(replayed.error.is_none(), "the cached outcome was replayed");

        // Changed content: a miss, linted for real.
        std::fs::write(&src, "fn f() {}\n").unwrap();
        let cache = Cache::open(&cache_dir, &settings);
        let fresh = cache.lint_file(Arc::clone(&path), CrateInfo::default(), &settings);
        assert!(fresh.error.is_none());
        cache.save();

        // Another configuration does not trust this cache.
        let other = Settings {
            rules: Vec::new(),
            ..Settings::default()
        };
        assert!(Cache::open(&cache_dir, &other).is_empty());
        // A corrupt file is ignored.
        std::fs::write(cache_dir.join(FILE_NAME), b"garbage").unwrap();
        assert!(Cache::open(&cache_dir, &settings).is_empty());
    }

    #[test]
    fn content_hash_depends_on_content_and_crate_info() {
        let info = CrateInfo::default();
        assert_eq!(
            content_hash(b"fn f() {}", info),
            content_hash(b"fn f() {}", info)
        );
        assert_ne!(
            content_hash(b"fn f() {}", info),
            content_hash(b"fn g() {}", info)
        );
        let other = CrateInfo {
            edition: crate::project::Edition::E2015,
            ..info
        };
        assert_ne!(content_hash(b"x", info), content_hash(b"x", other));
    }
}
