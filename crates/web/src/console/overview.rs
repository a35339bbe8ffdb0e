//! The overview dashboard: the last 30 days of data at a glance.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use retail_app::reports;

use super::Viewer;
use super::browse::{alerts_table, channel_label, customer_cell, order_status_tone, status_label};
use super::view::*;
use crate::AppState;
use crate::access::{Area, Permission};

pub async fn page(State(s): State<AppState>, v: Viewer) -> Response {
    build(&s, &v).await.unwrap_or_else(|e| v.error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn build(s: &AppState, v: &Viewer) -> Result<Response, retail_app::ServiceError> {
    let p = &s.platform;
    let range = reports::last_days_of_data(p, 30).await?;
    let mut page = v.page(v.t("nav.overview")).subtitle(format!(
        "{} {} ({} – {})",
        v.t("common.last_days"),
        range.to,
        range.from,
        range.to
    ));
    if !v.can(Permission::Read(Area::Orders)) {
        // Roles without sales data still get a working home page.
        return Ok(page
            .card(Card::new("", Width::Full).block(Block::Notice(Notice {
                tone: Tone::Info,
                text: v.t("overview.limited").into(),
                secret: None,
            })))
            .into_response());
    }
    let days = reports::sales_by_day(p, range, None, None).await?;
    let revenue: i64 = days.iter().map(|d| d.revenue_minor).sum();
    let units: i64 = days.iter().map(|d| d.units).sum();
    let orders: i64 = days.iter().map(|d| d.orders).sum();
    let before = reports::DateRange {
        from: range.from - chrono::Days::new(range.len_days() as u64),
        to: range.from - chrono::Days::new(1),
    };
    let previous = reports::sales_by_day(p, before, None, None).await?;
    let prev_revenue: i64 = previous.iter().map(|d| d.revenue_minor).sum();
    let change = if prev_revenue > 0 {
        format!(
            "{:+.1}% {}",
            (revenue - prev_revenue) as f64 * 100.0 / prev_revenue as f64,
            v.t("overview.vs_previous")
        )
    } else {
        String::new()
    };
    // Store tills book sales without orders, so the average order uses only the
    // revenue of locations that take orders.
    let stores = reports::store_comparison(p, range).await?;
    let ordered_revenue: i64 = stores.iter().filter(|l| l.orders > 0).map(|l| l.revenue_minor).sum();
    let kpis = vec![
        Kpi { label: v.t("overview.revenue").into(), value: yuan(revenue), hint: change },
        Kpi { label: v.t("common.units").into(), value: count(units), hint: String::new() },
        Kpi { label: v.t("common.orders").into(), value: count(orders), hint: String::new() },
        Kpi {
            label: v.t("overview.basket").into(),
            value: if orders > 0 { yuan(ordered_revenue / orders) } else { "—".into() },
            hint: v.t("overview.basket_hint").into(),
        },
    ];
    page = page.card(Card::new("", Width::Full).block(Block::Kpis(kpis)));

    let trend = Chart::new(ChartKind::Line, v.t("common.day"), v.t("common.revenue_yuan"))
        .categories(days.iter().map(|d| d.day.format("%m-%d").to_string()).collect())
        .series(v.t("overview.revenue"), days.iter().map(|d| d.revenue_minor as f64 / 100.0).collect())
        .series_right(v.t("common.orders"), v.t("common.orders"), days.iter().map(|d| d.orders as f64).collect());
    page = page.card(Card::new(v.t("overview.sales_by_day"), Width::Full).block(Block::Chart(trend)));

    let categories = reports::sales_by_category(p, range, None).await?;
    let by_category = Chart::new(ChartKind::Pie, v.t("product.category"), v.t("common.revenue_yuan"))
        .categories(categories.iter().map(|c| v.lang.pick(&c.name)).collect())
        .series(v.t("common.revenue_yuan"), categories.iter().map(|c| c.revenue_minor as f64 / 100.0).collect());
    page = page.card(Card::new(v.t("overview.by_category"), Width::Half).block(Block::Chart(by_category)));

    let store_chart = Chart::new(ChartKind::Hbar, v.t("nav.stores"), v.t("common.revenue_yuan"))
        .categories(stores.iter().map(|r| v.lang.pick(&r.name)).collect())
        .series(v.t("common.revenue_yuan"), stores.iter().map(|r| r.revenue_minor as f64 / 100.0).collect())
        .height(28 * stores.len().max(4) as u32 + 60);
    page = page.card(Card::new(v.t("overview.store_comparison"), Width::Half).block(Block::Chart(store_chart)));

    let top = reports::top_products(p, range, None, 10).await?;
    let top_chart = Chart::new(ChartKind::Hbar, v.t("order.product"), v.t("common.revenue_yuan"))
        .categories(top.iter().map(|t| v.lang.pick(&t.name)).collect())
        .series(v.t("common.revenue_yuan"), top.iter().map(|t| t.revenue_minor as f64 / 100.0).collect())
        .height(340);
    let mut top_table = Table::new(
        vec![v.t("order.product").into(), v.t("common.units").into(), v.t("common.revenue_yuan").into()],
        v.t("common.none"),
    )
    .numeric(&[1, 2]);
    for t in &top {
        top_table.rows.push(vec![
            Cell::link(
                format!("{} {}", t.product_id, v.lang.pick(&t.name)),
                format!("/console/products/{}", t.product_id),
            ),
            Cell::Number(count(t.units)),
            Cell::Number(yuan(t.revenue_minor)),
        ]);
    }
    page = page
        .card(Card::new(v.t("overview.top_products"), Width::Half).block(Block::Chart(top_chart)))
        .card(Card::new(v.t("overview.top_products_table"), Width::Half).block(Block::Table(top_table)));

    if v.can(Permission::Read(Area::Inventory)) {
        let alerts = reports::stock_alerts(p, None, 10).await?;
        page = page.card(Card::new(v.t("overview.alerts"), Width::Full).block(Block::Table(alerts_table(v, &alerts))));
    }

    let recent = reports::recent_orders(p, 10, None).await?;
    let mut table = Table::new(
        v.labels(&[
            "common.id",
            "order.customer",
            "order.channel",
            "order.store",
            "common.status",
            "order.quantity",
            "order.total",
            "order.placed_at",
        ]),
        v.t("common.none"),
    )
    .numeric(&[5, 6]);
    for o in &recent {
        table.rows.push(vec![
            Cell::link(&o.order_id, format!("/console/orders/{}", o.order_id)),
            customer_cell(v, o.customer_id.as_deref()),
            Cell::text(channel_label(v, o.channel)),
            Cell::text(&o.location_id),
            Cell::badge(status_label(v, o.status), order_status_tone(o.status)),
            Cell::Number(count(o.units)),
            Cell::Number(yuan(o.total_minor)),
            Cell::text(date(o.placed_at)),
        ]);
    }
    page = page.card(Card::new(v.t("overview.recent_orders"), Width::Full).block(Block::Table(table)));
    Ok(page.into_response())
}
