//! Image resampling to a common size: a separable triangle (bilinear) filter that widens its
//! support when shrinking, so downscaling averages instead of aliasing (as PIL's `BILINEAR`).

/// Weights of the output positions along one axis: for each output index, `(first input index,
/// weights)`, the weights summing to 1.
fn axis_weights(input: usize, output: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = input as f64 / output as f64;
    let support = scale.max(1.0);
    (0..output)
        .map(|o| {
            let centre = (o as f64 + 0.5) * scale;
            let first = ((centre - support).floor().max(0.0)) as usize;
            let last = ((centre + support).ceil() as usize).min(input);
            let weights: Vec<f64> = (first..last)
                .map(|i| (1.0 - ((i as f64 + 0.5 - centre) / support).abs()).max(0.0))
                .collect();
            let total: f64 = weights.iter().sum();
            (first, weights.iter().map(|w| (w / total) as f32).collect())
        })
        .collect()
}

/// Resamples one `height x width` channel to `out_h x out_w`.
pub fn resize(pixels: &[f32], height: usize, width: usize, out_h: usize, out_w: usize) -> Vec<f32> {
    if (height, width) == (out_h, out_w) {
        return pixels.to_vec();
    }
    let (wx, wy) = (axis_weights(width, out_w), axis_weights(height, out_h));
    let mut rows = vec![0.0f32; height * out_w];
    for y in 0..height {
        for (x, (first, weights)) in wx.iter().enumerate() {
            rows[y * out_w + x] = weights
                .iter()
                .enumerate()
                .map(|(k, w)| w * pixels[y * width + first + k])
                .sum();
        }
    }
    let mut out = vec![0.0f32; out_h * out_w];
    for (y, (first, weights)) in wy.iter().enumerate() {
        for x in 0..out_w {
            out[y * out_w + x] = weights
                .iter()
                .enumerate()
                .map(|(k, w)| w * rows[(first + k) * out_w + x])
                .sum();
        }
    }
    out
}

/// Pads a `height x width` channel with zeros to a centred square.
pub fn pad_square(pixels: &[f32], height: usize, width: usize) -> (Vec<f32>, usize) {
    let side = height.max(width);
    let (top, left) = ((side - height) / 2, (side - width) / 2);
    let mut out = vec![0.0; side * side];
    for y in 0..height {
        out[(y + top) * side + left..(y + top) * side + left + width]
            .copy_from_slice(&pixels[y * width..(y + 1) * width]);
    }
    (out, side)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_image_stays_constant() {
        for (h, w, oh, ow) in [
            (28, 28, 16, 16),
            (8, 8, 16, 16),
            (16, 15, 28, 28),
            (5, 7, 3, 11),
        ] {
            let out = resize(&vec![0.37; h * w], h, w, oh, ow);
            assert_eq!(out.len(), oh * ow);
            assert!(
                out.iter().all(|v| (v - 0.37).abs() < 1e-6),
                "{h}x{w} -> {oh}x{ow}"
            );
        }
    }

    #[test]
    fn halving_averages_blocks_and_mass_is_kept() {
        let pixels: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let out = resize(&pixels, 4, 4, 2, 2);
        let mean_in: f32 = pixels.iter().sum::<f32>() / 16.0;
        let mean_out: f32 = out.iter().sum::<f32>() / 4.0;
        assert!((mean_in - mean_out).abs() < 1e-4);
        assert!(out[0] < out[1] && out[1] < out[2] && out[2] < out[3]);
    }

    #[test]
    fn padding_centres_the_image() {
        let (out, side) = pad_square(&[1.0; 6], 3, 2);
        assert_eq!(side, 3);
        assert_eq!(out, vec![1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
    }
}
