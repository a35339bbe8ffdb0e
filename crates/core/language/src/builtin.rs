//! The shipped models, trained on first use from the CSV files compiled into the crate, and the small
//! RFC 4180 reader those files (and evaluation files) are parsed with.

use std::sync::OnceLock;

use crate::LanguageError;
use crate::classify::{Example, IntentClassifier, TrainOptions};
use crate::sentiment::SentimentModel;

const INTENTS_CSV: &str = include_str!("../data/intents.csv");
const SENTIMENT_CSV: &str = include_str!("../data/sentiment.csv");

/// The rows of a CSV file with a header as the named columns' values, in the given order.
pub fn columns(text: &str, names: &[&str]) -> Result<Vec<Vec<String>>, LanguageError> {
    let mut rows = parse_csv(text)?.into_iter();
    let header = rows.next().unwrap_or_default();
    let positions = names
        .iter()
        .map(|name| {
            header.iter().position(|h| h.trim() == *name).ok_or_else(|| LanguageError::MissingColumn(name.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    rows.enumerate()
        .map(|(i, row)| {
            positions
                .iter()
                .map(|&p| {
                    row.get(p).cloned().ok_or_else(|| LanguageError::Csv {
                        line: i + 2,
                        message: format!("fewer than {} fields", p + 1),
                    })
                })
                .collect()
        })
        .collect()
}

/// The shipped intent training set (`data/intents.csv`: `text,intent`).
pub fn intent_examples() -> Vec<Example> {
    columns(INTENTS_CSV, &["text", "intent"])
        .expect("data/intents.csv is a valid text,intent file")
        .into_iter()
        .map(|mut row| {
            let label = row.pop().unwrap_or_default();
            Example { text: row.pop().unwrap_or_default(), label: label.trim().to_string() }
        })
        .collect()
}

/// The shipped sentiment training set (`data/sentiment.csv`: `text,label`, 1 = positive).
pub fn sentiment_examples() -> Vec<(String, bool)> {
    columns(SENTIMENT_CSV, &["text", "label"])
        .expect("data/sentiment.csv is a valid text,label file")
        .into_iter()
        .map(|mut row| {
            let positive = row.pop().is_some_and(|label| label.trim() == "1");
            (row.pop().unwrap_or_default(), positive)
        })
        .collect()
}

/// The shipped intent classifier, trained on first use (a few seconds) and shared afterwards.
pub fn intents() -> &'static IntentClassifier {
    static MODEL: OnceLock<IntentClassifier> = OnceLock::new();
    MODEL.get_or_init(|| {
        IntentClassifier::train(&intent_examples(), &TrainOptions::default()).expect("the shipped intents train")
    })
}

/// The shipped sentiment model (its data and the polarity lexicon), trained on first use.
pub fn sentiment() -> &'static SentimentModel {
    static MODEL: OnceLock<SentimentModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        SentimentModel::train(&sentiment_examples(), &TrainOptions::default())
            .expect("the shipped sentiment data trains")
    })
}

/// Parses RFC 4180 CSV: comma-separated fields, `"`-quoted fields that may hold commas, newlines and
/// doubled quotes, CRLF or LF line ends. A leading byte-order mark and blank lines are skipped. A quote
/// inside an unquoted field is taken literally. Errors name the 1-based line where the problem is.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, LanguageError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    // Whether the current field began with a quote and that quote has been closed.
    let mut closed_quote = false;
    let mut end_record = |record: &mut Vec<String>, field: &mut String, closed_quote: &mut bool| {
        record.push(std::mem::take(field));
        *closed_quote = false;
        let done = std::mem::take(record);
        if !(done.len() == 1 && done[0].is_empty()) {
            records.push(done);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() && !closed_quote => {
                let opened_on = line;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                        None => {
                            return Err(LanguageError::Csv {
                                line: opened_on,
                                message: "quoted field is never closed".into(),
                            });
                        }
                    }
                }
                closed_quote = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                closed_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                end_record(&mut record, &mut field, &mut closed_quote);
                line += 1;
            }
            c if closed_quote => {
                return Err(LanguageError::Csv { line, message: format!("unexpected {c:?} after a closing quote") });
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() || closed_quote {
        end_record(&mut record, &mut field, &mut closed_quote);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoting() {
        let rows =
            parse_csv("\u{FEFF}text,intent\r\n\"hello, \"\"world\"\"\",greet\n\"two\nlines\",x\n\nplain \"quote,y")
                .unwrap();
        assert_eq!(
            rows,
            [
                vec!["text", "intent"],
                vec!["hello, \"world\"", "greet"],
                vec!["two\nlines", "x"],
                vec!["plain \"quote", "y"]
            ]
        );
        assert_eq!(parse_csv("a,\"\"\n").unwrap(), [vec!["a", ""]]);
    }

    #[test]
    fn columns_by_header_name() {
        let rows = columns("label,text\n1,好\n0,\"差, 很差\"\n", &["text", "label"]).unwrap();
        assert_eq!(rows, [vec!["好", "1"], vec!["差, 很差", "0"]]);
        assert!(matches!(columns("a,b\n1,2", &["text"]), Err(LanguageError::MissingColumn(_))));
        assert!(matches!(columns("text,label\nonly", &["text", "label"]), Err(LanguageError::Csv { line: 2, .. })));
    }

    #[test]
    fn shipped_data_parses() {
        let intents = intent_examples();
        assert!(intents.len() > 100);
        assert!(intents.iter().all(|e| !e.label.is_empty()));
        assert!(intents.iter().any(|e| crate::classify::OUT_OF_SCOPE_LABELS.contains(&e.label.as_str())));
        let sentiment = sentiment_examples();
        assert!(sentiment.iter().any(|(_, p)| *p) && sentiment.iter().any(|(_, p)| !*p));
    }

    #[test]
    fn shipped_models_understand_customers() {
        let model = intents();
        for (text, intent) in [
            ("我的快递到哪了", "order_status"),
            ("where is my order", "order_status"),
            ("我要退货", "return_request"),
            ("能开发票吗", "payment_invoice"),
            ("转人工", "human_agent"),
        ] {
            let p = model.predict(text);
            assert_eq!(p.label, intent, "{text}: {p:?}");
        }
        let p = model.predict("给我讲个关于恐龙的笑话");
        assert!(!p.in_scope, "{p:?}");
        let sentiment = sentiment();
        assert!(sentiment.score("送货很快，东西很新鲜，好评").positive);
        assert!(!sentiment.score("太慢了，东西还是坏的，差评").positive);
        assert!(sentiment.score("great service, thank you").positive);
        assert!(!sentiment.score("this is ridiculous, the milk was expired").positive);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_csv("text,intent\nok,a\n\"never closed,b\nmore").unwrap_err();
        assert!(matches!(err, LanguageError::Csv { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = parse_csv("a,b\n\"x\"y,z").unwrap_err();
        assert!(matches!(err, LanguageError::Csv { line: 2, .. }), "{err}");
    }
}
