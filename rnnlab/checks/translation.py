"""Exercise check for the translation notebook: additive attention with masking (Bahdanau et al. 2015).

The check recognises the mistakes this exercise is known for and names them (each is a unit test in
tests/test_translation_checks.py, from the wrong answers students tried): no padding mask, a mask applied after
the softmax (weights that no longer sum to 1), an inverted mask, a missing tanh, the softmax over the batch axis,
the context summed from the projected keys W_k(keys) instead of the keys, and a bare `.squeeze()` that breaks a
batch of one sentence.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, name_mistake, student_answer
from rnnlab.models.seq2seq import AdditiveAttention


def _variants(ref: AdditiveAttention, query: torch.Tensor, keys: torch.Tensor,
              mask: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """(context, weights) of the right answer and of each known mistake, on one input."""
    with torch.no_grad():
        pre = ref.W_q(query)[:, None, :] + ref.W_k(keys)                              # (batch, S, A)
        scores = ref.v(torch.tanh(pre)).squeeze(-1)                                     # (batch, S)
        no_tanh = ref.v(pre).squeeze(-1)

        def ctx(w: torch.Tensor, k: torch.Tensor = keys) -> torch.Tensor:
            return torch.bmm(w[:, None, :], k).squeeze(1)

        right = scores.masked_fill(~mask, float("-inf")).softmax(-1)
        out = {"right": (ctx(right), right)}
        w = scores.softmax(-1)
        out["no mask"] = (ctx(w), w)
        w = scores.softmax(-1) * mask
        out["after softmax"] = (ctx(w), w)
        w = (scores.softmax(-1) * mask)
        w = w / w.sum(-1, keepdim=True)
        out["after softmax, renormalised"] = (ctx(w), w)             # equal to right: not a mistake (skipped)
        w = no_tanh.masked_fill(~mask, float("-inf")).softmax(-1)
        out["no tanh"] = (ctx(w), w)
        w = scores.masked_fill(~mask, -1e9).softmax(0)
        out["softmax dim 0"] = (ctx(w), w)
        w = scores.masked_fill(mask, -1e9).softmax(-1)               # inverted (finite: -inf would give NaN rows)
        out["inverted"] = (ctx(w), w)
    return out


def check_additive_attention(fn: Callable) -> bool:
    """`fn(query, keys, mask, W_q, W_k, v) -> (context, weights)` must equal rnnlab's AdditiveAttention.

    query (batch, Q), keys (batch, S, K), mask (batch, S) True at real tokens; W_q, W_k, v are nn.Linear.
    Prints a verdict naming the mistake (see the module docstring) and returns whether the answer passed.
    """
    def test() -> None:
        g = torch.Generator().manual_seed(0)
        B, S, Q, K, A = 3, 6, 5, 4, 7
        ref = AdditiveAttention(Q, K, A)
        with torch.no_grad():
            for p in ref.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        query, keys = torch.randn(B, Q, generator=g), torch.randn(B, S, K, generator=g)
        lengths = torch.tensor([6, 4, 2])
        mask = torch.arange(S)[None, :] < lengths[:, None]                         # (batch, S)
        keys[~mask] = 0.0
        want_c, want_w = _variants(ref, query, keys, mask)["right"]
        like = (want_c, want_w)

        def attend(query: torch.Tensor, keys: torch.Tensor,
                   mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            with torch.no_grad():
                out = student_answer(fn, query, keys, mask, ref.W_q, ref.W_k, ref.v, like=like)  # as tensors
            if not isinstance(out, tuple | list) or len(out) != 2:
                raise ExerciseFailure(f"return (context, weights), a tuple of two tensors; got {type(out).__name__}")
            context, weights = out
            for name, got in (("context", context), ("weights", weights)):
                if not isinstance(got, torch.Tensor):
                    raise ExerciseFailure(f"{name} should be a torch tensor, got {type(got).__name__}")
            return context, weights

        context, weights = attend(query, keys, mask)
        variants = _variants(ref, query, keys, mask)
        if tuple(context.shape) == (B, A) and tuple(weights.shape) == (B, S):
            raise ExerciseFailure(f"context has shape {tuple(context.shape)}: it is a weighted sum of W_k(keys) "
                                  f"(size A={A}); sum the keys themselves, torch.bmm(weights[:, None, :], keys), "
                                  f"shape (batch, K={K})")
        if tuple(weights.shape) == (B, S) and not bool(torch.isfinite(weights).all()):
            full = mask.all(-1)                                # sentences without padding (row 0 here)
            finite_rows = torch.isfinite(weights).all(-1)
            on_padding = (weights * ~mask).nan_to_num(0.0).sum(-1)  # weight on padded positions, per row
            if bool((~finite_rows[full]).all()) and bool((on_padding[~full & finite_rows] > 0.99).all()):
                raise ExerciseFailure("the mask is inverted: a sentence without padding gets NaN weights (every "
                                      "score -inf) and a padded one puts its weight on the padding; set the scores "
                                      "to -inf where mask is False, (masked_fill(~mask, ...)), not where it is True")
            raise ExerciseFailure("weights contain NaN or infinite values: give -inf only to padded positions "
                                  "(masked_fill(~mask, float('-inf'))) before the softmax")
        if tuple(weights.shape) == (B, S):
            name_mistake(weights, [
                (variants["no mask"][1], "padded source positions get weight: there is no padding mask; set the "
                 "scores of padded positions to -inf (scores.masked_fill(~mask, float('-inf'))) before the "
                 "softmax"),
                (variants["after softmax"][1], "the mask is applied after the softmax: the weights of a padded "
                 "sentence no longer sum to 1; mask the scores with -inf before the softmax instead"),
                (variants["inverted"][1], "the mask is inverted: the weight sits on the padded positions; mask "
                 "where mask is False (~mask)"),
                (variants["no tanh"][1], "the scores miss the tanh: e_j = v(tanh(W_q(query) + W_k(keys))); without "
                 "it the score is linear in the query and the keys"),
                (variants["softmax dim 0"][1], "the softmax runs over the batch axis (dim 0): each column sums to "
                 "1, not each row; take it over the source positions, softmax(dim=-1)"),
            ], reference=want_w, atol=1e-5)
        compare_arrays("weights", weights, want_w, atol=1e-5)
        if not torch.allclose(weights.sum(-1), torch.ones(B), atol=1e-5):
            raise ExerciseFailure("each row of weights must sum to 1 (a softmax over source positions)")
        compare_arrays("context", context, want_c, atol=1e-5)
        # a padded position must get weight 0 even when its key is large: masking, not luck
        keys2 = keys.clone()
        keys2[~mask] = 10.0
        _, w2 = attend(query, keys2, mask)
        if float(w2[~mask].abs().max()) > 1e-6:
            raise ExerciseFailure("padded source positions get non-zero weight when their keys are large: set "
                                  "their scores to -inf (masked_fill with ~mask) before the softmax")
        # the weights must depend on the encoder states (the bug of the old PyTorch tutorial)
        _, w3 = attend(query, keys.flip(1), mask.flip(1))
        if not torch.allclose(w3, weights.flip(1), atol=1e-5):
            raise ExerciseFailure("the weights do not follow the keys: score each key k_j with the query")
        # a batch of ONE sentence (translating a single sentence): shapes must stay (1, K) and (1, S)
        one_c, one_w = attend(query[1:2], keys[1:2], mask[1:2])
        if tuple(one_c.shape) != (1, K) or tuple(one_w.shape) != (1, S):
            raise ExerciseFailure(f"with a batch of one sentence you return context {tuple(one_c.shape)} and "
                                  f"weights {tuple(one_w.shape)}, expected (1, {K}) and (1, {S}): a bare "
                                  ".squeeze() also drops the batch axis; name the axis, .squeeze(-1) / .squeeze(1)")
        compare_arrays("weights for a batch of one sentence", one_w, want_w[1:2], atol=1e-5)

    return check_exercise("additive attention", test)
