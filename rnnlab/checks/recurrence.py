"""Exercise checks for notebook 01 (recurrence): one RNN step, and the forward pass over a sequence.

Each check calls the student's function on small random inputs whose sizes all differ (batch 3, time 5,
input 4, hidden 6), so a transposed weight or a swapped axis shows up as a wrong shape, and compares with
`rnnlab.models.numpy_rnn`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer
from rnnlab.models.numpy_rnn import rnn_hidden_states, rnn_step

BATCH, TIME, INPUT, HIDDEN = 3, 5, 4, 6


def _inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(BATCH, TIME, INPUT)),         # (batch, time, input)
            "h0": rng.normal(size=(BATCH, HIDDEN)) * 0.5,       # (batch, hidden)
            "W_xh": rng.normal(size=(HIDDEN, INPUT)) * 0.5,     # (hidden, input)
            "W_hh": rng.normal(size=(HIDDEN, HIDDEN)) * 0.4,    # (hidden, hidden)
            "b_h": rng.normal(size=HIDDEN) * 0.1}               # (hidden,)


def check_rnn_step(rnn_step_fn: Callable) -> bool:
    """rnn_step_fn(x_t, h_prev, W_xh, W_hh, b_h) -> h_t: (batch, hidden), h_t = tanh(W_xh x_t + W_hh h_prev + b_h)."""

    def test() -> None:
        p = _inputs()
        x_t = p["x"][:, 0]                                       # (batch, input)
        expected = rnn_step(x_t, p["h0"], p["W_xh"], p["W_hh"], p["b_h"])
        got = student_answer(rnn_step_fn, x_t, p["h0"], p["W_xh"], p["W_hh"], p["b_h"], like=expected)
        got_a = got if isinstance(got, np.ndarray) else np.zeros(0)
        if got_a.shape == expected.shape and np.allclose(got_a, np.arctanh(np.clip(expected, -0.999, 0.999))):
            raise ExerciseFailure("h_t equals the pre-activation: apply tanh")
        no_bias = rnn_step(x_t, p["h0"], p["W_xh"], p["W_hh"], 0 * p["b_h"])
        if got_a.shape == expected.shape and np.allclose(got_a, no_bias):
            raise ExerciseFailure("h_t misses the bias b_h")
        no_rec = rnn_step(x_t, 0 * p["h0"], p["W_xh"], p["W_hh"], p["b_h"])
        if got_a.shape == expected.shape and np.allclose(got_a, no_rec):
            raise ExerciseFailure("h_t does not depend on h_prev: add W_hh @ h_prev")
        compare_arrays("h_t", got, expected)

    return check_exercise("RNN step", test)


def check_rnn_forward(rnn_forward_fn: Callable) -> bool:
    """rnn_forward_fn(x, h0, W_xh, W_hh, b_h) -> hs: (batch, time, hidden), the hidden state after every step."""

    def test() -> None:
        p = _inputs(1)
        expected = rnn_hidden_states(p["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"])
        got = student_answer(rnn_forward_fn, p["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"], like=expected)
        got_a = got if isinstance(got, np.ndarray) else np.zeros(0)
        if got_a.shape == (TIME, BATCH, HIDDEN):
            raise ExerciseFailure(f"hs has shape {got_a.shape} = (time, batch, hidden), expected "
                                  f"{expected.shape} = (batch, time, hidden): stack along axis=1")
        compare_arrays("hs", got, expected, time_axis=1)
        # a second sequence with one step: catches code that hard-codes the length
        short = {k: (v[:, :1] if k == "x" else v) for k, v in p.items()}
        expected1 = rnn_hidden_states(short["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"])
        got1 = student_answer(rnn_forward_fn, short["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"], like=expected1)
        compare_arrays("hs for a 1-step sequence", got1, expected1, time_axis=1)

    return check_exercise("RNN forward pass", test)
