"""The forecasting discipline: chronological splits, a scaler fitted on the past only, windows, walk-forward.

A forecast made at *origin* `o` sees the values `y[o-L+1 .. o]` (the lookback `L`) and predicts
`y[o+1 .. o+H]` (the horizon `H`). Three rules keep the evaluation honest (Hyndman & Athanasopoulos,
"Forecasting: Principles and Practice", 3rd ed. 2021, ch. 5.8 and 5.10):

1. split in time, never at random: train = the oldest part, then validation, then test;
2. fit every statistic (the scaler's mean and standard deviation, the models' weights) on the training part;
3. a training window lies entirely inside the training part (inputs AND targets), and a test forecast is
   evaluated at every origin of the test period in turn ("walk-forward" / rolling origin), using only values
   up to its origin.

One pipeline for one series and for several: the inputs are a table (time, features) whose column 0 (or any
column) is the target; a single series is the table with one column. `frame_windows` cuts every window and
`walk_forward_frame` runs every walk-forward evaluation; `make_windows`, `WindowDataset` and `walk_forward` are
the one-series forms of the same functions (they call them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from rnnlab.validate import check_array, check_float, check_int


@dataclass(frozen=True)
class Split:
    """Chronological split of n values: train [0, train_end), val [train_end, val_end), test [val_end, n)."""

    train_end: int  # first index after the training part
    val_end: int    # first index after the validation part (= first test index)
    n: int          # series length

    @property
    def parts(self) -> dict[str, tuple[int, int]]:
        """{'train': (start, end), 'val': ..., 'test': ...} as half-open index ranges."""
        return {"train": (0, self.train_end), "val": (self.train_end, self.val_end), "test": (self.val_end, self.n)}


def chronological_split(n: int, val_fraction: float = 0.15, test_fraction: float = 0.15) -> Split:
    """Split indices 0..n-1 in time order: the last `test_fraction` is test, the part before it validation."""
    check_int(n, "n", minimum=0)
    if n < 3:
        raise ValueError(f"a series of {n} value(s) cannot be split into training, validation and test parts")
    check_float(val_fraction, "val_fraction", minimum=0.0, maximum=0.9)
    check_float(test_fraction, "test_fraction", minimum=0.0, maximum=0.9, strict_minimum=True)
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(f"val_fraction + test_fraction must be < 1, got {val_fraction + test_fraction}")
    n_test = max(1, int(round(n * test_fraction)))
    n_val = int(round(n * val_fraction))
    train_end = n - n_test - n_val
    if train_end < 2:
        raise ValueError(f"a series of {n} values leaves {train_end} for training; use a longer series")
    return Split(train_end=train_end, val_end=n - n_test, n=n)


def check_forecast_sizes(n: int, *, lookback: int, horizon: int, val_fraction: float, test_fraction: float,
                         season: int = 1) -> Split:
    """Check that a series of `n` values can be split and windowed as asked; return the split.

    Every message names the options a user sets, as a ForecastConfig field and as the command line's option
    (`lookback` / `--lookback`, `horizon` / `--horizon`, `season` / `--season`, `val_fraction` /
    `--val-fraction`, `test_fraction` / `--test-fraction`) and says what to change, e.g. "horizon 100 (--horizon)
    is longer than the test part (73 values): lower horizon (--horizon) or raise test_fraction
    (--test-fraction)". Raises ValueError.
    """
    check_int(lookback, "lookback", minimum=1)
    check_int(horizon, "horizon", minimum=1)
    check_int(season, "season", minimum=1)
    split = chronological_split(n, val_fraction, test_fraction)
    n_train, n_val, n_test = split.train_end, split.val_end - split.train_end, n - split.val_end
    sizes = (f"(the series has {n} values: train {n_train}, validation {n_val}, test {n_test}, from "
             f"val_fraction {val_fraction} and test_fraction {test_fraction})")
    if horizon > n_test:
        raise ValueError(f"horizon {horizon} (--horizon) is longer than the test part ({n_test} values): lower "
                         f"horizon (--horizon) or raise test_fraction (--test-fraction) {sizes}")
    if val_fraction > 0 and horizon > n_val:
        raise ValueError(f"horizon {horizon} (--horizon) is longer than the validation part ({n_val} values): "
                         f"lower horizon (--horizon) or raise val_fraction (--val-fraction) {sizes}")
    if lookback + horizon > n_train:
        raise ValueError(f"lookback {lookback} (--lookback) + horizon {horizon} (--horizon) = {lookback + horizon} "
                         f"values do not fit in the training part ({n_train} values): lower lookback or horizon, "
                         f"or lower val_fraction (--val-fraction) and test_fraction (--test-fraction) {sizes}")
    if season >= n_train:
        raise ValueError(f"season {season} (--season) needs more than {season} training values (seasonal naive "
                         f"and MASE look one season back), but the training part has {n_train}: lower season "
                         f"(--season) or use a longer series {sizes}")
    return split


@dataclass
class Scaler:
    """Standardise with the mean and standard deviation of the TRAINING values only: z = (y - mean) / std."""

    mean: float = 0.0  # mean of the training values
    std: float = 1.0   # standard deviation of the training values (1 when they are constant)

    @classmethod
    def fit(cls, train_values: np.ndarray) -> Scaler:
        """Fit on the training part: `Scaler.fit(y[:split.train_end])`."""
        check_array(train_values, "train_values", ndim=1, finite=True)
        values = np.asarray(train_values, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            std = float(values.std())
        if not (np.isfinite(std) and np.isfinite(values.mean())):
            raise ValueError(f"train_values as large as {np.abs(values).max():.3g} are too large to standardise "
                             "(their squares overflow 64-bit floats); divide them by a power of ten first")
        return cls(mean=float(values.mean()), std=std if std > 0 else 1.0)

    def transform(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=float) - self.mean) / self.std

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=float) * self.std + self.mean


def origins(start: int, end: int, lookback: int, horizon: int, stride: int = 1) -> np.ndarray:
    """Every forecast origin `o` whose lookback and horizon both lie in [start, end):
    o - lookback + 1 >= start and o + horizon <= end - 1."""
    check_int(lookback, "lookback", minimum=1)
    check_int(horizon, "horizon", minimum=1)
    check_int(stride, "stride", minimum=1)
    return np.arange(start + lookback - 1, end - horizon, stride)


def _whole_numbers(values: object, name: str) -> np.ndarray:
    """A 1-D array, tensor or list of whole numbers (floats such as 3.0 allowed) as an int array, else an error."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    if isinstance(values, list | tuple | range):
        try:
            values = np.asarray(values)
        except ValueError:
            raise ValueError(f"{name} must be a flat list of whole numbers, got a ragged list") from None
    check_array(values, name, ndim=1, nonempty=False)
    kind = values.dtype.kind
    if kind not in "iuf":
        raise TypeError(f"{name} must hold whole numbers (indices into the series), got dtype {values.dtype}")
    if kind == "f" and not (np.isfinite(values).all() and (values == np.round(values)).all()):
        raise ValueError(f"{name} must hold whole numbers (indices into the series), got a fraction or NaN/inf")
    return values.astype(int)


def make_windows(y: np.ndarray, origin_idx: np.ndarray, lookback: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut windows at the given origins. y: (n,) -> inputs (num, lookback), targets (num, horizon).

    y: a 1-D numpy array or torch tensor of finite numbers; origin_idx: (num,) whole numbers (an array, tensor or
    list; may be empty). Raises TypeError for a y that is not an array or origins that are not whole numbers,
    ValueError (naming the argument) for a wrong number of dimensions, an empty or non-finite y, or an origin
    whose lookback or horizon falls outside the series.
    """
    check_array(y, "y", ndim=1, finite=True)
    lookback = check_int(lookback, "lookback", minimum=1)
    horizon = check_int(horizon, "horizon", minimum=1)
    y = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=float)
    origin_idx = _whole_numbers(origin_idx, "origin_idx")
    if origin_idx.size and (origin_idx.min() < lookback - 1 or origin_idx.max() + horizon >= len(y)):
        raise ValueError(f"origin_idx: origins must lie in [{lookback - 1}, {len(y) - horizon - 1}] for a series "
                         f"of {len(y)} values with lookback {lookback} and horizon {horizon}, got "
                         f"[{origin_idx.min()}, {origin_idx.max()}]")
    inputs, targets = frame_windows(y[:, None], y, origin_idx, lookback, horizon)   # the one window cutter
    return inputs[..., 0], targets


class WindowDataset(torch.utils.data.Dataset):
    """(lookback, horizon) windows of a 1-D series whose inputs and targets all lie in [start, end).

    Item i: x (lookback, 1) float32, y (horizon,) float32. Build the training set with
    `WindowDataset(z, L, H, 0, split.train_end)`: no value at or after `train_end` can enter it.
    """

    def __init__(self, y: np.ndarray, lookback: int, horizon: int, start: int = 0, end: int | None = None,
                 stride: int = 1) -> None:
        check_array(y, "y", ndim=1, finite=True)
        y = np.asarray(y, dtype=float)
        self._build(y[:, None], y, lookback, horizon, start, end, stride)

    def _build(self, x: np.ndarray, target: np.ndarray, lookback: int, horizon: int, start: int, end: int | None,
               stride: int) -> None:
        """Cut every window of x (n, features) / target (n,) inside [start, end) into self.x, self.y."""
        end = len(x) if end is None else check_int(end, "end", minimum=1, maximum=len(x))
        check_int(start, "start", minimum=0, maximum=end - 1)
        self.origins = origins(start, end, lookback, horizon, stride)
        if self.origins.size == 0:
            raise ValueError(f"the range [{start}, {end}) has {end - start} values: too short for a window of "
                             f"lookback {lookback} + horizon {horizon} = {lookback + horizon}; lower lookback "
                             "(--lookback) or horizon (--horizon)")
        inputs, targets = frame_windows(x, target, self.origins, lookback, horizon)
        self.x = torch.tensor(inputs, dtype=torch.float32)           # (num, lookback, features)
        self.y = torch.tensor(targets, dtype=torch.float32)          # (num, horizon)

    def __len__(self) -> int:
        return len(self.origins)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]

    def batches(self, batch_size: int, generator: torch.Generator) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
        """A zero-argument batch factory for rnnlab.train: random windows, drawn with `generator`."""
        check_int(batch_size, "batch_size", minimum=1)

        def batch() -> tuple[torch.Tensor, torch.Tensor]:
            idx = torch.randint(0, len(self), (batch_size,), generator=generator)
            return self.x[idx], self.y[idx]

        return batch


def walk_forward(forecast: Callable[[np.ndarray], np.ndarray], y: np.ndarray, lookback: int, horizon: int,
                 start: int, end: int | None = None, stride: int = 1) -> dict[str, np.ndarray]:
    """Walk-forward (rolling-origin) evaluation over the period [start, end).

    At every origin o with o+1 >= start and o+horizon < end, call `forecast(past)` with past (num, lookback),
    the values y[o-L+1..o], which may reach back before `start` (the past is known), never beyond o.
    Returns {'origins': (num,), 'inputs': (num, lookback), 'targets': (num, horizon), 'predictions': (...)}.
    """
    check_array(y, "y", ndim=1)
    y = np.asarray(y, dtype=float)
    result = walk_forward_frame(lambda past: forecast(past[..., 0]), y[:, None], y, lookback, horizon, start, end,
                                stride)
    result["inputs"] = result["inputs"][..., 0]                        # (num, lookback): the one series
    return result


# ---------------------------------------------------------------------------------------------------------------
# Several aligned series: a table of inputs (time, features) and one target column. A forecast made at origin o
# sees every input column over o-L+1 .. o and predicts the target over o+1 .. o+H.

@dataclass
class FrameScaler:
    """Standardise each column with the mean and standard deviation of its TRAINING values: z = (x - mean) / std."""

    mean: np.ndarray  # (features,) training means
    std: np.ndarray   # (features,) training standard deviations (1 where a column is constant)

    @classmethod
    def fit(cls, train_values: np.ndarray, names: Sequence[str] | None = None) -> FrameScaler:
        """train_values: (time, features), the training part only; names: the columns' names, for messages.

        Raises ValueError naming the column when its values are so large that their mean or standard deviation
        overflows float64 (magnitudes above about 1e154: the square of the value is beyond 1.8e308), with the fix:
        divide the column by a power of ten (change its unit) before forecasting."""
        check_array(train_values, "train_values", ndim=2, finite=True)
        values = np.asarray(train_values, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            mean, std = values.mean(axis=0), values.std(axis=0)
        for j in np.flatnonzero(~(np.isfinite(mean) & np.isfinite(std))):
            name = repr(names[j]) if names is not None else f"number {j}"
            largest = float(np.abs(values[:, j]).max())
            raise ValueError(f"column {name} holds values as large as {largest:.3g}: too large to standardise (their "
                             "squares overflow 64-bit floats, so the scaler's standard deviation is infinite). "
                             f"Divide the column by a power of ten first (e.g. by 1e{int(np.log10(largest))}, "
                             "a change of unit), and multiply the forecasts back")
        return cls(mean=mean, std=np.where(std > 0, std, 1.0))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(..., features) -> (..., features) standardised."""
        return (np.asarray(x, dtype=float) - self.mean) / self.std

    def inverse(self, z: np.ndarray, column: int) -> np.ndarray:
        """Standardised values of one column (any shape) -> its own units."""
        return np.asarray(z, dtype=float) * self.std[column] + self.mean[column]


def frame_windows(x: np.ndarray, target: np.ndarray, origin_idx: np.ndarray, lookback: int,
                  horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The window cutter of every forecast here. x: (n, features), target: (n,), origin_idx: (num,) whole numbers
    -> inputs x[o-L+1..o] (num, lookback, features), targets target[o+1..o+H] (num, horizon).
    Raises ValueError for an origin whose lookback or horizon falls outside the series."""
    check_array(x, "x", ndim=2)
    check_array(target, "target", shape=(x.shape[0],))
    lookback = check_int(lookback, "lookback", minimum=1)
    horizon = check_int(horizon, "horizon", minimum=1)
    origin_idx = _whole_numbers(origin_idx, "origin_idx")
    if origin_idx.size and (origin_idx.min() < lookback - 1 or origin_idx.max() + horizon >= len(x)):
        raise ValueError(f"origins must lie in [{lookback - 1}, {len(x) - horizon - 1}] for {len(x)} time steps "
                         f"with lookback {lookback} and horizon {horizon}")
    past = origin_idx[:, None] + np.arange(-lookback + 1, 1)[None, :]   # (num, lookback) time indices
    future = origin_idx[:, None] + np.arange(1, horizon + 1)[None, :]  # (num, horizon)
    return np.asarray(x, dtype=float)[past], np.asarray(target, dtype=float)[future]


class FrameWindows(WindowDataset):
    """Training windows with inputs and targets all inside [start, end). Item: x (lookback, features), y (horizon,)."""

    def __init__(self, x: np.ndarray, target: np.ndarray, lookback: int, horizon: int, start: int = 0,
                 end: int | None = None, stride: int = 1) -> None:
        check_array(x, "x", ndim=2, finite=True)
        check_array(target, "target", shape=(len(x),), finite=True)
        self._build(np.asarray(x, dtype=float), np.asarray(target, dtype=float), lookback, horizon, start, end,
                    stride)


def walk_forward_frame(forecast: Callable[[np.ndarray], np.ndarray], x: np.ndarray, target: np.ndarray,
                       lookback: int, horizon: int, start: int, end: int | None = None,
                       stride: int = 1) -> dict[str, np.ndarray]:
    """Walk-forward evaluation over [start, end): at every origin o with o+1 >= start and o+horizon < end (every
    `stride`-th), call forecast(past (num, lookback, features)), which must return (num, horizon, ...).
    Returns {'origins': (num,), 'inputs': (num, lookback, features), 'targets': (num, horizon), 'predictions'}."""
    end = len(x) if end is None else end
    check_int(start, "start", minimum=lookback, maximum=end - horizon)
    o = np.arange(start - 1, end - horizon, stride)  # the first target is target[start]
    inputs, targets = frame_windows(x, target, o, lookback, horizon)
    predictions = np.asarray(forecast(inputs), dtype=float)
    if predictions.shape[:2] != targets.shape:
        raise ValueError(f"forecast must return shape {targets.shape} (origins, horizon), got {predictions.shape}")
    return {"origins": o, "inputs": inputs, "targets": targets, "predictions": predictions}
