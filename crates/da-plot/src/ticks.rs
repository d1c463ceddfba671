//! "Nice" tick values: 1-2-5 steps on linear axes, decades on log axes.
//!
//! Tick values are kept as exact decimals (an integer times a power of ten) and their labels are
//! written from those digits, so a label never reads `0.30000000000000004`.

/// How data values map to axis coordinates, in which ticks are evenly spaced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scale {
    /// Linear axis; the coordinate is the value divided by the tick step, so that tick `k` sits
    /// at coordinate `k`.
    Linear {
        /// Distance between two ticks, in data units.
        step: f64,
    },
    /// Logarithmic axis; the coordinate is the base-10 logarithm of the value.
    Log,
}

impl Scale {
    /// The axis coordinate of the data value `value`.
    pub(crate) fn coord(self, value: f64) -> f64 {
        match self {
            Scale::Linear { step } => value / step,
            Scale::Log => value.log10(),
        }
    }
}

/// One tick mark.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tick {
    /// Position in axis coordinates (see [`Scale::coord`]).
    pub(crate) coord: f64,
    /// The label printed next to the tick.
    pub(crate) label: String,
}

/// The ticks of one axis and the range the axis covers, both in axis coordinates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ticks {
    /// How data values become axis coordinates.
    pub(crate) scale: Scale,
    /// Axis coordinate of the axis start (always the first tick).
    pub(crate) lo: f64,
    /// Axis coordinate of the axis end (always the last tick); greater than `lo`.
    pub(crate) hi: f64,
    /// The ticks, in increasing order.
    pub(crate) ticks: Vec<Tick>,
}

/// Ticks for a linear axis that covers `[lo, hi]`: a step of 1, 2 or 5 times a power of ten,
/// at most `max_ticks` (at least 3) ticks, and an axis range widened to the ticks just outside
/// the data.
///
/// A range that has no such step in `f64` (empty, reversed, not finite, or narrower than the
/// smallest normal number) gets the ticks of `[-1, 1]`; a range so wide that the step would
/// overflow gets more ticks.
pub(crate) fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Ticks {
    let max_ticks = max_ticks.max(3);
    let intervals = (max_ticks - 1) as f64;
    // Divide before subtracting so that [-f64::MAX, f64::MAX] does not overflow.
    let rough = hi / intervals - lo / intervals;
    if !(rough.is_normal() && rough > 0.0) {
        return linear_ticks(-1.0, 1.0, max_ticks);
    }
    // Start one decade low in case log10 rounds up, then walk up the 1-2-5 sequence.
    let mut exponent = rough.log10().floor() as i32 - 1;
    loop {
        for mantissa in [1_i64, 2, 5] {
            let step = decimal(mantissa, exponent);
            if !step.is_finite() {
                // Only for ranges near f64::MAX: allow more, smaller steps.
                return if max_ticks < 64 {
                    linear_ticks(lo, hi, 2 * max_ticks)
                } else {
                    linear_ticks(-1.0, 1.0, 3)
                };
            }
            if step < rough * (1.0 - 1e-9) {
                continue;
            }
            let first = (lo / step + 1e-9).floor() as i64;
            let last = (hi / step - 1e-9).ceil().max(first as f64 + 1.0) as i64;
            if last - first + 1 > max_ticks as i64 {
                continue;
            }
            let top = mantissa * first.unsigned_abs().max(last.unsigned_abs()) as i64;
            let scientific = order_of_magnitude(top, exponent) >= 6 || exponent < -4;
            let ticks = (first..=last)
                .map(|k| Tick {
                    coord: k as f64,
                    label: format_decimal(k * mantissa, exponent, scientific),
                })
                .collect();
            return Ticks {
                scale: Scale::Linear { step },
                lo: first as f64,
                hi: last as f64,
                ticks,
            };
        }
        exponent += 1;
    }
}

/// Ticks for a base-10 logarithmic axis that covers `[lo, hi]` (`0 < lo <= hi`, finite): one
/// tick per decade (every `n`-th decade when there are more than `max_ticks - 1` decades), plus
/// ticks at 2 and 5 when the axis spans a single decade. The axis range is widened to whole
/// decades.
pub(crate) fn log_ticks(lo: f64, hi: f64, max_ticks: usize) -> Ticks {
    debug_assert!(
        lo > 0.0 && lo <= hi && hi.is_finite(),
        "bad log range [{lo}, {hi}]"
    );
    let max_ticks = max_ticks.max(3) as i32;
    let mut first = (lo.log10() + 1e-9).floor() as i32;
    let mut last = (hi.log10() - 1e-9).ceil() as i32;
    if last <= first {
        last = first + 1;
    }
    // Both operands are positive here.
    let ceil_div = |a: i32, b: i32| (a + b - 1) / b;
    let stride = ceil_div(last - first, max_ticks - 1).max(1);
    first = first.div_euclid(stride) * stride;
    last = first + ceil_div(last - first, stride) * stride;
    let scientific = first < -4 || last > 5;
    let mut ticks: Vec<Tick> = (first..=last)
        .step_by(stride as usize)
        .map(|k| Tick {
            coord: k as f64,
            label: format_decimal(1, k, scientific),
        })
        .collect();
    if last - first == 1 {
        for mantissa in [2, 5] {
            ticks.push(Tick {
                coord: first as f64 + (mantissa as f64).log10(),
                label: format_decimal(mantissa, first, scientific),
            });
        }
        ticks.sort_by(|a, b| a.coord.total_cmp(&b.coord));
    }
    Ticks {
        scale: Scale::Log,
        lo: first as f64,
        hi: last as f64,
        ticks,
    }
}

/// The `f64` nearest to `mantissa * 10^exponent`.
fn decimal(mantissa: i64, exponent: i32) -> f64 {
    format!("{mantissa}e{exponent}")
        .parse()
        .expect("an integer followed by an exponent is a valid float literal")
}

/// The power of ten of the leading digit of `int * 10^exponent` (`int != 0`).
fn order_of_magnitude(int: i64, exponent: i32) -> i32 {
    exponent + int.unsigned_abs().max(1).ilog10() as i32
}

/// Writes `int * 10^exponent` in plain decimal notation (`0.05`, `1500`) or, when `scientific`,
/// as `mantissa e exponent` (`5e-6`, `1.5e7`), without trailing zeros.
fn format_decimal(int: i64, exponent: i32, scientific: bool) -> String {
    if int == 0 {
        return "0".to_owned();
    }
    let sign = if int < 0 { "-" } else { "" };
    let mut digits = int.unsigned_abs().to_string();
    let mut exponent = exponent;
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
        exponent += 1;
    }
    let len = digits.len();
    if scientific {
        let power = exponent + len as i32 - 1;
        let (lead, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        format!("{sign}{lead}{point}{rest}e{power}")
    } else if exponent >= 0 {
        format!("{sign}{digits}{}", "0".repeat(exponent as usize))
    } else {
        let decimals = exponent.unsigned_abs() as usize;
        if len > decimals {
            let (whole, frac) = digits.split_at(len - decimals);
            format!("{sign}{whole}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat(decimals - len))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(ticks: &Ticks) -> Vec<&str> {
        ticks.ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn unit_interval_gets_steps_of_0_2() {
        let ticks = linear_ticks(0.0, 1.0, 6);
        assert_eq!(labels(&ticks), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(ticks.scale, Scale::Linear { step: 0.2 });
        assert_eq!((ticks.lo, ticks.hi), (0.0, 5.0));
    }

    #[test]
    fn small_range_is_widened_to_the_surrounding_ticks() {
        let ticks = linear_ticks(0.003, 0.07, 6);
        assert_eq!(labels(&ticks), ["0", "0.02", "0.04", "0.06", "0.08"]);
        // 0.003 and 0.07 lie inside the axis range.
        let Scale::Linear { step } = ticks.scale else {
            panic!("expected a linear scale, got {:?}", ticks.scale)
        };
        assert!(ticks.lo * step <= 0.003 && 0.07 <= ticks.hi * step);
    }

    #[test]
    fn bounds_that_are_ticks_are_not_widened() {
        // 0.6 / 0.2 is 2.9999999999999996 in f64; the axis must still start at 0.6.
        let ticks = linear_ticks(0.6, 1.4, 5);
        assert_eq!(labels(&ticks), ["0.6", "0.8", "1", "1.2", "1.4"]);
    }

    #[test]
    fn negative_and_large_ranges() {
        assert_eq!(
            labels(&linear_ticks(-37.0, 112.0, 8)),
            ["-50", "0", "50", "100", "150"]
        );
        assert_eq!(
            labels(&linear_ticks(-37.0, 112.0, 9)),
            ["-40", "-20", "0", "20", "40", "60", "80", "100", "120"]
        );
        assert_eq!(
            labels(&linear_ticks(1.2e6, 3.1e6, 6)),
            ["1e6", "1.5e6", "2e6", "2.5e6", "3e6", "3.5e6"]
        );
        assert_eq!(
            labels(&linear_ticks(0.0, 3e-5, 4)),
            ["0", "1e-5", "2e-5", "3e-5"]
        );
    }

    #[test]
    fn tick_count_respects_the_maximum() {
        for (lo, hi) in [
            (0.0, 1.0),
            (0.003, 0.07),
            (-5.5, 3.2),
            (1e-3, 1e3),
            (7.0, 7.001),
        ] {
            for max_ticks in 3..12 {
                let ticks = linear_ticks(lo, hi, max_ticks);
                let n = ticks.ticks.len();
                assert!(
                    (2..=max_ticks).contains(&n),
                    "{lo}..{hi} max {max_ticks}: {n}"
                );
                let Scale::Linear { step } = ticks.scale else {
                    panic!("linear_ticks returned {:?}", ticks.scale)
                };
                let mantissa = step / 10f64.powf(step.log10().floor());
                assert!(
                    [1.0, 2.0, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-9),
                    "step {step} is not 1, 2 or 5 times a power of ten"
                );
                assert!(ticks.lo * step <= lo + step * 1e-9 && hi - step * 1e-9 <= ticks.hi * step);
            }
        }
    }

    #[test]
    fn degenerate_linear_ranges_fall_back_to_minus_one_to_one() {
        let fallback = linear_ticks(-1.0, 1.0, 5);
        assert_eq!(linear_ticks(3.0, 3.0, 5), fallback);
        assert_eq!(linear_ticks(0.0, 5e-324, 5), fallback);
        assert_eq!(linear_ticks(f64::NAN, 1.0, 5), fallback);
        assert_eq!(linear_ticks(2.0, 1.0, 5), fallback);
    }

    #[test]
    fn extreme_linear_ranges_stay_finite_and_cover_the_data() {
        for max_ticks in [3, 6] {
            let ticks = linear_ticks(-f64::MAX, f64::MAX, max_ticks);
            let Scale::Linear { step } = ticks.scale else {
                panic!("linear_ticks returned {:?}", ticks.scale)
            };
            assert!(step.is_finite() && ticks.lo < ticks.hi);
            assert!(ticks.lo <= -f64::MAX / step && f64::MAX / step <= ticks.hi);
        }
    }

    #[test]
    fn log_axis_gets_one_tick_per_decade() {
        let ticks = log_ticks(1.0, 1e4, 8);
        assert_eq!(labels(&ticks), ["1", "10", "100", "1000", "10000"]);
        assert_eq!((ticks.lo, ticks.hi), (0.0, 4.0));
        assert_eq!(ticks.scale, Scale::Log);
    }

    #[test]
    fn log_axis_widens_to_whole_decades_and_uses_scientific_labels_when_far_from_one() {
        let ticks = log_ticks(3e-7, 0.02, 8);
        assert_eq!(
            labels(&ticks),
            ["1e-7", "1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"]
        );
    }

    #[test]
    fn many_decades_are_thinned() {
        let ticks = log_ticks(1e-12, 1e12, 5);
        assert_eq!(labels(&ticks), ["1e-12", "1e-6", "1e0", "1e6", "1e12"]);
    }

    #[test]
    fn single_decade_gets_two_and_five() {
        let ticks = log_ticks(2.5, 7.0, 8);
        assert_eq!(labels(&ticks), ["1", "2", "5", "10"]);
        let ticks = log_ticks(10.0, 10.0, 8);
        assert_eq!(labels(&ticks), ["10", "20", "50", "100"]);
    }

    #[test]
    fn decimals_are_formatted_without_float_noise() {
        assert_eq!(format_decimal(3, -1, false), "0.3");
        assert_eq!(format_decimal(-25, -3, false), "-0.025");
        assert_eq!(format_decimal(120, 1, false), "1200");
        assert_eq!(format_decimal(150, 4, true), "1.5e6");
        assert_eq!(format_decimal(-2, -7, true), "-2e-7");
        assert_eq!(format_decimal(0, -7, true), "0");
    }
}
