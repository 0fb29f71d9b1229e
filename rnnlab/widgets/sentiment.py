"""Type a review, see the predicted sentiment, its probability and each word's contribution as colours.

The logic is `sentiment_view` (a plain function: `analyse_review`'s `ReviewAnalysis` as a View) and
`analysis_html`; the widget only wires a text box to them and redraws when the box is left.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.sentiment import LABELS
from rnnlab.data.vocab import Vocab, tokenize_words
from rnnlab.viz.text import colored_text_html
from rnnlab.widgets.contract import View, wire

MAX_TOKENS = 400   # longer input is cut here (the widget says so)


@dataclass
class ReviewAnalysis:
    """What the widget shows for one text."""

    tokens: list[str] = field(default_factory=list)     # the words of the text
    scores: list[float] = field(default_factory=list)   # per-word contribution to the logit (> 0 favours great)
    probability: float | None = None                    # p(great), None when there is nothing to classify
    label: str | None = None                            # "great" or "other", None when nothing to classify
    unknown: list[str] = field(default_factory=list)    # words that the vocabulary does not know
    message: str = ""                                   # a note for the reader (empty text, unknown words, ...)


def analyse_review(text: str, model: nn.Module, vocab: Vocab) -> ReviewAnalysis:
    """Classify `text` with `model` (a BagOfWordsClassifier or RNNClassifier) and explain it word by word.

    Empty text, or text made only of unknown words, gives a ReviewAnalysis with a message and no prediction.
    """
    if not isinstance(text, str):
        return ReviewAnalysis(message=f"expected text, got {type(text).__name__}")
    tokens = tokenize_words(text)
    if not tokens:
        return ReviewAnalysis(message="Type a review to see its predicted sentiment.")
    notes = []
    if len(tokens) > MAX_TOKENS:
        tokens = tokens[:MAX_TOKENS]
        notes.append(f"only the first {MAX_TOKENS} words are used")
    unknown = vocab.unknown(tokens)
    if len(unknown) == len(tokens):
        return ReviewAnalysis(tokens=tokens, unknown=unknown,
                              message="None of these words is in the vocabulary, so there is nothing to go on: "
                                      "try common review words such as 'delicious' or 'stale'.")
    if unknown:
        shown = ", ".join(sorted(set(unknown))[:8])
        notes.append(f"unknown words (read as <unk>): {shown}")
    ids = torch.tensor([vocab.encode(tokens)])                        # (1, time)
    lengths = torch.tensor([len(tokens)])                             # (1,)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probability = torch.sigmoid(model(ids, lengths))[0].item()
    scores = model.contributions(ids, lengths)[0].tolist()             # (time,)
    model.train(was_training)
    return ReviewAnalysis(tokens=tokens, scores=scores, probability=probability,
                          label=LABELS[int(probability > 0.5)], unknown=unknown, message="; ".join(notes))


def analysis_html(result: ReviewAnalysis) -> str:
    """HTML for a ReviewAnalysis: the verdict, p(great), the coloured words and any message."""
    note = f'<div style="color:#555"><i>{html.escape(result.message)}</i></div>' if result.message else ""
    if result.probability is None:
        return note or "<div></div>"
    verdict = (f"<div><b>{html.escape(result.label)}</b> &nbsp; p(great) = {result.probability:.2f} "
               f"&nbsp; <span style='color:#555'>(green words push towards great, red towards other)</span></div>")
    return verdict + colored_text_html(result.tokens, result.scores) + note


def sentiment_view(text: str, model: nn.Module, vocab: Vocab) -> View:
    """What the widget shows: View(data = the ReviewAnalysis, or None when there is nothing to classify; message)."""
    result = analyse_review(text, model, vocab)
    return View(result if result.probability is not None else None, result.message)


def make_sentiment_widget(model: nn.Module, vocab: Vocab, text: str = "Delicious, but the bag arrived stale."):
    """A text box and an HTML panel that updates when you leave the box (click outside it or press Tab: one
    analysis per edit, not one per key). Returns a VBox: `box.controls` = {"text"} (children: [textarea, html]);
    the latest View is `box.view`."""
    import ipywidgets as widgets

    controls = {"text": widgets.Textarea(value=text, description="review", continuous_update=False,
                                         layout=widgets.Layout(width="95%", height="70px"))}
    panel = widgets.HTML()

    def redraw() -> View:
        view = sentiment_view(controls["text"].value, model, vocab)
        panel.value = analysis_html(view.data if view.ok else ReviewAnalysis(message=view.message))
        return view

    return wire(controls, panel, redraw)
