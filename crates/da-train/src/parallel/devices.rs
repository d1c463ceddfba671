//! `--devices`: which devices of which backend one process trains on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::backend::BackendKind;

/// The devices one process trains on, all of one backend: `cpu:N` (N copies of the
/// ndarray CPU device), `wgpu:I,J,...` (discrete GPUs by index) or `cuda:I,J,...` (CUDA devices by
/// index).
///
/// Written as a string in configuration files (`devices = "cpu:2"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceSpec {
    /// The backend of every device.
    pub backend: BackendKind,
    /// Device indices: `0..N` for `cpu:N`, the listed indices for the GPUs.
    pub indices: Vec<usize>,
}

impl DeviceSpec {
    /// One device of `backend`, its default one.
    pub fn single(backend: BackendKind) -> Self {
        Self {
            backend,
            indices: vec![0],
        }
    }

    /// How many devices.
    pub fn count(&self) -> usize {
        self.indices.len()
    }
}

/// Why a `--devices` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--devices '{given}': {reason} (expected cpu:N, wgpu:I,J,... or cuda:I,J,...)")]
pub struct DeviceSpecError {
    /// The value as given.
    pub given: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for DeviceSpec {
    type Err = DeviceSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| DeviceSpecError {
            given: s.to_string(),
            reason,
        };
        let (kind, list) = s
            .split_once(':')
            .ok_or_else(|| fail("no ':' between the backend and the devices".into()))?;
        let backend = match kind.trim() {
            "cpu" | "ndarray" => BackendKind::Ndarray,
            "wgpu" => BackendKind::Wgpu,
            "cuda" => BackendKind::Cuda,
            other => return Err(fail(format!("unknown backend '{other}'"))),
        };
        let number = |v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| fail(format!("'{v}' is not a device number")))
        };
        let indices = if backend == BackendKind::Ndarray {
            if list.contains(',') {
                return Err(fail(
                    "the CPU takes a count (cpu:2), not a list of indices".into(),
                ));
            }
            let count = number(list)?;
            (0..count).collect::<Vec<_>>()
        } else {
            list.split(',').map(number).collect::<Result<Vec<_>, _>>()?
        };
        if indices.is_empty() {
            return Err(fail("at least one device is needed".into()));
        }
        let mut sorted = indices.clone();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(fail(format!("device {} is listed twice", pair[0])));
        }
        Ok(Self { backend, indices })
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            BackendKind::Ndarray => write!(f, "cpu:{}", self.indices.len()),
            BackendKind::Wgpu | BackendKind::Cuda => {
                let list: Vec<String> = self.indices.iter().map(usize::to_string).collect();
                let name = if self.backend == BackendKind::Wgpu {
                    "wgpu"
                } else {
                    "cuda"
                };
                write!(f, "{name}:{}", list.join(","))
            }
        }
    }
}

impl TryFrom<String> for DeviceSpec {
    type Error = DeviceSpecError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<DeviceSpec> for String {
    fn from(spec: DeviceSpec) -> Self {
        spec.to_string()
    }
}

/// A backend's device from its index in a [`DeviceSpec`].
pub trait IndexedDevice: Sized {
    /// The device numbered `index` (the CPU has one device: every index is that device).
    fn indexed(index: usize) -> Self;
}

impl IndexedDevice for burn_ndarray::NdArrayDevice {
    fn indexed(_index: usize) -> Self {
        burn_ndarray::NdArrayDevice::Cpu
    }
}

#[cfg(feature = "wgpu")]
impl IndexedDevice for burn_wgpu::WgpuDevice {
    fn indexed(index: usize) -> Self {
        burn_wgpu::WgpuDevice::DiscreteGpu(index)
    }
}

#[cfg(feature = "cuda")]
impl IndexedDevice for burn_cuda::CudaDevice {
    fn indexed(index: usize) -> Self {
        burn_cuda::CudaDevice::new(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_backend() {
        for (text, backend, indices) in [
            ("cpu:2", BackendKind::Ndarray, vec![0, 1]),
            ("wgpu:0,1", BackendKind::Wgpu, vec![0, 1]),
            ("cuda:1,3", BackendKind::Cuda, vec![1, 3]),
            ("cuda:0", BackendKind::Cuda, vec![0]),
        ] {
            let spec: DeviceSpec = text.parse().unwrap();
            assert_eq!(spec.backend, backend, "{text}");
            assert_eq!(spec.indices, indices, "{text}");
            assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn bad_values_name_what_is_wrong() {
        for (text, needle) in [
            ("cpu", "no ':'"),
            ("tpu:0", "unknown backend 'tpu'"),
            ("cpu:0", "at least one device"),
            ("cpu:0,1", "takes a count"),
            ("wgpu:0,x", "'x' is not a device number"),
            ("cuda:1,1", "device 1 is listed twice"),
        ] {
            let err = text.parse::<DeviceSpec>().unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains(text), "{text}: {err}");
        }
    }

    #[test]
    fn round_trips_through_a_configuration_file() {
        #[derive(Serialize, Deserialize)]
        struct File {
            devices: DeviceSpec,
        }
        let file: File = toml::from_str("devices = \"wgpu:0,2\"").unwrap();
        assert_eq!(file.devices.indices, vec![0, 2]);
        assert_eq!(
            toml::to_string(&file).unwrap().trim(),
            "devices = \"wgpu:0,2\""
        );
        assert!(toml::from_str::<File>("devices = \"cpu:-1\"").is_err());
    }
}
