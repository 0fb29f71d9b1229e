"""Forecast explorer: pick a series, lookback, horizon and model; see the test-period forecast and the metrics.

The logic is `explore_forecast(...)`, a plain function returning data (tests call it); `make_forecast_widget`
wires dropdowns and sliders to it and draws with rnnlab.viz.forecast. Impossible settings (a lookback longer
than the series allows, a seasonal naive model whose season does not fit) show a message, not a traceback.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rnnlab.data.timeseries import SERIES
from rnnlab.experiments.forecast import MODELS, ForecastConfig, run_forecast
from rnnlab.viz.forecast import plot_forecast
from rnnlab.widgets.output import show

_CACHE: dict[tuple, Any] = {}


def explore_forecast(series: str = "seattle_daily", lookback: int = 28, horizon: int = 7, model: str = "linear",
                     steps: int = 150, seed: int = 0) -> dict[str, Any]:
    """Run `model` and the two naive baselines on `series`; return what the explorer shows.

    Returns {'dates': (num,), 'truth': (num,), 'forecast': (num,), 'lower'/'upper': (num,) or None,
    'table': DataFrame (models x MAE/RMSE/MASE/coverage), 'title': str}: the forecasts made `horizon` steps
    before each test date. Networks are trained with quantile outputs (80% interval), `steps` steps.
    Raises ValueError for settings that cannot work (the widget turns it into a message).
    """
    rows, main = {}, None
    for name in dict.fromkeys([model, "persistence", "seasonal_naive"]):
        key = (series, lookback, horizon, name, steps, seed)
        if key not in _CACHE:
            config = ForecastConfig(series=series, lookback=lookback, horizon=horizon, model=name, steps=steps,
                                    seed=seed, quantiles=name in ("lstm", "gru"), progress=False)
            _CACHE[key] = run_forecast(config)
        result = _CACHE[key]
        rows[name] = {"MAE": result.metrics["mae"], "RMSE": result.metrics["rmse"], "MASE": result.metrics["mase"],
                      "coverage 80%": result.metrics.get("coverage", np.nan)}
        if name == model:
            main = result
    ex = main.extras
    target_idx = ex["origins"] + horizon                  # the date each last-step forecast is for
    lower, upper = ex.get("lower"), ex.get("upper")
    return {"dates": ex["dates"][target_idx], "truth": ex["targets"][:, -1], "forecast": ex["predictions"][:, -1],
            "lower": None if lower is None else lower[:, -1], "upper": None if upper is None else upper[:, -1],
            "table": pd.DataFrame(rows).T.round(4),
            "title": f"{series}: {model}, forecasts made {horizon} steps ahead, lookback {lookback}"}


def make_forecast_widget(series: str = "seattle_daily", lookback: int = 28, horizon: int = 7, model: str = "linear",
                         steps: int = 150) -> widgets.VBox:
    """Dropdowns for series and model, sliders for lookback and horizon; redraws on every change.
    children: [series dropdown, lookback slider, horizon slider, model dropdown, output]."""
    series_w = widgets.Dropdown(options=list(SERIES), value=series, description="series")
    lookback_w = widgets.IntSlider(value=lookback, min=1, max=400, description="lookback")
    horizon_w = widgets.IntSlider(value=horizon, min=1, max=60, description="horizon")
    model_w = widgets.Dropdown(options=MODELS, value=model, description="model")
    out = widgets.Output()

    def redraw(_: object = None) -> None:
        try:
            data = explore_forecast(series_w.value, lookback_w.value, horizon_w.value, model_w.value, steps)
        except (ValueError, RuntimeError) as err:
            show(out, f"Cannot forecast with these settings: {err}")
            return
        fig = plot_forecast(data["dates"], data["truth"], {model_w.value: data["forecast"]},
                            lower=data["lower"], upper=data["upper"], title=data["title"])
        note = ["(no interval: only the networks are trained with quantile outputs)"] if data["lower"] is None else []
        show(out, fig, *note, data["table"])
        plt.close(fig)

    for w in (series_w, lookback_w, horizon_w, model_w):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([series_w, lookback_w, horizon_w, model_w, out])
