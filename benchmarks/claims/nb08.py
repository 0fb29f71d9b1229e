"""Notebook 08's claims, re-run on another seed: the notebook's own configs, with `seed` everywhere.

`OMP_NUM_THREADS=1 python -m benchmarks.claims --notebooks 08` (about 1-2 minutes per seed on one free core).

The search behind section 5's honest sentence (the GRU does not beat the linear model on the same inputs by
5% at 24 h). JFK 2013, target temp, horizon 24, test = the last 15% of the year (1,287 origins), MAE at 24 h
in deg C (seed 0 unless said). Baselines: same hour yesterday = persistence 3.84, exponential smoothing 3.85.

| inputs                         | lookback | model                     | steps | MAE at 24 h |
|--------------------------------|----------|---------------------------|-------|-------------|
| all 11 columns                 | 48       | linear (ridge 1e-3)       | -     | 3.27        |
| all 11 columns                 | 48       | GRU 32 (lr 3e-3)          | 600   | 3.20        |
| all 11 columns                 | 48       | GRU 32                    | 800   | 3.20        |
| all 11 columns                 | 24       | GRU 32                    | 800   | 3.23        |
| all 11 columns                 | 48       | GRU 32, lr 1e-3           | 800   | 3.25        |
| all 11 columns                 | 48       | GRU 64, batch 128         | 800   | 3.28        |
| all 11 columns                 | 48       | GRU 64                    | 1500  | 3.23        |
| all 11 columns                 | 72       | GRU 32 / linear           | 1500  | 3.33 / 3.33 |
| all 11 columns                 | 48       | LSTM 32                   | 1500  | 3.54        |
| 3 airports (29 columns)        | 48       | GRU 32 / linear           | 800   | 3.31 / 3.21 |
| temp, dewp, humid, pressure, hour sin/cos | 48 | GRU 32 / linear   | 800   | 3.27 / 3.14 |
| all 11 columns                 | 48       | LSTM 32                   | 800   | 3.39        |

The GRU's best lead over the linear model on the same inputs was 2%; the 5% target was not reached. (This
search ran with the loader's earlier gap filling, linear interpolation in time; the loader now carries the last
reading forward, which moved these MAEs by about 0.01 deg C: linear on all 11 columns 3.264, GRU 32 at 500
steps 3.205 on seed 0.)
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.claims import record
from rnnlab.data.timeseries import load_series
from rnnlab.data.weather import load_nyc_weather
from rnnlab.data.windows import Scaler, WindowDataset, chronological_split
from rnnlab.experiments.forecast import ForecastConfig, run_forecast
from rnnlab.models.forecast import Forecaster, forecast_loss
from rnnlab.train import train
from rnnlab.viz.forecast import autocorrelation, lagged_correlation

NB = "08"
STEPS, GRU_STEPS = 250, 500  # the notebook's budgets
HOURLY = dict(series="nyc_weather", target="temp", horizon=24, lookback=48, progress=False)


@functools.cache
def _deterministic() -> list[tuple[str, float, str, float]]:
    """Claims on data and on models without randomness: the same on every seed."""
    weather, _ = load_series("seattle_daily")
    prices, _ = load_series("aapl")
    largest = np.abs(autocorrelation(np.diff(prices.to_numpy()), 40)[1:]).max()  # the estimator the bars show
    out = [("every autocorrelation of AAPL daily returns (lags 1-40) is below 0.1 in size", largest, "<", 0.1),
           ("the temperature still correlates with itself 40 days later",
            autocorrelation(weather.to_numpy(), 40)[40], ">", 0.5)]
    linear = run_forecast(ForecastConfig(model="linear", inputs="all", **HOURLY))
    everything = linear.extras["columns"][1:]
    drop = {c: run_forecast(ForecastConfig(model="linear", inputs=",".join(x for x in everything if x != c),
                                           **HOURLY)).metrics["val_mae_last"] for c in everything}
    out.append(("dropping the most useful input raises the linear model's 24-h MAE on the validation period",
                max(drop.values()) - linear.metrics["val_mae_last"], ">", 0))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "jfk.csv"
        load_nyc_weather()[["temp", "dewp", "humid", "pressure"]].rename_axis("date").reset_index().to_csv(
            path, index=False)
        own = run_forecast(ForecastConfig(csv=str(path), target="temp", inputs="dewp,humid,pressure", season=24,
                                          model="linear", horizon=24, lookback=48, progress=False))
    naive = run_forecast(ForecastConfig(model="seasonal_naive", inputs="all", **HOURLY))
    out.append(("on the validation period, the linear model on these 4 columns is at least as accurate at 24 h as "
                "on all 11", own.metrics["val_mae_last"], "<=", linear.metrics["val_mae_last"]))
    out.append(("over hours 1-24 of the test period, the linear model on the CSV beats the same hour yesterday",
                own.metrics["mae"], "<", naive.metrics["mae"]))
    out.append(("_base csv4", own.metrics["mae_last"], "", 0))
    for name in ("persistence", "ets"):
        out.append((f"_base {name}", run_forecast(ForecastConfig(model=name, inputs="all", **HOURLY)).metrics[
            "mae_last"], "", 0))
    out.append(("_base seasonal_naive", naive.metrics["mae_last"], "", 0))
    out.append(("_base linear", linear.metrics["mae_last"], "", 0))
    return out


def _daily(seed: int) -> list[tuple[str, float, str, float]]:
    """Sections 3-4: the hand-written pinball step, then the experiment; the other networks; baselines."""
    weather, _ = load_series("seattle_daily")
    split = chronological_split(len(weather))
    z = Scaler.fit(weather.to_numpy()[:split.train_end]).transform(weather.to_numpy())
    train_set = WindowDataset(z, lookback=28, horizon=7, start=0, end=split.train_end)
    config7 = ForecastConfig(series="seattle_daily", model="lstm", horizon=7, lookback=28, quantiles=True,
                             steps=STEPS, seed=seed, progress=False)
    torch.manual_seed(seed)
    lstm_q = Forecaster("lstm", config7.hidden_size, horizon=7, strategy="direct", quantiles=(0.1, 0.5, 0.9))
    levels = torch.tensor(lstm_q.quantiles)
    draw = train_set.batches(config7.batch_size, torch.Generator().manual_seed(seed))
    history = train(lstm_q, draw, forecast_loss, config7.train_config("notebook step", steps=30, eval_every=30,
                                                                     progress=False))
    x, y = draw()
    with torch.no_grad():
        u = y.unsqueeze(-1) - lstm_q(x)
        ours = torch.maximum(levels * u, (levels - 1) * u).mean().item()
        theirs = forecast_loss(lstm_q, (x, y)).item()
    assert len(history.loss) == 30
    lstm = run_forecast(config7, model=lstm_q)
    gru = run_forecast(ForecastConfig(series="seattle_daily", model="gru", horizon=7, lookback=28, steps=STEPS,
                                      seed=seed, progress=False))
    base = {m: run_forecast(ForecastConfig(series="seattle_daily", model=m, horizon=7, lookback=28)).metrics["mae"]
            for m in ("persistence", "seasonal_naive")}
    cover = lstm.metrics["coverage"]
    return [("our pinball loss equals the experiment's loss on the same batch", abs(ours - theirs), "<=", 1e-6),
            ("the LSTM's 7-day MAE is at least 5% below persistence's", lstm.metrics["mae"], "<",
             0.95 * base["persistence"]),
            ("the LSTM's 7-day MAE is at least 5% below seasonal naive's", lstm.metrics["mae"], "<",
             0.95 * base["seasonal_naive"]),
            ("the GRU's 7-day MAE is below persistence's", gru.metrics["mae"], "<", base["persistence"]),
            ("the 80% interval covers at least 70% of the test values", cover, ">=", 0.7),
            ("the 80% interval covers at most 90% of the test values", cover, "<=", 0.9)]


def _hourly(seed: int, base: dict[str, float]) -> list[tuple[str, float, str, float]]:
    """Section 5: the GRU on all inputs and on the temperature alone against the baselines at 24 h."""
    gru = run_forecast(ForecastConfig(model="gru", inputs="all", steps=GRU_STEPS, **HOURLY, seed=seed))
    uni = run_forecast(ForecastConfig(model="gru", steps=GRU_STEPS, **HOURLY, seed=seed))
    g = gru.metrics["mae_last"]
    return [("the GRU's 24-h MAE is at least 5% below the same hour yesterday's", g, "<",
             0.95 * base["seasonal_naive"]),
            ("the GRU's 24-h MAE is at least 5% below persistence's", g, "<", 0.95 * base["persistence"]),
            ("the GRU's 24-h MAE is at least 5% below exponential smoothing's", g, "<", 0.95 * base["ets"]),
            ("the other variables help the GRU: its 24-h MAE is below the temperature-only GRU's", g, "<",
             uni.metrics["mae_last"]),
            ("but the GRU and the linear model on the same inputs are within 5% of each other at 24 h (a tie)",
             abs(g / base["linear"] - 1), "<", 0.05),
            ("the linear model on these 4 columns is at least as accurate as the GRU on all 11 at 24 h",
             base["csv4"], "<", g)]


def _finance(seed: int) -> list[tuple[str, float, str, float]]:
    """Section 6: the LSTM on AAPL returns against the random walk; the lagged copy."""
    prices, _ = load_series("aapl")
    net = run_forecast(ForecastConfig(series="aapl", model="lstm", horizon=1, lookback=20, steps=STEPS, seed=seed,
                                      progress=False))
    rw = run_forecast(ForecastConfig(series="aapl", model="persistence", horizon=1, lookback=20))
    last = net.extras["inputs"][:, -1]
    pred_return, true_return = net.extras["predictions"][:, 0] - last, net.extras["targets"][:, 0] - last
    moved = true_return != 0
    da = np.mean(np.sign(pred_return[moved]) == np.sign(true_return[moved]))
    ups, up_days = np.mean(pred_return > 0), np.mean(true_return[moved] > 0)
    by_policy = ups * up_days + (1 - ups) * (1 - up_days)
    band = 1.96 * np.sqrt(0.25 / len(last))
    f_price, t_price = np.exp(net.extras["predictions"][:, 0]), np.exp(net.extras["targets"][:, 0])
    err_today, err_yesterday = np.abs(t_price - f_price).mean(), np.abs(t_price[:-1] - f_price[1:]).mean()
    corr0, corr1 = lagged_correlation(f_price, t_price, 0), lagged_correlation(f_price, t_price, 1)
    return [("the LSTM does not beat the random walk by more than 2% in MAE", net.metrics["mae"] / rw.metrics["mae"],
             ">", 0.98),
            ("its direction accuracy is within the coin's band of what its up/down mix scores at random",
             abs(da - by_policy), "<", band),
            ("its forecast returns are less than half the size of the true returns", np.abs(pred_return).mean(), "<",
             0.5 * np.abs(true_return).mean()),
            ("the price forecast correlates more with yesterday's truth than with today's", corr1, ">", corr0),
            ("the price forecast is less than half as far from yesterday's price as from today's", err_yesterday,
             "<", 0.5 * err_today)]


def claims(seed: int) -> list[dict]:
    """Every claim notebook 08 asserts, measured with `seed`."""
    fixed = _deterministic()
    base = {name[6:]: value for name, value, _, _ in fixed if name.startswith("_base ")}
    rows = [r for r in fixed if not r[0].startswith("_base ")] + _daily(seed) + _hourly(seed, base) + _finance(seed)
    return [record(NB, statement, seed, value, relation, threshold) for statement, value, relation, threshold in rows]
