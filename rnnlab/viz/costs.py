"""Cost against sequence length: time or memory of several models on log-log axes, with slope guides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.viz.figure import figure_of, subplots


def plot_cost_vs_length(lengths: Sequence[int], costs: Mapping[str, Sequence[float]], *, ylabel: str,
                        title: str = "", guides: Sequence[int] = (1, 2), ax: plt.Axes | None = None) -> plt.Figure:
    """One line per model, `costs[label][i]` measured at `lengths[i]`, on log-log axes.

    `guides` draws dotted reference lines of slope 1 (linear in T) and 2 (quadratic), anchored at the first
    point of the first curve, so a curve's growth can be read against them.
    """
    lengths = np.asarray(lengths, dtype=float)
    if lengths.ndim != 1 or lengths.size < 2 or (lengths <= 0).any():
        raise ValueError(f"lengths must be at least two positive numbers, got {lengths.tolist()}")
    if not costs:
        raise ValueError("costs is empty; expected {label: values, ...}")
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(5.5, 3.8))
    for label, values in costs.items():
        values = np.asarray(values, dtype=float)
        if values.shape != lengths.shape:
            raise ValueError(f"costs[{label!r}] has {values.size} values for {lengths.size} lengths")
        ax.plot(lengths, values, marker="o", label=label)
    first = np.asarray(next(iter(costs.values())), dtype=float)[0]
    for slope in guides:
        ax.plot(lengths, first * (lengths / lengths[0]) ** slope, ls=":", color="grey", lw=1)
        # label the guide at 60% of its length (in log space), above the line and inside the axes
        x_label = lengths[0] * (lengths[-1] / lengths[0]) ** 0.6
        ax.annotate(f"∝ T{'²' if slope == 2 else '' if slope == 1 else f'^{slope}'}",
                    (x_label, first * (x_label / lengths[0]) ** slope), xytext=(-4, 4),
                    textcoords="offset points", fontsize=11, color="dimgrey", ha="right", va="bottom",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig
