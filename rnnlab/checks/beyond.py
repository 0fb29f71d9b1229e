"""Checks for notebook 10 (beyond classic RNNs): the log-space parallel scan and causal attention."""

from __future__ import annotations

from collections.abc import Callable

import torch

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer
from rnnlab.models.attention import attention_reference
from rnnlab.models.scan import linear_scan_sequential


def check_parallel_scan(scan: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """`scan(log_a, log_b) -> h`: the states of h_t = a_t h_{t-1} + b_t (h_0 = 0), all (batch, time, hidden)."""

    def test() -> None:
        gen = torch.Generator().manual_seed(0)
        a = torch.rand(2, 12, 3, generator=gen, dtype=torch.float64) * 0.9 + 0.05
        b = torch.rand(2, 12, 3, generator=gen, dtype=torch.float64) + 0.1
        expected = linear_scan_sequential(a, b)
        got = student_answer(scan, a.log(), b.log(), like=expected)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.allclose(got, expected.log()):
            raise ExerciseFailure("you return log h; apply exp to get the states h")
        if isinstance(got, torch.Tensor) and got.shape == (2, 13, 3):
            raise ExerciseFailure("h has one step too many (13): return h_1 .. h_T, without h_0")
        compare_arrays("h", got, expected, time_axis=1)

    return check_exercise("parallel scan in log space", test)


def check_causal_attention(attention: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """`attention(q, k, v) -> out` (all (batch, heads, time, d_head)) must be softmax(q k^T / sqrt(d) + mask) v,
    with position t attending only to positions <= t."""

    def test() -> None:
        gen = torch.Generator().manual_seed(1)
        q, k, v = (torch.randn(2, 2, 6, 4, generator=gen) for _ in range(3))
        expected = attention_reference(q, k, v)
        got = student_answer(attention, q, k, v, like=expected)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape:
            k2, v2 = k.clone(), v.clone()
            k2[:, :, 3:] += 3.0
            v2[:, :, 3:] -= 3.0
            later = student_answer(attention, q, k2, v2, like=expected)
            if not isinstance(later, torch.Tensor) or later.shape != got.shape:
                compare_arrays("attention output (keys and values changed at t >= 3)", later,
                               attention_reference(q, k2, v2), time_axis=2, atol=1e-5)
            if not torch.allclose(later[:, :, :3], got[:, :, :3], atol=1e-5):
                raise ExerciseFailure("outputs at t < 3 changed when only keys/values at t >= 3 changed: "
                                      "the mask lets positions see the future (mask entries with s > t)")
            full = torch.softmax(q @ k.transpose(-2, -1) / 2.0, dim=-1) @ v
            unscaled = attention_reference(q * 2.0, k, v)
            if torch.allclose(got, unscaled, atol=1e-5) and not torch.allclose(got, full, atol=1e-5):
                raise ExerciseFailure("scores are not divided by sqrt(d_head)")
        compare_arrays("attention output", got, expected, time_axis=2, atol=1e-5)

    return check_exercise("causal self-attention", test)
