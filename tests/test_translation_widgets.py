import json
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
import torch

from rnnlab.checks.core import ExerciseFailure
from rnnlab.checks.translation import check_additive_attention
from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.translation import TranslateConfig, run_translate, translate_texts
from rnnlab.viz.translation import plot_attention, plot_position_accuracy, plot_scores_by_length
from rnnlab.widgets.translation import attention_entropy, explain_translation, make_translation_widget

matplotlib.use("Agg")

TINY = dict(n_train=300, n_test=30, n_eval=10, hidden_size=8, embedding_dim=8, batch_size=16, steps=3,
            eval_every=3, progress=False)


@pytest.fixture(scope="module")
def trained():
    return run_translate(TranslateConfig(task="grammar", **TINY))


def test_experiment_reports_the_issue_metrics(trained):
    m = trained.metrics
    assert {"bleu", "exact_match", "combos_bleu", "combos_exact_match", "steps"} <= set(m)
    assert any(k.startswith("bleu_len_") for k in m) and any(k.startswith("exact_match_len_") for k in m)
    assert 0 <= m["bleu"] <= 100 and 0 <= m["exact_match"] <= 1
    assert "translate" in EXPERIMENTS


def test_experiment_is_seeded():
    a = run_translate(TranslateConfig(task="dates", attention=False, **TINY)).metrics
    b = run_translate(TranslateConfig(task="dates", attention=False, **TINY)).metrics
    a.pop("train_seconds"), b.pop("train_seconds")
    assert a == b


def test_experiment_rejects_bad_config():
    with pytest.raises(ValueError, match="task"):
        TranslateConfig(task="bible")
    with pytest.raises(ValueError, match="decode"):
        TranslateConfig(decode="sample")


@pytest.mark.slow
def test_command_line_runner():
    cmd = [sys.executable, "-m", "rnnlab.experiments", "translate", "--task", "dates", "--no-attention",
           "--decode", "beam", "--seed", "1", "--steps", "2", "--n-train", "200", "--n-test", "20",
           "--hidden-size", "8", "--no-progress"]
    record = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    assert record["config"]["attention"] is False and record["config"]["decode"] == "beam"
    assert {"bleu", "exact_match"} <= set(record["metrics"])


def test_explain_translation_good_and_bad_input(trained):
    model, data = trained.model, trained.data
    info = explain_translation(model, data, "the black cat eats the dog")
    assert info["ok"] and info["unknown"] == [] and isinstance(info["translation"], str)
    assert info["weights"].shape == (len(info["output_tokens"]), 6)
    assert np.allclose(info["weights"].sum(-1), 1.0, atol=1e-5)
    unk = explain_translation(model, data, "the zebra eats the dog", method="beam", beam_width=3)
    assert unk["ok"] and unk["unknown"] == ["zebra"] and "zebra" in unk["message"]
    for text, words in [("", "empty"), ("   ", "empty"), ("cat " * 100, "at most")]:
        out = explain_translation(model, data, text)
        assert not out["ok"] and words in out["message"]
    assert not explain_translation(model, data, "the cat", method="sample")["ok"]
    assert not explain_translation(model, data, "the cat", method="beam", beam_width=0)["ok"]
    assert not explain_translation(model, data, None)["ok"]


def test_widget_reacts(trained, capsys):
    widget = make_translation_widget(trained.model, trained.data, ["the black cat eats the dog"])
    text, pick, method, width, out = widget.children
    assert width.disabled  # greedy: no beam width
    method.value = "beam"
    assert not width.disabled
    width.value = 10
    text.value = "zebra zebra"
    text.value = ""
    pick.value = "the black cat eats the dog"
    assert text.value == "the black cat eats the dog"


def test_translate_texts_and_no_attention_widget():
    r = run_translate(TranslateConfig(task="dates", attention=False, **TINY))
    hyps, _ = translate_texts(r.model, r.data, ["1 May 2020", "2/3/2001"], method="beam", beam_width=2)
    assert len(hyps) == 2
    assert explain_translation(r.model, r.data, "1 May 2020")["weights"] is None
    with pytest.raises(TypeError, match="list of texts"):
        translate_texts(r.model, r.data, "1 May 2020")


def test_plots():
    fig = plot_attention(np.eye(3), ["a", "b", " "], ["x", "y", "z"], title="t")
    assert fig.axes[0].get_xlabel() == "source token"
    with pytest.raises(ValueError, match="target"):
        plot_attention(np.eye(3), ["a"], ["x", "y", "z"])
    fig = plot_scores_by_length({"a": {"1-5": 10.0, "6-10": 5.0}, "b": {"1-5": 12.0, "6-10": 11.0}},
                                counts={"1-5": 3, "6-10": 4})
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="buckets"):
        plot_scores_by_length({"a": {"1-5": 1.0}, "b": {"6-10": 1.0}})
    fig = plot_position_accuracy({"forced": [1.0, 0.9], "free": [1.0, 0.5]})
    assert len(fig.axes[0].lines) == 2
    assert np.allclose(attention_entropy(np.array([[1.0, 0.0], [0.5, 0.5]])), [0.0, np.log(2)])


def _solution(query, keys, mask, W_q, W_k, v):
    scores = v(torch.tanh(W_q(query)[:, None, :] + W_k(keys))).squeeze(-1)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1)
    return torch.bmm(weights[:, None], keys).squeeze(1), weights


def _no_mask(query, keys, mask, W_q, W_k, v):
    weights = torch.softmax(v(torch.tanh(W_q(query)[:, None, :] + W_k(keys))).squeeze(-1), -1)
    return torch.bmm(weights[:, None], keys).squeeze(1), weights


def _stub(query, keys, mask, W_q, W_k, v):
    raise NotImplementedError("score each key with the query")


def test_attention_check(monkeypatch, capsys):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_additive_attention(_solution)
    assert not check_additive_attention(_no_mask)
    assert "no padding mask" in capsys.readouterr().out
    assert not check_additive_attention(_stub)
    assert "not done yet" in capsys.readouterr().out
    assert not check_additive_attention(lambda *a: a[0])
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailure):
        check_additive_attention(_no_mask)
