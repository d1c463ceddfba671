//! The two domains as burn-dataset [`Dataset`]s and the [`Batcher`]s that turn their items into
//! tensors: [`DomainPairDataset`] pairs every labelled source image with an unlabelled target
//! image, so that burn's one-input [`DataLoader`](burn::data::dataloader::DataLoader) yields the
//! (source, target) batch pair that burn-train's one-input `TrainStep` receives.
use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::{Element, Int, Tensor, TensorData, backend::Backend};

/// One image of a da-train set: its pixels (`channels x height x width`) and its label.
#[derive(Clone, Debug)]
pub struct ImageItem {
    /// Pixels, row-major.
    pub pixels: Vec<f32>,
    /// Class index.
    pub label: usize,
}

/// A da-train image set (`da_train::datasets::Dataset`, in memory) seen as a burn-dataset.
#[derive(Clone, Debug)]
pub struct ImageDataset {
    images: Arc<da_train::datasets::Dataset>,
}

impl ImageDataset {
    /// Wraps `images`.
    pub fn new(images: da_train::datasets::Dataset) -> Self {
        Self {
            images: Arc::new(images),
        }
    }

    /// `[channels, height, width]` of every image.
    pub fn image_shape(&self) -> [usize; 3] {
        let d = &self.images;
        [d.channels, d.height, d.width]
    }
}

impl Dataset<ImageItem> for ImageDataset {
    fn get(&self, index: usize) -> Option<ImageItem> {
        let d = &self.images;
        let size = d.image_len();
        let label = *d.labels.get(index)?;
        let pixels = d.images[index * size..(index + 1) * size].to_vec();
        Some(ImageItem { pixels, label })
    }

    fn len(&self) -> usize {
        self.images.len()
    }
}

/// A labelled source image and an unlabelled target image.
#[derive(Clone, Debug)]
pub struct DomainPairItem {
    /// The source image and its label.
    pub source: ImageItem,
    /// The target image; its label is never read.
    pub target: ImageItem,
}

/// Item `i` is source image `i` with target image `order[i % target.len()]`, `order` a seeded
/// permutation of the target: an epoch is one pass over the source, the target is cycled. The
/// loader's shuffle then mixes both sides, so every batch holds a random set of target images.
#[derive(Clone, Debug)]
pub struct DomainPairDataset {
    source: ImageDataset,
    target: ImageDataset,
    order: Vec<usize>,
}

impl DomainPairDataset {
    /// Pairs `source` with `target` (the target order drawn from `seed`).
    ///
    /// # Panics
    /// When the target is empty or the two image shapes differ.
    pub fn new(source: ImageDataset, target: ImageDataset, seed: u64) -> Self {
        assert!(!target.is_empty(), "the target set is empty");
        assert_eq!(
            source.image_shape(),
            target.image_shape(),
            "image shapes differ"
        );
        let mut order: Vec<usize> = (0..target.len()).collect();
        let mut state = seed;
        for i in (1..order.len()).rev() {
            // SplitMix64, enough for a reproducible Fisher-Yates shuffle.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            order.swap(i, ((z ^ (z >> 31)) % (i as u64 + 1)) as usize);
        }
        Self {
            source,
            target,
            order,
        }
    }
}

impl Dataset<DomainPairItem> for DomainPairDataset {
    fn get(&self, index: usize) -> Option<DomainPairItem> {
        let source = self.source.get(index)?;
        let target = self.target.get(self.order[index % self.order.len()])?;
        Some(DomainPairItem { source, target })
    }

    fn len(&self) -> usize {
        self.source.len()
    }
}

/// Images `[batch, channels, height, width]` and labels `[batch]`.
#[derive(Clone, Debug)]
pub struct ImageBatch<B: Backend> {
    /// The images.
    pub images: Tensor<B, 4>,
    /// Their labels.
    pub labels: Tensor<B, 1, Int>,
}

/// The input of one training step: a labelled source batch and an unlabelled target batch.
#[derive(Clone, Debug)]
pub struct DomainPairBatch<B: Backend> {
    /// Source images `[batch, channels, height, width]`.
    pub source_images: Tensor<B, 4>,
    /// Source labels `[batch]`.
    pub source_labels: Tensor<B, 1, Int>,
    /// Target images `[batch, channels, height, width]`.
    pub target_images: Tensor<B, 4>,
}

/// Stacks [`ImageItem`]s (validation) and [`DomainPairItem`]s (training) into tensors.
#[derive(Clone, Debug)]
pub struct ImageBatcher {
    shape: [usize; 3],
}

impl ImageBatcher {
    /// A batcher of images of `shape` (`[channels, height, width]`).
    pub fn new(shape: [usize; 3]) -> Self {
        Self { shape }
    }

    fn images<'a, B: Backend>(
        &self,
        items: impl ExactSizeIterator<Item = &'a ImageItem>,
        device: &B::Device,
    ) -> Tensor<B, 4> {
        let [c, h, w] = self.shape;
        let n = items.len();
        let pixels: Vec<f32> = items.flat_map(|i| i.pixels.iter().copied()).collect();
        Tensor::from_data(
            TensorData::new(pixels, [n, c, h, w]),
            (device, <B::FloatElem as Element>::dtype()),
        )
    }

    fn labels<'a, B: Backend>(
        items: impl ExactSizeIterator<Item = &'a ImageItem>,
        device: &B::Device,
    ) -> Tensor<B, 1, Int> {
        let labels: Vec<i64> = items.map(|i| i.label as i64).collect();
        let n = labels.len();
        Tensor::from_data(TensorData::new(labels, [n]), device)
    }
}

impl<B: Backend> Batcher<B, ImageItem, ImageBatch<B>> for ImageBatcher {
    fn batch(&self, items: Vec<ImageItem>, device: &B::Device) -> ImageBatch<B> {
        ImageBatch {
            images: self.images(items.iter(), device),
            labels: Self::labels(items.iter(), device),
        }
    }
}

impl<B: Backend> Batcher<B, DomainPairItem, DomainPairBatch<B>> for ImageBatcher {
    fn batch(&self, items: Vec<DomainPairItem>, device: &B::Device) -> DomainPairBatch<B> {
        DomainPairBatch {
            source_images: self.images(items.iter().map(|p| &p.source), device),
            source_labels: Self::labels(items.iter().map(|p| &p.source), device),
            target_images: self.images(items.iter().map(|p| &p.target), device),
        }
    }
}
