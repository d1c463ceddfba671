//! CNN feature extractors, bottlenecks and classifiers for domain adaptation.
