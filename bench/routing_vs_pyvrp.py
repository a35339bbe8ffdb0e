"""PyVRP on the files `retail eval routing` solves, with the same time limit and the same distance
conventions (CVRP: Euclidean distances rounded to integers; Solomon: truncated to one decimal, read as
tenths; Solomon files are read with vrplib's Solomon reader, the depot being the first row).
Prints one line per instance and a JSON summary with the keys of `retail eval routing`."""
import csv
import json
import sys
import time

import numpy as np
import vrplib
from pyvrp import read, solve
from pyvrp.read import ROUND_FUNCS, _InstanceParser, _ProblemDataBuilder
from pyvrp.stop import MaxRuntime


def read_solomon(path):
    """PyVRP's `read` takes VRPLIB files only; its own builder turns vrplib's Solomon dict into
    problem data (distances, times, demands and capacity all scaled by 10 and truncated)."""
    instance = vrplib.read_instance(path, instance_format="solomon")
    instance["dimension"] = len(instance["demand"])
    instance["depot"] = np.array([0])
    return _ProblemDataBuilder(_InstanceParser(instance, ROUND_FUNCS["dimacs"])).data()


seconds, bks_path, files = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(bks_path, newline="") as f:
    bks = {row["instance"]: float(row["bks_cost"]) for row in csv.DictReader(f)}
results, gaps = [], []
for path in files:
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    solomon = path.endswith(".txt")
    data = read_solomon(path) if solomon else read(path, round_func="round")
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
