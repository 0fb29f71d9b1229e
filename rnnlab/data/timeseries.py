"""Real time series read from files inside PyPI packages (no downloads).

- Seattle daily weather 2012-2015 (`vega-datasets`, MIT; NOAA data, public domain): 1,461 days of
  precipitation (mm), temp_max / temp_min (deg C), wind (m/s) and a weather label.
- Daily stock prices 2000-2013 (`bokeh-sampledata`, BSD; Quandl WIKI data, public domain): AAPL, GOOG, IBM,
  MSFT with open/high/low/close/volume and the split- and dividend-adjusted close `adj_close`.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from rnnlab.validate import check_choice

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
