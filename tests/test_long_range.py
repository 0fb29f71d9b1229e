import json
import subprocess
import sys

import pytest
import torch

from rnnlab.experiments.__main__ import main
from rnnlab.experiments.long_range import AddingConfig, CopyConfig, recall_accuracy, run_adding, run_copy
from rnnlab.models import SequenceModel, count_parameters
from rnnlab.train import Callback


def test_adding_metrics_matched_parameters_and_forget_bias():
    sizes = {}
    for kind in ("rnn", "lstm", "gru"):
        r = run_adding(AddingConfig(model=kind, seq_len=8, steps=3, n_test=20, progress=False, forget_bias=1.0))
        assert set(r.metrics) >= {"test_mse", "baseline_mse", "hidden_size", "parameters", "steps"}
        sizes[kind] = r.metrics["parameters"]
    budget = count_parameters("lstm", 2, 32, 1)
    assert all(abs(p - budget) / budget < 0.05 for p in sizes.values()), sizes
    model = run_adding(AddingConfig(model="lstm", seq_len=5, steps=1, lr=1e-9, n_test=5, progress=False,
                                    forget_bias=2.5, reference_hidden=4)).model
    b = model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0
    torch.testing.assert_close(b[4:8], torch.full((4,), 2.5), atol=1e-6, rtol=0)


def test_stop_at_stops_early_for_both_experiments():
    r = run_adding(AddingConfig(model="gru", seq_len=6, steps=200, eval_every=5, n_test=20, stop_at=10.0,
                                progress=False))
    assert r.metrics["steps"] == 5 and "reached target" in r.history.stopped_early
    c = run_copy(CopyConfig(model="rnn", delay=2, length=3, steps=200, eval_every=4, n_test=20, stop_at=0.0,
                            progress=False))
    assert c.metrics["steps"] == 4 and c.history.stopped_early
    assert c.metrics["baseline_accuracy"] == 1 / 8
    assert c.metrics["chance_std"] == pytest.approx((1 / 8 * 7 / 8 / (20 * 3)) ** 0.5)   # 20 sequences x 3 symbols


def test_copy_forget_bias_default_and_seeding():
    a = run_copy(CopyConfig(model="lstm", delay=2, length=3, steps=3, n_test=10, progress=False))
    b = run_copy(CopyConfig(model="lstm", delay=2, length=3, steps=3, n_test=10, progress=False))
    assert a.metrics == b.metrics
    assert CopyConfig().forget_bias == 1.0 and AddingConfig().forget_bias is None


def test_command_line_options_keep_their_names(capsys):
    cmd = [sys.executable, "-m", "rnnlab.experiments", "adding", "--model", "lstm", "--seq-len", "6", "--seed", "2",
           "--steps", "2", "--n-test", "10", "--forget-bias", "1", "--stop-at", "0.5", "--no-progress"]
    record = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    assert record["config"]["forget_bias"] == 1.0 and record["config"]["stop_at"] == 0.5
    assert set(record["metrics"]) >= {"test_mse", "baseline_mse"}
    with pytest.raises(SystemExit):
        main(["copy", "--model", "lstm", "--delay", "0", "--no-progress"])
    assert "delay (--delay) must be >= 1, got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_lstm_solves_adding_at_T100():
    r = run_adding(AddingConfig(model="lstm", seq_len=100, seed=0, steps=1500, stop_at=0.01, eval_every=50, n_test=500,
                                progress=False))
    assert r.metrics["test_mse"] < 0.01, r.metrics


def test_recall_accuracy_guesses_among_the_symbols_only():
    """Blank and go are never a guess: a model that prefers blank still guesses its most likely symbol."""
    y = torch.tensor([[0, 0, 3, 5]])                     # (1, time): two recall steps, symbols 3 and 5
    logits = torch.full((1, 4, 10), -5.0)
    logits[:, :, 0] = 9.0                                # blank is the most likely token everywhere
    logits[0, 2, 3] = 1.0                                # ... but symbol 3 leads the symbols at step 2
    logits[0, 3, 4] = 1.0                                # ... and symbol 4 (wrong) at step 3
    assert recall_accuracy(logits, y, length=2, n_symbols=8) == 0.5
    logits[0, 3, 5] = 2.0
    assert recall_accuracy(logits, y, length=2, n_symbols=8) == 1.0


def test_experiments_take_a_ready_model_callbacks_and_a_device():
    class Count(Callback):
        steps = 0

        def on_step(self, state):
            Count.steps += 1

    torch.manual_seed(0)
    mine = SequenceModel("gru", 2, 5, 1)
    before = mine.rnn.weight_hh_l0.detach().clone()
    r = run_adding(AddingConfig(model="gru", seq_len=6, steps=3, n_test=10, progress=False), model=mine,
                   callbacks=[Count()], device="cpu")
    assert r.model is mine and not torch.equal(before, mine.rnn.weight_hh_l0)   # this model was trained
    assert Count.steps == 3 and r.metrics["hidden_size"] == 5
    assert r.metrics["parameters"] == count_parameters("gru", 2, 5, 1) == 141
    copy_model = SequenceModel("rnn", 10, 4, 10, vocab_size=10, many_to_one=False)
    c = run_copy(CopyConfig(model="rnn", delay=2, length=3, steps=2, n_test=5, progress=False), model=copy_model,
                 device=torch.device("cpu"))
    assert c.model is copy_model and c.metrics["hidden_size"] == 4
    with pytest.raises(TypeError, match="torch.nn.Module"):
        run_adding(AddingConfig(seq_len=6, steps=1, n_test=5, progress=False), model="lstm")


def test_baseline_is_the_variance_of_the_test_targets():
    from rnnlab.data.synthetic import adding_problem
    from rnnlab.experiments.long_range import TEST_SEED

    r = run_adding(AddingConfig(model="rnn", seq_len=7, steps=1, n_test=40, progress=False))
    _, y = adding_problem(40, 7, seed=TEST_SEED)
    assert r.metrics["baseline_mse"] == pytest.approx(y.var(unbiased=False).item(), rel=1e-6)
    assert r.metrics["predict_one_mse"] == pytest.approx(((y - 1) ** 2).mean().item(), rel=1e-6)
    assert r.metrics["predict_one_mse"] > r.metrics["baseline_mse"]


def test_a_model_built_right_after_the_seed_is_the_one_run_adding_builds():
    """Notebook 04 builds its models with torch.manual_seed(0), measures them, then hands them to run_adding with
    seed 0: the run must equal the one where run_adding builds the model itself (same weights, same batches)."""
    cfg = AddingConfig(model="lstm", seq_len=10, steps=6, batch_size=8, eval_every=3, n_test=16, seed=3, progress=False)
    own = run_adding(cfg)
    torch.manual_seed(3)
    given = run_adding(cfg, model=SequenceModel("lstm", 2, own.metrics["hidden_size"], 1))
    assert list(given.history.loss) == list(own.history.loss)
    torch.manual_seed(4)  # another seed's weights: a different run, so the comparison above can fail
    other = run_adding(cfg, model=SequenceModel("lstm", 2, own.metrics["hidden_size"], 1))
    assert list(other.history.loss) != list(own.history.loss)


# --- a model of your own is checked before training (issue 24, kind B) -------------------------------------

class AddingStudent(torch.nn.Module):
    def __init__(self, batch_first=True, squeeze=False):
        super().__init__()
        self.rnn, self.head, self.squeeze = torch.nn.GRU(2, 6, batch_first=batch_first), torch.nn.Linear(6, 1), squeeze

    def forward(self, x):                                   # x (batch, T, 2)
        out, _ = self.rnn(x)
        y = self.head(out[:, -1])                           # (batch, 1); time-major: mixes the batch
        return y.squeeze(-1) if self.squeeze else y


class CopyStudent(torch.nn.Module):
    def __init__(self, batch_first=True, probabilities=False):
        super().__init__()
        self.emb, self.rnn = torch.nn.Embedding(10, 6), torch.nn.GRU(6, 6, batch_first=batch_first)
        self.head, self.probabilities = torch.nn.Linear(6, 10), probabilities

    def forward(self, x):                                   # x (batch, time) -> (batch, time, 10)
        out, _ = self.rnn(self.emb(x))
        y = self.head(out)
        return y.softmax(-1) if self.probabilities else y


ADD = dict(seq_len=8, steps=2, n_test=10, eval_every=2, progress=False)
COPY = dict(delay=3, length=3, steps=2, n_test=10, eval_every=2, progress=False)


@pytest.mark.parametrize("student, message", [
    (AddingStudent(batch_first=False), r"mixes the examples of a batch: example 3 alone .*batch_first=True"),
    (AddingStudent(squeeze=True), r"must return shape \(4, 1\) .* got \(4,\): .*`.unsqueeze\(-1\)`"),
])
def test_adding_refuses_a_student_model_by_its_mistake(student, message):
    torch.manual_seed(0)
    with pytest.raises(ValueError, match=message):
        run_adding(AddingConfig(**ADD), model=student)


@pytest.mark.parametrize("student, message", [
    (CopyStudent(batch_first=False), r"mixes the examples of a batch"),
    (CopyStudent(probabilities=True), r"returns probabilities .*logits.*cross_entropy applies log_softmax"),
])
def test_copy_refuses_a_student_model_by_its_mistake(student, message):
    torch.manual_seed(0)
    with pytest.raises(ValueError, match=message):
        run_copy(CopyConfig(**COPY), model=student)


def test_right_student_models_train():
    torch.manual_seed(0)
    assert run_adding(AddingConfig(**ADD), model=AddingStudent()).metrics["steps"] == 2
    assert run_copy(CopyConfig(**COPY), model=CopyStudent()).metrics["steps"] == 2
