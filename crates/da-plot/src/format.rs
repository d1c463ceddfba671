//! The two output formats of every chart.

use std::fmt;
use std::str::FromStr;

/// The file format a chart is rendered to: PNG (the default) or SVG.
///
/// Parsed from and displayed as `png` / `svg` (any case when parsing), which is also the file
/// extension:
///
/// ```
/// use da_plot::PlotFormat;
///
/// let format: PlotFormat = "SVG".parse().unwrap();
/// assert_eq!(format, PlotFormat::Svg);
/// assert_eq!(format!("loss.{}", format.extension()), "loss.svg");
/// assert_eq!(PlotFormat::default().to_string(), "png");
/// assert!("gif".parse::<PlotFormat>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PlotFormat {
    /// A raster image (RGB, 8 bits per channel), text drawn with the embedded DejaVu Sans.
    #[default]
    Png,
    /// A vector image; text is left to the viewer's `sans-serif` font.
    Svg,
}

impl PlotFormat {
    /// The file extension, without the dot: `png` or `svg`.
    pub fn extension(self) -> &'static str {
        match self {
            PlotFormat::Png => "png",
            PlotFormat::Svg => "svg",
        }
    }
}

impl fmt::Display for PlotFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The text was neither `png` nor `svg`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown plot format `{0}`; expected `png` or `svg`")]
pub struct UnknownPlotFormat(pub String);

impl FromStr for PlotFormat {
    type Err = UnknownPlotFormat;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "png" => Ok(PlotFormat::Png),
            "svg" => Ok(PlotFormat::Svg),
            _ => Err(UnknownPlotFormat(text.to_string())),
        }
    }
}
