"""Records how long each notebook took under nbmake, and its kernel's peak memory, and prints a table.

The table is also written to build/notebook-times.json. A notebook's budget (seconds, on a 2-core CPU) is
its metadata `rnnlab.budget_seconds`; one over budget is flagged in the table (timing is reported, not
asserted: speed targets live in benchmarks/). Peak memory is the kernel process's high-water mark of resident
memory (VmHWM in /proc, Linux), read while the notebook runs; a class of 30 students on one 64 GB JupyterHub
node needs every notebook under 1.5 GB, and one above is flagged.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).parent
MEMORY_LIMIT_MB = 1536  # per notebook: 30 students on a 64 GB node, with room for the server and the OS
_times: dict[str, float] = {}
_peak_mb: dict[str, float] = {}


def _children(pid: int) -> list[int]:
    """Every descendant process of `pid` (Linux /proc)."""
    try:
        kids = [int(c) for task in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{task}/children").read().split()]  # noqa: SIM115
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _high_water_mb(pid: int) -> float:
    try:
        for line in open(f"/proc/{pid}/status"):  # noqa: SIM115
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """While a notebook runs, poll its kernel's peak resident memory (the largest child process's VmHWM)."""
    if not item.nodeid.endswith(".ipynb") or not os.path.isdir("/proc/self/task"):
        yield
        return
    done, peak = threading.Event(), [0.0]

    def poll() -> None:
        while not done.wait(0.25):
            for child in _children(os.getpid()):
                peak[0] = max(peak[0], _high_water_mb(child))

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        _peak_mb[item.nodeid] = peak[0]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.nodeid.endswith(".ipynb"):
        _times[report.nodeid] = report.duration
        for key, value in report.user_properties:
            if key == "peak_memory_mb":
                _peak_mb[report.nodeid] = value


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
    terminalreporter.write_line(f"{'notebook':<45} {'time':>9}   {'budget':>12}   {'peak memory':>14}")
    for nodeid, seconds in sorted(_times.items()):
        budget = _budget(nodeid)
        memory = _peak_mb.get(nodeid)
        flag = "" if budget is None or seconds <= budget else "  OVER BUDGET"
        if memory is not None and memory > MEMORY_LIMIT_MB:
            flag += f"  OVER {MEMORY_LIMIT_MB} MB"
        rows.append({"notebook": nodeid, "seconds": round(seconds, 1), "budget_seconds": budget,
                     "peak_memory_mb": None if memory is None else round(memory)})
        shown = "-" if not memory else f"{memory:,.0f} MB"
        terminalreporter.write_line(f"{nodeid:<45} {seconds:7.1f} s   budget {budget or '-':>5} s   {shown:>14}{flag}")
    out = ROOT / "build" / "notebook-times.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    terminalreporter.write_line(f"(notebook times written to {out.relative_to(ROOT)})")


def pytest_sessionstart(session: pytest.Session) -> None:
    _times.clear()
    _peak_mb.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Carry the peak memory measured in a worker process to the controller's table (pytest-xdist)."""
    outcome = yield
    if call.when == "call" and item.nodeid in _peak_mb:
        outcome.get_result().user_properties.append(("peak_memory_mb", _peak_mb[item.nodeid]))
