"""The one contract every rnnlab widget follows: a pure view function and thin wiring with named controls.

- A view function (`gradient_view`, `generation_view`, ...) takes plain values (what the controls hold) and
  returns a `View`: the data the widget draws, and a message for the reader. It never raises for a value a
  control can take: an impossible setting gives `View(data=None, message="what is wrong and what to change")`.
  Tests call view functions directly, at every extreme of every control.
- `wire(controls, output, redraw)` builds the ipywidgets VBox: the controls by name (`box.controls["radius"]`,
  not `box.children[0]`), then the output; every change of a control calls `redraw()`, which computes the view,
  draws it through rnnlab.viz and returns it; the latest View is `box.view`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class View:
    """What a widget shows for one setting of its controls."""

    data: Any = None      # what is drawn (a dict, a dataclass, a string of HTML...); None when there is nothing to draw
    message: str = ""     # a note or an explanation for the reader ("" when all is well)

    @property
    def ok(self) -> bool:
        """True when there is something to draw."""
        return self.data is not None


def view_or_message(fn: Callable[..., Any], *args: Any, prefix: str = "", **kwargs: Any) -> View:
    """Run `fn(*args, **kwargs)`; wrap its result in a View, or turn a ValueError/TypeError into a message.

    `fn` may return a View (kept as it is), a dict with a "message" key (data = the dict, message = that
    key), or anything else (data = it). `prefix` starts the message of a refused setting.
    """
    try:
        result = fn(*args, **kwargs)
    except (ValueError, TypeError) as err:
        return View(None, f"{prefix}{err}")
    if isinstance(result, View):
        return result
    if isinstance(result, dict):
        return View(result, str(result.get("message", "") or ""))
    return View(result, str(getattr(result, "message", "") or ""))


def wire(controls: Mapping[str, Any], output: Any, redraw: Callable[[], View], *, extra: tuple = ()) -> Any:
    """A VBox of the named `controls`, any `extra` widgets (e.g. a button), then `output`; redraws on every change.

    `redraw()` draws the current view into `output` and returns it; the box keeps it as `box.view`.
    Returns the VBox, with `box.controls` (name -> control) and `box.output`.
    """
    import ipywidgets as widgets

    box = widgets.VBox([*controls.values(), *extra, output])
    box.controls = dict(controls)
    box.output = output
    box.view = View()

    def on_change(_change: object = None) -> None:
        box.view = redraw()

    for control in controls.values():
        if "value" in control.traits():
            control.observe(on_change, names="value")
    box.redraw = on_change
    on_change()
    return box
