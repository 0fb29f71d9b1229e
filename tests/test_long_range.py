import json
import subprocess
import sys

import pytest
import torch

from rnnlab.experiments.__main__ import main
from rnnlab.experiments.long_range import AddingConfig, CopyConfig, run_adding, run_copy
from rnnlab.models import recurrent_parameter_count


def test_adding_metrics_matched_parameters_and_forget_bias():
    sizes = {}
    for kind in ("rnn", "lstm", "gru"):
        r = run_adding(AddingConfig(model=kind, T=8, steps=3, n_test=20, progress=False, forget_bias=1.0))
        assert set(r.metrics) >= {"test_mse", "baseline_mse", "hidden_size", "parameters", "steps"}
        sizes[kind] = r.metrics["parameters"]
    budget = recurrent_parameter_count("lstm", 2, 32, 1)
    assert all(abs(p - budget) / budget < 0.05 for p in sizes.values()), sizes
    model = run_adding(AddingConfig(model="lstm", T=5, steps=1, lr=1e-9, n_test=5, progress=False,
                                    forget_bias=2.5, reference_hidden=4)).model
    b = model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0
    torch.testing.assert_close(b[4:8], torch.full((4,), 2.5), atol=1e-6, rtol=0)


def test_stop_at_stops_early_for_both_experiments():
    r = run_adding(AddingConfig(model="gru", T=6, steps=200, eval_every=5, n_test=20, stop_at=10.0, progress=False))
    assert r.metrics["steps"] == 5 and "reached target" in r.history.stopped_early
    c = run_copy(CopyConfig(model="rnn", delay=2, length=3, steps=200, eval_every=4, n_test=20, stop_at=-1.0,
                            progress=False))
    assert c.metrics["steps"] == 4 and c.history.stopped_early
    assert c.metrics["baseline_accuracy"] == 1 / 8 and 0 <= c.metrics["accuracy"] <= 1


def test_copy_forget_bias_default_and_seeding():
    a = run_copy(CopyConfig(model="lstm", delay=2, length=3, steps=3, n_test=10, progress=False))
    b = run_copy(CopyConfig(model="lstm", delay=2, length=3, steps=3, n_test=10, progress=False))
    assert a.metrics == b.metrics
    assert CopyConfig().forget_bias == 1.0 and AddingConfig().forget_bias is None


def test_command_line_options_keep_their_names(capsys):
    cmd = [sys.executable, "-m", "rnnlab.experiments", "adding", "--model", "lstm", "--T", "6", "--seed", "2",
           "--steps", "2", "--n-test", "10", "--forget-bias", "1", "--stop-at", "0.5", "--no-progress"]
    record = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    assert record["config"]["forget_bias"] == 1.0 and record["config"]["stop_at"] == 0.5
    assert set(record["metrics"]) >= {"test_mse", "baseline_mse"}
    with pytest.raises(SystemExit):
        main(["copy", "--model", "lstm", "--delay", "0", "--no-progress"])
    assert "delay must be >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_lstm_solves_adding_at_T100():
    r = run_adding(AddingConfig(model="lstm", T=100, seed=0, steps=1500, stop_at=0.01, eval_every=50, n_test=500,
                                progress=False))
    assert r.metrics["test_mse"] < 0.01, r.metrics
