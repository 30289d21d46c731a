//! The result cache (as ruff's): a rerun on an unchanged tree skips reading into the parser.
//!
//! Each file's entry is keyed by its absolute path (`.` and `..` resolved) and validated by a
//! 128-bit hash (XXH3) of its content, its crate info and the settings it was linted with
//! (enabled rules, user blocking APIs, whether facts are collected: each file has its own
//! configuration, see the `scope` module); the whole cache file is tied to a fingerprint of the
//! tool (version and the executable's size and modification time, so a rebuilt linter never
//! trusts an old cache). A hit replays the file's outcome: its cross-file facts (phase 2 still
//! runs over every file, so cross-file findings are re-resolved), or its error (unparsable,
//! too deep, not UTF-8), or its diagnostics and suppression comments (rules by id; a rule id the
//! tool no longer has fails to decode, and the file is re-linted). Their text is not cached: the
//! report reads it again from disk for the files that keep findings. A partial run's context
//! files are only replayed ([`Cache::replay_only`]), never linted into the cache.
//!
//! There is one cache per project, placed as [`crate::cache_root`] says, as one file: a header
//! line with the format version, the fingerprint, a checksum and the payload length, then the
//! payload: the entries in postcard's compact binary encoding, each file's outcome kept as its
//! own encoded bytes. Loading decodes only the keys and hashes; an outcome is decoded when its
//! file is replayed (on the worker that replays it), a file's facts are left in the cache file
//! (read back only when the crate-wide phase runs), and unchanged entries are written back as
//! they were read. A run over the whole project drops the entries of files it did not see. A
//! file with another version or fingerprint, a bad checksum or a truncated payload is ignored
//! and rebuilt, never trusted. Writes go to a temporary file that is renamed into place, so
//! concurrent runs never see or leave a torn file (the last writer wins). `--no-cache` neither
//! reads nor writes it.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use crate::analysis::facts::FileFacts;
use crate::diagnostic::{Diagnostic, FileError};
use crate::lint::{self, EncodedFacts, FileOutcome, Settings};
use crate::project::CrateInfo;
use crate::spill::Spill;
use crate::suppress::Suppressions;

/// First line prefix of a cache file; the number is the layout version.
const MAGIC: &str = "async-lint-cache 9";

/// Name of the cache file inside the cache directory.
const FILE_NAME: &str = "cache.bin";

/// Cache files of earlier layouts (JSON, formats 1 and 2), removed when a cache is saved.
const STALE_FILE_NAMES: &[&str] = &["cache.json"];

/// What is remembered of one file, as the cache file stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredEntry {
    /// XXH3-128 of the content and crate info, as two halves.
    hash: [u64; 2],
    /// The file's [`Cached`] outcome, postcard-encoded.
    outcome: Vec<u8>,
    /// The file's [`FileFacts`], postcard-encoded apart from the outcome: a run whose
    /// crate-wide phase is remembered ([`Resolved`]) never decodes them.
    facts: Arc<[u8]>,
}

/// A [`StoredEntry`] decoded in place: its bytes borrowed from the loaded cache file (the
/// same encoding: postcard writes a `Vec<u8>` and a `&[u8]` alike).
#[derive(Deserialize)]
struct BorrowedEntry<'a> {
    hash: [u64; 2],
    outcome: &'a [u8],
    facts: &'a [u8],
}

/// The payload of a loaded cache file, decoded in place (see [`BorrowedEntry`]).
#[derive(Deserialize)]
struct BorrowedPayload<'a> {
    #[serde(borrow)]
    entries: HashMap<String, BorrowedEntry<'a>>,
    resolved: HashMap<[u64; 2], Vec<u8>>,
}

/// What is remembered of one file, in memory: its facts stay in the cache file until the
/// crate-wide phase needs them.
#[derive(Debug, Clone)]
struct Entry {
    hash: [u64; 2],
    outcome: Vec<u8>,
    facts: EncodedFacts,
}

impl Entry {
    /// The entry as the cache file stores it (facts read back from the loaded file); `None`
    /// when they cannot be read.
    fn stored(self) -> Option<StoredEntry> {
        let facts = match self.facts {
            EncodedFacts::Bytes(b) => b,
            e => Arc::from(e.bytes()?.into_owned()),
        };
        Some(StoredEntry {
            hash: self.hash,
            outcome: self.outcome,
            facts,
        })
    }
}

/// What a group's crate-wide phase gave one of its files (see [`Cache::resolved`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFile {
    /// The file.
    pub path: String,
    /// Its findings: its own and the crate-wide ones, after the test-code policy.
    pub diagnostics: Vec<Diagnostic>,
    /// The suppressions of the file that phase used (a helper's allow cutting a chain).
    pub used: Vec<(usize, usize)>,
}

/// Everything the cache file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    entries: HashMap<String, StoredEntry>,
    /// The crate-wide findings of each group of files the last run resolved, by the group's
    /// [`run_key`] (its files' paths and content hashes and the project model): each file's
    /// findings by path, postcard-encoded.
    resolved: HashMap<[u64; 2], Vec<u8>>,
}

/// A file's replayable outcome. Decoded owned; encoded from references to the fresh outcome
/// (`Cached<&Vec<Diagnostic>, ..>` writes the same bytes), so nothing is copied just to be
/// written.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Cached<D = Vec<Diagnostic>, S = Suppressions, M = String> {
    /// No diagnostics and no suppression comments.
    Clean,
    /// Diagnostics or suppression comments (its text is read again when it is reported).
    Linted { diagnostics: D, suppressions: S },
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
    /// The crate-wide findings loaded, by group key ([`run_key`]).
    resolved: HashMap<[u64; 2], Vec<u8>>,
    /// The keys of the groups this run resolved, with the findings it computed (`None`: those
    /// loaded were still valid).
    resolved_new: Mutex<HashMap<[u64; 2], Option<Vec<u8>>>>,
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

/// Fingerprint of the tool.
fn fingerprint() -> [u64; 2] {
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
    split(xxh3_128(key.as_bytes()))
}

/// Fingerprint of the settings that change per-file outcomes (a run may have several: each
/// file is linted with its own configuration).
fn settings_key(settings: &Settings) -> u128 {
    xxh3_128(settings.cache_key().as_bytes())
}

/// A file's entry key: its absolute path with `.` and `..` resolved, so that a file named
/// relatively, absolutely or from another directory shares one entry.
fn key(path: &Path) -> String {
    crate::semantic::project::normalize(path)
        .to_string_lossy()
        .into_owned()
}

fn content_hash(bytes: &[u8], info: CrateInfo, settings: &Settings) -> [u64; 2] {
    let salt = xxh3_128(format!("{info:?}").as_bytes());
    split(xxh3_128(bytes) ^ salt ^ settings_key(settings).rotate_left(1))
}

impl Cache {
    /// Opens the cache in `dir`; a missing, foreign or corrupt cache file yields an empty cache
    /// (rebuilt on save).
    pub fn open(dir: &Path) -> Cache {
        let file = dir.join(FILE_NAME);
        let fingerprint = fingerprint();
        let (old, resolved) = load(&file, fingerprint).unwrap_or_default();
        Cache {
            file,
            fingerprint,
            old,
            new: Mutex::new(HashMap::new()),
            resolved,
            resolved_new: Mutex::new(HashMap::new()),
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

    /// The cached outcome of `path` when the cache holds its current content; never lints.
    pub fn replay_only(
        &self,
        path: &Arc<PathBuf>,
        info: CrateInfo,
        settings: &Settings,
    ) -> Option<FileOutcome> {
        let bytes = lint::read_limited(path).ok()?;
        let hash = content_hash(&bytes, info, settings);
        let e = self.old.get(&key(path)).filter(|e| e.hash == hash)?;
        let cached = postcard::from_bytes::<Cached>(&e.outcome).ok()?;
        Some(replay(Arc::clone(path), cached, hash, e.facts.clone()))
    }

    /// Lints `path`, replaying its cached outcome when its content is unchanged; new facts are
    /// parked in `spill` when there is one.
    pub fn lint_file(
        &self,
        path: Arc<PathBuf>,
        info: CrateInfo,
        settings: &Settings,
        spill: Option<&Spill>,
    ) -> FileOutcome {
        let Ok(bytes) = lint::read_limited(&path) else {
            return lint::lint_file_to_encode(path, info, settings);
        };
        let key = key(&path);
        let hash = content_hash(&bytes, info, settings);
        if let Some((e, cached)) = self.old.get(&key).filter(|e| e.hash == hash).and_then(|e| {
            postcard::from_bytes::<Cached>(&e.outcome)
                .ok()
                .map(|c| (e, c))
        }) {
            return replay(path, cached, hash, e.facts.clone());
        }
        let mut outcome = lint::lint_bytes_to_encode(path, bytes, info, settings);
        // The facts are encoded once, for the cache and for the crate-wide phase, which decodes
        // them group by group: the structures are not kept beside their encoding.
        let facts = encode_facts(&mut outcome, Some(hash), spill);
        let cached: Cached<_, _, &str> = match &outcome.error {
            Some(e) => Cached::Error {
                message: &e.message,
                line: e.line,
                column: e.column,
            },
            None if outcome.diagnostics.is_empty() && outcome.suppressions.is_empty() => {
                Cached::Clean
            }
            None => Cached::Linted {
                diagnostics: &outcome.diagnostics,
                suppressions: &outcome.suppressions,
            },
        };
        // An outcome that does not encode removes the stale entry rather than keeping it.
        let entry = postcard::to_allocvec(&cached)
            .ok()
            .zip(facts)
            .map(|(outcome, facts)| Entry {
                hash,
                outcome,
                facts,
            });
        self.new
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, entry);
        outcome
    }

    /// What the crate-wide phase gave the files of a group of exactly this `key` ([`run_key`]);
    /// the group is kept when the cache is saved.
    pub fn resolved(&self, key: [u64; 2]) -> Option<Vec<GroupFile>> {
        let found = postcard::from_bytes(self.resolved.get(&key)?).ok()?;
        self.resolved_new
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, None);
        Some(found)
    }

    /// Remembers what a group's crate-wide phase gave its files, under `key`.
    pub fn set_resolved(&self, key: [u64; 2], findings: &[GroupFile]) {
        if let Ok(bytes) = postcard::to_allocvec(findings) {
            self.resolved_new
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, Some(bytes));
        }
    }

    /// Writes the merged cache (old entries, updated by this run's) if anything changed.
    /// With `keep` (a run that covered its whole project), entries of other files are pruned.
    /// Failures are ignored: the cache is an optimisation, never a reason to fail a run.
    pub fn save(self, keep: Option<&[PathBuf]>) {
        let new = self.new.into_inner().unwrap_or_else(|p| p.into_inner());
        let groups = self
            .resolved_new
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        // Only this run's groups are kept: those of files no longer linted together go.
        let groups_changed =
            groups.values().any(Option::is_some) || groups.len() != self.resolved.len();
        let mut old_groups = self.resolved;
        let resolved: HashMap<[u64; 2], Vec<u8>> = groups
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.or_else(|| old_groups.remove(&k))?)))
            .collect();
        let mut all = self.old;
        let before = all.len();
        if let Some(keep) = keep {
            let keep: std::collections::HashSet<String> = keep.iter().map(|p| key(p)).collect();
            all.retain(|k, _| keep.contains(k));
        }
        if new.is_empty() && all.len() == before && !groups_changed {
            return;
        }
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
        // An entry whose facts can no longer be read from the loaded file is dropped (its
        // file is linted again next time).
        let entries = all
            .into_iter()
            .filter_map(|(k, e)| Some((k, e.stored()?)))
            .collect();
        let payload = Payload { entries, resolved };
        // Encoded, the entries are dropped before the file is written: the peak holds them and
        // their encoding, never a third copy.
        let (header, bytes) = encode_parts(&payload, self.fingerprint);
        drop(payload);
        let _ = crate::fsutil::write_atomically_parts(&self.file, &[&header, &bytes]);
        for stale in STALE_FILE_NAMES {
            let _ = std::fs::remove_file(dir.join(stale));
        }
    }
}

fn replay(path: Arc<PathBuf>, cached: Cached, hash: [u64; 2], facts: EncodedFacts) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: Arc::clone(&path),
        source: None,
        diagnostics: Vec::new(),
        suppressions: Suppressions::default(),
        facts: FileFacts::default(),
        error: None,
        stamp: Some(lint::Stamp {
            hash: Some(hash),
            encoded_facts: Some(facts),
        }),
    };
    match cached {
        Cached::Clean => {}
        Cached::Linted {
            mut diagnostics,
            suppressions,
        } => {
            for d in &mut diagnostics {
                d.path = Arc::clone(&path);
            }
            outcome.diagnostics = diagnostics;
            outcome.suppressions = suppressions;
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

/// The key of a group's crate-wide phase: every file's path and content hash (in path order;
/// `None` for a file the cache did not hash) and the project model. `None` when some file was
/// not hashed.
pub fn run_key<'a>(
    files: impl Iterator<Item = (&'a std::path::Path, Option<[u64; 2]>)>,
    project: &impl std::fmt::Debug,
) -> Option<[u64; 2]> {
    let mut all: Vec<(&std::path::Path, [u64; 2])> = Vec::new();
    for (path, hash) in files {
        all.push((path, hash?));
    }
    all.sort_unstable();
    let mut bytes = format!("{project:?}\n").into_bytes();
    for (path, hash) in all {
        bytes.extend_from_slice(path.as_os_str().as_encoded_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&hash[0].to_le_bytes());
        bytes.extend_from_slice(&hash[1].to_le_bytes());
    }
    Some(split(xxh3_128(&bytes)))
}

/// The cache file's header line and payload.
fn encode_parts(payload: &Payload, fingerprint: [u64; 2]) -> (Vec<u8>, Vec<u8>) {
    let payload = postcard::to_allocvec(payload).unwrap_or_default();
    let header = format!(
        "{MAGIC} {} {} {}\n",
        hex(fingerprint),
        hex(split(xxh3_128(&payload))),
        payload.len()
    )
    .into_bytes();
    (header, payload)
}

/// Replaces `outcome`'s facts by their encoding (in its stamp, with `hash`), which the
/// crate-wide phase decodes group by group: parked in `spill` when there is one, else in
/// memory. Returns the encoding (`None`: it failed, and the facts are kept as they are).
fn encode_facts(
    outcome: &mut FileOutcome,
    hash: Option<[u64; 2]>,
    spill: Option<&Spill>,
) -> Option<EncodedFacts> {
    let facts = match spill {
        Some(spill) => postcard::to_allocvec(&outcome.facts)
            .ok()
            .map(|bytes| spill.park(&bytes).unwrap_or_else(|| kept(&bytes))),
        None => crate::allocator::long_lived(|| {
            postcard::to_allocvec(&outcome.facts)
                .ok()
                .map(|b| EncodedFacts::Bytes(Arc::from(b)))
        }),
    };
    if facts.is_some() {
        outcome.facts = FileFacts::default();
    } else {
        // Kept as structures after all: out of the file's tree memory.
        outcome.facts = crate::allocator::long_lived(|| outcome.facts.detached());
    }
    outcome.stamp = Some(lint::Stamp {
        hash,
        encoded_facts: facts.clone(),
    });
    facts
}

/// An encoding kept in memory, in the long-lived heap.
fn kept(bytes: &[u8]) -> EncodedFacts {
    crate::allocator::long_lived(|| EncodedFacts::Bytes(Arc::from(bytes)))
}

/// [`lint::lint_file`], with a panic (a bug) turned into an error entry for that file so that one
/// bad file never loses the rest of the run's findings. Without a cache too, the facts are
/// kept encoded until the crate-wide phase, as a run that fills the cache keeps them (full
/// corpus: 410 MiB peak with the structures, 311 MiB encoded), parked in `spill` when there is
/// one.
pub(crate) fn lint_file_catching_panics(
    path: &Arc<PathBuf>,
    info: crate::project::CrateInfo,
    settings: &Settings,
    cache: Option<&Cache>,
    spill: Option<&Spill>,
) -> FileOutcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match cache {
        Some(cache) => cache.lint_file(Arc::clone(path), info, settings, spill),
        None => {
            let mut outcome = lint::lint_file_to_encode(Arc::clone(path), info, settings);
            if outcome.error.is_none() {
                // Not hashed: no group key is made from it.
                encode_facts(&mut outcome, None, spill);
            }
            outcome
        }
    }))
    .unwrap_or_else(|_| {
        proc_macro2::extra::invalidate_current_thread_spans();
        FileOutcome {
            path: Arc::clone(path),
            source: None,
            diagnostics: Vec::new(),
            suppressions: Suppressions::default(),
            facts: Default::default(),
            stamp: None,
            error: Some(FileError {
                path: path.as_ref().clone(),
                message: "internal error: the linter panicked on this file; please report it"
                    .to_string(),
                line: None,
                column: None,
            }),
        }
    })
}

/// The cache file's bytes (header line and payload in one buffer).
#[cfg(test)]
fn encode(payload: &Payload, fingerprint: [u64; 2]) -> Vec<u8> {
    let (mut out, payload) = encode_parts(payload, fingerprint);
    out.extend_from_slice(&payload);
    out
}

/// The entries and crate-wide findings of the cache file `path`, its facts left in the file
/// (see [`EncodedFacts`]); `None` when it is missing, foreign or corrupt.
type Loaded = (HashMap<String, Entry>, HashMap<[u64; 2], Vec<u8>>);

fn load(path: &Path, fingerprint: [u64; 2]) -> Option<Loaded> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let payload = checked_payload(&bytes, fingerprint)?;
    let decoded: BorrowedPayload<'_> = postcard::from_bytes(payload).ok()?;
    let file = Arc::new(file);
    let base = bytes.as_ptr() as usize;
    let entries = decoded
        .entries
        .into_iter()
        .map(|(k, e)| {
            let facts = EncodedFacts::InFile {
                file: Arc::clone(&file),
                offset: (e.facts.as_ptr() as usize - base) as u64,
                len: e.facts.len(),
                check: xxh3_64(e.facts),
            };
            let entry = Entry {
                hash: e.hash,
                outcome: e.outcome.to_vec(),
                facts,
            };
            (k, entry)
        })
        .collect();
    Some((entries, decoded.resolved))
}

/// The payload of a cache file's bytes, when its header matches `fingerprint` and its length
/// and checksum are right.
fn checked_payload(bytes: &[u8], fingerprint: [u64; 2]) -> Option<&[u8]> {
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
    Some(payload)
}

#[cfg(test)]
fn decode(bytes: &[u8], fingerprint: [u64; 2]) -> Option<Payload> {
    postcard::from_bytes(checked_payload(bytes, fingerprint)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An owned outcome, encoded (the type pins `Cached`'s default parameters).
    fn encoded(outcome: Cached) -> postcard::Result<Vec<u8>> {
        postcard::to_allocvec(&outcome)
    }

    fn payload() -> Payload {
        Payload {
            entries: entries(),
            resolved: HashMap::new(),
        }
    }

    fn entries() -> HashMap<String, StoredEntry> {
        let mut m = HashMap::new();
        m.insert(
            "src/a.rs".to_string(),
            StoredEntry {
                hash: [1, 2],
                outcome: encoded(Cached::Error {
                    message: "cannot parse".to_string(),
                    line: Some(1),
                    column: None,
                })
                .unwrap(),
                facts: Arc::from(Vec::new()),
            },
        );
        m.insert(
            "src/b.rs".to_string(),
            StoredEntry {
                hash: [3, 4],
                outcome: encoded(Cached::Clean).unwrap(),
                facts: postcard::to_allocvec(&FileFacts::default()).unwrap().into(),
            },
        );
        m
    }

    #[test]
    fn round_trips_and_rejects_anything_off() {
        let fp = [7, 9];
        let bytes = encode(&payload(), fp);
        assert_eq!(decode(&bytes, fp).unwrap().entries.len(), 2);
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
        let mut bad = payload();
        bad.entries.get_mut("src/a.rs").unwrap().outcome = vec![0xff; 3];
        assert!(
            postcard::from_bytes::<Cached>(
                &decode(&encode(&bad, fp), fp).unwrap().entries["src/a.rs"].outcome
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
            rules: crate::rules::metas().to_vec(),
            ..Settings::default()
        };
        let src = dir.path().join("a.rs");
        std::fs::write(&src, "fn f( {\n").unwrap();
        let path = Arc::new(src.clone());
        let cache_dir = dir.path().join("cache");

        let cache = Cache::open(&cache_dir);
        assert!(cache.is_empty());
        let first = cache.lint_file(Arc::clone(&path), CrateInfo::default(), &settings, None);
        assert!(first.error.is_some());
        // A cache file of an earlier layout, left by an older async-lint.
        std::fs::create_dir_all(&cache_dir).unwrap();
        std::fs::write(cache_dir.join("cache.json"), b"{}").unwrap();
        cache.save(None);
        assert!(cache_dir.join(".gitignore").exists());
        assert!(
            !cache_dir.join("cache.json").exists(),
            "the cache file of an earlier layout is removed"
        );

        // Forge a hit whose replay differs from a real lint: proves the parse is skipped.
        let cache = Cache::open(&cache_dir);
        assert_eq!(cache.len(), 1);
        let mut forged = cache.old.clone();
        forged.get_mut(&key(&src)).unwrap().outcome = encoded(Cached::Clean).unwrap();
        let forged_cache = Cache {
            old: forged,
            ..Cache::open(&cache_dir)
        };
        let replayed =
            forged_cache.lint_file(Arc::clone(&path), CrateInfo::default(), &settings, None);
        assert!(replayed.error.is_none(), "the cached outcome was replayed");

        // Changed content: a miss, linted for real.
        std::fs::write(&src, "fn f() {}\n").unwrap();
        let cache = Cache::open(&cache_dir);
        let fresh = cache.lint_file(Arc::clone(&path), CrateInfo::default(), &settings, None);
        assert!(fresh.error.is_none());
        cache.save(None);

        // A run over the whole project prunes the entries of files it did not see.
        let cache = Cache::open(&cache_dir);
        assert_eq!(cache.len(), 1);
        cache.save(Some(&[dir.path().join("other.rs")]));
        assert!(Cache::open(&cache_dir).is_empty());
        let cache = Cache::open(&cache_dir);
        let _ = cache.lint_file(Arc::clone(&path), CrateInfo::default(), &settings, None);
        cache.save(Some(std::slice::from_ref(&src)));

        // Another configuration does not trust this cache.
        let other = Settings {
            rules: Vec::new(),
            ..Settings::default()
        };
        let cache = Cache::open(&cache_dir);
        let relinted = cache.lint_file(Arc::clone(&path), CrateInfo::default(), &other, None);
        assert!(relinted.error.is_none());
        assert!(
            cache
                .replay_only(&path, CrateInfo::default(), &other)
                .is_none(),
            "an entry of another configuration is not replayed"
        );
        assert!(
            cache
                .replay_only(&path, CrateInfo::default(), &settings)
                .is_some()
        );
        // A corrupt file is ignored.
        std::fs::write(cache_dir.join(FILE_NAME), b"garbage").unwrap();
        assert!(Cache::open(&cache_dir).is_empty());
    }

    #[test]
    fn crate_wide_findings_are_remembered_for_the_same_run_only() {
        let dir = tempfile::tempdir().unwrap();
        let files = |h: u64| {
            vec![
                (Path::new("a.rs"), Some([1, h])),
                (Path::new("b.rs"), Some([2, 2])),
            ]
        };
        let key = run_key(files(1).into_iter(), &"project").unwrap();
        assert_eq!(
            run_key(files(1).into_iter().rev(), &"project"),
            Some(key),
            "file order does not matter"
        );
        assert_ne!(run_key(files(9).into_iter(), &"project"), Some(key));
        assert_ne!(run_key(files(1).into_iter(), &"other"), Some(key));
        assert_eq!(
            run_key([(Path::new("a.rs"), None)].into_iter(), &"project"),
            None,
            "a file the cache did not hash gives no key"
        );

        let cache = Cache::open(dir.path());
        assert!(cache.resolved(key).is_none());
        let findings = vec![GroupFile {
            path: "a.rs".to_string(),
            diagnostics: Vec::new(),
            used: vec![(0, 1)],
        }];
        cache.set_resolved(key, &findings);
        cache.set_resolved([5, 5], &[]);
        cache.save(None);
        let cache = Cache::open(dir.path());
        assert_eq!(cache.resolved(key), Some(findings.clone()));
        assert!(cache.resolved([0, 0]).is_none());
        // Saved after a run that used only `key`: the other group is pruned.
        cache.save(None);
        let cache = Cache::open(dir.path());
        assert_eq!(cache.resolved(key), Some(findings));
        assert!(
            cache.resolved([5, 5]).is_none(),
            "a group no run used is pruned"
        );
    }

    #[test]
    fn content_hash_depends_on_content_crate_info_and_settings() {
        let info = CrateInfo::default();
        let s = Settings::default();
        assert_eq!(
            content_hash(b"fn f() {}", info, &s),
            content_hash(b"fn f() {}", info, &s)
        );
        assert_ne!(
            content_hash(b"fn f() {}", info, &s),
            content_hash(b"fn g() {}", info, &s)
        );
        let other = CrateInfo {
            edition: crate::project::Edition::E2015,
            ..info
        };
        assert_ne!(content_hash(b"x", info, &s), content_hash(b"x", other, &s));
        let facts = Settings {
            collect_facts: true,
            ..Settings::default()
        };
        assert_ne!(
            content_hash(b"x", info, &s),
            content_hash(b"x", info, &facts)
        );
    }
}
