"""Command-line runner: `python -m rnnlab.experiments NAME --seed S [options]`.

Prints the experiment's progress, then one JSON object as the last line of stdout:
{"experiment": NAME, "metrics": {...}, "config": {...}, "seconds": ...}.

Every error is one line on stderr, `python -m rnnlab.experiments NAME: error: ...`, naming the option the user
typed (`--csv`, `--lr`...), and the exit code is 2: bad values, missing files and folders, files that cannot be
read, training that diverged, any other failure inside the run. Set RNNLAB_DEBUG=1 to get the full traceback
instead. Paths are expanded: `--csv=~/my.csv` reads the file in your home folder (the shell leaves a `~` after
`=` alone). A config field is a path when its metadata says `{"path": True}` or its name is one of
`PATH_FIELDS` (or ends in `_path`, `_file`, `_csv`, `_wav`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import sys
import time
import typing
from collections.abc import Sequence
from typing import NoReturn

from rnnlab.data.reading import resolve_path
from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.registry import add_config_arguments, config_from_args
from rnnlab.utils import choose_threads

PATH_FIELDS = frozenset({"csv", "path", "file", "wav", "audio", "pairs", "text_file", "corpus_file"})
DEBUG_ENV = "RNNLAB_DEBUG"


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit with code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def _jsonable(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf
    return value


def one_line(text: str) -> str:
    """Collapse a message onto one line (newlines and runs of spaces become single spaces)."""
    return " ".join(str(text).split())


def flag(name: str) -> str:
    """The command-line option of a config field: 'clip_grad_norm' -> '--clip-grad-norm'."""
    return "--" + name.replace("_", "-")


def is_path_field(f: dataclasses.Field) -> bool:
    """Whether a config field holds a path the user typed (see the module docstring)."""
    return bool(f.metadata.get("path")) or f.name in PATH_FIELDS or f.name.endswith(("_path", "_file", "_csv",
                                                                                      "_wav"))


def _typed_options(argv: Sequence[str]) -> set[str]:
    """The field names of the options the user actually typed ('--clip-grad-norm=1' -> 'clip_grad_norm')."""
    return {a[2:].split("=", 1)[0].replace("-", "_") for a in argv if a.startswith("--")}


def expand_paths(config_class: type, args: argparse.Namespace, typed: set[str]) -> None:
    """Expand `~` and $VARS in the path options the user typed, and check each names an existing file
    (FileNotFoundError / IsADirectoryError naming the option otherwise)."""
    hints = typing.get_type_hints(config_class)
    for f in dataclasses.fields(config_class):
        value = getattr(args, f.name, None)
        if f.name in typed and is_path_field(f) and isinstance(value, str) and value and "str" in str(hints[f.name]):
            setattr(args, f.name, str(resolve_path(value, option=flag(f.name))))


def explain(err: BaseException, field_names: Sequence[str], args: argparse.Namespace | None = None) -> str:
    """One line for an error raised by a run: the options the user typed named as typed.

    - FileNotFoundError / IsADirectoryError / PermissionError from the operating system (`[Errno 2] ...`) name
      the option whose value is that file;
    - a message (or a clause after ": " or "; ") that begins with a field's name ("lr must be > 0") gets its
      option added ("lr (--lr) must ...");
    - everything else: its own message (a KeyError's quotes dropped), on one line.
    """
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        filename = os.fspath(err.filename)
        options = [flag(n) for n in field_names
                   if args is not None and isinstance(getattr(args, n, None), str) and getattr(args, n)
                   and os.path.expanduser(getattr(args, n)) in (filename, os.path.abspath(filename))]
        where = f"{options[0]}: " if options else ""
        return f"{where}{err.strerror.lower()}: {filename!r}"
    message = err.args[0] if isinstance(err, KeyError) and len(err.args) == 1 else str(err)
    message = one_line(message) or type(err).__name__
    for name in sorted(field_names, key=len, reverse=True):
        pattern = rf"(^|[;:] ){re.escape(name)}(?= (must|should|is|has|cannot|needs|was)\b)"
        message, count = re.subn(pattern, lambda m, n=name: f"{m.group(1)}{n} ({flag(n)})", message, count=1)
        if count:
            break
    if isinstance(err, ValueError | TypeError | KeyError | OSError | RuntimeError | ArithmeticError):
        return message
    return f"{type(err).__name__}: {message}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    top = OneLineParser(prog="python -m rnnlab.experiments",
                        description="Run one rnnlab experiment and print its result as JSON. Errors are one "
                                    f"line; set {DEBUG_ENV}=1 for a traceback.")
    top.add_argument("--list", action="store_true", help="list the experiments and exit")
    sub = top.add_subparsers(dest="name", metavar="NAME")
    parsers = {}
    for exp in sorted(EXPERIMENTS.values(), key=lambda e: e.name):
        parsers[exp.name] = sub.add_parser(exp.name, help=exp.help, description=exp.help)
        add_config_arguments(parsers[exp.name], exp.config_class)
    args, unknown = top.parse_known_args(argv)
    if unknown:                                   # name the experiment's own --help, where its options are listed
        (parsers[args.name] if args.name in parsers else top).error(
            f"unrecognized arguments: {' '.join(unknown)}")
    if args.list or args.name is None:
        width = max(len(name) for name in EXPERIMENTS)
        for exp in sorted(EXPERIMENTS.values(), key=lambda e: e.name):
            print(f"{exp.name:<{width}}  {exp.help}")
        return 0 if args.list else 2
    exp = EXPERIMENTS[args.name]
    names = [f.name for f in dataclasses.fields(exp.config_class)]
    choose_threads()  # one torch thread unless the user chose (OMP_NUM_THREADS, RNNLAB_THREADS)
    start = time.perf_counter()
    try:
        expand_paths(exp.config_class, args, _typed_options(argv))
        config = config_from_args(exp.config_class, args)
        result = exp.run(config)
    except KeyboardInterrupt:
        top.exit(130, f"{top.prog} {args.name}: interrupted\n")
    except Exception as err:  # noqa: BLE001 - every failure becomes one line naming the option; traceback opt-in
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        top.exit(2, f"{top.prog} {args.name}: error: {explain(err, names, args)} "
                    f"(set {DEBUG_ENV}=1 for the traceback)\n")
    seconds = time.perf_counter() - start
    record = {"experiment": exp.name,
              "metrics": {k: _jsonable(v) for k, v in result.metrics.items()},
              "config": {k: _jsonable(v) for k, v in dataclasses.asdict(config).items()},
              "seconds": round(seconds, 3)}
    print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
