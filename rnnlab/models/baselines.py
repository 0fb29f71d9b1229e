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

import warnings

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


class HoltWinters:
    """Additive Holt-Winters exponential smoothing without trend, ETS(A,N,A) (Hyndman & Athanasopoulos 2021, 8.3):

        level  l_t = alpha (y_t - s_{t-m}) + (1 - alpha) l_{t-1}
        season s_t = gamma (y_t - l_{t-1}) + (1 - gamma) s_{t-m}
        forecast y_{o+k} = l_o + s_{o+k-m*ceil(k/m)}

    `fit` estimates alpha, gamma and the initial states on the training part with statsmodels'
    `ExponentialSmoothing`; `forecast_at` runs the same smoothing (again by statsmodels, parameters fixed) over
    the whole series, so that the forecast at origin o uses only y_0..y_o (walk-forward). With season 1 there is
    no season: simple exponential smoothing, ETS(A,N,N), whose forecast is the level l_o at every step.
    """

    def __init__(self, season: int) -> None:
        self.season = check_int(season, "season", minimum=1)
        self.params: dict | None = None
        self.converged = True  # False when statsmodels' optimiser stopped before converging

    def _model(self, y: np.ndarray, **known):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing  # imported here: rnnlab imports fast

        if self.season == 1:
            return ExponentialSmoothing(np.asarray(y, dtype=float), trend=None, seasonal=None, **known)
        return ExponentialSmoothing(np.asarray(y, dtype=float), trend=None, seasonal="add",
                                    seasonal_periods=self.season, **known)

    def fit(self, y_train: np.ndarray) -> HoltWinters:
        """y_train: (n,) the training part, n >= 2 seasons."""
        check_array(y_train, "y_train", ndim=1, finite=True)
        if len(y_train) < max(2 * self.season, 10):
            raise ValueError(f"Holt-Winters needs two seasons of training data ({2 * self.season}), got {len(y_train)}")
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        with warnings.catch_warnings(record=True) as caught:  # long seasons (365) may stop before convergence
            warnings.simplefilter("always", ConvergenceWarning)
            self.params = dict(self._model(y_train, initialization_method="estimated").fit().params)
        self.converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        return self

    def forecast_at(self, y: np.ndarray, origin_idx: np.ndarray, horizon: int) -> np.ndarray:
        """y: (n,) the whole series, origin_idx: (num,) -> (num, horizon) forecasts made at each origin."""
        if self.params is None:
            raise RuntimeError("HoltWinters.forecast_at before fit: call fit(y_train) first")
        check_array(y, "y", ndim=1, finite=True)
        check_int(horizon, "horizon", minimum=1)
        p, m = self.params, self.season
        o = np.asarray(origin_idx, dtype=int)[:, None]                              # (num, 1)
        k = np.arange(1, horizon + 1)[None, :]                                      # (1, horizon)
        if m == 1:
            smoothed = self._model(y, initialization_method="known", initial_level=p["initial_level"]).fit(
                smoothing_level=p["smoothing_level"], optimized=False)
            return np.repeat(np.asarray(smoothed.level)[o], horizon, axis=1)        # (num, horizon)
        smoothed = self._model(y, initialization_method="known", initial_level=p["initial_level"],
                               initial_seasonal=p["initial_seasons"]).fit(
            smoothing_level=p["smoothing_level"], smoothing_seasonal=p["smoothing_seasonal"], optimized=False)
        level, season = np.asarray(smoothed.level), np.asarray(smoothed.season)  # (n,) states after each y_t
        back = o + k - m * np.ceil(k / m).astype(int)                               # season index, <= o
        return level[o] + season[back]                                              # (num, horizon)
