"""Next-step prediction of noisy sine waves with a small recurrent net: the runner's first experiment."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.synthetic import sine_waves
from rnnlab.experiments.registry import Result, experiment
from rnnlab.models import SequenceModel
from rnnlab.train import TrainConfig, train
from rnnlab.utils import seed_everything


@dataclass
class SineConfig:
    model: str = field(default="rnn", metadata={"choices": ["rnn", "lstm", "gru"], "help": "recurrent layer"})
    seed: int = 0                 # seeds the model, the training batches and nothing else
    hidden_size: int = 32         # recurrent units
    length: int = 60              # time steps per sequence
    noise: float = 0.05           # standard deviation of the added Gaussian noise
    batch_size: int = 64          # sequences per training step
    steps: int = 400              # optimisation steps
    lr: float = 1e-2              # Adam learning rate
    progress: bool = True         # show a progress bar


@experiment("sine", SineConfig, help="predict the next value of noisy sine waves (metrics: test_mse, "
            "persistence_mse)")
def run_sine(config: SineConfig) -> Result:
    seed_everything(config.seed)
    test = sine_waves(256, config.length, noise=config.noise, seed=10_000)   # fixed held-out waves
    model = SequenceModel(config.model, 1, config.hidden_size, 1, many_to_one=False)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> torch.Tensor:
        return sine_waves(config.batch_size, config.length, noise=config.noise,
                          seed=int(torch.randint(0, 2**31, (1,), generator=g)))

    def loss_fn(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(model(x[:, :-1]), x[:, 1:])          # predict x[t+1] from x[..t]

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"test_mse": nn.functional.mse_loss(model(test[:, :-1]), test[:, 1:]).item()}

    history = train(model, batch, loss_fn, TrainConfig(steps=config.steps, lr=config.lr, eval_every=50,
                                                       progress=config.progress, desc=f"sine {config.model}"),
                    evaluate=evaluate)
    metrics = {"test_mse": history.last("test_mse"),
               "persistence_mse": nn.functional.mse_loss(test[:, :-1], test[:, 1:]).item(),
               "noise_mse": config.noise**2,
               "steps": history.steps[-1]}
    return Result(metrics=metrics, config=config, model=model, history=history, extras={"test": test})
