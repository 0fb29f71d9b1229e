"""Notebook 04's claims on another seed: the gradient reach at initialisation (models initialised from the seed),
the adding problem at T = 100 for the LSTM and GRU (up to 1500 steps, stopping at test MSE 0.01) and the RNN (as
many steps as the slower gated model used; AddingConfig with the seed: initial weights and batches),
the gradient reach of the trained models, the trained LSTM's sums, and the copy-memory problem at delay 20 for
the RNN and the GRU (CopyConfig with the seed). The settings are the notebook's."""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.claims import record
from rnnlab.data.synthetic import adding_problem
from rnnlab.experiments.long_range import AddingConfig, CopyConfig, run_adding, run_copy
from rnnlab.models.cells import set_forget_bias
from rnnlab.models.gradient_flow import hidden_gradient_norms
from rnnlab.models.sequence import SequenceModel, matched_hidden_size, recurrent_parameter_count
from rnnlab.widgets.gates import adding_example, gate_activations

T = 100


def _reach(g: np.ndarray) -> float:
    return float(g[0] / g[-1])


def claims(seed: int) -> list[dict]:
    budget = recurrent_parameter_count("lstm", 2, 32, 1)
    matched = {kind: matched_hidden_size(kind, 2, 1, budget) for kind in ("rnn", "lstm", "gru")}
    x_probe, y_probe = adding_problem(64, T, seed=1)
    init = {}
    for kind in ("rnn", "gru", "lstm"):
        torch.manual_seed(seed)
        init[kind] = hidden_gradient_norms(SequenceModel(kind, 2, matched[kind], 1), x_probe, y_probe)
    for bias in (0.0, 1.0):
        torch.manual_seed(seed)
        lstm = SequenceModel("lstm", 2, matched["lstm"], 1)
        set_forget_bias(lstm.rnn, bias)
        init[f"lstm bias {bias:g}"] = hidden_gradient_norms(lstm, x_probe, y_probe)
    rows = [
        record("04", "at init, forget bias 1 carries the gradient over 1000x better than bias 0", seed,
               _reach(init["lstm bias 1"]) / _reach(init["lstm bias 0"]), ">", 1e3),
        record("04", "at init with forget bias 1 the LSTM carries it over 1000x better than the RNN", seed,
               _reach(init["lstm bias 1"]) / _reach(init["rnn"]), ">", 1e3),
    ]
    runs = {kind: run_adding(AddingConfig(model=kind, T=T, seed=seed, steps=1500, batch_size=64, stop_at=0.01,
                                          eval_every=50, n_test=500, progress=False))
            for kind in ("lstm", "gru")}
    rnn_steps = max(r.metrics["steps"] for r in runs.values())   # the RNN gets the steps the slower gated model used
    runs["rnn"] = run_adding(AddingConfig(model="rnn", T=T, seed=seed, steps=rnn_steps, batch_size=64,
                                          eval_every=50, n_test=500, progress=False))
    baseline = runs["rnn"].metrics["baseline_mse"]
    rows += [
        record("04", "the LSTM solves the adding problem at T = 100 (test MSE below 0.01)", seed,
               runs["lstm"].metrics["test_mse"], "<", 0.01),
        record("04", "the GRU solves the adding problem at T = 100 (test MSE below 0.01)", seed,
               runs["gru"].metrics["test_mse"], "<", 0.01),
        record("04", "the RNN stays near the baseline (test MSE above 80% of it)", seed,
               runs["rnn"].metrics["test_mse"], ">", 0.8 * baseline),
        record("04", "the RNN's best test MSE stays above 90% of the baseline", seed,
               runs["rnn"].metrics["best_test_mse"], ">", 0.9 * baseline),
    ]
    reach = {k: _reach(hidden_gradient_norms(r.model, x_probe, y_probe)) for k, r in runs.items()}
    rows += [
        record("04", "after training the LSTM carries the gradient over 1000x better than the RNN", seed,
               reach["lstm"] / reach["rnn"], ">", 1e3),
        record("04", "after training the GRU carries it over 1000x better than the RNN", seed,
               reach["gru"] / reach["rnn"], ">", 1e3),
    ]
    errors = []
    for a, b, s in [(10, 70, 0), (45, 55, 1), (2, 98, 2)]:
        x_example, target = adding_example(T, a, b, seed=s)
        errors.append(abs(gate_activations(runs["lstm"].model, x_example)["prediction"][0] - target))
    rows.append(record("04", "the trained LSTM adds the two marked values (mean absolute error)", seed,
                       float(np.mean(errors)), "<", 0.15))
    copy = {kind: run_copy(CopyConfig(model=kind, delay=20, seed=seed, steps=400, batch_size=64, eval_every=50,
                                      n_test=500, progress=False)).metrics for kind in ("rnn", "gru")}
    chance, noise = copy["rnn"]["baseline_accuracy"], copy["rnn"]["chance_std"]
    rows += [
        record("04", "copy: the RNN sits at chance (|recall - 1/8| within 3 standard errors)", seed,
               abs(copy["rnn"]["accuracy"] - chance), "<", 3 * noise),
        record("04", "copy: the GRU recalls more than twice chance", seed, copy["gru"]["accuracy"], ">", 2 * chance),
    ]
    return rows
