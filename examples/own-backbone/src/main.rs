//! A network of your own (not from da-models) trained with `cross_entropy + lambda * MMD` on
//! labelled MNIST and unlabelled MFEAT, in a hand-written loop. `--quick`: a few steps.
use burn::module::{AutodiffModule, Module};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::{ElementConversion, Tensor, backend::Backend};
use burn_autodiff::Autodiff;
use burn_ndarray::NdArray;
use da_train::datasets::{BatchLoader, Crop, Dataset, DomainSource};
use mmd_core::MmdLossConfig;

/// The user's network: two convolutions, a 64-wide feature layer and a classifier.
#[derive(Module, Debug)]
struct MyNet<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    pool: MaxPool2d,
    features: Linear<B>,
    classifier: Linear<B>,
    relu: Relu,
}

impl<B: Backend> MyNet<B> {
    fn new(device: &B::Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, 16], [3, 3]).init(device),
            conv2: Conv2dConfig::new([16, 32], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            features: LinearConfig::new(32 * 2 * 2, 64).init(device),
            classifier: LinearConfig::new(64, 10).init(device),
            relu: Relu::new(),
        }
    }

    /// (features `[batch, 64]`, logits `[batch, 10]`) of `[batch, 1, 16, 16]` images.
    fn forward(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let x = self.pool.forward(self.relu.forward(self.conv1.forward(x))); // 14 -> 7
        let x = self.pool.forward(self.relu.forward(self.conv2.forward(x))); // 5 -> 2
        let features = self.relu.forward(self.features.forward(x.flatten(1, 3)));
        (features.clone(), self.classifier.forward(features))
    }
}

fn accuracy<B: Backend>(net: &MyNet<B>, data: &Dataset, device: &B::Device) -> f64 {
    let indices: Vec<usize> = (0..data.len()).collect();
    let (images, labels) = data.batch::<B>(&indices, device);
    let predicted = net.forward(images).1.argmax(1).flatten::<1>(0, 1);
    let correct: i64 = predicted.equal(labels).int().sum().into_scalar().elem();
    correct as f64 / data.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    type B = Autodiff<NdArray>;
    let quick = std::env::args().any(|a| a == "--quick");
    let (steps, lambda) = (if quick { 20 } else { 600 }, 0.5);
    let device = Default::default();
    // The built-in domains, at 16x16, each standardised by its own training pixels.
    let load = |name: &str| DomainSource::parse(name)?.load(None, 16, Crop::Ink);
    let ((source, _), (target, target_test)) = (load("mnist")?, load("mfeat")?);
    let standardise = |d: &Dataset, by: &Dataset| {
        let (mean, std) = Dataset::channel_stats(&[by]);
        d.normalized(&[mean[0] as f32], &[std[0] as f32])
    };
    let (source, target_test) = (
        standardise(&source, &source),
        standardise(&target_test, &target),
    );
    let target = standardise(&target, &target);

    let mut net = MyNet::<B>::new(&device);
    let mut optim = AdamConfig::new().init();
    let mmd = MmdLossConfig::new().init(); // the seed's Gaussian multi-kernel MMD
    let ce = CrossEntropyLossConfig::new().init(&device);
    let mut source_batches = BatchLoader::new(source.len(), 64, 1);
    let mut target_batches = BatchLoader::new(target.len(), 64, 2);
    for step in 0..steps {
        let (xs, ys) = source.batch::<B>(&source_batches.next_batch(), &device);
        let (xt, _) = target.batch::<B>(&target_batches.next_batch(), &device); // labels unused
        let (fs, logits) = net.forward(xs);
        let (ft, _) = net.forward(xt);
        let clf = ce.forward(logits, ys);
        let transfer = mmd.forward(fs, ft);
        let loss = clf.clone() + transfer.clone().mul_scalar(lambda);
        if step % 100 == 0 || step + 1 == steps {
            let (c, t): (f32, f32) = (clf.into_scalar(), transfer.into_scalar());
            println!("step {step:4}: cross-entropy {c:.4}, MMD {t:.4}");
        }
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(1e-3, net, grads);
    }
    let acc = accuracy(&net.valid(), &target_test, &device);
    println!("MNIST -> MFEAT target accuracy: {:.2} %", 100.0 * acc);
    Ok(())
}
