"""The adding problem's training plumbing, written once for every experiment that trains on it.

The adding problem (Hochreiter & Schmidhuber 1997; `rnnlab.data.synthetic.adding_problem`): x (batch, seq_len, 2)
floats, y (batch, 1), the sum of the two marked numbers. Here: a stream of seeded training batches, the fixed
held-out set (the same for every run and every training seed), the MSE loss of one batch and the held-out MSE.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rnnlab.data.synthetic import adding_problem

TEST_SEED = 987_654  # the held-out set is the same for every run and every training seed
Batch = tuple[torch.Tensor, torch.Tensor]  # x (batch, seq_len, 2), y (batch, 1)


def adding_batches(seq_len: int, batch_size: int, seed: int, device: torch.device) -> Callable[[], Batch]:
    """A function returning the next training batch on `device`: a fresh batch each call, drawn from a generator
    seeded with `seed` (the same seed gives the same stream of batches)."""
    g = torch.Generator().manual_seed(seed)

    def batch() -> Batch:
        x, y = adding_problem(batch_size, seq_len, seed=int(torch.randint(0, 2**62, (1,), generator=g)))
        return x.to(device), y.to(device)                                     # (batch, seq_len, 2), (batch, 1)

    return batch


def adding_test_set(seq_len: int, n_test: int, device: torch.device) -> Batch:
    """The held-out set on `device`: x (n_test, seq_len, 2), y (n_test, 1), from TEST_SEED."""
    x_test, y_test = adding_problem(n_test, seq_len, seed=TEST_SEED)
    return x_test.to(device), y_test.to(device)


def mse_loss(model: nn.Module, batch: Batch) -> torch.Tensor:
    """The loss of one batch: the mean squared error of model(x) (batch, 1) against y (batch, 1)."""
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def held_out_mse(x_test: torch.Tensor, y_test: torch.Tensor) -> Callable[[nn.Module], dict[str, float]]:
    """The evaluation for `rnnlab.train.train`: model -> {"test_mse": its MSE on the held-out set}."""

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"test_mse": nn.functional.mse_loss(model(x_test), y_test).item()}

    return evaluate
