import json
import subprocess
import sys

import pytest

from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.__main__ import main
from rnnlab.experiments.long_range import AddingConfig, CopyConfig, run_adding, run_copy
from rnnlab.experiments.sine import SineConfig, run_sine


def test_list_names_every_experiment(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("sine", "adding", "copy"):
        assert name in EXPERIMENTS and name in out


def test_runner_prints_json_as_its_last_line():
    cmd = [sys.executable, "-m", "rnnlab.experiments", "sine", "--seed", "1", "--steps", "30",
           "--hidden-size", "8", "--no-progress"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    record = json.loads(out.strip().splitlines()[-1])
    assert record["experiment"] == "sine"
    assert record["config"]["seed"] == 1 and record["config"]["hidden_size"] == 8
    assert set(record["metrics"]) >= {"test_mse", "persistence_mse"}
    assert record["seconds"] > 0


def test_runner_rejects_bad_options(capsys):
    with pytest.raises(SystemExit):
        main(["adding", "--model", "cnn"])
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["adding", "--seq-len", "0", "--no-progress"])
    err = capsys.readouterr().err
    assert "seq_len (--seq-len) must be >= 2" in err and err.count("\n") == 1   # one line naming the option as typed


def test_sine_experiment_beats_persistence():
    result = run_sine(SineConfig(seed=0, steps=150, progress=False))
    assert result.metrics["test_mse"] < result.metrics["persistence_mse"]


def test_same_seed_same_metrics():
    a = run_adding(AddingConfig(model="rnn", seq_len=10, steps=20, n_test=50, progress=False)).metrics
    b = run_adding(AddingConfig(model="rnn", seq_len=10, steps=20, n_test=50, progress=False)).metrics
    assert a == b


def test_copy_experiment_reports_accuracy_and_chance():
    """After 5 steps the model guesses: recall near chance (1/8). Scoring the blank steps too (a plausible bug)
    would put it far above, since blanks are easy to predict."""
    m = run_copy(CopyConfig(model="gru", delay=3, steps=5, n_test=200, progress=False)).metrics
    assert m["baseline_accuracy"] == 1 / 8
    assert abs(m["accuracy"] - 1 / 8) < 0.1, m


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["adding", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--steps STEPS optimisation steps" in out and "--seed SEED seeds" in out
