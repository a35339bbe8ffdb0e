#!/usr/bin/env bash
# Uplift models on Hillstrom (Womens E-Mail vs No E-Mail, visit, 10 random stratified 50/50 splits)
# against scikit-uplift with scikit-learn's logistic regression, in one run: `retail eval uplift`
# for the two-model, class-transformation and uplift-forest models, then sklift's TwoModels and
# ClassTransformation under the same protocol (their own random splits, seed 42), scored by the same
# sklift metrics. Creates target/venv-uplift on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/venv-uplift
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q scikit-uplift scikit-learn pandas; }
cargo build --release -p retail
data=../shared/data/marketing/hillstrom.csv
echo "== retail eval uplift"
/usr/bin/time -f "retail: wall %e s" target/release/retail eval uplift --data "$data" --model all --splits 10 --json 2>&1 | tail -2
echo "== scikit-uplift"
/usr/bin/time -f "sklift: wall %e s" "$venv/bin/python" bench/uplift_vs_sklift.py "$data" 10
