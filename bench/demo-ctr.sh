#!/usr/bin/env bash
# Online click-through, conversion and revenue per recommendation strategy on the demo world: builds
# the default demo into target/demo-ctr, runs a three-way experiment (blend, item_knn, popular) with
# simulated shoppers (each clicks and buys by their own hidden taste), then prints the experiment's
# results, the live metrics per strategy and what the model version trained on the demo learnt.
# Usage: bench/demo-ctr.sh [customers] [days]
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-3000}
days=${2:-14}
dir=target/demo-ctr
cargo build --release -p retail
retail=target/release/retail
rm -rf "$dir"
mkdir -p "$dir"
echo "== demo world"
/usr/bin/time -f "%e s" "$retail" demo --data-dir "$dir" --no-serve
cat >"$dir/spec.json" <<'JSON'
{
  "key": "strategies",
  "name": "Blend, co-occurrence or bestsellers",
  "surface": "recommendations",
  "unit": "customer",
  "variants": [
    {"key": "popular", "weight": 0.34, "payload": "popular"},
    {"key": "item_knn", "weight": 0.33, "payload": "item_knn"},
    {"key": "blend", "weight": 0.33, "payload": "blend"}
  ],
  "metrics": [
    {"metric": "click_through", "role": "primary"},
    {"metric": "clicks_per_impression", "role": "secondary"},
    {"metric": "revenue_per_unit", "role": "guardrail", "winsorize": 0.99}
  ]
}
JSON
"$retail" experiment --data-dir "$dir" create "$dir/spec.json"
"$retail" experiment --data-dir "$dir" start strategies
echo "== traffic (trains the models first)"
/usr/bin/time -f "%e s" "$retail" experiment --data-dir "$dir" simulate strategies --customers "$customers" --days "$days"
echo "== experiment results"
"$retail" experiment --data-dir "$dir" results strategies
metrics() {
  echo "== live metrics per strategy, from the attributed events"
  sqlite3 -header -column "$dir/retail.db" "
    SELECT strategy,
           SUM(kind = 'impression') AS impressions,
           SUM(kind = 'click') AS clicks,
           ROUND(100.0 * SUM(kind = 'click') / SUM(kind = 'impression'), 2) AS ctr_pct,
           SUM(kind = 'purchase') AS purchases,
           ROUND(100.0 * SUM(kind = 'purchase') / SUM(kind = 'impression'), 2) AS purchases_per_100_impressions,
           ROUND(SUM(CASE WHEN kind = 'purchase' THEN value_minor ELSE 0 END) / 100.0 / SUM(kind = 'impression'), 3) AS gmv_per_impression
    FROM events WHERE strategy IN ($1)
    GROUP BY strategy ORDER BY strategy"
}
models() {
  echo "== model versions: training seconds per source, offline quality, learnt ranking"
  sqlite3 "$dir/retail.db" "SELECT summary FROM rec_models ORDER BY trained_at" |
    python3 -c 'import json,sys
for line in sys.stdin:
    r = json.loads(line)
    print("train_s", {k: round(v, 1) for k, v in r["train_s"]})
    for q in r["quality"]: print("quality", q)
    for x in r["ranking"]: print("ranking", {k: x[k] for k in x if k != "click_weights"})'
}
metrics "'blend', 'item_knn', 'popular'"

# Round 2: does the learnt ranking pay? The same blend ranked by its blend score (objectives 0), by the
# learnt click model (the default objectives), and by clicks, purchases and revenue together. The models
# retrain first, now also learning from round 1's impressions, clicks and purchases.
"$retail" experiment --data-dir "$dir" stop strategies
blend=$("$retail" strategy --data-dir "$dir" show blend)
for arm in "blend_plain 0 0 0" "blend_click 1 0 0" "blend_gmv 1 1 1"; do
  read -r name click conversion revenue <<<"$arm"
  python3 -c 'import json,sys
c = json.loads(sys.argv[1]); c["objectives"] = {"click": float(sys.argv[2]), "conversion": float(sys.argv[3]), "revenue": float(sys.argv[4])}
print(json.dumps(c))' "$blend" "$click" "$conversion" "$revenue" | "$retail" strategy --data-dir "$dir" put "$name" -
done
python3 - "$dir/spec.json" >"$dir/spec2.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec.update(key="ranking", name="Blend score, click model, or clicks + purchases + revenue")
spec["variants"] = [{"key": k, "weight": w, "payload": k} for k, w in
                    [("blend_plain", 0.34), ("blend_click", 0.33), ("blend_gmv", 0.33)]]
print(json.dumps(spec))
PY
"$retail" experiment --data-dir "$dir" create "$dir/spec2.json"
"$retail" experiment --data-dir "$dir" start ranking
echo "== round 2 traffic (retrains the models first)"
/usr/bin/time -f "%e s" "$retail" experiment --data-dir "$dir" simulate ranking --customers "$customers" --days "$days" --seed 7
echo "== round 2 experiment results"
"$retail" experiment --data-dir "$dir" results ranking
metrics "'blend_plain', 'blend_click', 'blend_gmv'"
models
