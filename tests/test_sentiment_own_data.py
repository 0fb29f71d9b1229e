"""Notebook 05's own-data path (a CSV of texts and labels, any number of classes), typographic characters in
typed text (issue 24, case sentiment_curly_apostrophe), bidirectional outputs in last_real_state (case
bidir_last_state), the typed SentimentResult, and the mistakes the exercise checks name (wrong-answers/t04)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.checks.sentiment import check_bag_of_words, check_last_real_state
from rnnlab.data.sentiment import (
    EXAMPLE_CSV,
    build_vocab,
    encode_texts,
    read_labelled_csv,
    split_labelled,
)
from rnnlab.data.vocab import Vocab, normalise_text, tokenize_words
from rnnlab.experiments.sentiment import SentimentConfig, SentimentResult, run_sentiment
from rnnlab.models.classifier import BagOfWordsClassifier, RNNClassifier, last_real_state, make_classifier

TINY = dict(steps=30, eval_every=30, batch_size=16, progress=False, embedding_dim=8, hidden_size=8)

# ---------------------------------------------------------------------------------------------------------
# Typographic characters (case sentiment_curly_apostrophe and the other members of its kind)
# ---------------------------------------------------------------------------------------------------------

APOSTROPHES = "\u2019\u2018\u201b\u02bc\u2032\uff07`\u00b4"      # ’ ‘ ‛ ʼ ′ ＇ ` ´
SPACES = "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u3000"       # non-breaking, narrow, figure, thin, ...
DOUBLE_QUOTES = "\u201c\u201d\u201e\u00ab\u00bb"                  # “ ” „ « »
DASHES = "\u2013\u2014\u2212\u2012"                               # – — − ‒


def test_the_case_curly_apostrophe_keeps_the_negation():
    """The shared case: "don’t" (U+2019) was three tokens ("don", "’", "t") and lost its negation."""
    assert tokenize_words("I don\u2019t like it, it was stale.") == tokenize_words("I don't like it, it was stale.")
    assert "don't" in tokenize_words("I don\u2019t like it")
    vocab = build_vocab(["i don't like it", "i don't know", "i like it"], min_freq=1)
    assert encode_texts(["I don\u2019t like it"], vocab) == encode_texts(["I don't like it"], vocab)
    assert vocab.encode(["don\u2019t"]) == vocab.encode(["don't"]) != [vocab.unk_id]   # tokens from elsewhere


def test_the_widget_path_reads_the_same_tokens_for_both_apostrophes():
    from rnnlab.widgets.sentiment import analyse_review

    vocab = build_vocab(["i don't like it , it was stale .", "it was great ."] * 2, min_freq=1)
    model = BagOfWordsClassifier(len(vocab))
    straight = analyse_review("I don't like it, it was stale.", model, vocab)
    curly = analyse_review("I don\u2019t like it,\u00a0it was stale.", model, vocab)
    assert straight.tokens == curly.tokens and straight.probability == pytest.approx(curly.probability)


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.sampled_from(["it", "was", "not", "bad", "stale", "tea", "i", "don't", "can't", "ok"]),
                      min_size=1, max_size=12),
       apostrophe=st.sampled_from(APOSTROPHES), space=st.sampled_from(SPACES),
       quote=st.sampled_from(DOUBLE_QUOTES), dash=st.sampled_from(DASHES))
def test_typographic_text_tokenises_like_typed_text(words, apostrophe, space, quote, dash):
    """Any mix of typographic apostrophes, spaces, quotes and dashes gives the tokens of the plain text."""
    plain = " ".join(words) + ' - "yes"'
    fancy = (space.join(words).replace("'", apostrophe) + f" {dash} {quote}yes{quote}")
    assert tokenize_words(fancy) == tokenize_words(plain)


@pytest.mark.parametrize("fancy, plain", [
    ("it was\u2026 fine", "it was... fine"),                       # ellipsis
    ("\ufb01ne coffee", "fine coffee"),                             # ligature
    ("\uff27\uff2f\uff2f\uff24 tea", "GOOD tea"),                   # full-width letters
    ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),   # invisible characters removed
    ("\ufeffgreat", "great"),                                       # a byte-order mark left at the start
    ("caf\u0065\u0301 cr\u00e8me", "caf\u00e9 cr\u00e8me"),         # a decomposed accent composed
])
def test_other_typographic_characters(fancy, plain):
    assert tokenize_words(fancy) == tokenize_words(plain)


def test_normalisation_keeps_emoji_and_other_scripts_and_refuses_non_text():
    assert normalise_text("caf\u00e9 \U0001f600 \u65e5\u672c") == "caf\u00e9 \U0001f600 \u65e5\u672c"
    assert normalise_text("plain ascii, unchanged") == "plain ascii, unchanged"
    with pytest.raises(TypeError, match="str"):
        normalise_text(b"bytes")


# ---------------------------------------------------------------------------------------------------------
# last_real_state on bidirectional outputs (case bidir_last_state and other shapes)
# ---------------------------------------------------------------------------------------------------------


def _packed_run(gru: nn.GRU, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h = gru(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h                                                        # (b, t, 2H), (2, b, H)


@settings(max_examples=25, deadline=None)
@given(lengths=st.lists(st.integers(1, 7), min_size=1, max_size=5), hidden=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_bidirectional_last_real_state_equals_the_packed_final_states(lengths, hidden, seed):
    torch.manual_seed(seed)
    gru = nn.GRU(3, hidden, batch_first=True, bidirectional=True)
    lengths_t = torch.tensor(lengths)
    x = torch.randn(len(lengths), max(lengths) + 2, 3)                   # two extra padding columns
    with torch.no_grad():
        out, h = _packed_run(gru, x, lengths_t)
        final = torch.cat([h[0], h[1]], dim=-1)                          # (batch, 2 * hidden)
        assert torch.allclose(last_real_state(out, lengths_t, bidirectional=True), final, atol=1e-6)
        four_d = out.view(out.shape[0], out.shape[1], 2, hidden)         # the layout torch documents
        assert torch.allclose(last_real_state(four_d, lengths_t, bidirectional=True), final, atol=1e-6)
        assert torch.allclose(last_real_state(out, lengths_t, bidirectional=gru.bidirectional,
                                              hidden_size=gru.hidden_size), final, atol=1e-6)


def test_the_case_bidir_last_state_same_last_word_different_reviews():
    """The shared case: two reviews ending on the same word got the same backward half (it had read one word)."""
    torch.manual_seed(0)
    emb, gru = nn.Embedding(20, 8), nn.GRU(8, 4, batch_first=True, bidirectional=True)
    length = torch.tensor([5])
    halves = []
    with torch.no_grad():
        for ids in ([[3, 4, 5, 6, 9]], [[11, 12, 13, 14, 9]]):
            out, h = gru(emb(torch.tensor(ids)))
            both = last_real_state(out, length, bidirectional=True)[0]
            assert torch.allclose(both[4:], h[1, 0], atol=1e-6)           # the backward final state
            halves.append(both[4:])
            one_way = last_real_state(out, length, bidirectional=False)[0]   # said one direction: a plain gather
            assert torch.allclose(one_way, out[0, 4])
            with pytest.raises(TypeError, match="bidirectional"):       # the case's call: no silent default
                last_real_state(out, length)
            with pytest.raises(ValueError, match=r"is bidirectional=True\?"):   # the wrong flag, caught by size
                last_real_state(out, length, bidirectional=False, hidden_size=gru.hidden_size)
    assert not torch.allclose(halves[0], halves[1], atol=1e-3)


def test_bidirectional_outputs_that_read_the_padding_are_refused():
    torch.manual_seed(0)
    gru = nn.GRU(3, 2, batch_first=True, bidirectional=True)
    x, lengths = torch.randn(2, 6, 3), torch.tensor([6, 3])
    with torch.no_grad():
        unpacked, _ = gru(x)                                              # the backward GRU starts on padding
    with pytest.raises(ValueError, match=r"backward direction read the padding: row 1 .*pack_padded_sequence"):
        last_real_state(unpacked, lengths, bidirectional=True)
    with pytest.raises(ValueError, match="odd size 5"):
        last_real_state(torch.zeros(2, 6, 5), lengths, bidirectional=True)
    with pytest.raises(ValueError, match="has 3 directions"):
        last_real_state(torch.zeros(2, 6, 3, 4), lengths, bidirectional=True)
    with pytest.raises(ValueError, match="has 2 directions .* bidirectional=False means 1"):
        last_real_state(torch.zeros(2, 6, 2, 4), lengths, bidirectional=False)
    for flag in (None, 1, "yes"):
        with pytest.raises(TypeError, match="bidirectional must be True or False.*rnn.bidirectional"):
            last_real_state(torch.zeros(2, 6, 4), lengths, bidirectional=flag)
    with pytest.raises(ValueError, match=r"last axis is 6, but hidden_size=4 with bidirectional=True means 2 x 4"):
        last_real_state(torch.zeros(2, 6, 6), lengths, bidirectional=True, hidden_size=4)


def test_one_direction_in_four_dimensions_is_the_plain_gather():
    out = torch.randn(2, 4, 1, 3)
    assert torch.equal(last_real_state(out, torch.tensor([2, 4]), bidirectional=False), out[[0, 1], [1, 3], 0])


# ---------------------------------------------------------------------------------------------------------
# Exercise checks name the mistakes (wrong-answers/t04.py and more)
# ---------------------------------------------------------------------------------------------------------


def _counts(mask_fn, presence=False, transpose=False):
    def student(ids, lengths, vocab_size):
        mask = mask_fn(ids, lengths)
        counts = torch.zeros(ids.shape[0], vocab_size).scatter_add_(1, ids, mask.float())
        counts = (counts > 0).float() if presence else counts
        return counts.T if transpose else counts
    return student


def _steps(ids):
    return torch.arange(ids.shape[1])[None, :]


BOW_MISTAKES = {
    "counted the padding": _counts(lambda ids, lengths: torch.ones_like(ids, dtype=torch.bool)),
    "keeps position lengths[b] too": _counts(lambda ids, lengths: _steps(ids) <= lengths[:, None]),
    "drops each row's last real token": _counts(lambda ids, lengths: _steps(ids) < lengths[:, None] - 1),
    "presence": _counts(lambda ids, lengths: _steps(ids) < lengths[:, None], presence=True),
    "ids != 0": _counts(lambda ids, lengths: ids != 0),
    "transposed": _counts(lambda ids, lengths: _steps(ids) < lengths[:, None], transpose=True),
}


@pytest.mark.parametrize("words", list(BOW_MISTAKES))
def test_bag_of_words_check_names_each_mistake(words, capsys):
    assert not check_bag_of_words(BOW_MISTAKES[words])
    assert words in capsys.readouterr().out


def test_bag_of_words_check_passes_the_right_answer_in_any_dtype(capsys):
    assert check_bag_of_words(_counts(lambda ids, lengths: _steps(ids) < lengths[:, None]))
    right_int = _counts(lambda ids, lengths: _steps(ids) < lengths[:, None])
    assert check_bag_of_words(lambda *a: right_int(*a).long())
    assert capsys.readouterr().out.count("passed") == 2


LAST_MISTAKES = {
    "outputs[:, -1], the last column": lambda o, n: o[:, -1],
    "you took position lengths[b]": lambda o, n: o[torch.arange(o.shape[0]), n.clamp(max=o.shape[1] - 1)],
    "outputs[:, lengths - 1]": lambda o, n: o[:, n - 1],
    "the first step": lambda o, n: o[:, 0],
    "not lengths[b]), and the row index": lambda o, n: o[torch.arange(o.shape[0]), n],   # IndexError at the end
    "swapped the batch and time axes": lambda o, n: o[n - 1, torch.arange(o.shape[0])],
}


@pytest.mark.parametrize("words", list(LAST_MISTAKES))
def test_last_real_state_check_names_each_mistake(words, capsys):
    assert not check_last_real_state(LAST_MISTAKES[words])
    assert words in capsys.readouterr().out


def test_last_real_state_check_passes_the_right_answer(capsys):
    assert check_last_real_state(lambda o, n: o[torch.arange(o.shape[0]), n - 1])
    assert "passed" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------------
# Your own CSV: any number of classes, clear errors
# ---------------------------------------------------------------------------------------------------------

THREE = {"negative": ["awful stale tea", "bad and bitter", "terrible taste", "stale , awful", "bitter mess",
                      "gross and bad"],
         "neutral": ["it is tea", "arrived on monday", "a box of tea", "the tea is tea", "ordered two boxes",
                     "it came in a box"],
         "positive": ["delicious tea", "great and fresh", "lovely taste", "fresh , delicious", "great tea",
                      "lovely and great"]}


def _write_three(path, sep=",", encoding="utf-8"):
    lines = [f"id{sep}comment{sep}mood"] + [f"{i}{sep}{t}{sep}{label}" if sep != "," else f'{i},"{t}",{label}'
                                            for i, (label, texts) in enumerate(THREE.items()) for t in texts]
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def test_three_classes_read_split_and_trained(tmp_path):
    own = read_labelled_csv(_write_three(tmp_path / "three.csv"), "comment", "mood")
    assert own.classes == ("negative", "neutral", "positive") and own.counts == {c: 6 for c in THREE}
    parts = split_labelled(own, seed=0)
    for part in (parts.train, parts.validation, parts.test):
        assert set(part["label"]) == {0, 1, 2}                        # every class in every part
    assert len(parts.train) + len(parts.validation) + len(parts.test) == 18
    result = run_sentiment(SentimentConfig(model="gru", csv=str(tmp_path / "three.csv"), text_column="comment",
                                           label_column="mood", min_freq=1, **TINY))
    assert isinstance(result, SentimentResult) and result.classes == ("negative", "neutral", "positive")
    assert result.model.head.out_features == 3 and result.metrics["classes"] == 3
    assert result.probe_accuracy is None and result.probe_set is None
    assert 0 <= result.accuracy <= 1 and result.majority_accuracy == pytest.approx(1 / 3)


def test_numeric_labels_sort_as_numbers_and_separators_are_detected(tmp_path):
    path = tmp_path / "stars.tsv"
    rows = ["text\tstars"] + [f"review {i}\t{s}" for s in ("1", "2", "10") for i in range(3)]
    path.write_text("\n".join(rows), encoding="utf-8")
    assert read_labelled_csv(path, "text", "stars").classes == ("1", "2", "10")
    bom = _write_three(tmp_path / "semi.csv", sep=";", encoding="utf-8-sig")   # Excel's UTF-8 with a BOM
    assert read_labelled_csv(bom, "comment", "mood").classes == ("negative", "neutral", "positive")


def test_the_example_file_runs_from_the_terminal(capsys):
    from rnnlab.experiments.__main__ import main

    assert main(["sentiment", "--csv", str(EXAMPLE_CSV), "--text-column", "review", "--label-column", "stars",
                 "--model", "bow", "--steps", "40", "--eval-every", "40", "--no-progress"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    metrics = record["metrics"]
    assert metrics["classes"] == 2 and metrics["majority_accuracy"] == pytest.approx(0.5)
    assert metrics["train_rows"] == 280 and metrics["test_rows"] == 80


@pytest.mark.parametrize("content, match", [
    ("comment,mood\nfine,ok\n", r"no column 'text' \(--text-column\).*\['comment', 'mood'\]"),
    ("Text,label\nfine,ok\n", r"did you mean 'Text'"),
    ("text,label\n" + "fine,ok\n" * 6, r"one class only \('ok' in all 6 rows\)"),
    ("text,label\nfine,a\n,b\nok,a\nyes,b\nno,a\nso,b\n", r"empty text in column 'text' at data row 2 \(line 3"),
    ("text,label\nfine,a\nnice,\nok,a\nyes,b\nno,a\nso,b\n", r"empty label in column 'label' at data row 2"),
    ("text,label\nfine,a\nok,a\nyes,a\nno,b\nso,b\n", r"fewer than 3 rows"),
    ("text,label\n" + "".join(f"t{i},{i}\n" for i in range(8)), r"looks like a column of texts or ids"),
    ("text,label\n", r"header but no rows"),
    ("", r"is empty"),
    ("text,label\n\u200b\u00ad,a\nok,a\nyes,a\nno,b\nso,b\nhm,b\n", r"empty text .* at data row 1 "),
])
def test_bad_files_get_errors_naming_the_row_column_or_option(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        read_labelled_csv(path, "text", "label")


def test_encodings_and_paths(tmp_path, monkeypatch):
    path = tmp_path / "win.csv"
    path.write_bytes(b"text,label\n" + "".join(f"it\u2019s fine {i},{'ab'[i % 2]}\n" for i in range(6))
                     .encode("cp1252"))
    with pytest.raises(ValueError, match=r"not UTF-8.*Windows-1252.*--encoding cp1252"):
        read_labelled_csv(path)
    own = read_labelled_csv(path, encoding="cp1252")
    assert own.frame["text"][0] == "it's fine 0"                       # the curly apostrophe made plain
    with pytest.raises(FileNotFoundError, match=r"--csv: no such file"):
        read_labelled_csv(tmp_path / "missing.csv")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert len(read_labelled_csv("~/win.csv", encoding="cp1252").frame) == 6
    with pytest.raises(ValueError, match="contrast_examples"):
        SentimentConfig(csv="x.csv", contrast_examples=10)


# ---------------------------------------------------------------------------------------------------------
# Typed result and multi-class models
# ---------------------------------------------------------------------------------------------------------


def test_sentiment_result_fields_are_typed_and_documented():
    names = {f.name for f in dataclasses.fields(SentimentResult)}
    assert {"data", "accuracy", "majority_accuracy", "val_accuracy", "probe_accuracy",
            "probe_pairs_ordered"} <= names
    result = run_sentiment(SentimentConfig(model="bow", max_len=20, **TINY))
    assert result.accuracy == result.metrics["accuracy"] and result.probe_accuracy == result.metrics["probe_accuracy"]
    assert isinstance(result.vocab, Vocab) and result.classes == ("other", "great") and len(result.test_set) == 1000
    assert len(result.probe_set) == 250


@pytest.mark.parametrize("kind", ["bow", "gru", "bilstm"])
def test_multiclass_classifiers_give_one_logit_per_class(kind):
    model = make_classifier(kind, 12, embedding_dim=4, hidden_size=3, num_classes=4)
    ids, lengths = torch.tensor([[4, 5, 6], [7, 0, 0]]), torch.tensor([3, 1])
    assert model(ids, lengths).shape == (2, 4)
    contributions = model.contributions(ids, lengths)
    assert contributions.shape == (2, 3) and float(contributions[1, 1:].abs().sum()) == 0.0
    assert make_classifier(kind, 12, embedding_dim=4, hidden_size=3)(ids, lengths).shape == (2,)


def test_rnn_classifier_bidirectional_contributions_of_a_chosen_class():
    torch.manual_seed(0)
    model = RNNClassifier(10, 4, 3, bidirectional=True, num_outputs=3).eval()
    ids, lengths = torch.tensor([[2, 3, 4]]), torch.tensor([3])
    a, b = model.contributions(ids, lengths, target=torch.tensor([0])), model.contributions(ids, lengths,
                                                                                         target=torch.tensor([2]))
    assert not torch.allclose(a, b)
