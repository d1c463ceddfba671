//! The one coordinate type of every chart axis: linear or base-10 logarithmic, fitted to the
//! shown values, with ticks at 1, 2 or 5 times a power of ten (decades on log axes).

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// A fitted axis: maps `[lo, hi]` (in `log10` when `log`) onto the pixel range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Axis {
    /// Whether `value` can be shown on an axis (finite, and positive on a log axis).
    pub(crate) fn shows(log: bool, value: f64) -> bool {
        value.is_finite() && (!log || value > 0.0)
    }

    /// An axis over the shown `values`, padded by 5 % on each side; a nominal range when none
    /// or a single distinct value is shown.
    pub(crate) fn fit(values: impl IntoIterator<Item = f64>, log: bool) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for value in values.into_iter().filter(|&v| Self::shows(log, v)) {
            let v = if log { value.log10() } else { value };
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            (lo, hi) = (0.0, 1.0);
        } else if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
            let half = if log { 0.5 } else { (lo.abs() * 0.1).max(0.5) };
            (lo, hi) = (lo - half, hi + half);
        }
        let pad = 0.05 * (hi - lo);
        let (lo, hi) = (lo - pad, hi + pad);
        if log {
            Self {
                lo: 10f64.powf(lo),
                hi: 10f64.powf(hi),
                log,
            }
        } else {
            Self { lo, hi, log }
        }
    }

    /// An axis from `lo` to `hi` exactly (`lo < hi`, both positive on a log axis).
    pub(crate) fn exact(lo: f64, hi: f64, log: bool) -> Self {
        Self { lo, hi, log }
    }

    fn scaled(&self, value: f64) -> f64 {
        if self.log { value.log10() } else { value }
    }

    /// Where `value` lies between the ends, 0 at `lo` and 1 at `hi`.
    pub(crate) fn fraction(&self, value: f64) -> f64 {
        let (lo, hi) = (self.scaled(self.lo), self.scaled(self.hi));
        (self.scaled(value) - lo) / (hi - lo)
    }

    /// Up to `max` tick values within the axis.
    fn ticks(&self, max: usize) -> Vec<f64> {
        let max = max.max(2);
        if !self.log {
            return linear_ticks(self.lo, self.hi, max);
        }
        let (lo, hi) = (self.lo.log10(), self.hi.log10());
        let decades: Vec<i32> = (lo.ceil() as i32..=hi.floor() as i32).collect();
        if decades.len() >= 2 {
            let step = decades.len().div_ceil(max).max(1);
            return decades
                .iter()
                .step_by(step)
                .map(|&k| 10f64.powi(k))
                .collect();
        }
        // Less than two decades: 1, 2 and 5 times the powers of ten in range.
        let ticks: Vec<f64> = (lo.floor() as i32..=hi.ceil() as i32)
            .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
            .filter(|&v| v >= self.lo && v <= self.hi)
            .collect();
        if ticks.len() >= 2 {
            ticks
        } else {
            linear_ticks(self.lo, self.hi, max)
        }
    }
}

/// Multiples of a 1-2-5 step within `[lo, hi]`, at most `max` of them.
fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let raw = (hi - lo) / max as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return vec![lo];
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick value as short text: `0.25`, `1500`, `1e-5`, `2e6`.
pub(crate) fn tick_label(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs();
    if !(1e-3..1e6).contains(&magnitude) {
        let text = format!("{value:.2e}");
        // `1.00e6` -> `1e6`, `2.50e-5` -> `2.5e-5`.
        let (mantissa, exponent) = text.split_once('e').expect("exponent notation");
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    // Round away the binary noise of the tick arithmetic (0.30000000000000004).
    let digits = 6 - magnitude.log10().floor() as i32;
    let scale = 10f64.powi(digits.max(0));
    format!("{}", (value * scale).round() / scale)
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        let pixel = f64::from(limit.0) + self.fraction(*value) * span;
        // Clamped so that a stray value cannot overflow the pixel type.
        pixel.round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light grid lines are left out: the bold ones at the ticks are enough.
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks(hint.max_num_points())
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format(value: &f64) -> String {
        tick_label(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_and_inside() {
        let axis = Axis::exact(0.0, 1.0, false);
        assert_eq!(
            axis.ticks(5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let labels: Vec<String> = axis.ticks(5).into_iter().map(tick_label).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
    }

    #[test]
    fn log_ticks_are_decades() {
        let axis = Axis::exact(0.5, 2000.0, true);
        assert_eq!(axis.ticks(10), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(tick_label(1e-5), "1e-5");
        assert_eq!(tick_label(2.5e6), "2.5e6");
        assert_eq!(tick_label(1500.0), "1500");
    }

    #[test]
    fn degenerate_fits_give_a_range() {
        for (values, log) in [(vec![], false), (vec![3.0], false), (vec![-1.0, 0.0], true)] {
            let axis = Axis::fit(values, log);
            assert!(axis.lo < axis.hi && axis.lo.is_finite() && axis.hi.is_finite());
        }
        let axis = Axis::fit([1.0, f64::NAN, 3.0], false);
        assert!(axis.lo < 1.0 && axis.hi > 3.0);
    }
}
