//! Whether freed memory is kept for reuse or given back to the OS, decided against the run's
//! own peak.
//!
//! Memory given back is faulted in again when it is reused, and a fault costs about as much as
//! copying the page ten times: on the full corpus the linter took 800k page faults (3-4 s of
//! system time) where the parse-only floor, whose glibc heap keeps what it freed, took 170k.
//! Giving memory back only matters for the peak, and the peak comes early: files are linted
//! largest first, and the largest file's tree is the tallest allocation of the run. So between
//! files the workers [`review`] the resident size: while it is well below the peak the process
//! has already reached, freed memory is kept (mimalloc purges only after [`KEEP_PURGE_DELAY_MS`],
//! and the allocator pools freed large blocks); when it comes near the peak, the normal purge
//! delay returns and the allocator gives back everything kept at once
//! ([`review_retention`](super::review_retention)).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use libmimalloc_sys as mi;

/// mimalloc's purge delay while memory is kept: longer than any run's file phase, so nothing is
/// purged until [`stop_keeping`] forces it.
const KEEP_PURGE_DELAY_MS: i64 = 60_000;

/// Keep freed memory while the resident size is below this share of the peak (in percent)...
const START_BELOW_PERCENT: u64 = 75;

/// ...and give it back once the resident size is above this share.
const STOP_ABOVE_PERCENT: u64 = 90;

/// The resident size is read at most this often (reading it costs a few microseconds).
const REVIEW_EVERY_MS: u64 = 2;

/// Whether freed memory is being kept.
static KEEPING: AtomicBool = AtomicBool::new(false);

/// When the resident size was last read, in milliseconds since [`epoch`].
static LAST_REVIEW_MS: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Whether freed memory is kept rather than given back (asked by the allocator on every large
/// block).
pub fn keeping() -> bool {
    KEEPING.load(Ordering::Relaxed)
}

/// Reads the resident size against the peak (at most every [`REVIEW_EVERY_MS`]) and starts or
/// stops keeping freed memory; true when it stopped (the caller then gives back what was
/// kept).
pub fn review() -> bool {
    let now = epoch().elapsed().as_millis() as u64;
    let last = LAST_REVIEW_MS.load(Ordering::Relaxed);
    if now < last + REVIEW_EVERY_MS
        || LAST_REVIEW_MS
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return false;
    }
    let (Some(resident), Some(peak)) = (resident_bytes(), peak_resident_bytes()) else {
        return false;
    };
    match next_state(keeping(), resident, peak) {
        Some(true) => {
            start_keeping();
            false
        }
        Some(false) => stop_keeping(),
        None => false,
    }
}

/// Whether to start (`Some(true)`) or stop (`Some(false)`) keeping freed memory, given whether
/// it is kept now and the resident and peak sizes; `None` leaves it as it is. The gap between
/// the two thresholds keeps a resident size near one of them from switching on every review.
fn next_state(keeping: bool, resident: u64, peak: u64) -> Option<bool> {
    if keeping {
        (resident * 100 > peak * STOP_ABOVE_PERCENT).then_some(false)
    } else {
        (resident * 100 < peak * START_BELOW_PERCENT).then_some(true)
    }
}

/// Stops keeping freed memory and returns to the normal purge delay; true if it was kept (the
/// caller then gives back what was kept: a forced collection purges every page scheduled for
/// purging, whatever its delay).
pub fn stop_keeping() -> bool {
    let was = KEEPING.swap(false, Ordering::AcqRel);
    if was {
        // SAFETY: `mi_option_set` only stores an option value.
        unsafe { mi::mi_option_set(super::PURGE_DELAY, super::PURGE_DELAY_MS) };
    }
    was
}

/// Starts keeping freed memory (the workers' [`review`] decides when; tests call it directly).
pub(crate) fn start_keeping() {
    if !KEEPING.swap(true, Ordering::AcqRel) {
        // SAFETY: `mi_option_set` only stores an option value.
        unsafe { mi::mi_option_set(super::PURGE_DELAY, KEEP_PURGE_DELAY_MS) };
    }
}

/// The process's resident size now (`/proc/self/statm`), read without allocating.
#[cfg(target_os = "linux")]
fn resident_bytes() -> Option<u64> {
    use std::io::Read;
    let mut buf = [0u8; 128];
    let n = std::fs::File::open("/proc/self/statm")
        .ok()?
        .read(&mut buf)
        .ok()?;
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    let pages: u64 = text.split_ascii_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: `sysconf` has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// The process's peak resident size so far (`getrusage`).
#[cfg(target_os = "linux")]
fn peak_resident_bytes() -> Option<u64> {
    // SAFETY: `getrusage` fills the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        (libc::getrusage(libc::RUSAGE_SELF, &mut usage) == 0).then_some(usage)
    }?;
    Some(u64::try_from(usage.ru_maxrss).ok()? * 1024)
}

/// Elsewhere memory is never kept: the pool of large blocks exists only on Linux.
#[cfg(not(target_os = "linux"))]
fn resident_bytes() -> Option<u64> {
    None
}

#[cfg(not(target_os = "linux"))]
fn peak_resident_bytes() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::next_state;

    #[test]
    fn memory_is_kept_well_below_the_peak_and_given_back_near_it() {
        const MB: u64 = 1 << 20;
        // Not kept: starts below 75% of the peak, not between the thresholds.
        assert_eq!(next_state(false, 30 * MB, 48 * MB), Some(true));
        assert_eq!(next_state(false, 40 * MB, 48 * MB), None);
        assert_eq!(next_state(false, 48 * MB, 48 * MB), None);
        // Kept: stops above 90% of the peak, not between the thresholds.
        assert_eq!(next_state(true, 40 * MB, 48 * MB), None);
        assert_eq!(next_state(true, 44 * MB, 48 * MB), Some(false));
        assert_eq!(next_state(true, 30 * MB, 48 * MB), None);
    }
}
