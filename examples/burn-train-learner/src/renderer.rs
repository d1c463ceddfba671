//! A plain-text [`MetricsRenderer`] for burn-train: without its `tui` feature burn-train prints
//! every item's progress struct; this prints the metrics every few iterations and at the end of
//! each validation pass.
use std::collections::HashMap;

use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{
    EvaluationName, EvaluationProgress, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining, ProgressType, TrainingProgress,
};

/// Prints `epoch E iteration I: Metric epoch X - batch Y, ...` lines to stdout.
#[derive(Debug, Default)]
pub struct LineRenderer {
    every: usize,
    names: HashMap<MetricId, String>,
    train: Vec<(String, String)>,
    valid: Vec<(String, String)>,
    /// (epoch, iteration) of the last training item, unless its line was printed.
    unprinted: Option<(usize, usize)>,
}

impl LineRenderer {
    /// Prints the training metrics every `every` iterations and at the end of each epoch.
    pub fn new(every: usize) -> Self {
        Self {
            every: every.max(1),
            ..Self::default()
        }
    }

    fn record(&self, into: &mut Vec<(String, String)>, state: MetricState) {
        let entry = match state {
            MetricState::Generic(entry) | MetricState::Numeric(entry, _) => entry,
        };
        let name = self
            .names
            .get(&entry.metric_id)
            .cloned()
            .unwrap_or_else(|| format!("{:?}", entry.metric_id));
        let formatted = entry.serialized_entry.formatted;
        match into.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = formatted,
            None => into.push((name, formatted)),
        }
    }

    fn print_train(&mut self) {
        if let Some((epoch, iteration)) = self.unprinted.take() {
            println!(
                "[train] epoch {epoch} iteration {iteration}: {}",
                Self::line(&self.train)
            );
        }
    }

    fn line(metrics: &[(String, String)]) -> String {
        let parts: Vec<String> = metrics.iter().map(|(n, v)| format!("{n} {v}")).collect();
        parts.join(", ")
    }
}

/// Whether `item` is the last of its epoch.
fn epoch_done(item: &TrainingProgress) -> bool {
    item.progress
        .as_ref()
        .is_some_and(|p| p.items_processed >= p.items_total)
}

impl MetricsRendererTraining for LineRenderer {
    fn update_train(&mut self, state: MetricState) {
        let mut train = std::mem::take(&mut self.train);
        self.record(&mut train, state);
        self.train = train;
    }

    fn update_valid(&mut self, state: MetricState) {
        let mut valid = std::mem::take(&mut self.valid);
        self.record(&mut valid, state);
        self.valid = valid;
    }

    fn render_train(&mut self, item: TrainingProgress, _: Vec<ProgressType>) {
        let (epoch, iteration) = (
            item.global_progress.items_processed,
            item.iteration.unwrap_or(0),
        );
        self.unprinted = Some((epoch, iteration));
        if iteration % self.every == 0 {
            self.print_train();
        }
    }

    fn render_valid(&mut self, item: TrainingProgress, _: Vec<ProgressType>) {
        // The epoch's last training line, once its last step (one item per device) is in.
        self.print_train();
        if epoch_done(&item) {
            let epoch = item.global_progress.items_processed;
            println!("[valid] epoch {epoch}: {}", Self::line(&self.valid));
        }
    }
}

impl MetricsRendererEvaluation for LineRenderer {
    fn update_test(&mut self, _: EvaluationName, state: MetricState) {
        self.update_valid(state);
    }

    fn render_test(&mut self, _: EvaluationProgress, _: Vec<ProgressType>) {}
}

impl MetricsRenderer for LineRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names.insert(definition.metric_id, definition.name);
    }
}
