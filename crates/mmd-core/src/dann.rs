//! The domain-classification loss of DANN, on the logits of a domain discriminator.

use burn::tensor::activation::log_sigmoid;
use burn::tensor::{Tensor, backend::Backend};

/// Binary cross-entropy of a domain discriminator: source rows are labelled 1, target rows 0.
///
/// ```text
/// loss = 0.5 * (mean_i BCE(source_i, 1) + mean_j BCE(target_j, 0))
///      = 0.5 * (mean_i -log sigmoid(source_i) + mean_j -log sigmoid(-target_j))
/// ```
///
/// The average of the two domains' means, as DeepDA's `AdversarialLoss` and the
/// Transfer-Learning-Library's `DomainAdversarialLoss` compute it, so that unequal batch sizes do
/// not weight one domain more. It is taken on logits with burn's overflow-safe `log_sigmoid`:
/// finite for any finite logits, where `BCE(sigmoid(x))` would give `inf` once the sigmoid rounds
/// to 0 or 1.
///
/// Feed it the discriminator's output on [`grad_reverse`](crate::grad_reverse)d features to get
/// DANN's minimax game in one minimisation.
///
/// # Shapes
/// - source_logits: `[source_batch, 1]`
/// - target_logits: `[target_batch, 1]`
/// - output: `[1]`
///
/// # Panics
/// If either batch is empty or has more than one column.
///
/// ```
/// use burn::tensor::Tensor;
/// use burn_ndarray::NdArray;
/// use mmd_core::dann_loss;
///
/// let device = Default::default();
/// let source = Tensor::<NdArray, 2>::from_floats([[0.0], [0.0]], &device);
/// let target = Tensor::<NdArray, 2>::from_floats([[0.0]], &device);
/// // A discriminator that cannot tell the domains apart scores ln 2.
/// let loss = dann_loss(source, target).into_scalar();
/// assert!((loss - std::f32::consts::LN_2).abs() < 1e-6);
/// ```
pub fn dann_loss<B: Backend>(
    source_logits: Tensor<B, 2>,
    target_logits: Tensor<B, 2>,
) -> Tensor<B, 1> {
    let (source_dims, target_dims) = (source_logits.dims(), target_logits.dims());
    for (name, [rows, cols]) in [("source", source_dims), ("target", target_dims)] {
        assert!(
            rows > 0 && cols == 1,
            "dann_loss needs [batch >= 1, 1] domain logits; got {name} logits of shape {:?}",
            [rows, cols]
        );
    }
    let source = log_sigmoid(source_logits).mean().neg();
    let target = log_sigmoid(target_logits.neg()).mean().neg();
    (source + target).mul_scalar(0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};
    use burn_autodiff::Autodiff;
    use burn_ndarray::NdArray;

    type B = Autodiff<NdArray<f64>>;

    fn column(values: &[f64]) -> Tensor<B, 2> {
        Tensor::<B, 1>::from_floats(values, &Default::default()).reshape([values.len() as i32, 1])
    }

    // PyTorch:
    //   s = torch.tensor([[2.0], [-1.0]], requires_grad=True)
    //   t = torch.tensor([[0.5], [-3.0], [0.0]], requires_grad=True)
    //   bce = torch.nn.functional.binary_cross_entropy_with_logits
    //   loss = 0.5 * (bce(s, torch.ones_like(s)) + bce(t, torch.zeros_like(t)))
    //   loss.backward()
    // loss = 0.6460160106925978
    // s.grad = [-0.029800730505529387, -0.18276464465750122]
    // t.grad = [0.10374322186697577, 0.007904312196261129, 0.08333333333333333]
    #[test]
    fn matches_binary_cross_entropy_with_logits() {
        let s = column(&[2.0, -1.0]).require_grad();
        let t = column(&[0.5, -3.0, 0.0]).require_grad();
        let loss = dann_loss(s.clone(), t.clone());
        assert_eq!(loss.dims(), [1]);
        loss.clone().into_data().assert_approx_eq::<f64>(
            &TensorData::from([0.646_016_010_692_597_8]),
            Tolerance::absolute(1e-12),
        );
        let grads = loss.backward();
        s.grad(&grads).unwrap().into_data().assert_approx_eq::<f64>(
            &TensorData::new(
                vec![-0.029_800_730_505_529_387, -0.182_764_644_657_501_22],
                [2, 1],
            ),
            Tolerance::absolute(1e-12),
        );
        t.grad(&grads).unwrap().into_data().assert_approx_eq::<f64>(
            &TensorData::new(
                vec![
                    0.103_743_221_866_975_77,
                    0.007_904_312_196_261_129,
                    0.083_333_333_333_333_33,
                ],
                [3, 1],
            ),
            Tolerance::absolute(1e-12),
        );
    }

    #[test]
    fn extreme_logits_stay_finite() {
        // Right and very confident: close to 0. Wrong and very confident: about the logit.
        let right = dann_loss(column(&[800.0]), column(&[-800.0])).into_scalar();
        assert!(right.abs() < 1e-12, "{right}");
        let wrong = dann_loss(column(&[-800.0]), column(&[800.0])).into_scalar();
        assert!((wrong - 800.0).abs() < 1e-9, "{wrong}");
    }

    #[test]
    #[should_panic(expected = "got target logits of shape [2, 3]")]
    fn wrong_shapes_are_named() {
        let device = Default::default();
        dann_loss::<B>(
            Tensor::zeros([2, 1], &device),
            Tensor::zeros([2, 3], &device),
        );
    }
}
