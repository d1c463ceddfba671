//! How the transfer loss is taken when a batch is split over several devices.

use serde::{Deserialize, Serialize};

/// Where the transfer loss (MMD and the other methods) is computed when the batch is split
/// over several devices. With one device both are the same.
///
/// | scope | loss | communication per step |
/// |---|---|---|
/// | `global` | the loss of the whole batch: every device all-gathers the source and target features and logits, and the gradient flows back to each device's own rows; identical to one device | one all-reduce of `(n + m) x (features + classes)` floats, before the backward pass |
/// | `local` | the mean over devices of each device's loss on its own slice (what PyTorch's DDP gives) | none beyond the gradients |
///
/// The classification loss is the whole batch's mean in both (each device weighs its slice's
/// mean by the slice's share of the batch). A loss on a slice is not the loss of the batch: a
/// kernel MMD on `n / k` samples has a larger bias and variance than on `n`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum TransferScope {
    /// The loss of the whole batch, on all-gathered features (the default).
    #[default]
    Global,
    /// The mean of the per-device losses on each device's slice.
    Local,
}

impl TransferScope {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            TransferScope::Global => "global",
            TransferScope::Local => "local",
        }
    }
}

/// The rows of a batch of `total` that part `index` of `parts` takes: contiguous, the first
/// `total % parts` parts one row longer.
pub fn slice_of(total: usize, parts: usize, index: usize) -> std::ops::Range<usize> {
    let base = total / parts;
    let extra = total % parts;
    let start = index * base + index.min(extra);
    let len = base + usize::from(index < extra);
    start..start + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_the_batch_in_order() {
        for total in 0..20 {
            for parts in 1..6 {
                let mut next = 0;
                for index in 0..parts {
                    let range = slice_of(total, parts, index);
                    assert_eq!(range.start, next);
                    assert!(range.len() >= total / parts && range.len() <= total / parts + 1);
                    next = range.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn global_is_the_default() {
        assert_eq!(TransferScope::default(), TransferScope::Global);
        let parsed: TransferScope = serde_json::from_str("\"local\"").unwrap();
        assert_eq!(parsed, TransferScope::Local);
    }
}
