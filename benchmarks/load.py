"""Notebooks on a shared machine: each notebook's run time alone and beside one busy process (issue 18).

A student's kernel shares its cores with a browser, a second notebook or, on a JupyterHub node, classmates.
This benchmark executes each notebook (nbclient, like the tests) once with nothing else running and once beside
one competing CPU-bound process (a single-threaded busy loop, the load one browser tab or one other kernel
makes), and reports both times and their ratio. Target: every notebook within 1.5x of its time alone.

The kernels run with rnnlab's own thread choice (`rnnlab.utils.choose_threads`): OMP_NUM_THREADS,
MKL_NUM_THREADS and RNNLAB_THREADS are removed from their environment, unless `--threads N` sets
RNNLAB_THREADS=N (e.g. `--threads 2`, torch's default on 2 cores, to see what one thread avoids).

Usage: python -m benchmarks.load [--notebooks 06 07] [--threads N] [--repeat 1]
Writes results/load.json (or results/load-threads-N.json) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 1.5


def run_notebook(path: Path, timeout: int) -> float:
    """Execute a notebook top to bottom in a fresh kernel; return the wall-clock seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def busy_process() -> subprocess.Popen:
    """One single-threaded CPU-bound competitor (a browser tab, another kernel, a classmate)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    names = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    parser.add_argument("--notebooks", nargs="*", default=[n[:2] for n in names], help="notebook numbers")
    parser.add_argument("--threads", type=int, default=None, help="RNNLAB_THREADS for the kernels (default: unset)")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell before giving up")
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "RNNLAB_THREADS"):
        os.environ.pop(var, None)
    if args.threads is not None:
        os.environ["RNNLAB_THREADS"] = str(args.threads)
    os.environ["RNNLAB_PROGRESS"] = "0"
    rows = []
    for number in args.notebooks:
        [name] = [n for n in names if n.startswith(number)]
        alone = run_notebook(NOTEBOOKS / name, args.timeout)
        competitor = busy_process()
        try:
            time.sleep(1.0)  # let the competitor reach full speed
            loaded = run_notebook(NOTEBOOKS / name, args.timeout)
        finally:
            competitor.kill()
            competitor.wait()
        rows.append({"notebook": name, "alone_seconds": round(alone, 1), "loaded_seconds": round(loaded, 1),
                     "ratio": round(loaded / alone, 2)})
        print(f"{name:<32} alone {alone:6.1f} s   beside a busy process {loaded:6.1f} s   "
              f"ratio {loaded / alone:4.2f}", flush=True)
    worst = max(r["ratio"] for r in rows)
    print(f"worst ratio {worst:.2f} (target <= {TARGET_RATIO}); "
          f"{sum(r['ratio'] <= TARGET_RATIO for r in rows)} of {len(rows)} notebooks within target")
    record = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
              "threads": args.threads if args.threads is not None else "rnnlab default (choose_threads)",
              "competitor": "one single-threaded busy loop", "target_ratio": TARGET_RATIO, "notebooks": rows}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("load.json" if args.threads is None else f"load-threads-{args.threads}.json")
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
