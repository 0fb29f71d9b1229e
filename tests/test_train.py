import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
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
    """With SGD(lr=1) the update is minus the clipped gradient: norm exactly 0.5, direction of the raw gradient."""
    x, y = _regression_problem()
    big = (x * 1000, y * 1000)
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    before = torch.cat([model.weight.detach().flatten(), model.bias.detach().flatten()])
    model.zero_grad()
    _loss(model, big).backward()
    raw = torch.cat([model.weight.grad.flatten(), model.bias.grad.flatten()])      # the unclipped gradient
    model.zero_grad()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    history = train(model, lambda: big, _loss, TrainConfig(steps=1, clip_grad_norm=0.5, progress=False),
                    optimizer=optimizer)
    after = torch.cat([model.weight.detach().flatten(), model.bias.detach().flatten()])
    step = after - before
    assert history.grad_norm[0] == pytest.approx(raw.norm().item(), rel=1e-6)  # the norm before clipping
    assert history.grad_norm[0] > 1e3
    torch.testing.assert_close(step, -0.5 * raw / raw.norm(), rtol=1e-4, atol=1e-6)


def test_train_is_the_notebook_loop():
    """Notebook 03's written-out loop and `train` give identical losses and evaluations on the same seed and batches."""
    from solutions import training_loop

    from rnnlab.data.synthetic import adding_problem
    from rnnlab.models import SequenceModel

    batches = [adding_problem(16, 6, seed=i) for i in range(12)]
    x_test, y_test = adding_problem(50, 6, seed=99)

    torch.manual_seed(3)
    model = SequenceModel("rnn", 2, 12, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)   # notebook 03's optimiser
    losses, test_losses = training_loop(model, optimizer, batches, 0.5, x_test, y_test, eval_every=4)

    torch.manual_seed(3)
    twin = SequenceModel("rnn", 2, 12, 1)
    history = train(twin, batches, _loss, TrainConfig(steps=12, lr=1e-2, clip_grad_norm=0.5, eval_every=4,
                                                      progress=False),
                    evaluate=lambda m: {"test": _loss(m, (x_test, y_test)).item()})
    assert history.loss == losses                                # bit for bit
    assert history.metric("test")[1].tolist() == test_losses
    assert losses[-1] < 0.5 * losses[0]                           # and the loop does learn
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a, b)


def test_training_step_is_the_core_of_train():
    """One `training_step` equals one step of `train`; it measures the norm before clipping."""
    from rnnlab.train import training_step

    x, y = _regression_problem()
    torch.manual_seed(0)
    a, b = nn.Linear(3, 1), nn.Linear(3, 1)
    b.load_state_dict(a.state_dict())
    opt = torch.optim.SGD(a.parameters(), lr=0.1)
    loss, norm = training_step(a, (x, y), _loss, opt, list(a.parameters()), 0.1)
    history = train(b, lambda: (x, y), _loss, TrainConfig(steps=1, clip_grad_norm=0.1, progress=False),
                    optimizer=torch.optim.SGD(b.parameters(), lr=0.1))
    assert loss.item() == history.loss[0] and norm.item() == history.grad_norm[0] and norm.item() > 1
    torch.testing.assert_close(a.weight, b.weight, rtol=0, atol=0)


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


# --- issue 24 (kind B): diverged training and a carried state that was not detached ----------------------------

def test_diverged_training_stops_at_the_first_nonfinite_loss_naming_the_step_and_options():
    from rnnlab.train import DivergedError

    x, y = _regression_problem()
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e3)
    with pytest.raises(DivergedError) as err:
        train(model, lambda: (x * 100, y * 100), _loss, TrainConfig(steps=50, clip_grad_norm=None, progress=False,
                                                                 blow_up_ratio=None), optimizer=optimizer)
    msg, step = str(err.value), err.value.step
    assert 1 < step < 50 and f"at step {step} of 50" in msg
    assert "lr / --lr, now 1000" in msg and "clip_grad_norm / --clip-grad-norm, now none" in msg
    assert "last finite loss" in msg and "\n" not in msg
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())   # the bad update was not applied


def test_nan_in_the_first_batch_blames_the_data_not_the_learning_rate():
    from rnnlab.train import DivergedError

    x, y = _regression_problem()
    x = x.clone()
    x[3, 1] = float("nan")
    with pytest.raises(DivergedError,
                       match=r"step 1 of 5 \(before any update\).*batch of this step itself holds NaN") as err:
        train(nn.Linear(3, 1), lambda: (x, y), _loss, TrainConfig(steps=5, progress=False))
    assert "--lr" not in str(err.value)


def test_infinite_gradient_with_a_finite_loss_is_named():
    from rnnlab.train import DivergedError

    def sqrt_loss(model, batch):
        return torch.sqrt((model(batch[0]) * 0) ** 2 + 0).sum() + model(batch[0]).mean() * 0 + 1.0

    x, y = _regression_problem()
    with pytest.raises(DivergedError, match="gradient norm is (nan|inf).*infinite derivative"):
        train(nn.Linear(3, 1), lambda: (x, y), sqrt_loss, TrainConfig(steps=3, progress=False))


@settings(max_examples=15, deadline=None)
@given(bad_step=st.integers(min_value=2, max_value=12), value=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_the_step_named_is_the_first_nonfinite_one(bad_step, value):
    from rnnlab.train import DivergedError

    x, y = _regression_problem()
    calls = {"n": 0}

    def loss_fn(model, batch):
        calls["n"] += 1
        loss = _loss(model, batch)
        return loss * value if calls["n"] >= bad_step else loss

    with pytest.raises(DivergedError) as err:
        train(nn.Linear(3, 1), lambda: (x, y), loss_fn, TrainConfig(steps=20, clip_grad_norm=0.5, progress=False))
    assert err.value.step == bad_step and f"step {bad_step} of 20" in str(err.value)
    assert "clip_grad_norm / --clip-grad-norm, now 0.5" in str(err.value)


def test_a_callback_that_records_divergence_still_ends_training_gracefully():
    class StopOnNonFinite(Callback):
        def on_step(self, state):
            if not math.isfinite(state.history.loss[-1]):
                state.request_stop(f"non-finite at step {state.step}")

    x, y = _regression_problem()
    history = train(nn.Linear(3, 1), lambda: (x, y), lambda m, b: _loss(m, b) * math.inf,
                    TrainConfig(steps=10, progress=False), callbacks=[StopOnNonFinite()])
    assert history.steps == [1] and history.stopped_early == "non-finite at step 1"


def test_carried_state_not_detached_names_detach_state():
    """Case stateful_no_detach.py: torch's advice (retain_graph=True) is replaced by the right fix."""
    model = nn.GRU(2, 4, batch_first=True)
    carried = {"h": None}

    def loss_fn(model, batch):
        out, carried["h"] = model(batch, carried["h"])              # carried, not detached
        return out.pow(2).mean()

    with pytest.raises(RuntimeError) as err:
        train(model, lambda: torch.randn(3, 5, 2), loss_fn, TrainConfig(steps=3, progress=False))
    msg = str(err.value)
    assert "rnnlab.models.charlm.detach_state(state)" in msg and "retain_graph=True" in msg
    assert msg.startswith("backward reached the graph of an earlier step")
    from rnnlab.models.charlm import detach_state  # the name in the message exists

    def fixed(model, batch):
        out, h = model(batch, carried["h"])
        carried["h"] = detach_state(h)
        return out.pow(2).mean()

    carried["h"] = None
    assert len(train(model, lambda: torch.randn(3, 5, 2), fixed, TrainConfig(steps=3, progress=False)).loss) == 3


def test_case_stateful_no_detach_with_the_course_classes():
    """The case as a student writes it (notebook 06 style): CharLM, StatefulBatches, a carried state."""
    from rnnlab.data.corpora import StatefulBatches, build_char_vocab, encode_text, load_corpus
    from rnnlab.models.charlm import CharLM, StatefulLoss

    text = load_corpus("names")[:3000]
    vocab = build_char_vocab(text)
    torch.manual_seed(0)
    model = CharLM(len(vocab), 16)
    state = {"h": None}

    def my_loss(model, batch):
        x, y, first = batch
        if first:
            state["h"] = None
        logits, state["h"] = model(x, state["h"])                   # carried, not detached
        return nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())

    batches = StatefulBatches(encode_text(vocab, text), batch_size=4, seq_len=16)
    with pytest.raises(RuntimeError, match=r"detach_state\(state\)"):
        train(model, batches, my_loss, TrainConfig(steps=3, progress=False))
    history = train(model, batches, StatefulLoss(), TrainConfig(steps=3, progress=False))   # the right way
    assert len(history.loss) == 3
