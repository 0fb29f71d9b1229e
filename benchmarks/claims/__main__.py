"""Run the claim re-checks (see benchmarks/claims/__init__.py) and write results/claims.json."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

from benchmarks.claims import SEEDS

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.claims", description=__doc__)
    modules = sorted(m.name[2:] for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("nb"))
    parser.add_argument("--notebooks", nargs="*", default=modules, help=f"which notebooks (default: {modules})")
    parser.add_argument("--seeds", nargs="*", type=int, default=list(SEEDS), help="seeds to run (default: 11 12 13)")
    parser.add_argument("--merge-only", action="store_true", help="only merge results/claims/nbXX.json files")
    args = parser.parse_args(argv)
    os.environ.setdefault("RNNLAB_PROGRESS", "0")
    (RESULTS / "claims").mkdir(parents=True, exist_ok=True)
    if not args.merge_only:
        import torch

        torch.set_num_threads(1)
        for nb in args.notebooks:
            module = importlib.import_module(f"benchmarks.claims.nb{nb}")
            rows = []
            for seed in args.seeds:
                start = time.perf_counter()
                rows += module.claims(seed)
                print(f"notebook {nb}, seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
            (RESULTS / "claims" / f"nb{nb}.json").write_text(json.dumps(rows, indent=1) + "\n")
    rows = []
    for path in sorted((RESULTS / "claims").glob("nb*.json")):
        rows += json.loads(path.read_text())
    (RESULTS / "claims.json").write_text(json.dumps(rows, indent=1) + "\n")
    for r in rows:
        mark = "holds" if r["holds"] else "FAILS"
        print(f"{r['notebook']:>3} seed {r['seed']:>3}  {mark}  {r['value']:.4g} {r['relation']} "
              f"{r['threshold']:.4g}  {r['claim']}")
    held = sum(r["holds"] for r in rows)
    share = held / len(rows) if rows else 0.0
    print(f"{held} of {len(rows)} (claim, seed) pairs hold: {share:.1%} (target 95%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
