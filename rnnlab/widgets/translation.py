"""Attention explorer: type or pick a sentence, see the translation and where each output word looked.

The logic is `explain_translation` (plain data, tested directly); `make_translation_widget` wires a text box,
an example picker, a greedy/beam switch and a beam-width slider to it and draws with rnnlab.viz.translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.data.translation import ParallelData
from rnnlab.experiments.translation import translate_texts
from rnnlab.models.seq2seq import Seq2Seq

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


def make_translation_widget(model: Seq2Seq, data: ParallelData, examples: Sequence[str] = (), *,
                            title: str = "") -> Any:
    """An ipywidgets VBox: [text, examples, method, beam width, output]; editing any redraws the output."""
    import ipywidgets as widgets

    from rnnlab.viz.translation import plot_attention
    from rnnlab.widgets.output import show

    first = examples[0] if examples else ""
    text = widgets.Text(value=first, description="source", layout=widgets.Layout(width="95%"),
                        continuous_update=False)
    pick = widgets.Dropdown(options=["(type above)", *examples], value="(type above)", description="examples",
                            layout=widgets.Layout(width="95%"))
    method = widgets.ToggleButtons(options=["greedy", "beam"], value="greedy", description="search")
    width = widgets.IntSlider(value=5, min=1, max=10, description="beam width", continuous_update=False)
    out = widgets.Output()

    def redraw(_: object = None) -> None:
        width.disabled = method.value == "greedy"
        info = explain_translation(model, data, text.value, method=method.value, beam_width=width.value)
        items = []
        if info["message"]:
            items.append(("⚠️ " if info["ok"] else "") + info["message"])
        if not info["ok"]:
            show(out, *items)
            return
        items.append(f"translation: {info['translation']}")
        if info["weights"] is None:
            items.append("(this model has no attention: every output word sees the same fixed context vector)")
            show(out, *items)
            return
        src = [f"{t}?" if t in info["unknown"] else t for t in info["source_tokens"]]
        fig = plot_attention(info["weights"], src, info["output_tokens"],
                             title=f"{title or 'attention'} ({method.value}"
                                   f"{'' if method.value == 'greedy' else f', width {width.value}'})")
        show(out, *items, fig)
        plt.close(fig)

    def on_pick(change: dict) -> None:
        if change["new"] != "(type above)":
            text.value = change["new"]  # fires redraw through text's observer

    for w in (text, method, width):
        w.observe(redraw, names="value")
    pick.observe(on_pick, names="value")
    redraw()
    return widgets.VBox([text, pick, method, width, out])


def attention_entropy(weights: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each row of attention weights: 0 = looks at one token, log(S) = looks everywhere."""
    w = np.asarray(weights, dtype=float)
    return -(w * np.log(np.clip(w, 1e-12, None))).sum(-1)
