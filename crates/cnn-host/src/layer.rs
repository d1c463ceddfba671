//! The contract of the kernels with a weight and a bias: [`Conv2d`](crate::Conv2d) and
//! [`Linear`](crate::Linear).

/// A layer `output = f(input, weight) + bias` on row-major `f32` data, with its hand-written
/// backward pass. The shape type describes the operands (their layouts are in its docs).
pub trait Layer {
    /// The output for `input`, `weight` and (when given) `bias`.
    ///
    /// # Panics
    /// If the shape is invalid or a slice has the wrong length.
    fn forward(&self, input: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32>;

    /// Gradients of a loss with respect to the input (when `input_grad`), the weight and the
    /// bias, given the input, the weight and the gradient with respect to the output.
    ///
    /// # Panics
    /// If the shape is invalid or a slice has the wrong length.
    fn backward(
        &self,
        input: &[f32],
        weight: &[f32],
        grad_output: &[f32],
        input_grad: bool,
    ) -> LayerGrads;
}

/// Gradients of a loss with respect to the operands of a [`Layer`], from
/// [`Layer::backward`].
#[derive(Debug, Clone, PartialEq)]
pub struct LayerGrads {
    /// Input gradient, when it was asked for (same layout as the input).
    pub input: Option<Vec<f32>>,
    /// Weight gradient (same layout as the weight).
    pub weight: Vec<f32>,
    /// Bias gradient.
    pub bias: Vec<f32>,
}
