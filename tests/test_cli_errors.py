"""Issue 24 (kind C): every error from `python -m rnnlab.experiments` is one line naming the option the user
typed, exit code 2; `~` is expanded; a traceback only with RNNLAB_DEBUG=1 (case tilde_and_missing_path.sh)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.__main__ import explain, main, one_line


def _daily_csv(path, n=200):
    dates = np.datetime64("2020-01-01") + np.arange(n)
    temp = 10 + 5 * np.sin(np.arange(n) * 2 * np.pi / 7) + np.random.default_rng(0).normal(0, 1, n)
    path.write_text("date,temp\n" + "".join(f"{d},{t:.3f}\n" for d, t in zip(dates, temp, strict=True)))
    return path


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    return exit_info.value.code, err


def test_tilde_in_a_path_option_is_expanded(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    _daily_csv(tmp_path / "mine.csv")
    assert main(["forecast", "--csv=~/mine.csv", "--target", "temp", "--model", "linear", "--horizon", "7",
                 "--lookback", "14", "--no-progress"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["config"]["csv"] == str(tmp_path / "mine.csv")


@pytest.mark.parametrize("value, kind", [("~/missing.csv", "no such file"), ("~", "is a folder")])
def test_missing_file_or_folder_is_one_line_naming_the_option(tmp_path, monkeypatch, capsys, value, kind):
    monkeypatch.setenv("HOME", str(tmp_path))
    code, err = _run(["forecast", "--csv", value, "--target", "temp", "--model", "linear"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("python -m rnnlab.experiments forecast: error: --csv: ") and kind in err


@pytest.mark.slow  # a fresh interpreter importing torch: ~12 s on a loaded 2-core machine
def test_missing_file_from_a_subprocess_has_no_traceback(tmp_path):
    cmd = [sys.executable, "-m", "rnnlab.experiments", "forecast", "--csv", str(tmp_path / "none.csv"),
           "--target", "temp"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--csv: no such file" in done.stderr


def test_debug_env_gives_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DEBUG", "1")
    with pytest.raises(FileNotFoundError, match="--csv"):
        main(["forecast", "--csv", str(tmp_path / "none.csv"), "--target", "temp"])


def test_diverged_training_from_the_command_line_names_lr(capsys):
    """The "diverged training" case: --lr 1e20 without clipping."""
    code, err = _run(["forecast", "--series", "seattle_daily", "--model", "gru", "--steps", "40", "--eval-every",
                      "20", "--lr", "1e20", "--clip-grad-norm", "none", "--no-progress"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "training diverged at step" in err and "--lr, now 1e+20" in err and "--clip-grad-norm" in err
    assert "y_pred" not in err


@pytest.mark.parametrize("error", [RuntimeError("inside torch\nsecond line"), ZeroDivisionError("division"),
                                   KeyError("mine"), AssertionError()])
def test_any_failure_inside_a_run_is_one_line(monkeypatch, capsys, error):
    def boom(config, *a, **k):
        raise error

    monkeypatch.setitem(EXPERIMENTS, "sine", dataclasses.replace(EXPERIMENTS["sine"], run=boom))
    code, err = _run(["sine", "--steps", "1"], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("python -m rnnlab.experiments sine: error: ")
    if isinstance(error, KeyError):
        assert "error: mine" in err                       # no quotes around a KeyError's message


def test_argument_errors_are_one_line_too(capsys):
    code, err = _run(["adding", "--steps", "1e3"], capsys)
    assert code == 2 and err.count("\n") == 1 and "argument --steps: expected an integer, got '1e3'" in err


def test_a_field_named_at_the_start_of_a_message_gets_its_option():
    names = ["lr", "clip_grad_norm", "steps"]
    assert explain(ValueError("clip_grad_norm must be > 0, got -1"), names) == \
        "clip_grad_norm (--clip-grad-norm) must be > 0, got -1"
    assert explain(ValueError("lr (--lr) must be > 0"), names) == "lr (--lr) must be > 0"   # not twice
    assert explain(ValueError("the model's lr is high"), names) == "the model's lr is high"  # not prose
    err = FileNotFoundError(2, "No such file or directory", "/tmp/x.csv")
    import argparse
    assert explain(err, ["csv"], argparse.Namespace(csv="/tmp/x.csv")) == \
        "--csv: no such file or directory: '/tmp/x.csv'"


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=60))
def test_every_message_is_one_line(text):
    for err in (ValueError(text), RuntimeError(text), KeyError(text), OSError(text)):
        line = explain(err, ["lr", "steps"])
        assert "\n" not in line and "\r" not in line and line == one_line(line) and line
