"""The hidden-state stepper of notebook 01: read a sentence character by character with a random tanh RNN and
watch the hidden state evolve; a slider sets the scale of the recurrent weights.

The logic is `text_hidden_states` and the view function `recurrence_view` (plain functions the tests call);
`make_recurrence_widget` only wires named controls to them and draws with `rnnlab.viz.recurrence`. Pass your own
step function (`step_fn=rnn_step`, the signature of notebook 01's exercise) to watch your code at work.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.models.numpy_rnn import rnn_hidden_states
from rnnlab.validate import check_float, check_int
from rnnlab.widgets.contract import View, view_or_message, wire

StepFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]

ALPHABET = " abcdefghijklmnopqrstuvwxyz.,!?'"   # one-hot positions; anything else goes to one extra "other" slot
MAX_LENGTH = 60                                   # longer texts are cut (the heatmap stays readable)


def encode_text(text: str) -> tuple[np.ndarray, list[str]]:
    """One-hot characters (lower-cased): x: (1, time, len(ALPHABET) + 1), and the characters themselves.
    Unknown characters share the last slot."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    chars = list(text.lower())
    x = np.zeros((1, len(chars), len(ALPHABET) + 1))
    for t, c in enumerate(chars):
        x[0, t, ALPHABET.index(c) if c in ALPHABET else len(ALPHABET)] = 1.0
    return x, chars


def _run_steps(step_fn: StepFn, x: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray) -> np.ndarray:
    """Loop `step_fn(x_t, h_prev, W_xh, W_hh, b_h) -> h_t` over time: x (1, time, input) -> hs (time, hidden).

    Raises ValueError saying what the step function did wrong (raised, returned a wrong shape, NaN).
    """
    hidden = W_hh.shape[0]
    h = np.zeros((1, hidden))                                        # (batch=1, hidden)
    hs = []
    for t in range(x.shape[1]):
        try:
            h_new = step_fn(x[:, t], h, W_xh, W_hh, b_h)               # (1, input) -> (1, hidden)
        except NotImplementedError:
            raise ValueError("your step function is not written yet (it raises NotImplementedError)") from None
        except Exception as err:  # noqa: BLE001 - the student's code: say what it raised, in the widget
            raise ValueError(f"your step function raised {type(err).__name__} at t={t}: {err}") from None
        try:
            h_new = np.asarray(h_new.detach().cpu() if hasattr(h_new, "detach") else h_new, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"your step function returned {type(h_new).__name__}, expected an array "
                             f"of shape (1, {hidden})") from None
        if h_new.shape != (1, hidden):
            raise ValueError(f"your step function returned shape {h_new.shape} at t={t}, expected (1, {hidden}) "
                             "= (batch, hidden)")
        h = h_new
        hs.append(h[0])
    return np.stack(hs)                                              # (time, hidden)


def text_hidden_states(text: str, *, hidden_size: int = 16, weight_scale: float = 1.0, seed: int = 0,
                       step_fn: StepFn | None = None) -> dict:
    """Hidden states of a random tanh RNN reading `text`; with `step_fn`, of that step function instead.

    W_hh has entries N(0, weight_scale^2 / hidden_size), so its spectral radius is close to `weight_scale`:
    near 0 the state forgets at once, above 1 it saturates at +-1. Returns a dict with
    hs: (time, hidden), chars (the characters read), spectral_radius, and message ("" when all is well).
    step_fn(x_t (1, input), h_prev (1, hidden), W_xh, W_hh, b_h) -> h_t (1, hidden), e.g. your `rnn_step` of
    notebook 01. Raises ValueError (weight_scale < 0, a step function that fails), TypeError (text not a str).
    """
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1, maximum=256)
    weight_scale = check_float(weight_scale, "weight_scale", minimum=0.0)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    notes = []
    if len(text) > MAX_LENGTH:
        text = text[:MAX_LENGTH]
        notes.append(f"only the first {MAX_LENGTH} characters are shown")
    x, chars = encode_text(text)
    unknown = sorted({c for c in chars if c not in ALPHABET})
    if unknown:
        notes.append(f"characters {''.join(unknown)!r} are not in the alphabet: they share one input slot")
    W_xh = rng.normal(0.0, 1.0, (hidden_size, x.shape[-1]))           # (hidden, input)
    W_hh = rng.normal(0.0, weight_scale / np.sqrt(hidden_size), (hidden_size, hidden_size))
    b_h = np.zeros(hidden_size)
    radius = float(np.abs(np.linalg.eigvals(W_hh)).max())
    if not chars:
        return {"hs": np.zeros((0, hidden_size)), "chars": [], "spectral_radius": radius,
                "message": "the text is empty: type a few characters"}
    if step_fn is None:
        hs = rnn_hidden_states(x, np.zeros((1, hidden_size)), W_xh, W_hh, b_h)[0]   # (time, hidden)
    else:
        hs = _run_steps(step_fn, x, W_xh, W_hh, b_h)                              # (time, hidden)
        if not np.isfinite(hs).all():
            raise ValueError("your step function produced NaN or infinite values")
        notes.append("hidden states computed by your step function")
    saturated = float(np.mean(np.abs(hs) > 0.9))
    if saturated > 0.5:
        notes.append(f"{saturated:.0%} of the values are beyond +-0.9: the units saturate")
    return {"hs": hs, "chars": chars, "spectral_radius": radius, "saturated_fraction": saturated,
            "message": "; ".join(notes)}


def recurrence_view(text: str, step: int, weight_scale: float, *, hidden_size: int = 16, seed: int = 0,
                    step_fn: StepFn | None = None) -> View:
    """What the widget shows: View(data = text_hidden_states(...) plus "step" (clamped to the text), message)."""
    view = view_or_message(text_hidden_states, text, hidden_size=hidden_size, weight_scale=weight_scale, seed=seed,
                           step_fn=step_fn, prefix="Cannot show the hidden states: ")
    if view.ok:
        n = len(view.data["chars"])
        view.data["step"] = min(max(int(step), 0), max(n - 1, 0))
    return view


def make_recurrence_widget(text: str = "hello world, hello rnn", *, hidden_size: int = 16, seed: int = 0,
                           step_fn: StepFn | None = None):
    """A text box, a time-step slider and a weight-scale slider over a heatmap of the hidden states.

    Returns an ipywidgets VBox: `box.controls` = {"text", "step", "weight_scale"} (children in that order, then
    the output); the latest View is `box.view`, its data dict also `box.state`. With `step_fn` (your
    `rnn_step(x_t, h_prev, W_xh, W_hh, b_h)` of notebook 01) the states come from your code.
    """
    import ipywidgets as widgets

    from rnnlab.viz.recurrence import plot_hidden_states
    from rnnlab.widgets.output import show

    controls = {"text": widgets.Text(value=text, description="text"),
                "step": widgets.IntSlider(value=0, min=0, max=max(len(text) - 1, 0), description="step t"),
                "weight_scale": widgets.FloatSlider(value=1.0, min=0.0, max=4.0, step=0.1, description="W_hh scale")}
    out = widgets.Output()
    state: dict = {}

    def redraw() -> View:
        c = controls
        view = recurrence_view(c["text"].value, c["step"].value, c["weight_scale"].value, hidden_size=hidden_size,
                               seed=seed, step_fn=step_fn)
        state.clear()
        if not view.ok:
            show(out, view.message)
            return view
        result = view.data
        n = len(result["chars"])
        c["step"].max = max(n - 1, 0)
        state.update(result)
        fig = plot_hidden_states(result["hs"], result["chars"], step=result["step"] if n else None,
                                 message=result["message"],
                                 title=f"hidden state over time (spectral radius of W_hh: "
                                       f"{result['spectral_radius']:.2f})")
        show(out, fig)
        plt.close(fig)
        return view

    box = wire(controls, out, redraw)
    box.state = state
    return box
