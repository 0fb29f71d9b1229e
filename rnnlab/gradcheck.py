"""Numerical gradient checking with central differences, for any function of numpy arrays.

    df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)      (error O(eps^2))

Use float64: with eps ~ 1e-6 the relative error of a correct analytic gradient is then ~1e-9 or smaller, while a
wrong one is off by order 1. Reference: the gradient-checking recipe of CS231n and of Goodfellow, Bengio &
Courville 2016, section 11.5.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from rnnlab.validate import check_array, check_float


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar `f()` with respect to the array `x`, which `f` reads.

    Each entry of `x` is nudged in place by +-eps and restored, so `f` must read `x` (not a copy).
    Returns an array of x's shape.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning a number, got {type(f).__name__}")
    check_array(x, "x", floating=True)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array (it is nudged in place), got {type(x).__name__}")
    eps = check_float(eps, "eps", minimum=0.0, strict_minimum=True)
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)                                   # a view: writing to it changes x
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be nudged in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = float(f())
        flat[i] = old - eps
        minus = float(f())
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, *, floor: float = 1e-12) -> float:
    """||a - b|| / max(||a|| + ||b||, floor) with Euclidean norms: 0 for equal arrays, ~1 for unrelated ones.

    (Over whole arrays rather than per entry, so that entries that are nearly 0 do not dominate.)
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def gradient_check(f: Callable[[], float], params: Mapping[str, np.ndarray], analytic: Mapping[str, np.ndarray],
                   *, eps: float = 1e-6) -> dict[str, float]:
    """Relative error between `analytic[name]` and the numerical gradient of `f()` for every array in `params`.

    `f` must read the arrays of `params` (they are nudged in place and restored). Returns {name: error}.
    """
    errors = {}
    for name, value in params.items():
        if name not in analytic:
            raise KeyError(f"no analytic gradient for {name!r}; got gradients for {sorted(analytic)}")
        check_array(analytic[name], f"analytic[{name!r}]", shape=value.shape)
        errors[name] = relative_error(analytic[name], numerical_gradient(f, value, eps=eps))
    return errors
