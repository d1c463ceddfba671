//! An image folder: one sub-folder per class holding PNG or JPEG files (torchvision's
//! `ImageFolder`, DeepDA's layout). Classes are the sub-folder names, sorted.

use std::path::{Path, PathBuf};

use super::dataset::Dataset;
use super::error::{DataError, malformed};
use super::resample::resize;

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let io = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort();
    Ok(entries)
}

/// Reads every image under `root/<class>/`, converted to grayscale (`channels` `Some(1)`) or
/// RGB (`Some(3)`), resampled to `side x side`, intensities in `[0, 1]`. With `None` the folder
/// keeps its own channels: RGB when any image has colour (a pixel whose red, green and blue
/// differ), else grayscale.
///
/// # Panics
/// If `channels` is neither `None`, `Some(1)` nor `Some(3)`.
pub fn read_image_folder(
    root: &Path,
    channels: Option<usize>,
    side: usize,
) -> Result<Dataset, DataError> {
    assert!(
        matches!(channels, None | Some(1) | Some(3)),
        "channels must be 1 or 3, got {channels:?}"
    );
    let class_dirs: Vec<PathBuf> = sorted_entries(root)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    if class_dirs.is_empty() {
        return Err(malformed(
            root,
            "no class sub-folders (expected ROOT/<class>/<image>.png)",
        ));
    }
    let mut has_colour = false;
    let mut data = Dataset {
        images: Vec::new(),
        labels: Vec::new(),
        channels: channels.unwrap_or(3),
        height: side,
        width: side,
        classes: Vec::new(),
    };
    for (label, dir) in class_dirs.iter().enumerate() {
        data.classes.push(
            dir.file_name()
                .expect("a folder name")
                .to_string_lossy()
                .into_owned(),
        );
        let files: Vec<PathBuf> = sorted_entries(dir)?
            .into_iter()
            .filter(|p| is_image(p))
            .collect();
        if files.is_empty() {
            return Err(malformed(dir, "class folder without PNG or JPEG images"));
        }
        for file in files {
            let image = image::open(&file)
                .map_err(|e| malformed(&file, format!("cannot decode image: {e}")))?;
            let (w, h) = (image.width() as usize, image.height() as usize);
            let planes: Vec<Vec<f32>> = if channels == Some(1) {
                vec![image.to_luma32f().into_raw()]
            } else {
                let rgb = image.to_rgb32f().into_raw();
                has_colour |= rgb.chunks(3).any(|p| {
                    (p[0] - p[1]).abs() > 0.5 / 255.0 || (p[1] - p[2]).abs() > 0.5 / 255.0
                });
                (0..3)
                    .map(|c| rgb.iter().skip(c).step_by(3).copied().collect())
                    .collect()
            };
            for plane in planes {
                data.images.extend(resize(&plane, h, w, side, side));
            }
            data.labels.push(label);
        }
    }
    if channels.is_none() && !has_colour {
        // Grey images read as RGB: keep one of the three equal planes.
        let plane = side * side;
        data.images = data
            .images
            .chunks(3 * plane)
            .flat_map(|image| image[..plane].iter().copied())
            .collect();
        data.channels = 1;
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_classes_and_resizes() {
        let root = std::env::temp_dir().join(format!("da-folder-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (class, value) in [("cat", 255u8), ("dog", 0u8)] {
            std::fs::create_dir_all(root.join(class)).unwrap();
            for i in 0..2 {
                let img = image::GrayImage::from_pixel(6 + i, 4, image::Luma([value]));
                img.save(root.join(class).join(format!("{i}.png"))).unwrap();
            }
        }
        std::fs::write(root.join("dog").join("notes.txt"), "ignored").unwrap();
        let data = read_image_folder(&root, Some(1), 8).unwrap();
        assert_eq!(data.classes, vec!["cat", "dog"]);
        assert_eq!(data.labels, vec![0, 0, 1, 1]);
        assert_eq!(data.images.len(), 4 * 64);
        assert!(data.images[..128].iter().all(|v| (v - 1.0).abs() < 1e-6));
        assert!(data.images[128..].iter().all(|v| v.abs() < 1e-6));
        let rgb = read_image_folder(&root, Some(3), 4).unwrap();
        assert_eq!(rgb.images.len(), 4 * 3 * 16);
        // A grey folder keeps one channel; one coloured image makes it RGB.
        let native = read_image_folder(&root, None, 8).unwrap();
        assert_eq!(native, data);
        image::RgbImage::from_pixel(5, 5, image::Rgb([200, 10, 10]))
            .save(root.join("dog").join("red.png"))
            .unwrap();
        let native = read_image_folder(&root, None, 4).unwrap();
        assert_eq!((native.channels, native.len()), (3, 5));
        let red = &native.images[4 * 48..];
        assert!((red[0] - 200.0 / 255.0).abs() < 1e-6 && (red[16] - 10.0 / 255.0).abs() < 1e-6);
        std::fs::remove_file(root.join("dog").join("red.png")).unwrap();
        // A broken image is named.
        std::fs::write(root.join("cat").join("broken.png"), b"not a png").unwrap();
        let err = read_image_folder(&root, None, 8).unwrap_err().to_string();
        assert!(
            err.contains("broken.png") && err.contains("cannot decode"),
            "{err}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
