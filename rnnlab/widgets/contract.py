"""The one contract every rnnlab widget follows: a pure view function and thin wiring with named controls.

- A view function (`gradient_view`, `generation_view`, ...) takes plain values (what the controls hold) and
  returns a `View`: the data the widget draws, and a message for the reader. It never raises for a value a
  control can take: an impossible setting gives `View(data=None, message="what is wrong and what to change")`.
  Tests call view functions directly, at every extreme of every control.
- `wire(controls, output, redraw)` builds the ipywidgets VBox: the controls by name (`box.controls["radius"]`,
  not `box.children[0]`), then the output; controls update when released (continuous_update=False) and a change
  of a control calls `redraw()` (coalesced: at most one redraw pending), which computes the view, draws it
  through rnnlab.viz and returns it; the latest View is `box.view`.
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


REDRAW_DELAY_S = 0.1  # in a kernel, a change waits this long for the rest of its burst before the redraw starts


def _in_kernel() -> bool:
    """Whether we run inside a Jupyter kernel (a front end shows the widgets)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _running_loop() -> Any:
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


FRONT_END = object()  # pass as `change` to Redrawer.request for an event of the front end that is no trait change


def from_front_end(change: Any) -> bool:
    """Whether a trait change came from the front end (a slider released, a box typed in): ipywidgets sets the
    value inside `_lock_property` and fires the observers before releasing the lock. `FRONT_END` (a button
    click's handler passes it) counts as one too."""
    if change is FRONT_END:
        return True
    owner = getattr(change, "owner", None) if change is not None else None
    return bool(getattr(owner, "_property_lock", None))


class Redrawer:
    """At most one pending redraw: a change marks the view stale; a stale view is drawn once, for the controls'
    latest values, however many changes came meanwhile.

    - A change the front end sends (the user released a slider) schedules one redraw in the kernel's event loop
      `REDRAW_DELAY_S` later; the changes that arrive meanwhile, or while a redraw runs, only mark the view
      stale again: they replace the pending value and cost one more redraw at most. Outside a kernel (a test
      replaying front-end messages) the redraw waits until `box.view` or `box.output` is read.
    - A change made by code (`box.controls["t"].value = 70` in a cell) redraws at once, so the next line of the
      cell sees the new view.
    """

    def __init__(self, redraw: Callable[[], View], show_error: Callable[[View], None] | None = None) -> None:
        self._redraw = redraw
        self._show_error = show_error   # draws a failed redraw's message where the view would be
        self.view = View()
        self.stale = False        # a change came since the last redraw started
        self.scheduled = False    # a redraw is waiting in the event loop
        self.running = False
        self.count = 0            # redraws so far (tests count them)

    def request(self, change: object = None) -> None:
        """A control changed: mark the view stale, and redraw now (a change by code), or schedule one redraw
        unless one is already pending (a change from the front end)."""
        self.stale = True
        if self.running:
            return                # the running redraw is followed by one for the latest values
        if not from_front_end(change):
            self.flush()          # a pending scheduled redraw then finds nothing stale
            return
        if self.scheduled:
            return                # the pending redraw will read the latest values
        loop = _running_loop()
        if loop is not None:
            self.scheduled = True
            loop.call_later(REDRAW_DELAY_S, self._from_loop)
        elif _in_kernel():
            self.flush()
        # else: no front end shows it; drawn when box.view or box.output is read

    def _from_loop(self) -> None:
        self.scheduled = False
        self.flush()

    def flush(self) -> View:
        """Draw if stale (once more at most if a change came during the draw); return the latest View. A redraw
        that raises does not vanish into the kernel's log: its error becomes the View's message (data None),
        shown in the widget's output by `show_error`."""
        rounds = 0
        while self.stale and not self.running and rounds < 2:
            self.stale, self.running = False, True
            try:
                self.view = self._redraw()
            except Exception as err:  # noqa: BLE001 - shown to the reader; in an event loop it would vanish
                self.view = View(None, f"this view could not be drawn: {type(err).__name__}: {err}. Change a "
                                       "control to try again; if it persists, report it with these values")
                if self._show_error is not None:
                    self._show_error(self.view)
            finally:
                self.running = False
            self.count += 1
            rounds += 1
        return self.view

    def redraw_now(self) -> View:
        """Draw now, for the controls' current values."""
        self.stale = True
        return self.flush()


_BOX_CLASS: type | None = None


def _box_class() -> type:
    """A VBox whose `view` and `output` first draw any pending change (defined on first use: no ipywidgets import
    when the module is imported)."""
    global _BOX_CLASS
    if _BOX_CLASS is None:
        import ipywidgets as widgets

        class WidgetBox(widgets.VBox):
            """The VBox `wire` returns: `controls`, `output`, `view`, `redraw()`, `redraws` (a count)."""

            @property
            def view(self) -> View:
                return self._redrawer.flush()

            @property
            def output(self) -> Any:
                self._redrawer.flush()
                return self._output

            @property
            def redraws(self) -> int:
                return self._redrawer.count

            @property
            def pending(self) -> bool:
                return self._redrawer.stale

            def request_redraw(self, _event: object = None) -> None:
                """A front-end event (a button click) wants a redraw: coalesced like a released slider."""
                self._redrawer.request(FRONT_END)

            def redraw(self, _change: object = None) -> View:
                """Draw now, for the controls' current values."""
                return self._redrawer.redraw_now()

        _BOX_CLASS = WidgetBox
    return _BOX_CLASS


def _show_message(output: Any, message: str) -> None:
    """Put a message where a widget draws its view: an HTML widget's value, or an Output widget's text."""
    import html

    if "value" in getattr(output, "traits", dict)() and isinstance(getattr(output, "value", None), str):
        output.value = f'<p style="color:#b00">{html.escape(message)}</p>'
    elif hasattr(output, "clear_output"):
        output.clear_output()
        output.append_stdout(message + "\n")


def wire(controls: Mapping[str, Any], output: Any, redraw: Callable[[], View], *, extra: tuple = (),
         live: tuple[str, ...] = ()) -> Any:
    """A VBox of the named `controls`, any `extra` widgets (e.g. a button), then `output`; redraws on change.

    Every control updates when released (`continuous_update=False`: a drag, or typing in a text box, sends one
    value, not one per pixel or key), except those named in `live`; and changes are coalesced (see `Redrawer`):
    at most one redraw is pending, for the latest values. `redraw()` draws the current view into `output` and
    returns it; the box keeps it as `box.view`.
    Returns the VBox, with `box.controls` (name -> control), `box.output`, `box.view`, `box.redraw()` (draw
    now) and `box.redraws` (how many redraws ran).
    """
    from rnnlab.widgets.compat import warn_once

    warn_once()                                   # JupyterLab 4 with ipywidgets 7: say so, once
    box = _box_class()([*controls.values(), *extra, output])
    box.controls = dict(controls)
    box._output = output
    box._redrawer = Redrawer(redraw, show_error=lambda view: _show_message(output, view.message))
    for name, control in controls.items():
        if "continuous_update" in control.traits():
            control.continuous_update = name in live
        if "value" in control.traits():
            control.observe(box._redrawer.request, names="value")
    box.redraw()
    return box
