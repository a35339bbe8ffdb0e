//! Helpers shared by the integration tests.

use std::future::Future;
use std::time::Duration;

use retail_bus::{NatsBus, NatsConfig};

/// A NATS bus on a fresh stream and subject prefix, or `None` when
/// `RETAIL_TEST_NATS_URL` is unset (outside CI).
pub async fn nats_bus(ack_wait: Duration) -> Option<(NatsBus, NatsConfig)> {
    let url = retail_testenv::backend_url("RETAIL_TEST_NATS_URL")?;
    let name = retail_testenv::unique_name("bus_test");
    let mut config = NatsConfig::new(&url, &name, &format!("test.{name}"));
    config.ack_wait = ack_wait;
    let bus = NatsBus::connect_with(config.clone()).await.unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    Some((bus, config))
}

/// Runs `test`, then deletes the stream of `config` even if `test` panicked,
/// so the shared server does not collect test streams.
pub async fn with_cleanup<F>(config: &NatsConfig, test: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let outcome = tokio::spawn(test).await;
    let client = async_nats::connect(config.url.as_str()).await.expect("connect for cleanup");
    async_nats::jetstream::new(client).delete_stream(&config.stream).await.expect("delete test stream");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
