#!/usr/bin/env bash
# Load benchmark of `retail serve` on the embedded (SQLite) store holding the
# default demo world. Measures, in one run:
#   1. product reads by id at a fixed 2,000 requests/s (latency percentiles),
#   2. product reads flat out (throughput),
#   3. batch event ingestion flat out (1,000 events per POST → events/s).
# Load comes from `oha` on the same 2-core machine, so client and server share it.
# Usage: bench/load.sh [seconds per phase, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
port=18080
data=target/bench-data
oha=target/tools/bin/oha
[ -x "$oha" ] || cargo install oha --locked --root target/tools
cargo build --release
[ -f "$data/retail.db" ] || ./target/release/retail demo --no-serve --data-dir "$data"
# Every API call needs a key: a read key for the reads, a public (storefront) key for events.
key() { ./target/release/retail key create --name "bench $1" --scope "$1" --data-dir "$data" | grep -o 'rk_[0-9a-f_]*'; }
read_key=$(key read)
event_key=$(key public)
# Storefront calls are rate-limited; the benchmark measures the server, not the limit.
RETAIL_RATE_LIMIT_PER_KEY_PER_MINUTE=1000000000 RETAIL_RATE_LIMIT_PER_IP_PER_MINUTE=1000000000 \
  ./target/release/retail serve --data-dir "$data" --bind 127.0.0.1:$port 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done

url="http://127.0.0.1:$port/api/v1/products/SKU0(0[1-9][0-9]{2}|1[0-9]{3})"
report() { python3 bench/oha_summary.py "$@"; }

echo "== product read at a fixed 2,000 req/s for ${secs}s (32 connections)"
"$oha" -z "${secs}s" -q 2000 -c 32 --latency-correction --no-tui --output-format json -H "authorization: Bearer $read_key" \
  --rand-regex-url "$url" | report
echo "== product read flat out for ${secs}s (32 connections)"
"$oha" -z "${secs}s" -c 32 --no-tui --output-format json -H "authorization: Bearer $read_key" --rand-regex-url "$url" | report

body=$(mktemp)
python3 - "$body" <<'PY'
import json, random, sys
random.seed(7)
events = [{"kind": random.choice(["impression", "view", "click", "add_to_cart"]),
           "session_id": f"bench-{random.randrange(100000)}",
           "product_id": f"SKU{random.randrange(100, 2000):05d}",
           "position": random.randrange(20), "strategy": "bench",
           "occurred_at": "2026-11-01T10:00:00Z"} for _ in range(1000)]
open(sys.argv[1], "w").write(json.dumps(events))
PY
echo "== event ingestion, batches of 1,000, flat out for ${secs}s (4 connections)"
"$oha" -z "${secs}s" -c 4 -m POST -H "content-type: application/json" -H "authorization: Bearer $event_key" -D "$body" \
  --no-tui --output-format json \
  "http://127.0.0.1:$port/api/v1/events" | report 1000
rm -f "$body"
