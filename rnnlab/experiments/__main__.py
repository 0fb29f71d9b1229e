"""Command-line runner: `python -m rnnlab.experiments NAME --seed S [options]`.

Prints the experiment's progress, then one JSON object as the last line of stdout:
{"experiment": NAME, "metrics": {...}, "config": {...}, "seconds": ...}.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time

from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.registry import add_config_arguments, config_from_args
from rnnlab.utils import choose_threads


def _jsonable(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf
    return value


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    top = argparse.ArgumentParser(prog="python -m rnnlab.experiments",
                                  description="Run one rnnlab experiment and print its result as JSON.")
    top.add_argument("--list", action="store_true", help="list the experiments and exit")
    sub = top.add_subparsers(dest="name", metavar="NAME")
    for exp in sorted(EXPERIMENTS.values(), key=lambda e: e.name):
        add_config_arguments(sub.add_parser(exp.name, help=exp.help, description=exp.help), exp.config_class)
    args = top.parse_args(argv)
    if args.list or args.name is None:
        width = max(len(name) for name in EXPERIMENTS)
        for exp in sorted(EXPERIMENTS.values(), key=lambda e: e.name):
            print(f"{exp.name:<{width}}  {exp.help}")
        return 0 if args.list else 2
    exp = EXPERIMENTS[args.name]
    choose_threads()  # one torch thread unless the user chose (OMP_NUM_THREADS, RNNLAB_THREADS)
    start = time.perf_counter()
    try:
        config = config_from_args(exp.config_class, args)
        result = exp.run(config)
    except (TypeError, ValueError) as err:  # bad option values: a message, not a traceback
        top.error(f"{args.name}: {err}")
    seconds = time.perf_counter() - start
    record = {"experiment": exp.name,
              "metrics": {k: _jsonable(v) for k, v in result.metrics.items()},
              "config": {k: _jsonable(v) for k, v in dataclasses.asdict(config).items()},
              "seconds": round(seconds, 3)}
    print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
