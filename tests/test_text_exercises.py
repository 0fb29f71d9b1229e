"""Tiny versions of the end-of-notebook exercises of notebooks 05 (sentiment) and 06 (text generation).

Each runs the reference solution with a few steps, using only the installed package (no edit under rnnlab/),
so that every exercise stays doable from its notebook.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.data.corpora import batchify, decode_ids, encode_text
from rnnlab.data.sentiment import encode_set
from rnnlab.experiments.charlm import CharLMConfig, run_charlm
from rnnlab.experiments.sentiment import SentimentConfig, predict_proba, prepare_data, run_sentiment
from rnnlab.metrics.language import bits_per_char
from rnnlab.models.charlm import hidden_activations, stream_logits
from rnnlab.models.classifier import RNNClassifier, make_classifier, padding_mask
from rnnlab.models.ngram import CharNGram

TINY_05 = dict(steps=2, eval_every=2, max_len=20, embedding_dim=8, hidden_size=8, progress=False)
TINY_06 = dict(corpus="names", steps=3, seq_len=8, batch_size=4, hidden_size=8, embedding_dim=4,
               max_chars=800, eval_every=3, progress=False)


# ---- notebook 05 -------------------------------------------------------------------------------------------
def test_05_ex1_more_steps_several_seeds_fewer_contrast_sentences():
    for seed in (1, 2):
        m = run_sentiment(SentimentConfig(model="gru", seed=seed, contrast_examples=20, **TINY_05)).metrics
        assert m["steps"] == 2 and m["vocab_size"] > 1000


def test_05_ex2_probe_pairs_with_the_deciding_clause_first():
    result = run_sentiment(SentimentConfig(model="gru", **TINY_05))
    pairs = [("delicious , although the bag was stale", 1), ("stale , although the bag was delicious", 0)]
    frame = pd.DataFrame(pairs, columns=["text", "label"])
    probs = predict_proba(result.model, encode_set(frame, result.extras["vocab"], max_len=20))
    assert probs.shape == (2,) and torch.isfinite(probs).all()


def test_05_ex3_keep_only_the_start_of_each_review():
    short = run_sentiment(SentimentConfig(model="bow", **{**TINY_05, "max_len": 40}))
    assert max(len(ids) for ids in short.extras["test_set"].ids) <= 40


class MeanPoolGRU(nn.Module):
    """Exercise 4's reference: the mean of the GRU outputs over the real tokens instead of the final state."""

    def __init__(self, vocab_size: int, embedding_dim: int = 8, hidden_size: int = 8) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.rnn = nn.GRU(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=ids.shape[1])
        mask = padding_mask(lengths, ids.shape[1]).unsqueeze(-1)          # (batch, time, 1)
        mean = (outputs * mask).sum(1) / lengths[:, None]                 # (batch, hidden)
        return self.head(mean).squeeze(-1)                                # (batch,)


def test_05_ex4_mean_pooling_model_trains_in_the_experiment():
    config = SentimentConfig(model="gru", **TINY_05)
    model = MeanPoolGRU(len(prepare_data(config).vocab))
    result = run_sentiment(config, model=model)
    assert result.model is model and len(result.history.loss) == 2
    # the mean ignores padding: the same review with pads appended gets the same logit
    ids, lengths = torch.tensor([[5, 6, 7]]), torch.tensor([3])
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], 1)
    model.eval()
    assert torch.allclose(model(ids, lengths), model(padded, lengths), atol=1e-6)


def test_05_ex5_lstm_with_the_grus_count_parameters():
    config = SentimentConfig(model="gru", **TINY_05)
    vocab_size = len(prepare_data(config).vocab)

    def recurrent(kind: str, hidden: int) -> int:
        model = make_classifier(kind, vocab_size, embedding_dim=8, hidden_size=hidden)
        return sum(p.numel() for p in model.rnn.parameters())

    target = recurrent("gru", 8)
    hidden = min(range(1, 9), key=lambda h: abs(recurrent("lstm", h) - target))
    assert hidden < 8
    result = run_sentiment(SentimentConfig(model="lstm", **{**TINY_05, "hidden_size": hidden}))
    assert isinstance(result.model, RNNClassifier) and result.model.cell == "lstm"


# ---- notebook 06 -------------------------------------------------------------------------------------------
def test_06_ex1_more_steps_from_the_command_line(capsys):
    from rnnlab.experiments.__main__ import main

    assert main(["charlm", "--corpus", "names", "--steps", "2", "--max-chars", "800", "--hidden-size", "8",
                 "--seq-len", "8", "--batch-size", "4", "--no-progress"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["metrics"]["steps"] == 2 and record["config"]["seq_len"] == 8


def test_06_ex2_a_gru_instead_of_the_lstm():
    result = run_charlm(CharLMConfig(cell="gru", **TINY_06))
    assert isinstance(result.model.rnn, nn.GRU)


def test_06_ex3_train_without_carrying_the_state_score_with_it():
    result = run_charlm(CharLMConfig(carry_state=False, **TINY_06))
    held = batchify(result.held_out_ids, 2)                       # (2, n)
    carried = bits_per_char(stream_logits(result.model, held, chunk=8), held[:, 1:])
    assert carried > 0 and not result.config.carry_state


def test_06_ex4_cell_state_units():
    result = run_charlm(CharLMConfig(**TINY_06))
    c = hidden_activations(result.model, encode_text(result.vocab, "Anna\nBob\n"), "c")
    assert c.shape == (9, 8)


def test_06_ex5_higher_order_ngrams():
    """Exercise 5 as worded: the names run's own split and vocabulary (not Shakespeare's train_ids and V)."""
    names_run = run_charlm(CharLMConfig(**{**TINY_06, "max_chars": 3000}))
    names_vocab = names_run.vocab
    bpc = {n: CharNGram(names_run.train_ids, len(names_vocab), order=n).bits_per_char(
        names_run.held_out_ids) for n in (2, 3, 4, 5, 6)}
    assert all(np.isfinite(v) and 0 < v < np.log2(len(names_vocab)) for v in bpc.values())
    sample = decode_ids(names_vocab, CharNGram(names_run.train_ids, len(names_vocab), order=3).sample(
        encode_text(names_vocab, "\n").tolist(), 400, seed=0))
    assert len(sample) == 400 and len(sample.split()) > 10   # newlines end names: many names in 400 characters


@pytest.mark.parametrize("exercise", ["05", "06"])
def test_exercise_texts_use_what_these_tests_run(exercise):
    """The notebooks' exercise lists name the options these tiny solutions use."""
    from pathlib import Path

    name = {"05": "05_sentiment", "06": "06_text_generation"}[exercise]
    cells = json.loads((Path(__file__).parents[1] / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    needed = {"05": ["model=", "contrast_examples", "max_len=40", "make_classifier(\"lstm\""],
              "06": ["carry_state=False", "--cell gru", "which=\"c\"", "CharNGram",
                     "names_run.train_ids", "--text-file"]}[exercise]
    for word in needed:
        assert word in text, f"notebook {exercise}'s text should mention {word}"
