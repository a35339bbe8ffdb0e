#!/usr/bin/env bash
# The routing engine against PyVRP on the same instances and the same time limit, one after the
# other in one run on one core each: `retail eval routing` (every solution checked by the
# independent checker), then PyVRP's hybrid genetic search. Default: the 26 X instances of
# ../shared/data/routing/tables/x_subset.txt at 30 s each. Creates target/venv-pyvrp on first use.
#   bench/routing-vs-pyvrp.sh [SECONDS] [x|solomon]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
set_name=${2:-x}
venv=target/venv-pyvrp
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q pyvrp; }
cargo build --release -p retail
data=../shared/data/routing
case "$set_name" in
  x) files=$(sed "s|^|$data/cvrp/X/|; s|\$|.vrp|" "$data/tables/x_subset.txt") ;;
  solomon) files=$(ls "$data"/vrptw/solomon/*.txt) ;;
  *) echo "unknown set $set_name (x or solomon)"; exit 2 ;;
esac
echo "== retail eval routing ($set_name, $seconds s per instance)"
# shellcheck disable=SC2086
target/release/retail eval routing --instances $files --bks "$data/tables/bks.csv" --time-limit "$seconds" --json 2>&1 | tail -2
echo "== PyVRP"
# shellcheck disable=SC2086
"$venv/bin/python" bench/routing_vs_pyvrp.py "$seconds" "$data/tables/bks.csv" $files
