"""Benchmark: scratch LSTM/GRU cells against nn.LSTM / nn.GRU, and time-to-target of the long-range experiments.

Run: `python -m benchmarks.lstm_gru [--quick] [--seeds 0 1 2] [--no-training]`. Prints two tables and writes
benchmarks/results/lstm_gru.json.
1. Forward + backward time of one batch through the scratch `Recurrent` layer (a Python loop over
   rnnlab.models.cells) and through the fused built-in, at a few sizes: the minimum over interleaved repeats,
   reported with the ratio measured in the same run.
2. For each long-range experiment (adding T=100 with LSTM/GRU, target test MSE < 0.01; copy delay 20 with
   LSTM/GRU, target recall 0.5), the steps and seconds until the target is reached (early stop), per seed.
   Steps are what a result depends on; seconds depend on how busy the machine is.
A benchmark reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
from torch import nn

from rnnlab.experiments.long_range import AddingConfig, CopyConfig, run_adding, run_copy
from rnnlab.models.cells import Recurrent, load_from

RESULTS = Path(__file__).parent / "results" / "lstm_gru.json"
BUILTIN = {"lstm": nn.LSTM, "gru": nn.GRU}


def _fwd_bwd(layer: nn.Module, x: torch.Tensor) -> float:
    start = time.perf_counter()
    out, _ = layer(x)
    out.square().mean().backward()
    return time.perf_counter() - start


def cell_table(sizes: list[tuple[int, int, int, int]], repeats: int) -> list[dict]:
    """sizes: (batch, time, input, hidden). Returns one row per (cell, size)."""
    rows = []
    for kind in ("lstm", "gru"):
        for B, T, I, H in sizes:
            torch.manual_seed(0)
            ref = BUILTIN[kind](I, H, batch_first=True)
            mine = Recurrent(kind, I, H, batch_first=True)
            load_from(mine, ref)
            x = torch.randn(B, T, I)
            _fwd_bwd(ref, x), _fwd_bwd(mine, x)  # warm-up
            best = {"builtin": float("inf"), "scratch": float("inf")}
            for _ in range(repeats):  # interleaved, so both see the same machine load
                best["builtin"] = min(best["builtin"], _fwd_bwd(ref, x))
                best["scratch"] = min(best["scratch"], _fwd_bwd(mine, x))
            row = {"cell": kind, "batch": B, "T": T, "input": I, "hidden": H, "builtin_s": best["builtin"],
                   "scratch_s": best["scratch"], "scratch_over_builtin": best["scratch"] / best["builtin"]}
            rows.append(row)
            print(f"{kind:>4} B={B:3d} T={T:4d} I={I:3d} H={H:4d}  nn {best['builtin'] * 1e3:8.1f} ms  "
                  f"scratch {best['scratch'] * 1e3:8.1f} ms  ratio {row['scratch_over_builtin']:5.1f}x", flush=True)
    return rows


def target_table(seeds: list[int], quick: bool) -> list[dict]:
    """Steps and seconds to reach each long-range target, per model and seed."""
    rows = []
    jobs = [("adding", kind, "test_mse", 0.01) for kind in ("lstm", "gru")]
    if not quick:
        jobs += [("copy", kind, "accuracy", 0.5) for kind in ("lstm", "gru")]
    for name, kind, metric, target in jobs:
        for seed in seeds:
            if name == "adding":
                result = run_adding(AddingConfig(model=kind, seq_len=100, seed=seed, steps=3000, stop_at=target,
                                                 eval_every=50, n_test=500, progress=False))
            else:
                result = run_copy(CopyConfig(model=kind, delay=20, seed=seed, steps=3000, stop_at=target,
                                             eval_every=100, n_test=300, forget_bias=1.0, progress=False))
            value = result.metrics[metric]
            reached = value < target if metric == "test_mse" else value > target
            row = {"experiment": name, "model": kind, "seed": seed, "metric": metric, "target": target,
                   "value": value, "reached": bool(reached), "steps": result.metrics["steps"],
                   "seconds": result.history.seconds}
            rows.append(row)
            print(f"{name:>6} {kind:>4} seed {seed}: {metric} {value:.4f} ({'reached' if reached else 'NOT reached'}"
                  f" {target}) after {row['steps']} steps, {row['seconds']:.0f} s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, adding only")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--training", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure time-to-target of the long-range experiments")
    args = parser.parse_args(argv)
    sizes = [(32, 50, 8, 32), (32, 50, 64, 128)] if args.quick else [
        (32, 50, 8, 32), (32, 50, 64, 128), (64, 100, 128, 256)]
    print("forward + backward of one batch (minimum over repeats)")
    cells = cell_table(sizes, repeats=3 if args.quick else 5)
    targets = []
    if args.training:
        print("\ntime to target (early stop at the target; steps do not depend on machine load)")
        targets = target_table(args.seeds, args.quick)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "processor": platform.processor(),
                                   "torch": torch.__version__, "threads": torch.get_num_threads(),
                                   "cells": cells, "time_to_target": targets}, indent=1) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
