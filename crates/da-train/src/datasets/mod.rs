//! Labelled image datasets: the built-in digit domains, users' image folders, CSV and IDX
//! files, resampling to a common size, and the batch loaders of a training run.

pub mod augment;
mod classes;
pub mod colour_shift;
mod crop;
mod dataset;
mod domain;
mod embedded;
mod error;
mod idx;
mod image_folder;
mod labelled_csv;
mod loader;
mod resample;
mod shuffle;

pub use crop::{Crop, INK_THRESHOLD};
pub use dataset::Dataset;
pub use domain::{Builtin, DomainSource, TEST_FRACTION};
pub use error::DataError;
pub use idx::{IdxArray, read_idx};
pub use image_folder::read_image_folder;
pub use labelled_csv::{CsvImages, read_labelled_csv};
pub use loader::{BatchLoader, LoaderState};
pub use resample::{pad_square, resize};
