"""Execute notebooks on other seeds and collect their claims (see benchmarks/claims/__init__.py)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.claims import OTHER_SEEDS, SEEDS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "benchmarks" / "results"


def notebook_path(number: str) -> Path:
    """notebooks/NN_*.ipynb for `number` ("03" or "3"); ValueError naming --notebooks when there is none."""
    number = f"{int(number):02d}" if number.isdigit() else number
    found = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    if len(found) != 1:
        known = " ".join(sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")))
        raise ValueError(f"--notebooks {number}: no notebook notebooks/{number}_*.ipynb (there are: {known})")
    return found[0]


def execute(path: Path, seed: int, timeout: int = 900) -> tuple[list[dict], float, str]:
    """Run the notebook at `path` with RNNLAB_SEED=seed in a fresh kernel; return (rows, seconds, error)."""
    number = path.name[:2]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "claims.jsonl"
        env = {**os.environ, "RNNLAB_SEED": str(seed), "RNNLAB_CLAIMS_OUT": str(out), "RNNLAB_NOTEBOOK": number,
               "RNNLAB_PROGRESS": "0", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                   f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", tmp, "--output", "executed",
                   str(path)]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=NOTEBOOKS, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    error = ""
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        error = next((line for line in reversed(lines) if "Error" in line or "Exception" in line),
                     lines[-1] if lines else f"exit code {done.returncode}")
    # The notebook running to the end is itself a claim: an error stops every claim after it.
    rows.append({"notebook": number, "seed": seed, "kind": "claim", "name": "the notebook runs to the end",
                 "value": 0.0 if error else 1.0, "relation": ">", "threshold": 0.5, "holds": not error})
    for row in rows:
        row["notebook"], row["seed"] = number, seed
    return rows, seconds, error


def merge(number: str, seeds: list[int], new_rows: list[dict]) -> None:
    """Replace the rows of `seeds` in results/claims/nbNN.json by `new_rows`; keep other seeds' rows."""
    path = RESULTS / "claims" / f"nb{number}.json"
    old = json.loads(path.read_text()) if path.exists() else []
    kept = [r for r in old if r["seed"] not in seeds and "kind" in r]  # rows of the old format are dropped
    rows = sorted(kept + new_rows, key=lambda r: r["seed"])
    path.write_text(json.dumps(rows, indent=1) + "\n")


def merge_all() -> list[dict]:
    rows = []
    for path in sorted((RESULTS / "claims").glob("nb*.json")):
        rows += json.loads(path.read_text())
    (RESULTS / "claims.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def summary(rows: list[dict], label: str) -> str:
    claims = [r for r in rows if r["kind"] == "claim"]
    held = sum(r["holds"] for r in claims)
    share = held / len(claims) if claims else 0.0
    return f"{held} of {len(claims)} (claim, seed) pairs hold{label}: {share:.1%} (target 95% on seeds 11-13)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.claims", description=__doc__)
    known = sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    parser.add_argument("--notebooks", nargs="+", default=known, help=f"which notebooks (default: all: {known})")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS),
                        help="seeds to run each notebook with (default: 0 11 12 13; any seed works)")
    parser.add_argument("--jobs", type=int, default=2, help="notebook executions side by side (default 2)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may take (default 900)")
    parser.add_argument("--merge-only", action="store_true", help="only merge results/claims/nbNN.json files")
    args = parser.parse_args(argv)
    (RESULTS / "claims").mkdir(parents=True, exist_ok=True)
    if args.merge_only:
        rows = merge_all()
        print(summary([r for r in rows if r["seed"] in OTHER_SEEDS], " on seeds 11-13"))
        return 0
    try:
        paths = {p.name[:2]: p for p in map(notebook_path, args.notebooks)}
    except ValueError as error:
        parser.error(str(error))
    if any(s < 0 or s >= 2**32 for s in args.seeds):
        parser.error("--seeds: each seed must be in [0, 2**32)")
    jobs = [(number, seed) for number in paths for seed in args.seeds]
    results: dict[tuple[str, int], list[dict]] = {}

    def one(job: tuple[str, int]) -> None:
        number, seed = job
        rows, seconds, error = execute(paths[number], seed, args.timeout)
        results[job] = rows
        failed = [r["name"] for r in rows if r["kind"] == "claim" and not r["holds"]]
        print(f"notebook {number}, seed {seed}: {seconds:.0f} s, {len(rows)} rows"
              + (f", FAILS: {'; '.join(failed)}" if failed else "") + (f" ({error})" if error else ""), flush=True)

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        list(pool.map(one, jobs))
    run_rows = []
    for number in paths:
        new = [row for seed in args.seeds for row in results[(number, seed)]]
        merge(number, args.seeds, new)
        run_rows += new
    merge_all()
    for r in run_rows:
        if r["kind"] != "claim":
            continue
        value = "nan" if r["value"] is None else f"{r['value']:.4g}"
        print(f"{r['notebook']:>3} seed {r['seed']:>3}  {'holds' if r['holds'] else 'FAILS'}  {value} "
              f"{r['relation']} {r['threshold']:.4g}  {r['name']}")
    print(summary(run_rows, " in this run"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
