"""The failing user inputs of round 3 (issue 24; ../shared/cases/turn3/README.md), each one a test.

Every case is replayed here in-process, or, where its replay needs a kernel, a network download or the
speech model, named in CASE_TESTS with the tests that replay it (and this file checks those tests exist, so a
rename cannot drop a case silently). The case files that a replay reads are copied into tests/data/cases, so
that `make test` passes from a clean clone.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from rnnlab.data.timeseries import load_csv
from rnnlab.experiments import forecast as forecast_experiment
from rnnlab.experiments.__main__ import main
from rnnlab.experiments.forecast import ForecastConfig, run_forecast
from rnnlab.experiments.long_range import AddingConfig, CopyConfig
from rnnlab.models.classifier import last_real_state

TESTS = Path(__file__).parent
CASES = TESTS / "data" / "cases"

# case -> the tests that replay it (file::function); each must exist
CASE_TESTS = {
    "digits_16k.wav": ["test_speech_own_data.py::test_a_recording_at_any_rate_and_layout_reads_as_at_8k",
                       "test_speech_own_data.py::test_a_wave_from_load_wav_remembers_its_rate_and_features_refuse_"
                       "another"],
    "digits_float32.wav": ["test_speech_own_data.py::test_read_wav_reads_every_common_depth_and_channel_count",
                           "test_speech_own_data.py::test_wave_format_extensible_is_read"],
    "monthly_ms.csv": ["test_forecast_own_data.py::test_monthly_case_infers_twelve_and_prints_it"],
    "utf16.csv": ["test_forecast_own_data.py::test_utf16_case_is_read_by_its_byte_order_mark"],
    "huge_1e200.csv": ["test_forecast_own_data.py::test_huge_values_are_named_by_column_not_by_an_internal_name"],
    "diverged training": ["test_cli_errors.py::test_diverged_training_from_the_command_line_names_lr"],
    "tilde_and_missing_path.sh": ["test_cli_errors.py::test_tilde_in_a_path_option_is_expanded",
                                  "test_cli_errors.py::test_missing_file_or_folder_is_one_line_naming_the_option"],
    "stateful_no_detach.py": ["test_train.py::test_case_stateful_no_detach_with_the_course_classes"],
    "speech_student_models.py": ["test_speech_own_data.py::test_a_model_without_log_softmax_is_refused",
                                 "test_speech_own_data.py::test_a_model_that_mixes_the_batch_is_caught"],
    "bidir_last_state.py": ["test_sentiment_own_data.py::test_the_case_bidir_last_state_same_last_word_different_"
                            "reviews"],
    "beam_toy.py": ["test_translation_own_data.py::test_a_hypothesis_that_never_ends_never_outranks_a_finished_one"],
    "bleu_short.py": ["test_translation_own_data.py::test_perfect_short_translations_score_100_and_say_the_order"],
    "own_pairs_bleu.py": ["test_translation_own_data.py::test_a_perfect_model_on_raw_pairs_scores_100_under_any_"
                          "task_name"],
    "sentiment_curly_apostrophe.py": ["test_sentiment_own_data.py::test_the_case_curly_apostrophe_keeps_the_negation"],
    "ctc_blank_hint.py": ["test_speech_checks_mistakes.py::test_each_ctc_mistake_is_named"],
    "widget_flood.py": ["test_widgets_flood.py::test_case_widget_flood_replayed_as_the_front_end_sends_it"],
    "double_figure.py": ["test_viz.py::test_case_double_figure_in_a_kernel"],
    "jl4_with_ipywidgets7.sh": ["test_widgets_compat.py::test_every_extra_with_jupyterlab_4_asks_for_widgets_it_can_"
                                "load"],
}


@pytest.fixture(autouse=True)
def _messages_said_afresh():
    forecast_experiment._SEASONS_SAID.clear()
    yield


def _functions(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("case", sorted(CASE_TESTS))
def test_every_case_has_its_tests(case):
    for ref in CASE_TESTS[case]:
        file, function = ref.split("::")
        assert (TESTS / file).exists(), f"{case}: {file} is gone"
        assert function in _functions(TESTS / file), f"{case}: {ref} is gone (renamed? update CASE_TESTS)"


def test_every_case_of_the_readme_is_listed():
    """The 18 rows of the README's table (main 4897718)."""
    assert len(CASE_TESTS) == 18


# --- replays in-process --------------------------------------------------------------------------------------

def test_bidir_last_state_cannot_be_read_one_way_without_saying_so():
    """The case: last_real_state(out, L) on a BiGRU's outputs took a backward half that had read one word. The
    flag is now required: the case's own call is refused by name, and with the RNN's flag it is h_n."""
    torch.manual_seed(0)
    emb, gru = nn.Embedding(20, 8), nn.GRU(8, 4, batch_first=True, bidirectional=True)
    lengths = torch.tensor([5])
    halves = []
    with torch.no_grad():
        for ids in ([[3, 4, 5, 6, 9]], [[11, 12, 13, 14, 9]]):           # different reviews, same last word
            out, h = gru(emb(torch.tensor(ids)))
            with pytest.raises(TypeError, match="bidirectional"):
                last_real_state(out, lengths)                              # the case's call, as it was written
            both = last_real_state(out, lengths, bidirectional=gru.bidirectional, hidden_size=gru.hidden_size)
            torch.testing.assert_close(both[0, 4:], h[1, 0])              # the backward final state
            halves.append(both[0, 4:])
    assert not torch.allclose(halves[0], halves[1], atol=1e-3)


@pytest.mark.parametrize("experiment, value, words", [("adding", "-1", "> 0"), ("adding", "0", "> 0"),
                                                      ("copy", "-1", "[0, 1]"), ("copy", "1.5", "[0, 1]")])
def test_stop_at_out_of_range_is_one_line_naming_the_option(experiment, value, words, capsys):
    """`python -m rnnlab.experiments adding --stop-at -1` was accepted and trained for all its steps."""
    with pytest.raises(SystemExit):
        main([experiment, "--stop-at", value, "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "stop_at (--stop-at)" in err and words in err
    assert AddingConfig(stop_at=0.5).stop_at == 0.5 and CopyConfig(stop_at=0.0).stop_at == 0.0


@pytest.mark.parametrize("model", ["seasonal_naive", "ets"])
def test_monthly_ms_seasonal_models_use_twelve_not_persistence(model, capsys):
    kw = dict(csv=str(CASES / "forecast_monthly_ms.csv"), target="sales", horizon=12, lookback=24, progress=False)
    r = run_forecast(ForecastConfig(model=model, **kw))
    persistence = run_forecast(ForecastConfig(model="persistence", **kw))
    assert r.season == 12 and "season m = 12" in capsys.readouterr().out
    assert r.mae < 0.5 * persistence.mae                                  # 3.55 / 2.73 against 9.29


def test_utf16_is_read_by_its_mark():
    series = load_csv(CASES / "forecast_utf16.csv", "date", "temp", verbose=False)
    assert len(series) > 100 and np.isfinite(series.to_numpy()).all()


def test_huge_values_name_the_column_and_overflow():
    with pytest.raises(ValueError, match=r"column 'value' .*too large to standardise"):
        run_forecast(ForecastConfig(csv=str(CASES / "forecast_huge_1e200.csv"), target="value", model="linear",
                                    horizon=7, lookback=28, progress=False))


def test_diverged_training_names_the_step_and_lr():
    with pytest.raises(Exception, match=r"diverged at step \d+ .*--lr"):
        run_forecast(ForecastConfig(series="seattle_daily", model="gru", steps=40, eval_every=20, lr=1e20,
                                    clip_grad_norm=None, progress=False))


def test_tilde_is_expanded_and_a_missing_csv_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    days = pd.date_range("2021-01-01", periods=60, freq="D")
    (tmp_path / "mine.csv").write_text("date,temp\n" + "".join(f"{d:%Y-%m-%d},{np.sin(i):.3f}\n"
                                                               for i, d in enumerate(days)))
    assert len(load_csv("~/mine.csv", "date", "temp", verbose=False)) == 60
    done = subprocess.run([sys.executable, "-m", "rnnlab.experiments", "forecast", "--csv", str(tmp_path / "no.csv"),
                           "--target", "temp", "--model", "linear", "--no-progress"], capture_output=True, text=True)
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1
    assert "--csv" in done.stderr and "Traceback" not in done.stderr


def test_a_trading_day_csv_is_regular_and_forecasts_past_its_data(tmp_path, capsys):
    """Issue 24 (c): stock prices have no weekend rows; they are business days (season 5), not gaps."""
    days = pd.bdate_range("2021-01-04", "2021-06-30").difference(pd.DatetimeIndex(["2021-01-18", "2021-02-15",
                                                                                     "2021-04-02", "2021-05-31"]))
    path = tmp_path / "prices.csv"
    path.write_text("date,close\n" + "".join(f"{d:%Y-%m-%d},{100 + np.sin(i) + i / 10:.3f}\n"
                                             for i, d in enumerate(days)))
    r = run_forecast(ForecastConfig(csv=str(path), target="close", model="linear", horizon=5, lookback=10,
                                    future=True, progress=False))
    out = capsys.readouterr().out
    assert r.freq == "B" and r.season == 5 and "weekends are not gaps" in out and "4 weekday(s) have no row" in out
    assert list(r.future.index) == list(pd.bdate_range("2021-07-01", periods=5))   # Thu 1 July ... Wed 7 July
    assert "  Thu 2021-07-01  " in out and "  Mon 2021-07-05  " in out
