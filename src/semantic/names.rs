//! One shared copy of every fn and type name the facts of a run hold.
//!
//! A crate names `new`, `fmt` or `Error` thousands of times; each file's facts kept a copy of
//! each (2.4 MB of 22 MB on the 38 async crates). [`intern`] returns the one `Arc<str>` for a
//! name, made on first use and kept for the life of the process (names are few: 20k distinct on
//! the 38 crates).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A name as the item summaries and facts hold it: one shared copy per distinct text.
pub type Name = Arc<str>;

/// Shards, so that workers interning at once rarely wait for each other.
const SHARDS: usize = 16;

/// The names of one shard, by their XXH3 hash (hashed once, for the shard and the slot);
/// `other` holds the rare name whose hash another name has already taken.
#[derive(Default)]
struct Shard {
    by_hash: HashMap<u64, Arc<str>, rustc_hash::FxBuildHasher>,
    other: HashMap<Box<str>, Arc<str>>,
}

static NAMES: [Mutex<Option<Shard>>; SHARDS] = [const { Mutex::new(None) }; SHARDS];

/// Slots of each thread's cache of recent names (a power of two).
const RECENT_SLOTS: usize = 4096;

/// One slot of [`RECENT`]: a name and its hash.
type RecentSlot = Option<(u64, Arc<str>)>;

thread_local! {
    /// Each thread's recently interned names, by hash, direct-mapped: decoding a group's facts
    /// interns the same few hundred names over and over, and the shared sets (hundreds of
    /// thousands of names) missed the processor's caches on nearly every probe, besides the
    /// lock (together a sixth of the crate-wide phase on the full corpus).
    static RECENT: RefCell<Vec<RecentSlot>> = const { RefCell::new(Vec::new()) };
}

/// The shared copy of `name`.
pub fn intern(name: &str) -> Arc<str> {
    let hash = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
    let slot = hash as usize & (RECENT_SLOTS - 1);
    let recent = RECENT.try_with(|r| {
        let r = r.borrow();
        match r.get(slot) {
            Some(Some((h, shared))) if *h == hash && **shared == *name => Some(Arc::clone(shared)),
            _ => None,
        }
    });
    if let Ok(Some(shared)) = recent {
        return shared;
    }
    let shared = intern_shared(name, hash);
    let _ = RECENT.try_with(|r| {
        let mut r = r.borrow_mut();
        if r.is_empty() {
            r.resize(RECENT_SLOTS, None);
        }
        r[slot] = Some((hash, Arc::clone(&shared)));
    });
    shared
}

/// [`intern`] in the shared sets.
fn intern_shared(name: &str, hash: u64) -> Arc<str> {
    // The high bits choose the shard; the map hashes the whole value again (FxHash, one
    // multiply), so the two do not correlate.
    let shard = (hash >> 59) as usize % SHARDS;
    // A poisoned shard only means another thread panicked mid-insert; the set is still valid.
    let mut set = NAMES[shard].lock().unwrap_or_else(|e| e.into_inner());
    let set = set.get_or_insert_with(Shard::default);
    match set.by_hash.get(&hash) {
        Some(shared) if **shared == *name => return Arc::clone(shared),
        Some(_) => {
            if let Some(shared) = set.other.get(name) {
                return Arc::clone(shared);
            }
            let shared: Arc<str> = Arc::from(name);
            set.other.insert(Box::from(name), Arc::clone(&shared));
            return shared;
        }
        None => {}
    }
    let shared: Arc<str> = Arc::from(name);
    set.by_hash.insert(hash, Arc::clone(&shared));
    shared
}

/// Calls `f` with the text of `ident` as `to_string` gives it (`r#` included for a raw
/// identifier), formatted into a buffer on the stack for identifiers of up to 64 bytes: the
/// walk and the rules read the names of most calls, paths and methods, and a `String` per read
/// (an allocation and a free each) showed in profiles.
pub fn with_ident<R>(ident: &proc_macro2::Ident, f: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write;
    struct Buf {
        bytes: [u8; 64],
        len: usize,
    }
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            let to = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            to.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut buf = Buf {
        bytes: [0; 64],
        len: 0,
    };
    if write!(buf, "{ident}").is_err() {
        return f(&ident.to_string());
    }
    // SAFETY: `buf` received whole `str`s only (`write_str` copies all of one or fails), and
    // a concatenation of UTF-8 texts is UTF-8. (Validating again cost a fifth of this fn.)
    f(unsafe { std::str::from_utf8_unchecked(&buf.bytes[..buf.len]) })
}

/// Whether `segments` spell the `::`-separated `expected` (`["std", "fs", "read"]` and
/// `"std::fs::read"`). No segment sequence spells the empty path. Compares bytes in place:
/// `str::split("::")` builds a substring searcher per call, which showed in profiles (this runs
/// for every type and path the rules compare with a catalog).
pub fn spells<'a>(segments: impl IntoIterator<Item = &'a str>, expected: &str) -> bool {
    let mut rest = expected.as_bytes();
    let mut first = true;
    for seg in segments {
        if !first {
            match rest.strip_prefix(b"::") {
                Some(r) => rest = r,
                None => return false,
            }
        }
        first = false;
        match rest.strip_prefix(seg.as_bytes()) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    !first && rest.is_empty()
}

/// Serde `deserialize_with` readers that return every name as its shared copy ([`intern`]):
/// facts decoded for the crate-wide phase hold one allocation per distinct name rather than one
/// per use (the segments of the paths calls name were the largest part of the decoded facts).
/// The encoding is the one of `Arc<str>` and its sequences.
pub mod interned {
    use std::sync::Arc;

    use serde::de::{Deserialize, Deserializer, Visitor};

    /// One name read as its shared copy.
    struct Interned(Arc<str>);

    /// Names, each with a number.
    type Numbered = Box<[(Arc<str>, u32)]>;

    /// A number with names.
    type NumberedList = Option<(u32, Box<[Arc<str>]>)>;

    impl<'de> Deserialize<'de> for Interned {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Text;
            impl Visitor<'_> for Text {
                type Value = Interned;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a name")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Interned, E> {
                    Ok(Interned(super::intern(v)))
                }
            }
            d.deserialize_str(Text)
        }
    }

    /// A name.
    pub fn name<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        Interned::deserialize(d).map(|n| n.0)
    }

    /// An optional name.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<str>>, D::Error> {
        Option::<Interned>::deserialize(d).map(|n| n.map(|n| n.0))
    }

    /// A list of names.
    pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Box<[Arc<str>]>, D::Error> {
        Vec::<Interned>::deserialize(d).map(|v| v.into_iter().map(|n| n.0).collect())
    }

    /// A list of names, each with a number.
    pub fn numbered<'de, D: Deserializer<'de>>(d: D) -> Result<Numbered, D::Error> {
        Vec::<(Interned, u32)>::deserialize(d)
            .map(|v| v.into_iter().map(|(n, i)| (n.0, i)).collect())
    }

    /// A number with a list of names.
    pub fn numbered_list<'de, D: Deserializer<'de>>(d: D) -> Result<NumberedList, D::Error> {
        Option::<(u32, Vec<Interned>)>::deserialize(d)
            .map(|o| o.map(|(i, v)| (i, v.into_iter().map(|n| n.0).collect())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_returns_one_shared_copy_per_text() {
        let a = intern("interning_returns_one_shared_copy");
        let b = intern(&String::from("interning_returns_one_shared_copy"));
        assert!(Arc::ptr_eq(&a, &b));
        // From another thread (its own cache of recent names): the same copy.
        let c = std::thread::spawn(|| intern("interning_returns_one_shared_copy"))
            .join()
            .unwrap();
        assert!(Arc::ptr_eq(&a, &c));
        let other = intern("interning_returns_another_copy");
        assert_eq!(&*other, "interning_returns_another_copy");
        assert!(!Arc::ptr_eq(&a, &other));
    }

    #[test]
    fn a_name_whose_hash_is_taken_gets_its_own_copy() {
        // Two texts under one hash (forced: real 64-bit collisions are too rare to find).
        let first = intern_shared("hash_taken_first", 0xdead_beef);
        let second = intern_shared("hash_taken_second", 0xdead_beef);
        assert_eq!(&*first, "hash_taken_first");
        assert_eq!(&*second, "hash_taken_second");
        assert!(Arc::ptr_eq(
            &first,
            &intern_shared("hash_taken_first", 0xdead_beef)
        ));
        assert!(Arc::ptr_eq(
            &second,
            &intern_shared("hash_taken_second", 0xdead_beef)
        ));
    }

    #[test]
    fn with_ident_reads_what_to_string_gives() {
        let long = "a".repeat(100);
        for name in ["x", "r#type", "snake_case_name", long.as_str()] {
            let ident: proc_macro2::Ident = syn::parse_str(name).unwrap();
            assert_eq!(with_ident(&ident, str::to_string), ident.to_string());
        }
    }

    #[test]
    fn spells_compares_whole_segments() {
        let yes = |segs: &[&str], s: &str| spells(segs.iter().copied(), s);
        assert!(yes(&["std", "fs", "read"], "std::fs::read"));
        assert!(yes(&["read"], "read"));
        assert!(yes(&[""], ""));
        assert!(!yes(&[], ""));
        assert!(!yes(&[], "std"));
        assert!(!yes(&["std", "fs"], "std::fs::read"));
        assert!(!yes(&["std", "fs", "read"], "std::fs"));
        assert!(!yes(&["std", "fs"], "std::fsx"));
        assert!(!yes(&["st"], "std"));
        assert!(!yes(&["std", "fs"], "std:fs"));
        assert!(!yes(&["std", "fs"], "stdfs"));
        // Agrees with splitting on `::` wherever both apply.
        for s in ["a::b", "a::b::", "::a", "a", "a:::b"] {
            let parts: Vec<&str> = s.split("::").collect();
            assert!(yes(&parts, s), "{s}");
        }
    }

    #[test]
    fn decoded_names_are_the_shared_copies() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Facts {
            #[serde(deserialize_with = "interned::name")]
            one: Arc<str>,
            #[serde(deserialize_with = "interned::option")]
            maybe: Option<Arc<str>>,
            #[serde(deserialize_with = "interned::list")]
            path: Box<[Arc<str>]>,
            #[serde(deserialize_with = "interned::numbered")]
            params: Box<[(Arc<str>, u32)]>,
            #[serde(deserialize_with = "interned::numbered_list")]
            also: Option<(u32, Box<[Arc<str>]>)>,
        }
        let n = |s: &str| Arc::<str>::from(s);
        let facts = Facts {
            one: n("names_test_decoded"),
            maybe: Some(n("names_test_decoded")),
            path: Box::new([n("names_test_decoded"), n("names_test_seg")]),
            params: Box::new([(n("names_test_decoded"), 7)]),
            also: Some((3, Box::new([n("names_test_decoded")]))),
        };
        let bytes = postcard::to_allocvec(&facts).unwrap();
        // The same bytes as the plain `Arc<str>` encoding: the readers change no format.
        #[derive(serde::Serialize)]
        struct Plain<'a>(&'a str, Option<&'a str>, Vec<&'a str>, Vec<(&'a str, u32)>);
        let plain = Plain(
            "names_test_decoded",
            Some("names_test_decoded"),
            vec!["names_test_decoded", "names_test_seg"],
            vec![("names_test_decoded", 7)],
        );
        assert!(bytes.starts_with(&postcard::to_allocvec(&plain).unwrap()));
        let a: Facts = postcard::from_bytes(&bytes).unwrap();
        let b: Facts = postcard::from_bytes(&bytes).unwrap();
        let shared = intern("names_test_decoded");
        for name in [
            &a.one,
            a.maybe.as_ref().unwrap(),
            &a.path[0],
            &a.params[0].0,
            &a.also.as_ref().unwrap().1[0],
            &b.one,
        ] {
            assert!(Arc::ptr_eq(name, &shared));
        }
        assert!(Arc::ptr_eq(&a.path[1], &b.path[1]));
        assert_eq!((a.params[0].1, a.also.as_ref().unwrap().0), (7, 3));
        let none: Facts = postcard::from_bytes(
            &postcard::to_allocvec(&Facts {
                maybe: None,
                also: None,
                ..facts
            })
            .unwrap(),
        )
        .unwrap();
        assert!(none.maybe.is_none() && none.also.is_none());
    }

    #[test]
    fn equal_names_share_one_allocation() {
        let a = intern("names_test_new");
        let b = intern(&String::from("names_test_new"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "names_test_new");
        assert!(!Arc::ptr_eq(&a, &intern("names_test_other")));
    }
}
