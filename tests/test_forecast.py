"""Forecasting: loaders, windows without leakage, metrics by hand, baselines, forecasters, experiment, widget."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

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
    bad = subprocess.run(cmd[:-6] + ["--horizon", "3", "--lookback", "100", "--column", "v"], capture_output=True,
                         text=True)
    assert bad.returncode != 0 and "at least 688 are needed" in bad.stderr
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
    from rnnlab.widgets.forecast import explore_forecast, make_forecast_widget

    data = explore_forecast("seattle_daily", 28, 7, "linear")
    assert data["truth"].shape == data["forecast"].shape == data["dates"].shape
    assert list(data["table"].index) == ["linear", "persistence", "seasonal_naive"]
    assert data["lower"] is None
    with pytest.raises(ValueError, match="too short"):
        explore_forecast("seattle_daily", 400, 7, "persistence")
    w = make_forecast_widget(model="persistence")
    w.children[1].value = 400   # extreme lookback: a message, not a traceback
    assert "Cannot forecast" in _shown_text(w)
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
