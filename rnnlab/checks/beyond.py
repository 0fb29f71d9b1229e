"""Checks for notebook 10 (beyond classic RNNs): the log-space parallel scan and causal attention."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.overrides import TorchFunctionMode

from rnnlab.checks.core import (
    ExerciseFailure,
    as_reference,
    call_student,
    check_exercise,
    compare_arrays,
    name_mistake,
    student_answer,
)
from rnnlab.models.attention import attention_reference, causal_mask
from rnnlab.models.scan import linear_scan_sequential


class _CountOps(TorchFunctionMode):
    """Counts the torch operations (functions, tensor methods, indexing) called inside it, and their names."""

    def __init__(self) -> None:
        super().__init__()
        self.calls, self.names = 0, set()

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204 (torch's protocol)
        self.calls += 1
        self.names.add(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))


def _scan_case(T: int, dtype: torch.dtype, low: float, high: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    a = torch.rand(2, T, 3, generator=gen, dtype=torch.float64) * (high - low) + low
    b = torch.rand(2, T, 3, generator=gen, dtype=torch.float64) + 0.1
    return a.to(dtype), b.to(dtype)


def check_parallel_scan(scan: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """`scan(log_a, log_b) -> h`: the states of h_t = a_t h_{t-1} + b_t (h_0 = 0), all (batch, time, hidden),
    computed at once in log space.

    Names the known mistakes: returning log h, one step too many, a Python loop over time (counted: the torch
    operations it calls grow with T), plain products (`torch.cumprod`, or exp of the cumulative sum) that
    underflow on a long float32 sequence (T = 300, a_t in [0.3, 0.7]: the product reaches 1e-90).
    """

    def test() -> None:
        a, b = _scan_case(12, torch.float64, 0.05, 0.95, 0)
        expected = linear_scan_sequential(a, b)
        got = student_answer(scan, a.log(), b.log(), like=expected)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.allclose(got, expected.log()):
            raise ExerciseFailure("you return log h; apply exp to get the states h")
        if isinstance(got, torch.Tensor) and got.shape == (2, 13, 3):
            raise ExerciseFailure("h has one step too many (13): return h_1 .. h_T, without h_0")
        la, lb = a.log(), b.log()
        a_star = torch.cumsum(la, 1)
        name_mistake(got, [
            (torch.exp(a_star + torch.cumsum(lb - a_star, 1)),
             "you used torch.cumsum where the sum of exponentials is needed: log sum_k exp(log b_k - a*_k) is "
             "torch.logcumsumexp(log b - a*, dim=1)"),
            (torch.exp(torch.logcumsumexp(lb - a_star, 1)),
             "you forgot to add a* back: log h_t = a*_t + logcumsumexp(log b - a*)_t"),
            (torch.exp(torch.cumsum(la, -1) + torch.logcumsumexp(lb - torch.cumsum(la, -1), -1)),
             "your cumulative operations run along the last axis (hidden units); time is dim=1"),
            (torch.exp(a_star + torch.logcumsumexp(lb + a_star, 1)),
             "sign error: inside the logcumsumexp it is log b - a*, not log b + a*"),
        ], reference=expected)
        compare_arrays("h", got, expected, time_axis=1)
        calls = {}
        for T in (16, 128):
            a, b = _scan_case(T, torch.float64, 0.05, 0.95, T)
            with _CountOps() as counter:
                student_answer(scan, a.log(), b.log())
            calls[T] = counter
        if calls[128].calls - calls[16].calls >= 56:          # a loop: several operations per extra step
            raise ExerciseFailure(
                f"your function loops over time ({calls[16].calls} torch operations for T=16, {calls[128].calls} "
                "for T=128): that is the sequential recurrence, not a parallel scan. Compute all states at once "
                "with torch.cumsum and torch.logcumsumexp along dim=1 (a fixed number of operations for any T)")
        if "cumprod" in calls[128].names:
            raise ExerciseFailure(
                "you multiply the a_t with torch.cumprod (plain products, no logs): on a long sequence the product "
                "underflows to 0 and b / product overflows (try T=300 in float32). Stay in log space: "
                "a* = cumsum(log a), then logcumsumexp(log b - a*)")
        a, b = _scan_case(300, torch.float32, 0.3, 0.7, 1)
        expected = linear_scan_sequential(a.double(), b.double())
        got = student_answer(scan, a.log(), b.log(), like=expected)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and not bool(torch.isfinite(got).all()):
            raise ExerciseFailure(
                "on a long float32 sequence (T=300, a_t in [0.3, 0.7]) your h holds NaN or inf: some product "
                "(or exp of a sum of logs) is computed outside log space and under- or overflows. Keep exp for "
                "the very last step: h = exp(a* + logcumsumexp(log b - a*))")
        compare_arrays("h on a long float32 sequence (T=300)", got, expected, time_axis=1, atol=1e-3, rtol=1e-3)

    return check_exercise("parallel scan in log space", test)


def check_causal_attention(attention: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """`attention(q, k, v) -> out` (all (batch, heads, time, d_head)) must be softmax(q k^T / sqrt(d) + mask) v,
    with position t attending only to positions <= t."""

    def test() -> None:
        gen = torch.Generator().manual_seed(1)
        q, k, v = (torch.randn(2, 2, 6, 4, generator=gen) for _ in range(3))
        expected = attention_reference(q, k, v)
        got = student_answer(attention, q, k, v, like=expected)
        T, d = q.shape[-2], q.shape[-1]
        keep = causal_mask(T)
        scores = q @ k.transpose(-2, -1) / d**0.5
        name_mistake(got, [
            (torch.softmax(q @ k.transpose(-2, -1) / d**0.5, -1) * keep @ v,
             "you zero the future after the softmax: the softmax still spread weight over future positions, and the "
             "remaining weights no longer sum to 1. Mask the scores (masked_fill with -inf) before the softmax"),
            (torch.softmax(scores.masked_fill(~keep, float("-inf")), -2).nan_to_num() @ v,
             "your softmax runs over dim -2 (the queries); each query's weights over the keys must sum to 1: "
             "softmax(..., dim=-1)"),
            (torch.softmax(scores.masked_fill(~keep, -1e9), -2) @ v,
             "your softmax runs over dim -2 (the queries); each query's weights over the keys must sum to 1: "
             "softmax(..., dim=-1)"),
            (torch.softmax((q @ k.transpose(-2, -1) / T**0.5).masked_fill(~keep, float("-inf")), -1) @ v,
             "you divide the scores by sqrt(T), the sequence length; the scale is sqrt(d), the size of a head"),
            (torch.softmax((k @ q.transpose(-2, -1) / d**0.5).masked_fill(~keep, float("-inf")), -1) @ v,
             "your scores are k q^T (keys times queries): row t must hold query t against every key, q @ k^T"),
        ], reference=expected, atol=1e-5)
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


def ssm_step_reference(h_prev: torch.Tensor, u_t: torch.Tensor, delta_t: torch.Tensor, A: torch.Tensor,
                       B_t: torch.Tensor, C_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of a diagonal SSM: h_t = exp(Delta_t A) h_{t-1} + Delta_t B_t u_t, y_t = sum_n C_t h_t.
    h_prev, B_t, C_t: (batch, d, N); u_t, delta_t: (batch, d); A: (d, N). Returns (h_t, y_t (batch, d))."""
    h = torch.exp(delta_t[..., None] * A) * h_prev + delta_t[..., None] * B_t * u_t[..., None]
    return h, (C_t * h).sum(-1)


def check_ssm_step(step: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> bool:
    """`step(h_prev, u_t, delta_t, A, B_t, C_t) -> (h_t, y_t)`, one step of a (selective) diagonal SSM
    (shapes as in `ssm_step_reference`). Names the known mistakes: the decay without exp or without Delta, the
    input term without Delta, the readout of the old state, the sum over the wrong axis, swapped outputs."""

    def test() -> None:
        gen = torch.Generator().manual_seed(2)
        batch, d, N = 3, 4, 5
        h_prev = torch.randn(batch, d, N, generator=gen, dtype=torch.float64)
        u_t = torch.randn(batch, d, generator=gen, dtype=torch.float64)
        delta_t = torch.rand(batch, d, generator=gen, dtype=torch.float64) + 0.1
        A = -torch.rand(d, N, generator=gen, dtype=torch.float64) * 3 - 0.5
        B_t, C_t = (torch.randn(batch, d, N, generator=gen, dtype=torch.float64) for _ in range(2))
        h_ref, y_ref = ssm_step_reference(h_prev, u_t, delta_t, A, B_t, C_t)
        out = call_student(step, h_prev, u_t, delta_t, A, B_t, C_t)
        if not isinstance(out, tuple | list) or len(out) != 2:
            raise ExerciseFailure(f"return a pair (h_t, y_t); got {type(out).__name__}"
                                  + (f" of length {len(out)}" if isinstance(out, tuple | list) else ""))
        h, y = (as_reference(o, h_ref) for o in out)
        if isinstance(h, torch.Tensor) and h.shape == y_ref.shape and getattr(y, "shape", None) == h_ref.shape:
            raise ExerciseFailure("you return (y_t, h_t): the order is (h_t, y_t)")
        dA, dBu = delta_t[..., None] * A, delta_t[..., None] * B_t * u_t[..., None]
        name_mistake(h, [
            (dA * h_prev + dBu, "the decay is exp(Delta_t A), not Delta_t A: without exp it is not in (0, 1)"),
            (torch.exp(A) * h_prev + dBu, "the decay must use the step size: exp(Delta_t A), not exp(A) "
                                          "(Delta_t is what makes the step selective)"),
            (torch.exp(dA) * h_prev + B_t * u_t[..., None], "the input term is Delta_t B_t u_t: you left out "
                                                             "Delta_t"),
        ], reference=h_ref)
        compare_arrays("h_t", h, h_ref)
        if isinstance(y, torch.Tensor) and y.shape == y_ref.shape and torch.allclose(y, (C_t * h_prev).sum(-1)):
            raise ExerciseFailure("y_t reads the old state h_{t-1}; read out the new one: y_t = sum_n C_t h_t")
        if isinstance(y, torch.Tensor) and y.shape == (batch, N):
            raise ExerciseFailure("y_t has shape (batch, N): sum C_t h_t over the state axis N (the last), "
                                  "keeping one output per channel d")
        compare_arrays("y_t", y, y_ref)

    return check_exercise("selective SSM step", test)
