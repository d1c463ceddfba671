//! 2-D convolution as patches (im2col) times weights, forward and backward.

use std::ops::Range;

use crate::sums::sum_map;
use crate::threads::{for_each_chunk, parallel_map, parallel_ranges};

/// The shape of a 2-D convolution (cross-correlation, like PyTorch's `Conv2d`) on row-major
/// NCHW `f32` data: square kernel, the same stride and zero padding on both axes, one group,
/// no dilation.
///
/// The work is done image by image, images split over threads: the image's patches matrix `P`
/// (im2col, `[patch_len, out_height * out_width]`, built in a per-thread buffer that stays in
/// cache) enters three matrix products: the output `W P`, the weight gradient `G P^T` (summed
/// over images) and the patch gradient `W^T G`, folded back onto the input image (col2im). No
/// batch-sized patches matrix is ever stored: the backward pass rebuilds each image's patches.
///
/// | layout | shape |
/// |---|---|
/// | input | `[batch, in_channels, height, width]` |
/// | weight | `[out_channels, in_channels, kernel, kernel]` (burn's and PyTorch's) |
/// | bias | `[out_channels]` |
/// | output | `[batch, out_channels, out_height, out_width]` |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2d {
    /// Images.
    pub batch: usize,
    /// Channels of the input.
    pub in_channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Channels of the output (filters).
    pub out_channels: usize,
    /// Side of the square kernel.
    pub kernel: usize,
    /// Stride along both axes.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
}

/// Gradients of a loss with respect to the convolution's operands, from [`Conv2d::backward`].
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2dGrads {
    /// Input gradient, when it was asked for (same layout as the input).
    pub input: Option<Vec<f32>>,
    /// Weight gradient (same layout as the weight).
    pub weight: Vec<f32>,
    /// Bias gradient.
    pub bias: Vec<f32>,
}

impl Conv2d {
    /// Output height: `floor((height + 2 padding - kernel) / stride) + 1`.
    pub fn out_height(&self) -> usize {
        (self.height + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Output width: `floor((width + 2 padding - kernel) / stride) + 1`.
    pub fn out_width(&self) -> usize {
        (self.width + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Length of one patch, a row of the weight matrix: `in_channels * kernel^2`.
    pub fn patch_len(&self) -> usize {
        self.in_channels * self.kernel * self.kernel
    }

    /// Number of input values.
    pub fn input_len(&self) -> usize {
        self.batch * self.image_len()
    }

    /// Number of output values.
    pub fn output_len(&self) -> usize {
        self.batch * self.out_channels * self.pixels()
    }

    fn image_len(&self) -> usize {
        self.in_channels * self.height * self.width
    }

    fn pixels(&self) -> usize {
        self.out_height() * self.out_width()
    }

    /// Checks the shape and the operand lengths.
    fn check(&self, input: &[f32], weight: &[f32]) {
        assert!(
            self.kernel > 0
                && self.stride > 0
                && self.in_channels > 0
                && self.out_channels > 0
                && self.height + 2 * self.padding >= self.kernel
                && self.width + 2 * self.padding >= self.kernel,
            "invalid convolution {self:?}: sizes must be positive and the padded input at least \
             as large as the kernel"
        );
        assert_eq!(input.len(), self.input_len(), "input length for {self:?}");
        assert_eq!(
            weight.len(),
            self.out_channels * self.patch_len(),
            "weight length for {self:?}"
        );
    }

    /// The convolution of `input` with `weight`, plus `bias`.
    ///
    /// # Panics
    /// If the shape is invalid or a slice has the wrong length.
    pub fn forward(&self, input: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        self.check(input, weight);
        let (kl, co, pixels) = (self.patch_len(), self.out_channels, self.pixels());
        if let Some(bias) = bias {
            assert_eq!(bias.len(), co, "bias length for {self:?}");
        }
        let mut output = vec![0.0; self.output_len()];
        let image = co * pixels;
        for_each_chunk(&mut output, image, 2 * kl, |first, images| {
            let mut patches = vec![0.0; kl * pixels];
            for (i, out) in images.chunks_mut(image).enumerate() {
                let b = first + i;
                self.image_patches(
                    &input[b * self.image_len()..][..self.image_len()],
                    &mut patches,
                );
                gemm(
                    [co, kl, pixels],
                    (weight, [kl, 1]),
                    (&patches, [pixels, 1]),
                    (out, [pixels, 1]),
                    false,
                );
                if let Some(bias) = bias {
                    for (plane, &shift) in out.chunks_mut(pixels).zip(bias) {
                        plane.iter_mut().for_each(|v| *v += shift);
                    }
                }
            }
        });
        output
    }

    /// Gradients of a loss with respect to the input (when `input_grad`), the weight and the
    /// bias, given the input, the weight and the gradient with respect to the output.
    ///
    /// # Panics
    /// If the shape is invalid or a slice has the wrong length.
    pub fn backward(
        &self,
        input: &[f32],
        weight: &[f32],
        grad_output: &[f32],
        input_grad: bool,
    ) -> Conv2dGrads {
        self.check(input, weight);
        let (kl, co, pixels) = (self.patch_len(), self.out_channels, self.pixels());
        assert_eq!(
            grad_output.len(),
            self.output_len(),
            "output gradient length for {self:?}"
        );
        let (image, image_len) = (co * pixels, self.image_len());
        // The bias gradient: per-channel sums of the output gradient.
        let bias = parallel_map(co, self.batch * pixels, |c| {
            (0..self.batch)
                .map(|b| sum_map(&grad_output[b * image + c * pixels..][..pixels], |g| g))
                .sum::<f64>() as f32
        });
        // dW^T = sum over images of P_b G_b^T ([patch_len, out_channels]), one partial sum per
        // thread over its images.
        let partials = parallel_ranges(self.batch, 2 * kl * image, |images| {
            let mut patches = vec![0.0; kl * pixels];
            let mut partial = vec![0.0; kl * co];
            for (n, b) in images.enumerate() {
                self.image_patches(&input[b * image_len..][..image_len], &mut patches);
                gemm(
                    [kl, pixels, co],
                    (&patches, [pixels, 1]),
                    (&grad_output[b * image..], [1, pixels]),
                    (&mut partial, [co, 1]),
                    n > 0,
                );
            }
            partial
        });
        let mut weight_grad = vec![0.0; co * kl];
        for partial in &partials {
            for (r, row) in partial.chunks(co).enumerate() {
                for (c, &value) in row.iter().enumerate() {
                    weight_grad[c * kl + r] += value;
                }
            }
        }
        // dP_b = W^T G_b, folded back onto the image (col2im) while it is in cache.
        let input = input_grad.then(|| {
            let mut input_grad = vec![0.0; self.input_len()];
            let cost = 2 * kl * image / image_len;
            for_each_chunk(&mut input_grad, image_len, cost, |first, images| {
                let mut patch_grad = vec![0.0; kl * pixels];
                for (i, dst) in images.chunks_mut(image_len).enumerate() {
                    gemm(
                        [kl, co, pixels],
                        (weight, [1, kl]),
                        (&grad_output[(first + i) * image..], [pixels, 1]),
                        (&mut patch_grad, [pixels, 1]),
                        false,
                    );
                    self.fold_image(&patch_grad, dst);
                }
            });
            input_grad
        });
        Conv2dGrads {
            input,
            weight: weight_grad,
            bias,
        }
    }

    /// Visits every run of a patch row that reads one input row: for patch row `(channel, kh,
    /// kw)` and output row `oy`, the outputs `xs` of that row read the input row
    /// `oy * stride + kh - padding` of the channel from column `x0`, every `stride` values.
    /// The geometry shared by [`image_patches`](Self::image_patches) and its adjoint
    /// [`fold_image`](Self::fold_image).
    fn for_each_segment(&self, mut visit: impl FnMut(Segment)) {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let (out_h, out_w) = (self.out_height(), self.out_width());
        let (h, w, pixels) = (self.height, self.width, self.pixels());
        for r in 0..self.patch_len() {
            let (c, kh, kw) = (r / (k * k), r / k % k, r % k);
            let xs = valid_outputs(out_w, w, kw, s, p);
            if xs.is_empty() {
                continue;
            }
            let x0 = xs.start * s + kw - p;
            for oy in valid_outputs(out_h, h, kh, s, p) {
                visit(Segment {
                    patch: r * pixels + oy * out_w,
                    input: (c * h + oy * s + kh - p) * w,
                    xs: xs.clone(),
                    x0,
                });
            }
        }
    }

    /// The patches matrix (im2col) of one image into `patches`: `[patch_len, out_height *
    /// out_width]`, row `(channel, kh, kw)`, column `(out_y, out_x)`, zero where the window
    /// overlaps the padding.
    fn image_patches(&self, image: &[f32], patches: &mut [f32]) {
        let (s, w, out_w) = (self.stride, self.width, self.out_width());
        patches.fill(0.0);
        self.for_each_segment(
            |Segment {
                 patch,
                 input,
                 xs,
                 x0,
             }| {
                let src = &image[input..][..w];
                let dst = &mut patches[patch..][..out_w][xs.clone()];
                if s == 1 {
                    // An element loop: rows are short (8 values on LeNet's second block), where
                    // a `memcpy` call costs more than the copy.
                    for (d, &v) in dst.iter_mut().zip(&src[x0..x0 + xs.len()]) {
                        *d = v;
                    }
                } else {
                    // Every s-th value: the first of each whole s-long chunk, then the last.
                    let last = xs.len() - 1;
                    let chunks = src[x0..x0 + last * s].chunks_exact(s);
                    for (d, chunk) in dst[..last].iter_mut().zip(chunks) {
                        *d = chunk[0];
                    }
                    dst[last] = src[x0 + last * s];
                }
            },
        );
    }

    /// The adjoint of [`image_patches`](Self::image_patches): adds every entry of one image's
    /// patch gradient (`[patch_len, pixels]`) onto the input position it was read from (col2im).
    fn fold_image(&self, patch_grad: &[f32], image: &mut [f32]) {
        let (s, w, out_w) = (self.stride, self.width, self.out_width());
        self.for_each_segment(
            |Segment {
                 patch,
                 input,
                 xs,
                 x0,
             }| {
                let src = &patch_grad[patch..][..out_w][xs];
                let dst = &mut image[input..][..w][x0..];
                if s == 1 {
                    for (d, &g) in dst.iter_mut().zip(src) {
                        *d += g;
                    }
                } else {
                    for (chunk, &g) in dst.chunks_mut(s).zip(src) {
                        chunk[0] += g;
                    }
                }
            },
        );
    }
}

/// One run of [`Conv2d::for_each_segment`]: where the patch row's output row starts in the
/// image's patches (`patch`), where the input row starts in the image (`input`), the outputs
/// of the row that read inside the input (`xs`) and the input column of the first (`x0`).
struct Segment {
    patch: usize,
    input: usize,
    xs: Range<usize>,
    x0: usize,
}

/// The outputs `o < out_len` whose input position `o * stride + offset - padding` lies inside
/// `0..in_len`.
fn valid_outputs(
    out_len: usize,
    in_len: usize,
    offset: usize,
    stride: usize,
    padding: usize,
) -> Range<usize> {
    let first = padding.saturating_sub(offset).div_ceil(stride).min(out_len);
    let end = if in_len + padding > offset {
        ((in_len + padding - offset - 1) / stride + 1).min(out_len)
    } else {
        0
    };
    first..end.max(first)
}

/// `C = A B` (or `C += A B` when `accumulate`) for an `m x k` matrix `A` and a `k x n` matrix
/// `B`, each given with its row and column strides (in elements), on the calling thread.
fn gemm(
    [m, k, n]: [usize; 3],
    (a, [rsa, csa]): (&[f32], [usize; 2]),
    (b, [rsb, csb]): (&[f32], [usize; 2]),
    (c, [rsc, csc]): (&mut [f32], [usize; 2]),
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(k == 0 || (last(m, k, rsa, csa) < a.len() && last(k, n, rsb, csb) < b.len()));
    assert!(last(m, n, rsc, csc) < c.len());
    if k == 0 {
        if !accumulate {
            c.fill(0.0);
        }
        return;
    }
    // SAFETY: every index the product reads or writes is inside the slices (checked above), and
    // `c` does not alias `a` or `b` (it is borrowed mutably).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            csc as isize,
            rsc as isize,
            accumulate,
            a.as_ptr(),
            csa as isize,
            rsa as isize,
            b.as_ptr(),
            csb as isize,
            rsb as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1).
    fn values(len: usize, seed: u64) -> Vec<f32> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Visits every (image, out channel, out y, out x, in channel, kh, kw, input index) term of
    /// the convolution sum whose input position is inside the image.
    fn for_each_term(conv: &Conv2d, mut term: impl FnMut([usize; 7], usize)) {
        let (oh, ow) = (conv.out_height(), conv.out_width());
        for b in 0..conv.batch {
            for o in 0..conv.out_channels {
                for oy in 0..oh {
                    for ox in 0..ow {
                        for c in 0..conv.in_channels {
                            for kh in 0..conv.kernel {
                                for kw in 0..conv.kernel {
                                    let iy =
                                        (oy * conv.stride + kh) as isize - conv.padding as isize;
                                    let ix =
                                        (ox * conv.stride + kw) as isize - conv.padding as isize;
                                    if iy < 0 || ix < 0 {
                                        continue;
                                    }
                                    let (iy, ix) = (iy as usize, ix as usize);
                                    if iy >= conv.height || ix >= conv.width {
                                        continue;
                                    }
                                    let input = ((b * conv.in_channels + c) * conv.height + iy)
                                        * conv.width
                                        + ix;
                                    term([b, o, oy, ox, c, kh, kw], input);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn index(conv: &Conv2d, [b, o, oy, ox, c, kh, kw]: [usize; 7]) -> (usize, usize) {
        let out = ((b * conv.out_channels + o) * conv.out_height() + oy) * conv.out_width() + ox;
        let weight = ((o * conv.in_channels + c) * conv.kernel + kh) * conv.kernel + kw;
        (out, weight)
    }

    fn assert_close(got: &[f32], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len(), "{what} length");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!(
                (f64::from(g) - w).abs() <= 1e-4 * (1.0 + w.abs()),
                "{what}[{i}]: got {g}, want {w}"
            );
        }
    }

    const SHAPES: [Conv2d; 6] = [
        // LeNet's second block, small batch.
        Conv2d {
            batch: 2,
            in_channels: 3,
            height: 8,
            width: 8,
            out_channels: 4,
            kernel: 5,
            stride: 1,
            padding: 2,
        },
        // Net_only's strided blocks on a non-square, odd-sized input.
        Conv2d {
            batch: 3,
            in_channels: 2,
            height: 9,
            width: 7,
            out_channels: 5,
            kernel: 3,
            stride: 2,
            padding: 1,
        },
        // No padding, stride larger than the kernel.
        Conv2d {
            batch: 1,
            in_channels: 1,
            height: 10,
            width: 11,
            out_channels: 2,
            kernel: 2,
            stride: 3,
            padding: 0,
        },
        // Padding larger than half the kernel, 1x1 kernel.
        Conv2d {
            batch: 2,
            in_channels: 2,
            height: 3,
            width: 4,
            out_channels: 3,
            kernel: 1,
            stride: 1,
            padding: 2,
        },
        // Padding wider than the kernel: whole patch rows see only padding.
        Conv2d {
            batch: 2,
            in_channels: 1,
            height: 2,
            width: 2,
            out_channels: 2,
            kernel: 2,
            stride: 1,
            padding: 3,
        },
        // Large enough to run on several threads.
        Conv2d {
            batch: 16,
            in_channels: 8,
            height: 12,
            width: 12,
            out_channels: 6,
            kernel: 3,
            stride: 1,
            padding: 1,
        },
    ];

    #[test]
    fn forward_matches_the_definition() {
        for (seed, conv) in SHAPES.iter().enumerate() {
            let x = values(conv.input_len(), seed as u64);
            let w = values(conv.out_channels * conv.patch_len(), 100 + seed as u64);
            let bias = values(conv.out_channels, 200 + seed as u64);
            let mut want = vec![0.0f64; conv.output_len()];
            for (i, o) in want.iter_mut().enumerate() {
                *o =
                    f64::from(bias[i / (conv.out_height() * conv.out_width()) % conv.out_channels]);
            }
            for_each_term(conv, |term, input| {
                let (out, weight) = index(conv, term);
                want[out] += f64::from(x[input]) * f64::from(w[weight]);
            });
            assert_close(&conv.forward(&x, &w, Some(&bias)), &want, "output");
            // Without bias.
            let no_bias = conv.forward(&x, &w, None);
            let shifted: Vec<f32> = no_bias
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v + bias[i / (conv.out_height() * conv.out_width()) % conv.out_channels]
                })
                .collect();
            assert_close(&shifted, &want, "output without bias");
        }
    }

    #[test]
    fn backward_matches_the_definition() {
        for (seed, conv) in SHAPES.iter().enumerate() {
            let x = values(conv.input_len(), seed as u64);
            let w = values(conv.out_channels * conv.patch_len(), 100 + seed as u64);
            let g = values(conv.output_len(), 300 + seed as u64);
            let (mut dx, mut dw) = (vec![0.0f64; x.len()], vec![0.0f64; w.len()]);
            let mut db = vec![0.0f64; conv.out_channels];
            for_each_term(conv, |term, input| {
                let (out, weight) = index(conv, term);
                dx[input] += f64::from(g[out]) * f64::from(w[weight]);
                dw[weight] += f64::from(g[out]) * f64::from(x[input]);
            });
            for (i, &gi) in g.iter().enumerate() {
                db[i / (conv.out_height() * conv.out_width()) % conv.out_channels] += f64::from(gi);
            }
            let grads = conv.backward(&x, &w, &g, true);
            assert_close(grads.input.as_deref().unwrap(), &dx, "input gradient");
            assert_close(&grads.weight, &dw, "weight gradient");
            assert_close(&grads.bias, &db, "bias gradient");
            let without_input = conv.backward(&x, &w, &g, false);
            assert!(without_input.input.is_none());
            assert_eq!(without_input.weight, grads.weight);
        }
    }

    #[test]
    fn patches_are_zero_in_the_padding() {
        // 1x2x2 input, 3x3 kernel, padding 1: the centre row (kh = kw = 1) is the input itself,
        // the corner row (0, 0) only sees the top-left value at output (1, 1).
        let conv = Conv2d {
            batch: 1,
            in_channels: 1,
            height: 2,
            width: 2,
            out_channels: 1,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        let mut patches = vec![f32::NAN; 9 * 4];
        conv.image_patches(&[1.0, 2.0, 3.0, 4.0], &mut patches);
        assert_eq!(&patches[4 * 4..5 * 4], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(&patches[..4], &[0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    #[should_panic(expected = "input length")]
    fn wrong_input_length_panics() {
        SHAPES[0].forward(&[0.0; 3], &[0.0; 4 * 75], None);
    }

    #[test]
    fn valid_output_ranges() {
        // in 5, kernel offset 0, padding 2, stride 1, 5 outputs: inputs o - 2, valid o in 2..5.
        assert_eq!(valid_outputs(5, 5, 0, 1, 2), 2..5);
        // offset 4: inputs o + 2, valid o in 0..3.
        assert_eq!(valid_outputs(5, 5, 4, 1, 2), 0..3);
        // stride 2, padding 1, offset 0: inputs 2o - 1 -> o in 1..=3 for in 7, 4 outputs.
        assert_eq!(valid_outputs(4, 7, 0, 2, 1), 1..4);
        // Nothing valid: padding 3, in 1, offset 0, 2 outputs: inputs o - 3.
        assert_eq!(valid_outputs(2, 1, 0, 1, 3), 2..2);
        // The first valid output would be past the end.
        assert_eq!(valid_outputs(2, 1, 0, 1, 5), 2..2);
    }
}
