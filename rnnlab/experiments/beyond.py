"""Beyond classic RNNs: the adding problem of notebook 04, learned by a causal Transformer (no recurrence) and by
minGRU / minLSTM (a recurrence trained with a parallel scan).

The protocol is that of `adding` in rnnlab.experiments.long_range (same data, same held-out set, same
metrics), so the numbers line up with the RNN, LSTM and GRU in one table.
References: Vaswani et al. 2017; Feng et al. 2024 ("Were RNNs All We Needed?").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnnlab.data.synthetic import ADDING_BASELINE_MSE
from rnnlab.experiments.long_range import fit_adding
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models import SequenceModel
from rnnlab.models.attention import TransformerConfig, TransformerRegressor
from rnnlab.models.scan import MinRNN, MinRNNRegressor
from rnnlab.train import Callback
from rnnlab.utils import seed_everything
from rnnlab.validate import check_array, check_choice, check_device, check_float, check_int

MODELS = ["transformer", "mingru", "minlstm"]


@dataclass(kw_only=True)
class BeyondConfig(TrainingBlock):
    model: str = field(default="transformer", metadata={"choices": MODELS, "help": "architecture"})
    seq_len: int = field(default=100, metadata={"help": "sequence length (the adding problem's T)"})
    d_model: int = 32                      # transformer width
    n_heads: int = 2                       # transformer attention heads
    num_layers: int = 1                      # transformer blocks, or stacked minGRU/minLSTM layers
    hidden_size: int = 32                  # minGRU/minLSTM state size
    n_test: int = 1000                     # held-out sequences
    stop_at: float | None = None           # stop early once test MSE is below this (None: never)
    batch_size: int = 128                  # sequences per step
    steps: int = 1500                      # optimisation steps (the budget)
    lr: float = 3e-3                       # AdamW learning rate

    def __post_init__(self) -> None:
        check_choice(self.model, "model", MODELS)
        check_int(self.seq_len, "seq_len", minimum=2)
        check_int(self.d_model, "d_model", minimum=1)
        check_int(self.n_heads, "n_heads", minimum=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be a multiple of n_heads ({self.n_heads})")
        check_int(self.num_layers, "num_layers", minimum=1)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_int(self.n_test, "n_test", minimum=1)
        if self.stop_at is not None:
            check_float(self.stop_at, "stop_at", minimum=0.0, strict_minimum=True)


@dataclass
class BeyondResult(Result):
    """What `run_beyond` returns; `metrics` holds the same numbers as plain floats for the command line."""

    test_mse: float = float("nan")                    # MSE on the fixed held-out set after the last step
    best_test_mse: float = float("nan")               # the lowest held-out MSE over the evaluations
    baseline_mse: float = float("nan")                # MSE of the best constant (the mean of the held-out targets)
    predict_one_mse: float = float("nan")             # MSE of predicting 1, the expected sum, on the same set
    theoretical_baseline_mse: float = ADDING_BASELINE_MSE  # 1/6: the expected MSE of predicting 1
    parameters: int = 0                               # trainable parameters
    train_seconds: float = float("nan")               # wall clock of the training run


def build_model(config: BeyondConfig) -> nn.Module:
    """The model named by `config.model`, for 2 input channels and 1 output."""
    check_int(config.num_layers, "num_layers", minimum=1)
    if config.model == "transformer":
        return TransformerRegressor(2, 1, TransformerConfig(d_model=config.d_model, n_heads=config.n_heads,
                                                            d_ff=2 * config.d_model, num_layers=config.num_layers))
    if config.model in ("mingru", "minlstm"):
        return MinRNNRegressor(config.model, 2, config.hidden_size, 1, num_layers=config.num_layers)
    raise ValueError(f"model must be one of {MODELS}, got {config.model!r}")


@experiment("beyond", BeyondConfig,
            help="the adding problem without classic recurrence: transformer, mingru, minlstm "
                 "(metrics: test_mse, baseline_mse)")
def run_beyond(config: BeyondConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> BeyondResult:
    """Train `config.model` (or your own `model`: any nn.Module mapping (batch, T, 2) -> (batch, 1)) on the
    adding problem with `fit_adding`, the loop shared with `adding`. `callbacks` are extra rnnlab.train
    callbacks (e.g. rnnlab.viz.live.LivePlot()); `device` is where the model and the batches go (CPU default).
    Returns a BeyondResult: fields test_mse, best_test_mse, baseline_mse (predict the mean of the held-out
    targets), predict_one_mse, theoretical_baseline_mse, parameters, train_seconds (the same numbers in
    `metrics`, plus steps). Raises TypeError when `model` is not an nn.Module."""
    seed_everything(config.seed)
    if model is None:
        model = build_model(config)
    elif not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module mapping (batch, T, 2) -> (batch, 1), "
                        f"got {type(model).__name__}")
    extra: dict[str, object] = {}
    if callbacks:
        extra["callbacks"] = list(callbacks)
    if device is not None:
        extra["device"] = check_device(device)
    history, metrics = fit_adding(model, config, **extra)
    metrics["train_seconds"] = history.seconds
    return BeyondResult(metrics=metrics, config=config, model=model, history=history,
                        test_mse=metrics["test_mse"], best_test_mse=metrics["best_test_mse"],
                        baseline_mse=metrics["baseline_mse"], predict_one_mse=metrics["predict_one_mse"],
                        parameters=int(metrics["parameters"]), train_seconds=history.seconds)


def scan_timings(lengths: Sequence[int], *, batch: int = 8, hidden: int = 32, repeats: int = 3,
                 seed: int = 0) -> list[dict[str, float]]:
    """Time forward + backward of one minGRU layer as a scan and as its Python loop, and of nn.GRU of the
    same size, at each length T in `lengths` (seconds: the minimum of `repeats` interleaved rounds).

    Returns one dict per T: batch, hidden, T, scan_s, loop_s, nn_gru_s, loop_over_scan, nn_gru_over_scan.
    Wall-clock numbers: they depend on the machine and its load, so they are reported, never asserted
    (benchmarks/scan.py writes them to benchmarks/results/scan.json).
    """
    for T in lengths:
        check_int(T, "lengths (each T)", minimum=1)
    check_int(batch, "batch", minimum=1)
    check_int(hidden, "hidden", minimum=1)
    torch.manual_seed(seed)
    layer, gru = MinRNN("mingru", hidden, hidden), nn.GRU(hidden, hidden, batch_first=True)
    rows = []
    for T in lengths:
        x = torch.randn(batch, T, hidden)                       # (batch, time, hidden)
        t = time_costs({"scan": forward_backward(layer, x),
                        "loop": forward_backward(lambda x: layer(x, parallel=False), x),
                        "gru": forward_backward(gru, x)}, repeats=repeats)
        rows.append({"batch": batch, "hidden": hidden, "T": T, "scan_s": t["scan"], "loop_s": t["loop"],
                     "nn_gru_s": t["gru"], "loop_over_scan": t["loop"] / t["scan"],
                     "nn_gru_over_scan": t["gru"] / t["scan"]})
    return rows


# ---------------------------------------------------------------------------------------------------------
# Measuring costs: the notebook and benchmarks/scan.py call these, so both report the same quantities.

def saved_activation_bytes(loss_fn: Callable[[], torch.Tensor]) -> int:
    """Bytes of the tensors autograd keeps for the backward pass while computing `loss_fn()` (each storage
    counted once): the training memory that grows with the sequence length."""
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        storages[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss_fn()
    return int(sum(storages.values()))


def time_costs(fns: dict[str, Callable[[], object]], *, repeats: int = 3) -> dict[str, float]:
    """Seconds of one call of each function: the minimum over `repeats` rounds, the functions interleaved in
    every round, so that a busy machine slows all of them alike (the minimum is the least disturbed run)."""
    check_int(repeats, "repeats", minimum=1)
    best = {name: math.inf for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def forward_backward(model: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    """A function that runs `model(x)`, sums the output and back-propagates (one training step's compute)."""

    def run() -> None:
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()

    return run


def stream(model: nn.Module, x: torch.Tensor) -> dict[str, object]:
    """Feed x: (batch, time, input) to a trained model one token at a time, as in deployment.

    Works for rnnlab's SequenceModel (nn.RNN/LSTM/GRU), MinRNNRegressor and TransformerRegressor. Returns
    {"outputs": (batch, time, output), "seconds": per-token wall time (time,), "state_floats": numbers carried
    from one token to the next, after each token (time,)}.
    """
    check_array(x, "x", ndim=3, floating=True)
    state, outputs, seconds, floats = None, [], [], []
    with torch.no_grad():
        for t in range(x.shape[1]):
            start = time.perf_counter()
            if isinstance(model, TransformerRegressor):
                y, state = model.step(x[:, t], t, state)
            elif isinstance(model, MinRNNRegressor):
                y, state = model.step(x[:, t], state)
            elif isinstance(model, SequenceModel):
                out, state = model.rnn(x[:, t : t + 1], state)         # (batch, 1, hidden)
                y = model.head(out[:, 0])
            else:
                raise TypeError(f"stream() knows SequenceModel, MinRNNRegressor and TransformerRegressor, "
                                f"got {type(model).__name__}")
            seconds.append(time.perf_counter() - start)
            outputs.append(y)
            flat = [state] if isinstance(state, torch.Tensor) else [s for item in state for s in
                                                                     (item if isinstance(item, tuple) else [item])]
            floats.append(sum(s.numel() for s in flat) // x.shape[0])
    return {"outputs": torch.stack(outputs, dim=1), "seconds": np.array(seconds), "state_floats": np.array(floats)}
