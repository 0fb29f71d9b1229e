"""Execute every notebook and write a static HTML course with an index page (`make html`).

For projection in class and for reading without Jupyter. Widgets need a live kernel, so in the static copy each
widget is replaced by a note saying so.

Usage: python -m tools.build_html [--out build/html] [notebooks/*.ipynb]
"""

from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<div style="border:1px dashed #888;padding:6px;background:#fffbe6">'
               "<b>Interactive widget.</b> It needs a live Python kernel: open this notebook in JupyterLab "
               "(<code>make lab</code>), Colab or Binder to use it.</div>")


def replace_widgets(notebook: nbformat.NotebookNode) -> int:
    """Put a note in place of every widget view in the outputs; return how many were replaced."""
    count = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data:
                data.pop(WIDGET_MIME)
                data["text/html"] = WIDGET_NOTE
                count += 1
    notebook.metadata.pop("widgets", None)
    return count


def title_of(notebook: nbformat.NotebookNode, fallback: str) -> str:
    """The first '# ' heading of the first markdown cell."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def build(paths: list[Path], out: Path, *, execute: bool = True, timeout: int = 900) -> Path:
    """Execute (unless told not to) and export each notebook; write index.html; return its path."""
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    entries = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        if execute:
            NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        widgets = replace_widgets(notebook)
        body, _ = exporter.from_notebook_node(notebook)
        target = out / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        title = title_of(notebook, path.stem)
        entries.append((target.name, title))
        print(f"{path} -> {target} ({time.perf_counter() - start:.0f} s, {widgets} widget(s) noted)")
    items = "\n".join(f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>' for name, title in entries)
    index = out / "index.html"
    index.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rnnlab: recurrent neural networks, hands on</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:3em auto;line-height:1.5}}</style></head>
<body><h1>rnnlab: recurrent neural networks, hands on</h1>
<p>A static copy of the course, executed on {time.strftime('%Y-%m-%d')}. Widgets need a live kernel: open the
notebooks in JupyterLab to use them.</p>
<ol start="0">
{items}
</ol></body></html>
""", encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/html"))
    parser.add_argument("--no-execute", action="store_true", help="export as they are (for quick previews)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks given and none found in notebooks/")
    index = build(paths, args.out, execute=not args.no_execute)
    print(f"open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
