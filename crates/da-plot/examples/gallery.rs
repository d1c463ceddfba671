//! Renders one example of each chart into a directory:
//!
//! ```text
//! cargo run -p da-plot --example gallery -- /tmp/plot-check [png|svg]
//! ```
//!
//! `loss.png` (training curves on a log axis), `accuracy.png` (a linear axis, with a gap where
//! a value is NaN) and `features.png` (synthetic source and target features, PCA-projected and
//! coloured by class) and `tsne.png` (the same features embedded by t-SNE), or the same as
//! `.svg`.

use std::path::PathBuf;

use da_plot::{
    Group, LineChart, Marker, Pca, PlotFormat, ScatterPlot, Series, TsneConfig, tsne_2d,
};

/// Uniform values in [-1, 1) from a 64-bit linear congruential generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let format: PlotFormat = match std::env::args().nth(2) {
        Some(text) => text.parse()?,
        None => PlotFormat::Png,
    };
    let file = |stem: &str| dir.join(format!("{stem}.{}", format.extension()));
    std::fs::create_dir_all(&dir)?;
    let mut rng = Lcg(1);

    let epochs = 1..=60;
    let curve = |scale: f64, floor: f64, rate: f64, rng: &mut Lcg| -> Vec<(f64, f64)> {
        epochs
            .clone()
            .map(|e| {
                let e = f64::from(e);
                (
                    e,
                    floor + scale * (-rate * e).exp() * (1.0 + 0.08 * rng.next()),
                )
            })
            .collect()
    };
    let loss = LineChart {
        title: "Training curves (LeNet, MNIST → USPS)".into(),
        x_label: "epoch".into(),
        y_label: "loss".into(),
        y_log: true,
        series: vec![
            Series::new("classification (source)", curve(2.2, 0.004, 0.12, &mut rng)),
            Series::new("MMD² (features)", curve(0.4, 0.01, 0.05, &mut rng)),
            Series::new("total", curve(2.6, 0.02, 0.1, &mut rng)),
        ],
        ..Default::default()
    };
    loss.save(file("loss"), format)?;

    let accuracy = |start: f64, end: f64, rng: &mut Lcg| -> Vec<(f64, f64)> {
        (1..=20)
            .map(|e| {
                let e = f64::from(e);
                let y = if e == 9.0 {
                    f64::NAN
                } else {
                    end - (end - start) * (-0.3 * e).exp() + 0.01 * rng.next()
                };
                (e, y)
            })
            .collect()
    };
    let accuracy_chart = LineChart {
        title: "Target accuracy".into(),
        x_label: "epoch".into(),
        y_label: "accuracy".into(),
        series: vec![
            Series::new("source only", accuracy(0.55, 0.68, &mut rng)),
            Series::new("MMD (λ = 0.5)", accuracy(0.55, 0.83, &mut rng)),
            Series::new("MMD (λ = 2)", accuracy(0.5, 0.87, &mut rng)),
        ],
        ..Default::default()
    };
    accuracy_chart.save(file("accuracy"), format)?;

    // Synthetic 64-d features of 10 classes; the target domain is shifted and noisier.
    let (dim, classes, per_class) = (64, 10, 50);
    let centres: Vec<Vec<f64>> = (0..classes)
        .map(|_| (0..dim).map(|_| 3.0 * rng.next()).collect())
        .collect();
    let shift: Vec<f64> = (0..dim).map(|_| 1.5 * rng.next()).collect();
    let mut sample = |target: bool| -> (Vec<f32>, Vec<usize>) {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for (class, centre) in centres.iter().enumerate() {
            for _ in 0..per_class {
                for (j, c) in centre.iter().enumerate() {
                    let (offset, noise) = if target { (shift[j], 1.6) } else { (0.0, 1.0) };
                    rows.push((c + offset + noise * rng.next()) as f32);
                }
                labels.push(class);
            }
        }
        (rows, labels)
    };
    let (source, source_labels) = sample(false);
    let (target, target_labels) = sample(true);
    let both: Vec<f32> = source.iter().chain(&target).copied().collect();
    let pca = Pca::fit(&both, both.len() / dim, dim)?;
    let [pc1, pc2] = pca.explained_variance_ratio();
    let features = ScatterPlot {
        title: "Bottleneck features, PCA of source ∪ target".into(),
        x_label: format!("PC1 ({:.1} % of variance)", 100.0 * pc1),
        y_label: format!("PC2 ({:.1} % of variance)", 100.0 * pc2),
        groups: vec![
            Group::with_classes(
                "source",
                Marker::Circle,
                pca.project(&source)?,
                source_labels.clone(),
            ),
            Group::with_classes(
                "target",
                Marker::Cross,
                pca.project(&target)?,
                target_labels.clone(),
            ),
        ],
        class_names: (0..classes).map(|c| format!("digit {c}")).collect(),
        ..Default::default()
    };
    features.save(file("features"), format)?;

    // The same features embedded by t-SNE (the sample size of da-train's reports).
    let started = std::time::Instant::now();
    let embedded = tsne_2d(&both, dim, &TsneConfig::default())?;
    let seconds = started.elapsed().as_secs_f64();
    let (source_points, target_points) = embedded.split_at(source_labels.len());
    let tsne = ScatterPlot {
        title: format!(
            "t-SNE of {} source + {} target features ({seconds:.1} s)",
            source_labels.len(),
            target_labels.len()
        ),
        groups: vec![
            Group::with_classes(
                "source",
                Marker::Circle,
                source_points.to_vec(),
                source_labels,
            ),
            Group::with_classes(
                "target",
                Marker::Cross,
                target_points.to_vec(),
                target_labels,
            ),
        ],
        class_names: (0..classes).map(|c| format!("digit {c}")).collect(),
        ..Default::default()
    };
    tsne.save(file("tsne"), format)?;

    println!(
        "wrote loss.{0}, accuracy.{0}, features.{0} and tsne.{0} to {1}",
        format.extension(),
        dir.display()
    );
    Ok(())
}
