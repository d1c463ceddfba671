//! A colour-shift domain in the spirit of MNIST-M (Ganin et al. 2016): grey digits blended
//! with coloured, textured backgrounds.
//!
//! MNIST-M takes random crops of BSDS500 photographs as backgrounds and blends each digit in
//! with the absolute difference `|background - digit|` per channel, so that a white stroke
//! inverts the colours under it. Photographs cannot be downloaded here, so the backgrounds are
//! generated: per image and channel, a random base colour, a random linear gradient, smooth
//! value noise at two scales and a random oriented stripe pattern, clipped to `[0, 1]`. The
//! blend is MNIST-M's. Everything is a function of `(seed, stream, image index)`, with an
//! integer generator and no platform-dependent maths, so the same images come out everywhere.

/// The seed of the built-in `mnistm-synth` domain.
pub const SEED: u64 = 20_161_215;

/// The colourised copies of `count` grey `height x width` images (planar `3 x height x width`
/// each, in `[0, 1]`). `stream` separates uses of the same seed (the training and test splits
/// get different backgrounds).
///
/// # Panics
/// If `gray` does not hold `count * height * width` values.
pub fn colourise(
    gray: &[f32],
    count: usize,
    height: usize,
    width: usize,
    seed: u64,
    stream: u64,
) -> Vec<f32> {
    let plane = height * width;
    assert_eq!(
        gray.len(),
        count * plane,
        "colourise: {} values for {count} images of {height}x{width}",
        gray.len()
    );
    let mut out = Vec::with_capacity(count * 3 * plane);
    for (index, digit) in gray.chunks(plane.max(1)).take(count).enumerate() {
        let mut rng = Rng::new(seed, stream, index as u64);
        for _ in 0..3 {
            let background = background(&mut rng, height, width);
            out.extend(
                background
                    .iter()
                    .zip(digit)
                    .map(|(&b, &d)| (b - d.clamp(0.0, 1.0)).abs()),
            );
        }
    }
    out
}

/// One channel of a background: base + gradient + value noise (coarse and fine) + stripes.
fn background(rng: &mut Rng, height: usize, width: usize) -> Vec<f32> {
    let base = rng.uniform();
    let (gy, gx) = (rng.uniform() - 0.5, rng.uniform() - 0.5);
    let coarse = Grid::new(rng, 4, 0.6);
    let fine = Grid::new(rng, 9, 0.3);
    // Stripes: a sine-like triangle wave along a random direction (no floating-point sin, so
    // results do not depend on the platform's maths library).
    let stripe_amp = 0.25 * rng.uniform();
    let (sy, sx) = (rng.uniform() - 0.5, rng.uniform() - 0.5);
    let period = 3.0 + 6.0 * rng.uniform();
    let phase = rng.uniform();
    let mut out = Vec::with_capacity(height * width);
    for y in 0..height {
        for x in 0..width {
            let v = y as f32 / height.max(1) as f32;
            let u = x as f32 / width.max(1) as f32;
            let t = ((y as f32 * sy + x as f32 * sx) / period + phase).rem_euclid(1.0);
            let triangle = (2.0 * (t - 0.5)).abs() * 2.0 - 1.0;
            let value = base
                + gy * (v - 0.5)
                + gx * (u - 0.5)
                + coarse.at(v, u)
                + fine.at(v, u)
                + stripe_amp * triangle;
            out.push(value.clamp(0.0, 1.0));
        }
    }
    out
}

/// Value noise: random values on a `cells x cells` lattice, bilinearly interpolated, centred.
struct Grid {
    cells: usize,
    values: Vec<f32>,
}

impl Grid {
    fn new(rng: &mut Rng, cells: usize, amplitude: f32) -> Self {
        let values = (0..(cells + 1) * (cells + 1))
            .map(|_| amplitude * (rng.uniform() - 0.5))
            .collect();
        Self { cells, values }
    }

    /// The noise at `(v, u)` in `[0, 1)^2`.
    fn at(&self, v: f32, u: f32) -> f32 {
        let (fy, fx) = (v * self.cells as f32, u * self.cells as f32);
        let (y0, x0) = (
            (fy as usize).min(self.cells - 1),
            (fx as usize).min(self.cells - 1),
        );
        let (ty, tx) = (fy - y0 as f32, fx - x0 as f32);
        let at = |y: usize, x: usize| self.values[y * (self.cells + 1) + x];
        let top = at(y0, x0) * (1.0 - tx) + at(y0, x0 + 1) * tx;
        let bottom = at(y0 + 1, x0) * (1.0 - tx) + at(y0 + 1, x0 + 1) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

/// SplitMix64, seeded per image.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Self {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.0 ^= rng
            .next()
            .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 24 bits.
    fn uniform(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(count: usize) -> Vec<f32> {
        // A bright vertical bar in the middle of each 8x8 image, shifted by the index.
        (0..count)
            .flat_map(|i| (0..64).map(move |p| if (p % 8) == 3 + i % 2 { 1.0 } else { 0.0 }))
            .collect()
    }

    #[test]
    fn deterministic_per_seed_stream_and_index() {
        let gray = digits(4);
        let a = colourise(&gray, 4, 8, 8, SEED, 0);
        assert_eq!(a, colourise(&gray, 4, 8, 8, SEED, 0));
        assert_eq!(a.len(), 4 * 3 * 64);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
        // Another stream or seed changes the backgrounds.
        assert_ne!(a, colourise(&gray, 4, 8, 8, SEED, 1));
        assert_ne!(a, colourise(&gray, 4, 8, 8, SEED + 1, 0));
        // An image's background depends on its index only, not on how many come before it.
        let first_two = colourise(&gray[..128], 2, 8, 8, SEED, 0);
        assert_eq!(&a[..2 * 192], &first_two[..]);
        // Pinned: the generator must not drift between versions and platforms.
        let checksum: f64 = a
            .iter()
            .enumerate()
            .map(|(i, &v)| f64::from(v) * ((i % 7) as f64 + 1.0))
            .sum();
        assert!(
            (checksum - PINNED_CHECKSUM).abs() < 1e-3,
            "checksum {checksum}"
        );
    }

    const PINNED_CHECKSUM: f64 = 1_322.802_012;

    #[test]
    fn the_blend_is_the_absolute_difference_and_channels_differ() {
        let gray = digits(64);
        let colour = colourise(&gray, 64, 8, 8, SEED, 0);
        let black = colourise(&vec![0.0; 64 * 64], 64, 8, 8, SEED, 0);
        // With a black digit the image is the background; a white stroke is 1 - background.
        for (i, (&c, &b)) in colour.iter().zip(&black).enumerate() {
            let (image, p) = (i / 192, i % 64);
            let d = gray[image * 64 + p];
            assert!((c - (b - d).abs()).abs() < 1e-6, "value {i}");
        }
        // Backgrounds are coloured (channels differ) and vary between images.
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let channel_gap: f32 = black
            .chunks(192)
            .map(|img| (mean(&img[..64]) - mean(&img[64..128])).abs())
            .sum::<f32>()
            / 64.0;
        assert!(channel_gap > 0.05, "mean channel gap {channel_gap}");
        let image_means: Vec<f32> = black.chunks(192).map(mean).collect();
        let spread = image_means.iter().cloned().fold(0.0, f32::max)
            - image_means.iter().cloned().fold(1.0, f32::min);
        assert!(spread > 0.3, "spread of image means {spread}");
        // Textured: neighbouring pixels differ within an image.
        let texture: f32 = black
            .chunks(8)
            .map(|row| row.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f32>())
            .sum::<f32>()
            / black.len() as f32;
        assert!(texture > 0.01, "mean horizontal step {texture}");
    }
}
