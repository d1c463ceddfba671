//! Class names from raw labels.

use std::collections::BTreeSet;

/// The distinct labels in increasing order, as names, and each label's index among them.
pub fn index_labels(labels: impl Iterator<Item = u64> + Clone) -> (Vec<String>, Vec<usize>) {
    let distinct: Vec<u64> = labels
        .clone()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index = labels
        .map(|l| distinct.binary_search(&l).expect("present"))
        .collect();
    (distinct.iter().map(u64::to_string).collect(), index)
}
