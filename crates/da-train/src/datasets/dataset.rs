//! An in-memory labelled image dataset.

use burn::tensor::{Element, Int, Tensor, TensorData, backend::Backend};

/// Images with integer labels, all of one size.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Pixels, `N x C x H x W` row-major, in `[0, 1]`, white digit on black.
    pub images: Vec<f32>,
    /// Label of each image, an index into `classes`.
    pub labels: Vec<usize>,
    /// Channels per image.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Class names; label `i` is `classes[i]`.
    pub classes: Vec<String>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The images and labels at `indices`, as tensors.
    ///
    /// # Shapes
    /// - images: `[indices.len(), channels, height, width]`
    /// - labels: `[indices.len()]`
    pub fn batch<B: Backend>(
        &self,
        indices: &[usize],
        device: &B::Device,
    ) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
        self.augmented_batch(indices, 0, false, 0, device)
    }

    /// [`Dataset::batch`] with every image translated by a random offset of up to `max_shift`
    /// pixels ([`random_shift`](super::augment::random_shift)) and, when `colour`, recoloured
    /// ([`random_colour`](super::augment::random_colour)), both drawn from `seed`.
    pub fn augmented_batch<B: Backend>(
        &self,
        indices: &[usize],
        max_shift: usize,
        colour: bool,
        seed: u64,
        device: &B::Device,
    ) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
        self.augmented_rows(indices, 0..indices.len(), max_shift, colour, seed, device)
    }

    /// [`Dataset::augmented_batch`] of which only the images of `rows` (positions in
    /// `indices`) are uploaded: the same pixels as those rows of the whole batch (the
    /// augmentation is drawn for the whole batch), and the labels of the whole batch. A device
    /// of a data-parallel run takes its slice this way.
    ///
    /// # Shapes
    /// - images: `[rows.len(), channels, height, width]`
    /// - labels: `[indices.len()]`
    pub fn augmented_rows<B: Backend>(
        &self,
        indices: &[usize],
        rows: std::ops::Range<usize>,
        max_shift: usize,
        colour: bool,
        seed: u64,
        device: &B::Device,
    ) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
        let size = self.image_len();
        let mut pixels = Vec::with_capacity(indices.len() * size);
        for &i in indices {
            pixels.extend_from_slice(&self.images[i * size..(i + 1) * size]);
        }
        super::augment::random_shift(
            &mut pixels,
            self.channels,
            self.height,
            self.width,
            max_shift,
            seed,
        );
        if colour {
            super::augment::random_colour(
                &mut pixels,
                self.channels,
                self.height * self.width,
                seed,
            );
        }
        let shape = [rows.len(), self.channels, self.height, self.width];
        // Keep only the rows asked for, in place (no copy when they are the whole batch).
        pixels.truncate(rows.end * size);
        pixels.drain(..rows.start * size);
        let images = Tensor::from_data(
            TensorData::new(pixels, shape),
            (device, <B::FloatElem as Element>::dtype()),
        );
        let labels: Vec<i64> = indices.iter().map(|&i| self.labels[i] as i64).collect();
        let labels = Tensor::from_data(TensorData::new(labels, [indices.len()]), device);
        (images, labels)
    }

    /// At most `count` images, chosen by a seeded shuffle (all of them when there are fewer).
    pub fn subset(&self, count: usize, seed: u64) -> Dataset {
        if count >= self.len() {
            return self.clone();
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        super::shuffle::shuffle(&mut order, seed);
        order.truncate(count);
        order.sort_unstable();
        self.select(&order)
    }

    /// Whether these images are grey: one channel, or channels equal at every pixel (grey
    /// images replicated to 3 by [`Dataset::with_channels`]).
    pub fn is_grey(&self) -> bool {
        let plane = self.height * self.width;
        self.channels == 1
            || plane == 0
            || self.images.chunks(self.channels * plane).all(|image| {
                let (first, rest) = image.split_at(plane);
                rest.chunks(plane).all(|channel| channel == first)
            })
    }

    /// These images with `channels` channels: a grey image is replicated to 3 equal planes, a
    /// colour one becomes its luma `0.299 R + 0.587 G + 0.114 B` (ITU-R BT.601, torchvision's
    /// `Grayscale`). Errors name the counts that cannot be converted.
    pub fn with_channels(self, channels: usize) -> Result<Dataset, String> {
        let plane = self.height * self.width;
        let images = match (self.channels, channels) {
            (from, to) if from == to => return Ok(self),
            (1, 3) => self
                .images
                .chunks(plane)
                .flat_map(|p| p.iter().chain(p).chain(p).copied())
                .collect(),
            (3, 1) => self
                .images
                .chunks(3 * plane)
                .flat_map(|rgb| {
                    (0..plane).map(move |i| {
                        0.299 * rgb[i] + 0.587 * rgb[plane + i] + 0.114 * rgb[2 * plane + i]
                    })
                })
                .collect(),
            (from, to) => {
                return Err(format!(
                    "cannot convert images with {from} channels to {to} (only 1 <-> 3)"
                ));
            }
        };
        Ok(Dataset {
            images,
            channels,
            ..self
        })
    }

    /// These images with every channel `c` mapped to `(v - mean[c]) / std[c]`.
    ///
    /// # Panics
    /// If `mean` or `std` do not have one value per channel.
    pub fn normalized(&self, mean: &[f32], std: &[f32]) -> Dataset {
        assert!(
            mean.len() == self.channels && std.len() == self.channels,
            "normalisation for {} and {} channels of images with {}",
            mean.len(),
            std.len(),
            self.channels
        );
        let plane = self.height * self.width;
        let images = self
            .images
            .chunks(plane.max(1))
            .enumerate()
            .flat_map(|(i, p)| {
                let c = i % self.channels;
                let (m, s) = (mean[c], std[c]);
                p.iter().map(move |v| (v - m) / s)
            })
            .collect();
        Dataset {
            images,
            classes: self.classes.clone(),
            labels: self.labels.clone(),
            ..*self
        }
    }

    /// Per-channel mean and standard deviation over every pixel of `sets` (all with the same
    /// number of channels), accumulated in `f64`.
    pub fn channel_stats(sets: &[&Dataset]) -> (Vec<f64>, Vec<f64>) {
        let channels = sets.first().map_or(0, |d| d.channels);
        let (mut sum, mut sq, mut n) = (
            vec![0.0f64; channels],
            vec![0.0f64; channels],
            vec![0.0f64; channels],
        );
        for d in sets {
            assert_eq!(d.channels, channels, "channel_stats: mixed channel counts");
            let plane = (d.height * d.width).max(1);
            for (i, p) in d.images.chunks(plane).enumerate() {
                let c = i % channels;
                for &v in p {
                    sum[c] += f64::from(v);
                    sq[c] += f64::from(v) * f64::from(v);
                }
                n[c] += p.len() as f64;
            }
        }
        let mean: Vec<f64> = (0..channels).map(|c| sum[c] / n[c].max(1.0)).collect();
        let std = (0..channels)
            .map(|c| (sq[c] / n[c].max(1.0) - mean[c] * mean[c]).max(0.0).sqrt())
            .collect();
        (mean, std)
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let size = self.image_len();
        Dataset {
            images: indices
                .iter()
                .flat_map(|&i| self.images[i * size..(i + 1) * size].iter().copied())
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes.clone(),
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_ndarray::NdArray;

    fn tiny() -> Dataset {
        Dataset {
            images: (0..12).map(|v| v as f32 / 12.0).collect(),
            labels: vec![0, 1, 0],
            channels: 1,
            height: 2,
            width: 2,
            classes: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn batches_gather_images_and_labels() {
        let (images, labels) = tiny().batch::<NdArray>(&[2, 0], &Default::default());
        assert_eq!(images.dims(), [2, 1, 2, 2]);
        let v = images.into_data().to_vec::<f32>().unwrap();
        assert_eq!(v[0], 8.0 / 12.0);
        assert_eq!(v[4], 0.0);
        assert_eq!(
            labels.into_data().convert::<i64>().to_vec::<i64>().unwrap(),
            vec![0, 0]
        );
    }

    #[test]
    fn colour_augmentation_recolours_each_channel_of_the_batch() {
        let colour = tiny().with_channels(3).unwrap();
        let device = Default::default();
        let plain = colour.batch::<NdArray>(&[0, 1, 2], &device).0;
        let recoloured = colour
            .augmented_batch::<NdArray>(&[0, 1, 2], 0, true, 5, &device)
            .0;
        let again = colour
            .augmented_batch::<NdArray>(&[0, 1, 2], 0, true, 5, &device)
            .0;
        let (plain, recoloured) = (
            plain.into_data().to_vec::<f32>().unwrap(),
            recoloured.into_data().to_vec::<f32>().unwrap(),
        );
        assert_eq!(recoloured, again.into_data().to_vec::<f32>().unwrap());
        // The grey images come out with channels that differ.
        let mut expected = plain.clone();
        crate::datasets::augment::random_colour(&mut expected, 3, 4, 5);
        assert_eq!(recoloured, expected);
        assert!(recoloured[..4] != recoloured[4..8]);
    }

    #[test]
    fn subsets_are_seeded() {
        let d = tiny();
        assert_eq!(d.subset(2, 7), d.subset(2, 7));
        assert_eq!(d.subset(2, 7).len(), 2);
        assert_eq!(d.subset(10, 7), d);
    }

    #[test]
    fn channels_convert_between_grey_and_colour() {
        let grey = tiny();
        let colour = grey.clone().with_channels(3).unwrap();
        assert_eq!((colour.channels, colour.images.len()), (3, 36));
        assert_eq!(&colour.images[..4], &grey.images[..4]);
        assert_eq!(&colour.images[4..8], &grey.images[..4]);
        assert_eq!(&colour.images[12..16], &grey.images[4..8]);
        // Luma of replicated grey is the grey (the weights sum to 1).
        let back = colour.with_channels(1).unwrap();
        for (a, b) in back.images.iter().zip(&grey.images) {
            assert!((a - b).abs() < 1e-6);
        }
        let red = Dataset {
            images: vec![1.0, 0.0, 0.0],
            labels: vec![0],
            channels: 3,
            height: 1,
            width: 1,
            classes: vec!["a".into()],
        };
        assert!((red.clone().with_channels(1).unwrap().images[0] - 0.299).abs() < 1e-6);
        // Grey: one channel or equal channels; the red pixel is colour.
        assert!(grey.is_grey() && grey.clone().with_channels(3).unwrap().is_grey());
        assert!(!red.is_grey());
        let err = tiny().with_channels(2).unwrap_err();
        assert!(err.contains("1 channels to 2"), "{err}");
    }

    #[test]
    fn statistics_and_normalisation_per_channel() {
        let colour = tiny()
            .with_channels(3)
            .unwrap()
            .normalized(&[0.0, 0.5, 1.0], &[1.0, 1.0, 2.0]);
        let (mean, std) = Dataset::channel_stats(&[&tiny()]);
        let expected_mean = (0..12).map(|v| v as f64 / 12.0).sum::<f64>() / 12.0;
        assert!((mean[0] - expected_mean).abs() < 1e-6);
        let (m3, s3) = Dataset::channel_stats(&[&colour]);
        assert!((m3[0] - expected_mean).abs() < 1e-6, "{m3:?}");
        assert!((m3[1] - (expected_mean - 0.5)).abs() < 1e-6, "{m3:?}");
        assert!((m3[2] - (expected_mean - 1.0) / 2.0).abs() < 1e-6, "{m3:?}");
        assert!((s3[0] - std[0]).abs() < 1e-6 && (s3[2] - std[0] / 2.0).abs() < 1e-6);
        // Normalising by a set's own statistics gives mean 0 and deviation 1.
        let m: Vec<f32> = mean.iter().map(|&v| v as f32).collect();
        let s: Vec<f32> = std.iter().map(|&v| v as f32).collect();
        let (m0, s0) = Dataset::channel_stats(&[&tiny().normalized(&m, &s)]);
        assert!(
            m0[0].abs() < 1e-6 && (s0[0] - 1.0).abs() < 1e-5,
            "{m0:?} {s0:?}"
        );
    }
}
