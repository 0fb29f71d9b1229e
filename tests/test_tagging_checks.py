"""The tagging checks (notebook 11): right answers pass, each known mistake is named in words, the package's own
answer is refused. The wrong answers are written as a student would write them (plain PyTorch), one switch each."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnlab.checks.core import ExerciseFailure
from rnnlab.checks.tagging import (
    _brute_force,
    check_log_partition,
    check_viterbi,
    log_partition_cases,
    viterbi_cases,
)
from rnnlab.models import crf


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)


# ---- Viterbi, as a student writes it ----------------------------------------------------------------------------

def viterbi(emissions, transitions, *, greedy=False, transposed=False, logsumexp=False, shift=False,
            reverse=True, last_from_emissions=False, drop_last=False, drop_first=False, extra=False,
            as_float=False, return_score=False, return_both=False, in_place=False, greedy_left_to_right=False,
            batch_axis=False, as_list=True, previous_emission=False):
    """The plain-PyTorch Viterbi of the notebook, with one known mistake switched on."""
    time, tags = emissions.shape
    if greedy:
        return emissions.argmax(-1)
    if greedy_left_to_right:
        path = [int(emissions[0].argmax())]
        for t in range(1, time):
            path.append(int((transitions[path[-1]] + emissions[t]).argmax()))
        return path
    trans = transitions.T if transposed else transitions
    if in_place:
        score = emissions[0]                                  # a view: += below writes into emissions
    else:
        score = emissions[0].clone()                          # (tags,)
    backpointers = []                                         # one (tags,) per step after the first
    for t in range(1, time):
        candidates = score[:, None] + trans                   # (from, to)
        if previous_emission:
            candidates = candidates + emissions[t][:, None] - emissions[t][None, :]
        best, came_from = candidates.max(dim=0)
        if logsumexp:
            best = candidates.logsumexp(dim=0)
        if in_place:
            score += best - score + emissions[t]
        else:
            score = best + emissions[t]
        backpointers.append(came_from)
    last = int(emissions[-1].argmax()) if last_from_emissions else int(score.argmax())
    if return_score:
        return score.max()
    path = [] if drop_last else [last]
    tag = last
    pointers = backpointers[1:] if drop_first else backpointers
    if shift:
        pointers = ([torch.arange(tags)] + backpointers)[:len(backpointers)]
    for bp in reversed(pointers):
        tag = int(bp[tag])
        path.append(tag)
    if extra:
        path.append(0)
    if drop_last:
        path = path[::-1]
        reverse = False
    if reverse:
        path = path[::-1]
    if return_both:
        return torch.tensor(path), score.max()
    if as_float:
        return torch.tensor(path, dtype=torch.float32)
    if batch_axis:
        return torch.tensor(path)[None, :]
    return path if as_list else torch.tensor(path)


def numpy_viterbi(emissions, transitions):
    """A right answer in numpy, returning a numpy int array."""
    e, tr = emissions.numpy(), transitions.numpy()
    score, back = e[0], []
    for t in range(1, len(e)):
        c = score[:, None] + tr
        back.append(c.argmax(0))
        score = c.max(0) + e[t]
    path = [int(score.argmax())]
    for b in reversed(back):
        path.append(int(b[path[-1]]))
    return np.array(path[::-1])


def test_the_cases_are_what_they_say():
    cases = {name: (e, t) for name, e, t in viterbi_cases()}
    assert cases["one word"][0].shape[0] == 1 and cases["one tag"][0].shape[1] == 1
    negative = cases["only negative scores"]
    assert (negative[0] < 0).all() and (negative[1] < 0).all()
    e, t = cases["a sentence of 5 words and 3 tags"]
    paths, scores = _brute_force(e, t)
    top = scores.topk(2).values
    assert float(top[0] - top[1]) >= 0.05                              # no near-tie: one right answer
    assert paths[int(scores.argmax())].tolist() != e.argmax(-1).tolist()   # the transitions matter here
    assert paths[int(scores.argmax())].tolist() == crf.viterbi(e, t)[0].tolist()


@pytest.mark.parametrize("answer", [
    viterbi, lambda e, t: viterbi(e, t, as_list=False), numpy_viterbi,
    lambda e, t: [np.int64(v) for v in viterbi(e, t)], lambda e, t: tuple(viterbi(e, t)),
    lambda e, t: torch.tensor(viterbi(e, t), dtype=torch.int32),
], ids=["list", "long tensor", "numpy", "numpy ints", "tuple", "int32 tensor"])
def test_right_viterbi_answers_pass(answer, capsys):
    assert check_viterbi(answer)
    assert "passed" in capsys.readouterr().out


VITERBI_MISTAKES = {
    "greedy argmax per step": (dict(greedy=True), "argmax of each step's emissions: the transitions are ignored"),
    "greedy left to right": (dict(greedy_left_to_right=True), "greedy, left to right"),
    "transitions transposed": (dict(transposed=True), "read the transitions as [j, i]"),
    "log-sum-exp instead of max": (dict(logsumexp=True), "not the log-sum-exp"),
    "backpointers one step off": (dict(shift=True), "one step off"),
    "emission of the previous tag": (dict(previous_emission=True), "for the PREVIOUS tag i"),
    "path reversed": (dict(reverse=False), "your path is reversed"),
    "last tag from the emissions": (dict(last_from_emissions=True), "the last step's emissions only"),
    "last tag missing": (dict(drop_last=True), "the last step's tag is missing"),
    "first tag missing": (dict(drop_first=True), "the first step's tag is missing"),
    "one tag too many": (dict(extra=True), "one tag too many"),
    "score instead of path": (dict(return_score=True), "It equals the best path's score"),
    "path and score": (dict(return_both=True), "return the path only"),
    "float tensor": (dict(as_float=True), "tag ids are integers"),
    "inputs modified in place": (dict(in_place=True), "changed its input `emissions` in place"),
}


@pytest.mark.parametrize("name", list(VITERBI_MISTAKES))
def test_each_viterbi_mistake_is_named(name, capsys):
    kwargs, words = VITERBI_MISTAKES[name]
    assert not check_viterbi(lambda e, t: viterbi(e, t, **kwargs))
    out = capsys.readouterr().out
    assert words in out, out
    assert "check itself failed" not in out


def test_list_of_floats_and_out_of_range_tags_are_named(capsys):
    assert not check_viterbi(lambda e, t: [float(v) for v in viterbi(e, t)])
    assert "holds floats" in capsys.readouterr().out
    assert not check_viterbi(lambda e, t: [v + e.shape[1] for v in viterbi(e, t)])
    assert "tags run from 0 to 2" in capsys.readouterr().out


def test_using_the_package_is_refused_whatever_the_name(capsys):
    from rnnlab.models.crf import viterbi as hidden

    assert not check_viterbi(lambda e, t: hidden(e, t)[0])
    assert "calls rnnlab.models.crf.viterbi" in capsys.readouterr().out
    layer = crf.CRF(3)

    def through_the_layer(e, t):
        with torch.no_grad():
            layer.transitions.copy_(t) if t.shape == (3, 3) else None
        return layer.decode(e)

    assert not check_viterbi(through_the_layer)
    assert "refused" in capsys.readouterr().out
    assert check_viterbi(viterbi)                           # the hook is gone afterwards: a right answer passes


def test_not_done_and_crashes_are_reported(capsys):
    def todo(e, t):
        raise NotImplementedError

    assert not check_viterbi(todo)
    assert "not done yet" in capsys.readouterr().out
    assert not check_viterbi(lambda e, t: e[5, 0])
    assert "your code raised IndexError" in capsys.readouterr().out


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailure, match="reversed"):
        check_viterbi(lambda e, t: viterbi(e, t, reverse=False))
    assert check_viterbi(viterbi)


# ---- the forward algorithm, as a student writes it --------------------------------------------------------------

def log_partition(emissions, transitions, *, use_max=False, no_transitions=False, probability_space=False,
                  no_first=False, no_last=False, final="logsumexp", transposed=False, return_z=False,
                  return_alpha=False, as_float=False, in_place=False, detach=False, previous_emission=False):
    """The plain-PyTorch forward algorithm of the notebook, with one known mistake switched on."""
    time, tags = emissions.shape
    if no_transitions:
        return emissions.logsumexp(dim=1).sum()
    trans = transitions.T if transposed else transitions
    if probability_space:                                   # exp, sum, log: overflows on large scores
        alpha = torch.exp(emissions[0])
        for t in range(1, time):
            alpha = (alpha[:, None] * torch.exp(trans)).sum(0) * torch.exp(emissions[t])
        return torch.log(alpha.sum())
    alpha = emissions[0] if in_place else (torch.zeros(tags) if no_first else emissions[0].clone())
    for t in range(1, time - 1 if no_last else time):
        candidates = alpha[:, None] + trans                 # (from, to)
        if previous_emission:                               # emissions[t] of the tag we come from: wrong
            reduced = (candidates + emissions[t][:, None]).logsumexp(0)
            alpha = reduced
            continue
        reduced = candidates.max(0).values if use_max else candidates.logsumexp(0)
        if in_place:
            alpha.copy_(reduced + emissions[t])             # alpha is emissions[0]: writes into the input
        else:
            alpha = reduced + emissions[t]
    if return_alpha:
        return alpha
    if use_max:
        final = "max"
    log_z = {"logsumexp": alpha.logsumexp(0), "sum": alpha.sum(), "max": alpha.max()}[final]
    if return_z:
        return log_z.exp()
    if detach:
        return log_z.detach()
    return log_z.item() if as_float else log_z


def test_right_log_partition_answers_pass(capsys):
    assert check_log_partition(log_partition)
    assert "passed" in capsys.readouterr().out

    def with_a_table(emissions, transitions):               # alphas written into a (time, tags) table
        alpha = torch.zeros(emissions.shape)
        alpha[0] = emissions[0]
        for t in range(1, emissions.shape[0]):
            alpha[t] = torch.logsumexp(alpha[t - 1][:, None] + transitions, dim=0) + emissions[t]
        return torch.logsumexp(alpha[-1], dim=0)

    assert check_log_partition(with_a_table)
    assert check_log_partition(lambda e, t: log_partition(e.double(), t.double()))   # float64 inside


def test_the_log_partition_cases_match_brute_force():
    for _, e, t in log_partition_cases():
        if e.shape[0] <= 6:
            want = float(torch.logsumexp(_brute_force(e, t)[1], 0))
            assert math.isclose(float(crf.log_partition(e.double(), t.double())), want, rel_tol=1e-9)


LOG_Z_MISTAKES = {
    "max instead of logsumexp": (dict(use_max=True), "the best path's score (the Viterbi score)"),
    "no transitions": (dict(no_transitions=True), "the transitions are missing"),
    "exp-sum-log": (dict(probability_space=True), "overflows float32"),
    "emission of the previous tag": (dict(previous_emission=True), "for the PREVIOUS tag i"),
    "first emissions missing": (dict(no_first=True), "the first step's emissions are missing"),
    "last step missing": (dict(no_last=True), "the last step is missing"),
    "final sum": (dict(final="sum"), "the end sums the final alphas"),
    "final max": (dict(final="max"), "the end takes the max of the final alphas"),
    "transposed": (dict(transposed=True), "read the transitions as [j, i]"),
    "Z instead of log Z": (dict(return_z=True), "you returned Z"),
    "the vector alpha": (dict(return_alpha=True), "the vector of final alphas"),
    "a Python float": (dict(as_float=True), "does not keep the autograd graph"),
    "detached": (dict(detach=True), "does not keep the autograd graph"),
    "inputs modified in place": (dict(in_place=True), "changed its input `emissions` in place"),
}


@pytest.mark.parametrize("name", list(LOG_Z_MISTAKES))
def test_each_log_partition_mistake_is_named(name, capsys):
    kwargs, words = LOG_Z_MISTAKES[name]
    assert not check_log_partition(lambda e, t: log_partition(e, t, **kwargs))
    out = capsys.readouterr().out
    assert words in out, out
    assert "check itself failed" not in out


def test_exp_sum_log_passes_the_small_cases_and_fails_only_on_large_scores(capsys):
    """The overflow is refused by name although every ordinary case is right: the lesson is log space."""
    for _, e, t in log_partition_cases():
        assert math.isclose(float(log_partition(e, t, probability_space=True)), float(crf.log_partition(e, t)),
                            rel_tol=1e-4, abs_tol=1e-4)
    assert not check_log_partition(lambda e, t: log_partition(e, t, probability_space=True))
    out = capsys.readouterr().out
    assert "large scores" in out and "torch.logsumexp" in out


def test_using_the_package_for_log_z_is_refused(capsys):
    assert not check_log_partition(lambda e, t: crf.log_partition(e, t))
    assert "calls rnnlab.models.crf.log_partition" in capsys.readouterr().out


# ---- the conventions of tests/test_checks_conversion.py, for these two checks -----------------------------------

WRONG_ANSWERS = {
    "None": lambda *a: None, "a string": lambda *a: "abc", "an empty tensor": lambda *a: torch.zeros(0),
    "a float": lambda *a: 0.5, "a ragged list": lambda *a: [[1.0], [1.0, 2.0]],
    "a nan array": lambda *a: np.full((3, 3), np.nan), "a tuple of strings": lambda *a: ("a", "b"),
    "a dict": lambda *a: {"x": 1}, "a complex tensor": lambda *a: torch.zeros(2, dtype=torch.complex64),
    "a nan": lambda *a: torch.tensor(float("nan")), "a bool": lambda *a: True,
}


@pytest.mark.parametrize("wrong", list(WRONG_ANSWERS))
@pytest.mark.parametrize("check", [check_viterbi, check_log_partition], ids=lambda c: c.__name__)
def test_a_wrong_answer_is_the_students_never_the_checks(check, wrong, capsys):
    assert not check(WRONG_ANSWERS[wrong])
    out = capsys.readouterr().out
    assert out.startswith("❌") and "check itself failed" not in out, out


@pytest.mark.parametrize("form", ["float64 inside", "numpy ints", "int32 tensor"])
def test_viterbi_in_any_form(form):
    answers = {"float64 inside": lambda e, t: viterbi(e.double(), t.double()),
               "numpy ints": lambda e, t: np.asarray(viterbi(e, t), dtype=np.int32),
               "int32 tensor": lambda e, t: torch.tensor(viterbi(e, t), dtype=torch.int32)}
    assert check_viterbi(answers[form])


def test_log_partition_in_float64_or_with_a_shape_1_result():
    assert check_log_partition(lambda e, t: log_partition(e, t).double())
    assert check_log_partition(lambda e, t: log_partition(e, t).reshape(1))


# ---- right answers in unusual forms pass; wrong ones are named (found by trying them) -----------------------

def batched_viterbi(emissions, transitions):
    """A right answer written for a batch: the sentence becomes a batch of one, the path comes back (1, time)."""
    e = emissions.unsqueeze(0)                                # (1, time, tags)
    score, back = e[:, 0], []
    for t in range(1, e.shape[1]):
        score, came_from = (score.unsqueeze(2) + transitions).max(1)   # (1, tags) each
        score = score + e[:, t]
        back.append(came_from)
    tag = score.argmax(-1)                                    # (1,)
    path = [tag]
    for bp in reversed(back):
        tag = bp.gather(1, tag[:, None]).squeeze(1)
        path.append(tag)
    return torch.stack(path[::-1], 1)                         # (1, time)


@pytest.mark.parametrize("form", ["(1, time) tensor", "[[...]] list", "(time, 1) column",
                                  "tuple of 1-element tensors"])
def test_a_batch_of_one_and_other_right_forms_pass(form, capsys):
    answers = {"(1, time) tensor": batched_viterbi,
               "[[...]] list": lambda e, t: batched_viterbi(e, t).tolist(),
               "(time, 1) column": lambda e, t: batched_viterbi(e, t).T,
               "tuple of 1-element tensors": lambda e, t: tuple(torch.tensor([v]) for v in viterbi(e, t))}
    assert check_viterbi(answers[form]), capsys.readouterr().out


def test_an_empty_path_and_a_huge_tag_id_are_named(capsys):
    assert not check_viterbi(lambda e, t: [])
    assert "your path is empty" in capsys.readouterr().out
    assert not check_viterbi(lambda e, t: [2 ** 70] * e.shape[0])
    assert "holds tag id 1180591620717411303424" in capsys.readouterr().out


def test_log_z_in_numpy_is_told_why_it_must_stay_in_torch(capsys):
    def numpy_log_partition(emissions, transitions):          # right values, no gradient possible
        e, tr = emissions.numpy(), transitions.numpy()
        alpha = e[0]
        for t in range(1, len(e)):
            c = alpha[:, None] + tr
            m = c.max(0)
            alpha = m + np.log(np.exp(c - m).sum(0)) + e[t]
        m = alpha.max()
        return m + np.log(np.exp(alpha - m).sum())

    assert not check_log_partition(numpy_log_partition)
    out = capsys.readouterr().out
    assert "right on every case" in out and "require gradients" in out and "check itself" not in out


def test_log_z_by_logaddexp_or_a_manual_stable_logsumexp_passes():
    def lse(x, dim):                                          # max + log(sum(exp(x - max))), by hand
        m = x.max(dim, keepdim=True).values.detach()
        return (m + (x - m).exp().sum(dim, keepdim=True).log()).squeeze(dim)

    def manual(e, tr):
        alpha = e[0]
        for t in range(1, e.shape[0]):
            alpha = lse(alpha[:, None] + tr, 0) + e[t]
        return lse(alpha, 0)

    def pairwise(e, tr):                                      # torch.logaddexp, tag by tag
        alpha = e[0]
        for t in range(1, e.shape[0]):
            new = []
            for j in range(e.shape[1]):
                acc = alpha[0] + tr[0, j]
                for i in range(1, e.shape[1]):
                    acc = torch.logaddexp(acc, alpha[i] + tr[i, j])
                new.append(acc + e[t, j])
            alpha = torch.stack(new)
        return torch.logsumexp(alpha, 0)

    assert check_log_partition(manual) and check_log_partition(pairwise)


def test_reducing_over_the_wrong_dim_and_zero_start_scores_are_named(capsys):
    def wrong_viterbi(emissions, transitions, *, dim=0, zero_start=False):   # numpy, as a student might write it
        e, tr = emissions.numpy(), transitions.numpy()
        score, back = (np.zeros_like(e[0]) if zero_start else e[0]), []
        for t in range(1, len(e)):
            c = score[:, None] + tr                           # (from, to)
            back.append(c.argmax(dim))
            score = c.max(dim) + e[t]
        path = [int(score.argmax())]
        for b in reversed(back):
            path.append(int(b[path[-1]]))
        return path[::-1]

    def wrong_log_z(emissions, transitions, dim=1):
        alpha = emissions[0]
        for t in range(1, emissions.shape[0]):
            alpha = torch.logsumexp(alpha[:, None] + transitions, dim=dim) + emissions[t]
        return torch.logsumexp(alpha, 0)

    assert not check_viterbi(lambda e, t: wrong_viterbi(e, t, dim=1))
    assert "over dim 1" in capsys.readouterr().out
    assert not check_viterbi(lambda e, t: wrong_viterbi(e, t, zero_start=True))
    assert "the first step's emissions are missing" in capsys.readouterr().out
    assert not check_log_partition(wrong_log_z)
    assert "over dim 1" in capsys.readouterr().out
    assert check_viterbi(wrong_viterbi) and check_log_partition(lambda e, t: wrong_log_z(e, t, dim=0))


def test_a_boolean_path_is_not_read_as_tags_0_and_1(capsys):
    assert not check_viterbi(lambda e, t: torch.tensor(viterbi(e, t)) > 0)   # was scored as a path of 0s and 1s
    assert "holds booleans" in capsys.readouterr().out
