//! 2-D convolution as patches (im2col) times weights, forward and backward.

use std::ops::Range;

use crate::gemm::gemm;
use crate::layer::{Layer, LayerGrads};
use crate::scratch::with_scratch;
use crate::sums::sum_map;
use crate::threads::{for_each_chunk, map_chunks, parallel_map};

/// Patch values (`f32`) built at a time: the patches of as many whole output rows as fit in
/// 256 KiB (at least one row), so that they are still in cache for the matrix product.
const TILE_LEN: usize = 1 << 16;

/// The shape of a 2-D convolution (cross-correlation, like PyTorch's `Conv2d`) on row-major
/// NCHW `f32` data: square kernel, the same stride and zero padding on both axes, one group,
/// no dilation.
///
/// The work is done image by image, images split over threads. Each image is first copied,
/// zero-padded, into channels-last order (`[height + 2 padding, width + 2 padding, channels]`),
/// where the `kernel * in_channels` values that one output pixel reads from one input row are
/// contiguous: a patch (the row of the patches matrix `P`, `[pixels, kernel * kernel *
/// in_channels]`, built in a per-thread buffer a few output rows at a time while they stay in
/// cache) is `kernel` copies of such runs. `P` enters three matrix products: the output
/// `W P^T`, the weight gradient `G P` (summed over images) and the patch gradient `G^T W`,
/// added back onto the padded image (col2im). The weight is reordered to match once per call
/// (`[out_channels, kernel, kernel, in_channels]`; for the output transposed, so that the
/// product reads the patches without repacking them and writes a channels-last tile, which is
/// transposed into place). No batch-sized patches matrix is ever stored: the backward pass
/// rebuilds each image's patches.
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

    fn padded_width(&self) -> usize {
        self.width + 2 * self.padding
    }

    /// Length of one padded channels-last image.
    fn padded_len(&self) -> usize {
        (self.height + 2 * self.padding) * self.padded_width() * self.in_channels
    }

    /// Output rows whose patches are built at a time (at least one).
    fn tile_rows(&self) -> usize {
        (TILE_LEN / (self.out_width() * self.patch_len()).max(1)).clamp(1, self.out_height())
    }

    /// The output rows of an image, [`tile_rows`](Self::tile_rows) at a time.
    fn tiles(&self) -> impl Iterator<Item = Range<usize>> {
        let (rows, out_h) = (self.tile_rows(), self.out_height());
        (0..out_h)
            .step_by(rows)
            .map(move |start| start..(start + rows).min(out_h))
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
}

impl Layer for Conv2d {
    fn forward(&self, input: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        self.check(input, weight);
        let (kl, co, pixels) = (self.patch_len(), self.out_channels, self.pixels());
        if let Some(bias) = bias {
            assert_eq!(bias.len(), co, "bias length for {self:?}");
        }
        // The weight as `[patch_len, out_channels]`, so that the product below reads both
        // operands as the matrix-product kernel wants them (no repacking per image): the output
        // tile comes out channels last and is transposed into place, with the bias.
        let taps = transpose_blocks(&self.taps_first(weight), co, kl);
        let (image, image_len, out_w) = (co * pixels, self.image_len(), self.out_width());
        let tile_pixels = self.tile_rows() * out_w;
        let mut output = vec![0.0; self.output_len()];
        for_each_chunk(&mut output, image, 2 * kl, |first, images| {
            with_scratch(|scratch| {
                let [padded, patches, tile, _] =
                    scratch.get([self.padded_len(), tile_pixels * kl, tile_pixels * co, 0]);
                for (i, out) in images.chunks_mut(image).enumerate() {
                    self.pad_channels_last(&input[(first + i) * image_len..][..image_len], padded);
                    for rows in self.tiles() {
                        let (start, n) = (rows.start * out_w, rows.len() * out_w);
                        let (patches, tile) = (&mut patches[..n * kl], &mut tile[..n * co]);
                        self.tile_patches(padded, rows, patches);
                        gemm(
                            [co, kl, n],
                            (&taps, [1, co]),
                            (patches, [1, kl]),
                            (tile, [1, co]),
                            false,
                        );
                        for (c, plane) in out.chunks_exact_mut(pixels).enumerate() {
                            let shift = bias.map_or(0.0, |bias| bias[c]);
                            for (o, v) in plane[start..start + n]
                                .iter_mut()
                                .zip(tile[c..].iter().step_by(co))
                            {
                                *o = v + shift;
                            }
                        }
                    }
                }
            })
        });
        output
    }

    fn backward(
        &self,
        input: &[f32],
        weight: &[f32],
        grad_output: &[f32],
        input_grad: bool,
    ) -> LayerGrads {
        self.check(input, weight);
        let (kl, co, pixels) = (self.patch_len(), self.out_channels, self.pixels());
        assert_eq!(
            grad_output.len(),
            self.output_len(),
            "output gradient length for {self:?}"
        );
        let (image, image_len, out_w) = (co * pixels, self.image_len(), self.out_width());
        // The bias gradient: per-channel sums of the output gradient.
        let bias = parallel_map(co, self.batch * pixels, |c| {
            (0..self.batch)
                .map(|b| sum_map(&grad_output[b * image + c * pixels..][..pixels], |g| g))
                .sum::<f64>() as f32
        });
        // The weight with its taps first, for the input gradient only.
        let taps = if input_grad {
            self.taps_first(weight)
        } else {
            Vec::new()
        };
        let tile_len = self.tile_rows() * out_w * kl;
        let (padded_len, products) = (self.padded_len(), if input_grad { 2 } else { 1 });
        let mut input_grads = if input_grad {
            vec![0.0; self.input_len()]
        } else {
            Vec::new()
        };
        // Per thread over its images: dW = sum_b G_b P_b (`[out_channels, patch_len]`, taps
        // first), and dP_b = G_b^T W added back onto the padded image while it is in cache.
        let cost = 2 * products * kl * image;
        let partials = map_chunks(self.batch, &mut input_grads, cost, |images, dst| {
            with_scratch(|scratch| {
                let grad_lens = if input_grad {
                    [tile_len, padded_len]
                } else {
                    [0, 0]
                };
                let [padded, patches, patch_grad, padded_grad] =
                    scratch.get([padded_len, tile_len, grad_lens[0], grad_lens[1]]);
                let mut partial = vec![0.0; co * kl];
                for (n, b) in images.enumerate() {
                    let grad = &grad_output[b * image..][..image];
                    self.pad_channels_last(&input[b * image_len..][..image_len], padded);
                    padded_grad.fill(0.0);
                    for (t, rows) in self.tiles().enumerate() {
                        let (start, n_pixels) = (rows.start * out_w, rows.len() * out_w);
                        let patches = &mut patches[..n_pixels * kl];
                        self.tile_patches(padded, rows.clone(), patches);
                        gemm(
                            [co, n_pixels, kl],
                            (&grad[start..], [pixels, 1]),
                            (patches, [kl, 1]),
                            (&mut partial, [kl, 1]),
                            n > 0 || t > 0,
                        );
                        if input_grad {
                            let patch_grad = &mut patch_grad[..n_pixels * kl];
                            gemm(
                                [n_pixels, co, kl],
                                (&grad[start..], [1, pixels]),
                                (&taps, [kl, 1]),
                                (patch_grad, [kl, 1]),
                                false,
                            );
                            self.fold_tile(patch_grad, rows, padded_grad);
                        }
                    }
                    if input_grad {
                        self.crop_channels_first(
                            padded_grad,
                            &mut dst[n * image_len..][..image_len],
                        );
                    }
                }
                partial
            })
        });
        let mut partials = partials.into_iter();
        let mut weight_grad = partials.next().expect("at least one range");
        for partial in partials {
            weight_grad
                .iter_mut()
                .zip(&partial)
                .for_each(|(w, p)| *w += p);
        }
        LayerGrads {
            input: input_grad.then_some(input_grads),
            weight: self.channels_first(&weight_grad),
            bias,
        }
    }
}

impl Conv2d {
    /// The weight reordered from `[out, in, kh, kw]` to `[out, kh, kw, in]`, the order of a
    /// patch's values.
    fn taps_first(&self, weight: &[f32]) -> Vec<f32> {
        transpose_blocks(weight, self.in_channels, self.kernel * self.kernel)
    }

    /// The inverse of [`taps_first`](Self::taps_first).
    fn channels_first(&self, taps: &[f32]) -> Vec<f32> {
        transpose_blocks(taps, self.kernel * self.kernel, self.in_channels)
    }

    /// One image (`[in_channels, height, width]`) into `padded`: channels last, zero padding
    /// around (`[height + 2 padding, width + 2 padding, in_channels]`).
    fn pad_channels_last(&self, image: &[f32], padded: &mut [f32]) {
        let (c, h, w, p) = (self.in_channels, self.height, self.width, self.padding);
        let wp = self.padded_width();
        padded.fill(0.0);
        for y in 0..h {
            let row = &mut padded[((y + p) * wp + p) * c..][..w * c];
            for ch in 0..c {
                let src = &image[(ch * h + y) * w..][..w];
                for (dst, &v) in row[ch..].iter_mut().step_by(c).zip(src) {
                    *dst = v;
                }
            }
        }
    }

    /// The adjoint of [`pad_channels_last`](Self::pad_channels_last) (padding dropped, channels
    /// first again), written over `image`.
    fn crop_channels_first(&self, padded: &[f32], image: &mut [f32]) {
        let (c, h, w, p) = (self.in_channels, self.height, self.width, self.padding);
        let wp = self.padded_width();
        for y in 0..h {
            let row = &padded[((y + p) * wp + p) * c..][..w * c];
            for ch in 0..c {
                let dst = &mut image[(ch * h + y) * w..][..w];
                for (d, &v) in dst.iter_mut().zip(row[ch..].iter().step_by(c)) {
                    *d = v;
                }
            }
        }
    }

    /// Visits every run of a patch: `visit(patch, padded)` for the `kernel * in_channels` values
    /// that output pixel `(oy, ox)` reads from padded row `oy * stride + kh` (taps `(kh, 0..kernel)`
    /// of every channel), which start at `padded` in the padded image and at `patch` in the
    /// patches of the output rows `rows`. The geometry shared by
    /// [`tile_patches`](Self::tile_patches) and its adjoint [`fold_tile`](Self::fold_tile).
    fn for_each_run(&self, rows: Range<usize>, mut visit: impl FnMut(usize, usize)) {
        let (k, s, c) = (self.kernel, self.stride, self.in_channels);
        let (out_w, wp, run) = (self.out_width(), self.padded_width(), k * c);
        let mut patch = 0;
        for oy in rows {
            for ox in 0..out_w {
                for kh in 0..k {
                    visit(patch, ((oy * s + kh) * wp + ox * s) * c);
                    patch += run;
                }
            }
        }
    }

    /// The patches of the output rows `rows` of one padded image into `patches` (`[rows.len()
    /// * out_width, patch_len]`, each patch ordered `(kh, kw, channel)`).
    fn tile_patches(&self, padded: &[f32], rows: Range<usize>, patches: &mut [f32]) {
        let run = self.kernel * self.in_channels;
        self.for_each_run(rows, |patch, src| {
            copy_run(&mut patches[patch..][..run], &padded[src..][..run]);
        });
    }

    /// The adjoint of [`tile_patches`](Self::tile_patches): adds every entry of the patch
    /// gradient onto the padded position it was read from (col2im).
    fn fold_tile(&self, patch_grad: &[f32], rows: Range<usize>, padded: &mut [f32]) {
        let run = self.kernel * self.in_channels;
        self.for_each_run(rows, |patch, dst| {
            let src = &patch_grad[patch..][..run];
            for (d, &g) in padded[dst..][..run].iter_mut().zip(src) {
                *d += g;
            }
        });
    }
}

/// `dst = src`: an element loop for short runs (5 values on LeNet's first block, where a
/// `memcpy` call costs more than the copy), `memcpy` for the others.
fn copy_run(dst: &mut [f32], src: &[f32]) {
    if dst.len() <= 16 {
        for (d, &v) in dst.iter_mut().zip(src) {
            *d = v;
        }
    } else {
        dst.copy_from_slice(src);
    }
}

/// Every consecutive `rows x cols` block of `data`, transposed (`cols x rows`).
fn transpose_blocks(data: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; data.len()];
    for (src, dst) in data
        .chunks_exact(rows * cols)
        .zip(out.chunks_exact_mut(rows * cols))
    {
        for (i, row) in src.chunks_exact(cols).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                dst[j * rows + i] = v;
            }
        }
    }
    out
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

    const SHAPES: [Conv2d; 7] = [
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
        // Patches built a few output rows at a time (41 rows of 40 x 400 patch values), the
        // last tile shorter; odd stride-2 geometry in the tiles.
        Conv2d {
            batch: 2,
            in_channels: 16,
            height: 81,
            width: 80,
            out_channels: 3,
            kernel: 5,
            stride: 2,
            padding: 2,
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
        // 1x2x2 input, 3x3 kernel, padding 1: output pixel (0, 0) sees the input in the
        // bottom-right of its window, pixel (1, 1) in the top-left.
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
        let mut padded = vec![f32::NAN; conv.padded_len()];
        conv.pad_channels_last(&[1.0, 2.0, 3.0, 4.0], &mut padded);
        let mut patches = vec![f32::NAN; 4 * 9];
        conv.tile_patches(&padded, 0..2, &mut patches);
        assert_eq!(
            &patches[..9],
            &[0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 4.0]
        );
        assert_eq!(
            &patches[27..],
            &[1.0, 2.0, 0.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0]
        );
    }

    #[test]
    fn channels_last_round_trip() {
        let conv = SHAPES[1];
        let image = values(conv.image_len(), 7);
        let mut padded = vec![f32::NAN; conv.padded_len()];
        conv.pad_channels_last(&image, &mut padded);
        let mut back = vec![f32::NAN; image.len()];
        conv.crop_channels_first(&padded, &mut back);
        assert_eq!(back, image);
        let weight = values(conv.out_channels * conv.patch_len(), 8);
        assert_eq!(conv.channels_first(&conv.taps_first(&weight)), weight);
    }

    #[test]
    fn large_images_are_done_in_several_tiles() {
        let conv = SHAPES[6];
        assert!(conv.tile_rows() < conv.out_height() && conv.tiles().count() > 2);
        let tiles: Vec<_> = conv.tiles().collect();
        assert_eq!(tiles.first().unwrap().start, 0);
        assert_eq!(tiles.last().unwrap().end, conv.out_height());
        assert!(tiles.windows(2).all(|pair| pair[0].end == pair[1].start));
    }

    #[test]
    #[should_panic(expected = "input length")]
    fn wrong_input_length_panics() {
        SHAPES[0].forward(&[0.0; 3], &[0.0; 4 * 75], None);
    }
}
