"""A vanilla RNN in plain numpy: forward pass, backpropagation through time, and the hidden-state Jacobians.

    h_t = f(W_xh x_t + W_hh h_{t-1} + b_h),    y_t = W_hy h_t + b_y

The reference the notebooks 01-03 test student code against, and the twin of `torch.nn.RNN` (tests copy the
weights into torch and compare outputs and every gradient). Works in any float dtype; use float64 for
gradient checks. Weights follow torch's layout: W_xh (hidden, input), W_hh (hidden, hidden), W_hy (out, hidden).

References: Elman 1990 (the recurrence); Rumelhart, Hinton & Williams 1986 and Werbos 1990 (backpropagation
through time); Pascanu, Mikolov & Bengio 2013 (the Jacobian product dh_T/dh_t and its bound).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from rnnlab.validate import check_array, check_choice, check_float, check_int

Params = dict[str, np.ndarray]
PARAM_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


@dataclass(frozen=True)
class Activation:
    """A nonlinearity f, its derivative written through the output h = f(a) where possible, and gamma = sup |f'|."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]           # a -> h
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (a, h) -> f'(a)
    gamma: float                                     # the bound on |f'| used in the Pascanu et al. 2013 bound


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # stable for large |a|


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", np.tanh, lambda a, h: 1.0 - h**2, 1.0),
    "sigmoid": Activation("sigmoid", _sigmoid, lambda a, h: h * (1.0 - h), 0.25),
    "relu": Activation("relu", lambda a: np.maximum(a, 0.0), lambda a, h: (a > 0).astype(a.dtype), 1.0),
    "linear": Activation("linear", lambda a: a, lambda a, h: np.ones_like(a), 1.0),
}


def init_params(input_size: int, hidden_size: int, output_size: int, *, seed: int = 0,
                scale: float | None = None, dtype: type = np.float64) -> Params:
    """Random weights: uniform(-k, k) with k = 1/sqrt(hidden_size) as in torch.nn.RNN, or N(0, scale^2/hidden)
    for W_hh when `scale` is given (so W_hh has spectral radius close to `scale`); biases start at zero."""
    input_size = check_int(input_size, "input_size", minimum=1)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    output_size = check_int(output_size, "output_size", minimum=1)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    k = 1.0 / np.sqrt(hidden_size)
    W_hh = rng.uniform(-k, k, (hidden_size, hidden_size))
    if scale is not None:
        scale = check_float(scale, "scale", minimum=0.0)
        W_hh = rng.normal(0.0, scale / np.sqrt(hidden_size), (hidden_size, hidden_size))
    params = {"W_xh": rng.uniform(-k, k, (hidden_size, input_size)),
              "W_hh": W_hh,
              "b_h": np.zeros(hidden_size),
              "W_hy": rng.uniform(-k, k, (output_size, hidden_size)),
              "b_y": np.zeros(output_size)}
    return {name: value.astype(dtype) for name, value in params.items()}


def check_params(params: Params) -> tuple[int, int, int]:
    """Check the five weights agree in shape; return (input_size, hidden_size, output_size)."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys {list(PARAM_NAMES)}, got {type(params).__name__}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise KeyError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    check_array(params["W_xh"], "W_xh", shape=("hidden", "input"), floating=True)
    hidden, inputs = params["W_xh"].shape
    check_array(params["W_hh"], "W_hh", shape=(hidden, hidden), floating=True)
    check_array(params["b_h"], "b_h", shape=(hidden,), floating=True)
    check_array(params["W_hy"], "W_hy", shape=("output", hidden), floating=True)
    outputs = params["W_hy"].shape[0]
    check_array(params["b_y"], "b_y", shape=(outputs,), floating=True)
    return inputs, hidden, outputs


def _numpy(x: object) -> object:
    """A torch tensor as a numpy array (this module computes in numpy); anything else as it came."""
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x


def _check_weights(W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray) -> tuple[int, int]:
    """Check W_xh (hidden, input), W_hh (hidden, hidden), b_h (hidden,): float, finite; return (input, hidden)."""
    check_array(W_xh, "W_xh", shape=("hidden", "input"), floating=True, finite=True)
    hidden, inputs = W_xh.shape
    check_array(W_hh, "W_hh", shape=(hidden, hidden), floating=True, finite=True)
    check_array(b_h, "b_h", shape=(hidden,), floating=True, finite=True)
    return inputs, hidden


def _step(x_t: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray,
          f: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    a = x_t @ W_xh.T + h_prev @ W_hh.T + b_h                       # (batch, hidden)
    return f(a)


def rnn_step(x_t: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray,
             activation: str = "tanh") -> np.ndarray:
    """One step of the recurrence. x_t: (batch, input), h_prev: (batch, hidden) -> h_t: (batch, hidden).

    Weights as in the module docstring: W_xh (hidden, input), W_hh (hidden, hidden), b_h (hidden,). Any float
    dtype; torch tensors are converted to numpy. Raises TypeError for an argument that is not an array or not
    floating-point, ValueError (naming the argument) for a wrong shape, an empty or a non-finite array, or an
    unknown activation.
    """
    x_t, h_prev, W_xh, W_hh, b_h = map(_numpy, (x_t, h_prev, W_xh, W_hh, b_h))
    inputs, hidden = _check_weights(W_xh, W_hh, b_h)
    check_array(x_t, "x_t", shape=("batch", inputs), floating=True, finite=True)
    check_array(h_prev, "h_prev", shape=(x_t.shape[0], hidden), floating=True, finite=True)
    check_choice(activation, "activation", list(ACTIVATIONS))
    return _step(x_t, h_prev, W_xh, W_hh, b_h, ACTIVATIONS[activation].f)


def rnn_hidden_states(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray,
                      activation: str = "tanh") -> np.ndarray:
    """All hidden states. x: (batch, time, input), h0: (batch, hidden) -> hs: (batch, time, hidden).

    Any float dtype; torch tensors are converted to numpy. Raises TypeError for an argument that is not an
    array or not floating-point, ValueError (naming the argument) for a wrong shape, an empty or a non-finite
    array, or an unknown activation.
    """
    x, h0, W_xh, W_hh, b_h = map(_numpy, (x, h0, W_xh, W_hh, b_h))
    inputs, hidden = _check_weights(W_xh, W_hh, b_h)
    check_array(x, "x", shape=("batch", "time", inputs), floating=True, finite=True)
    check_array(h0, "h0", shape=(x.shape[0], hidden), floating=True, finite=True)
    f = ACTIVATIONS[check_choice(activation, "activation", list(ACTIVATIONS))].f
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, W_xh, W_hh, b_h, f)                  # (batch, hidden)
        hs.append(h)
    return np.stack(hs, axis=1)                                     # (batch, time, hidden)


def rnn_forward(params: Params, x: np.ndarray, h0: np.ndarray | None = None,
                activation: str = "tanh") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Many-to-many forward pass. x: (batch, time, input) -> y: (batch, time, output), and a cache for backward
    holding x, h0, hs (batch, time, hidden) and the pre-activations a (batch, time, hidden)."""
    inputs, hidden, _ = check_params(params)
    check_array(x, "x", shape=("batch", "time", inputs), floating=True)
    check_choice(activation, "activation", list(ACTIVATIONS))
    batch, T, _ = x.shape
    h0 = np.zeros((batch, hidden), dtype=x.dtype) if h0 is None else h0
    check_array(h0, "h0", shape=(batch, hidden), floating=True)
    f = ACTIVATIONS[activation].f
    h, hs, pre = h0, [], []
    for t in range(T):
        a = x[:, t] @ params["W_xh"].T + h @ params["W_hh"].T + params["b_h"]   # (batch, hidden)
        h = f(a)
        pre.append(a)
        hs.append(h)
    hs_arr = np.stack(hs, axis=1)                                   # (batch, time, hidden)
    y = hs_arr @ params["W_hy"].T + params["b_y"]                   # (batch, time, output)
    cache = {"x": x, "h0": h0, "hs": hs_arr, "a": np.stack(pre, axis=1), "activation": activation}
    return y, cache


def rnn_backward(params: Params, cache: dict, dy: np.ndarray, truncate: int | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time. dy = dL/dy: (batch, time, output), cache from `rnn_forward`.
    Returns dL/d(each parameter) and dL/dh0 under the key "h0".

    truncate=k: each step's gradient flows back at most k steps (truncated BPTT; None: all the way).
    """
    check_params(params)
    x, h0, hs, a = cache["x"], cache["h0"], cache["hs"], cache["a"]
    check_array(dy, "dy", shape=(hs.shape[0], hs.shape[1], params["W_hy"].shape[0]), floating=True)
    if truncate is not None:
        truncate = check_int(truncate, "truncate", minimum=1)
    act = ACTIVATIONS[cache["activation"]]
    batch, T, hidden = hs.shape
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    grads["W_hy"] = np.einsum("bto,bth->oh", dy, hs)                # sum over batch and time
    grads["b_y"] = dy.sum(axis=(0, 1))
    dh_out = dy @ params["W_hy"]                                    # (batch, time, hidden): dL/dh_t via y_t
    dfa = act.df(a, hs)                                             # (batch, time, hidden): f'(a_t)
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)      # (batch, time, hidden): h_{t-1}
    if truncate is None:
        dh = np.zeros((batch, hidden), dtype=hs.dtype)
        for t in reversed(range(T)):
            dh = dh + dh_out[:, t]                                  # total dL/dh_t
            da = dh * dfa[:, t]                                     # (batch, hidden): dL/da_t
            grads["W_xh"] += da.T @ x[:, t]
            grads["W_hh"] += da.T @ h_prev[:, t]
            grads["b_h"] += da.sum(axis=0)
            dh = da @ params["W_hh"]                                # dL/dh_{t-1}
        grads["h0"] = dh
        return grads
    # truncated: the loss at step s sends its gradient back through steps s, s-1, ..., s-k+1 only
    dh0 = np.zeros((batch, hidden), dtype=hs.dtype)
    for s in range(T):
        dh = dh_out[:, s]
        for t in range(s, max(s - truncate, -1), -1):
            da = dh * dfa[:, t]
            grads["W_xh"] += da.T @ x[:, t]
            grads["W_hh"] += da.T @ h_prev[:, t]
            grads["b_h"] += da.sum(axis=0)
            dh = da @ params["W_hh"]
            if t == 0:
                dh0 += dh
    grads["h0"] = dh0
    return grads


def mse_loss(y: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every element, and its gradient dL/dy (same shape as y)."""
    check_array(y, "y", floating=True)
    check_array(target, "target", shape=y.shape, floating=True)
    diff = y - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer targets under softmax(logits), and dL/dlogits.

    logits: (batch, time, classes), targets: (batch, time) integers in [0, classes).
    """
    check_array(logits, "logits", ndim=3, floating=True)
    check_array(targets, "targets", shape=logits.shape[:2], integer=True)
    classes = logits.shape[-1]
    if targets.min() < 0 or targets.max() >= classes:
        raise ValueError(f"targets must lie in [0, {classes}), got range [{targets.min()}, {targets.max()}]")
    shifted = logits - logits.max(axis=-1, keepdims=True)          # (batch, time, classes), for stability
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    n = targets.size
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)  # (batch, time, 1)
    dlogits = np.exp(log_p)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1.0, -1)
    return float(-picked.sum() / n), dlogits / n


def rnn_loss_and_grads(params: Params, x: np.ndarray, targets: np.ndarray, *, loss: str = "mse",
                       h0: np.ndarray | None = None, activation: str = "tanh",
                       truncate: int | None = None) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
    """The many-to-many loss (mean over batch and time) and its gradients; also the last hidden state.

    loss "mse": targets (batch, time, output) floats; loss "cross_entropy": targets (batch, time) class ids.
    """
    check_choice(loss, "loss", ["mse", "cross_entropy"])
    y, cache = rnn_forward(params, x, h0, activation)
    value, dy = mse_loss(y, targets) if loss == "mse" else softmax_cross_entropy(y, targets)
    return value, rnn_backward(params, cache, dy, truncate=truncate), cache["hs"][:, -1]


def hidden_jacobians(W_hh: np.ndarray, a: np.ndarray, hs: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """The one-step Jacobians J_t = dh_t/dh_{t-1} = diag(f'(a_t)) W_hh of one sequence.

    a, hs: (time, hidden) pre-activations and hidden states -> (time, hidden, hidden).
    """
    check_array(W_hh, "W_hh", shape=("hidden", "hidden"), floating=True)
    check_array(a, "a", shape=("time", W_hh.shape[0]), floating=True)
    check_array(hs, "hs", shape=a.shape, floating=True)
    d = ACTIVATIONS[check_choice(activation, "activation", list(ACTIVATIONS))].df(a, hs)   # (time, hidden)
    return d[:, :, None] * W_hh[None]                               # (time, hidden, hidden)


def jacobian_product_norms(jacobians: np.ndarray) -> np.ndarray:
    """Spectral norms of dh_T/dh_t = J_T J_{T-1} ... J_{t+1} for t = T-1, T-2, ..., 0.

    jacobians: (T, hidden, hidden) -> norms: (T,), norms[k-1] = ||dh_T/dh_{T-k}||_2 for k = 1..T. Once the product
    overflows or turns NaN the remaining norms are inf or nan (computed under np.errstate, no warnings).
    """
    check_array(jacobians, "jacobians", ndim=3, floating=True)
    T, H, _ = jacobians.shape
    norms = np.empty(T)
    product = np.eye(H, dtype=jacobians.dtype)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for k in range(T):
            product = product @ jacobians[T - 1 - k]                # (hidden, hidden): dh_T/dh_{T-1-k}
            if not np.all(np.isfinite(product)):
                norms[k:] = np.inf if not np.isnan(product).any() else np.nan
                break
            norms[k] = np.linalg.norm(product, 2)
    return norms


def clip_grad_norm(grads: dict[str, np.ndarray], threshold: float) -> tuple[dict[str, np.ndarray], float]:
    """Gradient clipping by the global norm (Pascanu, Mikolov & Bengio 2013): when ||g|| > threshold, scale every
    gradient by threshold / ||g||. Returns (new gradients, the norm before clipping); the input is not changed.

    grads: a dict of float numpy arrays or torch tensors (each comes back in its own type). Raises TypeError when
    grads is not a dict of float arrays, ValueError when threshold is not positive and finite or a gradient holds
    NaN or inf (a diverged step: clipping cannot repair it; lower the learning rate or the clipping threshold).
    """
    threshold = check_float(threshold, "threshold", minimum=0.0, strict_minimum=True)
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict of gradient arrays, e.g. {{'W_hh': array}}, got {type(grads).__name__}")
    total = 0.0
    for name, g in grads.items():
        check_array(g, f"grads[{name!r}]", floating=True, nonempty=False)
        g64 = np.asarray(_numpy(g), dtype=np.float64)
        if not np.isfinite(g64).all():
            raise ValueError(f"grads[{name!r}] contains NaN or infinite values: the step diverged and clipping "
                             "cannot repair it; lower the learning rate or the clipping threshold")
        total += float(np.sum(g64**2))
    norm = float(np.sqrt(total))
    scale = threshold / norm if norm > threshold else 1.0
    return {name: g * scale for name, g in grads.items()}, norm
