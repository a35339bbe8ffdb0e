#!/usr/bin/env bash
# The routing engine against PyVRP on the same instances and the same time limit, one after the
# other in one run on one core each: `retail eval routing` (every solution checked by the
# independent checker), then PyVRP's solver. Default: the 26 X instances of
# ../shared/data/routing/tables/x_subset.txt at 30 s each; `solomon` is the 29 type-1 Solomon
# instances (C1, R1, RC1: short horizons, narrow windows). Creates target/venv-pyvrp on first use.
#   bench/routing-vs-pyvrp.sh [SECONDS] [x|solomon]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
set_name=${2:-x}
venv=target/venv-pyvrp
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q pyvrp==0.14.1; }
cargo build --release -p retail
bin=${CARGO_TARGET_DIR:-target}/release/retail
data=../shared/data/routing
case "$set_name" in
  x) files=$(sed "s|^|$data/cvrp/X/|; s|\$|.vrp|" "$data/tables/x_subset.txt") ;;
  solomon) files=$(ls "$data"/vrptw/solomon/{C1,R1,RC1}[0-9][0-9].txt) ;;
  *) echo "unknown set $set_name (x or solomon)"; exit 2 ;;
esac
echo "== $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== retail eval routing ($set_name, $seconds s per instance, 1 thread)"
ours=$(mktemp)
# shellcheck disable=SC2086
"$bin" eval routing --instances $files --bks "$data/tables/bks.csv" --time-limit "$seconds" --threads 1 --json \
  >"$ours"
"$venv/bin/python" - "$ours" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for r in report["results"]:
    gap = "-" if r["gap_pct"] is None else f"{r['gap_pct']:.2f}%"
    print(f"{r['name']:<14} {r['cost'] if r['cost'] is not None else float('nan'):>12.1f} {r['bks'] or '-':>12} "
          f"{gap:>8} {r['routes']:>4} routes {r['seconds']:>6.1f} s {'feasible' if r['feasible'] else 'INFEASIBLE'}")
print(json.dumps({k: v for k, v in report.items() if k != "results"}))
PY
echo "== $(date -u +%FT%TZ) PyVRP $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pyvrp"))'), load $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
"$venv/bin/python" bench/routing_vs_pyvrp.py "$seconds" "$data/tables/bks.csv" $files 2>&1 \
  | "$venv/bin/python" -c 'import json,sys
for line in sys.stdin:
    print(line.rstrip() if not line.startswith("{") else json.dumps({k: v for k, v in json.loads(line).items() if k != "results"}))'
echo "== $(date -u +%FT%TZ) done"
rm -f "$ours"
