import nbformat

from tools.build_html import WIDGET_MIME, build, replace_widgets, title_of


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · A test\n\nLearning goals: none."),
                nbformat.v4.new_code_cell("x = 1\nprint(x + 1)")]
    return nb


def test_widgets_become_a_note():
    nb = _notebook()
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "abc"},
                                                                        "text/plain": "VBox()"})]
    assert replace_widgets(nb) == 1
    assert "live Python kernel" in nb.cells[1].outputs[0]["data"]["text/html"]
    assert title_of(nb, "fallback") == "99 · A test"


def test_build_writes_pages_and_an_index(tmp_path):
    path = tmp_path / "99_test.ipynb"
    nbformat.write(_notebook(), path)
    index = build([path], tmp_path / "html")
    page = (tmp_path / "html" / "99_test.html").read_text()
    assert "99 · A test" in index.read_text() and 'href="99_test.html"' in index.read_text()
    assert ">2<" in page or "2\n" in page  # the executed output is in the page
