import pytest
import torch

from rnnlab.data.vocab import PAD, UNK, Vocab, pad_batch, tokenize_chars, tokenize_words
from rnnlab.viz.text import colored_text_html


def test_tokenizers():
    assert tokenize_words("Not good, but OK!") == ["not", "good", ",", "but", "ok", "!"]
    assert tokenize_words("Le chat n'est pas noir.") == ["le", "chat", "n'est", "pas", "noir", "."]
    assert tokenize_chars("ab c") == ["a", "b", " ", "c"]
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize_words(None)


def test_vocab_round_trip_and_unknown_tokens():
    vocab = Vocab([["the", "cat"], ["the", "dog"]])
    assert vocab.itos[:4] == [PAD, UNK, "<bos>", "<eos>"] and vocab.itos[4] == "the"
    ids = vocab.encode(["the", "cat"], add_bos=True, add_eos=True)
    assert vocab.decode(ids) == ["the", "cat"]
    assert vocab.encode(["the", "zebra"])[1] == vocab.unk_id
    assert vocab.unknown(["the", "zebra"]) == ["zebra"]
    assert len(Vocab([["a", "a", "b"]], min_freq=2)) == 5
    with pytest.raises(ValueError, match="no tokens"):
        Vocab([[]])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.decode([99])


def test_pad_batch():
    batch, lengths = pad_batch([[5, 6, 7], [8]], pad_id=0)
    assert torch.equal(batch, torch.tensor([[5, 6, 7], [8, 0, 0]]))
    assert lengths.tolist() == [3, 1]
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        pad_batch([[1], []])
    with pytest.raises(ValueError, match="at least one sequence"):
        pad_batch([])


def test_colored_text_html():
    out = colored_text_html(["good", "<bad>"], [1.0, -0.5])
    assert "rgb(0,255,0)" in out and "&lt;bad&gt;" in out and "rgb(255,127,127)" in out
    with pytest.raises(ValueError, match="one score per token"):
        colored_text_html(["a"], [1.0, 2.0])
