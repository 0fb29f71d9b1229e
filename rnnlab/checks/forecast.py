"""Exercise checks for notebook 08: cut (lookback, horizon) windows, and compute MASE."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer
from rnnlab.data.windows import make_windows, origins
from rnnlab.metrics.forecast import mase


def check_windows(student_windows: Callable[[np.ndarray, int, int], tuple[np.ndarray, np.ndarray]]) -> bool:
    """`student_windows(y, lookback, horizon)` must return (inputs (num, lookback), targets (num, horizon)) for
    every origin, in time order: inputs y[o-L+1..o], targets y[o+1..o+H]."""

    def test() -> None:
        y = np.arange(10, 22, dtype=float)  # 12 values; easy to read: value = 10 + index
        for lookback, horizon in ((3, 2), (1, 1), (5, 4)):
            want = make_windows(y, origins(0, len(y), lookback, horizon), lookback, horizon)
            got = student_answer(student_windows, y.copy(), lookback, horizon, like=want)
            if not isinstance(got, tuple | list) or len(got) != 2:
                raise ExerciseFailure(f"return a pair (inputs, targets), got {type(got).__name__}")
            where = f" (lookback {lookback}, horizon {horizon}, y = 10..21)"
            compare_arrays("inputs" + where, got[0], want[0], time_axis=0)
            compare_arrays("targets" + where, got[1], want[1], time_axis=0)
            if np.intersect1d(got[0][-1], got[1][-1]).size:
                raise ExerciseFailure("a target value also appears in its own input window: leakage")

    return check_exercise("windowing", test)


def check_mase(student_mase: Callable[[np.ndarray, np.ndarray, np.ndarray, int], float]) -> bool:
    """`student_mase(y_true, y_pred, y_train, season)` must equal rnnlab.metrics.forecast.mase."""

    def test() -> None:
        rng = np.random.default_rng(0)
        y_train = np.cumsum(rng.normal(size=50))
        y_true, y_pred = rng.normal(size=8), rng.normal(size=8)
        for season in (1, 7):
            want = mase(y_true, y_pred, y_train, season)
            got = student_answer(student_mase, y_true, y_pred, y_train, season, like=float(want))
            if isinstance(got, bool) or not isinstance(got, int | float | np.number):
                shape = f" of shape {tuple(np.shape(got))}" if hasattr(got, "shape") else ""
                raise ExerciseFailure(f"return one number, got a {type(got).__name__}{shape}")
            if not np.isclose(float(got), want, rtol=1e-6):
                naive_test = np.abs(y_true[season:] - y_true[:-season]).mean()
                hint = (" (did you scale by the naive error on the TEST values? use y_train)"
                        if np.isclose(float(got), np.abs(y_true - y_pred).mean() / naive_test) else "")
                raise ExerciseFailure(f"with season {season}: got {float(got):.6g}, expected {want:.6g}{hint}")

    return check_exercise("MASE", test)
