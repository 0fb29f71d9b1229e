"""Character-level language models on Shakespeare or census names, against unigram and bigram baselines.

`python -m rnnlab.experiments charlm --corpus shakespeare --seed 0` trains a small LSTM with stateful
truncated BPTT and reports held-out bits per character next to the baselines' (same held-out characters).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rnnlab.data.corpora import (
    CORPORA,
    StatefulBatches,
    batchify,
    build_char_vocab,
    encode_text,
    load_corpus,
    split_ids,
)
from rnnlab.experiments.registry import Result, experiment
from rnnlab.metrics.language import bigram_bits_per_char, bits_per_char, unigram_bits_per_char
from rnnlab.models.charlm import CELLS, CharLM, StatefulLoss, stream_logits
from rnnlab.train import TrainConfig, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice


@dataclass
class CharLMConfig:
    corpus: str = field(default="shakespeare", metadata={"choices": list(CORPORA), "help": "text to model"})
    seed: int = 0                          # seeds initialisation (the batches are deterministic)
    cell: str = field(default="lstm", metadata={"choices": list(CELLS), "help": "recurrent layer"})
    hidden_size: int | None = None         # units in the recurrent layer (None: the corpus default below)
    embedding_size: int = 32               # size of the character embedding
    batch_size: int = 32                   # parallel streams (rows) per batch
    bptt: int | None = None                # truncated-BPTT window, characters per row per step (None: corpus default)
    steps: int | None = None               # optimisation steps, the budget (None: corpus default)
    lr: float = 3e-3                       # Adam learning rate
    clip_grad_norm: float = 1.0            # gradient clipping threshold
    held_out_fraction: float = 0.1         # tail of the text kept for evaluation
    max_chars: int | None = None           # use only the first this many characters (None: all)
    eval_streams: int = 8                  # the held-out text is read as this many parallel streams
    alpha: float = 0.1                     # add-alpha smoothing of the unigram and bigram baselines
    eval_every: int = 100                  # steps between held-out evaluations
    progress: bool = True                  # show a progress bar


# Defaults per corpus: the names text is ten times smaller, and a big model trained long memorises it
# (hidden 128 for 1,000 steps, 67 passes, ends above the bigram baseline on held-out names).
CORPUS_DEFAULTS = {"shakespeare": {"hidden_size": 128, "bptt": 64, "steps": 1000},
                   "names": {"hidden_size": 64, "bptt": 32, "steps": 250}}


@experiment("charlm", CharLMConfig,
            help="char-level LM (metrics: bits_per_char, unigram_bits_per_char, bigram_bits_per_char; held out)")
def run_charlm(config: CharLMConfig) -> Result:
    defaults = CORPUS_DEFAULTS[check_choice(config.corpus, "corpus", list(CORPORA))]
    config = replace(config, **{k: v for k, v in defaults.items() if getattr(config, k) is None})
    seed_everything(config.seed)
    text = load_corpus(config.corpus)
    if config.max_chars is not None:
        text = text[: config.max_chars]
    vocab = build_char_vocab(text)
    train_ids, held_ids = split_ids(encode_text(vocab, text), config.held_out_fraction)
    held_streams = batchify(held_ids, config.eval_streams)   # (eval_streams, n)
    batches = StatefulBatches(train_ids, config.batch_size, config.bptt)
    model = CharLM(len(vocab), config.hidden_size, cell=config.cell, embedding_size=config.embedding_size)

    def evaluate(model: CharLM) -> dict[str, float]:
        logits = stream_logits(model, held_streams)            # (eval_streams, n - 1, vocab)
        return {"bits_per_char": bits_per_char(logits, held_streams[:, 1:])}

    history = train(model, batches, StatefulLoss(),
                    TrainConfig(steps=config.steps, lr=config.lr, clip_grad_norm=config.clip_grad_norm,
                                eval_every=config.eval_every, progress=config.progress,
                                desc=f"charlm {config.corpus} {config.cell}"),
                    evaluate=evaluate)
    V = len(vocab)
    metrics = {"bits_per_char": history.last("bits_per_char"),
               "unigram_bits_per_char": unigram_bits_per_char(train_ids, held_streams, V, config.alpha),
               "bigram_bits_per_char": bigram_bits_per_char(train_ids, held_streams, V, config.alpha),
               "train_loss_bits": sum(history.loss[-20:]) / len(history.loss[-20:]) / 0.6931471805599453,
               "train_chars": len(train_ids),
               "held_out_chars": len(held_ids),
               "vocab_size": V,
               "hidden_size": config.hidden_size,
               "bptt": config.bptt,
               "epochs": history.steps[-1] / len(batches),
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history,
                  extras={"vocab": vocab, "text": text, "train_ids": train_ids, "held_out_ids": held_ids,
                          "held_out_text": text[len(train_ids):]})


__all__ = ["CharLMConfig", "run_charlm"]
