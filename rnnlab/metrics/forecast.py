"""Forecast accuracy: MAE, RMSE, MASE, interval coverage, directional accuracy, pinball loss.

MASE (Hyndman & Koehler 2006, "Another look at measures of forecast accuracy"): the MAE of the forecast
divided by the in-sample MAE of the seasonal naive forecast y_t = y_{t-m} on the training data. Below 1, the
forecast beats what "same as one season ago" did on the training period; it has no units, so it can be
averaged over series. The pinball (quantile) loss is the proper scoring rule of a quantile forecast
(Koenker & Bassett 1978).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnlab.validate import check_array, check_int


def _pair(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, str] = ("y_true", "y_pred")
          ) -> tuple[np.ndarray, np.ndarray]:
    """Check two finite, non-empty arrays of one shape (errors use `names`); return them as float64 numpy."""
    check_array(y_true, names[0], finite=True)
    check_array(y_pred, names[1], finite=True)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {tuple(y_true.shape)} and "
                         f"{tuple(y_pred.shape)}")
    return _float64(y_true), _float64(y_pred)


def _float64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=float)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error over all entries (any shape, e.g. (origins, horizon))."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.abs(y_true - y_pred).mean())


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error over all entries."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.sqrt(((y_true - y_pred) ** 2).mean()))


def seasonal_naive_scale(y_train: np.ndarray, season: int = 1) -> float:
    """The MASE denominator: mean |y_t - y_{t-m}| over the training series (m = season)."""
    check_array(y_train, "y_train", ndim=1, finite=True)
    check_int(season, "season", minimum=1)
    y_train = np.asarray(y_train, dtype=float)
    if len(y_train) <= season:
        raise ValueError(f"y_train has {len(y_train)} values; MASE with season {season} needs more than {season}")
    scale = float(np.abs(y_train[season:] - y_train[:-season]).mean())
    if scale == 0:
        raise ValueError("the training series is constant at lag `season`: MASE is undefined (division by zero)")
    return scale


def mase(y_true: np.ndarray, y_pred: np.ndarray, y_train: np.ndarray, season: int = 1) -> float:
    """Mean absolute scaled error: mae(y_true, y_pred) / seasonal_naive_scale(y_train, season)."""
    return mae(y_true, y_pred) / seasonal_naive_scale(y_train, season)


def coverage(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Fraction of true values inside [lower, upper]; an 80% interval should cover about 0.8.

    y_true, lower, upper: arrays (numpy or torch) of one shape. Raises TypeError for an argument that is not an
    array, ValueError (naming it) for an empty or non-finite array, mismatched shapes, or lower > upper.
    """
    y_true, lower = _pair(y_true, lower, ("y_true", "lower"))
    _, upper = _pair(y_true, upper, ("y_true", "upper"))
    if np.any(lower > upper):
        raise ValueError("lower must be <= upper everywhere (are the quantiles swapped?)")
    return float(((y_true >= lower) & (y_true <= upper)).mean())


def directional_accuracy(y_true: np.ndarray, y_pred: np.ndarray, y_last: np.ndarray) -> float:
    """Fraction of forecasts that get the direction of change from the last observed value right:
    sign(y_pred - y_last) == sign(y_true - y_last), counting only entries where the truth moved.

    y_true, y_pred: (origins,) or (origins, horizon); y_last: (origins,), the value at each origin.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    check_array(y_last, "y_last", finite=True)
    y_last = np.asarray(y_last, dtype=float)
    if y_true.ndim == 2:
        y_last = y_last.reshape(-1, 1)  # (origins, 1): broadcast over the horizon
    if y_last.shape[0] != y_true.shape[0]:
        raise ValueError(f"y_last must have one value per origin ({y_true.shape[0]}), got {y_last.shape[0]}")
    moved = np.sign(y_true - y_last) != 0
    if not moved.any():
        raise ValueError("the truth never moves from the last value: directional accuracy is undefined")
    hits = np.sign(y_pred - y_last) == np.sign(y_true - y_last)
    return float(hits[moved].mean())


def pinball_loss(y_true: np.ndarray, y_quantiles: np.ndarray, quantiles: Sequence[float]) -> float:
    """Mean pinball loss. y_true: (...,); y_quantiles: (..., Q), one column per quantile level q:
    loss = max(q (y - yhat), (q - 1)(y - yhat)), averaged over everything."""
    check_array(y_true, "y_true", finite=True)
    check_array(y_quantiles, "y_quantiles", finite=True)
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or np.any((q <= 0) | (q >= 1)):
        raise ValueError(f"quantiles must be levels strictly between 0 and 1, got {list(quantiles)}")
    y_true, y_quantiles = np.asarray(y_true, dtype=float), np.asarray(y_quantiles, dtype=float)
    if y_quantiles.shape != (*y_true.shape, len(q)):
        raise ValueError(f"y_quantiles must have shape {(*y_true.shape, len(q))} (y_true's shape + one column per "
                         f"quantile), got {y_quantiles.shape}")
    diff = y_true[..., None] - y_quantiles  # (..., Q)
    return float(np.maximum(q * diff, (q - 1) * diff).mean())
