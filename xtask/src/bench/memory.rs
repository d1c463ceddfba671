//! The memory cap: cases whose estimated peak exceeds it are skipped instead of swapping.

use super::case::Case;

const GIB: f64 = (1u64 << 30) as f64;

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
pub fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut words = line["MemAvailable:".len()..].split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib * 1024)
}

/// The default cap: half of `MemAvailable`, or `None` where `/proc/meminfo` is missing.
pub fn default_cap() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    mem_available(&meminfo).map(|bytes| bytes / 2)
}

/// Bytes as GiB with one decimal.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB)
}

/// Why `case` must not run under `cap` (`needs 10.5 GiB, cap 8.0 GiB`), or `None` when it fits
/// or nothing is known (no estimate, no cap).
pub fn skip_reason(case: &Case, cap: Option<u64>) -> Option<String> {
    let needed = case.estimated_bytes()?;
    let cap = cap?;
    (needed > cap).then(|| format!("needs {}, cap {}", gib(needed), gib(cap)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::case::Shape;

    const MEMINFO: &str = "MemTotal:       24000000 kB\nMemFree:        20000000 kB\nMemAvailable:   16777216 kB\nBuffers:  1 kB\n";

    #[test]
    fn reads_mem_available() {
        assert_eq!(mem_available(MEMINFO), Some(16 << 30));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
        assert_eq!(mem_available("MemAvailable: lots\n"), None);
    }

    fn naive(n: usize, d: usize) -> Case {
        Case {
            group: "mmd".into(),
            implementation: "naive".into(),
            variant: "gaussian-biased".into(),
            backend: "ndarray".into(),
            shape: Shape::Mmd { n, m: n, d },
        }
    }

    #[test]
    fn skips_cases_above_the_cap_only() {
        let cap = Some(8u64 << 30);
        // 3 x 8192^2 x 14 x 4 bytes = 10.5 GiB > 8 GiB.
        assert_eq!(
            skip_reason(&naive(4096, 14), cap).as_deref(),
            Some("needs 10.5 GiB, cap 8.0 GiB")
        );
        // 3 x 2048^2 x 14 x 4 bytes = 0.66 GiB.
        assert_eq!(skip_reason(&naive(1024, 14), cap), None);
        assert_eq!(skip_reason(&naive(4096, 14), None), None);
        let mut ours = naive(4096, 2048);
        ours.implementation = "ours".into();
        assert_eq!(skip_reason(&ours, cap), None);
        assert!(
            skip_reason(&naive(4096, 2048), cap)
                .unwrap()
                .starts_with("needs 1536.")
        );
    }
}
