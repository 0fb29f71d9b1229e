"""Sentiment of fine-food reviews ("great" vs "other"): bag-of-words baseline, GRU, bidirectional GRU.

Metrics: `accuracy` on the 1,000 test reviews, `majority_accuracy` (always predicting the class most frequent
in the training split), `probe_accuracy` on the order-dependent probe pairs (rnnlab.data.sentiment.probe_set,
threshold p(great) > 0.5), `probe_pairs_ordered` (share of probe pairs whose great member gets the higher
p(great), no threshold), and `val_accuracy`. With `contrast_examples > 0` the training split gets that many
templated "..., but ..." sentences (rnnlab.data.sentiment.contrast_set), whose words and templates the probe
set does not use.

Your own texts: `csv=PATH` (`--csv PATH --text-column C --label-column C`) trains on a CSV of texts and labels
with any number of classes instead (rnnlab.data.sentiment.read_labelled_csv: split class by class into 70%
train, 10% validation, 20% test with the seed); the metrics are then `accuracy`, `majority_accuracy`,
`val_accuracy`, `classes` and the row counts (no probe: it is about the built-in reviews' two labels).

`run_sentiment(config, model=None, callbacks=(), device=None) -> SentimentResult`: `model` may be your own
nn.Module with `forward(ids (batch, time) int64, lengths (batch,) int64) -> logits`, (batch,) for two classes
or (batch, classes) for more, built for the experiment's vocabulary (`prepare_data(config).vocab`), or a
function `vocab -> nn.Module`. One training step is `sentiment_loss` on a batch from `batch_sampler`:
notebook 05 writes the same loop out and checks that its losses equal the experiment's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn

from rnnlab.data.sentiment import (
    LABELS,
    EncodedSet,
    LabelledTexts,
    SentimentSplits,
    build_vocab,
    contrast_set,
    encode_set,
    probe_set,
    read_labelled_csv,
    sentiment_splits,
    split_labelled,
)
from rnnlab.data.vocab import Vocab
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models.classifier import make_classifier
from rnnlab.train import Callback, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_device, check_float, check_int

MODELS = ["bow", "gru", "bigru", "lstm", "bilstm"]
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(kw_only=True)
class SentimentConfig(TrainingBlock):
    model: str = field(default="gru", metadata={"choices": MODELS, "help": "classifier"})
    embedding_dim: int = 32            # word-vector size (recurrent models)
    hidden_size: int = 32          # recurrent units per direction
    min_freq: int = 2              # words seen fewer times in the training split become <unk>
    max_len: int = 100             # keep the first max_len tokens of each review (a cap, not a fixed length)
    weight_decay: float = 1e-4     # AdamW weight decay
    dropout: float = 0.3           # dropout on word vectors and final state (recurrent models)
    contrast_examples: int = 0     # templated "..., but ..." sentences added to the training split (0: none)
    batch_size: int = 32           # reviews per step
    steps: int = 300               # optimisation steps (the budget)
    lr: float = 5e-3               # AdamW learning rate
    csv: str | None = None         # your own CSV of texts and labels (None: the built-in fine-food reviews)
    text_column: str = "text"      # the CSV's column of texts (with --csv)
    label_column: str = "label"    # the CSV's column of class labels, any number of classes (with --csv)
    encoding: str | None = None    # the CSV's encoding, e.g. cp1252 (None: UTF-8 or what a byte-order mark says)

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks), each error naming its option as typed,
        e.g. "embedding_dim (--embedding-dim) must be >= ...". Raises TypeError or ValueError."""
        for name in ("embedding_dim", "hidden_size", "min_freq", "max_len"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        check_float(self.weight_decay, "weight_decay (--weight-decay)", minimum=0.0)
        check_float(self.dropout, "dropout (--dropout)", minimum=0.0, maximum=1.0)
        if self.dropout == 1.0:                             # issue 24: every entry zeroed, nothing reaches the head
            raise ValueError("dropout (--dropout) must be < 1 (1 sets every entry to zero), got 1.0")
        if self.csv is not None and self.contrast_examples:
            raise ValueError("contrast_examples (--contrast-examples) adds templated English review sentences "
                             "labelled great/other: it is for the built-in reviews, not for --csv; leave it at 0")


@dataclass
class SentimentData:
    """Everything a run trains and evaluates on (built by prepare_data from a config)."""

    vocab: Vocab                       # built on the training split (+ contrast sentences) only
    train_set: EncodedSet              # encoded training texts (+ contrast sentences), labels per class
    val_set: EncodedSet                # encoded validation texts
    test_set: EncodedSet               # encoded test texts
    probe_set: EncodedSet | None       # rows 2k (great) and 2k+1 (other) form probe pair k; None with a CSV
    splits: SentimentSplits            # the texts themselves (DataFrames with columns text, label)
    probe: pd.DataFrame | None         # the probe texts (columns text, label, pair); None with a CSV
    classes: tuple[str, ...] = LABELS  # class names; label id i is classes[i]

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def prepare_data(config: SentimentConfig) -> SentimentData:
    """Splits (seeded by config.seed), vocabulary and encoded sets, exactly as run_sentiment uses them: the
    built-in reviews, or with `config.csv` your own file (read_labelled_csv, split_labelled)."""
    if config.csv is not None:
        own: LabelledTexts = read_labelled_csv(config.csv, config.text_column, config.label_column,
                                               encoding=config.encoding, option="--csv")
        splits = split_labelled(own, seed=config.seed)
        vocab = build_vocab(list(splits.train["text"]), min_freq=config.min_freq)
        k = len(own.classes)
        train_set, val_set, test_set = (encode_set(frame, vocab, max_len=config.max_len, num_classes=k)
                                        for frame in (splits.train, splits.validation, splits.test))
        return SentimentData(vocab, train_set, val_set, test_set, None, splits, None, own.classes)
    splits = sentiment_splits(seed=config.seed)
    train_frame = pd.concat([splits.train, contrast_set(config.contrast_examples, seed=config.seed)],
                            ignore_index=True)          # the contrast sentences use none of the probe's words
    vocab = build_vocab(list(train_frame["text"]), min_freq=config.min_freq)
    train_set, val_set, test_set = (encode_set(frame, vocab, max_len=config.max_len)
                                    for frame in (train_frame, splits.validation, splits.test))
    probe = probe_set()
    return SentimentData(vocab, train_set, val_set, test_set, encode_set(probe, vocab, max_len=config.max_len),
                         splits, probe)


@dataclass
class SentimentResult(Result):
    """What `run_sentiment` returns: `metrics` (plain numbers, printed as JSON by the command line) and the
    trained model, plus typed fields for notebooks (no string-keyed lookups)."""

    data: SentimentData | None = None          # vocabulary, encoded sets, splits, probe (prepare_data's result)
    accuracy: float = float("nan")             # share of the test texts classified right
    majority_accuracy: float = float("nan")    # the same for always answering the training split's largest class
    val_accuracy: float = float("nan")         # accuracy on the validation texts after the last step
    probe_accuracy: float | None = None        # share of the 250 probe reviews right (threshold 0.5); None with a CSV
    probe_pairs_ordered: float | None = None   # share of probe pairs whose great member scores higher; None with a CSV

    @property
    def vocab(self) -> Vocab:
        """The vocabulary the model was trained with (encode new texts with it)."""
        return self.data.vocab

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names: label id i (and logit i with more than two classes) is classes[i]."""
        return self.data.classes

    @property
    def test_set(self) -> EncodedSet:
        """The encoded test texts (cut at max_len tokens)."""
        return self.data.test_set

    @property
    def probe_set(self) -> EncodedSet | None:
        """The encoded probe reviews (rows 2k great, 2k+1 other); None with a CSV."""
        return self.data.probe_set


def batch_sampler(data: EncodedSet, batch_size: int, seed: int, pad_id: int = 0) -> Callable[[], Batch]:
    """A function returning random padded batches (ids (b, time), lengths (b,), labels (b,)), seeded."""
    g = torch.Generator().manual_seed(seed)

    def batch() -> Batch:
        index = torch.randint(0, len(data), (batch_size,), generator=g).tolist()
        return data.batch(index, pad_id=pad_id)

    return batch


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy for one logit per text (logits (batch,), labels (batch,) float 0/1); cross-entropy
    for one logit per class (logits (batch, classes), labels (batch,) int64 class ids). One scalar.
    Raises ValueError, naming the shapes, when the model's output does not fit the labels."""
    if labels.is_floating_point():
        if logits.shape != labels.shape:
            raise ValueError(f"the model must return one logit per text, shape {tuple(labels.shape)} (two "
                             f"classes); got {tuple(logits.shape)}")
        return nn.functional.binary_cross_entropy_with_logits(logits, labels)
    if logits.ndim != 2 or logits.shape[0] != labels.shape[0]:
        raise ValueError(f"the model must return one logit per class, shape ({labels.shape[0]}, classes); got "
                         f"{tuple(logits.shape)}")
    return nn.functional.cross_entropy(logits, labels)


def sentiment_loss(model: nn.Module, batch: Batch) -> torch.Tensor:
    """The loss of one batch (ids, lengths, labels): `classification_loss(model(ids, lengths), labels)`."""
    ids, lengths, labels = batch
    return classification_loss(model(ids, lengths), labels)


def predict_logits(model: nn.Module, data: EncodedSet, batch_size: int = 256) -> torch.Tensor:
    """The model's logits for every row of `data`, (n,) or (n, classes), on the CPU, in eval mode, no gradients."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        logits = torch.cat([model(ids.to(device), lengths.to(device)).cpu()
                            for ids, lengths, _ in data.batches(batch_size)])
    model.train(was_training)
    return logits


def predict_proba(model: nn.Module, data: EncodedSet, batch_size: int = 256) -> torch.Tensor:
    """p(great) (p of class 1) for every row of `data`, (n,), for a two-class model; (n, classes) softmax
    probabilities for more classes. On the CPU, computed in eval mode without gradients."""
    logits = predict_logits(model, data, batch_size)
    return torch.sigmoid(logits) if logits.ndim == 1 else torch.softmax(logits, dim=-1)


def predict_classes(model: nn.Module, data: EncodedSet, batch_size: int = 256) -> torch.Tensor:
    """The predicted class id of every row, (n,) int64: logit > 0 (p > 0.5) with one logit, else the argmax."""
    logits = predict_logits(model, data, batch_size)
    return (logits > 0).long() if logits.ndim == 1 else logits.argmax(-1)


def pairs_ordered(model: nn.Module, data: EncodedSet) -> float:
    """Share of probe pairs (rows 2k great, 2k+1 other) where the great member gets the higher p(great)."""
    probs = predict_proba(model, data).reshape(-1, 2)                   # (pairs, 2)
    return (probs[:, 0] > probs[:, 1]).float().mean().item()


def accuracy(model: nn.Module, data: EncodedSet) -> float:
    """Share of rows whose predicted class (p(great) > 0.5 with one logit, else the argmax) is the label."""
    return (predict_classes(model, data) == data.labels.long()).float().mean().item()


def _ready_model(model: nn.Module | Callable[[Vocab], nn.Module] | None, config: SentimentConfig,
                 data: SentimentData) -> nn.Module:
    if model is None:
        return make_classifier(config.model, len(data.vocab), embedding_dim=config.embedding_dim,
                               hidden_size=config.hidden_size, pad_id=data.vocab.pad_id, dropout=config.dropout,
                               num_classes=data.num_classes)
    if not isinstance(model, nn.Module):
        if not callable(model):
            raise TypeError(f"model must be an nn.Module, a function vocab -> nn.Module, or None; "
                            f"got {type(model).__name__}")
        model = model(data.vocab)
        if not isinstance(model, nn.Module):
            raise TypeError(f"the model function must return an nn.Module, got {type(model).__name__}")
    expected = getattr(model, "vocab_size", len(data.vocab))
    if expected != len(data.vocab):
        raise ValueError(f"the model was built for {expected} words, the vocabulary has {len(data.vocab)}: "
                         f"build it with vocab_size=len(prepare_data(config).vocab) = {len(data.vocab)}")
    return model


@experiment("sentiment", SentimentConfig,
            help="review sentiment, or your own --csv of texts and labels (metrics: accuracy, majority_accuracy)")
def run_sentiment(config: SentimentConfig, model: nn.Module | Callable[[Vocab], nn.Module] | None = None,
                  callbacks: Sequence[Callback] = (), device: torch.device | str | None = None) -> SentimentResult:
    device = check_device(device)
    data = prepare_data(config)
    seed_everything(config.seed)                           # initial weights, then dropout, from this seed
    model = _ready_model(model, config, data).to(device)
    sample = batch_sampler(data.train_set, config.batch_size, config.seed, data.vocab.pad_id)

    def batch() -> Batch:
        return tuple(t.to(device) for t in sample())

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"val_accuracy": accuracy(model, data.val_set)}

    history = train(model, batch, sentiment_loss,
                    config.train_config(f"sentiment {config.model}", weight_decay=config.weight_decay),
                    evaluate=evaluate, callbacks=callbacks)
    train_labels = torch.tensor(data.splits.train["label"].to_numpy(), dtype=torch.long)
    majority = int(torch.bincount(train_labels, minlength=data.num_classes).argmax())   # ties: the lower id
    typed = {"accuracy": accuracy(model, data.test_set),
             "majority_accuracy": (data.test_set.labels.long() == majority).float().mean().item(),
             "val_accuracy": history.last("val_accuracy")}
    if data.probe_set is not None:
        typed["probe_accuracy"] = accuracy(model, data.probe_set)
        typed["probe_pairs_ordered"] = pairs_ordered(model, data.probe_set)
    metrics = {**typed, "vocab_size": len(data.vocab), "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    if config.csv is not None:
        metrics.update(classes=data.num_classes, train_rows=len(data.train_set), test_rows=len(data.test_set))
    return SentimentResult(metrics=metrics, config=config, model=model, history=history, data=data, **typed,
                           extras={"vocab": data.vocab, "splits": data.splits, "probe": data.probe,
                                   "test_set": data.test_set, "probe_set": data.probe_set, "data": data})
