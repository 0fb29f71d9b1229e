"""Records how long each notebook took under nbmake and prints a table at the end of the run.

The table is also written to build/notebook-times.json. A notebook's budget (seconds, on a 2-core CPU) is
its metadata `rnnlab.budget_seconds`; one over budget is flagged in the table (timing is reported, not
asserted: speed targets live in benchmarks/).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parent
_times: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.nodeid.endswith(".ipynb"):
        _times[report.nodeid] = report.duration


def _budget(nodeid: str) -> float | None:
    path = ROOT / nodeid.split("::")[0]
    try:
        return json.loads(path.read_text())["metadata"].get("rnnlab", {}).get("budget_seconds")
    except (OSError, ValueError, KeyError):
        return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _times:
        return
    rows = []
    for nodeid, seconds in sorted(_times.items()):
        budget = _budget(nodeid)
        flag = "" if budget is None or seconds <= budget else "  OVER BUDGET"
        rows.append({"notebook": nodeid, "seconds": round(seconds, 1), "budget_seconds": budget})
        terminalreporter.write_line(f"{nodeid:<45} {seconds:7.1f} s   budget {budget or '-':>5} s{flag}")
    out = ROOT / "build" / "notebook-times.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    terminalreporter.write_line(f"(notebook times written to {out.relative_to(ROOT)})")


def pytest_sessionstart(session: pytest.Session) -> None:
    _times.clear()
