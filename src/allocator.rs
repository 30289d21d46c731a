//! The global allocator the binaries install ([`Allocator`]: mimalloc, a second heap for what
//! outlives a file's syntax tree, and large blocks straight from the OS), and its settings.
//!
//! A linter's memory pattern is one syntax tree built and freed per file on every worker, and a
//! few facts per file kept to the end of the run. Three things kept freed trees resident:
//! - the facts were allocated among the tree's nodes, so each long-lived object pinned a page of
//!   freed tree (on the 38 async crates, 22 MB of facts held 50 MB): they are now copied into a
//!   heap of their own ([`long_lived`]);
//! - mimalloc keeps freed pages for a second before giving them back, and a second of large
//!   trees is tens of MB: the delay is 100 ms;
//! - the big buffers of a large file (token lists, item vectors) grow by reallocation, each step
//!   a fresh block: blocks of [`MAP_BYTES`] and more are mapped from the OS, grown in place with
//!   `mremap` and unmapped when freed, as glibc does.
//!
//! Memory given back is faulted in again when it is reused, so it is given back only while the
//! resident size is near the run's peak: below it, freed pages and large blocks are kept for
//! the next files ([`retain`]).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};

use libmimalloc_sys as mi;

/// mimalloc option ids (`mi_option_t` in `mimalloc.h`, mimalloc v3).
const ARENA_EAGER_COMMIT: mi::mi_option_t = 4;
const PURGE_DELAY: mi::mi_option_t = 15;

/// mimalloc's purge delay, in milliseconds, while freed memory is not being kept (see [`tune`]
/// and [`retain`]).
const PURGE_DELAY_MS: i64 = 100;

/// Blocks of at least this size are mapped from the OS (Linux).
pub const MAP_BYTES: usize = 1 << 20;

/// The alignment every mimalloc block has: its blocks are whole words and a page's first block
/// is 16-byte aligned. Layouts aligned to at most this take mimalloc's plain entry points,
/// which skip the alignment checks of the `_aligned` ones the `mimalloc` crate always calls
/// (those checks were a quarter of the allocator's instructions in a cold run).
const WORD_ALIGN: usize = std::mem::size_of::<usize>();

/// Tunes mimalloc for a linter (see the module docs): arenas committed on demand rather than
/// eagerly (18 MiB less peak memory on the 38 crates), and freed memory given back after
/// 100 ms rather than 1 s (a second of large trees is tens of MB). On the 38 crates, 6
/// alternating runs: peak 48.7 MiB (max 53.9) at 500 ms, 46.3 MiB (max 47.6) at 100 ms, for 19%
/// more page faults and no measurable time (full corpus: 29% more faults, the same system
/// time); 0 ms peaked at 42 MiB but ran 1.3x as long.
///
/// It must run before `main` (mimalloc reserves its first arena on the first allocation, before
/// `main` starts): the binaries register it as a process constructor with
/// [`register_tuning!`](crate::register_tuning). It has no effect if mimalloc is not the global
/// allocator.
pub extern "C" fn tune() {
    // SAFETY: `mi_option_set` only stores an option value; any option id and value are valid.
    unsafe {
        mi::mi_option_set(ARENA_EAGER_COMMIT, 0);
        mi::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
    }
}

/// Installs [`Allocator`] as the global allocator and registers [`tune`] as a process constructor
/// (ELF `.init_array`, Linux only). Expands to two statics; use it once, in a binary's root.
#[macro_export]
macro_rules! register_tuning {
    () => {
        #[global_allocator]
        static GLOBAL: $crate::allocator::Allocator = $crate::allocator::Allocator;

        #[cfg(target_os = "linux")]
        #[used]
        #[unsafe(link_section = ".init_array")]
        static TUNE_ALLOCATOR: extern "C" fn() = $crate::allocator::tune;
    };
}

/// Gives the memory this thread freed back to the OS now rather than after mimalloc's purge
/// delay: called on every worker once the syntax trees are gone, before the cross-file phase
/// allocates its tables. (Calling it after every large file instead cost 2 s of system time on
/// the full corpus for 10% less peak memory.)
pub fn release_freed_memory() {
    // SAFETY: `mi_collect` only walks the calling thread's heap.
    unsafe { mi::mi_collect(true) };
}

/// Between files: keeps freed memory while the resident size is well below the run's peak,
/// and gives back everything kept when it nears it (see [`retain`]).
pub fn review_retention() {
    if retain::review() {
        give_back_kept();
    }
}

/// Stops keeping freed memory and gives back what was kept: called once the files are linted,
/// before the crate-wide phase (whose tables would otherwise stack on the kept pages).
pub fn stop_retaining() {
    if retain::stop_keeping() {
        give_back_kept();
    }
}

/// Unmaps the pooled large blocks and purges the pages mimalloc kept.
fn give_back_kept() {
    mapped::release_pool();
    release_freed_memory();
}

/// mimalloc, with a second heap for the allocations made inside [`long_lived`], and blocks of
/// [`MAP_BYTES`] or more mapped from the OS on Linux (see the module docs).
pub struct Allocator;

thread_local! {
    /// Whether this thread's allocations go to the long-lived heap.
    static LONG_LIVED: Cell<bool> = const { Cell::new(false) };
}

/// The long-lived heap (a mimalloc v3 first-class heap: any thread allocates from it and frees
/// into it), made on first use.
static LONG_LIVED_HEAP: AtomicPtr<mi::mi_heap_t> = AtomicPtr::new(null_mut());

fn long_lived_heap() -> *mut mi::mi_heap_t {
    let heap = LONG_LIVED_HEAP.load(Ordering::Acquire);
    if !heap.is_null() {
        return heap;
    }
    // SAFETY: `mi_heap_new` has no preconditions; it allocates with mimalloc's own internals,
    // never through this allocator.
    let new = unsafe { mi::mi_heap_new() };
    match LONG_LIVED_HEAP.compare_exchange(null_mut(), new, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => new,
        Err(existing) => {
            // SAFETY: `new` is ours, empty and unpublished.
            unsafe { mi::mi_heap_delete(new) };
            existing
        }
    }
}

fn in_long_lived() -> bool {
    // `try_with`: false during thread teardown (the flag has no destructor, so it never fails).
    LONG_LIVED.try_with(Cell::get).unwrap_or(false)
}

/// Runs `f` with this thread's allocations going to the long-lived heap: for copies of what
/// outlives a file (see [`Allocator`]). Without [`Allocator`] installed it just runs `f`.
pub fn long_lived<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            LONG_LIVED.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(LONG_LIVED.with(|c| c.replace(true)));
    f()
}

mod mapped;
pub mod retain;

impl Allocator {
    /// A block for `layout` (non-zero size), zeroed if `zeroed`. The common case (a small,
    /// word-aligned block of a worker's own heap) is a few instructions before mimalloc's entry
    /// point; the others are out of line, so this path saves no registers (the wrapper had cost
    /// more instructions than mimalloc's own allocation path).
    ///
    /// # Safety
    /// The contract of [`GlobalAlloc::alloc`].
    #[inline]
    unsafe fn allocate(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let size = layout.size();
        if size < MAP_BYTES && layout.align() <= WORD_ALIGN && !in_long_lived() {
            // SAFETY: a non-zero size (the caller's guarantee); every block is word-aligned.
            let block = unsafe {
                if zeroed {
                    mi::mi_zalloc(size)
                } else {
                    mi::mi_malloc(size)
                }
            };
            return block.cast();
        }
        // SAFETY: the caller's guarantees.
        unsafe { self.allocate_other(layout, zeroed) }
    }

    /// [`Allocator::allocate`] of a mapped block, a block of the long-lived heap, or an
    /// over-aligned one.
    ///
    /// # Safety
    /// The contract of [`GlobalAlloc::alloc`].
    #[cold]
    #[inline(never)]
    unsafe fn allocate_other(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let (size, align) = (layout.size(), layout.align());
        if mapped::is(size, align) {
            mapped::map(size, zeroed)
        } else if in_long_lived() {
            let heap = long_lived_heap();
            // SAFETY: the heap is live for the whole process; mimalloc honours any alignment.
            let block = unsafe {
                if zeroed {
                    mi::mi_heap_zalloc_aligned(heap, size, align)
                } else {
                    mi::mi_heap_malloc_aligned(heap, size, align)
                }
            };
            block.cast()
        } else if align <= WORD_ALIGN {
            // SAFETY: a non-zero size (the caller's guarantee); every block is word-aligned.
            let block = unsafe {
                if zeroed {
                    mi::mi_zalloc(size)
                } else {
                    mi::mi_malloc(size)
                }
            };
            block.cast()
        } else if zeroed {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    /// [`GlobalAlloc::realloc`] of a block that is or becomes mapped, of the long-lived heap,
    /// or over-aligned (the common case is inline in `realloc`).
    ///
    /// # Safety
    /// The contract of [`GlobalAlloc::realloc`].
    #[cold]
    #[inline(never)]
    unsafe fn reallocate_other(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let was = mapped::is(layout.size(), layout.align());
        let will = mapped::is(new_size, layout.align());
        if was && will {
            // SAFETY: `ptr` is a mapped block of `layout.size()` bytes.
            return unsafe { mapped::remap(ptr, layout.size(), new_size) };
        }
        if was || will {
            // Across the threshold: a new block of the other kind, and a copy.
            // SAFETY: the caller guarantees `new_size`, rounded up to the alignment, fits isize.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: a non-zero size (a realloc to at least MAP_BYTES, or from a larger block).
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                // SAFETY: both blocks are live, distinct and at least this long.
                unsafe {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
            }
            return new;
        }
        if in_long_lived() {
            // SAFETY: `ptr` came from mimalloc; the block moves to the long-lived heap.
            unsafe {
                mi::mi_heap_realloc_aligned(long_lived_heap(), ptr.cast(), new_size, layout.align())
                    .cast()
            }
        } else if layout.align() <= WORD_ALIGN {
            // SAFETY: `ptr` came from mimalloc; the new block is word-aligned like every block.
            unsafe { mi::mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

// SAFETY: every block comes from mimalloc (either heap), which honours size and alignment, or is
// a page-aligned mapping (only for alignments up to a page); which one is decided by the size in
// the layout, which the caller passes back unchanged to `dealloc` and `realloc`. `mi_free`
// (behind `MiMalloc::dealloc`) frees a block of any heap from any thread.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.allocate(layout, false) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.allocate(layout, true) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if mapped::is(layout.size(), layout.align()) {
            // SAFETY: a block of this size was mapped by `alloc` or `realloc`.
            unsafe { mapped::unmap(ptr, layout.size()) }
        } else {
            // SAFETY: `ptr` came from mimalloc (either heap).
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.size() < MAP_BYTES
            && new_size < MAP_BYTES
            && layout.align() <= WORD_ALIGN
            && !in_long_lived()
        {
            // SAFETY: `ptr` came from mimalloc; the new block is word-aligned like every block.
            return unsafe { mi::mi_realloc(ptr.cast(), new_size).cast() };
        }
        // SAFETY: the caller's guarantees.
        unsafe { self.reallocate_other(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path of the allocator, called directly (the test binary's own global allocator is
    /// the default one): sizes on both sides of the mapping threshold, growth and shrinking
    /// across it, zeroed blocks, and the long-lived heap, with the contents kept throughout.
    #[test]
    fn word_aligned_blocks_take_the_plain_entry_points_and_keep_their_alignment() {
        let a = Allocator;
        let mut live = Vec::new();
        unsafe {
            for size in 1..=300usize {
                for align in [1, 2, 4, 8, 16, 32] {
                    let l = Layout::from_size_align(size, align).unwrap();
                    let p = if size % 2 == 0 {
                        a.alloc(l)
                    } else {
                        a.alloc_zeroed(l)
                    };
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    if size % 2 == 1 {
                        assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
                    }
                    std::ptr::write_bytes(p, size as u8, size);
                    // Grown in small steps, as a Vec grows.
                    let grown = a.realloc(p, l, size * 3);
                    assert_eq!(grown as usize % align, 0);
                    assert!(
                        std::slice::from_raw_parts(grown, size)
                            .iter()
                            .all(|&b| b == size as u8)
                    );
                    live.push((grown, Layout::from_size_align(size * 3, align).unwrap()));
                }
            }
            for (p, l) in live {
                a.dealloc(p, l);
            }
        }
    }

    /// The tests that make large blocks run one at a time: the pool of kept blocks is global.
    static LARGE_BLOCKS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn blocks_keep_their_contents_across_every_path() {
        let _serial = LARGE_BLOCKS.lock().unwrap_or_else(|e| e.into_inner());
        let a = Allocator;
        for long in [false, true] {
            let run = || unsafe {
                let small = Layout::from_size_align(1000, 8).unwrap();
                let p = a.alloc(small);
                assert!(!p.is_null());
                std::ptr::write_bytes(p, 7, 1000);
                // Grow across the threshold, then within it, then back below it.
                let big = a.realloc(p, small, MAP_BYTES + 10);
                assert!(!big.is_null());
                assert!(
                    std::slice::from_raw_parts(big, 1000)
                        .iter()
                        .all(|&b| b == 7)
                );
                std::ptr::write_bytes(big, 9, MAP_BYTES + 10);
                let big_layout = Layout::from_size_align(MAP_BYTES + 10, 8).unwrap();
                let bigger = a.realloc(big, big_layout, 3 * MAP_BYTES);
                assert!(!bigger.is_null());
                let bigger_layout = Layout::from_size_align(3 * MAP_BYTES, 8).unwrap();
                assert_eq!(*bigger.add(MAP_BYTES + 9), 9);
                let back = a.realloc(bigger, bigger_layout, 500);
                assert!(!back.is_null());
                assert!(
                    std::slice::from_raw_parts(back, 500)
                        .iter()
                        .all(|&b| b == 9)
                );
                a.dealloc(back, Layout::from_size_align(500, 8).unwrap());
                // Zeroed blocks of both kinds.
                for size in [64, 2 * MAP_BYTES] {
                    let l = Layout::from_size_align(size, 16).unwrap();
                    let z = a.alloc_zeroed(l);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    a.dealloc(z, l);
                }
                // An alignment above a page is never mapped.
                let l = Layout::from_size_align(2 * MAP_BYTES, 8192).unwrap();
                let p = a.alloc(l);
                assert_eq!(p as usize % 8192, 0);
                a.dealloc(p, l);
            };
            if long { long_lived(run) } else { run() }
        }
    }

    /// While freed memory is kept, a freed large block is reused by the next one (zeroed when
    /// asked), a growing block moves into a kept block that holds its new size with its
    /// contents, and giving memory back empties the pool.
    #[cfg(target_os = "linux")]
    #[test]
    fn kept_large_blocks_are_reused_with_their_contents_or_zeroed() {
        let _serial = LARGE_BLOCKS.lock().unwrap_or_else(|e| e.into_inner());
        let a = Allocator;
        let layout = |size| Layout::from_size_align(size, 8).unwrap();
        retain::start_keeping();
        unsafe {
            // A dirty block, freed into the pool, comes back zeroed for a zeroed request.
            let p = a.alloc(layout(2 * MAP_BYTES));
            std::ptr::write_bytes(p, 5, 2 * MAP_BYTES);
            a.dealloc(p, layout(2 * MAP_BYTES));
            let z = a.alloc_zeroed(layout(2 * MAP_BYTES));
            assert_eq!(z, p, "the kept block is reused");
            assert!(
                std::slice::from_raw_parts(z, 2 * MAP_BYTES)
                    .iter()
                    .all(|&b| b == 0)
            );
            // A smaller request takes it too, shrunk in place.
            a.dealloc(z, layout(2 * MAP_BYTES));
            let small = a.alloc(layout(MAP_BYTES));
            assert_eq!(small, p);
            // Growth moves into a kept block that already holds the new size.
            let spare = a.alloc(layout(4 * MAP_BYTES));
            a.dealloc(spare, layout(4 * MAP_BYTES));
            std::ptr::write_bytes(small, 3, MAP_BYTES);
            let grown = a.realloc(small, layout(MAP_BYTES), 3 * MAP_BYTES);
            assert_eq!(grown, spare, "growth takes the kept block");
            assert!(
                std::slice::from_raw_parts(grown, MAP_BYTES)
                    .iter()
                    .all(|&b| b == 3)
            );
            a.dealloc(grown, layout(3 * MAP_BYTES));
        }
        assert_eq!(mapped::pooled_blocks(), 2);
        stop_retaining();
        assert_eq!(mapped::pooled_blocks(), 0, "everything kept is given back");
        // Not keeping: a freed block is unmapped, not pooled.
        unsafe {
            let p = a.alloc(layout(2 * MAP_BYTES));
            a.dealloc(p, layout(2 * MAP_BYTES));
        }
        assert_eq!(mapped::pooled_blocks(), 0);
    }

    #[test]
    fn long_lived_restores_the_flag_even_on_panic() {
        assert!(!in_long_lived());
        long_lived(|| assert!(in_long_lived()));
        assert!(!in_long_lived());
        let _ = std::panic::catch_unwind(|| long_lived(|| panic!("inside")));
        assert!(!in_long_lived());
    }
}
