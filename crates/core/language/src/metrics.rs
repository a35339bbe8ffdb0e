//! Classification scores: accuracy, macro-averaged F1, and for intent sets with an out-of-scope label
//! the two figures that matter for it (CLINC150's in-scope accuracy and out-of-scope recall).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::classify::OUT_OF_SCOPE_LABELS;

/// Scores of predicted labels against the truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub accuracy: f64,
    /// Mean F1 over every label that occurs in the truth or the predictions.
    pub macro_f1: f64,
    pub examples: usize,
    /// Accuracy over the examples whose true label is in scope (when any truth is out of scope).
    pub in_scope_accuracy: Option<f64>,
    /// Share of out-of-scope truths predicted out of scope (any out-of-scope label counts).
    pub oos_recall: Option<f64>,
}

fn is_out_of_scope(label: &str) -> bool {
    OUT_OF_SCOPE_LABELS.contains(&label)
}

fn share(hits: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { hits as f64 / total as f64 }
}

/// Scores `predicted[i]` against `truth[i]`; extra entries of the longer slice are ignored.
pub fn score(truth: &[String], predicted: &[String]) -> Scores {
    let pairs: Vec<(&str, &str)> = truth.iter().zip(predicted).map(|(t, p)| (t.as_str(), p.as_str())).collect();
    let correct = pairs.iter().filter(|(t, p)| t == p).count();
    // Per label: (true positives, predicted count, true count).
    let mut counts: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for &(t, p) in &pairs {
        counts.entry(p).or_default().1 += 1;
        let entry = counts.entry(t).or_default();
        entry.2 += 1;
        if t == p {
            entry.0 += 1;
        }
    }
    let f1_sum: f64 = counts
        .values()
        .map(|&(tp, predicted, actual)| if tp == 0 { 0.0 } else { 2.0 * tp as f64 / (predicted + actual) as f64 })
        .sum();
    let (in_scope_accuracy, oos_recall) = if pairs.iter().any(|(t, _)| is_out_of_scope(t)) {
        let in_scope: Vec<_> = pairs.iter().filter(|(t, _)| !is_out_of_scope(t)).collect();
        let out: Vec<_> = pairs.iter().filter(|(t, _)| is_out_of_scope(t)).collect();
        (
            Some(share(in_scope.iter().filter(|(t, p)| t == p).count(), in_scope.len())),
            Some(share(out.iter().filter(|(_, p)| is_out_of_scope(p)).count(), out.len())),
        )
    } else {
        (None, None)
    };
    Scores {
        accuracy: share(correct, pairs.len()),
        macro_f1: if counts.is_empty() { 0.0 } else { f1_sum / counts.len() as f64 },
        examples: pairs.len(),
        in_scope_accuracy,
        oos_recall,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn accuracy_and_macro_f1() {
        let s = score(&strings(&["a", "a", "b", "b"]), &strings(&["a", "b", "b", "b"]));
        assert_eq!(s.accuracy, 0.75);
        // F1(a) = 2·1/(1+2) = 2/3, F1(b) = 2·2/(3+2) = 4/5.
        assert!((s.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-12);
        assert_eq!((s.in_scope_accuracy, s.oos_recall), (None, None));
    }

    #[test]
    fn out_of_scope_figures() {
        let s = score(&strings(&["a", "b", "oos", "oos"]), &strings(&["a", "out_of_scope", "oos", "a"]));
        assert_eq!(s.in_scope_accuracy, Some(0.5));
        assert_eq!(s.oos_recall, Some(0.5));
        assert_eq!(s.examples, 4);
    }

    #[test]
    fn empty_input_scores_zero() {
        assert_eq!(score(&[], &[]).accuracy, 0.0);
    }
}
