"""Sentiment of fine-food reviews ("great" vs "other"): bag-of-words baseline, GRU, bidirectional GRU.

Metrics: `accuracy` on the 1,000 test reviews, `majority_accuracy` (always predicting the class most frequent
in the training split), `probe_accuracy` on the order-dependent probe pairs (rnnlab.data.sentiment.probe_set,
threshold p(great) > 0.5), `probe_pairs_ordered` (share of probe pairs whose great member gets the higher
p(great), no threshold), and `val_accuracy`. With `contrast_examples > 0` the training split gets that many
templated "..., but ..." sentences (rnnlab.data.sentiment.contrast_set), whose words and templates the probe
set does not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn

from rnnlab.data.sentiment import EncodedSet, build_vocab, contrast_set, encode_set, probe_set, sentiment_splits
from rnnlab.experiments.registry import Result, experiment
from rnnlab.models.classifier import make_classifier
from rnnlab.train import TrainConfig, train
from rnnlab.utils import seed_everything

MODELS = ["bow", "gru", "bigru"]


@dataclass
class SentimentConfig:
    model: str = field(default="gru", metadata={"choices": MODELS, "help": "classifier"})
    seed: int = 0                  # seeds the validation split, the initialisation and the batches
    embed_dim: int = 32            # word-vector size (recurrent models)
    hidden_size: int = 32          # recurrent units per direction
    min_freq: int = 2              # words seen fewer times in the training split become <unk>
    max_len: int = 100             # keep the first max_len tokens of each review
    batch_size: int = 32           # reviews per step
    steps: int = 300               # optimisation steps (the budget)
    lr: float = 5e-3               # AdamW learning rate
    weight_decay: float = 1e-4     # AdamW weight decay
    dropout: float = 0.3           # dropout on word vectors and final state (recurrent models)
    contrast_examples: int = 0     # templated "..., but ..." sentences added to the training split (0: none)
    eval_every: int = 100          # steps between validation evaluations
    progress: bool = True          # show a progress bar


def predict_proba(model: nn.Module, data: EncodedSet, batch_size: int = 256) -> torch.Tensor:
    """p(great) for every row of `data`, (n,) float, computed in eval mode without gradients."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.cat([torch.sigmoid(model(ids, lengths)) for ids, lengths, _ in data.batches(batch_size)])
    model.train(was_training)
    return probs


def pairs_ordered(model: nn.Module, data: EncodedSet) -> float:
    """Share of probe pairs (rows 2k great, 2k+1 other) where the great member gets the higher p(great)."""
    probs = predict_proba(model, data).reshape(-1, 2)                   # (pairs, 2)
    return (probs[:, 0] > probs[:, 1]).float().mean().item()


def accuracy(model: nn.Module, data: EncodedSet) -> float:
    """Share of rows where p(great) > 0.5 agrees with the label."""
    return ((predict_proba(model, data) > 0.5).float() == data.labels).float().mean().item()


@experiment("sentiment", SentimentConfig,
            help="fine-food review sentiment (metrics: accuracy, majority_accuracy, probe_accuracy)")
def run_sentiment(config: SentimentConfig) -> Result:
    seed_everything(config.seed)
    splits = sentiment_splits(seed=config.seed)
    train_frame = pd.concat([splits.train, contrast_set(config.contrast_examples, seed=config.seed)],
                            ignore_index=True)          # the contrast sentences use none of the probe's words
    vocab = build_vocab(list(train_frame["text"]), min_freq=config.min_freq)
    train_set, val_set, test_set = (encode_set(frame, vocab, max_len=config.max_len)
                                    for frame in (train_frame, splits.validation, splits.test))
    probe = probe_set()
    probe_encoded = encode_set(probe, vocab, max_len=config.max_len)
    model = make_classifier(config.model, len(vocab), embed_dim=config.embed_dim, hidden_size=config.hidden_size,
                            pad_id=vocab.pad_id, dropout=config.dropout)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        index = torch.randint(0, len(train_set), (config.batch_size,), generator=g).tolist()
        return train_set.batch(index, pad_id=vocab.pad_id)

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ids, lengths, labels = batch
        return nn.functional.binary_cross_entropy_with_logits(model(ids, lengths), labels)

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"val_accuracy": accuracy(model, val_set)}

    history = train(model, batch, loss_fn,
                    TrainConfig(steps=config.steps, lr=config.lr, weight_decay=config.weight_decay,
                                eval_every=config.eval_every, progress=config.progress,
                                desc=f"sentiment {config.model}"),
                    evaluate=evaluate)
    majority = int(splits.train["label"].mean() >= 0.5)
    metrics = {"accuracy": accuracy(model, test_set),
               "majority_accuracy": (test_set.labels == majority).float().mean().item(),
               "probe_accuracy": accuracy(model, probe_encoded),
               "probe_pairs_ordered": pairs_ordered(model, probe_encoded),
               "val_accuracy": history.last("val_accuracy"),
               "vocab_size": len(vocab),
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history,
                  extras={"vocab": vocab, "splits": splits, "probe": probe, "test_set": test_set,
                          "probe_set": probe_encoded})
