"""Fits Python `implicit`'s ALS (CPU, conjugate gradient) on an amazon-seq file exactly as
`crates/core/recommend/examples/als_vs_implicit.rs` fits retail-recommend's, and prints the fit time and
the test figures of the same leave-one-out protocol as one JSON line.

Same data, split and protocol as `retail_recommend::LeaveOneOut`:
- users and items get dense ids in order of first appearance in the file;
- per user, the last item is the test target, the second last the validation target, the rest is
  training; users with fewer than 3 items are not evaluated and train nothing;
- the model sees the history (everything before the target), every history item is masked, and the
  target's 0-based rank counts the items scoring higher, plus those scoring equal with a lower id.
  HR@k is the share of users with rank < k, NDCG@k the mean of 1 / log2(rank + 2) over those.

Same confidence: retail-recommend uses c = 1 + alpha * count (count: how often the user took the item in
training). `implicit` uses the matrix it is given as c directly (scaled by its own `alpha`), so it gets
the matrix of 1 + alpha * count with its own alpha left at 1.

Same scoring: like `Als::score_into`, a shopper is folded in from their history by the exact solve of
(YtY + reg I + sum (c_i - 1) y_i y_i^T) x = sum c_i y_i against implicit's item factors (f64), and a
history without any item seen in training gets popularity scaled into [-1, 0).

Usage: als_vs_implicit.py PATH [--factors 64] [--iterations 15] [--regularization R] [--alpha A]
       [--cg-steps 3] [--threads N] [--seed S]
Run with OPENBLAS_NUM_THREADS=1 so the thread count is implicit's alone.
"""

import argparse
import json
import time

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares

MIN_INTERACTIONS = 3
CUTOFFS = (10, 20)


def read_sequences(path):
    users, items, sequences = {}, {}, []
    with open(path) as lines:
        for line in lines:
            fields = line.split()
            if not fields:
                continue
            users.setdefault(fields[0], len(users))
            sequences.append([items.setdefault(item, len(items)) for item in fields[1:]])
    return sequences, len(items)


def confidence_matrix(train, n_items, alpha):
    rows = np.repeat(np.arange(len(train)), [len(sequence) for sequence in train])
    columns = np.fromiter((item for sequence in train for item in sequence), dtype=np.int64, count=len(rows))
    # Duplicate (row, column) entries are summed: the counts.
    counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(train), n_items))
    counts.sum_duplicates()
    counts.data = 1.0 + alpha * counts.data
    return counts


def evaluate(sequences, item_factors, regularization, alpha, fallback):
    k = item_factors.shape[1]
    factors = item_factors.astype(np.float64)
    gram = factors.T @ factors + regularization * np.eye(k)
    ranks = []
    for sequence in sequences:
        if len(sequence) < MIN_INTERACTIONS:
            continue
        history, target = sequence[:-1], sequence[-1]
        items, counts = np.unique(history, return_counts=True)
        ys = factors[items]
        extra = alpha * counts
        rhs = ((1.0 + extra)[:, None] * ys).sum(axis=0)
        if np.all(rhs == 0.0):
            scores = fallback.copy()
        else:
            system = gram + (ys * extra[:, None]).T @ ys
            shopper = np.linalg.solve(system, rhs).astype(np.float32)
            scores = item_factors @ shopper
        scores[items] = -np.inf
        score = scores[target]
        if score == -np.inf:
            continue
        ranks.append(int((scores[:target] >= score).sum() + (scores[target + 1 :] > score).sum()))
    users = sum(1 for sequence in sequences if len(sequence) >= MIN_INTERACTIONS)
    ranks = np.array(ranks)
    metrics = {"users": users}
    for k in CUTOFFS:
        hits = ranks[ranks < k]
        metrics[f"hr@{k}"] = round(len(hits) / max(users, 1), 4)
        metrics[f"ndcg@{k}"] = round(float((1.0 / np.log2(hits + 2.0)).sum()) / max(users, 1), 4)
    return metrics


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--regularization", type=float, default=0.01)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--cg-steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    sequences, n_items = read_sequences(args.path)
    train = [sequence[: max(len(sequence) - 2, 0)] for sequence in sequences]
    confidences = confidence_matrix(train, n_items, args.alpha)
    model = AlternatingLeastSquares(
        factors=args.factors,
        regularization=args.regularization,
        alpha=1.0,
        use_cg=True,
        iterations=args.iterations,
        calculate_training_loss=False,
        num_threads=args.threads,
        random_state=args.seed,
    )
    # Not a constructor argument; the solver reads the attribute.
    model.cg_steps = args.cg_steps
    started, started_cpu = time.perf_counter(), time.process_time()
    model.fit(confidences, show_progress=False)
    fit_s = time.perf_counter() - started
    fit_cpu_s = time.process_time() - started_cpu

    popularity = np.bincount([item for sequence in train for item in sequence], minlength=n_items).astype(np.float32)
    fallback = popularity / (popularity.max(initial=0.0) + 1.0) - 1.0
    metrics = evaluate(sequences, model.item_factors, args.regularization, args.alpha, fallback)
    result = {
        "implementation": "implicit",
        "threads": args.threads,
        "factors": args.factors,
        "iterations": args.iterations,
        "regularization": args.regularization,
        "alpha": args.alpha,
        "cg_steps": args.cg_steps,
        "fit_s": round(fit_s, 4),
        "fit_cpu_s": round(fit_cpu_s, 2),
        **metrics,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
