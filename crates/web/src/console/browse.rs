//! Browsers for the stored data: lists with search, filters and pagination, and
//! detail pages with charts.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use retail_app::{reports, service};
use retail_domain::{
    Category, Contract, Customer, EntityKind, Location, Order, OrderChannel, OrderStatus, Product, PurchaseOrder,
    Supplier,
};
use retail_store::{DocQuery, StockAlertKind, StockQuery, Stored};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::view::*;
use super::{Lang, Viewer};
use crate::AppState;
use crate::access::{Area, Permission, urlencode};

const PAGE_SIZE: u32 = 25;

/// A failure while building a page, already shaped as the page to show.
type PageResult<T> = Result<T, Box<Response>>;

fn failed(v: &Viewer, e: impl Into<retail_app::ServiceError>) -> Box<Response> {
    let e = e.into();
    let status = match &e {
        retail_app::ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
        retail_app::ServiceError::Invalid(_) | retail_app::ServiceError::Store(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Box::new(v.error_page(status, e.to_string()))
}

fn decode<T: DeserializeOwned>(v: &Viewer, doc: serde_json::Value) -> PageResult<T> {
    serde_json::from_value(doc).map_err(|e| Box::new(v.error_page(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())))
}

/// One page of a kind, filtered by the query string's search and column filters.
struct Listing<T> {
    items: Vec<T>,
    pager: Pager,
    params: HashMap<String, String>,
}

async fn listing<T: Stored + DeserializeOwned>(
    s: &AppState,
    v: &Viewer,
    path: &str,
    mut params: HashMap<String, String>,
    filter_columns: &[&str],
) -> PageResult<Listing<T>> {
    params.retain(|_, value| !value.trim().is_empty());
    let after = params.remove("after");
    let query = DocQuery {
        search: params.get("q").cloned(),
        filters: filter_columns
            .iter()
            .filter_map(|c| params.get(*c).map(|value| (c.to_string(), value.clone())))
            .collect(),
        after: after.clone(),
        limit: PAGE_SIZE,
    };
    let page = service::list(&s.platform, T::KIND, &query).await.map_err(|e| failed(v, e))?;
    let items = page.items.into_iter().map(|d| decode(v, d.doc)).collect::<PageResult<Vec<T>>>()?;
    let base: String = params.iter().map(|(k, val)| format!("&{k}={}", urlencode(val))).collect();
    let pager = Pager {
        first: after.is_some().then(|| format!("{path}?{}", base.trim_start_matches('&'))),
        next: page.next_cursor.map(|c| format!("{path}?after={c}{base}")),
        first_label: v.t("common.first").into(),
        next_label: v.t("common.next").into(),
    };
    Ok(Listing { items, pager, params })
}

/// Every document of a small kind (categories, locations) by id, for names.
async fn all_of<T: Stored + DeserializeOwned>(s: &AppState, v: &Viewer) -> PageResult<HashMap<String, T>> {
    let query = DocQuery { limit: 1000, ..DocQuery::default() };
    let page = service::list(&s.platform, T::KIND, &query).await.map_err(|e| failed(v, e))?;
    page.items.into_iter().map(|d| Ok((d.external_id.clone(), decode(v, d.doc)?))).collect()
}

async fn one<T: DeserializeOwned>(s: &AppState, v: &Viewer, kind: EntityKind, id: &str) -> PageResult<T> {
    let doc = service::get(&s.platform, kind, id).await.map_err(|e| failed(v, e))?;
    decode(v, doc.doc)
}

fn select(
    v: &Viewer,
    name: &str,
    label: &str,
    options: Vec<(String, String)>,
    params: &HashMap<String, String>,
) -> Select {
    let mut all = vec![(String::new(), v.t("common.all").to_string())];
    all.extend(options);
    Select {
        name: name.into(),
        label: label.into(),
        options: all,
        selected: params.get(name).cloned().unwrap_or_default(),
    }
}

fn filters(v: &Viewer, action: &str, params: &HashMap<String, String>, selects: Vec<Select>) -> Block {
    Block::Filters(Filters {
        action: action.into(),
        search: Some(("q".into(), params.get("q").cloned().unwrap_or_default())),
        selects,
        submit: v.t("common.search").into(),
    })
}

fn name_of<'a>(lang: Lang, map: &'a HashMap<String, impl Named>, id: &'a str) -> String {
    map.get(id).map_or_else(|| id.to_string(), |x| x.name(lang))
}

trait Named {
    fn name(&self, lang: Lang) -> String;
}

impl Named for Category {
    fn name(&self, lang: Lang) -> String {
        lang.pick(&self.name)
    }
}

impl Named for Location {
    fn name(&self, lang: Lang) -> String {
        lang.pick(&self.name)
    }
}

pub fn order_status_tone(status: OrderStatus) -> Tone {
    match status {
        OrderStatus::Delivered => Tone::Good,
        OrderStatus::Cancelled | OrderStatus::Returned => Tone::Bad,
        OrderStatus::Placed => Tone::Warn,
        _ => Tone::Info,
    }
}

pub fn status_label(v: &Viewer, status: OrderStatus) -> &'static str {
    v.t(match status {
        OrderStatus::Placed => "order.placed",
        OrderStatus::Paid => "order.paid",
        OrderStatus::Picked => "order.picked",
        OrderStatus::Shipped => "order.shipped",
        OrderStatus::Delivered => "order.delivered",
        OrderStatus::Cancelled => "order.cancelled",
        OrderStatus::Returned => "order.returned",
    })
}

pub fn channel_label(v: &Viewer, channel: OrderChannel) -> &'static str {
    v.t(match channel {
        OrderChannel::Online => "order.channel.online",
        OrderChannel::Store => "order.channel.store",
    })
}

/// The customer of an order, linked when the viewer may open customers.
pub fn customer_cell(v: &Viewer, customer: Option<&str>) -> Cell {
    match customer {
        Some(c) if v.can(Permission::Read(Area::Customers)) => Cell::link(c, format!("/console/customers/{c}")),
        Some(c) => Cell::text(c),
        None => Cell::text(v.t("order.walk_in")),
    }
}

pub async fn products(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    products_page(&s, &v, q).await.unwrap_or_else(|r| *r)
}

async fn products_page(s: &AppState, v: &Viewer, q: HashMap<String, String>) -> PageResult<Response> {
    let categories: HashMap<String, Category> = all_of(s, v).await?;
    let list: Listing<Product> = listing(s, v, "/console/products", q, &["category_id", "status"]).await?;
    let mut table = Table::new(
        v.labels(&["common.id", "common.name", "product.brand", "product.category", "product.price", "common.status"]),
        v.t("common.none"),
    )
    .numeric(&[4]);
    for p in &list.items {
        let href = format!("/console/products/{}", p.external_id);
        let status =
            serde_json::to_value(p.status).ok().and_then(|s| s.as_str().map(str::to_string)).unwrap_or_default();
        table.rows.push(vec![
            Cell::link(&p.external_id, href.clone()),
            Cell::link(v.lang.pick(&p.name), href),
            Cell::text(&p.brand),
            Cell::text(name_of(v.lang, &categories, &p.category_id)),
            Cell::Number(yuan(p.price.amount_minor)),
            Cell::badge(
                v.t(&format!("product.status.{status}")),
                if status == "active" { Tone::Good } else { Tone::Plain },
            ),
        ]);
    }
    let mut category_options: Vec<(String, String)> =
        categories.iter().map(|(id, c)| (id.clone(), v.lang.pick(&c.name))).collect();
    category_options.sort_by(|a, b| a.1.cmp(&b.1));
    let status_options = ["active", "draft", "discontinued"]
        .iter()
        .map(|s| (s.to_string(), v.t(&format!("product.status.{s}")).to_string()))
        .collect();
    let bar = filters(
        v,
        "/console/products",
        &list.params,
        vec![
            select(v, "category_id", v.t("product.category"), category_options, &list.params),
            select(v, "status", v.t("common.status"), status_options, &list.params),
        ],
    );
    Ok(v.page(v.t("nav.products"))
        .subtitle(v.t("product.subtitle"))
        .card(Card::new("", Width::Full).block(bar).block(Block::Table(table)).block(Block::Pager(list.pager)))
        .into_response())
}

pub async fn product(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    product_page(&s, &v, &id).await.unwrap_or_else(|r| *r)
}

async fn product_page(s: &AppState, v: &Viewer, id: &str) -> PageResult<Response> {
    let p: Product = one(s, v, EntityKind::Product, id).await?;
    let categories: HashMap<String, Category> = all_of(s, v).await?;
    let locations: HashMap<String, Location> = all_of(s, v).await?;
    let mut facts = vec![
        (v.t("common.id").to_string(), Cell::text(&p.external_id)),
        (v.t("product.brand").to_string(), Cell::text(&p.brand)),
        (v.t("product.category").to_string(), Cell::text(name_of(v.lang, &categories, &p.category_id))),
        (v.t("product.price").to_string(), Cell::text(yuan(p.price.amount_minor))),
        (v.t("product.cost").to_string(), Cell::text(yuan(p.cost.amount_minor))),
        (v.t("product.pack").to_string(), Cell::text(p.pack_size.to_string())),
    ];
    if let Some(days) = p.shelf_life_days {
        facts.push((v.t("product.shelf_life").to_string(), Cell::text(format!("{days} {}", v.t("unit.days")))));
    }
    if let Some(sup) = &p.supplier_id {
        let cell = if v.can(Permission::Read(Area::Supply)) {
            Cell::link(sup, format!("/console/suppliers/{sup}"))
        } else {
            Cell::text(sup)
        };
        facts.push((v.t("product.supplier").to_string(), cell));
    }
    for (k, val) in &p.attributes {
        facts.push((k.clone(), Cell::text(val.to_string().trim_matches('"').to_string())));
    }
    let mut page = v
        .page(format!("{} · {}", v.lang.pick(&p.name), p.external_id))
        .subtitle(v.t("product.detail_subtitle"))
        .card(Card::new(v.t("product.facts"), Width::Third).block(Block::Facts(facts)));
    if v.can(Permission::Read(Area::Inventory)) {
        let range = history_range(s, v).await?;
        let days = reports::sales_by_day(&s.platform, range, None, Some(id)).await.map_err(|e| failed(v, e))?;
        let chart = Chart::new(ChartKind::Line, v.t("common.day"), v.t("common.units"))
            .categories(days.iter().map(|d| d.day.to_string()).collect())
            .series(v.t("common.units"), days.iter().map(|d| d.units as f64).collect())
            .series_right(
                v.t("common.revenue_yuan"),
                v.t("common.revenue_yuan"),
                days.iter().map(|d| d.revenue_minor as f64 / 100.0).collect(),
            );
        page = page.card(
            Card::new(format!("{} ({} – {})", v.t("product.sales_history"), range.from, range.to), Width::Half)
                .block(Block::Chart(chart)),
        );
        let stock = s
            .platform
            .store
            .stock(&StockQuery { product_id: Some(id.to_string()), limit: 1000, ..StockQuery::default() })
            .await
            .map_err(|e| failed(v, e))?;
        let chart = Chart::new(ChartKind::Bar, v.t("nav.stores"), v.t("stock.on_hand_units"))
            .categories(stock.iter().map(|l| name_of(v.lang, &locations, &l.location_id)).collect())
            .series(v.t("stock.on_hand"), stock.iter().map(|l| l.on_hand as f64).collect())
            .series(v.t("stock.available"), stock.iter().map(|l| l.available as f64).collect());
        page = page.card(Card::new(v.t("product.stock_by_store"), Width::Full).block(Block::Chart(chart)));
    }
    Ok(page.into_response())
}

/// The last 90 days of data for history charts, starting no earlier than the first sale.
async fn history_range(s: &AppState, v: &Viewer) -> PageResult<reports::DateRange> {
    let mut range = reports::last_days_of_data(&s.platform, 90).await.map_err(|e| failed(v, e))?;
    if let Some(all) = reports::data_range(&s.platform).await.map_err(|e| failed(v, e))? {
        range.from = range.from.max(all.from);
    }
    Ok(range)
}

pub async fn customers(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    customers_page(&s, &v, q).await.unwrap_or_else(|r| *r)
}

async fn customers_page(s: &AppState, v: &Viewer, q: HashMap<String, String>) -> PageResult<Response> {
    let locations: HashMap<String, Location> = all_of(s, v).await?;
    let list: Listing<Customer> = listing(s, v, "/console/customers", q, &["tier", "city", "home_location_id"]).await?;
    let mut table = Table::new(
        v.labels(&[
            "common.id",
            "common.name",
            "common.city",
            "customer.tier",
            "customer.home_store",
            "customer.registered",
        ]),
        v.t("common.none"),
    );
    for c in &list.items {
        let href = format!("/console/customers/{}", c.external_id);
        table.rows.push(vec![
            Cell::link(&c.external_id, href.clone()),
            Cell::link(&c.name, href),
            Cell::text(&c.city),
            Cell::badge(c.tier.clone().unwrap_or_default(), Tone::Info),
            Cell::text(c.home_location_id.as_deref().map(|l| name_of(v.lang, &locations, l)).unwrap_or_default()),
            Cell::text(c.registered_at.format("%Y-%m-%d").to_string()),
        ]);
    }
    let tiers = ["bronze", "silver", "gold", "platinum"].iter().map(|t| (t.to_string(), t.to_string())).collect();
    let mut stores: Vec<(String, String)> =
        locations.iter().map(|(id, l)| (id.clone(), v.lang.pick(&l.name))).collect();
    stores.sort();
    let bar = filters(
        v,
        "/console/customers",
        &list.params,
        vec![
            select(v, "tier", v.t("customer.tier"), tiers, &list.params),
            select(v, "home_location_id", v.t("customer.home_store"), stores, &list.params),
        ],
    );
    Ok(v.page(v.t("nav.customers"))
        .subtitle(v.t("customer.subtitle"))
        .card(Card::new("", Width::Full).block(bar).block(Block::Table(table)).block(Block::Pager(list.pager)))
        .into_response())
}

pub async fn customer(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    customer_page(&s, &v, &id).await.unwrap_or_else(|r| *r)
}

/// Orders of one customer, newest first (a customer has at most a few hundred).
async fn orders_of(s: &AppState, v: &Viewer, customer_id: &str) -> PageResult<Vec<Order>> {
    let query =
        DocQuery { filters: vec![("customer_id".into(), customer_id.into())], limit: 1000, ..DocQuery::default() };
    let page = service::list(&s.platform, EntityKind::Order, &query).await.map_err(|e| failed(v, e))?;
    let mut orders = page.items.into_iter().map(|d| decode::<Order>(v, d.doc)).collect::<PageResult<Vec<_>>>()?;
    orders.sort_by_key(|o| std::cmp::Reverse(o.placed_at));
    Ok(orders)
}

async fn customer_page(s: &AppState, v: &Viewer, id: &str) -> PageResult<Response> {
    let c: Customer = one(s, v, EntityKind::Customer, id).await?;
    let locations: HashMap<String, Location> = all_of(s, v).await?;
    let yes_no = |b: bool| if b { v.t("common.yes") } else { v.t("common.no") };
    let facts = vec![
        (v.t("common.id").to_string(), Cell::text(&c.external_id)),
        (v.t("common.name").to_string(), Cell::text(&c.name)),
        (v.t("common.city").to_string(), Cell::text(&c.city)),
        (v.t("customer.tier").to_string(), Cell::text(c.tier.clone().unwrap_or_default())),
        (
            v.t("customer.home_store").to_string(),
            Cell::text(c.home_location_id.as_deref().map(|l| name_of(v.lang, &locations, l)).unwrap_or_default()),
        ),
        (v.t("customer.phone").to_string(), Cell::text(c.phone.clone().unwrap_or_default())),
        (v.t("customer.email").to_string(), Cell::text(c.email.clone().unwrap_or_default())),
        (v.t("customer.marketing_consent").to_string(), Cell::text(yes_no(c.consent.personalisation))),
        (v.t("customer.registered").to_string(), Cell::text(c.registered_at.format("%Y-%m-%d").to_string())),
    ];
    let mut page = v
        .page(format!("{} · {}", c.name, c.external_id))
        .subtitle(v.t("customer.detail_subtitle"))
        .card(Card::new(v.t("customer.profile"), Width::Third).block(Block::Facts(facts)));
    if v.can(Permission::Read(Area::Orders)) {
        let orders = orders_of(s, v, id).await?;
        let mut by_month: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        for o in &orders {
            *by_month.entry(o.placed_at.format("%Y-%m").to_string()).or_default() += o.total_minor();
        }
        let chart = Chart::new(ChartKind::Bar, v.t("customer.month"), v.t("common.revenue_yuan"))
            .categories(by_month.keys().cloned().collect())
            .series(v.t("customer.spend"), by_month.values().map(|m| *m as f64 / 100.0).collect());
        let kpis = vec![
            Kpi { label: v.t("common.orders").into(), value: count(orders.len() as i64), hint: String::new() },
            Kpi {
                label: v.t("customer.lifetime_spend").into(),
                value: yuan(orders.iter().map(Order::total_minor).sum()),
                hint: String::new(),
            },
        ];
        page = page.card(
            Card::new(v.t("customer.spend_by_month"), Width::Half).block(Block::Kpis(kpis)).block(Block::Chart(chart)),
        );
        page = page.card(Card::new(v.t("nav.orders"), Width::Full).block(Block::Table(orders_table(
            v,
            &locations,
            &orders[..orders.len().min(50)],
        ))));
    }
    Ok(page.into_response())
}

fn orders_table(v: &Viewer, locations: &HashMap<String, Location>, orders: &[Order]) -> Table {
    let mut table = Table::new(
        v.labels(&[
            "common.id",
            "order.customer",
            "order.channel",
            "order.store",
            "common.status",
            "order.total",
            "order.placed_at",
        ]),
        v.t("common.none"),
    )
    .numeric(&[5]);
    for o in orders {
        table.rows.push(vec![
            Cell::link(&o.external_id, format!("/console/orders/{}", o.external_id)),
            customer_cell(v, o.customer_id.as_deref()),
            Cell::text(channel_label(v, o.channel)),
            Cell::text(name_of(v.lang, locations, &o.location_id)),
            Cell::badge(status_label(v, o.status), order_status_tone(o.status)),
            Cell::Number(yuan(o.total_minor())),
            Cell::text(date(o.placed_at)),
        ]);
    }
    table
}

pub async fn orders(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    orders_page(&s, &v, q).await.unwrap_or_else(|r| *r)
}

async fn orders_page(s: &AppState, v: &Viewer, q: HashMap<String, String>) -> PageResult<Response> {
    let locations: HashMap<String, Location> = all_of(s, v).await?;
    let list: Listing<Order> = listing(s, v, "/console/orders", q, &["status", "channel", "location_id"]).await?;
    let table = orders_table(v, &locations, &list.items);
    let statuses =
        OrderStatus::ALL.iter().map(|st| (st.as_str().to_string(), status_label(v, *st).to_string())).collect();
    let channels =
        ["online", "store"].iter().map(|c| (c.to_string(), v.t(&format!("order.channel.{c}")).to_string())).collect();
    let mut stores: Vec<(String, String)> =
        locations.iter().map(|(id, l)| (id.clone(), v.lang.pick(&l.name))).collect();
    stores.sort();
    let bar = filters(
        v,
        "/console/orders",
        &list.params,
        vec![
            select(v, "status", v.t("common.status"), statuses, &list.params),
            select(v, "channel", v.t("order.channel"), channels, &list.params),
            select(v, "location_id", v.t("order.store"), stores, &list.params),
        ],
    );
    Ok(v.page(v.t("nav.orders"))
        .subtitle(v.t("order.subtitle"))
        .card(Card::new("", Width::Full).block(bar).block(Block::Table(table)).block(Block::Pager(list.pager)))
        .into_response())
}

pub async fn order(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    order_page(&s, &v, &id).await.unwrap_or_else(|r| *r)
}

async fn order_page(s: &AppState, v: &Viewer, id: &str) -> PageResult<Response> {
    let o: Order = one(s, v, EntityKind::Order, id).await?;
    let locations: HashMap<String, Location> = all_of(s, v).await?;
    let mut facts = vec![
        (v.t("common.id").to_string(), Cell::text(&o.external_id)),
        (v.t("common.status").to_string(), Cell::badge(status_label(v, o.status), order_status_tone(o.status))),
        (v.t("order.channel").to_string(), Cell::text(channel_label(v, o.channel))),
        (v.t("order.store").to_string(), Cell::text(name_of(v.lang, &locations, &o.location_id))),
        (v.t("order.placed_at").to_string(), Cell::text(date(o.placed_at))),
        (v.t("order.total").to_string(), Cell::text(yuan(o.total_minor()))),
    ];
    if let Some(c) = &o.customer_id {
        facts.insert(1, (v.t("order.customer").to_string(), Cell::link(c, format!("/console/customers/{c}"))));
    }
    if let Some(addr) = &o.delivery_address {
        facts.push((v.t("order.address").to_string(), Cell::text(v.lang.pick(addr))));
    }
    let mut lines = Table::new(
        v.labels(&["order.product", "order.quantity", "order.unit_price", "order.discount", "order.line_total"]),
        v.t("common.none"),
    )
    .numeric(&[1, 2, 3, 4]);
    for l in &o.lines {
        let name = match service::get(&s.platform, EntityKind::Product, &l.product_id).await {
            Ok(doc) => serde_json::from_value::<Product>(doc.doc).map(|p| v.lang.pick(&p.name)).unwrap_or_default(),
            Err(_) => String::new(),
        };
        lines.rows.push(vec![
            Cell::link(format!("{} {name}", l.product_id), format!("/console/products/{}", l.product_id)),
            Cell::Number(count(l.quantity)),
            Cell::Number(yuan(l.unit_price_minor)),
            Cell::Number(yuan(l.discount_minor)),
            Cell::Number(yuan(l.total_minor())),
        ]);
    }
    let mut page = v
        .page(format!("{} {}", v.t("order.title"), o.external_id))
        .card(Card::new(v.t("order.summary"), Width::Third).block(Block::Facts(facts)))
        .card(Card::new(v.t("order.lines"), Width::Half).block(Block::Table(lines)));
    let next: Vec<OrderStatus> = OrderStatus::ALL.into_iter().filter(|n| o.status.can_become(*n)).collect();
    if v.can(Permission::Write(Area::Orders)) && !next.is_empty() {
        let form = Form {
            action: format!("/console/orders/{}/status", o.external_id),
            fields: vec![Field::Select(Select {
                name: "status".into(),
                label: v.t("order.new_status").into(),
                options: next.iter().map(|n| (n.as_str().to_string(), status_label(v, *n).to_string())).collect(),
                selected: String::new(),
            })],
            submit: v.t("order.change_status").into(),
            confirm: Some(v.t("order.change_confirm").into()),
            tone: Tone::Info,
        };
        page = page.card(Card::new(v.t("order.change_status"), Width::Third).block(Block::Form(form)));
    }
    Ok(page.into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn order_status(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StatusForm>,
) -> Response {
    let Some(status) = OrderStatus::ALL.into_iter().find(|st| st.as_str() == form.status) else {
        return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown status {:?}", form.status));
    };
    match service::set_order_status(&s.platform, &id, status).await {
        Ok(_) => Redirect::to(&format!("/console/orders/{id}")).into_response(),
        Err(e) => {
            let status = match e {
                retail_app::ServiceError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            v.error_page(status, e.to_string())
        }
    }
}

pub async fn stores(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    stores_page(&s, &v, q).await.unwrap_or_else(|r| *r)
}

fn location_kind_label(v: &Viewer, l: &Location) -> &'static str {
    let kind = serde_json::to_value(l.kind).ok().and_then(|k| k.as_str().map(str::to_string)).unwrap_or_default();
    v.t(match kind.as_str() {
        "store" => "store.kind.store",
        "online" => "store.kind.online",
        _ => "store.kind.dc",
    })
}

async fn stores_page(s: &AppState, v: &Viewer, q: HashMap<String, String>) -> PageResult<Response> {
    let list: Listing<Location> = listing(s, v, "/console/stores", q, &["kind", "city"]).await?;
    let mut table = Table::new(
        v.labels(&["common.id", "common.name", "store.kind", "common.city", "store.area", "common.status"]),
        v.t("common.none"),
    )
    .numeric(&[4]);
    let can_open = v.can(Permission::Read(Area::Inventory));
    for l in &list.items {
        let href = format!("/console/stores/{}", l.external_id);
        let name = v.lang.pick(&l.name);
        table.rows.push(vec![
            if can_open { Cell::link(&l.external_id, href.clone()) } else { Cell::text(&l.external_id) },
            if can_open { Cell::link(name, href) } else { Cell::text(name) },
            Cell::text(location_kind_label(v, l)),
            Cell::text(&l.city),
            Cell::Number(l.area_m2.map(|a| format!("{} m²", count(i64::from(a)))).unwrap_or_default()),
            if l.active {
                Cell::badge(v.t("users.active"), Tone::Good)
            } else {
                Cell::badge(v.t("store.closed"), Tone::Plain)
            },
        ]);
    }
    let mut page = v.page(v.t("nav.stores")).subtitle(v.t("store.subtitle"));
    if v.can(Permission::Read(Area::Orders)) {
        let range = reports::last_days_of_data(&s.platform, 30).await.map_err(|e| failed(v, e))?;
        let rows = reports::store_comparison(&s.platform, range).await.map_err(|e| failed(v, e))?;
        let chart = Chart::new(ChartKind::Hbar, v.t("nav.stores"), v.t("common.revenue_yuan"))
            .categories(rows.iter().map(|r| v.lang.pick(&r.name)).collect())
            .series(v.t("common.revenue_yuan"), rows.iter().map(|r| r.revenue_minor as f64 / 100.0).collect())
            .height(28 * rows.len().max(4) as u32 + 60);
        page = page.card(
            Card::new(format!("{} ({} – {})", v.t("overview.store_comparison"), range.from, range.to), Width::Full)
                .block(Block::Chart(chart)),
        );
    }
    Ok(page
        .card(
            Card::new("", Width::Full)
                .block(filters(v, "/console/stores", &list.params, Vec::new()))
                .block(Block::Table(table))
                .block(Block::Pager(list.pager)),
        )
        .into_response())
}

pub async fn store(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    store_page(&s, &v, &id).await.unwrap_or_else(|r| *r)
}

async fn store_page(s: &AppState, v: &Viewer, id: &str) -> PageResult<Response> {
    let l: Location = one(s, v, EntityKind::Location, id).await?;
    let facts = vec![
        (v.t("common.id").to_string(), Cell::text(&l.external_id)),
        (v.t("store.kind").to_string(), Cell::text(location_kind_label(v, &l))),
        (v.t("common.city").to_string(), Cell::text(&l.city)),
        (v.t("store.address").to_string(), Cell::text(v.lang.pick(&l.address))),
        (v.t("store.area").to_string(), Cell::text(l.area_m2.map(|a| format!("{a} m²")).unwrap_or_default())),
        (v.t("store.timezone").to_string(), Cell::text(&l.timezone)),
    ];
    let range = history_range(s, v).await?;
    let days = reports::sales_by_day(&s.platform, range, Some(id), None).await.map_err(|e| failed(v, e))?;
    let sales = Chart::new(ChartKind::Line, v.t("common.day"), v.t("common.revenue_yuan"))
        .categories(days.iter().map(|d| d.day.to_string()).collect())
        .series(v.t("common.revenue_yuan"), days.iter().map(|d| d.revenue_minor as f64 / 100.0).collect());
    let stock = reports::location_stock(&s.platform, id).await.map_err(|e| failed(v, e))?;
    let held = stock.iter().filter(|x| x.on_hand > 0);
    let kpis = vec![
        Kpi { label: v.t("stock.skus_held").into(), value: count(held.clone().count() as i64), hint: String::new() },
        Kpi {
            label: v.t("stock.units_on_hand").into(),
            value: count(held.map(|x| x.on_hand).sum()),
            hint: String::new(),
        },
        Kpi {
            label: v.t("stock.out_of_stock").into(),
            value: count(stock.iter().filter(|x| x.on_hand <= 0 && x.avg_daily_units > 0.0).count() as i64),
            hint: v.t("stock.out_of_stock_hint").into(),
        },
    ];
    let alerts = reports::stock_alerts(&s.platform, Some(id), 20).await.map_err(|e| failed(v, e))?;
    Ok(v.page(format!("{} · {}", v.lang.pick(&l.name), l.external_id))
        .subtitle(v.t("store.detail_subtitle"))
        .card(Card::new(v.t("store.facts"), Width::Third).block(Block::Facts(facts)))
        .card(Card::new(v.t("store.stock_position"), Width::Half).block(Block::Kpis(kpis)))
        .card(
            Card::new(format!("{} ({} – {})", v.t("store.sales"), range.from, range.to), Width::Full)
                .block(Block::Chart(sales)),
        )
        .card(Card::new(v.t("overview.alerts"), Width::Full).block(Block::Table(alerts_table(v, &alerts))))
        .into_response())
}

pub fn alerts_table(v: &Viewer, alerts: &[retail_store::StockCover]) -> Table {
    let mut table = Table::new(
        v.labels(&[
            "order.store",
            "order.product",
            "stock.on_hand",
            "stock.daily_sales",
            "stock.days_cover",
            "stock.alert",
        ]),
        v.t("stock.no_alerts"),
    )
    .numeric(&[2, 3, 4]);
    for a in alerts {
        let (label, tone) = match a.alert {
            Some(StockAlertKind::Low) => (v.t("stock.low"), Tone::Bad),
            Some(StockAlertKind::Over) => (v.t("stock.over"), Tone::Warn),
            None => (v.t("stock.ok"), Tone::Good),
        };
        table.rows.push(vec![
            Cell::link(&a.location_id, format!("/console/stores/{}", a.location_id)),
            Cell::link(
                format!("{} {}", a.product_id, v.lang.pick(&a.product_name)),
                format!("/console/products/{}", a.product_id),
            ),
            Cell::Number(count(a.on_hand)),
            Cell::Number(format!("{:.1}", a.avg_daily_units)),
            Cell::Number(a.days_of_cover.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into())),
            Cell::badge(label, tone),
        ]);
    }
    table
}

#[derive(Deserialize)]
pub struct InventoryParams {
    location_id: Option<String>,
}

pub async fn inventory(State(s): State<AppState>, v: Viewer, Query(q): Query<InventoryParams>) -> Response {
    inventory_page(&s, &v, q).await.unwrap_or_else(|r| *r)
}

async fn inventory_page(s: &AppState, v: &Viewer, q: InventoryParams) -> PageResult<Response> {
    let locations: HashMap<String, Location> = all_of(s, v).await?;
    let location = q.location_id.filter(|l| !l.is_empty());
    let alerts = reports::stock_alerts(&s.platform, location.as_deref(), 100).await.map_err(|e| failed(v, e))?;
    let low = alerts.iter().filter(|a| a.alert == Some(StockAlertKind::Low)).count();
    let kpis = vec![
        Kpi { label: v.t("stock.low_count").into(), value: count(low as i64), hint: v.t("stock.low_hint").into() },
        Kpi {
            label: v.t("stock.over_count").into(),
            value: count((alerts.len() - low) as i64),
            hint: v.t("stock.over_hint").into(),
        },
    ];
    let mut stores: Vec<(String, String)> =
        locations.iter().map(|(id, l)| (id.clone(), v.lang.pick(&l.name))).collect();
    stores.sort();
    let mut params = HashMap::new();
    if let Some(l) = &location {
        params.insert("location_id".to_string(), l.clone());
    }
    let bar = Block::Filters(Filters {
        action: "/console/inventory".into(),
        search: None,
        selects: vec![select(v, "location_id", v.t("order.store"), stores, &params)],
        submit: v.t("common.filter").into(),
    });
    Ok(v.page(v.t("nav.inventory"))
        .subtitle(v.t("stock.subtitle"))
        .card(Card::new("", Width::Full).block(bar).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("overview.alerts"), Width::Full).block(Block::Table(alerts_table(v, &alerts))))
        .into_response())
}

pub async fn suppliers(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    suppliers_page(&s, &v, q).await.unwrap_or_else(|r| *r)
}

async fn suppliers_page(s: &AppState, v: &Viewer, q: HashMap<String, String>) -> PageResult<Response> {
    let list: Listing<Supplier> = listing(s, v, "/console/suppliers", q, &["active"]).await?;
    let mut table = Table::new(
        v.labels(&[
            "common.id",
            "common.name",
            "supplier.contact",
            "supplier.lead_time",
            "supplier.min_order",
            "common.status",
        ]),
        v.t("common.none"),
    )
    .numeric(&[3, 4]);
    for sup in &list.items {
        let href = format!("/console/suppliers/{}", sup.external_id);
        table.rows.push(vec![
            Cell::link(&sup.external_id, href.clone()),
            Cell::link(v.lang.pick(&sup.name), href),
            Cell::text(&sup.contact_name),
            Cell::Number(format!("{:.1} ± {:.1} {}", sup.lead_time_days, sup.lead_time_std_days, v.t("unit.days"))),
            Cell::Number(yuan(sup.min_order_minor)),
            if sup.active {
                Cell::badge(v.t("users.active"), Tone::Good)
            } else {
                Cell::badge(v.t("store.closed"), Tone::Plain)
            },
        ]);
    }
    Ok(v.page(v.t("nav.suppliers"))
        .subtitle(v.t("supplier.subtitle"))
        .card(
            Card::new("", Width::Full)
                .block(filters(v, "/console/suppliers", &list.params, Vec::new()))
                .block(Block::Table(table))
                .block(Block::Pager(list.pager)),
        )
        .into_response())
}

pub async fn supplier(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    supplier_page(&s, &v, &id).await.unwrap_or_else(|r| *r)
}

async fn supplier_page(s: &AppState, v: &Viewer, id: &str) -> PageResult<Response> {
    let sup: Supplier = one(s, v, EntityKind::Supplier, id).await?;
    let facts = vec![
        (v.t("common.id").to_string(), Cell::text(&sup.external_id)),
        (v.t("supplier.contact").to_string(), Cell::text(&sup.contact_name)),
        (v.t("customer.phone").to_string(), Cell::text(sup.phone.clone().unwrap_or_default())),
        (v.t("customer.email").to_string(), Cell::text(sup.email.clone().unwrap_or_default())),
        (
            v.t("supplier.lead_time").to_string(),
            Cell::text(format!("{:.1} ± {:.1} {}", sup.lead_time_days, sup.lead_time_std_days, v.t("unit.days"))),
        ),
        (v.t("supplier.min_order").to_string(), Cell::text(yuan(sup.min_order_minor))),
    ];
    let by_supplier =
        |limit| DocQuery { filters: vec![("supplier_id".into(), id.into())], limit, ..DocQuery::default() };
    let products =
        service::list(&s.platform, EntityKind::Product, &by_supplier(200)).await.map_err(|e| failed(v, e))?;
    let mut ptable =
        Table::new(v.labels(&["common.id", "common.name", "product.cost", "product.price"]), v.t("common.none"))
            .numeric(&[2, 3]);
    for d in products.items {
        let p: Product = decode(v, d.doc)?;
        ptable.rows.push(vec![
            Cell::link(&p.external_id, format!("/console/products/{}", p.external_id)),
            Cell::text(v.lang.pick(&p.name)),
            Cell::Number(yuan(p.cost.amount_minor)),
            Cell::Number(yuan(p.price.amount_minor)),
        ]);
    }
    let pos =
        service::list(&s.platform, EntityKind::PurchaseOrder, &by_supplier(1000)).await.map_err(|e| failed(v, e))?;
    let mut orders =
        pos.items.into_iter().map(|d| decode::<PurchaseOrder>(v, d.doc)).collect::<PageResult<Vec<_>>>()?;
    orders.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    let mut otable = Table::new(
        v.labels(&["common.id", "order.store", "common.status", "supplier.lines", "common.created"]),
        v.t("common.none"),
    )
    .numeric(&[3]);
    for po in orders.iter().take(50) {
        otable.rows.push(vec![
            Cell::text(&po.external_id),
            Cell::text(&po.location_id),
            Cell::badge(po.status.as_str(), Tone::Info),
            Cell::Number(po.lines.len().to_string()),
            Cell::text(date(po.created_at)),
        ]);
    }
    let contracts =
        service::list(&s.platform, EntityKind::Contract, &by_supplier(200)).await.map_err(|e| failed(v, e))?;
    let mut ctable = Table::new(
        v.labels(&[
            "sc.product",
            "product.cost",
            "sc.min_order",
            "sc.pack",
            "supplier.lead_time",
            "sc.delivery_days",
            "sc.valid",
        ]),
        v.t("common.none"),
    )
    .numeric(&[1, 2, 3, 4]);
    for d in contracts.items {
        let c: Contract = decode(v, d.doc)?;
        let days: Vec<String> = c.delivery_days.iter().map(|d| format!("{d:?}")).collect();
        let valid = format!("{} – {}", c.valid_from, c.valid_to.map_or_else(String::new, |d| d.to_string()));
        ctable.rows.push(vec![
            Cell::link(&c.product_id, format!("/console/products/{}", c.product_id)),
            Cell::Number(yuan(c.unit_cost_minor)),
            Cell::Number(c.min_order_units.to_string()),
            Cell::Number(c.pack_size.to_string()),
            Cell::Number(format!("{:.1}", c.lead_time_days)),
            Cell::text(days.join(" ")),
            Cell::text(valid),
        ]);
    }
    let scorecard = super::supply::supplier_cards(s, v, id).await.map_err(|e| failed(v, e))?;
    let mut page = v
        .page(format!("{} · {}", v.lang.pick(&sup.name), sup.external_id))
        .card(Card::new(v.t("supplier.facts"), Width::Third).block(Block::Facts(facts)))
        .card(Card::new(v.t("supplier.products"), Width::Half).block(Block::Table(ptable)));
    for card in scorecard {
        page = page.card(card);
    }
    Ok(page
        .card(Card::new(v.t("sc.contracts"), Width::Full).block(Block::Table(ctable)))
        .card(Card::new(v.t("supplier.purchase_orders"), Width::Full).block(Block::Table(otable)))
        .into_response())
}
