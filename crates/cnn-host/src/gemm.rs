//! The matrix product every kernel uses.

/// `C = A B` (or `C += A B` when `accumulate`) for an `m x k` matrix `A` and a `k x n` matrix
/// `B`, each given with its row and column strides (in elements), on the calling thread.
pub(crate) fn gemm(
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
