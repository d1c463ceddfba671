//! Per-thread scratch buffers that outlive a kernel call.
//!
//! The convolution needs a few image-sized buffers per thread (the padded image, its patches and
//! their gradients). Allocated afresh on every call, each one of more than 128 KiB is a new
//! `mmap` from glibc's allocator, faulted in page by page and unmapped again afterwards (with
//! TLB shoot-downs on every core). Kept in a thread-local of the pool's long-lived threads, they
//! are allocated once; buffers over [`KEEP_BYTES`] are released after each call, so that one
//! large convolution does not pin its memory for the life of the process.

use std::cell::RefCell;

/// Buffers up to this size (in bytes) are kept for the next call.
const KEEP_BYTES: usize = 16 << 20;

/// The scratch buffers of one thread, each at least as long as the longest asked for.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    buffers: [Vec<f32>; 4],
}

impl Scratch {
    /// Four disjoint buffers of the given lengths. Their contents are unspecified (whatever the
    /// previous user left).
    pub(crate) fn get(&mut self, lens: [usize; 4]) -> [&mut [f32]; 4] {
        let [a, b, c, d] = &mut self.buffers;
        let mut out = [a, b, c, d];
        for (buffer, &len) in out.iter_mut().zip(&lens) {
            if buffer.len() < len {
                buffer.resize(len, 0.0);
            }
        }
        let [a, b, c, d] = out;
        [
            &mut a[..lens[0]],
            &mut b[..lens[1]],
            &mut c[..lens[2]],
            &mut d[..lens[3]],
        ]
    }

    /// Drops the buffers too large to keep.
    fn trim(&mut self) {
        for buffer in &mut self.buffers {
            if buffer.capacity() * size_of::<f32>() > KEEP_BYTES {
                *buffer = Vec::new();
            }
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Runs `work` with this thread's scratch buffers.
///
/// # Panics
/// When called again from inside `work` on the same thread.
pub(crate) fn with_scratch<R>(work: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.borrow_mut();
        let result = work(&mut scratch);
        scratch.trim();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_grow_and_large_ones_are_released() {
        with_scratch(|scratch| {
            let [a, b, c, d] = scratch.get([3, 0, 5, 1]);
            assert_eq!((a.len(), b.len(), c.len(), d.len()), (3, 0, 5, 1));
            a.fill(1.0);
        });
        // Kept: the same memory comes back, with what was written.
        with_scratch(|scratch| assert_eq!(scratch.get([2, 0, 0, 0])[0], &[1.0, 1.0]));
        let large = KEEP_BYTES / size_of::<f32>() + 1;
        with_scratch(|scratch| assert_eq!(scratch.get([large, 0, 0, 0])[0].len(), large));
        with_scratch(|scratch| assert_eq!(scratch.buffers[0].capacity(), 0));
    }
}
