"""Forecasting benchmark: test MAE / MASE and training time of every model at horizons 1 and 7 (Seattle daily
max temperature, lookback 28), at horizon 1 on AAPL (lookback 20) and at horizon 24 on hourly JFK weather
(lookback 48, one or all input variables), over a few seeds.

Run: `python -m benchmarks.forecast [--seeds 3] [--steps 250]`. Prints a table and writes
benchmarks/results/forecast.json. It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from rnnlab.experiments.forecast import ForecastConfig, run_forecast

SETUPS = [  # (series, horizon, lookback, model, strategy)
    *[("seattle_daily", h, 28, m, "direct") for h in (1, 7) for m in ("persistence", "seasonal_naive", "linear")],
    ("seattle_daily", 1, 28, "lstm", "direct"),
    *[("seattle_daily", 7, 28, m, s) for m, s in (("lstm", "direct"), ("gru", "direct"), ("lstm", "recursive"),
                                                  ("lstm", "seq2seq"))],
    *[("aapl", 1, 20, m, "direct") for m in ("persistence", "linear", "lstm")],
    # hourly JFK weather (notebook 08 section 5): temperature 24 h ahead from 48 h of every variable ("all") or of
    # the temperature alone (""); the table also reports the MAE at the 24th hour
    *[("nyc_weather", 24, 48, m, "direct", inputs) for m, inputs in
      (("persistence", "all"), ("seasonal_naive", "all"), ("ets", "all"), ("linear", "all"), ("linear", ""),
       ("gru", "all"), ("gru", ""))],
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=250)
    args = parser.parse_args(argv)
    rows = []
    print(f"{'series':<14}{'h':>3} {'model':<16}{'MAE':>16}{'MASE':>16}{'train s':>9}")
    for series, h, lookback, model, strategy, *extra in SETUPS:
        inputs = extra[0] if extra else ""
        table = {"target": "temp", "inputs": inputs} if series == "nyc_weather" else {}
        seeds = range(args.seeds) if model in ("lstm", "gru") else range(1)
        runs = []
        for seed in seeds:
            start = time.perf_counter()
            r = run_forecast(ForecastConfig(series=series, model=model, strategy=strategy, horizon=h, lookback=lookback,
                                            steps=args.steps, seed=seed, progress=False, **table))
            runs.append({**r.metrics, "seconds": time.perf_counter() - start})
        mae = np.array([r["mae"] for r in runs])
        mase = np.array([r["mase"] for r in runs])
        secs = np.mean([r.get("train_seconds", r["seconds"]) for r in runs])
        name = model if model not in ("lstm", "gru") else f"{model} {strategy}"
        name += {"all": " (all inputs)", "": ""}.get(inputs, f" ({inputs})") if table else ""
        print(f"{series:<14}{h:>3} {name:<16}{mae.mean():>9.4f}+-{mae.std():<5.3f}{mase.mean():>9.4f}+-"
              f"{mase.std():<5.3f}{secs:>9.1f}")
        rows.append({"series": series, "horizon": h, "lookback": lookback, "model": name, "seeds": len(runs),
                     "mae_mean": float(mae.mean()), "mae_std": float(mae.std()), "mase_mean": float(mase.mean()),
                     "mae_last_mean": float(np.mean([r["mae_last"] for r in runs])),
                     "train_seconds_mean": float(secs), "runs": runs})
    out = Path(__file__).parent / "results" / "forecast.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"steps": args.steps, "torch": torch.__version__, "machine": platform.machine(),
                               "rows": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
