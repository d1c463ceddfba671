//! The optimiser of a run (SGD with momentum or Adam) and its full-precision record.

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer, Sgd, SgdConfig};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;

use super::config::{OptimizerKind, TrainConfig};

/// SGD or Adam over a module `M`, chosen at run time.
pub enum RunOptimizer<B: AutodiffBackend, M: AutodiffModule<B>> {
    /// SGD with momentum (PyTorch semantics: no dampening) and weight decay.
    Sgd(OptimizerAdaptor<Sgd<B::InnerBackend>, M, B>),
    /// Adam with weight decay.
    Adam(OptimizerAdaptor<Adam, M, B>),
}

impl<B: AutodiffBackend, M: AutodiffModule<B>> RunOptimizer<B, M> {
    /// The optimiser a configuration asks for, with fresh state.
    pub fn new(config: &TrainConfig) -> Self {
        let decay =
            (config.weight_decay > 0.0).then(|| WeightDecayConfig::new(config.weight_decay as f32));
        match config.optimizer {
            OptimizerKind::Sgd => {
                let momentum = (config.momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(config.momentum)
                        .with_dampening(0.0)
                });
                Self::Sgd(
                    SgdConfig::new()
                        .with_momentum(momentum)
                        .with_weight_decay(decay)
                        .init(),
                )
            }
            OptimizerKind::Adam => Self::Adam(AdamConfig::new().with_weight_decay(decay).init()),
        }
    }

    /// One update of `module` with `grads` at learning rate `lr`.
    pub fn step(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        match self {
            Self::Sgd(optim) => optim.step(lr, module, grads),
            Self::Adam(optim) => optim.step(lr, module, grads),
        }
    }

    /// The optimiser state (momenta, moments) in burn's binary format at full precision.
    pub fn to_bytes(&self) -> Vec<u8> {
        let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
        let bytes = match self {
            Self::Sgd(optim) => Recorder::<B>::record(&recorder, optim.to_record(), ()),
            Self::Adam(optim) => Recorder::<B>::record(&recorder, optim.to_record(), ()),
        };
        bytes.expect("in-memory recording cannot fail")
    }

    /// Restores the state written by [`RunOptimizer::to_bytes`] for the same optimiser kind.
    pub fn load_bytes(self, bytes: Vec<u8>, device: &B::Device) -> Result<Self, String> {
        let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
        Ok(match self {
            Self::Sgd(optim) => Self::Sgd(optim.load_record(
                Recorder::<B>::load(&recorder, bytes, device).map_err(|e| e.to_string())?,
            )),
            Self::Adam(optim) => Self::Adam(optim.load_record(
                Recorder::<B>::load(&recorder, bytes, device).map_err(|e| e.to_string())?,
            )),
        })
    }
}
