"""Exercise checks for notebook 08: cut (lookback, horizon) windows, and compute MASE.

Each check names the mistakes the exercise is known for (the wrong answers tried by students, in words):
windows starting one origin late, stopping one origin early, targets that start at the last input (leakage),
Python lists instead of arrays; a MASE scaled on the test values, ignoring the season, with RMSE on top, or
with the median naive error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnlab.checks.core import (
    ExerciseFailure,
    as_reference,
    call_student,
    check_exercise,
    compare_arrays,
    name_mistake,
    student_answer,
)
from rnnlab.data.windows import make_windows, origins
from rnnlab.metrics.forecast import mase


def check_windows(student_windows: Callable[[np.ndarray, int, int], tuple[np.ndarray, np.ndarray]]) -> bool:
    """`student_windows(y, lookback, horizon)` must return (inputs (num, lookback), targets (num, horizon)) for
    every origin, in time order: inputs y[o-L+1..o], targets y[o+1..o+H]."""

    def cut(y: np.ndarray, first: int, last: int, lookback: int, shift: int, horizon: int) -> tuple:
        rows = range(first, last + 1)
        return (np.stack([y[o - lookback + 1:o + 1] for o in rows]),
                np.stack([y[o + shift:o + shift + horizon] for o in rows]))

    def test() -> None:
        y = np.arange(10, 22, dtype=float)  # 12 values; easy to read: value = 10 + index
        for lookback, horizon in ((3, 2), (1, 1), (5, 4)):
            want = make_windows(y, origins(0, len(y), lookback, horizon), lookback, horizon)
            got = call_student(student_windows, y.copy(), lookback, horizon)
            if not isinstance(got, tuple | list) or len(got) != 2:
                raise ExerciseFailure(f"return a pair (inputs, targets), got {type(got).__name__}")
            for part, name, width in zip(got, ("inputs", "targets"), ("lookback", "horizon"), strict=True):
                if isinstance(part, list | tuple):
                    raise ExerciseFailure(f"{name}: return an array of shape (num, {width}) (np.stack the rows), "
                                          f"got a Python {type(part).__name__}")
            got = as_reference(got, want)
            first, last = lookback - 1, len(y) - horizon - 1
            where = f" (lookback {lookback}, horizon {horizon}, y = 10..21)"
            for index, name in ((0, "inputs"), (1, "targets")):
                name_mistake(got[index], [
                    (cut(y, first + 1, last, lookback, 1, horizon)[index],
                     f"{name}{where}: your first origin is {first + 1}, one too late: the first full lookback "
                     f"ends at o = lookback - 1 = {first} (y[0..{first}]); start the origins at lookback - 1"),
                    (cut(y, first, last - 1, lookback, 1, horizon)[index],
                     f"{name}{where}: the last origin is missing: the last whose horizon fits is o = len(y) - "
                     f"horizon - 1 = {last}; make the range include it (range(first, last + 1))"),
                    (cut(y, first, last, lookback, 0, horizon)[index],
                     f"{name}{where}: the targets start at y[o], the last value of the input window: that is "
                     "leakage (the answer is in the input); the targets are y[o+1..o+horizon]"),
                ], reference=want[index])
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
            error = np.abs(y_true - y_pred).mean()
            naive = np.abs(y_train[season:] - y_train[:-season])          # the seasonal naive errors in training
            name_mistake(float(got), [
                (error / np.abs(y_true[season:] - y_true[:-season]).mean(),
                 f"with season {season}: you scaled by the naive error on the TEST values (y_true); the scale is "
                 "the seasonal naive error on the training series: use y_train"),
                (error / np.abs(np.diff(y_train)).mean(),
                 f"with season {season}: your scale ignores the season: it compares y_train[t] with y_train[t-1]; "
                 "compare with y_train[t - season] (y_train[season:] - y_train[:-season])"),
                (np.sqrt(((y_true - y_pred) ** 2).mean()) / naive.mean(),
                 f"with season {season}: the numerator is the RMSE; MASE divides the mean ABSOLUTE error "
                 "np.abs(y_true - y_pred).mean()"),
                (error / np.median(naive),
                 f"with season {season}: the scale is the MEAN of |y_train[t] - y_train[t-season]|, not the median"),
            ], reference=float(want))
            if not np.isclose(float(got), want, rtol=1e-6):
                raise ExerciseFailure(f"with season {season}: got {float(got):.6g}, expected {want:.6g}")

    return check_exercise("MASE", test)
