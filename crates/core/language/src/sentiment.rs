//! Sentiment: naive Bayes, a linear SVM and an SVM over naive-Bayes-scaled features (NBSVM, Wang &
//! Manning 2012) on word and character n-grams, stacked with a hand-written Chinese/English polarity
//! lexicon that knows negation and intensifiers. One logistic fit on held-out folds turns them into
//! a probability, so the lexicon counts for as much as the data shows it is worth and still speaks
//! for short messages the training data never covered.

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;
use serde::Serialize;

use crate::LanguageError;
use crate::classify::{TrainOptions, stratified_folds, vectorise};
use crate::features::{FeatureConfig, SparseVector, Vocabulary};
use crate::linear::{SvmSettings, fit_logistic, train_binary};
use crate::text::{Piece, normalise, pieces, stem};

/// How a message feels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sentiment {
    pub positive: bool,
    /// From -1 (certainly negative) to 1 (certainly positive): `2 · probability - 1`.
    pub score: f64,
    /// Probability that the message is positive.
    pub probability: f64,
}

/// A trained sentiment model.
#[derive(Debug, Clone)]
pub struct SentimentModel {
    vocabulary: Vocabulary,
    members: Members,
    /// Logistic combination of the members' scores and the lexicon score, intercept last.
    combination: Vec<f64>,
}

const SENTIMENT_FEATURES: FeatureConfig =
    FeatureConfig { word_ngrams: 2, cjk_chars: (1, 3), latin_chars: (2, 5), word_weight: 0.5 };

/// The three views the combination stacks: a naive Bayes classifier, an SVM on the same features
/// and an SVM on the features scaled by the naive Bayes ratios. They err on different messages.
#[derive(Debug, Clone)]
struct Members {
    /// Per column, the log-ratio of its frequency in positive and negative messages.
    ratios: Vec<f32>,
    /// Weights of the SVM on plain features, the bias last.
    plain: Vec<f32>,
    /// Weights of the SVM on ratio-scaled features, the bias last.
    scaled: Vec<f32>,
}

impl Members {
    fn fit(rows: &[&SparseVector], positive: &[bool], dims: usize, options: &TrainOptions) -> Members {
        let ratios = nb_ratios(rows, positive, dims);
        let scaled_rows: Vec<SparseVector> = rows.iter().map(|r| scaled(r, &ratios)).collect();
        let scaled_refs: Vec<&SparseVector> = scaled_rows.iter().collect();
        let settings = SvmSettings { c: options.sentiment_c, max_epochs: options.max_epochs, tolerance: 0.1 };
        let (plain, scaled) = rayon::join(
            || train_binary(rows, positive, dims, &settings, options.seed),
            || train_binary(&scaled_refs, positive, dims, &settings, options.seed),
        );
        Members { ratios, plain, scaled }
    }

    /// The members' scores and the lexicon's: the combination's inputs.
    fn inputs(&self, row: &SparseVector, lexicon: f64) -> Vec<f64> {
        let naive_bayes = row.iter().map(|&(j, _)| f64::from(self.ratios[j as usize])).sum();
        vec![naive_bayes, margin(&self.plain, row), margin(&self.scaled, &scaled(row, &self.ratios)), lexicon]
    }
}

/// Log-count ratios of each column between positive and negative rows (with add-one smoothing).
fn nb_ratios(rows: &[&SparseVector], positive: &[bool], dims: usize) -> Vec<f32> {
    let mut p = vec![1f64; dims];
    let mut q = vec![1f64; dims];
    for (row, &pos) in rows.iter().zip(positive) {
        let side = if pos { &mut p } else { &mut q };
        for &(j, _) in row.iter() {
            side[j as usize] += 1.0;
        }
    }
    let (p_total, q_total): (f64, f64) = (p.iter().sum(), q.iter().sum());
    p.iter().zip(&q).map(|(a, b)| ((a / p_total) / (b / q_total)).ln() as f32).collect()
}

fn scaled(row: &SparseVector, ratios: &[f32]) -> SparseVector {
    row.iter().map(|&(j, v)| (j, v * ratios[j as usize])).collect()
}

fn margin(weights: &[f32], row: &SparseVector) -> f64 {
    let bias = f64::from(weights[weights.len() - 1]);
    bias + row.iter().map(|&(j, v)| f64::from(weights[j as usize] * v)).sum::<f64>()
}

impl SentimentModel {
    /// Trains on messages labelled positive (`true`) or negative. The members' weights in the
    /// combination are fitted on held-out folds, so a member that overfits does not get to dominate.
    pub fn train(examples: &[(String, bool)], options: &TrainOptions) -> Result<Self, LanguageError> {
        let positives = examples.iter().filter(|(_, p)| *p).count();
        if examples.is_empty() {
            return Err(LanguageError::NoExamples);
        }
        if positives == 0 || positives == examples.len() {
            return Err(LanguageError::OneLabel(if positives == 0 { "negative" } else { "positive" }.into()));
        }
        let data = vectorise(examples.par_iter().map(|(t, _)| t.as_str()), SENTIMENT_FEATURES);
        let dims = data.vocabulary.len();
        let positive: Vec<bool> = examples.iter().map(|(_, p)| *p).collect();
        let lexicon: Vec<f64> = examples.par_iter().map(|(t, _)| lexicon_score(t)).collect();

        let folds = options.folds.max(2);
        let fold_of =
            stratified_folds(&positive.iter().map(|&p| usize::from(p)).collect::<Vec<_>>(), folds, options.seed);
        let held_out: Vec<Vec<(usize, Vec<f64>)>> = (0..folds)
            .into_par_iter()
            .map(|fold| {
                let train: Vec<usize> = (0..examples.len()).filter(|&i| fold_of[i] != fold).collect();
                let rows: Vec<&SparseVector> = train.iter().map(|&i| &data.rows[i]).collect();
                let labels: Vec<bool> = train.iter().map(|&i| positive[i]).collect();
                let members = Members::fit(&rows, &labels, dims, options);
                (0..examples.len())
                    .filter(|&i| fold_of[i] == fold)
                    .map(|i| (i, members.inputs(&data.rows[i], lexicon[i])))
                    .collect()
            })
            .collect();
        let mut inputs = vec![Vec::new(); examples.len()];
        for (i, x) in held_out.into_iter().flatten() {
            inputs[i] = x;
        }
        let combination = fit_logistic(&inputs, &positive);
        let rows: Vec<&SparseVector> = data.rows.iter().collect();
        let members = Members::fit(&rows, &positive, dims, options);
        Ok(SentimentModel { vocabulary: data.vocabulary, members, combination })
    }

    /// The sentiment of one message.
    pub fn score(&self, text: &str) -> Sentiment {
        let inputs = self.members.inputs(&self.vocabulary.vectorise(text), lexicon_score(text));
        let (slopes, intercept) = self.combination.split_at(inputs.len());
        let z = intercept[0] + inputs.iter().zip(slopes).map(|(x, w)| x * w).sum::<f64>();
        let probability = 1.0 / (1.0 + (-z).exp());
        Sentiment { positive: probability >= 0.5, score: 2.0 * probability - 1.0, probability }
    }
}

/// Polar words with their strength (positive or negative).
const POLAR: &[(&str, f64)] = &[
    // Chinese, positive.
    ("好", 1.0),
    ("不错", 1.0),
    ("满意", 1.5),
    ("喜欢", 1.2),
    ("好吃", 1.5),
    ("好用", 1.5),
    ("赞", 1.5),
    ("棒", 1.5),
    ("推荐", 1.0),
    ("划算", 1.2),
    ("值得", 1.0),
    ("实惠", 1.0),
    ("新鲜", 1.0),
    ("超值", 1.5),
    ("惊喜", 1.2),
    ("舒服", 1.0),
    ("方便", 0.8),
    ("贴心", 1.2),
    ("热情", 1.0),
    ("周到", 1.2),
    ("完美", 1.5),
    ("漂亮", 1.2),
    ("精美", 1.0),
    ("耐用", 1.0),
    ("感谢", 1.0),
    ("谢谢", 0.8),
    ("给力", 1.5),
    ("靠谱", 1.2),
    ("及时", 0.8),
    ("准时", 1.0),
    ("优秀", 1.2),
    ("开心", 1.2),
    ("高兴", 1.2),
    ("好评", 2.0),
    ("五星", 1.5),
    ("物美价廉", 1.5),
    ("正品", 0.8),
    ("快", 0.6),
    ("香", 0.8),
    ("美味", 1.5),
    ("可口", 1.2),
    ("干净", 0.8),
    ("清楚", 0.6),
    ("流畅", 0.8),
    ("满分", 1.5),
    ("厉害", 1.0),
    ("爱", 1.0),
    ("好看", 1.2),
    ("合适", 0.8),
    // Chinese, negative.
    ("差", -1.5),
    ("差评", -2.0),
    ("垃圾", -2.0),
    ("失望", -1.8),
    ("慢", -1.0),
    ("难吃", -2.0),
    ("坏", -1.2),
    ("破", -1.0),
    ("烂", -1.5),
    ("退货", -1.0),
    ("退款", -0.8),
    ("投诉", -1.5),
    ("骗", -1.8),
    ("骗子", -2.0),
    ("假货", -2.0),
    ("不满", -1.5),
    ("糟糕", -1.8),
    ("恶心", -2.0),
    ("难用", -1.8),
    ("生气", -1.5),
    ("愤怒", -1.8),
    ("无语", -1.5),
    ("坑", -1.5),
    ("贵", -0.8),
    ("漏", -1.0),
    ("脏", -1.5),
    ("过期", -1.8),
    ("变质", -2.0),
    ("凉", -0.8),
    ("错", -1.0),
    ("迟到", -1.2),
    ("延误", -1.2),
    ("后悔", -1.8),
    ("麻烦", -0.8),
    ("敷衍", -1.5),
    ("欺骗", -2.0),
    ("上当", -1.8),
    ("一般", -0.5),
    ("问题", -0.6),
    ("毛病", -1.2),
    ("故障", -1.5),
    ("破损", -1.5),
    ("发霉", -2.0),
    ("异味", -1.5),
    ("难闻", -1.5),
    ("粗糙", -1.2),
    ("劣质", -2.0),
    ("可惜", -0.8),
    ("郁闷", -1.2),
    ("崩溃", -1.5),
    ("太久", -1.2),
    ("等了", -0.5),
    ("缺", -0.8),
    ("少", -0.5),
    ("没用", -1.5),
    ("咸", -0.8),
    ("难看", -1.2),
    ("卡", -0.6),
    ("吵", -1.0),
    ("还行", 0.5),
    ("还可以", 0.5),
    ("点赞", 1.5),
    ("回购", 1.2),
    ("差劲", -1.8),
    ("忘", -0.8),
    ("晚", -0.6),
    ("久", -0.6),
    ("淡", -0.5),
    ("腻", -0.8),
    ("冷", -0.6),
    ("洒", -1.2),
    ("虫", -1.5),
    ("头发", -1.0),
    ("臭", -1.5),
    ("黑心", -2.0),
    ("不耐烦", -1.5),
    ("省心", 1.2),
    ("水灵", 1.0),
    ("甜", 0.6),
    ("新鲜多了", 1.2),
    ("干巴巴", -1.2),
    ("救了", 1.0),
    ("耐心", 1.2),
    ("礼貌", 1.2),
    // English, positive.
    ("good", 1.0),
    ("great", 1.5),
    ("excellent", 1.8),
    ("love", 1.5),
    ("like", 0.6),
    ("awesome", 1.8),
    ("amazing", 1.8),
    ("perfect", 1.8),
    ("happy", 1.2),
    ("satisfied", 1.5),
    ("recommend", 1.2),
    ("fast", 0.8),
    ("quick", 0.8),
    ("helpful", 1.2),
    ("nice", 1.0),
    ("best", 1.5),
    ("wonderful", 1.8),
    ("fantastic", 1.8),
    ("thank", 0.8),
    ("pleased", 1.2),
    ("easy", 0.8),
    ("worth", 0.8),
    ("reliable", 1.0),
    ("fresh", 0.8),
    ("delicious", 1.5),
    ("beautiful", 1.2),
    ("comfortable", 1.0),
    ("glad", 1.0),
    ("sturdy", 0.8),
    ("works", 0.6),
    ("well", 0.5),
    // English, negative.
    ("bad", -1.5),
    ("terrible", -2.0),
    ("awful", -2.0),
    ("poor", -1.5),
    ("worst", -2.0),
    ("hate", -1.8),
    ("broken", -1.5),
    ("broke", -1.2),
    ("slow", -1.0),
    ("late", -1.0),
    ("disappointed", -1.8),
    ("disappointing", -1.8),
    ("useless", -1.8),
    ("refund", -0.8),
    ("return", -0.6),
    ("problem", -0.8),
    ("issue", -0.6),
    ("complaint", -1.2),
    ("defective", -1.8),
    ("damaged", -1.5),
    ("wrong", -1.0),
    ("missing", -1.0),
    ("waste", -1.8),
    ("horrible", -2.0),
    ("angry", -1.5),
    ("annoyed", -1.2),
    ("frustrated", -1.5),
    ("rude", -1.5),
    ("scam", -2.0),
    ("fake", -1.8),
    ("expired", -1.5),
    ("leak", -1.2),
    ("faulty", -1.5),
    ("cheap", -0.5),
    ("junk", -1.8),
    ("garbage", -2.0),
    ("unhappy", -1.5),
    ("stopped", -0.8),
    ("fail", -1.2),
    ("failed", -1.2),
    ("poorly", -1.2),
    ("mess", -1.0),
    ("cold", -0.6),
    ("soggy", -1.2),
    ("stale", -1.2),
    ("tasty", 1.2),
    ("yummy", 1.2),
    ("ridiculous", -1.5),
    ("unacceptable", -1.8),
    ("disappoint", -1.8),
    ("crushed", -1.2),
    ("bug", -1.0),
    ("failing", -1.2),
    ("rotten", -2.0),
    ("mouldy", -2.0),
    ("moldy", -2.0),
    ("smelly", -1.5),
    ("dirty", -1.5),
    ("filthy", -1.8),
    ("stressful", -1.2),
    ("trap", -1.2),
    ("dead", -1.0),
    ("melted", -0.8),
    ("impatient", -1.2),
    ("unhelpful", -1.5),
    ("kind", 1.0),
    ("kindly", 1.0),
    ("friendly", 1.2),
    ("polite", 1.2),
    ("sweet", 0.8),
    ("soft", 0.5),
    ("warm", 0.5),
    ("quickly", 0.8),
    ("faster", 0.8),
    ("saved", 1.0),
    ("care", 0.8),
    ("thumbs", 1.0),
    // Emoji.
    ("👍", 1.5),
    ("😊", 1.2),
    ("😀", 1.2),
    ("😄", 1.2),
    ("❤", 1.2),
    ("🥰", 1.5),
    ("😍", 1.5),
    ("👏", 1.2),
    ("👎", -1.5),
    ("😡", -1.8),
    ("😠", -1.5),
    ("💩", -1.5),
    ("😤", -1.2),
    ("😞", -1.2),
    ("😭", -1.0),
];

/// Words that turn the polarity of what follows in their clause.
const NEGATORS: &[&str] = &[
    "不", "没", "没有", "别", "无", "未", "并不", "不太", "不是", "毫不", "不会", "从不", "从没", "not", "no", "never",
    "cannot", "hardly", "nothing", "without", "木有", "没得",
];

/// Words that strengthen (above 1) or soften (below 1) the next polar word.
const INTENSIFIERS: &[(&str, f64)] = &[
    ("很", 1.5),
    ("非常", 1.8),
    ("特别", 1.8),
    ("太", 1.8),
    ("超", 1.6),
    ("超级", 1.8),
    ("十分", 1.6),
    ("极其", 2.0),
    ("真", 1.4),
    ("真的", 1.4),
    ("挺", 1.2),
    ("相当", 1.5),
    ("最", 1.8),
    ("更", 1.3),
    ("巨", 1.8),
    ("好", 1.3),
    ("有点", 0.6),
    ("有些", 0.6),
    ("稍微", 0.5),
    ("略", 0.5),
    ("一点", 0.6),
    ("very", 1.5),
    ("really", 1.5),
    ("so", 1.4),
    ("extremely", 2.0),
    ("super", 1.6),
    ("too", 1.5),
    ("quite", 1.2),
    ("absolutely", 1.8),
    ("incredibly", 1.8),
    ("totally", 1.6),
    ("slightly", 0.5),
    ("somewhat", 0.6),
];

/// Words that end a negation's reach and start a new thought ("不贵，但是太慢").
const CONTRASTS: &[&str] = &["但是", "但", "不过", "可是", "然而", "就是", "but", "however", "though", "although"];

/// Words that hold a cue's characters without its meaning ("幸好" is "luckily", "不少" is "many"),
/// so longest-match reading takes them whole.
const NEUTRAL: &[&str] =
    &["幸好", "好像", "只好", "好几", "刚好", "正好", "好多", "最好", "不少", "多少", "好处", "少量", "不久"];

/// How many words after a negator it still applies to.
const NEGATION_REACH: usize = 3;

/// What a lexicon word does.
#[derive(Debug, Clone, Copy)]
enum Cue {
    Polar(f64),
    Negator,
    Intensifier(f64),
    /// Polar alone, an intensifier before a polar word: 好 in "好评" is good, in "好慢" it is "so".
    PolarOrIntensifier(f64, f64),
    Contrast,
    Neutral,
}

struct Lexicon {
    cues: HashMap<&'static str, Cue>,
    /// The longest Chinese cue, in characters.
    longest: usize,
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut cues = HashMap::new();
        cues.extend(NEUTRAL.iter().map(|w| (*w, Cue::Neutral)));
        cues.extend(CONTRASTS.iter().map(|w| (*w, Cue::Contrast)));
        cues.extend(INTENSIFIERS.iter().map(|&(w, f)| (w, Cue::Intensifier(f))));
        cues.extend(NEGATORS.iter().map(|w| (*w, Cue::Negator)));
        for &(word, polarity) in POLAR {
            let cue = match cues.get(word) {
                Some(Cue::Intensifier(factor)) => Cue::PolarOrIntensifier(polarity, *factor),
                _ => Cue::Polar(polarity),
            };
            cues.insert(word, cue);
        }
        let longest = cues.keys().map(|w| w.chars().count()).max().unwrap_or(1);
        Lexicon { cues, longest }
    })
}

/// The cues of one clause in order, `None` for words the lexicon does not know. Chinese runs are
/// read by longest match against the lexicon itself rather than through jieba, whose words often
/// swallow a cue ("比较慢", "太甜") or split one ("无语" as 无 + 语).
fn cues(clause: &str) -> Vec<Option<Cue>> {
    let lexicon = lexicon();
    let mut out = Vec::new();
    for piece in pieces(clause) {
        match piece {
            Piece::Cjk(run) => {
                let chars: Vec<(usize, char)> = run.char_indices().collect();
                let mut i = 0;
                while i < chars.len() {
                    let found = (1..=lexicon.longest.min(chars.len() - i)).rev().find_map(|len| {
                        let end = chars.get(i + len).map_or(run.len(), |&(b, _)| b);
                        lexicon.cues.get(&run[chars[i].0..end]).map(|&cue| (cue, len))
                    });
                    match found {
                        Some((cue, len)) => {
                            out.push(Some(cue));
                            i += len;
                        }
                        None => {
                            out.push(None);
                            i += 1;
                        }
                    }
                }
            }
            Piece::Word(word) => {
                let cue = lexicon.cues.get(word).or_else(|| lexicon.cues.get(stem(word).as_str())).copied();
                out.push(cue.or_else(|| word.ends_with("n't").then_some(Cue::Negator)));
            }
            Piece::Number(s) | Piece::Symbol(s) => out.push(lexicon.cues.get(s).copied()),
        }
    }
    out
}

/// The lexicon's view of a message, squashed into -1..1. Within each clause a negator flips the
/// next polar word within three words, an intensifier scales the next polar word, and a
/// contrast ("但是", "but") ends both.
pub fn lexicon_score(text: &str) -> f64 {
    let normalised = normalise(text);
    let mut total = 0.0;
    for clause in normalised.split([',', '.', '!', '?', ';', ':', '~', '\n']) {
        let (mut negated, mut reach, mut scale) = (false, 0, 1.0);
        let clause_cues = cues(clause);
        for (k, &cue) in clause_cues.iter().enumerate() {
            let before_polar =
                matches!(clause_cues.get(k + 1), Some(Some(Cue::Polar(_) | Cue::PolarOrIntensifier(..))));
            let cue = match cue {
                Some(Cue::PolarOrIntensifier(_, factor)) if before_polar => Some(Cue::Intensifier(factor)),
                Some(Cue::PolarOrIntensifier(polarity, _)) => Some(Cue::Polar(polarity)),
                other => other,
            };
            match cue {
                Some(Cue::Polar(polarity)) => {
                    total += polarity * scale * if negated && reach > 0 { -0.8 } else { 1.0 };
                    (negated, scale) = (false, 1.0);
                }
                Some(Cue::Negator) => {
                    negated = !(negated && reach > 0);
                    reach = NEGATION_REACH + 1;
                }
                Some(Cue::Intensifier(factor)) => scale *= factor,
                Some(Cue::Contrast) => (negated, scale) = (false, 1.0),
                Some(Cue::PolarOrIntensifier(..) | Cue::Neutral) | None => {}
            }
            reach = reach.saturating_sub(1);
        }
    }
    (total / 2.0).tanh()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_reads_negation_and_intensity() {
        assert!(lexicon_score("质量很好，非常满意") > 0.5);
        assert!(lexicon_score("不满意，太慢了") < -0.5);
        assert!(lexicon_score("not good at all") < 0.0);
        assert!(lexicon_score("I really love it 👍") > 0.5);
        assert!(lexicon_score("didn't like it") < 0.0);
        assert!(lexicon_score("没问题") > 0.0);
        assert!(lexicon_score("快递很快，很好吃") > lexicon_score("快递有点慢，不太好吃"));
        // Cues inside longer Chinese words, and 好 as "so" before a polar word.
        assert!(lexicon_score("今天比较慢") < 0.0);
        assert!(lexicon_score("真是无语") < 0.0);
        assert!(lexicon_score("好慢") < 0.0 && lexicon_score("好评") > 0.0);
        assert!(lexicon_score("幸好送到了") == 0.0);
        // A contrast ends the negation; a negation reaches only a few words.
        assert!(lexicon_score("不贵但是难吃") < 0.0);
        assert!(lexicon_score("not good and the delivery was quick") < 0.5);
        assert!(lexicon_score("不是不好") > 0.0);
        assert_eq!(lexicon_score(""), 0.0);
    }

    fn toy() -> Vec<(String, bool)> {
        let positive = [
            "很好吃，下次还来",
            "送得很快，满意",
            "great product, works well",
            "love it, recommend",
            "味道不错",
            "服务热情",
        ];
        let negative =
            ["太难吃了", "送餐太慢，差评", "terrible, broke after a day", "waste of money", "菜是凉的", "态度很差"];
        positive.iter().map(|t| (t.to_string(), true)).chain(negative.iter().map(|t| (t.to_string(), false))).collect()
    }

    #[test]
    fn trains_and_scores_both_languages() {
        let model = SentimentModel::train(&toy(), &TrainOptions::default()).unwrap();
        let good = model.score("很好吃，很满意");
        let bad = model.score("太慢了，难吃，差评");
        assert!(good.positive && good.probability > 0.5 && good.score > 0.0, "{good:?}");
        assert!(!bad.positive && bad.probability < 0.5 && bad.score < 0.0, "{bad:?}");
        assert!(
            model.score("great, I love it").positive,
            "{:?} {:?}",
            model.combination,
            model.score("great, I love it")
        );
        assert!(!model.score("awful, a waste").positive);
        for s in [good, bad] {
            assert!((0.0..=1.0).contains(&s.probability) && (-1.0..=1.0).contains(&s.score));
        }
    }

    #[test]
    fn refuses_one_sided_data() {
        let only_good = vec![("好".to_string(), true)];
        assert!(matches!(SentimentModel::train(&only_good, &TrainOptions::default()), Err(LanguageError::OneLabel(_))));
        assert!(matches!(SentimentModel::train(&[], &TrainOptions::default()), Err(LanguageError::NoExamples)));
    }
}
