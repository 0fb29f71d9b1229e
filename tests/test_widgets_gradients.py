import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlab.experiments.gradients import ClippingConfig, run_clipping  # noqa: E402
from rnnlab.viz.gradients import plot_explorer, plot_gradient_norms, plot_gradient_paths  # noqa: E402
from rnnlab.widgets.gradients import (  # noqa: E402
    INITS,
    gradient_explorer_data,
    make_gradient_explorer,
    recurrent_matrix,
)


@pytest.mark.parametrize("init", INITS)
def test_recurrent_matrix_has_the_requested_spectral_radius(init):
    W = recurrent_matrix(16, 0.7, init, seed=3)
    assert np.abs(np.linalg.eigvals(W)).max() == pytest.approx(0.7)
    if init != "random":
        np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 0.7)  # all singular values equal


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("init", INITS)
def test_measured_norms_never_exceed_the_bound(activation, init):
    r = gradient_explorer_data(1.3, 60, activation, init, hidden_size=12)
    finite = np.isfinite(r["norms"])
    assert (r["norms"][finite] <= r["bound"][finite] * (1 + 1e-9)).all()
    assert r["hs"].shape == (60, 12)


def test_orthogonal_linear_rnn_norms_equal_the_bound():
    r = gradient_explorer_data(0.9, 50, "linear", "orthogonal")
    np.testing.assert_allclose(r["norms"], 0.9 ** np.arange(1, 51), rtol=1e-9)


def test_extreme_settings_give_messages_not_errors():
    over = gradient_explorer_data(3.0, 1000, "linear", "orthogonal")
    assert over["message"].startswith("overflow")
    collapse = gradient_explorer_data(0.5, 1000, "sigmoid", "random")
    assert collapse["message"].startswith("collapse")
    zero = gradient_explorer_data(0.0, 10, "tanh", "identity")
    assert zero["message"].startswith("collapse")
    empty = gradient_explorer_data(1.0, 0)
    assert "length 0" in empty["message"] and empty["norms"].size == 0
    assert gradient_explorer_data(0.9, 100)["message"] == ""
    for r in (over, collapse, zero, empty):
        plot_explorer(r)
    plt.close("all")


def test_bad_inputs():
    with pytest.raises(ValueError, match="radius must be >= 0"):
        gradient_explorer_data(-1.0, 10)
    with pytest.raises(ValueError, match="activation must be one of"):
        gradient_explorer_data(1.0, 10, "gelu")
    with pytest.raises(ValueError, match="init must be one of"):
        recurrent_matrix(4, 1.0, "xavier")
    with pytest.raises(ValueError, match="curves is empty"):
        plot_gradient_norms({})


def test_explorer_widget_reacts():
    w = make_gradient_explorer(hidden_size=8)
    radius, length, activation, init, out = w.children
    assert w.state["message"] == ""
    activation.value = "linear"
    radius.value = 3.0
    length.value = 1000
    assert w.state["message"].startswith("overflow")
    length.value = 0
    assert "length 0" in w.state["message"]
    length.value = 50
    init.value = "identity"
    activation.value = "relu"
    assert w.state["init"] == "identity" and w.state["activation"] == "relu" and w.state["norms"].shape == (50,)
    plt.close("all")


def test_figures_draw():
    plot_gradient_paths(3)
    fig = plot_gradient_norms({"a": np.array([1.0, 0.5, 0.0, np.inf])}, {"a": np.array([1.0, 0.5, 0.25, 0.1])})
    assert fig.axes[0].get_yscale() == "log"
    plt.close("all")


@pytest.mark.slow
def test_clipping_experiment_short_run():
    r = run_clipping(ClippingConfig(steps=100, progress=False))
    m = r.metrics
    assert m["unclipped_diverged"] == 1.0 and m["clipped_diverged"] == 0.0
    assert m["unclipped_max_grad_norm"] > 1e6
    assert math.isfinite(m["clipped_final_loss"]) and m["clipped_final_loss"] < m["initial_loss"]
    assert set(r.history) == {"no clipping", "clipping"}
