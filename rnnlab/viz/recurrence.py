"""Figures for notebook 01: the unrolled RNN drawn as a diagram, and hidden states over time.

The unrolled picture follows Elman 1990 and the figures of Goodfellow, Bengio & Courville 2016, chapter 10.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from rnnlab.validate import check_array, check_int
from rnnlab.viz.figure import subplots


def _box(ax: plt.Axes, x: float, y: float, text: str, colour: str, w: float = 0.8, h: float = 0.55) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", fc=colour, ec="k",
                                lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float], label: str = "",
           colour: str = "k", offset: tuple[float, float] = (0.0, 0.0), style: str = "-|>") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=colour, lw=1.3))
    if label:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=9, color=colour,
                bbox={"fc": "white", "ec": "none", "pad": 0.5})


def plot_unrolled_rnn(steps: int = 4, *, many_to_one: bool = False) -> plt.Figure:
    """The RNN unrolled over `steps` time steps: inputs x_t, hidden states h_t, outputs y_t (only the last one
    when `many_to_one`), with the shared weights W_xh, W_hh, W_hy written on every arrow, and the folded loop."""
    steps = check_int(steps, "steps", minimum=1, maximum=10)
    fig, ax = subplots(figsize=(2.0 + 1.9 * steps, 3.6))
    # folded form on the left
    _box(ax, 0, 1, "$h$", "#cfe2f3")
    _box(ax, 0, 0, "$x$", "#fce5cd")
    _box(ax, 0, 2, "$y$", "#d9ead3")
    _arrow(ax, (0, 0.28), (0, 0.72), "$W_{xh}$", offset=(0.3, 0))
    _arrow(ax, (0, 1.28), (0, 1.72), "$W_{hy}$", offset=(0.3, 0))
    ax.add_patch(FancyArrowPatch((0.45, 1.2), (0.45, 0.8), connectionstyle="arc3,rad=-1.6", arrowstyle="-|>",
                                 mutation_scale=12, color="C3", lw=1.3))
    ax.text(0.95, 1.0, "$W_{hh}$", color="C3", fontsize=9, va="center")
    ax.text(1.45, 1.0, "=", fontsize=20, ha="center", va="center")
    # unrolled form
    x0 = 2.3
    _box(ax, x0 - 0.3, 1, "$h_0$", "#eeeeee", w=0.6)
    for t in range(1, steps + 1):
        cx = x0 + 1.6 * (t - 1) + 0.9
        _box(ax, cx, 0, f"$x_{t}$", "#fce5cd")
        _box(ax, cx, 1, f"$h_{t}$", "#cfe2f3")
        _arrow(ax, (cx, 0.28), (cx, 0.72), "$W_{xh}$", offset=(0.32, 0))
        prev = cx - 1.6 if t > 1 else x0 - 0.3
        _arrow(ax, (prev + (0.4 if t > 1 else 0.3), 1), (cx - 0.4, 1), "$W_{hh}$", colour="C3", offset=(0, 0.22))
        if not many_to_one or t == steps:
            _box(ax, cx, 2, f"$y_{t}$", "#d9ead3")
            _arrow(ax, (cx, 1.28), (cx, 1.72), "$W_{hy}$", offset=(0.32, 0))
    ax.set_xlim(-0.7, x0 + 1.6 * steps + 0.2)
    ax.set_ylim(-0.5, 2.5)
    ax.set_aspect("equal")
    ax.axis("off")
    kind = "many-to-one" if many_to_one else "many-to-many"
    ax.set_title(f"An RNN folded (left) and unrolled over {steps} steps ({kind}): the same weights at every step",
                 fontsize=10)
    fig.tight_layout()
    return fig


def plot_hidden_states(hs: np.ndarray, labels: Sequence[str] | None = None, *, step: int | None = None,
                       title: str = "", message: str = "") -> plt.Figure:
    """Hidden states over time as a heatmap (units x time), with the state at `step` as a bar chart beside it.

    hs: (time, hidden) values in [-1, 1] (tanh units); labels: one per time step (e.g. the characters read).
    `message` is written across the plot (used by the widget at extreme settings).
    """
    check_array(hs, "hs", shape=("time", "hidden"), nonempty=False)
    T, H = hs.shape
    fig, (ax, bx) = subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [4, 1]})
    if T == 0 or H == 0:
        for a in (ax, bx):
            a.axis("off")
        fig.text(0.5, 0.5, message or "nothing to show: the sequence is empty", ha="center", va="center",
                 fontsize=12, color="C3")
        return fig
    step = T - 1 if step is None else check_int(step, "step", minimum=0, maximum=T - 1)
    image = ax.imshow(hs.T, aspect="auto", cmap="cividis", vmin=-1, vmax=1, interpolation="nearest")  # greyscale-safe
    ax.axvline(step, color="red", lw=2, alpha=0.8)
    if labels is not None:
        if len(labels) != T:
            raise ValueError(f"got {len(labels)} labels for {T} time steps; expected one label per step")
        ax.set_xticks(range(T))
        ax.set_xticklabels([repr(c)[1:-1] if c != " " else "␣" for c in labels], fontsize=8)
    ax.set_xlabel("time step t (input read at that step)")
    ax.set_ylabel("hidden unit")
    ax.set_title(title or "hidden state $h_t$ over time")
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    bx.barh(range(H), hs[step], color=np.where(hs[step] >= 0, "C3", "C0"))
    bx.set_xlim(-1.05, 1.05)
    bx.invert_yaxis()
    bx.set_xlabel("value")
    bx.set_title(f"$h_{{{step}}}$" + (f" after {labels[step]!r}" if labels is not None else ""))
    if message:
        ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="k",
                bbox={"fc": "lightyellow", "ec": "C1"})
    fig.tight_layout()
    return fig
