//! Encoded facts parked on disk between the two phases of a run.
//!
//! Every linted file leaves its [`FileFacts`](crate::analysis::facts::FileFacts) postcard-encoded
//! until the crate-wide phase decodes them, one group of crates at a time. Held in memory, the
//! encodings of all files are resident at once when that phase starts (29 MB for the 38 async
//! crates, more than the largest syntax tree). A [`Spill`] appends each encoding to an unlinked
//! temporary file instead and hands back where it is ([`EncodedFacts::InFile`], the form a
//! loaded cache already uses), so they cost page cache that the kernel may drop, not the
//! process's memory. When no temporary file can be made the encodings stay in memory.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::lint::EncodedFacts;

/// An unlinked temporary file that encoded facts are appended to (see the module docs).
#[derive(Debug)]
pub struct Spill {
    file: Arc<File>,
    /// Where the next encoding goes: each append reserves its range here, then writes it at
    /// that offset, so workers append side by side with no lock (a lock and a seek per file had
    /// made every second append and read wait for the other worker).
    end: AtomicU64,
}

impl Spill {
    /// A new spill file in the system's temporary directory; `None` when none can be made.
    pub fn new() -> Option<Spill> {
        let file = tempfile::tempfile().ok()?;
        Some(Spill {
            file: Arc::new(file),
            end: AtomicU64::new(0),
        })
    }

    /// Appends `bytes` and returns where they are; `None` when the write fails (the caller
    /// keeps them in memory).
    pub fn park(&self, bytes: &[u8]) -> Option<EncodedFacts> {
        let offset = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        // A failed write leaves a range nobody points to; the next append starts after it.
        crate::fsutil::write_all_at(&self.file, bytes, offset).ok()?;
        Some(EncodedFacts::InFile {
            file: Arc::clone(&self.file),
            offset,
            len: bytes.len(),
            check: xxhash_rust::xxh3::xxh3_64(bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parked_bytes_read_back_in_any_order() {
        let spill = Spill::new().expect("a temporary file");
        let a = spill.park(b"first facts").unwrap();
        let b = spill.park(b"").unwrap();
        let c = spill.park(&[7u8; 10_000]).unwrap();
        assert_eq!(c.bytes().unwrap().as_ref(), &[7u8; 10_000][..]);
        assert_eq!(a.bytes().unwrap().as_ref(), b"first facts");
        assert_eq!(b.bytes().unwrap().as_ref(), b"");
    }

    #[test]
    fn appends_from_many_threads_keep_their_own_ranges() {
        let spill = Spill::new().expect("a temporary file");
        let parked: Vec<(Vec<u8>, EncodedFacts)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8u8)
                .map(|t| {
                    let spill = &spill;
                    s.spawn(move || {
                        (0..200usize)
                            .map(|i| {
                                let bytes = vec![t; 1 + (i * 7919) % 3000];
                                let at = spill.park(&bytes).unwrap();
                                (bytes, at)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        for (bytes, at) in &parked {
            assert_eq!(at.bytes().unwrap().as_ref(), &bytes[..]);
        }
    }

    #[test]
    fn bytes_changed_on_disk_are_refused() {
        let spill = Spill::new().expect("a temporary file");
        let a = spill.park(b"facts").unwrap();
        crate::fsutil::write_all_at(&spill.file, b"FACTS", 0).unwrap();
        assert!(a.bytes().is_none());
    }
}
