"""Run every benchmark in this folder (`make benchmarks`): each prints a table and writes results/<name>.json.

Benchmarks report speed and quality numbers; they do not assert timings (tests do not time things).
Usage: python -m benchmarks.run [NAME ...]
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or sorted(
        m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in ("run", "claims", "load", "threads"))
    failed = []
    for name in names:
        print(f"== benchmarks.{name} ==", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"], cwd=HERE.parent)
        print(f"== {name}: exit {code} after {time.perf_counter() - start:.0f} s ==\n", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
