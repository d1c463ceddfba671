//! Splitting work over the machine's threads.
//!
//! The work runs on rayon's global pool, the one burn-ndarray runs its own operations on: its
//! threads live as long as the process, so a kernel call starts no thread (a start and its
//! stack cost tens of microseconds and page faults) and the per-thread scratch buffers of the
//! kernels ([`crate::scratch`]) survive from one call to the next.

use std::ops::Range;

use rayon::prelude::*;

/// Operations below which the work is done on the calling thread alone (handing work to the
/// pool and waiting for it costs about as much as this many simple operations).
const MIN_PER_THREAD: usize = 1 << 14;

/// Splits `0..units` into at most one range per pool thread (a single range when `units *
/// cost_per_unit` operations are few) and calls `work(range, chunk)` on each, in parallel, where
/// `chunk` is the part of `data` that holds those units: `data` is `units` units of equal length
/// (possibly zero: `&mut []` when the work writes nothing). Results in range order.
pub(crate) fn map_chunks<T, R, F>(
    units: usize,
    data: &mut [T],
    cost_per_unit: usize,
    work: F,
) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(Range<usize>, &mut [T]) -> R + Sync,
{
    let unit = data.len().checked_div(units).unwrap_or(0);
    debug_assert_eq!(data.len(), units * unit, "data must be whole units");
    let threads = rayon::current_num_threads()
        .min(units.saturating_mul(cost_per_unit) / MIN_PER_THREAD)
        .min(units)
        .max(1);
    if threads == 1 {
        return vec![work(0..units, data)];
    }
    let per_thread = units.div_ceil(threads);
    let mut pieces = Vec::with_capacity(threads);
    let mut rest = data;
    for start in (0..units).step_by(per_thread) {
        let end = (start + per_thread).min(units);
        let (head, tail) = rest.split_at_mut((end - start) * unit);
        pieces.push((start..end, head));
        rest = tail;
    }
    pieces
        .into_par_iter()
        .map(|(range, chunk)| work(range, chunk))
        .collect()
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
    map_chunks(
        units,
        data,
        unit.saturating_mul(cost_per_element),
        |range, chunk| work(range.start, chunk),
    );
}

/// `work` on consecutive ranges that cover `0..items`, one per thread (a single range when
/// `items * cost_per_item` operations are few), results in range order.
pub(crate) fn parallel_ranges<R, F>(items: usize, cost_per_item: usize, work: F) -> Vec<R>
where
    R: Send,
    F: Fn(Range<usize>) -> R + Sync,
{
    map_chunks::<(), _, _>(items, &mut [], cost_per_item, |range, _| work(range))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_unit_once_in_order() {
        for (units, cost) in [(0, 1), (1, 1 << 20), (7, 1), (7, 1 << 20), (64, 1 << 20)] {
            let mut data: Vec<usize> = vec![0; units * 3];
            let ranges = map_chunks(units, &mut data, cost, |range, chunk| {
                assert_eq!(chunk.len(), range.len() * 3);
                for (i, v) in chunk.iter_mut().enumerate() {
                    *v = range.start * 3 + i;
                }
                range
            });
            assert_eq!(data, (0..units * 3).collect::<Vec<_>>(), "{units} units");
            let covered: Vec<usize> = ranges.into_iter().flatten().collect();
            assert_eq!(covered, (0..units).collect::<Vec<_>>(), "{units} units");
        }
        let squares = parallel_map(100, 1 << 20, |i| i * i);
        assert_eq!(squares, (0..100).map(|i| i * i).collect::<Vec<_>>());
    }
}
