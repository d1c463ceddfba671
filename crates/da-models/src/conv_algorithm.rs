//! How a convolution is computed: patches and one matrix product, or the backend's own kernel.

use std::fmt;
use std::str::FromStr;

use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};
use burn::tensor::{Tensor, backend::Backend};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// How the [`ConvBlock`](crate::ConvBlock)s compute their convolutions. All give the same
/// values and gradients (up to float rounding) and use the same parameters, so a record saved
/// with one loads with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConvAlgorithm {
    /// da-models' own CPU kernels (the cnn-host crate) where they run: on burn-ndarray with
    /// `f32` (`NdArray<f32>` and `Autodiff<NdArray<f32>>`) when da-models' `ndarray` feature is
    /// on. The convolution runs image by image over rayon's thread pool (the image copied
    /// channels last, its patches built a few output rows at a time in a per-thread buffer, one
    /// matrix product each) and a block's batch-norm, ReLU and max-pool are one fused pass (ReLU
    /// and max-pool alone without batch-norm); each is one node of the autodiff graph with a
    /// hand-written backward pass. In a [`DaNet`](crate::DaNet) it also puts the bottleneck and
    /// the classifier on a host kernel. On any other backend, or without the feature, this is
    /// [`ConvAlgorithm::Im2col`].
    Host,
    /// Gather the `k x k` patches of the zero-padded input (im2col) and multiply them by the
    /// weights in one matrix product; every step is a plain tensor op, so autodiff
    /// differentiates it with slices and matrix products. Works on every backend; on
    /// burn-ndarray about 30 times faster to train than [`ConvAlgorithm::Native`] (whose input
    /// gradient is a scalar loop), and slower than [`ConvAlgorithm::Host`].
    Im2col,
    /// The backend's own `conv2d` operation (burn's `Conv2d::forward`); best on GPU backends
    /// with tuned convolution kernels.
    Native,
}

impl ConvAlgorithm {
    /// Both choices, in declaration order.
    pub const ALL: [ConvAlgorithm; 3] = [
        ConvAlgorithm::Host,
        ConvAlgorithm::Im2col,
        ConvAlgorithm::Native,
    ];

    /// The snake-case name used on command lines and in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            ConvAlgorithm::Host => "host",
            ConvAlgorithm::Im2col => "im2col",
            ConvAlgorithm::Native => "native",
        }
    }

    /// A 2-D convolution (cross-correlation, like PyTorch's `Conv2d`) with square stride and
    /// symmetric zero padding, no dilation, one group.
    ///
    /// # Shapes
    /// - `input`: `[batch_size, channels_in, height, width]`
    /// - `weight`: `[channels_out, channels_in, kernel_height, kernel_width]`
    /// - `bias`: `[channels_out]`
    /// - output: `[batch_size, channels_out, out_height, out_width]` with
    ///   `out = floor((in + 2 padding - kernel) / stride) + 1`
    ///
    /// # Panics
    /// If the channels of `input` and `weight` differ, the stride is 0 or the padded input is
    /// smaller than the kernel.
    pub fn conv2d<B: Backend>(
        self,
        input: Tensor<B, 4>,
        weight: Tensor<B, 4>,
        bias: Option<Tensor<B, 1>>,
        stride: usize,
        padding: usize,
    ) -> Tensor<B, 4> {
        let [_, channels, height, width] = input.dims();
        let [_, weight_channels, kernel_h, kernel_w] = weight.dims();
        assert!(
            channels == weight_channels
                && stride > 0
                && height + 2 * padding >= kernel_h
                && width + 2 * padding >= kernel_w,
            "conv2d cannot apply a {kernel_h}x{kernel_w} kernel on {weight_channels} channels \
             with stride {stride} and padding {padding} to an input of shape {:?}",
            input.dims()
        );
        #[cfg(feature = "ndarray")]
        if self.runs_on_host::<B>() {
            return crate::host::conv2d(input, weight, bias, stride, padding);
        }
        match self {
            // burn-wgpu 0.21's own convolution gives a wrong input gradient for a 1x1 kernel
            // with a stride above 1 (the projection shortcut of a ResNet; measured against
            // ndarray, a test on wgpu pins it): take every `stride`-th pixel first, then a 1x1
            // convolution with stride 1, the same function on every backend.
            ConvAlgorithm::Native if kernel_h == 1 && kernel_w == 1 && stride > 1 => conv2d(
                subsample(input, stride, padding),
                weight,
                bias,
                ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
            ),
            ConvAlgorithm::Native => conv2d(
                input,
                weight,
                bias,
                ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1),
            ),
            ConvAlgorithm::Host | ConvAlgorithm::Im2col => {
                im2col_conv2d(input, weight, bias, stride, padding)
            }
        }
    }

    /// Whether this algorithm runs da-models' host kernels on backend `B`: it is
    /// [`ConvAlgorithm::Host`], the `ndarray` feature is on and `B` is burn-ndarray with `f32`
    /// (plain or autodiff).
    pub fn runs_on_host<B: Backend>(self) -> bool {
        #[cfg(feature = "ndarray")]
        let available = crate::host::available::<B>();
        #[cfg(not(feature = "ndarray"))]
        let available = false;
        self == ConvAlgorithm::Host && available
    }
}

/// The pixels `(stride i - padding, stride j - padding)` of `input` (zero outside it): what a
/// 1x1 convolution with this stride and padding reads.
fn subsample<B: Backend>(input: Tensor<B, 4>, stride: usize, padding: usize) -> Tensor<B, 4> {
    let [batch, channels, height, width] = input.dims();
    let out_h = (height + 2 * padding - 1) / stride + 1;
    let out_w = (width + 2 * padding - 1) / stride + 1;
    // Pad to `stride * out` rows and columns; the extra ones are never selected.
    let (extra_h, extra_w) = (
        stride * out_h - height - padding,
        stride * out_w - width - padding,
    );
    input
        .pad((padding, extra_w, padding, extra_h), PadMode::Constant(0.0))
        .reshape([batch, channels, out_h, stride, out_w, stride])
        .narrow(3, 0, 1)
        .narrow(5, 0, 1)
        .reshape([batch, channels, out_h, out_w])
}

/// See [`ConvAlgorithm::Im2col`]. Arguments already checked by [`ConvAlgorithm::conv2d`].
fn im2col_conv2d<B: Backend>(
    input: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
    stride: usize,
    padding: usize,
) -> Tensor<B, 4> {
    let [batch, channels, height, width] = input.dims();
    let [channels_out, _, kernel_h, kernel_w] = weight.dims();
    let out_h = (height + 2 * padding - kernel_h) / stride + 1;
    let out_w = (width + 2 * padding - kernel_w) / stride + 1;
    // Pad so that every window, taken `stride` rows at a time, fits; the extra bottom/right
    // rows are never selected.
    let padded_h = (kernel_h - 1 + stride * out_h).max(height + 2 * padding);
    let padded_w = (kernel_w - 1 + stride * out_w).max(width + 2 * padding);
    let (extra_h, extra_w) = (padded_h - height - padding, padded_w - width - padding);
    let input = if padded_h == height && padded_w == width {
        input
    } else {
        input.pad((padding, extra_w, padding, extra_h), PadMode::Constant(0.0))
    };
    // Channels first: every patch is then a block of whole rows of the result.
    let input = input.swap_dims(0, 1); // [channels, batch, padded_h, padded_w]
    let mut patches = Vec::with_capacity(kernel_h * kernel_w);
    for kh in 0..kernel_h {
        for kw in 0..kernel_w {
            let patch = input.clone().slice([
                0..channels,
                0..batch,
                kh..kh + stride * out_h,
                kw..kw + stride * out_w,
            ]);
            let patch = if stride == 1 {
                patch
            } else {
                patch
                    .reshape([channels, batch, out_h, stride, out_w, stride])
                    .narrow(3, 0, 1)
                    .narrow(5, 0, 1)
                    .reshape([channels, batch, out_h, out_w])
            };
            patches.push(patch);
        }
    }
    // Rows ordered (kh, kw, channel), matching the weight permuted to [out, kh, kw, in].
    let columns =
        Tensor::cat(patches, 0).reshape([kernel_h * kernel_w * channels, batch * out_h * out_w]);
    let weight = weight
        .permute([0, 2, 3, 1])
        .reshape([channels_out, kernel_h * kernel_w * channels]);
    let mut output = weight.matmul(columns); // [channels_out, batch * out_h * out_w]
    if let Some(bias) = bias {
        output = output + bias.reshape([channels_out, 1]);
    }
    output
        .reshape([channels_out, batch, out_h, out_w])
        .swap_dims(0, 1)
}

impl fmt::Display for ConvAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ConvAlgorithm {
    type Err = ModelError;

    /// Parses `host`, `im2col` or `native` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.trim().to_ascii_lowercase();
        ConvAlgorithm::ALL
            .into_iter()
            .find(|algorithm| algorithm.name() == normalised)
            .ok_or_else(|| ModelError::UnknownName {
                what: "convolution algorithm",
                got: s.to_string(),
                expected: "host, im2col, native",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Int, TensorData, Tolerance};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;
    type TrainBackend = Autodiff<TestBackend>;

    #[test]
    fn hand_computed_example() {
        // torch.nn.functional.conv2d(x, w, b, stride=2, padding=1) with
        // x = arange(16.).reshape(1, 1, 4, 4), w = [[[[1, 0], [0, -1]]]], b = [0.5]:
        // out[r][c] = P[2r][2c] - P[2r+1][2c+1] + 0.5 on the zero-padded 6x6 input P.
        let device = Default::default();
        let x = Tensor::<TestBackend, 1, Int>::arange(0..16, &device)
            .float()
            .reshape([1, 1, 4, 4]);
        let w = Tensor::<TestBackend, 4>::from_floats([[[[1.0, 0.0], [0.0, -1.0]]]], &device);
        let b = Tensor::<TestBackend, 1>::from_floats([0.5], &device);
        let expected =
            TensorData::from([[[[0.5f32, -1.5, 0.5], [-7.5, -4.5, 7.5], [0.5, 13.5, 15.5]]]]);
        for algorithm in ConvAlgorithm::ALL {
            let y = algorithm.conv2d(x.clone(), w.clone(), Some(b.clone()), 2, 1);
            y.into_data().assert_eq(&expected, false);
        }
    }

    /// Values and gradients (input, weight, bias) of every algorithm agree with the backend's
    /// native convolution.
    fn agree(
        batch: usize,
        cin: usize,
        cout: usize,
        hw: [usize; 2],
        kernel: usize,
        stride: usize,
        padding: usize,
    ) {
        let device = Default::default();
        let x = Tensor::<TrainBackend, 4>::random(
            [batch, cin, hw[0], hw[1]],
            Distribution::Normal(0.0, 1.0),
            &device,
        )
        .require_grad();
        let w = Tensor::<TrainBackend, 4>::random(
            [cout, cin, kernel, kernel],
            Distribution::Normal(0.0, 1.0),
            &device,
        )
        .require_grad();
        let b = Tensor::<TrainBackend, 1>::random([cout], Distribution::Normal(0.0, 1.0), &device)
            .require_grad();
        // A non-uniform upstream gradient, so that misplaced windows cannot cancel out.
        let run = |algorithm: ConvAlgorithm| {
            let y = algorithm.conv2d(x.clone(), w.clone(), Some(b.clone()), stride, padding);
            let weights =
                Tensor::<TrainBackend, 1, Int>::arange(0..y.shape().num_elements() as i64, &device)
                    .float()
                    .reshape(y.dims())
                    .sin();
            let grads = (y.clone() * weights).sum().backward();
            (
                y.inner().into_data(),
                x.grad(&grads).unwrap().into_data(),
                w.grad(&grads).unwrap().into_data(),
                b.grad(&grads).unwrap().into_data(),
            )
        };
        let native = run(ConvAlgorithm::Native);
        let tolerance = Tolerance::<f32>::relative(1e-4).set_absolute(1e-4);
        for algorithm in [ConvAlgorithm::Im2col, ConvAlgorithm::Host] {
            let other = run(algorithm);
            native.0.assert_approx_eq::<f32>(&other.0, tolerance);
            native.1.assert_approx_eq::<f32>(&other.1, tolerance);
            native.2.assert_approx_eq::<f32>(&other.2, tolerance);
            native.3.assert_approx_eq::<f32>(&other.3, tolerance);
        }
    }

    #[test]
    fn every_algorithm_matches_the_native_convolution() {
        // The host kernels do run here when the feature is on (`cargo test --all-features`).
        assert_eq!(
            ConvAlgorithm::Host.runs_on_host::<TrainBackend>(),
            cfg!(feature = "ndarray")
        );
        assert_eq!(
            ConvAlgorithm::Host.runs_on_host::<TestBackend>(),
            cfg!(feature = "ndarray")
        );
        assert!(!ConvAlgorithm::Im2col.runs_on_host::<TrainBackend>());
        agree(2, 1, 4, [16, 16], 5, 1, 2); // lenet block 1
        agree(3, 2, 4, [10, 9], 5, 1, 2); // odd width
        agree(2, 3, 5, [8, 8], 5, 1, 2); // lenet block 2
        agree(2, 3, 4, [17, 12], 3, 2, 1); // net_only block 1, odd size
        agree(3, 2, 3, [9, 10], 3, 1, 1); // wide
        agree(1, 2, 2, [7, 6], 3, 3, 0); // stride 3, no padding
        agree(2, 2, 3, [5, 5], 4, 2, 2); // even kernel, padding larger than needed
        // 1x1 with a stride: the ResNet projection shortcut, computed by `Native` as a
        // subsample and a stride-1 convolution (see `conv2d`).
        agree(2, 3, 4, [9, 8], 1, 2, 0);
        agree(2, 2, 3, [7, 7], 1, 3, 1);
    }

    #[test]
    fn without_bias_and_without_input_gradient() {
        // The first layer's case: images need no gradient; and a convolution without bias.
        let device = Default::default();
        let x = Tensor::<TrainBackend, 4>::random([3, 2, 9, 8], Distribution::Default, &device);
        let w = Tensor::<TrainBackend, 4>::random([4, 2, 3, 3], Distribution::Default, &device)
            .require_grad();
        let run = |algorithm: ConvAlgorithm| {
            let y = algorithm.conv2d(x.clone(), w.clone(), None, 2, 1);
            let grads = (y.clone() * y.clone()).sum().backward();
            assert!(x.grad(&grads).is_none());
            (y.inner().into_data(), w.grad(&grads).unwrap().into_data())
        };
        let (im2col, host) = (run(ConvAlgorithm::Im2col), run(ConvAlgorithm::Host));
        let tolerance = Tolerance::<f32>::relative(1e-4).set_absolute(1e-4);
        im2col.0.assert_approx_eq::<f32>(&host.0, tolerance);
        im2col.1.assert_approx_eq::<f32>(&host.1, tolerance);
    }

    #[test]
    #[should_panic(
        expected = "cannot apply a 5x5 kernel on 1 channels with stride 1 and padding 0 to an input of shape [1, 1, 4, 4]"
    )]
    fn too_small_input_panics_with_the_shapes() {
        let device = Default::default();
        ConvAlgorithm::Im2col.conv2d::<TestBackend>(
            Tensor::zeros([1, 1, 4, 4], &device),
            Tensor::zeros([2, 1, 5, 5], &device),
            None,
            1,
            0,
        );
    }

    #[test]
    fn names_round_trip() {
        for algorithm in ConvAlgorithm::ALL {
            assert_eq!(algorithm.name().parse::<ConvAlgorithm>(), Ok(algorithm));
            let json = serde_json::to_string(&algorithm).unwrap();
            assert_eq!(
                serde_json::from_str::<ConvAlgorithm>(&json).unwrap(),
                algorithm
            );
        }
        assert!("winograd".parse::<ConvAlgorithm>().is_err());
        assert_eq!("Host".parse::<ConvAlgorithm>(), Ok(ConvAlgorithm::Host));
    }
}
