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
use std::io::{Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use crate::lint::EncodedFacts;

/// An unlinked temporary file that encoded facts are appended to (see the module docs).
#[derive(Debug)]
pub struct Spill {
    file: Arc<Mutex<File>>,
}

impl Spill {
    /// A new spill file in the system's temporary directory; `None` when none can be made.
    pub fn new() -> Option<Spill> {
        let file = tempfile::tempfile().ok()?;
        Some(Spill {
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// Appends `bytes` and returns where they are; `None` when the write fails (the caller
    /// keeps them in memory).
    pub fn park(&self, bytes: &[u8]) -> Option<EncodedFacts> {
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let offset = f.seek(SeekFrom::End(0)).ok()?;
        if f.write_all(bytes).is_err() {
            // A partial write leaves bytes nobody points to; the next append starts after them.
            return None;
        }
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
    fn bytes_changed_on_disk_are_refused() {
        let spill = Spill::new().expect("a temporary file");
        let a = spill.park(b"facts").unwrap();
        {
            let mut f = spill.file.lock().unwrap();
            f.seek(SeekFrom::Start(0)).unwrap();
            f.write_all(b"FACTS").unwrap();
        }
        assert!(a.bytes().is_none());
    }
}
