#!/usr/bin/env bash
# Invariant: the pure crates (domain model, algorithms, demo generator) have no
# I/O in their dependency tree. Fails listing the offending crate and path.
set -euo pipefail
cd "$(dirname "$0")/.."
forbidden='^(tokio|sqlx|sqlx-core|axum|hyper|reqwest|redis|async-nats|mio|socket2|moka|tower|rusqlite|libsqlite3-sys)$'
status=0
for pkg in $(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if "/crates/core/" in p["manifest_path"]:
        print(p["name"])'); do
  found=$(cargo tree -p "$pkg" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u | grep -E "$forbidden" || true)
  if [ -n "$found" ]; then
    echo "pure crate $pkg depends on I/O crates: $found"
    for f in $found; do cargo tree -p "$pkg" -e normal -i "$f" | head -20; done
    status=1
  else
    echo "pure crate $pkg: no I/O dependencies"
  fi
done
exit $status
