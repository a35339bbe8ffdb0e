//! Text preparation shared by every model: width folding and normalisation, language detection and
//! segmentation into words (Chinese through jieba, English words lightly stemmed, digit runs).

use std::sync::OnceLock;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

/// The language a message is written in, as far as the assistant's replies are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

/// Maps one character to its half-width form (full-width ASCII, the ideographic space, Chinese
/// punctuation); `None` drops it (control and invisible formatting characters). Whitespace becomes a
/// plain space so that callers can collapse it.
fn fold_char(c: char) -> Option<char> {
    let folded = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{FFE5}' => '¥',
        '。' | '｡' => '.',
        '、' | '､' => ',',
        '“' | '”' | '「' | '」' | '『' | '』' | '〝' | '〞' => '"',
        '‘' | '’' => '\'',
        '【' | '〔' | '〖' => '[',
        '】' | '〕' | '〗' => ']',
        '《' | '〈' => '<',
        '》' | '〉' => '>',
        '—' | '–' | '―' => '-',
        '…' => '.',
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' => {
            return None;
        }
        c if c.is_whitespace() => ' ',
        c if c.is_control() => return None,
        c => c,
    };
    Some(folded)
}

/// Width-folded text with case kept: full-width ASCII and Chinese punctuation made half-width,
/// control and invisible characters dropped, runs of whitespace collapsed to one space, trimmed.
/// Entity extraction reads this form so that order numbers keep their letters' case.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars().filter_map(fold_char) {
        if c == ' ' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Normalised text: width-folded (half-width, no control characters, whitespace collapsed) and
/// lowercased. CJK characters and emoji are kept as they are.
pub fn normalise(s: &str) -> String {
    let folded = fold(s);
    if folded.is_ascii() {
        return folded.to_ascii_lowercase();
    }
    folded.chars().flat_map(char::to_lowercase).collect()
}

/// Han ideographs (the unified blocks and their extensions, compatibility ideographs) and `〇`.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3007 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF | 0x30000..=0x3134F)
}

/// Pictographs and symbols that carry meaning on their own (emoji, dingbats).
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF)
}

/// Letters of alphabetic scripts (Latin and others), the characters English-like words are made of.
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !is_cjk(c)
}

/// `Zh` when CJK characters make a meaningful share of the message. A Chinese character says about
/// as much as half an English word, so each English word counts as two characters: "iphone 15 有货吗"
/// is Chinese, "where is my 快递" is English.
pub fn detect_language(s: &str) -> Lang {
    let mut cjk = 0usize;
    let mut latin_words = 0usize;
    let mut in_word = false;
    for c in s.chars() {
        if is_cjk(c) {
            cjk += 1;
        }
        let letter = is_letter(c);
        if letter && !in_word {
            latin_words += 1;
        }
        in_word = letter;
    }
    if cjk > 0 && cjk as f64 >= 0.3 * (cjk + 2 * latin_words) as f64 { Lang::Zh } else { Lang::En }
}

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Light English stemming that makes plurals and possessives meet their singular: "bottles" →
/// "bottle", "berries" → "berry", "boxes" → "box", "lay's" → "lay". Short words and words ending
/// in -ss/-us/-is are left alone.
pub fn stem(word: &str) -> String {
    let word = word.strip_suffix("'s").or_else(|| word.strip_suffix('\'')).unwrap_or(word);
    let chars = word.chars().count();
    if chars > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    if chars > 4 && ["sses", "xes", "ches", "shes"].iter().any(|s| word.ends_with(s)) {
        return word[..word.len() - 2].to_string();
    }
    if chars > 3 && word.ends_with('s') && !["ss", "us", "is"].iter().any(|s| word.ends_with(s)) {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

/// One piece of a normalised message, before Chinese runs are segmented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// A run of CJK characters.
    Cjk(&'a str),
    /// A word of an alphabetic script, apostrophes inside it kept ("don't").
    Word(&'a str),
    /// Digits, with one decimal point between digits kept ("12.5").
    Number(&'a str),
    /// One emoji, pictograph, currency sign or percent sign: symbols that carry meaning.
    Symbol(&'a str),
}

/// Splits normalised text into CJK runs, words, numbers and symbols; punctuation and spaces drop.
pub(crate) fn pieces(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut end = start + c.len_utf8();
        let mut take_while = |accept: &dyn Fn(char, usize) -> bool| {
            while let Some(&(i, next)) = chars.peek() {
                if !accept(next, i) {
                    break;
                }
                end = i + next.len_utf8();
                chars.next();
            }
        };
        if is_cjk(c) {
            take_while(&|n, _| is_cjk(n));
            out.push(Piece::Cjk(&text[start..end]));
        } else if is_letter(c) {
            // An apostrophe stays when a letter follows it ("don't", "lay's").
            take_while(&|n, i| is_letter(n) || (n == '\'' && text[i + 1..].chars().next().is_some_and(is_letter)));
            out.push(Piece::Word(&text[start..end]));
        } else if c.is_ascii_digit() {
            take_while(&|n, i| {
                n.is_ascii_digit()
                    || (n == '.'
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                        && bytes[start..i].iter().all(u8::is_ascii_digit))
            });
            out.push(Piece::Number(&text[start..end]));
        } else if is_emoji(c) || matches!(c, '$' | '£' | '€' | '¥' | '%') {
            out.push(Piece::Symbol(&text[start..end]));
        }
    }
    out
}

/// Chinese words of a run of CJK characters, by jieba's dictionary and HMM for unknown words.
pub(crate) fn segment(run: &str) -> impl Iterator<Item = &str> {
    jieba().cut(run, true).into_iter().map(|token| token.word)
}

/// Words of the normalised text: Chinese runs segmented by jieba, English words lowercased and
/// [`stem`]med, digit runs, emoji and currency signs; punctuation and whitespace dropped.
pub fn words(s: &str) -> Vec<String> {
    let text = normalise(s);
    let mut out = Vec::new();
    for piece in pieces(&text) {
        match piece {
            Piece::Cjk(run) => out.extend(segment(run).map(str::to_string)),
            Piece::Word(word) => out.push(stem(word)),
            Piece::Number(n) | Piece::Symbol(n) => out.push(n.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_folds_width_case_and_space() {
        assert_eq!(normalise("  ＨＥＬＬＯ，　Ｗｏｒｌｄ！１２３ "), "hello, world!123");
        assert_eq!(normalise("你好。\u{200B}请问\t\n有货吗？"), "你好.请问 有货吗?");
        assert_eq!(normalise("好评👍\u{0007}"), "好评👍");
        assert_eq!(normalise("￥１２.５"), "¥12.5");
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn detects_language_by_share_of_cjk() {
        assert_eq!(detect_language("我的订单到哪里了"), Lang::Zh);
        assert_eq!(detect_language("iPhone 15 有货吗"), Lang::Zh);
        assert_eq!(detect_language("where is my order?"), Lang::En);
        assert_eq!(detect_language("where is my 快递"), Lang::En);
        assert_eq!(detect_language("12345"), Lang::En);
    }

    #[test]
    fn words_segment_chinese_and_stem_english() {
        assert_eq!(words("我想退货"), ["我", "想", "退货"]);
        assert_eq!(words("Two BOTTLES of Lay's chips, please!"), ["two", "bottle", "of", "lay", "chip", "please"]);
        assert_eq!(words("退款12.5元😊 don't"), ["退款", "12.5", "元", "😊", "don't"]);
        assert_eq!(words("iphone15pro"), ["iphone", "15", "pro"]);
    }

    #[test]
    fn stemming_is_light() {
        for (word, stemmed) in [
            ("berries", "berry"),
            ("boxes", "box"),
            ("glasses", "glass"),
            ("bus", "bus"),
            ("this", "this"),
            ("yes", "yes"),
        ] {
            assert_eq!(stem(word), stemmed);
        }
    }
}
