"""The attention check names each known mistake (the wrong answers students tried: reviews/turn3/w07.py)."""

import pytest
import torch

from rnnlab.checks.translation import check_additive_attention


def _attend(query, keys, mask, W_q, W_k, v, *, tanh=True, mask_mode="before", dim=-1, projected=False,
            squeeze=True, fill=float("-inf")):
    pre = W_q(query)[:, None, :] + W_k(keys)
    scores = v(torch.tanh(pre) if tanh else pre)
    scores = scores.squeeze() if not squeeze else scores.squeeze(-1)
    if mask_mode == "before":
        scores = scores.masked_fill(~mask, fill)
    elif mask_mode == "inverted":
        scores = scores.masked_fill(mask, fill)
    weights = torch.softmax(scores, dim=dim)
    if mask_mode == "after":
        weights = weights * mask
    values = W_k(keys) if projected else keys
    context = torch.bmm(weights[:, None, :], values)
    return (context.squeeze() if not squeeze else context.squeeze(1)), weights


CASES = {
    "no mask": (dict(mask_mode="none"), "no padding mask"),
    "mask after the softmax": (dict(mask_mode="after"), "after the softmax"),
    "inverted mask": (dict(mask_mode="inverted"), "inverted"),
    "inverted mask, finite fill": (dict(mask_mode="inverted", fill=-1e9), "inverted"),
    "no tanh": (dict(tanh=False), "tanh"),
    "softmax over the batch": (dict(dim=0, fill=-1e9), "batch axis"),
    "context from W_k(keys)": (dict(projected=True), "W_k(keys)"),
    "bare squeeze": (dict(squeeze=False), "batch of one sentence"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_mistake_is_named(name, monkeypatch, capsys):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    kwargs, words = CASES[name]
    assert not check_additive_attention(lambda *a: _attend(*a, **kwargs))
    out = capsys.readouterr().out
    assert words in out, out
    assert "values differ" not in out


@pytest.mark.parametrize("fill", [float("-inf"), -1e9])
def test_right_answers_pass(fill, monkeypatch, capsys):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_additive_attention(lambda *a: _attend(*a, fill=fill))
    # renormalising after zeroing is a right answer too
    def renormalised(*a):
        _, w = _attend(*a, mask_mode="after")
        w = w / w.sum(-1, keepdim=True)
        return torch.bmm(w[:, None, :], a[1]).squeeze(1), w
    assert check_additive_attention(renormalised)
