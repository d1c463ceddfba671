//! Charts for training reports, drawn with [`plotters`] as PNG or SVG: [`LineChart`] for curves
//! (loss, accuracy, time against size, optionally on log axes), [`ScatterPlot`] for 2-D feature
//! clouds, [`Histogram`] for a sample with marked values, and [`Figure`] for several of them
//! side by side; plus [`Pca`] / [`pca_2d`] (on nalgebra) and [`tsne_2d`] (on bhtsne) to project
//! high-dimensional features onto two axes.
//!
//! Charts are plain structs with public fields; `render(format)` returns the bytes of a PNG or
//! SVG file ([`PlotFormat`]) and `save(path, format)` writes them atomically with
//! [`atomic_file::write`]. Axes get "nice" ticks (1-2-5 steps, decades on log axes), each
//! series, group or class a colour of the colour-blind-safe [`PALETTE`]. Points that an axis
//! cannot show (NaN, infinite, non-positive on a log axis) are skipped, and degenerate data (no
//! points, one point, all equal) still give a valid chart. Text in PNG output is drawn with the
//! embedded DejaVu Sans (`fonts/`, with its licence), so no system font is needed.
//!
//! Source and target features coloured by class, on the same PCA axes:
//!
//! ```
//! use da_plot::{Group, Marker, Pca, PlotFormat, ScatterPlot};
//!
//! // Two 3-D feature sets (row-major, 3 columns) with their class labels.
//! let source = [0.0f32, 0.1, 1.0, 1.0, 0.9, 0.0, 2.0, 2.1, 1.0];
//! let target = [0.5f32, 0.4, 1.5, 1.4, 1.5, 0.5];
//! let (source_classes, target_classes) = (vec![0, 1, 2], vec![0, 1]);
//!
//! let pca = Pca::fit(&source, 3, 3)?;
//! let [pc1, pc2] = pca.explained_variance_ratio();
//! let plot = ScatterPlot {
//!     title: "Bottleneck features".into(),
//!     x_label: format!("PC1 ({:.0} %)", 100.0 * pc1),
//!     y_label: format!("PC2 ({:.0} %)", 100.0 * pc2),
//!     groups: vec![
//!         Group::with_classes("source", Marker::Circle, pca.project(&source)?, source_classes),
//!         Group::with_classes("target", Marker::Cross, pca.project(&target)?, target_classes),
//!     ],
//!     ..Default::default()
//! };
//! let png = plot.render(PlotFormat::Png)?;
//! assert!(png.starts_with(b"\x89PNG"));
//! let svg = String::from_utf8(plot.render(PlotFormat::Svg)?).unwrap();
//! assert!(svg.starts_with("<svg") && svg.contains("class 2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod coord;
mod error;
mod figure;
mod format;
mod histogram;
mod line_chart;
mod marker;
mod palette;
mod panel;
mod pca;
mod render;
mod scatter_plot;
mod tsne;

pub use error::{PlotError, ProjectionError};
pub use figure::{Figure, Panel};
pub use format::{PlotFormat, UnknownPlotFormat};
pub use histogram::{Bin, Histogram, VerticalLine};
pub use line_chart::{LineChart, MAX_MARKED_POINTS, Series};
pub use marker::Marker;
pub use palette::{PALETTE, palette_colour};
pub use pca::{Pca, Projection, pca_2d};
pub use scatter_plot::{Group, ScatterPlot};
pub use tsne::{TSNE_MAX_ROWS, TsneConfig, tsne_2d};
