"""A user's own series (issue 24, kinds A and C; issue 23, own data): the season is inferred from the dates'
spacing or seasonal models are refused by name, the season used is printed; byte-order marks and other
encodings are read or refused with the right advice; values too large to standardise are named by column;
`~` paths work and a missing file names --csv; size errors speak in the user's options. The files
tests/data/cases/forecast_*.csv are the cases found by replaying users' bug reports (cases/turn3)."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.data.time_axis import season_from_spacing
from rnnlab.data.timeseries import EXAMPLE_CSV, load_csv
from rnnlab.experiments import forecast as forecast_experiment
from rnnlab.experiments.forecast import ForecastConfig, ForecastResult, run_forecast

CASES = Path(__file__).parent / "data" / "cases"


@pytest.fixture(autouse=True)
def _season_said_afresh():
    """run_forecast prints each season message once per session; every test here starts a fresh session."""
    forecast_experiment._SEASONS_SAID.clear()
    yield


def write_series(path, freq, n=120, start="2015-01-01", encoding="utf-8", scale=1.0):
    """A seasonal series on a regular grid of spacing `freq`, written as date,value."""
    dates = pd.date_range(start, periods=n, freq=freq)
    values = scale * (10 + 3 * np.sin(2 * np.pi * np.arange(n) / 12) + 0.1 * np.arange(n) % 5)
    text = "date,value\n" + "".join(f"{d.isoformat()},{float(v)!r}\n" for d, v in zip(dates, values, strict=True))
    path.write_bytes(text.encode(encoding))
    return path


def quick(path, model="persistence", **fields):
    return run_forecast(ForecastConfig(csv=str(path), target="value", model=model, horizon=fields.pop("horizon", 3),
                                       lookback=fields.pop("lookback", 4), progress=False, **fields))


# --- the season (kind A) ---------------------------------------------------------------------------------------

def test_monthly_case_infers_twelve_and_prints_it(capsys):
    """cases/turn3 monthly_ms.csv: seasonal naive and ETS gave exactly persistence's numbers (MAE 9.29)."""
    path = CASES / "forecast_monthly_ms.csv"
    kw = dict(target="sales", horizon=12, lookback=24, progress=False)
    snaive = run_forecast(ForecastConfig(csv=str(path), model="seasonal_naive", **kw))
    assert "forecast_monthly_ms.csv: season m = 12 (inferred from the spacing, monthly" in capsys.readouterr().out
    assert snaive.season == 12 and "monthly" in snaive.season_source
    persist = run_forecast(ForecastConfig(csv=str(path), model="persistence", **kw))
    explicit = run_forecast(ForecastConfig(csv=str(path), model="seasonal_naive", season=12, **kw))
    assert snaive.mae == pytest.approx(explicit.mae) == pytest.approx(3.55, abs=0.01)
    assert persist.mae == pytest.approx(9.29, abs=0.01)
    assert "--season 12" in explicit.season_source


@pytest.mark.parametrize("freq, season", [("h", 24), ("30min", 48), ("2h", 12), ("D", 7), ("B", 5), ("W-SUN", 52),
                                          ("W-WED", 52), ("MS", 12), ("ME", 12), ("QS-JAN", 4), ("QE-DEC", 4)])
def test_each_spacing_gives_its_season(tmp_path, freq, season):
    n = max(160, 4 * season)
    r = quick(write_series(tmp_path / "s.csv", freq, n=n), model="seasonal_naive")
    assert r.season == season, (freq, r.season_source)
    # seasonal naive really looks one season back: the forecast for o+1 is the value at o+1-season
    o = r.origins[0]
    assert r.predictions[0, 0] == pytest.approx(r.y[o + 1 - season])


@pytest.mark.parametrize("freq", ["YS", "2D", "5h", "2MS"])
def test_a_spacing_without_a_season_refuses_seasonal_models_by_name(tmp_path, freq):
    path = write_series(tmp_path / "s.csv", freq, n=80, start="1900-01-01")
    for model in ("seasonal_naive", "ets"):
        with pytest.raises(ValueError, match=r"--model " + model + r" .* no season .*pass --season"):
            quick(path, model=model)
    r = quick(path, model="linear")                        # a non-seasonal model runs, with m = 1, and says so
    assert r.season == 1 and "no season inferred" in r.season_source
    assert quick(path, model="seasonal_naive", season=3).season == 3


@given(freq=st.sampled_from(["h", "D", "B", "W-SUN", "W-FRI", "MS", "ME", "QS-JAN", "QS-APR", "QE-DEC", "15min",
                             "3h", "4h", "6h", "8h", "12h", "10min", "20min"]))
def test_season_from_spacing_is_a_whole_cycle(freq):
    """Property: the implied season times the spacing is one day, one week or one year (to within a week)."""
    season, words = season_from_spacing(freq)
    assert season is not None and season > 1 and words
    offset = pd.tseries.frequencies.to_offset(freq)
    start = pd.Timestamp("2021-01-04")                     # a Monday
    span = (start + season * offset) - start
    assert span in (pd.Timedelta(days=1), pd.Timedelta(days=7)) or abs(span - pd.Timedelta(days=365)) <= \
        pd.Timedelta(days=7), (freq, season, span)


def test_a_seasonal_period_too_long_for_the_data_falls_back_for_other_models(tmp_path):
    path = write_series(tmp_path / "s.csv", "W-SUN", n=60)    # 52 weeks, but only 42 training values
    r = quick(path, model="linear")
    assert r.season == 1 and "more than the" in r.season_source
    with pytest.raises(ValueError, match=r"^season 52 \(--season\) needs more than 52 training values"):
        quick(path, model="seasonal_naive")
    path = write_series(tmp_path / "s.csv", "W-SUN", n=80)    # 56 training values: 52 fit, 52 + 8 do not
    with pytest.raises(ValueError, match=r"^--model seasonal_naive reads one season back: season 52 \(--season\) "
                                         r"\+ horizon 8 \(--horizon\) = 60 values do not fit"):
        quick(path, model="seasonal_naive", horizon=8)


# --- encodings (kind C) ------------------------------------------------------------------------------------------

def test_utf16_case_is_read_by_its_byte_order_mark():
    """cases/turn3 utf16.csv: was refused with advice to pass latin-1, which garbles the column names."""
    series = load_csv(CASES / "forecast_utf16.csv", "date", "temp", verbose=False)
    assert len(series) == 400 and series.name == "temp"
    r = run_forecast(ForecastConfig(csv=str(CASES / "forecast_utf16.csv"), target="temp", model="linear", horizon=7,
                                    lookback=28, progress=False))
    assert r.columns == ["temp"] and np.isfinite(r.mae)


@given(encoding=st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"]),
       name=st.sampled_from(["température", "温度", "temp"]))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_byte_order_mark_is_recognised(tmp_path, encoding, name):
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff", "utf-32-be": "\ufeff"}.get(encoding, "")
    text = bom + f"date,{name}\n" + "".join(f"2021-01-{d:02d},{d * 1.5}\n" for d in range(1, 21))
    path = tmp_path / "bom.csv"
    path.write_bytes(text.encode(encoding))
    series = load_csv(path, "date", name, verbose=False)
    assert series.name == name and series.iloc[-1] == pytest.approx(30.0)


@pytest.mark.parametrize("encoding, advice", [("cp1252", "cp1252"), ("latin-1", "latin-1")])
def test_a_file_that_is_not_utf8_gets_the_right_advice(tmp_path, encoding, advice):
    header = "date,“temp”" if encoding == "cp1252" else "date,température"   # curly quotes exist only in cp1252
    text = header + "\n" + "".join(f"2021-01-{d:02d},{d}\n" for d in range(1, 21))
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ValueError, match=rf"is not UTF-8.*encoding='{advice}'.*--encoding {advice}"):
        load_csv(path, "date", header.split(",")[1])
    assert len(load_csv(path, "date", header.split(",")[1], encoding=encoding, verbose=False)) == 20


# --- values, paths and sizes (kinds A and C) ---------------------------------------------------------------------

def test_huge_values_are_named_by_column_not_by_an_internal_name():
    """cases/turn3 huge_1e200.csv: was 'y_pred contains NaN or infinite values'."""
    with pytest.raises(ValueError) as info:
        run_forecast(ForecastConfig(csv=str(CASES / "forecast_huge_1e200.csv"), target="value", model="linear",
                                    horizon=7, lookback=28, progress=False))
    message = str(info.value)
    assert "column 'value'" in message and "too large to standardise" in message and "y_pred" not in message
    assert "forecast_huge_1e200.csv" in message and "power of ten" in message


@given(exponent=st.integers(155, 307), sign=st.sampled_from([1.0, -1.0]))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_overflowing_magnitude_is_refused_by_column(tmp_path, exponent, sign):
    path = write_series(tmp_path / "big.csv", "D", n=80, scale=sign * 10.0 ** (exponent - 2))
    with pytest.raises(ValueError, match=r"column 'value' holds values as large as .* too large to standardise"):
        quick(path, model="persistence")


def test_large_but_safe_values_forecast_in_their_own_units(tmp_path):
    small = quick(write_series(tmp_path / "a.csv", "D", n=80), model="linear")
    big = quick(write_series(tmp_path / "b.csv", "D", n=80, scale=1e100), model="linear")
    assert big.mae == pytest.approx(small.mae * 1e100, rel=1e-6)


def test_tilde_paths_are_expanded_and_a_missing_file_names_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_series(tmp_path / "mine.csv", "D", n=80)
    assert len(load_csv("~/mine.csv", "date", "value", verbose=False)) == 80
    assert quick("~/mine.csv").series_name == "mine.csv"
    with pytest.raises(FileNotFoundError, match=r"^--csv: no such file '~/nope.csv' \(= '" + re.escape(str(tmp_path))):
        quick("~/nope.csv")


def test_size_errors_speak_in_the_options_typed(tmp_path):
    path = write_series(tmp_path / "s.csv", "D", n=60)
    with pytest.raises(ValueError, match=r"horizon 20 \(--horizon\) is longer than the test part.*--test-fraction"):
        quick(path, horizon=20)
    with pytest.raises(ValueError, match=r"lookback 40 \(--lookback\) \+ horizon 3 \(--horizon\)"):
        quick(path, lookback=40)


# --- the shipped example and the typed result (issue 23) ---------------------------------------------------------

def test_the_shipped_example_forecasts_and_the_linear_model_beats_seasonal_naive(capsys):
    kw = dict(csv=str(EXAMPLE_CSV), date_column="month", target="sst", horizon=12, lookback=36, progress=False)
    linear = run_forecast(ForecastConfig(model="linear", **kw))
    snaive = run_forecast(ForecastConfig(model="seasonal_naive", **kw))
    assert "elnino_sst.csv: season m = 12" in capsys.readouterr().out
    assert len(linear.y) == 732 and linear.season == 12
    assert linear.mae < snaive.mae < 1.5                     # deg C; values of the run documented in notebook 08


def test_the_result_is_typed_and_agrees_with_the_printed_metrics(tmp_path):
    r = quick(write_series(tmp_path / "s.csv", "D", n=120), model="linear")
    assert isinstance(r, ForecastResult)
    for name in ("mae", "mae_last", "rmse", "mase", "directional_accuracy", "val_mae", "val_mae_last"):
        assert getattr(r, name) == r.metrics[name], name
    assert r.targets.shape == r.predictions.shape == (len(r.origins), 3) and r.inputs.shape == (len(r.origins), 4)
    assert r.mae_by_step.shape == (3,) and r.mae_by_step[-1] == pytest.approx(r.mae_last)
    assert r.val_targets.shape == r.val_predictions.shape and r.val_mae == pytest.approx(
        np.abs(r.val_targets - r.val_predictions).mean())
    np.testing.assert_array_equal(r.targets[:, 0], r.y[r.origins + 1])
    assert r.lower is None and np.isnan(r.coverage) and r.best_step == 0


def test_every_field_of_the_result_is_documented():
    import inspect

    source = inspect.getsource(ForecastResult)
    for name in ForecastResult.__dataclass_fields__:
        if name in ("metrics", "config", "model", "history", "extras"):
            continue
        line = next(line for line in source.splitlines() if line.strip().startswith(f"{name}:"))
        assert "#" in line, f"field {name} has no comment"


def test_the_season_is_printed_once_not_once_per_model(tmp_path, capsys):
    """read08: notebook 08 printed 'season m = 12 (...)' four times, once per model run on the same file."""
    path = write_series(tmp_path / "monthly.csv", "MS")
    for model in ("persistence", "seasonal_naive", "linear"):
        quick(path, model=model)
    out = capsys.readouterr().out
    assert out.count("monthly.csv: season m = 12") == 1
    quick(path, model="persistence", season=6)               # a different season is a different message
    assert "monthly.csv: season m = 6" in capsys.readouterr().out


def test_a_daily_csv_gets_a_week_and_is_told_how_to_ask_for_a_year(tmp_path, capsys):
    """read08: a daily CSV silently got m = 7 while the page used 365 for Seattle; the message names the keyword."""
    path = write_series(tmp_path / "daily.csv", "D", n=800)
    r = quick(path)
    assert r.season == 7
    assert "pass season=365" in r.season_source and "season= (--season in a terminal)" in r.season_source
    assert "pass season=365" in capsys.readouterr().out
    yearly = quick(path, season=365)
    assert yearly.season == 365 and yearly.season_source.startswith("season=365")
    monthly = quick(write_series(tmp_path / "monthly.csv", "MS"))
    assert "365" not in monthly.season_source                # the yearly hint is for daily data only


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \n\n"])
def test_an_empty_csv_is_named_by_its_option(tmp_path, content):
    from rnnlab.data.timeseries import load_csv

    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"--csv: the file empty.csv is empty"):
        load_csv(path, "date", "value", option="--csv")


# --- business days and forecasts past the data (issue 24) -----------------------------------------------------

def business_csv(path, n_weeks=40, closed=("2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05")):
    """A trading-day price series (weekdays only, five exchange holidays missing) that ends on a Friday."""
    days = pd.bdate_range("2021-01-04", periods=5 * n_weeks).difference(pd.DatetimeIndex(list(closed)))
    rng = np.random.default_rng(1)
    values = 50 + np.cumsum(rng.normal(size=len(days))) + 2 * np.sin(2 * np.pi * np.arange(len(days)) / 5)
    path.write_text("date,close\n" + "".join(f"{d:%Y-%m-%d},{v:.4f}\n" for d, v in zip(days, values, strict=True)))
    return path, days


@pytest.mark.parametrize("model", ["persistence", "seasonal_naive", "linear", "ets"])
def test_a_trading_day_csv_gets_season_five_and_forecasts_business_days_past_the_data(tmp_path, capsys, model):
    path, days = business_csv(tmp_path / "prices.csv")
    r = run_forecast(ForecastConfig(csv=str(path), target="close", model=model, horizon=5, lookback=10,
                                    progress=False))
    out = capsys.readouterr().out
    assert r.season == 5 and r.freq == "B" and "weekends are not gaps" in out
    assert "season m = 5 (inferred from the spacing, business days: a week of 5 working days (5 holiday(s)" in out
    assert days[-1] == pd.Timestamp("2021-10-08")                               # a Friday
    assert list(r.future.index) == list(pd.bdate_range("2021-10-11", periods=5))  # Monday to Friday next week
    assert r.future.name == "close" and np.isfinite(r.future.to_numpy()).all()
    if model == "persistence":
        assert (r.future == r.y[-1]).all()                                      # the last value, repeated
    if model == "seasonal_naive":
        np.testing.assert_array_equal(r.future.to_numpy(), r.y[-5:])           # one week (5 rows) back


def test_the_future_of_a_network_is_its_forecast_from_the_last_window(tmp_path):
    from rnnlab.models.forecast import predict

    path, _ = business_csv(tmp_path / "prices.csv", n_weeks=30)
    r = run_forecast(ForecastConfig(csv=str(path), target="close", model="gru", horizon=3, lookback=8, steps=4,
                                    eval_every=2, hidden_size=4, progress=False))
    past = r.data.to_numpy(dtype=float)[-8:][None]                               # (1, lookback, features)
    expected = r.scaler.inverse(predict(r.model, r.scaler.transform(past)), 0)[0, :, 0]
    np.testing.assert_allclose(r.future.to_numpy(), expected, rtol=1e-6)
    assert r.future.index[0] > r.dates[-1]


def test_future_from_the_command_line_prints_each_date(tmp_path, capsys):
    from rnnlab.experiments.__main__ import main

    path, _ = business_csv(tmp_path / "prices.csv")
    main(["forecast", "--csv", str(path), "--target", "close", "--model", "persistence", "--horizon", "3",
          "--lookback", "5", "--future", "--no-progress"])
    out = capsys.readouterr().out
    assert "persistence forecast past the data (the 3 steps after Fri 2021-10-08 on the series' own calendar: " \
           "business days (Monday to Friday); a holiday after the data cannot be known" in out
    for day in ("Mon 2021-10-11", "Tue 2021-10-12", "Wed 2021-10-13"):
        assert re.search(rf"^  {day}  \d", out, flags=re.MULTILINE), day


@pytest.mark.parametrize("freq, first", [("MS", "2025-01-01"), ("D", "2015-05-01"), ("h", "2015-01-06 00:00"),
                                         ("QS-JAN", "2045-01-01"), ("W-SUN", "2017-04-23")])
def test_every_spacing_forecasts_past_the_data_on_its_own_calendar(tmp_path, freq, first):
    path = write_series(tmp_path / "s.csv", freq, n=120)
    r = quick(path, horizon=2)
    assert r.future.index[0] == pd.Timestamp(first), (freq, r.future.index)
    assert len(r.future) == 2 and r.future.index[1] > r.future.index[0]


def test_the_monthly_case_forecasts_the_next_year_by_month():
    r = run_forecast(ForecastConfig(csv=str(CASES / "forecast_monthly_ms.csv"), target="sales", model="ets",
                                    horizon=12, lookback=24, progress=False))
    assert list(r.future.index) == list(pd.date_range("2024-01-01", periods=12, freq="MS"))
    assert r.future.idxmax() != r.future.idxmin()                               # a seasonal shape, not a flat line


def test_a_named_stock_series_is_on_business_days_and_continues_on_them():
    r = run_forecast(ForecastConfig(series="aapl", model="persistence", horizon=3, lookback=5, progress=False))
    assert r.freq == "B" and r.future.index[0].day_of_week < 5
    assert list(r.future.index) == list(pd.bdate_range(r.dates[-1], periods=4)[1:])


def test_what_the_time_axis_needed_is_said_once_per_file_not_once_per_model(tmp_path, capsys):
    path, _ = business_csv(tmp_path / "prices.csv")
    for model in ("persistence", "linear"):
        run_forecast(ForecastConfig(csv=str(path), target="close", model=model, horizon=2, lookback=5,
                                    progress=False))
    out = capsys.readouterr().out
    assert out.count("weekends are not gaps") == 1 and out.count("season m = 5") == 1
