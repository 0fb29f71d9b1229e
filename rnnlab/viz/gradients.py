"""Figures for notebooks 02 and 03: the paths a gradient takes through the unrolled RNN, gradient norms against
the distance in time (measured beside the bound), and the explorer's two panels.

References: Werbos 1990 (BPTT); Bengio, Simard & Frasconi 1994 and Pascanu, Mikolov & Bengio 2013 (the bound
||dh_T/dh_t|| <= (sigma_max(W_hh) * gamma)^(T-t)).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from rnnlab.validate import check_array, check_int
from rnnlab.viz.figure import figure_of, subplots


def _node(ax: plt.Axes, x: float, y: float, text: str, colour: str) -> None:
    ax.add_patch(FancyBboxPatch((x - 0.35, y - 0.25), 0.7, 0.5, boxstyle="round,pad=0.04", fc=colour, ec="k"))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _back(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float], colour: str, label: str = "",
          rad: float = 0.0, lw: float = 1.6, ls: str = "-") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=13, color=colour, lw=lw, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}"))
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.22, label, ha="center", fontsize=9,
                color=colour, bbox={"fc": "white", "ec": "none", "pad": 0.3})


def plot_gradient_paths(steps: int = 4) -> plt.Figure:
    """BPTT drawn backwards (column vectors, as in notebook 02): every loss term l_t sends its gradient down
    into h_t (dl_t/dh_t), and every h_t passes
    the sum of what reached it back to h_{t-1} through J_t = diag(f'(a_t)) W_hh; each W_hh gradient is a sum over
    the steps. The dashed green arrow is a shorthand for the path through all the J's, not a connection."""
    steps = check_int(steps, "steps", minimum=1, maximum=8)
    fig, ax = subplots(figsize=(2.2 * steps + 1.5, 3.8))
    for t in range(1, steps + 1):
        cx = 2.0 * t
        _node(ax, cx, 0, f"$h_{t}$", "#cfe2f3")
        _node(ax, cx, 1.6, rf"$\ell_{t}$", "#f4cccc")
        _back(ax, (cx, 1.33), (cx, 0.27), "C3", "")
        ax.text(cx + 0.1, 0.8, rf"$\frac{{\partial \ell_{t}}}{{\partial h_{t}}}$", fontsize=11, color="C3")
        prev = cx - 2.0
        if t > 1:
            _back(ax, (cx - 0.37, 0), (prev + 0.37, 0), "C0", f"$J_{t}^\\top$")
        direct = rf"\delta_{t} = \frac{{\partial \ell_{t}}}{{\partial h_{t}}}"
        ax.text(cx, -0.62, rf"${direct} + J_{{{t + 1}}}^\top \delta_{{{t + 1}}}$" if t < steps else f"${direct}$",
                ha="center", fontsize=9)
    _node(ax, 0.0, 0, "$h_0$", "#eeeeee")
    _back(ax, (2.0 - 0.37, 0), (0.37, 0), "C0", "$J_1^\\top$")
    # the long path from the last loss to the first state
    _back(ax, (2.0 * steps - 0.2, 1.35), (2.0 + 0.2, 0.3), "C2", "", rad=0.25, lw=1.2, ls="--")
    ax.text(steps + 1.0, 2.25, rf"dashed: shorthand for $\partial \ell_{steps} / \partial h_1 = J_2^\top \cdots "
            rf"J_{steps}^\top\, \partial \ell_{steps} / \partial h_{steps}$, a product of {steps - 1} Jacobians "
            "(not a connection)",
            color="C2", ha="center", fontsize=10)
    ax.set_xlim(-0.6, 2.0 * steps + 0.8)
    ax.set_ylim(-1.0, 2.55)
    ax.axis("off")
    ax.set_title("Backpropagation through time: gradients flow right to left, down from every loss and back "
                 "through every step", fontsize=10)
    fig.tight_layout()
    return fig


def plot_gradient_norms(curves: Mapping[str, np.ndarray], bounds: Mapping[str, np.ndarray] | None = None, *,
                        ax: plt.Axes | None = None, title: str = "") -> plt.Figure:
    """||dh_T/dh_t|| against T - t on a log scale: `curves[label] = norms` with norms[k-1] at distance k, and
    optional dashed bounds with the same labels (same colour)."""
    if not curves:
        raise ValueError("curves is empty; expected at least one {label: norms}")
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(6.5, 4))
    for i, (label, norms) in enumerate(curves.items()):
        norms = np.asarray(norms, dtype=float)
        check_array(norms, f"curves[{label!r}]", ndim=1)
        k = np.arange(1, norms.size + 1)
        shown = np.isfinite(norms) & (norms > 0)
        ax.semilogy(k[shown], norms[shown], color=f"C{i}", label=label)
        if bounds is not None and label in bounds:
            b = np.asarray(bounds[label], dtype=float)
            ok = np.isfinite(b) & (b > 0)
            ax.semilogy(np.arange(1, b.size + 1)[ok], b[ok], color=f"C{i}", ls="--", lw=1)
    if bounds:
        ax.plot([], [], color="gray", ls="--", lw=1, label=r"bound $(\sigma_{max}\gamma)^{T-t}$")
    ax.set_xlabel("distance in time  T - t")
    ax.set_ylabel(r"$\| \partial h_T / \partial h_t \|_2$")
    ax.set_title(title or "How the gradient shrinks or grows with distance")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def plot_explorer(result: Mapping) -> plt.Figure:
    """The explorer's two panels from a `rnnlab.widgets.gradients.gradient_explorer_data` result: the gradient
    norm against T - t beside the bound, and a few hidden units over time; the result's message on the plot."""
    fig, (ax, bx) = subplots(1, 2, figsize=(11, 3.8))
    norms, bound, hs = result["norms"], result["bound"], result["hs"]
    k = np.arange(1, norms.size + 1)
    # log10 on a linear axis: matplotlib's log axis cannot span 1e-300 .. 1e300
    with np.errstate(divide="ignore", invalid="ignore"):
        log_norms, log_bound = np.log10(norms), np.log10(bound)
    shown, ok = np.isfinite(log_norms), np.isfinite(log_bound)
    if shown.any():
        ax.plot(k[shown], log_norms[shown], label=r"measured $\|\partial h_T/\partial h_t\|$")
    if ok.any():
        ax.plot(k[ok], log_bound[ok], "k--", lw=1, label=r"bound $(\sigma_{max}\gamma)^{T-t}$")
    ax.set_xlabel("distance in time  T - t")
    ax.set_ylabel(r"$\log_{10}$ gradient norm")
    ax.set_title(f"{result['activation']}, {result['init']} init, radius {result['radius']:g}: "
                 rf"$\sigma_{{max}}\gamma$ = {result['sigma_max'] * result['gamma']:.3g}", fontsize=10)
    ax.grid(alpha=0.3)
    if shown.any() or ok.any():
        ax.legend(fontsize=8, loc="best")
    finite = np.isfinite(hs).all(axis=1) if hs.size else np.zeros(0, dtype=bool)
    t = np.arange(1, hs.shape[0] + 1)
    big = bool(finite.any() and np.abs(hs[finite]).max() > 1e6)
    shown_hs = np.sign(hs) * np.log10(1 + np.abs(hs)) if big else hs
    for unit in range(min(5, hs.shape[1])):
        bx.plot(t[finite], shown_hs[finite, unit], lw=1)
    bx.set_xlabel("time step t")
    bx.set_ylabel(r"$\mathrm{sign}(h)\log_{10}(1+|h|)$" if big else "hidden units $h_t$ (5 of them)")
    bx.set_title("hidden-state trajectory (5 units)", fontsize=10)
    bx.grid(alpha=0.3)
    if result.get("message"):
        for a in (ax, bx):
            a.text(0.5, 0.5, result["message"], transform=a.transAxes, ha="center", va="center", fontsize=10,
                   color="C3", wrap=True, bbox={"fc": "lightyellow", "ec": "C3"})
    fig.tight_layout()
    return fig
