//! Language understanding for the bilingual (Chinese/English) customer-service assistant. Pure: text
//! in, labels, scores and entities out; no I/O (the shipped training data is compiled in).
//!
//! - [`text`]: normalisation, language detection, words (jieba for Chinese).
//! - [`classify`]: intent classification with calibrated confidence and out-of-scope detection.
//! - [`sentiment`]: positive or negative, from a trained model and a polarity lexicon.
//! - [`entities`]: order numbers, phones, dates, amounts, quantities, colours and catalogue mentions.
//! - [`bm25`]: ranked retrieval over documents in either language.
//! - [`builtin`]: the shipped models, trained once on first use; the CSV reader.
//! - [`metrics`]: accuracy, macro-F1, in-scope accuracy and out-of-scope recall.

pub mod bm25;
pub mod builtin;
pub mod classify;
pub mod entities;
mod features;
mod linear;
pub mod metrics;
pub mod sentiment;
pub mod text;

/// Why a model could not be trained or a file read.
#[derive(Debug, thiserror::Error)]
pub enum LanguageError {
    #[error("no training examples")]
    NoExamples,
    #[error("every training example has the label {0:?}; at least two labels are needed")]
    OneLabel(String),
    #[error("CSV line {line}: {message}")]
    Csv { line: usize, message: String },
    #[error("CSV header has no {0:?} column")]
    MissingColumn(String),
}

#[cfg(test)]
mod tests {
    /// The models are shared across request handlers and threads.
    #[test]
    fn models_are_shareable() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<crate::classify::IntentClassifier>();
        shareable::<crate::sentiment::SentimentModel>();
        shareable::<crate::bm25::Bm25Index>();
        shareable::<crate::entities::Lexicon>();
    }
}
