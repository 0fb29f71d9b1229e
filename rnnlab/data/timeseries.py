"""Real time series read from files inside PyPI packages (no downloads).

- Seattle daily weather 2012-2015 (`vega-datasets`, MIT; NOAA data, public domain): 1,461 days of
  precipitation (mm), temp_max / temp_min (deg C), wind (m/s) and a weather label.
- Daily stock prices 2000-2013 (`bokeh-sampledata`, BSD; Quandl WIKI data, public domain): AAPL, GOOG, IBM,
  MSFT with open/high/low/close/volume and the split- and dividend-adjusted close `adj_close`.
- Seattle and San Francisco hourly temperature 2010 (`vega-datasets`; NOAA data, public domain).
- Any CSV of your own with a date column and a value column (`load_csv`).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from rnnlab.validate import check_choice, check_int

STOCK_SYMBOLS = ["AAPL", "GOOG", "IBM", "MSFT"]


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

    The two files have 8,759 and 8,760 rows (Seattle misses one hour); a missing hour is filled by linear
    interpolation so that the series is on a regular hourly grid. Beware: these curves are far smoother than
    observed weather (the mean change from one day to the next at the same hour is under 0.1 deg C), so they
    look like climatological normals; seasonal naive forecasts them almost perfectly. The daily Seattle
    series (`load_seattle_weather`) holds real observations.
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
    return series.reindex(grid).interpolate(limit=3).rename_axis("date")


def load_csv(path: str | Path, date_column: str, value_column: str, *, min_length: int = 10) -> pd.Series:
    """Your own series from a CSV file: one column of dates, one of numbers -> a float Series sorted by date.

    Raises a clear error when the file is missing, a column is not there, a value is not a number (the row
    is named), dates cannot be read, or the series is shorter than `min_length` values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no CSV file at {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise ValueError(f"{path.name} could not be read as CSV: {err}") from err
    for name, column in (("date_column", date_column), ("value_column", value_column)):
        if column not in frame.columns:
            raise ValueError(f"{path.name} has no column {column!r} ({name}); its columns are {list(frame.columns)}")
    values = pd.to_numeric(frame[value_column], errors="coerce")
    bad = values.isna() & frame[value_column].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"column {value_column!r} of {path.name} must hold numbers, but row {row + 2} of the file "
                         f"holds {frame[value_column].iloc[row]!r}")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise ValueError(f"column {value_column!r} of {path.name} has an empty value at row {row + 2} of the file")
    try:
        dates = pd.to_datetime(frame[date_column], format="mixed")
    except (ValueError, TypeError) as err:
        raise ValueError(f"column {date_column!r} of {path.name} must hold dates: {err}") from err
    check_int(min_length, "min_length", minimum=1)
    if len(values) < min_length:
        raise ValueError(f"{path.name} has {len(values)} values; at least {min_length} are needed "
                         f"(lookback + horizon + a test period)")
    return pd.Series(values.to_numpy(dtype=float), index=pd.DatetimeIndex(dates, name="date"),
                     name=value_column).sort_index()


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
