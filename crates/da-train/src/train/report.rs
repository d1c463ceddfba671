//! Pictures of a run, as PNG or SVG (`plot_format`): training curves, a 2-D PCA projection of
//! the learned features, and t-SNE of the source and target features before and after
//! adaptation.

use std::path::Path;

use burn::tensor::backend::Backend;
use da_models::DaNet;
use da_plot::{
    Figure, Group, LineChart, Marker, Panel, Pca, ProjectionError, ScatterPlot, Series, TsneConfig,
    tsne_2d,
};

use super::config::TrainConfig;
use super::metrics::EpochMetrics;
use super::run::{RunData, TrainError};
use crate::datasets::Dataset;

/// Test images per domain in the feature pictures (PCA and t-SNE): at most 500 source + 500
/// target images, evenly spaced, so that t-SNE stays around a second.
pub const PROJECTED: usize = 500;

/// The t-SNE settings of the report: perplexity 30, 1000 epochs, Barnes-Hut theta 0.5, seed 0
/// (the same picture for the same features).
const TSNE: TsneConfig = TsneConfig {
    perplexity: 30.0,
    epochs: 1000,
    theta: 0.5,
    seed: 0,
};

/// Features of up to [`PROJECTED`] evenly spaced test images of each domain, row-major, with
/// their labels: what the feature pictures show.
pub struct SampledFeatures {
    /// Width of a feature row.
    dim: usize,
    source: (Vec<f64>, Vec<usize>),
    target: (Vec<f64>, Vec<usize>),
}

impl SampledFeatures {
    /// The features `model` gives the sampled source and target test images.
    pub fn of<B: Backend>(model: &DaNet<B>, data: &RunData, device: &B::Device) -> Self {
        Self {
            dim: model.feature_dim(),
            source: features(model, &data.source_test, device),
            target: features(model, &data.target_test, device),
        }
    }
}

fn projection_err(e: ProjectionError) -> TrainError {
    TrainError::Data(format!("feature projection: {e}"))
}

/// Writes `loss`, `accuracy`, `features` (PCA of the final features) and `tsne` (t-SNE of the
/// features at initialisation, `before`, and after training) into `out`, with the extension of
/// `config.plot_format`.
pub fn write_pictures<B: Backend>(
    out: &Path,
    metrics: &[EpochMetrics],
    model: &DaNet<B>,
    before: &SampledFeatures,
    data: &RunData,
    config: &TrainConfig,
    device: &B::Device,
) -> Result<(), TrainError> {
    let format = da_plot::PlotFormat::from(config.plot_format);
    let save = |name: &str, render: &dyn Fn(&Path) -> Result<(), da_plot::PlotError>| {
        let path = out.join(format!("{name}.{}", format.extension()));
        render(&path).map_err(|e| match e {
            da_plot::PlotError::Io(source) => TrainError::Io { path, source },
            other => TrainError::Data(format!("{}: {other}", path.display())),
        })
    };
    let series = |name: &str, value: fn(&EpochMetrics) -> f64| {
        Series::new(
            name,
            metrics.iter().map(|m| (m.epoch as f64, value(m))).collect(),
        )
    };
    let title = format!(
        "{} -> {}, transfer {}",
        config.source,
        config.target,
        config.transfer.name()
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
    save("loss", &|path| loss.save(path, format))?;
    save("accuracy", &|path| accuracy.save(path, format))?;

    let after = SampledFeatures::of(model, data, device);
    let dim = after.dim;
    let (source_rows, target_rows) = (&after.source.0, &after.target.0);
    let mut pooled = source_rows.clone();
    pooled.extend_from_slice(target_rows);
    // One PCA of both domains, so that their clouds share axes.
    let pca = Pca::fit(&pooled, pooled.len() / dim, dim).map_err(projection_err)?;
    let [pc1, pc2] = pca.explained_variance_ratio();
    let groups = |source: Vec<(f64, f64)>, target: Vec<(f64, f64)>, features: &SampledFeatures| {
        vec![
            Group::with_classes(
                format!("source {}", config.source),
                Marker::Circle,
                source,
                features.source.1.clone(),
            ),
            Group::with_classes(
                format!("target {}", config.target),
                Marker::Cross,
                target,
                features.target.1.clone(),
            ),
        ]
    };
    let scatter = ScatterPlot {
        title: format!("Features (PCA of source and target), {title}"),
        x_label: format!("PC1 ({:.0} %)", 100.0 * pc1),
        y_label: format!("PC2 ({:.0} %)", 100.0 * pc2),
        groups: groups(
            pca.project(source_rows).map_err(projection_err)?,
            pca.project(target_rows).map_err(projection_err)?,
            &after,
        ),
        class_names: data.source_test.classes.clone(),
        ..ScatterPlot::default()
    };
    save("features", &|path| scatter.save(path, format))?;

    let mut panels = Vec::new();
    for (when, features) in [
        ("before adaptation (initialisation)", before),
        ("after adaptation", &after),
    ] {
        // One t-SNE of both domains per panel, so that their clouds share the embedding.
        let n_source = features.source.1.len();
        let mut rows = features.source.0.clone();
        rows.extend_from_slice(&features.target.0);
        let mut points = tsne_2d(&rows, features.dim, &TSNE).map_err(projection_err)?;
        let target = points.split_off(n_source);
        panels.push(Panel::Scatter(ScatterPlot {
            title: when.into(),
            groups: groups(points, target, features),
            class_names: data.source_test.classes.clone(),
            ..ScatterPlot::default()
        }));
    }
    let tsne = Figure {
        title: format!(
            "t-SNE of {} source + {} target features, {title}",
            after.source.1.len(),
            after.target.1.len()
        ),
        panels,
        columns: 2,
    };
    save("tsne", &|path| tsne.save(path, format))
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
