//! A colour-shift domain in the spirit of MNIST-M (Ganin et al. 2016): grey digits blended
//! with coloured, textured backgrounds.
//!
//! MNIST-M takes random crops of BSDS500 photographs as backgrounds and blends each digit in
//! with the absolute difference `|background - digit|` per channel, so that a white stroke
//! inverts the colours under it. Photographs cannot be downloaded here, so the backgrounds are
//! generated from the dead-leaves model of natural images (occluding discs with power-law
//! radii, photo-like correlated colours, shading and fine texture; see [`colourise`]). The
//! blend is MNIST-M's. Everything is a function of `(seed, stream, image index)`, with an
//! integer generator and no platform-dependent maths, so the same images come out everywhere.

/// The seed of the built-in `mnistm-synth` domain.
pub const SEED: u64 = 20_161_215;

/// The colourised copies of `count` grey `height x width` images (planar `3 x height x width`
/// each, in `[0, 1]`). `stream` separates uses of the same seed (the training and test splits
/// get different backgrounds).
///
/// Each image gets its own background, an RGB dead-leaves image: 16 occluding discs (at
/// 28x28) with radii from 3 to 28 pixels drawn with density `r^-3`, each of a random luminance
/// with a tint of at most +-0.3 per channel, plus a shading gradient and fine value noise
/// shared by the channels. Radii scale with the image side.
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
        let background = background(&mut rng, height, width);
        for channel in background.chunks(plane.max(1)) {
            out.extend(
                channel
                    .iter()
                    .zip(digit)
                    .map(|(&b, &d)| (b - d.clamp(0.0, 1.0)).abs()),
            );
        }
    }
    out
}

/// Discs drawn over each background's first colour, each covering those before it.
const LEAVES: usize = 16;
/// Smallest and largest disc radius at 28x28, in pixels (scaled with the image side).
const RADIUS: (f32, f32) = (3.0, 28.0);

/// One RGB background (planar `3 x height x width`): a dead-leaves image, the classical
/// model of natural-image statistics (Matheron 1968; Lee, Mumford & Huang 2001): [`LEAVES`]
/// occluding discs with power-law radii (density `r^-3`, so every scale has as many edges as
/// the next, as in photographs), each of one colour whose channels share a luminance and
/// differ by a random tint (photographs' channels are strongly correlated; the previous,
/// independent channels made every colour saturated), then a shading gradient and fine value
/// noise common to the three channels (texture is mostly luminance).
fn background(rng: &mut Rng, height: usize, width: usize) -> Vec<f32> {
    let plane = height * width;
    let scale = height.max(width).max(1) as f32 / 28.0;
    let (r_min, r_max) = (RADIUS.0 * scale, RADIUS.1 * scale);
    // The canvas starts as one colour, then each disc covers what lies below it.
    let mut colour_of = vec![leaf_colour(rng); plane];
    // Plain products, not `powi`, whose rounding is left to the platform.
    let (a, b) = (1.0 / (r_min * r_min), 1.0 / (r_max * r_max));
    for _ in 0..LEAVES {
        let cy = rng.uniform() * height as f32;
        let cx = rng.uniform() * width as f32;
        // Inverse CDF of the density r^-3 on [r_min, r_max].
        let r = 1.0 / (a - rng.uniform() * (a - b)).sqrt();
        let colour = leaf_colour(rng);
        for y in 0..height {
            let dy = y as f32 + 0.5 - cy;
            if dy.abs() > r {
                continue;
            }
            for x in 0..width {
                let dx = x as f32 + 0.5 - cx;
                if dy * dy + dx * dx <= r * r {
                    colour_of[y * width + x] = colour;
                }
            }
        }
    }
    let (gy, gx) = (0.4 * (rng.uniform() - 0.5), 0.4 * (rng.uniform() - 0.5));
    let fine = Grid::new(rng, 9, 0.25);
    let mut out = vec![0.0; 3 * plane];
    for y in 0..height {
        for x in 0..width {
            let v = y as f32 / height.max(1) as f32;
            let u = x as f32 / width.max(1) as f32;
            let shade = gy * (v - 0.5) + gx * (u - 0.5) + fine.at(v, u);
            let p = y * width + x;
            for c in 0..3 {
                out[c * plane + p] = (colour_of[p][c] + shade).clamp(0.0, 1.0);
            }
        }
    }
    out
}

/// A disc's colour: a luminance uniform in `[0, 1]` plus a tint of random hue and strength
/// (at most +-0.3 per channel), so the channels are correlated as in photographs.
fn leaf_colour(rng: &mut Rng) -> [f32; 3] {
    let luminance = rng.uniform();
    let strength = 0.6 * rng.uniform();
    let hue = [rng.uniform(), rng.uniform(), rng.uniform()];
    let mean = (hue[0] + hue[1] + hue[2]) / 3.0;
    hue.map(|h| (luminance + strength * (h - mean)).clamp(0.0, 1.0))
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

    const PINNED_CHECKSUM: f64 = 1_384.313_098;

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
        // Backgrounds are coloured (channels differ, by tints of a shared luminance) and vary
        // between images.
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let channel_gap: f32 = black
            .chunks(192)
            .map(|img| (mean(&img[..64]) - mean(&img[64..128])).abs())
            .sum::<f32>()
            / 64.0;
        assert!(channel_gap > 0.02, "mean channel gap {channel_gap}");
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

    #[test]
    fn backgrounds_have_correlated_channels_like_photographs() {
        // Pearson correlation between the red and green planes of every background, pooled
        // over 200 images of 28x28: strongly positive (a shared luminance), but not 1 (tints).
        let count = 200;
        let black = colourise(&vec![0.0; count * 784], count, 28, 28, SEED, 0);
        let (mut sr, mut sg, mut srr, mut sgg, mut srg) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
        for img in black.chunks(3 * 784) {
            for (&r, &g) in img[..784].iter().zip(&img[784..2 * 784]) {
                let (r, g) = (f64::from(r), f64::from(g));
                (sr, sg, srr, sgg, srg) = (sr + r, sg + g, srr + r * r, sgg + g * g, srg + r * g);
            }
        }
        let n = (count * 784) as f64;
        let cov = srg / n - sr / n * (sg / n);
        let corr = cov / ((srr / n - (sr / n).powi(2)) * (sgg / n - (sg / n).powi(2))).sqrt();
        assert!(corr > 0.7 && corr < 0.99, "red-green correlation {corr}");
        // Occlusion edges: in most images some neighbouring pixels jump by more than the
        // shading and fine noise can make (0.15), as at the border of two discs.
        let with_edges = black
            .chunks(3 * 784)
            .filter(|img| {
                img[..784]
                    .chunks(28)
                    .any(|row| row.windows(2).any(|w| (w[1] - w[0]).abs() > 0.15))
            })
            .count();
        assert!(
            with_edges > count * 3 / 4,
            "{with_edges} of {count} images with edges"
        );
    }
}
