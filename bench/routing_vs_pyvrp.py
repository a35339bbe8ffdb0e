"""PyVRP on the files `retail eval routing` solves, with the same time limit and the same distance
conventions (CVRP: Euclidean distances rounded to integers; Solomon: truncated to one decimal, read as
tenths). Prints one line per instance and a JSON summary with the keys of `retail eval routing`."""
import csv
import json
import sys
import time

from pyvrp import read, solve
from pyvrp.stop import MaxRuntime

seconds, bks_path, files = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(bks_path, newline="") as f:
    bks = {row["instance"]: float(row["bks_cost"]) for row in csv.DictReader(f)}
results, gaps = [], []
for path in files:
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    solomon = path.endswith(".txt")
    data = read(path, round_func="dimacs" if solomon else "round")
    started = time.time()
    result = solve(data, stop=MaxRuntime(seconds), seed=1, display=False)
    elapsed = time.time() - started
    best = result.best
    cost = best.distance() / (10 if solomon else 1)
    known = bks.get(name)
    gap = 100 * (cost - known) / known if known and best.is_feasible() else None
    if gap is not None:
        gaps.append(gap)
    print(f"{name:<14} {cost:>12.1f} {known or '-':>12} {'-' if gap is None else f'{gap:.2f}%':>8} "
          f"{best.num_routes():>4} routes {elapsed:>6.1f} s {'feasible' if best.is_feasible() else 'INFEASIBLE'}",
          file=sys.stderr)
    results.append({"name": name, "cost": cost if best.is_feasible() else None, "bks": known, "gap_pct": gap,
                    "routes": best.num_routes(), "seconds": elapsed, "feasible": best.is_feasible()})
print(json.dumps({
    "instances": len(results), "feasible": sum(r["feasible"] for r in results),
    "mean_gap_pct": sum(gaps) / len(gaps) if gaps else None, "max_gap_pct": max(gaps) if gaps else None,
    "time_limit_s": seconds, "results": results,
}))
