"""Exercise check for notebook 08's hourly weather: add the day of the year as two input features."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from rnnlab.checks.core import ExerciseFailure, call_student, check_exercise, compare_arrays, name_mistake


def day_of_year_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The reference: a copy of `frame` with doy_sin, doy_cos = sin, cos of 2 pi (day of year - 1) / 365.25."""
    angle = 2 * np.pi * (frame.index.day_of_year.to_numpy() - 1) / 365.25
    return frame.assign(doy_sin=np.sin(angle), doy_cos=np.cos(angle))


def check_day_of_year(student_add: Callable[[pd.DataFrame], pd.DataFrame]) -> bool:
    """`student_add(frame)` must return a copy of `frame` (indexed by timestamps) with two more columns,
    doy_sin and doy_cos, the sine and cosine of 2 pi (day of year - 1) / 365.25, and leave `frame` unchanged."""

    def test() -> None:
        index = pd.date_range("2013-01-01", "2013-12-31 23:00", freq="7h", tz="UTC")
        frame = pd.DataFrame({"temp": np.linspace(-5.0, 30.0, len(index))}, index=index)
        before = frame.copy()
        got = call_student(student_add, frame)
        if not isinstance(got, pd.DataFrame):
            raise ExerciseFailure(f"return a DataFrame (the table with two more columns), got {type(got).__name__}")
        if not frame.equals(before):
            raise ExerciseFailure("your function changed the table it was given: return a copy (frame.assign(...))")
        missing = [c for c in ("temp", "doy_sin", "doy_cos") if c not in got.columns]
        if missing:
            raise ExerciseFailure(f"the result has no column(s) {missing}; its columns are {list(got.columns)}")
        if len(got) != len(frame) or not got.index.equals(frame.index):
            raise ExerciseFailure("keep every row and the time index as they are")
        want = day_of_year_features(frame)
        for column in ("doy_sin", "doy_cos"):
            values = np.asarray(got[column], dtype=float)
            if np.abs(values).max() > 1 + 1e-9:
                raise ExerciseFailure(f"{column}: take sin/cos of an angle in radians, 2 pi (d - 1) / 365.25")
            day = frame.index.day_of_year.to_numpy()
            radians = 2 * np.pi * (day - 1) / 365.25
            own, other_fn = (np.sin, np.cos) if column == "doy_sin" else (np.cos, np.sin)
            name_mistake(values, [
                (other_fn(radians), "doy_sin and doy_cos are swapped: doy_sin is the SINE of the angle, doy_cos "
                                    "its cosine"),
                (own(360 * (day - 1) / 365.25), f"{column}: your angle is in degrees (360 * ...), but np.sin and "
                                                "np.cos take radians: use 2 * np.pi * (d - 1) / 365.25"),
                (own(2 * np.pi * day / 365.25), f"{column}: use d - 1, not d: 1 January is day 1 of the year and "
                                                "its angle must be 0"),
            ], reference=want[column].to_numpy())
            for days, label in ((365, "365"), (366, "366")):
                other = 2 * np.pi * (frame.index.day_of_year.to_numpy() - 1) / days
                ref = np.sin(other) if column == "doy_sin" else np.cos(other)
                if not np.allclose(want[column], ref) and np.allclose(values, ref, atol=1e-9):
                    raise ExerciseFailure(f"{column}: divide by 365.25 (the mean year), not {label}")
            compare_arrays(column, values, want[column].to_numpy(), time_axis=0)

    return check_exercise("day of year", test)
