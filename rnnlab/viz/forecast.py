"""Forecasting figures: the series with its split, autocorrelation, a forecast with its interval, lag plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from rnnlab.validate import check_array, check_int
from rnnlab.viz.figure import figure_of, subplots


def autocorrelation(y: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation r_0..r_max_lag of a 1-D series (r_0 = 1)."""
    check_array(y, "y", ndim=1, finite=True)
    check_int(max_lag, "max_lag", minimum=1, maximum=len(y) - 1)
    y = np.asarray(y, dtype=float) - np.mean(y)
    denom = float((y * y).sum()) or 1.0
    return np.array([float((y[k:] * y[:len(y) - k]).sum()) / denom for k in range(max_lag + 1)])


def plot_series_split(dates: np.ndarray, y: np.ndarray, train_end: int, val_end: int, *, title: str = "",
                      ylabel: str = "value", ax: plt.Axes | None = None) -> plt.Figure:
    """The whole series, coloured by part: train, validation, test."""
    check_array(y, "y", ndim=1)
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(9, 3))
    for (a, b), name, colour in (((0, train_end), "train", "C0"), ((train_end, val_end), "validation", "C1"),
                                 ((val_end, len(y)), "test", "C3")):
        ax.plot(dates[a:b], y[a:b], lw=0.7, color=colour, label=name)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("date")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return fig


def white_noise_band(n: int) -> float:
    """Half-width 1.96/sqrt(n) of the band that 95% of white noise's autocorrelations fall in (n values)."""
    return 1.96 / np.sqrt(check_int(n, "n", minimum=1))


def acf_outside_band(values: np.ndarray, max_lag: int) -> tuple[int, float]:
    """(how many of the lags 1..max_lag lie outside the white-noise band, how many white noise would put there:
    5% of max_lag)."""
    r = autocorrelation(values, max_lag)[1:]   # (max_lag,) lags 1..max_lag
    return int((np.abs(r) > white_noise_band(len(values))).sum()), 0.05 * max_lag


def plot_acf(series: Mapping[str, np.ndarray], max_lag: int, *, ax: plt.Axes | None = None,
             unit: str = "steps") -> plt.Figure:
    """Autocorrelation at lags 1..max_lag as bars (side by side for several series), with the +-1.96/sqrt(n)
    band that white noise stays inside at 95% of lags (drawn as a shaded band between dashed lines).
    unit: the time unit of one lag, for the x-axis label (e.g. "days")."""
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(6, 3))
    n = min(len(v) for v in series.values())
    lags = np.arange(1, max_lag + 1)
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        ax.bar(lags + (i - (len(series) - 1) / 2) * width, autocorrelation(values, max_lag)[1:], width=width,
               color=f"C{i}", label=name)
    band = white_noise_band(n)
    ax.axhspan(-band, band, color="orange", alpha=0.3, zorder=0, label=f"white-noise band (95%): +-{band:.3f}")
    for edge in (-band, band):
        ax.axhline(edge, color="darkorange", lw=1, ls="--")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel(f"lag k ({unit})")
    ax.set_ylabel("autocorrelation")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_forecast(dates: np.ndarray, truth: np.ndarray, forecasts: Mapping[str, np.ndarray], *,
                  lower: np.ndarray | None = None, upper: np.ndarray | None = None, title: str = "",
                  ylabel: str = "value",
                  ax: plt.Axes | None = None) -> plt.Figure:
    """Truth and one or more forecasts over the same dates, with an optional shaded interval [lower, upper]."""
    check_array(truth, "truth", ndim=1)
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(9, 3.2))
    ax.plot(dates, truth, color="black", lw=1.2, label="truth")
    if lower is not None and upper is not None:
        ax.fill_between(dates, lower, upper, color="C0", alpha=0.25, label="80% interval")
    for i, (name, values) in enumerate(forecasts.items()):
        ax.plot(dates, values, lw=1.0, color=f"C{i}", label=name)
    ax.set_title(title)
    ax.set_xlabel("date")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    return fig


def plot_lag_correlation(forecast: np.ndarray, truth: np.ndarray, lags: Sequence[int] = range(-3, 4), *,
                         ax: plt.Axes | None = None) -> plt.Figure:
    """Correlation of the forecast at t with the truth at t - lag: a peak at lag 1 means 'a lagged copy'."""
    fig, ax = (figure_of(ax), ax) if ax is not None else subplots(figsize=(5, 3))
    lags = list(lags)
    ax.bar(lags, [lagged_correlation(forecast, truth, k) for k in lags], color="C0")
    ax.set_xlabel("lag k: forecast(t) against truth(t - k)")
    ax.set_ylabel("correlation")
    ax.grid(alpha=0.3)
    return fig


def lagged_correlation(forecast: np.ndarray, truth: np.ndarray, lag: int) -> float:
    """Pearson correlation of forecast[t] with truth[t - lag] over the overlapping times."""
    check_array(forecast, "forecast", ndim=1)
    check_array(truth, "truth", shape=(len(forecast),))
    f, t = np.asarray(forecast, dtype=float), np.asarray(truth, dtype=float)
    if lag > 0:
        f, t = f[lag:], t[:-lag]
    elif lag < 0:
        f, t = f[:lag], t[-lag:]
    return float(np.corrcoef(f, t)[0, 1])
