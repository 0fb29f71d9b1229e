"""Exercise check for the translation notebook: additive attention with masking (Bahdanau et al. 2015)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer
from rnnlab.models.seq2seq import AdditiveAttention


def check_additive_attention(fn: Callable) -> bool:
    """`fn(query, keys, mask, W_q, W_k, v) -> (context, weights)` must equal rnnlab's AdditiveAttention.

    query (batch, Q), keys (batch, S, K), mask (batch, S) True at real tokens; W_q, W_k, v are nn.Linear.
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
        with torch.no_grad():
            want_c, want_w = ref(query, keys, mask)

        def attend(keys: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            with torch.no_grad():
                out = student_answer(fn, query, keys, mask, ref.W_q, ref.W_k, ref.v, like=(want_c, want_w))
            if not isinstance(out, tuple | list) or len(out) != 2:
                raise ExerciseFailure(f"return (context, weights), a tuple of two tensors; got {type(out).__name__}")
            if not isinstance(out[1], torch.Tensor) or out[1].shape != want_w.shape:
                compare_arrays("weights", out[1], want_w)
            return out[0], out[1]

        context, weights = attend(keys, mask)
        compare_arrays("weights", weights, want_w, atol=1e-5)
        if not torch.allclose(weights.sum(-1), torch.ones(B), atol=1e-5):
            raise ExerciseFailure("each row of weights must sum to 1 (a softmax over source positions)")
        compare_arrays("context", context, want_c, atol=1e-5)
        # a padded position must get weight 0 even when its key is large: masking, not luck
        keys2 = keys.clone()
        keys2[~mask] = 10.0
        _, w2 = attend(keys2, mask)
        if float(w2[~mask].abs().max()) > 1e-6:
            raise ExerciseFailure("padded source positions get non-zero weight: set their scores to -inf "
                                  "(masked_fill with ~mask) before the softmax")
        # the weights must depend on the encoder states (the bug of the old PyTorch tutorial)
        _, w3 = attend(keys.flip(1), mask.flip(1))
        if not torch.allclose(w3, weights.flip(1), atol=1e-5):
            raise ExerciseFailure("the weights do not follow the keys: score each key k_j with the query")

    return check_exercise("additive attention", test)
