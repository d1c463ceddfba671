//! Rendering any chart to PNG or SVG bytes, and saving it atomically.

use std::path::Path;
use std::sync::Once;

use image::ImageEncoder;
use image::codecs::png::PngEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::PlotError;
use crate::format::PlotFormat;

/// DejaVu Sans 2.37, the font of all text in PNG charts (licence: `fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// The font family charts ask for; the embedded font is registered under it.
pub(crate) const FAMILY: &str = "sans-serif";

/// A chart that can draw itself on any plotters drawing area.
pub(crate) trait Draw {
    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the chart onto `area`, which it fills.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

/// Text style of `size` pixels in the chart font.
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans is a valid font"));
    });
}

/// `chart` rendered as a PNG or SVG file's bytes.
pub(crate) fn render(chart: &impl Draw, format: PlotFormat) -> Result<Vec<u8>, PlotError> {
    register_font();
    let (width, height) = chart.size();
    let (width, height) = (width.max(1), height.max(1));
    match format {
        PlotFormat::Png => {
            let mut pixels = vec![255u8; width as usize * height as usize * 3];
            {
                let area =
                    BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
                chart.draw(&area)?;
                area.present().map_err(PlotError::draw)?;
            }
            let mut png = Vec::new();
            PngEncoder::new(&mut png).write_image(
                &pixels,
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )?;
            Ok(png)
        }
        PlotFormat::Svg => {
            let mut svg = String::new();
            {
                let area = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
                chart.draw(&area)?;
                area.present().map_err(PlotError::draw)?;
            }
            Ok(svg.into_bytes())
        }
    }
}

/// Renders `chart` and writes it to `path` through [`atomic_file::write`].
pub(crate) fn save(chart: &impl Draw, path: &Path, format: PlotFormat) -> Result<(), PlotError> {
    let bytes = render(chart, format)?;
    atomic_file::write(path, &bytes)?;
    Ok(())
}

/// Implements `render` and `save` for a chart type that implements [`Draw`].
macro_rules! render_methods {
    ($chart:ty) => {
        impl $chart {
            /// Renders the chart as the bytes of a PNG or SVG file.
            ///
            /// # Errors
            ///
            /// [`PlotError::Draw`](crate::PlotError::Draw) when plotters fails,
            /// [`PlotError::Encode`](crate::PlotError::Encode) when the PNG cannot be encoded.
            pub fn render(&self, format: $crate::PlotFormat) -> Result<Vec<u8>, $crate::PlotError> {
                $crate::render::render(self, format)
            }

            /// Renders the chart and writes it to `path` atomically (a crash leaves the old file
            /// or the new one, never half of it).
            ///
            /// # Errors
            ///
            /// As [`render`](Self::render), and [`PlotError::Io`](crate::PlotError::Io), naming
            /// the file, when it cannot be written.
            pub fn save(
                &self,
                path: impl AsRef<std::path::Path>,
                format: $crate::PlotFormat,
            ) -> Result<(), $crate::PlotError> {
                $crate::render::save(self, path.as_ref(), format)
            }
        }
    };
}
pub(crate) use render_methods;
