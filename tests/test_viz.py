import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlab.train import History  # noqa: E402
from rnnlab.viz import plot_history, plot_learning_curves, smooth  # noqa: E402


def test_smooth_is_a_running_mean():
    assert np.allclose(smooth([1, 3, 5, 7], window=2), [1, 2, 4, 6])
    assert smooth([], window=3).size == 0
    with pytest.raises(ValueError, match="window must be >= 1"):
        smooth([1.0], window=0)


def test_plot_history_draws_loss_and_metrics():
    h = History(steps=[1, 2, 3], loss=[3.0, 2.0, 1.0], evals=[{"step": 3, "mse": 0.5}])
    fig = plot_history(h, metrics=["mse"])
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["train loss", "mse"]
    with pytest.raises(TypeError, match="History"):
        plot_history({"loss": [1]})


def test_plot_learning_curves_with_baseline():
    fig = plot_learning_curves({"lstm": ([1, 2], [0.2, 0.1]), "rnn": ([1, 2], [0.2, 0.2])}, baseline=1 / 6)
    assert len(fig.axes[0].lines) == 3
    with pytest.raises(ValueError, match="curves is empty"):
        plot_learning_curves({})
    with pytest.raises(ValueError, match="differ in shape"):
        plot_learning_curves({"x": ([1, 2], [1.0])})


def test_non_finite_values_are_marked_not_drawn():
    """A blown-up run: its NaN / inf steps are marked on the top edge, never plotted as huge numbers."""
    fig = plot_learning_curves({"raw": ([1, 2, 3, 4], [1.0, 1e30, np.inf, np.nan]), "clipped": ([1, 2], [1.0, 0.5])})
    lines = {line.get_label(): line for line in fig.axes[0].lines}
    assert lines["raw"].get_ydata().tolist() == [1.0, 1e30]
    marks = lines["raw: NaN / inf from step 3"]
    assert marks.get_xdata().tolist() == [3, 4] and marks.get_marker() == "x"
    assert "clipped: NaN / inf from step 3" not in lines
    assert fig.axes[0].get_ylim()[1] < 1e32


def test_live_plot_draws_in_place_and_keeps_the_last_drawing(monkeypatch):
    """LivePlot displays once with a display_id, then updates that output; the end draws the final curve."""
    import torch
    from torch import nn

    import rnnlab.viz.live as live
    from rnnlab.train import TrainConfig, train

    shown = []

    class Handle:
        def update(self, fig):
            shown.append(("update", [len(line.get_xdata()) for line in fig.axes[0].lines], fig.axes[0].get_title()))

    def fake_display(fig, display_id=False):
        assert display_id is True
        shown.append(("display", [len(line.get_xdata()) for line in fig.axes[0].lines], fig.axes[0].get_title()))
        return Handle()

    monkeypatch.setattr(live, "display", fake_display)
    x, y = torch.randn(8, 2), torch.randn(8, 1)
    train(nn.Linear(2, 1), lambda: (x, y), lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]),
          TrainConfig(steps=7, eval_every=3, progress=False, desc="linear"), evaluate=lambda m: {"mse": 1.0},
          callbacks=[live.LivePlot(every=3, metrics=("mse",))])
    # drawn at steps 3 and 6 (before that step's evaluation) and at the end (evaluations at 3, 6, 7), each
    # titled with the training's label and the step reached
    assert shown == [("display", [3], "linear: step 3 of 7"), ("update", [6, 1], "linear: step 6 of 7"),
                     ("update", [7, 3], "linear: step 7 of 7")]


def test_live_plot_takes_a_title():
    import unittest.mock

    import torch
    from torch import nn

    import rnnlab.viz.live as live
    from rnnlab.train import TrainConfig, train

    x, y = torch.randn(8, 2), torch.randn(8, 1)
    with unittest.mock.patch.object(live, "display") as display:
        train(nn.Linear(2, 1), lambda: (x, y), lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]),
              TrainConfig(steps=2, progress=False), callbacks=[live.LivePlot(every=2, title="my GRU")])
    fig = display.call_args.args[0]
    assert fig.axes[0].get_title() == "my GRU: step 2 of 2"
