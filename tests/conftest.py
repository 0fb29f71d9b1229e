"""Fixtures shared by the tests (the repository's root conftest.py times the notebooks; this one serves tests/).

`lenient_checks` / `strict_checks`: an exercise check prints its verdict and returns False (lenient, as in a
student's kernel), or raises ExerciseFailure with its message (strict: RNNLAB_STRICT_CHECKS=1, as under nbmake and
nbgrader). A test module that wants one for every test says `pytestmark = pytest.mark.usefixtures("lenient_checks")`.
The reference solutions the checks are tested with live in `tests/solutions.py` (`from solutions import ...`).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def lenient_checks(monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)


@pytest.fixture
def strict_checks(monkeypatch):
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")
