"""Attention explorer: type or pick a sentence, see the translation and where each output word looked.

The logic is `explain_translation` and the view function `translation_view` (plain data, tested directly);
`make_translation_widget` wires named controls (a text box, an example picker, a greedy/beam switch and a
beam-width slider) to it and draws with rnnlab.viz.translation. It imports no experiment: the trained model
comes from the notebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.data.translation import ParallelData
from rnnlab.models.seq2seq import Seq2Seq, translate_texts
from rnnlab.widgets.contract import View, wire

MAX_SOURCE_TOKENS = 60


def explain_translation(model: Seq2Seq, data: ParallelData, text: str, *, method: str = "greedy",
                        beam_width: int = 5, length_penalty: float = 1.0) -> dict[str, Any]:
    """Translate one text and return what the explorer shows.

    -> {'ok': bool, 'message': str, 'source_tokens': [...], 'unknown': [...], 'translation': str,
        'output_tokens': [...] (with '<eos>' last when the model stopped), 'weights': (out, src) array or None}.
    Empty or over-long text gives ok=False and a message; unknown tokens are translated as <unk> and listed.
    """
    empty = {"ok": False, "source_tokens": [], "unknown": [], "translation": "", "output_tokens": [],
             "weights": None}
    if not isinstance(text, str):
        return {**empty, "message": f"expected text, got {type(text).__name__}"}
    tokens = data.tokenize(text)
    if not tokens:
        return {**empty, "message": "Type a sentence to translate (the text is empty)."}
    if len(tokens) > MAX_SOURCE_TOKENS:
        return {**empty, "source_tokens": tokens,
                "message": f"The text has {len(tokens)} tokens; this explorer takes at most {MAX_SOURCE_TOKENS}."}
    if method not in ("greedy", "beam"):
        return {**empty, "message": f"method must be 'greedy' or 'beam', got {method!r}"}
    if not isinstance(beam_width, int) or not 1 <= beam_width <= 50:
        return {**empty, "message": f"beam width must be an integer from 1 to 50, got {beam_width!r}"}
    unknown = data.src_vocab.unknown(tokens)
    (translation,), (result,) = translate_texts(model, data, [text], method=method, beam_width=beam_width,
                                                length_penalty=length_penalty)
    n = int(result.length[0])
    ids = result.tokens[0, :n].tolist()
    out_tokens = [data.tgt_vocab.itos[i] for i in ids]
    weights = None if result.weights is None else result.weights[0, :n, : len(tokens)].cpu().numpy()
    shown = [f"{t} (unknown: read as <unk>)" for t in sorted(set(unknown))]
    message = ("Unknown tokens, not in the training vocabulary: " + ", ".join(shown)) if unknown else ""
    if out_tokens[-1:] != ["<eos>"]:
        message += (" " if message else "") + f"The decoder did not stop within {n} tokens."
    return {"ok": True, "message": message, "source_tokens": tokens, "unknown": unknown,
            "translation": translation, "output_tokens": out_tokens, "weights": weights}


def translation_view(model: Seq2Seq, data: ParallelData, text: str, method: str = "greedy",
                     beam_width: int = 5) -> View:
    """What the explorer shows: View(data = explain_translation(...) when there is a translation, message)."""
    try:
        info = explain_translation(model, data, text, method=method, beam_width=beam_width)
    except (ValueError, TypeError) as err:
        return View(None, f"Cannot translate this: {err}")
    return View(info if info["ok"] else None, info["message"])


def make_translation_widget(model: Seq2Seq, data: ParallelData, examples: Sequence[str] = (), *,
                            title: str = "") -> Any:
    """An ipywidgets VBox: `box.controls` = {"text", "examples", "method", "beam_width"} (children in that order,
    then the output); editing any redraws the output; the latest View is `box.view`."""
    import ipywidgets as widgets

    from rnnlab.viz.translation import plot_attention
    from rnnlab.widgets.output import show

    first = examples[0] if examples else ""
    controls = {
        "text": widgets.Text(value=first, description="source", layout=widgets.Layout(width="95%"),
                             continuous_update=False),
        "examples": widgets.Dropdown(options=["(type above)", *examples], value="(type above)",
                                     description="examples", layout=widgets.Layout(width="95%")),
        "method": widgets.ToggleButtons(options=["greedy", "beam"], value="greedy", description="search"),
        "beam_width": widgets.IntSlider(value=5, min=1, max=10, description="beam width", continuous_update=False),
    }
    out = widgets.Output()
    picked = ["(type above)"]

    def redraw() -> View:
        c = controls
        if c["examples"].value != picked[0]:          # a new pick: copy it into the text box
            picked[0] = c["examples"].value
            if picked[0] != "(type above)" and c["text"].value != picked[0]:
                c["text"].value = picked[0]             # fires a redraw through the text box
                return box.view
        c["beam_width"].disabled = c["method"].value == "greedy"
        view = translation_view(model, data, c["text"].value, c["method"].value, c["beam_width"].value)
        if not view.ok:
            show(out, view.message)
            return view
        info, method, width = view.data, c["method"].value, c["beam_width"].value
        items = ["⚠️ " + info["message"]] if info["message"] else []
        items.append(f"translation: {info['translation']}")
        if info["weights"] is None:
            items.append("(this model has no attention: every output word sees the same fixed context vector)")
            show(out, *items)
            return view
        src = [f"{t}?" if t in info["unknown"] else t for t in info["source_tokens"]]
        search = method if method == "greedy" else f"{method}, width {width}"
        fig = plot_attention(info["weights"], src, info["output_tokens"], title=f"{title or 'attention'} ({search})")
        show(out, *items, fig)
        plt.close(fig)
        return view

    box = wire(controls, out, redraw)
    return box


def attention_entropy(weights: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each row of attention weights: 0 = looks at one token, log(S) = looks everywhere."""
    w = np.asarray(weights, dtype=float)
    return -(w * np.log(np.clip(w, 1e-12, None))).sum(-1)
