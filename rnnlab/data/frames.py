"""Windows over several aligned series: a table of inputs (time, features) and one target column.

The same discipline as `rnnlab.data.windows` (chronological split, statistics of the training part only,
training windows entirely inside the training part, walk-forward test), for multivariate inputs: a forecast
made at origin `o` sees every input column over `o-L+1 .. o` and predicts the target over `o+1 .. o+H`.
With a single column it is the univariate case (the target is then also the only input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from rnnlab.data.windows import WindowDataset
from rnnlab.validate import check_array, check_int


@dataclass
class FrameScaler:
    """Standardise each column with the mean and standard deviation of its TRAINING values: z = (x - mean) / std."""

    mean: np.ndarray  # (features,) training means
    std: np.ndarray   # (features,) training standard deviations (1 where a column is constant)

    @classmethod
    def fit(cls, train_values: np.ndarray) -> FrameScaler:
        """train_values: (time, features), the training part only."""
        check_array(train_values, "train_values", ndim=2, finite=True)
        values = np.asarray(train_values, dtype=float)
        std = values.std(axis=0)
        return cls(mean=values.mean(axis=0), std=np.where(std > 0, std, 1.0))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(..., features) -> (..., features) standardised."""
        return (np.asarray(x, dtype=float) - self.mean) / self.std

    def inverse(self, z: np.ndarray, column: int) -> np.ndarray:
        """Standardised values of one column (any shape) -> its own units."""
        return np.asarray(z, dtype=float) * self.std[column] + self.mean[column]


def frame_windows(x: np.ndarray, target: np.ndarray, origin_idx: np.ndarray, lookback: int,
                  horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """x: (n, features), target: (n,) -> inputs (num, lookback, features), targets (num, horizon)."""
    check_array(x, "x", ndim=2)
    check_array(target, "target", shape=(x.shape[0],))
    origin_idx = np.asarray(origin_idx, dtype=int)
    if origin_idx.size and (origin_idx.min() < lookback - 1 or origin_idx.max() + horizon >= len(x)):
        raise ValueError(f"origins must lie in [{lookback - 1}, {len(x) - horizon - 1}] for {len(x)} time steps "
                         f"with lookback {lookback} and horizon {horizon}")
    past = origin_idx[:, None] + np.arange(-lookback + 1, 1)[None, :]   # (num, lookback) time indices
    future = origin_idx[:, None] + np.arange(1, horizon + 1)[None, :]  # (num, horizon)
    return np.asarray(x, dtype=float)[past], np.asarray(target, dtype=float)[future]


class FrameWindows(WindowDataset):
    """Training windows with inputs and targets all inside [start, end). Item: x (lookback, features), y (horizon,)."""

    def __init__(self, x: np.ndarray, target: np.ndarray, lookback: int, horizon: int, start: int = 0,
                 end: int | None = None) -> None:
        check_array(x, "x", ndim=2, finite=True)
        end = len(x) if end is None else check_int(end, "end", minimum=1, maximum=len(x))
        check_int(lookback, "lookback", minimum=1)
        check_int(horizon, "horizon", minimum=1)
        self.origins = np.arange(start + lookback - 1, end - horizon)
        if self.origins.size == 0:
            raise ValueError(f"the range [{start}, {end}) has {end - start} steps: too short for lookback {lookback} "
                             f"+ horizon {horizon}; lower --lookback or --horizon")
        inputs, targets = frame_windows(x, target, self.origins, lookback, horizon)
        self.x = torch.tensor(inputs, dtype=torch.float32)   # (num, lookback, features)
        self.y = torch.tensor(targets, dtype=torch.float32)  # (num, horizon)


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
