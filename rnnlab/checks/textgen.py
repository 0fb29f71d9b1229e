"""Checks for the text-generation exercises (notebook 06): bits per character, and temperature sampling."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer
from rnnlab.metrics.language import bits_per_char
from rnnlab.models.charlm import next_char_distribution


def check_bits_per_char(student: Callable[[torch.Tensor, torch.Tensor], float]) -> bool:
    """student(logits (N, V), targets (N,)) -> mean negative log2-probability of the targets."""

    def test() -> None:
        g = torch.Generator().manual_seed(0)
        uniform = student_answer(student, torch.zeros(6, 8), torch.arange(6), like=3.0)
        if isinstance(uniform, bool) or not isinstance(uniform, float | int):
            raise ExerciseFailure(f"return a number, got {type(uniform).__name__}")
        if abs(float(uniform) - 3.0) > 1e-4:
            hint = " (that is in nats: divide by ln 2)" if abs(float(uniform) - math.log(8)) < 1e-4 else ""
            raise ExerciseFailure(f"equal logits over 8 characters must give log2(8) = 3 bits, got "
                                  f"{float(uniform):.4f}{hint}")
        logits = torch.randn(50, 12, generator=g) * 3
        targets = torch.randint(0, 12, (50,), generator=g)
        expected = float(bits_per_char(logits, targets))
        got = student_answer(student, logits, targets, like=expected)
        if isinstance(got, bool) or not isinstance(got, float | int):
            raise ExerciseFailure(f"return a number, got {type(got).__name__}")
        compare_arrays("bits per character", got, expected, atol=1e-4)

    return check_exercise("bits per character", test)


def check_temperature_softmax(student: Callable[[torch.Tensor, float], torch.Tensor]) -> bool:
    """student(logits (..., V), temperature > 0) -> softmax(logits / temperature)."""

    def test() -> None:
        g = torch.Generator().manual_seed(1)
        logits = torch.randn(4, 10, generator=g) * 2
        for temperature in (1.0, 0.5, 2.0):
            expected = next_char_distribution(logits, temperature)
            got = student_answer(student, logits.clone(), temperature, like=expected)
            if not isinstance(got, torch.Tensor):
                raise ExerciseFailure(f"return a tensor of probabilities, got {type(got).__name__}")
            if got.shape == logits.shape and not torch.allclose(got.sum(-1), torch.ones(4), atol=1e-5):
                raise ExerciseFailure(f"at temperature {temperature} the probabilities of a row sum to "
                                      f"{got.sum(-1).tolist()}, not 1 (softmax over the last axis?)")
            compare_arrays(f"probabilities at temperature {temperature}", got, expected, atol=1e-5)
        cold = student_answer(student, logits.clone(), 0.01, like=logits)
        if not isinstance(cold, torch.Tensor) or cold.shape != logits.shape:
            raise ExerciseFailure(f"at temperature 0.01: return probabilities of shape {tuple(logits.shape)}")
        if not torch.equal(cold.argmax(-1), logits.argmax(-1)) or float(cold.max(-1).values.min()) < 0.99:
            raise ExerciseFailure("at a very low temperature (0.01) almost all probability should sit on the "
                                  "largest logit")

    return check_exercise("softmax with temperature", test)
