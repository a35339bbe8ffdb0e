//! Request ids: taken from a well-formed incoming `X-Request-Id` (so a proxy's
//! id carries through) or made here, echoed in the response header, attached to
//! every log line of the request and to error bodies.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being served, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn fresh() -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn layer(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map_or_else(fresh, str::to_string);
    let value = HeaderValue::from_str(&id).expect("request ids are visible ASCII");
    req.headers_mut().insert(HEADER, value.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let started = std::time::Instant::now();
    let served = async {
        let response = next.run(req).await;
        tracing::info!(status = response.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1000.0, "served");
        response
    };
    let mut response = CURRENT.scope(id, served.instrument(span)).await;
    response.headers_mut().insert(HEADER, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken_from_the_client() {
        assert!(well_formed("abc-123_X"));
        assert!(!well_formed(""));
        assert!(!well_formed("a b"));
        assert!(!well_formed("<script>"));
        assert!(!well_formed(&"a".repeat(65)));
        assert_eq!(fresh().len(), 24);
    }
}
