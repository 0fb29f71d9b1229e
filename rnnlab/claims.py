"""Claims a notebook makes about its own numbers, asserted with their margin and said in words.

A sentence such as "the LSTM solves the adding problem" is backed by one call:

    claim("LSTM test MSE is below the baseline", lstm_mse, "<", baseline_mse)

which prints what was measured, the threshold and the margin (as a difference and as a ratio), e.g.

    ✅ LSTM test MSE is below the baseline: measured 0.0039, needs < 0.154 (margin 0.15, 39.5x)

and raises `ClaimFailed` (an AssertionError) when the claim does not hold, so a notebook whose text no
longer matches its numbers fails in CI. The call returns None: nothing is echoed after the verdict.

Other seeds, measured, never typed. `make claims` (`python -m benchmarks.claims`) executes each notebook
itself with `RNNLAB_SEED` set to another seed (the first cell reads it through `rnnlab.utils.notebook_seed`)
and collects every `claim()` and `measure()` it evaluates into `benchmarks/results/claims/nbNN.json`. In that
mode (`RNNLAB_CLAIMS_OUT` set) a failing claim is recorded and printed, not raised, so one miss does not hide
the rest. A notebook shows another seeds' range beside this run's number with

    measure("BoW held-out accuracy", acc)

which prints e.g. `BoW held-out accuracy: 0.779 on this run (seed 0); seeds 11-13 (make claims): 0.790-0.801:
this run is below that range`. `claim()` prints the other seeds' values of the same statement too.
Names (statements) are unique across the course, so each is found without saying which notebook.

`word(a, b, ...)` picks the word a sentence needs from a comparison ("grew" / "shrank"), so printed prose
cannot contradict its numbers.
"""

from __future__ import annotations

import functools
import json
import math
import operator
import os
from dataclasses import asdict, dataclass
from pathlib import Path

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
        close = math.isfinite(self.ratio) and abs(self.ratio - 1) < 0.01  # "1x" would hide the margin
        ratio = f", {self.ratio:.{5 if close else 3}g}x" if math.isfinite(self.ratio) and self.ratio > 0 else ""
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
    _write_row(kind="claim", name=statement, value=value, relation=relation, threshold=threshold, holds=holds)
    print(result.describe(unit) + _other_seeds_of_claim(statement, value, unit))
    if not holds and not collecting():
        raise ClaimFailed(result.describe(unit))


def measure(name: str, value: float, *, unit: str = "", digits: int = 3) -> None:
    """Print a measured number beside the range other seeds gave (from `make claims`), and record it.

    name: what was measured, unique across the course (e.g. "05 BoW held-out accuracy"). value: this run's
    number. unit: appended to every number printed. digits: significant digits printed.
    Prints e.g. `BoW held-out accuracy: 0.779 on this run (seed 0); seeds 11-13 (make claims): 0.790-0.801:
    this run is below that range`; when no other seed has been measured it says so. Returns None.
    """
    value = float(value)
    _write_row(kind="measure", name=name, value=value, relation="", threshold=math.nan, holds=True)
    others = other_seeds(name)
    text = f"{name}: {value:.{digits}g}{unit} on this run (seed {current_seed()})"
    if not others:
        print(text + "; no other seed measured yet (run make claims)")
        return
    if all(math.isclose(v, value, rel_tol=1e-9, abs_tol=0.0) for v in others.values()):
        print(f"{text}; the same on {_seed_label(list(others))} (make claims): it does not depend on the seed")
        return
    low, high = min(others.values()), max(others.values())
    shown = f"{value:.{digits}g}"
    if shown in (f"{low:.{digits}g}", f"{high:.{digits}g}"):
        where = "at the edge of"  # equal at the digits printed: "below" would contradict the numbers shown
    else:
        where = "below" if value < low else "above" if value > high else "inside"
    print(f"{text}; {_describe_range(others, unit, digits)}: this run is {where} that range")


def word(a: float, b: float, above: str = "above", below: str = "below", equal: str = "equal to",
         rtol: float = 0.0) -> str:
    """The word a sentence needs for `a` compared with `b`: `above` when a > b, `below` when a < b, `equal`
    when they are within `rtol` (relative to the larger magnitude), e.g. word(after, before, "grew", "shrank",
    "did not change", rtol=0.05)."""
    a, b = float(a), float(b)
    if abs(a - b) <= rtol * max(abs(a), abs(b)):
        return equal
    return above if a > b else below


# ---------------------------------------------------------------------------------------------------------
# Other seeds: `make claims` runs a notebook with RNNLAB_SEED and RNNLAB_CLAIMS_OUT set; rows go to that file.
# ---------------------------------------------------------------------------------------------------------

RESULTS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "claims"


def collecting() -> bool:
    """Whether this process is a `make claims` run (claims are recorded, a failing one does not raise)."""
    return bool(os.environ.get("RNNLAB_CLAIMS_OUT"))


def current_seed() -> int:
    """The seed this notebook runs with: RNNLAB_SEED when set (by `make claims`), else 0."""
    from rnnlab.utils import notebook_seed

    return notebook_seed(0)


def _write_row(**row: object) -> None:
    out = os.environ.get("RNNLAB_CLAIMS_OUT")
    if not out:
        return
    row = {"notebook": os.environ.get("RNNLAB_NOTEBOOK", ""), "seed": current_seed(), **row}
    if isinstance(row["threshold"], float) and math.isnan(row["threshold"]):
        row["threshold"] = None
    row["value"] = row["value"] if math.isfinite(row["value"]) else None
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


@functools.cache
def _committed_rows() -> tuple[dict, ...]:
    rows: list[dict] = []
    if RESULTS_DIR.is_dir():
        for path in sorted(RESULTS_DIR.glob("nb*.json")):
            rows += json.loads(path.read_text(encoding="utf-8"))
    return tuple(rows)


def other_seeds(name: str) -> dict[int, float]:
    """{seed: value} of `name` (a claim's statement or a measure's name) from the committed `make claims`
    results, for every seed but this run's; {} when there are none (e.g. rnnlab installed without the repo)."""
    seed = current_seed()
    return {int(r["seed"]): float(r["value"]) for r in _committed_rows()
            if r.get("name", r.get("claim")) == name and r["seed"] != seed and r.get("value") is not None}


def _seed_label(seeds: list[int]) -> str:
    seeds = sorted(seeds)
    if len(seeds) > 1 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return "seed" + ("s " if len(seeds) > 1 else " ") + ", ".join(map(str, seeds))


def _describe_range(others: dict[int, float], unit: str = "", digits: int = 3) -> str:
    low, high = min(others.values()), max(others.values())
    a, b = f"{low:.{digits}g}", f"{high:.{digits}g}"
    span = f"{a}{unit}" if a == b else f"{a} to {b}{unit}"
    return f"{_seed_label(list(others))} (make claims): {span}"


def _other_seeds_of_claim(statement: str, value: float, unit: str = "") -> str:
    """'; seeds 11-13 (make claims): held on 3 of 3 (0.79 to 0.81)', or that the number does not depend on the
    seed; '' when no other seed was measured."""
    seed = current_seed()
    rows = [r for r in _committed_rows()
            if r.get("name", r.get("claim")) == statement and r["seed"] != seed and r.get("kind", "claim") == "claim"]
    if not rows:
        return ""
    values = {int(r["seed"]): float(r["value"]) for r in rows if r.get("value") is not None}
    label = _seed_label([int(r["seed"]) for r in rows])
    if values and len(values) == len(rows) and all(math.isclose(v, value, rel_tol=1e-9, abs_tol=0.0)
                                                   for v in values.values()):
        return f"; the same on {label} (make claims): it does not depend on the seed"
    held = sum(bool(r["holds"]) for r in rows)
    span = _describe_range(values, unit).split(": ", 1)[1] if values else "no value"
    return f"; {label} (make claims): held on {held} of {len(rows)} ({span})"


def recorded_claims() -> list[dict]:
    """Every claim checked in this process so far, as dicts."""
    return [asdict(c) for c in _recorded]


def clear_claims() -> None:
    """Forget the recorded claims (e.g. before re-running an experiment on another seed)."""
    _recorded.clear()
