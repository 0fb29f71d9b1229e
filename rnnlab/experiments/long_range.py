"""Long-range memory tasks: the adding problem and the copy-memory problem, for RNN, LSTM and GRU.

Models are compared at matched parameter counts: by default each has as many parameters as an LSTM with
`reference_hidden` units (so the vanilla RNN gets more units than the LSTM).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from rnnlab.data.synthetic import ADDING_BASELINE_MSE, adding_problem, copy_memory, copy_memory_baseline_loss
from rnnlab.experiments.registry import Result, experiment
from rnnlab.models import SequenceModel, matched_hidden_size, recurrent_parameter_count
from rnnlab.models.cells import set_forget_bias
from rnnlab.train import EarlyStopping, History, TrainConfig, train
from rnnlab.utils import seed_everything

MODELS = ["rnn", "lstm", "gru"]
TEST_SEED = 987_654  # the held-out set is the same for every run and every training seed


@dataclass
class AddingConfig:
    model: str = field(default="lstm", metadata={"choices": MODELS, "help": "recurrent layer"})
    T: int = field(default=100, metadata={"help": "sequence length"})
    seed: int = 0                          # seeds initialisation and training batches
    hidden_size: int | None = None         # None: match the parameters of an LSTM with reference_hidden units
    reference_hidden: int = 32             # LSTM size that sets the parameter budget
    batch_size: int = 128                  # sequences per step
    steps: int = 1500                      # optimisation steps (the budget)
    lr: float = 1e-2                       # Adam learning rate (1e-3 leaves an LSTM at the baseline here)
    clip_grad_norm: float = 1.0            # gradient clipping threshold
    n_test: int = 1000                     # held-out sequences
    eval_every: int = 100                  # steps between evaluations
    stop_at: float | None = None           # stop early once test MSE is below this
    forget_bias: float | None = None       # LSTM only: initial forget-gate bias (None: torch's default init)
    progress: bool = True                  # show a progress bar


def _init_forget_bias(model: SequenceModel, forget_bias: float | None) -> None:
    """Set an LSTM's initial forget-gate bias (Jozefowicz et al. 2015); other cells have no forget gate."""
    if forget_bias is not None and model.cell == "lstm":
        set_forget_bias(model.rnn, forget_bias)


def _hidden(model: str, hidden_size: int | None, reference_hidden: int, input_size: int, output_size: int) -> int:
    if hidden_size is not None:
        return hidden_size
    budget = recurrent_parameter_count("lstm", input_size, reference_hidden, output_size)
    return matched_hidden_size(model, input_size, output_size, budget)


def fit_adding(model: nn.Module, config: Any) -> tuple[History, dict[str, float]]:
    """Train `model` ((batch, T, 2) -> (batch, 1)) on the adding problem and evaluate it on the fixed held-out set.

    `config` is any config with the fields of AddingConfig that set the task and the budget (T, seed, batch_size,
    steps, lr, clip_grad_norm, n_test, eval_every, stop_at, progress, model); `run_adding` and the attention and
    minGRU experiments of notebook 10 share this loop. Returns the history and the metrics common to both.
    """
    x_test, y_test = adding_problem(config.n_test, config.T, seed=TEST_SEED)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        return adding_problem(config.batch_size, config.T, seed=int(torch.randint(0, 2**62, (1,), generator=g)))

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return nn.functional.mse_loss(model(x), y)

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"test_mse": nn.functional.mse_loss(model(x_test), y_test).item()}

    callbacks = [EarlyStopping("test_mse", target=config.stop_at)] if config.stop_at is not None else []
    history = train(model, batch, loss_fn,
                    TrainConfig(steps=config.steps, lr=config.lr, clip_grad_norm=config.clip_grad_norm,
                                eval_every=config.eval_every, progress=config.progress,
                                desc=f"adding T={config.T} {config.model}"),
                    evaluate=evaluate, callbacks=callbacks)
    metrics = {"test_mse": history.last("test_mse"),
               "baseline_mse": nn.functional.mse_loss(torch.ones_like(y_test), y_test).item(),
               "best_test_mse": float(history.metric("test_mse")[1].min()),
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return history, metrics


@experiment("adding", AddingConfig, help="the adding problem (metrics: test_mse, baseline_mse)")
def run_adding(config: AddingConfig) -> Result:
    seed_everything(config.seed)
    hidden = _hidden(config.model, config.hidden_size, config.reference_hidden, 2, 1)
    model = SequenceModel(config.model, 2, hidden, 1)
    _init_forget_bias(model, config.forget_bias)
    history, metrics = fit_adding(model, config)
    metrics["hidden_size"] = hidden
    return Result(metrics=metrics, config=config, model=model, history=history,
                  extras={"theoretical_baseline_mse": ADDING_BASELINE_MSE})


@dataclass
class CopyConfig:
    model: str = field(default="lstm", metadata={"choices": MODELS, "help": "recurrent layer"})
    delay: int = field(default=20, metadata={"help": "blank steps between the symbols and their recall"})
    seed: int = 0                          # seeds initialisation and training batches
    length: int = 10                       # symbols to remember
    n_symbols: int = 8                     # alphabet size (chance recall = 1 / n_symbols)
    hidden_size: int | None = None         # None: match the parameters of an LSTM with reference_hidden units
    reference_hidden: int = 64             # LSTM size that sets the parameter budget
    batch_size: int = 128                  # sequences per step
    steps: int = 2000                      # optimisation steps (LSTM, delay 20: ~33% recall at 1500, ~38% at 2100)
    lr: float = 1e-2                       # Adam learning rate
    clip_grad_norm: float = 1.0            # gradient clipping threshold
    n_test: int = 1000                     # held-out sequences
    eval_every: int = 100                  # steps between evaluations
    stop_at: float | None = None           # stop early once test recall accuracy is above this
    forget_bias: float | None = 1.0        # LSTM only: initial forget-gate bias (None: torch's default init)
    progress: bool = True                  # show a progress bar


@experiment("copy", CopyConfig, help="the copy-memory problem (metrics: accuracy, baseline_accuracy)")
def run_copy(config: CopyConfig) -> Result:
    seed_everything(config.seed)
    kw = dict(n_symbols=config.n_symbols, length=config.length)
    x_test, y_test = copy_memory(config.n_test, config.delay, seed=TEST_SEED, **kw)
    vocab = config.n_symbols + 2
    hidden = _hidden(config.model, config.hidden_size, config.reference_hidden, vocab, vocab)
    model = SequenceModel(config.model, vocab, hidden, vocab, vocab_size=vocab, many_to_one=False)
    _init_forget_bias(model, config.forget_bias)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        return copy_memory(config.batch_size, config.delay, seed=int(torch.randint(0, 2**62, (1,), generator=g)),
                           **kw)

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits = model(x_test)                                          # (n, time, vocab)
        recall = logits[:, -config.length:].argmax(-1)                  # (n, length)
        return {"test_loss": nn.functional.cross_entropy(logits.flatten(0, 1), y_test.flatten()).item(),
                "accuracy": (recall == y_test[:, -config.length:]).float().mean().item()}

    callbacks = ([EarlyStopping("accuracy", mode="max", target=config.stop_at)]
                 if config.stop_at is not None else [])
    history = train(model, batch, loss_fn,
                    TrainConfig(steps=config.steps, lr=config.lr, clip_grad_norm=config.clip_grad_norm,
                                 eval_every=config.eval_every, progress=config.progress,
                                 desc=f"copy delay={config.delay} {config.model}"),
                    evaluate=evaluate, callbacks=callbacks)
    metrics = {"accuracy": history.last("accuracy"),
               "baseline_accuracy": 1.0 / config.n_symbols,
               "test_loss": history.last("test_loss"),
               "baseline_loss": copy_memory_baseline_loss(config.delay, **kw),
               "hidden_size": hidden,
               "parameters": sum(p.numel() for p in model.parameters()),
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history)
