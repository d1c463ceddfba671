//! Geometric normalisation of grey digit images: cropping each image to the bounding box of its
//! ink before it is padded to a square and resampled.
//!
//! The digit sets were framed differently by their makers: MNIST centres a 20x20 digit by its
//! centre of mass in a 28x28 frame, so a quarter of each side is empty, while MFEAT and
//! OPTDIGITS scaled each digit to fill its box. Resampled as they are, the same digit is about
//! 30 % smaller in MNIST than in the others, a shift that no feature alignment undoes. Cropping
//! every grey image to its ink first gives every domain the same framing (measured on the main
//! job, MNIST -> MFEAT: README "Results").

use serde::{Deserialize, Serialize};

/// A pixel is ink when it is above this fraction of its image's largest value.
pub const INK_THRESHOLD: f32 = 0.25;

/// How images are framed before they are padded to a square and resampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Crop {
    /// Each grey image (built-in digits, IDX and CSV files) cropped to the bounding box of its
    /// ink (pixels above [`INK_THRESHOLD`] of the image's maximum); colour and image-folder
    /// images, where ink cannot be told from background, are kept whole.
    #[default]
    Ink,
    /// Images as stored.
    None,
}

impl Crop {
    /// The `(pixels, height, width)` of one grey channel after the crop (the input itself when
    /// nothing is cropped or the image has no ink).
    pub fn apply(self, pixels: &[f32], height: usize, width: usize) -> (Vec<f32>, usize, usize) {
        let whole = (pixels.to_vec(), height, width);
        if self == Crop::None {
            return whole;
        }
        let max = pixels.iter().copied().fold(0.0f32, f32::max);
        if max <= 0.0 {
            return whole;
        }
        let threshold = INK_THRESHOLD * max;
        let (mut top, mut bottom, mut left, mut right) = (height, 0, width, 0);
        for y in 0..height {
            for x in 0..width {
                if pixels[y * width + x] > threshold {
                    top = top.min(y);
                    bottom = bottom.max(y);
                    left = left.min(x);
                    right = right.max(x);
                }
            }
        }
        if top > bottom {
            return whole;
        }
        let (h, w) = (bottom - top + 1, right - left + 1);
        let mut out = Vec::with_capacity(h * w);
        for y in top..=bottom {
            out.extend_from_slice(&pixels[y * width + left..y * width + right + 1]);
        }
        (out, h, w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_to_the_ink_and_keeps_faint_pixels_out() {
        // 4x5 with ink at rows 1-2, columns 1-3, and a faint pixel at (3, 4).
        #[rustfmt::skip]
        let image = [
            0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 1.0, 0.5, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.8, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.2,
        ];
        let (out, h, w) = Crop::Ink.apply(&image, 4, 5);
        assert_eq!((h, w), (2, 3));
        assert_eq!(out, [1.0, 0.5, 0.0, 0.0, 0.0, 0.8]);
        assert_eq!(Crop::None.apply(&image, 4, 5), (image.to_vec(), 4, 5));
    }

    #[test]
    fn an_image_without_ink_is_kept_whole() {
        let blank = [0.0; 6];
        assert_eq!(Crop::Ink.apply(&blank, 2, 3), (blank.to_vec(), 2, 3));
    }
}
