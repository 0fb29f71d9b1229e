import nbformat

from tools.badges import BADGE_MARK, COLAB_CELL, COLAB_TAG, REPO, add_badges, badge_line_removed, badges


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 42 · Title\n\nLearning goals."), nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_badges_and_colab_cell_are_added_once():
    nb = _notebook()
    assert add_badges(nb, "42_title.ipynb") is True
    assert nb.cells[0].source.startswith("# 42 · Title\n\n[![Open In Colab]")
    assert "notebooks/42_title.ipynb" in nb.cells[0].source and BADGE_MARK in nb.cells[0].source
    assert nb.cells[1].metadata["tags"] == [COLAB_TAG] and nb.cells[1].source == COLAB_CELL
    assert add_badges(nb, "42_title.ipynb") is False and len(nb.cells) == 3
    nbformat.validate(nb)


def test_colab_cell_does_nothing_where_rnnlab_is_installed():
    exec(COLAB_CELL, {})  # rnnlab is importable here, so no pip call is made


def test_badge_links_point_at_the_notebook():
    text = badges("03_vanishing_gradients.ipynb")
    assert "colab.research.google.com/github/" in text and "mybinder.org/v2/gh/" in text
    assert text.count("notebooks/03_vanishing_gradients.ipynb") == 2


def test_stale_badges_and_install_cell_are_rewritten_for_the_current_repo():
    nb = _notebook()
    add_badges(nb, "42_title.ipynb")
    nb.cells[0].source = nb.cells[0].source.replace(REPO, "someone/old-fork")
    nb.cells[1].source = 'import importlib.util\nif importlib.util.find_spec("rnnlab") is None: pass'
    assert add_badges(nb, "42_title.ipynb") is True
    assert "someone/old-fork" not in nb.cells[0].source and badges("42_title.ipynb") in nb.cells[0].source
    assert nb.cells[1].source == COLAB_CELL and len(nb.cells) == 3


def test_install_cell_guard_imports_a_real_submodule():
    assert "import rnnlab.utils" in COLAB_CELL and "find_spec" not in COLAB_CELL
    assert f"git+https://github.com/{REPO}@" in COLAB_CELL


def test_badge_line_can_be_removed_for_the_static_site():
    source = "# 42 · Title\n\n" + badges("42_title.ipynb") + "\n\nLearning goals."
    assert badge_line_removed(source) == "# 42 · Title\n\nLearning goals."
