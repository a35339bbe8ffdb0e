#!/usr/bin/env bash
# retail-forecast against Python statsforecast on M4 Weekly (last 13 values of each training series
# held out, season 52), one thread each, in one run. Creates target/venv-statsforecast on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/forecast/m4_weekly/Weekly-train.csv}
venv=target/venv-statsforecast
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q statsforecast; }
cargo build --release -p retail
"$venv/bin/pip" show statsforecast | grep -E "^(Name|Version)"
for model in auto_ets optimized_theta ets_theta auto_arima; do
  RAYON_NUM_THREADS=1 target/release/retail eval forecast --format m4 --train "$data" --model "$model" --json
done
NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 "$venv/bin/python" bench/forecast_vs_statsforecast.py "$data"
