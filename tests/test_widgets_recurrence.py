import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlab.viz.recurrence import plot_hidden_states, plot_unrolled_rnn  # noqa: E402
from rnnlab.widgets.recurrence import (  # noqa: E402
    ALPHABET,
    MAX_LENGTH,
    encode_text,
    make_recurrence_widget,
    text_hidden_states,
)


def test_encode_text_one_hot_and_unknown_slot():
    x, chars = encode_text("Ab€")
    assert x.shape == (1, 3, len(ALPHABET) + 1)
    assert chars == ["a", "b", "€"]
    assert x.sum() == 3 and x[0, 2, -1] == 1.0
    with pytest.raises(TypeError, match="text must be a str"):
        encode_text(5)


def test_text_hidden_states_ordinary_and_extreme():
    r = text_hidden_states("hello", hidden_size=8)
    assert r["hs"].shape == (5, 8) and r["message"] == ""
    assert np.abs(r["hs"]).max() < 1
    again = text_hidden_states("hello", hidden_size=8)
    np.testing.assert_array_equal(r["hs"], again["hs"])
    zero = text_hidden_states("hello", hidden_size=8, weight_scale=0.0)
    np.testing.assert_allclose(zero["hs"][2], zero["hs"][3])  # the two l's: no memory at scale 0
    assert zero["spectral_radius"] == 0.0
    big = text_hidden_states("hello world " * 3, weight_scale=1e6)
    assert np.isfinite(big["hs"]).all() and "saturate" in big["message"]
    empty = text_hidden_states("")
    assert empty["hs"].shape == (0, 16) and "empty" in empty["message"]
    long = text_hidden_states("a" * 500)
    assert long["hs"].shape[0] == MAX_LENGTH and "first" in long["message"]
    assert "not in the alphabet" in text_hidden_states("ü")["message"]
    with pytest.raises(ValueError, match="weight_scale must be >= 0"):
        text_hidden_states("a", weight_scale=-1.0)
    with pytest.raises(TypeError, match="hidden_size must be an integer"):
        text_hidden_states("a", hidden_size=2.5)


def test_widget_reacts_to_sliders_and_text():
    w = make_recurrence_widget("abc abc", hidden_size=4)
    text, step, scale, out = w.children
    assert w.state["hs"].shape == (7, 4)
    step.value = 5
    assert w.state["step"] == 5
    scale.value = 0.0
    assert w.state["spectral_radius"] == 0.0
    text.value = "xy"
    assert step.max == 1 and w.state["step"] == 1
    text.value = ""
    assert "empty" in w.state["message"]
    text.value = "back"
    assert w.state["hs"].shape == (4, 4)
    plt.close("all")


def test_figures():
    fig = plot_unrolled_rnn(3, many_to_one=True)
    assert "many-to-one" in fig.axes[0].get_title()
    fig = plot_hidden_states(np.zeros((4, 3)), list("abcd"), step=2, message="note")
    assert len(fig.axes) == 3  # heatmap, bars, colour bar
    fig = plot_hidden_states(np.zeros((0, 3)), [])
    assert any("empty" in t.get_text() for t in fig.texts)
    with pytest.raises(ValueError, match="one label per step"):
        plot_hidden_states(np.zeros((4, 3)), list("ab"))
    with pytest.raises(ValueError, match="steps must be <= 10"):
        plot_unrolled_rnn(50)
    plt.close("all")
