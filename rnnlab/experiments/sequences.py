"""Notebook 00: a feed-forward net on a fixed window against a model that shares its weights over time.

The task (rnnlab.data.synthetic.motif_detection): say whether the motif 1, 2, 3 occurs in a sequence. Training
sequences have it only near the start; the test asks about sequences that have it near the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.synthetic import motif_detection
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models import SequenceModel
from rnnlab.train import Callback, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice, check_device, check_int


class WindowMLP(nn.Module):
    """A feed-forward net over the whole fixed-length window: one-hot tokens, flattened, two layers.

    x: (batch, length) token ids -> (batch, 1) logits. Each position has its own weights.
    """

    def __init__(self, length: int, n_tokens: int, hidden_size: int) -> None:
        super().__init__()
        self.length, self.n_tokens = length, n_tokens
        self.net = nn.Sequential(nn.Linear(length * n_tokens, hidden_size), nn.ReLU(), nn.Linear(hidden_size, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.length:
            raise ValueError(f"WindowMLP takes exactly {self.length} steps: expected x of shape (batch, "
                             f"{self.length}), got {tuple(x.shape)}")
        one_hot = nn.functional.one_hot(x, self.n_tokens).float()           # (batch, length, n_tokens)
        return self.net(one_hot.flatten(1))                                  # (batch, 1)


class RecurrentDetector(nn.Module):
    """A GRU reads the tokens and scores every step with the same weights; the answer is the best score.

    x: (batch, length) token ids -> (batch, 1) logits. Nothing depends on the position of the motif.
    """

    def __init__(self, n_tokens: int, hidden_size: int, embedding_dim: int = 8) -> None:
        super().__init__()
        self.scores = SequenceModel("gru", embedding_dim, hidden_size, 1, vocab_size=n_tokens, many_to_one=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scores(x).amax(dim=1)                                    # (batch, time, 1) -> (batch, 1)


@dataclass(kw_only=True)
class MotifConfig(TrainingBlock):
    model: str = field(default="mlp", metadata={"choices": ["mlp", "gru"],
                                                "help": "window MLP, or GRU scoring each step (max over time)"})
    seq_len: int = 24                 # time steps per sequence
    train_positions: str = "0,8"      # motif start positions seen in training: low,high (high exclusive)
    test_positions: str = "14,22"     # motif start positions of the "unseen positions" test
    hidden_size: int = 32             # hidden units
    n_train: int = 2000               # training sequences
    n_test: int = 1000                # test sequences in each of the two test sets
    steps: int = 400                  # optimisation steps
    lr: float = 1e-2                  # AdamW learning rate
    eval_every: int = 50              # steps between evaluations (and one at the end)

    def __post_init__(self) -> None:
        check_choice(self.model, "model", ["mlp", "gru"])
        check_int(self.seq_len, "seq_len", minimum=3)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_int(self.n_train, "n_train", minimum=1)
        check_int(self.n_test, "n_test", minimum=1)


N_TOKENS = 4  # token ids 1..4 in the sequences (0 is never used); the motif is 1, 2, 3


def _positions(text: str, name: str) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in text.split(","))
    except ValueError as err:
        raise ValueError(f"{name} must look like 'low,high' (e.g. '0,8'), got {text!r}") from err
    return low, high


def build_model(config: MotifConfig) -> nn.Module:
    """The model named by `config.model`: (batch, seq_len) token ids -> (batch, 1) logits."""
    if config.model == "mlp":
        return WindowMLP(config.seq_len, N_TOKENS + 1, config.hidden_size)
    if config.model == "gru":
        return RecurrentDetector(N_TOKENS + 1, config.hidden_size)
    raise ValueError(f"model must be 'mlp' or 'gru', got {config.model!r}")


@experiment("motif", MotifConfig, help="find a motif anywhere: window MLP vs GRU (metrics: accuracy_seen_positions,"
            " accuracy_unseen_positions)")
def run_motif(config: MotifConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
              device: torch.device | str | None = None) -> Result:
    """Train a motif detector and test it where the motif was shown in training and where it never was.

    model: None builds `config.model`; or your own nn.Module mapping (batch, seq_len) token ids (int64, values
    0..4) to (batch, 1) logits of "the motif 1, 2, 3 occurs". callbacks: extra rnnlab.train callbacks
    (e.g. rnnlab.viz.live.LivePlot()). device: where the model and the batches go (CPU by default).
    Returns metrics accuracy_seen_positions, accuracy_unseen_positions (1000 test sequences each; chance 0.5)
    and parameters. Raises ValueError for malformed positions, TypeError when `model` is not an nn.Module.
    """
    seed_everything(config.seed)
    train_pos = _positions(config.train_positions, "train_positions")
    test_pos = _positions(config.test_positions, "test_positions")
    device = check_device(device)
    x, y = motif_detection(config.n_train, config.seq_len, positions=train_pos, seed=config.seed)
    x_seen, y_seen = motif_detection(config.n_test, config.seq_len, positions=train_pos, seed=50_001)
    x_unseen, y_unseen = motif_detection(config.n_test, config.seq_len, positions=test_pos, seed=50_002)
    x, y, x_seen, y_seen, x_unseen, y_unseen = (t.to(device) for t in (x, y, x_seen, y_seen, x_unseen, y_unseen))
    if model is None:
        model = build_model(config)
    elif not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module mapping (batch, seq_len) token ids to (batch, 1) logits, "
                        f"got {type(model).__name__}")
    model = model.to(device)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, config.n_train, (config.batch_size,), generator=g).to(device)
        return x[idx], y[idx]

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        logits = model(xb)
        if logits.shape != (xb.shape[0], 1):
            raise ValueError(f"the model must return logits of shape (batch, 1) = ({xb.shape[0]}, 1), "
                             f"got {tuple(logits.shape)}")
        return nn.functional.binary_cross_entropy_with_logits(logits.squeeze(-1), yb)

    def accuracy(model: nn.Module, xs: torch.Tensor, ys: torch.Tensor) -> float:
        return ((model(xs).squeeze(-1) > 0).float() == ys).float().mean().item()

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"accuracy_seen_positions": accuracy(model, x_seen, y_seen),
                "accuracy_unseen_positions": accuracy(model, x_unseen, y_unseen)}

    history = train(model, batch, loss_fn, config.train_config(f"motif {config.model}"), evaluate=evaluate,
                    callbacks=list(callbacks))
    metrics = {k: history.last(k) for k in ("accuracy_seen_positions", "accuracy_unseen_positions")}
    metrics["parameters"] = sum(p.numel() for p in model.parameters())
    return Result(metrics=metrics, config=config, model=model, history=history)
