"""Sentiment of fine-food reviews ("great" vs "other"): bag-of-words baseline, GRU, bidirectional GRU.

Metrics: `accuracy` on the 1,000 test reviews, `majority_accuracy` (always predicting the class most frequent
in the training split), `probe_accuracy` on the order-dependent probe pairs (rnnlab.data.sentiment.probe_set,
threshold p(great) > 0.5), `probe_pairs_ordered` (share of probe pairs whose great member gets the higher
p(great), no threshold), and `val_accuracy`. With `contrast_examples > 0` the training split gets that many
templated "..., but ..." sentences (rnnlab.data.sentiment.contrast_set), whose words and templates the probe
set does not use.

`run_sentiment(config, model=None, callbacks=(), device=None)`: `model` may be your own nn.Module with
`forward(ids (batch, time) int64, lengths (batch,) int64) -> logits (batch,)`, built for the experiment's
vocabulary (`prepare_data(config).vocab`), or a function `vocab -> nn.Module`. One training step is
`sentiment_loss` on a batch from `batch_sampler`: notebook 05 writes it out and checks it equal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn

from rnnlab.data.sentiment import (
    EncodedSet,
    SentimentSplits,
    build_vocab,
    contrast_set,
    encode_set,
    probe_set,
    sentiment_splits,
)
from rnnlab.data.vocab import Vocab
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models.classifier import make_classifier
from rnnlab.train import Callback, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_float, check_int

MODELS = ["bow", "gru", "bigru", "lstm", "bilstm"]
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(kw_only=True)
class SentimentConfig(TrainingBlock):
    model: str = field(default="gru", metadata={"choices": MODELS, "help": "classifier"})
    embed_dim: int = 32            # word-vector size (recurrent models)
    hidden_size: int = 32          # recurrent units per direction
    min_freq: int = 2              # words seen fewer times in the training split become <unk>
    max_len: int = 100             # keep the first max_len tokens of each review (a cap, not a fixed length)
    weight_decay: float = 1e-4     # AdamW weight decay
    dropout: float = 0.3           # dropout on word vectors and final state (recurrent models)
    contrast_examples: int = 0     # templated "..., but ..." sentences added to the training split (0: none)
    batch_size: int = 32           # reviews per step
    steps: int = 300               # optimisation steps (the budget)
    lr: float = 5e-3               # AdamW learning rate

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks), each error naming its option as typed,
        e.g. "embed_dim (--embed-dim) must be >= ...". Raises TypeError or ValueError."""
        for name in ("embed_dim", "hidden_size", "min_freq", "max_len"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        check_float(self.weight_decay, "weight_decay (--weight-decay)", minimum=0.0)
        check_float(self.dropout, "dropout (--dropout)", minimum=0.0, maximum=1.0)


@dataclass
class SentimentData:
    """Everything a run trains and evaluates on (built by prepare_data from a config)."""

    vocab: Vocab               # built on the training split (+ contrast sentences) only
    train_set: EncodedSet
    val_set: EncodedSet
    test_set: EncodedSet
    probe_set: EncodedSet      # rows 2k (great) and 2k+1 (other) form probe pair k
    splits: SentimentSplits
    probe: pd.DataFrame


def prepare_data(config: SentimentConfig) -> SentimentData:
    """Splits (seeded by config.seed), vocabulary and encoded sets, exactly as run_sentiment uses them."""
    splits = sentiment_splits(seed=config.seed)
    train_frame = pd.concat([splits.train, contrast_set(config.contrast_examples, seed=config.seed)],
                            ignore_index=True)          # the contrast sentences use none of the probe's words
    vocab = build_vocab(list(train_frame["text"]), min_freq=config.min_freq)
    train_set, val_set, test_set = (encode_set(frame, vocab, max_len=config.max_len)
                                    for frame in (train_frame, splits.validation, splits.test))
    probe = probe_set()
    return SentimentData(vocab, train_set, val_set, test_set, encode_set(probe, vocab, max_len=config.max_len),
                         splits, probe)


def batch_sampler(data: EncodedSet, batch_size: int, seed: int, pad_id: int = 0) -> Callable[[], Batch]:
    """A function returning random padded batches (ids (b, time), lengths (b,), labels (b,)), seeded."""
    g = torch.Generator().manual_seed(seed)

    def batch() -> Batch:
        index = torch.randint(0, len(data), (batch_size,), generator=g).tolist()
        return data.batch(index, pad_id=pad_id)

    return batch


def sentiment_loss(model: nn.Module, batch: Batch) -> torch.Tensor:
    """Binary cross-entropy of the model's logits (batch,) against the 0/1 labels (batch,): one scalar."""
    ids, lengths, labels = batch
    return nn.functional.binary_cross_entropy_with_logits(model(ids, lengths), labels)


def predict_proba(model: nn.Module, data: EncodedSet, batch_size: int = 256) -> torch.Tensor:
    """p(great) for every row of `data`, (n,) float on the CPU, computed in eval mode without gradients."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        probs = torch.cat([torch.sigmoid(model(ids.to(device), lengths.to(device))).cpu()
                           for ids, lengths, _ in data.batches(batch_size)])
    model.train(was_training)
    return probs


def pairs_ordered(model: nn.Module, data: EncodedSet) -> float:
    """Share of probe pairs (rows 2k great, 2k+1 other) where the great member gets the higher p(great)."""
    probs = predict_proba(model, data).reshape(-1, 2)                   # (pairs, 2)
    return (probs[:, 0] > probs[:, 1]).float().mean().item()


def accuracy(model: nn.Module, data: EncodedSet) -> float:
    """Share of rows where p(great) > 0.5 agrees with the label."""
    return ((predict_proba(model, data) > 0.5).float() == data.labels).float().mean().item()


def _ready_model(model: nn.Module | Callable[[Vocab], nn.Module] | None, config: SentimentConfig,
                 data: SentimentData) -> nn.Module:
    if model is None:
        return make_classifier(config.model, len(data.vocab), embed_dim=config.embed_dim,
                               hidden_size=config.hidden_size, pad_id=data.vocab.pad_id, dropout=config.dropout)
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
            help="fine-food review sentiment (metrics: accuracy, majority_accuracy, probe_accuracy)")
def run_sentiment(config: SentimentConfig, model: nn.Module | Callable[[Vocab], nn.Module] | None = None,
                  callbacks: Sequence[Callback] = (), device: torch.device | str | None = None) -> Result:
    device = torch.device(device or "cpu")
    data = prepare_data(config)
    seed_everything(config.seed)                           # initial weights, then dropout, from this seed
    model = _ready_model(model, config, data).to(device)
    sample = batch_sampler(data.train_set, config.batch_size, config.seed, data.vocab.pad_id)

    def batch() -> Batch:
        return tuple(t.to(device) for t in sample())

    def loss_fn(model: nn.Module, batch: Batch) -> torch.Tensor:
        ids, lengths, labels = batch
        logits = model(ids, lengths)
        if logits.shape != labels.shape:
            raise ValueError(f"the model must return one logit per review, shape {tuple(labels.shape)}; "
                             f"got {tuple(logits.shape)}")
        return nn.functional.binary_cross_entropy_with_logits(logits, labels)

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"val_accuracy": accuracy(model, data.val_set)}

    history = train(model, batch, loss_fn,
                    config.train_config(f"sentiment {config.model}", weight_decay=config.weight_decay),
                    evaluate=evaluate, callbacks=callbacks)
    majority = int(data.splits.train["label"].mean() >= 0.5)
    metrics = {"accuracy": accuracy(model, data.test_set),
               "majority_accuracy": (data.test_set.labels == majority).float().mean().item(),
               "probe_accuracy": accuracy(model, data.probe_set),
               "probe_pairs_ordered": pairs_ordered(model, data.probe_set),
               "val_accuracy": history.last("val_accuracy"),
               "vocab_size": len(data.vocab),
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history,
                  extras={"vocab": data.vocab, "splits": data.splits, "probe": data.probe,
                          "test_set": data.test_set, "probe_set": data.probe_set, "data": data})
