//! One shared copy of every fn and type name the facts of a run hold.
//!
//! A crate names `new`, `fmt` or `Error` thousands of times; each file's facts kept a copy of
//! each (2.4 MB of 22 MB on the 38 async crates). [`intern`] returns the one `Arc<str>` for a
//! name, made on first use and kept for the life of the process (names are few: 20k distinct on
//! the 38 crates).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use xxhash_rust::xxh3::Xxh3DefaultBuilder;

/// Shards, so that workers interning at once rarely wait for each other.
const SHARDS: usize = 16;

/// The names, in sets hashed with XXH3 (SipHash, the default, showed in profiles).
type Names = HashSet<Arc<str>, Xxh3DefaultBuilder>;

static NAMES: [Mutex<Option<Names>>; SHARDS] = [const { Mutex::new(None) }; SHARDS];

/// The shared copy of `name`.
pub fn intern(name: &str) -> Arc<str> {
    let shard = xxhash_rust::xxh3::xxh3_64(name.as_bytes()) as usize % SHARDS;
    // A poisoned shard only means another thread panicked mid-insert; the set is still valid.
    let mut set = NAMES[shard].lock().unwrap_or_else(|e| e.into_inner());
    let set = set.get_or_insert_with(|| Names::with_hasher(Xxh3DefaultBuilder));
    if let Some(shared) = set.get(name) {
        return Arc::clone(shared);
    }
    let shared: Arc<str> = Arc::from(name);
    set.insert(Arc::clone(&shared));
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_allocation() {
        let a = intern("names_test_new");
        let b = intern(&String::from("names_test_new"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "names_test_new");
        assert!(!Arc::ptr_eq(&a, &intern("names_test_other")));
    }
}
