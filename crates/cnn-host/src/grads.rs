//! The gradients of a layer with a weight and a bias.

/// Gradients of a loss with respect to the operands of a layer `y = f(x, W) + b`, from
/// [`Conv2d::backward`](crate::Conv2d::backward) and [`Linear::backward`](crate::Linear::backward).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerGrads {
    /// Input gradient, when it was asked for (same layout as the input).
    pub input: Option<Vec<f32>>,
    /// Weight gradient (same layout as the weight).
    pub weight: Vec<f32>,
    /// Bias gradient.
    pub bias: Vec<f32>,
}
