"""Exercise check for notebook 09: the CTC forward (alpha) recursion, compared with torch's `nn.CTCLoss`.

The student writes `ctc_nll(log_probs, target, blank) -> -log p(target | x)` for one utterance, with
log_probs (time, classes) as a torch tensor, in log space (Graves et al. 2006, section 4.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from rnnlab.checks.core import ExerciseFailure, call_student, check_exercise


def _case(seed: int, time: int, classes: int, target: list[int], blank: int = 0,
          scale: float = 1.0) -> tuple[torch.Tensor, list[int], int]:
    g = torch.Generator().manual_seed(seed)
    return torch.log_softmax(torch.randn(time, classes, generator=g, dtype=torch.float64) * scale, -1), target, blank


CTC_CASES: list[tuple[str, tuple[torch.Tensor, list[int], int]]] = [
    ("two different labels", _case(0, 5, 4, [1, 2])),
    ("a repeated label (needs a blank between)", _case(1, 6, 4, [3, 3])),
    ("a single label", _case(2, 4, 3, [2])),
    ("the empty target (all blanks)", _case(3, 4, 3, [])),
    ("exactly as many frames as the target needs", _case(4, 3, 4, [1, 1])),
    ("a longer utterance with peaked probabilities", _case(5, 40, 11, [4, 7, 7, 1, 9], scale=4.0)),
    ("a blank that is not class 0", _case(6, 7, 5, [0, 2, 2], blank=4)),
]


def reference_nll(log_probs: torch.Tensor, target: list[int], blank: int) -> float:
    """-log p(target | x) from torch.nn.CTCLoss (reduction='sum'); inf when no path exists."""
    loss = torch.nn.CTCLoss(blank=blank, reduction="sum")
    return float(loss(log_probs[:, None], torch.tensor([target], dtype=torch.long).reshape(1, -1),
                      torch.tensor([len(log_probs)]), torch.tensor([len(target)])))


def _scalar(value: object, what: str) -> float:
    if isinstance(value, torch.Tensor | np.ndarray | np.number):
        size = value.numel() if isinstance(value, torch.Tensor) else np.size(value)
        if size != 1:
            raise ExerciseFailure(f"{what}: return one number (-log p), got an array of shape "
                                  f"{tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExerciseFailure(f"{what}: return a number (-log p), got {type(value).__name__}")
    return float(value)


def _hint(got: float, expected: float, target: list[int], log_probs: torch.Tensor) -> str:
    if math.isclose(got, -expected, rel_tol=1e-6, abs_tol=1e-6):
        return "the sign is flipped: return the negative log-likelihood -log p"
    if math.isclose(got, math.exp(-expected), rel_tol=1e-6, abs_tol=1e-9):
        return "you returned the probability p; return -log p"
    if len(target) > 1 and any(a == b for a, b in zip(target, target[1:], strict=False)):
        return ("the skip from position s-2 to s (over a blank) is allowed only when the labels at s and s-2 "
                "differ; for a repeated label the path must pass through the blank between them")
    return ("start in the first blank or the first label (alpha_0), and end in the last label or the final "
            "blank: -log(alpha_T[S-1] + alpha_T[S-2]), with S = 2 |target| + 1 positions")


def check_ctc_forward(fn: Callable[[torch.Tensor, list[int], int], float]) -> bool:
    """Check a student's `fn(log_probs: (time, classes) tensor, target: list of label ids, blank) -> -log p`
    against torch.nn.CTCLoss on hand-made cases (repeated labels, an empty target, the minimum length)."""

    def test() -> None:
        for name, (log_probs, target, blank) in CTC_CASES:
            got = _scalar(call_student(fn, log_probs.clone(), list(target), blank), name)
            expected = reference_nll(log_probs, target, blank)
            if not math.isfinite(got):
                raise ExerciseFailure(f"{name} (target {target}, {len(log_probs)} frames): you returned {got}, "
                                      f"expected {expected:.6f}; work in log space (logsumexp) so that nothing "
                                      f"underflows, and give impossible positions -inf, not the whole sum")
            if not math.isclose(got, expected, rel_tol=1e-5, abs_tol=1e-5):
                raise ExerciseFailure(f"{name} (target {target}, {len(log_probs)} frames): you returned "
                                      f"{got:.6f}, nn.CTCLoss gives {expected:.6f}; "
                                      f"{_hint(got, expected, target, log_probs)}")

    return check_exercise("CTC forward (alpha) recursion", test)
