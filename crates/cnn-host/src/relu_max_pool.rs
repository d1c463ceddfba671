//! ReLU followed by a max-pool, fused, forward and backward.

use crate::threads::for_each_chunk;

/// One output row of a `k x k` pool of `x * scale + shift`: `rows` holds the window's `k` input
/// rows (width `w`), which start at index `offset` of their plane.
fn pool_row(
    rows: &[f32],
    w: usize,
    k: usize,
    offset: usize,
    [scale, shift]: [f32; 2],
    (values, argmax): (&mut [f32], &mut [u32]),
) {
    for (ox, slot) in values.iter_mut().zip(argmax).enumerate() {
        let (mut best, mut at, mut nan) = (f32::NEG_INFINITY, 0, false);
        for dy in 0..k {
            for (dx, &x) in rows[dy * w + ox * k..][..k].iter().enumerate() {
                let v = x * scale + shift;
                nan |= v.is_nan();
                if v > best {
                    best = v;
                    at = dy * w + ox * k + dx;
                }
            }
        }
        (*slot.0, *slot.1) = finish(best, nan, offset + at);
    }
}

/// [`pool_row`] for the common 2 x 2 window, unrolled.
fn pool_row_2x2(
    rows: &[f32],
    w: usize,
    offset: usize,
    [scale, shift]: [f32; 2],
    (values, argmax): (&mut [f32], &mut [u32]),
) {
    let (top, bottom) = rows.split_at(w);
    let f = |v: f32| v * scale + shift;
    for (ox, slot) in values.iter_mut().zip(argmax).enumerate() {
        let x = 2 * ox;
        let candidates = [
            (f(top[x]), x),
            (f(top[x + 1]), x + 1),
            (f(bottom[x]), w + x),
            (f(bottom[x + 1]), w + x + 1),
        ];
        let (mut best, mut at) = candidates[0];
        let mut nan = best.is_nan();
        for &(v, i) in &candidates[1..] {
            nan |= v.is_nan();
            if v > best {
                best = v;
                at = i;
            }
        }
        (*slot.0, *slot.1) = finish(best, nan, offset + at);
    }
}

/// The output and argmax of a window whose first largest value `best` is at plane index `at`
/// (`nan`: the window holds a NaN).
#[inline(always)]
fn finish(best: f32, nan: bool, at: usize) -> (f32, u32) {
    if nan {
        (f32::NAN, NO_GRADIENT)
    } else if best > 0.0 {
        (best, at as u32)
    } else {
        (0.0, NO_GRADIENT)
    }
}

/// Marks, in [`ReluMaxPool::forward`]'s argmax, an output that receives no gradient (its window
/// had no positive value, so the ReLU made it 0).
pub const NO_GRADIENT: u32 = u32::MAX;

/// `max_pool(relu(x))` with a `pool x pool` window and stride `pool` (floor rounding: trailing
/// rows and columns that do not fill a window are dropped, as in PyTorch's `MaxPool2d`), on
/// `planes` row-major `height x width` planes (an NCHW tensor has `batch * channels` planes).
///
/// The same values and gradients as PyTorch's `MaxPool2d(pool)(ReLU()(x))`: the gradient of an
/// output goes to the first largest value of its window (row-major) when that value is positive,
/// and nowhere otherwise. A NaN in a window makes the output NaN (without gradient).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReluMaxPool {
    /// Number of planes (`batch * channels`).
    pub planes: usize,
    /// Plane height.
    pub height: usize,
    /// Plane width.
    pub width: usize,
    /// Window side and stride (`>= 1`).
    pub pool: usize,
}

impl ReluMaxPool {
    /// Output height, `height / pool`.
    pub fn out_height(&self) -> usize {
        self.height / self.pool
    }

    /// Output width, `width / pool`.
    pub fn out_width(&self) -> usize {
        self.width / self.pool
    }

    fn out_plane(&self) -> usize {
        self.out_height() * self.out_width()
    }

    /// The pooled values and, for each, the index inside its input plane that its gradient goes
    /// to ([`NO_GRADIENT`] when none), for [`backward`](Self::backward).
    ///
    /// # Panics
    /// If `pool` is 0, `height * width` does not fit in a `u32`, or `input` has the wrong length.
    pub fn forward(&self, input: &[f32]) -> (Vec<f32>, Vec<u32>) {
        self.forward_affine(input, |_| [1.0, 0.0])
    }

    /// [`forward`](Self::forward) of `x * scale + shift`, with `[scale, shift] = affine(p)` on
    /// plane `p` (a batch-norm folded into the pooling).
    pub(crate) fn forward_affine(
        &self,
        input: &[f32],
        affine: impl Fn(usize) -> [f32; 2] + Sync,
    ) -> (Vec<f32>, Vec<u32>) {
        let plane = self.height * self.width;
        assert!(
            self.pool > 0 && u32::try_from(plane).is_ok_and(|p| p < NO_GRADIENT),
            "invalid max-pool {self:?}"
        );
        assert_eq!(
            input.len(),
            self.planes * plane,
            "input length for {self:?}"
        );
        let (out_w, out_plane) = (self.out_width(), self.out_plane());
        let (w, k) = (self.width, self.pool);
        let (mut values, mut argmax) = (
            vec![0.0; self.planes * out_plane],
            vec![0; self.planes * out_plane],
        );
        if out_plane == 0 {
            return (values, argmax);
        }
        // One (values, argmax) pair of slices per plane, so that both buffers split over threads.
        let mut planes: Vec<_> = values
            .chunks_mut(out_plane)
            .zip(argmax.chunks_mut(out_plane))
            .collect();
        for_each_chunk(&mut planes, 1, 4 * out_plane, |first, planes| {
            for (i, (values, argmax)) in planes.iter_mut().enumerate() {
                let src = &input[(first + i) * plane..][..plane];
                let affine = affine(first + i);
                let rows = values.chunks_mut(out_w).zip(argmax.chunks_mut(out_w));
                for (oy, out_row) in rows.enumerate() {
                    let rows = &src[oy * k * w..][..k * w];
                    if k == 2 {
                        pool_row_2x2(rows, w, oy * k * w, affine, out_row);
                    } else {
                        pool_row(rows, w, k, oy * k * w, affine, out_row);
                    }
                }
            }
        });
        drop(planes);
        (values, argmax)
    }

    /// The gradient with respect to the input, given the output gradient and the argmax from
    /// [`forward`](Self::forward).
    ///
    /// # Panics
    /// If a slice has the wrong length or an argmax is outside its plane.
    pub fn backward(&self, argmax: &[u32], grad_output: &[f32]) -> Vec<f32> {
        let plane = self.height * self.width;
        let out_plane = self.out_plane();
        assert_eq!(
            argmax.len(),
            self.planes * out_plane,
            "argmax length for {self:?}"
        );
        assert_eq!(
            grad_output.len(),
            argmax.len(),
            "output gradient length for {self:?}"
        );
        let mut grad = vec![0.0; self.planes * plane];
        if plane == 0 {
            return grad;
        }
        for_each_chunk(&mut grad, plane, 1, |first, planes| {
            // Zeroed here, by a write: the scattered `+=` below would first map the allocator's
            // fresh zero pages read-only and then fault again on the write.
            planes.fill(0.0);
            for (i, dst) in planes.chunks_mut(plane).enumerate() {
                let start = (first + i) * out_plane;
                let range = start..start + out_plane;
                for (&at, &g) in argmax[range.clone()].iter().zip(&grad_output[range]) {
                    if at != NO_GRADIENT {
                        dst[at as usize] += g;
                    }
                }
            }
        });
        grad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_argmax_follow_pytorch() {
        // One 3x5 plane, pool 2: one 1x2 output (the last row and column are dropped).
        //  1  5  5 -1  9
        //  2 -3  0 -2  9
        //  9  9  9  9  9
        let pool = ReluMaxPool {
            planes: 1,
            height: 3,
            width: 5,
            pool: 2,
        };
        let input = [
            1.0, 5.0, 5.0, -1.0, 9.0, 2.0, -3.0, 0.0, -2.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0,
        ];
        let (out, argmax) = pool.forward(&input);
        // Window 1 max 5 (first at index 1); window 2 max 5 at index 2.
        assert_eq!(out, vec![5.0, 5.0]);
        assert_eq!(argmax, vec![1, 2]);
        let grad = pool.backward(&argmax, &[10.0, 20.0]);
        let mut want = vec![0.0; 15];
        want[1] = 10.0;
        want[2] = 20.0;
        assert_eq!(grad, want);
    }

    #[test]
    fn non_positive_windows_give_zero_without_gradient() {
        let pool = ReluMaxPool {
            planes: 2,
            height: 2,
            width: 2,
            pool: 2,
        };
        let (out, argmax) = pool.forward(&[-1.0, -2.0, 0.0, -3.0, f32::NAN, 1.0, 2.0, 3.0]);
        assert_eq!(out[0], 0.0);
        assert!(out[1].is_nan());
        assert_eq!(argmax, vec![NO_GRADIENT, NO_GRADIENT]);
        assert_eq!(pool.backward(&argmax, &[1.0, 1.0]), vec![0.0; 8]);
    }

    #[test]
    fn matches_relu_then_max_pool_on_many_planes() {
        // Enough planes for several threads; values with ties (multiples of 0.5); the unrolled
        // 2 x 2 window and the general one.
        let (planes, h, w) = (600, 7, 6);
        let input: Vec<f32> = (0..planes * h * w)
            .map(|i| ((i * 7919 % 13) as f32 - 6.0) * 0.5)
            .collect();
        for k in [2, 3] {
            let pool = ReluMaxPool {
                planes,
                height: h,
                width: w,
                pool: k,
            };
            let (oh, ow) = (h / k, w / k);
            let grad_out: Vec<f32> = (0..planes * oh * ow).map(|i| i as f32).collect();
            let (out, argmax) = pool.forward(&input);
            let grad = pool.backward(&argmax, &grad_out);
            let mut want_grad = vec![0.0; input.len()];
            for p in 0..planes {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let o = (p * oh + oy) * ow + ox;
                        let mut best = (0.0f32, None);
                        for dy in 0..k {
                            for dx in 0..k {
                                let i = p * h * w + (oy * k + dy) * w + ox * k + dx;
                                if input[i].max(0.0) > best.0 {
                                    best = (input[i], Some(i));
                                }
                            }
                        }
                        assert_eq!(out[o], best.0, "pool {k}, output {o}");
                        if let Some(i) = best.1 {
                            want_grad[i] += grad_out[o];
                        }
                    }
                }
            }
            assert_eq!(grad, want_grad, "pool {k}");
        }
    }

    #[test]
    fn nan_propagates_through_both_window_kinds() {
        for k in [2, 3] {
            let pool = ReluMaxPool {
                planes: 1,
                height: k,
                width: k,
                pool: k,
            };
            let mut input = vec![1.0; k * k];
            input[k * k - 1] = f32::NAN;
            let (out, argmax) = pool.forward(&input);
            assert!(out[0].is_nan(), "pool {k}");
            assert_eq!(argmax, vec![NO_GRADIENT]);
        }
    }
}
