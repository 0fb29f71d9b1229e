import math

import pytest
import torch
from torch import nn

from rnnlab.train import Callback, EarlyStopping, History, TrainConfig, train


def _regression_problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    return x, y


def _loss(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def test_train_fits_a_linear_model_and_records_history():
    torch.manual_seed(0)
    x, y = _regression_problem()
    model = nn.Linear(3, 1)
    history = train(model, [(x[:128], y[:128]), (x[128:], y[128:])], _loss,
                    TrainConfig(steps=300, lr=0.05, eval_every=100, progress=False),
                    evaluate=lambda m: {"mse": _loss(m, (x, y)).item()})
    assert history.steps == list(range(1, 301))
    assert len(history.loss) == len(history.grad_norm) == 300
    steps, mse = history.metric("mse")
    assert steps.tolist() == [100, 200, 300]
    assert history.loss[0] > 1.0 and mse[-1] < 1e-3  # it learned
    assert history.last("mse") == mse[-1]
    assert history.stopped_early is None and history.seconds > 0


def test_same_seed_gives_the_same_run():
    x, y = _regression_problem()

    def run():
        torch.manual_seed(1)
        model = nn.Linear(3, 1)
        return train(model, lambda: (x, y), _loss, TrainConfig(steps=20, progress=False)).loss

    assert run() == run()


def test_gradient_clipping_caps_the_update():
    x, y = _regression_problem()
    big = (x * 1000, y * 1000)
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    before = model.weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    history = train(model, lambda: big, _loss, TrainConfig(steps=1, clip_grad_norm=0.5, progress=False),
                    optimizer=optimizer)
    assert history.grad_norm[0] > 0.5  # the norm before clipping is recorded
    step = torch.cat([(model.weight - before).flatten(), model.bias.detach().flatten()])
    assert step.norm().item() <= 0.5 + 1e-4 + abs(model.bias.item())


def test_early_stopping_on_target_and_patience():
    x, y = _regression_problem()
    torch.manual_seed(0)
    history = train(nn.Linear(3, 1), lambda: (x, y), _loss,
                    TrainConfig(steps=2000, lr=0.05, eval_every=10, progress=False),
                    evaluate=lambda m: {"mse": _loss(m, (x, y)).item()},
                    callbacks=[EarlyStopping("mse", target=0.1)])
    assert history.steps[-1] < 2000 and history.last("mse") <= 0.1
    assert "reached target" in history.stopped_early

    calls = iter([5.0, 4.0, 4.5, 4.6, 4.7, 1.0])
    history = train(nn.Linear(3, 1), lambda: (x, y), _loss,
                    TrainConfig(steps=100, eval_every=1, progress=False),
                    evaluate=lambda m: {"mse": next(calls)}, callbacks=[EarlyStopping("mse", patience=3)])
    assert history.steps[-1] == 5 and "did not improve" in history.stopped_early


def test_wall_clock_budget_stops_training():
    x, y = _regression_problem()
    history = train(nn.Linear(3, 1), lambda: (x, y), _loss,
                    TrainConfig(steps=10**7, max_seconds=0.2, progress=False))
    assert history.steps[-1] < 10**7 and "wall-clock" in history.stopped_early


def test_callbacks_see_every_step_and_the_end():
    seen = []

    class Recorder(Callback):
        def on_step(self, state):
            seen.append(state.step)

        def on_end(self, state):
            seen.append("end")

    x, y = _regression_problem()
    train(nn.Linear(3, 1), lambda: (x, y), _loss, TrainConfig(steps=3, progress=False), callbacks=[Recorder()])
    assert seen == [1, 2, 3, "end"]


def test_bad_input_gets_clear_errors():
    x, y = _regression_problem()
    with pytest.raises(ValueError, match="steps must be >= 1"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        TrainConfig(lr=-1.0)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        train("not a model", lambda: (x, y), _loss)
    with pytest.raises(ValueError, match="scalar tensor"):
        train(nn.Linear(3, 1), lambda: (x, y), lambda m, b: m(b[0]), TrainConfig(steps=1, progress=False))
    with pytest.raises(ValueError, match="batch source is empty"):
        train(nn.Linear(3, 1), [], _loss, TrainConfig(steps=1, progress=False))
    with pytest.raises(ValueError, match="patience, a target"):
        EarlyStopping("mse")
    with pytest.raises(KeyError, match="no evaluation metric named 'acc'"):
        History().metric("acc")
    assert math.isclose(TrainConfig().lr, 1e-3)
