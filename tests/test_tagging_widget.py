"""The tagging explorer (notebook 11): the view's content, escaping, every extreme as a message, the sweep of the
one widget contract, and a burst of typing costing one redraw (the flood pattern of test_widgets_flood)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import torch
from test_widget_extremes import sweep

from rnnlab.widgets.contract import View
from rnnlab.widgets.tagging import (
    MAX_TOKENS,
    invalid_transitions,
    sentence_view,
    tagging_explorer,
    tagging_view,
    tokenize_sentence,
)

MODULE = Path(__file__).resolve().parents[1] / "rnnlab" / "widgets" / "tagging.py"


def _cells(html: str) -> list[str]:
    """The class of each token's cell, in order ("tag-changed" or "tag-same")."""
    return re.findall(r'class="(tag-changed|tag-same)"', html)


def fake_predict(tokens):
    """A stand-in for the notebook's two taggers: capitalised words are entities; the plain tagger starts a
    second capitalised word with I- only when the word before it is capitalised (it never says B- after O)."""
    plain, crf = [], []
    for t, token in enumerate(tokens):
        if token[:1].isupper():
            inside = t > 0 and tokens[t - 1][:1].isupper()
            plain.append("I-ENT")
            crf.append("I-ENT" if inside else "B-ENT")
        else:
            plain.append("O")
            crf.append("O")
    return plain, crf


# ---- the view ------------------------------------------------------------------------------------------------

def test_the_view_highlights_where_the_tags_differ_and_counts_them():
    tokens = ["Alice", "flew", "to", "New", "York"]
    html = tagging_view(tokens, ["I-PER", "O", "O", "I-LOC", "I-LOC"], ["B-PER", "O", "O", "B-LOC", "I-LOC"])
    assert "the CRF changed 2 of 5 tags" in html
    assert _cells(html) == ["tag-changed", "tag-same", "tag-same", "tag-changed", "tag-same"]
    for token in tokens:
        assert f">{token}<" in html
    assert "invalid BIO transitions" in html and "BiLSTM 2, BiLSTM + CRF 0" in html
    assert html.index(">Alice<") < html.index(">I-PER<") < html.index(">B-PER<")   # token, then A, then B


def test_the_view_when_nothing_differs():
    html = tagging_view(["the", "cat"], ["DET", "NOUN"], ["DET", "NOUN"])
    assert "the CRF changed 0 of 2 tags" in html
    assert _cells(html) == ["tag-same", "tag-same"] and "invalid BIO" not in html   # POS tags: no BIO count


def test_other_names_and_non_string_tags():
    html = tagging_view(["a", "b", "c"], [0, 1, 2], torch.tensor([0, 2, 2]).tolist(), names=("uni", "bi"))
    assert '"bi" differs' not in html and "bi differs from uni on 1 of 3 tags" in html
    assert _cells(html) == ["tag-same", "tag-changed", "tag-same"]


def test_the_view_escapes_html_in_tokens_tags_and_names():
    html = tagging_view(["<script>alert(1)</script>", "&", "x"], ["<b>", "O", "O"], ["O", "O", "O"],
                        names=("<i>A</i>", "B & C"))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ">&lt;b&gt;<" in html and html.count("<b>") == 1       # the only <b> is the view's own summary
    assert "<b>B &amp; C differs from" in html
    assert "<i>A</i>" not in html and "&lt;i&gt;A&lt;/i&gt;" in html


def test_the_view_refuses_rows_of_another_length():
    with pytest.raises(ValueError, match="3 tokens, 2 tags from BiLSTM and 3 from BiLSTM \\+ CRF"):
        tagging_view(["a", "b", "c"], ["O", "O"], ["O", "O", "O"])


def test_invalid_transitions():
    assert invalid_transitions(["O", "I-PER", "I-PER", "B-LOC", "I-PER", "I-LOC"]) == [1, 4, 5]
    assert invalid_transitions(["I-X"]) == [0]
    assert invalid_transitions(["B-X", "I-X", "O"]) == [] and invalid_transitions(["NOUN", "VERB"]) == []


def test_tokenize_sentence():
    assert tokenize_sentence("New York's U.S. office, re-opened!") == \
        ["New", "York's", "U.S", ".", "office", ",", "re-opened", "!"]
    assert tokenize_sentence("   ") == [] and tokenize_sentence("日本語 ✓") == ["日本語", "✓"]


# ---- the explorer's view of a sentence, at every extreme --------------------------------------------------------

def test_a_sentence_is_tagged_by_both_taggers():
    view = sentence_view(fake_predict, "Alice flew to New York .")
    assert view.ok and view.message == ""
    assert view.data["tokens"] == ["Alice", "flew", "to", "New", "York", "."]
    assert view.data["changed"] == [0, 3] and view.data["tags_b"][:2] == ["B-ENT", "O"]
    assert "the CRF changed 2 of 6 tags" in view.data["html"]


@pytest.mark.parametrize("text, words", [
    ("", "text is empty"),
    ("   \n\t", "text is empty"),
    ("?! ... ,", "only punctuation"),
    ("✓ → ✓", "only punctuation or symbols"),
    (None, "expected text"),
])
def test_empty_and_punctuation_only_text_give_a_message(text, words):
    view = sentence_view(fake_predict, text)
    assert not view.ok and words in view.message


def test_a_very_long_sentence_is_cut_with_a_message():
    text = " ".join(["word"] * (MAX_TOKENS + 15))
    seen = []
    view = sentence_view(lambda tokens: seen.append(len(tokens)) or fake_predict(tokens), text)
    assert view.ok and seen == [MAX_TOKENS] and len(view.data["tokens"]) == MAX_TOKENS
    assert f"has {MAX_TOKENS + 15} tokens: only the first {MAX_TOKENS} are tagged" in view.message


def test_predict_raising_is_a_message_naming_the_error():
    def broken(tokens):
        raise KeyError("zebra")

    view = sentence_view(broken, "a zebra")
    assert not view.ok and "predict raised KeyError: 'zebra'" in view.message and "a zebra" in view.message


@pytest.mark.parametrize("result, words", [
    (["O", "O", "O"], "returned a list of 3 items"),                  # one row, not two
    (["O", "O"], "BiLSTM's tags is a str"),                           # one row of 2, read as two rows
    ("O O", "returned a str"),
    ((["O"], ["O", "O"]), "for 2 tokens it returned 1 and 2 tags"),
    ((["O", "O", "O"], ["O", "O", "O"]), "for 2 tokens it returned 3 and 3 tags"),
    ((["O", "O"], "OO"), "is a str, expected a list of tags"),
    ((torch.zeros(2), 5), "is a int"),
])
def test_predict_breaking_its_contract_is_named(result, words):
    view = sentence_view(lambda tokens: result, "a b")
    assert not view.ok
    assert "predict(tokens) must return (BiLSTM's tags, BiLSTM + CRF's tags)" in view.message
    assert words in view.message, view.message


def test_a_tokenizer_that_drops_punctuation_and_a_render_line():
    words = re.compile(r"[a-z]+")

    def tokenize(text):
        return words.findall(text.lower())

    def render(tokens, tags):                                # a clause ends where the next tag starts with B-
        return " ".join(t + ("," if k + 1 < len(tags) and tags[k + 1].startswith("B-") else "")
                        for k, t in enumerate(tokens))

    view = sentence_view(lambda toks: (["B-X"] * len(toks), ["B-X"] + ["I-X"] * (len(toks) - 1)), "So, she ran",
                         tokenize=tokenize, render=render)
    assert view.ok and view.data["tokens"] == ["so", "she", "ran"]
    assert view.data["rendered"] == ("so, she, ran", "so she ran")
    assert "BiLSTM:</span> so, she, ran" in view.data["html"] and "BiLSTM + CRF:</span> so she ran" in \
        view.data["html"]
    only_marks = sentence_view(fake_predict, "?! -- ...", tokenize=tokenize)
    assert not only_marks.ok and "only punctuation or symbols (?! -- ...)" in only_marks.message

    def broken_render(tokens, tags):
        raise ValueError("no tags")

    view = sentence_view(fake_predict, "a b", render=broken_render)
    assert view.ok and "render raised ValueError: no tags" in view.message


def test_tensors_of_tag_ids_are_accepted():
    view = sentence_view(lambda tokens: (torch.tensor([0, 1]), torch.tensor([0, 2])), "a b")
    assert view.ok and view.data["tags_b"] == ["0", "2"] and view.data["changed"] == [1]


# ---- the widget ----------------------------------------------------------------------------------------------

def test_the_explorer_shows_the_view_and_every_message():
    box = tagging_explorer(fake_predict, example="Alice flew to New York .")
    assert list(box.controls) == ["sentence"] and box.controls["sentence"].description == "sentence"
    assert box.controls["sentence"].continuous_update is False
    assert box.view.ok and "the CRF changed 2 of 6 tags" in box.output.value
    box.controls["sentence"].value = "!!!"
    assert not box.view.ok and "only punctuation" in box.output.value
    box.controls["sentence"].value = "Bob <b>sings</b>"
    assert box.view.ok and ">&lt;<" in box.output.value and "<b>sings" not in box.output.value
    box.controls["sentence"].value = "word " * (MAX_TOKENS + 1)
    assert box.view.ok and f"only the first {MAX_TOKENS} are tagged" in box.output.value


def test_the_explorer_at_its_extremes_never_shows_a_traceback():
    box = tagging_explorer(fake_predict)
    assert sweep(box) >= 3

    def broken(tokens):
        raise RuntimeError("shape mismatch")

    box = tagging_explorer(broken)
    assert not box.view.ok and "predict raised RuntimeError: shape mismatch" in box.output.value


def test_a_burst_of_typing_redraws_once():
    calls = []
    box = tagging_explorer(lambda tokens: calls.append(tokens) or fake_predict(tokens), example="Alice flew home")
    control = box.controls["sentence"]
    before, calls_before = box.redraws, len(calls)
    for i in range(1, 15):                                  # what the front end sends, keystroke by keystroke
        control.set_state({"value": "Alice flew home"[: max(1, 15 - i)]})
    control.set_state({"value": "Alice met Bob"})
    assert box.redraws == before and box._redrawer.stale     # nothing drawn while nobody looks
    view = box.view
    assert isinstance(view, View) and box.redraws == before + 1 and len(calls) == calls_before + 1
    assert view.data["tokens"] == ["Alice", "met", "Bob"]


def test_the_module_imports_no_experiment():
    tree = ast.parse(MODULE.read_text())
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module] + \
            [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert names and not any(m.startswith("rnnlab.experiments") for m in names)


# ---- found by trying odd inputs (each failed before the fix) ----------------------------------------------------

def test_unicode_typed_with_combining_accents_and_emoji_stays_whole():
    import unicodedata

    assert tokenize_sentence(unicodedata.normalize("NFD", "café naïve")) == ["café", "naïve"]
    assert tokenize_sentence("ok 👍🏽 👨\u200d👩\u200d👧 東京") == ["ok", "👍🏽", "👨\u200d👩\u200d👧", "東京"]
    assert sentence_view(fake_predict, "\u200b\u200b \u200b").message == "Type a sentence to tag (the text is empty)."


def test_tag_rows_as_0_dim_tensors_a_batch_of_one_or_one_array_are_read_by_value():
    n = lambda tokens: len(tokens)  # noqa: E731
    views = [sentence_view(lambda t: ([torch.tensor(1)] * n(t), [torch.tensor(2)] * n(t)), "Alice flew"),
             sentence_view(lambda t: (torch.ones(1, n(t), dtype=torch.long),
                                      2 * torch.ones(1, n(t), dtype=torch.long)), "Alice flew"),
             sentence_view(lambda t: torch.tensor([[1] * n(t), [2] * n(t)]), "Alice flew")]
    for view in views:
        assert view.ok, view.message
        assert view.data["tags_a"] == ["1", "1"] and view.data["tags_b"] == ["2", "2"]
    # a (1, 1) row for one token was shown as the tag "[0]"; a (2, 1) row is not one tag per token
    assert sentence_view(lambda t: (torch.zeros(1, 1, dtype=torch.long),) * 2, "Alice").data["tags_a"] == ["0"]
    view = sentence_view(lambda t: (torch.zeros(3, 1, dtype=torch.long),) * 2, "Alice")
    assert not view.ok and "has shape (3, 1)" in view.message


@pytest.mark.parametrize("tokenize", [lambda text: None, lambda text: 1 / 0], ids=["returns None", "raises"])
def test_a_tokenizer_that_breaks_is_a_message_not_a_traceback(tokenize):
    view = sentence_view(fake_predict, "Alice flew", tokenize=tokenize)
    assert not view.ok and view.message.startswith("tokenize raised")
