//! What the operating system says about this process and machine (Linux `/proc`).

use std::fs;

/// Peak resident memory of this process in MiB (`VmHWM` of `/proc/self/status`), or `None`
/// where that file does not exist.
pub fn peak_rss_mib() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    vm_hwm_mib(&status)
}

/// The `VmHWM` line of a `/proc/<pid>/status` text, in MiB.
pub fn vm_hwm_mib(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut words = line["VmHWM:".len()..].split_whitespace();
    let value: f64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value / 1024.0),
        _ => None,
    }
}

/// The CPU model of `/proc/cpuinfo` (`model name`), or `"unknown CPU"`.
pub fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_hwm() {
        let status =
            "Name:\tda-bench\nVmPeak:\t  900000 kB\nVmHWM:\t   20480 kB\nVmRSS:\t 1024 kB\n";
        assert_eq!(vm_hwm_mib(status), Some(20.0));
        assert_eq!(vm_hwm_mib("Name:\tx\n"), None);
        assert_eq!(vm_hwm_mib("VmHWM:\t12 MB\n"), None);
    }

    #[test]
    fn this_process_has_a_peak_on_linux() {
        if cfg!(target_os = "linux") {
            let peak = peak_rss_mib().expect("Linux has /proc/self/status");
            assert!(peak > 0.0, "{peak}");
        }
    }
}
