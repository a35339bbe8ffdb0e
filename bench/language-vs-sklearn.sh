#!/usr/bin/env bash
# The assistant's language models against scikit-learn TF-IDF + logistic regression (the baseline
# of the published figures) on the same files, in one run: Banking77, online_shopping_10_cats,
# waimai_10k and the Blitzer reviews split 80/20 (seed 42; the public test splits are held out),
# CLINC150 train → val, ChnSentiCorp train → dev; plus the built-in model on the project's own
# held-out retail questions. Creates target/venv-sklearn on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/venv-sklearn
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q scikit-learn jieba; }
cargo build --release -p retail
splits=target/language-splits
mkdir -p "$splits"
"$venv/bin/python" bench/language_vs_sklearn.py split "$splits"
cs=../shared/data/cs
run() { # task name train test
  echo "== $2"
  target/release/retail eval "$1" --train "$3" --test "$4" --json 2>/dev/null | tail -1
  "$venv/bin/python" bench/language_vs_sklearn.py score "$1" "$3" "$4"
}
run intent banking77 "$splits/banking77_train.csv" "$splits/banking77_test.csv"
run intent clinc150 "$cs/intent_en/clinc150_train.csv" "$cs/intent_en/clinc150_val.csv"
run sentiment online_shopping_10_cats "$splits/online_shopping_train.csv" "$splits/online_shopping_test.csv"
run sentiment waimai_10k "$splits/waimai_train.csv" "$splits/waimai_test.csv"
run sentiment chnsenticorp "$cs/sentiment_zh/chnsenticorp_train.csv" "$cs/sentiment_zh/chnsenticorp_dev.csv"
run sentiment mds_electronics_kitchen "$splits/mds_train.csv" "$splits/mds_test.csv"
echo "== built-in retail model on crates/core/language/tests/data/retail_intents_test.csv"
target/release/retail eval intent --model builtin --test crates/core/language/tests/data/retail_intents_test.csv --json 2>/dev/null | tail -1
