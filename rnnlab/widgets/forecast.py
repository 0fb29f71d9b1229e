"""Forecast explorer: pick a series, lookback, horizon and model; see the test-period forecast and the metrics.

The logic is `explore_forecast(...)` and the view function `forecast_view`, plain functions returning data
(tests call them); `make_forecast_widget` wires named controls to them and draws with rnnlab.viz.forecast.
Impossible settings (a lookback longer than the series allows, a seasonal naive model whose season does not fit)
show a message, not a traceback. The widget trains through a function the notebook passes in (`run`: keyword
fields of rnnlab.experiments.forecast.ForecastConfig -> its Result), so this module imports no experiment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rnnlab.data.timeseries import SERIES
from rnnlab.viz.forecast import plot_forecast
from rnnlab.widgets.contract import View, view_or_message, wire
from rnnlab.widgets.output import show

Runner = Callable[..., Any]   # run(**ForecastConfig fields) -> Result with .metrics and .extras

_CACHE: dict[tuple, Any] = {}


def _required(run: Runner | None) -> Runner:
    if run is None:
        raise TypeError("pass the training function as run=..., e.g. run=forecast_runner from "
                        "rnnlab.experiments.forecast (this widget imports no experiment)")
    return run


def explore_forecast(series: str = "seattle_daily", lookback: int = 28, horizon: int = 7, model: str = "linear",
                     steps: int = 150, seed: int = 0, *, run: Runner) -> dict[str, Any]:
    """Run `model` and the two naive baselines on `series`; return what the explorer shows.

    Returns {'dates': (num,), 'truth': (num,), 'forecast': (num,), 'lower'/'upper': (num,) or None,
    'table': DataFrame (models x MAE over steps 1-horizon / MAE at step horizon / RMSE / MASE / the 80%
    interval's coverage of the test values, NaN for models without an interval), 'title': str}: the forecasts
    made `horizon` steps before each test date.
    Networks are trained with quantile outputs (80% interval), `steps` steps.
    `run(**fields)` trains and evaluates one model (fields of ForecastConfig), e.g.
    `rnnlab.experiments.forecast.forecast_runner`. Raises ValueError for settings that cannot work (the widget
    turns it into a message), TypeError when `run` is missing.
    """
    run = _required(run)
    rows, main = {}, None
    for name in dict.fromkeys([model, "persistence", "seasonal_naive"]):
        key = (id(run), series, lookback, horizon, name, steps, seed)
        if key not in _CACHE:
            _CACHE[key] = run(series=series, lookback=lookback, horizon=horizon, model=name, steps=steps,
                              seed=seed, quantiles=name in ("lstm", "gru"), progress=False)
        result = _CACHE[key]
        rows[name] = {f"MAE steps 1-{horizon}": result.metrics["mae"], f"MAE at step {horizon}":
                      result.metrics["mae_last"], f"RMSE steps 1-{horizon}": result.metrics["rmse"],
                      "MASE": result.metrics["mase"],
                      "80% interval coverage": result.metrics.get("coverage", np.nan)}  # networks only
        if name == model:
            main = result
    ex = main.extras
    target_idx = ex["origins"] + horizon                  # the date each last-step forecast is for
    lower, upper = ex.get("lower"), ex.get("upper")
    return {"dates": ex["dates"][target_idx], "truth": ex["targets"][:, -1], "forecast": ex["predictions"][:, -1],
            "lower": None if lower is None else lower[:, -1], "upper": None if upper is None else upper[:, -1],
            "table": pd.DataFrame(rows).T.round(4),
            "title": f"{series}: {model}, lookback {lookback}; the plot: forecasts made {horizon} steps ahead"}


def forecast_view(series: str, lookback: int, horizon: int, model: str, steps: int = 150, seed: int = 0, *,
                  run: Runner | None = None) -> View:
    """What the explorer shows: View(data = explore_forecast(...), message), or View(None, why these settings
    cannot forecast). Never raises for a value a control can take."""
    return view_or_message(_explore_or_refuse, series, lookback, horizon, model, steps, seed, run=run,
                           prefix="Cannot forecast with these settings: ")


def _explore_or_refuse(*args: Any, run: Runner | None = None) -> dict[str, Any]:
    try:
        return explore_forecast(*args, run=run)
    except RuntimeError as err:  # e.g. a training that cannot start: a message, not a traceback
        raise ValueError(str(err)) from err


def make_forecast_widget(series: str = "seattle_daily", lookback: int = 28, horizon: int = 7, model: str = "linear",
                         steps: int = 150, *, run: Runner, models: Sequence[str]) -> widgets.VBox:
    """Dropdowns for series and model, sliders for lookback and horizon; redraws on every change.

    `run`/`models`: the training function and the model names (`forecast_runner` and `MODELS` from
    rnnlab.experiments.forecast: the notebook passes them, so this module imports no experiment).
    `box.controls` = {"series", "lookback", "horizon", "model"} (children in that order, then the output);
    the latest View is `box.view`.
    """
    run = _required(run)
    controls = {"series": widgets.Dropdown(options=list(SERIES), value=series, description="series"),
                "lookback": widgets.IntSlider(value=lookback, min=1, max=400, description="lookback"),
                "horizon": widgets.IntSlider(value=horizon, min=1, max=60, description="horizon"),
                "model": widgets.Dropdown(options=list(models), value=model, description="model")}
    out = widgets.Output()

    def redraw() -> View:
        c = controls
        view = forecast_view(c["series"].value, c["lookback"].value, c["horizon"].value, c["model"].value, steps,
                             run=run)
        if not view.ok:
            show(out, view.message)
            return view
        data = view.data
        fig = plot_forecast(data["dates"], data["truth"], {c["model"].value: data["forecast"]},
                            lower=data["lower"], upper=data["upper"], title=data["title"])
        note = ["(no interval: only the networks are trained with quantile outputs)"] if data["lower"] is None else []
        show(out, fig, *note, data["table"])
        plt.close(fig)
        return view

    return wire(controls, out, redraw)
