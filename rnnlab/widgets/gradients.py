"""The vanishing/exploding-gradient explorer of notebook 03.

Pick the spectral radius of W_hh, the sequence length (seq_len), the activation (tanh, sigmoid, ReLU, linear) and
the initialisation (random Gaussian, orthogonal, or identity as in the IRNN of Le, Jaitly & Hinton 2015); the explorer
runs a random RNN, measures ||dh_T/dh_t|| for every t and draws it beside the bound
(sigma_max(W_hh) * gamma)^(T-t) of Pascanu, Mikolov & Bengio 2013, with the hidden-state trajectory.
At extreme settings (overflow, collapse to zero) it says so on the plot instead of failing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.models.numpy_rnn import ACTIVATIONS, hidden_jacobians, jacobian_product_norms
from rnnlab.validate import check_choice, check_float, check_int
from rnnlab.widgets.contract import View, view_or_message, wire

INITS = ["random", "orthogonal", "identity"]
TINY = 1e-300   # below this a norm counts as collapsed to zero


def recurrent_matrix(hidden_size: int, radius: float, init: str = "orthogonal", seed: int = 0) -> np.ndarray:
    """W_hh: (hidden, hidden) with spectral radius (largest |eigenvalue|) `radius`.

    random: Gaussian, rescaled (its largest singular value is then larger than the radius, about 2x);
    orthogonal: radius * Q for a random orthogonal Q (all singular values equal the radius);
    identity: radius * I (the IRNN initialisation).
    """
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    radius = check_float(radius, "radius", minimum=0.0)
    check_choice(init, "init", INITS)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    if init == "identity":
        return radius * np.eye(hidden_size)
    if init == "orthogonal":
        q, r = np.linalg.qr(rng.normal(size=(hidden_size, hidden_size)))
        return radius * q * np.sign(np.diag(r))                    # sign fix: Q uniformly distributed
    W = rng.normal(size=(hidden_size, hidden_size))
    return radius * W / np.abs(np.linalg.eigvals(W)).max()


def gradient_explorer_data(radius: float, seq_len: int, activation: str = "tanh", init: str = "orthogonal", *,
                           hidden_size: int = 32, input_scale: float = 1.0, seed: int = 0) -> dict:
    """Run a random RNN for `seq_len` steps and measure the gradient norms.

    Returns a dict: norms (seq_len,) with norms[k-1] = ||dh_T/dh_{T-k}||_2, bound (seq_len,) = (sigma_max gamma)^k,
    hs (seq_len, hidden), sigma_max, gamma, radius, activation, init, and message: "" normally, else a sentence
    about overflow or collapse (shown on the plot). Inputs x_t ~ N(0, 1) in 4 channels, W_xh ~ N(0, input_scale^2/4).
    """
    radius = check_float(radius, "radius", minimum=0.0)
    seq_len = check_int(seq_len, "seq_len", minimum=0)
    check_choice(activation, "activation", list(ACTIVATIONS))
    W_hh = recurrent_matrix(hidden_size, radius, init, seed)
    act = ACTIVATIONS[activation]
    sigma_max = float(np.linalg.norm(W_hh, 2))
    result = {"radius": radius, "activation": activation, "init": init, "sigma_max": sigma_max,
              "gamma": act.gamma, "seq_len": seq_len, "message": ""}
    if seq_len == 0:
        empty = np.zeros(0)
        return {**result, "norms": empty, "bound": empty, "hs": np.zeros((0, hidden_size)),
                "message": "length 0: there are no time steps, so no gradient to follow"}
    rng = np.random.default_rng(seed + 1)
    W_xh = rng.normal(0.0, check_float(input_scale, "input_scale", minimum=0.0) / 2.0, (hidden_size, 4))
    x = rng.normal(size=(seq_len, 4))                                 # (time, input)
    h = np.zeros(hidden_size)
    hs, pre = np.empty((seq_len, hidden_size)), np.empty((seq_len, hidden_size))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for t in range(seq_len):
            a = W_xh @ x[t] + W_hh @ h                               # (hidden,)
            h = act.f(a)
            pre[t], hs[t] = a, h
        bound = (sigma_max * act.gamma) ** np.arange(1, seq_len + 1, dtype=float)   # (time,)
        norms = jacobian_product_norms(hidden_jacobians(W_hh, pre, hs, activation))
    notes = []
    bad_state = ~np.isfinite(hs).all(axis=1)
    if bad_state.any():
        notes.append(f"overflow: the hidden state left the float64 range at step t={int(np.argmax(bad_state)) + 1}")
    elif not np.isfinite(norms).all():
        k = int(np.argmax(~np.isfinite(norms))) + 1
        notes.append(f"overflow: ||dh_T/dh_t|| exceeded 1e308 at distance T - t = {k}")
    elif norms[-1] < TINY:
        k = int(np.argmax(norms < TINY)) + 1
        notes.append(f"collapse: the gradient vanished (below 1e-300) at distance T - t = {k}")
    elif seq_len > 1 and np.abs(hs[seq_len // 2:]).max() < TINY:
        notes.append("collapse: the hidden state is exactly 0 (every unit is off)")
    if not np.isfinite(bound).all():                                  # the bound, not the measured norms
        k = int(np.argmax(~np.isfinite(bound))) + 1
        notes.append(f"the bound (sigma_max gamma)^k = {sigma_max * act.gamma:.3g}^k exceeds 1e308 from distance "
                     f"T - t = {k} (too large for a float): it is drawn only up to there")
    return {**result, "norms": norms, "bound": bound, "hs": hs, "message": "; ".join(notes)}


def gradient_view(radius: float, seq_len: int, activation: str = "tanh", init: str = "orthogonal", *,
                  hidden_size: int = 32, seed: int = 0) -> View:
    """What the explorer shows: View(data = gradient_explorer_data(...), message: overflow, collapse or a refused
    setting). Never raises for a value a control can take."""
    return view_or_message(gradient_explorer_data, radius, seq_len, activation, init, hidden_size=hidden_size,
                           seed=seed, prefix="Cannot run this setting: ")


def make_gradient_explorer(radius: float = 0.9, seq_len: int = 100, activation: str = "tanh",
                           init: str = "orthogonal", *, hidden_size: int = 32, seed: int = 0):
    """Sliders for the spectral radius and the sequence length (seq_len), menus for the activation and the
    initialisation, over the two plots of `rnnlab.viz.gradients.plot_explorer`.

    Returns an ipywidgets VBox: `box.controls` = {"radius", "seq_len", "activation", "init"} (children in that
    order, then the output); the latest View is `box.view`, its data dict also `box.state`.
    """
    import ipywidgets as widgets

    from rnnlab.viz.gradients import plot_explorer
    from rnnlab.widgets.output import show

    controls = {"radius": widgets.FloatSlider(value=radius, min=0.0, max=4.0, step=0.05, description="radius"),
                "seq_len": widgets.IntSlider(value=seq_len, min=0, max=1000, step=10, description="length T"),
                "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                               description="activation"),
                "init": widgets.Dropdown(options=INITS, value=init, description="init")}
    out = widgets.Output()
    state: dict = {}

    def redraw() -> View:
        c = controls
        view = gradient_view(c["radius"].value, c["seq_len"].value, c["activation"].value, c["init"].value,
                             hidden_size=hidden_size, seed=seed)
        state.clear()
        if not view.ok:
            show(out, view.message)
            return view
        state.update(view.data)
        fig = plot_explorer(view.data)
        show(out, fig)
        plt.close(fig)
        return view

    box = wire(controls, out, redraw)
    box.state = state
    return box
