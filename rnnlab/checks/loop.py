"""Exercise check for notebook 03, section 6: the PyTorch training loop of a recurrent model.

The student writes `train_loop(model, optimizer, batches, clip, x_test, y_test, eval_every)`. The check runs it
and the reference loop (below) from the same seed on the same batches and compares the training and test losses.
When they differ it runs the classic wrong loops too and, if the student's losses equal one of them, names the
mistake in words: no `optimizer.zero_grad()` (gradients accumulate), clipping after `optimizer.step()` or not at
all. The model records, at every forward pass, whether it was in training mode and whether gradients were on, so
evaluating in training mode (dropout still active) or with gradients on is caught even when the numbers agree.

Reference: the loop of `rnnlab.train.train` (and of the PyTorch tutorials); Pascanu, Mikolov & Bengio 2013 for
clipping by the norm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from rnnlab.checks.core import ExerciseFailure, check_exercise
from rnnlab.data.synthetic import adding_problem

TRAIN_BATCH, TEST_BATCH = 16, 40        # the two batch sizes tell training and evaluation forward passes apart
STEPS, EVAL_EVERY, CLIP, LR = 6, 2, 1.0, 0.5   # the first gradient has norm 2.3: clipping acts


class RecordingRNN(nn.Module):
    """A small GRU regressor with dropout that records, at each forward pass, (batch size, model.training,
    torch.is_grad_enabled()). x: (batch, time, 2) -> (batch, 1)."""

    def __init__(self, hidden: int = 8, dropout: float = 0.3) -> None:
        super().__init__()
        self.rnn = nn.GRU(2, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, 1)
        self.calls: list[tuple[int, bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((x.shape[0], self.training, torch.is_grad_enabled()))
        out, _ = self.rnn(x)                                    # (batch, time, hidden)
        return self.head(self.drop(out[:, -1]))                 # (batch, 1)


def reference_loop(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Sequence, clip: float,
                   x_test: torch.Tensor, y_test: torch.Tensor, eval_every: int, *,
                   zero_grad: bool = True, clip_before_step: bool = True) -> tuple[list[float], list[float]]:
    """The training loop of notebook 03 (MSE loss). Returns the training loss of every step and the test loss of
    every evaluation. `zero_grad=False` and `clip_before_step=False` give two classic wrong loops."""
    losses, test_losses = [], []
    model.train()
    for step, (x, y) in enumerate(batches, start=1):
        loss = nn.functional.mse_loss(model(x), y)              # forward
        if zero_grad:
            optimizer.zero_grad()                               # forget the previous step's gradients
        loss.backward()                                         # p.grad += dloss/dp
        if clip_before_step:
            nn.utils.clip_grad_norm_(model.parameters(), clip)  # rescale the gradient to norm <= clip
        optimizer.step()                                        # p -= lr * p.grad
        if not clip_before_step:
            nn.utils.clip_grad_norm_(model.parameters(), clip)  # too late: the step is already taken
        losses.append(loss.item())
        if step % eval_every == 0:
            model.eval()                                        # dropout off
            with torch.no_grad():                               # no graph, no gradients
                test_losses.append(nn.functional.mse_loss(model(x_test), y_test).item())
            model.train()
    return losses, test_losses


def _problem() -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor, torch.Tensor]:
    batches = [adding_problem(TRAIN_BATCH, 5, seed=100 + i) for i in range(STEPS)]   # (16, 5, 2), (16, 1)
    x_test, y_test = adding_problem(TEST_BATCH, 5, seed=99)                         # (40, 5, 2), (40, 1)
    return batches, x_test, y_test


def _run(loop: Callable, **kwargs: bool) -> tuple[RecordingRNN, object]:
    torch.manual_seed(0)
    model = RecordingRNN()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    batches, x_test, y_test = _problem()
    torch.manual_seed(1)                                        # the dropout masks
    return model, loop(model, optimizer, batches, CLIP, x_test, y_test, EVAL_EVERY, **kwargs)


def _floats(values: object, name: str, length: int) -> np.ndarray:
    if not isinstance(values, list | tuple):
        raise ExerciseFailure(f"{name} should be a list of floats, got {type(values).__name__}")
    if len(values) != length:
        raise ExerciseFailure(f"{name} has {len(values)} entries, expected {length}")
    if any(isinstance(v, torch.Tensor) and v.requires_grad for v in values):
        raise ExerciseFailure(f"{name} holds tensors that still carry their autograd graph (every step's graph "
                              "stays in memory): append loss.item(), a Python float")
    try:
        return np.array([float(v) for v in values])
    except (TypeError, ValueError, RuntimeError) as err:
        raise ExerciseFailure(f"{name} should hold one number per entry (use loss.item()): {err}") from None


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-5, atol=1e-7))


def check_training_loop(train_loop_fn: Callable) -> bool:
    """train_loop_fn(model, optimizer, batches, clip, x_test, y_test, eval_every) -> (losses, test_losses):
    one training loss per batch (MSE, gradient clipped to norm `clip` before each step) and one test loss every
    `eval_every` steps (in eval mode, without gradients)."""

    def test() -> None:
        model, result = _run(train_loop_fn)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise ExerciseFailure("return two lists: (losses, test_losses)")
        losses = _floats(result[0], "losses (one per training step)", STEPS)
        test_losses = _floats(result[1], f"test_losses (one every {EVAL_EVERY} steps)", STEPS // EVAL_EVERY)
        evals = [(training, grad) for batch, training, grad in model.calls if batch == TEST_BATCH]
        trains = [(training, grad) for batch, training, grad in model.calls if batch == TRAIN_BATCH]
        if not evals:
            raise ExerciseFailure("the model never saw x_test: evaluate it every eval_every steps")
        if any(training for training, _ in evals):
            raise ExerciseFailure("you evaluated in training mode (dropout still on, random test losses): call "
                                  "model.eval() before evaluating")
        if any(grad for _, grad in evals):
            raise ExerciseFailure("you evaluated with gradients on (autograd built a graph for nothing): wrap the "
                                  "evaluation in `with torch.no_grad():`")
        if not all(training for training, _ in trains):
            raise ExerciseFailure("some training steps ran in eval mode (dropout off): call model.train() again "
                                  "after each evaluation")
        _, (ref_losses, ref_test) = _run(reference_loop)
        if _same(losses, ref_losses) and _same(test_losses, ref_test):
            return
        mistakes = [
            (dict(zero_grad=False), "gradients accumulate from step to step: call optimizer.zero_grad() before "
                                    "loss.backward()"),
            (dict(clip_before_step=False), "the gradient was not clipped before the update: call "
                                           "clip_grad_norm_(model.parameters(), clip) after loss.backward() and "
                                           "before optimizer.step() (clipping after the step changes nothing)"),
            (dict(zero_grad=False, clip_before_step=False), "two mistakes: no optimizer.zero_grad() (gradients "
                                                            "accumulate) and no clipping before optimizer.step()"),
        ]
        for kwargs, message in mistakes:
            _, (wrong_losses, wrong_test) = _run(reference_loop, **kwargs)
            if _same(losses, wrong_losses) and _same(test_losses, wrong_test):
                raise ExerciseFailure(message)
        if not _same(losses, ref_losses):
            step = int(np.argmax(~np.isclose(losses, ref_losses, rtol=1e-5, atol=1e-7))) + 1
            raise ExerciseFailure(f"your training loss differs from the reference from step {step} on "
                                  f"({losses[step - 1]:.5g} instead of {ref_losses[step - 1]:.5g}); compute "
                                  "loss = mse_loss(model(x), y) on each batch in order, and do not re-seed")
        raise ExerciseFailure(f"your test losses {np.round(test_losses, 5).tolist()} differ from the reference "
                              f"{np.round(ref_test, 5).tolist()}: evaluate mse_loss(model(x_test), y_test) after "
                              f"steps {EVAL_EVERY}, {2 * EVAL_EVERY}, ...")

    return check_exercise("training loop", test)
