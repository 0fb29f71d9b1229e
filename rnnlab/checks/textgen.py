"""Checks for the text-generation exercises (notebook 06): bits per character, and the softmax with temperature.

Each check recognises the mistakes its exercise is known for and names them in words (the wrong answers tried
on it are unit tests in tests/test_charlm_checks.py): bits per character left in nats, multiplied by ln 2,
summed instead of averaged, the minus sign missing, the softmax over the wrong axis; the temperature
multiplied instead of divided, the softmax over the wrong axis, exp() without normalising, probabilities
raised to 1/T without renormalising.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, name_mistake, student_answer
from rnnlab.metrics.language import bits_per_char
from rnnlab.models.charlm import next_char_distribution

LN2 = math.log(2)


def _number(answer: object) -> float:
    """The student's answer as a float (a 0-d tensor or numpy number is fine); ExerciseFailure otherwise."""
    if isinstance(answer, torch.Tensor | np.ndarray):
        if (answer.size if isinstance(answer, np.ndarray) else answer.numel()) != 1:
            shape = tuple(answer.shape)
            raise ExerciseFailure(f"return one number (the mean over the N characters), got an array of shape {shape}")
        if answer.dtype in (torch.complex64, torch.complex128) or np.iscomplexobj(answer):
            raise ExerciseFailure("return a real number (the mean over the N characters), got a complex one")
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, float | int) and not hasattr(answer, "__float__"):
        raise ExerciseFailure(f"return one number (the mean over the N characters), got {type(answer).__name__}")
    if isinstance(answer, complex):
        raise ExerciseFailure("return a real number (the mean over the N characters), got a complex one")
    value = float(answer)
    if value != value:
        raise ExerciseFailure("your answer is NaN: a log of 0 or of a negative number? Use log_softmax, not "
                              "log(softmax(...)), and average the negative log-probabilities")
    return value


def _bits_mistakes(logits: torch.Tensor, targets: torch.Tensor) -> list[tuple[float, str]]:
    """(what each known mistake returns on these inputs, the message naming it)."""
    nats = float(torch.nn.functional.cross_entropy(logits, targets))
    n = len(targets)
    wrong_axis = float(-torch.log2(torch.softmax(logits, 0)).gather(1, targets[:, None]).mean())
    return [(nats, "that is in nats (natural log): divide by ln 2 to get bits"),
            (nats * LN2, "you multiplied by ln 2: divide by ln 2 instead (bits = nats / ln 2)"),
            (nats * n / LN2, f"that is the sum over the {n} characters: take the mean (divide by N)"),
            (nats * n, f"that is the sum over the {n} characters, and in nats: take the mean and divide by ln 2"),
            (-nats / LN2, "the sign is wrong: log2 p is negative, bits per character are -log2 p (a minus sign "
                          "is missing)"),
            (wrong_axis, "the softmax (or log_softmax) runs over the wrong axis (dim=0, across the N characters): "
                         "normalise over the V possible characters, the last axis (dim=-1)")]


def check_bits_per_char(student: Callable[[torch.Tensor, torch.Tensor], float]) -> bool:
    """student(logits (N, V), targets (N,)) -> mean negative log2-probability of the targets (a float)."""

    def test() -> None:
        g = torch.Generator().manual_seed(0)
        cases = [(torch.zeros(6, 8), torch.arange(6)),
                 (torch.randn(50, 12, generator=g) * 3, torch.randint(0, 12, (50,), generator=g))]
        for k, (logits, targets) in enumerate(cases):
            expected = float(bits_per_char(logits, targets))
            got = _number(student_answer(student, logits.clone(), targets.clone()))
            what = ("equal logits over 8 characters (log2 8 = 3 bits)" if k == 0 else
                    "random logits over 12 characters")
            if abs(got - expected) <= 1e-4:
                continue
            for wrong, message in _bits_mistakes(logits, targets):
                if abs(wrong - expected) > 1e-4 and abs(got - wrong) <= 1e-4:
                    raise ExerciseFailure(f"{what}: expected {expected:.4f} bits, got {got:.4f}: {message}")
            compare_arrays(f"bits per character for {what}", got, expected, atol=1e-4)

    return check_exercise("bits per character", test)


def check_temperature_softmax(student: Callable[[torch.Tensor, float], torch.Tensor]) -> bool:
    """student(logits (..., V), temperature > 0) -> softmax(logits / temperature) over the last axis."""

    def test() -> None:
        g = torch.Generator().manual_seed(1)
        logits = torch.randn(4, 10, generator=g) * 2
        for temperature in (0.5, 2.0, 1.0):
            expected = next_char_distribution(logits, temperature)
            got = student_answer(student, logits.clone(), temperature, like=expected)
            if not isinstance(got, torch.Tensor):
                raise ExerciseFailure(f"return a tensor of probabilities, got {type(got).__name__}")
            at = f"at temperature {temperature}"
            name_mistake(got, [
                (torch.softmax(logits * temperature, -1),
                 f"{at}: you multiplied the logits by the temperature: divide them by it (softmax(logits / T))"),
                (torch.softmax(logits / temperature, 0),
                 f"{at}: the softmax runs over the wrong axis (dim=0, down the rows): use the last axis (dim=-1), "
                 "so each row (one prediction) sums to 1"),
                (torch.exp(logits / temperature),
                 f"{at}: exp(logits / T) is not normalised: divide each row by its sum (that is the softmax)"),
                (torch.softmax(logits, -1) ** (1 / temperature),
                 f"{at}: softmax(logits) ** (1/T) must be renormalised so each row sums to 1 again"),
                (torch.softmax(logits, -1),
                 f"{at}: the temperature is ignored: divide the logits by it before the softmax"),
            ], reference=expected, atol=1e-5)
            if got.shape == logits.shape and not torch.allclose(got.sum(-1), torch.ones(4), atol=1e-5):
                raise ExerciseFailure(f"{at} the probabilities of a row sum to {got.sum(-1).tolist()}, not 1")
            compare_arrays(f"probabilities {at}", got, expected, atol=1e-5)
        cold = student_answer(student, logits.clone(), 0.01, like=logits)
        if not isinstance(cold, torch.Tensor) or cold.shape != logits.shape:
            raise ExerciseFailure(f"at temperature 0.01: return probabilities of shape {tuple(logits.shape)}")
        if not torch.equal(cold.argmax(-1), logits.argmax(-1)) or float(cold.max(-1).values.min()) < 0.99:
            raise ExerciseFailure("at a very low temperature (0.01) almost all probability should sit on the "
                                  "largest logit")

    return check_exercise("softmax with temperature", test)
