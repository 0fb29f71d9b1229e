"""Notebook 10's claims on another seed: the adding problem (T=50, 400 steps) learned by a Transformer, minGRU
and the RNN/LSTM/GRU of notebook 04 with the notebook's configs, where the Transformer looks, the scan
against its loop, and the training memory of attention against a GRU. Wall-clock timings are not claims (they are
reported by benchmarks/scan.py)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from benchmarks.claims import record
from rnnlab.data.synthetic import adding_problem
from rnnlab.experiments.beyond import BeyondConfig, run_beyond, saved_activation_bytes
from rnnlab.experiments.long_range import AddingConfig, run_adding
from rnnlab.models.attention import TransformerBlock
from rnnlab.models.scan import MinRNN

T, STEPS, BATCH = 50, 400, 64


def claims(seed: int) -> list[dict]:
    common = dict(T=T, steps=STEPS, batch_size=BATCH, n_test=500, eval_every=50, progress=False, seed=seed)
    rows = []
    transformer = run_beyond(BeyondConfig(model="transformer", lr=3e-3, **common))
    m = transformer.metrics
    rows.append(record("10", "the Transformer's test MSE is 10x below the baseline", seed, m["test_mse"], "<",
                       m["baseline_mse"] / 10))
    x_ex, _ = adding_problem(1, T, seed=3)
    with torch.no_grad():
        transformer.model(x_ex)
    weights = transformer.model.blocks[0].attn.last_weights[0, :, -1]
    rows.append(record("10", "one head puts most of its attention on the 2 marked steps", seed,
                       weights[:, x_ex[0, :, 1].bool()].sum(-1).max().item(), ">", 0.5))

    torch.manual_seed(seed)
    layer64 = MinRNN("mingru", 8, 16).double()
    x64 = torch.randn(4, 1000, 8, dtype=torch.float64)
    layer32, x32 = MinRNN("mingru", 8, 16), torch.randn(4, 50, 8)
    with torch.no_grad():
        err = (layer64(x64)[0] - layer64(x64, parallel=False)[0]).abs().max().item()
        err32 = (layer32(x32)[0] - layer32(x32, parallel=False)[0]).abs().max().item()
    rows.append(record("10", "float64, T=1000: the scan equals the loop", seed, err, "<", 1e-5))
    rows.append(record("10", "float32, T=50: the two forms agree to 1e-4 (float32 keeps about 7 digits)", seed, err32,
                       "<", 1e-4))

    att_block, gru32 = TransformerBlock(32, 2, 64), nn.GRU(32, 32, batch_first=True)
    mem = {}
    for T_ in (64, 1024):
        x = torch.randn(4, T_, 32)
        mem[("attention", T_)] = saved_activation_bytes(lambda x=x: att_block(x).sum())
        mem[("GRU", T_)] = saved_activation_bytes(lambda x=x: gru32(x)[0].sum())
    growth = {name: mem[(name, 1024)] / mem[(name, 64)] for name in ("attention", "GRU")}
    rows.append(record("10", "attention's memory grows more than twice as fast as the GRU's", seed,
                       growth["attention"], ">", 2 * growth["GRU"]))
    rows.append(record("10", "the GRU's memory grows about linearly (< 20x for 16x)", seed, growth["GRU"], "<", 20))

    mingru = run_beyond(BeyondConfig(model="mingru", n_layers=2, lr=1e-2, **common))
    rows.append(record("10", "mingru beats the baseline 3x", seed, mingru.metrics["test_mse"], "<",
                       mingru.metrics["baseline_mse"] / 3))
    lr_classic = {"rnn": 3e-3, "lstm": 1e-2, "gru": 1e-2}
    classic = {name: run_adding(AddingConfig(model=name, lr=lr, clip_grad_norm=1.0, **common))
               for name, lr in lr_classic.items()}
    results = {"RNN": classic["rnn"], "LSTM": classic["lstm"], "GRU": classic["gru"], "Transformer": transformer,
               "minGRU": mingru}
    final = {n: r.metrics["test_mse"] / r.metrics["baseline_mse"] for n, r in results.items()}
    best = {n: float(np.min(r.history.metric("test_mse")[1])) / r.metrics["baseline_mse"] for n, r in results.items()}
    rows.append(record("10", "the RNN stays near the baseline: best / baseline above 0.8", seed, best["RNN"], ">", 0.8))
    rows.append(record("10", "the RNN stays near the baseline: final / baseline below 1.5", seed, final["RNN"], "<",
                       1.5))
    for name in ("GRU", "Transformer", "minGRU"):
        rows.append(record("10", f"{name} ends clearly under the baseline (final / baseline)", seed, final[name], "<",
                           0.5))
    at_100 = {}
    for name, r in results.items():
        steps, values = r.history.metric("test_mse")
        at_100[name] = values[list(steps).index(100)]
    rows.append(record("10", "after 100 steps the Transformer is ahead of every recurrent model", seed,
                       at_100["Transformer"], "<", min(v for n, v in at_100.items() if n != "Transformer")))
    return rows
