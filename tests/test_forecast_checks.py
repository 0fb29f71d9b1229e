"""Notebook 08's graded checks name each mistake students made (reviews/turn3/wrong-answers/w08.py), in words;
and the recursive forecaster's teacher forcing makes step k a one-step forecast from the truth."""

import numpy as np
import pandas as pd
import pytest
import torch

from rnnlab.checks.forecast import check_mase, check_windows
from rnnlab.checks.weather import check_day_of_year
from rnnlab.models.forecast import Forecaster, forecast_loss


def _cut(y, lookback, horizon, first_shift=0, last_shift=0, target_shift=1, as_list=False):
    first, last = lookback - 1 + first_shift, len(y) - horizon - 1 + last_shift
    rows = range(first, last + 1)
    x = [y[o - lookback + 1:o + 1] for o in rows]
    t = [y[o + target_shift:o + target_shift + horizon] for o in rows]
    return ([list(r) for r in x], [list(r) for r in t]) if as_list else (np.stack(x), np.stack(t))


WINDOWS = {
    "right": (lambda y, L, H: _cut(y, L, H), None),
    "origins start at lookback": (lambda y, L, H: _cut(y, L, H, first_shift=1), "one too late"),
    "range stops one early": (lambda y, L, H: _cut(y, L, H, last_shift=-1), "the last origin is missing"),
    "target includes the last input": (lambda y, L, H: _cut(y, L, H, target_shift=0), "leakage"),
    "python lists": (lambda y, L, H: _cut(y, L, H, as_list=True), "got a Python list"),
}


@pytest.mark.parametrize("name", list(WINDOWS))
def test_windows_mistakes_are_named(name, capsys):
    answer, words = WINDOWS[name]
    assert check_windows(answer) is (words is None)
    out = capsys.readouterr().out
    assert (words or "passed") in out, out


def _scale(y_train, season):
    return np.abs(y_train[season:] - y_train[:-season]).mean()


MASE = {
    "right": (lambda t, p, tr, m: np.abs(t - p).mean() / _scale(tr, m), None),
    "scale on the test values": (lambda t, p, tr, m: np.abs(t - p).mean() / _scale(t, m), "TEST values"),
    "season ignored": (lambda t, p, tr, m: np.abs(t - p).mean() / _scale(tr, 1), "ignores the season"),
    "RMSE on top": (lambda t, p, tr, m: np.sqrt(((t - p) ** 2).mean()) / _scale(tr, m), "RMSE"),
    "median scale": (lambda t, p, tr, m: np.abs(t - p).mean() / np.median(np.abs(tr[m:] - tr[:-m])),
                     "not the median"),
}


@pytest.mark.parametrize("name", list(MASE))
def test_mase_mistakes_are_named(name, capsys):
    answer, words = MASE[name]
    assert check_mase(answer) is (words is None)
    out = capsys.readouterr().out
    assert (words or "passed") in out, out


def _doy(frame, scale=2 * np.pi, minus=1, days=365.25, swap=False, inplace=False, only_new=False):
    angle = scale * (frame.index.day_of_year.to_numpy() - minus) / days
    s, c = (np.cos(angle), np.sin(angle)) if swap else (np.sin(angle), np.cos(angle))
    if inplace:
        frame["doy_sin"], frame["doy_cos"] = s, c
        return frame
    if only_new:
        return pd.DataFrame({"doy_sin": s, "doy_cos": c}, index=frame.index)
    return frame.assign(doy_sin=s, doy_cos=c)


DOY = {
    "right": (dict(), None),
    "in place": (dict(inplace=True), "return a copy"),
    "365 days": (dict(days=365), "not 365"),
    "no minus one": (dict(minus=0), "use d - 1"),
    "degrees": (dict(scale=360), "in degrees"),
    "sin and cos swapped": (dict(swap=True), "swapped"),
    "only the new columns": (dict(only_new=True), "no column(s) ['temp']"),
}


@pytest.mark.parametrize("name", list(DOY))
def test_day_of_year_mistakes_are_named(name, capsys):
    kwargs, words = DOY[name]
    assert check_day_of_year(lambda frame: _doy(frame, **kwargs)) is (words is None)
    out = capsys.readouterr().out
    assert (words or "passed") in out, out


# --- teacher forcing (the recursive strategy) ------------------------------------------------------------------

def test_teacher_forced_step_k_is_a_one_step_forecast_from_the_truth():
    torch.manual_seed(0)
    model = Forecaster("lstm", 8, horizon=4, strategy="recursive").eval()
    x, y = torch.randn(5, 6, 1), torch.randn(5, 4)
    with torch.no_grad():
        forced = model(x, teacher=y)[..., 0]                      # (5, 4)
        for k in range(4):
            past = torch.cat([x, y[:, :k, None]], dim=1)            # the lookback plus the true values before k
            one_step = model(past, horizon=1)[:, 0, 0]
            torch.testing.assert_close(forced[:, k], one_step, atol=1e-6, rtol=1e-5)
        free = model(x)[..., 0]
    assert torch.equal(forced[:, 0], free[:, 0])                  # step 1 reads no forecast either way
    assert not torch.allclose(forced[:, 1:], free[:, 1:])         # later steps differ: own forecasts vs truth


def test_recursive_training_loss_reads_the_truth():
    torch.manual_seed(1)
    model = Forecaster("gru", 8, horizon=3, strategy="recursive")
    x, y = torch.randn(4, 5, 1), torch.randn(4, 3)
    loss = forecast_loss(model, (x, y))
    expected = torch.nn.functional.mse_loss(model(x, teacher=y)[..., 0], y)
    torch.testing.assert_close(loss, expected)
    assert not torch.isclose(loss, torch.nn.functional.mse_loss(model(x)[..., 0], y))
