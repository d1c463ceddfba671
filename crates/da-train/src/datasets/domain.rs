//! Domains by name or path: the built-in digit sets and users' own data.

use std::path::{Path, PathBuf};

use super::classes::index_labels;
use super::colour_shift;
use super::crop::Crop;
use super::dataset::Dataset;
use super::embedded::BuiltinFiles;
use super::error::{DataError, malformed};
use super::idx::{IdxArray, decode_idx, read_idx};
use super::image_folder::read_image_folder;
use super::labelled_csv::{CsvImages, parse_labelled_csv, read_labelled_csv};
use super::resample::{pad_square, resize};
use super::shuffle::shuffle;

/// Fraction of MFEAT and OPTDIGITS held out as their test split (per class, seeded).
pub const TEST_FRACTION: f64 = 0.2;
/// Seed of the fixed MFEAT / OPTDIGITS train-test split.
const SPLIT_SEED: u64 = 2024;

/// The built-in real digit domains (see `data/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// MNIST: 5,000 training and 1,000 test images (28x28, 0-255), balanced subsets.
    Mnist,
    /// UCI Multiple Features, pixel view: 2,000 images (15 wide, 16 high, 0-6).
    Mfeat,
    /// UCI optdigits (scikit-learn's digits): 1,797 images (8x8, 0-16).
    Optdigits,
    /// `mnistm-synth`: the MNIST images blended with generated colour backgrounds, MNIST-M
    /// style (see [`colour_shift`](super::colour_shift)); 3 channels, same splits and labels as
    /// [`Builtin::Mnist`], the training and test splits with different backgrounds.
    MnistmSynth,
}

impl Builtin {
    /// Every built-in domain.
    pub const ALL: [Builtin; 4] = [
        Builtin::Mnist,
        Builtin::Mfeat,
        Builtin::Optdigits,
        Builtin::MnistmSynth,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Mnist => "mnist",
            Builtin::Mfeat => "mfeat",
            Builtin::Optdigits => "optdigits",
            Builtin::MnistmSynth => "mnistm-synth",
        }
    }
}

/// Where a domain's images come from, as written on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainSource {
    /// A built-in digit domain.
    Builtin(Builtin),
    /// An image folder (one sub-folder per class); with `train/` and `test/` sub-folders
    /// those are the splits, else all images serve as both.
    ImageFolder(PathBuf),
    /// A CSV file, pixels then the label, square images; all rows serve as both splits.
    Csv(PathBuf),
    /// An IDX images file and its labels file; both splits.
    Idx {
        /// `*.idx3-ubyte[.gz]`
        images: PathBuf,
        /// `*.idx1-ubyte[.gz]`
        labels: PathBuf,
    },
}

impl DomainSource {
    /// Parses `mnist`, `mfeat`, `optdigits`, `mnistm-synth`, a folder, a `.csv` file,
    /// `IMAGES,LABELS` IDX files, or an IDX images file whose labels file is named alike
    /// (`images.idx3` -> `labels.idx1`).
    pub fn parse(spec: &str) -> Result<Self, DataError> {
        let lower = spec.to_ascii_lowercase();
        if let Some(builtin) = Builtin::ALL.into_iter().find(|b| b.name() == lower) {
            return Ok(Self::Builtin(builtin));
        }
        if let Some((images, labels)) = spec.split_once(',') {
            return Ok(Self::Idx {
                images: images.into(),
                labels: labels.into(),
            });
        }
        let path = PathBuf::from(spec);
        if path.is_dir() {
            return Ok(Self::ImageFolder(path));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".csv") {
            return Ok(Self::Csv(path));
        }
        if name.contains("idx3") {
            let labels = path
                .to_string_lossy()
                .replace("images.idx3", "labels.idx1")
                .replace("images-idx3", "labels-idx1");
            if labels != path.to_string_lossy() {
                return Ok(Self::Idx {
                    images: path,
                    labels: labels.into(),
                });
            }
        }
        Err(DataError::UnknownDomain(spec.to_string()))
    }

    /// The (training, test) sets, every image `side x side` with the domain's own channels:
    /// 3 for `mnistm-synth` and image folders with colour, else 1
    /// ([`Dataset::with_channels`] pairs a grey domain with a colour one). Intensities are
    /// scaled to `[0, 1]` by the format's maximum (255 for IDX and images, 6 for MFEAT, 16 for
    /// OPTDIGITS, the file's largest value for other CSVs).
    pub fn load(
        &self,
        data_dir: Option<&Path>,
        side: usize,
        crop: Crop,
    ) -> Result<(Dataset, Dataset), DataError> {
        let files = match data_dir {
            Some(dir) => BuiltinFiles::Dir(dir),
            None => BuiltinFiles::Embedded,
        };
        let idx = |images: &str, labels: &str| -> Result<Dataset, DataError> {
            let (images, image_bytes) = files.read(images)?;
            let (labels, label_bytes) = files.read(labels)?;
            idx_dataset(
                decode_idx(&image_bytes, 3, &images)?,
                decode_idx(&label_bytes, 1, &labels)?,
                &images,
                &labels,
                side,
                crop,
            )
        };
        let csv = |name: &str, size, max_value| -> Result<Dataset, DataError> {
            let (path, bytes) = files.read(name)?;
            let table = parse_labelled_csv(&path, bytes.into_owned(), Some(size))?;
            Ok(csv_dataset(table, max_value, side, crop))
        };
        match self {
            Self::Builtin(Builtin::Mnist) => Ok((
                idx(
                    "mnist/train-images.idx3-ubyte.gz",
                    "mnist/train-labels.idx1-ubyte.gz",
                )?,
                idx(
                    "mnist/test-images.idx3-ubyte.gz",
                    "mnist/test-labels.idx1-ubyte.gz",
                )?,
            )),
            Self::Builtin(Builtin::MnistmSynth) => {
                // Colourised at MNIST's own 28x28 (after the crop of the grey digits), then
                // resampled like every other domain.
                let (train, test) = Self::Builtin(Builtin::Mnist).load(data_dir, 28, crop)?;
                let colour = |d: Dataset, stream| Dataset {
                    images: colour_shift::colourise(
                        &d.images,
                        d.len(),
                        28,
                        28,
                        colour_shift::SEED,
                        stream,
                    ),
                    channels: 3,
                    ..d
                };
                Ok((
                    resize_dataset(colour(train, 0), side),
                    resize_dataset(colour(test, 1), side),
                ))
            }
            Self::Builtin(Builtin::Mfeat) => Ok(split(csv("mfeat/mfeat-pix.csv", (16, 15), 6.0)?)),
            Self::Builtin(Builtin::Optdigits) => {
                Ok(split(csv("optdigits/optdigits.csv", (8, 8), 16.0)?))
            }
            Self::ImageFolder(root) => {
                let (train, test) = (root.join("train"), root.join("test"));
                if train.is_dir() && test.is_dir() {
                    Ok((
                        read_image_folder(&train, None, side)?,
                        read_image_folder(&test, None, side)?,
                    ))
                } else {
                    let all = read_image_folder(root, None, side)?;
                    Ok((all.clone(), all))
                }
            }
            Self::Csv(path) => {
                let all = csv_dataset(read_labelled_csv(path, None)?, 0.0, side, crop);
                Ok((all.clone(), all))
            }
            Self::Idx { images, labels } => {
                let all = idx_dataset(
                    read_idx(images, 3)?,
                    read_idx(labels, 1)?,
                    images,
                    labels,
                    side,
                    crop,
                )?;
                Ok((all.clone(), all))
            }
        }
    }
}

/// Every plane of `data` resampled to `side x side` (padded to a square first).
fn resize_dataset(data: Dataset, side: usize) -> Dataset {
    if data.height == side && data.width == side {
        return data;
    }
    let mut images = Vec::with_capacity(data.len() * data.channels * side * side);
    for plane in data.images.chunks(data.height * data.width) {
        push_image(
            &mut images,
            plane,
            data.height,
            data.width,
            side,
            Crop::None,
        );
    }
    Dataset {
        images,
        height: side,
        width: side,
        ..data
    }
}

/// Crops, pads to a square, resamples to `side` and appends one grayscale image.
fn push_image(
    out: &mut Vec<f32>,
    pixels: &[f32],
    height: usize,
    width: usize,
    side: usize,
    crop: Crop,
) {
    let (pixels, height, width) = crop.apply(pixels, height, width);
    let (square, n) = pad_square(&pixels, height, width);
    out.extend(resize(&square, n, n, side, side));
}

/// Images and labels of an IDX pair (named `images`, `labels` in errors) at `side x side`.
fn idx_dataset(
    img: IdxArray,
    lab: IdxArray,
    images: &Path,
    labels: &Path,
    side: usize,
    crop: Crop,
) -> Result<Dataset, DataError> {
    if img.dims[0] != lab.dims[0] {
        return Err(malformed(
            labels,
            format!(
                "{} labels for {} images in {}",
                lab.dims[0],
                img.dims[0],
                images.display()
            ),
        ));
    }
    let (h, w) = (img.dims[1], img.dims[2]);
    let mut out = Vec::with_capacity(img.dims[0] * side * side);
    for chunk in img.data.chunks(h * w) {
        let pixels: Vec<f32> = chunk.iter().map(|&v| f32::from(v) / 255.0).collect();
        push_image(&mut out, &pixels, h, w, side, crop);
    }
    let (classes, labels) = index_labels(lab.data.iter().map(|&l| u64::from(l)));
    Ok(Dataset {
        images: out,
        labels,
        channels: 1,
        height: side,
        width: side,
        classes,
    })
}

/// A CSV table's images at `side x side`; `max_value` 0 means: scale by the table's largest
/// value.
fn csv_dataset(table: CsvImages, max_value: f64, side: usize, crop: Crop) -> Dataset {
    let max = if max_value > 0.0 {
        max_value
    } else {
        table.pixels.iter().copied().fold(0.0, f64::max).max(1e-12)
    };
    let per = table.height * table.width;
    let mut out = Vec::with_capacity(table.labels.len() * side * side);
    for chunk in table.pixels.chunks(per) {
        let pixels: Vec<f32> = chunk
            .iter()
            .map(|&v| (v / max).clamp(0.0, 1.0) as f32)
            .collect();
        push_image(&mut out, &pixels, table.height, table.width, side, crop);
    }
    let (classes, labels) = table.classes();
    Dataset {
        images: out,
        labels,
        channels: 1,
        height: side,
        width: side,
        classes,
    }
}

/// The fixed stratified split: per class, a seeded [`TEST_FRACTION`] of the images is the test set.
fn split(all: Dataset) -> (Dataset, Dataset) {
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in 0..all.classes.len() {
        let mut members: Vec<usize> = (0..all.len()).filter(|&i| all.labels[i] == class).collect();
        shuffle(&mut members, SPLIT_SEED + class as u64);
        let held = (members.len() as f64 * TEST_FRACTION).round() as usize;
        test.extend_from_slice(&members[..held]);
        train.extend_from_slice(&members[held..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (all.select(&train), all.select(&test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            DomainSource::parse("MNIST").unwrap(),
            DomainSource::Builtin(Builtin::Mnist)
        );
        assert_eq!(
            DomainSource::parse("a/x-images.idx3-ubyte,a/y.idx1-ubyte").unwrap(),
            DomainSource::Idx {
                images: "a/x-images.idx3-ubyte".into(),
                labels: "a/y.idx1-ubyte".into()
            }
        );
        assert_eq!(
            DomainSource::parse("d/train-images.idx3-ubyte.gz").unwrap(),
            DomainSource::Idx {
                images: "d/train-images.idx3-ubyte.gz".into(),
                labels: "d/train-labels.idx1-ubyte.gz".into()
            }
        );
        assert_eq!(
            DomainSource::parse("my.CSV").unwrap(),
            DomainSource::Csv("my.CSV".into())
        );
        let err = DomainSource::parse("usps").unwrap_err().to_string();
        assert!(err.contains("unknown domain 'usps'"), "{err}");
    }

    #[test]
    fn builtin_domains_load_with_their_sizes() {
        for (domain, train, test) in [
            (Builtin::Mnist, 5000, 1000),
            (Builtin::Mfeat, 1600, 400),
            (Builtin::Optdigits, 1438, 359),
        ] {
            let (a, b) = DomainSource::Builtin(domain)
                .load(None, 16, Crop::Ink)
                .unwrap();
            assert_eq!((a.len(), b.len()), (train, test), "{domain:?}");
            assert_eq!(
                a.classes,
                (0..10).map(|c| c.to_string()).collect::<Vec<_>>(),
                "{domain:?}"
            );
            assert_eq!(a.images.len(), a.len() * 256);
            assert!(
                a.images.iter().all(|v| (0.0..=1.0).contains(v)),
                "{domain:?}"
            );
            // White digits on black: the border is darker than the centre on average.
            let mean = |f: &dyn Fn(usize, usize) -> bool| {
                let mut s = 0.0;
                let mut n = 0.0;
                for img in a.images.chunks(256) {
                    for y in 0..16 {
                        for x in 0..16 {
                            if f(y, x) {
                                s += img[y * 16 + x];
                                n += 1.0;
                            }
                        }
                    }
                }
                s / n
            };
            let border = mean(&|y, x| y == 0 || x == 0 || y == 15 || x == 15);
            let centre = mean(&|y, x| (5..11).contains(&y) && (5..11).contains(&x));
            assert!(
                centre > 2.0 * border,
                "{domain:?}: centre {centre}, border {border}"
            );
            let counts = (0..10)
                .map(|c| b.labels.iter().filter(|&&l| l == c).count())
                .collect::<Vec<_>>();
            assert!(
                counts.iter().all(|&c| c >= 30),
                "{domain:?}: test split per class {counts:?}"
            );
        }
    }

    #[test]
    fn mnistm_synth_is_mnist_in_colour() {
        let (mnist_train, mnist_test) = DomainSource::Builtin(Builtin::Mnist)
            .load(None, 28, Crop::Ink)
            .unwrap();
        let spec = DomainSource::parse("MNISTM-synth").unwrap();
        assert_eq!(spec, DomainSource::Builtin(Builtin::MnistmSynth));
        let (train, test) = spec.load(None, 32, Crop::Ink).unwrap();
        assert_eq!((train.channels, train.height, train.width), (3, 32, 32));
        assert_eq!((train.len(), test.len()), (5000, 1000));
        assert_eq!(train.labels, mnist_train.labels);
        assert_eq!(test.labels, mnist_test.labels);
        assert!(train.images.iter().all(|v| (0.0..=1.0).contains(v)));
        // Loading again gives the same images (the generator is deterministic).
        let (again, _) = spec.load(None, 32, Crop::Ink).unwrap();
        assert_eq!(again.images, train.images);
        // The splits get different backgrounds: mean colour of the first images differ.
        let first = |d: &Dataset| d.images[..d.image_len()].to_vec();
        assert_ne!(first(&train), first(&test));
    }
}
