"""Exercise checks for notebooks 02 (backpropagation through time) and 03 (vanishing and exploding gradients):
the backward pass, a central-difference gradient, the Jacobian product dh_T/dh_{T-k}, and gradient clipping.

References: Werbos 1990 (BPTT); Pascanu, Mikolov & Bengio 2013 (the Jacobian product and gradient clipping).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer
from rnnlab.models.numpy_rnn import clip_grad_norm, hidden_jacobians, init_params, mse_loss, rnn_backward, rnn_forward

GRAD_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def _problem(seed: int = 0, batch: int = 3, time: int = 5, inputs: int = 4, hidden: int = 6, outputs: int = 2):
    rng = np.random.default_rng(seed)
    params = init_params(inputs, hidden, outputs, seed=seed)
    params["b_h"] = rng.normal(size=hidden) * 0.1
    x = rng.normal(size=(batch, time, inputs))                     # (batch, time, input)
    h0 = rng.normal(size=(batch, hidden)) * 0.5                    # (batch, hidden)
    y, cache = rnn_forward(params, x, h0)
    _, dy = mse_loss(y, rng.normal(size=y.shape))                  # dL/dy: (batch, time, output)
    return params, cache, dy


def check_rnn_backward(rnn_backward_fn: Callable) -> bool:
    """rnn_backward_fn(dy, x, h0, hs, W_hh, W_hy) -> dict of gradients with keys W_xh, W_hh, b_h, W_hy, b_y,
    for the tanh RNN; dy: (batch, time, output), x: (batch, time, input), hs: (batch, time, hidden)."""

    def test() -> None:
        for seed, time in ((0, 5), (1, 1)):                          # also a 1-step sequence
            params, cache, dy = _problem(seed, time=time)
            expected = rnn_backward(params, cache, dy)
            got = student_answer(rnn_backward_fn, dy, cache["x"], cache["h0"], cache["hs"], params["W_hh"],
                                 params["W_hy"], like=expected)
            if not isinstance(got, dict):
                raise ExerciseFailure(f"return a dict of gradients with keys {list(GRAD_NAMES)}, "
                                      f"got {type(got).__name__}")
            missing = [k for k in GRAD_NAMES if k not in got]
            if missing:
                raise ExerciseFailure(f"your dict has no gradient for {missing}")
            for name in GRAD_NAMES:
                compare_arrays(f"the gradient of {name}" + (" (1-step sequence)" if time == 1 else ""),
                               got[name], expected[name], atol=1e-8)

    return check_exercise("backward pass (BPTT)", test)


def check_numerical_gradient(numerical_gradient_fn: Callable) -> bool:
    """numerical_gradient_fn(f, x, eps) -> array like x: central differences of f() while nudging x in place."""

    def test() -> None:
        x = np.linspace(-1.0, 1.0, 5)
        before = x.copy()
        got = student_answer(numerical_gradient_fn, lambda: float(np.sum(x**3)), x, 1e-5, like=x)
        if not np.array_equal(x, before):
            raise ExerciseFailure("x changed: put every entry back after nudging it")
        compare_arrays("gradient of sum(x**3)", got, 3 * x**2, atol=1e-7)
        A = np.arange(6.0).reshape(2, 3) / 10                       # a 2-D array too
        got = student_answer(numerical_gradient_fn, lambda: float(np.sum(np.sin(A))), A, 1e-5, like=A)
        compare_arrays("gradient of sum(sin(A)) for a (2, 3) array", got, np.cos(A), atol=1e-7)
        # one-sided differences are off by ~eps/2 * f''; central ones by ~eps^2
        got = student_answer(numerical_gradient_fn, lambda: float(np.exp(x[2])), x, 1e-3, like=x)
        compare_arrays("gradient of exp(x[2])", got, np.eye(5)[2] * np.exp(x[2]), atol=1e-3)
        if abs(got[2] - 1.0) > 1e-5:
            raise ExerciseFailure(f"d exp(x)/dx at 0 came out {got[2]:.8f}, expected 1 to within 1e-6: "
                                  "use the central difference (f(x+eps) - f(x-eps)) / (2 eps)")

    return check_exercise("central-difference gradient", test)


def check_jacobian_product(jacobian_product_fn: Callable) -> bool:
    """jacobian_product_fn(W_hh, hs, k) -> dh_T/dh_{T-k}: (hidden, hidden) for a tanh RNN, where hs: (T, hidden)
    holds h_1..h_T of one sequence (hs[-1] is h_T)."""

    def test() -> None:
        params, cache, _ = _problem(2, batch=1, time=6)
        hs, a, W_hh = cache["hs"][0], cache["a"][0], params["W_hh"]
        J = hidden_jacobians(W_hh, a, hs)                           # (time, hidden, hidden)
        got = student_answer(jacobian_product_fn, W_hh, hs, 0, like=W_hh)
        compare_arrays("dh_T/dh_T (k=0)", got, np.eye(W_hh.shape[0]))
        expected = np.eye(W_hh.shape[0])
        for k in range(1, 7):
            expected = expected @ J[-k]                              # J_T J_{T-1} ... J_{T-k+1}
            got = student_answer(jacobian_product_fn, W_hh, hs, k, like=expected)
            if k == 2 and np.asarray(got).shape == expected.shape and np.allclose(got, J[-2] @ J[-1]):
                raise ExerciseFailure("k=2: the factors are multiplied in the wrong order: "
                                      "dh_T/dh_{T-2} = J_T @ J_{T-1}")
            compare_arrays(f"dh_T/dh_(T-{k})", got, expected, atol=1e-8)

    return check_exercise("Jacobian product", test)


def check_clip_gradients(clip_fn: Callable) -> bool:
    """clip_fn(grads: dict, threshold) -> dict: all gradients scaled by threshold/||g|| when the global norm
    ||g|| (over every array together) exceeds threshold; unchanged otherwise."""

    def test() -> None:
        rng = np.random.default_rng(0)
        grads = {"W": rng.normal(size=(3, 4)) * 10, "b": rng.normal(size=3) * 10}
        copy = {k: v.copy() for k, v in grads.items()}
        expected, norm = clip_grad_norm(grads, 1.0)
        got = student_answer(clip_fn, copy, 1.0, like=expected)
        if not isinstance(got, dict) or set(got) != set(grads):
            raise ExerciseFailure(f"return a dict of gradients with the keys {sorted(grads)}, got "
                                  f"{sorted(got) if isinstance(got, dict) else type(got).__name__}")
        per_array = {k: v / max(1.0, np.linalg.norm(v)) for k, v in grads.items()}
        if all(np.shape(got[k]) == per_array[k].shape and np.allclose(got[k], per_array[k]) for k in grads):
            raise ExerciseFailure("each array was clipped on its own: use one norm over all arrays together")
        for k in grads:
            compare_arrays(f"clipped gradient {k!r} (norm {norm:.3g} > threshold 1)", got[k], expected[k])
        small = {k: v / 100 for k, v in grads.items()}
        got = student_answer(clip_fn, {k: v.copy() for k, v in small.items()}, 1.0, like=small)
        if not isinstance(got, dict) or set(got) != set(grads):
            raise ExerciseFailure("below the threshold, return the dict of gradients unchanged")
        for k in grads:
            compare_arrays(f"gradient {k!r} below the threshold (should be unchanged)", got[k], small[k])

    return check_exercise("gradient clipping", test)
