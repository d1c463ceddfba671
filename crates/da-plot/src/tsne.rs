//! t-SNE onto two dimensions (van der Maaten and Hinton 2008), on the `bhtsne` crate's
//! Barnes-Hut implementation, seeded so that a picture is the same from run to run.

use bhtsne::tSNE;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::error::ProjectionError;
use crate::pca::checked_matrix;

/// The most rows [`tsne_2d`] embeds: t-SNE costs `O(n log n)` per epoch with Barnes-Hut, and
/// callers embed an evenly spaced sample of at most this many rows so that a report stays fast
/// (about a second for 1000 rows of 64 features).
pub const TSNE_MAX_ROWS: usize = 1000;

/// The settings of [`tsne_2d`].
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `perplexity` | 30 | effective number of neighbours; lowered to `(n - 1) / 3` for small `n` |
/// | `epochs` | 1000 | gradient steps (the first 250 with early exaggeration 12) |
/// | `theta` | 0.5 | Barnes-Hut accuracy (smaller: more exact, slower) |
/// | `seed` | 0 | seeds the initial embedding, N(0, 1e-4) per coordinate |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsneConfig {
    /// Effective number of neighbours of each point.
    pub perplexity: f64,
    /// Gradient-descent epochs.
    pub epochs: usize,
    /// Barnes-Hut approximation threshold, > 0.
    pub theta: f64,
    /// Seed of the initial embedding.
    pub seed: u64,
}

impl Default for TsneConfig {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            epochs: 1000,
            theta: 0.5,
            seed: 0,
        }
    }
}

/// Embeds the rows of the row-major `n_rows x dim` matrix `rows` in two dimensions with
/// Barnes-Hut t-SNE on Euclidean distances.
///
/// The result depends only on the data and `config`, bit for bit: the initial embedding is
/// drawn from `config.seed`, and the fit runs on one thread (parallel sums would round
/// differently from run to run). Fewer than 4 rows are too few for t-SNE's neighbourhoods and are placed on
/// a line, `(i, 0)`.
///
/// ```
/// use da_plot::{TsneConfig, tsne_2d};
///
/// // Two clusters of 10 points in 3-D, far apart.
/// let rows: Vec<f64> = (0..20)
///     .flat_map(|i| {
///         let offset = if i < 10 { 0.0 } else { 50.0 };
///         [offset + (i % 10) as f64 * 0.1, offset, (i % 3) as f64 * 0.1]
///     })
///     .collect();
/// let config = TsneConfig { perplexity: 5.0, epochs: 500, ..Default::default() };
/// let points = tsne_2d(&rows, 3, &config)?;
/// assert_eq!(points.len(), 20);
/// assert_eq!(points, tsne_2d(&rows, 3, &config)?, "same seed, same picture");
/// # Ok::<(), da_plot::ProjectionError>(())
/// ```
///
/// # Errors
///
/// [`ProjectionError::Empty`] without rows or with `dim == 0`,
/// [`ProjectionError::ShapeMismatch`] when `rows.len()` is not a multiple of `dim`,
/// [`ProjectionError::NonFinite`] for a NaN or infinite value,
/// [`ProjectionError::TooManyRows`] beyond [`TSNE_MAX_ROWS`], [`ProjectionError::Threads`]
/// when the fit's thread cannot be started.
pub fn tsne_2d<T: Copy + Into<f64>>(
    rows: &[T],
    dim: usize,
    config: &TsneConfig,
) -> Result<Vec<(f64, f64)>, ProjectionError> {
    let n_rows = rows.len().checked_div(dim).unwrap_or(0);
    let matrix = checked_matrix(rows, n_rows, dim)?;
    if n_rows > TSNE_MAX_ROWS {
        return Err(ProjectionError::TooManyRows {
            n_rows,
            max: TSNE_MAX_ROWS,
        });
    }
    if n_rows < 4 {
        return Ok((0..n_rows).map(|i| (i as f64, 0.0)).collect());
    }
    // Row-major values, one slice per sample.
    let values: Vec<f64> = matrix.transpose().iter().copied().collect();
    let samples: Vec<&[f64]> = values.chunks_exact(dim).collect();
    // bhtsne requires 3 * floor(perplexity) <= n - 1.
    let perplexity = config.perplexity.min(((n_rows - 1) / 3) as f64).max(1.0);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let initial: Vec<f64> = (0..2 * n_rows).map(|_| 1e-4 * normal(&mut rng)).collect();
    // bhtsne sums over rayon's pool, whose split (and so the rounding) depends on the threads'
    // timing; one thread makes the result repeat bit for bit.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| ProjectionError::Threads(e.to_string()))?;
    let embedding = pool.install(|| {
        tSNE::<f64, &[f64], 2>::new(&samples)
            .perplexity(perplexity)
            .epochs(config.epochs)
            .initial_embedding(initial)
            .barnes_hut(config.theta, |a, b| {
                a.iter()
                    .zip(b.iter())
                    .map(|(x, y)| (x - y).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .embedding()
    });
    Ok(embedding.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two Gaussian-ish clusters of `n` points each in `dim` dimensions, 20 apart.
    fn clusters(n: usize, dim: usize) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(7);
        (0..2 * n)
            .flat_map(|i| {
                let centre = if i < n { 0.0 } else { 20.0 };
                (0..dim)
                    .map(|_| centre + normal(&mut rng))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The fraction of points whose nearest other point is in the same cluster.
    fn nearest_neighbour_purity(points: &[(f64, f64)], n: usize) -> f64 {
        let same = (0..points.len())
            .filter(|&i| {
                let nearest = (0..points.len())
                    .filter(|&j| j != i)
                    .min_by(|&a, &b| {
                        let d = |j: usize| {
                            (points[i].0 - points[j].0).powi(2)
                                + (points[i].1 - points[j].1).powi(2)
                        };
                        d(a).total_cmp(&d(b))
                    })
                    .unwrap();
                (i < n) == (nearest < n)
            })
            .count();
        same as f64 / points.len() as f64
    }

    #[test]
    fn separates_two_clusters_and_repeats_for_a_seed() {
        let rows = clusters(60, 8);
        let config = TsneConfig {
            epochs: 500,
            ..Default::default()
        };
        let points = tsne_2d(&rows, 8, &config).unwrap();
        assert_eq!(points.len(), 120);
        assert!(points.iter().all(|p| p.0.is_finite() && p.1.is_finite()));
        let purity = nearest_neighbour_purity(&points, 60);
        assert!(purity > 0.9, "nearest-neighbour purity {purity}");
        assert_eq!(points, tsne_2d(&rows, 8, &config).unwrap());
        let other = tsne_2d(&rows, 8, &TsneConfig { seed: 1, ..config }).unwrap();
        assert_ne!(points, other, "another seed, another start");
    }

    #[test]
    fn small_and_bad_inputs() {
        let config = TsneConfig::default();
        assert_eq!(tsne_2d(&[1.0, 2.0], 2, &config).unwrap(), vec![(0.0, 0.0)]);
        assert_eq!(tsne_2d(&[1.0; 8], 2, &config).unwrap().len(), 4);
        assert!(matches!(
            tsne_2d::<f64>(&[], 2, &config),
            Err(ProjectionError::Empty { .. })
        ));
        assert!(matches!(
            tsne_2d(&[1.0, 2.0, 3.0], 2, &config),
            Err(ProjectionError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            tsne_2d(&[1.0, f64::NAN, 3.0, 4.0], 2, &config),
            Err(ProjectionError::NonFinite { row: 0, col: 1, .. })
        ));
        let too_many = vec![0.0; TSNE_MAX_ROWS + 1];
        assert!(matches!(
            tsne_2d(&too_many, 1, &config),
            Err(ProjectionError::TooManyRows { .. })
        ));
    }
}
