//! A budget of source bytes being linted at once, so that peak memory stays close to what the
//! largest file's syntax tree needs: syn builds ~40-100 bytes of tree per byte of source, so two
//! large generated files parsed at the same time would double the peak.
//!
//! [`ByteBudget::run`] hands jobs to the workers of the current thread pool, each time the
//! largest waiting one that fits the budget: while a large file holds most of it, the other
//! workers take small files instead of waiting for room.

use std::collections::BTreeSet;
use std::sync::{Condvar, Mutex, PoisonError};

/// Source bytes in flight, bounded by a capacity.
#[derive(Debug)]
pub struct ByteBudget {
    capacity: u64,
}

/// The jobs not yet started, by size, and the bytes in flight.
struct Queue {
    waiting: BTreeSet<(u64, usize)>,
    in_flight: u64,
    /// Workers waiting for room: only then is there anyone to wake (a wake is a system call,
    /// which every finished job made before).
    sleepers: usize,
}

impl ByteBudget {
    /// A budget of `capacity` bytes (at least 1).
    pub fn new(capacity: u64) -> Self {
        ByteBudget {
            capacity: capacity.max(1),
        }
    }

    /// Runs `job(i)` for every index of `sizes` on the workers of the current rayon pool and
    /// returns the results in index order. A worker takes the largest waiting job that fits
    /// beside the bytes in flight, and waits only when none fits; a job larger than the whole
    /// budget runs when nothing else is in flight, so no job waits forever.
    pub fn run<T: Send>(&self, sizes: &[u64], job: impl Fn(usize) -> T + Sync) -> Vec<T> {
        let queue = Mutex::new(Queue {
            waiting: sizes
                .iter()
                .enumerate()
                .map(|(i, &s)| (s.min(self.capacity), i))
                .collect(),
            in_flight: 0,
            sleepers: 0,
        });
        let room = Condvar::new();
        let lock = || queue.lock().unwrap_or_else(PoisonError::into_inner);
        let per_worker: Vec<Vec<(usize, T)>> = rayon::broadcast(|_| {
            let mut done = Vec::new();
            loop {
                let (bytes, i) = {
                    let mut q = lock();
                    loop {
                        let free = self.capacity - q.in_flight;
                        let Some(&next) = q.waiting.range(..=(free, usize::MAX)).next_back() else {
                            if q.waiting.is_empty() {
                                return done;
                            }
                            q.sleepers += 1;
                            q = room.wait(q).unwrap_or_else(PoisonError::into_inner);
                            q.sleepers -= 1;
                            continue;
                        };
                        q.waiting.remove(&next);
                        q.in_flight += next.0;
                        break next;
                    }
                };
                // Room is given back even if the job panics.
                struct Release<'a, F: Fn()>(&'a F);
                impl<F: Fn()> Drop for Release<'_, F> {
                    fn drop(&mut self) {
                        (self.0)()
                    }
                }
                let give_back = || {
                    let mut q = lock();
                    q.in_flight -= bytes;
                    if q.sleepers > 0 {
                        room.notify_all();
                    }
                };
                let _release = Release(&give_back);
                done.push((i, job(i)));
            }
        });
        let mut slots: Vec<Option<T>> = (0..sizes.len()).map(|_| None).collect();
        for (i, out) in per_worker.into_iter().flatten() {
            slots[i] = Some(out);
        }
        slots.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn never_exceeds_capacity_runs_every_job_once_and_keeps_order() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let budget = ByteBudget::new(100);
        let in_use = AtomicU64::new(0);
        let peak = AtomicU64::new(0);
        // Some larger than the whole budget.
        let sizes: Vec<u64> = (0..800u64).map(|i| (i * 37) % 130).collect();
        let out = pool.install(|| {
            budget.run(&sizes, |i| {
                let bytes = sizes[i].min(100);
                let now = in_use.fetch_add(bytes, Ordering::SeqCst) + bytes;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::yield_now();
                in_use.fetch_sub(bytes, Ordering::SeqCst);
                i
            })
        });
        assert!(peak.load(Ordering::SeqCst) <= 100);
        assert_eq!(out, (0..800).collect::<Vec<_>>());
    }

    #[test]
    fn small_jobs_run_beside_a_large_one() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let budget = ByteBudget::new(110);
        let large_done = std::sync::atomic::AtomicBool::new(false);
        let beside = AtomicU64::new(0);
        // One job of 100 bytes (taken first: the largest that fits), then one of 90 that cannot
        // run beside it, then small ones.
        let sizes = [100, 90, 5, 5, 5, 5];
        pool.install(|| {
            budget.run(&sizes, |i| {
                if i == 0 {
                    // Long enough for the other worker to take the small jobs meanwhile.
                    let start = std::time::Instant::now();
                    while beside.load(Ordering::SeqCst) < 4
                        && start.elapsed() < std::time::Duration::from_secs(10)
                    {
                        std::thread::yield_now();
                    }
                    large_done.store(true, Ordering::SeqCst);
                } else if sizes[i] == 5 && !large_done.load(Ordering::SeqCst) {
                    beside.fetch_add(1, Ordering::SeqCst);
                }
            })
        });
        assert_eq!(beside.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_panicking_job_gives_its_room_back() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let budget = ByteBudget::new(10);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                budget.run(&[10, 10], |i| {
                    if i == 1 {
                        panic!("job failed");
                    }
                })
            })
        }));
        assert!(result.is_err());
    }
}
