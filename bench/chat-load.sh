#!/usr/bin/env bash
# Latency and throughput of the assistant through the API on the embedded store holding the default
# demo world: multi-turn conversations posted to /api/v1/chat by a Python client on the same 2-core
# machine, (1) at a fixed 20 turns/s (20 times the average of 100,000 conversations a day at about
# one turn each second) and (2) flat out. Usage: bench/chat-load.sh [seconds per phase, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
port=18081
data=target/bench-data
cargo build --release -p retail
[ -f "$data/retail.db" ] || ./target/release/retail demo --no-serve --data-dir "$data"
key=$(./target/release/retail key create --name "chat bench" --scope public --data-dir "$data" | grep -o 'rk_[0-9a-f_]*')
RETAIL_RATE_LIMIT_PER_KEY_PER_MINUTE=1000000000 RETAIL_RATE_LIMIT_PER_IP_PER_MINUTE=1000000000 \
  ./target/release/retail serve --data-dir "$data" --bind 127.0.0.1:$port 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
# The first message loads the models and the catalogue snapshot; measure after it.
python3 bench/chat_load.py "http://127.0.0.1:$port" "$key" 2 1 >/dev/null
echo "== 20 turns/s for ${secs}s (4 threads)"
python3 bench/chat_load.py "http://127.0.0.1:$port" "$key" "$secs" 4 20
echo "== flat out for ${secs}s (8 threads)"
python3 bench/chat_load.py "http://127.0.0.1:$port" "$key" "$secs" 8
