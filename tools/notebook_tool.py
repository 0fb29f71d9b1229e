"""The command line that the tools which update notebooks in place share (`tools.badges`, `tools.nbgrader_cells`).

`python -m tools.X [notebooks/NN_x.ipynb ...] [--check]`: every notebook given (default: notebooks/*.ipynb) is read,
updated by the tool's function, and written back when it changed; with `--check` nothing is written and the exit
code is 1 when a notebook would change (for CI).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import nbformat


def update_notebooks(description: str, update: Callable[[nbformat.NotebookNode, Path], str | None],
                     stale_message: Callable[[list[Path]], str], argv: list[str] | None = None, *,
                     require: bool = False) -> int:
    """Run `update(notebook, path)` on each notebook: it changes the notebook in place and returns what it did (printed
    after the notebook is written), or None when nothing changed. `--check`: write nothing, print
    `stale_message(stale paths)` and return 1 when any would change. `require`: no notebook at all is an error."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if require and not paths:
        parser.error("no notebooks given and none found in notebooks/")
    stale = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        done = update(notebook, path)
        if done is None:
            continue
        stale.append(path)
        if not args.check:
            nbformat.validate(notebook)
            nbformat.write(notebook, path)
            print(f"{path}: {done}")
    if args.check and stale:
        print(stale_message(stale))
        return 1
    return 0
