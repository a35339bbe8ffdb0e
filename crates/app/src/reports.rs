//! Dashboard and report figures, cached briefly because each one aggregates the ledger or orders.
//!
//! Every figure is cached for [`CACHE_TTL`] under a key naming the report and
//! all of its parameters, so a console refreshing every few seconds costs one
//! query a minute. A cache that fails is logged and bypassed: the figures are
//! then read from the store on every call, slower but still right.
//!
//! Dashboards should not default to "the last 30 days before today": a data set
//! can end in the past (the demo world ends on 2026-10-31), so
//! [`last_days_of_data`] anchors the range at the last day with sales.

use std::future::Future;
use std::time::Duration;

use retail_cache::{get_json, set_json};
use retail_domain::EntityKind;
use retail_store::{CategorySales, DaySales, LocationSales, OrderSummary, ProductSales, StockCover};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use retail_store::DateRange;

use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

/// How long a computed figure is served from the cache.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// The range dashboards show unless told otherwise, in days.
pub const DEFAULT_DAYS: u32 = 30;

/// The longest range a report accepts, in days (ten years of daily figures).
pub const MAX_RANGE_DAYS: i64 = 3660;

/// The first and last day with sales; `None` before the first sale.
pub async fn data_range(p: &Platform) -> ServiceResult<Option<DateRange>> {
    cached(p, "data_range", &(), async { Ok(p.store.sales_days().await?) }).await
}

/// The `days` days ending on the last day with sales (today, UTC, before the first sale).
pub async fn last_days_of_data(p: &Platform, days: u32) -> ServiceResult<DateRange> {
    let last = match data_range(p).await? {
        Some(range) => range.to,
        None => chrono::Utc::now().date_naive(),
    };
    Ok(DateRange::last_days(last, days))
}

/// Units, revenue and orders per day of `range` (days without sales as zeros),
/// for everything or narrowed to one location and/or one product.
pub async fn sales_by_day(
    p: &Platform,
    range: DateRange,
    location: Option<&str>,
    product: Option<&str>,
) -> ServiceResult<Vec<DaySales>> {
    check_range(range)?;
    cached(p, "sales_by_day", &(range, location, product), async {
        check_exists(p, EntityKind::Location, location).await?;
        check_exists(p, EntityKind::Product, product).await?;
        Ok(p.store.sales_by_day(range, location, product).await?)
    })
    .await
}

/// Sales per top-level category, highest revenue first.
pub async fn sales_by_category(
    p: &Platform,
    range: DateRange,
    location: Option<&str>,
) -> ServiceResult<Vec<CategorySales>> {
    check_range(range)?;
    cached(p, "sales_by_category", &(range, location), async {
        check_exists(p, EntityKind::Location, location).await?;
        Ok(p.store.sales_by_category(range, location).await?)
    })
    .await
}

/// The `limit` (at most 1,000) best-selling products by revenue.
pub async fn top_products(
    p: &Platform,
    range: DateRange,
    location: Option<&str>,
    limit: u32,
) -> ServiceResult<Vec<ProductSales>> {
    check_range(range)?;
    cached(p, "top_products", &(range, location, limit), async {
        check_exists(p, EntityKind::Location, location).await?;
        Ok(p.store.top_products(range, location, limit).await?)
    })
    .await
}

/// Sales and orders per location, highest revenue first.
pub async fn store_comparison(p: &Platform, range: DateRange) -> ServiceResult<Vec<LocationSales>> {
    check_range(range)?;
    cached(p, "store_comparison", &range, async { Ok(p.store.sales_by_location(range).await?) }).await
}

/// Low-stock and overstock alerts: at most `limit` (up to 1,000) of each kind,
/// low first, most severe first within each kind.
pub async fn stock_alerts(p: &Platform, location: Option<&str>, limit: u32) -> ServiceResult<Vec<StockCover>> {
    cached(p, "stock_alerts", &(location, limit), async {
        check_exists(p, EntityKind::Location, location).await?;
        Ok(p.store.stock_alerts(location, limit).await?)
    })
    .await
}

/// Every product stocked at a location, with its recent sales rate, cover and alert.
pub async fn location_stock(p: &Platform, location: &str) -> ServiceResult<Vec<StockCover>> {
    cached(p, "location_stock", &location, async {
        check_exists(p, EntityKind::Location, Some(location)).await?;
        Ok(p.store.location_stock(location).await?)
    })
    .await
}

/// The latest `limit` (up to 1,000) orders, newest first.
pub async fn recent_orders(p: &Platform, limit: u32, location: Option<&str>) -> ServiceResult<Vec<OrderSummary>> {
    cached(p, "recent_orders", &(limit, location), async {
        check_exists(p, EntityKind::Location, location).await?;
        Ok(p.store.recent_orders(location, limit).await?)
    })
    .await
}

fn check_range(range: DateRange) -> ServiceResult<()> {
    if range.from > range.to {
        return Err(invalid("from", "must not be after to"));
    }
    if range.len_days() > MAX_RANGE_DAYS {
        return Err(invalid("to", format!("a range covers at most {MAX_RANGE_DAYS} days")));
    }
    Ok(())
}

/// A filter naming an unknown record is a mistake to report, not a request for zeros.
async fn check_exists(p: &Platform, kind: EntityKind, id: Option<&str>) -> ServiceResult<()> {
    match id {
        Some(id) if p.store.existing_ids(kind, &[id.to_string()]).await?.is_empty() => {
            Err(ServiceError::NotFound { kind: kind.noun(), id: id.to_string() })
        }
        _ => Ok(()),
    }
}

/// `compute`'s value, served from the cache for [`CACHE_TTL`] under a key made
/// of `report` and its parameters as JSON (unambiguous whatever the ids contain).
async fn cached<T, P>(
    p: &Platform,
    report: &str,
    params: &P,
    compute: impl Future<Output = ServiceResult<T>>,
) -> ServiceResult<T>
where
    T: Serialize + DeserializeOwned,
    P: Serialize + ?Sized,
{
    let params = serde_json::to_string(params).expect("report parameters serialise to JSON");
    let key = format!("reports:v1:{report}:{params}");
    match get_json::<T>(p.cache.as_ref(), &key).await {
        Ok(Some(value)) => return Ok(value),
        Ok(None) => {}
        Err(e) => tracing::warn!(%key, error = %e, "report cache read failed; computing afresh"),
    }
    let value = compute.await?;
    if let Err(e) = set_json(p.cache.as_ref(), &key, &value, Some(CACHE_TTL)).await {
        tracing::warn!(%key, error = %e, "report cache write failed");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use retail_domain::{
        Category, Location, LocationKind, Money, Movement, MovementKind, Product, ProductStatus, Text,
    };

    use super::*;
    use crate::service;
    use crate::testing::TempPlatform;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sale(id: &str, qty: i64, day: u32) -> Movement {
        Movement {
            movement_id: Some(id.into()),
            location_id: "S1".into(),
            product_id: "P1".into(),
            kind: MovementKind::Sale,
            quantity: qty,
            to_location_id: None,
            unit_value_minor: Some(250),
            reference: None,
            occurred_at: Utc.with_ymd_and_hms(2026, 10, day, 12, 0, 0).unwrap(),
        }
    }

    async fn platform_with_a_product() -> TempPlatform {
        let p = TempPlatform::embedded("reports").await;
        service::upsert(
            &p,
            &[Location {
                external_id: "S1".into(),
                kind: LocationKind::Store,
                name: Text::new("一号店", "Store 1"),
                address: Text::default(),
                city: "上海".into(),
                lat: 31.2,
                lon: 121.4,
                timezone: "Asia/Shanghai".into(),
                area_m2: None,
                active: true,
            }],
        )
        .await
        .unwrap();
        let category = Category {
            external_id: "c".into(),
            parent_id: None,
            name: Text::new("饮料", "Drinks"),
            consumable: true,
            perishable: false,
        };
        service::upsert(&p, &[category]).await.unwrap();
        let product = Product {
            unit_volume_m3: None,
            unit_weight_kg: None,
            external_id: "P1".into(),
            name: Text::new("可乐", "Cola"),
            brand: "b".into(),
            category_id: "c".into(),
            attributes: Default::default(),
            price: Money::cny(250),
            cost: Money::cny(100),
            pack_size: 1,
            shelf_life_days: None,
            barcode: None,
            supplier_id: None,
            status: ProductStatus::Active,
        };
        service::upsert(&p, &[product]).await.unwrap();
        p
    }

    #[tokio::test]
    async fn ranges_end_on_the_last_day_with_sales() {
        let p = platform_with_a_product().await;
        let today = Utc::now().date_naive();
        assert_eq!(data_range(&p).await.unwrap(), None);
        assert_eq!(last_days_of_data(&p, 7).await.unwrap().to, today, "before any sale: today");

        let p = platform_with_a_product().await;
        service::record_movements(&p, &[sale("a", 2, 20), sale("b", 3, 31)]).await.unwrap();
        assert_eq!(data_range(&p).await.unwrap(), Some(DateRange { from: date("2026-10-20"), to: date("2026-10-31") }));
        let range = last_days_of_data(&p, DEFAULT_DAYS).await.unwrap();
        assert_eq!(range, DateRange { from: date("2026-10-02"), to: date("2026-10-31") });
        let days = sales_by_day(&p, range, Some("S1"), Some("P1")).await.unwrap();
        assert_eq!(days.len(), 30, "one entry per day");
        assert_eq!((days[29].units, days[29].revenue_minor), (3, 750));
    }

    #[tokio::test]
    async fn figures_are_cached_for_a_minute_per_parameter_set() {
        let p = platform_with_a_product().await;
        service::record_movements(&p, &[sale("a", 2, 30)]).await.unwrap();
        let day = DateRange { from: date("2026-10-30"), to: date("2026-10-30") };
        let first = sales_by_day(&p, day, None, None).await.unwrap();
        assert_eq!(first[0].units, 2);
        service::record_movements(&p, &[sale("b", 5, 30)]).await.unwrap();
        assert_eq!(sales_by_day(&p, day, None, None).await.unwrap(), first, "served from the cache");
        let narrowed = sales_by_day(&p, day, Some("S1"), None).await.unwrap();
        assert_eq!(narrowed[0].units, 7, "other parameters are another cache entry");
    }

    #[tokio::test]
    async fn bad_ranges_and_unknown_filters_are_refused() {
        let p = platform_with_a_product().await;
        let backwards = DateRange { from: date("2026-10-31"), to: date("2026-10-01") };
        assert!(matches!(sales_by_day(&p, backwards, None, None).await, Err(ServiceError::Invalid(_))));
        let huge = DateRange { from: date("2000-01-01"), to: date("2026-10-01") };
        assert!(matches!(store_comparison(&p, huge).await, Err(ServiceError::Invalid(_))));
        let day = DateRange { from: date("2026-10-30"), to: date("2026-10-30") };
        assert!(matches!(
            top_products(&p, day, Some("S404"), 10).await,
            Err(ServiceError::NotFound { kind: "location", .. })
        ));
        assert!(matches!(
            sales_by_day(&p, day, None, Some("P404")).await,
            Err(ServiceError::NotFound { kind: "product", .. })
        ));
        assert!(location_stock(&p, "S1").await.unwrap().is_empty(), "a known location without stock");
    }
}
