//! Answers of the crate-wide phase remembered for the run: the type of a symbolic type, of a
//! fn's return, of a static or alias, and the callee of a path call are asked again and again
//! (once per call of a helper, per rule), and each answer walks module scopes and aliases.
//!
//! An answer is stored only when it is exact: type expansion gives up after a fixed number of
//! hops ([`cut`] counts each time it does), and an answer computed deep inside another
//! may have been cut short where the same question asked first would not be.

use std::cell::Cell;
use std::hash::{BuildHasher, Hash};
use std::sync::RwLock;

use rustc_hash::{FxBuildHasher, FxHashMap};

/// How many independently locked parts each table has (the workers rarely wait on each other).
const SHARDS: usize = 16;

thread_local! {
    /// How many times expansion gave up on this thread, ever.
    static CUTS: Cell<u64> = const { Cell::new(0) };
}

/// One table of remembered answers, keyed by `K`.
#[derive(Debug)]
pub struct Table<K, V> {
    shards: Vec<RwLock<FxHashMap<K, V>>>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }
}

impl<K: Hash + Eq + Copy, V: Clone> Table<K, V> {
    fn shard(&self, key: &K) -> &RwLock<FxHashMap<K, V>> {
        let h = FxBuildHasher.hash_one(key) as usize;
        &self.shards[(h >> 7) % SHARDS]
    }

    /// The remembered answer for `key`, else `compute`'s, remembered when it is exact (no
    /// expansion inside it gave up). `compute` runs without any lock held: it may ask this table
    /// again, for other keys or (through a cycle) for the same one.
    pub fn get_or(&self, key: K, compute: impl FnOnce() -> V) -> V {
        let shard = self.shard(&key);
        if let Some(v) = shard.read().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let before = cuts();
        let v = compute();
        if cuts() == before
            && let Ok(mut m) = shard.write()
        {
            m.entry(key).or_insert_with(|| v.clone());
        }
        v
    }
}

/// Records that an expansion gave up (its answer, and every answer containing it, is inexact).
pub fn cut() {
    CUTS.with(|c| c.set(c.get() + 1));
}

fn cuts() -> u64 {
    CUTS.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_exact_answers_only() {
        let t: Table<u32, u32> = Table::default();
        assert_eq!(t.get_or(1, || 10), 10);
        assert_eq!(t.get_or(1, || 99), 10, "the first exact answer is kept");
        let inexact = t.get_or(2, || {
            cut();
            20
        });
        assert_eq!(inexact, 20);
        assert_eq!(
            t.get_or(2, || 21),
            21,
            "an answer that was cut short is not kept"
        );
    }

    #[test]
    fn compute_may_ask_the_same_table() {
        let t: Table<u32, u32> = Table::default();
        let v = t.get_or(1, || t.get_or(2, || 5) + t.get_or(1, || 1));
        assert_eq!(v, 6);
    }
}
