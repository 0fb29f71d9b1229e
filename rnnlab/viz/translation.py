"""Figures for translation: attention heatmaps, score against source length, accuracy per target position."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.viz.figure import figure_of, subplots


def plot_attention(weights: np.ndarray, source_tokens: Sequence[str], target_tokens: Sequence[str], *,
                   title: str = "", ax: plt.Axes | None = None) -> plt.Figure:
    """Heatmap of attention weights (target_len, source_len): row i = where output token i looked."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D (target_len, source_len), got shape {w.shape}")
    if w.shape != (len(target_tokens), len(source_tokens)):
        raise ValueError(f"weights have shape {w.shape}, but there are {len(target_tokens)} target and "
                         f"{len(source_tokens)} source tokens")
    if ax is None:
        width = min(2 + 0.32 * len(source_tokens), 14)
        height = min(1.5 + 0.3 * len(target_tokens), 12)
        fig, ax = subplots(figsize=(width, height))
    else:
        fig = figure_of(ax)
    im = ax.imshow(w, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source_tokens)), [repr(t)[1:-1] if t == " " else t for t in source_tokens],
                  rotation=90, fontsize=8)
    ax.set_yticks(range(len(target_tokens)), list(target_tokens), fontsize=8)
    ax.set_xlabel("source token")
    ax.set_ylabel("output token")
    if title:
        ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.04, label="attention weight")
    fig.tight_layout()
    return fig


def plot_scores_by_length(curves: Mapping[str, Mapping[str, float]], *, ylabel: str = "BLEU",
                          counts: Mapping[str, int] | None = None, title: str = "",
                          ax: plt.Axes | None = None) -> plt.Figure:
    """Score per source-length bucket, one line per model: curves[label] = {'1-5': score, '6-10': ...}."""
    if not curves:
        raise ValueError("curves is empty; expected {model label: {bucket: score}}")
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(6.5, 3.8))
    buckets = list(next(iter(curves.values())))
    for label, scores in curves.items():
        if list(scores) != buckets:
            raise ValueError(f"curve {label!r} has buckets {list(scores)}, expected {buckets}")
        ax.plot(range(len(buckets)), [scores[b] for b in buckets], marker="o", label=label)
    names = [f"{b}\n(n={counts[b]})" if counts else b for b in buckets]
    ax.set_xticks(range(len(buckets)), names, fontsize=8)
    ax.set_xlabel("source length (tokens)")
    ax.set_ylabel(ylabel)
    return _finish(fig, ax, title)


def plot_position_accuracy(curves: Mapping[str, Sequence[float]], *, title: str = "",
                           ax: plt.Axes | None = None) -> plt.Figure:
    """Token accuracy at each output position, one line per decoding mode (e.g. teacher forced, free running)."""
    if not curves:
        raise ValueError("curves is empty; expected {label: accuracy per position}")
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(6.5, 3.5))
    for label, acc in curves.items():
        acc = np.asarray(acc, dtype=float)
        ax.plot(np.arange(1, acc.size + 1), acc, marker="o", ms=3, label=label)
    ax.set_xlabel("output position")
    ax.set_ylabel("token accuracy")
    ax.set_ylim(0, 1.02)
    return _finish(fig, ax, title)


def _finish(fig: plt.Figure, ax: plt.Axes, title: str) -> plt.Figure:
    """Title (if any), grid, legend and tight layout: the common end of the line plots here."""
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
