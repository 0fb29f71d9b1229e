"""Build the offline course site with Sphinx, myst-nb and sphinx-book-theme (`make html`).

Stages a Sphinx source tree in `<out>/../site-src` that mirrors the repository (index.md from docs/index.md,
notebooks/*.ipynb, docs/teaching.md), executes each notebook there with nbclient (unless told not to),
replaces every widget view by a note (widgets need a live kernel), and runs `sphinx-build -c docs`. Every figure
needs alt text saying what it shows, in its cell's metadata `mystnb.image.alt` (myst-nb puts it on each image;
cell metadata survives nbstripout, cell ids do not): an executed notebook with a figure without one stops the
build, naming the cell. MathJax 2 is
copied from the PyPI package jupyter-server-mathjax into `_static/mathjax`: the maths renders with no network.
The pages get Sphinx's search, the book theme's sidebar and previous/next links, and launch buttons (Binder,
Colab) pointing at tools.badges.REPO.

Usage: python -m tools.build_site [--out build/html] [--no-execute] [notebooks/*.ipynb]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jupyter_server_mathjax
import nbformat

from tools.badges import COLAB_TAG, badge_line_removed

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<div style="border:1px dashed #888;padding:6px;background:#fffbe6">'
               "<b>Interactive widget.</b> It needs a live Python kernel: open this notebook in JupyterLab "
               "(<code>make lab</code>), Colab or Binder (launch buttons at the top of the page) to use it.</div>")


def replace_widgets(notebook: nbformat.NotebookNode) -> int:
    """Put a note in place of every widget view in the outputs, drop the saved widget state; return the count."""
    count = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data:
                data.pop(WIDGET_MIME)
                data["text/html"] = WIDGET_NOTE
                data.pop("text/plain", None)
                count += 1
    notebook.metadata.pop("widgets", None)
    return count


MIN_ALT = 40  # characters: an alt text says what the figure shows (axes, what to see), not "figure"


def alt_text(cell: nbformat.NotebookNode) -> str:
    """The alt text of a cell's figures: its metadata `mystnb.image.alt` (myst-nb puts it on every image)."""
    return str(cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")).strip()


def missing_alt(notebook: nbformat.NotebookNode, name: str) -> list[str]:
    """The code cells of an executed notebook that show an image but have no alt text of MIN_ALT characters."""
    missing = []
    for number, cell in enumerate(notebook.cells, 1):
        images = sum(any(m.startswith("image/") for m in o.get("data", {})) for o in cell.get("outputs", []))
        if images and len(alt_text(cell)) < MIN_ALT:
            first = next((line for line in cell.source.splitlines() if line.strip()), "")[:60]
            missing.append(f"{name} cell {number} ({images} image(s); starts {first!r})")
    return missing


def stage(paths: list[Path], src: Path, *, execute: bool, timeout: int = 900) -> None:
    """Write the Sphinx source tree at `src` (executing the notebooks if asked)."""
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "docs").mkdir()
    shutil.copyfile(ROOT / "docs" / "index.md", src / "index.md")
    shutil.copyfile(ROOT / "docs" / "teaching.md", src / "docs" / "teaching.md")
    missing: list[str] = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        if execute:
            from nbclient import NotebookClient

            # a static page cannot move a progress bar (it would stay at 0/600): the live loss curves,
            # which keep their last drawing, show the training instead
            os.environ["RNNLAB_PROGRESS"] = "0"
            NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            missing += missing_alt(notebook, path.name)
        widgets = replace_widgets(notebook)
        for cell in notebook.cells:  # the Colab install cell means nothing on a static page
            if COLAB_TAG in cell.metadata.get("tags", []):
                cell.metadata["tags"] = [*cell.metadata["tags"], "remove-cell"]
        if notebook.cells and notebook.cells[0].cell_type == "markdown":  # badge images load from the network;
            notebook.cells[0].source = badge_line_removed(notebook.cells[0].source)  # the launch buttons replace them
        nbformat.write(notebook, src / "notebooks" / path.name)
        done = f"executed in {time.perf_counter() - start:.0f} s, " if execute else ""
        print(f"{path}: {done}{widgets} widget(s) noted")
    if missing:
        raise RuntimeError("figures without alt text (cell metadata mystnb.image.alt, at least "
                           f"{MIN_ALT} characters saying what the figure shows):\n  " + "\n  ".join(missing))


def build(paths: list[Path], out: Path, *, execute: bool = True, timeout: int = 900) -> Path:
    """Stage, execute (unless told not to) and build the site into `out`; return the path of its index.html.

    Raises RuntimeError with Sphinx's output when sphinx-build fails.
    """
    out = out.resolve()
    src = out.parent / "site-src"
    stage(paths, src, execute=execute, timeout=timeout)
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(ROOT / "docs"),
                           str(src), str(out)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"sphinx-build failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    if done.stderr.strip():
        print(done.stderr, file=sys.stderr)
    shutil.copytree(MATHJAX, out / "_static" / "mathjax", dirs_exist_ok=True)
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/html"))
    parser.add_argument("--no-execute", action="store_true", help="use the notebooks as they are (quick preview)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks given and none found in notebooks/")
    index = build(paths, args.out, execute=not args.no_execute)
    print(f"open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
