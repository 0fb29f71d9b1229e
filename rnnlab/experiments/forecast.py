"""Forecast a real series (or your CSV), from its own past or from several inputs, evaluated walk-forward.

`python -m rnnlab.experiments forecast --series nyc_weather --target temp --inputs all --model gru --horizon 24`
`python -m rnnlab.experiments forecast --series seattle_hourly --model lstm --horizon 24 --lookback 48 --seed 0`
`python -m rnnlab.experiments forecast --csv my.csv --target sales --inputs price,promo --model linear --horizon 7`
`python -m rnnlab.experiments forecast --csv prices.csv --target close --model linear --horizon 5 --future`

The data are split in time (train / validation / test); the scalers and every model are fitted on the
training part only; a network keeps the weights with the lowest validation error; the reported `mae`,
`rmse`, `mase` (all steps 1..horizon) and `mae_last` (the step `horizon` alone) are measured on the test part,
at every origin (walk-forward), in the target's own units; `val_mae` and `val_mae_last` are the same scores
on the validation part, the place to compare choices (inputs, lookback, sizes) without looking at the test
part. Models: persistence, seasonal naive, a linear model on the same inputs as the networks, Holt-Winters
exponential smoothing (statsmodels), LSTM, GRU.

Past the data: every run also forecasts the `horizon` steps after the last date (`ForecastResult.future`, a
series indexed by those dates on the series' own calendar: business days stay Monday to Friday, months stay
months; `--future` prints them), from the last `lookback` values, with the model as evaluated (fitted on the
training part only, never on the test part's answers).
"""

from __future__ import annotations

import copy
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnnlab.data.reading import read_text
from rnnlab.data.time_axis import (
    DUPLICATES,
    FILL_MISSING,
    future_dates,
    infer_spacing,
    season_from_spacing,
    spacing_words,
)
from rnnlab.data.timeseries import SERIES, load_csv, load_series
from rnnlab.data.weather import FRAMES
from rnnlab.data.windows import (
    FrameScaler,
    FrameWindows,
    Split,
    check_forecast_sizes,
    chronological_split,
    frame_windows,
    walk_forward_frame,
)
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.metrics.forecast import coverage, directional_accuracy, mae, mase, pinball_loss, rmse
from rnnlab.models.baselines import HoltWinters, LinearAR, persistence, seasonal_naive
from rnnlab.models.forecast import STRATEGIES, Forecaster, forecast_loss, predict
from rnnlab.train import Callback, TrainState, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_device, check_examples_not_mixed, check_float, check_int, outputs_in_batch_and_alone

MODELS = ["persistence", "seasonal_naive", "linear", "ets", "lstm", "gru"]
NETWORKS = ("lstm", "gru")
SEASONAL = ("seasonal_naive", "ets")  # the models that need a season m > 1 to be what their name says
INTERVAL = (0.1, 0.5, 0.9)  # quantile levels of the 80% prediction interval


@dataclass(kw_only=True)
class ForecastConfig(TrainingBlock):
    series: str = field(default="seattle_hourly", metadata={"choices": [*SERIES, *FRAMES], "help": "a named data "
                        "set: one series, or a table of several (nyc_weather: hourly weather at JFK, 2013)"})
    csv: str = ""                 # path of your own CSV file (overrides --series when given)
    target: str = ""              # column to forecast (a table or a CSV; default: temp for nyc_weather)
    column: str = ""              # alias of --target for a CSV (the value column)
    inputs: str = ""              # comma-separated extra input columns, or 'all' ('' = the target's past only)
    date_column: str = "date"     # the date column of the CSV
    date_format: str = ""         # CSV dates' format, e.g. '%d/%m/%Y' (needed for dates like 01/02/2021; '' = ISO)
    sort: bool = False            # sort CSV rows that are out of time order (default: refuse them)
    duplicates: str = field(default="error", metadata={"choices": list(DUPLICATES), "help": "CSV rows with the "
                            "same time: refuse (error) or combine them by their mean, first or last value"})
    fill_missing: str = field(default="error", metadata={"choices": list(FILL_MISSING), "help": "missing CSV time "
                              "steps or empty values: refuse (error), interpolate linearly, or ffill (carry forward)"})
    encoding: str = ""            # the CSV's text encoding, e.g. cp1252 or latin-1 ('': a byte-order mark, else UTF-8)
    season: int = 0               # season length m for seasonal naive, ETS and MASE (0: the data's own; for a CSV
                                  # inferred from the spacing: hourly 24, daily 7, weekly 52, monthly 12, quarterly 4)
    model: str = field(default="lstm", metadata={"choices": MODELS, "help": "forecaster"})
    strategy: str = field(default="direct", metadata={"choices": STRATEGIES, "help": "multi-step strategy"})
    horizon: int = 24             # steps ahead to forecast (all of 1..horizon are scored)
    lookback: int = 48            # past time steps the forecaster sees
    hidden_size: int = 32         # recurrent units
    ridge: float = 1e-3           # ridge penalty of the linear model (relative to the number of windows)
    quantiles: bool = False       # also predict the 10% and 90% quantiles (pinball loss) -> 80% interval
    test_fraction: float = 0.15   # the held-out tail
    val_fraction: float = 0.15    # the part before it, for choosing the training step
    eval_stride: int = 1          # distance between test origins (1: every origin)
    val_origins: int = 200        # validation origins (evenly spaced) scored at each evaluation
    steps: int = 400              # optimisation steps (networks only)
    lr: float = 3e-3              # AdamW learning rate
    eval_every: int = 40          # steps between validation scores (the best-scoring weights are kept)
    future: bool = False          # print the forecast past the last date: each of the horizon steps with its date

    def __post_init__(self) -> None:
        check_int(self.horizon, "horizon", minimum=1, maximum=10_000)
        check_int(self.lookback, "lookback", minimum=1, maximum=10_000)
        check_int(self.season, "season", minimum=0)
        check_int(self.eval_stride, "eval_stride", minimum=1)
        check_int(self.val_origins, "val_origins", minimum=1)
        check_float(self.ridge, "ridge", minimum=0.0)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_float(self.val_fraction, "val_fraction", minimum=0.0, maximum=0.9)
        check_float(self.test_fraction, "test_fraction", minimum=0.0, maximum=0.5, strict_minimum=True)
        if self.column and self.target and self.column != self.target:
            raise ValueError(f"--column {self.column!r} and --target {self.target!r} disagree: give one of them")
        self.target = self.target or self.column
        if self.csv and not self.target:
            raise ValueError("--csv needs --target (the name of the column to forecast)")

    @property
    def input_list(self) -> list[str]:
        """The extra input columns named by --inputs ('all' is resolved when the data are loaded)."""
        return [c.strip() for c in self.inputs.split(",") if c.strip()]


def _empty() -> np.ndarray:
    return np.empty(0)


@dataclass
class ForecastResult(Result):
    """What `run_forecast` returns: the metrics (also as the plain dict `metrics` the command line prints), and
    every array a notebook plots, as typed, documented attributes (`r.mae`, `r.targets`, `r.predictions`...).

    Shapes: n = length of the series, num = number of test origins, H = horizon, L = lookback. Units: the
    target's own (deg C, log price...), never scaled. `extras` holds the same arrays under string keys for
    older callers (the forecast explorer widget); new code reads the attributes.
    """

    series_name: str = ""                                 # the named series, or the CSV file's name
    data: pd.DataFrame | None = None                      # the table forecast: (n, features), target first
    columns: list[str] = field(default_factory=list)      # data's columns: [target, *inputs]
    y: np.ndarray = field(default_factory=_empty)         # (n,) the target
    dates: np.ndarray = field(default_factory=_empty)     # (n,) the timestamp of each value of y
    split: Split | None = None                            # train [0, train_end), val [train_end, val_end), test
    season: int = 1                                       # the season m of seasonal naive, ETS and MASE
    season_source: str = ""                               # how m was chosen (the data's own, --season, inferred)
    scaler: FrameScaler | None = None                     # per-column mean and std of the training part
    lookback: int = 0                                     # L: past steps each forecast reads
    horizon: int = 0                                      # H: steps ahead forecast at each origin
    origins: np.ndarray = field(default_factory=_empty)   # (num,) test origins o: y[o+1..o+H] from y[o-L+1..o]
    inputs: np.ndarray = field(default_factory=_empty)    # (num, L) the target's past at each test origin
    targets: np.ndarray = field(default_factory=_empty)   # (num, H) the true future values
    predictions: np.ndarray = field(default_factory=_empty)  # (num, H) the point forecast (a quantile model's median)
    lower: np.ndarray | None = None                       # (num, H) the 10% quantile (quantile networks only)
    upper: np.ndarray | None = None                       # (num, H) the 90% quantile (quantile networks only)
    val_origins: np.ndarray = field(default_factory=_empty)      # (num_val,) validation origins, every stride-th
    val_targets: np.ndarray = field(default_factory=_empty)      # (num_val, H) true values of the validation part
    val_predictions: np.ndarray = field(default_factory=_empty)  # (num_val, H) its point forecasts
    mae: float = math.nan                                 # test MAE over steps 1..H
    mae_last: float = math.nan                            # test MAE at step H alone
    rmse: float = math.nan                                # test RMSE over steps 1..H
    mase: float = math.nan                                # test MAE / the training part's seasonal-naive MAE (m)
    directional_accuracy: float = math.nan                # share of test forecasts with the right sign of change
    coverage: float = math.nan                            # share of test values inside [lower, upper] (quantiles)
    quantile_crossing: float = math.nan                   # share of test forecasts whose quantiles crossed (sorted)
    val_mae: float = math.nan                             # the same MAE on the validation part (choose here)
    val_mae_last: float = math.nan                        # validation MAE at step H alone
    best_step: int = 0                                    # networks: the step whose weights were kept (0: baselines)
    freq: str = ""                                        # the dates' spacing ("B" business days, "D", "h", "MS"...)
    future: pd.Series | None = None                       # (H,) the forecast past the last date, indexed by its dates
    future_lower: pd.Series | None = None                 # (H,) its 10% quantile (quantile networks only)
    future_upper: pd.Series | None = None                 # (H,) its 90% quantile (quantile networks only)
    future_note: str = ""                                 # how the future dates were made (the series' calendar)

    @property
    def mae_by_step(self) -> np.ndarray:
        """(H,) test MAE at each step ahead k = 1..H."""
        return np.abs(self.targets - self.predictions).mean(axis=0)

    @property
    def val_curve(self) -> list[dict[str, float]]:
        """Networks: [{'step': s, 'val_mae': ...}, ...], the validation MAE (target's units) at each evaluation;
        early stopping kept the weights of the lowest. [] for baselines."""
        return list(self.history.evals) if self.history is not None else []


def check_forecaster_contract(model: nn.Module, past: np.ndarray, horizon: int, num_quantiles: int = 1, *,
                              device: torch.device | str | None = None, option: str = "model") -> None:
    """Check a forecaster of your own before training: model(x (batch, lookback, features)) must return a
    float tensor (batch, horizon, Q) of finite numbers (Q = 3 with quantiles, else 1), and must treat each
    example of a batch on its own: the first window alone gives the same forecast as in the batch (a recurrent
    layer left at batch_first=False reads the batch axis as time and mixes the examples: the last window of the
    batch then depends on the ones before it, so the first and the last window are each run alone).

    past: (batch >= 2, lookback, features) scaled windows (the first training windows). Raises TypeError for an
    output that is not a tensor, ValueError naming the expected shape and the fix (e.g. a (batch, horizon)
    output: `.unsqueeze(-1)`; the horizon of --horizon), non-finite outputs or examples that are mixed.
    """
    x = torch.tensor(np.asarray(past), dtype=torch.float32, device=check_device(device))
    n, lookback, features = x.shape
    expected = (n, horizon, num_quantiles)
    out, first, last = outputs_in_batch_and_alone(model, x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{option} must return a tensor (batch, horizon, {num_quantiles}), got {type(out).__name__}")
    if tuple(out.shape) == (n, horizon) and num_quantiles == 1:
        raise ValueError(f"{option} returned shape {tuple(out.shape)} (batch, horizon) for x of shape {tuple(x.shape)};"
                         f" a forecaster returns (batch, horizon, 1), one value per step and quantile: end forward() "
                         f"with `return y.unsqueeze(-1)`")
    if tuple(out.shape) != expected:
        if out.ndim == 3 and out.shape[0] == n and out.shape[1] != horizon:
            why = f"its horizon axis has {out.shape[1]} steps but horizon is {horizon} (--horizon)"
        elif out.ndim >= 1 and out.shape[0] == lookback != n:
            why = (f"its first axis has lookback ({lookback}) entries, not batch ({n}): x is batch first, (batch, "
                   f"lookback, features) = {tuple(x.shape)}; build recurrent layers with batch_first=True")
        else:
            why = f"x is batch first, (batch, lookback, features) = {tuple(x.shape)}"
        raise ValueError(f"{option} must return (batch, horizon, Q) = {expected}, got {tuple(out.shape)}: {why}"
                         + (" (Q = 3 quantiles because quantiles=True)" if num_quantiles > 1 else ""))
    if not torch.isfinite(out).all():
        raise ValueError(f"{option} returned NaN or infinite forecasts for finite inputs, before any training")
    check_examples_not_mixed(out, first, last, option=option, example="window",
                             layout=f"(batch, lookback, features) = {tuple(x.shape)}",
                             fix="build recurrent layers with batch_first=True (nn.LSTM(..., batch_first=True)), or "
                                 "transpose to (lookback, batch, features) before them and back after")


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


def _columns(config: ForecastConfig, available: Sequence[str], target: str) -> list[str]:
    """[target, *inputs] after checking every name against the available columns."""
    if target not in available:
        raise ValueError(f"--target {target!r} is not a column of {config.csv or config.series}; "
                         f"its columns are {list(available)}")
    extra = [c for c in available if c != target] if config.input_list == ["all"] else config.input_list
    unknown = [c for c in extra if c not in available]
    if unknown:
        raise ValueError(f"--inputs names {unknown}, not columns of {config.csv or config.series}; "
                         f"its columns are {list(available)} (or --inputs all)")
    return [target, *dict.fromkeys(c for c in extra if c != target)]


def load_config_data(config: ForecastConfig, *, verbose: bool = True) -> tuple[pd.DataFrame, int, str, str]:
    """(table with the target first and then the inputs, season m, name, how m was chosen) of the data the
    config asks for. For a CSV without --season, m is inferred from the dates' spacing
    (`rnnlab.data.time_axis.season_from_spacing`: hourly 24, daily 7, weekly 52, monthly 12, quarterly 4);
    where the spacing implies none, seasonal models (seasonal_naive, ets) are refused by name and the others use
    m = 1. The season used is printed (verbose), once per session for each file and season. Raises ValueError /
    FileNotFoundError naming the option."""
    if config.csv:
        names = config.input_list
        if names == ["all"]:
            text = read_text(config.csv, encoding=config.encoding or None, option="--csv")
            try:
                header = pd.read_csv(io.StringIO(text), nrows=0).columns
            except (pd.errors.ParserError, pd.errors.EmptyDataError):
                header = pd.Index([config.target])  # load_csv below names the problem
            names = list(header.drop(config.date_column, errors="ignore"))
        columns = [config.target, *[c for c in names if c != config.target]]
        table = load_csv(config.csv, config.date_column, columns, date_format=config.date_format or None,
                         sort=config.sort, duplicates=config.duplicates, fill_missing=config.fill_missing,
                         encoding=config.encoding or None, option="--csv", verbose=False)
        name = Path(config.csv).name
        report = table.attrs["report"]
        if verbose and report.notes and str(report) not in _SEASONS_SAID:   # what the time axis needed, said once
            _SEASONS_SAID.add(str(report))
            print(report)
        season, source = _csv_season(config, table, name)
        message = f"{name}: season m = {season} ({source})"
        if verbose and message not in _SEASONS_SAID:  # said once per session, not once per model run
            _SEASONS_SAID.add(message)
            print(message)
        return table[_columns(config, list(table.columns), config.target)], season, name, source
    if config.series in FRAMES:
        frame = FRAMES[config.series]()
        target = config.target or "temp"
        source = f"--season {config.season}" if config.season else "hourly: a day of 24 hours"
        return frame[_columns(config, list(frame.columns), target)], config.season or 24, config.series, source
    if config.input_list or config.target:
        raise ValueError(f"--series {config.series} is a single series: --target and --inputs need a table "
                         f"({', '.join(FRAMES)}) or --csv")
    series, season = load_series(config.series)
    source = f"--season {config.season}" if config.season else f"the series' own season, {season}"
    return series.to_frame(), config.season or season, config.series, source


_SEASONS_SAID: set[str] = set()  # season and time-axis messages printed in this session (each said once)


def _csv_season(config: ForecastConfig, table: pd.DataFrame, name: str) -> tuple[int, str]:
    """The season of a CSV series: --season when given, else the one its spacing implies (see load_config_data)."""
    if config.season:
        return config.season, f"season={config.season}, as asked (--season {config.season} in a terminal)"
    freq = table.attrs["report"].freq
    season, why = season_from_spacing(freq)
    if season is None:
        if config.model in SEASONAL:
            raise ValueError(f"--model {config.model} repeats the value one season back, but {name} has no season "
                             f"rnnlab can infer ({why}); pass --season (the number of steps in one cycle, e.g. "
                             "--season 12 for a yearly cycle in monthly data)")
        return 1, (f"no season inferred ({why}); MASE scales by the one-step naive error; season= "
                   "(--season in a terminal) sets one")
    n_train = chronological_split(len(table), config.val_fraction, config.test_fraction).train_end
    if season >= n_train and config.model not in SEASONAL:
        return 1, (f"the spacing implies {season} ({why}), more than the {n_train} training values hold; "
                   "MASE scales by the one-step naive error")
    if season == 7 and why.startswith("daily"):
        why += "; for a yearly cycle pass season=365"
    holidays = len(table.attrs["report"].holidays)
    if holidays:
        why += f" ({holidays} holiday(s) without a row shift that cycle by a day where they fall)"
    return season, f"inferred from the spacing, {why}; season= (--season in a terminal) to change it"


@experiment("forecast", ForecastConfig, help="forecast a real series (one or several inputs) walk-forward on its "
            "held-out tail (metrics: mae, mae_last, rmse, mase, directional_accuracy)")
def run_forecast(config: ForecastConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
                 device: torch.device | str | None = None) -> ForecastResult:
    """Train (networks) or fit (baselines) on the training part and forecast every test origin.

    model: a ready network instead of a new LSTM/GRU: any nn.Module mapping scaled inputs (batch, lookback,
    features) to scaled target forecasts (batch, horizon, Q) with Q = 3 when config.quantiles else 1 (the
    target is feature 0). callbacks: extra rnnlab.train callbacks (e.g. rnnlab.viz.live.LivePlot). device:
    where the network and its batches go (CPU by default). Returns a ForecastResult: typed attributes (mae,
    mae_last, rmse, mase, val_mae_last, best_step, targets, predictions, origins, ... see its fields), and
    `metrics`, the plain dict the command line prints (mae, mae_last, rmse, mase, directional_accuracy,
    n_test_origins, val_mae, val_mae_last[, coverage, quantile_crossing, pinball_loss, steps, best_step,
    train_seconds]).
    Also the forecast past the last date (`future`, see the module docstring). Quantile forecasts that cross
    are sorted at each step before scoring, and their share is printed (`quantile_crossing`).
    Raises ValueError naming the option for data or sizes that cannot work (see load_config_data,
    check_forecast_sizes) and for values too large to standardise (naming the column); for a `model` of your
    own, TypeError/ValueError from `check_forecaster_contract` (shape, finite, examples not mixed).
    """
    seed_everything(config.seed)
    device = check_device(device)
    data, season, name, season_source = load_config_data(config)
    x, y = data.to_numpy(dtype=float), data.iloc[:, 0].to_numpy(dtype=float)  # (n, features), (n,)
    H = config.horizon
    split = check_forecast_sizes(len(y), lookback=config.lookback, horizon=H, val_fraction=config.val_fraction,
                                 test_fraction=config.test_fraction, season=season)  # messages in the user's options
    L = max(config.lookback, season) if config.model == "seasonal_naive" else config.lookback
    if L + H > split.train_end:
        raise ValueError(f"--model seasonal_naive reads one season back: season {season} (--season) + horizon {H} "
                         f"(--horizon) = {season + H} values do not fit in the training part ({split.train_end} "
                         "values): lower season or horizon, or use a longer series")
    if model is not None and config.model not in NETWORKS:
        raise ValueError(f"a ready model was passed, but --model is {config.model!r}: use lstm or gru")
    try:
        scaler = FrameScaler.fit(x[:split.train_end], names=list(data.columns))  # the training part only
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    z = scaler.transform(x)                                       # (n, features)
    history, keep, quantiles, centre = None, None, None, 0
    if config.model == "persistence":
        def forecast(past: np.ndarray) -> np.ndarray:            # past: (num, lookback, features)
            return persistence(past[..., 0], H)
    elif config.model == "seasonal_naive":
        def forecast(past: np.ndarray) -> np.ndarray:
            return seasonal_naive(past[..., 0], H, season)
    elif config.model == "ets":
        ets = HoltWinters(season).fit(y[:split.train_end])

        def forecast(past: np.ndarray) -> np.ndarray:
            return ets.forecast_at(y, scored, H)                  # (num, H), each from y[..o] only
    elif config.model == "linear":
        train_x, train_y = frame_windows(z, z[:, 0], np.arange(L - 1, split.train_end - H), L, H)
        linear = LinearAR(config.ridge).fit(train_x.reshape(len(train_x), -1), train_y)  # (num, L*features)

        def forecast(past: np.ndarray) -> np.ndarray:
            flat = scaler.transform(past).reshape(len(past), -1)  # (num, lookback * features)
            return scaler.inverse(linear.predict(flat), 0)
    else:
        quantiles = INTERVAL if config.quantiles else None
        if model is None:
            model = Forecaster(config.model, config.hidden_size, H, config.strategy, quantiles,
                               input_size=x.shape[1])
        model.to(device)
        dataset = FrameWindows(z, z[:, 0], L, H, 0, split.train_end)
        if not isinstance(model, Forecaster):                         # a model of your own: check its contract
            first = np.arange(L - 1, min(L + 3, split.train_end - H))          # the first training origins
            check_forecaster_contract(model, frame_windows(z, z[:, 0], first, L, H)[0], H,
                                      len(quantiles) if quantiles else 1, device=device)
        draw = dataset.batches(config.batch_size, torch.Generator().manual_seed(config.seed))

        def batches() -> tuple[torch.Tensor, torch.Tensor]:
            xb, yb = draw()
            return xb.to(device), yb.to(device)                   # (batch, L, features), (batch, H)

        val_stride = max(1, (split.val_end - split.train_end - H) // config.val_origins)
        val_x, val_y = frame_windows(z, z[:, 0], np.arange(split.train_end - 1, split.val_end - H, val_stride), L, H)
        centre = int(np.argmin([abs(q - 0.5) for q in quantiles])) if quantiles else 0

        def evaluate(m: nn.Module) -> dict[str, float]:
            return {"val_mae": float(np.abs(predict(m, val_x)[..., centre] - val_y).mean() * scaler.std[0])}

        keep = KeepBest()
        def loss_fn(m: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
            return forecast_loss(m, batch, quantiles)                 # pinball loss when config.quantiles

        history = train(model, batches, loss_fn,
                        config.train_config(f"forecast {config.model} {config.strategy}"),
                        evaluate=evaluate, callbacks=[*callbacks, keep])

        def forecast(past: np.ndarray) -> np.ndarray:
            return scaler.inverse(predict(model, scaler.transform(past)), 0)  # (num, H, Q)

    # the validation part, scored the same way, is where choices (inputs, sizes) are made; the test part only reports
    scored = np.arange(split.train_end - 1, split.val_end - H, config.eval_stride)  # origins (ets reads them)
    val = walk_forward_frame(forecast, x, y, L, H, split.train_end, split.val_end, stride=config.eval_stride) \
        if len(scored) and split.train_end >= L else None
    scored = np.arange(split.val_end - 1, len(y) - H, config.eval_stride)
    result = walk_forward_frame(forecast, x, y, L, H, split.val_end, stride=config.eval_stride)
    full = result["predictions"]
    crossed = math.nan
    if quantiles and full.ndim == 3:                               # (num, H, Q): quantiles must not cross
        crossed = float((np.diff(full, axis=-1) < 0).any(-1).mean())   # share of (origin, step) that cross
        if crossed:
            full = np.sort(full, axis=-1)                          # rearranged (Chernozhukov et al. 2010)
            print(f"{name}: the {config.model} quantile forecasts cross (10% above 50% or 50% above 90%) at "
                  f"{crossed:.1%} of the test forecasts; sorted at each step before scoring (more training "
                  "steps usually remove this)")
    point = full[..., centre] if full.ndim == 3 else full          # (num, H)
    targets = result["targets"]
    if not np.isfinite(point).all():
        raise ValueError(f"{name}: the {config.model} forecasts are not finite numbers (NaN or infinite); the values "
                         "of the series may be too large or too small for float arithmetic: rescale the column")
    errors = np.abs(targets - point)                               # (num, H)
    last = result["inputs"][:, -1, 0]                              # the target at each origin
    out = ForecastResult(metrics={}, config=config, model=model, history=history, series_name=name, data=data,
                         columns=list(data.columns), y=y, dates=data.index.to_numpy(), split=split, season=season,
                         season_source=season_source, scaler=scaler, lookback=L, horizon=H,
                         origins=result["origins"], inputs=result["inputs"][..., 0], targets=targets,
                         predictions=point, mae=mae(targets, point), mae_last=float(errors[:, -1].mean()),
                         rmse=rmse(targets, point), mase=mase(targets, point, y[:split.train_end], season),
                         directional_accuracy=directional_accuracy(targets, point, last))
    metrics = {"mae": out.mae, "mae_last": out.mae_last, "rmse": out.rmse, "mase": out.mase,
               "directional_accuracy": out.directional_accuracy, "n_test_origins": len(targets)}
    if val is not None:
        val_full = np.sort(val["predictions"], axis=-1) if quantiles else val["predictions"]   # as the test part
        val_point = val_full[..., centre] if val_full.ndim == 3 else val_full
        val_errors = np.abs(val["targets"] - val_point)            # (num, H) on the validation part
        out.val_origins, out.val_targets, out.val_predictions = val["origins"], val["targets"], val_point
        out.val_mae, out.val_mae_last = float(val_errors.mean()), float(val_errors[:, -1].mean())
        metrics.update(val_mae=out.val_mae, val_mae_last=out.val_mae_last)
    if quantiles:
        out.lower, out.upper = full[..., 0], full[..., -1]
        out.coverage = metrics["coverage"] = coverage(targets, out.lower, out.upper)
        out.quantile_crossing = metrics["quantile_crossing"] = crossed
        metrics["pinball_loss"] = pinball_loss(targets, full, INTERVAL)  # the loss the quantile network minimised
    if history is not None:
        metrics["steps"] = history.steps[-1]
        out.best_step = metrics["best_step"] = keep.step
        metrics["train_seconds"] = history.seconds
    if config.model == "ets":
        ahead = ets.forecast_at(y, np.array([len(y) - 1]), H)[0]     # (H,) from the whole series' last value
    else:
        ahead = np.asarray(forecast(x[-L:][None]), dtype=float)[0]   # (H,) or (H, Q) from the last L rows
        ahead = np.sort(ahead, axis=-1) if quantiles and ahead.ndim == 2 else ahead   # as the test forecasts
    _future(out, data.index, ahead, centre, quantiles)
    if config.future:
        print(_future_table(out, config.model))
    out.metrics = metrics
    out.extras = {"series_name": name, "data": data, "columns": out.columns, "y": y, "dates": out.dates,
                  "split": split, "season": season, "scaler": scaler, "origins": out.origins, "inputs": out.inputs,
                  "targets": targets, "predictions": point, "mae_by_step": out.mae_by_step}
    if quantiles:
        out.extras.update(lower=out.lower, upper=out.upper)
    return out


def _future(out: ForecastResult, index: pd.Index, ahead: np.ndarray, centre: int,
            quantiles: Sequence[float] | None) -> None:
    """Fill out.freq and out.future* from the forecast `ahead` ((H,) or (H, Q)) made at the last date."""
    H = len(ahead)
    report = out.data.attrs.get("report") if out.data is not None else None
    if isinstance(index, pd.DatetimeIndex) and len(index) >= 2:
        out.freq = (report.freq if report is not None and report.freq else None) or infer_spacing(index)
        dates = future_dates(index, H, out.freq)
        calendar = {"B": "business days (Monday to Friday); a holiday after the data cannot be known, so a date "
                         "below may fall on one"}.get(out.freq, f"spaced by {spacing_words(out.freq)}")
        last = f"{index[-1]:%a %Y-%m-%d}" if index[-1] == index[-1].normalize() else str(index[-1])
        out.future_note = f"the {H} steps after {last} on the series' own calendar: {calendar}"
    else:                                                          # no timestamps: positions after the last one
        dates = pd.RangeIndex(len(index), len(index) + H, name="position")
        out.future_note = f"the {H} positions after the last (the data have no dates)"
    name = out.columns[0] if out.columns else "forecast"
    point = ahead[:, centre] if ahead.ndim == 2 else ahead
    out.future = pd.Series(point, index=dates, name=name)
    if quantiles and ahead.ndim == 2:
        out.future_lower = pd.Series(ahead[:, 0], index=dates, name=f"{name} 10%")
        out.future_upper = pd.Series(ahead[:, -1], index=dates, name=f"{name} 90%")


def _future_table(out: ForecastResult, model: str) -> str:
    """The forecast past the data as lines of text: one date and value per step (and the 80% interval)."""
    lines = [f"{out.series_name}: {model} forecast past the data ({out.future_note}; the model as evaluated, "
             f"fitted on the training part):"]
    for i, (when, value) in enumerate(out.future.items()):
        day = isinstance(when, pd.Timestamp) and when == when.normalize()
        stamp = (f"{when:%a %Y-%m-%d}" if out.freq in ("B", "D") else f"{when:%Y-%m-%d}") if day else str(when)
        band = (f"  (80% interval {out.future_lower.iloc[i]:.4g} to {out.future_upper.iloc[i]:.4g})"
                if out.future_lower is not None else "")
        lines.append(f"  {stamp}  {value:.4g}{band}")
    return "\n".join(lines)


def forecast_runner(**fields: object) -> ForecastResult:
    """`run_forecast(ForecastConfig(**fields))`: the training function the forecast explorer widget is given."""
    return run_forecast(ForecastConfig(**fields))
