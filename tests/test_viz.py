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
