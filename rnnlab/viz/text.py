"""Text coloured by a score per token or character, as HTML (for per-word contributions, single neurons)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np


def _colour(score: float) -> str:
    """Red for negative, green for positive, white for 0; |score| <= 1."""
    s = float(np.clip(score, -1.0, 1.0))
    fade = int(255 * (1 - abs(s)))
    return f"rgb(255,{fade},{fade})" if s < 0 else f"rgb({fade},255,{fade})"


def colored_text_html(tokens: Sequence[str], scores: Sequence[float], *, separator: str = " ",
                      normalise: bool = True, title: str = "") -> str:
    """HTML with each token on a background coloured by its score (red < 0 < green).

    `normalise` divides the scores by their largest absolute value first. Show it with
    `IPython.display.HTML(...)` or in an `ipywidgets.HTML`.
    """
    if len(tokens) != len(scores):
        raise ValueError(f"got {len(tokens)} tokens but {len(scores)} scores; expected one score per token")
    values = np.asarray(scores, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("scores contain NaN or infinite values")
    if normalise and values.size and np.abs(values).max() > 0:
        values = values / np.abs(values).max()
    spans = []
    for token, score in zip(tokens, values, strict=True):
        text = html.escape(token).replace("\n", "↵<br>")
        spans.append(f'<span style="background:{_colour(score)};color:black;padding:1px 0" '
                     f'title="{score:+.3f}">{text}</span>')
    head = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    return f'{head}<div style="font-family:monospace;line-height:1.8">{separator.join(spans)}</div>'
