"""A forecaster a student passes to run_forecast(model=...) is checked before training (issue 24, kind B): the
output shape (batch, horizon, Q), finite numbers, and that each example of a batch is forecast on its own (a
recurrent layer left at batch_first=False mixes them). Before this check these models gave torch's
"The size of tensor a (64) must match the size of tensor b (3)" or, worse, trained without a word."""

import numpy as np
import pytest
import torch
from torch import nn

from rnnlab.experiments.forecast import ForecastConfig, check_forecaster_contract, run_forecast

H, L = 3, 10
KW = dict(series="seattle_daily", model="gru", horizon=H, lookback=L, steps=4, eval_every=2, progress=False)


class Student(nn.Module):
    """A GRU forecaster as a student writes it; `mistake` picks one of the known slips."""

    def __init__(self, mistake: str = "", quantiles: int = 1) -> None:
        super().__init__()
        self.mistake = mistake
        self.rnn = nn.GRU(1, 6, batch_first=mistake not in ("time_major", "time_major_reads_time"))
        self.head = nn.Linear(6, (5 if mistake == "horizon" else H) * quantiles)
        self.q = quantiles

    def forward(self, x):                                   # x (batch, lookback, 1)
        out, _ = self.rnn(x)
        if self.mistake == "time_major_reads_time":
            last = out[-1]                                  # thinks out is (time, batch, hidden): (lookback, 6)
        else:
            last = out[:, -1]                               # (batch, 6); for time-major: mixes the batch
        y = self.head(last)
        if self.mistake == "no_q_axis":
            return y                                        # (batch, H): the missing last axis
        if self.mistake == "tuple":
            return y, None
        if self.mistake == "nan":
            return (y * np.nan).reshape(len(y), -1, self.q)
        return y.reshape(len(y), -1, self.q)                # (batch, H, Q)


@pytest.mark.parametrize("mistake, error, message", [
    ("no_q_axis", ValueError, r"returned shape \(4, 3\) \(batch, horizon\).*`return y.unsqueeze\(-1\)`"),
    ("horizon", ValueError, r"got \(4, 5, 1\): its horizon axis has 5 steps but horizon is 3 \(--horizon\)"),
    ("time_major", ValueError, r"mixes the examples of a batch: window 3 alone .*batch_first=True"),
    ("time_major_reads_time", ValueError, r"got \(10, 3, 1\): its first axis has lookback \(10\) entries, not batch"),
    ("tuple", TypeError, r"must return a tensor \(batch, horizon, 1\), got tuple"),
    ("nan", ValueError, r"NaN or infinite forecasts for finite inputs"),
])
def test_each_known_student_mistake_is_named_before_training(mistake, error, message):
    torch.manual_seed(0)
    with pytest.raises(error, match=message):
        run_forecast(ForecastConfig(**KW), model=Student(mistake))


def test_a_right_student_model_trains_and_a_quantile_one_needs_three_outputs():
    torch.manual_seed(0)
    r = run_forecast(ForecastConfig(**KW), model=Student())
    assert np.isfinite(r.mae) and r.predictions.shape[1] == H
    with pytest.raises(ValueError, match=r"\(4, 3, 3\), got \(4, 3, 1\).*Q = 3 quantiles because quantiles=True"):
        run_forecast(ForecastConfig(**KW, quantiles=True), model=Student())
    q = run_forecast(ForecastConfig(**KW, quantiles=True), model=Student(quantiles=3))
    assert q.lower.shape == q.upper.shape == q.predictions.shape


def test_a_time_major_model_that_transposes_is_accepted():
    class Transposing(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.head = nn.LSTM(1, 5), nn.Linear(5, H)            # time-major on purpose

        def forward(self, x):
            out, _ = self.rnn(x.transpose(0, 1))                           # (lookback, batch, 5)
            return self.head(out[-1]).unsqueeze(-1)                        # (batch, H, 1)

    check_forecaster_contract(Transposing(), np.random.default_rng(0).normal(size=(4, L, 1)), H)


def test_the_check_leaves_the_training_mode_as_it_was():
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(L, H), nn.Unflatten(1, (H, 1))).train()
    check_forecaster_contract(model, np.random.default_rng(0).normal(size=(3, L, 1)), H)   # dropout off in eval
    assert model.training


def test_crossing_quantiles_are_sorted_and_said_not_a_crash(capsys):
    """A quantile model trained a few steps may put its 10% above its 90%: coverage() refused that with 'lower
    must be <= upper' after all the training. Now the quantiles are sorted at each step and the share is said."""

    class Crossing(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(L, H)

        def forward(self, x):                                  # 10% quantile = median + 1, 90% = median - 1
            m = self.head(x[..., 0])
            return torch.stack([m + 1, m, m - 1], dim=-1)      # (batch, H, 3): crossed everywhere

    r = run_forecast(ForecastConfig(**KW, quantiles=True), model=Crossing())
    assert r.quantile_crossing == 1.0 == r.metrics["quantile_crossing"]
    assert (r.lower <= r.predictions).all() and (r.predictions <= r.upper).all()
    assert (r.future_lower <= r.future).all() and (r.future <= r.future_upper).all()
    lower, upper, y = r.lower, r.upper, r.targets                 # the pinball loss of the sorted quantiles
    expected = np.mean([np.maximum(q * (y - f), (q - 1) * (y - f)).mean()
                        for q, f in ((0.1, lower), (0.5, r.predictions), (0.9, upper))])
    assert np.isclose(r.metrics["pinball_loss"], expected)
    assert "quantile forecasts cross (10% above 50% or 50% above 90%) at 100.0% of the test forecasts" in \
        capsys.readouterr().out
