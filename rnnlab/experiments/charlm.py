"""Character-level language models on Shakespeare, census names or your own text, against counting baselines.

`python -m rnnlab.experiments charlm --corpus shakespeare --seed 0` trains a small LSTM with stateful
truncated BPTT and reports held-out bits per character next to the baselines' (same held-out characters).
`python -m rnnlab.experiments charlm --text-file my.txt` does the same on a plain-text file of your own
(UTF-8, or `--encoding cp1252`...; an example ships: `rnnlab.data.corpora.EXAMPLE_TEXT`); an empty, binary,
undecodable or too short file is refused with a message naming the option to change.
The result is a `CharLMResult` (typed fields: vocab, text, train_ids, held_out_ids, held_out_text, batches).
`load_shipped_charlm()` loads the Shakespeare model trained for longer by `python -m tools.train_charlm_model`
(the same `run_charlm`, more steps), checked against its sha256.
`run_charlm(config, model=None, callbacks=(), device=None)`: hand in your own model (any nn.Module with
`forward(x (batch, time) int64, state) -> (logits (batch, time, vocab), new state)`, built for the corpus's
vocabulary: `rnnlab.data.corpora.build_char_vocab(load_corpus(corpus))`), extra rnnlab.train callbacks (e.g.
rnnlab.viz.live.LivePlot) and a device. Every `eval_every` steps the history records the held-out
`bits_per_char` and `held_out_loss`, the same number in nats (the unit of the training loss, for live plots).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from torch import nn

from rnnlab.data.corpora import (
    CORPORA,
    StatefulBatches,
    batchify,
    build_char_vocab,
    check_text_length,
    encode_text,
    load_corpus,
    load_text_file,
    split_ids,
)
from rnnlab.data.vocab import Vocab
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.metrics.language import bigram_bits_per_char, bits_per_char, unigram_bits_per_char
from rnnlab.models.charlm import CELLS, CharLM, StatefulLoss, stream_logits
from rnnlab.models.ngram import CharNGram
from rnnlab.train import Callback, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice, check_device, check_float, check_int


@dataclass(kw_only=True)
class CharLMConfig(TrainingBlock):
    corpus: str = field(default="shakespeare", metadata={"choices": list(CORPORA), "help": "text to model"})
    text_file: str | None = None           # a plain-text file of your own to model instead of --corpus
    encoding: str | None = None            # the --text-file's encoding, e.g. cp1252 (None: UTF-8 or a byte-order mark)
    cell: str = field(default="lstm", metadata={"choices": list(CELLS), "help": "recurrent layer"})
    hidden_size: int | None = None         # units in the recurrent layer (None: the corpus default below)
    embedding_dim: int = 32               # size of the character embedding
    seq_len: int | None = None             # truncated-BPTT window: characters per row per step (None: corpus default)
    carry_state: bool = True               # carry the hidden state (detached) across windows; off: reset every window
    batch_size: int = 32                   # parallel streams (rows) per batch
    steps: int | None = None               # optimisation steps, the budget (None: corpus default)
    lr: float = 3e-3                       # AdamW learning rate
    held_out_fraction: float = 0.1         # tail of the text kept for evaluation
    max_chars: int | None = None           # use only the first this many characters (None: all)
    eval_streams: int = 8                  # the held-out text is read as this many parallel streams
    alpha: float = 0.1                     # add-alpha smoothing of the unigram and bigram baselines

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks), each error naming its option as typed,
        e.g. "embedding_dim (--embedding-dim) must be >= ...". Raises TypeError or ValueError."""
        for name in ("embedding_dim", "eval_streams"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        for name in ("hidden_size", "seq_len", "max_chars"):   # None: the corpus default (all text); 0 makes none
            if getattr(self, name) is not None:
                check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        check_float(self.held_out_fraction, "held_out_fraction (--held-out-fraction)",
                    minimum=0.0, maximum=0.5, strict_minimum=True)
        check_float(self.alpha, "alpha (--alpha)", minimum=0.0, strict_minimum=True)
        if self.encoding is not None and self.text_file is None:
            raise ValueError("encoding (--encoding) applies to --text-file only; give --text-file too, or drop it")


# Defaults per corpus: the names text is ten times smaller, and a big model trained long memorises it
# (hidden 128 for 1,000 steps, 67 passes, ends above the bigram baseline on held-out names).
# A text file of your own ("file") gets the Shakespeare model's size with fewer steps.
CORPUS_DEFAULTS = {"shakespeare": {"hidden_size": 128, "seq_len": 64, "steps": 1000},
                   "names": {"hidden_size": 64, "seq_len": 32, "steps": 250},
                   "file": {"hidden_size": 128, "seq_len": 64, "steps": 500}}


def resolve_config(config: CharLMConfig) -> CharLMConfig:
    """The config with every None filled from the corpus defaults (CORPUS_DEFAULTS; "file" for --text-file)."""
    key = "file" if config.text_file is not None else check_choice(config.corpus, "corpus", list(CORPORA))
    defaults = CORPUS_DEFAULTS[key]
    return replace(config, **{k: v for k, v in defaults.items() if getattr(config, k) is None})


@dataclass
class CharLMResult(Result):
    """What `run_charlm` returns: `metrics` (the numbers the command line prints), `config` (resolved: no None
    left), `model` (the trained CharLM, or your model), `history` (rnnlab.train.History: the training loss in
    nats per step; held-out `bits_per_char` and `held_out_loss` (nats) per evaluation), and:"""

    vocab: Vocab | None = None                 # the character vocabulary of the text (id 0 is <unk>)
    text: str = ""                             # the whole text (after --max-chars), training head + held-out tail
    train_ids: torch.Tensor | None = None      # (train_chars,) int64 ids of the training head
    held_out_ids: torch.Tensor | None = None   # (held_out_chars,) int64 ids of the held-out tail
    held_out_text: str = ""                    # the held-out tail as text (text[len(train_ids):])
    batches: StatefulBatches | None = None     # the training windows (batch_size streams x seq_len), in step order


@experiment("charlm", CharLMConfig,
            help="char-level LM (metrics: bits_per_char, unigram/bigram/trigram_bits_per_char; held out)")
def run_charlm(config: CharLMConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> Result:
    config = resolve_config(config)
    device = check_device(device)
    if config.text_file is not None:
        text = load_text_file(config.text_file, encoding=config.encoding, option="--text-file")
        what = f"--text-file {config.text_file!r}"
    else:
        text, what = load_corpus(config.corpus), f"the {config.corpus} corpus"
    if config.max_chars is not None:
        text = text[: config.max_chars]
        what += f" (its first --max-chars {config.max_chars})"
    check_text_length(len(text), batch_size=config.batch_size, seq_len=config.seq_len,
                      held_out_fraction=config.held_out_fraction, eval_streams=config.eval_streams, what=what)
    vocab = build_char_vocab(text)
    V = len(vocab)
    train_ids, held_ids = split_ids(encode_text(vocab, text), config.held_out_fraction)
    held_streams = batchify(held_ids, config.eval_streams).to(device)   # (eval_streams, n)
    windows = StatefulBatches(train_ids, config.batch_size, config.seq_len)
    seed_everything(config.seed)                                          # the same initial weights as CharLM(...)
    if model is None:
        model = CharLM(V, config.hidden_size, cell=config.cell, embedding_dim=config.embedding_dim)
    elif not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (or None), got {type(model).__name__}")
    elif getattr(model, "vocab_size", V) != V:
        raise ValueError(f"the model was built for {model.vocab_size} characters, the vocabulary of {what} "
                         f"has {V}: build it with vocab_size={V}")
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
                    config.train_config(f"charlm {'file' if config.text_file else config.corpus} {config.cell}"),
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
    return CharLMResult(metrics=metrics, config=config, model=model, history=history, vocab=vocab, text=text,
                        train_ids=train_ids, held_out_ids=held_ids, held_out_text=text[len(train_ids):],
                        batches=windows)


# ---- the Shakespeare model trained for longer (python -m tools.train_charlm_model) ----------------------------
SHIPPED_WEIGHTS, SHIPPED_INFO = "charlm_model.pt", "charlm_model.json"


def shipped_charlm_dir() -> Path:
    """The folder of the shipped model: rnnlab/data/files/charlm_model/."""
    return Path(__file__).resolve().parents[1] / "data" / "files" / "charlm_model"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_shipped_charlm(folder: Path | None = None) -> tuple[CharLM, Vocab, dict]:
    """The Shakespeare CharLM trained by `python -m tools.train_charlm_model`, in eval mode (float32), its
    vocabulary, and its record (a dict: `config` the CharLMConfig fields, `command`, `minutes`, `torch`,
    `sha256`, `vocab` the characters by id, `metrics` measured on the shipped float16 weights).

    Raises FileNotFoundError when a file is missing, ValueError when the weights' sha256 differs from the
    record and SHA256SUMS (a corrupt or replaced file: restore it from git), or when the vocabulary of the
    shipped Shakespeare text no longer matches the record.
    """
    folder = Path(folder) if folder is not None else shipped_charlm_dir()
    weights, record = folder / SHIPPED_WEIGHTS, folder / SHIPPED_INFO
    for path in (weights, record, folder / "SHA256SUMS"):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; restore it from git or retrain the model with "
                                    "`python -m tools.train_charlm_model`")
    info = json.loads(record.read_text(encoding="utf-8"))
    sums = dict(reversed(line.split()) for line in (folder / "SHA256SUMS").read_text().splitlines() if line.strip())
    digest = sha256_of(weights)
    if digest != info["sha256"] or digest != sums.get(weights.name):
        raise ValueError(f"{weights} is corrupt or replaced: its sha256 {digest[:12]}... differs from "
                         f"{record.name} and SHA256SUMS ({str(info['sha256'])[:12]}...); restore it from git")
    config = CharLMConfig(**info["config"])
    vocab = build_char_vocab(load_corpus(config.corpus))
    if list(vocab.itos) != list(info["vocab"]):
        raise ValueError(f"the {config.corpus} text's vocabulary differs from the one {weights.name} was trained "
                         "with: retrain it with `python -m tools.train_charlm_model`")
    model = CharLM(len(vocab), config.hidden_size, cell=config.cell, embedding_dim=config.embedding_dim)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval(), vocab, info


__all__ = ["CORPUS_DEFAULTS", "CharLMConfig", "CharLMResult", "load_shipped_charlm", "resolve_config",
           "run_charlm", "sha256_of", "shipped_charlm_dir"]
