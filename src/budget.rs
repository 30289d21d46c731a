//! A budget of source bytes being linted at once, so that peak memory stays close to what the
//! largest file's syntax tree needs: syn builds ~40-100 bytes of tree per byte of source, so two
//! large generated files parsed at the same time would double the peak.

use std::sync::{Condvar, Mutex, PoisonError};

/// Source bytes in flight, bounded by a capacity; workers wait for room.
#[derive(Debug)]
pub struct ByteBudget {
    capacity: u64,
    in_flight: Mutex<u64>,
    room: Condvar,
}

/// Room taken for one file; given back when dropped.
#[derive(Debug)]
pub struct Reservation<'b> {
    budget: &'b ByteBudget,
    bytes: u64,
}

impl ByteBudget {
    /// A budget of `capacity` bytes (at least 1).
    pub fn new(capacity: u64) -> Self {
        ByteBudget {
            capacity: capacity.max(1),
            in_flight: Mutex::new(0),
            room: Condvar::new(),
        }
    }

    /// Takes room for a file of `bytes`, waiting until it fits. A file larger than the whole
    /// budget waits until nothing else is in flight, so it never waits forever.
    pub fn reserve(&self, bytes: u64) -> Reservation<'_> {
        let bytes = bytes.min(self.capacity);
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *in_flight + bytes > self.capacity {
            in_flight = self
                .room
                .wait(in_flight)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *in_flight += bytes;
        Reservation {
            budget: self,
            bytes,
        }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut in_flight = self
            .budget
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *in_flight -= self.bytes;
        self.budget.room.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn never_exceeds_capacity_and_never_deadlocks() {
        let budget = ByteBudget::new(100);
        let in_use = AtomicU64::new(0);
        let peak = AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let (budget, in_use, peak) = (&budget, &in_use, &peak);
                s.spawn(move || {
                    for i in 0..200u64 {
                        let size = (t * 37 + i * 13) % 130; // some larger than the budget
                        let r = budget.reserve(size);
                        let now = in_use.fetch_add(r.bytes, Ordering::SeqCst) + r.bytes;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        in_use.fetch_sub(r.bytes, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 100);
        assert_eq!(*budget.in_flight.lock().unwrap(), 0);
    }
}
