//! The CubeCL kernel: one sweep over a row block of the `N x N` Gaussian kernel matrix.

use cubecl::prelude::*;

/// Row `start + CUBE_POS_X` of the kernel matrix, one cube per row, `threads` units striding
/// over the `N` columns.
///
/// Per entry `(i, j)`: the squared distance `D_ij = |z_i|^2 + |z_j|^2 - 2 gram_ij` (clamped at 0,
/// exactly 0 on the diagonal; `gram` holds the block's rows of `Z Z^T`), one exponential
/// `K_0 = exp(-D / b_max)` for the widest kernel, the narrower ones as powers of it (`power` > 0,
/// the integer ratio between bandwidths) or one exponential each (`power` = 0), then
/// `W_ij sum_k K_k` summed over the row into `row_values[row]` (a tree reduction in shared
/// memory), and, when `with_grad`, the gradient weight `H_ij = W_ij sum_k K_k / b_k`
/// (0 on the diagonal) into `h[row, j]` and its row sum into `h_rowsums[row]`.
///
/// `scalars` holds `[b_max, W_ss, W_st, W_tt, kernel_mul]`; `W` is block-constant by domain
/// (rows and columns below `n_source` are source samples). `h` and `h_rowsums` are written only
/// with `with_grad` (one-element placeholders otherwise).
///
/// Neighbouring units read and write neighbouring columns, so every access is coalesced. (Taking
/// the distances from the samples in the sweep instead of a Gram product, for small `d`, measured
/// 2.7x slower on Mesa's lavapipe at `n = m = 1024, d = 14`.)
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub(super) fn gaussian_rows<F: Float>(
    norms: &Tensor<F>,
    gram: &Tensor<F>,
    scalars: &Tensor<F>,
    h: &mut Tensor<F>,
    row_values: &mut Tensor<F>,
    h_rowsums: &mut Tensor<F>,
    start: u32,
    n_source: u32,
    #[comptime] kernel_num: u32,
    #[comptime] power: u32,
    #[comptime] with_grad: bool,
    #[comptime] threads: u32,
) {
    let row = CUBE_POS_X as usize;
    let i = start as usize + row;
    let total = norms.shape(0);
    let n = n_source as usize;

    let inv_b = F::new(1.0) / scalars[0];
    let kernel_mul = scalars[4];
    let mut to_source = scalars[1];
    let mut to_target = scalars[2];
    if i >= n {
        to_source = scalars[2];
        to_target = scalars[3];
    }

    let mut acc = F::new(0.0);
    let mut h_acc = F::new(0.0);
    let mut j = UNIT_POS_X as usize;
    while j < total {
        let gram_ij = gram[row * total + j];
        let mut dist = norms[i] + norms[j] - F::new(2.0) * gram_ij;
        // A comparison, not `max`: a NaN distance (from a non-finite input) stays NaN.
        if dist < F::new(0.0) {
            dist = F::new(0.0);
        }
        if i == j {
            dist = F::new(0.0);
        }
        let exponent = F::new(0.0) - dist * inv_b;
        let mut kernel = exponent.exp();
        let mut sum = kernel;
        let mut weighted = kernel;
        let mut scale = F::new(1.0);
        #[unroll]
        for _ in 1..kernel_num {
            scale *= kernel_mul;
            if power == 0 {
                kernel = (exponent * scale).exp();
            } else {
                let mut next = kernel;
                #[unroll]
                for _ in 1..power {
                    next *= kernel;
                }
                kernel = next;
            }
            sum += kernel;
            weighted += scale * kernel;
        }
        let mut weight = to_target;
        if j < n {
            weight = to_source;
        }
        acc += weight * sum;
        if with_grad {
            let mut entry = weight * weighted * inv_b;
            if i == j {
                entry = F::new(0.0);
            }
            h[row * total + j] = entry;
            h_acc += entry;
        }
        j += threads as usize;
    }

    // Both row sums at once: `partial[unit]` and `partial[threads + unit]`.
    let mut partial = SharedMemory::<F>::new(2 * threads as usize);
    let unit = UNIT_POS_X as usize;
    let second = threads as usize;
    partial[unit] = acc;
    partial[second + unit] = h_acc;
    sync_cube();
    let mut stride = CUBE_DIM_X as usize / 2;
    while stride > 0 {
        if unit < stride {
            partial[unit] = partial[unit] + partial[unit + stride];
            partial[second + unit] = partial[second + unit] + partial[second + unit + stride];
        }
        sync_cube();
        stride /= 2;
    }
    if unit == 0 {
        row_values[row] = partial[0];
        if with_grad {
            h_rowsums[row] = partial[second];
        }
    }
}
