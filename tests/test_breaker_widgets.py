"""Breaker findings on the widgets: Regenerate clicks coalesced, a failing redraw shown, an infinite bound said."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.widgets.contract import View, wire
from rnnlab.widgets.gradients import gradient_explorer_data


@pytest.fixture(scope="module")
def textgen_box():
    from rnnlab.data.corpora import build_char_vocab, load_corpus
    from rnnlab.models.charlm import CharLM
    from rnnlab.widgets.textgen import make_textgen_widget

    torch.manual_seed(0)
    text = load_corpus("names")[:2000]
    vocab = build_char_vocab(text)
    return make_textgen_widget(CharLM(len(vocab), 16), vocab, prompt="an", length=20)


@pytest.mark.parametrize("clicks", [1, 3, 10])
def test_a_burst_of_regenerate_clicks_generates_once(textgen_box, clicks):
    box = textgen_box
    _ = box.view                                          # nothing pending
    before, first = box.redraws, box.view.data
    for _ in range(clicks):
        box.controls["regenerate"].click()
    after_clicks = box.redraws
    view = box.view                                       # read: the one pending generation runs
    assert after_clicks - before == 0 and box.redraws - before == 1
    assert view.ok and isinstance(view.data, str) and view.data != first


@settings(max_examples=10, deadline=None)
@given(message=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30))
def test_a_redraw_that_raises_is_shown_as_the_views_message(message):
    slider = widgets.IntSlider(value=1)
    out = widgets.HTML()
    fail = {"now": False}

    def redraw():
        if fail["now"]:
            raise RuntimeError(message)
        out.value = "drawn"
        return View({"v": slider.value})

    box = wire({"v": slider}, out, redraw)
    fail["now"] = True
    slider.value = 2                                      # a change by code: redrawn at once, must not vanish
    view = box.view
    assert not view.ok and "RuntimeError" in view.message and message.strip()[:5] in view.message
    assert "could not be drawn" in out.value and "RuntimeError" in out.value


@pytest.mark.parametrize("activation, radius, length", [("tanh", 4.0, 1000), ("linear", 3.0, 800)])
def test_an_infinite_bound_is_said_in_the_message(activation, radius, length):
    data = gradient_explorer_data(radius, length, activation)
    assert not np.isfinite(data["bound"]).all()
    assert "bound" in data["message"] and "exceeds 1e308" in data["message"]


def test_a_finite_bound_adds_no_message():
    assert gradient_explorer_data(0.9, 100, "tanh")["message"] == ""
