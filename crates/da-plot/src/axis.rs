//! One chart axis: the data range it covers, its ticks, and the mapping of values onto it.

use crate::ticks::{Tick, Ticks, linear_ticks, log_ticks};

/// An axis fitted to a set of data values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    ticks: Ticks,
}

impl Axis {
    /// Fits an axis to `values` with at most `max_ticks` ticks.
    ///
    /// Values that the axis cannot show (not finite; not positive on a `log` axis) are ignored.
    /// Without any value the axis covers `[0, 1]` (linear) or `[1, 10]` (log); a single value,
    /// or values that are all (nearly) equal, get a range of ±10 % around them (±1 around 0).
    pub(crate) fn fit(values: &[f64], log: bool, max_ticks: usize) -> Self {
        let mut range: Option<(f64, f64)> = None;
        for &v in values.iter().filter(|&&v| shown_on(v, log)) {
            range = Some(match range {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        }
        let ticks = match (range, log) {
            (None, false) => linear_ticks(0.0, 1.0, max_ticks),
            (None, true) => log_ticks(1.0, 10.0, max_ticks),
            (Some((lo, hi)), true) => log_ticks(lo, hi, max_ticks),
            (Some((lo, hi)), false) => {
                if hi - lo > 1e-9 * lo.abs().max(hi.abs()) {
                    linear_ticks(lo, hi, max_ticks)
                } else {
                    let mid = lo / 2.0 + hi / 2.0;
                    let pad = if mid == 0.0 { 1.0 } else { mid.abs() / 10.0 };
                    linear_ticks(mid - pad, mid + pad, max_ticks)
                }
            }
        };
        Self { ticks }
    }

    /// Where `value` lies along the axis: 0 at the start, 1 at the end.
    ///
    /// Only meaningful for values that the axis shows (see [`shown_on`]); those always map into
    /// `[0, 1]`.
    pub(crate) fn unit(&self, value: f64) -> f64 {
        self.coord_unit(self.ticks.scale.coord(value))
    }

    /// The ticks with their positions along the axis (as in [`Axis::unit`]).
    pub(crate) fn ticks(&self) -> impl Iterator<Item = (f64, &Tick)> {
        self.ticks
            .ticks
            .iter()
            .map(|tick| (self.coord_unit(tick.coord), tick))
    }

    fn coord_unit(&self, coord: f64) -> f64 {
        (coord - self.ticks.lo) / (self.ticks.hi - self.ticks.lo)
    }
}

/// Whether an axis (`log` or linear) can show `value`: finite, and positive on a log axis.
pub(crate) fn shown_on(value: f64, log: bool) -> bool {
    value.is_finite() && (!log || value > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<&str> {
        axis.ticks().map(|(_, t)| t.label.as_str()).collect()
    }

    #[test]
    fn data_maps_into_the_unit_interval_and_ticks_span_it() {
        let values = [0.003, 0.07, 0.05];
        let axis = Axis::fit(&values, false, 6);
        for v in values {
            let u = axis.unit(v);
            assert!((0.0..=1.0).contains(&u), "{v} -> {u}");
        }
        let positions: Vec<f64> = axis.ticks().map(|(u, _)| u).collect();
        assert_eq!(positions.first(), Some(&0.0));
        assert_eq!(positions.last(), Some(&1.0));
        assert!((axis.unit(0.04) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn log_axis_ignores_non_positive_values() {
        let axis = Axis::fit(&[-3.0, 0.0, 1.0, 1e4, f64::NAN], true, 8);
        assert_eq!(labels(&axis), ["1", "10", "100", "1000", "10000"]);
        assert!((axis.unit(100.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn empty_and_constant_data_get_a_usable_range() {
        assert_eq!(
            labels(&Axis::fit(&[], false, 6)),
            ["0", "0.2", "0.4", "0.6", "0.8", "1"]
        );
        assert_eq!(
            labels(&Axis::fit(&[f64::INFINITY], true, 6)),
            ["1", "2", "5", "10"]
        );
        let axis = Axis::fit(&[5.0, 5.0], false, 6);
        assert!((axis.unit(5.0) - 0.5).abs() < 1e-12);
        let axis = Axis::fit(&[0.0], false, 6);
        assert!((axis.unit(0.0) - 0.5).abs() < 1e-12);
        let axis = Axis::fit(&[-2e-300], false, 6);
        assert!((axis.unit(-2e-300) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn extreme_values_map_to_finite_positions() {
        let values = [-f64::MAX, f64::MAX, 5e-324];
        let axis = Axis::fit(&values, false, 6);
        for v in values {
            let u = axis.unit(v);
            assert!((0.0..=1.0).contains(&u), "{v} -> {u}");
        }
        let axis = Axis::fit(&[5e-324, f64::MAX], true, 6);
        assert!(axis.ticks().all(|(u, _)| u.is_finite()));
        assert!((0.0..=1.0).contains(&axis.unit(5e-324)));
    }
}
