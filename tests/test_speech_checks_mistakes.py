"""Notebook 09's exercise checks name each known mistake (issue 22): the wrong answers of
reviews/turn3/wrong-answers/w09.py and w09b.py and cases/turn3/ctc_blank_hint.py, one test each."""

import math
from functools import partial

import pytest
import torch
from solutions import ctc_nll

from rnnlab.checks.core import ExerciseFailure
from rnnlab.checks.ctc import LONG_CASES, check_ctc_forward, mistaken_nll, reference_nll
from rnnlab.checks.speech import check_ctc_collapse


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")            # a wrong answer raises, with the message


def message_of(check, fn) -> str:
    with pytest.raises(ExerciseFailure) as err:
        check(fn)
    return str(err.value)


# ------------------------------------------------------------------ the collapse B
def blanks_first(path, blank):
    p = [s for s in path if s != blank]
    out = []
    for s in p:
        if not out or out[-1] != s:
            out.append(s)
    return out


def dedupe_all(path, blank):
    out = []
    for s in path:
        if s != blank and s not in out:
            out.append(s)
    return out


def blank_zero(path, blank):
    out, prev = [], None
    for s in path:
        if s != prev and s != 0:
            out.append(s)
        prev = s
    return out


def prev_only_nonblank(path, blank):
    out, prev = [], None
    for s in path:
        if s != blank:
            if s != prev:
                out.append(s)
            prev = s
    return out


@pytest.mark.parametrize("fn, words", [
    (blanks_first, "merged equal labels across a blank"),
    (prev_only_nonblank, "not updating `previous` at a blank"),
    (dedupe_all, "kept each label only once"),
    (blank_zero, "treated class 0 as the blank, but this path's blank is 10"),
])
def test_each_collapse_mistake_is_named(fn, words):
    assert words in message_of(check_ctc_collapse, fn)


# ------------------------------------------------------------------ the alpha recursion
def make_nll(**mistake):
    """The student's recursion of w09.py with one mistake switched on."""
    return partial(ctc_nll, **mistake)


def prob_space_products(log_probs, target, blank):     # w09b.py: no logs at all
    p = log_probs.exp()
    ext = [blank]
    for y in target:
        ext += [y, blank]
    steps, positions = p.shape[0], len(ext)
    alpha = torch.zeros((steps, positions), dtype=p.dtype)
    alpha[0, 0] = p[0, blank]
    if positions > 1:
        alpha[0, 1] = p[0, ext[1]]
    for t in range(1, steps):
        for s in range(positions):
            a = alpha[t - 1, s]
            if s >= 1:
                a = a + alpha[t - 1, s - 1]
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                a = a + alpha[t - 1, s - 2]
            alpha[t, s] = a * p[t, ext[s]]
    return -math.log(float(alpha[steps - 1, max(positions - 2, 0):].sum()))


def prob_space_clamped(log_probs, target, blank):       # the same, with a guard against log(0)
    try:
        return prob_space_products(log_probs, target, blank)
    except ValueError:
        return -math.log(1e-300)


def torch_with_blank_zero(log_probs, target, blank):    # cases/turn3/ctc_blank_hint.py
    return float(torch.nn.functional.ctc_loss(
        log_probs[:, None], torch.tensor([target]).reshape(1, -1), torch.tensor([len(log_probs)]),
        torch.tensor([len(target)]), blank=0, reduction="sum"))


@pytest.mark.parametrize("fn, words", [
    (make_nll(skip_equal=True), "allowed only when the labels at s and s-2 differ"),
    (make_nll(end_last_only=True), "not alpha_T[S-1] alone"),
    (make_nll(no_init1=True), "alpha_1(1) = p_1(y_1)"),
    (make_nll(prob_space=True), "works with probabilities, not their logarithms"),
    (prob_space_products, "works with probabilities, not their logarithms"),
    (prob_space_clamped, "works with probabilities, not their logarithms"),
    (make_nll(blank_zero=True), "you used class 0 as the blank, but this case's blank is 4"),
    (torch_with_blank_zero, "you used class 0 as the blank, but this case's blank is 4"),
], ids=["skip-equal", "end-last", "no-init1", "log-exp-sum", "products", "clamped", "blank0", "torch-blank0"])
def test_each_ctc_mistake_is_named(fn, words):
    text = message_of(check_ctc_forward, fn)
    assert words in text
    if "blank" in words:
        assert "repeated label" not in text and "labels at s and s-2" not in text


def test_the_probability_space_answer_passes_every_short_case_so_only_the_long_ones_refuse_it():
    from rnnlab.checks.ctc import CTC_CASES

    for _, (lp, target, blank) in CTC_CASES:
        assert prob_space_products(lp, target, blank) == pytest.approx(reference_nll(lp, target, blank), rel=1e-6)
    lp, target, blank = LONG_CASES[0][1]
    assert lp.dtype == torch.float32 and len(lp) >= 50
    with pytest.raises(ValueError):                      # p underflows float32: log(0)
        prob_space_products(lp, target, blank)


def test_the_log_space_answer_passes_including_the_long_cases():
    assert check_ctc_forward(make_nll())
    assert check_ctc_forward(lambda lp, target, blank: mistaken_nll(lp, target, blank))


def test_mistaken_nll_without_mistakes_is_torchs_ctc():
    g = torch.Generator().manual_seed(3)
    for target, blank in (([1, 1, 2], 0), ([], 0), ([2, 0, 0], 3)):
        lp = torch.log_softmax(torch.randn(9, 4, generator=g, dtype=torch.float64), -1)
        assert mistaken_nll(lp, target, blank) == pytest.approx(reference_nll(lp, target, blank), rel=1e-9)
    assert mistaken_nll(lp, [1, 1], 0, skip_equal=True) != pytest.approx(reference_nll(lp, [1, 1], 0))
