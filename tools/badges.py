"""Give every notebook its "Open in Colab" and "Binder" badges and the Colab install cell (idempotent).

The badges go under the title in the first markdown cell. The install cell comes right after it: on Colab,
where rnnlab is missing, it installs rnnlab from the repository; everywhere else it does nothing. Its guard
imports a real submodule (`import rnnlab.utils`): a stray folder named `rnnlab` (a clone, an upload) does not
fool it. REPO and BRANCH are the one place the repository's address is written: badges, install cell, the
course site's launch buttons (docs/conf.py) and pyproject's URLs use them.

An older install cell or older badges (another REPO, another guard) are rewritten in place, so after changing
REPO run the tool again on every notebook.

Usage: python -m tools.badges [--check] [notebooks/*.ipynb]
  --check  change nothing; exit 1 and name the notebooks whose badges or install cell are missing or stale
"""

from __future__ import annotations

import re
import sys

import nbformat

REPO = "rnnlab/rnnlab"          # GitHub owner/name of the course repository
BRANCH = "main"
BADGE_MARK = "colab-badge.svg"
COLAB_TAG = "colab-setup"
COLAB_CELL = f"""# On Colab, install rnnlab first; everywhere else (it is installed already) this does nothing.
try:
    import rnnlab.utils  # noqa: F401 (a real submodule: a folder that happens to be called rnnlab does not count)
except ModuleNotFoundError:
    import importlib
    import subprocess
    import sys

    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                           "rnnlab @ git+https://github.com/{REPO}@{BRANCH}"])
    importlib.invalidate_caches()
    for name in [m for m in sys.modules if m.split(".")[0] == "rnnlab"]:
        del sys.modules[name]  # forget what the failed import found, so that the next import finds the install"""
# The badge line: [![Open In Colab](...)](...) [![Binder](...)](...), whatever repository it points at.
_BADGE_LINE = re.compile(r"^\[!\[Open In Colab\]\(.*\)\]\(.*\) \[!\[Binder\]\(.*\)\]\(.*\)$", re.M)


def badges(name: str) -> str:
    """Markdown for the two badges of notebook `name` (e.g. '03_vanishing_gradients.ipynb')."""
    colab = f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{name}"
    binder = f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks/{name}"
    return (f"[![Open In Colab](https://colab.research.google.com/assets/{BADGE_MARK})]({colab}) "
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})")


def badge_line_removed(source: str) -> str:
    """`source` (a title cell) without its badge line and the blank line before it."""
    return re.sub(r"\n*" + _BADGE_LINE.pattern.lstrip("^"), "", source, count=1, flags=re.M)


def add_badges(notebook: nbformat.NotebookNode, name: str) -> bool:
    """Add the badges and the Colab cell where missing, rewrite them where stale; return whether anything changed."""
    changed = False
    first = notebook.cells[0]
    if first.cell_type != "markdown":
        raise ValueError(f"{name}: the first cell must be the markdown title cell")
    if BADGE_MARK not in first.source:
        lines = first.source.split("\n")
        first.source = "\n".join([lines[0], "", badges(name)] + lines[1:])
        changed = True
    elif badges(name) not in first.source:
        new, count = _BADGE_LINE.subn(lambda _: badges(name), first.source)
        if count != 1:
            raise ValueError(f"{name}: cannot find the badge line to update in the first cell")
        first.source, changed = new, True
    tagged = [c for c in notebook.cells if COLAB_TAG in c.metadata.get("tags", [])]
    if not tagged:
        cell = nbformat.v4.new_code_cell(COLAB_CELL, metadata={"tags": [COLAB_TAG]})
        notebook.cells.insert(1, cell)
        changed = True
    elif tagged[0].source != COLAB_CELL:
        tagged[0].source = COLAB_CELL
        changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    from tools.notebook_tool import update_notebooks

    return update_notebooks(
        __doc__.split("\n")[0],
        lambda notebook, path: "badges and Colab cell added or updated" if add_badges(notebook, path.name) else None,
        lambda stale: "badges or Colab cell missing or stale in: " + ", ".join(map(str, stale)), argv)


if __name__ == "__main__":
    sys.exit(main())
