"""One generic training loop, in the spirit of minGPT's Trainer: it knows no particular model.

You give it a model, a source of batches, and a loss function `loss_fn(model, batch) -> loss`; it runs a
fixed number of optimisation steps (budget in steps, so a busy machine never changes a result), clips
gradients, records a `History`, and calls your callbacks (live loss plot, early stopping, anything else).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnlab.utils import progress
from rnnlab.validate import check_float, check_int

Batch = Any
LossFn = Callable[[nn.Module, Batch], torch.Tensor]
EvalFn = Callable[[nn.Module], dict[str, float]]


@dataclass
class TrainConfig:
    steps: int = 1000                    # number of optimisation steps (the budget that results depend on)
    lr: float = 1e-3                     # AdamW learning rate
    weight_decay: float = 0.0            # AdamW weight decay
    clip_grad_norm: float | None = 1.0   # rescale the gradient to this norm when larger (None: no clipping)
    eval_every: int = 100                # call `evaluate` every this many steps (and at the end)
    max_seconds: float | None = None     # optional wall-clock budget; stops early when spent
    progress: bool = True                # show a progress bar (rnnlab.utils.set_progress silences all)
    desc: str = "training"               # label of the progress bar
    blow_up_ratio: float | None = 1e3    # stop (DivergedError) when the loss exceeds this times the first loss

    def __post_init__(self) -> None:
        check_int(self.steps, "steps", minimum=1)
        check_float(self.lr, "lr", minimum=0.0, strict_minimum=True)
        check_float(self.weight_decay, "weight_decay", minimum=0.0)
        if self.clip_grad_norm is not None:
            check_float(self.clip_grad_norm, "clip_grad_norm", minimum=0.0, strict_minimum=True)
        check_int(self.eval_every, "eval_every", minimum=1)
        if self.max_seconds is not None:
            check_float(self.max_seconds, "max_seconds", minimum=0.0, strict_minimum=True)
        if self.blow_up_ratio is not None:
            check_float(self.blow_up_ratio, "blow_up_ratio", minimum=1.0, strict_minimum=True)


@dataclass
class History:
    """What happened during training: one record per step, and one per evaluation."""

    steps: list[int] = field(default_factory=list)        # step index of each training record
    loss: list[float] = field(default_factory=list)       # training loss at that step
    grad_norm: list[float] = field(default_factory=list)  # gradient norm before clipping
    evals: list[dict[str, float]] = field(default_factory=list)  # {"step": s, metric: value, ...}
    seconds: float = 0.0                                  # wall-clock time of the whole run
    stopped_early: str | None = None                      # why training stopped before `steps`, if it did

    def metric(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of an evaluation metric, e.g. `history.metric("test_mse")`."""
        rows = [e for e in self.evals if name in e]
        if not rows:
            known = sorted({k for e in self.evals for k in e if k != "step"})
            raise KeyError(f"no evaluation metric named {name!r}; recorded metrics: {known}")
        return np.array([e["step"] for e in rows]), np.array([e[name] for e in rows], dtype=float)

    def last(self, name: str) -> float:
        """The last recorded value of an evaluation metric (or of 'loss')."""
        if name == "loss":
            if not self.loss:
                raise KeyError("no training loss recorded yet")
            return self.loss[-1]
        return float(self.metric(name)[1][-1])


@dataclass
class TrainState:
    """What a callback sees: the model, the optimizer, the step, the history; set `stop` to end training."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    config: TrainConfig
    history: History
    step: int = 0
    stop: bool = False
    stop_reason: str | None = None

    def request_stop(self, reason: str) -> None:
        self.stop, self.stop_reason = True, reason


class Callback:
    """Override any of these; each receives the TrainState."""

    def on_step(self, state: TrainState) -> None: ...

    def on_eval(self, state: TrainState, metrics: dict[str, float]) -> None: ...

    def on_end(self, state: TrainState) -> None: ...


class CosineLR(Callback):
    """Cosine decay of the learning rate from its starting value to 0 over `steps` (Loshchilov & Hutter 2017,
    SGDR without restarts): after step s the rate is lr * (1 + cos(pi * s / steps)) / 2."""

    def __init__(self, lr: float, steps: int) -> None:
        self.lr, self.steps = check_float(lr, "lr", minimum=0.0), check_int(steps, "steps", minimum=1)

    def on_step(self, state: TrainState) -> None:
        for group in state.optimizer.param_groups:
            group["lr"] = self.lr * (1 + math.cos(math.pi * min(state.step, self.steps) / self.steps)) / 2


class EarlyStopping(Callback):
    """Stop when `metric` has not improved for `patience` evaluations (mode 'min' or 'max'),
    or as soon as it passes `target` (e.g. stop at test MSE < 0.01)."""

    def __init__(self, metric: str, patience: int | None = None, mode: str = "min",
                 target: float | None = None) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if patience is None and target is None:
            raise ValueError("EarlyStopping needs a patience, a target, or both")
        if patience is not None:
            check_int(patience, "patience", minimum=1)
        self.metric, self.patience, self.mode, self.target = metric, patience, mode, target
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_evals = 0

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.mode == "min" else a > b

    def on_eval(self, state: TrainState, metrics: dict[str, float]) -> None:
        if self.metric not in metrics:
            raise KeyError(f"EarlyStopping watches {self.metric!r}, but evaluate() returned {sorted(metrics)}")
        value = metrics[self.metric]
        if self.target is not None and (value <= self.target if self.mode == "min" else value >= self.target):
            state.request_stop(f"{self.metric} reached target {self.target} at step {state.step}")
            return
        if self._better(value, self.best):
            self.best, self.bad_evals = value, 0
        else:
            self.bad_evals += 1
            if self.patience is not None and self.bad_evals >= self.patience:
                state.request_stop(f"{self.metric} did not improve for {self.patience} evaluations")


def _batch_stream(batches: Iterable[Batch] | Callable[[], Batch]) -> Iterator[Batch]:
    """Endless batches: call a batch factory again and again, or cycle over an iterable (e.g. a DataLoader)."""
    if callable(batches) and not hasattr(batches, "__iter__"):
        while True:
            yield batches()
    else:
        for epoch in itertools.count():
            empty = True
            for batch in batches:
                empty = False
                yield batch
            if empty:
                raise ValueError(f"the batch source is empty (epoch {epoch} yielded no batch)")


class DivergedError(RuntimeError):
    """Training produced a NaN or infinite loss or gradient norm; the message names the step and what to change.

    Attributes: step (the 1-based step), loss and grad_norm (their values at that step)."""

    def __init__(self, message: str, step: int, loss: float, grad_norm: float) -> None:
        super().__init__(message)
        self.step, self.loss, self.grad_norm = step, loss, grad_norm


_SECOND_BACKWARD = "backward through the graph a second time"


def _graph_reuse_message() -> str:
    return ("backward reached the graph of an earlier step: loss_fn uses a tensor that was computed with the "
            "weights once and kept, not recomputed from the batch at each step. Two usual causes: (1) a hidden "
            "state carried over from the previous batch that was not detached: keep "
            "`state = rnnlab.models.charlm.detach_state(state)` for the next batch (it cuts the graph at the window "
            "edge: truncated backpropagation through time, as rnnlab.models.charlm.StatefulLoss does); (2) a model "
            "output computed once outside loss_fn (a cached forward pass, features made before training): compute "
            "it inside loss_fn from `model` and the batch, or `.detach()` it if it is data. retain_graph=True, "
            "which torch suggests, is the wrong fix: it would backpropagate into earlier steps through weights the "
            "optimizer has since changed")


def training_step(model: nn.Module, batch: Batch, loss_fn: LossFn, optimizer: torch.optim.Optimizer,
                  params: Sequence[torch.Tensor], clip_grad_norm: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimisation step, the core of `train`: forward, zero_grad, backward, clip, step.

    Returns the loss (a scalar tensor) and the gradient norm *before* clipping. `clip_grad_norm=None` clips
    nothing (the norm is still measured). When the loss or the gradient norm is NaN or infinite the update is
    skipped (the weights stay the last finite ones) and the caller decides (`train` stops with DivergedError).
    Raises ValueError when `loss_fn` does not return a scalar tensor, and RuntimeError naming `detach_state`
    when backward reaches the graph of an earlier step (a carried hidden state that was not detached).
    """
    loss = loss_fn(model, batch)                                    # forward pass on one batch
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        raise ValueError(f"loss_fn must return a scalar tensor, got {loss!r:.80}")
    optimizer.zero_grad(set_to_none=True)                           # forget the previous step's gradients
    try:
        loss.backward()                                             # fill p.grad for every parameter
    except RuntimeError as err:
        if _SECOND_BACKWARD in str(err):
            raise RuntimeError(_graph_reuse_message()) from err
        raise
    norm = torch.nn.utils.clip_grad_norm_(params, clip_grad_norm or math.inf)  # rescale if the norm is too big
    if bool(torch.isfinite(loss.detach())) and bool(torch.isfinite(norm)):
        optimizer.step()                                            # update the weights with the clipped gradient
    return loss, norm


def _has_nonfinite(batch: Any) -> bool:
    """Whether any floating-point tensor or array in a batch (nested tuples, lists, dicts) holds NaN or inf."""
    if isinstance(batch, torch.Tensor):
        return batch.is_floating_point() and not bool(torch.isfinite(batch).all())
    if isinstance(batch, np.ndarray):
        return batch.dtype.kind == "f" and not bool(np.isfinite(batch).all())
    if isinstance(batch, dict):
        return any(_has_nonfinite(v) for v in batch.values())
    if isinstance(batch, tuple | list):
        return any(_has_nonfinite(v) for v in batch)
    return False


def _blown_up(history: History, ratio: float | None) -> bool:
    """Whether the last loss is finite but more than `ratio` times the first (positive) loss. A loss that grows
    1000-fold is never training going well: a learning rate of 1e20 reaches 1e22 bits per character, no NaN."""
    first, last = history.loss[0], history.loss[-1]
    return (ratio is not None and math.isfinite(first) and first > 0 and math.isfinite(last)
            and last > ratio * first)


def _watches_steps(callbacks: Sequence[Callback]) -> bool:
    """Whether a callback (other than a learning-rate schedule) looks at every step and may stop training itself,
    as an experiment that records divergence does: then a finite blow-up is its to report."""
    return any(type(cb).on_step is not Callback.on_step and not isinstance(cb, CosineLR) for cb in callbacks)


def _divergence_message(step: int, steps: int, loss: float, norm: float, history: History,
                        optimizer: torch.optim.Optimizer, clip: float | None, batch: Any) -> str:
    """Say what went wrong at `step`, and what to change: the data, the loss, or the step size."""
    before = "before any update" if step == 1 or not history.loss[:-1] else "the weights are those before this step"
    if math.isfinite(loss) and math.isfinite(norm):         # finite, but blown up
        what = (f"the loss is {loss:.4g}, {loss / history.loss[0]:.3g} times its first value "
                f"{history.loss[0]:.4g}")
    elif not math.isfinite(loss):
        what = f"the loss is {loss:g}"
    else:
        what = f"the gradient norm is {norm:g} (loss {loss:.4g})"
    if _has_nonfinite(batch):                                # the data, at any step
        return (f"training stopped at step {step} of {steps} ({before}): {what} because the batch of this step "
                "itself holds NaN or infinite values; check the data (missing values, overflowing numbers)")
    if math.isfinite(loss) and not math.isfinite(norm) and not _blown_up(history, 1e3):
        # a finite loss of ordinary size with an infinite derivative: an operation's fault, not the step size
        return (f"training stopped at step {step} of {steps} ({before}): {what}; an operation in the model or "
                "loss_fn has an infinite derivative on this batch (sqrt or log at 0, a norm of a zero vector): "
                "add a small epsilon inside it (e.g. torch.sqrt(x + 1e-12)); clipping cannot repair a NaN gradient")
    if step == 1 or not history.loss[:-1]:
        return (f"training stopped at step {step} of {steps}, before any update: {what} on the initial "
                "weights; check the model's output and loss_fn (log of 0, division by 0, an overflowing value)")
    skipped = not (math.isfinite(loss) and math.isfinite(norm))   # training_step skipped this update
    finite = [(s, v) for s, v in zip(history.steps[:-1], history.loss[:-1], strict=True) if math.isfinite(v)]
    last = (f" (the last finite loss was {finite[-1][1]:.4g} at step {finite[-1][0]})"
            if finite and skipped else "")
    lr = optimizer.param_groups[0].get("lr", float("nan"))
    clip_text = ("clip the gradient norm (clip_grad_norm / --clip-grad-norm, now none: try 1.0)" if clip is None
                 else f"clip the gradient norm lower (clip_grad_norm / --clip-grad-norm, now {clip:g})")
    tail = "; the weights are those before this step" if skipped else ""
    log0 = ("; a loss of -inf often means a log of 0 in loss_fn (a probability or variance that reached 0): "
            "clamp it, e.g. torch.log(p.clamp_min(1e-12))" if loss == -math.inf else "")
    return (f"training diverged at step {step} of {steps}: {what}{last}{tail}. "
            f"Lower the learning rate (lr / --lr, now {lr:g}: try 10 times smaller) or {clip_text}{log0}")


def train(model: nn.Module, batches: Iterable[Batch] | Callable[[], Batch], loss_fn: LossFn,
          config: TrainConfig | None = None, *, evaluate: EvalFn | None = None,
          callbacks: Sequence[Callback] = (), optimizer: torch.optim.Optimizer | None = None) -> History:
    """Train `model` for `config.steps` steps and return its History.

    The loop of notebook 03, section 6: `model.train()`, then per step `training_step` (forward, zero_grad,
    backward, clip, step), and every `eval_every` steps an evaluation under `model.eval()` and
    `torch.no_grad()`; around it a progress bar, callbacks and the History.

    batches:   an iterable of batches (cycled when exhausted) or a zero-argument function making one.
    loss_fn:   `loss_fn(model, batch)` returns a scalar loss tensor.
    evaluate:  optional `evaluate(model)` returning metrics; called every `eval_every` steps in eval mode
               under `torch.no_grad()`, and at the end.
    optimizer: defaults to AdamW(lr, weight_decay).

    Raises DivergedError (a RuntimeError) at the first step whose loss or gradient norm is NaN or infinite,
    or whose loss is more than `config.blow_up_ratio` (1000) times the first loss (a blow-up that stays finite;
    not checked when a callback other than CosineLR has an `on_step`: it watches the run and stops it itself),
    naming the step and what to change (`lr` / `--lr`, `clip_grad_norm` / `--clip-grad-norm`, the data when
    the batch holds NaN/inf, or an operation with an infinite derivative when only the gradient is NaN/inf),
    unless a callback's `on_step` requests a stop at that step (then training ends there, `stopped_early` says
    why). The update of that step is skipped. A backward through an earlier step's graph (a carried state not
    detached) raises RuntimeError naming `rnnlab.models.charlm.detach_state`.
    """
    config = config or TrainConfig()
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(model, batch), got {type(loss_fn).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    optimizer = optimizer or torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    history = History()
    state = TrainState(model=model, optimizer=optimizer, config=config, history=history)
    stream = _batch_stream(batches)
    start = time.perf_counter()

    def run_eval() -> None:
        if evaluate is None:
            return
        was_training = model.training
        model.eval()
        with torch.no_grad():
            metrics = {k: float(v) for k, v in evaluate(model).items()}
        model.train(was_training)
        history.evals.append({"step": state.step, **metrics})
        for cb in callbacks:
            cb.on_eval(state, metrics)

    watched = _watches_steps(callbacks)
    model.train()
    bar = progress(range(1, config.steps + 1), desc=config.desc, disable=None if config.progress else True)
    for step in bar:
        state.step = step
        batch = next(stream)
        try:
            loss, norm = training_step(model, batch, loss_fn, optimizer, params, config.clip_grad_norm)
        except BaseException:
            if hasattr(bar, "close"):
                bar.close()
            raise
        history.steps.append(step)
        history.loss.append(loss.item())
        history.grad_norm.append(norm.item())
        if step % 25 == 0 and hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{loss.item():.4g}")
        for cb in callbacks:
            cb.on_step(state)
        finite = math.isfinite(history.loss[-1]) and math.isfinite(history.grad_norm[-1])
        blown_up = _blown_up(history, config.blow_up_ratio) and not watched
        if (not finite or blown_up) and not state.stop:
            # No callback took charge (e.g. an experiment that records divergence): stop here, naming the step.
            if hasattr(bar, "close"):
                bar.close()
            raise DivergedError(_divergence_message(step, config.steps, history.loss[-1], history.grad_norm[-1],
                                                    history, optimizer, config.clip_grad_norm, batch),
                                step, history.loss[-1], history.grad_norm[-1])
        if step % config.eval_every == 0 or step == config.steps:
            run_eval()
        if config.max_seconds is not None and time.perf_counter() - start > config.max_seconds:
            state.request_stop(f"wall-clock budget of {config.max_seconds} s spent at step {step}")
        if state.stop:
            if not history.evals or history.evals[-1]["step"] != step:
                run_eval()  # always end on an evaluation of the final model
            break
    if hasattr(bar, "close"):
        bar.close()
    history.stopped_early = state.stop_reason
    history.seconds = time.perf_counter() - start
    for cb in callbacks:
        cb.on_end(state)
    return history
