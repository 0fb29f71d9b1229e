"""Breaker findings on rnnlab.viz: figures drawn on a user's ax= show once; negative losses on a log axis."""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.train import History
from rnnlab.viz.costs import plot_cost_vs_length
from rnnlab.viz.curves import plot_history, plot_learning_curves
from rnnlab.viz.figure import ShownOnceFigure, figure_of
from rnnlab.viz.gradients import plot_gradient_norms
from rnnlab.viz.translation import plot_position_accuracy, plot_scores_by_length


def _history(losses):
    h = History()
    h.steps, h.loss, h.grad_norm = list(range(1, len(losses) + 1)), list(losses), [1.0] * len(losses)
    return h


CALLS = {
    "plot_history": lambda ax: plot_history(_history([3.0, 2.0, 1.0]), ax=ax),
    "plot_learning_curves": lambda ax: plot_learning_curves({"a": ([1, 2], [1.0, 0.5])}, ax=ax),
    "plot_cost_vs_length": lambda ax: plot_cost_vs_length([10, 20], {"rnn": [1.0, 2.0]}, ylabel="s", ax=ax),
    "plot_gradient_norms": lambda ax: plot_gradient_norms({"tanh": np.array([1.0, 0.5, 0.25])}, ax=ax),
    "plot_scores_by_length": lambda ax: plot_scores_by_length({"attn": {"1-5": 0.5, "6-10": 0.4}}, ax=ax),
    "plot_position_accuracy": lambda ax: plot_position_accuracy({"attn": [0.9, 0.8]}, ax=ax),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_figure_drawn_on_the_users_axes_shows_once(name):
    fig, ax = plt.subplots()                      # a plain Figure: IPython would draw it twice as a last value
    try:
        out = CALLS[name](ax)
        assert out is fig and isinstance(out, ShownOnceFigure) and hasattr(out, "_ipython_display_")
    finally:
        plt.close(fig)


def test_figure_of_leaves_other_figure_classes_alone():
    class Mine(matplotlib.figure.Figure):
        pass

    fig = plt.figure(FigureClass=Mine)
    try:
        assert type(figure_of(fig.add_subplot())) is Mine
    finally:
        plt.close(fig)


@settings(max_examples=20, deadline=None)
@given(losses=st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=30).filter(
    lambda v: min(v) <= 0))
def test_zero_or_negative_losses_fall_back_to_a_linear_axis_and_say_why(losses):
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # no "Data has no positive values" UserWarning
        fig = plot_history(_history(losses))
        fig2 = plot_learning_curves({"nll": (list(range(len(losses))), losses)})
    try:
        for f in (fig, fig2):
            ax = f.axes[0]
            assert ax.get_yscale() == "linear"
            assert any("linear scale" in t.get_text() for t in ax.texts)
    finally:
        plt.close(fig)
        plt.close(fig2)


def test_positive_losses_keep_the_log_axis():
    fig = plot_history(_history([3.0, 2.0, 1.0]))
    try:
        assert fig.axes[0].get_yscale() == "log" and not fig.axes[0].texts
    finally:
        plt.close(fig)
