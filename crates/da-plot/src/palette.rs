//! The fixed colour palette shared by all charts.

use plotters::style::RGBColor;

/// Colours given to series, groups and classes, in order, as `#RRGGBB`.
///
/// The first nine are Paul Tol's colour-blind-safe "muted" scheme (reordered so that the first
/// few, used by charts with only two or three series, are the darkest); the tenth is a dark grey
/// so that the ten digit classes each get their own colour. Indices past the end wrap around.
pub const PALETTE: [&str; 10] = [
    "#332288", // indigo
    "#CC6677", // rose
    "#117733", // green
    "#882255", // wine
    "#44AA99", // teal
    "#999933", // olive
    "#AA4499", // purple
    "#88CCEE", // cyan
    "#DDCC77", // sand
    "#555555", // dark grey
];

/// The palette colour for `index` (series, group or class number), wrapping around after
/// [`PALETTE`]'s last entry.
///
/// ```
/// assert_eq!(da_plot::palette_colour(0), da_plot::palette_colour(da_plot::PALETTE.len()));
/// ```
pub fn palette_colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// [`palette_colour`] as a plotters colour.
pub(crate) fn rgb(index: usize) -> RGBColor {
    hex(palette_colour(index))
}

/// `#RRGGBB` as a colour.
pub(crate) fn hex(code: &str) -> RGBColor {
    let channel = |i: usize| u8::from_str_radix(&code[i..i + 2], 16).expect("a #RRGGBB code");
    RGBColor(channel(1), channel(3), channel(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_distinct_hex_codes() {
        for (i, a) in PALETTE.iter().enumerate() {
            assert!(a.len() == 7 && a.starts_with('#'), "{a}");
            assert!(a[1..].chars().all(|c| c.is_ascii_hexdigit()), "{a}");
            for b in &PALETTE[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn indices_wrap_around_and_parse() {
        assert_eq!(palette_colour(3), PALETTE[3]);
        assert_eq!(palette_colour(PALETTE.len() + 2), PALETTE[2]);
        assert_eq!(rgb(0), RGBColor(0x33, 0x22, 0x88));
    }
}
