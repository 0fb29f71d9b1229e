"""Learning curves: training loss and evaluation metrics against the step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.train import History
from rnnlab.viz.figure import figure_of, subplots


def smooth(values: Sequence[float], window: int = 25) -> np.ndarray:
    """Running mean over `window` points (shorter at the start), for noisy loss curves."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {values.shape}")
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if values.size == 0:
        return values
    csum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


def _log_or_linear(ax: plt.Axes, values: Sequence[float]) -> None:
    """Log scale on y, unless a value to draw is zero or negative (a log axis would leave the plot empty and
    warn): then a linear scale, and a note on the plot saying why."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size and (arr <= 0).any():
        ax.text(0.99, 0.02, f"linear scale: a value is {arr.min():.3g} (<= 0), which a log scale cannot show",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="0.35")
        return
    ax.set_yscale("log")


def plot_history(history: History, metrics: Sequence[str] = (), *, logy: bool = True,
                 smooth_window: int = 25, ax: plt.Axes | None = None, label: str = "") -> plt.Figure:
    """Training loss (smoothed) and any evaluation metrics against the step. `logy`: log scale on y, unless a
    value is zero or negative (e.g. a negative log-likelihood): then linear, with a note on the plot saying why."""
    if not isinstance(history, History):
        raise TypeError(f"history must be an rnnlab.train.History, got {type(history).__name__}")
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(6, 3.5))
    prefix = f"{label} " if label else ""
    drawn: list[float] = []
    if history.loss:
        ax.plot(history.steps, smooth(history.loss, smooth_window), label=f"{prefix}train loss")
        drawn.extend(history.loss)
    for name in metrics:
        steps, values = history.metric(name)
        ax.plot(steps, values, marker="o", ms=3, label=f"{prefix}{name}")
        drawn.extend(values)
    if logy:
        _log_or_linear(ax, drawn)
    ax.set_xlabel("step")
    ax.set_ylabel("loss / metric" if metrics else "training loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_learning_curves(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], *,
                         baseline: float | None = None, baseline_label: str = "baseline",
                         logy: bool = True, ylabel: str = "loss", title: str = "",
                         ax: plt.Axes | None = None) -> plt.Figure:
    """Several learning curves on one plot: `curves[label] = (steps, values)`; an optional baseline line.

    NaN and infinite values are not drawn as numbers: each curve's non-finite steps are marked with an "x" on
    the top edge of the plot, labelled with the first such step (a blown-up run is visible, never drawn at 1e38).
    """
    if not curves:
        raise ValueError("curves is empty; expected at least one {label: (steps, values)}")
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(6.5, 3.8))
    top = ax.get_xaxis_transform()                   # x in data units, y in axes units (1 = top edge)
    for i, (label, (steps, values)) in enumerate(curves.items()):
        steps, values = np.asarray(steps), np.asarray(values, dtype=float)
        if steps.shape != values.shape:
            raise ValueError(f"curve {label!r}: steps {steps.shape} and values {values.shape} differ in shape")
        finite = np.isfinite(values)
        ax.plot(steps[finite], values[finite], color=f"C{i}", label=label)
        if not finite.all():
            ax.plot(steps[~finite], np.full((~finite).sum(), 0.98), "x", color=f"C{i}", ms=8, clip_on=False,
                    transform=top, label=f"{label}: NaN / inf from step {steps[~finite][0]}")
    if baseline is not None:
        ax.axhline(baseline, color="k", ls="--", lw=1, label=baseline_label, zorder=1.5)  # under the curves
    if logy:
        _log_or_linear(ax, [v for _, values in curves.values() for v in np.asarray(values, dtype=float).ravel()]
                       + ([baseline] if baseline is not None else []))
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
