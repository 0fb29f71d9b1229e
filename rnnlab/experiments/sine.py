"""Next-step prediction of noisy sine waves with a small recurrent net: the runner's first experiment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.synthetic import sine_waves
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models import SequenceModel
from rnnlab.train import Callback, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice, check_device, check_float, check_int


@dataclass(kw_only=True)
class SineConfig(TrainingBlock):
    model: str = field(default="rnn", metadata={"choices": ["rnn", "lstm", "gru"], "help": "recurrent layer"})
    hidden_size: int = 32         # recurrent units
    seq_len: int = 60             # time steps per sequence
    noise: float = 0.05           # standard deviation of the added Gaussian noise
    n_test: int = 256             # held-out waves (a fixed set, the same for every seed)
    steps: int = 400              # optimisation steps
    lr: float = 1e-2              # AdamW learning rate
    eval_every: int = 50          # steps between evaluations (and one at the end)

    def __post_init__(self) -> None:
        check_choice(self.model, "model", ["rnn", "lstm", "gru"])
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_int(self.seq_len, "seq_len", minimum=2)
        check_float(self.noise, "noise", minimum=0.0)
        check_int(self.n_test, "n_test", minimum=1)


@experiment("sine", SineConfig, help="predict the next value of noisy sine waves (metrics: test_mse, "
            "persistence_mse)")
def run_sine(config: SineConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
             device: torch.device | str | None = None) -> Result:
    """Train a next-step predictor on noisy sine waves (rnnlab.data.synthetic.sine_waves).

    model: None builds SequenceModel(config.model, 1, hidden_size, 1, many_to_one=False); or your own nn.Module
    mapping (batch, time, 1) to (batch, time, 1). callbacks: extra rnnlab.train callbacks. device: where the
    model and the batches go (CPU by default). Returns metrics test_mse, persistence_mse (predict x[t+1] = x[t]),
    noise_mse (the noise variance, the floor no model can beat on average) and steps.
    """
    seed_everything(config.seed)
    device = check_device(device)
    test = sine_waves(config.n_test, config.seq_len, noise=config.noise, seed=10_000).to(device)  # (n, time, 1)
    if model is None:
        model = SequenceModel(config.model, 1, config.hidden_size, 1, many_to_one=False)
    elif not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module mapping (batch, time, 1) to (batch, time, 1), "
                        f"got {type(model).__name__}")
    model = model.to(device)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> torch.Tensor:
        return sine_waves(config.batch_size, config.seq_len, noise=config.noise,
                          seed=int(torch.randint(0, 2**31, (1,), generator=g))).to(device)

    def loss_fn(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(model(x[:, :-1]), x[:, 1:])          # predict x[t+1] from x[..t]

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"test_mse": nn.functional.mse_loss(model(test[:, :-1]), test[:, 1:]).item()}

    history = train(model, batch, loss_fn, config.train_config(f"sine {config.model}"), evaluate=evaluate,
                    callbacks=list(callbacks))
    metrics = {"test_mse": history.last("test_mse"),
               "persistence_mse": nn.functional.mse_loss(test[:, :-1], test[:, 1:]).item(),
               "noise_mse": config.noise**2,
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history, extras={"test": test})
