"""Pictures of gated RNNs: gate activations as heatmaps over time, and the gradient norm over time.

References: Hochreiter & Schmidhuber 1997 (LSTM); Cho et al. 2014 (GRU); Karpathy, Johnson & Fei-Fei 2015
("Visualizing and understanding recurrent networks": gate activations over time as a lens on what a cell does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.viz.figure import figure_of, subplots

# how each gate's values are coloured: gates live in [0, 1], states and candidates in [-1, 1] (c is unbounded)
_RANGES = {"input": (0, 1), "forget": (0, 1), "output": (0, 1), "reset": (0, 1), "update": (0, 1),
           "cell": (-1, 1), "new": (-1, 1), "h": (-1, 1)}
_TITLES = {"input": "input gate i", "forget": "forget gate f", "output": "output gate o",
           "cell": "candidate g", "c": "cell state c", "h": "hidden state h",
           "reset": "reset gate r", "update": "update gate z", "new": "candidate n"}


def plot_gates(gates: Mapping[str, np.ndarray], *, t: int | None = None, inputs: np.ndarray | None = None,
               input_labels: Sequence[str] | None = None, names: Sequence[str] | None = None,
               title: str = "") -> plt.Figure:
    """One heatmap per gate (units down, time across), an optional input strip on top, a line at step `t`.

    gates: name -> array (time, units), e.g. from `rnnlab.widgets.gates.gate_activations`.
    inputs: optional (time, features) array drawn as lines above the heatmaps.
    names: which gates to draw, in order (default: all of them).
    """
    names = list(names) if names is not None else list(gates)
    if not names:
        raise ValueError("no gates to draw; expected at least one name -> (time, units) array")
    missing = [n for n in names if n not in gates]
    if missing:
        raise KeyError(f"gates {missing} not found; available: {list(gates)}")
    arrays = [np.asarray(gates[n], dtype=float) for n in names]
    for n, a in zip(names, arrays, strict=True):
        if a.ndim != 2:
            raise ValueError(f"gate {n!r} must be a (time, units) array, got shape {a.shape}")
    T = arrays[0].shape[0]
    rows = len(names) + (inputs is not None)
    fig, axes = subplots(rows, 1, figsize=(8, 1.2 + 1.35 * rows), sharex=True, squeeze=False)
    axes = list(axes[:, 0])
    if inputs is not None:
        ax = axes.pop(0)
        inputs = np.asarray(inputs, dtype=float).reshape(T, -1)                  # (time, features)
        for k in range(inputs.shape[1]):
            label = input_labels[k] if input_labels is not None and k < len(input_labels) else f"x[{k}]"
            ax.plot(np.arange(T), inputs[:, k], lw=1, label=label)
        ax.set_ylabel("input")
        ax.legend(fontsize=7, loc="upper right")
        if t is not None:
            ax.axvline(t, color="red", lw=1)
        ax.set_xlim(-0.5, T - 0.5)
        spacer = fig.colorbar(plt.cm.ScalarMappable(), ax=ax, pad=0.01, fraction=0.03)
        spacer.ax.set_visible(False)  # keeps the input strip aligned with the heatmaps, which have colour bars
    for ax, n, a in zip(axes, names, arrays, strict=True):
        lo, hi = _RANGES.get(n, (None, None))
        if lo is None:  # the cell state is unbounded: a symmetric scale around 0
            m = max(float(np.abs(a).max()), 1e-6)
            lo, hi = -m, m
        cmap = "viridis" if lo == 0 else "cividis"  # both keep their order in greyscale and for colour-blind readers
        im = ax.imshow(a.T, aspect="auto", cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest",
                       extent=(-0.5, T - 0.5, a.shape[1] - 0.5, -0.5))
        ax.set_ylabel("unit")
        ax.set_title(_TITLES.get(n, n), fontsize=9, loc="left")
        fig.colorbar(im, ax=ax, pad=0.01, fraction=0.03)
        if t is not None:
            ax.axvline(t, color="red", lw=1)
    axes[-1].set_xlabel("time step t")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_gradient_flow(norms: Mapping[str, np.ndarray], *, title: str = "", floor: float = 1e-300,
                       ax: plt.Axes | None = None, styles: Mapping[str, str] | None = None) -> plt.Figure:
    """||dL/dh_t|| against t for several models on one log-scale plot; `norms[label] = array (time,)`.

    Values below `floor` (exact zeros after underflow) are drawn at `floor`.
    """
    if not norms:
        raise ValueError("norms is empty; expected {label: array of shape (time,)}")
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(7, 3.8))
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"norms[{label!r}] must be 1-D (time,), got shape {values.shape}")
        ls = (styles or {}).get(label, "-")
        ax.plot(np.arange(values.size), np.maximum(values, floor), ls, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("time step t (the loss is read at the last step)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
