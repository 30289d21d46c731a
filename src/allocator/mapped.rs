//! Large blocks mapped from the OS: whether a layout is one is decided by its size alone, so
//! `dealloc` and `realloc` (which get the layout back) always know where a block came from.
//!
//! While [`retain`](super::retain) says freed memory may be kept, a freed block waits in a small
//! pool instead of being unmapped, and the next large block (a fresh one, or the next step of a
//! growing vector) takes the pooled block that fits best: its pages are already resident, so
//! the next file's token lists and item vectors do not fault them in again (a fault costs
//! about as much as copying the page ten times).

#[cfg(target_os = "linux")]
pub use linux::*;
#[cfg(not(target_os = "linux"))]
pub use other::*;

#[cfg(target_os = "linux")]
mod linux {
    use std::ptr::null_mut;
    use std::sync::{Mutex, MutexGuard};

    use crate::allocator::retain;

    /// How many freed blocks the pool keeps.
    const SLOTS: usize = 8;

    /// Freed blocks kept for reuse, as (address, length); an empty slot has length 0. A std
    /// mutex never allocates, so the allocator may take it.
    static POOL: Mutex<[(usize, usize); SLOTS]> = Mutex::new([(0, 0); SLOTS]);

    fn pool() -> MutexGuard<'static, [(usize, usize); SLOTS]> {
        // Nothing panics while the lock is held; a poisoned pool is still consistent.
        POOL.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a block of this layout is mapped (page alignment is all `mmap` promises).
    pub fn is(size: usize, align: usize) -> bool {
        size >= super::super::MAP_BYTES && align <= 4096
    }

    /// A block of `size` bytes, zeroed if `zeroed`: a pooled block resized to `size` while
    /// memory is kept, else a fresh mapping (always zeroed); null if the OS refuses.
    pub fn map(size: usize, zeroed: bool) -> *mut u8 {
        if retain::keeping()
            && let Some((ptr, len)) = take(size, false)
        {
            // SAFETY: a pooled block is a live mapping of `len` bytes that nothing else uses.
            if let Some(block) = unsafe { resize_taken(ptr, len, size) } {
                if zeroed {
                    // SAFETY: the block has `size` writable bytes; the part past `len` (if it
                    // grew) is fresh and zero already.
                    unsafe { std::ptr::write_bytes(block, 0, len.min(size)) };
                }
                return block;
            }
        }
        fresh(size)
    }

    /// Unmaps a block made by this module, or keeps it in the pool while memory is kept.
    ///
    /// # Safety
    /// `ptr` and `size` are a live block of this module, not used after this call.
    pub unsafe fn unmap(ptr: *mut u8, size: usize) {
        if retain::keeping() && put(ptr, size) {
            return;
        }
        // SAFETY: the caller's guarantee.
        unsafe { libc::munmap(ptr.cast(), size) };
    }

    /// Grows or shrinks a mapped block to `new` bytes, keeping its contents, or null. Growing
    /// while memory is kept moves the contents into a pooled block that already holds `new`
    /// bytes (and pools the old one); otherwise the pages move with `mremap`, no copy.
    ///
    /// # Safety
    /// `ptr` and `old` are a live block of this module.
    pub unsafe fn remap(ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
        if new > old
            && retain::keeping()
            && let Some((kept, len)) = take(new, true)
        {
            // SAFETY: the pooled block is a live mapping of `len >= new` bytes that nothing
            // else uses.
            if let Some(block) = unsafe { resize_taken(kept, len, new) } {
                // SAFETY: both blocks are live, distinct and at least `old` bytes long.
                unsafe {
                    std::ptr::copy_nonoverlapping(ptr, block, old);
                    unmap(ptr, old);
                }
                return block;
            }
        }
        // SAFETY: the caller's guarantee.
        unsafe { resize(ptr, old, new) }
    }

    /// Unmaps every pooled block (memory is no longer kept).
    pub fn release_pool() {
        let kept: [(usize, usize); SLOTS] = std::mem::take(&mut *pool());
        for (ptr, len) in kept {
            if len > 0 {
                // SAFETY: a pooled block is a live mapping that nothing else uses.
                unsafe { libc::munmap(ptr as *mut libc::c_void, len) };
            }
        }
    }

    /// How many blocks the pool holds.
    #[cfg(test)]
    pub fn pooled_blocks() -> usize {
        pool().iter().filter(|s| s.1 > 0).count()
    }

    /// A fresh zeroed mapping, or null.
    fn fresh(size: usize) -> *mut u8 {
        // SAFETY: an anonymous private mapping has no preconditions.
        or_null(unsafe {
            libc::mmap(
                null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        })
    }

    /// `mremap` of a block from `old` to `new` bytes, moving it if needed; null if it fails (the
    /// block is then unchanged).
    ///
    /// # Safety
    /// `ptr` and `old` are a live mapping.
    unsafe fn resize(ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
        if old == new {
            return ptr;
        }
        // SAFETY: the caller's guarantee.
        or_null(unsafe { libc::mremap(ptr.cast(), old, new, libc::MREMAP_MAYMOVE) })
    }

    /// [`resize`] of a block taken from the pool; if it fails the block is unmapped (it is in
    /// the pool no longer, and nothing else knows it).
    ///
    /// # Safety
    /// `ptr` and `old` are a live mapping that nothing else uses.
    unsafe fn resize_taken(ptr: *mut u8, old: usize, new: usize) -> Option<*mut u8> {
        // SAFETY: the caller's guarantee.
        let block = unsafe { resize(ptr, old, new) };
        if block.is_null() {
            // SAFETY: the caller's guarantee; the failed `mremap` left the block as it was.
            unsafe { libc::munmap(ptr.cast(), old) };
            return None;
        }
        Some(block)
    }

    /// A mapping call's result as a block pointer, null when it failed.
    fn or_null(p: *mut libc::c_void) -> *mut u8 {
        if p == libc::MAP_FAILED {
            null_mut()
        } else {
            p.cast()
        }
    }

    /// Takes the pooled block that fits `size` best: the smallest that holds it, else (unless
    /// `whole`) the largest, which then grows with its resident pages.
    fn take(size: usize, whole: bool) -> Option<(*mut u8, usize)> {
        let mut slots = pool();
        let holds = |len: usize| len >= size;
        let best = (0..SLOTS)
            .filter(|&i| slots[i].1 > 0)
            .min_by_key(|&i| {
                let len = slots[i].1;
                // Holding blocks first, smallest first; then the others, largest first.
                if holds(len) {
                    (0, len)
                } else {
                    (1, usize::MAX - len)
                }
            })
            .filter(|&i| !whole || holds(slots[i].1))?;
        let (ptr, len) = std::mem::take(&mut slots[best]);
        Some((ptr as *mut u8, len))
    }

    /// Puts a freed block in an empty slot of the pool; false if the pool is full.
    fn put(ptr: *mut u8, size: usize) -> bool {
        let mut slots = pool();
        match slots.iter_mut().find(|s| s.1 == 0) {
            Some(slot) => {
                *slot = (ptr as usize, size);
                true
            }
            None => false,
        }
    }
}

/// Without `mremap`, every block comes from mimalloc.
#[cfg(not(target_os = "linux"))]
mod other {
    pub fn is(_size: usize, _align: usize) -> bool {
        false
    }
    pub fn map(_size: usize, _zeroed: bool) -> *mut u8 {
        std::ptr::null_mut()
    }
    pub unsafe fn unmap(_ptr: *mut u8, _size: usize) {}
    pub unsafe fn remap(_ptr: *mut u8, _old: usize, _new: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
    pub fn release_pool() {}
}
