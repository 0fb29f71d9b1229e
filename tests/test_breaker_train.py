"""Breaker findings on rnnlab.train: NaN data at any step, infinite derivatives, finite blow-ups."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from rnnlab.train import Callback, DivergedError, TrainConfig, train

SETTINGS = settings(max_examples=15, deadline=None)


def mse(model, batch):
    x, y = (torch.as_tensor(v) for v in batch)
    return ((model(x) - y) ** 2).mean()


def batches(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(8, 3, generator=g), torch.randn(8, 1, generator=g)) for _ in range(n)]


@SETTINGS
@given(at=st.integers(1, 8), bad=st.sampled_from([float("nan"), float("inf"), -float("inf")]),
       where=st.sampled_from(["x", "y"]), kind=st.sampled_from(["list", "callable", "numpy"]),
       clip=st.sampled_from([None, 1.0]))
def test_nonfinite_data_is_blamed_on_the_data_at_any_step(at, bad, where, kind, clip):
    data = batches()
    x, y = data[at - 1]
    x, y = x.clone(), y.clone()
    (x if where == "x" else y)[0, 0] = bad
    data[at - 1] = (x, y)
    if kind == "numpy":
        data = [(a.numpy(), b.numpy()) for a, b in data]
    source = data
    if kind == "callable":
        it = iter(data)
        source = lambda: next(it)  # noqa: E731
    with pytest.raises(DivergedError) as err:
        train(nn.Linear(3, 1), source, mse, TrainConfig(steps=10, progress=False, clip_grad_norm=clip))
    msg = str(err.value)
    assert f"step {at} of 10" in msg and "check the data" in msg and "--lr" not in msg


@SETTINGS
@given(at=st.integers(1, 8), clip=st.sampled_from([None, 0.5, 1.0]))
def test_infinite_derivative_is_named_at_any_step_without_clipping_advice(at, clip):
    calls = {"n": 0}

    def loss_fn(model, batch):
        calls["n"] += 1
        loss = mse(model, batch)
        if calls["n"] == at:                             # sqrt at 0: finite loss, NaN gradient
            out = model(batch[0])
            loss = loss + torch.sqrt(((out - out.detach()) ** 2).mean())
        return loss

    with pytest.raises(DivergedError) as err:
        train(nn.Linear(3, 1), batches(), loss_fn, TrainConfig(steps=10, progress=False, clip_grad_norm=clip))
    msg = str(err.value)
    assert f"step {at} of 10" in msg and "infinite derivative" in msg
    assert "clip the gradient norm" not in msg and "Lower the learning rate" not in msg


@SETTINGS
@given(lr=st.sampled_from([1e2, 3e2, 1e3]), seed=st.integers(0, 5))
def test_a_finite_blow_up_is_a_divergence_naming_lr(lr, seed):
    # SGD on a linear model with a huge step: the loss grows by orders of magnitude but stays finite at first
    torch.manual_seed(seed)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    data = [(x * 10, y) for x, y in batches(seed=seed)]
    with pytest.raises(DivergedError) as err:
        train(model, data, mse, TrainConfig(steps=10, progress=False, clip_grad_norm=None), optimizer=opt)
    msg = str(err.value)
    assert "times its first value" in msg and "--lr" in msg and f"{lr:g}" in msg
    assert np.isfinite(err.value.loss)


def test_a_finite_blow_up_can_be_left_to_a_watching_callback_or_switched_off():
    class Watch(Callback):
        def on_step(self, state):
            pass

    for kwargs, cbs in (({}, [Watch()]), ({"blow_up_ratio": None}, [])):
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=1e6)
        hist = train(model, batches(3), mse, TrainConfig(steps=3, progress=False, clip_grad_norm=None, **kwargs),
                     optimizer=opt, callbacks=cbs)
        assert hist.loss[-1] > 1e3 * hist.loss[0]


def test_ordinary_training_is_not_called_a_blow_up():
    hist = train(nn.Linear(3, 1), batches(), mse, TrainConfig(steps=30, progress=False, lr=1e-2))
    assert len(hist.loss) == 30


def test_a_tensor_computed_once_outside_loss_fn_is_named_as_a_cause():
    model = nn.Linear(3, 1)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    feats = model(x)                                      # a cached forward pass: no hidden state at all

    with pytest.raises(RuntimeError) as err:
        train(model, [0], lambda m, b: ((feats - y) ** 2).mean(), TrainConfig(steps=3, progress=False))
    msg = str(err.value)
    assert "computed once outside loss_fn" in msg and "detach_state" in msg and "retain_graph=True" in msg


def test_the_numpy_char_rnn_stops_when_its_loss_blows_up():
    import pytest

    from rnnlab.experiments import EXPERIMENTS
    from rnnlab.train import DivergedError

    experiment = EXPERIMENTS["char_rnn_numpy"]
    config = experiment.config_class(lr=1e20, steps=20, clip_grad_norm=None, progress=False)
    with pytest.raises(DivergedError, match=r"training diverged at step \d+ of 20.*--lr, now 1e\+20"):
        experiment.run(config)
