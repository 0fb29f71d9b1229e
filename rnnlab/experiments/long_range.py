"""Long-range memory tasks: the adding problem and the copy-memory problem, for RNN, LSTM and GRU.

Models are compared at matched parameter counts: by default each has as many parameters as an LSTM with
`reference_hidden` units (so the vanilla RNN gets more units than the LSTM). Every `run_*` takes
`run(config, model=None, callbacks=(), device=None)`: a ready model replaces the built one (same contract),
extra `rnnlab.train` callbacks (e.g. `rnnlab.viz.live.LivePlot`) are called during training, and the model and
every batch move to `device` (CPU by default).
References: Hochreiter & Schmidhuber 1997 (both tasks); Arjovsky, Shah & Bengio 2016 (the variants used here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from rnnlab.data.synthetic import ADDING_BASELINE_MSE, adding_problem, copy_memory, copy_memory_baseline_loss
from rnnlab.experiments.adding_task import TEST_SEED, adding_batches, adding_test_set, held_out_mse, mse_loss
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models import SequenceModel, count_parameters, matched_hidden_size
from rnnlab.models.cells import set_forget_bias
from rnnlab.train import Callback, EarlyStopping, History, TrainConfig, train
from rnnlab.utils import seed_everything
from rnnlab.validate import (
    check_device,
    check_examples_not_mixed,
    check_float,
    check_int,
    outputs_in_batch_and_alone,
)

MODELS = ["rnn", "lstm", "gru"]


@dataclass(kw_only=True)
class AddingConfig(TrainingBlock):
    model: str = field(default="lstm", metadata={"choices": MODELS, "help": "recurrent layer"})
    seq_len: int = field(default=100, metadata={"help": "sequence length (T in the adding problem's papers)"})
    hidden_size: int | None = None         # None: match the parameters of an LSTM with reference_hidden units
    reference_hidden: int = 32             # LSTM size that sets the parameter budget
    batch_size: int = 128                  # sequences per step
    steps: int = 1500                      # optimisation steps (the budget)
    lr: float = 1e-2                       # AdamW learning rate (1e-3 leaves an LSTM at the baseline here)
    clip_grad_norm: float | None = 1.0     # gradient clipping threshold (None: no clipping)
    n_test: int = 1000                     # held-out sequences
    eval_every: int = 100                  # steps between evaluations
    stop_at: float | None = None           # stop early once test MSE is at or below this (> 0)
    forget_bias: float | None = None       # LSTM only: initial forget-gate bias (None: torch's default init)

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks); each error names the option (the same
        word on the command line), e.g. "seq_len must be >= 2, got 0". Raises TypeError or ValueError."""
        check_int(self.seq_len, "seq_len", minimum=2)
        check_int(self.n_test, "n_test", minimum=1)
        _check_sizes(self)
        if self.stop_at is not None and check_float(self.stop_at, "stop_at (--stop-at)") <= 0:
            raise ValueError(f"stop_at (--stop-at) is the held-out MSE at which training stops early; it must be "
                             f"> 0 (an MSE is never negative, so a target <= 0 would never be reached), got "
                             f"{self.stop_at} (leave it out to train for all --steps)")


def _check_sizes(config: AddingConfig | CopyConfig) -> None:
    """hidden_size (when given) and reference_hidden are unit counts: at least 1 (0 units make no RNN)."""
    if config.hidden_size is not None:
        check_int(config.hidden_size, "hidden_size (--hidden-size)", minimum=1)
    check_int(config.reference_hidden, "reference_hidden (--reference-hidden)", minimum=1)


def _init_forget_bias(model: SequenceModel, forget_bias: float | None) -> None:
    """Set an LSTM's initial forget-gate bias (Jozefowicz et al. 2015); other cells have no forget gate."""
    if forget_bias is not None and model.cell == "lstm":
        set_forget_bias(model.rnn, forget_bias)


def _hidden(model: str, hidden_size: int | None, reference_hidden: int, input_size: int, output_size: int) -> int:
    if hidden_size is not None:
        return hidden_size
    budget = count_parameters("lstm", input_size, reference_hidden, output_size)
    return matched_hidden_size(model, input_size, output_size, budget)


def check_model_contract(model: nn.Module, x: torch.Tensor, shape: tuple[int, ...], *, logits: bool = False,
                         option: str = "model", fix: str = "") -> None:
    """Check a model passed to run_adding / run_copy before training: model(x) for a batch x (batch >= 2, ...)
    must be a tensor of `shape` (its first entry is the batch) of finite numbers, each example computed on its
    own (the first and the last example alone give what they give in the batch: a recurrent layer left at
    batch_first=False reads the batch axis as time and mixes them), and with `logits=True` scores, not
    probabilities (cross_entropy applies log_softmax itself: a softmax output trains on a flattened loss).

    Raises TypeError for an output that is not a tensor, ValueError naming the expected shape and the fix.
    """
    n = x.shape[0]
    out, first, last = outputs_in_batch_and_alone(model, x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{option} must return a tensor of shape {shape}, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        hint = f": {fix}" if fix and tuple(out.shape) == tuple(shape[:-1]) else ""
        if out.ndim and out.shape[0] != n and x.ndim > 1 and out.shape[0] == x.shape[1]:
            hint = (f": its first axis has {out.shape[0]} entries (the time axis), not the batch ({n}); x is batch "
                    f"first, so build recurrent layers with batch_first=True")
        raise ValueError(f"{option} must return shape {tuple(shape)} for x of shape {tuple(x.shape)} (batch first), "
                         f"got {tuple(out.shape)}{hint}")
    if not torch.isfinite(out).all():
        raise ValueError(f"{option} returned NaN or infinite outputs for a held-out batch, before any training")
    check_examples_not_mixed(out, first, last, option=option, example="example", layout=str(tuple(x.shape)),
                             fix="build recurrent layers with batch_first=True, or transpose to (time, batch, ...) "
                                 "before them and back after")
    if logits and bool((out >= 0).all()) and torch.allclose(out.sum(-1), torch.ones(()), atol=1e-3):
        raise ValueError(f"{option} returns probabilities (each row is >= 0 and sums to 1): return the raw scores "
                         f"(logits) of the last Linear layer; cross_entropy applies log_softmax itself")


def fit_adding(model: nn.Module, config: Any, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> tuple[History, dict[str, float]]:
    """Train `model` ((batch, T, 2) -> (batch, 1)) on the adding problem and evaluate it on the fixed held-out set.

    `config` is any config with the fields of AddingConfig that set the task and the budget (seq_len, seed, batch_size,
    steps, lr, clip_grad_norm, n_test, eval_every, stop_at, progress, model); `run_adding` and the attention and
    minGRU experiments of notebook 10 share this loop. The model and every batch move to `device`; `callbacks`
    are added to the training loop. Returns the history and the metrics common to both; `baseline_mse` is the
    MSE of the best constant prediction on this test set (the variance of its targets), `predict_one_mse` that
    of predicting 1 (the expected sum; 1/6 in expectation).
    """
    device = check_device(device)
    model.to(device)
    x_test, y_test = adding_test_set(config.seq_len, config.n_test, device)      # (n_test, T, 2), (n_test, 1)
    batch = adding_batches(config.seq_len, config.batch_size, config.seed, device)   # () -> (batch, T, 2), (batch, 1)
    stops = [EarlyStopping("test_mse", target=config.stop_at)] if config.stop_at is not None else []
    history = train(model, batch, mse_loss,
                    TrainConfig(steps=config.steps, lr=config.lr, clip_grad_norm=config.clip_grad_norm,
                                eval_every=config.eval_every, progress=config.progress,
                                desc=f"adding seq_len={config.seq_len} {config.model}"),
                    evaluate=held_out_mse(x_test, y_test), callbacks=[*stops, *callbacks])
    metrics = {"test_mse": history.last("test_mse"),
               "baseline_mse": ((y_test - y_test.mean()) ** 2).mean().item(),   # predict the test mean
               "predict_one_mse": ((y_test - 1.0) ** 2).mean().item(),          # predict 1, the expected sum
               "best_test_mse": float(history.metric("test_mse")[1].min()),
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return history, metrics


@experiment("adding", AddingConfig, help="the adding problem (metrics: test_mse, baseline_mse)")
def run_adding(config: AddingConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> Result:
    """Train `config.model` (or the given `model`: (batch, T, 2) floats -> (batch, 1)) on the adding problem."""
    seed_everything(config.seed)
    if model is None:
        hidden = _hidden(config.model, config.hidden_size, config.reference_hidden, 2, 1)
        model = SequenceModel(config.model, 2, hidden, 1)
        _init_forget_bias(model, config.forget_bias)
    elif not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module mapping (batch, T, 2) to (batch, 1), "
                        f"got {type(model).__name__}")
    else:                                                       # a model of your own: its contract, by name
        model.to(check_device(device))
        x, _ = adding_problem(4, config.seq_len, seed=TEST_SEED)     # (4, T, 2)
        check_model_contract(model, x.to(check_device(device)), (4, 1),
                             fix="end forward() with a Linear(hidden, 1) output, or `.unsqueeze(-1)`")
    history, metrics = fit_adding(model, config, callbacks, device)
    metrics["hidden_size"] = getattr(getattr(model, "rnn", None), "hidden_size", 0)
    return Result(metrics=metrics, config=config, model=model, history=history,
                  extras={"theoretical_baseline_mse": ADDING_BASELINE_MSE})


@dataclass(kw_only=True)
class CopyConfig(TrainingBlock):
    model: str = field(default="lstm", metadata={"choices": MODELS, "help": "recurrent layer"})
    delay: int = field(default=20, metadata={"help": "blank steps between the symbols and their recall"})
    length: int = 10                       # symbols to remember
    n_symbols: int = 8                     # alphabet size (chance recall = 1 / n_symbols)
    hidden_size: int | None = None         # None: match the parameters of an LSTM with reference_hidden units
    reference_hidden: int = 64             # LSTM size that sets the parameter budget
    batch_size: int = 128                  # sequences per step
    steps: int = 2000                      # optimisation steps (LSTM, delay 20: ~33% recall at 1500, ~38% at 2100)
    lr: float = 1e-2                       # AdamW learning rate
    clip_grad_norm: float | None = 1.0     # gradient clipping threshold (None: no clipping)
    n_test: int = 1000                     # held-out sequences
    eval_every: int = 100                  # steps between evaluations
    stop_at: float | None = None           # stop early once test recall accuracy reaches this (0 to 1)
    forget_bias: float | None = 1.0        # LSTM only: initial forget-gate bias (None: torch's default init)

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks); each error names the option (the same
        word on the command line), e.g. "delay must be >= 1, got 0". Raises TypeError or ValueError."""
        for name in ("delay", "length", "n_test"):
            check_int(getattr(self, name), name, minimum=1)
        check_int(self.n_symbols, "n_symbols", minimum=2)
        _check_sizes(self)
        if self.stop_at is not None and not 0 <= check_float(self.stop_at, "stop_at (--stop-at)") <= 1:
            raise ValueError(f"stop_at (--stop-at) is the held-out recall accuracy at which training stops early; "
                             f"it must lie in [0, 1] (0 stops at the first evaluation, 1 only on perfect recall), "
                             f"got {self.stop_at} (leave it out to train for all --steps)")


def recall_accuracy(logits: torch.Tensor, y: torch.Tensor, length: int, n_symbols: int) -> float:
    """Share of the last `length` targets recalled: the most likely of the `n_symbols` symbols (tokens
    1..n_symbols; blank and go excluded) at each recall step. logits: (n, time, n_symbols + 2); y: (n, time).
    A model without memory scores 1 / n_symbols up to sampling noise (chance)."""
    guess = logits[:, -length:, 1:n_symbols + 1].argmax(-1) + 1                  # (n, length) symbol ids
    return (guess == y[:, -length:]).float().mean().item()


@experiment("copy", CopyConfig, help="the copy-memory problem (metrics: accuracy, baseline_accuracy)")
def run_copy(config: CopyConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
             device: torch.device | str | None = None) -> Result:
    """Train `config.model` (or the given `model`: (batch, time) int64 tokens -> (batch, time, n_symbols + 2)
    logits) on the copy-memory problem; `accuracy` is `recall_accuracy` on the held-out set."""
    seed_everything(config.seed)
    device = check_device(device)
    kw = dict(n_symbols=config.n_symbols, length=config.length)
    x_test, y_test = copy_memory(config.n_test, config.delay, seed=TEST_SEED, **kw)   # (n_test, time) each
    x_test, y_test = x_test.to(device), y_test.to(device)
    vocab = config.n_symbols + 2
    if model is None:
        hidden = _hidden(config.model, config.hidden_size, config.reference_hidden, vocab, vocab)
        model = SequenceModel(config.model, vocab, hidden, vocab, vocab_size=vocab, many_to_one=False)
        _init_forget_bias(model, config.forget_bias)
    elif not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module mapping (batch, time) tokens to (batch, time, {vocab}) "
                        f"logits, got {type(model).__name__}")
    else:                                                       # a model of your own: its contract, by name
        model.to(device)
        check_model_contract(model, x_test[:4], (min(4, len(x_test)), x_test.shape[1], vocab), logits=True)
    model.to(device)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        x, y = copy_memory(config.batch_size, config.delay, seed=int(torch.randint(0, 2**62, (1,), generator=g)),
                           **kw)
        return x.to(device), y.to(device)                                         # (batch, time) each

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits = model(x_test)                                                    # (n, time, vocab)
        return {"test_loss": nn.functional.cross_entropy(logits.flatten(0, 1), y_test.flatten()).item(),
                "accuracy": recall_accuracy(logits, y_test, config.length, config.n_symbols)}

    stops = ([EarlyStopping("accuracy", mode="max", target=config.stop_at)]
             if config.stop_at is not None else [])
    history = train(model, batch, loss_fn, config.train_config(f"copy delay={config.delay} {config.model}"),
                    evaluate=evaluate, callbacks=[*stops, *callbacks])
    n_recalled = config.n_test * config.length
    chance = 1.0 / config.n_symbols
    metrics = {"accuracy": history.last("accuracy"),
               "baseline_accuracy": chance,
               "chance_std": (chance * (1 - chance) / n_recalled) ** 0.5,   # sampling noise of a memoryless model
               "test_loss": history.last("test_loss"),
               "baseline_loss": copy_memory_baseline_loss(config.delay, **kw),
               "hidden_size": getattr(getattr(model, "rnn", None), "hidden_size", 0),
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history)
