use chrono::NaiveDate;
use proptest::prelude::*;
use retail_language::entities::{Lexicon, LexiconEntry, MentionKind, extract, extract_phone_suffix};
use retail_language::text::{detect_language, normalise, words};

/// Strings mixing the characters the scanners care about with anything at all.
fn messy() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<String>(),
        "[0-9０-９ .,:/\\-+¥￥$x×*]{0,20}",
        "[一二两三四五六七八九十百千万零月日号周上下这天前后元块毛件瓶箱个尾号是]{0,12}",
        "(yesterday|last|monday|march|5th|of|rmb|yuan|bottles|two|ending|in|black|光明|牛奶|😀|\u{200b}|\u{3000}| )*",
    ];
    prop::collection::vec(pieces, 0..6).prop_map(|parts| parts.concat())
}

fn lexicon() -> Lexicon {
    Lexicon::new(vec![
        LexiconEntry { kind: MentionKind::Brand, id: "b".into(), names: vec!["光明".into(), "Bright".into()] },
        LexiconEntry {
            kind: MentionKind::Product,
            id: "p".into(),
            names: vec!["光明纯牛奶 250ml".into(), "".into(), "…".into()],
        },
    ])
}

proptest! {
    #[test]
    fn text_functions_never_panic(s in messy()) {
        let n = normalise(&s);
        prop_assert_eq!(normalise(&n), n.clone(), "normalising is idempotent");
        prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        prop_assert!(!n.chars().any(char::is_control));
        let _ = detect_language(&s);
        for w in words(&s) {
            prop_assert!(!w.is_empty() && !w.contains(' '));
        }
    }

    #[test]
    fn extraction_never_panics(s in messy(), days in -100_000i64..100_000) {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap() + chrono::Duration::days(days);
        // The ends of the calendar must not overflow either.
        for edge in [NaiveDate::MIN, NaiveDate::MAX] {
            let _ = extract(&s, &lexicon(), edge);
        }
        let e = extract(&s, &lexicon(), today);
        for phone in &e.phones {
            prop_assert!(phone.len() == 11 && phone.starts_with('1'));
        }
        for m in &e.mentions {
            prop_assert!(m.score > 0.0 && m.score <= 1.0);
        }
        if let Some(suffix) = extract_phone_suffix(&s) {
            prop_assert!(suffix.len() == 4 && suffix.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
