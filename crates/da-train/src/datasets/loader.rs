//! Index batches over a dataset: reshuffled every epoch from the seed, cycling forever.

use serde::{Deserialize, Serialize};

use super::shuffle::shuffle;

/// Where a [`BatchLoader`] is; enough to continue exactly (the order is recomputed from the seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoaderState {
    /// Passes completed over the data.
    pub epoch: u64,
    /// Next position in the current pass.
    pub position: usize,
}

/// Batches of indices into a dataset of `len` items.
///
/// Each pass visits every index exactly once, in an order shuffled from `(seed, pass)`; after
/// the last batch of a pass the next pass starts, so a loader can be drawn from forever (the
/// target loader of a run cycles independently of the source loader). The last batch of a pass
/// is short when `batch_size` does not divide `len`; a remainder of one item is merged into the
/// batch before it, so no batch has a single row (which the unbiased MMD estimators reject),
/// unless the whole dataset has one item.
#[derive(Debug, Clone)]
pub struct BatchLoader {
    len: usize,
    batch_size: usize,
    seed: u64,
    state: LoaderState,
    order: Vec<usize>,
}

impl BatchLoader {
    /// A loader at the start of its first pass.
    ///
    /// # Panics
    /// When `len` or `batch_size` is 0.
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        assert!(len > 0, "cannot load batches from an empty dataset");
        assert!(batch_size > 0, "batch_size must be at least 1, got 0");
        let mut loader = Self {
            len,
            batch_size,
            seed,
            state: LoaderState {
                epoch: 0,
                position: 0,
            },
            order: Vec::new(),
        };
        loader.reshuffle();
        loader
    }

    fn reshuffle(&mut self) {
        self.order = (0..self.len).collect();
        shuffle(
            &mut self.order,
            self.seed ^ self.state.epoch.wrapping_mul(0xA24B_AED4_963E_E407),
        );
    }

    /// Batches in one pass.
    pub fn batches_per_epoch(&self) -> usize {
        let full = self.len / self.batch_size;
        match self.len % self.batch_size {
            0 => full,
            1 if full > 0 => full,
            _ => full + 1,
        }
    }

    /// The next batch of indices (never empty).
    pub fn next_batch(&mut self) -> Vec<usize> {
        if self.state.position >= self.len {
            self.state.epoch += 1;
            self.state.position = 0;
            self.reshuffle();
        }
        let start = self.state.position;
        let mut end = (start + self.batch_size).min(self.len);
        if self.len - end == 1 {
            end = self.len;
        }
        self.state.position = end;
        self.order[start..end].to_vec()
    }

    /// Where the loader is.
    pub fn state(&self) -> LoaderState {
        self.state
    }

    /// Continues from a saved state.
    pub fn restore(&mut self, state: &LoaderState) {
        self.state = *state;
        self.reshuffle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(loader: &mut BatchLoader) -> Vec<Vec<usize>> {
        (0..loader.batches_per_epoch())
            .map(|_| loader.next_batch())
            .collect()
    }

    #[test]
    fn every_index_once_per_pass_in_a_new_order_each_pass() {
        let mut loader = BatchLoader::new(10, 4, 3);
        let first: Vec<usize> = pass(&mut loader).concat();
        let second: Vec<usize> = pass(&mut loader).concat();
        for order in [&first, &second] {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        }
        assert_ne!(first, second);
        assert_eq!(
            pass(&mut BatchLoader::new(10, 4, 3)).concat(),
            first,
            "same seed, same order"
        );
    }

    #[test]
    fn short_last_batches() {
        let sizes = |len, batch| {
            pass(&mut BatchLoader::new(len, batch, 0))
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(10, 4), vec![4, 4, 2]);
        assert_eq!(
            sizes(9, 4),
            vec![4, 5],
            "a single leftover joins the last batch"
        );
        assert_eq!(sizes(8, 4), vec![4, 4]);
        assert_eq!(sizes(3, 8), vec![3]);
        assert_eq!(sizes(1, 8), vec![1]);
    }

    #[test]
    fn cycles_and_resumes_exactly() {
        let mut a = BatchLoader::new(7, 3, 11);
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(a.next_batch());
        }
        let state = a.state();
        let continued: Vec<Vec<usize>> = (0..6).map(|_| a.next_batch()).collect();
        let mut b = BatchLoader::new(7, 3, 11);
        b.restore(&state);
        let resumed: Vec<Vec<usize>> = (0..6).map(|_| b.next_batch()).collect();
        assert_eq!(continued, resumed);
        assert!(seen.iter().all(|batch| !batch.is_empty()));
    }
}
