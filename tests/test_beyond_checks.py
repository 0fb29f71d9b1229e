"""Notebook 10's graded checks name each known mistake (the wrong answers of the turn-3 review, w10.py)."""

import pytest
import torch

from rnnlab.checks.beyond import check_causal_attention, check_parallel_scan
from rnnlab.models.attention import attention_reference, causal_mask
from rnnlab.models.scan import linear_scan_sequential, parallel_scan_log


def _good_scan(log_a, log_b):
    a = torch.cumsum(log_a, 1)
    return torch.exp(a + torch.logcumsumexp(log_b - a, 1))


def _cumsum_not_lcse(log_a, log_b):
    a = torch.cumsum(log_a, 1)
    return torch.exp(a + torch.cumsum(log_b - a, 1))


def _forgot_a_star(log_a, log_b):
    a = torch.cumsum(log_a, 1)
    return torch.exp(torch.logcumsumexp(log_b - a, 1))


def _wrong_dim(log_a, log_b):
    a = torch.cumsum(log_a, -1)
    return torch.exp(a + torch.logcumsumexp(log_b - a, -1))


def _plus_instead_minus(log_a, log_b):
    a = torch.cumsum(log_a, 1)
    return torch.exp(a + torch.logcumsumexp(log_b + a, 1))


def _no_exp(log_a, log_b):
    a = torch.cumsum(log_a, 1)
    return a + torch.logcumsumexp(log_b - a, 1)


def _naive_cumprod(log_a, log_b):
    a, b = log_a.exp(), log_b.exp()
    P = torch.cumprod(a, 1)
    return P * torch.cumsum(b / P, 1)


def _exp_of_cumsum(log_a, log_b):            # products by exp(cumsum(log a)): no cumprod, same underflow
    P = torch.exp(torch.cumsum(log_a, 1))
    return P * torch.cumsum(log_b.exp() / P, 1)


def _python_loop(log_a, log_b):
    a, b = log_a.exp(), log_b.exp()
    h, out = torch.zeros_like(a[:, 0]), []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, 1)


def _package_loop(log_a, log_b):            # rnnlab's own sequential loop is a loop too
    return linear_scan_sequential(log_a.exp(), log_b.exp())


@pytest.mark.parametrize(("answer", "words"), [
    (_cumsum_not_lcse, "torch.cumsum where the sum of exponentials"),
    (_forgot_a_star, "forgot to add a* back"),
    (_wrong_dim, "time is dim=1"),
    (_plus_instead_minus, "sign error"),
    (_no_exp, "apply exp"),
    (_naive_cumprod, "torch.cumprod"),
    (_exp_of_cumsum, "T=300"),
    (_python_loop, "loops over time"),
    (_package_loop, "loops over time"),
])
def test_scan_check_names_the_mistake(answer, words, capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert not check_parallel_scan(answer)
    out = capsys.readouterr().out
    assert words in out, out


@pytest.mark.parametrize("answer", [_good_scan, parallel_scan_log])
def test_scan_check_passes_a_log_space_scan(answer, capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_parallel_scan(answer)
    assert "passed" in capsys.readouterr().out


def _att(scale_by="d", softmax_dim=-1, after=False, transpose=False, mask=True, fill=float("-inf")):
    def attention(q, k, v):
        T, d = q.shape[-2], q.shape[-1]
        s = (k @ q.transpose(-2, -1)) if transpose else (q @ k.transpose(-2, -1))
        s = s / {"d": d**0.5, "T": T**0.5, "none": 1.0}[scale_by]
        if after:
            return torch.softmax(s, -1) * causal_mask(T) @ v
        if mask:
            s = s.masked_fill(~causal_mask(T), fill)
        return torch.softmax(s, softmax_dim) @ v
    return attention


@pytest.mark.parametrize(("answer", "words"), [
    (_att(scale_by="none"), "not divided by sqrt(d_head)"),
    (_att(mask=False), "see the future"),
    (_att(softmax_dim=-2, fill=-1e9), "softmax runs over dim -2"),
    (_att(after=True), "after the softmax"),
    (_att(transpose=True), "k q^T"),
    (_att(scale_by="T"), "sqrt(T)"),
])
def test_attention_check_names_the_mistake(answer, words, capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert not check_causal_attention(answer)
    out = capsys.readouterr().out
    assert words in out, out
    assert check_causal_attention(attention_reference)
