//! Light training-time augmentation: random translations (the digit benchmarks' usual
//! "random crop with padding", with the border replicated instead of zero-filled so that
//! coloured backgrounds continue) and random per-channel colour (polarity, contrast and
//! brightness), which lets a network trained on grey digits read colour ones.

use serde::{Deserialize, Serialize};

/// Shifts every image of `pixels` (`N x channels x height x width`, row-major) by its own
/// random offset in `[-max_shift, max_shift]` along each axis, the same for all its channels;
/// pixels shifted in from outside copy the nearest edge. The offsets are a function of `seed`
/// and the image's position in the batch only.
pub fn random_shift(
    pixels: &mut [f32],
    channels: usize,
    height: usize,
    width: usize,
    max_shift: usize,
    seed: u64,
) {
    if max_shift == 0 || pixels.is_empty() {
        return;
    }
    let plane = height * width;
    let span = 2 * max_shift as u64 + 1;
    let mut scratch = vec![0.0; plane];
    for (i, image) in pixels.chunks_mut(channels * plane).enumerate() {
        let draw = splitmix(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let dy = (draw % span) as isize - max_shift as isize;
        let dx = ((draw >> 32) % span) as isize - max_shift as isize;
        if dy == 0 && dx == 0 {
            continue;
        }
        for channel in image.chunks_mut(plane) {
            for y in 0..height {
                let sy = (y as isize - dy).clamp(0, height as isize - 1) as usize;
                for x in 0..width {
                    let sx = (x as isize - dx).clamp(0, width as isize - 1) as usize;
                    scratch[y * width + x] = channel[sy * width + sx];
                }
            }
            channel.copy_from_slice(&scratch);
        }
    }
}

/// Whether the labelled source images get [`random_colour`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ColourAugment {
    /// On when the run has 3 channels, the source images are grey (replicated to 3 equal
    /// channels) and the target's have colour: the grey-to-colour case (MNIST -> MNIST-M),
    /// where the source alone never shows the network channels that differ. A run records
    /// what `auto` became in its `config.json`.
    #[default]
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

/// Draws, for every channel of every image of `pixels` (`N x channels x plane`, standardised
/// values), an affine map `v -> sign * gain * v + offset` with `sign` in {-1, 1}, `gain` in
/// `[1 - COLOUR_GAIN, 1 + COLOUR_GAIN]` and `offset` in `[-COLOUR_OFFSET, COLOUR_OFFSET]`,
/// independently per channel, so that a grey digit becomes one of every polarity and tint: a
/// white stroke on black may become, say, a dark red stroke on light cyan, which is what the
/// `|background - digit|` blend of MNIST-M makes of it. The draws are a function of `seed` and
/// the position in the batch only.
pub fn random_colour(pixels: &mut [f32], channels: usize, plane: usize, seed: u64) {
    if plane == 0 {
        return;
    }
    for (i, channel) in pixels.chunks_mut(plane).enumerate() {
        let draw = splitmix(seed ^ splitmix(i as u64 ^ (channels as u64) << 48));
        let sign = if draw & 1 == 0 { 1.0 } else { -1.0 };
        let gain = 1.0 + COLOUR_GAIN * (2.0 * unit(draw >> 8) - 1.0);
        let offset = COLOUR_OFFSET * (2.0 * unit(draw >> 32) - 1.0);
        let scale = sign * gain;
        for v in channel.iter_mut() {
            *v = scale * *v + offset;
        }
    }
}

/// Largest relative change of contrast [`random_colour`] draws.
pub const COLOUR_GAIN: f32 = 0.4;
/// Largest brightness offset [`random_colour`] draws, in standard deviations.
pub const COLOUR_OFFSET: f32 = 0.5;

/// 24 bits of `bits` as a number in `[0, 1)`.
fn unit(bits: u64) -> f32 {
    (bits & 0xFF_FFFF) as f32 / (1u64 << 24) as f32
}

/// The seed of the augmentation of one training step (distinct per run, epoch, step and
/// domain, so a resumed run draws the same offsets).
pub fn step_seed(seed: u64, epoch: usize, step: usize, domain: u64) -> u64 {
    splitmix(
        splitmix(seed ^ 0x5EED_A116)
            ^ splitmix((epoch as u64) << 32 | step as u64)
            ^ domain.wrapping_mul(0xD1B5_4A32_D192_ED03),
    )
}

pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_move_content_and_replicate_edges() {
        // One 2-channel 5x5 image with a single bright pixel in the middle of channel 0.
        let mut image = vec![0.0; 2 * 25];
        image[12] = 1.0;
        image[25 + 12] = 0.5;
        let mut seen = std::collections::HashSet::new();
        for seed in 0..200 {
            let mut shifted = image.clone();
            random_shift(&mut shifted, 2, 5, 5, 1, seed);
            let at = shifted[..25].iter().position(|&v| v == 1.0).unwrap();
            let (y, x) = (at / 5, at % 5);
            assert!((1..=3).contains(&y) && (1..=3).contains(&x), "{seed}: {at}");
            // Both channels move together; nothing is lost or duplicated in the middle.
            assert_eq!(shifted[25 + at], 0.5);
            assert_eq!(shifted.iter().filter(|&&v| v > 0.0).count(), 2);
            seen.insert(at);
        }
        assert_eq!(seen.len(), 9, "every offset in [-1, 1]^2 occurs");
        // The edge is replicated: a bright left column stays bright after a right shift.
        let mut column: Vec<f32> = (0..9).map(|p| if p % 3 == 0 { 1.0 } else { 0.0 }).collect();
        let original = column.clone();
        let seed = (0..)
            .find(|&s| {
                let mut c = original.clone();
                random_shift(&mut c, 1, 3, 3, 1, s);
                c[1] == 1.0 && c[0] == 1.0 && c[3] == 1.0
            })
            .unwrap();
        random_shift(&mut column, 1, 3, 3, 1, seed);
        assert_eq!(column, vec![1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
        // Deterministic; no-op at 0.
        let (mut a, mut b) = (image.clone(), image.clone());
        random_shift(&mut a, 2, 5, 5, 2, 7);
        random_shift(&mut b, 2, 5, 5, 2, 7);
        assert_eq!(a, b);
        let mut c = image.clone();
        random_shift(&mut c, 2, 5, 5, 0, 7);
        assert_eq!(c, image);
        assert_ne!(step_seed(1, 0, 1, 0), step_seed(1, 1, 0, 0));
        assert_ne!(step_seed(1, 0, 0, 0), step_seed(1, 0, 0, 1));
    }

    #[test]
    fn colour_is_an_affine_map_per_channel_with_both_polarities() {
        // 200 images of 3 channels of 4 pixels: 0, 1, 2, 3 in every channel.
        let (channels, plane, count) = (3, 4, 200);
        let image: Vec<f32> = (0..channels * plane).map(|p| (p % plane) as f32).collect();
        let original: Vec<f32> = image.repeat(count);
        let mut pixels = original.clone();
        random_colour(&mut pixels, channels, plane, 11);
        let (mut flipped, mut tinted) = (0, 0);
        for (i, channel) in pixels.chunks(plane).enumerate() {
            // v -> a v + b: b is the value at 0, a the step, the same at every pixel.
            let (b, a) = (channel[0], channel[1] - channel[0]);
            for (p, &v) in channel.iter().enumerate() {
                assert!(
                    (v - (a * p as f32 + b)).abs() < 1e-5,
                    "channel {i} pixel {p}"
                );
            }
            assert!(
                (1.0 - COLOUR_GAIN..=1.0 + COLOUR_GAIN).contains(&a.abs()),
                "gain {a}"
            );
            assert!(b.abs() <= COLOUR_OFFSET, "offset {b}");
            flipped += usize::from(a < 0.0);
            // The three channels of an image get different maps.
            if i % channels == 1 {
                tinted += usize::from((channel[1] - pixels[(i - 1) * plane + 1]).abs() > 1e-3);
            }
        }
        let total = channels * count;
        assert!(
            (total / 3..2 * total / 3).contains(&flipped),
            "{flipped} of {total} flipped"
        );
        assert!(tinted > count * 9 / 10, "{tinted} of {count} images tinted");
        // Deterministic per seed; another seed draws other maps.
        let mut again = original.clone();
        random_colour(&mut again, channels, plane, 11);
        assert_eq!(again, pixels);
        let mut other = original.clone();
        random_colour(&mut other, channels, plane, 12);
        assert_ne!(other, pixels);
    }
}
