//! Dependency-free SVG charts for training reports: [`LineChart`] for curves (loss, accuracy,
//! MMD per epoch, optionally on log axes) and [`ScatterPlot`] for 2-D feature clouds, plus
//! [`Pca`] / [`pca_2d`] to project high-dimensional features onto two axes.
//!
//! Charts are plain structs with public fields; `to_svg` renders a standalone SVG document and
//! `save` writes it atomically. Axes get "nice" ticks (1-2-5 steps, decades on log axes), each
//! series, group or class a colour of the colour-blind-safe [`PALETTE`], and all text is
//! escaped. Points that an axis cannot show (NaN, infinite, non-positive on a log axis) are
//! skipped, and degenerate data (no points, one point, all equal) still give a valid chart.
//!
//! Source and target features coloured by class, on the same PCA axes:
//!
//! ```
//! use da_plot::{Group, Marker, Pca, ScatterPlot};
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
//! let svg = plot.to_svg();
//! assert!(svg.starts_with("<svg") && svg.contains("class 2"));
//! # Ok::<(), da_plot::PcaError>(())
//! ```
#![warn(missing_docs)]

mod atomic_write;
mod axis;
mod error;
mod escape;
mod frame;
mod legend;
mod line_chart;
mod marker;
mod palette;
mod pca;
mod scatter_plot;
mod svg;
mod ticks;

pub use error::PcaError;
pub use line_chart::{LineChart, MAX_MARKED_POINTS, Series};
pub use marker::Marker;
pub use palette::{PALETTE, palette_colour};
pub use pca::{Pca, Projection, pca_2d};
pub use scatter_plot::{Group, ScatterPlot};
