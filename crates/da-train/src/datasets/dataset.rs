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
        let size = self.image_len();
        let mut pixels = Vec::with_capacity(indices.len() * size);
        for &i in indices {
            pixels.extend_from_slice(&self.images[i * size..(i + 1) * size]);
        }
        let shape = [indices.len(), self.channels, self.height, self.width];
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
    fn subsets_are_seeded() {
        let d = tiny();
        assert_eq!(d.subset(2, 7), d.subset(2, 7));
        assert_eq!(d.subset(2, 7).len(), 2);
        assert_eq!(d.subset(10, 7), d);
    }
}
