//! Properties of the policy and the simulator over random inputs.

use proptest::prelude::*;
use retail_inventory::{
    Costs, DemandView, ItemInputs, LeadTimes, Policy, SimConfig, Suggestion, simulate_traced, suggest,
};

fn demand_means() -> impl Strategy<Value = Vec<f64>> {
    // Some exact zeros so intermittent and all-zero forecasts are common.
    prop::collection::vec(prop_oneof![Just(0.0), 0.0..200.0f64], 1..60)
}

fn inputs() -> impl Strategy<Value = ItemInputs> {
    (
        (0.0..1e5f64, 0.0..1e4f64, prop_oneof![Just(0.0), 0.0..500.0f64]),
        (demand_means(), 0.0..50.0f64),
        (prop_oneof![Just(0.0), 0.0..60.0f64], 0.0..10.0f64, prop_oneof![Just(0.0), 0.0..30.0f64], 0.001..0.999f64),
        (1u32..50, prop_oneof![Just(0u32), 0u32..500]),
        (0.0..100.0f64, prop::option::of(0.0..500.0f64), 0.0..1.0f64),
        (prop::option::of(1u32..60), prop::option::of(0.0..1e5f64)),
    )
        .prop_map(|(stock, demand, time, packs, money, limits)| ItemInputs {
            on_hand: stock.0,
            on_order: stock.1,
            backorders_or_reserved: stock.2,
            demand: DemandView { mean_per_day: demand.0, error_std_per_day: demand.1 },
            lead_time_days: time.0,
            lead_time_std_days: time.1,
            review_days: time.2,
            service_level: time.3,
            pack_size: packs.0,
            moq_units: packs.1,
            unit_cost: money.0,
            ordering_cost: money.1,
            holding_rate_per_year: money.2,
            shelf_life_days: limits.0,
            max_order_value: limits.1,
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::ContinuousSs),
        Just(Policy::PeriodicRs),
        (0.0..2000.0f64, 0.0..2000.0f64).prop_map(|(min, extra)| Policy::MinMax { min, max: min + extra }),
    ]
}

fn all_finite(s: &Suggestion) -> bool {
    [s.position, s.safety_stock, s.reorder_point, s.order_up_to, s.expected_demand_lead_time]
        .iter()
        .all(|v| v.is_finite())
        && s.days_of_cover.is_none_or(f64::is_finite)
}

proptest! {
    #[test]
    fn orders_are_whole_packs_at_least_the_moq(inputs in inputs(), policy in policy()) {
        let s = suggest(&inputs, &policy).unwrap();
        prop_assert_eq!(s.order, s.quantity > 0);
        if s.order {
            prop_assert_eq!(s.quantity % u64::from(inputs.pack_size), 0);
            prop_assert!(s.quantity >= u64::from(inputs.moq_units));
        }
    }

    #[test]
    fn never_nan(inputs in inputs(), policy in policy()) {
        let s = suggest(&inputs, &policy).unwrap();
        prop_assert!(all_finite(&s), "{:?}", s);
        for reason in &s.reasons {
            let text = format!("{reason:?}");
            prop_assert!(!text.contains("NaN"), "{}", text);
        }
    }

    #[test]
    fn higher_service_never_lowers_safety_stock(
        inputs in inputs(),
        a in 0.001..0.999f64,
        b in 0.001..0.999f64,
        periodic in any::<bool>(),
    ) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let policy = if periodic { Policy::PeriodicRs } else { Policy::ContinuousSs };
        let at = |level| suggest(&ItemInputs { service_level: level, ..inputs.clone() }, &policy).unwrap();
        let (s_low, s_high) = (at(low), at(high));
        prop_assert!(s_high.safety_stock >= s_low.safety_stock, "{} < {}", s_high.safety_stock, s_low.safety_stock);
        prop_assert!(s_high.order_up_to >= s_low.order_up_to);
    }

    #[test]
    fn simulator_conserves_units(
        demand in prop::collection::vec(prop_oneof![Just(0.0), (0u32..40).prop_map(f64::from)], 1..150),
        initial in 0.0..100.0f64,
        lead in prop_oneof![(0u32..10).prop_map(LeadTimes::Fixed), prop::collection::vec(0u32..10, 1..5).prop_map(LeadTimes::Sequence)],
        review in 0u32..10,
        level in 0.5..0.999f64,
        pack in 1u32..12,
        moq in 0u32..30,
        policy in policy(),
        warmup in 0usize..20,
    ) {
        let config = SimConfig {
            initial_on_hand: initial,
            lead_time: lead,
            review_days: review,
            service_level: level,
            pack_size: pack,
            moq_units: moq,
            costs: Costs { unit_cost: 3.0, unit_price: 5.0, holding_rate_per_year: 0.2, ordering_cost: 10.0, lost_sale_cost: None },
            warmup_days: warmup,
        };
        // A 7-day moving average as the forecaster.
        let forecast = |_: usize, history: &[f64]| {
            let recent = &history[history.len().saturating_sub(7)..];
            let mean = recent.iter().sum::<f64>() / recent.len() as f64;
            let var = recent.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / recent.len() as f64;
            DemandView::flat(mean, 21, var.sqrt())
        };
        let (report, days) = simulate_traced(&demand, &config, &policy, forecast).unwrap();
        prop_assert_eq!(days.len(), demand.len());
        let mut on_hand = initial;
        for d in &days {
            prop_assert!(d.on_hand >= 0.0 && d.on_order >= 0.0);
            prop_assert_eq!(d.sold + d.lost, d.demand);
            prop_assert_eq!(d.ordered % u64::from(pack), 0);
            on_hand = on_hand + d.received - d.sold;
            prop_assert!((on_hand - d.on_hand).abs() < 1e-9);
        }
        prop_assert!((report.sold + report.lost - report.demand).abs() < 1e-9);
        prop_assert!((0.0..=1.0).contains(&report.fill_rate));
        let measured = &days[warmup.min(days.len())..];
        prop_assert_eq!(report.days, measured.len());
        prop_assert_eq!(report.demand, measured.iter().map(|d| d.demand).sum::<f64>());
        prop_assert_eq!(report.stockout_days, measured.iter().filter(|d| d.lost > 0.0).count());
        prop_assert!(report.total_cost.is_finite() && report.avg_on_hand >= 0.0);
    }
}
