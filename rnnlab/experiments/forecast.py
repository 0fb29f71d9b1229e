"""Forecast a real series (or your CSV) with a baseline or an LSTM/GRU, evaluated walk-forward on the held-out tail.

`python -m rnnlab.experiments forecast --series seattle_hourly --model lstm --horizon 24 --lookback 48 --seed 0`
`python -m rnnlab.experiments forecast --csv my.csv --column sales --model linear --horizon 7 --lookback 28`

The series is split in time (train / validation / test); the scaler and every model are fitted on the
training part only; the model with the lowest validation error during training is kept; the reported `mae`,
`rmse` and `mase` are measured on the test part, at every origin (walk-forward), in the series' own units.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnnlab.data.timeseries import SERIES, load_csv, load_series
from rnnlab.data.windows import Scaler, WindowDataset, chronological_split, make_windows, origins, walk_forward
from rnnlab.experiments.registry import Result, experiment
from rnnlab.metrics.forecast import coverage, directional_accuracy, mae, mase, rmse
from rnnlab.models.baselines import LinearAR, persistence, seasonal_naive
from rnnlab.models.forecast import STRATEGIES, Forecaster, forecast_loss, predict
from rnnlab.train import Callback, TrainConfig, TrainState, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_float, check_int

MODELS = ["persistence", "seasonal_naive", "linear", "lstm", "gru"]
INTERVAL = (0.1, 0.5, 0.9)  # quantile levels of the 80% prediction interval


@dataclass
class ForecastConfig:
    series: str = field(default="seattle_hourly", metadata={"choices": list(SERIES), "help": "a named series"})
    csv: str = ""                 # path of your own CSV file (overrides --series when given)
    column: str = ""              # the value column of the CSV
    date_column: str = "date"     # the date column of the CSV
    season: int = 0               # season length m for seasonal naive and MASE (0: the series' own, 1 for a CSV)
    model: str = field(default="lstm", metadata={"choices": MODELS, "help": "forecaster"})
    strategy: str = field(default="direct", metadata={"choices": STRATEGIES, "help": "multi-step strategy"})
    horizon: int = 24             # steps ahead to forecast (all of 1..horizon are scored)
    lookback: int = 48            # past values the forecaster sees
    seed: int = 0                 # seeds the network's initial weights and its training batches
    hidden_size: int = 32         # recurrent units
    steps: int = 400              # optimisation steps (networks only)
    batch_size: int = 64          # windows per step
    lr: float = 3e-3              # AdamW learning rate
    quantiles: bool = False       # also predict the 10% and 90% quantiles (pinball loss) -> 80% interval
    test_fraction: float = 0.15   # the held-out tail
    val_fraction: float = 0.15    # the part before it, for choosing the training step
    eval_stride: int = 1          # distance between test origins (1: every origin)
    progress: bool = True         # show a progress bar

    def __post_init__(self) -> None:
        check_int(self.horizon, "horizon", minimum=1, maximum=10_000)
        check_int(self.lookback, "lookback", minimum=1, maximum=10_000)
        check_int(self.season, "season", minimum=0)
        check_int(self.eval_stride, "eval_stride", minimum=1)
        check_float(self.test_fraction, "test_fraction", minimum=0.0, maximum=0.5, strict_minimum=True)
        if self.csv and not self.column:
            raise ValueError("--csv needs --column (the name of the value column)")


class KeepBest(Callback):
    """Remember the weights with the lowest validation MAE and put them back at the end."""

    def __init__(self, metric: str = "val_mae") -> None:
        self.metric, self.best, self.state, self.step = metric, float("inf"), None, 0

    def on_eval(self, state: TrainState, metrics: dict[str, float]) -> None:
        if metrics[self.metric] < self.best:
            self.best, self.step = metrics[self.metric], state.step
            self.state = copy.deepcopy(state.model.state_dict())

    def on_end(self, state: TrainState) -> None:
        if self.state is not None:
            state.model.load_state_dict(self.state)


def load_config_series(config: ForecastConfig) -> tuple[np.ndarray, np.ndarray, int, str]:
    """(values (n,), dates (n,), season, name) of the series the config asks for."""
    if config.csv:
        need = config.lookback + config.horizon
        series = load_csv(config.csv, config.date_column, config.column, min_length=max(10, int(need / 0.15) + 2))
        season, name = config.season or 1, config.column
    else:
        series, season = load_series(config.series)
        season, name = config.season or season, config.series
    return series.to_numpy(dtype=float), series.index.to_numpy(), season, name


@experiment("forecast", ForecastConfig, help="forecast a real series walk-forward on its held-out tail "
            "(metrics: mae, rmse, mase, directional_accuracy)")
def run_forecast(config: ForecastConfig) -> Result:
    seed_everything(config.seed)
    y, dates, season, name = load_config_series(config)
    split = chronological_split(len(y), config.val_fraction, config.test_fraction)
    L, H = config.lookback, config.horizon
    if split.val_end - split.train_end < L + H or split.train_end < L + H + 1:
        raise ValueError(f"the series ({len(y)} values) is too short for lookback {L} + horizon {H}: the training "
                         f"part has {split.train_end} values and the validation part {split.val_end - split.train_end}")
    if config.model == "seasonal_naive":
        L = max(L, season)  # seasonal naive looks one season back, whatever the lookback
    scaler = Scaler.fit(y[:split.train_end])                     # statistics of the training part only
    z = scaler.transform(y)
    model, history, quantiles = None, None, None
    train_origins = origins(0, split.train_end, L, H)             # windows entirely inside the training part

    if config.model == "persistence":
        def forecast(past: np.ndarray) -> np.ndarray:
            return persistence(past, H)
    elif config.model == "seasonal_naive":
        def forecast(past: np.ndarray) -> np.ndarray:
            return seasonal_naive(past, H, season)
    elif config.model == "linear":
        linear = LinearAR().fit(*make_windows(z, train_origins, L, H))

        def forecast(past: np.ndarray) -> np.ndarray:
            return scaler.inverse(linear.predict(scaler.transform(past)))
    else:
        quantiles = INTERVAL if config.quantiles else None
        model = Forecaster(config.model, config.hidden_size, H, config.strategy, quantiles)
        data = WindowDataset(z, L, H, 0, split.train_end)
        g = torch.Generator().manual_seed(config.seed)
        val_stride = max(1, (split.val_end - split.train_end) // 200)  # about 200 validation origins
        val_x, val_y = make_windows(z, np.arange(split.train_end - 1, split.val_end - H, val_stride), L, H)
        centre = model._centre

        def evaluate(m: nn.Module) -> dict[str, float]:
            return {"val_mae": float(np.abs(predict(m, val_x)[..., centre] - val_y).mean() * scaler.std)}

        keep = KeepBest()
        history = train(model, data.batches(config.batch_size, g), forecast_loss,
                        TrainConfig(steps=config.steps, lr=config.lr, eval_every=max(1, config.steps // 10),
                                    progress=config.progress, desc=f"forecast {config.model} {config.strategy}"),
                        evaluate=evaluate, callbacks=[keep])

        def forecast(past: np.ndarray) -> np.ndarray:
            return scaler.inverse(predict(model, scaler.transform(past)))  # (num, H, Q)

    result = walk_forward(forecast, y, L, H, split.val_end, stride=config.eval_stride)
    full = result["predictions"]
    point = full[..., model._centre] if full.ndim == 3 else full  # (num, H)
    targets = result["targets"]
    metrics = {"mae": mae(targets, point), "rmse": rmse(targets, point),
               "mase": mase(targets, point, y[:split.train_end], season),
               "directional_accuracy": directional_accuracy(targets, point, result["inputs"][:, -1]),
               "n_test_origins": len(targets)}
    extras = {"series_name": name, "y": y, "dates": dates, "split": split, "season": season, "scaler": scaler,
              "origins": result["origins"], "inputs": result["inputs"], "targets": targets, "predictions": point}
    if quantiles:
        lower, upper = full[..., 0], full[..., -1]
        metrics["coverage"] = coverage(targets, lower, upper)
        extras.update(lower=lower, upper=upper)
    if history is not None:
        metrics["steps"] = history.steps[-1]
        metrics["best_step"] = keep.step
        metrics["train_seconds"] = history.seconds
    return Result(metrics=metrics, config=config, model=model, history=history, extras=extras)
