#!/usr/bin/env bash
# Side-by-side benchmark of retail-recommend's implicit ALS against Python `implicit`'s
# AlternatingLeastSquares (CPU, conjugate gradient), both fitted on the same leave-one-out training
# data with the same parameters and confidence (1 + alpha * count), on 1 and on 2 threads, and both
# scored by the same protocol (fold-in of the history, full ranking, HR@k and NDCG@k on the test items).
#
# Runs alternate between the two so that load from elsewhere on the machine hits both alike; the
# table shows the fastest and the median fit of each, the CPU time of the fastest, and the figures.
# Usage: bench/als-vs-implicit.sh [DATA.txt (amazon-seq)] [RUNS per configuration, default 3]
# FACTORS, ITERATIONS, REGULARIZATION and ALPHA override the parameters (default: AlsConfig::default()).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-/work/shared/data/recsys/amazon/Beauty.txt}
runs=${2:-3}
params=(--factors "${FACTORS:-64}" --iterations "${ITERATIONS:-15}" --regularization "${REGULARIZATION:-0.01}"
        --alpha "${ALPHA:-80}")

venv=target/venv-implicit
if ! "$venv/bin/python" -c 'import implicit, numpy, scipy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet implicit numpy scipy
fi
cargo build --quiet --release -p retail-recommend --example als_vs_implicit
ours="${CARGO_TARGET_DIR:-target}/release/examples/als_vs_implicit"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for run in $(seq "$runs"); do
  for threads in 1 2; do
    echo "run $run/$runs, $threads thread(s)" >&2
    "$ours" "$data" "${params[@]}" --threads "$threads" >>"$results"
    # implicit's own threads only: BLAS (used for YtY) stays on one.
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$threads" "$venv/bin/python" bench/als_vs_implicit.py "$data" \
      "${params[@]}" --threads "$threads" >>"$results"
  done
done

python3 - "$results" <<'EOF'
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
first = rows[0]
print(f"data: {first['users']} evaluated users; factors {first['factors']}, iterations {first['iterations']}, "
      f"regularization {first['regularization']}, alpha {first['alpha']}, cg_steps {first['cg_steps']}")
print(f"{'threads':>7}  {'implementation':<16} {'fit s (best)':>12} {'fit s (median)':>14} {'cpu s':>6}  "
      f"{'HR@10':>6} {'NDCG@10':>7} {'HR@20':>6} {'NDCG@20':>7}")
for threads in (1, 2):
    best = {}
    for name in ("retail-recommend", "implicit"):
        runs = [row for row in rows if row["implementation"] == name and row["threads"] == threads]
        fastest = min(runs, key=lambda row: row["fit_s"])
        best[name] = fastest["fit_s"]
        median = statistics.median(row["fit_s"] for row in runs)
        print(f"{threads:>7}  {name:<16} {fastest['fit_s']:>12.3f} {median:>14.3f} {fastest['fit_cpu_s']:>6.2f}  "
              f"{fastest['hr@10']:>6.4f} {fastest['ndcg@10']:>7.4f} {fastest['hr@20']:>6.4f} {fastest['ndcg@20']:>7.4f}")
    print(f"{'':>7}  implicit / retail-recommend fit time (best): {best['implicit'] / best['retail-recommend']:.2f}x")
EOF
