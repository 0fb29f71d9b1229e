"""Every exercise check accepts a correct answer in float32, float64, numpy or torch, and never blames the student
for its own failure (issue 15, kind B).

Each check gets its reference solution (the fixture table below) wrapped so that it returns its answer in one
of the four forms; the check must say ✅. A new check module must add its checks to REFERENCES.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch
from solutions import gru_step, lstm_step

import rnnlab.checks
from rnnlab.checks import ExerciseFailure, as_reference, call_student, check_exercise
from rnnlab.checks.beyond import check_causal_attention, check_parallel_scan, check_ssm_step, ssm_step_reference
from rnnlab.checks.bptt import (
    check_clip_gradients,
    check_jacobian_product,
    check_numerical_gradient,
    check_rnn_backward,
)
from rnnlab.checks.cells import check_gru_cell, check_lstm_cell
from rnnlab.checks.forecast import check_mase, check_windows
from rnnlab.checks.recurrence import check_rnn_forward, check_rnn_step
from rnnlab.checks.sentiment import check_bag_of_words, check_last_real_state
from rnnlab.checks.speech import check_ctc_collapse, check_edit_distance
from rnnlab.checks.tagging import check_log_partition, check_viterbi
from rnnlab.checks.textgen import check_bits_per_char, check_temperature_softmax
from rnnlab.checks.translation import check_additive_attention
from rnnlab.data.windows import make_windows, origins
from rnnlab.gradcheck import numerical_gradient
from rnnlab.metrics.edit_distance import edit_distance
from rnnlab.metrics.forecast import mase
from rnnlab.metrics.language import bits_per_char
from rnnlab.models.attention import attention_reference
from rnnlab.models.charlm import next_char_distribution
from rnnlab.models.classifier import bag_of_words, last_real_state
from rnnlab.models.ctc import collapse
from rnnlab.models.numpy_rnn import clip_grad_norm, rnn_backward, rnn_hidden_states, rnn_step
from rnnlab.models.scan import parallel_scan_log

pytestmark = pytest.mark.usefixtures("lenient_checks")


# ---- reference solutions, one per check ----------------------------------------------------------------------

def _backward(dy, x, h0, hs, W_hh, W_hy):
    params = {"W_xh": np.zeros((W_hh.shape[0], x.shape[2])), "W_hh": W_hh, "b_h": np.zeros(W_hh.shape[0]),
              "W_hy": W_hy, "b_y": np.zeros(W_hy.shape[0])}
    return rnn_backward(params, {"x": x, "h0": h0, "hs": hs, "a": np.arctanh(hs), "activation": "tanh"}, dy)


def _jacobian_product(W_hh, hs, k):
    J = np.eye(W_hh.shape[0])
    for h in hs[::-1][:k]:
        J = J @ (np.diag(1 - h**2) @ W_hh)
    return J


def _additive(query, keys, mask, W_q, W_k, v):
    scores = v(torch.tanh(W_q(query)[:, None, :] + W_k(keys))).squeeze(-1)        # (batch, S)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)       # (batch, S)
    return (weights[:, :, None] * keys).sum(1), weights


def _viterbi(emissions, transitions):
    """Plain Viterbi (the package's is refused inside a check): best path of (time, tags) scores."""
    score, back = emissions[0], []
    for t in range(1, emissions.shape[0]):
        total = score[:, None] + transitions + emissions[t][None, :]      # (previous tag, tag)
        score, best = total.max(0)
        back.append(best)
    path = [int(score.argmax())]
    for best in reversed(back):
        path.append(int(best[path[-1]]))
    return path[::-1]


def _log_partition(emissions, transitions):
    """Plain forward algorithm: log of the sum over every tag path of exp(its score)."""
    alpha = emissions[0]
    for t in range(1, emissions.shape[0]):
        alpha = torch.logsumexp(alpha[:, None] + transitions, dim=0) + emissions[t]
    return torch.logsumexp(alpha, dim=0)


REFERENCES = {
    check_rnn_step: rnn_step,
    check_rnn_forward: rnn_hidden_states,
    check_rnn_backward: _backward,
    check_numerical_gradient: numerical_gradient,
    check_jacobian_product: _jacobian_product,
    check_clip_gradients: lambda g, threshold: clip_grad_norm(g, threshold)[0],
    check_lstm_cell: lstm_step,
    check_gru_cell: gru_step,
    check_windows: lambda y, L, H: make_windows(y, origins(0, len(y), L, H), L, H),
    check_mase: mase,
    check_bag_of_words: bag_of_words,
    check_last_real_state: lambda outputs, lengths: last_real_state(outputs, lengths, bidirectional=False),
    check_ctc_collapse: collapse,
    check_edit_distance: edit_distance,
    check_bits_per_char: bits_per_char,
    check_temperature_softmax: next_char_distribution,
    check_additive_attention: _additive,
    check_parallel_scan: lambda log_a, log_b: parallel_scan_log(log_a, log_b),
    check_ssm_step: ssm_step_reference,
    check_causal_attention: attention_reference,
    check_viterbi: _viterbi,
    check_log_partition: _log_partition,
}
NEEDS_AUTOGRAD = {check_lstm_cell, check_gru_cell, check_log_partition}  # gradients through the answer: torch only


def _convert(x, form: str):
    """The answer `x` as the student might return it: float32, float64, numpy or torch."""
    if isinstance(x, dict):
        return {k: _convert(v, form) for k, v in x.items()}
    if isinstance(x, tuple | list) and any(isinstance(v, np.ndarray | torch.Tensor) for v in x):
        return type(x)(_convert(v, form) for v in x)
    if isinstance(x, list) and form in ("numpy", "torch"):        # a list of labels
        return np.asarray(x, dtype=np.int64) if form == "numpy" else torch.tensor(x, dtype=torch.long)
    if isinstance(x, int | float) and not isinstance(x, bool):
        return {"float32": np.float32(x), "float64": float(x), "numpy": np.asarray(x),
                "torch": torch.tensor(x)}[form]
    if isinstance(x, torch.Tensor):
        if form == "numpy":
            return x.detach().numpy()
        if form in ("float32", "float64") and x.is_floating_point():
            return x.to(torch.float32 if form == "float32" else torch.float64)
        return x
    if isinstance(x, np.ndarray):
        if form == "torch":
            return torch.from_numpy(x)
        if form in ("float32", "float64") and x.dtype.kind == "f":
            return x.astype(np.float32 if form == "float32" else np.float64)
    return x


def _in_form(fn, form):
    return lambda *args: _convert(fn(*args), form)


@pytest.mark.parametrize("form", ["float32", "float64", "numpy", "torch"])
@pytest.mark.parametrize("check", list(REFERENCES), ids=lambda c: c.__name__)
def test_every_check_accepts_a_correct_answer_in_any_form(check, form, capsys):
    if form == "numpy" and check in NEEDS_AUTOGRAD:
        pytest.skip("the check takes gradients through the answer: a numpy answer cannot be right")
    if form == "float32" and check in (check_rnn_backward, check_jacobian_product):
        pytest.skip("the reference gradients are float64 and compared to 1e-8: float32 cannot reach that")
    assert check(_in_form(REFERENCES[check], form)), capsys.readouterr().out
    assert "✅" in capsys.readouterr().out


def test_every_check_has_a_reference_solution_here():
    found = set()
    for info in pkgutil.iter_modules(rnnlab.checks.__path__):
        module = importlib.import_module(f"rnnlab.checks.{info.name}")
        found |= {f for name, f in inspect.getmembers(module, inspect.isfunction)
                  if name.startswith("check_") and f.__module__ == module.__name__ and f is not check_exercise}
    known = {f.__module__ for f in REFERENCES}
    missing = sorted(f"{f.__module__}.{f.__name__}" for f in found - set(REFERENCES) if f.__module__ in known)
    assert not missing, f"add a reference solution to REFERENCES for {missing}"


def test_the_issue_examples_pass(capsys):
    assert check_temperature_softmax(lambda logits, t: torch.softmax(logits.double() / t, dim=-1))
    assert check_last_real_state(lambda out, lengths: out.double().numpy()[np.arange(len(lengths)),
                                                                           lengths.numpy() - 1])


WRONG_ANSWERS = {
    "None": lambda *a: None,
    "a string": lambda *a: "abc",
    "an empty tensor": lambda *a: torch.zeros(0),
    "a float": lambda *a: 0.5,
    "a ragged list": lambda *a: [[1.0], [1.0, 2.0]],
    "a nan array": lambda *a: np.full((3, 3), np.nan),
    "a tuple of strings": lambda *a: ("a", "b"),
    "a dict": lambda *a: {"x": 1},
    "a complex tensor": lambda *a: torch.zeros(2, dtype=torch.complex64),
}


@pytest.mark.parametrize("wrong", list(WRONG_ANSWERS))
@pytest.mark.parametrize("check", list(REFERENCES), ids=lambda c: c.__name__)
def test_a_wrong_answer_is_the_students_never_the_checks(check, wrong, capsys):
    assert not check(WRONG_ANSWERS[wrong])
    out = capsys.readouterr().out
    assert out.startswith("❌") and "check itself failed" not in out, out


def test_a_crash_inside_the_students_code_is_reported_as_theirs(capsys):
    assert not check_rnn_step(lambda *a: np.zeros(3) @ np.zeros(4))
    out = capsys.readouterr().out
    assert "your code raised ValueError" in out and "check itself" not in out


def test_a_bug_in_the_check_is_reported_as_the_checks(capsys, monkeypatch):
    def buggy_check():
        raise RuntimeError("Double did not match Float")     # the checker's own error, not the student's

    assert not check_exercise("demo", buggy_check)
    out = capsys.readouterr().out
    assert "the check itself failed" in out and "your code raised" not in out
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")
    with pytest.raises(RuntimeError, match="Double did not match Float"):
        check_exercise("demo", buggy_check)
    with pytest.raises(ExerciseFailure, match="your code raised ZeroDivisionError"):
        check_exercise("demo", lambda: call_student(lambda: 1 / 0))


def test_as_reference_converts_library_dtype_and_keeps_autograd():
    like = torch.zeros(2, dtype=torch.float32)
    got = as_reference(np.array([1.0, 2.0]), like)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float32 and got.tolist() == [1.0, 2.0]
    w = torch.ones(2, dtype=torch.float64, requires_grad=True)
    assert as_reference(w * 3, like).requires_grad
    assert as_reference(torch.tensor([1.0, 2.5]), np.zeros(2)).dtype == np.float64
    # an integer reference does not cut a float answer to whole numbers: 1.9 stays 1.9 and fails the comparison
    assert as_reference(np.array([1.9]), torch.zeros(1, dtype=torch.long)).dtype == torch.float64
    assert as_reference(np.array([2.0]), torch.zeros(1, dtype=torch.long)).dtype == torch.long
    assert as_reference(torch.tensor(3.0), 1.0) == 3.0 and isinstance(as_reference(np.int64(4), 1), int)
    assert as_reference("text", like) == "text"


def test_a_crash_in_a_students_function_called_directly_is_still_theirs(capsys):
    """A check module that calls the student's function without call_student still blames the right party."""
    def my_step(x, h, Wx, Wh, b):                       # the student's code: a notebook cell or, here, a test
        return x @ Wh                                    # a shape error inside the student's code

    def check_body():                                    # a check's body that calls the student's function directly
        my_step(np.zeros((2, 2)), None, None, np.zeros((3, 3)), None)

    assert not check_exercise("demo", check_body)
    out = capsys.readouterr().out
    assert "your code raised ValueError" in out and "check itself" not in out
