//! Schedules over training progress `p` in `[0, 1]`: the transfer weight and the learning rate.

use serde::{Deserialize, Serialize};

/// How the transfer-loss weight `lambda` evolves during training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LambdaSchedule {
    /// `lambda` throughout.
    Constant,
    /// `lambda * (2 / (1 + exp(-gamma p)) - 1)`: 0 at the start, close to `lambda` at the end
    /// (Ganin & Lempitsky's ramp, [`mmd_core::dann_coefficient`], also DeepDA's), so early noisy
    /// features are not aligned.
    Ramp,
}

impl LambdaSchedule {
    /// The weight at progress `p` (0 at the first step, 1 after the last).
    pub fn weight(self, lambda: f64, gamma: f64, p: f64) -> f64 {
        match self {
            LambdaSchedule::Constant => lambda,
            LambdaSchedule::Ramp => lambda * mmd_core::dann_coefficient(p, gamma),
        }
    }
}

/// How the learning rate evolves during training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// The base rate throughout.
    Constant,
    /// `lr / (1 + 10 p)^0.75`, the annealing of DANN and DeepDA.
    Inv,
    /// Cosine decay from `lr` to 0.
    Cosine,
}

impl LrSchedule {
    /// The learning rate at progress `p`.
    pub fn rate(self, lr: f64, p: f64) -> f64 {
        match self {
            LrSchedule::Constant => lr,
            LrSchedule::Inv => lr / (1.0 + 10.0 * p).powf(0.75),
            LrSchedule::Cosine => lr * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_goes_from_zero_towards_lambda() {
        let s = LambdaSchedule::Ramp;
        assert_eq!(s.weight(0.5, 10.0, 0.0), 0.0);
        assert!(
            (s.weight(0.5, 10.0, 1.0) - 0.5 * (2.0 / (1.0 + (-10f64).exp()) - 1.0)).abs() < 1e-15
        );
        assert!(s.weight(0.5, 10.0, 0.3) < s.weight(0.5, 10.0, 0.6));
        assert_eq!(LambdaSchedule::Constant.weight(0.5, 10.0, 0.0), 0.5);
    }

    #[test]
    fn learning_rates() {
        assert_eq!(LrSchedule::Constant.rate(0.1, 0.7), 0.1);
        assert!((LrSchedule::Inv.rate(0.01, 1.0) - 0.01 / 11f64.powf(0.75)).abs() < 1e-15);
        assert!(LrSchedule::Cosine.rate(0.1, 1.0).abs() < 1e-15);
        assert_eq!(LrSchedule::Cosine.rate(0.1, 0.0), 0.1);
    }
}
