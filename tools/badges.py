"""Give every notebook its "Open in Colab" and "Binder" badges and the Colab install cell (idempotent).

The badges go under the title in the first markdown cell. The install cell comes right after it: on Colab,
where rnnlab is missing, it installs rnnlab from the repository; everywhere else it does nothing.

Usage: python -m tools.badges [notebooks/*.ipynb]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

REPO = "rnnlab/rnnlab"          # GitHub owner/name of the course repository
BRANCH = "main"
BADGE_MARK = "colab-badge.svg"
COLAB_TAG = "colab-setup"
COLAB_CELL = f"""# On Colab, install rnnlab first; everywhere else (it is installed already) this does nothing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("rnnlab") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                           "rnnlab @ git+https://github.com/{REPO}@{BRANCH}"])"""


def badges(name: str) -> str:
    """Markdown for the two badges of notebook `name` (e.g. '03_vanishing_gradients.ipynb')."""
    colab = f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{name}"
    binder = f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks/{name}"
    return (f"[![Open In Colab](https://colab.research.google.com/assets/{BADGE_MARK})]({colab}) "
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})")


def add_badges(notebook: nbformat.NotebookNode, name: str) -> bool:
    """Add the badges and the Colab cell where missing; return whether anything changed."""
    changed = False
    first = notebook.cells[0]
    if first.cell_type != "markdown":
        raise ValueError(f"{name}: the first cell must be the markdown title cell")
    if BADGE_MARK not in first.source:
        lines = first.source.split("\n")
        first.source = "\n".join([lines[0], "", badges(name)] + lines[1:])
        changed = True
    if not any(COLAB_TAG in c.metadata.get("tags", []) for c in notebook.cells):
        cell = nbformat.v4.new_code_cell(COLAB_CELL, metadata={"tags": [COLAB_TAG]})
        notebook.cells.insert(1, cell)
        changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])] or sorted(Path("notebooks").glob("*.ipynb"))
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if add_badges(notebook, path.name):
            nbformat.validate(notebook)
            nbformat.write(notebook, path)
            print(f"{path}: badges and Colab cell added")
    return 0


if __name__ == "__main__":
    sys.exit(main())
