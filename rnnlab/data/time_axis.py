"""Validating the time axis of a user's series: the dates must say when each value was measured.

A forecast is only as honest as its time axis. A duplicated date puts two values at one time step, a row with
an unreadable date moves its value to the end of the series, a missing day silently shortens every seasonal
lag after it, and "01/02/2021" is the 1st of February in Paris but the 2nd of January in Boston. Each of these
turns into a wrong forecast error with no message. `read_dates` and `check_time_axis` refuse them with a
message that names the file, the row (as numbered in the file, header = row 1) and the option that fixes it;
or, where the user asked for it by an option, repair them and say what was done (`TimeAxisReport`).

Source of the rules: Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed. (2021),
ch. 2.1 (a time series is a sequence indexed by regularly spaced times) and ch. 13.9 (missing values).

Business days (stock prices, a shop open Monday to Friday): dates on weekdays only, one day apart, are spaced by
business days ("B", season 5): the weekends are not gaps. A weekday without a row is a holiday (a day without
trading, as New Year's Day on a stock exchange) when such days are few (at most `HOLIDAY_SHARE` of the weekdays):
the series' own calendar then skips them, and the report says which they were. More are refused as gaps.
`future_dates` gives the times after the last row on the series' own calendar (for forecasts past the data).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from rnnlab.validate import check_choice, check_int

DUPLICATES = ("error", "mean", "first", "last")        # what to do with several rows for one time
FILL_MISSING = ("error", "interpolate", "ffill")       # what to do with missing time steps
HOLIDAY_SHARE = 0.06   # business days: at most this share of weekdays may lack a row and count as holidays
                       # (a stock exchange closes on 9-10 weekdays a year, 3.8% of 261; 2012 had 11 with Sandy)
ISO_LIKE = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"


@dataclass
class TimeAxisReport:
    """What was found and done to a series' time axis (printed by the loaders when anything was done)."""

    source: str                                           # file name (or "the series")
    freq: str | None = None                               # the spacing found, e.g. "D" or "h"
    sorted_rows: int = 0                                  # rows that were out of time order (sorted when sort=True)
    combined_duplicates: int = 0                          # rows merged into another row with the same time
    filled: int = 0                                       # time steps added to fill gaps
    converted_to_utc: bool = False                        # time zones were converted to UTC
    holidays: list[pd.Timestamp] = field(default_factory=list)  # business days: weekdays without a row, skipped
    notes: list[str] = field(default_factory=list)        # one sentence per repair

    def __str__(self) -> str:
        return f"{self.source}: " + ("; ".join(self.notes) if self.notes else "time axis regular, nothing changed")


def _rows(positions: Sequence[int] | np.ndarray, limit: int = 5) -> str:
    """File row numbers (header = row 1, first data row = row 2) of data positions, at most `limit` shown."""
    rows = [str(int(p) + 2) for p in positions[:limit]]
    more = f" and {len(positions) - limit} more" if len(positions) > limit else ""
    return ", ".join(rows) + more


def read_dates(raw: pd.Series, *, source: str, column: str,
               date_format: str | None = None) -> tuple[pd.DatetimeIndex, bool]:
    """Parse a column of date strings into timestamps, refusing anything that could be read wrongly.

    raw: the column as read from the file (strings). date_format: a strptime format such as "%d/%m/%Y"
    (option `--date-format`); without it, ISO dates ("2021-05-21", "2021-05-21 13:00") are read directly and any
    other style must be the same in every row and unambiguous.
    Raises ValueError naming the row for an empty or unreadable date, rows in another format than the first,
    dates that read differently day-first and month-first (e.g. "01/02/2021"), or time zones on some rows only.
    Returns (naive timestamps, whether they were converted to UTC): dates that carry a UTC offset
    ("2021-03-28T02:00+01:00") are converted to UTC, so that a change of daylight-saving time makes no gap or
    duplicate.
    """
    text = raw.astype("string").str.strip()
    empty = np.flatnonzero(text.isna().to_numpy() | (text == "").fillna(True).to_numpy())
    if empty.size:
        raise ValueError(f"{source}: column {column!r} has an empty date at row {_rows(empty)} of the file; "
                         "fill in the date or delete the row")
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if bad.size:
            raise ValueError(f"{source}: row {_rows(bad)} of the file holds {text.iloc[bad[0]]!r} in column "
                             f"{column!r}, which does not match date_format {date_format!r} (--date-format)")
        return _naive(pd.DatetimeIndex(parsed), source)
    iso = text.str.match(ISO_LIKE).to_numpy(dtype=bool)
    if iso.all():
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=_has_offsets(text))
        except (ValueError, TypeError) as err:
            raise ValueError(f"{source}: column {column!r} holds a date that does not exist: {err}") from err
        if _has_offsets(text) and not text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$").all():
            naive = np.flatnonzero(~text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$").to_numpy(dtype=bool))
            raise ValueError(f"{source}: some dates in column {column!r} carry a time zone and some do not (row "
                             f"{_rows(naive)} has none); give every row the same kind of time")
        return _naive(pd.DatetimeIndex(parsed), source)
    if iso.any():
        other = np.flatnonzero(iso != iso[0])
        raise ValueError(f"{source}: column {column!r} mixes date styles: row 2 holds {text.iloc[0]!r} but row "
                         f"{_rows(other)} holds {text.iloc[other[0]]!r}; write every date the same way, or pass "
                         "date_format (--date-format, e.g. '%d/%m/%Y')")
    # Any other style: every format that pandas guesses for some row, day-first or month-first, is tried on
    # every row; exactly one reading of the whole column must remain.
    sample = pd.unique(np.concatenate([text.iloc[:50].to_numpy(), text.iloc[-50:].to_numpy()]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when a guess contradicts `dayfirst`: that is the point
        formats = {fmt for value in sample for dayfirst in (False, True)
                   if (fmt := guess_datetime_format(str(value), dayfirst=dayfirst)) is not None}
    readings = {fmt: pd.to_datetime(text, format=fmt, errors="coerce") for fmt in sorted(formats)}
    complete = {fmt: parsed for fmt, parsed in readings.items() if not parsed.isna().any()}
    if not complete:
        if not readings:
            raise ValueError(f"{source}: row 2 of the file holds {text.iloc[0]!r} in column {column!r}, which is not "
                             "a date style rnnlab can read; pass date_format (--date-format, e.g. '%d/%m/%Y')")
        failures = []
        for fmt, parsed in readings.items():
            bad = np.flatnonzero(parsed.isna().to_numpy())
            failures.append(f"{fmt!r} fails at row {_rows(bad, 1)} ({text.iloc[bad[0]]!r})")
        raise ValueError(f"{source}: no single date format reads every row of column {column!r} (day-first and "
                         f"month-first mixed, or a value that is not a date): " + "; ".join(failures)
                         + ". Correct the rows, or pass date_format (--date-format)")
    first_fmt, first = next(iter(complete.items()))
    for fmt, parsed in complete.items():
        differ = np.flatnonzero((parsed != first).to_numpy())
        if differ.size:
            example = text.iloc[differ[0]]
            raise ValueError(f"{source}: dates such as {example!r} (row {_rows(differ, 1)}) read as "
                             f"{first.iloc[differ[0]]:%d %B %Y} with {first_fmt!r} and as "
                             f"{parsed.iloc[differ[0]]:%d %B %Y} with {fmt!r}; say which with date_format "
                             f"(--date-format {first_fmt!r} or {fmt!r})")
    return _naive(pd.DatetimeIndex(first), source)


def _has_offsets(text: pd.Series) -> bool:
    return bool(text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$").any())


def _naive(index: pd.DatetimeIndex, source: str) -> tuple[pd.DatetimeIndex, bool]:
    if index.tz is not None:
        return index.tz_convert("UTC").tz_localize(None).rename("date"), True
    return index.rename("date"), False


def check_time_axis(frame: pd.DataFrame, *, source: str = "the series", sort: bool = False,
                    duplicates: str = "error", fill_missing: str = "error",
                    freq: str | None = None) -> tuple[pd.DataFrame, TimeAxisReport]:
    """Check (and, only where an option asks, repair) the time axis of `frame` (indexed by timestamps).

    sort: sort rows that are out of time order (option `--sort`); otherwise refuse them.
    duplicates: "error" (default), or combine the rows of one time by "mean", "first" or "last" (`--duplicates`).
    fill_missing: "error" (default), or fill missing time steps by "interpolate" (linear) or "ffill" (carry the
    last value forward) (`--fill-missing`).
    freq: the spacing, e.g. "D", "h", "W-SUN", "MS", "B"; default: inferred (`infer_spacing`).
    Business days ("B": rows on weekdays only): weekends are not gaps; weekdays without a row are holidays when
    they are at most HOLIDAY_SHARE of the weekdays and fill_missing is "error" (kept out: the series' calendar
    skips them, listed in `report.holidays` and said in `report.notes`); with fill_missing they are filled.
    Returns (the frame on a regular time grid, or on business days without its holidays; what was done).
    Raises ValueError naming rows and dates.
    """
    check_choice(duplicates, "duplicates", DUPLICATES)
    check_choice(fill_missing, "fill_missing", FILL_MISSING)
    report = TimeAxisReport(source=source)
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError(f"{source}: the index must hold timestamps (a DatetimeIndex), got {type(index).__name__}")
    if len(frame) < 2:
        raise ValueError(f"{source} has {len(frame)} row(s); a series needs at least 2 (and a forecast far more)")
    position = np.arange(len(frame))
    steps = np.diff(index.asi8)
    backwards = np.flatnonzero(steps < 0)
    if backwards.size:
        if not sort:
            i = backwards[0]
            raise ValueError(f"{source}: rows are not in time order: row {i + 3} ({index[i + 1]}) comes after row "
                             f"{i + 2} ({index[i]}); {backwards.size} row(s) go back in time. Sort the file, or pass "
                             "sort=True (--sort)")
        order = np.argsort(index.asi8, kind="stable")
        frame = frame.iloc[order]
        position = position[order]
        report.sorted_rows = int(backwards.size)
        report.notes.append(f"sorted {backwards.size} row(s) that were out of time order")
        index = frame.index
    dup = index.duplicated(keep=False)
    if dup.any():
        times = index[dup].unique()
        if duplicates == "error":
            shown = ", ".join(str(t.date() if t == t.normalize() else t) for t in times[:5])
            more = f" and {len(times) - 5} more" if len(times) > 5 else ""
            raise ValueError(f"{source}: {len(times)} time(s) appear on more than one row: {shown}{more} (rows "
                             f"{_rows(np.sort(position[dup]))}); remove the extra rows, or combine them with "
                             "duplicates='mean', 'first' or 'last' (--duplicates)")
        before = len(frame)
        grouped = frame.groupby(level=0, sort=True)
        frame = getattr(grouped, duplicates)()
        report.combined_duplicates = before - len(frame)
        report.notes.append(f"combined {before - len(frame)} duplicated row(s) by their {duplicates}")
        index = frame.index
    freq = infer_spacing(index) if freq is None else freq
    try:
        grid = pd.date_range(index[0], index[-1], freq=freq)
    except ValueError as err:
        raise ValueError(f"{source}: freq {freq!r} is not a time spacing pandas knows ({err})") from err
    report.freq = freq = pd.tseries.frequencies.to_offset(freq).freqstr
    off_grid = ~index.isin(grid)
    period = _period_of(freq)
    if off_grid.any() and period is not None and index.to_period(period).is_unique:
        return _periodic(frame, index, freq, period, off_grid, report, source)
    if off_grid.any():
        bad = np.flatnonzero(off_grid)
        raise ValueError(f"{source}: the rows are spaced by {spacing_words(freq)}, but {bad.size} time(s) fall "
                         f"between the steps (first: {index[bad[0]]}); the series must be regularly spaced: "
                         "resample it first")
    missing = grid.difference(index)
    business = pd.tseries.frequencies.to_offset(freq).rule_code == "B"
    if business:
        report.notes.append("rows on weekdays only: spaced by business days (Monday to Friday, season 5), so "
                            "weekends are not gaps")
    if business and missing.size and fill_missing == "error" and missing.size <= HOLIDAY_SHARE * len(grid):
        shown = ", ".join(f"{t:%a %Y-%m-%d}" for t in missing[:5])
        more = f" and {missing.size - 5} more" if missing.size > 5 else ""
        report.holidays = list(missing)
        report.notes.append(f"{missing.size} weekday(s) have no row ({shown}{more}): taken as holidays (days "
                            "without trading), which the series' own calendar skips; if they are missing "
                            "measurements instead, fill them with fill_missing='interpolate' or 'ffill' "
                            "(--fill-missing)")
        missing = missing[:0]
    if missing.size:
        if fill_missing == "error":
            if business:
                shown = ", ".join(f"{t:%a %Y-%m-%d}" for t in missing[:5])
                more = f" and {missing.size - 5} more" if missing.size > 5 else ""
                raise ValueError(f"{source}: the series is spaced by business days (rows on weekdays only: weekends "
                                 f"are not gaps), but {missing.size} of its {len(grid)} weekdays have no row: "
                                 f"{shown}{more}; more than holidays explain (at most {HOLIDAY_SHARE:.0%} of the "
                                 "weekdays); add them to the file, or fill them with fill_missing='interpolate' or "
                                 "'ffill' (--fill-missing)")
            shown = ", ".join(str(t.date() if t == t.normalize() else t) for t in missing[:5])
            more = f" and {missing.size - 5} more" if missing.size > 5 else ""
            raise ValueError(f"{source}: the series is spaced by {spacing_words(freq)} but {missing.size} time "
                             f"step(s) are missing: {shown}{more}; add them to the file, or fill them with "
                             "fill_missing='interpolate' or 'ffill' (--fill-missing)")
        frame = frame.reindex(grid)
        frame = frame.interpolate(method="linear") if fill_missing == "interpolate" else frame.ffill()
        report.filled = int(missing.size)
        report.notes.append(f"filled {missing.size} missing time step(s) ({fill_missing})")
    frame.index = frame.index.rename("date")
    return frame, report


def _business_days(index: pd.DatetimeIndex) -> bool:
    """Rows at midnight on weekdays only, over at least two weeks (so that a weekend could have had rows)."""
    return bool(len(index) >= 3 and (index == index.normalize()).all() and (index.day_of_week < 5).all()
                and index[-1] - index[0] >= pd.Timedelta(days=13))


def _period_of(freq: str) -> str | None:
    """The calendar period of a monthly ("M") or weekly ("W-FRI"...) spacing; None for any other."""
    try:
        rule = pd.tseries.frequencies.to_offset(freq).rule_code
    except ValueError:
        return None
    return "M" if rule in ("MS", "ME", "BMS", "BME") else rule if rule.startswith("W-") else None


def _periodic(frame: pd.DataFrame, index: pd.DatetimeIndex, freq: str, period: str, off_grid: np.ndarray,
              report: TimeAxisReport, source: str) -> tuple[pd.DataFrame, TimeAxisReport]:
    """One row per month (or week) on days that vary (the last trading day of each month, a Thursday before a
    Good Friday): regular by the calendar period, not by the day. A period without a row is refused."""
    unit = "month" if period == "M" else "week"
    periods = index.to_period(period)
    missing = pd.period_range(periods[0], periods[-1], freq=period).difference(periods)
    if missing.size:
        shown = ", ".join(str(p) for p in missing[:5]) + (f" and {missing.size - 5} more" if missing.size > 5 else "")
        raise ValueError(f"{source}: one row per {unit} on varying days, but {missing.size} {unit}(s) have no row: "
                         f"{shown}; add them to the file, or resample to one row per {unit} first")
    first = index[np.flatnonzero(off_grid)[0]]
    report.freq = pd.tseries.frequencies.to_offset(freq).freqstr
    report.notes.append(f"one row per {unit} on varying days ({int(off_grid.sum())} not on the {report.freq} "
                        f"dates, first {first:%a %Y-%m-%d}; e.g. the last trading day of each {unit}): read as "
                        f"{unit}ly, one step per {unit}")
    frame.index = frame.index.rename("date")
    return frame, report


def _one_row_per_period(index: pd.DatetimeIndex) -> str | None:
    """"BME", "ME", "BMS", "MS" or "W-FRI"... for dates at midnight with exactly one row in each consecutive
    month (or week) on days that vary; None otherwise. Business month ends/starts when every row is a weekday;
    a week is anchored on its most common weekday."""
    if len(index) < 3 or not (index == index.normalize()).all():
        return None
    months = index.to_period("M")
    if months.is_unique and np.mean(np.diff(months.asi8) == 1) >= 0.9:       # consecutive months, a few missing
        business = "B" if (index.day_of_week < 5).all() else ""
        return business + ("MS" if np.median(index.day) <= 15 else "ME")
    anchor = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[int(pd.Series(index.day_of_week).mode().iloc[0])]
    weeks = index.to_period(f"W-{anchor}")
    if weeks.is_unique and np.mean(np.diff(weeks.asi8) == 1) >= 0.9:
        return f"W-{anchor}"
    return None


def infer_spacing(index: pd.DatetimeIndex) -> str:
    """The regular spacing of a sorted, duplicate-free index, as a pandas frequency string: pandas' own inference
    when the index is regular, else calendar months when every date is a month start ("MS") or a month end
    ("ME"), one row per month or week on days that vary ("BME", "W-FRI"...: the last trading day of each month
    or week), business days ("B") when every row is on a weekday at midnight and the most common step is one day
    (a trading-day series with holidays), else the most common step ("D" for one day, "h", "7D"...).
    Examples: infer_spacing(pd.bdate_range("2024-01-01", periods=30)) == "B"."""
    if len(index) >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas 3 warns that infer_freq will return an offset
            inferred = pd.infer_freq(index)
        if inferred is not None:
            return pd.tseries.frequencies.to_offset(inferred).freqstr
    if index.is_month_start.all() or index.is_month_end.all():    # months, quarters or years, with a gap
        months = int(pd.Series(np.diff(index.to_period("M").asi8)).mode().iloc[0])
        unit = {3: "Q", 12: "Y"}.get(months, "M")
        if unit == "Q":
            unit += "S-" if index.is_month_start.all() else "E-"
            return unit + ("JAN", "FEB", "MAR")[(index[0].month - 1) % 3] if unit == "QS-" else \
                unit + ("DEC", "JAN", "FEB")[index[0].month % 3]
        return unit + ("S" if index.is_month_start.all() else "E")
    periodic = _one_row_per_period(index)
    if periodic is not None:
        return periodic
    step = pd.Series(index[1:] - index[:-1]).mode().iloc[0]
    if step == pd.Timedelta(days=1) and _business_days(index):
        return "B"
    if step % pd.Timedelta(days=1) == pd.Timedelta(0):           # whole days: "D", "7D" (not "24h", "168h")
        return pd.tseries.frequencies.to_offset(f"{step.days}D").freqstr
    return pd.tseries.frequencies.to_offset(step).freqstr


def future_dates(index: pd.DatetimeIndex, steps: int, freq: str | None = None) -> pd.DatetimeIndex:
    """The `steps` times after index[-1] on the series' own calendar: (steps,) timestamps named "date".

    index: the series' (sorted) timestamps; freq: its spacing as `check_time_axis` reports it (default:
    `infer_spacing(index)`). Business days ("B") continue Monday to Friday (a holiday after the data cannot be
    known, so a date here may fall on one); months continue at month starts or ends ("MS", "ME"); fixed
    spacings add whole steps. Raises ValueError for steps < 1, an empty index or an unknown spacing.
    Example: future_dates(pd.DatetimeIndex(["2024-03-07", "2024-03-08"]), 2, "B") -> Mon 11 and Tue 12 March.
    """
    check_int(steps, "steps", minimum=1)
    if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
        raise ValueError(f"future_dates needs the series' timestamps (a non-empty DatetimeIndex), got {index!r}")
    freq = infer_spacing(index) if freq is None else freq
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as err:
        raise ValueError(f"freq {freq!r} is not a time spacing pandas knows ({err})") from err
    return pd.DatetimeIndex([index[-1] + k * offset for k in range(1, steps + 1)], name="date")


_WORDS = {"B": "business day", "D": "day", "h": "hour", "min": "minute", "s": "second", "W": "week", "MS": "month",
          "ME": "month", "BMS": "month", "BME": "month", "QS": "quarter", "QE": "quarter", "YS": "year", "YE": "year"}


def spacing_words(freq: str) -> str:
    """'D' -> 'one day', '3h' -> '3 hours', 'W-SUN' -> 'one week', 'B' -> 'one business day'."""
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(?:-\w+)?", freq)
    if not match or match.group(2) not in _WORDS:
        return f"steps of {freq}"
    count, unit = match.group(1), _WORDS[match.group(2)]
    return f"one {unit}" if count in ("", "1") else f"{count} {unit}s"


# The season a spacing implies (Hyndman & Athanasopoulos 2021, ch. 2.1, table "seasonal periods"): the number of
# steps after which the pattern of the calendar repeats. A spacing not listed has no season rnnlab will guess.
SEASONS = {"h": (24, "hourly: a day of 24 hours"), "D": (7, "daily: a week of 7 days"),
           "B": (5, "business days: a week of 5 working days"), "W": (52, "weekly: a year of 52 weeks"),
           "MS": (12, "monthly: a year of 12 months"), "ME": (12, "monthly: a year of 12 months"),
           "QS": (4, "quarterly: a year of 4 quarters"), "QE": (4, "quarterly: a year of 4 quarters")}


def season_from_spacing(freq: str | None) -> tuple[int | None, str]:
    """The season length m a series' spacing implies, and why: (m, words), or (None, why there is none).

    freq: a pandas spacing as `check_time_axis` reports it ("h", "D", "B", "W-SUN", "MS", "ME", "QS-JAN",
    "QE-DEC", "30min", "2h"...). Hourly 24, daily 7, business days 5, weekly 52, monthly 12, quarterly 4; a
    spacing that divides a day evenly (e.g. "30min", "2h", "15min") gives the steps in a day (48, 12, 96), and
    "7D" counts as weekly.
    Anything else (yearly, "2D", irregular) -> None: seasonal models then need an explicit `season` (--season).
    Examples: season_from_spacing("MS") == (12, "monthly: a year of 12 months").
    """
    if not freq:
        return None, "the spacing of the dates is unknown"
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        return None, f"the spacing {freq!r} is not one pandas knows"
    base = re.sub(r"^\d+|-.*$", "", offset.freqstr)   # "W-SUN" -> "W", "QS-JAN" -> "QS", "2h" -> "h"
    base = {"Q": "QE", "M": "ME", "BQ": "QE", "BQS": "QS", "BMS": "MS", "BME": "ME", "BM": "ME"}.get(base, base)
    if offset.n == 1 and base in SEASONS:
        return SEASONS[base]
    try:
        step = pd.Timedelta(offset)                   # fixed-length spacings: hours, minutes, seconds, days
    except (ValueError, TypeError):
        return None, f"a spacing of {spacing_words(offset.freqstr)} has no season rnnlab knows"
    day = pd.Timedelta(days=1)
    if step == 7 * day:
        return SEASONS["W"]
    if pd.Timedelta(0) < step < day and day % step == pd.Timedelta(0):
        steps = int(day / step)
        return steps, f"a spacing of {spacing_words(offset.freqstr)}: a day of {steps} steps"
    return None, f"a spacing of {spacing_words(offset.freqstr)} has no season rnnlab knows"
