"""Notebook 03's claims on another seed: the measured gradient norms against the bound (random RNN from the seed),
exploding gradients with and without clipping (ClippingConfig with the seed: initial weights and batches), the
vanilla RNN on the adding problem at T = 10 (the notebook's own loop, which `run_adding` reproduces exactly) and
at T = 100."""

from __future__ import annotations

from benchmarks.claims import record
from rnnlab.experiments.gradients import ClippingConfig, run_clipping
from rnnlab.experiments.long_range import AddingConfig, run_adding
from rnnlab.widgets.gradients import gradient_explorer_data


def _gradient_claims(seed: int) -> list[dict]:
    rows = []
    for r in (0.5, 0.8, 0.95, 3.0):
        m = gradient_explorer_data(r, 100, "tanh", "orthogonal", seed=seed)
        rows.append(record("03", f"rho={r}: every measured norm lies under the bound", seed,
                           float((m["norms"] / m["bound"]).max()), "<=", 1 + 1e-9))
        if r < 1:
            rows.append(record("03", f"rho={r}: the gradient from 50 steps back is below 1e-6", seed,
                               float(m["norms"][49]), "<", 1e-6))
    rows.append(record("03", "rho=3: the gradient grows above 1e6 over 100 steps", seed,
                       float(gradient_explorer_data(3.0, 100, "tanh", "orthogonal", seed=seed)["norms"][99]), ">", 1e6))
    gauss = gradient_explorer_data(1.5, 100, "tanh", "random", seed=seed)
    rows.append(record("03", "Gaussian W_hh, sigma_max*gamma > 1, still vanishes below 1e-3", seed,
                       float(gauss["norms"][-1]), "<", 1e-3))
    return rows


def _clipping_claims(seed: int) -> list[dict]:
    cm = run_clipping(ClippingConfig(seed=seed, progress=False)).metrics
    return [
        record("03", "without clipping, training breaks down (NaN / inf) by step 50", seed,
               cm["unclipped_steps"] if cm["unclipped_diverged"] else float("inf"), "<=", 50),
        record("03", "without clipping the gradient norm explodes above 1e6", seed, cm["unclipped_max_grad_norm"],
               ">", 1e6),
        record("03", "the clipped run meets raw gradient norms above 5", seed, cm["clipped_max_grad_norm"], ">", 5),
        record("03", "with clipping the test MSE ends below half the baseline", seed, cm["clipped_test_mse"], "<",
               0.5 * cm["baseline_mse"]),
    ]


def _adding_claims(seed: int) -> list[dict]:
    short = run_adding(AddingConfig(model="rnn", T=10, steps=400, batch_size=64, eval_every=50, n_test=500,
                                    seed=seed, progress=False)).metrics
    long_ = run_adding(AddingConfig(model="rnn", T=100, steps=400, batch_size=64, eval_every=50, n_test=500,
                                    seed=seed, progress=False)).metrics
    return [
        record("03", "at T = 10 the RNN's best test MSE is below half the baseline", seed, short["best_test_mse"],
               "<", 0.5 * short["baseline_mse"]),
        record("03", "at T = 100 the RNN's best test MSE stays above 90% of the baseline", seed,
               long_["best_test_mse"], ">", 0.9 * long_["baseline_mse"]),
        record("03", "at T = 100 the RNN's final test MSE is above 95% of the baseline", seed, long_["test_mse"], ">",
               0.95 * long_["baseline_mse"]),
    ]


def claims(seed: int) -> list[dict]:
    return _gradient_claims(seed) + _clipping_claims(seed) + _adding_claims(seed)
