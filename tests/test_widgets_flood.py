"""Issue 24 kind D (case widget_flood.py): every widget's controls update when released, and a burst of changes
from the front end costs at most two redraws (one running, one pending for the latest value).

The burst is replayed as the front end sends it (`control.set_state`, what ipywidgets calls on a comm message),
outside an event loop (drawn when read) and inside one (drawn by the loop, like a kernel).
"""

from __future__ import annotations

import asyncio

import pytest
from test_widget_extremes import BOXES, small_figures  # noqa: F401 - the fixture applies here too

from rnnlab.widgets.contract import REDRAW_DELAY_S, Redrawer, View, from_front_end


def _burst(control, n: int = 12) -> list[dict]:
    """The states a drag (or typing) sends for `control`: n successive values, ending away from the start."""
    import ipywidgets as widgets

    if isinstance(control, widgets.SelectionSlider | widgets.Dropdown | widgets.ToggleButtons):
        k = len(control.options)
        return [{"index": (control.index + 1 + i) % k} for i in range(max(n, k))]
    if isinstance(control, widgets.IntSlider | widgets.FloatSlider):
        lo, hi = control.min, control.max
        values = [lo + (hi - lo) * (i + 1) / n for i in range(n)]
        values = [int(round(v)) if isinstance(control, widgets.IntSlider) else v for v in values]
        return [{"value": v} for v in values if v != control.value] or [{"value": lo}]
    if isinstance(control, widgets.Text | widgets.Textarea):
        return [{"value": control.value[: max(1, len(control.value) - i)]} for i in range(1, n)] + \
               [{"value": "abc"}]
    raise AssertionError(f"no burst for a {type(control).__name__}")


def _expensive(box):
    """The control to drag: the first slider, else the first control with a value."""
    import ipywidgets as widgets

    valued = [(n, c) for n, c in box.controls.items() if "value" in c.traits()]
    sliders = [(n, c) for n, c in valued if isinstance(c, widgets.IntSlider | widgets.FloatSlider)]
    return (sliders or valued)[0]


@pytest.mark.parametrize("make", list(BOXES.values()), ids=list(BOXES))
def test_controls_update_on_release_and_a_burst_redraws_at_most_twice(make):
    box = make()
    for name, control in box.controls.items():
        if "continuous_update" in control.traits():
            assert control.continuous_update is False, f"{name} sends every intermediate value"
    name, control = _expensive(box)
    states = _burst(control)
    before = box.redraws
    for state in states:
        control.set_state(state)                   # what the kernel does for each comm message
    assert box.redraws - before == 0 and box._redrawer.stale   # nothing drawn yet: nobody looks
    view = box.view                                 # reading it draws once, for the last value
    assert isinstance(view, View) and box.redraws - before == 1, f"{name}: {box.redraws - before} redraws"
    last = states[-1]
    want = control.options[last["index"]] if "index" in last else last["value"]
    got = control.value if "index" not in last else control.options[control.index]
    assert got == want


@pytest.mark.parametrize("make", [BOXES["textgen"], BOXES["gradients"], BOXES["recurrence"]],
                         ids=["textgen", "gradients", "recurrence"])
def test_a_burst_inside_an_event_loop_is_drawn_by_the_loop_once(make):
    box = make()
    name, control = _expensive(box)
    states = _burst(control)

    async def drag() -> int:
        before = box.redraws
        for state in states:
            control.set_state(state)
        await asyncio.sleep(REDRAW_DELAY_S * 3)    # the kernel's loop runs the pending redraw
        return box.redraws - before

    assert asyncio.run(drag()) == 1
    assert not box._redrawer.stale                  # drawn by the loop, not by reading box.view


def test_a_change_by_code_redraws_at_once():
    """Notebooks set a control and read the output on the next line: that stays immediate."""
    box = BOXES["gradients"]()
    before = box.redraws
    box.controls["seq_len"].value = 20
    assert box.redraws == before + 1 and box._redrawer.view.data["norms"].shape[0] == 20
    box.controls["seq_len"].value = 30
    assert box.redraws == before + 2


def test_changes_while_a_redraw_runs_replace_the_pending_value():
    seen = []

    class Change:                                   # a change from the front end (its owner holds the lock)
        def __init__(self):
            self.owner = type("Owner", (), {"_property_lock": {"value": 1}})()

    def redraw() -> View:
        seen.append(len(seen))
        if len(seen) == 1:                          # five more changes arrive while the first draw runs
            for _ in range(5):
                redrawer.request(Change())
        return View(len(seen))

    redrawer = Redrawer(redraw)
    assert from_front_end(Change()) and not from_front_end(None)
    redrawer.redraw_now()
    assert seen == [0, 1] and redrawer.view.data == 2 and not redrawer.stale   # one pending redraw, not five


def test_case_widget_flood_replayed_as_the_front_end_sends_it():
    """The case: dragging the text generator's length slider from 300 to 2000 (170 values) and typing 20
    characters: one generation for each, not 190."""
    import torch

    from rnnlab.data.corpora import build_char_vocab
    from rnnlab.models.charlm import CharLM
    from rnnlab.widgets.textgen import make_textgen_widget

    torch.manual_seed(0)
    vocab = build_char_vocab("PROSPERO:\nWhat is it x")
    box = make_textgen_widget(CharLM(len(vocab), 8), vocab, prompt="PROSPERO:\n", length=300)
    assert {n: getattr(c, "continuous_update", False) for n, c in box.controls.items()} == \
        {"prompt": False, "temperature": False, "top_k": False, "length": False, "regenerate": False}
    before = box.redraws
    for v in range(300, 2001, 10):
        box.controls["length"].set_state({"value": v})
    for i in range(1, 21):
        box.controls["prompt"].set_state({"value": "PROSPERO:\nWhat is " + "x" * i})
    assert len(box.view.data) == len("PROSPERO:\nWhat is " + "x" * 20) + 2000
    assert box.redraws - before == 1
