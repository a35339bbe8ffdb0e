//! Entities in a customer's message: order numbers, phones and phone suffixes, dates, amounts,
//! quantities, colours, and mentions of the catalogue's products, brands, categories and stores.
//!
//! Scanners read the width-folded text (full-width digits and punctuation made half-width), claim
//! the characters they use so that one span is not read twice (a phone is not also an order number,
//! a date not an amount), and never fail: unknown shapes are simply not extracted.

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::text::{Piece, fold, is_cjk, normalise, pieces, stem};

/// What a lexicon entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionKind {
    Product,
    Brand,
    Category,
    Store,
}

/// One catalogue item the assistant should recognise, under any of its names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LexiconEntry {
    pub kind: MentionKind,
    pub id: String,
    /// Chinese and English names and aliases.
    pub names: Vec<String>,
}

/// A lexicon entry found in a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mention {
    pub kind: MentionKind,
    pub id: String,
    /// The (normalised) words of the message that matched.
    pub matched: String,
    /// 1 for a whole name; below 1 for a partial match, by the share of the name's words found.
    pub score: f64,
}

/// Everything extracted from one message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Entities {
    /// Order numbers: letters, digits and hyphens with at least 6 digits, not a phone or a date.
    pub order_ids: Vec<String>,
    /// Chinese mobile numbers, digits only, without the country code.
    pub phones: Vec<String>,
    /// The last four digits of a phone, when the message says so ("尾号1234", "ending 1234").
    pub phone_suffix: Option<String>,
    /// Dates, resolved against the day the message was written.
    pub dates: Vec<NaiveDate>,
    /// Money amounts in minor units (fen, cents).
    pub amounts_minor: Vec<i64>,
    pub quantities: Vec<i64>,
    /// Catalogue mentions, best first; of overlapping matches only the longest is kept.
    pub mentions: Vec<Mention>,
    /// Colours in the order written, each as the canonical word of the language it was written in
    /// ("粉红色" → "粉色", "gray" → "grey"); [`colour_names`] gives both languages' words.
    pub colours: Vec<String>,
}

/// Extracts every kind of entity from a message written on `today`.
pub fn extract(text: &str, lexicon: &Lexicon, today: NaiveDate) -> Entities {
    let mut scan = Scanner::new(&fold(text));
    let phone_suffix = scan.phone_suffix();
    let phones = scan.phones();
    let dates = scan.dates(today);
    let amounts_minor = scan.amounts();
    let order_ids = scan.order_ids();
    let quantities = scan.quantities();
    let colours = scan.colours();
    Entities {
        order_ids,
        phones,
        phone_suffix,
        dates,
        amounts_minor,
        quantities,
        mentions: lexicon.find(text),
        colours,
    }
}

/// The last four digits of a phone: said with a keyword ("尾号1234", "last four digits are 1234"), or
/// a bare four-digit reply, which is what a customer types when the assistant has just asked for it.
pub fn extract_phone_suffix(text: &str) -> Option<String> {
    let folded = fold(text);
    if let Some(suffix) = Scanner::new(&folded).phone_suffix() {
        return Some(suffix);
    }
    let compact: String = folded.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    let digits = ["是", "itis", "its"].iter().find_map(|p| compact.strip_prefix(p)).unwrap_or(&compact);
    (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_string())
}

/// The message as characters, with the characters entities have already claimed.
struct Scanner {
    /// Width-folded characters, case kept (order numbers are reported as written).
    chars: Vec<char>,
    /// The same with ASCII lowercased, for keywords.
    lower: Vec<char>,
    taken: Vec<bool>,
}

fn chinese_digit(c: char) -> Option<i64> {
    match c {
        '零' | '〇' => Some(0),
        '一' => Some(1),
        '二' | '两' => Some(2),
        '三' => Some(3),
        '四' => Some(4),
        '五' => Some(5),
        '六' => Some(6),
        '七' => Some(7),
        '八' => Some(8),
        '九' => Some(9),
        _ => None,
    }
}

fn chinese_unit(c: char) -> Option<i64> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        '万' => Some(10_000),
        _ => None,
    }
}

/// English number words up to twenty, and the tens.
fn english_number(word: &str) -> Option<i64> {
    const SMALL: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    const TENS: [(&str, i64); 7] =
        [("thirty", 30), ("forty", 40), ("fifty", 50), ("sixty", 60), ("seventy", 70), ("eighty", 80), ("ninety", 90)];
    if let Some(n) = SMALL.iter().position(|w| *w == word) {
        return Some(n as i64);
    }
    match word {
        "a" | "an" | "single" => Some(1),
        "couple" | "pair" => Some(2),
        "dozen" => Some(12),
        _ => TENS.iter().find(|(w, _)| *w == word).map(|&(_, n)| n),
    }
}

/// Units customers count goods in, in Chinese (measure words) and English (stemmed).
const CHINESE_COUNTERS: &str = "件个瓶箱盒包袋支只条台双套罐听桶份张本把根杯组提枚片颗部辆卷";
const ENGLISH_COUNTERS: &[&str] = &[
    "bottle", "pack", "packet", "box", "piece", "pc", "pcs", "item", "unit", "can", "bag", "case", "carton", "pair",
    "set", "jar", "tin", "roll", "cup", "bar",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// A month's full English name or its abbreviation ("mar", "sept").
fn month_number(word: &str) -> Option<u32> {
    let abbreviation = word.len() == 3 || word == "sept";
    MONTHS.iter().position(|m| *m == word || (abbreviation && m.starts_with(word))).map(|i| i as u32 + 1)
}

/// How far ahead a date without a year may be; beyond this it is taken as last year's. Customers
/// mostly talk about what already happened (orders), sometimes about what is coming (deliveries).
const FUTURE_DAYS: i64 = 60;

/// Resolves a month and day without a year: the coming one if it is at most [`FUTURE_DAYS`] ahead,
/// otherwise the most recent one.
fn nearest_date(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let candidates = [today.year() - 1, today.year(), today.year() + 1].map(|y| NaiveDate::from_ymd_opt(y, month, day));
    let coming = candidates.iter().flatten().find(|d| (0..=FUTURE_DAYS).contains(&(**d - today).num_days()));
    coming.or_else(|| candidates.iter().flatten().filter(|d| **d <= today).max()).copied()
}

fn shift(today: NaiveDate, days: i64) -> Option<NaiveDate> {
    if days >= 0 {
        today.checked_add_days(Days::new(days as u64))
    } else {
        today.checked_sub_days(Days::new(days.unsigned_abs()))
    }
}

/// The Monday of the week `today` is in.
fn monday_of(today: NaiveDate) -> Option<NaiveDate> {
    shift(today, -i64::from(today.weekday().num_days_from_monday()))
}

/// The most recent `weekday` (0 = Monday) on or before `today`, or strictly before it.
fn last_weekday(today: NaiveDate, weekday: u32, strictly_before: bool) -> Option<NaiveDate> {
    let back = (today.weekday().num_days_from_monday() + 7 - weekday) % 7;
    let back = if back == 0 && strictly_before { 7 } else { back };
    shift(today, -i64::from(back))
}

impl Scanner {
    fn new(folded: &str) -> Scanner {
        let chars: Vec<char> = folded.chars().collect();
        Scanner { lower: chars.iter().map(char::to_ascii_lowercase).collect(), taken: vec![false; chars.len()], chars }
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the lowercased text at `i` starts with `pattern`.
    fn at(&self, i: usize, pattern: &str) -> bool {
        pattern.chars().enumerate().all(|(k, p)| self.lower.get(i + k) == Some(&p))
    }

    fn free(&self, from: usize, to: usize) -> bool {
        self.taken[from..to.min(self.len())].iter().all(|t| !t)
    }

    fn claim(&mut self, from: usize, to: usize) {
        let to = to.min(self.len());
        self.taken[from..to].iter_mut().for_each(|t| *t = true);
    }

    fn is_digit(&self, i: usize) -> bool {
        self.chars.get(i).is_some_and(char::is_ascii_digit)
    }

    fn is_alnum(&self, i: usize) -> bool {
        self.chars.get(i).is_some_and(char::is_ascii_alphanumeric)
    }

    /// ASCII digits at `i` (at most 18): value and length.
    fn digits(&self, i: usize) -> Option<(i64, usize)> {
        let mut end = i;
        while self.is_digit(end) {
            end += 1;
        }
        if end == i || end - i > 18 {
            return None;
        }
        let value = self.chars[i..end].iter().fold(0i64, |v, c| v * 10 + i64::from(c.to_digit(10).unwrap_or(0)));
        Some((value, end - i))
    }

    /// A Chinese numeral at `i` ("三", "十二", "一百零五", "两千"): value and length.
    fn chinese_number(&self, i: usize) -> Option<(i64, usize)> {
        let (mut total, mut section, mut number) = (0i64, 0i64, 0i64);
        let mut end = i;
        while let Some(&c) = self.chars.get(end) {
            if let Some(d) = chinese_digit(c) {
                number = d;
            } else if let Some(unit) = chinese_unit(c) {
                if unit == 10_000 {
                    total += (section + number) * unit;
                    section = 0;
                } else {
                    section += if number == 0 && unit == 10 { 1 } else { number } * unit;
                }
                number = 0;
            } else {
                break;
            }
            end += 1;
            if end - i > 12 {
                return None;
            }
        }
        (end > i).then_some((total + section + number, end - i))
    }

    /// Digits or a Chinese numeral at `i`.
    fn count(&self, i: usize) -> Option<(i64, usize)> {
        if self.is_digit(i) { self.digits(i) } else { self.chinese_number(i) }
    }

    /// A number at the start of a token: digits not glued to letters or digits before them.
    fn starts_number(&self, i: usize) -> bool {
        self.is_digit(i) && (i == 0 || !(self.is_alnum(i - 1) || self.chars[i - 1] == '.'))
    }

    /// Whether the `len` characters at `i` are a whole ASCII word (no letters glued on either side).
    fn whole_word(&self, i: usize, len: usize) -> bool {
        let letter = |k: usize| self.lower.get(k).is_some_and(char::is_ascii_alphabetic);
        (i == 0 || !letter(i - 1)) && !letter(i + len)
    }

    /// Skips spaces from `i`.
    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.chars.get(i) == Some(&' ') {
            i += 1;
        }
        i
    }

    /// The ASCII word (letters only) at `i`, if a word starts there.
    fn word(&self, i: usize) -> Option<String> {
        if i > 0 && self.lower[i - 1].is_ascii_alphabetic() {
            return None;
        }
        let end = (i..self.len()).find(|&k| !self.lower[k].is_ascii_alphabetic()).unwrap_or(self.len());
        (end > i).then(|| self.lower[i..end].iter().collect())
    }

    /// Phones: 11-digit mobile numbers starting 1[3-9], possibly split by spaces or dashes and
    /// prefixed with (+)86 or 0086.
    fn phones(&mut self) -> Vec<String> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < self.len() {
            if !self.is_digit(i) || (i > 0 && (self.is_alnum(i - 1) || self.chars[i - 1] == '.')) {
                i += 1;
                continue;
            }
            // The chain of digit groups joined by single spaces or dashes.
            let mut groups: Vec<(usize, usize)> = Vec::new();
            let mut k = i;
            loop {
                let start = k;
                while self.is_digit(k) {
                    k += 1;
                }
                groups.push((start, k));
                if matches!(self.chars.get(k), Some(' ' | '-')) && self.is_digit(k + 1) {
                    k += 1;
                } else {
                    break;
                }
            }
            let chain_end = k;
            let glued = self.chars.get(chain_end).is_some_and(char::is_ascii_alphabetic)
                || (self.chars.get(chain_end) == Some(&'.') && self.is_digit(chain_end + 1));
            if glued {
                i = chain_end + 1;
                continue;
            }
            let mut g = 0;
            while g < groups.len() {
                let mut digits = String::new();
                let mut matched = None;
                for (e, &(s, t)) in groups.iter().enumerate().skip(g) {
                    digits.extend(&self.chars[s..t]);
                    let mobile =
                        digits.strip_prefix("0086").or_else(|| digits.strip_prefix("86")).filter(|m| m.len() == 11);
                    if let Some(number) =
                        mobile.or((digits.len() == 11).then_some(digits.as_str())).filter(|m| is_mobile(m))
                    {
                        matched = Some((e, number.to_string()));
                        break;
                    }
                    if digits.len() >= 15 {
                        break;
                    }
                }
                match matched {
                    Some((e, number)) => {
                        let from = if groups[g].0 > 0 && self.chars[groups[g].0 - 1] == '+' {
                            groups[g].0 - 1
                        } else {
                            groups[g].0
                        };
                        self.claim(from, groups[e].1);
                        found.push(number);
                        g = e + 1;
                    }
                    None => g += 1,
                }
            }
            i = chain_end;
        }
        found
    }

    /// Order numbers: tokens of letters, digits and hyphens holding at least six digits that no
    /// other entity (phone, date, amount) has claimed.
    fn order_ids(&mut self) -> Vec<String> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < self.len() {
            let is_token = |c: char| c.is_ascii_alphanumeric() || c == '-';
            if !is_token(self.chars[i]) {
                i += 1;
                continue;
            }
            let end = (i..self.len()).find(|&k| !is_token(self.chars[k])).unwrap_or(self.len());
            let (mut start, mut stop) = (i, end);
            while start < stop && self.chars[start] == '-' {
                start += 1;
            }
            while stop > start && self.chars[stop - 1] == '-' {
                stop -= 1;
            }
            let digits = self.chars[start..stop].iter().filter(|c| c.is_ascii_digit()).count();
            // A decimal point glued on makes it a number, not an identifier.
            let decimal = self.chars.get(end) == Some(&'.') && self.is_digit(end + 1);
            if digits >= 6 && !decimal && self.free(start, stop) {
                found.push(self.chars[start..stop].iter().collect());
                self.claim(start, stop);
            }
            i = end;
        }
        found
    }

    /// The last four digits of a phone, after a keyword saying so.
    fn phone_suffix(&mut self) -> Option<String> {
        const KEYWORDS: [&str; 15] = [
            "尾号",
            "尾数",
            "后四位",
            "后4位",
            "末四位",
            "末4位",
            "last four digits",
            "last 4 digits",
            "last four",
            "last 4",
            "ending in",
            "ending with",
            "ends in",
            "ends with",
            "ending",
        ];
        for i in 0..self.len() {
            let keyword = KEYWORDS.iter().find(|k| self.at(i, k) && (!k.is_ascii() || self.whole_word(i, k.len())));
            let Some(keyword) = keyword else { continue };
            let mut k = i + keyword.chars().count();
            // A few filler characters may stand between: "是", ":", " is ", " are ".
            let limit = k + 8;
            while k < limit.min(self.len()) && !self.is_digit(k) {
                k += 1;
            }
            if let Some((_, 4)) = self.digits(k) {
                self.claim(i, k + 4);
                return Some(self.chars[k..k + 4].iter().collect());
            }
        }
        None
    }

    fn dates(&mut self, today: NaiveDate) -> Vec<NaiveDate> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < self.len() {
            match self.date_at(i, today) {
                Some((date, len)) if self.free(i, i + len) => {
                    self.claim(i, i + len);
                    if let Some(date) = date {
                        found.push(date);
                    }
                    i += len;
                }
                _ => i += 1,
            }
        }
        found
    }

    /// A date expression starting at `i`: the date (None when it names an impossible day) and its
    /// length in characters.
    fn date_at(&self, i: usize, today: NaiveDate) -> Option<(Option<NaiveDate>, usize)> {
        const RELATIVE: [(&str, i64); 15] = [
            ("大前天", -3),
            ("前天", -2),
            ("昨天", -1),
            ("昨日", -1),
            ("今天", 0),
            ("今日", 0),
            ("明天", 1),
            ("明日", 1),
            ("大后天", 3),
            ("后天", 2),
            ("the day before yesterday", -2),
            ("the day after tomorrow", 2),
            ("yesterday", -1),
            ("today", 0),
            ("tomorrow", 1),
        ];
        for (word, days) in RELATIVE {
            if self.at(i, word) && (!word.is_ascii() || self.whole_word(i, word.len())) {
                return Some((shift(today, days), word.chars().count()));
            }
        }
        self.chinese_weekday(i, today)
            .or_else(|| self.english_weekday(i, today))
            .or_else(|| self.days_ago(i, today))
            .or_else(|| self.numeric_date(i, today))
            .or_else(|| self.english_date(i, today))
    }

    /// 上周三, 这周五, 下星期一, 礼拜天, 周二.
    fn chinese_weekday(&self, i: usize, today: NaiveDate) -> Option<(Option<NaiveDate>, usize)> {
        let prefixes: [(&str, Option<i64>); 7] = [
            ("上上", Some(-2)),
            ("下下", Some(2)),
            ("上", Some(-1)),
            ("下", Some(1)),
            ("这", Some(0)),
            ("本", Some(0)),
            ("", None),
        ];
        for (prefix, weeks) in prefixes {
            if !self.at(i, prefix) {
                continue;
            }
            let k = i + prefix.chars().count();
            for week_word in ["星期", "礼拜", "周"] {
                if !self.at(k, week_word) {
                    continue;
                }
                let d = k + week_word.chars().count();
                let weekday = match self.chars.get(d) {
                    Some('日' | '天') => 6,
                    Some(&c) => match chinese_digit(c) {
                        Some(n @ 1..=6) if c != '两' => n as u32 - 1,
                        _ => continue,
                    },
                    None => continue,
                };
                let date = match weeks {
                    Some(w) => monday_of(today).and_then(|monday| shift(monday, 7 * w + i64::from(weekday))),
                    None => last_weekday(today, weekday, false),
                };
                return Some((date, d + 1 - i));
            }
        }
        None
    }

    /// "last monday", "this friday", "next tuesday", "on sunday", "monday".
    fn english_weekday(&self, i: usize, today: NaiveDate) -> Option<(Option<NaiveDate>, usize)> {
        let first = self.word(i)?;
        let (modifier, day_at) = match first.as_str() {
            "last" | "this" | "next" | "on" => (Some(first.clone()), self.skip_spaces(i + first.len())),
            _ => (None, i),
        };
        let day_word = self.word(day_at)?;
        let weekday = WEEKDAYS.iter().position(|w| *w == day_word)? as u32;
        let date = match modifier.as_deref() {
            Some("last") => last_weekday(today, weekday, true),
            Some("this") => monday_of(today).and_then(|monday| shift(monday, i64::from(weekday))),
            Some("next") => monday_of(today).and_then(|monday| shift(monday, 7 + i64::from(weekday))),
            _ => last_weekday(today, weekday, false),
        };
        Some((date, day_at + day_word.len() - i))
    }

    /// "3天前", "两天后", "3 days ago", "in 2 days".
    fn days_ago(&self, i: usize, today: NaiveDate) -> Option<(Option<NaiveDate>, usize)> {
        if self.at(i, "in ") {
            let k = self.skip_spaces(i + 3);
            let (n, len) = self.english_count(k)?;
            let after = self.skip_spaces(k + len);
            let unit = self.word(after)?;
            return matches!(unit.as_str(), "day" | "days").then(|| (shift(today, n), after + unit.len() - i));
        }
        if let Some((n, len)) = self.count(i).filter(|_| i == 0 || !self.is_digit(i - 1)) {
            let k = i + len;
            for (word, sign) in [("天前", -1), ("天以前", -1), ("日前", -1), ("天后", 1), ("天以后", 1)] {
                if self.at(k, word) {
                    return Some((shift(today, sign * n), k + word.chars().count() - i));
                }
            }
        }
        let (n, len) = self.english_count(i)?;
        let k = self.skip_spaces(i + len);
        let unit = self.word(k)?;
        let ago = self.skip_spaces(k + unit.len());
        (matches!(unit.as_str(), "day" | "days") && self.word(ago).as_deref() == Some("ago"))
            .then(|| (shift(today, -n), ago + 3 - i))
    }

    /// A number written in digits or English words at `i`.
    fn english_count(&self, i: usize) -> Option<(i64, usize)> {
        if self.starts_number(i) {
            return self.digits(i);
        }
        let word = self.word(i)?;
        english_number(&word).filter(|_| !matches!(word.as_str(), "a" | "an")).map(|n| (n, word.len()))
    }

    /// 2026-03-05, 2026/3/5, 2026年3月5日, 3月5日, 3月5号, 三月五日, 3.5, 3/5.
    fn numeric_date(&self, i: usize, today: NaiveDate) -> Option<(Option<NaiveDate>, usize)> {
        if i > 0 && (self.is_digit(i - 1) || matches!(self.chars[i - 1], '.' | '/' | '¥' | '$')) {
            return None;
        }
        let (first, first_len) = self.count(i)?;
        let k = i + first_len;
        // With a year first.
        if first_len == 4 && self.is_digit(i) {
            let year = i32::try_from(first).ok()?;
            if let Some(&sep @ ('-' | '/' | '.')) = self.chars.get(k) {
                let (month, month_len) = self.digits(k + 1).filter(|&(_, l)| l <= 2)?;
                if self.chars.get(k + 1 + month_len) != Some(&sep) {
                    return None;
                }
                let (day, day_len) = self.digits(k + 2 + month_len).filter(|&(_, l)| l <= 2)?;
                let end = k + 2 + month_len + day_len;
                if self.is_digit(end) {
                    return None;
                }
                return Some((NaiveDate::from_ymd_opt(year, month as u32, day as u32), end - i));
            }
            if self.at(k, "年") {
                let (month, month_len) = self.count(k + 1)?;
                if !self.at(k + 1 + month_len, "月") {
                    return None;
                }
                let (day, day_len) = self.count(k + 2 + month_len)?;
                let end = k + 2 + month_len + day_len;
                if !(self.at(end, "日") || self.at(end, "号")) {
                    return None;
                }
                return Some((NaiveDate::from_ymd_opt(year, month as u32, day as u32), end + 1 - i));
            }
            return None;
        }
        if self.at(k, "月") {
            let (day, day_len) = self.count(k + 1)?;
            let end = k + 1 + day_len;
            if !(self.at(end, "日") || self.at(end, "号")) {
                return None;
            }
            let (month, day) = (u32::try_from(first).ok()?, u32::try_from(day).ok()?);
            return Some((nearest_date(today, month, day), end + 1 - i));
        }
        // Month.day or month/day, only when nothing around makes it a decimal or a fraction.
        if !self.is_digit(i) || first_len > 2 {
            return None;
        }
        let sep = *self.chars.get(k).filter(|c| matches!(c, '.' | '/'))?;
        let (day, day_len) = self.digits(k + 1).filter(|&(_, l)| l <= 2)?;
        let end = k + 1 + day_len;
        let next = self.skip_spaces(end);
        let unit_follows = self.chars.get(next).is_some_and(|&c| {
            c.is_ascii_alphanumeric() || "元块%折倍斤克升米寸分秒公角毛万千百亿个件".contains(c) || c == sep
        });
        if unit_follows || !(1..=12).contains(&first) || !(1..=31).contains(&day) {
            return None;
        }
        Some((nearest_date(today, first as u32, day as u32), end - i))
    }

    /// "5 March", "5th of March 2026", "March 5", "Mar 5th, 2026".
    fn english_date(&self, i: usize, today: NaiveDate) -> Option<(Option<NaiveDate>, usize)> {
        let ordinal_end = |k: usize| -> usize {
            ["st", "nd", "rd", "th"]
                .iter()
                .find(|s| self.at(k, s) && !self.lower.get(k + 2).is_some_and(char::is_ascii_alphabetic))
                .map_or(k, |_| k + 2)
        };
        let year_after = |k: usize| -> (Option<i32>, usize) {
            let after_comma = if self.chars.get(k) == Some(&',') { k + 1 } else { k };
            let y = self.skip_spaces(after_comma);
            match self.digits(y) {
                Some((year, 4)) if self.starts_number(y) => (i32::try_from(year).ok(), y + 4),
                _ => (None, k),
            }
        };
        let resolve = |month: u32, day: i64, year: Option<i32>| -> Option<NaiveDate> {
            let day = u32::try_from(day).ok()?;
            match year {
                Some(y) => NaiveDate::from_ymd_opt(y, month, day),
                None => nearest_date(today, month, day),
            }
        };
        if self.starts_number(i) {
            let (day, len) = self.digits(i).filter(|&(_, l)| l <= 2)?;
            let mut k = self.skip_spaces(ordinal_end(i + len));
            if self.word(k).as_deref() == Some("of") {
                k = self.skip_spaces(k + 2);
            }
            let word = self.word(k)?;
            let month = month_number(&word)?;
            let (year, end) = year_after(k + word.len());
            return Some((resolve(month, day, year), end - i));
        }
        let word = self.word(i)?;
        let month = month_number(&word)?;
        let k = self.skip_spaces(i + word.len());
        if !self.starts_number(k) {
            return None;
        }
        let (day, len) = self.digits(k).filter(|&(_, l)| l <= 2)?;
        let (year, end) = year_after(ordinal_end(k + len));
        Some((resolve(month, day, year), end - i))
    }

    /// Amounts with a currency: ¥12.5, RMB 30, 12.5元, 12块5, 5毛, 100 yuan, 两块钱.
    fn amounts(&mut self) -> Vec<i64> {
        const PREFIXES: [&str; 6] = ["¥", "$", "rmb", "cny", "人民币", "usd"];
        const SUFFIXES: [&str; 12] =
            ["块钱", "元钱", "元", "块", "圆", "yuan", "rmb", "cny", "dollars", "dollar", "bucks", "usd"];
        let mut found = Vec::new();
        let mut i = 0;
        while i < self.len() {
            if self.taken[i] {
                i += 1;
                continue;
            }
            let prefix =
                PREFIXES.iter().find(|p| self.at(i, p) && (p.len() == 1 || !p.is_ascii() || self.word(i).is_some()));
            let number_at = prefix.map_or(i, |p| self.skip_spaces(i + p.chars().count()));
            let glued = prefix.is_none() && i > 0 && (self.is_alnum(i - 1) || self.chars[i - 1] == '.');
            let Some((minor, len)) = self.money_number(number_at).filter(|_| !glued) else {
                i += 1;
                continue;
            };
            let mut end = number_at + len;
            let after = self.skip_spaces(end);
            let suffix = SUFFIXES.iter().find(|s| {
                self.at(after, s)
                    && (!s.is_ascii() || !self.lower.get(after + s.len()).is_some_and(char::is_ascii_alphabetic))
            });
            let mut value = minor;
            if let Some(s) = suffix {
                end = after + s.chars().count();
                // "12块5", "12元5角", "12块5毛": the digit after the unit is tenths.
                let tenths = self.chars.get(end).and_then(|&c| c.to_digit(10).map(i64::from).or(chinese_digit(c)));
                if let Some(tenths) = tenths
                    && !self.is_digit(end + 1)
                    && (s.starts_with('块') || self.at(end + 1, "角") || self.at(end + 1, "毛"))
                {
                    value += tenths * 10;
                    end += 1;
                    if self.at(end, "角") || self.at(end, "毛") {
                        end += 1;
                    }
                }
            } else if prefix.is_none() {
                // "5毛", "3角": tenths of a yuan.
                if (self.at(after, "毛") || self.at(after, "角")) && minor % 100 == 0 && minor < 100 * 100 {
                    value = minor / 10;
                    end = after + 1;
                } else {
                    i = number_at + len.max(1);
                    continue;
                }
            }
            if self.free(i, end) {
                found.push(value);
                self.claim(i, end);
                i = end;
            } else {
                i += 1;
            }
        }
        found
    }

    /// A money number at `i` in minor units: digits with thousands commas and up to two decimals,
    /// or a Chinese numeral. Returns the value and its length.
    fn money_number(&self, i: usize) -> Option<(i64, usize)> {
        if !self.is_digit(i) {
            return self.chinese_number(i).map(|(n, len)| (n.saturating_mul(100), len));
        }
        let mut whole: i64 = 0;
        let mut k = i;
        loop {
            while let Some(d) = self.chars.get(k).and_then(|c| c.to_digit(10)) {
                whole = whole.checked_mul(10)?.checked_add(i64::from(d))?;
                k += 1;
            }
            // Thousands separator: a comma followed by exactly three digits.
            if self.chars.get(k) == Some(&',') && (1..=3).all(|j| self.is_digit(k + j)) && !self.is_digit(k + 4) {
                k += 1;
            } else {
                break;
            }
        }
        let mut minor = whole.checked_mul(100)?;
        if self.chars.get(k) == Some(&'.') && self.is_digit(k + 1) {
            let start = k + 1;
            let mut end = start;
            while self.is_digit(end) {
                end += 1;
            }
            let tenths = i64::from(self.chars[start].to_digit(10)?);
            let hundredths = if end > start + 1 { i64::from(self.chars[start + 1].to_digit(10)?) } else { 0 };
            let round_up = end > start + 2 && self.chars[start + 2].to_digit(10)? >= 5;
            minor += tenths * 10 + hundredths + i64::from(round_up);
            k = end;
        }
        Some((minor, k - i))
    }

    /// Quantities: 3件, 两瓶, 一箱, x3, ×3, 3 bottles, two packs, a box of, qty 3, 数量3.
    fn quantities(&mut self) -> Vec<i64> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < self.len() {
            match self.quantity_at(i) {
                Some((n, len)) if self.free(i, i + len) && n > 0 => {
                    found.push(n);
                    self.claim(i, i + len);
                    i += len;
                }
                _ => i += 1,
            }
        }
        found
    }

    fn quantity_at(&self, i: usize) -> Option<(i64, usize)> {
        let c = self.lower[i];
        // x3, ×3, *3 after a space, the start or Chinese text.
        if matches!(c, 'x' | '×' | '*') && (i == 0 || !self.is_alnum(i - 1)) && self.is_digit(i + 1) {
            let (n, len) = self.digits(i + 1)?;
            return (!self.is_alnum(i + 1 + len)).then_some((n, len + 1));
        }
        for keyword in ["数量", "qty", "quantity"] {
            if self.at(i, keyword) && (keyword == "数量" || self.word(i).is_some()) {
                let mut k = i + keyword.chars().count();
                while matches!(self.chars.get(k), Some(' ' | ':' | '是' | '为' | '=')) {
                    k += 1;
                }
                let (n, len) = self.count(k)?;
                return Some((n, k + len - i));
            }
        }
        if i > 0 && self.chars[i - 1] == '第' {
            return None;
        }
        // A number followed by a Chinese measure word.
        if let Some((n, len)) = self.count(i).filter(|_| self.starts_number(i) || !self.is_digit(i)) {
            let k = self.skip_spaces(i + len);
            if self.chars.get(k).is_some_and(|&c| CHINESE_COUNTERS.contains(c)) {
                return Some((n, k + 1 - i));
            }
        }
        // A number in digits or words followed by an English counting unit.
        let (n, len) = if self.starts_number(i) {
            self.digits(i)?
        } else {
            let word = self.word(i)?;
            (english_number(&word)?, word.len())
        };
        let mut k = self.skip_spaces(i + len);
        if self.word(k).as_deref() == Some("of") && n == 2 {
            k = self.skip_spaces(k + 2);
        }
        let unit = self.word(k)?;
        ENGLISH_COUNTERS.contains(&stem(&unit).as_str()).then_some((n, k + unit.len() - i))
    }

    /// Colour words in the order written, each once, as the canonical word of the language it was
    /// written in.
    fn colours(&self) -> Vec<String> {
        let mut found: Vec<(usize, &str)> = Vec::new();
        let mut used = vec![false; self.len()];
        let mut forms: Vec<(&str, &str)> = COLOURS
            .iter()
            .flat_map(|c| c.zh_forms.iter().map(|f| (*f, c.zh)).chain(c.en_forms.iter().map(|f| (*f, c.en))))
            .collect();
        // Longest forms first so that 深蓝色 is not read as 蓝色.
        forms.sort_by_key(|(form, _)| std::cmp::Reverse(form.chars().count()));
        for (form, canonical) in forms {
            let len = form.chars().count();
            for i in 0..self.len() {
                let whole_word = !form.is_ascii() || self.whole_word(i, len);
                if !used[i] && self.at(i, form) && whole_word && used[i..i + len].iter().all(|u| !u) {
                    used[i..i + len].iter_mut().for_each(|u| *u = true);
                    found.push((i, canonical));
                }
            }
        }
        found.sort_unstable();
        let mut colours: Vec<String> = Vec::new();
        for (_, canonical) in found {
            if !colours.iter().any(|c| c == canonical) {
                colours.push(canonical.to_string());
            }
        }
        colours
    }
}

fn is_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// A colour: its canonical Chinese and English words and the forms customers write it in.
struct Colour {
    zh: &'static str,
    en: &'static str,
    zh_forms: &'static [&'static str],
    en_forms: &'static [&'static str],
}

const fn colour(
    zh: &'static str,
    en: &'static str,
    zh_forms: &'static [&'static str],
    en_forms: &'static [&'static str],
) -> Colour {
    Colour { zh, en, zh_forms, en_forms }
}

const COLOURS: &[Colour] = &[
    colour("黑色", "black", &["黑色"], &["black"]),
    colour("白色", "white", &["白色"], &["white"]),
    colour("红色", "red", &["红色"], &["red"]),
    colour("蓝色", "blue", &["蓝色"], &["blue"]),
    colour("深蓝色", "navy", &["深蓝色", "藏青色", "藏蓝色"], &["navy", "navy blue", "dark blue"]),
    colour("浅蓝色", "light blue", &["浅蓝色", "天蓝色"], &["light blue", "sky blue"]),
    colour("绿色", "green", &["绿色"], &["green"]),
    colour("黄色", "yellow", &["黄色"], &["yellow"]),
    colour("紫色", "purple", &["紫色"], &["purple"]),
    colour("粉色", "pink", &["粉色", "粉红色"], &["pink"]),
    colour("灰色", "grey", &["灰色"], &["grey", "gray"]),
    colour("银色", "silver", &["银色"], &["silver"]),
    colour("金色", "gold", &["金色"], &["gold"]),
    colour("玫瑰金", "rose gold", &["玫瑰金"], &["rose gold"]),
    // "Orange" alone is usually the fruit ("orange juice").
    colour("橙色", "orange", &["橙色", "橘色"], &["orange colour", "orange color", "in orange"]),
    colour("棕色", "brown", &["棕色", "咖啡色", "褐色"], &["brown"]),
    colour("米色", "beige", &["米色", "米白色"], &["beige"]),
    colour("卡其色", "khaki", &["卡其色"], &["khaki"]),
    colour("酒红色", "burgundy", &["酒红色"], &["burgundy"]),
    colour("透明", "transparent", &["透明"], &["transparent"]),
];

/// The Chinese and English canonical words of a colour [`Entities::colours`] reported (either
/// one), for matching a variant named in the other language.
pub fn colour_names(colour: &str) -> Option<(&'static str, &'static str)> {
    COLOURS.iter().find(|c| c.zh == colour || c.en == colour).map(|c| (c.zh, c.en))
}

/// One name of a lexicon entry, as the units it is matched by.
#[derive(Debug, Clone)]
struct Name {
    entry: u32,
    /// CJK characters, stemmed English words and numbers, in order.
    units: Vec<u32>,
    /// Each unit's weight for partial matching (rarer units weigh more; sizes weigh little).
    weights: Vec<f32>,
}

/// The catalogue's names, indexed once for fast matching.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    entries: Vec<LexiconEntry>,
    names: Vec<Name>,
    /// Unit strings to ids.
    unit_ids: HashMap<String, u32>,
    /// The name trie: (node, unit) to child node; node 0 is the root.
    trie: HashMap<(u32, u32), u32>,
    /// Names ending at each trie node.
    terminals: HashMap<u32, Vec<u32>>,
    /// Names holding each unit, for partial matches.
    postings: HashMap<u32, Vec<u32>>,
}

/// A unit of a normalised text: its string and its byte span in that text.
struct Unit {
    text: String,
    start: usize,
    end: usize,
    /// Which clause (stretch between punctuation) it is in.
    clause: usize,
    is_number: bool,
}

/// Splits normalised text into matching units: each CJK character, each stemmed word, each number.
fn units(text: &str) -> Vec<Unit> {
    let base = text.as_ptr() as usize;
    let mut out = Vec::new();
    let mut clause = 0;
    let mut last_end = 0;
    for piece in pieces(text) {
        let (Piece::Cjk(s) | Piece::Word(s) | Piece::Number(s) | Piece::Symbol(s)) = piece;
        let start = s.as_ptr() as usize - base;
        if text[last_end..start].chars().any(|c| ",.!?;:()[]<>\"|/~、。，！？；：".contains(c)) {
            clause += 1;
        }
        last_end = start + s.len();
        match piece {
            Piece::Cjk(run) => {
                for (i, c) in run.char_indices() {
                    let unit = Unit {
                        text: c.to_string(),
                        start: start + i,
                        end: start + i + c.len_utf8(),
                        clause,
                        is_number: false,
                    };
                    out.push(unit);
                }
            }
            Piece::Word(word) => out.push(Unit { text: stem(word), start, end: last_end, clause, is_number: false }),
            Piece::Number(n) => out.push(Unit { text: n.to_string(), start, end: last_end, clause, is_number: true }),
            Piece::Symbol(_) => {}
        }
    }
    out
}

/// Below this share of a name's (weighted) units a partial match is not reported.
const PARTIAL_COVERAGE: f64 = 0.6;
/// At most this many mentions are reported: beyond it the message is too ambiguous to act on.
const MOST_MENTIONS: usize = 20;
/// Partial matches score at most this, so an exact name always ranks above them.
const PARTIAL_CEILING: f64 = 0.9;

/// A candidate match: which name, where in the message (byte span of the normalised text), how good.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    name: u32,
    start: usize,
    end: usize,
    score: f64,
}

impl Lexicon {
    /// Indexes the entries' names: a trie of their units for whole-name matches and postings from
    /// each unit to its names for partial ones.
    pub fn new(entries: Vec<LexiconEntry>) -> Lexicon {
        let mut lexicon = Lexicon { entries, ..Lexicon::default() };
        // Per name: its entry, unit ids, and which units are light (sizes and counts such as
        // "330ml" or "6瓶装", usually left out when customers ask).
        let mut raw: Vec<(u32, Vec<u32>, Vec<bool>)> = Vec::new();
        for (e, entry) in lexicon.entries.iter().enumerate() {
            for name in &entry.names {
                let name_units = units(&normalise(name));
                if name_units.is_empty() {
                    continue;
                }
                let ids = name_units
                    .iter()
                    .map(|u| {
                        let next = lexicon.unit_ids.len() as u32;
                        *lexicon.unit_ids.entry(u.text.clone()).or_insert(next)
                    })
                    .collect();
                let light = name_units
                    .iter()
                    .map(|u| {
                        u.is_number || matches!(u.text.as_str(), "ml" | "l" | "g" | "kg" | "装" | "克" | "升" | "毫")
                    })
                    .collect();
                raw.push((e as u32, ids, light));
            }
        }
        let mut df: HashMap<u32, usize> = HashMap::new();
        for (_, ids, _) in &raw {
            let mut seen = ids.clone();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                *df.entry(id).or_default() += 1;
            }
        }
        let total = raw.len().max(1) as f64;
        for (entry, ids, light) in raw {
            let n = lexicon.names.len() as u32;
            let mut node = 0u32;
            for &id in &ids {
                let next = lexicon.trie.len() as u32 + 1;
                node = *lexicon.trie.entry((node, id)).or_insert(next);
            }
            lexicon.terminals.entry(node).or_default().push(n);
            let mut distinct = ids.clone();
            distinct.sort_unstable();
            distinct.dedup();
            for &id in &distinct {
                lexicon.postings.entry(id).or_default().push(n);
            }
            let weights = ids
                .iter()
                .zip(&light)
                .map(|(id, &light)| {
                    let idf = (1.0 + total / df[id] as f64).ln() as f32;
                    if light { idf * 0.2 } else { idf }
                })
                .collect();
            lexicon.names.push(Name { entry, units: ids, weights });
        }
        lexicon
    }

    /// The entries, as given.
    pub fn entries(&self) -> &[LexiconEntry] {
        &self.entries
    }

    /// Mentions of the lexicon's entries in a message.
    pub fn find(&self, text: &str) -> Vec<Mention> {
        if self.names.is_empty() {
            return Vec::new();
        }
        let normalised = normalise(text);
        let message = units(&normalised);
        let ids: Vec<Option<u32>> = message.iter().map(|u| self.unit_ids.get(&u.text).copied()).collect();
        let mut candidates = self.whole_names(&message, &ids);
        candidates.extend(self.partial_names(&message, &ids));
        self.resolve(candidates, &normalised)
    }

    /// Every place where a whole name's units appear in a row.
    fn whole_names(&self, message: &[Unit], ids: &[Option<u32>]) -> Vec<Candidate> {
        let mut found = Vec::new();
        for start in 0..message.len() {
            let mut node = 0u32;
            for end in start..message.len() {
                let Some(next) = ids[end].and_then(|id| self.trie.get(&(node, id))) else { break };
                node = *next;
                for &name in self.terminals.get(&node).into_iter().flatten() {
                    found.push(Candidate { name, start: message[start].start, end: message[end].end, score: 1.0 });
                }
            }
        }
        found
    }

    /// Names most of whose units appear within one clause of the message ("光明牛奶" for 光明纯牛奶,
    /// "lays chips" for Lay's Classic Potato Chips). CJK characters count only where at least two
    /// of them run together in both, so scattered characters do not add up to a product.
    fn partial_names(&self, message: &[Unit], ids: &[Option<u32>]) -> Vec<Candidate> {
        const MOST_CANDIDATES: usize = 200;
        let mut found = Vec::new();
        // Per name, how many of the clause's distinct units it holds; reset after each clause.
        let mut hits = vec![0u16; self.names.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut clause_start = 0;
        while clause_start < message.len() {
            let clause = message[clause_start].clause;
            let clause_end =
                (clause_start..message.len()).find(|&k| message[k].clause != clause).unwrap_or(message.len());
            let range = clause_start..clause_end;
            clause_start = clause_end;
            let mut seen: Vec<u32> = ids[range.clone()].iter().flatten().copied().collect();
            seen.sort_unstable();
            seen.dedup();
            for id in &seen {
                for &name in self.postings.get(id).into_iter().flatten() {
                    if hits[name as usize] == 0 {
                        touched.push(name);
                    }
                    hits[name as usize] = hits[name as usize].saturating_add(1);
                }
            }
            let mut shortlist: Vec<(u32, u16)> =
                touched.iter().map(|&n| (n, hits[n as usize])).filter(|&(_, h)| h >= 2).collect();
            for name in touched.drain(..) {
                hits[name as usize] = 0;
            }
            let by_hits = |a: &(u32, u16), b: &(u32, u16)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
            if shortlist.len() > MOST_CANDIDATES {
                shortlist.select_nth_unstable_by(MOST_CANDIDATES - 1, by_hits);
                shortlist.truncate(MOST_CANDIDATES);
            }
            for (name, _) in shortlist {
                if let Some(candidate) = self.cover(name, &message[range.clone()], &ids[range.clone()]) {
                    found.push(candidate);
                }
            }
        }
        found
    }

    /// How much of a name a clause covers, as a partial-match candidate.
    fn cover(&self, name_index: u32, clause: &[Unit], ids: &[Option<u32>]) -> Option<Candidate> {
        let name = &self.names[name_index as usize];
        let is_cjk_unit = |u: &Unit| u.text.chars().next().is_some_and(is_cjk);
        let mut covered = vec![false; name.units.len()];
        let mut span: Option<(usize, usize)> = None;
        let mut extend = |from: usize, to: usize| {
            span = Some(span.map_or((from, to), |(s, e)| (s.min(from), e.max(to))));
        };
        let mut matched_units = 0;
        let mut k = 0;
        while k < clause.len() {
            let Some(id) = ids[k] else {
                k += 1;
                continue;
            };
            if !is_cjk_unit(&clause[k]) {
                if let Some(p) = name.units.iter().position(|&u| u == id) {
                    if !covered[p] {
                        covered[p] = true;
                        matched_units += 1;
                    }
                    extend(clause[k].start, clause[k].end);
                }
                k += 1;
                continue;
            }
            // The longest run of CJK characters from k that also runs in the name.
            let mut best = (0, 0);
            for p in 0..name.units.len() {
                let mut len = 0;
                while k + len < clause.len() && p + len < name.units.len() && ids[k + len] == Some(name.units[p + len])
                {
                    len += 1;
                }
                if len > best.0 {
                    best = (len, p);
                }
            }
            if best.0 >= 2 {
                for c in &mut covered[best.1..best.1 + best.0] {
                    if !*c {
                        *c = true;
                        matched_units += 1;
                    }
                }
                extend(clause[k].start, clause[k + best.0 - 1].end);
                k += best.0;
            } else {
                k += 1;
            }
        }
        let total: f32 = name.weights.iter().sum();
        let got: f32 = name.weights.iter().zip(&covered).filter(|(_, c)| **c).map(|(w, _)| w).sum();
        let coverage = f64::from(got / total.max(f32::EPSILON));
        let (start, end) = span?;
        (matched_units >= 2 && coverage >= PARTIAL_COVERAGE).then_some(Candidate {
            name: name_index,
            start,
            end,
            score: PARTIAL_CEILING * coverage,
        })
    }

    /// Keeps the longest of overlapping matches (several when they cover exactly the same words),
    /// one mention per entry, best first, at most [`MOST_MENTIONS`].
    fn resolve(&self, mut candidates: Vec<Candidate>, normalised: &str) -> Vec<Mention> {
        candidates.sort_by(|a, b| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(b.score.total_cmp(&a.score))
                .then(a.start.cmp(&b.start))
                .then(a.name.cmp(&b.name))
        });
        let mut kept: Vec<Candidate> = Vec::new();
        for c in candidates {
            let clashes =
                kept.iter().any(|k| c.start < k.end && k.start < c.end && (c.start, c.end) != (k.start, k.end));
            let entry = self.names[c.name as usize].entry;
            let duplicate = kept.iter().any(|k| self.names[k.name as usize].entry == entry);
            if !clashes && !duplicate {
                kept.push(c);
            }
        }
        kept.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start))
        });
        kept.truncate(MOST_MENTIONS);
        kept.into_iter()
            .map(|c| {
                let entry = &self.entries[self.names[c.name as usize].entry as usize];
                Mention {
                    kind: entry.kind,
                    id: entry.id.clone(),
                    matched: normalised[c.start..c.end].to_string(),
                    score: c.score,
                }
            })
            .collect()
    }
}
