"""The offline course site (tools/build_site.py): built without executing, from two notebooks."""

import re
from pathlib import Path

import nbformat
import pytest

from tools.badges import BRANCH, REPO
from tools.build_site import WIDGET_MIME, build, replace_widgets

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["01_recurrence", "03_vanishing_gradients"]
# A resource the browser fetches by itself (script, style sheet, image, font, frame), not a link to follow.
REMOTE_RESOURCE = re.compile(r"<(?:script|img|iframe|source)\b[^>]*\ssrc=[\"']https?://"
                             r"|<link\b(?=[^>]*rel=[\"'](?:stylesheet|preload|icon|modulepreload)[\"'])[^>]*"
                             r"href=[\"']https?://|@import\s+url\([\"']?https?://", re.I)


def test_widgets_become_a_note():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells = [nbformat.v4.new_code_cell("w", outputs=[nbformat.v4.new_output(
        "display_data", data={WIDGET_MIME: {"model_id": "abc"}, "text/plain": "VBox()"})])]
    assert replace_widgets(nb) == 1
    assert nb.cells[0].outputs[0]["data"] == {"text/html": nb.cells[0].outputs[0]["data"]["text/html"]}
    assert "live Python kernel" in nb.cells[0].outputs[0]["data"]["text/html"] and "widgets" not in nb.metadata


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    build([ROOT / "notebooks" / f"{name}.ipynb" for name in PAGES], out, execute=False)
    return out


def test_index_lists_the_notebooks_and_the_teachers_guide(site):
    index = (site / "index.html").read_text()
    for name in PAGES:
        assert f'href="notebooks/{name}.html"' in index
    assert 'href="docs/teaching.html"' in index


def test_nothing_is_fetched_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        found = REMOTE_RESOURCE.search(page.read_text())
        assert found is None, f"{page.relative_to(site)} fetches {found.group(0)!r}"


def test_maths_is_rendered_by_a_local_mathjax(site):
    page = (site / "notebooks" / "01_recurrence.html").read_text()
    assert 'class="math notranslate nohighlight"' in page  # $...$ became maths for MathJax
    scripts = re.findall(r'<script[^>]*src="([^"]*MathJax\.js[^"]*)"', page)
    assert scripts and all(not s.startswith("http") for s in scripts), scripts
    assert (site / "notebooks" / scripts[0].split("?")[0]).resolve().is_file()
    config = scripts[0].split("config=")[1]
    assert (site / "_static" / "mathjax" / "config" / f"{config}.js").is_file()


def test_search_navigation_and_launch_buttons(site):
    assert (site / "search.html").is_file()
    assert "recurrence" in (site / "searchindex.js").read_text().lower()
    first = (site / "notebooks" / f"{PAGES[0]}.html").read_text()
    assert re.search(rf'<a class="right-next"\s+href="{PAGES[1]}.html"', first), "no link to the next page"
    second = (site / "notebooks" / f"{PAGES[1]}.html").read_text()
    assert re.search(rf'<a class="left-prev"\s+href="{PAGES[0]}.html"', second), "no link to the previous page"
    assert f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks/{PAGES[0]}.ipynb" in first
    assert f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{PAGES[0]}.ipynb" in first


def test_a_figure_without_alt_text_is_named():
    from tools.build_site import missing_alt

    png = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("plot_loss(history)\nplt.show()", outputs=[
                    nbformat.v4.new_output("display_data", data=png)]),
                nbformat.v4.new_code_cell("plot_gates(model)", outputs=[
                    nbformat.v4.new_output("display_data", data=png)]),
                nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1")])]
    nb.cells[1].metadata["mystnb"] = {"image": {"alt": "Line plot of the forget gate (y, 0 to 1) against time "
                                                       "step (x): it stays near 1 until the marker, then drops."}}
    assert missing_alt(nb, "42_x.ipynb") == ["42_x.ipynb cell 1 (1 image(s); starts 'plot_loss(history)')"]
    nb.cells[1].metadata["mystnb"]["image"]["alt"] = "figure"
    assert len(missing_alt(nb, "42_x.ipynb")) == 2

