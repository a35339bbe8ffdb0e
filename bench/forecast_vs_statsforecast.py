"""statsforecast's AutoETS, AutoTheta and AutoARIMA on M4 Weekly with the last 13 values of each training series
held out, scored with the M4 definitions (MASE scaling period 1), for bench/forecast-vs-statsforecast.sh.
Usage: forecast_vs_statsforecast.py TRAIN_CSV [MODEL ...] (AutoETS, AutoTheta, AutoARIMA; all by default)."""

import json
import sys
import time

import numpy as np
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

HORIZON, SEASON = 13, 52


def read(path):
    series = []
    with open(path) as f:
        next(f)
        for line in f:
            cells = [c.strip().strip('"') for c in line.strip().split(",")]
            values = np.array([float(c) for c in cells[1:] if c], dtype=float)
            if len(values) > HORIZON:
                series.append((values[:-HORIZON], values[-HORIZON:]))
    return series


def score(series, make):
    smapes, mases = [], []
    started = time.perf_counter()
    for history, actual in series:
        forecast = make().forecast(y=history, h=HORIZON)["mean"]
        smapes.append(200 * np.mean(np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast))))
        scale = np.mean(np.abs(np.diff(history)))
        if scale > 0:
            mases.append(np.mean(np.abs(actual - forecast)) / scale)
    return {"smape": float(np.mean(smapes)), "mase": float(np.mean(mases)), "fit_s": time.perf_counter() - started}


series = read(sys.argv[1])
makers = {
    "AutoETS": lambda: AutoETS(season_length=SEASON),
    "AutoTheta": lambda: AutoTheta(season_length=SEASON),
    "AutoARIMA": lambda: AutoARIMA(season_length=SEASON),
}
chosen = sys.argv[2:] or list(makers)
# A first call on one short series compiles numba's kernels, so the timed runs measure fitting only.
for name in chosen:
    makers[name]().forecast(y=series[0][0], h=HORIZON)
for name in chosen:
    print(json.dumps({"model": f"statsforecast {name}", "series": len(series), **score(series, makers[name])}), flush=True)
