"""Notebook 00's claims on another seed: order matters (autocorrelation, shuffled with the seed) and the motif
experiment (window MLP against a GRU with shared weights), with the notebook's own config."""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.claims import record
from rnnlab.data.audio import load_allison_digit
from rnnlab.data.synthetic import motif_detection
from rnnlab.data.timeseries import load_seattle_weather, load_stock
from rnnlab.experiments.sequences import MotifConfig, run_motif


def _autocorrelation(x: np.ndarray, lag: int) -> float:
    return float(np.corrcoef(x[:-lag], x[lag:])[0, 1])


def claims(seed: int) -> list[dict]:
    rows = []
    audio, _ = load_allison_digit(7)
    weather, apple = load_seattle_weather(), load_stock("AAPL")
    rng = np.random.default_rng(seed)
    series = {"weather (temp_max)": weather["temp_max"].to_numpy(), "audio": audio.astype(float),
              "prices (AAPL)": apple["adj_close"].to_numpy()}
    for name, x in series.items():
        rows.append(record("00", f"{name}: strong lag-1 correlation in order", seed, _autocorrelation(x, 1), ">", 0.8))
        rows.append(record("00", f"{name}: about 0 after shuffling (|rho_1|)", seed,
                           abs(_autocorrelation(rng.permutation(x), 1)), "<", 0.1))
    walk = np.cumsum(rng.choice([-1.0, 1.0], size=len(apple)))
    rows.append(record("00", "a random walk also has rho_1 near 1", seed, _autocorrelation(walk, 1), ">", 0.8))
    results = {name: run_motif(MotifConfig(steps=600, hidden_size=32, seed=seed, model=name, progress=False))
               for name in ("mlp", "gru")}
    mlp, gru = results["mlp"].metrics, results["gru"].metrics
    x_new, y_new = motif_detection(1000, 24, positions=(14, 22), seed=50_002)
    with torch.no_grad():
        correct = (results["gru"].model.eval()(x_new).squeeze(-1) > 0).float() == y_new
    starts = torch.tensor([[t for t in range(22) if row[t:t + 3] == [1, 2, 3]][:1] or [-1] for row in x_new.tolist()])
    by_start = {s: correct[starts.squeeze(-1) == s].float().mean().item() for s in range(14, 22)}
    rows += [
        record("00", "every new-position miss has the motif ending on the last step (accuracy at start 21)", seed,
               by_start[21], "<", 0.05),
        record("00", "at every other new start position the GRU is right (lowest accuracy, starts 14-20)", seed,
               min(by_start[s] for s in range(14, 21)), ">", 0.95),
    ]
    rows += [
        record("00", "the MLP learns the task where it was shown (accuracy)", seed, mlp["accuracy_seen_positions"],
               ">", 0.75),
        record("00", "the GRU learns the task where it was shown (accuracy)", seed, gru["accuracy_seen_positions"],
               ">", 0.9),
        record("00", "the MLP learns it less well than the GRU at trained positions (accuracy)", seed,
               mlp["accuracy_seen_positions"], "<", gru["accuracy_seen_positions"]),
        record("00", "the MLP is near chance at new positions (|accuracy - 0.5|)", seed,
               abs(mlp["accuracy_unseen_positions"] - 0.5), "<", 0.1),
        record("00", "the GRU generalises to new positions (accuracy)", seed, gru["accuracy_unseen_positions"],
               ">", 0.85),
    ]
    return rows
