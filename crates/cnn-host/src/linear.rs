//! A fully connected layer, forward and backward.

use crate::gemm::gemm;
use crate::layer::{Layer, LayerGrads};
use crate::threads::map_chunks;

/// The shape of a fully connected layer `y = x W + b` on row-major `f32` data, with the weight
/// stored `[input, output]` as burn's `Linear` stores it.
///
/// Each of the three products (the output `x W`, the input gradient `G W^T` and the weight
/// gradient `x^T G`) is split over the threads by rows of its result.
///
/// | operand | shape |
/// |---|---|
/// | input `x` | `[batch, input]` |
/// | weight `W` | `[input, output]` |
/// | bias `b` | `[output]` |
/// | output `y` | `[batch, output]` |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linear {
    /// Rows of the input.
    pub batch: usize,
    /// Width of the input rows.
    pub input: usize,
    /// Width of the output rows.
    pub output: usize,
}

impl Linear {
    fn check(&self, input: &[f32], weight: &[f32]) {
        assert_eq!(
            input.len(),
            self.batch * self.input,
            "input length for {self:?}"
        );
        assert_eq!(
            weight.len(),
            self.input * self.output,
            "weight length for {self:?}"
        );
    }
}

impl Layer for Linear {
    fn forward(&self, input: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        self.check(input, weight);
        let (d_in, d_out) = (self.input, self.output);
        let mut output = vec![0.0; self.batch * d_out];
        map_chunks(self.batch, &mut output, 2 * d_in * d_out, |rows, out| {
            gemm(
                [rows.len(), d_in, d_out],
                (&input[rows.start * d_in..], [d_in, 1]),
                (weight, [d_out, 1]),
                (out, [d_out, 1]),
                false,
            );
            if let Some(bias) = bias {
                assert_eq!(bias.len(), d_out, "bias length for {self:?}");
                for row in out.chunks_exact_mut(d_out) {
                    row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
                }
            }
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
        let (batch, d_in, d_out) = (self.batch, self.input, self.output);
        assert_eq!(
            grad_output.len(),
            batch * d_out,
            "output gradient length for {self:?}"
        );
        let cost = 2 * batch * d_out;
        // dW = x^T G, by rows of dW (input features).
        let mut weight_grad = vec![0.0; d_in * d_out];
        map_chunks(d_in, &mut weight_grad, cost, |features, dst| {
            gemm(
                [features.len(), batch, d_out],
                (&input[features.start..], [1, d_in]),
                (grad_output, [d_out, 1]),
                (dst, [d_out, 1]),
                false,
            );
        });
        // dx = G W^T, by rows of dx (samples).
        let input = input_grad.then(|| {
            let mut input_grad = vec![0.0; batch * d_in];
            map_chunks(batch, &mut input_grad, 2 * d_in * d_out, |rows, dst| {
                gemm(
                    [rows.len(), d_out, d_in],
                    (&grad_output[rows.start * d_out..], [d_out, 1]),
                    (weight, [1, d_out]),
                    (dst, [d_in, 1]),
                    false,
                );
            });
            input_grad
        });
        // db = column sums of G, accumulated in f64.
        let mut bias = vec![0.0f64; d_out];
        for row in grad_output.chunks_exact(d_out) {
            bias.iter_mut()
                .zip(row)
                .for_each(|(b, &g)| *b += f64::from(g));
        }
        LayerGrads {
            input,
            weight: weight_grad,
            bias: bias.into_iter().map(|b| b as f32).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i * 7919 + seed * 104729) % 2001) as f32 / 1000.0) - 1.0)
            .collect()
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

    #[test]
    fn forward_and_backward_match_the_definition() {
        // Small, odd sizes; and large enough to split over threads.
        for (seed, layer) in
            [(1, 3, 5, 2), (2, 64, 1024, 256), (3, 7, 1, 9)].map(|(seed, batch, input, output)| {
                (
                    seed,
                    Linear {
                        batch,
                        input,
                        output,
                    },
                )
            })
        {
            let (n, i, o) = (layer.batch, layer.input, layer.output);
            let x = values(n * i, seed);
            let w = values(i * o, seed + 10);
            let b = values(o, seed + 20);
            let g = values(n * o, seed + 30);
            let f = |v: f32| f64::from(v);
            let mut y = vec![0.0f64; n * o];
            let (mut dx, mut dw, mut db) = (vec![0.0; n * i], vec![0.0; i * o], vec![0.0; o]);
            for r in 0..n {
                for c in 0..o {
                    y[r * o + c] = f(b[c])
                        + (0..i)
                            .map(|k| f(x[r * i + k]) * f(w[k * o + c]))
                            .sum::<f64>();
                    db[c] += f(g[r * o + c]);
                    for k in 0..i {
                        dx[r * i + k] += f(g[r * o + c]) * f(w[k * o + c]);
                        dw[k * o + c] += f(g[r * o + c]) * f(x[r * i + k]);
                    }
                }
            }
            assert_close(&layer.forward(&x, &w, Some(&b)), &y, "output");
            let grads = layer.backward(&x, &w, &g, true);
            assert_close(grads.input.as_deref().unwrap(), &dx, "input gradient");
            assert_close(&grads.weight, &dw, "weight gradient");
            assert_close(&grads.bias, &db, "bias gradient");
            let without = layer.backward(&x, &w, &g, false);
            assert!(without.input.is_none());
            assert_eq!(without.weight, grads.weight);
            let no_bias = layer.forward(&x, &w, None);
            let shifted: Vec<f64> = y.iter().enumerate().map(|(k, v)| v - f(b[k % o])).collect();
            assert_close(&no_bias, &shifted, "output without bias");
        }
    }

    #[test]
    #[should_panic(expected = "weight length")]
    fn wrong_weight_length_panics() {
        Linear {
            batch: 1,
            input: 2,
            output: 3,
        }
        .forward(&[0.0; 2], &[0.0; 5], None);
    }
}
