//! Pictures of a run: training curves and a 2-D PCA projection of the learned features.

use std::path::Path;

use burn::tensor::backend::Backend;
use da_models::DaNet;
use da_plot::{Group, LineChart, Marker, Pca, ScatterPlot, Series};

use super::config::TrainConfig;
use super::metrics::EpochMetrics;
use super::run::{RunData, TrainError};
use crate::datasets::Dataset;

/// Images per domain in the feature projection.
const PROJECTED: usize = 300;

/// Writes `loss.svg`, `accuracy.svg` and `features.svg` into `out`.
pub fn write_pictures<B: Backend>(
    out: &Path,
    metrics: &[EpochMetrics],
    model: &DaNet<B>,
    data: &RunData,
    config: &TrainConfig,
    device: &B::Device,
) -> Result<(), TrainError> {
    let series = |name: &str, value: fn(&EpochMetrics) -> f64| {
        Series::new(
            name,
            metrics.iter().map(|m| (m.epoch as f64, value(m))).collect(),
        )
    };
    let title = format!(
        "{} -> {}, transfer {:?}",
        config.source, config.target, config.transfer
    );
    let loss = LineChart {
        title: format!("Training losses, {title}"),
        x_label: "epoch".into(),
        y_label: "mean loss".into(),
        series: vec![
            series("classification", |m| m.clf_loss),
            series("transfer (MMD)", |m| m.transfer_loss),
            series("total", |m| m.total_loss),
        ],
        ..LineChart::default()
    };
    let accuracy = LineChart {
        title: format!("Accuracy, {title}"),
        x_label: "epoch".into(),
        y_label: "accuracy".into(),
        series: vec![
            series("source test", |m| m.source_accuracy),
            series("target test", |m| m.target_accuracy),
        ],
        ..LineChart::default()
    };
    for (name, chart) in [("loss.svg", &loss), ("accuracy.svg", &accuracy)] {
        let path = out.join(name);
        chart
            .save(&path)
            .map_err(|source| TrainError::Io { path, source })?;
    }

    let (source_rows, source_labels) = features(model, &data.source_test, device);
    let (target_rows, target_labels) = features(model, &data.target_test, device);
    let dim = model.feature_dim();
    let mut pooled = source_rows.clone();
    pooled.extend_from_slice(&target_rows);
    let plot_err = |e: da_plot::PcaError| TrainError::Data(format!("feature projection: {e}"));
    // One PCA of both domains, so that their clouds share axes.
    let pca = Pca::fit(&pooled, pooled.len() / dim, dim).map_err(plot_err)?;
    let [pc1, pc2] = pca.explained_variance_ratio();
    let scatter = ScatterPlot {
        title: format!("Features (PCA of source and target), {title}"),
        x_label: format!("PC1 ({:.0} %)", 100.0 * pc1),
        y_label: format!("PC2 ({:.0} %)", 100.0 * pc2),
        groups: vec![
            Group::with_classes(
                format!("source {}", config.source),
                Marker::Circle,
                pca.project(&source_rows).map_err(plot_err)?,
                source_labels,
            ),
            Group::with_classes(
                format!("target {}", config.target),
                Marker::Cross,
                pca.project(&target_rows).map_err(plot_err)?,
                target_labels,
            ),
        ],
        class_names: data.source_test.classes.clone(),
        ..ScatterPlot::default()
    };
    let path = out.join("features.svg");
    scatter
        .save(&path)
        .map_err(|source| TrainError::Io { path, source })
}

/// Features of up to [`PROJECTED`] evenly spaced images of `data`, row-major, with labels.
fn features<B: Backend>(
    model: &DaNet<B>,
    data: &Dataset,
    device: &B::Device,
) -> (Vec<f64>, Vec<usize>) {
    let step = data.len().div_ceil(PROJECTED).max(1);
    let indices: Vec<usize> = (0..data.len()).step_by(step).collect();
    let (images, _) = data.batch::<B>(&indices, device);
    let rows = model
        .forward(images)
        .features
        .into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("f64 features");
    let labels = indices.iter().map(|&i| data.labels[i]).collect();
    (rows, labels)
}
