//! Prometheus metrics for HTTP traffic, kept in-process and rendered in the text
//! exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteSummary {
    pub route: String,
    pub requests: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub mean_ms: f64,
}

#[derive(Default)]
pub struct Metrics {
    /// Keyed by (method, route template, status).
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.entry((method.to_string(), route.to_string(), status)).or_default();
        s.count += 1;
        s.sum_seconds += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// Per route (all statuses together), busiest first: for the health page.
    pub fn route_summary(&self) -> Vec<RouteSummary> {
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let mut by_route: BTreeMap<String, RouteSummary> = BTreeMap::new();
        for ((method, route, status), s) in map.iter() {
            let label = format!("{method} {route}");
            let r =
                by_route.entry(label.clone()).or_insert_with(|| RouteSummary { route: label, ..Default::default() });
            r.requests += s.count;
            r.mean_ms += s.sum_seconds * 1000.0;
            match status {
                400..=499 => r.client_errors += s.count,
                500..=599 => r.server_errors += s.count,
                _ => {}
            }
        }
        let mut out: Vec<RouteSummary> = by_route.into_values().collect();
        for r in &mut out {
            r.mean_ms /= r.requests.max(1) as f64;
        }
        out.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.route.cmp(&b.route)));
        out
    }

    pub fn render(&self) -> String {
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP retail_http_requests_total HTTP requests served.\n# TYPE retail_http_requests_total counter\n",
        );
        for ((m, r, st), s) in map.iter() {
            let _ =
                writeln!(out, "retail_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}", s.count);
        }
        out.push_str(
            "# HELP retail_http_request_duration_seconds HTTP request latency.\n# TYPE retail_http_request_duration_seconds histogram\n",
        );
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{st}\"");
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "retail_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(out, "retail_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "retail_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_seconds);
            let _ = writeln!(out, "retail_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        out
    }
}

/// Middleware: times every request under its route template (not its raw path,
/// which would explode the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    state.metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/products/{id}", 200, 0.002);
        m.observe("GET", "/api/v1/products/{id}", 200, 0.2);
        let text = m.render();
        assert!(
            text.contains(
                "retail_http_requests_total{method=\"GET\",route=\"/api/v1/products/{id}\",status=\"200\"} 2"
            )
        );
        assert!(text.contains("le=\"0.0025\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }

    #[test]
    fn summary_adds_statuses_per_route_busiest_first() {
        let m = Metrics::default();
        m.observe("GET", "/a", 200, 0.010);
        m.observe("GET", "/a", 404, 0.030);
        m.observe("GET", "/a", 503, 0.020);
        m.observe("POST", "/b", 200, 0.001);
        let s = m.route_summary();
        assert_eq!(s[0].route, "GET /a");
        assert_eq!((s[0].requests, s[0].client_errors, s[0].server_errors), (3, 1, 1));
        assert!((s[0].mean_ms - 20.0).abs() < 1e-9, "{}", s[0].mean_ms);
        assert_eq!(s[1].route, "POST /b");
    }
}
