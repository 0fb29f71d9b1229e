"""Character-level language models on Shakespeare or census names, against unigram, bigram and trigram baselines.

`python -m rnnlab.experiments charlm --corpus shakespeare --seed 0` trains a small LSTM with stateful
truncated BPTT and reports held-out bits per character next to the baselines' (same held-out characters).
`run_charlm(config, model=None, callbacks=(), device=None)`: hand in your own model (any nn.Module with
`forward(x (batch, time) int64, state) -> (logits (batch, time, vocab), new state)`, built for the corpus's
vocabulary: `rnnlab.data.corpora.build_char_vocab(load_corpus(corpus))`), extra rnnlab.train callbacks (e.g.
rnnlab.viz.live.LivePlot) and a device. Every `eval_every` steps the history records the held-out
`bits_per_char` and `held_out_loss`, the same number in nats (the unit of the training loss, for live plots).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from rnnlab.data.corpora import (
    CORPORA,
    StatefulBatches,
    batchify,
    build_char_vocab,
    encode_text,
    load_corpus,
    split_ids,
)
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.metrics.language import bigram_bits_per_char, bits_per_char, unigram_bits_per_char
from rnnlab.models.charlm import CELLS, CharLM, StatefulLoss, stream_logits
from rnnlab.models.ngram import CharNGram
from rnnlab.train import Callback, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice, check_float, check_int


@dataclass(kw_only=True)
class CharLMConfig(TrainingBlock):
    corpus: str = field(default="shakespeare", metadata={"choices": list(CORPORA), "help": "text to model"})
    cell: str = field(default="lstm", metadata={"choices": list(CELLS), "help": "recurrent layer"})
    hidden_size: int | None = None         # units in the recurrent layer (None: the corpus default below)
    embedding_size: int = 32               # size of the character embedding
    seq_len: int | None = None             # truncated-BPTT window: characters per row per step (None: corpus default)
    carry_state: bool = True               # carry the hidden state (detached) across windows; off: reset every window
    batch_size: int = 32                   # parallel streams (rows) per batch
    steps: int | None = None               # optimisation steps, the budget (None: corpus default)
    lr: float = 3e-3                       # Adam learning rate
    held_out_fraction: float = 0.1         # tail of the text kept for evaluation
    max_chars: int | None = None           # use only the first this many characters (None: all)
    eval_streams: int = 8                  # the held-out text is read as this many parallel streams
    alpha: float = 0.1                     # add-alpha smoothing of the unigram and bigram baselines

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks), each error naming its option as typed,
        e.g. "embedding_size (--embedding-size) must be >= ...". Raises TypeError or ValueError."""
        for name in ("embedding_size", "eval_streams"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        check_float(self.held_out_fraction, "held_out_fraction (--held-out-fraction)",
                    minimum=0.0, maximum=0.5, strict_minimum=True)
        check_float(self.alpha, "alpha (--alpha)", minimum=0.0, strict_minimum=True)


# Defaults per corpus: the names text is ten times smaller, and a big model trained long memorises it
# (hidden 128 for 1,000 steps, 67 passes, ends above the bigram baseline on held-out names).
CORPUS_DEFAULTS = {"shakespeare": {"hidden_size": 128, "seq_len": 64, "steps": 1000},
                   "names": {"hidden_size": 64, "seq_len": 32, "steps": 250}}


def resolve_config(config: CharLMConfig) -> CharLMConfig:
    """The config with every None filled from the corpus defaults (CORPUS_DEFAULTS)."""
    defaults = CORPUS_DEFAULTS[check_choice(config.corpus, "corpus", list(CORPORA))]
    return replace(config, **{k: v for k, v in defaults.items() if getattr(config, k) is None})


@experiment("charlm", CharLMConfig,
            help="char-level LM (metrics: bits_per_char, unigram/bigram/trigram_bits_per_char; held out)")
def run_charlm(config: CharLMConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> Result:
    config = resolve_config(config)
    device = torch.device(device or "cpu")
    text = load_corpus(config.corpus)
    if config.max_chars is not None:
        text = text[: config.max_chars]
    vocab = build_char_vocab(text)
    V = len(vocab)
    train_ids, held_ids = split_ids(encode_text(vocab, text), config.held_out_fraction)
    held_streams = batchify(held_ids, config.eval_streams).to(device)   # (eval_streams, n)
    windows = StatefulBatches(train_ids, config.batch_size, config.seq_len)
    seed_everything(config.seed)                                          # the same initial weights as CharLM(...)
    if model is None:
        model = CharLM(V, config.hidden_size, cell=config.cell, embedding_size=config.embedding_size)
    elif not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (or None), got {type(model).__name__}")
    elif getattr(model, "vocab_size", V) != V:
        raise ValueError(f"the model was built for {model.vocab_size} characters, the {config.corpus} "
                         f"vocabulary has {V}: build it with vocab_size={V}")
    model = model.to(device)

    def on_device(windows: StatefulBatches):
        for x, y, first in windows:                                       # (batch, seq_len) each
            yield x.to(device), y.to(device), first

    class Batches:                                                        # re-iterable: one pass per iteration
        def __iter__(self):
            return on_device(windows)

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits = stream_logits(model, held_streams)            # (eval_streams, n - 1, vocab)
        bits = bits_per_char(logits, held_streams[:, 1:])
        # the same number in nats (the training loss's unit), so a live plot can draw both on one axis
        return {"bits_per_char": bits, "held_out_loss": bits * math.log(2)}

    history = train(model, Batches(), StatefulLoss(carry=config.carry_state),
                    config.train_config(f"charlm {config.corpus} {config.cell}"),
                    evaluate=evaluate, callbacks=callbacks)
    held_cpu = held_streams.cpu()
    metrics = {"bits_per_char": history.last("bits_per_char"),
               "unigram_bits_per_char": unigram_bits_per_char(train_ids, held_cpu, V, config.alpha),
               "bigram_bits_per_char": bigram_bits_per_char(train_ids, held_cpu, V, config.alpha),
               "trigram_bits_per_char": CharNGram(train_ids, V, 3, config.alpha).bits_per_char(held_cpu),
               "train_loss_bits": sum(history.loss[-20:]) / len(history.loss[-20:]) / math.log(2),
               "train_chars": len(train_ids),
               "held_out_chars": len(held_ids),
               "vocab_size": V,
               "hidden_size": config.hidden_size,
               "seq_len": config.seq_len,
               "epochs": history.steps[-1] / len(windows),
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history,
                  extras={"vocab": vocab, "text": text, "train_ids": train_ids, "held_out_ids": held_ids,
                          "held_out_text": text[len(train_ids):], "batches": windows})


__all__ = ["CORPUS_DEFAULTS", "CharLMConfig", "resolve_config", "run_charlm"]
