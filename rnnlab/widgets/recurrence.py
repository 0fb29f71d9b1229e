"""The hidden-state stepper of notebook 01: read a sentence character by character with a random tanh RNN and
watch the hidden state evolve; a slider sets the scale of the recurrent weights.

The logic is `text_hidden_states` (a plain function the tests call); `make_recurrence_widget` only wires
ipywidgets to it and to `rnnlab.viz.recurrence.plot_hidden_states`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.models.numpy_rnn import rnn_hidden_states
from rnnlab.validate import check_float, check_int

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


def text_hidden_states(text: str, *, hidden_size: int = 16, weight_scale: float = 1.0, seed: int = 0) -> dict:
    """Hidden states of a random tanh RNN reading `text`.

    W_hh has entries N(0, weight_scale^2 / hidden_size), so its spectral radius is close to `weight_scale`:
    near 0 the state forgets at once, above 1 it saturates at +-1. Returns a dict with
    hs: (time, hidden), chars (the characters read), spectral_radius, and message ("" when all is well).
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
    hs = rnn_hidden_states(x, np.zeros((1, hidden_size)), W_xh, W_hh, b_h)[0]   # (time, hidden)
    saturated = float(np.mean(np.abs(hs) > 0.9))
    if saturated > 0.5:
        notes.append(f"{saturated:.0%} of the values are beyond +-0.9: the units saturate")
    return {"hs": hs, "chars": chars, "spectral_radius": radius, "saturated_fraction": saturated,
            "message": "; ".join(notes)}


def make_recurrence_widget(text: str = "hello world, hello rnn", *, hidden_size: int = 16, seed: int = 0):
    """A text box, a time-step slider and a weight-scale slider over a heatmap of the hidden states.

    Returns an ipywidgets VBox whose children are (text, step slider, weight-scale slider, output); the latest
    result dict is kept in `box.state` (tests and curious students can read it).
    """
    import ipywidgets as widgets

    from rnnlab.widgets.output import show

    text_box = widgets.Text(value=text, description="text")
    step = widgets.IntSlider(value=0, min=0, max=max(len(text) - 1, 0), description="step t")
    scale = widgets.FloatSlider(value=1.0, min=0.0, max=4.0, step=0.1, description="W_hh scale")
    out = widgets.Output()
    box = widgets.VBox([text_box, step, scale, out])
    box.state = {}

    def redraw(_change: object = None) -> None:
        from rnnlab.viz.recurrence import plot_hidden_states

        result = text_hidden_states(text_box.value, hidden_size=hidden_size, weight_scale=scale.value, seed=seed)
        n = len(result["chars"])
        step.max = max(n - 1, 0)
        t = min(step.value, step.max)
        box.state.clear()
        box.state.update(result, step=t)
        fig = plot_hidden_states(result["hs"], result["chars"], step=t if n else None, message=result["message"],
                                 title=f"hidden state over time (spectral radius of W_hh: "
                                       f"{result['spectral_radius']:.2f})")
        show(out, fig)
        plt.close(fig)

    for control in (text_box, step, scale):
        control.observe(redraw, names="value")
    redraw()
    return box
