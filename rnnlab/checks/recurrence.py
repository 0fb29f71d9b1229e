"""Exercise checks for notebook 01 (recurrence): one RNN step, and the forward pass over a sequence.

Each check calls the student's function on small random inputs whose sizes all differ (batch 3, time 5,
input 4, hidden 6), so a transposed W_xh or a swapped axis shows up as a wrong shape, and compares with
`rnnlab.models.numpy_rnn`. A wrong answer is compared with the reference's known mistaken variants (no tanh,
h_prev @ W_hh without the transpose, which a square W_hh cannot show as a shape, no bias, ...) and the one it
equals is named in words.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnlab.checks.core import (
    ExerciseFailure,
    StudentCodeError,
    check_exercise,
    compare_arrays,
    matches,
    name_mistake,
    student_answer,
)
from rnnlab.models.numpy_rnn import rnn_hidden_states, rnn_step

BATCH, TIME, INPUT, HIDDEN = 3, 5, 4, 6


def _inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(BATCH, TIME, INPUT)),         # (batch, time, input)
            "h0": rng.normal(size=(BATCH, HIDDEN)) * 0.5,       # (batch, hidden)
            "W_xh": rng.normal(size=(HIDDEN, INPUT)) * 0.5,     # (hidden, input)
            "W_hh": rng.normal(size=(HIDDEN, HIDDEN)) * 0.4,    # (hidden, hidden)
            "b_h": rng.normal(size=HIDDEN) * 0.1}               # (hidden,)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _step_mistakes(x_t: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray,
                   b_h: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """The reference step with each known mistake made, and the message that names it."""
    a = x_t @ W_xh.T + h_prev @ W_hh.T + b_h                       # (batch, hidden): the right pre-activation
    return [
        (a, "h_t equals the pre-activation: apply tanh"),
        (np.tanh(x_t @ W_xh.T + h_prev @ W_hh + b_h),
         "you multiplied h_prev @ W_hh, without the transpose: W_hh is square (hidden, hidden), so the shape "
         "cannot show it, but the row form of W_hh h_prev is h_prev @ W_hh.T"),
        (np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T), "h_t misses the bias b_h"),
        (np.tanh(x_t @ W_xh.T + b_h), "h_t does not depend on h_prev: add W_hh h_prev (h_prev @ W_hh.T)"),
        (np.tanh(h_prev @ W_hh.T + b_h), "h_t does not depend on x_t: add W_xh x_t (x_t @ W_xh.T)"),
        (np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T) + b_h, "b_h was added after tanh: it belongs inside, "
                                                       "tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)"),
        (_sigmoid(a), "you applied the logistic sigmoid: the Elman RNN uses tanh (values in (-1, 1))"),
        (np.maximum(a, 0), "you applied ReLU: this RNN uses tanh"),
    ]


def _shape_hint(err: StudentCodeError, p: dict[str, np.ndarray]) -> str | None:
    """Words for a matrix product with mismatched shapes (e.g. x_t @ W_xh without the transpose)."""
    if not isinstance(err.error, ValueError) or not any(w in str(err.error) for w in ("matmul", "shapes", "align")):
        return None
    return (f"your code raised ValueError in a matrix product ({err.error}): check the shapes. x_t is "
            f"(batch, input) = {p['x'][:, 0].shape} and W_xh is (hidden, input) = {p['W_xh'].shape}, so the row "
            "form of W_xh x_t is x_t @ W_xh.T; likewise h_prev @ W_hh.T")


def check_rnn_step(rnn_step_fn: Callable) -> bool:
    """rnn_step_fn(x_t, h_prev, W_xh, W_hh, b_h) -> h_t: (batch, hidden), h_t = tanh(W_xh x_t + W_hh h_prev + b_h).

    Names, in words: a missing tanh, bias, input or recurrent term; W_hh or W_xh used without the transpose;
    the bias added after tanh; sigmoid or ReLU instead of tanh. An answer in float32 or as a torch tensor passes.
    """

    def test() -> None:
        p = _inputs()
        x_t = p["x"][:, 0]                                       # (batch, input)
        expected = rnn_step(x_t, p["h0"], p["W_xh"], p["W_hh"], p["b_h"])
        try:
            got = student_answer(rnn_step_fn, x_t, p["h0"], p["W_xh"], p["W_hh"], p["b_h"], like=expected)
        except StudentCodeError as err:
            hint = _shape_hint(err, p)
            if hint is None:
                raise
            raise ExerciseFailure(hint) from None
        if not matches(got, expected):
            name_mistake(got, _step_mistakes(x_t, p["h0"], p["W_xh"], p["W_hh"], p["b_h"]), reference=expected)
        compare_arrays("h_t", got, expected)

    return check_exercise("RNN step", test)


def check_rnn_forward(rnn_forward_fn: Callable) -> bool:
    """rnn_forward_fn(x, h0, W_xh, W_hh, b_h) -> hs: (batch, time, hidden), the hidden state after every step.

    Names, in words: states stacked along time first (axis 0); only the last state returned; h0 used at every
    step (h never updated); h0 stored as the first state (off by one); the states in reverse order; h0 ignored.
    """

    def test() -> None:
        p = _inputs(1)
        args = (p["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"])
        expected = rnn_hidden_states(*args)                      # (batch, time, hidden)
        got = student_answer(rnn_forward_fn, *args, like=expected)
        got_a = got if isinstance(got, np.ndarray) else np.zeros(0)
        if got_a.shape == (TIME, BATCH, HIDDEN):
            raise ExerciseFailure(f"hs has shape {got_a.shape} = (time, batch, hidden), expected "
                                  f"{expected.shape} = (batch, time, hidden): stack along axis=1")
        if got_a.shape == (BATCH, HIDDEN):
            raise ExerciseFailure(f"hs has shape {got_a.shape} = (batch, hidden): you returned only the last state; "
                                  "return every state, stacked along axis=1 into (batch, time, hidden)")
        if not matches(got, expected):
            every_step_h0 = np.stack([rnn_step(p["x"][:, t], p["h0"], *args[2:]) for t in range(TIME)], axis=1)
            shifted = np.concatenate([p["h0"][:, None], expected[:, :-1]], axis=1)
            name_mistake(got, [
                (every_step_h0, "every step used h0 as the previous state: h is never updated; inside the loop "
                                "write h = rnn_step(x[:, t], h, ...) and append that h"),
                (shifted, "hs starts with h0 and misses the last state (off by one): hs[:, 0] is h_1, the state "
                          "after reading x[:, 0]; append the new h after each step, not before"),
                (expected[:, ::-1], "the states are in reverse time order: hs[:, t] is the state after reading "
                                    "x[:, t]; append in the order of the loop and do not reverse"),
                (rnn_hidden_states(p["x"], 0 * p["h0"], *args[2:]),
                 "your first step started from zeros, not from h0: start the loop with h = h0"),
            ], reference=expected)
        compare_arrays("hs", got, expected, time_axis=1)
        # a second sequence with one step: catches code that hard-codes the length
        short = {k: (v[:, :1] if k == "x" else v) for k, v in p.items()}
        expected1 = rnn_hidden_states(short["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"])
        got1 = student_answer(rnn_forward_fn, short["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"], like=expected1)
        compare_arrays("hs for a 1-step sequence", got1, expected1, time_axis=1)

    return check_exercise("RNN forward pass", test)
