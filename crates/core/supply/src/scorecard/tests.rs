use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, month, day, hour, 0, 0).unwrap()
}

fn line(p: &str, q: i64, c: i64) -> OrderedLine {
    OrderedLine { product_id: p.into(), quantity: q, unit_cost_minor: c }
}

fn got(p: &str, q: i64, rejected: i64, c: Option<i64>) -> ReceivedLine {
    ReceivedLine { product_id: p.into(), quantity: q, rejected, unit_cost_minor: c }
}

fn receipt(when: DateTime<Utc>, lines: Vec<ReceivedLine>) -> ReceiptRecord {
    ReceiptRecord { received_at: when, lines }
}

fn po(
    id: &str,
    supplier: &str,
    created: DateTime<Utc>,
    promised: Option<DateTime<Utc>>,
    lines: Vec<OrderedLine>,
    receipts: Vec<ReceiptRecord>,
) -> PurchaseRecord {
    PurchaseRecord {
        po_id: id.into(),
        supplier_id: supplier.into(),
        created_at: created,
        promised_at: promised,
        cancelled: false,
        lines,
        receipts,
    }
}

fn offer(s: &str, p: &str, c: i64) -> Offer {
    Offer { supplier_id: s.into(), product_id: p.into(), unit_cost_minor: c }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Supplier S1 with one order of each kind the definitions distinguish.
fn mixed() -> (Vec<PurchaseRecord>, Vec<Offer>) {
    let records = vec![
        // P1: 6 of 10 on the promised day (23:00), the other 4 two days later.
        po(
            "P1",
            "S1",
            at(1, 1, 0),
            Some(at(1, 10, 10)),
            vec![line("A", 10, 100)],
            vec![receipt(at(1, 12, 9), vec![got("A", 4, 0, None)]), receipt(at(1, 10, 23), vec![got("A", 6, 0, None)])],
        ),
        // P2: on time, 2 of 10 A rejected and invoiced above the order; B has no offer anywhere.
        po(
            "P2",
            "S1",
            at(1, 2, 0),
            Some(at(1, 8, 0)),
            vec![line("A", 10, 100), line("B", 5, 50)],
            vec![receipt(at(1, 8, 12), vec![got("A", 10, 2, Some(110)), got("B", 5, 0, None)])],
        ),
        // P3: cancelled.
        PurchaseRecord {
            cancelled: true,
            ..po("P3", "S1", at(1, 3, 0), Some(at(1, 4, 0)), vec![line("A", 100, 100)], vec![])
        },
        // P4: overdue and never received.
        po("P4", "S1", at(1, 3, 0), Some(at(1, 5, 0)), vec![line("A", 20, 100)], vec![]),
        // P5: not yet due, partly received: still in progress, ignored.
        po(
            "P5",
            "S1",
            at(1, 20, 0),
            Some(at(2, 5, 0)),
            vec![line("A", 5, 100)],
            vec![receipt(at(1, 25, 0), vec![got("A", 2, 0, None)])],
        ),
        // P6: no promised date, received in full.
        po(
            "P6",
            "S1",
            at(1, 4, 0),
            None,
            vec![line("A", 5, 100)],
            vec![receipt(at(1, 6, 0), vec![got("A", 5, 0, None)])],
        ),
        // P7: not yet due, nothing received: ignored.
        po("P7", "S1", at(1, 28, 0), Some(at(2, 3, 0)), vec![line("A", 5, 100)], vec![]),
    ];
    (records, vec![offer("S1", "A", 100), offer("S2", "A", 90)])
}

#[test]
fn every_definition_on_a_mixed_history() {
    let (records, offers) = mixed();
    let config = ScorecardConfig::default();
    let cards = scorecards(&records, &offers, at(1, 31, 0), &config);
    assert_eq!(cards.len(), 1);
    let c = &cards[0];
    assert_eq!(c.supplier_id, "S1");
    // P1, P2, P4, P6 count; P3 cancelled, P5 and P7 in progress.
    assert_eq!(c.orders, 4);
    assert_eq!(c.promised_orders, 3);
    assert_eq!(c.late_orders, 1); // P4
    assert_eq!(c.overdue_open_orders, 2); // P2 (short after rejection), P4
    assert_eq!(c.lines, 5);
    assert!(close(c.on_time_rate.unwrap(), 2.0 / 3.0)); // P1, P2
    // P1 completed late, P2 short after rejection, P4 nothing: no order is OTIF.
    assert_eq!(c.otif_rate, Some(0.0));
    assert_eq!(c.in_full_rate, Some(0.5)); // P1, P6
    assert_eq!(c.ordered_units, 50);
    assert!(close(c.fill_rate.unwrap(), 28.0 / 50.0)); // 10 + 8 + 5 + 0 + 5
    assert_eq!(c.received_units, 30);
    assert_eq!(c.rejected_units, 2);
    assert!(close(c.quality_rate.unwrap(), 28.0 / 30.0));
    // Paid: P1 10×100, P2 8×110 (B has no offer), P6 5×100; best offer of A is 90.
    let index = 100.0 * (1000.0 + 880.0 + 500.0) / (90.0 * 23.0);
    assert!(close(c.price_index.unwrap(), index));
    // Lead times: P1 9 d 23 h, P2 6.5 d, P6 2 d.
    let leads = [9.0 + 23.0 / 24.0, 6.5, 2.0];
    let mean = leads.iter().sum::<f64>() / 3.0;
    let std = (leads.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    assert!(close(c.lead_time_mean_days.unwrap(), mean));
    assert!(close(c.lead_time_std_days.unwrap(), std));
    let reliability = (1.0 - std / mean).max(0.0);
    assert!(close(c.lead_time_reliability.unwrap(), reliability));
    let price_score = 1.0 - (index - 100.0) / 20.0;
    let expected = 100.0 * (0.35 * 0.0 + 0.2 * 0.56 + 0.2 * (28.0 / 30.0) + 0.15 * price_score + 0.1 * reliability);
    assert!(close(c.score, expected), "{} vs {expected}", c.score);
    assert_eq!(c.band, Band::InsufficientData);
    assert!(c.reasons[0].starts_with("on time in full: 0 of 3 orders (0%), 1 late, 2 past due"), "{:?}", c.reasons);
    assert!(c.reasons.iter().any(|r| r.starts_with("fill rate: 28 of 50")));
    assert!(c.reasons.iter().any(|r| r.starts_with("quality: 2 of 30 received units rejected")));
    assert!(c.reasons.iter().any(|r| r.starts_with("price: paid 15.0% above")));
    assert!(c.reasons.last().unwrap().starts_with("only 4 settled orders"));

    // With fewer orders needed the band follows the score (≈ 37: blocked).
    let loose = ScorecardConfig { min_orders: 4, ..ScorecardConfig::default() };
    let c = &scorecards(&records, &offers, at(1, 31, 0), &loose)[0];
    assert!((30.0..50.0).contains(&c.score), "{}", c.score);
    assert_eq!(c.band, Band::Blocked);
    assert!(c.reasons.last().unwrap().starts_with("score 37.1 is below the warning threshold 50"), "{:?}", c.reasons);
    let lenient = ScorecardConfig { bands: BandThresholds { excellent: 90.0, average: 60.0, warning: 30.0 }, ..loose };
    assert_eq!(scorecards(&records, &offers, at(1, 31, 0), &lenient)[0].band, Band::Warning);
}

#[test]
fn receipts_after_as_of_are_ignored_and_orders_settle_later() {
    let (records, offers) = mixed();
    // On Jan 11 P1 is past due (deadline Jan 11 00:00) with 6 of 10: late-completing, not in full.
    let c = &scorecards(&records, &offers, at(1, 11, 12), &ScorecardConfig::default())[0];
    assert_eq!(c.orders, 4); // P1, P2, P4, P6 (P6 received Jan 6)
    assert_eq!(c.overdue_open_orders, 3); // P1, P2, P4
    assert_eq!(c.in_full_rate, Some(0.25)); // P6
    // On Jan 9 P1 is neither due nor complete: ignored.
    let c = &scorecards(&records, &offers, at(1, 9, 0), &ScorecardConfig::default())[0];
    assert_eq!(c.orders, 3); // P2, P4, P6
}

#[test]
fn on_time_is_the_end_of_the_promised_day_plus_grace() {
    let order = |received| {
        po(
            "P",
            "S",
            at(1, 1, 0),
            Some(at(1, 10, 8)),
            vec![line("A", 1, 10)],
            vec![receipt(received, vec![got("A", 1, 0, None)])],
        )
    };
    let records = vec![order(at(1, 10, 23)), order(at(1, 11, 0)), order(at(1, 11, 23)), order(at(1, 12, 0))];
    let rate = |grace| {
        let config = ScorecardConfig { grace_days: grace, ..ScorecardConfig::default() };
        scorecards(&records, &[], at(2, 1, 0), &config)[0].on_time_rate.unwrap()
    };
    assert_eq!(rate(0), 0.25);
    assert_eq!(rate(1), 0.75);
    assert_eq!(rate(2), 1.0);
}

#[test]
fn perfect_supplier_is_excellent_and_quality_floor_blocks() {
    let good: Vec<PurchaseRecord> = (0..5)
        .map(|i| {
            let created = at(1, 1 + i, 0);
            po(
                &format!("G{i}"),
                "GOOD",
                created,
                Some(created + Days::new(3)),
                vec![line("A", 10, 90)],
                vec![receipt(created + Days::new(2), vec![got("A", 10, 0, None)])],
            )
        })
        .collect();
    let mut bad = good.clone();
    for r in &mut bad {
        r.supplier_id = "BAD".into();
        r.receipts[0].lines[0].rejected = 2; // 80% quality
    }
    let offers = [offer("GOOD", "A", 90)];
    let all: Vec<PurchaseRecord> = good.into_iter().chain(bad).collect();
    let cards = scorecards(&all, &offers, at(3, 1, 0), &ScorecardConfig::default());
    assert_eq!(cards.iter().map(|c| c.supplier_id.as_str()).collect::<Vec<_>>(), ["BAD", "GOOD"]);
    let (bad, good) = (&cards[0], &cards[1]);
    assert_eq!(good.score, 100.0);
    assert_eq!(good.band, Band::Excellent);
    assert!(good.reasons.is_empty(), "{:?}", good.reasons);
    assert_eq!(good.price_index, Some(100.0));
    assert_eq!(good.lead_time_reliability, Some(1.0));
    assert_eq!(bad.band, Band::Blocked);
    assert!(bad.reasons.iter().any(|r| r == "quality 80% is below the 90% floor"), "{:?}", bad.reasons);
    assert!(bad.score < good.score);
}

#[test]
fn suppliers_without_counted_orders_still_get_a_card() {
    let records = vec![PurchaseRecord {
        cancelled: true,
        ..po("P", "ONLY_CANCELLED", at(1, 1, 0), Some(at(1, 2, 0)), vec![line("A", 1, 1)], vec![])
    }];
    let c = &scorecards(&records, &[], at(2, 1, 0), &ScorecardConfig::default())[0];
    assert_eq!(c.orders, 0);
    assert_eq!(c.score, 0.0);
    assert_eq!(c.band, Band::InsufficientData);
    assert_eq!(c.on_time_rate, None);
    assert_eq!(c.fill_rate, None);
    let config = ScorecardConfig { min_orders: 0, ..ScorecardConfig::default() };
    assert_eq!(scorecards(&records, &[], at(2, 1, 0), &config)[0].band, Band::InsufficientData);
}

#[test]
fn serialises_for_json_apis() {
    let (records, offers) = mixed();
    let c = &scorecards(&records, &offers, at(1, 31, 0), &ScorecardConfig::default())[0];
    let json = serde_json::to_value(c).unwrap();
    assert_eq!(json["band"], "insufficient_data");
    assert_eq!(json["supplier_id"], "S1");
    assert_eq!(serde_json::to_value(Period::Month).unwrap(), "month");
}

#[test]
fn trend_buckets_by_promised_else_created_date() {
    let order = |id: &str, created, promised: Option<DateTime<Utc>>, late: bool| {
        let due = promised.unwrap_or(created);
        let received = if late { due + Days::new(2) } else { due };
        po(id, "S", created, promised, vec![line("A", 1, 10)], vec![receipt(received, vec![got("A", 1, 0, None)])])
    };
    let records = vec![
        // Created in January but promised in February: February.
        order("a", at(1, 30, 0), Some(at(2, 2, 0)), true),
        order("b", at(2, 10, 0), Some(at(2, 12, 0)), false),
        order("c", at(3, 1, 0), None, false),
        order("d", at(3, 5, 0), Some(at(3, 6, 0)), false),
        // Before the window.
        order("e", at(10, 5, 0).with_year(2023).unwrap(), None, false),
    ];
    let t = trend(&records, &[], at(3, 20, 0), &ScorecardConfig::default(), Period::Month, 3);
    let starts: Vec<NaiveDate> = t.iter().map(|p| p.start).collect();
    let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
    assert_eq!(starts, [d(1, 1), d(2, 1), d(3, 1)]);
    assert!(t[0].scorecards.is_empty());
    assert_eq!(t[1].scorecards[0].orders, 2);
    assert_eq!(t[1].scorecards[0].on_time_rate, Some(0.5));
    assert_eq!(t[2].scorecards[0].orders, 2);
    assert_eq!(t[2].scorecards[0].promised_orders, 1);

    // Weeks start on Monday: 2024-03-20 is a Wednesday.
    let t = trend(&records, &[], at(3, 20, 0), &ScorecardConfig::default(), Period::Week, 3);
    let starts: Vec<NaiveDate> = t.iter().map(|p| p.start).collect();
    assert_eq!(starts, [d(3, 4), d(3, 11), d(3, 18)]);
    assert_eq!(t[0].scorecards[0].orders, 1); // d (Mar 6)
    assert!(trend(&records, &[], at(3, 20, 0), &ScorecardConfig::default(), Period::Week, 0).is_empty());
    assert_eq!(period_start(d(1, 1), Period::Week), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    assert_eq!(period_start(d(2, 29), Period::Month), d(2, 1));
}

// ---- properties ----

const PRODUCTS: [&str; 4] = ["A", "B", "C", "D"];

fn arb_record(supplier: &'static str) -> impl Strategy<Value = PurchaseRecord> {
    let lines = proptest::collection::vec((0..3usize, -1i64..20, 50i64..150), 0..4);
    let receipt_lines =
        proptest::collection::vec((0..4usize, -1i64..25, -1i64..6, proptest::option::of(50i64..150)), 0..4);
    let receipts = proptest::collection::vec((0i64..20 * 24, receipt_lines), 0..4);
    (0i64..30 * 24, proptest::option::of(0i64..10 * 24), prop::bool::weighted(0.1), lines, receipts).prop_map(
        move |(created_h, promise_h, cancelled, lines, receipts)| {
            let created = at(1, 1, 0) + chrono::Duration::hours(created_h);
            PurchaseRecord {
                po_id: format!("{created_h}"),
                supplier_id: supplier.into(),
                created_at: created,
                promised_at: promise_h.map(|h| created + chrono::Duration::hours(h)),
                cancelled,
                lines: lines.into_iter().map(|(p, q, c)| line(PRODUCTS[p], q, c)).collect(),
                receipts: receipts
                    .into_iter()
                    .map(|(h, ls)| {
                        receipt(
                            created + chrono::Duration::hours(h),
                            ls.into_iter().map(|(p, q, r, c)| got(PRODUCTS[p], q, r, c)).collect(),
                        )
                    })
                    .collect(),
            }
        },
    )
}

fn perfect_record() -> impl Strategy<Value = PurchaseRecord> {
    (0i64..30 * 24, proptest::collection::vec((0..2usize, 1i64..20), 1..3)).prop_map(|(created_h, lines)| {
        let created = at(1, 1, 0) + chrono::Duration::hours(created_h);
        PurchaseRecord {
            po_id: format!("{created_h}"),
            supplier_id: "PERFECT".into(),
            created_at: created,
            promised_at: Some(created + Days::new(3)),
            cancelled: false,
            lines: lines.iter().map(|(p, q)| line(PRODUCTS[*p], *q, 999)).collect(),
            receipts: vec![receipt(
                created + Days::new(2),
                lines.iter().map(|(p, q)| got(PRODUCTS[*p], *q, 0, Some(offer_price(*p)))).collect(),
            )],
        }
    })
}

fn offer_price(p: usize) -> i64 {
    [80, 100][p]
}

fn offers() -> Vec<Offer> {
    vec![offer("X", "A", 80), offer("Y", "A", 95), offer("X", "B", 100)]
}

fn check_ranges(c: &Scorecard) -> Result<(), TestCaseError> {
    for r in [c.on_time_rate, c.in_full_rate, c.otif_rate, c.fill_rate, c.quality_rate, c.lead_time_reliability]
        .into_iter()
        .flatten()
    {
        prop_assert!((0.0..=1.0).contains(&r), "rate {} in {:?}", r, c);
    }
    prop_assert!((0.0..=100.0).contains(&c.score));
    prop_assert!(c.otif_rate <= c.on_time_rate);
    prop_assert!(c.late_orders <= c.promised_orders && c.promised_orders <= c.orders);
    if let Some(p) = c.price_index {
        prop_assert!(p.is_finite() && p > 0.0);
    }
    if c.orders == 0 {
        prop_assert_eq!(c.band, Band::InsufficientData);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rates_and_scores_stay_in_range(
        mut records in proptest::collection::vec(arb_record("S"), 0..12),
        others in proptest::collection::vec(arb_record("T"), 0..6),
        as_of_h in 0i64..60 * 24,
    ) {
        records.extend(others);
        let as_of = at(1, 1, 0) + chrono::Duration::hours(as_of_h);
        let config = ScorecardConfig { min_orders: 2, ..ScorecardConfig::default() };
        let cards = scorecards(&records, &offers(), as_of, &config);
        for c in &cards {
            check_ranges(c)?;
        }
        let ids: Vec<&str> = cards.iter().map(|c| c.supplier_id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(ids, sorted);
    }

    #[test]
    fn perfect_supplier_scores_at_least_as_well(
        perfect in proptest::collection::vec(perfect_record(), 1..8),
        other in proptest::collection::vec(arb_record("OTHER"), 0..10),
    ) {
        let records: Vec<PurchaseRecord> = perfect.into_iter().chain(other).collect();
        let cards = scorecards(&records, &offers(), at(3, 1, 0), &ScorecardConfig::default());
        let other = cards.iter().find(|c| c.supplier_id == "OTHER");
        let perfect = cards.iter().find(|c| c.supplier_id == "PERFECT").unwrap();
        prop_assert_eq!(perfect.score, 100.0);
        prop_assert_eq!(perfect.otif_rate, Some(1.0));
        prop_assert_eq!(perfect.price_index, Some(100.0));
        if let Some(o) = other {
            prop_assert!(perfect.score >= o.score);
        }
    }

    #[test]
    fn later_promises_and_lower_prices_never_lower_the_score(
        records in proptest::collection::vec(arb_record("S"), 1..10),
        postpone_h in 0i64..10 * 24,
        discount in 0i64..40,
    ) {
        let as_of = at(6, 1, 0);
        let config = ScorecardConfig::default();
        let base = &scorecards(&records, &offers(), as_of, &config)[0];
        let mut later = records.clone();
        for r in &mut later {
            r.promised_at = r.promised_at.map(|p| p + chrono::Duration::hours(postpone_h));
        }
        let l = &scorecards(&later, &offers(), as_of, &config)[0];
        prop_assert!(l.score >= base.score - 1e-9, "{} < {}", l.score, base.score);
        prop_assert!(l.on_time_rate >= base.on_time_rate);
        let mut cheaper = records.clone();
        for r in &mut cheaper {
            for rc in &mut r.receipts {
                for ln in &mut rc.lines {
                    ln.unit_cost_minor = ln.unit_cost_minor.map(|c| c - discount);
                }
            }
            for ln in &mut r.lines {
                ln.unit_cost_minor -= discount;
            }
        }
        let c = &scorecards(&cheaper, &offers(), as_of, &config)[0];
        prop_assert!(c.score >= base.score - 1e-9, "{} < {}", c.score, base.score);
    }
}
