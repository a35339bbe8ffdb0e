//! Intent classification: one-vs-rest linear SVMs over word and character n-grams, their margins turned into
//! probabilities by a temperature fitted on held-out folds, and an out-of-scope threshold learnt on
//! the same folds.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LanguageError;
use crate::features::{FeatureConfig, SparseVector, Vocabulary, terms};
use crate::linear::{LinearModel, Rng, SvmSettings, fit_temperature, softmax};

/// Labels that mean "none of the intents"; the first one is used when training has none.
pub const OUT_OF_SCOPE_LABELS: [&str; 2] = ["out_of_scope", "oos"];

/// One training message and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub text: String,
    pub label: String,
}

/// Hyper-parameters of the intent and sentiment models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Seeds fold assignment and the solver's visiting order: same seed and data, same model.
    pub seed: u64,
    /// The intent SVMs' inverse regularisation strength. Intents are many, short and close to each
    /// other, and fit best nearly unregularised.
    pub intent_c: f64,
    /// The sentiment SVMs' inverse regularisation strength: reviews are long and noisy.
    pub sentiment_c: f64,
    /// Held-out folds for calibration and the out-of-scope threshold (at least 2).
    pub folds: usize,
    /// Solver passes over the data at most.
    pub max_epochs: usize,
    /// The share of held-out in-scope messages the out-of-scope threshold must keep.
    pub keep_in_scope: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { seed: 0, intent_c: 4.0, sentiment_c: 0.5, folds: 5, max_epochs: 60, keep_in_scope: 0.98 }
    }
}

/// What the classifier says about one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The intent, or an out-of-scope label when no intent is likely enough.
    pub label: String,
    /// Calibrated probability of `label`; for a message rejected by the threshold, the probability
    /// that the best intent is wrong.
    pub confidence: f64,
    /// False when `label` is out of scope.
    pub in_scope: bool,
    /// The three most probable trained labels with their probabilities, best first.
    pub ranked: Vec<(String, f64)>,
}

/// A trained intent classifier.
#[derive(Debug, Clone)]
pub struct IntentClassifier {
    labels: Vec<String>,
    vocabulary: Vocabulary,
    model: LinearModel,
    temperature: f64,
    threshold: f64,
    /// The trained out-of-scope label's index, if training had one.
    out_of_scope: Option<usize>,
}

/// The feature families intents are read with.
const INTENT_FEATURES: FeatureConfig =
    FeatureConfig { word_ngrams: 2, cjk_chars: (1, 3), latin_chars: (2, 5), word_weight: 0.5 };

/// A training set's vocabulary and its messages as rows of it.
pub(crate) struct Vectorised {
    pub vocabulary: Vocabulary,
    pub rows: Vec<SparseVector>,
}

/// Terms are counted in parallel; rare terms are dropped once the data is large enough that a term
/// seen once is more likely noise than signal.
pub(crate) fn vectorise<'a>(texts: impl IndexedParallelIterator<Item = &'a str>, config: FeatureConfig) -> Vectorised {
    let documents: Vec<_> = texts.map(|t| terms(t, &config)).collect();
    let min_df = if documents.len() >= 2000 { 2 } else { 1 };
    let vocabulary = Vocabulary::fit(&documents, config, min_df);
    let rows = documents.par_iter().map(|d| vocabulary.transform(d)).collect();
    Vectorised { vocabulary, rows }
}

/// Stratified fold of each example: every label's examples are spread over the folds in turn.
pub(crate) fn stratified_folds(labels: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut order: Vec<usize> = (0..labels.len()).collect();
    rng.shuffle(&mut order);
    order.sort_by_key(|&i| labels[i]);
    let mut fold = vec![0; labels.len()];
    let mut next = rng.below(folds);
    for i in order {
        fold[i] = next;
        next = (next + 1) % folds;
    }
    fold
}

impl IntentClassifier {
    /// Trains on labelled messages. Labels in [`OUT_OF_SCOPE_LABELS`] are trained like any other and
    /// also tell the threshold what out-of-scope messages look like.
    ///
    /// The training set is split into folds; models trained on all folds but one score the one left
    /// out, and those held-out scores fit the softmax temperature and the out-of-scope threshold.
    /// The final model is then trained on everything.
    pub fn train(examples: &[Example], options: &TrainOptions) -> Result<Self, LanguageError> {
        let labels: Vec<String> =
            examples.iter().map(|e| e.label.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        match labels.len() {
            0 => return Err(LanguageError::NoExamples),
            1 => return Err(LanguageError::OneLabel(labels[0].clone())),
            _ => {}
        }
        let truth: Vec<usize> = examples.iter().map(|e| labels.binary_search(&e.label).unwrap_or_default()).collect();
        let out_of_scope = labels.iter().position(|l| OUT_OF_SCOPE_LABELS.contains(&l.as_str()));
        let data = vectorise(examples.par_iter().map(|e| e.text.as_str()), INTENT_FEATURES);
        let settings = SvmSettings { c: options.intent_c, max_epochs: options.max_epochs, tolerance: 0.1 };
        let dims = data.vocabulary.len();
        let rows: Vec<&SparseVector> = data.rows.iter().collect();
        let train_model = |rows: &[&SparseVector], truth: &[usize]| {
            LinearModel::train(rows, truth, labels.len(), dims, &settings, options.seed)
        };

        let folds = options.folds.max(2);
        let fold_of = stratified_folds(&truth, folds, options.seed);
        let mut held_out = vec![Vec::new(); examples.len()];
        for fold in 0..folds {
            let (train, test): (Vec<usize>, Vec<usize>) = (0..examples.len()).partition(|&i| fold_of[i] != fold);
            let train_rows: Vec<&SparseVector> = train.iter().map(|&i| rows[i]).collect();
            let train_truth: Vec<usize> = train.iter().map(|&i| truth[i]).collect();
            let model = train_model(&train_rows, &train_truth);
            for i in test {
                held_out[i] = model.margins(rows[i]);
            }
        }
        let temperature = fit_temperature(&held_out, &truth);
        let predictions: Vec<(usize, f64)> = held_out.iter().map(|m| best(&softmax(m, temperature))).collect();
        let threshold = out_of_scope_threshold(&predictions, &truth, out_of_scope, options.keep_in_scope);
        let model = train_model(&rows, &truth);
        Ok(IntentClassifier { labels, vocabulary: data.vocabulary, model, temperature, threshold, out_of_scope })
    }

    /// The most probable intent of a message, or out of scope: when its best intent's confidence is
    /// below the threshold, or when the message has no word the training data had (character
    /// n-grams alone are too weak a reason to answer).
    pub fn predict(&self, text: &str) -> Prediction {
        let counts = terms(text, self.vocabulary.config());
        let probabilities = softmax(&self.model.margins(&self.vocabulary.transform(&counts)), self.temperature);
        let mut order: Vec<usize> = (0..probabilities.len()).collect();
        order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]).then(a.cmp(&b)));
        let ranked = order.iter().take(3).map(|&k| (self.labels[k].clone(), probabilities[k])).collect();
        let top = order[0];
        let p = probabilities[top];
        if Some(top) == self.out_of_scope {
            Prediction { label: self.labels[top].clone(), confidence: p, in_scope: false, ranked }
        } else if p < self.threshold || !self.vocabulary.knows_a_word(&counts) {
            Prediction { label: self.out_of_scope_label().to_string(), confidence: 1.0 - p, in_scope: false, ranked }
        } else {
            Prediction { label: self.labels[top].clone(), confidence: p, in_scope: true, ranked }
        }
    }

    /// Calibrated probability of every label, in the order of [`IntentClassifier::labels`].
    pub fn probabilities(&self, text: &str) -> Vec<f64> {
        softmax(&self.model.margins(&self.vocabulary.vectorise(text)), self.temperature)
    }

    /// The trained labels, sorted.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The out-of-scope label predictions use: the trained one, or `"out_of_scope"`.
    pub fn out_of_scope_label(&self) -> &str {
        self.out_of_scope.map_or(OUT_OF_SCOPE_LABELS[0], |k| &self.labels[k])
    }

    /// The confidence below which a message is out of scope.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
}

/// The most probable class and its probability.
fn best(probabilities: &[f64]) -> (usize, f64) {
    probabilities.iter().copied().enumerate().fold((0, f64::NEG_INFINITY), |b, (k, p)| if p > b.1 { (k, p) } else { b })
}

/// The out-of-scope threshold from held-out predictions (best class, its probability).
///
/// It never rejects more than `1 - keep` of the held-out in-scope messages. Within that, where
/// training has out-of-scope examples, it maximises in-scope accuracy plus out-of-scope recall.
/// The cap matters: with CLINC150's proportions (100 out-of-scope examples to 15,000), that sum
/// would trade a hundred answered messages for one more rejected out-of-scope one.
fn out_of_scope_threshold(
    predictions: &[(usize, f64)],
    truth: &[usize],
    out_of_scope: Option<usize>,
    keep: f64,
) -> f64 {
    let mut in_scope: Vec<f64> =
        predictions.iter().zip(truth).filter(|(_, t)| Some(**t) != out_of_scope).map(|(p, _)| p.1).collect();
    in_scope.sort_by(f64::total_cmp);
    // At least one, so that even a small training set rejects its least confident in-scope message.
    let share = 1.0 - keep.clamp(0.0, 1.0);
    let rejected = if share > 0.0 { ((share * in_scope.len() as f64 + 1e-9).floor() as usize).max(1) } else { 0 };
    let cap = match rejected {
        0 => 0.0,
        r => (in_scope[r - 1] + in_scope[r.min(in_scope.len() - 1)]) / 2.0,
    };
    match out_of_scope {
        Some(oos) => balanced_threshold(predictions, truth, oos, cap),
        None => cap,
    }
}

/// The threshold up to `cap` that maximises in-scope accuracy plus out-of-scope recall; ties go to
/// the middle of the best range, which generalises better than its edge.
fn balanced_threshold(predictions: &[(usize, f64)], truth: &[usize], oos: usize, cap: f64) -> f64 {
    let in_scope = truth.iter().filter(|&&t| t != oos).count().max(1) as f64;
    let out = truth.iter().filter(|&&t| t == oos).count().max(1) as f64;
    let mut order: Vec<usize> = (0..truth.len()).collect();
    order.sort_by(|&a, &b| predictions[a].1.total_cmp(&predictions[b].1));
    // The threshold between order[cut - 1] and order[cut]: the first `cut` are rejected.
    let threshold_at = |cut: usize| {
        if cut == 0 {
            return 0.0;
        }
        let above = order.get(cut).map_or(1.0, |&i| predictions[i].1);
        (predictions[order[cut - 1]].1 + above) / 2.0
    };
    let mut correct_in = truth.iter().zip(predictions).filter(|(t, p)| **t != oos && p.0 == **t).count() as f64;
    let mut recalled = truth.iter().zip(predictions).filter(|(t, p)| **t == oos && p.0 == oos).count() as f64;
    let mut best_score = correct_in / in_scope + recalled / out;
    let (mut best_from, mut best_to) = (0, 0);
    for (cut, &i) in order.iter().enumerate() {
        if threshold_at(cut + 1) > cap {
            break;
        }
        let (t, (p, _)) = (truth[i], predictions[i]);
        if t != oos && p == t {
            correct_in -= 1.0;
        }
        if t == oos && p != oos {
            recalled += 1.0;
        }
        let score = correct_in / in_scope + recalled / out;
        if score > best_score + 1e-12 {
            best_score = score;
            (best_from, best_to) = (cut + 1, cut + 1);
        } else if (score - best_score).abs() <= 1e-12 && best_to == cut {
            best_to = cut + 1;
        }
    }
    threshold_at((best_from + best_to) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(rows: &[(&str, &[&str])]) -> Vec<Example> {
        rows.iter()
            .flat_map(|(label, texts)| texts.iter().map(|t| Example { text: t.to_string(), label: label.to_string() }))
            .collect()
    }

    /// A small bilingual customer-service set.
    fn bilingual() -> Vec<Example> {
        examples(&[
            (
                "order_status",
                &[
                    "我的订单到哪了",
                    "快递怎么还没到",
                    "查一下物流",
                    "订单什么时候发货",
                    "包裹到哪里了",
                    "物流信息查不到",
                    "where is my order",
                    "track my parcel",
                    "my package has not arrived",
                    "order status please",
                    "when will my order ship",
                    "has my order shipped yet",
                ],
            ),
            (
                "refund",
                &[
                    "我要退款",
                    "退款什么时候到账",
                    "钱怎么还没退回来",
                    "申请退款",
                    "退款进度查询",
                    "退款失败了",
                    "i want a refund",
                    "when will i get my money back",
                    "refund my order",
                    "my refund has not arrived",
                    "how long does a refund take",
                    "request a refund",
                ],
            ),
            (
                "greeting",
                &[
                    "你好",
                    "在吗",
                    "您好，请问有人吗",
                    "早上好",
                    "哈喽",
                    "嗨",
                    "hello",
                    "hi there",
                    "good morning",
                    "hey",
                    "anyone there",
                    "hello, is anyone around",
                ],
            ),
            (
                "store_hours",
                &[
                    "你们几点开门",
                    "门店营业时间",
                    "几点关门",
                    "周末营业吗",
                    "店铺开到几点",
                    "今天营业吗",
                    "what time do you open",
                    "store opening hours",
                    "when do you close",
                    "are you open on sunday",
                    "what are your hours",
                    "is the store open today",
                ],
            ),
            (
                "out_of_scope",
                &[
                    "今天天气怎么样",
                    "给我讲个笑话",
                    "谁是美国总统",
                    "帮我订机票",
                    "股票会涨吗",
                    "推荐一部电影",
                    "what is the weather like",
                    "tell me a joke",
                    "who won the football game",
                    "book me a flight",
                    "what is the meaning of life",
                    "play some music",
                ],
            ),
        ])
    }

    fn train(data: &[Example]) -> IntentClassifier {
        IntentClassifier::train(data, &TrainOptions::default()).unwrap()
    }

    #[test]
    fn separates_a_bilingual_set() {
        let model = train(&bilingual());
        for (text, label) in [
            ("我的快递到哪里了？", "order_status"),
            ("Where is my parcel??", "order_status"),
            ("退款还没到账", "refund"),
            ("I'd like my money back", "refund"),
            ("您好", "greeting"),
            ("Hello!", "greeting"),
            ("你们周日几点开门", "store_hours"),
            ("What time does the store close", "store_hours"),
        ] {
            let p = model.predict(text);
            assert_eq!(p.label, label, "{text}: {p:?}");
            assert!(p.in_scope);
        }
        assert_eq!(model.labels().len(), 5);
        assert_eq!(model.out_of_scope_label(), "out_of_scope");
    }

    #[test]
    fn unseen_nonsense_is_out_of_scope() {
        let model = train(&bilingual());
        for text in ["qwxz zzkj plorp", "鳄鱼骑自行车飞向月亮", "", "🦄🦄🦄", "12345"] {
            let p = model.predict(text);
            assert!(!p.in_scope && p.label == "out_of_scope", "{text}: {p:?}");
        }
    }

    #[test]
    fn without_out_of_scope_examples_the_threshold_still_rejects() {
        let data: Vec<Example> = bilingual().into_iter().filter(|e| e.label != "out_of_scope").collect();
        let model = train(&data);
        assert_eq!(model.out_of_scope_label(), "out_of_scope");
        assert!(model.threshold() > 0.0 && model.threshold() < 1.0);
        let p = model.predict("qwxz zzkj plorp");
        assert!(!p.in_scope && p.label == "out_of_scope", "{p:?}");
        assert_eq!(model.predict("退款还没到账").label, "refund");
    }

    #[test]
    fn confidences_are_probabilities() {
        let model = train(&bilingual());
        for text in ["我要退款", "hello", "asdf", "我的订单 where is it", "鳄鱼"] {
            let p = model.predict(text);
            assert!((0.0..=1.0).contains(&p.confidence), "{p:?}");
            assert!(p.ranked.len() == 3 && p.ranked.windows(2).all(|w| w[0].1 >= w[1].1), "{p:?}");
            assert!(p.ranked.iter().map(|r| r.1).sum::<f64>() <= 1.0 + 1e-9);
            let all = model.probabilities(text);
            assert!((all.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn a_trained_out_of_scope_label_is_predicted_as_is() {
        let data: Vec<Example> = bilingual()
            .into_iter()
            .map(|e| Example { label: if e.label == "out_of_scope" { "oos".into() } else { e.label }, ..e })
            .collect();
        let model = train(&data);
        assert_eq!(model.out_of_scope_label(), "oos");
        let p = model.predict("tell me a funny joke");
        assert!(!p.in_scope && p.label == "oos", "{p:?}");
    }

    #[test]
    fn training_is_deterministic() {
        let a = train(&bilingual());
        let b = train(&bilingual());
        for text in ["我要退款", "what time do you open", "随便说点什么"] {
            assert_eq!(a.probabilities(text), b.probabilities(text));
        }
        assert_eq!(a.threshold(), b.threshold());
    }

    #[test]
    fn refuses_degenerate_training_sets() {
        assert!(matches!(IntentClassifier::train(&[], &TrainOptions::default()), Err(LanguageError::NoExamples)));
        let one = examples(&[("greeting", &["hi", "hello"])]);
        assert!(
            matches!(IntentClassifier::train(&one, &TrainOptions::default()), Err(LanguageError::OneLabel(l)) if l == "greeting")
        );
    }

    #[test]
    fn threshold_balances_in_scope_accuracy_and_out_of_scope_recall() {
        // Labels 0 and 1 are intents, 2 is out of scope. Out-of-scope messages get low confidence.
        let predictions = [(0, 0.9), (1, 0.8), (0, 0.85), (1, 0.7), (0, 0.3), (1, 0.35), (0, 0.2)];
        let truth = [0, 1, 0, 1, 2, 2, 2];
        let t = out_of_scope_threshold(&predictions, &truth, Some(2), 0.5);
        assert!(t > 0.35 && t < 0.7, "{t}");
        // Keeping every in-scope message caps the threshold below the least confident of them.
        let capped = out_of_scope_threshold(&predictions, &truth, Some(2), 1.0);
        assert!(capped == 0.0, "{capped}");
        // Without out-of-scope examples only the share of in-scope messages to keep decides.
        let t = out_of_scope_threshold(&predictions[..4], &truth[..4], None, 0.75);
        assert!(t > 0.7 && t < 0.8, "{t}");
    }
}
