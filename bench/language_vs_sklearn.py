"""TF-IDF + logistic regression (scikit-learn), the baseline the published figures quote, on the
same train/test files `retail eval intent|sentiment` reads. Writes the deterministic 80/20 splits
first when asked (`split OUTDIR`), then scores one pair of files per call (`score intent|sentiment
TRAIN TEST`): Chinese text is segmented with jieba and every text also gets character 1-3-grams,
the usual strong form of the baseline."""
import csv
import json
import random
import sys
import time

DATA = "../shared/data/cs"
SPLITS = {
    "banking77": ("intent_en/banking77_train.csv", "intent"),
    "online_shopping": ("sentiment_zh/online_shopping_10_cats_train.csv", "label"),
    "waimai": ("sentiment_zh/waimai_10k_train.csv", "label"),
    "mds": ("sentiment_en/mds_electronics_kitchen_train.csv", "label"),
}


def read(path, label):
    with open(path, newline="", encoding="utf-8") as f:
        return [(r["text"], r[label]) for r in csv.DictReader(f)]


def write(path, rows, label):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", label])
        w.writerows(rows)


def split(out):
    for name, (path, label) in SPLITS.items():
        rows = read(f"{DATA}/{path}", label)
        random.Random(42).shuffle(rows)
        cut = int(len(rows) * 0.8)
        write(f"{out}/{name}_train.csv", rows[:cut], label)
        write(f"{out}/{name}_test.csv", rows[cut:], label)


def score(task, train, test):
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    jieba.setLogLevel(60)
    label = "intent" if task == "intent" else "label"
    tr, te = read(train, label), read(test, label)
    words = TfidfVectorizer(tokenizer=lambda s: jieba.lcut(s.lower()), token_pattern=None, ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    model = make_pipeline(make_union(words, chars), LogisticRegression(C=10, max_iter=2000))
    started = time.time()
    model.fit([t for t, _ in tr], [l for _, l in tr])
    train_s = time.time() - started
    predicted = model.predict([t for t, _ in te])
    accuracy = sum(p == l for p, (_, l) in zip(predicted, te)) / len(te)
    out = {"tool": "scikit-learn TF-IDF+LR", "accuracy": accuracy, "examples": len(te), "train_s": train_s}
    if task == "intent":
        # The strongest bag-of-n-grams form: word 1-3-grams and character 2-5-grams, linear SVM.
        from sklearn.svm import LinearSVC

        svc = make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
            ),
            LinearSVC(C=1.0),
        )
        started = time.time()
        svc.fit([t for t, _ in tr], [l for _, l in tr])
        svc_predicted = svc.predict([t for t, _ in te])
        out["linear_svc_accuracy"] = sum(p == l for p, (_, l) in zip(svc_predicted, te)) / len(te)
        out["linear_svc_train_s"] = time.time() - started
    if any(l == "oos" for _, l in te):
        ins = [(p, l) for p, (_, l) in zip(predicted, te) if l != "oos"]
        oos = [(p, l) for p, (_, l) in zip(predicted, te) if l == "oos"]
        out["in_scope_accuracy"] = sum(p == l for p, l in ins) / len(ins)
        out["oos_recall"] = sum(p == "oos" for p, _ in oos) / len(oos)
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "split":
        split(sys.argv[2])
    else:
        score(sys.argv[2], sys.argv[3], sys.argv[4])
