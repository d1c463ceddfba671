//! The whole network: feature extractor, bottleneck and classifier.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Tensor, backend::Backend};

use crate::arch::Arch;
use crate::bottleneck::{Bottleneck, BottleneckConfig};
use crate::classifier::{Classifier, ClassifierConfig};
use crate::conv_algorithm::ConvAlgorithm;
use crate::error::ModelError;
use crate::extractor::{FeatureExtractor, FeatureExtractorConfig};
use crate::output::DaOutput;

/// Configuration of a [`DaNet`]: `extractor -> flatten -> bottleneck (Linear, ReLU, dropout) ->
/// classifier (Linear)`.
///
/// | field | default | purpose | range |
/// |---|---|---|---|
/// | `arch` | [`Arch::Lenet`] | conv blocks of the extractor | |
/// | `in_channels` | `1` | image channels | >= 1 |
/// | `height`, `width` | `16` | image size | >= [`Arch::min_input_side`] |
/// | `num_classes` | `10` | classes | >= 1 |
/// | `bottleneck` | `256` | feature width ([`feature_dim`](Self::feature_dim)) | >= 1 |
/// | `dropout` | `0.0` | dropout after the bottleneck's ReLU, training only | `[0, 1)` |
/// | `conv` | [`ConvAlgorithm::Host`] | how convolutions are computed (same parameters); `Host` also puts the fully connected layers on da-models' CPU kernel | |
///
/// The width of the flattened extractor output, the bottleneck's input, is computed from the
/// input size ([`flat_dim`](Self::flat_dim)). Presets: [`lenet`](Self::lenet) (= `new()`),
/// [`net_only`](Self::net_only), [`wide`](Self::wide).
///
/// ```
/// use burn::tensor::{Distribution, Tensor};
/// use burn_ndarray::NdArray;
/// use da_models::{DaNetConfig, MmdOn};
///
/// let device = Default::default();
/// let config = DaNetConfig::lenet().with_height(28).with_width(28);
/// let model = config.init::<NdArray>(&device);
/// let images = Tensor::<NdArray, 4>::random([4, 1, 28, 28], Distribution::Default, &device);
/// let output = model.forward(images);
/// assert_eq!(output.features.dims(), [4, 256]);
/// assert_eq!(MmdOn::Logits.select(&output).dims(), [4, 10]);
/// ```
#[derive(Config, Debug)]
pub struct DaNetConfig {
    /// The preset feature extractor.
    #[config(default = "Arch::Lenet")]
    pub arch: Arch,
    /// Channels of the input images.
    #[config(default = 1)]
    pub in_channels: usize,
    /// Height of the input images.
    #[config(default = 16)]
    pub height: usize,
    /// Width of the input images.
    #[config(default = 16)]
    pub width: usize,
    /// Number of classes.
    #[config(default = 10)]
    pub num_classes: usize,
    /// Width of the bottleneck, i.e. of the features.
    #[config(default = 256)]
    pub bottleneck: usize,
    /// Dropout probability after the bottleneck's ReLU (training only).
    #[config(default = 0.0)]
    pub dropout: f64,
    /// How the convolutions are computed; [`ConvAlgorithm::Native`] suits GPU backends. With
    /// [`ConvAlgorithm::Host`] the bottleneck and the classifier run on da-models' CPU kernel
    /// too ([`BottleneckConfig::host_kernels`]), otherwise on burn's `Linear`.
    #[config(default = "ConvAlgorithm::Host")]
    pub conv: ConvAlgorithm,
}

impl DaNetConfig {
    /// The preset for `arch` with its canonical input: 1x16x16 digits with 10 classes for
    /// [`Arch::Lenet`] and [`Arch::Wide`]; for [`Arch::NetOnly`] the seed's 3x128x128 images
    /// with 5 classes; for the networks of the literature ([`Arch::TllibLenet`],
    /// [`Arch::DannDigits`], [`Arch::Dtn`]) their source's input side
    /// ([`Arch::default_side`]: 1x28x28 or 1x32x32), 10 classes and bottleneck
    /// ([`Arch::default_bottleneck`]); for [`Arch::Resnet10`] 3x64x64 photos with 10 classes.
    /// The others use a 256-wide bottleneck; none has dropout.
    pub fn preset(arch: Arch) -> Self {
        let config = Self::new().with_arch(arch);
        match arch {
            Arch::Lenet | Arch::Wide => config,
            Arch::NetOnly => config
                .with_in_channels(3)
                .with_height(128)
                .with_width(128)
                .with_num_classes(5),
            Arch::TllibLenet | Arch::DannDigits | Arch::Dtn => config
                .with_height(arch.default_side())
                .with_width(arch.default_side())
                .with_bottleneck(arch.default_bottleneck()),
            Arch::Resnet10 => config
                .with_in_channels(3)
                .with_height(arch.default_side())
                .with_width(arch.default_side()),
        }
    }

    /// LeNet-style digits network for 1x16x16 images and 10 classes (the same as `new()`).
    pub fn lenet() -> Self {
        Self::preset(Arch::Lenet)
    }

    /// The seed's `Net_only`: 3x128x128 images, conv 32/64/64 with batch-norm and max-pool,
    /// fully connected `1024 -> 256` (+ ReLU) as the bottleneck and `256 -> 5` as the
    /// classifier.
    pub fn net_only() -> Self {
        Self::preset(Arch::NetOnly)
    }

    /// The wider CNN (64/128/256 channels with batch-norm) for 1x16x16 images and 10 classes;
    /// set `in_channels` to 3 for RGB.
    pub fn wide() -> Self {
        Self::preset(Arch::Wide)
    }

    /// The extractor part of this configuration.
    pub fn extractor(&self) -> FeatureExtractorConfig {
        FeatureExtractorConfig::new()
            .with_arch(self.arch)
            .with_in_channels(self.in_channels)
            .with_height(self.height)
            .with_width(self.width)
            .with_conv(self.conv)
    }

    /// The width of the flattened extractor output for the configured input size.
    ///
    /// # Errors
    /// As [`FeatureExtractorConfig::output_shape`].
    pub fn flat_dim(&self) -> Result<usize, ModelError> {
        self.extractor().flat_dim()
    }

    /// Width of the features ([`DaOutput::features`]), the bottleneck width.
    pub fn feature_dim(&self) -> usize {
        self.bottleneck
    }

    /// Number of classes ([`DaOutput::logits`] width).
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// Checks every value without building anything.
    ///
    /// # Errors
    /// The first of: [`ModelError::InvalidInChannels`], [`ModelError::InvalidNumClasses`],
    /// [`ModelError::InvalidBottleneck`], [`ModelError::InvalidDropout`],
    /// [`ModelError::InputTooSmall`].
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.in_channels == 0 {
            return Err(ModelError::InvalidInChannels(self.in_channels));
        }
        if self.num_classes == 0 {
            return Err(ModelError::InvalidNumClasses(self.num_classes));
        }
        if self.bottleneck == 0 {
            return Err(ModelError::InvalidBottleneck(self.bottleneck));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ModelError::InvalidDropout(self.dropout));
        }
        self.flat_dim().map(|_| ())
    }

    /// Checks the configuration and builds the network.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> Result<DaNet<B>, ModelError> {
        self.validate()?;
        let extractor = self.extractor().try_init(device)?;
        let host_kernels = self.conv == ConvAlgorithm::Host;
        let bottleneck = BottleneckConfig::new(extractor.flat_dim())
            .with_width(self.bottleneck)
            .with_dropout(self.dropout)
            .with_host_kernels(host_kernels)
            .try_init(device)?;
        let classifier = ClassifierConfig::new(self.bottleneck, self.num_classes)
            .with_host_kernels(host_kernels)
            .try_init(device)?;
        Ok(DaNet {
            extractor,
            bottleneck,
            classifier,
        })
    }

    /// Builds the network.
    ///
    /// # Panics
    /// With the message of the [`ModelError`] that [`try_init`](Self::try_init) returns, e.g.
    /// `num_classes must be at least 1, got 0`.
    pub fn init<B: Backend>(&self, device: &B::Device) -> DaNet<B> {
        self.try_init(device).unwrap_or_else(|err| panic!("{err}"))
    }
}

/// Feature extractor, bottleneck and classifier, built by [`DaNetConfig`].
///
/// Train it on an autodiff backend (batch-norm uses batch statistics and updates its running
/// ones, dropout is active); `model.valid()` gives the inference model (running statistics, no
/// dropout). Being a [`Module`], it works with burn's optimizers and recorders.
#[derive(Module, Debug)]
pub struct DaNet<B: Backend> {
    /// The convolutional feature extractor.
    pub extractor: FeatureExtractor<B>,
    /// The bottleneck, whose output is [`DaOutput::features`].
    pub bottleneck: Bottleneck<B>,
    /// The classifier, whose output is [`DaOutput::logits`].
    pub classifier: Classifier<B>,
}

impl<B: Backend> DaNet<B> {
    /// Features and logits for a batch of images.
    ///
    /// # Shapes
    /// - `images`: `[batch_size, in_channels, height, width]`
    /// - `features`: `[batch_size, feature_dim]`
    /// - `logits`: `[batch_size, num_classes]`
    ///
    /// # Panics
    /// If the images do not have the configured channels, height and width.
    pub fn forward(&self, images: Tensor<B, 4>) -> DaOutput<B> {
        let features = self.bottleneck.forward(self.extractor.forward(images));
        let logits = self.classifier.forward(features.clone());
        DaOutput { features, logits }
    }

    /// Width of [`DaOutput::features`].
    pub fn feature_dim(&self) -> usize {
        self.bottleneck.width()
    }

    /// Width of [`DaOutput::logits`].
    pub fn num_classes(&self) -> usize {
        self.classifier.num_classes()
    }

    /// Width of the flattened extractor output (the bottleneck's input).
    pub fn flat_dim(&self) -> usize {
        self.extractor.flat_dim()
    }

    /// `[channels, height, width]` of the images the network takes.
    pub fn input_shape(&self) -> [usize; 3] {
        self.extractor.input_shape()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::AutodiffModule;
    use burn::nn::loss::CrossEntropyLossConfig;
    use burn::optim::{AdamConfig, GradientsParams, Optimizer};
    use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
    use burn::tensor::{Distribution, Int, Tolerance};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type TestBackend = NdArray<f32>;
    type TrainBackend = Autodiff<TestBackend>;

    fn images<B: Backend>(config: &DaNetConfig, batch: usize, device: &B::Device) -> Tensor<B, 4> {
        Tensor::random(
            [batch, config.in_channels, config.height, config.width],
            Distribution::Normal(0.0, 1.0),
            device,
        )
    }

    fn assert_shapes(config: DaNetConfig, flat_dim: usize) {
        let device = Default::default();
        let model = config.init::<TestBackend>(&device);
        assert_eq!(model.flat_dim(), flat_dim, "{config:?}");
        assert_eq!(config.flat_dim(), Ok(flat_dim));
        assert_eq!(model.feature_dim(), config.feature_dim());
        assert_eq!(model.num_classes(), config.num_classes());
        assert_eq!(
            model.input_shape(),
            [config.in_channels, config.height, config.width]
        );
        let output = model.forward(images(&config, 3, &device));
        assert_eq!(output.features.dims(), [3, config.bottleneck]);
        assert_eq!(output.logits.dims(), [3, config.num_classes]);
    }

    #[test]
    fn lenet_shapes() {
        assert_shapes(DaNetConfig::lenet(), 1024);
        assert_shapes(DaNetConfig::lenet().with_height(28).with_width(28), 3136);
        assert_shapes(
            DaNetConfig::lenet()
                .with_width(15)
                .with_bottleneck(64)
                .with_num_classes(4),
            64 * 4 * 3,
        );
        assert_shapes(DaNetConfig::lenet().with_height(8).with_width(8), 256);
    }

    #[test]
    fn net_only_shapes_match_the_seed() {
        // Seed: 3x128x128 -> ... -> 64x4x4 = 1024 -> fc 256 -> fc 5.
        let config = DaNetConfig::net_only();
        assert_eq!(
            (
                config.in_channels,
                config.height,
                config.width,
                config.num_classes
            ),
            (3, 128, 128, 5)
        );
        let device = Default::default();
        let model = config.init::<TestBackend>(&device);
        let output = model.forward(images(&config, 2, &device));
        assert_eq!(output.logits.dims(), [2, 5]);
        assert_eq!(output.features.dims(), [2, 256]);
        assert_eq!(model.flat_dim(), 1024);
        let map = model.extractor.forward_map(images(&config, 2, &device));
        assert_eq!(map.dims(), [2, 64, 4, 4]);
        assert_eq!(model.extractor.blocks.len(), 3);
        assert!(model.extractor.blocks.iter().all(|b| b.norm.is_some()));
    }

    #[test]
    fn wide_shapes() {
        assert_shapes(DaNetConfig::wide(), 1024);
        assert_shapes(
            DaNetConfig::wide()
                .with_in_channels(3)
                .with_height(28)
                .with_width(28),
            2304,
        );
    }

    #[test]
    fn literature_digit_network_shapes() {
        // tllib LeNet: 28 -> 24 -> 12 -> 8 -> 4: 50 * 4 * 4; DANN: 48 * 4 * 4; DTN: 32 -> 16 ->
        // 8 -> 4: 256 * 4 * 4; each in grey and colour.
        for (arch, flat, bottleneck) in [
            (Arch::TllibLenet, 800, 500),
            (Arch::DannDigits, 768, 100),
            (Arch::Dtn, 4096, 512),
        ] {
            for channels in [1, 3] {
                let config = DaNetConfig::preset(arch).with_in_channels(channels);
                assert_eq!(config.feature_dim(), bottleneck, "{arch}");
                assert_shapes(config, flat);
            }
        }
    }

    #[test]
    fn impossible_configs_are_errors_that_name_the_values() {
        let device = Default::default();
        let cases = [
            (
                DaNetConfig::lenet().with_num_classes(0),
                "num_classes must be at least 1, got 0",
            ),
            (
                DaNetConfig::wide().with_in_channels(0),
                "in_channels must be at least 1, got 0",
            ),
            (
                DaNetConfig::lenet().with_bottleneck(0),
                "the bottleneck width must be at least 1, got 0",
            ),
            (
                DaNetConfig::lenet().with_dropout(1.0),
                "dropout must be a probability in [0, 1), got 1",
            ),
            (
                DaNetConfig::net_only().with_height(16).with_width(16),
                "a 16x16 input is too small for the net_only extractor: conv block 3 would output \
                 a 0x0 map; net_only needs inputs of at least 27x27",
            ),
            (
                DaNetConfig::lenet().with_height(2).with_width(2),
                "a 2x2 input is too small for the lenet extractor: conv block 2 would output a 0x0 \
                 map; lenet needs inputs of at least 4x4",
            ),
        ];
        for (config, message) in cases {
            let err = config.try_init::<TestBackend>(&device).unwrap_err();
            assert_eq!(err.to_string(), message);
            assert_eq!(config.validate(), Err(err));
        }
        // Just large enough works.
        assert!(
            DaNetConfig::net_only()
                .with_height(27)
                .with_width(27)
                .validate()
                .is_ok()
        );
    }

    #[test]
    #[should_panic(expected = "a 3x3 input is too small for the wide extractor")]
    fn init_panics_with_the_same_message() {
        DaNetConfig::wide()
            .with_height(3)
            .with_width(3)
            .init::<TestBackend>(&Default::default());
    }

    fn first_conv_grad_is_finite_and_non_zero(config: DaNetConfig) {
        let device = Default::default();
        let model = config.init::<TrainBackend>(&device);
        let targets = Tensor::<TrainBackend, 1, Int>::from_ints([0, 1, 2, 1], &device);
        let output = model.forward(images(&config, 4, &device));
        let loss = CrossEntropyLossConfig::new()
            .init(&device)
            .forward(output.logits, targets);
        let grads = loss.backward();
        let grad = model.extractor.blocks[0]
            .conv
            .weight
            .grad(&grads)
            .expect("the first conv weight has a gradient");
        assert_eq!(grad.dims(), model.extractor.blocks[0].conv.weight.dims());
        let values = grad.into_data().to_vec::<f32>().unwrap();
        assert!(
            values.iter().all(|v| v.is_finite()),
            "{config:?}: non-finite gradient"
        );
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(norm > 1e-6, "{config:?}: gradient norm {norm}");
    }

    #[test]
    fn gradients_reach_the_first_conv() {
        first_conv_grad_is_finite_and_non_zero(DaNetConfig::lenet());
        first_conv_grad_is_finite_and_non_zero(DaNetConfig::net_only());
        first_conv_grad_is_finite_and_non_zero(DaNetConfig::wide().with_height(8).with_width(8));
        for arch in [Arch::TllibLenet, Arch::DannDigits, Arch::Dtn] {
            first_conv_grad_is_finite_and_non_zero(DaNetConfig::preset(arch).with_in_channels(3));
        }
    }

    /// Trains on 8 random images with fixed labels; returns the first and last losses.
    fn overfit(config: DaNetConfig, steps: usize, lr: f64) -> (f32, f32) {
        let device = Default::default();
        let mut model = config.init::<TrainBackend>(&device);
        let mut optim = AdamConfig::new().init::<TrainBackend, DaNet<TrainBackend>>();
        let loss_fn = CrossEntropyLossConfig::new().init(&device);
        let x = images::<TrainBackend>(&config, 8, &device);
        let labels: Vec<i64> = (0..8).map(|i| i % config.num_classes as i64).collect();
        let y = Tensor::<TrainBackend, 1, Int>::from_ints(labels.as_slice(), &device);
        let mut losses = Vec::with_capacity(steps);
        for _ in 0..steps {
            let loss = loss_fn.forward(model.forward(x.clone()).logits, y.clone());
            losses.push(loss.clone().into_scalar());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        (losses[0], *losses.last().unwrap())
    }

    #[test]
    fn lenet_overfits_a_tiny_batch() {
        let (first, last) = overfit(DaNetConfig::lenet().with_num_classes(8), 20, 2e-3);
        assert!(
            first > 1.5,
            "initial loss {first} should be near ln 8 = 2.08"
        );
        assert!(last < 0.1 * first, "loss went from {first} to {last}");
    }

    #[test]
    fn wide_with_batch_norm_and_dropout_overfits_a_tiny_batch() {
        let config = DaNetConfig::wide()
            .with_height(8)
            .with_width(8)
            .with_num_classes(4)
            .with_dropout(0.2);
        let (first, last) = overfit(config, 20, 2e-3);
        assert!(last < 0.1 * first, "loss went from {first} to {last}");
    }

    #[test]
    fn valid_model_is_per_sample_and_deterministic() {
        let device = Default::default();
        let config = DaNetConfig::wide()
            .with_height(8)
            .with_width(8)
            .with_dropout(0.5);
        let model = config.init::<TrainBackend>(&device);
        let x = images::<TestBackend>(&config, 4, &device);
        let first = x.clone().narrow(0, 0, 1);

        // Training: batch-norm uses the batch statistics, so a sample's output depends on the
        // rest of the batch.
        let train_batch = model.forward(Tensor::from_inner(x.clone())).logits.inner();
        let train_single = model
            .forward(Tensor::from_inner(first.clone()))
            .logits
            .inner();
        let diff = (train_batch.narrow(0, 0, 1) - train_single)
            .abs()
            .max()
            .into_scalar();
        assert!(
            diff > 1e-4,
            "training outputs should depend on the batch, diff {diff}"
        );

        // Inference: running statistics, no dropout.
        let valid = model.valid();
        let batch = valid.forward(x.clone()).logits;
        let single = valid.forward(first).logits;
        batch
            .clone()
            .narrow(0, 0, 1)
            .into_data()
            .assert_approx_eq::<f32>(&single.into_data(), Tolerance::default());
        batch
            .into_data()
            .assert_eq(&valid.forward(x).logits.into_data(), true);
    }

    fn running_stats_moved(model: &DaNet<TrainBackend>) -> bool {
        let norm = model.extractor.blocks[0].norm.as_ref().unwrap();
        norm.running_mean.value_sync().abs().sum().into_scalar() > 0.0
    }

    #[test]
    fn records_round_trip_with_running_statistics() {
        let device = Default::default();
        let config = DaNetConfig::net_only().with_height(32).with_width(32);
        let model = config.init::<TrainBackend>(&device);
        // One training pass updates the batch-norm running statistics.
        let _ = model.forward(images(&config, 4, &device));
        assert!(running_stats_moved(&model));
        let trained = model.valid();

        let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
        let bytes = recorder.record(trained.clone().into_record(), ()).unwrap();
        let fresh = config.init::<TestBackend>(&device);
        let x = images::<TestBackend>(&config, 2, &device);
        let before = fresh.forward(x.clone()).logits;
        let loaded = fresh.load_record(recorder.load(bytes, &device).unwrap());
        let expected = trained.forward(x.clone()).logits;
        let got = loaded.forward(x).logits;
        got.clone()
            .into_data()
            .assert_eq(&expected.into_data(), true);
        let moved = (got - before).abs().max().into_scalar();
        assert!(moved > 0.0, "loading the record changed nothing");
    }

    #[test]
    fn config_round_trips_through_json() {
        let config = DaNetConfig::net_only()
            .with_dropout(0.25)
            .with_bottleneck(128);
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("\"arch\":\"net_only\""), "{json}");
        let back: DaNetConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (back.arch, back.in_channels, back.height, back.width),
            (Arch::NetOnly, 3, 128, 128)
        );
        assert_eq!(
            (back.num_classes, back.bottleneck, back.dropout),
            (5, 128, 0.25)
        );
    }
}
