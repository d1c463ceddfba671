//! A process setting of the system allocator that suits training on the CPU.

/// Freed memory below this size (bytes) is kept for reuse instead of being returned to the system.
const TRIM_THRESHOLD: usize = 256 << 20;

/// Blocks from this size up (bytes) get a mapping of their own; 32 MiB is glibc's largest.
const MMAP_THRESHOLD: usize = 32 << 20;

/// Makes glibc's `malloc` keep freed memory for reuse, so that the image-sized buffers which
/// every training step allocates and frees come back from the heap instead of from the kernel.
///
/// By default glibc gives every block of more than 128 KiB (up to 32 MiB, depending on what was
/// freed before) a fresh `mmap` and returns freed memory at the top of its heap beyond twice
/// that. A training step of a small CNN allocates tens of such buffers (activations, their
/// gradients, the backend's temporaries); each is then faulted in page by page on first write
/// and unmapped again on free, with a TLB shoot-down on every core when threads run. On
/// LeNet's step on two cores that was about a sixth of the time. This sets `M_MMAP_THRESHOLD`
/// to 32 MiB and `M_TRIM_THRESHOLD` to 256 MiB, the same as
/// `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456`:
/// up to 256 MiB of freed memory stays in the process.
///
/// Call it once, at the start of a program, before the threads start; a library never changes
/// this for its users. Returns whether the setting was applied: always `false` where the C
/// library is not glibc (other allocators are left alone).
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` only changes allocator parameters; both values are in range.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_accepts_the_setting() {
        assert!(keep_freed_memory());
        // Allocation still works, large and small.
        let large = vec![1.0f32; MMAP_THRESHOLD / 4 + 1];
        assert_eq!(large.iter().sum::<f32>(), large.len() as f32);
    }
}
