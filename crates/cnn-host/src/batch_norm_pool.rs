//! Batch normalisation, ReLU and max-pool fused into one pass, forward and backward.

use crate::batch_norm::{BatchNorm, BatchNormGrads, BatchStats};
use crate::relu_max_pool::{NO_GRADIENT, ReluMaxPool};
use crate::threads::{for_each_chunk, parallel_map};

/// `max_pool(relu(batch_norm(x)))` without the normalised tensor ever being stored: the pooling
/// reads `x` and applies each channel's `scale * x + shift` on the fly, and the backward pass
/// needs only the pooled positions' gradients. The same values and gradients as the three
/// operations one after the other ([`BatchNorm`] then [`ReluMaxPool`]).
///
/// The two shapes must describe the same tensor: `pool.planes == norm.batch * norm.channels`
/// and `pool.height * pool.width == norm.plane`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchNormReluMaxPool {
    /// The normalisation.
    pub norm: BatchNorm,
    /// The pooling (its window and the plane size).
    pub pool: ReluMaxPool,
}

impl BatchNormReluMaxPool {
    fn check(&self) {
        assert!(
            self.pool.planes == self.norm.batch * self.norm.channels
                && self.pool.height * self.pool.width == self.norm.plane,
            "batch-norm {:?} and max-pool {:?} describe different tensors",
            self.norm,
            self.pool
        );
    }

    /// Per-plane `[scale, shift]` of the normalisation with `mean` and `var`.
    fn affine(&self, gamma: &[f32], beta: &[f32], mean: &[f32], var: &[f32]) -> Vec<[f32; 2]> {
        self.norm
            .scale_shift(gamma, beta, mean, var)
            .into_iter()
            .cycle()
            .take(self.pool.planes)
            .collect()
    }

    /// Training: normalises with the batch's statistics; returns the pooled output, the argmax
    /// for [`backward`](Self::backward) (as [`ReluMaxPool::forward`]) and the statistics.
    ///
    /// # Panics
    /// If the shapes disagree or a slice has the wrong length.
    pub fn forward_train(
        &self,
        input: &[f32],
        gamma: &[f32],
        beta: &[f32],
    ) -> (Vec<f32>, Vec<u32>, BatchStats) {
        self.check();
        self.norm.check(input, &[gamma, beta]);
        let stats = self.norm.stats(input);
        let affine = self.affine(gamma, beta, &stats.mean, &stats.var);
        let (output, argmax) = self.pool.forward_affine(input, |p| affine[p]);
        (output, argmax, stats)
    }

    /// Inference: normalises with the given (running) statistics; returns the pooled output.
    ///
    /// # Panics
    /// If the shapes disagree or a slice has the wrong length.
    pub fn forward_eval(
        &self,
        input: &[f32],
        gamma: &[f32],
        beta: &[f32],
        mean: &[f32],
        var: &[f32],
    ) -> Vec<f32> {
        self.check();
        self.norm.check(input, &[gamma, beta, mean, var]);
        let affine = self.affine(gamma, beta, mean, var);
        self.pool.forward_affine(input, |p| affine[p]).0
    }

    /// Gradients of a loss through [`forward_train`](Self::forward_train), given its input,
    /// `gamma`, statistics and argmax, and the gradient of the pooled output. The normalised
    /// output's gradient is the pooled gradient at each argmax and zero elsewhere, so the sums
    /// of [`BatchNorm::backward`] run over the pooled outputs only.
    ///
    /// # Panics
    /// If the shapes disagree or a slice has the wrong length.
    pub fn backward(
        &self,
        input: &[f32],
        gamma: &[f32],
        stats: &BatchStats,
        argmax: &[u32],
        grad_output: &[f32],
    ) -> BatchNormGrads {
        self.check();
        self.norm.check(input, &[gamma, &stats.mean, &stats.var]);
        let (batch, channels, plane) = (self.norm.batch, self.norm.channels, self.norm.plane);
        let out_plane = self.pool.out_height() * self.pool.out_width();
        assert_eq!(argmax.len(), self.pool.planes * out_plane, "argmax length");
        assert_eq!(grad_output.len(), argmax.len(), "output gradient length");
        let inv = self.norm.inv_std(&stats.var);
        let pooled = |b: usize, c: usize| {
            let start = (b * channels + c) * out_plane;
            argmax[start..start + out_plane]
                .iter()
                .zip(&grad_output[start..start + out_plane])
                .filter(|(at, _)| **at != NO_GRADIENT)
                .map(|(&at, &g)| (at as usize, g))
        };
        let sums = parallel_map(channels, batch * out_plane, |c| {
            let (mut dbeta, mut dgamma) = (0.0f64, 0.0f64);
            for b in 0..batch {
                let x = &input[(b * channels + c) * plane..][..plane];
                for (at, g) in pooled(b, c) {
                    dbeta += f64::from(g);
                    dgamma += f64::from(g) * f64::from((x[at] - stats.mean[c]) * inv[c]);
                }
            }
            (dbeta as f32, dgamma as f32)
        });
        let (beta_grad, gamma_grad): (Vec<f32>, Vec<f32>) = sums.into_iter().unzip();
        let coefficients =
            self.norm
                .input_grad_coefficients(gamma, &inv, &stats.mean, &beta_grad, &gamma_grad);
        let mut input_grad = vec![0.0; input.len()];
        let image = channels * plane;
        if image > 0 && plane > 0 {
            for_each_chunk(&mut input_grad, image, 2, |first, images| {
                for (i, out) in images.chunks_mut(image).enumerate() {
                    let b = first + i;
                    for (c, dst) in out.chunks_mut(plane).enumerate() {
                        let [a, slope, e] = coefficients[c];
                        let x = &input[(b * channels + c) * plane..][..plane];
                        for (d, &x) in dst.iter_mut().zip(x) {
                            *d = slope * x + e;
                        }
                        for (at, g) in pooled(b, c) {
                            dst[at] += a * g;
                        }
                    }
                }
            });
        }
        BatchNormGrads {
            input: input_grad,
            gamma: gamma_grad,
            beta: beta_grad,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_batch_norm_then_relu_max_pool() {
        // Large enough for several threads; odd plane sides; pools 2 and 3; a negative gamma
        // (the window's largest normalised value is its smallest input).
        for k in [2, 3] {
            let norm = BatchNorm {
                batch: 6,
                channels: 3,
                plane: 9 * 7,
                epsilon: 1e-5,
            };
            let pool = ReluMaxPool {
                planes: 18,
                height: 9,
                width: 7,
                pool: k,
            };
            let fused = BatchNormReluMaxPool { norm, pool };
            let len = 6 * 3 * 63;
            let x: Vec<f32> = (0..len)
                .map(|i| ((i * 7919 % 101) as f32 - 50.0) / 17.0)
                .collect();
            let (gamma, beta) = (vec![1.5, -0.7, 0.9], vec![0.1, 0.3, -0.2]);
            let out_len = 18 * (9 / k) * (7 / k);
            let g: Vec<f32> = (0..out_len)
                .map(|i| ((i * 31 % 7) as f32 - 3.0) * 0.25)
                .collect();

            let (normalised, stats) = norm.forward_train(&x, &gamma, &beta);
            let (want, want_argmax) = pool.forward(&normalised);
            let pool_grad = pool.backward(&want_argmax, &g);
            let want_grads = norm.backward(&x, &gamma, &stats, &pool_grad);

            let (got, argmax, got_stats) = fused.forward_train(&x, &gamma, &beta);
            assert_eq!(got_stats, stats);
            assert_eq!(argmax, want_argmax, "pool {k}");
            for (a, b) in got.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
                    "pool {k}: {a} vs {b}"
                );
            }
            let grads = fused.backward(&x, &gamma, &stats, &argmax, &g);
            let close = |a: &[f32], b: &[f32], what: &str| {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    assert!(
                        (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                        "pool {k} {what}[{i}]: {x} vs {y}"
                    );
                }
            };
            close(&grads.input, &want_grads.input, "input");
            close(&grads.gamma, &want_grads.gamma, "gamma");
            close(&grads.beta, &want_grads.beta, "beta");

            let eval = fused.forward_eval(&x, &gamma, &beta, &[0.1, -0.2, 0.3], &[1.0, 2.0, 0.5]);
            let normalised =
                norm.forward_eval(&x, &gamma, &beta, &[0.1, -0.2, 0.3], &[1.0, 2.0, 0.5]);
            close(&eval, &pool.forward(&normalised).0, "eval");
        }
    }
}
