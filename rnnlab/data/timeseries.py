"""Real time series read from files inside PyPI packages (no downloads).

- Seattle daily weather 2012-2015 (`vega-datasets`, MIT; NOAA data, public domain): 1,461 days of
  precipitation (mm), temp_max / temp_min (deg C), wind (m/s) and a weather label.
- Daily stock prices 2000-2013 (`bokeh-sampledata`, BSD; Quandl WIKI data, public domain): AAPL, GOOG, IBM,
  MSFT with open/high/low/close/volume and the split- and dividend-adjusted close `adj_close`.
- Seattle and San Francisco hourly temperature 2010 (`vega-datasets`; NOAA data, public domain).
- Any CSV of your own with a date column and one or more value columns (`load_csv`), its time axis checked.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from rnnlab.data.reading import read_text, resolve_path
from rnnlab.data.time_axis import check_time_axis, read_dates
from rnnlab.validate import check_choice, check_int

STOCK_SYMBOLS = ["AAPL", "GOOG", "IBM", "MSFT"]
# The example CSV of "bring your own series" (notebook 08): monthly sea-surface temperature 1950-2010 (NOAA,
# public domain; see files/forecast/README.md). Columns: month (YYYY-MM-01), sst (deg C).
EXAMPLE_CSV = Path(__file__).parent / "files" / "forecast" / "elnino_sst.csv"


def load_seattle_weather() -> pd.DataFrame:
    """Seattle daily weather, indexed by date: columns precipitation, temp_max, temp_min, wind, weather."""
    path = resources.files("vega_datasets") / "_data" / "seattle-weather.csv"
    frame = pd.read_csv(path, parse_dates=["date"]).set_index("date").sort_index()
    if len(frame) != 1461:
        raise RuntimeError(f"seattle-weather.csv has {len(frame)} rows, expected 1461: the package data changed")
    return frame


def load_stock(symbol: str = "AAPL") -> pd.DataFrame:
    """Daily prices of one stock, indexed by date: open, high, low, close, volume, adj_close."""
    check_choice(symbol, "symbol", STOCK_SYMBOLS)
    path = resources.files("bokeh_sampledata") / "_data" / "stocks.csv.gz"
    frame = pd.read_csv(path, parse_dates=["Date"])
    frame = frame[frame["Ticker"] == symbol].drop(columns="Ticker")
    frame.columns = [c.lower().replace(" ", "_") for c in frame.columns]
    return frame.set_index("date").sort_index()


# ---------------------------------------------------------------------------------------------------------
# Hourly temperatures and your own CSV files (notebook 08).
# Seattle / San Francisco hourly temperature for 2010 (`vega-datasets`, MIT; NOAA data, public domain),
# read from the package's `_data/seattle-temps.csv` and `_data/sf-temps.csv`, converted from deg F to deg C.

HOURLY_CITIES = {"seattle": "seattle-temps.csv", "sf": "sf-temps.csv"}


def load_hourly_temperature(city: str = "seattle") -> pd.Series:
    """Hourly air temperature in 2010 (deg C), indexed by timestamp; 'seattle' or 'sf' (San Francisco).

    The two files have 8,759 and 8,760 rows (Seattle misses one hour); a missing hour is filled with the hour
    before (never from a later reading) so that the series is on a regular hourly grid. Beware: these curves
    are far smoother than observed weather (the mean change from one day to the next at the same hour is
    under 0.1 deg C), so they look like climatological normals; seasonal naive forecasts them almost
    perfectly. The daily Seattle series (`load_seattle_weather`) holds real observations.
    """
    check_choice(city, "city", list(HOURLY_CITIES))
    path = resources.files("vega_datasets") / "_data" / HOURLY_CITIES[city]
    frame = pd.read_csv(path)
    if not 8700 <= len(frame) <= 8800:
        raise RuntimeError(f"{HOURLY_CITIES[city]} has {len(frame)} rows, expected about 8,760: the package changed")
    index = pd.to_datetime(frame["date"], format="mixed")
    series = pd.Series(((frame["temp"].to_numpy(dtype=float) - 32.0) * 5.0 / 9.0), index=index,
                       name=f"{city} temperature (deg C)").sort_index()
    series = series[~series.index.duplicated()]
    grid = pd.date_range(series.index[0], series.index[-1], freq="h")
    return series.reindex(grid).ffill(limit=3).rename_axis("date")  # the last reading: nothing from the future


def load_csv(path: str | Path, date_column: str, columns: str | Sequence[str], *, date_format: str | None = None,
             sort: bool = False, duplicates: str = "error", fill_missing: str = "error", freq: str | None = None,
             encoding: str | None = None, min_length: int = 2, verbose: bool = True,
             option: str = "path") -> pd.Series | pd.DataFrame:
    """Your own series from a CSV file: a column of dates and one or more columns of numbers.

    columns: one column name -> a float Series; a list of names (e.g. a target and its inputs) -> a DataFrame.
    The time axis is checked (`rnnlab.data.time_axis`): every date readable (date_format, e.g. "%d/%m/%Y",
    for anything but ISO dates), rows in time order (or sort=True), one row per time (or duplicates="mean",
    "first", "last"), regularly spaced with no missing step (or fill_missing="interpolate" / "ffill"; freq
    overrides the inferred spacing; dates on weekdays only are business days, "B": weekends are not gaps, and a
    few weekdays without a row are holidays, named in the printed report and `report.holidays`). The values must
    be finite numbers; an empty value is refused unless
    fill_missing fills it. Whatever an option repaired is printed (verbose) and kept in `result.attrs["report"]`.
    The file is read by `rnnlab.data.reading.read_text`: `~` is expanded; a byte-order mark (UTF-8, UTF-16,
    UTF-32, as Excel and PowerShell write) is recognised; otherwise it must be UTF-8 unless `encoding` names
    another (e.g. "cp1252" for Windows-1252, "latin-1"), and a file that is not gets advice on which one it
    looks like. `option` is what the user typed the path under ("path", or "--csv" from the command line).
    Raises FileNotFoundError for a missing file (naming `option` and the path), and ValueError naming the file,
    the row (as numbered in the file: the header is row 1) and the option that fixes it for: a file that cannot
    be decoded, a missing column, a value that is not a finite number, a constant column, any time-axis fault
    above, or fewer than `min_length` values.
    """
    text = read_text(path, encoding=encoding or None, option=option)   # ~, BOMs, encodings: named errors
    path = resolve_path(path, option=option)
    single = isinstance(columns, str)
    names = [columns] if single else list(columns)
    if not names:
        raise ValueError("columns is empty: name at least one column of values")
    if not text.strip():
        raise ValueError(f"{option}: the file {path.name} is empty (or only blanks): a CSV needs a header row "
                         "(date and value columns) and one row per time step")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise ValueError(f"{option}: {path.name} could not be read as CSV: {err}") from err
    for name, column in [("date_column", date_column)] + [("columns", c) for c in names]:
        if column not in frame.columns:
            raise ValueError(f"{path.name} has no column {column!r} ({name}); its columns are {list(frame.columns)}")
    values = {}
    for column in names:
        text = frame[column].str.strip()
        number = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = np.flatnonzero((number.isna() & (text != "")).to_numpy())
        if bad.size:
            raise ValueError(f"column {column!r} of {path.name} must hold numbers, but row {bad[0] + 2} of the file "
                             f"holds {frame[column].iloc[bad[0]]!r}")
        infinite = np.flatnonzero(np.isinf(number.to_numpy(dtype=float)))
        if infinite.size:
            raise ValueError(f"column {column!r} of {path.name} holds an infinite value at row {infinite[0] + 2} of "
                             "the file; a measurement must be a finite number")
        empty = np.flatnonzero(number.isna().to_numpy())
        if empty.size and fill_missing == "error":
            raise ValueError(f"column {column!r} of {path.name} has an empty value at row {empty[0] + 2} of the "
                             f"file ({empty.size} in all); fill it in, or pass fill_missing='interpolate' or 'ffill' "
                             "(--fill-missing)")
        values[column] = number.to_numpy(dtype=float)
    dates, to_utc = read_dates(frame[date_column], source=path.name, column=date_column, date_format=date_format)
    table = pd.DataFrame(values, index=dates)
    table, report = check_time_axis(table, source=path.name, sort=sort, duplicates=duplicates,
                                    fill_missing=fill_missing, freq=freq)
    if to_utc:
        report.converted_to_utc = True
        report.notes.append("converted dates with time zones to UTC")
    empty = int(table.isna().to_numpy().sum())
    if empty and fill_missing != "error":  # empty values in rows that exist (missing rows were filled above)
        table = table.interpolate(method="linear") if fill_missing == "interpolate" else table.ffill()
        report.notes.append(f"filled {empty - int(table.isna().to_numpy().sum())} empty value(s) ({fill_missing})")
    if table.isna().any().any():  # an empty value at the start cannot be filled from the past
        column = table.columns[table.isna().any()][0]
        raise ValueError(f"column {column!r} of {path.name} has empty values at the start of the series, which "
                         f"fill_missing={fill_missing!r} cannot fill; delete those rows")
    for column in names:
        if np.ptp(table[column].to_numpy()) == 0:
            raise ValueError(f"column {column!r} of {path.name} is constant (every value is "
                             f"{table[column].iloc[0]:g}): there is nothing to forecast, and scaled errors such as "
                             "MASE are undefined")
    check_int(min_length, "min_length", minimum=1)
    if len(table) < min_length:
        raise ValueError(f"{path.name} has {len(table)} values; at least {min_length} are needed")
    if verbose and report.notes:
        print(report)
    result = table[names[0]].rename(names[0]) if single else table
    result.attrs["report"] = report
    return result


# The named series of the forecasting notebook: name -> (loader, season m for seasonal naive and MASE).
def _stock_log_price(symbol: str) -> pd.Series:
    return np.log(load_stock(symbol)["adj_close"]).rename(f"log {symbol} adjusted close")


SERIES: dict[str, tuple[Callable[[], pd.Series], int]] = {
    "seattle_hourly": (lambda: load_hourly_temperature("seattle"), 24),
    "sf_hourly": (lambda: load_hourly_temperature("sf"), 24),
    "seattle_daily": (lambda: load_seattle_weather()["temp_max"].rename("Seattle daily max temperature (deg C)"),
                      365),
    **{symbol.lower(): ((lambda s=symbol: _stock_log_price(s)), 1) for symbol in STOCK_SYMBOLS},
}


def load_series(name: str) -> tuple[pd.Series, int]:
    """A named series and its season length: hourly temperatures (m=24), daily max temperature (m=365),
    log adjusted closing price of a stock ('aapl', 'goog', 'ibm', 'msft'; m=1, so seasonal naive = random walk)."""
    check_choice(name, "series", list(SERIES))
    loader, season = SERIES[name]
    return loader(), season
