"""Summarises one `oha --output-format json` run read from stdin.

Usage: oha ... | python3 bench/oha_summary.py [per_request_items]
With per_request_items (e.g. 1000 events per POST) it also prints items/s.
"""
import json
import sys

run = json.load(sys.stdin)
summary = run["summary"]
pct = run["latencyPercentiles"]
items = int(sys.argv[1]) if len(sys.argv) > 1 else 1
rps = summary["requestsPerSec"]
line = "  requests/s {:.0f}  success {:.2f}%  p50 {:.2f} ms  p99 {:.2f} ms  p99.9 {:.2f} ms  status {}".format(
    rps,
    summary["successRate"] * 100,
    pct["p50"] * 1000,
    pct["p99"] * 1000,
    pct["p99.9"] * 1000,
    run.get("statusCodeDistribution", {}),
)
if items > 1:
    line += "  items/s {:.0f}".format(rps * items)
print(line)
