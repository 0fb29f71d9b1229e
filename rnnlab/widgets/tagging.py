"""Type a sentence, see each word's tag from two taggers (a BiLSTM, and the same with a CRF on top) and where the
CRF changed them.

The logic is plain functions, tested directly: `tagging_view` (the HTML for tokens and two rows of tags, the
tokens where they differ highlighted, a count "the CRF changed N of M tags") and `sentence_view` (tokenise the
text, call the notebook's `predict`, return a `View` with the data or a message at every extreme: an empty
sentence, only punctuation, a very long one cut to `MAX_TOKENS`, `predict` raising or breaking its contract).
`tagging_explorer` wires a text box named "sentence" to them (it redraws when you press Enter or leave the box,
at most one redraw pending). It imports no experiment: the trained taggers come from the notebook.

Usage, in the notebook::

    from rnnlab.widgets.tagging import tagging_explorer, tagging_view

    def predict(tokens):                       # list of str -> (BiLSTM's tags, BiLSTM + CRF's tags)
        ids = ...                              # encode the tokens, run both taggers (eval mode, no_grad)
        return [TAGS[i] for i in plain], [TAGS[i] for i in with_crf]   # two lists of len(tokens) tag names

    tagging_explorer(predict, example="Alice flew to New York on Monday .")
    # a task whose input has no punctuation (restoring it): drop it when tokenising, show the text restored
    from rnnlab.data.tagging import restore_text, words_and_marks
    tagging_explorer(predict, example="alice was beginning to get very tired",
                     tokenize=lambda text: [w for w, _ in words_and_marks(text)], render=restore_text)

    from IPython.display import HTML           # or the view alone, for a sentence of the test split
    HTML(tagging_view(tokens, bilstm_tags, crf_tags))
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from rnnlab.widgets.contract import View, wire

MAX_TOKENS = 60             # longer input is cut here (the widget says so)
NAMES = ("BiLSTM", "BiLSTM + CRF")
# marks that belong to the character before them: combining accents, variation selectors, emoji skin tones
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\U0001f3fb-\U0001f3ff"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))   # zero-width spaces and joiners
_WORD = rf"\w[\w{_MARKS}]*"
_TOKEN = re.compile(rf"{_WORD}(?:['’.-]{_WORD})*|[^\w\s{_MARKS}\u200b-\u200d\u2060\ufeff]"
                    rf"(?:[{_MARKS}]|\u200d[^\w\s])*", re.UNICODE)


def tokenize_sentence(text: str) -> list[str]:
    """Split `text` into words and punctuation marks: "New York's." -> ["New", "York's", "."] (no lower-casing;
    hyphenated words and abbreviations with inner dots stay one token). The text is NFC-normalised first, and a
    combining accent, skin tone or emoji joined by zero-width joiners stays with the character before it
    ("café" typed with a combining accent is one word, 👍🏽 one symbol); zero-width spaces are dropped."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


def invalid_transitions(tags: Sequence[str]) -> list[int]:
    """The positions where a BIO tag sequence is invalid: an I-X that follows neither B-X nor I-X (an entity
    that starts inside). Empty for tags that are not BIO (part-of-speech tags, say)."""
    bad = []
    previous = "O"
    for t, tag in enumerate(tags):
        tag = str(tag)
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            bad.append(t)
        elif tag.startswith("I-") and not previous.startswith(("B-", "I-")):
            bad.append(t)
        previous = tag
    return bad


def _cell(text: str, style: str = "") -> str:
    return f'<span style="display:block;white-space:nowrap;{style}">{html.escape(text, quote=False)}</span>'


def tagging_view(tokens: Sequence[str], tags_a: Sequence[Any], tags_b: Sequence[Any],
                 names: tuple[str, str] = NAMES) -> str:
    """HTML: each token with its tag from tagger A (`names[0]`) under it and from tagger B (`names[1]`) below,
    the tokens where the two differ highlighted (yellow, tag B in bold), BIO tags that start an entity inside
    (I-X after neither B-X nor I-X) underlined in red, and a count: "the CRF changed N of M tags" (with other
    names: "B differs from A on N of M tags"). Tokens, tags and names are HTML-escaped.

    Raises ValueError when the three lengths differ (one tag per token in each row)."""
    tokens, row_a, row_b = [str(t) for t in tokens], [str(t) for t in tags_a], [str(t) for t in tags_b]
    if not len(tokens) == len(row_a) == len(row_b):
        raise ValueError(f"one tag per token in each row: got {len(tokens)} tokens, {len(row_a)} tags from "
                         f"{names[0]} and {len(row_b)} from {names[1]}")
    changed = [t for t in range(len(tokens)) if row_a[t] != row_b[t]]
    bad_a, bad_b = set(invalid_transitions(row_a)), set(invalid_transitions(row_b))
    invalid = "text-decoration:underline wavy #c00"
    cells = [f'<span style="display:inline-block;vertical-align:top;margin:2px;padding:2px 4px;color:#555">'
             f'{_cell("token")}{_cell(names[0])}{_cell(names[1])}</span>']
    for t, token in enumerate(tokens):
        differs = t in changed
        box = "background:#ffe680;border:1px solid #c90;" if differs else "border:1px solid #ddd;"
        cells.append(
            f'<span class="{"tag-changed" if differs else "tag-same"}" style="display:inline-block;'
            f'vertical-align:top;margin:2px;padding:2px 4px;text-align:center;{box}">'
            f'{_cell(token, "font-weight:bold")}'
            f'{_cell(row_a[t], "color:#555;" + (invalid if t in bad_a else ""))}'
            f'{_cell(row_b[t], ("font-weight:bold;" if differs else "color:#555;") + (invalid if t in bad_b else ""))}'
            f'</span>')
    n, m = len(changed), len(tokens)
    what = (f"the CRF changed {n} of {m} tags" if tuple(names) == NAMES
            else f"{names[1]} differs from {names[0]} on {n} of {m} tags")
    summary = f"<div><b>{html.escape(what, quote=False)}</b>"
    if bad_a or bad_b:
        summary += (f" &nbsp; invalid BIO transitions (an I- tag that starts an entity, underlined): "
                    f"{html.escape(names[0], quote=False)} {len(bad_a)}, "
                    f"{html.escape(names[1], quote=False)} {len(bad_b)}")
    summary += "</div>"
    return f'{summary}<div style="font-family:monospace;line-height:1.4">{"".join(cells)}</div>'


def _tag(tag: Any) -> str:
    """One tag as text: a 0-dim tensor or numpy scalar by its value (3, not "tensor(3)")."""
    if hasattr(tag, "item") and getattr(tag, "ndim", 1) == 0:
        tag = tag.item()
    return str(tag)


def _as_tags(row: Any, what: str) -> list[str]:
    if hasattr(row, "tolist") and hasattr(row, "shape") and not isinstance(row, list | tuple):  # tensor, array
        shape = tuple(row.shape)
        if len(shape) == 2 and shape[0] == 1:             # a batch of one sentence: its only row
            row = row[0]
        elif len(shape) != 1:
            raise TypeError(f"{what} has shape {shape}, expected one tag per token: a list or a 1-D tensor")
        row = row.tolist()
    if isinstance(row, str) or not isinstance(row, list | tuple):
        raise TypeError(f"{what} is a {type(row).__name__}, expected a list of tags")
    return [_tag(tag) for tag in row]


def sentence_view(predict: Callable[[list[str]], Any], text: str, *, names: tuple[str, str] = NAMES,
                  tokenize: Callable[[str], list[str]] = tokenize_sentence, max_tokens: int = MAX_TOKENS,
                  render: Callable[[list[str], list[str]], str] | None = None) -> View:
    """What the explorer shows for `text`: View(data, message).

    data = {"tokens", "tags_a", "tags_b", "changed" (positions where they differ), "html" (tagging_view's
    HTML), "rendered" (None, or `render(tokens, tags)` for each tagger: e.g. the text with its punctuation
    restored, shown under the tags)}, or None with a message saying what to change: empty text, text with no
    word (only punctuation or symbols; `tokenize` may drop punctuation),
    `predict` raising (the message names its error), or `predict` breaking its contract: `predict(tokens)` must
    return (tags of names[0], tags of names[1]), two lists (or 1-D tensors) of len(tokens) tags (a row of shape
    (1, len(tokens)), one (2, len(tokens)) tensor and 0-dim tensors as tags are read too). Text longer than
    `max_tokens` tokens is cut there, and the message says so; `tokenize` raising is a message as well."""
    if not isinstance(text, str):
        return View(None, f"expected text, got {type(text).__name__}")
    if not text.translate(_INVISIBLE).strip():
        return View(None, "Type a sentence to tag (the text is empty).")
    try:
        tokens = [str(token) for token in tokenize(text)]
    except Exception as err:  # noqa: BLE001 - the notebook's tokenizer: a message, never a traceback
        return View(None, f"tokenize raised {type(err).__name__}: {err}; it must return a list of tokens (str)")
    if not tokens or not any(any(ch.isalnum() for ch in str(token)) for token in tokens):
        shown = " ".join(text.split())[:40]
        return View(None, f"The text is only punctuation or symbols ({shown}), with no word for the taggers to "
                          "tag: type a sentence with words.")
    notes = []
    if len(tokens) > max_tokens:
        notes.append(f"The text has {len(tokens)} tokens: only the first {max_tokens} are tagged.")
        tokens = tokens[:max_tokens]
    contract = (f"predict(tokens) must return ({names[0]}'s tags, {names[1]}'s tags): two lists of "
                f"len(tokens) tags")
    try:
        out = predict(list(tokens))
    except Exception as err:  # noqa: BLE001 - the notebook's function: shown as a message, never a traceback
        return View(None, f"predict raised {type(err).__name__}: {err} (for {len(tokens)} tokens: "
                          f"{' '.join(tokens[:8])}{' ...' if len(tokens) > 8 else ''}). Fix predict, then "
                          "edit the sentence to try again.")
    if hasattr(out, "shape") and len(tuple(out.shape)) == 2 and tuple(out.shape)[0] == 2:
        out = (out[0], out[1])                            # one (2, len(tokens)) tensor or array: the two rows
    if not isinstance(out, tuple | list) or len(out) != 2:
        got = f"a {type(out).__name__}" + (f" of {len(out)} items" if isinstance(out, tuple | list) else "")
        return View(None, f"{contract}; it returned {got}.")
    try:
        row_a, row_b = _as_tags(out[0], f"{names[0]}'s tags"), _as_tags(out[1], f"{names[1]}'s tags")
    except TypeError as err:
        return View(None, f"{contract}; {err}.")
    if len(row_a) != len(tokens) or len(row_b) != len(tokens):
        return View(None, f"{contract}; for {len(tokens)} tokens it returned {len(row_a)} and {len(row_b)} "
                          "tags (padding left in, or the tokens split differently?).")
    changed = [t for t in range(len(tokens)) if row_a[t] != row_b[t]]
    data = {"tokens": tokens, "tags_a": row_a, "tags_b": row_b, "changed": changed,
            "html": tagging_view(tokens, row_a, row_b, names), "rendered": None}
    if render is not None:
        try:
            data["rendered"] = (str(render(tokens, row_a)), str(render(tokens, row_b)))
        except Exception as err:  # noqa: BLE001 - the notebook's function: a note, the tags are still shown
            notes.append(f"render raised {type(err).__name__}: {err}")
        else:
            data["html"] += "".join(f'<div><span style="color:#555">{html.escape(name, quote=False)}:</span> '
                                    f'{html.escape(line, quote=False)}</div>'
                                    for name, line in zip(names, data["rendered"], strict=True))
    return View(data, " ".join(notes))


def _panel_html(view: View) -> str:
    note = (f'<p style="color:{"#555" if view.ok else "#b00"}"><i>{html.escape(view.message, quote=False)}</i></p>'
            if view.message else "")
    return (view.data["html"] + note) if view.ok else (note or "<div></div>")


def tagging_explorer(predict: Callable[[list[str]], Any], example: str = "Alice flew to New York on Monday .", *,
                     names: tuple[str, str] = NAMES, tokenize: Callable[[str], list[str]] = tokenize_sentence,
                     max_tokens: int = MAX_TOKENS, render: Callable[[list[str], list[str]], str] | None = None
                     ) -> Any:
    """A text box named "sentence" and an HTML panel (`sentence_view` drawn by `tagging_view`), redrawn when you
    press Enter or leave the box (one redraw per edit, at most one pending). `predict(tokens)` returns the two
    taggers' tags; `tokenize`, `max_tokens` and `render` as in `sentence_view`. Returns the VBox:
    `box.controls` = {"sentence"}, `box.output` (the HTML panel), `box.view` (the latest View)."""
    import ipywidgets as widgets

    controls = {"sentence": widgets.Text(value=example, description="sentence", continuous_update=False,
                                         layout=widgets.Layout(width="95%"))}
    panel = widgets.HTML()

    def redraw() -> View:
        view = sentence_view(predict, controls["sentence"].value, names=names, tokenize=tokenize,
                             max_tokens=max_tokens, render=render)
        panel.value = _panel_html(view)
        return view

    return wire(controls, panel, redraw)


make_tagging_widget = tagging_explorer   # the name the other widget modules' factories follow
