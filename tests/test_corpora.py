"""Tests of the character corpora: loaders (row counts, checksum), vocabulary round trip, batches for TBPTT."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlab.data.corpora import (
    NAME_COUNTS,
    StatefulBatches,
    batchify,
    build_char_vocab,
    char_features,
    decode_ids,
    encode_text,
    in_speaker_name,
    line_position,
    load_corpus,
    load_names,
    load_shakespeare,
    markdown_play_to_text,
    split_ids,
)


def test_shakespeare_extract_size_and_content():
    text = load_shakespeare()
    assert len(text) == 387_699
    assert len(set(text)) == 63
    assert text.startswith("First Witch:\nWhen shall we three meet again\n")
    assert "PROSPERO:" in text and "BRUTUS:" in text and "PUCK:" in text
    assert "**" not in text and "_" not in text and "#" not in text


def test_names_row_counts():
    assert len(load_names("male")) == NAME_COUNTS["male"] == 1219
    assert len(load_names("female")) == NAME_COUNTS["female"] == 4275
    everyone = load_names("all")
    assert len(everyone) == len(set(everyone)) == 5163  # names on both lists appear once
    assert everyone[:3] == ["james", "john", "robert"]
    assert all(n.isalpha() and n.islower() for n in everyone)
    with pytest.raises(ValueError, match="which must be one of"):
        load_names("children")


def test_names_corpus_is_one_name_per_line_and_fixed():
    text = load_corpus("names")
    lines = text.splitlines()
    assert len(lines) == 5163 and sorted(lines) == sorted(load_names())
    assert text == load_corpus("names")  # the shuffle is seeded
    with pytest.raises(ValueError, match="shakespeare"):
        load_corpus("tolstoy")


def test_markdown_conversion():
    md = ("# Play\n\n## ACT I\n\n### SCENE I. A heath.\n\n_Thunder. Enter three Witches_\n\n"
          "**First Witch**  \nWhen shall we three meet again  \n_\\[Aside]_  \nIn thunder?\n\n"
          "**ALL**  \nFair is foul\\--and foul is fair.\n")
    assert markdown_play_to_text(md) == ("First Witch:\nWhen shall we three meet again\nIn thunder?\n\n"
                                         "ALL:\nFair is foul--and foul is fair.\n")
    with pytest.raises(TypeError):
        markdown_play_to_text(b"bytes")


def test_vocab_round_trip_and_unknown_characters():
    text = "To be, or not to be:\nthat is the question."
    vocab = build_char_vocab(text)
    assert len(vocab) == len(set(text)) + 1 and vocab.itos[0] == "<unk>"
    ids = encode_text(vocab, text)
    assert ids.dtype == torch.long and ids.shape == (len(text),)
    assert decode_ids(vocab, ids) == text
    unknown = encode_text(vocab, "toZ")
    assert unknown.tolist()[-1] == 0 and decode_ids(vocab, unknown) == "to<unk>"
    with pytest.raises(ValueError, match="empty"):
        build_char_vocab("")


def test_split_is_contiguous():
    ids = torch.arange(100)
    train, held = split_ids(ids, 0.1)
    assert torch.equal(torch.cat([train, held]), ids) and len(held) == 10
    with pytest.raises(ValueError, match="held_out_fraction"):
        split_ids(ids, 0.0)
    with pytest.raises(ValueError, match="too few"):
        split_ids(torch.arange(3), 0.1)


def test_batchify_and_stateful_windows_continue_each_other():
    ids = torch.arange(103)
    streams = batchify(ids, 4)
    assert streams.shape == (4, 25) and streams[1, 0] == 25
    batches = StatefulBatches(ids, batch_size=4, seq_len=6)
    assert list(StatefulBatches(ids, batch_size=4, bptt=6))[1][0].tolist() == list(batches)[1][0].tolist()
    items = list(batches)
    assert len(items) == len(batches) == 4
    firsts = [first for _, _, first in items]
    assert firsts == [True, False, False, False]
    for (x, y, _), (x2, _, _) in zip(items, items[1:], strict=False):
        assert x.shape == y.shape == (4, 6)
        assert torch.equal(y[:, :-1], x[:, 1:])           # targets are inputs shifted by one
        assert torch.equal(x2[:, 0], x[:, -1] + 1)       # the next window starts where this one ended
    with pytest.raises(ValueError, match="too short"):
        StatefulBatches(ids, batch_size=4, seq_len=30)
    with pytest.raises(ValueError, match="once"):
        StatefulBatches(ids, batch_size=4, seq_len=6, bptt=6)
    with pytest.raises(ValueError, match="too few"):
        batchify(torch.arange(5), 4)


def test_character_features():
    text = "AB:\nxy z\n"
    assert line_position(text).tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 4]
    assert in_speaker_name(text).tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0]
    feats = char_features(text)
    assert all(v.shape == (len(text),) for v in feats.values())
    assert np.array_equal(feats["space"], [0, 0, 0, 0, 0, 0, 1, 0, 0])
