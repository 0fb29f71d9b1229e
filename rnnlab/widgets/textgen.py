"""Widgets for text generation: sample from a char model with a prompt, a temperature and top-k; browse single
hidden units over a passage, each character coloured by the unit's activation (Karpathy, Johnson & Fei-Fei 2015).

The logic is in plain functions (`generate_text`, `generation_view`, `neuron_view`) that the tests call; the
`make_..._widget` functions only wire ipywidgets to them. Bad input (unknown characters, empty text, a unit
out of range) gives a message in the widget, never a traceback.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from rnnlab.data.corpora import decode_ids, encode_text
from rnnlab.data.vocab import Vocab
from rnnlab.models.charlm import CharLM, hidden_activations, sample_ids
from rnnlab.validate import check_float, check_int
from rnnlab.viz.text import colored_text_html
from rnnlab.widgets.contract import View, wire

MAX_LENGTH = 2000  # longest sample the widget draws


def generate_text(model: CharLM, vocab: Vocab, prompt: str, length: int = 200, *, temperature: float = 1.0,
                  top_k: int | None = None, seed: int | None = 0) -> str:
    """The prompt followed by `length` sampled characters. An empty prompt starts from a newline (the start of a
    line or of a name), or, for a model whose text had no newline, from a space or its first character.
    Raises ValueError when the prompt has characters the model has never seen."""
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
    check_int(length, "length", minimum=0, maximum=MAX_LENGTH)
    check_float(temperature, "temperature", minimum=0.0)
    start = prompt if prompt else _empty_prompt_start(vocab)
    unknown = sorted(set(vocab.unknown(list(start))))
    if unknown:
        raise ValueError(f"the prompt has characters the model has never seen: {unknown}; "
                         f"known characters: {''.join(t for t in vocab.itos[1:] if t != chr(10))!r}")
    ids = sample_ids(model, encode_text(vocab, start).tolist(), length, temperature=temperature,
                     top_k=top_k, seed=seed, exclude=[vocab.unk_id] if vocab.unk_id is not None else [])
    return prompt + decode_ids(vocab, ids)


def _empty_prompt_start(vocab: Vocab) -> str:
    """The character an empty prompt starts from: a newline, else a space, else the first real character."""
    for candidate in ("\n", " "):
        if not vocab.unknown([candidate]):
            return candidate
    real = [t for t in vocab.itos if not (t.startswith("<") and t.endswith(">") and len(t) > 1)]
    if not real:
        raise ValueError("the model knows no characters to start from: type a prompt")
    return real[0]


def textgen_view(model: CharLM, vocab: Vocab, prompt: str, temperature: float, top_k: int, length: int,
                 seed: int) -> View:
    """What the text widget shows: View(data = the sample, message) or View(None, what is wrong).

    top_k 0 means off; temperature 0 is greedy (always the most likely character). Never raises for a value
    the controls can take.
    """
    try:
        text = generate_text(model, vocab, prompt, length, temperature=temperature,
                             top_k=top_k if top_k and top_k > 0 else None, seed=seed)
    except (ValueError, TypeError) as err:
        return View(None, str(err))
    except RuntimeError as err:  # e.g. a distribution torch cannot sample from: say so, no traceback
        return View(None, f"could not sample at temperature {temperature} and top-k {top_k}: {err}")
    notes = ["temperature 0: always the most likely character (greedy)"] if temperature == 0 else []
    if top_k and top_k >= len(vocab):
        notes.append(f"top-k {top_k} keeps every one of the {len(vocab)} tokens the model knows: the same as 0 (off)")
    if length == 0:
        notes.append("length 0: only the prompt, nothing generated")
    return View(text, "; ".join(notes))


def generation_view(model: CharLM, vocab: Vocab, prompt: str, temperature: float, top_k: int, length: int,
                    seed: int) -> tuple[str, str]:
    """(kind, text) for the widget: ('text', the sample) or ('message', what is wrong). top_k 0 means off.
    The same as `textgen_view`, as a pair."""
    view = textgen_view(model, vocab, prompt, temperature, top_k, length, seed)
    return ("text", view.data) if view.ok else ("message", view.message)


def _pre(text: str) -> str:
    return f'<pre style="white-space:pre-wrap;font-family:monospace">{html.escape(text)}</pre>'


def make_textgen_widget(model: CharLM, vocab: Vocab, *, prompt: str = "", length: int = 300) -> widgets.VBox:
    """Prompt box, temperature and top-k sliders, length slider and a Regenerate button (a new seed per click).

    `box.controls` = {"prompt", "temperature", "top_k", "length"}; children: [prompt Text, temperature
    FloatSlider, top_k IntSlider, length IntSlider, Button, HTML]; the latest View is `box.view`.
    """
    controls = {"prompt": widgets.Text(value=prompt, description="prompt", placeholder="start of the text"),
                "temperature": widgets.FloatSlider(value=0.8, min=0.0, max=2.0, step=0.05, description="temperature"),
                "top_k": widgets.IntSlider(value=0, min=0, max=len(vocab), description="top-k (0=off)"),
                "length": widgets.IntSlider(value=length, min=0, max=MAX_LENGTH, step=10, description="length")}
    button = widgets.Button(description="Regenerate", icon="refresh")
    out = widgets.HTML()
    seed = {"value": 0}

    def redraw() -> View:
        c = controls
        view = textgen_view(model, vocab, c["prompt"].value, c["temperature"].value, c["top_k"].value,
                            c["length"].value, seed["value"])
        note = f'<p style="color:#555"><i>{html.escape(view.message)}</i></p>' if view.message else ""
        out.value = _pre(view.data) + note if view.ok else f'<p style="color:#b00">{html.escape(view.message)}</p>'
        return view

    box = wire(controls, out, redraw, extra=(button,))

    def regenerate(_: object = None) -> None:
        seed["value"] += 1
        box.request_redraw()    # coalesced: a burst of clicks generates once, with the last seed

    button.on_click(regenerate)
    box.controls["regenerate"] = button
    return box


def neuron_view(text: str, activations: np.ndarray, unit: int, *, title: str = "") -> str:
    """HTML of `text` with each character coloured by `activations[:, unit]` (green > 0 > red), or a message."""
    if not text:
        return "<p>No text to show: type a passage.</p>"
    if activations.ndim != 2 or activations.shape[0] != len(text):
        return f"<p>Expected one activation row per character ({len(text)}), got shape {activations.shape}.</p>"
    if not isinstance(unit, int | np.integer) or not 0 <= unit < activations.shape[1]:
        return f"<p>Unit must be between 0 and {activations.shape[1] - 1}, got {unit!r}.</p>"
    values = activations[:, unit]
    scale = max(1.0, float(np.abs(values).max()))  # h is in [-1, 1]; a cell state may exceed it
    return colored_text_html(list(text), values / scale, separator="", normalise=False,
                             title=title or f"unit {unit}")


def neuron_unit_view(text: str, activations: np.ndarray, unit: int, *, title: str = "") -> View:
    """View(data = the HTML of the coloured passage, message) or View(None, what is wrong) for one unit."""
    page = neuron_view(text, activations, unit, title=title)
    ok = bool(text) and activations.ndim == 2 and activations.shape[0] == len(text) and \
        isinstance(unit, int | np.integer) and 0 <= unit < activations.shape[1]
    return View(page, "") if ok else View(None, html.unescape(page.replace("<p>", "").replace("</p>", "")))


def make_neuron_widget(model: CharLM, vocab: Vocab, text: str, *, unit: int = 0, which: str = "h") -> widgets.VBox:
    """A slider over hidden units and the passage coloured by the chosen unit. `box.controls` = {"unit"};
    children: [IntSlider, HTML]; the latest View is `box.view`."""
    unknown = sorted(set(vocab.unknown(list(text))))
    acts = hidden_activations(model, encode_text(vocab, text), which) if text else np.zeros((0, model.hidden_size))
    controls = {"unit": widgets.IntSlider(value=unit, min=0, max=model.hidden_size - 1, description="unit")}
    out = widgets.HTML()

    def redraw() -> View:
        u = controls["unit"].value
        note = f"<p>Characters unknown to the model (read as &lt;unk&gt;): {html.escape(str(unknown))}</p>" \
            if unknown else ""
        out.value = note + neuron_view(text, acts, u, title=f"unit {u} ({which}_t)")
        return neuron_unit_view(text, acts, u, title=f"unit {u} ({which}_t)")

    return wire(controls, out, redraw)
