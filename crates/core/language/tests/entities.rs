use std::time::{Duration, Instant};

use chrono::NaiveDate;
use retail_language::entities::{
    Entities, Lexicon, LexiconEntry, MentionKind, colour_names, extract, extract_phone_suffix,
};

/// A Tuesday.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn entry(kind: MentionKind, id: &str, names: &[&str]) -> LexiconEntry {
    LexiconEntry { kind, id: id.into(), names: names.iter().map(|n| n.to_string()).collect() }
}

fn lexicon() -> Lexicon {
    Lexicon::new(vec![
        entry(MentionKind::Brand, "bright", &["光明", "Bright Dairy"]),
        entry(MentionKind::Brand, "mengniu", &["蒙牛", "Mengniu"]),
        entry(MentionKind::Category, "milk", &["牛奶", "milk"]),
        entry(MentionKind::Product, "P-100", &["光明纯牛奶 250ml", "Bright Pure Milk 250ml"]),
        entry(MentionKind::Product, "P-200", &["蒙牛纯牛奶 1L", "Mengniu Pure Milk 1L"]),
        entry(MentionKind::Product, "P-300", &["乐事原味薯片", "Lay's Classic Potato Chips"]),
        entry(MentionKind::Product, "P-400", &["可口可乐 330ml", "Coca-Cola 330ml", "Coke"]),
        entry(MentionKind::Store, "S-1", &["徐汇店", "Xuhui Store"]),
    ])
}

fn run(text: &str) -> Entities {
    extract(text, &lexicon(), today())
}

fn ids(e: &Entities) -> Vec<&str> {
    e.mentions.iter().map(|m| m.id.as_str()).collect()
}

#[test]
fn order_ids_in_both_languages() {
    assert_eq!(run("我的订单O-20261124-00012还没到").order_ids, ["O-20261124-00012"]);
    assert_eq!(run("order SO123456789 hasn't arrived").order_ids, ["SO123456789"]);
    assert_eq!(run("订单号 123456789012").order_ids, ["123456789012"]);
    assert_eq!(run("订单号：１２３４５６７８９０１２").order_ids, ["123456789012"], "full-width digits");
    // Phones, dates, amounts and short numbers are not order numbers.
    let e = run("电话13812345678，2026-03-05下单，花了¥1234567，买了3件，编号A12345");
    assert!(e.order_ids.is_empty(), "{:?}", e.order_ids);
}

#[test]
fn phones_with_separators_and_country_code() {
    assert_eq!(run("我的手机是13812345678").phones, ["13812345678"]);
    assert_eq!(run("call me on +86 138-1234-5678 please").phones, ["13812345678"]);
    assert_eq!(run("电话 138 1234 5678，谢谢").phones, ["13812345678"]);
    assert_eq!(run("0086 15900001111 或 17700002222").phones, ["15900001111", "17700002222"]);
    assert!(run("12345678901 is not a mobile").phones.is_empty());
    assert!(run("SO13812345678").phones.is_empty(), "part of an order number");
    assert_eq!(run("My phone is 13812345678.").phones, ["13812345678"]);
}

#[test]
fn phone_suffix_by_keyword_and_bare_reply() {
    assert_eq!(run("手机尾号1234").phone_suffix.as_deref(), Some("1234"));
    assert_eq!(run("尾号是 5678 的那个").phone_suffix.as_deref(), Some("5678"));
    assert_eq!(run("the last four digits are 4321").phone_suffix.as_deref(), Some("4321"));
    assert_eq!(run("phone ending 9876").phone_suffix.as_deref(), Some("9876"));
    assert_eq!(run("pending 9876 items").phone_suffix, None);
    assert_eq!(run("1234").phone_suffix, None, "a bare number only counts when asked for");
    assert_eq!(extract_phone_suffix("1234"), Some("1234".into()));
    assert_eq!(extract_phone_suffix(" ５６７８。"), Some("5678".into()));
    assert_eq!(extract_phone_suffix("是1234"), Some("1234".into()));
    assert_eq!(extract_phone_suffix("尾号1234的"), Some("1234".into()));
    assert_eq!(extract_phone_suffix("12345"), None);
    assert_eq!(extract_phone_suffix("买了1234件"), None);
}

#[test]
fn relative_dates() {
    let e = run("今天、昨天、前天、大前天、明天");
    assert_eq!(
        e.dates,
        [date(2026, 11, 24), date(2026, 11, 23), date(2026, 11, 22), date(2026, 11, 21), date(2026, 11, 25)]
    );
    assert_eq!(run("yesterday and the day before yesterday").dates, [date(2026, 11, 23), date(2026, 11, 22)]);
    assert_eq!(run("3天前下的单").dates, [date(2026, 11, 21)]);
    assert_eq!(run("ordered two days ago").dates, [date(2026, 11, 22)]);
}

#[test]
fn weekdays() {
    // Today is Tuesday 24 November 2026; last week's Wednesday is the 18th.
    assert_eq!(run("上周三买的").dates, [date(2026, 11, 18)]);
    assert_eq!(run("这周五能到吗").dates, [date(2026, 11, 27)]);
    assert_eq!(run("下星期一").dates, [date(2026, 11, 30)]);
    assert_eq!(run("上礼拜天").dates, [date(2026, 11, 22)]);
    assert_eq!(run("周一下的单").dates, [date(2026, 11, 23)]);
    assert_eq!(run("I ordered last monday").dates, [date(2026, 11, 23)]);
    assert_eq!(run("last tuesday").dates, [date(2026, 11, 17)]);
    assert_eq!(run("next friday").dates, [date(2026, 12, 4)]);
}

#[test]
fn calendar_dates() {
    assert_eq!(run("3月5日下的单").dates, [date(2026, 3, 5)]);
    assert_eq!(run("三月五号").dates, [date(2026, 3, 5)]);
    assert_eq!(run("2026-03-05").dates, [date(2026, 3, 5)]);
    assert_eq!(run("2025/12/31 的订单").dates, [date(2025, 12, 31)]);
    assert_eq!(run("2026年3月5日").dates, [date(2026, 3, 5)]);
    assert_eq!(run("3.5号那天").dates, [date(2026, 3, 5)]);
    assert_eq!(run("ordered on 5 March").dates, [date(2026, 3, 5)]);
    assert_eq!(run("on March 5th, 2025").dates, [date(2025, 3, 5)]);
    assert_eq!(run("5th of mar").dates, [date(2026, 3, 5)]);
    // A date without a year is the coming one when it is at most 60 days ahead, else the last one.
    assert_eq!(run("12月28日").dates, [date(2026, 12, 28)]);
    assert_eq!(extract("12月28日", &lexicon(), date(2027, 1, 10)).dates, [date(2026, 12, 28)]);
    assert_eq!(extract("1月3日", &lexicon(), date(2026, 12, 20)).dates, [date(2027, 1, 3)]);
    assert!(run("2月30日").dates.is_empty(), "no such day");
    assert!(run("12.5元").dates.is_empty(), "an amount, not a date");
}

#[test]
fn amounts_in_minor_units() {
    assert_eq!(run("退款¥12.5").amounts_minor, [1250]);
    assert_eq!(run("退款￥１２.５").amounts_minor, [1250]);
    assert_eq!(run("花了12.5元").amounts_minor, [1250]);
    assert_eq!(run("12块5一瓶").amounts_minor, [1250]);
    assert_eq!(run("才5毛钱").amounts_minor, [50]);
    assert_eq!(run("两块钱").amounts_minor, [200]);
    assert_eq!(run("一百元").amounts_minor, [10_000]);
    assert_eq!(run("refund 100 yuan").amounts_minor, [10_000]);
    assert_eq!(run("RMB 30 and rmb1,299.99").amounts_minor, [3000, 129_999]);
    assert_eq!(run("it cost $19.99").amounts_minor, [1999]);
    assert!(run("买了3件").amounts_minor.is_empty());
}

#[test]
fn quantities_in_words_and_digits() {
    assert_eq!(run("买了3件").quantities, [3]);
    assert_eq!(run("要两瓶可乐和一箱牛奶").quantities, [2, 1]);
    assert_eq!(run("十二个").quantities, [12]);
    assert_eq!(run("可乐 x3").quantities, [3]);
    assert_eq!(run("可乐×２").quantities, [2]);
    assert_eq!(run("3 bottles of water and two packs of chips").quantities, [3, 2]);
    assert_eq!(run("a box of tissues").quantities, [1]);
    assert_eq!(run("数量：5").quantities, [5]);
    assert!(run("第3件").quantities.is_empty());
    assert!(run("3月5日").quantities.is_empty());
}

#[test]
fn colours_canonical() {
    assert_eq!(run("要黑色的，不要白色").colours, ["黑色", "白色"]);
    assert_eq!(run("do you have it in Black or dark blue?").colours, ["black", "navy"]);
    assert_eq!(run("深蓝色").colours, ["深蓝色"]);
    assert_eq!(run("粉红色和gray各一件").colours, ["粉色", "grey"]);
    assert_eq!(colour_names("grey"), Some(("灰色", "grey")));
    assert_eq!(colour_names("粉色"), Some(("粉色", "pink")));
    assert_eq!(colour_names("plaid"), None);
    assert!(run("orange juice").colours.is_empty());
    assert!(run("blacklist").colours.is_empty());
}

#[test]
fn lexicon_finds_names_contained_in_chinese() {
    let e = run("有没有光明牛奶");
    // The partial product match covers both the brand and the category, so it is the one kept.
    assert_eq!(ids(&e), ["P-100"], "{:?}", e.mentions);
    assert!(e.mentions[0].score < 1.0 && e.mentions[0].score > 0.5);
    let e = run("我想买牛奶");
    assert_eq!(ids(&e), ["milk"]);
    assert_eq!(e.mentions[0].score, 1.0);
    assert_eq!(e.mentions[0].matched, "牛奶");
    assert_eq!(e.mentions[0].kind, MentionKind::Category);
    let e = run("蒙牛纯牛奶1l还有吗");
    assert_eq!(ids(&e), ["P-200"]);
    assert_eq!(e.mentions[0].score, 1.0);
    let e = run("光明的和蒙牛的都要");
    assert_eq!(ids(&e), ["bright", "mengniu"]);
}

#[test]
fn lexicon_matches_english_case_plurals_and_parts() {
    let e = run("Do you sell COKE?");
    assert_eq!(ids(&e), ["P-400"]);
    assert_eq!(e.mentions[0].matched, "coke");
    let e = run("two bottles of coca-cola please");
    assert_eq!(ids(&e), ["P-400"]);
    let e = run("lay's classic potato chip");
    assert_eq!(ids(&e), ["P-300"]);
    assert_eq!(e.mentions[0].score, 1.0);
    let e = run("any classic potato chips from lays?");
    assert_eq!(ids(&e), ["P-300"], "{:?}", e.mentions);
    assert!(e.mentions[0].score < 1.0);
    assert_eq!(ids(&run("pick up at the xuhui store")), ["S-1"]);
}

#[test]
fn unknown_products_give_no_mention() {
    for text in ["有没有酸奶", "do you have any bread", "明天送", "", "😀😀"] {
        assert!(run(text).mentions.is_empty(), "{text}: {:?}", run(text).mentions);
    }
    assert!(Lexicon::new(Vec::new()).find("牛奶").is_empty());
}

#[test]
fn mixed_script_emoji_and_full_width() {
    let e = run("订单ＳＯ１２３４５６７８９昨天到的😡，牛奶少了２瓶，退我¥30吧，手机尾号８８８８");
    assert_eq!(e.order_ids, ["SO123456789"]);
    assert_eq!(e.dates, [date(2026, 11, 23)]);
    assert_eq!(e.quantities, [2]);
    assert_eq!(e.amounts_minor, [3000]);
    assert_eq!(e.phone_suffix.as_deref(), Some("8888"));
    assert_eq!(ids(&e), ["milk"]);
}

#[test]
fn large_input_is_handled_quickly() {
    let chunk = "订单O-20261124-00012昨天买了3件光明纯牛奶，花了¥30，电话13812345678。Where is my order? 😀 ";
    let text: String = chunk.repeat(100_000 / chunk.len() + 1);
    assert!(text.len() >= 100_000);
    let lexicon = lexicon();
    let started = Instant::now();
    let e = extract(&text, &lexicon, today());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(e.order_ids.len() > 100 && e.phones.len() > 100);
}

#[test]
fn matching_a_large_catalogue_is_fast() {
    let brands = ["光明", "蒙牛", "伊利", "农夫山泉", "可口可乐", "百事", "乐事", "奥利奥", "德芙", "雀巢"];
    let goods = ["纯牛奶", "酸奶", "矿泉水", "可乐", "薯片", "饼干", "巧克力", "咖啡", "橙汁", "面包"];
    let mut entries = Vec::new();
    for i in 0..10_000 {
        let name = format!("{}{} {}号", brands[i % 10], goods[(i / 10) % 10], i);
        entries.push(entry(MentionKind::Product, &format!("P{i}"), &[&name, &format!("product {i} pack")]));
    }
    let lexicon = Lexicon::new(entries);
    let message = "你好，请问伊利酸奶还有货吗？我想买两箱，送到徐汇店";
    let started = Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        std::hint::black_box(lexicon.find(message));
    }
    let each = started.elapsed() / rounds;
    // Debug builds are many times slower than release; release is well under a millisecond.
    assert!(each < Duration::from_millis(if cfg!(debug_assertions) { 20 } else { 1 }), "{each:?}");
    assert!(!lexicon.find(message).is_empty());
}
