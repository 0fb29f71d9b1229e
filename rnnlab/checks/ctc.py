"""Exercise check for notebook 09: the CTC forward (alpha) recursion, compared with torch's `nn.CTCLoss`.

The student writes `ctc_nll(log_probs, target, blank) -> -log p(target | x)` for one utterance, with
log_probs (time, classes) as a torch tensor, in log space (Graves et al. 2006, section 4.1).

Besides the small hand-made cases, the check runs two long utterances (60 frames of float32 log-probabilities
like an untrained model's output, and 400 frames in float64). A recursion that multiplies probabilities
(`exp`, then products and sums) gets p(target) ~ 1e-60 and 1e-400 there: it underflows to 0 and returns inf or
crashes in `log(0)`. Working in logs (`logsumexp`) is the lesson, so such an answer is refused by name, even
though it passes every short case. Each wrong value is compared with what the known mistakes would give
(class 0 taken as the blank, a skip between equal labels, a skip onto blanks, ending on the last blank only,
forgetting alpha_1(1), a flipped sign, p instead of -log p), and the hint names the mistake that matches.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from rnnlab.checks.core import ExerciseFailure, StudentCodeError, call_student, check_exercise


def _case(seed: int, time: int, classes: int, target: list[int], blank: int = 0, scale: float = 1.0,
          dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, list[int], int]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(time, classes, generator=g, dtype=torch.float64) * scale
    return torch.log_softmax(x, -1).to(dtype), target, blank


CTC_CASES: list[tuple[str, tuple[torch.Tensor, list[int], int]]] = [
    ("two different labels", _case(0, 5, 4, [1, 2])),
    ("a repeated label (needs a blank between)", _case(1, 6, 4, [3, 3])),
    ("a single label", _case(2, 4, 3, [2])),
    ("the empty target (all blanks)", _case(3, 4, 3, [])),
    ("exactly as many frames as the target needs", _case(4, 3, 4, [1, 1])),
    ("a longer utterance with peaked probabilities", _case(5, 40, 11, [4, 7, 7, 1, 9], scale=4.0)),
    ("a blank that is not class 0", _case(6, 7, 5, [1, 3], blank=4)),
    ("a blank that is not class 0, with a repeat", _case(7, 8, 5, [0, 2, 2], blank=4)),
]
# Long utterances: the probability of the target underflows unless the recursion works in logs.
LONG_CASES: list[tuple[str, tuple[torch.Tensor, list[int], int]]] = [
    ("a 60-frame clip of float32 log-probabilities (like an untrained model's output)",
     _case(8, 60, 11, [1, 2, 3, 4], scale=0.5, dtype=torch.float32)),
    ("a 400-frame clip in float64", _case(9, 400, 11, [5, 2, 2, 8, 3], scale=0.5)),
]


def reference_nll(log_probs: torch.Tensor, target: list[int], blank: int) -> float:
    """-log p(target | x) from torch.nn.CTCLoss (reduction='sum'); inf when no path exists."""
    loss = torch.nn.CTCLoss(blank=blank, reduction="sum")
    return float(loss(log_probs[:, None].double(), torch.tensor([target], dtype=torch.long).reshape(1, -1),
                      torch.tensor([len(log_probs)]), torch.tensor([len(target)])))


def mistaken_nll(log_probs: torch.Tensor, target: list[int], blank: int, *, skip_equal: bool = False,
                 skip_blank: bool = False, end_last_only: bool = False, init_label: bool = True) -> float:
    """-log p(target | x) by the alpha recursion in log space (float64), with one known mistake switched on:
    skip_equal (the skip over a blank also between equal labels), skip_blank (skips onto blanks too),
    end_last_only (end only on the final blank), init_label=False (forgot alpha_1(1)). All off: the right
    answer. Returns inf when no path is left."""
    lp = log_probs.detach().double()
    ext = [blank]
    for y in target:
        ext += [int(y), blank]
    steps, positions = lp.shape[0], len(ext)
    alpha = np.full(positions, -np.inf)
    alpha[0] = float(lp[0, blank])
    if positions > 1 and init_label:
        alpha[1] = float(lp[0, ext[1]])
    emit = lp[:, ext].numpy()                                                   # (T, S)
    for t in range(1, steps):
        terms = [alpha, np.concatenate([[-np.inf], alpha])[:positions]]
        skip = np.concatenate([[-np.inf, -np.inf], alpha])[:positions]
        allowed = np.array([s >= 2 and (skip_blank or ext[s] != blank) and (skip_equal or ext[s] != ext[s - 2])
                            for s in range(positions)])
        terms.append(np.where(allowed, skip, -np.inf))
        alpha = np.logaddexp.reduce(np.stack(terms), axis=0) + emit[t]
    ends = alpha[-1:] if end_last_only else alpha[max(positions - 2, 0):]
    total = np.logaddexp.reduce(ends)
    return math.inf if total == -np.inf else -float(total)


def _close(a: float, b: float, rel: float = 1e-5) -> bool:
    return math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def _hint(got: float, expected: float, target: list[int], log_probs: torch.Tensor, blank: int) -> str:
    """The mistake whose answer matches `got`, in words."""
    if _close(got, -expected):
        return "the sign is flipped: return the negative log-likelihood -log p"
    if math.isfinite(expected) and math.isclose(got, math.exp(-expected), rel_tol=1e-6, abs_tol=1e-12):
        return "you returned the probability p; return -log p"
    if blank != 0 and (_close(got, mistaken_nll(log_probs, target, 0))
                       or (0 not in target and _close(got, reference_nll(log_probs, target, 0)))):
        return (f"you used class 0 as the blank, but this case's blank is {blank}: use the `blank` argument "
                f"everywhere (in l' and in the skip rule), never a fixed 0")
    kinds = {
        "skip_equal": ("the skip from position s-2 to s (over a blank) is allowed only when the labels at s and "
                       "s-2 differ; for a repeated label the path must pass through the blank between them"),
        "skip_blank": ("a skip from s-2 lands only on a label, never on a blank: add `l'_s != blank` to the "
                       "skip rule"),
        "end_last_only": ("a path may end on the last label or on the final blank: "
                          "-log(alpha_T[S-1] + alpha_T[S-2]), not alpha_T[S-1] alone"),
        "init_label": ("a path may also start on the first label: alpha_1(1) = p_1(y_1), besides "
                       "alpha_1(0) = p_1(blank)"),
    }
    for kind, text in kinds.items():
        if _close(got, mistaken_nll(log_probs, target, blank, **{kind: kind != "init_label"})):
            return text
    return ("start in the first blank or the first label (alpha_1), allow the skip over a blank only between "
            "different labels, and end in the last label or the final blank: -log(alpha_T[S-1] + "
            "alpha_T[S-2]), with S = 2 |target| + 1 positions")


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


UNDERFLOW = ("your recursion works with probabilities, not their logarithms: p(target) here is about "
             "1e{exp:.0f}, which underflows {dtype} to 0 (products of many probabilities below 1 vanish). "
             "Keep alpha as log-probabilities: a sum of probabilities becomes torch.logsumexp of their logs, a "
             "product becomes a sum; never exp() the alphas. It passed the short cases only because they are "
             "short (the notebook's clips have ~50 output frames)")


def check_ctc_forward(fn: Callable[[torch.Tensor, list[int], int], float]) -> bool:
    """Check a student's `fn(log_probs: (time, classes) tensor, target: list of label ids, blank) -> -log p`
    against torch.nn.CTCLoss on hand-made cases (repeated labels, an empty target, the minimum length, a blank
    that is not 0), then on two long utterances that refuse a recursion in probability space by name."""

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
                                      f"{_hint(got, expected, target, log_probs, blank)}")
        for name, (log_probs, target, blank) in LONG_CASES:
            expected = reference_nll(log_probs, target, blank)
            where = f"{name} (target {target}): "
            hint = UNDERFLOW.format(exp=-expected / math.log(10), dtype=str(log_probs.dtype).split(".")[-1])
            try:
                got = _scalar(call_student(fn, log_probs.clone(), list(target), blank), name)
            except StudentCodeError as err:
                raise ExerciseFailure(f"{where}your code raised {err}; {hint}") from err
            if not math.isfinite(got) or (not math.isclose(got, expected, rel_tol=1e-4) and _is_floor(got)):
                raise ExerciseFailure(f"{where}you returned {got}, nn.CTCLoss gives {expected:.4f}; {hint}")
            if not math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-4):
                raise ExerciseFailure(f"{where}you returned {got:.6f}, nn.CTCLoss gives {expected:.6f}; "
                                      f"{_hint(got, expected, target, log_probs, blank)}")

    return check_exercise("CTC forward (alpha) recursion", test)


def _is_floor(got: float) -> bool:
    """Whether `got` is -log of a tiny number that an underflow was clamped to (1e-30, float32's or float64's
    smallest positive numbers...): a probability-space recursion with a guard against log(0)."""
    floors = (1e-30, 1e-38, 1e-45, 1e-300, 5e-324, torch.finfo(torch.float32).tiny, torch.finfo(torch.float64).tiny)
    return any(math.isclose(got, -math.log(v), rel_tol=1e-3) for v in floors)
