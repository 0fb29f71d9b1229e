"""LSTM / GRU forecasters: single step, and three ways to forecast a whole horizon, with optional quantiles.

- recursive: a one-step model whose predictions are fed back as inputs, step after step;
- direct:    one head predicts all H future values at once from the last hidden state;
- seq2seq:   an encoder reads the lookback, a decoder unrolls H steps from its final state, feeding back its
  own predictions (Sutskever, Vinyals & Le 2014, "Sequence to sequence learning with neural networks";
  for forecasting e.g. Wen et al 2017, "A multi-horizon quantile recurrent forecaster").

Every model predicts CHANGES from the last observed value (a residual on top of persistence), so an untrained
network starts at the naive forecast. With `quantiles=(0.1, 0.5, 0.9)` each step gets one output per level,
trained with the pinball loss (Koenker & Bassett 1978); the outer levels make a prediction interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from rnnlab.validate import check_array, check_choice, check_int

CELLS: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU}
STRATEGIES = ["direct", "recursive", "seq2seq"]


class Forecaster(nn.Module):
    """Recurrent forecaster. x: (batch, lookback, input_size) scaled inputs -> (batch, horizon, Q) forecasts of the
    target, Q = number of quantiles (1 for a point forecast trained with squared error). The target is input
    column `target` (0 for a univariate series); with several inputs only the direct strategy applies (the
    other strategies feed forecasts back as the next input, and the other columns' futures are unknown)."""

    def __init__(self, cell: str = "lstm", hidden_size: int = 32, horizon: int = 1, strategy: str = "direct",
                 quantiles: Sequence[float] | None = None, num_layers: int = 1, input_size: int = 1,
                 target: int = 0) -> None:
        super().__init__()
        self.cell = check_choice(cell, "cell", list(CELLS))
        self.strategy = check_choice(strategy, "strategy", STRATEGIES)
        self.horizon = check_int(horizon, "horizon", minimum=1)
        check_int(hidden_size, "hidden_size", minimum=1)
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.target = check_int(target, "target", minimum=0, maximum=input_size - 1)
        if input_size > 1 and strategy != "direct":
            raise ValueError(f"strategy {strategy!r} feeds forecasts back as inputs, which needs a single input "
                             f"series; with {input_size} inputs use --strategy direct")
        self.quantiles = tuple(float(q) for q in quantiles) if quantiles else None
        levels = list(self.quantiles or ())
        if any(not 0 < q < 1 for q in levels) or levels != sorted(levels):
            raise ValueError(f"quantiles must be increasing levels in (0, 1), got {quantiles}")
        self.num_outputs = len(self.quantiles) if self.quantiles else 1
        self.encoder = CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True)
        steps_out = self.horizon if strategy == "direct" else 1
        self.head = nn.Linear(hidden_size, steps_out * self.num_outputs)
        self.decoder = CELLS[cell](1, hidden_size, num_layers=num_layers, batch_first=True) \
            if strategy == "seq2seq" else None

    @property
    def _centre(self) -> int:
        """Index of the output fed back in recursive / seq2seq mode: the median (or the only output)."""
        if not self.quantiles:
            return 0
        return int(np.argmin([abs(q - 0.5) for q in self.quantiles]))

    def forward(self, x: torch.Tensor, horizon: int | None = None, teacher: torch.Tensor | None = None) -> torch.Tensor:
        """x: (batch, lookback, input_size) -> (batch, horizon, Q). `teacher` (batch, horizon): true future values
        that a recursive or seq2seq model reads instead of its own predictions (teacher forcing: used to train the
        recursive model; at test time it measures what feeding back its own forecasts costs). Every step predicts
        a change from the value it read, so with teacher forcing step k is a one-step forecast from the truth."""
        check_array(x, "x", shape=("batch", "lookback", self.input_size))
        horizon = self.horizon if horizon is None else check_int(horizon, "horizon", minimum=1)
        last = x[:, -1:, self.target:self.target + 1]                   # (batch, 1, 1) last observed target value
        out, state = self.encoder(x)                                     # out: (batch, lookback, hidden)
        if self.strategy == "direct":
            if horizon != self.horizon:
                raise ValueError(f"a direct model predicts exactly its horizon {self.horizon}, asked for {horizon}")
            delta = self.head(out[:, -1]).view(-1, self.horizon, self.num_outputs)  # (batch, horizon, Q)
            return last + delta
        steps, fed, h = [], last, out[:, -1]                             # fed: the value the next step starts from
        rnn = self.decoder if self.strategy == "seq2seq" else self.encoder
        for k in range(horizon):
            if k > 0:
                out, state = rnn(fed, state)                             # read the value of step k (own or true)
                h = out[:, -1]                                           # (batch, hidden)
            elif self.strategy == "seq2seq":
                out, state = rnn(fed, state)                             # the decoder's first step reads the last value
                h = out[:, -1]
            step = fed + self.head(h).view(-1, 1, self.num_outputs)      # (batch, 1, Q): a change from the value read
            steps.append(step)
            fed = step[:, :, self._centre:self._centre + 1]              # (batch, 1, 1) its own forecast fed back...
            if teacher is not None and k + 1 < horizon:
                fed = teacher[:, k].view(-1, 1, 1)                       # ...or, teacher forcing, the true value
        return torch.cat(steps, dim=1)                                   # (batch, horizon, Q)


def pinball_loss_torch(pred: torch.Tensor, target: torch.Tensor, quantiles: Sequence[float]) -> torch.Tensor:
    """pred: (batch, horizon, Q), target: (batch, horizon) -> mean pinball loss (a scalar)."""
    q = torch.tensor(quantiles, dtype=pred.dtype, device=pred.device)  # (Q,)
    diff = target.unsqueeze(-1) - pred                                  # (batch, horizon, Q)
    return torch.maximum(q * diff, (q - 1) * diff).mean()


def forecast_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor],
                  quantiles: Sequence[float] | None = None) -> torch.Tensor:
    """The training loss: squared error for a point forecaster, pinball loss for a quantile one (`quantiles`
    given, or a model with a `quantiles` attribute, e.g. (0.1, 0.5, 0.9)). A recursive model is trained one step
    ahead with teacher forcing over the whole horizon.
    batch: x (batch, lookback, features), y (batch, horizon) -> a scalar."""
    x, y = batch                                                  # (batch, lookback, features), (batch, horizon)
    if isinstance(model, Forecaster):
        teacher = y if model.strategy == "recursive" else None
        pred = model(x, horizon=y.shape[1], teacher=teacher)         # (batch, horizon, Q)
    else:                                                            # a model of your own: (batch, horizon, Q)
        pred = model(x)
    quantiles = getattr(model, "quantiles", None) if quantiles is None else quantiles
    if quantiles:
        return pinball_loss_torch(pred, y, quantiles)
    return nn.functional.mse_loss(pred[..., 0], y)


@torch.no_grad()
def predict(model: Forecaster, past: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """past: (num, lookback) scaled values of a univariate series, or (num, lookback, input_size) scaled inputs
    -> (num, horizon, Q) numpy forecasts of the (scaled) target (model in eval mode)."""
    check_array(past, "past", finite=True)
    if np.ndim(past) not in (2, 3):
        raise ValueError(f"past must be (num, lookback) or (num, lookback, input_size), got shape {np.shape(past)}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x = torch.tensor(np.asarray(past), dtype=torch.float32, device=device)
    if x.ndim == 2:
        x = x.unsqueeze(-1)                                                  # (num, lookback, 1)
    outs = [model(x[i:i + batch_size]).cpu().numpy() for i in range(0, len(x), batch_size)]
    model.train(was_training)
    return np.concatenate(outs, axis=0)
