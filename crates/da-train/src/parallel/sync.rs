//! What data-parallel training exchanges between devices: the gradients (with the step's loss
//! values), the weights, and the features of the whole batch.

use std::collections::HashMap;
use std::ops::Range;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

use super::collective::{ParallelError, Peer};

type Inner<B> = <B as AutodiffBackend>::InnerBackend;

/// The gradients of one step, flattened into one vector (one all-reduce per step, like DDP's
/// buckets), preceded by a few scalars summed alongside them.
pub struct GradientBucket<B: AutodiffBackend> {
    parts: Vec<Tensor<Inner<B>, 1>>,
    layout: HashMap<ParamId, (usize, usize)>,
    len: usize,
    scalars: usize,
}

impl<B: AutodiffBackend> GradientBucket<B> {
    /// A bucket that starts with `scalars` (on `device`), reduced with the gradients.
    pub fn new(scalars: &[f64], device: &B::Device) -> Self {
        let values: Vec<f32> = scalars.iter().map(|&v| v as f32).collect();
        Self {
            parts: vec![Tensor::from_floats(values.as_slice(), device)],
            layout: HashMap::new(),
            len: scalars.len(),
            scalars: scalars.len(),
        }
    }

    /// Moves the gradients of `module`'s parameters out of `grads` into the bucket, times
    /// `scale`.
    pub fn add<M: Module<B>>(&mut self, module: &M, grads: &mut GradientsParams, scale: f64) {
        struct Pack<'a, B: AutodiffBackend> {
            bucket: &'a mut GradientBucket<B>,
            grads: &'a mut GradientsParams,
            scale: f64,
        }
        impl<B: AutodiffBackend> ModuleVisitor<B> for Pack<'_, B> {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
                let Some(grad) = self.grads.remove::<Inner<B>, D>(param.id) else {
                    return;
                };
                let n = grad.shape().num_elements();
                let flat = grad.reshape([n]);
                let flat = if self.scale == 1.0 {
                    flat
                } else {
                    flat.mul_scalar(self.scale)
                };
                self.bucket.layout.insert(param.id, (self.bucket.len, n));
                self.bucket.len += n;
                self.bucket.parts.push(flat);
            }
        }
        module.visit(&mut Pack {
            bucket: self,
            grads,
            scale,
        });
    }

    /// Sums the bucket over all devices: the scalars, and a [`ReducedGradients`] to hand the
    /// gradients back to the modules.
    pub fn all_reduce(
        self,
        peer: &Peer<Inner<B>>,
    ) -> Result<(Vec<f64>, ReducedGradients<B>), ParallelError> {
        let flat = peer.all_reduce_sum(Tensor::cat(self.parts, 0), "all-reducing the gradients")?;
        let scalars = flat
            .clone()
            .slice(0..self.scalars)
            .into_data()
            .iter::<f32>()
            .map(|v| v.elem::<f64>())
            .collect();
        Ok((
            scalars,
            ReducedGradients {
                flat,
                layout: self.layout,
                grads: GradientsParams::new(),
            },
        ))
    }
}

/// Gradients summed over all devices, handed back module by module.
pub struct ReducedGradients<B: AutodiffBackend> {
    flat: Tensor<Inner<B>, 1>,
    layout: HashMap<ParamId, (usize, usize)>,
    grads: GradientsParams,
}

impl<B: AutodiffBackend> ReducedGradients<B> {
    /// Registers the reduced gradients of `module`'s parameters.
    pub fn take<M: Module<B>>(mut self, module: &M) -> Self {
        struct Unpack<'a, B: AutodiffBackend> {
            reduced: &'a mut ReducedGradients<B>,
        }
        impl<B: AutodiffBackend> ModuleVisitor<B> for Unpack<'_, B> {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
                let Some(&(start, n)) = self.reduced.layout.get(&param.id) else {
                    return;
                };
                let shape = param.val().shape();
                let grad = self
                    .reduced
                    .flat
                    .clone()
                    .slice(start..start + n)
                    .reshape(shape);
                self.reduced.grads.register::<Inner<B>, D>(param.id, grad);
            }
        }
        module.visit(&mut Unpack { reduced: &mut self });
        self
    }

    /// The gradients, for the optimiser.
    pub fn into_grads(self) -> GradientsParams {
        self.grads
    }
}

/// `module` with every float tensor (parameters and running statistics) replaced by rank 0's,
/// on this device: the replicas start from, and stay at, the same weights.
pub fn broadcast_module<B: AutodiffBackend, M: Module<B>>(
    peer: &Peer<Inner<B>>,
    module: M,
) -> Result<M, ParallelError> {
    struct Collect<B: AutodiffBackend> {
        parts: Vec<Tensor<Inner<B>, 1>>,
        zero: bool,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Collect<B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let tensor = param.val().inner();
            let n = tensor.shape().num_elements();
            // Zeros rather than `0 * x`: a NaN weight on another device must not leak in.
            self.parts.push(if self.zero {
                Tensor::zeros([n], &tensor.device())
            } else {
                tensor.reshape([n])
            });
        }
    }
    struct Assign<B: AutodiffBackend> {
        flat: Tensor<Inner<B>, 1>,
        offset: usize,
    }
    impl<B: AutodiffBackend> ModuleMapper<B> for Assign<B> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, tensor, mapper) = param.consume();
            let shape = tensor.shape();
            let n = shape.num_elements();
            let value = self
                .flat
                .clone()
                .slice(self.offset..self.offset + n)
                .reshape(shape);
            self.offset += n;
            let mut value = Tensor::<B, D>::from_inner(value);
            if tensor.is_require_grad() {
                value = value.require_grad();
            }
            Param::from_mapped_value(id, value, mapper)
        }
    }
    let mut collect = Collect::<B> {
        parts: Vec::new(),
        zero: peer.rank() != 0,
    };
    module.visit(&mut collect);
    if collect.parts.is_empty() {
        return Ok(module);
    }
    let flat = peer.all_reduce_sum(
        Tensor::cat(collect.parts, 0),
        "sharing the weights of device 0",
    )?;
    Ok(module.map(&mut Assign::<B> { flat, offset: 0 }))
}

/// One device's rows of a batch-wide tensor: `rows` of `total`.
pub struct Rows<B: AutodiffBackend> {
    /// This device's rows, tracked by autodiff.
    pub tensor: Tensor<B, 2>,
    /// Where they sit in the batch.
    pub rows: Range<usize>,
    /// Rows of the whole batch.
    pub total: usize,
}

/// The whole batch of each tensor on every device (one all-reduce of the zero-padded rows,
/// which moves `devices` times the bytes of a ring all-gather: the features are small next to
/// the gradients). Every other device's rows are constants; this device's rows stay the live
/// ones, so a loss of the whole batch sends each device the gradient of its own rows.
pub fn all_gather_rows<B: AutodiffBackend>(
    peer: &Peer<Inner<B>>,
    parts: Vec<Rows<B>>,
) -> Result<Vec<Tensor<B, 2>>, ParallelError> {
    let mut padded = Vec::with_capacity(parts.len());
    for part in &parts {
        let [_, width] = part.tensor.dims();
        let inner = part.tensor.clone().inner();
        let zeros = Tensor::<Inner<B>, 2>::zeros([part.total, width], &inner.device());
        padded.push(
            zeros
                .slice_assign([part.rows.clone(), 0..width], inner)
                .reshape([part.total * width]),
        );
    }
    let flat = peer.all_reduce_sum(Tensor::cat(padded, 0), "all-gathering the features")?;
    let mut offset = 0;
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let [_, width] = part.tensor.dims();
        let n = part.total * width;
        let whole = Tensor::<B, 2>::from_inner(
            flat.clone()
                .slice(offset..offset + n)
                .reshape([part.total, width]),
        );
        offset += n;
        let mut pieces = Vec::with_capacity(3);
        if part.rows.start > 0 {
            pieces.push(whole.clone().slice([0..part.rows.start, 0..width]));
        }
        pieces.push(part.tensor);
        if part.rows.end < part.total {
            pieces.push(whole.slice([part.rows.end..part.total, 0..width]));
        }
        out.push(Tensor::cat(pieces, 0));
    }
    Ok(out)
}
