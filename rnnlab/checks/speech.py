"""Exercise checks for notebook 09 (speech): the CTC collapse, and the edit distance."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnlab.checks.core import ExerciseFailure, as_reference, call_student, check_exercise
from rnnlab.metrics.edit_distance import edit_distance
from rnnlab.models.ctc import collapse

COLLAPSE_CASES: list[tuple[list[int], int]] = [
    ([0, 4, 4, 0, 8, 8, 8, 0], 0),     # "_33_777_" style: repeats merge, blanks go
    ([0, 4, 0, 5, 5, 0, 4], 0),        # a label may come back later (not "each label once")
    ([0, 4, 4, 0, 4, 0], 0),           # a blank between two equal labels keeps both
    ([2, 2, 2], 0),                    # no blank at all
    ([0, 0, 0], 0),                    # only blanks: the empty string
    ([], 0),                           # no frames
    ([10, 3, 10, 3, 3, 5], 10),        # the blank need not be class 0
]


def _hint(path: list[int], blank: int, got: list[int]) -> str:
    if blank != 0 and got == collapse(path, 0):
        return (f"you treated class 0 as the blank, but this path's blank is {blank}: compare with the `blank` "
                f"argument, never a fixed 0")
    if any(s == blank for s in got):
        return "the blank is still in your output: drop it after merging repeats"
    if got == [s for s in path if s != blank]:
        return "you dropped the blanks but did not merge runs of the same label"
    if got == list(dict.fromkeys(s for s in path if s != blank)) and got != collapse(path, blank) \
            and len(got) < len(collapse([s for s in path if s != blank], blank)):
        return ("you kept each label only once in the whole string: a label may come back later (\"3_3\" is "
                "33); merge only runs of the same symbol that are next to each other")
    if got == collapse([s for s in path if s != blank], blank):
        return ("you merged equal labels across a blank (by dropping the blanks before merging, or by not updating "
                "`previous` at a blank): a blank between two equal labels must keep both (\"3_3\" is 33)")
    return "merge each run of equal symbols into one, then delete the blanks"


def _labels(got: object) -> list[int]:
    """The student's labels as a list of ints, whether they came as a list, tuple, array or tensor."""
    if hasattr(got, "tolist") and getattr(got, "ndim", 1) == 1:
        got = got.tolist()
    if not isinstance(got, list | tuple):
        raise ExerciseFailure(f"return a list of labels, got {type(got).__name__}")
    if not all(isinstance(s, int | np.integer) and not isinstance(s, bool) for s in got):
        raise ExerciseFailure(f"return a list of integer labels, got {list(got)}")
    return [int(s) for s in got]


def check_ctc_collapse(fn: Callable[[list[int], int], list[int]]) -> bool:
    """Check a student's `fn(path, blank) -> labels` (the CTC many-to-one map B) on hand-made paths."""

    def test() -> None:
        for path, blank in COLLAPSE_CASES:
            expected = collapse(path, blank)
            got = _labels(call_student(fn, list(path), blank))
            if got != expected:
                raise ExerciseFailure(f"for the path {path} (blank={blank}) you returned {got}, expected "
                                      f"{expected}: {_hint(path, blank, got)}")

    return check_exercise("CTC collapse", test)


EDIT_CASES: list[tuple[str, str]] = [("", ""), ("123", "123"), ("", "45"), ("45", ""), ("123", "124"),
                                     ("1234", "134"), ("134", "1234"), ("kitten", "sitting"), ("9021", "1209")]


def check_edit_distance(fn: Callable[[str, str], int]) -> bool:
    """Check a student's `fn(hypothesis, reference) -> int` (Levenshtein distance)."""

    def test() -> None:
        for hyp, ref in EDIT_CASES:
            expected = edit_distance(hyp, ref)
            got = as_reference(call_student(fn, hyp, ref), expected)
            if isinstance(got, bool) or not isinstance(got, int | float | np.number):
                raise ExerciseFailure(f"edit distance of {hyp!r} -> {ref!r}: return one number, got "
                                      f"{type(got).__name__}")
            if got != expected:
                what = ("an empty string should cost one insertion or deletion per symbol"
                        if not hyp or not ref else "take the minimum of deletion, insertion and substitution "
                        "(substitution costs 0 when the symbols are equal)")
                raise ExerciseFailure(f"edit distance of {hyp!r} -> {ref!r}: you returned {got}, expected "
                                      f"{expected}; {what}")

    return check_exercise("edit distance", test)
