//! Batch normalisation over the batch and spatial axes, forward and backward.

use crate::sums::{sum_map, sum_pairs};
use crate::threads::{for_each_chunk, parallel_map};

/// Batch normalisation of an NCHW tensor, per channel, as burn's `BatchNorm` computes it:
/// `y = (x - mean) / sqrt(var + epsilon) * gamma + beta`. In training the mean and the biased
/// variance are the batch's (over the batch and spatial axes); in inference they are the
/// running statistics passed in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchNorm {
    /// Images.
    pub batch: usize,
    /// Channels (one mean, variance, `gamma` and `beta` each).
    pub channels: usize,
    /// Values per channel and image (`height * width`).
    pub plane: usize,
    /// Added to the variance before the square root.
    pub epsilon: f64,
}

/// The output of [`BatchNorm::forward_train`] and the batch statistics it used.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStats {
    /// Per-channel mean over the batch and spatial axes.
    pub mean: Vec<f32>,
    /// Per-channel biased variance (divided by the count, not the count minus one).
    pub var: Vec<f32>,
}

/// Gradients of [`BatchNorm::backward`].
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNormGrads {
    /// Input gradient (input layout).
    pub input: Vec<f32>,
    /// `gamma` gradient.
    pub gamma: Vec<f32>,
    /// `beta` gradient.
    pub beta: Vec<f32>,
}

impl BatchNorm {
    fn len(&self) -> usize {
        self.batch * self.channels * self.plane
    }

    pub(crate) fn check(&self, input: &[f32], params: &[&[f32]]) {
        assert!(
            self.epsilon >= 0.0,
            "batch-norm epsilon must be >= 0, got {}",
            self.epsilon
        );
        assert_eq!(input.len(), self.len(), "input length for {self:?}");
        for param in params {
            assert_eq!(
                param.len(),
                self.channels,
                "per-channel length for {self:?}"
            );
        }
    }

    /// The values of channel `c`, one slice per image.
    fn channel<'a>(&self, data: &'a [f32], c: usize) -> impl Iterator<Item = &'a [f32]> {
        (0..self.batch).map(move |b| &data[(b * self.channels + c) * self.plane..][..self.plane])
    }

    /// Per-channel mean and biased variance of `input` (two passes, accumulated in `f64`).
    pub(crate) fn stats(&self, input: &[f32]) -> BatchStats {
        let count = (self.batch * self.plane) as f64;
        let cost = self.batch * self.plane;
        let stats = parallel_map(self.channels, cost, |c| {
            let sum: f64 = self.channel(input, c).map(|s| sum_map(s, |v| v)).sum();
            let mean = (sum / count) as f32;
            let squares: f64 = self
                .channel(input, c)
                .map(|s| sum_map(s, |v| (v - mean) * (v - mean)))
                .sum();
            (mean, (squares / count) as f32)
        });
        let (mean, var) = stats.into_iter().unzip();
        BatchStats { mean, var }
    }

    /// `1 / sqrt(var + epsilon)` per channel.
    pub(crate) fn inv_std(&self, var: &[f32]) -> Vec<f32> {
        var.iter()
            .map(|&v| (1.0 / (f64::from(v) + self.epsilon).sqrt()) as f32)
            .collect()
    }

    /// Per channel, `[scale, shift]` such that the normalised value is `x * scale + shift`.
    pub(crate) fn scale_shift(
        &self,
        gamma: &[f32],
        beta: &[f32],
        mean: &[f32],
        var: &[f32],
    ) -> Vec<[f32; 2]> {
        let inv = self.inv_std(var);
        (0..self.channels)
            .map(|c| {
                let scale = gamma[c] * inv[c];
                [scale, beta[c] - mean[c] * scale]
            })
            .collect()
    }

    /// Per channel, `[a, b, e]` such that the input gradient is `a dy + b x + e`, from the
    /// sums `dbeta = sum dy` and `dgamma = sum dy xh`.
    pub(crate) fn input_grad_coefficients(
        &self,
        gamma: &[f32],
        inv: &[f32],
        mean: &[f32],
        beta_grad: &[f32],
        gamma_grad: &[f32],
    ) -> Vec<[f32; 3]> {
        let count = (self.batch * self.plane) as f32;
        (0..self.channels)
            .map(|c| {
                let a = gamma[c] * inv[c];
                let b = -a * inv[c] * gamma_grad[c] / count;
                [a, b, -a * beta_grad[c] / count - b * mean[c]]
            })
            .collect()
    }

    /// `x * scale[c] + shift[c]` for every value of channel `c`.
    fn affine(&self, input: &[f32], scale: &[f32], shift: &[f32]) -> Vec<f32> {
        let mut output = vec![0.0; self.len()];
        let image = self.channels * self.plane;
        if image == 0 {
            return output;
        }
        for_each_chunk(&mut output, image, 1, |first, images| {
            for (i, out) in images.chunks_mut(image).enumerate() {
                let src = &input[(first + i) * image..][..image];
                for (c, (out, src)) in out
                    .chunks_mut(self.plane.max(1))
                    .zip(src.chunks(self.plane.max(1)))
                    .enumerate()
                {
                    let (a, b) = (scale[c], shift[c]);
                    for (o, &x) in out.iter_mut().zip(src) {
                        *o = x * a + b;
                    }
                }
            }
        });
        output
    }

    /// Normalises with the batch's own statistics, which it returns for the running averages
    /// and [`backward`](Self::backward).
    ///
    /// # Panics
    /// If a slice has the wrong length or `epsilon` is negative.
    pub fn forward_train(
        &self,
        input: &[f32],
        gamma: &[f32],
        beta: &[f32],
    ) -> (Vec<f32>, BatchStats) {
        self.check(input, &[gamma, beta]);
        let stats = self.stats(input);
        let output = self.forward_eval(input, gamma, beta, &stats.mean, &stats.var);
        (output, stats)
    }

    /// Normalises with the given (running) statistics.
    ///
    /// # Panics
    /// If a slice has the wrong length or `epsilon` is negative.
    pub fn forward_eval(
        &self,
        input: &[f32],
        gamma: &[f32],
        beta: &[f32],
        mean: &[f32],
        var: &[f32],
    ) -> Vec<f32> {
        self.check(input, &[gamma, beta, mean, var]);
        let (scale, shift): (Vec<f32>, Vec<f32>) = self
            .scale_shift(gamma, beta, mean, var)
            .into_iter()
            .map(|[a, b]| (a, b))
            .unzip();
        self.affine(input, &scale, &shift)
    }

    /// Gradients of a loss through [`forward_train`](Self::forward_train) (batch statistics,
    /// which depend on the input), given the input, `gamma`, the batch statistics and the
    /// output gradient: with `xh = (x - mean) * inv_std` and `M` values per channel,
    /// `dbeta = sum dy`, `dgamma = sum dy xh`, `dx = gamma inv_std / M (M dy - dbeta - xh dgamma)`.
    ///
    /// # Panics
    /// If a slice has the wrong length.
    pub fn backward(
        &self,
        input: &[f32],
        gamma: &[f32],
        stats: &BatchStats,
        grad_output: &[f32],
    ) -> BatchNormGrads {
        self.check(input, &[gamma, &stats.mean, &stats.var]);
        assert_eq!(
            grad_output.len(),
            self.len(),
            "output gradient length for {self:?}"
        );
        let inv = self.inv_std(&stats.var);
        let sums = parallel_map(self.channels, 2 * self.batch * self.plane, |c| {
            let (mean, inv) = (stats.mean[c], inv[c]);
            let (mut dbeta, mut dgamma) = (0.0f64, 0.0f64);
            for (x, g) in self.channel(input, c).zip(self.channel(grad_output, c)) {
                dbeta += sum_map(g, |g| g);
                dgamma += sum_pairs(x, g, |x, g| g * (x - mean));
            }
            (dbeta as f32, (dgamma * f64::from(inv)) as f32)
        });
        let (beta_grad, gamma_grad): (Vec<f32>, Vec<f32>) = sums.into_iter().unzip();
        // dx = a dy + b x + e per channel, with a = gamma inv, b = -a inv dgamma / M and
        // e = -a dbeta / M - b mean.
        let coefficients =
            self.input_grad_coefficients(gamma, &inv, &stats.mean, &beta_grad, &gamma_grad);
        let mut input_grad = vec![0.0; self.len()];
        let image = self.channels * self.plane;
        if image > 0 {
            for_each_chunk(&mut input_grad, image, 2, |first, images| {
                for (i, out) in images.chunks_mut(image).enumerate() {
                    let start = (first + i) * image;
                    let (x, g) = (&input[start..][..image], &grad_output[start..][..image]);
                    for (c, out) in out.chunks_mut(self.plane.max(1)).enumerate() {
                        let [a, b, e] = coefficients[c];
                        let range = c * self.plane..(c + 1) * self.plane;
                        for ((o, &x), &g) in out.iter_mut().zip(&x[range.clone()]).zip(&g[range]) {
                            *o = a * g + b * x + e;
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

    fn values(len: usize, seed: u64) -> Vec<f32> {
        (0..len)
            .map(|i| (((i as u64 * 2654435761 + seed * 97) % 1000) as f32 / 250.0) - 2.0)
            .collect()
    }

    /// Loss `sum(w * y)` for fixed weights `w`, in f64, by the definition.
    fn loss(bn: &BatchNorm, x: &[f64], gamma: &[f64], beta: &[f64], w: &[f32]) -> f64 {
        let m = (bn.batch * bn.plane) as f64;
        let mut total = 0.0;
        for c in 0..bn.channels {
            let idx: Vec<usize> = (0..bn.batch)
                .flat_map(|b| (0..bn.plane).map(move |p| (b * bn.channels + c) * bn.plane + p))
                .collect();
            let mean = idx.iter().map(|&i| x[i]).sum::<f64>() / m;
            let var = idx.iter().map(|&i| (x[i] - mean).powi(2)).sum::<f64>() / m;
            for &i in &idx {
                let y = (x[i] - mean) / (var + bn.epsilon).sqrt() * gamma[c] + beta[c];
                total += f64::from(w[i]) * y;
            }
        }
        total
    }

    #[test]
    fn forward_and_backward_match_the_definition() {
        // The second shape is large enough for several threads.
        for bn in [
            BatchNorm {
                batch: 3,
                channels: 2,
                plane: 5,
                epsilon: 1e-5,
            },
            BatchNorm {
                batch: 8,
                channels: 4,
                plane: 700,
                epsilon: 1e-3,
            },
        ] {
            let len = bn.batch * bn.channels * bn.plane;
            let x = values(len, 1);
            let gamma = vec![0.5, -1.5, 2.0, 1.0][..bn.channels].to_vec();
            let beta = vec![0.1, 0.2, -0.3, 0.0][..bn.channels].to_vec();
            let w = values(len, 7);
            let (y, stats) = bn.forward_train(&x, &gamma, &beta);
            // Forward: the loss of the output equals the definition.
            let f64s = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<f64>>();
            let (x64, g64, b64) = (f64s(&x), f64s(&gamma), f64s(&beta));
            let want = loss(&bn, &x64, &g64, &b64, &w);
            let got: f64 = y
                .iter()
                .zip(&w)
                .map(|(&y, &w)| f64::from(y) * f64::from(w))
                .sum();
            assert!(
                (got - want).abs() < 1e-3 * (1.0 + want.abs()),
                "loss {got} vs {want}"
            );
            // Backward against central differences of the f64 definition.
            let grads = bn.backward(&x, &gamma, &stats, &w);
            let h = 1e-5;
            let check = |got: f32, plus: f64, minus: f64, what: &str| {
                let fd = (plus - minus) / (2.0 * h);
                assert!(
                    (f64::from(got) - fd).abs() < 1e-3 * (1.0 + fd.abs()),
                    "{what}: {got} vs finite difference {fd}"
                );
            };
            for i in (0..len).step_by(len / 13 + 1) {
                let (mut p, mut m) = (x64.clone(), x64.clone());
                p[i] += h;
                m[i] -= h;
                check(
                    grads.input[i],
                    loss(&bn, &p, &g64, &b64, &w),
                    loss(&bn, &m, &g64, &b64, &w),
                    "input",
                );
            }
            for c in 0..bn.channels {
                let (mut p, mut m) = (g64.clone(), g64.clone());
                p[c] += h;
                m[c] -= h;
                check(
                    grads.gamma[c],
                    loss(&bn, &x64, &p, &b64, &w),
                    loss(&bn, &x64, &m, &b64, &w),
                    "gamma",
                );
                let (mut p, mut m) = (b64.clone(), b64.clone());
                p[c] += h;
                m[c] -= h;
                check(
                    grads.beta[c],
                    loss(&bn, &x64, &g64, &p, &w),
                    loss(&bn, &x64, &g64, &m, &w),
                    "beta",
                );
            }
        }
    }

    #[test]
    fn eval_uses_the_given_statistics() {
        let bn = BatchNorm {
            batch: 1,
            channels: 2,
            plane: 2,
            epsilon: 0.0,
        };
        let y = bn.forward_eval(
            &[1.0, 3.0, 10.0, 20.0],
            &[2.0, 1.0],
            &[0.5, 0.0],
            &[1.0, 10.0],
            &[4.0, 100.0],
        );
        assert_eq!(y, vec![0.5, 2.5, 0.0, 1.0]);
    }
}
