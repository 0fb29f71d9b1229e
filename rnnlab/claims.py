"""Claims a notebook makes about its own numbers, asserted with their margin and said in words.

A sentence such as "the LSTM solves the adding problem" is backed by one call:

    claim("LSTM test MSE is below the baseline", lstm_mse, "<", baseline_mse)

which prints what was measured, the threshold and the margin (as a difference and as a ratio), e.g.

    ✅ LSTM test MSE is below the baseline: measured 0.0039, needs < 0.154 (margin 0.15, 39.5x)

and raises `ClaimFailed` (an AssertionError) when the claim does not hold, so a notebook whose text no
longer matches its numbers fails in CI. Every claim is also recorded (`recorded_claims()`), so that
`make claims` can re-run the experiments behind them on other seeds. The call returns None: nothing is
echoed after the verdict.
"""

from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass

_RELATIONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class ClaimFailed(AssertionError):
    """A notebook's claim does not hold on the numbers it just computed."""


@dataclass(frozen=True)
class Claim:
    statement: str    # the sentence, in words
    value: float      # what was measured
    relation: str     # one of <, <=, >, >=
    threshold: float  # what the sentence needs
    holds: bool       # whether value relation threshold
    margin: float     # how far inside (positive) or outside (negative) the threshold, in the value's unit
    ratio: float      # threshold/value for < and <=, value/threshold for > and >= (> 1 when it holds)

    def describe(self, unit: str = "") -> str:
        mark = "✅" if self.holds else "❌"
        ratio = f", {self.ratio:.3g}x" if math.isfinite(self.ratio) and self.ratio > 0 else ""
        return (f"{mark} {self.statement}: measured {self.value:.4g}{unit}, needs {self.relation} "
                f"{self.threshold:.4g}{unit} (margin {self.margin:.3g}{unit}{ratio})")


_recorded: list[Claim] = []


def claim(statement: str, value: float, relation: str, threshold: float, *, unit: str = "") -> None:
    """Assert that `value relation threshold` and print the verdict with its margin.

    statement: the sentence the numbers back, in words. value, threshold: finite numbers (a NaN value fails
    the claim). relation: "<", "<=", ">" or ">=". unit: appended to every number printed (e.g. " deg C", "%").
    Raises ClaimFailed when the claim does not hold; ValueError for an unknown relation or a non-finite
    threshold.
    """
    if relation not in _RELATIONS:
        raise ValueError(f"relation must be one of {list(_RELATIONS)}, got {relation!r}")
    value, threshold = float(value), float(threshold)
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold}")
    holds = math.isfinite(value) and _RELATIONS[relation](value, threshold)
    if relation in ("<", "<="):
        margin = threshold - value
        ratio = threshold / value if value > 0 else math.inf
    else:
        margin = value - threshold
        ratio = value / threshold if threshold > 0 else math.inf
    result = Claim(statement, value, relation, threshold, holds, margin, ratio)
    _recorded.append(result)
    print(result.describe(unit))
    if not holds:
        raise ClaimFailed(result.describe(unit))


def recorded_claims() -> list[dict]:
    """Every claim checked in this process so far, as dicts (for `make claims` and tests)."""
    return [asdict(c) for c in _recorded]


def clear_claims() -> None:
    """Forget the recorded claims (e.g. before re-running an experiment on another seed)."""
    _recorded.clear()
