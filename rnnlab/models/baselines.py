"""The baselines every forecast must beat before anyone trains a network.

- persistence (naive): every future value equals the last observed one (for prices: the random walk);
- seasonal naive: y_{o+k} = y_{o+k-m*ceil(k/m)}, the value one season before (Hyndman & Athanasopoulos 2021, 5.2);
- linear autoregression: a least-squares linear map from the lookback window to the whole horizon (direct
  strategy), fitted on the training windows.

Makridakis, Spiliotis & Assimakopoulos (2018, "Statistical and Machine Learning forecasting methods:
Concerns and ways forward") found such simple statistical methods ahead of ML methods, LSTM included, on
the M3 monthly series. Each function takes past windows (num, lookback) and returns (num, horizon).
"""

from __future__ import annotations

import numpy as np

from rnnlab.validate import check_array, check_float, check_int


def persistence(past: np.ndarray, horizon: int) -> np.ndarray:
    """past: (num, lookback) -> (num, horizon), the last value repeated."""
    check_array(past, "past", ndim=2)
    check_int(horizon, "horizon", minimum=1)
    return np.repeat(np.asarray(past, dtype=float)[:, -1:], horizon, axis=1)


def seasonal_naive(past: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """past: (num, lookback) with lookback >= season -> (num, horizon): y_{o+k} = y_{o+k-m*ceil(k/m)}."""
    check_array(past, "past", ndim=2)
    check_int(horizon, "horizon", minimum=1)
    check_int(season, "season", minimum=1)
    if past.shape[1] < season:
        raise ValueError(f"seasonal naive needs a lookback of at least one season ({season}), got {past.shape[1]}")
    k = np.arange(1, horizon + 1)
    back = k - season * np.ceil(k / season).astype(int)  # <= 0: offset from the origin (0 = last value)
    return np.asarray(past, dtype=float)[:, past.shape[1] - 1 + back]


class LinearAR:
    """Direct linear autoregression: y_{o+k} = w_k . x + b_k with x = y_{o-L+1..o}, by ridge least squares."""

    def __init__(self, ridge: float = 1e-3) -> None:
        self.ridge = check_float(ridge, "ridge", minimum=0.0)
        self.weights: np.ndarray | None = None  # (lookback + 1, horizon), last row = bias

    @staticmethod
    def _design(past: np.ndarray) -> np.ndarray:
        return np.hstack([past, np.ones((len(past), 1))])             # (num, lookback + 1)

    def fit(self, past: np.ndarray, future: np.ndarray) -> LinearAR:
        """past: (num, lookback), future: (num, horizon): training windows only."""
        check_array(past, "past", ndim=2, finite=True)
        check_array(future, "future", shape=(past.shape[0], None), finite=True)
        past, future = np.asarray(past, dtype=float), np.asarray(future, dtype=float)
        a = self._design(past)
        gram = a.T @ a + self.ridge * len(a) * np.eye(a.shape[1])
        self.weights = np.linalg.lstsq(gram, a.T @ future, rcond=None)[0]  # lstsq: also fine when singular
        return self

    def predict(self, past: np.ndarray) -> np.ndarray:
        """past: (num, lookback) -> (num, horizon)."""
        if self.weights is None:
            raise RuntimeError("LinearAR.predict before fit: call fit(train_past, train_future) first")
        check_array(past, "past", shape=(None, self.weights.shape[0] - 1))
        past = np.asarray(past, dtype=float)
        return self._design(past) @ self.weights
