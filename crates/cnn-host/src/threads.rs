//! Splitting work over the machine's threads.

use std::ops::Range;
use std::sync::OnceLock;

/// Elements below which a buffer is processed on the calling thread alone (a thread start costs
/// about as much as touching this many values).
const MIN_PER_THREAD: usize = 1 << 14;

/// Threads for the kernels: the machine's parallelism, read once.
fn worker_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(64)
    })
}

/// Calls `work(first_unit, chunk)` on consecutive chunks of `data` made of whole units of `unit`
/// elements, in parallel when the work (`cost_per_element` operations per element of `data`) is
/// large; `first_unit` is the index of the chunk's first unit. `unit` must divide `data.len()`
/// and be non-zero.
pub(crate) fn for_each_chunk<T, F>(data: &mut [T], unit: usize, cost_per_element: usize, work: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync,
{
    debug_assert!(unit > 0 && data.len().is_multiple_of(unit));
    let units = data.len() / unit;
    let threads = worker_threads()
        .min(data.len().saturating_mul(cost_per_element) / MIN_PER_THREAD)
        .min(units)
        .max(1);
    if threads == 1 {
        return work(0, data);
    }
    let per_thread = units.div_ceil(threads);
    std::thread::scope(|scope| {
        let mut chunks = data.chunks_mut(per_thread * unit).enumerate();
        let (_, own) = chunks.next().expect("at least one unit");
        let work = &work;
        for (i, chunk) in chunks {
            scope.spawn(move || work(i * per_thread, chunk));
        }
        work(0, own);
    });
}

/// `work` on consecutive ranges that cover `0..items`, one per thread (a single range when
/// `items * cost_per_item` operations are few), results in range order.
pub(crate) fn parallel_ranges<R, F>(items: usize, cost_per_item: usize, work: F) -> Vec<R>
where
    R: Send,
    F: Fn(Range<usize>) -> R + Sync,
{
    let threads = worker_threads()
        .min(items.saturating_mul(cost_per_item) / MIN_PER_THREAD)
        .min(items)
        .max(1);
    if threads == 1 {
        return vec![work(0..items)];
    }
    let per_thread = items.div_ceil(threads);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = (per_thread..items)
            .step_by(per_thread)
            .map(|start| scope.spawn(move || work(start..(start + per_thread).min(items))))
            .collect();
        let mut results = vec![work(0..per_thread)];
        results.extend(
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a kernel thread panicked")),
        );
        results
    })
}

/// `(0..items).map(work).collect()`, split over threads as [`parallel_ranges`] does.
pub(crate) fn parallel_map<R, F>(items: usize, cost_per_item: usize, work: F) -> Vec<R>
where
    R: Send,
    F: Fn(usize) -> R + Sync,
{
    parallel_ranges(items, cost_per_item, |range| {
        range.map(&work).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}
